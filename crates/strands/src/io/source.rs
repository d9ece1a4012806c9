//! `IoSource`: a non-blocking source registered with the current loop.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::task::{Context, Poll};

use crate::event_loop::core::Core;
use crate::event_loop::injector::{Injector, Remote};
use crate::event_loop::reactor::{Direction, IoKey};
use crate::event_loop::with_current;
use crate::loom::Arc;

/// A registration with one loop's reactor.
struct Registered {
    /// The loop, by its injector: never reused while we hold it, and the way to reach the
    /// loop when the source is dropped elsewhere.
    injector: Arc<Injector>,
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
                match core.reactor.borrow_mut().poll_ready(key, dir, cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(())) => {
                        return Poll::Ready(Err(io::Error::other(
                            "the socket is no longer registered with its event loop",
                        )))
                    }
                    Poll::Ready(Ok(())) => {}
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
            return if core.is_loop_of(&r.injector) {
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
        let reg = Registered {
            injector: core.injector.clone(),
            key,
        };
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
        let Some(r) = self.registered.take() else {
            return;
        };
        let fd = self.raw_fd();
        let done = with_current(|core| match core {
            Some(core) if core.is_loop_of(&r.injector) => match core.reactor.try_borrow_mut() {
                Ok(mut reactor) => {
                    reactor.deregister(r.key, &mut mio::unix::SourceFd(&fd));
                    true
                }
                Err(_) => false,
            },
            _ => false,
        });
        if !done {
            // Dropped away from its loop: closing the descriptor removes it from epoll; the
            // loop frees the slot (and the wakers it holds) at its next turn.
            let key = r.key;
            let _ = r.injector.push(Remote::Run(Box::new(move || {
                with_current(|core| {
                    if let Some(core) = core {
                        core.reactor.borrow_mut().forget(key);
                    }
                });
            })));
        }
    }
}

/// The error of I/O attempted with no loop on this thread.
pub(crate) fn no_loop() -> io::Error {
    io::Error::other("no strands event loop is running on this thread")
}
