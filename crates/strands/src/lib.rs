//! strands: asyncio **and** threading for Rust.
//!
//! - an event loop on one thread, with tasks, timers and cancellation ([`run`], [`spawn`],
//!   [`sleep`], [`timeout`], [`TaskGroup`], [`Handle`] for other threads, [`to_thread`]);
//! - OS threads and a thread pool;
//! - one set of synchronization primitives and queues usable from threads (blocking) and
//!   from tasks (`.await`) on the same object.
//!
//! # Examples
//!
//! ```
//! let out = strands::run(async {
//!     let task = strands::spawn(async { 6 * 7 });
//!     strands::yield_now().await;
//!     task.await.unwrap()
//! })
//! .unwrap();
//! assert_eq!(out, 42);
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod loom;

pub mod event_loop;
mod io;
pub mod net;
pub mod process;
pub mod queue;
pub mod signal;
pub mod stream;
pub mod sync;
pub mod task;
pub mod thread;
pub mod time;

use std::future::Future;

pub use event_loop::{to_thread, EventLoop, Handle, RemoteTask, RunError, SpawnError, ToThread};
pub use task::{
    as_completed, current_task, gather, gather_all, shield, spawn, try_spawn, wait, yield_now,
    AsCompleted, GroupError, GroupFailure, Panic, ReturnWhen, Task, TaskError, TaskGroup,
    TaskHandle, TaskId,
};
pub use time::{
    interval, interval_at, sleep, sleep_until, timeout, timeout_at, Elapsed, Interval,
    MissedTickBehavior, Sleep, Timeout,
};

/// Runs `future` on a new event loop on this thread and returns its output (asyncio's
/// `run`). Tasks still pending when it completes are cancelled: their futures are dropped,
/// so their destructors run, before `run` returns.
///
/// # Errors
///
/// [`RunError::AlreadyRunning`] if a loop already runs on this thread (a nested `run` would
/// otherwise hang it), [`RunError::Io`] if the OS refuses the loop's epoll or eventfd,
/// [`RunError::Cancelled`] if the main future's task was cancelled.
///
/// # Panics
///
/// A panic of `future` itself propagates to the caller, after the loop has shut down.
///
/// # Examples
///
/// ```
/// let answer = strands::run(async { 42 }).unwrap();
/// assert_eq!(answer, 42);
/// ```
pub fn run<F: Future>(future: F) -> Result<F::Output, RunError> {
    if event_loop::is_loop_thread() {
        return Err(RunError::AlreadyRunning);
    }
    let mut lp = EventLoop::new().map_err(RunError::Io)?;
    lp.block_on(future)
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
mod readme {}
