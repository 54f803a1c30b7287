//! NIA ID over HTTP, as a citizen's browser does it: the login page offers only the means a
//! request accepts; NIA ID asks for the username and password, then for the six-digit code sent
//! by SMS (read here from the outbox, as a developer reads it) — and the portal gets `acr`
//! substantial with `amr` `pwd sms mfa`. Wrong, expired, reused and raced codes, the resend
//! limits, an account without a Czech number, and the step-up of a session that keeps its `sid`.

use crate::common;

use common::{Browser, Landing, Portal, TestServer, interaction_of, page, params_of};
use serde_json::json;

const USER: &str = "jana";
const PASSWORD: &str = "heslo-jany-1";
const PHONE: &str = "+420601123456";
const STATE: &str = "st-nia";
const LOW: &str = "http://eidas.europa.eu/LoA/low";
const SUBSTANTIAL: &str = "http://eidas.europa.eu/LoA/substantial";
const HIGH: &str = "http://eidas.europa.eu/LoA/high";

/// A server with `jana` (a Czech mobile number) and a first-party client.
async fn setup() -> (TestServer, Portal) {
    let server = TestServer::start().await;
    server.add_user(USER, PASSWORD, json!({ "name": "Jana Nováková", "phone_number": "+420 601 123 456" })).await;
    let portal = Portal::register(&server, STATE).await;
    (server, portal)
}

/// The code of the newest SMS to `phone`, as the outbox holds it.
async fn last_code(server: &TestServer, phone: &str) -> String {
    let messages = server.provider.stores.outbox.recent(Some(phone), 1).await.unwrap();
    let message = messages.first().unwrap_or_else(|| panic!("no SMS to {phone}"));
    identita::authn::nia_id::code_in(&message.body)
        .unwrap_or_else(|| panic!("no code in {:?}", message.body))
        .to_owned()
}

async fn sms_count(server: &TestServer, phone: &str) -> usize {
    server.provider.stores.outbox.recent(Some(phone), 100).await.unwrap().len()
}

/// Opens the login page for a request needing substantial and passes the password: the SMS page.
async fn to_sms_page(server: &TestServer, browser: &Browser, rp: &Portal, extra: &[(&str, &str)]) -> String {
    let (status, html) = page(browser.visit(&server.issuer, &rp.authorize_url(extra)).await);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"name="means" value="nia-id""#), "NIA ID is the means offered:\n{html}");
    let landing = browser.submit(&server.issuer, &html, "login", &[("username", USER), ("password", PASSWORD)]).await;
    let (status, html) = page(landing);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"id="sms""#), "{html}");
    assert!(html.contains("+420 *** *** 456"), "the number, mostly hidden:\n{html}");
    assert!(!html.contains(PHONE), "{html}");
    html
}

const NEEDS_SUBSTANTIAL: &[(&str, &str)] = &[("scope", "openid loasubstantial")];

#[tokio::test]
async fn a_substantial_request_logs_in_with_nia_id_and_the_sms_code() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    let html = to_sms_page(&server, &browser, &rp, NEEDS_SUBSTANTIAL).await;
    assert!(!html.contains("id=\"means\""), "one means, no list");
    assert_eq!(sms_count(&server, PHONE).await, 1);
    let code = last_code(&server, PHONE).await;
    let landing = browser.submit(&server.issuer, &html, "sms", &[("code", &code), ("action", "verify")]).await;
    let claims = rp.id_token(&rp.back(landing)).await;
    assert_eq!(claims["acr"], SUBSTANTIAL, "{claims}");
    assert_eq!(claims["amr"], json!(["pwd", "sms", "mfa"]), "{claims}");

    // The code completed one login: typed again in another login it is nothing.
    let other = server.browser();
    let html = to_sms_page(&server, &other, &rp, NEEDS_SUBSTANTIAL).await;
    let (status, again) =
        page(other.submit(&server.issuer, &html, "sms", &[("code", &code), ("action", "verify")]).await);
    assert!(status == 401 || status == 400, "{status}: {again}");
}

#[tokio::test]
async fn the_means_list_offers_what_the_request_accepts() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    // Any level: both means, the password first and chosen.
    let (_, html) = page(browser.visit(&server.issuer, &rp.authorize_url(&[])).await);
    assert!(html.contains(r#"id="means""#), "{html}");
    assert!(html.contains(r#"data-means="password""#) && html.contains(r#"data-means="nia-id""#), "{html}");
    assert!(html.contains(r#"name="means" value="password""#), "{html}");

    // Exactly low: the password alone.
    let (_, html) =
        page(browser.visit(&server.issuer, &rp.authorize_url(&[("scope", "openid loalow loaexact")])).await);
    assert!(!html.contains(r#"data-means="nia-id""#) && html.contains(r#"name="means" value="password""#), "{html}");

    // Substantial: a posted password means is refused, not served at low.
    let (_, html) = page(browser.visit(&server.issuer, &rp.authorize_url(NEEDS_SUBSTANTIAL)).await);
    let landing = browser
        .submit(
            &server.issuer,
            &html.replace(r#"value="nia-id""#, r#"value="password""#),
            "login",
            &[("username", USER), ("password", PASSWORD)],
        )
        .await;
    let (status, html) = page(landing);
    assert_eq!(status, 400, "{html}");
    assert!(html.contains(r#"id="login-error""#), "{html}");
    assert_eq!(sms_count(&server, PHONE).await, 0);
}

#[tokio::test]
async fn choosing_nia_id_when_any_level_will_do_gives_substantial() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    let (_, html) = page(browser.visit(&server.issuer, &rp.authorize_url(&[("ui_locales", "en")])).await);
    let start =
        html.find(r#"data-means="nia-id" href=""#).expect("a link to NIA ID") + r#"data-means="nia-id" href=""#.len();
    let href = html[start..start + html[start..].find('"').unwrap()].replace("&#38;", "&").replace("&amp;", "&");
    let (_, html) = page(browser.visit(&server.issuer, &format!("{}{href}", server.issuer)).await);
    assert!(html.contains("Sign in with NIA ID"), "{html}");
    assert!(html.contains(r#"data-means="nia-id" href="#) && html.contains(r#"aria-current="page""#), "{html}");
    let landing = browser.submit(&server.issuer, &html, "login", &[("username", USER), ("password", PASSWORD)]).await;
    let (_, html) = page(landing);
    let code = last_code(&server, PHONE).await;
    let landing = browser.submit(&server.issuer, &html, "sms", &[("code", &code), ("action", "verify")]).await;
    let claims = rp.id_token(&rp.back(landing)).await;
    assert_eq!(claims["acr"], SUBSTANTIAL);
}

#[tokio::test]
async fn a_voluntary_high_request_is_served_by_eobcanka_not_nia_id() {
    let (server, rp) = setup().await;
    // High is reached (eObčanka, see eobcanka.rs): NIA ID, at substantial, is not offered.
    let (status, html) = page(server.browser().visit(&server.issuer, &rp.authorize_url(&[("acr_values", HIGH)])).await);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"id="card-url""#), "{html}");
    assert!(!html.contains(r#"value="nia-id""#) && !html.contains(r#"data-means="nia-id""#), "{html}");
}

#[tokio::test]
async fn three_wrong_codes_end_the_code_and_the_right_one_no_longer_works() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    let html = to_sms_page(&server, &browser, &rp, NEEDS_SUBSTANTIAL).await;
    let code = last_code(&server, PHONE).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    let (status, html) =
        page(browser.submit(&server.issuer, &html, "sms", &[("code", wrong), ("action", "verify")]).await);
    assert_eq!(status, 401);
    assert!(html.contains(r#"id="sms-error""#) && html.contains("Zbývající pokusy: 2"), "{html}");
    assert!(html.contains(r#"aria-invalid="true""#), "{html}");
    let (_, html) = page(browser.submit(&server.issuer, &html, "sms", &[("code", wrong), ("action", "verify")]).await);
    assert!(html.contains("Zbývající pokusy: 1"), "{html}");
    let (status, html) =
        page(browser.submit(&server.issuer, &html, "sms", &[("code", wrong), ("action", "verify")]).await);
    // Back to NIA ID's first step, saying why.
    assert_eq!(status, 401);
    assert!(html.contains(r#"id="login""#) && html.contains(r#"id="login-error""#), "{html}");
    assert!(html.contains(r#"name="means" value="nia-id""#), "{html}");

    // The SMS page has no code any more: it leads back to the login page.
    let sms_page = server.url(&format!("/login/sms?interaction={}", interaction_of(&html)));
    let (_, back) = page(browser.visit(&server.issuer, &sms_page).await);
    assert!(back.contains(r#"id="login""#), "{back}");

    // Signing in again sends a fresh code, which works.
    let landing = browser.submit(&server.issuer, &html, "login", &[("username", USER), ("password", PASSWORD)]).await;
    let (_, html) = page(landing);
    let fresh = last_code(&server, PHONE).await;
    assert_eq!(sms_count(&server, PHONE).await, 2);
    let landing = browser.submit(&server.issuer, &html, "sms", &[("code", &fresh), ("action", "verify")]).await;
    rp.back(landing);
}

#[tokio::test]
async fn parallel_guesses_get_no_more_than_three_attempts() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    let html = to_sms_page(&server, &browser, &rp, NEEDS_SUBSTANTIAL).await;
    let code = last_code(&server, PHONE).await;
    let guesses: Vec<String> =
        (0..12u32).map(|i| format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000)).collect();
    let mut posts = tokio::task::JoinSet::new();
    for guess in guesses {
        let (browser, issuer, html) = (Browser { http: browser.http.clone() }, server.issuer.clone(), html.clone());
        posts.spawn(
            async move { browser.submit(&issuer, &html, "sms", &[("code", &guess), ("action", "verify")]).await },
        );
    }
    while let Some(landing) = posts.join_next().await {
        assert!(matches!(landing.unwrap(), Landing::Page(_, _)), "no guess logs in");
    }
    // Even the right code comes too late.
    let landing = browser.submit(&server.issuer, &html, "sms", &[("code", &code), ("action", "verify")]).await;
    let (_, html) = page(landing);
    assert!(html.contains(r#"id="login""#) && !html.contains(r#"id="sms""#), "back to the password:\n{html}");
}

#[tokio::test]
async fn the_right_code_sent_twice_at_once_completes_one_login() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    let html = to_sms_page(&server, &browser, &rp, NEEDS_SUBSTANTIAL).await;
    let code = last_code(&server, PHONE).await;
    let fields = [("code", code.as_str()), ("action", "verify")];
    let (a, b) = tokio::join!(
        browser.submit(&server.issuer, &html, "sms", &fields),
        browser.submit(&server.issuer, &html, "sms", &fields)
    );
    let wins =
        [a, b].into_iter().filter(|l| matches!(l, Landing::Redirect(to) if params_of(to).contains_key("code"))).count();
    assert_eq!(wins, 1, "one code, one login");
}

#[tokio::test]
async fn an_expired_code_is_refused_and_a_new_one_can_be_sent() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    let html = to_sms_page(&server, &browser, &rp, NEEDS_SUBSTANTIAL).await;
    let old = last_code(&server, PHONE).await;

    // Too soon for a new code.
    let response_page = browser.submit(&server.issuer, &html, "sms", &[("action", "resend")]).await;
    let (status, html) = page(response_page);
    assert_eq!(status, 429, "{html}");
    assert_eq!(sms_count(&server, PHONE).await, 1);

    server.clock.advance(301);
    let (status, html) =
        page(browser.submit(&server.issuer, &html, "sms", &[("code", &old), ("action", "verify")]).await);
    assert_eq!(status, 401);
    assert!(html.contains("vypršela"), "{html}");

    let (status, html) = page(browser.submit(&server.issuer, &html, "sms", &[("action", "resend")]).await);
    assert_eq!(status, 200);
    assert!(html.contains(r#"id="sms-status""#), "{html}");
    let fresh = last_code(&server, PHONE).await;
    assert_eq!(sms_count(&server, PHONE).await, 2);
    if fresh != old {
        let (status, _) =
            page(browser.submit(&server.issuer, &html, "sms", &[("code", &old), ("action", "verify")]).await);
        assert_eq!(status, 401, "the old code is gone with the new one");
    }
    let landing = browser.submit(&server.issuer, &html, "sms", &[("code", &fresh), ("action", "verify")]).await;
    rp.back(landing);
}

#[tokio::test]
async fn a_login_sends_at_most_three_codes() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    let mut html = to_sms_page(&server, &browser, &rp, NEEDS_SUBSTANTIAL).await;
    for _ in 0..2 {
        server.clock.advance(31);
        let (status, next) = page(browser.submit(&server.issuer, &html, "sms", &[("action", "resend")]).await);
        assert_eq!(status, 200, "{next}");
        html = next;
    }
    assert_eq!(sms_count(&server, PHONE).await, 3);
    server.clock.advance(31);
    let (_, html) = page(browser.submit(&server.issuer, &html, "sms", &[("action", "resend")]).await);
    assert!(html.contains(r#"id="login""#) && html.contains(r#"id="login-error""#), "{html}");
    assert_eq!(sms_count(&server, PHONE).await, 3);
}

#[tokio::test]
async fn an_account_without_a_czech_number_cannot_use_nia_id() {
    let (server, rp) = setup().await;
    server.add_user("petr", "heslo-petra-1", json!({ "phone_number": "+421 901 123 456" })).await;
    let browser = server.browser();
    let (_, html) = page(browser.visit(&server.issuer, &rp.authorize_url(NEEDS_SUBSTANTIAL)).await);
    let (status, html) = page(
        browser.submit(&server.issuer, &html, "login", &[("username", "petr"), ("password", "heslo-petra-1")]).await,
    );
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("+420"), "{html}");
    // A wrong password says nothing about the number.
    let (status, html) =
        page(browser.submit(&server.issuer, &html, "login", &[("username", "petr"), ("password", "nope")]).await);
    assert_eq!(status, 401, "{html}");
}

#[tokio::test]
async fn cancelling_at_the_sms_page_is_access_denied() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    let html = to_sms_page(&server, &browser, &rp, NEEDS_SUBSTANTIAL).await;
    let landing = browser.submit(&server.issuer, &html, "sms", &[("action", "cancel")]).await;
    assert_eq!(params_of(&rp.back(landing))["error"], "access_denied");
}

#[tokio::test]
async fn a_low_session_steps_up_to_substantial_keeping_its_sid() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    let first = browser.authorize(&server.issuer, &rp.authorize_url(&[]), USER, PASSWORD).await;
    let low = rp.id_token(&first).await;
    assert_eq!(low["acr"], LOW);

    // prompt=none cannot step up.
    let none = [NEEDS_SUBSTANTIAL[0], ("prompt", "none")];
    let landing = browser.visit(&server.issuer, &rp.authorize_url(&none)).await;
    assert_eq!(params_of(&rp.back(landing))["error"], "login_required");

    let html = to_sms_page(&server, &browser, &rp, NEEDS_SUBSTANTIAL).await;
    let code = last_code(&server, PHONE).await;
    let landing = browser.submit(&server.issuer, &html, "sms", &[("code", &code), ("action", "verify")]).await;
    let stepped = rp.id_token(&rp.back(landing)).await;
    assert_eq!(stepped["acr"], SUBSTANTIAL);
    assert_eq!(stepped["sid"], low["sid"], "the session is upgraded, not replaced");
    assert_eq!(stepped["amr"], json!(["pwd", "sms", "mfa"]));

    // The upgraded session now serves substantial without a login.
    let landing = browser.visit(&server.issuer, &rp.authorize_url(&none)).await;
    let claims = rp.id_token(&rp.back(landing)).await;
    assert_eq!(claims["acr"], SUBSTANTIAL);
}

#[tokio::test]
async fn the_sms_page_without_a_code_leads_to_the_login_page() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    let (_, html) = page(browser.visit(&server.issuer, &rp.authorize_url(NEEDS_SUBSTANTIAL)).await);
    let url = server.url(&format!("/login/sms?interaction={}", interaction_of(&html)));
    let (_, html) = page(browser.visit(&server.issuer, &url).await);
    assert!(html.contains(r#"id="login""#), "{html}");
    // No interaction at all: the expired page, not a crash.
    let (status, _) = page(browser.visit(&server.issuer, &server.url("/login/sms")).await);
    assert!((400..500).contains(&status), "{status}");
}

/// The whole NIA ID login in headless Chromium: from the portal's authorization request to the
/// portal's token, a wrong code on the way.
#[tokio::test]
async fn a_citizen_logs_in_with_nia_id_in_a_real_browser() {
    use crate::browser::{browser_in, driver, relying_party, wait_for};
    use fantoccini::Locator;
    const TEST: &str = "a_citizen_logs_in_with_nia_id_in_a_real_browser";
    let Some(driver) = driver(TEST).await else { return };
    let server = TestServer::start().await;
    let (callback, seen) = relying_party().await;
    let portal = Portal::register_at(&server, STATE, &callback).await;
    server.add_user(USER, PASSWORD, json!({ "name": "Jana Nováková", "phone_number": PHONE })).await;
    let url = portal.authorize_url(&[("scope", "openid loasubstantial")]);
    let client = browser_in(&driver, "cs").await;
    client.goto(&url).await.unwrap();
    client.wait().for_element(Locator::Id("nia-id-intro")).await.unwrap();
    client.find(Locator::Id("username")).await.unwrap().send_keys(USER).await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    client.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("sms")).await.unwrap();
    let code = last_code(&server, PHONE).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    client.find(Locator::Id("code")).await.unwrap().send_keys(wrong).await.unwrap();
    client.find(Locator::Id("sms-submit")).await.unwrap().click().await.unwrap();
    let error = client.wait().for_element(Locator::Id("sms-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("Zbývající pokusy: 2"));
    client.find(Locator::Id("code")).await.unwrap().send_keys(&code).await.unwrap();
    client.find(Locator::Id("sms-submit")).await.unwrap().click().await.unwrap();
    wait_for("the portal's callback", || !seen.lock().unwrap().is_empty()).await;
    let query = seen.lock().unwrap()[0].clone();
    let claims = portal.id_token_from_query(&query).await;
    assert_eq!(claims["acr"], SUBSTANTIAL);
    assert_eq!(claims["amr"], json!(["pwd", "sms", "mfa"]));
    client.close().await.unwrap();
}

#[tokio::test]
async fn the_accounts_code_attempts_run_out_but_its_password_still_signs_in_at_low() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    // Four logins, three wrong codes each: the account's ten attempts in a window run out.
    let mut refused = None;
    'logins: for _ in 0..4 {
        let html = to_sms_page(&server, &browser, &rp, NEEDS_SUBSTANTIAL).await;
        let code = last_code(&server, PHONE).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let mut html = html;
        for _ in 0..3 {
            let (status, next) =
                page(browser.submit(&server.issuer, &html, "sms", &[("code", wrong), ("action", "verify")]).await);
            if status == 429 {
                refused = Some(next);
                break 'logins;
            }
            if !next.contains(r#"id="sms""#) {
                break;
            }
            html = next;
        }
    }
    let html = refused.expect("the account's attempts ran out");
    assert!(html.contains(r#"id="sms-error""#) && html.contains("Zkuste to znovu za"), "{html}");
    // Even the right code waits now.
    let code = last_code(&server, PHONE).await;
    let (status, _) =
        page(browser.submit(&server.issuer, &html, "sms", &[("code", &code), ("action", "verify")]).await);
    assert_eq!(status, 429);

    // A locked means does not lock the others: the password alone still signs in, at low.
    let fresh = server.browser();
    let landing = fresh.authorize(&server.issuer, &rp.authorize_url(&[]), USER, PASSWORD).await;
    let claims = rp.id_token(&landing).await;
    assert_eq!(claims["acr"], LOW);
}

#[tokio::test]
async fn prompt_login_at_substantial_asks_for_nia_id_again() {
    let (server, rp) = setup().await;
    let browser = server.browser();
    let html = to_sms_page(&server, &browser, &rp, NEEDS_SUBSTANTIAL).await;
    let code = last_code(&server, PHONE).await;
    let first = browser.submit(&server.issuer, &html, "sms", &[("code", &code), ("action", "verify")]).await;
    let first = rp.id_token(&rp.back(first)).await;

    server.clock.advance(5);
    let again = [NEEDS_SUBSTANTIAL[0], ("prompt", "login")];
    let html = to_sms_page(&server, &browser, &rp, &again).await;
    let code = last_code(&server, PHONE).await;
    let second = browser.submit(&server.issuer, &html, "sms", &[("code", &code), ("action", "verify")]).await;
    let second = rp.id_token(&rp.back(second)).await;
    assert_eq!(second["acr"], SUBSTANTIAL);
    assert_eq!(second["sid"], first["sid"]);
    assert!(second["auth_time"].as_i64() > first["auth_time"].as_i64(), "a new authentication: {second}");
}
