//! The wait list: the one place where threads and tasks wait.
//!
//! # Design
//!
//! A [`WaitList`] is an intrusive, doubly linked FIFO of [`Node`]s. A node lives *inside* the
//! waiting future (pinned) or on the stack of the blocking caller, so waiting allocates
//! nothing. Each node carries a [`Wake`]: the parked thread's handle or the task's `Waker`.
//!
//! Every list is owned by a primitive and guarded by that primitive's internal
//! [`Mutex`](crate::loom::Mutex). The invariants:
//!
//! - `links` of a node (prev, next, wake) are read and written only while the owning
//!   primitive's mutex is held;
//! - `state` is an atomic: `IDLE` (not in a list), `WAITING` (linked) or `NOTIFIED + msg`
//!   (unlinked by a notifier, who wrote `msg`). A notifier takes the `Wake` out of the node and
//!   only then stores `NOTIFIED` with `Release`: after that store it never touches the node
//!   again. So a waiter that loads `NOTIFIED` with `Acquire` may return (and free its node)
//!   without taking the lock;
//! - a node is unlinked before it is freed: the future's `Drop` and the blocking driver (see
//!   `engine`) remove it under the lock if it is still `WAITING`;
//! - wake-ups are collected in a [`WakeBatch`] under the lock and delivered after it is
//!   released (`WakeBatch` is declared before the guard, and wakes on drop).
//!
//! # Fairness
//!
//! Waiters are woken in FIFO order. A woken waiter re-checks the primitive; if a caller that
//! did not wait took the resource first ("barging", which keeps throughput high under
//! contention), the woken waiter goes back to the **head** of the list. So the order among
//! waiters is FIFO; a waiter can be overtaken only by callers that arrive while it is being
//! woken.
//!
//! # Debug seam
//!
//! Every wait, wake and cancel goes through [`crate::sync::trace`], today a set of inline
//! no-ops, where the debug mode can learn who waits for what.

use core::marker::PhantomPinned;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::Waker;

use crate::loom::atomic::{AtomicUsize, Ordering};
use crate::loom::thread::Thread;
use crate::loom::UnsafeCell;

/// Node state: not in any list.
const IDLE: usize = 0;
/// Node state: linked in a list, waiting to be notified.
const WAITING: usize = 1;
/// Node state base: notified; `state - NOTIFIED` is the message from the notifier.
const NOTIFIED: usize = 2;

/// How to wake a waiter.
#[derive(Debug)]
pub(crate) enum Wake {
    /// A parked thread.
    Thread(Thread),
    /// A task.
    Task(Waker),
}

impl Wake {
    /// Delivers the wake-up.
    fn wake(self) {
        match self {
            Wake::Thread(t) => t.unpark(),
            Wake::Task(w) => w.wake(),
        }
    }
}

/// Wake-ups collected under a lock, delivered when dropped (after the lock is released).
///
/// Declare it *before* the guard of the lock so that it drops after the guard.
#[derive(Debug, Default)]
pub(crate) struct WakeBatch {
    /// The first wake-up, kept inline: the common case (notify one) allocates nothing.
    first: Option<Wake>,
    /// Any further wake-ups (notify all).
    rest: Vec<Wake>,
}

impl WakeBatch {
    /// An empty batch.
    pub(crate) const fn new() -> Self {
        WakeBatch {
            first: None,
            rest: Vec::new(),
        }
    }

    /// Queues a wake-up.
    fn push(&mut self, wake: Wake) {
        if self.first.is_none() {
            self.first = Some(wake);
        } else {
            self.rest.push(wake);
        }
    }
}

impl Drop for WakeBatch {
    fn drop(&mut self) {
        if let Some(w) = self.first.take() {
            w.wake();
        }
        for w in self.rest.drain(..) {
            w.wake();
        }
    }
}

/// The part of a node that only the list's lock holder touches.
#[derive(Debug)]
struct Links {
    /// Previous node (towards the head).
    prev: Option<NonNull<Node>>,
    /// Next node (towards the tail).
    next: Option<NonNull<Node>>,
    /// How to wake this waiter; taken by the notifier.
    wake: Option<Wake>,
}

/// One waiter: lives in a pinned future or on a blocking caller's stack.
#[derive(Debug)]
pub(crate) struct Node {
    /// `IDLE`, `WAITING` or `NOTIFIED + msg`; see the module docs.
    state: AtomicUsize,
    /// Guarded by the owning primitive's mutex.
    links: UnsafeCell<Links>,
    /// Nodes are linked by address.
    _pin: PhantomPinned,
}

// SAFETY: `links` holds raw pointers to other nodes and a `Wake` (Send + Sync); it is only
// accessed under the owning primitive's mutex, which serializes every access across threads.
unsafe impl Send for Node {}
// SAFETY: as above: shared access from several threads goes through the mutex (for `links`) or
// is atomic (for `state`).
unsafe impl Sync for Node {}

impl Node {
    /// A fresh, unlinked node.
    pub(crate) fn new() -> Self {
        Node {
            state: AtomicUsize::new(IDLE),
            links: UnsafeCell::new(Links {
                prev: None,
                next: None,
                wake: None,
            }),
            _pin: PhantomPinned,
        }
    }

    /// The notifier's message if this node was notified (no lock needed).
    pub(crate) fn notified(&self) -> Option<usize> {
        let s = self.state.load(Ordering::Acquire);
        s.checked_sub(NOTIFIED)
    }

    /// True while the node is linked in a list.
    pub(crate) fn is_waiting(&self) -> bool {
        self.state.load(Ordering::Acquire) == WAITING
    }

    /// Marks a consumed notification: the node may be linked again.
    pub(crate) fn reset(&self) {
        self.state.store(IDLE, Ordering::Relaxed);
    }

    /// Replaces the stored waker if it would not wake the same task.
    ///
    /// # Safety
    ///
    /// The caller holds the mutex of the list this node is linked in, and the node is
    /// `WAITING`.
    pub(crate) unsafe fn update_waker(&self, waker: &Waker) {
        let same = self.links.with(|l| {
            // SAFETY: the caller holds the list's mutex, which guards `links`.
            let l = unsafe { &*l };
            matches!(&l.wake, Some(Wake::Task(w)) if w.will_wake(waker))
        });
        if !same {
            self.links.with_mut(|l| {
                // SAFETY: as above.
                unsafe { (*l).wake = Some(Wake::Task(waker.clone())) };
            });
        }
    }
}

/// An intrusive FIFO of waiters. Guarded by its primitive's mutex.
#[derive(Debug, Default)]
pub(crate) struct WaitList {
    /// Oldest waiter.
    head: Option<NonNull<Node>>,
    /// Newest waiter.
    tail: Option<NonNull<Node>>,
    /// Number of linked nodes.
    len: usize,
}

// SAFETY: the list only holds pointers to nodes that are `Send + Sync`; it is always accessed
// under its primitive's mutex.
unsafe impl Send for WaitList {}
// SAFETY: as above; `&WaitList` only exposes `len`/`is_empty`.
unsafe impl Sync for WaitList {}

/// Where to link a new waiter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Position {
    /// At the tail: a new waiter.
    Back,
    /// At the head: a woken waiter that lost a race keeps its turn.
    Front,
}

impl WaitList {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        WaitList {
            head: None,
            tail: None,
            len: 0,
        }
    }

    /// True if nobody waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Links `node` with `wake`.
    ///
    /// # Safety
    ///
    /// The caller holds this list's mutex; `node` is `IDLE` and stays valid (it is pinned)
    /// until it has been removed from the list by [`remove`](Self::remove) or a notify.
    pub(crate) unsafe fn push(&mut self, node: Pin<&Node>, wake: Wake, pos: Position) {
        let ptr = NonNull::from(&*node);
        node.state.store(WAITING, Ordering::Relaxed);
        let (prev, next) = match pos {
            Position::Back => (self.tail, None),
            Position::Front => (None, self.head),
        };
        node.links.with_mut(|l| {
            // SAFETY: the caller holds the mutex that guards `links`.
            let l = unsafe { &mut *l };
            l.prev = prev;
            l.next = next;
            l.wake = Some(wake);
        });
        match prev {
            // SAFETY: `p` is linked in this list, so valid; we hold the mutex.
            Some(p) => unsafe { set_next(p, Some(ptr)) },
            None => self.head = Some(ptr),
        }
        match next {
            // SAFETY: as above.
            Some(n) => unsafe { set_prev(n, Some(ptr)) },
            None => self.tail = Some(ptr),
        }
        self.len += 1;
        crate::sync::trace::wait(self as *const _ as usize);
    }

    /// Unlinks `node` if it is still waiting; returns whether it was.
    ///
    /// # Safety
    ///
    /// The caller holds this list's mutex, and `node` is either not linked or linked in
    /// *this* list.
    pub(crate) unsafe fn remove(&mut self, node: Pin<&Node>) -> bool {
        if node.state.load(Ordering::Relaxed) != WAITING {
            return false;
        }
        // SAFETY: the node is linked in this list (caller's contract) and we hold the mutex.
        unsafe { self.unlink(NonNull::from(&*node)) };
        node.state.store(IDLE, Ordering::Relaxed);
        crate::sync::trace::cancel(self as *const _ as usize);
        true
    }

    /// Unlinks a node and returns its `Wake`.
    ///
    /// # Safety
    ///
    /// `ptr` is linked in this list; the caller holds the mutex.
    unsafe fn unlink(&mut self, ptr: NonNull<Node>) -> Option<Wake> {
        // SAFETY: `ptr` is linked, hence valid; we hold the mutex guarding `links`.
        let (prev, next, wake) = unsafe {
            ptr.as_ref().links.with_mut(|l| {
                let l = &mut *l;
                (l.prev.take(), l.next.take(), l.wake.take())
            })
        };
        match prev {
            // SAFETY: neighbours of a linked node are linked, hence valid.
            Some(p) => unsafe { set_next(p, next) },
            None => self.head = next,
        }
        match next {
            // SAFETY: as above.
            Some(n) => unsafe { set_prev(n, prev) },
            None => self.tail = prev,
        }
        self.len -= 1;
        wake
    }

    /// Notifies the oldest waiter with `msg`; returns false if the list was empty.
    pub(crate) fn notify_one(&mut self, msg: usize, wakes: &mut WakeBatch) -> bool {
        let Some(head) = self.head else {
            return false;
        };
        // SAFETY: `head` is linked in this list; `&mut self` means the caller holds the mutex
        // (lists are only reachable through their primitive's mutex guard).
        let wake = unsafe { self.unlink(head) };
        // SAFETY: still valid: its owner cannot free it before it observes NOTIFIED (or removes
        // it under the mutex, which we hold). This store is our last access to the node.
        unsafe { head.as_ref() }
            .state
            .store(NOTIFIED + msg, Ordering::Release);
        if let Some(w) = wake {
            wakes.push(w);
        }
        crate::sync::trace::wake(self as *const _ as usize);
        true
    }

    /// Notifies up to `n` waiters; returns how many were notified.
    pub(crate) fn notify_n(&mut self, n: usize, msg: usize, wakes: &mut WakeBatch) -> usize {
        let mut done = 0;
        while done < n && self.notify_one(msg, wakes) {
            done += 1;
        }
        done
    }

    /// Notifies every waiter; returns how many were notified.
    pub(crate) fn notify_all(&mut self, msg: usize, wakes: &mut WakeBatch) -> usize {
        self.notify_n(usize::MAX, msg, wakes)
    }
}

/// Sets `node.next`.
///
/// # Safety
///
/// `node` is linked and valid; the caller holds the list's mutex.
unsafe fn set_next(node: NonNull<Node>, next: Option<NonNull<Node>>) {
    // SAFETY: caller's contract.
    unsafe { node.as_ref().links.with_mut(|l| (*l).next = next) }
}

/// Sets `node.prev`.
///
/// # Safety
///
/// `node` is linked and valid; the caller holds the list's mutex.
unsafe fn set_prev(node: NonNull<Node>, prev: Option<NonNull<Node>>) {
    // SAFETY: caller's contract.
    unsafe { node.as_ref().links.with_mut(|l| (*l).prev = prev) }
}
