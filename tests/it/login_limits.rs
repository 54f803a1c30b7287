//! The limits on password guessing, as an attacker and the account's owner meet them at the login
//! page: a parallel burst gets no more password checks than the threshold, someone else's
//! failures hold the owner back for a short wait only (and the page says how long), one address
//! is throttled across accounts, and every failed login is logged with its context.
//!
//! Each attempt comes from an address of its own through a trusted proxy (`X-Forwarded-For`
//! from 127.0.0.1), as a botnet or a crowd of people would.

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Browser, Landing, TestServer};
use identita::config::Config;
use serde_json::json;

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const USER: &str = "jan";
const PASSWORD: &str = "heslo-123";

/// A server trusting the test's own address as a proxy, with `jan` and a first-party client.
async fn setup(tweak: impl FnOnce(&mut Config)) -> (TestServer, String) {
    let server = TestServer::start_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        tweak(c);
    })
    .await;
    server.add_user(USER, PASSWORD, json!({ "name": "Jan Novák" })).await;
    let (client_id, _) =
        server.add_client(json!({ "redirect_uris": [REDIRECT], "first_party": true, "client_name": "Portál" })).await;
    (server, client_id)
}

fn authorize_url(server: &TestServer, client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid")
        .append_pair("state", "st");
    url.query_pairs_mut().extend_pairs(extra);
    url.into()
}

/// A browser whose requests come from `address` (through the trusted proxy).
fn browser_from(address: &str) -> Browser {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", address.parse().unwrap());
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap();
    Browser { http }
}

/// A login page opened in `browser`.
async fn login_page(server: &TestServer, browser: &Browser, client_id: &str, extra: &[(&str, &str)]) -> String {
    match browser.visit(&server.issuer, &authorize_url(server, client_id, extra)).await {
        Landing::Page(200, html) if html.contains("id=\"login\"") => html,
        other => panic!("expected the login page, got {other:?}"),
    }
}

/// One attempt at `username` from `address`, in a login of its own.
async fn attempt_from(server: &TestServer, client_id: &str, address: &str, username: &str, password: &str) -> Landing {
    let browser = browser_from(address);
    let html = login_page(server, &browser, client_id, &[]).await;
    browser.submit(&server.issuer, &html, "login", &[("username", username), ("password", password)]).await
}

fn status_of(landing: &Landing) -> u16 {
    match landing {
        Landing::Page(status, _) => *status,
        Landing::Redirect(to) => panic!("a refused login redirected to {to}"),
    }
}

/// The text of `#login-error`.
fn login_error(landing: &Landing) -> String {
    let Landing::Page(_, html) = landing else { panic!("not a page: {landing:?}") };
    let start = html.find("id=\"login-error\"").unwrap_or_else(|| panic!("no #login-error in:\n{html}"));
    let open = html[start..].find('>').unwrap() + start + 1;
    let close = html[open..].find('<').unwrap() + open;
    html[open..close].trim().to_owned()
}

/// Whether `browser` holds a session: a `prompt=none` request gets a code.
async fn logged_in(server: &TestServer, browser: &Browser, client_id: &str) -> bool {
    match browser.visit(&server.issuer, &authorize_url(server, client_id, &[("prompt", "none")])).await {
        Landing::Redirect(to) => common::params_of(&to).contains_key("code"),
        Landing::Page(status, html) => panic!("prompt=none showed a page ({status}):\n{html}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_lockout_cannot_be_raced_by_parallel_guesses() {
    const GUESSES: usize = 150;
    let threshold = 10;
    let (server, client_id) = setup(|c| {
        c.password.lockout_threshold = threshold;
        c.password.lockout_window = 900;
    })
    .await;
    // A botnet: every guess from an address and a login of its own, all pages open beforehand.
    let mut prepared = Vec::new();
    for i in 0..GUESSES {
        let browser = browser_from(&format!("10.1.{}.{}", i / 250, i % 250 + 1));
        let html = login_page(&server, &browser, &client_id, &[]).await;
        prepared.push((browser, html));
    }
    let owner = browser_from("192.0.2.200");
    let owner_page = login_page(&server, &owner, &client_id, &[]).await;
    let before = server.authn.passwords.verifications();

    let issuer = Arc::new(server.issuer.clone());
    let burst: Vec<_> = prepared
        .into_iter()
        .enumerate()
        .map(|(i, (browser, html))| {
            let issuer = issuer.clone();
            tokio::spawn(async move {
                let guess = format!("hadam-{i}");
                browser.submit(&issuer, &html, "login", &[("username", USER), ("password", &guess)]).await
            })
        })
        .collect();
    // The right password goes in once the threshold's worth of guesses are being checked, while
    // the rest of the burst is still arriving.
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.authn.passwords.verifications() - before < u64::from(threshold) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let right = owner.submit(&server.issuer, &owner_page, "login", &[("username", USER), ("password", PASSWORD)]).await;
    for guess in burst {
        assert_ne!(status_of(&guess.await.unwrap()), 200);
    }

    let verified = server.authn.passwords.verifications() - before;
    assert!(verified <= u64::from(threshold), "{verified} passwords were checked, more than the threshold");
    assert_eq!(status_of(&right), 429, "the right password, sent during the burst, got past the lockout");
    assert!(!logged_in(&server, &owner, &client_id).await);
    // The lockout is soft: after the first wait the owner gets in.
    server.clock.advance(server.provider.config.password.lockout_delay);
    let browser = browser_from("192.0.2.201");
    let html = login_page(&server, &browser, &client_id, &[]).await;
    let landing = browser.submit(&server.issuer, &html, "login", &[("username", USER), ("password", PASSWORD)]).await;
    assert!(matches!(landing, Landing::Redirect(_)), "{landing:?}");
}

#[tokio::test]
async fn someone_elses_guesses_hold_the_owner_back_only_for_a_short_wait() {
    let (server, client_id) = setup(|_| {}).await;
    let threshold = server.provider.config.password.lockout_threshold;
    let attacker = "203.0.113.66";
    for _ in 0..threshold {
        let landing = attempt_from(&server, &client_id, attacker, USER, "spatne-heslo").await;
        assert_eq!(status_of(&landing), 401);
    }
    // The owner, at once: the page says how long to wait, in Czech and in English.
    let owner = browser_from("198.51.100.7");
    let html = login_page(&server, &owner, &client_id, &[]).await;
    let response = owner
        .http
        .post(server.url("/login"))
        .form(
            &[
                common::hidden_fields(&html, "login"),
                vec![("username".into(), USER.into()), ("password".into(), PASSWORD.into())],
            ]
            .concat(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: i64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After: {retry_after}");
    let held = Landing::Page(429, response.text().await.unwrap());
    assert_eq!(login_error(&held), "Příliš mnoho pokusů o přihlášení. Zkuste to znovu za 1 minutu.");
    let english = browser_from("198.51.100.7");
    let html = login_page(&server, &english, &client_id, &[("ui_locales", "en")]).await;
    let held = english.submit(&server.issuer, &html, "login", &[("username", USER), ("password", PASSWORD)]).await;
    assert_eq!(login_error(&held), "Too many sign-in attempts. Try again in 1 minute.");

    // A minute later the owner gets in, well before the 15-minute window ends; the attacker's
    // address stays shut out of the account.
    server.clock.advance(60);
    let landing = attempt_from(&server, &client_id, attacker, USER, "jeste-jedno").await;
    assert_eq!(status_of(&landing), 429);
    let landing = attempt_from(&server, &client_id, "198.51.100.7", USER, PASSWORD).await;
    assert!(matches!(landing, Landing::Redirect(_)), "the owner is still locked out: {landing:?}");
}

#[tokio::test]
async fn one_address_is_throttled_across_accounts() {
    let (server, client_id) = setup(|c| c.password.address_limit = 5).await;
    for i in 0..5 {
        let landing = attempt_from(&server, &client_id, "203.0.113.5", &format!("uzivatel{i}"), "heslo").await;
        assert_eq!(status_of(&landing), 401);
    }
    let throttled = attempt_from(&server, &client_id, "203.0.113.5", "uzivatel9", "heslo").await;
    assert_eq!(status_of(&throttled), 429);
    assert_eq!(login_error(&throttled), "Příliš mnoho pokusů o přihlášení. Zkuste to znovu za 15 minut.");
    // Another address is not held back, nor is the account.
    let landing = attempt_from(&server, &client_id, "198.51.100.9", USER, PASSWORD).await;
    assert!(matches!(landing, Landing::Redirect(_)), "{landing:?}");
}

// A current-thread runtime: the server's tasks run on this thread, under its log subscriber.
#[tokio::test(flavor = "current_thread")]
async fn failed_logins_are_logged_with_the_account_source_and_reason() {
    let captured = common::logs::Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = common::logs::capture_here(subscriber);
    let (server, client_id) = setup(|c| c.password.lockout_threshold = 2).await;

    attempt_from(&server, &client_id, "198.51.100.23", USER, "tajne-spatne-heslo").await;
    // The same account in other letters: the second attempt starts the account's wait.
    attempt_from(&server, &client_id, "198.51.100.23", "JAN", "tajne-spatne-heslo").await;
    attempt_from(&server, &client_id, "198.51.100.24", USER, "tajne-spatne-heslo").await;
    attempt_from(&server, &client_id, "198.51.100.25", "Jan\nreason=\"forged\"", "tajne-spatne-heslo").await;
    let long = "x".repeat(500);
    attempt_from(&server, &client_id, "198.51.100.26", &long, "tajne-spatne-heslo").await;

    let lines = captured.lines();
    let failed: Vec<&String> = lines.iter().filter(|l| l.contains("login failed")).collect();
    assert_eq!(failed.len(), 5, "{lines:#?}");
    assert!(failed[0].contains(r#"username="jan""#) && failed[0].contains("source=198.51.100.23"), "{}", failed[0]);
    assert!(failed[0].contains(r#"reason="bad_credentials""#), "{}", failed[0]);
    assert!(failed[1].contains(r#"username="JAN""#) && failed[1].contains(r#"reason="bad_credentials""#));
    assert!(failed[2].contains(r#"reason="locked""#) && failed[2].contains("source=198.51.100.24"), "{}", failed[2]);
    assert!(failed[2].contains("retry_in=60"), "{}", failed[2]);
    // A typed newline cannot start a forged line.
    assert!(failed[3].contains(r#"username="Jan\nreason=\"forged\"""#), "{}", failed[3]);
    assert!(failed[4].contains(&format!(r#"username="{}""#, "x".repeat(64))), "{}", failed[4]);
    assert!(!failed[4].contains(&"x".repeat(65)), "a long username is cut short");
    assert!(lines.iter().all(|l| !l.contains("tajne-spatne-heslo")), "a password was logged: {lines:#?}");
}
