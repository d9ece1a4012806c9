//! The `strands` command.
fn main() {}
