//! The three orders a queue can keep: FIFO, LIFO, priority (lowest first).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Keeps [`Order`] closed: the store methods are an implementation detail.
mod sealed {
    /// Seal.
    pub trait Sealed {}
}

/// How a queue orders its items: [`Fifo`], [`Lifo`] or [`Priority`].
///
/// Sealed: implemented only by those three.
///
/// # Examples
///
/// ```
/// use strands::queue::{Lifo, OrderedQueue};
/// let q: OrderedQueue<u8, Lifo> = OrderedQueue::<u8, Lifo>::with_order(0);
/// q.try_put(1).unwrap();
/// q.try_put(2).unwrap();
/// assert_eq!(q.try_get(), Ok(2));
/// ```
pub trait Order<T>: sealed::Sealed {
    /// The container.
    #[doc(hidden)]
    type Store: Default;
    /// First in, first out: a bounded queue of this order may use the lock-free ring.
    #[doc(hidden)]
    const FIFO: bool = false;
    /// Adds an item.
    #[doc(hidden)]
    fn push(store: &mut Self::Store, item: T);
    /// Removes the next item.
    #[doc(hidden)]
    fn pop(store: &mut Self::Store) -> Option<T>;
    /// Number of items.
    #[doc(hidden)]
    fn len(store: &Self::Store) -> usize;
}

/// First in, first out ([`Queue`](super::Queue)).
///
/// # Examples
///
/// ```
/// let q = strands::queue::Queue::new(0);
/// q.try_put(1).unwrap();
/// q.try_put(2).unwrap();
/// assert_eq!(q.try_get(), Ok(1));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Fifo;

/// Last in, first out ([`LifoQueue`](super::LifoQueue)).
///
/// # Examples
///
/// ```
/// let q = strands::queue::LifoQueue::new(0);
/// q.try_put(1).unwrap();
/// q.try_put(2).unwrap();
/// assert_eq!(q.try_get(), Ok(2));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Lifo;

/// Lowest item first, as Python's `PriorityQueue` ([`PriorityQueue`](super::PriorityQueue)).
///
/// # Examples
///
/// ```
/// let q = strands::queue::PriorityQueue::new(0);
/// q.try_put(3).unwrap();
/// q.try_put(1).unwrap();
/// assert_eq!(q.try_get(), Ok(1));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Priority;

impl sealed::Sealed for Fifo {}
impl sealed::Sealed for Lifo {}
impl sealed::Sealed for Priority {}

impl<T> Order<T> for Fifo {
    type Store = VecDeque<T>;
    const FIFO: bool = true;
    fn push(s: &mut VecDeque<T>, item: T) {
        s.push_back(item);
    }
    fn pop(s: &mut VecDeque<T>) -> Option<T> {
        s.pop_front()
    }
    fn len(s: &VecDeque<T>) -> usize {
        s.len()
    }
}

impl<T> Order<T> for Lifo {
    type Store = Vec<T>;
    fn push(s: &mut Vec<T>, item: T) {
        s.push(item);
    }
    fn pop(s: &mut Vec<T>) -> Option<T> {
        s.pop()
    }
    fn len(s: &Vec<T>) -> usize {
        s.len()
    }
}

impl<T: Ord> Order<T> for Priority {
    type Store = BinaryHeap<Reverse<T>>;
    fn push(s: &mut BinaryHeap<Reverse<T>>, item: T) {
        s.push(Reverse(item));
    }
    fn pop(s: &mut BinaryHeap<Reverse<T>>) -> Option<T> {
        s.pop().map(|Reverse(t)| t)
    }
    fn len(s: &BinaryHeap<Reverse<T>>) -> usize {
        s.len()
    }
}
