//! Readiness and purging for Redis, and for a durable store and Redis together.

use std::sync::Arc;

use async_trait::async_trait;
use fred::prelude::ClientLike;

use super::{RedisStore, redis_error};
use crate::clock::Timestamp;
use crate::store::{Maintenance, StoreResult};

#[async_trait]
impl Maintenance for RedisStore {
    async fn ping(&self) -> StoreResult<()> {
        let _: String = self.pool.next().ping(None).await.map_err(redis_error)?;
        Ok(())
    }

    /// Nothing: every key has a TTL matching its record's expiry, and Redis drops it then.
    async fn purge_expired(&self, _now: Timestamp) -> StoreResult<u64> {
        Ok(0)
    }
}

/// The maintenance of stores split between a durable store and Redis: ready when both answer,
/// purged in both.
pub struct BothMaintenance {
    pub durable: Arc<dyn Maintenance>,
    pub expiring: Arc<dyn Maintenance>,
}

#[async_trait]
impl Maintenance for BothMaintenance {
    async fn ping(&self) -> StoreResult<()> {
        let (durable, expiring) = tokio::join!(self.durable.ping(), self.expiring.ping());
        durable.and(expiring)
    }

    async fn purge_expired(&self, now: Timestamp) -> StoreResult<u64> {
        Ok(self.durable.purge_expired(now).await? + self.expiring.purge_expired(now).await?)
    }
}
