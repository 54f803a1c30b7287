//! Who may register clients: nobody by default (node-oidc-provider's default too), everyone only
//! when an operator opens registration, the holder of the initial access token when one is set,
//! and never more than a few registrations per source address.

use crate::common;

use common::TestServer;
use serde_json::{Value, json};

const REDIRECT: &str = "http://127.0.0.1:9/cb";

async fn register(server: &TestServer, token: Option<&str>) -> reqwest::Response {
    let request = reqwest::Client::new().post(server.url("/register")).json(&json!({ "redirect_uris": [REDIRECT] }));
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
    .send()
    .await
    .unwrap()
}

async fn discovery(server: &TestServer) -> Value {
    reqwest::get(server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn dynamic_registration_is_off_by_default_and_not_advertised() {
    let server = TestServer::start().await;
    let response = register(&server, None).await;
    assert_eq!(response.status(), 403);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "access_denied", "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("not enabled"), "{body}");
    assert!(discovery(&server).await.get("registration_endpoint").is_none());
    assert!(server.provider.stores.clients.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn registration_enabled_with_an_initial_access_token_admits_only_its_holder() {
    let server = TestServer::start_with(|c| {
        c.registration.enabled = true;
        c.registration.initial_access_token = Some("vstupni-token".into());
    })
    .await;
    assert_eq!(discovery(&server).await["registration_endpoint"], server.url("/register"));
    assert_eq!(register(&server, None).await.status(), 401);
    assert_eq!(register(&server, Some("jiny-token")).await.status(), 401);
    assert_eq!(register(&server, Some("vstupni-token")).await.status(), 201);
}

#[tokio::test]
async fn registration_is_throttled_per_source_with_429() {
    let server = TestServer::start_with(|c| {
        c.registration.enabled = true;
        c.registration.per_source_limit = 3;
        c.registration.per_source_window = 600;
    })
    .await;
    // A parallel burst: the reservation is atomic, so exactly the limit gets through.
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let (http, url) = (reqwest::Client::new(), server.url("/register"));
        burst.spawn(async move { http.post(url).json(&json!({ "redirect_uris": [REDIRECT] })).send().await.unwrap() });
    }
    let responses = burst.join_all().await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 9, "{statuses:?}");
    let refused = responses.into_iter().find(|r| r.status() == 429).unwrap();
    assert_eq!(refused.headers()["retry-after"], "600");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable", "{body}");
    assert_eq!(server.provider.stores.clients.list().await.unwrap().len(), 3);

    // The window ends: the source may register again.
    server.clock.advance(601);
    assert_eq!(register(&server, None).await.status(), 201);
}
