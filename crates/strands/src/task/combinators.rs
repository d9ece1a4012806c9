//! Waiting on several tasks: `wait`, `gather`, `gather_all`, `as_completed`, `shield`.
//!
//! Each child task gets its own small waker that records its index, so a combinator over
//! `n` tasks does O(1) work per completion instead of re-polling all `n`.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use futures_core::Stream;

use crate::loom::Mutex;
use crate::task::error::TaskError;
use crate::task::join::Task;

/// Indices of children that finished, and the waker of the combinator.
#[derive(Default)]
struct Wakeups {
    /// Children that woke since the combinator last looked, and its waker.
    inner: Mutex<(Vec<usize>, Option<Waker>)>,
}

/// The waker given to one child.
struct ChildWaker {
    /// The child's position.
    index: usize,
    /// Where to record the wake-up.
    wakeups: StdArc<Wakeups>,
}

impl Wake for ChildWaker {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        let parent = {
            let mut g = self.wakeups.inner.lock();
            g.0.push(self.index);
            g.1.clone()
        };
        if let Some(w) = parent {
            w.wake();
        }
    }
}

/// A set of child tasks watched for completion.
struct Children<T> {
    /// The tasks; `None` once handed out.
    tasks: Vec<Option<Task<T>>>,
    /// One waker per task.
    wakers: Vec<Waker>,
    /// Shared with the wakers.
    wakeups: StdArc<Wakeups>,
    /// False until the first poll (which looks at every child).
    started: bool,
    /// Children not yet finished.
    unfinished: usize,
    /// Children already reported as finished.
    reported: Vec<bool>,
}

impl<T> Children<T> {
    /// Watches `tasks`.
    fn new(tasks: impl IntoIterator<Item = Task<T>>) -> Children<T> {
        let tasks: Vec<_> = tasks.into_iter().map(Some).collect();
        let wakeups = StdArc::new(Wakeups::default());
        let wakers = (0..tasks.len())
            .map(|index| {
                Waker::from(StdArc::new(ChildWaker {
                    index,
                    wakeups: wakeups.clone(),
                }))
            })
            .collect();
        let unfinished = tasks.len();
        let tasks_len = tasks.len();
        Children {
            tasks,
            wakers,
            wakeups,
            started: false,
            unfinished,
            reported: vec![false; tasks_len],
        }
    }

    /// Calls `on_finished(index)` for each child that finished since the last call (each
    /// child once), and registers `cx` to learn of the next.
    fn poll_finished(
        &mut self,
        cx: &mut Context<'_>,
        mut on_finished: impl FnMut(&mut Self, usize),
    ) {
        let candidates: Vec<usize> = {
            let mut g = self.wakeups.inner.lock();
            if !g.1.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                g.1 = Some(cx.waker().clone());
            }
            if self.started {
                std::mem::take(&mut g.0)
            } else {
                g.0.clear();
                (0..self.tasks.len()).collect()
            }
        };
        self.started = true;
        for i in candidates {
            let Some(task) = &self.tasks[i] else { continue };
            let mut child_cx = Context::from_waker(&self.wakers[i]);
            let finished = task.is_finished() || task.poll_finished(&mut child_cx).is_ready();
            if finished && !self.reported[i] {
                self.reported[i] = true;
                self.unfinished -= 1;
                on_finished(self, i);
            }
        }
    }
}

/// When [`wait`] returns.
///
/// # Examples
///
/// ```
/// assert_ne!(strands::ReturnWhen::FirstCompleted, strands::ReturnWhen::AllCompleted);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnWhen {
    /// As soon as any task finishes.
    FirstCompleted,
    /// As soon as any task panics, or when all have finished. (In Rust, errors are values:
    /// a task returning `Err` has completed normally. A cancelled task does not count.)
    FirstException,
    /// When all tasks have finished.
    AllCompleted,
}

/// Waits for tasks (asyncio's `wait`) and returns `(done, pending)`, each in argument order.
/// Pending tasks are **not** cancelled. With a `timeout`, returns when it expires even if the
/// condition is not met. An empty list returns at once.
///
/// Dropping the returned future detaches the tasks (they keep running).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use strands::{sleep, spawn, wait, ReturnWhen};
///
/// strands::run(async {
///     let fast = spawn(async { sleep(Duration::from_millis(1)).await; 1 });
///     let slow = spawn(async { sleep(Duration::from_secs(60)).await; 2 });
///     let (done, pending) = wait(vec![fast, slow], ReturnWhen::FirstCompleted, None).await;
///     assert_eq!((done.len(), pending.len()), (1, 1));
///     for t in pending {
///         t.cancel();
///     }
///     assert_eq!(done.into_iter().next().unwrap().await.unwrap(), 1);
/// })
/// .unwrap();
/// ```
pub async fn wait<T>(
    tasks: impl IntoIterator<Item = Task<T>>,
    return_when: ReturnWhen,
    timeout: Option<Duration>,
) -> (Vec<Task<T>>, Vec<Task<T>>) {
    let mut children = Children::new(tasks);
    let mut sleep = timeout.map(crate::time::sleep);
    let total = children.tasks.len();
    if total > 0 {
        poll_fn(|cx| {
            let mut stop = false;
            children.poll_finished(cx, |c, i| {
                let t = c.tasks[i].as_ref();
                stop |= match return_when {
                    ReturnWhen::FirstCompleted => true,
                    ReturnWhen::FirstException => t.is_some_and(|t| t.is_panicked()),
                    ReturnWhen::AllCompleted => false,
                };
            });
            if stop || children.unfinished == 0 {
                return Poll::Ready(());
            }
            match sleep.as_mut() {
                Some(s) => Pin::new(s).poll(cx),
                None => Poll::Pending,
            }
        })
        .await;
    }
    let (done, pending): (Vec<_>, Vec<_>) = children
        .tasks
        .into_iter()
        .flatten()
        .partition(|t| t.is_finished());
    for t in &pending {
        t.forget_join_waker(); // our per-child waker must not outlive the wait
    }
    (done, pending)
}

/// Cancels the tasks it still holds when dropped.
struct CancelOnDrop<T>(Children<T>);

impl<T> Drop for CancelOnDrop<T> {
    fn drop(&mut self) {
        for t in self.0.tasks.iter().flatten() {
            t.cancel();
        }
    }
}

/// Waits for every task and returns their values in argument order (asyncio's `gather`). The
/// first task to panic or be cancelled ends the wait with its error; the other tasks keep
/// running (detached). Dropping the returned future cancels every task still running.
///
/// # Errors
///
/// The first [`TaskError`], in completion order.
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let tasks = (0..3).map(|i| strands::spawn(async move { i * 10 }));
///     assert_eq!(strands::gather(tasks).await.unwrap(), [0, 10, 20]);
/// })
/// .unwrap();
/// ```
pub async fn gather<T>(tasks: impl IntoIterator<Item = Task<T>>) -> Result<Vec<T>, TaskError> {
    let mut guard = CancelOnDrop(Children::new(tasks));
    let mut results: Vec<Option<T>> = (0..guard.0.tasks.len()).map(|_| None).collect();
    let outcome = poll_fn(|cx| {
        let mut failure = None;
        guard.0.poll_finished(cx, |c, i| {
            if failure.is_some() {
                return;
            }
            match c.tasks[i].as_mut().and_then(Task::take_output) {
                Some(Ok(v)) => results[i] = Some(v),
                Some(Err(e)) => failure = Some(e),
                None => failure = Some(TaskError::Cancelled),
            }
        });
        match failure {
            Some(e) => Poll::Ready(Err(e)),
            None if guard.0.unfinished == 0 => Poll::Ready(Ok(())),
            None => Poll::Pending,
        }
    })
    .await;
    if let Err(e) = outcome {
        // asyncio semantics: the others are not cancelled by a failure.
        for t in guard.0.tasks.iter_mut() {
            drop(t.take());
        }
        return Err(e);
    }
    Ok(results.into_iter().flatten().collect())
}

/// Waits for every task and returns every outcome in argument order, errors included
/// (asyncio's `gather(..., return_exceptions=True)`). Dropping the returned future cancels
/// every task still running.
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let ok = strands::spawn(async { 1 });
///     let bad = strands::spawn(async { panic!("no") });
///     let all = strands::gather_all([ok, bad]).await;
///     assert_eq!(*all[0].as_ref().unwrap(), 1);
///     assert!(all[1].as_ref().unwrap_err().is_panic());
/// })
/// .unwrap();
/// ```
pub async fn gather_all<T>(tasks: impl IntoIterator<Item = Task<T>>) -> Vec<Result<T, TaskError>> {
    let mut guard = CancelOnDrop(Children::new(tasks));
    let mut results: Vec<Option<Result<T, TaskError>>> =
        (0..guard.0.tasks.len()).map(|_| None).collect();
    poll_fn(|cx| {
        guard.0.poll_finished(cx, |c, i| {
            results[i] = Some(
                c.tasks[i]
                    .as_mut()
                    .and_then(Task::take_output)
                    .unwrap_or(Err(TaskError::Cancelled)),
            );
        });
        if guard.0.unfinished == 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    results
        .into_iter()
        .map(|r| r.unwrap_or(Err(TaskError::Cancelled)))
        .collect()
}

/// Yields task outcomes in the order the tasks finish (asyncio's `as_completed`). It is a
/// [`Stream`]; [`AsCompleted::next`] awaits the next outcome without a stream library.
/// Dropping it detaches the tasks not yet yielded.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// strands::run(async {
///     let slow = strands::spawn(async { strands::sleep(Duration::from_millis(20)).await; "slow" });
///     let fast = strands::spawn(async { "fast" });
///     let mut order = strands::as_completed([slow, fast]);
///     assert_eq!(order.next().await.unwrap().unwrap(), "fast");
///     assert_eq!(order.next().await.unwrap().unwrap(), "slow");
///     assert!(order.next().await.is_none());
/// })
/// .unwrap();
/// ```
pub fn as_completed<T>(tasks: impl IntoIterator<Item = Task<T>>) -> AsCompleted<T> {
    AsCompleted {
        children: Children::new(tasks),
        ready: std::collections::VecDeque::new(),
    }
}

/// The stream of [`as_completed`].
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let mut s: strands::AsCompleted<i32> = strands::as_completed([strands::spawn(async { 1 })]);
///     assert_eq!(s.next().await.unwrap().unwrap(), 1);
/// })
/// .unwrap();
/// ```
pub struct AsCompleted<T> {
    /// The tasks not yet yielded.
    children: Children<T>,
    /// Outcomes collected but not yet yielded.
    ready: std::collections::VecDeque<Result<T, TaskError>>,
}

impl<T> AsCompleted<T> {
    /// The next outcome, or `None` when every task has been yielded.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let mut s = strands::as_completed(Vec::<strands::Task<()>>::new());
    ///     assert!(s.next().await.is_none());
    /// })
    /// .unwrap();
    /// ```
    pub async fn next(&mut self) -> Option<Result<T, TaskError>> {
        poll_fn(|cx| self.poll_next_outcome(cx)).await
    }

    /// Polls for the next outcome.
    fn poll_next_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, TaskError>>> {
        if let Some(out) = self.ready.pop_front() {
            return Poll::Ready(Some(out));
        }
        if self.children.unfinished == 0 {
            return Poll::Ready(None);
        }
        let ready = &mut self.ready;
        self.children.poll_finished(cx, |c, i| {
            let out = c.tasks[i].take().and_then(|mut t| t.take_output());
            ready.push_back(out.unwrap_or(Err(TaskError::Cancelled)));
        });
        match self.ready.pop_front() {
            Some(out) => Poll::Ready(Some(out)),
            None if self.children.unfinished == 0 => Poll::Ready(None),
            None => Poll::Pending,
        }
    }
}

impl<T> Stream for AsCompleted<T> {
    type Item = Result<T, TaskError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // `AsCompleted` is `Unpin`: it holds no pinned data.
        self.get_mut().poll_next_outcome(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.ready.len() + self.children.unfinished;
        (n, Some(n))
    }
}

impl<T> Unpin for AsCompleted<T> {}

/// Runs `future` as its own task, protected from the cancellation of whoever awaits it
/// (asyncio's `shield`): if the awaiting task is cancelled (or its future dropped), the
/// shielded work carries on to completion, detached. Task groups do not cancel it either.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// strands::run(async {
///     let waiter = strands::spawn(async {
///         strands::shield(async {
///             strands::sleep(Duration::from_millis(5)).await;
///             "saved"
///         })
///         .await
///     });
///     strands::yield_now().await;
///     waiter.cancel(); // the shielded work still completes
///     assert!(waiter.await.unwrap_err().is_cancelled());
/// })
/// .unwrap();
/// ```
pub fn shield<F>(future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    crate::task::spawn(future)
}
