//! Access and refresh tokens, by digest. Next to the record each row keeps the grant and the SSO
//! session it came from and whether it is offline, so revocation is one `DELETE` per table.

use async_trait::async_trait;

use rusqlite::{Connection, OptionalExtension};

use super::{SqliteStore, from_json, is_offline, to_json};
use crate::clock::Timestamp;
use crate::model::{AccessToken, RefreshToken};
use crate::store::{RefreshUse, Rotation, StoreResult, TokenStore};

/// A refresh token's row: its JSON record, `used_at` and `successor`.
type RefreshRow = (String, Option<Timestamp>, Option<String>);

/// The `used_at` and `successor` columns are the truth: the JSON holds the token as it was issued.
fn refresh_from_row((data, used_at, successor): RefreshRow) -> StoreResult<RefreshToken> {
    let mut token: RefreshToken = from_json(&data)?;
    token.used_at = used_at;
    token.successor = successor;
    Ok(token)
}

fn refresh_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RefreshRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

/// The conditional UPDATE that decides which of two racing rotations wins.
const ROTATE: &str = "UPDATE refresh_tokens SET used_at = ?1, successor = ?2 \
     WHERE digest = ?3 AND used_at IS NULL AND expires_at > ?1 RETURNING data, used_at, successor";

pub(super) fn insert_access(db: &Connection, token: &AccessToken, data: &str) -> rusqlite::Result<()> {
    db.prepare_cached(
        "INSERT INTO access_tokens (digest, grant_id, sid, offline, data, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
    )?
    .execute((
        &token.digest,
        &token.grant.grant_id,
        &token.grant.sid,
        is_offline(&token.grant.scopes),
        data,
        token.expires_at,
    ))?;
    Ok(())
}

pub(super) fn insert_refresh(db: &Connection, token: &RefreshToken, data: &str) -> rusqlite::Result<()> {
    db.prepare_cached(
        "INSERT INTO refresh_tokens (digest, grant_id, sid, offline, data, expires_at, used_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute((
        &token.digest,
        &token.grant.grant_id,
        &token.grant.sid,
        is_offline(&token.grant.scopes),
        data,
        token.expires_at,
        token.used_at,
    ))?;
    Ok(())
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn insert_access(&self, token: &AccessToken) -> StoreResult<()> {
        let data = to_json(token)?;
        self.write_statement(|db| insert_access(db, token, &data)).await
    }

    async fn get_access(&self, digest: &str, now: Timestamp) -> StoreResult<Option<AccessToken>> {
        let data: Option<String> =
            self.optional("SELECT data FROM access_tokens WHERE digest = ? AND expires_at > ?", (digest, now)).await?;
        data.as_deref().map(from_json).transpose()
    }

    async fn delete_access(&self, digest: &str) -> StoreResult<bool> {
        Ok(self.execute("DELETE FROM access_tokens WHERE digest = ?", (digest,)).await? > 0)
    }

    async fn insert_refresh(&self, token: &RefreshToken) -> StoreResult<()> {
        let data = to_json(token)?;
        self.write_statement(|db| insert_refresh(db, token, &data)).await
    }

    async fn insert_pair(&self, access: &AccessToken, refresh: &RefreshToken) -> StoreResult<()> {
        let (access_data, refresh_data) = (to_json(access)?, to_json(refresh)?);
        // One write: both or neither.
        self.write(|db| {
            insert_access(db, access, &access_data)?;
            insert_refresh(db, refresh, &refresh_data)
        })
        .await
    }

    async fn get_refresh(&self, digest: &str, now: Timestamp) -> StoreResult<Option<RefreshToken>> {
        let row = self
            .read(|db| {
                db.prepare_cached(
                    "SELECT data, used_at, successor FROM refresh_tokens WHERE digest = ? AND expires_at > ?",
                )?
                .query_row((digest, now), refresh_row)
                .optional()
            })
            .await?;
        row.map(refresh_from_row).transpose()
    }

    async fn rotate_refresh(&self, digest: &str, now: Timestamp, rotation: &Rotation) -> StoreResult<RefreshUse> {
        let (access_data, refresh_data) = (to_json(&rotation.access)?, to_json(&rotation.refresh)?);
        // One write: the old token is spent and the new pair stored, or neither.
        let fresh = self
            .write(|db| {
                let before =
                    db.prepare_cached(ROTATE)?.query_row((now, &rotation.successor, digest), refresh_row).optional()?;
                if before.is_some() {
                    insert_access(db, &rotation.access, &access_data)?;
                    insert_refresh(db, &rotation.refresh, &refresh_data)?;
                }
                Ok(before)
            })
            .await?;
        if let Some(row) = fresh {
            return Ok(RefreshUse::Fresh(refresh_from_row(row)?));
        }
        match self.get_refresh(digest, now).await? {
            Some(token) if token.used_at.is_some() => Ok(RefreshUse::Reused(token)),
            _ => Ok(RefreshUse::Unknown),
        }
    }

    async fn delete_refresh(&self, digest: &str) -> StoreResult<bool> {
        Ok(self.execute("DELETE FROM refresh_tokens WHERE digest = ?", (digest,)).await? > 0)
    }

    async fn revoke_grant(&self, grant_id: &str) -> StoreResult<()> {
        self.write(|db| {
            db.prepare_cached("DELETE FROM access_tokens WHERE grant_id = ?")?.execute((grant_id,))?;
            db.prepare_cached("DELETE FROM refresh_tokens WHERE grant_id = ?")?.execute((grant_id,))?;
            Ok(())
        })
        .await
    }

    async fn revoke_session(&self, sid: &str) -> StoreResult<()> {
        self.write(|db| {
            db.prepare_cached("DELETE FROM access_tokens WHERE sid = ? AND offline = 0")?.execute((sid,))?;
            db.prepare_cached("DELETE FROM refresh_tokens WHERE sid = ? AND offline = 0")?.execute((sid,))?;
            Ok(())
        })
        .await
    }

    async fn revoke_user(&self, user_id: &str) -> StoreResult<u64> {
        // No index: an operator's command, not a request's path.
        self.write(|db| {
            let access = db
                .prepare_cached("DELETE FROM access_tokens WHERE json_extract(data, '$.grant.authn.user_id') = ?")?
                .execute((user_id,))?;
            let refresh = db
                .prepare_cached("DELETE FROM refresh_tokens WHERE json_extract(data, '$.grant.authn.user_id') = ?")?
                .execute((user_id,))?;
            Ok(u64::try_from(access + refresh).unwrap_or(u64::MAX))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{NOW, grant};
    use super::*;

    fn access(digest: &str, grant_id: &str, sid: &str, scopes: &[&str]) -> AccessToken {
        AccessToken {
            digest: digest.into(),
            grant: grant(grant_id, Some(sid), scopes),
            issued_at: NOW,
            expires_at: NOW + 300,
        }
    }

    fn refresh(digest: &str, grant_id: &str, sid: &str, scopes: &[&str]) -> RefreshToken {
        RefreshToken {
            digest: digest.into(),
            grant: grant(grant_id, Some(sid), scopes),
            issued_at: NOW,
            expires_at: NOW + 3600,
            used_at: None,
            successor: None,
        }
    }

    #[tokio::test]
    async fn access_tokens_expire() {
        let store = SqliteStore::memory().await.unwrap();
        let token = access("a1", "g1", "sid1", &["openid"]);
        store.insert_access(&token).await.unwrap();
        assert_eq!(store.get_access("a1", NOW).await.unwrap(), Some(token));
        assert_eq!(store.get_access("a1", NOW + 300).await.unwrap(), None);
        assert!(store.delete_access("a1").await.unwrap());
        assert!(!store.delete_access("a1").await.unwrap());
    }

    #[tokio::test]
    async fn a_pair_is_written_whole_or_not_at_all() {
        let store = SqliteStore::memory().await.unwrap();
        store.insert_refresh(&refresh("r1", "g0", "sid1", &["openid"])).await.unwrap();
        // The refresh token's digest is taken: the access token written before it goes too.
        let (a1, r1) = (access("a1", "g1", "sid1", &["openid"]), refresh("r1", "g1", "sid1", &["openid"]));
        let err = store.insert_pair(&a1, &r1).await;
        assert!(matches!(err, Err(crate::store::StoreError::Conflict(_))));
        assert_eq!(store.get_access("a1", NOW).await.unwrap(), None);

        store
            .insert_pair(&access("a2", "g2", "sid1", &["openid"]), &refresh("r2", "g2", "sid1", &["openid"]))
            .await
            .unwrap();
        assert!(store.get_access("a2", NOW).await.unwrap().is_some());
        assert!(store.get_refresh("r2", NOW).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn revoking_a_grant_removes_both_kinds() {
        let store = SqliteStore::memory().await.unwrap();
        store.insert_access(&access("a1", "g1", "sid1", &["openid"])).await.unwrap();
        store.insert_refresh(&refresh("r1", "g1", "sid1", &["openid", "offline_access"])).await.unwrap();
        store.insert_access(&access("a2", "g2", "sid1", &["openid"])).await.unwrap();

        store.revoke_grant("g1").await.unwrap();
        assert_eq!(store.get_access("a1", NOW).await.unwrap(), None);
        assert_eq!(store.get_refresh("r1", NOW).await.unwrap(), None);
        assert!(store.get_access("a2", NOW).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn ending_a_session_keeps_offline_tokens() {
        let store = SqliteStore::memory().await.unwrap();
        store.insert_access(&access("a1", "g1", "sid1", &["openid"])).await.unwrap();
        store.insert_refresh(&refresh("r1", "g1", "sid1", &["openid"])).await.unwrap();
        store.insert_access(&access("a2", "g2", "sid1", &["openid", "offline_access"])).await.unwrap();
        store.insert_refresh(&refresh("r2", "g2", "sid1", &["openid", "offline_access"])).await.unwrap();
        store.insert_refresh(&refresh("r3", "g3", "sid2", &["openid"])).await.unwrap();

        store.revoke_session("sid1").await.unwrap();
        assert_eq!(store.get_access("a1", NOW).await.unwrap(), None);
        assert_eq!(store.get_refresh("r1", NOW).await.unwrap(), None);
        assert!(store.get_access("a2", NOW).await.unwrap().is_some());
        assert!(store.get_refresh("r2", NOW).await.unwrap().is_some());
        assert!(store.get_refresh("r3", NOW).await.unwrap().is_some());
    }
}
