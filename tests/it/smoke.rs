//! The shortest complete path: discovery, a code flow with PKCE through the login and consent
//! pages, the token exchange and userinfo — with the `openidconnect` crate as the relying party.

use crate::common;

use common::TestServer;
use openidconnect::core::{CoreClient, CoreProviderMetadata, CoreResponseType, CoreUserInfoClaims};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use serde_json::json;

fn rp_http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

#[tokio::test]
async fn code_flow_with_pkce_through_login_and_consent() {
    let server = TestServer::start().await;
    let redirect = "http://127.0.0.1:9/cb";
    let (client_id, secret) = server
        .add_client(json!({
            "client_id": "portal",
            "redirect_uris": [redirect],
            "grant_types": ["authorization_code", "refresh_token"],
            "client_name": "Portál občana",
        }))
        .await;
    server
        .add_user("jan", "heslo-123", json!({ "name": "Jan Novák", "email": "jan@example.cz", "email_verified": true }))
        .await;

    let http = rp_http();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(server.issuer.clone()).unwrap(), &http).await.unwrap();
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(client_id), secret.map(ClientSecret::new))
        .set_redirect_uri(RedirectUrl::new(redirect.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();

    let landing = server.browser().authorize(&server.issuer, url.as_str(), "jan", "heslo-123").await;
    let params = common::params_of(&landing);
    assert!(landing.starts_with(redirect), "{landing}");
    assert_eq!(params.get("state"), Some(state.secret()));
    assert_eq!(params.get("iss"), Some(&server.issuer));

    let tokens = client
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token.claims(&client.id_token_verifier(), &nonce).unwrap();
    assert_eq!(claims.issuer().as_str(), server.issuer);
    assert!(tokens.refresh_token().is_some());

    let info: CoreUserInfoClaims =
        client.user_info(tokens.access_token().clone(), None).unwrap().request_async(&http).await.unwrap();
    assert_eq!(info.subject(), claims.subject());
    assert_eq!(info.email().map(|e| e.as_str()), Some("jan@example.cz"));
    assert_eq!(info.name().and_then(|n| n.get(None)).map(|n| n.as_str()), Some("Jan Novák"));
}
