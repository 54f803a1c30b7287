//! The security keys of mojeID + WebAuthn: each key whole as JSON, found by its credential id
//! or its account.

use async_trait::async_trait;

use super::{PostgresStore, db_error, from_json, storable, to_json};
use crate::model::SecurityKeyRecord;
use crate::store::{SecurityKeyStore, StoreResult};

#[async_trait]
impl SecurityKeyStore for PostgresStore {
    async fn insert(&self, key: &SecurityKeyRecord) -> StoreResult<()> {
        sqlx::query("INSERT INTO security_keys (credential_id, user_id, record, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&key.credential_id)
            .bind(&key.user_id)
            .bind(to_json(key)?)
            .bind(key.created_at)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn get(&self, credential_id: &str) -> StoreResult<Option<SecurityKeyRecord>> {
        if !storable(credential_id) {
            return Ok(None);
        }
        let row: Option<(String,)> = sqlx::query_as("SELECT record FROM security_keys WHERE credential_id = $1")
            .bind(credential_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(|(r,)| from_json(&r)).transpose()
    }

    async fn of_user(&self, user_id: &str) -> StoreResult<Vec<SecurityKeyRecord>> {
        if !storable(user_id) {
            return Ok(Vec::new());
        }
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT record FROM security_keys WHERE user_id = $1 ORDER BY created_at, credential_id COLLATE \"C\"",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(|(r,)| from_json(r)).collect()
    }

    async fn update(&self, key: &SecurityKeyRecord) -> StoreResult<bool> {
        if !storable(&key.credential_id) || !storable(&key.user_id) {
            return Ok(false);
        }
        let done = sqlx::query("UPDATE security_keys SET record = $1 WHERE credential_id = $2 AND user_id = $3")
            .bind(to_json(key)?)
            .bind(&key.credential_id)
            .bind(&key.user_id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete(&self, user_id: &str, credential_id: &str) -> StoreResult<bool> {
        if !storable(credential_id) || !storable(user_id) {
            return Ok(false);
        }
        let done = sqlx::query("DELETE FROM security_keys WHERE credential_id = $1 AND user_id = $2")
            .bind(credential_id)
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }
}
