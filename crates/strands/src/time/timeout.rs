//! `timeout`: give up on a future after a while.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::time::sleep::{sleep, sleep_until, Sleep};

/// Runs `future` for at most `duration` (asyncio's `wait_for`). When time runs out the
/// inner future is **dropped at once** (cancelled) and the result is `Err(Elapsed)`. A
/// future that is ready at its first poll wins even with a zero timeout.
///
/// # Errors
///
/// [`Elapsed`] if the time ran out first.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// strands::run(async {
///     let slow = strands::sleep(Duration::from_secs(60));
///     assert!(strands::timeout(Duration::from_millis(5), slow).await.is_err());
///     assert_eq!(strands::timeout(Duration::from_secs(1), async { 1 }).await.unwrap(), 1);
/// })
/// .unwrap();
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future: Some(future),
        sleep: sleep(duration),
    }
}

/// Like [`timeout`] with a deadline.
///
/// # Errors
///
/// [`Elapsed`] if the deadline passed first.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// strands::run(async {
///     let at = Instant::now() + Duration::from_millis(2);
///     assert!(strands::timeout_at(at, std::future::pending::<()>()).await.is_err());
/// })
/// .unwrap();
/// ```
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future: Some(future),
        sleep: sleep_until(deadline),
    }
}

/// The future of [`timeout`].
///
/// # Examples
///
/// ```
/// let t: strands::Timeout<std::future::Ready<u8>> =
///     strands::timeout(std::time::Duration::from_secs(1), std::future::ready(1));
/// assert_eq!(strands::run(t).unwrap().unwrap(), 1);
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Timeout<F> {
    /// The inner future; `None` once it finished or was cancelled.
    future: Option<F>,
    /// The deadline.
    sleep: Sleep,
}

/// The error of [`timeout`]: time ran out.
///
/// # Examples
///
/// ```
/// strands::run(async {
///     let e = strands::timeout(std::time::Duration::ZERO, std::future::pending::<()>())
///         .await
///         .unwrap_err();
///     assert_eq!(e.to_string(), "deadline has elapsed");
/// })
/// .unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl<F> Timeout<F> {
    /// The inner future, unless it finished or was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = strands::timeout(std::time::Duration::from_secs(1), async { 1 });
    /// assert!(t.get_ref().is_some());
    /// ```
    pub fn get_ref(&self) -> Option<&F> {
        self.future.as_ref()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned (never moved; dropped in place through
        // `Pin::set`), `sleep` is `Unpin` and not treated as pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let mut future = unsafe { Pin::new_unchecked(&mut this.future) };
        let Some(inner) = future.as_mut().as_pin_mut() else {
            return Poll::Ready(Err(Elapsed(())));
        };
        if let Poll::Ready(v) = inner.poll(cx) {
            future.set(None);
            return Poll::Ready(Ok(v));
        }
        match this.sleep.poll_sleep(cx) {
            Poll::Ready(()) => {
                future.set(None);
                Poll::Ready(Err(Elapsed(())))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("deadline", &self.sleep.deadline())
            .field("finished", &self.future.is_none())
            .finish()
    }
}
