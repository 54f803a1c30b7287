//! Access and refresh tokens, by digest. Next to the record each row keeps the grant and the SSO
//! session it came from and whether it is offline, so revocation is one `DELETE` per table.

use async_trait::async_trait;

use super::{PostgresStore, db_error, from_json, is_offline, storable, to_json};
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

const INSERT_ACCESS: &str = "INSERT INTO access_tokens (digest, grant_id, sid, offline, data, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";

const INSERT_REFRESH: &str = "INSERT INTO refresh_tokens (digest, grant_id, sid, offline, data, expires_at, used_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

fn insert_access(
    token: &AccessToken,
) -> StoreResult<sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>> {
    Ok(sqlx::query(INSERT_ACCESS)
        .bind(&token.digest)
        .bind(&token.grant.grant_id)
        .bind(&token.grant.sid)
        .bind(is_offline(&token.grant.scopes))
        .bind(to_json(token)?)
        .bind(token.expires_at))
}

fn insert_refresh(
    token: &RefreshToken,
) -> StoreResult<sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>> {
    Ok(sqlx::query(INSERT_REFRESH)
        .bind(&token.digest)
        .bind(&token.grant.grant_id)
        .bind(&token.grant.sid)
        .bind(is_offline(&token.grant.scopes))
        .bind(to_json(token)?)
        .bind(token.expires_at)
        .bind(token.used_at))
}

#[async_trait]
impl TokenStore for PostgresStore {
    async fn insert_access(&self, token: &AccessToken) -> StoreResult<()> {
        insert_access(token)?.execute(&self.pool).await.map_err(db_error)?;
        Ok(())
    }

    async fn get_access(&self, digest: &str, now: Timestamp) -> StoreResult<Option<AccessToken>> {
        if !storable(digest) {
            return Ok(None);
        }
        let data: Option<String> =
            sqlx::query_scalar("SELECT data FROM access_tokens WHERE digest = $1 AND expires_at > $2")
                .bind(digest)
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        data.as_deref().map(from_json).transpose()
    }

    async fn delete_access(&self, digest: &str) -> StoreResult<bool> {
        if !storable(digest) {
            return Ok(false);
        }
        let done = sqlx::query("DELETE FROM access_tokens WHERE digest = $1")
            .bind(digest)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn insert_refresh(&self, token: &RefreshToken) -> StoreResult<()> {
        insert_refresh(token)?.execute(&self.pool).await.map_err(db_error)?;
        Ok(())
    }

    async fn get_refresh(&self, digest: &str, now: Timestamp) -> StoreResult<Option<RefreshToken>> {
        if !storable(digest) {
            return Ok(None);
        }
        let row: Option<RefreshRow> =
            sqlx::query_as("SELECT data, used_at, successor FROM refresh_tokens WHERE digest = $1 AND expires_at > $2")
                .bind(digest)
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        row.map(refresh_from_row).transpose()
    }

    async fn rotate_refresh(&self, digest: &str, now: Timestamp, rotation: &Rotation) -> StoreResult<RefreshUse> {
        if !storable(digest) {
            return Ok(RefreshUse::Unknown);
        }
        // One transaction: the old token is spent and the new pair stored, or neither. As with
        // codes, the conditional UPDATE decides a race: a second rotation blocks on the first's
        // row lock, then finds `used_at` set, changes nothing, and sees the first's successor.
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let fresh: Option<RefreshRow> = sqlx::query_as(
            "UPDATE refresh_tokens SET used_at = $1, successor = $2 \
             WHERE digest = $3 AND used_at IS NULL AND expires_at > $1 RETURNING data, used_at, successor",
        )
        .bind(now)
        .bind(&rotation.successor)
        .bind(digest)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let Some(row) = fresh else {
            tx.rollback().await.map_err(db_error)?;
            return match self.get_refresh(digest, now).await? {
                Some(token) if token.used_at.is_some() => Ok(RefreshUse::Reused(token)),
                _ => Ok(RefreshUse::Unknown),
            };
        };
        insert_access(&rotation.access)?.execute(&mut *tx).await.map_err(db_error)?;
        insert_refresh(&rotation.refresh)?.execute(&mut *tx).await.map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(RefreshUse::Fresh(refresh_from_row(row)?))
    }

    async fn delete_refresh(&self, digest: &str) -> StoreResult<bool> {
        if !storable(digest) {
            return Ok(false);
        }
        let done = sqlx::query("DELETE FROM refresh_tokens WHERE digest = $1")
            .bind(digest)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn revoke_grant(&self, grant_id: &str) -> StoreResult<()> {
        if !storable(grant_id) {
            return Ok(());
        }
        // Both tables in one transaction: nobody sees the access tokens gone but the refresh
        // tokens still usable.
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        sqlx::query("DELETE FROM access_tokens WHERE grant_id = $1")
            .bind(grant_id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query("DELETE FROM refresh_tokens WHERE grant_id = $1")
            .bind(grant_id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    async fn revoke_session(&self, sid: &str) -> StoreResult<()> {
        if !storable(sid) {
            return Ok(());
        }
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        sqlx::query("DELETE FROM access_tokens WHERE sid = $1 AND NOT offline")
            .bind(sid)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query("DELETE FROM refresh_tokens WHERE sid = $1 AND NOT offline")
            .bind(sid)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    async fn revoke_user(&self, user_id: &str) -> StoreResult<u64> {
        if !storable(user_id) {
            return Ok(0);
        }
        // Both tables in one transaction; no index: an operator's command, not a request's path.
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let access =
            sqlx::query("DELETE FROM access_tokens WHERE data::jsonb -> 'grant' -> 'authn' ->> 'user_id' = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        let refresh =
            sqlx::query("DELETE FROM refresh_tokens WHERE data::jsonb -> 'grant' -> 'authn' ->> 'user_id' = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(access.rows_affected() + refresh.rows_affected())
    }
}
