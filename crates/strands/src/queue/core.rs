//! [`OrderedQueue`]: the one queue core behind Queue, LifoQueue and PriorityQueue.
//!
//! # Design
//!
//! One internal mutex guards the items, the counters and three wait lists (getters,
//! putters, joiners). A `put` that adds an item notifies one getter; a `get` that removes one
//! notifies one putter; notifications mean "re-check", so a waiter that finds the queue
//! empty (or full) again re-links at the head of its list. Items never live in a waiter:
//! a cancelled `get` cannot lose one, and a cancelled `put` has either enqueued its item
//! entirely or not at all. A waiter cancelled after a notification hands it on.

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::Duration;

use crate::loom::Mutex;
use crate::queue::error::{
    GetError, GetTimeoutError, PutError, PutTimeoutError, TaskDoneError, TryGetError, TryPutError,
};
use crate::queue::order::{Fifo, Lifo, Order, Priority};
use crate::sync::engine::{self, Wait, WaitOp};
use crate::sync::waitlist::{WaitList, WakeBatch};

/// What the internal mutex guards.
struct State<T, O: Order<T>> {
    /// The items, in the queue's order.
    items: O::Store,
    /// Capacity; 0 = unbounded.
    maxsize: usize,
    /// Items put and not yet marked done.
    unfinished: usize,
    /// Set by `shutdown`.
    shutdown: bool,
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
/// let sum = smol::block_on(async {
///     let mut sum = 0;
///     while let Ok(i) = q.get().await {
///         sum += i;
///         q.task_done().unwrap();
///     }
///     sum
/// });
/// producer.join().unwrap();
/// assert_eq!(sum, 4950);
/// ```
pub struct OrderedQueue<T, O: Order<T> = Fifo> {
    /// Items, counters, waiters.
    state: Mutex<State<T, O>>,
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
            .field("len", &O::len(&st.items))
            .field("maxsize", &st.maxsize)
            .field("shutdown", &st.shutdown)
            .finish()
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
        OrderedQueue {
            state: Mutex::new(State {
                items: O::Store::default(),
                maxsize,
                unfinished: 0,
                shutdown: false,
                getters: WaitList::new(),
                putters: WaitList::new(),
                joiners: WaitList::new(),
            }),
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
        O::len(&self.state.lock().items)
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
        self.state.lock().is_full()
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
        self.state.lock().shutdown
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
    /// smol::block_on(q.put(5)).unwrap();
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
        let mut wakes = WakeBatch::new();
        let mut st = self.state.lock();
        if st.shutdown {
            return Err(TryPutError::ShutDown(item));
        }
        if st.is_full() {
            return Err(TryPutError::Full(item));
        }
        Self::push(&mut st, item, &mut wakes);
        Ok(())
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
    /// assert_eq!(smol::block_on(q.get()), Ok(1));
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
        let mut wakes = WakeBatch::new();
        let mut st = self.state.lock();
        match Self::pop(&mut st, &mut wakes) {
            Some(t) => Ok(t),
            None if st.shutdown => Err(TryGetError::ShutDown),
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
        let mut wakes = WakeBatch::new();
        let mut st = self.state.lock();
        if st.unfinished == 0 {
            return Err(TaskDoneError::TooManyCalls);
        }
        st.unfinished -= 1;
        if st.unfinished == 0 {
            st.joiners.notify_all(0, &mut wakes);
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
        self.state.lock().unfinished
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
    /// smol::block_on(q.join()); // nothing unfinished
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
    /// counting as done for `join`). Every blocked caller wakes up to re-check.
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
        st.shutdown = true;
        let dropped = if immediate {
            let items = core::mem::take(&mut st.items);
            let n = O::len(&items);
            st.unfinished = st.unfinished.saturating_sub(n);
            if st.unfinished == 0 {
                st.joiners.notify_all(0, &mut wakes);
            }
            Some(items)
        } else {
            None
        };
        st.getters.notify_all(0, &mut wakes);
        st.putters.notify_all(0, &mut wakes);
        drop(st);
        // User `Drop` code runs after the lock is released.
        drop(dropped);
    }

    /// Adds an item and wakes a getter.
    fn push(st: &mut State<T, O>, item: T, wakes: &mut WakeBatch) {
        O::push(&mut st.items, item);
        st.unfinished += 1;
        if !st.getters.is_empty() {
            st.getters.notify_one(0, wakes);
        }
    }

    /// Removes an item, if any, and wakes a putter.
    fn pop(st: &mut State<T, O>, wakes: &mut WakeBatch) -> Option<T> {
        let item = O::pop(&mut st.items)?;
        if !st.putters.is_empty() {
            st.putters.notify_one(0, wakes);
        }
        Some(item)
    }
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

    fn attempt(
        &mut self,
        _: &&'a OrderedQueue<T, O>,
        st: &mut State<T, O>,
        _: Option<usize>,
        wakes: &mut WakeBatch,
    ) -> Option<Self::Output> {
        if st.shutdown {
            return Some(Err(PutError::ShutDown(self.take())));
        }
        if st.is_full() {
            return None;
        }
        OrderedQueue::push(st, self.take(), wakes);
        Some(Ok(()))
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

    fn attempt(
        &mut self,
        _: &&'a OrderedQueue<T, O>,
        st: &mut State<T, O>,
        _: Option<usize>,
        wakes: &mut WakeBatch,
    ) -> Option<Self::Output> {
        match OrderedQueue::pop(st, wakes) {
            Some(t) => Some(Ok(t)),
            None if st.shutdown => Some(Err(GetError::ShutDown)),
            None => None,
        }
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
        _: &&'a OrderedQueue<T, O>,
        st: &mut State<T, O>,
        _: Option<usize>,
        _: &mut WakeBatch,
    ) -> Option<()> {
        (st.unfinished == 0).then_some(())
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
