//! `sleep`: a future that completes at a deadline.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::event_loop::injector::{Injector, Remote};
use crate::event_loop::{core::Core, with_current};
use crate::loom::Arc;
use crate::time::timers::TimerKey;

/// Waits until `duration` has passed (asyncio's `sleep`). `sleep(Duration::ZERO)` yields
/// once, like [`yield_now`](crate::yield_now); `Duration::MAX` never completes.
///
/// # Panics
///
/// The returned future panics if polled outside a strands event loop.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// strands::run(async {
///     let start = Instant::now();
///     strands::sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// })
/// .unwrap();
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::new(Instant::now().checked_add(duration))
}

/// Waits until `deadline` (a deadline in the past yields once).
///
/// # Panics
///
/// The returned future panics if polled outside a strands event loop.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// strands::run(async {
///     let at = Instant::now() + Duration::from_millis(5);
///     strands::sleep_until(at).await;
///     assert!(Instant::now() >= at);
/// })
/// .unwrap();
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(Some(deadline))
}

/// The future of [`sleep`] and [`sleep_until`]. Registers a timer on its first poll and
/// removes it when dropped.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// strands::run(async {
///     let mut s: strands::Sleep = strands::sleep(Duration::from_secs(3600));
///     s.reset(std::time::Instant::now());
///     s.await;
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    /// When it completes; `None` for never.
    deadline: Option<Instant>,
    /// The registered timer, once polled.
    timer: Option<Registration>,
    /// True once it completed.
    done: bool,
    /// True after a zero-length sleep yielded once.
    yielded: bool,
}

/// A timer registered with a loop.
#[derive(Clone)]
struct Registration {
    /// The loop, by its injector: never reused while we hold it, and the way to reach the
    /// loop when the `Sleep` is dropped elsewhere.
    injector: Arc<Injector>,
    /// The timer.
    key: TimerKey,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("key", &self.key)
            .finish()
    }
}

impl Sleep {
    /// A sleep until `deadline` (`None`: never).
    fn new(deadline: Option<Instant>) -> Sleep {
        Sleep {
            deadline,
            timer: None,
            done: false,
            yielded: false,
        }
    }

    /// The deadline (`None` if the sleep never ends).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(strands::sleep(std::time::Duration::MAX).deadline().is_none());
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// True once the sleep completed.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!strands::sleep(std::time::Duration::ZERO).is_elapsed());
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.done
    }

    /// Moves the deadline (the sleep may be pending again).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// strands::run(async {
    ///     let mut s = strands::sleep(Duration::from_secs(100));
    ///     s.reset(Instant::now() + Duration::from_millis(1));
    ///     s.await;
    /// })
    /// .unwrap();
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.unregister();
        self.deadline = Some(deadline);
        self.done = false;
        self.yielded = false;
    }

    /// Polls with `&mut self` (`Sleep` is `Unpin`).
    pub(crate) fn poll_sleep(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let ready = with_current(|core| {
            let core = core.unwrap_or_else(|| outside_loop());
            self.poll_on(core, cx)
        });
        if ready {
            self.done = true;
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// The body of `poll_sleep`, with the current loop.
    fn poll_on(&mut self, core: &Core, cx: &mut Context<'_>) -> bool {
        if let Some(reg) = &self.timer {
            if core.is_loop_of(&reg.injector) {
                let fired = core.timers.borrow_mut().poll_fired(reg.key, cx.waker());
                if fired {
                    self.timer = None;
                }
                return fired;
            }
            // Moved to another loop: release the old timer there, start over here.
            self.unregister();
        }
        let mut timers = core.timers.borrow_mut();
        let Some(deadline) = self.deadline.and_then(|d| timers.deadline_of(d)) else {
            return false; // never
        };
        if deadline <= timers.now() {
            // Already due: behave like `yield_now` once, so `sleep(0)` lets others run.
            if self.yielded {
                return true;
            }
            self.yielded = true;
            cx.waker().wake_by_ref();
            return false;
        }
        let key = timers.insert(deadline, cx.waker().clone());
        self.timer = Some(Registration {
            injector: core.injector.clone(),
            key,
        });
        false
    }

    /// Removes the timer from its loop: at once on that loop's thread, else through a
    /// message the loop runs at its next turn (so no slot outlives its `Sleep`).
    fn unregister(&mut self) {
        let Some(reg) = self.timer.take() else {
            return;
        };
        let done = with_current(|core| match core {
            Some(core) if core.is_loop_of(&reg.injector) => match core.timers.try_borrow_mut() {
                Ok(mut timers) => {
                    timers.remove(reg.key);
                    true
                }
                Err(_) => false,
            },
            _ => false,
        });
        if !done {
            let key = reg.key;
            // Refused only by a loop that shut down, whose timers are gone anyway.
            let _ = reg.injector.push(Remote::Run(Box::new(move || {
                with_current(|core| {
                    if let Some(core) = core {
                        core.timers.borrow_mut().remove(key);
                    }
                });
            })));
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().poll_sleep(cx)
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.unregister();
    }
}

/// The panic of a `Sleep` polled without a loop.
#[cold]
fn outside_loop() -> ! {
    panic!("a strands timer was polled outside of a strands event loop (use strands::run)")
}
