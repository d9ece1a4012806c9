//! A one-shot result cell on the wait list: the core of thread-pool futures and thread join
//! handles. A producer moves it `Pending → Running → Done`, or a canceller
//! `Pending → Cancelled`; any number of threads and tasks can wait for the end.

use core::fmt;
use std::time::Instant;

use crate::loom::{Arc, Mutex};
use crate::sync::engine::{self, Wait, WaitOp};
use crate::sync::waitlist::{WaitList, WakeBatch};

/// Where the result is.
enum Slot<R> {
    /// Not started; may still be cancelled.
    Pending,
    /// Running; can no longer be cancelled.
    Running,
    /// Finished; the result waits to be taken.
    Done(R),
    /// Cancelled before it ran.
    Cancelled,
    /// The result was taken.
    Taken,
}

/// What the mutex guards.
struct State<R> {
    /// The result.
    slot: Slot<R>,
    /// Waiters for the end.
    waiters: WaitList,
}

/// A one-shot result shared by a producer and its waiters.
pub(crate) struct Completion<R> {
    /// Slot and waiters.
    state: Mutex<State<R>>,
}

impl<R> fmt::Debug for Completion<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Completion")
    }
}

/// How a wait ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome<R> {
    /// The result.
    Done(R),
    /// Cancelled before it ran.
    Cancelled,
    /// Someone already took the result.
    Taken,
}

impl<R> Default for Completion<R> {
    fn default() -> Self {
        Completion {
            state: Mutex::new(State {
                slot: Slot::Pending,
                waiters: WaitList::new(),
            }),
        }
    }
}

impl<R> Completion<R> {
    /// Pending → Running; false if it was cancelled.
    pub(crate) fn start(&self) -> bool {
        let mut st = self.state.lock();
        match st.slot {
            Slot::Pending => {
                st.slot = Slot::Running;
                true
            }
            _ => false,
        }
    }

    /// Stores the result and wakes every waiter.
    pub(crate) fn complete(&self, r: R) {
        let mut wakes = WakeBatch::new();
        let mut st = self.state.lock();
        st.slot = Slot::Done(r);
        st.waiters.notify_all(0, &mut wakes);
    }

    /// Pending → Cancelled (waking waiters); true if it is cancelled now.
    pub(crate) fn cancel(&self) -> bool {
        let mut wakes = WakeBatch::new();
        let mut st = self.state.lock();
        match st.slot {
            Slot::Pending => {
                st.slot = Slot::Cancelled;
                st.waiters.notify_all(0, &mut wakes);
                true
            }
            Slot::Cancelled => true,
            _ => false,
        }
    }

    /// True once finished, cancelled or taken.
    pub(crate) fn is_done(&self) -> bool {
        !matches!(self.state.lock().slot, Slot::Pending | Slot::Running)
    }

    /// True while running.
    pub(crate) fn is_running(&self) -> bool {
        matches!(self.state.lock().slot, Slot::Running)
    }

    /// True if cancelled.
    pub(crate) fn is_cancelled(&self) -> bool {
        matches!(self.state.lock().slot, Slot::Cancelled)
    }

    /// Blocks until the end or `deadline`; `None` on timeout.
    pub(crate) fn wait_until(this: &Arc<Self>, deadline: Option<Instant>) -> Option<Outcome<R>> {
        engine::run_blocking(this, &mut TakeOp(core::marker::PhantomData), deadline)
    }

    /// A future of the end (lazy: it waits only once polled).
    pub(crate) fn wait(this: Arc<Self>) -> CompletionWait<R> {
        CompletionWait {
            wait: Wait::new(this, TakeOp(core::marker::PhantomData)),
        }
    }
}

/// Taking the result, as a [`WaitOp`].
struct TakeOp<R>(core::marker::PhantomData<fn() -> R>);

impl<R> fmt::Debug for TakeOp<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TakeOp")
    }
}

impl<R> WaitOp for TakeOp<R> {
    type Shared = Arc<Completion<R>>;
    type State = State<R>;
    type Output = Outcome<R>;

    fn mutex(c: &Arc<Completion<R>>) -> &Mutex<State<R>> {
        &c.state
    }

    fn attempt(
        &mut self,
        _: &Arc<Completion<R>>,
        st: &mut State<R>,
        _: Option<usize>,
        _: &mut WakeBatch,
    ) -> Option<Outcome<R>> {
        match core::mem::replace(&mut st.slot, Slot::Taken) {
            Slot::Done(r) => Some(Outcome::Done(r)),
            Slot::Cancelled => {
                st.slot = Slot::Cancelled;
                Some(Outcome::Cancelled)
            }
            Slot::Taken => Some(Outcome::Taken),
            other => {
                st.slot = other;
                None
            }
        }
    }

    fn list<'s>(&self, st: &'s mut State<R>) -> &'s mut WaitList {
        &mut st.waiters
    }

    fn cancelled(&mut self, _: &mut State<R>, _: Option<usize>, _: &mut WakeBatch) {
        // Waiters are woken all at once: nothing to pass on.
    }
}

/// The future of [`Completion::wait`].
#[must_use = "futures do nothing unless awaited"]
pub(crate) struct CompletionWait<R> {
    /// The shared wait driver.
    wait: Wait<TakeOp<R>>,
}

impl<R> fmt::Debug for CompletionWait<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CompletionWait")
    }
}

impl<R> CompletionWait<R> {
    /// The cell waited on.
    pub(crate) fn completion(&self) -> &Arc<Completion<R>> {
        self.wait.shared()
    }
}

impl<R> core::future::Future for CompletionWait<R> {
    type Output = Outcome<R>;

    fn poll(
        self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<Outcome<R>> {
        // SAFETY: `wait` is structurally pinned: never moved out of the pinned future.
        unsafe { self.map_unchecked_mut(|s| &mut s.wait) }.poll(cx)
    }
}
