//! What each person has agreed to release to each client, as an array of scopes.

use async_trait::async_trait;

use super::{PostgresStore, db_error, storable};
use crate::clock::Timestamp;
use crate::store::{ConsentStore, StoreResult};

#[async_trait]
impl ConsentStore for PostgresStore {
    async fn get(&self, user_id: &str, client_id: &str) -> StoreResult<Option<Vec<String>>> {
        if !storable(user_id) || !storable(client_id) {
            return Ok(None);
        }
        let scopes: Option<Vec<String>> =
            sqlx::query_scalar("SELECT scopes FROM consents WHERE user_id = $1 AND client_id = $2")
                .bind(user_id)
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        Ok(scopes.map(normalized))
    }

    async fn grant(&self, user_id: &str, client_id: &str, scopes: &[String], now: Timestamp) -> StoreResult<()> {
        // The union is computed by the statement itself, on the row as the last writer left it,
        // so two consents given at once for the same client cannot overwrite each other's scopes.
        sqlx::query(
            "INSERT INTO consents (user_id, client_id, scopes, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, client_id) DO UPDATE SET \
                 scopes = ARRAY(SELECT DISTINCT s FROM unnest(consents.scopes || excluded.scopes) AS s), \
                 updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(client_id)
        .bind(normalized(scopes.to_vec()))
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn revoke(&self, user_id: &str, client_id: &str) -> StoreResult<()> {
        if !storable(user_id) || !storable(client_id) {
            return Ok(());
        }
        sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user_id)
            .bind(client_id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn clients_of(&self, user_id: &str) -> StoreResult<Vec<String>> {
        if !storable(user_id) {
            return Ok(Vec::new());
        }
        let mut clients: Vec<String> = sqlx::query_scalar("SELECT client_id FROM consents WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        clients.sort_unstable();
        Ok(clients)
    }

    async fn revoke_all(&self, user_id: &str) -> StoreResult<Vec<String>> {
        if !storable(user_id) {
            return Ok(Vec::new());
        }
        let mut clients: Vec<String> =
            sqlx::query_scalar("DELETE FROM consents WHERE user_id = $1 RETURNING client_id")
                .bind(user_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        clients.sort_unstable();
        Ok(clients)
    }
}

/// Sorted (by bytes, not by the database's collation) and without repeats.
fn normalized(mut scopes: Vec<String>) -> Vec<String> {
    scopes.sort_unstable();
    scopes.dedup();
    scopes
}
