//! Address resolution that does not block the loop.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Resolves `addr`: literal addresses at once, host names on a pool thread.
pub(crate) async fn resolve<A>(addr: A) -> io::Result<Vec<SocketAddr>>
where
    A: ToSocketAddrs + Send + 'static,
    A::Iter: Send,
{
    let addrs: Vec<SocketAddr> =
        crate::to_thread(move || addr.to_socket_addrs().map(Vec::from_iter))
            .await
            .map_err(|e| io::Error::other(format!("address resolution failed: {e}")))??;
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolved to nothing",
        ));
    }
    Ok(addrs)
}
