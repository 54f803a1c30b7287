//! The outbox: messages a developer reads instead of a person receiving them.

use async_trait::async_trait;

use super::{SqliteStore, from_json, to_json};
use crate::model::Message;
use crate::store::{OutboxStore, StoreResult};

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn push(&self, message: &Message) -> StoreResult<()> {
        self.execute(
            "INSERT INTO outbox (id, channel, recipient, data, created_at) VALUES (?, ?, ?, ?, ?)",
            (&message.id, message.channel.as_str(), &message.to, to_json(message)?, message.created_at),
        )
        .await?;
        Ok(())
    }

    async fn recent(&self, to: Option<&str>, limit: usize) -> StoreResult<Vec<Message>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<String> = self
            .read(|db| match to {
                Some(to) => db
                    .prepare_cached(
                        "SELECT data FROM outbox WHERE recipient = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                    )?
                    .query_map((to, limit), |row| row.get(0))?
                    .collect(),
                None => db
                    .prepare_cached("SELECT data FROM outbox ORDER BY created_at DESC, id DESC LIMIT ?")?
                    .query_map((limit,), |row| row.get(0))?
                    .collect(),
            })
            .await?;
        rows.iter().map(|data| from_json(data)).collect()
    }
}
