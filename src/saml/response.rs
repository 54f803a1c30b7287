//! The `samlp:Response` (reference §3.4): an assertion of the person, signed when the SP's
//! metadata wants signed assertions, encrypted to the SP (when it has an encryption certificate;
//! NIA's profile requires one), inside a signed Response — or, for a
//! refusal, a signed Response with the status and no assertion. Written by hand (samael's
//! builders hard-code what NIA does otherwise), every value escaped.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use samael::crypto::{Crypto, CryptoProvider};

use super::SamlError;
use super::attributes::Released;
use super::encrypt::encrypt_assertion;
use super::keys::IdpKey;
use super::status::Status;
use super::xml::{escape, instant, new_id, signature_template, without_declaration};
use crate::clock::Timestamp;
use crate::model::Loa;

/// How long an assertion is valid, as NIA's are: an hour.
const VALIDITY: i64 = 3600;

/// Who answers whom: the identity provider, the request it answers and where the answer goes.
pub(crate) struct Addressing<'a> {
    /// The identity provider's entityID.
    pub(crate) issuer: String,
    pub(crate) in_response_to: &'a str,
    pub(crate) acs: &'a str,
    pub(crate) now: Timestamp,
}

/// What the assertion states about the person.
pub(crate) struct Statement<'a> {
    pub(crate) audience: &'a str,
    /// The NameID (the PersonIdentifier towards this SP, on NIA's profile) and its format.
    pub(crate) name_id: &'a str,
    pub(crate) name_id_format: &'a str,
    pub(crate) session_index: &'a str,
    pub(crate) auth_time: Timestamp,
    pub(crate) client_address: &'a str,
    pub(crate) loa: Loa,
    pub(crate) attributes: &'a [Released],
    /// Each attribute names the identity provider as its `a:OriginalIssuer` (NIA's).
    pub(crate) original_issuer: bool,
}

/// The base64 `SAMLResponse` of a successful login.
pub(crate) fn success(
    to: &Addressing<'_>,
    statement: &Statement<'_>,
    sign_assertion: bool,
    encryption_cert: Option<&str>,
    key: &IdpKey,
) -> Result<String, SamlError> {
    let attributes = released(to, statement.attributes, statement.original_issuer);
    let assertion = assertion(to, statement, &attributes, sign_assertion.then_some(key))?;
    response(to, &Status::success().xml(), &wrapped(assertion, encryption_cert)?, key)
}

/// The assertion encrypted to `encryption_cert`, or as it is without one.
fn wrapped(assertion: String, encryption_cert: Option<&str>) -> Result<String, SamlError> {
    match encryption_cert {
        Some(cert) => encrypt_assertion(&assertion, cert),
        None => Ok(assertion),
    }
}

/// What NIA's assertion of a failed login states: no person, only the failure.
pub(crate) struct Failure<'a> {
    pub(crate) audience: &'a str,
    pub(crate) client_address: &'a str,
    /// The level its `AuthnStatement` names (NIA names one even here).
    pub(crate) loa: Loa,
    /// The failure's status code (`AuthnFailed`).
    pub(crate) code: &'static str,
}

/// The status attribute's `Name`, as NIA writes it.
const STATUS_ATTRIBUTE: &str = "urn:oasis:names:tc:SAML:2.0:protocol/statuscode";

/// The base64 `SAMLResponse` of a failed login in NIA's form (reference §3.4 "Failure form"): a
/// `Success` status, and an encrypted assertion with a NameID of no one (a fresh random value)
/// whose only attribute is the status code.
pub(crate) fn failure(
    to: &Addressing<'_>,
    failed: &Failure<'_>,
    sign_assertion: bool,
    encryption_cert: Option<&str>,
    key: &IdpKey,
) -> Result<String, SamlError> {
    let attributes = format!(
        r#"<saml:Attribute Name="{STATUS_ATTRIBUTE}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri" FriendlyName="StatusCode"><saml:AttributeValue>{}</saml:AttributeValue></saml:Attribute>"#,
        Status::uri(failed.code)
    );
    let statement = Statement {
        audience: failed.audience,
        name_id: &new_id(),
        name_id_format: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        session_index: &new_id(),
        auth_time: to.now,
        client_address: failed.client_address,
        loa: failed.loa,
        attributes: &[],
        original_issuer: true,
    };
    let assertion = assertion(to, &statement, &attributes, sign_assertion.then_some(key))?;
    response(to, &Status::success().xml(), &wrapped(assertion, encryption_cert)?, key)
}

/// The base64 `SAMLResponse` that refuses a request with `status`.
pub(crate) fn refusal(to: &Addressing<'_>, status: &Status, key: &IdpKey) -> Result<String, SamlError> {
    response(to, &status.xml(), "", key)
}

/// A signed Response with `status` (the inside of `samlp:Status`) and `assertion` (already
/// encrypted, or empty), base64.
fn response(to: &Addressing<'_>, status: &str, assertion: &str, key: &IdpKey) -> Result<String, SamlError> {
    let id = new_id();
    let xml = format!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{now}" Destination="{acs}" InResponseTo="{irt}"><saml:Issuer>{issuer}</saml:Issuer>{signature}<samlp:Status>{status}</samlp:Status>{assertion}</samlp:Response>"#,
        now = instant(to.now),
        acs = escape(to.acs),
        irt = escape(to.in_response_to),
        issuer = escape(&to.issuer),
        signature = signature_template(&id, &key.cert_b64),
    );
    let signed = Crypto::sign_xml(xml, &key.pkcs8_der).map_err(|e| SamlError::Signing(e.to_string()))?;
    Ok(STANDARD.encode(signed))
}

/// The attributes of a successful login, each naming its original issuer when
/// `original_issuer` (a Microsoft claims-namespace attribute, as NIA's do).
fn released(to: &Addressing<'_>, attributes: &[Released], original_issuer: bool) -> String {
    let issuer = match original_issuer {
        true => format!(r#" a:OriginalIssuer="{}""#, escape(&to.issuer)),
        false => String::new(),
    };
    attributes
        .iter()
        .map(|a| {
            let friendly = a.friendly_name.map(|f| format!(r#" FriendlyName="{f}""#)).unwrap_or_default();
            format!(
                r#"<saml:Attribute Name="{name}" NameFormat="{format}"{friendly}{issuer}><saml:AttributeValue xsi:type="{xsi_type}">{value}</saml:AttributeValue></saml:Attribute>"#,
                name = escape(&a.name),
                format = a.name_format,
                xsi_type = a.xsi_type,
                value = escape(&a.value),
            )
        })
        .collect()
}

/// The assertion as a standalone element declaring every prefix it uses (it is decrypted out
/// of context, and `xsi:type` values are QNames c14n does not carry along), with `attributes`
/// (written), signed if `key`.
fn assertion(
    to: &Addressing<'_>,
    s: &Statement<'_>,
    attributes: &str,
    key: Option<&IdpKey>,
) -> Result<String, SamlError> {
    let id = new_id();
    let (now, until) = (instant(to.now), instant(to.now + VALIDITY));
    let signature = key.map(|k| signature_template(&id, &k.cert_b64)).unwrap_or_default();
    let xml = format!(
        r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tn="http://eidas.europa.eu/attributes/naturalperson" xmlns:a="http://schemas.xmlsoap.org/ws/2009/09/identity/claims" ID="{id}" Version="2.0" IssueInstant="{now}"><saml:Issuer>{issuer}</saml:Issuer>{signature}<saml:Subject><saml:NameID Format="{name_id_format}">{name_id}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="{irt}" NotOnOrAfter="{until}" Recipient="{acs}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{now}" NotOnOrAfter="{until}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AttributeStatement>{attributes}</saml:AttributeStatement><saml:AuthnStatement AuthnInstant="{auth_time}" SessionIndex="{session_index}"><saml:SubjectLocality Address="{address}"/><saml:AuthnContext><saml:AuthnContextClassRef>{loa}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement></saml:Assertion>"#,
        issuer = escape(&to.issuer),
        name_id = escape(s.name_id),
        name_id_format = escape(s.name_id_format),
        irt = escape(to.in_response_to),
        acs = escape(to.acs),
        audience = escape(s.audience),
        auth_time = instant(s.auth_time),
        session_index = escape(s.session_index),
        address = escape(s.client_address),
        loa = s.loa.uri(),
    );
    match key {
        Some(key) => {
            let signed = Crypto::sign_xml(xml, &key.pkcs8_der).map_err(|e| SamlError::Signing(e.to_string()))?;
            Ok(without_declaration(&signed).to_owned())
        }
        None => Ok(xml),
    }
}
