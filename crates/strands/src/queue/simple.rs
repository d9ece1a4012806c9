//! [`SimpleQueue`]: unbounded FIFO with only put and get (Python's `SimpleQueue`).

use std::time::Duration;

use crate::queue::core::{GetFuture, Queue};
use crate::queue::error::GetError;

/// An unbounded FIFO queue with only `put` and `get` (Python's `queue.SimpleQueue`): no
/// `task_done`/`join`, no shutdown. `put` never waits, so it has a single, non-async form.
///
/// # Examples
///
/// ```
/// let q = strands::queue::SimpleQueue::new();
/// q.put(1);
/// q.put(2);
/// assert_eq!(q.get_blocking(), 1);
/// assert_eq!(strands::run(q.get()).unwrap(), 2);
/// ```
#[derive(Debug)]
pub struct SimpleQueue<T> {
    /// An unbounded FIFO that is never shut down.
    inner: Queue<T>,
}

impl<T> Default for SimpleQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> SimpleQueue<T> {
    /// An empty queue.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(strands::queue::SimpleQueue::<u8>::new().empty());
    /// ```
    pub fn new() -> Self {
        SimpleQueue {
            inner: Queue::new(0),
        }
    }

    /// Adds an item; never waits.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::SimpleQueue::new();
    /// q.put("x");
    /// assert_eq!(q.qsize(), 1);
    /// ```
    pub fn put(&self, item: T) {
        // Unbounded and never shut down: cannot fail.
        let _ = self.inner.try_put(item);
    }

    /// Gets from a task, waiting for an item.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a dropped future never loses an item.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::SimpleQueue::new();
    /// q.put(1);
    /// assert_eq!(strands::run(q.get()).unwrap(), 1);
    /// ```
    pub fn get(&self) -> SimpleGet<'_, T> {
        SimpleGet {
            inner: self.inner.get(),
        }
    }

    /// Gets from a thread, blocking while empty.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::SimpleQueue::new();
    /// q.put(1);
    /// assert_eq!(q.get_blocking(), 1);
    /// ```
    #[track_caller]
    pub fn get_blocking(&self) -> T {
        loop {
            if let Ok(t) = self.inner.get_blocking() {
                return t;
            }
        }
    }

    /// Gets from a thread, blocking at most `timeout`; `None` on timeout.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::SimpleQueue::<u8>::new();
    /// assert_eq!(q.get_timeout(std::time::Duration::from_millis(1)), None);
    /// ```
    #[track_caller]
    pub fn get_timeout(&self, timeout: Duration) -> Option<T> {
        // A SimpleQueue is never shut down: any error is a timeout.
        self.inner.get_timeout(timeout).ok()
    }

    /// Gets an item if there is one.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::SimpleQueue::<u8>::new();
    /// assert_eq!(q.try_get(), None);
    /// ```
    pub fn try_get(&self) -> Option<T> {
        self.inner.try_get().ok()
    }

    /// Number of items (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(strands::queue::SimpleQueue::<u8>::new().qsize(), 0);
    /// ```
    pub fn qsize(&self) -> usize {
        self.inner.qsize()
    }

    /// True if empty (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(strands::queue::SimpleQueue::<u8>::new().empty());
    /// ```
    pub fn empty(&self) -> bool {
        self.inner.empty()
    }
}

/// The future of [`SimpleQueue::get`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct SimpleGet<'a, T> {
    /// The underlying get.
    inner: GetFuture<'a, T>,
}

impl<T> core::future::Future for SimpleGet<'_, T> {
    type Output = T;

    fn poll(
        self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<T> {
        // SAFETY: `inner` is structurally pinned: never moved out of the pinned future.
        let inner = unsafe { self.map_unchecked_mut(|s| &mut s.inner) };
        match inner.poll(cx) {
            core::task::Poll::Ready(Ok(t)) => core::task::Poll::Ready(t),
            // A SimpleQueue is never shut down.
            core::task::Poll::Ready(Err(GetError::ShutDown)) | core::task::Poll::Pending => {
                core::task::Poll::Pending
            }
        }
    }
}
