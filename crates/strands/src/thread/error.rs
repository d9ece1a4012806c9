//! Errors of threads and pool futures.

use core::fmt;
use std::any::Any;

/// A thread or a pool job panicked; carries the panic message.
///
/// # Examples
///
/// ```
/// let h = strands::thread::Thread::new(|| panic!("boom")).name("w").start().unwrap();
/// let err = h.join_blocking().unwrap_err();
/// assert_eq!(err.message(), "boom");
/// assert_eq!(err.to_string(), "thread 'w' panicked: boom");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panicked {
    /// The panic payload as text.
    message: String,
    /// The thread it happened on.
    thread: String,
}

impl Panicked {
    /// From a `catch_unwind` payload.
    pub(crate) fn from_payload(payload: &(dyn Any + Send), thread: &str) -> Self {
        let message = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "<non-string panic payload>".to_owned()
        };
        Panicked {
            message,
            thread: thread.to_owned(),
        }
    }

    /// The panic message.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = strands::thread::Thread::new(|| panic!("x={}", 1)).start().unwrap();
    /// assert_eq!(h.join_blocking().unwrap_err().message(), "x=1");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The name of the thread that panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = strands::thread::Thread::new(|| panic!()).name("n").start().unwrap();
    /// assert_eq!(h.join_blocking().unwrap_err().thread_name(), "n");
    /// ```
    pub fn thread_name(&self) -> &str {
        &self.thread
    }
}

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "thread '{}' panicked: {}", self.thread, self.message)
    }
}

impl std::error::Error for Panicked {}

/// A pool future ended without a value.
///
/// # Examples
///
/// ```
/// use strands::thread::{FutureError, ThreadPool};
/// let pool = ThreadPool::new(1).unwrap();
/// let f = pool.submit(|| -> u8 { panic!("bad") }).unwrap();
/// assert!(matches!(f.wait_blocking(), Err(FutureError::Panicked(_))));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FutureError {
    /// Cancelled before it ran.
    Cancelled,
    /// The job panicked.
    Panicked(Panicked),
}

impl fmt::Display for FutureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FutureError::Cancelled => f.write_str("job was cancelled before it ran"),
            FutureError::Panicked(p) => write!(f, "job panicked: {}", p.message()),
        }
    }
}

impl std::error::Error for FutureError {}

/// `wait_timeout` on a pool future: the timeout hands the future back.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use strands::thread::{ThreadPool, WaitTimeoutError};
/// let pool = ThreadPool::new(1).unwrap();
/// let f = pool.submit(|| std::thread::sleep(Duration::from_millis(50))).unwrap();
/// match f.wait_timeout(Duration::from_millis(1)) {
///     Err(WaitTimeoutError::Timeout(f)) => f.wait_blocking().unwrap(),
///     _ => {} // a very slow timer tick may let the job finish first
/// }
/// ```
pub enum WaitTimeoutError<F> {
    /// Not finished in time; the future is handed back.
    Timeout(F),
    /// Finished without a value.
    Failed(FutureError),
}

impl<F> fmt::Debug for WaitTimeoutError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitTimeoutError::Timeout(_) => f.write_str("Timeout(..)"),
            WaitTimeoutError::Failed(e) => f.debug_tuple("Failed").field(e).finish(),
        }
    }
}

impl<F> fmt::Display for WaitTimeoutError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitTimeoutError::Timeout(_) => f.write_str("timed out waiting for the result"),
            WaitTimeoutError::Failed(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl<F> std::error::Error for WaitTimeoutError<F> {}

/// `submit` after `shutdown`: hands the job back.
///
/// # Examples
///
/// ```
/// let pool = strands::thread::ThreadPool::new(1).unwrap();
/// pool.shutdown(true, false);
/// let err = pool.submit(|| 1).unwrap_err();
/// assert_eq!(err.to_string(), "submit after the pool was shut down");
/// assert_eq!((err.into_inner())(), 1);
/// ```
pub struct SubmitError<F>(pub F);

impl<F> SubmitError<F> {
    /// The job that was not submitted.
    pub fn into_inner(self) -> F {
        self.0
    }
}

impl<F> fmt::Debug for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubmitError(..)")
    }
}

impl<F> fmt::Display for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("submit after the pool was shut down")
    }
}

impl<F> std::error::Error for SubmitError<F> {}
