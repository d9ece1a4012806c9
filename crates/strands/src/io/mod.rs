//! I/O on the loop: how sockets and pipes wait for readiness.
//!
//! [`IoSource`] wraps a non-blocking `mio` source. It registers with the running loop's
//! reactor on first use and turns every `WouldBlock` into "wait for the next edge". Each
//! successful operation spends one unit of the running task's cooperative budget (128 per
//! poll); when it runs out, the operation returns `Pending` after waking its task, so a task
//! reading a fast socket in a loop still lets the other tasks run.

mod source;
pub(crate) mod util;

pub(crate) use source::IoSource;
