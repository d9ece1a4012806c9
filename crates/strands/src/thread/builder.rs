//! [`Thread`]: a named OS thread whose result (or panic message) a thread or a task can wait
//! for.
#![forbid(unsafe_code)]

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use crate::loom::atomic::{AtomicUsize, Ordering};
use crate::loom::{thread, Arc};
use crate::sync::completion::Outcome;
use crate::sync::engine;
use crate::thread::error::Panicked;
use crate::thread::future::{Cell, JoinFuture};

/// Numbers default thread names.
static NEXT_ID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);

/// A default name, `strands-thread-N`.
pub(crate) fn default_name(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// A thread to start: Python's `threading.Thread(target=f, name=...)`.
///
/// Every thread strands starts has a name: `strands-thread-N` unless you give one.
///
/// # Examples
///
/// ```
/// use strands::thread::Thread;
/// let h = Thread::new(|| 6 * 7).name("answer").stack_size(256 * 1024).start().unwrap();
/// assert_eq!(h.name(), "answer");
/// assert_eq!(h.join_blocking(), Ok(42));
/// ```
#[derive(Debug)]
#[must_use = "a Thread does nothing until started"]
pub struct Thread<F> {
    /// The body.
    f: F,
    /// Thread name.
    name: Option<String>,
    /// Stack size in bytes, if not the default.
    stack_size: Option<usize>,
}

impl<F, T> Thread<F>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    /// A thread that will run `f`.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = strands::thread::Thread::new(|| ()).start().unwrap();
    /// h.join_blocking().unwrap();
    /// ```
    pub fn new(f: F) -> Self {
        Thread {
            f,
            name: None,
            stack_size: None,
        }
    }

    /// Sets the name (shown by debuggers, `top -H`, panic messages).
    ///
    /// # Examples
    ///
    /// ```
    /// let h = strands::thread::Thread::new(|| std::thread::current().name().map(String::from))
    ///     .name("worker")
    ///     .start()
    ///     .unwrap();
    /// assert_eq!(h.join_blocking().unwrap().as_deref(), Some("worker"));
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the stack size in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = strands::thread::Thread::new(|| 1).stack_size(1 << 20).start().unwrap();
    /// assert_eq!(h.join_blocking(), Ok(1));
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Starts the thread.
    ///
    /// # Errors
    ///
    /// The OS error if the thread could not be created.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = strands::thread::Thread::new(|| 1).start().unwrap();
    /// assert_eq!(h.join_blocking(), Ok(1));
    /// ```
    pub fn start(self) -> io::Result<JoinHandle<T>> {
        let name = self.name.unwrap_or_else(|| default_name("strands-thread"));
        let cell: Arc<Cell<T>> = Arc::new(Cell::default());
        let done = cell.clone();
        let f = self.f;
        let tname = name.clone();
        let mut b = thread::Builder::new().name(name.clone());
        if let Some(s) = self.stack_size {
            b = b.stack_size(s);
        }
        let running = Arc::new(AtomicUsize::new(1));
        let alive = running.clone();
        let handle = b.spawn(move || {
            done.start();
            let r = panic::catch_unwind(AssertUnwindSafe(f))
                .map_err(|p| Panicked::from_payload(&*p, &tname));
            done.complete(r);
            alive.store(0, Ordering::Release);
        })?;
        Ok(JoinHandle {
            cell,
            handle: Some(handle),
            name,
            running,
        })
    }
}

/// A started [`Thread`]: join it from a thread or a task.
///
/// | | task | thread | thread, bounded | never waits |
/// |---|---|---|---|---|
/// | join | `join().await` | `join_blocking()` | `join_timeout(d)` | `is_alive()` |
///
/// Dropping the handle detaches the thread.
///
/// # Examples
///
/// ```
/// let h = strands::thread::Thread::new(|| "done").start().unwrap();
/// assert_eq!(h.join_blocking(), Ok("done"));
/// ```
#[derive(Debug)]
pub struct JoinHandle<T> {
    /// Where the thread leaves its result.
    cell: Arc<Cell<T>>,
    /// The OS thread, joined after the result is taken.
    handle: Option<thread::JoinHandle<()>>,
    /// The thread's name.
    name: String,
    /// 1 until the thread body (including storing the result) returns.
    running: Arc<AtomicUsize>,
}

impl<T> JoinHandle<T> {
    /// The thread's name.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = strands::thread::Thread::new(|| ()).start().unwrap();
    /// assert!(h.name().starts_with("strands-thread-"));
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True until the thread's function has returned (or panicked).
    ///
    /// # Examples
    ///
    /// ```
    /// let h = strands::thread::Thread::new(|| ()).start().unwrap();
    /// let _ = h.is_alive();
    /// h.join_blocking().unwrap();
    /// ```
    pub fn is_alive(&self) -> bool {
        self.running.load(Ordering::Acquire) != 0
    }

    /// Waits from a task for the thread's result.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future detaches the thread; its result is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = strands::thread::Thread::new(|| 2).start().unwrap();
    /// assert_eq!(strands::run(h.join()).unwrap(), Ok(2));
    /// ```
    pub fn join(self) -> JoinFuture<T> {
        JoinFuture::new(self.cell.clone())
    }

    /// Blocks until the thread ends; its result, or the panic message.
    ///
    /// # Errors
    ///
    /// [`Panicked`] if the thread panicked.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop (use `.join().await`).
    ///
    /// # Examples
    ///
    /// ```
    /// let h = strands::thread::Thread::new(|| 2).start().unwrap();
    /// assert_eq!(h.join_blocking(), Ok(2));
    /// ```
    #[track_caller]
    pub fn join_blocking(mut self) -> Result<T, Panicked> {
        engine::assert_may_block("JoinHandle::join_blocking");
        let outcome = crate::sync::completion::Completion::wait_until(&self.cell, None);
        self.reap();
        self.finish(outcome)
    }

    /// Blocks at most `timeout` for the thread to end. `Duration::MAX` waits forever.
    ///
    /// # Errors
    ///
    /// `Err(Ok(handle))` on timeout (the handle back); `Err(Err(Panicked))` if it panicked.
    ///
    /// # Panics
    ///
    /// If called on a thread that runs an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let h = strands::thread::Thread::new(|| std::thread::sleep(Duration::from_millis(30)))
    ///     .start()
    ///     .unwrap();
    /// let h = h.join_timeout(Duration::from_millis(1)).unwrap_err().unwrap();
    /// assert!(h.join_timeout(Duration::MAX).is_ok());
    /// ```
    #[track_caller]
    #[allow(clippy::type_complexity)]
    pub fn join_timeout(mut self, timeout: Duration) -> Result<T, Result<Self, Panicked>> {
        engine::assert_may_block("JoinHandle::join_timeout");
        match crate::sync::completion::Completion::wait_until(&self.cell, engine::deadline(timeout))
        {
            None => Err(Ok(self)),
            Some(o) => {
                self.reap();
                self.finish(Some(o)).map_err(Err)
            }
        }
    }

    /// Joins the OS thread (it has stored its result, so this returns at once).
    fn reap(&mut self) {
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }

    /// Maps the cell's outcome.
    fn finish(&self, o: Option<Outcome<Result<T, Panicked>>>) -> Result<T, Panicked> {
        match o {
            Some(Outcome::Done(r)) => r,
            _ => Err(Panicked::from_payload(
                &"thread result already taken",
                &self.name,
            )),
        }
    }
}
