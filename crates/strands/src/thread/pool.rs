//! [`ThreadPool`]: Python's `ThreadPoolExecutor`, with futures both worlds can wait for.
//!
//! Jobs go through a strands [`Queue`]; workers (named `<prefix>-N`) are started on demand
//! up to `max_workers` and exit when the queue is shut down and drained.
#![forbid(unsafe_code)]

use core::fmt;
use std::panic::{self, AssertUnwindSafe};

use crate::loom::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::loom::{thread, Arc, Mutex};
use crate::queue::Queue;
use crate::sync::engine;
use crate::thread::builder::default_name;
use crate::thread::error::{Panicked, SubmitError};
use crate::thread::future::{Cell, PoolFuture};

/// A job in the queue: run it, or cancel it.
trait Job: Send {
    /// Runs the job on a worker (unless its future was cancelled).
    fn run(self: Box<Self>, worker: &str);
    /// Cancels the job's future (`shutdown(cancel_futures=true)`).
    fn cancel(self: Box<Self>);
}

/// A closure and the cell of its future.
struct Work<F, T> {
    /// The closure.
    f: F,
    /// Its result.
    cell: Arc<Cell<T>>,
}

impl<F: FnOnce() -> T + Send, T: Send> Job for Work<F, T> {
    fn run(self: Box<Self>, worker: &str) {
        if !self.cell.start() {
            return; // cancelled before it ran
        }
        let f = self.f;
        let r = panic::catch_unwind(AssertUnwindSafe(f))
            .map_err(|p| Panicked::from_payload(&*p, worker));
        self.cell.complete(r);
    }

    fn cancel(self: Box<Self>) {
        self.cell.cancel();
    }
}

/// State shared with the workers.
struct Inner {
    /// Pending jobs.
    jobs: Queue<Box<dyn Job>>,
    /// Most workers to start.
    max_workers: usize,
    /// Worker name prefix.
    prefix: String,
    /// Workers started.
    started: AtomicUsize,
    /// Workers waiting for a job.
    idle: AtomicUsize,
    /// Set by `shutdown`.
    shut: AtomicBool,
    /// Worker handles, for `shutdown(wait=true)`.
    handles: Mutex<Vec<thread::JoinHandle<()>>>,
}

/// A pool of named worker threads (Python's `concurrent.futures.ThreadPoolExecutor`).
///
/// [`submit`](Self::submit) returns a [`PoolFuture`] that a thread can
/// [`wait_blocking`](PoolFuture::wait_blocking) and a task can `.await`.
/// Dropping the pool shuts it down without waiting (queued jobs still run).
///
/// # Examples
///
/// ```
/// use strands::thread::ThreadPool;
/// let pool = ThreadPool::builder().max_workers(2).name_prefix("calc").build().unwrap();
/// let f = pool.submit(|| 2 + 2).unwrap();
/// assert_eq!(f.wait_blocking(), Ok(4));
/// let squares: Vec<_> = pool.map(|x: u64| x * x, 1..=4).unwrap().collect();
/// assert_eq!(squares, [Ok(1), Ok(4), Ok(9), Ok(16)]);
/// pool.shutdown(true, false);
/// ```
pub struct ThreadPool {
    /// Shared with workers.
    inner: Arc<Inner>,
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("max_workers", &self.inner.max_workers)
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

/// Configures a [`ThreadPool`].
///
/// # Examples
///
/// ```
/// let pool = strands::thread::ThreadPool::builder().max_workers(1).build().unwrap();
/// assert_eq!(pool.max_workers(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct ThreadPoolBuilder {
    /// Most workers.
    max_workers: usize,
    /// Worker name prefix.
    prefix: String,
}

/// `max_workers` must be at least one.
///
/// # Examples
///
/// ```
/// assert!(strands::thread::ThreadPool::new(0).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZeroWorkersError;

impl fmt::Display for ZeroWorkersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a thread pool needs at least one worker")
    }
}

impl std::error::Error for ZeroWorkersError {}

impl ThreadPoolBuilder {
    /// At most `n` workers (default: available parallelism + 4, at most 32, as Python).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = strands::thread::ThreadPool::builder().max_workers(3);
    /// ```
    pub fn max_workers(mut self, n: usize) -> Self {
        self.max_workers = n;
        self
    }

    /// Workers are named `<prefix>-N` (default `strands-pool`).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = strands::thread::ThreadPool::builder().name_prefix("io").build().unwrap();
    /// let name = pool.submit(|| std::thread::current().name().unwrap().to_owned()).unwrap();
    /// assert!(name.wait_blocking().unwrap().starts_with("io-"));
    /// ```
    pub fn name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Builds the pool (workers start on demand).
    ///
    /// # Errors
    ///
    /// [`ZeroWorkersError`] if `max_workers` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(strands::thread::ThreadPool::builder().max_workers(0).build().is_err());
    /// ```
    pub fn build(self) -> Result<ThreadPool, ZeroWorkersError> {
        if self.max_workers == 0 {
            return Err(ZeroWorkersError);
        }
        Ok(ThreadPool {
            inner: Arc::new(Inner {
                jobs: Queue::new(0),
                max_workers: self.max_workers,
                prefix: self.prefix,
                started: AtomicUsize::new(0),
                idle: AtomicUsize::new(0),
                shut: AtomicBool::new(false),
                handles: Mutex::new(Vec::new()),
            }),
        })
    }
}

impl ThreadPool {
    /// A pool of at most `max_workers` threads.
    ///
    /// # Errors
    ///
    /// [`ZeroWorkersError`] if `max_workers` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = strands::thread::ThreadPool::new(4).unwrap();
    /// ```
    pub fn new(max_workers: usize) -> Result<Self, ZeroWorkersError> {
        Self::builder().max_workers(max_workers).build()
    }

    /// A builder with Python's defaults.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = strands::thread::ThreadPool::builder().build().unwrap();
    /// assert!(pool.max_workers() >= 5);
    /// ```
    pub fn builder() -> ThreadPoolBuilder {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        ThreadPoolBuilder {
            max_workers: (cpus + 4).min(32),
            prefix: "strands-pool".to_owned(),
        }
    }

    /// The most workers this pool starts.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(strands::thread::ThreadPool::new(2).unwrap().max_workers(), 2);
    /// ```
    pub fn max_workers(&self) -> usize {
        self.inner.max_workers
    }

    /// Schedules `f` on a worker.
    ///
    /// # Errors
    ///
    /// [`SubmitError`] with `f` after [`shutdown`](Self::shutdown).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = strands::thread::ThreadPool::new(1).unwrap();
    /// assert_eq!(pool.submit(|| 7).unwrap().wait_blocking(), Ok(7));
    /// ```
    pub fn submit<F, T>(&self, f: F) -> Result<PoolFuture<T>, SubmitError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        if self.inner.shut.load(Ordering::Acquire) {
            return Err(SubmitError(f));
        }
        let cell: Arc<Cell<T>> = Arc::new(Cell::default());
        let job: Box<dyn Job> = Box::new(Work {
            f,
            cell: cell.clone(),
        });
        if let Err(e) = self.inner.jobs.try_put(job) {
            // Shut down meanwhile: the closure is inside the boxed job and cannot be
            // recovered by type; cancel its future instead.
            e.into_inner().cancel();
            return Ok(PoolFuture::new(cell));
        }
        self.maybe_spawn();
        Ok(PoolFuture::new(cell))
    }

    /// Runs `f` on every item; the results come back in input order.
    ///
    /// The returned [`Map`] is an iterator (each `next` blocks the thread) and can give the
    /// futures instead with [`Map::into_futures`] (to `.await` them from a task).
    ///
    /// # Errors
    ///
    /// [`SubmitError`] with `f` after [`shutdown`](Self::shutdown).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = strands::thread::ThreadPool::new(2).unwrap();
    /// let out: Result<Vec<u32>, _> = pool.map(|x: u32| x + 1, vec![1, 2, 3]).unwrap().collect();
    /// assert_eq!(out.unwrap(), [2, 3, 4]);
    /// ```
    pub fn map<F, I, T>(&self, f: F, items: I) -> Result<Map<T>, SubmitError<F>>
    where
        F: Fn(I::Item) -> T + Send + Sync + 'static,
        I: IntoIterator,
        I::Item: Send + 'static,
        T: Send + 'static,
    {
        if self.inner.shut.load(Ordering::Acquire) {
            return Err(SubmitError(f));
        }
        let f = std::sync::Arc::new(f);
        let mut futures = Vec::new();
        for item in items {
            let f = f.clone();
            match self.submit(move || f(item)) {
                Ok(fut) => futures.push(fut),
                Err(_) => break, // shut down meanwhile: stop submitting
            }
        }
        Ok(Map {
            futures: futures.into_iter(),
        })
    }

    /// Shuts the pool down: later submits fail. With `cancel_futures`, jobs not yet started
    /// are cancelled; the others still run. With `wait`, blocks until every worker exits.
    ///
    /// # Panics
    ///
    /// With `wait`, if called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = strands::thread::ThreadPool::new(1).unwrap();
    /// let f = pool.submit(|| 1).unwrap();
    /// pool.shutdown(true, false);
    /// assert_eq!(f.wait_blocking(), Ok(1));
    /// assert!(pool.submit(|| 2).is_err());
    /// ```
    #[track_caller]
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        if wait {
            engine::assert_may_block("ThreadPool::shutdown(wait = true)");
        }
        self.inner.shut.store(true, Ordering::Release);
        if cancel_futures {
            while let Ok(job) = self.inner.jobs.try_get() {
                job.cancel();
            }
        }
        self.inner.jobs.shutdown(false);
        if wait {
            let handles = core::mem::take(&mut *self.inner.handles.lock());
            for h in handles {
                let _ = h.join();
            }
        }
    }

    /// Starts a worker if none is idle and the limit allows.
    fn maybe_spawn(&self) {
        let inner = &self.inner;
        if inner.idle.load(Ordering::Acquire) > 0 {
            return;
        }
        let n = inner.started.fetch_add(1, Ordering::AcqRel);
        if n >= inner.max_workers {
            inner.started.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        let worker = inner.clone();
        let name = default_name(&inner.prefix);
        let spawned = thread::Builder::new()
            .name(name.clone())
            .spawn(move || worker_loop(&worker, &name));
        match spawned {
            Ok(h) => inner.handles.lock().push(h),
            // Could not start a thread: existing workers (if any) will take the job.
            Err(_) => {
                inner.started.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }
}

/// A worker: runs jobs until the queue is shut down and drained.
fn worker_loop(inner: &Inner, name: &str) {
    loop {
        inner.idle.fetch_add(1, Ordering::AcqRel);
        let job = inner.jobs.get_blocking();
        inner.idle.fetch_sub(1, Ordering::AcqRel);
        match job {
            Ok(job) => job.run(name),
            Err(_) => return,
        }
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        self.shutdown(false, false);
    }
}

/// The results of [`ThreadPool::map`], in input order.
///
/// # Examples
///
/// ```
/// let pool = strands::thread::ThreadPool::new(2).unwrap();
/// let futs = pool.map(|x: i32| -x, [1, 2]).unwrap().into_futures();
/// let out = strands::run(async {
///     let mut v = Vec::new();
///     for f in futs { v.push(f.await.unwrap()); }
///     v
/// }).unwrap();
/// assert_eq!(out, [-1, -2]);
/// ```
#[derive(Debug)]
pub struct Map<T> {
    /// One future per item.
    futures: std::vec::IntoIter<PoolFuture<T>>,
}

impl<T> Map<T> {
    /// The futures, in input order.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = strands::thread::ThreadPool::new(1).unwrap();
    /// assert_eq!(pool.map(|x: u8| x, [1]).unwrap().into_futures().len(), 1);
    /// ```
    pub fn into_futures(self) -> Vec<PoolFuture<T>> {
        self.futures.collect()
    }
}

impl<T> Iterator for Map<T> {
    type Item = Result<T, crate::thread::FutureError>;

    /// Blocks the thread for the next result.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    fn next(&mut self) -> Option<Self::Item> {
        self.futures.next().map(PoolFuture::wait_blocking)
    }
}
