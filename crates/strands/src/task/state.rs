//! The scheduling state of a task.
//!
//! Unlike a work-stealing runtime, a strands task belongs to one loop and its state is only
//! ever read or written on that loop's thread: other threads never touch it (a wake from
//! another thread travels through the loop's injector and is applied by the loop). The state
//! is therefore a plain `Cell` of bits, and scheduling costs no atomic operation.

/// A set of state bits; see the constants for their meaning.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct State(u8);

/// The task sits in its loop's run queue.
const SCHEDULED: u8 = 1 << 0;
/// The loop is polling the task right now.
const RUNNING: u8 = 1 << 1;
/// Woken while running: put it back in the run queue when the poll returns `Pending`.
const NOTIFIED: u8 = 1 << 2;
/// The future has finished, been cancelled or panicked; its output (if any) is stored.
const COMPLETE: u8 = 1 << 3;
/// Cancellation was requested: the next time the loop takes the task, it drops the future.
const CANCELLED: u8 = 1 << 4;
/// A `Task<T>` handle still wants the output.
const JOIN_INTEREST: u8 = 1 << 5;
/// The task completed by panicking (its output is the panic).
const PANICKED: u8 = 1 << 6;

/// What a wake-up must do, as decided by [`State::on_wake`].
pub(crate) enum WakeAction {
    /// Push the task onto the run queue.
    Enqueue,
    /// Nothing: already queued, completed, or marked to be re-queued after its poll.
    Nothing,
}

/// What the loop does with a task it took off the run queue.
pub(crate) enum RunAction {
    /// Poll the future.
    Poll,
    /// Drop the future: cancellation was requested.
    Cancel,
    /// Nothing (it completed since it was queued).
    Skip,
}

impl State {
    /// The state of a freshly spawned task: queued, with a `Task` handle.
    pub(crate) const fn new_spawned() -> State {
        State(SCHEDULED | JOIN_INTEREST)
    }

    /// True once the future has produced its output (or was cancelled or panicked).
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }

    /// True if cancellation was requested.
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }

    /// True while a `Task<T>` handle exists.
    pub(crate) fn has_join_interest(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }

    /// True while the task is in the run queue.
    pub(crate) fn is_scheduled(self) -> bool {
        self.0 & SCHEDULED != 0
    }

    /// A wake-up arrived: returns the new state and what to do.
    pub(crate) fn on_wake(self) -> (State, WakeAction) {
        if self.0 & (COMPLETE | SCHEDULED | NOTIFIED) != 0 {
            (self, WakeAction::Nothing)
        } else if self.0 & RUNNING != 0 {
            (State(self.0 | NOTIFIED), WakeAction::Nothing)
        } else {
            (State(self.0 | SCHEDULED), WakeAction::Enqueue)
        }
    }

    /// The loop takes the task off the run queue.
    pub(crate) fn on_dequeue(self) -> (State, RunAction) {
        let s = self.0 & !SCHEDULED;
        if s & COMPLETE != 0 {
            (State(s), RunAction::Skip)
        } else if s & CANCELLED != 0 {
            (State(s | RUNNING), RunAction::Cancel)
        } else {
            (State(s | RUNNING), RunAction::Poll)
        }
    }

    /// A poll returned `Pending`: returns the new state and whether to re-queue.
    pub(crate) fn on_pending(self) -> (State, WakeAction) {
        let s = self.0 & !RUNNING;
        if s & NOTIFIED != 0 {
            (State((s & !NOTIFIED) | SCHEDULED), WakeAction::Enqueue)
        } else {
            (State(s), WakeAction::Nothing)
        }
    }

    /// The future finished (or was dropped): no more polls, no more queueing.
    pub(crate) fn on_complete(self) -> State {
        State((self.0 & !(RUNNING | NOTIFIED | SCHEDULED)) | COMPLETE)
    }

    /// The task completed by panicking.
    pub(crate) fn with_panicked(self) -> State {
        State(self.0 | PANICKED)
    }

    /// True if the task completed by panicking.
    pub(crate) fn is_panicked(self) -> bool {
        self.0 & PANICKED != 0
    }

    /// Cancellation requested; the caller then wakes the task so the loop sees it.
    pub(crate) fn with_cancel(self) -> State {
        State(self.0 | CANCELLED)
    }

    /// The `Task<T>` handle went away.
    pub(crate) fn without_join_interest(self) -> State {
        State(self.0 & !JOIN_INTEREST)
    }

    /// Forget a queued mark (the run queue is being cleared at shutdown).
    pub(crate) fn without_scheduled(self) -> State {
        State(self.0 & !SCHEDULED)
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = [
            (SCHEDULED, "SCHEDULED"),
            (RUNNING, "RUNNING"),
            (NOTIFIED, "NOTIFIED"),
            (COMPLETE, "COMPLETE"),
            (CANCELLED, "CANCELLED"),
            (JOIN_INTEREST, "JOIN_INTEREST"),
            (PANICKED, "PANICKED"),
        ];
        let mut list = f.debug_set();
        for (bit, name) in names {
            if self.0 & bit != 0 {
                list.entry(&format_args!("{name}"));
            }
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wake_while_running_requeues_after_pending() {
        let (s, _) = State::new_spawned().on_dequeue();
        let (s, a) = s.on_wake();
        assert!(matches!(a, WakeAction::Nothing));
        let (s, a) = s.on_pending();
        assert!(matches!(a, WakeAction::Enqueue));
        assert!(s.is_scheduled());
    }

    #[test]
    fn complete_task_ignores_wakes() {
        let s = State::new_spawned().on_dequeue().0.on_complete();
        assert!(matches!(s.on_wake().1, WakeAction::Nothing));
        assert!(matches!(s.on_dequeue().1, RunAction::Skip));
    }

    #[test]
    fn cancel_turns_the_next_run_into_a_drop() {
        let (s, _) = State::new_spawned().on_dequeue();
        let (s, _) = s.on_pending();
        let (s, a) = s.with_cancel().on_wake();
        assert!(matches!(a, WakeAction::Enqueue));
        assert!(matches!(s.on_dequeue().1, RunAction::Cancel));
    }

    #[test]
    fn double_wake_enqueues_once() {
        let (s, _) = State::new_spawned().on_dequeue();
        let (s, _) = s.on_pending();
        let (s, a) = s.on_wake();
        assert!(matches!(a, WakeAction::Enqueue));
        assert!(matches!(s.on_wake().1, WakeAction::Nothing));
    }
}
