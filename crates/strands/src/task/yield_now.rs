//! `yield_now`: let every other ready task run once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Gives the other tasks a turn (asyncio's `await asyncio.sleep(0)`): the calling task runs
/// again after every task that was ready before it.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// let log = Rc::new(RefCell::new(Vec::new()));
/// strands::run({
///     let log = log.clone();
///     async move {
///         let l = log.clone();
///         let other = strands::spawn(async move { l.borrow_mut().push("other") });
///         strands::yield_now().await; // `other` runs here
///         log.borrow_mut().push("main");
///         other.await.unwrap();
///     }
/// })
/// .unwrap();
/// assert_eq!(*log.borrow(), ["other", "main"]);
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
///
/// # Examples
///
/// ```
/// let y: strands::task::YieldNow = strands::yield_now();
/// strands::run(y).unwrap();
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    /// True after the first poll.
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
