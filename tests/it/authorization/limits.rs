//! What one anonymous source can make the provider keep: parameters that are stored while the
//! person logs in are capped at a few KB each, and the logins one address may start are counted.

use super::*;

#[tokio::test]
async fn oversized_state_and_other_kept_parameters_are_refused_with_invalid_request() {
    let (server, rp) = setup(json!({})).await;
    let long = |n: usize| "x".repeat(n);
    for (name, value) in [
        ("state", long(8 * 1024)),
        ("nonce", long(4 * 1024)),
        ("login_hint", long(2 * 1024)),
        ("acr_values", long(2 * 1024)),
        ("ui_locales", long(1024)),
        ("claims", format!(r#"{{"userinfo":{{"{}":null}}}}"#, long(5 * 1024))),
        ("id_token_hint", long(9 * 1024)),
    ] {
        let landing = server.browser().visit(&server.issuer, &authorize_url(&server, &rp, &[(name, &value)])).await;
        let redirect = expect_redirect(landing);
        let params = response_of(&rp, &redirect);
        assert_eq!(params["error"], "invalid_request", "{name}: {params:?}");
        assert!(params["error_description"].contains(name), "{name}: {params:?}");
        match name {
            // An oversized state is not echoed back.
            "state" => assert!(!params.contains_key("state"), "{params:?}"),
            _ => assert_eq!(params.get("state").map(String::as_str), Some(STATE)),
        }
    }
    // A long but reasonable state still starts the login.
    let fine = "s".repeat(2048);
    let (status, html) =
        expect_page(server.browser().visit(&server.issuer, &authorize_url(&server, &rp, &[("state", &fine)])).await);
    assert_eq!(status, 200);
    assert!(is_page(&html, "login"), "{html}");
}

#[tokio::test]
async fn oversized_state_with_an_unregistered_redirect_uri_gets_an_error_page() {
    let (server, rp) = setup(json!({})).await;
    let state = "x".repeat(8 * 1024);
    let url = authorize_url(&server, &rp, &[("redirect_uri", "https://attacker.example/cb"), ("state", &state)]);
    let (status, html) = expect_page(server.browser().visit(&server.issuer, &url).await);
    assert_eq!(status, 400);
    assert!(!html.contains(&state));
}

#[tokio::test]
async fn logins_started_per_source_are_throttled_with_a_429_page() {
    let server = TestServer::start_with(|c| {
        c.interactions.per_source = 3;
        c.interactions.window = 600;
    })
    .await;
    server.add_user(USER, PASSWORD, json!({})).await;
    let rp = rp(&server, json!({})).await;
    for _ in 0..3 {
        let (status, html) =
            expect_page(server.browser().visit(&server.issuer, &authorize_url(&server, &rp, &[])).await);
        assert_eq!(status, 200);
        assert!(is_page(&html, "login"), "{html}");
    }
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(authorize_url(&server, &rp, &[]))
        .header("accept-language", "cs")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "600");
    let html = response.text().await.unwrap();
    assert!(html.contains("příliš mnoho přihlášení"), "{html}");

    // Errors that store nothing are not counted, and the window ends.
    let bad = authorize_url(&server, &rp, &[("response_type", "token")]);
    assert!(matches!(server.browser().visit(&server.issuer, &bad).await, Landing::Redirect(_)));
    server.clock.advance(601);
    let (status, _) = expect_page(server.browser().visit(&server.issuer, &authorize_url(&server, &rp, &[])).await);
    assert_eq!(status, 200);
}
