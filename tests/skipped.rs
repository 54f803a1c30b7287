//! The last word of `cargo test`: how many tests were skipped for a missing service, and what to
//! start. A target without libtest's harness (so its output is never captured), named to run
//! after the `it` binary, and also the last test target of identita-conformance, whose tests run
//! after identita's (so the summary ends a workspace `cargo test`; both print the same count); see
//! tests/support/skips.rs and docs/testing.md.

#[path = "support/skips.rs"]
mod skips;

fn main() {
    for line in skips::summary() {
        println!("{line}");
    }
}
