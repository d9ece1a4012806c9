//! strands: asyncio **and** threading for Rust.
//!
//! - an event loop on one thread, with tasks, timers and cancellation ([`run`], [`spawn`],
//!   [`sleep`], [`timeout`], [`TaskGroup`], [`Handle`] for other threads, [`to_thread`]);
//! - OS threads and a thread pool;
//! - one set of synchronization primitives and queues usable from threads (blocking) and
//!   from tasks (`.await`) on the same object.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod loom;

pub mod event_loop;
pub mod queue;
pub mod sync;
pub mod thread;
