//! Subprocess benchmarks: strands against tokio (current-thread), same workloads, same run.
//!
//! - `spawn_true_x200`: 200 concurrent `true` children, each spawned, awaited and reaped;
//! - `cat_64k_x200`: 200 concurrent `cat` children, each fed 64 KiB on stdin while its
//!   64 KiB of stdout is read back (strands `communicate`, tokio `wait_with_output` with a
//!   concurrent stdin writer task).
//!
//! Both runtimes spawn through `std::process::Command` and wait through a pidfd on this
//! kernel, so the ratio measures the loop's share: registering pipes and pidfds, polling,
//! waking. Every contender of a workload is in one criterion group, so the ratios of one
//! run are meaningful on a noisy machine; absolute times are not. After criterion, one
//! fixed-width line per workload gives both medians and the ratio.
//!
//! Run: `cargo bench -p strands --bench process`.

use std::time::{Duration, Instant};

use criterion::Criterion;

/// Children per iteration.
const CHILDREN: usize = 200;

/// Bytes each `cat` child gets and gives back.
const CAT_BYTES: usize = 64 * 1024;

/// strands: `CHILDREN` concurrent `true`.
fn strands_true(lp: &mut strands::EventLoop) {
    lp.block_on(async {
        let tasks: Vec<_> = (0..CHILDREN)
            .map(|_| {
                strands::spawn(async {
                    let status = strands::process::Command::new("true").status().await;
                    assert!(status.unwrap().success());
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    })
    .unwrap();
}

/// tokio: `CHILDREN` concurrent `true`.
fn tokio_true(rt: &tokio::runtime::Runtime) {
    let local = tokio::task::LocalSet::new();
    local.block_on(rt, async {
        let tasks: Vec<_> = (0..CHILDREN)
            .map(|_| {
                tokio::task::spawn_local(async {
                    let status = tokio::process::Command::new("true").status().await;
                    assert!(status.unwrap().success());
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
}

/// strands: `CHILDREN` concurrent `cat`, `CAT_BYTES` each way.
fn strands_cat(lp: &mut strands::EventLoop, input: &'static [u8]) {
    use strands::process::{Command, Stdio};
    lp.block_on(async move {
        let tasks: Vec<_> = (0..CHILDREN)
            .map(|_| {
                strands::spawn(async move {
                    let mut child = Command::new("cat")
                        .stdin(Stdio::piped())
                        .stdout(Stdio::piped())
                        .spawn()
                        .unwrap();
                    let out = child.communicate(input).await.unwrap();
                    assert_eq!(out.stdout.len(), input.len());
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    })
    .unwrap();
}

/// tokio: `CHILDREN` concurrent `cat`, `CAT_BYTES` each way.
fn tokio_cat(rt: &tokio::runtime::Runtime, input: &'static [u8]) {
    use std::process::Stdio;
    use tokio::io::AsyncWriteExt;
    let local = tokio::task::LocalSet::new();
    local.block_on(rt, async move {
        let tasks: Vec<_> = (0..CHILDREN)
            .map(|_| {
                tokio::task::spawn_local(async move {
                    let mut child = tokio::process::Command::new("cat")
                        .stdin(Stdio::piped())
                        .stdout(Stdio::piped())
                        .spawn()
                        .unwrap();
                    let mut stdin = child.stdin.take().unwrap();
                    let writer = tokio::task::spawn_local(async move {
                        stdin.write_all(input).await.unwrap();
                    });
                    let out = child.wait_with_output().await.unwrap();
                    writer.await.unwrap();
                    assert_eq!(out.stdout.len(), input.len());
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
}

/// Medians of `rounds` runs of `a` and of `b`, interleaved (a, b, a, b, ...) so that drift
/// of the machine hits both alike.
fn interleaved_medians(
    rounds: usize,
    mut a: impl FnMut(),
    mut b: impl FnMut(),
) -> (Duration, Duration) {
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for (f, times) in [(&mut a as &mut dyn FnMut(), &mut ta), (&mut b, &mut tb)] {
            let start = Instant::now();
            f();
            times.push(start.elapsed());
        }
    }
    ta.sort();
    tb.sort();
    (ta[rounds / 2], tb[rounds / 2])
}

/// One summary line: both medians and strands' speed relative to tokio (> 1: faster).
fn summary(name: &str, strands: Duration, tokio: Duration) {
    eprintln!(
        "{name:<18} strands {:>9.2} ms   tokio {:>9.2} ms   tokio/strands {:>5.2}x",
        strands.as_secs_f64() * 1e3,
        tokio.as_secs_f64() * 1e3,
        tokio.as_secs_f64() / strands.as_secs_f64()
    );
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut lp = strands::EventLoop::new().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let input: &'static [u8] = Box::leak(vec![b'x'; CAT_BYTES].into_boxed_slice());

    let mut g = c.benchmark_group("spawn_true_x200");
    g.bench_function("strands", |b| b.iter(|| strands_true(&mut lp)));
    g.bench_function("tokio_current_thread", |b| b.iter(|| tokio_true(&rt)));
    g.finish();

    let mut g = c.benchmark_group("cat_64k_x200");
    g.bench_function("strands", |b| b.iter(|| strands_cat(&mut lp, input)));
    g.bench_function("tokio_current_thread", |b| b.iter(|| tokio_cat(&rt, input)));
    g.finish();
    c.final_summary();

    // The summary: interleaved medians of the same workloads, one line each.
    let (s, t) = interleaved_medians(15, || strands_true(&mut lp), || tokio_true(&rt));
    summary("spawn_true_x200", s, t);
    let (s, t) = interleaved_medians(15, || strands_cat(&mut lp, input), || tokio_cat(&rt, input));
    summary("cat_64k_x200", s, t);
}
