//! Where the commands find the provider's data: the database and the keys directory, from the
//! same configuration `serve` reads (defaults → `identita.toml` or `--config` → `IDENTITA_*`).
//!
//! Only `serve`, `init` and `import` (into an empty database) may make a new store. Every other
//! command refuses when the SQLite file or the keys directory is not there, naming the path it
//! looked at: before, `identita client add` run in another directory made a new, empty database
//! there, and the client never reached the server.

use std::path::{Path, PathBuf};

use super::CliError;
use crate::config::{Config, DatabaseBackend};
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;

/// The store a command uses, as an operator should read it.
#[derive(Debug, Clone)]
pub struct Location {
    /// The configuration file read, if any (absolute).
    pub config_file: Option<PathBuf>,
    /// The database, fit to print: a SQLite file as an absolute path, a PostgreSQL URL without
    /// its password.
    pub database: String,
    /// The SQLite file (absolute); `None` for PostgreSQL or an in-memory database.
    pub sqlite_file: Option<PathBuf>,
    /// The PostgreSQL URL, when the database is one.
    postgres_url: Option<String>,
    /// The keys directory (absolute).
    pub keys_dir: PathBuf,
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

impl Location {
    /// Where `config` points; `flag` is the `--config` given, if any.
    pub fn of(config: &Config, flag: Option<&Path>) -> Self {
        let default = Path::new("identita.toml");
        let config_file = match flag {
            Some(file) => Some(absolute(file)),
            None => default.is_file().then(|| absolute(default)),
        };
        let url = config.database_url();
        let sqlite_file = match config.database_backend() {
            Ok(DatabaseBackend::Sqlite) => SqliteStore::file_of(&url).map(|file| absolute(&file)),
            _ => None,
        };
        let postgres_url = matches!(config.database_backend(), Ok(DatabaseBackend::Postgres)).then(|| url.clone());
        let database = match &sqlite_file {
            Some(file) => format!("SQLite {}", file.display()),
            None => super::transfer::describe(&url),
        };
        Self { config_file, database, sqlite_file, postgres_url, keys_dir: absolute(&config.keys_dir) }
    }

    /// Where the settings came from, for a message.
    fn source(&self) -> String {
        match &self.config_file {
            Some(file) => format!("configuration {}", file.display()),
            None => {
                let here = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| ".".into());
                format!("no identita.toml in {here}: defaults and IDENTITA_* variables")
            }
        }
    }

    /// One line on standard error naming the database and the keys directory.
    pub fn announce(&self) {
        eprintln!("identita: database {}, keys {} ({})", self.database, self.keys_dir.display(), self.source());
    }

    /// Refuses when the SQLite file, the keys directory or identita's tables in a PostgreSQL
    /// database do not exist: the command would make a new, empty store that the server does
    /// not use.
    pub async fn require_existing(&self) -> Result<(), CliError> {
        let Some(missing) = self.missing().await? else { return Ok(()) };
        Err(CliError(format!(
            "{missing} ({}; relative paths are taken from the working directory). This command does \
             not create a new store. Point it at the server's data: run it where the server's \
             identita.toml is, pass --config FILE, or set IDENTITA_DATA_DIR (or IDENTITA_DATABASE_URL) \
             and IDENTITA_KEYS_DIR as the server has them. To start a new provider here, run `identita init`.",
            self.source()
        )))
    }

    /// What of the store is not there yet, if anything.
    pub async fn missing(&self) -> Result<Option<String>, CliError> {
        let missing = match (&self.sqlite_file, self.keys_dir.is_dir()) {
            (Some(file), _) if !file.is_file() => format!("there is no database at {}", file.display()),
            (_, false) => format!("there is no keys directory at {}", self.keys_dir.display()),
            _ => match &self.postgres_url {
                Some(url) if !PostgresStore::has_schema(url).await? => {
                    format!("the database {} has no identita tables", self.database)
                }
                _ => return Ok(None),
            },
        };
        Ok(Some(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_is_shown_without_its_password() {
        let config =
            Config { database_url: Some("postgres://identita:s3cret@db.example/identita".into()), ..Config::default() };
        let location = Location::of(&config, None);
        assert!(!location.database.contains("s3cret"), "{}", location.database);
        assert!(location.database.contains("db.example/identita"), "{}", location.database);
        assert_eq!(location.sqlite_file, None);
    }

    #[tokio::test]
    async fn a_missing_sqlite_file_is_refused_naming_its_absolute_path() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config { data_dir: dir.path().join("nowhere"), keys_dir: dir.path().into(), ..Config::default() };
        let location = Location::of(&config, None);
        let error = location.require_existing().await.unwrap_err().0;
        let file = dir.path().join("nowhere/identita.db");
        assert!(error.contains(&file.display().to_string()) && error.contains("identita init"), "{error}");
        assert!(!file.exists() && !dir.path().join("nowhere").exists());
    }
}
