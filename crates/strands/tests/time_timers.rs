//! Timers: never early, `Duration::MAX` is never, a million at once, intervals.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use strands::{interval, sleep, sleep_until, timeout, MissedTickBehavior};

#[test]
fn sleeps_never_end_early() {
    strands::run(async {
        for ms in [1u64, 2, 3, 5, 8, 13] {
            let d = Duration::from_millis(ms);
            let start = Instant::now();
            sleep(d).await;
            assert!(start.elapsed() >= d, "{ms} ms sleep ended early");
        }
        // Sub-millisecond sleeps too (epoll counts milliseconds).
        for us in [1u64, 10, 100, 900] {
            let d = Duration::from_micros(us);
            let start = Instant::now();
            sleep(d).await;
            assert!(start.elapsed() >= d, "{us} us sleep ended early");
        }
    })
    .unwrap();
}

#[test]
fn many_sleeps_wake_in_deadline_order() {
    let order = Rc::new(std::cell::RefCell::new(Vec::new()));
    let o = order.clone();
    strands::run(async move {
        let tasks: Vec<_> = [7u64, 1, 5, 3, 9, 2]
            .into_iter()
            .map(|ms| {
                let o = o.clone();
                strands::spawn(async move {
                    sleep(Duration::from_millis(ms * 3)).await;
                    o.borrow_mut().push(ms);
                })
            })
            .collect();
        strands::gather(tasks).await.unwrap();
    })
    .unwrap();
    assert_eq!(*order.borrow(), [1, 2, 3, 5, 7, 9]);
}

#[test]
fn duration_max_means_never_and_does_not_overflow() {
    strands::run(async {
        assert!(timeout(Duration::from_millis(5), sleep(Duration::MAX))
            .await
            .is_err());
        // A timeout of MAX never fires.
        assert_eq!(timeout(Duration::MAX, async { 1 }).await.unwrap(), 1);
        let far = Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600);
        assert!(timeout(Duration::from_millis(1), sleep_until(far))
            .await
            .is_err());
    })
    .unwrap();
}

#[test]
fn timeouts_never_fire_early() {
    strands::run(async {
        for ms in [1u64, 3, 7] {
            let d = Duration::from_millis(ms);
            let start = Instant::now();
            let r = timeout(d, std::future::pending::<()>()).await;
            assert!(r.is_err());
            assert!(start.elapsed() >= d);
        }
    })
    .unwrap();
}

#[test]
fn a_sleep_in_the_past_yields_once() {
    strands::run(async {
        let ran = Rc::new(Cell::new(false));
        let r = ran.clone();
        let other = strands::spawn(async move { r.set(true) });
        sleep_until(Instant::now() - Duration::from_millis(5)).await;
        assert!(ran.get());
        other.await.unwrap();
    })
    .unwrap();
}

#[test]
fn reset_moves_the_deadline_both_ways() {
    strands::run(async {
        let start = Instant::now();
        let mut s = sleep(Duration::from_secs(3600));
        s.reset(start + Duration::from_millis(3));
        (&mut s).await;
        assert!(s.is_elapsed());
        assert!(start.elapsed() >= Duration::from_millis(3));
        s.reset(Instant::now() + Duration::from_millis(2));
        assert!(!s.is_elapsed());
        s.await;
    })
    .unwrap();
}

#[test]
fn cancelled_timers_release_their_slots() {
    // Churn: each timeout is cancelled by a quick inner future, long before it fires.
    strands::run(async {
        for _ in 0..50_000 {
            let r = timeout(Duration::from_secs(3600), async { 1 }).await;
            assert_eq!(r.unwrap(), 1);
        }
        let start = Instant::now();
        sleep(Duration::from_millis(1)).await;
        assert!(start.elapsed() >= Duration::from_millis(1));
    })
    .unwrap();
}

#[test]
fn a_million_concurrent_timers_all_fire() {
    let n: usize = 1_000_000;
    let fired = Rc::new(Cell::new(0usize));
    let f = fired.clone();
    strands::run(async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let f = f.clone();
                strands::spawn(async move {
                    sleep(Duration::from_millis(5 + (i % 20) as u64)).await;
                    f.set(f.get() + 1);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert!(start.elapsed() >= Duration::from_millis(24));
    })
    .unwrap();
    assert_eq!(fired.get(), n);
}

#[test]
fn interval_ticks_on_its_grid() {
    strands::run(async {
        let start = Instant::now();
        let period = Duration::from_millis(3);
        let mut every = interval(period);
        let first = every.tick().await;
        for k in 1..=4u32 {
            let t = every.tick().await;
            assert_eq!(t, first + period * k, "ticks are scheduled on the grid");
            assert!(Instant::now() >= t, "tick {k} was early");
        }
        assert!(start.elapsed() >= period * 4);
    })
    .unwrap();
}

/// Blocks the loop's thread to make an interval miss ticks.
fn stall(d: Duration) {
    std::thread::sleep(d);
}

#[test]
fn interval_burst_catches_up_on_missed_ticks() {
    strands::run(async {
        let period = Duration::from_millis(5);
        let mut every = interval(period);
        let first = every.tick().await;
        stall(period * 3 + Duration::from_millis(2));
        // The three missed ticks come at once, each with its own scheduled time.
        for k in 1..=3u32 {
            assert_eq!(every.tick().await, first + period * k);
        }
    })
    .unwrap();
}

#[test]
fn interval_skip_drops_missed_ticks_and_stays_on_the_grid() {
    strands::run(async {
        let period = Duration::from_millis(5);
        let mut every = interval(period);
        every.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let first = every.tick().await;
        stall(period * 3 + Duration::from_millis(2));
        let late = every.tick().await; // the one missed tick we still get
        assert_eq!(late, first + period);
        let next = every.tick().await;
        assert!(next >= first + period * 4, "missed ticks were skipped");
        assert_eq!((next - first).as_nanos() % period.as_nanos(), 0);
    })
    .unwrap();
}

#[test]
fn interval_delay_restarts_from_the_late_tick() {
    strands::run(async {
        let period = Duration::from_millis(5);
        let mut every = interval(period);
        every.set_missed_tick_behavior(MissedTickBehavior::Delay);
        every.tick().await;
        stall(period * 2);
        let late = every.tick().await;
        let seen = Instant::now();
        let next = every.tick().await;
        assert!(next >= seen + period - Duration::from_millis(1) && next > late + period);
    })
    .unwrap();
}

#[test]
#[should_panic(expected = "outside of a strands event loop")]
fn a_timer_outside_a_loop_panics_with_a_clear_message() {
    let mut s = std::pin::pin!(sleep(Duration::from_millis(1)));
    let waker = std::task::Waker::noop();
    let _ = std::future::Future::poll(s.as_mut(), &mut std::task::Context::from_waker(waker));
}
