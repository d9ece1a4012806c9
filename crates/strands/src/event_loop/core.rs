//! The loop's machinery on its own thread: run queue, task list, timers and the turn.
//!
//! # The turn
//!
//! 1. Poll up to `budget` tasks from the run queue, in FIFO order. A task woken during the
//!    turn goes to the back, so `yield_now` runs after every task that was ready before it.
//! 2. Drain the injector if another thread left a message (a cheap atomic load otherwise).
//! 3. Fire due timers (only when some timer is registered).
//! 4. Sleep in the reactor if the run queue is empty, until the next timer, an I/O event or a
//!    wake-up; otherwise, if I/O sources exist, collect their events without sleeping.
//!
//! All of `Core` is touched by the loop's thread only (it is reached through the `!Send`
//! `EventLoop` or the thread-local current loop); the run queue and task list are intrusive
//! lists through the task headers, so scheduling allocates nothing and uses no atomics.

use std::cell::{Cell, RefCell};
use std::io;
use std::ptr::NonNull;
use std::task::{Poll, Waker};
use std::time::Duration;

use crate::event_loop::injector::{Injector, Park, Remote};
use crate::event_loop::reactor::Reactor;
use crate::event_loop::PanicHook;
use crate::loom::Arc;
use crate::task::error::Panic;
use crate::task::raw::{Header, Meta, NewTask, TaskId, TaskRef};
use crate::task::state::{RunAction, WakeAction};
use crate::task::UnhandledPanic;
use crate::time::timers::Timers;

/// The loop-thread side of an event loop.
pub(crate) struct Core {
    /// The thread-safe side, shared with handles and wakers.
    pub(crate) injector: Arc<Injector>,
    /// First task of the run queue.
    run_head: Cell<Option<NonNull<Header>>>,
    /// Last task of the run queue.
    run_tail: Cell<Option<NonNull<Header>>>,
    /// First of the incomplete tasks (a doubly linked list through the headers).
    tasks: Cell<Option<NonNull<Header>>>,
    /// Number of incomplete tasks.
    live: Cell<usize>,
    /// The task being polled.
    current: Cell<Option<NonNull<Header>>>,
    /// Source of task identifiers: this loop's number in the high bits, a counter below.
    next_id: Cell<u64>,
    /// Timers of this loop.
    pub(crate) timers: RefCell<Timers>,
    /// Where the loop sleeps.
    pub(crate) reactor: RefCell<Reactor>,
    /// I/O operations the running task may still complete before it must yield.
    coop: Cell<u32>,
    /// Reused buffers: wakers of due timers, messages from other threads.
    scratch: RefCell<(Vec<Waker>, Vec<Remote>)>,
    /// Where panics nobody will see are reported.
    panic_hook: PanicHook,
    /// Tasks polled per turn before timers and other threads get a look.
    budget: usize,
    /// The task `block_on` waits for; when it completes, the turn does not sleep.
    pub(crate) main: Cell<Option<NonNull<Header>>>,
}

impl Core {
    /// A new loop core with its reactor.
    pub(crate) fn new(loop_number: u64, panic_hook: PanicHook, budget: usize) -> io::Result<Core> {
        let (reactor, unpark) = Reactor::new()?;
        Ok(Core {
            injector: Arc::new(Injector::new(unpark)),
            run_head: Cell::new(None),
            run_tail: Cell::new(None),
            tasks: Cell::new(None),
            live: Cell::new(0),
            current: Cell::new(None),
            next_id: Cell::new(loop_number << 40),
            timers: RefCell::new(Timers::new()),
            reactor: RefCell::new(reactor),
            coop: Cell::new(COOP_BUDGET),
            scratch: RefCell::new((Vec::new(), Vec::new())),
            panic_hook,
            budget: budget.max(1),
            main: Cell::new(None),
        })
    }

    /// Allocates a task for `future`, links it and queues it; returns the handle reference.
    ///
    /// # Safety
    ///
    /// As for [`TaskRef::allocate`]: `future` and its output are dropped before any data they
    /// borrow.
    pub(crate) unsafe fn spawn_raw<F: std::future::Future>(
        &self,
        future: F,
        meta: Option<Box<Meta>>,
    ) -> TaskRef {
        let id = TaskId(self.next_id.get());
        self.next_id.set(id.0.wrapping_add(1));
        let new = NewTask {
            owner: self.injector.clone(),
            id,
            meta,
        };
        // SAFETY: forwarded to our caller.
        let (list_ref, handle) = unsafe { TaskRef::allocate(future, new) };
        let ptr = list_ref.into_raw();
        self.link(ptr);
        self.push_ready(ptr);
        handle
    }

    /// Links and queues a task allocated on another thread (`Remote::Spawn`).
    fn adopt(&self, task: TaskRef) {
        let id = TaskId(self.next_id.get());
        self.next_id.set(id.0.wrapping_add(1));
        task.header().id.set(id);
        let ptr = task.into_raw();
        self.link(ptr);
        self.push_ready(ptr);
    }

    /// The task being polled, if any.
    pub(crate) fn current_task(&self) -> Option<TaskRef> {
        self.current.get().map(|ptr| {
            // SAFETY: the current task is alive (its list reference is held while it runs);
            // cloning a borrowed reference takes a new one.
            let borrowed = std::mem::ManuallyDrop::new(unsafe { TaskRef::from_raw(ptr) });
            (*borrowed).clone()
        })
    }

    /// Number of incomplete tasks.
    pub(crate) fn live_tasks(&self) -> usize {
        self.live.get()
    }

    /// True if `injector` is this loop's (loops are told apart by their injector, which is
    /// never reused while anyone holds it).
    pub(crate) fn is_loop_of(&self, injector: &Arc<Injector>) -> bool {
        Arc::ptr_eq(&self.injector, injector)
    }

    /// True if `task` belongs to this loop.
    pub(crate) fn owns(&self, header: &Header) -> bool {
        std::ptr::eq(Arc::as_ptr(&self.injector), Arc::as_ptr(&header.owner))
    }

    /// Applies a wake-up to a task of this loop.
    #[inline]
    pub(crate) fn schedule(&self, ptr: NonNull<Header>) {
        // SAFETY: the caller holds a reference to the task.
        let header = unsafe { ptr.as_ref() };
        let (state, action) = header.state.get().on_wake();
        header.state.set(state);
        if let WakeAction::Enqueue = action {
            self.push_ready(ptr);
        }
    }

    /// One turn of the loop; see the module documentation. Returns an error only if the
    /// reactor fails.
    pub(crate) fn turn(&self) -> io::Result<()> {
        let polled = self.run_ready();
        if self.injector.is_notified() {
            self.drain_injector();
        }
        if self.timers.borrow().len() > 0 {
            self.fire_timers();
        }
        if self.run_head.get().is_none() && polled < self.budget && !self.main_is_complete() {
            self.park()?;
        } else if self.reactor.borrow().live() > 0 {
            self.poll_io(Some(Duration::ZERO))?;
        }
        Ok(())
    }

    /// True if the task `block_on` waits for has completed.
    fn main_is_complete(&self) -> bool {
        self.main.get().is_some_and(|m| {
            // SAFETY: `block_on` holds a reference to its main task while it is set here.
            unsafe { m.as_ref() }.state.get().is_complete()
        })
    }

    /// Polls up to `budget` queued tasks; returns how many.
    fn run_ready(&self) -> usize {
        let mut polled = 0;
        while polled < self.budget {
            let Some(ptr) = self.pop_ready() else { break };
            polled += 1;
            self.run_task(ptr);
        }
        polled
    }

    /// Runs one task taken off the run queue.
    fn run_task(&self, ptr: NonNull<Header>) {
        // SAFETY: queued tasks are incomplete, hence alive through the task list.
        let header = unsafe { ptr.as_ref() };
        let (state, action) = header.state.get().on_dequeue();
        header.state.set(state);
        // SAFETY: borrows the list's reference for the duration of the run.
        let task = std::mem::ManuallyDrop::new(unsafe { TaskRef::from_raw(ptr) });
        match action {
            RunAction::Skip => {}
            RunAction::Cancel => {
                task.cancel();
                self.complete(ptr);
            }
            RunAction::Poll => {
                self.current.set(Some(ptr));
                self.coop.set(COOP_BUDGET);
                let outcome = task.poll();
                self.current.set(None);
                if let Poll::Ready(panicked) = outcome {
                    if panicked {
                        header.state.set(header.state.get().with_panicked());
                    }
                    self.complete(ptr);
                } else {
                    let (state, action) = header.state.get().on_pending();
                    header.state.set(state);
                    if let WakeAction::Enqueue = action {
                        self.push_ready(ptr);
                    }
                }
            }
        }
    }

    /// Marks a task complete, tells its `Task` handle, and drops the list's reference.
    fn complete(&self, ptr: NonNull<Header>) {
        // SAFETY: the list's reference keeps the task alive until the end of this function.
        let header = unsafe { ptr.as_ref() };
        let state = header.state.get().on_complete();
        header.state.set(state);
        self.unlink(ptr);
        // SAFETY: the task list owned this reference; unlinked, we take it over.
        let list_ref = unsafe { TaskRef::from_raw(ptr) };
        if let Some(waker) = header.join_waker.take() {
            waker.wake();
        }
        if !state.has_join_interest() {
            if let Some(panic) = list_ref.discard_output() {
                self.report(header, &panic, "panicked in a detached task");
            }
        }
    }

    /// Cancels a task at once, outside the turn (the main future of a `block_on` that is
    /// being left). The task must not be running.
    pub(crate) fn cancel_now(&self, ptr: NonNull<Header>) {
        // SAFETY: the caller holds a reference to the task.
        let header = unsafe { ptr.as_ref() };
        if header.state.get().is_complete() {
            return;
        }
        if header.state.get().is_scheduled() {
            self.remove_ready(ptr);
        }
        // Marked running (and not queued) while its future is dropped, as in `run_task`: a
        // destructor that wakes the task must not put it back in the run queue, where it
        // would outlive its last reference.
        header.state.set(header.state.get().on_dequeue().0);
        // SAFETY: borrows the list's reference, which `complete` then releases.
        let task = std::mem::ManuallyDrop::new(unsafe { TaskRef::from_raw(ptr) });
        task.cancel();
        self.complete(ptr);
    }

    /// Removes a task from the middle of the run queue (rare: linear).
    fn remove_ready(&self, ptr: NonNull<Header>) {
        let mut prev: Option<NonNull<Header>> = None;
        let mut cur = self.run_head.get();
        while let Some(p) = cur {
            // SAFETY: queued tasks are alive.
            let next = unsafe { p.as_ref() }.next_ready.get();
            if p == ptr {
                match prev {
                    // SAFETY: as above.
                    Some(q) => unsafe { q.as_ref() }.next_ready.set(next),
                    None => self.run_head.set(next),
                }
                if next.is_none() {
                    self.run_tail.set(prev);
                }
                return;
            }
            prev = cur;
            cur = next;
        }
    }

    /// Reports a panic of a task that no handle will ever see.
    pub(crate) fn report(&self, header: &Header, panic: &Panic, context: &'static str) {
        self.report_unhandled(&UnhandledPanic {
            task: Some(header.id.get()),
            name: header.meta.as_ref().and_then(|m| m.name.as_deref()),
            spawned_at: header.meta.as_ref().map(|m| m.location),
            panic,
            context,
        });
    }

    /// Hands a report to the panic hook (a panicking hook is caught and noted on stderr).
    pub(crate) fn report_unhandled(&self, report: &UnhandledPanic<'_>) {
        let hook = &self.panic_hook;
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(report))).is_err() {
            eprintln!("strands: the task panic hook panicked while reporting: {report}");
        }
    }

    /// Runs messages from other threads.
    fn drain_injector(&self) {
        let mut msgs = std::mem::take(&mut self.scratch.borrow_mut().1);
        self.injector.drain_into(&mut msgs);
        for msg in msgs.drain(..) {
            match msg {
                Remote::Wake(task) => {
                    if self.owns(task.header()) {
                        self.schedule(task.as_ptr());
                    }
                }
                Remote::Run(f) => f(),
                Remote::Spawn(task) => self.adopt(task),
            }
        }
        self.scratch.borrow_mut().1 = msgs;
    }

    /// Wakes the tasks whose timers are due.
    fn fire_timers(&self) {
        let mut wakers = std::mem::take(&mut self.scratch.borrow_mut().0);
        {
            let mut timers = self.timers.borrow_mut();
            let now = timers.now();
            timers.fire_due(now, &mut wakers);
        }
        for w in wakers.drain(..) {
            w.wake();
        }
        self.scratch.borrow_mut().0 = wakers;
    }

    /// Sleeps until the next timer, a wake-up from another thread, or an I/O event.
    fn park(&self) -> io::Result<()> {
        let timeout = {
            let mut timers = self.timers.borrow_mut();
            let now = timers.now();
            timers.next_timeout(now).map(round_up_to_millis)
        };
        if timeout == Some(Duration::ZERO) {
            return Ok(());
        }
        let park_thread = self.reactor.borrow().prepare_sleep();
        if self.injector.prepare_park() == Park::Sleep {
            let res = if park_thread {
                Reactor::park_thread(timeout);
                Ok(())
            } else {
                self.poll_io(timeout)
            };
            if self.injector.after_park() {
                self.drain_injector();
            }
            res
        } else {
            self.drain_injector();
            Ok(())
        }
    }

    /// Collects I/O events (waiting at most `timeout`) and wakes the tasks they concern.
    fn poll_io(&self, timeout: Option<Duration>) -> io::Result<()> {
        let mut wakers = std::mem::take(&mut self.scratch.borrow_mut().0);
        let res = self.reactor.borrow_mut().poll_events(timeout, &mut wakers);
        for w in wakers.drain(..) {
            w.wake();
        }
        self.scratch.borrow_mut().0 = wakers;
        res
    }

    /// Spends one unit of the running task's I/O budget: false when it is exhausted, and the
    /// task must yield so the others get a turn.
    pub(crate) fn consume_coop(&self) -> bool {
        let left = self.coop.get();
        if left == 0 {
            return false;
        }
        self.coop.set(left - 1);
        true
    }

    /// Cancels every incomplete task, running their destructors, until none is left (a
    /// destructor may spawn), then closes the injector and drops what it held.
    pub(crate) fn shutdown(&self) {
        while let Some(ptr) = self.pop_ready() {
            // SAFETY: queued tasks are alive through the task list.
            let header = unsafe { ptr.as_ref() };
            header.state.set(header.state.get().without_scheduled());
        }
        while let Some(ptr) = self.tasks.get() {
            self.cancel_now(ptr);
            while let Some(p) = self.pop_ready() {
                // SAFETY: queued tasks are alive through the task list.
                let h = unsafe { p.as_ref() };
                h.state.set(h.state.get().without_scheduled());
            }
        }
        for msg in self.injector.close() {
            if let Remote::Spawn(task) = msg {
                // Drop the never-started future here, on the loop's thread, marked running
                // so that a wake from its destructor is ignored.
                let h = task.header();
                h.state.set(h.state.get().on_dequeue().0);
                task.cancel();
            }
        }
        self.timers.borrow_mut().clear();
    }

    /// Appends a task to the run queue.
    #[inline]
    fn push_ready(&self, ptr: NonNull<Header>) {
        // SAFETY: queued tasks are alive (see `run_task`).
        unsafe { ptr.as_ref() }.next_ready.set(None);
        match self.run_tail.get() {
            // SAFETY: as above.
            Some(tail) => unsafe { tail.as_ref() }.next_ready.set(Some(ptr)),
            None => self.run_head.set(Some(ptr)),
        }
        self.run_tail.set(Some(ptr));
    }

    /// Takes the first task of the run queue.
    #[inline]
    fn pop_ready(&self) -> Option<NonNull<Header>> {
        let head = self.run_head.get()?;
        // SAFETY: queued tasks are alive.
        let next = unsafe { head.as_ref() }.next_ready.take();
        self.run_head.set(next);
        if next.is_none() {
            self.run_tail.set(None);
        }
        Some(head)
    }

    /// Adds a task to the list of incomplete tasks.
    fn link(&self, ptr: NonNull<Header>) {
        // SAFETY: `ptr` is alive (we hold its list reference).
        let header = unsafe { ptr.as_ref() };
        let head = self.tasks.get();
        header.next_task.set(head);
        header.prev_task.set(None);
        if let Some(h) = head {
            // SAFETY: listed tasks are alive.
            unsafe { h.as_ref() }.prev_task.set(Some(ptr));
        }
        self.tasks.set(Some(ptr));
        self.live.set(self.live.get() + 1);
    }

    /// Removes a task from the list of incomplete tasks.
    fn unlink(&self, ptr: NonNull<Header>) {
        // SAFETY: `ptr` and its neighbours are listed, hence alive.
        let header = unsafe { ptr.as_ref() };
        let (prev, next) = (header.prev_task.take(), header.next_task.take());
        match prev {
            // SAFETY: as above.
            Some(p) => unsafe { p.as_ref() }.next_task.set(next),
            None => self.tasks.set(next),
        }
        if let Some(n) = next {
            // SAFETY: as above.
            unsafe { n.as_ref() }.prev_task.set(prev);
        }
        self.live.set(self.live.get() - 1);
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// I/O operations a task may complete in one poll before it is made to yield.
const COOP_BUDGET: u32 = 128;

/// epoll counts in milliseconds: round up so a timer is never checked before it is due.
fn round_up_to_millis(d: Duration) -> Duration {
    let ms = d.as_nanos().div_ceil(1_000_000);
    Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
}
