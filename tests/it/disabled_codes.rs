//! A person disabled or removed after a login gets nothing more from it: the authorization code
//! issued before is refused at the token endpoint, and so is a refresh token, whatever the scope —
//! not only when an ID token (`openid`) would look the person up; introspection reports the
//! person's tokens inactive.

use crate::common;

use common::TestServer;
use identita::model::User;
use serde_json::{Value, json};

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const PASS: &str = "heslo-123";

/// A server, a person and a confidential client for the code flow with refresh tokens.
async fn setup() -> (TestServer, User, String, String) {
    let server = TestServer::start().await;
    let user = server.add_user("jan", PASS, json!({ "name": "Jan Novák" })).await;
    let (id, secret) = server
        .add_client(json!({
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
        }))
        .await;
    (server, user, id, secret.unwrap())
}

/// Logs in and returns the authorization code for `scope`.
async fn code(server: &TestServer, client_id: &str, scope: &str) -> String {
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("state", "xyz");
    let landing = server.browser().authorize(&server.issuer, url.as_str(), "jan", PASS).await;
    assert!(landing.starts_with(REDIRECT), "{landing}");
    common::params_of(&landing).get("code").unwrap_or_else(|| panic!("no code in {landing}")).clone()
}

/// A token request with client_secret_basic: the status and the JSON body.
async fn token(server: &TestServer, id: &str, secret: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response =
        reqwest::Client::new().post(server.url("/token")).basic_auth(id, Some(secret)).form(form).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn exchange(server: &TestServer, id: &str, secret: &str, code: &str) -> (u16, Value) {
    token(server, id, secret, &[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT)]).await
}

/// Whether introspection (RFC 7662) says `access_token` is active.
async fn active(server: &TestServer, id: &str, secret: &str, access_token: &str) -> bool {
    let response = reqwest::Client::new()
        .post(server.url("/introspect"))
        .basic_auth(id, Some(secret))
        .form(&[("token", access_token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["active"] == json!(true)
}

/// Marks the account disabled in the store, as `identita user disable` does first — without the
/// sessions and tokens it then ends, so that only the account's state can refuse.
async fn set_disabled(server: &TestServer, user: &User, disabled: bool) {
    let mut user = server.provider.stores.users.get(&user.id).await.unwrap().unwrap();
    user.disabled = disabled;
    assert!(server.provider.stores.users.update(&user).await.unwrap());
}

#[track_caller]
fn assert_invalid_grant((status, body): &(u16, Value)) {
    assert_eq!(*status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");
    assert!(body["error_description"].as_str().is_some_and(|d| d.contains("disabled")), "{body}");
}

#[tokio::test]
async fn a_code_without_openid_of_a_disabled_person_is_refused() {
    let (server, user, id, secret) = setup().await;
    // The same flow gives tokens while the account is enabled.
    let first = code(&server, &id, "profile").await;
    let (status, body) = exchange(&server, &id, &secret, &first).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("id_token").is_none(), "{body}");

    let code = code(&server, &id, "profile").await;
    set_disabled(&server, &user, true).await;
    assert_invalid_grant(&exchange(&server, &id, &secret, &code).await);

    // Enabled again, the code stays spent: nothing it could have issued is live.
    set_disabled(&server, &user, false).await;
    let (status, body) = exchange(&server, &id, &secret, &code).await;
    assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")), "{body}");
}

#[tokio::test]
async fn a_code_of_a_removed_person_is_refused() {
    let (server, user, id, secret) = setup().await;
    let code = code(&server, &id, "profile").await;
    assert!(server.provider.stores.users.delete(&user.id).await.unwrap());
    assert_invalid_grant(&exchange(&server, &id, &secret, &code).await);
}

#[tokio::test]
async fn a_code_with_openid_of_a_disabled_person_is_refused() {
    let (server, user, id, secret) = setup().await;
    let code = code(&server, &id, "openid profile").await;
    set_disabled(&server, &user, true).await;
    assert_invalid_grant(&exchange(&server, &id, &secret, &code).await);
}

#[tokio::test]
async fn a_refresh_without_openid_of_a_disabled_person_is_refused_and_ends_the_grant() {
    let (server, user, id, secret) = setup().await;
    let code = code(&server, &id, "profile").await;
    let (status, tokens) = exchange(&server, &id, &secret, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let access_token = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    assert!(active(&server, &id, &secret, access_token).await);

    set_disabled(&server, &user, true).await;
    assert_invalid_grant(
        &token(&server, &id, &secret, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await,
    );

    // The refusal revoked the grant: enabled again, its access token no longer works.
    set_disabled(&server, &user, false).await;
    assert!(!active(&server, &id, &secret, access_token).await);
}

#[tokio::test]
async fn introspection_reports_a_disabled_or_removed_persons_access_token_inactive() {
    let (server, user, id, secret) = setup().await;
    let code = code(&server, &id, "profile").await;
    let (status, tokens) = exchange(&server, &id, &secret, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let access_token = tokens["access_token"].as_str().unwrap();
    assert!(active(&server, &id, &secret, access_token).await);

    // Only the account's state changes (its tokens are not revoked here): inactive while disabled,
    // active again once enabled.
    set_disabled(&server, &user, true).await;
    assert!(!active(&server, &id, &secret, access_token).await);
    set_disabled(&server, &user, false).await;
    assert!(active(&server, &id, &secret, access_token).await);

    assert!(server.provider.stores.users.delete(&user.id).await.unwrap());
    assert!(!active(&server, &id, &secret, access_token).await);
}
