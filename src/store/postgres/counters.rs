//! Fixed-window counters (failed logins per account), counted atomically in one statement.

use async_trait::async_trait;

use super::{PostgresStore, db_error, opaque_key};
use crate::clock::Timestamp;
use crate::store::{CounterStore, StoreResult};

#[async_trait]
impl CounterStore for PostgresStore {
    async fn increment(&self, key: &str, window_ends_at: Timestamp, now: Timestamp) -> StoreResult<u32> {
        // A window that has ended starts again at one, in the same statement.
        let count: i64 = sqlx::query_scalar(
            "INSERT INTO counters (key, count, expires_at) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
                 count = CASE WHEN counters.expires_at <= $3 THEN 1 ELSE counters.count + 1 END, \
                 expires_at = CASE WHEN counters.expires_at <= $3 THEN excluded.expires_at ELSE counters.expires_at END \
             RETURNING count",
        )
        .bind(opaque_key(key).as_ref())
        .bind(window_ends_at)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn count(&self, key: &str, now: Timestamp) -> StoreResult<u32> {
        let count: Option<i64> = sqlx::query_scalar("SELECT count FROM counters WHERE key = $1 AND expires_at > $2")
            .bind(opaque_key(key).as_ref())
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(count.map(|c| u32::try_from(c).unwrap_or(u32::MAX)).unwrap_or(0))
    }

    async fn reset(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM counters WHERE key = $1")
            .bind(opaque_key(key).as_ref())
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
