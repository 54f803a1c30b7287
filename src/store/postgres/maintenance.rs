//! Health checks and the removal of expired rows, which nothing else deletes.

use async_trait::async_trait;

use super::{PostgresStore, db_error};
use crate::clock::Timestamp;
use crate::store::{Maintenance, OUTBOX_RETENTION, StoreResult};

#[async_trait]
impl Maintenance for PostgresStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_error)?;
        Ok(())
    }

    async fn purge_expired(&self, now: Timestamp) -> StoreResult<u64> {
        // One table at a time rather than one transaction, so a long purge never holds many
        // locks for long; each delete is complete on its own. Every node purges every minute:
        // two purges at once just find less to delete.
        let mut purged = 0;
        for statement in [
            "DELETE FROM sessions WHERE expires_at <= $1",
            "DELETE FROM interactions WHERE expires_at <= $1",
            "DELETE FROM codes WHERE expires_at <= $1",
            "DELETE FROM access_tokens WHERE expires_at <= $1",
            "DELETE FROM refresh_tokens WHERE expires_at <= $1",
            "DELETE FROM replay WHERE expires_at <= $1",
            "DELETE FROM counters WHERE expires_at <= $1",
            "DELETE FROM meg_pairings WHERE expires_at <= $1",
            "DELETE FROM backoffice_sessions WHERE expires_at <= $1",
        ] {
            purged += sqlx::query(statement).bind(now).execute(&self.pool).await.map_err(db_error)?.rows_affected();
        }
        let read_by = now - OUTBOX_RETENTION;
        purged += sqlx::query("DELETE FROM outbox WHERE created_at <= $1")
            .bind(read_by)
            .execute(&self.pool)
            .await
            .map_err(db_error)?
            .rows_affected();
        Ok(purged)
    }
}
