//! TCP on the loop: echo, many connections, half-close, resets, errors, fairness.

use std::cell::Cell;
use std::io::ErrorKind;
use std::net::Shutdown;
use std::rc::Rc;
use std::time::Duration;

use strands::net::{TcpListener, TcpStream};

/// An echo server task that serves `conns` connections.
fn echo_server(listener: TcpListener, conns: usize) -> strands::Task<std::io::Result<()>> {
    strands::spawn(async move {
        for _ in 0..conns {
            let (mut s, _) = listener.accept().await?;
            drop(strands::spawn(async move {
                let mut buf = vec![0; 4096];
                loop {
                    let n = s.read(&mut buf).await?;
                    if n == 0 {
                        return Ok::<(), std::io::Error>(());
                    }
                    s.write_all(&buf[..n]).await?;
                }
            }));
        }
        Ok(())
    })
}

#[test]
fn a_hundred_clients_echo_on_one_loop() {
    strands::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let server = echo_server(listener, 100);
        let clients: Vec<_> = (0..100u32)
            .map(|i| {
                strands::spawn(async move {
                    let mut c = TcpStream::connect(addr).await?;
                    c.set_nodelay(true)?;
                    for round in 0..50u32 {
                        let msg = format!("{i}:{round}:{}", "x".repeat(64));
                        c.write_all(msg.as_bytes()).await?;
                        let mut back = vec![0; msg.len()];
                        c.read_exact(&mut back).await?;
                        assert_eq!(back, msg.as_bytes());
                    }
                    Ok::<(), std::io::Error>(())
                })
            })
            .collect();
        for r in strands::gather(clients).await.unwrap() {
            r?;
        }
        server.await.unwrap()
    })
    .unwrap()
    .unwrap();
}

#[test]
fn large_transfers_survive_partial_writes() {
    strands::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let data: Vec<u8> = (0..8 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
        let expected = data.clone();
        let reader = strands::spawn(async move {
            let (mut s, _) = listener.accept().await?;
            let mut got = Vec::new();
            let mut buf = vec![0; 65536];
            loop {
                let n = s.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            Ok::<_, std::io::Error>(got)
        });
        let mut c = TcpStream::connect(addr).await?;
        c.write_all(&data).await?;
        c.shutdown(Shutdown::Write)?;
        assert!(reader.await.unwrap()? == expected);
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn half_close_works_both_ways() {
    strands::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let mut c = TcpStream::connect(listener.local_addr()?).await?;
        let (mut s, _) = listener.accept().await?;
        c.write_all(b"request").await?;
        c.shutdown(Shutdown::Write)?;
        let mut req = Vec::new();
        let mut buf = [0; 64];
        loop {
            let n = s.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            req.extend_from_slice(&buf[..n]);
        }
        assert_eq!(req, b"request");
        // The other direction still works after the client's half-close.
        s.write_all(b"response").await?;
        s.shutdown(Shutdown::Write)?;
        let mut resp = [0; 8];
        c.read_exact(&mut resp).await?;
        assert_eq!(&resp, b"response");
        assert_eq!(c.read(&mut buf).await?, 0);
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn a_peer_reset_fails_that_stream_only() {
    strands::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let victim = TcpStream::connect(addr).await?;
        let (gone, _) = listener.accept().await?;
        let mut healthy = TcpStream::connect(addr).await?;
        let (mut healthy_srv, _) = listener.accept().await?;
        drop(gone); // the server side closes; the client keeps writing
        let mut victim = victim;
        let mut failed = None;
        for _ in 0..1000 {
            if let Err(e) = victim.write_all(&[0; 65536]).await {
                failed = Some(e);
                break;
            }
            strands::sleep(Duration::from_millis(1)).await;
        }
        let e = failed.expect("writing to a closed peer must fail");
        assert!(
            matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset),
            "{e}"
        );
        healthy.write_all(b"still fine").await?;
        let mut buf = [0; 10];
        healthy_srv.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"still fine");
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn bad_addresses_give_clear_errors() {
    strands::run(async {
        let refused = TcpStream::connect("127.0.0.1:1").await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
        assert!(TcpStream::connect("no-such-host.invalid:80").await.is_err());
        assert!(TcpStream::connect("not an address").await.is_err());
        assert!(TcpListener::bind("256.1.1.1:0").is_err());
    })
    .unwrap();
}

#[test]
fn a_busy_reader_does_not_starve_other_tasks() {
    strands::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let mut c = TcpStream::connect(listener.local_addr()?).await?;
        let (mut s, _) = listener.accept().await?;
        // 256 KiB fits in loopback socket buffers: once written, the reads below succeed
        // without ever meeting WouldBlock, so only the cooperative budget makes them yield.
        let writer = strands::spawn(async move {
            for _ in 0..16 {
                c.write_all(&[1; 16 * 1024]).await?;
            }
            Ok::<_, std::io::Error>(c)
        });
        let ticks = Rc::new(Cell::new(0u32));
        let t = ticks.clone();
        let ticker = strands::spawn(async move {
            loop {
                t.set(t.get() + 1);
                strands::yield_now().await;
            }
        });
        let c = writer.await.unwrap()?;
        let before = ticks.get();
        let mut total = 0;
        let mut buf = [0; 16];
        while total < 16 * 16 * 1024 {
            total += s.read(&mut buf).await?; // tiny reads: thousands of them
        }
        assert!(ticks.get() > before + 10, "the reader monopolised the loop");
        ticker.cancel();
        drop(c);
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn futures_io_traits_work() {
    use futures_io::{AsyncRead, AsyncWrite};
    strands::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let mut c = TcpStream::connect(listener.local_addr()?).await?;
        let (mut s, _) = listener.accept().await?;
        let n = std::future::poll_fn(|cx| std::pin::Pin::new(&mut c).poll_write(cx, b"io")).await?;
        assert_eq!(n, 2);
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut c).poll_close(cx)).await?;
        let mut buf = [0; 2];
        let n =
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut s).poll_read(cx, &mut buf)).await?;
        assert_eq!(&buf[..n], b"io");
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn a_socket_used_outside_a_loop_is_an_error() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut s = TcpStream::from_std(std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap())
        .unwrap();
    let mut lp = strands::EventLoop::new().unwrap();
    lp.block_on(async { s.write_all(b"x").await })
        .unwrap()
        .unwrap();
    // Registered with `lp`; another loop refuses it with an error, not a hang.
    let err = strands::run(async { s.write_all(b"y").await })
        .unwrap()
        .unwrap_err();
    assert!(err.to_string().contains("another event loop"));
}

#[test]
fn two_tasks_accepting_on_one_listener_both_get_a_connection() {
    strands::run(async {
        let listener = Rc::new(TcpListener::bind("127.0.0.1:0")?);
        let addr = listener.local_addr()?;
        let acceptors: Vec<_> = (0..2)
            .map(|_| {
                let l = listener.clone();
                strands::spawn(async move { l.accept().await.map(|_| ()) })
            })
            .collect();
        strands::yield_now().await; // both wait on the same listener now
        let _a = TcpStream::connect(addr).await?;
        let _b = TcpStream::connect(addr).await?;
        let both = strands::timeout(Duration::from_secs(10), strands::gather(acceptors))
            .await
            .expect("both acceptors are woken");
        for r in both.unwrap() {
            r?;
        }
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn a_socket_carried_to_a_new_loop_is_refused_not_spun_on() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let mut s = strands::run(async move { TcpStream::connect(addr).await })
        .unwrap()
        .unwrap();
    // The first loop is gone; the next one must refuse the socket with an error.
    let res =
        strands::run(async { strands::timeout(Duration::from_secs(5), s.read(&mut [0; 8])).await })
            .unwrap();
    let err = res.expect("no spinning").unwrap_err();
    assert!(err.to_string().contains("another event loop"), "{err}");
}

#[test]
fn closing_after_the_peer_reset_is_not_an_error() {
    use futures_io::AsyncWrite;
    strands::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let mut c = TcpStream::connect(listener.local_addr()?).await?;
        let (s, _) = listener.accept().await?;
        drop(s);
        // Provoke the reset, then close: asked to close, the stream is closed.
        for _ in 0..100 {
            if c.write_all(&[0; 4096]).await.is_err() {
                break;
            }
            strands::sleep(Duration::from_millis(1)).await;
        }
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut c).poll_close(cx)).await
    })
    .unwrap()
    .unwrap();
}
