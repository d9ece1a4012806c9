//! A one-shot result cell that a thread can block on and a task can await.
//!
//! Used where a value crosses threads once: the result of a task spawned from another thread
//! ([`RemoteTask`](crate::RemoteTask)) and of a closure run by [`to_thread`](crate::to_thread).
//! One mutex guards the value and the waiting task's waker; blocked threads sleep on a
//! condition variable. Wakers are woken after the lock is released.

use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::loom::{Condvar, Mutex};

/// The state behind the lock.
struct Slot<T> {
    /// The value, once set and until taken.
    value: Option<T>,
    /// Set once `complete` ran (the value may since have been taken).
    done: bool,
    /// The task waiting for the value.
    waker: Option<Waker>,
}

/// A one-shot cell: completed once, taken once.
pub(crate) struct Promise<T> {
    /// Value and waiting task.
    slot: Mutex<Slot<T>>,
    /// Threads blocked in `wait`.
    cv: Condvar,
}

impl<T> Promise<T> {
    /// An empty cell.
    pub(crate) fn new() -> Promise<T> {
        Promise {
            slot: Mutex::new(Slot {
                value: None,
                done: false,
                waker: None,
            }),
            cv: Condvar::new(),
        }
    }

    /// Stores the value and wakes the waiters; false (value dropped) if already completed.
    pub(crate) fn complete(&self, value: T) -> bool {
        let waker = {
            let mut slot = self.slot.lock();
            if slot.done {
                return false;
            }
            slot.done = true;
            slot.value = Some(value);
            slot.waker.take()
        };
        self.cv.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    /// True once completed.
    pub(crate) fn is_done(&self) -> bool {
        self.slot.lock().done
    }

    /// The value if ready (`Ready(None)` if it was already taken), else registers the waker.
    pub(crate) fn poll_take(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut slot = self.slot.lock();
        if slot.done {
            return Poll::Ready(slot.value.take());
        }
        if !slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            slot.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Blocks the thread until completed or `timeout` passed (`None`: no limit).
    /// `Ok(value)` (`None` if already taken) or `Err(())` on timeout.
    pub(crate) fn wait_take(&self, timeout: Option<Duration>) -> Result<Option<T>, ()> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut slot = self.slot.lock();
        while !slot.done {
            match (timeout, deadline) {
                (Some(_), Some(d)) => {
                    let now = Instant::now();
                    if now >= d {
                        return Err(());
                    }
                    slot = self.cv.wait_timeout(slot, d - now);
                }
                // No timeout, or one too far to represent: wait without limit.
                _ => slot = self.cv.wait(slot),
            }
        }
        Ok(slot.value.take())
    }
}

#[cfg(all(test, strands_loom))]
mod tests {
    use super::*;
    use crate::loom::{thread, Arc};

    #[test]
    fn loom_blocking_waiter_sees_the_value() {
        loom::model(|| {
            let p = Arc::new(Promise::new());
            let q = p.clone();
            let t = thread::spawn(move || assert!(q.complete(7)));
            assert_eq!(p.wait_take(None), Ok(Some(7)));
            t.join().unwrap();
        });
    }

    #[test]
    fn loom_async_waiter_is_woken() {
        loom::model(|| {
            let p = Arc::new(Promise::new());
            let q = p.clone();
            let t = thread::spawn(move || assert!(q.complete(7)));
            let v = loom::future::block_on(std::future::poll_fn(|cx| p.poll_take(cx)));
            assert_eq!(v, Some(7));
            t.join().unwrap();
        });
    }
}
