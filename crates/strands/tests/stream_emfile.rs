//! The accept loop survives running out of file descriptors (`EMFILE`) and serves again
//! once descriptors free up. Alone in its test binary: it lowers the process's
//! `RLIMIT_NOFILE`, which would disturb other tests running in parallel.

use std::time::Duration;

use strands::stream::{open_connection, start_server};

/// Sets the soft descriptor limit; returns the previous one.
fn set_nofile(soft: libc::rlim_t) -> libc::rlim_t {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    let old = lim.rlim_cur;
    lim.rlim_cur = soft.min(lim.rlim_max);
    // SAFETY: as above; lowering the soft limit is always permitted.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    old
}

/// Descriptors open in this process now.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(16)
}

#[test]
fn the_accept_loop_survives_emfile_and_serves_again() {
    strands::run(async {
        let server = start_server(
            |mut r, w| async move {
                while let Ok(line) = r.read_line().await {
                    if line.is_empty() || w.write(&line).is_err() {
                        break;
                    }
                }
            },
            "127.0.0.1:0",
        )
        .await?;
        let addr = server.addresses()[0];
        // Room for a handful of connections only (each costs two descriptors here: the
        // client's and the server's).
        let old = set_nofile((open_fds() + 12) as libc::rlim_t);
        let mut clients = Vec::new();
        let mut refused = 0;
        for _ in 0..40 {
            match strands::timeout(Duration::from_millis(200), open_connection(addr)).await {
                Ok(Ok((mut r, w))) => {
                    // A connection the server could not accept never gets an answer.
                    let _ = w.write(b"ping\n");
                    match strands::timeout(Duration::from_millis(200), r.read_line()).await {
                        Ok(Ok(line)) if line == b"ping\n" => clients.push((r, w)),
                        _ => refused += 1,
                    }
                }
                _ => refused += 1,
            }
        }
        assert!(refused > 0, "the descriptor limit was never reached");
        assert!(!clients.is_empty());
        // Free the descriptors and restore the limit: the server must serve again.
        drop(clients);
        set_nofile(old);
        strands::sleep(Duration::from_millis(300)).await;
        let (mut r, w) = open_connection(addr).await?;
        w.write(b"back\n")?;
        let line = strands::timeout(Duration::from_secs(10), r.read_line())
            .await
            .expect("the server serves again")
            .map_err(std::io::Error::from)?;
        assert_eq!(line, b"back\n");
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}
