//! Logins in progress, kept until they expire or finish.

use async_trait::async_trait;

use super::{PostgresStore, db_error, from_json, storable, to_json};
use crate::clock::Timestamp;
use crate::model::Interaction;
use crate::store::{InteractionStore, StoreResult};

#[async_trait]
impl InteractionStore for PostgresStore {
    async fn put(&self, interaction: &Interaction) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO interactions (id, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(&interaction.id)
        .bind(to_json(interaction)?)
        .bind(interaction.expires_at)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn get(&self, id: &str, now: Timestamp) -> StoreResult<Option<Interaction>> {
        if !storable(id) {
            return Ok(None);
        }
        let data: Option<String> =
            sqlx::query_scalar("SELECT data FROM interactions WHERE id = $1 AND expires_at > $2")
                .bind(id)
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        data.as_deref().map(from_json).transpose()
    }

    async fn delete(&self, id: &str) -> StoreResult<()> {
        if !storable(id) {
            return Ok(());
        }
        sqlx::query("DELETE FROM interactions WHERE id = $1").bind(id).execute(&self.pool).await.map_err(db_error)?;
        Ok(())
    }
}
