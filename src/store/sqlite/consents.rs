//! What each person has agreed to release to each client, as a JSON array of scopes.

use async_trait::async_trait;

use super::{SqliteStore, from_json, to_json};
use crate::clock::Timestamp;
use crate::store::{ConsentStore, StoreResult};

#[async_trait]
impl ConsentStore for SqliteStore {
    async fn get(&self, user_id: &str, client_id: &str) -> StoreResult<Option<Vec<String>>> {
        let scopes: Option<String> = self
            .optional("SELECT scopes FROM consents WHERE user_id = ? AND client_id = ?", (user_id, client_id))
            .await?;
        scopes.as_deref().map(from_json::<Vec<String>>).transpose().map(|scopes| scopes.map(normalized))
    }

    async fn grant(&self, user_id: &str, client_id: &str, scopes: &[String], now: Timestamp) -> StoreResult<()> {
        // The union is computed by the statement itself, so two consents given at once for the
        // same client cannot overwrite each other's scopes.
        self.execute(
            "INSERT INTO consents (user_id, client_id, scopes, updated_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (user_id, client_id) DO UPDATE SET \
                 scopes = (SELECT json_group_array(value) FROM ( \
                     SELECT value FROM json_each(consents.scopes) \
                     UNION SELECT value FROM json_each(excluded.scopes) \
                     ORDER BY value)), \
                 updated_at = excluded.updated_at",
            (user_id, client_id, to_json(&normalized(scopes.to_vec()))?, now),
        )
        .await?;
        Ok(())
    }

    async fn revoke(&self, user_id: &str, client_id: &str) -> StoreResult<()> {
        self.execute("DELETE FROM consents WHERE user_id = ? AND client_id = ?", (user_id, client_id)).await?;
        Ok(())
    }

    async fn clients_of(&self, user_id: &str) -> StoreResult<Vec<String>> {
        self.read(|db| {
            db.prepare_cached("SELECT client_id FROM consents WHERE user_id = ? ORDER BY client_id")?
                .query_map((user_id,), |row| row.get(0))?
                .collect()
        })
        .await
    }

    async fn revoke_all(&self, user_id: &str) -> StoreResult<Vec<String>> {
        let mut clients: Vec<String> = self
            .write_statement(|db| {
                db.prepare_cached("DELETE FROM consents WHERE user_id = ? RETURNING client_id")?
                    .query_map((user_id,), |row| row.get(0))?
                    .collect()
            })
            .await?;
        clients.sort_unstable();
        Ok(clients)
    }
}

/// Sorted and without repeats; SQL does not promise the order an aggregate sees its rows in.
fn normalized(mut scopes: Vec<String>) -> Vec<String> {
    scopes.sort_unstable();
    scopes.dedup();
    scopes
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::NOW;
    use super::*;

    fn scopes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[tokio::test]
    async fn grants_accumulate_as_a_sorted_set() {
        let store = SqliteStore::memory().await.unwrap();
        assert_eq!(ConsentStore::get(&store, "u1", "rp").await.unwrap(), None);

        store.grant("u1", "rp", &scopes(&["profile", "openid", "openid"]), NOW).await.unwrap();
        store.grant("u1", "rp", &scopes(&["email", "profile"]), NOW + 1).await.unwrap();
        let granted = ConsentStore::get(&store, "u1", "rp").await.unwrap();
        assert_eq!(granted, Some(scopes(&["email", "openid", "profile"])));
        assert_eq!(ConsentStore::get(&store, "u1", "other").await.unwrap(), None);
    }

    #[tokio::test]
    async fn revoke_forgets_the_consent() {
        let store = SqliteStore::memory().await.unwrap();
        store.grant("u1", "rp", &scopes(&["openid"]), NOW).await.unwrap();
        store.grant("u1", "other", &scopes(&["openid"]), NOW).await.unwrap();
        assert_eq!(store.clients_of("u1").await.unwrap(), scopes(&["other", "rp"]));
        store.revoke("u1", "rp").await.unwrap();
        assert_eq!(ConsentStore::get(&store, "u1", "rp").await.unwrap(), None);
        assert_eq!(store.clients_of("u1").await.unwrap(), scopes(&["other"]));
    }
}
