//! `interval`: ticks at a fixed period.

use std::future::poll_fn;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::time::sleep::{sleep_until, Sleep};

/// What an [`Interval`] does when ticks were missed (the loop was busy longer than a period).
///
/// # Examples
///
/// ```
/// let mut i = strands::interval(std::time::Duration::from_millis(10));
/// i.set_missed_tick_behavior(strands::MissedTickBehavior::Skip);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks back to back until caught up (keeps the count of ticks).
    #[default]
    Burst,
    /// Restart the schedule from now: the next tick is one period after the late one.
    Delay,
    /// Drop the missed ticks and stay on the original grid.
    Skip,
}

/// Ticks every `period`, the first tick at once.
///
/// # Panics
///
/// If `period` is zero.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// strands::run(async {
///     let start = Instant::now();
///     let mut every = strands::interval(Duration::from_millis(2));
///     for _ in 0..3 {
///         every.tick().await;
///     }
///     assert!(start.elapsed() >= Duration::from_millis(4));
/// })
/// .unwrap();
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// # Panics
///
/// If `period` is zero.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// strands::run(async {
///     let start = Instant::now() + Duration::from_millis(3);
///     let mut i = strands::interval_at(start, Duration::from_millis(1));
///     assert!(i.tick().await >= start);
/// })
/// .unwrap();
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        period > Duration::ZERO,
        "strands::interval: the period must be non-zero"
    );
    Interval {
        next: Some(start),
        period,
        behavior: MissedTickBehavior::default(),
        sleep: sleep_until(start),
    }
}

/// A periodic timer; see [`interval`].
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let mut i: strands::Interval = strands::interval(std::time::Duration::from_millis(1));
///     i.tick().await;
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
pub struct Interval {
    /// The next scheduled tick (`None` once past what `Instant` can represent).
    next: Option<Instant>,
    /// Time between ticks.
    period: Duration,
    /// Policy for missed ticks.
    behavior: MissedTickBehavior,
    /// Sleeps until `next`.
    sleep: Sleep,
}

impl Interval {
    /// Waits for the next tick and returns its scheduled time.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a dropped `tick()` consumes no tick.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let mut i = strands::interval(std::time::Duration::from_millis(1));
    ///     let a = i.tick().await;
    ///     let b = i.tick().await;
    ///     assert!(b > a);
    /// })
    /// .unwrap();
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick.
    fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        let Some(scheduled) = self.next else {
            return Poll::Pending; // beyond the representable future: never
        };
        if Instant::now() < scheduled && self.sleep.poll_sleep(cx).is_pending() {
            return Poll::Pending;
        }
        let now = Instant::now();
        let next = match self.behavior {
            MissedTickBehavior::Burst => scheduled.checked_add(self.period),
            MissedTickBehavior::Delay => now.checked_add(self.period),
            MissedTickBehavior::Skip => {
                let behind = now.saturating_duration_since(scheduled).as_nanos();
                let periods = behind / self.period.as_nanos() + 1;
                u32::try_from(periods)
                    .ok()
                    .and_then(|p| self.period.checked_mul(p))
                    .and_then(|d| scheduled.checked_add(d))
            }
        };
        self.next = next;
        if let Some(n) = next {
            self.sleep.reset(n);
        }
        Poll::Ready(scheduled)
    }

    /// Sets the policy for missed ticks.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut i = strands::interval(std::time::Duration::from_millis(1));
    /// i.set_missed_tick_behavior(strands::MissedTickBehavior::Delay);
    /// assert_eq!(i.missed_tick_behavior(), strands::MissedTickBehavior::Delay);
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.behavior = behavior;
    }

    /// The policy for missed ticks.
    ///
    /// # Examples
    ///
    /// ```
    /// let i = strands::interval(std::time::Duration::from_millis(1));
    /// assert_eq!(i.missed_tick_behavior(), strands::MissedTickBehavior::Burst);
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.behavior
    }

    /// The period.
    ///
    /// # Examples
    ///
    /// ```
    /// let i = strands::interval(std::time::Duration::from_millis(7));
    /// assert_eq!(i.period(), std::time::Duration::from_millis(7));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }
}
