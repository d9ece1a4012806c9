//! The task allocation: header, future and output in one block, and its waker.
//!
//! # Design
//!
//! A task is one heap block, `TaskCell<F>`: a [`Header`] followed by the stage, which holds
//! the future while it runs and its output once it finished. Everything outside this module
//! handles tasks through [`TaskRef`], a counted, type-erased pointer to the header; the few
//! operations that need the concrete type go through the header's [`Vtable`].
//!
//! ## Who may touch what
//!
//! - `refs` (atomic) and `owner` (immutable) may be used from any thread: they are all a
//!   [`Waker`] touches when it is cloned, dropped or woken away from the loop's thread.
//! - Every other field — the state bits, the run-queue and task-list links, the join waker
//!   and the stage — is read and written **only on the thread of the owning loop**. Wakes from
//!   other threads are forwarded to the loop through its injector (see `event_loop::injector`).
//!   `Task<T>` and `TaskHandle`, the only other ways to reach a task, are `!Send`.
//!
//! ## Lifetime
//!
//! `refs` counts the task list of the loop (while the task is incomplete), the `Task<T>` /
//! `TaskHandle` handles, every `Waker`, and every wake-up queued in the injector. The block is
//! freed when it drops to zero. The run queue holds no reference: only incomplete tasks are
//! queued, and those are kept alive by the task list.
//!
//! The stage is emptied on the loop's thread: the future is dropped there when the task
//! completes or is cancelled (at the latest when the loop shuts down), and the output is taken
//! or dropped by `Task<T>` (`!Send`) or by the loop. So when the last `Waker` is dropped on
//! another thread, freeing the block runs no code of the (possibly `!Send`) future or output.

use std::cell::Cell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use crate::event_loop::{self, Injector};
use crate::loom::atomic::{self, AtomicUsize, Ordering};
use crate::loom::{Arc, UnsafeCell};
use crate::task::error::{Panic, TaskError};
use crate::task::state::State;

/// Identifies a task within its process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub(crate) u64);

impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Rarely needed facts about a task, kept out of line so unnamed tasks stay small.
#[derive(Debug)]
pub(crate) struct Meta {
    /// The name given by `task::Builder::name`.
    pub(crate) name: Option<Box<str>>,
    /// Where the task was spawned.
    pub(crate) location: &'static std::panic::Location<'static>,
}

/// The part of a task that does not depend on its future's type.
pub(crate) struct Header {
    /// Strong references; see the module documentation.
    refs: AtomicUsize,
    /// Scheduling state; loop thread only.
    pub(crate) state: Cell<State>,
    /// The operations that know the future's type.
    vtable: &'static Vtable,
    /// The loop that owns the task; immutable.
    pub(crate) owner: Arc<Injector>,
    /// Next task in the loop's run queue; loop thread only.
    pub(crate) next_ready: Cell<Option<NonNull<Header>>>,
    /// Neighbours in the loop's list of incomplete tasks; loop thread only.
    pub(crate) prev_task: Cell<Option<NonNull<Header>>>,
    /// See `prev_task`.
    pub(crate) next_task: Cell<Option<NonNull<Header>>>,
    /// Woken when the task completes; loop thread only.
    pub(crate) join_waker: Cell<Option<Waker>>,
    /// Identifier; assigned by the loop (a task spawned from another thread gets it when the
    /// loop adopts it).
    pub(crate) id: Cell<TaskId>,
    /// Name and spawn site; set once at spawn.
    pub(crate) meta: Option<Box<Meta>>,
}

// SAFETY: the only fields used from other threads are `refs` (atomic), `owner` (an `Arc` to a
// `Send + Sync` injector, never mutated) and `vtable` (immutable `&'static`). The `Cell` fields
// are confined to the loop's thread by the protocol described in the module documentation.
unsafe impl Sync for Header {}
// SAFETY: as for `Sync`: what another thread may do with a header (count references, free it
// once the stage is empty) does not depend on the thread it was created on.
unsafe impl Send for Header {}

/// The operations on a task that depend on its future type `F`.
struct Vtable {
    /// Polls the future; `Ready(panicked)` when the task completed (outcome stored).
    poll: unsafe fn(NonNull<Header>) -> Poll<bool>,
    /// Drops the future and stores `Err(Cancelled)`.
    cancel: unsafe fn(NonNull<Header>),
    /// Moves the output into `*mut Option<Result<F::Output, TaskError>>`.
    read_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Drops the output; returns the panic it held, if any.
    discard_output: unsafe fn(NonNull<Header>) -> Option<Panic>,
    /// Frees the block.
    dealloc: unsafe fn(NonNull<Header>),
}

/// What the stage of a task holds.
enum Stage<F: Future> {
    /// The future, still running.
    Running(F),
    /// The outcome, not yet taken.
    Finished(Result<F::Output, TaskError>),
    /// Nothing: the outcome was taken or dropped.
    Consumed,
}

/// The task block. `repr(C)` keeps the header first, so a header pointer is a cell pointer.
#[repr(C)]
struct TaskCell<F: Future> {
    /// Type-independent part; must stay the first field.
    header: Header,
    /// The future or its output; loop thread only.
    stage: UnsafeCell<Stage<F>>,
}

/// A counted pointer to a task.
pub(crate) struct TaskRef {
    /// Points to a live header; this value owns one of its `refs`.
    ptr: NonNull<Header>,
}

/// What a new task needs besides its future.
pub(crate) struct NewTask {
    /// The owning loop.
    pub(crate) owner: Arc<Injector>,
    /// Identifier.
    pub(crate) id: TaskId,
    /// Name and spawn site, if any.
    pub(crate) meta: Option<Box<Meta>>,
}

impl TaskRef {
    /// Allocates a task running `future`. Returns two references (one for the loop's task
    /// list, one for the caller's handle), with the state `SCHEDULED | JOIN_INTEREST`.
    ///
    /// # Safety
    ///
    /// The future and its output may borrow data of lifetime `'a`: the caller guarantees both
    /// are dropped (by completion, `cancel`, `read_output` or `discard_output`) before `'a`
    /// ends. For `F: 'static` this is trivially true.
    pub(crate) unsafe fn allocate<F: Future>(future: F, new: NewTask) -> (TaskRef, TaskRef) {
        let cell = Box::new(TaskCell {
            header: Header {
                refs: AtomicUsize::new(2),
                state: Cell::new(State::new_spawned()),
                vtable: vtable::<F>(),
                owner: new.owner,
                next_ready: Cell::new(None),
                prev_task: Cell::new(None),
                next_task: Cell::new(None),
                join_waker: Cell::new(None),
                id: Cell::new(new.id),
                meta: new.meta,
            },
            stage: UnsafeCell::new(Stage::Running(future)),
        });
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        (TaskRef { ptr }, TaskRef { ptr })
    }

    /// Allocates a detached task (no `Task` handle, state `SCHEDULED`) on any thread, for the
    /// loop of `owner` to adopt: one reference, which becomes the task list's.
    pub(crate) fn allocate_detached<F>(future: F, owner: Arc<Injector>) -> TaskRef
    where
        F: Future + Send + 'static,
        F::Output: Send,
    {
        let new = NewTask {
            owner,
            id: TaskId(0),
            meta: None,
        };
        // SAFETY: `F` and its output are `'static`.
        let (list, handle) = unsafe { TaskRef::allocate(future, new) };
        let header = handle.header();
        header.state.set(header.state.get().without_join_interest());
        // Nobody else can see the task yet: giving up the handle's reference is a plain
        // decrement that cannot reach zero.
        drop(handle);
        list
    }

    /// The header.
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: this `TaskRef` owns a reference, so the block is alive.
        unsafe { self.ptr.as_ref() }
    }

    /// The raw pointer, without giving up the reference.
    pub(crate) fn as_ptr(&self) -> NonNull<Header> {
        self.ptr
    }

    /// Gives up ownership of the reference, returning the pointer.
    pub(crate) fn into_raw(self) -> NonNull<Header> {
        ManuallyDrop::new(self).ptr
    }

    /// Re-takes a reference given up by [`TaskRef::into_raw`].
    ///
    /// # Safety
    ///
    /// `ptr` comes from `into_raw` and that reference was not re-taken since.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> TaskRef {
        TaskRef { ptr }
    }

    /// Polls the task; `Ready(true)` if it completed by panicking. Loop thread only, with the
    /// state set to running.
    pub(crate) fn poll(&self) -> Poll<bool> {
        // SAFETY: the task is alive; we are on the loop thread (caller contract, enforced by
        // `Core`, the only caller), which is where the stage may be touched.
        unsafe { (self.header().vtable.poll)(self.ptr) }
    }

    /// Drops the future and stores `Err(Cancelled)`. Loop thread only.
    pub(crate) fn cancel(&self) {
        // SAFETY: as for `poll`.
        unsafe { (self.header().vtable.cancel)(self.ptr) }
    }

    /// Takes the output of a complete task. Loop thread only; `T` must be the future's
    /// output type.
    ///
    /// # Safety
    ///
    /// `T` is the output type of the future this task was allocated with.
    pub(crate) unsafe fn read_output<T>(&self) -> Option<Result<T, TaskError>> {
        let mut out: Option<Result<T, TaskError>> = None;
        // SAFETY: the task is alive, we are on its loop thread (`Task<T>` is `!Send`), and the
        // caller guarantees the type.
        unsafe { (self.header().vtable.read_output)(self.ptr, ptr::addr_of_mut!(out).cast()) };
        out
    }

    /// Drops the output of a complete task, returning the panic it held, if any.
    pub(crate) fn discard_output(&self) -> Option<Panic> {
        // SAFETY: as for `poll`.
        unsafe { (self.header().vtable.discard_output)(self.ptr) }
    }

    /// A waker for this task, sharing this reference's lifetime (no count change).
    pub(crate) fn waker_ref(&self) -> ManuallyDrop<Waker> {
        // `ManuallyDrop` keeps the borrowed waker from giving up a reference it does not own.
        // SAFETY: a live header with `WAKER_VTABLE`, which upholds the `RawWaker` contract.
        ManuallyDrop::new(unsafe { Waker::from_raw(raw_waker(self.ptr)) })
    }

    /// Takes one more reference.
    fn inc_ref(&self) {
        inc_ref(self.ptr);
    }
}

// SAFETY: on a thread other than the owning loop's, a `TaskRef` is only cloned, dropped
// (atomic count; freeing runs no code of the future, see the module documentation) or carried
// to the loop in a `Remote::Wake`. Every other use requires the loop's thread and is reached
// only through `!Send` types (`Task`, `TaskHandle`, `Core`).
unsafe impl Send for TaskRef {}
// SAFETY: as for `Send`: `&TaskRef` allows nothing more on another thread.
unsafe impl Sync for TaskRef {}

impl Clone for TaskRef {
    fn clone(&self) -> TaskRef {
        self.inc_ref();
        TaskRef { ptr: self.ptr }
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        // SAFETY: this value owns one reference.
        unsafe { drop_ref(self.ptr) }
    }
}

/// Adds a reference to a live task.
fn inc_ref(ptr: NonNull<Header>) {
    // SAFETY: the caller holds a reference, so the header is alive.
    let refs = unsafe { &ptr.as_ref().refs };
    // Relaxed: a new reference is made from an existing one, which already orders access.
    let old = refs.fetch_add(1, Ordering::Relaxed);
    if old > isize::MAX as usize {
        // Like `Arc`: a count this high means leaked references; abort rather than overflow.
        std::process::abort();
    }
}

/// Gives up one reference; frees the block when it was the last.
///
/// # Safety
///
/// The caller owns one reference to `ptr` and does not use it afterwards.
unsafe fn drop_ref(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the header alive until the decrement.
    let header = unsafe { ptr.as_ref() };
    if header.refs.fetch_sub(1, Ordering::Release) != 1 {
        return;
    }
    // Acquire: every use through other references happens before the free.
    atomic::fence(Ordering::Acquire);
    // SAFETY: that was the last reference.
    unsafe { (header.vtable.dealloc)(ptr) }
}

/// The vtable of tasks running futures of type `F`.
fn vtable<F: Future>() -> &'static Vtable {
    trait HasVtable {
        const VTABLE: Vtable;
    }
    impl<F: Future> HasVtable for F {
        const VTABLE: Vtable = Vtable {
            poll: poll::<F>,
            cancel: cancel::<F>,
            read_output: read_output::<F>,
            discard_output: discard_output::<F>,
            dealloc: dealloc::<F>,
        };
    }
    &<F as HasVtable>::VTABLE
}

/// Runs `f` on the stage of the task at `ptr`.
///
/// # Safety
///
/// `ptr` is a live `TaskCell<F>`; we are on its loop thread and no other borrow of the stage
/// is active.
unsafe fn with_stage<F: Future, R>(ptr: NonNull<Header>, f: impl FnOnce(&mut Stage<F>) -> R) -> R {
    // SAFETY: the header is the first field of a `repr(C)` `TaskCell<F>`.
    let cell = unsafe { ptr.cast::<TaskCell<F>>().as_ref() };
    // SAFETY: loop thread only and no other borrow (caller contract).
    cell.stage.with_mut(|stage| f(unsafe { &mut *stage }))
}

/// Replaces the stage, dropping the old value in place (the future is pinned there). A
/// panicking destructor is caught and returned.
fn replace_stage<F: Future>(stage: &mut Stage<F>, new: Stage<F>) -> Option<Panic> {
    let old: *mut Stage<F> = stage;
    // SAFETY: `old` is valid; after `drop_in_place` (even one that unwinds: the value then
    // counts as dropped) we overwrite it without reading it.
    let res = catch_unwind(AssertUnwindSafe(|| unsafe { ptr::drop_in_place(old) }));
    // SAFETY: `old` is valid for writes and its previous value was dropped above.
    unsafe { ptr::write(old, new) };
    res.err().map(Panic::new)
}

/// `Vtable::poll` for `F`.
///
/// # Safety
///
/// See [`with_stage`].
unsafe fn poll<F: Future>(ptr: NonNull<Header>) -> Poll<bool> {
    // SAFETY: the waker borrows the caller's reference for the duration of the poll.
    let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw_waker(ptr)) });
    let mut cx = Context::from_waker(&waker);
    let run = |stage: &mut Stage<F>| {
        let Stage::Running(future) = &mut *stage else {
            return Poll::Ready(false);
        };
        // SAFETY: the future lives in the heap block and is never moved until dropped in
        // place by `replace_stage`.
        let future = unsafe { Pin::new_unchecked(future) };
        let outcome = match catch_unwind(AssertUnwindSafe(|| future.poll(&mut cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(out)) => Ok(out),
            Err(payload) => Err(TaskError::Panicked(Panic::new(payload))),
        };
        let panicked = outcome.is_err();
        if let Some(p) = replace_stage(stage, Stage::Finished(outcome)) {
            event_loop::report_panic_in_drop(ptr, p);
        }
        Poll::Ready(panicked)
    };
    // SAFETY: caller contract.
    unsafe { with_stage::<F, _>(ptr, run) }
}

/// `Vtable::cancel` for `F`.
///
/// # Safety
///
/// See [`with_stage`].
unsafe fn cancel<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: caller contract.
    unsafe {
        with_stage::<F, _>(ptr, |stage| {
            if matches!(stage, Stage::Running(_)) {
                if let Some(p) = replace_stage(stage, Stage::Finished(Err(TaskError::Cancelled))) {
                    event_loop::report_panic_in_drop(ptr, p);
                }
            }
        })
    }
}

/// `Vtable::read_output` for `F`.
///
/// # Safety
///
/// See [`with_stage`]; `dst` points to an `Option<Result<F::Output, TaskError>>`.
unsafe fn read_output<F: Future>(ptr: NonNull<Header>, dst: *mut ()) {
    // SAFETY: caller contract.
    unsafe {
        with_stage::<F, _>(ptr, |stage| {
            if matches!(stage, Stage::Finished(_)) {
                if let Stage::Finished(out) = std::mem::replace(stage, Stage::Consumed) {
                    *dst.cast::<Option<Result<F::Output, TaskError>>>() = Some(out);
                }
            }
        })
    }
}

/// `Vtable::discard_output` for `F`.
///
/// # Safety
///
/// See [`with_stage`].
unsafe fn discard_output<F: Future>(ptr: NonNull<Header>) -> Option<Panic> {
    // SAFETY: caller contract.
    unsafe {
        with_stage::<F, _>(ptr, |stage| {
            if !matches!(stage, Stage::Finished(_)) {
                return None;
            }
            match std::mem::replace(stage, Stage::Consumed) {
                Stage::Finished(Err(TaskError::Panicked(p))) => Some(p),
                other => {
                    // A panicking destructor of an output: report it like any other panic.
                    catch_unwind(AssertUnwindSafe(move || drop(other)))
                        .err()
                        .map(Panic::new)
                }
            }
        })
    }
}

/// `Vtable::dealloc` for `F`.
///
/// # Safety
///
/// `ptr` is a `TaskCell<F>` allocated by `TaskRef::allocate`, with no references left.
unsafe fn dealloc<F: Future>(ptr: NonNull<Header>) {
    // The stage is `Consumed` (see the module documentation): dropping it runs no code of
    // `F`, whatever thread this is.
    // SAFETY: the block came from `Box::leak` of a `TaskCell<F>`, and nobody refers to it.
    drop(unsafe { Box::from_raw(ptr.cast::<TaskCell<F>>().as_ptr()) });
}

/// The `RawWaker` of the task at `ptr`.
fn raw_waker(ptr: NonNull<Header>) -> RawWaker {
    RawWaker::new(ptr.as_ptr() as *const (), &WAKER_VTABLE)
}

/// Waker functions shared by every task.
static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(waker_clone, waker_wake, waker_wake_by_ref, waker_drop);

/// The header pointer of a raw waker's data.
fn header_ptr(data: *const ()) -> NonNull<Header> {
    // SAFETY: every raw waker with `WAKER_VTABLE` is built from a non-null header pointer.
    unsafe { NonNull::new_unchecked(data as *mut Header) }
}

/// `RawWakerVTable::clone`.
unsafe fn waker_clone(data: *const ()) -> RawWaker {
    let ptr = header_ptr(data);
    inc_ref(ptr);
    raw_waker(ptr)
}

/// `RawWakerVTable::wake`: wake, then give up the waker's reference.
unsafe fn waker_wake(data: *const ()) {
    let ptr = header_ptr(data);
    // SAFETY: the waker owns a reference; `schedule_owned` consumes it.
    unsafe { event_loop::schedule_owned(TaskRef::from_raw(ptr)) }
}

/// `RawWakerVTable::wake_by_ref`.
unsafe fn waker_wake_by_ref(data: *const ()) {
    let ptr = header_ptr(data);
    // SAFETY: the waker's reference keeps the task alive during the call.
    unsafe { event_loop::schedule_borrowed(ptr) }
}

/// `RawWakerVTable::drop`.
unsafe fn waker_drop(data: *const ()) {
    // SAFETY: the waker owns a reference and is being dropped.
    unsafe { drop_ref(header_ptr(data)) }
}

#[cfg(all(test, strands_loom))]
mod tests {
    use super::*;
    use crate::event_loop::injector::Unpark;
    use crate::loom::thread;

    /// The loop never sleeps in these models.
    struct NoUnpark;

    impl Unpark for NoUnpark {
        fn unpark(&self) {}
    }

    /// A task on a model loop: the injector and the two references `allocate` returns.
    fn task() -> (Arc<Injector>, TaskRef, TaskRef) {
        let injector = Arc::new(Injector::new(Box::new(NoUnpark)));
        let new = NewTask {
            owner: injector.clone(),
            id: TaskId(1),
            meta: None,
        };
        // SAFETY: the future is `'static`.
        let (list, handle) = unsafe { TaskRef::allocate(async { 7u32 }, new) };
        (injector, list, handle)
    }

    /// A remote wake (reference carried through the injector) races with the loop
    /// completing the task and dropping every other reference: the block is freed exactly
    /// once (loom reports a leak of the injector `Arc` otherwise), whichever side is last.
    #[test]
    fn loom_remote_wake_races_completion() {
        loom::model(|| {
            let (injector, list, handle) = task();
            let waker = (*list.waker_ref()).clone();
            let remote = thread::spawn(move || waker.wake());
            assert!(list.poll().is_ready());
            // SAFETY: `u32` is the future's output type.
            assert_eq!(
                unsafe { handle.read_output::<u32>() }.map(|r| r.ok()),
                Some(Some(7))
            );
            drop(list);
            drop(handle);
            remote.join().unwrap();
            drop(injector.close());
        });
    }

    /// Two threads clone and drop wakers while the loop cancels the task.
    #[test]
    fn loom_waker_clones_on_two_threads_race_cancel() {
        loom::model(|| {
            let (injector, list, handle) = task();
            let remotes: Vec<_> = (0..2)
                .map(|_| {
                    let w = (*list.waker_ref()).clone();
                    thread::spawn(move || {
                        let w2 = w.clone();
                        drop(w);
                        w2.wake_by_ref();
                    })
                })
                .collect();
            list.cancel();
            assert!(handle.discard_output().is_none());
            drop(handle);
            drop(list);
            for r in remotes {
                r.join().unwrap();
            }
            drop(injector.close());
        });
    }
}
