//! Token introspection (RFC 7662) and revocation (RFC 7009).

use super::*;

// ---------------------------------------------------------------------------------------------
// Introspection (RFC 7662)
// ---------------------------------------------------------------------------------------------

async fn introspect(server: &TestServer, id: &str, secret: &str, token: &str) -> Reply {
    post(server, "/introspect", Some((id, secret)), &[("token", token)]).await
}

#[tokio::test]
async fn introspection_describes_an_active_access_token() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid profile").await;
    let reply = introspect(&server, &id, &secret, str_of(&tokens, "access_token")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["active"], true);
    assert_eq!(reply.json["scope"], tokens["scope"]);
    assert_eq!(reply.json["client_id"], id);
    assert_eq!(reply.json["sub"], claims_of(str_of(&tokens, "id_token"))["sub"]);
    assert!(reply.json["exp"].as_i64().is_some());
    assert!(reply.str("token_type").eq_ignore_ascii_case("bearer"));
}

#[tokio::test]
async fn introspection_reports_a_refresh_token_active() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid").await;
    let reply = introspect(&server, &id, &secret, str_of(&tokens, "refresh_token")).await;
    assert_eq!(reply.json["active"], true, "{}", reply.text);
}

#[tokio::test]
async fn introspection_reports_revoked_foreign_and_unknown_tokens_inactive() {
    let server = server().await;
    let (a, a_secret) = web_client(&server, json!({})).await;
    let (b, b_secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &a, &a_secret, "openid").await;
    let at = str_of(&tokens, "access_token");

    let foreign = introspect(&server, &b, &b_secret, at).await;
    assert_eq!(foreign.status, 200);
    assert_eq!(foreign.json, json!({ "active": false }));

    let unknown = introspect(&server, &a, &a_secret, "no-such-token").await;
    assert_eq!(unknown.json, json!({ "active": false }));

    let revoked = post(&server, "/revoke", Some((&a, &a_secret)), &[("token", at)]).await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(introspect(&server, &a, &a_secret, at).await.json, json!({ "active": false }));
}

#[tokio::test]
async fn introspection_requires_client_authentication() {
    let server = server().await;
    let reply = post(&server, "/introspect", None, &[("token", "whatever")]).await;
    reply.assert_error(401, "invalid_client");
}

// ---------------------------------------------------------------------------------------------
// Revocation (RFC 7009)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn revoking_an_access_token_stops_it_at_userinfo() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid").await;
    let at = str_of(&tokens, "access_token");
    let reply =
        post(&server, "/revoke", Some((&id, &secret)), &[("token", at), ("token_type_hint", "access_token")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(userinfo(&server, at).await.status, 401);
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_grant() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &id, &secret, "openid").await;
    let rt = str_of(&tokens, "refresh_token");
    let reply = post(&server, "/revoke", Some((&id, &secret)), &[("token", rt)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    refresh(&server, &id, &secret, rt).await.assert_error(400, "invalid_grant");
    assert_eq!(userinfo(&server, str_of(&tokens, "access_token")).await.status, 401);
}

#[tokio::test]
async fn revoking_an_unknown_token_is_ok() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let reply = post(&server, "/revoke", Some((&id, &secret)), &[("token", "no-such-token")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn a_client_cannot_revoke_another_clients_token() {
    let server = server().await;
    let (a, a_secret) = web_client(&server, json!({})).await;
    let (b, b_secret) = web_client(&server, json!({})).await;
    let tokens = login_and_get_tokens(&server, &a, &a_secret, "openid").await;
    let at = str_of(&tokens, "access_token");
    let reply = post(&server, "/revoke", Some((&b, &b_secret)), &[("token", at)]).await;
    assert!((400..500).contains(&reply.status), "{} {}", reply.status, reply.text);
    assert!(reply.json["error"].is_string(), "{}", reply.text);
    assert_eq!(userinfo(&server, at).await.status, 200);
}
