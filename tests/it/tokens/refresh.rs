//! Refresh tokens: rotation, narrowing, reuse detection and the grace window.

use super::*;

// ---------------------------------------------------------------------------------------------
// Refresh tokens
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn refresh_rotates_the_token_and_reissues_a_consistent_id_token() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let first = login_and_get_tokens(&server, &id, &secret, "openid profile").await;
    server.clock.advance(1);

    let second = refresh(&server, &id, &secret, str_of(&first, "refresh_token")).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.header("cache-control"), Some("no-store"));
    assert_ne!(second.str("refresh_token"), str_of(&first, "refresh_token"));
    assert_ne!(second.str("access_token"), str_of(&first, "access_token"));
    assert_eq!(userinfo(&server, second.str("access_token")).await.status, 200);

    let (old, new) = (claims_of(str_of(&first, "id_token")), claims_of(second.str("id_token")));
    for claim in ["iss", "sub", "aud", "auth_time", "azp", "acr", "sid"] {
        assert_eq!(old[claim], new[claim], "{claim}");
    }
    assert_ne!(old["iat"], new["iat"]);
    assert!(new["at_hash"].is_string());

    server.clock.advance(1);
    let third = refresh(&server, &id, &secret, second.str("refresh_token")).await;
    assert_eq!(third.status, 200, "the rotated refresh token works: {}", third.text);
}

#[tokio::test]
async fn refresh_can_narrow_the_scope_but_not_widen_it() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let first = login_and_get_tokens(&server, &id, &secret, "openid profile").await;
    let rt = str_of(&first, "refresh_token");

    let wider = [("grant_type", "refresh_token"), ("refresh_token", rt), ("scope", "openid profile email")];
    token(&server, &id, &secret, &wider).await.assert_error(400, "invalid_scope");

    let narrower = [("grant_type", "refresh_token"), ("refresh_token", rt), ("scope", "openid")];
    let reply = token(&server, &id, &secret, &narrower).await;
    assert_eq!(reply.status, 200, "the refused widening did not burn the token: {}", reply.text);
    assert_eq!(reply.str("scope"), "openid");
    let info = userinfo(&server, reply.str("access_token")).await;
    assert_eq!(info.status, 200);
    assert!(info.json.get("name").is_none(), "profile claims were released: {}", info.text);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_family() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let first = login_and_get_tokens(&server, &id, &secret, "openid").await;
    let old = str_of(&first, "refresh_token");
    let second = refresh(&server, &id, &secret, old).await;
    assert_eq!(second.status, 200, "{}", second.text);

    server.clock.advance(11);
    refresh(&server, &id, &secret, old).await.assert_error(400, "invalid_grant");
    refresh(&server, &id, &secret, second.str("refresh_token")).await.assert_error(400, "invalid_grant");
    assert_eq!(userinfo(&server, second.str("access_token")).await.status, 401);
}

/// The family of `tokens` is revoked: its refresh token is refused, its access token too.
async fn assert_revoked(server: &TestServer, id: &str, secret: &str, tokens: &Reply) {
    refresh(server, id, secret, tokens.str("refresh_token")).await.assert_error(400, "invalid_grant");
    assert_eq!(userinfo(server, tokens.str("access_token")).await.status, 401, "the access token still works");
}

#[tokio::test]
async fn refresh_reuse_in_the_same_second_without_grace_revokes_the_family() {
    // The default: no grace.
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let first = login_and_get_tokens(&server, &id, &secret, "openid").await;
    let old = str_of(&first, "refresh_token");
    let second = refresh(&server, &id, &secret, old).await;
    assert_eq!(second.status, 200, "{}", second.text);

    // The same second (the test clock stands still): still a reuse.
    refresh(&server, &id, &secret, old).await.assert_error(400, "invalid_grant");
    assert_revoked(&server, &id, &secret, &second).await;
}

#[tokio::test]
async fn refresh_retry_within_the_grace_returns_the_same_tokens() {
    let server = server_with(|config| config.tokens.refresh_grace_seconds = 10).await;
    let (id, secret) = web_client(&server, json!({})).await;
    let first = login_and_get_tokens(&server, &id, &secret, "openid").await;
    let old = str_of(&first, "refresh_token");
    let a = refresh(&server, &id, &secret, old).await;
    assert_eq!(a.status, 200, "{}", a.text);

    server.clock.advance(9);
    let b = refresh(&server, &id, &secret, old).await;
    assert_eq!(b.status, 200, "a retry within the grace window: {}", b.text);
    assert_eq!(b.str("refresh_token"), a.str("refresh_token"), "the retry got a new family");
    assert_eq!(b.str("access_token"), a.str("access_token"));
    assert_eq!(b.json["expires_in"], 3600 - 9, "{}", b.text);
    assert_eq!(userinfo(&server, b.str("access_token")).await.status, 200);
    assert!(b.json["id_token"].is_string(), "{}", b.text);

    // One family: its refresh token rotates once, and then the old one is a stale copy.
    let c = refresh(&server, &id, &secret, b.str("refresh_token")).await;
    assert_eq!(c.status, 200, "{}", c.text);
    refresh(&server, &id, &secret, old).await.assert_error(400, "invalid_grant");
    assert_revoked(&server, &id, &secret, &c).await;
}

#[tokio::test]
async fn refresh_retry_within_the_grace_cannot_widen_what_was_issued() {
    let server = server_with(|config| config.tokens.refresh_grace_seconds = 10).await;
    let (id, secret) = web_client(&server, json!({})).await;
    let first = login_and_get_tokens(&server, &id, &secret, "openid profile").await;
    let old = str_of(&first, "refresh_token");
    let narrowed = [("grant_type", "refresh_token"), ("refresh_token", old), ("scope", "openid")];
    let a = token(&server, &id, &secret, &narrowed).await;
    assert_eq!(a.status, 200, "{}", a.text);
    // The retry asks for everything; it gets what the rotation issued.
    let b = refresh(&server, &id, &secret, old).await;
    assert_eq!(b.status, 200, "{}", b.text);
    assert_eq!((b.str("access_token"), b.str("scope")), (a.str("access_token"), "openid"));
}

#[tokio::test]
async fn refresh_reuse_after_the_grace_revokes_both() {
    let server = server_with(|config| config.tokens.refresh_grace_seconds = 10).await;
    let (id, secret) = web_client(&server, json!({})).await;
    let first = login_and_get_tokens(&server, &id, &secret, "openid").await;
    let old = str_of(&first, "refresh_token");
    let second = refresh(&server, &id, &secret, old).await;
    assert_eq!(second.status, 200, "{}", second.text);

    server.clock.advance(10);
    refresh(&server, &id, &secret, old).await.assert_error(400, "invalid_grant");
    assert_revoked(&server, &id, &secret, &second).await;
}

#[tokio::test]
async fn another_client_cannot_use_or_burn_a_refresh_token() {
    let server = server().await;
    let (a, a_secret) = web_client(&server, json!({})).await;
    let (b, b_secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &a, &a_secret, "openid").await;
    let rt = str_of(&tokens, "refresh_token");

    refresh(&server, &b, &b_secret, rt).await.assert_error(400, "invalid_grant");
    server.clock.advance(11);
    let reply = refresh(&server, &a, &a_secret, rt).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}
