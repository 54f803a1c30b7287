//! The `identita` binary: see `identita --help`.

fn main() -> std::process::ExitCode {
    identita::cli::main()
}
