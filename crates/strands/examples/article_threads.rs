//! The article's threading program: two OS threads run `do_first` and `do_second`; the OS
//! preempts them at any point, so their lines interleave differently from run to run.
//!
//! Run: `cargo run -p strands --example article_threads`

use std::time::Duration;

use strands::thread::Thread;

/// Blocks each function prints.
const BLOCKS: u32 = 2;

/// Some work between prints, long enough for the scheduler to switch threads.
fn work(name: &str, block: u32) {
    let mut x: u64 = u64::from(block);
    for i in 0..2_000_000u64 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
    }
    std::hint::black_box((name, x));
    std::thread::sleep(Duration::from_millis(1));
}

/// The first function of the article.
fn do_first() {
    for block in 1..=BLOCKS {
        println!("do_first block {block}/{BLOCKS} starts");
        work("do_first", block);
        println!("do_first block {block}/{BLOCKS} ends");
    }
}

/// The second function of the article.
fn do_second() {
    for block in 1..=BLOCKS {
        println!("do_second block {block}/{BLOCKS} starts");
        work("do_second", block);
        println!("do_second block {block}/{BLOCKS} ends");
    }
}

fn main() -> std::io::Result<()> {
    let first = Thread::new(do_first).name("do_first").start()?;
    let second = Thread::new(do_second).name("do_second").start()?;
    for (name, result) in [
        ("do_first", first.join_blocking()),
        ("do_second", second.join_blocking()),
    ] {
        if let Err(p) = result {
            eprintln!("{name} failed: {p}");
        }
    }
    println!("both threads done");
    Ok(())
}
