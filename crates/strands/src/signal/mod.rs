//! Unix signals on the loop: [`ctrl_c`], a stream per signal ([`signal`]) and callbacks
//! ([`add_signal_handler`]).
//!
//! How it works: a `sigaction` handler writes one byte to a non-blocking pipe per listener,
//! and each loop reads its listeners' pipes through its reactor, so every loop and every
//! listener is notified (`registry` has the design note and the safety argument). The
//! handler is installed when a signal gets its first listener in the process and the
//! previous action is restored when its last listener goes.
//!
//! - `registry`: the process-wide table and the async-signal-safe handler      (unsafe)
//! - `stream`: [`Signal`], one listener read on a loop
//! - `handler`: the callback form

mod handler;
pub(crate) mod registry;
mod stream;

use std::future::Future;
use std::io;

pub use handler::{add_signal_handler, remove_signal_handler};
pub use libc::c_int;
pub use libc::{
    SIGALRM, SIGCHLD, SIGCONT, SIGHUP, SIGINT, SIGPIPE, SIGQUIT, SIGTERM, SIGTSTP, SIGUSR1,
    SIGUSR2, SIGWINCH,
};
pub use stream::Signal;

/// A stream of the deliveries of `sig` (for example [`SIGUSR1`]); see [`Signal`].
///
/// # Errors
///
/// `InvalidInput` if `sig` cannot be caught (`SIGKILL`, `SIGSTOP`), is a fault signal
/// (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`) or is out of range; an OS error if no pipe can
/// be made (descriptor limit), or if more than 4096 listeners exist at once.
///
/// # Examples
///
/// ```
/// use strands::signal::{raise_signal, signal, SIGUSR1};
///
/// strands::run(async {
///     let mut a = signal(SIGUSR1)?;
///     let mut b = signal(SIGUSR1)?; // every listener is notified
///     raise_signal(SIGUSR1)?;
///     a.recv().await?;
///     b.recv().await?;
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap()
/// .unwrap();
/// ```
pub fn signal(sig: c_int) -> io::Result<Signal> {
    Signal::new(sig)
}

/// Completes at the next `SIGINT` (Ctrl-C).
///
/// The listener is installed when `ctrl_c` is *called*, not when the future is first
/// polled, so a `SIGINT` that arrives in between is not missed. While the future exists,
/// `SIGINT` no longer terminates the process; once it is gone (and no other `SIGINT`
/// listener remains), the previous action is restored.
///
/// # Errors
///
/// As [`signal`].
///
/// # Cancel safety
///
/// Dropping the future removes the listener; a `SIGINT` delivered before that is lost.
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let interrupted = strands::signal::ctrl_c();
///     strands::signal::raise_signal(strands::signal::SIGINT)?;
///     interrupted.await
/// })
/// .unwrap()
/// .unwrap();
/// ```
pub fn ctrl_c() -> impl Future<Output = io::Result<()>> {
    let listener = signal(SIGINT);
    async move { listener?.recv().await }
}

/// Sends `sig` to the calling thread (`raise(3)`); handy for tests and examples.
///
/// # Errors
///
/// `InvalidInput` for an invalid signal number.
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let mut s = strands::signal::signal(strands::signal::SIGUSR2)?;
///     strands::signal::raise_signal(strands::signal::SIGUSR2)?;
///     s.recv().await
/// })
/// .unwrap()
/// .unwrap();
/// ```
pub fn raise_signal(sig: c_int) -> io::Result<()> {
    // SAFETY: `raise` has no memory-safety preconditions; an invalid number is reported.
    if unsafe { libc::raise(sig) } != 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("cannot raise signal {sig}"),
        ));
    }
    Ok(())
}
