//! [`Semaphore`] and [`BoundedSemaphore`] on one counter behind the wait list.

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::Duration;

use crate::loom::Mutex;
use crate::sync::engine::{self, Wait, WaitOp};
use crate::sync::error::OverReleaseError;
use crate::sync::waitlist::{WaitList, WakeBatch};

/// What the internal mutex guards.
#[derive(Debug)]
struct State {
    /// Available permits.
    permits: usize,
    /// Tasks and threads waiting for a permit.
    waiters: WaitList,
}

/// The counter shared by both semaphores.
#[derive(Debug)]
struct RawSemaphore {
    /// Permits and waiters.
    state: Mutex<State>,
    /// Upper bound of `permits` (`usize::MAX` when unbounded).
    max: usize,
}

impl RawSemaphore {
    /// `permits` available, at most `max`.
    fn new(permits: usize, max: usize) -> Self {
        RawSemaphore {
            state: Mutex::new(State {
                permits,
                waiters: WaitList::new(),
            }),
            max,
        }
    }

    /// Takes a permit if one is available.
    fn try_acquire(&self) -> bool {
        let mut st = self.state.lock();
        if st.permits > 0 {
            st.permits -= 1;
            true
        } else {
            false
        }
    }

    /// Blocks for a permit; `None` = forever.
    fn acquire_blocking(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.and_then(engine::deadline);
        engine::run_blocking(&self, &mut AcquireOp(PhantomData), deadline).is_some()
    }

    /// Adds `n` permits and wakes up to `n` waiters; fails (changing nothing) past `max`.
    fn release(&self, n: usize) -> Result<(), OverReleaseError> {
        let mut wakes = WakeBatch::new();
        let mut st = self.state.lock();
        let total = st.permits.checked_add(n).filter(|&t| t <= self.max);
        let Some(total) = total else {
            return Err(OverReleaseError);
        };
        st.permits = total;
        st.waiters.notify_n(n, 0, &mut wakes);
        Ok(())
    }

    /// A snapshot of the available permits.
    fn available(&self) -> usize {
        self.state.lock().permits
    }
}

/// Taking one permit, as a [`WaitOp`].
#[derive(Debug)]
struct AcquireOp<'a>(PhantomData<&'a RawSemaphore>);

impl<'a> WaitOp for AcquireOp<'a> {
    type Shared = &'a RawSemaphore;
    type State = State;
    type Output = ();

    fn mutex<'s>(shared: &'s &'a RawSemaphore) -> &'s Mutex<State> {
        &shared.state
    }

    fn attempt(
        &mut self,
        _: &&'a RawSemaphore,
        st: &mut State,
        _notified: Option<usize>,
        _wakes: &mut WakeBatch,
    ) -> Option<()> {
        if st.permits == 0 {
            return None;
        }
        st.permits -= 1;
        Some(())
    }

    fn list<'s>(&self, st: &'s mut State) -> &'s mut WaitList {
        &mut st.waiters
    }
}

/// Generates the shared API of both semaphores.
macro_rules! semaphore_api {
    ($ty:ident, $ex:literal) => {
        impl $ty {
            /// Acquires a permit from a task; the permit returns when the guard drops.
            ///
            /// # Cancel safety
            ///
            /// Cancel-safe: a dropped future holds no permit, and a wake-up it received is
            /// passed to the next waiter.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $ex]
            /// strands::run(async {
            ///     let _p = sem.acquire().await;
            ///     assert_eq!(sem.available(), 0);
            /// }).unwrap();
            /// assert_eq!(sem.available(), 1);
            /// ```
            pub fn acquire(&self) -> AcquireFuture<'_> {
                AcquireFuture {
                    raw: &self.raw,
                    wait: Wait::new(&self.raw, AcquireOp(PhantomData)),
                }
            }

            /// Acquires a permit, blocking the thread.
            ///
            /// # Panics
            ///
            /// If called on a thread that runs an event loop.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $ex]
            /// let p = sem.acquire_blocking();
            /// p.forget(); // keep it; give it back with `release`
            /// assert_eq!(sem.available(), 0);
            /// ```
            #[track_caller]
            pub fn acquire_blocking(&self) -> SemaphorePermit<'_> {
                engine::assert_may_block("acquire_blocking");
                self.raw.acquire_blocking(None);
                SemaphorePermit { raw: &self.raw }
            }

            /// Acquires a permit, blocking at most `timeout`; `None` if it timed out.
            /// `Duration::MAX` waits forever.
            ///
            /// # Panics
            ///
            /// If called on a thread that runs an event loop.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $ex]
            /// let _p = sem.acquire_blocking();
            /// assert!(sem.acquire_timeout(std::time::Duration::from_millis(1)).is_none());
            /// ```
            #[track_caller]
            pub fn acquire_timeout(&self, timeout: Duration) -> Option<SemaphorePermit<'_>> {
                engine::assert_may_block("acquire_timeout");
                self.raw
                    .acquire_blocking(Some(timeout))
                    .then_some(SemaphorePermit { raw: &self.raw })
            }

            /// Takes a permit if one is available, without waiting.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $ex]
            /// let _p = sem.try_acquire().unwrap();
            /// assert!(sem.try_acquire().is_none());
            /// ```
            pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
                self.raw
                    .try_acquire()
                    .then_some(SemaphorePermit { raw: &self.raw })
            }

            /// Permits available now (a snapshot).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $ex]
            /// assert_eq!(sem.available(), 1);
            /// ```
            pub fn available(&self) -> usize {
                self.raw.available()
            }
        }
    };
}

/// A counting semaphore (Python's `Semaphore`), usable from threads and tasks at once.
///
/// Waiters are woken in FIFO order (see [the module docs](crate::sync) on barging).
///
/// # Examples
///
/// ```
/// let sem = strands::sync::Semaphore::new(2);
/// let a = sem.acquire_blocking();
/// let _b = sem.acquire_blocking();
/// assert!(sem.try_acquire().is_none());
/// drop(a);
/// assert!(sem.try_acquire().is_some());
/// ```
#[derive(Debug)]
pub struct Semaphore {
    /// The counter.
    raw: RawSemaphore,
}

semaphore_api!(Semaphore, "let sem = strands::sync::Semaphore::new(1);");

impl Semaphore {
    /// A semaphore with `permits` available.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(strands::sync::Semaphore::new(3).available(), 3);
    /// ```
    pub fn new(permits: usize) -> Self {
        Semaphore {
            raw: RawSemaphore::new(permits, usize::MAX),
        }
    }

    /// Adds `n` permits (Python's `release(n)`), waking up to `n` waiters. Saturates at
    /// `usize::MAX`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = strands::sync::Semaphore::new(0);
    /// sem.release(2);
    /// assert_eq!(sem.available(), 2);
    /// ```
    pub fn release(&self, n: usize) {
        let room = usize::MAX - self.raw.available();
        let _ = self.raw.release(n.min(room));
    }
}

/// A semaphore that refuses to be released above its initial value (Python's
/// `BoundedSemaphore`).
///
/// # Examples
///
/// ```
/// let sem = strands::sync::BoundedSemaphore::new(1);
/// sem.acquire_blocking().forget();
/// sem.release().unwrap();
/// assert!(sem.release().is_err());
/// ```
#[derive(Debug)]
pub struct BoundedSemaphore {
    /// The counter, bounded by its initial value.
    raw: RawSemaphore,
}

semaphore_api!(
    BoundedSemaphore,
    "let sem = strands::sync::BoundedSemaphore::new(1);"
);

impl BoundedSemaphore {
    /// A semaphore with `permits` available, and at most `permits` ever.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(strands::sync::BoundedSemaphore::new(2).available(), 2);
    /// ```
    pub fn new(permits: usize) -> Self {
        BoundedSemaphore {
            raw: RawSemaphore::new(permits, permits),
        }
    }

    /// Gives one permit back (for permits kept with [`SemaphorePermit::forget`]).
    ///
    /// # Errors
    ///
    /// [`OverReleaseError`] if that would exceed the initial value; nothing changes.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = strands::sync::BoundedSemaphore::new(1);
    /// assert_eq!(sem.release().unwrap_err().to_string(), "semaphore released too many times");
    /// ```
    pub fn release(&self) -> Result<(), OverReleaseError> {
        self.raw.release(1)
    }
}

/// One permit of a semaphore; given back when dropped.
///
/// # Examples
///
/// ```
/// let sem = strands::sync::Semaphore::new(1);
/// let p = sem.try_acquire().unwrap();
/// drop(p);
/// assert_eq!(sem.available(), 1);
/// ```
#[must_use = "the permit is given back as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    /// The semaphore it came from.
    raw: &'a RawSemaphore,
}

impl SemaphorePermit<'_> {
    /// Keeps the permit taken: it is not given back on drop.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = strands::sync::Semaphore::new(1);
    /// sem.try_acquire().unwrap().forget();
    /// assert_eq!(sem.available(), 0);
    /// ```
    pub fn forget(self) {
        core::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        // Cannot exceed the bound unless the user over-released by hand meanwhile; then the
        // permit is dropped rather than breaking the bound.
        let _ = self.raw.release(1);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SemaphorePermit")
    }
}

/// The future of `acquire` on [`Semaphore`] and [`BoundedSemaphore`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct AcquireFuture<'a> {
    /// The semaphore.
    raw: &'a RawSemaphore,
    /// The shared wait driver.
    wait: Wait<AcquireOp<'a>>,
}

impl<'a> Future for AcquireFuture<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        // SAFETY: `wait` is structurally pinned: never moved out of the pinned future.
        let this = unsafe { self.get_unchecked_mut() };
        let raw = this.raw;
        // SAFETY: as above.
        let wait = unsafe { Pin::new_unchecked(&mut this.wait) };
        wait.poll(cx).map(|()| SemaphorePermit { raw })
    }
}
