//! The generic SAML identity provider of the standard face (`/saml2`, its entityID its metadata's
//! URL), against the same pysaml2 service provider as the nia face's tests
//! (`tests/third_party/nia_saml_sp.py`, in its `generic` mode: no eIDAS extensions): it logs in
//! over HTTP-Redirect and HTTP-POST, verifies and (when it has an encryption key) decrypts the
//! assertion, reads the attributes under their OpenID Connect claim names, and finds as NameID
//! the `sub` the same portal gets over OpenID Connect; its logout ends the session. Requests the
//! face refuses are sent by a hand-made SP (`saml_requests::SpKey`).
//!
//! Needs python3 with pysaml2 and xmlsec1, as `saml.rs`; without them the pysaml2 tests say they
//! were skipped, and fail under `CI=true`.

use crate::common;
use crate::saml_requests::SpKey;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Browser, Landing, TestServer};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

const SP: &str = "https://shop.example/saml";
const ACS: &str = "http://127.0.0.1:9/saml/acs";
const PORTAL_CB: &str = "http://127.0.0.1:9/oidc/cb";
const USER: &str = "petr";
const PASS: &str = "heslo-456";
const LOW: &str = "http://eidas.europa.eu/LoA/low";
const BASIC: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";

fn saml_ready(test: &str) -> bool {
    let runs = |program: &str, args: &[&str]| {
        std::process::Command::new(program).args(args).output().is_ok_and(|o| o.status.success())
    };
    let ok = runs("python3", &["-c", "import saml2"]) && runs("xmlsec1", &["--version"]);
    if !ok {
        let what = "python3 with pysaml2 and xmlsec1 (`pip install pysaml2`, `apt-get install xmlsec1`)";
        common::under_ci_a_skip_fails(test, what);
        eprintln!("SKIPPED {test}: needs {what}");
        common::skips::record(test, common::skips::Needs::Saml);
    }
    ok
}

/// A server whose primary face is the standard one, a `nia` face at `/nia` beside it, and one
/// person.
async fn start() -> TestServer {
    let server = TestServer::start_with(|config| {
        config.faces = vec![common::face("nia", "nia", format!("{}/nia", config.issuer))];
    })
    .await;
    let profile = json!({
        "given_name": "Petr", "family_name": "Dvořák", "birthdate": "1985-02-03", "email": "petr@example.cz",
    });
    server.add_user(USER, PASS, profile).await;
    server
}

/// The OpenID Connect client of the same portal: `client_id` the SP's entityID, pairwise
/// subjects, first party (no consent page). Returns its secret.
async fn register_portal(server: &TestServer) -> String {
    let client = json!({
        "client_id": SP, "redirect_uris": [PORTAL_CB], "subject_type": "pairwise", "first_party": true,
        "token_endpoint_auth_method": "client_secret_post",
    });
    server.add_client(client).await.1.unwrap()
}

fn authorize_url(server: &TestServer, prompt: Option<&str>) -> String {
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", SP)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("redirect_uri", PORTAL_CB)
        .append_pair("state", "s");
    if let Some(prompt) = prompt {
        url.query_pairs_mut().append_pair("prompt", prompt);
    }
    url.into()
}

/// The `sub` of the ID token the portal gets through the browser's SSO session.
async fn oidc_sub(server: &TestServer, browser: &Browser, secret: &str) -> String {
    let Landing::Redirect(back) = browser.visit(&server.issuer, &authorize_url(server, None)).await else {
        panic!("the browser's session did not answer the portal at once");
    };
    let code = common::params_of(&back).get("code").cloned().unwrap_or_else(|| panic!("no code: {back}"));
    // client_secret_post: the entityID's colon cannot stand in a Basic user name unencoded.
    let tokens: Value = reqwest::Client::new()
        .post(server.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", PORTAL_CB),
            ("client_id", SP),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let payload = tokens["id_token"].as_str().unwrap().split('.').nth(1).unwrap().to_owned();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sub"].as_str().unwrap().to_owned()
}

/// Logs in on the pages `landing` is, returning the `SAMLResponse` and `RelayState` posted to the
/// ACS (at once, when the browser's session is enough).
async fn log_in(server: &TestServer, browser: &Browser, mut landing: Landing) -> (String, String) {
    loop {
        match landing {
            Landing::Page(_, html) if html.contains("id=\"login\"") => {
                let fields = [("username", USER), ("password", PASS)];
                landing = browser.submit(&server.issuer, &html, "login", &fields).await;
            }
            Landing::Page(200, html) if html.contains("name=\"SAMLResponse\"") => {
                let (action, fields) = common::first_form(&html).unwrap();
                assert_eq!(action, ACS);
                let field =
                    |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
                return (field("SAMLResponse"), field("RelayState"));
            }
            other => panic!("unexpected landing: {other:?}"),
        }
    }
}

/// Runs the SP script in its generic mode with `options` (`post`, `plain`, `email`, `logout`),
/// registered at the standard face from the metadata it writes; between its login and its
/// logout, `between` runs in the same browser. Returns the JSON lines it printed.
async fn converse<F, Fut>(server: &TestServer, browser: &Browser, options: &[&str], between: F) -> Vec<Value>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/third_party/nia_saml_sp.py");
    let post = options.contains(&"post");
    let logout = options.contains(&"logout");
    let mut child = Command::new("python3")
        .arg(&script)
        .arg(dir.path())
        .args([SP, ACS, LOW, if post { "post" } else { "redirect" }, "generic"])
        .args(options.iter().filter(|o| **o != "post"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let mut results = Vec::new();
    let mut between = Some(between);
    let conversation = async {
        while let Some(line) = stdout.next_line().await.unwrap() {
            if let Some(path) = line.strip_prefix("metadata: ") {
                let xml = std::fs::read_to_string(path).unwrap();
                let face = &server.provider;
                let sp = identita::saml::sp_metadata::parse(&xml, None, Some("Obchod"), face.now()).unwrap();
                face.stores.saml_sps.put(&sp).await.unwrap();
                let idp = reqwest::get(server.url("/saml2/metadata")).await.unwrap().text().await.unwrap();
                let idp_path = dir.path().join("idp.xml");
                std::fs::write(&idp_path, idp).unwrap();
                stdin.write_all(format!("idp {}\n", idp_path.display()).as_bytes()).await.unwrap();
            } else if let Some(url) = line.strip_prefix("open: ") {
                let landing = browser.visit(&server.issuer, url).await;
                let (response, relay_state) = log_in(server, browser, landing).await;
                stdin.write_all(format!("response {response} {relay_state}\n").as_bytes()).await.unwrap();
            } else if let Some(form) = line.strip_prefix("post: ") {
                let mut parts = form.split(' ');
                let (url, request, relay_state) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
                let posted = browser.http.post(url).form(&[("SAMLRequest", request), ("RelayState", relay_state)]);
                let landing = browser.follow(&server.issuer, posted.send().await.unwrap()).await;
                let (response, relay_state) = log_in(server, browser, landing).await;
                stdin.write_all(format!("response {response} {relay_state}\n").as_bytes()).await.unwrap();
            } else if let Some(url) = line.strip_prefix("logout: ") {
                let Landing::Redirect(to) = browser.visit(&server.issuer, url).await else {
                    panic!("the logout did not lead back to the SP");
                };
                stdin.write_all(format!("logged_out {to}\n").as_bytes()).await.unwrap();
            } else if let Ok(value @ Value::Object(_)) = serde_json::from_str(&line) {
                results.push(value);
                if let (true, Some(between)) = (logout, between.take()) {
                    between().await;
                    stdin.write_all(b"logout\n").await.unwrap();
                }
            } else {
                printed.push(line);
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(120), conversation).await.expect("the script finished in time");
    drop(stdin);
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).await.unwrap();
    let status = child.wait().await.unwrap();
    match results.is_empty() {
        false if status.success() => results,
        _ => panic!("{} failed ({status}):\n{}\n{stderr}", script.display(), printed.join("\n")),
    }
}

/// The attribute named `name` of what the SP saw.
fn attribute<'a>(seen: &'a Value, name: &str) -> &'a Value {
    let attributes = seen["attributes"].as_array().unwrap();
    attributes.iter().find(|a| a["name"] == name).unwrap_or_else(|| panic!("no {name}: {seen}"))
}

#[tokio::test]
async fn a_pysaml2_sp_logs_in_at_the_standard_face_with_the_portals_oidc_sub_and_logs_out() {
    let test = "a_pysaml2_sp_logs_in_at_the_standard_face_with_the_portals_oidc_sub_and_logs_out";
    if !saml_ready(test) {
        return;
    }
    let server = start().await;
    let secret = register_portal(&server).await;
    let browser = Browser::new();
    let sub = std::sync::Mutex::new(String::new());
    let seen = converse(&server, &browser, &["logout"], || async {
        *sub.lock().unwrap() = oidc_sub(&server, &browser, &secret).await;
    })
    .await;
    let (login, logout) = (&seen[0], &seen[1]);

    assert_eq!(login["metadata_signature_ok"], true, "{login}");
    assert_eq!(login["issuer"], server.url("/saml2/metadata"));
    assert_eq!(login["relay_state"], "/after/login?x=1");
    // An SP with an encryption key gets its assertion encrypted, and signed as it asked.
    assert_eq!(login["encrypted"], true, "{login}");
    assert_eq!(login["assertion_signed"], true, "{login}");
    assert_eq!(login["authn_context"], LOW);
    assert_eq!(login["audience"], json!([SP]));
    assert_eq!(login["name_id_format"], "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent");
    // The NameID is the `sub` the portal's OpenID Connect client got in the same session: a
    // pairwise one, since the client is pairwise.
    let sub = sub.lock().unwrap().clone();
    let user = server.provider.stores.users.find_by_username(USER).await.unwrap().unwrap();
    assert!(!sub.is_empty() && sub != user.id, "a pairwise sub: {sub}");
    assert_eq!(login["name_id"], sub.as_str(), "{login}");

    // The OpenID Connect claims by name, NameFormat basic, no eIDAS naming.
    assert_eq!(attribute(login, "given_name")["values"], json!(["Petr"]));
    assert_eq!(attribute(login, "family_name")["values"], json!(["Dvořák"]));
    assert_eq!(attribute(login, "email")["values"], json!(["petr@example.cz"]));
    assert_eq!(attribute(login, "birthdate")["values"], json!(["1985-02-03"]));
    assert_eq!(attribute(login, "email")["name_format"], BASIC);
    assert_eq!(attribute(login, "email")["original_issuer"], Value::Null);
    let names: Vec<&str> = login["attributes"].as_array().unwrap().iter().filter_map(|a| a["name"].as_str()).collect();
    assert!(names.iter().all(|n| !n.starts_with("http")), "{names:?}");

    // The SAML logout: a signed LogoutResponse, and the session is over for the portal too.
    assert_eq!(logout["logout_signature_ok"], true, "{logout}");
    assert_eq!(logout["logout_issuer"], server.url("/saml2/metadata"));
    assert_eq!(logout["logout_status"], "urn:oasis:names:tc:SAML:2.0:status:Success", "{logout}");
    assert_eq!(logout["still_logged_in"], false, "{logout}");
    let Landing::Redirect(back) = browser.visit(&server.issuer, &authorize_url(&server, Some("none"))).await else {
        panic!("prompt=none did not answer the portal");
    };
    assert_eq!(common::params_of(&back).get("error").map(String::as_str), Some("login_required"), "{back}");
}

#[tokio::test]
async fn a_pysaml2_sp_without_an_encryption_key_logs_in_over_post_and_gets_a_signed_plain_assertion() {
    let test = "a_pysaml2_sp_without_an_encryption_key_logs_in_over_post_and_gets_a_signed_plain_assertion";
    if !saml_ready(test) {
        return;
    }
    let server = start().await;
    let browser = Browser::new();
    let seen = converse(&server, &browser, &["post", "plain"], || async {}).await.remove(0);
    assert_eq!(seen["encrypted"], false, "{seen}");
    assert_eq!(seen["assertion_signed"], true, "{seen}");
    assert_eq!(seen["issuer"], server.url("/saml2/metadata"));
    // No OpenID Connect client of that portal: the `sub` of a public one, the account's id.
    let user = server.provider.stores.users.find_by_username(USER).await.unwrap().unwrap();
    assert_eq!(seen["name_id"], user.id.as_str(), "{seen}");
    assert_eq!(attribute(&seen, "family_name")["values"], json!(["Dvořák"]));

    // Asked for an e-mail NameID, over the browser's session (no login page on the way).
    let seen = converse(&server, &browser, &["email"], || async {}).await.remove(0);
    assert_eq!(seen["name_id_format"], "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", "{seen}");
    assert_eq!(seen["name_id"], "petr@example.cz");
    assert_eq!(seen["encrypted"], true, "{seen}");
}

/// An AuthnRequest of `issuer` to the standard face, to `acs`.
fn authn_request(server: &TestServer, issuer: &str, id: &str, acs: &str) -> String {
    let instant = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{instant}" Destination="{sso}" AssertionConsumerServiceURL="{acs}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>{issuer}</saml:Issuer></samlp:AuthnRequest>"#,
        sso = server.url("/saml2"),
    )
}

/// Registers the SP `entity_id` with `key` at the face `face` (`None`: the standard primary),
/// saying in its metadata whether it signs its requests.
async fn register(server: &TestServer, face: Option<&str>, key: &SpKey, entity_id: &str, signs: bool) {
    let mut xml = key.metadata_of(entity_id, ACS, None);
    if !signs {
        xml = xml.replace(r#"AuthnRequestsSigned="true""#, r#"AuthnRequestsSigned="false""#);
    }
    let provider = match face {
        None => &server.provider,
        // The only face of `[[faces]]`: the nia one.
        Some(_) => &server.provider.faces[0],
    };
    let sp = identita::saml::sp_metadata::parse(&xml, face, None, provider.now()).unwrap();
    provider.stores.saml_sps.put(&sp).await.unwrap();
}

/// GETs the standard face's SSO URL with `query`: the status, the `Location`, the body.
async fn send(server: &TestServer, query: &str) -> (u16, Option<String>, String) {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = http.get(format!("{}?{query}", server.url("/saml2"))).send().await.unwrap();
    let status = response.status().as_u16();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    (status, location, response.text().await.unwrap())
}

#[tokio::test]
async fn the_standard_face_refuses_unknown_sps_unsigned_requests_when_required_and_foreign_acs() {
    let server = start().await;
    let key = SpKey::new();
    register(&server, None, &key, SP, true).await;
    // An SP of the nia face is not known at the standard face.
    let nia_only = "https://nia-only.example/saml";
    register(&server, Some("nia"), &key, nia_only, true).await;
    let lax = "https://lax.example/saml";
    register(&server, None, &key, lax, false).await;

    let signed = key.redirect_query(&authn_request(&server, SP, "_s1", ACS), true);
    let (status, location, _) = send(&server, &signed).await;
    assert_eq!(status, 303);
    assert!(location.unwrap().starts_with("/login?interaction="));

    let foreign = key.redirect_query(&authn_request(&server, nia_only, "_s2", ACS), true);
    let (status, _, html) = send(&server, &foreign).await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("nia-only.example"), "{html}");

    // Its metadata says it signs: an unsigned request is refused, and no login begins.
    let unsigned = key.redirect_query(&authn_request(&server, SP, "_s3", ACS), false);
    let (status, location, html) = send(&server, &unsigned).await;
    assert_eq!((status, location), (400, None), "{html}");
    assert!(html.contains("not signed"), "{html}");

    // An SP whose metadata says it does not sign may send unsigned requests.
    let unsigned = key.redirect_query(&authn_request(&server, lax, "_s4", ACS), false);
    let (status, location, _) = send(&server, &unsigned).await;
    assert_eq!(status, 303);
    assert!(location.unwrap().starts_with("/login?interaction="));

    // …but only to an ACS of its metadata.
    let elsewhere = key.redirect_query(&authn_request(&server, lax, "_s5", "https://attacker.example/acs"), false);
    let (status, _, html) = send(&server, &elsewhere).await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("attacker.example"), "{html}");
}

#[tokio::test]
async fn the_standard_faces_metadata_names_it_by_its_url_and_offers_its_nameid_formats() {
    let server = start().await;
    let response = reqwest::get(server.url("/saml2/metadata")).await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/samlmetadata+xml");
    let xml = response.text().await.unwrap();
    assert!(xml.contains(&format!(r#"entityID="{}""#, server.url("/saml2/metadata"))), "{xml}");
    assert!(xml.contains(r#"WantAuthnRequestsSigned="false""#), "{xml}");
    assert!(xml.contains(&format!(r#"Location="{}""#, server.url("/saml2"))), "{xml}");
    for format in ["persistent", "emailAddress", "transient"] {
        assert!(xml.contains(&format!("nameid-format:{format}</md:NameIDFormat>")), "{format}: {xml}");
    }
    assert!(xml.contains("<ds:SignatureValue>"), "{xml}");
    // The nia face's is NIA's still: its URN, signed requests only, persistent NameIDs only.
    let nia = reqwest::get(server.url("/nia/FPSTS/FederationMetadata/2007-06/FederationMetadata.xml"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(nia.contains(r#"entityID="urn:microsoft:cgg2010:fpsts""#), "{nia}");
    assert!(nia.contains(r#"WantAuthnRequestsSigned="true""#) && !nia.contains("transient"), "{nia}");
}

// Two workers: the command line runs while the server serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_registers_an_sp_at_the_face_it_names_and_it_is_known_only_there() {
    let server = start().await;
    let toml = format!(
        "issuer = {:?}\n\n[[faces]]\nname = \"nia\"\npersona = \"nia\"\nurl = \"{}/nia\"\n",
        server.issuer, server.issuer
    );
    std::fs::write(server.dir.join("identita.toml"), toml).unwrap();
    let key = SpKey::new();
    let file = server.dir.join("sp.xml");
    std::fs::write(&file, key.metadata_of(SP, ACS, None)).unwrap();
    let run = |args: &[&str]| {
        let output = tokio::task::block_in_place(|| common::cli_beside(&server, args, &[]));
        let value: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
        (output.status.success(), value)
    };
    // Without --face: the primary (standard) face, which serves SAML.
    let (ok, added) = run(&["saml", "sp", "add", "--metadata", file.to_str().unwrap()]);
    assert!(ok, "{added}");
    assert_eq!(added["face"], Value::Null);
    let request = key.redirect_query(&authn_request(&server, SP, "_c1", ACS), true);
    let (status, _, _) = send(&server, &request).await;
    assert_eq!(status, 303, "known at the standard face");
    let (status, html) = {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let response = http.get(format!("{}?{request}", server.url("/nia/FPSTS/saml2/basic"))).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    };
    assert_eq!(status, 400, "unknown at the nia face: {html}");
    let (ok, listed) = run(&["--face", "nia", "saml", "sp", "list"]);
    assert!(ok && listed.as_array().unwrap().is_empty(), "{listed}");
    let (ok, listed) = run(&["saml", "sp", "list"]);
    assert!(ok && listed.as_array().unwrap().len() == 1, "{listed}");
}
