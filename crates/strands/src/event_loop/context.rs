//! Which loop, if any, is running on the current thread.
//!
//! `CURRENT` points to the `Core` of the loop that is inside `block_on` on this thread, or is
//! null. It is set by [`enter`] and restored by the returned guard, so it is never left
//! dangling: the `Core` outlives the guard.

use std::cell::Cell;
use std::ptr;

use crate::event_loop::core::Core;

thread_local! {
    /// The running loop of this thread, or null.
    static CURRENT: Cell<*const Core> = const { Cell::new(ptr::null()) };
}

/// Restores the previous (null) current loop when dropped.
pub(crate) struct Entered {
    /// Keeps the guard on the thread that made it.
    _not_send: std::marker::PhantomData<*const ()>,
}

/// Makes `core` the running loop of this thread; `None` if a loop already runs here.
pub(crate) fn enter(core: &Core) -> Option<Entered> {
    CURRENT.with(|c| {
        if !c.get().is_null() {
            return None;
        }
        c.set(core);
        Some(Entered {
            _not_send: std::marker::PhantomData,
        })
    })
}

impl Drop for Entered {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(ptr::null()));
    }
}

/// Runs `f` with the running loop of this thread, if any.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Core>) -> R) -> R {
    CURRENT.with(|c| {
        let core = c.get();
        // SAFETY: a non-null pointer was set by `enter` from a live `&Core`, and the `Core`
        // outlives the `Entered` guard that resets it to null.
        f(unsafe { core.as_ref() })
    })
}

/// True when the calling thread is running an event loop: a blocking call made here would
/// stall every task of that loop.
pub(crate) fn is_loop_thread() -> bool {
    CURRENT.with(|c| !c.get().is_null())
}
