//! `TaskGroup`: structured concurrency (asyncio's `TaskGroup`, Trio's nursery).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::task::error::{Panic, TaskError};
use crate::task::join::{Task, TaskHandle};

/// A set of tasks that live and die together.
///
/// - [`TaskGroup::spawn`] starts a child. A child fails by returning `Err(e)` or panicking.
/// - The **first failure cancels every other child** (and any child spawned afterwards).
/// - [`TaskGroup::join`] waits for all children and returns their values in spawn order, or
///   a [`GroupError`] listing **every** failure.
/// - **No child outlives its group**: dropping the group, or the `join` future before it
///   finished, cancels the children still running.
///
/// # Examples
///
/// ```
/// use strands::TaskGroup;
///
/// strands::run(async {
///     let mut group: TaskGroup<u32, String> = TaskGroup::new();
///     for i in 1..=3 {
///         group.spawn(async move { Ok(i * i) });
///     }
///     assert_eq!(group.join().await.unwrap(), [1, 4, 9]);
///
///     let mut group: TaskGroup<(), String> = TaskGroup::new();
///     group.spawn(async { Err("disk full".to_string()) });
///     group.spawn(std::future::pending()); // cancelled by the failure
///     let err = group.join().await.unwrap_err();
///     assert_eq!(err.failures().len(), 1);
/// })
/// .unwrap();
/// ```
pub struct TaskGroup<T, E> {
    /// What the children share with the group.
    shared: Rc<Shared>,
    /// The children, in spawn order.
    tasks: Vec<Task<Result<T, GroupFailure<E>>>>,
}

/// State shared by a group and its children.
#[derive(Default)]
struct Shared {
    /// Set by the first failure.
    failed: Cell<bool>,
    /// Handles to every child, to cancel them.
    members: RefCell<Vec<TaskHandle>>,
}

impl Shared {
    /// Records a failure; the first one cancels every member.
    fn fail(&self) {
        if self.failed.replace(true) {
            return;
        }
        let members = self.members.borrow().clone();
        for m in members {
            m.cancel();
        }
    }
}

/// How one child of a [`TaskGroup`] failed.
///
/// # Examples
///
/// ```
/// let f: strands::GroupFailure<&str> = strands::GroupFailure::Error("x");
/// assert_eq!(f.to_string(), "x");
/// ```
pub enum GroupFailure<E> {
    /// The child returned `Err`.
    Error(E),
    /// The child panicked.
    Panicked(Panic),
    /// The child was cancelled from outside the group (its value is missing).
    Cancelled,
}

impl<E: fmt::Debug> fmt::Debug for GroupFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupFailure::Error(e) => f.debug_tuple("Error").field(e).finish(),
            GroupFailure::Panicked(p) => f.debug_tuple("Panicked").field(p).finish(),
            GroupFailure::Cancelled => f.write_str("Cancelled"),
        }
    }
}

impl<E: fmt::Display> fmt::Display for GroupFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupFailure::Error(e) => e.fmt(f),
            GroupFailure::Panicked(p) => write!(f, "task panicked: {p}"),
            GroupFailure::Cancelled => f.write_str("task was cancelled"),
        }
    }
}

/// Every failure of a [`TaskGroup`], in spawn order (asyncio's `ExceptionGroup`).
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let mut g: strands::TaskGroup<(), &str> = strands::TaskGroup::new();
///     g.spawn(async { Err("a") });
///     let err = g.join().await.unwrap_err();
///     assert_eq!(err.to_string(), "1 task of the group failed; first: a");
/// })
/// .unwrap();
/// ```
pub struct GroupError<E> {
    /// The failures; never empty.
    failures: Vec<GroupFailure<E>>,
}

impl<E> GroupError<E> {
    /// The failures, in spawn order.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let mut g: strands::TaskGroup<(), i32> = strands::TaskGroup::new();
    ///     g.spawn(async { Err(1) });
    ///     assert!(matches!(g.join().await.unwrap_err().failures()[0], strands::GroupFailure::Error(1)));
    /// })
    /// .unwrap();
    /// ```
    pub fn failures(&self) -> &[GroupFailure<E>] {
        &self.failures
    }

    /// Takes the failures.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let mut g: strands::TaskGroup<(), i32> = strands::TaskGroup::new();
    ///     g.spawn(async { Err(1) });
    ///     assert_eq!(g.join().await.unwrap_err().into_failures().len(), 1);
    /// })
    /// .unwrap();
    /// ```
    pub fn into_failures(self) -> Vec<GroupFailure<E>> {
        self.failures
    }
}

impl<E: fmt::Debug> fmt::Debug for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupError")
            .field("failures", &self.failures)
            .finish()
    }
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.failures.len();
        let s = if n == 1 { "" } else { "s" };
        write!(f, "{n} task{s} of the group failed")?;
        if let Some(first) = self.failures.first() {
            write!(f, "; first: {first}")?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for GroupError<E> {}

impl<T: 'static, E: 'static> TaskGroup<T, E> {
    /// An empty group.
    ///
    /// # Examples
    ///
    /// ```
    /// let g: strands::TaskGroup<(), std::io::Error> = strands::TaskGroup::new();
    /// # drop(g);
    /// ```
    pub fn new() -> TaskGroup<T, E> {
        TaskGroup {
            shared: Rc::new(Shared::default()),
            tasks: Vec::new(),
        }
    }

    /// Starts a child on the current loop. If the group already failed, the child is
    /// cancelled before it runs.
    ///
    /// # Panics
    ///
    /// If no loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let mut g: strands::TaskGroup<&str, ()> = strands::TaskGroup::new();
    ///     let h = g.spawn(async { Ok("hi") });
    ///     assert!(!h.is_finished());
    ///     assert_eq!(g.join().await.unwrap(), ["hi"]);
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> TaskHandle
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        let shared = self.shared.clone();
        let task = crate::task::spawn(async move {
            let outcome = match (CatchUnwind { future }).await {
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(e)) => GroupFailure::Error(e),
                Err(p) => GroupFailure::Panicked(p),
            };
            shared.fail();
            Err(outcome)
        });
        let handle = task.handle();
        if self.shared.failed.get() {
            task.cancel();
        }
        self.shared.members.borrow_mut().push(handle.clone());
        self.tasks.push(task);
        handle
    }

    /// Cancels every child (asyncio's way is to raise in the group's body; here, call this).
    /// Cancelled children are not failures.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let mut g: strands::TaskGroup<(), ()> = strands::TaskGroup::new();
    ///     g.spawn(std::future::pending());
    ///     g.cancel();
    ///     assert!(g.join().await.is_err()); // the missing value is reported
    /// })
    /// .unwrap();
    /// ```
    pub fn cancel(&self) {
        self.shared.failed.set(true);
        for t in &self.tasks {
            t.cancel();
        }
    }

    /// Number of children spawned.
    ///
    /// # Examples
    ///
    /// ```
    /// let g: strands::TaskGroup<(), ()> = strands::TaskGroup::new();
    /// assert_eq!(g.len(), 0);
    /// assert!(g.is_empty());
    /// ```
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True if no child was spawned.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(strands::TaskGroup::<(), ()>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Waits for every child. Returns the values in spawn order if all succeeded; otherwise
    /// every failure. Children cancelled by the group (after a failure, or by
    /// [`TaskGroup::cancel`]) are not failures; a child cancelled from outside is
    /// ([`GroupFailure::Cancelled`]), since its value is missing.
    ///
    /// # Errors
    ///
    /// [`GroupError`] with every failure.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes cancels every child still running.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let mut g: strands::TaskGroup<(), &str> = strands::TaskGroup::new();
    ///     g.spawn(async { panic!("p") });
    ///     g.spawn(async { Err("e") }); // cancelled before it runs: the panic came first
    ///     let err = g.join().await.unwrap_err();
    ///     assert_eq!(err.failures().len(), 1);
    ///     assert!(matches!(err.failures()[0], strands::GroupFailure::Panicked(_)));
    /// })
    /// .unwrap();
    /// ```
    pub async fn join(mut self) -> Result<Vec<T>, GroupError<E>> {
        let mut values = Vec::with_capacity(self.tasks.len());
        let mut failures = Vec::new();
        let group_cancelled = |s: &Shared| s.failed.get();
        for i in 0..self.tasks.len() {
            let task = &mut self.tasks[i];
            std::future::poll_fn(|cx| task.poll_finished(cx)).await;
            match task.take_output() {
                Some(Ok(Ok(v))) => values.push(v),
                Some(Ok(Err(f))) => failures.push(f),
                Some(Err(TaskError::Panicked(p))) => failures.push(GroupFailure::Panicked(p)),
                Some(Err(TaskError::Cancelled)) | None => {
                    if !group_cancelled(&self.shared) {
                        failures.push(GroupFailure::Cancelled);
                    }
                }
            }
        }
        if failures.is_empty() && values.len() == self.tasks.len() {
            Ok(values)
        } else if failures.is_empty() {
            // Cancelled through `TaskGroup::cancel` with no failure: an empty, successful
            // result is wrong (values are missing), so report the cancellations.
            let missing = self.tasks.len() - values.len();
            Err(GroupError {
                failures: (0..missing).map(|_| GroupFailure::Cancelled).collect(),
            })
        } else {
            Err(GroupError { failures })
        }
    }
}

impl<T: 'static, E: 'static> Default for TaskGroup<T, E> {
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl<T, E> Drop for TaskGroup<T, E> {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.cancel();
        }
    }
}

impl<T, E> fmt::Debug for TaskGroup<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("tasks", &self.tasks.len())
            .field("failed", &self.shared.failed.get())
            .finish()
    }
}

/// Polls a future, turning a panic into `Err(Panic)`.
struct CatchUnwind<F> {
    /// The future, structurally pinned.
    future: F,
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Panic>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned: never moved out of `self`.
        let future = unsafe { self.map_unchecked_mut(|s| &mut s.future) };
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(payload) => Poll::Ready(Err(Panic::new(payload))),
        }
    }
}
