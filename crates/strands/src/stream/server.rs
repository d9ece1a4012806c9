//! `open_connection` and `start_server`, for TCP and Unix sockets.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use crate::net::{ReadHalf, TcpListener, TcpStream, UnixListener, UnixStream};
use crate::stream::{StreamReader, StreamWriter};
use crate::task::Task;

/// Connects to `addr` and returns a reader and a writer (asyncio's `open_connection`).
///
/// # Errors
///
/// As [`TcpStream::connect`].
///
/// # Examples
///
/// ```
/// use strands::stream::{open_connection, start_server};
///
/// strands::run(async {
///     let server = start_server(
///         |mut r, w| async move {
///             while let Ok(line) = r.read_line().await {
///                 if line.is_empty() || w.write(&line).is_err() {
///                     break;
///                 }
///             }
///         },
///         "127.0.0.1:0",
///     )
///     .await?;
///     let (mut r, w) = open_connection(server.addresses()[0]).await?;
///     w.write(b"echo me\n")?;
///     assert_eq!(r.read_line().await.unwrap(), b"echo me\n");
///     server.close();
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap()
/// .unwrap();
/// ```
pub async fn open_connection<A>(
    addr: A,
) -> io::Result<(StreamReader<ReadHalf<TcpStream>>, StreamWriter)>
where
    A: ToSocketAddrs + Send + 'static,
    A::Iter: Send,
{
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(streams(stream.into_split()))
}

/// Connects to the Unix socket at `path` (asyncio's `open_unix_connection`).
///
/// # Errors
///
/// As [`UnixStream::connect`].
///
/// # Examples
///
/// ```
/// let path = std::env::temp_dir().join(format!("strands-ouc-{}.sock", std::process::id()));
/// let _ = std::fs::remove_file(&path);
/// strands::run(async {
///     let server = strands::stream::start_unix_server(|_r, w| async move { let _ = w.write(b"hi"); }, &path)?;
///     let (mut r, _w) = strands::stream::open_unix_connection(&path).await?;
///     assert_eq!(r.read_exact(2).await.unwrap(), b"hi");
///     server.close();
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap()?;
/// # let _ = std::fs::remove_file(&path);
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn open_unix_connection(
    path: impl AsRef<Path>,
) -> io::Result<(StreamReader<ReadHalf<UnixStream>>, StreamWriter)> {
    let stream = UnixStream::connect(path).await?;
    Ok(streams(stream.into_split()))
}

/// Wraps split halves in a reader and a writer.
fn streams<C>(
    halves: (ReadHalf<C>, crate::net::WriteHalf<C>),
) -> (StreamReader<ReadHalf<C>>, StreamWriter)
where
    C: crate::net::Connection + 'static,
{
    let (r, w) = halves;
    (StreamReader::new(r), StreamWriter::new(w))
}

/// State shared by a server, its accept loop and its connection tasks.
struct ServerState {
    /// `close` was called.
    closed: Cell<bool>,
    /// Connection handlers still running.
    active: Cell<usize>,
    /// The accept loop ended.
    accept_done: Cell<bool>,
    /// Tasks in `wait_closed` / `serve_forever`.
    waiters: RefCell<Vec<Waker>>,
}

impl ServerState {
    /// Wakes every waiter.
    fn wake(&self) {
        for w in std::mem::take(&mut *self.waiters.borrow_mut()) {
            w.wake();
        }
    }
}

/// Decrements the count of active connections when a handler ends (even by cancellation).
struct ActiveGuard(Rc<ServerState>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.active.set(self.0.active.get() - 1);
        self.0.wake();
    }
}

/// A running server (asyncio's `Server`): accepting and handling connections until
/// [`Server::close`].
///
/// # Examples
///
/// See [`open_connection`].
pub struct Server {
    /// Where it listens (TCP); empty for Unix servers.
    addrs: Vec<SocketAddr>,
    /// The Unix socket path, if any.
    path: Option<PathBuf>,
    /// Shared with the tasks.
    state: Rc<ServerState>,
    /// The accept loop.
    accept: Task<()>,
}

/// Starts a TCP server on `addr` (asyncio's `start_server`): each connection runs
/// `handler(reader, writer)` in its own task. It accepts at once, until [`Server::close`].
///
/// The accept loop survives running out of descriptors (`EMFILE`, `ENFILE`) and other
/// transient accept errors: it backs off (up to 100 ms) and keeps serving.
///
/// # Errors
///
/// Binding failed.
///
/// # Examples
///
/// See [`open_connection`].
pub async fn start_server<H, F, A>(handler: H, addr: A) -> io::Result<Server>
where
    H: Fn(StreamReader<ReadHalf<TcpStream>>, StreamWriter) -> F + 'static,
    F: Future<Output = ()> + 'static,
    A: ToSocketAddrs + Send + 'static,
    A::Iter: Send,
{
    let listener = TcpListener::bind_resolved(addr).await?;
    let addrs = vec![listener.local_addr()?];
    let (state, accept) = spawn_accept(listener, move |s: TcpStream| {
        let _ = s.set_nodelay(true);
        let (r, w) = streams(s.into_split());
        handler(r, w)
    });
    Ok(Server {
        addrs,
        path: None,
        state,
        accept,
    })
}

/// Starts a Unix-socket server at `path` (asyncio's `start_unix_server`); see
/// [`start_server`]. The socket file is removed when the server is closed.
///
/// # Errors
///
/// Binding failed (for example the path exists).
///
/// # Panics
///
/// If no event loop runs on this thread.
///
/// # Examples
///
/// See [`open_unix_connection`].
pub fn start_unix_server<H, F>(handler: H, path: impl AsRef<Path>) -> io::Result<Server>
where
    H: Fn(StreamReader<ReadHalf<UnixStream>>, StreamWriter) -> F + 'static,
    F: Future<Output = ()> + 'static,
{
    let path = path.as_ref().to_path_buf();
    let listener = UnixListener::bind(&path)?;
    let (state, accept) = spawn_accept(listener, move |s: UnixStream| {
        let (r, w) = streams(s.into_split());
        handler(r, w)
    });
    Ok(Server {
        addrs: Vec::new(),
        path: Some(path),
        state,
        accept,
    })
}

/// A listener the accept loop can drive.
trait Accept {
    /// The accepted connection.
    type Conn;
    /// Accepts one connection.
    async fn accept_conn(&mut self) -> io::Result<Self::Conn>;
}

impl Accept for TcpListener {
    type Conn = TcpStream;
    async fn accept_conn(&mut self) -> io::Result<TcpStream> {
        Ok(self.accept().await?.0)
    }
}

impl Accept for UnixListener {
    type Conn = UnixStream;
    async fn accept_conn(&mut self) -> io::Result<UnixStream> {
        Ok(self.accept().await?.0)
    }
}

/// Marks the accept loop done however its task ends, even if it was cancelled before its
/// first poll (the guard is captured by the task's future, so it is dropped with it).
struct AcceptDone(Rc<ServerState>);

impl Drop for AcceptDone {
    fn drop(&mut self) {
        self.0.accept_done.set(true);
        self.0.wake();
    }
}

/// Starts the accept loop of a new server as a task.
fn spawn_accept<L, F>(
    mut listener: L,
    handle: impl FnMut(L::Conn) -> F + 'static,
) -> (Rc<ServerState>, Task<()>)
where
    L: Accept + 'static,
    F: Future<Output = ()> + 'static,
{
    let state = new_state();
    let st = state.clone();
    let done = AcceptDone(state.clone());
    let accept = crate::spawn(async move {
        let _done = done;
        accept_loop(&st, &mut listener, handle).await;
    });
    (state, accept)
}

/// A fresh server state.
fn new_state() -> Rc<ServerState> {
    Rc::new(ServerState {
        closed: Cell::new(false),
        active: Cell::new(0),
        accept_done: Cell::new(false),
        waiters: RefCell::new(Vec::new()),
    })
}

/// Accepts connections and spawns a handler task for each, backing off on errors.
async fn accept_loop<L: Accept, F>(
    state: &Rc<ServerState>,
    listener: &mut L,
    mut handle: impl FnMut(L::Conn) -> F,
) where
    F: Future<Output = ()> + 'static,
{
    let mut backoff = Duration::from_millis(1);
    while !state.closed.get() {
        match listener.accept_conn().await {
            Ok(conn) => {
                backoff = Duration::from_millis(1);
                state.active.set(state.active.get() + 1);
                let guard = ActiveGuard(state.clone());
                let fut = handle(conn);
                drop(crate::spawn(async move {
                    let _guard = guard;
                    fut.await;
                }));
            }
            Err(_) => {
                // EMFILE/ENFILE/ECONNABORTED and friends: the listener is still good.
                crate::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(100));
            }
        }
    }
}

impl Server {
    /// The addresses the server listens on (TCP servers).
    ///
    /// # Examples
    ///
    /// See [`open_connection`].
    pub fn addresses(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Stops accepting: the listening socket is closed at once. Connections being handled
    /// continue.
    ///
    /// # Examples
    ///
    /// See [`open_connection`].
    pub fn close(&self) {
        if self.state.closed.replace(true) {
            return;
        }
        self.accept.cancel();
        if let Some(p) = &self.path {
            let _ = std::fs::remove_file(p);
        }
        self.state.wake();
    }

    /// True until [`Server::close`].
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let s = strands::stream::start_server(|_r, _w| async {}, "127.0.0.1:0").await?;
    ///     assert!(s.is_serving());
    ///     s.close();
    ///     assert!(!s.is_serving());
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn is_serving(&self) -> bool {
        !self.state.closed.get()
    }

    /// Number of connections being handled.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let s = strands::stream::start_server(|_r, _w| async {}, "127.0.0.1:0").await?;
    ///     assert_eq!(s.active_connections(), 0);
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn active_connections(&self) -> usize {
        self.state.active.get()
    }

    /// Waits until the server is closed and every connection handler has finished.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let s = strands::stream::start_server(|_r, _w| async {}, "127.0.0.1:0").await?;
    ///     s.close();
    ///     s.wait_closed().await;
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub async fn wait_closed(&self) {
        let st = &self.state;
        poll_fn(|cx| {
            if st.closed.get() && st.accept_done.get() && st.active.get() == 0 {
                return Poll::Ready(());
            }
            let mut w = st.waiters.borrow_mut();
            if !w.iter().any(|x| x.will_wake(cx.waker())) {
                w.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await;
    }

    /// Serves until [`Server::close`] is called (from another task, or a signal handler),
    /// then waits for the handlers to finish.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// strands::run(async {
    ///     let s = Rc::new(strands::stream::start_server(|_r, _w| async {}, "127.0.0.1:0").await?);
    ///     let closer = s.clone();
    ///     strands::spawn(async move { closer.close() });
    ///     s.serve_forever().await;
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub async fn serve_forever(&self) {
        self.wait_closed().await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.close();
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("addresses", &self.addrs)
            .field("path", &self.path)
            .field("serving", &self.is_serving())
            .field("active_connections", &self.active_connections())
            .finish()
    }
}
