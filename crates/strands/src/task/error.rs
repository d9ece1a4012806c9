//! Why a task produced no value.

use std::any::Any;
use std::fmt;

/// Why awaiting a task gave no value: it was cancelled, or it panicked.
///
/// # Examples
///
/// ```
/// use strands::TaskError;
///
/// strands::run(async {
///     let task = strands::spawn(async { panic!("boom") });
///     match task.await {
///         Err(TaskError::Panicked(p)) => assert_eq!(p.message(), "boom"),
///         other => unreachable!("{other:?}"),
///     }
/// })
/// .unwrap();
/// ```
pub enum TaskError {
    /// The task was cancelled (by `cancel()`, its group, a timeout, or the loop shutting down)
    /// before it finished; its future was dropped.
    Cancelled,
    /// The task panicked; the payload is kept and can be re-raised.
    Panicked(Panic),
}

impl TaskError {
    /// True for [`TaskError::Cancelled`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(strands::TaskError::Cancelled.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, TaskError::Cancelled)
    }

    /// True for [`TaskError::Panicked`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!strands::TaskError::Cancelled.is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, TaskError::Panicked(_))
    }
}

impl fmt::Debug for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled => f.write_str("Cancelled"),
            TaskError::Panicked(p) => f.debug_tuple("Panicked").field(&p.message()).finish(),
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled => f.write_str("task was cancelled"),
            TaskError::Panicked(p) => write!(f, "task panicked: {}", p.message()),
        }
    }
}

impl std::error::Error for TaskError {}

/// The payload of a panic caught in a task or a thread.
///
/// # Examples
///
/// ```
/// let err = strands::run(async { strands::spawn(async { panic!("bad {}", 7) }).await })
///     .unwrap()
///     .unwrap_err();
/// if let strands::TaskError::Panicked(p) = err {
///     assert_eq!(p.message(), "bad 7");
/// }
/// ```
pub struct Panic {
    /// What `panic!` was called with.
    payload: Box<dyn Any + Send + 'static>,
}

impl Panic {
    /// Wraps a payload caught by `catch_unwind`.
    pub(crate) fn new(payload: Box<dyn Any + Send + 'static>) -> Panic {
        Panic { payload }
    }

    /// The panic message, when the payload is a string (as with `panic!("...")`), else a
    /// placeholder.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = strands::run(async { strands::spawn(async { panic!("x") }).await })
    ///     .unwrap()
    ///     .unwrap_err();
    /// assert!(err.to_string().contains('x'));
    /// ```
    pub fn message(&self) -> &str {
        payload_message(&*self.payload)
    }

    /// The raw payload, e.g. to re-raise it with `std::panic::resume_unwind`.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = strands::run(async { strands::spawn(async { panic!("again") }).await })
    ///     .unwrap()
    ///     .unwrap_err();
    /// if let strands::TaskError::Panicked(p) = err {
    ///     let payload = std::panic::AssertUnwindSafe(p.into_payload());
    ///     let again = std::panic::catch_unwind(move || std::panic::resume_unwind({ payload }.0));
    ///     assert!(again.is_err());
    /// }
    /// ```
    pub fn into_payload(self) -> Box<dyn Any + Send + 'static> {
        self.payload
    }
}

impl fmt::Debug for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Panic").field(&self.message()).finish()
    }
}

impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// The message of a panic payload (`&str` or `String`), or a placeholder.
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}
