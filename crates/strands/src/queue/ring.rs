//! A bounded lock-free MPMC ring: the fast path of a bounded FIFO [`Queue`](super::Queue).
//!
//! # Design
//!
//! Dmitry Vyukov's bounded MPMC queue, as in crossbeam's `ArrayQueue` (rewritten here).
//! Each slot has a `stamp`; `head` and `tail` are positions `lap | index`, where one lap is
//! the next power of two above the capacity.
//!
//! - A slot is writable by the producer at position `tail` when `stamp == tail`; after the
//!   write it stores `stamp = tail + 1` (Release).
//! - It is readable by the consumer at position `head` when `stamp == head + 1`; after the
//!   read it stores `stamp = head + one_lap` (the producer position one lap later).
//! - `head` and `tail` are claimed with a compare-and-swap; a thread that finds a slot in a
//!   neighbour's intermediate state backs off and retries.
//!
//! Safety argument: a position is claimed by exactly one CAS winner, which alone touches the
//! slot's value until it publishes the new stamp (Release), and the next owner reads the
//! stamp with Acquire before touching the value. Values not popped are dropped with the ring.
//!
//! Waiting is not done here: the queue core parks waiters on its wait lists.

use core::mem::MaybeUninit;

use crate::loom::atomic::{self, AtomicUsize, Ordering};
use crate::loom::{thread, UnsafeCell};

/// Keeps `head` and `tail` on separate cache lines.
#[derive(Debug)]
#[repr(align(128))]
struct Padded<T>(T);

/// One slot.
#[derive(Debug)]
struct Slot<T> {
    /// Which position may use the slot next (see the module docs).
    stamp: AtomicUsize,
    /// The value; initialized iff a producer published it and no consumer took it.
    value: UnsafeCell<MaybeUninit<T>>,
}

/// The ring.
#[derive(Debug)]
pub(crate) struct Ring<T> {
    /// Next position to pop.
    head: Padded<AtomicUsize>,
    /// Next position to push.
    tail: Padded<AtomicUsize>,
    /// The slots.
    buffer: Box<[Slot<T>]>,
    /// Capacity.
    cap: usize,
    /// A lap: the power of two above `cap`.
    one_lap: usize,
}

// SAFETY: values of `T` move between threads through the ring: `T: Send` suffices, as for a
// channel; slots are only accessed by the one thread that claimed the position.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Ring<T> {}

/// Backs off a little more at each step; yields under a model checker or once spinning
/// stops paying.
fn backoff(step: &mut u32) {
    if crate::loom::MODEL || *step > 6 {
        thread::yield_now();
    } else {
        for _ in 0..(1u32 << *step) {
            core::hint::spin_loop();
        }
    }
    *step += 1;
}

impl<T> Ring<T> {
    /// A ring of `cap` slots (`cap >= 1`).
    pub(crate) fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        let one_lap = (cap + 1).next_power_of_two();
        let buffer = (0..cap)
            .map(|i| Slot {
                stamp: AtomicUsize::new(i),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        Ring {
            head: Padded(AtomicUsize::new(0)),
            tail: Padded(AtomicUsize::new(0)),
            buffer,
            cap,
            one_lap,
        }
    }

    /// The capacity.
    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    /// The position after `pos`.
    fn next(&self, pos: usize) -> usize {
        let index = pos & (self.one_lap - 1);
        let lap = pos & !(self.one_lap - 1);
        if index + 1 < self.cap {
            pos + 1
        } else {
            lap.wrapping_add(self.one_lap)
        }
    }

    /// Pushes, or hands `value` back if full.
    pub(crate) fn push(&self, value: T) -> Result<(), T> {
        let mut step = 0;
        let mut tail = self.tail.0.load(Ordering::Relaxed);
        loop {
            let slot = &self.buffer[tail & (self.one_lap - 1)];
            let stamp = slot.stamp.load(Ordering::Acquire);
            if tail == stamp {
                let new = self.next(tail);
                match self.tail.0.compare_exchange_weak(
                    tail,
                    new,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // Winning the CAS on `tail` makes this thread the slot's only user
                        // until it publishes the stamp below, and the slot is empty.
                        // SAFETY: exclusive access to an empty slot, as just argued.
                        slot.value
                            .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
                        slot.stamp.store(tail + 1, Ordering::Release);
                        return Ok(());
                    }
                    Err(t) => {
                        tail = t;
                        backoff(&mut step);
                    }
                }
            } else if stamp.wrapping_add(self.one_lap) == tail + 1 {
                // The slot still holds last lap's value: full, unless a pop is under way.
                atomic::fence(Ordering::SeqCst);
                let head = self.head.0.load(Ordering::Relaxed);
                if head.wrapping_add(self.one_lap) == tail {
                    return Err(value);
                }
                backoff(&mut step);
                tail = self.tail.0.load(Ordering::Relaxed);
            } else {
                // Another producer is mid-push on this slot.
                backoff(&mut step);
                tail = self.tail.0.load(Ordering::Relaxed);
            }
        }
    }

    /// Pops the oldest value, if any.
    pub(crate) fn pop(&self) -> Option<T> {
        let mut step = 0;
        let mut head = self.head.0.load(Ordering::Relaxed);
        loop {
            let slot = &self.buffer[head & (self.one_lap - 1)];
            let stamp = slot.stamp.load(Ordering::Acquire);
            if head + 1 == stamp {
                let new = self.next(head);
                match self.head.0.compare_exchange_weak(
                    head,
                    new,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: winning the CAS on `head` makes this thread the slot's only
                        // user; `stamp == head + 1` (Acquire) means a value was published.
                        let v = slot.value.with(|p| unsafe { p.read().assume_init() });
                        slot.stamp
                            .store(head.wrapping_add(self.one_lap), Ordering::Release);
                        return Some(v);
                    }
                    Err(h) => {
                        head = h;
                        backoff(&mut step);
                    }
                }
            } else if stamp == head {
                // Empty, unless a push is under way.
                atomic::fence(Ordering::SeqCst);
                let tail = self.tail.0.load(Ordering::Relaxed);
                if tail == head {
                    return None;
                }
                backoff(&mut step);
                head = self.head.0.load(Ordering::Relaxed);
            } else {
                // Another consumer is mid-pop on this slot.
                backoff(&mut step);
                head = self.head.0.load(Ordering::Relaxed);
            }
        }
    }

    /// How many values were ever pushed (claimed positions, including a push under way):
    /// derived from `tail`, so counting puts costs nothing extra. Wraps after
    /// `(2^64 / one_lap) * cap` pushes (centuries at a billion per second).
    pub(crate) fn pushed(&self) -> usize {
        let tail = self.tail.0.load(Ordering::SeqCst);
        (tail / self.one_lap)
            .wrapping_mul(self.cap)
            .wrapping_add(tail & (self.one_lap - 1))
    }

    /// Number of values (a snapshot).
    pub(crate) fn len(&self) -> usize {
        loop {
            let tail = self.tail.0.load(Ordering::SeqCst);
            let head = self.head.0.load(Ordering::SeqCst);
            if self.tail.0.load(Ordering::SeqCst) == tail {
                let hix = head & (self.one_lap - 1);
                let tix = tail & (self.one_lap - 1);
                return if hix < tix {
                    tix - hix
                } else if hix > tix {
                    self.cap - hix + tix
                } else if tail == head {
                    0
                } else {
                    self.cap
                };
            }
        }
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        while self.pop().is_some() {}
    }
}
