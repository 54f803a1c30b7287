//! SAML 2.0 on the `nia` face, against a service provider identita's code did not write:
//! pysaml2 (`tests/third_party/nia_saml_sp.py`, with xmlsec1) registers from its own metadata,
//! checks the signature of the face's metadata, sends a signed AuthnRequest over HTTP-Redirect
//! asking for a level and eIDAS attributes, and verifies and decrypts the response this file's
//! browser brings back from the login pages.
//!
//! Needs python3 with pysaml2 and the xmlsec1 program (`.ci/run` installs both). Without them
//! a test says it was skipped, and fails under `CI=true`.

use crate::common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{Browser, Landing, TestServer};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

pub(crate) const SP: &str = "https://portal.example/saml";
const ACS: &str = "http://127.0.0.1:9/saml/acs";
const USER: &str = "jana";
const PASS: &str = "heslo-123";
const ISSUER: &str = "urn:microsoft:cgg2010:fpsts";
pub(crate) const LOW: &str = "http://eidas.europa.eu/LoA/low";

pub(crate) fn saml_ready(test: &str) -> bool {
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

/// A server with a `nia` face at `/nia` and one citizen.
pub(crate) async fn start() -> TestServer {
    start_with(identita::persona::QuirkSettings::default()).await
}

/// The same with the nia face's quirks set by `quirks`.
async fn start_with(quirks: identita::persona::QuirkSettings) -> TestServer {
    let server = TestServer::start_with(|config| {
        let mut face = common::face("nia", "nia", format!("{}/nia", config.issuer));
        face.quirks = quirks;
        config.faces = vec![face];
    })
    .await;
    let profile = json!({
        "given_name": "Jana", "family_name": "Nováková", "birthdate": "1990-05-17", "email": "jana@example.cz",
    });
    server.add_user(USER, PASS, profile).await;
    server
}

/// How the SP sends its request, and what an attacker does to it on the way.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Send {
    Redirect,
    Post,
    /// HTTP-POST with the SP's signed request wrapped, untouched, in `samlp:Extensions` of a
    /// request of the attacker's naming another ACS (XML signature wrapping).
    PostWrapped,
}

/// What the browser does with the SP's request (`landing` is where sending it led): logs in on
/// the pages it is sent to (or cancels, with `cancel`) and returns the `SAMLResponse` and
/// `RelayState` of the form that posts back to the ACS.
async fn log_in(server: &TestServer, browser: &Browser, mut landing: Landing, cancel: bool) -> (String, String) {
    loop {
        match landing {
            Landing::Page(_, html) if html.contains("id=\"login\"") => {
                let fields: &[(&str, &str)] =
                    if cancel { &[("cancel", "yes")] } else { &[("username", USER), ("password", PASS)] };
                landing = browser.submit(&server.issuer, &html, "login", fields).await;
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

/// Runs the SP script: registers it at the nia face from the metadata it writes, hands it the
/// face's metadata, plays the browser at the URL it prints, and returns the JSON it prints.
async fn run_sp(server: &TestServer, loa: &str, send: Send) -> Value {
    converse(server, loa, send, &Browser::new(), Then::Nothing).await.remove(0)
}

/// An OpenID Connect portal of the nia face with a back-channel logout receiver: the browser
/// signs in there between the SAML login and the SAML logout.
pub(crate) struct Portal {
    pub(crate) client_id: String,
    pub(crate) receiver: crate::logout::Receiver,
}

const PORTAL_CB: &str = "http://127.0.0.1:9/oidc/cb";

impl Portal {
    pub(crate) async fn register(server: &TestServer) -> Self {
        let face = &server.provider.faces[0];
        let receiver = crate::logout::receiver().await;
        let pair = josekit::jwk::alg::rsa::RsaKeyPair::generate(2048).unwrap();
        let mut public: serde_json::Map<String, Value> = josekit::jwk::KeyPair::to_jwk_public_key(&pair).into();
        public.insert("use".into(), "enc".into());
        let meta = serde_json::from_value(json!({
            "redirect_uris": [PORTAL_CB], "token_endpoint_auth_method": "client_secret_post",
            "jwks": { "keys": [public] }, "backchannel_logout_uri": receiver.uri,
        }))
        .unwrap();
        let client_id = "https://portal.example/oidc".to_owned();
        let (client, _) = identita::oidc::registration::build(face, meta, client_id.clone(), face.now()).await.unwrap();
        face.stores.clients.insert(&client).await.unwrap();
        Self { client_id, receiver }
    }

    pub(crate) fn authorize_url(&self, server: &TestServer, prompt: Option<&str>) -> String {
        let mut url = url::Url::parse(&server.url("/nia/FPSTS/oidc/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("response_type", "code")
            .append_pair("scope", "openid")
            .append_pair("redirect_uri", PORTAL_CB)
            .append_pair("state", "s")
            .append_pair("nonce", "n");
        if let Some(prompt) = prompt {
            url.query_pairs_mut().append_pair("prompt", prompt);
        }
        url.into()
    }

    /// Signs in through the browser's SSO session: consent only, no login page.
    pub(crate) async fn sign_in(&self, server: &TestServer, browser: &Browser) {
        let Landing::Page(_, consent) = browser.visit(&server.issuer, &self.authorize_url(server, None)).await else {
            panic!("no consent page");
        };
        assert!(consent.contains(r#"id="consent""#) && !consent.contains(r#"id="login""#), "{consent}");
        let Landing::Redirect(back) =
            browser.submit(&server.issuer, &consent, "consent", &[("decision", "allow")]).await
        else {
            panic!("not back at the portal");
        };
        assert!(common::params_of(&back).contains_key("code"), "{back}");
    }
}

/// What the conversation does besides logging in.
#[derive(Clone, Copy)]
pub(crate) enum Then<'a> {
    Nothing,
    /// The person cancels the login instead.
    Cancel,
    /// The browser signs in at the portal after the SAML login, then the SP logs out.
    LogOut(&'a Portal),
    /// An administrator registers the SP at the nia face through the admin API, with this API
    /// token (`saml_admin.rs`), rather than the test putting it in the store.
    RegisterThroughApi(&'a str),
}

/// The conversation with the SP script in `browser`. Returns the JSON lines it printed.
pub(crate) async fn converse(
    server: &TestServer,
    loa: &str,
    send: Send,
    browser: &Browser,
    then: Then<'_>,
) -> Vec<Value> {
    let portal = match then {
        Then::LogOut(portal) => Some(portal),
        _ => None,
    };
    let cancel = matches!(then, Then::Cancel);
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/third_party/nia_saml_sp.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .arg(dir.path())
        .args([SP, ACS, loa, if send == Send::Redirect { "redirect" } else { "post" }])
        .args(portal.map(|_| "logout"))
        .args(cancel.then_some("failure"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let face = &server.provider.faces[0];
    let mut printed = Vec::new();
    let mut results = Vec::new();
    let conversation = async {
        while let Some(line) = stdout.next_line().await.unwrap() {
            if let Some(path) = line.strip_prefix("metadata: ") {
                let xml = std::fs::read_to_string(path).unwrap();
                if let Then::RegisterThroughApi(token) = then {
                    crate::saml_admin::register(server, token, &xml).await;
                } else {
                    let sp = identita::saml::sp_metadata::parse(&xml, Some("nia"), Some("Portál"), face.now()).unwrap();
                    face.stores.saml_sps.put(&sp).await.unwrap();
                }
                let idp = reqwest::get(server.url("/nia/FPSTS/FederationMetadata/2007-06/FederationMetadata.xml"))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                let idp_path = dir.path().join("idp.xml");
                std::fs::write(&idp_path, idp).unwrap();
                stdin.write_all(format!("idp {}\n", idp_path.display()).as_bytes()).await.unwrap();
            } else if let Some(url) = line.strip_prefix("open: ") {
                let landing = browser.visit(&server.issuer, url).await;
                let (response, relay_state) = log_in(server, browser, landing, cancel).await;
                stdin.write_all(format!("response {response} {relay_state}\n").as_bytes()).await.unwrap();
            } else if let Some(form) = line.strip_prefix("post: ") {
                let mut parts = form.split(' ');
                let (url, request, relay_state) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
                let request = if send == Send::PostWrapped { wrapped(server, request) } else { request.to_owned() };
                let posted = browser.http.post(url).form(&[("SAMLRequest", &*request), ("RelayState", relay_state)]);
                let landing = browser.follow(&server.issuer, posted.send().await.unwrap()).await;
                let (response, relay_state) = log_in(server, browser, landing, cancel).await;
                stdin.write_all(format!("response {response} {relay_state}\n").as_bytes()).await.unwrap();
            } else if let Some(url) = line.strip_prefix("logout: ") {
                let Landing::Redirect(to) = browser.visit(&server.issuer, url).await else {
                    panic!("the logout did not lead back to the SP");
                };
                stdin.write_all(format!("logged_out {to}\n").as_bytes()).await.unwrap();
            } else if let Ok(value @ Value::Object(_)) = serde_json::from_str(&line) {
                results.push(value);
                if let (Some(portal), 1) = (portal, results.len()) {
                    portal.sign_in(server, browser).await;
                    stdin.write_all(b"logout\n").await.unwrap();
                }
            } else {
                printed.push(line);
            }
        }
    };
    // A script stuck waiting is killed (kill_on_drop) when the test fails here.
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

/// The SP's signed request (base64) wrapped, untouched, inside a request naming the attacker's ACS.
fn wrapped(server: &TestServer, request: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    let signed = String::from_utf8(STANDARD.decode(request).unwrap()).unwrap();
    let signed = match signed.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").unwrap().1.trim_start().to_owned(),
        None => signed,
    };
    let instant = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    let wrapper = format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_wrapper" Version="2.0" IssueInstant="{instant}" Destination="{sso}" AssertionConsumerServiceURL="https://attacker.example/acs"><saml:Issuer>{SP}</saml:Issuer><samlp:Extensions>{signed}</samlp:Extensions></samlp:AuthnRequest>"#,
        sso = server.url("/nia/FPSTS/saml2/basic"),
    );
    STANDARD.encode(wrapper)
}

pub(crate) fn is_person_identifier(value: &str) -> bool {
    let Some(id) = value.strip_prefix("CZ/CZ/") else { return false };
    let groups: Vec<_> = id.split('-').map(str::len).collect();
    groups == [8, 4, 4, 4, 12] && id.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit())
}

/// The attribute named `friendly_name` of what the SP saw: its types and values.
fn attribute<'a>(seen: &'a Value, friendly_name: &str) -> &'a Value {
    let attributes = seen["attributes"].as_array().unwrap();
    attributes
        .iter()
        .find(|a| a["friendly_name"] == friendly_name)
        .unwrap_or_else(|| panic!("no {friendly_name}: {seen}"))
}

#[tokio::test]
async fn a_pysaml2_sp_logs_in_over_redirect_and_reads_the_encrypted_assertion() {
    let test = "a_pysaml2_sp_logs_in_over_redirect_and_reads_the_encrypted_assertion";
    if !saml_ready(test) {
        return;
    }
    let server = start().await;
    let seen = run_sp(&server, LOW, Send::Redirect).await;

    assert_eq!(seen["metadata_signature_ok"], true, "{seen}");
    assert_eq!(seen["issuer"], ISSUER);
    assert_eq!(seen["relay_state"], "/after/login?x=1");
    assert_eq!(seen["assertion_signed"], true);
    assert_eq!(seen["name_id_format"], "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent");
    let name_id = seen["name_id"].as_str().unwrap();
    assert!(is_person_identifier(name_id), "{seen}");
    // A password login reaches low; the SP asked for at least low.
    assert_eq!(seen["authn_context"], LOW);
    assert_eq!(seen["audience"], json!([SP]));
    assert_eq!(seen["subject_locality"], "127.0.0.1");
    assert!(seen["session_index"].as_str().is_some_and(|s| !s.is_empty()), "{seen}");

    let person = attribute(&seen, "PersonIdentifier");
    assert_eq!(person["values"], json!([name_id]));
    assert_eq!(person["name"], "http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier");
    assert_eq!(person["types"], json!(["tn:PersonIdentifierType"]));
    assert_eq!(person["original_issuer"], ISSUER);
    assert_eq!(attribute(&seen, "CurrentFamilyName")["values"], json!(["Nováková"]));
    assert_eq!(attribute(&seen, "CurrentGivenName")["values"], json!(["Jana"]));
    assert_eq!(attribute(&seen, "DateOfBirth")["values"], json!(["1990-05-17"]));
    assert_eq!(attribute(&seen, "isAgeOver")["values"], json!(["true"]));
    // Not asked for, not released.
    assert!(seen["attributes"].as_array().unwrap().iter().all(|a| a["friendly_name"] != "eMail"), "{seen}");

    // The NameID is the PersonIdentifier the nia face's OpenID Connect gives the same portal.
    let face = &server.provider.faces[0];
    let user = face.stores.users.find_by_username(USER).await.unwrap().unwrap();
    assert_eq!(name_id, identita::saml::sso::person_identifier(face, SP, &user.id));
}

#[tokio::test]
async fn a_pysaml2_sp_logs_in_over_post_and_a_wrapped_request_still_answers_the_genuine_acs() {
    let test = "a_pysaml2_sp_logs_in_over_post_and_a_wrapped_request_still_answers_the_genuine_acs";
    if !saml_ready(test) {
        return;
    }
    let server = start().await;
    for send in [Send::Post, Send::PostWrapped] {
        // `log_in` checks that the response goes to the SP's own ACS, never the attacker's.
        let seen = run_sp(&server, LOW, send).await;
        assert_eq!(seen["issuer"], ISSUER);
        assert!(is_person_identifier(seen["name_id"].as_str().unwrap()), "{seen}");
        assert_eq!(attribute(&seen, "CurrentFamilyName")["values"], json!(["Nováková"]));
        assert_eq!(seen["relay_state"], "/after/login?x=1");
    }
}

#[tokio::test]
async fn a_pysaml2_sp_logs_out_and_the_oidc_portal_of_the_same_session_hears_of_it() {
    let test = "a_pysaml2_sp_logs_out_and_the_oidc_portal_of_the_same_session_hears_of_it";
    if !saml_ready(test) {
        return;
    }
    let server = start().await;
    let portal = Portal::register(&server).await;
    let browser = Browser::new();
    let seen = converse(&server, LOW, Send::Redirect, &browser, Then::LogOut(&portal)).await;
    let (login, logout) = (&seen[0], &seen[1]);
    assert!(is_person_identifier(login["name_id"].as_str().unwrap()), "{login}");

    // pysaml2 checked the LogoutResponse's signature, took it as the answer to its request and
    // ended its own session.
    assert_eq!(logout["logout_at"], "http://127.0.0.1:9/saml/slo", "{logout}");
    assert_eq!(logout["logout_signature_ok"], true, "{logout}");
    assert_eq!(logout["logout_issuer"], ISSUER);
    assert_eq!(logout["logout_status"], "urn:oasis:names:tc:SAML:2.0:status:Success", "{logout}");
    assert_eq!(logout["logout_handled"], "200 Ok", "{logout}");
    assert_eq!(logout["still_logged_in"], false, "{logout}");

    // The OpenID Connect portal of the same session heard of it by back-channel logout…
    let tokens = portal.receiver.tokens.lock().unwrap().clone();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    let payload = tokens[0].split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["aud"], portal.client_id);
    assert_eq!(claims["iss"], ISSUER);
    // …and the browser is signed in there no more.
    let Landing::Redirect(back) = browser.visit(&server.issuer, &portal.authorize_url(&server, Some("none"))).await
    else {
        panic!("prompt=none did not answer the portal");
    };
    assert_eq!(common::params_of(&back).get("error").map(String::as_str), Some("login_required"), "{back}");
}

#[tokio::test]
async fn a_cancelled_login_reaches_pysaml2_in_nias_form_or_the_standard_one() {
    let test = "a_cancelled_login_reaches_pysaml2_in_nias_form_or_the_standard_one";
    if !saml_ready(test) {
        return;
    }
    // NIA's: Success, and an assertion whose only attribute carries AuthnFailed.
    let server = start().await;
    let seen = converse(&server, LOW, Send::Redirect, &Browser::new(), Then::Cancel).await.remove(0);
    assert_eq!(seen["status"], "urn:oasis:names:tc:SAML:2.0:status:Success", "{seen}");
    assert_eq!(seen["assertion"], true, "{seen}");
    let expected = json!([{
        "name": "urn:oasis:names:tc:SAML:2.0:protocol/statuscode",
        "friendly_name": "StatusCode",
        "values": ["urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"],
    }]);
    assert_eq!(seen["attributes"], expected, "{seen}");

    // The standard one: pysaml2 raises its error for Responder/AuthnFailed.
    let strict = identita::persona::QuirkSettings { saml_failure_as_success: Some(false), ..Default::default() };
    let server = start_with(strict).await;
    let seen = converse(&server, LOW, Send::Redirect, &Browser::new(), Then::Cancel).await.remove(0);
    assert_eq!(seen["error"], "StatusAuthnFailed", "{seen}");
}
