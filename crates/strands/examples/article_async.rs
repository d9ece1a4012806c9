//! The article's asyncio program on strands: two tasks share one thread and take turns at
//! every `yield_now().await` (asyncio's `await asyncio.sleep(0)`).
//!
//! Run: `cargo run -p strands --example article_async`. It prints, on every run:
//!
//! ```text
//! do_first block 1
//! do_second block 1
//! do_first block 2
//! do_second block 2
//! ```

async fn do_first() {
    println!("do_first block 1");
    strands::yield_now().await;
    println!("do_first block 2");
}

async fn do_second() {
    println!("do_second block 1");
    strands::yield_now().await;
    println!("do_second block 2");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    strands::run(async {
        let first = strands::spawn(do_first());
        let second = strands::spawn(do_second());
        first.await?;
        second.await?;
        Ok::<(), strands::TaskError>(())
    })??;
    Ok(())
}
