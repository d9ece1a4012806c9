//! The process-wide signal table and the async-signal-safe handler.
//!
//! # Design
//!
//! Every listener (one [`Signal`](super::Signal)) owns a non-blocking pipe. Its write end is
//! published in [`SLOTS`] as one `AtomicU64` packing `(signal << 32) | fd`, so the handler
//! reads a listener's signal and descriptor in one load and never pairs a signal with
//! another listener's descriptor. When a signal arrives, [`on_signal`] writes one byte to
//! the pipe of every listener of that signal; each loop reads its own listeners' pipes
//! through its reactor. Several loops, and several listeners on one loop, are therefore all
//! notified, and the handler does nothing but atomic loads and `write(2)`, both
//! async-signal-safe.
//!
//! A descriptor must not be closed while a handler may still write to it (the number could
//! be reused by an unrelated file). The handler counts itself in [`ACTIVE`] before its first
//! load; [`unregister`] clears the slot and then waits for `ACTIVE` to reach zero before the
//! caller closes the pipe. With sequentially consistent operations, a handler that read the
//! old entry incremented `ACTIVE` before the slot was cleared, so the wait sees it; a handler
//! that starts later reads the cleared slot. (A handler interrupting the thread that waits
//! has finished before that thread resumes, so the wait cannot deadlock.)
//!
//! `sigaction` is installed when a signal gets its first listener and the previous action is
//! restored when its last listener goes, so a program that stops listening for `SIGINT` dies
//! on Ctrl-C again. Registration runs under [`REGISTRY`]'s lock; the handler never locks.
//!
//! This module uses `std` atomics and locks directly rather than the `crate::loom` shim: the
//! table is process-global (`static`), and loom does not model signal handlers.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Mutex, PoisonError};

use libc::c_int;

/// Listener slots in the table: the most signal listeners alive at once in a process.
pub(crate) const MAX_LISTENERS: usize = 4096;

/// Signal numbers accepted: `1..=MAX_SIGNAL` (Linux has 64).
const MAX_SIGNAL: c_int = 64;

/// A free slot.
const FREE: u64 = 0;

/// The listeners: `(signal << 32) | write fd`, or [`FREE`].
static SLOTS: [AtomicU64; MAX_LISTENERS] = [const { AtomicU64::new(FREE) }; MAX_LISTENERS];

/// One past the highest slot ever used: the handler scans `SLOTS[..HIGH]`.
static HIGH: AtomicUsize = AtomicUsize::new(0);

/// Handlers currently running (on any thread).
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// What registration needs besides the slots.
struct Registry {
    /// Listeners per signal number.
    listeners: [u32; MAX_SIGNAL as usize + 1],
    /// The action each signal had before strands installed its handler.
    previous: [Option<libc::sigaction>; MAX_SIGNAL as usize + 1],
}

/// Serializes registration and `sigaction` calls.
static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    listeners: [0; MAX_SIGNAL as usize + 1],
    previous: [None; MAX_SIGNAL as usize + 1],
});

/// The signal handler: one byte to each listener of `sig`.
extern "C" fn on_signal(sig: c_int) {
    // SAFETY: `__errno_location` returns this thread's errno, valid for the thread's life.
    let errno = unsafe { *libc::__errno_location() };
    ACTIVE.fetch_add(1, SeqCst);
    let high = HIGH.load(SeqCst);
    for slot in &SLOTS[..high] {
        let entry = slot.load(SeqCst);
        if entry != FREE && (entry >> 32) as c_int == sig {
            let fd = entry as u32 as RawFd;
            // The pipe is non-blocking: a full pipe already holds a pending notification,
            // so a failed write loses nothing.
            // SAFETY: `write` is async-signal-safe; `fd` stays open while `ACTIVE` counts us.
            unsafe { libc::write(fd, [1u8].as_ptr().cast(), 1) };
        }
    }
    ACTIVE.fetch_sub(1, SeqCst);
    // SAFETY: as above; the interrupted code must see its own errno unchanged.
    unsafe { *libc::__errno_location() = errno };
}

/// Why a signal number is refused, if it is.
pub(crate) fn check(sig: c_int) -> io::Result<()> {
    let why = match sig {
        libc::SIGKILL | libc::SIGSTOP => "it cannot be caught",
        libc::SIGILL | libc::SIGFPE | libc::SIGSEGV | libc::SIGBUS => {
            "it reports a fault that must be handled synchronously"
        }
        s if !(1..=MAX_SIGNAL).contains(&s) => "it is not a valid signal number",
        _ => return Ok(()),
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("signal {sig} cannot be listened for: {why}"),
    ))
}

/// Publishes `fd` as a listener of `sig`, installing the handler if it is the first one.
/// Returns the slot, for [`unregister`].
pub(crate) fn register(sig: c_int, fd: RawFd) -> io::Result<usize> {
    check(sig)?;
    let mut reg = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    let slot = free_slot()?;
    if reg.listeners[sig as usize] == 0 {
        reg.previous[sig as usize] = Some(install(sig)?);
    }
    reg.listeners[sig as usize] += 1;
    SLOTS[slot].store(((sig as u64) << 32) | u64::from(fd as u32), SeqCst);
    Ok(slot)
}

/// Removes the listener in `slot`; after this returns no handler will write to its pipe, so
/// the caller may close it. Restores the previous action after the last listener of `sig`.
pub(crate) fn unregister(sig: c_int, slot: usize) {
    let mut reg = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    SLOTS[slot].store(FREE, SeqCst);
    while ACTIVE.load(SeqCst) != 0 {
        std::thread::yield_now();
    }
    reg.listeners[sig as usize] -= 1;
    if reg.listeners[sig as usize] == 0 {
        if let Some(previous) = reg.previous[sig as usize].take() {
            restore(sig, &previous);
        }
    }
}

/// A free slot index (called under the registry lock).
fn free_slot() -> io::Result<usize> {
    let high = HIGH.load(SeqCst);
    if let Some(i) = SLOTS[..high].iter().position(|s| s.load(SeqCst) == FREE) {
        return Ok(i);
    }
    if high == MAX_LISTENERS {
        return Err(io::Error::other(format!(
            "too many signal listeners (at most {MAX_LISTENERS} at once)"
        )));
    }
    HIGH.store(high + 1, SeqCst);
    Ok(high)
}

/// Installs [`on_signal`] for `sig`; returns the previous action.
fn install(sig: c_int) -> io::Result<libc::sigaction> {
    // SAFETY: `sigaction` is plain data; all-zero is a valid (empty) value.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_signal as extern "C" fn(c_int) as libc::sighandler_t;
    // Restart interrupted system calls of other threads; use the alternate stack if the
    // thread has one (the handler needs very little).
    action.sa_flags = libc::SA_RESTART | libc::SA_ONSTACK;
    // SAFETY: as above.
    let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: `action.sa_mask` is a valid `sigset_t` to initialize; `action` and `previous`
    // are valid for the call; `on_signal` is async-signal-safe (see the design note).
    let rc = unsafe {
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(sig, &action, &mut previous)
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(previous)
}

/// Puts back the action `sig` had before strands.
fn restore(sig: c_int, previous: &libc::sigaction) {
    // SAFETY: `previous` was filled by `sigaction` for this signal. The call cannot fail
    // for a signal that `install` accepted, so its result is not checked.
    unsafe { libc::sigaction(sig, previous, std::ptr::null_mut()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_uncatchable_and_fault_signals() {
        for sig in [0, -1, 65, libc::SIGKILL, libc::SIGSTOP, libc::SIGSEGV] {
            assert_eq!(
                check(sig).unwrap_err().kind(),
                io::ErrorKind::InvalidInput,
                "{sig}"
            );
        }
        assert!(check(libc::SIGUSR1).is_ok());
    }
}
