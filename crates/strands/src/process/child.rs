//! `Child`: a spawned process, its pipes, its exit.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::process::{ExitStatus, Output};
use std::task::{Context, Poll};

use libc::c_int;

use crate::process::pipe::{PipeReader, PipeWriter};
use crate::process::reap::{self, ExitWatch};

/// A child process (asyncio's `Process`).
///
/// Its piped streams are the public fields `stdin`, `stdout` and `stderr` (take them to
/// use them elsewhere). [`Child::wait`] awaits the exit on the loop and reaps the child.
///
/// A `Child` dropped before it was reaped is killed first if the command said
/// [`kill_on_drop(true)`](crate::process::Command::kill_on_drop), and is then reaped by a
/// background thread once it exits: no zombie is left behind either way (see the
/// [module documentation](crate::process)).
///
/// # Examples
///
/// ```
/// use strands::process::{Command, Stdio};
///
/// strands::run(async {
///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
///     let out = child.communicate(b"through cat").await?;
///     assert!(out.status.success());
///     assert_eq!(out.stdout, b"through cat");
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap()
/// .unwrap();
/// ```
pub struct Child {
    /// The child's stdin, if piped.
    pub stdin: Option<PipeWriter>,
    /// The child's stdout, if piped.
    pub stdout: Option<PipeReader>,
    /// The child's stderr, if piped.
    pub stderr: Option<PipeReader>,
    /// The process; reaped only through its `try_wait`.
    std: std::process::Child,
    /// The exit status, once reaped.
    status: Option<ExitStatus>,
    /// How the loop waits for the exit.
    watch: ExitWatch,
    /// Kill the child if it is dropped unreaped.
    kill_on_drop: bool,
}

impl Child {
    /// Takes over a freshly spawned `std` child and its pipes.
    pub(crate) fn new(std: std::process::Child, kill_on_drop: bool) -> io::Result<Child> {
        let mut child = Child {
            stdin: None,
            stdout: None,
            stderr: None,
            status: None,
            watch: ExitWatch::Idle,
            kill_on_drop,
            std,
        };
        // From here on, an error drops `child`, which reaps (or adopts) the process.
        child.take_pipes()?;
        Ok(child)
    }

    /// Moves the `std` pipes into loop pipes.
    fn take_pipes(&mut self) -> io::Result<()> {
        if let Some(p) = self.std.stdin.take() {
            self.stdin = Some(PipeWriter::new(p.into())?);
        }
        if let Some(p) = self.std.stdout.take() {
            self.stdout = Some(PipeReader::new(p.into())?);
        }
        if let Some(p) = self.std.stderr.take() {
            self.stderr = Some(PipeReader::new(p.into())?);
        }
        Ok(())
    }

    /// The child's process id (asyncio's `pid`). It stays valid, and names this child, until
    /// the child is reaped.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let mut child = strands::process::Command::new("true").spawn()?;
    ///     assert!(child.pid() > 0);
    ///     child.wait().await?;
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn pid(&self) -> u32 {
        self.std.id()
    }

    /// Waits for the child to exit and reaps it; returns its exit status (a code, or the
    /// signal that killed it: see `std::os::unix::process::ExitStatusExt`). Closes the
    /// child's stdin first, so a child waiting for end of input is not deadlocked. Once
    /// reaped, returns the same status at once.
    ///
    /// The wait happens on the loop: through a pidfd registered with the reactor, or, on
    /// kernels without pidfds, `SIGCHLD` notifications (see the module documentation).
    ///
    /// # Errors
    ///
    /// `waitpid` fails (`ECHILD` if something else reaped the child, for example because
    /// `SIGCHLD` is ignored); called with no loop on this thread.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: the status is kept once reaped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// strands::run(async {
    ///     let mut child = strands::process::Command::new("sleep").arg("10").spawn()?;
    ///     child.kill()?;
    ///     assert_eq!(child.wait().await?.signal(), Some(libc::SIGKILL));
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        self.stdin = None;
        poll_fn(|cx| self.poll_wait(cx)).await
    }

    /// Polls for the exit; the poll form of [`Child::wait`] (which also closes stdin).
    ///
    /// # Errors
    ///
    /// As [`Child::wait`].
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let mut child = strands::process::Command::new("true").spawn()?;
    ///     let status = std::future::poll_fn(|cx| child.poll_wait(cx)).await?;
    ///     assert!(status.success());
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        if let Some(status) = self.status {
            return Poll::Ready(Ok(status));
        }
        let status = std::task::ready!(self.watch.poll_exit(cx, &mut self.std))?;
        self.status = Some(status);
        Poll::Ready(Ok(status))
    }

    /// The exit status if the child has exited (reaping it), `None` if it still runs
    /// (asyncio's `returncode`). Never blocks.
    ///
    /// # Errors
    ///
    /// `waitpid` fails (see [`Child::wait`]).
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let mut child = strands::process::Command::new("sleep").arg("10").spawn()?;
    ///     assert!(child.try_wait()?.is_none());
    ///     child.kill()?;
    ///     child.wait().await?;
    ///     assert!(child.try_wait()?.is_some());
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.status.is_none() {
            self.status = self.std.try_wait()?;
        }
        Ok(self.status)
    }

    /// Sends `sig` to the child (asyncio's `send_signal`). Does nothing once the child has
    /// been reaped: its pid may then belong to another process, so strands never signals it.
    ///
    /// # Errors
    ///
    /// As `kill(2)`: `InvalidInput` for a bad signal number.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// strands::run(async {
    ///     let mut child = strands::process::Command::new("sleep").arg("10").spawn()?;
    ///     child.send_signal(libc::SIGINT)?;
    ///     assert_eq!(child.wait().await?.signal(), Some(libc::SIGINT));
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn send_signal(&self, sig: c_int) -> io::Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        // SAFETY: `kill` touches no memory. The pid is this unreaped child's (a zombie at
        // worst), so it cannot name another process.
        if unsafe { libc::kill(self.std.id() as libc::pid_t, sig) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Sends `SIGKILL` (asyncio's `kill`); the child cannot ignore it. Await
    /// [`Child::wait`] to reap it.
    ///
    /// # Errors
    ///
    /// As [`Child::send_signal`].
    ///
    /// # Examples
    ///
    /// See [`Child::wait`].
    pub fn kill(&self) -> io::Result<()> {
        self.send_signal(libc::SIGKILL)
    }

    /// Sends `SIGTERM` (asyncio's `terminate`): a request to exit that the child may handle.
    ///
    /// # Errors
    ///
    /// As [`Child::send_signal`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// strands::run(async {
    ///     let mut child = strands::process::Command::new("sleep").arg("10").spawn()?;
    ///     child.terminate()?;
    ///     assert_eq!(child.wait().await?.signal(), Some(libc::SIGTERM));
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn terminate(&self) -> io::Result<()> {
        self.send_signal(libc::SIGTERM)
    }

    /// Writes `input` to the child's stdin and closes it, reads its stdout and stderr to
    /// the end, all concurrently, then waits for its exit (asyncio's `communicate`). Neither
    /// side can block the other, whatever the sizes: a child that writes megabytes before
    /// reading its input does not deadlock.
    ///
    /// The pipes are consumed: afterwards `stdin`, `stdout` and `stderr` are `None`. A
    /// stream that was not piped gives an empty `Vec`. If the child exits without reading
    /// all its input, the rest is discarded (`BrokenPipe` is not an error here).
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `input` is not empty but stdin is not piped; an I/O error on a
    /// pipe; as [`Child::wait`].
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe: output read before the cancellation is lost, and the pipes are gone.
    ///
    /// # Examples
    ///
    /// See [`Child`].
    pub async fn communicate(&mut self, input: &[u8]) -> io::Result<Output> {
        if !input.is_empty() && self.stdin.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "communicate: input given but the child's stdin is not piped",
            ));
        }
        let mut io = Exchange {
            input,
            stdin: self.stdin.take(),
            stdout: self.stdout.take().map(|p| (p, Vec::new())),
            stderr: self.stderr.take().map(|p| (p, Vec::new())),
        };
        poll_fn(|cx| io.poll(cx)).await?;
        let status = self.wait().await?;
        let stdout = io.stdout.map(|(_, v)| v).unwrap_or_default();
        let stderr = io.stderr.map(|(_, v)| v).unwrap_or_default();
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

/// The three concurrent transfers of `communicate`.
struct Exchange<'a> {
    /// Input not yet written.
    input: &'a [u8],
    /// Stdin, until all input is written (then dropped, closing it).
    stdin: Option<PipeWriter>,
    /// Stdout and what was read from it.
    stdout: Option<(PipeReader, Vec<u8>)>,
    /// Stderr and what was read from it.
    stderr: Option<(PipeReader, Vec<u8>)>,
}

impl Exchange<'_> {
    /// Advances all three transfers; `Ready` when input is written and both outputs ended.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let input_done = self.poll_input(cx)?.is_ready();
        let out_done = poll_output(cx, self.stdout.as_mut())?.is_ready();
        let err_done = poll_output(cx, self.stderr.as_mut())?.is_ready();
        if input_done && out_done && err_done {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    /// Writes input until it is all written (then closes stdin) or the pipe is full.
    fn poll_input(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(stdin) = self.stdin.as_mut() {
            if self.input.is_empty() {
                self.stdin = None;
                break;
            }
            match std::task::ready!(stdin.poll_write_buf(cx, self.input)) {
                Ok(n) => self.input = &self.input[n..],
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => self.stdin = None,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// Reads one output stream to its end.
fn poll_output(
    cx: &mut Context<'_>,
    stream: Option<&mut (PipeReader, Vec<u8>)>,
) -> Poll<io::Result<()>> {
    match stream {
        Some((pipe, buf)) => pipe.poll_read_to_end(cx, buf),
        None => Poll::Ready(Ok(())),
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.status.is_some() {
            return;
        }
        if self.kill_on_drop {
            // An error means the child is already gone; it is reaped below either way.
            let _ = self.kill();
        }
        // `Some` or an error: exited and reaped, or reaped by someone else.
        if let Ok(None) = self.std.try_wait() {
            reap::adopt(self.std.id());
        }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.pid())
            .field("status", &self.status)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}

// Compile-time check: a child may move between threads (to be waited on one loop).
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Child>();
};
