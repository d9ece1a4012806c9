//! `IoSource`: a non-blocking source registered with the current loop.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::task::{Context, Poll};

use crate::event_loop::core::Core;
use crate::event_loop::reactor::{Direction, IoKey};
use crate::event_loop::with_current;

/// A registration with one loop's reactor.
#[derive(Clone, Copy, Debug)]
struct Registered {
    /// The loop, as the address of its core (compared, never dereferenced).
    core: *const Core,
    /// The slot in its reactor.
    key: IoKey,
}

/// A non-blocking source that waits for readiness on the loop that first uses it.
pub(crate) struct IoSource<S: mio::event::Source + AsRawFd> {
    /// The socket or pipe.
    source: S,
    /// Set on first use (from the loop's thread; readers on other threads only compare).
    registered: std::sync::OnceLock<Registered>,
}

// SAFETY: `Registered::core` is only compared with the current thread's loop, never
// dereferenced; the reactor slot it names is only touched through that loop when it is the
// current one. The source itself is `Send` when `S` is.
unsafe impl<S: mio::event::Source + AsRawFd + Send> Send for IoSource<S> {}
// SAFETY: `&IoSource` only gives `&S`, which is `Sync` when `S` is.
unsafe impl<S: mio::event::Source + AsRawFd + Sync> Sync for IoSource<S> {}

impl<S: mio::event::Source + AsRawFd> IoSource<S> {
    /// The descriptor.
    fn raw_fd(&self) -> RawFd {
        self.source.as_raw_fd()
    }

    /// Wraps a non-blocking source; it registers on first use.
    pub(crate) fn new(source: S) -> IoSource<S> {
        IoSource {
            source,
            registered: std::sync::OnceLock::new(),
        }
    }

    /// The source.
    pub(crate) fn get_ref(&self) -> &S {
        &self.source
    }

    /// Runs `op` when `dir` is ready, waiting for readiness on `WouldBlock`.
    pub(crate) fn poll_io<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        with_current(|core| {
            let Some(core) = core else {
                return Poll::Ready(Err(no_loop()));
            };
            let key = match self.registration(core) {
                Ok(k) => k,
                Err(e) => return Poll::Ready(Err(e)),
            };
            if !core.consume_coop() {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            loop {
                if core
                    .reactor
                    .borrow_mut()
                    .poll_ready(key, dir, cx)
                    .is_pending()
                {
                    return Poll::Pending;
                }
                match op(&self.source) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        core.reactor.borrow_mut().clear_ready(key, dir);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    res => return Poll::Ready(res),
                }
            }
        })
    }

    /// The key of this source in `core`'s reactor, registering it on first use.
    fn registration(&self, core: &Core) -> io::Result<IoKey> {
        if let Some(r) = self.registered.get() {
            return if std::ptr::eq(r.core, core) {
                Ok(r.key)
            } else {
                Err(io::Error::other(
                    "this socket belongs to another event loop (sockets stay on the loop that \
                     first used them)",
                ))
            };
        }
        // mio registers through `&mut`, but only to reach the descriptor: a `SourceFd` over
        // the same descriptor does the same through a shared reference.
        let fd = self.raw_fd();
        let key = core
            .reactor
            .borrow_mut()
            .register(&mut mio::unix::SourceFd(&fd))?;
        let reg = Registered { core, key };
        if self.registered.set(reg).is_err() {
            // Another thread registered it with its own loop first: undo ours; the check
            // below then reports the conflict.
            core.reactor
                .borrow_mut()
                .deregister(key, &mut mio::unix::SourceFd(&fd));
        }
        self.registration(core)
    }
}

impl<S: mio::event::Source + AsRawFd> Drop for IoSource<S> {
    fn drop(&mut self) {
        let Some(r) = self.registered.get().copied() else {
            return;
        };
        with_current(|core| {
            if let Some(core) = core.filter(|c| std::ptr::eq(r.core, *c)) {
                if let Ok(mut reactor) = core.reactor.try_borrow_mut() {
                    reactor.deregister(r.key, &mut self.source);
                }
            }
        });
    }
}

/// The error of I/O attempted with no loop on this thread.
pub(crate) fn no_loop() -> io::Error {
    io::Error::other("no strands event loop is running on this thread")
}
