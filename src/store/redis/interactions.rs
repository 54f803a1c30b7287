//! Logins in progress: a string per interaction (`interaction:<id>`, the record as JSON) with
//! the interaction's TTL.

use async_trait::async_trait;
use fred::prelude::KeysInterface;
use fred::types::Expiration;

use super::{RedisStore, from_json, redis_error, to_json};
use crate::clock::Timestamp;
use crate::model::Interaction;
use crate::store::{InteractionStore, StoreResult};

#[async_trait]
impl InteractionStore for RedisStore {
    async fn put(&self, interaction: &Interaction) -> StoreResult<()> {
        let ttl = Self::ttl(interaction.expires_at, self.now());
        let _: () = self
            .pool
            .next()
            .set(
                self.key("interaction", &interaction.id),
                to_json(interaction)?,
                Some(Expiration::EX(ttl)),
                None,
                false,
            )
            .await
            .map_err(redis_error)?;
        Ok(())
    }

    async fn get(&self, id: &str, now: Timestamp) -> StoreResult<Option<Interaction>> {
        let data: Option<String> = self.pool.next().get(self.key("interaction", id)).await.map_err(redis_error)?;
        let interaction: Option<Interaction> = data.as_deref().map(from_json).transpose()?;
        Ok(interaction.filter(|i| i.expires_at > now))
    }

    async fn delete(&self, id: &str) -> StoreResult<()> {
        let _: i64 = self.pool.next().del(self.key("interaction", id)).await.map_err(redis_error)?;
        Ok(())
    }
}
