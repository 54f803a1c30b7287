//! The `identita` binary as an operator drives it: each command prints JSON, a failure prints
//! `{"error": ...}` and exits with 1, and `serve` runs the provider until SIGTERM.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::Landing;
use serde_json::Value;

/// A working directory with its own data and key directories.
struct Workdir {
    dir: tempfile::TempDir,
    /// Settings every command gets (e.g. a PostgreSQL and Redis URL).
    env: Vec<(String, String)>,
}

/// What a command printed and how it exited.
#[derive(Debug)]
struct Outcome {
    code: i32,
    json: Value,
    stdout: String,
    /// Shown when an assertion fails.
    #[allow(dead_code)]
    stderr: String,
}

impl Workdir {
    /// A directory with a store made by `identita init` (the other commands make none).
    fn new() -> Self {
        let work = Self::empty();
        work.ok(&["init"]);
        work
    }

    fn empty() -> Self {
        Self { dir: tempfile::tempdir().unwrap(), env: Vec::new() }
    }

    /// Like [`Workdir::new`], every command with the settings `env`.
    fn with_env(env: Vec<(String, String)>) -> Self {
        let work = Self { dir: tempfile::tempdir().unwrap(), env };
        work.ok(&["init"]);
        work
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_identita"));
        // Settings of the developer's shell must not leak into the commands under test.
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("IDENTITA_")) {
            command.env_remove(name);
        }
        command
            .args(args)
            .current_dir(self.path())
            .env("IDENTITA_DATA_DIR", self.path().join("data"))
            .env("IDENTITA_KEYS_DIR", self.path().join("keys"))
            .env("IDENTITA_PASSWORD__MEMORY_KIB", "256")
            .env("IDENTITA_PASSWORD__ITERATIONS", "1")
            .env("IDENTITA_LOG", "warn")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Outcome {
        self.run_with(args, &[])
    }

    fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Outcome {
        let mut command = self.command(args);
        command.envs(env.iter().copied()).stdout(Stdio::piped()).stderr(Stdio::piped());
        outcome(finish_within(command.spawn().unwrap(), Duration::from_secs(60)))
    }

    /// Runs a command with `input` on its standard input.
    fn run_input(&self, args: &[&str], input: &str) -> Outcome {
        use std::io::Write;
        let mut command = self.command(args);
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        outcome(finish_within(child, Duration::from_secs(60)))
    }

    /// Runs a command that must succeed; returns its JSON.
    fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert_eq!(out.code, 0, "identita {args:?} failed: {out:?}");
        out.json
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).unwrap();
    }
}

/// Waits for `child` at most `limit`; kills it and fails the test if it takes longer.
fn finish_within(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the command did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn outcome(output: Output) -> Outcome {
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    Outcome { code: output.status.code().unwrap_or(-1), json, stdout, stderr }
}

fn assert_fails(out: &Outcome) -> String {
    assert_eq!(out.code, 1, "{out:?}");
    out.json["error"].as_str().unwrap_or_else(|| panic!("no {{\"error\": ...}} on stdout: {out:?}")).to_owned()
}

#[test]
fn client_add_prints_the_client_and_a_strong_secret() {
    let work = Workdir::new();
    let client = work.ok(&[
        "client",
        "add",
        "--id",
        "portal",
        "--redirect-uri",
        "http://127.0.0.1:9/cb",
        "--name",
        "Portál občana",
    ]);
    assert_eq!(client["client_id"], "portal");
    assert_eq!(client["client_name"], "Portál občana");
    assert_eq!(client["redirect_uris"], serde_json::json!(["http://127.0.0.1:9/cb"]));
    let secret = client["client_secret"].as_str().expect("a client_secret");
    assert!(secret.len() >= 40, "{secret}");
    assert!(secret.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{secret}");
    let other = work.ok(&["client", "add", "--id", "other", "--redirect-uri", "http://127.0.0.1:9/cb"]);
    assert_ne!(other["client_secret"], client["client_secret"]);
}

#[test]
fn a_client_credentials_client_needs_no_redirect_uri() {
    let work = Workdir::new();
    let client = work.ok(&["client", "add", "--id", "service", "--grant-type", "client_credentials"]);
    assert_eq!(client["grant_types"], serde_json::json!(["client_credentials"]));
    let response_types = client.get("response_types").cloned().unwrap_or(serde_json::json!([]));
    assert_eq!(response_types, serde_json::json!([]), "{client}");
    // Asking for a response type still asks for the redirect URIs it needs.
    let error = assert_fails(&work.run(&[
        "client",
        "add",
        "--id",
        "other",
        "--grant-type",
        "client_credentials",
        "--response-type",
        "code",
    ]));
    assert!(error.contains("redirect_uris"), "{error}");
}

#[test]
fn client_list_and_show_do_not_reveal_the_secret() {
    let work = Workdir::new();
    let added = work.ok(&["client", "add", "--id", "portal", "--redirect-uri", "http://127.0.0.1:9/cb"]);
    let secret = added["client_secret"].as_str().unwrap();

    let list = work.run(&["client", "list"]);
    assert_eq!(list.code, 0, "{list:?}");
    let clients = list.json.as_array().expect("a JSON array");
    assert!(clients.iter().any(|c| c["client_id"] == "portal"), "{clients:?}");
    assert!(!list.stdout.contains(secret));
    assert!(clients.iter().all(|c| c.get("client_secret").is_none()));

    let show = work.run(&["client", "show", "portal"]);
    assert_eq!(show.code, 0, "{show:?}");
    assert_eq!(show.json["client_id"], "portal");
    assert!(!show.stdout.contains(secret));
}

#[test]
fn removed_client_is_gone() {
    let work = Workdir::new();
    work.ok(&["client", "add", "--id", "portal", "--redirect-uri", "http://127.0.0.1:9/cb"]);
    let removed = work.ok(&["client", "remove", "portal"]);
    assert_eq!(removed["removed"], "portal");

    let error = assert_fails(&work.run(&["client", "show", "portal"]));
    assert!(error.contains("portal"), "{error}");
    assert_fails(&work.run(&["client", "remove", "portal"]));
}

#[test]
fn client_add_and_update_set_and_clear_id_token_encryption() {
    use josekit::jwk::KeyPair;
    let work = Workdir::new();
    let pair = josekit::jwk::alg::rsa::RsaKeyPair::generate(2048).unwrap();
    let mut public: serde_json::Map<String, Value> = pair.to_jwk_public_key().into();
    public.insert("use".into(), "enc".into());
    let metadata = serde_json::json!({ "jwks": { "keys": [public] } }).to_string();
    let add = |extra: &[&str]| {
        let mut args = vec!["client", "add", "--redirect-uri", "http://127.0.0.1:9/cb", "--metadata", &metadata];
        args.extend(extra);
        work.run(&args)
    };
    let added = add(&["--id", "portal", "--id-token-encrypted-response-alg", "RSA-OAEP"]);
    assert_eq!(added.code, 0, "{added:?}");
    assert_eq!(added.json["id_token_encrypted_response_alg"], "RSA-OAEP");
    assert_eq!(added.json["id_token_encrypted_response_enc"], "A128CBC-HS256");
    let error = assert_fails(&add(&["--id", "other", "--id-token-encrypted-response-enc", "A256GCM"]));
    assert!(error.contains("id_token_encrypted_response_alg"), "{error}");

    let updated =
        work.ok(&["client", "update", "portal", "--id-token-encrypted-response-enc", "A256CBC-HS512", "--name", "P"]);
    assert_eq!(updated["id_token_encrypted_response_alg"], "RSA-OAEP", "{updated}");
    assert_eq!(updated["id_token_encrypted_response_enc"], "A256CBC-HS512", "{updated}");
    let shown = work.ok(&["client", "show", "portal"]);
    assert_eq!(shown["id_token_encrypted_response_enc"], "A256CBC-HS512", "{shown}");

    let off = work.ok(&["client", "update", "portal", "--id-token-encrypted-response-alg", ""]);
    assert!(off.get("id_token_encrypted_response_alg").is_none(), "{off}");
    assert!(off.get("id_token_encrypted_response_enc").is_none(), "{off}");
}

#[test]
fn adding_a_client_id_twice_fails() {
    let work = Workdir::new();
    work.ok(&["client", "add", "--id", "portal", "--redirect-uri", "http://127.0.0.1:9/cb"]);
    let again = work.run(&["client", "add", "--id", "portal", "--redirect-uri", "http://127.0.0.1:9/other"]);
    let error = assert_fails(&again);
    assert!(error.contains("already a client \"portal\"") && error.contains("client update portal"), "{error}");
    let show = work.ok(&["client", "show", "portal"]);
    assert_eq!(show["redirect_uris"], serde_json::json!(["http://127.0.0.1:9/cb"]), "the first client is kept");
}

#[test]
fn user_add_prints_the_account_without_the_password_hash() {
    let work = Workdir::new();
    let out = work.run(&["user", "add", "jan", "--password", "x", "--name", "Jan Novák", "--email", "jan@example.cz"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json["username"], "jan");
    assert_eq!(out.json["profile"]["name"], "Jan Novák");
    assert_eq!(out.json["profile"]["email"], "jan@example.cz");
    assert!(out.json["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(!out.stdout.contains("password_hash") && !out.stdout.contains("$argon2"), "{}", out.stdout);

    let list = work.run(&["user", "list"]);
    assert_eq!(list.code, 0, "{list:?}");
    let users = list.json.as_array().expect("a JSON array");
    assert!(users.iter().any(|u| u["username"] == "jan" && u["id"] == out.json["id"]), "{users:?}");
    assert!(!list.stdout.contains("$argon2"));
}

#[test]
fn user_add_with_a_taken_username_fails() {
    let work = Workdir::new();
    work.ok(&["user", "add", "jan", "--password", "x"]);
    let error = assert_fails(&work.run(&["user", "add", "jan", "--password", "y"]));
    assert!(error.contains("taken"), "{error}");
}

#[test]
fn set_password_for_an_unknown_user_fails() {
    let work = Workdir::new();
    assert_fails(&work.run(&["user", "set-password", "nobody", "--password", "y"]));
}

/// `identita serve` as a child process; killed if a test fails before it is stopped.
struct Served {
    child: Option<Child>,
    issuer: String,
}

impl Served {
    async fn start(work: &Workdir) -> Self {
        Self::start_with(work, |_| {}).await
    }

    /// Started with `tweak` applied to the command (its environment, where its output goes).
    async fn start_with(work: &Workdir, tweak: impl FnOnce(&mut Command)) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let issuer = format!("http://127.0.0.1:{port}");
        let mut command = work.command(&["serve"]);
        command
            .env("IDENTITA_LISTEN", format!("127.0.0.1:{port}"))
            .env("IDENTITA_ISSUER", &issuer)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        tweak(&mut command);
        let served = Self { child: Some(command.spawn().unwrap()), issuer };
        let http = reqwest::Client::new();
        let start = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{}/readyz", served.issuer)).send().await
                && r.status().is_success()
            {
                return served;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "identita serve did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends SIGTERM and waits for the exit.
    fn terminate(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        let sent = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
        assert!(sent.success());
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > Duration::from_secs(5) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("identita serve did not stop within 5 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test]
async fn set_password_takes_effect_for_login_in_the_served_provider() {
    let work = Workdir::new();
    let redirect = "http://127.0.0.1:9/cb";
    work.ok(&["client", "add", "--id", "portal", "--redirect-uri", redirect, "--first-party"]);
    work.ok(&["user", "add", "jan", "--password", "stare-heslo"]);
    let changed = work.ok(&["user", "set-password", "jan", "--password", "nove-heslo"]);
    assert_eq!(changed["username"], "jan");

    let served = Served::start(&work).await;
    let issuer = served.issuer.clone();
    let url = format!(
        "{issuer}/authorize?response_type=code&client_id=portal&redirect_uri={}&scope=openid&state=st&nonce=n",
        url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>()
    );
    let browser = common::Browser::new();
    let Landing::Page(200, login) = browser.visit(&issuer, &url).await else { panic!("no login page") };
    let old = [("username", "jan"), ("password", "stare-heslo")];
    let Landing::Page(_, again) = browser.submit(&issuer, &login, "login", &old).await else {
        panic!("the old password was accepted");
    };
    assert!(again.contains("id=\"login-error\""), "{again}");
    let new = [("username", "jan"), ("password", "nove-heslo")];
    match browser.submit(&issuer, &again, "login", &new).await {
        Landing::Redirect(to) => {
            assert!(to.starts_with(redirect), "{to}");
            assert!(common::params_of(&to).contains_key("code"), "{to}");
        }
        Landing::Page(status, html) => panic!("the new password did not log in ({status}):\n{html}"),
    }

    let status = served.terminate();
    assert!(status.success(), "identita serve exited with {status}");
}

const FIXTURE_TOML: &str = r#"
[[clients]]
client_id = "portal"
client_name = "Portál"
redirect_uris = ["http://127.0.0.1:9/cb"]
client_secret = "fixture-secret-portal"

[[clients]]
client_id = "spa"
redirect_uris = ["http://127.0.0.1:9/spa"]
token_endpoint_auth_method = "none"

[[users]]
username = "jan"
password = "heslo-123"
[users.profile]
name = "Jan Novák"
email = "jan@example.cz"

[[users]]
username = "eva"
password = "heslo-456"
"#;

const FIXTURE_JSON: &str = r#"{
  "clients": [{ "client_id": "portal", "redirect_uris": ["http://127.0.0.1:9/cb"] }],
  "users": [{ "username": "jan", "password": "heslo-123", "profile": { "name": "Jan Novák" } }]
}"#;

fn ids(list: &Value, key: &str) -> Vec<String> {
    let mut ids: Vec<String> = list.as_array().unwrap().iter().map(|v| v[key].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

#[test]
fn seed_from_toml_creates_clients_and_users() {
    let work = Workdir::new();
    work.write("fixture.toml", FIXTURE_TOML);
    work.ok(&["seed", "fixture.toml"]);

    assert_eq!(ids(&work.ok(&["client", "list"]), "client_id"), ["portal", "spa"]);
    assert_eq!(ids(&work.ok(&["user", "list"]), "username"), ["eva", "jan"]);
    let jan = work.ok(&["user", "list"]).as_array().unwrap().iter().find(|u| u["username"] == "jan").cloned();
    assert_eq!(jan.unwrap()["profile"]["email"], "jan@example.cz");
    assert_eq!(work.ok(&["client", "show", "spa"])["token_endpoint_auth_method"], "none");
}

#[test]
fn seed_from_json_creates_clients_and_users() {
    let work = Workdir::new();
    work.write("fixture.json", FIXTURE_JSON);
    work.ok(&["seed", "fixture.json"]);

    assert_eq!(ids(&work.ok(&["client", "list"]), "client_id"), ["portal"]);
    assert_eq!(ids(&work.ok(&["user", "list"]), "username"), ["jan"]);
}

#[test]
fn seeding_twice_is_idempotent() {
    let work = Workdir::new();
    work.write("fixture.toml", FIXTURE_TOML);
    work.ok(&["seed", "fixture.toml"]);
    let users_before = work.ok(&["user", "list"]);
    work.ok(&["seed", "fixture.toml"]);

    assert_eq!(ids(&work.ok(&["client", "list"]), "client_id"), ["portal", "spa"]);
    let users_after = work.ok(&["user", "list"]);
    assert_eq!(ids(&users_after, "username"), ["eva", "jan"]);
    assert_eq!(ids(&users_after, "id"), ids(&users_before, "id"), "a user keeps its id");
}

#[test]
fn seed_with_an_unknown_top_level_field_fails_naming_it() {
    let work = Workdir::new();
    work.write("fixture.toml", "[[clientz]]\nclient_id = \"portal\"\n");
    let error = assert_fails(&work.run(&["seed", "fixture.toml"]));
    assert!(error.contains("clientz"), "{error}");
}

#[test]
fn seed_with_an_unknown_user_field_fails_naming_it() {
    let work = Workdir::new();
    work.write("fixture.json", r#"{ "users": [{ "username": "jan", "pasword": "x" }] }"#);
    let error = assert_fails(&work.run(&["seed", "fixture.json"]));
    assert!(error.contains("pasword"), "{error}");
    assert_eq!(ids(&work.ok(&["user", "list"]), "username"), Vec::<String>::new());
}

#[test]
fn seed_accepts_a_token_endpoint_auth_signing_alg() {
    let work = Workdir::new();
    let fixture = r#"{ "clients": [{ "client_id": "api", "grant_types": ["client_credentials"], "response_types": [],
        "token_endpoint_auth_method": "private_key_jwt", "token_endpoint_auth_signing_alg": "PS256",
        "jwks": JWKS }] }"#;
    work.write("fixture.json", &fixture.replace("JWKS", r#"{ "keys": [{ "kty": "RSA", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB" }] }"#));
    work.ok(&["seed", "fixture.json"]);
    assert_eq!(work.ok(&["client", "show", "api"])["token_endpoint_auth_signing_alg"], "PS256");
}

#[test]
fn seed_with_an_unknown_client_field_fails_naming_it() {
    let work = Workdir::new();
    let fixture = "[[clients]]\nclient_id = \"portal\"\nredirect_uris = [\"http://127.0.0.1:9/cb\"]\n\
                   client_nmae = \"Portál\"\n";
    work.write("fixture.toml", fixture);
    let error = assert_fails(&work.run(&["seed", "fixture.toml"]));
    assert!(error.contains("client_nmae"), "{error}");
    assert_eq!(ids(&work.ok(&["client", "list"]), "client_id"), Vec::<String>::new());
}

fn key_files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect()
}

#[test]
fn keys_list_shows_one_active_key_per_algorithm() {
    let work = Workdir::new();
    let keys = work.ok(&["keys", "list"]);
    let keys = keys.as_array().expect("a JSON array");
    assert_eq!(keys.len(), 4, "{keys:?}");
    assert!(keys.iter().all(|k| k["status"] == "active"), "{keys:?}");
    let mut algs: Vec<&str> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
    algs.sort_unstable();
    assert_eq!(algs, ["ES256", "EdDSA", "PS256", "RS256"]);
    assert!(!serde_json::to_string(keys).unwrap().contains("\"d\""), "no private key material is printed");
}

#[test]
fn keys_rotate_adds_active_keys_and_retires_the_old_ones() {
    let work = Workdir::new();
    let before = work.ok(&["keys", "list"]);
    work.ok(&["keys", "rotate"]);
    let after = work.ok(&["keys", "list"]);
    let after = after.as_array().unwrap();
    assert_eq!(after.len(), 8, "{after:?}");
    let retired: Vec<&Value> = after.iter().filter(|k| k["status"] == "retired").collect();
    assert_eq!(retired.len(), 4, "{after:?}");
    assert_eq!(ids(&Value::from(retired.into_iter().cloned().collect::<Vec<_>>()), "kid"), ids(&before, "kid"));
    let mut active: Vec<&str> =
        after.iter().filter(|k| k["status"] == "active").map(|k| k["alg"].as_str().unwrap()).collect();
    active.sort_unstable();
    assert_eq!(active, ["ES256", "EdDSA", "PS256", "RS256"]);
}

#[test]
fn private_key_files_are_readable_by_the_owner_only() {
    let work = Workdir::new();
    work.ok(&["keys", "list"]);
    work.ok(&["keys", "rotate"]);
    let files = key_files(&work.path().join("keys"));
    let keys = files.iter().filter(|f| f.extension().is_some_and(|e| e == "json")).count();
    assert_eq!(keys, 8, "{files:?}");
    for file in files {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} has mode {mode:o}", file.display());
    }
}

#[test]
fn a_bad_issuer_stops_with_an_error_naming_it() {
    let work = Workdir::new();
    let out = work.run_with(&["serve"], &[("IDENTITA_ISSUER", "not-a-url")]);
    let error = assert_fails(&out);
    assert!(error.contains("issuer"), "{error}");
}

#[test]
fn identita_log_sets_the_log_filter_without_failing_the_start() {
    let work = Workdir::new();
    let out = work.run_with(&["keys", "list"], &[("IDENTITA_LOG", "debug")]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json.as_array().map(Vec::len), Some(4), "{out:?}");
}

#[test]
fn an_unknown_setting_stops_with_an_error_naming_it() {
    let work = Workdir::new();
    let out = work.run_with(&["keys", "list"], &[("IDENTITA_ISUER", "http://127.0.0.1:1")]);
    let error = assert_fails(&out);
    assert!(error.contains("isuer"), "{error}");
}

#[test]
fn client_add_and_seed_refuse_script_redirect_uris() {
    let work = Workdir::new();
    let error = assert_fails(&work.run(&["client", "add", "--id", "portal", "--redirect-uri", "javascript:alert(1)"]));
    assert!(error.contains("javascript:alert(1)") && error.contains("scheme"), "{error}");
    let error = assert_fails(&work.run(&[
        "client",
        "add",
        "--id",
        "portal",
        "--redirect-uri",
        "https://portal.example/cb",
        "--post-logout-redirect-uri",
        "data:text/html,x",
    ]));
    assert!(error.contains("post_logout_redirect_uris"), "{error}");
    work.write("fixture.toml", "[[clients]]\nclient_id = \"portal\"\nredirect_uris = [\"vbscript:msgbox(1)\"]\n");
    let error = assert_fails(&work.run(&["seed", "fixture.toml"]));
    assert!(error.contains("vbscript:msgbox(1)"), "{error}");
    assert_eq!(ids(&work.ok(&["client", "list"]), "client_id"), Vec::<String>::new());
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

/// Issue #11: `data/` was created 0755 and the database files 0644, so any local user could read
/// the password hashes; every file and directory identita makes is now its owner's alone.
#[tokio::test]
async fn data_and_keys_are_private_to_the_owner() {
    let work = Workdir::new();
    let served = Served::start(&work).await;
    // The log and the shared memory exist while the server has the database open.
    let data = work.path().join("data");
    let keys = work.path().join("keys");
    let mut files = vec![data.join("identita.db"), data.join("identita.db-wal"), data.join("identita.db-shm")];
    files.push(keys.join("pairwise.salt"));
    files.extend(key_files(&keys));
    let modes: Vec<(String, u32)> = [data.clone(), keys.clone()]
        .iter()
        .chain(&files)
        .map(|p| (p.strip_prefix(work.path()).unwrap().display().to_string(), mode(p)))
        .collect();
    served.terminate();
    for (name, mode) in &modes[..2] {
        assert_eq!(*mode, 0o700, "{name} has mode {mode:o}: {modes:?}");
    }
    for (name, mode) in &modes[2..] {
        assert_eq!(*mode, 0o600, "{name} has mode {mode:o}: {modes:?}");
    }
}

/// A database file an older version left readable by others is narrowed when it is opened.
#[test]
fn a_database_readable_by_others_is_narrowed_on_open() {
    let work = Workdir::new();
    work.ok(&["client", "list"]);
    let db = work.path().join("data/identita.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    work.ok(&["client", "list"]);
    assert_eq!(mode(&db), 0o600);
}

/// Issue #11: `identita tls self-signed` made the keys directory 0755 when it came first.
#[test]
fn tls_self_signed_makes_a_private_keys_directory() {
    let work = Workdir::new();
    let out = work.ok(&["tls", "self-signed"]);
    assert_eq!(mode(&work.path().join("keys")), 0o700);
    for file in ["cert_file", "key_file"] {
        assert_eq!(mode(Path::new(out[file].as_str().unwrap())), 0o600, "{file}: {out}");
    }
}

/// Issue #11: a short or damaged `keys/pairwise.salt` was silently replaced, changing every
/// pairwise `sub`; now the start stops and names the file, which is left as it was.
#[test]
fn a_damaged_pairwise_salt_stops_the_start_naming_the_file() {
    let work = Workdir::new();
    work.ok(&["client", "list"]);
    let salt = work.path().join("keys/pairwise.salt");
    let original = std::fs::read_to_string(&salt).unwrap();
    assert!(original.len() >= 32, "{original}");
    for damaged in ["short".to_owned(), String::new(), "\0".repeat(40)] {
        std::fs::write(&salt, &damaged).unwrap();
        let error = assert_fails(&work.run(&["client", "list"]));
        assert!(error.contains("pairwise.salt"), "{error}");
        assert_eq!(std::fs::read_to_string(&salt).unwrap(), damaged, "the damaged salt was replaced");
    }
    std::fs::write(&salt, &original).unwrap();
    work.ok(&["client", "list"]);
    assert_eq!(std::fs::read_to_string(&salt).unwrap(), original);
}

/// Issue #11: at debug level the access log named every request's full URI, hints and tokens
/// included; now only harmless query values are kept.
#[tokio::test]
async fn hints_and_tokens_in_a_query_are_not_logged() {
    let work = Workdir::new();
    let log_path = work.path().join("identita.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let served = Served::start_with(&work, |command| {
        command.env("IDENTITA_LOG", "debug").stderr(log);
    })
    .await;
    let hint = "jan.novak.secret-hint%40example.cz";
    let id_token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtc3ViIn0.c2VjcmV0LXNpZ25hdHVyZQ";
    let url = format!(
        "{}/authorize?client_id=logged-client&response_type=code&scope=openid&login_hint={hint}\
         &id_token_hint={id_token}&state=secret-state&nonce=secret-nonce&code=secret-code",
        served.issuer
    );
    reqwest::get(url).await.unwrap();
    reqwest::get(format!("{}/cb?code=another-secret-code&state=s", served.issuer)).await.unwrap();
    served.terminate();

    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(text.contains("/authorize?client_id=logged-client"), "the request was logged:\n{text}");
    for secret in ["secret-hint", id_token, "secret-state", "secret-nonce", "secret-code"] {
        assert!(!text.contains(secret), "{secret} is in the log:\n{text}");
    }
}

/// `identita ARGS` in `dir` with only the given settings: nothing points it at a data directory.
fn bare(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut command = Command::new(env!("CARGO_BIN_EXE_identita"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("IDENTITA_")) {
        command.env_remove(name);
    }
    command
        .args(args)
        .current_dir(dir)
        .env("IDENTITA_PASSWORD__MEMORY_KIB", "256")
        .env("IDENTITA_PASSWORD__ITERATIONS", "1")
        .env("IDENTITA_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    outcome(finish_within(command.spawn().unwrap(), Duration::from_secs(60)))
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Issue #15: `identita client list` in another directory made a new, empty database there. Now
/// it finds the server's data through `--config` or the environment, and without either it names
/// the database it would use, refuses and creates nothing.
#[test]
fn a_command_in_another_directory_finds_the_servers_data_or_is_refused() {
    let server = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let (data, keys) = (server.path().join("data"), server.path().join("keys"));
    let config = server.path().join("identita.toml");
    std::fs::write(&config, format!("data_dir = {:?}\nkeys_dir = {:?}\n", data.display(), keys.display())).unwrap();

    // Where the server lives: `init` makes the store, the other commands use it.
    let before_init = bare(server.path(), &["client", "list"], &[]);
    let error = assert_fails(&before_init);
    assert!(error.contains(&data.join("identita.db").display().to_string()), "{error}");
    assert!(error.contains("identita init") && error.contains("--config"), "{error}");
    assert!(!data.exists() && !keys.exists(), "a refused command created {:?}", entries(server.path()));
    let init = bare(server.path(), &["init"], &[]);
    assert_eq!(init.code, 0, "{init:?}");
    assert_eq!(init.json["created"], true, "{init:?}");
    assert!(init.stderr.contains(&data.join("identita.db").display().to_string()), "{init:?}");
    assert!(init.stderr.contains(&config.display().to_string()), "{init:?}");
    assert_eq!(bare(server.path(), &["init"], &[]).json["created"], false, "init again changes nothing");
    let added =
        bare(server.path(), &["client", "add", "--id", "portal", "--redirect-uri", "http://127.0.0.1:9/cb"], &[]);
    assert_eq!(added.code, 0, "{added:?}");

    // Elsewhere, with nothing to point it there: told which database it would use, refused.
    let lost = bare(elsewhere.path(), &["client", "list"], &[]);
    let error = assert_fails(&lost);
    let would = elsewhere.path().join("data/identita.db");
    assert!(error.contains(&would.display().to_string()) && error.contains("no identita.toml"), "{error}");
    assert!(lost.stderr.contains(&would.display().to_string()), "the database is named on stderr: {lost:?}");
    let lost_add =
        bare(elsewhere.path(), &["client", "add", "--id", "lost", "--redirect-uri", "http://127.0.0.1:9/cb"], &[]);
    assert_fails(&lost_add);
    assert_eq!(entries(elsewhere.path()), Vec::<String>::new(), "a refused command created files");

    // Elsewhere, with --config or the environment: the same data.
    let config_arg = config.display().to_string();
    let with_config = bare(elsewhere.path(), &["--config", &config_arg, "client", "list"], &[]);
    assert_eq!(with_config.code, 0, "{with_config:?}");
    assert_eq!(ids(&with_config.json, "client_id"), ["portal"]);
    assert!(with_config.stderr.contains(&keys.display().to_string()), "{with_config:?}");
    let (data_env, keys_env) = (data.display().to_string(), keys.display().to_string());
    let env = [("IDENTITA_DATA_DIR", data_env.as_str()), ("IDENTITA_KEYS_DIR", keys_env.as_str())];
    let with_env = bare(elsewhere.path(), &["client", "list"], &env);
    assert_eq!(ids(&with_env.json, "client_id"), ["portal"], "{with_env:?}");
    assert_eq!(entries(elsewhere.path()), Vec::<String>::new());

    // A database URL names its file too; a mistyped one is refused as well.
    let url = format!("sqlite://{}/identita.db", data.display());
    let by_url = bare(elsewhere.path(), &["client", "list"], &[("IDENTITA_DATABASE_URL", &url), env[1]]);
    assert_eq!(ids(&by_url.json, "client_id"), ["portal"], "{by_url:?}");
    let typo = format!("sqlite://{}/identita-typo.db", data.display());
    let error = assert_fails(&bare(elsewhere.path(), &["user", "list"], &[("IDENTITA_DATABASE_URL", &typo), env[1]]));
    assert!(error.contains("identita-typo.db"), "{error}");
    assert!(!data.join("identita-typo.db").exists());
}

#[test]
fn a_bad_listen_value_is_named_with_the_form_expected() {
    let work = Workdir::new();
    for bad in ["localhost:8080", "8080"] {
        let error = assert_fails(&work.run_with(&["serve"], &[("IDENTITA_LISTEN", bad)]));
        assert!(error.contains(bad) && error.contains("127.0.0.1:8080"), "{bad}: {error}");
    }
}

#[test]
fn a_yaml_or_unknown_fixture_is_refused_naming_the_kinds_read() {
    let work = Workdir::new();
    for name in ["fixture.yaml", "fixture.yml", "fixture.txt", "fixture"] {
        work.write(name, "clients: []\n");
        let error = assert_fails(&work.run(&["seed", name]));
        assert!(error.contains(name) && error.contains(".toml or .json"), "{name}: {error}");
    }
}

#[test]
fn seed_errors_name_the_client_or_user_and_the_field() {
    let work = Workdir::new();
    work.write(
        "bad-user.toml",
        "[[users]]\nusername = \"jan\"\npassword = \"x\"\n[users.profile]\nbirthdate = \"1990-02-30\"\n",
    );
    let error = assert_fails(&work.run(&["seed", "bad-user.toml"]));
    assert!(error.contains("user \"jan\"") && error.contains("birthdate") && error.contains("1990-02-30"), "{error}");
    work.write(
        "bad-type.json",
        r#"{ "clients": [{ "client_id": "portal", "redirect_uris": "http://127.0.0.1:9/cb" }] }"#,
    );
    let error = assert_fails(&work.run(&["seed", "bad-type.json"]));
    assert!(error.contains("client \"portal\"") && error.contains("redirect_uris"), "{error}");
    work.write("no-id.toml", "[[clients]]\nredirect_uris = [\"ftp://x\"]\n");
    let error = assert_fails(&work.run(&["seed", "no-id.toml"]));
    assert!(error.contains("client #1"), "{error}");
    work.write("bad-uri.toml", "[[clients]]\nclient_id = \"spa\"\nredirect_uris = [\"not a uri\"]\n");
    let error = assert_fails(&work.run(&["seed", "bad-uri.toml"]));
    assert!(error.contains("client \"spa\""), "{error}");
    assert_eq!(ids(&work.ok(&["user", "list"]), "username"), Vec::<String>::new());
    let error = assert_fails(&work.run(&["user", "add", "eva", "--password", "x", "--birthdate", "2023-13-01"]));
    assert!(error.contains("2023-13-01"), "{error}");
}

#[test]
fn user_add_without_a_password_asks_for_a_terminal_or_reads_stdin_when_told() {
    let work = Workdir::new();
    let error = assert_fails(&work.run(&["user", "add", "jan"]));
    assert!(error.contains("--password-stdin") && error.contains("terminal"), "{error}");
    assert_eq!(ids(&work.ok(&["user", "list"]), "username"), Vec::<String>::new());
    let added = work.run_input(&["user", "add", "jan", "--password-stdin"], "tajne-heslo\n");
    assert_eq!(added.code, 0, "{added:?}");
    let changed = work.run_input(&["user", "set-password", "jan", "--password-stdin"], "nove-heslo\n");
    assert_eq!(changed.json["password"], "changed", "{changed:?}");
}

/// The error shown on the login page, if any.
fn login_error(html: &str) -> Option<String> {
    let start = html.find("id=\"login-error\"")?;
    let text = &html[start..];
    let text = &text[text.find('>')? + 1..];
    Some(text[..text.find("</p>")?].to_owned())
}

fn authorize_url(issuer: &str, client_id: &str, redirect: &str, scope: &str) -> String {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "{issuer}/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope={}&state=st&nonce=n",
        encode(redirect),
        encode(scope)
    )
}

async fn token(issuer: &str, client: (&str, &str), form: &[(&str, &str)]) -> (u16, Value) {
    let response =
        reqwest::Client::new().post(format!("{issuer}/token")).basic_auth(client.0, Some(client.1)).form(form).send();
    let response = response.await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// A code for `jan` (whose password is `password`) through the login page of a fresh browser.
async fn code_for(issuer: &str, url: &str, password: &str) -> String {
    let to = common::Browser::new().authorize(issuer, url, "jan", password).await;
    common::params_of(&to).get("code").cloned().unwrap_or_else(|| panic!("no code in {to}"))
}

#[tokio::test]
async fn a_disabled_user_cannot_log_in_or_refresh_and_a_removed_one_is_gone() {
    disabling_and_removing(Workdir::new()).await;
}

/// The same on PostgreSQL, with the sessions in Redis (skipped without them).
#[tokio::test]
async fn a_disabled_user_is_cut_off_on_postgres_and_redis() {
    let Some(deployment) = common::Deployment::create("cli_disable").await else { return };
    let env = vec![
        ("IDENTITA_DATABASE_URL".to_owned(), deployment.database.url.clone()),
        ("IDENTITA_REDIS_URL".to_owned(), deployment.redis.url.clone()),
        ("IDENTITA_REDIS_PREFIX".to_owned(), deployment.redis.prefix.clone()),
    ];
    // An empty database is not made into a store by an operator command: only `init` does.
    let keys = tempfile::tempdir().unwrap();
    let keys_dir = keys.path().display().to_string();
    let mut settings: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    settings.push(("IDENTITA_KEYS_DIR", &keys_dir));
    let error = assert_fails(&bare(keys.path(), &["client", "list"], &settings));
    assert!(error.contains("has no identita tables") && error.contains("identita init"), "{error}");
    assert!(!error.contains(&deployment.database.url), "the URL is shown whole: {error}");
    assert!(assert_fails(&bare(keys.path(), &["user", "list"], &settings)).contains("no identita tables"));
    disabling_and_removing(Workdir::with_env(env)).await;
}

async fn disabling_and_removing(work: Workdir) {
    let redirect = "http://127.0.0.1:9/cb";
    let client = ("portal", "portal-secret-for-the-test");
    work.ok(&["client", "add", "--id", client.0, "--redirect-uri", redirect, "--first-party", "--secret", client.1]);
    work.ok(&["user", "add", "jan", "--password", "heslo-jana"]);
    let served = Served::start(&work).await;
    let issuer = served.issuer.clone();
    // offline_access: a token that outlives the session must be revoked as well.
    let url = authorize_url(&issuer, client.0, redirect, "openid offline_access");
    let code = code_for(&issuer, &url, "heslo-jana").await;
    let (status, tokens) =
        token(&issuer, client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", redirect)])
            .await;
    assert_eq!(status, 200, "{tokens}");
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token").to_owned();

    let disabled = work.ok(&["user", "disable", "jan"]);
    assert_eq!(disabled["disabled"], true);
    assert!(disabled["tokens_revoked"].as_u64().unwrap() >= 2, "{disabled}");
    assert_eq!(disabled["sessions_ended"], 1, "{disabled}");
    let (status, body) = token(&issuer, client, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");

    // The login page says the same as for a wrong password: no oracle.
    let browser = common::Browser::new();
    let Landing::Page(200, login) = browser.visit(&issuer, &url).await else { panic!("no login page") };
    let right = [("username", "jan"), ("password", "heslo-jana")];
    let Landing::Page(_, refused) = browser.submit(&issuer, &login, "login", &right).await else {
        panic!("a disabled user logged in");
    };
    let wrong = [("username", "jan"), ("password", "spatne-heslo")];
    let Landing::Page(_, wrong) = browser.submit(&issuer, &refused, "login", &wrong).await else { panic!("logged in") };
    let refused_message = login_error(&refused).expect("an error on the login page");
    assert_eq!(Some(refused_message), login_error(&wrong), "a disabled account is told apart");

    work.ok(&["user", "enable", "jan"]);
    let code = code_for(&issuer, &url, "heslo-jana").await;
    let (status, tokens) =
        token(&issuer, client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", redirect)])
            .await;
    assert_eq!(status, 200, "{tokens}");
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    let removed = work.ok(&["user", "remove", "jan"]);
    assert_eq!(removed["removed"], "jan");
    assert_eq!(removed["sessions_ended"], 1, "{removed}");
    assert_eq!(ids(&work.ok(&["user", "list"]), "username"), Vec::<String>::new());
    let (status, body) = token(&issuer, client, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    let error = assert_fails(&work.run(&["user", "disable", "jan"]));
    assert!(error.contains("no user \"jan\""), "{error}");
    served.terminate();
}

#[tokio::test]
async fn consent_reset_shows_the_consent_page_again() {
    let work = Workdir::new();
    let redirect = "http://127.0.0.1:9/cb";
    work.ok(&["client", "add", "--id", "portal", "--redirect-uri", redirect]);
    work.ok(&["user", "add", "jan", "--password", "heslo-jana"]);
    let served = Served::start(&work).await;
    let issuer = served.issuer.clone();
    let url = authorize_url(&issuer, "portal", redirect, "openid profile");
    let browser = common::Browser::new();
    browser.authorize(&issuer, &url, "jan", "heslo-jana").await;
    // Signed in and consented: straight back to the portal.
    assert!(matches!(browser.visit(&issuer, &url).await, Landing::Redirect(_)), "asked again before the reset");

    let reset = work.ok(&["consent", "reset", "--user", "jan", "--client", "portal"]);
    assert_eq!(reset["consents_reset"], serde_json::json!(["portal"]));
    match browser.visit(&issuer, &url).await {
        Landing::Page(200, html) => assert!(html.contains("id=\"consent\""), "not the consent page:\n{html}"),
        other => panic!("no consent page after the reset: {other:?}"),
    }
    let again = work.ok(&["consent", "reset", "--user", "jan"]);
    assert_eq!(again["consents_reset"], serde_json::json!([]), "nothing left to reset");
    let error = assert_fails(&work.run(&["consent", "reset", "--user", "jan", "--client", "nobody"]));
    assert!(error.contains("nobody"), "{error}");
    served.terminate();
}

#[tokio::test]
async fn client_update_changes_what_is_given_and_keeps_the_secret_unless_rotated() {
    let work = Workdir::new();
    let secret = "the-first-secret-of-the-client";
    let add =
        ["client", "add", "--id", "api", "--grant-type", "client_credentials", "--secret", secret, "--name", "API"];
    work.ok(&add);
    let updated = work.ok(&["client", "update", "api", "--name", "Nové API"]);
    assert_eq!(updated["client_name"], "Nové API");
    assert_eq!(updated["grant_types"], serde_json::json!(["client_credentials"]), "{updated}");
    assert!(updated.get("client_secret").is_none(), "the secret was not asked to change: {updated}");
    assert_eq!(work.ok(&["client", "show", "api"])["client_name"], "Nové API");

    let served = Served::start(&work).await;
    let grant = [("grant_type", "client_credentials")];
    assert_eq!(token(&served.issuer, ("api", secret), &grant).await.0, 200, "the secret was kept");
    let rotated = work.ok(&["client", "update", "api", "--rotate-secret"]);
    let new_secret = rotated["client_secret"].as_str().expect("the new secret, once").to_owned();
    assert_ne!(new_secret, secret);
    // The server reads a changed client within a second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(token(&served.issuer, ("api", secret), &grant).await.0, 401, "the old secret still works");
    assert_eq!(token(&served.issuer, ("api", &new_secret), &grant).await.0, 200);
    served.terminate();

    let error = assert_fails(&work.run(&["client", "update", "nobody", "--name", "x"]));
    assert!(error.contains("nobody"), "{error}");
    let error = assert_fails(&work.run(&["client", "update", "api", "--redirect-uri", "javascript:alert(1)"]));
    assert!(error.contains("javascript:alert(1)"), "{error}");
}

/// NIA ID's number is enrolled by an operator: `user set-phone` gives an account a Czech mobile
/// number, after which the account signs in at substantial with the code sent there (read with
/// `identita outbox --json`, as a developer would).
#[tokio::test]
async fn set_phone_enrolls_nia_id_and_the_outbox_shows_its_code() {
    let work = Workdir::new();
    let redirect = "http://127.0.0.1:9/cb";
    let client = ("portal", "portal-secret-for-the-test");
    work.ok(&["client", "add", "--id", client.0, "--redirect-uri", redirect, "--first-party", "--secret", client.1]);
    work.ok(&["user", "add", "jan", "--password", "heslo-jana"]);

    let out = work.run(&["user", "set-phone", "jan", "601 123"]);
    assert_ne!(out.code, 0, "{out:?}");
    let error = out.json["error"].as_str().unwrap_or_default();
    assert!(error.contains("+420601123456"), "the message shows how to write it: {out:?}");
    let abroad = work.ok(&["user", "set-phone", "jan", "+421 901 123 456"]);
    assert_eq!(abroad["nia_id"], false, "{abroad}");
    let set = work.ok(&["user", "set-phone", "jan", "+420 601 123 456"]);
    assert_eq!((set["phone_number"].as_str(), set["nia_id"].as_bool()), (Some("+420601123456"), Some(true)), "{set}");

    let served = Served::start(&work).await;
    let issuer = served.issuer.clone();
    let browser = common::Browser::new();
    let url = authorize_url(&issuer, client.0, redirect, "openid loasubstantial");
    let Landing::Page(200, login) = browser.visit(&issuer, &url).await else { panic!("no login page") };
    let Landing::Page(200, sms) =
        browser.submit(&issuer, &login, "login", &[("username", "jan"), ("password", "heslo-jana")]).await
    else {
        panic!("no SMS page")
    };
    let outbox = work.ok(&["outbox", "--to", "+420601123456", "--json"]);
    let body = outbox[0]["body"].as_str().unwrap_or_else(|| panic!("no SMS in {outbox}"));
    let code = identita::authn::nia_id::code_in(body).unwrap();
    let Landing::Redirect(to) = browser.submit(&issuer, &sms, "sms", &[("code", code)]).await else {
        panic!("the code did not sign in")
    };
    assert!(common::params_of(&to).contains_key("code"), "{to}");
}
