//! What relying parties notice when the database under identita fails: while it is down every
//! request gets either a correct answer or a clear `503` (OAuth's `temporarily_unavailable`),
//! `/readyz` says not ready, and when it is back identita recovers by itself with nothing lost —
//! every token it handed out still works. Runs on a PostgreSQL server of the test's own
//! (`common::PgCluster`), crashed and restarted under load.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{PgCluster, RedisServer, TestServer};
use serde_json::{Value, json};

const REDIRECT: &str = "http://127.0.0.1:9/cb";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// One answer of the token endpoint: its status and its body as JSON (`Null` if not JSON).
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    body: Value,
}

async fn post_form(url: &str, (id, secret): (&str, &str), form: &[(&str, &str)]) -> Answer {
    let response = http().post(url).basic_auth(id, Some(secret)).form(form).send().await.unwrap();
    let status = response.status().as_u16();
    let body = serde_json::from_str(&response.text().await.unwrap()).unwrap_or(Value::Null);
    Answer { status, body }
}

async fn ready(server: &TestServer) -> u16 {
    http().get(server.url("/readyz")).send().await.unwrap().status().as_u16()
}

/// Polls `condition` every 100 ms until it holds, or fails after `limit` saying what it waited for.
async fn wait_for<F, Fut>(what: &str, limit: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !condition().await {
        assert!(start.elapsed() < limit, "waited {limit:?} for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Asserts that an answer is a correct grant or a clear 503, and returns the access token of a grant.
#[track_caller]
fn grant_or_unavailable(answer: &Answer) -> Option<String> {
    match answer.status {
        200 => Some(answer.body["access_token"].as_str().expect("a grant has an access token").to_owned()),
        503 => {
            assert_eq!(answer.body["error"], "temporarily_unavailable", "{answer:?}");
            assert!(answer.body["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{answer:?}");
            None
        }
        _ => panic!("neither a grant nor a clear 503: {answer:?}"),
    }
}

#[tokio::test]
async fn a_database_crash_under_load_gets_clear_503s_then_recovers_with_nothing_lost() {
    let Some(pg) = PgCluster::start("a_database_crash_under_load_gets_clear_503s_then_recovers_with_nothing_lost")
    else {
        return;
    };
    let server = TestServer::start_with(|config| config.database_url = Some(pg.url())).await;
    server.add_user("jan", "heslo-123", json!({ "name": "Jan Novák" })).await;
    let (service, service_secret) = server
        .add_client(json!({ "grant_types": ["client_credentials"], "response_types": [], "scope": "api:read" }))
        .await;
    let service_secret = service_secret.unwrap();
    let (web, web_secret) = server
        .add_client(json!({
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": "openid offline_access",
        }))
        .await;
    let web_secret = web_secret.unwrap();
    let token_url = server.url("/token");

    // Before the crash: a person logs in and the portal keeps an offline refresh token.
    let code_url = format!(
        "{}?response_type=code&client_id={web}&redirect_uri={REDIRECT}&scope=openid+offline_access&prompt=consent&nonce=n1",
        server.url("/authorize")
    );
    let landing = server.browser().authorize(&server.issuer, &code_url, "jan", "heslo-123").await;
    let code = common::params_of(&landing).remove("code").expect("a code");
    let tokens = post_form(
        &token_url,
        (&web, &web_secret),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT)],
    )
    .await;
    assert_eq!(tokens.status, 200, "{tokens:?}");
    let refresh_token = tokens.body["refresh_token"].as_str().expect("a refresh token").to_owned();

    // Load: a service asks for tokens back to back, through the crash and the recovery.
    let stop = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn({
        let (stop, url, id, secret) = (stop.clone(), token_url.clone(), service.clone(), service_secret.clone());
        async move {
            let mut answers = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                answers.push(
                    post_form(&url, (&id, &secret), &[("grant_type", "client_credentials"), ("scope", "api:read")])
                        .await,
                );
            }
            answers
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;

    pg.crash();
    wait_for("/readyz to say not ready", Duration::from_secs(15), || async { ready(&server).await == 503 }).await;
    let during = post_form(&token_url, (&service, &service_secret), &[("grant_type", "client_credentials")]).await;
    assert_eq!(during.status, 503, "a token request while the database is down: {during:?}");
    grant_or_unavailable(&during);

    pg.start_again();
    wait_for("/readyz to say ready again", Duration::from_secs(60), || async { ready(&server).await == 200 }).await;
    // Let the load run on the recovered database for a moment, then stop it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let answers = load.await.unwrap();

    let granted: Vec<String> = answers.iter().filter_map(grant_or_unavailable).collect();
    let unavailable = answers.iter().filter(|a| a.status == 503).count();
    println!("{} answers: {} grants, {unavailable} × 503", answers.len(), granted.len());
    assert!(unavailable > 0, "the load never met the outage ({} answers)", answers.len());
    assert!(answers.last().is_some_and(|a| a.status == 200), "the load did not recover: {:?}", answers.last());
    assert!(granted.len() > 2, "too few grants to tell anything: {}", granted.len());

    // Nothing lost: every token the service was given is still active, and the portal's refresh
    // token from before the crash still refreshes.
    for access_token in &granted {
        let introspection =
            post_form(&server.url("/introspect"), (&service, &service_secret), &[("token", access_token)]).await;
        assert_eq!(introspection.status, 200, "{introspection:?}");
        assert_eq!(introspection.body["active"], true, "a token granted before or after the crash was lost");
    }
    let refreshed = post_form(
        &token_url,
        (&web, &web_secret),
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh_token)],
    )
    .await;
    assert_eq!(refreshed.status, 200, "the refresh token from before the crash: {refreshed:?}");
}

/// Where a silent authorization request (`prompt=none`) of a logged-in browser ends: a code, or
/// a clear "try again later" — as a redirect with `error=temporarily_unavailable` or a 503 page.
#[derive(Debug, PartialEq)]
enum Silent {
    Code(String),
    Unavailable,
}

async fn silent_authorize(server: &TestServer, browser: &common::Browser, url: &str) -> Silent {
    match browser.visit(&server.issuer, url).await {
        common::Landing::Redirect(to) => {
            let mut params = common::params_of(&to);
            if let Some(code) = params.remove("code") {
                return Silent::Code(code);
            }
            assert_eq!(params.get("error").map(String::as_str), Some("temporarily_unavailable"), "{to}");
            Silent::Unavailable
        }
        common::Landing::Page(503, _) => Silent::Unavailable,
        common::Landing::Page(status, html) => panic!("neither a code nor a clear 503 ({status}):\n{html}"),
    }
}

#[tokio::test]
async fn a_redis_crash_under_load_gets_clear_503s_and_persistence_keeps_the_sessions() {
    let Some(redis) = RedisServer::start("a_redis_crash_under_load_gets_clear_503s_and_persistence_keeps_the_sessions")
    else {
        return;
    };
    let redis_url = redis.url();
    let server = TestServer::start_with(|config| {
        config.database_url = None;
        config.redis_url = Some(redis_url);
    })
    .await;
    server.add_user("jan", "heslo-123", json!({ "name": "Jan Novák" })).await;
    let (web, web_secret) = server
        .add_client(json!({ "redirect_uris": [REDIRECT], "grant_types": ["authorization_code"], "first_party": true }))
        .await;
    let web_secret = web_secret.unwrap();
    let authorize = |prompt: &str| {
        format!(
            "{}?response_type=code&client_id={web}&redirect_uri={REDIRECT}&scope=openid{prompt}",
            server.url("/authorize")
        )
    };

    // A person logs in: their SSO session lives in Redis.
    let browser = server.browser();
    let landing = browser.authorize(&server.issuer, &authorize(""), "jan", "heslo-123").await;
    assert!(common::params_of(&landing).contains_key("code"), "{landing}");

    // Load: the portal keeps checking the session silently, through the crash and the recovery.
    let silent = authorize("&prompt=none");
    let mut answers = Vec::new();
    let deadline = Instant::now() + Duration::from_millis(500);
    while Instant::now() < deadline {
        answers.push(silent_authorize(&server, &browser, &silent).await);
    }
    redis.crash();
    wait_for("/readyz to say not ready", Duration::from_secs(15), || async { ready(&server).await == 503 }).await;
    let during = silent_authorize(&server, &browser, &silent).await;
    assert_eq!(during, Silent::Unavailable, "a silent login while Redis is down");
    answers.push(during);

    redis.start_again();
    wait_for("/readyz to say ready again", Duration::from_secs(30), || async { ready(&server).await == 200 }).await;
    let deadline = Instant::now() + Duration::from_millis(500);
    while Instant::now() < deadline {
        answers.push(silent_authorize(&server, &browser, &silent).await);
    }

    // The session survived the crash (persistence on): the silent requests after the restart
    // get codes, and the codes handed out before the crash can still be redeemed.
    assert!(matches!(answers.last(), Some(Silent::Code(_))), "after Redis came back: {:?}", answers.last());
    let codes: Vec<&String> =
        answers.iter().filter_map(|a| if let Silent::Code(code) = a { Some(code) } else { None }).collect();
    println!("{} silent logins: {} codes", answers.len(), codes.len());
    let before_crash = codes.first().expect("a code before the crash");
    let exchanged = post_form(
        &server.url("/token"),
        (&web, &web_secret),
        &[("grant_type", "authorization_code"), ("code", before_crash), ("redirect_uri", REDIRECT)],
    )
    .await;
    assert_eq!(exchanged.status, 200, "a code issued before the crash, redeemed after it: {exchanged:?}");
}
