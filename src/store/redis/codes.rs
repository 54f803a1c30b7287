//! Authorization codes: a hash per code (`code:<digest>`: the record in `data`, its expiry in
//! `exp`, and once redeemed `used`, once redeemed again `replayed`) with the code's TTL. A
//! redeemed code stays until then, so that a second redemption is recognized as a replay.

use std::sync::LazyLock;

use async_trait::async_trait;
use fred::prelude::HashesInterface;
use fred::types::scripts::Script;

use super::{RedisStore, from_json, redis_error, to_json};
use crate::clock::Timestamp;
use crate::model::AuthCode;
use crate::store::{CodeStore, Redemption, StoreError, StoreResult};

/// KEYS: code. ARGV: data, exp, ttl. 0 when the digest is taken.
static INSERT: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r"
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'data', ARGV[1], 'exp', ARGV[2])
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        return 1
        ",
    )
});

/// KEYS: code. ARGV: now. Marks the code used, or replayed when it was used already, in one
/// step: of two racing redemptions exactly one is `fresh`. A used code stays a replay after it
/// expires (until Redis drops it); an expired unused one is unknown.
static REDEEM: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r"
        local data = redis.call('HGET', KEYS[1], 'data')
        if not data then return {'unknown'} end
        if redis.call('HEXISTS', KEYS[1], 'used') == 1 then
            redis.call('HSET', KEYS[1], 'replayed', '1')
            return {'replayed', data}
        end
        if tonumber(redis.call('HGET', KEYS[1], 'exp')) <= tonumber(ARGV[1]) then return {'unknown'} end
        redis.call('HSET', KEYS[1], 'used', ARGV[1])
        return {'fresh', data}
        ",
    )
});

#[async_trait]
impl CodeStore for RedisStore {
    async fn insert(&self, code: &AuthCode) -> StoreResult<()> {
        let ttl = Self::ttl(code.expires_at, self.now());
        let args = vec![to_json(code)?, code.expires_at.to_string(), ttl.to_string()];
        let inserted: i64 = self.script(&INSERT, vec![self.key("code", &code.digest)], args).await?;
        if inserted == 0 {
            return Err(StoreError::Conflict("an authorization code with this digest exists".into()));
        }
        Ok(())
    }

    async fn peek(&self, digest: &str, now: Timestamp) -> StoreResult<Option<AuthCode>> {
        // One HMGET: the three fields as of one moment.
        let (data, exp, used): (Option<String>, Option<Timestamp>, Option<String>) =
            self.pool.next().hmget(self.key("code", digest), vec!["data", "exp", "used"]).await.map_err(redis_error)?;
        let live = used.is_some() || exp.is_some_and(|exp| exp > now);
        data.filter(|_| live).as_deref().map(from_json).transpose()
    }

    async fn redeem(&self, digest: &str, now: Timestamp) -> StoreResult<Redemption> {
        let answer: Vec<String> = self.script(&REDEEM, vec![self.key("code", digest)], vec![now.to_string()]).await?;
        match answer.as_slice() {
            [outcome, data] if outcome == "fresh" => Ok(Redemption::Fresh(from_json(data)?)),
            [outcome, data] if outcome == "replayed" => Ok(Redemption::Replayed(from_json(data)?)),
            [outcome] if outcome == "unknown" => Ok(Redemption::Unknown),
            _ => Err(StoreError::Corrupt(format!("unexpected answer to a code redemption: {answer:?}"))),
        }
    }

    async fn replayed(&self, digest: &str) -> StoreResult<bool> {
        let replayed: Option<String> =
            self.pool.next().hget(self.key("code", digest), "replayed").await.map_err(redis_error)?;
        Ok(replayed.is_some())
    }
}
