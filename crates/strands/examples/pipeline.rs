//! A thread → task pipeline on one queue: an OS thread produces (blocking `put`), tasks on
//! an event loop consume (`get().await`), mark each item done, and the loop waits for the
//! queue to drain with `join().await` before shutting it down.
//!
//! Run: `cargo run --release -p strands --example pipeline`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use strands::queue::Queue;
use strands::thread::Thread;

const ITEMS: u64 = 200_000;
const CONSUMERS: usize = 4;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let queue = Arc::new(Queue::new(1024));
    let start = Instant::now();

    // The producer is an OS thread: `put_blocking` parks it while the queue is full.
    let q = queue.clone();
    let producer = Thread::new(move || {
        for i in 0..ITEMS {
            if q.put_blocking(i).is_err() {
                break; // shut down early
            }
        }
    })
    .name("producer")
    .start()?;

    // The consumers are tasks on a loop: `get().await` leaves the loop free meanwhile.
    let sum = Arc::new(AtomicU64::new(0));
    let total = sum.clone();
    let per_task = strands::run(async move {
        let workers: Vec<_> = (0..CONSUMERS)
            .map(|_| {
                let (q, sum) = (queue.clone(), total.clone());
                strands::spawn(async move {
                    let mut n = 0u64;
                    while let Ok(item) = q.get().await {
                        sum.fetch_add(item, Ordering::Relaxed);
                        // Cannot fail: every get is matched by one task_done.
                        let _ = q.task_done();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        producer.join().await.map_err(|p| p.to_string())?;
        queue.join().await; // every item taken and marked done
        queue.shutdown(false); // wakes the consumers: their next get fails
        let mut counts = Vec::new();
        for w in workers {
            counts.push(w.await.map_err(|e| e.to_string())?);
        }
        Ok::<_, String>(counts)
    })??;

    let elapsed = start.elapsed();
    let consumed: u64 = per_task.iter().sum();
    println!("{consumed} items from one thread to {CONSUMERS} tasks in {elapsed:.2?}");
    println!("per task: {per_task:?}");
    println!(
        "sum {} (expected {})",
        sum.load(Ordering::Relaxed),
        ITEMS * (ITEMS - 1) / 2
    );
    Ok(())
}
