//! SAML single logout on the nia face, as two hand-made service providers (keys made here with
//! openssl) and an OpenID Connect portal of the same browser session see it: a bad
//! `LogoutRequest` is answered with an error status at the asking SP and ends nothing; a good
//! one ends the session, tells the OIDC portal by back-channel logout, hands the browser a signed
//! `LogoutRequest` for the other SP, and a signed `LogoutResponse` for the one that asked.

use crate::common;
use crate::saml::Portal;
use crate::saml_requests::SpKey;

use std::collections::HashMap;
use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Browser, Landing, TestServer};

const A: &str = "https://a.example/saml";
const B: &str = "https://b.example/saml";
const A_ACS: &str = "http://127.0.0.1:9/a/acs";
const B_ACS: &str = "http://127.0.0.1:9/b/acs";
const A_SLO: &str = "http://127.0.0.1:9/a/slo";
const B_SLO: &str = "http://127.0.0.1:9/b/slo";
const USER: &str = "jana";
const PASS: &str = "heslo-123";

/// The nia face with SPs A and B registered and jana.
async fn start(a: &SpKey, b: &SpKey) -> TestServer {
    let server = TestServer::start_with(|config| {
        config.faces = vec![common::face("nia", "nia", format!("{}/nia", config.issuer))];
    })
    .await;
    let face = &server.provider.faces[0];
    for (key, entity, acs, slo) in [(a, A, A_ACS, A_SLO), (b, B, B_ACS, B_SLO)] {
        let sp =
            identita::saml::sp_metadata::parse(&key.metadata_of(entity, acs, Some(slo)), Some("nia"), None, 0).unwrap();
        face.stores.saml_sps.put(&sp).await.unwrap();
    }
    server.add_user(USER, PASS, serde_json::json!({ "family_name": "Nováková" })).await;
    server
}

fn sso(server: &TestServer) -> String {
    server.url("/nia/FPSTS/saml2/basic")
}

fn instant(age: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::seconds(age)).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn authn_request(server: &TestServer, sp: &str, acs: &str, id: &str) -> String {
    format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{now}" Destination="{sso}" AssertionConsumerServiceURL="{acs}"><saml:Issuer>{sp}</saml:Issuer></samlp:AuthnRequest>"#,
        now = instant(0),
        sso = sso(server),
    )
}

fn logout_request(server: &TestServer, sp: &str, id: &str, name_id: &str, session_index: &str, age: i64) -> String {
    format!(
        r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{now}" Destination="{sso}"><saml:Issuer>{sp}</saml:Issuer><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{name_id}</saml:NameID><samlp:SessionIndex>{session_index}</samlp:SessionIndex></samlp:LogoutRequest>"#,
        now = instant(age),
        sso = sso(server),
    )
}

/// The decoded parameters of a Redirect-binding URL, and its message inflated.
fn message_of(url: &str) -> (HashMap<String, String>, String) {
    let params = common::params_of(url);
    let key = if params.contains_key("SAMLResponse") { "SAMLResponse" } else { "SAMLRequest" };
    let deflated = STANDARD.decode(&params[key]).unwrap();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(&deflated[..]).read_to_string(&mut xml).unwrap();
    (params, xml)
}

/// Whether the Redirect URL's signature over its raw query verifies with the IdP's `cert`.
fn signed_by(url: &str, cert: &openssl::x509::X509) -> bool {
    let query = url.split_once('?').unwrap().1;
    let (signed, signature) = query.rsplit_once("&Signature=").unwrap_or_else(|| panic!("unsigned: {url}"));
    let signature: String = url::form_urlencoded::parse(format!("s={signature}").as_bytes()).next().unwrap().1.into();
    let key = cert.public_key().unwrap();
    let mut verifier = openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
    verifier.update(signed.as_bytes()).unwrap();
    signed.contains("SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256")
        && verifier.verify(&STANDARD.decode(signature).unwrap()).unwrap_or(false)
}

async fn idp_cert(server: &TestServer) -> openssl::x509::X509 {
    let metadata = reqwest::get(server.url("/nia/FPSTS/FederationMetadata/2007-06/FederationMetadata.xml"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let cert = metadata.split("<ds:X509Certificate>").nth(1).unwrap().split('<').next().unwrap();
    openssl::x509::X509::from_der(&STANDARD.decode(cert).unwrap()).unwrap()
}

/// Sends the browser to `sp`'s AuthnRequest; it answers with a response (after the login page
/// when `login`).
async fn sign_in(server: &TestServer, browser: &Browser, key: &SpKey, sp: &str, acs: &str, id: &str, login: bool) {
    let query = key.redirect_query(&authn_request(server, sp, acs, id), true);
    let mut landing = browser.visit(&server.issuer, &format!("{}?{query}", sso(server))).await;
    if login {
        let Landing::Page(_, html) = landing else { panic!("no login page") };
        landing = browser.submit(&server.issuer, &html, "login", &[("username", USER), ("password", PASS)]).await;
    }
    let Landing::Page(200, html) = landing else { panic!("no response for {sp}") };
    assert!(html.contains("SAMLResponse") && html.contains(acs), "{html}");
}

/// Sends the browser with a LogoutRequest; where it lands.
async fn log_out(server: &TestServer, browser: &Browser, query: &str) -> Landing {
    browser.visit(&server.issuer, &format!("{}?{query}", sso(server))).await
}

#[tokio::test]
async fn a_logout_request_ends_the_session_and_tells_the_other_sp_and_the_oidc_portal() {
    let (a, b) = (SpKey::new(), SpKey::new());
    let server = start(&a, &b).await;
    let face = &server.provider.faces[0];
    let cert = idp_cert(&server).await;
    let browser = Browser::new();
    sign_in(&server, &browser, &a, A, A_ACS, "_a1", true).await;
    sign_in(&server, &browser, &b, B, B_ACS, "_b1", false).await;
    // An OpenID Connect portal of the same face, signed in through the same session.
    let portal = Portal::register(&server).await;
    portal.sign_in(&server, &browser).await;
    let receiver = &portal.receiver;

    let user = face.stores.users.find_by_username(USER).await.unwrap().unwrap();
    let session = face.stores.sessions.of_user(&user.id, face.now()).await.unwrap().remove(0);
    let name_id = identita::saml::sso::person_identifier(face, A, &user.id);

    // Refused, each answered at A's single logout service, and nothing ends.
    let other_person = identita::saml::sso::person_identifier(face, B, &user.id);
    let stranger = SpKey::new();
    let cases = [
        (
            "wrong NameID",
            a.redirect_query(&logout_request(&server, A, "_x1", &other_person, &session.sid, 0), true),
            "UnknownPrincipal",
        ),
        (
            "unsigned",
            a.redirect_query(&logout_request(&server, A, "_x2", &name_id, &session.sid, 0), false),
            "RequestDenied",
        ),
        (
            "another key",
            stranger.redirect_query(&logout_request(&server, A, "_x3", &name_id, &session.sid, 0), true),
            "RequestDenied",
        ),
        (
            "stale",
            a.redirect_query(&logout_request(&server, A, "_x4", &name_id, &session.sid, 3600), true),
            "RequestDenied",
        ),
    ];
    for (case, query, sub) in cases {
        let Landing::Redirect(to) = log_out(&server, &browser, &query).await else { panic!("{case}: not answered") };
        assert!(to.starts_with(&format!("{A_SLO}?SAMLResponse=")), "{case}: {to}");
        assert!(signed_by(&to, &cert), "{case}: {to}");
        let (params, xml) = message_of(&to);
        assert_eq!(params["RelayState"], "state~1", "{case}");
        assert!(xml.contains("status:Requester") && xml.contains(&format!("status:{sub}")), "{case}: {xml}");
    }
    assert!(face.stores.sessions.get_by_sid(&session.sid, face.now()).await.unwrap().is_some(), "a refusal ended it");
    assert!(receiver.tokens.lock().unwrap().is_empty());
    // An SP not registered here cannot be answered: a page.
    let unknown =
        stranger.redirect_query(&logout_request(&server, "https://c.example/", "_x5", &name_id, &session.sid, 0), true);
    let Landing::Page(400, html) = log_out(&server, &browser, &unknown).await else { panic!("unknown SP answered") };
    assert!(html.contains("not registered"), "{html}");

    // The genuine request: a page that loads B's LogoutRequest in a frame, then goes to A.
    let good = a.redirect_query(&logout_request(&server, A, "_l1", &name_id, &session.sid, 0), true);
    let Landing::Page(200, page) = log_out(&server, &browser, &good).await else { panic!("no logout page") };
    let frames: Vec<String> = page
        .split("<iframe class=\"saml-logout\" src=\"")
        .skip(1)
        .map(|s| unescape(s.split('"').next().unwrap()))
        .collect();
    assert_eq!(frames.len(), 1, "{page}");
    assert!(frames[0].starts_with(&format!("{B_SLO}?SAMLRequest=")), "{}", frames[0]);
    assert!(signed_by(&frames[0], &cert), "{}", frames[0]);
    let (_, to_b) = message_of(&frames[0]);
    assert!(
        to_b.contains("<samlp:LogoutRequest") && to_b.contains(&format!(">{other_person}</saml:NameID>")),
        "{to_b}"
    );
    assert!(to_b.contains(&format!("<samlp:SessionIndex>{}</samlp:SessionIndex>", session.sid)), "{to_b}");
    let next = page.split("id=\"saml-logout-continue\" href=\"").nth(1).unwrap().split('"').next().unwrap();
    let next = unescape(next);
    assert!(next.starts_with(&format!("{A_SLO}?SAMLResponse=")) && signed_by(&next, &cert), "{next}");
    let (_, to_a) = message_of(&next);
    assert!(to_a.contains(r#"InResponseTo="_l1""#) && to_a.contains("status:Success"), "{to_a}");

    // The session is over, the portal heard of it, and B's answer in its frame is taken quietly.
    assert!(face.stores.sessions.get_by_sid(&session.sid, face.now()).await.unwrap().is_none());
    assert_eq!(receiver.tokens.lock().unwrap().len(), 1);
    let Landing::Redirect(to) = browser.visit(&server.issuer, &portal.authorize_url(&server, Some("none"))).await
    else {
        panic!("prompt=none did not answer the portal");
    };
    assert_eq!(common::params_of(&to).get("error").map(String::as_str), Some("login_required"), "{to}");
    let answer = format!(
        "SAMLResponse={}",
        url::form_urlencoded::byte_serialize(STANDARD.encode(deflate("<x/>")).as_bytes()).collect::<String>()
    );
    let Landing::Page(200, _) = log_out(&server, &browser, &answer).await else { panic!("B's answer refused") };
    // The same request again: replayed.
    let Landing::Redirect(to) = log_out(&server, &browser, &good).await else { panic!("replay not answered") };
    assert!(message_of(&to).1.contains("RequestDenied"), "{to}");
}

fn deflate(xml: &str) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(xml.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

/// An attribute value as the page's HTML escaped it.
fn unescape(value: &str) -> String {
    value.replace("&#38;", "&").replace("&amp;", "&").replace("&#x2f;", "/").replace("&#47;", "/")
}
