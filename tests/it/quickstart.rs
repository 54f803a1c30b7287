//! The README's quick start, run as it is written: `serve --dev` (the README's command, the
//! `identita` binary in a fresh working directory) prints how to sign in, a test citizen signs in
//! through the login form, the README's curl commands exchange the code and read userinfo, and
//! each relying-party snippet (Rust `openidconnect`, Python Authlib, Node openid-client) signs in
//! too. The README shows each snippet's file verbatim; a test keeps them equal. Dev mode refuses
//! a listen address or issuer off loopback, and a second start on the same data changes nothing.
//!
//! The only settings a test changes are `IDENTITA_LISTEN` and `IDENTITA_ISSUER` (a free port
//! instead of the README's 8080). Python needs Authlib and requests, Node `npm ci` in
//! tests/third_party: without them those tests say SKIPPED, and fail under `CI=true`.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use common::{Browser, TestServer};
use serde_json::{Value, json};

#[allow(dead_code)]
#[path = "../../examples/quickstart/rp.rs"]
mod rust_rp;

const README: &str = include_str!("../../README.md");
/// The issuer the README's commands name (the default).
const README_ISSUER: &str = "http://127.0.0.1:8080";
const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// The lines of the code block after `<!-- quickstart:NAME -->` in the README, each with its
/// newline.
fn block(name: &str) -> String {
    let marker = format!("<!-- quickstart:{name} -->\n");
    let at = README.find(&marker).unwrap_or_else(|| panic!("the README has no {marker:?}")) + marker.len();
    let mut lines = README[at..].lines();
    assert!(lines.next().is_some_and(|l| l.starts_with("```")), "{marker:?} is not followed by a code block");
    lines.take_while(|l| !l.starts_with("```")).map(|l| format!("{l}\n")).collect()
}

/// A command of the README with the test's issuer for the README's.
fn readme_command(name: &str, issuer: &str) -> String {
    block(name).replace(README_ISSUER, issuer)
}

fn identita(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_identita"));
    // Settings of the developer's shell must not reach the quick start.
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("IDENTITA_")) {
        command.env_remove(name);
    }
    command.args(args).current_dir(dir).stdin(Stdio::null());
    command
}

/// `identita serve --dev` as the README starts it, on a free loopback port; killed when dropped.
struct DevServer {
    child: Child,
    issuer: String,
    /// What it printed on standard output up to its summary's last line.
    summary: String,
}

impl DevServer {
    async fn start(dir: &Path) -> Self {
        let serve = block("serve");
        let args: Vec<&str> = serve
            .trim()
            .strip_prefix("cargo run -- ")
            .unwrap_or_else(|| panic!("the README starts identita otherwise: {serve}"))
            .split_whitespace()
            .collect();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let issuer = format!("http://127.0.0.1:{port}");
        let mut child = identita(dir, &args)
            .env("IDENTITA_LISTEN", format!("127.0.0.1:{port}"))
            .env("IDENTITA_ISSUER", &issuer)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut summary = String::new();
        let start = Instant::now();
        while !summary.contains("seeded from examples/dev-seed.toml:") {
            let left = Duration::from_secs(60).saturating_sub(start.elapsed());
            match rx.recv_timeout(left) {
                Ok(line) => summary.push_str(&format!("{line}\n")),
                Err(_) => panic!("serve --dev printed no summary within 60 s; it printed:\n{summary}"),
            }
        }
        let server = Self { child, issuer, summary };
        let http = reqwest::Client::new();
        loop {
            if let Ok(r) = http.get(format!("{}/readyz", server.issuer)).send().await
                && r.status().is_success()
            {
                return server;
            }
            assert!(start.elapsed() < Duration::from_secs(60), "serve --dev did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops it with SIGTERM, as Ctrl-C would, and waits for the exit.
    fn stop(mut self) {
        let sent = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().unwrap();
        assert!(sent.success());
        let start = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(start.elapsed() < Duration::from_secs(10), "serve --dev did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `sub` of the account `username` in the store of `dir`, as `identita user list` shows it.
fn sub_of(dir: &Path, username: &str) -> String {
    let out = identita(dir, &["user", "list"]).output().unwrap();
    let users: Value = serde_json::from_slice(&out.stdout).unwrap();
    let user = users.as_array().unwrap().iter().find(|u| u["username"] == username);
    user.unwrap_or_else(|| panic!("no {username} in {users}"))["id"].as_str().unwrap().to_owned()
}

/// Runs a README shell command with `sh`; returns its standard output as JSON.
fn sh_json(script: &str) -> Value {
    let out = Command::new("sh").arg("-c").arg(script).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{script} failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{script} printed no JSON ({e}): {stdout}"))
}

fn claims_of(id_token: &str) -> Value {
    let payload = id_token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn the_readme_quick_start_signs_a_citizen_in_with_curl() {
    let dir = tempfile::tempdir().unwrap();
    let server = DevServer::start(dir.path()).await;
    let issuer = &server.issuer;
    let summary = &server.summary;
    for line in [
        format!("issuer:         {issuer}"),
        format!("discovery:      {issuer}/.well-known/openid-configuration"),
        format!("jwks:           {issuer}/jwks"),
        "client_id:      demo-portal".to_owned(),
        "client_secret:  demo-portal-secret".to_owned(),
        "redirect_uris:  http://localhost:3000/callback".to_owned(),
        "http://127.0.0.1:8081/callback".to_owned(),
        "post_logout:    http://localhost:3000/".to_owned(),
    ] {
        assert!(summary.contains(&line), "the summary lacks {line:?}:\n{summary}");
    }
    for (username, password, name) in
        [("jan.novak", "heslo-jan", "Jan Novák"), ("eliska.dvorakova", "heslo-eliska", "Eliška Dvořáková")]
    {
        let row = summary.lines().find(|l| l.trim_start().starts_with(username)).unwrap_or_else(|| panic!("{summary}"));
        assert!(row.contains(password) && row.contains(name), "{row}");
    }
    assert!(summary.contains("4 created, 0 unchanged, 0 changed"), "{summary}");

    // The README's sign-in URL is the one the summary prints.
    let authorize = readme_command("authorize", issuer);
    let authorize = authorize.trim();
    assert!(summary.lines().any(|l| l.trim() == authorize), "the summary does not print {authorize}:\n{summary}");
    let back = Browser::new().authorize(issuer, authorize, "jan.novak", "heslo-jan").await;
    assert!(back.starts_with("http://localhost:8000/callback?"), "{back}");
    let params = common::params_of(&back);
    assert_eq!(params["state"], "demo");

    let token_command = readme_command("token", issuer);
    assert!(token_command.contains("CODE=..."), "{token_command}");
    let tokens = sh_json(&token_command.replace("CODE=...", &format!("CODE='{}'", params["code"])));
    assert_eq!(tokens["token_type"], "Bearer", "{tokens}");
    let claims = claims_of(tokens["id_token"].as_str().unwrap());
    let sub = sub_of(dir.path(), "jan.novak");
    assert_eq!(claims["sub"], json!(sub));
    assert_eq!(claims["iss"], json!(issuer));
    assert_eq!(claims["aud"], json!("demo-portal"));

    let userinfo_command = readme_command("userinfo", issuer);
    let access_token = tokens["access_token"].as_str().unwrap();
    let userinfo = sh_json(&userinfo_command.replace("ACCESS_TOKEN=...", &format!("ACCESS_TOKEN='{access_token}'")));
    assert_eq!(userinfo["sub"], json!(sub));
    assert_eq!(userinfo["name"], "Jan Novák");
    assert_eq!(userinfo["birthdate"], "1985-03-14");
    assert_eq!(userinfo["email"], "jan.novak@example.cz");
    server.stop();
}

#[tokio::test]
async fn the_landing_page_lists_citizens_and_clients_in_dev_mode_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = DevServer::start(dir.path()).await;
    let page = |lang: &'static str| {
        let url = format!("{}/?lang={lang}", server.issuer);
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let czech = page("cs").await;
    for shown in [
        "id=\"landing-citizens\"",
        "Testovací občané",
        "<code>jan.novak</code>",
        "<code>heslo-jan</code>",
        "Jiří Černý",
        "<code>demo-portal</code>",
        "Demo portál",
        "<code>http://localhost:8000/callback</code>",
    ] {
        assert!(czech.contains(shown), "the dev landing page lacks {shown:?}:\n{czech}");
    }
    let english = page("en").await;
    assert!(english.contains("Test citizens") && english.contains("<code>heslo-eliska</code>"), "{english}");
    server.stop();

    // The same kind of data on a server that is not in dev mode: none of it is shown.
    let plain = TestServer::start().await;
    plain
        .add_client(
            json!({ "client_id": "portal", "client_name": "Portál", "redirect_uris": ["http://127.0.0.1:9/cb"] }),
        )
        .await;
    plain.add_user("jan.novak", "heslo-jan", json!({ "name": "Jan Novák" })).await;
    let html = reqwest::get(plain.url("/")).await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"landing-issuer\""), "{html}");
    for hidden in ["landing-dev", "jan.novak", "Jan Novák", "heslo-jan", "<code>portal</code>"] {
        assert!(!html.contains(hidden), "a landing page outside dev mode shows {hidden:?}:\n{html}");
    }
}

#[test]
fn the_readme_shows_each_snippet_file_verbatim() {
    let marker = "<!-- quickstart:file ";
    let files: Vec<&str> = README
        .match_indices(marker)
        .map(|(at, _)| &README[at + marker.len()..])
        .map(|rest| &rest[..rest.find(" -->").unwrap()])
        .collect();
    assert_eq!(
        files,
        ["examples/quickstart/rp.rs", "examples/quickstart/authlib_rp.py", "examples/quickstart/openid_client_rp.mjs"]
    );
    for file in files {
        let text = std::fs::read_to_string(Path::new(MANIFEST).join(file)).unwrap();
        assert_eq!(block(&format!("file {file}")), text, "the README's copy of {file} differs from the file");
    }
}

#[tokio::test]
async fn the_rust_snippet_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    let server = DevServer::start(dir.path()).await;
    let issuer = server.issuer.clone();
    let browser = Browser::new();
    let (sub, name) = rust_rp::sign_in(&issuer, async |url| {
        let back = browser.authorize(&issuer, &url, "jan.novak", "heslo-jan").await;
        assert!(back.starts_with("http://localhost:8081/callback?"), "{back}");
        back
    })
    .await
    .unwrap();
    assert_eq!(sub, sub_of(dir.path(), "jan.novak"));
    assert_eq!(name, "Jan Novák");
    server.stop();
}

/// Runs a snippet as a developer would (`program` with `args`, the issuer in `IDENTITA_ISSUER`):
/// signs in at the URL it prints as `username`, gives it the address the browser came back to,
/// and returns the `sub` and name it printed.
async fn run_snippet(server: &DevServer, mut command: Command, username: &str, password: &str) -> (String, String) {
    let mut child = command
        .env("IDENTITA_ISSUER", &server.issuer)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    let read = tokio::task::block_in_place(|| stdout.read_line(&mut first)).unwrap();
    let Some(url) = first.trim().strip_prefix("open: ") else {
        let output = child.wait_with_output().unwrap();
        panic!("the snippet printed {first:?} ({read} bytes):\n{}", String::from_utf8_lossy(&output.stderr));
    };
    let back = Browser::new().authorize(&server.issuer, url, username, password).await;
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{back}").unwrap();
    drop(stdin);
    let (rest, output) = tokio::task::block_in_place(|| {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut rest);
        (rest, child.wait_with_output().unwrap())
    });
    assert!(output.status.success(), "the snippet failed:\n{rest}\n{}", String::from_utf8_lossy(&output.stderr));
    let signed_in = rest.split("signed in: ").nth(1).unwrap_or_else(|| panic!("no \"signed in:\" in {rest}"));
    let (sub, name) = signed_in.trim().split_once(' ').unwrap();
    (sub.to_owned(), name.to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_authlib_snippet_signs_in() {
    let test = "the_authlib_snippet_signs_in";
    let ready =
        Command::new("python3").args(["-c", "import authlib, requests"]).output().is_ok_and(|o| o.status.success());
    if !ready {
        common::under_ci_a_skip_fails(test, "python3 with Authlib and requests");
        eprintln!("SKIPPED {test}: run `python3 -m pip install authlib requests` to run it");
        common::skips::record(test, common::skips::Needs::Python);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = DevServer::start(dir.path()).await;
    let mut command = Command::new("python3");
    command.arg(Path::new(MANIFEST).join("examples/quickstart/authlib_rp.py"));
    let (sub, name) = run_snippet(&server, command, "eliska.dvorakova", "heslo-eliska").await;
    assert_eq!(sub, sub_of(dir.path(), "eliska.dvorakova"));
    assert_eq!(name, "Eliška Dvořáková");
    server.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openid_client_snippet_signs_in() {
    let test = "the_openid_client_snippet_signs_in";
    let modules = Path::new(MANIFEST).join("tests/third_party/node_modules");
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !node || !modules.join("openid-client").exists() {
        common::under_ci_a_skip_fails(test, "node and `npm ci` in tests/third_party");
        eprintln!("SKIPPED {test}: run `npm ci` in tests/third_party (needs Node.js) to run it");
        common::skips::record(test, common::skips::Needs::Node);
        return;
    }
    // The snippet as a developer's project holds it: beside a node_modules with openid-client.
    let project = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&modules, project.path().join("node_modules")).unwrap();
    let script: PathBuf = project.path().join("rp.mjs");
    std::fs::copy(Path::new(MANIFEST).join("examples/quickstart/openid_client_rp.mjs"), &script).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let server = DevServer::start(dir.path()).await;
    let mut command = Command::new("node");
    command.arg(&script);
    let (sub, name) = run_snippet(&server, command, "jiri.cerny", "heslo-jiri").await;
    assert_eq!(sub, sub_of(dir.path(), "jiri.cerny"));
    assert_eq!(name, "Jiří Černý");
    server.stop();
}

#[test]
fn dev_mode_refuses_a_listen_address_or_issuer_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    for (listen, issuer, named) in [
        ("0.0.0.0:18080", "http://127.0.0.1:18080", "0.0.0.0:18080"),
        ("127.0.0.1:18080", "https://idp.example.cz", "https://idp.example.cz"),
    ] {
        let out = identita(dir.path(), &["serve", "--dev"])
            .env("IDENTITA_LISTEN", listen)
            .env("IDENTITA_ISSUER", issuer)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
        let error = printed["error"].as_str().unwrap();
        assert!(error.contains(named) && error.contains("loopback") && error.contains("dev mode"), "{error}");
    }
    assert!(!dir.path().join("data").exists() && !dir.path().join("keys").exists(), "a refused start made a store");
}

#[tokio::test]
async fn a_second_dev_start_duplicates_nothing_and_keeps_a_changed_password() {
    let dir = tempfile::tempdir().unwrap();
    DevServer::start(dir.path()).await.stop();
    let again = DevServer::start(dir.path()).await;
    assert!(again.summary.contains("0 created, 4 unchanged, 0 changed"), "{}", again.summary);
    again.stop();
    let list = |what: &str| -> Value {
        serde_json::from_slice(&identita(dir.path(), &[what, "list"]).output().unwrap().stdout).unwrap()
    };
    assert_eq!(list("user").as_array().unwrap().len(), 3);
    assert_eq!(list("client").as_array().unwrap().len(), 1);
    // The register's test citizens, once, and the demo accounts belong to theirs.
    let register: Value =
        serde_json::from_slice(&identita(dir.path(), &["registry", "list"]).output().unwrap().stdout).unwrap();
    assert_eq!(register["total"], 9, "{register}");
    let jan: Value =
        serde_json::from_slice(&identita(dir.path(), &["registry", "show", "jan-novak"]).output().unwrap().stdout)
            .unwrap();
    assert_eq!(jan["accounts"], serde_json::json!(["jan.novak"]), "{jan}");

    // A password the developer changed is theirs: the next start keeps it and says so.
    let set =
        identita(dir.path(), &["user", "set-password", "jan.novak", "--password", "moje-heslo"]).output().unwrap();
    assert!(set.status.success(), "{set:?}");
    let third = DevServer::start(dir.path()).await;
    assert!(third.summary.contains("0 created, 3 unchanged, 1 changed and kept"), "{}", third.summary);
    let row = third.summary.lines().find(|l| l.trim_start().starts_with("jan.novak")).unwrap();
    assert!(row.contains("not the demo password") && !row.contains("heslo-jan"), "{row}");
    let landing = reqwest::get(format!("{}/", third.issuer)).await.unwrap().text().await.unwrap();
    assert!(!landing.contains("heslo-jan") && landing.contains("heslo-eliska"), "{landing}");
    let authorize = readme_command("authorize", &third.issuer);
    let back = Browser::new().authorize(&third.issuer, authorize.trim(), "jan.novak", "moje-heslo").await;
    assert!(common::params_of(&back).contains_key("code"), "{back}");
    third.stop();
}

/// The README's NIA ID sign-in: its authorization URL asks for substantial, and its script plays
/// the citizen through the login form and the SMS code (read from dev mode's outbox); the code it
/// comes back with gives an ID token at substantial.
#[tokio::test(flavor = "multi_thread")]
async fn the_readme_nia_id_script_signs_a_citizen_in_at_substantial() {
    let test = "the_readme_nia_id_script_signs_a_citizen_in_at_substantial";
    let ready = Command::new("python3").args(["-c", "import requests"]).output().is_ok_and(|o| o.status.success());
    if !ready {
        common::under_ci_a_skip_fails(test, "python3 with requests");
        eprintln!("SKIPPED {test}: run `python3 -m pip install requests` to run it");
        common::skips::record(test, common::skips::Needs::Python);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = DevServer::start(dir.path()).await;
    let authorize = readme_command("nia-id", &server.issuer).trim().to_owned();
    let script = block("nia-id-script");
    assert!(script.contains("\"$AUTHORIZATION_URL\""), "{script}");
    let out = tokio::task::block_in_place(|| {
        Command::new("sh")
            .arg("-c")
            .arg(script.trim())
            .current_dir(MANIFEST)
            .env("AUTHORIZATION_URL", &authorize)
            .output()
            .unwrap()
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the script failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let back = stdout.trim();
    assert!(back.starts_with("http://localhost:8000/callback?"), "{back}");
    let code = common::params_of(back)["code"].clone();
    let tokens: Value = reqwest::Client::new()
        .post(format!("{}/token", server.issuer))
        .basic_auth("demo-portal", Some("demo-portal-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://localhost:8000/callback"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let claims = claims_of(tokens["id_token"].as_str().unwrap_or_else(|| panic!("{tokens}")));
    assert_eq!(claims["acr"], "http://eidas.europa.eu/LoA/substantial", "{claims}");
    assert_eq!(claims["amr"], json!(["pwd", "sms", "mfa"]));
    assert_eq!(claims["sub"], json!(sub_of(dir.path(), "jan.novak")));
    server.stop();
}

/// Dev mode gives each test citizen an eObčanka: the summary names the card file, and the card
/// signs the citizen in at high with `identita card login`, as the README says.
#[tokio::test]
async fn dev_mode_cards_sign_a_citizen_in_at_high() {
    let dir = tempfile::tempdir().unwrap();
    let server = DevServer::start(dir.path()).await;
    let issuer = &server.issuer;
    let summary = &server.summary;
    assert!(summary.contains("IOK 1234, DOK 12345678"), "{summary}");
    let file = summary
        .lines()
        .find_map(|l| l.trim().strip_prefix("eObčanka of jan.novak: "))
        .unwrap_or_else(|| panic!("no card for jan.novak in:\n{summary}"))
        .to_owned();
    assert!(Path::new(&file).is_file(), "{file}");

    let authorize =
        readme_command("authorize", issuer).trim().replace("scope=openid+profile+email", "scope=openid+loahigh");
    let browser = Browser::new();
    let common::Landing::Page(200, html) = browser.visit(issuer, &authorize).await else { panic!("no login page") };
    let marker = r#"<code id="card-url">"#;
    let start = html.find(marker).unwrap_or_else(|| panic!("no challenge:\n{html}")) + marker.len();
    let url = html[start..start + html[start..].find('<').unwrap()].replace("&#x2f;", "/").replace("&#47;", "/");
    let out = identita(dir.path(), &["card", "login", &file, "--url", &url, "--iok", "1234"]).output().unwrap();
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["status"], "signed", "{answer}");
    let mut landing = browser.submit(issuer, &html, "card", &[("action", "continue")]).await;
    if let common::Landing::Page(_, consent) = &landing {
        landing = browser.submit(issuer, consent, "consent", &[("decision", "allow")]).await;
    }
    let common::Landing::Redirect(back) = landing else { panic!("not back at the portal: {landing:?}") };
    let params = common::params_of(&back);
    let tokens = sh_json(&readme_command("token", issuer).replace("CODE=...", &format!("CODE='{}'", params["code"])));
    let claims = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["acr"], "http://eidas.europa.eu/LoA/high", "{claims}");
    assert_eq!(claims["amr"], json!(["sc", "pin", "mfa"]), "{claims}");
    assert_eq!(claims["sub"], json!(sub_of(dir.path(), "jan.novak")));
}

/// Dev mode pairs a MEG device for each test citizen: the summary names the device file, and
/// `identita meg approve` signs the citizen in at substantial with `amr` `swk mfa`.
#[tokio::test]
async fn dev_mode_phones_sign_a_citizen_in_at_substantial() {
    let dir = tempfile::tempdir().unwrap();
    let server = DevServer::start(dir.path()).await;
    let issuer = &server.issuer;
    let summary = &server.summary;
    let file = summary
        .lines()
        .find_map(|l| l.trim().strip_prefix("MEG of jan.novak: "))
        .unwrap_or_else(|| panic!("no MEG device for jan.novak in:\n{summary}"))
        .to_owned();
    assert!(Path::new(&file).is_file(), "{file}");

    let authorize =
        readme_command("authorize", issuer).trim().replace("scope=openid+profile+email", "scope=openid+loasubstantial");
    let browser = Browser::new();
    let common::Landing::Page(200, html) = browser.visit(issuer, &authorize).await else { panic!("no login page") };
    let marker = r#"data-means="meg" href=""#;
    let start = html.find(marker).unwrap_or_else(|| panic!("no MEG:\n{html}")) + marker.len();
    let href = html[start..start + html[start..].find('"').unwrap()].replace("&#38;", "&").replace("&amp;", "&");
    let common::Landing::Page(200, html) = browser.visit(issuer, &format!("{issuer}{href}")).await else {
        panic!("no MEG page")
    };
    let marker = r#"<code id="meg-url">"#;
    let start = html.find(marker).unwrap_or_else(|| panic!("no challenge:\n{html}")) + marker.len();
    let url = html[start..start + html[start..].find('<').unwrap()].replace("&#x2f;", "/").replace("&#47;", "/");
    let out = identita(dir.path(), &["meg", "approve", &url, "--device", &file]).output().unwrap();
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["status"], "approved", "{answer}");
    let mut landing = browser.submit(issuer, &html, "meg", &[("action", "continue")]).await;
    if let common::Landing::Page(_, consent) = &landing {
        landing = browser.submit(issuer, consent, "consent", &[("decision", "allow")]).await;
    }
    let common::Landing::Redirect(back) = landing else { panic!("not back at the portal: {landing:?}") };
    let params = common::params_of(&back);
    let tokens = sh_json(&readme_command("token", issuer).replace("CODE=...", &format!("CODE='{}'", params["code"])));
    let claims = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["acr"], "http://eidas.europa.eu/LoA/substantial", "{claims}");
    assert_eq!(claims["amr"], json!(["swk", "mfa"]), "{claims}");
    server.stop();
}
