//! Runs several shell commands concurrently on one loop, collects their outputs and prints a
//! summary: exit status, output sizes, first line, time.
//!
//! ```text
//! cargo run --example subprocess_fanout                      # a built-in set of commands
//! cargo run --example subprocess_fanout -- 'ls /' 'sleep 1; echo late' 'exit 3'
//! ```
//!
//! Each command gets 10 s; one that runs longer is killed (`kill_on_drop`) and reported as
//! timed out. Ctrl-C stops the whole fan-out and kills every child still running.

use std::future::Future;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::task::Poll;
use std::time::{Duration, Instant};

use strands::process::{Command, Output, Stdio};

/// How long a command may run.
const LIMIT: Duration = Duration::from_secs(10);

/// What one command gave.
struct Report {
    /// The command line.
    command: String,
    /// Its output, or why there is none.
    result: io::Result<Output>,
    /// How long it ran.
    took: Duration,
}

/// Runs `command` through the shell with a time limit.
async fn run_one(command: String) -> Report {
    let start = Instant::now();
    let child = Command::shell(&command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let result = match child {
        Ok(mut child) => match strands::timeout(LIMIT, child.communicate(&[])).await {
            Ok(r) => r,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "timed out, killed")),
        },
        Err(e) => Err(e),
    };
    Report {
        command,
        result,
        took: start.elapsed(),
    }
}

/// One summary line.
fn line(r: &Report) -> String {
    let status = match &r.result {
        Ok(o) => match (o.status.code(), o.status.signal()) {
            (Some(c), _) => format!("exit {c}"),
            (_, Some(s)) => format!("signal {s}"),
            _ => "?".into(),
        },
        Err(e) => format!("error: {e}"),
    };
    let (out, err, first) = match &r.result {
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stdout);
            let first = text.lines().next().unwrap_or("").chars().take(30);
            let first = first
                .map(|c| if c.is_control() { '.' } else { c })
                .collect();
            (o.stdout.len(), o.stderr.len(), first)
        }
        Err(_) => (0, 0, String::new()),
    };
    format!(
        "{:<32} {:<14} {:>9} {:>9} {:>8.1} ms  {}",
        r.command.chars().take(32).collect::<String>(),
        status,
        out,
        err,
        r.took.as_secs_f64() * 1e3,
        first
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut commands: Vec<String> = std::env::args().skip(1).collect();
    if commands.is_empty() {
        commands = [
            "echo hello",
            "uname -sr",
            "ls /usr/bin | wc -l",
            "head -c 1000000 /dev/zero",
            "sleep 0.3; echo slow",
            "echo to stderr >&2; exit 3",
            "kill -TERM $$",
            "no-such-command-here",
        ]
        .map(String::from)
        .to_vec();
    }
    let start = Instant::now();
    let reports = strands::run(async move {
        let tasks: Vec<_> = commands
            .into_iter()
            .map(|c| strands::spawn(run_one(c)))
            .collect();
        let all = strands::gather_all(tasks);
        until_ctrl_c(all).await
    })?;
    let Some(reports) = reports else {
        println!("interrupted: children killed");
        return Ok(());
    };
    println!(
        "{:<32} {:<14} {:>9} {:>9} {:>11}  first line",
        "command", "status", "stdout", "stderr", "time"
    );
    let mut ok = 0;
    for r in &reports {
        println!("{}", line(r));
        ok += usize::from(r.result.as_ref().is_ok_and(|o| o.status.success()));
    }
    println!(
        "{} commands, {} succeeded, {:.1} ms in all (run concurrently)",
        reports.len(),
        ok,
        start.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

/// The reports, or `None` if Ctrl-C came first.
async fn until_ctrl_c<F>(all: F) -> Option<Vec<Report>>
where
    F: Future<Output = Vec<Result<Report, strands::TaskError>>>,
{
    let mut all = std::pin::pin!(all);
    let mut interrupted = std::pin::pin!(strands::signal::ctrl_c());
    std::future::poll_fn(|cx| {
        if let Poll::Ready(results) = all.as_mut().poll(cx) {
            return Poll::Ready(Some(results.into_iter().filter_map(Result::ok).collect()));
        }
        // An error installing the listener just means Ctrl-C is not handled.
        match interrupted.as_mut().poll(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(None), // `all` is dropped: children killed
            _ => Poll::Pending,
        }
    })
    .await
}
