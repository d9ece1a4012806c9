//! The callback form: `add_signal_handler` / `remove_signal_handler` (asyncio's
//! `loop.add_signal_handler`).
//!
//! A handler is a task on the loop that reads a [`Signal`] and calls the callback once per
//! (possibly coalesced) delivery. The loop's handlers are kept in a thread-local table keyed
//! by the loop and the signal; an entry whose task has finished (its loop shut down) is
//! stale and counts as absent, so a later loop at the same address is never confused with it.

use std::cell::RefCell;
use std::io;

use libc::c_int;

use crate::event_loop::core::Core;
use crate::event_loop::with_current;
use crate::signal::Signal;
use crate::task::TaskHandle;

/// A handler installed on a loop of this thread.
struct Installed {
    /// The loop, as the address of its core (compared, never dereferenced).
    core: *const Core,
    /// The signal.
    sig: c_int,
    /// The task that calls the callback.
    task: TaskHandle,
}

thread_local! {
    /// The handlers of the loops running on this thread.
    static HANDLERS: RefCell<Vec<Installed>> = const { RefCell::new(Vec::new()) };
}

/// Calls `callback` on the running loop each time `sig` is delivered, replacing the
/// callback this loop had for `sig`, if any (asyncio's `loop.add_signal_handler`).
///
/// The listener is installed before this returns. The callback runs on the loop's thread,
/// as a task, so it may spawn tasks but should not block. It stays installed until
/// [`remove_signal_handler`] or the loop's shutdown; deliveries close together may be
/// coalesced into one call.
///
/// # Errors
///
/// No loop runs on this thread; `sig` cannot be caught (`SIGKILL`, `SIGSTOP`) or is a fault
/// signal (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`); the OS refuses a pipe.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use strands::signal::{add_signal_handler, raise_signal, remove_signal_handler, SIGUSR2};
///
/// strands::run(async {
///     let hits = Rc::new(Cell::new(0));
///     let h = hits.clone();
///     add_signal_handler(SIGUSR2, move || h.set(h.get() + 1))?;
///     raise_signal(SIGUSR2)?;
///     while hits.get() == 0 {
///         strands::sleep(std::time::Duration::from_millis(1)).await;
///     }
///     assert!(remove_signal_handler(SIGUSR2));
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap()
/// .unwrap();
/// ```
pub fn add_signal_handler<F>(sig: c_int, mut callback: F) -> io::Result<()>
where
    F: FnMut() + 'static,
{
    let core = current_core()?;
    let mut signal = Signal::new(sig)?;
    let task = crate::spawn(async move {
        while signal.recv().await.is_ok() {
            callback();
        }
    });
    let task = task.handle();
    HANDLERS.with_borrow_mut(|handlers| {
        take(handlers, core, sig);
        handlers.push(Installed { core, sig, task });
    });
    Ok(())
}

/// Removes the running loop's callback for `sig`; returns whether there was one (asyncio's
/// `loop.remove_signal_handler`). The signal's previous action is restored when no other
/// listener of it remains in the process.
///
/// # Examples
///
/// ```
/// strands::run(async {
///     assert!(!strands::signal::remove_signal_handler(strands::signal::SIGHUP));
/// })
/// .unwrap();
/// ```
pub fn remove_signal_handler(sig: c_int) -> bool {
    let Ok(core) = current_core() else {
        return false;
    };
    HANDLERS.with_borrow_mut(|handlers| take(handlers, core, sig))
}

/// Cancels and forgets `core`'s handler for `sig` (and every stale entry); whether a live
/// one was found.
fn take(handlers: &mut Vec<Installed>, core: *const Core, sig: c_int) -> bool {
    let mut found = false;
    handlers.retain(|h| {
        if h.task.is_finished() {
            return false;
        }
        if std::ptr::eq(h.core, core) && h.sig == sig {
            found |= h.task.cancel();
            return false;
        }
        true
    });
    found
}

/// The running loop of this thread.
fn current_core() -> io::Result<*const Core> {
    with_current(|core| core.map(|c| c as *const Core))
        .ok_or_else(|| io::Error::other("no strands event loop is running on this thread"))
}
