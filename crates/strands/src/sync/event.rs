//! [`Event`]: a flag that tasks and threads wait for.

use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::Duration;

use crate::loom::atomic::{AtomicBool, Ordering};
use crate::loom::Mutex;
use crate::sync::engine::{self, Wait, WaitOp};
use crate::sync::waitlist::{WaitList, WakeBatch};

/// A flag that can be set and cleared; `wait` returns once it is set (Python's `Event`).
///
/// A waiter released by [`set`](Self::set) returns even if the flag is cleared again before
/// it runs.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// let ev = Arc::new(strands::sync::Event::new());
/// let ev2 = ev.clone();
/// let t = std::thread::spawn(move || ev2.wait_blocking());
/// ev.set();
/// t.join().unwrap();
/// strands::run(ev.wait()).unwrap();
/// ev.clear();
/// assert!(!ev.is_set());
/// ```
#[derive(Debug)]
pub struct Event {
    /// Mirror of the flag, readable without the lock.
    flag: AtomicBool,
    /// Waiters; the flag is changed under this mutex too.
    waiters: Mutex<WaitList>,
}

impl Default for Event {
    fn default() -> Self {
        Self::new()
    }
}

impl Event {
    /// A new, cleared event.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!strands::sync::Event::new().is_set());
    /// ```
    pub fn new() -> Self {
        Event {
            flag: AtomicBool::new(false),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Sets the flag and releases every waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// let ev = strands::sync::Event::new();
    /// ev.set();
    /// assert!(ev.is_set());
    /// ```
    pub fn set(&self) {
        let mut wakes = WakeBatch::new();
        let mut list = self.waiters.lock();
        self.flag.store(true, Ordering::Release);
        list.notify_all(0, &mut wakes);
    }

    /// Clears the flag.
    ///
    /// # Examples
    ///
    /// ```
    /// let ev = strands::sync::Event::new();
    /// ev.set();
    /// ev.clear();
    /// assert!(!ev.is_set());
    /// ```
    pub fn clear(&self) {
        let _list = self.waiters.lock();
        self.flag.store(false, Ordering::Release);
    }

    /// True if the flag is set.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!strands::sync::Event::new().is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Waits from a task until the flag is set.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: dropping the future only removes the waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// let ev = strands::sync::Event::new();
    /// ev.set();
    /// strands::run(ev.wait()).unwrap();
    /// ```
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            wait: Wait::new(self, WaitEventOp(PhantomData)),
        }
    }

    /// Blocks the thread until the flag is set.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let ev = strands::sync::Event::new();
    /// ev.set();
    /// ev.wait_blocking();
    /// ```
    #[track_caller]
    pub fn wait_blocking(&self) {
        engine::assert_may_block("Event::wait_blocking");
        if !self.is_set() {
            engine::run_blocking(&self, &mut WaitEventOp(PhantomData), None);
        }
    }

    /// Blocks at most `timeout`; true if the flag was set (Python's return value).
    /// `Duration::MAX` waits forever.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let ev = strands::sync::Event::new();
    /// assert!(!ev.wait_timeout(std::time::Duration::from_millis(1)));
    /// ```
    #[track_caller]
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        engine::assert_may_block("Event::wait_timeout");
        self.is_set()
            || engine::run_blocking(
                &self,
                &mut WaitEventOp(PhantomData),
                engine::deadline(timeout),
            )
            .is_some()
    }
}

/// Waiting for the flag, as a [`WaitOp`].
#[derive(Debug)]
struct WaitEventOp<'a>(PhantomData<&'a Event>);

impl<'a> WaitOp for WaitEventOp<'a> {
    type Shared = &'a Event;
    type State = WaitList;
    type Output = ();

    fn mutex<'s>(shared: &'s &'a Event) -> &'s Mutex<WaitList> {
        &shared.waiters
    }

    fn attempt(
        &mut self,
        ev: &&'a Event,
        _: &mut WaitList,
        notified: Option<usize>,
        _: &mut WakeBatch,
    ) -> Option<()> {
        (notified.is_some() || ev.flag.load(Ordering::Relaxed)).then_some(())
    }

    fn list<'s>(&self, st: &'s mut WaitList) -> &'s mut WaitList {
        st
    }

    fn cancelled(&mut self, _: &mut WaitList, _: Option<usize>, _: &mut WakeBatch) {
        // `set` wakes everyone: there is nothing to pass on.
    }
}

/// The future of [`Event::wait`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct EventWait<'a> {
    /// The shared wait driver.
    wait: Wait<WaitEventOp<'a>>,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `wait` is structurally pinned: never moved out of the pinned future.
        unsafe { self.map_unchecked_mut(|s| &mut s.wait) }.poll(cx)
    }
}
