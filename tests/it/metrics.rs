//! `/metrics` as Prometheus scrapes it: a login, a refused login, a lockout and token grants are
//! each counted, under route templates and bounded labels, never under a raw path.
//!
//! The recorder is one per process (the `metrics` crate's), shared by every test's server in this
//! binary, so these tests compare a scrape after with a scrape before and assert increases.

use crate::common;

use std::collections::BTreeMap;

use common::{Landing, TestServer};
use serde_json::json;

const REDIRECT: &str = "http://127.0.0.1:9/cb";

/// One scrape: every sample, by metric name and labels.
#[derive(Debug)]
struct Scrape(Vec<(String, BTreeMap<String, String>, f64)>);

impl Scrape {
    async fn of(url: &str) -> Self {
        let response = reqwest::get(url).await.unwrap();
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
        Self::parse(&response.text().await.unwrap())
    }

    /// The text exposition format: `name{label="value",…} value` per line, `#` comments.
    fn parse(text: &str) -> Self {
        let samples = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(|line| {
                let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("bad line {line:?}"));
                let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value in {line:?}"));
                let (name, labels) = match series.split_once('{') {
                    Some((name, rest)) => (name, labels(rest.strip_suffix('}').unwrap())),
                    None => (series, BTreeMap::new()),
                };
                (name.to_owned(), labels, value)
            })
            .collect();
        Self(samples)
    }

    /// The sum of the samples of `name` that carry all of `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.0
            .iter()
            .filter(|(n, l, _)| n == name && labels.iter().all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v)))
            .map(|(_, _, value)| value)
            .sum()
    }
}

/// `a="x",b="y"` (our label values hold no quotes or commas).
fn labels(text: &str) -> BTreeMap<String, String> {
    text.split("\",")
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once("=\"").unwrap_or_else(|| panic!("bad label {pair:?}"));
            (key.to_owned(), value.trim_end_matches('"').to_owned())
        })
        .collect()
}

fn authorize_url(server: &TestServer, client_id: &str) -> String {
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid")
        .append_pair("state", "st");
    url.into()
}

/// One password attempt in a fresh login: the status of the page that answers it (a redirect is 302).
async fn attempt(server: &TestServer, client_id: &str, username: &str, password: &str) -> u16 {
    let browser = server.browser();
    let Landing::Page(200, html) = browser.visit(&server.issuer, &authorize_url(server, client_id)).await else {
        panic!("no login page");
    };
    match browser.submit(&server.issuer, &html, "login", &[("username", username), ("password", password)]).await {
        Landing::Page(status, _) => status,
        Landing::Redirect(_) => 302,
    }
}

async fn token(server: &TestServer, id: &str, secret: &str, form: &[(&str, &str)]) -> u16 {
    let response =
        reqwest::Client::new().post(server.url("/token")).basic_auth(id, Some(secret)).form(form).send().await.unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn logins_refusals_lockouts_and_token_grants_are_counted() {
    let server = TestServer::start_with(|c| c.password.lockout_threshold = 3).await;
    server.add_user("jan", "heslo-123", json!({ "name": "Jan Novák" })).await;
    server.add_user("eva", "heslo-456", json!({ "name": "Eva Nová" })).await;
    let (id, secret) = server
        .add_client(json!({ "redirect_uris": [REDIRECT], "first_party": true, "grant_types": ["authorization_code"] }))
        .await;
    let secret = secret.unwrap();
    let metrics = server.url("/metrics");
    let before = Scrape::of(&metrics).await;

    assert_eq!(attempt(&server, &id, "jan", "wrong").await, 401);
    let redirect = server.browser().authorize(&server.issuer, &authorize_url(&server, &id), "jan", "heslo-123").await;
    let code = common::params_of(&redirect)["code"].clone();
    let grant = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT)];
    assert_eq!(token(&server, &id, &secret, &grant).await, 200);
    // The same code again is refused, and counted as what it was refused with.
    assert_eq!(token(&server, &id, &secret, &grant).await, 400);
    // Three failures at eva start a wait (a lockout); the fourth attempt is held back.
    for _ in 0..3 {
        assert_eq!(attempt(&server, &id, "eva", "wrong").await, 401);
    }
    assert_eq!(attempt(&server, &id, "eva", "heslo-456").await, 429);
    // A scan of random paths adds no series of its own.
    let probe = format!("/no-such-{}", uuid::Uuid::new_v4().simple());
    assert_eq!(reqwest::get(server.url(&probe)).await.unwrap().status(), 404);

    let after_text = reqwest::get(&metrics).await.unwrap().text().await.unwrap();
    let after = Scrape::parse(&after_text);
    let increase = |name: &str, labels: &[(&str, &str)]| after.value(name, labels) - before.value(name, labels);
    assert!(increase("identita_logins_total", &[("outcome", "success")]) >= 1.0, "{after_text}");
    assert!(increase("identita_logins_total", &[("outcome", "bad_credentials")]) >= 4.0, "{after_text}");
    // The fourth attempt comes from the same address, whose own limit at eva answers first.
    assert!(increase("identita_logins_total", &[("outcome", "throttled")]) >= 1.0, "{after_text}");
    assert!(increase("identita_lockouts_total", &[]) >= 1.0, "{after_text}");
    let code_grant = |outcome| [("grant_type", "authorization_code"), ("outcome", outcome)];
    assert!(increase("identita_token_grants_total", &code_grant("success")) >= 1.0, "{after_text}");
    assert!(increase("identita_token_grants_total", &code_grant("invalid_grant")) >= 1.0, "{after_text}");
    let token_ok = [("endpoint", "/token"), ("method", "POST"), ("status", "200")];
    assert!(increase("identita_http_requests_total", &token_ok) >= 1.0, "{after_text}");
    let token_refused = [("endpoint", "/token"), ("method", "POST"), ("status", "400")];
    assert!(increase("identita_http_requests_total", &token_refused) >= 1.0, "{after_text}");
    let login_refused = [("endpoint", "/login"), ("method", "POST"), ("status", "401")];
    assert!(increase("identita_http_requests_total", &login_refused) >= 4.0, "{after_text}");
    let unmatched = [("endpoint", "unmatched"), ("status", "404")];
    assert!(increase("identita_http_requests_total", &unmatched) >= 1.0, "{after_text}");
    let timed = [("endpoint", "/token"), ("method", "POST")];
    assert!(increase("identita_http_request_duration_seconds_count", &timed) >= 2.0, "{after_text}");
    assert!(after.value("identita_http_request_duration_seconds_bucket", &[("le", "+Inf")]) > 0.0);

    // No raw path, code or query reaches a label.
    assert!(!after_text.contains(&probe[1..]) && !after_text.contains(&code), "{after_text}");
    assert!(!after_text.contains("?"), "{after_text}");
}

#[tokio::test]
async fn metrics_can_be_turned_off_or_moved_to_an_address_of_their_own() {
    let off = TestServer::start_with(|c| c.metrics.enabled = false).await;
    assert_eq!(reqwest::get(off.url("/metrics")).await.unwrap().status(), 404);

    let moved = TestServer::start_with(|c| c.metrics.listen = Some("127.0.0.1:0".parse().unwrap())).await;
    assert_eq!(reqwest::get(moved.url("/metrics")).await.unwrap().status(), 404);
    let at = identita::metrics::serve_on("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let scrape = Scrape::of(&format!("http://{at}/metrics")).await;
    // The requests just made are there (404s of the main router).
    assert!(scrape.value("identita_http_requests_total", &[("status", "404")]) >= 2.0, "{scrape:?}");
}

// A current-thread runtime: the server's tasks run on this thread, under its log subscriber —
// identita's own, in JSON.
#[tokio::test(flavor = "current_thread")]
async fn refused_token_introspection_and_userinfo_requests_are_logged_with_client_and_reason() {
    let captured = common::logs::Captured::default();
    let writer = captured.clone();
    let filter = tracing_subscriber::EnvFilter::new("info");
    let subscriber =
        identita::logging::subscriber(identita::config::LogFormat::Json, filter, false, move || writer.clone());
    let _guard = common::logs::capture_here(subscriber);
    let server = TestServer::start().await;
    let (id, secret) = server.add_client(json!({ "redirect_uris": [REDIRECT] })).await;
    let secret = secret.unwrap();
    let http = reqwest::Client::new();

    let wrong_secret = "WRONG-SECRET-4711";
    assert_eq!(token(&server, &id, wrong_secret, &[("grant_type", "client_credentials")]).await, 401);
    let code = "CODE-NOT-ISSUED-4711";
    let grant = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT)];
    assert_eq!(token(&server, &id, &secret, &grant).await, 400);
    let introspect = http.post(server.url("/introspect")).basic_auth(&id, Some(&secret)).form(&[("token", "")]);
    assert_eq!(introspect.send().await.unwrap().status(), 400);
    let bearer = "TOKEN-NOT-ISSUED-4711";
    let userinfo = http.get(server.url("/userinfo")).bearer_auth(bearer).send().await.unwrap();
    assert_eq!(userinfo.status(), 401);
    // A token that exists but was issued to no person: userinfo names the client it belongs to.
    let (service, service_secret) =
        server.add_client(json!({ "grant_types": ["client_credentials"], "response_types": [] })).await;
    let service_secret = service_secret.unwrap();
    let reply = http
        .post(server.url("/token"))
        .basic_auth(&service, Some(&service_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let service_token = reply.json::<serde_json::Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let userinfo = http.get(server.url("/userinfo")).bearer_auth(&service_token).send().await.unwrap();
    assert_eq!(userinfo.status(), 401);

    let text = captured.lines().join("\n");
    let refused: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .filter(|event| event["message"] == "request refused")
        .collect();
    let find = |endpoint: &str, error: &str| {
        refused
            .iter()
            .find(|e| e["endpoint"] == endpoint && e["error"] == error)
            .unwrap_or_else(|| panic!("no {endpoint} {error} refusal in:\n{text}"))
    };
    let quoted = format!("{id:?}");
    assert_eq!(find("token", "invalid_client")["client_id"], quoted.as_str(), "{text}");
    assert_eq!(find("token", "invalid_grant")["client_id"], quoted.as_str(), "{text}");
    assert_eq!(find("introspection", "invalid_request")["client_id"], quoted.as_str(), "{text}");
    let unknown = refused
        .iter()
        .find(|e| e["endpoint"] == "userinfo" && e["error"] == "invalid_token" && e.get("client_id").is_none())
        .unwrap_or_else(|| panic!("no userinfo refusal without a client in:\n{text}"));
    assert!(unknown["description"].as_str().is_some_and(|d| !d.is_empty()), "{text}");
    let quoted_service = format!("{service:?}");
    let personless = refused
        .iter()
        .find(|e| e["endpoint"] == "userinfo" && e["client_id"] == quoted_service.as_str())
        .unwrap_or_else(|| panic!("no userinfo refusal naming {service} in:\n{text}"));
    assert!(personless["description"].as_str().is_some_and(|d| d.contains("person")), "{text}");
    for secret_value in [wrong_secret, secret.as_str(), code, bearer, service_secret.as_str(), service_token.as_str()] {
        assert!(!text.contains(secret_value), "{secret_value} was logged:\n{text}");
    }
}
