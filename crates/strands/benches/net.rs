//! Loopback TCP benchmarks: strands against tokio (current-thread), in the same run.
//!
//! - `echo_100x1000`: 100 connections × 1000 round trips of 64 bytes, the clients and the
//!   echo server on one loop (throughput in round trips per second: one element = one 64-byte
//!   message out and back). The round-trip count is kept low so that the file runs in a few
//!   minutes.
//! - `echo_1000x200`: 1000 connections × 200 round trips (the soft `RLIMIT_NOFILE` is raised
//!   if it is too low for that).
//! - `pingpong_1x2000`: one connection, 2000 sequential round trips: strands, tokio, and a raw
//!   mio loop written here (one thread, nonblocking reads until `WouldBlock`, then
//!   `epoll_wait`), the floor that a runtime adds its cost to.
//!
//! Only the round trips are timed: connections are set up before the clock starts. Before the
//! criterion groups, a one-off report (not timed by criterion) prints the p50/p99 latency of
//! single round trips of the 100-connection echo, for both runtimes.
//!
//! Run: `cargo bench -p strands --bench net`.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};

/// Bytes per message.
const MSG: usize = 64;

// ---------------------------------------------------------------------------------------
// strands
// ---------------------------------------------------------------------------------------

mod on_strands {
    use super::*;
    use strands::net::{TcpListener, TcpStream};

    /// Echoes 64-byte messages until the client closes.
    async fn echo(mut s: TcpStream) {
        let mut buf = [0u8; MSG];
        while s.read_exact(&mut buf).await.is_ok() {
            if s.write_all(&buf).await.is_err() {
                return;
            }
        }
    }

    /// Runs `conns` clients × `rounds` round trips against an echo server on the same loop;
    /// returns the time of the round trips, and per-round-trip latencies in ns if `record`.
    pub async fn run(conns: usize, rounds: usize, record: bool) -> (Duration, Vec<u64>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = strands::spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                s.set_nodelay(true).unwrap();
                drop(strands::spawn(echo(s)));
            }
        });
        let mut clients = Vec::with_capacity(conns);
        for _ in 0..conns {
            let s = TcpStream::connect(addr).await.unwrap();
            s.set_nodelay(true).unwrap();
            clients.push(s);
        }
        let start = Instant::now();
        let tasks: Vec<_> = clients
            .into_iter()
            .map(|s| strands::spawn(client(s, rounds, record)))
            .collect();
        let mut lat = Vec::new();
        for t in tasks {
            lat.extend(t.await.unwrap());
        }
        let elapsed = start.elapsed();
        acceptor.cancel(); // the echo tasks end on their own: their clients are gone
        (elapsed, lat)
    }

    async fn client(mut s: TcpStream, rounds: usize, record: bool) -> Vec<u64> {
        let mut lat = Vec::with_capacity(if record { rounds } else { 0 });
        let out = [7u8; MSG];
        let mut back = [0u8; MSG];
        for _ in 0..rounds {
            let t = record.then(Instant::now);
            s.write_all(&out).await.unwrap();
            s.read_exact(&mut back).await.unwrap();
            if let Some(t) = t {
                lat.push(t.elapsed().as_nanos() as u64);
            }
        }
        lat
    }

    pub fn bench(lp: &mut strands::EventLoop, conns: usize, rounds: usize, iters: u64) -> Duration {
        (0..iters)
            .map(|_| lp.block_on(run(conns, rounds, false)).unwrap().0)
            .sum()
    }

    pub fn address() -> SocketAddr {
        "127.0.0.1:0".parse().unwrap()
    }
}

// ---------------------------------------------------------------------------------------
// tokio
// ---------------------------------------------------------------------------------------

mod on_tokio {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    async fn echo(mut s: TcpStream) {
        let mut buf = [0u8; MSG];
        while s.read_exact(&mut buf).await.is_ok() {
            if s.write_all(&buf).await.is_err() {
                return;
            }
        }
    }

    pub async fn run(conns: usize, rounds: usize, record: bool) -> (Duration, Vec<u64>) {
        let listener = TcpListener::bind(on_strands::address()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = tokio::spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                s.set_nodelay(true).unwrap();
                tokio::spawn(echo(s));
            }
        });
        let mut clients = Vec::with_capacity(conns);
        for _ in 0..conns {
            let s = TcpStream::connect(addr).await.unwrap();
            s.set_nodelay(true).unwrap();
            clients.push(s);
        }
        let start = Instant::now();
        let tasks: Vec<_> = clients
            .into_iter()
            .map(|s| tokio::spawn(client(s, rounds, record)))
            .collect();
        let mut lat = Vec::new();
        for t in tasks {
            lat.extend(t.await.unwrap());
        }
        let elapsed = start.elapsed();
        acceptor.abort();
        (elapsed, lat)
    }

    async fn client(mut s: TcpStream, rounds: usize, record: bool) -> Vec<u64> {
        let mut lat = Vec::with_capacity(if record { rounds } else { 0 });
        let out = [7u8; MSG];
        let mut back = [0u8; MSG];
        for _ in 0..rounds {
            let t = record.then(Instant::now);
            s.write_all(&out).await.unwrap();
            s.read_exact(&mut back).await.unwrap();
            if let Some(t) = t {
                lat.push(t.elapsed().as_nanos() as u64);
            }
        }
        lat
    }

    pub fn bench(
        rt: &tokio::runtime::Runtime,
        conns: usize,
        rounds: usize,
        iters: u64,
    ) -> Duration {
        (0..iters)
            .map(|_| rt.block_on(run(conns, rounds, false)).0)
            .sum()
    }
}

// ---------------------------------------------------------------------------------------
// raw mio loop
// ---------------------------------------------------------------------------------------

mod raw {
    use super::*;
    use mio::net::TcpStream;
    use mio::{Events, Interest, Poll, Token};

    /// A connected pair (client, server) registered on one `Poll`, edge-triggered.
    pub struct Pair {
        poll: Poll,
        events: Events,
        client: TcpStream,
        server: TcpStream,
    }

    impl Pair {
        pub fn new() -> io::Result<Pair> {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            let client = std::net::TcpStream::connect(listener.local_addr()?)?;
            let (server, _) = listener.accept()?;
            let poll = Poll::new()?;
            let mut pair = Pair {
                events: Events::with_capacity(16),
                client: stream(client)?,
                server: stream(server)?,
                poll,
            };
            pair.poll
                .registry()
                .register(&mut pair.client, Token(1), Interest::READABLE)?;
            pair.poll
                .registry()
                .register(&mut pair.server, Token(0), Interest::READABLE)?;
            Ok(pair)
        }

        /// `rounds` sequential round trips; returns their time.
        pub fn pingpong(&mut self, rounds: usize) -> io::Result<Duration> {
            let out = [7u8; MSG];
            let mut buf = [0u8; MSG];
            let start = Instant::now();
            for _ in 0..rounds {
                // 64 bytes into an empty send buffer: one write takes them all.
                assert_eq!(self.client.write(&out)?, MSG);
                read_full(&mut self.poll, &mut self.events, &mut self.server, &mut buf)?;
                assert_eq!(self.server.write(&buf)?, MSG);
                read_full(&mut self.poll, &mut self.events, &mut self.client, &mut buf)?;
            }
            Ok(start.elapsed())
        }
    }

    fn stream(s: std::net::TcpStream) -> io::Result<TcpStream> {
        s.set_nonblocking(true)?;
        s.set_nodelay(true)?;
        Ok(TcpStream::from_std(s))
    }

    /// Reads `buf.len()` bytes, waiting in `epoll_wait` whenever the socket is drained.
    fn read_full(
        poll: &mut Poll,
        events: &mut Events,
        s: &mut TcpStream,
        buf: &mut [u8],
    ) -> io::Result<()> {
        let mut got = 0;
        while got < buf.len() {
            match s.read(&mut buf[got..]) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => poll.poll(events, None)?,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Reports and groups
// ---------------------------------------------------------------------------------------

/// Raises the soft descriptor limit to `want` (at most the hard limit) if it is lower.
fn raise_nofile(want: libc::rlim_t) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable `rlimit`.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return;
    }
    if lim.rlim_cur < want {
        lim.rlim_cur = want.min(lim.rlim_max);
        // SAFETY: `lim` is a valid `rlimit` with `rlim_cur <= rlim_max`.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
            eprintln!("could not raise RLIMIT_NOFILE to {want}");
        }
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// p50/p99 of single round trips, 100 connections × 1000 round trips, once per runtime.
fn latency_report(lp: &mut strands::EventLoop, rt: &tokio::runtime::Runtime) {
    eprintln!("round-trip latency, 100 connections × 1000 round trips of {MSG} B, one loop:");
    for name in ["strands", "tokio"] {
        let (elapsed, mut lat) = match name {
            "strands" => lp.block_on(on_strands::run(100, 1000, true)).unwrap(),
            _ => rt.block_on(on_tokio::run(100, 1000, true)),
        };
        lat.sort_unstable();
        eprintln!(
            "  {name:8} p50 {:7.1} µs  p99 {:7.1} µs  ({:.0} round trips/s)",
            percentile(&lat, 0.50),
            percentile(&lat, 0.99),
            lat.len() as f64 / elapsed.as_secs_f64()
        );
    }
}

fn main() {
    raise_nofile(4096);
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

    latency_report(&mut lp, &rt);

    for (conns, rounds) in [(100, 1000), (1000, 200)] {
        let mut g = c.benchmark_group(format!("echo_{conns}x{rounds}"));
        g.throughput(Throughput::Elements((conns * rounds) as u64));
        g.bench_function("strands", |b| {
            b.iter_custom(|iters| on_strands::bench(&mut lp, conns, rounds, iters))
        });
        g.bench_function("tokio", |b| {
            b.iter_custom(|iters| on_tokio::bench(&rt, conns, rounds, iters))
        });
        g.finish();
    }

    const PP: usize = 2000;
    let mut g = c.benchmark_group(format!("pingpong_1x{PP}"));
    g.throughput(Throughput::Elements(PP as u64));
    g.bench_function("strands", |b| {
        b.iter_custom(|iters| on_strands::bench(&mut lp, 1, PP, iters))
    });
    g.bench_function("tokio", |b| {
        b.iter_custom(|iters| on_tokio::bench(&rt, 1, PP, iters))
    });
    g.bench_function("raw_mio", |b| {
        let mut pair = raw::Pair::new().unwrap();
        b.iter_custom(|iters| (0..iters).map(|_| pair.pingpong(PP).unwrap()).sum())
    });
    g.finish();
    c.final_summary();
}
