//! Keys that may be used only once (a client assertion's `jti`, say) until they expire.

use async_trait::async_trait;

use super::{PostgresStore, db_error, opaque_key};
use crate::clock::Timestamp;
use crate::store::{ReplayStore, StoreResult};

#[async_trait]
impl ReplayStore for PostgresStore {
    async fn remember(&self, key: &str, expires_at: Timestamp, now: Timestamp) -> StoreResult<bool> {
        // An expired entry may still be there until the next purge; it is taken over in the same
        // statement, so no row change means a live entry was already there. Two nodes inserting
        // the same new key at once: the second waits on the first's insert and then sees a live
        // entry.
        let done = sqlx::query(
            "INSERT INTO replay (key, expires_at) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay.expires_at <= $3",
        )
        .bind(opaque_key(key).as_ref())
        .bind(expires_at)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }
}
