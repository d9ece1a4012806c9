//! asyncio-style streams: limits, cancel safety, back-pressure, closing, servers.

use std::time::Duration;

use strands::net::UnixStream;
use strands::stream::{open_connection, start_server, ReadError, StreamReader, StreamWriter};

#[test]
fn an_overlong_line_is_an_error_that_keeps_the_data_and_bounds_memory() {
    strands::run(async {
        let (a, mut b) = UnixStream::pair()?;
        let mut r = StreamReader::with_limit(a, 100);
        let writer = strands::spawn(async move {
            b.write_all(&[b'x'; 1000]).await?;
            b.write_all(b"\nshort\n").await?;
            Ok::<_, std::io::Error>(b)
        });
        match r.read_line().await {
            Err(ReadError::LimitOverrun { limit: 100 }) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(r.buffer().len(), 100, "the buffer stops at the limit");
        // The connection stays usable: consume the long line by hand.
        let mut skipped = 0;
        while skipped < 1001 {
            skipped += r.read(1001 - skipped).await?.len();
        }
        assert_eq!(r.read_line().await.unwrap(), b"short\n");
        drop(writer.await.unwrap()?);
        assert_eq!(r.read_line().await.unwrap(), b"");
        assert!(r.at_eof());
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn a_line_of_exactly_the_limit_is_accepted() {
    strands::run(async {
        let (a, mut b) = UnixStream::pair()?;
        let mut r = StreamReader::with_limit(a, 10);
        b.write_all(b"123456789\n").await?;
        assert_eq!(r.read_line().await.unwrap(), b"123456789\n");
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn cancelled_reads_lose_no_bytes() {
    strands::run(async {
        let (a, mut b) = UnixStream::pair()?;
        let mut r = StreamReader::new(a);
        b.write_all(b"partial line without end").await?;
        // Each attempt times out mid-line; the bytes must survive.
        for _ in 0..3 {
            let res = strands::timeout(Duration::from_millis(2), r.read_line()).await;
            assert!(res.is_err());
        }
        let res = strands::timeout(Duration::from_millis(2), r.read_exact(100)).await;
        assert!(res.is_err());
        b.write_all(b" -- now ended\n").await?;
        assert_eq!(
            r.read_line().await.unwrap(),
            b"partial line without end -- now ended\n"
        );
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn read_until_finds_separators_split_across_reads() {
    strands::run(async {
        let (a, mut b) = UnixStream::pair()?;
        let mut r = StreamReader::new(a);
        let w = strands::spawn(async move {
            for chunk in [&b"head\r"[..], b"\n", b"\r", b"\nbody"] {
                b.write_all(chunk).await?;
                strands::sleep(Duration::from_millis(1)).await;
            }
            Ok::<_, std::io::Error>(())
        });
        assert_eq!(r.read_until(b"\r\n").await.unwrap(), b"head\r\n");
        assert_eq!(r.read_until(b"\r\n").await.unwrap(), b"\r\n");
        w.await.unwrap()?;
        match r.read_until(b"\r\n").await {
            Err(ReadError::IncompleteRead {
                partial,
                expected: None,
            }) => {
                assert_eq!(partial, b"body")
            }
            other => panic!("{other:?}"),
        }
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn drain_bounds_the_buffer_of_a_fast_writer_to_a_slow_reader() {
    strands::run(async {
        let (a, b) = UnixStream::pair()?;
        let w = StreamWriter::with_water_marks(a, 32 * 1024, 8 * 1024);
        let mut r = StreamReader::new(b);
        let reader = strands::spawn(async move {
            let mut total = 0;
            loop {
                let chunk = r.read(4096).await?;
                if chunk.is_empty() {
                    return Ok::<_, std::io::Error>(total);
                }
                total += chunk.len();
                strands::sleep(Duration::from_micros(200)).await; // slow consumer
            }
        });
        let mut peak = 0;
        for _ in 0..512 {
            w.write(&[7; 4096])?;
            peak = peak.max(w.buffered());
            w.drain().await?;
        }
        w.close();
        w.wait_closed().await?;
        assert_eq!(reader.await.unwrap()?, 512 * 4096);
        assert!(peak <= 32 * 1024 + 4096, "buffer grew to {peak}");
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn write_after_close_is_an_error() {
    strands::run(async {
        let (a, _b) = UnixStream::pair()?;
        let w = StreamWriter::new(a);
        w.close();
        assert_eq!(
            w.write(b"late").unwrap_err().kind(),
            std::io::ErrorKind::BrokenPipe
        );
        w.wait_closed().await?;
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn a_peer_reset_surfaces_in_drain_and_wait_closed() {
    strands::run(async {
        let (a, b) = UnixStream::pair()?;
        let w = StreamWriter::new(a);
        drop(b);
        let mut failed = false;
        for _ in 0..1000 {
            if w.write(&[0; 65536]).is_err() || w.drain().await.is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed);
        assert!(w.wait_closed().await.is_err());
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn a_server_serves_many_clients_and_closes_cleanly() {
    strands::run(async {
        let server = start_server(
            |mut r, w| async move {
                while let Ok(line) = r.read_line().await {
                    if line.is_empty() {
                        break;
                    }
                    let mut reply = line.to_ascii_uppercase();
                    reply.insert(0, b'>');
                    if w.write(&reply).is_err() || w.drain().await.is_err() {
                        break;
                    }
                }
            },
            "127.0.0.1:0",
        )
        .await?;
        let addr = server.addresses()[0];
        let clients: Vec<_> = (0..50)
            .map(|i| {
                strands::spawn(async move {
                    let (mut r, w) = open_connection(addr).await?;
                    for j in 0..10 {
                        w.write(format!("c{i} m{j}\n").as_bytes())?;
                        let line = r.read_line().await.map_err(std::io::Error::from)?;
                        assert_eq!(line, format!(">C{i} M{j}\n").as_bytes());
                    }
                    w.close();
                    w.wait_closed().await
                })
            })
            .collect();
        for c in strands::gather(clients).await.unwrap() {
            c?;
        }
        server.close();
        strands::timeout(Duration::from_secs(10), server.wait_closed())
            .await
            .expect("handlers finish after their clients leave");
        assert_eq!(server.active_connections(), 0);
        assert!(
            open_connection(addr).await.is_err(),
            "closed servers refuse"
        );
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn the_reader_works_through_the_futures_io_traits() {
    use futures_io::{AsyncBufRead, AsyncRead};
    use std::pin::Pin;
    strands::run(async {
        let (a, mut b) = UnixStream::pair()?;
        b.write_all(b"line one\nrest").await?;
        drop(b);
        let mut r = StreamReader::new(a);
        let buf = std::future::poll_fn(|cx| {
            Pin::new(&mut r)
                .poll_fill_buf(cx)
                .map(|res| res.map(<[u8]>::to_vec))
        })
        .await?;
        assert!(buf.starts_with(b"line one\n"));
        Pin::new(&mut r).consume(9);
        let mut out = [0; 16];
        let n = std::future::poll_fn(|cx| Pin::new(&mut r).poll_read(cx, &mut out)).await?;
        assert_eq!(&out[..n], b"rest");
        let n = std::future::poll_fn(|cx| Pin::new(&mut r).poll_read(cx, &mut out)).await?;
        assert_eq!(n, 0);
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn waiters_of_a_writer_whose_sink_panics_are_released() {
    struct PanickingSink;
    impl futures_io::AsyncWrite for PanickingSink {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            _: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            panic!("sink exploded")
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_close(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }
    let mut lp = strands::EventLoop::builder()
        .on_task_panic(|_| {})
        .build()
        .unwrap();
    lp.block_on(async {
        let w = StreamWriter::new(PanickingSink);
        w.write(b"data").unwrap();
        let res = strands::timeout(Duration::from_secs(10), w.wait_closed()).await;
        assert!(res.expect("wait_closed returns").is_err());
    })
    .unwrap();
}
