//! UDP and Unix domain sockets.

use strands::net::{UdpSocket, UnixDatagram, UnixListener, UnixStream};

#[test]
fn udp_round_trips_many_datagrams() {
    strands::run(async {
        let server = UdpSocket::bind("127.0.0.1:0")?;
        let client = UdpSocket::bind("127.0.0.1:0")?;
        let saddr = server.local_addr()?;
        let echo = strands::spawn(async move {
            let mut buf = [0; 1500];
            for _ in 0..200 {
                let (n, from) = server.recv_from(&mut buf).await?;
                server.send_to(&buf[..n], from).await?;
            }
            Ok::<(), std::io::Error>(())
        });
        client.connect(saddr)?;
        let mut buf = [0; 1500];
        for i in 0..200u32 {
            client.send(&i.to_be_bytes()).await?;
            let n = client.recv(&mut buf).await?;
            assert_eq!(&buf[..n], &i.to_be_bytes());
        }
        echo.await.unwrap()
    })
    .unwrap()
    .unwrap();
}

#[test]
fn unix_listener_serves_several_clients() {
    let dir = std::env::temp_dir().join(format!("strands-test-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.sock");
    let _ = std::fs::remove_file(&path);
    let p = path.clone();
    strands::run(async move {
        let mut l = UnixListener::bind(&p)?;
        let server = strands::spawn(async move {
            for _ in 0..5 {
                let (mut s, _) = l.accept().await?;
                let mut b = [0; 1];
                s.read_exact(&mut b).await?;
                s.write_all(&[b[0] + 1]).await?;
            }
            Ok::<(), std::io::Error>(())
        });
        for i in 0..5u8 {
            let mut c = UnixStream::connect(&p).await?;
            c.write_all(&[i]).await?;
            let mut b = [0; 1];
            c.read_exact(&mut b).await?;
            assert_eq!(b[0], i + 1);
        }
        server.await.unwrap()
    })
    .unwrap()
    .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unix_connect_to_nothing_is_a_clear_error() {
    strands::run(async {
        let e = UnixStream::connect("/nonexistent-dir/x.sock")
            .await
            .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    })
    .unwrap();
}

#[test]
fn unix_datagrams_keep_boundaries() {
    strands::run(async {
        let (a, b) = UnixDatagram::pair()?;
        a.send(b"one").await?;
        a.send(b"two!").await?;
        let mut buf = [0; 16];
        assert_eq!(b.recv(&mut buf).await?, 3);
        assert_eq!(b.recv(&mut buf).await?, 4);
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}
