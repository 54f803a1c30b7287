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

/// The portal asking for the person's profile and email, with a secret to redeem its code.
async fn portal_with_profile(server: &TestServer) -> (String, String) {
    let (id, secret) = server
        .add_client(json!({
            "client_id": "portal-profile",
            "client_name": "Portál občana",
            "client_uri": "https://portal.example/",
            "redirect_uris": [REDIRECT],
            "post_logout_redirect_uris": [AFTER_LOGOUT],
            "token_endpoint_auth_method": "client_secret_basic",
        }))
        .await;
    (id, secret.expect("a confidential client"))
}

fn profile_url(server: &TestServer, extra: &str) -> String {
    let redirect = url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>();
    server.url(&format!(
        "/authorize?response_type=code&client_id=portal-profile&redirect_uri={redirect}&scope=openid%20profile%20email&state=st-2&nonce=n-2{extra}"
    ))
}

/// The login page for `url`, and the page after signing in with `username`.
async fn sign_in_to_consent(server: &TestServer, browser: &Browser, url: &str, username: &str) -> String {
    let Landing::Page(200, login) = browser.visit(&server.issuer, url).await else { panic!("no login page") };
    match browser.submit(&server.issuer, &login, "login", &[("username", username), ("password", "heslo-123")]).await {
        Landing::Page(200, html) if html.contains(r#"id="consent""#) => html,
        other => panic!("expected the consent page, got {other:?}"),
    }
}

/// The `sub` the portal learns from a code: redeemed at the token endpoint, then userinfo.
async fn sub_of(server: &TestServer, client: &(String, String), redirect: &str) -> String {
    let code = common::params_of(redirect).remove("code").unwrap_or_else(|| panic!("no code: {redirect}"));
    let http = reqwest::Client::new();
    let tokens: serde_json::Value = http
        .post(server.url("/token"))
        .basic_auth(&client.0, Some(&client.1))
        .form(&[("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap_or_else(|| panic!("no access token: {tokens}"));
    let info: serde_json::Value =
        http.get(server.url("/userinfo")).bearer_auth(access).send().await.unwrap().json().await.unwrap();
    info["sub"].as_str().unwrap_or_else(|| panic!("no sub: {info}")).to_owned()
}

#[tokio::test]
async fn the_consent_page_shows_the_values_the_portal_will_receive() {
    let server = TestServer::start().await;
    portal_with_profile(&server).await;
    let profile = json!({ "name": "Jan Novák", "email": "jan.novak@example.cz", "birthdate": "1980-02-29" });
    server.add_user("jan", "heslo-123", profile).await;

    let html = sign_in_to_consent(&server, &server.browser(), &profile_url(&server, ""), "jan").await;
    for (claim, label, value) in [
        ("name", "Jméno a příjmení", "Jan Novák"),
        ("birthdate", "Datum narození", "1980-02-29"),
        ("email", "E-mail", "jan.novak@example.cz"),
    ] {
        assert!(
            html.contains(&format!(r#"<div data-claim="{claim}"><dt>{label}</dt><dd>{value}</dd></div>"#)),
            "{claim}: {html}"
        );
    }
    assert!(html.contains("Aplikace od nás dostane tyto údaje:"), "{html}");
    assert!(!html.contains(r#"data-claim="email_verified""#) && !html.contains(r#"data-claim="updated_at""#), "{html}");
    assert!(html.contains("Nejste to vy? Přihlásit se jinak"), "{html}");

    let html = sign_in_to_consent(&server, &server.browser(), &profile_url(&server, "&ui_locales=en"), "jan").await;
    assert!(html.contains(r#"<div data-claim="birthdate"><dt>Date of birth</dt><dd>1980-02-29</dd></div>"#), "{html}");
    assert!(
        html.contains("The application will receive:") && html.contains("Not you? Sign in as someone else"),
        "{html}"
    );
}

#[tokio::test]
async fn not_you_on_the_consent_page_signs_the_account_out_and_the_portal_gets_the_other_persons_sub() {
    let server = TestServer::start().await;
    let client = portal_with_profile(&server).await;
    let jan = server.add_user("jan", "heslo-123", json!({ "name": "Jan Novák" })).await;
    let eva = server.add_user("eva", "heslo-123", json!({ "name": "Eva Malá", "email": "eva@example.cz" })).await;
    let browser = server.browser();
    let consent = sign_in_to_consent(&server, &browser, &profile_url(&server, ""), "jan").await;
    assert!(consent.contains(r#"<strong id="consent-user">Jan Novák</strong>"#), "{consent}");

    // The switch is a form post with the CSRF token: a forged one changes nothing.
    let interaction = common::hidden_fields(&consent, "consent-switch").into_iter().find(|(k, _)| k == "interaction");
    let interaction = interaction.expect("the switch carries the interaction").1;
    let forged = browser
        .http
        .post(server.url("/consent"))
        .form(&[("interaction", interaction.as_str()), ("csrf", "wrong"), ("decision", "switch")])
        .send()
        .await
        .unwrap();
    assert!(!forged.status().is_redirection(), "{}", forged.status());
    let again = browser.visit(&server.issuer, &server.url(&format!("/consent?interaction={interaction}"))).await;
    assert!(matches!(&again, Landing::Page(200, html) if html.contains("Jan Novák")), "{again:?}");

    // "Not you?": the login page of the same request, and jan is no longer signed in here.
    let Landing::Page(200, login) =
        browser.submit(&server.issuer, &consent, "consent-switch", &[("decision", "switch")]).await
    else {
        panic!("no login page after the switch");
    };
    assert!(login.contains(r#"id="login""#), "{login}");
    assert!(login.contains(&format!(r#"name="interaction" value="{interaction}""#)), "{login}");
    let silent = browser.visit(&server.issuer, &format!("{}&prompt=none", profile_url(&server, ""))).await;
    match silent {
        Landing::Redirect(to) => {
            assert_eq!(common::params_of(&to).get("error").map(String::as_str), Some("login_required"))
        }
        other => panic!("prompt=none showed {other:?}"),
    }

    // Eva signs in on that login page, sees her own values, and the portal gets her sub.
    let consent = match browser
        .submit(&server.issuer, &login, "login", &[("username", "eva"), ("password", "heslo-123")])
        .await
    {
        Landing::Page(200, html) => html,
        other => panic!("expected eva's consent page, got {other:?}"),
    };
    assert!(consent.contains(r#"<strong id="consent-user">Eva Malá</strong>"#), "{consent}");
    assert!(consent.contains("<dd>eva@example.cz</dd>") && !consent.contains("Jan Novák"), "{consent}");
    let Landing::Redirect(to) = browser.submit(&server.issuer, &consent, "consent", &[("decision", "allow")]).await
    else {
        panic!("no way back to the portal");
    };
    assert_eq!(common::params_of(&to).get("state").map(String::as_str), Some("st-2"), "{to}");
    let sub = sub_of(&server, &client, &to).await;
    assert_eq!(sub, eva.id);
    assert_ne!(sub, jan.id);
}

#[tokio::test]
async fn the_logout_page_names_the_account_being_signed_out() {
    let server = TestServer::start().await;
    portal(&server).await;
    let browser = signed_in(&server).await;
    let html = logout_page(&server, &browser, "?ui_locales=en").await;
    assert!(
        html.contains(r#"Account being signed out: <strong id="logout-account">Jan Novák (jan)</strong>"#),
        "{html}"
    );
    let html = logout_page(&server, &browser, "").await;
    assert!(html.contains(r#"Odhlašovaný účet: <strong id="logout-account">Jan Novák (jan)</strong>"#), "{html}");
}

#[tokio::test]
async fn error_pages_lead_back_to_the_clients_website_or_to_the_home_page() {
    let server = TestServer::start().await;
    portal_with_profile(&server).await;
    portal(&server).await;
    // An unregistered redirect URI: back to the website the client registered, never to the URI.
    let evil = "https%3A%2F%2Fevil.example%2Fcb";
    let url = server.url(&format!(
        "/authorize?response_type=code&client_id=portal-profile&redirect_uri={evil}&scope=openid&ui_locales=en"
    ));
    let (status, _, html) = get(&url, None).await;
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains(r#"<a id="error-back" class="back" href="https://portal.example/" rel="noopener noreferrer">Back to the website of <strong>Portál občana</strong></a>"#),
        "{html}"
    );
    assert!(!html.contains(r#"href="https://evil.example"#), "{html}");
    // A client without a website, or none known: this service's home page, which answers.
    let url = server.url(&format!("/authorize?response_type=code&client_id=portal&redirect_uri={evil}&scope=openid"));
    let (_, _, html) = get(&url, None).await;
    assert!(
        html.contains(r#"<a id="error-back" class="back" href="/">Na úvodní stránku služby identita</a>"#),
        "{html}"
    );
    for path in ["/authorize?client_id=nobody&response_type=code&scope=openid", "/login"] {
        let (_, _, html) = get(&server.url(path), Some("en")).await;
        assert!(
            html.contains(r#"<a id="error-back" class="back" href="/">To the identita home page</a>"#),
            "{path}: {html}"
        );
    }
    assert_eq!(get(&server.url("/"), None).await.0, 200);

    // A form gone out of date during a login: back to the client of that login.
    let browser = server.browser();
    let Landing::Page(200, login) = browser.visit(&server.issuer, &profile_url(&server, "")).await else { panic!() };
    let interaction = common::hidden_fields(&login, "login").into_iter().find(|(k, _)| k == "interaction").unwrap().1;
    let stale = browser
        .http
        .post(server.url("/login"))
        .form(&[("interaction", interaction.as_str()), ("csrf", "old"), ("username", "jan"), ("password", "x")])
        .send()
        .await
        .unwrap();
    let html = stale.text().await.unwrap();
    assert!(html.contains("Formulář už neplatí.") && html.contains(r#"href="https://portal.example/""#), "{html}");

    // A logout refused for an unregistered post_logout_redirect_uri: back to the client's website.
    let (_, _, html) = get(
        &server.url("/logout?client_id=portal-profile&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F"),
        None,
    )
    .await;
    assert!(html.contains(r#"id="error-code""#) && html.contains(r#"href="https://portal.example/""#), "{html}");
    assert!(!html.contains(r#"href="https://evil.example"#), "{html}");
}

#[tokio::test]
async fn login_fields_in_error_are_marked_invalid_and_point_at_the_message() {
    let server = TestServer::start().await;
    portal(&server).await;
    let browser = server.browser();
    let Landing::Page(200, html) = browser.visit(&server.issuer, &authorize_url(&server)).await else { panic!() };
    assert!(!html.contains("aria-invalid"), "{html}");
    let Landing::Page(401, html) =
        browser.submit(&server.issuer, &html, "login", &[("username", "jan"), ("password", "spatne")]).await
    else {
        panic!("no login page with an error");
    };
    assert!(html.contains(r#"<p id="login-error" class="alert" role="alert">"#), "{html}");
    for field in ["username", "password"] {
        let tag = html.split(&format!(r#"<input id="{field}""#)).nth(1).and_then(|t| t.split('>').next()).unwrap();
        assert!(
            tag.contains(r#"aria-invalid="true""#) && tag.contains(r#"aria-describedby="login-error""#),
            "{field}: {tag}"
        );
    }
}
