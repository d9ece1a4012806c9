//! Unix domain sockets: `UnixListener`, `UnixStream`, `UnixDatagram`.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::event_loop::reactor::Direction;
use crate::io::IoSource;
use crate::net::conn::{split, Connection, ReadHalf, WriteHalf};

/// A Unix stream socket listening for connections.
///
/// # Examples
///
/// ```
/// use strands::net::{UnixListener, UnixStream};
///
/// let dir = std::env::temp_dir().join(format!("strands-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("listener.sock");
/// let _ = std::fs::remove_file(&path);
/// strands::run(async {
///     let l = UnixListener::bind(&path)?;
///     let mut c = UnixStream::connect(&path).await?;
///     let (mut s, _) = l.accept().await?;
///     c.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     s.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap()?;
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixListener {
    /// The registered socket.
    io: IoSource<mio::net::UnixListener>,
}

impl UnixListener {
    /// Binds to a filesystem path (which must not exist).
    ///
    /// # Errors
    ///
    /// As `bind(2)`: `AddrInUse` if the path exists, permission errors, a path too long.
    ///
    /// # Examples
    ///
    /// See [`UnixListener`].
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: IoSource::new(mio::net::UnixListener::bind(path)?),
        })
    }

    /// Waits for a connection.
    ///
    /// # Errors
    ///
    /// As `accept(2)` (e.g. `EMFILE`: the listener stays usable).
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// See [`UnixListener`].
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (s, addr) = poll_fn(|cx| self.io.poll_io(Direction::Read, cx, |l| l.accept())).await?;
        Ok((UnixStream::from_mio(s), addr))
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// As `getsockname`.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("strands-la-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let l = strands::net::UnixListener::bind(&path)?;
    /// assert_eq!(l.local_addr()?.as_pathname(), Some(path.as_path()));
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

/// A Unix stream connection; reads and writes are cancel-safe, and it implements
/// `futures_io::AsyncRead` / `AsyncWrite`.
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let (mut a, mut b) = strands::net::UnixStream::pair()?;
///     a.write_all(b"hi").await?;
///     let mut buf = [0; 2];
///     b.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hi");
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap()
/// .unwrap();
/// ```
pub struct UnixStream {
    /// The registered socket.
    io: IoSource<mio::net::UnixStream>,
}

impl UnixStream {
    /// Wraps a socket.
    fn from_mio(s: mio::net::UnixStream) -> UnixStream {
        UnixStream {
            io: IoSource::new(s),
        }
    }

    /// Connects to the socket at `path`.
    ///
    /// # Errors
    ///
    /// As `connect(2)`: `NotFound` for a missing path, `ConnectionRefused` if nobody listens.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let err = strands::net::UnixStream::connect("/nonexistent/strands.sock").await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// })
    /// .unwrap();
    /// ```
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let stream = UnixStream::from_mio(mio::net::UnixStream::connect(path)?);
        poll_fn(|cx| {
            stream
                .io
                .poll_io(Direction::Write, cx, |s| match s.take_error()? {
                    Some(e) => Err(e),
                    None => Ok(()),
                })
        })
        .await?;
        Ok(stream)
    }

    /// A pair of connected sockets.
    ///
    /// # Errors
    ///
    /// As `socketpair(2)`.
    ///
    /// # Examples
    ///
    /// See [`UnixStream`].
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::from_mio(a), UnixStream::from_mio(b)))
    }

    /// Wraps a connected `std` socket (made non-blocking here).
    ///
    /// # Errors
    ///
    /// The OS refuses to make it non-blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// let a = strands::net::UnixStream::from_std(a)?;
    /// # drop(a);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream::from_mio(mio::net::UnixStream::from_std(stream)))
    }

    /// Reads what is available (at least one byte, or `0` at end of stream).
    ///
    /// # Errors
    ///
    /// As `recv`.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// See [`UnixStream`].
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read_ref(cx, buf)).await
    }

    /// Reads exactly `buf.len()` bytes.
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` if the stream ends first.
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe: bytes read before the cancellation are lost to the caller.
    ///
    /// # Examples
    ///
    /// See [`UnixStream`].
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        crate::io::util::read_exact(|cx, b| self.poll_read_ref(cx, b), buf).await
    }

    /// Writes some of `buf`; returns how much.
    ///
    /// # Errors
    ///
    /// As `send`.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let (mut a, _b) = strands::net::UnixStream::pair()?;
    ///     assert_eq!(a.write(b"x").await?, 1);
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write_ref(cx, buf)).await
    }

    /// Writes all of `buf`.
    ///
    /// # Errors
    ///
    /// As `send`; `WriteZero` if the socket accepts nothing.
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe: part of `buf` may have been written.
    ///
    /// # Examples
    ///
    /// See [`UnixStream`].
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        crate::io::util::write_all(|cx, b| self.poll_write_ref(cx, b), buf).await
    }

    /// Shuts down reading, writing or both.
    ///
    /// # Errors
    ///
    /// As `shutdown(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let (a, mut b) = strands::net::UnixStream::pair()?;
    ///     a.shutdown(std::net::Shutdown::Write)?;
    ///     assert_eq!(b.read(&mut [0; 4]).await?, 0);
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// As `getpeername`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = strands::net::UnixStream::pair()?;
    /// assert!(a.peer_addr()?.is_unnamed());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Splits the stream into owned read and write halves.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = strands::net::UnixStream::pair()?;
    /// let (r, w) = a.into_split();
    /// # drop((r, w));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_split(self) -> (ReadHalf<UnixStream>, WriteHalf<UnixStream>) {
        split(self)
    }
}

impl Connection for UnixStream {
    fn poll_read_ref(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(Direction::Read, cx, |mut s| s.read(buf))
    }

    fn poll_write_ref(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(Direction::Write, cx, |mut s| s.write(buf))
    }

    fn shutdown_ref(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }
}

impl futures_io::AsyncRead for UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_ref(cx, buf)
    }
}

impl futures_io::AsyncWrite for UnixStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_ref(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(crate::net::conn::close_result(
            self.shutdown(Shutdown::Write),
        ))
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

/// A Unix datagram socket.
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let (a, b) = strands::net::UnixDatagram::pair()?;
///     a.send(b"one").await?;
///     let mut buf = [0; 16];
///     let n = b.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"one");
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap()
/// .unwrap();
/// ```
pub struct UnixDatagram {
    /// The registered socket.
    io: IoSource<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    /// A socket bound to `path`.
    ///
    /// # Errors
    ///
    /// As `bind(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("strands-dg-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let s = strands::net::UnixDatagram::bind(&path)?;
    /// # drop(s);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: IoSource::new(mio::net::UnixDatagram::bind(path)?),
        })
    }

    /// An unbound socket (it can send, and receive replies once connected).
    ///
    /// # Errors
    ///
    /// As `socket(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = strands::net::UnixDatagram::unbound()?;
    /// # drop(s);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: IoSource::new(mio::net::UnixDatagram::unbound()?),
        })
    }

    /// A pair of connected sockets.
    ///
    /// # Errors
    ///
    /// As `socketpair(2)`.
    ///
    /// # Examples
    ///
    /// See [`UnixDatagram`].
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((
            UnixDatagram {
                io: IoSource::new(a),
            },
            UnixDatagram {
                io: IoSource::new(b),
            },
        ))
    }

    /// Sets the default peer (for [`UnixDatagram::send`]).
    ///
    /// # Errors
    ///
    /// As `connect(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("strands-dgc-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let server = strands::net::UnixDatagram::bind(&path)?;
    /// let client = strands::net::UnixDatagram::unbound()?;
    /// client.connect(&path)?;
    /// # drop(server);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Sends a datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// As `send(2)`.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a datagram is sent whole or not at all.
    ///
    /// # Examples
    ///
    /// See [`UnixDatagram`].
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_io(Direction::Write, cx, |s| s.send(buf))).await
    }

    /// Sends a datagram to `path`.
    ///
    /// # Errors
    ///
    /// As `sendto(2)`.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("strands-dgs-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// strands::run(async {
    ///     let server = strands::net::UnixDatagram::bind(&path)?;
    ///     let client = strands::net::UnixDatagram::unbound()?;
    ///     client.send_to(b"hey", &path).await?;
    ///     let mut buf = [0; 8];
    ///     let (n, _) = server.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hey");
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()?;
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        poll_fn(|cx| {
            self.io
                .poll_io(Direction::Write, cx, |s| s.send_to(buf, path))
        })
        .await
    }

    /// Receives a datagram from the connected peer.
    ///
    /// # Errors
    ///
    /// As `recv(2)`.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// See [`UnixDatagram`].
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_io(Direction::Read, cx, |s| s.recv(buf))).await
    }

    /// Receives a datagram and its sender's address.
    ///
    /// # Errors
    ///
    /// As `recvfrom(2)`.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// See [`UnixDatagram::send_to`].
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.io.poll_io(Direction::Read, cx, |s| s.recv_from(buf))).await
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram").finish_non_exhaustive()
    }
}
