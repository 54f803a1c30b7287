//! Health checks and the removal of expired rows, which nothing else deletes.

use async_trait::async_trait;

use super::SqliteStore;
use crate::clock::Timestamp;
use crate::store::{Maintenance, OUTBOX_RETENTION, StoreResult};

#[async_trait]
impl Maintenance for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        self.read(|db| db.prepare_cached("SELECT 1")?.query_row([], |row| row.get::<_, i64>(0))).await?;
        Ok(())
    }

    async fn purge_expired(&self, now: Timestamp) -> StoreResult<u64> {
        // One table at a time rather than one transaction, so a long purge never holds the
        // write lock for long; each delete is complete on its own.
        let mut purged = 0;
        for statement in [
            "DELETE FROM sessions WHERE expires_at <= ?",
            "DELETE FROM interactions WHERE expires_at <= ?",
            "DELETE FROM codes WHERE expires_at <= ?",
            "DELETE FROM access_tokens WHERE expires_at <= ?",
            "DELETE FROM refresh_tokens WHERE expires_at <= ?",
            "DELETE FROM replay WHERE expires_at <= ?",
            "DELETE FROM counters WHERE expires_at <= ?",
            "DELETE FROM meg_pairings WHERE expires_at <= ?",
            "DELETE FROM backoffice_sessions WHERE expires_at <= ?",
        ] {
            purged += self.execute(statement, (now,)).await? as u64;
        }
        let read_by = now - OUTBOX_RETENTION;
        purged += self.execute("DELETE FROM outbox WHERE created_at <= ?", (read_by,)).await? as u64;
        Ok(purged)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{NOW, client, grant, user};
    use super::*;
    use crate::model::{AccessToken, AuthCode};
    use crate::store::{ClientStore, CodeStore, Redemption, ReplayStore, Stores, TokenStore, UserStore};

    fn code(digest: &str, expires_at: Timestamp) -> AuthCode {
        AuthCode {
            digest: digest.into(),
            grant: grant("g1", None, &["openid"]),
            redirect_uri: "https://rp.example/cb".into(),
            code_challenge: None,
            code_challenge_method: None,
            expires_at,
        }
    }

    #[tokio::test]
    async fn ping_answers() {
        let stores = Stores::from_one(SqliteStore::memory().await.unwrap());
        stores.maintenance.ping().await.unwrap();
    }

    #[tokio::test]
    async fn purge_removes_only_what_expired() {
        let store = SqliteStore::memory().await.unwrap();
        CodeStore::insert(&store, &code("old", NOW)).await.unwrap();
        CodeStore::insert(&store, &code("new", NOW + 60)).await.unwrap();
        let token = AccessToken { digest: "a1".into(), grant: grant("g1", None, &[]), issued_at: NOW, expires_at: NOW };
        store.insert_access(&token).await.unwrap();
        store.remember("jti", NOW - 1, NOW - 10).await.unwrap();

        assert_eq!(store.purge_expired(NOW).await.unwrap(), 3);
        assert_eq!(store.purge_expired(NOW).await.unwrap(), 0);
        assert!(matches!(store.redeem("new", NOW).await.unwrap(), Redemption::Fresh(_)));
    }

    #[tokio::test]
    async fn a_file_database_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        // The directory does not exist yet: connect creates it.
        let url = format!("sqlite://{}", dir.path().join("data/identita.db").display());

        let store = SqliteStore::connect(&url).await.unwrap();
        ClientStore::insert(&store, &client("rp")).await.unwrap();
        UserStore::insert(&store, &user("u1", "jana")).await.unwrap();
        CodeStore::insert(&store, &code("c1", NOW + 60)).await.unwrap();
        assert!(matches!(store.redeem("c1", NOW).await.unwrap(), Redemption::Fresh(_)));
        drop(store);

        let store = SqliteStore::connect(&url).await.unwrap();
        assert_eq!(ClientStore::get(&store, "rp").await.unwrap(), Some(client("rp")));
        assert_eq!(store.find_by_username("jana").await.unwrap(), Some(user("u1", "jana")));
        assert!(matches!(store.redeem("c1", NOW + 1).await.unwrap(), Redemption::Replayed(_)));
    }

    #[tokio::test]
    async fn racing_redemptions_on_a_pool_have_one_winner() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("identita.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        CodeStore::insert(&store, &code("c1", NOW + 60)).await.unwrap();

        let attempts: Vec<_> = (0..16)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.redeem("c1", NOW).await })
            })
            .collect();
        let mut fresh = 0;
        for attempt in attempts {
            match attempt.await.unwrap().unwrap() {
                Redemption::Fresh(_) => fresh += 1,
                Redemption::Replayed(_) => {}
                Redemption::Unknown => panic!("the code went missing"),
            }
        }
        assert_eq!(fresh, 1);
    }
}
