//! Non-blocking sockets on the event loop.
//!
//! Sockets register with the loop that first uses them and must stay on it (using one from
//! another loop is an I/O error, not a hang). They implement `futures_io::AsyncRead` and
//! `AsyncWrite`, so the ecosystem's codecs and protocols run on strands.

mod addr;
mod tcp;

pub use tcp::{TcpListener, TcpStream};
