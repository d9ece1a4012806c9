//! Time on the loop: [`sleep`], [`sleep_until`], [`timeout`], [`interval`].
//!
//! Timers belong to the loop that first polls them and fire on its thread, never early.
//! `Duration::MAX` (or any deadline past what the clock can represent) means "never".
//!
//! Machinery: `timers` (the loop's heap of deadlines).

mod interval;
mod sleep;
mod timeout;
pub(crate) mod timers;

pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};
