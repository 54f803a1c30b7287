//! Logins in progress, kept until they expire or finish.

use async_trait::async_trait;

use super::{SqliteStore, db_error, from_json, to_json};
use crate::clock::Timestamp;
use crate::store::{Interaction, InteractionStore, StoreResult};

#[async_trait]
impl InteractionStore for SqliteStore {
    async fn put(&self, interaction: &Interaction) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO interactions (id, data, expires_at) VALUES (?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(&interaction.id)
        .bind(to_json(interaction)?)
        .bind(interaction.expires_at)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn get(&self, id: &str, now: Timestamp) -> StoreResult<Option<Interaction>> {
        let data: Option<String> = sqlx::query_scalar("SELECT data FROM interactions WHERE id = ? AND expires_at > ?")
            .bind(id)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        data.as_deref().map(from_json).transpose()
    }

    async fn delete(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM interactions WHERE id = ?").bind(id).execute(&self.pool).await.map_err(db_error)?;
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
            id: "i1".into(),
            request: serde_json::json!({ "client_id": "rp", "scope": "openid" }),
            csrf: "csrf".into(),
            browser: "browser".into(),
            authn: None,
            failures: 0,
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
