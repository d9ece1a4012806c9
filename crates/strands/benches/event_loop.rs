//! Event loop benchmarks: strands against tokio (current-thread) and smol (`LocalExecutor`).
//!
//! Every contender of a benchmark runs in the same criterion group, so the ratios of one run
//! are meaningful on a noisy machine; absolute times are not.
//!
//! Before the criterion groups, one-off reports are printed to stderr (not timed by
//! criterion): heap bytes per pending timer and per idle task (through a counting global
//! allocator that is switched on only for those reports), and the p50 latency of a round
//! trip from another thread into the loop.
//!
//! Run: `cargo bench -p strands --bench event_loop`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, Throughput};

// ---------------------------------------------------------------------------------------
// Counting allocator
// ---------------------------------------------------------------------------------------

/// `System`, plus live/peak byte counters while [`COUNTING`] is set.
struct CountingAlloc;

/// Whether allocations are counted (off during criterion timing: one relaxed load remains).
static COUNTING: AtomicBool = AtomicBool::new(false);
/// Bytes allocated minus bytes freed since the last [`mem_reset`], while counting.
static LIVE: AtomicIsize = AtomicIsize::new(0);
/// Highest value of [`LIVE`] since the last [`mem_reset`].
static PEAK: AtomicIsize = AtomicIsize::new(0);

impl CountingAlloc {
    /// Records `delta` bytes (positive: allocated, negative: freed).
    #[inline]
    fn record(delta: isize) {
        if COUNTING.load(Ordering::Relaxed) {
            let now = LIVE.fetch_add(delta, Ordering::Relaxed) + delta;
            if delta > 0 {
                PEAK.fetch_max(now, Ordering::Relaxed);
            }
        }
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counters have no effect on the memory handed out.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            Self::record(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            Self::record(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) };
        Self::record(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            Self::record(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Starts counting from zero.
fn mem_reset() {
    COUNTING.store(false, Ordering::SeqCst);
    LIVE.store(0, Ordering::SeqCst);
    PEAK.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
}

/// Live bytes since the last [`mem_reset`].
fn mem_live() -> isize {
    LIVE.load(Ordering::SeqCst)
}

/// Peak live bytes since the last [`mem_reset`].
fn mem_peak() -> isize {
    PEAK.load(Ordering::SeqCst)
}

/// Stops counting.
fn mem_stop() {
    COUNTING.store(false, Ordering::SeqCst);
}

// ---------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------

/// Tasks that reached their first await (memory reports).
static STARTED: AtomicUsize = AtomicUsize::new(0);

/// A future that registers its waker on first poll and never completes: the same minimal
/// "waiting on an event that is never set" for every runtime, so that the task sizes compared
/// differ only by what each runtime adds around the future.
#[derive(Default)]
struct Parked {
    /// The registered waker, kept like an intrusive waiter list node would keep it.
    waker: Option<Waker>,
}

impl Future for Parked {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.waker.is_none() {
            self.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// A counter another thread's submissions bump; wakes the waiting loop at `target`.
struct Target {
    /// Submissions run so far.
    count: AtomicUsize,
    /// Count at which `waker` is woken.
    target: usize,
    /// The waiting main future.
    waker: Mutex<Option<Waker>>,
}

impl Target {
    fn new(target: usize) -> Arc<Target> {
        Arc::new(Target {
            count: AtomicUsize::new(0),
            target,
            waker: Mutex::new(None),
        })
    }

    /// One submission ran.
    fn bump(&self) {
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.target {
            if let Some(w) = self.waker.lock().unwrap().take() {
                w.wake();
            }
        }
    }

    /// Completes once `target` submissions ran.
    fn wait(self: &Arc<Self>) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            if self.count.load(Ordering::Acquire) >= self.target {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }
}

/// One pingpong player: increments the shared counter when it is its turn, and yields after
/// every look, until `n` increments were made in total.
async fn player<Y, YF>(me: u64, st: Rc<(Cell<u64>, Cell<u64>)>, n: u64, yield_now: Y)
where
    Y: Fn() -> YF,
    YF: Future<Output = ()>,
{
    loop {
        let c = st.0.get();
        if c >= n {
            break;
        }
        if st.1.get() == me {
            st.0.set(c + 1);
            st.1.set(1 - me);
        }
        yield_now().await;
    }
}

/// A tokio current-thread runtime (timers enabled if asked).
fn tokio_rt(time: bool) -> tokio::runtime::Runtime {
    let mut b = tokio::runtime::Builder::new_current_thread();
    if time {
        b.enable_time();
    }
    b.build().unwrap()
}

/// The settings every group uses: short, as the machine is shared.
fn configure(g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, elements: u64) {
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(elements));
}

// ---------------------------------------------------------------------------------------
// 1. spawn_join
// ---------------------------------------------------------------------------------------

/// Tasks per iteration of `spawn_join`.
const SPAWN_N: u64 = 100_000;
/// Expected sum of the task outputs.
const SPAWN_SUM: u64 = SPAWN_N * (SPAWN_N - 1) / 2;

fn spawn_join(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_join/100k");
    configure(&mut g, SPAWN_N);

    let mut lp = strands::EventLoop::new().unwrap();
    g.bench_function("strands", |b| {
        b.iter(|| {
            let s = lp
                .block_on(async {
                    let hs: Vec<_> = (0..SPAWN_N)
                        .map(|i| strands::spawn(async move { i }))
                        .collect();
                    let mut s = 0;
                    for h in hs {
                        s += h.await.unwrap();
                    }
                    s
                })
                .unwrap();
            assert_eq!(s, SPAWN_SUM);
        })
    });

    let rt = tokio_rt(false);
    g.bench_function("tokio", |b| {
        b.iter(|| {
            let s = rt.block_on(async {
                let hs: Vec<_> = (0..SPAWN_N)
                    .map(|i| tokio::task::spawn(async move { i }))
                    .collect();
                let mut s = 0;
                for h in hs {
                    s += h.await.unwrap();
                }
                s
            });
            assert_eq!(s, SPAWN_SUM);
        })
    });

    g.bench_function("tokio_local", |b| {
        b.iter(|| {
            let local = tokio::task::LocalSet::new();
            let s = local.block_on(&rt, async {
                let hs: Vec<_> = (0..SPAWN_N)
                    .map(|i| tokio::task::spawn_local(async move { i }))
                    .collect();
                let mut s = 0;
                for h in hs {
                    s += h.await.unwrap();
                }
                s
            });
            assert_eq!(s, SPAWN_SUM);
        })
    });

    let ex = smol::LocalExecutor::new();
    g.bench_function("smol", |b| {
        b.iter(|| {
            let s = smol::block_on(ex.run(async {
                let hs: Vec<_> = (0..SPAWN_N).map(|i| ex.spawn(async move { i })).collect();
                let mut s = 0;
                for h in hs {
                    s += h.await;
                }
                s
            }));
            assert_eq!(s, SPAWN_SUM);
        })
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------
// 2. yield_pingpong
// ---------------------------------------------------------------------------------------

/// Switches per iteration of `yield_pingpong`.
const PINGPONG_N: u64 = 1_000_000;

fn yield_pingpong(c: &mut Criterion) {
    let mut g = c.benchmark_group("yield_pingpong/1M");
    configure(&mut g, PINGPONG_N);

    let mut lp = strands::EventLoop::new().unwrap();
    g.bench_function("strands", |b| {
        b.iter(|| {
            let st = Rc::new((Cell::new(0), Cell::new(0)));
            lp.block_on(async {
                let a = strands::spawn(player(0, st.clone(), PINGPONG_N, strands::yield_now));
                let b = strands::spawn(player(1, st.clone(), PINGPONG_N, strands::yield_now));
                a.await.unwrap();
                b.await.unwrap();
            })
            .unwrap();
            assert_eq!(st.0.get(), PINGPONG_N);
        })
    });

    let rt = tokio_rt(false);
    g.bench_function("tokio_local", |b| {
        b.iter(|| {
            let st = Rc::new((Cell::new(0), Cell::new(0)));
            let local = tokio::task::LocalSet::new();
            local.block_on(&rt, async {
                let y = tokio::task::yield_now;
                let a = tokio::task::spawn_local(player(0, st.clone(), PINGPONG_N, y));
                let b = tokio::task::spawn_local(player(1, st.clone(), PINGPONG_N, y));
                a.await.unwrap();
                b.await.unwrap();
            });
            assert_eq!(st.0.get(), PINGPONG_N);
        })
    });

    let ex = smol::LocalExecutor::new();
    g.bench_function("smol", |b| {
        b.iter(|| {
            let st = Rc::new((Cell::new(0), Cell::new(0)));
            smol::block_on(ex.run(async {
                let y = smol::future::yield_now;
                let a = ex.spawn(player(0, st.clone(), PINGPONG_N, y));
                let b = ex.spawn(player(1, st.clone(), PINGPONG_N, y));
                a.await;
                b.await;
            }));
            assert_eq!(st.0.get(), PINGPONG_N);
        })
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------
// 3. timers
// ---------------------------------------------------------------------------------------

/// The sleep of every timer task in the timed runs.
const TIMER_SLEEP: Duration = Duration::from_millis(1);

fn timers(c: &mut Criterion) {
    for (label, n) in [("100k", 100_000usize), ("1M", 1_000_000)] {
        let mut g = c.benchmark_group(format!("timers/{label}"));
        configure(&mut g, n as u64);

        let mut lp = strands::EventLoop::new().unwrap();
        g.bench_function("strands", |b| {
            b.iter(|| {
                lp.block_on(async {
                    let hs: Vec<_> = (0..n)
                        .map(|_| strands::spawn(strands::sleep(TIMER_SLEEP)))
                        .collect();
                    for h in hs {
                        h.await.unwrap();
                    }
                })
                .unwrap();
            })
        });

        let rt = tokio_rt(true);
        g.bench_function("tokio", |b| {
            b.iter(|| {
                rt.block_on(async {
                    let hs: Vec<_> = (0..n)
                        .map(|_| tokio::task::spawn(tokio::time::sleep(TIMER_SLEEP)))
                        .collect();
                    for h in hs {
                        h.await.unwrap();
                    }
                });
            })
        });

        if n <= 100_000 {
            let ex = smol::LocalExecutor::new();
            g.bench_function("smol", |b| {
                b.iter(|| {
                    smol::block_on(ex.run(async {
                        let hs: Vec<_> = (0..n)
                            .map(|_| {
                                ex.spawn(async {
                                    smol::Timer::after(TIMER_SLEEP).await;
                                })
                            })
                            .collect();
                        for h in hs {
                            h.await;
                        }
                    }));
                })
            });
        }
        g.finish();
    }
}

// ---------------------------------------------------------------------------------------
// 5. call_soon_threadsafe (throughput; the latency is a one-off report)
// ---------------------------------------------------------------------------------------

/// Submissions per iteration.
const REMOTE_N: usize = 100_000;

fn call_soon_threadsafe(c: &mut Criterion) {
    let mut g = c.benchmark_group("call_soon_threadsafe/100k");
    configure(&mut g, REMOTE_N as u64);

    let mut lp = strands::EventLoop::new().unwrap();
    g.bench_function("strands_call_soon", |b| {
        b.iter(|| {
            let t = Target::new(REMOTE_N);
            let (h, t2) = (lp.handle(), t.clone());
            let th = std::thread::spawn(move || {
                for _ in 0..REMOTE_N {
                    let t = t2.clone();
                    h.call_soon_threadsafe(move || t.bump()).ok().unwrap();
                }
            });
            lp.block_on(t.wait()).unwrap();
            th.join().unwrap();
        })
    });

    g.bench_function("strands_handle_spawn", |b| {
        b.iter(|| {
            let t = Target::new(REMOTE_N);
            let (h, t2) = (lp.handle(), t.clone());
            let th = std::thread::spawn(move || {
                for _ in 0..REMOTE_N {
                    let t = t2.clone();
                    drop(h.spawn(async move { t.bump() }).ok().unwrap());
                }
            });
            lp.block_on(t.wait()).unwrap();
            th.join().unwrap();
        })
    });

    let rt = tokio_rt(false);
    g.bench_function("tokio_handle_spawn", |b| {
        b.iter(|| {
            let t = Target::new(REMOTE_N);
            let (h, t2) = (rt.handle().clone(), t.clone());
            let th = std::thread::spawn(move || {
                for _ in 0..REMOTE_N {
                    let t = t2.clone();
                    drop(h.spawn(async move { t.bump() }));
                }
            });
            rt.block_on(t.wait());
            th.join().unwrap();
        })
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------
// One-off reports: memory and round-trip latency
// ---------------------------------------------------------------------------------------

/// Sleep of the timers in the memory report: long enough that none fires while measured.
const MEM_TIMER_SLEEP: Duration = Duration::from_secs(30);

/// Prints a memory line: bytes per item at the "all pending" point and at the peak.
fn print_mem(what: &str, n: usize, pending: isize, peak: isize) {
    eprintln!(
        "  {what:<34} n={n:>8}  live/n = {:>7.1} B   peak/n = {:>7.1} B",
        pending as f64 / n as f64,
        peak as f64 / n as f64
    );
}

/// Yields (with `yield_now`) until all `n` tasks reached their first await.
async fn until_started<Y, YF>(n: usize, yield_now: Y)
where
    Y: Fn() -> YF,
    YF: Future<Output = ()>,
{
    while STARTED.load(Ordering::Relaxed) < n {
        yield_now().await;
    }
}

/// Heap bytes per task for tasks all parked on `make()`, on strands, tokio and smol. The
/// handle vector is allocated before counting starts, so only the runtimes' allocations
/// count. Returns nothing; prints.
fn mem_tasks<F, M>(label: &str, n: usize, make: M)
where
    M: Fn() -> F + Copy,
    F: Future<Output = ()> + Send + 'static,
{
    // strands
    {
        let mut lp = strands::EventLoop::new().unwrap();
        let mut hs = Vec::with_capacity(n);
        STARTED.store(0, Ordering::SeqCst);
        mem_reset();
        let pending = lp
            .block_on(async {
                for _ in 0..n {
                    hs.push(strands::spawn(make()));
                }
                until_started(n, strands::yield_now).await;
                mem_live()
            })
            .unwrap();
        let peak = mem_peak();
        mem_stop();
        print_mem(&format!("strands {label}"), n, pending, peak);
        drop(hs);
        drop(lp);
    }
    // tokio
    {
        let rt = tokio_rt(true);
        let mut hs = Vec::with_capacity(n);
        STARTED.store(0, Ordering::SeqCst);
        mem_reset();
        let pending = rt.block_on(async {
            for _ in 0..n {
                hs.push(tokio::task::spawn(make()));
            }
            until_started(n, tokio::task::yield_now).await;
            mem_live()
        });
        let peak = mem_peak();
        mem_stop();
        print_mem(&format!("tokio {label}"), n, pending, peak);
        drop(hs);
        drop(rt);
    }
}

/// Heap bytes per idle task on smol (its timer is not comparable, so only idle tasks).
fn mem_idle_smol(n: usize) {
    let ex = smol::LocalExecutor::new();
    let mut hs = Vec::with_capacity(n);
    STARTED.store(0, Ordering::SeqCst);
    mem_reset();
    let pending = smol::block_on(ex.run(async {
        for _ in 0..n {
            hs.push(ex.spawn(async {
                STARTED.fetch_add(1, Ordering::Relaxed);
                Parked::default().await;
            }));
        }
        until_started(n, smol::future::yield_now).await;
        mem_live()
    }));
    let peak = mem_peak();
    mem_stop();
    print_mem("smol idle(Parked)", n, pending, peak);
    drop(hs);
}

/// Heap bytes per idle task on strands, each awaiting a shared `sync::Event` never set (the
/// counterpart of tokio's `Notify` case: a real primitive with its own wait node).
fn mem_idle_strands_event(n: usize) {
    let mut lp = strands::EventLoop::new().unwrap();
    let event = Arc::new(strands::sync::Event::new());
    let mut hs = Vec::with_capacity(n);
    STARTED.store(0, Ordering::SeqCst);
    mem_reset();
    let pending = lp
        .block_on(async {
            for _ in 0..n {
                let event = event.clone();
                hs.push(strands::spawn(async move {
                    STARTED.fetch_add(1, Ordering::Relaxed);
                    event.wait().await;
                }));
            }
            until_started(n, strands::yield_now).await;
            mem_live()
        })
        .unwrap();
    let peak = mem_peak();
    mem_stop();
    print_mem("strands idle(sync::Event)", n, pending, peak);
    drop(hs);
    drop(lp);
}

/// Heap bytes per idle task on tokio, each awaiting a shared `Notify` that is never notified.
fn mem_idle_tokio_notify(n: usize) {
    let rt = tokio_rt(false);
    let notify = Arc::new(tokio::sync::Notify::new());
    let mut hs = Vec::with_capacity(n);
    STARTED.store(0, Ordering::SeqCst);
    mem_reset();
    let pending = rt.block_on(async {
        for _ in 0..n {
            let notify = notify.clone();
            hs.push(tokio::task::spawn(async move {
                STARTED.fetch_add(1, Ordering::Relaxed);
                notify.notified().await;
            }));
        }
        until_started(n, tokio::task::yield_now).await;
        mem_live()
    });
    let peak = mem_peak();
    mem_stop();
    print_mem("tokio idle(Notify::notified)", n, pending, peak);
    drop(hs);
}

/// Median, p90 and p99 of `samples` (sorted in place), in ns.
fn percentiles(samples: &mut [u64]) -> (u64, u64, u64) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.9), at(0.99))
}

/// Round trips measured per contender.
const RTT_N: usize = 10_000;

/// One round trip at a time: the thread submits, the loop runs the submission, which stores
/// its sequence number; the thread spins until it sees it, then waits `gap` (spinning) so the
/// loop has gone back to sleep before the next one (zero: back to back, which mostly finds
/// the loop still awake). Returns the samples in ns.
fn rtt_thread<S>(gap: Duration, submit: S) -> std::thread::JoinHandle<Vec<u64>>
where
    S: Fn(u64, Arc<AtomicU64>) + Send + 'static,
{
    std::thread::spawn(move || {
        let seen = Arc::new(AtomicU64::new(0));
        let mut samples = Vec::with_capacity(RTT_N);
        for seq in 1..=RTT_N as u64 {
            let t0 = Instant::now();
            submit(seq, seen.clone());
            while seen.load(Ordering::Acquire) != seq {
                std::hint::spin_loop();
            }
            let dt = t0.elapsed();
            samples.push(dt.as_nanos() as u64);
            while t0.elapsed() < dt + gap {
                std::hint::spin_loop();
            }
        }
        samples
    })
}

/// p50/p90/p99 round-trip latency into a sleeping loop, strands against tokio.
fn latency_report() {
    for gap_us in [50u64, 0] {
        eprintln!(
            "round trip from another thread, one at a time, {RTT_N} samples, {gap_us} us between:"
        );
        latency_report_gap(Duration::from_micros(gap_us));
    }
}

/// [`latency_report`] for one gap between round trips.
fn latency_report_gap(gap: Duration) {
    {
        let mut lp = strands::EventLoop::new().unwrap();
        let t = Target::new(RTT_N);
        let (h, t2) = (lp.handle(), t.clone());
        let th = rtt_thread(gap, move |seq, seen| {
            let t = t2.clone();
            h.call_soon_threadsafe(move || {
                seen.store(seq, Ordering::Release);
                t.bump();
            })
            .ok()
            .unwrap();
        });
        lp.block_on(t.wait()).unwrap();
        let (p50, p90, p99) = percentiles(&mut th.join().unwrap());
        eprintln!("  strands call_soon_threadsafe   p50 = {p50:>7} ns  p90 = {p90:>7} ns  p99 = {p99:>7} ns");
    }
    {
        let mut lp = strands::EventLoop::new().unwrap();
        let t = Target::new(RTT_N);
        let (h, t2) = (lp.handle(), t.clone());
        let th = rtt_thread(gap, move |seq, seen| {
            let t = t2.clone();
            drop(
                h.spawn(async move {
                    seen.store(seq, Ordering::Release);
                    t.bump();
                })
                .ok()
                .unwrap(),
            );
        });
        lp.block_on(t.wait()).unwrap();
        let (p50, p90, p99) = percentiles(&mut th.join().unwrap());
        eprintln!("  strands Handle::spawn          p50 = {p50:>7} ns  p90 = {p90:>7} ns  p99 = {p99:>7} ns");
    }
    {
        let rt = tokio_rt(false);
        let t = Target::new(RTT_N);
        let (h, t2) = (rt.handle().clone(), t.clone());
        let th = rtt_thread(gap, move |seq, seen| {
            let t = t2.clone();
            drop(h.spawn(async move {
                seen.store(seq, Ordering::Release);
                t.bump();
            }));
        });
        rt.block_on(t.wait());
        let (p50, p90, p99) = percentiles(&mut th.join().unwrap());
        eprintln!("  tokio Handle::spawn            p50 = {p50:>7} ns  p90 = {p90:>7} ns  p99 = {p99:>7} ns");
    }
}

/// The memory reports (4: idle tasks; 3: pending timers).
fn memory_report() {
    let n = 100_000;
    eprintln!("idle_task_memory/100k (heap bytes per task; handles' Vec excluded):");
    mem_tasks("idle(Parked)", n, || async {
        STARTED.fetch_add(1, Ordering::Relaxed);
        Parked::default().await;
    });
    mem_idle_tokio_notify(n);
    mem_idle_strands_event(n);
    mem_idle_smol(n);
    eprintln!("timers memory (heap bytes per pending timer task, sleep not yet due):");
    for n in [100_000, 1_000_000] {
        mem_timers(n);
    }
}

/// Heap bytes per task sleeping on a timer that is not yet due, strands against tokio.
fn mem_timers(n: usize) {
    {
        let mut lp = strands::EventLoop::new().unwrap();
        let mut hs = Vec::with_capacity(n);
        STARTED.store(0, Ordering::SeqCst);
        mem_reset();
        let pending = lp
            .block_on(async {
                for _ in 0..n {
                    hs.push(strands::spawn(async {
                        STARTED.fetch_add(1, Ordering::Relaxed);
                        strands::sleep(MEM_TIMER_SLEEP).await;
                    }));
                }
                until_started(n, strands::yield_now).await;
                mem_live()
            })
            .unwrap();
        let peak = mem_peak();
        mem_stop();
        print_mem("strands sleep", n, pending, peak);
        drop(hs);
        drop(lp);
    }
    {
        let rt = tokio_rt(true);
        let mut hs = Vec::with_capacity(n);
        STARTED.store(0, Ordering::SeqCst);
        mem_reset();
        let pending = rt.block_on(async {
            for _ in 0..n {
                hs.push(tokio::task::spawn(async {
                    STARTED.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(MEM_TIMER_SLEEP).await;
                }));
            }
            until_started(n, tokio::task::yield_now).await;
            mem_live()
        });
        let peak = mem_peak();
        mem_stop();
        print_mem("tokio sleep", n, pending, peak);
        drop(hs);
        drop(rt);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let listing = args.iter().any(|a| a == "--list" || a == "--test");
    if !listing {
        memory_report();
        latency_report();
    }
    let mut c = Criterion::default().sample_size(10).configure_from_args();
    spawn_join(&mut c);
    yield_pingpong(&mut c);
    timers(&mut c);
    call_soon_threadsafe(&mut c);
    c.final_summary();
}
