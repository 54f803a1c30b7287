//! The whole provider on PostgreSQL (`database_url = "postgres://…"`), driven by the
//! `openidconnect` crate as a relying party: a code flow, refreshes across a restart of the
//! server, and a logout that ends the session and its tokens. Skipped (or failed under `CI=true`)
//! without `IDENTITA_TEST_POSTGRES_URL`; see `common::TestDatabase`.

use crate::common;

use common::{Landing, TestServer};
use openidconnect::core::{
    CoreAuthPrompt, CoreClient, CoreErrorResponseType, CoreProviderMetadata, CoreResponseType, CoreUserInfoClaims,
};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, TokenResponse,
};
use serde_json::json;

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const AFTER_LOGOUT: &str = "http://127.0.0.1:9/signed-out";

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

fn rp_http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn discover(server: &TestServer, http: &reqwest::Client, id: &str, secret: &str) -> Client {
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(server.issuer.clone()).unwrap(), http).await.unwrap();
    CoreClient::from_provider_metadata(metadata, ClientId::new(id.into()), Some(ClientSecret::new(secret.into())))
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap())
}

/// Whether the browser still has an SSO session: a `prompt=none` request gets a code back.
async fn has_session(server: &TestServer, browser: &common::Browser, client: &Client) -> bool {
    let (url, _, _) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_prompt(CoreAuthPrompt::None)
        .url();
    let Landing::Redirect(to) = browser.visit(&server.issuer, url.as_str()).await else {
        panic!("prompt=none showed a page")
    };
    let params = common::params_of(&to);
    match params.get("error").map(String::as_str) {
        None => params.contains_key("code"),
        Some("login_required") => false,
        Some(other) => panic!("prompt=none answered {other}: {to}"),
    }
}

#[tokio::test]
async fn code_flow_refresh_restart_and_logout_on_postgres() {
    let Some(server) = TestServer::start_postgres("code_flow_refresh_restart_and_logout_on_postgres").await else {
        return;
    };
    let (client_id, secret) = server
        .add_client(json!({
            "client_id": "portal",
            "redirect_uris": [REDIRECT],
            "post_logout_redirect_uris": [AFTER_LOGOUT],
            "grant_types": ["authorization_code", "refresh_token"],
            "client_name": "Portál občana",
        }))
        .await;
    let secret = secret.expect("a confidential client");
    server.add_user("jan", "heslo-123", json!({ "name": "Jan Novák", "email": "jan@example.cz" })).await;

    // The code flow, through the login and consent pages.
    let http = rp_http();
    let client = discover(&server, &http, &client_id, &secret).await;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    let browser = server.browser();
    let landing = browser.authorize(&server.issuer, url.as_str(), "jan", "heslo-123").await;
    let code = common::params_of(&landing)["code"].clone();
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let claims = tokens.id_token().expect("an ID token").claims(&client.id_token_verifier(), &nonce).unwrap();
    let subject = claims.subject().clone();
    let info: CoreUserInfoClaims =
        client.user_info(tokens.access_token().clone(), None).unwrap().request_async(&http).await.unwrap();
    assert_eq!(info.subject(), &subject);
    assert_eq!(info.email().map(|e| e.as_str()), Some("jan@example.cz"));

    // A refresh rotates the refresh token.
    let first_refresh = tokens.refresh_token().expect("a refresh token").clone();
    let refreshed = client.exchange_refresh_token(&first_refresh).unwrap().request_async(&http).await.unwrap();
    let refresh = refreshed.refresh_token().expect("a rotated refresh token").clone();
    assert_ne!(refresh.secret(), first_refresh.secret());

    // A restart keeps everything: the client, the SSO session, the refresh token.
    let server = server.restart().await;
    let http = rp_http();
    let client = discover(&server, &http, &client_id, &secret).await;
    assert!(has_session(&server, &browser, &client).await, "the SSO session did not survive the restart");
    let refreshed = client.exchange_refresh_token(&refresh).unwrap().request_async(&http).await.unwrap();
    let info: CoreUserInfoClaims =
        client.user_info(refreshed.access_token().clone(), None).unwrap().request_async(&http).await.unwrap();
    assert_eq!(info.subject(), &subject);
    let refresh: RefreshToken = refreshed.refresh_token().expect("a rotated refresh token").clone();
    let id_token = refreshed.id_token().or(tokens.id_token()).expect("an ID token").to_string();

    // Logout ends the session and revokes what it issued.
    let mut logout = url::Url::parse(&server.url("/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", &id_token)
        .append_pair("post_logout_redirect_uri", AFTER_LOGOUT);
    match browser.visit(&server.issuer, logout.as_str()).await {
        Landing::Redirect(to) => assert!(to.starts_with(AFTER_LOGOUT), "{to}"),
        Landing::Page(status, html) => panic!("logout showed a page ({status}):\n{html}"),
    }
    assert!(!has_session(&server, &browser, &client).await, "the SSO session outlived the logout");
    match client.exchange_refresh_token(&refresh).unwrap().request_async(&http).await {
        Err(RequestTokenError::ServerResponse(error)) => {
            assert_eq!(error.error(), &CoreErrorResponseType::InvalidGrant, "{error:?}")
        }
        other => panic!("the refresh token outlived the logout: {other:?}"),
    }
}
