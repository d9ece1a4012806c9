//! Reaping: how the loop learns that a child exited, and who reaps the children nobody waits
//! for.
//!
//! # Design
//!
//! A child is reaped only by `waitpid(pid, WNOHANG)` on its own pid (through
//! `std::process::Child::try_wait`), never by `waitpid(-1)`, so strands never steals the
//! exit status of a child that other code in the process spawned. Until it is reaped, the
//! pid cannot be reused, so signalling it is safe; once reaped, strands never signals it.
//!
//! Waiting on the loop ([`ExitWatch`]) has two backends, chosen per child at its first wait:
//!
//! - **pidfd** (Linux ≥ 5.3): `pidfd_open(pid)` gives a descriptor that becomes readable
//!   when the child exits. It is registered with the loop's reactor like a socket: try
//!   `waitpid` first (optimistic), and on "not yet" wait for the descriptor's edge. No
//!   signal handler, no thread, no polling.
//! - **SIGCHLD** (fallback, when `pidfd_open` fails with `ENOSYS`, `EPERM`, … or the
//!   environment variable `STRANDS_PROCESS_REAPER=sigchld` is set at the first spawn): the
//!   child gets a [`Signal`] listener for `SIGCHLD` *before* its first `waitpid`, so an exit
//!   after that check always leaves a notification. A 100 ms backstop timer also retries
//!   `waitpid`, in case other code in the process replaces the `SIGCHLD` action without
//!   chaining it.
//!
//! A [`Child`](super::Child) dropped before it was reaped (after an optional `SIGKILL` from
//! `kill_on_drop`) is **adopted** by the `strands-reaper` thread, started on first use,
//! which polls `waitpid(pid, WNOHANG)` on its orphans with a back-off from 1 ms to 100 ms
//! and sleeps on a condition variable when it has none. So no zombie outlives its exit by
//! more than about 100 ms, even with no loop running.
//!
//! If the process sets `SIGCHLD` to `SIG_IGN`, the kernel reaps children itself and
//! `waitpid` reports `ECHILD`: waiting then fails with that error.
//!
//! The orphan list is process-global (a `static`), so it uses `std`'s lock directly rather
//! than the `crate::loom` shim.

use std::future::Future as _;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::ExitStatus;
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::event_loop::reactor::Direction;
use crate::io::IoSource;
use crate::signal::{Signal, SIGCHLD};
use crate::time::Sleep;

/// How often the SIGCHLD backend retries `waitpid` without a notification.
const BACKSTOP: Duration = Duration::from_millis(100);

/// The longest pause of the reaper thread between two rounds of `waitpid`.
const REAPER_MAX_PAUSE: Duration = Duration::from_millis(100);

/// Waits on the loop for one child's exit.
pub(crate) enum ExitWatch {
    /// Not polled yet: the backend is chosen at the first wait.
    Idle,
    /// A pidfd registered with the loop's reactor.
    PidFd(IoSource<PidFd>),
    /// `SIGCHLD` notifications plus a backstop timer.
    SigChld {
        /// The `SIGCHLD` listener, made before the first `waitpid`.
        sigchld: Signal,
        /// The next backstop retry.
        backstop: Sleep,
    },
}

impl ExitWatch {
    /// Polls for the exit of `child`, reaping it.
    pub(crate) fn poll_exit(
        &mut self,
        cx: &mut Context<'_>,
        child: &mut std::process::Child,
    ) -> Poll<io::Result<ExitStatus>> {
        if let ExitWatch::Idle = self {
            match ExitWatch::start(child.id()) {
                Ok(w) => *self = w,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        match self {
            ExitWatch::PidFd(fd) => fd.poll_io(Direction::Read, cx, |_| exited(child)),
            ExitWatch::SigChld { sigchld, backstop } => poll_sigchld(cx, child, sigchld, backstop),
            ExitWatch::Idle => unreachable!("the backend was just chosen"),
        }
    }

    /// Chooses the backend for `pid`.
    fn start(pid: u32) -> io::Result<ExitWatch> {
        if !force_sigchld() {
            if let Some(fd) = PidFd::open(pid) {
                return Ok(ExitWatch::PidFd(IoSource::new(fd)));
            }
        }
        Ok(ExitWatch::SigChld {
            sigchld: crate::signal::signal(SIGCHLD)?,
            backstop: crate::sleep(BACKSTOP),
        })
    }
}

/// `waitpid` once: the status, or `WouldBlock` while the child runs.
fn exited(child: &mut std::process::Child) -> io::Result<ExitStatus> {
    child
        .try_wait()?
        .ok_or_else(|| io::ErrorKind::WouldBlock.into())
}

/// The SIGCHLD backend: `waitpid`, then wait for a notification or the backstop.
fn poll_sigchld(
    cx: &mut Context<'_>,
    child: &mut std::process::Child,
    sigchld: &mut Signal,
    backstop: &mut Sleep,
) -> Poll<io::Result<ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Poll::Ready(Ok(status));
        }
        match sigchld.poll_recv(cx) {
            Poll::Ready(Ok(())) => continue,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => {}
        }
        if std::pin::Pin::new(&mut *backstop).poll(cx).is_pending() {
            return Poll::Pending;
        }
        backstop.reset(std::time::Instant::now() + BACKSTOP);
    }
}

/// Whether `STRANDS_PROCESS_REAPER=sigchld` asks for the fallback (read once).
fn force_sigchld() -> bool {
    static FORCE: OnceLock<bool> = OnceLock::new();
    *FORCE
        .get_or_init(|| std::env::var_os("STRANDS_PROCESS_REAPER").is_some_and(|v| v == "sigchld"))
}

/// A process file descriptor (`pidfd_open(2)`), readable once the process has exited.
pub(crate) struct PidFd(OwnedFd);

impl PidFd {
    /// A pidfd for `pid`, or `None` if the kernel cannot give one.
    fn open(pid: u32) -> Option<PidFd> {
        // SAFETY: `pidfd_open(pid, 0)` takes two integers and returns a new descriptor
        // (close-on-exec) or -1; it touches no memory of ours.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
        let fd = libc::c_int::try_from(fd).ok().filter(|fd| *fd >= 0)?;
        // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
        Some(PidFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }
}

impl AsRawFd for PidFd {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0.as_raw_fd()
    }
}

impl mio::event::Source for PidFd {
    fn register(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        mio::unix::SourceFd(&self.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        mio::unix::SourceFd(&self.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &mio::Registry) -> io::Result<()> {
        mio::unix::SourceFd(&self.as_raw_fd()).deregister(registry)
    }
}

/// The children dropped before they were reaped.
struct Orphans {
    /// Their pids, not yet reaped.
    pids: Vec<libc::pid_t>,
    /// Whether the reaper thread runs.
    running: bool,
}

/// The orphan list, shared with the reaper thread.
static ORPHANS: Mutex<Orphans> = Mutex::new(Orphans {
    pids: Vec::new(),
    running: false,
});

/// Signalled when an orphan is adopted.
static ADOPTED: Condvar = Condvar::new();

/// Hands an unreaped child to the reaper thread.
pub(crate) fn adopt(pid: u32) {
    let mut orphans = ORPHANS.lock().unwrap_or_else(PoisonError::into_inner);
    orphans.pids.push(pid as libc::pid_t);
    if !orphans.running {
        let started = std::thread::Builder::new()
            .name("strands-reaper".into())
            .spawn(reaper);
        // If no thread can be made now, the orphan waits for the next adoption's attempt.
        orphans.running = started.is_ok();
    }
    ADOPTED.notify_one();
}

/// The reaper thread: `waitpid` each orphan, with a growing pause between rounds.
fn reaper() {
    let mut pause = Duration::from_millis(1);
    let mut orphans = ORPHANS.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        orphans.pids.retain(|&pid| !reaped(pid));
        let left = orphans.pids.len();
        orphans = if left == 0 {
            pause = Duration::from_millis(1);
            ADOPTED
                .wait(orphans)
                .unwrap_or_else(PoisonError::into_inner)
        } else {
            let (guard, _) = ADOPTED
                .wait_timeout(orphans, pause)
                .unwrap_or_else(PoisonError::into_inner);
            pause = if guard.pids.len() > left {
                Duration::from_millis(1)
            } else {
                (pause * 2).min(REAPER_MAX_PAUSE)
            };
            guard
        };
    }
}

/// `waitpid(pid, WNOHANG)`: whether the orphan is gone (reaped now, or by someone else).
fn reaped(pid: libc::pid_t) -> bool {
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer for the call.
    match unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } {
        0 => false,                                                            // still running
        -1 => io::Error::last_os_error().kind() != io::ErrorKind::Interrupted, // `ECHILD`
        _ => true,
    }
}
