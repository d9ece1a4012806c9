//! The SIGCHLD backend (forced with `STRANDS_PROCESS_REAPER=sigchld`): 1000 children
//! spawned and reaped, plus dropped ones, and no zombie is left.
//!
//! The check is `waitpid(-1, WNOHANG)` failing with `ECHILD` ("no children at all, not
//! even zombies"). That would be wrong in a binary whose tests run in parallel threads (it
//! could see, or steal, another test's child), so this file holds a single test and the
//! check only runs after every child of it is awaited or dropped.

use std::io;
use std::time::{Duration, Instant};

use strands::process::{Command, Stdio};

/// Children spawned at once; `ulimit -n` must allow about twice as many descriptors.
const CONCURRENT: usize = 100;

/// Whether this process has no children left, zombies included.
fn no_children() -> bool {
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer. With `WNOHANG` and no other test in this
    // binary, this reaps nothing that the test still needs: it runs after all children
    // have been awaited, and a stray zombie would be exactly the failure we look for.
    let rc = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    rc == -1 && io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD)
}

/// Polls `no_children` for up to 20 s (dropped children are reaped by a background
/// thread, within about 100 ms of their exit).
fn assert_no_children_soon() {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !no_children() {
        assert!(Instant::now() < deadline, "a child or zombie is left");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Descriptors of this process that are pidfds.
fn open_pidfds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.to_str() == Some("anon_inode:[pidfd]"))
        .count()
}

/// How many pidfds are open while a child is being awaited.
fn pidfds_while_waiting() -> usize {
    strands::run(async {
        let mut child = Command::new("sleep").arg("0.2").spawn()?;
        let waiting = strands::spawn(async move { child.wait().await });
        strands::sleep(Duration::from_millis(50)).await;
        let pidfds = open_pidfds();
        assert!(waiting.await.unwrap()?.success());
        Ok::<usize, io::Error>(pidfds)
    })
    .unwrap()
    .unwrap()
}

#[test]
fn a_thousand_children_and_no_zombie_without_pidfd() {
    // Read once, at the first spawn; this binary's only test sets it before spawning.
    std::env::set_var("STRANDS_PROCESS_REAPER", "sigchld");
    strands::run(async {
        for batch in 0..1000 / CONCURRENT {
            let tasks: Vec<_> = (0..CONCURRENT)
                .map(|i| {
                    strands::spawn(async move {
                        let code = ((batch * CONCURRENT + i) % 3) as i32;
                        let status = Command::shell(format!("exit {code}")).status().await?;
                        assert_eq!(status.code(), Some(code));
                        Ok::<(), io::Error>(())
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap()?;
            }
        }
        Ok::<(), io::Error>(())
    })
    .unwrap()
    .unwrap();
    assert!(no_children(), "1000 awaited children left something behind");

    // Children dropped unreaped: killed, exited on their own, still running for a while.
    strands::run(async {
        for i in 0..30 {
            let mut cmd = Command::new(if i % 3 == 1 { "true" } else { "sleep" });
            match i % 3 {
                0 => cmd.arg("30").kill_on_drop(true),
                2 => cmd.arg("0.1"),
                _ => &mut cmd,
            };
            let child = cmd.stdout(Stdio::piped()).spawn()?;
            if i % 3 == 1 {
                strands::sleep(Duration::from_millis(1)).await;
            }
            drop(child);
        }
        Ok::<(), io::Error>(())
    })
    .unwrap()
    .unwrap();
    assert_no_children_soon();

    let pidfds = pidfds_while_waiting();
    assert!(pidfds == 0, "the SIGCHLD backend is used");
    assert_no_children_soon();
}
