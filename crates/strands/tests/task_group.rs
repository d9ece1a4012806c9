//! `TaskGroup`: values in order, failure propagation, no child outliving the group.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use strands::{GroupFailure, TaskGroup};

struct Count(Rc<Cell<u32>>);

impl Drop for Count {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn values_come_back_in_spawn_order() {
    strands::run(async {
        let mut g: TaskGroup<u64, ()> = TaskGroup::new();
        for i in 0..10u64 {
            g.spawn(async move {
                strands::sleep(Duration::from_millis(10 - i)).await;
                Ok(i)
            });
        }
        assert_eq!(g.len(), 10);
        assert_eq!(g.join().await.unwrap(), (0..10).collect::<Vec<_>>());
    })
    .unwrap();
}

#[test]
fn the_first_failure_cancels_every_sibling() {
    let dropped = Rc::new(Cell::new(0));
    let d = dropped.clone();
    strands::run(async move {
        let mut g: TaskGroup<(), String> = TaskGroup::new();
        for _ in 0..5 {
            let c = Count(d.clone());
            g.spawn(async move {
                let _c = c;
                std::future::pending().await
            });
        }
        g.spawn(async {
            strands::sleep(Duration::from_millis(2)).await;
            Err("broken".to_string())
        });
        let err = g.join().await.unwrap_err();
        assert_eq!(err.failures().len(), 1);
        assert!(matches!(&err.failures()[0], GroupFailure::Error(e) if e == "broken"));
        assert_eq!(err.to_string(), "1 task of the group failed; first: broken");
    })
    .unwrap();
    assert_eq!(dropped.get(), 5);
}

#[test]
fn a_panic_is_a_failure_with_its_message() {
    strands::run(async {
        let mut g: TaskGroup<(), ()> = TaskGroup::new();
        g.spawn(async {
            strands::yield_now().await;
            panic!("child panicked")
        });
        g.spawn(std::future::pending());
        let err = g.join().await.unwrap_err();
        match &err.failures()[0] {
            GroupFailure::Panicked(p) => assert_eq!(p.message(), "child panicked"),
            other => panic!("{other:?}"),
        }
    })
    .unwrap();
}

#[test]
fn every_failure_is_reported() {
    strands::run(async {
        let mut g: TaskGroup<(), &str> = TaskGroup::new();
        // Cancelled from outside the group: its value is missing, that is a failure too.
        let victim = g.spawn(std::future::pending());
        g.spawn(async {
            strands::sleep(Duration::from_millis(5)).await;
            Err("late error")
        });
        strands::yield_now().await;
        victim.cancel();
        let err = g.join().await.unwrap_err();
        let kinds: Vec<_> = err
            .failures()
            .iter()
            .map(|f| match f {
                GroupFailure::Cancelled => "cancelled",
                GroupFailure::Error(e) => e,
                GroupFailure::Panicked(_) => "panic",
            })
            .collect();
        assert_eq!(kinds, ["cancelled", "late error"]);
    })
    .unwrap();
}

#[test]
fn children_spawned_after_a_failure_are_cancelled() {
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    strands::run(async move {
        let mut g: TaskGroup<(), u8> = TaskGroup::new();
        g.spawn(async { Err(1) });
        strands::yield_now().await;
        g.spawn(async move {
            r.set(true);
            Ok(())
        });
        assert!(g.join().await.is_err());
    })
    .unwrap();
    assert!(!ran.get());
}

#[test]
fn no_child_outlives_a_dropped_group() {
    let dropped = Rc::new(Cell::new(0));
    let d = dropped.clone();
    strands::run(async move {
        let mut g: TaskGroup<(), ()> = TaskGroup::new();
        let mut handles = Vec::new();
        for _ in 0..3 {
            let c = Count(d.clone());
            handles.push(g.spawn(async move {
                let _c = c;
                std::future::pending().await
            }));
        }
        // The join is abandoned by a timeout: the group goes with it.
        assert!(strands::timeout(Duration::from_millis(2), g.join())
            .await
            .is_err());
        strands::yield_now().await;
        assert!(handles.iter().all(|h| h.is_finished()));
    })
    .unwrap();
    assert_eq!(dropped.get(), 3);
}

#[test]
fn groups_nest() {
    strands::run(async {
        let mut outer: TaskGroup<u32, ()> = TaskGroup::new();
        for i in 0..3 {
            outer.spawn(async move {
                let mut inner: TaskGroup<u32, ()> = TaskGroup::new();
                for j in 0..3 {
                    inner.spawn(async move { Ok(i * 3 + j) });
                }
                Ok(inner.join().await.map_err(|_| ())?.iter().sum())
            });
        }
        assert_eq!(outer.join().await.unwrap(), [3, 12, 21]);
    })
    .unwrap();
}
