//! The authorization endpoint and its pages, driven over HTTP the way a relying party and a person
//! at the login page would: prompts, max_age, consent, account selection, hints, locales, failed
//! logins, CSRF, error delivery, the claims parameter, implicit and hybrid responses, form_post,
//! request objects, pairwise subjects — and discovery advertising exactly what works.

use crate::common;

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Browser, Landing, TestServer, params_of};
use josekit::jwk::KeyPair;
use openidconnect::core::{CoreClient, CoreIdToken, CoreProviderMetadata};
use openidconnect::{ClientId, ClientSecret, IssuerUrl, Nonce};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const USER: &str = "jan";
const PASSWORD: &str = "heslo-123";
const STATE: &str = "st-123";
const NONCE: &str = "n-456";

/// A registered relying party.
struct Rp {
    id: String,
    secret: Option<String>,
    redirect: String,
}

/// Registers a confidential client at [`REDIRECT`]; `extra` adds or replaces metadata members.
async fn rp(server: &TestServer, extra: Value) -> Rp {
    let mut metadata = json!({ "redirect_uris": [REDIRECT], "client_name": "Testovací aplikace" });
    metadata.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    let redirect = metadata["redirect_uris"][0].as_str().unwrap().to_string();
    let (id, secret) = server.add_client(metadata).await;
    Rp { id, secret, redirect }
}

/// A server with the person `jan` and a client; `extra` is the client's extra metadata.
async fn setup(extra: Value) -> (TestServer, Rp) {
    let server = TestServer::start().await;
    server.add_user(USER, PASSWORD, json!({ "name": "Jan Novák", "email": "jan@example.cz" })).await;
    let rp = rp(&server, extra).await;
    (server, rp)
}

/// An authorization URL for a code request with `state`; `extra` adds parameters or replaces
/// defaults (an empty value removes one).
fn authorize_url(server: &TestServer, rp: &Rp, extra: &[(&str, &str)]) -> String {
    let mut params: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", &rp.id),
        ("redirect_uri", &rp.redirect),
        ("scope", "openid"),
        ("state", STATE),
    ];
    for (name, value) in extra {
        params.retain(|(n, _)| n != name);
        if !value.is_empty() {
            params.push((name, value));
        }
    }
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url.to_string()
}

/// Logs `jan` in through the pages (consenting if asked) and returns the redirect to the client.
async fn log_in(server: &TestServer, browser: &Browser, rp: &Rp, extra: &[(&str, &str)]) -> String {
    browser.authorize(&server.issuer, &authorize_url(server, rp, extra), USER, PASSWORD).await
}

fn expect_page(landing: Landing) -> (u16, String) {
    match landing {
        Landing::Page(status, html) => (status, html),
        Landing::Redirect(to) => panic!("expected a page of the provider, got a redirect to {to}"),
    }
}

fn expect_redirect(landing: Landing) -> String {
    match landing {
        Landing::Redirect(to) => to,
        Landing::Page(status, html) => panic!("expected a redirect to the client, got a page ({status}):\n{html}"),
    }
}

/// The parameters of a redirect to `rp`, after checking that it goes to `rp`.
fn response_of(rp: &Rp, redirect: &str) -> HashMap<String, String> {
    assert!(redirect.starts_with(&rp.redirect), "redirect to the wrong place: {redirect}");
    params_of(redirect)
}

fn code_of(rp: &Rp, redirect: &str) -> String {
    let params = response_of(rp, redirect);
    assert_eq!(params.get("error"), None, "{redirect}");
    params.get("code").unwrap_or_else(|| panic!("no code in {redirect}")).clone()
}

fn error_of(rp: &Rp, redirect: &str) -> String {
    response_of(rp, redirect).get("error").unwrap_or_else(|| panic!("no error in {redirect}")).clone()
}

fn is_page(html: &str, id: &str) -> bool {
    html.contains(&format!("id=\"{id}\""))
}

/// The text inside the element with `id` (no nested tags expected).
fn text_of(html: &str, id: &str) -> String {
    let start = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in:\n{html}"));
    let open = html[start..].find('>').unwrap() + start + 1;
    let close = html[open..].find('<').unwrap() + open;
    html[open..close].trim().to_string()
}

/// Exchanges a code at the token endpoint (client_secret_basic) and returns the JSON response.
async fn exchange(server: &TestServer, rp: &Rp, code: &str) -> Value {
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(&rp.id, rp.secret.as_deref())
        .form(&[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", &rp.redirect)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The claims of a JWT, unverified.
fn jwt_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The claims of the ID token a code is exchanged for.
async fn id_token_for(server: &TestServer, rp: &Rp, redirect: &str) -> Value {
    let tokens = exchange(server, rp, &code_of(rp, redirect)).await;
    jwt_claims(tokens["id_token"].as_str().unwrap())
}

/// Continues from `landing` through login, consent and account selection, as `jan`.
async fn finish(server: &TestServer, browser: &Browser, mut landing: Landing) -> String {
    loop {
        landing = match landing {
            Landing::Redirect(to) => return to,
            Landing::Page(_, html) if is_page(&html, "login") => {
                browser.submit(&server.issuer, &html, "login", &[("username", USER), ("password", PASSWORD)]).await
            }
            Landing::Page(_, html) if is_page(&html, "consent") => {
                browser.submit(&server.issuer, &html, "consent", &[("decision", "allow")]).await
            }
            Landing::Page(status, html) => panic!("unexpected page ({status}):\n{html}"),
        };
    }
}

/// Left half of SHA-256, base64url: `at_hash` and `c_hash` for RS256.
fn half_hash(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// Verifies an ID token as the `openidconnect` crate does (JWKS signature, issuer, audience,
/// expiry, nonce) and returns its claims.
async fn verify_id_token(server: &TestServer, rp: &Rp, id_token: &str) -> Value {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(server.issuer.clone()).unwrap(), &http).await.unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(rp.id.clone()),
        rp.secret.clone().map(ClientSecret::new),
    );
    let token: CoreIdToken = id_token.parse().unwrap();
    token.claims(&client.id_token_verifier(), &Nonce::new(NONCE.into())).expect("the ID token verifies");
    jwt_claims(id_token)
}

mod errors;
mod limits;
mod pages;
mod prompts;
mod request_objects;
mod responses;
mod subjects;
