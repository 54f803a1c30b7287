//! SAML requests the nia face must refuse, sent as a hand-made service provider does (its key
//! made here with openssl): an unknown SP, an unsigned or wrongly signed request, an ACS not in
//! the SP's metadata, missing parameters — each an error page and no login; a stale or replayed
//! request from a genuine SP — a signed response with a SAML status and no assertion.

use crate::common;

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::TestServer;
use openssl::pkey::{PKey, Private};

const SP: &str = "https://portal.example/saml";
const ACS: &str = "http://127.0.0.1:9/saml/acs";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

/// A service provider's signing key and its certificate (base64 DER).
pub(crate) struct SpKey {
    pub(crate) key: PKey<Private>,
    pub(crate) cert: String,
}

impl SpKey {
    pub(crate) fn new() -> Self {
        use openssl::x509::{X509, X509NameBuilder};
        let key = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "sp").unwrap();
        let name = name.build();
        let mut cert = X509::builder().unwrap();
        cert.set_version(2).unwrap();
        cert.set_subject_name(&name).unwrap();
        cert.set_issuer_name(&name).unwrap();
        cert.set_pubkey(&key).unwrap();
        let (from, to) =
            (openssl::asn1::Asn1Time::days_from_now(0).unwrap(), openssl::asn1::Asn1Time::days_from_now(2).unwrap());
        cert.set_not_before(&from).unwrap();
        cert.set_not_after(&to).unwrap();
        cert.sign(&key, openssl::hash::MessageDigest::sha256()).unwrap();
        Self { key, cert: STANDARD.encode(cert.build().to_der().unwrap()) }
    }

    fn metadata(&self) -> String {
        self.metadata_of(SP, ACS, None)
    }

    /// The metadata of the SP `entity_id` with this key, its ACS and its single logout service.
    pub(crate) fn metadata_of(&self, entity_id: &str, acs: &str, slo: Option<&str>) -> String {
        let slo = slo
            .map(|l| format!(r#"<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{l}"/>"#))
            .unwrap_or_default();
        format!(
            r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}"><md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:Extensions><eidas:SPType xmlns:eidas="http://eidas.europa.eu/saml-extensions">public</eidas:SPType></md:Extensions><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>{slo}<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{acs}" index="1" isDefault="true"/></md:SPSSODescriptor></md:EntityDescriptor>"#,
            cert = self.cert
        )
    }

    /// The query of an HTTP-Redirect AuthnRequest `xml`, signed with this key unless `unsigned`.
    pub(crate) fn redirect_query(&self, xml: &str, signed: bool) -> String {
        let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        deflate.write_all(xml.as_bytes()).unwrap();
        let message = STANDARD.encode(deflate.finish().unwrap());
        let encode = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        let mut query = format!("SAMLRequest={}&RelayState={}", encode(&message), encode("state~1"));
        if signed {
            query.push_str(&format!("&SigAlg={}", encode(RSA_SHA256)));
            let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &self.key).unwrap();
            signer.update(query.as_bytes()).unwrap();
            query.push_str(&format!("&Signature={}", encode(&STANDARD.encode(signer.sign_to_vec().unwrap()))));
        }
        query
    }
}

/// An AuthnRequest of the SP, issued `age` seconds ago.
pub(crate) fn authn_request(server: &TestServer, id: &str, acs: &str, age: i64) -> String {
    authn_request_with(server, id, acs, age, "")
}

/// An AuthnRequest with further attributes on its root (`ForceAuthn="true"`).
fn authn_request_with(server: &TestServer, id: &str, acs: &str, age: i64, attributes: &str) -> String {
    let instant = chrono::Utc::now() - chrono::Duration::seconds(age);
    format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{instant}" Destination="{sso}" AssertionConsumerServiceURL="{acs}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"{attributes}><saml:Issuer>{SP}</saml:Issuer><samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef>http://eidas.europa.eu/LoA/low</saml:AuthnContextClassRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>"#,
        instant = instant.format("%Y-%m-%dT%H:%M:%SZ"),
        sso = server.url("/nia/FPSTS/saml2/basic"),
    )
}

/// A server with a `nia` face at `/nia`, and (unless `register` is false) the SP registered.
pub(crate) async fn start(sp: &SpKey, register: bool) -> TestServer {
    let server = TestServer::start_with(|config| {
        config.faces = vec![common::face("nia", "nia", format!("{}/nia", config.issuer))];
    })
    .await;
    if register {
        let face = &server.provider.faces[0];
        let registered = identita::saml::sp_metadata::parse(&sp.metadata(), Some("nia"), None, face.now()).unwrap();
        assert_eq!(registered.sp_type.as_deref(), Some("public"));
        face.stores.saml_sps.put(&registered).await.unwrap();
    }
    server
}

/// GETs the SSO URL with `query`: the status, the `Location` if any, and the body.
async fn send(server: &TestServer, query: &str) -> (u16, Option<String>, String) {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = http.get(format!("{}?{query}", server.url("/nia/FPSTS/saml2/basic"))).send().await.unwrap();
    let status = response.status().as_u16();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    (status, location, response.text().await.unwrap())
}

/// The decoded `SAMLResponse` of a form-post page.
pub(crate) fn saml_response(html: &str) -> String {
    let (action, fields) = common::first_form(html).unwrap_or_else(|| panic!("no form in {html}"));
    assert_eq!(action, ACS);
    let value = &fields.iter().find(|(k, _)| k == "SAMLResponse").unwrap().1;
    String::from_utf8(STANDARD.decode(value).unwrap()).unwrap()
}

#[tokio::test]
async fn a_signed_request_goes_to_the_login_page_and_the_metadata_is_served() {
    let sp = SpKey::new();
    let server = start(&sp, true).await;
    let (status, location, _) = send(&server, &sp.redirect_query(&authn_request(&server, "_r1", ACS, 0), true)).await;
    assert_eq!(status, 303);
    assert!(location.unwrap().starts_with("/nia/FPSTS/login?interaction="));

    let metadata =
        reqwest::get(server.url("/nia/FPSTS/FederationMetadata/2007-06/FederationMetadata.xml")).await.unwrap();
    assert_eq!(metadata.headers()["content-type"], "application/samlmetadata+xml");
    let xml = metadata.text().await.unwrap();
    assert!(xml.contains(r#"entityID="urn:microsoft:cgg2010:fpsts""#), "{xml}");
    assert!(xml.contains("<ds:SignatureValue>") && !xml.contains("<ds:SignatureValue></ds:SignatureValue>"), "{xml}");
    assert!(xml.contains(&format!(r#"Location="{}""#, server.url("/nia/FPSTS/saml2/basic"))), "{xml}");
}

#[tokio::test]
async fn untrusted_requests_get_an_error_page_and_no_login() {
    let sp = SpKey::new();
    let server = start(&sp, true).await;
    let cases = [
        ("unsigned", sp.redirect_query(&authn_request(&server, "_u1", ACS, 0), false), "not signed"),
        ("another key", SpKey::new().redirect_query(&authn_request(&server, "_u2", ACS, 0), true), "signature"),
        (
            "unknown ACS",
            sp.redirect_query(&authn_request(&server, "_u3", "https://attacker.example/acs", 0), true),
            "attacker.example",
        ),
        ("no message", "RelayState=x".to_owned(), "no SAMLRequest"),
        ("not base64", "SAMLRequest=%%%".to_owned(), "malformed"),
        ("signature without SigAlg", "SAMLRequest=AAAA&Signature=AAAA".to_owned(), "malformed"),
        ("twice", "SAMLRequest=AAAA&SAMLRequest=AAAA".to_owned(), "twice"),
    ];
    for (case, query, says) in cases {
        let (status, location, body) = send(&server, &query).await;
        assert_eq!((status, location), (400, None), "{case}: {body}");
        assert!(body.contains(says), "{case}: {body}");
        assert!(!body.contains("SAMLResponse"), "{case}: {body}");
    }
    // A tampered signed query: the message changed after signing.
    let query =
        sp.redirect_query(&authn_request(&server, "_u4", ACS, 0), true).replace("RelayState=state", "RelayState=other");
    let (status, _, body) = send(&server, &query).await;
    assert_eq!(status, 400, "{body}");

    let unknown = SpKey::new();
    let stranger = start(&unknown, false).await;
    let (status, _, body) =
        send(&stranger, &unknown.redirect_query(&authn_request(&stranger, "_u5", ACS, 0), true)).await;
    assert_eq!(status, 400);
    assert!(body.contains("not registered"), "{body}");
}

#[tokio::test]
async fn a_stale_or_replayed_request_is_answered_with_a_saml_status() {
    let sp = SpKey::new();
    let server = start(&sp, true).await;
    let (status, _, html) = send(&server, &sp.redirect_query(&authn_request(&server, "_s1", ACS, 3600), true)).await;
    assert_eq!(status, 200);
    let response = saml_response(&html);
    assert!(response.contains(r#"InResponseTo="_s1""#), "{response}");
    assert!(response.contains("status:Requester") && response.contains("status:RequestDenied"), "{response}");
    assert!(!response.contains("Assertion"), "{response}");

    let fresh = sp.redirect_query(&authn_request(&server, "_s2", ACS, 0), true);
    assert_eq!(send(&server, &fresh).await.0, 303);
    let (status, _, html) = send(&server, &fresh).await;
    assert_eq!(status, 200);
    let response = saml_response(&html);
    assert!(response.contains("already been served"), "{response}");
    assert!(html.contains(r#"name="RelayState" value="state~1""#), "{html}");
}

#[tokio::test]
async fn a_second_request_uses_the_sso_session_unless_it_forces_a_login_and_a_passive_one_without_is_refused() {
    let sp = SpKey::new();
    let server = start(&sp, true).await;
    server.add_user("jana", "heslo-123", serde_json::json!({ "family_name": "Nováková" })).await;
    let browser = common::Browser::new();
    let sso = server.url("/nia/FPSTS/saml2/basic");
    let first = sp.redirect_query(&authn_request(&server, "_f1", ACS, 0), true);
    let common::Landing::Page(_, login) = browser.visit(&server.issuer, &format!("{sso}?{first}")).await else {
        panic!("no login page");
    };
    let fields = [("username", "jana"), ("password", "heslo-123")];
    let common::Landing::Page(200, posted) = browser.submit(&server.issuer, &login, "login", &fields).await else {
        panic!("no response after the login");
    };
    let response = saml_response(&posted);
    assert!(response.contains("status:Success") && response.contains("EncryptedAssertion"), "{response}");
    assert!(response.contains(r#"InResponseTo="_f1""#), "{response}");

    // Signed in: answered at once.
    let second = sp.redirect_query(&authn_request(&server, "_f2", ACS, 0), true);
    let common::Landing::Page(200, html) = browser.visit(&server.issuer, &format!("{sso}?{second}")).await else {
        panic!("the session was not used");
    };
    assert!(saml_response(&html).contains("status:Success"));
    // The same session serves the face's OpenID Connect portals: no login page, only consent.
    let face = &server.provider.faces[0];
    let pair = josekit::jwk::alg::rsa::RsaKeyPair::generate(2048).unwrap();
    let mut public: serde_json::Map<String, serde_json::Value> = josekit::jwk::KeyPair::to_jwk_public_key(&pair).into();
    public.insert("use".into(), "enc".into());
    let meta = serde_json::from_value(serde_json::json!({
        "redirect_uris": ["http://127.0.0.1:9/oidc/cb"], "token_endpoint_auth_method": "client_secret_post",
        "jwks": { "keys": [public] },
    }))
    .unwrap();
    let (client, _) = identita::oidc::registration::build(face, meta, SP.into(), face.now()).await.unwrap();
    face.stores.clients.insert(&client).await.unwrap();
    let authorize = format!(
        "{}?client_id={}&response_type=code&scope=openid&redirect_uri={}&state=s&nonce=n",
        server.url("/nia/FPSTS/oidc/authorize"),
        url::form_urlencoded::byte_serialize(SP.as_bytes()).collect::<String>(),
        url::form_urlencoded::byte_serialize(b"http://127.0.0.1:9/oidc/cb").collect::<String>(),
    );
    let common::Landing::Page(_, consent) = browser.visit(&server.issuer, &authorize).await else {
        panic!("no consent page");
    };
    assert!(consent.contains(r#"id="consent""#) && !consent.contains(r#"id="login""#), "{consent}");
    let common::Landing::Redirect(back) =
        browser.submit(&server.issuer, &consent, "consent", &[("decision", "allow")]).await
    else {
        panic!("not back at the portal");
    };
    assert!(common::params_of(&back).contains_key("code"), "{back}");
    // ForceAuthn: the login page again.
    let forced = sp.redirect_query(&authn_request_with(&server, "_f3", ACS, 0, r#" ForceAuthn="true""#), true);
    let common::Landing::Page(200, html) = browser.visit(&server.issuer, &format!("{sso}?{forced}")).await else {
        panic!("no page");
    };
    assert!(html.contains(r#"id="login""#), "{html}");
    // IsPassive in a browser without a session: no login page, but NIA's failure (a Success
    // status and an encrypted assertion of the failure, read by pysaml2 in tests/it/saml.rs).
    let passive = sp.redirect_query(&authn_request_with(&server, "_f4", ACS, 0, r#" IsPassive="true""#), true);
    let (status, _, html) = send(&server, &passive).await;
    assert_eq!(status, 200);
    let response = saml_response(&html);
    assert!(response.contains("status:Success") && response.contains("EncryptedAssertion"), "{response}");
    assert!(response.contains(r#"InResponseTo="_f4""#), "{response}");
}

/// POSTs a form to the SSO URL: the status and the body.
async fn post(server: &TestServer, fields: &[(&str, &str)]) -> (u16, String) {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = http.post(server.url("/nia/FPSTS/saml2/basic")).form(fields).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn post_requests_with_entities_or_without_a_signature_are_refused() {
    let sp = SpKey::new();
    let server = start(&sp, true).await;
    let external = format!(
        r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>{}"#,
        authn_request(&server, "_x1", ACS, 0).replace(&format!("<saml:Issuer>{SP}"), &format!("<saml:Issuer>{SP}&x;"))
    );
    let laughs = format!(
        r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>{}"#,
        authn_request(&server, "_x2", ACS, 0).replace("<saml:Issuer>", "<saml:Issuer>&d;")
    );
    let unsigned = authn_request(&server, "_x3", ACS, 0);
    for (case, xml) in [("external entity", external), ("entity expansion", laughs), ("unsigned", unsigned)] {
        let (status, body) = post(&server, &[("SAMLRequest", &STANDARD.encode(xml)), ("RelayState", "r")]).await;
        assert_eq!(status, 400, "{case}: {body}");
        assert!(!body.contains("root:") && !body.contains("SAMLResponse"), "{case}: {body}");
    }
    let (status, body) = post(&server, &[("RelayState", "r")]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("no SAMLRequest"), "{body}");
}

#[tokio::test]
async fn a_cancelled_login_answers_the_sp_with_authn_failed() {
    let sp = SpKey::new();
    let server = start(&sp, true).await;
    let browser = common::Browser::new();
    let query = sp.redirect_query(&authn_request(&server, "_c1", ACS, 0), true);
    let sso = server.url("/nia/FPSTS/saml2/basic");
    let common::Landing::Page(_, login) = browser.visit(&server.issuer, &format!("{sso}?{query}")).await else {
        panic!("no login page");
    };
    let common::Landing::Page(200, html) = browser.submit(&server.issuer, &login, "login", &[("cancel", "yes")]).await
    else {
        panic!("no response after the cancel");
    };
    // NIA's form: a Success status with an encrypted assertion of the failure (its content is
    // read by pysaml2 in tests/it/saml.rs).
    let response = saml_response(&html);
    assert!(response.contains("status:Success") && response.contains("EncryptedAssertion"), "{response}");
    assert!(response.contains(r#"InResponseTo="_c1""#), "{response}");
}

#[tokio::test]
async fn a_strict_face_answers_a_passive_request_without_a_session_with_no_passive() {
    let sp = SpKey::new();
    let server = TestServer::start_with(|config| {
        let mut face = common::face("nia", "nia", format!("{}/nia", config.issuer));
        face.quirks.saml_failure_as_success = Some(false);
        config.faces = vec![face];
    })
    .await;
    let face = &server.provider.faces[0];
    let registered = identita::saml::sp_metadata::parse(&sp.metadata(), Some("nia"), None, face.now()).unwrap();
    face.stores.saml_sps.put(&registered).await.unwrap();
    let passive = sp.redirect_query(&authn_request_with(&server, "_p1", ACS, 0, r#" IsPassive="true""#), true);
    let (status, _, html) = send(&server, &passive).await;
    assert_eq!(status, 200);
    let response = saml_response(&html);
    assert!(response.contains("status:Responder") && response.contains("status:NoPassive"), "{response}");
    assert!(!response.contains("Assertion"), "{response}");
}

#[tokio::test]
async fn the_cli_registers_lists_and_removes_a_service_provider_from_its_metadata() {
    let sp = SpKey::new();
    let server = start(&sp, false).await;
    let toml = format!(
        "issuer = {:?}\n\n[[faces]]\nname = \"nia\"\npersona = \"nia\"\nurl = \"{}/nia\"\n",
        server.issuer, server.issuer
    );
    std::fs::write(server.dir.join("identita.toml"), toml).unwrap();
    let file = server.dir.join("sp.xml");
    std::fs::write(&file, sp.metadata()).unwrap();
    let run = |args: &[&str]| {
        let output = common::cli_beside(&server, args, &[]);
        let value: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
        (output.status.success(), value)
    };
    let (ok, added) =
        run(&["--face", "nia", "saml", "sp", "add", "--metadata", file.to_str().unwrap(), "--name", "Portál"]);
    assert!(ok, "{added}");
    assert_eq!(added["entity_id"], SP);
    assert_eq!(added["face"], "nia");
    assert_eq!(added["sp_type"], "public");
    assert_eq!(added["acs"][0]["location"], ACS);
    let (ok, listed) = run(&["--face", "nia", "saml", "sp", "list"]);
    assert!(ok && listed.as_array().unwrap().len() == 1, "{listed}");
    std::fs::write(&file, "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\"/>")
        .unwrap();
    let (ok, refused) = run(&["--face", "nia", "saml", "sp", "add", "--metadata", file.to_str().unwrap()]);
    assert!(!ok && refused["error"].as_str().unwrap().contains("SPSSODescriptor"), "{refused}");
    let (ok, removed) = run(&["--face", "nia", "saml", "sp", "remove", SP]);
    assert!(ok, "{removed}");
    let (status, _, _) = send(&server, &sp.redirect_query(&authn_request(&server, "_cli2", ACS, 0), true)).await;
    assert_eq!(status, 400);
    let (ok, _) = run(&["--face", "nia", "saml", "sp", "remove", SP]);
    assert!(!ok, "removed twice");
}

// Two workers: the SP's web server answers while the command line waits for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_registers_a_service_provider_from_its_metadata_url() {
    let sp = SpKey::new();
    let server = start(&sp, false).await;
    let toml = format!(
        "issuer = {:?}\n\n[[faces]]\nname = \"nia\"\npersona = \"nia\"\nurl = \"{}/nia\"\n",
        server.issuer, server.issuer
    );
    std::fs::write(server.dir.join("identita.toml"), toml).unwrap();
    // The SP's own web server, on this machine.
    let metadata = sp.metadata();
    let app = axum::Router::new()
        .route("/sp.xml", axum::routing::get(move || async move { metadata }))
        .route("/big.xml", axum::routing::get(|| async { "x".repeat(600 * 1024) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let at = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let run = |url: String| {
        let server = &server;
        async move {
            let args = ["--face", "nia", "saml", "sp", "add", "--metadata-url", url.as_str()];
            let output = tokio::task::block_in_place(|| common::cli_beside(server, &args, &[]));
            let value: serde_json::Value = serde_json::from_slice(&output.stdout)
                .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
            (output.status.success(), value)
        }
    };
    let (ok, added) = run(format!("{at}/sp.xml")).await;
    assert!(ok, "{added}");
    assert_eq!(added["entity_id"], SP);
    assert_eq!(added["acs"][0]["location"], ACS);
    let (status, _, _) = send(&server, &sp.redirect_query(&authn_request(&server, "_url1", ACS, 0), true)).await;
    assert_eq!(status, 303, "the SP registered from its URL is served");

    for (url, says) in [
        (format!("{at}/big.xml"), "larger than 512 KiB"),
        (format!("{at}/missing.xml"), "404"),
        ("http://sp.example/metadata".to_owned(), "only to this machine"),
        ("ftp://127.0.0.1/sp.xml".to_owned(), "only https"),
    ] {
        let (ok, refused) = run(url.clone()).await;
        assert!(!ok, "{url}: {refused}");
        let error = refused["error"].as_str().unwrap();
        assert!(error.contains(&url) && error.contains(says), "{url}: {error}");
    }
}
