//! prompt=none, re-authentication (prompt=login, max_age), consent and account selection.

use super::*;

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
