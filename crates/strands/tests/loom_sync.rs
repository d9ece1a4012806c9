//! loom models of the wait-list protocols: notify vs cancel (no lost wake-up), the lock
//! word, Condition.
//!
//! Run: `RUSTFLAGS="--cfg strands_loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p strands --release --test loom_sync`
#![cfg(strands_loom)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use loom::sync::Arc;
use loom::thread;
use strands::sync::{Condition, Event, Lock, Mutex, Semaphore};

/// Polls `fut` once with a no-op waker.
fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    let waker = noop_waker();
    fut.poll(&mut Context::from_waker(&waker))
}

/// A task registers for a permit and is cancelled while a release races with it; a thread
/// waiting behind must still get the permit (a lost pass-on would deadlock the model).
#[test]
fn semaphore_notify_vs_cancel() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let s1 = sem.clone();
        let task = thread::spawn(move || {
            let mut fut = pin!(s1.acquire());
            if let Poll::Ready(p) = poll_once(fut.as_mut()) {
                drop(p); // got it at once: give it back
            }
            // dropped here: cancelled, possibly after being notified
        });
        let s2 = sem.clone();
        let waiter = thread::spawn(move || s2.acquire_blocking().forget());
        sem.release(1);
        task.join().unwrap();
        waiter.join().unwrap();
        assert_eq!(sem.available(), 0);
    });
}

/// Two threads and a task contend on one Lock; the critical sections never overlap and
/// every unlock wakes a waiter.
#[test]
fn lock_threads_and_task() {
    loom::model(|| {
        let m = Arc::new(Mutex::new(0usize));
        let m1 = m.clone();
        let t1 = thread::spawn(move || {
            *m1.lock_blocking() += 1;
        });
        let m2 = m.clone();
        let t2 = thread::spawn(move || {
            loom::future::block_on(async {
                *m2.lock().await += 1;
            })
        });
        *m.lock_blocking() += 1;
        t1.join().unwrap();
        t2.join().unwrap();
        assert_eq!(*m.lock_blocking(), 3);
    });
}

/// A cancelled lock future hands its wake-up on to a blocked thread.
#[test]
fn lock_cancel_passes_on() {
    loom::model(|| {
        let lock = Arc::new(Lock::new());
        let g = lock.lock_blocking();
        let l1 = lock.clone();
        let task = thread::spawn(move || {
            let mut fut = pin!(l1.lock());
            let _ = poll_once(fut.as_mut());
        });
        let l2 = lock.clone();
        let waiter = thread::spawn(move || drop(l2.lock_blocking()));
        drop(g);
        task.join().unwrap();
        waiter.join().unwrap();
        assert!(!lock.is_locked());
    });
}

/// Event set races with a thread and a task waiting.
#[test]
fn event_set_vs_wait() {
    loom::model(|| {
        let ev = Arc::new(Event::new());
        let e1 = ev.clone();
        let t = thread::spawn(move || e1.wait_blocking());
        let e2 = ev.clone();
        let task = thread::spawn(move || loom::future::block_on(e2.wait()));
        ev.set();
        t.join().unwrap();
        task.join().unwrap();
    });
}

/// Condition: a waiter links itself before releasing the mutex, so a notify made under the
/// mutex after the state change is never lost; a cancelled notified task passes it on.
#[test]
fn condition_no_lost_notify() {
    loom::model(|| {
        let pair = Arc::new((Mutex::new(false), Condition::new()));
        let p1 = pair.clone();
        let waiter = thread::spawn(move || {
            let (m, c) = &*p1;
            let g = c.wait_for_blocking(m.lock_blocking(), |ready| *ready);
            assert!(*g);
        });
        let (m, c) = &*pair;
        let mut g = m.lock_blocking();
        *g = true;
        c.notify_one();
        drop(g);
        waiter.join().unwrap();
    });
}

#[test]
fn condition_cancelled_task_passes_notify_on() {
    loom::model(|| {
        let pair = Arc::new((Mutex::new(0u8), Condition::new()));
        let p1 = pair.clone();
        let thread_waiter = thread::spawn(move || {
            let (m, c) = &*p1;
            drop(c.wait_for_blocking(m.lock_blocking(), |v| *v > 0));
        });
        let p2 = pair.clone();
        let task = thread::spawn(move || {
            let (m, c) = &*p2;
            let g = m.lock_blocking();
            let mut fut = pin!(c.wait(g));
            let _ = poll_once(fut.as_mut()); // links, releases the mutex
        }); // cancelled here
        let (m, c) = &*pair;
        *m.lock_blocking() = 1;
        c.notify_one();
        task.join().unwrap();
        thread_waiter.join().unwrap();
    });
}

/// A waker that does nothing (`Waker::noop` needs Rust 1.85; the MSRV is 1.80).
fn noop_waker() -> Waker {
    /// Does nothing when woken.
    struct Noop;
    impl std::task::Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }
    Waker::from(std::sync::Arc::new(Noop))
}
