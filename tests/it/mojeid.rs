//! The `mojeid` persona as mojeID's relying parties meet it: discovery at
//! `/.well-known/openid-configuration/` (and under its issuer `<url>/oidc/`, where libraries
//! look), endpoints under `/oidc/` with trailing slashes, client_secret_basic and _post, `email`
//! in the ID token only when `claims` asks for it there, the `mojeid_*` claims with
//! `mojeid_valid` and the status for full-access clients only, and the logout page at `/logout/`.

use crate::common;

use common::{Browser, Landing, TestServer};
use identita::oidc::Provider;
use identita::oidc::registration::{self, ClientMetadata};
use openidconnect::core::{CoreClient, CoreProviderMetadata, CoreResponseType};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use serde_json::{Value, json};

const REDIRECT: &str = "http://127.0.0.1:9/mojeid/cb";
const USER: &str = "petr";
const PASS: &str = "heslo-456";

async fn start() -> TestServer {
    let server = TestServer::start_with(|config| {
        config.faces = vec![common::face("mojeid", "mojeid", format!("{}/mojeid", config.issuer))];
    })
    .await;
    let profile = json!({
        "name": "Petr Svoboda", "given_name": "Petr", "family_name": "Svoboda", "birthdate": "1984-02-29",
        "email": "petr@example.cz", "email_verified": true, "phone_number": "+420731000111", "phone_number_verified": true,
        "address": {"street_address": "Milešovská 5", "locality": "Praha", "postal_code": "130 00", "country": "CZ"},
    });
    server.add_user(USER, PASS, profile).await;
    server
}

fn face(server: &TestServer) -> &Provider {
    &server.provider.faces[0]
}

/// A first-party service of the mojeID face (client_secret_basic), with full access or not.
async fn service(server: &TestServer, full_access: bool) -> (String, String) {
    let meta: ClientMetadata = serde_json::from_value(json!({
        "redirect_uris": [REDIRECT], "first_party": true, "full_access": full_access,
        "response_types": ["code", "id_token"], "grant_types": ["authorization_code", "implicit"],
    }))
    .unwrap();
    let face = face(server);
    let id = identita::secret::random_token(12);
    let (client, secret) = registration::build(face, meta, id.clone(), face.now()).await.unwrap();
    face.stores.clients.insert(&client).await.unwrap();
    (id, secret.unwrap())
}

fn rp_http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A code flow with the openidconnect crate (discovery under the issuer, client_secret_basic,
/// PKCE), asking for `scopes` and `claims`: the ID token's claims (as JSON) and the userinfo.
async fn log_in(server: &TestServer, service: &(String, String), claims: Option<&str>) -> (Value, Value) {
    let http = rp_http();
    let issuer = format!("{}/mojeid/oidc/", server.issuer);
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone()).unwrap(), &http).await.unwrap();
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(service.0.clone()),
        Some(ClientSecret::new(service.1.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = rp
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge);
    if let Some(claims) = claims {
        request = request.add_extra_param("claims", claims);
    }
    let (url, _, nonce) = request.url();
    let landing = server.browser().authorize(&server.issuer, url.as_str(), USER, PASS).await;
    let params = common::params_of(&landing);
    assert_eq!(params.get("iss"), Some(&issuer));
    let tokens = rp
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("an ID token");
    let verified = id_token.claims(&rp.id_token_verifier(), &nonce).unwrap();
    assert_eq!(verified.issuer().as_str(), issuer);
    let payload = id_token.to_string().split('.').nth(1).unwrap().to_owned();
    use base64::Engine;
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let userinfo: Value = http
        .get(format!("{}/mojeid/oidc/userinfo/", server.issuer))
        .bearer_auth(tokens.access_token().secret())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (claims, userinfo)
}

#[tokio::test]
async fn discovery_is_mojeids_at_its_address_and_under_the_issuer() {
    let server = start().await;
    let http = rp_http();
    let at_root: Value =
        http.get(server.url("/mojeid/.well-known/openid-configuration/")).send().await.unwrap().json().await.unwrap();
    let under_issuer: Value = http
        .get(server.url("/mojeid/oidc/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(at_root, under_issuer);
    assert_eq!(at_root["issuer"], server.url("/mojeid/oidc/"));
    for (member, path) in [
        ("authorization_endpoint", "/mojeid/oidc/authorization/"),
        ("token_endpoint", "/mojeid/oidc/token/"),
        ("userinfo_endpoint", "/mojeid/oidc/userinfo/"),
        ("jwks_uri", "/mojeid/oidc/key.jwk"),
    ] {
        assert_eq!(at_root[member], server.url(path), "{member}");
    }
    assert_eq!(at_root["token_endpoint_auth_methods_supported"], json!(["client_secret_basic", "client_secret_post"]));
    assert!(at_root.get("end_session_endpoint").is_none());
    let claims = at_root["claims_supported"].as_array().unwrap();
    for claim in ["email", "given_name", "mojeid_valid", "mojeid_is_adult"] {
        assert!(claims.contains(&json!(claim)), "{claim}");
    }
}

#[tokio::test]
async fn email_reaches_the_id_token_only_through_claims_and_full_access_sees_validation() {
    let server = start().await;
    let ordinary = service(&server, false).await;
    let full = service(&server, true).await;
    let (id_token, userinfo) = log_in(&server, &ordinary, None).await;
    assert!(id_token.get("email").is_none(), "{id_token}");
    assert_eq!(userinfo["email"], "petr@example.cz");

    let asked = r#"{"id_token":{"email":{"essential":true}},"userinfo":{"mojeid_valid":null,"mojeid_status":null,"mojeid_is_adult":null,"mojeid_address_def":null,"mojeid_username":null}}"#;
    let (id_token, userinfo) = log_in(&server, &ordinary, Some(asked)).await;
    assert_eq!(id_token["email"], "petr@example.cz");
    assert_eq!(userinfo["mojeid_is_adult"], true);
    assert_eq!(userinfo["mojeid_username"], USER);
    assert!(userinfo.get("mojeid_valid").is_none() && userinfo.get("mojeid_status").is_none(), "{userinfo}");
    // The address as the real service sometimes sends it: a JSON text.
    let address: Value = serde_json::from_str(userinfo["mojeid_address_def"].as_str().unwrap()).unwrap();
    assert_eq!(address["city"], "Praha");

    let (_, userinfo) = log_in(&server, &full, Some(asked)).await;
    assert_eq!(userinfo["mojeid_valid"], false);
    assert_eq!(userinfo["mojeid_status"], "CONDITIONALLY_IDENTIFIED");
}

#[tokio::test]
async fn an_id_token_alone_carries_the_profile_but_not_the_email() {
    let server = start().await;
    let service = service(&server, false).await;
    let mut url = url::Url::parse(&server.url("/mojeid/oidc/authorization/")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "id_token")
        .append_pair("client_id", &service.0)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid profile email")
        .append_pair("nonce", "n-1")
        .append_pair("state", "s-1");
    let landing = server.browser().authorize(&server.issuer, url.as_str(), USER, PASS).await;
    let fragment = landing.split_once('#').unwrap().1;
    let id_token = url::form_urlencoded::parse(fragment.as_bytes()).find(|(k, _)| k == "id_token").unwrap().1;
    use base64::Engine;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(id_token.split('.').nth(1).unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(claims["given_name"], "Petr");
    assert!(claims.get("email").is_none() && claims.get("email_verified").is_none(), "{claims}");
}

#[tokio::test]
async fn people_log_out_at_the_logout_page() {
    let server = start().await;
    let service = service(&server, false).await;
    let browser = Browser::new();
    let mut url = url::Url::parse(&server.url("/mojeid/oidc/authorization/")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &service.0)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid")
        .append_pair("state", "s-1");
    browser.authorize(&server.issuer, url.as_str(), USER, PASS).await;
    let Landing::Page(200, html) = browser.visit(&server.issuer, &server.url("/mojeid/logout/")).await else {
        panic!("the logout page")
    };
    assert!(html.contains("id=\"logout-confirm\""), "{html}");
    match browser.submit(&server.issuer, &html, "logout", &[("logout", "yes")]).await {
        Landing::Page(200, html) => assert!(html.contains("id=\"logged-out\""), "{html}"),
        other => panic!("expected the logged-out page, got {other:?}"),
    }
    // Signed out: the next authorization shows the login page.
    match browser.visit(&server.issuer, url.as_str()).await {
        Landing::Page(200, html) => assert!(html.contains("id=\"login\""), "{html}"),
        other => panic!("expected the login page, got {other:?}"),
    }
}
