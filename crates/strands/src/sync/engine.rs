//! One state machine, two front doors: the driver shared by every blocking point.
//!
//! A primitive describes one operation as a [`WaitOp`]: an `attempt` run under the
//! primitive's internal mutex that either completes or asks to wait on a [`WaitList`]. Then:
//!
//! - [`Wait`] drives the op as a future (`.await`): its [`Node`] is pinned inside it;
//! - [`run_blocking`] drives the same op on a thread: the node is on the caller's stack and
//!   the thread parks, with an optional deadline.
//!
//! Notifications are "re-check" signals carrying a small message. A waiter that is notified
//! re-runs `attempt` (with the message) and, if it still cannot complete, goes back to the
//! *head* of the list. A future dropped after it was notified but before it re-ran `attempt`
//! hands the notification on ([`WaitOp::cancelled`]), so no wake-up is lost.

use core::future::Future;
use core::pin::{pin, Pin};
use core::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::loom::thread;
use crate::loom::Mutex;
use crate::sync::waitlist::{Node, Position, WaitList, Wake, WakeBatch};

/// One operation on a primitive, as a state machine run under the primitive's mutex.
pub(crate) trait WaitOp {
    /// Handle to the primitive (`&'a P` or `Arc<P>`).
    type Shared;
    /// What the primitive's mutex guards.
    type State;
    /// What the operation produces.
    type Output;

    /// The primitive's internal mutex.
    fn mutex(shared: &Self::Shared) -> &Mutex<Self::State>;

    /// Tries to complete, under the mutex. `notified` is the message if this waiter was just
    /// notified. `None` means "wait on [`list`](Self::list)".
    fn attempt(
        &mut self,
        shared: &Self::Shared,
        st: &mut Self::State,
        notified: Option<usize>,
        wakes: &mut WakeBatch,
    ) -> Option<Self::Output>;

    /// A lock-free first try, made once before the mutex is taken (e.g. the lock word's
    /// compare-and-swap). Default: none.
    fn try_fast(&mut self, shared: &Self::Shared) -> Option<Self::Output> {
        let _ = shared;
        None
    }

    /// What a woken *thread* tries before taking the mutex again: by default
    /// [`try_fast`](Self::try_fast); a lock spins briefly here (a thread may spin, a task
    /// poll may not).
    fn try_spin(&mut self, shared: &Self::Shared) -> Option<Self::Output> {
        self.try_fast(shared)
    }

    /// The list this operation waits on.
    fn list<'s>(&self, st: &'s mut Self::State) -> &'s mut WaitList;

    /// Called once, after the op was first linked and the mutex released (Condition gives up
    /// the user's lock here).
    fn enqueued(&mut self) {}

    /// The waiter gave up (future dropped, or blocking timeout) after being linked; `notified`
    /// is a notification it received and did not consume. Default: hand it to the next
    /// waiter.
    fn cancelled(&mut self, st: &mut Self::State, notified: Option<usize>, wakes: &mut WakeBatch) {
        if let Some(msg) = notified {
            self.list(st).notify_one(msg, wakes);
        }
    }
}

/// Panics if the calling thread runs an event loop: a blocking call there would stall it.
#[track_caller]
pub(crate) fn assert_may_block(what: &str) {
    if crate::event_loop::is_loop_thread() {
        panic!(
            "strands: {what} would block the event loop's thread; \
             use the async form (`.await`) or move the call to a thread with strands::to_thread"
        );
    }
}

/// The deadline `d` from now; `None` (wait forever) if it is not representable
/// (e.g. `Duration::MAX`).
pub(crate) fn deadline(d: Duration) -> Option<Instant> {
    Instant::now().checked_add(d)
}

/// Parks the current thread until unparked or `deadline` (spurious returns possible).
fn park_until(deadline: Option<Instant>) {
    #[cfg(not(strands_loom))]
    match deadline {
        // Model checkers have no clock: a timed park is a park.
        Some(_) if crate::loom::MODEL => thread::park(),
        None => thread::park(),
        Some(d) => {
            let now = Instant::now();
            if d > now {
                thread::park_timeout(d - now);
            }
        }
    }
    #[cfg(strands_loom)]
    {
        // loom has no clock: a timed park is modelled as a park (models use no deadlines).
        let _ = deadline;
        thread::park();
    }
}

/// Busy-wait iterations before a linked thread parks.
const SPIN_LOOPS: u32 = 64;
/// `yield_now` calls after that, before parking.
const SPIN_YIELDS: u32 = 8;

/// One step of the short spin a linked thread does before parking: a hand-off often lands
/// within microseconds, and a notify to a thread that has not parked yet costs no syscall.
/// Returns false once the spin budget is spent.
fn spin_wait(spins: &mut u32) -> bool {
    if crate::loom::MODEL || *spins >= SPIN_LOOPS + SPIN_YIELDS {
        return false;
    }
    *spins += 1;
    if *spins <= SPIN_LOOPS {
        core::hint::spin_loop();
    } else {
        thread::yield_now();
    }
    true
}

/// True once `deadline` has passed.
fn expired(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}

/// Drives `op` on the calling thread, parking until it completes or `deadline` passes
/// (`None` = no deadline). Returns `None` on timeout; the op keeps its payload.
pub(crate) fn run_blocking<O: WaitOp>(
    shared: &O::Shared,
    op: &mut O,
    deadline: Option<Instant>,
) -> Option<O::Output> {
    let node = pin!(Node::new());
    let node = node.as_ref();
    let mut notified = None;
    let mut first = true;
    loop {
        if notified.is_some() {
            // Woken: the resource is probably free; try without the mutex first.
            if let Some(out) = op.try_spin(shared) {
                return Some(out);
            }
        }
        {
            let mut wakes = WakeBatch::new();
            let mut st = O::mutex(shared).lock();
            let pos = if notified.is_some() {
                Position::Front
            } else {
                Position::Back
            };
            if let Some(out) = op.attempt(shared, &mut st, notified.take(), &mut wakes) {
                return Some(out);
            }
            if expired(deadline) {
                return None;
            }
            // SAFETY: we hold the mutex; the node is pinned on this frame, which does not
            // return before the node is unlinked (below: notified, or removed on timeout).
            unsafe {
                op.list(&mut st)
                    .push(node, Wake::Thread(thread::current()), pos)
            };
        }
        if first {
            first = false;
            op.enqueued();
        }
        let mut spins = 0u32;
        loop {
            if let Some(msg) = node.notified() {
                node.reset();
                notified = Some(msg);
                break;
            }
            if spin_wait(&mut spins) {
                continue;
            }
            if expired(deadline) {
                let mut wakes = WakeBatch::new();
                let mut st = O::mutex(shared).lock();
                // SAFETY: we hold the mutex and the node was linked in this op's list.
                if unsafe { op.list(&mut st).remove(node) } {
                    op.cancelled(&mut st, None, &mut wakes);
                    return None;
                }
                // Notified just now: consume it with one last attempt.
                let msg = node.notified();
                node.reset();
                let out = op.attempt(shared, &mut st, msg, &mut wakes);
                if out.is_none() {
                    if let Some(m) = msg {
                        // Not consumed: not ours to keep.
                        op.cancelled(&mut st, Some(m), &mut wakes);
                    }
                }
                return out;
            }
            park_until(deadline);
        }
    }
}

/// Drives `op` as a future. Cancel-safe in the sense of [`WaitOp::cancelled`].
#[derive(Debug)]
pub(crate) struct Wait<O: WaitOp> {
    /// The primitive.
    shared: O::Shared,
    /// The operation's own state (payload, owner, …); `None` once completed.
    op: Option<O>,
    /// This waiter; pinned with the future.
    node: Node,
    /// True while `node` may be linked in (or notified by) a list.
    queued: bool,
    /// `enqueued` has been called.
    announced: bool,
}

impl<O: WaitOp> Wait<O> {
    /// A future that runs `op` on `shared`.
    pub(crate) fn new(shared: O::Shared, op: O) -> Self {
        Wait {
            shared,
            op: Some(op),
            node: Node::new(),
            queued: false,
            announced: false,
        }
    }

    /// The primitive handle.
    pub(crate) fn shared(&self) -> &O::Shared {
        &self.shared
    }
}

impl<O: WaitOp> Future for Wait<O> {
    type Output = O::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<O::Output> {
        // SAFETY: we never move `node` out of the pinned future; the other fields are not
        // structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `node` is a field of a pinned future, so it is pinned too.
        let node = unsafe { Pin::new_unchecked(&this.node) };
        let Some(op) = this.op.as_mut() else {
            panic!("strands: a wait future was polled after it completed");
        };
        if !this.queued {
            if let Some(out) = op.try_fast(&this.shared) {
                this.op = None;
                return Poll::Ready(out);
            }
        }
        let mut wakes = WakeBatch::new();
        let mut st = O::mutex(&this.shared).lock();
        let mut notified = None;
        if this.queued {
            if node.is_waiting() {
                // Still linked: refresh the waker and keep waiting.
                // SAFETY: we hold the mutex; the node is WAITING in this op's list.
                unsafe { node.update_waker(cx.waker()) };
                return Poll::Pending;
            }
            notified = node.notified();
            node.reset();
            this.queued = false;
        }
        let pos = if notified.is_some() {
            Position::Front
        } else {
            Position::Back
        };
        if let Some(out) = op.attempt(&this.shared, &mut st, notified, &mut wakes) {
            drop(st);
            this.op = None;
            return Poll::Ready(out);
        }
        // SAFETY: we hold the mutex; the node is pinned in this future, whose `Drop` unlinks
        // it before it is freed.
        unsafe {
            op.list(&mut st)
                .push(node, Wake::Task(cx.waker().clone()), pos)
        };
        this.queued = true;
        drop(st);
        if !this.announced {
            this.announced = true;
            op.enqueued();
        }
        Poll::Pending
    }
}

impl<O: WaitOp> Drop for Wait<O> {
    fn drop(&mut self) {
        if !self.queued {
            return;
        }
        let Some(op) = self.op.as_mut() else {
            return;
        };
        // SAFETY: `queued` is only set by `poll`, so the future was pinned; `node` is still in
        // place (drop runs before the memory is released).
        let node = unsafe { Pin::new_unchecked(&self.node) };
        let mut wakes = WakeBatch::new();
        let mut st = O::mutex(&self.shared).lock();
        // SAFETY: we hold the mutex; the node is linked in this op's list or was notified.
        let notified = if unsafe { op.list(&mut st).remove(node) } {
            None
        } else {
            node.notified()
        };
        node.reset();
        op.cancelled(&mut st, notified, &mut wakes);
    }
}
