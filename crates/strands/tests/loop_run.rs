//! `run`, `EventLoop::block_on`, shutdown, and the scheduling order of the loop.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use strands::{EventLoop, RunError};

/// Counts drops of the values it is cloned into.
#[derive(Clone, Default)]
struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    fn token(&self) -> Token {
        Token(self.0.clone())
    }
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

struct Token(Arc<AtomicUsize>);

impl Drop for Token {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn run_returns_the_output() {
    assert_eq!(strands::run(async { 1 + 1 }).unwrap(), 2);
}

#[test]
fn run_accepts_borrowing_futures() {
    let v = [1, 2, 3];
    let total: i32 = strands::run(async { v.iter().sum() }).unwrap();
    assert_eq!(total, 6);
    assert_eq!(v.len(), 3);
}

#[test]
fn nested_run_is_an_error_not_a_hang() {
    let inner = strands::run(async { strands::run(async { 1 }) }).unwrap();
    assert!(matches!(inner, Err(RunError::AlreadyRunning)));
    let mut lp = EventLoop::new().unwrap();
    let inner = strands::run(async { EventLoop::new().unwrap().block_on(async {}).is_err() });
    assert!(inner.unwrap());
    assert_eq!(lp.block_on(async { 3 }).unwrap(), 3);
}

#[test]
fn run_cancels_pending_tasks_and_runs_their_destructors() {
    let drops = DropCounter::default();
    let d = drops.clone();
    strands::run(async move {
        for _ in 0..10 {
            let token = d.token();
            drop(strands::spawn(async move {
                let _token = token;
                std::future::pending::<()>().await;
            }));
        }
        strands::yield_now().await; // let them start
    })
    .unwrap();
    assert_eq!(drops.count(), 10);
}

#[test]
fn tasks_never_polled_are_dropped_at_shutdown() {
    let drops = DropCounter::default();
    let d = drops.clone();
    strands::run(async move {
        let token = d.token();
        drop(strands::spawn(async move { drop(token) }));
    })
    .unwrap();
    assert_eq!(drops.count(), 1);
}

#[test]
fn destructors_may_spawn_during_shutdown() {
    struct SpawnOnDrop(DropCounter);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let token = self.0.token();
            // The loop is shutting down: the new task is cancelled too, never leaked.
            drop(strands::spawn(async move {
                let _t = token;
                std::future::pending::<()>().await
            }));
        }
    }
    let drops = DropCounter::default();
    let d = drops.clone();
    strands::run(async move {
        let guard = SpawnOnDrop(d);
        drop(strands::spawn(async move {
            let _g = guard;
            std::future::pending::<()>().await
        }));
        strands::yield_now().await;
    })
    .unwrap();
    assert_eq!(drops.count(), 1);
}

#[test]
fn block_on_keeps_tasks_between_calls() {
    let mut lp = EventLoop::new().unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    let t = lp.spawn(async move {
        l.borrow_mut().push(1);
        strands::sleep(Duration::from_millis(5)).await;
        l.borrow_mut().push(2);
        "done"
    });
    lp.block_on(strands::yield_now()).unwrap();
    assert_eq!(*log.borrow(), [1]);
    assert_eq!(lp.pending_tasks(), 1);
    assert_eq!(lp.block_on(t).unwrap().unwrap(), "done");
    assert_eq!(*log.borrow(), [1, 2]);
    assert_eq!(lp.pending_tasks(), 0);
}

#[test]
#[should_panic(expected = "main failed")]
fn a_panic_of_the_main_future_propagates() {
    strands::run(async { panic!("main failed") }).unwrap();
}

#[test]
fn main_future_panic_still_shuts_the_loop_down() {
    let drops = DropCounter::default();
    let d = drops.clone();
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        strands::run(async move {
            let token = d.token();
            drop(strands::spawn(async move {
                let _t = token;
                std::future::pending::<()>().await
            }));
            strands::yield_now().await;
            panic!("boom");
        })
    }));
    assert!(res.is_err());
    assert_eq!(drops.count(), 1);
    // The thread can run a loop again.
    assert_eq!(strands::run(async { 1 }).unwrap(), 1);
}

#[test]
fn cancelling_the_main_task_is_reported() {
    let res = strands::run(async {
        strands::current_task().unwrap().cancel();
        strands::yield_now().await;
        1
    });
    assert!(matches!(res, Err(RunError::Cancelled)));
}

#[test]
#[should_panic(expected = "outside of an event loop")]
fn spawn_outside_a_loop_panics_with_the_fix() {
    drop(strands::spawn(async {}));
}

#[test]
fn try_spawn_outside_a_loop_hands_the_future_back() {
    let err = strands::try_spawn(async { 5 }).unwrap_err();
    assert_eq!(err.to_string(), "no event loop is running on this thread");
    let fut = err.into_inner();
    assert_eq!(strands::run(fut).unwrap(), 5);
}

/// The article's asyncio program: two coroutines that yield between their two blocks.
#[test]
fn article_async_program_interleaves_exactly() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    strands::run(async move {
        let worker = |name: &'static str, log: Rc<RefCell<Vec<String>>>| async move {
            log.borrow_mut().push(format!("{name} block 1"));
            strands::yield_now().await;
            log.borrow_mut().push(format!("{name} block 2"));
        };
        let a = strands::spawn(worker("do_first", l.clone()));
        let b = strands::spawn(worker("do_second", l.clone()));
        a.await.unwrap();
        b.await.unwrap();
    })
    .unwrap();
    assert_eq!(
        *log.borrow(),
        [
            "do_first block 1",
            "do_second block 1",
            "do_first block 2",
            "do_second block 2"
        ]
    );
}

#[test]
fn yield_now_runs_every_task_that_was_ready_before() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    strands::run(async move {
        let mut tasks = Vec::new();
        for id in 0..4 {
            let l = l.clone();
            tasks.push(strands::spawn(async move {
                for round in 0..3 {
                    l.borrow_mut().push((round, id));
                    strands::yield_now().await;
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    })
    .unwrap();
    let expected: Vec<_> = (0..3)
        .flat_map(|round| (0..4).map(move |id| (round, id)))
        .collect();
    assert_eq!(*log.borrow(), expected);
}

#[test]
fn sleep_zero_is_a_yield() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    strands::run(async move {
        let l2 = l.clone();
        let other = strands::spawn(async move { l2.borrow_mut().push("other") });
        strands::sleep(Duration::ZERO).await;
        l.borrow_mut().push("main");
        other.await.unwrap();
    })
    .unwrap();
    assert_eq!(*log.borrow(), ["other", "main"]);
}

#[test]
fn tasks_can_be_named_and_found() {
    strands::run(async {
        let t = strands::task::Builder::new().name("worker").spawn(async {
            let me = strands::current_task().unwrap();
            (me.id(), me.name().map(str::to_owned))
        });
        let id = t.id();
        let (seen_id, name) = t.await.unwrap();
        assert_eq!(seen_id, id);
        assert_eq!(name.as_deref(), Some("worker"));
    })
    .unwrap();
    assert!(strands::current_task().is_none());
}

#[test]
fn a_task_can_spawn_many_levels_deep() {
    fn fan(depth: u32) -> std::pin::Pin<Box<dyn std::future::Future<Output = u64>>> {
        Box::pin(async move {
            if depth == 0 {
                return 1;
            }
            let a = strands::spawn(fan(depth - 1));
            let b = strands::spawn(fan(depth - 1));
            a.await.unwrap() + b.await.unwrap()
        })
    }
    assert_eq!(strands::run(fan(12)).unwrap(), 4096);
}

#[test]
fn budget_one_still_runs_everything_in_order() {
    let mut lp = EventLoop::builder().budget(1).build().unwrap();
    let out = lp
        .block_on(async {
            let tasks: Vec<_> = (0..100).map(|i| strands::spawn(async move { i })).collect();
            strands::gather(tasks).await.unwrap()
        })
        .unwrap();
    assert_eq!(out, (0..100).collect::<Vec<_>>());
}

/// A future whose destructor wakes its own task (as a oneshot sender and receiver living in
/// one task do).
struct WakeSelfOnDrop(Option<std::task::Waker>);

impl std::future::Future for WakeSelfOnDrop {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        self.0 = Some(cx.waker().clone());
        std::task::Poll::Pending
    }
}

impl Drop for WakeSelfOnDrop {
    fn drop(&mut self) {
        if let Some(w) = self.0.take() {
            w.wake();
        }
    }
}

#[test]
fn a_task_waking_itself_while_cancelled_at_shutdown_is_freed_once() {
    // Regression: the wake used to queue the task after its last reference was gone.
    for _ in 0..10 {
        strands::run(async {
            for _ in 0..10 {
                drop(strands::spawn(WakeSelfOnDrop(None)));
            }
            strands::yield_now().await;
        })
        .unwrap();
    }
    let mut lp = EventLoop::new().unwrap();
    lp.block_on(async {
        drop(strands::spawn(WakeSelfOnDrop(None)));
        strands::yield_now().await;
    })
    .unwrap();
    drop(lp);
}

#[test]
fn a_sleep_carried_to_a_new_loop_is_not_confused_with_it() {
    // Regression: loops used to be told apart by the address of their core, which the next
    // loop often reuses.
    let mut sleep = Box::pin(strands::sleep(Duration::from_millis(300)));
    let start = std::time::Instant::now();
    let _ = strands::run(strands::timeout(Duration::from_millis(1), sleep.as_mut()));
    let _ = strands::run(strands::timeout(Duration::from_millis(1), sleep.as_mut()));
    strands::run(sleep.as_mut()).unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "the sleep ended early"
    );
}
