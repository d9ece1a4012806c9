//! `Task<T>`, the handle to a spawned task's result, and `TaskHandle`, its untyped twin.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::event_loop::{self, with_current};
use crate::task::error::TaskError;
use crate::task::raw::{TaskId, TaskRef};

/// Marks a type as carrying a `T` and being `!Send + !Sync`.
type NotSendOutput<T> = (fn() -> T, *const ());

/// A spawned task (asyncio's `Task`): await it for `Result<T, TaskError>`.
///
/// Dropping a `Task` **detaches** it: the task keeps running and its output is dropped when
/// it finishes. A detached task that panics is reported through the loop's panic hook (see
/// [`Builder::on_task_panic`](crate::event_loop::Builder::on_task_panic)), as is a panic
/// held by a `Task` dropped without being awaited. To stop a task, call [`Task::cancel`].
///
/// `Task` is `!Send`: it belongs to the loop's thread, like the task.
///
/// ```compile_fail
/// fn needs_send<T: Send>(_: T) {}
/// strands::run(async { needs_send(strands::spawn(async {})) }).unwrap();
/// ```
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let task = strands::spawn(async { "done" });
///     assert!(!task.is_finished());
///     assert_eq!(task.await.unwrap(), "done");
/// })
/// .unwrap();
/// ```
pub struct Task<T> {
    /// The task; this handle owns one reference.
    raw: TaskRef,
    /// The output type; `*const ()` makes the handle `!Send` and `!Sync`.
    _marker: PhantomData<NotSendOutput<T>>,
}

impl<T> Task<T> {
    /// Wraps the handle reference returned by `Core::spawn_raw`.
    pub(crate) fn from_raw(raw: TaskRef) -> Task<T> {
        Task {
            raw,
            _marker: PhantomData,
        }
    }

    /// Requests cancellation (asyncio's `Task.cancel()`): the loop drops the task's future
    /// before polling it again, and awaiting the task gives [`TaskError::Cancelled`]. Returns
    /// false if the task had already finished (then nothing changes).
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let task = strands::spawn(std::future::pending::<()>());
    ///     assert!(task.cancel());
    ///     assert!(task.await.unwrap_err().is_cancelled());
    /// })
    /// .unwrap();
    /// ```
    pub fn cancel(&self) -> bool {
        cancel(&self.raw)
    }

    /// True once the task has finished (with a value, a panic, or cancelled).
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let task = strands::spawn(async {});
    ///     strands::yield_now().await;
    ///     assert!(task.is_finished());
    /// })
    /// .unwrap();
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.get().is_complete()
    }

    /// The task's identifier.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let a = strands::spawn(async {});
    ///     let b = strands::spawn(async {});
    ///     assert_ne!(a.id(), b.id());
    /// })
    /// .unwrap();
    /// ```
    pub fn id(&self) -> TaskId {
        self.raw.header().id.get()
    }

    /// The name given at spawn, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let t = strands::task::Builder::new().name("fetch").spawn(async {});
    ///     assert_eq!(t.name(), Some("fetch"));
    /// })
    /// .unwrap();
    /// ```
    pub fn name(&self) -> Option<&str> {
        name_of(&self.raw)
    }

    /// An untyped handle to the same task, for cancelling or inspecting it elsewhere.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let task = strands::spawn(std::future::pending::<()>());
    ///     let handle = task.handle();
    ///     handle.cancel();
    ///     assert!(task.await.is_err());
    /// })
    /// .unwrap();
    /// ```
    pub fn handle(&self) -> TaskHandle {
        TaskHandle {
            raw: self.raw.clone(),
            _not_send: PhantomData,
        }
    }

    /// Polls for completion without taking the output (used by the combinators).
    pub(crate) fn poll_finished(&self, cx: &mut Context<'_>) -> Poll<()> {
        let header = self.raw.header();
        if header.state.get().is_complete() {
            return Poll::Ready(());
        }
        let waker = header.join_waker.take();
        let waker = match waker {
            Some(w) if w.will_wake(cx.waker()) => w,
            _ => cx.waker().clone(),
        };
        header.join_waker.set(Some(waker));
        Poll::Pending
    }

    /// Drops the registered join waker (a combinator that stops watching the task).
    pub(crate) fn forget_join_waker(&self) {
        drop(self.raw.header().join_waker.take());
    }

    /// True if the task finished by panicking.
    pub(crate) fn is_panicked(&self) -> bool {
        self.raw.header().state.get().is_panicked()
    }

    /// Takes the output of a finished task (`None` if already taken or not finished).
    pub(crate) fn take_output(&mut self) -> Option<Result<T, TaskError>> {
        if !self.is_finished() {
            return None;
        }
        // SAFETY: `T` is the output type of the task's future (`Task<T>` is only made by
        // `from_raw` on the handle of a task spawned from a future with output `T`).
        unsafe { self.raw.read_output::<T>() }
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, TaskError>;

    /// # Panics
    ///
    /// If polled again after it returned `Ready`.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.poll_finished(cx).is_pending() {
            return Poll::Pending;
        }
        match self.take_output() {
            Some(out) => Poll::Ready(out),
            None => panic!("a strands::Task was polled after it returned Ready"),
        }
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        let header = self.raw.header();
        let state = header.state.get();
        header.state.set(state.without_join_interest());
        drop(header.join_waker.take());
        if state.is_complete() {
            if let Some(panic) = self.raw.discard_output() {
                with_current(|core| match core {
                    Some(core) => core.report(
                        header,
                        &panic,
                        "panicked, and its Task was dropped unawaited",
                    ),
                    None => event_loop::default_panic_hook(&crate::task::UnhandledPanic {
                        task: Some(header.id.get()),
                        name: name_of(&self.raw),
                        spawned_at: header.meta.as_ref().map(|m| m.location),
                        panic: &panic,
                        context: "panicked, and its Task was dropped unawaited",
                    }),
                });
            }
        }
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// An untyped, clonable handle to a task: cancel it, ask whether it finished, read its
/// name. It does not give access to the output and does not keep the task from being
/// detached. `!Send`, like [`Task`].
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let t = strands::spawn(async {
///         let me = strands::current_task().unwrap();
///         me.id()
///     });
///     let id = t.id();
///     assert_eq!(t.await.unwrap(), id);
/// })
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct TaskHandle {
    /// The task; this handle owns one reference.
    raw: TaskRef,
    /// Loop thread only.
    _not_send: PhantomData<*const ()>,
}

impl TaskHandle {
    /// Wraps a reference.
    pub(crate) fn from_raw(raw: TaskRef) -> TaskHandle {
        TaskHandle {
            raw,
            _not_send: PhantomData,
        }
    }

    /// Requests cancellation; see [`Task::cancel`].
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let t = strands::spawn(std::future::pending::<()>());
    ///     assert!(t.handle().cancel());
    ///     assert!(t.await.unwrap_err().is_cancelled());
    /// })
    /// .unwrap();
    /// ```
    pub fn cancel(&self) -> bool {
        cancel(&self.raw)
    }

    /// True once the task has finished.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let t = strands::spawn(async {});
    ///     let h = t.handle();
    ///     t.await.unwrap();
    ///     assert!(h.is_finished());
    /// })
    /// .unwrap();
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.get().is_complete()
    }

    /// The task's identifier.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let t = strands::spawn(async {});
    ///     assert_eq!(t.handle().id(), t.id());
    /// })
    /// .unwrap();
    /// ```
    pub fn id(&self) -> TaskId {
        self.raw.header().id.get()
    }

    /// The task's name, if it was given one.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let t = strands::task::Builder::new().name("w").spawn(async {});
    ///     assert_eq!(t.handle().name(), Some("w"));
    /// })
    /// .unwrap();
    /// ```
    pub fn name(&self) -> Option<&str> {
        name_of(&self.raw)
    }
}

impl fmt::Debug for TaskHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Marks a task cancelled and wakes it, unless it already finished.
fn cancel(raw: &TaskRef) -> bool {
    let header = raw.header();
    let state = header.state.get();
    if state.is_complete() {
        return false;
    }
    if !state.is_cancelled() {
        header.state.set(state.with_cancel());
        raw.waker_ref().wake_by_ref();
    }
    true
}

/// The name of a task.
fn name_of(raw: &TaskRef) -> Option<&str> {
    raw.header().meta.as_ref().and_then(|m| m.name.as_deref())
}
