//! Single sign-on sessions, found by the digest of their cookie or by their public `sid`.

use async_trait::async_trait;

use super::{SqliteStore, from_json, to_json};
use crate::clock::Timestamp;
use crate::model::Session;
use crate::store::{SessionStore, StoreResult};

#[async_trait]
impl SessionStore for SqliteStore {
    async fn insert(&self, session: &Session) -> StoreResult<()> {
        self.execute(
            "INSERT INTO sessions (key, sid, data, expires_at) VALUES (?, ?, ?, ?)",
            (&session.key, &session.sid, to_json(session)?, session.expires_at),
        )
        .await?;
        Ok(())
    }

    async fn get(&self, key: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        let data: Option<String> =
            self.optional("SELECT data FROM sessions WHERE key = ? AND expires_at > ?", (key, now)).await?;
        data.as_deref().map(from_json).transpose()
    }

    async fn get_by_sid(&self, sid: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        let data: Option<String> =
            self.optional("SELECT data FROM sessions WHERE sid = ? AND expires_at > ?", (sid, now)).await?;
        data.as_deref().map(from_json).transpose()
    }

    async fn add_client(&self, key: &str, client_id: &str) -> StoreResult<()> {
        // Read-modify-write in one statement: two token responses in the same session at once
        // must both end up in the list, and neither twice.
        self.execute(
            "UPDATE sessions SET data = json_insert(data, '$.clients[#]', ?2) \
             WHERE key = ?1 \
               AND NOT EXISTS (SELECT 1 FROM json_each(sessions.data, '$.clients') WHERE value = ?2)",
            (key, client_id),
        )
        .await?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> StoreResult<Option<Session>> {
        let data: Option<String> =
            self.write_optional("DELETE FROM sessions WHERE key = ? RETURNING data", (key,)).await?;
        data.as_deref().map(from_json).transpose()
    }

    async fn of_user(&self, user_id: &str, now: Timestamp) -> StoreResult<Vec<Session>> {
        // No index: an operator's command, not a request's path.
        let rows: Vec<String> = self
            .read(|db| {
                db.prepare_cached(
                    "SELECT data FROM sessions WHERE expires_at > ? AND json_extract(data, '$.authn.user_id') = ?",
                )?
                .query_map((now, user_id), |row| row.get(0))?
                .collect()
            })
            .await?;
        rows.iter().map(|data| from_json(data)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{NOW, authn};
    use super::*;

    fn session(key: &str, sid: &str) -> Session {
        Session {
            face: None,
            key: key.into(),
            sid: sid.into(),
            authn: authn("u1"),
            clients: vec![],
            created_at: NOW,
            expires_at: NOW + 3600,
        }
    }

    #[tokio::test]
    async fn found_by_key_or_sid_until_it_expires() {
        let store = SqliteStore::memory().await.unwrap();
        let s = session("k1", "sid1");
        store.insert(&s).await.unwrap();
        assert_eq!(SessionStore::get(&store, "k1", NOW).await.unwrap(), Some(s.clone()));
        assert_eq!(store.get_by_sid("sid1", NOW).await.unwrap(), Some(s));
        assert_eq!(SessionStore::get(&store, "k1", NOW + 3600).await.unwrap(), None);
        assert_eq!(store.get_by_sid("sid1", NOW + 3600).await.unwrap(), None);
    }

    #[tokio::test]
    async fn clients_are_added_once() {
        let store = SqliteStore::memory().await.unwrap();
        store.insert(&session("k1", "sid1")).await.unwrap();
        store.add_client("k1", "rp").await.unwrap();
        store.add_client("k1", "rp").await.unwrap();
        store.add_client("k1", "other").await.unwrap();
        store.add_client("missing", "rp").await.unwrap();
        let clients = SessionStore::get(&store, "k1", NOW).await.unwrap().map(|s| s.clients);
        assert_eq!(clients, Some(vec!["rp".to_string(), "other".to_string()]));
    }

    #[tokio::test]
    async fn delete_returns_the_session_once() {
        let store = SqliteStore::memory().await.unwrap();
        let s = session("k1", "sid1");
        store.insert(&s).await.unwrap();
        assert_eq!(SessionStore::delete(&store, "k1").await.unwrap(), Some(s));
        assert_eq!(SessionStore::delete(&store, "k1").await.unwrap(), None);
    }
}
