//! [`Condition`]: wait until notified, giving up a [`Mutex`] meanwhile.
//!
//! # Protocol
//!
//! A waiter links itself in the condition's list *before* it releases the user's mutex
//! ([`WaitOp::enqueued`]), so a notifier that changes the state under that mutex and then
//! notifies always finds it: no lost wake-up. Once notified, the waiter re-locks the mutex.
//! A waiter cancelled after being notified passes the notification to the next waiter.

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::loom::Mutex as RawMutex;
use crate::sync::engine::{self, Wait, WaitOp};
use crate::sync::lock::{Mutex, MutexGuard, MutexLockFuture};
use crate::sync::waitlist::{WaitList, WakeBatch};

/// A condition variable bound to a [`Mutex`] (Python's `Condition`), usable from threads and
/// tasks at once.
///
/// Waiting takes the guard of the mutex and gives it back once notified. Use one mutex per
/// condition; several conditions may share one mutex (like Python's `Condition(lock)`).
/// Notify while holding the mutex, after changing the state the waiters check.
/// Notified waiters are released in FIFO order. Spurious wake-ups do not happen, but another
/// caller may change the state between the notification and the re-lock: prefer
/// [`wait_for`](Self::wait_for).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use strands::sync::{Condition, Mutex};
///
/// let pair = Arc::new((Mutex::new(false), Condition::new()));
/// let p2 = pair.clone();
/// let t = std::thread::spawn(move || {
///     let (m, c) = &*p2;
///     *m.lock_blocking() = true;
///     c.notify_all();
/// });
/// let (m, c) = &*pair;
/// strands::run(async {
///     let g = c.wait_for(m.lock().await, |ready| *ready).await;
///     assert!(*g);
/// }).unwrap();
/// t.join().unwrap();
/// ```
#[derive(Debug, Default)]
pub struct Condition {
    /// Waiters.
    waiters: RawMutex<WaitList>,
}

impl Condition {
    /// A new condition with no waiters.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = strands::sync::Condition::new();
    /// c.notify_all(); // nobody to wake
    /// ```
    pub fn new() -> Self {
        Condition {
            waiters: RawMutex::new(WaitList::new()),
        }
    }

    /// Wakes up to `n` waiters; returns how many were woken.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(strands::sync::Condition::new().notify(2), 0);
    /// ```
    pub fn notify(&self, n: usize) -> usize {
        let mut wakes = WakeBatch::new();
        let mut list = self.waiters.lock();
        list.notify_n(n, 0, &mut wakes)
    }

    /// Wakes one waiter; true if there was one.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!strands::sync::Condition::new().notify_one());
    /// ```
    pub fn notify_one(&self) -> bool {
        self.notify(1) == 1
    }

    /// Wakes every waiter; returns how many.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(strands::sync::Condition::new().notify_all(), 0);
    /// ```
    pub fn notify_all(&self) -> usize {
        self.notify(usize::MAX)
    }

    /// From a task: releases `guard`, waits for a notification, re-locks, returns the guard.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped after its first poll, the mutex is *not* re-locked (its guard
    /// was given up) and a notification it received goes to the next waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = strands::sync::Mutex::new(0);
    /// let c = strands::sync::Condition::new();
    /// strands::run(async {
    ///     let g = m.lock().await;
    ///     let wait = c.wait(g);
    ///     // a notifier elsewhere would call c.notify_one(); see `Condition` docs
    ///     drop(wait);
    /// }).unwrap();
    /// ```
    pub fn wait<'a, T: ?Sized>(&'a self, guard: MutexGuard<'a, T>) -> CondWait<'a, T> {
        let mutex = Mutex::guard_mutex(&guard);
        CondWait {
            mutex,
            wait: Wait::new(
                self,
                CondOp {
                    guard: Some(guard),
                    _c: PhantomData,
                },
            ),
            relock: None,
        }
    }

    /// From a task: waits until `pred` holds, re-checking after each notification.
    ///
    /// # Cancel safety
    ///
    /// As [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = strands::sync::Mutex::new(1);
    /// let c = strands::sync::Condition::new();
    /// strands::run(async {
    ///     let g = c.wait_for(m.lock().await, |v| *v == 1).await; // already true
    ///     assert_eq!(*g, 1);
    /// }).unwrap();
    /// ```
    pub async fn wait_for<'a, T: ?Sized, F>(
        &'a self,
        mut guard: MutexGuard<'a, T>,
        mut pred: F,
    ) -> MutexGuard<'a, T>
    where
        F: FnMut(&mut T) -> bool,
    {
        while !pred(&mut guard) {
            guard = self.wait(guard).await;
        }
        guard
    }

    /// From a thread: releases `guard`, blocks until notified, re-locks.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let pair = Arc::new((strands::sync::Mutex::new(false), strands::sync::Condition::new()));
    /// let p2 = pair.clone();
    /// let t = std::thread::spawn(move || {
    ///     let (m, c) = &*p2;
    ///     let mut g = m.lock_blocking();
    ///     while !*g { g = c.wait_blocking(g); }
    /// });
    /// let (m, c) = &*pair;
    /// *m.lock_blocking() = true;
    /// c.notify_all();
    /// t.join().unwrap();
    /// ```
    #[track_caller]
    pub fn wait_blocking<'a, T: ?Sized>(&'a self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.wait_until(guard, None).0
    }

    /// From a thread: as [`wait_blocking`](Self::wait_blocking) for at most `timeout`;
    /// the flag is false if it timed out. The mutex is re-locked either way.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = strands::sync::Mutex::new(());
    /// let c = strands::sync::Condition::new();
    /// let (_g, notified) = c.wait_timeout(m.lock_blocking(), std::time::Duration::from_millis(1));
    /// assert!(!notified);
    /// ```
    #[track_caller]
    pub fn wait_timeout<'a, T: ?Sized>(
        &'a self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> (MutexGuard<'a, T>, bool) {
        self.wait_until(guard, engine::deadline(timeout))
    }

    /// From a thread: blocks until `pred` holds.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = strands::sync::Mutex::new(3);
    /// let c = strands::sync::Condition::new();
    /// let g = c.wait_for_blocking(m.lock_blocking(), |v| *v > 2);
    /// assert_eq!(*g, 3);
    /// ```
    #[track_caller]
    pub fn wait_for_blocking<'a, T: ?Sized, F>(
        &'a self,
        guard: MutexGuard<'a, T>,
        pred: F,
    ) -> MutexGuard<'a, T>
    where
        F: FnMut(&mut T) -> bool,
    {
        self.wait_for_until(guard, pred, None).0
    }

    /// From a thread: blocks until `pred` holds or `timeout` passes; the flag is the last
    /// value of `pred`.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let m = strands::sync::Mutex::new(0);
    /// let c = strands::sync::Condition::new();
    /// let (_g, ok) = c.wait_for_timeout(m.lock_blocking(), Duration::from_millis(1), |v| *v > 0);
    /// assert!(!ok);
    /// ```
    #[track_caller]
    pub fn wait_for_timeout<'a, T: ?Sized, F>(
        &'a self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
        pred: F,
    ) -> (MutexGuard<'a, T>, bool)
    where
        F: FnMut(&mut T) -> bool,
    {
        self.wait_for_until(guard, pred, engine::deadline(timeout))
    }

    /// Blocking wait with an optional deadline; true if notified.
    #[track_caller]
    fn wait_until<'a, T: ?Sized>(
        &'a self,
        guard: MutexGuard<'a, T>,
        deadline: Option<Instant>,
    ) -> (MutexGuard<'a, T>, bool) {
        engine::assert_may_block("Condition::wait_blocking");
        let mutex = Mutex::guard_mutex(&guard);
        let mut op = CondOp {
            guard: Some(guard),
            _c: PhantomData,
        };
        let notified = engine::run_blocking(&self, &mut op, deadline).is_some();
        drop(op);
        (mutex.lock_blocking(), notified)
    }

    /// Blocking `wait_for` with an optional deadline.
    #[track_caller]
    fn wait_for_until<'a, T: ?Sized, F>(
        &'a self,
        mut guard: MutexGuard<'a, T>,
        mut pred: F,
        deadline: Option<Instant>,
    ) -> (MutexGuard<'a, T>, bool)
    where
        F: FnMut(&mut T) -> bool,
    {
        loop {
            if pred(&mut guard) {
                return (guard, true);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return (guard, false);
            }
            guard = self.wait_until(guard, deadline).0;
        }
    }
}

/// Waiting for a notification, as a [`WaitOp`]; gives up the guard once linked.
struct CondOp<'a, T: ?Sized> {
    /// The user's guard, released by `enqueued`.
    guard: Option<MutexGuard<'a, T>>,
    /// The condition's lifetime.
    _c: PhantomData<&'a Condition>,
}

impl<T: ?Sized> fmt::Debug for CondOp<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CondOp")
    }
}

impl<'a, T: ?Sized> WaitOp for CondOp<'a, T> {
    type Shared = &'a Condition;
    type State = WaitList;
    type Output = ();

    fn mutex<'s>(shared: &'s &'a Condition) -> &'s RawMutex<WaitList> {
        &shared.waiters
    }

    fn attempt(
        &mut self,
        _: &&'a Condition,
        _: &mut WaitList,
        notified: Option<usize>,
        _: &mut WakeBatch,
    ) -> Option<()> {
        notified.map(|_| ())
    }

    fn list<'s>(&self, st: &'s mut WaitList) -> &'s mut WaitList {
        st
    }

    fn enqueued(&mut self) {
        self.guard = None;
    }
}

/// The future of [`Condition::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct CondWait<'a, T: ?Sized> {
    /// The mutex to re-lock.
    mutex: &'a Mutex<T>,
    /// Phase 1: waiting for a notification.
    wait: Wait<CondOp<'a, T>>,
    /// Phase 2: re-locking.
    relock: Option<MutexLockFuture<'a, T>>,
}

impl<T: ?Sized> fmt::Debug for CondWait<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CondWait")
    }
}

impl<'a, T: ?Sized> Future for CondWait<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        // SAFETY: `wait` and `relock` are structurally pinned: never moved while pinned
        // (`relock` is only written while `None`, and read in place).
        let this = unsafe { self.get_unchecked_mut() };
        if this.relock.is_none() {
            // SAFETY: as above.
            let wait = unsafe { Pin::new_unchecked(&mut this.wait) };
            if wait.poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.relock = Some(this.mutex.lock());
        }
        match this.relock.as_mut() {
            // SAFETY: as above: the relock future stays in place inside the pinned future.
            Some(f) => unsafe { Pin::new_unchecked(f) }.poll(cx),
            None => Poll::Pending,
        }
    }
}
