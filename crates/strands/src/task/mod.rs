//! Tasks: spawning, awaiting, cancelling, and combining them.
//!
//! - [`spawn`] / [`Builder`] start a task on the current loop and return a [`Task`];
//! - [`yield_now`], [`current_task`];
//! - combinators: [`wait`], [`gather`], [`gather_all`], [`as_completed`], [`shield`];
//! - structured concurrency: [`TaskGroup`].
//!
//! Machinery: `raw` (the one allocation per task and its waker), `state` (scheduling bits).

mod builder;
mod combinators;
pub(crate) mod error;
mod group;
mod join;
pub(crate) mod promise;
pub(crate) mod raw;
pub(crate) mod state;
mod yield_now;

use std::fmt;

pub use builder::{current_task, spawn, try_spawn, Builder};
pub use combinators::{as_completed, gather, gather_all, shield, wait, AsCompleted, ReturnWhen};
pub use error::{Panic, TaskError};
pub use group::{GroupError, GroupFailure, TaskGroup};
pub use join::{Task, TaskHandle};
pub use raw::TaskId;
pub use yield_now::{yield_now, YieldNow};

/// A panic that no [`Task`] will report, handed to the loop's panic hook
/// ([`Builder::on_task_panic`](crate::event_loop::Builder::on_task_panic)).
///
/// # Examples
///
/// ```
/// let lp = strands::EventLoop::builder()
///     .on_task_panic(|r: &strands::task::UnhandledPanic<'_>| eprintln!("{r}"))
///     .build()?;
/// # drop(lp);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct UnhandledPanic<'a> {
    /// The task, or `None` for a `call_soon_threadsafe` callback.
    pub task: Option<TaskId>,
    /// The task's name, if it has one.
    pub name: Option<&'a str>,
    /// Where a named task was spawned.
    pub spawned_at: Option<&'static std::panic::Location<'static>>,
    /// The panic.
    pub panic: &'a Panic,
    /// What happened, e.g. "panicked in a detached task".
    pub context: &'static str,
}

impl fmt::Display for UnhandledPanic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.task, self.name) {
            (Some(id), Some(name)) => write!(f, "task {id} '{name}' ")?,
            (Some(id), None) => write!(f, "task {id} ")?,
            _ => {}
        }
        write!(f, "{}: {}", self.context, self.panic.message())?;
        if let Some(at) = self.spawned_at {
            write!(f, " (spawned at {at})")?;
        }
        Ok(())
    }
}
