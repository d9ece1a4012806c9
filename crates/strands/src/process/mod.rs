//! Subprocesses on the loop (asyncio's `create_subprocess_exec` / `_shell`): [`Command`],
//! [`Child`], and the child's pipes [`PipeReader`] / [`PipeWriter`].
//!
//! # Reaping
//!
//! A child's exit is awaited on the loop through a **pidfd** registered with the reactor
//! (Linux ≥ 5.3); where the kernel refuses `pidfd_open`, through **`SIGCHLD`**
//! notifications from [`signal`](crate::signal) plus a 100 ms backstop. Children are reaped
//! with `waitpid` on their own pid only, never `waitpid(-1)`, so strands does not steal
//! other code's children, and never signals a pid after reaping it. A [`Child`] dropped
//! unreaped (killed first with [`Command::kill_on_drop`]) is reaped by the
//! `strands-reaper` thread, which polls its orphans with a back-off of 1 to 100 ms: no
//! zombie is left behind. Setting `STRANDS_PROCESS_REAPER=sigchld` before the first spawn
//! forces the `SIGCHLD` backend (for tests and diagnostics).
//!
//! - `command`: [`Command`], what to run
//! - `child`: [`Child`], wait, signals, `communicate`
//! - `pipe`: the standard streams on the loop
//! - `reap`: pidfd / `SIGCHLD` waiting and the orphan reaper                  (unsafe)

mod child;
mod command;
mod pipe;
mod reap;

pub use child::Child;
pub use command::Command;
pub use pipe::{PipeReader, PipeWriter};
pub use std::process::{ExitStatus, Output, Stdio};
