//! The PostgreSQL store: one [`PostgresStore`] implements every store trait, for any number of
//! identita nodes sharing one database.
//!
//! The schema (`migrations/postgres`, applied on connect under PostgreSQL's advisory lock, so
//! nodes starting together migrate once) mirrors the SQLite one: records are kept whole as JSON
//! next to the columns that lookups and expiry need. Everything that must happen at most once
//! (redeeming a code, rotating a refresh token, remembering a key, counting, adding a client to
//! a session) is a single conditional `UPDATE` or `INSERT … ON CONFLICT`: under READ COMMITTED
//! the second of two racing statements waits for the first's row lock and then re-checks its
//! condition against the row as the first left it, so two nodes cannot both win.
//!
//! PostgreSQL text cannot hold U+0000, which requests may carry; see [`storable`] and
//! [`opaque_key`] for how that is kept from turning into errors.

mod audit;
mod cards;
mod clerks;
mod clients;
mod codes;
mod consents;
mod counters;
mod dump;
mod interactions;
mod maintenance;
mod meg;
mod mojeid;
mod outbox;
mod persons;
mod probe;
mod registrations;
mod replay;
mod saml_sps;
mod security_keys;
mod sessions;
mod tokens;
mod users;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};

use super::StoreError;

/// Per node. Each request needs a connection only for the length of a statement, so a few go a
/// long way; a fleet of nodes must stay under the server's `max_connections` (100 by default).
const MAX_CONNECTIONS: u32 = 10;
/// How long a request waits for a connection (including opening one) before the store reports
/// itself unavailable: a database that is down fails requests quickly rather than piling them up.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle connections are closed after this, so a quiet node gives its connections back.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Every store, backed by one PostgreSQL database; clones share the connection pool.
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, with
    /// e.g. `?sslmode=…` or `?options[search_path]=schema`) and brings its schema up to date.
    /// `Unavailable` when the URL is malformed or the server does not answer in time.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid database URL: {e}")))?
            .application_name("identita");
        // One connection of its own first: its error says why (refused, wrong password, no such
        // database), where the pool's would only say that it timed out.
        let probe = tokio::time::timeout(ACQUIRE_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .map_err(|_| StoreError::Unavailable(format!("the database did not answer within {ACQUIRE_TIMEOUT:?}")))?
            .map_err(db_error)?;
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .idle_timeout(IDLE_TIMEOUT)
            .connect_lazy_with(options);
        MIGRATOR.run(&pool).await.map_err(|e| StoreError::Unavailable(format!("migrating the database: {e}")))?;
        Ok(PostgresStore { pool })
    }
}

/// The nodes' broadcast on PostgreSQL: `NOTIFY` on a channel named after the schema (nodes on
/// other schemas of the same database do not hear it), heard through `LISTEN`.
pub struct PgBroadcast {
    pool: PgPool,
    channel: String,
}

impl PostgresStore {
    /// The broadcast among the nodes sharing this database and schema.
    pub async fn broadcast(&self) -> Result<PgBroadcast, StoreError> {
        let schema: String =
            sqlx::query_scalar("SELECT current_schema()").fetch_one(&self.pool).await.map_err(db_error)?;
        let mut channel = format!("identita:{schema}");
        // PostgreSQL cuts channel names to 63 bytes; cut where a character ends.
        while channel.len() > 63 {
            channel.pop();
        }
        Ok(PgBroadcast { pool: self.pool.clone(), channel })
    }
}

#[async_trait::async_trait]
impl super::Broadcast for PgBroadcast {
    async fn publish(&self, message: &str) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(&self.channel)
            .bind(message)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn listen(&self) -> Result<tokio::sync::mpsc::Receiver<String>, StoreError> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await.map_err(db_error)?;
        listener.listen(&self.channel).await.map_err(db_error)?;
        let (sender, receiver) = tokio::sync::mpsc::channel(super::BROADCAST_QUEUE);
        tokio::spawn(async move {
            loop {
                // A lost connection is made again on the next call; what was sent meanwhile is lost.
                match listener.recv().await {
                    Ok(notification) => {
                        if sender.send(notification.payload().to_owned()).await.is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the nodes' broadcast lost its database connection; listening again");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(receiver)
    }
}

/// A taken unique value is the caller's conflict; a value that will not decode is corruption;
/// anything else is the database failing (or unreachable), which a later retry may get past.
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

/// Whether PostgreSQL can hold `value` as text (it refuses U+0000). A lookup by a value it
/// cannot hold finds nothing without asking: such a value was never stored. The values looked up
/// this way (a `client_id`, a username, an interaction id) come straight from requests.
fn storable(value: &str) -> bool {
    !value.contains('\0')
}

/// An opaque key (replay, counters) in a form PostgreSQL can hold: `\` and U+0000 escaped, so
/// that distinct keys stay distinct. A counter keyed by a typed-in username must count, not fail.
fn opaque_key(key: &str) -> Cow<'_, str> {
    if key.contains(['\\', '\0']) {
        Cow::Owned(key.replace('\\', "\\\\").replace('\0', "\\0"))
    } else {
        Cow::Borrowed(key)
    }
}

/// Whether tokens of a grant with these scopes survive the end of the SSO session.
fn is_offline(scopes: &[String]) -> bool {
    scopes.iter().any(|s| s == "offline_access")
}
