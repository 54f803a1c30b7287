//! The outbox: messages a developer reads instead of a person receiving them.

use async_trait::async_trait;

use super::{PostgresStore, db_error, from_json, storable, to_json};
use crate::model::Message;
use crate::store::{OutboxStore, StoreResult};

#[async_trait]
impl OutboxStore for PostgresStore {
    async fn push(&self, message: &Message) -> StoreResult<()> {
        sqlx::query("INSERT INTO outbox (id, channel, recipient, data, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&message.id)
            .bind(message.channel.as_str())
            .bind(&message.to)
            .bind(to_json(message)?)
            .bind(message.created_at)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn recent(&self, to: Option<&str>, limit: usize) -> StoreResult<Vec<Message>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let query = match to {
            Some(to) if !storable(to) => return Ok(Vec::new()),
            Some(to) => sqlx::query_scalar(
                "SELECT data FROM outbox WHERE recipient = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
            )
            .bind(to)
            .bind(limit),
            None => {
                sqlx::query_scalar("SELECT data FROM outbox ORDER BY created_at DESC, id DESC LIMIT $1").bind(limit)
            }
        };
        let rows: Vec<String> = query.fetch_all(&self.pool).await.map_err(db_error)?;
        rows.iter().map(|data| from_json(data)).collect()
    }
}
