//! The nia face's SAML Response has the shape of the real NIA test response (reference
//! `nia_mojeid.md` §3.4: CZ.NIC's `nia_test_response.xml` and its decrypted assertion), element by
//! element: the elements in their order with the attributes each carries, then the values that
//! matter — Issuer, Destination, InResponseTo, the audience, the hour of validity, the level, and
//! each attribute's Name, FriendlyName and `xsi:type`. The assertion is decrypted here with the
//! service provider's key, as NIA's SPs do.

use crate::common;
use crate::saml_requests::{SpKey, authn_request, saml_response, start};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

const SP: &str = "https://portal.example/saml";
const ACS: &str = "http://127.0.0.1:9/saml/acs";

/// The real response's outline: each element (by the usual prefix of its namespace) indented by
/// its depth, with the names of its attributes in alphabetical order.
const RESPONSE: &str = "
samlp:Response Destination ID InResponseTo IssueInstant Version
 saml:Issuer
 ds:Signature
  ds:SignedInfo
   ds:CanonicalizationMethod Algorithm
   ds:SignatureMethod Algorithm
   ds:Reference URI
    ds:Transforms
     ds:Transform Algorithm
     ds:Transform Algorithm
    ds:DigestMethod Algorithm
    ds:DigestValue
  ds:SignatureValue
  ds:KeyInfo
   ds:X509Data
    ds:X509Certificate
 samlp:Status
  samlp:StatusCode Value
 saml:EncryptedAssertion
  xenc:EncryptedData Type
   xenc:EncryptionMethod Algorithm
   ds:KeyInfo
    xenc:EncryptedKey
     xenc:EncryptionMethod Algorithm
      ds:DigestMethod Algorithm
     ds:KeyInfo
      o:SecurityTokenReference
       ds:X509Data
        ds:X509IssuerSerial
         ds:X509IssuerName
         ds:X509SerialNumber
     xenc:CipherData
      xenc:CipherValue
   xenc:CipherData
    xenc:CipherValue";

/// The real decrypted assertion's outline (its four attributes, the eIDAS minimum data set).
const ASSERTION: &str = "
saml:Assertion ID IssueInstant Version
 saml:Issuer
 saml:Subject
  saml:NameID Format
  saml:SubjectConfirmation Method
   saml:SubjectConfirmationData InResponseTo NotOnOrAfter Recipient
 saml:Conditions NotBefore NotOnOrAfter
  saml:AudienceRestriction
   saml:Audience
 saml:AttributeStatement
  saml:Attribute FriendlyName Name NameFormat a:OriginalIssuer
   saml:AttributeValue xsi:type
  saml:Attribute FriendlyName Name NameFormat a:OriginalIssuer
   saml:AttributeValue xsi:type
  saml:Attribute FriendlyName Name NameFormat a:OriginalIssuer
   saml:AttributeValue xsi:type
  saml:Attribute FriendlyName Name NameFormat a:OriginalIssuer
   saml:AttributeValue xsi:type
 saml:AuthnStatement AuthnInstant SessionIndex
  saml:SubjectLocality Address
  saml:AuthnContext
   saml:AuthnContextClassRef";

fn prefix(namespace: &[u8]) -> &'static str {
    match namespace {
        b"urn:oasis:names:tc:SAML:2.0:protocol" => "samlp",
        b"urn:oasis:names:tc:SAML:2.0:assertion" => "saml",
        b"http://www.w3.org/2000/09/xmldsig#" => "ds",
        b"http://www.w3.org/2001/04/xmlenc#" => "xenc",
        b"http://www.w3.org/2001/XMLSchema-instance" => "xsi",
        b"http://schemas.xmlsoap.org/ws/2009/09/identity/claims" => "a",
        b"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" => "o",
        _ => "?",
    }
}

/// One element of a document: its outline line, its attributes' values and its text.
#[derive(Debug)]
struct Element {
    line: String,
    attributes: Vec<(String, String)>,
    text: String,
}

impl Element {
    fn attribute(&self, name: &str) -> &str {
        self.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
    }
}

/// The elements of `xml` in document order, leaving out the subtree of any element `skip` names.
fn elements(xml: &str, skip: Option<&str>) -> Vec<Element> {
    let mut reader = NsReader::from_str(xml);
    let mut out: Vec<Element> = Vec::new();
    let (mut depth, mut skipping) = (0usize, None);
    let mut open: Vec<usize> = Vec::new();
    loop {
        let (ns, event) = reader.read_resolved_event().unwrap();
        let name = match &ns {
            ResolveResult::Bound(ns) => prefix(ns.as_ref()),
            _ => "?",
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let line = format!("{}{name}:{}", " ".repeat(depth), String::from_utf8_lossy(e.local_name().as_ref()));
                if skipping.is_none() && skip.is_some_and(|s| line.trim() == s) {
                    skipping = Some(depth);
                }
                if skipping.is_none() {
                    let mut attributes = Vec::new();
                    for attribute in e.attributes() {
                        let attribute = attribute.unwrap();
                        let (ns, local) = reader.resolver().resolve_attribute(attribute.key);
                        let key = String::from_utf8_lossy(local.as_ref()).into_owned();
                        let key = match ns {
                            ResolveResult::Bound(ns) if prefix(ns.as_ref()) == "?" => continue,
                            ResolveResult::Bound(ns) => format!("{}:{key}", prefix(ns.as_ref())),
                            _ if attribute.key.as_ref().starts_with(b"xmlns") => continue,
                            _ => key,
                        };
                        attributes.push((
                            key,
                            attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0).unwrap().into_owned(),
                        ));
                    }
                    let mut names: Vec<&str> = attributes.iter().map(|(k, _)| k.as_str()).collect();
                    names.sort_unstable_by_key(|n| (n.contains(':'), n.to_string()));
                    let line =
                        [line].into_iter().chain(names.iter().map(|n| n.to_string())).collect::<Vec<_>>().join(" ");
                    out.push(Element { line, attributes, text: String::new() });
                    if !empty {
                        open.push(out.len() - 1);
                    }
                }
                if !empty {
                    depth += 1;
                }
                if empty && skipping == Some(depth) {
                    skipping = None;
                }
            }
            Event::Text(t) if skipping.is_none() => {
                if let Some(&last) = open.last() {
                    out[last].text.push_str(&t.xml10_content().unwrap());
                }
            }
            Event::End(_) => {
                depth -= 1;
                if skipping == Some(depth) {
                    skipping = None;
                } else if skipping.is_none() {
                    open.pop();
                }
            }
            Event::Eof => return out,
            _ => {}
        }
    }
}

fn outline(elements: &[Element]) -> String {
    elements.iter().map(|e| format!("\n{}", e.line)).collect()
}

/// The assertion inside `response`, decrypted with `sp`'s key (RSA-OAEP for the key, then
/// AES-256-CBC with the IV in front).
fn decrypt(response: &[Element], sp: &SpKey) -> String {
    let values: Vec<&Element> = response.iter().filter(|e| e.line.trim() == "xenc:CipherValue").collect();
    let wrapped = STANDARD.decode(values[0].text.trim()).unwrap();
    let rsa = sp.key.rsa().unwrap();
    let mut key = vec![0u8; rsa.size() as usize];
    let length = rsa.private_decrypt(&wrapped, &mut key, openssl::rsa::Padding::PKCS1_OAEP).unwrap();
    let data = STANDARD.decode(values[1].text.trim()).unwrap();
    let (iv, ciphertext) = data.split_at(16);
    let plain =
        openssl::symm::decrypt(openssl::symm::Cipher::aes_256_cbc(), &key[..length], Some(iv), ciphertext).unwrap();
    String::from_utf8(plain).unwrap()
}

fn seconds(instant: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(instant).unwrap().timestamp()
}

#[tokio::test]
async fn the_response_has_the_shape_of_nias_element_by_element() {
    let sp = SpKey::new();
    let server = start(&sp, true).await;
    server
        .add_user(
            "jana",
            "heslo-123",
            serde_json::json!({ "given_name": "Jana", "family_name": "Nováková", "birthdate": "1990-05-17" }),
        )
        .await;
    let browser = common::Browser::new();
    let query = sp.redirect_query(&authn_request(&server, "_shape1", ACS, 0), true);
    let sso = server.url("/nia/FPSTS/saml2/basic");
    let common::Landing::Page(_, login) = browser.visit(&server.issuer, &format!("{sso}?{query}")).await else {
        panic!("no login page");
    };
    let fields = [("username", "jana"), ("password", "heslo-123")];
    let common::Landing::Page(200, posted) = browser.submit(&server.issuer, &login, "login", &fields).await else {
        panic!("no response after the login");
    };
    let xml = saml_response(&posted);
    let response = elements(&xml, None);
    assert_eq!(outline(&response), RESPONSE, "{xml}");
    let root = &response[0];
    assert_eq!(root.attribute("Destination"), ACS);
    assert_eq!(root.attribute("InResponseTo"), "_shape1");
    assert_eq!(root.attribute("Version"), "2.0");
    assert_eq!(response[1].text, "urn:microsoft:cgg2010:fpsts");
    let code = response.iter().find(|e| e.line.trim().starts_with("samlp:StatusCode")).unwrap();
    assert_eq!(code.attribute("Value"), "urn:oasis:names:tc:SAML:2.0:status:Success");
    let method = |algorithm: &str| response.iter().any(|e| e.attribute("Algorithm") == algorithm);
    for algorithm in [
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
        "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
        "http://www.w3.org/2000/09/xmldsig#sha1",
    ] {
        assert!(method(algorithm), "{algorithm} in {xml}");
    }

    // The assertion, decrypted. NIA's sample carries no signature inside; this SP's metadata
    // asks for one (WantAssertionsSigned), so it is left out of the comparison.
    let plain = decrypt(&response, &sp);
    let assertion = elements(&plain, Some("ds:Signature"));
    assert_eq!(outline(&assertion), ASSERTION, "{plain}");
    let find = |name: &str| assertion.iter().find(|e| e.line.split_whitespace().next() == Some(name)).unwrap();
    let issued = seconds(assertion[0].attribute("IssueInstant"));
    assert_eq!(find("saml:Issuer").text, "urn:microsoft:cgg2010:fpsts");
    let name_id = find("saml:NameID");
    assert_eq!(name_id.attribute("Format"), "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent");
    assert!(name_id.text.starts_with("CZ/CZ/"), "{}", name_id.text);
    assert_eq!(find("saml:SubjectConfirmation").attribute("Method"), "urn:oasis:names:tc:SAML:2.0:cm:bearer");
    let confirmation = find("saml:SubjectConfirmationData");
    assert_eq!(confirmation.attribute("InResponseTo"), "_shape1");
    assert_eq!(confirmation.attribute("Recipient"), ACS);
    assert_eq!(seconds(confirmation.attribute("NotOnOrAfter")), issued + 3600);
    let conditions = find("saml:Conditions");
    assert_eq!(seconds(conditions.attribute("NotBefore")), issued);
    assert_eq!(seconds(conditions.attribute("NotOnOrAfter")), issued + 3600);
    assert_eq!(find("saml:Audience").text, SP);
    assert_eq!(find("saml:AuthnContextClassRef").text, "http://eidas.europa.eu/LoA/low");
    assert!(!find("saml:AuthnStatement").attribute("SessionIndex").is_empty());
    assert_eq!(find("saml:SubjectLocality").attribute("Address"), "127.0.0.1");

    // NIA's attributes, in its order, with its names and types; the values are the person's.
    let natural = "http://eidas.europa.eu/attributes/naturalperson/";
    let attributes: Vec<(String, String, String, String, String)> = assertion
        .iter()
        .enumerate()
        .filter(|(_, e)| e.line.split_whitespace().next() == Some("saml:Attribute"))
        .map(|(i, e)| {
            let value = &assertion[i + 1];
            (
                e.attribute("Name").to_owned(),
                e.attribute("FriendlyName").to_owned(),
                e.attribute("NameFormat").to_owned(),
                e.attribute("a:OriginalIssuer").to_owned(),
                format!("{} {}", value.attribute("xsi:type"), value.text),
            )
        })
        .collect();
    let expected = |short: &str, value: &str| {
        (
            format!("{natural}{short}"),
            short.to_owned(),
            "urn:oasis:names:tc:SAML:2.0:attrname-format:uri".to_owned(),
            "urn:microsoft:cgg2010:fpsts".to_owned(),
            format!("tn:{short}Type {value}"),
        )
    };
    assert_eq!(
        attributes,
        [
            expected("CurrentFamilyName", "Nováková"),
            expected("CurrentGivenName", "Jana"),
            expected("DateOfBirth", "1990-05-17"),
            expected("PersonIdentifier", &name_id.text),
        ]
    );
}
