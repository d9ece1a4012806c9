//! The child's standard streams on the loop: `PipeReader` (stdout, stderr) and `PipeWriter`
//! (stdin).

use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use mio::unix::pipe;

use crate::event_loop::reactor::Direction;
use crate::io::IoSource;

/// The most bytes `read_to_end` asks for in one `read` (one pipe's default capacity).
const READ_CHUNK: usize = 64 * 1024;

/// The read end of a pipe from a child: its stdout or stderr.
///
/// Reads are cancel-safe. It implements `futures_io::AsyncRead`. It belongs to the loop
/// that first reads it.
///
/// # Examples
///
/// ```
/// use strands::process::{Command, Stdio};
///
/// strands::run(async {
///     let mut child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn()?;
///     let mut out = Vec::new();
///     child.stdout.as_mut().unwrap().read_to_end(&mut out).await?;
///     assert_eq!(out, b"hi\n");
///     assert!(child.wait().await?.success());
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap()
/// .unwrap();
/// ```
pub struct PipeReader {
    /// The registered read end.
    io: IoSource<pipe::Receiver>,
}

impl PipeReader {
    /// Takes over a child's stdout or stderr, making it non-blocking.
    pub(crate) fn new(rx: pipe::Receiver) -> io::Result<PipeReader> {
        rx.set_nonblocking(true)?;
        Ok(PipeReader {
            io: IoSource::new(rx),
        })
    }

    /// Reads what is available: at least one byte, or `0` at end of stream (the child
    /// closed its end, usually by exiting).
    ///
    /// # Errors
    ///
    /// As `read(2)`; or called with no loop on this thread, or on another loop than the
    /// one that first used the pipe.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use strands::process::{Command, Stdio};
    ///
    /// strands::run(async {
    ///     let mut child = Command::new("printf").arg("x").stdout(Stdio::piped()).spawn()?;
    ///     let mut buf = [0; 8];
    ///     let n = child.stdout.as_mut().unwrap().read(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"x");
    ///     child.wait().await?;
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read_buf(cx, buf)).await
    }

    /// Reads until end of stream, appending to `buf`; returns the number of bytes read.
    ///
    /// # Errors
    ///
    /// As [`PipeReader::read`]; the bytes read before the error are in `buf`.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe in the sense that no byte is lost: bytes read before the cancellation
    /// are in `buf`.
    ///
    /// # Examples
    ///
    /// See [`PipeReader`].
    pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let start = buf.len();
        poll_fn(|cx| self.poll_read_to_end(cx, buf)).await?;
        Ok(buf.len() - start)
    }

    /// Polls a read into `buf`.
    fn poll_read_buf(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(Direction::Read, cx, |mut rx| rx.read(buf))
    }

    /// Reads into `buf` until end of stream (`Ready(Ok)`), an error, or `Pending`. Bytes
    /// read are in `buf` whatever the outcome.
    pub(crate) fn poll_read_to_end(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut Vec<u8>,
    ) -> Poll<io::Result<()>> {
        loop {
            let start = buf.len();
            buf.reserve(READ_CHUNK.min(start.max(4096)));
            // Zero only the window this read may fill, never the whole spare capacity.
            let window = (buf.capacity() - start).min(READ_CHUNK);
            buf.resize(start + window, 0);
            let res = self.poll_read_buf(cx, &mut buf[start..]);
            let n = match &res {
                Poll::Ready(Ok(n)) => *n,
                _ => 0,
            };
            buf.truncate(start + n);
            match res {
                Poll::Ready(Ok(0)) => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl futures_io::AsyncRead for PipeReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_buf(cx, buf)
    }
}

impl AsRawFd for PipeReader {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl fmt::Debug for PipeReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipeReader")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

/// The write end of a pipe to a child: its stdin. Dropping it closes the pipe, which the
/// child reads as end of input.
///
/// Writes are cancel-safe. It implements `futures_io::AsyncWrite` (`poll_close` does
/// nothing: drop the writer to close the pipe). It belongs to the loop that first writes it.
///
/// # Examples
///
/// ```
/// use strands::process::{Command, Stdio};
///
/// strands::run(async {
///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
///     let mut stdin = child.stdin.take().unwrap();
///     stdin.write_all(b"meow").await?;
///     drop(stdin); // end of input: `cat` exits after echoing
///     let mut out = Vec::new();
///     child.stdout.as_mut().unwrap().read_to_end(&mut out).await?;
///     assert_eq!(out, b"meow");
///     child.wait().await?;
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap()
/// .unwrap();
/// ```
pub struct PipeWriter {
    /// The registered write end.
    io: IoSource<pipe::Sender>,
}

impl PipeWriter {
    /// Takes over a child's stdin, making it non-blocking.
    pub(crate) fn new(tx: pipe::Sender) -> io::Result<PipeWriter> {
        tx.set_nonblocking(true)?;
        Ok(PipeWriter {
            io: IoSource::new(tx),
        })
    }

    /// Writes some of `buf`; returns how much (at least one byte unless `buf` is empty).
    ///
    /// # Errors
    ///
    /// As `write(2)`: `BrokenPipe` once the child has closed its end (exited). Called with
    /// no loop on this thread, or on another loop than the one that first used the pipe.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use strands::process::{Command, Stdio};
    ///
    /// strands::run(async {
    ///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::null()).spawn()?;
    ///     let n = child.stdin.as_mut().unwrap().write(b"abc").await?;
    ///     assert!(n > 0);
    ///     child.stdin = None;
    ///     child.wait().await?;
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write_buf(cx, buf)).await
    }

    /// Writes all of `buf`.
    ///
    /// # Errors
    ///
    /// As [`PipeWriter::write`].
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe: part of `buf` may have been written.
    ///
    /// # Examples
    ///
    /// See [`PipeWriter`].
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        crate::io::util::write_all(|cx, b| self.poll_write_buf(cx, b), buf).await
    }

    /// Polls a write of `buf`.
    pub(crate) fn poll_write_buf(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_io(Direction::Write, cx, |mut tx| tx.write(buf))
    }
}

impl futures_io::AsyncWrite for PipeWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_buf(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(())) // no user-space buffer
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(())) // the pipe closes when the writer is dropped
    }
}

impl AsRawFd for PipeWriter {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl fmt::Debug for PipeWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipeWriter")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

// Compile-time check: pipes may move between threads (to be used on one loop).
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<PipeReader>();
    send_sync::<PipeWriter>();
};
