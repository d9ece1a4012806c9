//! Why a stream read failed.

use std::fmt;
use std::io;

/// Why a [`StreamReader`](crate::stream::StreamReader) read failed.
///
/// # Examples
///
/// ```
/// let e = strands::stream::ReadError::LimitOverrun { limit: 10 };
/// assert_eq!(e.to_string(), "separator not found within the limit of 10 bytes");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ReadError {
    /// No separator within `limit` bytes. The data stays in the buffer: read it with
    /// `read(n)`, or drop the connection.
    LimitOverrun {
        /// The reader's limit.
        limit: usize,
    },
    /// The stream ended before the separator or the requested count. `partial` holds the
    /// bytes that were read (and consumed).
    IncompleteRead {
        /// What was read before the end.
        partial: Vec<u8>,
        /// The count that was asked for, if any.
        expected: Option<usize>,
    },
    /// The underlying read failed.
    Io(io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::LimitOverrun { limit } => {
                write!(f, "separator not found within the limit of {limit} bytes")
            }
            ReadError::IncompleteRead { partial, expected } => match expected {
                Some(n) => write!(f, "stream ended after {} of {n} bytes", partial.len()),
                None => write!(
                    f,
                    "stream ended after {} bytes, before the separator",
                    partial.len()
                ),
            },
            ReadError::Io(e) => write!(f, "read failed: {e}"),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> ReadError {
        ReadError::Io(e)
    }
}

impl From<ReadError> for io::Error {
    fn from(e: ReadError) -> io::Error {
        match e {
            ReadError::Io(e) => e,
            ReadError::LimitOverrun { .. } => io::Error::new(io::ErrorKind::InvalidData, e),
            ReadError::IncompleteRead { .. } => io::Error::new(io::ErrorKind::UnexpectedEof, e),
        }
    }
}
