//! The lock word shared by [`Lock`](super::Lock) and [`Mutex`](super::Mutex).
//!
//! # Design
//!
//! One atomic word with two bits, plus a [`WaitList`] behind the internal mutex:
//!
//! - `LOCKED`: somebody holds the lock;
//! - `WAITERS`: the list may be non-empty, so `unlock` must take the slow path.
//!
//! Uncontended lock and unlock are one compare-and-swap each. A waiter sets `WAITERS` (with a
//! CAS that fails if the lock was released meanwhile, in which case it retries the
//! acquisition) *while holding the internal mutex*, and links itself before releasing it; an
//! unlocker that sees `WAITERS` takes the same mutex, so it finds the waiter: no lost
//! wake-up. The slow unlock notifies the oldest waiter and releases the lock in one store,
//! keeping `WAITERS` if others remain. Barging is allowed (see the fairness note in
//! [`waitlist`](super::waitlist)).

use core::marker::PhantomData;
use std::time::Duration;

use crate::loom::atomic::{AtomicUsize, Ordering};
use crate::loom::Mutex;
use crate::sync::engine::{self, WaitOp};
use crate::sync::waitlist::{WaitList, WakeBatch};

/// Bit: the lock is held.
const LOCKED: usize = 1;
/// Bit: the wait list may have waiters; unlock takes the slow path.
const WAITERS: usize = 2;
/// Spin/yield rounds before a blocking caller waits (a short critical section often ends
/// meanwhile).
const SPINS: u32 = 10;

/// A raw lock: acquire/release with no owner tracking.
#[derive(Debug, Default)]
pub(crate) struct RawLock {
    /// `LOCKED | WAITERS` bits.
    state: AtomicUsize,
    /// Waiters, behind the internal mutex.
    waiters: Mutex<WaitList>,
}

impl RawLock {
    /// An unlocked lock.
    pub(crate) fn new() -> Self {
        RawLock {
            state: AtomicUsize::new(0),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Acquires if free.
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        // Common case first: free, nobody waiting.
        if self
            .state
            .compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            crate::sync::trace::acquired(self as *const _ as usize);
            return true;
        }
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if s & LOCKED != 0 {
                return false;
            }
            match self.state.compare_exchange_weak(
                s,
                s | LOCKED,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    crate::sync::trace::acquired(self as *const _ as usize);
                    return true;
                }
                Err(now) => s = now,
            }
        }
    }

    /// True if held.
    pub(crate) fn is_locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) & LOCKED != 0
    }

    /// Spins briefly, then tries once more.
    fn spin_lock(&self) -> bool {
        // Under a model checker every load is a scheduling point: do not spin there.
        if crate::loom::MODEL {
            return self.try_lock();
        }
        // As parking_lot: a few exponential busy-waits, then a few yields (on a loaded
        // machine the holder may need our core to finish its critical section).
        for step in 0..SPINS {
            if self.state.load(Ordering::Relaxed) & LOCKED == 0 && self.try_lock() {
                return true;
            }
            if step < 3 {
                for _ in 0..(4u32 << step) {
                    core::hint::spin_loop();
                }
            } else {
                crate::loom::thread::yield_now();
            }
        }
        self.try_lock()
    }

    /// Blocks until acquired, or `timeout` passes (`None` = forever); true if acquired.
    pub(crate) fn lock_blocking(&self, timeout: Option<Duration>) -> bool {
        if self.try_lock() || self.spin_lock() {
            return true;
        }
        // `None`, and timeouts too long to represent (`Duration::MAX`), wait forever.
        let deadline = timeout.and_then(engine::deadline);
        engine::run_blocking(&self, &mut RawLockOp::new(), deadline).is_some()
    }

    /// Releases; wakes the oldest waiter if any.
    #[inline]
    pub(crate) fn unlock(&self) {
        crate::sync::trace::released(self as *const _ as usize);
        if self
            .state
            .compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            self.unlock_slow();
        }
    }

    /// Release with `WAITERS` set: notify one waiter under the internal mutex.
    #[cold]
    fn unlock_slow(&self) {
        let mut wakes = WakeBatch::new();
        let mut list = self.waiters.lock();
        list.notify_one(0, &mut wakes);
        let rest = if list.is_empty() { 0 } else { WAITERS };
        // Only the holder changes `LOCKED`; waiters change bits under `waiters`, which we hold.
        self.state.store(rest, Ordering::Release);
    }
}

/// The acquisition, as a [`WaitOp`].
#[derive(Debug)]
pub(crate) struct RawLockOp<'a>(PhantomData<&'a RawLock>);

impl RawLockOp<'_> {
    /// A new acquisition.
    pub(crate) fn new() -> Self {
        RawLockOp(PhantomData)
    }
}

impl<'a> WaitOp for RawLockOp<'a> {
    type Shared = &'a RawLock;
    type State = WaitList;
    type Output = ();

    fn mutex<'s>(shared: &'s &'a RawLock) -> &'s Mutex<WaitList> {
        &shared.waiters
    }

    fn attempt(
        &mut self,
        lock: &&'a RawLock,
        _st: &mut WaitList,
        _notified: Option<usize>,
        _wakes: &mut WakeBatch,
    ) -> Option<()> {
        let mut s = lock.state.load(Ordering::Relaxed);
        loop {
            let (new, ord) = if s & LOCKED == 0 {
                (s | LOCKED, Ordering::Acquire)
            } else {
                (s | WAITERS, Ordering::Relaxed)
            };
            match lock
                .state
                .compare_exchange_weak(s, new, ord, Ordering::Relaxed)
            {
                Ok(_) if s & LOCKED == 0 => {
                    crate::sync::trace::acquired(*lock as *const _ as usize);
                    return Some(());
                }
                Ok(_) => return None,
                Err(now) => s = now,
            }
        }
    }

    fn try_fast(&mut self, lock: &&'a RawLock) -> Option<()> {
        lock.try_lock().then_some(())
    }

    fn try_spin(&mut self, lock: &&'a RawLock) -> Option<()> {
        lock.spin_lock().then_some(())
    }

    fn list<'s>(&self, st: &'s mut WaitList) -> &'s mut WaitList {
        st
    }
}
