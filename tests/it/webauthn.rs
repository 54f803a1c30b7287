//! mojeID + WebAuthn: a citizen registers a security key on their account page after a password
//! login, then signs in to a portal with username, password and the key — in headless Chromium
//! with WebDriver's virtual authenticator (chromedriver's WebAuthn commands), so the ceremonies
//! are real ones checked by webauthn-rs. A key gives substantial (`pwd hwk mfa`); a key whose
//! model is allow-listed and that verified its user gives high (`pwd hwk pin mfa`); a request for
//! high with a key that does not reach it is refused on the page, never downgraded. Over plain
//! HTTP: an account without a key, the account page without a session, its CSRF check, an
//! answer from a key of no one, and the per-account limit on key attempts.

use crate::browser::{browser_in, driver, relying_party, wait_for};
use crate::common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Browser, Landing, TestServer, params_of};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

const USER: &str = "jana";
const PASSWORD: &str = "heslo-jany-1";
const SUBSTANTIAL: &str = "http://eidas.europa.eu/LoA/substantial";
const HIGH: &str = "http://eidas.europa.eu/LoA/high";
/// The AAGUID Chromium's virtual CTAP2 authenticator states in its (packed) attestation.
pub(crate) const CHROMIUM_VIRTUAL_AAGUID: &str = "01020304-0506-0708-0102-030405060708";

/// A WebDriver command chromedriver knows and fantoccini has no method for (the WebAuthn
/// extension: `/session/{id}/webauthn/...`).
#[derive(Debug)]
struct Raw {
    method: axum::http::Method,
    path: String,
    body: Option<Value>,
}

impl WebDriverCompatibleCommand for Raw {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/{}", session.unwrap_or_default(), self.path))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (self.method.clone(), self.body.as_ref().map(Value::to_string))
    }
}

/// Adds a virtual security key (USB, CTAP2) to the browser, with a PIN that it verifies or
/// without any user verification; its id.
pub(crate) async fn add_authenticator(client: &Client, user_verification: bool) -> String {
    let options = json!({
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": false,
        "hasUserVerification": user_verification, "isUserConsenting": true, "isUserVerified": user_verification,
    });
    let answer = client
        .issue_cmd(Raw { method: axum::http::Method::POST, path: "webauthn/authenticator".into(), body: Some(options) })
        .await
        .expect("chromedriver adds a virtual authenticator");
    answer.as_str().expect("an authenticator id").to_owned()
}

async fn remove_authenticator(client: &Client, id: &str) {
    client
        .issue_cmd(Raw { method: axum::http::Method::DELETE, path: format!("webauthn/authenticator/{id}"), body: None })
        .await
        .expect("chromedriver removes the virtual authenticator");
}

/// A server on `localhost` (a browser refuses WebAuthn on an IP address) with jana and a
/// first-party portal whose callback records what arrives.
struct Setup {
    server: TestServer,
    issuer: String,
    portal: String,
    secret: Option<String>,
    callback: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

async fn setup(certified: &[&str]) -> Setup {
    let certified: Vec<String> = certified.iter().map(|s| s.to_string()).collect();
    let server = TestServer::start_with(|config| {
        config.issuer = config.issuer.replace("127.0.0.1", "localhost");
        config.webauthn.certified_aaguids = certified;
    })
    .await;
    let issuer = server.provider.issuer().to_owned();
    let (callback, seen) = relying_party().await;
    let (portal, secret) = server
        .add_client(json!({ "client_name": "Portál občana", "redirect_uris": [callback], "first_party": true }))
        .await;
    server.add_user(USER, PASSWORD, json!({ "name": "Jana Nováková" })).await;
    Setup { server, issuer, portal, secret, callback, seen }
}

impl Setup {
    fn authorize_url(&self, extra: &[(&str, &str)]) -> String {
        let mut url = url::Url::parse(&format!("{}/authorize", self.issuer)).unwrap();
        url.query_pairs_mut().extend_pairs([
            ("response_type", "code"),
            ("client_id", self.portal.as_str()),
            ("redirect_uri", self.callback.as_str()),
            ("state", "st-key"),
        ]);
        url.query_pairs_mut().extend_pairs(extra);
        url.to_string()
    }

    /// Waits for the portal's callback and exchanges its code: the ID token's claims.
    async fn claims(&self) -> Value {
        wait_for("the portal's callback", || !self.seen.lock().unwrap().is_empty()).await;
        let query = self.seen.lock().unwrap().remove(0);
        let code = params_of(&format!("{}?{query}", self.callback))
            .get("code")
            .cloned()
            .unwrap_or_else(|| panic!("no code: {query}"));
        let response = reqwest::Client::new()
            .post(self.server.url("/token"))
            .basic_auth(&self.portal, self.secret.as_deref())
            .form(&[("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", &self.callback)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let tokens: Value = response.json().await.unwrap();
        let payload = tokens["id_token"].as_str().unwrap().split('.').nth(1).unwrap().to_owned();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
    }

    /// Signs in with the password (a low session), then registers the browser's key on the
    /// account page; the AAGUID the page lists for it.
    async fn register_key(&self, client: &Client) -> Option<String> {
        client.goto(&self.authorize_url(&[("scope", "openid")])).await.unwrap();
        client.wait().for_element(Locator::Id("username")).await.unwrap().send_keys(USER).await.unwrap();
        client.find(Locator::Id("password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
        client.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
        let claims = self.claims().await;
        assert_eq!(claims["amr"], json!(["pwd"]));
        client.goto(&format!("{}/account/keys", self.issuer)).await.unwrap();
        client.wait().for_element(Locator::Id("keys-none")).await.unwrap();
        client.find(Locator::Id("key-name")).await.unwrap().send_keys("Klíč v peněžence").await.unwrap();
        client.find(Locator::Id("key-add-start")).await.unwrap().click().await.unwrap();
        let Ok(status) = client.wait().for_element(Locator::Id("keys-status")).await else {
            panic!("the key was not registered:\n{}", client.source().await.unwrap());
        };
        assert_eq!(status.text().await.unwrap(), "The key is registered.");
        let key = client.find(Locator::Css("ul#keys li[data-credential]")).await.unwrap();
        assert!(key.text().await.unwrap().contains("Klíč v peněžence"));
        key.attr("data-aaguid").await.unwrap()
    }

    /// From a portal's request with `extra`, chooses mojeID, types the password and reaches
    /// the key page.
    async fn to_key_page(&self, client: &Client, extra: &[(&str, &str)]) {
        let mut params = vec![("prompt", "login")];
        params.extend_from_slice(extra);
        client.goto(&self.authorize_url(&params)).await.unwrap();
        client.wait().for_element(Locator::Css("a[data-means=mojeid]")).await.unwrap().click().await.unwrap();
        client.wait().for_element(Locator::Css("input[name=means][value=mojeid]")).await.unwrap();
        client.find(Locator::Id("username")).await.unwrap().send_keys(USER).await.unwrap();
        client.find(Locator::Id("password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
        client.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
        client.wait().for_element(Locator::Id("key-explain")).await.unwrap();
    }
}

#[tokio::test]
async fn a_registered_key_signs_in_at_substantial_and_a_high_request_is_refused_clearly() {
    const TEST: &str = "a_registered_key_signs_in_at_substantial_and_a_high_request_is_refused_clearly";
    let Some(driver) = driver(TEST).await else { return };
    let setup = setup(&[]).await;
    let client = browser_in(&driver, "en").await;
    add_authenticator(&client, true).await;
    let aaguid = setup.register_key(&client).await;
    eprintln!("the virtual authenticator's AAGUID: {aaguid:?}");
    assert_eq!(aaguid.as_deref(), Some(CHROMIUM_VIRTUAL_AAGUID), "the attestation states the model");

    setup.to_key_page(&client, &[("scope", "openid loasubstantial")]).await;
    client.find(Locator::Id("key-start")).await.unwrap().click().await.unwrap();
    let claims = setup.claims().await;
    assert_eq!(claims["acr"], SUBSTANTIAL, "{claims}");
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]), "{claims}");

    // A portal that needs high: mojeID is offered (a key may reach it), but this key's model is
    // not certified, so the login is refused on the page and the portal gets no code.
    setup
        .to_key_page(
            &client,
            &[
                ("scope", "openid"),
                ("acr_values", HIGH),
                ("claims", r#"{"id_token":{"acr":{"essential":true,"value":"http://eidas.europa.eu/LoA/high"}}}"#),
            ],
        )
        .await;
    client.find(Locator::Id("key-start")).await.unwrap().click().await.unwrap();
    let error = client.wait().for_element(Locator::Id("key-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("requires the level high"), "{}", error.text().await.unwrap());
    assert!(client.find(Locator::Id("key-other-means")).await.is_ok());
    assert!(setup.seen.lock().unwrap().is_empty(), "no code for the portal");

    // The citizen removes the key on the account page (signed in at substantial above).
    client.goto(&format!("{}/account/keys", setup.issuer)).await.unwrap();
    client
        .wait()
        .for_element(Locator::Css("form.key-remove button[value=remove]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let status = client.wait().for_element(Locator::Id("keys-status")).await.unwrap();
    assert_eq!(status.text().await.unwrap(), "The key is removed.");
    assert!(client.find(Locator::Id("keys-none")).await.is_ok());
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_certified_key_that_verifies_its_user_signs_in_at_high() {
    const TEST: &str = "a_certified_key_that_verifies_its_user_signs_in_at_high";
    let Some(driver) = driver(TEST).await else { return };
    let setup = setup(&[CHROMIUM_VIRTUAL_AAGUID]).await;
    let client = browser_in(&driver, "en").await;
    add_authenticator(&client, true).await;
    setup.register_key(&client).await;
    setup.to_key_page(&client, &[("scope", "openid"), ("acr_values", HIGH)]).await;
    client.find(Locator::Id("key-start")).await.unwrap().click().await.unwrap();
    let claims = setup.claims().await;
    assert_eq!(claims["acr"], HIGH, "{claims}");
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "pin", "mfa"]), "{claims}");
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_certified_key_without_user_verification_gives_substantial_only() {
    const TEST: &str = "a_certified_key_without_user_verification_gives_substantial_only";
    let Some(driver) = driver(TEST).await else { return };
    let setup = setup(&[CHROMIUM_VIRTUAL_AAGUID]).await;
    let client = browser_in(&driver, "en").await;
    add_authenticator(&client, false).await;
    setup.register_key(&client).await;
    setup.to_key_page(&client, &[("scope", "openid loasubstantial")]).await;
    client.find(Locator::Id("key-start")).await.unwrap().click().await.unwrap();
    let claims = setup.claims().await;
    assert_eq!(claims["acr"], SUBSTANTIAL, "{claims}");
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]), "{claims}");
    client.close().await.unwrap();
}

#[tokio::test]
async fn an_unknown_authenticator_is_refused() {
    const TEST: &str = "an_unknown_authenticator_is_refused";
    let Some(driver) = driver(TEST).await else { return };
    let setup = setup(&[]).await;
    let client = browser_in(&driver, "en").await;
    let registered = add_authenticator(&client, true).await;
    setup.register_key(&client).await;
    // The key is gone; another one, on which nothing is registered, is there instead.
    remove_authenticator(&client, &registered).await;
    add_authenticator(&client, true).await;
    setup.to_key_page(&client, &[("scope", "openid loasubstantial")]).await;
    client.find(Locator::Id("key-start")).await.unwrap().click().await.unwrap();
    let error = client.wait().for_element(Locator::Id("key-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("No key answered"), "{}", error.text().await.unwrap());
    assert!(setup.seen.lock().unwrap().is_empty(), "no code for the portal");

    // An answer naming a credential registered to no one, posted from this browser's login:
    // refused as a key of no account of hers.
    let interaction = field(&client, "interaction").await;
    let csrf = field(&client, "csrf").await;
    let cookies = client.get_all_cookies().await.unwrap();
    let cookie_header: Vec<String> = cookies.iter().map(|c| format!("{}={}", c.name(), c.value())).collect();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let post = |credential: String| {
        http.post(format!("{}/login/key", setup.issuer))
            .header("cookie", cookie_header.join("; "))
            .header("accept-language", "en")
            .form(&[
                ("interaction", interaction.as_str()),
                ("csrf", csrf.as_str()),
                ("action", "verify"),
                ("credential", &credential),
            ])
            .send()
    };
    let response = post(foreign_answer()).await.unwrap();
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("not registered to your account"));

    // Attempts per account are limited, counted before the check: the 11th in the window waits.
    for _ in 0..9 {
        assert_eq!(post(foreign_answer()).await.unwrap().status(), 403);
    }
    let response = post(foreign_answer()).await.unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert!(response.text().await.unwrap().contains("Too many attempts with a security key"));
    client.close().await.unwrap();
}

/// The value of the key form's hidden field `name`.
async fn field(client: &Client, name: &str) -> String {
    let css = format!("form#key input[name={name}]");
    client.find(Locator::Css(&css)).await.unwrap().attr("value").await.unwrap().unwrap()
}

/// An assertion in the browser's JSON shape from a credential no account has.
fn foreign_answer() -> String {
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    json!({
        "id": b64(b"a key of no one"), "rawId": b64(b"a key of no one"), "type": "public-key", "extensions": {},
        "response": {
            "authenticatorData": b64(&[0u8; 37]), "clientDataJSON": b64(b"{}"), "signature": b64(&[1u8; 64]),
            "userHandle": null,
        },
    })
    .to_string()
}

#[tokio::test]
async fn the_key_pages_pass_axe_in_czech_and_english() {
    use crate::accessibility::{Audit, axe_source};
    const TEST: &str = "the_key_pages_pass_axe_in_czech_and_english";
    let Some(driver) = driver(TEST).await else { return };
    let Some(axe) = axe_source(TEST) else { return };
    let mut findings = Vec::new();
    let mut audited = Vec::new();
    for language in ["cs", "en"] {
        let shots = std::env::var_os("IDENTITA_SCREENSHOTS").map(std::path::PathBuf::from);
        let mut audit = Audit { axe: axe.clone(), language, shots, findings: Vec::new(), audited: Vec::new() };
        let setup = setup(&[]).await;
        let client = browser_in(&driver, language).await;
        add_authenticator(&client, true).await;
        client.goto(&setup.authorize_url(&[("scope", "openid")])).await.unwrap();
        client.wait().for_element(Locator::Id("username")).await.unwrap().send_keys(USER).await.unwrap();
        client.find(Locator::Id("password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
        client.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
        setup.claims().await;
        client.goto(&format!("{}/account/keys", setup.issuer)).await.unwrap();
        client.wait().for_element(Locator::Id("keys-none")).await.unwrap();
        audit.check(&client, "account-keys").await;
        client.find(Locator::Id("key-add-start")).await.unwrap().click().await.unwrap();
        client.wait().for_element(Locator::Id("keys-status")).await.unwrap();
        audit.check(&client, "account-keys-one").await;
        setup.to_key_page(&client, &[("scope", "openid loasubstantial")]).await;
        audit.check(&client, "login-key").await;
        client.close().await.unwrap();
        findings.extend(audit.findings);
        audited.extend(audit.audited);
    }
    assert_eq!(audited.len(), 3 * 2 * 2, "every page, language and width: {audited:?}");
    assert!(findings.is_empty(), "axe found serious or critical violations:\n{}", findings.join("\n"));
}

// ---- Over plain HTTP: what needs no browser. ----

/// A server whose issuer is `http://localhost:…` (WebAuthn needs a host name), reached at
/// 127.0.0.1 by the tests' HTTP client: `server.issuer` stays the address.
async fn on_localhost() -> TestServer {
    TestServer::start_with(|config| config.issuer = config.issuer.replace("127.0.0.1", "localhost")).await
}

#[tokio::test]
async fn on_an_ip_address_issuer_mojeid_is_not_offered() {
    let server = TestServer::start().await;
    server.add_user(USER, PASSWORD, json!({ "name": "Jana Nováková" })).await;
    let (id, _) = server.add_client(json!({ "redirect_uris": ["http://127.0.0.1:9/cb"], "first_party": true })).await;
    let url = format!(
        "{}?response_type=code&client_id={id}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid%20loasubstantial",
        server.url("/authorize")
    );
    let (status, html) = page(Browser::new().visit(&server.issuer, &url).await);
    assert_eq!(status, 200);
    assert!(html.contains(r#"data-means="nia-id""#), "{html}");
    assert!(!html.contains(r#"data-means="mojeid""#), "a browser refuses WebAuthn on an IP address:\n{html}");

    // Nor can keys be registered there: the page says why, with no server error.
    let browser = Browser::new();
    browser.authorize(&server.issuer, &url.replace("%20loasubstantial", ""), USER, PASSWORD).await;
    let (status, html) = page(browser.visit(&server.issuer, &server.url("/account/keys")).await);
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("refuses WebAuthn on an IP address"), "{html}");
}

fn page(landing: Landing) -> (u16, String) {
    match landing {
        Landing::Page(status, html) => (status, html),
        Landing::Redirect(to) => panic!("expected a page, got a redirect to {to}"),
    }
}

#[tokio::test]
async fn a_citizen_without_a_key_is_told_and_led_back_to_the_means() {
    let server = on_localhost().await;
    server.add_user(USER, PASSWORD, json!({ "name": "Jana Nováková" })).await;
    let (id, _) = server.add_client(json!({ "redirect_uris": ["http://127.0.0.1:9/cb"], "first_party": true })).await;
    let browser = Browser::new();
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", id.as_str()),
        ("redirect_uri", "http://127.0.0.1:9/cb"),
        ("scope", "openid loasubstantial"),
        ("ui_locales", "en"),
    ]);
    let (status, html) = page(browser.visit(&server.issuer, url.as_str()).await);
    assert_eq!(status, 200);
    assert!(html.contains(r#"data-means="mojeid""#), "mojeID is offered for substantial:\n{html}");
    let start = html.find(r#"data-means="mojeid" href=""#).unwrap() + r#"data-means="mojeid" href=""#.len();
    let href = html[start..].split('"').next().unwrap().replace("&amp;", "&").replace("&#38;", "&");
    let (_, html) = page(browser.visit(&server.issuer, &format!("{}{href}", server.issuer)).await);
    assert!(html.contains(r#"name="means" value="mojeid""#), "{html}");
    assert!(html.contains(r#"id="mojeid-intro""#), "says that a key comes next:\n{html}");
    let landing = browser.submit(&server.issuer, &html, "login", &[("username", USER), ("password", PASSWORD)]).await;
    let (status, html) = page(landing);
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("No security key is registered to your account"), "{html}");
    assert!(html.contains(r#"id="key-other-means""#), "{html}");
    assert!(!html.contains(r#"id="key-start""#), "nothing to ask a key for:\n{html}");
}

#[tokio::test]
async fn the_keys_page_needs_a_session_and_its_forms_their_csrf_token() {
    let server = on_localhost().await;
    server.add_user(USER, PASSWORD, json!({ "name": "Jana Nováková" })).await;
    let (id, _) = server.add_client(json!({ "redirect_uris": ["http://127.0.0.1:9/cb"], "first_party": true })).await;
    let browser = Browser::new();
    let (status, html) = page(browser.visit(&server.issuer, &server.url("/account/keys")).await);
    assert_eq!(status, 401);
    assert!(html.contains(r#"id="keys-signed-out""#), "{html}");
    assert!(!html.contains(r#"id="key-add""#));

    let url = format!(
        "{}?response_type=code&client_id={id}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid",
        server.url("/authorize")
    );
    browser.authorize(&server.issuer, &url, USER, PASSWORD).await;
    let (status, html) = page(browser.visit(&server.issuer, &server.url("/account/keys")).await);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"id="keys-none""#), "{html}");
    assert!(html.contains(r#"<noscript>"#), "says that registering needs JavaScript:\n{html}");
    assert!(html.contains(r#"<label for="key-name">"#), "{html}");

    let csrf = common::hidden_fields(&html, "key-add").into_iter().find(|(k, _)| k == "csrf").unwrap().1;
    let forged = browser.submit(&server.issuer, &html.replace(&csrf, "forged"), "key-add", &[]).await;
    let (status, html) = page(forged);
    assert_eq!(status, 400, "{html}");
    assert!(html.contains(r#"id="keys-error""#), "{html}");
    assert!(server.provider.stores.security_keys.of_user("nobody").await.unwrap().is_empty());
}
