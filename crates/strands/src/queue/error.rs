//! Queue errors: one small type per operation; those of `put` hand the item back.

use core::fmt;

/// Implements `Display`, `Debug` (without `T: Debug`) and `Error` for a payload enum.
macro_rules! payload_error {
    ($name:ident { $($variant:ident => $msg:literal),+ $(,)? }) => {
        impl<T> $name<T> {
            /// The item that was not enqueued.
            pub fn into_inner(self) -> T {
                match self { $($name::$variant(t) => t),+ }
            }
        }
        impl<T> fmt::Display for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self { $($name::$variant(_) => f.write_str($msg)),+ }
            }
        }
        impl<T> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self { $($name::$variant(_) => write!(f, "{}(..)", stringify!($variant))),+ }
            }
        }
        impl<T> std::error::Error for $name<T> {}
    };
}

/// Implements `Display` and `Error` for a unit-variant enum.
macro_rules! unit_error {
    ($name:ident { $($variant:ident => $msg:literal),+ $(,)? }) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self { $($name::$variant => f.write_str($msg)),+ }
            }
        }
        impl std::error::Error for $name {}
    };
}

/// `put` / `put_blocking` failed: the queue was shut down. Holds the item.
///
/// # Examples
///
/// ```
/// let q = strands::queue::Queue::new(0);
/// q.shutdown(false);
/// let err = q.put_blocking(7).unwrap_err();
/// assert_eq!(err.to_string(), "queue is shut down");
/// assert_eq!(err.into_inner(), 7);
/// ```
pub enum PutError<T> {
    /// The queue was shut down.
    ShutDown(T),
}
payload_error!(PutError { ShutDown => "queue is shut down" });

/// `try_put` failed. Holds the item.
///
/// # Examples
///
/// ```
/// use strands::queue::{Queue, TryPutError};
/// let q = Queue::new(1);
/// q.try_put(1).unwrap();
/// assert!(matches!(q.try_put(2), Err(TryPutError::Full(2))));
/// ```
pub enum TryPutError<T> {
    /// The queue is full.
    Full(T),
    /// The queue was shut down.
    ShutDown(T),
}
payload_error!(TryPutError { Full => "queue is full", ShutDown => "queue is shut down" });

/// `put_timeout` failed. Holds the item.
///
/// # Examples
///
/// ```
/// use strands::queue::{PutTimeoutError, Queue};
/// let q = Queue::new(1);
/// q.try_put(1).unwrap();
/// let err = q.put_timeout(2, std::time::Duration::from_millis(1)).unwrap_err();
/// assert!(matches!(err, PutTimeoutError::Timeout(2)));
/// ```
pub enum PutTimeoutError<T> {
    /// The queue stayed full until the timeout.
    Timeout(T),
    /// The queue was shut down.
    ShutDown(T),
}
payload_error!(PutTimeoutError { Timeout => "timed out waiting for room in the queue", ShutDown => "queue is shut down" });

/// `get` / `get_blocking` failed: the queue is shut down and drained.
///
/// # Examples
///
/// ```
/// let q = strands::queue::Queue::<u8>::new(0);
/// q.shutdown(false);
/// assert_eq!(q.get_blocking().unwrap_err().to_string(), "queue is shut down and empty");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetError {
    /// The queue is shut down and empty.
    ShutDown,
}
unit_error!(GetError { ShutDown => "queue is shut down and empty" });

/// `try_get` failed.
///
/// # Examples
///
/// ```
/// use strands::queue::{Queue, TryGetError};
/// let q = Queue::<u8>::new(0);
/// assert_eq!(q.try_get(), Err(TryGetError::Empty));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryGetError {
    /// The queue is empty.
    Empty,
    /// The queue is shut down and empty.
    ShutDown,
}
unit_error!(TryGetError { Empty => "queue is empty", ShutDown => "queue is shut down and empty" });

/// `get_timeout` failed.
///
/// # Examples
///
/// ```
/// use strands::queue::{GetTimeoutError, Queue};
/// let q = Queue::<u8>::new(0);
/// let r = q.get_timeout(std::time::Duration::from_millis(1));
/// assert_eq!(r, Err(GetTimeoutError::Timeout));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetTimeoutError {
    /// Nothing arrived before the timeout.
    Timeout,
    /// The queue is shut down and empty.
    ShutDown,
}
unit_error!(GetTimeoutError { Timeout => "timed out waiting for an item", ShutDown => "queue is shut down and empty" });

/// `task_done` was called more times than items were put.
///
/// # Examples
///
/// ```
/// let q = strands::queue::Queue::<u8>::new(0);
/// assert_eq!(q.task_done().unwrap_err().to_string(), "task_done() called too many times");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskDoneError {
    /// No unfinished task is left.
    TooManyCalls,
}
unit_error!(TaskDoneError { TooManyCalls => "task_done() called too many times" });
