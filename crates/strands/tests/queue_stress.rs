//! Stress: 4 threads and 4 tasks move N items through one bounded queue, with random
//! timeouts and cancellations; every item must be delivered exactly once.
//!
//! N = 1,000,000 in release builds, 100,000 in debug builds (override: `STRANDS_STRESS_N`).
// `shuttle` is not in the workspace check-cfg list
// These tests use the std backend (smol, real threads); model builds run their own files.
#![cfg(not(any(strands_loom, shuttle)))]

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use smol::future;
use strands::queue::{GetTimeoutError, PutTimeoutError, Queue};

/// Items to move.
fn n_items() -> usize {
    if let Some(n) = std::env::var("STRANDS_STRESS_N")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return n;
    }
    if cfg!(debug_assertions) {
        100_000
    } else {
        1_000_000
    }
}

/// A small xorshift PRNG (seeded per worker; no dependency).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn one_in(&mut self, n: u64) -> bool {
        self.next() % n == 0
    }
}

/// A future that is ready on its second poll: racing against it cancels the other future
/// after one poll.
async fn yield_then_none<T>() -> Option<T> {
    future::yield_now().await;
    None
}

#[test]
fn four_threads_four_tasks_exactly_once() {
    let n = n_items();
    let q = Arc::new(Queue::<usize>::new(16));
    let seen: Arc<Vec<AtomicU8>> = Arc::new((0..n).map(|_| AtomicU8::new(0)).collect());
    let received = Arc::new(AtomicUsize::new(0));
    let producers_left = Arc::new(AtomicUsize::new(4));
    let cancels = Arc::new(AtomicUsize::new(0));
    // Items are split in 4 ranges: 2 producer threads, 2 producer tasks.
    let range = |k: usize| (k * n / 4)..((k + 1) * n / 4);

    let record = {
        let (seen, received) = (seen.clone(), received.clone());
        move |x: usize| {
            assert_eq!(seen[x].fetch_add(1, Ordering::Relaxed), 0, "item {x} twice");
            received.fetch_add(1, Ordering::Relaxed);
        }
    };
    let finish_producer = {
        let (q, left) = (q.clone(), producers_left.clone());
        move || {
            if left.fetch_sub(1, Ordering::AcqRel) == 1 {
                q.shutdown(false);
            }
        }
    };

    let mut threads = Vec::new();
    // 2 producer threads
    for k in 0..2 {
        let (q, fin, cancels) = (q.clone(), finish_producer.clone(), cancels.clone());
        let r = range(k);
        threads.push(std::thread::spawn(move || {
            let mut rng = Rng(0x9E37_79B9 + k as u64);
            for x in r {
                let mut item = x;
                loop {
                    if rng.one_in(8) {
                        match q.put_timeout(item, Duration::from_micros(rng.next() % 5)) {
                            Ok(()) => break,
                            Err(PutTimeoutError::Timeout(back)) => {
                                cancels.fetch_add(1, Ordering::Relaxed);
                                item = back;
                            }
                            Err(PutTimeoutError::ShutDown(_)) => unreachable!(),
                        }
                    } else {
                        q.put_blocking(item).unwrap();
                        break;
                    }
                }
            }
            fin();
        }));
    }
    // 2 consumer threads
    for k in 0..2 {
        let (q, rec, cancels) = (q.clone(), record.clone(), cancels.clone());
        threads.push(std::thread::spawn(move || {
            let mut rng = Rng(0x1234_5678 + k as u64);
            loop {
                let r = if rng.one_in(8) {
                    q.get_timeout(Duration::from_micros(rng.next() % 5))
                } else {
                    q.get_blocking().map_err(|_| GetTimeoutError::ShutDown)
                };
                match r {
                    Ok(x) => rec(x),
                    Err(GetTimeoutError::Timeout) => {
                        cancels.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(GetTimeoutError::ShutDown) => return,
                }
            }
        }));
    }
    // 4 tasks on one loop thread: 2 producers, 2 consumers
    {
        let (q, fin, rec, cancels) = (
            q.clone(),
            finish_producer.clone(),
            record.clone(),
            cancels.clone(),
        );
        let ranges = [range(2), range(3)];
        threads.push(std::thread::spawn(move || {
            let ex = smol::LocalExecutor::new();
            let mut tasks = Vec::new();
            for (k, r) in ranges.into_iter().enumerate() {
                let (q, fin, cancels) = (q.clone(), fin.clone(), cancels.clone());
                tasks.push(ex.spawn(async move {
                    let mut rng = Rng(0xDEAD_BEEF + k as u64);
                    for x in r {
                        loop {
                            if rng.one_in(4) {
                                // Poll the put once (linking it if the queue is full), then
                                // drop it: a cancellation; the item is re-made and retried.
                                match future::poll_once(q.put(x)).await {
                                    Some(r) => {
                                        r.unwrap();
                                        break;
                                    }
                                    None => {
                                        cancels.fetch_add(1, Ordering::Relaxed);
                                        future::yield_now().await;
                                    }
                                }
                            } else if rng.one_in(8) {
                                // Cancel after a yield: the put may have been notified.
                                let put = async { Some(q.put(x).await) };
                                match future::or(put, yield_then_none()).await {
                                    Some(r) => {
                                        r.unwrap();
                                        break;
                                    }
                                    None => {
                                        cancels.fetch_add(1, Ordering::Relaxed);
                                    }
                                }
                            } else {
                                q.put(x).await.unwrap();
                                break;
                            }
                        }
                    }
                    fin();
                }));
            }
            for k in 0..2 {
                let (q, rec, cancels) = (q.clone(), rec.clone(), cancels.clone());
                tasks.push(ex.spawn(async move {
                    let mut rng = Rng(0xFEED_F00D + k as u64);
                    loop {
                        let r = if rng.one_in(4) {
                            // Poll once (linking it if empty), then drop: a cancellation.
                            match future::poll_once(q.get()).await {
                                Some(r) => r,
                                None => {
                                    cancels.fetch_add(1, Ordering::Relaxed);
                                    future::yield_now().await;
                                    continue;
                                }
                            }
                        } else if rng.one_in(8) {
                            // Cancel after a yield: the get may have been notified.
                            let get = async { Some(q.get().await) };
                            match future::or(get, yield_then_none()).await {
                                Some(r) => r,
                                None => {
                                    cancels.fetch_add(1, Ordering::Relaxed);
                                    continue;
                                }
                            }
                        } else {
                            q.get().await
                        };
                        match r {
                            Ok(x) => rec(x),
                            Err(_) => return,
                        }
                    }
                }));
            }
            future::block_on(ex.run(async {
                for t in tasks {
                    t.await;
                }
            }));
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(received.load(Ordering::Relaxed), n);
    assert!(seen.iter().all(|s| s.load(Ordering::Relaxed) == 1));
    assert!(q.empty());
    eprintln!(
        "moved {n} items, {} timeouts/cancellations",
        cancels.load(Ordering::Relaxed)
    );
}
