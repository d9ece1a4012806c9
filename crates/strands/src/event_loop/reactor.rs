//! The loop's sleep and its I/O readiness: a `mio::Poll` (epoll) plus a slab of slots.
//!
//! # Design
//!
//! Every I/O source is registered once, edge-triggered, for reading and writing. Its slot
//! keeps the readiness the kernel reported and not yet consumed, and the wakers of the task
//! waiting to read and of the one waiting to write. An event sets readiness bits and collects
//! the wakers; the loop wakes them after releasing the reactor. An I/O call that meets
//! `WouldBlock` clears the bit, and the next edge sets it again. Everything runs on the
//! loop's thread, so an event can never slip between a `WouldBlock` and the clearing: the
//! loop only polls between task polls.
//!
//! The token of a source is its slot index with the slot's generation in the high bits, so an
//! event for a closed and reused slot is recognised and dropped.

use std::io;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::event_loop::injector::Unpark;

/// The token of the cross-thread waker.
const WAKER: mio::Token = mio::Token(usize::MAX);

/// Readable (or a peer's end of stream, or an error) since last cleared.
const READABLE: u8 = 1 << 0;
/// Writable (or closed for writing, or an error) since last cleared.
const WRITABLE: u8 = 1 << 1;

/// A direction of readiness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Reading (and accepting).
    Read,
    /// Writing (and connecting).
    Write,
}

impl Direction {
    /// The readiness bit of this direction.
    fn bit(self) -> u8 {
        match self {
            Direction::Read => READABLE,
            Direction::Write => WRITABLE,
        }
    }
}

/// Identifies a registered source: slot index and generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IoKey {
    /// Index into `slots`.
    index: u32,
    /// Generation of the slot at registration.
    gen: u32,
}

impl IoKey {
    /// The mio token carrying this key.
    fn token(self) -> mio::Token {
        mio::Token(((self.gen as usize) << 32) | self.index as usize)
    }

    /// The key a token carries.
    fn from_token(t: mio::Token) -> IoKey {
        IoKey {
            index: (t.0 & 0xffff_ffff) as u32,
            gen: (t.0 >> 32) as u32,
        }
    }
}

/// One registered source.
#[derive(Default)]
struct Slot {
    /// Bumped when the slot is freed.
    gen: u32,
    /// True while a source owns the slot.
    in_use: bool,
    /// Readiness not yet consumed.
    ready: u8,
    /// The task waiting to read.
    reader: Option<Waker>,
    /// The task waiting to write.
    writer: Option<Waker>,
}

/// Blocks the loop's thread until an event, a wake-up or a timeout.
pub(crate) struct Reactor {
    /// The epoll instance.
    poll: mio::Poll,
    /// Reused event buffer.
    events: mio::Events,
    /// Registered sources.
    slots: Vec<Slot>,
    /// Free slot indices.
    free: Vec<u32>,
    /// Number of registered sources.
    live: usize,
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
            events: mio::Events::with_capacity(1024),
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
        };
        Ok((reactor, Box::new(EventfdUnpark(waker))))
    }

    /// Number of registered sources.
    pub(crate) fn live(&self) -> usize {
        self.live
    }

    /// Registers `source` for both directions, edge-triggered.
    pub(crate) fn register(&mut self, source: &mut dyn mio::event::Source) -> io::Result<IoKey> {
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                let i = u32::try_from(self.slots.len())
                    .map_err(|_| io::Error::other("too many I/O sources on one loop"))?;
                self.slots.push(Slot::default());
                i
            }
        };
        let slot = &mut self.slots[index as usize];
        let key = IoKey {
            index,
            gen: slot.gen,
        };
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE;
        if let Err(e) = self.poll.registry().register(source, key.token(), interest) {
            self.free.push(index);
            return Err(e);
        }
        let slot = &mut self.slots[index as usize];
        slot.in_use = true;
        // Optimistic: try the first I/O call before waiting for an edge.
        slot.ready = READABLE | WRITABLE;
        self.live += 1;
        Ok(key)
    }

    /// Removes `source` and frees its slot (dropping any waker it held).
    pub(crate) fn deregister(&mut self, key: IoKey, source: &mut dyn mio::event::Source) {
        // The descriptor is about to close, which removes it from epoll anyway; an error
        // here changes nothing for the caller.
        let _ = self.poll.registry().deregister(source);
        if let Some(slot) = self.slot_mut(key) {
            slot.in_use = false;
            slot.gen = slot.gen.wrapping_add(1);
            slot.reader = None;
            slot.writer = None;
            self.free.push(key.index);
            self.live -= 1;
        }
    }

    /// `Ready` if `dir` is ready; otherwise stores the waker and returns `Pending`.
    pub(crate) fn poll_ready(
        &mut self,
        key: IoKey,
        dir: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let Some(slot) = self.slot_mut(key) else {
            return Poll::Ready(()); // deregistered: let the I/O call report the error
        };
        if slot.ready & dir.bit() != 0 {
            return Poll::Ready(());
        }
        let w = match dir {
            Direction::Read => &mut slot.reader,
            Direction::Write => &mut slot.writer,
        };
        if !w.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *w = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Forgets the readiness of `dir` (an I/O call met `WouldBlock`).
    pub(crate) fn clear_ready(&mut self, key: IoKey, dir: Direction) {
        if let Some(slot) = self.slot_mut(key) {
            slot.ready &= !dir.bit();
        }
    }

    /// Waits for events (`None`: no limit, `Some(ZERO)`: just look) and pushes the wakers
    /// of the tasks they concern into `wakers`.
    pub(crate) fn poll_events(
        &mut self,
        timeout: Option<Duration>,
        wakers: &mut Vec<Waker>,
    ) -> io::Result<()> {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        }
        let Reactor { events, slots, .. } = self;
        for event in events.iter() {
            if event.token() == WAKER {
                continue;
            }
            let mut bits = 0;
            if event.is_readable() || event.is_read_closed() || event.is_error() {
                bits |= READABLE;
            }
            if event.is_writable() || event.is_write_closed() || event.is_error() {
                bits |= WRITABLE;
            }
            let key = IoKey::from_token(event.token());
            let Some(slot) = slots
                .get_mut(key.index as usize)
                .filter(|s| s.in_use && s.gen == key.gen)
            else {
                continue;
            };
            slot.ready |= bits;
            if bits & READABLE != 0 {
                wakers.extend(slot.reader.take());
            }
            if bits & WRITABLE != 0 {
                wakers.extend(slot.writer.take());
            }
        }
        Ok(())
    }

    /// The slot of a current key.
    fn slot_mut(&mut self, key: IoKey) -> Option<&mut Slot> {
        self.slots
            .get_mut(key.index as usize)
            .filter(|s| s.in_use && s.gen == key.gen)
    }
}
