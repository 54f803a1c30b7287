//! Relying parties, stored whole as JSON under their `client_id`.

use async_trait::async_trait;

use super::{PostgresStore, db_error, from_json, storable, to_json};
use crate::model::Client;
use crate::store::{ClientStore, StoreResult};

#[async_trait]
impl ClientStore for PostgresStore {
    async fn get(&self, client_id: &str) -> StoreResult<Option<Client>> {
        if !storable(client_id) {
            return Ok(None);
        }
        let data: Option<String> = sqlx::query_scalar("SELECT data FROM clients WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        data.as_deref().map(from_json).transpose()
    }

    async fn list(&self) -> StoreResult<Vec<Client>> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT data FROM clients ORDER BY created_at, client_id COLLATE \"C\"")
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        rows.iter().map(|data| from_json(data)).collect()
    }

    async fn put(&self, client: &Client) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO clients (client_id, data, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (client_id) DO UPDATE SET data = excluded.data, created_at = excluded.created_at",
        )
        .bind(&client.client_id)
        .bind(to_json(client)?)
        .bind(client.created_at)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn insert(&self, client: &Client) -> StoreResult<()> {
        sqlx::query("INSERT INTO clients (client_id, data, created_at) VALUES ($1, $2, $3)")
            .bind(&client.client_id)
            .bind(to_json(client)?)
            .bind(client.created_at)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn delete(&self, client_id: &str) -> StoreResult<bool> {
        if !storable(client_id) {
            return Ok(false);
        }
        let done = sqlx::query("DELETE FROM clients WHERE client_id = $1")
            .bind(client_id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }
}
