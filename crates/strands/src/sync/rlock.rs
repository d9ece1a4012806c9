//! [`RLock`]: a lock its owner may take again. The owner is a thread or a task.
//!
//! # Owners
//!
//! - Blocking calls (`lock_blocking`, `lock_timeout`, `try_lock`) act for the calling
//!   **thread** (its `ThreadId`).
//! - `lock().await` acts for the current **task**: on the strands event loop, the running
//!   task (its [`TaskId`](crate::TaskId)); on another executor, the owner token installed by
//!   [`owned`] (which also takes precedence on the strands loop, to share ownership between
//!   several tasks on purpose). Elsewhere each `lock()` future is its own owner, so it never
//!   re-enters: still mutually exclusive, but a nested `lock().await` would wait for itself.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::cell::Cell;
use std::time::Duration;

use crate::loom::thread::{self, ThreadId};
use crate::loom::Mutex;
use crate::sync::engine::{self, Wait, WaitOp};
use crate::sync::error::NotOwnerError;
use crate::sync::waitlist::{WaitList, WakeBatch};
use core::marker::PhantomData;

/// Who holds an [`RLock`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    /// A thread, by id.
    Thread(ThreadId),
    /// A task wrapped in [`owned`], by owner token.
    Token(u64),
    /// A task of the strands event loop, by task id.
    LoopTask(u64),
}

std::thread_local! {
    /// The owner token of the task being polled on this thread, if any.
    static CURRENT_TASK: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Source of task owner tokens.
static NEXT_TOKEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A fresh owner token.
fn fresh_token() -> u64 {
    NEXT_TOKEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Runs `fut` as one owner for [`RLock`]: every `lock().await` inside it re-enters locks it
/// already holds.
///
/// # Examples
///
/// ```
/// let lock = strands::sync::RLock::new();
/// strands::run(strands::sync::owned(async {
///     let _a = lock.lock().await;
///     let _b = lock.lock().await; // re-entered: same task
/// })).unwrap();
/// ```
pub fn owned<F: Future>(fut: F) -> Owned<F> {
    Owned {
        token: fresh_token(),
        fut,
    }
}

/// The future of [`owned`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Owned<F> {
    /// This task's owner token.
    token: u64,
    /// The wrapped future.
    fut: F,
}

impl<F: Future> Future for Owned<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `fut` is structurally pinned; `token` is Copy and never pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let fut = unsafe { Pin::new_unchecked(&mut this.fut) };
        let prev = CURRENT_TASK.with(|c| c.replace(Some(this.token)));
        /// Restores the previous token even if `poll` panics.
        struct Restore(Option<u64>);
        impl Drop for Restore {
            fn drop(&mut self) {
                CURRENT_TASK.with(|c| c.set(self.0));
            }
        }
        let _restore = Restore(prev);
        fut.poll(cx)
    }
}

/// The owner for `lock().await`: `owned` scope, else the loop's running task, else a fresh
/// token (see the module docs).
fn current_owner() -> Owner {
    if let Some(token) = CURRENT_TASK.with(Cell::get) {
        return Owner::Token(token);
    }
    match crate::current_task() {
        Some(task) => Owner::LoopTask(task.id().0),
        None => Owner::Token(fresh_token()),
    }
}

/// What the internal mutex guards.
#[derive(Debug)]
struct State {
    /// The holder, if any.
    owner: Option<Owner>,
    /// How many times the holder has taken it.
    count: usize,
    /// Waiters.
    waiters: WaitList,
}

/// A reentrant lock (Python's `RLock`): its owner may lock it again; it is released when
/// every guard is dropped.
///
/// See [the module docs](self) for what "owner" means for threads and tasks.
///
/// # Examples
///
/// ```
/// let lock = strands::sync::RLock::new();
/// let a = lock.lock_blocking();
/// let b = lock.lock_blocking(); // same thread: re-entered
/// drop((a, b));
/// assert!(!lock.is_locked());
/// ```
#[derive(Debug)]
pub struct RLock {
    /// Owner, count and waiters.
    state: Mutex<State>,
}

impl Default for RLock {
    fn default() -> Self {
        Self::new()
    }
}

/// Holds an [`RLock`] once; drops one level of ownership when dropped.
///
/// # Examples
///
/// ```
/// let lock = strands::sync::RLock::new();
/// let g = lock.try_lock().unwrap();
/// drop(g);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RLockGuard<'a> {
    /// The lock.
    lock: &'a RLock,
    /// On whose behalf.
    owner: Owner,
}

impl RLock {
    /// A new, unlocked lock.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!strands::sync::RLock::new().is_locked());
    /// ```
    pub fn new() -> Self {
        RLock {
            state: Mutex::new(State {
                owner: None,
                count: 0,
                waiters: WaitList::new(),
            }),
        }
    }

    /// Locks for the current task (see [`owned`]).
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a dropped future holds nothing and passes on a wake-up it received.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = strands::sync::RLock::new();
    /// strands::run(async { let _g = lock.lock().await; }).unwrap();
    /// ```
    pub fn lock(&self) -> RLockFuture<'_> {
        RLockFuture {
            wait: Wait::new(
                self,
                RLockOp {
                    owner: None,
                    _lock: PhantomData,
                },
            ),
        }
    }

    /// Locks for the calling thread, blocking it.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = strands::sync::RLock::new();
    /// let _g = lock.lock_blocking();
    /// ```
    #[track_caller]
    pub fn lock_blocking(&self) -> RLockGuard<'_> {
        engine::assert_may_block("RLock::lock_blocking");
        let owner = Owner::Thread(thread::current().id());
        let mut op = RLockOp {
            owner: Some(owner),
            _lock: PhantomData,
        };
        engine::run_blocking(&self, &mut op, None);
        RLockGuard { lock: self, owner }
    }

    /// Locks for the calling thread, blocking at most `timeout`; `None` if it timed out.
    /// `Duration::MAX` waits forever.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = strands::sync::RLock::new();
    /// assert!(lock.lock_timeout(std::time::Duration::from_millis(1)).is_some());
    /// ```
    #[track_caller]
    pub fn lock_timeout(&self, timeout: Duration) -> Option<RLockGuard<'_>> {
        engine::assert_may_block("RLock::lock_timeout");
        let owner = Owner::Thread(thread::current().id());
        let mut op = RLockOp {
            owner: Some(owner),
            _lock: PhantomData,
        };
        engine::run_blocking(&self, &mut op, engine::deadline(timeout))
            .map(|_| RLockGuard { lock: self, owner })
    }

    /// Locks for the calling thread if free or already held by it, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = strands::sync::RLock::new();
    /// let _a = lock.try_lock().unwrap();
    /// let _b = lock.try_lock().unwrap();
    /// ```
    pub fn try_lock(&self) -> Option<RLockGuard<'_>> {
        let owner = Owner::Thread(thread::current().id());
        let mut st = self.state.lock();
        self.try_enter(&mut st, owner)
            .then_some(RLockGuard { lock: self, owner })
    }

    /// True if held by anyone (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!strands::sync::RLock::new().is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.state.lock().owner.is_some()
    }

    /// Releases one level held by the calling thread (for guards given up with
    /// [`RLockGuard::leak`]).
    ///
    /// # Errors
    ///
    /// [`NotOwnerError`] if the calling thread does not hold the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = strands::sync::RLock::new();
    /// lock.lock_blocking().leak();
    /// lock.release().unwrap();
    /// assert!(lock.release().is_err());
    /// ```
    pub fn release(&self) -> Result<(), NotOwnerError> {
        self.exit(Owner::Thread(thread::current().id()))
    }

    /// Takes the lock for `owner` if possible.
    fn try_enter(&self, st: &mut State, owner: Owner) -> bool {
        match st.owner {
            Some(o) if o == owner => st.count += 1,
            Some(_) => return false,
            None => {
                st.owner = Some(owner);
                st.count = 1;
            }
        }
        true
    }

    /// Drops one level held by `owner`.
    fn exit(&self, owner: Owner) -> Result<(), NotOwnerError> {
        let mut wakes = WakeBatch::new();
        let mut st = self.state.lock();
        if st.owner != Some(owner) {
            return Err(NotOwnerError);
        }
        st.count -= 1;
        if st.count == 0 {
            st.owner = None;
            st.waiters.notify_one(0, &mut wakes);
        }
        Ok(())
    }
}

impl RLockGuard<'_> {
    /// Keeps this level held without a guard (release it with [`RLock::release`] from the same
    /// thread).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = strands::sync::RLock::new();
    /// lock.lock_blocking().leak();
    /// assert!(lock.is_locked());
    /// ```
    pub fn leak(self) {
        core::mem::forget(self);
    }
}

impl Drop for RLockGuard<'_> {
    fn drop(&mut self) {
        // The guard proves ownership: this cannot fail.
        let _ = self.lock.exit(self.owner);
    }
}

impl fmt::Debug for RLockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RLockGuard")
    }
}

/// Entering the lock, as a [`WaitOp`].
#[derive(Debug)]
struct RLockOp<'a> {
    /// Resolved on first attempt for tasks (the poll sets the task's token).
    owner: Option<Owner>,
    /// The lock's lifetime.
    _lock: PhantomData<&'a RLock>,
}

impl<'a> WaitOp for RLockOp<'a> {
    type Shared = &'a RLock;
    type State = State;
    type Output = Owner;

    fn mutex<'s>(shared: &'s &'a RLock) -> &'s Mutex<State> {
        &shared.state
    }

    fn attempt(
        &mut self,
        lock: &&'a RLock,
        st: &mut State,
        _: Option<usize>,
        _: &mut WakeBatch,
    ) -> Option<Owner> {
        let owner = *self.owner.get_or_insert_with(current_owner);
        lock.try_enter(st, owner).then_some(owner)
    }

    fn list<'s>(&self, st: &'s mut State) -> &'s mut WaitList {
        &mut st.waiters
    }
}

/// The future of [`RLock::lock`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct RLockFuture<'a> {
    /// The shared wait driver.
    wait: Wait<RLockOp<'a>>,
}

impl<'a> Future for RLockFuture<'a> {
    type Output = RLockGuard<'a>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<RLockGuard<'a>> {
        // SAFETY: `wait` is structurally pinned: never moved out of the pinned future.
        let wait = unsafe { self.map_unchecked_mut(|s| &mut s.wait) };
        let lock: &'a RLock = wait.shared();
        wait.poll(cx).map(|owner| RLockGuard { lock, owner })
    }
}
