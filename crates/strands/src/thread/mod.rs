//! OS threads: [`Thread`] (named, joinable from threads and tasks), [`ThreadPool`] whose
//! [`PoolFuture`]s both worlds can wait for, and [`Timer`].

mod builder;
mod error;
mod future;
mod pool;
mod timer;

pub use builder::{JoinHandle, Thread};
pub use error::{FutureError, Panicked, SubmitError, WaitTimeoutError};
pub use future::{JoinFuture, PoolFuture};
pub use pool::{Map, ThreadPool, ThreadPoolBuilder, ZeroWorkersError};
pub use timer::Timer;

#[cfg(test)]
mod tests {
    /// Asserts `T: Send + Sync`.
    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn handles_are_send_sync() {
        send_sync::<super::ThreadPool>();
        send_sync::<super::PoolFuture<String>>();
        send_sync::<super::JoinHandle<String>>();
        send_sync::<super::Timer<String>>();
    }
}
