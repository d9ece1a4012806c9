//! The way into a loop from other threads.

use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::event_loop::injector::{Injector, Remote};
use crate::event_loop::{is_loop_thread, with_current};
use crate::loom::atomic::{AtomicBool, Ordering};
use crate::loom::{Arc, Mutex};
use crate::task::error::{Panic, TaskError};
use crate::task::promise::Promise;
use crate::task::UnhandledPanic;

/// A `Send + Sync + Clone` handle to an event loop, for other threads (and for code on the
/// loop that wants to keep a reference to it).
///
/// # Examples
///
/// A worker thread hands work to the loop and waits for the answer:
///
/// ```
/// strands::run(async {
///     let handle = strands::Handle::current();
///     let worker = std::thread::spawn(move || {
///         let answer = handle.spawn(async { 40 + 2 }).ok().unwrap();
///         answer.wait_blocking().unwrap()
///     });
///     // Let the loop run while the thread waits.
///     while !worker.is_finished() {
///         strands::sleep(std::time::Duration::from_millis(1)).await;
///     }
///     assert_eq!(worker.join().unwrap(), 42);
/// })
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct Handle {
    /// The loop's door.
    injector: Arc<Injector>,
}

/// A future or closure could not be given to a loop: it has shut down, or (for
/// [`try_spawn`](crate::try_spawn)) no loop runs on this thread. The rejected value is handed
/// back.
///
/// # Examples
///
/// ```
/// let handle = strands::EventLoop::new()?.handle(); // the loop is dropped at once
/// let err = handle.call_soon_threadsafe(|| ()).unwrap_err();
/// assert_eq!(err.to_string(), "the event loop has shut down");
/// let _closure = err.into_inner();
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct SpawnError<F> {
    /// What could not be run.
    rejected: F,
    /// True: the loop shut down; false: no loop runs on this thread.
    shut_down: bool,
}

impl<F> SpawnError<F> {
    /// The loop has shut down.
    pub(crate) fn new(rejected: F) -> SpawnError<F> {
        SpawnError {
            rejected,
            shut_down: true,
        }
    }

    /// No loop runs on this thread.
    pub(crate) fn no_loop(rejected: F) -> SpawnError<F> {
        SpawnError {
            rejected,
            shut_down: false,
        }
    }

    /// True if the loop has shut down; false if no loop was running on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!strands::try_spawn(async {}).unwrap_err().is_shut_down());
    /// ```
    pub fn is_shut_down(&self) -> bool {
        self.shut_down
    }

    /// The future or closure that was not run.
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = strands::EventLoop::new()?.handle();
    /// let fut = handle.spawn(async { 1 }).err().unwrap().into_inner();
    /// # drop(fut);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_inner(self) -> F {
        self.rejected
    }
}

impl<F> fmt::Debug for SpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpawnError")
            .field("shut_down", &self.shut_down)
            .finish_non_exhaustive()
    }
}

impl<F> fmt::Display for SpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.shut_down {
            f.write_str("the event loop has shut down")
        } else {
            f.write_str("no event loop is running on this thread")
        }
    }
}

impl<F> std::error::Error for SpawnError<F> {}

impl Handle {
    /// Wraps a loop's injector.
    pub(crate) fn new(injector: Arc<Injector>) -> Handle {
        Handle { injector }
    }

    /// The handle of the loop running on this thread.
    ///
    /// # Panics
    ///
    /// If no loop runs on this thread; see [`Handle::try_current`].
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let _h = strands::Handle::current();
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Some(h) => h,
            None => panic!(
                "strands::Handle::current() called outside of an event loop; \
                 keep a Handle from EventLoop::handle() to reach a loop from another thread"
            ),
        }
    }

    /// The handle of the loop running on this thread, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(strands::Handle::try_current().is_none());
    /// ```
    pub fn try_current() -> Option<Handle> {
        with_current(|core| core.map(|c| Handle::new(c.injector.clone())))
    }

    /// Runs `f` on the loop's thread at its next turn (asyncio's `call_soon_threadsafe`). A
    /// panic in `f` is caught and reported through the loop's panic hook.
    ///
    /// If the loop shuts down after accepting `f` but before its next turn, `f` is dropped
    /// without running.
    ///
    /// # Errors
    ///
    /// [`SpawnError`] (holding `f`) if the loop has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    ///
    /// let mut lp = strands::EventLoop::new()?;
    /// let ran = Arc::new(AtomicBool::new(false));
    /// let flag = ran.clone();
    /// let handle = lp.handle();
    /// std::thread::spawn(move || handle.call_soon_threadsafe(move || flag.store(true, Ordering::SeqCst)))
    ///     .join()
    ///     .unwrap()
    ///     .unwrap();
    /// lp.block_on(strands::yield_now()).unwrap();
    /// assert!(ran.load(Ordering::SeqCst));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn call_soon_threadsafe<F>(&self, f: F) -> Result<(), SpawnError<F>>
    where
        F: FnOnce() + Send + 'static,
    {
        self.injector
            .push_if_open(f, |f| {
                Remote::Run(Box::new(move || {
                    if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
                        report_callback_panic(Panic::new(payload));
                    }
                }))
            })
            .map_err(SpawnError::new)
    }

    /// Spawns a `Send` future onto the loop from any thread and returns a [`RemoteTask`]: a
    /// thread can block on it, a task can await it.
    ///
    /// # Errors
    ///
    /// [`SpawnError`] (holding the future) if the loop has shut down. If it shuts down later,
    /// the task is cancelled and the `RemoteTask` reports [`TaskError::Cancelled`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lp = strands::EventLoop::new()?;
    /// let handle = lp.handle();
    /// let remote = std::thread::spawn(move || handle.spawn(async { "from a thread" }).ok().unwrap())
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(lp.block_on(remote).unwrap().unwrap(), "from a thread");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn spawn<F>(&self, future: F) -> Result<RemoteTask<F::Output>, SpawnError<F>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let shared = Arc::new(RemoteShared {
            result: Promise::new(),
            cancel: AtomicBool::new(false),
            waker: Mutex::new(None),
        });
        let for_loop = shared.clone();
        self.injector
            .push_if_open(future, move |future| {
                let wrapped = RemoteFuture {
                    future: Some(future),
                    shared: for_loop,
                };
                Remote::Run(Box::new(move || {
                    // Detached: the result travels through `shared`. (Without a loop the
                    // future is dropped, which reports a cancellation.)
                    drop(crate::task::try_spawn(wrapped));
                }))
            })
            .map(|()| RemoteTask { shared })
            .map_err(SpawnError::new)
    }

    /// asyncio's name for [`Handle::spawn`]: submit a coroutine to the loop from another
    /// thread and get a future that threads and tasks can wait on.
    ///
    /// # Errors
    ///
    /// As for [`Handle::spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lp = strands::EventLoop::new()?;
    /// let fut = lp.handle().run_coroutine_threadsafe(async { 1 }).ok().unwrap();
    /// assert_eq!(lp.block_on(fut).unwrap().unwrap(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn run_coroutine_threadsafe<F>(
        &self,
        future: F,
    ) -> Result<RemoteTask<F::Output>, SpawnError<F>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn(future)
    }

    /// True once the loop has shut down and refuses work.
    ///
    /// # Examples
    ///
    /// ```
    /// let lp = strands::EventLoop::new()?;
    /// let h = lp.handle();
    /// assert!(!h.is_closed());
    /// drop(lp);
    /// assert!(h.is_closed());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.injector.is_closed()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Reports a panic of a `call_soon_threadsafe` callback.
fn report_callback_panic(panic: Panic) {
    let report = UnhandledPanic {
        task: None,
        name: None,
        spawned_at: None,
        panic: &panic,
        context: "panicked in a call_soon_threadsafe callback",
    };
    with_current(|core| match core {
        Some(core) => core.report_unhandled(&report),
        None => crate::event_loop::default_panic_hook(&report),
    });
}

/// What a [`RemoteTask`] shares with the task running on the loop.
struct RemoteShared<T> {
    /// The outcome.
    result: Promise<Result<T, TaskError>>,
    /// Set by [`RemoteTask::cancel`].
    cancel: AtomicBool,
    /// The loop task's waker, to deliver a cancellation.
    waker: Mutex<Option<Waker>>,
}

/// The result of a task spawned through a [`Handle`]: `Send`, awaitable by a task, and
/// waitable by a thread ([`RemoteTask::wait_blocking`], [`RemoteTask::wait_timeout`]).
/// Dropping it leaves the task running.
///
/// # Examples
///
/// ```
/// let mut lp = strands::EventLoop::new()?;
/// let remote = lp.handle().spawn(async { 7 }).ok().unwrap();
/// let waiter = std::thread::spawn(move || remote.wait_blocking());
/// lp.block_on(strands::sleep(std::time::Duration::from_millis(5))).unwrap();
/// assert_eq!(waiter.join().unwrap().unwrap(), 7);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct RemoteTask<T> {
    /// Shared with the loop task.
    shared: Arc<RemoteShared<T>>,
}

impl<T> RemoteTask<T> {
    /// Asks the loop to cancel the task; it takes effect at the task's next poll. Returns
    /// false if the task had already finished.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lp = strands::EventLoop::new()?;
    /// let remote = lp.handle().spawn(std::future::pending::<()>()).ok().unwrap();
    /// assert!(remote.cancel());
    /// assert!(lp.block_on(remote).unwrap().unwrap_err().is_cancelled());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn cancel(&self) -> bool {
        if self.shared.result.is_done() {
            return false;
        }
        self.shared.cancel.store(true, Ordering::Release);
        let waker = self.shared.waker.lock().take();
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    /// True once the task has finished (with a value, a panic, or cancelled).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lp = strands::EventLoop::new()?;
    /// let remote = lp.handle().spawn(async {}).ok().unwrap();
    /// assert!(!remote.is_finished());
    /// lp.block_on(strands::sleep(std::time::Duration::from_millis(1))).unwrap();
    /// assert!(remote.is_finished());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.shared.result.is_done()
    }

    /// Blocks this thread until the task finishes.
    ///
    /// # Errors
    ///
    /// [`TaskError`] if the task panicked or was cancelled (also when its loop shut down).
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop: blocking there would stop every task
    /// of that loop (and deadlock if the task runs on it). Await the `RemoteTask` instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lp = strands::EventLoop::new()?;
    /// let remote = lp.handle().spawn(async { 1 }).ok().unwrap();
    /// let t = std::thread::spawn(move || remote.wait_blocking());
    /// lp.block_on(strands::sleep(std::time::Duration::from_millis(5))).unwrap();
    /// assert_eq!(t.join().unwrap().unwrap(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn wait_blocking(self) -> Result<T, TaskError> {
        assert_not_loop_thread("RemoteTask::wait_blocking");
        match self.shared.result.wait_take(None) {
            Ok(Some(out)) => out,
            _ => Err(TaskError::Cancelled),
        }
    }

    /// Blocks this thread until the task finishes or `timeout` passes; on timeout the
    /// `RemoteTask` is handed back. `Duration::MAX` waits without limit.
    ///
    /// # Errors
    ///
    /// `Err(self)` on timeout.
    ///
    /// # Panics
    ///
    /// As for [`RemoteTask::wait_blocking`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let lp = strands::EventLoop::new()?; // never run: the task cannot finish
    /// let remote = lp.handle().spawn(async { 1 }).ok().unwrap();
    /// let remote = std::thread::spawn(move || remote.wait_timeout(Duration::from_millis(10)))
    ///     .join()
    ///     .unwrap()
    ///     .unwrap_err();
    /// assert!(!remote.is_finished());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn wait_timeout(self, timeout: Duration) -> Result<Result<T, TaskError>, RemoteTask<T>> {
        assert_not_loop_thread("RemoteTask::wait_timeout");
        match self.shared.result.wait_take(Some(timeout)) {
            Ok(Some(out)) => Ok(out),
            Ok(None) => Ok(Err(TaskError::Cancelled)),
            Err(()) => Err(self),
        }
    }
}

/// Panics with a message naming the fix if called on a loop's thread.
#[track_caller]
pub(crate) fn assert_not_loop_thread(what: &str) {
    if is_loop_thread() {
        panic!(
            "{what} called on a thread that runs an event loop: it would block every task of \
             the loop. Use `.await` instead, or move the blocking call to strands::to_thread"
        );
    }
}

impl<T> Future for RemoteTask<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.shared
            .result
            .poll_take(cx)
            .map(|out| out.unwrap_or(Err(TaskError::Cancelled)))
    }
}

impl<T> fmt::Debug for RemoteTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteTask")
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// The task that runs a remotely spawned future on the loop and reports to its
/// [`RemoteTask`].
struct RemoteFuture<F: Future> {
    /// The future; `None` once finished or cancelled.
    future: Option<F>,
    /// Shared with the `RemoteTask`.
    shared: Arc<RemoteShared<F::Output>>,
}

impl<F: Future> Future for RemoteFuture<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `future` is structurally pinned: it is never moved out, only dropped in
        // place through `Pin::set`; `shared` is never pinned (`Arc` is `Unpin` anyway).
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above; `this` is not moved.
        let mut future = unsafe { Pin::new_unchecked(&mut this.future) };
        {
            let mut slot = this.shared.waker.lock();
            if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *slot = Some(cx.waker().clone());
            }
        }
        if this.shared.cancel.load(Ordering::Acquire) {
            future.set(None);
            this.shared.result.complete(Err(TaskError::Cancelled));
            return Poll::Ready(());
        }
        let Some(inner) = future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        let outcome = match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(v)) => Ok(v),
            Err(payload) => Err(TaskError::Panicked(Panic::new(payload))),
        };
        future.set(None);
        this.shared.result.complete(outcome);
        Poll::Ready(())
    }
}

impl<F: Future> Drop for RemoteFuture<F> {
    fn drop(&mut self) {
        // Cancelled by the loop (or never started): tell the waiting side.
        self.shared.result.complete(Err(TaskError::Cancelled));
    }
}

// Compile-time checks: handles cross threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Handle>();
    send_sync::<RemoteTask<u8>>();
};
