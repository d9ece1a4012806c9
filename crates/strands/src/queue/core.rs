//! [`OrderedQueue`]: the one queue core behind Queue, LifoQueue and PriorityQueue.
//!
//! # Design
//!
//! One internal mutex guards the wait lists (getters, putters, joiners) and, for LIFO,
//! priority and unbounded queues, the items. A bounded FIFO keeps its items in a lock-free
//! [`Ring`] instead, so a `put` or `get` that does not wait takes no lock at all.
//!
//! A `put` that adds an item notifies one getter; a `get` that removes one notifies one
//! putter; notifications mean "re-check", so a waiter that finds the queue empty (or full)
//! again re-links at the head of its list. Items never live in a waiter: a cancelled `get`
//! cannot lose one, and a cancelled `put` has either enqueued its item entirely or not at
//! all. A waiter cancelled after a notification hands it on.
//!
//! # No lost wake-up on the lock-free path
//!
//! A getter about to wait sets `getters_waiting`, issues a `SeqCst` fence and tries the ring
//! once more, all under the mutex, before linking itself. A lock-free putter claims its slot
//! with the ring's `SeqCst` compare-and-swap on `tail`, then reads `getters_waiting` with a
//! `SeqCst` load; if set, it takes the mutex and notifies. Either the getter's fence precedes
//! the putter's load in the single total order *S* (the putter sees the flag), or the load,
//! hence the CAS before it, precedes the fence (the getter's re-check sees the claimed slot
//! and waits the few instructions until it is published) — C++20 [atomics.order]; crossbeam-
//! channel relies on the same rule. loom models `SeqCst` accesses as acquire/release and
//! cannot see this, so under `--cfg strands_loom` the putter also issues a `SeqCst` fence
//! ([`after_publish_fence`]), which makes the same argument checkable; lock-free getters
//! and waiting putters mirror all of this. Putters waiting
//! for room and lock-free getters mirror this with `putters_waiting`. The flags are cleared
//! under the mutex when a list empties (a spurious `true` only costs a lock).
//!
//! Unfinished tasks are `puts - dones`. For a ring, `puts` is read off the ring's `tail`
//! (a claimed position counts: its item is about to be visible), so a put pays nothing for
//! `task_done`/`join`; otherwise a counter is bumped under the mutex. `dones` only grows and
//! never passes `puts` (`task_done` checks it with a CAS). Whoever brings the difference to
//! zero takes the mutex and wakes the joiners, who check it under the same mutex.

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::Duration;

use crate::loom::atomic::{self, AtomicBool, AtomicUsize, Ordering};
use crate::loom::Mutex;
use crate::queue::error::{
    GetError, GetTimeoutError, PutError, PutTimeoutError, TaskDoneError, TryGetError, TryPutError,
};
use crate::queue::order::{Fifo, Lifo, Order, Priority};
use crate::queue::ring::Ring;
use crate::sync::engine::{self, Wait, WaitOp};
use crate::sync::waitlist::{WaitList, WakeBatch};

/// Keeps a hot counter off the cache line of the read-mostly fields.
#[derive(Debug)]
#[repr(align(128))]
struct CachePadded<T>(T);

impl<T> core::ops::Deref for CachePadded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Largest `maxsize` served by the preallocated lock-free ring; larger bounded FIFOs use
/// the mutex path (no up-front allocation of a huge buffer).
const RING_MAX: usize = 1 << 16;

/// What the internal mutex guards.
struct State<T, O: Order<T>> {
    /// The items, in the queue's order (unused when the queue has a ring).
    items: O::Store,
    /// Capacity; 0 = unbounded.
    maxsize: usize,
    /// Waiting for an item.
    getters: WaitList,
    /// Waiting for room.
    putters: WaitList,
    /// Waiting for `unfinished == 0`.
    joiners: WaitList,
}

impl<T, O: Order<T>> State<T, O> {
    /// True if a put must wait.
    fn is_full(&self) -> bool {
        self.maxsize > 0 && O::len(&self.items) >= self.maxsize
    }
}

/// A multi-producer multi-consumer queue usable from threads and tasks at once, in the
/// order `O` ([`Fifo`], [`Lifo`] or [`Priority`]). Use the aliases [`Queue`], [`LifoQueue`]
/// and [`PriorityQueue`].
///
/// Python semantics (3.13): `maxsize` 0 = unbounded; `task_done` / `join`;
/// `shutdown(immediate)`: puts fail, gets drain then fail, `immediate` drops the items and
/// releases `join`.
///
/// | operation | task | thread | thread, bounded | never waits |
/// |---|---|---|---|---|
/// | put | `put(x).await` | `put_blocking(x)` | `put_timeout(x, d)` | `try_put(x)` |
/// | get | `get().await` | `get_blocking()` | `get_timeout(d)` | `try_get()` |
/// | join | `join().await` | `join_blocking()` | `join_timeout(d)` | — |
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use strands::queue::Queue;
///
/// let q = Arc::new(Queue::new(16));
/// let q2 = q.clone();
/// let producer = std::thread::spawn(move || {
///     for i in 0..100 {
///         q2.put_blocking(i).unwrap();
///     }
///     q2.shutdown(false);
/// });
/// let sum = strands::run(async {
///     let mut sum = 0;
///     while let Ok(i) = q.get().await {
///         sum += i;
///         q.task_done().unwrap();
///     }
///     sum
/// }).unwrap();
/// producer.join().unwrap();
/// assert_eq!(sum, 4950);
/// ```
pub struct OrderedQueue<T, O: Order<T> = Fifo> {
    /// Items (mutex path) and waiters.
    state: Mutex<State<T, O>>,
    /// The items of a bounded FIFO (lock-free path).
    ring: Option<Ring<T>>,
    /// Items ever put, for queues without a ring (a ring counts with its `tail`).
    pushed: CachePadded<AtomicUsize>,
    /// `task_done` calls plus items dropped by `shutdown(immediate)`.
    done: CachePadded<AtomicUsize>,
    /// Set by `shutdown` (under the mutex).
    closed: AtomicBool,
    /// Getters may be linked: a lock-free put must take the mutex and notify.
    getters_waiting: AtomicBool,
    /// Putters may be linked: a lock-free get must take the mutex and notify.
    putters_waiting: AtomicBool,
}

/// A FIFO queue (Python's `queue.Queue` / `asyncio.Queue`).
pub type Queue<T> = OrderedQueue<T, Fifo>;
/// A LIFO queue (Python's `LifoQueue`).
pub type LifoQueue<T> = OrderedQueue<T, Lifo>;
/// A priority queue, lowest first (Python's `PriorityQueue`).
pub type PriorityQueue<T> = OrderedQueue<T, Priority>;

impl<T, O: Order<T>> fmt::Debug for OrderedQueue<T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.lock();
        f.debug_struct("OrderedQueue")
            .field("maxsize", &st.maxsize)
            .field("shutdown", &self.closed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// `new(maxsize)` for each alias.
macro_rules! constructor {
    ($order:ty, $alias:literal, $($bound:tt)*) => {
        impl<T: $($bound)*> OrderedQueue<T, $order> {
            /// A queue holding at most `maxsize` items (0 = unbounded).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = strands::queue::", $alias, "::<u8>::new(2);")]
            /// assert_eq!(q.maxsize(), 2);
            /// ```
            pub fn new(maxsize: usize) -> Self {
                Self::with_order(maxsize)
            }
        }
    };
}
constructor!(Fifo, "Queue", Sized);
constructor!(Lifo, "LifoQueue", Sized);
constructor!(Priority, "PriorityQueue", Ord);

impl<T, O: Order<T>> OrderedQueue<T, O> {
    /// A queue of order `O` holding at most `maxsize` items (0 = unbounded).
    ///
    /// # Examples
    ///
    /// ```
    /// use strands::queue::{OrderedQueue, Priority};
    /// let q = OrderedQueue::<u8, Priority>::with_order(0);
    /// assert!(q.empty());
    /// ```
    pub fn with_order(maxsize: usize) -> Self {
        let ring = (O::FIFO && maxsize > 0 && maxsize <= RING_MAX).then(|| Ring::new(maxsize));
        OrderedQueue {
            state: Mutex::new(State {
                items: O::Store::default(),
                maxsize,
                getters: WaitList::new(),
                putters: WaitList::new(),
                joiners: WaitList::new(),
            }),
            ring,
            pushed: CachePadded(AtomicUsize::new(0)),
            done: CachePadded(AtomicUsize::new(0)),
            closed: AtomicBool::new(false),
            getters_waiting: AtomicBool::new(false),
            putters_waiting: AtomicBool::new(false),
        }
    }

    /// The capacity (0 = unbounded).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(strands::queue::Queue::<u8>::new(0).maxsize(), 0);
    /// ```
    pub fn maxsize(&self) -> usize {
        self.state.lock().maxsize
    }

    /// Number of items (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::Queue::new(0);
    /// q.try_put(()).unwrap();
    /// assert_eq!(q.qsize(), 1);
    /// ```
    pub fn qsize(&self) -> usize {
        match &self.ring {
            Some(r) => r.len(),
            None => O::len(&self.state.lock().items),
        }
    }

    /// True if there are no items (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(strands::queue::Queue::<u8>::new(0).empty());
    /// ```
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    /// True if bounded and at capacity (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::Queue::new(1);
    /// q.try_put(1).unwrap();
    /// assert!(q.full());
    /// ```
    pub fn full(&self) -> bool {
        match &self.ring {
            Some(r) => r.len() >= r.capacity(),
            None => self.state.lock().is_full(),
        }
    }

    /// True once [`shutdown`](Self::shutdown) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::Queue::<u8>::new(0);
    /// q.shutdown(false);
    /// assert!(q.is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Puts from a task, waiting for room.
    ///
    /// # Errors
    ///
    /// [`PutError::ShutDown`] with the item if the queue is (or gets) shut down.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a dropped `put` future has either enqueued its item entirely (it
    /// completed) or not at all (the item is dropped with the future); a wake-up it received
    /// goes to the next putter.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::Queue::new(1);
    /// strands::run(q.put(5)).unwrap().unwrap();
    /// assert_eq!(q.try_get(), Ok(5));
    /// ```
    pub fn put(&self, item: T) -> PutFuture<'_, T, O> {
        PutFuture {
            wait: Wait::new(self, PutOp::new(item)),
        }
    }

    /// Puts from a thread, blocking while full.
    ///
    /// # Errors
    ///
    /// [`PutError::ShutDown`] with the item if the queue is (or gets) shut down.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::Queue::new(0);
    /// q.put_blocking("a").unwrap();
    /// ```
    #[track_caller]
    pub fn put_blocking(&self, item: T) -> Result<(), PutError<T>> {
        engine::assert_may_block("put_blocking");
        let item = match self.put_spin(item) {
            Ok(r) => return r.map_err(PutError::ShutDown),
            Err(item) => item,
        };
        let mut op = PutOp::new(item);
        match engine::run_blocking(&self, &mut op, None) {
            Some(r) => r,
            None => Err(PutError::ShutDown(op.take())),
        }
    }

    /// Puts from a thread, blocking at most `timeout` while full. `Duration::MAX` waits
    /// forever.
    ///
    /// # Errors
    ///
    /// [`PutTimeoutError`] with the item on timeout or shutdown.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::Queue::new(1);
    /// q.put_timeout(1, std::time::Duration::from_millis(10)).unwrap();
    /// ```
    #[track_caller]
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutTimeoutError<T>> {
        engine::assert_may_block("put_timeout");
        let item = match self.put_fast(item) {
            Ok(r) => return r.map_err(PutTimeoutError::ShutDown),
            Err(item) => item,
        };
        let mut op = PutOp::new(item);
        match engine::run_blocking(&self, &mut op, engine::deadline(timeout)) {
            Some(Ok(())) => Ok(()),
            Some(Err(PutError::ShutDown(t))) => Err(PutTimeoutError::ShutDown(t)),
            None => Err(PutTimeoutError::Timeout(op.take())),
        }
    }

    /// Puts if there is room, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryPutError`] with the item if full or shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::Queue::new(1);
    /// q.try_put(1).unwrap();
    /// assert_eq!(q.try_put(2).unwrap_err().into_inner(), 2);
    /// ```
    pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        let item = match self.put_fast(item) {
            Ok(r) => return r.map_err(TryPutError::ShutDown),
            Err(item) if self.ring.is_some() => return Err(TryPutError::Full(item)),
            Err(item) => item,
        };
        let mut wakes = WakeBatch::new();
        let mut st = self.state.lock();
        if self.closed.load(Ordering::Relaxed) {
            return Err(TryPutError::ShutDown(item));
        }
        self.put_locked(&mut st, item, &mut wakes)
            .map_err(TryPutError::Full)
    }

    /// Gets from a task, waiting for an item.
    ///
    /// # Errors
    ///
    /// [`GetError::ShutDown`] once the queue is shut down and empty.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: an item is removed only when the future completes, so a dropped `get`
    /// never loses one; a wake-up it received goes to the next getter.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::Queue::new(0);
    /// q.try_put(1).unwrap();
    /// assert_eq!(strands::run(q.get()).unwrap(), Ok(1));
    /// ```
    pub fn get(&self) -> GetFuture<'_, T, O> {
        GetFuture {
            wait: Wait::new(self, GetOp(PhantomData)),
        }
    }

    /// Gets from a thread, blocking while empty.
    ///
    /// # Errors
    ///
    /// [`GetError::ShutDown`] once the queue is shut down and empty.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::Queue::new(0);
    /// q.try_put(1).unwrap();
    /// assert_eq!(q.get_blocking(), Ok(1));
    /// ```
    #[track_caller]
    pub fn get_blocking(&self) -> Result<T, GetError> {
        engine::assert_may_block("get_blocking");
        if let Some(item) = self.get_spin() {
            return Ok(item);
        }
        engine::run_blocking(&self, &mut GetOp(PhantomData), None)
            .unwrap_or(Err(GetError::ShutDown))
    }

    /// Gets from a thread, blocking at most `timeout` while empty. `Duration::MAX` waits
    /// forever.
    ///
    /// # Errors
    ///
    /// [`GetTimeoutError`] on timeout, or once shut down and empty.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use strands::queue::{GetTimeoutError, Queue};
    /// let q = Queue::<u8>::new(0);
    /// assert_eq!(q.get_timeout(std::time::Duration::from_millis(1)), Err(GetTimeoutError::Timeout));
    /// ```
    #[track_caller]
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetTimeoutError> {
        engine::assert_may_block("get_timeout");
        if let Some(item) = self.get_fast() {
            return Ok(item);
        }
        match engine::run_blocking(&self, &mut GetOp(PhantomData), engine::deadline(timeout)) {
            Some(Ok(t)) => Ok(t),
            Some(Err(GetError::ShutDown)) => Err(GetTimeoutError::ShutDown),
            None => Err(GetTimeoutError::Timeout),
        }
    }

    /// Gets an item if there is one, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryGetError`] if empty (or shut down and empty).
    ///
    /// # Examples
    ///
    /// ```
    /// use strands::queue::{Queue, TryGetError};
    /// let q = Queue::<u8>::new(0);
    /// assert_eq!(q.try_get(), Err(TryGetError::Empty));
    /// ```
    pub fn try_get(&self) -> Result<T, TryGetError> {
        if let Some(item) = self.get_fast() {
            return Ok(item);
        }
        let mut wakes = WakeBatch::new();
        let mut st = self.state.lock();
        match self.get_locked(&mut st, &mut wakes) {
            Some(t) => Ok(t),
            None if self.closed.load(Ordering::Relaxed) => Err(TryGetError::ShutDown),
            None => Err(TryGetError::Empty),
        }
    }

    /// Marks one item taken with `get` as processed; when every item put has been marked,
    /// `join` returns.
    ///
    /// # Errors
    ///
    /// [`TaskDoneError`] if called more times than items were put.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::Queue::new(0);
    /// q.try_put(1).unwrap();
    /// q.try_get().unwrap();
    /// q.task_done().unwrap();
    /// q.join_blocking();
    /// ```
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut done = self.done.load(Ordering::SeqCst);
        loop {
            if self.puts() == done {
                return Err(TaskDoneError::TooManyCalls);
            }
            match self.done.compare_exchange_weak(
                done,
                done + 1,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => break,
                Err(now) => done = now,
            }
        }
        if self.puts() == done + 1 {
            self.wake_joiners();
        }
        Ok(())
    }

    /// Number of items put and not yet marked with `task_done`.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::Queue::new(0);
    /// q.try_put(1).unwrap();
    /// assert_eq!(q.unfinished_tasks(), 1);
    /// ```
    pub fn unfinished_tasks(&self) -> usize {
        self.unfinished()
    }

    /// Waits from a task until every item put has been marked with `task_done`.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: dropping the future only removes the waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::Queue::<u8>::new(0);
    /// strands::run(q.join()).unwrap(); // nothing unfinished
    /// ```
    pub fn join(&self) -> JoinFuture<'_, T, O> {
        JoinFuture {
            wait: Wait::new(self, JoinOp(PhantomData)),
        }
    }

    /// Blocks the thread until every item put has been marked with `task_done`.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::queue::Queue::<u8>::new(0).join_blocking();
    /// ```
    #[track_caller]
    pub fn join_blocking(&self) {
        engine::assert_may_block("join_blocking");
        engine::run_blocking(&self, &mut JoinOp(PhantomData), None);
    }

    /// Blocks at most `timeout` for `join`; true if every task is done.
    /// `Duration::MAX` waits forever.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::Queue::new(0);
    /// q.try_put(1).unwrap();
    /// assert!(!q.join_timeout(std::time::Duration::from_millis(1)));
    /// ```
    #[track_caller]
    pub fn join_timeout(&self, timeout: Duration) -> bool {
        engine::assert_may_block("join_timeout");
        engine::run_blocking(&self, &mut JoinOp(PhantomData), engine::deadline(timeout)).is_some()
    }

    /// Shuts the queue down (Python 3.13): later puts fail with `ShutDown`; gets drain the
    /// remaining items, then fail. With `immediate`, the remaining items are dropped (each
    /// counting as done for `join`). Every blocked caller wakes up to re-check. A lock-free
    /// `put` that races with `shutdown` may still land just after it; gets then drain it (or
    /// it is dropped with the queue).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = strands::queue::Queue::new(0);
    /// q.try_put(1).unwrap();
    /// q.shutdown(false);
    /// assert_eq!(q.try_get(), Ok(1));          // drains
    /// assert!(q.try_get().is_err());           // then fails
    /// assert!(q.try_put(2).is_err());
    /// ```
    pub fn shutdown(&self, immediate: bool) {
        let mut wakes = WakeBatch::new();
        let mut st = self.state.lock();
        self.closed.store(true, Ordering::SeqCst);
        let dropped = if immediate {
            let items = core::mem::take(&mut st.items);
            let mut n = O::len(&items);
            let mut from_ring = Vec::new();
            if let Some(r) = &self.ring {
                from_ring.extend(core::iter::from_fn(|| r.pop()));
                n += from_ring.len();
            }
            // Each dropped item counts as done, as in Python 3.13.
            self.done.fetch_add(n, Ordering::SeqCst);
            if self.unfinished() == 0 {
                st.joiners.notify_all(0, &mut wakes);
            }
            Some((items, from_ring))
        } else {
            None
        };
        st.getters.notify_all(0, &mut wakes);
        st.putters.notify_all(0, &mut wakes);
        drop(st);
        // User `Drop` code runs after the lock is released.
        drop(dropped);
    }

    /// Lock-free put (ring only): `Ok(result)` if done (or refused: shut down), `Err(item)`
    /// if it must take the slow path (full, or no ring).
    #[allow(clippy::type_complexity)]
    fn put_fast(&self, item: T) -> Result<Result<(), T>, T> {
        let Some(ring) = &self.ring else {
            return Err(item);
        };
        if self.closed.load(Ordering::Acquire) {
            return Ok(Err(item));
        }
        match ring.push(item) {
            Ok(()) => {
                // Pairs with the fence of a getter about to wait (see "No lost wake-up").
                after_publish_fence();
                if self.getters_waiting.load(Ordering::SeqCst) {
                    let mut wakes = WakeBatch::new();
                    let mut st = self.state.lock();
                    self.notify_getter(&mut st, &mut wakes);
                }
                Ok(Ok(()))
            }
            Err(item) => Err(item),
        }
    }

    /// `put_fast`, retried with a short back-off before a thread resorts to waiting (as
    /// crossbeam does: a hand-off usually lands within microseconds).
    #[allow(clippy::type_complexity)]
    fn put_spin(&self, mut item: T) -> Result<Result<(), T>, T> {
        let mut step = 0;
        loop {
            match self.put_fast(item) {
                Err(back) if self.ring.is_some() && spin(&mut step) => item = back,
                r => return r,
            }
        }
    }

    /// `get_fast`, retried with a short back-off before a thread resorts to waiting.
    fn get_spin(&self) -> Option<T> {
        let mut step = 0;
        loop {
            match self.get_fast() {
                None if self.ring.is_some() && spin(&mut step) => {}
                r => return r,
            }
        }
    }

    /// Lock-free get (ring only).
    fn get_fast(&self) -> Option<T> {
        let item = self.ring.as_ref()?.pop()?;
        // Pairs with the fence of a putter about to wait.
        after_publish_fence();
        if self.putters_waiting.load(Ordering::SeqCst) {
            let mut wakes = WakeBatch::new();
            let mut st = self.state.lock();
            self.notify_putter(&mut st, &mut wakes);
        }
        Some(item)
    }

    /// Items ever put.
    fn puts(&self) -> usize {
        match &self.ring {
            Some(r) => r.pushed(),
            None => self.pushed.load(Ordering::SeqCst),
        }
    }

    /// Items put and not yet marked done. Reads `done` first: it never passes `puts`, so the
    /// difference of the two snapshots cannot underflow.
    fn unfinished(&self) -> usize {
        let done = self.done.load(Ordering::SeqCst);
        self.puts().wrapping_sub(done)
    }

    /// Unfinished tasks reached zero: wake the joiners (under the mutex, where they check it).
    fn wake_joiners(&self) {
        let mut wakes = WakeBatch::new();
        let mut st = self.state.lock();
        st.joiners.notify_all(0, &mut wakes);
    }

    /// Under the mutex: wakes one getter, clearing the flag when none is left.
    fn notify_getter(&self, st: &mut State<T, O>, wakes: &mut WakeBatch) {
        st.getters.notify_one(0, wakes);
        if st.getters.is_empty() {
            self.getters_waiting.store(false, Ordering::Relaxed);
        }
    }

    /// Under the mutex: wakes one putter, clearing the flag when none is left.
    fn notify_putter(&self, st: &mut State<T, O>, wakes: &mut WakeBatch) {
        st.putters.notify_one(0, wakes);
        if st.putters.is_empty() {
            self.putters_waiting.store(false, Ordering::Relaxed);
        }
    }

    /// Under the mutex: adds an item and wakes a getter, or hands it back if full.
    fn put_locked(&self, st: &mut State<T, O>, item: T, wakes: &mut WakeBatch) -> Result<(), T> {
        match &self.ring {
            Some(r) => r.push(item)?,
            None if st.is_full() => return Err(item),
            None => {
                O::push(&mut st.items, item);
                // Other callers see the item only under the mutex, which we hold.
                self.pushed.fetch_add(1, Ordering::SeqCst);
            }
        }
        if !st.getters.is_empty() {
            self.notify_getter(st, wakes);
        }
        Ok(())
    }

    /// Under the mutex: removes an item, if any, and wakes a putter.
    fn get_locked(&self, st: &mut State<T, O>, wakes: &mut WakeBatch) -> Option<T> {
        let item = match &self.ring {
            Some(r) => r.pop(),
            None => O::pop(&mut st.items),
        }?;
        if !st.putters.is_empty() {
            self.notify_putter(st, wakes);
        }
        Some(item)
    }
}

/// The putter's (or lock-free getter's) side of the Dekker pair: the ring's `SeqCst` RMW
/// already orders the flag load in normal builds; loom needs an explicit fence to see it.
#[inline(always)]
fn after_publish_fence() {
    #[cfg(strands_loom)]
    atomic::fence(Ordering::SeqCst);
}

/// One back-off step of a blocking caller before it waits; false once spent.
fn spin(step: &mut u32) -> bool {
    if crate::loom::MODEL || *step > 10 {
        return false;
    }
    if *step <= 6 {
        for _ in 0..(1u32 << *step) {
            core::hint::spin_loop();
        }
    } else {
        crate::loom::thread::yield_now();
    }
    *step += 1;
    true
}

/// Putting one item, as a [`WaitOp`].
struct PutOp<'a, T, O> {
    /// The item, until enqueued.
    item: Option<T>,
    /// The queue's lifetime and order.
    _q: PhantomData<&'a O>,
}

impl<T, O> PutOp<'_, T, O> {
    /// Puts `item`.
    fn new(item: T) -> Self {
        PutOp {
            item: Some(item),
            _q: PhantomData,
        }
    }

    /// The item back, after a timeout.
    fn take(&mut self) -> T {
        match self.item.take() {
            Some(t) => t,
            None => unreachable!("a put op keeps its item until it completes"),
        }
    }
}

impl<T, O> fmt::Debug for PutOp<'_, T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PutOp")
    }
}

impl<'a, T: 'a, O: Order<T> + 'a> WaitOp for PutOp<'a, T, O> {
    type Shared = &'a OrderedQueue<T, O>;
    type State = State<T, O>;
    type Output = Result<(), PutError<T>>;

    fn mutex<'s>(q: &'s &'a OrderedQueue<T, O>) -> &'s Mutex<State<T, O>> {
        &q.state
    }

    fn try_fast(&mut self, q: &&'a OrderedQueue<T, O>) -> Option<Self::Output> {
        match q.put_fast(self.take()) {
            Ok(r) => Some(r.map_err(PutError::ShutDown)),
            Err(item) => {
                self.item = Some(item);
                None
            }
        }
    }

    fn attempt(
        &mut self,
        q: &&'a OrderedQueue<T, O>,
        st: &mut State<T, O>,
        _: Option<usize>,
        wakes: &mut WakeBatch,
    ) -> Option<Self::Output> {
        if q.closed.load(Ordering::Relaxed) {
            return Some(Err(PutError::ShutDown(self.take())));
        }
        let item = match q.put_locked(st, self.take(), wakes) {
            Ok(()) => return Some(Ok(())),
            Err(item) => item,
        };
        if q.ring.is_none() {
            self.item = Some(item);
            return None;
        }
        // About to wait: announce it, then look once more (see "No lost wake-up").
        q.putters_waiting.store(true, Ordering::Relaxed);
        atomic::fence(Ordering::SeqCst);
        match q.put_locked(st, item, wakes) {
            Ok(()) => Some(Ok(())),
            Err(item) => {
                self.item = Some(item);
                None
            }
        }
    }

    fn list<'s>(&self, st: &'s mut State<T, O>) -> &'s mut WaitList {
        &mut st.putters
    }
}

/// Getting one item, as a [`WaitOp`].
struct GetOp<'a, T, O>(PhantomData<&'a (T, O)>);

impl<T, O> fmt::Debug for GetOp<'_, T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GetOp")
    }
}

impl<'a, T: 'a, O: Order<T> + 'a> WaitOp for GetOp<'a, T, O> {
    type Shared = &'a OrderedQueue<T, O>;
    type State = State<T, O>;
    type Output = Result<T, GetError>;

    fn mutex<'s>(q: &'s &'a OrderedQueue<T, O>) -> &'s Mutex<State<T, O>> {
        &q.state
    }

    fn try_fast(&mut self, q: &&'a OrderedQueue<T, O>) -> Option<Self::Output> {
        q.get_fast().map(Ok)
    }

    fn attempt(
        &mut self,
        q: &&'a OrderedQueue<T, O>,
        st: &mut State<T, O>,
        _: Option<usize>,
        wakes: &mut WakeBatch,
    ) -> Option<Self::Output> {
        if let Some(t) = q.get_locked(st, wakes) {
            return Some(Ok(t));
        }
        if q.ring.is_some() {
            // About to wait: announce it, then look once more (see "No lost wake-up").
            q.getters_waiting.store(true, Ordering::Relaxed);
            atomic::fence(Ordering::SeqCst);
            if let Some(t) = q.get_locked(st, wakes) {
                return Some(Ok(t));
            }
        }
        if q.closed.load(Ordering::SeqCst) {
            return Some(Err(GetError::ShutDown));
        }
        None
    }

    fn list<'s>(&self, st: &'s mut State<T, O>) -> &'s mut WaitList {
        &mut st.getters
    }
}

/// Waiting for every task to be done, as a [`WaitOp`].
struct JoinOp<'a, T, O>(PhantomData<&'a (T, O)>);

impl<T, O> fmt::Debug for JoinOp<'_, T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JoinOp")
    }
}

impl<'a, T: 'a, O: Order<T> + 'a> WaitOp for JoinOp<'a, T, O> {
    type Shared = &'a OrderedQueue<T, O>;
    type State = State<T, O>;
    type Output = ();

    fn mutex<'s>(q: &'s &'a OrderedQueue<T, O>) -> &'s Mutex<State<T, O>> {
        &q.state
    }

    fn attempt(
        &mut self,
        q: &&'a OrderedQueue<T, O>,
        _: &mut State<T, O>,
        _: Option<usize>,
        _: &mut WakeBatch,
    ) -> Option<()> {
        (q.unfinished() == 0).then_some(())
    }

    fn list<'s>(&self, st: &'s mut State<T, O>) -> &'s mut WaitList {
        &mut st.joiners
    }

    fn cancelled(&mut self, _: &mut State<T, O>, _: Option<usize>, _: &mut WakeBatch) {
        // Joiners are woken all at once: nothing to pass on.
    }
}

/// Defines a public future wrapping `Wait<$op>`.
macro_rules! queue_future {
    ($(#[$m:meta])* $name:ident, $op:ident, $out:ty) => {
        $(#[$m])*
        #[must_use = "futures do nothing unless awaited"]
        pub struct $name<'a, T: 'a, O: Order<T> + 'a = Fifo> {
            /// The shared wait driver.
            wait: Wait<$op<'a, T, O>>,
        }

        impl<'a, T: 'a, O: Order<T> + 'a> fmt::Debug for $name<'a, T, O> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(stringify!($name))
            }
        }

        impl<'a, T: 'a, O: Order<T> + 'a> Future for $name<'a, T, O> {
            type Output = $out;

            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<$out> {
                // SAFETY: `wait` is structurally pinned: never moved out of the pinned future.
                unsafe { self.map_unchecked_mut(|s| &mut s.wait) }.poll(cx)
            }
        }
    };
}

queue_future!(
    /// The future of [`OrderedQueue::put`].
    PutFuture,
    PutOp,
    Result<(), PutError<T>>
);
queue_future!(
    /// The future of [`OrderedQueue::get`].
    GetFuture,
    GetOp,
    Result<T, GetError>
);
queue_future!(
    /// The future of [`OrderedQueue::join`].
    JoinFuture,
    JoinOp,
    ()
);
