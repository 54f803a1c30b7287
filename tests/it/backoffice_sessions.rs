//! The back office's session as tower-sessions keeps it, seen from the clerk's side of the
//! cookie: sign-in gives the session a new id (the one before signs no one in), logout ends the
//! session at the server, a session idle for 15 minutes by the provider's clock ends while one in
//! use goes on, a session survives a restart; and with two nodes, a session begun on one is
//! signed in at the other, in Redis when there is one (under its id, with a TTL of the idle time)
//! and in the shared SQL table, keyed by a digest of the id, when there is not.
//!
//! The cookies are sent by hand (no cookie jar) so that an old value can be sent again.

use std::collections::BTreeSet;

use fred::interfaces::{ClientLike, KeysInterface};
use fred::prelude::{Builder, Config};
use identita::model::clerk::{Clerk, ClerkLogin, Role, SecondFactor};
use identita::model::person::Phone;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};

use crate::common::{Deployment, TestServer};

const COOKIE: &str = "identita_backoffice";
const PASSWORD: &str = "clerk password 2";
const PHONE: &str = "+420601555333";

/// A clerk `pokladna` of the Czech POINT, in the server's (shared) store.
async fn clerk(server: &TestServer) {
    let hash = server.authn.passwords.hash(PASSWORD).await.unwrap();
    let clerk = Clerk::new(
        ClerkLogin::parse("pokladna").unwrap(),
        "Petr Úředník".into(),
        SecondFactor::Sms(Phone::parse(PHONE).unwrap()),
        BTreeSet::from([Role::CzechPoint]),
        hash,
        server.provider.now(),
    );
    server.provider.stores.clerks.insert(&clerk).await.unwrap();
}

/// The whole `Set-Cookie` of the session cookie in the response, if it sets one.
fn set_cookie(response: &reqwest::Response) -> Option<String> {
    let prefix = format!("{COOKIE}=");
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.starts_with(&prefix).then(|| c.to_owned()))
}

/// The value the response sets the session cookie to (`""` when it removes it), if it does.
fn cookie_value(response: &reqwest::Response) -> Option<String> {
    let cookie = set_cookie(response)?;
    Some(cookie[COOKIE.len() + 1..].split(';').next().unwrap_or_default().to_owned())
}

/// A request to the admin API at `server` (`/api/admin/v1{path}`) with the session cookie `id`.
fn api(
    http: &reqwest::Client,
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    id: &str,
) -> reqwest::RequestBuilder {
    http.request(method, server.url(&format!("/api/admin/v1{path}"))).header("cookie", format!("{COOKIE}={id}"))
}

/// `GET /me` with the session `id`: its status.
async fn me(http: &reqwest::Client, server: &TestServer, id: &str) -> StatusCode {
    api(http, server, reqwest::Method::GET, "/me", id).send().await.unwrap().status()
}

/// The password step at `server` (with the session cookie `id`, if any): the new session's id
/// and the whole cookie.
async fn password(http: &reqwest::Client, server: &TestServer, id: Option<&str>) -> (String, String) {
    let request = api(http, server, reqwest::Method::POST, "/login", id.unwrap_or("none"));
    let response = request.json(&json!({ "login": "pokladna", "password": PASSWORD })).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = set_cookie(&response).expect("the password step sets the session cookie");
    (cookie_value(&response).unwrap(), cookie)
}

/// The code step at `server` with the session `id` awaiting it: the response.
async fn code(http: &reqwest::Client, server: &TestServer, outbox: &TestServer, id: &str) -> reqwest::Response {
    let sms = outbox.provider.stores.outbox.recent(Some(PHONE), 1).await.unwrap();
    let code = identita::authn::nia_id::code_in(&sms[0].body).unwrap().to_owned();
    api(http, server, reqwest::Method::POST, "/login/code", id).json(&json!({ "code": code })).send().await.unwrap()
}

/// Signs `pokladna` in at `server`: the signed-in session's id and its CSRF token.
async fn sign_in(http: &reqwest::Client, server: &TestServer) -> (String, String) {
    let (waiting, _) = password(http, server, None).await;
    let signed = code(http, server, server, &waiting).await;
    assert_eq!(signed.status(), StatusCode::OK);
    let id = cookie_value(&signed).expect("signing in sets the session cookie");
    let body: Value = signed.json().await.unwrap();
    (id, body["csrf_token"].as_str().unwrap().to_owned())
}

/// Logs out at `server` with the session `id`: the response must remove the cookie.
async fn log_out(http: &reqwest::Client, server: &TestServer, id: &str, csrf: &str) {
    let out =
        api(http, server, reqwest::Method::POST, "/logout", id).header("x-csrf-token", csrf).send().await.unwrap();
    assert_eq!(out.status(), StatusCode::OK);
    assert_eq!(cookie_value(&out).as_deref(), Some(""), "the cookie is removed");
}

#[tokio::test]
async fn the_session_id_changes_at_sign_in_and_the_old_one_signs_no_one_in() {
    let server = TestServer::start().await;
    clerk(&server).await;
    let http = reqwest::Client::new();
    let planted = "AAAAAAAAAAAAAAAAAAAAAA";
    let (waiting, cookie) = password(&http, &server, Some(planted)).await;
    assert_ne!(waiting, planted, "a cookie the server did not give is not taken on");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=900"] {
        assert!(cookie.contains(part), "{part}: {cookie}");
    }
    assert_eq!(me(&http, &server, &waiting).await, StatusCode::UNAUTHORIZED, "awaiting the code is not signed in");

    let signed = code(&http, &server, &server, &waiting).await;
    assert_eq!(signed.status(), StatusCode::OK);
    let id = cookie_value(&signed).unwrap();
    let csrf = signed.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_owned();
    assert_ne!(id, waiting, "signing in gives the session a new id");
    assert_eq!(me(&http, &server, &id).await, StatusCode::OK);
    assert_eq!(me(&http, &server, &waiting).await, StatusCode::UNAUTHORIZED, "the id before signs no one in");
    let again = code(&http, &server, &server, &waiting).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED, "nor takes the code again");

    log_out(&http, &server, &id, &csrf).await;
    assert_eq!(me(&http, &server, &id).await, StatusCode::UNAUTHORIZED, "the session ended at the server");
}

#[tokio::test]
async fn an_idle_session_ends_after_15_minutes_by_the_providers_clock() {
    let server = TestServer::start().await;
    clerk(&server).await;
    let http = reqwest::Client::new();
    let (id, _) = sign_in(&http, &server).await;
    for _ in 0..2 {
        server.clock.advance(14 * 60);
        let used = api(&http, &server, reqwest::Method::GET, "/me", &id).send().await.unwrap();
        assert_eq!(used.status(), StatusCode::OK, "a session in use goes on");
        let renewed = set_cookie(&used).expect("each use renews the cookie");
        assert!(renewed.contains(&format!("{COOKIE}={id};")) && renewed.contains("Max-Age=900"), "{renewed}");
    }
    server.clock.advance(15 * 60);
    let idle = api(&http, &server, reqwest::Method::GET, "/me", &id).send().await.unwrap();
    assert_eq!(idle.status(), StatusCode::UNAUTHORIZED, "15 idle minutes end it");
    assert_eq!(cookie_value(&idle).as_deref(), Some(""), "and remove the cookie");
    server.clock.advance(-30 * 60);
    assert_eq!(me(&http, &server, &id).await, StatusCode::UNAUTHORIZED, "ended at the server, not only by the clock");
}

#[tokio::test]
async fn a_session_survives_a_restart() {
    let server = TestServer::start().await;
    clerk(&server).await;
    let http = reqwest::Client::new();
    let (id, _) = sign_in(&http, &server).await;
    let server = server.restart().await;
    assert_eq!(me(&http, &server, &id).await, StatusCode::OK);
}

/// How many rows the back office's SQL table of the deployment holds, and whether any holds
/// `text` in its key or its data.
async fn sql_rows(deployment: &Deployment, text: &str) -> (i64, bool) {
    let mut db = PgConnection::connect(&deployment.database.url).await.unwrap();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM backoffice_sessions").fetch_one(&mut db).await.unwrap();
    let holding: i64 = sqlx::query_scalar("SELECT count(*) FROM backoffice_sessions WHERE id LIKE $1 OR data LIKE $1")
        .bind(format!("%{text}%"))
        .fetch_one(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    (count, holding > 0)
}

/// The TTL in seconds of Redis key `key` (-2: there is none).
async fn redis_ttl(deployment: &Deployment, key: &str) -> i64 {
    let client = Builder::from_config(Config::from_url(&deployment.redis.url).unwrap()).build().unwrap();
    client.init().await.unwrap();
    let ttl: i64 = client.ttl(key).await.unwrap();
    client.quit().await.unwrap();
    ttl
}

#[tokio::test]
async fn a_session_begun_on_one_node_is_signed_in_at_the_other_and_lives_in_redis() {
    let test = "a_session_begun_on_one_node_is_signed_in_at_the_other_and_lives_in_redis";
    let Some(deployment) = Deployment::create(test).await else { return };
    let a = TestServer::start_node(&deployment, |_| {}).await;
    let b = TestServer::start_node(&deployment, |_| {}).await;
    clerk(&a).await;
    let (http_a, http_b) = (a.routed_http(None), b.routed_http(None));
    let (waiting, _) = password(&http_a, &a, None).await;
    let signed = code(&http_b, &b, &a, &waiting).await;
    assert_eq!(signed.status(), StatusCode::OK, "the code typed at the other node");
    let id = cookie_value(&signed).unwrap();
    let csrf = signed.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_owned();
    assert_eq!(me(&http_a, &a, &id).await, StatusCode::OK);
    let ttl = redis_ttl(&deployment, &id).await;
    assert!((1..=900).contains(&ttl), "the session is in Redis under its id, expiring with it: TTL {ttl}");
    assert_eq!(redis_ttl(&deployment, &waiting).await, -2, "the session awaiting the code is gone");
    assert_eq!(sql_rows(&deployment, &id).await, (0, false), "and not in the SQL table");

    log_out(&http_b, &b, &id, &csrf).await;
    assert_eq!(me(&http_a, &a, &id).await, StatusCode::UNAUTHORIZED, "logging out at one node ends it at both");
    assert_eq!(redis_ttl(&deployment, &id).await, -2);
}

#[tokio::test]
async fn without_redis_a_session_is_shared_by_the_nodes_in_the_sql_table_keyed_by_a_digest() {
    let test = "without_redis_a_session_is_shared_by_the_nodes_in_the_sql_table_keyed_by_a_digest";
    let Some(deployment) = Deployment::create(test).await else { return };
    let a = TestServer::start_node(&deployment, |c| c.redis_url = None).await;
    let b = TestServer::start_node(&deployment, |c| c.redis_url = None).await;
    clerk(&a).await;
    let (http_a, http_b) = (a.routed_http(None), b.routed_http(None));
    let (id, csrf) = sign_in(&http_a, &a).await;
    assert_eq!(me(&http_b, &b, &id).await, StatusCode::OK, "the other node sees the clerk signed in");
    assert_eq!(sql_rows(&deployment, &id).await, (1, false), "one row, which does not hold the session id");
    assert_eq!(redis_ttl(&deployment, &id).await, -2, "nothing in Redis");

    log_out(&http_b, &b, &id, &csrf).await;
    assert_eq!(me(&http_a, &a, &id).await, StatusCode::UNAUTHORIZED, "logging out at one node ends it at both");
    assert_eq!(sql_rows(&deployment, &id).await.0, 0);
}
