//! The login pages in a real browser (headless Chromium through chromedriver): a person logs in,
//! consents, and lands back at the relying party; the form-post page submits itself under our
//! Content-Security-Policy; the logout confirmation works by clicking.
//!
//! Runs when chromedriver is at `/usr/bin/chromedriver` (Debian's `chromium-driver`) or where
//! `IDENTITA_TEST_CHROMEDRIVER` says (Chromium at `IDENTITA_TEST_CHROMIUM`, default
//! `/usr/bin/chromium`). Without it the tests say they were skipped — and fail under `CI=true`,
//! where a skip would hide a missing install step.

use crate::common;

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use common::TestServer;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

pub(crate) struct Driver {
    child: Child,
    port: u16,
    profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver, or returns `None` (skip) when it is not configured.
pub(crate) async fn driver(test: &str) -> Option<Driver> {
    let configured = std::env::var("IDENTITA_TEST_CHROMEDRIVER").ok();
    let installed = std::path::Path::new("/usr/bin/chromedriver").exists().then(|| "/usr/bin/chromedriver".to_string());
    let Some(path) = configured.or(installed) else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{test}: no chromedriver found, and under CI=true a skipped browser test is a failure");
        }
        eprintln!(
            "SKIPPED {test}: install Debian's chromium and chromium-driver (or set IDENTITA_TEST_CHROMEDRIVER) to run the browser tests"
        );
        common::skips::record(test, common::skips::Needs::Chromedriver);
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    // Owned by the guard from here on, so it is killed on every path.
    let driver = Driver { child, port, profile: tempfile::tempdir().unwrap() };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Some(driver);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start on port {port}");
}

async fn browser(driver: &Driver) -> Client {
    browser_in(driver, "en").await
}

/// A browser session whose language (`Accept-Language`, the UI) is `language` (`cs` or `en`).
pub(crate) async fn browser_in(driver: &Driver, language: &str) -> Client {
    let chromium = std::env::var("IDENTITA_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", format!("--lang={language}"), "--window-size=1000,900",
                format!("--user-data-dir={}", driver.profile.path().join(language).display()),
            ],
            "prefs": { "intl.accept_languages": language },
        }),
    );
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

/// A relying party's callback on loopback that records what arrives (query or form body).
pub(crate) async fn relying_party() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record_get = seen.clone();
    let record_post = seen.clone();
    let app = Router::new().route(
        "/cb",
        get(move |uri: axum::http::Uri| async move {
            record_get.lock().unwrap().push(uri.query().unwrap_or_default().to_string());
            "signed in"
        })
        .post(move |body: String| async move {
            record_post.lock().unwrap().push(body);
            "signed in"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/cb"), seen)
}

pub(crate) async fn wait_for<F: Fn() -> bool>(what: &str, ok: F) {
    for _ in 0..100 {
        if ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn screenshot_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn setup(response_mode: Option<&str>) -> (TestServer, String, Arc<Mutex<Vec<String>>>, String) {
    let server = TestServer::start().await;
    let (callback, seen) = relying_party().await;
    server
        .add_client(json!({
            "client_id": "portal",
            "client_name": "Portál občana",
            "redirect_uris": [callback],
            "post_logout_redirect_uris": [callback],
        }))
        .await;
    server.add_user("jana", "tajne-heslo", json!({ "name": "Jana Dvořáková", "email": "jana@example.cz" })).await;
    let mode = response_mode.map(|m| format!("&response_mode={m}")).unwrap_or_default();
    let url = format!(
        "{}/authorize?client_id=portal&response_type=code&scope=openid%20email&state=st4te&nonce=n0nce&redirect_uri={}{mode}",
        server.issuer,
        urlencode(&callback)
    );
    (server, callback, seen, url)
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn log_in(client: &Client, url: &str, shot: &str) {
    client.goto(url).await.unwrap();
    client.wait().for_element(Locator::Css("form#login")).await.unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshot_dir().join(shot), png).unwrap();
    assert_eq!(client.find(Locator::Css("html")).await.unwrap().attr("lang").await.unwrap().as_deref(), Some("en"));
    client.find(Locator::Id("username")).await.unwrap().send_keys("jana").await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys("tajne-heslo").await.unwrap();
    client.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("consent-allow")).await.unwrap().click().await.unwrap();
}

#[tokio::test]
async fn a_person_logs_in_and_consents_in_a_real_browser() {
    let Some(driver) = driver("a_person_logs_in_and_consents_in_a_real_browser").await else { return };
    let (server, callback, seen, url) = setup(None).await;
    let client = browser(&driver).await;
    log_in(&client, &url, "login.png").await;
    wait_for("the callback", || !seen.lock().unwrap().is_empty()).await;
    let query = seen.lock().unwrap()[0].clone();
    let params: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    assert!(params.get("code").is_some_and(|c| c.len() >= 43), "{query}");
    assert_eq!(params.get("state").map(String::as_str), Some("st4te"));
    assert!(client.current_url().await.unwrap().as_str().starts_with(&callback));

    // The SSO session: a second authorization goes straight back, without any page.
    seen.lock().unwrap().clear();
    client.goto(&url).await.unwrap();
    wait_for("the silent callback", || !seen.lock().unwrap().is_empty()).await;
    client.close().await.unwrap();
    drop(server);
}

#[tokio::test]
async fn the_form_post_page_submits_itself_under_the_content_security_policy() {
    let Some(driver) = driver("the_form_post_page_submits_itself_under_the_content_security_policy").await else {
        return;
    };
    let (_server, _callback, seen, url) = setup(Some("form_post")).await;
    let client = browser(&driver).await;
    log_in(&client, &url, "login-form-post.png").await;
    wait_for("the form post", || !seen.lock().unwrap().is_empty()).await;
    let body = seen.lock().unwrap()[0].clone();
    assert!(body.contains("code=") && body.contains("state=st4te"), "{body}");
    client.close().await.unwrap();
}

#[tokio::test]
async fn logging_out_without_a_hint_asks_and_then_logs_out() {
    let Some(driver) = driver("logging_out_without_a_hint_asks_and_then_logs_out").await else { return };
    let (server, _callback, seen, url) = setup(None).await;
    let client = browser(&driver).await;
    log_in(&client, &url, "login-logout.png").await;
    wait_for("the callback", || !seen.lock().unwrap().is_empty()).await;

    client.goto(&format!("{}/logout", server.issuer)).await.unwrap();
    let confirm = client.wait().for_element(Locator::Id("logout-confirm")).await.unwrap();
    std::fs::write(screenshot_dir().join("logout-confirm.png"), client.screenshot().await.unwrap()).unwrap();
    confirm.click().await.unwrap();
    client.wait().for_element(Locator::Id("logged-out")).await.unwrap();

    // Logged out: the next authorization asks for the password again.
    client.goto(&url).await.unwrap();
    client.wait().for_element(Locator::Css("form#login")).await.unwrap();
    client.close().await.unwrap();
}
