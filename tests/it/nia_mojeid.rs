//! mojeID as a means at NIA: a portal at the `nia` face, the citizen choosing "mojeID" on NIA's
//! login page, the login at mojeID and back. Through this server's own `mojeid` face (a client
//! of the NIA face's made at start; the citizen reaches substantial there with NIA ID), the
//! citizen keeps the PersonIdentifier they have with NIA's own means; through an external
//! mojeID configured in `[faces.mojeid]` (a second identita, or a tiny provider that answers what
//! the test tells it) the citizen is matched by name and birth date. Levels below substantial,
//! unknown levels, substantial where high is asked, a cancel at mojeID, an unreachable mojeID, a
//! tampered `state` and a replayed answer are refused clearly. In headless Chromium, the citizen
//! uses mojeID's own means there (the password and a certified security key) and NIA gets high.

use crate::common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Browser, Landing, TestServer, page, params_of};
use identita::config::{FaceConfig, MojeidUpstreamConfig};
use identita::oidc::registration::{self, ClientMetadata};
use identita::persona::QuirkSettings;
use identita::secret::Secret;
use josekit::jwk::alg::rsa::RsaKeyPair;
use serde_json::{Value, json};

const PORTAL: &str = "https://portal.example/app";
const REDIRECT: &str = "http://127.0.0.1:9/nia/cb";
const USER: &str = "jana";
const PASS: &str = "heslo-jany-7";
const PHONE: &str = "+420603111222";
const SUBSTANTIAL: &str = "http://eidas.europa.eu/LoA/substantial";
const HIGH: &str = "http://eidas.europa.eu/LoA/high";
const CLAIMS: &str = r#"{"id_token":{"PersonIdentifier":null,"CurrentGivenName":null}}"#;

fn profile() -> Value {
    json!({ "given_name": "Jana", "family_name": "Dvořáková", "birthdate": "1979-11-03", "phone_number": PHONE,
            "phone_number_verified": true, "email": "jana@example.cz", "email_verified": true })
}

fn face(name: &str, persona: &str, url: String) -> FaceConfig {
    // The NIA face's ID tokens as plain JWS, so the test reads them without a portal key.
    let quirks = match persona {
        "nia" => QuirkSettings { encrypt_id_tokens: Some(false), ..QuirkSettings::default() },
        _ => QuirkSettings::default(),
    };
    FaceConfig { quirks, ..common::face(name, persona, url) }
}

/// A server with a `nia` face (its `[faces.mojeid]` as given), a `mojeid` face if `with_mojeid`,
/// the citizen, and a first-party portal at the NIA face.
async fn start(with_mojeid: bool, upstream: Option<MojeidUpstreamConfig>) -> TestServer {
    let server = TestServer::start_with(|config| {
        let nia = FaceConfig { mojeid: upstream, ..face("nia", "nia", format!("{}/nia", config.issuer)) };
        config.faces = vec![nia];
        if with_mojeid {
            config.faces.push(face("mojeid", "mojeid", format!("{}/mojeid", config.issuer)));
        }
    })
    .await;
    server.add_user(USER, PASS, profile()).await;
    let meta: ClientMetadata = serde_json::from_value(json!({
        "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_post", "first_party": true,
    }))
    .unwrap();
    let nia = &server.provider.faces[0];
    let (client, _) = registration::build(nia, meta, PORTAL.into(), nia.now()).await.unwrap();
    nia.stores.clients.insert(&client).await.unwrap();
    server
}

/// The portal's authorization request at the NIA face.
fn authorize_url(server: &TestServer, scope: &str) -> String {
    let mut url = url::Url::parse(&server.url("/nia/FPSTS/oidc/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", PORTAL)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("state", "st-fed")
        .append_pair("nonce", "n-fed")
        .append_pair("claims", CLAIMS);
    url.into()
}

/// Where the browser lands on `url`, following redirects only while they stay under `under` (a
/// face's URL): a redirect elsewhere (to mojeID, back to NIA, to the portal) is where it stops.
async fn visit(browser: &Browser, under: &str, url: &str) -> Landing {
    follow(browser, under, browser.http.get(url).send().await.unwrap()).await
}

/// Submits the form `form_id` of `html` (its hidden fields and `fields`), as [`visit`] does.
async fn submit(browser: &Browser, under: &str, html: &str, form_id: &str, fields: &[(&str, &str)]) -> Landing {
    let form = common::form_of(html, form_id).unwrap_or_else(|| panic!("no form #{form_id} in:\n{html}"));
    let start = form.find("action=\"").unwrap() + "action=\"".len();
    let action = form[start..start + form[start..].find('"').unwrap()].replace("&#38;", "&").replace("&amp;", "&");
    let action = absolute(under, &action);
    let mut body = common::hidden_fields(html, form_id);
    body.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    follow(browser, under, browser.http.post(&action).form(&body).send().await.unwrap()).await
}

async fn follow(browser: &Browser, under: &str, mut response: reqwest::Response) -> Landing {
    while response.status().is_redirection() {
        let to = absolute(under, response.headers()["location"].to_str().unwrap());
        if !to.starts_with(under) {
            return Landing::Redirect(to);
        }
        response = browser.http.get(&to).send().await.unwrap();
    }
    Landing::Page(response.status().as_u16(), response.text().await.unwrap())
}

/// A location as the browser reads it: a path is on the origin of `under`.
fn absolute(under: &str, location: &str) -> String {
    match location.starts_with('/') {
        true => url::Url::parse(under).unwrap().join(location).unwrap().into(),
        false => location.to_owned(),
    }
}

fn redirect(landing: Landing) -> String {
    match landing {
        Landing::Redirect(to) => to,
        Landing::Page(status, html) => panic!("expected a redirect, got a page ({status}):\n{html}"),
    }
}

/// From the portal's request to NIA's login page with mojeID chosen.
async fn to_mojeid_choice(server: &TestServer, browser: &Browser, scope: &str) -> String {
    let nia = server.url("/nia");
    let (status, html) = page(visit(browser, &nia, &authorize_url(server, scope)).await);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"data-means="mojeid-federated""#), "mojeID is offered:\n{html}");
    assert!(!html.contains(r#"data-means="mojeid""#), "not also the face's own mojeID + key:\n{html}");
    let interaction = common::interaction_of(&html);
    let chosen = format!("{}?interaction={interaction}&means=mojeid-federated", server.url("/nia/FPSTS/login"));
    let (status, html) = page(visit(browser, &nia, &chosen).await);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"id="mojeid-continue""#), "{html}");
    html
}

/// Continue: the redirect to mojeID's authorization endpoint.
async fn go_to_mojeid(server: &TestServer, browser: &Browser, html: &str) -> String {
    redirect(submit(browser, &server.url("/nia"), html, "mojeid", &[]).await)
}

/// The citizen logs in at this server's mojeID face with NIA ID there (substantial): the
/// redirect back to the NIA face's callback.
async fn log_in_at_local_mojeid(server: &TestServer, browser: &Browser, at_mojeid: &str) -> String {
    let mojeid = server.url("/mojeid");
    let (status, html) = page(visit(browser, &mojeid, at_mojeid).await);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"name="means" value="nia-id""#), "mojeID asks for substantial:\n{html}");
    let (_, html) = page(submit(browser, &mojeid, &html, "login", &[("username", USER), ("password", PASS)]).await);
    let back = redirect(
        submit(browser, &mojeid, &html, "sms", &[("code", &sms_code(server).await), ("action", "verify")]).await,
    );
    assert!(back.starts_with(&server.url("/nia/FPSTS/login/mojeid/callback")), "{back}");
    back
}

async fn sms_code(server: &TestServer) -> String {
    let messages = server.provider.stores.outbox.recent(Some(PHONE), 1).await.unwrap();
    identita::authn::nia_id::code_in(&messages[0].body).unwrap().to_owned()
}

/// The portal's token request at the NIA face: the ID token's claims.
async fn id_token(server: &TestServer, back: &str) -> Value {
    id_token_at(server, back, REDIRECT).await
}

/// The same for a portal whose redirect URI is `redirect`.
async fn id_token_at(server: &TestServer, back: &str, redirect: &str) -> Value {
    assert!(back.starts_with(redirect), "{back}");
    let params = params_of(back);
    assert_eq!(params["state"], "st-fed");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", params["code"].as_str()),
        ("redirect_uri", redirect),
        ("client_id", PORTAL),
        ("client_secret", "any"),
    ];
    let response = reqwest::Client::new().post(server.url("/nia/FPSTS/oidc/token")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let payload = tokens["id_token"].as_str().unwrap().split('.').nth(1).unwrap().to_owned();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The same citizen with NIA's own means (NIA ID at the NIA face), in a browser of its own.
async fn person_identifier_with_nia_id(server: &TestServer) -> Value {
    let browser = Browser::new();
    let nia = server.url("/nia");
    let (_, html) = page(visit(&browser, &nia, &authorize_url(server, "openid loasubstantial")).await);
    assert!(html.contains(r#"name="means" value="nia-id""#), "{html}");
    let (_, html) = page(submit(&browser, &nia, &html, "login", &[("username", USER), ("password", PASS)]).await);
    let back = redirect(
        submit(&browser, &nia, &html, "sms", &[("code", &sms_code(server).await), ("action", "verify")]).await,
    );
    let claims = id_token(server, &back).await;
    assert_eq!(claims["amr"], json!(["pwd", "sms", "mfa"]), "{claims}");
    claims["PersonIdentifier"].clone()
}

#[tokio::test]
async fn a_citizen_logs_in_at_nia_through_mojeid_and_keeps_their_person_identifier() {
    let server = start(true, None).await;
    let browser = Browser::new();
    let html = to_mojeid_choice(&server, &browser, "openid loasubstantial").await;
    let at_mojeid = go_to_mojeid(&server, &browser, &html).await;
    assert!(at_mojeid.starts_with(&server.url("/mojeid/oidc/authorization/")), "{at_mojeid}");
    let asked = params_of(&at_mojeid);
    assert_eq!(asked["client_id"], "identita-nia");
    assert!(!asked.contains_key("prompt"), "{at_mojeid}");
    assert_eq!(asked["acr_values"], format!("{SUBSTANTIAL} {HIGH}"));
    assert!(asked["scope"].contains("profile") && asked["scope"].contains("email"), "{at_mojeid}");
    let claims: Value = serde_json::from_str(&asked["claims"]).unwrap();
    assert_eq!(claims["id_token"]["acr"], json!({ "essential": true, "values": [SUBSTANTIAL, HIGH] }));
    let back = log_in_at_local_mojeid(&server, &browser, &at_mojeid).await;

    // A tampered state finds no login waiting for it; the real answer still works.
    let tampered = back.replace("state=", "state=x");
    let (status, html) = page(visit(&browser, &server.url("/nia"), &tampered).await);
    assert!(status >= 400, "{status}: {html}");
    let at_portal = redirect(visit(&browser, &server.url("/nia"), &back).await);
    let claims = id_token(&server, &at_portal).await;
    assert_eq!(claims["acr"], SUBSTANTIAL, "{claims}");
    assert_eq!(claims["amr"], json!(["fed"]), "{claims}");
    assert_eq!(claims["CurrentGivenName"], "Jana");
    let person_identifier = claims["PersonIdentifier"].clone();
    assert!(person_identifier.as_str().is_some_and(|p| p.starts_with("CZ/CZ/")), "{claims}");

    // mojeID's answer is good once.
    let (status, html) = page(visit(&browser, &server.url("/nia"), &back).await);
    assert!(status >= 400, "{status}: {html}");

    // The same citizen with NIA ID: the same PersonIdentifier.
    assert_eq!(person_identifier_with_nia_id(&server).await, person_identifier);

    // A portal that forces a fresh authentication at NIA (forceauthn) gets one at mojeID too:
    // mojeID's session in this browser does not answer for the citizen.
    let html = to_mojeid_choice(&server, &browser, "openid loasubstantial forceauthn").await;
    let at_mojeid = go_to_mojeid(&server, &browser, &html).await;
    assert_eq!(params_of(&at_mojeid).get("prompt").map(String::as_str), Some("login"), "{at_mojeid}");
    let (status, html) = page(visit(&browser, &server.url("/mojeid"), &at_mojeid).await);
    assert!(status == 200 && html.contains(r#"id="login""#), "{status}: {html}");

    // The client NIA has at the mojeID face: made at start, with full access; a restart makes
    // the same one (its secret derives from the server's).
    let mojeid = &server.provider.faces[1];
    let client = mojeid.stores.clients.get("identita-nia").await.unwrap().expect("NIA's client at mojeID");
    let restarted = server.restart().await;
    let again = restarted.provider.faces[1].stores.clients.get("identita-nia").await.unwrap().unwrap();
    assert_eq!(serde_json::to_value(&again).unwrap(), serde_json::to_value(&client).unwrap());
    assert_eq!(serde_json::to_value(&client).unwrap()["full_access"], true);
}

#[tokio::test]
async fn cancelling_at_mojeid_shows_nias_login_page_and_cancelling_there_is_access_denied() {
    let server = start(true, None).await;
    let browser = Browser::new();
    let html = to_mojeid_choice(&server, &browser, "openid loasubstantial").await;
    let at_mojeid = go_to_mojeid(&server, &browser, &html).await;
    let mojeid = server.url("/mojeid");
    let (_, html) = page(visit(&browser, &mojeid, &at_mojeid).await);
    let back = redirect(submit(&browser, &mojeid, &html, "login", &[("cancel", "yes")]).await);
    assert_eq!(params_of(&back).get("error").map(String::as_str), Some("access_denied"), "{back}");
    let (status, html) = page(visit(&browser, &server.url("/nia"), &back).await);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("bylo zrušeno") || html.contains("was cancelled"), "{html}");
    assert!(html.contains(r#"id="mojeid-continue""#), "mojeID can be tried again:\n{html}");
    let to = redirect(submit(&browser, &server.url("/nia"), &html, "mojeid", &[("cancel", "yes")]).await);
    assert!(to.starts_with(REDIRECT), "{to}");
    assert_eq!(params_of(&to).get("error").map(String::as_str), Some("access_denied"), "{to}");
}

#[tokio::test]
async fn mojeid_is_offered_only_with_an_upstream_and_an_unreachable_one_gets_a_clear_page() {
    let server = start(false, None).await;
    let (_, html) =
        page(visit(&Browser::new(), &server.url("/nia"), &authorize_url(&server, "openid loasubstantial")).await);
    assert!(html.contains(r#"data-means="nia-id""#) && !html.contains("mojeid-federated"), "{html}");

    let unreachable = MojeidUpstreamConfig {
        issuer: "http://127.0.0.1:9/oidc/".into(),
        discovery: None,
        client_id: "nia".into(),
        client_secret: Some(Secret::new("s3cret-at-mojeid")),
        client_secret_file: None,
    };
    let server = start(false, Some(unreachable)).await;
    let browser = Browser::new();
    let html = to_mojeid_choice(&server, &browser, "openid loasubstantial").await;
    let (status, html) = page(submit(&browser, &server.url("/nia"), &html, "mojeid", &[]).await);
    assert_eq!(status, 502, "{html}");
    assert!(html.contains("nepodařilo dokončit") || html.contains("could not be completed"), "{html}");
    assert!(!html.contains("127.0.0.1:9") && !html.contains("s3cret"), "no internals:\n{html}");
}

#[tokio::test]
async fn persona_show_nia_names_the_upstream_mojeid_and_the_redirect_uri() {
    let server = start(true, None).await;
    let toml = format!(
        "issuer = {:?}\n\n[[faces]]\nname = \"nia\"\npersona = \"nia\"\nurl = \"{}/nia\"\n\n\
         [[faces]]\nname = \"mojeid\"\npersona = \"mojeid\"\nurl = \"{}/mojeid\"\n",
        server.issuer, server.issuer, server.issuer
    );
    std::fs::write(server.dir.join("identita.toml"), toml).unwrap();
    let shown = common::cli_beside(&server, &["persona", "show", "nia"], &[]);
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
    let means = &shown["mojeid_means"];
    assert_eq!(means["upstream"], server.url("/mojeid/oidc/"), "{shown}");
    assert_eq!(means["client_id"], "identita-nia");
    assert_eq!(means["redirect_uri"], server.url("/nia/FPSTS/login/mojeid/callback"));
}

#[tokio::test]
async fn an_external_mojeid_configured_explicitly_matches_the_citizen_by_name_and_birth_date() {
    // mojeID: a second identita with a mojeID face, where the citizen has an account of their own.
    let external = TestServer::start_with(|config| {
        config.faces = vec![face("mojeid", "mojeid", format!("{}/mojeid", config.issuer))];
    })
    .await;
    external.add_user("jana.d", "heslo-u-mojeid-1", profile()).await;
    let secret = "nia-secret-at-mojeid-0123456789";
    let server = start(
        false,
        Some(MojeidUpstreamConfig {
            issuer: external.url("/mojeid/oidc/"),
            // Where mojeID documents it, not under the issuer.
            discovery: Some(external.url("/mojeid/.well-known/openid-configuration/")),
            client_id: "nia-portal-broker".into(),
            client_secret: Some(Secret::new(secret)),
            client_secret_file: None,
        }),
    )
    .await;
    let meta: ClientMetadata = serde_json::from_value(json!({
        "client_secret": secret, "first_party": true,
        "redirect_uris": [server.url("/nia/FPSTS/login/mojeid/callback")],
    }))
    .unwrap();
    let at = &external.provider.faces[0];
    let (client, _) = registration::build(at, meta, "nia-portal-broker".into(), at.now()).await.unwrap();
    at.stores.clients.insert(&client).await.unwrap();

    let browser = Browser::new();
    let html = to_mojeid_choice(&server, &browser, "openid loasubstantial").await;
    let at_mojeid = go_to_mojeid(&server, &browser, &html).await;
    assert!(at_mojeid.starts_with(&external.url("/mojeid/oidc/authorization/")), "{at_mojeid}");
    let mojeid = external.url("/mojeid");
    let (_, html) = page(visit(&browser, &mojeid, &at_mojeid).await);
    let fields = [("username", "jana.d"), ("password", "heslo-u-mojeid-1")];
    let (_, html) = page(submit(&browser, &mojeid, &html, "login", &fields).await);
    let back = redirect(
        submit(&browser, &mojeid, &html, "sms", &[("code", &sms_code(&external).await), ("action", "verify")]).await,
    );
    let at_portal = redirect(visit(&browser, &server.url("/nia"), &back).await);
    let claims = id_token(&server, &at_portal).await;
    assert_eq!(claims["acr"], SUBSTANTIAL, "{claims}");
    assert_eq!(claims["amr"], json!(["fed"]), "{claims}");
    assert_eq!(claims["PersonIdentifier"], person_identifier_with_nia_id(&server).await, "the register's citizen");
}

/// A tiny mojeID-compatible OpenID Provider: discovery, keys, a token endpoint and userinfo that
/// answer, for each code the test hands the browser back with, what the test said.
struct MockMojeid {
    issuer: String,
    answers: Arc<Mutex<HashMap<String, Value>>>,
}

impl MockMojeid {
    async fn start() -> Self {
        use axum::routing::{get, post};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}/oidc/", listener.local_addr().unwrap());
        let key = RsaKeyPair::generate(2048).unwrap();
        let mut public: serde_json::Map<String, Value> = key.to_jwk_public_key().into();
        public.extend([("kid".into(), json!("k1")), ("alg".into(), json!("RS256")), ("use".into(), json!("sig"))]);
        let answers: Arc<Mutex<HashMap<String, Value>>> = Arc::default();
        let discovery = json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}authorization/"),
            "token_endpoint": format!("{issuer}token/"),
            "userinfo_endpoint": format!("{issuer}userinfo/"),
            "jwks_uri": format!("{issuer}key.jwk"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        });
        let jwks = json!({ "keys": [public] });
        let (token_answers, userinfo_answers) = (answers.clone(), answers.clone());
        let signer_key = key.to_der_private_key();
        let token_issuer = issuer.clone();
        let token = move |axum::Form(form): axum::Form<HashMap<String, String>>| async move {
            let answer = token_answers.lock().unwrap().get(&form["code"]).cloned().unwrap();
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
            let mut claims = json!({
                "iss": token_issuer, "sub": "mojeid-123", "aud": answer["client_id"], "iat": now, "exp": now + 600,
                "nonce": answer["nonce"],
            });
            if !answer["acr"].is_null() {
                claims["acr"] = answer["acr"].clone();
            }
            let mut header = josekit::jws::JwsHeader::new();
            header.set_key_id("k1");
            header.set_token_type("JWT");
            let payload = josekit::jwt::JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
            let signer = josekit::jws::RS256.signer_from_der(&signer_key).unwrap();
            let id_token = josekit::jwt::encode_with_signer(&payload, &header, &signer).unwrap();
            axum::Json(
                json!({ "access_token": form["code"], "token_type": "Bearer", "expires_in": 60, "id_token": id_token }),
            )
        };
        let userinfo = move |headers: axum::http::HeaderMap| async move {
            let bearer = headers["authorization"].to_str().unwrap().trim_start_matches("Bearer ").to_owned();
            let answer = userinfo_answers.lock().unwrap().get(&bearer).cloned().unwrap();
            let mut info = answer["person"].clone();
            info["sub"] = json!("mojeid-123");
            axum::Json(info)
        };
        let app = axum::Router::new()
            .route("/oidc/.well-known/openid-configuration", get(move || async move { axum::Json(discovery) }))
            .route("/oidc/key.jwk", get(move || async move { axum::Json(jwks) }))
            .route("/oidc/token/", post(token))
            .route("/oidc/userinfo/", get(userinfo));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        MockMojeid { issuer, answers }
    }

    fn upstream(&self) -> MojeidUpstreamConfig {
        MojeidUpstreamConfig {
            issuer: self.issuer.clone(),
            discovery: None,
            client_id: "nia-at-mock".into(),
            client_secret: Some(Secret::new("mock-secret")),
            client_secret_file: None,
        }
    }

    /// mojeID's answer to the request `at_mojeid`: back to its redirect URI with a code for which
    /// the ID token says `acr` and userinfo `person`.
    fn answer(&self, at_mojeid: &str, acr: Option<&str>, person: Value) -> String {
        let asked = params_of(at_mojeid);
        let code = identita::secret::random_token(12);
        let answer = json!({ "nonce": asked["nonce"], "client_id": asked["client_id"], "acr": acr, "person": person });
        self.answers.lock().unwrap().insert(code.clone(), answer);
        let mut back = url::Url::parse(&asked["redirect_uri"]).unwrap();
        back.query_pairs_mut().append_pair("code", &code).append_pair("state", &asked["state"]);
        back.into()
    }
}

fn person() -> Value {
    json!({ "given_name": "Jana", "family_name": "Dvořáková", "birthdate": "1979-11-03" })
}

#[tokio::test]
async fn a_level_below_substantial_or_unknown_is_refused() {
    let mock = MockMojeid::start().await;
    let server = start(false, Some(mock.upstream())).await;
    for acr in [Some("http://eidas.europa.eu/LoA/low"), Some("urn:mojeid:level:2"), None] {
        let browser = Browser::new();
        let html = to_mojeid_choice(&server, &browser, "openid").await;
        let at_mojeid = go_to_mojeid(&server, &browser, &html).await;
        assert!(at_mojeid.starts_with(&format!("{}authorization/", mock.issuer)), "{at_mojeid}");
        // Any level asked for at NIA: mojeID still only at substantial or high.
        assert_eq!(params_of(&at_mojeid)["acr_values"], format!("{SUBSTANTIAL} {HIGH}"));
        let back = mock.answer(&at_mojeid, acr, person());
        let (status, html) = page(visit(&browser, &server.url("/nia"), &back).await);
        assert_eq!(status, 403, "{acr:?}: {html}");
        assert!(html.contains("neověřilo na úrovni") || html.contains("did not verify you at the level"), "{html}");
    }
}

#[tokio::test]
async fn a_login_asking_for_high_gets_high_only_when_mojeid_says_high() {
    let mock = MockMojeid::start().await;
    let server = start(false, Some(mock.upstream())).await;
    let browser = Browser::new();
    let html = to_mojeid_choice(&server, &browser, "openid loahigh").await;
    let at_mojeid = go_to_mojeid(&server, &browser, &html).await;
    assert_eq!(params_of(&at_mojeid)["acr_values"], HIGH);
    let (status, html) =
        page(visit(&browser, &server.url("/nia"), &mock.answer(&at_mojeid, Some(SUBSTANTIAL), person())).await);
    assert_eq!(status, 403, "substantial where high is asked:\n{html}");

    let at_mojeid = go_to_mojeid(&server, &browser, &html).await;
    let at_portal =
        redirect(visit(&browser, &server.url("/nia"), &mock.answer(&at_mojeid, Some(HIGH), person())).await);
    let claims = id_token(&server, &at_portal).await;
    assert_eq!(claims["acr"], HIGH, "{claims}");
    assert_eq!(claims["amr"], json!(["fed"]), "{claims}");
}

#[tokio::test]
async fn an_answer_naming_no_one_citizen_or_an_error_at_mojeid_is_refused_clearly() {
    let mock = MockMojeid::start().await;
    let server = start(false, Some(mock.upstream())).await;
    let browser = Browser::new();
    let html = to_mojeid_choice(&server, &browser, "openid loasubstantial").await;
    let unknown = json!({ "given_name": "Jana", "family_name": "Dvořáková", "birthdate": "1979-11-04" });
    let at_mojeid = go_to_mojeid(&server, &browser, &html).await;
    let (status, html) =
        page(visit(&browser, &server.url("/nia"), &mock.answer(&at_mojeid, Some(SUBSTANTIAL), unknown)).await);
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("právě jednomu občanovi") || html.contains("exactly one citizen"), "{html}");

    let no_birthdate = json!({ "given_name": "Jana", "family_name": "Dvořáková" });
    let at_mojeid = go_to_mojeid(&server, &browser, &html).await;
    let (status, _) =
        page(visit(&browser, &server.url("/nia"), &mock.answer(&at_mojeid, Some(SUBSTANTIAL), no_birthdate)).await);
    assert_eq!(status, 403);

    // mojeID answers with an error of its own.
    let at_mojeid = go_to_mojeid(&server, &browser, &html).await;
    let asked = params_of(&at_mojeid);
    let mut back = url::Url::parse(&asked["redirect_uri"]).unwrap();
    back.query_pairs_mut().append_pair("error", "server_error").append_pair("state", &asked["state"]);
    let (status, html) = page(visit(&browser, &server.url("/nia"), back.as_str()).await);
    assert_eq!(status, 502, "{html}");
    assert!(html.contains("nepodařilo dokončit") || html.contains("could not be completed"), "{html}");
}

/// The whole way in headless Chromium, with mojeID's own means at this server's mojeID face: the
/// citizen registers a certified security key there, a portal asks NIA for high, the citizen
/// chooses mojeID, signs in there with the password and the key (high), and the portal gets high.
#[tokio::test]
async fn in_a_real_browser_a_certified_key_at_mojeid_gives_high_at_nia() {
    use crate::browser::{browser_in, driver, relying_party, wait_for};
    use crate::webauthn::{CHROMIUM_VIRTUAL_AAGUID, add_authenticator};
    use fantoccini::Locator;
    const TEST: &str = "in_a_real_browser_a_certified_key_at_mojeid_gives_high_at_nia";
    let Some(driver) = driver(TEST).await else { return };
    // On localhost: a browser refuses WebAuthn on an IP address.
    let server = TestServer::start_with(|config| {
        config.issuer = config.issuer.replace("127.0.0.1", "localhost");
        config.webauthn.certified_aaguids = vec![CHROMIUM_VIRTUAL_AAGUID.into()];
        config.faces = vec![
            face("nia", "nia", format!("{}/nia", config.issuer)),
            face("mojeid", "mojeid", format!("{}/mojeid", config.issuer)),
        ];
    })
    .await;
    server.add_user(USER, PASS, profile()).await;
    let issuer = server.provider.issuer().to_owned();
    let (callback, seen) = relying_party().await;
    for (index, id) in [(0, PORTAL), (1, "mojeid-service")] {
        let face = &server.provider.faces[index];
        let meta: ClientMetadata = serde_json::from_value(json!({
            "redirect_uris": [callback], "token_endpoint_auth_method": "client_secret_post", "first_party": true,
        }))
        .unwrap();
        let (client, _) = registration::build(face, meta, id.into(), face.now()).await.unwrap();
        face.stores.clients.insert(&client).await.unwrap();
    }
    let client = browser_in(&driver, "en").await;
    add_authenticator(&client, true).await;

    // A password login at the mojeID face, and a key registered on its account page.
    let query = format!("response_type=code&client_id=mojeid-service&redirect_uri={callback}&scope=openid&state=s");
    client.goto(&format!("{issuer}/mojeid/oidc/authorization/?{query}")).await.unwrap();
    client.wait().for_element(Locator::Id("username")).await.unwrap().send_keys(USER).await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(PASS).await.unwrap();
    client.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
    wait_for("the service's callback", || !seen.lock().unwrap().is_empty()).await;
    seen.lock().unwrap().clear();
    client.goto(&format!("{issuer}/mojeid/account/keys")).await.unwrap();
    client.wait().for_element(Locator::Id("key-name")).await.unwrap().send_keys("Klíč").await.unwrap();
    client.find(Locator::Id("key-add-start")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("keys-status")).await.unwrap();

    // The portal asks NIA for high; the citizen chooses mojeID.
    let mut authorize = url::Url::parse(&format!("{issuer}/nia/FPSTS/oidc/authorize")).unwrap();
    authorize.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", PORTAL),
        ("redirect_uri", &callback),
        ("scope", "openid loahigh"),
        ("state", "st-fed"),
        ("claims", CLAIMS),
    ]);
    client.goto(authorize.as_str()).await.unwrap();
    let choice = Locator::Css(r#"a[data-means="mojeid-federated"]"#);
    client.wait().for_element(choice).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("mojeid-continue")).await.unwrap().click().await.unwrap();
    // At mojeID: its own means, the password and the key.
    client.wait().for_element(Locator::Css("a[data-means=mojeid]")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Css("input[name=means][value=mojeid]")).await.unwrap();
    assert!(client.current_url().await.unwrap().as_str().starts_with(&format!("{issuer}/mojeid/")));
    client.find(Locator::Id("username")).await.unwrap().send_keys(USER).await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(PASS).await.unwrap();
    client.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("key-start")).await.unwrap().click().await.unwrap();
    wait_for("the portal's callback", || !seen.lock().unwrap().is_empty()).await;
    let query = seen.lock().unwrap()[0].clone();
    let claims = id_token_at(&server, &format!("{callback}?{query}"), &callback).await;
    assert_eq!(claims["acr"], HIGH, "{claims}");
    // The browser's password session (shared by the faces) stepped up: its `pwd` stays.
    assert_eq!(claims["amr"], json!(["pwd", "fed"]), "{claims}");
    assert!(claims["PersonIdentifier"].as_str().is_some_and(|p| p.starts_with("CZ/CZ/")), "{claims}");
    client.close().await.unwrap();
}
