//! mojeID accounts and the data-box simulator: each record whole as JSON, next to the columns
//! its lookups use.

use async_trait::async_trait;

use super::{PostgresStore, db_error, from_json, storable, to_json};
use crate::clock::Timestamp;
use crate::model::{DataBox, DataBoxMessage, MojeidAccount};
use crate::store::{DataBoxStore, MojeidAccountStore, StoreResult};

impl PostgresStore {
    /// The record `sql` finds by `key`, if any.
    async fn record_by<T: serde::de::DeserializeOwned>(&self, sql: &'static str, key: &str) -> StoreResult<Option<T>> {
        if !storable(key) {
            return Ok(None);
        }
        let row: Option<(String,)> =
            sqlx::query_as(sql).bind(key).fetch_optional(&self.pool).await.map_err(db_error)?;
        row.map(|(r,)| from_json(&r)).transpose()
    }
}

#[async_trait]
impl MojeidAccountStore for PostgresStore {
    async fn get(&self, user_id: &str) -> StoreResult<Option<MojeidAccount>> {
        self.record_by("SELECT record FROM mojeid_accounts WHERE user_id = $1", user_id).await
    }

    async fn put(&self, account: &MojeidAccount) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO mojeid_accounts (user_id, record, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at",
        )
        .bind(&account.user_id)
        .bind(to_json(account)?)
        .bind(account.updated_at)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }
}

#[async_trait]
impl DataBoxStore for PostgresStore {
    async fn insert(&self, data_box: &DataBox) -> StoreResult<()> {
        sqlx::query("INSERT INTO data_boxes (id, kind, record, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&data_box.id)
            .bind(data_box.kind.code())
            .bind(to_json(data_box)?)
            .bind(data_box.created_at)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn get(&self, id: &str) -> StoreResult<Option<DataBox>> {
        self.record_by("SELECT record FROM data_boxes WHERE id = $1", id).await
    }

    async fn list(&self) -> StoreResult<Vec<DataBox>> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT record FROM data_boxes ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter().map(|(r,)| from_json(r)).collect()
    }

    async fn send(&self, message: &DataBoxMessage) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO data_box_messages (id, sender, recipient, record, sent_at, processed_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&message.id)
        .bind(&message.sender)
        .bind(&message.recipient)
        .bind(to_json(message)?)
        .bind(message.sent_at)
        .bind(message.processed_at)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn message(&self, id: &str) -> StoreResult<Option<DataBoxMessage>> {
        self.record_by("SELECT record FROM data_box_messages WHERE id = $1", id).await
    }

    async fn inbox(&self, recipient: &str) -> StoreResult<Vec<DataBoxMessage>> {
        if !storable(recipient) {
            return Ok(Vec::new());
        }
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT record FROM data_box_messages WHERE recipient = $1 ORDER BY sent_at DESC, id DESC")
                .bind(recipient)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        rows.iter().map(|(r,)| from_json(r)).collect()
    }

    async fn mark_processed(&self, id: &str, at: Timestamp) -> StoreResult<bool> {
        if !storable(id) {
            return Ok(false);
        }
        // The record's copy of `processed_at` is set in the same statement as the column.
        let done = sqlx::query(
            "UPDATE data_box_messages SET processed_at = $2, \
             record = jsonb_set(record::jsonb, '{processed_at}', to_jsonb($2))::text \
             WHERE id = $1 AND processed_at IS NULL",
        )
        .bind(id)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }
}
