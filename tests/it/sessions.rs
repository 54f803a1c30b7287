//! The SSO session as a browser holds it: a login in progress belongs to the session that
//! authenticated it and dies with it, and on an https issuer the cookies carry the `__Host-`
//! prefix and every answer carries HSTS.

use crate::common;

use std::collections::HashMap;

use common::{Landing, TestServer, page};
use serde_json::json;

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const USER: &str = "jan";
const PASSWORD: &str = "heslo-123";

fn authorize_url(server: &TestServer, client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid profile")
        .append_pair("state", "st");
    url.query_pairs_mut().extend_pairs(extra);
    url.into()
}

/// Signs out in `browser` through the confirmation page.
async fn log_out(server: &TestServer, browser: &common::Browser) {
    let (_, confirm) = page(browser.visit(&server.issuer, &server.url("/logout")).await);
    let (status, html) = page(browser.submit(&server.issuer, &confirm, "logout", &[("logout", "yes")]).await);
    assert!(status == 200 && html.contains("id=\"logged-out\""), "{status}: {html}");
}

#[tokio::test]
async fn a_consent_page_cannot_be_completed_after_logout() {
    let server = TestServer::start().await;
    server.add_user(USER, PASSWORD, json!({ "name": "Jan Novák" })).await;
    let (client_id, _) = server.add_client(json!({ "redirect_uris": [REDIRECT], "client_name": "Portál" })).await;
    let browser = server.browser();
    let (_, login) = page(browser.visit(&server.issuer, &authorize_url(&server, &client_id, &[])).await);
    let (_, consent) =
        page(browser.submit(&server.issuer, &login, "login", &[("username", USER), ("password", PASSWORD)]).await);
    assert!(consent.contains("id=\"consent\""), "{consent}");

    log_out(&server, &browser).await;
    let (status, html) = page(browser.submit(&server.issuer, &consent, "consent", &[("decision", "allow")]).await);
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("id=\"error-code\"") && html.contains("login_required"), "{html}");
    assert!(html.contains("skončilo"), "the page says the sign-in ended: {html}");
}

#[tokio::test]
async fn a_consent_page_of_an_ended_session_stays_refused_after_signing_in_again() {
    let server = TestServer::start().await;
    server.add_user(USER, PASSWORD, json!({ "name": "Jan Novák" })).await;
    let (client_id, _) = server.add_client(json!({ "redirect_uris": [REDIRECT], "client_name": "Portál" })).await;
    let browser = server.browser();
    let consent_page = async || {
        let (_, login) = page(browser.visit(&server.issuer, &authorize_url(&server, &client_id, &[])).await);
        let credentials = [("username", USER), ("password", PASSWORD)];
        let (_, consent) = page(browser.submit(&server.issuer, &login, "login", &credentials).await);
        assert!(consent.contains("id=\"consent\""), "{consent}");
        consent
    };
    let old = consent_page().await;
    log_out(&server, &browser).await;
    // The same person, the same browser, a new session: the old page still belongs to the old one.
    let new = consent_page().await;
    let (status, html) = page(browser.submit(&server.issuer, &old, "consent", &[("decision", "allow")]).await);
    assert!(status == 400 && html.contains("login_required"), "{status}: {html}");
    match browser.submit(&server.issuer, &new, "consent", &[("decision", "allow")]).await {
        Landing::Redirect(to) => assert!(common::params_of(&to).contains_key("code"), "{to}"),
        other => panic!("the new consent page did not finish: {other:?}"),
    }
}

#[tokio::test]
async fn an_account_choice_cannot_be_completed_after_logout() {
    let server = TestServer::start().await;
    server.add_user(USER, PASSWORD, json!({ "name": "Jan Novák" })).await;
    let (client_id, _) = server.add_client(json!({ "redirect_uris": [REDIRECT], "first_party": true })).await;
    let browser = server.browser();
    let signed_in = browser.authorize(&server.issuer, &authorize_url(&server, &client_id, &[]), USER, PASSWORD).await;
    assert!(common::params_of(&signed_in).contains_key("code"));
    let url = authorize_url(&server, &client_id, &[("prompt", "select_account")]);
    let (_, choice) = page(browser.visit(&server.issuer, &url).await);
    assert!(choice.contains("id=\"select-account\""), "{choice}");

    log_out(&server, &browser).await;
    let landing = browser.submit(&server.issuer, &choice, "select-account", &[("choice", "continue")]).await;
    let (status, html) = page(landing);
    assert!(status >= 400 && html.contains("login_required"), "{status}: {html}");
}

/// Cookies a response sets, by name: the whole `Set-Cookie` value.
fn set_cookies(response: &reqwest::Response) -> HashMap<String, String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .map(|c| (c[..c.find('=').unwrap()].to_owned(), c))
        .collect()
}

fn value_of(set_cookie: &str) -> &str {
    let start = set_cookie.find('=').unwrap() + 1;
    &set_cookie[start..set_cookie.find(';').unwrap()]
}

#[tokio::test]
async fn https_issuers_use_host_prefixed_cookies_and_hsts() {
    // The issuer says https (as behind a TLS-terminating proxy); the test talks plain http to it
    // and keeps the cookies itself, since a client keeps `Secure` cookies for https only.
    let server = TestServer::start_with(|c| c.issuer = c.issuer.replace("http://", "https://")).await;
    server.add_user(USER, PASSWORD, json!({})).await;
    let (client_id, _) = server.add_client(json!({ "redirect_uris": [REDIRECT], "first_party": true })).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let discovery = http.get(server.url("/.well-known/openid-configuration")).send().await.unwrap();
    assert_eq!(discovery.headers()["strict-transport-security"], "max-age=31536000");

    let started = http.get(authorize_url(&server, &client_id, &[])).send().await.unwrap();
    assert_eq!(started.headers()["strict-transport-security"], "max-age=31536000");
    let cookies = set_cookies(&started);
    let binding = cookies.get("__Host-identita_browser").unwrap_or_else(|| panic!("{cookies:?}"));
    assert!(binding.contains("; Path=/;") && binding.contains("; Secure") && !binding.contains("Domain"), "{binding}");
    let browser_cookie = format!("__Host-identita_browser={}", value_of(binding));
    let login_url = server.url(started.headers()["location"].to_str().unwrap());
    let html = http.get(&login_url).header("cookie", &browser_cookie).send().await.unwrap().text().await.unwrap();
    let mut form = common::hidden_fields(&html, "login");
    form.push(("username".into(), USER.into()));
    form.push(("password".into(), PASSWORD.into()));
    let logged_in = http.post(server.url("/login")).header("cookie", &browser_cookie).form(&form).send().await.unwrap();
    assert!(logged_in.status().is_redirection(), "{}", logged_in.status());
    let cookies = set_cookies(&logged_in);
    let session = cookies.get("__Host-identita_session").unwrap_or_else(|| panic!("{cookies:?}"));
    assert!(session.contains("; Path=/;") && session.contains("; Secure"), "{session}");

    // The session is read under its prefixed name only: the same value without the prefix (as
    // a sibling subdomain could plant it) is no session.
    let silent = authorize_url(&server, &client_id, &[("prompt", "none")]);
    for (name, expected) in [("__Host-identita_session", "code"), ("identita_session", "error")] {
        let cookie = format!("{name}={}", value_of(session));
        let answer = http.get(&silent).header("cookie", cookie).send().await.unwrap();
        let location = answer.headers()["location"].to_str().unwrap();
        assert!(common::params_of(location).contains_key(expected), "{name}: {location}");
    }
}

#[tokio::test]
async fn http_issuers_keep_the_plain_cookie_names_and_send_no_hsts() {
    let server = TestServer::start().await;
    let (client_id, _) = server.add_client(json!({ "redirect_uris": [REDIRECT], "first_party": true })).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let started = http.get(authorize_url(&server, &client_id, &[])).send().await.unwrap();
    assert!(!started.headers().contains_key("strict-transport-security"));
    let cookies = set_cookies(&started);
    let binding = cookies.get("identita_browser").unwrap_or_else(|| panic!("{cookies:?}"));
    assert!(!binding.contains("Secure"), "{binding}");
}
