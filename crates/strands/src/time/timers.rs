//! The loop's timers: a binary min-heap of deadlines over a slab of slots.
//!
//! # Design
//!
//! A timer is a *slot* (its waker and whether it fired) plus a heap *entry* (deadline, slot,
//! generation). A `Sleep` keeps the slot's key and generation. Cancelling a timer frees its
//! slot at once and leaves its heap entry behind as *stale*: the generation no longer
//! matches, so the entry is skipped when it surfaces. When stale entries outnumber live ones
//! the heap is rebuilt, so churned timeouts cost amortised O(1) memory.
//!
//! Deadlines are nanoseconds since the loop's `base` instant. A timer fires when the clock,
//! read after the deadline, is at or past it: never early. Inserting deadlines that grow
//! (the common case: equal durations started one after another) costs O(1) in the heap.
//!
//! Everything here is touched by the loop's thread only.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::task::Waker;
use std::time::{Duration, Instant};

/// Identifies a registered timer: slot index and generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    /// Index into `slots`.
    index: u32,
    /// Generation of the slot when registered.
    gen: u32,
}

/// A deadline waiting in the heap.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Entry {
    /// Nanoseconds since `base`.
    deadline: u64,
    /// The slot it belongs to, if the generation still matches.
    key: TimerKey,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` is a max-heap and we want the earliest deadline on top; ties
        // go to the earlier registration (lower index is not that, so compare deadlines only
        // and keep the heap's order otherwise irrelevant).
        other
            .deadline
            .cmp(&self.deadline)
            .then_with(|| other.key.index.cmp(&self.key.index))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The state of a slot.
enum Slot {
    /// Unused; the next free slot's index follows.
    Free(Option<u32>),
    /// Registered and not yet due; the waker to wake when it is.
    Waiting(Option<Waker>),
    /// Fired and not yet noticed by its `Sleep`.
    Fired,
}

/// A slot and its generation.
struct SlotCell {
    /// Bumped every time the slot is freed, to tell stale keys and entries apart.
    gen: u32,
    /// What the slot holds.
    slot: Slot,
}

/// All timers of one loop.
pub(crate) struct Timers {
    /// Time zero of the deadlines.
    base: Instant,
    /// Deadlines, earliest on top; may hold stale entries.
    heap: BinaryHeap<Entry>,
    /// Timer slots, addressed by `TimerKey::index`.
    slots: Vec<SlotCell>,
    /// Head of the free-slot list.
    free: Option<u32>,
    /// Slots in the `Waiting` state.
    waiting: usize,
}

impl Timers {
    /// No timers; deadlines count from now.
    pub(crate) fn new() -> Timers {
        Timers {
            base: Instant::now(),
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: None,
            waiting: 0,
        }
    }

    /// The deadline of `at` in this loop's nanoseconds, rounded up; `None` if it is beyond
    /// what the clock can represent (that timer never fires).
    pub(crate) fn deadline_of(&self, at: Instant) -> Option<u64> {
        let since = at.saturating_duration_since(self.base);
        let nanos = since.as_nanos();
        u64::try_from(nanos).ok().filter(|&n| n < u64::MAX)
    }

    /// The current time in this loop's nanoseconds.
    pub(crate) fn now(&self) -> u64 {
        self.deadline_of(Instant::now()).unwrap_or(u64::MAX - 1)
    }

    /// Number of registered timers that have not fired.
    pub(crate) fn len(&self) -> usize {
        self.waiting
    }

    /// Registers a timer due at `deadline`, to wake `waker`.
    pub(crate) fn insert(&mut self, deadline: u64, waker: Waker) -> TimerKey {
        let index = match self.free {
            Some(i) => {
                let cell = &mut self.slots[i as usize];
                self.free = match cell.slot {
                    Slot::Free(next) => next,
                    _ => None,
                };
                cell.slot = Slot::Waiting(Some(waker));
                i
            }
            None => {
                let i = u32::try_from(self.slots.len()).unwrap_or_else(|_| too_many_timers());
                self.slots.push(SlotCell {
                    gen: 0,
                    slot: Slot::Waiting(Some(waker)),
                });
                i
            }
        };
        let key = TimerKey {
            index,
            gen: self.slots[index as usize].gen,
        };
        self.waiting += 1;
        self.heap.push(Entry { deadline, key });
        key
    }

    /// True (and the slot is released) if the timer fired; otherwise stores `waker` and
    /// returns false.
    pub(crate) fn poll_fired(&mut self, key: TimerKey, waker: &Waker) -> bool {
        let Some(cell) = self.cell_mut(key) else {
            return true;
        };
        match &mut cell.slot {
            Slot::Fired => {
                self.release(key.index);
                true
            }
            Slot::Waiting(w) => {
                if !w.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    *w = Some(waker.clone());
                }
                false
            }
            Slot::Free(_) => true,
        }
    }

    /// Forgets a timer (its `Sleep` was dropped). Its heap entry becomes stale.
    pub(crate) fn remove(&mut self, key: TimerKey) {
        let Some(cell) = self.cell_mut(key) else {
            return;
        };
        if matches!(cell.slot, Slot::Waiting(_)) {
            self.waiting -= 1;
        }
        self.release(key.index);
        self.compact_if_needed();
    }

    /// Fires every timer due at `now`, pushing their wakers into `wakers`.
    pub(crate) fn fire_due(&mut self, now: u64, wakers: &mut Vec<Waker>) {
        while let Some(top) = self.heap.peek().copied() {
            if top.deadline > now {
                break;
            }
            self.heap.pop();
            let Some(cell) = self.cell_mut(top.key) else {
                continue;
            };
            if let Slot::Waiting(w) = &mut cell.slot {
                if let Some(w) = w.take() {
                    wakers.push(w);
                }
                cell.slot = Slot::Fired;
                self.waiting -= 1;
            }
        }
    }

    /// How long until the earliest live timer is due (`None`: no timer).
    pub(crate) fn next_timeout(&mut self, now: u64) -> Option<Duration> {
        while let Some(top) = self.heap.peek().copied() {
            if self.cell_mut(top.key).is_some() {
                return Some(Duration::from_nanos(top.deadline.saturating_sub(now)));
            }
            self.heap.pop();
        }
        None
    }

    /// Drops every waker (the loop is shutting down).
    pub(crate) fn clear(&mut self) {
        self.heap.clear();
        for cell in &mut self.slots {
            if let Slot::Waiting(w) = &mut cell.slot {
                w.take();
            }
        }
    }

    /// The slot of `key`, if the key is still current.
    fn cell_mut(&mut self, key: TimerKey) -> Option<&mut SlotCell> {
        self.slots
            .get_mut(key.index as usize)
            .filter(|c| c.gen == key.gen && !matches!(c.slot, Slot::Free(_)))
    }

    /// Returns a slot to the free list, invalidating its keys.
    fn release(&mut self, index: u32) {
        let cell = &mut self.slots[index as usize];
        cell.gen = cell.gen.wrapping_add(1);
        cell.slot = Slot::Free(self.free);
        self.free = Some(index);
    }

    /// Rebuilds the heap when most of it is stale.
    fn compact_if_needed(&mut self) {
        if self.heap.len() > 1024 && self.heap.len() > 2 * self.waiting + 64 {
            let slots = &self.slots;
            self.heap.retain(|e| {
                slots
                    .get(e.key.index as usize)
                    .is_some_and(|c| c.gen == e.key.gen && matches!(c.slot, Slot::Waiting(_)))
            });
        }
    }
}

/// Four billion timers at once would need 100 GiB; treat reaching it as memory exhaustion.
#[cold]
fn too_many_timers() -> ! {
    std::alloc::handle_alloc_error(std::alloc::Layout::new::<[u8; 1 << 20]>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn fires_in_deadline_order_and_never_early() {
        let mut t = Timers::new();
        let a = t.insert(30, Waker::noop().clone());
        let b = t.insert(10, Waker::noop().clone());
        let mut w = Vec::new();
        t.fire_due(9, &mut w);
        assert!(w.is_empty());
        t.fire_due(10, &mut w);
        assert_eq!(w.len(), 1);
        assert!(t.poll_fired(b, Waker::noop()));
        assert!(!t.poll_fired(a, Waker::noop()));
        assert_eq!(t.next_timeout(10), Some(Duration::from_nanos(20)));
    }

    #[test]
    fn removed_timers_leave_no_live_entry_and_slots_are_reused() {
        let mut t = Timers::new();
        let keys: Vec<_> = (0..5000)
            .map(|i| t.insert(i, Waker::noop().clone()))
            .collect();
        for k in &keys {
            t.remove(*k);
        }
        assert_eq!(t.len(), 0);
        assert!(t.heap.len() < 5000, "stale entries were compacted");
        assert_eq!(t.next_timeout(0), None);
        let k = t.insert(1, Waker::noop().clone());
        assert!((k.index as usize) < 5000);
        // An old key of the reused slot is not confused with the new timer.
        t.remove(keys[k.index as usize]);
        assert_eq!(t.len(), 1);
    }
}
