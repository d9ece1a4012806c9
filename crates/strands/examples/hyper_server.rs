//! An HTTP/1.1 hello-world server: hyper 1.x running on a strands event loop, one task per
//! connection, all on one thread.
//!
//! Run: `cargo run --release -p strands --example hyper_server -- 127.0.0.1:8080`, then
//! `curl -i http://127.0.0.1:8080/`. With `--max-requests N` the server exits after the
//! N-th response (sent with `connection: close`) is written. `examples/hyper_tokio.rs` is the
//! same service on tokio's current-thread runtime; `benches/http.sh` loads both with wrk.
//!
//! hyper does not know strands: the [`rt`] module below adapts it (example code, not library
//! API). hyper's HTTP/1 server connection needs no executor, only I/O and a timer.

use std::cell::Cell;
use std::convert::Infallible;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONNECTION};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use strands::net::TcpListener;
use strands::sync::Event;

/// hyper's runtime traits over strands: [`rt::Io`] for `hyper::rt::Read`/`Write`,
/// [`rt::Timer`] for `hyper::rt::Timer`.
mod rt {
    use std::future::Future;
    use std::io;
    use std::mem::MaybeUninit;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::{Duration, Instant};

    use futures_io::{AsyncRead, AsyncWrite};
    use hyper::rt::ReadBufCursor;

    /// Bytes zeroed per read at most: hyper hands out uninitialized spare capacity, which a
    /// safe `&mut [u8]` read cannot take, so the adapter initializes a bounded prefix of it
    /// (hyper's read buffer starts at 8 KiB).
    const MAX_READ: usize = 16 * 1024;

    /// A futures-io stream (strands' `TcpStream`) seen as hyper I/O.
    pub struct Io<T>(pub T);

    impl<T: AsyncRead + Unpin> hyper::rt::Read for Io<T> {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            mut buf: ReadBufCursor<'_>,
        ) -> Poll<io::Result<()>> {
            // SAFETY: only initialized bytes are written to the slice (`fill` below), and
            // `advance` is called with no more than the count the read initialized.
            let spare: &mut [MaybeUninit<u8>] = unsafe { buf.as_mut() };
            let len = spare.len().min(MAX_READ);
            let spare = &mut spare[..len];
            spare.fill(MaybeUninit::new(0));
            // SAFETY: every byte of `spare` was initialized just above, and `MaybeUninit<u8>`
            // has the layout of `u8`.
            let init: &mut [u8] =
                unsafe { std::slice::from_raw_parts_mut(spare.as_mut_ptr().cast::<u8>(), len) };
            let n = match Pin::new(&mut self.get_mut().0).poll_read(cx, init) {
                Poll::Ready(Ok(n)) => n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            // SAFETY: the read initialized (and filled) the first `n <= len` bytes.
            unsafe { buf.advance(n) };
            Poll::Ready(Ok(()))
        }
    }

    impl<T: AsyncWrite + Unpin> hyper::rt::Write for Io<T> {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.get_mut().0).poll_flush(cx)
        }

        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            // strands' `poll_close` already treats a peer that reset the connection as closed.
            Pin::new(&mut self.get_mut().0).poll_close(cx)
        }
    }

    /// `hyper::rt::Timer` over strands' timers (`strands::sleep_until`): the sleeps must be
    /// polled on the loop that runs the connection, which hyper's HTTP/1 server does.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Timer;

    /// A strands `Sleep` as a hyper `Sleep` (strands' `Sleep` is `Send + Sync`).
    pub struct Sleep(strands::Sleep);

    impl Future for Sleep {
        type Output = ();

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            Pin::new(&mut self.get_mut().0).poll(cx)
        }
    }

    impl hyper::rt::Sleep for Sleep {}

    impl hyper::rt::Timer for Timer {
        fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
            Box::pin(Sleep(strands::sleep(duration)))
        }

        fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
            Box::pin(Sleep(strands::sleep_until(deadline)))
        }

        fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
            // Re-arm in place when the sleep is ours (no new allocation), else replace it.
            match sleep.as_mut().downcast_mut_pin::<Sleep>() {
                Some(ours) => ours.get_mut().0.reset(new_deadline),
                None => *sleep = self.sleep_until(new_deadline),
            }
        }
    }
}

/// The service: the same bytes as `examples/hyper_tokio.rs`.
async fn hello(
    _: Request<Incoming>,
    served: Rc<Cell<u64>>,
    max: Option<u64>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    served.set(served.get() + 1);
    let mut response = Response::new(Full::new(Bytes::from_static(b"Hello, World!\n")));
    if max.is_some_and(|m| served.get() >= m) {
        // The last response: hyper closes the connection once it is written.
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    Ok(response)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".into());
    let max: Option<u64> = match (args.next().as_deref(), args.next()) {
        (Some("--max-requests"), Some(n)) => Some(n.parse()?),
        (None, _) => None,
        _ => return Err("usage: hyper_server [ADDR] [--max-requests N]".into()),
    };
    strands::run(async move {
        let listener = TcpListener::bind(addr.as_str())?;
        println!("hyper on strands, http://{}", listener.local_addr()?);
        let served = Rc::new(Cell::new(0u64));
        let done = Arc::new(Event::new());
        let accept_done = done.clone();
        // The accept loop runs as a task; `run` cancels it (and open connections) once the
        // main future returns.
        let _acceptor = strands::spawn(async move {
            loop {
                let (stream, peer) = match listener.accept().await {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of descriptors and the like: wait a little and keep serving.
                        eprintln!("accept: {e}");
                        strands::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let (served, done) = (served.clone(), accept_done.clone());
                drop(strands::spawn(async move {
                    let count = served.clone();
                    let service = service_fn(move |req| hello(req, count.clone(), max));
                    let conn = http1::Builder::new()
                        .timer(rt::Timer)
                        .serve_connection(rt::Io(stream), service);
                    if let Err(e) = conn.await {
                        eprintln!("{peer}: {e}");
                    }
                    if max.is_some_and(|m| served.get() >= m) {
                        done.set();
                    }
                }));
            }
        });
        done.wait().await;
        Ok::<(), std::io::Error>(())
    })??;
    Ok(())
}
