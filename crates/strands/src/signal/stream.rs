//! `Signal`: one listener's pipe, read on the loop.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use libc::c_int;
use mio::unix::pipe;

use crate::event_loop::reactor::Direction;
use crate::io::IoSource;
use crate::signal::registry;

/// A stream of the deliveries of one signal, read on the loop that first polls it.
///
/// Made by [`signal`](crate::signal::signal). The listener is installed when the `Signal` is
/// made, so a signal raised after that is never missed; dropping it removes the listener
/// (and, if it was the signal's last one, restores the action the signal had before).
///
/// Deliveries that arrive between two calls to [`Signal::recv`] may be coalesced into one
/// (the kernel itself merges pending standard signals): each completed `recv` means *at
/// least one* delivery since the previous one. It also implements
/// `futures_core::Stream<Item = io::Result<()>>`.
///
/// # Examples
///
/// ```
/// use strands::signal::{signal, SIGUSR1};
///
/// strands::run(async {
///     let mut usr1 = signal(SIGUSR1)?;
///     strands::signal::raise_signal(SIGUSR1)?;
///     usr1.recv().await?;
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap()
/// .unwrap();
/// ```
pub struct Signal {
    /// The signal number.
    sig: c_int,
    /// The read end of this listener's pipe.
    rx: IoSource<pipe::Receiver>,
    /// The published write end; unregisters when dropped.
    _listener: Listener,
}

/// The published write end of a listener's pipe.
struct Listener {
    /// The signal it listens for.
    sig: c_int,
    /// Its slot in the registry's table.
    slot: usize,
    /// The write end the handler writes to; closed only after unregistering.
    _tx: pipe::Sender,
}

impl Drop for Listener {
    fn drop(&mut self) {
        registry::unregister(self.sig, self.slot);
        // `_tx` closes after this body: no handler can be writing to it any more.
    }
}

impl Signal {
    /// A new listener for `sig`.
    pub(crate) fn new(sig: c_int) -> io::Result<Signal> {
        registry::check(sig)?;
        let (tx, rx) = pipe::new()?;
        let slot = registry::register(sig, tx.as_raw_fd())?;
        Ok(Signal {
            sig,
            rx: IoSource::new(rx),
            _listener: Listener { sig, slot, _tx: tx },
        })
    }

    /// The signal number this stream listens for.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = strands::signal::signal(strands::signal::SIGUSR2)?;
    /// assert_eq!(s.signo(), strands::signal::SIGUSR2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn signo(&self) -> c_int {
        self.sig
    }

    /// Waits for the next delivery (or returns at once if one arrived since the last call).
    ///
    /// # Errors
    ///
    /// Only when misused: called with no loop on this thread, or on another loop than the
    /// one that first polled this stream.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a cancelled `recv` consumes no delivery.
    ///
    /// # Examples
    ///
    /// See [`Signal`].
    pub async fn recv(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery; the poll form of [`Signal::recv`].
    ///
    /// # Errors
    ///
    /// As [`Signal::recv`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use strands::signal::{signal, SIGWINCH};
    ///
    /// strands::run(async {
    ///     let mut s = signal(SIGWINCH)?;
    ///     strands::signal::raise_signal(SIGWINCH)?;
    ///     poll_fn(|cx| s.poll_recv(cx)).await
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut buf = [0u8; 256];
        self.rx
            .poll_io(Direction::Read, cx, |mut rx| match rx.read(&mut buf) {
                Ok(0) => Err(io::ErrorKind::WouldBlock.into()), // unreachable: we hold `tx`
                Ok(_) => Ok(()),
                Err(e) => Err(e),
            })
    }
}

impl futures_core::Stream for Signal {
    type Item = io::Result<()>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx).map(Some)
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal").field("signo", &self.sig).finish()
    }
}

// Compile-time check: a `Signal` may move to another thread (to be used on one loop).
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Signal>();
};
