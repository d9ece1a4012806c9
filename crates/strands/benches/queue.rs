//! Queue throughput: strands vs crossbeam-channel, flume, kanal, std and tokio, same run.
//!
//! Workloads (messages are `u64`; each iteration moves `M` of them):
//! - `1p1c_threads_cap1024`: one producer thread, one consumer thread;
//! - `1p1c_tasks_cap1024`: producer and consumer tasks on one current-thread runtime;
//! - `thread_to_task_cap1024`: producer thread, consumer task;
//! - `4p4c_threads_cap1024`: four producer and four consumer threads;
//! - `handoff_cap1_thread_to_task`: capacity 1, producer thread, consumer task.
//!
//! Tasks run on tokio's current-thread runtime for every contender, so that the channels
//! are compared on the same executor; strands futures are runtime-agnostic. The
//! `strands_loop` rows run the strands queue on the strands event loop instead.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use strands::queue::Queue;

/// Messages per iteration.
const M: u64 = 100_000;
/// Messages per iteration for the capacity-1 hand-off.
const M_HANDOFF: u64 = 20_000;

/// A fresh current-thread runtime.
fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

/// Times `iters` runs of `f`.
fn timed(iters: u64, mut f: impl FnMut()) -> Duration {
    let t0 = Instant::now();
    for _ in 0..iters {
        f();
    }
    t0.elapsed()
}

/// Runs `p` producers and `c` consumers (threads) of `m` messages in total.
fn threads_pc<S, R>(p: usize, c: usize, m: u64, make: impl Fn() -> (S, R))
where
    S: Fn(u64) + Send + Sync + Clone + 'static,
    R: Fn() + Send + Sync + Clone + 'static,
{
    let (send, recv) = make();
    let per_p = m / p as u64;
    let per_c = m / c as u64;
    let mut hs = Vec::new();
    for _ in 0..p {
        let send = send.clone();
        hs.push(std::thread::spawn(move || {
            for i in 0..per_p {
                send(i);
            }
        }));
    }
    for _ in 0..c {
        let recv = recv.clone();
        hs.push(std::thread::spawn(move || {
            for _ in 0..per_c {
                recv();
            }
        }));
    }
    for h in hs {
        h.join().expect("bench thread");
    }
}

fn threads_1p1c(g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, p: usize, c: usize) {
    g.bench_function("strands", |b| {
        b.iter_custom(|it| {
            timed(it, || {
                threads_pc(p, c, M, || {
                    let q = Arc::new(Queue::new(1024));
                    let q2 = q.clone();
                    (
                        move |i| q.put_blocking(i).expect("put"),
                        move || {
                            q2.get_blocking().expect("get");
                        },
                    )
                })
            })
        })
    });
    g.bench_function("crossbeam", |b| {
        b.iter_custom(|it| {
            timed(it, || {
                threads_pc(p, c, M, || {
                    let (s, r) = crossbeam_channel::bounded(1024);
                    (
                        move |i| s.send(i).expect("send"),
                        move || {
                            r.recv().expect("recv");
                        },
                    )
                })
            })
        })
    });
    g.bench_function("flume", |b| {
        b.iter_custom(|it| {
            timed(it, || {
                threads_pc(p, c, M, || {
                    let (s, r) = flume::bounded(1024);
                    (
                        move |i| s.send(i).expect("send"),
                        move || {
                            r.recv().expect("recv");
                        },
                    )
                })
            })
        })
    });
    g.bench_function("kanal", |b| {
        b.iter_custom(|it| {
            timed(it, || {
                threads_pc(p, c, M, || {
                    let (s, r) = kanal::bounded(1024);
                    let (s, r) = (Arc::new(s), Arc::new(r));
                    (
                        move |i| s.send(i).expect("send"),
                        move || {
                            r.recv().expect("recv");
                        },
                    )
                })
            })
        })
    });
    if p == 1 && c == 1 {
        g.bench_function("std_sync_channel", |b| {
            b.iter_custom(|it| {
                timed(it, || {
                    let (s, r) = std::sync::mpsc::sync_channel(1024);
                    let h = std::thread::spawn(move || {
                        for i in 0..M {
                            s.send(i).expect("send");
                        }
                    });
                    for _ in 0..M {
                        r.recv().expect("recv");
                    }
                    h.join().expect("join");
                })
            })
        });
    }
}

fn bench_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("1p1c_threads_cap1024");
    g.throughput(Throughput::Elements(M));
    threads_1p1c(&mut g, 1, 1);
    g.finish();
    let mut g = c.benchmark_group("4p4c_threads_cap1024");
    g.throughput(Throughput::Elements(M));
    threads_1p1c(&mut g, 4, 4);
    g.finish();
}

fn bench_tasks(c: &mut Criterion) {
    let mut g = c.benchmark_group("1p1c_tasks_cap1024");
    g.throughput(Throughput::Elements(M));
    let rt = rt();
    g.bench_function("strands", |b| {
        b.iter_custom(|it| {
            timed(it, || {
                rt.block_on(async {
                    let q = Arc::new(Queue::new(1024));
                    let q2 = q.clone();
                    let p = tokio::spawn(async move {
                        for i in 0..M {
                            q2.put(i).await.expect("put");
                        }
                    });
                    for _ in 0..M {
                        q.get().await.expect("get");
                    }
                    p.await.expect("join");
                })
            })
        })
    });
    g.bench_function("strands_loop", |b| {
        b.iter_custom(|it| {
            timed(it, || {
                strands::run(async {
                    let q = Arc::new(Queue::new(1024));
                    let q2 = q.clone();
                    let p = strands::spawn(async move {
                        for i in 0..M {
                            q2.put(i).await.expect("put");
                        }
                    });
                    for _ in 0..M {
                        q.get().await.expect("get");
                    }
                    p.await.expect("join");
                })
                .expect("loop")
            })
        })
    });
    g.bench_function("flume", |b| {
        b.iter_custom(|it| {
            timed(it, || {
                rt.block_on(async {
                    let (s, r) = flume::bounded(1024);
                    let p = tokio::spawn(async move {
                        for i in 0..M {
                            s.send_async(i).await.expect("send");
                        }
                    });
                    for _ in 0..M {
                        r.recv_async().await.expect("recv");
                    }
                    p.await.expect("join");
                })
            })
        })
    });
    g.bench_function("kanal", |b| {
        b.iter_custom(|it| {
            timed(it, || {
                rt.block_on(async {
                    let (s, r) = kanal::bounded_async(1024);
                    let p = tokio::spawn(async move {
                        for i in 0..M {
                            s.send(i).await.expect("send");
                        }
                    });
                    for _ in 0..M {
                        r.recv().await.expect("recv");
                    }
                    p.await.expect("join");
                })
            })
        })
    });
    g.bench_function("tokio_mpsc", |b| {
        b.iter_custom(|it| {
            timed(it, || {
                rt.block_on(async {
                    let (s, mut r) = tokio::sync::mpsc::channel(1024);
                    let p = tokio::spawn(async move {
                        for i in 0..M {
                            s.send(i).await.expect("send");
                        }
                    });
                    for _ in 0..M {
                        r.recv().await.expect("recv");
                    }
                    p.await.expect("join");
                })
            })
        })
    });
    g.finish();
}

/// Thread producer → task consumer at capacity `cap`, `m` messages.
fn thread_to_task(c: &mut Criterion, name: &str, cap: usize, m: u64) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(m));
    let rt = rt();
    g.bench_function("strands", |b| {
        b.iter_custom(|it| {
            timed(it, || {
                let q = Arc::new(Queue::new(cap));
                let q2 = q.clone();
                let h = std::thread::spawn(move || {
                    for i in 0..m {
                        q2.put_blocking(i).expect("put");
                    }
                });
                rt.block_on(async {
                    for _ in 0..m {
                        q.get().await.expect("get");
                    }
                });
                h.join().expect("join");
            })
        })
    });
    g.bench_function("strands_loop", |b| {
        b.iter_custom(|it| {
            timed(it, || {
                let q = Arc::new(Queue::new(cap));
                let q2 = q.clone();
                let h = std::thread::spawn(move || {
                    for i in 0..m {
                        q2.put_blocking(i).expect("put");
                    }
                });
                strands::run(async {
                    for _ in 0..m {
                        q.get().await.expect("get");
                    }
                })
                .expect("loop");
                h.join().expect("join");
            })
        })
    });
    g.bench_function("kanal", |b| {
        b.iter_custom(|it| {
            timed(it, || {
                let (s, r) = kanal::bounded(cap);
                let r = r.to_async();
                let h = std::thread::spawn(move || {
                    for i in 0..m {
                        s.send(i).expect("send");
                    }
                });
                rt.block_on(async {
                    for _ in 0..m {
                        r.recv().await.expect("recv");
                    }
                });
                h.join().expect("join");
            })
        })
    });
    g.bench_function("flume", |b| {
        b.iter_custom(|it| {
            timed(it, || {
                let (s, r) = flume::bounded(cap);
                let h = std::thread::spawn(move || {
                    for i in 0..m {
                        s.send(i).expect("send");
                    }
                });
                rt.block_on(async {
                    for _ in 0..m {
                        r.recv_async().await.expect("recv");
                    }
                });
                h.join().expect("join");
            })
        })
    });
    g.bench_function("tokio_mpsc", |b| {
        b.iter_custom(|it| {
            timed(it, || {
                let (s, mut r) = tokio::sync::mpsc::channel(cap);
                let h = std::thread::spawn(move || {
                    for i in 0..m {
                        s.blocking_send(i).expect("send");
                    }
                });
                rt.block_on(async {
                    for _ in 0..m {
                        r.recv().await.expect("recv");
                    }
                });
                h.join().expect("join");
            })
        })
    });
    g.finish();
}

fn bench_bridge(c: &mut Criterion) {
    thread_to_task(c, "thread_to_task_cap1024", 1024, M);
    thread_to_task(c, "handoff_cap1_thread_to_task", 1, M_HANDOFF);
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_threads, bench_tasks, bench_bridge
}
criterion_main!(benches);
