//! An `AuthnRequest` as it arrives (reference §3.3, saml_stack §3): over HTTP-Redirect, its
//! signature checked over the query's raw octets before anything of it is trusted; over
//! HTTP-POST (or Redirect with a signature inside the message), reduced by xmlsec to what the
//! service provider signed, and only that read; unsigned only where the face's profile allows
//! it for this SP (the generic one, for an SP whose metadata does not say it signs), and then
//! nothing of it decides where the response goes but the SP's metadata. Then the rules: a registered service provider,
//! an assertion consumer service of its metadata, a fresh `IssueInstant`, a request ID not seen
//! before. A request that cannot be trusted is refused with an error page; one that can, but
//! breaks a rule, is answered at its assertion consumer service with a SAML status.

use std::io::Read;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use samael::crypto::{AllowedSignatureAlgorithm, CertificateDer, Crypto, CryptoProvider, ReduceMode};
use samael::schema::AuthnRequest;

use super::extensions::{self, RequestedAttribute};
use super::name_id::NameIdFormat;
use super::status::Status;
use crate::model::ServiceProvider;
use crate::model::loa::{Comparison, Requirement};
use crate::model::saml::BINDING_POST;
use crate::oidc::Provider;
use crate::persona::SamlProfile;
use crate::store::StoreError;

/// The largest inflated or decoded message read: a deflate bomb stops here.
const MAX_MESSAGE: u64 = 256 * 1024;
/// How far a request's `IssueInstant` may be in the future (clocks differ).
const SKEW: i64 = 180;
/// How old a request may be.
const MAX_AGE: i64 = 600;
/// The only signature algorithm accepted, over either binding.
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

/// A verified, valid authentication request: what the login waits with and the response needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamlRequest {
    /// The request's `ID`, the response's `InResponseTo`.
    pub(crate) id: String,
    /// The service provider's entityID.
    pub(crate) sp: String,
    /// The assertion consumer service (HTTP-POST) the response goes to.
    pub(crate) acs: String,
    /// Sent back as received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) relay_state: Option<String>,
    pub(crate) force_authn: bool,
    pub(crate) is_passive: bool,
    pub(crate) loa: Requirement,
    /// `eidas:RequestedAttributes`.
    #[serde(default)]
    pub(crate) requested: Vec<RequestedAttribute>,
    /// The browser's address, for the assertion's `SubjectLocality`.
    pub(crate) client_address: String,
    /// The NameID format its `NameIDPolicy` asked for (persistent when none).
    #[serde(default)]
    pub(crate) name_id_format: NameIdFormat,
}

/// How the request arrived.
pub enum Inbound<'a> {
    /// HTTP-Redirect: the query string exactly as received.
    Redirect { raw_query: &'a str },
    /// HTTP-POST: the form's `SAMLRequest` and `RelayState`.
    Post { saml_request: &'a str, relay_state: Option<&'a str> },
}

/// Why a request is not served.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// Not a SAML request that can be read (missing parameters, bad encoding, not XML).
    #[error("malformed SAML request: {0}")]
    Malformed(String),
    #[error("the service provider {0} is not registered here")]
    UnknownSp(String),
    #[error("the request is not signed, and this identity provider requires signed requests")]
    Unsigned,
    #[error("the request's signature is not the service provider's: {0}")]
    BadSignature(String),
    #[error("the assertion consumer service {0} is not in the service provider's metadata")]
    UnknownAcs(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A trusted request that breaks a rule: answered at its assertion consumer service.
    #[error("{}", .1.message)]
    Refused(Box<SamlRequest>, Status),
}

impl RequestError {
    fn malformed(why: impl std::fmt::Display) -> Self {
        Self::Malformed(why.to_string())
    }
}

/// Reads, verifies and validates a request that came from `client_address`.
pub async fn parse(
    provider: &Provider,
    inbound: Inbound<'_>,
    client_address: &str,
) -> Result<(SamlRequest, ServiceProvider), RequestError> {
    let (xml, relay_state, redirect_signature) = match inbound {
        Inbound::Redirect { raw_query } => {
            let query = RedirectQuery::parse(raw_query)?;
            let xml = inflate(&decode_base64(&query.value("SAMLRequest")?)?)?;
            let signature = query.signature()?;
            (xml, query.relay_state(), signature.map(|s| (s, query)))
        }
        Inbound::Post { saml_request, relay_state } => {
            (utf8(decode_base64(saml_request)?)?, relay_state.map(str::to_owned), None)
        }
    };
    // Which service provider claims to send it, to know whose certificate checks it; nothing
    // else of the unverified message is used.
    let claimed = AuthnRequest::from_str(&xml).map_err(|_| RequestError::malformed("not a SAML AuthnRequest"))?;
    let issuer = claimed.issuer.as_ref().and_then(|i| i.value.clone()).unwrap_or_default();
    let sp = provider
        .stores
        .saml_sps
        .get(provider.persona.face.as_deref(), issuer.trim())
        .await?
        .ok_or_else(|| RequestError::UnknownSp(issuer.trim().to_owned()))?;
    let (request, signed_xml) = match redirect_signature {
        Some(((sig_alg, signature), query)) => {
            verify_redirect(&query.signed_octets(), &sig_alg, &signature, &sp)?;
            (claimed, xml)
        }
        None if has_signature(&xml) => {
            let signed = reduce_to_signed(&xml, &sp)?;
            let request = AuthnRequest::from_str(&signed)
                .map_err(|_| RequestError::BadSignature("the signed part is not the request".into()))?;
            (request, signed)
        }
        // NIA's profile takes signed requests only; a generic one, unsigned ones from an SP whose
        // metadata does not say it signs (its ACS is still one of its metadata).
        None if profile(provider).requests_always_signed || sp.authn_requests_signed => {
            return Err(RequestError::Unsigned);
        }
        None => (claimed, xml),
    };
    let issuer = request.issuer.as_ref().and_then(|i| i.value.as_deref()).map(str::trim);
    if issuer != Some(sp.entity_id.as_str()) {
        return Err(RequestError::BadSignature("the signed request names another issuer".into()));
    }
    validate(provider, &sp, &request, &signed_xml, relay_state, client_address).await.map(|r| (r, sp))
}

/// The face's SAML profile; the strictest (NIA's) where none is served, which no route reaches.
fn profile(provider: &Provider) -> SamlProfile {
    provider.persona.saml.map_or(SamlProfile::EIDAS, |s| s.profile)
}

/// The rules a verified request must meet.
async fn validate(
    provider: &Provider,
    sp: &ServiceProvider,
    request: &AuthnRequest,
    signed_xml: &str,
    relay_state: Option<String>,
    client_address: &str,
) -> Result<SamlRequest, RequestError> {
    let acs = match (&request.assertion_consumer_service_url, request.assertion_consumer_service_index) {
        (Some(url), _) => sp.acs_at(url.trim()).ok_or_else(|| RequestError::UnknownAcs(url.clone()))?,
        (None, Some(index)) => u32::try_from(index)
            .ok()
            .and_then(|i| sp.acs_by_index(i))
            .ok_or_else(|| RequestError::UnknownAcs(format!("index {index}")))?,
        (None, None) => sp.default_acs().ok_or_else(|| RequestError::UnknownAcs("(none)".into()))?,
    };
    let profile = profile(provider);
    let requested = match profile.reads_requested_attributes {
        true => extensions::read(signed_xml).map_err(RequestError::malformed)?.requested,
        false => Vec::new(),
    };
    let context = request.requested_authn_context.as_ref();
    let comparison = context.and_then(|c| c.comparison.as_ref()).map(|c| c.value());
    let class_refs: Vec<String> = context
        .and_then(|c| c.authn_context_class_refs.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|c| c.value.clone())
        .collect();
    let mut saml = SamlRequest {
        id: request.id.clone(),
        sp: sp.entity_id.clone(),
        acs: acs.location.clone(),
        relay_state,
        force_authn: request.force_authn.unwrap_or(false),
        is_passive: request.is_passive.unwrap_or(false),
        loa: Requirement::any(),
        requested,
        client_address: client_address.to_owned(),
        name_id_format: NameIdFormat::Persistent,
    };
    let refuse = |saml: &SamlRequest, status: Status| Err(RequestError::Refused(Box::new(saml.clone()), status));
    if request.version != "2.0" {
        return refuse(&saml, Status::version_mismatch());
    }
    let sso = provider.persona.saml.map(|s| provider.persona.url(s.sso)).unwrap_or_default();
    if request.destination.as_deref().is_some_and(|d| d != sso) {
        return refuse(&saml, Status::requester(None, "the request's Destination is not this identity provider"));
    }
    let now = provider.now();
    let issued = request.issue_instant.timestamp();
    if issued > now + SKEW || issued < now - MAX_AGE {
        return refuse(
            &saml,
            Status::requester(Some(Status::REQUEST_DENIED), "the request's IssueInstant is too old or in the future"),
        );
    }
    if request.protocol_binding.as_deref().is_some_and(|b| b != BINDING_POST) {
        return refuse(
            &saml,
            Status::requester(Some(Status::UNSUPPORTED_BINDING), "responses are sent with HTTP-POST only"),
        );
    }
    let format = request.name_id_policy.as_ref().and_then(|p| p.format.as_deref());
    match NameIdFormat::from_policy(format, &profile) {
        Some(format) => saml.name_id_format = format,
        None => {
            let message = match profile.other_name_id_formats {
                true => "only persistent, emailAddress and transient NameIDs are issued",
                false => "only persistent NameIDs are issued",
            };
            return refuse(&saml, Status::requester(Some(Status::INVALID_NAME_ID_POLICY), message));
        }
    }
    if context.is_some() {
        let Some(comparison) = Comparison::from_saml(comparison) else {
            return refuse(&saml, Status::requester(None, "unknown RequestedAuthnContext Comparison"));
        };
        saml.loa = Requirement::from_authn_context(comparison, &class_refs);
    }
    // A request is served once: a replayed one (the same ID from the same provider) is refused.
    let key = format!("saml-authn:{}:{}", sp.entity_id, request.id);
    if !provider.stores.replay.remember(&key, issued.max(now) + MAX_AGE + SKEW, now).await? {
        return refuse(&saml, Status::requester(Some(Status::REQUEST_DENIED), "this request has already been served"));
    }
    Ok(saml)
}

/// The query of an HTTP-Redirect message: each parameter's raw (still percent-encoded) value
/// and its decoded one; a parameter given twice is refused.
pub(super) struct RedirectQuery<'a> {
    params: Vec<(String, &'a str, String)>,
}

impl<'a> RedirectQuery<'a> {
    pub(super) fn parse(raw: &'a str) -> Result<Self, RequestError> {
        let mut params: Vec<(String, &'a str, String)> = Vec::new();
        for pair in raw.split('&').filter(|p| !p.is_empty()) {
            let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode_component(raw_key);
            if params.iter().any(|(k, _, _)| *k == key) {
                return Err(RequestError::malformed(format!("the parameter {key} is given twice")));
            }
            params.push((key, raw_value, decode_component(raw_value)));
        }
        Ok(Self { params })
    }

    pub(super) fn get(&self, key: &str) -> Option<&(String, &'a str, String)> {
        self.params.iter().find(|(k, _, _)| k == key)
    }

    pub(super) fn value(&self, key: &str) -> Result<String, RequestError> {
        self.get(key).map(|(_, _, v)| v.clone()).ok_or_else(|| RequestError::malformed(format!("no {key} parameter")))
    }

    pub(super) fn relay_state(&self) -> Option<String> {
        self.get("RelayState").map(|(_, _, v)| v.clone())
    }

    /// `SigAlg` and the decoded `Signature`, when the query is signed; one without the other
    /// is malformed.
    pub(super) fn signature(&self) -> Result<Option<(String, Vec<u8>)>, RequestError> {
        match (self.get("SigAlg"), self.get("Signature")) {
            (None, None) => Ok(None),
            (Some((_, _, alg)), Some((_, _, sig))) => Ok(Some((alg.clone(), decode_base64(sig)?))),
            _ => Err(RequestError::malformed("SigAlg and Signature must be given together")),
        }
    }

    /// What the signature covers (SAML Bindings §3.4.4.1): the parameters in this order, each
    /// with its value exactly as received.
    pub(super) fn signed_octets(&self) -> String {
        ["SAMLRequest", "SAMLResponse", "RelayState", "SigAlg"]
            .iter()
            .filter_map(|key| self.get(key).map(|(_, raw, _)| format!("{key}={raw}")))
            .collect::<Vec<_>>()
            .join("&")
    }
}

fn decode_component(raw: &str) -> String {
    url::form_urlencoded::parse(format!("x={raw}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

pub(super) fn decode_base64(text: &str) -> Result<Vec<u8>, RequestError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.len() as u64 > MAX_MESSAGE * 2 {
        return Err(RequestError::malformed("the message is too large"));
    }
    STANDARD.decode(compact).map_err(|_| RequestError::malformed("the message is not base64"))
}

pub(super) fn utf8(bytes: Vec<u8>) -> Result<String, RequestError> {
    String::from_utf8(bytes).map_err(|_| RequestError::malformed("the message is not UTF-8"))
}

/// The raw DEFLATE of the Redirect binding, at most [`MAX_MESSAGE`] bytes of it.
pub(super) fn inflate(bytes: &[u8]) -> Result<String, RequestError> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(bytes)
        .take(MAX_MESSAGE + 1)
        .read_to_end(&mut out)
        .map_err(|_| RequestError::malformed("the message is not DEFLATE-compressed"))?;
    if out.len() as u64 > MAX_MESSAGE {
        return Err(RequestError::malformed("the message is too large"));
    }
    utf8(out)
}

/// Checks an HTTP-Redirect signature over `octets` against the service provider's signing
/// certificates.
pub(super) fn verify_redirect(
    octets: &str,
    sig_alg: &str,
    signature: &[u8],
    sp: &ServiceProvider,
) -> Result<(), RequestError> {
    use openssl::hash::MessageDigest;
    use openssl::sign::Verifier;
    if sig_alg != RSA_SHA256 {
        return Err(RequestError::BadSignature(format!("the signature algorithm {sig_alg} is not accepted")));
    }
    let verifies = |cert: &CertificateDer| -> Result<bool, openssl::error::ErrorStack> {
        let key = openssl::x509::X509::from_der(cert.der_data())?.public_key()?;
        let mut verifier = Verifier::new(MessageDigest::sha256(), &key)?;
        verifier.update(octets.as_bytes())?;
        verifier.verify(signature)
    };
    if certificates(sp).iter().any(|cert| verifies(cert).unwrap_or(false)) {
        Ok(())
    } else {
        Err(RequestError::BadSignature("the signature does not verify".into()))
    }
}

fn certificates(sp: &ServiceProvider) -> Vec<CertificateDer> {
    sp.signing_certs.iter().filter_map(|c| STANDARD.decode(c).ok()).map(CertificateDer::from).collect()
}

/// Whether the message carries an XML signature anywhere (it is then checked, not trusted).
pub(super) fn has_signature(xml: &str) -> bool {
    xml.contains("http://www.w3.org/2000/09/xmldsig#")
}

/// What of `xml` the service provider signed, as xmlsec re-serialised it (rsa-sha256 only). A
/// signature-wrapped message yields the genuine signed request, not the wrapper.
pub(super) fn reduce_to_signed(xml: &str, sp: &ServiceProvider) -> Result<String, RequestError> {
    Crypto::reduce_xml_to_signed_with_allowed_algorithms(
        xml,
        &certificates(sp),
        ReduceMode::ValidateAndMarkNoAncestors,
        Some(&[AllowedSignatureAlgorithm::RsaSha256]),
    )
    .map_err(|e| RequestError::BadSignature(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_octets_keep_the_raw_encoding_and_the_binding_order() {
        let query = RedirectQuery::parse("SigAlg=a%3Ab&Signature=c2ln&RelayState=x%7Ey&SAMLRequest=q%2B").unwrap();
        assert_eq!(query.signed_octets(), "SAMLRequest=q%2B&RelayState=x%7Ey&SigAlg=a%3Ab");
        assert_eq!(query.relay_state().as_deref(), Some("x~y"));
    }

    #[test]
    fn a_parameter_given_twice_or_a_half_signature_is_malformed() {
        assert!(RedirectQuery::parse("SAMLRequest=a&SAMLRequest=b").is_err());
        let query = RedirectQuery::parse("SAMLRequest=a&SigAlg=b").unwrap();
        assert!(matches!(query.signature(), Err(RequestError::Malformed(_))));
        assert!(matches!(query.value("Nothing"), Err(RequestError::Malformed(_))));
    }

    #[test]
    fn a_deflate_bomb_is_cut_off() {
        use std::io::Write;
        let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![b'a'; 2 * MAX_MESSAGE as usize]).unwrap();
        let bomb = encoder.finish().unwrap();
        assert!(matches!(inflate(&bomb), Err(RequestError::Malformed(_))));
    }
}
