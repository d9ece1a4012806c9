//! Synchronization primitives shared by threads and tasks.
//!
//! Every primitive here is **one object usable from both worlds at once**: a thread calls
//! `x_blocking()` / `x_timeout(d)`, a task calls `x().await`, and `try_x()` never waits.
//!
//! | primitive | task | thread | thread, bounded wait | never waits |
//! |---|---|---|---|---|
//! | [`Lock`], [`Mutex`] | `lock().await` | `lock_blocking()` | `lock_timeout(d)` | `try_lock()` |
//! | [`RLock`] | `lock().await` | `lock_blocking()` | `lock_timeout(d)` | `try_lock()` |
//! | [`Event`] | `wait().await` | `wait_blocking()` | `wait_timeout(d)` | `is_set()` |
//! | [`Condition`] | `wait(g).await`, `wait_for(g, p).await` | `wait_blocking(g)`, `wait_for_blocking(g, p)` | `wait_timeout(g, d)`, `wait_for_timeout(g, d, p)` | — |
//! | [`Semaphore`], [`BoundedSemaphore`] | `acquire().await` | `acquire_blocking()` | `acquire_timeout(d)` | `try_acquire()` |
//! | [`Barrier`] | `wait().await` | `wait_blocking()` | `wait_timeout(d)` | — |
//!
//! An async wait with a deadline is `strands::timeout(d, x())`: every future here is
//! cancel-safe as documented per method. `Duration::MAX` as a timeout waits forever.
//!
//! # Blocking on an event loop's thread
//!
//! A `_blocking` or `_timeout` call made on a thread that runs a strands event loop would
//! stall every task of that loop: it **panics** with a message naming the fix (`.await`, or
//! `strands::to_thread`).
//!
//! # Fairness
//!
//! All primitives sit on one wait list ([`waitlist`]): waiters are woken in FIFO order. A
//! caller that arrives while a waiter is being woken may get the resource first (barging,
//! which keeps throughput high); the overtaken waiter then keeps its place at the head of the
//! list. Fairness is therefore *eventual*, not strict.
//!
//! # Thread safety
//!
//! Every primitive is `Send + Sync`; a [`Mutex<T>`] is shared only if `T: Send`:
//!
//! ```compile_fail
//! fn shared<T: Sync>() {}
//! shared::<strands::sync::Mutex<std::rc::Rc<u8>>>();
//! ```
//!
//! and a guard can be shared only if `T: Sync`:
//!
//! ```compile_fail
//! fn shared<T: Sync>() {}
//! shared::<strands::sync::MutexGuard<'static, std::cell::Cell<u8>>>();
//! ```

#[cfg(test)]
mod tests;

mod barrier;
pub(crate) mod completion;
mod condition;
pub(crate) mod engine;
mod error;
mod event;
mod lock;
mod raw_lock;
mod rlock;
mod semaphore;
pub(crate) mod trace;
pub(crate) mod waitlist;

pub use barrier::{Barrier, BarrierWait};
pub use condition::{CondWait, Condition};
pub use error::{BrokenBarrier, NotOwnerError, OverReleaseError, ReleaseError, ZeroPartiesError};
pub use event::{Event, EventWait};
pub use lock::{Lock, LockFuture, LockGuard, Mutex, MutexGuard, MutexLockFuture};
pub use rlock::{owned, Owned, RLock, RLockFuture, RLockGuard};
pub use semaphore::{AcquireFuture, BoundedSemaphore, Semaphore, SemaphorePermit};
