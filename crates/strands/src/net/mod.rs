//! Non-blocking sockets on the event loop: TCP, UDP and Unix domain sockets.
//!
//! Sockets register with the loop that first uses them and must stay on it (using one from
//! another loop is an I/O error, not a hang). Stream sockets implement
//! `futures_io::AsyncRead` and `AsyncWrite`, so the ecosystem's codecs and protocols run on
//! strands, and split into owned halves for a reader task and a writer task.

mod addr;
mod conn;
mod tcp;
mod udp;
mod unix;

pub use conn::{Connection, ReadHalf, WriteHalf};
pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};
