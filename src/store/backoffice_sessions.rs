//! The back office's sessions as `tower-sessions` keeps them ([`SessionStore`]): without Redis,
//! [`SqlSessions`] over the SQL table `backoffice_sessions` ([`BackOfficeSessionStore`]), which
//! every node shares; with Redis, `tower-sessions-redis-store` over the app's fred pool (see
//! [`super::redis::RedisStore::compose`]). [`BackOfficeSessions`] is the handle [`super::Stores`]
//! holds and the session layer of `crate::http::backoffice` takes.
//!
//! A row is keyed by the digest of the session id, never the id itself: what the database holds
//! does not sign anyone in. Its data is the record's data and expiry as JSON. The expiry is
//! tower-sessions' own (the wall clock, 15 minutes after the last save); a row past it is not
//! loaded, and the store's purge removes it. The idle time the provider's clock tells is kept in
//! the session's data by `crate::authn::backoffice`.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;

use super::{BackOfficeSessionStore, StoreError};
use crate::secret;

/// The store of the back office's sessions, cheap to clone.
#[derive(Clone, Debug)]
pub struct BackOfficeSessions(Arc<dyn SessionStore>);

impl BackOfficeSessions {
    pub fn new(store: impl SessionStore) -> Self {
        Self(Arc::new(store))
    }

    /// Over the SQL table.
    pub fn sql(rows: Arc<dyn BackOfficeSessionStore>) -> Self {
        Self::new(SqlSessions { rows })
    }
}

#[async_trait]
impl SessionStore for BackOfficeSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.0.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.0.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.0.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.0.delete(id).await
    }
}

/// The sessions in the SQL table.
pub struct SqlSessions {
    rows: Arc<dyn BackOfficeSessionStore>,
}

impl std::fmt::Debug for SqlSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqlSessions")
    }
}

/// What a row's `data` holds.
#[derive(Serialize, Deserialize)]
struct Stored {
    data: HashMap<String, Value>,
    /// Seconds since the Unix epoch.
    expires_at: i64,
}

/// The row's key: the digest of the session id.
fn row(id: &Id) -> String {
    secret::digest(&format!("backoffice-session:{id}"))
}

fn encode(record: &Record) -> session_store::Result<(String, i64)> {
    let expires_at = record.expiry_date.unix_timestamp();
    let stored = Stored { data: record.data.clone(), expires_at };
    let json = serde_json::to_string(&stored).map_err(|e| session_store::Error::Encode(e.to_string()))?;
    Ok((json, expires_at))
}

fn backend(error: StoreError) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

#[async_trait]
impl SessionStore for SqlSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let (json, expires_at) = encode(record)?;
        // A taken id (a chance of one in 2^128) is never overwritten: another is drawn.
        while !self.rows.create(&row(&record.id), &json, expires_at).await.map_err(backend)? {
            record.id = Id::default();
        }
        Ok(())
    }

    /// Replaces the record of a session that exists: one that was ended meanwhile (a logout
    /// racing this request) stays ended.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let (json, expires_at) = encode(record)?;
        self.rows.save(&row(&record.id), &json, expires_at).await.map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let Some(json) = self.rows.load(&row(id), now).await.map_err(backend)? else { return Ok(None) };
        let stored: Stored = serde_json::from_str(&json).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(stored.expires_at)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data: stored.data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.rows.delete(&row(id)).await.map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::store::sqlite::SqliteStore;

    #[tokio::test]
    async fn a_row_is_keyed_by_the_digest_of_the_session_id_which_it_does_not_hold() {
        let rows: Arc<dyn BackOfficeSessionStore> = Arc::new(SqliteStore::memory().await.unwrap());
        let sessions = BackOfficeSessions::sql(rows.clone());
        let data = [("backoffice".to_owned(), serde_json::json!({ "stage": "active" }))].into_iter().collect();
        let expiry_date = OffsetDateTime::now_utc() + Duration::minutes(15);
        let mut record = Record { id: Id::default(), data, expiry_date };
        sessions.create(&mut record).await.unwrap();
        let id = record.id.to_string();
        let now = OffsetDateTime::now_utc().unix_timestamp();
        assert_eq!(rows.load(&id, now).await.unwrap(), None, "not under the id itself");
        let json = rows.load(&row(&record.id), now).await.unwrap().expect("under its digest");
        assert!(!json.contains(&id) && json.contains("\"active\""), "{json}");
        assert_eq!(
            sessions.load(&record.id).await.unwrap(),
            Some(Record { expiry_date: record.expiry_date.replace_nanosecond(0).unwrap(), ..record })
        );
    }
}
