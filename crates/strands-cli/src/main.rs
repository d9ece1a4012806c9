//! The `strands` command: see the two concurrency models side by side.
#![forbid(unsafe_code)]

mod demo;

use clap::{Parser, Subcommand};

/// asyncio and threading for Rust: demos and comparisons of the two models.
#[derive(Parser, Debug)]
#[command(name = "strands", version, about)]
struct Cli {
    /// What to run.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
enum Command {
    /// Run the article's two programs (tasks on a loop, OS threads) and show how their
    /// steps interleave.
    Demo(demo::Options),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(opts) => demo::run(&opts),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("strands: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
