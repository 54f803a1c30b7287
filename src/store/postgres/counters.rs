//! Fixed-window counters (the limits on password guessing), counted atomically in one statement.

use async_trait::async_trait;

use super::{PostgresStore, db_error, opaque_key};
use crate::clock::Timestamp;
use crate::store::{CounterStore, StoreResult, Tally};

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

    async fn tally(&self, key: &str, window_ends_at: Timestamp, now: Timestamp) -> StoreResult<Tally> {
        let (count, ends_at): (i64, i64) = sqlx::query_as(
            "INSERT INTO counters (key, count, expires_at) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
                 count = CASE WHEN counters.expires_at <= $3 THEN 1 ELSE counters.count + 1 END, \
                 expires_at = CASE WHEN counters.expires_at <= $3 THEN excluded.expires_at ELSE counters.expires_at END \
             RETURNING count, expires_at",
        )
        .bind(opaque_key(key).as_ref())
        .bind(window_ends_at)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(Tally { count: u32::try_from(count).unwrap_or(u32::MAX), ends_at })
    }

    async fn peek(&self, key: &str, now: Timestamp) -> StoreResult<Option<Tally>> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT count, expires_at FROM counters WHERE key = $1 AND expires_at > $2")
                .bind(opaque_key(key).as_ref())
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        Ok(row.map(|(count, ends_at)| Tally { count: u32::try_from(count).unwrap_or(u32::MAX), ends_at }))
    }
}
