//! The loop's sleep: a `mio::Poll` that also listens to the cross-thread waker.
//!
//! The I/O readiness registry will live here; for now the reactor is the loop's only place
//! to block, and the eventfd behind [`mio::Waker`] is how other threads interrupt it.

use std::io;
use std::sync::Arc as StdArc;
use std::time::Duration;

use crate::event_loop::injector::Unpark;

/// The token of the cross-thread waker.
const WAKER: mio::Token = mio::Token(usize::MAX);

/// Blocks the loop's thread until an event, a wake-up or a timeout.
pub(crate) struct Reactor {
    /// The epoll instance.
    poll: mio::Poll,
    /// Reused event buffer.
    events: mio::Events,
}

/// Unparks a sleeping loop by writing its eventfd.
struct EventfdUnpark(StdArc<mio::Waker>);

impl Unpark for EventfdUnpark {
    fn unpark(&self) {
        // An error here means the eventfd counter is saturated, which only happens when a
        // wake-up is already pending: nothing is lost by ignoring it.
        let _ = self.0.wake();
    }
}

impl Reactor {
    /// A new reactor and the unparker other threads use to interrupt its sleep.
    pub(crate) fn new() -> io::Result<(Reactor, Box<dyn Unpark>)> {
        let poll = mio::Poll::new()?;
        let waker = StdArc::new(mio::Waker::new(poll.registry(), WAKER)?);
        let reactor = Reactor {
            poll,
            events: mio::Events::with_capacity(256),
        };
        Ok((reactor, Box::new(EventfdUnpark(waker))))
    }

    /// Sleeps until woken or `timeout` passes (`None`: no limit, `Some(ZERO)`: just look).
    pub(crate) fn sleep(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(e),
        }
    }
}
