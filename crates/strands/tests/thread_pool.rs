//! Threads, the thread pool and timers, waited for from threads and from tasks.
// `shuttle` is not in the workspace check-cfg list
// These tests use the std backend (smol, real threads); model builds run their own files.
#![cfg(not(any(strands_loom, shuttle)))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use smol::future;
use strands::sync::Event;
use strands::thread::{FutureError, Thread, ThreadPool, Timer, WaitTimeoutError};

#[test]
fn thread_result_name_and_panic_message() {
    let h = Thread::new(|| std::thread::current().name().map(str::to_owned))
        .name("named")
        .start()
        .unwrap();
    assert_eq!(h.join_blocking().unwrap().as_deref(), Some("named"));
    let h = Thread::new(|| std::thread::current().name().map(str::to_owned))
        .start()
        .unwrap();
    assert!(h
        .join_blocking()
        .unwrap()
        .unwrap()
        .starts_with("strands-thread-"));
    let h = Thread::new(|| -> () { panic!("kaboom {}", 7) })
        .name("p")
        .start()
        .unwrap();
    let e = h.join_blocking().unwrap_err();
    assert_eq!(e.message(), "kaboom 7");
    assert_eq!(e.thread_name(), "p");
}

#[test]
fn join_timeout_and_is_alive() {
    let gate = Arc::new(Event::new());
    let g = gate.clone();
    let h = Thread::new(move || g.wait_blocking()).start().unwrap();
    assert!(h.is_alive());
    let t0 = Instant::now();
    let h = match h.join_timeout(Duration::from_millis(20)) {
        Err(Ok(h)) => h,
        other => panic!("expected a timeout, got {:?}", other.map_err(|e| e.err())),
    };
    assert!(t0.elapsed() >= Duration::from_millis(20));
    gate.set();
    assert!(h.join_timeout(Duration::MAX).is_ok());
}

#[test]
fn task_awaits_a_thread() {
    let h = Thread::new(|| 40 + 2).start().unwrap();
    assert_eq!(future::block_on(h.join()), Ok(42));
}

#[test]
fn pool_futures_from_threads_and_tasks() {
    let pool = ThreadPool::builder()
        .max_workers(2)
        .name_prefix("tp")
        .build()
        .unwrap();
    let futs: Vec<_> = (0..20)
        .map(|i| pool.submit(move || i * 2).unwrap())
        .collect();
    let (even, odd): (Vec<_>, Vec<_>) = futs.into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let t = std::thread::spawn(move || {
        even.into_iter()
            .map(|(_, f)| f.wait_blocking().unwrap())
            .sum::<i32>()
    });
    let s2: i32 = future::block_on(async {
        let mut s = 0;
        for (_, f) in odd {
            s += f.await.unwrap();
        }
        s
    });
    assert_eq!(t.join().unwrap() + s2, (0..20).map(|i| i * 2).sum());
    let name = pool
        .submit(|| std::thread::current().name().unwrap().to_owned())
        .unwrap()
        .wait_blocking()
        .unwrap();
    assert!(name.starts_with("tp-"));
}

#[test]
fn cancel_only_before_it_runs() {
    let pool = ThreadPool::new(1).unwrap();
    let gate = Arc::new(Event::new());
    let started = Arc::new(Event::new());
    let (g, s) = (gate.clone(), started.clone());
    let running = pool
        .submit(move || {
            s.set();
            g.wait_blocking();
            1
        })
        .unwrap();
    let queued = pool.submit(|| 2).unwrap();
    started.wait_blocking();
    assert!(!running.cancel());
    assert!(running.is_running());
    assert!(queued.cancel());
    gate.set();
    assert_eq!(running.wait_blocking(), Ok(1));
    assert_eq!(queued.wait_blocking(), Err(FutureError::Cancelled));
}

#[test]
fn wait_timeout_hands_the_future_back() {
    let pool = ThreadPool::new(1).unwrap();
    let gate = Arc::new(Event::new());
    let g = gate.clone();
    let f = pool.submit(move || g.wait_blocking()).unwrap();
    let f = match f.wait_timeout(Duration::from_millis(10)) {
        Err(WaitTimeoutError::Timeout(f)) => f,
        other => panic!("expected timeout: {other:?}"),
    };
    gate.set();
    assert_eq!(f.wait_timeout(Duration::MAX).unwrap(), ());
}

#[test]
fn panicking_job_reports_message_and_pool_survives() {
    let pool = ThreadPool::new(1).unwrap();
    let f = pool.submit(|| -> u8 { panic!("job failed") }).unwrap();
    match f.wait_blocking() {
        Err(FutureError::Panicked(p)) => assert_eq!(p.message(), "job failed"),
        other => panic!("{other:?}"),
    }
    assert_eq!(pool.submit(|| 3).unwrap().wait_blocking(), Ok(3));
}

#[test]
fn map_in_order() {
    let pool = ThreadPool::new(2).unwrap();
    let out: Vec<u64> = pool
        .map(
            |x: u64| {
                std::thread::sleep(Duration::from_millis((10 - x) % 3));
                x * 10
            },
            0..10,
        )
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(out, (0..10).map(|x| x * 10).collect::<Vec<_>>());
}

#[test]
fn shutdown_wait_cancel_futures_and_submit_after() {
    let pool = ThreadPool::new(1).unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Event::new());
    let started = Arc::new(Event::new());
    let (g, s) = (gate.clone(), started.clone());
    let first = pool
        .submit(move || {
            s.set();
            g.wait_blocking()
        })
        .unwrap();
    started.wait_blocking();
    let rest: Vec<_> = (0..5)
        .map(|_| {
            let ran = ran.clone();
            pool.submit(move || {
                ran.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap()
        })
        .collect();
    let g2 = gate.clone();
    let opener = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(10));
        g2.set();
    });
    pool.shutdown(true, true);
    opener.join().unwrap();
    assert_eq!(first.wait_blocking(), Ok(()));
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    for f in rest {
        assert_eq!(f.wait_blocking(), Err(FutureError::Cancelled));
    }
    let err = pool.submit(|| 9).unwrap_err();
    assert_eq!(err.into_inner()(), 9);
    assert!(pool.map(|x: u8| x, [1]).is_err());
}

#[test]
fn timer_runs_after_delay_or_is_cancelled() {
    let t0 = Instant::now();
    let t = Timer::start(Duration::from_millis(20), || 1).unwrap();
    assert_eq!(t.join_blocking(), Ok(Some(1)));
    assert!(t0.elapsed() >= Duration::from_millis(20));
    let t = Timer::start(Duration::from_secs(3600), || 1).unwrap();
    t.cancel();
    assert_eq!(t.join_blocking(), Ok(None));
}
