//! Several issuers (faces, `[[faces]]`) served by one process from one database: each with its
//! own discovery, keys, clients, sessions and tokens, and none accepting another's code, access
//! token, refresh token or SSO cookie.

use crate::common;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Browser, Landing, TestServer};
use identita::config::FaceConfig;
use identita::oidc::Provider;
use identita::oidc::registration::{self, ClientMetadata};
use reqwest::cookie::{CookieStore, Jar};
use serde_json::{Value, json};

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const USER: &str = "jan";
const PASS: &str = "heslo-123";

async fn two_faces() -> TestServer {
    let server = TestServer::start_with(|config| {
        config.faces = vec![FaceConfig {
            name: "second".into(),
            persona: "standard".into(),
            issuer: Some(format!("{}/second", config.issuer)),
            url: None,
            listen: None,
            share_sessions: None,
            mojeid: None,
            quirks: Default::default(),
        }];
    })
    .await;
    server.add_user(USER, PASS, json!({ "name": "Jan Novák" })).await;
    server
}

/// A confidential first-party client of `face` (no consent page), for the code flow with refresh.
async fn client_of(face: &Provider) -> (String, String) {
    client_with(face, json!({})).await
}

async fn client_with(face: &Provider, extra: Value) -> (String, String) {
    let mut metadata = json!({
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "first_party": true,
    });
    metadata.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let meta: ClientMetadata = serde_json::from_value(metadata).unwrap();
    let id = identita::secret::random_token(12);
    let (client, secret) = registration::build(face, meta, id.clone(), face.now()).await.unwrap();
    face.stores.clients.insert(&client).await.unwrap();
    (id, secret.unwrap())
}

/// An authorization request to `issuer` with `prompt`: `consent` asks for a refresh token too
/// (`offline_access`), `none` for an answer without any page.
fn authorize_url(issuer: &str, client_id: &str, prompt: &str) -> String {
    let scope = if prompt == "consent" { "openid profile offline_access" } else { "openid profile" };
    let mut url = url::Url::parse(&format!("{issuer}/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("prompt", prompt)
        .append_pair("state", "st");
    url.into()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A token request to `issuer`'s token endpoint, with `client`'s secret (client_secret_basic).
async fn token(issuer: &str, client: &(String, String), form: &[(&str, &str)]) -> (u16, Value) {
    let response =
        http().post(format!("{issuer}/token")).basic_auth(&client.0, Some(&client.1)).form(form).send().await.unwrap();
    json_of(response).await
}

async fn redeem(issuer: &str, client: &(String, String), code: &str) -> (u16, Value) {
    token(issuer, client, &[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT)]).await
}

async fn refresh(issuer: &str, client: &(String, String), refresh_token: &str) -> (u16, Value) {
    token(issuer, client, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
}

async fn userinfo(issuer: &str, access_token: &str) -> u16 {
    http().get(format!("{issuer}/userinfo")).bearer_auth(access_token).send().await.unwrap().status().as_u16()
}

async fn introspect(issuer: &str, client: &(String, String), token: &str) -> Value {
    let response = http()
        .post(format!("{issuer}/introspect"))
        .basic_auth(&client.0, Some(&client.1))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    json_of(response).await.1
}

fn claims_of(id_token: &str) -> Value {
    let payload = id_token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn kid_of(id_token: &str) -> String {
    let header = id_token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

fn code_of(landing: &str) -> String {
    common::params_of(landing).get("code").cloned().unwrap_or_else(|| panic!("no code in {landing}"))
}

/// The redirect to the client for a `prompt=none` request in `browser`.
async fn silent(server: &TestServer, browser: &Browser, issuer: &str, client_id: &str) -> String {
    match browser.visit(&server.issuer, &authorize_url(issuer, client_id, "none")).await {
        Landing::Redirect(to) => to,
        Landing::Page(status, html) => panic!("prompt=none showed a page ({status}):\n{html}"),
    }
}

/// The value of cookie `name` the browser holds for `url`.
fn cookie(jar: &Jar, url: &str, name: &str) -> String {
    let header = jar.cookies(&url.parse().unwrap()).unwrap();
    header
        .to_str()
        .unwrap()
        .split("; ")
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_owned))
        .unwrap_or_else(|| panic!("no cookie {name} in {header:?}"))
}

#[tokio::test]
async fn each_face_has_its_own_issuer_discovery_and_keys() {
    let server = two_faces().await;
    let (a, b) = (server.issuer.clone(), format!("{}/second", server.issuer));
    assert_eq!(server.provider.faces[0].issuer(), b);
    let discovery = |issuer: String| async move {
        json_of(http().get(format!("{issuer}/.well-known/openid-configuration")).send().await.unwrap()).await
    };
    let (status, first) = discovery(a.clone()).await;
    assert_eq!((status, first["issuer"].as_str()), (200, Some(a.as_str())));
    let (status, second) = discovery(b.clone()).await;
    assert_eq!((status, second["issuer"].as_str()), (200, Some(b.as_str())), "{second}");
    assert_eq!(second["token_endpoint"], format!("{b}/token"));
    assert_eq!(second["jwks_uri"], format!("{b}/jwks"));
    let kids = |jwks: Value| -> Vec<String> {
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
    };
    let (kids_a, kids_b) = (
        kids(json_of(http().get(format!("{a}/jwks")).send().await.unwrap()).await.1),
        kids(json_of(http().get(format!("{b}/jwks")).send().await.unwrap()).await.1),
    );
    assert!(!kids_b.is_empty() && kids_b.iter().all(|k| !kids_a.contains(k)), "{kids_a:?} {kids_b:?}");

    // A login at the second face gives an ID token of its issuer, signed with its keys.
    let client = client_of(&server.provider.faces[0]).await;
    let to = Browser::new().authorize(&server.issuer, &authorize_url(&b, &client.0, "consent"), USER, PASS).await;
    let (status, tokens) = redeem(&b, &client, &code_of(&to)).await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(claims_of(id_token)["iss"], b);
    assert!(kids_b.contains(&kid_of(id_token)));
    // Unknown paths under the face are still a plain 404.
    assert_eq!(http().get(format!("{b}/nothing-here")).send().await.unwrap().status().as_u16(), 404);
}

#[tokio::test]
async fn a_code_tokens_and_an_sso_cookie_of_one_issuer_are_refused_by_the_other() {
    let server = two_faces().await;
    let (a, b) = (server.issuer.clone(), format!("{}/second", server.issuer));
    let client_a = client_of(&server.provider).await;
    let client_b = client_of(&server.provider.faces[0]).await;
    let jar = Arc::new(Jar::default());
    let browser = Browser::at(&server, &jar);

    // A client of one face is unknown to the other.
    let (status, html) = common::page(browser.visit(&server.issuer, &authorize_url(&b, &client_a.0, "consent")).await);
    assert!(status == 400 && html.contains("not known"), "{status}: {html}");

    let code =
        code_of(&browser.authorize(&server.issuer, &authorize_url(&a, &client_a.0, "consent"), USER, PASS).await);
    // The first face's code at the second face: with its own client unknown there, and with the
    // second face's client, it is refused, and still good where it was issued.
    let (status, error) = redeem(&b, &client_a, &code).await;
    assert_eq!((status, error["error"].as_str()), (401, Some("invalid_client")), "{error}");
    let (status, error) = redeem(&b, &client_b, &code).await;
    assert_eq!((status, error["error"].as_str()), (400, Some("invalid_grant")), "{error}");
    let (status, tokens) = redeem(&a, &client_a, &code).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(claims_of(tokens["id_token"].as_str().unwrap())["iss"], a);
    let access = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();

    // Its access token: refused by the second face's userinfo, inactive to its introspection.
    assert_eq!(userinfo(&b, access).await, 401);
    assert_eq!(introspect(&b, &client_b, access).await, json!({ "active": false }));
    assert_eq!(userinfo(&a, access).await, 200);
    assert_eq!(introspect(&a, &client_a, access).await["active"], true);

    // Its refresh token: refused by the second face (and left unspent), rotated by the first.
    let (status, error) = refresh(&b, &client_b, refresh_token).await;
    assert_eq!((status, error["error"].as_str()), (400, Some("invalid_grant")), "{error}");
    let (status, rotated) = refresh(&a, &client_a, refresh_token).await;
    assert_eq!(status, 200, "{rotated}");

    // The browser's SSO session at the first face is no session at the second: prompt=none
    // there ends in login_required, even with the first face's cookie put under the second's name.
    let to = silent(&server, &browser, &a, &client_a.0).await;
    assert!(common::params_of(&to).contains_key("code"), "the first face's session lives: {to}");
    let to = silent(&server, &browser, &b, &client_b.0).await;
    assert_eq!(common::params_of(&to).get("error").map(String::as_str), Some("login_required"), "{to}");
    let session_a = cookie(&jar, &a, "identita_session");
    jar.add_cookie_str(&format!("identita_session_second={session_a}; Path=/second"), &b.parse().unwrap());
    assert_eq!(cookie(&jar, &format!("{b}/authorize"), "identita_session_second"), session_a);
    let to = silent(&server, &browser, &b, &client_b.0).await;
    assert_eq!(common::params_of(&to).get("error").map(String::as_str), Some("login_required"), "{to}");

    // And the other way round: a session of the second face is no session at the first.
    let other_jar = Arc::new(Jar::default());
    let other = Browser::at(&server, &other_jar);
    other.authorize(&server.issuer, &authorize_url(&b, &client_b.0, "consent"), USER, PASS).await;
    let session_b = cookie(&other_jar, &format!("{b}/authorize"), "identita_session_second");
    let to = silent(&server, &other, &a, &client_a.0).await;
    assert_eq!(common::params_of(&to).get("error").map(String::as_str), Some("login_required"), "{to}");
    other_jar.add_cookie_str(&format!("identita_session={session_b}; Path=/"), &a.parse().unwrap());
    let to = silent(&server, &other, &a, &client_a.0).await;
    assert_eq!(common::params_of(&to).get("error").map(String::as_str), Some("login_required"), "{to}");
    let to = silent(&server, &other, &b, &client_b.0).await;
    assert!(common::params_of(&to).contains_key("code"), "the second face's session lives: {to}");
}

#[tokio::test]
async fn the_cli_adds_a_client_to_a_face_and_names_the_faces_there_are() {
    let server = two_faces().await;
    let b = format!("{}/second", server.issuer);
    let toml = format!("issuer = {:?}\n\n[[faces]]\nname = \"second\"\nissuer = {b:?}\n", server.issuer);
    std::fs::write(server.dir.join("identita.toml"), toml).unwrap();
    let args = ["client", "add", "--face", "second", "--redirect-uri", REDIRECT, "--first-party"];
    let added = common::cli_beside(&server, &args, &[]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let added: Value = serde_json::from_slice(&added.stdout).unwrap();
    let client = (added["client_id"].as_str().unwrap().to_owned(), added["client_secret"].as_str().unwrap().to_owned());

    let to = Browser::new().authorize(&server.issuer, &authorize_url(&b, &client.0, "consent"), USER, PASS).await;
    let (status, tokens) = redeem(&b, &client, &code_of(&to)).await;
    assert_eq!(status, 200, "{tokens}");
    let (status, html) =
        common::page(Browser::new().visit(&server.issuer, &authorize_url(&server.issuer, &client.0, "consent")).await);
    assert!(status == 400 && html.contains("not known"), "the primary face does not know it: {html}");

    let listed = |face: Option<&str>| {
        let mut args = vec!["client", "list"];
        args.extend(face.map(|f| ["--face", f]).into_iter().flatten());
        let out = common::cli_beside(&server, &args, &[]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap().to_string()
    };
    assert!(listed(Some("second")).contains(&client.0));
    assert!(!listed(None).contains(&client.0));

    let unknown = common::cli_beside(&server, &["client", "list", "--face", "third"], &[]);
    let error: Value = serde_json::from_slice(&unknown.stdout).unwrap();
    let error = error["error"].as_str().unwrap_or_default();
    assert!(!unknown.status.success() && error.contains("no face \"third\"") && error.contains("second"), "{error}");
}

#[tokio::test]
async fn disabling_a_person_ends_their_session_at_every_face_with_back_channel_logout() {
    let server = two_faces().await;
    let b = format!("{}/second", server.issuer);
    // The relying party's receiver is on this machine, as a developer's is.
    let toml = format!(
        "issuer = {:?}\n\n[outbound]\nallow_loopback = true\n\n[[faces]]\nname = \"second\"\nissuer = {b:?}\n",
        server.issuer
    );
    std::fs::write(server.dir.join("identita.toml"), toml).unwrap();
    let receiver = crate::logout::receiver().await;
    let extra = json!({ "backchannel_logout_uri": receiver.uri });
    let client_b = client_with(&server.provider.faces[0], extra).await;
    let browser = Browser::new();
    browser.authorize(&server.issuer, &authorize_url(&b, &client_b.0, "login"), USER, PASS).await;
    assert!(common::params_of(&silent(&server, &browser, &b, &client_b.0).await).contains_key("code"));

    let disabled = common::cli_beside(&server, &["user", "disable", USER], &[]);
    assert!(disabled.status.success(), "{}", String::from_utf8_lossy(&disabled.stdout));
    let to = silent(&server, &browser, &b, &client_b.0).await;
    assert_eq!(common::params_of(&to).get("error").map(String::as_str), Some("login_required"), "{to}");
    let tokens = receiver.tokens.lock().unwrap().clone();
    assert_eq!(tokens.len(), 1, "the second face's client hears of the logout once: {tokens:?}");
    let logout_token = claims_of(&tokens[0]);
    assert_eq!(logout_token["iss"], b, "{logout_token}");
    assert_eq!(logout_token["aud"], client_b.0);
}

/// An error page is rendered for the face and the language of the request it answers: the
/// face's stylesheet and home page, the browser's language, or the one the request asked for
/// with `ui_locales` over the browser's.
#[tokio::test]
async fn an_error_page_is_the_faces_own_and_in_the_persons_language() {
    let server = two_faces().await;
    let (a, b) = (server.issuer.clone(), format!("{}/second", server.issuer));
    let page = |url: String, language: &'static str| async move {
        let response = http().get(url).header("accept-language", language).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    };

    let (status, html) = page(format!("{b}/login?interaction=no-such-login"), "en-GB,en;q=0.9").await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains(r#"<html lang="en">"#), "{html}");
    assert!(html.contains("This sign-in has expired"), "{html}");
    assert!(html.contains(r#"href="/second/static/identita.css""#), "{html}");
    assert!(html.contains(r#"id="error-back" class="back" href="/second/""#), "{html}");

    let (status, html) = page(format!("{a}/login?interaction=no-such-login"), "cs").await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains(r#"<html lang="cs">"#) && html.contains("Toto přihlášení vypršelo"), "{html}");
    assert!(html.contains(r#"href="/static/identita.css""#), "{html}");

    // An unknown client at the second face, asked in English by a Czech browser.
    let (status, html) = page(format!("{b}/authorize?client_id=nobody&response_type=code&ui_locales=en"), "cs").await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains(r#"<html lang="en">"#) && html.contains(r#"href="/second/static/identita.css""#), "{html}");
}
