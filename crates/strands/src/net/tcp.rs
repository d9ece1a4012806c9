//! TCP: `TcpListener` and `TcpStream`.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::event_loop::reactor::Direction;
use crate::io::IoSource;
use crate::net::addr::resolve;
use crate::net::conn::{split, Connection, ReadHalf, WriteHalf};

/// A TCP socket listening for connections.
///
/// # Examples
///
/// ```
/// use strands::net::{TcpListener, TcpStream};
///
/// strands::run(async {
///     let mut listener = TcpListener::bind("127.0.0.1:0")?;
///     let addr = listener.local_addr()?;
///     let client = strands::spawn(async move { TcpStream::connect(addr).await });
///     let (_server_side, peer) = listener.accept().await?;
///     let client = client.await.unwrap()?;
///     assert_eq!(client.local_addr()?, peer);
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap()
/// .unwrap();
/// ```
pub struct TcpListener {
    /// The registered socket.
    io: IoSource<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds at once. Literal addresses (`"127.0.0.1:8080"`, `"[::1]:0"`, a `SocketAddr`)
    /// need no resolution; a host name is resolved by the system resolver, which blocks the
    /// calling thread: on the loop, prefer [`TcpListener::bind_resolved`] for host names.
    ///
    /// # Errors
    ///
    /// The address does not resolve, or the OS refuses it (in use, not permitted,
    /// descriptor limit).
    ///
    /// # Examples
    ///
    /// ```
    /// let l = strands::net::TcpListener::bind("127.0.0.1:0")?;
    /// assert!(l.local_addr()?.port() > 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListener::bind_first(addr.to_socket_addrs()?)
    }

    /// Binds to the first address `addr` resolves to that the OS accepts; host names are
    /// resolved on a pool thread.
    ///
    /// # Errors
    ///
    /// Resolution fails, or the OS refuses every address.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let l = strands::net::TcpListener::bind_resolved("localhost:0").await?;
    ///     assert!(l.local_addr()?.ip().is_loopback());
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub async fn bind_resolved<A>(addr: A) -> io::Result<TcpListener>
    where
        A: ToSocketAddrs + Send + 'static,
        A::Iter: Send,
    {
        TcpListener::bind_first(resolve(addr).await?)
    }

    /// Binds to the first of `addrs` that the OS accepts (else the last error).
    fn bind_first(addrs: impl IntoIterator<Item = SocketAddr>) -> io::Result<TcpListener> {
        let mut last = None;
        for a in addrs {
            match mio::net::TcpListener::bind(a) {
                Ok(l) => {
                    return Ok(TcpListener {
                        io: IoSource::new(l),
                    })
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| invalid("no address to bind")))
    }

    /// Wraps a bound `std` listener (made non-blocking here).
    ///
    /// # Errors
    ///
    /// The OS refuses to make it non-blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// let std = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let l = strands::net::TcpListener::from_std(std)?;
    /// # drop(l);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: IoSource::new(mio::net::TcpListener::from_std(listener)),
        })
    }

    /// Waits for a connection.
    ///
    /// # Errors
    ///
    /// The OS reports an error for this accept (for example `EMFILE` when out of
    /// descriptors: the listener stays usable, retry after closing some). Called with no
    /// loop on this thread, or on another loop than the one the listener first used.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a dropped `accept` takes no connection off the queue.
    ///
    /// # Examples
    ///
    /// See [`TcpListener`].
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (s, addr) = poll_fn(|cx| self.io.poll_io(Direction::Read, cx, |l| l.accept())).await?;
        Ok((TcpStream::from_mio(s), addr))
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// As `getsockname`.
    ///
    /// # Examples
    ///
    /// See [`TcpListener::bind`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

/// A TCP connection.
///
/// Reads and writes are cancel-safe: a dropped `read` has read nothing, a dropped `write`
/// has written nothing. It implements `futures_io::AsyncRead` and `AsyncWrite`.
///
/// # Examples
///
/// ```
/// use strands::net::{TcpListener, TcpStream};
///
/// strands::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let addr = listener.local_addr()?;
///     let server = strands::spawn(async move {
///         let (mut s, _) = listener.accept().await?;
///         let mut buf = [0; 5];
///         s.read_exact(&mut buf).await?;
///         s.write_all(&buf).await?;
///         Ok::<(), std::io::Error>(())
///     });
///     let mut c = TcpStream::connect(addr).await?;
///     c.write_all(b"hello").await?;
///     let mut back = [0; 5];
///     c.read_exact(&mut back).await?;
///     assert_eq!(&back, b"hello");
///     server.await.unwrap()
/// })
/// .unwrap()
/// .unwrap();
/// ```
pub struct TcpStream {
    /// The registered socket.
    io: IoSource<mio::net::TcpStream>,
}

impl TcpStream {
    /// Wraps an accepted or connecting socket.
    fn from_mio(s: mio::net::TcpStream) -> TcpStream {
        TcpStream {
            io: IoSource::new(s),
        }
    }

    /// Connects to `addr`, trying each resolved address in turn (host names are resolved
    /// on a pool thread, so the loop never blocks).
    ///
    /// # Errors
    ///
    /// Resolution fails (unknown host), the address is invalid, or every address refused
    /// the connection (the last error is returned, e.g. `ConnectionRefused` for a closed
    /// port).
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     // Port 1 on loopback is closed: a clear error, not a hang.
    ///     let err = strands::net::TcpStream::connect("127.0.0.1:1").await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    /// })
    /// .unwrap();
    /// ```
    pub async fn connect<A>(addr: A) -> io::Result<TcpStream>
    where
        A: ToSocketAddrs + Send + 'static,
        A::Iter: Send,
    {
        let mut last = None;
        for a in resolve(addr).await? {
            match TcpStream::connect_one(a).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| invalid("no address to connect to")))
    }

    /// Like [`TcpStream::connect`], giving up after `timeout`.
    ///
    /// # Errors
    ///
    /// As `connect`, or `TimedOut`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// strands::run(async {
    ///     let l = strands::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let s = strands::net::TcpStream::connect_timeout(l.local_addr()?, Duration::from_secs(5)).await?;
    ///     # drop(s);
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub async fn connect_timeout<A>(addr: A, timeout: Duration) -> io::Result<TcpStream>
    where
        A: ToSocketAddrs + Send + 'static,
        A::Iter: Send,
    {
        match crate::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(r) => r,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")),
        }
    }

    /// Connects to one address.
    async fn connect_one(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::from_mio(mio::net::TcpStream::connect(addr)?);
        // Writable means the handshake finished, one way or the other.
        poll_fn(|cx| {
            stream.io.poll_io(Direction::Write, cx, |s| {
                if let Some(e) = s.take_error()? {
                    return Err(e);
                }
                match s.peer_addr() {
                    Ok(_) => Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                        Err(io::ErrorKind::WouldBlock.into())
                    }
                    Err(e) => Err(e),
                }
            })
        })
        .await?;
        Ok(stream)
    }

    /// Wraps a connected `std` stream (made non-blocking here).
    ///
    /// # Errors
    ///
    /// The OS refuses to make it non-blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let s = std::net::TcpStream::connect(l.local_addr()?)?;
    /// let s = strands::net::TcpStream::from_std(s)?;
    /// # drop(s);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        Ok(TcpStream::from_mio(mio::net::TcpStream::from_std(stream)))
    }

    /// Reads what is available (at least one byte, or `0` at end of stream).
    ///
    /// # Errors
    ///
    /// As `recv` (e.g. `ConnectionReset`).
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// See [`TcpStream`].
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read_ref(cx, buf)).await
    }

    /// Reads exactly `buf.len()` bytes.
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` if the stream ends first (the bytes read so far are in `buf`), or an
    /// error of `recv`.
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe: bytes read before the cancellation are lost to the caller.
    ///
    /// # Examples
    ///
    /// See [`TcpStream`].
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        crate::io::util::read_exact(|cx, b| self.poll_read_ref(cx, b), buf).await
    }

    /// Writes some of `buf`; returns how much.
    ///
    /// # Errors
    ///
    /// As `send` (e.g. `BrokenPipe`, `ConnectionReset`).
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let l = strands::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let mut c = strands::net::TcpStream::connect(l.local_addr()?).await?;
    ///     assert_eq!(c.write(b"abc").await?, 3);
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
    /// See [`TcpStream`].
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        crate::io::util::write_all(|cx, b| self.poll_write_ref(cx, b), buf).await
    }

    /// Shuts down reading, writing or both (`Shutdown::Write` sends end of stream: a
    /// half-close).
    ///
    /// # Errors
    ///
    /// As `shutdown(2)` (e.g. `NotConnected`).
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let l = strands::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let c = strands::net::TcpStream::connect(l.local_addr()?).await?;
    ///     let (mut s, _) = l.accept().await?;
    ///     c.shutdown(std::net::Shutdown::Write)?;
    ///     assert_eq!(s.read(&mut [0; 8]).await?, 0); // end of stream
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Disables (`true`) or enables Nagle's algorithm.
    ///
    /// # Errors
    ///
    /// As `setsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let l = strands::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let c = strands::net::TcpStream::connect(l.local_addr()?).await?;
    ///     c.set_nodelay(true)?;
    ///     assert!(c.nodelay()?);
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Turns TCP keep-alive probes on (`Some(idle)`: first probe after `idle` without
    /// traffic, whole seconds, at least 1) or off (`None`).
    ///
    /// # Errors
    ///
    /// As `setsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// strands::run(async {
    ///     let l = strands::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let c = strands::net::TcpStream::connect(l.local_addr()?).await?;
    ///     c.set_keepalive(Some(Duration::from_secs(30)))?;
    ///     assert!(c.keepalive()?);
    ///     c.set_keepalive(None)?;
    ///     assert!(!c.keepalive()?);
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn set_keepalive(&self, idle: Option<Duration>) -> io::Result<()> {
        let fd = self.io.get_ref().as_raw_fd();
        set_int_opt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            idle.is_some() as libc::c_int,
        )?;
        if let Some(idle) = idle {
            let secs = idle.as_secs().clamp(1, i32::MAX as u64) as libc::c_int;
            set_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, secs)?;
        }
        Ok(())
    }

    /// Whether keep-alive probes are on.
    ///
    /// # Errors
    ///
    /// As `getsockopt`.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::set_keepalive`].
    pub fn keepalive(&self) -> io::Result<bool> {
        let fd = self.io.get_ref().as_raw_fd();
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `value` and `len` are valid for writes and `len` is the size of `value`.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_KEEPALIVE,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(value != 0)
    }

    /// Whether Nagle's algorithm is disabled.
    ///
    /// # Errors
    ///
    /// As `getsockopt`.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::set_nodelay`].
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// As `getsockname`.
    ///
    /// # Examples
    ///
    /// See [`TcpListener`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// As `getpeername` (`NotConnected` after the peer left).
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let l = strands::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let c = strands::net::TcpStream::connect(l.local_addr()?).await?;
    ///     assert_eq!(c.peer_addr()?, l.local_addr()?);
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Splits the stream into a read half and a write half that separate tasks can own
    /// (for example a reader task and a writer task of a chat server).
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let l = strands::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let c = strands::net::TcpStream::connect(l.local_addr()?).await?;
    ///     let (_s, _) = l.accept().await?;
    ///     let (read, write) = c.into_split();
    ///     # drop((read, write));
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn into_split(self) -> (ReadHalf<TcpStream>, WriteHalf<TcpStream>) {
        split(self)
    }
}

impl Connection for TcpStream {
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

impl futures_io::AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_ref(cx, buf)
    }
}

impl futures_io::AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_ref(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(())) // no user-space buffer
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(crate::net::conn::close_result(
            self.shutdown(Shutdown::Write),
        ))
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

/// `setsockopt` of an `int` option.
fn set_int_opt(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` lives across the call and `len` is its size; `fd` is our open socket.
    let rc =
        unsafe { libc::setsockopt(fd, level, name, (&value as *const libc::c_int).cast(), len) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// An `InvalidInput` error.
fn invalid(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

// Compile-time checks: sockets may move between threads (to be used on one loop).
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<TcpStream>();
    send_sync::<TcpListener>();
};
