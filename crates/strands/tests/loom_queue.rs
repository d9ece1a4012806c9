//! loom models of the queue core: put/get between a thread and a task, cancelled gets and
//! puts (nothing lost, nothing duplicated), shutdown waking blocked callers.
//!
//! Run: `RUSTFLAGS="--cfg strands_loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p strands --release --test loom_queue`
#![cfg(strands_loom)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use loom::sync::Arc;
use loom::thread;
use strands::queue::{GetError, Queue};

/// Polls `fut` once with a no-op waker.
fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    let waker = noop_waker();
    fut.poll(&mut Context::from_waker(&waker))
}

/// Thread producer, task consumer, bounded queue of 1.
#[test]
fn put_blocking_get_await() {
    loom::model(|| {
        let q = Arc::new(Queue::new(1));
        let q1 = q.clone();
        let producer = thread::spawn(move || {
            q1.put_blocking(1).unwrap();
            q1.put_blocking(2).unwrap();
        });
        let got = loom::future::block_on(async {
            let a = q.get().await.unwrap();
            let b = q.get().await.unwrap();
            (a, b)
        });
        producer.join().unwrap();
        assert_eq!(got, (1, 2));
    });
}

/// A task's get is registered, then cancelled while a put races; the item must reach the
/// blocked thread getter exactly once.
#[test]
fn cancelled_get_loses_nothing() {
    cancelled_get_loses_nothing_cap(0); // mutex path
}

#[test]
fn cancelled_get_loses_nothing_ring() {
    cancelled_get_loses_nothing_cap(4); // lock-free ring path
}

fn cancelled_get_loses_nothing_cap(cap: usize) {
    loom::model(move || {
        let q = Arc::new(Queue::new(cap));
        let q1 = q.clone();
        let task = thread::spawn(move || {
            let mut fut = pin!(q1.get());
            match poll_once(fut.as_mut()) {
                Poll::Ready(Ok(x)) => Some(x),
                _ => None, // cancelled
            }
        });
        let q2 = q.clone();
        let putter = thread::spawn(move || q2.put_blocking(7).unwrap());
        putter.join().unwrap();
        let by_task = task.join().unwrap();
        let rest = q.try_get().ok();
        // exactly one of them has the item
        assert_eq!(by_task.into_iter().chain(rest).collect::<Vec<_>>(), [7]);
    });
}

/// A put blocked on a full queue is cancelled while a get frees room: the cancelled item is
/// never half-enqueued, and a blocked thread putter still gets the room.
#[test]
fn cancelled_put_never_half_enqueues() {
    loom::model(|| {
        let q = Arc::new(Queue::new(1));
        q.try_put(0).unwrap();
        let q1 = q.clone();
        let task = thread::spawn(move || {
            let mut fut = pin!(q1.put(1));
            matches!(poll_once(fut.as_mut()), Poll::Ready(Ok(())))
        });
        let q2 = q.clone();
        let getter = thread::spawn(move || q2.get_blocking().unwrap());
        assert_eq!(getter.join().unwrap(), 0);
        let task_put = task.join().unwrap();
        let left: Vec<_> = std::iter::from_fn(|| q.try_get().ok()).collect();
        if task_put {
            assert_eq!(left, [1]);
        } else {
            assert!(left.is_empty());
        }
    });
}

/// Shutdown wakes a blocked thread getter and a waiting task getter.
#[test]
fn shutdown_wakes_getters() {
    loom::model(|| {
        let q = Arc::new(Queue::<u8>::new(0));
        let q1 = q.clone();
        let t = thread::spawn(move || q1.get_blocking());
        let q2 = q.clone();
        let task = thread::spawn(move || loom::future::block_on(q2.get()));
        q.shutdown(false);
        assert_eq!(t.join().unwrap(), Err(GetError::ShutDown));
        assert_eq!(task.join().unwrap(), Err(GetError::ShutDown));
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

/// Two producer threads race on a ring of capacity 1 while a task consumes: the lock-free
/// put / waiting-flag protocol must never lose a wake-up (a loss deadlocks the model).
#[test]
fn ring_two_producers_one_task() {
    loom::model(|| {
        let q = Arc::new(Queue::new(1));
        let mut ps = Vec::new();
        for i in 0..2 {
            let q = q.clone();
            ps.push(thread::spawn(move || q.put_blocking(i).unwrap()));
        }
        let mut got = loom::future::block_on(async {
            let a = q.get().await.unwrap();
            let b = q.get().await.unwrap();
            vec![a, b]
        });
        for p in ps {
            p.join().unwrap();
        }
        got.sort();
        assert_eq!(got, [0, 1]);
        assert_eq!(q.unfinished_tasks(), 2);
    });
}

/// `join` from a thread while a task marks items done: the last `task_done` must wake the
/// joiner (ring path: puts are counted off the ring's tail).
#[test]
fn join_wakes_after_last_task_done() {
    loom::model(|| {
        let q = Arc::new(Queue::new(2));
        let q1 = q.clone();
        let consumer = thread::spawn(move || {
            loom::future::block_on(async {
                for _ in 0..2 {
                    q1.get().await.unwrap();
                    q1.task_done().unwrap();
                }
            });
            assert!(q1.task_done().is_err());
        });
        q.put_blocking(1).unwrap();
        q.put_blocking(2).unwrap();
        q.join_blocking();
        assert_eq!(q.unfinished_tasks(), 0);
        consumer.join().unwrap();
    });
}
