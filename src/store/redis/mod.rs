//! The Redis store: the expiring stores (SSO sessions, logins in progress, authorization codes,
//! replay keys, counters) in Redis, for any number of identita nodes; the durable stores
//! (clients, users, consents, tokens, the outbox) stay in `database_url`. [`RedisStore::compose`] puts the
//! two together into one [`Stores`], with the back office's sessions in this Redis too
//! (`tower-sessions-redis-store` on the same connections: its keys are the bare session ids,
//! outside the prefix, and expire with the session on the wall clock).
//!
//! Every record carries its expiry, and its Redis key gets a TTL to match, so Redis forgets it
//! by itself and `purge_expired` has nothing to do here. Lookups still compare the stored
//! expiry with the `now` they are given, as the SQL stores do: time is injected, and a record
//! must expire when the provider's clock says so, not only when Redis's does. The TTL of a new
//! record is counted from the store's clock, the provider's.
//!
//! What must happen at most once is one Lua script (redeeming a code, remembering a key,
//! counting, inserting a session with its `sid` and adding a client to it): Redis runs a script
//! alone, so two nodes racing cannot both win. Scripts touch only the keys they are given; on a
//! Redis Cluster, put the prefix in braces (`{identita}:`) so that all keys share a slot.
//!
//! Why not `tower-sessions` for the SSO session: our session is domain data, not a cookie jar.
//! Back-channel logout and refresh look it up by its public `sid`, logout deletes it and gets it
//! back (with the clients to notify), and token responses add clients to it atomically; a
//! session-middleware store only loads and saves an opaque record by its cookie id.

mod codes;
mod counters;
mod interactions;
mod maintenance;
mod replay;
mod sessions;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use fred::prelude::{Builder, ClientLike, Config, Pool, ReconnectPolicy};
use fred::types::scripts::Script;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use maintenance::BothMaintenance;

use super::backoffice_sessions::BackOfficeSessions;
use super::{CodesApart, StoreError, Stores};
use crate::clock::{SharedClock, Timestamp};

/// Connections per node; each one pipelines the commands of many requests.
const POOL_SIZE: usize = 4;
/// How long opening a connection, or a command, may take before the store reports itself
/// unavailable: a Redis that is down fails requests quickly rather than piling them up.
const TIMEOUT: Duration = Duration::from_secs(3);

/// The expiring stores, backed by one Redis; clones share the connections.
#[derive(Clone)]
pub struct RedisStore {
    pool: Pool,
    prefix: Arc<str>,
    clock: SharedClock,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the pool: its configuration holds the password.
        f.debug_struct("RedisStore").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to the Redis at `url` (`redis://[user:password@]host:port[/db]`, `rediss://` for
    /// TLS), keeping every key under `prefix`. The TTL of a new record is counted from `clock`.
    /// `Unavailable` when the URL is malformed or the server does not answer in time; no
    /// message shows the URL, which may hold a password.
    pub async fn connect(url: &str, prefix: &str, clock: SharedClock) -> Result<RedisStore, StoreError> {
        let config = Config::from_url(url).map_err(|e| {
            StoreError::Unavailable(format!("invalid redis_url ({:?}): {}", e.kind(), redact(e.details(), url)))
        })?;
        let pool = Builder::from_config(config)
            .with_connection_config(|c| {
                c.connection_timeout = TIMEOUT;
                c.internal_command_timeout = TIMEOUT;
            })
            .with_performance_config(|p| p.default_command_timeout = TIMEOUT)
            // Forever, backing off to a second: a Redis that restarts is found again by itself.
            .set_policy(ReconnectPolicy::new_exponential(0, 50, 1000, 2))
            .build_pool(POOL_SIZE)
            .map_err(|e| StoreError::Unavailable(format!("redis_url: {}", redact(e.details(), url))))?;
        let connected = tokio::time::timeout(TIMEOUT * 2, pool.init()).await;
        match connected {
            Ok(Ok(_task)) => {}
            Ok(Err(e)) => {
                return Err(StoreError::Unavailable(format!("connecting to Redis: {}", redact(e.details(), url))));
            }
            Err(_) => return Err(StoreError::Unavailable(format!("Redis did not answer within {:?}", TIMEOUT * 2))),
        }
        Ok(RedisStore { pool, prefix: prefix.into(), clock })
    }

    /// `durable`'s stores, with the expiring ones taken over by this Redis; readiness and
    /// purging go to both.
    pub fn compose(self, durable: Stores) -> Stores {
        // tower-sessions' own Redis store, on the same connections; it keys a session by its id
        // alone (it has no prefix), with Redis's TTL at the session's expiry.
        let backoffice_sessions =
            BackOfficeSessions::new(tower_sessions_redis_store::RedisStore::new(self.pool.clone()));
        let redis = Arc::new(self);
        Stores {
            backoffice_sessions,
            sessions: redis.clone(),
            interactions: redis.clone(),
            codes: redis.clone(),
            exchange: Arc::new(CodesApart { codes: redis.clone(), tokens: durable.tokens.clone() }),
            replay: redis.clone(),
            counters: redis.clone(),
            maintenance: Arc::new(BothMaintenance { durable: durable.maintenance.clone(), expiring: redis }),
            ..durable
        }
    }

    /// Closes the connections (tests).
    #[cfg(test)]
    pub async fn quit(&self) {
        let _ = self.pool.quit().await;
    }

    /// The full Redis key of a record: prefix, kind, then the record's own key, which goes last
    /// so that any bytes in it keep distinct keys distinct.
    fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{id}", self.prefix)
    }

    /// Seconds until `expires_at` counted from `now`, at least one: Redis refuses a zero TTL,
    /// and a record stored already expired is hidden by the lookups' own check until it goes.
    fn ttl(expires_at: Timestamp, now: Timestamp) -> i64 {
        (expires_at - now).max(1)
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Runs a script (loading it into Redis first when Redis does not know it yet, e.g. after a
    /// restart).
    async fn script<R: fred::types::FromValue>(
        &self,
        script: &Script,
        keys: Vec<String>,
        args: Vec<String>,
    ) -> Result<R, StoreError> {
        script.evalsha_with_reload(self.pool.next(), keys, args).await.map_err(redis_error)
    }
}

/// Any failure of Redis is the service failing (or unreachable): a later retry may get past it.
fn redis_error(error: fred::error::Error) -> StoreError {
    StoreError::Unavailable(format!("Redis: {error}"))
}

/// `detail` with the password of `url`, if any, blotted out.
fn redact(detail: &str, url: &str) -> String {
    match url::Url::parse(url).ok().and_then(|u| u.password().map(str::to_owned)) {
        Some(password) if !password.is_empty() => detail.replace(&password, "***"),
        _ => detail.to_owned(),
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("encoding a record: {e}")))
}

fn from_json<T: DeserializeOwned>(json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("decoding a record: {e}")))
}
