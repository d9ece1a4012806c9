//! The debug seam: every wait-list event passes through here.
//!
//! Today these are inline no-ops, free in every build. The debug mode (lock-order graph,
//! wait-for graph) will record, per list address, who waits, who was woken and who gave up,
//! and per primitive who holds it ([`acquired`] / [`released`]).

/// A waiter was linked in the list at `list`.
#[inline(always)]
pub(crate) fn wait(list: usize) {
    let _ = list;
}

/// A waiter of the list at `list` was notified.
#[inline(always)]
pub(crate) fn wake(list: usize) {
    let _ = list;
}

/// A waiter left the list at `list` without being notified (timeout or cancellation).
#[inline(always)]
pub(crate) fn cancel(list: usize) {
    let _ = list;
}

/// The primitive at `obj` was acquired by the current thread or task.
#[inline(always)]
pub(crate) fn acquired(obj: usize) {
    let _ = obj;
}

/// The primitive at `obj` was released.
#[inline(always)]
pub(crate) fn released(obj: usize) {
    let _ = obj;
}
