//! The register of inhabitants as an operator and a citizen meet it: the shipped fixture
//! imported with `identita registry import` and found by each lookup, a file with one bad line
//! refused whole, an account linked to a person logging in as before, and migration 0008 applied
//! over a database whose accounts then log in as before. The commands run on the server's own
//! store (SQLite, or PostgreSQL and Redis under `IDENTITA_TEST_BACKEND`).

use crate::common;

use std::path::Path;

use common::TestServer;
use serde_json::{Value, json};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/registry.jsonl");
const REDIRECT: &str = "http://127.0.0.1:9/cb";

/// `identita ARGS` on the server's store: its exit code and the JSON it printed.
fn identita(server: &TestServer, args: &[&str]) -> (i32, Value) {
    let output = common::cli_beside(server, args, &[]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|_| panic!("{args:?} printed no JSON: {stdout} {}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code().unwrap_or(-1), json)
}

#[track_caller]
fn ok(server: &TestServer, args: &[&str]) -> Value {
    let (code, json) = identita(server, args);
    assert_eq!(code, 0, "identita {args:?}: {json}");
    json
}

#[track_caller]
fn refused(server: &TestServer, args: &[&str]) -> String {
    let (code, json) = identita(server, args);
    assert_eq!(code, 1, "identita {args:?}: {json}");
    json["error"].as_str().unwrap().to_owned()
}

fn id_of(shown: &Value) -> &str {
    shown["person"]["id"].as_str().unwrap()
}

#[tokio::test]
async fn the_fixture_imports_and_each_lookup_finds_its_person() {
    let server = TestServer::start().await;
    assert_eq!(ok(&server, &["registry", "import", FIXTURE])["imported"], 9);

    let jan = ok(&server, &["registry", "show", "jan-novak"]);
    assert_eq!(jan["person"]["family_name"], "Novák");
    assert_eq!(jan["person"]["address"]["municipality"], 554782);
    assert_eq!(id_of(&ok(&server, &["registry", "show", "--birth-number", "485210/123"])), "marie-prochazkova");
    assert_eq!(id_of(&ok(&server, &["registry", "show", "--birth-number", "8503141251"])), "jan-novak");
    assert_eq!(id_of(&ok(&server, &["registry", "show", "--data-box", "ph3x8ka"])), "petra-horakova");
    let by_name = ok(&server, &["registry", "show", "--name", "Dvořáková", "Eliška", "1992-11-02"]);
    assert_eq!(id_of(&by_name), "eliska-dvorakova");
    let foreigner = ok(&server, &["registry", "show", "--name", "Kovalenko", "Olena", "1990-04-12"]);
    assert_eq!(foreigner["person"]["citizenship"], json!(["UA"]));
    assert!(foreigner["person"].get("birth_number").is_none());
    assert!(ok(&server, &["registry", "show", "tomas-krejci"])["person"].get("address").is_none());
    assert!(refused(&server, &["registry", "show", "--name", "Dvorakova", "Eliska", "1992-11-02"]).contains("no such"));
    assert!(refused(&server, &["registry", "show", "--birth-number", "850314/1252"]).contains("--birth-number"));

    let page = ok(&server, &["registry", "list", "--limit", "3"]);
    assert_eq!(page["total"], 9);
    let ids: Vec<&str> = page["persons"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["eliska-dvorakova", "jan-novak", "jiri-cerny"]);

    // A second import of the same file is refused whole, naming the first person it holds.
    let error = refused(&server, &["registry", "import", FIXTURE]);
    assert!(error.contains("nothing was imported: line 8: id: jan-novak is in the register already"), "{error}");

    // A change is checked as an import is.
    let changed = ok(&server, &["registry", "set", "tomas-krejci", "phone", "+420 602 111 222"]);
    assert_eq!(changed["person"]["phone"], "+420602111222");
    let error = refused(&server, &["registry", "set", "tomas-krejci", "documents[1].valid_until", "2030-02-30"]);
    assert!(error.contains("documents[1].valid_until"), "{error}");
    let error = refused(&server, &["registry", "set", "petra-horakova", "data_box", "jn4k2rx"]);
    assert!(error.contains("another person"), "{error}");
    assert_eq!(ok(&server, &["registry", "show", "petra-horakova"])["person"]["data_box"], "ph3x8ka");
}

/// The fixture with the birth number of line `line` given a wrong check digit.
fn spoiled(dir: &Path) -> (std::path::PathBuf, usize) {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let line = text.lines().position(|l| l.contains("580730/0620")).unwrap() + 1;
    let path = dir.join("spoiled.jsonl");
    std::fs::write(&path, text.replace("580730/0620", "580730/0621")).unwrap();
    (path, line)
}

#[tokio::test]
async fn a_bad_line_refuses_the_whole_file_naming_line_and_field() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (path, line) = spoiled(dir.path());
    let error = refused(&server, &["registry", "import", path.to_str().unwrap()]);
    assert!(error.contains("nothing was imported"), "{error}");
    assert!(error.contains(&format!("line {line}: birth_number: ")), "{error}");
    assert!(error.contains("check digit"), "{error}");
    assert_eq!(ok(&server, &["registry", "list"])["total"], 0, "the good lines before it were not written either");
    // Mended, the same file goes in whole.
    std::fs::write(&path, std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    assert_eq!(ok(&server, &["registry", "import", path.to_str().unwrap()])["imported"], 9);
}

/// Logs `username` in at `server` through the login page; the ID token's subject.
async fn log_in(server: &TestServer, (client_id, secret): &(String, String), username: &str, password: &str) -> String {
    use openidconnect::core::{CoreClient, CoreProviderMetadata, CoreResponseType};
    use openidconnect::{
        AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, RedirectUrl,
        TokenResponse,
    };
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(server.issuer.clone()).unwrap(), &http).await.unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id.clone()),
        Some(ClientSecret::new(secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (url, _, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .url();
    let landing = server.browser().authorize(&server.issuer, url.as_str(), username, password).await;
    let code = common::params_of(&landing).get("code").cloned().unwrap_or_else(|| panic!("no code: {landing}"));
    let tokens = client.exchange_code(AuthorizationCode::new(code)).unwrap().request_async(&http).await.unwrap();
    let claims = tokens.id_token().unwrap().claims(&client.id_token_verifier(), &nonce).unwrap();
    claims.subject().to_string()
}

/// A first-party client (no consent page); its id and secret.
async fn add_portal(server: &TestServer) -> (String, String) {
    let (id, secret) =
        server.add_client(json!({ "client_id": "portal", "redirect_uris": [REDIRECT], "first_party": true })).await;
    (id, secret.unwrap())
}

#[tokio::test]
async fn an_account_linked_to_a_person_keeps_logging_in() {
    let server = TestServer::start().await;
    let portal = add_portal(&server).await;
    let jan = server.add_user("jan", "heslo-123", json!({ "name": "Jan Novák" })).await;
    assert_eq!(log_in(&server, &portal, "jan", "heslo-123").await, jan.id);

    ok(&server, &["registry", "import", FIXTURE]);
    assert_eq!(ok(&server, &["registry", "link", "jan-novak", "jan"])["person"], "jan-novak");
    assert_eq!(ok(&server, &["registry", "show", "jan-novak"])["accounts"], json!(["jan"]));
    assert_eq!(server.provider.stores.persons.person_of_account(&jan.id).await.unwrap().as_deref(), Some("jan-novak"));
    assert_eq!(log_in(&server, &portal, "jan", "heslo-123").await, jan.id, "the same account, the same subject");
    assert!(refused(&server, &["registry", "link", "nobody", "jan"]).contains("no person"));

    ok(&server, &["registry", "unlink", "jan"]);
    assert_eq!(ok(&server, &["registry", "show", "jan-novak"])["accounts"], json!([]));
    assert_eq!(log_in(&server, &portal, "jan", "heslo-123").await, jan.id);
}

/// SQLite's record of an applied migration, as `sqlx migrate` keeps it.
fn record_migration(conn: &rusqlite::Connection, file: &Path) {
    use sha2::Digest;
    let name = file.file_stem().unwrap().to_str().unwrap();
    let (version, description) = name.split_once('_').unwrap();
    let sql = std::fs::read_to_string(file).unwrap();
    conn.execute_batch(&sql).unwrap();
    conn.execute(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (?1, ?2, TRUE, ?3, 0)",
        (version.parse::<i64>().unwrap(), description.replace('_', " "), sha2::Sha384::digest(sql.as_bytes()).to_vec()),
    )
    .unwrap();
}

#[tokio::test]
async fn migration_0008_over_a_database_with_accounts_keeps_them() {
    // A password hash made as the server makes them.
    let hasher = TestServer::start_with(|c| c.database_url = None).await;
    let hash = hasher.authn.passwords.hash("heslo-123").await.unwrap();
    drop(hasher.stop().await);

    // The database as identita left it before the register: migrations 0001 to 0007 and an account.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("data/identita.db")).unwrap();
    conn.execute_batch(
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
         installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, \
         checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)",
    )
    .unwrap();
    let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap() < "0008")
        .collect();
    files.sort();
    assert_eq!(files.len(), 7);
    for file in &files {
        record_migration(&conn, file);
    }
    conn.execute(
        "INSERT INTO users (id, username, password_hash, profile, updated_at, created_at, disabled) \
         VALUES ('u-old', 'jan', ?1, '{\"name\":\"Jan Novák\"}', 1, 1, 0)",
        (&hash,),
    )
    .unwrap();
    conn.execute(
        "INSERT INTO consents (user_id, client_id, scopes, updated_at) VALUES ('u-old', 'portal', '[\"openid\"]', 1)",
        [],
    )
    .unwrap();
    drop(conn);

    let server = TestServer::start_in(dir.path(), None, |c| c.database_url = None).await;
    let portal = add_portal(&server).await;
    assert_eq!(log_in(&server, &portal, "jan", "heslo-123").await, "u-old", "the account logs in as before");
    assert_eq!(server.provider.stores.consents.get("u-old", "portal").await.unwrap(), Some(vec!["openid".to_owned()]));
    assert_eq!(server.provider.stores.persons.person_of_account("u-old").await.unwrap(), None);
    ok(&server, &["registry", "import", FIXTURE]);
    ok(&server, &["registry", "link", "jan-novak", "jan"]);
    assert_eq!(log_in(&server, &portal, "jan", "heslo-123").await, "u-old");
    drop(server.stop().await);
}

#[tokio::test]
async fn migration_0008_over_a_postgres_database_with_accounts_keeps_them() {
    let test = "migration_0008_over_a_postgres_database_with_accounts_keeps_them";
    let Some(database) = common::TestDatabase::create(test).await else { return };
    let hasher = TestServer::start_with(|c| c.database_url = None).await;
    let hash = hasher.authn.passwords.hash("heslo-123").await.unwrap();
    drop(hasher.stop().await);

    // The schema as identita left it before the register: migrations 0001 to 0007 and an account.
    let older = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_str().unwrap() < "0008" {
            std::fs::copy(&path, older.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    sqlx::migrate::Migrator::new(older.path()).await.unwrap().run(&pool).await.unwrap();
    sqlx::query(
        "INSERT INTO users (id, username, password_hash, profile, updated_at, created_at, disabled) \
         VALUES ('u-old', 'jan', $1, '{\"name\":\"Jan Novák\"}', 1, 1, FALSE)",
    )
    .bind(&hash)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let url = database.url.clone();
    let server = TestServer::start_with(|c| {
        c.database_url = Some(url);
        c.redis_url = None;
    })
    .await;
    let portal = add_portal(&server).await;
    assert_eq!(log_in(&server, &portal, "jan", "heslo-123").await, "u-old", "the account logs in as before");
    assert_eq!(server.provider.stores.persons.person_of_account("u-old").await.unwrap(), None);
    ok(&server, &["registry", "import", FIXTURE]);
    ok(&server, &["registry", "link", "jan-novak", "jan"]);
    assert_eq!(log_in(&server, &portal, "jan", "heslo-123").await, "u-old");
    drop(server.stop().await);
}
