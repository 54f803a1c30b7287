//! Accounts: the profile as JSON, the password hash in its own column (a `User` never
//! serializes it), and the username unique so that two accounts cannot share a login name.

use async_trait::async_trait;

use rusqlite::OptionalExtension;

use super::{SqliteStore, from_json, to_json};
use crate::model::User;
use crate::store::{StoreResult, UserStore};

type UserRow = (String, String, String, String, i64, i64, bool);

/// The columns of a [`UserRow`], as a literal for `concat!`.
macro_rules! columns {
    () => {
        "id, username, password_hash, profile, updated_at, created_at, disabled"
    };
}

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?))
}

fn user_from_row(
    (id, username, password_hash, profile, updated_at, created_at, disabled): UserRow,
) -> StoreResult<User> {
    Ok(User { id, username, password_hash, profile: from_json(&profile)?, updated_at, created_at, disabled })
}

impl SqliteStore {
    /// The account `sql` finds by `value` (a unique column).
    async fn user_where(&self, sql: &'static str, value: &str) -> StoreResult<Option<User>> {
        let row = self.read(|db| db.prepare_cached(sql)?.query_row((value,), read_row).optional()).await?;
        row.map(user_from_row).transpose()
    }
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn get(&self, id: &str) -> StoreResult<Option<User>> {
        self.user_where(concat!("SELECT ", columns!(), " FROM users WHERE id = ?"), id).await
    }

    async fn find_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        self.user_where(concat!("SELECT ", columns!(), " FROM users WHERE username = ?"), username).await
    }

    async fn list(&self) -> StoreResult<Vec<User>> {
        let rows: Vec<UserRow> = self
            .read(|db| {
                db.prepare_cached(concat!("SELECT ", columns!(), " FROM users ORDER BY username"))?
                    .query_map([], read_row)?
                    .collect()
            })
            .await?;
        rows.into_iter().map(user_from_row).collect()
    }

    async fn insert(&self, user: &User) -> StoreResult<()> {
        self.execute(
            "INSERT INTO users (id, username, password_hash, profile, updated_at, created_at, disabled) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                &user.id,
                &user.username,
                &user.password_hash,
                to_json(&user.profile)?,
                user.updated_at,
                user.created_at,
                user.disabled,
            ),
        )
        .await?;
        Ok(())
    }

    async fn update(&self, user: &User) -> StoreResult<bool> {
        let changed = self
            .execute(
                "UPDATE users SET username = ?, password_hash = ?, profile = ?, updated_at = ?, created_at = ?, \
                 disabled = ? WHERE id = ?",
                (
                    &user.username,
                    &user.password_hash,
                    to_json(&user.profile)?,
                    user.updated_at,
                    user.created_at,
                    user.disabled,
                    &user.id,
                ),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn delete(&self, id: &str) -> StoreResult<bool> {
        let deleted = self
            .write(|db| {
                db.prepare_cached("DELETE FROM consents WHERE user_id = ?")?.execute((id,))?;
                db.prepare_cached("DELETE FROM security_keys WHERE user_id = ?")?.execute((id,))?;
                db.prepare_cached("DELETE FROM users WHERE id = ?")?.execute((id,))
            })
            .await?;
        Ok(deleted > 0)
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
