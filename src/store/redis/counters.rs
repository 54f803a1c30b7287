//! Fixed-window counters (the limits on password guessing): a hash per counter (`counter:<key>`:
//! `count` and the window's end `exp`) that Redis drops when the window ends.

use std::sync::LazyLock;

use async_trait::async_trait;
use fred::prelude::{HashesInterface, KeysInterface};
use fred::types::scripts::Script;

use super::{RedisStore, redis_error};
use crate::clock::Timestamp;
use crate::store::{CounterStore, StoreResult, Tally};

/// KEYS: counter. ARGV: window_ends_at, now, ttl. The new count; a window that has ended
/// starts again at one, in the same step, so racing increments all count.
static INCREMENT: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r"
        local ends = tonumber(redis.call('HGET', KEYS[1], 'exp'))
        if ends and ends > tonumber(ARGV[2]) then return redis.call('HINCRBY', KEYS[1], 'count', 1) end
        redis.call('HSET', KEYS[1], 'count', 1, 'exp', ARGV[1])
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        return 1
        ",
    )
});

/// As [`INCREMENT`], returning the count and the window's end.
static TALLY: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r"
        local ends = tonumber(redis.call('HGET', KEYS[1], 'exp'))
        if ends and ends > tonumber(ARGV[2]) then
            return {redis.call('HINCRBY', KEYS[1], 'count', 1), ends}
        end
        redis.call('HSET', KEYS[1], 'count', 1, 'exp', ARGV[1])
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        return {1, tonumber(ARGV[1])}
        ",
    )
});

#[async_trait]
impl CounterStore for RedisStore {
    async fn increment(&self, key: &str, window_ends_at: Timestamp, now: Timestamp) -> StoreResult<u32> {
        let args = vec![window_ends_at.to_string(), now.to_string(), Self::ttl(window_ends_at, now).to_string()];
        let count: i64 = self.script(&INCREMENT, vec![self.key("counter", key)], args).await?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn count(&self, key: &str, now: Timestamp) -> StoreResult<u32> {
        let (count, ends): (Option<i64>, Option<i64>) =
            self.pool.next().hmget(self.key("counter", key), vec!["count", "exp"]).await.map_err(redis_error)?;
        match (count, ends) {
            (Some(count), Some(ends)) if ends > now => Ok(u32::try_from(count).unwrap_or(u32::MAX)),
            _ => Ok(0),
        }
    }

    async fn reset(&self, key: &str) -> StoreResult<()> {
        let _: i64 = self.pool.next().del(self.key("counter", key)).await.map_err(redis_error)?;
        Ok(())
    }

    async fn tally(&self, key: &str, window_ends_at: Timestamp, now: Timestamp) -> StoreResult<Tally> {
        let args = vec![window_ends_at.to_string(), now.to_string(), Self::ttl(window_ends_at, now).to_string()];
        let (count, ends_at): (i64, i64) = self.script(&TALLY, vec![self.key("counter", key)], args).await?;
        Ok(Tally { count: u32::try_from(count).unwrap_or(u32::MAX), ends_at })
    }

    async fn peek(&self, key: &str, now: Timestamp) -> StoreResult<Option<Tally>> {
        let (count, ends): (Option<i64>, Option<i64>) =
            self.pool.next().hmget(self.key("counter", key), vec!["count", "exp"]).await.map_err(redis_error)?;
        match (count, ends) {
            (Some(count), Some(ends_at)) if ends_at > now => {
                Ok(Some(Tally { count: u32::try_from(count).unwrap_or(u32::MAX), ends_at }))
            }
            _ => Ok(None),
        }
    }
}
