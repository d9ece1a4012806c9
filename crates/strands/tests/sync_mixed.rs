//! Primitives used by threads and tasks on the same object at the same time.
// `shuttle` is not in the workspace check-cfg list
// These tests use the std backend (smol, real threads); model builds run their own files.
#![cfg(not(any(strands_loom, shuttle)))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use smol::future;
use strands::sync::{
    owned, Barrier, BoundedSemaphore, BrokenBarrier, Condition, Event, Lock, Mutex, RLock,
    Semaphore,
};

/// Runs `n` tasks of `f(i)` on one thread (a local executor) until all finish.
fn run_tasks<F, Fut>(n: usize, f: F) -> std::thread::JoinHandle<()>
where
    F: Fn(usize) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    std::thread::spawn(move || {
        let ex = smol::LocalExecutor::new();
        let tasks: Vec<_> = (0..n).map(|i| ex.spawn(f(i))).collect();
        future::block_on(ex.run(async {
            for t in tasks {
                t.await;
            }
        }));
    })
}

/// Races `fut` against a short timer: `None` if the timer won (the future is dropped).
async fn with_timeout<T>(d: Duration, fut: impl std::future::Future<Output = T>) -> Option<T> {
    future::or(async { Some(fut.await) }, async {
        smol::Timer::after(d).await;
        None
    })
    .await
}

#[test]
fn mutex_counter_threads_and_tasks() {
    const N: usize = 2_000;
    let m = Arc::new(Mutex::new(0usize));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let m = m.clone();
            std::thread::spawn(move || {
                for _ in 0..N {
                    *m.lock_blocking() += 1;
                }
            })
        })
        .collect();
    let m2 = m.clone();
    let tasks = run_tasks(2, move |_| {
        let m = m2.clone();
        async move {
            for i in 0..N {
                let mut g = m.lock().await;
                *g += 1;
                if i % 7 == 0 {
                    drop(g);
                    future::yield_now().await;
                }
            }
        }
    });
    for t in threads {
        t.join().unwrap();
    }
    tasks.join().unwrap();
    assert_eq!(*m.lock_blocking(), 4 * N);
}

#[test]
fn cancelled_lock_waiter_passes_the_wakeup_on() {
    let lock = Arc::new(Lock::new());
    let g = lock.lock_blocking();
    let l2 = lock.clone();
    // A thread waits behind a task's lock future that will be cancelled.
    let waiter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        let _g = l2.lock_blocking();
    });
    future::block_on(async {
        let r = with_timeout(Duration::from_millis(50), lock.lock()).await;
        assert!(r.is_none());
    });
    drop(g);
    waiter.join().unwrap(); // would hang if the wake-up were lost
}

#[test]
fn lock_timeout_lower_bound_and_max() {
    let lock = Lock::new();
    let g = lock.lock_blocking();
    let t0 = Instant::now();
    assert!(lock.lock_timeout(Duration::from_millis(30)).is_none());
    assert!(t0.elapsed() >= Duration::from_millis(30));
    drop(g);
    assert!(lock.lock_timeout(Duration::MAX).is_some());
    assert!(lock.release().is_err());
}

#[test]
fn event_wakes_threads_and_tasks() {
    let ev = Arc::new(Event::new());
    let woke = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let (ev, woke) = (ev.clone(), woke.clone());
            std::thread::spawn(move || {
                ev.wait_blocking();
                woke.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    let (ev2, woke2) = (ev.clone(), woke.clone());
    let tasks = run_tasks(3, move |_| {
        let (ev, woke) = (ev2.clone(), woke2.clone());
        async move {
            ev.wait().await;
            woke.fetch_add(1, Ordering::SeqCst);
        }
    });
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(woke.load(Ordering::SeqCst), 0);
    ev.set();
    for t in threads {
        t.join().unwrap();
    }
    tasks.join().unwrap();
    assert_eq!(woke.load(Ordering::SeqCst), 6);
    ev.clear();
    assert!(!ev.wait_timeout(Duration::from_millis(5)));
}

#[test]
fn semaphore_limits_threads_and_tasks_together() {
    let sem = Arc::new(Semaphore::new(2));
    let inside = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    let enter = |inside: &AtomicUsize, max: &AtomicUsize| {
        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
        max.fetch_max(now, Ordering::SeqCst);
    };
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let (sem, inside, max) = (sem.clone(), inside.clone(), max.clone());
            std::thread::spawn(move || {
                for _ in 0..200 {
                    let _p = sem.acquire_blocking();
                    enter(&inside, &max);
                    std::thread::yield_now();
                    inside.fetch_sub(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    let (s2, i2, m2) = (sem.clone(), inside.clone(), max.clone());
    let tasks = run_tasks(3, move |_| {
        let (sem, inside, max) = (s2.clone(), i2.clone(), m2.clone());
        async move {
            for _ in 0..200 {
                let _p = sem.acquire().await;
                enter(&inside, &max);
                future::yield_now().await;
                inside.fetch_sub(1, Ordering::SeqCst);
            }
        }
    });
    for t in threads {
        t.join().unwrap();
    }
    tasks.join().unwrap();
    assert!(max.load(Ordering::SeqCst) <= 2);
    assert_eq!(sem.available(), 2);
}

#[test]
fn cancelled_acquire_passes_the_permit_on() {
    let sem = Arc::new(Semaphore::new(0));
    let s2 = sem.clone();
    let waiter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(10));
        s2.acquire_blocking().forget();
    });
    future::block_on(async {
        // The task waits first, is notified by the release, then is cancelled before it runs
        // again: the permit must reach the thread.
        let mut acq = Box::pin(sem.acquire());
        assert!(future::poll_once(acq.as_mut()).await.is_none());
        std::thread::sleep(Duration::from_millis(30));
        sem.release(1);
        drop(acq);
    });
    waiter.join().unwrap();
    assert_eq!(sem.available(), 0);
}

#[test]
fn bounded_semaphore_over_release_is_an_error() {
    let sem = BoundedSemaphore::new(2);
    assert!(sem.release().is_err());
    sem.acquire_blocking().forget();
    assert!(sem.release().is_ok());
    assert!(sem.release().is_err());
    assert_eq!(sem.available(), 2);
}

#[test]
fn condition_producer_thread_consumer_tasks() {
    let pair = Arc::new((Mutex::new(Vec::<u32>::new()), Condition::new()));
    let p2 = pair.clone();
    let got = Arc::new(AtomicUsize::new(0));
    let g2 = got.clone();
    let tasks = run_tasks(3, move |_| {
        let (pair, got) = (p2.clone(), g2.clone());
        async move {
            let (m, c) = &*pair;
            loop {
                let mut g = c.wait_for(m.lock().await, |v| !v.is_empty()).await;
                let x = g.pop().unwrap();
                drop(g);
                if x == u32::MAX {
                    return;
                }
                got.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    let (m, c) = &*pair;
    for i in 0..300 {
        m.lock_blocking().push(i);
        c.notify_one();
    }
    for _ in 0..3 {
        // Stop markers go to the front so they come out last.
        m.lock_blocking().insert(0, u32::MAX);
        c.notify_all();
    }
    tasks.join().unwrap();
    assert_eq!(got.load(Ordering::SeqCst), 300);
}

#[test]
fn condition_thread_waiters_task_notifier() {
    let pair = Arc::new((Mutex::new(0u32), Condition::new()));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let pair = pair.clone();
            std::thread::spawn(move || {
                let (m, c) = &*pair;
                let g = c.wait_for_blocking(m.lock_blocking(), |v| *v >= 10);
                assert!(*g >= 10);
            })
        })
        .collect();
    future::block_on(async {
        let (m, c) = &*pair;
        for _ in 0..10 {
            *m.lock().await += 1;
            c.notify_all();
            smol::Timer::after(Duration::from_millis(1)).await;
        }
    });
    for t in threads {
        t.join().unwrap();
    }
    let (m, c) = &*pair;
    let (_g, notified) = c.wait_timeout(m.lock_blocking(), Duration::from_millis(5));
    assert!(!notified);
}

#[test]
fn barrier_rounds_with_threads_and_tasks() {
    const ROUNDS: usize = 20;
    let rounds = Arc::new(AtomicUsize::new(0));
    let r2 = rounds.clone();
    let b = Arc::new(
        Barrier::with_action(4, move || {
            r2.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap(),
    );
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let b = b.clone();
            std::thread::spawn(move || {
                let mut idx = Vec::new();
                for _ in 0..ROUNDS {
                    idx.push(b.wait_blocking().unwrap());
                }
                idx
            })
        })
        .collect();
    let b2 = b.clone();
    let tasks = run_tasks(2, move |_| {
        let b = b2.clone();
        async move {
            for _ in 0..ROUNDS {
                let i = b.wait().await.unwrap();
                assert!(i < 4);
            }
        }
    });
    for t in threads {
        assert!(t.join().unwrap().iter().all(|&i| i < 4));
    }
    tasks.join().unwrap();
    assert_eq!(rounds.load(Ordering::SeqCst), ROUNDS);
}

#[test]
fn barrier_timeout_breaks_it_for_everyone_until_reset() {
    let b = Arc::new(Barrier::new(3).unwrap());
    let b2 = b.clone();
    let task = std::thread::spawn(move || future::block_on(b2.wait()));
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(
        b.wait_timeout(Duration::from_millis(10)),
        Err(BrokenBarrier)
    );
    assert_eq!(task.join().unwrap(), Err(BrokenBarrier));
    assert!(b.is_broken());
    b.reset();
    assert!(!b.is_broken());
    let b3 = b.clone();
    let t = std::thread::spawn(move || b3.wait_blocking());
    let b4 = b.clone();
    let t2 = std::thread::spawn(move || future::block_on(b4.wait()));
    let mine = b.wait_blocking().unwrap();
    let mut all = vec![
        mine,
        t.join().unwrap().unwrap(),
        t2.join().unwrap().unwrap(),
    ];
    all.sort();
    assert_eq!(all, [0, 1, 2]);
}

#[test]
fn cancelled_barrier_wait_breaks_it() {
    let b = Barrier::new(2).unwrap();
    future::block_on(async {
        assert!(with_timeout(Duration::from_millis(5), b.wait())
            .await
            .is_none());
    });
    assert!(b.is_broken());
    assert!(Barrier::new(0).is_err());
}

#[test]
fn rlock_reentrant_per_thread_and_per_task() {
    let lock = Arc::new(RLock::new());
    let a = lock.lock_blocking();
    let b = lock.lock_blocking();
    // Another thread and a task must wait.
    let l2 = lock.clone();
    let other = std::thread::spawn(move || l2.lock_timeout(Duration::from_millis(10)).is_none());
    assert!(other.join().unwrap());
    let l3 = lock.clone();
    let t = std::thread::spawn(move || {
        future::block_on(owned(async move {
            let _x = l3.lock().await;
            let _y = l3.lock().await; // same task: re-entered
            7
        }))
    });
    std::thread::sleep(Duration::from_millis(10));
    drop(a);
    assert!(lock.is_locked());
    drop(b);
    assert_eq!(t.join().unwrap(), 7);
    assert!(!lock.is_locked());
    assert!(lock.release().is_err());
}

#[test]
fn rlock_two_tasks_on_one_thread_exclude_each_other() {
    let lock = Arc::new(RLock::new());
    let inside = Arc::new(AtomicUsize::new(0));
    let (l, i) = (lock.clone(), inside.clone());
    run_tasks(4, move |_| {
        let (lock, inside) = (l.clone(), i.clone());
        owned(async move {
            for _ in 0..50 {
                let _g = lock.lock().await;
                let _g2 = lock.lock().await;
                assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                future::yield_now().await;
                inside.fetch_sub(1, Ordering::SeqCst);
            }
        })
    })
    .join()
    .unwrap();
    // Threads and tasks mixed.
    let l = lock.clone();
    let t = std::thread::spawn(move || {
        for _ in 0..100 {
            let _a = l.lock_blocking();
            let _b = l.try_lock().unwrap();
        }
    });
    future::block_on(owned(async {
        for _ in 0..100 {
            let _a = lock.lock().await;
            future::yield_now().await;
        }
    }));
    t.join().unwrap();
}
