//! Single sign-on sessions, found by the digest of their cookie or by their public `sid`.

use async_trait::async_trait;

use super::{PostgresStore, db_error, from_json, storable, to_json};
use crate::clock::Timestamp;
use crate::model::Session;
use crate::store::{SessionStore, StoreResult};

#[async_trait]
impl SessionStore for PostgresStore {
    async fn insert(&self, session: &Session) -> StoreResult<()> {
        sqlx::query("INSERT INTO sessions (key, sid, data, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(&session.key)
            .bind(&session.sid)
            .bind(to_json(session)?)
            .bind(session.expires_at)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn get(&self, key: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        if !storable(key) {
            return Ok(None);
        }
        let data: Option<String> = sqlx::query_scalar("SELECT data FROM sessions WHERE key = $1 AND expires_at > $2")
            .bind(key)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        data.as_deref().map(from_json).transpose()
    }

    async fn get_by_sid(&self, sid: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        if !storable(sid) {
            return Ok(None);
        }
        let data: Option<String> = sqlx::query_scalar("SELECT data FROM sessions WHERE sid = $1 AND expires_at > $2")
            .bind(sid)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        data.as_deref().map(from_json).transpose()
    }

    async fn add_client(&self, key: &str, client_id: &str) -> StoreResult<()> {
        if !storable(key) {
            return Ok(());
        }
        // Read-modify-write in one statement: a second token response in the same session waits
        // for the first's row lock, then re-checks `NOT … @>` against the list the first left, so
        // both clients end up in it and neither twice.
        sqlx::query(
            "UPDATE sessions SET data = jsonb_set(data::jsonb, '{clients}', \
                 COALESCE(data::jsonb -> 'clients', '[]'::jsonb) || jsonb_build_array($2::text))::text \
             WHERE key = $1 AND NOT COALESCE((data::jsonb -> 'clients') @> jsonb_build_array($2::text), false)",
        )
        .bind(key)
        .bind(client_id)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> StoreResult<Option<Session>> {
        if !storable(key) {
            return Ok(None);
        }
        let data: Option<String> = sqlx::query_scalar("DELETE FROM sessions WHERE key = $1 RETURNING data")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        data.as_deref().map(from_json).transpose()
    }

    async fn of_user(&self, user_id: &str, now: Timestamp) -> StoreResult<Vec<Session>> {
        if !storable(user_id) {
            return Ok(Vec::new());
        }
        // No index: an operator's command, not a request's path.
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT data FROM sessions WHERE expires_at > $1 AND data::jsonb -> 'authn' ->> 'user_id' = $2",
        )
        .bind(now)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(|data| from_json(data)).collect()
    }
}
