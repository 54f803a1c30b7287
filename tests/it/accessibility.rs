//! Every person-facing page checked by axe-core in headless Chromium: the landing page (in dev
//! mode, with its citizens, clients and later a message in its outbox), login (with its list of
//! means), login with an error, NIA ID's login, its SMS code page with and without an error,
//! the bank picker, eObčanka's challenge with and without an error, MEG's QR code with and without
//! an error, consent, account selection, logout
//! confirmation, logged out, logout cancelled, an error page with its way back, and a page opened
//! without a pending request — in Czech and in English, at a desktop and at a phone width. A
//! violation of impact `serious` or `critical` fails the test, listed with the page, the rule and
//! the elements.
//!
//! Needs chromedriver (see [`crate::browser`]) and axe-core from npm (`npm ci` in
//! tests/third_party). Without either the test says SKIPPED, and fails under `CI=true`.
//!
//! With `IDENTITA_SCREENSHOTS=<dir>` it also saves a screenshot of every page it audits there,
//! at each width and in each language (`{page}-{language}-{width}.png`; docs/screenshots.sh
//! regenerates docs/screenshots/ this way).

use crate::browser::{Driver, browser_in, driver, relying_party, wait_for};
use crate::common::{self, TestServer};

use std::path::{Path, PathBuf};

use fantoccini::{Client, Locator};
use serde_json::json;

const WIDTHS: [(&str, u32, u32); 2] = [("desktop", 1280, 900), ("phone", 390, 844)];
/// The pages a walk audits in each language.
const PAGES: usize = 19;

/// axe-core's browser bundle, or `None` (skip) when `npm ci` has not been run.
pub(crate) fn axe_source(test: &str) -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/third_party/node_modules/axe-core/axe.min.js");
    if let Ok(source) = std::fs::read_to_string(&path) {
        return Some(source);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: no {} — run `npm ci` in tests/third_party; under CI=true a skip is a failure", path.display());
    }
    eprintln!("SKIPPED {test}: run `npm ci` in tests/third_party (needs Node.js) to get axe-core");
    common::skips::record(test, common::skips::Needs::Node);
    None
}

pub(crate) struct Audit {
    pub(crate) axe: String,
    pub(crate) language: &'static str,
    pub(crate) shots: Option<PathBuf>,
    /// "page (language, width): rule [impact] description — elements", for every finding.
    pub(crate) findings: Vec<String>,
    /// The pages audited, as "page/language/width", so the test can tell that none was left out.
    pub(crate) audited: Vec<String>,
}

impl Audit {
    /// Runs axe on the page the browser shows, at each width; `page` names it in the findings.
    pub(crate) async fn check(&mut self, client: &Client, page: &str) {
        for (width_name, width, height) in WIDTHS {
            client.set_window_size(width, height).await.unwrap();
            client.execute(&format!("{}\nreturn true;", self.axe), vec![]).await.unwrap();
            let script = r#"
                const done = arguments[arguments.length - 1];
                axe.run(document, { resultTypes: ["violations"] })
                    .then((r) => done({
                        lang: document.documentElement.lang,
                        passes: r.passes.length,
                        violations: r.violations.map((v) => ({
                            id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.map((n) => n.target.join(" ")),
                        })),
                    }))
                    .catch((e) => done({ error: String(e) }));
            "#;
            let result = client.execute_async(script, vec![]).await.unwrap();
            if let Some(error) = result.get("error") {
                panic!("axe failed on {page}: {error}");
            }
            // The page is in the language audited, and axe did check it.
            assert_eq!(result["lang"].as_str(), Some(self.language), "{page}: {result}");
            assert!(result["passes"].as_u64().is_some_and(|n| n > 0), "{page}: axe checked nothing: {result}");
            for violation in result["violations"].as_array().unwrap() {
                let impact = violation["impact"].as_str().unwrap_or("");
                let finding = format!(
                    "{page} ({}, {width_name}): {} [{impact}] {} — {}",
                    self.language, violation["id"], violation["help"], violation["nodes"]
                );
                if impact == "serious" || impact == "critical" {
                    self.findings.push(finding);
                } else {
                    // Lesser findings do not fail the test, but are shown with --nocapture.
                    eprintln!("axe (not failing): {finding}");
                }
            }
            self.audited.push(format!("{page}/{}/{width_name}", self.language));
            if let Some(dir) = &self.shots {
                let png = client.screenshot().await.unwrap();
                std::fs::write(dir.join(format!("{page}-{}-{width_name}.png", self.language)), png).unwrap();
            }
        }
        client.set_window_size(WIDTHS[0].1, WIDTHS[0].2).await.unwrap();
    }
}

async fn wait_id(client: &Client, id: &str) {
    client.wait().for_element(Locator::Id(id)).await.unwrap_or_else(|e| panic!("no #{id}: {e}"));
}

async fn click(client: &Client, id: &str) {
    client.find(Locator::Id(id)).await.unwrap().click().await.unwrap();
}

async fn type_into(client: &Client, id: &str, text: &str) {
    client.find(Locator::Id(id)).await.unwrap().send_keys(text).await.unwrap();
}

/// Visits every page in one language, in the order a person meets them.
async fn walk(driver: &Driver, audit: &mut Audit) {
    // In dev mode: the landing page then also lists the citizens, the clients and the outbox.
    // A bank for the bank picker: the page lists it without reaching it.
    let server = TestServer::start_with(|config| {
        config.dev = Some(identita::config::DevMode { citizens: vec![("jana".into(), "tajne-heslo".into())] });
        config.banks = vec![identita::config::BankConfig {
            id: "banka-b".into(),
            name: "Banka B".into(),
            issuer: "http://127.0.0.1:9".into(),
            client_id: "identita".into(),
            client_secret: Some(identita::secret::Secret::new("a-secret-at-the-bank-0123456789")),
            client_secret_file: None,
            acr_values: "http://eidas.europa.eu/LoA/substantial".into(),
        }];
    })
    .await;
    let (callback, seen) = relying_party().await;
    server
        .add_client(json!({
            "client_id": "portal",
            "client_name": "Portál občana",
            "client_uri": "https://portal.example/",
            "redirect_uris": [callback],
        }))
        .await;
    let profile = json!({
        "name": "Jana Dvořáková",
        "email": "jana@example.cz",
        "birthdate": "1985-06-15",
        "phone_number": "+420 601 123 456",
    });
    server.add_user("jana", "tajne-heslo", profile).await;
    let redirect: String = url::form_urlencoded::byte_serialize(callback.as_bytes()).collect();
    let authorize = format!(
        "{}/authorize?client_id=portal&response_type=code&scope=openid%20profile%20email&state=s&nonce=n&redirect_uri={redirect}",
        server.issuer
    );
    let client = browser_in(driver, audit.language).await;

    client.goto(&format!("{}/", server.issuer)).await.unwrap();
    wait_id(&client, "landing").await;
    audit.check(&client, "landing").await;

    client.goto(&authorize).await.unwrap();
    wait_id(&client, "login").await;
    audit.check(&client, "login").await;

    type_into(&client, "username", "jana").await;
    type_into(&client, "password", "spatne-heslo").await;
    click(&client, "login-submit").await;
    wait_id(&client, "login-error").await;
    audit.check(&client, "login-error").await;

    client.find(Locator::Id("username")).await.unwrap().clear().await.unwrap();
    type_into(&client, "username", "jana").await;
    type_into(&client, "password", "tajne-heslo").await;
    click(&client, "login-submit").await;
    wait_id(&client, "consent").await;
    audit.check(&client, "consent").await;
    click(&client, "consent-allow").await;
    wait_for("the callback", || !seen.lock().unwrap().is_empty()).await;

    client.goto(&format!("{authorize}&prompt=select_account")).await.unwrap();
    wait_id(&client, "select-account").await;
    audit.check(&client, "select-account").await;

    client.goto(&format!("{}/logout", server.issuer)).await.unwrap();
    wait_id(&client, "logout").await;
    audit.check(&client, "logout-confirm").await;
    click(&client, "logout-cancel").await;
    wait_id(&client, "logout-kept").await;
    audit.check(&client, "logout-kept").await;

    client.goto(&format!("{}/logout", server.issuer)).await.unwrap();
    wait_id(&client, "logout-confirm").await;
    click(&client, "logout-confirm").await;
    wait_id(&client, "logged-out").await;
    audit.check(&client, "logged-out").await;

    // NIA ID, for a portal that needs substantial: the password, then the code sent by SMS.
    client.goto(&authorize.replace("scope=openid%20profile%20email", "scope=openid%20loasubstantial")).await.unwrap();
    wait_id(&client, "nia-id-intro").await;
    audit.check(&client, "login-nia-id").await;
    type_into(&client, "username", "jana").await;
    type_into(&client, "password", "tajne-heslo").await;
    click(&client, "login-submit").await;
    wait_id(&client, "sms").await;
    audit.check(&client, "sms").await;
    let sent = server.provider.stores.outbox.recent(Some("+420601123456"), 1).await.unwrap();
    let code = identita::authn::nia_id::code_in(&sent[0].body).unwrap().to_owned();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    type_into(&client, "code", wrong).await;
    click(&client, "sms-submit").await;
    wait_id(&client, "sms-error").await;
    audit.check(&client, "sms-error").await;

    // The bank identity, for the same portal: the picker of banks.
    client.goto(&authorize.replace("scope=openid%20profile%20email", "scope=openid%20loasubstantial")).await.unwrap();
    wait_id(&client, "nia-id-intro").await;
    client.find(Locator::Css(r#"a[data-means="bank"]"#)).await.unwrap().click().await.unwrap();
    wait_id(&client, "bank-intro").await;
    audit.check(&client, "login-bank").await;

    // eObčanka, for a portal that needs high: the card's challenge, and Continue before signing.
    client.goto(&authorize.replace("scope=openid%20profile%20email", "scope=openid%20loahigh")).await.unwrap();
    wait_id(&client, "card-intro").await;
    audit.check(&client, "login-eobcanka").await;
    click(&client, "card-continue").await;
    wait_id(&client, "login-error").await;
    audit.check(&client, "login-eobcanka-error").await;

    // MEG, for a portal that needs substantial: the QR code, the same-device link and the push
    // form, and Continue before the app has approved.
    client.goto(&authorize.replace("scope=openid%20profile%20email", "scope=openid%20loasubstantial")).await.unwrap();
    wait_id(&client, "nia-id-intro").await;
    client.find(Locator::Css(r#"a[data-means="meg"]"#)).await.unwrap().click().await.unwrap();
    wait_id(&client, "meg-intro").await;
    audit.check(&client, "login-meg").await;
    click(&client, "meg-continue").await;
    wait_id(&client, "login-error").await;
    audit.check(&client, "login-meg-error").await;

    // Dev mode's landing page, now with a message in the outbox.
    client.goto(&format!("{}/", server.issuer)).await.unwrap();
    wait_id(&client, "landing").await;
    audit.check(&client, "landing-dev-outbox").await;

    let elsewhere: String = url::form_urlencoded::byte_serialize(b"https://elsewhere.example/cb").collect();
    client
        .goto(&format!(
            "{}/authorize?client_id=portal&response_type=code&scope=openid&redirect_uri={elsewhere}",
            server.issuer
        ))
        .await
        .unwrap();
    wait_id(&client, "error-back").await;
    audit.check(&client, "error").await;

    client.goto(&format!("{}/login", server.issuer)).await.unwrap();
    wait_id(&client, "error-code").await;
    audit.check(&client, "no-pending-request").await;

    client.close().await.unwrap();
}

#[tokio::test]
async fn every_page_passes_axe_in_czech_and_english_at_desktop_and_phone_widths() {
    const TEST: &str = "every_page_passes_axe_in_czech_and_english_at_desktop_and_phone_widths";
    let Some(driver) = driver(TEST).await else { return };
    let Some(axe) = axe_source(TEST) else { return };
    let shots = std::env::var_os("IDENTITA_SCREENSHOTS").map(PathBuf::from);
    if let Some(dir) = &shots {
        std::fs::create_dir_all(dir).unwrap();
    }
    let mut findings = Vec::new();
    let mut audited = Vec::new();
    for language in ["cs", "en"] {
        let mut audit =
            Audit { axe: axe.clone(), language, shots: shots.clone(), findings: Vec::new(), audited: Vec::new() };
        walk(&driver, &mut audit).await;
        findings.extend(audit.findings);
        audited.extend(audit.audited);
    }
    assert_eq!(audited.len(), PAGES * 2 * WIDTHS.len(), "every page, language and width: {audited:?}");
    assert!(findings.is_empty(), "axe found serious or critical violations:\n{}", findings.join("\n"));
}
