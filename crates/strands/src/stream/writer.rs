//! `StreamWriter`: buffered writes flushed by a task, with back-pressure through `drain`.
//!
//! # Design
//!
//! Like an asyncio transport, the writer owns a buffer and a *flusher* task (spawned on the
//! current loop) that owns the sink and writes the buffer out whenever the sink accepts
//! bytes. `write` only appends and never waits; `drain` waits while the buffer is above the
//! high-water mark, until it falls to the low-water mark. A writer that calls `drain` after
//! its writes therefore holds at most about `high` bytes, however slow the peer.
//!
//! A write error (peer reset, broken pipe) ends the flusher; it is kept and reported by
//! every later `write`, `drain` and `wait_closed`.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_io::AsyncWrite;

use crate::task::Task;

/// Default high-water mark: `drain` waits above 64 KiB buffered.
pub const DEFAULT_HIGH_WATER: usize = 64 * 1024;
/// Default low-water mark: a waiting `drain` returns at 16 KiB buffered.
pub const DEFAULT_LOW_WATER: usize = 16 * 1024;

/// What the writer and its flusher share.
struct Shared {
    /// Bytes not yet accepted by the sink.
    buf: RefCell<VecDeque<u8>>,
    /// See [`DEFAULT_HIGH_WATER`].
    high: usize,
    /// See [`DEFAULT_LOW_WATER`].
    low: usize,
    /// `write_eof` or `close` asked for the end of stream after the buffer.
    eof_requested: Cell<bool>,
    /// `close` was called: no more writes.
    closing: Cell<bool>,
    /// The flusher finished (closed, or failed).
    finished: Cell<bool>,
    /// The error that stopped the flusher, as kind and message.
    error: RefCell<Option<(io::ErrorKind, String)>>,
    /// The flusher, waiting for data.
    flusher: Cell<Option<Waker>>,
    /// Tasks in `drain` or `wait_closed`.
    waiters: RefCell<Vec<Waker>>,
}

impl Shared {
    /// A fresh copy of the stored error, if any.
    fn error(&self) -> Option<io::Error> {
        self.error
            .borrow()
            .as_ref()
            .map(|(k, m)| io::Error::new(*k, m.clone()))
    }

    /// Wakes the tasks waiting in `drain` / `wait_closed`.
    fn wake_waiters(&self) {
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        for w in waiters {
            w.wake();
        }
    }

    /// Wakes the flusher.
    fn wake_flusher(&self) {
        if let Some(w) = self.flusher.take() {
            w.wake();
        }
    }

    /// Registers a waiter.
    fn wait(&self, cx: &mut Context<'_>) {
        let mut waiters = self.waiters.borrow_mut();
        if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
            waiters.push(cx.waker().clone());
        }
    }
}

/// A writer with asyncio's `StreamWriter` methods: `write` buffers, `drain` applies
/// back-pressure, `close` flushes and closes.
///
/// Made on the loop's thread (it spawns its flusher task there). Dropping it closes it
/// (the flusher still sends what is buffered).
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let (a, b) = strands::net::UnixStream::pair()?;
///     let w = strands::stream::StreamWriter::new(a);
///     w.write(b"hello ")?;
///     w.write(b"world")?;
///     w.drain().await?;
///     w.close();
///     w.wait_closed().await?;
///     let mut r = strands::stream::StreamReader::new(b);
///     assert_eq!(r.read_to_end().await?, b"hello world");
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap()
/// .unwrap();
/// ```
pub struct StreamWriter {
    /// Shared with the flusher.
    shared: Rc<Shared>,
    /// The flusher task (detached on drop: it finishes the job).
    _flusher: Option<Task<()>>,
}

impl StreamWriter {
    /// A writer over `sink` with the default water marks.
    ///
    /// # Panics
    ///
    /// If no event loop runs on this thread.
    ///
    /// # Examples
    ///
    /// See [`StreamWriter`].
    #[track_caller]
    pub fn new<W: AsyncWrite + Unpin + 'static>(sink: W) -> StreamWriter {
        StreamWriter::with_water_marks(sink, DEFAULT_HIGH_WATER, DEFAULT_LOW_WATER)
    }

    /// A writer with explicit water marks (`low` is capped at `high`).
    ///
    /// # Panics
    ///
    /// If no event loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let (a, _b) = strands::net::UnixStream::pair()?;
    ///     let w = strands::stream::StreamWriter::with_water_marks(a, 1024, 256);
    ///     assert_eq!(w.water_marks(), (1024, 256));
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn with_water_marks<W: AsyncWrite + Unpin + 'static>(
        sink: W,
        high: usize,
        low: usize,
    ) -> StreamWriter {
        let shared = Rc::new(Shared {
            buf: RefCell::new(VecDeque::new()),
            high,
            low: low.min(high),
            eof_requested: Cell::new(false),
            closing: Cell::new(false),
            finished: Cell::new(false),
            error: RefCell::new(None),
            flusher: Cell::new(None),
            waiters: RefCell::new(Vec::new()),
        });
        let flusher = crate::spawn(flush(sink, shared.clone()));
        StreamWriter {
            shared,
            _flusher: Some(flusher),
        }
    }

    /// The (high, low) water marks.
    ///
    /// # Examples
    ///
    /// See [`StreamWriter::with_water_marks`].
    pub fn water_marks(&self) -> (usize, usize) {
        (self.shared.high, self.shared.low)
    }

    /// Bytes buffered and not yet accepted by the sink.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let (a, _b) = strands::net::UnixStream::pair()?;
    ///     let w = strands::stream::StreamWriter::new(a);
    ///     w.write(b"abc")?;
    ///     assert_eq!(w.buffered(), 3);
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn buffered(&self) -> usize {
        self.shared.buf.borrow().len()
    }

    /// Buffers `data`; it is sent in the background. Never waits: call
    /// [`StreamWriter::drain`] to respect back-pressure.
    ///
    /// # Errors
    ///
    /// The writer was closed (`BrokenPipe`), or an earlier write failed (that error again).
    ///
    /// # Examples
    ///
    /// See [`StreamWriter`].
    pub fn write(&self, data: &[u8]) -> io::Result<()> {
        if let Some(e) = self.shared.error() {
            return Err(e);
        }
        if self.shared.closing.get() || self.shared.eof_requested.get() {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "write after close or write_eof",
            ));
        }
        self.shared.buf.borrow_mut().extend(data);
        self.shared.wake_flusher();
        Ok(())
    }

    /// Waits for the buffer to go down: returns at once if at most `high` bytes are
    /// buffered, else when the sink has taken all but `low`.
    ///
    /// # Errors
    ///
    /// The flusher failed (peer reset, broken pipe).
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: nothing is lost, the buffer keeps flushing.
    ///
    /// # Examples
    ///
    /// See [`StreamWriter`].
    pub async fn drain(&self) -> io::Result<()> {
        let shared = &self.shared;
        if shared.buf.borrow().len() <= shared.high {
            return shared.error().map_or(Ok(()), Err);
        }
        poll_fn(|cx| {
            if let Some(e) = shared.error() {
                return Poll::Ready(Err(e));
            }
            if shared.buf.borrow().len() <= shared.low || shared.finished.get() {
                return Poll::Ready(Ok(()));
            }
            shared.wait(cx);
            Poll::Pending
        })
        .await
    }

    /// Sends end of stream once the buffer is flushed (a half-close: the peer can still
    /// write to us). Later writes fail.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let (a, b) = strands::net::UnixStream::pair()?;
    ///     let w = strands::stream::StreamWriter::new(a);
    ///     w.write(b"bye")?;
    ///     w.write_eof();
    ///     let mut r = strands::stream::StreamReader::new(b);
    ///     assert_eq!(r.read_to_end().await?, b"bye");
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn write_eof(&self) {
        self.shared.eof_requested.set(true);
        self.shared.wake_flusher();
    }

    /// Closes the writer: the buffer is flushed, then the sink closed. Returns at once; see
    /// [`StreamWriter::wait_closed`].
    ///
    /// # Examples
    ///
    /// See [`StreamWriter`].
    pub fn close(&self) {
        self.shared.closing.set(true);
        self.shared.eof_requested.set(true);
        self.shared.wake_flusher();
    }

    /// True once `close` was called.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let (a, _b) = strands::net::UnixStream::pair()?;
    ///     let w = strands::stream::StreamWriter::new(a);
    ///     w.close();
    ///     assert!(w.is_closing());
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn is_closing(&self) -> bool {
        self.shared.closing.get()
    }

    /// Waits until the flusher has finished (after `close` or `write_eof`, or a failure).
    ///
    /// # Errors
    ///
    /// The error that stopped the flusher.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// See [`StreamWriter`].
    pub async fn wait_closed(&self) -> io::Result<()> {
        let shared = &self.shared;
        poll_fn(|cx| {
            if shared.finished.get() {
                return Poll::Ready(shared.error().map_or(Ok(()), Err));
            }
            shared.wait(cx);
            Poll::Pending
        })
        .await
    }
}

impl Drop for StreamWriter {
    fn drop(&mut self) {
        self.close();
    }
}

impl fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamWriter")
            .field("buffered", &self.buffered())
            .field("closing", &self.is_closing())
            .finish()
    }
}

/// The flusher task: writes the buffer out, then honours `write_eof` / `close`.
async fn flush<W: AsyncWrite + Unpin>(mut sink: W, shared: Rc<Shared>) {
    /// Ends the writer however the flusher ends: returning, cancelled, or a panicking sink.
    struct Finish(Rc<Shared>);
    impl Drop for Finish {
        fn drop(&mut self) {
            let shared = &self.0;
            if shared.error.borrow().is_none() && !shared.buf.borrow().is_empty() {
                *shared.error.borrow_mut() = Some((
                    io::ErrorKind::BrokenPipe,
                    "the writer's flusher stopped before the buffer was sent".into(),
                ));
            }
            shared.finished.set(true);
            shared.wake_waiters();
        }
    }
    let finish = Finish(shared.clone());
    let outcome = poll_fn(|cx| poll_flush_once(&mut sink, &shared, cx)).await;
    if let Err(e) = outcome {
        *shared.error.borrow_mut() = Some((e.kind(), e.to_string()));
    }
    drop(finish);
}

/// One poll of the flusher: `Ready` when finished (closed or failed).
fn poll_flush_once<W: AsyncWrite + Unpin>(
    sink: &mut W,
    shared: &Shared,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    loop {
        let n = {
            let buf = shared.buf.borrow();
            if buf.is_empty() {
                break;
            }
            let (front, _) = buf.as_slices();
            match Pin::new(&mut *sink).poll_write(cx, front) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        };
        let left = {
            let mut buf = shared.buf.borrow_mut();
            buf.drain(..n);
            buf.len()
        };
        if left <= shared.low {
            shared.wake_waiters();
        }
    }
    if shared.eof_requested.get() {
        return Pin::new(&mut *sink).poll_close(cx);
    }
    shared.flusher.set(Some(cx.waker().clone()));
    Poll::Pending
}
