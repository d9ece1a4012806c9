//! Randomized scheduling of mixed thread/task scenarios with shuttle: replayable seeds.
//!
//! Run: `RUSTFLAGS="--cfg shuttle" cargo test -p strands --release --test shuttle_mixed`
//!
//! Each scenario runs `STRANDS_SHUTTLE_ITERS` schedules (default 300) from the seed in
//! `STRANDS_SHUTTLE_SEED` (default: a fixed seed, so CI is reproducible). A failure prints the
//! seed and shuttle prints the failing schedule, which `shuttle::replay` re-runs exactly.
#![cfg(shuttle)]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use shuttle::sync::Arc;
use shuttle::{future, thread};
use strands::queue::Queue;
use strands::sync::{Barrier, Condition, Mutex, Semaphore};

/// The seed and the number of schedules to try.
fn seed_and_iters() -> (u64, usize) {
    let seed = std::env::var("STRANDS_SHUTTLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_2026);
    let iters = std::env::var("STRANDS_SHUTTLE_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    (seed, iters)
}

/// Runs `f` under shuttle's random scheduler from the configured seed.
fn check(name: &str, f: impl Fn() + Send + Sync + 'static) {
    let (seed, iters) = seed_and_iters();
    eprintln!("{name}: STRANDS_SHUTTLE_SEED={seed} STRANDS_SHUTTLE_ITERS={iters}");
    shuttle::check_random_with_seed(f, seed, iters);
}

/// A waker that does nothing.
fn noop_waker() -> Waker {
    /// Does nothing when woken.
    struct Noop;
    impl std::task::Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }
    Waker::from(std::sync::Arc::new(Noop))
}

/// Polls once, then drops the future (a cancellation at a random point of the schedule).
fn poll_once_then_cancel<F: Future>(fut: F) -> Option<F::Output> {
    let waker = noop_waker();
    let mut fut = pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

/// Two producer threads, a consumer thread and two consumer tasks (one of which cancels
/// some of its gets) share a queue of capacity 2. Each consumer takes a fixed number of
/// items, so a lost wake-up leaves one waiting forever (shuttle reports the deadlock); every
/// item must arrive exactly once.
#[test]
fn queue_threads_and_tasks_exactly_once() {
    check("queue_threads_and_tasks_exactly_once", || {
        const PER_PRODUCER: usize = 4;
        let q = Arc::new(Queue::new(2));
        let seen = Arc::new(
            (0..2 * PER_PRODUCER)
                .map(|_| AtomicUsize::new(0))
                .collect::<Vec<_>>(),
        );
        let mut producers = Vec::new();
        for p in 0..2 {
            let q = q.clone();
            producers.push(thread::spawn(move || {
                for i in 0..PER_PRODUCER {
                    q.put_blocking(p * PER_PRODUCER + i).unwrap();
                }
            }));
        }
        let (q1, s1) = (q.clone(), seen.clone());
        let consumer = thread::spawn(move || {
            for _ in 0..3 {
                let x = q1.get_blocking().unwrap();
                s1[x].fetch_add(1, Ordering::SeqCst);
            }
        });
        let mut tasks = Vec::new();
        for (k, quota) in [(0usize, 3usize), (1, 2)] {
            let (q, seen) = (q.clone(), seen.clone());
            tasks.push(future::spawn(async move {
                let mut got = 0;
                let mut n = 0;
                while got < quota {
                    n += 1;
                    let r = if k == 0 && n % 2 == 0 {
                        match poll_once_then_cancel(q.get()) {
                            Some(r) => r,
                            None => {
                                thread::yield_now();
                                continue;
                            }
                        }
                    } else {
                        q.get().await
                    };
                    seen[r.unwrap()].fetch_add(1, Ordering::SeqCst);
                    got += 1;
                }
            }));
        }
        for p in producers {
            p.join().unwrap();
        }
        consumer.join().unwrap();
        for t in tasks {
            future::block_on(t).unwrap();
        }
        assert!(q.empty());
        assert!(seen.iter().all(|s| s.load(Ordering::SeqCst) == 1));
    });
}

/// A Mutex + Condition hand-off between a thread and a task, with a semaphore limiting both.
#[test]
fn condition_and_semaphore_mixed() {
    check("condition_and_semaphore_mixed", || {
        let pair = Arc::new((Mutex::new(0u32), Condition::new()));
        let sem = Arc::new(Semaphore::new(1));
        let inside = Arc::new(AtomicUsize::new(0));
        let (p1, s1, i1) = (pair.clone(), sem.clone(), inside.clone());
        let t = thread::spawn(move || {
            for _ in 0..2 {
                let _permit = s1.acquire_blocking();
                assert_eq!(i1.fetch_add(1, Ordering::SeqCst), 0);
                i1.fetch_sub(1, Ordering::SeqCst);
            }
            let (m, c) = &*p1;
            let g = c.wait_for_blocking(m.lock_blocking(), |v| *v == 2);
            assert_eq!(*g, 2);
        });
        let (p2, s2, i2) = (pair.clone(), sem.clone(), inside.clone());
        let task = future::spawn(async move {
            let (m, c) = &*p2;
            for _ in 0..2 {
                {
                    let _permit = s2.acquire().await;
                    assert_eq!(i2.fetch_add(1, Ordering::SeqCst), 0);
                    i2.fetch_sub(1, Ordering::SeqCst);
                }
                *m.lock().await += 1;
                c.notify_all();
            }
        });
        future::block_on(task).unwrap();
        t.join().unwrap();
        assert_eq!(sem.available(), 1);
    });
}

/// Two threads and a task meet at a barrier twice; indexes are a permutation each round.
#[test]
fn barrier_threads_and_task() {
    check("barrier_threads_and_task", || {
        let b = Arc::new(Barrier::new(3).unwrap());
        let total = Arc::new(AtomicUsize::new(0));
        let mut ts = Vec::new();
        for _ in 0..2 {
            let (b, total) = (b.clone(), total.clone());
            ts.push(thread::spawn(move || {
                for _ in 0..2 {
                    total.fetch_add(b.wait_blocking().unwrap(), Ordering::SeqCst);
                }
            }));
        }
        let (b2, t2) = (b.clone(), total.clone());
        let task = future::spawn(async move {
            for _ in 0..2 {
                t2.fetch_add(b2.wait().await.unwrap(), Ordering::SeqCst);
            }
        });
        future::block_on(task).unwrap();
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(total.load(Ordering::SeqCst), 2 * (0 + 1 + 2));
    });
}

/// A task's get is linked, then cancelled at a random point while a thread getter waits
/// behind it and a thread puts one item: the item must reach the thread (a lost pass-on
/// deadlocks, and shuttle reports it with a replayable schedule).
#[test]
fn cancelled_get_passes_wakeup_on() {
    check("cancelled_get_passes_wakeup_on", || {
        let q = Arc::new(Queue::new(0));
        let q1 = q.clone();
        let task = future::spawn(async move {
            let waker = noop_waker();
            let mut fut = Box::pin(q1.get());
            if let Poll::Ready(r) = fut.as_mut().poll(&mut Context::from_waker(&waker)) {
                q1.try_put(r.unwrap()).unwrap(); // took it first: give it back
            }
            thread::yield_now();
            drop(fut);
        });
        let q2 = q.clone();
        let getter = thread::spawn(move || q2.get_blocking().unwrap());
        q.put_blocking(7).unwrap();
        future::block_on(task).unwrap();
        assert_eq!(getter.join().unwrap(), 7);
    });
}
