//! Single sign-on sessions: a hash per session (`session:<key>`: the record as JSON in `data`,
//! each client in a field `c:<client_id>` numbered in the order it came, the last number in
//! `n`) and a string `sid:<sid>` naming the session's key, both with the session's TTL.

use std::collections::HashMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use fred::prelude::HashesInterface;
use fred::types::scripts::Script;

use super::{RedisStore, from_json, redis_error, to_json};
use crate::clock::Timestamp;
use crate::model::Session;
use crate::store::{SessionStore, StoreError, StoreResult};

/// KEYS: session, sid. ARGV: key, data, ttl, clients…. 0 when the key or the sid is taken.
static INSERT: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r"
        if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'data', ARGV[2], 'n', #ARGV - 3)
        for i = 4, #ARGV do redis.call('HSETNX', KEYS[1], 'c:' .. ARGV[i], i - 3) end
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])
        return 1
        ",
    )
});

/// KEYS: session. ARGV: client_id. Adds the client unless it is there or the session is gone
/// (a bare HSETNX would bring a deleted session back as a hash without TTL).
static ADD_CLIENT: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r"
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        local field = 'c:' .. ARGV[1]
        if redis.call('HEXISTS', KEYS[1], field) == 1 then return 0 end
        redis.call('HSET', KEYS[1], field, redis.call('HINCRBY', KEYS[1], 'n', 1))
        return 1
        ",
    )
});

/// KEYS: session, sid. ARGV: key. Returns the session's fields and deletes it, with its sid
/// unless that already names another session; only one of two racing deletes gets the fields.
static DELETE: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r"
        local fields = redis.call('HGETALL', KEYS[1])
        if #fields == 0 then return fields end
        redis.call('DEL', KEYS[1])
        if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
        return fields
        ",
    )
});

impl RedisStore {
    /// The session from its hash's fields, clients in the order they were added.
    fn session_from(fields: HashMap<String, String>) -> StoreResult<Option<Session>> {
        let Some(data) = fields.get("data") else { return Ok(None) };
        let mut session: Session = from_json(data)?;
        let mut clients: Vec<(u64, &str)> =
            fields.iter().filter_map(|(field, n)| Some((n.parse().ok()?, field.strip_prefix("c:")?))).collect();
        clients.sort_unstable();
        session.clients = clients.into_iter().map(|(_, client)| client.to_owned()).collect();
        Ok(Some(session))
    }

    async fn session_fields(&self, key: &str) -> StoreResult<HashMap<String, String>> {
        self.pool.next().hgetall(self.key("session", key)).await.map_err(redis_error)
    }
}

#[async_trait]
impl SessionStore for RedisStore {
    async fn insert(&self, session: &Session) -> StoreResult<()> {
        // The clients live in their own fields, so that adding one is a single step.
        let data = to_json(&Session { clients: Vec::new(), ..session.clone() })?;
        let ttl = Self::ttl(session.expires_at, self.now());
        let mut args = vec![session.key.clone(), data, ttl.to_string()];
        args.extend(session.clients.iter().cloned());
        let keys = vec![self.key("session", &session.key), self.key("sid", &session.sid)];
        let inserted: i64 = self.script(&INSERT, keys, args).await?;
        if inserted == 0 {
            return Err(StoreError::Conflict("a session with this key or sid exists".into()));
        }
        Ok(())
    }

    async fn get(&self, key: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        let session = Self::session_from(self.session_fields(key).await?)?;
        Ok(session.filter(|s| s.expires_at > now))
    }

    async fn get_by_sid(&self, sid: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        let key: Option<String> =
            fred::prelude::KeysInterface::get(self.pool.next(), self.key("sid", sid)).await.map_err(redis_error)?;
        match key {
            // The session may have gone between the two reads: then there is none, as after.
            Some(key) => Ok(SessionStore::get(self, &key, now).await?.filter(|s| s.sid == sid)),
            None => Ok(None),
        }
    }

    async fn add_client(&self, key: &str, client_id: &str) -> StoreResult<()> {
        let _: i64 = self.script(&ADD_CLIENT, vec![self.key("session", key)], vec![client_id.to_owned()]).await?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> StoreResult<Option<Session>> {
        // The sid is in the record: read it first, then delete both in one script.
        let Some(session) = Self::session_from(self.session_fields(key).await?)? else { return Ok(None) };
        let keys = vec![self.key("session", key), self.key("sid", &session.sid)];
        let fields: Vec<String> = self.script(&DELETE, keys, vec![key.to_owned()]).await?;
        let fields: HashMap<String, String> =
            fields.chunks_exact(2).map(|pair| (pair[0].clone(), pair[1].clone())).collect();
        Self::session_from(fields)
    }

    async fn of_user(&self, user_id: &str, now: Timestamp) -> StoreResult<Vec<Session>> {
        // Every session hash under the prefix, a page at a time: an operator's command, not a
        // request's path, so no per-user index is kept for it.
        let pattern = format!("{}*", glob_escaped(&self.key("session", "")));
        let mut cursor = "0".to_owned();
        let mut sessions = Vec::new();
        loop {
            let (next, keys): (String, Vec<String>) = fred::prelude::KeysInterface::scan_page(
                self.pool.next(),
                cursor,
                pattern.clone(),
                Some(500),
                Some(fred::types::scan::ScanType::Hash),
            )
            .await
            .map_err(redis_error)?;
            for key in keys {
                let fields: HashMap<String, String> = self.pool.next().hgetall(key).await.map_err(redis_error)?;
                if let Some(session) = Self::session_from(fields)?
                    && session.authn.user_id == user_id
                    && session.expires_at > now
                {
                    sessions.push(session);
                }
            }
            if next == "0" {
                return Ok(sessions);
            }
            cursor = next;
        }
    }
}

/// `text` matching itself in a Redis glob pattern.
fn glob_escaped(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
