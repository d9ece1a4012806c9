//! Cancellation: at every await point, of finished tasks, by timeouts; and panics contained.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use strands::{EventLoop, TaskError};

/// Records how far a task got and whether its state was dropped.
#[derive(Default)]
struct Progress {
    steps: Cell<u32>,
    dropped: Cell<bool>,
}

struct DropFlag(Rc<Progress>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.dropped.set(true);
    }
}

/// A task body with one await point of each kind.
async fn many_await_points(p: Rc<Progress>) {
    let _flag = DropFlag(p.clone());
    p.steps.set(1);
    strands::yield_now().await;
    p.steps.set(2);
    strands::sleep(Duration::from_millis(1)).await;
    p.steps.set(3);
    strands::spawn(async { strands::yield_now().await })
        .await
        .unwrap();
    p.steps.set(4);
    strands::to_thread(|| std::thread::sleep(Duration::from_millis(1)))
        .await
        .unwrap();
    p.steps.set(5);
    std::future::pending::<()>().await;
}

#[test]
fn cancel_at_each_await_point_drops_the_future_there() {
    for stop_at in 1..=5 {
        let p = Rc::new(Progress::default());
        let p2 = p.clone();
        strands::run(async move {
            let task = strands::spawn(many_await_points(p2.clone()));
            // Each yield of ours follows at most one poll of the task, so we see each step
            // while the task is suspended at the await that follows it.
            while p2.steps.get() < stop_at {
                strands::yield_now().await;
            }
            assert!(task.cancel());
            let err = task.await.unwrap_err();
            assert!(err.is_cancelled(), "{err}");
        })
        .unwrap();
        assert_eq!(p.steps.get(), stop_at, "went past the await point");
        assert!(
            p.dropped.get(),
            "state of the cancelled task was not dropped"
        );
    }
}

#[test]
fn cancel_before_first_poll_never_runs_the_task() {
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    strands::run(async move {
        let t = strands::spawn(async move { r.set(true) });
        assert!(t.cancel());
        assert!(t.await.unwrap_err().is_cancelled());
    })
    .unwrap();
    assert!(!ran.get());
}

#[test]
fn cancelling_a_finished_task_is_a_no_op() {
    strands::run(async {
        let t = strands::spawn(async { 7 });
        strands::yield_now().await;
        assert!(t.is_finished());
        assert!(!t.cancel());
        assert_eq!(t.await.unwrap(), 7);
    })
    .unwrap();
}

#[test]
fn cancelling_twice_is_harmless() {
    strands::run(async {
        let t = strands::spawn(std::future::pending::<()>());
        assert!(t.cancel());
        assert!(t.cancel());
        assert!(t.await.unwrap_err().is_cancelled());
    })
    .unwrap();
}

#[test]
fn a_task_cancelling_itself_stops_at_its_next_await() {
    let steps = Rc::new(Cell::new(0));
    let s = steps.clone();
    strands::run(async move {
        let t = strands::spawn(async move {
            strands::current_task().unwrap().cancel();
            s.set(1); // runs: cancellation takes effect at the next await
            strands::yield_now().await;
            s.set(2);
        });
        assert!(t.await.unwrap_err().is_cancelled());
    })
    .unwrap();
    assert_eq!(steps.get(), 1);
}

#[test]
fn a_task_that_finishes_despite_a_self_cancel_keeps_its_value() {
    strands::run(async {
        let t = strands::spawn(async {
            strands::current_task().unwrap().cancel();
            5
        });
        assert_eq!(t.await.unwrap(), 5);
    })
    .unwrap();
}

#[test]
fn dropping_a_task_detaches_it() {
    let done = Rc::new(Cell::new(false));
    let d = done.clone();
    strands::run(async move {
        drop(strands::spawn(async move {
            strands::sleep(Duration::from_millis(2)).await;
            d.set(true);
        }));
        strands::sleep(Duration::from_millis(20)).await;
    })
    .unwrap();
    assert!(done.get());
}

#[test]
fn timeout_drops_the_inner_future_when_it_expires() {
    let p = Rc::new(Progress::default());
    let p2 = p.clone();
    strands::run(async move {
        let inner = async move {
            let _f = DropFlag(p2);
            std::future::pending::<()>().await
        };
        let mut fut = std::pin::pin!(strands::timeout(Duration::from_millis(2), inner));
        let res = std::future::poll_fn(|cx| fut.as_mut().poll(cx)).await;
        assert!(res.is_err());
        // Dropped at expiry, while the `Timeout` itself is still alive.
        assert!(p.dropped.get());
    })
    .unwrap();
}

/// A future that panics when dropped.
struct PanicOnDrop;

impl Future for PanicOnDrop {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("destructor failed");
    }
}

fn loop_with_report_log() -> (EventLoop, Rc<RefCell<Vec<String>>>) {
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    let lp = EventLoop::builder()
        .on_task_panic(move |r| l.borrow_mut().push(r.to_string()))
        .build()
        .unwrap();
    (lp, log)
}

#[test]
fn a_panicking_task_is_reported_through_its_task_and_the_loop_continues() {
    let (mut lp, log) = loop_with_report_log();
    lp.block_on(async {
        let bad = strands::spawn(async { panic!("task exploded") });
        let good = strands::spawn(async {
            strands::yield_now().await;
            1
        });
        match bad.await {
            Err(TaskError::Panicked(p)) => assert_eq!(p.message(), "task exploded"),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(good.await.unwrap(), 1);
    })
    .unwrap();
    assert!(log.borrow().is_empty(), "an awaited panic is not unhandled");
}

#[test]
fn a_detached_panic_goes_to_the_hook() {
    let (mut lp, log) = loop_with_report_log();
    lp.block_on(async {
        let t = strands::task::Builder::new()
            .name("lonely")
            .spawn(async { panic!("nobody listens") });
        drop(t);
        strands::yield_now().await;
    })
    .unwrap();
    let log = log.borrow();
    assert_eq!(log.len(), 1);
    assert!(
        log[0].contains("'lonely'") && log[0].contains("nobody listens"),
        "{log:?}"
    );
    assert!(log[0].contains("detached"));
}

#[test]
fn a_panic_left_in_a_dropped_task_goes_to_the_hook() {
    let (mut lp, log) = loop_with_report_log();
    lp.block_on(async {
        let t = strands::spawn(async { panic!("never retrieved") });
        strands::yield_now().await;
        assert!(t.is_finished());
        drop(t);
    })
    .unwrap();
    assert_eq!(log.borrow().len(), 1);
    assert!(log.borrow()[0].contains("dropped unawaited"));
}

#[test]
fn a_destructor_panic_during_cancel_is_contained_and_reported() {
    let (mut lp, log) = loop_with_report_log();
    lp.block_on(async {
        let t = strands::spawn(PanicOnDrop);
        strands::yield_now().await;
        t.cancel();
        assert!(t.await.unwrap_err().is_cancelled());
        assert_eq!(strands::spawn(async { 2 }).await.unwrap(), 2);
    })
    .unwrap();
    assert_eq!(log.borrow().len(), 1);
    assert!(log.borrow()[0].contains("destructor failed"));
    // Also at shutdown.
    lp.block_on(async {
        drop(strands::spawn(PanicOnDrop));
        strands::yield_now().await;
    })
    .unwrap();
    drop(lp);
    assert_eq!(log.borrow().len(), 2);
}

#[test]
fn a_panicking_hook_does_not_take_the_loop_down() {
    let mut lp = EventLoop::builder()
        .on_task_panic(|_| panic!("hook failed"))
        .build()
        .unwrap();
    let v = lp
        .block_on(async {
            drop(strands::spawn(async { panic!("x") }));
            strands::yield_now().await;
            3
        })
        .unwrap();
    assert_eq!(v, 3);
}

#[test]
fn many_panicking_tasks_leave_the_loop_healthy() {
    let (mut lp, log) = loop_with_report_log();
    let n = lp
        .block_on(async {
            let tasks: Vec<_> = (0..200)
                .map(|i| {
                    strands::spawn(async move {
                        strands::yield_now().await;
                        if i % 2 == 0 {
                            panic!("even {i}");
                        }
                        i
                    })
                })
                .collect();
            let all = strands::gather_all(tasks).await;
            all.iter().filter(|r| r.is_err()).count()
        })
        .unwrap();
    assert_eq!(n, 100);
    assert!(log.borrow().is_empty());
}
