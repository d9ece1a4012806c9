//! asyncio-style streams: a buffered [`StreamReader`] with line limits, a [`StreamWriter`]
//! with back-pressure, and the helpers that make them from sockets ([`open_connection`],
//! [`start_server`] and their Unix forms).

mod error;
mod reader;
mod server;
mod writer;

pub use error::ReadError;
pub use reader::{StreamReader, DEFAULT_LIMIT};
pub use server::{open_connection, open_unix_connection, start_server, start_unix_server, Server};
pub use writer::{StreamWriter, DEFAULT_HIGH_WATER, DEFAULT_LOW_WATER};
