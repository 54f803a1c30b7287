//! The authorization endpoint and its pages, driven over HTTP the way a relying party and a person
//! at the login page would: prompts, max_age, consent, account selection, hints, locales, failed
//! logins, CSRF, error delivery, the claims parameter, implicit and hybrid responses, form_post,
//! request objects, pairwise subjects — and discovery advertising exactly what works.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

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

// --- prompt=none -----------------------------------------------------------------------------

#[tokio::test]
async fn prompt_none_without_a_session_returns_login_required_with_state() {
    let (server, rp) = setup(json!({})).await;
    let landing = server.browser().visit(&server.issuer, &authorize_url(&server, &rp, &[("prompt", "none")])).await;
    let redirect = expect_redirect(landing);
    let params = response_of(&rp, &redirect);
    assert_eq!(params["error"], "login_required");
    assert_eq!(params["state"], STATE);
    assert_eq!(params["iss"], server.issuer);
}

#[tokio::test]
async fn prompt_none_with_a_session_returns_a_code_without_any_page() {
    let (server, rp) = setup(json!({})).await;
    let browser = server.browser();
    log_in(&server, &browser, &rp, &[]).await;
    let landing = browser.visit(&server.issuer, &authorize_url(&server, &rp, &[("prompt", "none")])).await;
    let redirect = expect_redirect(landing);
    code_of(&rp, &redirect);
    assert_eq!(params_of(&redirect)["state"], STATE);
}

#[tokio::test]
async fn prompt_none_without_consent_returns_consent_required() {
    let (server, portal) = setup(json!({ "first_party": true })).await;
    let other = rp(&server, json!({ "client_name": "Cizí aplikace" })).await;
    let browser = server.browser();
    log_in(&server, &browser, &portal, &[]).await;
    let landing = browser.visit(&server.issuer, &authorize_url(&server, &other, &[("prompt", "none")])).await;
    assert_eq!(error_of(&other, &expect_redirect(landing)), "consent_required");
}

// --- re-authentication: prompt=login, max_age ------------------------------------------------

#[tokio::test]
async fn prompt_login_shows_the_login_page_again_and_moves_auth_time() {
    let (server, rp) = setup(json!({ "first_party": true })).await;
    let browser = server.browser();
    let first = id_token_for(&server, &rp, &log_in(&server, &browser, &rp, &[]).await).await;

    server.clock.advance(120);
    let landing = browser.visit(&server.issuer, &authorize_url(&server, &rp, &[("prompt", "login")])).await;
    let (_, html) = expect_page(landing);
    assert!(is_page(&html, "login"), "{html}");
    let redirect = finish(&server, &browser, Landing::Page(200, html)).await;
    let second = id_token_for(&server, &rp, &redirect).await;
    assert_eq!(second["auth_time"].as_i64().unwrap(), first["auth_time"].as_i64().unwrap() + 120);
}

#[tokio::test]
async fn max_age_within_reuses_the_session_and_its_auth_time() {
    let (server, rp) = setup(json!({ "first_party": true })).await;
    let browser = server.browser();
    let first = id_token_for(&server, &rp, &log_in(&server, &browser, &rp, &[]).await).await;
    assert!(first["auth_time"].is_i64(), "ID tokens carry auth_time: {first}");

    server.clock.advance(30);
    let landing = browser.visit(&server.issuer, &authorize_url(&server, &rp, &[("max_age", "60")])).await;
    let second = id_token_for(&server, &rp, &expect_redirect(landing)).await;
    assert_eq!(second["auth_time"], first["auth_time"]);
}

#[tokio::test]
async fn max_age_exceeded_shows_the_login_page_again() {
    let (server, rp) = setup(json!({ "first_party": true })).await;
    let browser = server.browser();
    let first = id_token_for(&server, &rp, &log_in(&server, &browser, &rp, &[]).await).await;

    server.clock.advance(90);
    let landing = browser.visit(&server.issuer, &authorize_url(&server, &rp, &[("max_age", "60")])).await;
    let (_, html) = expect_page(landing);
    assert!(is_page(&html, "login"), "{html}");
    let second = id_token_for(&server, &rp, &finish(&server, &browser, Landing::Page(200, html)).await).await;
    assert_eq!(second["auth_time"].as_i64().unwrap(), first["auth_time"].as_i64().unwrap() + 90);
}

#[tokio::test]
async fn max_age_zero_always_shows_the_login_page() {
    let (server, rp) = setup(json!({ "first_party": true })).await;
    let browser = server.browser();
    log_in(&server, &browser, &rp, &[]).await;
    let landing = browser.visit(&server.issuer, &authorize_url(&server, &rp, &[("max_age", "0")])).await;
    let (_, html) = expect_page(landing);
    assert!(is_page(&html, "login"), "max_age=0 is equivalent to prompt=login:\n{html}");
}

#[tokio::test]
async fn prompt_none_with_max_age_exceeded_returns_login_required() {
    let (server, rp) = setup(json!({ "first_party": true })).await;
    let browser = server.browser();
    log_in(&server, &browser, &rp, &[]).await;
    server.clock.advance(90);
    let url = authorize_url(&server, &rp, &[("max_age", "60"), ("prompt", "none")]);
    assert_eq!(error_of(&rp, &expect_redirect(browser.visit(&server.issuer, &url).await)), "login_required");
}

// --- consent ---------------------------------------------------------------------------------

#[tokio::test]
async fn remembered_consent_skips_the_consent_page() {
    let (server, rp) = setup(json!({})).await;
    let browser = server.browser();
    log_in(&server, &browser, &rp, &[("scope", "openid profile")]).await;
    let landing = browser.visit(&server.issuer, &authorize_url(&server, &rp, &[("scope", "openid profile")])).await;
    code_of(&rp, &expect_redirect(landing));
}

#[tokio::test]
async fn prompt_consent_shows_the_consent_page_even_when_remembered() {
    let (server, rp) = setup(json!({})).await;
    let browser = server.browser();
    log_in(&server, &browser, &rp, &[]).await;
    let landing = browser.visit(&server.issuer, &authorize_url(&server, &rp, &[("prompt", "consent")])).await;
    let (status, html) = expect_page(landing);
    assert_eq!(status, 200);
    assert!(is_page(&html, "consent"), "{html}");
    assert!(html.contains("data-scope=\"openid\""), "{html}");
}

#[tokio::test]
async fn first_party_client_never_sees_the_consent_page() {
    let (server, rp) = setup(json!({ "first_party": true })).await;
    let browser = server.browser();
    let (_, html) =
        expect_page(browser.visit(&server.issuer, &authorize_url(&server, &rp, &[("scope", "openid email")])).await);
    let landing = browser.submit(&server.issuer, &html, "login", &[("username", USER), ("password", PASSWORD)]).await;
    code_of(&rp, &expect_redirect(landing));

    let landing = browser.visit(&server.issuer, &authorize_url(&server, &rp, &[("prompt", "consent")])).await;
    code_of(&rp, &expect_redirect(landing));
}

#[tokio::test]
async fn denying_consent_returns_access_denied_to_the_client() {
    let (server, rp) = setup(json!({})).await;
    let browser = server.browser();
    let (_, html) = expect_page(browser.visit(&server.issuer, &authorize_url(&server, &rp, &[])).await);
    let (_, html) = expect_page(
        browser.submit(&server.issuer, &html, "login", &[("username", USER), ("password", PASSWORD)]).await,
    );
    assert!(is_page(&html, "consent"), "{html}");
    let landing = browser.submit(&server.issuer, &html, "consent", &[("decision", "deny")]).await;
    let params = response_of(&rp, &expect_redirect(landing));
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], STATE);
}

// --- prompt=select_account -------------------------------------------------------------------

#[tokio::test]
async fn select_account_continue_finishes_the_request() {
    let (server, rp) = setup(json!({ "first_party": true })).await;
    let browser = server.browser();
    log_in(&server, &browser, &rp, &[]).await;
    let landing = browser.visit(&server.issuer, &authorize_url(&server, &rp, &[("prompt", "select_account")])).await;
    let (_, html) = expect_page(landing);
    assert!(is_page(&html, "select-account"), "{html}");
    let landing = browser.submit(&server.issuer, &html, "select-account", &[("choice", "continue")]).await;
    code_of(&rp, &expect_redirect(landing));
}

#[tokio::test]
async fn select_account_other_leads_to_the_login_page() {
    let (server, rp) = setup(json!({ "first_party": true })).await;
    let browser = server.browser();
    log_in(&server, &browser, &rp, &[]).await;
    let landing = browser.visit(&server.issuer, &authorize_url(&server, &rp, &[("prompt", "select_account")])).await;
    let (_, html) = expect_page(landing);
    let (_, html) = expect_page(browser.submit(&server.issuer, &html, "select-account", &[("choice", "other")]).await);
    assert!(is_page(&html, "login"), "{html}");
}

// --- hints and locales -----------------------------------------------------------------------

#[tokio::test]
async fn id_token_hint_of_the_logged_in_person_with_prompt_none_returns_a_code() {
    let (server, rp) = setup(json!({ "first_party": true })).await;
    let browser = server.browser();
    let code = code_of(&rp, &log_in(&server, &browser, &rp, &[]).await);
    let id_token = exchange(&server, &rp, &code).await["id_token"].as_str().unwrap().to_string();
    let url = authorize_url(&server, &rp, &[("prompt", "none"), ("id_token_hint", &id_token)]);
    code_of(&rp, &expect_redirect(browser.visit(&server.issuer, &url).await));
}

#[tokio::test]
async fn id_token_hint_of_another_person_returns_login_required() {
    let (server, rp) = setup(json!({ "first_party": true })).await;
    server.add_user("eva", "heslo-eva", json!({ "name": "Eva Dvořáková" })).await;
    let eva = server.browser();
    let url = authorize_url(&server, &rp, &[]);
    let code = code_of(&rp, &eva.authorize(&server.issuer, &url, "eva", "heslo-eva").await);
    let evas_token = exchange(&server, &rp, &code).await["id_token"].as_str().unwrap().to_string();

    let jan = server.browser();
    log_in(&server, &jan, &rp, &[]).await;
    let url = authorize_url(&server, &rp, &[("prompt", "none"), ("id_token_hint", &evas_token)]);
    assert_eq!(error_of(&rp, &expect_redirect(jan.visit(&server.issuer, &url).await)), "login_required");
}

#[tokio::test]
async fn login_hint_prefills_the_username() {
    let (server, rp) = setup(json!({})).await;
    let landing =
        server.browser().visit(&server.issuer, &authorize_url(&server, &rp, &[("login_hint", "jan.novak")])).await;
    let (_, html) = expect_page(landing);
    let start = html.find("id=\"username\"").unwrap();
    let tag = &html[html[..start].rfind('<').unwrap()..start + html[start..].find('>').unwrap()];
    assert!(tag.contains("value=\"jan.novak\""), "{tag}");
}

#[tokio::test]
async fn login_hint_is_escaped_on_the_page() {
    let (server, rp) = setup(json!({})).await;
    let hint = "\"><script>alert(1)</script>";
    let landing = server.browser().visit(&server.issuer, &authorize_url(&server, &rp, &[("login_hint", hint)])).await;
    let (_, html) = expect_page(landing);
    assert!(!html.contains("<script>alert(1)"), "{html}");
}

#[tokio::test]
async fn ui_locales_en_gives_an_english_login_page() {
    let (server, rp) = setup(json!({})).await;
    let browser = browser_with_language("cs");
    let landing = browser.visit(&server.issuer, &authorize_url(&server, &rp, &[("ui_locales", "en")])).await;
    let (_, html) = expect_page(landing);
    assert!(html.contains("<html lang=\"en\""), "{html}");
}

#[tokio::test]
async fn accept_language_cs_gives_a_czech_login_page() {
    let (server, rp) = setup(json!({})).await;
    let landing = browser_with_language("cs").visit(&server.issuer, &authorize_url(&server, &rp, &[])).await;
    let (_, html) = expect_page(landing);
    assert!(html.contains("<html lang=\"cs\""), "{html}");
}

fn browser_with_language(language: &'static str) -> Browser {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ACCEPT_LANGUAGE, reqwest::header::HeaderValue::from_static(language));
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap();
    Browser { http }
}

// --- failed logins and CSRF ------------------------------------------------------------------

/// Submits the login form of `html` with `username` and `password`; expects a page back.
async fn attempt(server: &TestServer, browser: &Browser, html: &str, username: &str, password: &str) -> (u16, String) {
    expect_page(browser.submit(&server.issuer, html, "login", &[("username", username), ("password", password)]).await)
}

#[tokio::test]
async fn wrong_password_shows_the_login_page_again_with_401() {
    let (server, rp) = setup(json!({})).await;
    let browser = server.browser();
    let (_, html) = expect_page(browser.visit(&server.issuer, &authorize_url(&server, &rp, &[])).await);
    let (status, html) = attempt(&server, &browser, &html, USER, "spatne-heslo").await;
    assert_eq!(status, 401);
    assert!(is_page(&html, "login") && is_page(&html, "login-error"), "{html}");
}

#[tokio::test]
async fn unknown_username_gets_the_same_message_as_a_wrong_password() {
    let (server, rp) = setup(json!({})).await;
    let browser = server.browser();
    let (_, html) = expect_page(browser.visit(&server.issuer, &authorize_url(&server, &rp, &[])).await);
    let (_, wrong_password) = attempt(&server, &browser, &html, USER, "spatne-heslo").await;
    let (status, unknown_user) = attempt(&server, &browser, &wrong_password, "nikdo", "spatne-heslo").await;
    assert_eq!(status, 401);
    assert_eq!(text_of(&unknown_user, "login-error"), text_of(&wrong_password, "login-error"));
}

#[tokio::test]
async fn after_five_failures_the_interaction_refuses_even_the_right_password() {
    let (server, rp) = setup(json!({})).await;
    let browser = server.browser();
    let (_, mut html) = expect_page(browser.visit(&server.issuer, &authorize_url(&server, &rp, &[])).await);
    let mut messages = Vec::new();
    for _ in 0..5 {
        html = attempt(&server, &browser, &html, USER, "spatne-heslo").await.1;
        messages.push(text_of(&html, "login-error"));
    }
    let (status, refused) = attempt(&server, &browser, &html, USER, PASSWORD).await;
    assert_eq!(status, 401);
    assert_ne!(text_of(&refused, "login-error"), messages[0], "says why: too many attempts");
    let landing = browser.visit(&server.issuer, &authorize_url(&server, &rp, &[("prompt", "none")])).await;
    assert_eq!(error_of(&rp, &expect_redirect(landing)), "login_required");
}

/// Posts the login form of `html` from `browser` with its hidden fields changed by `tweak`.
async fn post_login(
    server: &TestServer,
    browser: &Browser,
    html: &str,
    tweak: impl Fn(&mut Vec<(String, String)>),
) -> Landing {
    let mut fields = common::hidden_fields(html, "login");
    tweak(&mut fields);
    fields.push(("username".into(), USER.into()));
    fields.push(("password".into(), PASSWORD.into()));
    let response = browser.http.post(server.url("/login")).form(&fields).send().await.unwrap();
    browser.follow(&server.issuer, response).await
}

#[tokio::test]
async fn login_with_a_wrong_csrf_token_is_refused() {
    let (server, rp) = setup(json!({ "first_party": true })).await;
    let browser = server.browser();
    let (_, html) = expect_page(browser.visit(&server.issuer, &authorize_url(&server, &rp, &[])).await);
    let landing = post_login(&server, &browser, &html, |fields| {
        for (name, value) in fields.iter_mut() {
            if name == "csrf" {
                *value = "forged".into();
            }
        }
    })
    .await;
    let (status, page) = expect_page(landing);
    assert!(status >= 400 && is_page(&page, "error-code"), "{status}: {page}");
    let landing = browser.visit(&server.issuer, &authorize_url(&server, &rp, &[("prompt", "none")])).await;
    assert_eq!(error_of(&rp, &expect_redirect(landing)), "login_required", "no session was started");
}

#[tokio::test]
async fn login_from_a_browser_without_the_binding_cookie_is_refused() {
    let (server, rp) = setup(json!({ "first_party": true })).await;
    let (_, html) = expect_page(server.browser().visit(&server.issuer, &authorize_url(&server, &rp, &[])).await);
    let attacker = server.browser();
    let (status, page) = expect_page(post_login(&server, &attacker, &html, |_| {}).await);
    assert!(status >= 400 && is_page(&page, "error-code"), "{status}: {page}");
    let landing = attacker.visit(&server.issuer, &authorize_url(&server, &rp, &[("prompt", "none")])).await;
    assert_eq!(error_of(&rp, &expect_redirect(landing)), "login_required", "no session was started");
}

// --- request errors --------------------------------------------------------------------------

async fn expect_error_page(server: &TestServer, url: &str) -> String {
    let (status, html) = expect_page(server.browser().visit(&server.issuer, url).await);
    assert_eq!(status, 400, "{html}");
    text_of(&html, "error-code")
}

#[tokio::test]
async fn unknown_client_id_gives_an_error_page_not_a_redirect() {
    let (server, rp) = setup(json!({})).await;
    let url = authorize_url(&server, &rp, &[("client_id", "neznamy")]);
    assert_eq!(expect_error_page(&server, &url).await, "invalid_request");
}

#[tokio::test]
async fn unregistered_redirect_uri_gives_an_error_page_not_a_redirect() {
    let (server, rp) = setup(json!({})).await;
    let url = authorize_url(&server, &rp, &[("redirect_uri", "http://127.0.0.1:9/jinam")]);
    assert_eq!(expect_error_page(&server, &url).await, "invalid_request");
}

#[tokio::test]
async fn a_parameter_given_twice_gives_an_error_page() {
    let (server, rp) = setup(json!({})).await;
    let url = format!("{}&state=druhy", authorize_url(&server, &rp, &[]));
    assert_eq!(expect_error_page(&server, &url).await, "invalid_request");
}

#[tokio::test]
async fn unsupported_response_type_is_reported_to_the_client_with_state() {
    let (server, rp) = setup(json!({})).await;
    let url = authorize_url(&server, &rp, &[("response_type", "banana")]);
    let params = response_of(&rp, &expect_redirect(server.browser().visit(&server.issuer, &url).await));
    assert_eq!(params["error"], "unsupported_response_type");
    assert_eq!(params["state"], STATE);
}

#[tokio::test]
async fn implicit_without_nonce_is_reported_in_the_fragment() {
    let (server, rp) = setup(json!({ "response_types": ["id_token"] })).await;
    let url = authorize_url(&server, &rp, &[("response_type", "id_token")]);
    let redirect = expect_redirect(server.browser().visit(&server.issuer, &url).await);
    let parsed = url::Url::parse(&redirect).unwrap();
    assert_eq!(parsed.query(), None, "{redirect}");
    assert_eq!(error_of(&rp, &redirect), "invalid_request");
    assert_eq!(params_of(&redirect)["state"], STATE);
}

#[tokio::test]
async fn a_parameter_given_twice_once_empty_gives_an_error_page() {
    let (server, rp) = setup(json!({})).await;
    let url = authorize_url(&server, &rp, &[]).replacen('?', "?state=&", 1);
    assert_eq!(expect_error_page(&server, &url).await, "invalid_request");
}

#[tokio::test]
async fn an_unknown_prompt_value_is_invalid_request() {
    let (server, rp) = setup(json!({})).await;
    let url = authorize_url(&server, &rp, &[("prompt", "banana")]);
    assert_eq!(error_of(&rp, &expect_redirect(server.browser().visit(&server.issuer, &url).await)), "invalid_request");
}

#[tokio::test]
async fn unknown_parameters_are_ignored() {
    let (server, rp) = setup(json!({})).await;
    let redirect = log_in(&server, &server.browser(), &rp, &[("vendor_extension", "42")]).await;
    code_of(&rp, &redirect);
}

#[tokio::test]
async fn a_form_post_to_the_authorization_endpoint_works_like_get() {
    let (server, rp) = setup(json!({})).await;
    let browser = server.browser();
    let url = authorize_url(&server, &rp, &[]);
    let query: Vec<(String, String)> = url::Url::parse(&url).unwrap().query_pairs().into_owned().collect();
    let response = browser.http.post(server.url("/authorize")).form(&query).send().await.unwrap();
    let landing = browser.follow(&server.issuer, response).await;
    let redirect = finish(&server, &browser, landing).await;
    code_of(&rp, &redirect);
    assert_eq!(params_of(&redirect)["state"], STATE);
}

#[tokio::test]
async fn a_public_client_without_pkce_is_refused() {
    let (server, rp) = setup(json!({ "token_endpoint_auth_method": "none" })).await;
    let url = authorize_url(&server, &rp, &[]);
    assert_eq!(error_of(&rp, &expect_redirect(server.browser().visit(&server.issuer, &url).await)), "invalid_request");
}

#[tokio::test]
async fn pkce_method_plain_is_refused() {
    let (server, rp) = setup(json!({ "token_endpoint_auth_method": "none" })).await;
    let challenge = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let url = authorize_url(&server, &rp, &[("code_challenge", challenge), ("code_challenge_method", "plain")]);
    assert_eq!(error_of(&rp, &expect_redirect(server.browser().visit(&server.issuer, &url).await)), "invalid_request");
}

// --- the claims parameter --------------------------------------------------------------------

#[tokio::test]
async fn claims_parameter_releases_a_userinfo_claim_beyond_the_scopes() {
    let (server, rp) = setup(json!({})).await;
    let claims = r#"{"userinfo":{"name":{"essential":true}}}"#;
    let redirect = log_in(&server, &server.browser(), &rp, &[("claims", claims)]).await;
    let tokens = exchange(&server, &rp, &code_of(&rp, &redirect)).await;
    let info: Value = reqwest::Client::new()
        .get(server.url("/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["name"], "Jan Novák");
    assert_eq!(info.get("email"), None, "only what was asked for: {info}");
}

#[tokio::test]
async fn claims_parameter_puts_a_claim_in_the_id_token() {
    let (server, rp) = setup(json!({})).await;
    let redirect = log_in(&server, &server.browser(), &rp, &[("claims", r#"{"id_token":{"email":null}}"#)]).await;
    let id_token = id_token_for(&server, &rp, &redirect).await;
    assert_eq!(id_token["email"], "jan@example.cz");
}

#[tokio::test]
async fn malformed_claims_parameter_is_invalid_request() {
    let (server, rp) = setup(json!({})).await;
    let url = authorize_url(&server, &rp, &[("claims", "{\"userinfo\":")]);
    let redirect = expect_redirect(server.browser().visit(&server.issuer, &url).await);
    assert_eq!(error_of(&rp, &redirect), "invalid_request");
    assert_eq!(params_of(&redirect)["state"], STATE);
}

// --- implicit and hybrid responses -----------------------------------------------------------

/// Runs `response_type` through the pages and checks the fragment response: state, iss, and
/// for an ID token its signature, nonce and half-hashes.
async fn front_channel_response(response_type: &str) -> HashMap<String, String> {
    let (server, rp) = setup(json!({ "response_types": [response_type] })).await;
    let redirect = log_in(&server, &server.browser(), &rp, &[("response_type", response_type), ("nonce", NONCE)]).await;
    let parsed = url::Url::parse(&redirect).unwrap();
    assert_eq!(parsed.query(), None, "the response is in the fragment: {redirect}");
    assert!(parsed.fragment().is_some(), "{redirect}");
    let params = response_of(&rp, &redirect);
    assert_eq!(params.get("error"), None, "{redirect}");
    assert_eq!(params["state"], STATE);
    assert_eq!(params["iss"], server.issuer);
    for word in response_type.split(' ') {
        let member = if word == "token" { "access_token" } else { word };
        assert!(params.contains_key(member), "{response_type} returns {member}: {redirect}");
    }
    if let Some(id_token) = params.get("id_token") {
        let claims = verify_id_token(&server, &rp, id_token).await;
        assert_eq!(claims["nonce"], NONCE);
        assert!(claims["auth_time"].is_i64());
        match params.get("access_token") {
            Some(token) => assert_eq!(claims["at_hash"], half_hash(token)),
            None => assert_eq!(claims.get("at_hash"), None),
        }
        match params.get("code") {
            Some(code) => assert_eq!(claims["c_hash"], half_hash(code)),
            None => assert_eq!(claims.get("c_hash"), None),
        }
    }
    if params.contains_key("access_token") {
        assert_eq!(params["token_type"], "Bearer");
    }
    params
}

#[tokio::test]
async fn implicit_id_token_token_in_the_fragment() {
    front_channel_response("id_token token").await;
}

#[tokio::test]
async fn hybrid_code_id_token_in_the_fragment() {
    front_channel_response("code id_token").await;
}

#[tokio::test]
async fn hybrid_code_token_in_the_fragment() {
    let params = front_channel_response("code token").await;
    assert!(!params.contains_key("id_token"));
}

#[tokio::test]
async fn hybrid_code_id_token_token_in_the_fragment() {
    front_channel_response("code id_token token").await;
}

#[tokio::test]
async fn implicit_id_token_alone_carries_the_scope_claims() {
    let (server, rp) = setup(json!({ "response_types": ["id_token"] })).await;
    let extra = [("response_type", "id_token"), ("nonce", NONCE), ("scope", "openid email")];
    let redirect = log_in(&server, &server.browser(), &rp, &extra).await;
    let params = response_of(&rp, &redirect);
    assert_eq!(params.get("code"), None);
    assert_eq!(params.get("access_token"), None);
    let claims = verify_id_token(&server, &rp, &params["id_token"]).await;
    assert_eq!(claims["email"], "jan@example.cz", "no userinfo call is possible, so the ID token has it");
}

#[tokio::test]
async fn form_post_returns_a_page_that_posts_the_response_to_the_client() {
    let (server, rp) = setup(json!({ "first_party": true })).await;
    let browser = server.browser();
    log_in(&server, &browser, &rp, &[]).await;
    let landing = browser.visit(&server.issuer, &authorize_url(&server, &rp, &[("response_mode", "form_post")])).await;
    let (status, html) = expect_page(landing);
    assert_eq!(status, 200);
    let (action, fields) = common::first_form(&html).expect("a form");
    assert_eq!(action, REDIRECT);
    let fields: HashMap<String, String> = fields.into_iter().collect();
    assert!(fields.contains_key("code"), "{html}");
    assert_eq!(fields["state"], STATE);
    assert_eq!(fields["iss"], server.issuer);
}

#[tokio::test]
async fn response_mode_query_with_tokens_is_refused() {
    let (server, rp) = setup(json!({ "response_types": ["id_token token"] })).await;
    let url = authorize_url(
        &server,
        &rp,
        &[("response_type", "id_token token"), ("nonce", NONCE), ("response_mode", "query")],
    );
    let redirect = expect_redirect(server.browser().visit(&server.issuer, &url).await);
    assert_eq!(url::Url::parse(&redirect).unwrap().query(), None, "no error in the query either: {redirect}");
    assert_eq!(error_of(&rp, &redirect), "invalid_request");
}

// --- request objects -------------------------------------------------------------------------

/// The request object claims of a code request by `rp`, with `state` only inside.
fn request_claims(server: &TestServer, rp: &Rp, state: &str) -> serde_json::Map<String, Value> {
    let now = server.provider.now();
    json!({
        "iss": rp.id, "aud": server.issuer, "exp": now + 300, "iat": now,
        "client_id": rp.id, "response_type": "code", "redirect_uri": rp.redirect,
        "scope": "openid", "state": state, "nonce": NONCE,
    })
    .as_object()
    .cloned()
    .unwrap()
}

fn unsigned_jwt(claims: &serde_json::Map<String, Value>) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    format!("{header}.{payload}.")
}

fn signed_jwt(key: &josekit::jwk::alg::rsa::RsaKeyPair, claims: &serde_json::Map<String, Value>) -> String {
    let signer = josekit::jws::RS256.signer_from_der(key.to_der_private_key()).unwrap();
    let mut header = josekit::jws::JwsHeader::new();
    header.set_token_type("oauth-authz-req+jwt");
    let payload = josekit::jwt::JwtPayload::from_map(claims.clone()).unwrap();
    josekit::jwt::encode_with_signer(&payload, &header, &signer).unwrap()
}

fn rsa_key() -> josekit::jwk::alg::rsa::RsaKeyPair {
    josekit::jws::RS256.generate_key_pair(2048).unwrap()
}

fn jwks_of(key: &josekit::jwk::alg::rsa::RsaKeyPair) -> Value {
    let jwk: serde_json::Map<String, Value> = key.to_jwk_public_key().into();
    json!({ "keys": [jwk] })
}

/// The outer parameters of a request that carries its request object in `name`.
fn outer(server: &TestServer, rp: &Rp, name: &str, value: &str) -> String {
    authorize_url(server, rp, &[("state", ""), (name, value)])
}

#[tokio::test]
async fn unsigned_request_object_supplies_state_and_nonce() {
    let (server, rp) = setup(json!({})).await;
    let jwt = unsigned_jwt(&request_claims(&server, &rp, "ze-objektu"));
    let redirect =
        server.browser().authorize(&server.issuer, &outer(&server, &rp, "request", &jwt), USER, PASSWORD).await;
    code_of(&rp, &redirect);
    assert_eq!(params_of(&redirect)["state"], "ze-objektu");
    let id_token = id_token_for(&server, &rp, &redirect).await;
    assert_eq!(id_token["nonce"], NONCE);
}

#[tokio::test]
async fn request_object_signed_with_the_clients_registered_key_is_accepted() {
    let key = rsa_key();
    let (server, rp) = setup(json!({ "jwks": jwks_of(&key), "request_object_signing_alg": "RS256" })).await;
    let jwt = signed_jwt(&key, &request_claims(&server, &rp, "podepsano"));
    let redirect =
        server.browser().authorize(&server.issuer, &outer(&server, &rp, "request", &jwt), USER, PASSWORD).await;
    code_of(&rp, &redirect);
    assert_eq!(params_of(&redirect)["state"], "podepsano");
}

#[tokio::test]
async fn request_object_signed_with_another_key_is_invalid_request_object() {
    let (server, rp) = setup(json!({ "jwks": jwks_of(&rsa_key()), "request_object_signing_alg": "RS256" })).await;
    let jwt = signed_jwt(&rsa_key(), &request_claims(&server, &rp, "podvrh"));
    let landing = server.browser().visit(&server.issuer, &outer(&server, &rp, "request", &jwt)).await;
    assert_eq!(error_of(&rp, &expect_redirect(landing)), "invalid_request_object");
}

#[tokio::test]
async fn request_uri_hosted_by_the_client_is_fetched() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let request_uri = format!("http://{}/request.jwt", listener.local_addr().unwrap());
    let (server, rp) = setup(json!({ "request_uris": [request_uri] })).await;
    let jwt = unsigned_jwt(&request_claims(&server, &rp, "z-odkazu"));
    let app = axum::Router::new().route("/request.jwt", axum::routing::get(move || async move { jwt }));
    let host = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let url = outer(&server, &rp, "request_uri", &request_uri);
    let redirect = server.browser().authorize(&server.issuer, &url, USER, PASSWORD).await;
    host.abort();
    code_of(&rp, &redirect);
    assert_eq!(params_of(&redirect)["state"], "z-odkazu");
}

#[tokio::test]
async fn unregistered_request_uri_is_invalid_request_uri() {
    let (server, rp) = setup(json!({ "request_uris": ["http://127.0.0.1:9/registered.jwt"] })).await;
    let url = outer(&server, &rp, "request_uri", "http://127.0.0.1:9/other.jwt");
    let landing = server.browser().visit(&server.issuer, &url).await;
    assert_eq!(error_of(&rp, &expect_redirect(landing)), "invalid_request_uri");
}

// --- subjects --------------------------------------------------------------------------------

#[tokio::test]
async fn pairwise_clients_of_different_sectors_see_different_subjects() {
    let server = TestServer::start().await;
    let user = server.add_user(USER, PASSWORD, json!({})).await;
    let a = rp(&server, json!({ "subject_type": "pairwise", "first_party": true })).await;
    let b = rp(
        &server,
        json!({ "subject_type": "pairwise", "first_party": true, "redirect_uris": ["http://localhost:9/cb"] }),
    )
    .await;
    let browser = server.browser();
    let sub_a = id_token_for(&server, &a, &log_in(&server, &browser, &a, &[]).await).await["sub"].clone();
    let sub_b = id_token_for(&server, &b, &log_in(&server, &browser, &b, &[]).await).await["sub"].clone();
    assert_ne!(sub_a, sub_b);
    assert_ne!(sub_a, user.id.as_str());
    assert_ne!(sub_b, user.id.as_str());
}

#[tokio::test]
async fn a_public_subject_is_the_account_id() {
    let server = TestServer::start().await;
    let user = server.add_user(USER, PASSWORD, json!({})).await;
    let rp = rp(&server, json!({ "first_party": true })).await;
    let id_token = id_token_for(&server, &rp, &log_in(&server, &server.browser(), &rp, &[]).await).await;
    assert_eq!(id_token["sub"], user.id.as_str());
}

// --- discovery -------------------------------------------------------------------------------

async fn get_json(url: &str) -> Value {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn discovery_advertises_what_the_authorization_endpoint_does() {
    let server = TestServer::start().await;
    let doc = get_json(&server.url("/.well-known/openid-configuration")).await;
    assert_eq!(doc["issuer"], server.issuer);
    assert_eq!(doc["authorization_endpoint"], server.url("/authorize"));
    let response_types: Vec<&str> =
        doc["response_types_supported"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for rt in ["code", "id_token", "id_token token", "code id_token", "code token", "code id_token token"] {
        assert!(response_types.contains(&rt), "{rt} missing from {response_types:?}");
    }
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    for mode in ["query", "fragment", "form_post"] {
        assert!(doc["response_modes_supported"].as_array().unwrap().contains(&json!(mode)), "{mode}");
    }
    for member in ["claims_parameter_supported", "request_parameter_supported", "request_uri_parameter_supported"] {
        assert_eq!(doc[member], true, "{member}");
    }
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert!(doc["subject_types_supported"].as_array().unwrap().contains(&json!("pairwise")));
    assert!(doc["ui_locales_supported"].as_array().unwrap().contains(&json!("en")));
}

#[tokio::test]
async fn jwks_keys_have_distinct_kids_and_no_private_members() {
    let server = TestServer::start().await;
    let doc = get_json(&server.url("/.well-known/openid-configuration")).await;
    let jwks = get_json(doc["jwks_uri"].as_str().unwrap()).await;
    let keys = jwks["keys"].as_array().unwrap();
    assert!(!keys.is_empty());
    let mut kids: Vec<&str> = keys.iter().map(|k| k["kid"].as_str().expect("every key has a kid")).collect();
    kids.sort_unstable();
    kids.dedup();
    assert_eq!(kids.len(), keys.len(), "kids are distinct: {jwks}");
    for key in keys {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "private member {private} in {key}");
        }
    }
}
