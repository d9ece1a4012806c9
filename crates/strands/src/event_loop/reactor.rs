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
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// The tasks waiting to read.
    readers: Vec<Waker>,
    /// The tasks waiting to write.
    writers: Vec<Waker>,
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
    /// Shared with [`LoopUnpark`]: how the loop sleeps.
    thread_mode: StdArc<AtomicBool>,
}

/// How the loop sleeps, and so how another thread wakes it.
///
/// With no I/O source registered, the loop parks its thread (a futex: waking it costs one
/// atomic swap and at most one system call); otherwise it sleeps in `epoll_wait` and is woken
/// through the eventfd. The loop sets the mode before it announces it is parked (the
/// injector's compare-exchange, a release), and a waker reads it after seeing `PARKED` (an
/// acquire swap), so the waker always uses the mode the loop sleeps in.
struct LoopUnpark {
    /// Wakes an `epoll_wait`.
    eventfd: StdArc<mio::Waker>,
    /// The loop's thread, for `unpark`.
    thread: std::thread::Thread,
    /// True when the loop parks its thread rather than waiting in epoll.
    thread_mode: StdArc<AtomicBool>,
}

impl Unpark for LoopUnpark {
    fn unpark(&self) {
        if self.thread_mode.load(Ordering::Relaxed) {
            self.thread.unpark();
        } else {
            // An error here means the eventfd counter is saturated, which only happens when
            // a wake-up is already pending: nothing is lost by ignoring it.
            let _ = self.eventfd.wake();
        }
    }
}

impl Reactor {
    /// A new reactor and the unparker other threads use to interrupt its sleep.
    pub(crate) fn new() -> io::Result<(Reactor, Box<dyn Unpark>)> {
        let poll = mio::Poll::new()?;
        let waker = StdArc::new(mio::Waker::new(poll.registry(), WAKER)?);
        let thread_mode = StdArc::new(AtomicBool::new(false));
        let reactor = Reactor {
            poll,
            events: mio::Events::with_capacity(1024),
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            thread_mode: thread_mode.clone(),
        };
        let unpark = LoopUnpark {
            eventfd: waker,
            thread: std::thread::current(),
            thread_mode,
        };
        Ok((reactor, Box::new(unpark)))
    }

    /// Number of registered sources.
    pub(crate) fn live(&self) -> usize {
        self.live
    }

    /// Chooses how the next sleep happens: parking the thread when no source is registered
    /// (cheaper to wake), else `epoll_wait`. Returns true for parking. Call before announcing
    /// the sleep to the injector.
    pub(crate) fn prepare_sleep(&self) -> bool {
        let park = self.live == 0;
        self.thread_mode.store(park, Ordering::Relaxed);
        park
    }

    /// Parks the loop's thread until unparked or `timeout` passes.
    pub(crate) fn park_thread(timeout: Option<Duration>) {
        match timeout {
            Some(t) => std::thread::park_timeout(t),
            None => std::thread::park(),
        }
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
        self.forget(key);
    }

    /// `Ready(Ok)` if `dir` is ready; otherwise adds the task to the waiters of `dir` and
    /// returns `Pending`. `Ready(Err)` if the key is not registered.
    pub(crate) fn poll_ready(
        &mut self,
        key: IoKey,
        dir: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), ()>> {
        let Some(slot) = self.slot_mut(key) else {
            return Poll::Ready(Err(()));
        };
        if slot.ready & dir.bit() != 0 {
            return Poll::Ready(Ok(()));
        }
        let waiters = match dir {
            Direction::Read => &mut slot.readers,
            Direction::Write => &mut slot.writers,
        };
        // Several tasks may wait on one source (two tasks accepting on one listener): an
        // edge wakes them all, and those that lose the race wait again.
        if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
            waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Frees the slot of a source (its descriptor is closed or about to be).
    pub(crate) fn forget(&mut self, key: IoKey) {
        if let Some(slot) = self.slot_mut(key) {
            slot.in_use = false;
            slot.gen = slot.gen.wrapping_add(1);
            slot.readers.clear();
            slot.writers.clear();
            self.free.push(key.index);
            self.live -= 1;
        }
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
                wakers.append(&mut slot.readers);
            }
            if bits & WRITABLE != 0 {
                wakers.append(&mut slot.writers);
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
