//! A key prefix of a test's own on the Redis `IDENTITA_TEST_REDIS_URL` names (`.ci/services.sh`
//! starts one); its keys are deleted when the test is done. Without the variable a Redis test
//! says SKIPPED and passes; under `CI=true` it fails.

use std::error::Error;

use fred::prelude::{Builder, ClientLike, Config};
use fred::types::scripts::Script;

const URL_VARIABLE: &str = "IDENTITA_TEST_REDIS_URL";

pub struct TestRedis {
    /// The `redis_url` for identita.
    pub url: String,
    /// The `redis_prefix` for identita: random, so tests sharing the server never meet.
    pub prefix: String,
}

impl TestRedis {
    /// A fresh prefix for `test`, or `None` after saying that the test is skipped.
    pub fn create(test: &str) -> Option<TestRedis> {
        let url = match std::env::var(URL_VARIABLE) {
            Ok(url) if !url.is_empty() => url,
            _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
                panic!("{test}: {URL_VARIABLE} must be set when CI=true; eval \"$(bash .ci/services.sh)\" sets it")
            }
            _ => {
                println!("SKIPPED {test}: set {URL_VARIABLE}=redis://host:port to run it");
                super::skips::record(test, super::skips::Needs::Redis);
                return None;
            }
        };
        Some(TestRedis { url, prefix: format!("identita-it-{}:", uuid::Uuid::new_v4().simple()) })
    }

    /// How many keys there are under the prefix.
    pub async fn key_count(&self) -> i64 {
        let count = Script::from_lua("return #redis.call('KEYS', ARGV[1])");
        on_prefix(&self.url, &self.prefix, &count).await.unwrap()
    }
}

/// Runs `script` with the key pattern of `prefix` as its argument, on a connection of its own.
async fn on_prefix(url: &str, prefix: &str, script: &Script) -> Result<i64, Box<dyn Error + Send + Sync>> {
    let admin = Builder::from_config(Config::from_url(url)?).build()?;
    admin.init().await?;
    let answer = script.evalsha_with_reload(&admin, Vec::<String>::new(), vec![format!("{prefix}*")]).await?;
    admin.quit().await?;
    Ok(answer)
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let (url, prefix) = (self.url.clone(), self.prefix.clone());
        // `drop` cannot await and may run on a runtime's thread; a thread with a runtime of its
        // own can. This runs when a test panics too, so its keys never stay behind.
        let deleted = std::thread::spawn(move || -> Result<(), Box<dyn Error + Send + Sync>> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let delete = Script::from_lua(
                "local keys = redis.call('KEYS', ARGV[1]) for _, k in ipairs(keys) do redis.call('DEL', k) end return #keys",
            );
            runtime.block_on(on_prefix(&url, &prefix, &delete)).map(|_| ())
        })
        .join();
        if !matches!(deleted, Ok(Ok(()))) {
            eprintln!("could not delete the test keys {}*: {deleted:?}", self.prefix);
        }
    }
}
