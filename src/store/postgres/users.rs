//! Accounts: the profile as JSON, the password hash in its own column (a `User` never
//! serializes it), and the username unique so that two accounts cannot share a login name.

use async_trait::async_trait;

use super::{PostgresStore, db_error, from_json, storable, to_json};
use crate::model::User;
use crate::store::{StoreResult, UserStore};

type UserRow = (String, String, String, String, i64, i64, bool);

fn user_from_row(
    (id, username, password_hash, profile, updated_at, created_at, disabled): UserRow,
) -> StoreResult<User> {
    Ok(User { id, username, password_hash, profile: from_json(&profile)?, updated_at, created_at, disabled })
}

#[async_trait]
impl UserStore for PostgresStore {
    async fn get(&self, id: &str) -> StoreResult<Option<User>> {
        if !storable(id) {
            return Ok(None);
        }
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, username, password_hash, profile, updated_at, created_at, disabled FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(user_from_row).transpose()
    }

    async fn find_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        if !storable(username) {
            return Ok(None);
        }
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, username, password_hash, profile, updated_at, created_at, disabled FROM users \
             WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(user_from_row).transpose()
    }

    async fn list(&self) -> StoreResult<Vec<User>> {
        // Byte order, as SQLite sorts, whatever the database's collation.
        let rows: Vec<UserRow> = sqlx::query_as(
            "SELECT id, username, password_hash, profile, updated_at, created_at, disabled FROM users \
             ORDER BY username COLLATE \"C\"",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.into_iter().map(user_from_row).collect()
    }

    async fn insert(&self, user: &User) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO users (id, username, password_hash, profile, updated_at, created_at, disabled) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&user.id)
        .bind(&user.username)
        .bind(&user.password_hash)
        .bind(to_json(&user.profile)?)
        .bind(user.updated_at)
        .bind(user.created_at)
        .bind(user.disabled)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn update(&self, user: &User) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET username = $1, password_hash = $2, profile = $3, updated_at = $4, created_at = $5, \
             disabled = $6 WHERE id = $7",
        )
        .bind(&user.username)
        .bind(&user.password_hash)
        .bind(to_json(&user.profile)?)
        .bind(user.updated_at)
        .bind(user.created_at)
        .bind(user.disabled)
        .bind(&user.id)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete(&self, id: &str) -> StoreResult<bool> {
        if !storable(id) {
            return Ok(false);
        }
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        sqlx::query("DELETE FROM consents WHERE user_id = $1").bind(id).execute(&mut *tx).await.map_err(db_error)?;
        sqlx::query("DELETE FROM security_keys WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let done = sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }
}
