//! The last word of `cargo test`: how many tests were skipped for a missing service, and what to
//! start. A target without libtest's harness (so its output is never captured), named to run
//! after the `it` binary; see tests/support/skips.rs and docs/testing.md.

#[path = "support/skips.rs"]
mod skips;

fn main() {
    for line in skips::summary() {
        println!("{line}");
    }
}
