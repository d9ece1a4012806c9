//! `Command`: what to run, and how to connect its standard streams.

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

use crate::process::child::Child;

/// Which standard stream a setting concerns.
#[derive(Clone, Copy)]
enum Stream {
    /// Standard input.
    In = 0,
    /// Standard output.
    Out = 1,
    /// Standard error.
    Err = 2,
}

/// A process to spawn: program, arguments, environment, working directory and standard
/// streams (asyncio's `create_subprocess_exec` / `create_subprocess_shell`).
///
/// [`Command::new`] runs a program directly, with no shell: arguments are passed as they
/// are, never interpreted. [`Command::shell`] is the explicitly named shell form.
///
/// Each standard stream is [`Stdio::piped()`] (the child gets a pipe, readable or writable
/// on the loop through [`Child::stdin`], [`Child::stdout`], [`Child::stderr`]),
/// [`Stdio::inherit()`] (the default for [`Command::spawn`] and [`Command::status`]) or
/// [`Stdio::null()`].
///
/// Spawning uses `std::process::Command` (`posix_spawn` or `fork`/`exec`, with
/// close-on-exec descriptors), which blocks the loop's thread for the `exec` itself (tens to
/// hundreds of microseconds) but never for the child's run.
///
/// # Examples
///
/// ```
/// use strands::process::Command;
///
/// strands::run(async {
///     let out = Command::new("echo").args(["hello", "world"]).output().await?;
///     assert!(out.status.success());
///     assert_eq!(out.stdout, b"hello world\n");
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap()
/// .unwrap();
/// ```
pub struct Command {
    /// The command proper.
    std: std::process::Command,
    /// Which of stdin, stdout, stderr were set explicitly (`output` defaults differ).
    set: [bool; 3],
    /// Whether children are killed when their `Child` is dropped unreaped.
    kill_on_drop: bool,
}

impl Command {
    /// A command running `program` with no arguments. A program without a `/` is looked up
    /// in `PATH`.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let status = strands::process::Command::new("true").status().await?;
    ///     assert!(status.success());
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            std: std::process::Command::new(program),
            set: [false; 3],
            kill_on_drop: false,
        }
    }

    /// A command running `command` through `/bin/sh -c`: pipes, redirections, globbing and
    /// variables are interpreted by the shell. Never pass untrusted input here; use
    /// [`Command::new`] with arguments instead.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let out = strands::process::Command::shell("echo a b | wc -w").output().await?;
    ///     assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2");
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn shell(command: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new("/bin/sh");
        c.arg("-c").arg(command);
        c
    }

    /// Adds an argument.
    ///
    /// # Examples
    ///
    /// See [`Command`].
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds arguments.
    ///
    /// # Examples
    ///
    /// See [`Command`].
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable of the child (which otherwise inherits this
    /// process's environment).
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let out = strands::process::Command::shell("echo $GREETING")
    ///         .env("GREETING", "hi")
    ///         .output()
    ///         .await?;
    ///     assert_eq!(out.stdout, b"hi\n");
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, value);
        self
    }

    /// Sets several environment variables.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut c = strands::process::Command::new("env");
    /// c.envs([("A", "1"), ("B", "2")]);
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut c = strands::process::Command::new("env");
    /// c.env_remove("HOME");
    /// ```
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what [`Command::env`] sets).
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let out = strands::process::Command::new("/usr/bin/env").env_clear().output().await?;
    ///     assert!(out.stdout.is_empty());
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let out = strands::process::Command::new("pwd").current_dir("/").output().await?;
    ///     assert_eq!(out.stdout, b"/\n");
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Connects the child's standard input.
    ///
    /// # Examples
    ///
    /// See [`PipeWriter`](crate::process::PipeWriter).
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self.set[Stream::In as usize] = true;
        self
    }

    /// Connects the child's standard output.
    ///
    /// # Examples
    ///
    /// See [`PipeReader`](crate::process::PipeReader).
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self.set[Stream::Out as usize] = true;
        self
    }

    /// Connects the child's standard error.
    ///
    /// # Examples
    ///
    /// ```
    /// use strands::process::{Command, Stdio};
    ///
    /// strands::run(async {
    ///     let out = Command::shell("echo oops >&2").stderr(Stdio::piped()).output().await?;
    ///     assert_eq!(out.stderr, b"oops\n");
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self.set[Stream::Err as usize] = true;
        self
    }

    /// Whether a [`Child`] dropped before it was reaped is killed (`SIGKILL`) first.
    /// Default `false`: the child keeps running. Either way it is reaped in the background
    /// once it exits (see [`Child`]), so it never stays a zombie.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let child = strands::process::Command::new("sleep").arg("60").kill_on_drop(true).spawn()?;
    ///     drop(child); // killed, then reaped in the background
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn kill_on_drop(&mut self, kill: bool) -> &mut Command {
        self.kill_on_drop = kill;
        self
    }

    /// Starts the child. Its pipes register with the loop that first uses them, and its
    /// exit is awaited on the loop that first calls [`Child::wait`].
    ///
    /// # Errors
    ///
    /// The program cannot be started: not found (`NotFound`), not executable
    /// (`PermissionDenied`), a bad working directory, or the OS is out of processes or
    /// descriptors. The error's message names the program.
    ///
    /// # Examples
    ///
    /// ```
    /// strands::run(async {
    ///     let err = strands::process::Command::new("no-such-program-xyz").spawn().unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    ///     assert!(err.to_string().contains("no-such-program-xyz"));
    /// })
    /// .unwrap();
    /// ```
    pub fn spawn(&mut self) -> io::Result<Child> {
        let std = self.std.spawn().map_err(|e| self.spawn_error(e))?;
        Child::new(std, self.kill_on_drop)
    }

    /// Runs the child to completion and collects its output: stdout and stderr are piped
    /// and stdin is null unless set otherwise. Both pipes are read concurrently, so a child
    /// writing a lot to both never deadlocks.
    ///
    /// # Errors
    ///
    /// As [`Command::spawn`], or an I/O error on the pipes.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the child (see [`Command::kill_on_drop`]); output read
    /// so far is lost.
    ///
    /// # Examples
    ///
    /// See [`Command`].
    pub async fn output(&mut self) -> io::Result<Output> {
        let defaults = [Stdio::null, Stdio::piped, Stdio::piped];
        let spawned = self.spawn_with(defaults);
        spawned?.communicate(&[]).await
    }

    /// Runs the child to completion, its streams inherited unless set otherwise; returns
    /// its exit status.
    ///
    /// # Errors
    ///
    /// As [`Command::spawn`].
    ///
    /// # Cancel safety
    ///
    /// As [`Command::output`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// strands::run(async {
    ///     let status = strands::process::Command::shell("exit 3").status().await?;
    ///     assert_eq!(status.code(), Some(3));
    ///     let status = strands::process::Command::shell("kill -TERM $$").status().await?;
    ///     assert_eq!(status.signal(), Some(libc::SIGTERM));
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        let mut child = self.spawn()?;
        child.wait().await
    }

    /// Spawns with `defaults` for the streams not set explicitly, then puts the command's
    /// own settings back.
    fn spawn_with(&mut self, defaults: [fn() -> Stdio; 3]) -> io::Result<Child> {
        let set = self.set;
        self.apply_defaults(defaults, set);
        let res = self.spawn();
        self.apply_defaults([Stdio::inherit; 3], set);
        self.set = set;
        res
    }

    /// Sets the streams not marked in `set` to their `defaults`.
    fn apply_defaults(&mut self, defaults: [fn() -> Stdio; 3], set: [bool; 3]) {
        if !set[Stream::In as usize] {
            self.std.stdin(defaults[0]());
        }
        if !set[Stream::Out as usize] {
            self.std.stdout(defaults[1]());
        }
        if !set[Stream::Err as usize] {
            self.std.stderr(defaults[2]());
        }
    }

    /// A spawn error that names the program.
    fn spawn_error(&self, e: io::Error) -> io::Error {
        let program = self.std.get_program();
        io::Error::new(e.kind(), format!("cannot spawn {program:?}: {e}"))
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("command", &self.std)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}

impl From<std::process::Command> for Command {
    /// Wraps a configured `std` command; its streams count as set (inherited if unset).
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            set: [true; 3],
            kill_on_drop: false,
        }
    }
}
