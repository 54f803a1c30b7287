//! Relying parties, stored whole as JSON under their `client_id`.

use async_trait::async_trait;

use super::{SqliteStore, from_json, to_json};
use crate::model::Client;
use crate::store::{ClientStore, StoreResult};

#[async_trait]
impl ClientStore for SqliteStore {
    async fn get(&self, client_id: &str) -> StoreResult<Option<Client>> {
        let data: Option<String> = self.optional("SELECT data FROM clients WHERE client_id = ?", (client_id,)).await?;
        data.as_deref().map(from_json).transpose()
    }

    async fn list(&self) -> StoreResult<Vec<Client>> {
        let rows: Vec<String> = self
            .read(|db| {
                db.prepare_cached("SELECT data FROM clients ORDER BY created_at, client_id")?
                    .query_map([], |row| row.get(0))?
                    .collect()
            })
            .await?;
        rows.iter().map(|data| from_json(data)).collect()
    }

    async fn put(&self, client: &Client) -> StoreResult<()> {
        self.execute(
            "INSERT INTO clients (client_id, data, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (client_id) DO UPDATE SET data = excluded.data, created_at = excluded.created_at",
            (&client.client_id, to_json(client)?, client.created_at),
        )
        .await?;
        Ok(())
    }

    async fn insert(&self, client: &Client) -> StoreResult<()> {
        self.execute(
            "INSERT INTO clients (client_id, data, created_at) VALUES (?, ?, ?)",
            (&client.client_id, to_json(client)?, client.created_at),
        )
        .await?;
        Ok(())
    }

    async fn delete(&self, client_id: &str) -> StoreResult<bool> {
        Ok(self.execute("DELETE FROM clients WHERE client_id = ?", (client_id,)).await? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::client;
    use super::*;
    use crate::store::StoreError;

    #[tokio::test]
    async fn insert_conflicts_but_put_replaces() {
        let store = SqliteStore::memory().await.unwrap();
        let mut rp = client("rp");
        store.insert(&rp).await.unwrap();
        assert!(matches!(store.insert(&rp).await, Err(StoreError::Conflict(_))));

        rp.client_name = Some("Renamed".into());
        store.put(&rp).await.unwrap();
        assert_eq!(ClientStore::get(&store, "rp").await.unwrap(), Some(rp.clone()));
        assert_eq!(ClientStore::list(&store).await.unwrap(), vec![rp]);
    }

    #[tokio::test]
    async fn delete_says_whether_there_was_a_client() {
        let store = SqliteStore::memory().await.unwrap();
        store.put(&client("rp")).await.unwrap();
        assert!(store.delete("rp").await.unwrap());
        assert!(!store.delete("rp").await.unwrap());
        assert_eq!(ClientStore::get(&store, "rp").await.unwrap(), None);
    }
}
