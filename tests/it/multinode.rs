//! Two identita nodes behind one issuer, on one PostgreSQL and one Redis, behave as one: each
//! test sends every request to the node it chooses (as a load balancer might) and checks that
//! what one node did holds at the other — codes, logins in progress, logouts, lockouts, refresh
//! token replays, key rotations and NIA ID's SMS codes. Skipped (or failed under `CI=true`) without
//! `IDENTITA_TEST_POSTGRES_URL` and `IDENTITA_TEST_REDIS_URL`; see `common::Deployment`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use identita::config::Config;
use openidconnect::core::{
    CoreAuthPrompt, CoreClient, CoreErrorResponseType, CoreProviderMetadata, CoreResponseType, CoreTokenResponse,
};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, RedirectUrl, RefreshToken, RequestTokenError, TokenResponse,
};
use reqwest::cookie::Jar;
use serde_json::{Value, json};

use crate::common::{self, Browser, Deployment, Landing, TestServer};

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const AFTER_LOGOUT: &str = "http://127.0.0.1:9/signed-out";
const USER: &str = "jan";
const PASSWORD: &str = "heslo-123";

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// Two nodes of one deployment, with a client (`portal`) and a user (`jan`) in the shared database.
struct TwoNodes {
    a: TestServer,
    b: TestServer,
    secret: String,
    deployment: Deployment,
}

async fn two_nodes(test: &str, tweak: impl Fn(&mut Config)) -> Option<TwoNodes> {
    let deployment = Deployment::create(test).await?;
    let a = TestServer::start_node(&deployment, &tweak).await;
    let b = TestServer::start_node(&deployment, &tweak).await;
    let (_, secret) = a
        .add_client(json!({
            "client_id": "portal",
            "redirect_uris": [REDIRECT],
            "post_logout_redirect_uris": [AFTER_LOGOUT],
            "grant_types": ["authorization_code", "refresh_token"],
            "first_party": true,
        }))
        .await;
    a.add_user(USER, PASSWORD, json!({ "name": "Jan Novák" })).await;
    Some(TwoNodes { a, b, secret: secret.expect("a confidential client"), deployment })
}

impl TwoNodes {
    /// The relying party, talking to `node` (discovery included).
    async fn rp(&self, node: &TestServer) -> (Client, reqwest::Client) {
        let http = node.routed_http(None);
        let metadata =
            CoreProviderMetadata::discover_async(IssuerUrl::new(node.issuer.clone()).unwrap(), &http).await.unwrap();
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new("portal".into()),
            Some(ClientSecret::new(self.secret.clone())),
        )
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
        (client, http)
    }
}

fn authorize_url(client: &Client, prompt_none: bool) -> (String, Nonce) {
    let mut request = client.authorize_url(
        AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    if prompt_none {
        request = request.add_prompt(CoreAuthPrompt::None);
    }
    let (url, _, nonce) = request.url();
    (url.to_string(), nonce)
}

/// Logs in with `browser` and returns the code.
async fn log_in(node: &TestServer, browser: &Browser, client: &Client) -> (String, Nonce) {
    let (url, nonce) = authorize_url(client, false);
    let landing = browser.authorize(&node.issuer, &url, USER, PASSWORD).await;
    (common::params_of(&landing)["code"].clone(), nonce)
}

async fn exchange(client: &Client, http: &reqwest::Client, code: &str) -> CoreTokenResponse {
    client.exchange_code(AuthorizationCode::new(code.into())).unwrap().request_async(http).await.unwrap()
}

/// The OAuth error of a token request that must fail.
fn error_of<T: std::fmt::Debug, E: std::error::Error + 'static>(
    result: Result<T, RequestTokenError<E, openidconnect::StandardErrorResponse<CoreErrorResponseType>>>,
) -> CoreErrorResponseType {
    match result {
        Err(RequestTokenError::ServerResponse(error)) => error.error().clone(),
        other => panic!("expected an error response, got {other:?}"),
    }
}

/// Whether the browser has an SSO session at `node`: a `prompt=none` request gets a code back.
async fn has_session(node: &TestServer, browser: &Browser, client: &Client) -> bool {
    let (url, _) = authorize_url(client, true);
    let Landing::Redirect(to) = browser.visit(&node.issuer, &url).await else { panic!("prompt=none showed a page") };
    let params = common::params_of(&to);
    match params.get("error").map(String::as_str) {
        None => params.contains_key("code"),
        Some("login_required") => false,
        Some(other) => panic!("prompt=none answered {other}: {to}"),
    }
}

async fn userinfo_status(http: &reqwest::Client, node: &TestServer, access_token: &str) -> u16 {
    http.get(node.url("/userinfo")).bearer_auth(access_token).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_code_issued_at_one_node_is_redeemed_at_the_other() {
    let Some(nodes) = two_nodes("a_code_issued_at_one_node_is_redeemed_at_the_other", |_| {}).await else { return };
    let (at_a, http_a) = nodes.rp(&nodes.a).await;
    let (at_b, http_b) = nodes.rp(&nodes.b).await;
    let browser = Browser::at(&nodes.a, &Arc::new(Jar::default()));
    let (code, nonce) = log_in(&nodes.a, &browser, &at_a).await;

    let tokens = exchange(&at_b, &http_b, &code).await;
    let id_token = tokens.id_token().expect("an ID token");
    id_token.claims(&at_b.id_token_verifier(), &nonce).expect("node B verifies node A's ID token");
    let access = tokens.access_token().secret().clone();
    assert_eq!(userinfo_status(&http_a, &nodes.a, &access).await, 200);

    // The same code again, now at node A: a replay, which revokes what node B issued for it.
    let replay = at_a.exchange_code(AuthorizationCode::new(code)).unwrap().request_async(&http_a).await;
    assert_eq!(error_of(replay), CoreErrorResponseType::InvalidGrant);
    assert_eq!(userinfo_status(&http_b, &nodes.b, &access).await, 401);
    assert!(nodes.deployment.redis.key_count().await > 0, "the code and the session went to Redis");
}

#[tokio::test]
async fn a_login_started_at_one_node_finishes_at_the_other() {
    let Some(nodes) = two_nodes("a_login_started_at_one_node_finishes_at_the_other", |_| {}).await else { return };
    let (at_a, http_a) = nodes.rp(&nodes.a).await;
    let jar = Arc::new(Jar::default());
    let (browser_a, browser_b) = (Browser::at(&nodes.a, &jar), Browser::at(&nodes.b, &jar));
    let (url, nonce) = authorize_url(&at_a, false);
    let Landing::Page(200, login) = browser_a.visit(&nodes.a.issuer, &url).await else { panic!("no login page") };

    // The login form, shown by node A, is posted to node B: the same interaction, CSRF token and
    // browser binding.
    let landing =
        browser_b.submit(&nodes.b.issuer, &login, "login", &[("username", USER), ("password", PASSWORD)]).await;
    let Landing::Redirect(to) = landing else { panic!("the login did not finish at node B: {landing:?}") };
    let code = common::params_of(&to)["code"].clone();
    let tokens = exchange(&at_a, &http_a, &code).await;
    tokens.id_token().expect("an ID token").claims(&at_a.id_token_verifier(), &nonce).unwrap();
    // Node A sees the SSO session that node B started.
    assert!(has_session(&nodes.a, &browser_a, &at_a).await);
}

#[tokio::test]
async fn a_logout_at_one_node_ends_the_session_at_the_other() {
    let Some(nodes) = two_nodes("a_logout_at_one_node_ends_the_session_at_the_other", |_| {}).await else { return };
    let (at_a, http_a) = nodes.rp(&nodes.a).await;
    let (at_b, http_b) = nodes.rp(&nodes.b).await;
    let jar = Arc::new(Jar::default());
    let (browser_a, browser_b) = (Browser::at(&nodes.a, &jar), Browser::at(&nodes.b, &jar));
    let (code, _) = log_in(&nodes.a, &browser_a, &at_a).await;
    let tokens = exchange(&at_a, &http_a, &code).await;
    let refresh = tokens.refresh_token().expect("a refresh token").clone();
    assert!(has_session(&nodes.b, &browser_b, &at_b).await, "node B does not see node A's session");

    let mut logout = url::Url::parse(&nodes.a.url("/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", &tokens.id_token().expect("an ID token").to_string())
        .append_pair("post_logout_redirect_uri", AFTER_LOGOUT);
    match browser_a.visit(&nodes.a.issuer, logout.as_str()).await {
        Landing::Redirect(to) => assert!(to.starts_with(AFTER_LOGOUT), "{to}"),
        Landing::Page(status, html) => panic!("logout showed a page ({status}):\n{html}"),
    }

    assert!(!has_session(&nodes.b, &browser_b, &at_b).await, "the session outlived the logout at node B");
    let refreshed = at_b.exchange_refresh_token(&refresh).unwrap().request_async(&http_b).await;
    assert_eq!(error_of(refreshed), CoreErrorResponseType::InvalidGrant);
    assert_eq!(userinfo_status(&http_b, &nodes.b, tokens.access_token().secret()).await, 401);
}

#[tokio::test]
async fn a_lockout_counted_at_one_node_holds_at_the_other() {
    let Some(nodes) = two_nodes("a_lockout_counted_at_one_node_holds_at_the_other", |c| {
        c.password.lockout_threshold = 3;
        c.password.lockout_window = 600;
    })
    .await
    else {
        return;
    };
    let (at_a, _) = nodes.rp(&nodes.a).await;
    let attempt = async |node: &TestServer, password: &str| {
        // Each attempt in a login of its own, from a browser of its own.
        let browser = Browser::at(node, &Arc::new(Jar::default()));
        let (url, _) = authorize_url(&at_a, false);
        let Landing::Page(200, login) = browser.visit(&node.issuer, &url).await else { panic!("no login page") };
        browser.submit(&node.issuer, &login, "login", &[("username", USER), ("password", password)]).await
    };
    for _ in 0..3 {
        let Landing::Page(401, _) = attempt(&nodes.a, "spatne-heslo").await else { panic!("a wrong password passed") };
    }
    match attempt(&nodes.b, PASSWORD).await {
        Landing::Page(429, html) => assert!(html.contains("id=\"login-error\""), "{html}"),
        other => panic!("node B let a locked account in: {other:?}"),
    }
    // When the window has passed (on both nodes' clocks), the right password works again.
    nodes.a.clock.advance(601);
    nodes.b.clock.advance(601);
    assert!(matches!(attempt(&nodes.b, PASSWORD).await, Landing::Redirect(_)));
}

#[tokio::test]
async fn a_refresh_token_replay_is_detected_across_nodes() {
    let Some(nodes) = two_nodes("a_refresh_token_replay_is_detected_across_nodes", |_| {}).await else { return };
    let (at_a, http_a) = nodes.rp(&nodes.a).await;
    let (at_b, http_b) = nodes.rp(&nodes.b).await;
    let browser = Browser::at(&nodes.a, &Arc::new(Jar::default()));
    let (code, _) = log_in(&nodes.a, &browser, &at_a).await;
    let first: RefreshToken = exchange(&at_a, &http_a, &code).await.refresh_token().expect("a refresh token").clone();
    let rotated = at_a.exchange_refresh_token(&first).unwrap().request_async(&http_a).await.unwrap();
    let second = rotated.refresh_token().expect("a rotated refresh token").clone();

    // Past the grace period for concurrent refreshes, the first token comes back at node B.
    nodes.b.clock.advance(60);
    nodes.a.clock.advance(60);
    let reused = at_b.exchange_refresh_token(&first).unwrap().request_async(&http_b).await;
    assert_eq!(error_of(reused), CoreErrorResponseType::InvalidGrant);
    // The whole family is revoked, at node A too.
    let after = at_a.exchange_refresh_token(&second).unwrap().request_async(&http_a).await;
    assert_eq!(error_of(after), CoreErrorResponseType::InvalidGrant);
    assert_eq!(userinfo_status(&http_a, &nodes.a, rotated.access_token().secret()).await, 401);
}

async fn published_kids(node: &TestServer) -> BTreeSet<String> {
    let jwks: Value = node.routed_http(None).get(node.url("/jwks")).send().await.unwrap().json().await.unwrap();
    jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
}

fn kid_of(jwt: &str) -> String {
    let header = URL_SAFE_NO_PAD.decode(jwt.split('.').next().unwrap()).unwrap();
    serde_json::from_slice::<Value>(&header).unwrap()["kid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn keys_rotated_at_one_node_are_published_by_all() {
    let Some(nodes) = two_nodes("keys_rotated_at_one_node_are_published_by_all", |_| {}).await else { return };
    let before = published_kids(&nodes.b).await;
    assert_eq!(before, published_kids(&nodes.a).await, "the nodes share one key ring");

    // What `identita keys rotate` does, here through node A's ring on the shared directory.
    let rotated = nodes.a.provider.keys.rotate(nodes.a.provider.now(), 3600).unwrap();
    let new: BTreeSet<String> = rotated.iter().filter(|k| k.status == "active").map(|k| k.kid.clone()).collect();
    assert!(new.is_disjoint(&before));

    // Node B reads the directory again every second (keys_reload_interval = 1).
    let started = Instant::now();
    let mut published = published_kids(&nodes.b).await;
    while !new.is_subset(&published) && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        published = published_kids(&nodes.b).await;
    }
    assert!(new.is_subset(&published), "node B did not publish the new keys: {published:?}");
    assert!(before.is_subset(&published), "the retired keys stay published");

    // And node B signs with them: an ID token from node B carries a new key's kid.
    let (at_b, http_b) = nodes.rp(&nodes.b).await;
    let browser = Browser::at(&nodes.b, &Arc::new(Jar::default()));
    let (code, nonce) = log_in(&nodes.b, &browser, &at_b).await;
    let tokens = exchange(&at_b, &http_b, &code).await;
    let id_token = tokens.id_token().expect("an ID token");
    assert!(new.contains(&kid_of(&id_token.to_string())), "node B still signs with an old key");
    let (at_a, _) = nodes.rp(&nodes.a).await;
    id_token.claims(&at_a.id_token_verifier(), &nonce).expect("node A's JWKS verifies it");
}

#[tokio::test]
async fn an_nia_id_code_sent_by_one_node_is_checked_and_counted_at_the_other() {
    let test = "an_nia_id_code_sent_by_one_node_is_checked_and_counted_at_the_other";
    let Some(nodes) = two_nodes(test, |_| {}).await else { return };
    nodes.a.add_user("jana", "heslo-jany-1", json!({ "phone_number": "+420601123456" })).await;
    let (at_a, http_a) = nodes.rp(&nodes.a).await;
    let jar = Arc::new(Jar::default());
    let (browser_a, browser_b) = (Browser::at(&nodes.a, &jar), Browser::at(&nodes.b, &jar));
    let (url, _) = authorize_url(&at_a, false);
    let url = url.replace("scope=openid", "scope=openid+loasubstantial");
    let Landing::Page(200, login) = browser_a.visit(&nodes.a.issuer, &url).await else { panic!("no login page") };
    let landing =
        browser_a.submit(&nodes.a.issuer, &login, "login", &[("username", "jana"), ("password", "heslo-jany-1")]).await;
    let Landing::Page(200, sms) = landing else { panic!("no SMS page: {landing:?}") };

    // The outbox is in the shared database: node B reads what node A sent.
    let sent = nodes.b.provider.stores.outbox.recent(Some("+420601123456"), 5).await.unwrap();
    assert_eq!(sent.len(), 1);
    let code = identita::authn::nia_id::code_in(&sent[0].body).unwrap().to_owned();
    let wrong = if code == "000000" { "111111" } else { "000000" };

    // One wrong code at each node: the attempts are counted once, for both.
    let Landing::Page(401, html) = browser_a.submit(&nodes.a.issuer, &sms, "sms", &[("code", wrong)]).await else {
        panic!("a wrong code at node A was not refused")
    };
    assert!(html.contains("Zbývající pokusy: 2"), "{html}");
    let Landing::Page(401, html) = browser_b.submit(&nodes.b.issuer, &sms, "sms", &[("code", wrong)]).await else {
        panic!("a wrong code at node B was not refused")
    };
    assert!(html.contains("Zbývající pokusy: 1"), "{html}");

    let landing = browser_b.submit(&nodes.b.issuer, &sms, "sms", &[("code", &code)]).await;
    let Landing::Redirect(to) = landing else { panic!("the right code did not finish at node B: {landing:?}") };
    let tokens = exchange(&at_a, &http_a, &common::params_of(&to)["code"]).await;
    let id_token = tokens.id_token().expect("an ID token").to_string();
    let payload = id_token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["acr"], "http://eidas.europa.eu/LoA/substantial", "{claims}");
}
