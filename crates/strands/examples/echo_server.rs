//! A TCP echo server: one task per connection, all on one thread.
//!
//! Run: `cargo run --release -p strands --example echo_server -- 127.0.0.1:7000`, then
//! `nc 127.0.0.1 7000` in another terminal. Stops after `--max-conns N` connections if given.

use strands::net::{TcpListener, TcpStream};

async fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(()); // the client closed its side
        }
        stream.write_all(&buf[..n]).await?;
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:7000".into());
    let max_conns: Option<usize> = match (args.next().as_deref(), args.next()) {
        (Some("--max-conns"), Some(n)) => Some(n.parse()?),
        _ => None,
    };
    strands::run(async move {
        let mut listener = TcpListener::bind(addr.as_str())?;
        println!("echo server on {}", listener.local_addr()?);
        let mut served = 0;
        while max_conns.is_none_or(|m| served < m) {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    served += 1;
                    drop(strands::spawn(async move {
                        if let Err(e) = serve(stream).await {
                            eprintln!("{peer}: {e}");
                        }
                    }));
                }
                // Out of descriptors and the like: wait a little and keep serving.
                Err(e) => {
                    eprintln!("accept: {e}");
                    strands::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
        Ok::<(), std::io::Error>(())
    })??;
    Ok(())
}
