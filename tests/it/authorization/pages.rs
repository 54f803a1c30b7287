//! Hints and locales on the login page; failed logins and CSRF.

use super::*;

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

#[tokio::test]
async fn an_account_locks_after_repeated_failures_until_the_window_ends() {
    let server = TestServer::start_with(|c| {
        c.password.lockout_threshold = 3;
        c.password.lockout_window = 600;
    })
    .await;
    server.add_user(USER, PASSWORD, json!({ "name": "Jan Novák" })).await;
    let rp = rp(&server, json!({})).await;
    // Three failures, each in a login of its own (another browser, say): the account locks.
    for _ in 0..3 {
        let browser = server.browser();
        let (_, html) = expect_page(browser.visit(&server.issuer, &authorize_url(&server, &rp, &[])).await);
        attempt(&server, &browser, &html, USER, "spatne-heslo").await;
    }
    let browser = server.browser();
    let (_, html) = expect_page(browser.visit(&server.issuer, &authorize_url(&server, &rp, &[])).await);
    let (status, refused) = attempt(&server, &browser, &html, USER, PASSWORD).await;
    assert_eq!(status, 429, "the right password is refused while locked");
    assert!(is_page(&refused, "login-error"));

    // Once the window has passed, the right password works again.
    server.clock.advance(601);
    let browser = server.browser();
    let redirect = log_in(&server, &browser, &rp, &[]).await;
    assert!(!code_of(&rp, &redirect).is_empty());
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
