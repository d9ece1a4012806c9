//! Compile-time Send/Sync assertions.

/// Asserts `T: Send + Sync`.
fn send_sync<T: Send + Sync>() {}
/// Asserts `T: Send`.
fn send<T: Send>() {}

#[test]
fn primitives_are_send_sync() {
    use super::*;
    send_sync::<Lock>();
    send_sync::<Mutex<Vec<u8>>>();
    send_sync::<RLock>();
    send_sync::<Event>();
    send_sync::<Condition>();
    send_sync::<Semaphore>();
    send_sync::<BoundedSemaphore>();
    send_sync::<Barrier>();
    send::<LockFuture<'static>>();
    send::<MutexLockFuture<'static, u8>>();
    send::<EventWait<'static>>();
    send::<AcquireFuture<'static>>();
    send::<BarrierWait<'static>>();
    send::<RLockFuture<'static>>();
    send::<CondWait<'static, u8>>();
    send::<LockGuard<'static>>();
}
