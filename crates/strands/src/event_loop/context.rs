//! Which loop, if any, runs on the current thread.

use std::cell::Cell;

thread_local! {
    /// True while an event loop is running on this thread.
    static ON_LOOP: Cell<bool> = const { Cell::new(false) };
}

/// True when the calling thread is running an event loop: a blocking call made here would
/// stall every task of that loop.
pub(crate) fn is_loop_thread() -> bool {
    ON_LOOP.with(Cell::get)
}
