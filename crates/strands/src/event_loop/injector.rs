//! The door into a loop from other threads: a queue of messages plus a wake-up protocol.
//!
//! # Protocol
//!
//! `state` is one of [`IDLE`], [`PARKED`], [`NOTIFIED`].
//!
//! - A sender pushes its message under the queue lock, then swaps `state` to `NOTIFIED`.
//!   Only if it found `PARKED` does it pay for a system call ([`Unpark::unpark`]).
//! - The loop, at each turn, drains the queue if `state` is `NOTIFIED` (resetting it to
//!   `IDLE` first, so a message pushed during the drain leaves a new notification behind).
//! - Before sleeping, the loop moves `IDLE -> PARKED` with a compare-exchange. If that fails,
//!   a message arrived since the last drain: it drains instead of sleeping. After sleeping it
//!   swaps back to `IDLE` and drains if it was notified.
//!
//! A message can therefore never sit in the queue while the loop sleeps: either the sender's
//! swap happens before the loop's compare-exchange (which then fails), or after it (and the
//! sender sees `PARKED` and unparks). `tests::loom_*` check this with every interleaving.

use crate::loom::atomic::{AtomicU8, Ordering};
use crate::loom::Mutex;
use crate::task::raw::TaskRef;

/// The loop is awake and has no undelivered notification.
const IDLE: u8 = 0;
/// The loop is (about to be) asleep in its poll and must be unparked.
const PARKED: u8 = 1;
/// A message is waiting; the loop will drain before it sleeps.
const NOTIFIED: u8 = 2;

/// What another thread can ask of a loop.
pub(crate) enum Remote {
    /// Schedule this task (the reference travels with the message).
    Wake(TaskRef),
    /// Run this closure on the loop's thread.
    Run(Box<dyn FnOnce() + Send>),
}

/// Interrupts the loop's sleep (an eventfd write in production).
pub(crate) trait Unpark: Send + Sync {
    /// Wakes the loop if it sleeps, or makes its next sleep return at once.
    fn unpark(&self);
}

/// The thread-safe part of a loop, shared with its `Handle`s and its tasks' wakers.
pub(crate) struct Injector {
    /// Messages not yet taken by the loop; `None` once the loop has shut down.
    queue: Mutex<Option<Vec<Remote>>>,
    /// `IDLE`, `PARKED` or `NOTIFIED`; see the module documentation.
    state: AtomicU8,
    /// Interrupts the loop's sleep.
    unpark: Box<dyn Unpark>,
}

/// The outcome of [`Injector::prepare_park`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Park {
    /// Nothing pending: the loop may sleep, and will be unparked on a new message.
    Sleep,
    /// A message arrived: drain instead of sleeping.
    Drain,
}

impl Injector {
    /// An open injector that interrupts sleeps with `unpark`.
    pub(crate) fn new(unpark: Box<dyn Unpark>) -> Injector {
        Injector {
            queue: Mutex::new(Some(Vec::new())),
            state: AtomicU8::new(IDLE),
            unpark,
        }
    }

    /// Queues `msg` and makes sure the loop will see it; hands it back if the loop has shut
    /// down.
    pub(crate) fn push(&self, msg: Remote) -> Result<(), Remote> {
        self.push_if_open(msg, |m| m)
    }

    /// Queues the message made from `value` by `make`, unless the loop has shut down, in
    /// which case `value` is handed back untouched.
    pub(crate) fn push_if_open<T>(
        &self,
        value: T,
        make: impl FnOnce(T) -> Remote,
    ) -> Result<(), T> {
        {
            let mut queue = self.queue.lock();
            match queue.as_mut() {
                Some(q) => q.push(make(value)),
                None => return Err(value),
            }
        }
        if self.state.swap(NOTIFIED, Ordering::AcqRel) == PARKED {
            self.unpark.unpark();
        }
        Ok(())
    }

    /// True if a message may be waiting (cheap; checked at every turn).
    pub(crate) fn is_notified(&self) -> bool {
        self.state.load(Ordering::Relaxed) == NOTIFIED
    }

    /// Moves every queued message into `out` and clears the notification.
    pub(crate) fn drain_into(&self, out: &mut Vec<Remote>) {
        self.state.swap(IDLE, Ordering::AcqRel);
        if let Some(q) = self.queue.lock().as_mut() {
            std::mem::swap(q, out);
        }
    }

    /// Called by the loop before it sleeps.
    pub(crate) fn prepare_park(&self) -> Park {
        match self
            .state
            .compare_exchange(IDLE, PARKED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Park::Sleep,
            Err(_) => Park::Drain,
        }
    }

    /// Called by the loop after it slept; true if it must drain.
    pub(crate) fn after_park(&self) -> bool {
        self.state.swap(IDLE, Ordering::AcqRel) == NOTIFIED
    }

    /// Refuses every later message and returns those still queued.
    pub(crate) fn close(&self) -> Vec<Remote> {
        self.queue.lock().take().unwrap_or_default()
    }

    /// True once [`Injector::close`] ran.
    pub(crate) fn is_closed(&self) -> bool {
        self.queue.lock().is_none()
    }
}

#[cfg(all(test, strands_loom))]
mod tests {
    use super::*;
    use crate::loom::atomic::AtomicBool;
    use crate::loom::{thread, Arc, Condvar};

    /// A model of the eventfd: a flag and a condition variable.
    #[derive(Default)]
    struct Flag {
        set: Mutex<bool>,
        cv: Condvar,
    }

    impl Unpark for Arc<Flag> {
        fn unpark(&self) {
            *self.set.lock() = true;
            self.cv.notify_one();
        }
    }

    impl Flag {
        /// The loop's sleep: returns once unparked (consuming the wake-up).
        fn sleep(&self) {
            let mut set = self.set.lock();
            while !*set {
                set = self.cv.wait(set);
            }
            *set = false;
        }
    }

    /// Runs the loop side until it has seen `expected` messages.
    fn run_loop(inj: &Injector, flag: &Flag, expected: usize) {
        let mut seen = 0;
        let mut buf = Vec::new();
        while seen < expected {
            if inj.is_notified() {
                inj.drain_into(&mut buf);
                seen += buf.len();
                buf.clear();
                continue;
            }
            if inj.prepare_park() == Park::Sleep {
                flag.sleep();
                if !inj.after_park() {
                    continue;
                }
            }
            inj.drain_into(&mut buf);
            seen += buf.len();
            buf.clear();
        }
    }

    #[test]
    fn loom_no_lost_wakeup_one_sender() {
        loom::model(|| {
            let flag = Arc::new(Flag::default());
            let inj = Arc::new(Injector::new(Box::new(flag.clone())));
            let sender = {
                let inj = inj.clone();
                thread::spawn(move || {
                    assert!(inj.push(Remote::Run(Box::new(|| {}))).is_ok());
                })
            };
            run_loop(&inj, &flag, 1);
            sender.join().unwrap();
        });
    }

    #[test]
    fn loom_no_lost_wakeup_two_senders() {
        loom::model(|| {
            let flag = Arc::new(Flag::default());
            let inj = Arc::new(Injector::new(Box::new(flag.clone())));
            let senders: Vec<_> = (0..2)
                .map(|_| {
                    let inj = inj.clone();
                    thread::spawn(move || {
                        assert!(inj.push(Remote::Run(Box::new(|| {}))).is_ok());
                    })
                })
                .collect();
            run_loop(&inj, &flag, 2);
            for s in senders {
                s.join().unwrap();
            }
        });
    }

    #[test]
    fn loom_close_returns_or_refuses_every_message() {
        loom::model(|| {
            let flag = Arc::new(Flag::default());
            let inj = Arc::new(Injector::new(Box::new(flag.clone())));
            let accepted = Arc::new(AtomicBool::new(false));
            let sender = {
                let (inj, accepted) = (inj.clone(), accepted.clone());
                thread::spawn(move || {
                    let ok = inj.push(Remote::Run(Box::new(|| {}))).is_ok();
                    accepted.store(ok, Ordering::SeqCst);
                })
            };
            let left = inj.close();
            sender.join().unwrap();
            // Accepted before the close: handed back by `close`. Otherwise refused.
            assert_eq!(accepted.load(Ordering::SeqCst), left.len() == 1);
        });
    }
}
