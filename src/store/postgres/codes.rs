//! Authorization codes. A code is marked used rather than deleted when redeemed, so that a second
//! redemption is recognized as a replay (and the caller can revoke what the first one issued).

use async_trait::async_trait;

use super::{PostgresStore, db_error, from_json, storable, to_json};
use crate::clock::Timestamp;
use crate::model::AuthCode;
use crate::store::{CodeExchange, CodeStore, IssueFor, Redemption, StoreResult, redeem_then_issue};

/// One step after the other, as with codes in Redis: the conditional UPDATE decides a race, and
/// a replay revokes what the first redemption issued.
#[async_trait]
impl CodeExchange for PostgresStore {
    async fn redeem_and_issue(&self, digest: &str, now: Timestamp, issue: &IssueFor<'_>) -> StoreResult<Redemption> {
        redeem_then_issue(self, self, digest, now, issue).await
    }
}

#[async_trait]
impl CodeStore for PostgresStore {
    async fn insert(&self, code: &AuthCode) -> StoreResult<()> {
        sqlx::query("INSERT INTO codes (digest, grant_id, data, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(&code.digest)
            .bind(&code.grant.grant_id)
            .bind(to_json(code)?)
            .bind(code.expires_at)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn peek(&self, digest: &str, now: Timestamp) -> StoreResult<Option<AuthCode>> {
        if !storable(digest) {
            return Ok(None);
        }
        let data: Option<String> =
            sqlx::query_scalar("SELECT data FROM codes WHERE digest = $1 AND (used_at IS NOT NULL OR expires_at > $2)")
                .bind(digest)
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        data.as_deref().map(from_json).transpose()
    }

    async fn redeem(&self, digest: &str, now: Timestamp) -> StoreResult<Redemption> {
        if !storable(digest) {
            return Ok(Redemption::Unknown);
        }
        // The conditional UPDATE is what decides a race: a second redemption blocks on the first's
        // row lock, then finds `used_at` set and changes nothing.
        let fresh: Option<String> = sqlx::query_scalar(
            "UPDATE codes SET used_at = $1 WHERE digest = $2 AND used_at IS NULL AND expires_at > $1 RETURNING data",
        )
        .bind(now)
        .bind(digest)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        if let Some(data) = fresh {
            return Ok(Redemption::Fresh(from_json(&data)?));
        }
        // A used code stays a replay even after it expires; an expired unused one is just gone.
        let used: Option<String> = sqlx::query_scalar(
            "UPDATE codes SET replayed = TRUE WHERE digest = $1 AND used_at IS NOT NULL RETURNING data",
        )
        .bind(digest)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        match used {
            Some(data) => Ok(Redemption::Replayed(from_json(&data)?)),
            None => Ok(Redemption::Unknown),
        }
    }

    async fn replayed(&self, digest: &str) -> StoreResult<bool> {
        if !storable(digest) {
            return Ok(false);
        }
        let replayed: Option<bool> = sqlx::query_scalar("SELECT replayed FROM codes WHERE digest = $1")
            .bind(digest)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(replayed.unwrap_or(false))
    }
}
