//! mojeID's validation desk in the back office: a clerk of the validation desk finds an account,
//! records its contacts verified and a visit with an identity document, through the admin API and
//! through the pages (in headless Chromium); the audit log names the clerk in the role
//! `validation_desk`, and a portal then receives `mojeid_valid` true. The desk refuses on a
//! public holiday (the server's injected clock moved to Christmas), saying when it opens.

use crate::browser::{browser_in, driver};
use crate::common;
use crate::mojeid_validation::{USER, portal, portal_sees};

use common::TestServer;
use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "desk password 1";
const PHONE: &str = "+420601555333";

/// The mojeID face, the account `jana` (as `mojeid_validation` makes it), and a desk open all
/// week, so that only the calendar's holidays close it.
async fn start() -> TestServer {
    let server = TestServer::start_with(|config| {
        config.faces = vec![common::face("mojeid", "mojeid", format!("{}/mojeid", config.issuer))];
        let all_day = || vec!["00:00-24:00".to_owned()];
        let desk = &mut config.validation_desk;
        for day in [&mut desk.monday, &mut desk.tuesday, &mut desk.wednesday, &mut desk.thursday, &mut desk.friday] {
            *day = all_day();
        }
        desk.saturday = all_day();
        desk.sunday = all_day();
    })
    .await;
    let profile = json!({
        "given_name": "Jana", "family_name": "Nováková", "birthdate": "1980-05-17",
        "email": "jana@example.cz", "phone_number": "+420731000222",
        "address": {"street_address": "Milešovská 5", "locality": "Praha 3", "postal_code": "130 00", "country": "CZ"},
    });
    server.add_user(USER, "heslo-789", profile).await;
    server
}

#[track_caller]
fn ok(server: &TestServer, args: &[&str]) -> Value {
    let output = common::cli_beside(server, args, &[]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "identita {args:?}: {stdout} {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(&stdout).unwrap()
}

/// The desk clerk `okenko`, made by the operator.
fn desk_clerk(server: &TestServer) {
    let file = server.dir.join("okenko.password");
    std::fs::write(&file, format!("{PASSWORD}\n")).unwrap();
    let args = ["clerk", "add", "okenko", "--name", "Eva Okénková", "--phone", PHONE, "--role", "validation_desk"];
    ok(server, &[&args[..], &["--password-file", file.to_str().unwrap()]].concat());
}

fn api(server: &TestServer, path: &str) -> String {
    server.url(&format!("/api/admin/v1{path}"))
}

async fn newest_code(server: &TestServer) -> String {
    let sms = server.provider.stores.outbox.recent(Some(PHONE), 1).await.unwrap();
    identita::authn::nia_id::code_in(&sms[0].body).unwrap().to_owned()
}

/// Logs in to the API's session: the client and the CSRF token.
async fn log_in(server: &TestServer) -> (reqwest::Client, String) {
    let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let password = json!({ "login": "okenko", "password": PASSWORD });
    assert_eq!(http.post(api(server, "/login")).json(&password).send().await.unwrap().status(), StatusCode::OK);
    let code = json!({ "code": newest_code(server).await });
    let signed: Value = http.post(api(server, "/login/code")).json(&code).send().await.unwrap().json().await.unwrap();
    (http, signed["csrf_token"].as_str().unwrap().to_owned())
}

/// The next 25 December, 10:00 in Prague (09:00 UTC), after the server's `now`.
fn next_christmas(now: i64) -> i64 {
    use chrono::Datelike;
    let today = chrono::DateTime::from_timestamp(now, 0).unwrap();
    let christmas = |year| chrono::NaiveDate::from_ymd_opt(year, 12, 25).unwrap().and_hms_opt(9, 0, 0).unwrap();
    let this_year = christmas(today.year()).and_utc().timestamp();
    if this_year > now { this_year } else { christmas(today.year() + 1).and_utc().timestamp() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_clerk_validates_an_account_through_the_api_and_the_portal_sees_it() {
    let server = start().await;
    let portal = portal(&server).await;
    desk_clerk(&server);
    let (http, csrf) = log_in(&server).await;
    let post = |path: &str, body: Value| http.post(api(&server, path)).header("x-csrf-token", &csrf).json(&body);

    let found: Value =
        http.get(api(&server, "/mojeid/accounts?q=NOVÁKOVÁ")).send().await.unwrap().json().await.unwrap();
    assert_eq!(found["accounts"][0]["username"], USER, "{found}");
    let by_mail: Value =
        http.get(api(&server, "/mojeid/accounts?q=jana@example")).send().await.unwrap().json().await.unwrap();
    assert_eq!(by_mail["accounts"].as_array().unwrap().len(), 1, "{by_mail}");
    let missing = http.get(api(&server, "/mojeid/accounts/nikdo")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let visit = json!({
        "path": "office", "document": "ID", "document_number": "123456789", "document_valid_until": "2031-01-01",
    });
    let early = post("/mojeid/accounts/jana/validations", visit.clone()).send().await.unwrap();
    assert_eq!(early.status(), StatusCode::CONFLICT);
    assert_eq!(early.json::<Value>().await.unwrap()["error"], "not_conditionally_identified");
    let verified = post("/mojeid/accounts/jana/contacts-verified", json!({})).send().await.unwrap();
    assert_eq!(verified.status(), StatusCode::OK);
    let verified: Value = verified.json().await.unwrap();
    assert_eq!(verified["status"], "CONDITIONALLY_IDENTIFIED");
    assert_eq!(verified["contacts_verified"], json!({ "email": true, "phone_number": true }));

    let mut incomplete = visit.clone();
    incomplete.as_object_mut().unwrap().remove("document_number");
    let bad = post("/mojeid/accounts/jana/validations", incomplete).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json::<Value>().await.unwrap()["field"], "document_number");
    let mut expired = visit.clone();
    expired["document_valid_until"] = json!("2001-02-30");
    let bad = post("/mojeid/accounts/jana/validations", expired).send().await.unwrap();
    assert_eq!(bad.json::<Value>().await.unwrap()["field"], "document_valid_until");
    let theirs = post("/mojeid/accounts/jana/validations", json!({ "path": "databox_button" })).send().await.unwrap();
    assert_eq!(theirs.json::<Value>().await.unwrap()["field"], "path");

    let done = post("/mojeid/accounts/jana/validations", visit).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::CREATED);
    let done: Value = done.json().await.unwrap();
    assert_eq!((done["status"].as_str(), done["valid"].as_bool()), (Some("VALIDATED"), Some(true)));
    assert_eq!(done["validation"]["path"], "office");
    assert_eq!(done["validation"]["by"], "clerk:okenko");
    assert_eq!(done["validation"]["lapsed"], false);

    let log = ok(&server, &["audit", "list", "--subject", done["user_id"].as_str().unwrap()]);
    let validate = log.as_array().unwrap().iter().find(|e| e["action"] == "mojeid.validate").unwrap();
    assert_eq!(
        (validate["actor"].as_str(), validate["role"].as_str()),
        (Some("clerk:okenko"), Some("validation_desk"))
    );
    assert_eq!(validate["origin"], "127.0.0.1");
    assert_eq!(portal_sees(&server, &portal).await, ("VALIDATED".into(), true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_refuses_on_a_public_holiday_and_says_when_it_opens() {
    let server = start().await;
    ok(&server, &["mojeid", "account", USER, "--verify-contacts"]);
    desk_clerk(&server);
    // Christmas Day: the desk is open all week by its hours, but not on a public holiday.
    let now = server.provider.now();
    server.clock.advance(next_christmas(now) - now);
    let (http, csrf) = log_in(&server).await;
    let visit = json!({
        "path": "notarised_signature", "verified_by": "JUDr. Petr Notář", "reference": "V 1234/2026",
    });
    let refused = http
        .post(api(&server, "/mojeid/accounts/jana/validations"))
        .header("x-csrf-token", &csrf)
        .json(&visit)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"], "desk_closed", "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(message.contains("-12-25 10:00 (Europe/Prague)") && message.contains("1. svátek vánoční"), "{message}");
    assert!(message.contains("opens next on") && message.contains("-12-27 00:00"), "{message}");
    let account: Value = http.get(api(&server, "/mojeid/accounts/jana")).send().await.unwrap().json().await.unwrap();
    assert_eq!(account["status"], "CONDITIONALLY_IDENTIFIED", "nothing was validated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_clerk_validates_an_account_in_a_real_browser() {
    let Some(driver) = driver("a_desk_clerk_validates_an_account_in_a_real_browser").await else { return };
    let server = start().await;
    let portal = portal(&server).await;
    desk_clerk(&server);
    let client = browser_in(&driver, "cs").await;
    client.goto(&server.url("/backoffice")).await.unwrap();
    client.wait().for_element(Locator::Css("form#bo-login")).await.unwrap();
    client.find(Locator::Id("login")).await.unwrap().send_keys("okenko").await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    client.find(Locator::Id("bo-login-submit")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Css("form#bo-code")).await.unwrap();
    let code = newest_code(&server).await;
    client.find(Locator::Id("code")).await.unwrap().send_keys(&code).await.unwrap();
    client.find(Locator::Id("bo-code-submit")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("bo-link-mojeid")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("q")).await.unwrap().send_keys("Nováková").await.unwrap();
    client.find(Locator::Id("bo-mojeid-search-submit")).await.unwrap().click().await.unwrap();
    let list = client.wait().for_element(Locator::Id("bo-mojeid-accounts")).await.unwrap();
    list.find(Locator::LinkText("Jana Nováková")).await.unwrap().click().await.unwrap();
    let status = client.wait().for_element(Locator::Id("bo-mojeid-status")).await.unwrap();
    assert_eq!(status.text().await.unwrap(), "REGISTERED");

    // A visit before the contacts are verified: refused, and the page says why.
    client.find(Locator::Id("office-number")).await.unwrap().send_keys("123456789").await.unwrap();
    set_date(&client, "office-until", "2031-01-01").await;
    client.find(Locator::Id("bo-mojeid-office-submit")).await.unwrap().click().await.unwrap();
    let error = client.wait().for_element(Locator::Id("bo-error")).await.unwrap().text().await.unwrap();
    assert!(error.contains("CONDITIONALLY_IDENTIFIED"), "{error}");

    client.find(Locator::Id("bo-mojeid-verify-contacts")).await.unwrap().click().await.unwrap();
    let notice = client.wait().for_element(Locator::Id("bo-status")).await.unwrap().text().await.unwrap();
    assert!(notice.contains("ověřené"), "{notice}");
    client.find(Locator::Id("office-number")).await.unwrap().send_keys("123456789").await.unwrap();
    set_date(&client, "office-until", "2031-01-01").await;
    client.find(Locator::Id("bo-mojeid-office-submit")).await.unwrap().click().await.unwrap();
    let notice = client.wait().for_element(Locator::Id("bo-status")).await.unwrap().text().await.unwrap();
    assert!(notice.contains("validován"), "{notice}");
    let status = client.find(Locator::Id("bo-mojeid-status")).await.unwrap().text().await.unwrap();
    assert_eq!(status, "VALIDATED");
    let validation = client.find(Locator::Id("bo-mojeid-validation")).await.unwrap().text().await.unwrap();
    assert!(validation.contains("clerk:okenko") && validation.contains("office"), "{validation}");
    client.close().await.unwrap();

    let user = server.provider.stores.users.find_by_username(USER).await.unwrap().unwrap();
    let log = ok(&server, &["audit", "list", "--subject", &user.id]);
    let validate = log.as_array().unwrap().iter().find(|e| e["action"] == "mojeid.validate").unwrap();
    assert_eq!(
        (validate["actor"].as_str(), validate["role"].as_str()),
        (Some("clerk:okenko"), Some("validation_desk"))
    );
    assert_eq!(portal_sees(&server, &portal).await, ("VALIDATED".into(), true));
    drop(server);
}

/// Sets a date input's value (typing into one depends on the browser's locale).
async fn set_date(client: &fantoccini::Client, id: &str, value: &str) {
    let script = "document.getElementById(arguments[0]).value = arguments[1];";
    client.execute(script, vec![json!(id), json!(value)]).await.unwrap();
}
