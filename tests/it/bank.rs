//! The bank identity means over HTTP: the bank is a second identita (its own clients and
//! accounts), at which identita-A is a registered client. A citizen picks their bank at A, logs
//! in at the bank (NIA ID, at substantial: the code read from the bank's outbox), and comes back
//! to A, which matches them to its register by name and birth date; the portal gets `acr`
//! substantial and `amr` `fed`. An unmatched or low-assurance answer, a tampered or replayed
//! `state`, an answer in another browser, and a cancel at the bank are refused clearly.

use crate::common;

use common::{Browser, Landing, PORTAL_REDIRECT as REDIRECT, Portal, TestServer, page, params_of};
use identita::config::BankConfig;
use identita::secret::Secret;
use serde_json::{Value, json};

const STATE: &str = "st-bank";
const BANK_USER: &str = "klient";
const BANK_PASSWORD: &str = "heslo-v-bance-1";
const BANK_PHONE: &str = "+420602111222";
const SUBSTANTIAL: &str = "http://eidas.europa.eu/LoA/substantial";

/// The portal (a client of A), A with the bank B configured, and B with its customer.
struct Setup {
    a: TestServer,
    b: TestServer,
    portal: Portal,
    /// The citizen in A's register, as the bank knows them.
    citizen: identita::model::User,
}

fn citizen_profile() -> Value {
    json!({ "given_name": "Petra", "family_name": "Svobodová", "birthdate": "1985-04-12" })
}

/// B with its customer; A with B as its bank (`acr_values` as given) and, if `register`, the
/// citizen in its register.
async fn setup(acr_values: &str, register: Value) -> Setup {
    // The bank's ID tokens live ten minutes.
    let b = TestServer::start_with(|config| config.tokens.id_token_ttl = 600).await;
    let mut customer = citizen_profile();
    customer["phone_number"] = json!(BANK_PHONE);
    b.add_user(BANK_USER, BANK_PASSWORD, customer).await;
    let secret = "a-secret-at-the-bank-0123456789";
    let (bank_issuer, acr_values) = (b.issuer.clone(), acr_values.to_owned());
    let a = TestServer::start_with(|config| {
        config.banks = vec![BankConfig {
            id: "banka-b".into(),
            name: "Banka B".into(),
            issuer: bank_issuer,
            client_id: "identita-a".into(),
            client_secret: Some(Secret::new(secret)),
            client_secret_file: None,
            acr_values,
        }];
    })
    .await;
    b.add_client(json!({
        "client_id": "identita-a",
        "client_secret": secret,
        "redirect_uris": [a.url("/login/bank/callback")],
        "first_party": true,
    }))
    .await;
    let citizen = a.add_user("petra", "jine-heslo-v-registru", register).await;
    let portal = Portal::register(&a, STATE).await;
    Setup { a, b, portal, citizen }
}

fn redirect(landing: Landing) -> String {
    match landing {
        Landing::Redirect(to) => to,
        Landing::Page(status, html) => panic!("expected a redirect, got a page ({status}):\n{html}"),
    }
}

/// From the portal's request to A's bank picker.
async fn to_picker(s: &Setup, browser: &Browser, scope: &str) -> String {
    let (status, html) = page(browser.visit(&s.a.issuer, &s.portal.authorize_url(&[("scope", scope)])).await);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"data-means="bank""#), "the bank identity is offered:\n{html}");
    let start = html.find("interaction=").unwrap() + "interaction=".len();
    let interaction: String =
        html[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    let picker = format!("{}?interaction={interaction}&means=bank", s.a.url("/login"));
    let (status, html) = page(browser.visit(&s.a.issuer, &picker).await);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"<button type="submit" name="bank" value="banka-b">Banka B</button>"#), "{html}");
    html
}

/// Picks the bank: the redirect to the bank's authorization endpoint.
async fn pick_bank(s: &Setup, browser: &Browser, picker: &str) -> String {
    let to = redirect(browser.submit(&s.a.issuer, picker, "bank", &[("bank", "banka-b")]).await);
    assert!(to.starts_with(&s.b.url("/authorize")), "{to}");
    to
}

/// The customer logs in at the bank with NIA ID (password, then the SMS code): the bank's
/// redirect back to A.
async fn log_in_at_bank_with_nia_id(s: &Setup, browser: &Browser, at_bank: &str) -> String {
    let (status, html) = page(browser.visit(&s.b.issuer, at_bank).await);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"name="means" value="nia-id""#), "the bank asks for substantial:\n{html}");
    let landing =
        browser.submit(&s.b.issuer, &html, "login", &[("username", BANK_USER), ("password", BANK_PASSWORD)]).await;
    let (_, html) = page(landing);
    let messages = s.b.provider.stores.outbox.recent(Some(BANK_PHONE), 1).await.unwrap();
    let code = identita::authn::nia_id::code_in(&messages[0].body).unwrap().to_owned();
    let back = redirect(browser.submit(&s.b.issuer, &html, "sms", &[("code", &code), ("action", "verify")]).await);
    assert!(back.starts_with(&s.a.url("/login/bank/callback")), "{back}");
    back
}

#[tokio::test]
async fn a_citizen_logs_in_with_their_bank_identity() {
    let s = setup(SUBSTANTIAL, citizen_profile()).await;
    let browser = Browser::new();
    let picker = to_picker(&s, &browser, "openid loasubstantial").await;
    let at_bank = pick_bank(&s, &browser, &picker).await;
    let asked = params_of(&at_bank);
    assert_eq!(asked.get("acr_values").map(String::as_str), Some(SUBSTANTIAL));
    assert_eq!(asked.get("code_challenge_method").map(String::as_str), Some("S256"));
    assert!(asked.get("nonce").is_some_and(|n| !n.is_empty()));
    let back = log_in_at_bank_with_nia_id(&s, &browser, &at_bank).await;
    let at_portal = s.portal.back(browser.visit(&s.a.issuer, &back).await);
    let claims = s.portal.id_token(&at_portal).await;
    assert_eq!(claims["acr"], SUBSTANTIAL, "{claims}");
    assert_eq!(claims["amr"], json!(["fed"]), "{claims}");
    assert_eq!(claims["sub"], s.citizen.id, "the citizen of A's register: {claims}");

    // The bank's answer is good once.
    let (status, html) = page(browser.visit(&s.a.issuer, &back).await);
    assert!(status >= 400, "{status}: {html}");
}

#[tokio::test]
async fn the_bank_means_is_offered_only_where_a_bank_is_configured() {
    let s = setup(SUBSTANTIAL, citizen_profile()).await;
    let browser = Browser::new();
    // Any level: password, NIA ID and the bank.
    let (_, html) = page(browser.visit(&s.a.issuer, &s.portal.authorize_url(&[])).await);
    for means in ["password", "nia-id", "bank"] {
        assert!(html.contains(&format!(r#"data-means="{means}""#)), "{means}:\n{html}");
    }
    // B has no bank: it does not offer one.
    let (client, _) = s.b.add_client(json!({ "redirect_uris": [REDIRECT], "first_party": true })).await;
    let url =
        format!("{}?response_type=code&client_id={client}&redirect_uri={REDIRECT}&scope=openid", s.b.url("/authorize"));
    let (_, html) = page(browser.visit(&s.b.issuer, &url).await);
    assert!(html.contains(r#"data-means="nia-id""#) && !html.contains(r#"data-means="bank""#), "{html}");
}

#[tokio::test]
async fn a_bank_answer_matching_no_citizen_is_refused() {
    let s = setup(SUBSTANTIAL, json!({ "given_name": "Petra", "family_name": "Svobodová", "birthdate": "1985-04-13" }))
        .await;
    let browser = Browser::new();
    let picker = to_picker(&s, &browser, "openid loasubstantial").await;
    let at_bank = pick_bank(&s, &browser, &picker).await;
    let back = log_in_at_bank_with_nia_id(&s, &browser, &at_bank).await;
    let (status, html) = page(browser.visit(&s.a.issuer, &back).await);
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("do not match exactly one citizen") || html.contains("neodpovídají právě jednomu"), "{html}");
    assert!(html.contains(r#"id="bank""#), "the picker again:\n{html}");
}

/// The bank's ID token is checked against identita's clock: an answer that reaches A after the
/// token's ten minutes have passed there is refused, however the machine's clock stands.
#[tokio::test]
async fn a_bank_id_token_expired_by_identitas_clock_is_refused() {
    let s = setup(SUBSTANTIAL, citizen_profile()).await;
    let browser = Browser::new();
    let picker = to_picker(&s, &browser, "openid loasubstantial").await;
    let at_bank = pick_bank(&s, &browser, &picker).await;
    let back = log_in_at_bank_with_nia_id(&s, &browser, &at_bank).await;
    s.a.clock.advance(15 * 60);
    let (status, html) = page(browser.visit(&s.a.issuer, &back).await);
    assert_eq!(status, 502, "{html}");
    assert!(html.contains("could not be completed") || html.contains("nepodařilo dokončit"), "{html}");
    assert!(html.contains(r#"id="bank""#), "the picker again:\n{html}");
}

#[tokio::test]
async fn two_citizens_with_the_banks_details_are_refused() {
    let s = setup(SUBSTANTIAL, citizen_profile()).await;
    s.a.add_user("petra2", "jine-heslo-v-registru", citizen_profile()).await;
    let browser = Browser::new();
    let picker = to_picker(&s, &browser, "openid loasubstantial").await;
    let at_bank = pick_bank(&s, &browser, &picker).await;
    let back = log_in_at_bank_with_nia_id(&s, &browser, &at_bank).await;
    let (status, html) = page(browser.visit(&s.a.issuer, &back).await);
    assert_eq!(status, 403, "{html}");
}

#[tokio::test]
async fn a_low_assurance_answer_is_refused() {
    // Asking the bank for no level: it lets its customer in with the password alone (low).
    let s = setup("", citizen_profile()).await;
    let browser = Browser::new();
    let picker = to_picker(&s, &browser, "openid").await;
    let at_bank = pick_bank(&s, &browser, &picker).await;
    assert!(!params_of(&at_bank).contains_key("acr_values"), "{at_bank}");
    let (_, html) = page(browser.visit(&s.b.issuer, &at_bank).await);
    let landing =
        browser.submit(&s.b.issuer, &html, "login", &[("username", BANK_USER), ("password", BANK_PASSWORD)]).await;
    let back = redirect(landing);
    let (status, html) = page(browser.visit(&s.a.issuer, &back).await);
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("level substantial") || html.contains("úrovni značná"), "{html}");
}

#[tokio::test]
async fn a_tampered_state_or_another_browser_is_refused_and_the_real_answer_still_works() {
    let s = setup(SUBSTANTIAL, citizen_profile()).await;
    let browser = Browser::new();
    let picker = to_picker(&s, &browser, "openid loasubstantial").await;
    let at_bank = pick_bank(&s, &browser, &picker).await;
    let back = log_in_at_bank_with_nia_id(&s, &browser, &at_bank).await;
    let state = params_of(&back)["state"].clone();

    let mut tampered = url::Url::parse(&back).unwrap();
    let pairs: Vec<(String, String)> = tampered.query_pairs().into_owned().collect();
    tampered
        .query_pairs_mut()
        .clear()
        .extend_pairs(pairs.iter().map(|(k, v)| (k.as_str(), if k == "state" { format!("{v}x") } else { v.clone() })));
    let (status, html) = page(browser.visit(&s.a.issuer, tampered.as_str()).await);
    assert_eq!(status, 401, "{html}");
    assert!(html.contains(r#"id="bank""#), "{html}");

    // The same answer in a browser that did not start this login.
    let (status, html) = page(Browser::new().visit(&s.a.issuer, &back).await);
    assert!(status >= 400 && !html.contains(&state), "{status}: {html}");

    let at_portal = s.portal.back(browser.visit(&s.a.issuer, &back).await);
    assert_eq!(s.portal.id_token(&at_portal).await["amr"], json!(["fed"]));
}

#[tokio::test]
async fn cancelling_at_the_bank_shows_the_picker_and_cancelling_there_is_access_denied() {
    let s = setup(SUBSTANTIAL, citizen_profile()).await;
    let browser = Browser::new();
    let picker = to_picker(&s, &browser, "openid loasubstantial").await;
    let at_bank = pick_bank(&s, &browser, &picker).await;
    let (_, html) = page(browser.visit(&s.b.issuer, &at_bank).await);
    let back = redirect(browser.submit(&s.b.issuer, &html, "login", &[("cancel", "yes")]).await);
    assert_eq!(params_of(&back).get("error").map(String::as_str), Some("access_denied"), "{back}");
    let (status, html) = page(browser.visit(&s.a.issuer, &back).await);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("was cancelled") || html.contains("bylo zrušeno"), "{html}");
    let to = s.portal.back(browser.submit(&s.a.issuer, &html, "bank", &[("cancel", "yes")]).await);
    assert_eq!(params_of(&to).get("error").map(String::as_str), Some("access_denied"), "{to}");
}

/// The whole way in headless Chromium: the portal's request, the bank picked at A, NIA ID at the
/// bank, back at A, and the portal's token.
#[tokio::test]
async fn a_citizen_logs_in_with_their_bank_in_a_real_browser() {
    use crate::browser::{browser_in, driver, relying_party, wait_for};
    use fantoccini::Locator;
    const TEST: &str = "a_citizen_logs_in_with_their_bank_in_a_real_browser";
    let Some(driver) = driver(TEST).await else { return };
    let s = setup(SUBSTANTIAL, citizen_profile()).await;
    let (callback, seen) = relying_party().await;
    let portal = Portal::register_at(&s.a, STATE, &callback).await;
    let url = portal.authorize_url(&[("scope", "openid loasubstantial")]);
    let client = browser_in(&driver, "cs").await;
    client.goto(&url).await.unwrap();
    client.wait().for_element(Locator::Css(r#"a[data-means="bank"]"#)).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("bank-intro")).await.unwrap();
    client.find(Locator::Css(r#"button[name="bank"][value="banka-b"]"#)).await.unwrap().click().await.unwrap();
    // At the bank.
    client.wait().for_element(Locator::Id("nia-id-intro")).await.unwrap();
    assert!(client.current_url().await.unwrap().as_str().starts_with(&s.b.issuer));
    client.find(Locator::Id("username")).await.unwrap().send_keys(BANK_USER).await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(BANK_PASSWORD).await.unwrap();
    client.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("sms")).await.unwrap();
    let messages = s.b.provider.stores.outbox.recent(Some(BANK_PHONE), 1).await.unwrap();
    let code = identita::authn::nia_id::code_in(&messages[0].body).unwrap().to_owned();
    client.find(Locator::Id("code")).await.unwrap().send_keys(&code).await.unwrap();
    client.find(Locator::Id("sms-submit")).await.unwrap().click().await.unwrap();
    wait_for("the portal's callback", || !seen.lock().unwrap().is_empty()).await;
    let query = seen.lock().unwrap()[0].clone();
    let claims = portal.id_token_from_query(&query).await;
    assert_eq!(claims["acr"], SUBSTANTIAL, "{claims}");
    assert_eq!(claims["amr"], json!(["fed"]), "{claims}");
    assert_eq!(claims["sub"], s.citizen.id, "{claims}");
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_bank_that_cannot_be_reached_gets_a_clear_page() {
    let a = TestServer::start_with(|config| {
        config.banks = vec![BankConfig {
            id: "spici-banka".into(),
            name: "Spící banka".into(),
            // Nothing listens on the discard port.
            issuer: "http://127.0.0.1:9".into(),
            client_id: "identita".into(),
            client_secret: Some(Secret::new("s3cret-of-the-bank")),
            client_secret_file: None,
            acr_values: SUBSTANTIAL.into(),
        }];
    })
    .await;
    let (portal, _) = a.add_client(json!({ "redirect_uris": [REDIRECT], "first_party": true })).await;
    let browser = Browser::new();
    let url = format!(
        "{}?response_type=code&client_id={portal}&redirect_uri={REDIRECT}&scope=openid+loasubstantial&state={STATE}",
        a.url("/authorize")
    );
    let (_, html) = page(browser.visit(&a.issuer, &url).await);
    let start = html.find("interaction=").unwrap() + "interaction=".len();
    let interaction: String =
        html[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    let picker = format!("{}?interaction={interaction}&means=bank", a.url("/login"));
    let (_, html) = page(browser.visit(&a.issuer, &picker).await);
    let (status, html) = page(browser.submit(&a.issuer, &html, "bank", &[("bank", "spici-banka")]).await);
    assert_eq!(status, 502, "{html}");
    assert!(html.contains("could not be completed") || html.contains("nepodařilo dokončit"), "{html}");
    assert!(!html.contains("127.0.0.1:9") && !html.contains("s3cret"), "no internals:\n{html}");
    // A bank not configured is not one to pick.
    let (status, html) = page(browser.submit(&a.issuer, &html, "bank", &[("bank", "jina-banka")]).await);
    assert_eq!(status, 400, "{html}");
}
