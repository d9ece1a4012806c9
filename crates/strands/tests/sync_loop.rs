//! Primitives and queues on the strands event loop, shared with OS threads; the behaviour of
//! a `_blocking` call made on the loop's own thread.
#![cfg(not(any(strands_loom, shuttle)))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use strands::queue::{GetError, Queue};
use strands::sync::{Barrier, Event, Lock, RLock};
use strands::thread::{Thread, ThreadPool};

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn blocking_call_on_the_loop_thread_panics_naming_the_fix() {
    let msg = panic_message(|| {
        let lock = Lock::new();
        let _ = strands::run(async move {
            let _g = lock.lock_blocking();
        });
    });
    assert!(msg.contains("Lock::lock_blocking"), "{msg}");
    assert!(msg.contains(".await") && msg.contains("to_thread"), "{msg}");
    // ... and the same call through to_thread is fine.
    let q = Arc::new(Queue::new(1));
    let q2 = q.clone();
    let got = strands::run(async move {
        q2.put(5).await.unwrap();
        strands::to_thread(move || q2.get_blocking()).await.unwrap()
    })
    .unwrap();
    assert_eq!(got, Ok(5));
}

/// The article's pipeline: a thread produces, tasks on the loop consume with task_done, the
/// loop joins the queue, then shuts it down.
#[test]
fn thread_producer_loop_consumers_join_and_shutdown() {
    const N: usize = 10_000;
    let q = Arc::new(Queue::new(64));
    let q1 = q.clone();
    let producer = Thread::new(move || {
        for i in 0..N {
            q1.put_blocking(i).unwrap();
        }
    })
    .name("producer")
    .start()
    .unwrap();
    let sum = Arc::new(AtomicUsize::new(0));
    let s2 = sum.clone();
    strands::run(async move {
        let mut workers = Vec::new();
        for _ in 0..4 {
            let (q, sum) = (q.clone(), s2.clone());
            workers.push(strands::spawn(async move {
                let mut n = 0;
                while let Ok(i) = q.get().await {
                    sum.fetch_add(i, Ordering::Relaxed);
                    q.task_done().unwrap();
                    n += 1;
                }
                n
            }));
        }
        producer.join().await.unwrap();
        q.join().await;
        q.shutdown(false);
        let mut total = 0;
        for w in workers {
            total += w.await.unwrap();
        }
        assert_eq!(total, N);
        assert_eq!(q.get().await, Err(GetError::ShutDown));
    })
    .unwrap();
    assert_eq!(sum.load(Ordering::Relaxed), N * (N - 1) / 2);
}

/// `strands::timeout` around a get is cancel-safe: nothing is lost, and the next get works.
#[test]
fn timeout_around_get_loses_nothing() {
    let q = Arc::new(Queue::new(4));
    let q2 = q.clone();
    strands::run(async move {
        let r = strands::timeout(Duration::from_millis(10), q2.get()).await;
        assert!(r.is_err());
        let q3 = q2.clone();
        let t = std::thread::spawn(move || q3.put_blocking(9).unwrap());
        assert_eq!(
            strands::timeout(Duration::from_secs(30), q2.get()).await,
            Ok(Ok(9))
        );
        t.join().unwrap();
        // A put that times out on a full queue never half-enqueues.
        for i in 0..4 {
            q2.put(i).await.unwrap();
        }
        assert!(strands::timeout(Duration::from_millis(5), q2.put(99))
            .await
            .is_err());
        assert_eq!(q2.qsize(), 4);
    })
    .unwrap();
    assert!((0..4).all(|i| q.try_get() == Ok(i)));
}

#[test]
fn barrier_and_event_loop_tasks_with_threads() {
    let b = Arc::new(Barrier::new(4).unwrap());
    let ev = Arc::new(Event::new());
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (b, ev) = (b.clone(), ev.clone());
            std::thread::spawn(move || {
                b.wait_blocking().unwrap();
                ev.wait_blocking();
            })
        })
        .collect();
    strands::run(async move {
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let b = b.clone();
                strands::spawn(async move { b.wait().await.unwrap() })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap() < 4);
        }
        ev.set();
    })
    .unwrap();
    for t in threads {
        t.join().unwrap();
    }
}

/// On the loop, `RLock::lock().await` re-enters per task without any wrapper, and two tasks
/// exclude each other.
#[test]
fn rlock_owner_is_the_loop_task() {
    let lock = Arc::new(RLock::new());
    let inside = Arc::new(AtomicUsize::new(0));
    strands::run(async move {
        let mut tasks = Vec::new();
        for _ in 0..3 {
            let (lock, inside) = (lock.clone(), inside.clone());
            tasks.push(strands::spawn(async move {
                for _ in 0..20 {
                    let _a = lock.lock().await;
                    let _b = lock.lock().await; // same task: re-entered
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                    strands::yield_now().await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    })
    .unwrap();
}

#[test]
fn pool_futures_awaited_on_the_loop() {
    let pool = ThreadPool::new(2).unwrap();
    let futs: Vec<_> = (0..8u64)
        .map(|i| pool.submit(move || i * i).unwrap())
        .collect();
    let total = strands::run(async move {
        let mut s = 0;
        for f in futs {
            s += f.await.unwrap();
        }
        s
    })
    .unwrap();
    assert_eq!(total, (0..8u64).map(|i| i * i).sum());
}
