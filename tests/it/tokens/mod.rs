//! The token endpoint and the endpoints that take its tokens — userinfo, introspection (RFC 7662)
//! and revocation (RFC 7009) — driven over HTTP the way a relying party does: code exchange with
//! PKCE, refresh rotation and reuse detection, client credentials, every client-authentication
//! method, ID-token signing algorithms, and what survives a restart.

use crate::common;

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
    server_with(|_| {}).await
}

/// A server with one person on it, its configuration `tweak`ed.
async fn server_with(tweak: impl FnOnce(&mut identita::config::Config)) -> TestServer {
    let server = TestServer::start_with(tweak).await;
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

mod client_auth;
mod code;
mod introspection;
mod refresh;
mod signing;
mod userinfo;
