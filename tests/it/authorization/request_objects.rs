//! Request objects: request and request_uri, signed and unsigned.

use super::*;

// --- request objects -------------------------------------------------------------------------

/// The request object claims of a code request by `rp`, with `state` only inside.
fn request_claims(server: &TestServer, rp: &Rp, state: &str) -> serde_json::Map<String, Value> {
    let now = server.provider.now();
    json!({
        "iss": rp.id, "aud": server.issuer, "exp": now + 300, "iat": now,
        "client_id": rp.id, "response_type": "code", "redirect_uri": rp.redirect,
        "scope": "openid", "state": state, "nonce": NONCE,
    })
    .as_object()
    .cloned()
    .unwrap()
}

fn unsigned_jwt(claims: &serde_json::Map<String, Value>) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    format!("{header}.{payload}.")
}

fn signed_jwt(key: &josekit::jwk::alg::rsa::RsaKeyPair, claims: &serde_json::Map<String, Value>) -> String {
    let signer = josekit::jws::RS256.signer_from_der(key.to_der_private_key()).unwrap();
    let mut header = josekit::jws::JwsHeader::new();
    header.set_token_type("oauth-authz-req+jwt");
    let payload = josekit::jwt::JwtPayload::from_map(claims.clone()).unwrap();
    josekit::jwt::encode_with_signer(&payload, &header, &signer).unwrap()
}

fn rsa_key() -> josekit::jwk::alg::rsa::RsaKeyPair {
    josekit::jws::RS256.generate_key_pair(2048).unwrap()
}

fn jwks_of(key: &josekit::jwk::alg::rsa::RsaKeyPair) -> Value {
    let jwk: serde_json::Map<String, Value> = key.to_jwk_public_key().into();
    json!({ "keys": [jwk] })
}

/// The outer parameters of a request that carries its request object in `name`.
fn outer(server: &TestServer, rp: &Rp, name: &str, value: &str) -> String {
    authorize_url(server, rp, &[("state", ""), (name, value)])
}

#[tokio::test]
async fn unsigned_request_object_supplies_state_and_nonce() {
    let (server, rp) = setup(json!({})).await;
    let jwt = unsigned_jwt(&request_claims(&server, &rp, "ze-objektu"));
    let redirect =
        server.browser().authorize(&server.issuer, &outer(&server, &rp, "request", &jwt), USER, PASSWORD).await;
    code_of(&rp, &redirect);
    assert_eq!(params_of(&redirect)["state"], "ze-objektu");
    let id_token = id_token_for(&server, &rp, &redirect).await;
    assert_eq!(id_token["nonce"], NONCE);
}

#[tokio::test]
async fn request_object_signed_with_the_clients_registered_key_is_accepted() {
    let key = rsa_key();
    let (server, rp) = setup(json!({ "jwks": jwks_of(&key), "request_object_signing_alg": "RS256" })).await;
    let jwt = signed_jwt(&key, &request_claims(&server, &rp, "podepsano"));
    let redirect =
        server.browser().authorize(&server.issuer, &outer(&server, &rp, "request", &jwt), USER, PASSWORD).await;
    code_of(&rp, &redirect);
    assert_eq!(params_of(&redirect)["state"], "podepsano");
}

#[tokio::test]
async fn request_object_signed_with_another_key_is_invalid_request_object() {
    let (server, rp) = setup(json!({ "jwks": jwks_of(&rsa_key()), "request_object_signing_alg": "RS256" })).await;
    let jwt = signed_jwt(&rsa_key(), &request_claims(&server, &rp, "podvrh"));
    let landing = server.browser().visit(&server.issuer, &outer(&server, &rp, "request", &jwt)).await;
    assert_eq!(error_of(&rp, &expect_redirect(landing)), "invalid_request_object");
}

#[tokio::test]
async fn request_uri_hosted_by_the_client_is_fetched() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let request_uri = format!("http://{}/request.jwt", listener.local_addr().unwrap());
    let (server, rp) = setup(json!({ "request_uris": [request_uri] })).await;
    let jwt = unsigned_jwt(&request_claims(&server, &rp, "z-odkazu"));
    let app = axum::Router::new().route("/request.jwt", axum::routing::get(move || async move { jwt }));
    let host = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let url = outer(&server, &rp, "request_uri", &request_uri);
    let redirect = server.browser().authorize(&server.issuer, &url, USER, PASSWORD).await;
    host.abort();
    code_of(&rp, &redirect);
    assert_eq!(params_of(&redirect)["state"], "z-odkazu");
}

#[tokio::test]
async fn unregistered_request_uri_is_invalid_request_uri() {
    let (server, rp) = setup(json!({ "request_uris": ["http://127.0.0.1:9/registered.jwt"] })).await;
    let url = outer(&server, &rp, "request_uri", "http://127.0.0.1:9/other.jwt");
    let landing = server.browser().visit(&server.issuer, &url).await;
    assert_eq!(error_of(&rp, &expect_redirect(landing)), "invalid_request_uri");
}
