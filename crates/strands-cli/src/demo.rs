//! `strands demo`: the article's two programs, and the interleavings they produce.
//!
//! The loop program is cooperative: a task gives up the loop only at `yield_now().await`,
//! so its order is the same on every run. The thread program is preemptive: the OS decides
//! when each thread runs, so its order can change from run to run. The demo runs each
//! program many times and counts the distinct orders it saw.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Barrier, Mutex};

/// Options of `strands demo`.
#[derive(clap::Args, Debug)]
pub struct Options {
    /// How many times to run each program when counting interleavings.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    runs: u32,
}

/// Why the demo could not run.
#[derive(Debug)]
pub enum DemoError {
    /// The event loop could not start or run.
    Loop(strands::RunError),
    /// A task failed.
    Task(strands::TaskError),
    /// A thread could not start or panicked.
    Thread(String),
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DemoError::Loop(e) => write!(f, "event loop: {e}"),
            DemoError::Task(e) => write!(f, "task: {e}"),
            DemoError::Thread(e) => write!(f, "thread: {e}"),
        }
    }
}

impl std::error::Error for DemoError {}

/// One run's sequence of printed lines.
type Trace = Vec<String>;

/// The article's asyncio program on strands: two tasks, each printing two blocks with a
/// `yield_now` (asyncio's `sleep(0)`) between them.
fn loop_program() -> Result<Trace, DemoError> {
    strands::run(async {
        let trace = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let worker = |name: &'static str| {
            let trace = trace.clone();
            async move {
                trace.borrow_mut().push(format!("{name} block 1"));
                strands::yield_now().await;
                trace.borrow_mut().push(format!("{name} block 2"));
            }
        };
        let first = strands::spawn(worker("do_first"));
        let second = strands::spawn(worker("do_second"));
        first.await.map_err(DemoError::Task)?;
        second.await.map_err(DemoError::Task)?;
        let lines = trace.borrow().clone();
        Ok(lines)
    })
    .map_err(DemoError::Loop)?
}

/// The article's threading program: two OS threads, each printing two blocks with
/// `thread::yield_now` between them. A barrier starts them together.
fn thread_program() -> Result<Trace, DemoError> {
    let trace = Arc::new(Mutex::new(Vec::new()));
    let start = Arc::new(Barrier::new(2));
    let spawn = |name: &'static str| {
        let (trace, start) = (trace.clone(), start.clone());
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                start.wait();
                push(&trace, format!("{name} block 1"));
                std::thread::yield_now();
                push(&trace, format!("{name} block 2"));
            })
            .map_err(|e| DemoError::Thread(e.to_string()))
    };
    let handles = [spawn("do_first")?, spawn("do_second")?];
    for h in handles {
        h.join()
            .map_err(|_| DemoError::Thread("a demo thread panicked".into()))?;
    }
    let lines = trace
        .lock()
        .map_err(|_| DemoError::Thread("poisoned".into()))?;
    Ok(lines.clone())
}

/// Appends a line to a shared trace.
fn push(trace: &Mutex<Trace>, line: String) {
    if let Ok(mut t) = trace.lock() {
        t.push(line);
    }
}

/// Runs `program` `runs` times and counts each distinct trace.
fn tally(
    runs: u32,
    program: fn() -> Result<Trace, DemoError>,
) -> Result<BTreeMap<Trace, u32>, DemoError> {
    let mut seen = BTreeMap::new();
    for _ in 0..runs {
        *seen.entry(program()?).or_insert(0) += 1;
    }
    Ok(seen)
}

/// Prints the distinct traces, most frequent first.
fn print_tally(seen: &BTreeMap<Trace, u32>, runs: u32) {
    let mut by_count: Vec<_> = seen.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    for (trace, count) in by_count {
        println!("  {count:>6} of {runs} runs: {}", trace.join(" -> "));
    }
}

/// Runs the demo.
pub fn run(opts: &Options) -> Result<(), DemoError> {
    println!("== 1. Tasks on an event loop (the asyncio program) ==");
    for line in loop_program()? {
        println!("  {line}");
    }
    let loop_seen = tally(opts.runs, loop_program)?;
    println!("Interleavings over {} runs:", opts.runs);
    print_tally(&loop_seen, opts.runs);

    println!();
    println!("== 2. OS threads (the threading program) ==");
    for line in thread_program()? {
        println!("  {line}");
    }
    let thread_seen = tally(opts.runs, thread_program)?;
    println!("Interleavings over {} runs:", opts.runs);
    print_tally(&thread_seen, opts.runs);

    println!();
    println!(
        "The loop gave {} distinct order{}; threads gave {}.",
        loop_seen.len(),
        if loop_seen.len() == 1 { "" } else { "s" },
        thread_seen.len()
    );
    println!(
        "On the loop, a task runs until it awaits: `yield_now()` hands the loop to the next \
         ready task, so the\nsteps alternate the same way every time (cooperative, \
         deterministic). Threads are preempted by the\nOS whenever it chooses, so the order \
         depends on timing and changes between runs (preemptive)."
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loop_program_always_alternates() {
        let seen = tally(50, loop_program).unwrap();
        assert_eq!(seen.len(), 1);
        let trace = seen.keys().next().unwrap();
        assert_eq!(
            trace,
            &[
                "do_first block 1",
                "do_second block 1",
                "do_first block 2",
                "do_second block 2"
            ]
        );
    }

    #[test]
    fn the_thread_program_keeps_each_thread_in_order() {
        for trace in tally(50, thread_program).unwrap().keys() {
            assert_eq!(trace.len(), 4);
            for name in ["do_first", "do_second"] {
                let one = trace.iter().position(|l| *l == format!("{name} block 1"));
                let two = trace.iter().position(|l| *l == format!("{name} block 2"));
                assert!(one < two, "{trace:?}");
            }
        }
    }
}
