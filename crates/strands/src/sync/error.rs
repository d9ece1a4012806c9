//! Error types of the primitives: one small type per operation.

use core::fmt;

/// Defines a unit error type with a lowercase message and an example.
macro_rules! unit_error {
    ($(#[$m:meta])* $name:ident, $msg:literal) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
        pub struct $name;

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($msg)
            }
        }

        impl std::error::Error for $name {}
    };
}

unit_error!(
    /// [`Lock::release`](crate::sync::Lock::release) was called on a lock that is not held.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = strands::sync::Lock::new();
    /// let err = lock.release().unwrap_err();
    /// assert_eq!(err.to_string(), "release of an unlocked lock");
    /// ```
    ReleaseError,
    "release of an unlocked lock"
);

unit_error!(
    /// [`RLock::release`](crate::sync::RLock::release) was called by a thread that does not
    /// hold the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = strands::sync::RLock::new();
    /// assert!(lock.release().is_err());
    /// ```
    NotOwnerError,
    "release of a reentrant lock not held by the caller"
);

unit_error!(
    /// [`BoundedSemaphore::release`](crate::sync::BoundedSemaphore::release) would raise the
    /// count above its initial value.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = strands::sync::BoundedSemaphore::new(1);
    /// assert!(sem.release().is_err());
    /// ```
    OverReleaseError,
    "semaphore released too many times"
);

unit_error!(
    /// The barrier was broken (a waiter timed out or was cancelled, [`abort`], [`reset`], or
    /// the action panicked) while waiting or before the call.
    ///
    /// [`abort`]: crate::sync::Barrier::abort
    /// [`reset`]: crate::sync::Barrier::reset
    ///
    /// # Examples
    ///
    /// ```
    /// let b = strands::sync::Barrier::new(2).unwrap();
    /// b.abort();
    /// assert_eq!(b.wait_blocking(), Err(strands::sync::BrokenBarrier));
    /// ```
    BrokenBarrier,
    "barrier is broken"
);

unit_error!(
    /// A [`Barrier`](crate::sync::Barrier) needs at least one party.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(strands::sync::Barrier::new(0).is_err());
    /// ```
    ZeroPartiesError,
    "a barrier needs at least one party"
);
