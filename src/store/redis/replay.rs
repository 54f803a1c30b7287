//! Keys that may be used only once (a client assertion's `jti`, say) until they expire: a
//! string per key (`replay:<key>`, its expiry) with a TTL to match.

use std::sync::LazyLock;

use async_trait::async_trait;
use fred::types::scripts::Script;

use super::RedisStore;
use crate::clock::Timestamp;
use crate::store::{ReplayStore, StoreResult};

/// KEYS: replay key. ARGV: expires_at, now, ttl. 1 when the key was not remembered (live).
///
/// Not a bare `SET NX EX`: an entry whose expiry has passed by the provider's clock must be
/// taken over even while Redis still holds it (with a real clock the two agree; with an injected
/// one they need not). The check and the set are one script, so of two racers one wins.
static REMEMBER: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r"
        local until_ = redis.call('GET', KEYS[1])
        if until_ and tonumber(until_) > tonumber(ARGV[2]) then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
        return 1
        ",
    )
});

#[async_trait]
impl ReplayStore for RedisStore {
    async fn remember(&self, key: &str, expires_at: Timestamp, now: Timestamp) -> StoreResult<bool> {
        let args = vec![expires_at.to_string(), now.to_string(), Self::ttl(expires_at, now).to_string()];
        let fresh: i64 = self.script(&REMEMBER, vec![self.key("replay", key)], args).await?;
        Ok(fresh == 1)
    }
}
