//! Lock costs: strands vs std, parking_lot and tokio, same run.
//!
//! - `lock_uncontended_blocking`: lock + unlock on one thread;
//! - `lock_uncontended_async`: `lock().await` + unlock, polled on one thread;
//! - `lock_contended_2_threads`: two threads each do `K` lock/increment/unlock.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Increments per thread in the contended benchmark.
const K: u64 = 100_000;

/// Polls a future that completes without waiting (uncontended lock).
fn now_or_never<F: Future>(f: F, waker: &Waker) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(waker);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("lock_uncontended_blocking");
    let s = strands::sync::Mutex::new(0u64);
    g.bench_function("strands", |b| {
        b.iter(|| *black_box(&s).lock_blocking() += 1)
    });
    let m = std::sync::Mutex::new(0u64);
    g.bench_function("std", |b| {
        b.iter(|| *black_box(&m).lock().expect("lock") += 1)
    });
    let p = parking_lot::Mutex::new(0u64);
    g.bench_function("parking_lot", |b| b.iter(|| *black_box(&p).lock() += 1));
    g.finish();

    let mut g = c.benchmark_group("lock_uncontended_async");
    // One waker for every poll: building it is not part of what is measured.
    let waker = noop_waker();
    g.bench_function("strands", |b| {
        b.iter(|| now_or_never(async { *black_box(&s).lock().await += 1 }, &waker))
    });
    let t = tokio::sync::Mutex::new(0u64);
    g.bench_function("tokio", |b| {
        b.iter(|| now_or_never(async { *black_box(&t).lock().await += 1 }, &waker))
    });
    g.finish();
}

/// Two threads, `K` increments each, through `inc`.
fn two_threads(inc: impl Fn() + Send + Sync + 'static) -> Duration {
    let inc = Arc::new(inc);
    let t0 = Instant::now();
    let hs: Vec<_> = (0..2)
        .map(|_| {
            let inc = inc.clone();
            std::thread::spawn(move || {
                for _ in 0..K {
                    inc();
                }
            })
        })
        .collect();
    for h in hs {
        h.join().expect("join");
    }
    t0.elapsed()
}

fn contended(c: &mut Criterion) {
    let mut g = c.benchmark_group("lock_contended_2_threads");
    g.throughput(Throughput::Elements(2 * K));
    g.bench_function("strands", |b| {
        b.iter_custom(|it| {
            (0..it)
                .map(|_| {
                    let m = Arc::new(strands::sync::Mutex::new(0u64));
                    two_threads(move || *m.lock_blocking() += 1)
                })
                .sum()
        })
    });
    g.bench_function("std", |b| {
        b.iter_custom(|it| {
            (0..it)
                .map(|_| {
                    let m = Arc::new(std::sync::Mutex::new(0u64));
                    two_threads(move || *m.lock().expect("lock") += 1)
                })
                .sum()
        })
    });
    g.bench_function("parking_lot", |b| {
        b.iter_custom(|it| {
            (0..it)
                .map(|_| {
                    let m = Arc::new(parking_lot::Mutex::new(0u64));
                    two_threads(move || *m.lock() += 1)
                })
                .sum()
        })
    });
    g.finish();
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
    targets = uncontended, contended
}
criterion_main!(benches);

/// A waker that does nothing (`Waker::noop` needs Rust 1.85; the MSRV is 1.80).
fn noop_waker() -> Waker {
    /// Does nothing when woken.
    struct Noop;
    impl std::task::Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }
    Waker::from(std::sync::Arc::new(Noop))
}
