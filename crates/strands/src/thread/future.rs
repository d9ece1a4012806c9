//! [`PoolFuture`] and [`JoinFuture`]: results a thread can wait for and a task can await,
//! on the wait-list core (`sync::completion`). The only module of `thread` with `unsafe`
//! (pin projection).

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::Duration;

use crate::loom::Arc;
use crate::sync::completion::{Completion, CompletionWait, Outcome};
use crate::sync::engine;
use crate::thread::error::{FutureError, Panicked, WaitTimeoutError};

/// What a job or thread leaves behind.
pub(crate) type Cell<T> = Completion<Result<T, Panicked>>;

/// Maps a completion outcome to a pool result.
fn to_result<T>(o: Outcome<Result<T, Panicked>>) -> Result<T, FutureError> {
    match o {
        Outcome::Done(Ok(t)) => Ok(t),
        Outcome::Done(Err(p)) => Err(FutureError::Panicked(p)),
        Outcome::Cancelled | Outcome::Taken => Err(FutureError::Cancelled),
    }
}

/// The result of a job submitted to a [`ThreadPool`](super::ThreadPool)
/// (`concurrent.futures.Future`): a thread waits for it with
/// [`wait_blocking`](Self::wait_blocking) / [`wait_timeout`](Self::wait_timeout), a task
/// `.await`s it.
///
/// Dropping it does not cancel the job.
///
/// # Examples
///
/// ```
/// let pool = strands::thread::ThreadPool::new(2).unwrap();
/// let a = pool.submit(|| 1 + 1).unwrap();
/// let b = pool.submit(|| 2 + 2).unwrap();
/// assert_eq!(a.wait_blocking(), Ok(2));
/// assert_eq!(strands::run(b).unwrap(), Ok(4));
/// ```
#[must_use = "a pool future holds the job's result"]
pub struct PoolFuture<T> {
    /// Waits on the job's cell.
    inner: CompletionWait<Result<T, Panicked>>,
}

impl<T> fmt::Debug for PoolFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolFuture")
            .field("done", &self.done())
            .finish()
    }
}

impl<T> PoolFuture<T> {
    /// A future of `cell`.
    pub(crate) fn new(cell: Arc<Cell<T>>) -> Self {
        PoolFuture {
            inner: Completion::wait(cell),
        }
    }

    /// The job's cell.
    fn cell(&self) -> &Arc<Cell<T>> {
        self.inner.completion()
    }

    /// Cancels the job if it has not started; true if it is (now) cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = strands::thread::ThreadPool::new(1).unwrap();
    /// let gate = std::sync::Arc::new(strands::sync::Event::new());
    /// let g = gate.clone();
    /// let busy = pool.submit(move || g.wait_blocking()).unwrap();
    /// let queued = pool.submit(|| 1).unwrap();
    /// assert!(queued.cancel());
    /// gate.set();
    /// busy.wait_blocking().unwrap();
    /// assert!(queued.is_cancelled());
    /// ```
    pub fn cancel(&self) -> bool {
        self.cell().cancel()
    }

    /// True if cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = strands::thread::ThreadPool::new(1).unwrap();
    /// let f = pool.submit(|| ()).unwrap();
    /// let _ = f.is_cancelled();
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.cell().is_cancelled()
    }

    /// True while the job runs.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = strands::thread::ThreadPool::new(1).unwrap();
    /// let f = pool.submit(|| ()).unwrap();
    /// let _ = f.is_running();
    /// ```
    pub fn is_running(&self) -> bool {
        self.cell().is_running()
    }

    /// True once finished or cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = strands::thread::ThreadPool::new(1).unwrap();
    /// let f = pool.submit(|| ()).unwrap();
    /// pool.shutdown(true, false);
    /// assert!(f.done());
    /// ```
    pub fn done(&self) -> bool {
        self.cell().is_done()
    }

    /// Blocks the thread for the result.
    ///
    /// # Errors
    ///
    /// [`FutureError`] if the job was cancelled or panicked.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop (`.await` it instead).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = strands::thread::ThreadPool::new(1).unwrap();
    /// assert_eq!(pool.submit(|| "hi").unwrap().wait_blocking(), Ok("hi"));
    /// ```
    #[track_caller]
    pub fn wait_blocking(self) -> Result<T, FutureError> {
        engine::assert_may_block("PoolFuture::wait_blocking");
        match Completion::wait_until(self.cell(), None) {
            Some(o) => to_result(o),
            None => Err(FutureError::Cancelled),
        }
    }

    /// Blocks at most `timeout` for the result. `Duration::MAX` waits forever.
    ///
    /// # Errors
    ///
    /// [`WaitTimeoutError::Timeout`] hands the future back; [`WaitTimeoutError::Failed`] if
    /// the job was cancelled or panicked.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = strands::thread::ThreadPool::new(1).unwrap();
    /// let f = pool.submit(|| 3).unwrap();
    /// assert_eq!(f.wait_timeout(std::time::Duration::MAX).unwrap(), 3);
    /// ```
    #[track_caller]
    pub fn wait_timeout(self, timeout: Duration) -> Result<T, WaitTimeoutError<Self>> {
        engine::assert_may_block("PoolFuture::wait_timeout");
        match Completion::wait_until(self.cell(), engine::deadline(timeout)) {
            Some(o) => to_result(o).map_err(WaitTimeoutError::Failed),
            None => Err(WaitTimeoutError::Timeout(self)),
        }
    }
}

impl<T> Future for PoolFuture<T> {
    type Output = Result<T, FutureError>;

    /// # Cancel safety
    ///
    /// Dropping the `.await` does not cancel the job; its result is then dropped.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `inner` is structurally pinned: never moved out of the pinned future.
        unsafe { self.map_unchecked_mut(|s| &mut s.inner) }
            .poll(cx)
            .map(to_result)
    }
}

/// The future of [`JoinHandle::join`](super::JoinHandle::join): a task awaiting a thread.
///
/// # Examples
///
/// ```
/// let h = strands::thread::Thread::new(|| 5).start().unwrap();
/// assert_eq!(strands::run(h.join()).unwrap(), Ok(5));
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct JoinFuture<T> {
    /// Waits on the thread's cell.
    inner: CompletionWait<Result<T, Panicked>>,
}

impl<T> JoinFuture<T> {
    /// A future of `cell`.
    pub(crate) fn new(cell: Arc<Cell<T>>) -> Self {
        JoinFuture {
            inner: Completion::wait(cell),
        }
    }
}

impl<T> fmt::Debug for JoinFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JoinFuture")
    }
}

impl<T> Future for JoinFuture<T> {
    type Output = Result<T, Panicked>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `inner` is structurally pinned: never moved out of the pinned future.
        unsafe { self.map_unchecked_mut(|s| &mut s.inner) }
            .poll(cx)
            .map(|o| match o {
                Outcome::Done(r) => r,
                // A thread's cell is never cancelled, and only the one handle takes it.
                Outcome::Cancelled | Outcome::Taken => {
                    Err(Panicked::from_payload(&"thread result already taken", "?"))
                }
            })
    }
}
