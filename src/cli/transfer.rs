//! `identita export`, `import` and `migrate`: every row of one database into a file or another
//! database, SQLite or PostgreSQL either way (see [`crate::store::dump`]).
//!
//! An export file holds password hashes and token digests: it is written with mode 0600, to a
//! temporary file renamed into place only when complete. An import reads and checks the whole
//! file before it touches the database, then writes it in one transaction into an empty database.
//! Database URLs are never printed with their password.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::json;

use super::{CliError, print};
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, DatabaseBackend};
use crate::model::Client;
use crate::store::dump::{Database, Dump, Value, format};

#[derive(Debug, Subcommand)]
pub enum TransferCommand {
    /// Write every row of the database (database_url) to standard output or a file, as JSON Lines.
    Export {
        /// Write to this file (mode 0600, replaced atomically) instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Load an export into the database (database_url), which must be empty: all of it or nothing.
    Import {
        /// The export file, or `-` for standard input.
        file: PathBuf,
    },
    /// Copy every row from one database into another, which must be empty: all of it or nothing.
    Migrate {
        /// The database to copy from (default: database_url).
        #[arg(long)]
        from: Option<String>,
        /// The database to copy into, e.g. postgres://user:password@host/identita or sqlite://path/identita.db.
        #[arg(long)]
        to: String,
    },
}

pub async fn run(config: &Config, cmd: TransferCommand) -> Result<(), CliError> {
    match cmd {
        TransferCommand::Export { out } => export(config, out.as_deref()).await,
        TransferCommand::Import { file } => import(config, &file).await,
        TransferCommand::Migrate { from, to } => {
            let from = from.unwrap_or_else(|| config.database_url());
            if from == to {
                return Err(CliError::new("--from and --to name the same database"));
            }
            let dump = open_existing(&from, "--from").await?.export().await?;
            open(&to, "--to").await?.import(&dump).await.map_err(|e| CliError(e.to_string()))?;
            print(&json!({ "migrated": dump.counts(), "from": describe(&from), "to": describe(&to) }))
        }
    }
}

async fn export(config: &Config, out: Option<&Path>) -> Result<(), CliError> {
    let url = config.database_url();
    let dump = open_existing(&url, "database_url").await?.export().await?;
    let now = SystemClock.now();
    let summary = json!({ "exported": dump.counts(), "from": describe(&url), "out": out });
    match out {
        None => {
            let mut stdout = BufWriter::new(std::io::stdout().lock());
            format::write(&dump, now, &mut stdout).map_err(|e| CliError(format!("writing the export: {e}")))?;
            eprintln!("{summary}");
            Ok(())
        }
        Some(path) => {
            write_atomically(path, &dump, now)?;
            eprintln!("{summary}");
            print(&summary)
        }
    }
}

async fn import(config: &Config, file: &Path) -> Result<(), CliError> {
    let dump = read(file)?;
    check_clients(&dump)?;
    let url = config.database_url();
    open(&url, "database_url").await?.import(&dump).await.map_err(|e| CliError(e.to_string()))?;
    print(&json!({ "imported": dump.counts(), "to": describe(&url) }))
}

/// Every client of the dump is one registration would accept: a redirect URI with a script
/// scheme (stored by an older version) is refused here, naming the client, not imported.
fn check_clients(dump: &Dump) -> Result<(), CliError> {
    let Some(index) = crate::store::dump::TABLES.iter().position(|t| t.name == "clients") else { return Ok(()) };
    let data = crate::store::dump::TABLES[index].columns.iter().position(|c| c.name == "data");
    for row in &dump.rows[index] {
        let Some(Value::Text(text)) = data.and_then(|i| row.get(i)) else { continue };
        let client: Client =
            serde_json::from_str(text).map_err(|e| CliError(format!("a client in the export is not valid: {e}")))?;
        crate::oidc::client::check_redirect_uris(&client)
            .map_err(|e| CliError(format!("client {}: {e}; fix it in the export file", client.client_id)))?;
    }
    Ok(())
}

/// The whole file, checked; `-` is standard input.
fn read(file: &Path) -> Result<Dump, CliError> {
    if file == Path::new("-") {
        return format::read(std::io::stdin().lock()).map_err(|e| CliError(format!("standard input: {e}")));
    }
    let opened = File::open(file).map_err(|e| CliError(format!("reading {}: {e}", file.display())))?;
    format::read(BufReader::new(opened)).map_err(|e| CliError(format!("{}: {e}", file.display())))
}

async fn open_existing(url: &str, role: &str) -> Result<Database, CliError> {
    Ok(Database::open_existing(backend(url, role)?, url).await?)
}

async fn open(url: &str, role: &str) -> Result<Database, CliError> {
    Ok(Database::open(backend(url, role)?, url).await?)
}

/// The backend a URL names by its scheme; `role` (the setting or flag it came from) is in the
/// message, the URL is not, as it may hold a password.
fn backend(url: &str, role: &str) -> Result<DatabaseBackend, CliError> {
    match url.split_once(':').map(|(scheme, _)| scheme.to_ascii_lowercase()).as_deref() {
        Some("sqlite") => Ok(DatabaseBackend::Sqlite),
        Some("postgres" | "postgresql") => Ok(DatabaseBackend::Postgres),
        _ => Err(CliError(format!("{role} must start with sqlite:, postgres: or postgresql:"))),
    }
}

/// A database URL fit to print: without password, user or parameters (which may hold one).
pub(super) fn describe(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.has_host() => {
            let _ = parsed.set_password(None);
            let _ = parsed.set_username("");
            parsed.set_query(None);
            parsed.set_fragment(None);
            parsed.to_string()
        }
        _ => url.split(['?', '#']).next().unwrap_or_default().to_owned(),
    }
}

/// Writes the export next to `path` with mode 0600, then renames it into place: `path` is never
/// seen half-written, and on failure the temporary file goes.
fn write_atomically(path: &Path, dump: &Dump, now: i64) -> Result<(), CliError> {
    let failed = |e: std::io::Error| CliError(format!("writing {}: {e}", path.display()));
    let name = path.file_name().ok_or_else(|| CliError(format!("--out {} does not name a file", path.display())))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let temporary = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), crate::secret::random_token(6)));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|file| {
        let mut writer = BufWriter::new(file);
        format::write(dump, now, &mut writer)?;
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(failed(e));
    }
    // The rename itself survives a crash once the directory is synced too.
    if let Ok(dir) = File::open(&dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_of_another_database_is_refused_by_the_flag_it_came_from() {
        let err = backend("mysql://u:s3cret@db/identita", "--to").unwrap_err().0;
        assert_eq!(err, "--to must start with sqlite:, postgres: or postgresql:");
        assert_eq!(backend("postgresql://db/x", "--from").unwrap(), DatabaseBackend::Postgres);
        assert_eq!(backend("SQLITE://x.db", "--from").unwrap(), DatabaseBackend::Sqlite);
    }

    #[test]
    fn a_described_url_keeps_no_secret() {
        let described = describe("postgres://identita:s3cret@db.example:5432/identita?password=x&sslmode=require");
        assert_eq!(described, "postgres://db.example:5432/identita");
        assert_eq!(describe("sqlite://data/identita.db?mode=rwc"), "sqlite://data/identita.db");
        assert_eq!(describe("sqlite:///var/lib/identita.db"), "sqlite:///var/lib/identita.db");
    }

    #[test]
    fn an_atomic_write_is_private_and_leaves_nothing_behind_on_failure() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.jsonl");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, &Dump::new(Vec::new()), 1).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().starts_with("{\"format\":\"identita-export\""));
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);

        let into_a_directory = write_atomically(dir.path(), &Dump::new(Vec::new()), 1);
        assert!(into_a_directory.is_err());
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("export.jsonl")], "a temporary file stayed behind");
    }
}
