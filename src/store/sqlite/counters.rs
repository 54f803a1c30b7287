//! Fixed-window counters (the limits on password guessing), counted atomically in one statement.

use async_trait::async_trait;
use rusqlite::OptionalExtension;

use super::SqliteStore;
use crate::clock::Timestamp;
use crate::store::{CounterStore, StoreError, StoreResult, Tally};

#[async_trait]
impl CounterStore for SqliteStore {
    async fn increment(&self, key: &str, window_ends_at: Timestamp, now: Timestamp) -> StoreResult<u32> {
        // A window that has ended starts again at one, in the same statement.
        let count: Option<i64> = self
            .write_optional(
                "INSERT INTO counters (key, count, expires_at) VALUES (?1, 1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET \
                     count = CASE WHEN counters.expires_at <= ?3 THEN 1 ELSE counters.count + 1 END, \
                     expires_at = CASE WHEN counters.expires_at <= ?3 THEN excluded.expires_at \
                                       ELSE counters.expires_at END \
                 RETURNING count",
                (key, window_ends_at, now),
            )
            .await?;
        let count = count.ok_or_else(|| StoreError::Corrupt(format!("counter {key} returned no count")))?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn count(&self, key: &str, now: Timestamp) -> StoreResult<u32> {
        let count: Option<i64> =
            self.optional("SELECT count FROM counters WHERE key = ? AND expires_at > ?", (key, now)).await?;
        Ok(count.map(|c| u32::try_from(c).unwrap_or(u32::MAX)).unwrap_or(0))
    }

    async fn reset(&self, key: &str) -> StoreResult<()> {
        self.execute("DELETE FROM counters WHERE key = ?", (key,)).await?;
        Ok(())
    }

    async fn tally(&self, key: &str, window_ends_at: Timestamp, now: Timestamp) -> StoreResult<Tally> {
        let row: Option<(i64, i64)> = self
            .write_statement(|db| {
                db.prepare_cached(
                    "INSERT INTO counters (key, count, expires_at) VALUES (?1, 1, ?2) \
                     ON CONFLICT (key) DO UPDATE SET \
                         count = CASE WHEN counters.expires_at <= ?3 THEN 1 ELSE counters.count + 1 END, \
                         expires_at = CASE WHEN counters.expires_at <= ?3 THEN excluded.expires_at \
                                           ELSE counters.expires_at END \
                     RETURNING count, expires_at",
                )?
                .query_row((key, window_ends_at, now), |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
            })
            .await?;
        let (count, ends_at) = row.ok_or_else(|| StoreError::Corrupt(format!("counter {key} returned no count")))?;
        Ok(Tally { count: u32::try_from(count).unwrap_or(u32::MAX), ends_at })
    }

    async fn peek(&self, key: &str, now: Timestamp) -> StoreResult<Option<Tally>> {
        let row: Option<(i64, i64)> = self
            .read(|db| {
                db.prepare_cached("SELECT count, expires_at FROM counters WHERE key = ? AND expires_at > ?")?
                    .query_row((key, now), |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .await?;
        Ok(row.map(|(count, ends_at)| Tally { count: u32::try_from(count).unwrap_or(u32::MAX), ends_at }))
    }
}
#[cfg(test)]
mod tests {
    use super::super::fixtures::NOW;
    use super::*;

    #[tokio::test]
    async fn counts_within_a_window_and_starts_again_after_it() {
        let store = SqliteStore::memory().await.unwrap();
        assert_eq!(store.increment("k", NOW + 60, NOW).await.unwrap(), 1);
        assert_eq!(store.increment("k", NOW + 90, NOW + 10).await.unwrap(), 2);
        assert_eq!(store.count("k", NOW + 59).await.unwrap(), 2);
        assert_eq!(store.count("k", NOW + 60).await.unwrap(), 0);
        assert_eq!(store.increment("k", NOW + 120, NOW + 60).await.unwrap(), 1);
        store.reset("k").await.unwrap();
        assert_eq!(store.count("k", NOW + 61).await.unwrap(), 0);
    }
}
