//! Encrypted ID tokens (OpenID Connect Core §10.2, Registration 1.0 §2) as a relying party meets
//! them: it registers an encryption key and `id_token_encrypted_response_alg`, and every ID token
//! it receives — token endpoint, refresh, front channel — is a JWE that its private key opens to
//! a JWS that identita's JWKS verifies; likewise its userinfo with
//! `userinfo_encrypted_response_alg`.

use crate::common;

use axum::routing::get;
use common::TestServer;
use josekit::jwe::JweDecrypter;
use josekit::jwk::Jwk;
use josekit::jwk::KeyPair;
use josekit::jwk::alg::rsa::RsaKeyPair;
use serde_json::{Value, json};

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const USER: &str = "jan";
const PASS: &str = "heslo-123";
const NONCE: &str = "n-0S6_WzA2Mj";

/// A server with dynamic registration and one person on it.
async fn start() -> TestServer {
    let server = TestServer::start_with(|c| c.registration.enabled = true).await;
    server.add_user(USER, PASS, json!({ "name": "Jan Novák", "email": "jan@example.cz" })).await;
    server
}

/// A relying party's RSA key: the private JWK it keeps and the public one it registers, with
/// `members` (`kid`, `use`, ...) added.
fn rsa_key(members: Value) -> (Jwk, Value) {
    let pair = RsaKeyPair::generate(2048).unwrap();
    let mut public: serde_json::Map<String, Value> = pair.to_jwk_public_key().into();
    if let Value::Object(members) = members {
        public.extend(members);
    }
    (pair.to_jwk_private_key(), Value::Object(public))
}

/// POSTs `metadata` to the registration endpoint: the status and the JSON body.
async fn register(server: &TestServer, metadata: Value) -> (u16, Value) {
    let response = reqwest::Client::new().post(server.url("/register")).json(&metadata).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Registers `metadata` (a redirect URI added), asserting success.
async fn registered(server: &TestServer, metadata: Value) -> Value {
    let mut metadata = metadata;
    metadata["redirect_uris"] = json!([REDIRECT]);
    let (status, body) = register(server, metadata).await;
    assert_eq!(status, 201, "{body}");
    body
}

/// Logs in through a browser with `response_type`; the parameters of the redirect back.
async fn log_in(
    server: &TestServer,
    client_id: &str,
    response_type: &str,
) -> std::collections::HashMap<String, String> {
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", response_type)
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid email")
        .append_pair("state", "st-1")
        .append_pair("nonce", NONCE);
    let landing = server.browser().authorize(&server.issuer, url.as_str(), USER, PASS).await;
    assert!(landing.starts_with(REDIRECT), "{landing}");
    common::params_of(&landing)
}

/// A token request with client_secret_basic: the status and the JSON body.
async fn token(server: &TestServer, client: &Value, form: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(client["client_id"].as_str().unwrap(), client["client_secret"].as_str())
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn exchange(server: &TestServer, client: &Value, code: &str) -> (u16, Value) {
    token(server, client, &[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT)]).await
}

fn part(token: &str, index: usize) -> Value {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').nth(index).unwrap()).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Opens an encrypted ID token as the relying party does: checks it is a five-part JWE, decrypts
/// it with `private`, and verifies the JWS inside with identita's JWKS. Returns the JWE header
/// and the ID token's claims.
async fn open(server: &TestServer, id_token: &str, private: &Jwk) -> (Value, Value) {
    assert_eq!(id_token.split('.').count(), 5, "a compact JWE: {id_token}");
    let header = part(id_token, 0);
    // The private JWK has no `kid`, so the decrypter does not insist on one in the header.
    let key = private;
    let decrypter: Box<dyn JweDecrypter> = match header["alg"].as_str().unwrap() {
        "RSA-OAEP" => Box::new(josekit::jwe::RSA_OAEP.decrypter_from_jwk(key).unwrap()),
        "RSA-OAEP-256" => Box::new(josekit::jwe::RSA_OAEP_256.decrypter_from_jwk(key).unwrap()),
        other => panic!("unexpected alg {other}"),
    };
    let (inner, _) =
        josekit::jwe::deserialize_compact(id_token, decrypter.as_ref()).expect("the client's key opens it");
    let jws = String::from_utf8(inner).unwrap();
    assert_eq!(jws.split('.').count(), 3, "a JWS inside: {jws}");
    (header, verify(server, &jws).await)
}

/// Verifies a JWS with the key of identita's JWKS its `kid` names; returns its claims.
async fn verify(server: &TestServer, jws: &str) -> Value {
    let jwks: Value = reqwest::get(server.url("/jwks")).await.unwrap().json().await.unwrap();
    let header = part(jws, 0);
    assert_eq!(header["alg"], "RS256");
    let key = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == header["kid"]).expect("a key of the JWKS");
    let jwk = Jwk::from_bytes(serde_json::to_vec(key).unwrap()).unwrap();
    let verifier = josekit::jws::RS256.verifier_from_jwk(&jwk).unwrap();
    let (payload, _) = josekit::jwt::decode_with_verifier(jws, &verifier).expect("identita's signature verifies");
    Value::Object(payload.claims_set().clone())
}

#[tokio::test]
async fn a_client_with_an_rsa_key_gets_encrypted_id_tokens_from_the_token_endpoint_and_on_refresh() {
    let server = start().await;
    let (_, signing) = rsa_key(json!({ "kid": "rp-sig", "use": "sig" }));
    let (private, public) = rsa_key(json!({ "kid": "rp-enc", "use": "enc" }));
    let client = registered(
        &server,
        json!({
            "grant_types": ["authorization_code", "refresh_token"],
            "jwks": { "keys": [signing, public] },
            "id_token_encrypted_response_alg": "RSA-OAEP",
            "id_token_encrypted_response_enc": "A256CBC-HS512",
        }),
    )
    .await;
    assert_eq!(client["id_token_encrypted_response_alg"], "RSA-OAEP");
    assert_eq!(client["id_token_encrypted_response_enc"], "A256CBC-HS512");
    let client_id = client["client_id"].as_str().unwrap();
    let read: Value = reqwest::Client::new()
        .get(client["registration_client_uri"].as_str().unwrap())
        .bearer_auth(client["registration_access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["id_token_encrypted_response_enc"], "A256CBC-HS512", "{read}");

    let params = log_in(&server, client_id, "code").await;
    let (status, tokens) = exchange(&server, &client, &params["code"]).await;
    assert_eq!(status, 200, "{tokens}");
    let (header, claims) = open(&server, tokens["id_token"].as_str().unwrap(), &private).await;
    assert_eq!(header["alg"], "RSA-OAEP");
    assert_eq!(header["enc"], "A256CBC-HS512");
    assert_eq!(header["cty"], "JWT");
    assert_eq!(header["kid"], "rp-enc", "the key encrypted to is named");
    assert_eq!(claims["iss"], server.issuer);
    assert_eq!(claims["aud"], client_id);
    assert_eq!(claims["nonce"], NONCE);
    assert!(claims["sub"].is_string() && claims["at_hash"].is_string(), "{claims}");

    server.clock.advance(1);
    let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token");
    let (status, refreshed) =
        token(&server, &client, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await;
    assert_eq!(status, 200, "{refreshed}");
    let (header, again) = open(&server, refreshed["id_token"].as_str().unwrap(), &private).await;
    assert_eq!((header["alg"].as_str(), header["kid"].as_str()), (Some("RSA-OAEP"), Some("rp-enc")));
    assert_eq!(again["sub"], claims["sub"]);
    assert_eq!(again["aud"], client_id);
}

#[tokio::test]
async fn front_channel_id_tokens_are_encrypted_too_and_enc_defaults_to_a128cbc_hs256() {
    let server = start().await;
    let (private, public) = rsa_key(json!({ "kid": "rp-enc-256" }));
    let client = registered(
        &server,
        json!({
            "response_types": ["id_token", "code id_token"],
            "jwks": { "keys": [public] },
            "id_token_encrypted_response_alg": "RSA-OAEP-256",
        }),
    )
    .await;
    assert_eq!(client["id_token_encrypted_response_enc"], "A128CBC-HS256", "Registration §2's default");
    let client_id = client["client_id"].as_str().unwrap();

    for response_type in ["id_token", "code id_token"] {
        let params = log_in(&server, client_id, response_type).await;
        assert_eq!(params["state"], "st-1");
        let (header, claims) = open(&server, &params["id_token"], &private).await;
        assert_eq!(header["alg"], "RSA-OAEP-256");
        assert_eq!(header["enc"], "A128CBC-HS256");
        assert_eq!(header["cty"], "JWT");
        assert_eq!(header["kid"], "rp-enc-256");
        assert_eq!(claims["nonce"], NONCE, "{response_type}");
        assert_eq!(claims["aud"], client_id);
        assert_eq!(claims.get("c_hash").is_some(), response_type.contains("code"), "{claims}");
    }
}

#[tokio::test]
async fn registration_refuses_encryption_it_cannot_do() {
    let server = start().await;
    let (_, enc_key) = rsa_key(json!({ "kid": "e", "use": "enc" }));
    let (_, sig_key) = rsa_key(json!({ "kid": "s", "use": "sig" }));
    let refused = [
        ("enc without alg", json!({ "jwks": { "keys": [enc_key] }, "id_token_encrypted_response_enc": "A128GCM" })),
        ("an unknown alg", json!({ "jwks": { "keys": [enc_key] }, "id_token_encrypted_response_alg": "RSA1_5" })),
        (
            "an unknown enc",
            json!({
                "jwks": { "keys": [enc_key] },
                "id_token_encrypted_response_alg": "RSA-OAEP",
                "id_token_encrypted_response_enc": "A192GCM",
            }),
        ),
        ("no keys", json!({ "id_token_encrypted_response_alg": "RSA-OAEP" })),
        ("a signing key only", json!({ "jwks": { "keys": [sig_key] }, "id_token_encrypted_response_alg": "RSA-OAEP" })),
        (
            "an RSA key for ECDH-ES",
            json!({ "jwks": { "keys": [enc_key] }, "id_token_encrypted_response_alg": "ECDH-ES" }),
        ),
    ];
    for (what, mut metadata) in refused {
        metadata["redirect_uris"] = json!([REDIRECT]);
        let (status, body) = register(&server, metadata).await;
        assert_eq!(status, 400, "{what}: {body}");
        assert_eq!(body["error"], "invalid_client_metadata", "{what}: {body}");
    }
}

#[tokio::test]
async fn discovery_lists_the_encryption_algorithms() {
    let server = start().await;
    let doc: Value = reqwest::get(server.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(doc["id_token_encryption_alg_values_supported"], json!(["RSA-OAEP", "RSA-OAEP-256", "ECDH-ES"]));
    let encs = json!(["A128CBC-HS256", "A256CBC-HS512", "A128GCM", "A256GCM"]);
    assert_eq!(doc["id_token_encryption_enc_values_supported"], encs);
    assert_eq!(doc["userinfo_encryption_alg_values_supported"], doc["id_token_encryption_alg_values_supported"]);
    assert_eq!(doc["userinfo_encryption_enc_values_supported"], encs);
}

/// Decrypts a JWE with the RSA-OAEP key `private`: its header and its content.
fn decrypt(jwe: &str, private: &Jwk) -> (Value, Vec<u8>) {
    assert_eq!(jwe.split('.').count(), 5, "a compact JWE: {jwe}");
    let decrypter = josekit::jwe::RSA_OAEP.decrypter_from_jwk(private).unwrap();
    let (content, _) = josekit::jwe::deserialize_compact(jwe, &decrypter).expect("the client's key opens it");
    (part(jwe, 0), content)
}

#[tokio::test]
async fn userinfo_is_encrypted_around_the_json_or_around_the_signed_jwt() {
    let server = start().await;
    let (private, public) = rsa_key(json!({ "kid": "ui-enc", "use": "enc" }));
    let jwks = json!({ "keys": [public] });
    let plain = registered(&server, json!({ "jwks": jwks, "userinfo_encrypted_response_alg": "RSA-OAEP" })).await;
    let signed = registered(
        &server,
        json!({
            "jwks": jwks,
            "userinfo_signed_response_alg": "RS256",
            "userinfo_encrypted_response_alg": "RSA-OAEP",
            "userinfo_encrypted_response_enc": "A256GCM",
        }),
    )
    .await;
    assert_eq!(plain["userinfo_encrypted_response_enc"], "A128CBC-HS256");

    for (client, nested) in [(&plain, false), (&signed, true)] {
        let params = log_in(&server, client["client_id"].as_str().unwrap(), "code").await;
        let (status, tokens) = exchange(&server, client, &params["code"]).await;
        assert_eq!(status, 200, "{tokens}");
        assert_eq!(tokens["id_token"].as_str().unwrap().split('.').count(), 3, "only userinfo asked for encryption");
        let sub = part(tokens["id_token"].as_str().unwrap(), 1)["sub"].clone();
        let response = reqwest::Client::new()
            .get(server.url("/userinfo"))
            .bearer_auth(tokens["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/jwt");
        let (header, content) = decrypt(&response.text().await.unwrap(), &private);
        assert_eq!(header["kid"], "ui-enc");
        let claims: Value = if nested {
            assert_eq!((header["enc"].as_str(), header["cty"].as_str()), (Some("A256GCM"), Some("JWT")));
            verify(&server, &String::from_utf8(content).unwrap()).await
        } else {
            assert_eq!(header.get("cty"), None, "{header}");
            serde_json::from_slice(&content).unwrap()
        };
        assert_eq!(claims["sub"], sub);
        assert_eq!(claims["email"], "jan@example.cz");
    }
}

/// Serves `jwks` at `http://127.0.0.1:<port>/jwks.json`; returns the URL.
async fn serve_jwks(jwks: Value) -> String {
    let app = axum::Router::new().route("/jwks.json", get(move || async move { axum::Json(jwks) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn a_jwks_uri_with_an_encryption_key_is_encrypted_to_and_one_without_is_a_clear_client_error() {
    let server = start().await;
    let (private, public) = rsa_key(json!({ "kid": "from-uri", "use": "enc" }));
    let (_, signing) = rsa_key(json!({ "kid": "sig-only", "use": "sig" }));
    let good = registered(
        &server,
        json!({ "jwks_uri": serve_jwks(json!({ "keys": [public] })).await, "id_token_encrypted_response_alg": "RSA-OAEP" }),
    )
    .await;
    let params = log_in(&server, good["client_id"].as_str().unwrap(), "code").await;
    let (status, tokens) = exchange(&server, &good, &params["code"]).await;
    assert_eq!(status, 200, "{tokens}");
    let (header, _) = open(&server, tokens["id_token"].as_str().unwrap(), &private).await;
    assert_eq!(header["kid"], "from-uri");

    // Registration cannot see what a jwks_uri will hold; the token request finds out.
    let bad = registered(
        &server,
        json!({
            "response_types": ["code", "id_token"],
            "jwks_uri": serve_jwks(json!({ "keys": [signing] })).await,
            "id_token_encrypted_response_alg": "RSA-OAEP",
        }),
    )
    .await;
    let bad_id = bad["client_id"].as_str().unwrap();
    let params = log_in(&server, bad_id, "code").await;
    let (status, body) = exchange(&server, &bad, &params["code"]).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_client_metadata", "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(description.contains("encryption key"), "{description}");
    assert!(body.get("id_token").is_none() && body.get("access_token").is_none(), "{body}");

    let params = log_in(&server, bad_id, "id_token").await;
    assert_eq!(params.get("error").map(String::as_str), Some("invalid_client_metadata"), "{params:?}");
    assert_eq!(params["state"], "st-1");
    assert!(!params.contains_key("id_token"), "{params:?}");
}
