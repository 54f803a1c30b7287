//! ID-token signing algorithms per client, and persistence across a restart.

use super::*;

// ---------------------------------------------------------------------------------------------
// ID token signing algorithms
// ---------------------------------------------------------------------------------------------

async fn check_signing_alg(alg: &str, core: CoreJwsSigningAlgorithm) {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({ "id_token_signed_response_alg": alg })).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid").await;
    let raw = str_of(&tokens, "id_token");
    let header = header_of(raw);
    assert_eq!(header["alg"], alg);
    let jwks = jwks_of(&server).await;
    let kid = header["kid"].as_str().expect("a kid");
    assert!(jwks["keys"].as_array().unwrap().iter().any(|k| k["kid"] == kid), "kid {kid} not in {jwks}");

    let verifier = id_token_verifier(&server, &id, &secret).await.set_allowed_algs(vec![core]);
    let id_token = CoreIdToken::from_str(raw).unwrap();
    let claims = id_token.claims(&verifier, &Nonce::new(NONCE.into())).unwrap();
    let expected_hash = AccessTokenHash::from_token(
        &AccessToken::new(str_of(&tokens, "access_token").into()),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));
    verify_with_jwks(raw, &jwks);
}

#[tokio::test]
async fn an_es256_client_gets_an_es256_id_token() {
    check_signing_alg("ES256", CoreJwsSigningAlgorithm::EcdsaP256Sha256).await;
}

#[tokio::test]
async fn a_ps256_client_gets_a_ps256_id_token() {
    check_signing_alg("PS256", CoreJwsSigningAlgorithm::RsaSsaPssSha256).await;
}

#[tokio::test]
async fn an_eddsa_client_gets_an_eddsa_id_token() {
    check_signing_alg("EdDSA", CoreJwsSigningAlgorithm::EdDsa).await;
}

// ---------------------------------------------------------------------------------------------
// Persistence across a restart
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn tokens_keys_and_sessions_survive_a_restart() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let browser = server.browser();
    let code = code_with(&server, &browser, &id, "openid", &[]).await;
    let tokens = exchange(&server, &id, &secret, &code).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let jwks_before = jwks_of(&server).await;

    let server = server.restart().await;

    assert_eq!(jwks_of(&server).await, jwks_before);
    let refreshed = refresh(&server, &id, &secret, tokens.str("refresh_token")).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_eq!(userinfo(&server, refreshed.str("access_token")).await.status, 200);

    let silent = authorize_url(&server, &id, "openid", &[("prompt", "none")]);
    match browser.visit(&server.issuer, &silent).await {
        Landing::Redirect(to) => {
            let params = common::params_of(&to);
            assert!(params.contains_key("code"), "prompt=none after a restart: {to}");
        }
        Landing::Page(status, html) => panic!("prompt=none showed a page ({status}):\n{html}"),
    }
    server.stop().await;
}
