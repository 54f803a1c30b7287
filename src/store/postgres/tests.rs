//! The PostgreSQL store against a real server, the one `IDENTITA_TEST_POSTGRES_URL` names
//! (`.ci/services.sh` starts one): the conformance cases, each in a schema of its own that is
//! dropped afterwards, and what only a server shows — reconnecting, several nodes migrating and
//! racing at once, a server that is not there. Without the variable these tests say SKIPPED and
//! pass, except under `CI=true`, where they fail.

use std::error::Error;
use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, Connection, PgConnection};

use super::*;
use crate::model::AuthCode;
use crate::store::fixtures::{NOW, client, grant, user};
use crate::store::{ClientStore, CodeStore, Redemption, Stores, UserStore};

const URL_VARIABLE: &str = "IDENTITA_TEST_POSTGRES_URL";

/// The test server's URL, or `None` after saying that `test` is skipped.
fn server_url(test: &str) -> Option<String> {
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("{test}: {URL_VARIABLE} must be set when CI=true; eval \"$(bash .ci/services.sh)\" sets it")
        }
        _ => {
            println!("SKIPPED {test}: set {URL_VARIABLE}=postgres://user:password@host:port/database to run it");
            crate::test_skips::record(test, crate::test_skips::Needs::Postgres);
            None
        }
    }
}

/// A fresh schema on the test server; dropped, with everything in it, when this is dropped.
pub(super) struct TestSchema {
    server: String,
    name: String,
    /// The server's URL with the schema as the connections' `search_path`.
    url: String,
}

impl TestSchema {
    pub(super) async fn create(test: &str) -> Option<TestSchema> {
        let server = server_url(test)?;
        let name = format!("identita_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&server).await.unwrap();
        sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {name}"))).execute(&mut admin).await.unwrap();
        admin.close().await.unwrap();
        let mut url = url::Url::parse(&server).unwrap();
        url.query_pairs_mut().append_pair("options[search_path]", &name);
        Some(TestSchema { server, name, url: url.into() })
    }

    pub(super) async fn connect(&self) -> PostgresStore {
        PostgresStore::connect(&self.url).await.unwrap()
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // `drop` cannot await, and may run on a runtime's thread: a thread with a runtime of its
        // own can. This also runs when the test panicked, so its schema goes too.
        let dropped = std::thread::spawn(move || -> Result<(), Box<dyn Error + Send + Sync>> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&server).await?;
                sqlx::query(AssertSqlSafe(format!("DROP SCHEMA {name} CASCADE"))).execute(&mut admin).await?;
                admin.close().await?;
                Ok(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test schema {}: {dropped:?}", self.name);
        }
    }
}

/// Runs a conformance case on a fresh schema.
async fn in_fresh_schema<F: Future<Output = ()>>(test: &str, case: impl FnOnce(Stores) -> F) {
    let Some(schema) = TestSchema::create(test).await else { return };
    let store = schema.connect().await;
    case(Stores::from_one(store.clone())).await;
    store.pool.close().await;
}

mod conformance {
    crate::store::conformance_tests::conformance_suite!(super::in_fresh_schema);
}

fn code(digest: &str) -> AuthCode {
    AuthCode {
        digest: digest.into(),
        grant: grant("g1", None, &["openid"]),
        redirect_uri: "https://rp.example/cb".into(),
        code_challenge: None,
        code_challenge_method: None,
        expires_at: NOW + 60,
    }
}

#[tokio::test]
async fn a_bad_url_is_unavailable() {
    let result = PostgresStore::connect("postgres://u:p@localhost:notaport/db").await;
    assert!(matches!(result, Err(StoreError::Unavailable(_))), "{result:?}");
}

#[tokio::test]
async fn a_server_that_is_not_there_is_unavailable_soon() {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    let started = Instant::now();
    let result = PostgresStore::connect("postgres://u:p@127.0.0.1:1/db").await;
    assert!(matches!(result, Err(StoreError::Unavailable(_))), "{result:?}");
    assert!(started.elapsed() < ACQUIRE_TIMEOUT + Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn undecodable_rows_are_corrupt() {
    let Some(schema) = TestSchema::create("undecodable_rows_are_corrupt").await else { return };
    let store = schema.connect().await;
    sqlx::query("INSERT INTO clients (client_id, data, created_at) VALUES ('rp', '{not json', 0)")
        .execute(&store.pool)
        .await
        .unwrap();
    assert!(matches!(ClientStore::get(&store, "rp").await, Err(StoreError::Corrupt(_))));
    store.pool.close().await;
}

#[tokio::test]
async fn the_data_survives_reconnecting() {
    let Some(schema) = TestSchema::create("the_data_survives_reconnecting").await else { return };
    let store = schema.connect().await;
    ClientStore::insert(&store, &client("rp")).await.unwrap();
    UserStore::insert(&store, &user("u1", "jana")).await.unwrap();
    CodeStore::insert(&store, &code("c1")).await.unwrap();
    assert!(matches!(store.redeem("c1", NOW).await.unwrap(), Redemption::Fresh(_)));
    store.pool.close().await;

    // Connecting again finds the schema up to date and the data as it was.
    let store = schema.connect().await;
    assert_eq!(ClientStore::get(&store, "rp").await.unwrap(), Some(client("rp")));
    assert_eq!(store.find_by_username("jana").await.unwrap(), Some(user("u1", "jana")));
    assert!(matches!(store.redeem("c1", NOW + 1).await.unwrap(), Redemption::Replayed(_)));
    store.pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_starting_together_migrate_once() {
    let Some(schema) = TestSchema::create("nodes_starting_together_migrate_once").await else { return };
    let (a, b, c) = tokio::join!(schema.connect(), schema.connect(), schema.connect());
    let migrations: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations").fetch_one(&a.pool).await.unwrap();
    assert_eq!(migrations, MIGRATOR.iter().count() as i64);
    for store in [a, b, c] {
        store.pool.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_redemptions_on_two_nodes_have_one_winner() {
    let Some(schema) = TestSchema::create("racing_redemptions_on_two_nodes_have_one_winner").await else { return };
    let nodes = [schema.connect().await, schema.connect().await];
    for round in 0..5 {
        let digest = format!("c{round}");
        CodeStore::insert(&nodes[0], &code(&digest)).await.unwrap();
        let attempts: Vec<_> = (0..32)
            .map(|i| {
                let node = nodes[i % 2].clone();
                let digest = digest.clone();
                tokio::spawn(async move { node.redeem(&digest, NOW).await.unwrap() })
            })
            .collect();
        let mut fresh = 0;
        for attempt in attempts {
            match attempt.await.unwrap() {
                Redemption::Fresh(_) => fresh += 1,
                Redemption::Replayed(_) => {}
                Redemption::Unknown => panic!("the code went missing"),
            }
        }
        assert_eq!(fresh, 1, "round {round}");
    }
    for node in nodes {
        node.pool.close().await;
    }
}
