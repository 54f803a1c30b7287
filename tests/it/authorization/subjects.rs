//! Public and pairwise subjects, and discovery.

use super::*;

// --- subjects --------------------------------------------------------------------------------

#[tokio::test]
async fn pairwise_clients_of_different_sectors_see_different_subjects() {
    let server = TestServer::start().await;
    let user = server.add_user(USER, PASSWORD, json!({})).await;
    let a = rp(&server, json!({ "subject_type": "pairwise", "first_party": true })).await;
    let b = rp(
        &server,
        json!({ "subject_type": "pairwise", "first_party": true, "redirect_uris": ["http://localhost:9/cb"] }),
    )
    .await;
    let browser = server.browser();
    let sub_a = id_token_for(&server, &a, &log_in(&server, &browser, &a, &[]).await).await["sub"].clone();
    let sub_b = id_token_for(&server, &b, &log_in(&server, &browser, &b, &[]).await).await["sub"].clone();
    assert_ne!(sub_a, sub_b);
    assert_ne!(sub_a, user.id.as_str());
    assert_ne!(sub_b, user.id.as_str());
}

#[tokio::test]
async fn a_public_subject_is_the_account_id() {
    let server = TestServer::start().await;
    let user = server.add_user(USER, PASSWORD, json!({})).await;
    let rp = rp(&server, json!({ "first_party": true })).await;
    let id_token = id_token_for(&server, &rp, &log_in(&server, &server.browser(), &rp, &[]).await).await;
    assert_eq!(id_token["sub"], user.id.as_str());
}

// --- discovery -------------------------------------------------------------------------------

async fn get_json(url: &str) -> Value {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn discovery_advertises_what_the_authorization_endpoint_does() {
    let server = TestServer::start().await;
    let doc = get_json(&server.url("/.well-known/openid-configuration")).await;
    assert_eq!(doc["issuer"], server.issuer);
    assert_eq!(doc["authorization_endpoint"], server.url("/authorize"));
    let response_types: Vec<&str> =
        doc["response_types_supported"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for rt in ["code", "id_token", "id_token token", "code id_token", "code token", "code id_token token"] {
        assert!(response_types.contains(&rt), "{rt} missing from {response_types:?}");
    }
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    for mode in ["query", "fragment", "form_post"] {
        assert!(doc["response_modes_supported"].as_array().unwrap().contains(&json!(mode)), "{mode}");
    }
    for member in ["claims_parameter_supported", "request_parameter_supported", "request_uri_parameter_supported"] {
        assert_eq!(doc[member], true, "{member}");
    }
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert!(doc["subject_types_supported"].as_array().unwrap().contains(&json!("pairwise")));
    assert!(doc["ui_locales_supported"].as_array().unwrap().contains(&json!("en")));
}

#[tokio::test]
async fn jwks_keys_have_distinct_kids_and_no_private_members() {
    let server = TestServer::start().await;
    let doc = get_json(&server.url("/.well-known/openid-configuration")).await;
    let jwks = get_json(doc["jwks_uri"].as_str().unwrap()).await;
    let keys = jwks["keys"].as_array().unwrap();
    assert!(!keys.is_empty());
    let mut kids: Vec<&str> = keys.iter().map(|k| k["kid"].as_str().expect("every key has a kid")).collect();
    kids.sort_unstable();
    kids.dedup();
    assert_eq!(kids.len(), keys.len(), "kids are distinct: {jwks}");
    for key in keys {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "private member {private} in {key}");
        }
    }
}
