//! Pages without dead ends: the landing page at `/`, a login page opened without a pending
//! request, a sign-in link without `client_id`, and the "cancel" buttons of the logout and login
//! pages — each a page in the person's language or a way back to the application.

use crate::common;

use common::{Browser, Landing, TestServer};
use serde_json::json;

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const AFTER_LOGOUT: &str = "http://127.0.0.1:9/signed-out";

async fn get(url: &str, accept_language: Option<&str>) -> (u16, String, String) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(language) = accept_language {
        request = request.header("accept-language", language);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

async fn portal(server: &TestServer) {
    server
        .add_client(json!({
            "client_id": "portal",
            "redirect_uris": [REDIRECT],
            "post_logout_redirect_uris": [AFTER_LOGOUT],
            "client_name": "Portál",
        }))
        .await;
    server.add_user("jan", "heslo-123", json!({ "name": "Jan Novák" })).await;
}

fn authorize_url(server: &TestServer) -> String {
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "portal")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid")
        .append_pair("state", "st 1")
        .append_pair("nonce", "n-0S6");
    url.into()
}

#[tokio::test]
async fn landing_page_names_the_issuer_and_links_discovery_and_jwks_in_czech_and_english() {
    let server = TestServer::start().await;
    let discovery = format!(r#"id="landing-discovery" href="{}/.well-known/openid-configuration""#, server.issuer);
    let jwks = format!(r#"id="landing-jwks" href="{}/jwks""#, server.issuer);
    let issuer = format!(r#"<code id="landing-issuer">{}</code>"#, server.issuer);

    let (status, content_type, html) = get(&server.url("/"), None).await;
    assert_eq!(status, 200, "{html}");
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(html.contains(r#"<html lang="cs">"#), "{html}");
    assert!(html.contains("Poskytovatel identity"), "{html}");
    assert!(html.contains(&issuer) && html.contains(&discovery) && html.contains(&jwks), "{html}");
    assert!(html.contains(r#"id="landing-health" href="/healthz""#), "{html}");
    assert!(html.contains(r#"id="landing-language" href="/?lang=en""#), "{html}");

    for (url, accept) in [(server.url("/?lang=en"), None), (server.url("/"), Some("en-GB,en;q=0.9"))] {
        let (status, _, html) = get(&url, accept).await;
        assert_eq!(status, 200);
        assert!(html.contains(r#"<html lang="en">"#), "{url} {accept:?}: {html}");
        assert!(html.contains("Identity provider") && html.contains("OpenID Connect configuration"), "{html}");
        assert!(html.contains(&issuer) && html.contains(&discovery) && html.contains(&jwks), "{html}");
        assert!(!html.contains("Poskytovatel identity"), "{html}");
    }
    // The query wins over the browser's language; a malformed query still shows the page.
    let (_, _, html) = get(&server.url("/?lang=cs"), Some("en")).await;
    assert!(html.contains(r#"<html lang="cs">"#), "{html}");
    let (status, _, html) = get(&server.url("/?lang=%zz&x"), None).await;
    assert_eq!(status, 200, "{html}");

    // The links lead somewhere.
    assert_eq!(get(&server.url("/.well-known/openid-configuration"), None).await.0, 200);
    assert_eq!(get(&server.url("/jwks"), None).await.0, 200);
    assert_eq!(get(&server.url("/healthz"), None).await.0, 200);
}

#[tokio::test]
async fn landing_page_is_served_at_the_issuers_path_and_at_the_root() {
    let server = TestServer::start_with(|c| c.issuer = format!("{}/idp", c.issuer)).await;
    let issuer = server.provider.issuer().to_owned();
    assert!(issuer.ends_with("/idp"));
    for path in ["/", "/idp", "/idp/"] {
        let (status, _, html) = get(&server.url(path), Some("en")).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(html.contains(&format!(r#"<code id="landing-issuer">{issuer}</code>"#)), "{path}: {html}");
        assert!(html.contains(&format!(r#"href="{issuer}/.well-known/openid-configuration""#)), "{html}");
        assert!(html.contains(r#"href="/idp/static/identita.css""#), "{html}");
        assert!(html.contains(r#"id="landing-language" href="/idp/?lang=cs""#), "{html}");
    }
    assert_eq!(get(&format!("{issuer}/.well-known/openid-configuration"), None).await.0, 200);
    assert_eq!(get(&server.url("/nothing-here"), None).await.0, 404);
}

#[tokio::test]
async fn pages_opened_without_a_pending_request_say_so_in_the_persons_language() {
    let server = TestServer::start().await;
    for path in ["/login", "/login?interaction=", "/login?interaction=unknown", "/consent", "/select-account"] {
        let (status, content_type, html) = get(&server.url(path), None).await;
        assert!(status == 400 || status == 404, "{path}: {status}");
        assert!(content_type.starts_with("text/html"), "{path}: {content_type}");
        assert!(html.contains(r#"<html lang="cs">"#), "{path}: {html}");
        assert!(html.contains("Toto přihlášení vypršelo, už bylo dokončeno, nebo neexistuje."), "{path}: {html}");
        assert!(html.contains("Vraťte se prosím do aplikace"), "{path}: {html}");
        assert!(!html.contains("deserialize") && !html.contains("missing field"), "{path}: {html}");
    }
    let (_, _, html) = get(&server.url("/login"), Some("en")).await;
    assert!(html.contains("This sign-in has expired, was already completed, or does not exist."), "{html}");
    assert!(html.contains("Please go back to the application"), "{html}");

    // A form posted without its fields (an old tab, a hand-made request) gets the same page.
    for path in ["/login", "/consent", "/select-account"] {
        let response = reqwest::Client::new()
            .post(server.url(path))
            .header("accept-language", "en")
            .form(&[("username", "jan")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("does not exist"), "{path}: {html}");
        assert!(!html.contains("missing field"), "{path}: {html}");
    }
}

#[tokio::test]
async fn a_sign_in_link_without_client_id_says_that_it_is_missing() {
    let server = TestServer::start().await;
    portal(&server).await;
    let url = server.url("/authorize?response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid");
    let (status, _, html) = get(&url, None).await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("chybí v něm parametr client_id"), "{html}");
    assert!(!html.contains("není registrována"), "{html}");
    let (_, _, html) = get(&url, Some("en")).await;
    assert!(html.contains("its client_id parameter is missing"), "{html}");
    assert!(!html.contains("not registered"), "{html}");
    // An unknown client is still called unknown.
    let (_, _, html) = get(&format!("{url}&client_id=nobody"), Some("en")).await;
    assert!(html.contains("is not registered here"), "{html}");
}

/// Signs jan in at the portal; returns the browser (holding the session cookie).
async fn signed_in(server: &TestServer) -> Browser {
    let browser = server.browser();
    let landing = browser.authorize(&server.issuer, &authorize_url(server), "jan", "heslo-123").await;
    assert!(common::params_of(&landing).contains_key("code"), "{landing}");
    browser
}

async fn assert_still_signed_in(server: &TestServer, browser: &Browser) {
    let url = format!("{}&prompt=none", authorize_url(server));
    match browser.visit(&server.issuer, &url).await {
        Landing::Redirect(to) => assert!(common::params_of(&to).contains_key("code"), "{to}"),
        other => panic!("prompt=none showed {other:?}"),
    }
}

async fn logout_page(server: &TestServer, browser: &Browser, query: &str) -> String {
    match browser.visit(&server.issuer, &server.url(&format!("/logout{query}"))).await {
        Landing::Page(200, html) if html.contains(r#"id="logout""#) => html,
        other => panic!("no confirmation page: {other:?}"),
    }
}

#[tokio::test]
async fn cancelling_a_logout_returns_to_the_post_logout_redirect_uri_with_state() {
    let server = TestServer::start().await;
    portal(&server).await;
    let browser = signed_in(&server).await;
    let query = "?client_id=portal&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fsigned-out&state=s%20t";
    let html = logout_page(&server, &browser, query).await;
    match browser.submit(&server.issuer, &html, "logout", &[("logout", "no")]).await {
        Landing::Redirect(to) => assert_eq!(to, format!("{AFTER_LOGOUT}?state=s+t")),
        other => panic!("expected the way back to the portal, got {other:?}"),
    }
    assert_still_signed_in(&server, &browser).await;
}

#[tokio::test]
async fn cancelling_a_logout_without_a_way_back_says_the_person_stays_signed_in() {
    let server = TestServer::start().await;
    portal(&server).await;
    let browser = signed_in(&server).await;
    for (query, name) in [("?ui_locales=en", None), ("?client_id=portal", Some("Portál"))] {
        let html = logout_page(&server, &browser, query).await;
        match browser.submit(&server.issuer, &html, "logout", &[("logout", "no")]).await {
            Landing::Page(200, html) => {
                assert!(html.contains(r#"id="logout-kept""#), "{html}");
                assert!(!html.contains("error-code") && !html.contains("access_denied"), "{html}");
                match name {
                    None => assert!(html.contains("You are still signed in"), "{html}"),
                    Some(name) => {
                        assert!(html.contains("Zůstáváte přihlášeni"), "{html}");
                        assert!(html.contains(&format!("<strong>{name}</strong>")), "{html}");
                    }
                }
            }
            other => panic!("expected the neutral page, got {other:?}"),
        }
        assert_still_signed_in(&server, &browser).await;
    }
}

#[tokio::test]
async fn cancelling_the_login_returns_access_denied_with_state_to_the_portal() {
    let server = TestServer::start().await;
    portal(&server).await;
    let browser = server.browser();
    let Landing::Page(200, html) = browser.visit(&server.issuer, &authorize_url(&server)).await else {
        panic!("no login page");
    };
    assert!(html.contains(r#"id="login-cancel" type="submit" name="cancel" value="yes" formnovalidate"#), "{html}");
    assert!(html.contains("Zrušit a vrátit se do aplikace"), "{html}");
    let interaction = common::hidden_fields(&html, "login").into_iter().find(|(k, _)| k == "interaction").unwrap().1;

    // The cancel is a form post like the others: without the CSRF token it changes nothing.
    let forged = browser
        .http
        .post(server.url("/login"))
        .form(&[("interaction", interaction.as_str()), ("csrf", "wrong"), ("cancel", "yes")])
        .send()
        .await
        .unwrap();
    assert!(!forged.status().is_redirection(), "{}", forged.status());

    match browser.submit(&server.issuer, &html, "login", &[("cancel", "yes")]).await {
        Landing::Redirect(to) => {
            assert!(to.starts_with(&format!("{REDIRECT}?")), "{to}");
            let params = common::params_of(&to);
            assert_eq!(params.get("error").map(String::as_str), Some("access_denied"), "{to}");
            assert_eq!(params.get("state").map(String::as_str), Some("st 1"), "{to}");
            assert_eq!(params.get("iss").map(String::as_str), Some(server.issuer.as_str()), "{to}");
            assert!(!params.contains_key("code"), "{to}");
        }
        other => panic!("expected the way back to the portal, got {other:?}"),
    }
    // The login is over: the page cannot be used again.
    let again = browser.http.get(server.url(&format!("/login?interaction={interaction}"))).send().await.unwrap();
    assert_eq!(again.status(), 400);
}
