//! The concurrency shim: every atomic, lock, cell and thread that strands uses internally is
//! imported from here, never from `std` directly.
//!
//! In a normal build these are `std`'s types behind a thin, uniform API. Under
//! `RUSTFLAGS="--cfg strands_loom"` they are [loom]'s, so the model tests (`loom_*`) explore
//! every interleaving of the wait/wake protocols with the real code.
//!
//! Uniform API, whichever backend:
//! - [`Mutex::lock`] returns the guard directly: internal locks never call user code while held,
//!   so poisoning cannot carry information and is ignored;
//! - [`UnsafeCell`] is accessed through closures (`with` / `with_mut`), as loom requires.
//!
//! Under `RUSTFLAGS="--cfg shuttle"` they are [shuttle]'s instead: the `tests/shuttle_*.rs`
//! tests run mixed thread/task scenarios under a seeded random scheduler whose failing
//! schedules can be replayed.
//!
//! [loom]: https://docs.rs/loom
//! [shuttle]: https://docs.rs/shuttle

/// True under a model checker (loom or shuttle): spinning and clocks are skipped there, as
/// every atomic access is a scheduling point and time is not modelled.
pub(crate) const MODEL: bool = cfg!(any(strands_loom, shuttle));

#[cfg(not(any(strands_loom, shuttle)))]
mod imp {
    pub(crate) use std::sync::atomic;
    pub(crate) use std::sync::Arc;
    #[allow(unused_imports)]
    pub(crate) use std::thread;

    /// A `std::sync::Mutex` whose `lock` ignores poisoning.
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(std::sync::Mutex<T>);

    /// The guard of [`Mutex`].
    pub(crate) type MutexGuard<'a, T> = std::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        /// A new unlocked mutex.
        pub(crate) const fn new(value: T) -> Self {
            Mutex(std::sync::Mutex::new(value))
        }

        /// Locks, blocking the thread; a poisoned lock is entered all the same.
        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }
    }

    /// A `std::sync::Condvar` with the same poison policy as [`Mutex`].
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(std::sync::Condvar);

    impl Condvar {
        /// A new condition variable.
        pub(crate) const fn new() -> Self {
            Condvar(std::sync::Condvar::new())
        }

        /// Blocks until notified (spurious wake-ups possible).
        pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0
                .wait(guard)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }

        /// Blocks until notified or `dur` has passed (spurious wake-ups possible).
        pub(crate) fn wait_timeout<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            dur: std::time::Duration,
        ) -> MutexGuard<'a, T> {
            match self.0.wait_timeout(guard, dur) {
                Ok((g, _)) => g,
                Err(poisoned) => poisoned.into_inner().0,
            }
        }

        /// Wakes one waiter.
        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }

        /// Wakes every waiter.
        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }

    /// `core::cell::UnsafeCell` behind loom's closure-based API.
    #[derive(Debug, Default)]
    pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        /// Wraps `value`.
        pub(crate) const fn new(value: T) -> Self {
            UnsafeCell(core::cell::UnsafeCell::new(value))
        }

        /// Runs `f` with a shared raw pointer to the contents.
        #[inline(always)]
        #[allow(dead_code)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Runs `f` with a mutable raw pointer to the contents.
        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

#[cfg(strands_loom)]
mod imp {
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::atomic;
    pub(crate) use loom::sync::Arc;
    pub(crate) use loom::thread;

    /// loom's mutex with the poison-free `lock` of the std build.
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    /// The guard of [`Mutex`].
    pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        /// A new unlocked mutex.
        pub(crate) fn new(value: T) -> Self {
            Mutex(loom::sync::Mutex::new(value))
        }

        /// Locks, blocking the (model) thread.
        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(|p| p.into_inner())
        }
    }

    /// loom's condition variable; timeouts are modelled as an immediate spurious wake-up.
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(loom::sync::Condvar);

    impl Condvar {
        /// A new condition variable.
        pub(crate) fn new() -> Self {
            Condvar(loom::sync::Condvar::new())
        }

        /// Blocks until notified.
        pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(guard).unwrap_or_else(|p| p.into_inner())
        }

        /// loom has no clock: behaves as a wait that may return at any point.
        pub(crate) fn wait_timeout<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            _dur: std::time::Duration,
        ) -> MutexGuard<'a, T> {
            self.0.wait(guard).unwrap_or_else(|p| p.into_inner())
        }

        /// Wakes one waiter.
        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }

        /// Wakes every waiter.
        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}

#[cfg(all(shuttle, not(strands_loom)))]
mod imp {
    pub(crate) use shuttle::sync::atomic;
    pub(crate) use shuttle::sync::Arc;
    pub(crate) use shuttle::thread;

    /// shuttle's mutex with the poison-free `lock` of the std build.
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(shuttle::sync::Mutex<T>);

    /// The guard of [`Mutex`].
    pub(crate) type MutexGuard<'a, T> = shuttle::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        /// A new unlocked mutex.
        pub(crate) fn new(value: T) -> Self {
            Mutex(shuttle::sync::Mutex::new(value))
        }

        /// Locks, blocking the (scheduled) thread.
        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(|p| p.into_inner())
        }
    }

    /// shuttle's condition variable; time is not modelled (a timed wait is a wait).
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(shuttle::sync::Condvar);

    impl Condvar {
        /// A new condition variable.
        pub(crate) fn new() -> Self {
            Condvar(shuttle::sync::Condvar::new())
        }

        /// Blocks until notified.
        pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(guard).unwrap_or_else(|p| p.into_inner())
        }

        /// No clock under shuttle: behaves as a wait.
        pub(crate) fn wait_timeout<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            _dur: std::time::Duration,
        ) -> MutexGuard<'a, T> {
            self.0.wait(guard).unwrap_or_else(|p| p.into_inner())
        }

        /// Wakes one waiter.
        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }

        /// Wakes every waiter.
        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }

    /// `core::cell::UnsafeCell` behind loom's closure-based API (shuttle does not track
    /// cells; its value is in scheduling, not in data-race detection).
    #[derive(Debug, Default)]
    pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        /// Wraps `value`.
        pub(crate) const fn new(value: T) -> Self {
            UnsafeCell(core::cell::UnsafeCell::new(value))
        }

        /// Runs `f` with a shared raw pointer to the contents.
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Runs `f` with a mutable raw pointer to the contents.
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

pub(crate) use imp::*;
