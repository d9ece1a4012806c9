//! `IoSource`: a non-blocking source registered with the current loop.

use std::io;
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
pub(crate) struct IoSource<S: mio::event::Source> {
    /// The socket or pipe.
    source: S,
    /// Set on first use.
    registered: Option<Registered>,
}

// SAFETY: `Registered::core` is only compared with the current thread's loop, never
// dereferenced; the reactor slot it names is only touched through that loop when it is the
// current one. The source itself is `Send` when `S` is.
unsafe impl<S: mio::event::Source + Send> Send for IoSource<S> {}
// SAFETY: `&IoSource` only gives `&S`, which is `Sync` when `S` is.
unsafe impl<S: mio::event::Source + Sync> Sync for IoSource<S> {}

impl<S: mio::event::Source> IoSource<S> {
    /// Wraps a non-blocking source; it registers on first use.
    pub(crate) fn new(source: S) -> IoSource<S> {
        IoSource {
            source,
            registered: None,
        }
    }

    /// The source.
    pub(crate) fn get_ref(&self) -> &S {
        &self.source
    }

    /// Runs `op` when `dir` is ready, waiting for readiness on `WouldBlock`.
    pub(crate) fn poll_io<R>(
        &mut self,
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
    fn registration(&mut self, core: &Core) -> io::Result<IoKey> {
        match self.registered {
            Some(r) if std::ptr::eq(r.core, core) => Ok(r.key),
            Some(_) => Err(io::Error::other(
                "this socket belongs to another event loop (sockets stay on the loop that first used them)",
            )),
            None => {
                let key = core.reactor.borrow_mut().register(&mut self.source)?;
                self.registered = Some(Registered { core, key });
                Ok(key)
            }
        }
    }
}

impl<S: mio::event::Source> Drop for IoSource<S> {
    fn drop(&mut self) {
        let Some(r) = self.registered.take() else {
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
