//! Messages this identity provider sends over HTTP-Redirect (SAML Bindings §3.4): the single
//! logout's `LogoutResponse` to the SP that asked, and its `LogoutRequest`s to the session's
//! other SPs. Each is deflated, base64-encoded and signed (rsa-sha256) over the query's exact
//! octets; a `RelayState` goes back in the encoding it arrived in, so that the SP's own
//! encoding is what it verifies.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

use super::SamlError;
use super::keys::IdpKey;
use super::status::Status;
use super::xml::{escape, instant, new_id};
use crate::clock::Timestamp;

const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
const NAMESPACES: &str =
    r#"xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion""#;

/// Who sends a message, where to, and when.
pub(crate) struct Envelope<'a> {
    pub(crate) issuer: &'a str,
    /// The SP's single logout service (HTTP-Redirect).
    pub(crate) destination: &'a str,
    pub(crate) now: Timestamp,
}

/// The signed URL that brings `LogoutResponse` with `status` for the request `in_response_to`
/// to the SP; `raw_relay_state` is the SP's `RelayState` exactly as it came (still encoded).
pub(crate) fn logout_response(
    to: &Envelope<'_>,
    in_response_to: &str,
    status: &Status,
    raw_relay_state: Option<&str>,
    key: &IdpKey,
) -> Result<String, SamlError> {
    let xml = format!(
        r#"<samlp:LogoutResponse {NAMESPACES} ID="{id}" Version="2.0" IssueInstant="{now}" Destination="{dest}" InResponseTo="{irt}"><saml:Issuer>{issuer}</saml:Issuer><samlp:Status>{status}</samlp:Status></samlp:LogoutResponse>"#,
        id = new_id(),
        now = instant(to.now),
        dest = escape(to.destination),
        irt = escape(in_response_to),
        issuer = escape(to.issuer),
        status = status.xml(),
    );
    signed_url(to.destination, "SAMLResponse", &xml, raw_relay_state, key)
}

/// The signed URL that asks an SP to end its session `session_index` of `name_id`.
pub(crate) fn logout_request(
    to: &Envelope<'_>,
    name_id: &str,
    session_index: &str,
    key: &IdpKey,
) -> Result<String, SamlError> {
    let xml = format!(
        r#"<samlp:LogoutRequest {NAMESPACES} ID="{id}" Version="2.0" IssueInstant="{now}" Destination="{dest}" NotOnOrAfter="{until}"><saml:Issuer>{issuer}</saml:Issuer><saml:NameID Format="{PERSISTENT}">{name_id}</saml:NameID><samlp:SessionIndex>{index}</samlp:SessionIndex></samlp:LogoutRequest>"#,
        id = new_id(),
        now = instant(to.now),
        until = instant(to.now + 300),
        dest = escape(to.destination),
        issuer = escape(to.issuer),
        name_id = escape(name_id),
        index = escape(session_index),
    );
    signed_url(to.destination, "SAMLRequest", &xml, None, key)
}

/// `endpoint` with `parameter` (the deflated, base64 message), the relay state, `SigAlg` and the
/// `Signature` over the three in the binding's order.
fn signed_url(
    endpoint: &str,
    parameter: &str,
    xml: &str,
    raw_relay_state: Option<&str>,
    key: &IdpKey,
) -> Result<String, SamlError> {
    let signing = |e: openssl::error::ErrorStack| SamlError::Signing(e.to_string());
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflate.write_all(xml.as_bytes()).map_err(|e| SamlError::Internal(e.to_string()))?;
    let message = STANDARD.encode(deflate.finish().map_err(|e| SamlError::Internal(e.to_string()))?);
    let mut query = format!("{parameter}={}", encode(&message));
    if let Some(relay_state) = raw_relay_state {
        query.push_str(&format!("&RelayState={relay_state}"));
    }
    query.push_str(&format!("&SigAlg={}", encode(RSA_SHA256)));
    let pkey = PKey::private_key_from_pkcs8(&key.pkcs8_der).map_err(signing)?;
    let mut signer = Signer::new(MessageDigest::sha256(), &pkey).map_err(signing)?;
    signer.update(query.as_bytes()).map_err(signing)?;
    let signature = STANDARD.encode(signer.sign_to_vec().map_err(signing)?);
    let separator = if endpoint.contains('?') { '&' } else { '?' };
    Ok(format!("{endpoint}{separator}{query}&Signature={}", encode(&signature)))
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
