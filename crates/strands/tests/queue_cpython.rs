//! The semantics of CPython's `Lib/test/test_queue.py` (and the 3.13 shutdown tests),
//! rewritten for strands: threads use the `_blocking` / `_timeout` forms, tasks `.await`.
//!
//! Attribution: test scenarios follow CPython's test suite (Python Software Foundation,
//! PSF License); no code was copied.
// `shuttle` is not in the workspace check-cfg list
// These tests use the std backend (smol, real threads); model builds run their own files.
#![cfg(not(any(strands_loom, shuttle)))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use smol::future;
use strands::queue::{
    GetError, GetTimeoutError, LifoQueue, PriorityQueue, PutTimeoutError, Queue, SimpleQueue,
    TryGetError, TryPutError,
};

const QUEUE_SIZE: usize = 5;

/// `BaseQueueTestMixin.simple_queue_test`, for the three orders.
fn simple_queue_test<Q>(q: &Q, put: impl Fn(&Q, i32), get: impl Fn(&Q) -> i32, expect: [i32; 6]) {
    for x in [111, 333, 222] {
        put(q, x);
    }
    for x in [44, 55, 66] {
        put(q, x);
    }
    let got: Vec<i32> = (0..6).map(|_| get(q)).collect();
    assert_eq!(got, expect);
}

#[test]
fn fifo_lifo_priority_order() {
    let q = Queue::new(0);
    simple_queue_test(
        &q,
        |q, x| q.put_blocking(x).unwrap(),
        |q| q.get_blocking().unwrap(),
        [111, 333, 222, 44, 55, 66],
    );
    let q = LifoQueue::new(0);
    simple_queue_test(
        &q,
        |q, x| q.put_blocking(x).unwrap(),
        |q| q.get_blocking().unwrap(),
        [66, 55, 44, 222, 333, 111],
    );
    let q = PriorityQueue::new(0);
    simple_queue_test(
        &q,
        |q, x| q.put_blocking(x).unwrap(),
        |q| q.get_blocking().unwrap(),
        [44, 55, 66, 111, 222, 333],
    );
}

#[test]
fn full_and_empty_and_nonblocking() {
    let q = Queue::new(QUEUE_SIZE);
    assert!(q.empty() && !q.full());
    for i in 0..QUEUE_SIZE {
        q.try_put(i).unwrap();
    }
    assert!(q.full());
    assert_eq!(q.qsize(), QUEUE_SIZE);
    assert!(matches!(q.try_put(9), Err(TryPutError::Full(9))));
    assert!(matches!(
        q.put_timeout(9, Duration::from_millis(10)),
        Err(PutTimeoutError::Timeout(9))
    ));
    for _ in 0..QUEUE_SIZE {
        q.try_get().unwrap();
    }
    assert_eq!(q.try_get(), Err(TryGetError::Empty));
    assert_eq!(
        q.get_timeout(Duration::from_millis(10)),
        Err(GetTimeoutError::Timeout)
    );
}

#[test]
fn blocking_put_released_by_get_from_task() {
    // `do_blocking_test(q.put, ...)`: a full queue's put blocks until a get frees a slot.
    let q = Arc::new(Queue::new(1));
    q.try_put(0).unwrap();
    let q2 = q.clone();
    let t0 = Instant::now();
    let t = std::thread::spawn(move || q2.put_blocking(1).unwrap());
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(future::block_on(q.get()), Ok(0));
    t.join().unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(20));
    assert_eq!(q.try_get(), Ok(1));
}

#[test]
fn blocking_get_released_by_put_from_task() {
    let q = Arc::new(Queue::<u8>::new(0));
    let q2 = q.clone();
    let t = std::thread::spawn(move || q2.get_blocking());
    std::thread::sleep(Duration::from_millis(20));
    future::block_on(q.put(5)).unwrap();
    assert_eq!(t.join().unwrap(), Ok(5));
}

/// `queue_join_test`: workers call task_done; join returns once all are done.
#[test]
fn task_done_and_join_threads_and_tasks() {
    let q = Arc::new(Queue::<Option<usize>>::new(0));
    let cum = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..2 {
        let (q, cum) = (q.clone(), cum.clone());
        workers.push(std::thread::spawn(move || loop {
            let x = q.get_blocking().unwrap();
            match x {
                None => {
                    q.task_done().unwrap();
                    return;
                }
                Some(v) => {
                    cum.fetch_add(v, Ordering::SeqCst);
                    q.task_done().unwrap();
                }
            }
        }));
    }
    for _ in 0..2 {
        let (q, cum) = (q.clone(), cum.clone());
        workers.push(std::thread::spawn(move || {
            future::block_on(async {
                loop {
                    match q.get().await.unwrap() {
                        None => {
                            q.task_done().unwrap();
                            return;
                        }
                        Some(v) => {
                            cum.fetch_add(v, Ordering::SeqCst);
                            q.task_done().unwrap();
                        }
                    }
                }
            })
        }));
    }
    for i in 0..100 {
        q.put_blocking(Some(i)).unwrap();
    }
    // join from a task and from a thread
    let q2 = q.clone();
    let joiner = std::thread::spawn(move || q2.join_blocking());
    future::block_on(q.join());
    joiner.join().unwrap();
    assert_eq!(cum.load(Ordering::SeqCst), (0..100).sum());
    for _ in 0..4 {
        q.put_blocking(None).unwrap();
    }
    q.join_blocking();
    for w in workers {
        w.join().unwrap();
    }
}

#[test]
fn task_done_too_many_times() {
    let q = Queue::<u8>::new(0);
    assert!(q.task_done().is_err());
    q.try_put(1).unwrap();
    q.try_get().unwrap();
    q.task_done().unwrap();
    assert!(q.task_done().is_err());
}

/// 3.13 `test_shutdown_*`: put fails at once; get drains, then fails.
#[test]
fn shutdown_drains_then_fails() {
    let q = Queue::new(0);
    q.try_put(1).unwrap();
    q.try_put(2).unwrap();
    q.shutdown(false);
    assert!(matches!(q.try_put(3), Err(TryPutError::ShutDown(3))));
    assert_eq!(q.get_blocking(), Ok(1));
    assert_eq!(future::block_on(q.get()), Ok(2));
    assert_eq!(q.get_blocking(), Err(GetError::ShutDown));
    assert_eq!(q.try_get(), Err(TryGetError::ShutDown));
    assert_eq!(
        q.get_timeout(Duration::from_millis(1)),
        Err(GetTimeoutError::ShutDown)
    );
}

/// `shutdown(immediate=True)` drops items and releases `join`; blocked getters and putters
/// (threads and tasks) all wake with ShutDown.
#[test]
fn shutdown_immediate_releases_everyone() {
    let q = Arc::new(Queue::new(1));
    // a blocked putter (thread)
    q.try_put(0).unwrap();
    let qp = q.clone();
    let putter = std::thread::spawn(move || qp.put_blocking(1));
    // a joiner (task on a thread)
    let qj = q.clone();
    let joiner = std::thread::spawn(move || future::block_on(qj.join()));
    std::thread::sleep(Duration::from_millis(20));
    q.shutdown(true);
    assert_eq!(putter.join().unwrap().unwrap_err().into_inner(), 1);
    joiner.join().unwrap();
    assert_eq!(q.qsize(), 0);
    // blocked getters on an empty queue
    let q = Arc::new(Queue::<u8>::new(0));
    let qg = q.clone();
    let getter = std::thread::spawn(move || qg.get_blocking());
    let qt = q.clone();
    let task_getter = std::thread::spawn(move || future::block_on(qt.get()));
    std::thread::sleep(Duration::from_millis(20));
    q.shutdown(false);
    assert_eq!(getter.join().unwrap(), Err(GetError::ShutDown));
    assert_eq!(task_getter.join().unwrap(), Err(GetError::ShutDown));
}

#[test]
fn shutdown_immediate_keeps_join_waiting_for_taken_items() {
    // An item already taken but not task_done'd still holds `join` (Python 3.13).
    let q = Queue::new(0);
    q.try_put(1).unwrap();
    q.try_put(2).unwrap();
    q.try_get().unwrap();
    q.shutdown(true);
    assert_eq!(q.unfinished_tasks(), 1);
    assert!(!q.join_timeout(Duration::from_millis(5)));
    q.task_done().unwrap();
    q.join_blocking();
}

#[test]
fn simple_queue_mixed() {
    let q = Arc::new(SimpleQueue::new());
    let q2 = q.clone();
    let t = std::thread::spawn(move || (0..100).map(|_| q2.get_blocking()).sum::<u32>());
    for i in 0..100 {
        q.put(i);
    }
    assert_eq!(t.join().unwrap(), 4950);
    q.put(7);
    assert_eq!(future::block_on(q.get()), 7);
    assert_eq!(q.try_get(), None);
    assert_eq!(q.get_timeout(Duration::from_millis(1)), None);
}

/// A cancelled get never loses an item; a cancelled put never half-enqueues.
#[test]
fn cancellation_never_loses_or_duplicates() {
    let q = Queue::new(1);
    future::block_on(async {
        // A get that is polled (registered) and then dropped.
        let mut g = Box::pin(q.get());
        assert!(future::poll_once(g.as_mut()).await.is_none());
        q.try_put(1).unwrap(); // notifies the registered getter
        drop(g); // ... which is cancelled: the item stays
        assert_eq!(q.try_get(), Ok(1));
        // A put blocked on a full queue, then dropped: nothing enqueued.
        q.try_put(2).unwrap();
        let mut p = Box::pin(q.put(3));
        assert!(future::poll_once(p.as_mut()).await.is_none());
        drop(p);
        assert_eq!(q.try_get(), Ok(2));
        assert_eq!(q.try_get(), Err(TryGetError::Empty));
    });
}

#[test]
fn duration_max_means_forever() {
    let q = Queue::new(1);
    q.put_timeout(1, Duration::MAX).unwrap();
    assert_eq!(q.get_timeout(Duration::MAX), Ok(1));
}
