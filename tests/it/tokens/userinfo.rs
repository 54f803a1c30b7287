//! Malformed token requests, and the userinfo endpoint.

use super::*;

// ---------------------------------------------------------------------------------------------
// Malformed token requests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_token_request_without_grant_type_is_invalid_request() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    token(&server, &id, &secret, &[("code", "abc")]).await.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn an_unknown_grant_type_is_unsupported_grant_type() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    token(&server, &id, &secret, &[("grant_type", "urn:example:magic")])
        .await
        .assert_error(400, "unsupported_grant_type");
}

#[tokio::test]
async fn a_json_body_at_the_token_endpoint_is_invalid_request() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let response = http()
        .post(server.url("/token"))
        .basic_auth(&id, Some(&secret))
        .json(&json!({ "grant_type": "client_credentials" }))
        .send()
        .await
        .unwrap();
    Reply::of(response).await.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn a_repeated_parameter_at_the_token_endpoint_is_invalid_request() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let form = [("grant_type", "refresh_token"), ("refresh_token", "a"), ("refresh_token", "b")];
    token(&server, &id, &secret, &form).await.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn missing_parameters_are_invalid_request_never_a_server_error() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    token(&server, &id, &secret, &[("grant_type", "authorization_code")]).await.assert_error(400, "invalid_request");
    token(&server, &id, &secret, &[("grant_type", "refresh_token")]).await.assert_error(400, "invalid_request");
    let garbage = token(&server, &id, &secret, &[("grant_type", "authorization_code"), ("code", "nope")]).await;
    garbage.assert_error(400, "invalid_grant");
}

// ---------------------------------------------------------------------------------------------
// Userinfo
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn userinfo_accepts_a_bearer_header_on_get_and_a_form_token_on_post() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid profile email").await;
    let at = str_of(&tokens, "access_token");
    let sub = claims_of(str_of(&tokens, "id_token"))["sub"].clone();

    let get = userinfo(&server, at).await;
    assert_eq!(get.status, 200, "{}", get.text);
    assert_eq!(get.json["sub"], sub);
    assert_eq!(get.json["email"], "jan@example.cz");
    assert_eq!(get.header("cache-control"), Some("no-store"));

    let post =
        Reply::of(http().post(server.url("/userinfo")).form(&[("access_token", at)]).send().await.unwrap()).await;
    assert_eq!(post.status, 200, "{}", post.text);
    assert_eq!(post.json["sub"], sub);
}

#[tokio::test]
async fn userinfo_with_the_token_in_two_places_is_invalid_request() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid").await;
    let at = str_of(&tokens, "access_token");
    let response =
        http().post(server.url("/userinfo")).bearer_auth(at).form(&[("access_token", at)]).send().await.unwrap();
    let reply = Reply::of(response).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert!(reply.header("www-authenticate").is_some_and(|v| v.contains("error=\"invalid_request\"")));
}

#[tokio::test]
async fn userinfo_without_a_token_is_a_bare_bearer_challenge() {
    let server = server().await;
    let reply = Reply::of(http().get(server.url("/userinfo")).send().await.unwrap()).await;
    assert_eq!(reply.status, 401);
    let challenge = reply.header("www-authenticate").expect("a challenge");
    assert!(challenge.starts_with("Bearer realm="), "{challenge}");
    assert!(!challenge.contains("error="), "RFC 6750 §3.1: no error code without credentials: {challenge}");
}

#[tokio::test]
async fn userinfo_with_a_garbage_token_is_invalid_token() {
    let server = server().await;
    let reply = userinfo(&server, "not-a-token").await;
    assert_eq!(reply.status, 401);
    assert!(reply.header("www-authenticate").is_some_and(|v| v.contains("error=\"invalid_token\"")));
}

#[tokio::test]
async fn userinfo_refuses_an_expired_access_token() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid").await;
    server.clock.advance(3601);
    let reply = userinfo(&server, str_of(&tokens, "access_token")).await;
    assert_eq!(reply.status, 401);
    assert!(reply.header("www-authenticate").is_some_and(|v| v.contains("error=\"invalid_token\"")));
}

#[tokio::test]
async fn signed_userinfo_is_a_jwt_that_verifies_with_the_jwks() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({ "userinfo_signed_response_alg": "RS256" })).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid email").await;
    let reply = userinfo(&server, str_of(&tokens, "access_token")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.header("content-type").is_some_and(|v| v.starts_with("application/jwt")));
    assert_eq!(header_of(&reply.text)["alg"], "RS256");
    let claims = verify_with_jwks(&reply.text, &jwks_of(&server).await);
    assert_eq!(claims["iss"], server.issuer);
    assert!(claims["aud"] == json!(id) || claims["aud"] == json!([id]), "{claims}");
    assert_eq!(claims["sub"], claims_of(str_of(&tokens, "id_token"))["sub"]);
    assert_eq!(claims["email"], "jan@example.cz");
}
