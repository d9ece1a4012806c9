//! Options for a new [`EventLoop`].

use std::fmt;
use std::io;

use crate::event_loop::core::Core;
use crate::event_loop::{default_panic_hook, EventLoop, PanicHook};
use crate::task::UnhandledPanic;
use std::sync::atomic::{AtomicU64, Ordering};

/// Options for a new [`EventLoop`].
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let mut lp = strands::EventLoop::builder()
///     .on_task_panic(move |report| log.lock().unwrap().push(report.panic.message().to_owned()))
///     .build()?;
/// lp.block_on(async {
///     drop(strands::spawn(async { panic!("lost") })); // detached: nobody will await it
///     strands::sleep(std::time::Duration::from_millis(1)).await;
/// })
/// .unwrap();
/// assert_eq!(*seen.lock().unwrap(), ["lost"]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Builder {
    /// See [`Builder::budget`].
    budget: usize,
    /// See [`Builder::on_task_panic`].
    panic_hook: Option<PanicHook>,
}

impl Builder {
    /// The defaults: a budget of 128 polls per turn, panics reported on standard error.
    ///
    /// # Examples
    ///
    /// ```
    /// let lp = strands::event_loop::Builder::new().build()?;
    /// # drop(lp);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> Builder {
        Builder {
            budget: 128,
            panic_hook: None,
        }
    }

    /// How many tasks the loop polls before it looks at timers and other threads again
    /// (at least 1). Lower means fairer to timers, higher means less overhead.
    ///
    /// # Examples
    ///
    /// ```
    /// let lp = strands::EventLoop::builder().budget(16).build()?;
    /// # drop(lp);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn budget(mut self, polls_per_turn: usize) -> Builder {
        self.budget = polls_per_turn.max(1);
        self
    }

    /// Called on the loop's thread with every panic no [`Task`](crate::Task) will report: a
    /// detached task that panicked, a `Task` dropped without awaiting its panic, a future
    /// whose destructor panicked, a panicking `call_soon_threadsafe` callback. The default
    /// prints one line on standard error.
    ///
    /// # Examples
    ///
    /// ```
    /// let lp = strands::EventLoop::builder()
    ///     .on_task_panic(|report| eprintln!("task {:?} failed: {}", report.task, report.panic))
    ///     .build()?;
    /// # drop(lp);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn on_task_panic(mut self, hook: impl Fn(&UnhandledPanic<'_>) + 'static) -> Builder {
        self.panic_hook = Some(Box::new(hook));
        self
    }

    /// Creates the loop.
    ///
    /// # Errors
    ///
    /// Fails if the OS refuses an epoll instance or an eventfd.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lp = strands::EventLoop::builder().build()?;
    /// assert_eq!(lp.block_on(async { 1 }).unwrap(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn build(self) -> io::Result<EventLoop> {
        /// Numbers loops, for task identifiers (a plain counter: no protocol to model).
        static LOOPS: AtomicU64 = AtomicU64::new(0);
        let number = LOOPS.fetch_add(1, Ordering::Relaxed) & 0xff_ffff;
        let hook = self
            .panic_hook
            .unwrap_or_else(|| Box::new(default_panic_hook));
        Ok(EventLoop {
            core: Box::new(Core::new(number, hook, self.budget)?),
            _not_send: std::marker::PhantomData,
        })
    }
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("budget", &self.budget)
            .field("on_task_panic", &self.panic_hook.is_some())
            .finish()
    }
}
