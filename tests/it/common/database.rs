//! A PostgreSQL schema of a test's own on the server `IDENTITA_TEST_POSTGRES_URL` names
//! (`.ci/services.sh` starts one), dropped with everything in it when the test is done.
//! Without the variable a PostgreSQL test says SKIPPED and passes; under `CI=true` it fails.

use std::error::Error;

use sqlx::{AssertSqlSafe, Connection, PgConnection};

const URL_VARIABLE: &str = "IDENTITA_TEST_POSTGRES_URL";

pub struct TestDatabase {
    server: String,
    schema: String,
    /// The `database_url` for identita: the server's, with the schema as its `search_path`.
    pub url: String,
}

impl TestDatabase {
    /// A fresh schema for `test`, or `None` after saying that the test is skipped.
    pub async fn create(test: &str) -> Option<TestDatabase> {
        let server = match std::env::var(URL_VARIABLE) {
            Ok(url) if !url.is_empty() => url,
            _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
                panic!("{test}: {URL_VARIABLE} must be set when CI=true; eval \"$(bash .ci/services.sh)\" sets it")
            }
            _ => {
                println!("SKIPPED {test}: set {URL_VARIABLE}=postgres://user:password@host:port/database to run it");
                super::skips::record(test, super::skips::Needs::Postgres);
                return None;
            }
        };
        let schema = format!("identita_it_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&server).await.unwrap();
        sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&mut admin).await.unwrap();
        admin.close().await.unwrap();
        let mut url = url::Url::parse(&server).unwrap();
        url.query_pairs_mut().append_pair("options[search_path]", &schema);
        Some(TestDatabase { server, schema, url: url.into() })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (server, schema) = (self.server.clone(), self.schema.clone());
        // `drop` cannot await and may run on a runtime's thread; a thread with a runtime of its
        // own can. This runs when a test panics too, so its schema never stays behind.
        let dropped = std::thread::spawn(move || -> Result<(), Box<dyn Error + Send + Sync>> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&server).await?;
                sqlx::query(AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE"))).execute(&mut admin).await?;
                admin.close().await?;
                Ok(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test schema {}: {dropped:?}", self.schema);
        }
    }
}
