//! The token endpoint and the endpoints that take its tokens — userinfo, introspection (RFC 7662)
//! and revocation (RFC 7009) — driven over HTTP the way a relying party does: code exchange with
//! PKCE, refresh rotation and reuse detection, client credentials, every client-authentication
//! method, ID-token signing algorithms, and what survives a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Browser, Landing, TestServer};
use josekit::jwk::Jwk;
use josekit::jws::{JwsHeader, RS256};
use josekit::jwt::JwtPayload;
use openidconnect::core::{
    CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{AccessToken, AccessTokenHash, ClientId, ClientSecret, IssuerUrl, Nonce};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const USER: &str = "jan";
const PASS: &str = "heslo-123";
const NONCE: &str = "n-0S6_WzA2Mj";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A server with one person on it.
async fn server() -> TestServer {
    let server = TestServer::start().await;
    server
        .add_user(USER, PASS, json!({ "name": "Jan Novák", "email": "jan@example.cz", "email_verified": true }))
        .await;
    server
}

fn merged(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(base), Value::Object(extra)) = (&mut base, extra) {
        base.extend(extra);
    }
    base
}

/// A confidential web client (client_secret_basic unless `extra` says otherwise) for the code
/// flow with refresh tokens.
async fn web_client(server: &TestServer, extra: Value) -> (String, String) {
    let base = json!({
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
    });
    let (id, secret) = server.add_client(merged(base, extra)).await;
    (id, secret.unwrap_or_default())
}

/// The reply of an endpoint: status, headers and the body as JSON (`Null` when it is not JSON).
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HeaderMap,
    text: String,
    json: Value,
}

impl Reply {
    async fn of(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self { status, headers, text, json }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn str(&self, name: &str) -> &str {
        self.json[name].as_str().unwrap_or_else(|| panic!("no {name} in {}", self.text))
    }

    /// Asserts an OAuth error response: status, JSON content type, `error` and a description.
    #[track_caller]
    fn assert_error(&self, status: u16, error: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.json["error"], error, "{}", self.text);
        assert!(self.json["error_description"].is_string(), "{}", self.text);
        assert!(self.header("content-type").unwrap_or_default().starts_with("application/json"));
    }
}

/// POSTs a form to `path`, with Basic credentials when given.
async fn post(server: &TestServer, path: &str, basic: Option<(&str, &str)>, form: &[(&str, &str)]) -> Reply {
    let mut request = http().post(server.url(path)).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    Reply::of(request.send().await.unwrap()).await
}

/// A token request authenticated with client_secret_basic.
async fn token(server: &TestServer, id: &str, secret: &str, form: &[(&str, &str)]) -> Reply {
    post(server, "/token", Some((id, secret)), form).await
}

async fn userinfo(server: &TestServer, access_token: &str) -> Reply {
    Reply::of(http().get(server.url("/userinfo")).bearer_auth(access_token).send().await.unwrap()).await
}

fn pkce_pair() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The authorization request URL of a code flow; `extra` adds or overrides parameters.
fn authorize_url(server: &TestServer, client_id: &str, scope: &str, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("scope", scope)
            .append_pair("state", "xyz")
            .append_pair("nonce", NONCE);
        for (k, v) in extra {
            query.append_pair(k, v);
        }
    }
    url.to_string()
}

/// Logs in through `browser` and returns the authorization code.
async fn code_with(
    server: &TestServer,
    browser: &Browser,
    client_id: &str,
    scope: &str,
    extra: &[(&str, &str)],
) -> String {
    let url = authorize_url(server, client_id, scope, extra);
    let landing = browser.authorize(&server.issuer, &url, USER, PASS).await;
    assert!(landing.starts_with(REDIRECT), "{landing}");
    let params = common::params_of(&landing);
    params.get("code").unwrap_or_else(|| panic!("no code in {landing}")).clone()
}

async fn code(server: &TestServer, client_id: &str, scope: &str) -> String {
    code_with(server, &server.browser(), client_id, scope, &[]).await
}

async fn exchange(server: &TestServer, id: &str, secret: &str, code: &str) -> Reply {
    token(server, id, secret, &[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT)]).await
}

/// A full login and code exchange; returns the successful token response.
async fn login_and_get_tokens(server: &TestServer, id: &str, secret: &str, scope: &str) -> Value {
    let code = code(server, id, scope).await;
    let reply = exchange(server, id, secret, &code).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json
}

async fn refresh(server: &TestServer, id: &str, secret: &str, refresh_token: &str) -> Reply {
    token(server, id, secret, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
}

fn str_of<'a>(json: &'a Value, name: &str) -> &'a str {
    json[name].as_str().unwrap_or_else(|| panic!("no {name} in {json}"))
}

fn jwt_part(jwt: &str, index: usize) -> Value {
    let part = jwt.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// The (unverified) header of a JWT.
fn header_of(jwt: &str) -> Value {
    jwt_part(jwt, 0)
}

/// The (unverified) claims of a JWT.
fn claims_of(jwt: &str) -> Value {
    jwt_part(jwt, 1)
}

async fn jwks_of(server: &TestServer) -> Value {
    http().get(server.url("/jwks")).send().await.unwrap().json().await.unwrap()
}

/// An `openidconnect` verifier for ID tokens issued to this client, with the provider's JWKS.
async fn id_token_verifier(server: &TestServer, id: &str, secret: &str) -> CoreIdTokenVerifier<'static> {
    let http = http();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(server.issuer.clone()).unwrap(), &http).await.unwrap();
    let jwks = CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), &http).await.unwrap();
    CoreIdTokenVerifier::new_confidential_client(
        ClientId::new(id.into()),
        ClientSecret::new(secret.into()),
        IssuerUrl::new(server.issuer.clone()).unwrap(),
        jwks,
    )
}

/// Verifies `jwt` with the key of the JWKS named by its `kid`; returns the claims.
fn verify_with_jwks(jwt: &str, jwks: &Value) -> Value {
    let header = header_of(jwt);
    let kid = header["kid"].as_str().expect("a kid");
    let key = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid).expect("the kid is in the JWKS");
    let jwk = Jwk::from_bytes(serde_json::to_vec(key).unwrap()).unwrap();
    let (payload, _) = match header["alg"].as_str().unwrap() {
        "RS256" => josekit::jwt::decode_with_verifier(jwt, &RS256.verifier_from_jwk(&jwk).unwrap()),
        "PS256" => josekit::jwt::decode_with_verifier(jwt, &josekit::jws::PS256.verifier_from_jwk(&jwk).unwrap()),
        "ES256" => josekit::jwt::decode_with_verifier(jwt, &josekit::jws::ES256.verifier_from_jwk(&jwk).unwrap()),
        "EdDSA" => josekit::jwt::decode_with_verifier(jwt, &josekit::jws::EdDSA.verifier_from_jwk(&jwk).unwrap()),
        other => panic!("unexpected alg {other}"),
    }
    .expect("the signature verifies");
    Value::Object(payload.claims_set().clone())
}

// ---------------------------------------------------------------------------------------------
// Code exchange
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn code_exchange_returns_bearer_tokens_and_a_complete_id_token() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let code = code(&server, &id, "openid profile").await;
    let reply = exchange(&server, &id, &secret, &code).await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert!(!reply.str("access_token").is_empty());
    assert!(reply.str("token_type").eq_ignore_ascii_case("bearer"));
    assert!(reply.json["expires_in"].as_i64().unwrap() > 0);
    assert!(reply.json["refresh_token"].is_string());
    let scope: Vec<&str> = reply.str("scope").split(' ').collect();
    assert!(scope.contains(&"openid") && scope.contains(&"profile"), "{scope:?}");

    // The ID token, as the openidconnect crate checks it (signature, iss, aud, exp, nonce).
    let raw = reply.str("id_token");
    let id_token = CoreIdToken::from_str(raw).unwrap();
    let verifier = id_token_verifier(&server, &id, &secret).await;
    let verified = id_token.claims(&verifier, &Nonce::new(NONCE.into())).unwrap();
    let expected_hash = AccessTokenHash::from_token(
        &AccessToken::new(reply.str("access_token").into()),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(verified.access_token_hash(), Some(&expected_hash));

    let claims = claims_of(raw);
    assert_eq!(claims["iss"], server.issuer);
    assert!(claims["sub"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(claims["aud"] == json!(id) || claims["aud"] == json!([id]), "{claims}");
    assert_eq!(claims["azp"], id);
    assert_eq!(claims["nonce"], NONCE);
    let iat = claims["iat"].as_i64().unwrap();
    assert!(claims["exp"].as_i64().unwrap() > iat);
    assert!(claims["auth_time"].as_i64().unwrap() <= iat);
    assert!(claims["acr"].as_str().is_some_and(|s| !s.is_empty()), "{claims}");
    assert!(claims["amr"].as_array().is_some_and(|a| !a.is_empty()), "{claims}");
    assert!(claims["sid"].as_str().is_some_and(|s| !s.is_empty()), "{claims}");
    assert!(claims["at_hash"].is_string(), "{claims}");
}

#[tokio::test]
async fn reusing_a_code_fails_and_revokes_what_the_first_exchange_issued() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let code = code(&server, &id, "openid").await;
    let first = exchange(&server, &id, &secret, &code).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(userinfo(&server, first.str("access_token")).await.status, 200);

    exchange(&server, &id, &secret, &code).await.assert_error(400, "invalid_grant");

    assert_eq!(userinfo(&server, first.str("access_token")).await.status, 401);
    refresh(&server, &id, &secret, first.str("refresh_token")).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn two_concurrent_redemptions_of_a_code_leave_no_live_token() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    for _ in 0..5 {
        let code = code(&server, &id, "openid").await;
        let (a, b) = tokio::join!(exchange(&server, &id, &secret, &code), exchange(&server, &id, &secret, &code));
        // At most one wins the race, and whatever it got is revoked once the replay is seen.
        assert!(a.status == 400 || b.status == 400, "{} / {}", a.text, b.text);
        for reply in [a, b] {
            if reply.status == 200 {
                assert_eq!(userinfo(&server, reply.str("access_token")).await.status, 401);
            } else {
                reply.assert_error(400, "invalid_grant");
            }
        }
    }
}

#[tokio::test]
async fn an_expired_code_is_invalid_grant() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let code = code(&server, &id, "openid").await;
    server.clock.advance(61);
    exchange(&server, &id, &secret, &code).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_different_redirect_uri_at_exchange_is_invalid_grant() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({ "redirect_uris": [REDIRECT, "http://127.0.0.1:9/other"] })).await;
    let code = code(&server, &id, "openid").await;
    let form = [("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "http://127.0.0.1:9/other")];
    token(&server, &id, &secret, &form).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_code_issued_to_one_client_cannot_be_redeemed_by_another() {
    let server = server().await;
    let (a, _) = web_client(&server, json!({})).await;
    let (b, b_secret) = web_client(&server, json!({})).await;
    let code = code(&server, &a, "openid").await;
    exchange(&server, &b, &b_secret, &code).await.assert_error(400, "invalid_grant");
}

// ---------------------------------------------------------------------------------------------
// PKCE (RFC 7636)
// ---------------------------------------------------------------------------------------------

async fn pkce_code(server: &TestServer, client_id: &str, challenge: &str) -> String {
    let extra = [("code_challenge", challenge), ("code_challenge_method", "S256")];
    code_with(server, &server.browser(), client_id, "openid", &extra).await
}

#[tokio::test]
async fn pkce_with_a_wrong_verifier_is_invalid_grant() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let (_, challenge) = pkce_pair();
    let code = pkce_code(&server, &id, &challenge).await;
    let (other_verifier, _) = pkce_pair();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", other_verifier.as_str()),
    ];
    token(&server, &id, &secret, &form).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn pkce_without_the_verifier_is_invalid_grant() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let (_, challenge) = pkce_pair();
    let code = pkce_code(&server, &id, &challenge).await;
    exchange(&server, &id, &secret, &code).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_verifier_without_a_challenge_is_invalid_grant() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let code = code(&server, &id, "openid").await;
    let (verifier, _) = pkce_pair();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    token(&server, &id, &secret, &form).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_public_client_completes_the_flow_with_pkce_and_no_secret() {
    let server = server().await;
    let (id, secret) = server
        .add_client(json!({
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code"],
            "token_endpoint_auth_method": "none",
        }))
        .await;
    assert!(secret.is_none());
    let (verifier, challenge) = pkce_pair();
    let code = pkce_code(&server, &id, &challenge).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", id.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let reply = post(&server, "/token", None, &form).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.json["id_token"].is_string());
    assert_eq!(userinfo(&server, reply.str("access_token")).await.status, 200);
}

// ---------------------------------------------------------------------------------------------
// Refresh tokens
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn refresh_rotates_the_token_and_reissues_a_consistent_id_token() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let first = login_and_get_tokens(&server, &id, &secret, "openid profile").await;
    server.clock.advance(1);

    let second = refresh(&server, &id, &secret, str_of(&first, "refresh_token")).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.header("cache-control"), Some("no-store"));
    assert_ne!(second.str("refresh_token"), str_of(&first, "refresh_token"));
    assert_ne!(second.str("access_token"), str_of(&first, "access_token"));
    assert_eq!(userinfo(&server, second.str("access_token")).await.status, 200);

    let (old, new) = (claims_of(str_of(&first, "id_token")), claims_of(second.str("id_token")));
    for claim in ["iss", "sub", "aud", "auth_time", "azp", "acr", "sid"] {
        assert_eq!(old[claim], new[claim], "{claim}");
    }
    assert_ne!(old["iat"], new["iat"]);
    assert!(new["at_hash"].is_string());

    server.clock.advance(1);
    let third = refresh(&server, &id, &secret, second.str("refresh_token")).await;
    assert_eq!(third.status, 200, "the rotated refresh token works: {}", third.text);
}

#[tokio::test]
async fn refresh_can_narrow_the_scope_but_not_widen_it() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let first = login_and_get_tokens(&server, &id, &secret, "openid profile").await;
    let rt = str_of(&first, "refresh_token");

    let wider = [("grant_type", "refresh_token"), ("refresh_token", rt), ("scope", "openid profile email")];
    token(&server, &id, &secret, &wider).await.assert_error(400, "invalid_scope");

    let narrower = [("grant_type", "refresh_token"), ("refresh_token", rt), ("scope", "openid")];
    let reply = token(&server, &id, &secret, &narrower).await;
    assert_eq!(reply.status, 200, "the refused widening did not burn the token: {}", reply.text);
    assert_eq!(reply.str("scope"), "openid");
    let info = userinfo(&server, reply.str("access_token")).await;
    assert_eq!(info.status, 200);
    assert!(info.json.get("name").is_none(), "profile claims were released: {}", info.text);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_family() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let first = login_and_get_tokens(&server, &id, &secret, "openid").await;
    let old = str_of(&first, "refresh_token");
    let second = refresh(&server, &id, &secret, old).await;
    assert_eq!(second.status, 200, "{}", second.text);

    server.clock.advance(11);
    refresh(&server, &id, &secret, old).await.assert_error(400, "invalid_grant");
    refresh(&server, &id, &secret, second.str("refresh_token")).await.assert_error(400, "invalid_grant");
    assert_eq!(userinfo(&server, second.str("access_token")).await.status, 401);
}

#[tokio::test]
async fn reusing_a_refresh_token_within_the_grace_window_succeeds() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let first = login_and_get_tokens(&server, &id, &secret, "openid").await;
    let old = str_of(&first, "refresh_token");
    let a = refresh(&server, &id, &secret, old).await;
    let b = refresh(&server, &id, &secret, old).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(b.status, 200, "a concurrent retry within the grace window: {}", b.text);
    assert_eq!(refresh(&server, &id, &secret, b.str("refresh_token")).await.status, 200);
}

#[tokio::test]
async fn another_client_cannot_use_or_burn_a_refresh_token() {
    let server = server().await;
    let (a, a_secret) = web_client(&server, json!({})).await;
    let (b, b_secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &a, &a_secret, "openid").await;
    let rt = str_of(&tokens, "refresh_token");

    refresh(&server, &b, &b_secret, rt).await.assert_error(400, "invalid_grant");
    server.clock.advance(11);
    let reply = refresh(&server, &a, &a_secret, rt).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

// ---------------------------------------------------------------------------------------------
// Client credentials
// ---------------------------------------------------------------------------------------------

async fn service_client(server: &TestServer) -> (String, String) {
    let (id, secret) = server
        .add_client(json!({
            "grant_types": ["client_credentials"],
            "response_types": [],
            "scope": "api:read",
        }))
        .await;
    (id, secret.unwrap())
}

#[tokio::test]
async fn client_credentials_grant_a_registered_scope_without_id_or_refresh_token() {
    let server = server().await;
    let (id, secret) = service_client(&server).await;
    let reply = token(&server, &id, &secret, &[("grant_type", "client_credentials"), ("scope", "api:read")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.str("scope"), "api:read");
    assert!(reply.str("token_type").eq_ignore_ascii_case("bearer"));
    assert!(reply.json.get("id_token").is_none(), "{}", reply.text);
    assert!(reply.json.get("refresh_token").is_none(), "{}", reply.text);

    // No person behind it: userinfo refuses it.
    let info = userinfo(&server, reply.str("access_token")).await;
    assert_eq!(info.status, 401, "{}", info.text);
}

#[tokio::test]
async fn client_credentials_refuse_an_unregistered_scope() {
    let server = server().await;
    let (id, secret) = service_client(&server).await;
    token(&server, &id, &secret, &[("grant_type", "client_credentials"), ("scope", "api:write")])
        .await
        .assert_error(400, "invalid_scope");
    token(&server, &id, &secret, &[("grant_type", "client_credentials"), ("scope", "openid")])
        .await
        .assert_error(400, "invalid_scope");
}

#[tokio::test]
async fn a_client_not_registered_for_client_credentials_is_unauthorized_client() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    token(&server, &id, &secret, &[("grant_type", "client_credentials")])
        .await
        .assert_error(400, "unauthorized_client");
}

// ---------------------------------------------------------------------------------------------
// Client authentication
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn client_secret_post_authenticates_a_client_registered_for_it() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({ "token_endpoint_auth_method": "client_secret_post" })).await;
    let code = code(&server, &id, "openid").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let reply = post(&server, "/token", None, &form).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn basic_auth_for_a_client_registered_for_post_is_invalid_client() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({ "token_endpoint_auth_method": "client_secret_post" })).await;
    let code = code(&server, &id, "openid").await;
    exchange(&server, &id, &secret, &code).await.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn a_wrong_secret_over_basic_is_401_with_a_basic_challenge() {
    let server = server().await;
    let (id, _) = web_client(&server, json!({})).await;
    let code = code(&server, &id, "openid").await;
    let reply = exchange(&server, &id, "not-the-secret", &code).await;
    reply.assert_error(401, "invalid_client");
    assert!(reply.header("www-authenticate").is_some_and(|v| v.starts_with("Basic")), "{:?}", reply.headers);
}

#[tokio::test]
async fn a_wrong_secret_in_the_form_is_invalid_client() {
    let server = server().await;
    let (id, _) = web_client(&server, json!({ "token_endpoint_auth_method": "client_secret_post" })).await;
    let form = [("grant_type", "refresh_token"), ("refresh_token", "x"), ("client_id", &id), ("client_secret", "no")];
    post(&server, "/token", None, &form).await.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn two_authentication_methods_in_one_request_are_refused() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let form = [("grant_type", "refresh_token"), ("refresh_token", "x"), ("client_secret", secret.as_str())];
    let reply = token(&server, &id, &secret, &form).await;
    reply.assert_error(401, "invalid_client");
}

/// A client key pair for private_key_jwt: the public JWKS to register and the private JWK.
fn client_key() -> (Value, Jwk) {
    let pair = RS256.generate_key_pair(2048).unwrap();
    let mut private = pair.to_jwk_private_key();
    private.set_key_id("client-key-1");
    let mut public = pair.to_jwk_public_key();
    public.set_key_id("client-key-1");
    public.set_algorithm("RS256");
    public.set_key_use("sig");
    let public: Value = serde_json::from_str(&public.to_string()).unwrap();
    (json!({ "keys": [public] }), private)
}

/// A client assertion (RFC 7523) signed with `key`; `exp_in` seconds from now (wall clock).
/// josekit writes sub-second NumericDates (`exp: 1700000000.25`), which RFC 7519 allows.
fn assertion(key: &Jwk, client_id: &str, aud: &str, jti: &str, exp_in: i64) -> String {
    let now = std::time::SystemTime::now();
    let exp = if exp_in >= 0 {
        now + std::time::Duration::from_secs(exp_in as u64)
    } else {
        now - std::time::Duration::from_secs((-exp_in) as u64)
    };
    let mut payload = JwtPayload::new();
    payload.set_issuer(client_id);
    payload.set_subject(client_id);
    payload.set_audience(vec![aud]);
    payload.set_jwt_id(jti);
    payload.set_issued_at(&now);
    payload.set_expires_at(&exp);
    let mut header = JwsHeader::new();
    header.set_token_type("JWT");
    header.set_key_id("client-key-1");
    josekit::jwt::encode_with_signer(&payload, &header, &RS256.signer_from_jwk(key).unwrap()).unwrap()
}

/// A client-credentials request authenticated by `assertion`.
async fn with_assertion(server: &TestServer, assertion: &str) -> Reply {
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "api:read"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    post(server, "/token", None, &form).await
}

async fn jwt_client(server: &TestServer, keys: Value) -> String {
    let (id, _) = server
        .add_client(merged(
            json!({
                "grant_types": ["client_credentials"],
                "response_types": [],
                "scope": "api:read",
                "token_endpoint_auth_method": "private_key_jwt",
            }),
            keys,
        ))
        .await;
    id
}

#[tokio::test]
async fn private_key_jwt_authenticates_and_its_jti_cannot_be_replayed() {
    let server = server().await;
    let (jwks, key) = client_key();
    let id = jwt_client(&server, json!({ "jwks": jwks })).await;
    let jwt = assertion(&key, &id, &server.url("/token"), "jti-1", 120);

    let reply = with_assertion(&server, &jwt).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.str("scope"), "api:read");

    with_assertion(&server, &jwt).await.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn private_key_jwt_with_the_issuer_as_audience_is_accepted() {
    let server = server().await;
    let (jwks, key) = client_key();
    let id = jwt_client(&server, json!({ "jwks": jwks })).await;
    let reply = with_assertion(&server, &assertion(&key, &id, &server.issuer, "jti-iss", 120)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn private_key_jwt_with_a_wrong_audience_is_invalid_client() {
    let server = server().await;
    let (jwks, key) = client_key();
    let id = jwt_client(&server, json!({ "jwks": jwks })).await;
    let jwt = assertion(&key, &id, "https://elsewhere.example/token", "jti-aud", 120);
    with_assertion(&server, &jwt).await.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn an_expired_private_key_jwt_is_invalid_client() {
    let server = server().await;
    let (jwks, key) = client_key();
    let id = jwt_client(&server, json!({ "jwks": jwks })).await;
    let jwt = assertion(&key, &id, &server.url("/token"), "jti-old", -600);
    with_assertion(&server, &jwt).await.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn private_key_jwt_signed_with_another_key_is_invalid_client() {
    let server = server().await;
    let (jwks, _) = client_key();
    let (_, stranger) = client_key();
    let id = jwt_client(&server, json!({ "jwks": jwks })).await;
    let jwt = assertion(&stranger, &id, &server.url("/token"), "jti-x", 120);
    with_assertion(&server, &jwt).await.assert_error(401, "invalid_client");
}

/// Serves `jwks` at `http://127.0.0.1:<port>/jwks` until the returned sender is dropped or fired.
async fn host_jwks(jwks: Value) -> (String, tokio::sync::oneshot::Sender<()>) {
    let app = axum::Router::new().route("/jwks", axum::routing::get(move || async move { axum::Json(jwks) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    (url, tx)
}

#[tokio::test]
async fn private_key_jwt_with_keys_from_a_jwks_uri() {
    let server = server().await;
    let (jwks, key) = client_key();
    let (jwks_uri, stop) = host_jwks(jwks).await;
    let id = jwt_client(&server, json!({ "jwks_uri": jwks_uri })).await;
    let reply = with_assertion(&server, &assertion(&key, &id, &server.url("/token"), "jti-uri", 120)).await;
    let _ = stop.send(());
    assert_eq!(reply.status, 200, "{}", reply.text);
}

// ---------------------------------------------------------------------------------------------
// Malformed token requests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_token_request_without_grant_type_is_invalid_request() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    token(&server, &id, &secret, &[("code", "abc")]).await.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn an_unknown_grant_type_is_unsupported_grant_type() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    token(&server, &id, &secret, &[("grant_type", "urn:example:magic")])
        .await
        .assert_error(400, "unsupported_grant_type");
}

#[tokio::test]
async fn a_json_body_at_the_token_endpoint_is_invalid_request() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let response = http()
        .post(server.url("/token"))
        .basic_auth(&id, Some(&secret))
        .json(&json!({ "grant_type": "client_credentials" }))
        .send()
        .await
        .unwrap();
    Reply::of(response).await.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn a_repeated_parameter_at_the_token_endpoint_is_invalid_request() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let form = [("grant_type", "refresh_token"), ("refresh_token", "a"), ("refresh_token", "b")];
    token(&server, &id, &secret, &form).await.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn missing_parameters_are_invalid_request_never_a_server_error() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    token(&server, &id, &secret, &[("grant_type", "authorization_code")]).await.assert_error(400, "invalid_request");
    token(&server, &id, &secret, &[("grant_type", "refresh_token")]).await.assert_error(400, "invalid_request");
    let garbage = token(&server, &id, &secret, &[("grant_type", "authorization_code"), ("code", "nope")]).await;
    garbage.assert_error(400, "invalid_grant");
}

// ---------------------------------------------------------------------------------------------
// Userinfo
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn userinfo_accepts_a_bearer_header_on_get_and_a_form_token_on_post() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid profile email").await;
    let at = str_of(&tokens, "access_token");
    let sub = claims_of(str_of(&tokens, "id_token"))["sub"].clone();

    let get = userinfo(&server, at).await;
    assert_eq!(get.status, 200, "{}", get.text);
    assert_eq!(get.json["sub"], sub);
    assert_eq!(get.json["email"], "jan@example.cz");
    assert_eq!(get.header("cache-control"), Some("no-store"));

    let post =
        Reply::of(http().post(server.url("/userinfo")).form(&[("access_token", at)]).send().await.unwrap()).await;
    assert_eq!(post.status, 200, "{}", post.text);
    assert_eq!(post.json["sub"], sub);
}

#[tokio::test]
async fn userinfo_with_the_token_in_two_places_is_invalid_request() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid").await;
    let at = str_of(&tokens, "access_token");
    let response =
        http().post(server.url("/userinfo")).bearer_auth(at).form(&[("access_token", at)]).send().await.unwrap();
    let reply = Reply::of(response).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert!(reply.header("www-authenticate").is_some_and(|v| v.contains("error=\"invalid_request\"")));
}

#[tokio::test]
async fn userinfo_without_a_token_is_a_bare_bearer_challenge() {
    let server = server().await;
    let reply = Reply::of(http().get(server.url("/userinfo")).send().await.unwrap()).await;
    assert_eq!(reply.status, 401);
    let challenge = reply.header("www-authenticate").expect("a challenge");
    assert!(challenge.starts_with("Bearer realm="), "{challenge}");
    assert!(!challenge.contains("error="), "RFC 6750 §3.1: no error code without credentials: {challenge}");
}

#[tokio::test]
async fn userinfo_with_a_garbage_token_is_invalid_token() {
    let server = server().await;
    let reply = userinfo(&server, "not-a-token").await;
    assert_eq!(reply.status, 401);
    assert!(reply.header("www-authenticate").is_some_and(|v| v.contains("error=\"invalid_token\"")));
}

#[tokio::test]
async fn userinfo_refuses_an_expired_access_token() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid").await;
    server.clock.advance(3601);
    let reply = userinfo(&server, str_of(&tokens, "access_token")).await;
    assert_eq!(reply.status, 401);
    assert!(reply.header("www-authenticate").is_some_and(|v| v.contains("error=\"invalid_token\"")));
}

#[tokio::test]
async fn signed_userinfo_is_a_jwt_that_verifies_with_the_jwks() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({ "userinfo_signed_response_alg": "RS256" })).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid email").await;
    let reply = userinfo(&server, str_of(&tokens, "access_token")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.header("content-type").is_some_and(|v| v.starts_with("application/jwt")));
    assert_eq!(header_of(&reply.text)["alg"], "RS256");
    let claims = verify_with_jwks(&reply.text, &jwks_of(&server).await);
    assert_eq!(claims["iss"], server.issuer);
    assert!(claims["aud"] == json!(id) || claims["aud"] == json!([id]), "{claims}");
    assert_eq!(claims["sub"], claims_of(str_of(&tokens, "id_token"))["sub"]);
    assert_eq!(claims["email"], "jan@example.cz");
}

// ---------------------------------------------------------------------------------------------
// Introspection (RFC 7662)
// ---------------------------------------------------------------------------------------------

async fn introspect(server: &TestServer, id: &str, secret: &str, token: &str) -> Reply {
    post(server, "/introspect", Some((id, secret)), &[("token", token)]).await
}

#[tokio::test]
async fn introspection_describes_an_active_access_token() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid profile").await;
    let reply = introspect(&server, &id, &secret, str_of(&tokens, "access_token")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["active"], true);
    assert_eq!(reply.json["scope"], tokens["scope"]);
    assert_eq!(reply.json["client_id"], id);
    assert_eq!(reply.json["sub"], claims_of(str_of(&tokens, "id_token"))["sub"]);
    assert!(reply.json["exp"].as_i64().is_some());
    assert!(reply.str("token_type").eq_ignore_ascii_case("bearer"));
}

#[tokio::test]
async fn introspection_reports_a_refresh_token_active() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid").await;
    let reply = introspect(&server, &id, &secret, str_of(&tokens, "refresh_token")).await;
    assert_eq!(reply.json["active"], true, "{}", reply.text);
}

#[tokio::test]
async fn introspection_reports_revoked_foreign_and_unknown_tokens_inactive() {
    let server = server().await;
    let (a, a_secret) = web_client(&server, json!({})).await;
    let (b, b_secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &a, &a_secret, "openid").await;
    let at = str_of(&tokens, "access_token");

    let foreign = introspect(&server, &b, &b_secret, at).await;
    assert_eq!(foreign.status, 200);
    assert_eq!(foreign.json, json!({ "active": false }));

    let unknown = introspect(&server, &a, &a_secret, "no-such-token").await;
    assert_eq!(unknown.json, json!({ "active": false }));

    let revoked = post(&server, "/revoke", Some((&a, &a_secret)), &[("token", at)]).await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(introspect(&server, &a, &a_secret, at).await.json, json!({ "active": false }));
}

#[tokio::test]
async fn introspection_requires_client_authentication() {
    let server = server().await;
    let reply = post(&server, "/introspect", None, &[("token", "whatever")]).await;
    reply.assert_error(401, "invalid_client");
}

// ---------------------------------------------------------------------------------------------
// Revocation (RFC 7009)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn revoking_an_access_token_stops_it_at_userinfo() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid").await;
    let at = str_of(&tokens, "access_token");
    let reply =
        post(&server, "/revoke", Some((&id, &secret)), &[("token", at), ("token_type_hint", "access_token")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(userinfo(&server, at).await.status, 401);
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_grant() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid").await;
    let rt = str_of(&tokens, "refresh_token");
    let reply = post(&server, "/revoke", Some((&id, &secret)), &[("token", rt)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    refresh(&server, &id, &secret, rt).await.assert_error(400, "invalid_grant");
    assert_eq!(userinfo(&server, str_of(&tokens, "access_token")).await.status, 401);
}

#[tokio::test]
async fn revoking_an_unknown_token_is_ok() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let reply = post(&server, "/revoke", Some((&id, &secret)), &[("token", "no-such-token")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn a_client_cannot_revoke_another_clients_token() {
    let server = server().await;
    let (a, a_secret) = web_client(&server, json!({})).await;
    let (b, b_secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &a, &a_secret, "openid").await;
    let at = str_of(&tokens, "access_token");
    let reply = post(&server, "/revoke", Some((&b, &b_secret)), &[("token", at)]).await;
    assert!((400..500).contains(&reply.status), "{} {}", reply.status, reply.text);
    assert!(reply.json["error"].is_string(), "{}", reply.text);
    assert_eq!(userinfo(&server, at).await.status, 200);
}

// ---------------------------------------------------------------------------------------------
// ID token signing algorithms
// ---------------------------------------------------------------------------------------------

async fn check_signing_alg(alg: &str, core: CoreJwsSigningAlgorithm) {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({ "id_token_signed_response_alg": alg })).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid").await;
    let raw = str_of(&tokens, "id_token");
    let header = header_of(raw);
    assert_eq!(header["alg"], alg);
    let jwks = jwks_of(&server).await;
    let kid = header["kid"].as_str().expect("a kid");
    assert!(jwks["keys"].as_array().unwrap().iter().any(|k| k["kid"] == kid), "kid {kid} not in {jwks}");

    let verifier = id_token_verifier(&server, &id, &secret).await.set_allowed_algs(vec![core]);
    let id_token = CoreIdToken::from_str(raw).unwrap();
    let claims = id_token.claims(&verifier, &Nonce::new(NONCE.into())).unwrap();
    let expected_hash = AccessTokenHash::from_token(
        &AccessToken::new(str_of(&tokens, "access_token").into()),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));
    verify_with_jwks(raw, &jwks);
}

#[tokio::test]
async fn an_es256_client_gets_an_es256_id_token() {
    check_signing_alg("ES256", CoreJwsSigningAlgorithm::EcdsaP256Sha256).await;
}

#[tokio::test]
async fn a_ps256_client_gets_a_ps256_id_token() {
    check_signing_alg("PS256", CoreJwsSigningAlgorithm::RsaSsaPssSha256).await;
}

#[tokio::test]
async fn an_eddsa_client_gets_an_eddsa_id_token() {
    check_signing_alg("EdDSA", CoreJwsSigningAlgorithm::EdDsa).await;
}

// ---------------------------------------------------------------------------------------------
// Persistence across a restart
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn tokens_keys_and_sessions_survive_a_restart() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let browser = server.browser();
    let code = code_with(&server, &browser, &id, "openid", &[]).await;
    let tokens = exchange(&server, &id, &secret, &code).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let jwks_before = jwks_of(&server).await;

    let (_tempdir, dir, port) = server.stop().await;
    let server = TestServer::start_in(&dir, Some(port), |_| {}).await;

    assert_eq!(jwks_of(&server).await, jwks_before);
    let refreshed = refresh(&server, &id, &secret, tokens.str("refresh_token")).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_eq!(userinfo(&server, refreshed.str("access_token")).await.status, 200);

    let silent = authorize_url(&server, &id, "openid", &[("prompt", "none")]);
    match browser.visit(&server.issuer, &silent).await {
        Landing::Redirect(to) => {
            let params = common::params_of(&to);
            assert!(params.contains_key("code"), "prompt=none after a restart: {to}");
        }
        Landing::Page(status, html) => panic!("prompt=none showed a page ({status}):\n{html}"),
    }
    server.stop().await;
}
