//! Client credentials grant and client authentication (secret basic/post, private_key_jwt).

use super::*;

// ---------------------------------------------------------------------------------------------
// Client credentials
// ---------------------------------------------------------------------------------------------

async fn service_client(server: &TestServer) -> (String, String) {
    let (id, secret) = server
        .add_client(json!({
            "grant_types": ["client_credentials"],
            "response_types": [],
            "scope": "api:read",
        }))
        .await;
    (id, secret.unwrap())
}

#[tokio::test]
async fn client_credentials_grant_a_registered_scope_without_id_or_refresh_token() {
    let server = server().await;
    let (id, secret) = service_client(&server).await;
    let reply = token(&server, &id, &secret, &[("grant_type", "client_credentials"), ("scope", "api:read")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.str("scope"), "api:read");
    assert!(reply.str("token_type").eq_ignore_ascii_case("bearer"));
    assert!(reply.json.get("id_token").is_none(), "{}", reply.text);
    assert!(reply.json.get("refresh_token").is_none(), "{}", reply.text);

    // No person behind it: userinfo refuses it.
    let info = userinfo(&server, reply.str("access_token")).await;
    assert_eq!(info.status, 401, "{}", info.text);
}

#[tokio::test]
async fn client_credentials_refuse_an_unregistered_scope() {
    let server = server().await;
    let (id, secret) = service_client(&server).await;
    token(&server, &id, &secret, &[("grant_type", "client_credentials"), ("scope", "api:write")])
        .await
        .assert_error(400, "invalid_scope");
    token(&server, &id, &secret, &[("grant_type", "client_credentials"), ("scope", "openid")])
        .await
        .assert_error(400, "invalid_scope");
}

#[tokio::test]
async fn a_client_not_registered_for_client_credentials_is_unauthorized_client() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    token(&server, &id, &secret, &[("grant_type", "client_credentials")])
        .await
        .assert_error(400, "unauthorized_client");
}

// ---------------------------------------------------------------------------------------------
// Client authentication
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn client_secret_post_authenticates_a_client_registered_for_it() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({ "token_endpoint_auth_method": "client_secret_post" })).await;
    let code = code(&server, &id, "openid").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let reply = post(&server, "/token", None, &form).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn basic_auth_for_a_client_registered_for_post_is_invalid_client() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({ "token_endpoint_auth_method": "client_secret_post" })).await;
    let code = code(&server, &id, "openid").await;
    exchange(&server, &id, &secret, &code).await.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn a_wrong_secret_over_basic_is_401_with_a_basic_challenge() {
    let server = server().await;
    let (id, _) = web_client(&server, json!({})).await;
    let code = code(&server, &id, "openid").await;
    let reply = exchange(&server, &id, "not-the-secret", &code).await;
    reply.assert_error(401, "invalid_client");
    assert!(reply.header("www-authenticate").is_some_and(|v| v.starts_with("Basic")), "{:?}", reply.headers);
}

#[tokio::test]
async fn a_wrong_secret_in_the_form_is_invalid_client() {
    let server = server().await;
    let (id, _) = web_client(&server, json!({ "token_endpoint_auth_method": "client_secret_post" })).await;
    let form = [("grant_type", "refresh_token"), ("refresh_token", "x"), ("client_id", &id), ("client_secret", "no")];
    post(&server, "/token", None, &form).await.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn two_authentication_methods_in_one_request_are_refused() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let form = [("grant_type", "refresh_token"), ("refresh_token", "x"), ("client_secret", secret.as_str())];
    let reply = token(&server, &id, &secret, &form).await;
    reply.assert_error(401, "invalid_client");
}

/// A client key pair for private_key_jwt: the public JWKS to register and the private JWK.
fn client_key() -> (Value, Jwk) {
    let pair = RS256.generate_key_pair(2048).unwrap();
    let mut private = pair.to_jwk_private_key();
    private.set_key_id("client-key-1");
    let mut public = pair.to_jwk_public_key();
    public.set_key_id("client-key-1");
    public.set_algorithm("RS256");
    public.set_key_use("sig");
    let public: Value = serde_json::from_str(&public.to_string()).unwrap();
    (json!({ "keys": [public] }), private)
}

/// A client assertion (RFC 7523) signed with `key`; `exp_in` seconds from now (wall clock).
/// josekit writes sub-second NumericDates (`exp: 1700000000.25`), which RFC 7519 allows.
fn assertion(key: &Jwk, client_id: &str, aud: &str, jti: &str, exp_in: i64) -> String {
    assertion_with(key, "RS256", client_id, aud, jti, |payload| payload.set_expires_at(&wall_clock(exp_in)))
}

/// The wall clock `seconds` from now.
fn wall_clock(seconds: i64) -> std::time::SystemTime {
    let now = std::time::SystemTime::now();
    let delta = std::time::Duration::from_secs(seconds.unsigned_abs());
    if seconds >= 0 { now + delta } else { now - delta }
}

/// A client assertion signed with `key` and `alg` (RS256 or PS256), expiring in two minutes, its
/// payload then `tweak`ed.
fn assertion_with(
    key: &Jwk,
    alg: &str,
    client_id: &str,
    aud: &str,
    jti: &str,
    tweak: impl FnOnce(&mut JwtPayload),
) -> String {
    let mut payload = JwtPayload::new();
    payload.set_issuer(client_id);
    payload.set_subject(client_id);
    payload.set_audience(vec![aud]);
    payload.set_jwt_id(jti);
    payload.set_issued_at(&wall_clock(0));
    payload.set_expires_at(&wall_clock(120));
    tweak(&mut payload);
    let mut header = JwsHeader::new();
    header.set_token_type("JWT");
    header.set_key_id("client-key-1");
    let signer: Box<dyn josekit::jws::JwsSigner> = match alg {
        "RS256" => Box::new(RS256.signer_from_jwk(key).unwrap()),
        "PS256" => {
            // The same RSA key, its JWK marked for PS256 (josekit checks that).
            let mut key = key.clone();
            key.set_algorithm("PS256");
            Box::new(josekit::jws::PS256.signer_from_jwk(&key).unwrap())
        }
        other => panic!("no signer for {other}"),
    };
    josekit::jwt::encode_with_signer(&payload, &header, &*signer).unwrap()
}

/// A client-credentials request authenticated by `assertion`.
async fn with_assertion(server: &TestServer, assertion: &str) -> Reply {
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "api:read"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    post(server, "/token", None, &form).await
}

async fn jwt_client(server: &TestServer, keys: Value) -> String {
    let (id, _) = server
        .add_client(merged(
            json!({
                "grant_types": ["client_credentials"],
                "response_types": [],
                "scope": "api:read",
                "token_endpoint_auth_method": "private_key_jwt",
            }),
            keys,
        ))
        .await;
    id
}

#[tokio::test]
async fn private_key_jwt_authenticates_and_its_jti_cannot_be_replayed() {
    let server = server().await;
    let (jwks, key) = client_key();
    let id = jwt_client(&server, json!({ "jwks": jwks })).await;
    let jwt = assertion(&key, &id, &server.url("/token"), "jti-1", 120);

    let reply = with_assertion(&server, &jwt).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.str("scope"), "api:read");

    with_assertion(&server, &jwt).await.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn private_key_jwt_with_the_issuer_as_audience_is_accepted() {
    let server = server().await;
    let (jwks, key) = client_key();
    let id = jwt_client(&server, json!({ "jwks": jwks })).await;
    let reply = with_assertion(&server, &assertion(&key, &id, &server.issuer, "jti-iss", 120)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn private_key_jwt_with_a_wrong_audience_is_invalid_client() {
    let server = server().await;
    let (jwks, key) = client_key();
    let id = jwt_client(&server, json!({ "jwks": jwks })).await;
    let jwt = assertion(&key, &id, "https://elsewhere.example/token", "jti-aud", 120);
    with_assertion(&server, &jwt).await.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn an_expired_private_key_jwt_is_invalid_client() {
    let server = server().await;
    let (jwks, key) = client_key();
    let id = jwt_client(&server, json!({ "jwks": jwks })).await;
    let jwt = assertion(&key, &id, &server.url("/token"), "jti-old", -600);
    with_assertion(&server, &jwt).await.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn private_key_jwt_signed_with_another_key_is_invalid_client() {
    let server = server().await;
    let (jwks, _) = client_key();
    let (_, stranger) = client_key();
    let id = jwt_client(&server, json!({ "jwks": jwks })).await;
    let jwt = assertion(&stranger, &id, &server.url("/token"), "jti-x", 120);
    with_assertion(&server, &jwt).await.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn private_key_jwt_issued_or_valid_only_in_the_future_is_invalid_client() {
    let server = server().await;
    let (jwks, key) = client_key();
    let id = jwt_client(&server, json!({ "jwks": jwks })).await;
    let aud = server.url("/token");
    let later = |claim: &'static str, seconds: i64| {
        assertion_with(&key, "RS256", &id, &aud, &format!("jti-{claim}-{seconds}"), |payload| {
            payload.set_expires_at(&wall_clock(seconds + 120));
            match claim {
                "iat" => payload.set_issued_at(&wall_clock(seconds)),
                _ => payload.set_not_before(&wall_clock(seconds)),
            }
        })
    };
    with_assertion(&server, &later("iat", 600)).await.assert_error(401, "invalid_client");
    with_assertion(&server, &later("nbf", 600)).await.assert_error(401, "invalid_client");
    // Within the clock skew both are fine.
    for claim in ["iat", "nbf"] {
        let reply = with_assertion(&server, &later(claim, 30)).await;
        assert_eq!(reply.status, 200, "{claim} 30 s ahead: {}", reply.text);
    }
}

#[tokio::test]
async fn private_key_jwt_must_use_the_registered_token_endpoint_auth_signing_alg() {
    let server = server().await;
    let (mut jwks, key) = client_key();
    // The key itself allows any RSA algorithm: only the client's registration limits it.
    jwks["keys"][0].as_object_mut().unwrap().remove("alg");
    let id = jwt_client(&server, json!({ "jwks": jwks, "token_endpoint_auth_signing_alg": "PS256" })).await;
    let aud = server.url("/token");
    let rs256 = assertion_with(&key, "RS256", &id, &aud, "jti-rs", |_| {});
    with_assertion(&server, &rs256).await.assert_error(401, "invalid_client");
    let ps256 = assertion_with(&key, "PS256", &id, &aud, "jti-ps", |_| {});
    let reply = with_assertion(&server, &ps256).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn failed_client_authentication_tells_nothing_about_the_client() {
    let server = server().await;
    let (basic_id, basic_secret) = web_client(&server, json!({})).await;
    let (post_id, post_secret) =
        web_client(&server, json!({ "token_endpoint_auth_method": "client_secret_post" })).await;
    let (jwks, _) = client_key();
    let (_, stranger) = client_key();
    let jwt_id = jwt_client(&server, json!({ "jwks": jwks })).await;
    let form = [("grant_type", "client_credentials"), ("token", "x")];
    for path in ["/token", "/introspect", "/revoke"] {
        // Over Basic: an unknown client, a wrong secret, clients registered for other methods.
        let mut over_basic = Vec::new();
        for (id, secret) in [("nobody", "secret"), (&basic_id, "wrong"), (&post_id, &post_secret), (&jwt_id, "x")] {
            over_basic.push((id, post(&server, path, Some((id, secret)), &form).await));
        }
        let expected = over_basic[0].1.text.clone();
        for (id, reply) in &over_basic {
            reply.assert_error(401, "invalid_client");
            assert_eq!(reply.text, expected, "{path}, {id} over Basic");
            assert!(reply.header("www-authenticate").is_some_and(|v| v.starts_with("Basic")), "{path}, {id}");
        }
        // In the form: the same, a confidential client with no secret, and assertions that
        // name an unknown client, a client not registered for them, or carry another key.
        let mut in_form = Vec::new();
        for (id, secret) in [("nobody", "secret"), (&post_id, "wrong"), (&basic_id, &basic_secret), (&jwt_id, "x")] {
            let form = [form.as_slice(), &[("client_id", id), ("client_secret", secret)]].concat();
            in_form.push((format!("{id} with a secret"), post(&server, path, None, &form).await));
        }
        let form_id = [form.as_slice(), &[("client_id", basic_id.as_str())]].concat();
        in_form.push(("no secret".into(), post(&server, path, None, &form_id).await));
        for (id, name) in [("nobody", "unknown"), (basic_id.as_str(), "basic"), (jwt_id.as_str(), "wrong key")] {
            let jwt = assertion(&stranger, id, &server.issuer, &format!("jti-{path}-{name}"), 120);
            let assertion = [("client_assertion_type", ASSERTION_TYPE), ("client_assertion", jwt.as_str())];
            let form = [form.as_slice(), &assertion].concat();
            in_form.push((format!("an assertion: {name}"), post(&server, path, None, &form).await));
        }
        for (what, reply) in &in_form {
            reply.assert_error(401, "invalid_client");
            assert_eq!(reply.text, expected, "{path}, {what}");
            assert_eq!(reply.header("www-authenticate"), None, "{path}, {what}");
        }
    }
}

/// Serves `jwks` at `http://127.0.0.1:<port>/jwks` until the returned sender is dropped or fired.
async fn host_jwks(jwks: Value) -> (String, tokio::sync::oneshot::Sender<()>) {
    let app = axum::Router::new().route("/jwks", axum::routing::get(move || async move { axum::Json(jwks) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    (url, tx)
}

#[tokio::test]
async fn private_key_jwt_with_keys_from_a_jwks_uri() {
    let server = server().await;
    let (jwks, key) = client_key();
    let (jwks_uri, stop) = host_jwks(jwks).await;
    let id = jwt_client(&server, json!({ "jwks_uri": jwks_uri })).await;
    let reply = with_assertion(&server, &assertion(&key, &id, &server.url("/token"), "jti-uri", 120)).await;
    let _ = stop.send(());
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// The conformance suite's Dynamic plan: one module's client and the next one's are registered
/// with the same `jwks_uri`, whose keys change in between. The second client must not be held to
/// the first one's cached copy (whose early refetch is rate-limited).
#[tokio::test]
async fn a_client_registered_with_another_clients_jwks_uri_reads_it_afresh() {
    let server = server().await;
    let (first_jwks, first_key) = client_key();
    let (second_jwks, second_key) = client_key();
    let hosted = std::sync::Arc::new(std::sync::Mutex::new(first_jwks));
    let shared = hosted.clone();
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let jwks = shared.lock().unwrap().clone();
            async move { axum::Json(jwks) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let jwks_uri = format!("http://{}/jwks", listener.local_addr().unwrap());
    let serving = tokio::spawn(async move { axum::serve(listener, app).await });

    let first = jwt_client(&server, json!({ "jwks_uri": jwks_uri })).await;
    let reply = with_assertion(&server, &assertion(&first_key, &first, &server.url("/token"), "jti-a", 120)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    *hosted.lock().unwrap() = second_jwks;
    let second = jwt_client(&server, json!({ "jwks_uri": jwks_uri })).await;
    let reply = with_assertion(&server, &assertion(&second_key, &second, &server.url("/token"), "jti-b", 120)).await;
    serving.abort();
    assert_eq!(reply.status, 200, "{}", reply.text);
}

// ---------------------------------------------------------------------------------------------
// Malformed requests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_error_at_the_token_endpoints_is_oauth_json() {
    let server = server().await;
    let (id, secret) = web_client(&server, json!({})).await;
    let form = "application/x-www-form-urlencoded";
    // One byte over the default max_body_bytes (64 KiB).
    let oversized = format!("grant_type=client_credentials&token=x&pad={}", "x".repeat(64 * 1024));
    for path in ["/token", "/introspect", "/revoke"] {
        let send = |content_type: Option<&'static str>, body: String| {
            let mut request = http().post(server.url(path)).basic_auth(&id, Some(&secret)).body(body);
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            async move { Reply::of(request.send().await.unwrap()).await }
        };
        send(Some(form), oversized.clone()).await.assert_error(413, "invalid_request");
        send(Some("text/plain"), "token=x".into()).await.assert_error(400, "invalid_request");
        send(None, String::new()).await.assert_error(400, "invalid_request");
        send(Some(form), "token=x&token=y&grant_type=a&grant_type=b".into()).await.assert_error(400, "invalid_request");
        let get = Reply::of(http().get(server.url(path)).send().await.unwrap()).await;
        get.assert_error(405, "invalid_request");
        assert_eq!(get.header("allow"), Some("POST"), "{path}");
    }
}
