//! The event loop: one thread, its tasks, its timers.

mod context;

pub(crate) use context::is_loop_thread;
