//! Spawning tasks on the current loop.

use std::future::Future;
use std::panic::Location;

use crate::event_loop::{with_current, SpawnError};
use crate::task::join::{Task, TaskHandle};
use crate::task::raw::Meta;

/// Options for a task: its name (shown in panic reports and diagnostics).
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let t = strands::task::Builder::new().name("ticker").spawn(async { 1 });
///     assert_eq!(t.name(), Some("ticker"));
///     assert_eq!(t.await.unwrap(), 1);
/// })
/// .unwrap();
/// ```
#[derive(Debug, Default)]
pub struct Builder {
    /// See [`Builder::name`].
    name: Option<Box<str>>,
}

impl Builder {
    /// Default options: no name.
    ///
    /// # Examples
    ///
    /// ```
    /// let _b = strands::task::Builder::new();
    /// ```
    pub fn new() -> Builder {
        Builder { name: None }
    }

    /// Names the task.
    ///
    /// # Examples
    ///
    /// ```
    /// let _b = strands::task::Builder::new().name("worker-1");
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into().into_boxed_str());
        self
    }

    /// Spawns the task on the loop running on this thread.
    ///
    /// # Panics
    ///
    /// If no loop runs on this thread; see [`Builder::try_spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let t = strands::task::Builder::new().name("x").spawn(async { 2 });
    ///     assert_eq!(t.await.unwrap(), 2);
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        match self.try_spawn(future) {
            Ok(task) => task,
            Err(_) => no_loop(),
        }
    }

    /// Spawns the task on the loop running on this thread, or hands the future back if no
    /// loop runs here.
    ///
    /// # Errors
    ///
    /// [`SpawnError`] holding `future` when no loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = strands::task::Builder::new().try_spawn(async {}).unwrap_err();
    /// let _future = err.into_inner();
    /// ```
    #[track_caller]
    pub fn try_spawn<F>(self, future: F) -> Result<Task<F::Output>, SpawnError<F>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let location = Location::caller();
        let meta = self.name.map(|name| {
            Box::new(Meta {
                name: Some(name),
                location,
            })
        });
        with_current(move |core| match core {
            // SAFETY: `F` and its output are `'static`.
            Some(core) => Ok(Task::from_raw(unsafe { core.spawn_raw(future, meta) })),
            None => Err(SpawnError::no_loop(future)),
        })
    }
}

/// Spawns a task on the loop running on this thread (asyncio's `create_task`). The task
/// starts at the loop's next turn; the future need not be `Send`.
///
/// # Panics
///
/// If no loop runs on this thread; use [`try_spawn`], or [`Handle::spawn`](crate::Handle::spawn)
/// from another thread.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
///
/// strands::run(async {
///     let shared = Rc::new(5); // not Send: fine on the loop
///     let s = shared.clone();
///     let t = strands::spawn(async move { *s * 2 });
///     assert_eq!(t.await.unwrap(), 10);
/// })
/// .unwrap();
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match with_current(|core| {
        // SAFETY: `F` and its output are `'static`.
        core.map(|core| unsafe { core.spawn_raw(future, None) })
    }) {
        Some(raw) => Task::from_raw(raw),
        None => no_loop(),
    }
}

/// Like [`spawn`], but hands the future back instead of panicking when no loop runs on this
/// thread.
///
/// # Errors
///
/// [`SpawnError`] holding `future` when no loop runs on this thread.
///
/// # Examples
///
/// ```
/// assert!(strands::try_spawn(async {}).is_err());
/// strands::run(async { assert!(strands::try_spawn(async {}).is_ok()) }).unwrap();
/// ```
pub fn try_spawn<F>(future: F) -> Result<Task<F::Output>, SpawnError<F>>
where
    F: Future + 'static,
    F::Output: 'static,
{
    with_current(move |core| match core {
        // SAFETY: `F` and its output are `'static`.
        Some(core) => Ok(Task::from_raw(unsafe { core.spawn_raw(future, None) })),
        None => Err(SpawnError::no_loop(future)),
    })
}

/// The task being polled on this thread's loop (asyncio's `current_task()`), or `None`
/// outside a task.
///
/// # Examples
///
/// ```
/// assert!(strands::current_task().is_none());
/// strands::run(async {
///     let me = strands::current_task().unwrap();
///     assert_eq!(me.name(), Some("main"));
/// })
/// .unwrap();
/// ```
pub fn current_task() -> Option<TaskHandle> {
    with_current(|core| {
        core.and_then(|c| c.current_task())
            .map(TaskHandle::from_raw)
    })
}

/// The panic of `spawn` without a loop.
#[track_caller]
#[cold]
fn no_loop() -> ! {
    panic!(
        "strands::spawn called outside of an event loop: run it inside strands::run or \
         EventLoop::block_on, or use Handle::spawn from another thread"
    )
}
