//! Moving a provider's data with `identita migrate`, `export` and `import`, run as the binary an
//! operator runs: a person logged in on SQLite keeps their SSO session, refresh token, consent
//! and password on PostgreSQL; SQLite → PostgreSQL → SQLite gives back the same export; a
//! non-empty target and a damaged file are refused without writing anything. The PostgreSQL
//! tests skip (or fail under `CI=true`) without `IDENTITA_TEST_POSTGRES_URL`.

use crate::common;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Browser, Landing, TestDatabase, TestServer};
use openidconnect::core::{CoreAuthPrompt, CoreClient, CoreProviderMetadata, CoreResponseType, CoreUserInfoClaims};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, RefreshToken, Scope,
    SubjectIdentifier, TokenResponse,
};
use serde_json::{Value, json};

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const USER: &str = "jan";
const PASS: &str = "heslo-123";

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

// ---------------------------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------------------------

/// How a command exited and what it printed.
#[derive(Debug)]
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or(Value::Null)
    }

    #[track_caller]
    fn ok(self) -> Self {
        assert_eq!(self.code, 0, "the command failed: {self:?}");
        self
    }

    /// The `{"error": ...}` of a failed command.
    #[track_caller]
    fn error(&self) -> String {
        assert_eq!(self.code, 1, "{self:?}");
        self.json()["error"].as_str().unwrap_or_else(|| panic!("no {{\"error\": ...}}: {self:?}")).to_owned()
    }
}

/// Runs `identita ARGS` in `dir` (its data and keys under it), with `env` and `stdin`.
fn identita(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Outcome {
    let mut command = Command::new(env!("CARGO_BIN_EXE_identita"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("IDENTITA_")) {
        command.env_remove(name);
    }
    command
        .args(args)
        .current_dir(dir)
        .env("IDENTITA_DATA_DIR", dir.join("data"))
        .env("IDENTITA_KEYS_DIR", dir.join("keys"))
        .env("IDENTITA_PASSWORD__MEMORY_KIB", "256")
        .env("IDENTITA_PASSWORD__ITERATIONS", "1")
        .env("IDENTITA_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).unwrap();
            text
        })
    };
    let stdout = reader(Box::new(child.stdout.take().unwrap()));
    let stderr = reader(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("identita {args:?} did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    writer.join().unwrap();
    Outcome { code: status.code().unwrap_or(-1), stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    identita(dir, args, env, b"")
}

/// An export without its header's time, which is all that may differ between two exports of the
/// same data.
fn timeless(export: &str) -> String {
    let (header, rest) = export.split_once('\n').expect("a header line");
    let mut header: Value = serde_json::from_str(header).unwrap();
    assert!(header["exported_at"].is_i64(), "{header}");
    header.as_object_mut().unwrap().remove("exported_at");
    format!("{header}\n{rest}")
}

/// The rows per table an export's end line counts.
fn counts_of(export: &str) -> Value {
    let end: Value = serde_json::from_str(export.lines().last().unwrap()).unwrap();
    end["rows"].clone()
}

// ---------------------------------------------------------------------------------------------
// A provider with a person who has logged in
// ---------------------------------------------------------------------------------------------

fn rp_http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn discover(server: &TestServer, http: &reqwest::Client, secret: &str) -> Client {
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(server.issuer.clone()).unwrap(), http).await.unwrap();
    CoreClient::from_provider_metadata(metadata, ClientId::new("portal".into()), Some(ClientSecret::new(secret.into())))
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap())
}

/// The authorization request of a code flow with PKCE, for `email`; `prompt=none` if asked.
fn authorize_url(client: &Client, prompt_none: bool) -> (String, openidconnect::PkceCodeVerifier, Nonce) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge);
    if prompt_none {
        request = request.add_prompt(CoreAuthPrompt::None);
    }
    let (url, _, nonce) = request.url();
    (url.to_string(), verifier, nonce)
}

/// What the relying party holds after the person logged in.
struct LoggedIn {
    secret: String,
    browser: Browser,
    subject: SubjectIdentifier,
    refresh: RefreshToken,
}

/// A confidential client and a person on `server`; the person logs in and consents through the
/// pages, the client exchanges the code and rotates the refresh token once. A second visitor gets
/// as far as the login page and types a wrong password, leaving a pending login and a count of
/// failed logins behind.
async fn log_in(server: &TestServer) -> LoggedIn {
    let (_, secret) = server
        .add_client(json!({
            "client_id": "portal",
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "client_name": "Portál občana",
        }))
        .await;
    let secret = secret.expect("a confidential client");
    server.add_user(USER, PASS, json!({ "name": "Jan Novák", "email": "jan@example.cz" })).await;

    let http = rp_http();
    let client = discover(server, &http, &secret).await;
    let browser = server.browser();
    let (url, verifier, nonce) = authorize_url(&client, false);
    let landing = browser.authorize(&server.issuer, &url, USER, PASS).await;
    let code = common::params_of(&landing)["code"].clone();
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let subject = tokens.id_token().unwrap().claims(&client.id_token_verifier(), &nonce).unwrap().subject().clone();
    let first = tokens.refresh_token().expect("a refresh token");
    let rotated = client.exchange_refresh_token(first).unwrap().request_async(&http).await.unwrap();
    let refresh = rotated.refresh_token().expect("a rotated refresh token").clone();

    let stranger = server.browser();
    let (url, _, _) = authorize_url(&client, false);
    let Landing::Page(_, html) = stranger.visit(&server.issuer, &url).await else { panic!("no login page") };
    let Landing::Page(status, html) =
        stranger.submit(&server.issuer, &html, "login", &[("username", USER), ("password", "spatne")]).await
    else {
        panic!("a wrong password was let in")
    };
    assert!(status == 401 && html.contains("login-error"), "{status}: {html}");

    LoggedIn { secret, browser, subject, refresh }
}

/// A server on SQLite with a logged-in person, stopped: its directory, port and what the relying
/// party holds.
async fn provider_on_sqlite() -> (tempfile::TempDir, u16, LoggedIn) {
    // On SQLite whatever IDENTITA_TEST_BACKEND says: migrating from it is the point.
    let server = TestServer::start_with(|config| {
        config.database_url = None;
        config.redis_url = None;
    })
    .await;
    let logged_in = log_in(&server).await;
    let (tempdir, _, port) = server.stop().await;
    (tempdir.unwrap(), port, logged_in)
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn after_migrating_to_postgres_sessions_tokens_consent_and_passwords_still_work() {
    let test = "after_migrating_to_postgres_sessions_tokens_consent_and_passwords_still_work";
    let Some(database) = TestDatabase::create(test).await else { return };
    let (tempdir, port, rp) = provider_on_sqlite().await;
    let dir = tempdir.path();

    let out = run(dir, &["migrate", "--to", &database.url], &[]).ok();
    let report = out.json();
    for table in ["clients", "users", "consents", "sessions", "interactions", "codes", "refresh_tokens", "counters"] {
        assert!(report["migrated"][table].as_u64() >= Some(1), "no {table} migrated: {report}");
    }
    assert_eq!(report["migrated"]["users"], 1, "{report}");
    let password = url::Url::parse(&database.url).unwrap().password().unwrap().to_owned();
    assert!(!out.stdout.contains(&password) && !out.stderr.contains(&password), "the password was printed: {out:?}");

    // The same keys and issuer, now on PostgreSQL.
    let url = database.url.clone();
    let server = TestServer::start_in(dir, Some(port), |config| config.database_url = Some(url)).await;
    let http = rp_http();
    let client = discover(&server, &http, &rp.secret).await;

    // The refresh token refreshes, and the client authenticates with its secret.
    let refreshed = client.exchange_refresh_token(&rp.refresh).unwrap().request_async(&http).await.unwrap();
    let info: CoreUserInfoClaims =
        client.user_info(refreshed.access_token().clone(), None).unwrap().request_async(&http).await.unwrap();
    assert_eq!(info.subject(), &rp.subject);
    assert_eq!(info.email().map(|e| e.as_str()), Some("jan@example.cz"));

    // The SSO session: prompt=none gets a code, which exchanges for tokens of the same person.
    let (url, verifier, nonce) = authorize_url(&client, true);
    let Landing::Redirect(to) = rp.browser.visit(&server.issuer, &url).await else {
        panic!("prompt=none showed a page")
    };
    let params = common::params_of(&to);
    let code = params.get("code").unwrap_or_else(|| panic!("the SSO session did not survive: {to}")).clone();
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let claims = tokens.id_token().unwrap().claims(&client.id_token_verifier(), &nonce).unwrap();
    assert_eq!(claims.subject(), &rp.subject);

    // A new browser logs in with the password, and the consent given on SQLite is remembered.
    let browser = server.browser();
    let (url, _, _) = authorize_url(&client, false);
    let Landing::Page(_, html) = browser.visit(&server.issuer, &url).await else { panic!("no login page") };
    match browser.submit(&server.issuer, &html, "login", &[("username", USER), ("password", PASS)]).await {
        Landing::Redirect(to) => assert!(common::params_of(&to).contains_key("code"), "{to}"),
        Landing::Page(status, html) => panic!("after the login ({status}), not back at the client:\n{html}"),
    }
    server.stop().await;
}

#[tokio::test]
async fn sqlite_to_postgres_to_sqlite_gives_back_the_same_export() {
    let Some(database) = TestDatabase::create("sqlite_to_postgres_to_sqlite_gives_back_the_same_export").await else {
        return;
    };
    let (tempdir, _, _) = provider_on_sqlite().await;
    let dir = tempdir.path();

    let out = run(dir, &["export", "--out", "first.jsonl"], &[]).ok();
    let first = std::fs::read_to_string(dir.join("first.jsonl")).unwrap();
    let mode = std::fs::metadata(dir.join("first.jsonl")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "an export holds password hashes");
    assert_eq!(out.json()["exported"], counts_of(&first), "{out:?}");
    assert!(out.stderr.contains("\"exported\""), "the counts go to stderr too: {out:?}");
    assert!(first.contains("\"password_hash\":\"$argon2id$"), "the password hash is in the export");

    let on_postgres = [("IDENTITA_DATABASE_URL", database.url.as_str())];
    let imported = run(dir, &["import", "first.jsonl"], &on_postgres).ok().json();
    assert_eq!(imported["imported"], counts_of(&first));

    let back = format!("sqlite://{}", dir.join("back.db").display());
    run(dir, &["migrate", "--from", &database.url, "--to", &back], &[]).ok();
    let second = run(dir, &["export"], &[("IDENTITA_DATABASE_URL", back.as_str())]).ok();
    assert_eq!(timeless(&second.stdout), timeless(&first));
    // And the PostgreSQL copy exports the same, too.
    let third = run(dir, &["export"], &on_postgres).ok();
    assert_eq!(timeless(&third.stdout), timeless(&first));
}

#[tokio::test]
async fn an_import_into_a_database_with_data_is_refused_and_changes_nothing() {
    let (source, _, _) = provider_on_sqlite().await;
    let export = run(source.path(), &["export"], &[]).ok().stdout;

    let target = tempfile::tempdir().unwrap();
    run(target.path(), &["init"], &[]).ok();
    let added =
        identita(target.path(), &["user", "add", "eva", "--name", "Eva", "--password-stdin"], &[], b"heslo-eva\n")
            .ok()
            .json();
    let before = run(target.path(), &["export"], &[]).ok().stdout;

    let out = identita(target.path(), &["import", "-"], &[], export.as_bytes());
    let error = out.error();
    assert!(error.contains("not empty") && error.contains("1 rows in users"), "{error}");
    let after = run(target.path(), &["export"], &[]).ok().stdout;
    assert_eq!(timeless(&after), timeless(&before));
    let users = run(target.path(), &["user", "list"], &[]).ok().json();
    assert_eq!(users, json!([added]));

    // Into an empty database, the same stream goes in whole.
    let empty = tempfile::tempdir().unwrap();
    let imported = identita(empty.path(), &["import", "-"], &[], export.as_bytes()).ok().json();
    assert_eq!(imported["imported"], counts_of(&export));
    assert_eq!(timeless(&run(empty.path(), &["export"], &[]).ok().stdout), timeless(&export));
}

#[tokio::test]
async fn a_damaged_export_is_refused_naming_the_line_and_nothing_is_written() {
    let (source, _, _) = provider_on_sqlite().await;
    let export = run(source.path(), &["export"], &[]).ok().stdout;
    let lines: Vec<&str> = export.lines().collect();
    let target = tempfile::tempdir().unwrap();
    let database = target.path().join("data").join("identita.db");

    // Cut inside the third line.
    let cut = &export[..lines[0].len() + 1 + lines[1].len() + 1 + lines[2].len() / 2];
    std::fs::write(target.path().join("cut.jsonl"), cut).unwrap();
    let error = run(target.path(), &["import", "cut.jsonl"], &[]).error();
    assert!(error.contains("cut.jsonl: line 3:") && error.contains("not valid JSON"), "{error}");

    // Cut between two lines: the end line is missing.
    let short = lines[..4].join("\n") + "\n";
    let error = identita(target.path(), &["import", "-"], &[], short.as_bytes()).error();
    assert!(error.contains("line 5") && error.contains("cut short"), "{error}");

    // A column this version does not know.
    let edited = export.replacen("\"disabled\":false", "\"disabled\":false,\"role\":\"admin\"", 1);
    let error = identita(target.path(), &["import", "-"], &[], edited.as_bytes()).error();
    assert!(error.contains("table `users` has no column `role`"), "{error}");

    // A version from the future.
    let future = export.replacen("\"version\":1", "\"version\":2", 1);
    let error = identita(target.path(), &["import", "-"], &[], future.as_bytes()).error();
    assert!(error.contains("line 1") && error.contains("version 2 is not supported"), "{error}");

    assert!(!database.exists(), "a refused import created the database");
    let error = run(target.path(), &["export"], &[]).error();
    assert!(error.contains("no SQLite database"), "{error}");
}

#[test]
fn an_export_with_a_script_redirect_uri_is_refused_at_import() {
    let source = tempfile::tempdir().unwrap();
    run(source.path(), &["init"], &[]).ok();
    run(source.path(), &["client", "add", "--id", "portal", "--redirect-uri", REDIRECT], &[]).ok();
    let export = run(source.path(), &["export"], &[]).ok().stdout;
    // As an older version could have stored it.
    let edited = export.replace(REDIRECT, "javascript:alert(1)");
    assert_ne!(edited, export);
    let target = tempfile::tempdir().unwrap();
    let error = identita(target.path(), &["import", "-"], &[], edited.as_bytes()).error();
    assert!(error.contains("client portal") && error.contains("javascript:alert(1)"), "{error}");
    assert!(!target.path().join("data").join("identita.db").exists(), "a refused import created the database");
    identita(target.path(), &["import", "-"], &[], export.as_bytes()).ok();
}
