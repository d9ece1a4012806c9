//! Subprocesses: exit statuses, signals, pipes, `communicate` without deadlock, kill on
//! drop, errors, several loops.
//!
//! Tests here run in parallel threads of one process, so none of them looks at the
//! process's children as a whole (`process_reap.rs` does, alone in its binary).

use std::future::Future;
use std::io::{self, ErrorKind};
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use strands::process::{Command, Stdio};

/// Runs `body` on a fresh loop and unwraps its result.
fn run<F: Future<Output = io::Result<()>>>(body: F) {
    strands::run(body).unwrap().unwrap();
}

/// Distinct bytes, so a reordering or a loss shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn exit_codes_are_reported() {
    run(async {
        for code in [0, 1, 2, 42, 255] {
            let status = Command::shell(format!("exit {code}")).status().await?;
            assert_eq!(status.code(), Some(code));
            assert_eq!(status.signal(), None);
            assert_eq!(status.success(), code == 0);
        }
        Ok(())
    });
}

#[test]
fn signal_deaths_are_reported() {
    run(async {
        for sig in [libc::SIGTERM, libc::SIGKILL, libc::SIGINT, libc::SIGUSR1] {
            let status = Command::shell(format!("kill -{sig} $$")).status().await?;
            assert_eq!(status.signal(), Some(sig), "signal {sig}");
            assert_eq!(status.code(), None);
        }
        Ok(())
    });
}

#[test]
fn kill_terminate_and_send_signal() {
    run(async {
        let mut a = Command::new("sleep").arg("30").spawn()?;
        let mut b = Command::new("sleep").arg("30").spawn()?;
        let mut c = Command::new("sleep").arg("30").spawn()?;
        assert!(a.try_wait()?.is_none());
        a.kill()?;
        b.terminate()?;
        c.send_signal(libc::SIGHUP)?;
        assert_eq!(a.wait().await?.signal(), Some(libc::SIGKILL));
        assert_eq!(b.wait().await?.signal(), Some(libc::SIGTERM));
        assert_eq!(c.wait().await?.signal(), Some(libc::SIGHUP));
        // Reaped: signalling is a no-op (the pid may belong to someone else now).
        a.kill()?;
        assert_eq!(a.try_wait()?.unwrap().signal(), Some(libc::SIGKILL));
        Ok(())
    });
}

#[test]
fn try_wait_reaps_without_blocking() {
    run(async {
        let mut child = Command::new("true").spawn()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(s) = child.try_wait()? {
                break s;
            }
            assert!(Instant::now() < deadline, "`true` did not exit");
            strands::sleep(Duration::from_millis(1)).await;
        };
        assert!(status.success());
        assert_eq!(child.wait().await?.code(), Some(0));
        Ok(())
    });
}

#[test]
fn wait_is_cancel_safe() {
    run(async {
        let start = Instant::now(); // before the child can start sleeping
        let mut child = Command::new("sleep").arg("0.2").spawn()?;
        assert!(strands::timeout(Duration::from_millis(20), child.wait())
            .await
            .is_err());
        let status = child.wait().await?;
        assert!(status.success());
        assert!(start.elapsed() >= Duration::from_millis(200));
        Ok(())
    });
}

#[test]
fn a_missing_program_is_a_clear_error() {
    run(async {
        let err = Command::new("strands-no-such-program").spawn().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.to_string().contains("strands-no-such-program"), "{err}");
        let err = Command::new("true")
            .current_dir("/no/such/dir")
            .spawn()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = Command::new("/etc/passwd").spawn().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        Ok(())
    });
}

#[test]
fn exec_form_passes_arguments_verbatim() {
    run(async {
        let out = Command::new("printf")
            .args(["%s|", "a b", "$HOME", "*", ";"])
            .output()
            .await?;
        assert_eq!(out.stdout, b"a b|$HOME|*|;|");
        let out = Command::shell("printf '%s' \"$X\"")
            .env("X", "from env")
            .output()
            .await?;
        assert_eq!(out.stdout, b"from env");
        let out = Command::new("pwd").current_dir("/tmp").output().await?;
        assert_eq!(out.stdout, b"/tmp\n");
        Ok(())
    });
}

#[test]
fn output_collects_stdout_and_stderr_and_nulls_stdin() {
    run(async {
        let out = Command::shell("echo out; echo err >&2; cat; exit 7")
            .output()
            .await?;
        assert_eq!(out.stdout, b"out\n"); // `cat` read an empty stdin
        assert_eq!(out.stderr, b"err\n");
        assert_eq!(out.status.code(), Some(7));
        Ok(())
    });
}

#[test]
fn output_defaults_do_not_leak_into_spawn() {
    run(async {
        let mut cmd = Command::new("true");
        cmd.output().await?;
        let mut child = cmd.spawn()?;
        assert!(child.stdout.is_none() && child.stderr.is_none() && child.stdin.is_none());
        child.wait().await?;
        Ok(())
    });
}

#[test]
fn communicate_ten_mebibytes_each_way_through_cat() {
    run(async {
        let input = pattern(10 << 20);
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let out = child.communicate(&input).await?;
        assert!(out.status.success());
        assert!(out.stdout == input, "cat echoed {} bytes", out.stdout.len());
        assert!(child.stdin.is_none() && child.stdout.is_none());
        Ok(())
    });
}

#[test]
fn communicate_does_not_deadlock_when_the_child_writes_before_reading() {
    run(async {
        // The child fills stderr (10 MiB) before reading any of its 10 MiB of input, then
        // echoes the input: sequential writing and reading would deadlock at once.
        let input = pattern(10 << 20);
        let mut child = Command::shell("head -c 10485760 /dev/zero >&2; cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let out = child.communicate(&input).await?;
        assert!(out.status.success());
        assert_eq!(out.stderr.len(), 10 << 20);
        assert!(out.stdout == input);
        Ok(())
    });
}

#[test]
fn communicate_tolerates_a_child_that_ignores_its_input() {
    run(async {
        let mut child = Command::new("true")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let out = child.communicate(&pattern(1 << 20)).await?;
        assert!(out.status.success());
        assert!(out.stdout.is_empty());
        Ok(())
    });
}

#[test]
fn communicate_refuses_input_without_a_stdin_pipe() {
    run(async {
        let mut child = Command::new("true").spawn()?;
        let err = child.communicate(b"x").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        child.wait().await?;
        Ok(())
    });
}

#[test]
fn pipes_stream_in_both_directions() {
    run(async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        for i in 0..20u8 {
            let line = [b'a' + i, b'\n'];
            stdin.write_all(&line).await?;
            let mut got = [0; 2];
            let mut filled = 0;
            while filled < 2 {
                let n = stdout.read(&mut got[filled..]).await?;
                assert!(n > 0);
                filled += n;
            }
            assert_eq!(got, line);
        }
        drop(stdin);
        assert_eq!(stdout.read(&mut [0; 4]).await?, 0);
        assert!(child.wait().await?.success());
        Ok(())
    });
}

#[test]
fn wait_closes_stdin_so_the_child_can_finish() {
    run(async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        let status = strands::timeout(Duration::from_secs(20), child.wait())
            .await
            .expect("wait must close stdin")?;
        assert!(status.success());
        Ok(())
    });
}

/// The state and start time of `pid` (fields 3 and 22 of `/proc/<pid>/stat`), if a
/// process (or zombie) with that pid exists.
fn proc_stat(pid: u32) -> Option<(String, String)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
    Some((fields[0].to_owned(), fields[19].to_owned()))
}

/// Waits (up to 20 s) until the process `pid` that started at `start` is gone: neither
/// running nor a zombie.
fn assert_gone(pid: u32, start: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while proc_stat(pid).is_some_and(|(_, s)| s == start) {
        assert!(Instant::now() < deadline, "child {pid} still exists");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn kill_on_drop_kills_and_reaps() {
    run(async {
        let child = Command::new("sleep").arg("30").kill_on_drop(true).spawn()?;
        let pid = child.pid();
        let (_, start) = proc_stat(pid).expect("the child exists");
        drop(child);
        assert_gone(pid, &start);
        Ok(())
    });
}

#[test]
fn a_dropped_child_keeps_running_without_kill_on_drop() {
    run(async {
        let child = Command::new("sleep").arg("0.3").spawn()?;
        let pid = child.pid();
        let (_, start) = proc_stat(pid).expect("the child exists");
        drop(child);
        strands::sleep(Duration::from_millis(50)).await;
        let (state, now) = proc_stat(pid).expect("still there");
        assert!(now == start && state != "Z", "still running, not killed");
        assert_gone(pid, &start); // and reaped after it exits
        Ok(())
    });
}

#[test]
fn many_children_on_one_loop() {
    run(async {
        let tasks: Vec<_> = (0..100)
            .map(|i| {
                strands::spawn(async move {
                    let out = Command::shell(format!("echo {i}; exit {}", i % 7))
                        .output()
                        .await?;
                    assert_eq!(out.stdout, format!("{i}\n").as_bytes());
                    assert_eq!(out.status.code(), Some(i % 7));
                    Ok::<(), io::Error>(())
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap()?;
        }
        Ok(())
    });
}

#[test]
fn children_on_two_loops_at_once() {
    let threads: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(|| {
                run(async {
                    for _ in 0..20 {
                        let mut c = Command::new("cat")
                            .stdin(Stdio::piped())
                            .stdout(Stdio::piped())
                            .spawn()?;
                        let input = pattern(64 << 10);
                        assert!(c.communicate(&input).await?.stdout == input);
                    }
                    Ok(())
                })
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn pipes_implement_futures_io() {
    fn assert_read<T: futures_io::AsyncRead>() {}
    fn assert_write<T: futures_io::AsyncWrite>() {}
    assert_read::<strands::process::PipeReader>();
    assert_write::<strands::process::PipeWriter>();
}
