//! Accounts: the profile as JSON, the password hash in its own column (a `User` never
//! serializes it), and the username unique so that two accounts cannot share a login name.

use async_trait::async_trait;

use super::{SqliteStore, db_error, from_json, to_json};
use crate::identity::User;
use crate::store::{StoreResult, UserStore};

type UserRow = (String, String, String, String, i64, i64, bool);

fn user_from_row(
    (id, username, password_hash, profile, updated_at, created_at, disabled): UserRow,
) -> StoreResult<User> {
    Ok(User { id, username, password_hash, profile: from_json(&profile)?, updated_at, created_at, disabled })
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn get(&self, id: &str) -> StoreResult<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, username, password_hash, profile, updated_at, created_at, disabled FROM users WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(user_from_row).transpose()
    }

    async fn find_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        let row: Option<UserRow> =
            sqlx::query_as(
"SELECT id, username, password_hash, profile, updated_at, created_at, disabled FROM users WHERE username = ?")
                .bind(username)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        row.map(user_from_row).transpose()
    }

    async fn list(&self) -> StoreResult<Vec<User>> {
        let rows: Vec<UserRow> =
            sqlx::query_as(
"SELECT id, username, password_hash, profile, updated_at, created_at, disabled FROM users ORDER BY username")
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        rows.into_iter().map(user_from_row).collect()
    }

    async fn insert(&self, user: &User) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO users (id, username, password_hash, profile, updated_at, created_at, disabled) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
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
            "UPDATE users SET username = ?, password_hash = ?, profile = ?, updated_at = ?, created_at = ?, \
             disabled = ? WHERE id = ?",
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
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::user;
    use super::*;
    use crate::store::StoreError;

    #[tokio::test]
    async fn a_taken_id_or_username_conflicts() {
        let store = SqliteStore::memory().await.unwrap();
        store.insert(&user("u1", "jana")).await.unwrap();
        assert!(matches!(store.insert(&user("u2", "jana")).await, Err(StoreError::Conflict(_))));
        assert!(matches!(store.insert(&user("u1", "petr")).await, Err(StoreError::Conflict(_))));
        assert_eq!(UserStore::list(&store).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn the_password_hash_round_trips() {
        let store = SqliteStore::memory().await.unwrap();
        let jana = user("u1", "jana");
        store.insert(&jana).await.unwrap();
        assert_eq!(UserStore::get(&store, "u1").await.unwrap(), Some(jana.clone()));
        assert_eq!(store.find_by_username("jana").await.unwrap(), Some(jana));
        assert_eq!(store.find_by_username("petr").await.unwrap(), None);
    }

    #[tokio::test]
    async fn update_replaces_and_keeps_usernames_unique() {
        let store = SqliteStore::memory().await.unwrap();
        store.insert(&user("u1", "jana")).await.unwrap();
        store.insert(&user("u2", "petr")).await.unwrap();

        let mut jana = user("u1", "jana");
        jana.disabled = true;
        jana.profile.family_name = Some("Nováková".into());
        assert!(store.update(&jana).await.unwrap());
        assert_eq!(UserStore::get(&store, "u1").await.unwrap(), Some(jana));

        assert!(matches!(store.update(&user("u1", "petr")).await, Err(StoreError::Conflict(_))));
        assert!(!store.update(&user("u3", "eva")).await.unwrap());
    }
}
