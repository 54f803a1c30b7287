//! The `nia` persona as NIA's portals meet it: discovery at `/fpsts/oidc/openid-configuration`
//! in any letter case, the URN issuer, a portal whose client_id is its URL logging in the way
//! DIA's own Keycloak broker does (client_id and code at the token endpoint, no PKCE, the
//! attributes named in `claims`, the ID token a JWE to the portal's key, RSA-OAEP and
//! A256CBC-HS512 without `kid`), `PersonIdentifier` per portal, userinfo `{}`, "Nechci poskytnout
//! údaje", the front-channel logout to the registered URL and `erc=202`; and a "strict" NIA
//! with its quirks turned off.

use crate::common;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::{Browser, Landing, TestServer};
use identita::config::FaceConfig;
use identita::oidc::Provider;
use identita::oidc::registration::{self, ClientMetadata};
use identita::persona::QuirkSettings;
use josekit::jwk::Jwk;
use josekit::jwk::KeyPair;
use josekit::jwk::alg::rsa::RsaKeyPair;
use serde_json::{Value, json};

const PORTAL_A: &str = "https://portal-a.example/app";
const PORTAL_B: &str = "https://portal-b.example/agenda";
const REDIRECT: &str = "http://127.0.0.1:9/nia/cb";
const LOGGED_OUT: &str = "http://127.0.0.1:9/nia/bye";
const USER: &str = "jana";
const PASS: &str = "heslo-123";
const ISSUER: &str = "urn:microsoft:cgg2010:fpsts";
const CLAIMS: &str = r#"{"id_token":{"PersonIdentifier":null,"CurrentGivenName":null,"CurrentFamilyName":null,"DateOfBirth":null,"CurrentAddress":null,"age":null,"isAgeOver":{"value":"18"},"eMail":null}}"#;

/// A server with a `nia` face at `/nia` (its quirks set by `quirks`) and one citizen.
async fn start(quirks: QuirkSettings) -> TestServer {
    let server = TestServer::start_with(|config| {
        config.faces = vec![FaceConfig { quirks, ..common::face("nia", "nia", format!("{}/nia", config.issuer)) }];
    })
    .await;
    let profile = json!({
        "given_name": "Jana", "family_name": "Nováková", "birthdate": "1990-05-17",
        "email": "jana@example.cz",
        "address": {"street_address": "Dlouhá 12", "locality": "Praha", "postal_code": "110 00"},
    });
    server.add_user(USER, PASS, profile).await;
    server
}

fn nia(server: &TestServer) -> &Provider {
    &server.provider.faces[0]
}

/// The URL of a path of the nia face.
fn at(server: &TestServer, path: &str) -> String {
    server.url(&format!("/nia{path}"))
}

/// A portal's encryption key pair: the private JWK it keeps, and the JWKS it registers.
fn portal_key() -> (Jwk, Value) {
    let pair = RsaKeyPair::generate(2048).unwrap();
    let mut public: serde_json::Map<String, Value> = pair.to_jwk_public_key().into();
    public.insert("use".into(), json!("enc"));
    (pair.to_jwk_private_key(), json!({ "keys": [public] }))
}

/// Registers portal `id` on the nia face, as NIA's registration form has it: the portal's URL as
/// client_id, its redirect and logout URLs, its encryption key, client_secret_post.
async fn register(server: &TestServer, id: &str, jwks: Option<Value>) -> Result<(), String> {
    let mut metadata = json!({
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": [LOGGED_OUT],
        "token_endpoint_auth_method": "client_secret_post",
        "client_name": "Portál občana",
    });
    if let Some(jwks) = jwks {
        metadata["jwks"] = jwks;
    }
    let meta: ClientMetadata = serde_json::from_value(metadata).unwrap();
    let face = nia(server);
    let (client, _) = registration::build(face, meta, id.into(), face.now()).await.map_err(|e| e.to_string())?;
    face.stores.clients.insert(&client).await.unwrap();
    Ok(())
}

/// The authorization request a DIA-style broker sends: code flow, no PKCE, the attributes named
/// in `claims`.
fn authorize_url(server: &TestServer, client_id: &str, scope: &str, claims: &str) -> String {
    let mut url = url::Url::parse(&at(server, "/FPSTS/oidc/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("state", "st-nia")
        .append_pair("nonce", "n-nia-1")
        .append_pair("claims", claims);
    url.into()
}

/// Goes through the pages (login, consent with `decision`) to the redirect back to the portal.
async fn through_pages(server: &TestServer, browser: &Browser, url: &str, decision: &str) -> (String, Vec<String>) {
    let mut landing = browser.visit(&server.issuer, url).await;
    let mut seen = Vec::new();
    loop {
        match landing {
            Landing::Redirect(to) => return (to, seen),
            Landing::Page(_, html) if html.contains("id=\"login\"") => {
                seen.push("login".to_owned());
                landing =
                    browser.submit(&server.issuer, &html, "login", &[("username", USER), ("password", PASS)]).await;
            }
            Landing::Page(_, html) if html.contains("id=\"consent\"") => {
                seen.push(format!("consent:{}", html.contains("Nechci poskytnout údaje")));
                landing = browser.submit(&server.issuer, &html, "consent", &[("decision", decision)]).await;
            }
            Landing::Page(status, html) => panic!("unexpected page ({status}):\n{html}"),
        }
    }
}

/// The code of a redirect back to the portal (checking its `state` and NIA's issuer).
fn code_of(redirect: &str) -> String {
    assert!(redirect.starts_with(REDIRECT), "{redirect}");
    let params = common::params_of(redirect);
    assert_eq!(params["state"], "st-nia");
    params["code"].clone()
}

/// The token request a DIA-style broker sends: client_secret_post with whatever secret it was
/// configured with (NIA issues none), the redirect URI, a code_verifier NIA ignores.
async fn token(server: &TestServer, client_id: &str, code: &str, secret: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", client_id),
        ("client_secret", secret),
        ("code_verifier", "ignored-ignored-ignored-ignored-ignored-ignored"),
    ];
    let response = reqwest::Client::new().post(at(server, "/FPSTS/oidc/token")).form(&form).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn part(token: &str, index: usize) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').nth(index).unwrap()).unwrap()).unwrap()
}

/// Opens the ID token as the portal does: a JWE (RSA-OAEP, A256CBC-HS512, no `kid`) that its
/// key decrypts to a JWS that the face's JWKS verifies. Returns the claims.
async fn open(server: &TestServer, id_token: &str, private: &Jwk) -> Value {
    assert_eq!(id_token.split('.').count(), 5, "a compact JWE: {id_token}");
    let header = part(id_token, 0);
    assert_eq!(header["alg"], "RSA-OAEP");
    assert_eq!(header["enc"], "A256CBC-HS512");
    assert!(header.get("kid").is_none(), "NIA's JWE names no key: {header}");
    let decrypter = josekit::jwe::RSA_OAEP.decrypter_from_jwk(private).unwrap();
    let (inner, _) = josekit::jwe::deserialize_compact(id_token, &decrypter).expect("the portal's key opens it");
    verify(server, &String::from_utf8(inner).unwrap()).await
}

async fn verify(server: &TestServer, jws: &str) -> Value {
    let jwks: Value =
        reqwest::get(at(server, "/FPSTS/oidc/openid-configuration-jwks")).await.unwrap().json().await.unwrap();
    let header = part(jws, 0);
    assert_eq!(header["alg"], "RS256");
    let key = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == header["kid"]).expect("a key of the JWKS");
    let jwk = Jwk::from_bytes(serde_json::to_vec(key).unwrap()).unwrap();
    let verifier = josekit::jws::RS256.verifier_from_jwk(&jwk).unwrap();
    let (payload, _) = josekit::jwt::decode_with_verifier(jws, &verifier).expect("the face's signature verifies");
    Value::Object(payload.claims_set().clone())
}

fn is_person_identifier(value: &Value) -> bool {
    let Some(id) = value.as_str().and_then(|v| v.strip_prefix("CZ/CZ/")) else { return false };
    let groups: Vec<_> = id.split('-').map(str::len).collect();
    groups == [8, 4, 4, 4, 12] && id.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit())
}

#[tokio::test]
async fn discovery_is_nias_at_its_own_path_in_any_letter_case() {
    let server = start(QuirkSettings::default()).await;
    let lower: Value =
        reqwest::get(at(&server, "/fpsts/oidc/openid-configuration")).await.unwrap().json().await.unwrap();
    let upper: Value =
        reqwest::get(at(&server, "/FPSTS/oidc/openid-configuration")).await.unwrap().json().await.unwrap();
    let mixed = reqwest::get(at(&server, "/Fpsts/OIDC/Openid-Configuration")).await.unwrap();
    assert_eq!(mixed.status(), 200);
    assert_eq!(lower, upper);
    assert_eq!(lower["issuer"], ISSUER);
    for (member, path) in [
        ("authorization_endpoint", "/FPSTS/oidc/authorize"),
        ("token_endpoint", "/FPSTS/oidc/token"),
        ("userinfo_endpoint", "/FPSTS/oidc/userinfo"),
        ("end_session_endpoint", "/FPSTS/oidc/endsession"),
        ("jwks_uri", "/FPSTS/oidc/openid-configuration-jwks"),
    ] {
        assert_eq!(lower[member], at(&server, path), "{member}");
    }
    assert_eq!(lower["token_endpoint_auth_methods_supported"], json!(["client_secret_post"]));
    let scopes = lower["scopes_supported"].as_array().unwrap();
    for scope in ["openid", "loalow", "loasubstantial", "loahigh", "loaexact", "forceauthn", "ispassive"] {
        assert!(scopes.contains(&json!(scope)), "{scope}");
    }
    assert!(!scopes.contains(&json!("profile")));
    let claims = lower["claims_supported"].as_array().unwrap();
    for claim in ["PersonIdentifier", "CurrentGivenName", "CurrentFamilyName", "DateOfBirth", "CurrentAddress", "eMail"]
    {
        assert!(claims.contains(&json!(claim)), "{claim}");
    }
    for absent in
        ["code_challenge_methods_supported", "id_token_encryption_alg_values_supported", "registration_endpoint"]
    {
        assert!(lower.get(absent).is_none(), "{absent}: {lower}");
    }
    // The primary face is untouched.
    let standard: Value =
        reqwest::get(server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(standard["issuer"], server.issuer);
    assert!(standard["scopes_supported"].as_array().unwrap().contains(&json!("profile")));
}

#[tokio::test]
async fn a_portal_gets_the_attributes_it_names_encrypted_to_its_key_and_another_portal_another_person_identifier() {
    let server = start(QuirkSettings::default()).await;
    let (key_a, jwks_a) = portal_key();
    let (key_b, jwks_b) = portal_key();
    register(&server, PORTAL_A, Some(jwks_a)).await.unwrap();
    register(&server, PORTAL_B, Some(jwks_b)).await.unwrap();
    let browser = Browser::new();

    let (redirect, pages) =
        through_pages(&server, &browser, &authorize_url(&server, PORTAL_A, "openid", CLAIMS), "allow").await;
    assert_eq!(pages, ["login", "consent:true"]);
    let (status, tokens) = token(&server, PORTAL_A, &code_of(&redirect), "whatever-the-broker-sends").await;
    assert_eq!(status, 200, "{tokens}");
    let claims = open(&server, tokens["id_token"].as_str().unwrap(), &key_a).await;
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], PORTAL_A);
    assert!(claims.get("sub").is_none(), "no sub unless asked for: {claims}");
    assert!(is_person_identifier(&claims["PersonIdentifier"]), "{claims}");
    assert_eq!(claims["CurrentGivenName"], "Jana");
    assert_eq!(claims["CurrentFamilyName"], "Nováková");
    assert_eq!(claims["DateOfBirth"], "1990-05-17");
    assert_eq!(claims["eMail"], "jana@example.cz");
    assert_eq!(claims["isAgeOver"], true);
    assert!(claims["age"].as_u64().unwrap() >= 36);
    let address = String::from_utf8(STANDARD.decode(claims["CurrentAddress"].as_str().unwrap()).unwrap()).unwrap();
    assert!(address.contains("<eidas:Thoroughfare>Dlouhá</eidas:Thoroughfare>"), "{address}");
    assert!(address.contains("<eidas:PostName>Praha</eidas:PostName>"), "{address}");
    for standard_name in ["given_name", "family_name", "email", "name"] {
        assert!(claims.get(standard_name).is_none(), "{standard_name}: {claims}");
    }
    // Userinfo answers {} with the access token.
    let userinfo = reqwest::Client::new()
        .get(at(&server, "/FPSTS/oidc/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 200);
    assert_eq!(userinfo.json::<Value>().await.unwrap(), json!({}));

    // Portal B, in the same SSO session: no login, its own consent, another PersonIdentifier.
    let (redirect, pages) =
        through_pages(&server, &browser, &authorize_url(&server, PORTAL_B, "openid", CLAIMS), "allow").await;
    assert_eq!(pages, ["consent:true"]);
    let (_, tokens_b) = token(&server, PORTAL_B, &code_of(&redirect), "").await;
    let claims_b = open(&server, tokens_b["id_token"].as_str().unwrap(), &key_b).await;
    assert!(is_person_identifier(&claims_b["PersonIdentifier"]));
    assert_ne!(claims_b["PersonIdentifier"], claims["PersonIdentifier"]);
    // Portal A again: consent remembered, the same PersonIdentifier; only what is named now.
    let only_id = r#"{"id_token":{"PersonIdentifier":null}}"#;
    let (redirect, pages) =
        through_pages(&server, &browser, &authorize_url(&server, PORTAL_A, "openid", only_id), "allow").await;
    assert!(pages.is_empty(), "{pages:?}");
    let (_, again) = token(&server, PORTAL_A, &code_of(&redirect), "").await;
    let claims_again = open(&server, again["id_token"].as_str().unwrap(), &key_a).await;
    assert_eq!(claims_again["PersonIdentifier"], claims["PersonIdentifier"]);
    assert!(claims_again.get("CurrentGivenName").is_none(), "{claims_again}");
    // Without claims, nothing at all.
    let (redirect, _) =
        through_pages(&server, &browser, &authorize_url(&server, PORTAL_A, "openid", "{}"), "allow").await;
    let (_, bare) = token(&server, PORTAL_A, &code_of(&redirect), "").await;
    let bare_claims = open(&server, bare["id_token"].as_str().unwrap(), &key_a).await;
    assert!(bare_claims.get("PersonIdentifier").is_none(), "{bare_claims}");
}

#[tokio::test]
async fn refusing_to_provide_data_gives_a_token_without_attributes_and_keeps_the_session() {
    let server = start(QuirkSettings::default()).await;
    let (key, jwks) = portal_key();
    register(&server, PORTAL_A, Some(jwks)).await.unwrap();
    let browser = Browser::new();
    let (redirect, pages) =
        through_pages(&server, &browser, &authorize_url(&server, PORTAL_A, "openid", CLAIMS), "deny").await;
    assert_eq!(pages, ["login", "consent:true"]);
    let (status, tokens) = token(&server, PORTAL_A, &code_of(&redirect), "").await;
    assert_eq!(status, 200, "{tokens}");
    let claims = open(&server, tokens["id_token"].as_str().unwrap(), &key).await;
    for attribute in ["PersonIdentifier", "CurrentGivenName", "CurrentFamilyName", "DateOfBirth", "eMail", "sub"] {
        assert!(claims.get(attribute).is_none(), "{attribute}: {claims}");
    }
    assert_eq!(claims["aud"], PORTAL_A);
    // The session stays: the next login asks only for consent again (nothing was remembered).
    let (_, pages) =
        through_pages(&server, &browser, &authorize_url(&server, PORTAL_A, "openid", CLAIMS), "allow").await;
    assert_eq!(pages, ["consent:true"]);
}

#[tokio::test]
async fn logout_returns_to_the_registered_url_and_an_unreadable_hint_is_erc_202() {
    let server = start(QuirkSettings::default()).await;
    let (_, jwks) = portal_key();
    register(&server, PORTAL_A, Some(jwks)).await.unwrap();
    let browser = Browser::new();
    through_pages(&server, &browser, &authorize_url(&server, PORTAL_A, "openid", CLAIMS), "allow").await;

    // An id_token_hint NIA cannot read (the JWE itself, here any garbage): erc=202.
    let mut bad = url::Url::parse(&at(&server, "/FPSTS/oidc/endsession")).unwrap();
    bad.query_pairs_mut().append_pair("client_id", PORTAL_A).append_pair("id_token_hint", "a.b.c.d.e");
    match browser.visit(&server.issuer, bad.as_str()).await {
        Landing::Page(status, html) => {
            assert_eq!(status, 400);
            assert!(html.contains("erc=202"), "{html}");
        }
        other => panic!("expected the error page, got {other:?}"),
    }
    // The front-channel GET with client_id and state: back to the registered URL, logged out.
    let mut url = url::Url::parse(&at(&server, "/FPSTS/oidc/EndSession")).unwrap();
    url.query_pairs_mut().append_pair("client_id", PORTAL_A).append_pair("state", "bye-1");
    match browser.visit(&server.issuer, url.as_str()).await {
        Landing::Redirect(to) => assert_eq!(to, format!("{LOGGED_OUT}?state=bye-1")),
        other => panic!("expected the way back to the portal, got {other:?}"),
    }
    let (_, pages) =
        through_pages(&server, &browser, &authorize_url(&server, PORTAL_A, "openid", CLAIMS), "allow").await;
    assert_eq!(pages, ["login"], "the session ended; the consent was remembered");
}

#[tokio::test]
async fn a_portal_without_an_encryption_key_is_refused_by_a_face_that_encrypts() {
    let server = start(QuirkSettings::default()).await;
    let error = register(&server, PORTAL_A, None).await.unwrap_err();
    assert!(error.contains("encrypt_id_tokens"), "{error}");
}

#[tokio::test]
async fn a_strict_nia_checks_the_secret_and_gives_sub_when_claims_names_it() {
    let quirks = QuirkSettings {
        token_without_secret: Some(false),
        encrypt_id_tokens: Some(false),
        userinfo_empty: Some(false),
        ..QuirkSettings::default()
    };
    let server = start(quirks).await;
    let metadata: ClientMetadata = serde_json::from_value(json!({
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "client_secret_post",
        "client_secret": "portal-secret-123",
    }))
    .unwrap();
    let face = nia(&server);
    let (client, _) = registration::build(face, metadata, PORTAL_A.into(), face.now()).await.unwrap();
    face.stores.clients.insert(&client).await.unwrap();
    let browser = Browser::new();
    let with_sub = r#"{"id_token":{"sub":null,"PersonIdentifier":null}}"#;
    let (redirect, _) =
        through_pages(&server, &browser, &authorize_url(&server, PORTAL_A, "openid", with_sub), "allow").await;
    let code = code_of(&redirect);
    let (status, refused) = token(&server, PORTAL_A, &code, "not-the-secret").await;
    assert_eq!((status, refused["error"].as_str()), (401, Some("invalid_client")), "{refused}");
    let (status, tokens) = token(&server, PORTAL_A, &code, "portal-secret-123").await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(id_token.split('.').count(), 3, "not encrypted when the face does not encrypt");
    let claims = verify(&server, id_token).await;
    assert!(is_person_identifier(&claims["sub"]), "{claims}");
    assert_eq!(claims["sub"], claims["PersonIdentifier"]);
}

/// A free port on loopback, for a face's own listener.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn a_face_on_a_listener_of_its_own_answers_at_nias_real_paths() {
    let (own, both) = (free_port(), free_port());
    let server = TestServer::start_with(|config| {
        let face = |name: &str, url: String, port: u16| FaceConfig {
            name: name.into(),
            persona: "nia".into(),
            issuer: Some(format!("urn:example:{name}")),
            url: Some(url),
            listen: Some(([127, 0, 0, 1], port).into()),
            share_sessions: None,
            mojeid: None,
            quirks: QuirkSettings::default(),
        };
        // One at the root of its own port only; one also under /nia2 on the main port.
        config.faces = vec![
            face("nia", format!("http://127.0.0.1:{own}"), own),
            face("nia2", format!("{}/nia2", config.issuer), both),
        ];
    })
    .await;
    server.add_user(USER, PASS, json!({ "given_name": "Jana" })).await;
    let origin = format!("http://127.0.0.1:{own}");
    let discovery: Value =
        reqwest::get(format!("{origin}/fpsts/oidc/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(discovery["issuer"], "urn:example:nia");
    assert_eq!(discovery["authorization_endpoint"], format!("{origin}/FPSTS/oidc/authorize"));
    // Not on the main port: it has no path there.
    assert_eq!(reqwest::get(server.url("/FPSTS/oidc/openid-configuration")).await.unwrap().status(), 404);
    // The other is at both places, and says the main port's prefix is its URL.
    for at in [
        format!("http://127.0.0.1:{both}/FPSTS/oidc/openid-configuration"),
        server.url("/nia2/fpsts/oidc/openid-configuration"),
    ] {
        let doc: Value = reqwest::get(&at).await.unwrap().json().await.unwrap();
        assert_eq!(doc["token_endpoint"], server.url("/nia2/FPSTS/oidc/token"), "{at}");
    }

    // A portal of the first logs in at the real paths of its port.
    let (key, jwks) = portal_key();
    let face = &server.provider.faces[0];
    let meta: ClientMetadata = serde_json::from_value(json!({
        "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_post", "jwks": jwks,
    }))
    .unwrap();
    let (client, _) = registration::build(face, meta, PORTAL_A.into(), face.now()).await.unwrap();
    face.stores.clients.insert(&client).await.unwrap();
    let mut url = url::Url::parse(&format!("{origin}/FPSTS/oidc/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", PORTAL_A)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid")
        .append_pair("state", "st-nia")
        .append_pair("claims", r#"{"id_token":{"PersonIdentifier":null,"CurrentGivenName":null}}"#);
    let redirect = Browser::new().authorize(&origin, url.as_str(), USER, PASS).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code_of(&redirect)),
        ("redirect_uri", REDIRECT),
        ("client_id", PORTAL_A),
    ];
    let response = reqwest::Client::new().post(format!("{origin}/FPSTS/oidc/token")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let decrypter = josekit::jwe::RSA_OAEP.decrypter_from_jwk(&key).unwrap();
    let (inner, _) = josekit::jwe::deserialize_compact(tokens["id_token"].as_str().unwrap(), &decrypter).unwrap();
    let claims = part(&String::from_utf8(inner).unwrap(), 1);
    assert_eq!(claims["iss"], "urn:example:nia");
    assert_eq!(claims["CurrentGivenName"], "Jana");
    assert!(is_person_identifier(&claims["PersonIdentifier"]));
}

#[tokio::test]
async fn a_portal_with_the_openidconnect_crate_logs_in_at_a_nia_that_does_not_encrypt() {
    use openidconnect::core::{CoreClient, CoreJsonWebKeySet, CoreProviderMetadata, CoreResponseType};
    use openidconnect::{
        AuthType, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, Nonce, RedirectUrl,
        TokenResponse,
    };
    // The crate cannot open a JWE and needs `sub`: a NIA without encryption, `sub` named.
    let server = start(QuirkSettings { encrypt_id_tokens: Some(false), ..QuirkSettings::default() }).await;
    let meta: ClientMetadata = serde_json::from_value(json!({
        "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_post",
    }))
    .unwrap();
    let face = nia(&server);
    let (client, _) = registration::build(face, meta, PORTAL_A.into(), face.now()).await.unwrap();
    face.stores.clients.insert(&client).await.unwrap();

    // NIA's discovery is not under the issuer (a URN), so the portal reads it from its address.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let doc: Value =
        http.get(at(&server, "/fpsts/oidc/openid-configuration")).send().await.unwrap().json().await.unwrap();
    let jwks: CoreJsonWebKeySet =
        http.get(doc["jwks_uri"].as_str().unwrap()).send().await.unwrap().json().await.unwrap();
    let metadata: CoreProviderMetadata = serde_json::from_value::<CoreProviderMetadata>(doc).unwrap().set_jwks(jwks);
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(PORTAL_A.into()),
        Some(ClientSecret::new("any".into())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap())
    .set_auth_type(AuthType::RequestBody);
    let (url, state, nonce) = rp
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_extra_param("claims", r#"{"id_token":{"sub":null,"PersonIdentifier":null,"CurrentGivenName":null}}"#)
        .url();
    let landing = server.browser().authorize(&server.issuer, url.as_str(), USER, PASS).await;
    let params = common::params_of(&landing);
    assert_eq!(params.get("state"), Some(state.secret()));
    let tokens =
        rp.exchange_code(AuthorizationCode::new(params["code"].clone())).unwrap().request_async(&http).await.unwrap();
    let claims = tokens.id_token().expect("an ID token").claims(&rp.id_token_verifier(), &nonce).unwrap();
    assert_eq!(claims.issuer().as_str(), ISSUER);
    assert!(claims.subject().as_str().starts_with("CZ/CZ/"), "{}", claims.subject().as_str());
    let raw = part(&tokens.id_token().unwrap().to_string(), 1);
    assert_eq!(raw["PersonIdentifier"], raw["sub"]);
    assert_eq!(raw["CurrentGivenName"], "Jana");
}

#[tokio::test]
async fn the_cli_shows_a_portal_what_to_register_and_registers_it_with_its_key() {
    let server = start(QuirkSettings::default()).await;
    let toml = format!(
        "issuer = {:?}\n\n[[faces]]\nname = \"nia\"\npersona = \"nia\"\nurl = \"{}/nia\"\n",
        server.issuer, server.issuer
    );
    std::fs::write(server.dir.join("identita.toml"), toml).unwrap();
    let shown = common::cli_beside(&server, &["persona", "show", "nia"], &[]);
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["issuer"], ISSUER);
    assert_eq!(shown["discovery"], at(&server, "/FPSTS/oidc/openid-configuration"));
    assert_eq!(shown["register"]["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(shown["quirks"]["encrypt_id_tokens"], true);
    assert_eq!(shown["saml"]["entity_id"], ISSUER);
    assert_eq!(shown["saml"]["metadata"], at(&server, "/FPSTS/FederationMetadata/2007-06/FederationMetadata.xml"));
    assert!(shown["saml"]["register"].as_str().unwrap().contains("--face nia saml sp add"), "{shown}");
    assert!(shown["command"].as_str().unwrap().contains("--face nia client add"), "{shown}");
    assert_eq!(shown["mojeid_means"]["offered"], false, "no mojeID to log in at: {shown}");

    let (_, jwks) = portal_key();
    let jwks_file = server.dir.join("portal-enc.jwks.json");
    std::fs::write(&jwks_file, jwks.to_string()).unwrap();
    let add = |with_key: bool| {
        let mut args = vec![
            "--face",
            "nia",
            "client",
            "add",
            "--id",
            PORTAL_A,
            "--redirect-uri",
            REDIRECT,
            "--auth-method",
            "client_secret_post",
        ];
        if with_key {
            args.extend(["--jwks-file", jwks_file.to_str().unwrap()]);
        }
        common::cli_beside(&server, &args, &[])
    };
    let refused = add(false);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stdout).contains("encrypt_id_tokens"), "{refused:?}");
    let added = add(true);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let added: Value = serde_json::from_slice(&added.stdout).unwrap();
    assert_eq!(added["client_id"], PORTAL_A);
    assert_eq!(added["id_token_encrypted_response_alg"], "RSA-OAEP");
    assert_eq!(added["id_token_encrypted_response_enc"], "A256CBC-HS512");

    let unknown = common::cli_beside(&server, &["persona", "show", "keycloak"], &[]);
    assert!(!unknown.status.success());
}

#[tokio::test]
async fn the_citizen_revokes_a_portals_consent_on_their_consents_page() {
    let server = start(QuirkSettings::default()).await;
    let (_, jwks) = portal_key();
    register(&server, PORTAL_A, Some(jwks)).await.unwrap();
    let browser = Browser::new();
    let consents = at(&server, "/FPSTS/account/consents");
    let (status, html) = common::page(browser.visit(&server.issuer, &consents).await);
    assert!(status == 200 && html.contains("id=\"consents-sign-in\""), "nobody signed in yet: {html}");

    through_pages(&server, &browser, &authorize_url(&server, PORTAL_A, "openid", CLAIMS), "allow").await;
    let (_, html) = common::page(browser.visit(&server.issuer, &consents).await);
    assert!(html.contains(&format!("data-client=\"{PORTAL_A}\"")), "{html}");
    assert!(html.contains("Portál občana"), "{html}");
    // A forged form (the browser's session, a wrong token) changes nothing.
    let forged = browser.http.post(&consents).form(&[("client_id", PORTAL_A), ("csrf", "x")]).send().await.unwrap();
    let forged = forged.text().await.unwrap();
    assert!(
        forged.contains("id=\"consents-error\"") && forged.contains(&format!("data-client=\"{PORTAL_A}\"")),
        "{forged}"
    );
    let (_, html) = common::page(browser.submit(&server.issuer, &html, "consent-revoke-1", &[]).await);
    assert!(html.contains("id=\"consents-status\"") && html.contains("id=\"consents-none\""), "{html}");
    // The next login at the portal asks again (the session stays).
    let (_, pages) =
        through_pages(&server, &browser, &authorize_url(&server, PORTAL_A, "openid", CLAIMS), "allow").await;
    assert_eq!(pages, ["consent:true"]);
}

#[tokio::test]
async fn a_citizen_signed_in_at_the_standard_face_is_known_at_the_nia_face_and_a_nia_logout_ends_both() {
    let server = start(QuirkSettings::default()).await;
    let (key, jwks) = portal_key();
    register(&server, PORTAL_A, Some(jwks)).await.unwrap();
    let (standard_client, _) = server
        .add_client(json!({ "client_id": "standard-rp", "redirect_uris": [REDIRECT], "first_party": true }))
        .await;
    let browser = Browser::new();
    let standard_url = |prompt: &str| {
        let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &standard_client)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("scope", "openid")
            .append_pair("state", "st-std")
            .append_pair("prompt", prompt);
        url.to_string()
    };
    // Signed in at the standard face (a PKCE-less confidential client).
    let to = browser.authorize(&server.issuer, &standard_url("login"), USER, PASS).await;
    assert!(common::params_of(&to).contains_key("code"), "{to}");

    // At the nia face: no login page, a consent only; the portal gets the citizen's attributes.
    let (redirect, pages) =
        through_pages(&server, &browser, &authorize_url(&server, PORTAL_A, "openid", CLAIMS), "allow").await;
    assert_eq!(pages, ["consent:true"], "the session is known at the nia face");
    let (_, tokens) = token(&server, PORTAL_A, &code_of(&redirect), "").await;
    let claims = open(&server, tokens["id_token"].as_str().unwrap(), &key).await;
    assert_eq!(claims["CurrentGivenName"], "Jana");

    // NIA's logout ends the standard face's session too.
    let mut url = url::Url::parse(&at(&server, "/FPSTS/oidc/endsession")).unwrap();
    url.query_pairs_mut().append_pair("client_id", PORTAL_A);
    assert!(matches!(browser.visit(&server.issuer, url.as_str()).await, Landing::Redirect(_)));
    match browser.visit(&server.issuer, &standard_url("none")).await {
        Landing::Redirect(to) => {
            assert_eq!(common::params_of(&to).get("error").map(String::as_str), Some("login_required"), "{to}")
        }
        other => panic!("expected an answer to the client, got {other:?}"),
    }
}

#[tokio::test]
async fn a_login_as_another_person_at_the_standard_face_ends_the_first_persons_session_at_the_nia_face() {
    let server = start(QuirkSettings::default()).await;
    server.add_user("petr", "heslo-456", json!({ "given_name": "Petr", "family_name": "Svoboda" })).await;
    let (key, jwks) = portal_key();
    register(&server, PORTAL_A, Some(jwks)).await.unwrap();
    let (standard_client, _) = server
        .add_client(json!({ "client_id": "standard-rp", "redirect_uris": [REDIRECT], "first_party": true }))
        .await;
    let browser = Browser::new();
    // Jana signs in at the nia face.
    let (redirect, pages) =
        through_pages(&server, &browser, &authorize_url(&server, PORTAL_A, "openid", CLAIMS), "allow").await;
    assert_eq!(pages, ["login", "consent:true"]);
    code_of(&redirect);

    // In the same browser, Petr signs in at the standard face.
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &standard_client)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid")
        .append_pair("state", "st-std")
        .append_pair("prompt", "login");
    let to = browser.authorize(&server.issuer, url.as_str(), "petr", "heslo-456").await;
    assert!(common::params_of(&to).contains_key("code"), "{to}");

    // The nia face now knows Petr (adopted), not Jana: no login page, Petr's attributes.
    let (redirect, pages) =
        through_pages(&server, &browser, &authorize_url(&server, PORTAL_A, "openid", CLAIMS), "allow").await;
    assert_eq!(pages, ["consent:true"], "Petr's consent, without a login");
    let (_, tokens) = token(&server, PORTAL_A, &code_of(&redirect), "").await;
    let claims = open(&server, tokens["id_token"].as_str().unwrap(), &key).await;
    assert_eq!(claims["CurrentGivenName"], "Petr");
}

#[tokio::test]
async fn a_citizen_of_the_register_gets_the_registers_place_of_birth_document_and_ruian_codes() {
    let server = start(QuirkSettings::default()).await;
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/registry.jsonl");
    for args in [&["registry", "import", fixture][..], &["registry", "link", "jan-novak", USER]] {
        let out = common::cli_beside(&server, args, &[]);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stdout));
    }
    let (key, jwks) = portal_key();
    register(&server, PORTAL_A, Some(jwks)).await.unwrap();
    let asked = r#"{"id_token":{"PersonIdentifier":null,"CurrentGivenName":null,"CurrentFamilyName":null,"DateOfBirth":null,"PlaceOfBirth":null,"countryCodeOfBirth":null,"idtype":null,"idnumber":null,"tradresaid":null,"CurrentAddress":null}}"#;
    let (redirect, _) =
        through_pages(&server, &Browser::new(), &authorize_url(&server, PORTAL_A, "openid", asked), "allow").await;
    let (_, tokens) = token(&server, PORTAL_A, &code_of(&redirect), "").await;
    let claims = open(&server, tokens["id_token"].as_str().unwrap(), &key).await;
    // The register's person, not the account's profile (Jana Nováková).
    assert_eq!(
        (claims["CurrentGivenName"].as_str(), claims["CurrentFamilyName"].as_str()),
        (Some("Jan"), Some("Novák"))
    );
    assert_eq!(claims["DateOfBirth"], "1985-03-14");
    assert_eq!((claims["PlaceOfBirth"].as_str(), claims["countryCodeOfBirth"].as_str()), (Some("Praha"), Some("CZ")));
    assert_eq!((claims["idtype"].as_str(), claims["idnumber"].as_str()), (Some("ID"), Some("204518736")));
    let decoded = |name: &str| String::from_utf8(STANDARD.decode(claims[name].as_str().unwrap()).unwrap()).unwrap();
    let codes = decoded("tradresaid");
    assert!(
        codes.contains("<obecKod>554782</obecKod>") && codes.contains("<adresniMistoKod>21717036</adresniMistoKod>"),
        "{codes}"
    );
    assert!(decoded("CurrentAddress").contains("<eidas:Thoroughfare>Vodičkova</eidas:Thoroughfare>"));
}
