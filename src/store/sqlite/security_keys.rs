//! The security keys of mojeID + WebAuthn: each key whole as JSON, found by its credential id
//! or its account.

use async_trait::async_trait;
use rusqlite::OptionalExtension;

use super::{SqliteStore, from_json, to_json};
use crate::model::SecurityKeyRecord;
use crate::store::{SecurityKeyStore, StoreResult};

#[async_trait]
impl SecurityKeyStore for SqliteStore {
    async fn insert(&self, key: &SecurityKeyRecord) -> StoreResult<()> {
        self.execute(
            "INSERT INTO security_keys (credential_id, user_id, record, created_at) VALUES (?, ?, ?, ?)",
            (&key.credential_id, &key.user_id, to_json(key)?, key.created_at),
        )
        .await?;
        Ok(())
    }

    async fn get(&self, credential_id: &str) -> StoreResult<Option<SecurityKeyRecord>> {
        let row: Option<String> = self
            .read(|db| {
                db.prepare_cached("SELECT record FROM security_keys WHERE credential_id = ?")?
                    .query_row((credential_id,), |row| row.get(0))
                    .optional()
            })
            .await?;
        row.as_deref().map(from_json).transpose()
    }

    async fn of_user(&self, user_id: &str) -> StoreResult<Vec<SecurityKeyRecord>> {
        let rows: Vec<String> = self
            .read(|db| {
                db.prepare_cached(
                    "SELECT record FROM security_keys WHERE user_id = ? ORDER BY created_at, credential_id",
                )?
                .query_map((user_id,), |row| row.get(0))?
                .collect()
            })
            .await?;
        rows.iter().map(|r| from_json(r)).collect()
    }

    async fn update(&self, key: &SecurityKeyRecord) -> StoreResult<bool> {
        let changed = self
            .execute(
                "UPDATE security_keys SET record = ? WHERE credential_id = ? AND user_id = ?",
                (to_json(key)?, &key.credential_id, &key.user_id),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn delete(&self, user_id: &str, credential_id: &str) -> StoreResult<bool> {
        let changed = self
            .execute("DELETE FROM security_keys WHERE credential_id = ? AND user_id = ?", (credential_id, user_id))
            .await?;
        Ok(changed > 0)
    }
}
