//! The URIs a client registers: redirect URIs only with schemes a relying party can receive at
//! (no `javascript:`, `data:`, `file:`, ...), and the URLs identita fetches or posts to
//! (`jwks_uri`, `request_uris`, ...) never to loopback, private or link-local addresses — checked
//! at registration and again, after DNS resolution, on every fetch — with one generic error and
//! a cache, so that the provider is neither a port scanner nor a request amplifier.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Landing, TestServer, params_of};
use serde_json::{Value, json};

const REDIRECT: &str = "http://127.0.0.1:9/cb";

async fn open_registration(tweak: impl FnOnce(&mut identita::config::Config)) -> TestServer {
    TestServer::start_with(|c| {
        c.registration.enabled = true;
        // These tests register dozens of clients from one address.
        c.registration.per_source_limit = 0;
        tweak(c)
    })
    .await
}

async fn register(server: &TestServer, metadata: Value) -> (u16, Value) {
    let response = reqwest::Client::new().post(server.url("/register")).json(&metadata).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[track_caller]
fn assert_refused((status, body): (u16, Value), code: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], code, "{body}");
}

const SCRIPT_AND_LOCAL: [&str; 8] = [
    "javascript:alert(document.domain)",
    "JavaScript://rp.example/%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "https://rp.example/cb\u{0}x",
    "https://rp.example/c\tb",
    "https://rp.example/cb\r\nSet-Cookie: x=1",
];

#[tokio::test]
async fn redirect_uris_with_script_or_file_schemes_or_control_characters_are_refused() {
    let server = open_registration(|_| {}).await;
    for uri in SCRIPT_AND_LOCAL {
        assert_refused(register(&server, json!({ "redirect_uris": [uri] })).await, "invalid_redirect_uri");
        let as_logout = json!({ "redirect_uris": [REDIRECT], "post_logout_redirect_uris": [uri] });
        assert_refused(register(&server, as_logout).await, "invalid_client_metadata");
    }
    for uri in ["https://user:pw@rp.example/cb", "https://rp.example/cb#", "/cb"] {
        assert_refused(register(&server, json!({ "redirect_uris": [uri] })).await, "invalid_redirect_uri");
    }
    assert!(server.provider.stores.clients.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_registration_update_cannot_bring_in_a_script_redirect_uri() {
    let server = open_registration(|_| {}).await;
    let (status, created) = register(&server, json!({ "redirect_uris": [REDIRECT] })).await;
    assert_eq!(status, 201, "{created}");
    let client_id = created["client_id"].as_str().unwrap();
    for (member, code) in
        [("redirect_uris", "invalid_redirect_uri"), ("post_logout_redirect_uris", "invalid_client_metadata")]
    {
        let mut update = json!({ "client_id": client_id, "redirect_uris": [REDIRECT] });
        update[member] = json!(["javascript:alert(1)"]);
        let response = reqwest::Client::new()
            .put(created["registration_client_uri"].as_str().unwrap())
            .bearer_auth(created["registration_access_token"].as_str().unwrap())
            .json(&update)
            .send()
            .await
            .unwrap();
        assert_refused((response.status().as_u16(), response.json().await.unwrap()), code);
    }
    let stored = server.provider.stores.clients.get(client_id).await.unwrap().unwrap();
    assert_eq!(stored.redirect_uris, vec![REDIRECT.to_owned()]);
    assert!(stored.post_logout_redirect_uris.is_empty());
}

#[tokio::test]
async fn implicit_and_hybrid_clients_need_https_redirect_uris_except_on_loopback() {
    let server = open_registration(|_| {}).await;
    for response_type in ["id_token", "id_token token", "code id_token", "code token"] {
        let metadata = json!({ "redirect_uris": ["http://rp.example/cb"], "response_types": [response_type] });
        assert_refused(register(&server, metadata).await, "invalid_redirect_uri");
        let loopback = json!({ "redirect_uris": [REDIRECT], "response_types": [response_type] });
        assert_eq!(register(&server, loopback).await.0, 201, "{response_type} on loopback");
        let https = json!({ "redirect_uris": ["https://rp.example/cb"], "response_types": [response_type] });
        assert_eq!(register(&server, https).await.0, 201, "{response_type} over https");
    }
    // A code client's browser leg carries only the code: plain http stays allowed.
    assert_eq!(register(&server, json!({ "redirect_uris": ["http://rp.example/cb"] })).await.0, 201);
}

#[tokio::test]
async fn private_use_schemes_are_accepted_for_native_clients_only() {
    let server = open_registration(|_| {}).await;
    let native = json!({ "application_type": "native", "token_endpoint_auth_method": "none", "redirect_uris": ["cz.obec.app:/cb"] });
    let (status, body) = register(&server, native).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["application_type"], "native");
    assert_refused(register(&server, json!({ "redirect_uris": ["cz.obec.app:/cb"] })).await, "invalid_redirect_uri");
    let no_domain = json!({ "application_type": "native", "redirect_uris": ["obecapp:/cb"] });
    assert_refused(register(&server, no_domain).await, "invalid_redirect_uri");
    let native_http = json!({ "application_type": "native", "redirect_uris": ["http://rp.example/cb"] });
    assert_refused(register(&server, native_http).await, "invalid_redirect_uri");
    let unknown = json!({ "application_type": "desktop", "redirect_uris": [REDIRECT] });
    assert_refused(register(&server, unknown).await, "invalid_client_metadata");
}

#[tokio::test]
async fn client_urls_to_loopback_private_or_link_local_addresses_are_refused_at_registration() {
    let server = open_registration(|c| c.outbound.allow_loopback = false).await;
    let targets = [
        "https://169.254.169.254/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/",
        "https://10.0.0.5/jwks",
        "https://192.168.1.1/jwks",
        "https://100.64.0.1/jwks",
        "https://[fd00::1]/jwks",
        "https://[::ffff:169.254.169.254]/jwks",
        "http://127.0.0.1:6379/",
        "https://localhost/jwks",
        "http://rp.example/jwks",
        "file:///etc/passwd",
    ];
    for target in targets {
        for member in ["jwks_uri", "backchannel_logout_uri", "sector_identifier_uri"] {
            let metadata = json!({ "redirect_uris": ["https://rp.example/cb"], member: target });
            assert_refused(register(&server, metadata).await, "invalid_client_metadata");
        }
        let metadata = json!({ "redirect_uris": ["https://rp.example/cb"], "request_uris": [target] });
        assert_refused(register(&server, metadata).await, "invalid_client_metadata");
    }
    assert!(server.provider.stores.clients.list().await.unwrap().is_empty());
}

/// An HTTP server on loopback answering every request with `body` (`None`: 404); counts requests.
async fn counting_server(body: Option<String>) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let (counter, body) = (counter.clone(), body.clone());
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            match body {
                Some(body) => (axum::http::StatusCode::OK, body),
                None => (axum::http::StatusCode::NOT_FOUND, String::new()),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("127.0.0.1:{port}"), hits)
}

/// A client added by the operator whose stored `request_uris` (and `jwks_uri`) are then set
/// directly, as if registered before a DNS change.
async fn client_with(server: &TestServer, request_uris: Vec<String>, jwks_uri: Option<String>) -> String {
    let (id, _) =
        server.add_client(json!({ "redirect_uris": [REDIRECT], "jwks_uri": "https://rp.example/jwks" })).await;
    let mut client = server.provider.stores.clients.get(&id).await.unwrap().unwrap();
    client.request_uris = request_uris;
    client.jwks_uri = jwks_uri;
    server.provider.stores.clients.put(&client).await.unwrap();
    id
}

/// The error parameters of an authorization request by `client_id` with `extra`.
async fn authorization_error(server: &TestServer, client_id: &str, extra: &[(&str, &str)]) -> (String, String) {
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid")
        .extend_pairs(extra);
    match server.browser().visit(&server.issuer, url.as_str()).await {
        Landing::Redirect(to) => {
            let params = params_of(&to);
            (params["error"].clone(), params.get("error_description").cloned().unwrap_or_default())
        }
        other => panic!("expected an error at the redirect URI, got {other:?}"),
    }
}

#[tokio::test]
async fn a_request_uri_whose_name_resolves_to_loopback_is_not_fetched_without_the_development_setting() {
    let server = TestServer::start_with(|c| c.outbound.allow_loopback = false).await;
    let (host, hits) = counting_server(Some("irrelevant".into())).await;
    let port = host.rsplit(':').next().unwrap();
    // `localhost` is a name: only the resolver's check stands between it and the listener.
    let request_uri = format!("http://localhost:{port}/request.jwt");
    let client_id = client_with(&server, vec![request_uri.clone()], None).await;
    let (error, description) = authorization_error(&server, &client_id, &[("request_uri", &request_uri)]).await;
    assert_eq!(error, "invalid_request_uri");
    assert_eq!(description, "could not fetch the client's request object (request_uri)");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "identita connected to a loopback address");
}

#[tokio::test]
async fn fetch_errors_do_not_tell_closed_ports_from_open_ones() {
    let server = TestServer::start().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/request.jwt", listener.local_addr().unwrap())
    };
    let (open, _) = counting_server(None).await;
    let open = format!("http://{open}/request.jwt");
    let (answering, _) = counting_server(Some("not a JWT".into())).await;
    let answering = format!("http://{answering}/request.jwt");
    let client_id = client_with(&server, vec![closed.clone(), open.clone(), answering.clone()], None).await;
    let mut seen = Vec::new();
    for uri in [&closed, &open] {
        seen.push(authorization_error(&server, &client_id, &[("request_uri", uri)]).await);
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0].1, "could not fetch the client's request object (request_uri)");
    let (error, _) = authorization_error(&server, &client_id, &[("request_uri", &answering)]).await;
    assert_eq!(error, "invalid_request_object", "a fetched document is judged on its content");
}

#[tokio::test]
async fn a_request_uri_is_fetched_once_for_repeated_requests() {
    let server = TestServer::start().await;
    let claims = json!({ "client_id": "x", "response_type": "code", "scope": "openid" });
    let unsigned =
        format!("{}.{}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let (host, hits) = counting_server(Some(unsigned)).await;
    let request_uri = format!("http://{host}/request.jwt");
    let client_id = client_with(&server, vec![request_uri.clone()], None).await;
    for _ in 0..5 {
        // The object names another client: refused each time, from the cached copy.
        let (error, _) = authorization_error(&server, &client_id, &[("request_uri", &request_uri)]).await;
        assert_eq!(error, "invalid_request_object");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1, "the request_uri was fetched again");
}

#[tokio::test]
async fn bad_signatures_do_not_make_identita_fetch_the_jwks_uri_every_time() {
    let server = TestServer::start().await;
    let key = josekit::jws::RS256.generate_key_pair(2048).unwrap();
    let jwk: serde_json::Map<String, Value> = key.to_jwk_public_key().into();
    let (host, hits) = counting_server(Some(json!({ "keys": [jwk] }).to_string())).await;
    let client_id = client_with(&server, vec![], Some(format!("http://{host}/jwks"))).await;
    let other = josekit::jws::RS256.generate_key_pair(2048).unwrap();
    let signer = josekit::jws::RS256.signer_from_der(other.to_der_private_key()).unwrap();
    let payload = josekit::jwt::JwtPayload::from_map(
        json!({ "client_id": client_id, "response_type": "code" }).as_object().cloned().unwrap(),
    )
    .unwrap();
    let forged = josekit::jwt::encode_with_signer(&payload, &josekit::jws::JwsHeader::new(), &signer).unwrap();
    for _ in 0..6 {
        let (error, _) = authorization_error(&server, &client_id, &[("request", &forged)]).await;
        assert_eq!(error, "invalid_request_object");
    }
    // At most the first fetch and one early refresh; not a refresh per request (7 before).
    let hits = hits.load(Ordering::SeqCst);
    assert!((1..=2).contains(&hits), "the jwks_uri was fetched {hits} times");
}
