//! Keys that may be used only once (a client assertion's `jti`, say) until they expire.

use async_trait::async_trait;

use super::SqliteStore;
use crate::clock::Timestamp;
use crate::store::{ReplayStore, StoreResult};

#[async_trait]
impl ReplayStore for SqliteStore {
    async fn remember(&self, key: &str, expires_at: Timestamp, now: Timestamp) -> StoreResult<bool> {
        // An expired entry may still be on disk until the next purge; it is taken over in the
        // same statement, so no row change means a live entry was already there.
        let changed = self
            .execute(
                "INSERT INTO replay (key, expires_at) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay.expires_at <= ?3",
                (key, expires_at, now),
            )
            .await?;
        Ok(changed > 0)
    }
}
#[cfg(test)]
mod tests {
    use super::super::fixtures::NOW;
    use super::*;

    #[tokio::test]
    async fn a_key_is_remembered_until_it_expires() {
        let store = SqliteStore::memory().await.unwrap();
        assert!(store.remember("jti-1", NOW + 60, NOW).await.unwrap());
        assert!(!store.remember("jti-1", NOW + 120, NOW + 30).await.unwrap());
        assert!(store.remember("jti-2", NOW + 60, NOW + 30).await.unwrap());
        // Once expired the key may be used again, and is then remembered anew.
        assert!(store.remember("jti-1", NOW + 120, NOW + 60).await.unwrap());
        assert!(!store.remember("jti-1", NOW + 180, NOW + 90).await.unwrap());
    }
}
