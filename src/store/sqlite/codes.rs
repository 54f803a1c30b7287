//! Authorization codes. A code is marked used rather than deleted when redeemed, so that a second
//! redemption is recognized as a replay (and the caller can revoke what the first one issued).

use async_trait::async_trait;

use rusqlite::OptionalExtension;
use rusqlite::types::Type;

use super::{SqliteStore, from_json, to_json, tokens};
use crate::clock::Timestamp;
use crate::model::AuthCode;
use crate::store::{CodeExchange, CodeStore, IssueFor, Redemption, StoreError, StoreResult};

/// The conditional UPDATE that decides a race: only one request can flip `used_at`.
const REDEEM: &str =
    "UPDATE codes SET used_at = ?1 WHERE digest = ?2 AND used_at IS NULL AND expires_at > ?1 RETURNING data";

#[async_trait]
impl CodeExchange for SqliteStore {
    /// One write, so one commit: the code is redeemed and what it issues stored in one savepoint,
    /// so that a code is never spent without its tokens stored, nor the other way round.
    async fn redeem_and_issue(&self, digest: &str, now: Timestamp, issue: &IssueFor<'_>) -> StoreResult<Redemption> {
        let fresh = self
            .write(|db| {
                let data: Option<String> =
                    db.prepare_cached(REDEEM)?.query_row((now, digest), |row| row.get(0)).optional()?;
                data.map(|data| issued_for(db, &data, issue)).transpose()
            })
            .await?;
        match fresh {
            Some(code) => Ok(Redemption::Fresh(code)),
            None => self.replay_or_unknown(digest).await,
        }
    }
}

impl SqliteStore {
    /// A code that was not fresh: a replay (marked as one) if it was used before, else unknown.
    /// A used code stays a replay even after it expires; an expired unused one is just gone.
    async fn replay_or_unknown(&self, digest: &str) -> StoreResult<Redemption> {
        let used: Option<String> = self
            .write_optional(
                "UPDATE codes SET replayed = 1 WHERE digest = ? AND used_at IS NOT NULL RETURNING data",
                (digest,),
            )
            .await?;
        match used {
            Some(data) => Ok(Redemption::Replayed(from_json(&data)?)),
            None => Ok(Redemption::Unknown),
        }
    }
}

/// Decodes the code being redeemed and stores what `issue` gives for it. A record that does not
/// decode or encode fails the write, which undoes the redemption too.
fn issued_for(db: &rusqlite::Connection, data: &str, issue: &IssueFor<'_>) -> rusqlite::Result<AuthCode> {
    let corrupt = |e: StoreError| rusqlite::Error::FromSqlConversionFailure(0, Type::Text, Box::new(e));
    let code: AuthCode = from_json(data).map_err(corrupt)?;
    if let Some(issued) = issue(&code) {
        tokens::insert_access(db, &issued.access, &to_json(&issued.access).map_err(corrupt)?)?;
        if let Some(refresh) = &issued.refresh {
            tokens::insert_refresh(db, refresh, &to_json(refresh).map_err(corrupt)?)?;
        }
    }
    Ok(code)
}

#[async_trait]
impl CodeStore for SqliteStore {
    async fn insert(&self, code: &AuthCode) -> StoreResult<()> {
        self.execute(
            "INSERT INTO codes (digest, grant_id, data, expires_at) VALUES (?, ?, ?, ?)",
            (&code.digest, &code.grant.grant_id, to_json(code)?, code.expires_at),
        )
        .await?;
        Ok(())
    }

    async fn peek(&self, digest: &str, now: Timestamp) -> StoreResult<Option<AuthCode>> {
        let data: Option<String> = self
            .optional(
                "SELECT data FROM codes WHERE digest = ?1 AND (used_at IS NOT NULL OR expires_at > ?2)",
                (digest, now),
            )
            .await?;
        data.as_deref().map(from_json).transpose()
    }

    async fn redeem(&self, digest: &str, now: Timestamp) -> StoreResult<Redemption> {
        let fresh: Option<String> = self.write_optional(REDEEM, (now, digest)).await?;
        if let Some(data) = fresh {
            return Ok(Redemption::Fresh(from_json(&data)?));
        }
        self.replay_or_unknown(digest).await
    }

    async fn replayed(&self, digest: &str) -> StoreResult<bool> {
        let replayed: Option<i64> = self.optional("SELECT replayed FROM codes WHERE digest = ?", (digest,)).await?;
        Ok(replayed.unwrap_or(0) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{NOW, grant};
    use super::*;

    fn code(digest: &str) -> AuthCode {
        AuthCode {
            digest: digest.into(),
            grant: grant("g1", Some("sid1"), &["openid"]),
            redirect_uri: "https://rp.example/cb".into(),
            code_challenge: Some("challenge".into()),
            code_challenge_method: Some("S256".into()),
            expires_at: NOW + 60,
        }
    }

    #[tokio::test]
    async fn a_code_redeemed_twice_is_replayed() {
        let store = SqliteStore::memory().await.unwrap();
        store.insert(&code("c1")).await.unwrap();
        assert_eq!(store.redeem("c1", NOW).await.unwrap(), Redemption::Fresh(code("c1")));
        assert!(!store.replayed("c1").await.unwrap());
        assert_eq!(store.redeem("c1", NOW + 1).await.unwrap(), Redemption::Replayed(code("c1")));
        assert!(store.replayed("c1").await.unwrap());
        // Still recognized after it would have expired, as long as it has not been purged.
        assert_eq!(store.redeem("c1", NOW + 3600).await.unwrap(), Redemption::Replayed(code("c1")));
    }

    #[tokio::test]
    async fn an_expired_or_missing_code_is_unknown() {
        let store = SqliteStore::memory().await.unwrap();
        store.insert(&code("c1")).await.unwrap();
        assert_eq!(store.redeem("c1", NOW + 60).await.unwrap(), Redemption::Unknown);
        assert_eq!(store.redeem("nope", NOW).await.unwrap(), Redemption::Unknown);
    }
}
