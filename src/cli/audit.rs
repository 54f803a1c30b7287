//! `identita audit list|export|verify`: the audit log, read by an administrator, and
//! `operator`, what records the decisions made on the command line.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use serde_json::{Value, json};

use super::{CliError, print};
use crate::model::AuditRecord;
use crate::oidc::Provider;
use crate::validation::actor::Actor;
use crate::validation::audit::{self, Verdict};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// The newest decisions (or those about one person or account), newest last.
    List {
        /// Only the entries about this person or account (its id).
        #[arg(long)]
        subject: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// The whole log, one JSON entry per line, oldest first (to standard output or --out).
    Export {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check the hash chain: an entry edited, deleted or put in is reported with its place
    /// (exit code 1). Prints the head; keep it, and pass it back with --head to find entries
    /// taken off the end since.
    Verify {
        #[arg(long)]
        head: Option<String>,
    },
}

pub async fn run(provider: &Provider, cmd: AuditCommand) -> Result<(), CliError> {
    let log = &*provider.stores.audit;
    match cmd {
        AuditCommand::List { subject, limit } => {
            let mut entries = match subject {
                Some(subject) => log.about(&subject).await?,
                None => {
                    let newest = log.last().await?.map_or(0, |last| last.seq);
                    let from = newest.saturating_sub(i64::try_from(limit).unwrap_or(i64::MAX));
                    log.after(from, limit).await?
                }
            };
            let newest = entries.split_off(entries.len().saturating_sub(limit));
            print(&newest)
        }
        AuditCommand::Export { out } => {
            let mut sink: Box<dyn Write> = match &out {
                Some(path) => {
                    Box::new(std::fs::File::create(path).map_err(|e| CliError(format!("{}: {e}", path.display())))?)
                }
                None => Box::new(std::io::stdout().lock()),
            };
            let mut after = 0;
            let mut count = 0u64;
            loop {
                let page = log.after(after, 1000).await?;
                let Some(last) = page.last() else { break };
                after = last.seq;
                for entry in &page {
                    let line = serde_json::to_string(entry).map_err(|e| CliError(e.to_string()))?;
                    writeln!(sink, "{line}").map_err(|e| CliError(format!("writing the export: {e}")))?;
                    count += 1;
                }
            }
            sink.flush().map_err(|e| CliError(format!("writing the export: {e}")))?;
            match out {
                Some(path) => print(&json!({ "entries": count, "file": path })),
                None => Ok(()),
            }
        }
        AuditCommand::Verify { head } => match audit::verify(log, head.as_deref()).await? {
            Verdict::Intact { entries, head } => print(&json!({ "intact": true, "entries": entries, "head": head })),
            Verdict::Broken(broken) => {
                Err(CliError(format!("the audit log is broken at entry {}: {}", broken.seq, broken.reason)))
            }
            Verdict::Shortened { entries, head } => Err(CliError(format!(
                "the audit log does not reach the head you kept: entries were taken off its end \
                 ({entries} entries now, ending at {head})"
            ))),
        },
    }
}

/// Records a decision made on the command line by the operator running it (an administrator),
/// about `subject` (an account or person id).
pub async fn operator(provider: &Provider, action: &str, subject: Option<&str>, detail: Value) -> Result<(), CliError> {
    let record = AuditRecord {
        at: provider.now(),
        actor: operator_actor().who().to_owned(),
        role: "administrator".into(),
        action: action.into(),
        subject: subject.map(str::to_owned),
        origin: "cli".into(),
        detail,
    };
    audit::record(&*provider.stores.audit, record).await?;
    Ok(())
}

/// The operator running the command line, as the back office's domain records them: an
/// administrator named by `$USER`, acting from `cli`.
pub fn operator_actor() -> Actor {
    let name = std::env::var("USER").ok().filter(|name| !name.is_empty()).unwrap_or_else(|| "unknown".into());
    Actor::operator(&name)
}
