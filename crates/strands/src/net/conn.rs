//! What TCP and Unix streams share: reading and writing through `&self`, and split halves.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A connected stream socket that can be read and written through a shared reference.
pub trait Connection: sealed::Sealed {
    /// Polls a read into `buf`.
    fn poll_read_ref(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    /// Polls a write of `buf`.
    fn poll_write_ref(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
    /// `shutdown(2)`.
    fn shutdown_ref(&self, how: Shutdown) -> io::Result<()>;
}

/// Keeps [`Connection`] to the stream types of this crate.
mod sealed {
    /// The seal.
    pub trait Sealed {}
    impl Sealed for crate::net::TcpStream {}
    impl Sealed for crate::net::UnixStream {}
}

/// The outcome of closing the write side: a peer that already went away (`NotConnected`)
/// means the stream is closed, which is what closing asked for.
pub(crate) fn close_result(res: io::Result<()>) -> io::Result<()> {
    match res {
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
        other => other,
    }
}

/// Splits a connection into two owned halves.
pub(crate) fn split<C: Connection>(conn: C) -> (ReadHalf<C>, WriteHalf<C>) {
    let conn = Arc::new(conn);
    (ReadHalf { conn: conn.clone() }, WriteHalf { conn })
}

/// The reading half of a split [`TcpStream`](crate::net::TcpStream) or
/// [`UnixStream`](crate::net::UnixStream); implements `futures_io::AsyncRead`.
///
/// # Examples
///
/// ```
/// use strands::net::{ReadHalf, TcpStream};
/// fn takes(_: ReadHalf<TcpStream>) {}
/// ```
pub struct ReadHalf<C> {
    /// Shared with the write half.
    conn: Arc<C>,
}

/// The writing half of a split stream; implements `futures_io::AsyncWrite` (closing it
/// sends end of stream: a half-close).
///
/// # Examples
///
/// ```
/// use strands::net::{TcpStream, WriteHalf};
/// fn takes(_: WriteHalf<TcpStream>) {}
/// ```
pub struct WriteHalf<C> {
    /// Shared with the read half.
    conn: Arc<C>,
}

impl<C: Connection> futures_io::AsyncRead for ReadHalf<C> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.conn.poll_read_ref(cx, buf)
    }
}

impl<C: Connection> futures_io::AsyncWrite for WriteHalf<C> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.conn.poll_write_ref(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(crate::net::conn::close_result(
            self.conn.shutdown_ref(Shutdown::Write),
        ))
    }
}

impl<C> fmt::Debug for ReadHalf<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReadHalf(..)")
    }
}

impl<C> fmt::Debug for WriteHalf<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WriteHalf(..)")
    }
}
