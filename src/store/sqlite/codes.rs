//! Authorization codes. A code is marked used rather than deleted when redeemed, so that a second
//! redemption is recognized as a replay (and the caller can revoke what the first one issued).

use async_trait::async_trait;

use super::{SqliteStore, from_json, to_json};
use crate::clock::Timestamp;
use crate::store::{AuthCode, CodeStore, Redemption, StoreResult};

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

    async fn redeem(&self, digest: &str, now: Timestamp) -> StoreResult<Redemption> {
        // The conditional UPDATE is what decides a race: only one request can flip `used_at`.
        let fresh: Option<String> = self
            .write_optional(
                "UPDATE codes SET used_at = ?1 WHERE digest = ?2 AND used_at IS NULL AND expires_at > ?1 RETURNING data",
                (now, digest),
            )
            .await?;
        if let Some(data) = fresh {
            return Ok(Redemption::Fresh(from_json(&data)?));
        }
        // A used code stays a replay even after it expires; an expired unused one is just gone.
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
