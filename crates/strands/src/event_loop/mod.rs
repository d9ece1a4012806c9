//! The event loop: one thread, its tasks, its timers, and the door for other threads.
//!
//! - [`EventLoop`] owns a loop; [`EventLoop::block_on`] runs it until a future completes
//!   (asyncio's `run_until_complete`), and [`run`](crate::run) is the one-call form
//!   (`asyncio.run`).
//! - [`Handle`] is the `Send + Sync` way into a loop from other threads.
//!
//! Machinery: `core` (run queue, task list, the turn), `injector` (cross-thread messages and
//! the wake-up protocol), `reactor` (the sleep), `context` (the thread's running loop).

mod blocking;
mod builder;
mod context;
pub(crate) mod core;
mod handle;
pub(crate) mod injector;
pub(crate) mod reactor;

use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::ptr::NonNull;

pub use blocking::{to_thread, ToThread, MAX_THREADS as TO_THREAD_MAX_THREADS};
pub use builder::Builder;
pub(crate) use context::{is_loop_thread, with_current};
pub use handle::{Handle, RemoteTask, SpawnError};
pub(crate) use injector::Injector;

use crate::event_loop::core::Core;
use crate::event_loop::injector::Remote;
use crate::task::error::{Panic, TaskError};
use crate::task::raw::{Header, Meta, TaskRef};
use crate::task::{Task, UnhandledPanic};

/// Called with every panic that no handle will see.
pub(crate) type PanicHook = Box<dyn Fn(&UnhandledPanic<'_>)>;

/// An event loop: runs tasks on the thread that calls [`EventLoop::block_on`].
///
/// The loop is single-threaded like asyncio's: its tasks need not be `Send`, and the
/// `EventLoop` itself stays on the thread that made it. Other threads reach it through a
/// [`Handle`]. Dropping the loop cancels the tasks still pending (their destructors run on
/// this thread) and refuses further work from handles.
///
/// # Examples
///
/// ```
/// use strands::EventLoop;
///
/// let mut lp = EventLoop::new()?;
/// let task = lp.spawn(async { 1 });
/// let two = lp.block_on(async move { task.await.unwrap() + 1 }).unwrap();
/// assert_eq!(two, 2);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct EventLoop {
    /// The machinery; boxed so the thread-local pointer to it stays valid.
    core: Box<Core>,
    /// The loop belongs to its thread.
    _not_send: PhantomData<*const ()>,
}

/// Why [`run`](crate::run) or [`EventLoop::block_on`] returned no value.
///
/// # Examples
///
/// ```
/// let nested = strands::run(async { strands::run(async {}) }).unwrap();
/// assert!(matches!(nested, Err(strands::RunError::AlreadyRunning)));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum RunError {
    /// A loop is already running on this thread; run the future as a task instead
    /// (`spawn(fut).await`).
    AlreadyRunning,
    /// The main future was cancelled (through `current_task().cancel()`).
    Cancelled,
    /// The operating system refused to create or poll the loop's reactor.
    Io(io::Error),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::AlreadyRunning => f.write_str(
                "an event loop is already running on this thread (spawn the future instead)",
            ),
            RunError::Cancelled => f.write_str("the main future was cancelled"),
            RunError::Io(e) => write!(f, "event loop reactor failed: {e}"),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RunError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl EventLoop {
    /// A loop with the default options; see [`EventLoop::builder`].
    ///
    /// # Errors
    ///
    /// Fails if the OS refuses an epoll instance or an eventfd (descriptor limit reached).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lp = strands::EventLoop::new()?;
    /// assert_eq!(lp.block_on(async { 5 }).unwrap(), 5);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<EventLoop> {
        Builder::new().build()
    }

    /// Options for a new loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let lp = strands::EventLoop::builder().budget(32).build()?;
    /// # drop(lp);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Runs the loop until `future` completes and returns its output (asyncio's
    /// `run_until_complete`). Tasks still pending afterwards stay in the loop and continue at
    /// the next `block_on`. The future may borrow from the caller.
    ///
    /// # Errors
    ///
    /// [`RunError::AlreadyRunning`] if a loop is running on this thread,
    /// [`RunError::Cancelled`] if the future's task was cancelled, [`RunError::Io`] if the
    /// reactor fails.
    ///
    /// # Panics
    ///
    /// A panic of `future` itself is propagated to the caller (after the future is dropped),
    /// as a panic in `main` would be. Panics in spawned tasks are not: they are reported
    /// through their [`Task`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lp = strands::EventLoop::new()?;
    /// let data = vec![1, 2, 3];
    /// let sum: i32 = lp.block_on(async { data.iter().sum() }).unwrap();
    /// assert_eq!(sum, 6);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&mut self, future: F) -> Result<F::Output, RunError> {
        let Some(_entered) = context::enter(&self.core) else {
            return Err(RunError::AlreadyRunning);
        };
        let meta = Box::new(Meta {
            name: Some("main".into()),
            location: std::panic::Location::caller(),
        });
        // SAFETY: `MainGuard` drops the future (and we take or drop the output) before this
        // function returns, so nothing it borrows is used after its lifetime.
        let main = unsafe { self.core.spawn_raw(future, Some(meta)) };
        self.core.main.set(Some(main.as_ptr()));
        let guard = MainGuard {
            core: &self.core,
            main,
        };
        while !guard.main.header().state.get().is_complete() {
            self.core.turn().map_err(RunError::Io)?;
        }
        // SAFETY: the type is the future's output type.
        let out = unsafe { guard.main.read_output::<F::Output>() };
        drop(guard);
        match out {
            Some(Ok(v)) => Ok(v),
            Some(Err(TaskError::Panicked(p))) => std::panic::resume_unwind(p.into_payload()),
            Some(Err(TaskError::Cancelled)) | None => Err(RunError::Cancelled),
        }
    }

    /// Spawns a task onto this loop; it starts at the next [`EventLoop::block_on`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lp = strands::EventLoop::new()?;
    /// let t = lp.spawn(async { "hi" });
    /// assert_eq!(lp.block_on(t).unwrap().unwrap(), "hi");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // SAFETY: `F` and its output are `'static`.
        Task::from_raw(unsafe { self.core.spawn_raw(future, None) })
    }

    /// A handle other threads can use to reach this loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lp = strands::EventLoop::new()?;
    /// let handle = lp.handle();
    /// let remote = std::thread::spawn(move || handle.spawn(async { 3 }).ok().unwrap())
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(lp.block_on(remote).unwrap().unwrap(), 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn handle(&self) -> Handle {
        Handle::new(self.core.injector.clone())
    }

    /// Number of tasks that have not completed.
    ///
    /// # Examples
    ///
    /// ```
    /// let lp = strands::EventLoop::new()?;
    /// let _t = lp.spawn(async {});
    /// assert_eq!(lp.pending_tasks(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pending_tasks(&self) -> usize {
        self.core.live_tasks()
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("pending_tasks", &self.core.live_tasks())
            .finish_non_exhaustive()
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        // Destructors of cancelled tasks may spawn: let them reach this loop, which cancels
        // the newcomers too.
        let _entered = context::enter(&self.core);
        self.core.shutdown();
    }
}

/// Drops the main future if `block_on` leaves before it completed (error or unwinding).
struct MainGuard<'a> {
    /// The loop.
    core: &'a Core,
    /// The main task.
    main: TaskRef,
}

impl Drop for MainGuard<'_> {
    fn drop(&mut self) {
        self.core.main.set(None);
        if !self.main.header().state.get().is_complete() {
            self.core.cancel_now(self.main.as_ptr());
        }
        drop(self.main.discard_output());
    }
}

/// Applies a wake-up that owns its reference (`Waker::wake`).
///
/// # Safety
///
/// Called from the waker vtable only.
pub(crate) unsafe fn schedule_owned(task: TaskRef) {
    let local = with_current(|core| match core {
        Some(core) if core.owns(task.header()) => {
            core.schedule(task.as_ptr());
            true
        }
        _ => false,
    });
    if !local {
        let injector = task.header().owner.clone();
        drop(injector.push(Remote::Wake(task)));
    }
}

/// Applies a wake-up through a borrowed reference (`Waker::wake_by_ref`).
///
/// # Safety
///
/// The caller holds a reference to `ptr` for the duration of the call.
pub(crate) unsafe fn schedule_borrowed(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the header alive.
    let header = unsafe { ptr.as_ref() };
    let local = with_current(|core| match core {
        Some(core) if core.owns(header) => {
            core.schedule(ptr);
            true
        }
        _ => false,
    });
    if !local {
        // SAFETY: borrowed from the caller; cloning takes a reference for the message.
        let borrowed = std::mem::ManuallyDrop::new(unsafe { TaskRef::from_raw(ptr) });
        drop(header.owner.push(Remote::Wake((*borrowed).clone())));
    }
}

/// Reports a panic raised by the destructor of a task's future.
pub(crate) fn report_panic_in_drop(ptr: NonNull<Header>, panic: Panic) {
    // SAFETY: called while the task is being polled or cancelled, so it is alive.
    let header = unsafe { ptr.as_ref() };
    with_current(|core| match core {
        Some(core) => core.report(header, &panic, "panicked while its future was dropped"),
        None => default_panic_hook(&UnhandledPanic {
            task: Some(header.id),
            name: header.meta.as_ref().and_then(|m| m.name.as_deref()),
            spawned_at: header.meta.as_ref().map(|m| m.location),
            panic: &panic,
            context: "panicked while its future was dropped",
        }),
    });
}

/// The default [`PanicHook`]: one line on standard error.
pub(crate) fn default_panic_hook(report: &UnhandledPanic<'_>) {
    eprintln!("strands: {report}");
}
