//! `StreamReader`: buffered, limited, cancel-safe reads.
//!
//! Every read method leaves the buffer untouched until it can complete: data read from the
//! socket is appended to the buffer and only taken out by the call that returns it. A read
//! cancelled (dropped) half-way therefore loses no bytes: the next read sees them.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::AsyncRead;

use crate::stream::ReadError;

/// The default limit of a line (or of any separator-terminated read): 64 KiB.
pub const DEFAULT_LIMIT: usize = 64 * 1024;

/// A buffered reader with asyncio's `StreamReader` methods. It also implements
/// `futures_io::AsyncRead` and `AsyncBufRead`, for code written against those traits.
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let (a, mut b) = strands::net::UnixStream::pair()?;
///     b.write_all(b"hello\nworld\n").await?;
///     let mut r = strands::stream::StreamReader::new(a);
///     assert_eq!(r.read_line().await?, b"hello\n");
///     assert_eq!(r.read_until(b"ld").await?, b"world");
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })
/// .unwrap()
/// .unwrap();
/// ```
pub struct StreamReader<R> {
    /// The source.
    inner: R,
    /// Buffered bytes; the unread ones are `buf[start..]`.
    buf: Vec<u8>,
    /// Start of the unread bytes.
    start: usize,
    /// Limit of separator-terminated reads.
    limit: usize,
    /// The source reported end of stream.
    eof: bool,
}

impl<R: AsyncRead + Unpin> StreamReader<R> {
    /// A reader with the default limit.
    ///
    /// # Examples
    ///
    /// See [`StreamReader`].
    pub fn new(inner: R) -> StreamReader<R> {
        StreamReader::with_limit(inner, DEFAULT_LIMIT)
    }

    /// A reader whose separator-terminated reads fail beyond `limit` bytes (at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = strands::net::UnixStream::pair()?;
    /// let r = strands::stream::StreamReader::with_limit(a, 1024);
    /// assert_eq!(r.limit(), 1024);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_limit(inner: R, limit: usize) -> StreamReader<R> {
        StreamReader {
            inner,
            buf: Vec::new(),
            start: 0,
            limit: limit.max(1),
            eof: false,
        }
    }

    /// The limit.
    ///
    /// # Examples
    ///
    /// See [`StreamReader::with_limit`].
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// True once the stream ended and the buffer is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let (a, b) = strands::net::UnixStream::pair()?;
    ///     drop(b);
    ///     let mut r = strands::stream::StreamReader::new(a);
    ///     assert!(r.read(10).await?.is_empty());
    ///     assert!(r.at_eof());
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn at_eof(&self) -> bool {
        self.eof && self.buffered() == 0
    }

    /// The bytes buffered and not yet read.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = strands::net::UnixStream::pair()?;
    /// assert!(strands::stream::StreamReader::new(a).buffer().is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// The source.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = strands::net::UnixStream::pair()?;
    /// let r = strands::stream::StreamReader::new(a);
    /// let _a: &strands::net::UnixStream = r.get_ref();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Returns the source, dropping any buffered bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = strands::net::UnixStream::pair()?;
    /// let a = strands::stream::StreamReader::new(a).into_inner();
    /// # drop(a);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Sets the limit of separator-terminated reads (at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = strands::net::UnixStream::pair()?;
    /// let mut r = strands::stream::StreamReader::new(a);
    /// r.set_limit(4096);
    /// assert_eq!(r.limit(), 4096);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit.max(1);
    }

    /// Reads up to `n` bytes: what is buffered, or else one read from the source. Empty at
    /// end of stream (or when `n` is 0).
    ///
    /// # Errors
    ///
    /// The source's read failed.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// See [`StreamReader::at_eof`].
    pub async fn read(&mut self, n: usize) -> io::Result<Vec<u8>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        if self.buffered() == 0 && !self.eof {
            poll_fn(|cx| self.poll_fill(cx, n)).await?;
        }
        let take = n.min(self.buffered());
        Ok(self.take(take))
    }

    /// Reads exactly `n` bytes.
    ///
    /// # Errors
    ///
    /// [`ReadError::IncompleteRead`] (with the bytes read) if the stream ends first;
    /// [`ReadError::Io`].
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: the bytes read so far stay buffered.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let (a, mut b) = strands::net::UnixStream::pair()?;
    ///     b.write_all(b"abc").await?;
    ///     drop(b);
    ///     let mut r = strands::stream::StreamReader::new(a);
    ///     assert_eq!(r.read_exact(2).await?, b"ab");
    ///     match r.read_exact(5).await {
    ///         Err(strands::stream::ReadError::IncompleteRead { partial, .. }) => assert_eq!(partial, b"c"),
    ///         other => panic!("{other:?}"),
    ///     }
    ///     Ok::<(), Box<dyn std::error::Error>>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub async fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, ReadError> {
        while self.buffered() < n && !self.eof {
            let want = n - self.buffered();
            poll_fn(|cx| self.poll_fill(cx, want)).await?;
        }
        if self.buffered() < n {
            let partial = self.take(self.buffered());
            return Err(ReadError::IncompleteRead {
                partial,
                expected: Some(n),
            });
        }
        Ok(self.take(n))
    }

    /// Reads a line, `\n` included. At end of stream, returns what is left (possibly
    /// empty: then the stream is over), like asyncio's `readline`.
    ///
    /// # Errors
    ///
    /// [`ReadError::LimitOverrun`] if no `\n` comes within the limit: the data stays
    /// buffered and the buffer does not grow further. [`ReadError::Io`].
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// See [`StreamReader`].
    pub async fn read_line(&mut self) -> Result<Vec<u8>, ReadError> {
        match self.read_until_any(&[b"\n"]).await {
            Err(ReadError::IncompleteRead { partial, .. }) => Ok(partial),
            other => other,
        }
    }

    /// Reads up to and including `separator`.
    ///
    /// # Errors
    ///
    /// [`ReadError::LimitOverrun`] (data kept) if the separator does not end within the
    /// limit; [`ReadError::IncompleteRead`] (data consumed) if the stream ends first;
    /// [`ReadError::Io`].
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// See [`StreamReader`].
    pub async fn read_until(&mut self, separator: &[u8]) -> Result<Vec<u8>, ReadError> {
        self.read_until_any(&[separator]).await
    }

    /// Reads up to and including the first of several separators to occur (the longest one
    /// when several end at the same place).
    ///
    /// # Errors
    ///
    /// As [`StreamReader::read_until`]; an empty separator list or an empty separator is an
    /// `InvalidInput` I/O error.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let (a, mut b) = strands::net::UnixStream::pair()?;
    ///     b.write_all(b"key=value;next").await?;
    ///     let mut r = strands::stream::StreamReader::new(a);
    ///     assert_eq!(r.read_until_any(&[b";", b"="]).await?, b"key=");
    ///     assert_eq!(r.read_until_any(&[b";", b"="]).await?, b"value;");
    ///     Ok::<(), Box<dyn std::error::Error>>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub async fn read_until_any(&mut self, separators: &[&[u8]]) -> Result<Vec<u8>, ReadError> {
        if separators.is_empty() || separators.iter().any(|s| s.is_empty()) {
            return Err(ReadError::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                "separators must be non-empty",
            )));
        }
        let mut scanned = 0;
        loop {
            if let Some(end) = self.find_separator(separators, scanned) {
                if end > self.limit {
                    return Err(ReadError::LimitOverrun { limit: self.limit });
                }
                return Ok(self.take(end));
            }
            if self.buffered() >= self.limit {
                return Err(ReadError::LimitOverrun { limit: self.limit });
            }
            if self.eof {
                let partial = self.take(self.buffered());
                return Err(ReadError::IncompleteRead {
                    partial,
                    expected: None,
                });
            }
            // Rescan only the tail a separator could straddle.
            let longest = separators.iter().map(|s| s.len()).max().unwrap_or(1);
            scanned = self.buffered().saturating_sub(longest - 1);
            let room = self.limit - self.buffered();
            poll_fn(|cx| self.poll_fill(cx, room)).await?;
        }
    }

    /// Reads until end of stream.
    ///
    /// # Errors
    ///
    /// The source's read failed (what was read stays buffered).
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let (a, mut b) = strands::net::UnixStream::pair()?;
    ///     b.write_all(b"all of it").await?;
    ///     drop(b);
    ///     let mut r = strands::stream::StreamReader::new(a);
    ///     assert_eq!(r.read_to_end().await?, b"all of it");
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub async fn read_to_end(&mut self) -> io::Result<Vec<u8>> {
        while !self.eof {
            poll_fn(|cx| self.poll_fill(cx, 64 * 1024)).await?;
        }
        Ok(self.take(self.buffered()))
    }

    /// Unread bytes.
    fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Takes `n` unread bytes out of the buffer.
    fn take(&mut self, n: usize) -> Vec<u8> {
        let out = self.buf[self.start..self.start + n].to_vec();
        self.consume_bytes(n);
        out
    }

    /// Marks `n` unread bytes as read.
    fn consume_bytes(&mut self, n: usize) {
        self.start += n;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    /// The end of the earliest separator at or after unread offset `from`.
    fn find_separator(&self, separators: &[&[u8]], from: usize) -> Option<usize> {
        let data = self.buffer();
        let mut best: Option<(usize, usize)> = None; // (start, end)
        for sep in separators {
            if let Some(pos) = data[from.min(data.len())..]
                .windows(sep.len())
                .position(|w| w == *sep)
            {
                let start = from + pos;
                let end = start + sep.len();
                best = match best {
                    Some((s, e)) if s < start || (s == start && e >= end) => Some((s, e)),
                    _ => Some((start, end)),
                };
            }
        }
        best.map(|(_, end)| end)
    }

    /// Reads at most `max` more bytes from the source into the buffer.
    fn poll_fill(&mut self, cx: &mut Context<'_>, max: usize) -> Poll<io::Result<()>> {
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let want = max.clamp(1, 64 * 1024);
        let old = self.buf.len();
        self.buf.resize(old + want, 0);
        let res = Pin::new(&mut self.inner).poll_read(cx, &mut self.buf[old..]);
        let n = match &res {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        self.buf.truncate(old + n);
        match res {
            Poll::Ready(Ok(0)) => {
                self.eof = true;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Ok(_)) => Poll::Ready(Ok(())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<R: AsyncRead + Unpin> futures_io::AsyncRead for StreamReader<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.buffered() == 0 && !this.eof {
            if let Poll::Ready(Err(e)) = this.poll_fill(cx, out.len()) {
                return Poll::Ready(Err(e));
            }
            if this.buffered() == 0 && !this.eof {
                return Poll::Pending;
            }
        }
        let n = out.len().min(this.buffered());
        out[..n].copy_from_slice(&this.buf[this.start..this.start + n]);
        this.consume_bytes(n);
        Poll::Ready(Ok(n))
    }
}

impl<R: AsyncRead + Unpin> futures_io::AsyncBufRead for StreamReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.buffered() == 0 && !this.eof {
            match this.poll_fill(cx, 64 * 1024) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(&this.buf[this.start..]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.consume_bytes(amt.min(this.buffered()));
    }
}

impl<R> fmt::Debug for StreamReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReader")
            .field("buffered", &(self.buf.len() - self.start))
            .field("limit", &self.limit)
            .field("eof", &self.eof)
            .finish()
    }
}
