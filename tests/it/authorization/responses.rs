//! The claims parameter, and implicit, hybrid and form_post responses.

use super::*;

// --- the claims parameter --------------------------------------------------------------------

#[tokio::test]
async fn claims_parameter_releases_a_userinfo_claim_beyond_the_scopes() {
    let (server, rp) = setup(json!({})).await;
    let claims = r#"{"userinfo":{"name":{"essential":true}}}"#;
    let redirect = log_in(&server, &server.browser(), &rp, &[("claims", claims)]).await;
    let tokens = exchange(&server, &rp, &code_of(&rp, &redirect)).await;
    let info: Value = reqwest::Client::new()
        .get(server.url("/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["name"], "Jan Novák");
    assert_eq!(info.get("email"), None, "only what was asked for: {info}");
}

#[tokio::test]
async fn claims_parameter_puts_a_claim_in_the_id_token() {
    let (server, rp) = setup(json!({})).await;
    let redirect = log_in(&server, &server.browser(), &rp, &[("claims", r#"{"id_token":{"email":null}}"#)]).await;
    let id_token = id_token_for(&server, &rp, &redirect).await;
    assert_eq!(id_token["email"], "jan@example.cz");
}

#[tokio::test]
async fn malformed_claims_parameter_is_invalid_request() {
    let (server, rp) = setup(json!({})).await;
    let url = authorize_url(&server, &rp, &[("claims", "{\"userinfo\":")]);
    let redirect = expect_redirect(server.browser().visit(&server.issuer, &url).await);
    assert_eq!(error_of(&rp, &redirect), "invalid_request");
    assert_eq!(params_of(&redirect)["state"], STATE);
}

// --- implicit and hybrid responses -----------------------------------------------------------

/// Runs `response_type` through the pages and checks the fragment response: state, iss, and
/// for an ID token its signature, nonce and half-hashes.
async fn front_channel_response(response_type: &str) -> HashMap<String, String> {
    let (server, rp) = setup(json!({ "response_types": [response_type] })).await;
    let redirect = log_in(&server, &server.browser(), &rp, &[("response_type", response_type), ("nonce", NONCE)]).await;
    let parsed = url::Url::parse(&redirect).unwrap();
    assert_eq!(parsed.query(), None, "the response is in the fragment: {redirect}");
    assert!(parsed.fragment().is_some(), "{redirect}");
    let params = response_of(&rp, &redirect);
    assert_eq!(params.get("error"), None, "{redirect}");
    assert_eq!(params["state"], STATE);
    assert_eq!(params["iss"], server.issuer);
    for word in response_type.split(' ') {
        let member = if word == "token" { "access_token" } else { word };
        assert!(params.contains_key(member), "{response_type} returns {member}: {redirect}");
    }
    if let Some(id_token) = params.get("id_token") {
        let claims = verify_id_token(&server, &rp, id_token).await;
        assert_eq!(claims["nonce"], NONCE);
        assert!(claims["auth_time"].is_i64());
        match params.get("access_token") {
            Some(token) => assert_eq!(claims["at_hash"], half_hash(token)),
            None => assert_eq!(claims.get("at_hash"), None),
        }
        match params.get("code") {
            Some(code) => assert_eq!(claims["c_hash"], half_hash(code)),
            None => assert_eq!(claims.get("c_hash"), None),
        }
    }
    if params.contains_key("access_token") {
        assert_eq!(params["token_type"], "Bearer");
    }
    params
}

#[tokio::test]
async fn implicit_id_token_token_in_the_fragment() {
    front_channel_response("id_token token").await;
}

#[tokio::test]
async fn hybrid_code_id_token_in_the_fragment() {
    front_channel_response("code id_token").await;
}

#[tokio::test]
async fn hybrid_code_token_in_the_fragment() {
    let params = front_channel_response("code token").await;
    assert!(!params.contains_key("id_token"));
}

#[tokio::test]
async fn hybrid_code_id_token_token_in_the_fragment() {
    front_channel_response("code id_token token").await;
}

#[tokio::test]
async fn implicit_id_token_alone_carries_the_scope_claims() {
    let (server, rp) = setup(json!({ "response_types": ["id_token"] })).await;
    let extra = [("response_type", "id_token"), ("nonce", NONCE), ("scope", "openid email")];
    let redirect = log_in(&server, &server.browser(), &rp, &extra).await;
    let params = response_of(&rp, &redirect);
    assert_eq!(params.get("code"), None);
    assert_eq!(params.get("access_token"), None);
    let claims = verify_id_token(&server, &rp, &params["id_token"]).await;
    assert_eq!(claims["email"], "jan@example.cz", "no userinfo call is possible, so the ID token has it");
}

#[tokio::test]
async fn form_post_returns_a_page_that_posts_the_response_to_the_client() {
    let (server, rp) = setup(json!({ "first_party": true })).await;
    let browser = server.browser();
    log_in(&server, &browser, &rp, &[]).await;
    let landing = browser.visit(&server.issuer, &authorize_url(&server, &rp, &[("response_mode", "form_post")])).await;
    let (status, html) = expect_page(landing);
    assert_eq!(status, 200);
    let (action, fields) = common::first_form(&html).expect("a form");
    assert_eq!(action, REDIRECT);
    let fields: HashMap<String, String> = fields.into_iter().collect();
    assert!(fields.contains_key("code"), "{html}");
    assert_eq!(fields["state"], STATE);
    assert_eq!(fields["iss"], server.issuer);
}

#[tokio::test]
async fn response_mode_query_with_tokens_is_refused() {
    let (server, rp) = setup(json!({ "response_types": ["id_token token"] })).await;
    let url = authorize_url(
        &server,
        &rp,
        &[("response_type", "id_token token"), ("nonce", NONCE), ("response_mode", "query")],
    );
    let redirect = expect_redirect(server.browser().visit(&server.issuer, &url).await);
    assert_eq!(url::Url::parse(&redirect).unwrap().query(), None, "no error in the query either: {redirect}");
    assert_eq!(error_of(&rp, &redirect), "invalid_request");
}
