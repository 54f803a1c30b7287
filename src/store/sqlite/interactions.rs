//! Logins in progress, kept until they expire or finish.

use async_trait::async_trait;

use super::{SqliteStore, from_json, to_json};
use crate::clock::Timestamp;
use crate::model::Interaction;
use crate::store::{InteractionStore, StoreResult};

#[async_trait]
impl InteractionStore for SqliteStore {
    async fn put(&self, interaction: &Interaction) -> StoreResult<()> {
        self.execute(
            "INSERT INTO interactions (id, data, expires_at) VALUES (?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
            (&interaction.id, to_json(interaction)?, interaction.expires_at),
        )
        .await?;
        Ok(())
    }

    async fn get(&self, id: &str, now: Timestamp) -> StoreResult<Option<Interaction>> {
        let data: Option<String> =
            self.optional("SELECT data FROM interactions WHERE id = ? AND expires_at > ?", (id, now)).await?;
        data.as_deref().map(from_json).transpose()
    }

    async fn delete(&self, id: &str) -> StoreResult<()> {
        self.execute("DELETE FROM interactions WHERE id = ?", (id,)).await?;
        Ok(())
    }
}
#[cfg(test)]
mod tests {
    use super::super::fixtures::{NOW, authn};
    use super::*;

    #[tokio::test]
    async fn put_replaces_and_expiry_hides() {
        let store = SqliteStore::memory().await.unwrap();
        let mut interaction = Interaction {
            face: None,
            id: "i1".into(),
            pending: None,
            csrf: "csrf".into(),
            browser: "browser".into(),
            authn: None,
            sid: None,
            failures: 0,
            sms: None,
            card: None,
            bank: None,
            mojeid: None,
            key: None,
            meg: None,
            created_at: NOW,
            expires_at: NOW + 600,
        };
        store.put(&interaction).await.unwrap();
        interaction.authn = Some(authn("u1"));
        interaction.failures = 2;
        store.put(&interaction).await.unwrap();

        assert_eq!(InteractionStore::get(&store, "i1", NOW).await.unwrap(), Some(interaction));
        assert_eq!(InteractionStore::get(&store, "i1", NOW + 600).await.unwrap(), None);
        InteractionStore::delete(&store, "i1").await.unwrap();
        assert_eq!(InteractionStore::get(&store, "i1", NOW).await.unwrap(), None);
    }
}
