//! Errors in authorization requests: error pages and error redirects.

use super::*;

// --- request errors --------------------------------------------------------------------------

async fn expect_error_page(server: &TestServer, url: &str) -> String {
    let (status, html) = expect_page(server.browser().visit(&server.issuer, url).await);
    assert_eq!(status, 400, "{html}");
    text_of(&html, "error-code")
}

#[tokio::test]
async fn unknown_client_id_gives_an_error_page_not_a_redirect() {
    let (server, rp) = setup(json!({})).await;
    let url = authorize_url(&server, &rp, &[("client_id", "neznamy")]);
    assert_eq!(expect_error_page(&server, &url).await, "invalid_request");
}

#[tokio::test]
async fn unregistered_redirect_uri_gives_an_error_page_not_a_redirect() {
    let (server, rp) = setup(json!({})).await;
    let url = authorize_url(&server, &rp, &[("redirect_uri", "http://127.0.0.1:9/jinam")]);
    assert_eq!(expect_error_page(&server, &url).await, "invalid_request");
}

#[tokio::test]
async fn the_error_page_tells_the_person_what_happened_in_their_language() {
    let (server, rp) = setup(json!({})).await;
    let url = authorize_url(&server, &rp, &[("redirect_uri", "http://127.0.0.1:9/jinam")]);
    for (language, expected) in
        [("cs", "z bezpečnostních důvodů vás tam nepošleme"), ("en", "for your safety you are not sent there")]
    {
        let response = server.browser().http.get(&url).header("accept-language", language).send().await.unwrap();
        assert_eq!(response.status(), 400);
        let html = response.text().await.unwrap();
        assert!(html.contains(&format!("lang=\"{language}\"")), "{html}");
        assert!(html.contains(expected), "{html}");
        // The protocol's own description stays, for the application's developer.
        assert!(html.contains("the redirect_uri is not registered for this client"), "{html}");
    }
}

#[tokio::test]
async fn a_parameter_given_twice_gives_an_error_page() {
    let (server, rp) = setup(json!({})).await;
    let url = format!("{}&state=druhy", authorize_url(&server, &rp, &[]));
    assert_eq!(expect_error_page(&server, &url).await, "invalid_request");
}

#[tokio::test]
async fn unsupported_response_type_is_reported_to_the_client_with_state() {
    let (server, rp) = setup(json!({})).await;
    let url = authorize_url(&server, &rp, &[("response_type", "banana")]);
    let params = response_of(&rp, &expect_redirect(server.browser().visit(&server.issuer, &url).await));
    assert_eq!(params["error"], "unsupported_response_type");
    assert_eq!(params["state"], STATE);
}

#[tokio::test]
async fn implicit_without_nonce_is_reported_in_the_fragment() {
    let (server, rp) = setup(json!({ "response_types": ["id_token"] })).await;
    let url = authorize_url(&server, &rp, &[("response_type", "id_token")]);
    let redirect = expect_redirect(server.browser().visit(&server.issuer, &url).await);
    let parsed = url::Url::parse(&redirect).unwrap();
    assert_eq!(parsed.query(), None, "{redirect}");
    assert_eq!(error_of(&rp, &redirect), "invalid_request");
    assert_eq!(params_of(&redirect)["state"], STATE);
}

#[tokio::test]
async fn a_parameter_given_twice_once_empty_gives_an_error_page() {
    let (server, rp) = setup(json!({})).await;
    let url = authorize_url(&server, &rp, &[]).replacen('?', "?state=&", 1);
    assert_eq!(expect_error_page(&server, &url).await, "invalid_request");
}

#[tokio::test]
async fn an_unknown_prompt_value_is_invalid_request() {
    let (server, rp) = setup(json!({})).await;
    let url = authorize_url(&server, &rp, &[("prompt", "banana")]);
    assert_eq!(error_of(&rp, &expect_redirect(server.browser().visit(&server.issuer, &url).await)), "invalid_request");
}

#[tokio::test]
async fn unknown_parameters_are_ignored() {
    let (server, rp) = setup(json!({})).await;
    let redirect = log_in(&server, &server.browser(), &rp, &[("vendor_extension", "42")]).await;
    code_of(&rp, &redirect);
}

#[tokio::test]
async fn a_form_post_to_the_authorization_endpoint_works_like_get() {
    let (server, rp) = setup(json!({})).await;
    let browser = server.browser();
    let url = authorize_url(&server, &rp, &[]);
    let query: Vec<(String, String)> = url::Url::parse(&url).unwrap().query_pairs().into_owned().collect();
    let response = browser.http.post(server.url("/authorize")).form(&query).send().await.unwrap();
    let landing = browser.follow(&server.issuer, response).await;
    let redirect = finish(&server, &browser, landing).await;
    code_of(&rp, &redirect);
    assert_eq!(params_of(&redirect)["state"], STATE);
}

#[tokio::test]
async fn a_public_client_without_pkce_is_refused() {
    let (server, rp) = setup(json!({ "token_endpoint_auth_method": "none" })).await;
    let url = authorize_url(&server, &rp, &[]);
    assert_eq!(error_of(&rp, &expect_redirect(server.browser().visit(&server.issuer, &url).await)), "invalid_request");
}

#[tokio::test]
async fn pkce_method_plain_is_refused() {
    let (server, rp) = setup(json!({ "token_endpoint_auth_method": "none" })).await;
    let challenge = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let url = authorize_url(&server, &rp, &[("code_challenge", challenge), ("code_challenge_method", "plain")]);
    assert_eq!(error_of(&rp, &expect_redirect(server.browser().visit(&server.issuer, &url).await)), "invalid_request");
}
