//! `wait`, `gather`, `gather_all`, `as_completed` and `shield`: ordering and cancellation.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use strands::{as_completed, gather, gather_all, sleep, spawn, wait, ReturnWhen, Task};

fn after(ms: u64, value: u32) -> Task<u32> {
    spawn(async move {
        sleep(Duration::from_millis(ms)).await;
        value
    })
}

#[test]
fn wait_first_completed_returns_done_and_pending_in_argument_order() {
    strands::run(async {
        let tasks = vec![after(200, 0), after(1, 1), after(300, 2)];
        let (done, pending) = wait(tasks, ReturnWhen::FirstCompleted, None).await;
        assert_eq!(done.len(), 1);
        assert_eq!(pending.len(), 2);
        assert!(
            pending.iter().all(|t| !t.is_finished()),
            "pending are not cancelled"
        );
        assert_eq!(done.into_iter().next().unwrap().await.unwrap(), 1);
        let (done, pending) = wait(pending, ReturnWhen::AllCompleted, None).await;
        assert!(pending.is_empty());
        let mut values = Vec::new();
        for t in done {
            values.push(t.await.unwrap());
        }
        assert_eq!(values, [0, 2]);
    })
    .unwrap();
}

#[test]
fn wait_first_exception_stops_at_a_panic() {
    strands::run(async {
        let slow = after(10_000, 0);
        let bad = spawn(async {
            sleep(Duration::from_millis(2)).await;
            panic!("bad")
        });
        let ok = after(1, 1);
        let (done, pending) = wait(vec![slow, bad, ok], ReturnWhen::FirstException, None).await;
        assert_eq!(done.len(), 2, "the quick success and the panic");
        assert_eq!(pending.len(), 1);
        for t in pending {
            t.cancel();
        }
    })
    .unwrap();
}

#[test]
fn wait_first_exception_without_a_panic_waits_for_all() {
    strands::run(async {
        let (done, pending) = wait(
            vec![after(1, 0), after(3, 1)],
            ReturnWhen::FirstException,
            None,
        )
        .await;
        assert_eq!((done.len(), pending.len()), (2, 0));
    })
    .unwrap();
}

#[test]
fn wait_with_a_timeout_returns_when_it_expires() {
    strands::run(async {
        let start = Instant::now();
        let (done, pending) = wait(
            vec![after(1, 0), after(10_000, 1)],
            ReturnWhen::AllCompleted,
            Some(Duration::from_millis(20)),
        )
        .await;
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert_eq!((done.len(), pending.len()), (1, 1));
        pending[0].cancel();
    })
    .unwrap();
}

#[test]
fn wait_on_nothing_returns_at_once() {
    strands::run(async {
        let (d, p) = wait(Vec::<Task<()>>::new(), ReturnWhen::AllCompleted, None).await;
        assert!(d.is_empty() && p.is_empty());
    })
    .unwrap();
}

#[test]
fn gather_returns_values_in_argument_order_not_completion_order() {
    strands::run(async {
        let tasks = vec![after(9, 0), after(1, 1), after(5, 2), after(3, 3)];
        assert_eq!(gather(tasks).await.unwrap(), [0, 1, 2, 3]);
    })
    .unwrap();
}

#[test]
fn gather_fails_fast_and_leaves_the_others_running() {
    let finished = Rc::new(Cell::new(false));
    let f = finished.clone();
    strands::run(async move {
        let slow = spawn(async move {
            sleep(Duration::from_millis(10)).await;
            f.set(true);
            0
        });
        let bad = spawn(async {
            strands::yield_now().await;
            panic!("gather me")
        });
        let err = gather(vec![slow, bad]).await.unwrap_err();
        assert!(err.is_panic());
        sleep(Duration::from_millis(30)).await;
    })
    .unwrap();
    assert!(
        finished.get(),
        "asyncio semantics: a failure does not cancel the others"
    );
}

#[test]
fn dropping_gather_cancels_the_children() {
    let dropped = Rc::new(Cell::new(0));
    strands::run({
        let dropped = dropped.clone();
        async move {
            struct Count(Rc<Cell<u32>>);
            impl Drop for Count {
                fn drop(&mut self) {
                    self.0.set(self.0.get() + 1);
                }
            }
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    let c = Count(dropped.clone());
                    spawn(async move {
                        let _c = c;
                        std::future::pending::<()>().await
                    })
                })
                .collect();
            let handles: Vec<_> = tasks.iter().map(|t| t.handle()).collect();
            let r = strands::timeout(Duration::from_millis(2), gather(tasks)).await;
            assert!(r.is_err());
            strands::yield_now().await;
            assert!(handles.iter().all(|h| h.is_finished()));
        }
    })
    .unwrap();
    assert_eq!(dropped.get(), 3);
}

#[test]
fn gather_all_keeps_every_outcome_in_order() {
    strands::run(async {
        let a = after(3, 1);
        let b = spawn(async { panic!("b") });
        let c = spawn(std::future::pending::<u32>());
        c.cancel();
        let all = gather_all(vec![a, b, c]).await;
        assert_eq!(*all[0].as_ref().unwrap(), 1);
        assert!(all[1].as_ref().unwrap_err().is_panic());
        assert!(all[2].as_ref().unwrap_err().is_cancelled());
    })
    .unwrap();
}

#[test]
fn gather_scales_to_many_tasks() {
    strands::run(async {
        let tasks: Vec<_> = (0..20_000u32)
            .map(|i| {
                spawn(async move {
                    strands::yield_now().await;
                    i
                })
            })
            .collect();
        let v = gather(tasks).await.unwrap();
        assert_eq!(v.len(), 20_000);
        assert!(v.iter().enumerate().all(|(i, x)| i as u32 == *x));
    })
    .unwrap();
}

#[test]
fn as_completed_yields_in_completion_order() {
    strands::run(async {
        let tasks = vec![after(15, 0), after(1, 1), after(8, 2)];
        let mut stream = as_completed(tasks);
        let mut order = Vec::new();
        while let Some(r) = stream.next().await {
            order.push(r.unwrap());
        }
        assert_eq!(order, [1, 2, 0]);
    })
    .unwrap();
}

#[test]
fn as_completed_is_a_stream() {
    use futures_core::Stream;
    strands::run(async {
        let mut s = as_completed(vec![after(1, 5)]);
        assert_eq!(s.size_hint(), (1, Some(1)));
        let next = std::future::poll_fn(|cx| std::pin::Pin::new(&mut s).poll_next(cx)).await;
        assert_eq!(next.unwrap().unwrap(), 5);
    })
    .unwrap();
}

#[test]
fn shield_protects_the_work_from_the_waiter_cancellation() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    strands::run(async move {
        let l2 = l.clone();
        let waiter = spawn(async move {
            let r = strands::shield(async move {
                sleep(Duration::from_millis(5)).await;
                l2.borrow_mut().push("shielded finished");
            })
            .await;
            l.borrow_mut().push("waiter finished");
            r
        });
        strands::yield_now().await;
        waiter.cancel();
        assert!(waiter.await.unwrap_err().is_cancelled());
        sleep(Duration::from_millis(20)).await;
    })
    .unwrap();
    assert_eq!(*log.borrow(), ["shielded finished"]);
}
