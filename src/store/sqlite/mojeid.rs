//! mojeID accounts and the data-box simulator: each record whole as JSON, next to the columns
//! its lookups use.

use async_trait::async_trait;

use super::{SqliteStore, from_json, to_json};
use crate::clock::Timestamp;
use crate::model::{DataBox, DataBoxMessage, MojeidAccount};
use crate::store::{DataBoxStore, MojeidAccountStore, StoreResult};

impl SqliteStore {
    /// The records `sql` finds by `value`, in the order it gives.
    async fn records(&self, sql: &'static str, value: String) -> StoreResult<Vec<String>> {
        self.read(|db| db.prepare_cached(sql)?.query_map((value.as_str(),), |row| row.get(0))?.collect()).await
    }
}

#[async_trait]
impl MojeidAccountStore for SqliteStore {
    async fn get(&self, user_id: &str) -> StoreResult<Option<MojeidAccount>> {
        let row: Option<String> =
            self.optional("SELECT record FROM mojeid_accounts WHERE user_id = ?", (user_id.to_owned(),)).await?;
        row.as_deref().map(from_json).transpose()
    }

    async fn put(&self, account: &MojeidAccount) -> StoreResult<()> {
        self.execute(
            "INSERT INTO mojeid_accounts (user_id, record, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT (user_id) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at",
            (account.user_id.clone(), to_json(account)?, account.updated_at),
        )
        .await?;
        Ok(())
    }
}

#[async_trait]
impl DataBoxStore for SqliteStore {
    async fn insert(&self, data_box: &DataBox) -> StoreResult<()> {
        self.execute(
            "INSERT INTO data_boxes (id, kind, record, created_at) VALUES (?, ?, ?, ?)",
            (data_box.id.clone(), data_box.kind.code(), to_json(data_box)?, data_box.created_at),
        )
        .await?;
        Ok(())
    }

    async fn get(&self, id: &str) -> StoreResult<Option<DataBox>> {
        let row: Option<String> = self.optional("SELECT record FROM data_boxes WHERE id = ?", (id.to_owned(),)).await?;
        row.as_deref().map(from_json).transpose()
    }

    async fn list(&self) -> StoreResult<Vec<DataBox>> {
        let rows: Vec<String> = self
            .read(|db| {
                db.prepare_cached("SELECT record FROM data_boxes ORDER BY id")?
                    .query_map([], |row| row.get(0))?
                    .collect()
            })
            .await?;
        rows.iter().map(|r| from_json(r)).collect()
    }

    async fn send(&self, message: &DataBoxMessage) -> StoreResult<()> {
        self.execute(
            "INSERT INTO data_box_messages (id, sender, recipient, record, sent_at, processed_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
            (
                message.id.clone(),
                message.sender.clone(),
                message.recipient.clone(),
                to_json(message)?,
                message.sent_at,
                message.processed_at,
            ),
        )
        .await?;
        Ok(())
    }

    async fn message(&self, id: &str) -> StoreResult<Option<DataBoxMessage>> {
        let row: Option<String> =
            self.optional("SELECT record FROM data_box_messages WHERE id = ?", (id.to_owned(),)).await?;
        row.as_deref().map(from_json).transpose()
    }

    async fn inbox(&self, recipient: &str) -> StoreResult<Vec<DataBoxMessage>> {
        let rows = self
            .records(
                "SELECT record FROM data_box_messages WHERE recipient = ?1 ORDER BY sent_at DESC, id DESC",
                recipient.to_owned(),
            )
            .await?;
        rows.iter().map(|r| from_json(r)).collect()
    }

    async fn mark_processed(&self, id: &str, at: Timestamp) -> StoreResult<bool> {
        // The record's copy of `processed_at` is set in the same statement as the column.
        let changed = self
            .execute(
                "UPDATE data_box_messages SET processed_at = ?2, \
                 record = json_set(record, '$.processed_at', ?2) \
                 WHERE id = ?1 AND processed_at IS NULL",
                (id.to_owned(), at),
            )
            .await?;
        Ok(changed > 0)
    }
}
