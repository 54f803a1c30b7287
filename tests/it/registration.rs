//! Dynamic client registration (RFC 7591, OpenID Connect Dynamic Client Registration 1.0) and
//! its management API (RFC 7592), as a relying party's developer meets them: what a registration
//! returns, that the new client can log people in, and how bad metadata is refused.

use crate::common;

use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Landing, TestServer};
use josekit::jws::JwsSigner;
use openidconnect::core::{CoreClient, CoreProviderMetadata, CoreResponseType};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    RedirectUrl, Scope, TokenResponse,
};
use serde_json::{Value, json};

const REDIRECT: &str = "http://127.0.0.1:9/cb";

/// A server with dynamic registration enabled (it is off by default).
async fn start() -> TestServer {
    start_with(|_| {}).await
}

async fn start_with(tweak: impl FnOnce(&mut identita::config::Config)) -> TestServer {
    TestServer::start_with(|c| {
        c.registration.enabled = true;
        tweak(c)
    })
    .await
}

async fn register(server: &TestServer, metadata: &Value) -> reqwest::Response {
    reqwest::Client::new().post(server.url("/register")).json(metadata).send().await.unwrap()
}

/// Registers `metadata`, asserting success; returns the registration response.
async fn registered(server: &TestServer, metadata: Value) -> Value {
    let response = register(server, &metadata).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body
}

/// Asserts a 400 JSON error with `code`.
async fn assert_refused(response: reqwest::Response, code: &str) {
    assert_eq!(response.status(), 400);
    assert!(content_type(&response).starts_with("application/json"), "{}", content_type(&response));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
}

fn content_type(response: &reqwest::Response) -> String {
    response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

fn authorize_url(server: &TestServer, client_id: &str, redirect: &str) -> String {
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("scope", "openid")
        .append_pair("state", "st")
        .append_pair("nonce", "n-0S6");
    url.into()
}

fn is_login_page(landing: &Landing) -> bool {
    matches!(landing, Landing::Page(200, html) if html.contains("id=\"login\""))
}

fn is_error_page(landing: &Landing) -> bool {
    matches!(landing, Landing::Page(status, html) if *status >= 400 && html.contains("id=\"error-code\""))
}

#[tokio::test]
async fn registration_returns_credentials_and_the_client_completes_a_code_flow() {
    let server = start().await;
    server.add_user("jan", "heslo-123", json!({ "name": "Jan Novák" })).await;

    let response = register(&server, &json!({ "redirect_uris": [REDIRECT], "client_name": "Dynamický klient" })).await;
    assert_eq!(response.status(), 201);
    assert!(content_type(&response).starts_with("application/json"), "{}", content_type(&response));
    let body: Value = response.json().await.unwrap();
    let client_id = body["client_id"].as_str().expect("client_id").to_owned();
    let secret = body["client_secret"].as_str().expect("client_secret").to_owned();
    assert!(body["client_secret_expires_at"].is_i64(), "{body}");
    assert!(body["registration_access_token"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    assert_eq!(body["registration_client_uri"], format!("{}/register/{client_id}", server.issuer));
    assert_eq!(body["redirect_uris"], json!([REDIRECT]));

    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(server.issuer.clone()).unwrap(), &http).await.unwrap();
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new(client_id), Some(ClientSecret::new(secret)))
            .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let landing = server.browser().authorize(&server.issuer, url.as_str(), "jan", "heslo-123").await;
    let params = common::params_of(&landing);
    assert_eq!(params.get("state"), Some(state.secret()));
    let tokens = client
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let claims = tokens.id_token().expect("an ID token").claims(&client.id_token_verifier(), &nonce).unwrap();
    assert_eq!(claims.issuer().as_str(), server.issuer);
}

#[tokio::test]
async fn registration_client_uri_returns_the_metadata_without_the_secret() {
    let server = start().await;
    let created = registered(&server, json!({ "redirect_uris": [REDIRECT], "client_name": "Klient" })).await;

    let response = reqwest::Client::new()
        .get(created["registration_client_uri"].as_str().unwrap())
        .bearer_auth(created["registration_access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["client_id"], created["client_id"]);
    assert_eq!(body["client_name"], "Klient");
    assert_eq!(body["redirect_uris"], json!([REDIRECT]));
    assert!(body.get("client_secret").is_none(), "{body}");
    assert!(body.get("registration_access_token").is_none(), "{body}");
}

#[tokio::test]
async fn registration_client_uri_with_a_wrong_token_is_unauthorized() {
    let server = start().await;
    let created = registered(&server, json!({ "redirect_uris": [REDIRECT] })).await;

    let response = reqwest::Client::new()
        .get(created["registration_client_uri"].as_str().unwrap())
        .bearer_auth("not-the-registration-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test]
async fn put_replaces_the_redirect_uris() {
    let server = start().await;
    let created = registered(&server, json!({ "redirect_uris": [REDIRECT] })).await;
    let client_id = created["client_id"].as_str().unwrap();
    let new_redirect = "http://127.0.0.1:9/new-cb";

    let response = reqwest::Client::new()
        .put(created["registration_client_uri"].as_str().unwrap())
        .bearer_auth(created["registration_access_token"].as_str().unwrap())
        .json(&json!({ "client_id": client_id, "redirect_uris": [new_redirect] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["redirect_uris"], json!([new_redirect]));

    let browser = server.browser();
    assert!(is_login_page(&browser.visit(&server.issuer, &authorize_url(&server, client_id, new_redirect)).await));
    assert!(is_error_page(&browser.visit(&server.issuer, &authorize_url(&server, client_id, REDIRECT)).await));
}

#[tokio::test]
async fn deleted_client_can_no_longer_log_in() {
    let server = start().await;
    let created = registered(&server, json!({ "redirect_uris": [REDIRECT] })).await;
    let client_id = created["client_id"].as_str().unwrap();
    let browser = server.browser();
    assert!(is_login_page(&browser.visit(&server.issuer, &authorize_url(&server, client_id, REDIRECT)).await));

    let response = reqwest::Client::new()
        .delete(created["registration_client_uri"].as_str().unwrap())
        .bearer_auth(created["registration_access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let landing = browser.visit(&server.issuer, &authorize_url(&server, client_id, REDIRECT)).await;
    assert!(is_error_page(&landing), "{landing:?}");
    let Landing::Page(_, html) = landing else { unreachable!() };
    assert!(html.contains("not known") || html.contains("invalid_request"), "{html}");
}

#[tokio::test]
async fn code_client_without_redirect_uris_is_refused() {
    let server = start().await;
    let response = register(&server, &json!({ "client_name": "Bez adres" })).await;
    assert_refused(response, "invalid_redirect_uri").await;
}

#[tokio::test]
async fn redirect_uri_with_a_fragment_is_refused() {
    let server = start().await;
    let response = register(&server, &json!({ "redirect_uris": ["http://127.0.0.1:9/cb#frag"] })).await;
    assert_refused(response, "invalid_redirect_uri").await;
}

#[tokio::test]
async fn unknown_token_endpoint_auth_method_is_refused() {
    let server = start().await;
    let response = register(
        &server,
        &json!({ "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_carrier_pigeon" }),
    )
    .await;
    assert_refused(response, "invalid_client_metadata").await;
}

#[tokio::test]
async fn jwks_with_private_key_members_is_refused() {
    let server = start().await;
    let key = josekit::jws::RS256.generate_key_pair(2048).unwrap();
    let private_jwk: Value = serde_json::to_value(key.to_jwk_key_pair().as_ref()).unwrap();
    assert!(private_jwk.get("d").is_some());
    let response = register(
        &server,
        &json!({
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": { "keys": [private_jwk] },
        }),
    )
    .await;
    assert_refused(response, "invalid_client_metadata").await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_with_a_json_error() {
    let server = start().await;
    let response = reqwest::Client::new()
        .post(server.url("/register"))
        .header("content-type", "application/json")
        .body("redirect_uris=http://127.0.0.1:9/cb")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(content_type(&response).starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");
}

#[tokio::test]
async fn registration_without_the_initial_access_token_is_unauthorized() {
    let server = start_with(|c| c.registration.initial_access_token = Some("t0ken".into())).await;
    let response = register(&server, &json!({ "redirect_uris": [REDIRECT] })).await;
    assert_eq!(response.status(), 401);

    let wrong = reqwest::Client::new()
        .post(server.url("/register"))
        .bearer_auth("t0ken-but-wrong")
        .json(&json!({ "redirect_uris": [REDIRECT] }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
}

#[tokio::test]
async fn registration_with_the_initial_access_token_succeeds() {
    let server = start_with(|c| c.registration.initial_access_token = Some("t0ken".into())).await;
    let response = reqwest::Client::new()
        .post(server.url("/register"))
        .bearer_auth("t0ken")
        .json(&json!({ "redirect_uris": [REDIRECT] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn disabled_registration_refuses_and_is_not_advertised() {
    let server = TestServer::start_with(|c| c.registration.enabled = false).await;
    let response = register(&server, &json!({ "redirect_uris": [REDIRECT] })).await;
    assert!(response.status().is_client_error(), "{}", response.status());
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");

    let discovery: Value =
        reqwest::get(server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert!(discovery.get("registration_endpoint").is_none(), "{discovery}");
}

#[tokio::test]
async fn enabled_registration_is_advertised() {
    let server = start().await;
    let discovery: Value =
        reqwest::get(server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(discovery["registration_endpoint"], server.url("/register"));
}

#[tokio::test]
async fn private_key_jwt_client_registers_with_jwks_and_authenticates_with_its_key() {
    let server = start().await;
    server.add_user("jan", "heslo-123", json!({})).await;
    let key = josekit::jws::RS256.generate_key_pair(2048).unwrap();
    let mut public_jwk: Value = serde_json::to_value(key.to_jwk_public_key().as_ref()).unwrap();
    public_jwk["kid"] = json!("rp-key-1");
    public_jwk["alg"] = json!("RS256");
    let created = registered(
        &server,
        json!({
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": { "keys": [public_jwk] },
        }),
    )
    .await;
    assert_eq!(created["token_endpoint_auth_method"], "private_key_jwt");
    assert!(created.get("client_secret").is_none(), "{created}");
    let client_id = created["client_id"].as_str().unwrap();

    let browser = server.browser();
    let landing =
        browser.authorize(&server.issuer, &authorize_url(&server, client_id, REDIRECT), "jan", "heslo-123").await;
    let code = common::params_of(&landing)["code"].clone();

    let now = server.provider.now();
    let header = URL_SAFE_NO_PAD.encode(json!({ "alg": "RS256", "kid": "rp-key-1", "typ": "JWT" }).to_string());
    let claims = URL_SAFE_NO_PAD.encode(
        json!({
            "iss": client_id, "sub": client_id, "aud": server.url("/token"),
            "jti": "assertion-1", "iat": now, "exp": now + 60,
        })
        .to_string(),
    );
    let signer = josekit::jws::RS256.signer_from_der(key.to_der_private_key()).unwrap();
    let signature = URL_SAFE_NO_PAD.encode(signer.sign(format!("{header}.{claims}").as_bytes()).unwrap());
    let assertion = format!("{header}.{claims}.{signature}");
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", &assertion),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body["id_token"].is_string(), "{body}");
}

/// Serves `body` as JSON at `http://127.0.0.1:<port>/sector.json`; returns the URL.
async fn serve_sector_document(body: Value) -> String {
    let app = axum::Router::new().route("/sector.json", get(move || async move { axum::Json(body) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sector.json", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn pairwise_client_with_a_sector_identifier_uri_gets_pairwise_subjects() {
    let server = start().await;
    let user = server.add_user("jan", "heslo-123", json!({})).await;
    let other_redirect = "http://localhost:9/cb";
    let sector = serve_sector_document(json!([REDIRECT, other_redirect])).await;
    let created = registered(
        &server,
        json!({
            "redirect_uris": [REDIRECT, other_redirect],
            "subject_type": "pairwise",
            "sector_identifier_uri": sector,
        }),
    )
    .await;
    assert_eq!(created["subject_type"], "pairwise");
    let client_id = created["client_id"].as_str().unwrap();
    let secret = created["client_secret"].as_str().unwrap();

    let browser = server.browser();
    let landing =
        browser.authorize(&server.issuer, &authorize_url(&server, client_id, REDIRECT), "jan", "heslo-123").await;
    let code = common::params_of(&landing)["code"].clone();
    let tokens: Value = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_token = tokens["id_token"].as_str().expect("an ID token");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(id_token.split('.').nth(1).unwrap()).unwrap()).unwrap();
    let sub = claims["sub"].as_str().unwrap();
    assert!(!sub.is_empty());
    assert_ne!(sub, user.id, "a pairwise client must not see the public subject");
}

#[tokio::test]
async fn sector_identifier_uri_that_does_not_list_the_redirect_uris_is_refused() {
    let server = start().await;
    let sector = serve_sector_document(json!(["http://127.0.0.1:9/some-other-cb"])).await;
    let response = register(
        &server,
        &json!({
            "redirect_uris": [REDIRECT],
            "subject_type": "pairwise",
            "sector_identifier_uri": sector,
        }),
    )
    .await;
    assert_refused(response, "invalid_client_metadata").await;
}

#[tokio::test]
async fn sector_identifier_uri_over_plain_http_is_refused_unless_on_loopback() {
    let server = start().await;
    let response = register(
        &server,
        &json!({
            "redirect_uris": [REDIRECT],
            "subject_type": "pairwise",
            "sector_identifier_uri": "http://rp.example/sector.json",
        }),
    )
    .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client_metadata", "{body}");
    // Refused for its scheme, before any fetch is tried.
    let description = body["error_description"].as_str().unwrap();
    assert!(description.contains("must be an https URL"), "{description}");
}

#[tokio::test]
async fn a_registrant_cannot_make_its_client_first_party_or_choose_its_secret() {
    let server = start().await;
    server.add_user("jan", "heslo-123", json!({})).await;
    let created = registered(
        &server,
        json!({ "redirect_uris": [REDIRECT], "first_party": true, "client_secret": "chosen-by-the-registrant" }),
    )
    .await;
    assert_ne!(created["client_secret"], "chosen-by-the-registrant");
    assert!(created.get("first_party").is_none(), "{created}");
    let client_id = created["client_id"].as_str().unwrap();

    let browser = server.browser();
    let Landing::Page(200, login) = browser.visit(&server.issuer, &authorize_url(&server, client_id, REDIRECT)).await
    else {
        panic!("no login page");
    };
    let landing =
        browser.submit(&server.issuer, &login, "login", &[("username", "jan"), ("password", "heslo-123")]).await;
    match landing {
        Landing::Page(200, html) => assert!(html.contains("id=\"consent\""), "the consent page must be shown:\n{html}"),
        other => panic!("a dynamically registered client skipped consent: {other:?}"),
    }
}

#[tokio::test]
async fn a_registration_token_manages_only_its_own_client() {
    let server = start().await;
    let first = registered(&server, json!({ "redirect_uris": [REDIRECT] })).await;
    let second = registered(&server, json!({ "redirect_uris": [REDIRECT] })).await;

    let http = reqwest::Client::new();
    let second_uri = second["registration_client_uri"].as_str().unwrap();
    let first_token = first["registration_access_token"].as_str().unwrap();
    let read = http.get(second_uri).bearer_auth(first_token).send().await.unwrap();
    assert_eq!(read.status(), 401);
    let delete = http.delete(second_uri).bearer_auth(first_token).send().await.unwrap();
    assert_eq!(delete.status(), 401);
    let still_there =
        http.get(second_uri).bearer_auth(second["registration_access_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(still_there.status(), 200);
}

#[tokio::test]
async fn put_cannot_change_the_client_id() {
    let server = start().await;
    let created = registered(&server, json!({ "redirect_uris": [REDIRECT] })).await;
    let response = reqwest::Client::new()
        .put(created["registration_client_uri"].as_str().unwrap())
        .bearer_auth(created["registration_access_token"].as_str().unwrap())
        .json(&json!({ "client_id": "someone-else", "redirect_uris": [REDIRECT] }))
        .send()
        .await
        .unwrap();
    assert_refused(response, "invalid_client_metadata").await;
}

#[tokio::test]
async fn registered_logo_and_links_appear_on_the_login_page() {
    let server = start().await;
    let body = registered(
        &server,
        json!({
            "redirect_uris": [REDIRECT],
            "client_name": "Obec Lhota",
            "logo_uri": "https://lhota.example/logo.png",
            "policy_uri": "https://lhota.example/gdpr",
            "tos_uri": "https://lhota.example/podminky",
        }),
    )
    .await;
    assert_eq!(body["logo_uri"], "https://lhota.example/logo.png");
    let client_id = body["client_id"].as_str().unwrap();
    let landing = server.browser().visit(&server.issuer, &authorize_url(&server, client_id, REDIRECT)).await;
    let Landing::Page(200, html) = landing else { panic!("expected the login page, got {landing:?}") };
    assert!(html.contains(r#"id="client-logo" class="client-logo" src="https://lhota.example/logo.png""#), "{html}");
    assert!(html.contains(r#"href="https://lhota.example/gdpr""#));
    assert!(html.contains(r#"href="https://lhota.example/podminky""#));
}

#[tokio::test]
async fn a_logo_or_link_that_is_not_a_web_url_is_refused() {
    let server = start().await;
    for field in ["logo_uri", "policy_uri", "tos_uri", "client_uri"] {
        let response = register(&server, &json!({ "redirect_uris": [REDIRECT], field: "javascript:alert(1)" })).await;
        assert_refused(response, "invalid_client_metadata").await;
    }
}
