//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) and back-channel logout
//! (OpenID Connect Back-Channel Logout 1.0), as a person and their relying parties notice it:
//! where the browser lands, whether the session is still there, which tokens still work and
//! which logout tokens the clients receive.

use crate::common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, State};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Browser, Landing, TestServer};
use serde_json::{Value, json};

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const AFTER_LOGOUT: &str = "http://127.0.0.1:9/signed-out";

/// A confidential client with a registered post-logout redirect URI, plus `extra` metadata.
async fn add_client(server: &TestServer, id: &str, extra: Value) -> (String, String) {
    let mut metadata = json!({
        "client_id": id,
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": [AFTER_LOGOUT],
        "grant_types": ["authorization_code", "refresh_token"],
        "client_name": "Portál",
    });
    if let (Value::Object(base), Value::Object(more)) = (&mut metadata, extra) {
        base.extend(more);
    }
    let (id, secret) = server.add_client(metadata).await;
    (id, secret.expect("a confidential client"))
}

async fn add_jan(server: &TestServer) {
    server.add_user("jan", "heslo-123", json!({ "name": "Jan Novák" })).await;
}

fn authorize_url(server: &TestServer, client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("state", "st")
        .append_pair("nonce", "n-0S6");
    for (k, v) in extra {
        url.query_pairs_mut().append_pair(k, v);
    }
    if !extra.iter().any(|(k, _)| *k == "scope") {
        url.query_pairs_mut().append_pair("scope", "openid profile");
    }
    url.into()
}

/// Logs jan in for `client` through the pages and exchanges the code; returns the token response.
async fn sign_in(server: &TestServer, browser: &Browser, client: &(String, String), extra: &[(&str, &str)]) -> Value {
    let landing = browser.authorize(&server.issuer, &authorize_url(server, &client.0, extra), "jan", "heslo-123").await;
    let params = common::params_of(&landing);
    let code = params.get("code").unwrap_or_else(|| panic!("no code in {landing}"));
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(&client.0, Some(&client.1))
        .form(&[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The answer to a `prompt=none` request: the parameters of the redirect back to the client.
async fn prompt_none(server: &TestServer, browser: &Browser, client_id: &str) -> HashMap<String, String> {
    match browser.visit(&server.issuer, &authorize_url(server, client_id, &[("prompt", "none")])).await {
        Landing::Redirect(to) => common::params_of(&to),
        Landing::Page(status, html) => panic!("prompt=none showed a page ({status}):\n{html}"),
    }
}

async fn assert_logged_in(server: &TestServer, browser: &Browser, client_id: &str) {
    let params = prompt_none(server, browser, client_id).await;
    assert!(params.contains_key("code"), "the person should still be logged in: {params:?}");
}

async fn assert_logged_out(server: &TestServer, browser: &Browser, client_id: &str) {
    let params = prompt_none(server, browser, client_id).await;
    assert_eq!(params.get("error").map(String::as_str), Some("login_required"), "{params:?}");
}

fn logout_url(server: &TestServer, params: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&server.url("/logout")).unwrap();
    for (k, v) in params {
        url.query_pairs_mut().append_pair(k, v);
    }
    url.into()
}

fn part(jwt: &str, index: usize) -> Value {
    let segment = jwt.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

fn id_token(tokens: &Value) -> String {
    tokens["id_token"].as_str().expect("an ID token").to_owned()
}

fn assert_error_page(landing: Landing) {
    match landing {
        Landing::Page(status, html) => {
            assert!(status >= 400, "status {status}");
            assert!(html.contains("id=\"error-code\""), "not the error page:\n{html}");
        }
        Landing::Redirect(to) => panic!("an invalid logout request redirected to {to}"),
    }
}

#[tokio::test]
async fn logout_with_hint_redirects_with_state_and_ends_the_session() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &client, &[]).await;

    let url = logout_url(
        &server,
        &[("id_token_hint", &id_token(&tokens)), ("post_logout_redirect_uri", AFTER_LOGOUT), ("state", "xyz 1")],
    );
    let response = browser.http.get(url).send().await.unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    let location = response.headers()["location"].to_str().unwrap();
    let target = url::Url::parse(location).unwrap();
    assert_eq!(&location[..location.find('?').unwrap()], AFTER_LOGOUT);
    let query: Vec<(String, String)> = target.query_pairs().into_owned().collect();
    assert_eq!(query, vec![("state".to_owned(), "xyz 1".to_owned())]);
    let cleared = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("identita_session="))
        .expect("the session cookie is cleared");
    assert!(cleared.starts_with("identita_session=;") && cleared.contains("Max-Age=0"), "{cleared}");

    assert_logged_out(&server, &browser, &client.0).await;
}

#[tokio::test]
async fn logout_without_state_redirects_without_state() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &client, &[]).await;

    let url = logout_url(&server, &[("id_token_hint", &id_token(&tokens)), ("post_logout_redirect_uri", AFTER_LOGOUT)]);
    let landing = browser.visit(&server.issuer, &url).await;
    match landing {
        Landing::Redirect(to) => assert_eq!(to, AFTER_LOGOUT),
        Landing::Page(status, html) => panic!("expected a redirect, got ({status}):\n{html}"),
    }
    assert_logged_out(&server, &browser, &client.0).await;
}

#[tokio::test]
async fn logout_with_hint_only_shows_the_logged_out_page() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &client, &[]).await;

    let landing = browser.visit(&server.issuer, &logout_url(&server, &[("id_token_hint", &id_token(&tokens))])).await;
    match landing {
        Landing::Page(200, html) => assert!(html.contains("id=\"logged-out\""), "{html}"),
        other => panic!("expected the logged-out page, got {other:?}"),
    }
    assert_logged_out(&server, &browser, &client.0).await;
}

#[tokio::test]
async fn unregistered_post_logout_redirect_uri_is_an_error_and_keeps_the_session() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &client, &[]).await;

    let url = logout_url(
        &server,
        &[("id_token_hint", &id_token(&tokens)), ("post_logout_redirect_uri", "http://127.0.0.1:9/elsewhere")],
    );
    assert_error_page(browser.visit(&server.issuer, &url).await);
    assert_logged_in(&server, &browser, &client.0).await;
}

#[tokio::test]
async fn post_logout_redirect_uri_with_an_added_query_is_an_error_and_keeps_the_session() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &client, &[]).await;

    let url = logout_url(
        &server,
        &[("id_token_hint", &id_token(&tokens)), ("post_logout_redirect_uri", &format!("{AFTER_LOGOUT}?foo=bar"))],
    );
    assert_error_page(browser.visit(&server.issuer, &url).await);
    assert_logged_in(&server, &browser, &client.0).await;
}

#[tokio::test]
async fn unsigned_id_token_hint_is_an_error_and_keeps_the_session() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &client, &[]).await;

    let genuine = id_token(&tokens);
    let mut header = part(&genuine, 0);
    header["alg"] = json!("none");
    let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap());
    let payload = genuine.split('.').nth(1).unwrap();
    let forged = format!("{header}.{payload}.");

    let url = logout_url(&server, &[("id_token_hint", &forged), ("post_logout_redirect_uri", AFTER_LOGOUT)]);
    assert_error_page(browser.visit(&server.issuer, &url).await);
    assert_logged_in(&server, &browser, &client.0).await;
}

#[tokio::test]
async fn id_token_hint_signed_by_another_key_is_an_error_and_keeps_the_session() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &client, &[]).await;

    // Same header (alg and kid) and claims as the genuine token, signed by a key of our own.
    let genuine = id_token(&tokens);
    let header = genuine.split('.').next().unwrap();
    let payload = genuine.split('.').nth(1).unwrap();
    let key = josekit::jws::RS256.generate_key_pair(2048).unwrap();
    let signer = josekit::jws::RS256.signer_from_der(key.to_der_private_key()).unwrap();
    use josekit::jws::JwsSigner;
    let signature = URL_SAFE_NO_PAD.encode(signer.sign(format!("{header}.{payload}").as_bytes()).unwrap());
    let forged = format!("{header}.{payload}.{signature}");

    let url = logout_url(&server, &[("id_token_hint", &forged), ("post_logout_redirect_uri", AFTER_LOGOUT)]);
    assert_error_page(browser.visit(&server.issuer, &url).await);
    assert_logged_in(&server, &browser, &client.0).await;
}

#[tokio::test]
async fn logout_without_hint_asks_for_confirmation_first() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    sign_in(&server, &browser, &client, &[]).await;

    match browser.visit(&server.issuer, &server.url("/logout")).await {
        Landing::Page(200, html) => assert!(common::form_of(&html, "logout").is_some(), "{html}"),
        other => panic!("expected the confirmation page, got {other:?}"),
    }
    assert_logged_in(&server, &browser, &client.0).await;
}

#[tokio::test]
async fn confirming_the_logout_logs_out() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    sign_in(&server, &browser, &client, &[]).await;

    let Landing::Page(200, html) = browser.visit(&server.issuer, &server.url("/logout")).await else {
        panic!("no confirmation page");
    };
    match browser.submit(&server.issuer, &html, "logout", &[("logout", "yes")]).await {
        Landing::Page(200, html) => assert!(html.contains("id=\"logged-out\""), "{html}"),
        other => panic!("expected the logged-out page, got {other:?}"),
    }
    assert_logged_out(&server, &browser, &client.0).await;
}

#[tokio::test]
async fn declining_the_logout_keeps_the_session() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    sign_in(&server, &browser, &client, &[]).await;

    let Landing::Page(200, html) = browser.visit(&server.issuer, &server.url("/logout")).await else {
        panic!("no confirmation page");
    };
    let landing = browser.submit(&server.issuer, &html, "logout", &[("logout", "no")]).await;
    assert!(matches!(landing, Landing::Page(..)), "{landing:?}");
    assert_logged_in(&server, &browser, &client.0).await;
}

#[tokio::test]
async fn confirmation_with_a_wrong_csrf_token_does_not_log_out() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    sign_in(&server, &browser, &client, &[]).await;

    let Landing::Page(200, html) = browser.visit(&server.issuer, &server.url("/logout")).await else {
        panic!("no confirmation page");
    };
    let mut fields: Vec<(String, String)> =
        common::hidden_fields(&html, "logout").into_iter().filter(|(k, _)| k != "csrf").collect();
    fields.push(("csrf".into(), "not-the-token".into()));
    fields.push(("logout".into(), "yes".into()));
    let response = browser.http.post(server.url("/logout")).form(&fields).send().await.unwrap();
    assert!(!response.status().is_redirection());
    assert_logged_in(&server, &browser, &client.0).await;
}

#[tokio::test]
async fn logout_without_parameters_or_session_shows_the_logged_out_page() {
    let server = TestServer::start().await;
    match Browser::new().visit(&server.issuer, &server.url("/logout")).await {
        Landing::Page(200, html) => assert!(html.contains("id=\"logged-out\""), "{html}"),
        other => panic!("expected the logged-out page, got {other:?}"),
    }
}

/// A relying party's back-channel logout endpoint that records the `logout_token`s it receives.
pub(crate) struct Receiver {
    pub(crate) uri: String,
    pub(crate) tokens: Arc<Mutex<Vec<String>>>,
}

pub(crate) async fn receiver() -> Receiver {
    async fn receive(State(tokens): State<Arc<Mutex<Vec<String>>>>, Form(form): Form<HashMap<String, String>>) {
        if let Some(token) = form.get("logout_token") {
            tokens.lock().unwrap().push(token.clone());
        }
    }
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new().route("/backchannel", post(receive)).with_state(tokens.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}/backchannel", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver { uri, tokens }
}

/// A receiver on https with a self-signed certificate; returns it and the certificate's path.
async fn https_receiver(dir: &std::path::Path) -> (Receiver, std::path::PathBuf) {
    async fn receive(State(tokens): State<Arc<Mutex<Vec<String>>>>, Form(form): Form<HashMap<String, String>>) {
        if let Some(token) = form.get("logout_token") {
            tokens.lock().unwrap().push(token.clone());
        }
    }
    let (cert, key) = identita::tls::self_signed(&["127.0.0.1".to_string()], dir).unwrap();
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new().route("/backchannel", post(receive)).with_state(tokens.clone());
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("https://{}/backchannel", tcp.local_addr().unwrap());
    let listener = identita::tls::TlsListener::new(tcp, identita::tls::acceptor(&cert, &key).unwrap()).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (Receiver { uri, tokens }, cert)
}

#[tokio::test]
async fn backchannel_logout_reaches_an_https_client_whose_ca_is_configured() {
    let certs = tempfile::tempdir().unwrap();
    let (rp, cert) = https_receiver(certs.path()).await;
    let server = TestServer::start_with(|c| c.outbound_ca_file = Some(cert.clone())).await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({ "backchannel_logout_uri": rp.uri })).await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &client, &[]).await;
    browser.visit(&server.issuer, &logout_url(&server, &[("id_token_hint", &id_token(&tokens))])).await;
    assert_eq!(rp.tokens.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn backchannel_logout_does_not_trust_an_unknown_certificate() {
    let certs = tempfile::tempdir().unwrap();
    let (rp, _cert) = https_receiver(certs.path()).await;
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({ "backchannel_logout_uri": rp.uri })).await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &client, &[]).await;
    let landing = browser.visit(&server.issuer, &logout_url(&server, &[("id_token_hint", &id_token(&tokens))])).await;
    assert!(matches!(landing, Landing::Page(200, _)), "the logout itself succeeds: {landing:?}");
    assert!(rp.tokens.lock().unwrap().is_empty());
}

/// Verifies `jwt` against the provider's published JWKS; returns (header, claims).
async fn verify_with_provider_jwks(server: &TestServer, jwt: &str) -> (Value, Value) {
    let header = part(jwt, 0);
    let kid = header["kid"].as_str().expect("a kid in the header");
    let jwks: Value = reqwest::get(server.url("/jwks")).await.unwrap().json().await.unwrap();
    let key = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid).expect("the kid is published");
    assert_eq!(header["alg"], "RS256");
    let jwk = josekit::jwk::Jwk::from_map(key.as_object().unwrap().clone()).unwrap();
    let verifier = josekit::jws::RS256.verifier_from_jwk(&jwk).unwrap();
    let (payload, _) = josekit::jws::deserialize_compact(jwt, &verifier).expect("the signature verifies");
    (header, serde_json::from_slice(&payload).unwrap())
}

#[tokio::test]
async fn backchannel_logout_sends_one_verifiable_logout_token() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let rp = receiver().await;
    let client = add_client(
        &server,
        "portal",
        json!({ "backchannel_logout_uri": rp.uri, "backchannel_logout_session_required": true }),
    )
    .await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &client, &[]).await;
    let id_claims = part(&id_token(&tokens), 1);

    let landing = browser.visit(&server.issuer, &logout_url(&server, &[("id_token_hint", &id_token(&tokens))])).await;
    assert!(matches!(landing, Landing::Page(200, _)), "{landing:?}");

    let received = rp.tokens.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "{received:?}");
    let (header, claims) = verify_with_provider_jwks(&server, &received[0]).await;
    assert_eq!(header["typ"], "logout+jwt");
    assert_eq!(claims["iss"], server.issuer.as_str());
    let aud_ok = claims["aud"] == client.0.as_str() || claims["aud"] == json!([client.0]);
    assert!(aud_ok, "aud {}", claims["aud"]);
    assert!(claims["iat"].is_i64(), "iat {}", claims["iat"]);
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()), "jti {}", claims["jti"]);
    assert!(id_claims["sid"].is_string(), "the ID token carries a sid: {id_claims}");
    assert_eq!(claims["sid"], id_claims["sid"]);
    assert_eq!(claims["sub"], id_claims["sub"]);
    assert_eq!(claims["events"], json!({ "http://schemas.openid.net/event/backchannel-logout": {} }));
    assert!(claims.get("nonce").is_none(), "a logout token must not carry a nonce: {claims}");
}

#[tokio::test]
async fn backchannel_logout_reaches_every_client_of_the_session() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let first_rp = receiver().await;
    let second_rp = receiver().await;
    let first = add_client(
        &server,
        "portal",
        json!({ "backchannel_logout_uri": first_rp.uri, "backchannel_logout_session_required": true }),
    )
    .await;
    let second = add_client(
        &server,
        "dane",
        json!({ "backchannel_logout_uri": second_rp.uri, "backchannel_logout_session_required": true }),
    )
    .await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &first, &[]).await;
    sign_in(&server, &browser, &second, &[]).await;

    browser.visit(&server.issuer, &logout_url(&server, &[("id_token_hint", &id_token(&tokens))])).await;

    for (rp, client) in [(&first_rp, &first), (&second_rp, &second)] {
        let received = rp.tokens.lock().unwrap().clone();
        assert_eq!(received.len(), 1, "{}: {received:?}", client.0);
        assert_eq!(part(&received[0], 1)["aud"], client.0.as_str());
    }
}

async fn userinfo_status(server: &TestServer, access_token: &str) -> u16 {
    let response = reqwest::Client::new().get(server.url("/userinfo")).bearer_auth(access_token).send().await.unwrap();
    response.status().as_u16()
}

async fn refresh(server: &TestServer, client: &(String, String), refresh_token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(&client.0, Some(&client.1))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn logout_revokes_the_tokens_of_the_session() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &client, &[]).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token");
    assert_eq!(userinfo_status(&server, access).await, 200);

    browser.visit(&server.issuer, &logout_url(&server, &[("id_token_hint", &id_token(&tokens))])).await;

    assert_eq!(userinfo_status(&server, access).await, 401);
    let response = refresh(&server, &client, refresh_token).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn a_code_issued_before_the_logout_gets_no_tokens_after_it() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &client, &[]).await;
    // A second code from the same session, still unredeemed when the person logs out.
    let pending = prompt_none(&server, &browser, &client.0).await;
    let code = pending.get("code").expect("a code");

    browser.visit(&server.issuer, &logout_url(&server, &[("id_token_hint", &id_token(&tokens))])).await;
    assert_logged_out(&server, &browser, &client.0).await;

    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(&client.0, Some(&client.1))
        .form(&[("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
}

#[tokio::test]
async fn offline_refresh_token_survives_logout() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    let tokens =
        sign_in(&server, &browser, &client, &[("prompt", "consent"), ("scope", "openid offline_access")]).await;
    assert!(tokens["scope"].as_str().unwrap().contains("offline_access"), "{tokens}");
    let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token");

    browser.visit(&server.issuer, &logout_url(&server, &[("id_token_hint", &id_token(&tokens))])).await;
    assert_logged_out(&server, &browser, &client.0).await;

    let response = refresh(&server, &client, refresh_token).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");
}

#[tokio::test]
async fn logout_by_post_works_like_get() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &client, &[]).await;

    let hint = id_token(&tokens);
    let form = [("id_token_hint", hint.as_str()), ("post_logout_redirect_uri", AFTER_LOGOUT), ("state", "s1")];
    let response = browser.http.post(server.url("/logout")).form(&form).send().await.unwrap();
    match browser.follow(&server.issuer, response).await {
        Landing::Redirect(to) => assert_eq!(to, format!("{AFTER_LOGOUT}?state=s1")),
        other => panic!("expected a redirect, got {other:?}"),
    }
    assert_logged_out(&server, &browser, &client.0).await;
}

/// A cross-site form POST carries no `SameSite=Lax` cookie: the hint's `sid` names the session.
#[tokio::test]
async fn a_cross_site_post_without_cookies_ends_the_session_named_by_the_hint() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &client, &[]).await;

    let hint = id_token(&tokens);
    let form = [("id_token_hint", hint.as_str()), ("post_logout_redirect_uri", AFTER_LOGOUT), ("state", "s1")];
    let cookieless = common::Browser::new();
    let response = cookieless.http.post(server.url("/logout")).form(&form).send().await.unwrap();
    match cookieless.follow(&server.issuer, response).await {
        Landing::Redirect(to) => assert_eq!(to, format!("{AFTER_LOGOUT}?state=s1")),
        other => panic!("expected a redirect, got {other:?}"),
    }
    assert_logged_out(&server, &browser, &client.0).await;
}

#[tokio::test]
async fn an_expired_id_token_hint_still_logs_out() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    let client = add_client(&server, "portal", json!({})).await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &client, &[]).await;
    server.clock.advance(server.provider.config.tokens.id_token_ttl + 60);

    let url = logout_url(&server, &[("id_token_hint", &id_token(&tokens)), ("post_logout_redirect_uri", AFTER_LOGOUT)]);
    match browser.visit(&server.issuer, &url).await {
        Landing::Redirect(to) => assert_eq!(to, AFTER_LOGOUT),
        other => panic!("expected a redirect, got {other:?}"),
    }
    assert_logged_out(&server, &browser, &client.0).await;
}

#[tokio::test]
async fn an_id_token_hint_for_someone_else_asks_for_confirmation() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    server.add_user("eva", "heslo-456", json!({})).await;
    let client = add_client(&server, "portal", json!({})).await;
    let eva_browser = server.browser();
    let landing =
        eva_browser.authorize(&server.issuer, &authorize_url(&server, &client.0, &[]), "eva", "heslo-456").await;
    let code = common::params_of(&landing)["code"].clone();
    let eva_tokens: Value = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(&client.0, Some(&client.1))
        .form(&[("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jan_browser = server.browser();
    sign_in(&server, &jan_browser, &client, &[]).await;

    let url = logout_url(&server, &[("id_token_hint", &id_token(&eva_tokens))]);
    match jan_browser.visit(&server.issuer, &url).await {
        Landing::Page(200, html) => assert!(common::form_of(&html, "logout").is_some(), "{html}"),
        other => panic!("expected the confirmation page, got {other:?}"),
    }
    assert_logged_in(&server, &jan_browser, &client.0).await;
}

#[tokio::test]
async fn an_unreachable_backchannel_endpoint_does_not_stop_the_logout() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    // A port nobody listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = add_client(
        &server,
        "portal",
        json!({ "backchannel_logout_uri": format!("http://127.0.0.1:{port}/bc"), "backchannel_logout_session_required": true }),
    )
    .await;
    let browser = server.browser();
    let tokens = sign_in(&server, &browser, &client, &[]).await;

    let url = logout_url(&server, &[("id_token_hint", &id_token(&tokens)), ("post_logout_redirect_uri", AFTER_LOGOUT)]);
    match browser.visit(&server.issuer, &url).await {
        Landing::Redirect(to) => assert_eq!(to, AFTER_LOGOUT),
        other => panic!("expected a redirect, got {other:?}"),
    }
    assert_logged_out(&server, &browser, &client.0).await;
}

/// A cross-site form POST carries neither the `SameSite=Lax` session cookie nor a CSRF token: the
/// browser it lands in keeps its cookie, whether the POST names no session or, with an ID token
/// of the attacker's own, the attacker's session.
#[tokio::test]
async fn a_cross_site_logout_post_does_not_clear_the_session_cookie() {
    let server = TestServer::start().await;
    add_jan(&server).await;
    server.add_user("eva", "heslo-456", json!({})).await;
    let client = add_client(&server, "portal", json!({})).await;
    let eva_browser = server.browser();
    let landing =
        eva_browser.authorize(&server.issuer, &authorize_url(&server, &client.0, &[]), "eva", "heslo-456").await;
    let code = common::params_of(&landing)["code"].clone();
    let eva_tokens: Value = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(&client.0, Some(&client.1))
        .form(&[("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Jan's browser keeps its cookies in a jar the test can hand the cross-site answers to.
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let browser = Browser { http };
    sign_in(&server, &browser, &client, &[]).await;

    let eva_hint = id_token(&eva_tokens);
    let forged: [&[(&str, &str)]; 2] = [&[], &[("id_token_hint", &eva_hint), ("logout", "yes")]];
    let origin = url::Url::parse(&server.issuer).unwrap();
    for form in forged {
        let cookieless = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let response = cookieless.post(server.url("/logout")).form(form).send().await.unwrap();
        let set: Vec<String> =
            response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        assert!(set.iter().all(|c| !c.starts_with("identita_session=")), "{form:?} cleared the cookie: {set:?}");
        // What the browser the POST came in would do with the answer.
        for cookie in &set {
            jar.add_cookie_str(cookie, &origin);
        }
        assert_logged_in(&server, &browser, &client.0).await;
    }
}
