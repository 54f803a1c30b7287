//! The embedded SQLite store: one [`SqliteStore`] implements every store trait.
//!
//! Records are kept whole as JSON next to the columns that lookups and expiry need. Everything
//! that must happen at most once (redeeming a code, rotating a refresh token, remembering a key)
//! is a single conditional statement, so SQLite's write lock decides which of two racing
//! requests wins. The schema lives in `migrations/sqlite` and is applied on connect.

mod clients;
mod codes;
mod consents;
mod counters;
mod dump;
mod interactions;
mod maintenance;
mod replay;
mod sessions;
mod tokens;
mod users;

#[cfg(test)]
use super::fixtures;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::StoreError;

/// Enough for a single-node provider: SQLite serializes writers anyway, the extra connections
/// only let readers proceed alongside one writer (WAL), which takes a core each. Fewer cores get
/// fewer connections (see [`pool_size`]).
const MAX_CONNECTIONS: u32 = 4;
/// How long a writer waits for the lock before reporting the store unavailable.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Every store, backed by one SQLite database; clones share the connection pool.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing, with its directory) the database at `url`
    /// (`sqlite://path/to/file.db`) and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid database URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        create_parent_dir(options.get_filename())?;
        // An in-memory database lives only as long as a connection to it: keep exactly one.
        let pool = if is_memory_url(url) {
            single_connection().connect_with(options).await
        } else {
            SqlitePoolOptions::new().max_connections(pool_size()).connect_with(options).await
        }
        .map_err(db_error)?;
        Self::migrated(pool).await
    }

    /// A fresh private in-memory database, for tests.
    pub async fn memory() -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(db_error)?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = single_connection().connect_with(options).await.map_err(db_error)?;
        Self::migrated(pool).await
    }

    async fn migrated(pool: SqlitePool) -> Result<SqliteStore, StoreError> {
        MIGRATOR.run(&pool).await.map_err(|e| StoreError::Unavailable(format!("migrating the database: {e}")))?;
        Ok(SqliteStore { pool })
    }
}

/// One connection per core the process may run on, up to [`MAX_CONNECTIONS`].
///
/// Each sqlx SQLite connection is a thread of its own, and a write through one connection makes
/// every other connection drop its page cache at its next read. Connections beyond the cores
/// only add those costs: on one core, four connections cost a code exchange ≈ 660 µs of CPU
/// against ≈ 440 µs with one (benches/run.sh, ES256).
fn pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    u32::try_from(cores).unwrap_or(MAX_CONNECTIONS).clamp(1, MAX_CONNECTIONS)
}

/// A pool that opens one connection and never lets it go, so every query sees the same database.
fn single_connection() -> SqlitePoolOptions {
    SqlitePoolOptions::new().min_connections(1).max_connections(1).idle_timeout(None).max_lifetime(None)
}

fn is_memory_url(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

fn create_parent_dir(file: &Path) -> Result<(), StoreError> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Unavailable(format!("creating {}: {e}", dir.display()))),
        _ => Ok(()),
    }
}

/// A taken unique value is the caller's conflict; a value that will not decode is corruption;
/// anything else is the database failing, which a later retry may get past.
fn db_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(e) if e.is_unique_violation() => StoreError::Conflict(e.message().to_owned()),
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => StoreError::Corrupt(error.to_string()),
        _ => StoreError::Unavailable(error.to_string()),
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("encoding a record: {e}")))
}

fn from_json<T: DeserializeOwned>(json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("decoding a record: {e}")))
}

/// Whether tokens of a grant with these scopes survive the end of the SSO session.
fn is_offline(scopes: &[String]) -> bool {
    scopes.iter().any(|s| s == "offline_access")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ClientStore, Stores};

    /// Runs a conformance case on a fresh in-memory database.
    async fn on_memory<F: Future<Output = ()>>(_test: &str, case: impl FnOnce(Stores) -> F) {
        case(Stores::from_one(SqliteStore::memory().await.unwrap())).await;
    }

    mod conformance {
        crate::store::conformance_tests::conformance_suite!(super::on_memory);
    }

    #[tokio::test]
    async fn an_in_memory_url_keeps_one_database() {
        let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
        store.put(&fixtures::client("rp")).await.unwrap();
        assert!(ClientStore::get(&store, "rp").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_bad_url_is_an_error() {
        let result = SqliteStore::connect("sqlite://x.db?mode=bogus").await;
        assert!(matches!(result, Err(StoreError::Unavailable(_))));
    }

    #[tokio::test]
    async fn undecodable_rows_are_corrupt() {
        let store = SqliteStore::memory().await.unwrap();
        sqlx::query("INSERT INTO clients (client_id, data, created_at) VALUES ('rp', '{not json', 0)")
            .execute(&store.pool)
            .await
            .unwrap();
        assert!(matches!(ClientStore::get(&store, "rp").await, Err(StoreError::Corrupt(_))));
    }
}
