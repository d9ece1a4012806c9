//! `to_thread`: run a blocking closure on a pool of named threads and await its result.
//!
//! The pool starts threads on demand up to [`MAX_THREADS`]; beyond that, jobs queue (FIFO).
//! A thread idle for [`IDLE_TIMEOUT`] exits. Threads are named `strands-blocking-N`.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc as StdArc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::loom::{Arc, Condvar, Mutex};
use crate::task::error::{Panic, TaskError};
use crate::task::promise::Promise;

/// Most threads the pool runs at once.
pub const MAX_THREADS: usize = 64;
/// How long an idle pool thread waits for work before exiting.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// A job for the pool.
type Job = Box<dyn FnOnce() + Send>;

/// The pool's state behind its lock.
struct State {
    /// Jobs not yet taken.
    queue: VecDeque<Job>,
    /// Threads alive.
    threads: usize,
    /// Threads waiting for a job and not yet claimed by a submitter.
    idle: usize,
    /// Wake-ups sent to idle threads and not yet taken (each stands for one claimed thread).
    wakeups: usize,
    /// Threads started so far (for names).
    started: u64,
}

/// The process-wide blocking pool.
struct Pool {
    /// Jobs and counters.
    state: Mutex<State>,
    /// Idle threads wait here.
    cv: Condvar,
}

/// The pool, created on first use.
fn pool() -> &'static StdArc<Pool> {
    static POOL: OnceLock<StdArc<Pool>> = OnceLock::new();
    POOL.get_or_init(|| {
        StdArc::new(Pool {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                threads: 0,
                idle: 0,
                wakeups: 0,
                started: 0,
            }),
            cv: Condvar::new(),
        })
    })
}

impl Pool {
    /// Queues a job, waking or starting a thread for it.
    fn submit(self: &StdArc<Self>, job: Job) -> Result<(), Job> {
        let mut st = self.state.lock();
        st.queue.push_back(job);
        if st.idle > 0 {
            // Claim the idle thread now, so the next job does not count on it too.
            st.idle -= 1;
            st.wakeups += 1;
            drop(st);
            self.cv.notify_one();
            return Ok(());
        }
        if st.threads >= MAX_THREADS {
            return Ok(()); // a busy thread takes it when done
        }
        st.threads += 1;
        st.started += 1;
        let name = format!("strands-blocking-{}", st.started);
        drop(st);
        let pool = self.clone();
        let spawned = std::thread::Builder::new()
            .name(name)
            .spawn(move || pool.work());
        if spawned.is_err() {
            let mut st = self.state.lock();
            st.threads -= 1;
            if st.threads == 0 {
                // No thread will ever run it: hand the job back.
                return st.queue.pop_back().map_or(Ok(()), Err);
            }
        }
        Ok(())
    }

    /// The body of a pool thread.
    fn work(&self) {
        let mut st = self.state.lock();
        loop {
            if let Some(job) = st.queue.pop_front() {
                drop(st);
                job();
                st = self.state.lock();
                continue;
            }
            st.idle += 1;
            st = self.cv.wait_timeout(st, IDLE_TIMEOUT);
            if st.wakeups > 0 {
                st.wakeups -= 1; // claimed by a submitter, which already took us off `idle`
            } else {
                st.idle -= 1;
            }
            if st.queue.is_empty() {
                // Woken by the timeout (or spuriously with nothing to do): leave.
                st.threads -= 1;
                return;
            }
        }
    }
}

/// Runs the blocking closure `f` on a pool thread (asyncio's `to_thread`) and returns a
/// future of its result. The loop keeps running other tasks meanwhile.
///
/// At most [`MAX_THREADS`] closures run at once; more wait in FIFO order.
///
/// # Cancel safety
///
/// Dropping the future does not stop `f` (a thread cannot be interrupted); its result is
/// dropped when it finishes.
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let n = strands::to_thread(|| {
///         std::thread::sleep(std::time::Duration::from_millis(5)); // blocking is fine here
///         std::thread::current().name().unwrap().starts_with("strands-blocking")
///     })
///     .await
///     .unwrap();
///     assert!(n);
/// })
/// .unwrap();
/// ```
pub fn to_thread<F, T>(f: F) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let promise = Arc::new(Promise::new());
    let done = promise.clone();
    let job: Job = Box::new(move || {
        let out = catch_unwind(AssertUnwindSafe(f)).map_err(|p| TaskError::Panicked(Panic::new(p)));
        done.complete(out);
    });
    if let Err(job) = pool().submit(job) {
        // The OS refused every thread: run nothing, report it as a cancellation.
        drop(job);
        promise.complete(Err(TaskError::Cancelled));
    }
    ToThread { promise }
}

/// The future of [`to_thread`]: `Ok` with the closure's value, or
/// [`TaskError::Panicked`] if it panicked ([`TaskError::Cancelled`] only if the OS refused
/// to start any pool thread).
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let r: strands::ToThread<i32> = strands::to_thread(|| panic!("in a thread"));
///     assert!(r.await.unwrap_err().is_panic());
/// })
/// .unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct ToThread<T> {
    /// Where the pool thread leaves the result.
    promise: Arc<Promise<Result<T, TaskError>>>,
}

impl<T> Future for ToThread<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.promise
            .poll_take(cx)
            .map(|out| out.unwrap_or(Err(TaskError::Cancelled)))
    }
}

impl<T> std::fmt::Debug for ToThread<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToThread")
            .field("finished", &self.promise.is_done())
            .finish()
    }
}
