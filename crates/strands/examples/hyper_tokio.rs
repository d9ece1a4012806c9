//! The service of `examples/hyper_server.rs` on tokio's current-thread runtime (hyper-util's
//! `TokioIo` and `TokioTimer`), so that `benches/http.sh` loads both the same way.
//!
//! Run: `cargo run --release -p strands --example hyper_tokio -- 127.0.0.1:8081`, then
//! `curl -i http://127.0.0.1:8081/`. `--max-requests N` as in `hyper_server`.

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
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// The service: the same bytes as `examples/hyper_server.rs`.
async fn hello(
    _: Request<Incoming>,
    served: Rc<Cell<u64>>,
    max: Option<u64>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    served.set(served.get() + 1);
    let mut response = Response::new(Full::new(Bytes::from_static(b"Hello, World!\n")));
    if max.is_some_and(|m| served.get() >= m) {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    Ok(response)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8081".into());
    let max: Option<u64> = match (args.next().as_deref(), args.next()) {
        (Some("--max-requests"), Some(n)) => Some(n.parse()?),
        (None, _) => None,
        _ => return Err("usage: hyper_tokio [ADDR] [--max-requests N]".into()),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let listener = TcpListener::bind(addr.as_str()).await?;
        println!(
            "hyper on tokio current_thread, http://{}",
            listener.local_addr()?
        );
        let served = Rc::new(Cell::new(0u64));
        let done = Arc::new(Notify::new());
        let accept_done = done.clone();
        let acceptor = tokio::task::spawn_local(async move {
            loop {
                let (stream, peer) = match listener.accept().await {
                    Ok(conn) => conn,
                    Err(e) => {
                        eprintln!("accept: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let (served, done) = (served.clone(), accept_done.clone());
                tokio::task::spawn_local(async move {
                    let count = served.clone();
                    let service = service_fn(move |req| hello(req, count.clone(), max));
                    let conn = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .serve_connection(TokioIo::new(stream), service);
                    if let Err(e) = conn.await {
                        eprintln!("{peer}: {e}");
                    }
                    if max.is_some_and(|m| served.get() >= m) {
                        done.notify_one();
                    }
                });
            }
        });
        done.notified().await;
        acceptor.abort();
        Ok::<(), std::io::Error>(())
    })?;
    Ok(())
}
