//! [`Lock`] (guard-based, no data) and [`Mutex<T>`] (data-carrying), on one [`RawLock`].

use core::cell::UnsafeCell;
use core::fmt;
use core::future::Future;
use core::ops::{Deref, DerefMut};
use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::Duration;

use crate::sync::engine::{self, Wait};
use crate::sync::error::ReleaseError;
use crate::sync::raw_lock::{RawLock, RawLockOp};

/// A lock: Python's `threading.Lock` / `asyncio.Lock`, usable from threads and tasks at once.
///
/// Not reentrant: locking it again from the holder deadlocks (use [`RLock`](super::RLock)).
/// Fairness: waiters are woken in FIFO order; a caller arriving while a waiter is being woken
/// may take the lock first (see [the module docs](crate::sync)).
///
/// # Examples
///
/// ```
/// use strands::sync::Lock;
///
/// let lock = Lock::new();
/// {
///     let _g = lock.lock_blocking();
///     assert!(lock.try_lock().is_none());
/// }
/// strands::run(async {
///     let _g = lock.lock().await;
///     assert!(lock.is_locked());
/// }).unwrap();
/// ```
#[derive(Debug, Default)]
pub struct Lock {
    /// The lock word and its waiters.
    raw: RawLock,
}

/// Holds a [`Lock`]; releases it when dropped.
///
/// # Examples
///
/// ```
/// let lock = strands::sync::Lock::new();
/// let g = lock.lock_blocking();
/// drop(g);
/// assert!(!lock.is_locked());
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a> {
    /// The held lock.
    lock: &'a Lock,
}

impl Lock {
    /// A new, unlocked lock.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!strands::sync::Lock::new().is_locked());
    /// ```
    pub fn new() -> Self {
        Lock {
            raw: RawLock::new(),
        }
    }

    /// Acquires the lock from a task.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a dropped `lock()` future never holds the lock, and a wake-up it had
    /// received is passed to the next waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = strands::sync::Lock::new();
    /// strands::run(async {
    ///     let _g = lock.lock().await;
    /// }).unwrap();
    /// ```
    pub fn lock(&self) -> LockFuture<'_> {
        LockFuture {
            lock: self,
            wait: Wait::new(&self.raw, RawLockOp::new()),
        }
    }

    /// Acquires the lock, blocking the thread.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop (use `.await` or `strands::to_thread`).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = strands::sync::Lock::new();
    /// let _g = lock.lock_blocking();
    /// ```
    #[track_caller]
    pub fn lock_blocking(&self) -> LockGuard<'_> {
        engine::assert_may_block("Lock::lock_blocking");
        self.raw.lock_blocking(None);
        LockGuard { lock: self }
    }

    /// Acquires the lock, blocking the thread at most `timeout`; `None` if it timed out.
    /// `Duration::MAX` waits forever.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop (use `strands::timeout(d, lock.lock())`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let lock = strands::sync::Lock::new();
    /// let g = lock.lock_blocking();
    /// assert!(lock.lock_timeout(Duration::from_millis(1)).is_none());
    /// drop(g);
    /// assert!(lock.lock_timeout(Duration::MAX).is_some());
    /// ```
    #[track_caller]
    pub fn lock_timeout(&self, timeout: Duration) -> Option<LockGuard<'_>> {
        engine::assert_may_block("Lock::lock_timeout");
        self.raw
            .lock_blocking(Some(timeout))
            .then_some(LockGuard { lock: self })
    }

    /// Acquires the lock if it is free, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = strands::sync::Lock::new();
    /// let g = lock.try_lock().unwrap();
    /// assert!(lock.try_lock().is_none());
    /// ```
    pub fn try_lock(&self) -> Option<LockGuard<'_>> {
        self.raw.try_lock().then_some(LockGuard { lock: self })
    }

    /// True if the lock is held (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = strands::sync::Lock::new();
    /// let _g = lock.lock_blocking();
    /// assert!(lock.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// Releases a lock held through [`LockGuard::leak`], from any thread or task (Python's
    /// `Lock.release()`).
    ///
    /// # Errors
    ///
    /// [`ReleaseError`] if the lock is not held.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = strands::sync::Lock::new();
    /// lock.lock_blocking().leak();
    /// lock.release().unwrap();
    /// assert!(lock.release().is_err());
    /// ```
    pub fn release(&self) -> Result<(), ReleaseError> {
        if !self.raw.is_locked() {
            return Err(ReleaseError);
        }
        self.raw.unlock();
        Ok(())
    }
}

impl LockGuard<'_> {
    /// Keeps the lock held without a guard; release it later with [`Lock::release`].
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = strands::sync::Lock::new();
    /// lock.lock_blocking().leak();
    /// assert!(lock.is_locked());
    /// ```
    pub fn leak(self) {
        core::mem::forget(self);
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        self.lock.raw.unlock();
    }
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LockGuard")
    }
}

/// The future of [`Lock::lock`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct LockFuture<'a> {
    /// The lock being acquired.
    lock: &'a Lock,
    /// The shared wait driver.
    wait: Wait<RawLockOp<'a>>,
}

impl<'a> Future for LockFuture<'a> {
    type Output = LockGuard<'a>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a>> {
        // SAFETY: `wait` is structurally pinned: never moved out of the pinned future.
        let this = unsafe { self.get_unchecked_mut() };
        let lock = this.lock;
        // SAFETY: as above.
        let wait = unsafe { Pin::new_unchecked(&mut this.wait) };
        wait.poll(cx).map(|()| LockGuard { lock })
    }
}

/// A data-carrying lock: `Mutex<T>`, usable from threads and tasks at once.
///
/// Same fairness and naming as [`Lock`]. Never poisoned: a panic while holding the guard
/// releases it.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use strands::sync::Mutex;
///
/// let m = Arc::new(Mutex::new(0));
/// let m2 = m.clone();
/// std::thread::spawn(move || *m2.lock_blocking() += 1).join().unwrap();
/// strands::run(async { *m.lock().await += 1 }).unwrap();
/// assert_eq!(*m.lock_blocking(), 2);
/// ```
#[derive(Default)]
pub struct Mutex<T: ?Sized> {
    /// The lock word and its waiters.
    raw: RawLock,
    /// The protected value.
    value: UnsafeCell<T>,
}

// SAFETY: the mutex hands out access to `T` to one holder at a time, possibly on another
// thread: `T: Send` suffices (as for `std::sync::Mutex`).
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// Holds a [`Mutex`]; derefs to the value; releases when dropped.
///
/// # Examples
///
/// ```
/// let m = strands::sync::Mutex::new(vec![1]);
/// m.lock_blocking().push(2);
/// assert_eq!(*m.lock_blocking(), [1, 2]);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    /// The held mutex.
    mutex: &'a Mutex<T>,
}

// SAFETY: the guard gives `&T` to whoever holds `&MutexGuard`: sharing it needs `T: Sync`.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<T> Mutex<T> {
    /// A new, unlocked mutex holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = strands::sync::Mutex::new(5);
    /// assert_eq!(m.into_inner(), 5);
    /// ```
    pub fn new(value: T) -> Self {
        Mutex {
            raw: RawLock::new(),
            value: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex, returning the value.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(strands::sync::Mutex::new("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks from a task.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a dropped future never holds the lock and passes on a wake-up it got.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = strands::sync::Mutex::new(1);
    /// strands::run(async { *m.lock().await += 1 }).unwrap();
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    pub fn lock(&self) -> MutexLockFuture<'_, T> {
        MutexLockFuture {
            mutex: self,
            wait: Wait::new(&self.raw, RawLockOp::new()),
        }
    }

    /// Locks, blocking the thread.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop (use `.await` or `strands::to_thread`).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = strands::sync::Mutex::new(1);
    /// *m.lock_blocking() = 3;
    /// assert_eq!(m.into_inner(), 3);
    /// ```
    #[track_caller]
    pub fn lock_blocking(&self) -> MutexGuard<'_, T> {
        engine::assert_may_block("Mutex::lock_blocking");
        self.raw.lock_blocking(None);
        MutexGuard { mutex: self }
    }

    /// Locks, blocking at most `timeout`; `None` if it timed out. `Duration::MAX` waits
    /// forever.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let m = strands::sync::Mutex::new(());
    /// let g = m.lock_blocking();
    /// assert!(m.lock_timeout(Duration::from_millis(1)).is_none());
    /// ```
    #[track_caller]
    pub fn lock_timeout(&self, timeout: Duration) -> Option<MutexGuard<'_, T>> {
        engine::assert_may_block("Mutex::lock_timeout");
        self.raw
            .lock_blocking(Some(timeout))
            .then_some(MutexGuard { mutex: self })
    }

    /// Locks if free, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = strands::sync::Mutex::new(());
    /// let _g = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_none());
    /// ```
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.raw.try_lock().then_some(MutexGuard { mutex: self })
    }

    /// True if locked (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = strands::sync::Mutex::new(());
    /// assert!(!m.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// Mutable access without locking: `&mut self` proves exclusivity.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = strands::sync::Mutex::new(1);
    /// *m.get_mut() = 2;
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// The mutex a guard belongs to (used by [`Condition`](super::Condition)).
    pub(crate) fn guard_mutex<'a>(guard: &MutexGuard<'a, T>) -> &'a Mutex<T> {
        guard.mutex
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(g) => d.field("value", &&*g),
            None => d.field("value", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard proves the lock is held: no other reference to the value exists.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access through the guard.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.raw.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The future of [`Mutex::lock`].
#[must_use = "futures do nothing unless awaited"]
pub struct MutexLockFuture<'a, T: ?Sized> {
    /// The mutex being locked.
    mutex: &'a Mutex<T>,
    /// The shared wait driver.
    wait: Wait<RawLockOp<'a>>,
}

impl<T: ?Sized> fmt::Debug for MutexLockFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MutexLockFuture")
    }
}

impl<'a, T: ?Sized> Future for MutexLockFuture<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        // SAFETY: `wait` is structurally pinned: never moved out of the pinned future.
        let this = unsafe { self.get_unchecked_mut() };
        let mutex = this.mutex;
        // SAFETY: as above.
        let wait = unsafe { Pin::new_unchecked(&mut this.wait) };
        wait.poll(cx).map(|()| MutexGuard { mutex })
    }
}
