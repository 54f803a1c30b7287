//! Authorization codes at the token endpoint: exchange, single use, expiry, PKCE.

use super::*;

// ---------------------------------------------------------------------------------------------
// Code exchange
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn code_exchange_returns_bearer_tokens_and_a_complete_id_token() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let code = code(&server, &id, "openid profile").await;
    let reply = exchange(&server, &id, &secret, &code).await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert!(!reply.str("access_token").is_empty());
    assert!(reply.str("token_type").eq_ignore_ascii_case("bearer"));
    assert!(reply.json["expires_in"].as_i64().unwrap() > 0);
    assert!(reply.json["refresh_token"].is_string());
    let scope: Vec<&str> = reply.str("scope").split(' ').collect();
    assert!(scope.contains(&"openid") && scope.contains(&"profile"), "{scope:?}");

    // The ID token, as the openidconnect crate checks it (signature, iss, aud, exp, nonce).
    let raw = reply.str("id_token");
    let id_token = CoreIdToken::from_str(raw).unwrap();
    let verifier = id_token_verifier(&server, &id, &secret).await;
    let verified = id_token.claims(&verifier, &Nonce::new(NONCE.into())).unwrap();
    let expected_hash = AccessTokenHash::from_token(
        &AccessToken::new(reply.str("access_token").into()),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(verified.access_token_hash(), Some(&expected_hash));

    let claims = claims_of(raw);
    assert_eq!(claims["iss"], server.issuer);
    assert!(claims["sub"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(claims["aud"] == json!(id) || claims["aud"] == json!([id]), "{claims}");
    assert_eq!(claims["azp"], id);
    assert_eq!(claims["nonce"], NONCE);
    let iat = claims["iat"].as_i64().unwrap();
    assert!(claims["exp"].as_i64().unwrap() > iat);
    assert!(claims["auth_time"].as_i64().unwrap() <= iat);
    assert!(claims["acr"].as_str().is_some_and(|s| !s.is_empty()), "{claims}");
    assert!(claims["amr"].as_array().is_some_and(|a| !a.is_empty()), "{claims}");
    assert!(claims["sid"].as_str().is_some_and(|s| !s.is_empty()), "{claims}");
    assert!(claims["at_hash"].is_string(), "{claims}");
}

#[tokio::test]
async fn reusing_a_code_fails_and_revokes_what_the_first_exchange_issued() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let code = code(&server, &id, "openid").await;
    let first = exchange(&server, &id, &secret, &code).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(userinfo(&server, first.str("access_token")).await.status, 200);

    exchange(&server, &id, &secret, &code).await.assert_error(400, "invalid_grant");

    assert_eq!(userinfo(&server, first.str("access_token")).await.status, 401);
    refresh(&server, &id, &secret, first.str("refresh_token")).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn two_concurrent_redemptions_of_a_code_leave_no_live_token() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    for _ in 0..5 {
        let code = code(&server, &id, "openid").await;
        let (a, b) = tokio::join!(exchange(&server, &id, &secret, &code), exchange(&server, &id, &secret, &code));
        // At most one wins the race, and whatever it got is revoked once the replay is seen.
        assert!(a.status == 400 || b.status == 400, "{} / {}", a.text, b.text);
        for reply in [a, b] {
            if reply.status == 200 {
                assert_eq!(userinfo(&server, reply.str("access_token")).await.status, 401);
            } else {
                reply.assert_error(400, "invalid_grant");
            }
        }
    }
}

#[tokio::test]
async fn an_expired_code_is_invalid_grant() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let code = code(&server, &id, "openid").await;
    server.clock.advance(61);
    exchange(&server, &id, &secret, &code).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_different_redirect_uri_at_exchange_is_invalid_grant() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({ "redirect_uris": [REDIRECT, "http://127.0.0.1:9/other"] })).await;
    let code = code(&server, &id, "openid").await;
    let form = [("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "http://127.0.0.1:9/other")];
    token(&server, &id, &secret, &form).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_code_issued_to_one_client_cannot_be_redeemed_by_another() {
    let server = server().await;
    let (a, _) = web_client(&server, json!({})).await;
    let (b, b_secret) = web_client(&server, json!({})).await;
    let code = code(&server, &a, "openid").await;
    exchange(&server, &b, &b_secret, &code).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_wrong_client_attempt_leaves_the_code_redeemable() {
    let server = server().await;
    let (a, a_secret) = web_client(&server, json!({})).await;
    let (b, b_secret) = web_client(&server, json!({})).await;
    let code = code(&server, &a, "openid").await;
    exchange(&server, &b, &b_secret, &code).await.assert_error(400, "invalid_grant");
    let wrong_uri = [("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "http://127.0.0.1:9/x")];
    token(&server, &a, &a_secret, &wrong_uri).await.assert_error(400, "invalid_grant");

    let reply = exchange(&server, &a, &a_secret, &code).await;
    assert_eq!(reply.status, 200, "the refused attempts burned the code: {}", reply.text);
    // Nor can the other client revoke what the code issued by presenting it again.
    exchange(&server, &b, &b_secret, &code).await.assert_error(400, "invalid_grant");
    assert_eq!(userinfo(&server, reply.str("access_token")).await.status, 200);
}

// ---------------------------------------------------------------------------------------------
// PKCE (RFC 7636)
// ---------------------------------------------------------------------------------------------

async fn pkce_code(server: &TestServer, client_id: &str, challenge: &str) -> String {
    let extra = [("code_challenge", challenge), ("code_challenge_method", "S256")];
    code_with(server, &server.browser(), client_id, "openid", &extra).await
}

#[tokio::test]
async fn pkce_with_a_wrong_verifier_is_invalid_grant() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let (_, challenge) = pkce_pair();
    let code = pkce_code(&server, &id, &challenge).await;
    let (other_verifier, _) = pkce_pair();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", other_verifier.as_str()),
    ];
    token(&server, &id, &secret, &form).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn pkce_without_the_verifier_is_invalid_grant() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let (_, challenge) = pkce_pair();
    let code = pkce_code(&server, &id, &challenge).await;
    exchange(&server, &id, &secret, &code).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_missing_verifier_attempt_leaves_the_code_redeemable() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let (verifier, challenge) = pkce_pair();
    let code = pkce_code(&server, &id, &challenge).await;
    exchange(&server, &id, &secret, &code).await.assert_error(400, "invalid_grant");
    let with_verifier = |verifier: String| {
        let (server, id, secret, code) = (&server, &id, &secret, &code);
        async move {
            let form = [
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
            ];
            token(server, id, secret, &form).await
        }
    };
    with_verifier(pkce_pair().0).await.assert_error(400, "invalid_grant");

    let reply = with_verifier(verifier).await;
    assert_eq!(reply.status, 200, "the refused attempts burned the code: {}", reply.text);
    assert_eq!(userinfo(&server, reply.str("access_token")).await.status, 200);
}

#[tokio::test]
async fn a_verifier_without_a_challenge_is_invalid_grant() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let code = code(&server, &id, "openid").await;
    let (verifier, _) = pkce_pair();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    token(&server, &id, &secret, &form).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_public_client_completes_the_flow_with_pkce_and_no_secret() {
    let server = server().await;
    let (id, secret) = server
        .add_client(json!({
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code"],
            "token_endpoint_auth_method": "none",
        }))
        .await;
    assert!(secret.is_none());
    let (verifier, challenge) = pkce_pair();
    let code = pkce_code(&server, &id, &challenge).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", id.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let reply = post(&server, "/token", None, &form).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.json["id_token"].is_string());
    assert_eq!(userinfo(&server, reply.str("access_token")).await.status, 200);
}
