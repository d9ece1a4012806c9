//! The loops every byte stream needs, written once over a poll function.

use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

/// Writes all of `buf` through `poll_write`; `WriteZero` if it accepts nothing.
pub(crate) async fn write_all(
    mut poll_write: impl FnMut(&mut Context<'_>, &[u8]) -> Poll<io::Result<usize>>,
    mut buf: &[u8],
) -> io::Result<()> {
    while !buf.is_empty() {
        match poll_fn(|cx| poll_write(cx, buf)).await? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => buf = &buf[n..],
        }
    }
    Ok(())
}

/// Fills `buf` through `poll_read`; `UnexpectedEof` if the stream ends first.
pub(crate) async fn read_exact(
    mut poll_read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>,
    buf: &mut [u8],
) -> io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        match poll_fn(|cx| poll_read(cx, &mut buf[filled..])).await? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => filled += n,
        }
    }
    Ok(())
}
