//! `identita-bench`: the load generator and bound measurements behind `benches/run.sh`.
//!
//! Each subcommand prints JSON (one line) so the script can collect results, and `table` turns
//! the collected results into the Markdown tables of `benches/README.md`.

mod authenticator;
mod bounds;
mod browser;
mod card;
mod fixture;
mod http;
mod load;
mod meg;
mod meg_device;
mod registry;
mod report;
mod run;
mod saml;
mod scenarios;
mod sms;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "identita-bench", about = "Load generator and bound measurements for identita")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the seed fixture (JSON) for `identita seed`.
    Fixture {
        #[arg(long, default_value_t = 64)]
        users: usize,
        /// The bank's fixture instead: the same users, and the identita with this issuer as a
        /// client (the bank identity scenario).
        #[arg(long)]
        bank_client_of: Option<String>,
    },
    /// Measure the bounding operations on this core: argon2id check, RS256 and ES256 signature.
    Bounds {
        #[arg(long, default_value_t = 19456)]
        memory_kib: u32,
        #[arg(long, default_value_t = 2)]
        iterations: u32,
        #[arg(long, default_value_t = 1)]
        parallelism: u32,
        /// Seconds per operation.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// The round of scenarios these bounds go with, for the report.
        #[arg(long, default_value_t = 1)]
        round: u32,
    },
    /// Drive one scenario against a running, seeded identita.
    Run(run::RunArgs),
    /// Leave `count` live SSO sessions behind by real password logins (authorize → login form →
    /// POST credentials → code; the codes are left to expire).
    Sessions(run::SessionArgs),
    /// MEG: push connections held by paired devices (the server's VmRSS with them) and the
    /// latency from a device's approval to the waiting login page's event stream.
    Meg(meg::MegArgs),
    /// The register of inhabitants: generate citizens, time `identita registry import` of them
    /// into a new SQLite store, then the latency of a lookup by identifier at that size.
    Registry(registry::RegistryArgs),
    /// The resident memory (VmRSS) of a process, in KiB.
    Rss {
        #[arg(long)]
        pid: u32,
        #[arg(long)]
        label: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Make the SAML SSO scenario's service provider: its key and its metadata (for `identita
    /// saml sp add --metadata DIR/metadata.xml`) into DIR.
    SamlSp {
        #[arg(long)]
        out: PathBuf,
    },
    /// Render collected results as Markdown.
    Table {
        /// JSON lines from `run`.
        #[arg(long)]
        results: PathBuf,
        /// JSON lines from `bounds`, one per round.
        #[arg(long)]
        bounds: PathBuf,
        /// JSON lines from `rss` and `sessions`.
        #[arg(long)]
        memory: PathBuf,
        /// JSON lines from `meg`, if it ran.
        #[arg(long)]
        meg: Option<PathBuf>,
        /// JSON lines from `registry`, if it ran.
        #[arg(long)]
        registry: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Fixture { users, bank_client_of } => Ok(fixture::fixture(users, bank_client_of.as_deref())),
        Command::Bounds { memory_kib, iterations, parallelism, seconds, round } => {
            bounds::measure(memory_kib, iterations, parallelism, Duration::from_secs_f64(seconds)).and_then(|b| {
                let mut value = serde_json::to_value(b)?;
                value["round"] = round.into();
                Ok(value)
            })
        }
        Command::Run(args) => on_local_runtime(run::scenario(args)),
        Command::Sessions(args) => on_local_runtime(run::sessions(args)),
        Command::Meg(args) => on_local_runtime(meg::run(args)),
        Command::Registry(args) => on_local_runtime(registry::run(args)),
        Command::SamlSp { out } => saml::ServiceProvider::create(&out),
        Command::Rss { pid, label, note } => run::rss_kib(pid).map(|kib| {
            serde_json::json!({
                "label": label, "kib": kib, "note": note,
            })
        }),
        Command::Table { results, bounds, memory, meg, registry } => {
            match report::table(&results, &bounds, &memory, meg.as_deref(), registry.as_deref()) {
                Ok(markdown) => {
                    print!("{markdown}");
                    return ExitCode::SUCCESS;
                }
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(value) => {
            println!("{value}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("identita-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One thread (the generator is pinned to one core) running every virtual client as a local task.
fn on_local_runtime<F: Future<Output = Result<serde_json::Value, http::Error>>>(
    work: F,
) -> Result<serde_json::Value, http::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    tokio::task::LocalSet::new().block_on(&runtime, work)
}
