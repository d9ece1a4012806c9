//! Reaching a loop from other threads: `Handle`, `RemoteTask`, `to_thread`.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use strands::{EventLoop, Handle};

/// Runs the loop until `done` returns true (checking every millisecond).
fn run_until(lp: &mut EventLoop, done: impl Fn() -> bool) {
    lp.block_on(async {
        while !done() {
            strands::sleep(Duration::from_millis(1)).await;
        }
    })
    .unwrap();
}

#[test]
fn eight_threads_call_soon_and_spawn_at_once_and_nothing_is_lost() {
    const THREADS: usize = 8;
    const EACH: usize = 2_000;
    let mut lp = EventLoop::new().unwrap();
    let calls = Rc::new(RefCell::new(vec![0u8; THREADS * EACH]));
    let seen = Arc::new(Mutex::new(vec![0u8; THREADS * EACH]));
    let spawned = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (handle, seen, spawned, start) =
                (lp.handle(), seen.clone(), spawned.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                let mut remotes = Vec::new();
                for i in 0..EACH {
                    let id = t * EACH + i;
                    let seen = seen.clone();
                    handle
                        .call_soon_threadsafe(move || seen.lock().unwrap()[id] += 1)
                        .unwrap();
                    let spawned = spawned.clone();
                    remotes.push(
                        handle
                            .spawn(async move {
                                spawned.fetch_add(1, Ordering::SeqCst);
                                id
                            })
                            .unwrap(),
                    );
                }
                remotes
                    .into_iter()
                    .enumerate()
                    .all(|(i, r)| r.wait_blocking().unwrap() == t * EACH + i)
            })
        })
        .collect();
    let total = THREADS * EACH;
    let s = spawned.clone();
    run_until(&mut lp, || s.load(Ordering::SeqCst) == total);
    for w in workers {
        assert!(w.join().unwrap(), "a RemoteTask returned a wrong value");
    }
    lp.block_on(strands::yield_now()).unwrap();
    assert!(
        seen.lock().unwrap().iter().all(|&n| n == 1),
        "each call ran exactly once"
    );
    drop(calls);
}

#[test]
fn call_soon_threadsafe_wakes_a_sleeping_loop() {
    let mut lp = EventLoop::new().unwrap();
    let handle = lp.handle();
    // The loop's only task waits for a flag; it has no timer, so the loop sleeps until the
    // callback (run on the loop's thread) sets the flag and wakes it.
    let waker: Arc<Mutex<Option<std::task::Waker>>> = Arc::default();
    let flag = Arc::new(AtomicBool::new(false));
    let (w, f) = (waker.clone(), flag.clone());
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        handle
            .call_soon_threadsafe(move || {
                f.store(true, Ordering::SeqCst);
                if let Some(w) = w.lock().unwrap().take() {
                    w.wake();
                }
            })
            .unwrap();
    });
    let start = Instant::now();
    lp.block_on(std::future::poll_fn(|cx| {
        if flag.load(Ordering::SeqCst) {
            return std::task::Poll::Ready(());
        }
        *waker.lock().unwrap() = Some(cx.waker().clone());
        std::task::Poll::Pending
    }))
    .unwrap();
    t.join().unwrap();
    assert!(start.elapsed() >= Duration::from_millis(20));
}

#[test]
fn a_remote_task_is_awaitable_by_a_task_of_another_loop() {
    let mut lp = EventLoop::new().unwrap();
    let handle = lp.handle();
    let other = std::thread::spawn(move || {
        strands::run(async move {
            let r = handle.spawn(async { 21 * 2 }).unwrap();
            r.await.unwrap()
        })
        .unwrap()
    });
    run_until(&mut lp, || other.is_finished());
    assert_eq!(other.join().unwrap(), 42);
}

#[test]
fn remote_cancel_stops_the_task() {
    let mut lp = EventLoop::new().unwrap();
    let remote = lp.handle().spawn(std::future::pending::<()>()).unwrap();
    lp.block_on(strands::yield_now()).unwrap();
    assert!(!remote.is_finished());
    let t = std::thread::spawn(move || {
        assert!(remote.cancel());
        remote.wait_blocking()
    });
    let res = loop {
        lp.block_on(strands::sleep(Duration::from_millis(1)))
            .unwrap();
        if t.is_finished() {
            break t.join().unwrap();
        }
    };
    assert!(res.unwrap_err().is_cancelled());
}

#[test]
fn wait_timeout_hands_the_task_back() {
    let mut lp = EventLoop::new().unwrap();
    let remote = lp.handle().spawn(async { 5 }).unwrap();
    let remote = std::thread::spawn(move || remote.wait_timeout(Duration::from_millis(5)))
        .join()
        .unwrap()
        .unwrap_err();
    lp.block_on(strands::yield_now()).unwrap();
    lp.block_on(strands::yield_now()).unwrap();
    let v = std::thread::spawn(move || remote.wait_timeout(Duration::MAX))
        .join()
        .unwrap()
        .ok()
        .unwrap();
    assert_eq!(v.unwrap(), 5);
}

#[test]
fn a_panicking_remote_task_reports_the_panic() {
    let mut lp = EventLoop::new().unwrap();
    let remote = lp.handle().spawn(async { panic!("remote boom") }).unwrap();
    let err = lp.block_on(remote).unwrap().unwrap_err();
    assert!(err.to_string().contains("remote boom"));
}

#[test]
fn spawning_onto_a_closed_loop_is_an_error_with_the_future_back() {
    let lp = EventLoop::new().unwrap();
    let handle = lp.handle();
    drop(lp);
    assert!(handle.is_closed());
    let err = handle.spawn(async { 9 }).unwrap_err();
    assert!(err.is_shut_down());
    assert_eq!(strands::run(err.into_inner()).unwrap(), 9);
    assert!(handle.call_soon_threadsafe(|| ()).is_err());
}

#[test]
fn work_queued_when_the_loop_closes_is_reported_cancelled() {
    let lp = EventLoop::new().unwrap();
    let remote = lp.handle().spawn(async { 1 }).unwrap();
    drop(lp); // never ran
    let r = std::thread::spawn(move || remote.wait_blocking())
        .join()
        .unwrap();
    assert!(r.unwrap_err().is_cancelled());
}

#[test]
#[should_panic(expected = "would block every task")]
fn blocking_wait_on_the_loop_thread_panics_with_the_fix() {
    strands::run(async {
        let r = Handle::current().spawn(async { 1 }).unwrap();
        let _ = r.wait_blocking();
    })
    .unwrap();
}

#[test]
fn a_panicking_callback_is_reported_and_the_loop_continues() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    let mut lp = EventLoop::builder()
        .on_task_panic(move |r| l.borrow_mut().push(r.to_string()))
        .build()
        .unwrap();
    lp.handle()
        .call_soon_threadsafe(|| panic!("callback failed"))
        .unwrap();
    assert_eq!(
        lp.block_on(async {
            strands::yield_now().await;
            1
        })
        .unwrap(),
        1
    );
    assert_eq!(log.borrow().len(), 1);
    assert!(log.borrow()[0].contains("callback failed"));
}

#[test]
fn wakers_from_other_threads_resume_local_tasks() {
    // A waker cloned by a thread wakes a non-Send task on the loop.
    strands::run(async {
        let ready = Arc::new(AtomicBool::new(false));
        let r = ready.clone();
        let local = Rc::new(5); // keeps the future !Send
        let waited = std::future::poll_fn(move |cx| {
            if r.load(Ordering::SeqCst) {
                return std::task::Poll::Ready(*local);
            }
            let (w, r2) = (cx.waker().clone(), r.clone());
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(2));
                r2.store(true, Ordering::SeqCst);
                w.wake();
            });
            std::task::Poll::Pending
        });
        assert_eq!(strands::spawn(waited).await.unwrap(), 5);
    })
    .unwrap();
}

#[test]
fn to_thread_runs_blocking_code_while_the_loop_keeps_going() {
    strands::run(async {
        let ticks = Rc::new(RefCell::new(0));
        let t = ticks.clone();
        let ticker = strands::spawn(async move {
            loop {
                strands::sleep(Duration::from_millis(1)).await;
                *t.borrow_mut() += 1;
            }
        });
        let name = strands::to_thread(|| {
            std::thread::sleep(Duration::from_millis(30));
            std::thread::current().name().map(str::to_owned)
        })
        .await
        .unwrap();
        assert!(name.unwrap().starts_with("strands-blocking-"));
        assert!(*ticks.borrow() >= 3, "the loop was blocked");
        ticker.cancel();
    })
    .unwrap();
}

#[test]
fn to_thread_panics_become_errors() {
    strands::run(async {
        let err = strands::to_thread(|| -> u8 { panic!("blocking failed") })
            .await
            .unwrap_err();
        assert!(err.is_panic());
        assert!(err.to_string().contains("blocking failed"));
    })
    .unwrap();
}

#[test]
fn to_thread_runs_many_closures_in_parallel_up_to_the_bound() {
    // Twice: the second burst finds idle pool threads, which must not each be counted on
    // for several jobs.
    for _ in 0..2 {
        to_thread_burst();
    }
}

fn to_thread_burst() {
    strands::run(async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                strands::spawn(strands::to_thread(move || {
                    std::thread::sleep(Duration::from_millis(50));
                    i
                }))
            })
            .collect();
        let out: Vec<_> = strands::gather(tasks)
            .await
            .unwrap()
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(out, (0..16).collect::<Vec<_>>());
        // Sixteen 50 ms sleeps in parallel, not in sequence (loose bound for slow machines).
        assert!(start.elapsed() < Duration::from_millis(16 * 50));
    })
    .unwrap();
}
