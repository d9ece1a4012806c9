//! Queues shared by threads and tasks: [`Queue`] (FIFO), [`LifoQueue`], [`PriorityQueue`]
//! on one core ([`OrderedQueue`]), and [`SimpleQueue`].
//!
//! A thread can `put_blocking` while a task awaits `get()` on the same queue, and the
//! reverse. All queues are MPMC. Errors hand the item back.
//!
//! A queue moves items between threads, so it is shared only if the items are `Send`:
//!
//! ```compile_fail
//! fn shared<T: Sync>() {}
//! shared::<strands::queue::Queue<std::rc::Rc<u8>>>();
//! ```
//!
//! # Performance
//!
//! A bounded FIFO (`Queue::new(n)`, `1 <= n <= 65536`) keeps its items in a lock-free ring:
//! a `put` or `get` that does not wait takes no lock, and a blocking caller backs off on the
//! ring briefly before it parks. Other queues keep their items under the internal mutex.

mod core;
mod error;
mod order;
mod ring;
mod simple;

pub use self::core::{
    GetFuture, JoinFuture, LifoQueue, OrderedQueue, PriorityQueue, PutFuture, Queue,
};
pub use error::{
    GetError, GetTimeoutError, PutError, PutTimeoutError, TaskDoneError, TryGetError, TryPutError,
};
pub use order::{Fifo, Lifo, Order, Priority};
pub use simple::{SimpleGet, SimpleQueue};

#[cfg(test)]
mod tests {
    /// Asserts `T: Send + Sync`.
    fn send_sync<T: Send + Sync>() {}
    /// Asserts `T: Send`.
    fn send<T: Send>() {}

    #[test]
    fn queues_are_send_sync() {
        send_sync::<super::Queue<String>>();
        send_sync::<super::LifoQueue<String>>();
        send_sync::<super::PriorityQueue<String>>();
        send_sync::<super::SimpleQueue<String>>();
        send::<super::GetFuture<'static, String>>();
        send::<super::PutFuture<'static, String>>();
        send::<super::JoinFuture<'static, String>>();
    }
}
