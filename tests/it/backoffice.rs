//! The back office's admin API as a clerk and a script meet it: a clerk made with `identita
//! clerk add` logs in with the password and the code sent to them (read from the outbox), acts
//! in the session with its CSRF token, records a Czech POINT request that its recipient then
//! takes once; a clerk without the role an action needs is refused it (one test per action);
//! a bad field is named and nothing is written; the OpenAPI document is served.
//!
//! The tests run on several threads: the operator's commands block the thread that runs them,
//! and the server (in this process) must go on meanwhile — a write it began just before (its
//! minutely purge, say) would otherwise hold SQLite's write lock until the command gives up.

use crate::common;

use common::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/registry.jsonl");
const PASSWORD: &str = "clerk password 1";
const PHONE: &str = "+420601555111";

/// `identita ARGS` on the server's store: its JSON, which must say it succeeded.
#[track_caller]
fn ok(server: &TestServer, args: &[&str]) -> Value {
    let output = common::cli_beside(server, args, &[]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "identita {args:?}: {stdout} {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(&stdout).unwrap()
}

/// A clerk with these roles (its code goes to `PHONE`), made by the operator.
fn clerk(server: &TestServer, login: &str, roles: &[&str]) {
    let file = server.dir.join(format!("{login}.password"));
    std::fs::write(&file, format!("{PASSWORD}\n")).unwrap();
    let mut args = vec!["clerk", "add", login, "--name", "Jana Nováková", "--phone", PHONE];
    for role in roles {
        args.extend(["--role", role]);
    }
    args.extend(["--password-file", file.to_str().unwrap()]);
    assert_eq!(ok(server, &args)["login"], login);
}

/// An API token acting as the clerk.
fn token(server: &TestServer, login: &str) -> String {
    ok(server, &["clerk", "token", login])["token"].as_str().unwrap().to_owned()
}

fn api(server: &TestServer, path: &str) -> String {
    server.url(&format!("/api/admin/v1{path}"))
}

/// Logs in as `login` with a fresh cookie jar: the client and the session's CSRF token.
async fn log_in(server: &TestServer, login: &str) -> (reqwest::Client, String) {
    let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let response =
        http.post(api(server, "/login")).json(&json!({ "login": login, "password": PASSWORD })).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("identita_backoffice="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let sms = server.provider.stores.outbox.recent(Some(PHONE), 1).await.unwrap();
    let code = identita::authn::nia_id::code_in(&sms[0].body).unwrap().to_owned();
    let wrong = http.post(api(server, "/login/code")).json(&json!({ "code": "000000x" })).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let signed = http.post(api(server, "/login/code")).json(&json!({ "code": code })).send().await.unwrap();
    assert_eq!(signed.status(), StatusCode::OK);
    let body: Value = signed.json().await.unwrap();
    assert_eq!(body["clerk"]["login"], login);
    (http, body["csrf_token"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_czech_point_clerk_logs_in_and_records_a_request_its_recipient_takes_once() {
    let server = TestServer::start().await;
    ok(&server, &["registry", "import", FIXTURE]);
    clerk(&server, "pokladna", &["czech_point"]);
    let anonymous = reqwest::Client::new();
    let refused = anonymous.get(api(&server, "/persons")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let wrong = anonymous
        .post(api(&server, "/login"))
        .json(&json!({ "login": "pokladna", "password": "not the password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let (http, csrf) = log_in(&server, "pokladna").await;
    let found: Value = http.get(api(&server, "/persons?q=204518736")).send().await.unwrap().json().await.unwrap();
    assert_eq!(found["persons"][0]["id"], "jan-novak", "{found}");
    let form = json!({ "document_number": "204518736", "message": "AB12CD34EF" });
    let no_csrf = http.post(api(&server, "/czech-point/requests")).json(&form).send().await.unwrap();
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
    assert_eq!(no_csrf.json::<Value>().await.unwrap()["error"], "csrf");
    let recorded = http
        .post(api(&server, "/czech-point/requests"))
        .header("x-csrf-token", &csrf)
        .json(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(recorded.status(), StatusCode::CREATED);
    let recorded: Value = recorded.json().await.unwrap();
    assert_eq!(recorded["request"]["recipient_ico"], "17651921");
    assert_eq!(recorded["request"]["consent"], "one_time");
    assert_eq!(recorded["request"]["scope"], "všechny");

    let unknown = json!({ "document_number": "999999999", "message": "X" });
    let unknown = http
        .post(api(&server, "/czech-point/requests"))
        .header("x-csrf-token", &csrf)
        .json(&unknown)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.json::<Value>().await.unwrap()["field"], "document_number");

    let taken = ok(&server, &["czech-point", "take", "--message", "AB12CD34EF"]);
    assert_eq!(taken["person"]["id"], "jan-novak");
    let again = common::cli_beside(&server, &["czech-point", "take", "--message", "AB12CD34EF"], &[]);
    assert!(!again.status.success(), "a one-time request is taken once");

    let audit = ok(&server, &["audit", "list", "--subject", "jan-novak"]);
    let entry = &audit[0];
    assert_eq!(
        (&entry["actor"], &entry["role"], &entry["action"]),
        (&json!("clerk:pokladna"), &json!("czech_point"), &json!("czech_point.request"))
    );
    assert_eq!(entry["origin"], "127.0.0.1");

    let out = http.post(api(&server, "/logout")).header("x-csrf-token", &csrf).send().await.unwrap();
    assert_eq!(out.status(), StatusCode::OK);
    assert_eq!(http.get(api(&server, "/me")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_clerk_can_no_longer_log_in_or_use_a_token() {
    let server = TestServer::start().await;
    clerk(&server, "desk", &["validation_desk"]);
    let script = token(&server, "desk");
    let http = reqwest::Client::new();
    let me = http.get(api(&server, "/me")).bearer_auth(&script).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    ok(&server, &["clerk", "disable", "desk"]);
    let me = http.get(api(&server, "/me")).bearer_auth(&script).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    let login =
        http.post(api(&server, "/login")).json(&json!({ "login": "desk", "password": PASSWORD })).send().await.unwrap();
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_field_is_named_and_nothing_is_written() {
    let server = TestServer::start().await;
    clerk(&server, "desk", &["validation_desk"]);
    let script = token(&server, "desk");
    let http = reqwest::Client::new();
    let person = json!({
        "id": "nova-osoba", "given_names": "Nová", "family_name": "Osoba", "birth_date": "1990-01-01",
        "birth_number": "900101/0030", "birth_place": "Brno", "birth_country": "CZ", "sex": "M",
    });
    let bad = http.post(api(&server, "/persons")).bearer_auth(&script).json(&person).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json::<Value>().await.unwrap()["field"], "birth_number");
    let missing = http.get(api(&server, "/persons/nova-osoba")).bearer_auth(&script).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let mut good = person.clone();
    good.as_object_mut().unwrap().remove("birth_number");
    let made = http.post(api(&server, "/persons")).bearer_auth(&script).json(&good).send().await.unwrap();
    assert_eq!(made.status(), StatusCode::CREATED);
    good["phone"] = json!("+420 601");
    let bad = http.put(api(&server, "/persons/nova-osoba")).bearer_auth(&script).json(&good).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json::<Value>().await.unwrap()["field"], "phone");
    good["phone"] = json!("+420601123456");
    let changed = http.put(api(&server, "/persons/nova-osoba")).bearer_auth(&script).json(&good).send().await.unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let audit = ok(&server, &["audit", "list", "--subject", "nova-osoba"]);
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["person.create", "person.change"]);
    assert_eq!(audit[1]["actor"], "clerk:desk");
    assert_eq!(audit[1]["detail"]["after"]["phone"], "+420601123456");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_served() {
    let server = TestServer::start().await;
    let doc: Value = reqwest::get(api(&server, "/openapi.json")).await.unwrap().json().await.unwrap();
    assert!(doc["paths"]["/czech-point/requests"]["post"].is_object());
}

/// Calls `method path` with `body` as a clerk holding only `role`: the API must refuse it with a
/// 403 JSON error naming what is needed.
async fn refused(method: &str, path: &str, body: Option<Value>, role: &str) {
    let server = TestServer::start().await;
    ok(&server, &["registry", "import", FIXTURE]);
    clerk(&server, "someone", &[role]);
    let script = token(&server, "someone");
    let http = reqwest::Client::new();
    let request = match method {
        "GET" => http.get(api(&server, path)),
        "POST" => http.post(api(&server, path)),
        _ => http.put(api(&server, path)),
    };
    let request = request.bearer_auth(&script);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path} as {role}");
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "forbidden", "{error}");
    assert!(error["message"].as_str().unwrap().contains("needs the role"), "{error}");
}

fn jan() -> Value {
    let line = std::fs::read_to_string(FIXTURE).unwrap();
    let line = line.lines().find(|l| l.contains("\"jan-novak\"")).unwrap().to_owned();
    serde_json::from_str(&line).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_cannot_search_the_register() {
    refused("GET", "/persons?q=204518736", None, "administrator").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_cannot_read_a_person() {
    refused("GET", "/persons/jan-novak", None, "administrator").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_czech_point_clerk_cannot_create_a_person() {
    let mut person = jan();
    person["id"] = json!("someone-new");
    person.as_object_mut().unwrap().remove("birth_number");
    refused("POST", "/persons", Some(person), "czech_point").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_czech_point_clerk_cannot_change_a_person() {
    refused("PUT", "/persons/jan-novak", Some(jan()), "czech_point").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_validation_desk_cannot_record_a_czech_point_request() {
    let form = json!({ "document_number": "204518736", "message": "AB12CD34EF" });
    refused("POST", "/czech-point/requests", Some(form), "validation_desk").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_czech_point_clerk_cannot_read_the_audit_log() {
    refused("GET", "/audit", None, "czech_point").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_validation_desk_cannot_verify_the_audit_log() {
    refused("GET", "/audit/verify", None, "validation_desk").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_czech_point_clerk_cannot_list_the_clerks() {
    refused("GET", "/clerks", None, "czech_point").await;
}

fn desk_visit() -> Value {
    json!({ "path": "office", "document_number": "123456789", "document_valid_until": "2031-01-01" })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_czech_point_clerk_cannot_search_mojeid_accounts() {
    refused("GET", "/mojeid/accounts?q=jana", None, "czech_point").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_czech_point_clerk_cannot_read_a_mojeid_account() {
    refused("GET", "/mojeid/accounts/jana", None, "czech_point").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_czech_point_clerk_cannot_validate_a_mojeid_account() {
    refused("POST", "/mojeid/accounts/jana/validations", Some(desk_visit()), "czech_point").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_czech_point_clerk_cannot_mark_mojeid_contacts_verified() {
    refused("POST", "/mojeid/accounts/jana/contacts-verified", None, "czech_point").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_cannot_validate_a_mojeid_account() {
    refused("POST", "/mojeid/accounts/jana/validations", Some(desk_visit()), "administrator").await;
}
