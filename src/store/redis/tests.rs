//! The Redis store against a real server, the one `IDENTITA_TEST_REDIS_URL` names
//! (`.ci/services.sh` starts one): the conformance cases on Redis composed with an in-memory
//! SQLite store, each under a key prefix of its own that is deleted afterwards, and what only
//! Redis shows — TTLs that match the records' expiry, scripts that Redis has forgotten, a server
//! that is not there. Without the variable these tests say SKIPPED and pass, except under
//! `CI=true`, where they fail.

use std::error::Error;
use std::sync::{Arc, LazyLock};

use fred::prelude::{Builder, ClientLike, Config};
use fred::types::scripts::Script;

use super::*;
use crate::clock::{Clock, ManualClock};
use crate::model::{AuthCode, Session};
use crate::store::fixtures::{NOW, authn, grant};
use crate::store::sqlite::SqliteStore;
use crate::store::{CodeStore, CounterStore, Redemption, ReplayStore, SessionStore};

const URL_VARIABLE: &str = "IDENTITA_TEST_REDIS_URL";

/// The test server's URL, or `None` after saying that `test` is skipped.
fn server_url(test: &str) -> Option<String> {
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("{test}: {URL_VARIABLE} must be set when CI=true; eval \"$(bash .ci/services.sh)\" sets it")
        }
        _ => {
            println!("SKIPPED {test}: set {URL_VARIABLE}=redis://host:port to run it");
            crate::test_skips::record(test, crate::test_skips::Needs::Redis);
            None
        }
    }
}

/// A clock standing at the fixtures' `NOW`.
fn clock_at_now() -> SharedClock {
    let clock = ManualClock::default();
    clock.advance(NOW - clock.now());
    Arc::new(clock)
}

/// A fresh key prefix on the test server; its keys are deleted when this is dropped.
struct TestPrefix {
    server: String,
    prefix: String,
}

/// Every key under a prefix with its TTL in seconds (-1: none).
static TTLS: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r"
        local found = {}
        for _, key in ipairs(redis.call('KEYS', ARGV[1])) do
            table.insert(found, key)
            table.insert(found, redis.call('TTL', key))
        end
        return found
        ",
    )
});
static DELETE_ALL: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r"
        local keys = redis.call('KEYS', ARGV[1])
        for _, key in ipairs(keys) do redis.call('DEL', key) end
        return #keys
        ",
    )
});

impl TestPrefix {
    fn create(test: &str) -> Option<TestPrefix> {
        let server = server_url(test)?;
        Some(TestPrefix { server, prefix: format!("identita-test-{}:", uuid::Uuid::new_v4().simple()) })
    }

    async fn connect(&self, clock: SharedClock) -> RedisStore {
        RedisStore::connect(&self.server, &self.prefix, clock).await.unwrap()
    }

    /// A client of its own, for looking at the keys behind the store's back.
    async fn admin(&self) -> fred::prelude::Client {
        let client = Builder::from_config(Config::from_url(&self.server).unwrap()).build().unwrap();
        client.init().await.unwrap();
        client
    }

    async fn ttls(&self) -> Vec<(String, i64)> {
        let admin = self.admin().await;
        let found: Vec<fred::prelude::Value> =
            TTLS.evalsha_with_reload(&admin, Vec::<String>::new(), vec![format!("{}*", self.prefix)]).await.unwrap();
        admin.quit().await.unwrap();
        found
            .chunks_exact(2)
            .map(|pair| (pair[0].as_string().unwrap(), pair[1].as_i64().unwrap()))
            .map(|(key, ttl)| (key.strip_prefix(&self.prefix).unwrap().to_owned(), ttl))
            .collect()
    }
}

impl Drop for TestPrefix {
    fn drop(&mut self) {
        let (server, pattern) = (self.server.clone(), format!("{}*", self.prefix));
        // `drop` cannot await and may run on a runtime's thread; a thread with a runtime of its
        // own can. This runs when a test panics too, so its keys never stay behind.
        let deleted = std::thread::spawn(move || -> Result<(), Box<dyn Error + Send + Sync>> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let admin = Builder::from_config(Config::from_url(&server)?).build()?;
                admin.init().await?;
                let _: i64 = DELETE_ALL.evalsha_with_reload(&admin, Vec::<String>::new(), vec![pattern]).await?;
                admin.quit().await?;
                Ok(())
            })
        })
        .join();
        if !matches!(deleted, Ok(Ok(()))) {
            eprintln!("could not delete the test keys {}*: {deleted:?}", self.prefix);
        }
    }
}

/// Runs a conformance case on Redis (under a fresh prefix) composed with an in-memory SQLite,
/// then checks that every key it left has a TTL: nothing in Redis may live forever.
async fn in_fresh_prefix<F: Future<Output = ()>>(test: &str, case: impl FnOnce(Stores) -> F) {
    let Some(prefix) = TestPrefix::create(test) else { return };
    let redis = prefix.connect(clock_at_now()).await;
    let durable = Stores::from_one(SqliteStore::memory().await.unwrap());
    case(redis.clone().compose(durable)).await;
    redis.quit().await;
    let forever: Vec<_> = prefix.ttls().await.into_iter().filter(|(_, ttl)| *ttl < 0).collect();
    assert!(forever.is_empty(), "keys without a TTL: {forever:?}");
}

mod conformance {
    // Redis drops the expired code and replay key by itself: the purge finds the access token.
    crate::store::conformance_tests::conformance_suite!(super::in_fresh_prefix, purged = 1);
}

fn session(key: &str, sid: &str, expires_at: Timestamp) -> Session {
    Session {
        face: None,
        key: key.into(),
        sid: sid.into(),
        authn: authn("u1"),
        clients: vec!["rp".into()],
        created_at: NOW,
        expires_at,
    }
}

fn code(digest: &str, expires_at: Timestamp) -> AuthCode {
    AuthCode {
        digest: digest.into(),
        grant: grant("g1", None, &["openid"]),
        redirect_uri: "https://rp.example/cb".into(),
        code_challenge: None,
        code_challenge_method: None,
        expires_at,
    }
}

#[tokio::test]
async fn ttls_match_the_records_expiry() {
    let Some(prefix) = TestPrefix::create("ttls_match_the_records_expiry") else { return };
    let store = prefix.connect(clock_at_now()).await;
    SessionStore::insert(&store, &session("k1", "sid1", NOW + 3600)).await.unwrap();
    store.add_client("k1", "other").await.unwrap();
    CodeStore::insert(&store, &code("c1", NOW + 60)).await.unwrap();
    assert!(matches!(store.redeem("c1", NOW + 5).await.unwrap(), Redemption::Fresh(_)));
    store.increment("lockout:jana", NOW + 900, NOW).await.unwrap();
    store.increment("lockout:jana", NOW + 999, NOW + 100).await.unwrap();
    store.remember("jti:rp:1", NOW + 120, NOW).await.unwrap();
    store.quit().await;

    let mut ttls = prefix.ttls().await;
    ttls.sort();
    let expected = [
        ("code:c1", 60),
        ("counter:lockout:jana", 900),
        ("replay:jti:rp:1", 120),
        ("session:k1", 3600),
        ("sid:sid1", 3600),
    ];
    assert_eq!(ttls.len(), expected.len(), "{ttls:?}");
    for ((key, ttl), (expected_key, expected_ttl)) in ttls.iter().zip(expected) {
        assert_eq!(key, expected_key);
        // A second may pass between setting and reading.
        assert!((expected_ttl - 2..=expected_ttl).contains(ttl), "{key}: TTL {ttl}, expected {expected_ttl}");
    }
}

#[tokio::test]
async fn scripts_forgotten_by_redis_are_loaded_again() {
    let Some(prefix) = TestPrefix::create("scripts_forgotten_by_redis_are_loaded_again") else { return };
    let store = prefix.connect(clock_at_now()).await;
    CodeStore::insert(&store, &code("c1", NOW + 60)).await.unwrap();
    // What a restart of Redis does to its script cache.
    let admin = prefix.admin().await;
    let _: () = admin.custom(fred::cmd!("SCRIPT"), vec!["FLUSH"]).await.unwrap();
    admin.quit().await.unwrap();
    assert!(matches!(store.redeem("c1", NOW).await.unwrap(), Redemption::Fresh(_)));
    assert!(matches!(store.redeem("c1", NOW).await.unwrap(), Redemption::Replayed(_)));
    store.quit().await;
}

#[tokio::test]
async fn a_server_that_is_not_there_is_unavailable_without_the_password() {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    let result = RedisStore::connect("redis://identita:s3cret-pass@127.0.0.1:1", "x:", clock_at_now()).await;
    let Err(StoreError::Unavailable(message)) = result else { panic!("expected Unavailable, got {result:?}") };
    assert!(!message.contains("s3cret-pass"), "{message}");
}

#[tokio::test]
async fn a_bad_url_is_unavailable_without_the_password() {
    let result = RedisStore::connect("redis://identita:s3cret-pass@127.0.0.1:notaport", "x:", clock_at_now()).await;
    let Err(StoreError::Unavailable(message)) = result else { panic!("expected Unavailable, got {result:?}") };
    assert!(message.contains("redis_url") && !message.contains("s3cret-pass"), "{message}");
}

#[tokio::test]
async fn the_composed_stores_are_not_ready_without_redis() {
    let Some(prefix) = TestPrefix::create("the_composed_stores_are_not_ready_without_redis") else { return };
    let redis = prefix.connect(clock_at_now()).await;
    let stores = redis.clone().compose(Stores::from_one(SqliteStore::memory().await.unwrap()));
    stores.maintenance.ping().await.unwrap();
    redis.quit().await;
    assert!(matches!(stores.maintenance.ping().await, Err(StoreError::Unavailable(_))));
    // The durable stores still answer from the database.
    assert_eq!(stores.clients.list().await.unwrap(), vec![]);
}
