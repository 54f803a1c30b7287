//! Levels of assurance over HTTP: what a relying party asks for (`acr_values`, the `claims`
//! parameter's `acr`, NIA's `loa*` scopes) against what the means reach (the password low, NIA ID
//! substantial, eObčanka high — their logins are in `nia_id.rs` and `eobcanka.rs`): the ID
//! token's `acr`, `unmet_authentication_requirements` for an essential level no means reaches
//! (with `prompt=none` too), a high request offered eObčanka alone, a session whose level does
//! not serve the request, and discovery.

use crate::common;

use common::{Browser, Landing, PORTAL_REDIRECT as REDIRECT, Portal, TestServer, params_of};
use serde_json::{Value, json};

const USER: &str = "jan";
const PASSWORD: &str = "heslo-123";
const STATE: &str = "st-loa";
const LOW: &str = "http://eidas.europa.eu/LoA/low";
const SUBSTANTIAL: &str = "http://eidas.europa.eu/LoA/substantial";
const HIGH: &str = "http://eidas.europa.eu/LoA/high";

/// A server with `jan` and a first-party client (no consent page).
async fn setup() -> (TestServer, Portal) {
    let server = TestServer::start().await;
    server.add_user(USER, PASSWORD, json!({ "name": "Jan Novák" })).await;
    let portal = Portal::register(&server, STATE).await;
    (server, portal)
}

fn essential_acr(values: Value) -> String {
    json!({ "id_token": { "acr": { "essential": true, "values": values } } }).to_string()
}

/// The redirect to the client, after checking it goes there and carries the state back.
fn redirect_params(landing: Landing) -> std::collections::HashMap<String, String> {
    let to = match landing {
        Landing::Redirect(to) => to,
        Landing::Page(status, html) => panic!("expected a redirect to the client, got a page ({status}):\n{html}"),
    };
    assert!(to.starts_with(REDIRECT), "redirect to the wrong place: {to}");
    let params = params_of(&to);
    assert_eq!(params.get("state").map(String::as_str), Some(STATE), "{to}");
    params
}

/// Logs in through the login page (the browser has no session) and returns the ID token's claims.
async fn log_in(server: &TestServer, browser: &Browser, rp: &Portal, extra: &[(&str, &str)]) -> Value {
    let redirect = browser.authorize(&server.issuer, &rp.authorize_url(extra), USER, PASSWORD).await;
    rp.id_token(&redirect).await
}

/// Asks for `extra` in a browser without a session and expects the error at the client, with no
/// page shown on the way.
async fn expect_error(server: &TestServer, rp: &Portal, extra: &[(&str, &str)], error: &str) {
    let landing = server.browser().visit(&server.issuer, &rp.authorize_url(extra)).await;
    let params = redirect_params(landing);
    assert_eq!(params.get("error").map(String::as_str), Some(error), "{params:?}");
    assert!(!params.contains_key("code"), "{params:?}");
    assert_eq!(params["iss"], server.issuer);
}

// --- what the ID token says --------------------------------------------------------------------

#[tokio::test]
async fn acr_values_low_gives_an_id_token_at_low() {
    let (server, rp) = setup().await;
    let claims = log_in(&server, &server.browser(), &rp, &[("acr_values", LOW)]).await;
    assert_eq!(claims["acr"], LOW);
    assert_eq!(claims["amr"], json!(["pwd"]));
}

#[tokio::test]
async fn acr_values_that_are_not_levels_are_ignored() {
    let (server, rp) = setup().await;
    let claims = log_in(&server, &server.browser(), &rp, &[("acr_values", "1 2")]).await;
    assert_eq!(claims["acr"], LOW);
}

#[tokio::test]
async fn an_essential_low_request_succeeds_at_login_and_from_the_session() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    let claims_param = essential_acr(json!([LOW]));
    let first = log_in(&server, &browser, &rp, &[("claims", &claims_param)]).await;
    assert_eq!(first["acr"], LOW);

    let landing =
        browser.visit(&server.issuer, &rp.authorize_url(&[("claims", &claims_param), ("prompt", "none")])).await;
    let params = redirect_params(landing);
    let second = rp.id_token(&format!("{REDIRECT}?code={}", params["code"])).await;
    assert_eq!(second["acr"], LOW);
    assert_eq!(second["sid"], first["sid"]);
}

#[tokio::test]
async fn loa_scope_low_succeeds() {
    let (server, rp) = setup().await;
    let claims = log_in(&server, &server.browser(), &rp, &[("scope", "openid loalow")]).await;
    assert_eq!(claims["acr"], LOW);
    let claims = log_in(&server, &server.browser(), &rp, &[("scope", "openid loalow loaexact")]).await;
    assert_eq!(claims["acr"], LOW);
}

// --- essential requirements no means reaches ---------------------------------------------------

/// An essential level no means reaches: better than high, or not a level at all.
fn beyond_high() -> Vec<(&'static str, String)> {
    vec![
        ("scope", "openid loahigh loabetter".to_owned()),
        ("claims", essential_acr(json!(["urn:example:gold"]))),
        ("claims", json!({ "userinfo": { "acr": { "essential": true, "values": ["urn:example:gold"] } } }).to_string()),
    ]
}

#[tokio::test]
async fn an_essential_level_beyond_high_is_unmet() {
    let (server, rp) = setup().await;
    for (name, value) in beyond_high() {
        expect_error(&server, &rp, &[(name, &value)], "unmet_authentication_requirements").await;
        expect_error(&server, &rp, &[(name, &value), ("prompt", "none")], "unmet_authentication_requirements").await;
    }
}

#[tokio::test]
async fn an_essential_level_beyond_high_is_unmet_for_a_logged_in_person_too() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    log_in(&server, &browser, &rp, &[]).await;
    let values = essential_acr(json!(["urn:example:gold"]));
    for prompt in [("prompt", "none"), ("prompt", "login")] {
        let landing = browser.visit(&server.issuer, &rp.authorize_url(&[("claims", &values), prompt])).await;
        assert_eq!(redirect_params(landing)["error"], "unmet_authentication_requirements", "{prompt:?}");
    }
}

/// The login page a request leads to, expected to offer eObčanka alone (the card's challenge,
/// no password).
async fn expect_eobcanka_alone(server: &TestServer, browser: &Browser, rp: &Portal, extra: &[(&str, &str)]) {
    let landing = browser.visit(&server.issuer, &rp.authorize_url(extra)).await;
    let Landing::Page(status, html) = landing else { panic!("{extra:?}: expected the login page, got {landing:?}") };
    assert_eq!(status, 200, "{extra:?}: {html}");
    assert!(html.contains(r#"id="card-url""#), "{extra:?}: the card's challenge:\n{html}");
    assert!(!html.contains(r#"id="password""#) && !html.contains(r#"id="means""#), "{extra:?}: {html}");
}

#[tokio::test]
async fn an_essential_high_request_is_offered_eobcanka_alone() {
    let (server, rp) = setup().await;
    let value = json!({ "id_token": { "acr": { "essential": true, "value": HIGH } } }).to_string();
    let values = essential_acr(json!([HIGH]));
    let requests: [&[(&str, &str)]; 6] = [
        &[("claims", &value)],
        &[("claims", &values)],
        &[("acr_values", HIGH)],
        &[("scope", "openid loahigh")],
        &[("scope", "openid loahigh loaexact")],
        &[("scope", "openid loasubstantial loabetter")],
    ];
    for extra in requests {
        expect_eobcanka_alone(&server, &server.browser(), &rp, extra).await;
    }
    // Without a session, prompt=none cannot show the card's page.
    expect_error(&server, &rp, &[("claims", &values), ("prompt", "none")], "login_required").await;
}

#[tokio::test]
async fn a_session_at_low_steps_up_to_eobcanka_for_high() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    log_in(&server, &browser, &rp, &[]).await;
    let values = essential_acr(json!([HIGH]));
    let landing = browser.visit(&server.issuer, &rp.authorize_url(&[("claims", &values), ("prompt", "none")])).await;
    assert_eq!(redirect_params(landing)["error"], "login_required");
    expect_eobcanka_alone(&server, &browser, &rp, &[("claims", &values)]).await;
}

#[tokio::test]
async fn nia_loa_scopes_are_essential() {
    let (server, rp) = setup().await;
    // The scopes beat a voluntary acr_values that could be met.
    expect_error(
        &server,
        &rp,
        &[("scope", "openid loahigh loabetter"), ("acr_values", LOW)],
        "unmet_authentication_requirements",
    )
    .await;
    expect_eobcanka_alone(&server, &server.browser(), &rp, &[("scope", "openid loahigh"), ("acr_values", LOW)]).await;
    // An essential claims acr beats the scopes.
    let claims = log_in(
        &server,
        &server.browser(),
        &rp,
        &[("scope", "openid loahigh"), ("claims", &essential_acr(json!([LOW])))],
    )
    .await;
    assert_eq!(claims["acr"], LOW);
}

#[tokio::test]
async fn two_loa_comparisons_are_an_invalid_scope() {
    let (server, rp) = setup().await;
    expect_error(&server, &rp, &[("scope", "openid loalow loamin loamax")], "invalid_scope").await;
}

// --- a session at a level the request does not accept --------------------------------------------

/// Logs in, then sets the stored level of the browser's session to `acr`, as a session made by
/// another means would have it; returns the `sid`.
async fn session_at(server: &TestServer, browser: &Browser, rp: &Portal, acr: &str) -> String {
    let claims = log_in(server, browser, rp, &[]).await;
    let sid = claims["sid"].as_str().unwrap().to_owned();
    let sessions = &server.provider.stores.sessions;
    let mut session = sessions.get_by_sid(&sid, server.provider.now()).await.unwrap().unwrap();
    sessions.delete(&session.key).await.unwrap();
    session.authn.acr = identita::model::Loa::parse(acr).unwrap();
    sessions.insert(&session).await.unwrap();
    sid
}

#[tokio::test]
async fn a_session_at_another_level_needs_a_new_login_that_keeps_the_sid() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    let sid = session_at(&server, &browser, &rp, SUBSTANTIAL).await;

    // Any level will do: the session serves.
    let landing = browser.visit(&server.issuer, &rp.authorize_url(&[("prompt", "none")])).await;
    assert!(redirect_params(landing).contains_key("code"));

    // Exactly low: not this session.
    let exact_low = [("scope", "openid loalow loaexact")];
    let none = [exact_low[0], ("prompt", "none")];
    let landing = browser.visit(&server.issuer, &rp.authorize_url(&none)).await;
    assert_eq!(redirect_params(landing)["error"], "login_required");
    let landing = browser.visit(&server.issuer, &rp.authorize_url(&exact_low)).await;
    let Landing::Page(_, html) = landing else { panic!("expected the login page, got {landing:?}") };
    assert!(html.contains("id=\"login\""), "{html}");
    let landing = browser.submit(&server.issuer, &html, "login", &[("username", USER), ("password", PASSWORD)]).await;
    let params = redirect_params(landing);
    let claims = rp.id_token(&format!("{REDIRECT}?code={}", params["code"])).await;
    assert_eq!(claims["acr"], LOW);
    assert_eq!(claims["sid"], sid, "the session is upgraded, not replaced");
}

// --- discovery -----------------------------------------------------------------------------------

#[tokio::test]
async fn discovery_lists_the_levels_the_means_reach() {
    let server = TestServer::start().await;
    let doc: Value = reqwest::get(server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(doc["acr_values_supported"], json!([LOW, SUBSTANTIAL, HIGH]));
    assert_eq!(doc["claims_parameter_supported"], true);
    assert!(doc["claims_supported"].as_array().unwrap().iter().any(|c| c == "acr"), "{doc}");
    let scopes = doc["scopes_supported"].as_array().unwrap();
    assert!(!scopes.iter().any(|s| s.as_str().unwrap().starts_with("loa")), "{doc}");
}
