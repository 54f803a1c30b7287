//! The back office's pages: a clerk logs in (password, then the code read from the outbox), sees
//! what the roles allow, records a Czech POINT request through the form; a form without its
//! CSRF token is refused; a clerk without the role gets no audit log. And the same login and
//! request in a real browser (headless Chromium).

use crate::browser::{browser_in, driver};
use crate::common;

use common::TestServer;
use fantoccini::Locator;
use reqwest::StatusCode;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/registry.jsonl");
const PASSWORD: &str = "clerk password 1";
const PHONE: &str = "+420601555222";

#[track_caller]
fn ok(server: &TestServer, args: &[&str]) {
    let output = common::cli_beside(server, args, &[]);
    assert!(output.status.success(), "identita {args:?}: {}", String::from_utf8_lossy(&output.stdout));
}

fn setup_clerk(server: &TestServer, roles: &[&str]) {
    ok(server, &["registry", "import", FIXTURE]);
    let file = server.dir.join("clerk.password");
    std::fs::write(&file, PASSWORD).unwrap();
    let mut args = vec!["clerk", "add", "pokladna", "--name", "Petr Úředník", "--phone", PHONE];
    for role in roles {
        args.extend(["--role", role]);
    }
    args.extend(["--password-file", file.to_str().unwrap()]);
    ok(server, &args);
}

async fn newest_code(server: &TestServer) -> String {
    let sms = server.provider.stores.outbox.recent(Some(PHONE), 1).await.unwrap();
    identita::authn::nia_id::code_in(&sms[0].body).unwrap().to_owned()
}

fn csrf_of(html: &str, form: &str) -> String {
    let fields = common::hidden_fields(html, form);
    fields.into_iter().find(|(name, _)| name == "csrf").map(|(_, value)| value).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_logs_in_through_the_pages_and_records_a_czech_point_request() {
    let server = TestServer::start().await;
    setup_clerk(&server, &["czech_point"]);
    let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login = http.get(server.url("/backoffice")).header("accept-language", "cs").send().await.unwrap();
    let html = login.text().await.unwrap();
    assert!(html.contains("Přihlášení úředníka"), "{html}");
    let csrf = csrf_of(&html, "bo-login");
    let forged = http
        .post(server.url("/backoffice/login"))
        .form(&[("csrf", "forged"), ("login", "pokladna"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let login = http.get(server.url("/backoffice")).send().await.unwrap().text().await.unwrap();
    let csrf_fresh = csrf_of(&login, "bo-login");
    assert_ne!(csrf, csrf_fresh);
    let code_page = http
        .post(server.url("/backoffice/login"))
        .form(&[("csrf", csrf_fresh.as_str()), ("login", "pokladna"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(code_page.status(), StatusCode::OK);
    let html = code_page.text().await.unwrap();
    let code = newest_code(&server).await;
    let home = http
        .post(server.url("/backoffice/code"))
        .form(&[("csrf", csrf_of(&html, "bo-code").as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    let html = home.text().await.unwrap();
    assert!(html.contains("id=\"bo-link-czech-point\"") && !html.contains("bo-link-audit"), "{html}");
    let csrf = csrf_of(&html, "logout");

    let form = http.get(server.url("/backoffice/czech-point")).send().await.unwrap().text().await.unwrap();
    assert!(form.contains("value=\"17651921\""), "{form}");
    let fields = [
        ("csrf", csrf.as_str()),
        ("document_number", "204518736"),
        ("recipient_ico", "17651921"),
        ("consent", "one_time"),
        ("scope", "všechny"),
        ("message", "QW12ER34TY"),
    ];
    let done = http.post(server.url("/backoffice/czech-point")).form(&fields).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done.text().await.unwrap().contains("Jan Novák"));
    let mut no_token = fields;
    no_token[0] = ("csrf", "");
    let refused = http.post(server.url("/backoffice/czech-point")).form(&no_token).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let found = http.get(server.url("/backoffice/persons?q=850314/1251")).send().await.unwrap();
    assert!(found.text().await.unwrap().contains("/backoffice/persons/jan-novak"));
    let audit = http.get(server.url("/backoffice/audit")).send().await.unwrap();
    assert_eq!(audit.status(), StatusCode::FORBIDDEN, "the audit log is for administrators");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_logs_in_and_records_a_request_in_a_real_browser() {
    let Some(driver) = driver("a_clerk_logs_in_and_records_a_request_in_a_real_browser").await else { return };
    let server = TestServer::start().await;
    setup_clerk(&server, &["czech_point", "administrator"]);
    let client = browser_in(&driver, "en").await;
    client.goto(&server.url("/backoffice")).await.unwrap();
    client.wait().for_element(Locator::Css("form#bo-login")).await.unwrap();
    client.find(Locator::Id("login")).await.unwrap().send_keys("pokladna").await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    client.find(Locator::Id("bo-login-submit")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Css("form#bo-code")).await.unwrap();
    let code = newest_code(&server).await;
    client.find(Locator::Id("code")).await.unwrap().send_keys(&code).await.unwrap();
    client.find(Locator::Id("bo-code-submit")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("bo-link-czech-point")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Css("form#bo-czech-point")).await.unwrap();
    client.find(Locator::Id("document_number")).await.unwrap().send_keys("204518736").await.unwrap();
    client.find(Locator::Id("message")).await.unwrap().send_keys("ZX98CV76BN").await.unwrap();
    client.find(Locator::Id("bo-czech-point-submit")).await.unwrap().click().await.unwrap();
    let done = client.wait().for_element(Locator::Id("bo-cp-done")).await.unwrap();
    assert!(done.text().await.unwrap().contains("Jan Novák"));
    client.goto(&server.url("/backoffice/audit")).await.unwrap();
    let table = client.wait().for_element(Locator::Id("bo-audit")).await.unwrap().text().await.unwrap();
    assert!(table.contains("czech_point.request") && table.contains("clerk:pokladna"), "{table}");
    client.close().await.unwrap();
    drop(server);
}
