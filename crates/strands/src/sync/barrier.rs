//! [`Barrier`]: `parties` callers meet, then all proceed; breakable and resettable.
//!
//! # Protocol
//!
//! Arrivals count up under the internal mutex. The last arrival starts a new generation
//! (so later arrivals wait for the next round), runs the action *without* the mutex, then
//! releases the `pending` waiters of its round (they are the oldest in the FIFO list).
//! Breaking ([`Barrier::abort`], a timeout, a cancelled waiter, a panicking action) wakes every
//! waiter with `BROKEN`; the barrier stays broken until [`Barrier::reset`].

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use crate::loom::Mutex;
use crate::sync::engine::{self, Wait, WaitOp};
use crate::sync::error::{BrokenBarrier, ZeroPartiesError};
use crate::sync::waitlist::{WaitList, WakeBatch};

/// Message: your round completed.
const RELEASED: usize = 0;
/// Message: the barrier broke.
const BROKEN: usize = 1;

/// What the internal mutex guards.
#[derive(Debug)]
struct State {
    /// Arrivals in the current round.
    count: usize,
    /// Round number.
    generation: u64,
    /// Broken until reset.
    broken: bool,
    /// Waiters of the completed round still to release once the action has run.
    pending: usize,
    /// Waiters.
    waiters: WaitList,
}

impl State {
    /// Breaks the barrier: every waiter gets `BROKEN`.
    fn break_all(&mut self, wakes: &mut WakeBatch) {
        self.broken = true;
        self.pending = 0;
        self.count = 0;
        self.waiters.notify_all(BROKEN, wakes);
    }
}

/// The action run by the last arrival of each round.
type Action = Box<dyn Fn() + Send + Sync>;

/// A barrier for a fixed number of parties (Python's `Barrier`), threads and tasks mixed.
///
/// `wait` returns the arrival index (`0..parties`). A timeout, a cancelled `wait` future,
/// [`abort`](Self::abort) or a panicking action *breaks* the barrier: every waiter, and every
/// later caller until [`reset`](Self::reset), gets [`BrokenBarrier`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// let b = Arc::new(strands::sync::Barrier::new(2).unwrap());
/// let b2 = b.clone();
/// let t = std::thread::spawn(move || b2.wait_blocking().unwrap());
/// let mine = strands::run(b.wait()).unwrap().unwrap();
/// let theirs = t.join().unwrap();
/// assert_eq!(mine + theirs, 1); // indexes 0 and 1
/// ```
pub struct Barrier {
    /// How many callers make a round.
    parties: usize,
    /// Run by the last arrival before the others are released.
    action: Option<Action>,
    /// Round state and waiters.
    state: Mutex<State>,
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .finish_non_exhaustive()
    }
}

/// How an arrival ended under the mutex.
#[derive(Debug)]
enum Arrival {
    /// Released by the last arrival, with our index.
    Released(usize),
    /// We completed the round, with our index and the number of waiters to release.
    Last(usize),
    /// Broken.
    Broken,
}

impl Barrier {
    /// A barrier for `parties` callers.
    ///
    /// # Errors
    ///
    /// [`ZeroPartiesError`] if `parties` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(strands::sync::Barrier::new(3).unwrap().parties(), 3);
    /// ```
    pub fn new(parties: usize) -> Result<Self, ZeroPartiesError> {
        Self::build(parties, None)
    }

    /// A barrier whose last arrival runs `action` before releasing the others.
    ///
    /// # Errors
    ///
    /// [`ZeroPartiesError`] if `parties` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = strands::sync::Barrier::with_action(1, || println!("round done")).unwrap();
    /// assert_eq!(b.wait_blocking(), Ok(0));
    /// ```
    pub fn with_action(
        parties: usize,
        action: impl Fn() + Send + Sync + 'static,
    ) -> Result<Self, ZeroPartiesError> {
        Self::build(parties, Some(Box::new(action)))
    }

    /// Shared constructor.
    fn build(parties: usize, action: Option<Action>) -> Result<Self, ZeroPartiesError> {
        if parties == 0 {
            return Err(ZeroPartiesError);
        }
        Ok(Barrier {
            parties,
            action,
            state: Mutex::new(State {
                count: 0,
                generation: 0,
                broken: false,
                pending: 0,
                waiters: WaitList::new(),
            }),
        })
    }

    /// The number of parties per round.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(strands::sync::Barrier::new(2).unwrap().parties(), 2);
    /// ```
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// How many callers wait in the current round.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(strands::sync::Barrier::new(2).unwrap().n_waiting(), 0);
    /// ```
    pub fn n_waiting(&self) -> usize {
        self.state.lock().count
    }

    /// True if broken.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = strands::sync::Barrier::new(2).unwrap();
    /// b.abort();
    /// assert!(b.is_broken());
    /// ```
    pub fn is_broken(&self) -> bool {
        self.state.lock().broken
    }

    /// Breaks the barrier: current and future waiters get [`BrokenBarrier`] until reset.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = strands::sync::Barrier::new(2).unwrap();
    /// b.abort();
    /// assert!(b.wait_blocking().is_err());
    /// ```
    pub fn abort(&self) {
        let mut wakes = WakeBatch::new();
        self.state.lock().break_all(&mut wakes);
    }

    /// Returns the barrier to its initial state; current waiters get [`BrokenBarrier`].
    ///
    /// # Examples
    ///
    /// ```
    /// let b = strands::sync::Barrier::new(1).unwrap();
    /// b.abort();
    /// b.reset();
    /// assert_eq!(b.wait_blocking(), Ok(0));
    /// ```
    pub fn reset(&self) {
        let mut wakes = WakeBatch::new();
        let mut st = self.state.lock();
        st.break_all(&mut wakes);
        st.broken = false;
        st.generation += 1;
    }

    /// Waits from a task for the round to complete; returns the arrival index.
    ///
    /// # Errors
    ///
    /// [`BrokenBarrier`] if the barrier is or becomes broken.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future while it waits **breaks the barrier** (as a timeout does), so
    /// `strands::timeout(d, b.wait())` behaves like [`wait_timeout`](Self::wait_timeout).
    ///
    /// # Panics
    ///
    /// If this call runs the action and the action panics (the barrier is broken first).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = strands::sync::Barrier::new(1).unwrap();
    /// assert_eq!(strands::run(b.wait()).unwrap(), Ok(0));
    /// ```
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            wait: Wait::new(self, BarrierOp::new()),
        }
    }

    /// Waits from a thread; returns the arrival index.
    ///
    /// # Errors
    ///
    /// [`BrokenBarrier`] if the barrier is or becomes broken.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop, or if this call runs the action and
    /// the action panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = strands::sync::Barrier::new(1).unwrap();
    /// assert_eq!(b.wait_blocking(), Ok(0));
    /// ```
    #[track_caller]
    pub fn wait_blocking(&self) -> Result<usize, BrokenBarrier> {
        engine::assert_may_block("Barrier::wait_blocking");
        self.wait_until(None)
    }

    /// Waits from a thread at most `timeout`; a timeout breaks the barrier.
    /// `Duration::MAX` waits forever.
    ///
    /// # Errors
    ///
    /// [`BrokenBarrier`] if the barrier is or becomes broken, including by this timeout.
    ///
    /// # Panics
    ///
    /// As [`wait_blocking`](Self::wait_blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = strands::sync::Barrier::new(2).unwrap();
    /// assert!(b.wait_timeout(std::time::Duration::from_millis(1)).is_err());
    /// assert!(b.is_broken());
    /// ```
    #[track_caller]
    pub fn wait_timeout(&self, timeout: Duration) -> Result<usize, BrokenBarrier> {
        engine::assert_may_block("Barrier::wait_timeout");
        self.wait_until(Some(timeout))
    }

    /// Blocking wait with an optional timeout.
    fn wait_until(&self, timeout: Option<Duration>) -> Result<usize, BrokenBarrier> {
        let mut op = BarrierOp::new();
        let deadline = timeout.and_then(engine::deadline);
        match engine::run_blocking(&self, &mut op, deadline) {
            Some(arrival) => self.finish(arrival),
            None => {
                // Timed out (and left the list): break the round.
                self.abort();
                Err(BrokenBarrier)
            }
        }
    }

    /// Completes an arrival: the last one runs the action and releases the round.
    fn finish(&self, arrival: Arrival) -> Result<usize, BrokenBarrier> {
        let index = match arrival {
            Arrival::Released(i) => return Ok(i),
            Arrival::Broken => return Err(BrokenBarrier),
            Arrival::Last(i) => i,
        };
        if let Some(action) = &self.action {
            if let Err(p) = panic::catch_unwind(AssertUnwindSafe(action)) {
                self.abort();
                panic::resume_unwind(p);
            }
        }
        let mut wakes = WakeBatch::new();
        let mut st = self.state.lock();
        if st.broken {
            return Err(BrokenBarrier);
        }
        let n = st.pending;
        st.pending = 0;
        st.waiters.notify_n(n, RELEASED, &mut wakes);
        Ok(index)
    }
}

/// One arrival, as a [`WaitOp`].
#[derive(Debug)]
struct BarrierOp<'a> {
    /// Our arrival index once counted.
    index: Option<usize>,
    /// The barrier's lifetime.
    _b: PhantomData<&'a Barrier>,
}

impl BarrierOp<'_> {
    /// A new arrival.
    fn new() -> Self {
        BarrierOp {
            index: None,
            _b: PhantomData,
        }
    }
}

impl<'a> WaitOp for BarrierOp<'a> {
    type Shared = &'a Barrier;
    type State = State;
    type Output = Arrival;

    fn mutex<'s>(shared: &'s &'a Barrier) -> &'s Mutex<State> {
        &shared.state
    }

    fn attempt(
        &mut self,
        b: &&'a Barrier,
        st: &mut State,
        notified: Option<usize>,
        _: &mut WakeBatch,
    ) -> Option<Arrival> {
        if let (Some(msg), Some(i)) = (notified, self.index) {
            return Some(if msg == RELEASED {
                Arrival::Released(i)
            } else {
                Arrival::Broken
            });
        }
        if self.index.is_some() {
            return None; // keep waiting
        }
        if st.broken {
            return Some(Arrival::Broken);
        }
        let i = st.count;
        st.count += 1;
        if st.count < b.parties {
            self.index = Some(i);
            return None;
        }
        st.count = 0;
        st.generation += 1;
        st.pending = b.parties - 1;
        Some(Arrival::Last(i))
    }

    fn list<'s>(&self, st: &'s mut State) -> &'s mut WaitList {
        &mut st.waiters
    }

    fn cancelled(&mut self, st: &mut State, notified: Option<usize>, wakes: &mut WakeBatch) {
        if notified.is_none() && !st.broken {
            // A waiter gave up mid-round: the round can never complete as promised.
            st.break_all(wakes);
        }
    }
}

/// The future of [`Barrier::wait`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct BarrierWait<'a> {
    /// The barrier.
    barrier: &'a Barrier,
    /// The shared wait driver.
    wait: Wait<BarrierOp<'a>>,
}

impl Future for BarrierWait<'_> {
    type Output = Result<usize, BrokenBarrier>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `wait` is structurally pinned: never moved out of the pinned future.
        let this = unsafe { self.get_unchecked_mut() };
        let barrier = this.barrier;
        // SAFETY: as above.
        let wait = unsafe { Pin::new_unchecked(&mut this.wait) };
        wait.poll(cx).map(|a| barrier.finish(a))
    }
}
