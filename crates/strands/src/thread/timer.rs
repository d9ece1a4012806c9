//! [`Timer`]: run a function on a named thread after a delay, unless cancelled.
#![forbid(unsafe_code)]

use std::io;
use std::time::Duration;

use crate::loom::Arc;
use crate::sync::Event;
use crate::thread::builder::{default_name, JoinHandle, Thread};
use crate::thread::error::Panicked;

/// Python's `threading.Timer(delay, f)`: `f` runs on its own thread after `delay` unless
/// [`cancel`](Self::cancel)led first.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use strands::thread::Timer;
/// let t = Timer::start(Duration::from_millis(1), || 5).unwrap();
/// assert_eq!(t.join_blocking(), Ok(Some(5)));
/// let t = Timer::start(Duration::from_secs(60), || 5).unwrap();
/// t.cancel();
/// assert_eq!(t.join_blocking(), Ok(None));
/// ```
#[derive(Debug)]
pub struct Timer<T> {
    /// Set to cancel.
    cancelled: Arc<Event>,
    /// The timer thread.
    handle: JoinHandle<Option<T>>,
}

impl<T: Send + 'static> Timer<T> {
    /// Starts a thread (named `strands-timer-N`) that runs `f` after `delay`.
    ///
    /// # Errors
    ///
    /// The OS error if the thread could not be created.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = strands::thread::Timer::start(std::time::Duration::ZERO, || ()).unwrap();
    /// t.join_blocking().unwrap();
    /// ```
    pub fn start<F>(delay: Duration, f: F) -> io::Result<Self>
    where
        F: FnOnce() -> T + Send + 'static,
    {
        let cancelled = Arc::new(Event::new());
        let c = cancelled.clone();
        let handle = Thread::new(move || (!c.wait_timeout(delay)).then(f))
            .name(default_name("strands-timer"))
            .start()?;
        Ok(Timer { cancelled, handle })
    }

    /// Stops the timer if `f` has not started yet (then it never runs).
    ///
    /// # Examples
    ///
    /// ```
    /// let t = strands::thread::Timer::start(std::time::Duration::from_secs(9), || ()).unwrap();
    /// t.cancel();
    /// ```
    pub fn cancel(&self) {
        self.cancelled.set();
    }

    /// Waits for the timer thread: `Some(result)` if `f` ran, `None` if cancelled.
    ///
    /// # Errors
    ///
    /// [`Panicked`] if `f` panicked.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = strands::thread::Timer::start(std::time::Duration::ZERO, || 1).unwrap();
    /// assert_eq!(t.join_blocking(), Ok(Some(1)));
    /// ```
    #[track_caller]
    pub fn join_blocking(self) -> Result<Option<T>, Panicked> {
        self.handle.join_blocking()
    }

    /// True until the timer thread ends.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = strands::thread::Timer::start(std::time::Duration::from_secs(9), || ()).unwrap();
    /// assert!(t.is_alive());
    /// t.cancel();
    /// ```
    pub fn is_alive(&self) -> bool {
        self.handle.is_alive()
    }
}
