//! Registering a service provider from its metadata (reference §3.2): its entityID, its
//! assertion consumer and single logout services, its signing and encryption certificates, and
//! eIDAS `SPType`. samael parses the standard elements; the extensions are read by hand.

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use samael::metadata::{EntityDescriptor, KeyDescriptor};

use super::SamlError;
use super::extensions;
use crate::model::saml::{BINDING_POST, Endpoint, ServiceProvider};
use crate::persona::SamlProfile;

/// The largest metadata document read.
const MAX_METADATA: usize = 512 * 1024;

/// The service provider `xml` describes, registered at `face` (whose SAML profile is `profile`)
/// at `now`: NIA's profile takes only an SP with an encryption certificate, and a profile (or
/// an SP) whose requests are signed only an SP with a signing certificate.
pub fn parse_for(
    profile: &SamlProfile,
    xml: &str,
    face: Option<&str>,
    name: Option<&str>,
    now: i64,
) -> Result<ServiceProvider, SamlError> {
    let sp = parse(xml, face, name, now)?;
    // A profile that takes only signed requests: an SP without a key to check could never log in.
    if (profile.requests_always_signed || sp.authn_requests_signed) && sp.signing_certs.is_empty() {
        return Err(SamlError::Metadata(
            "no certificate to check its signed requests with (KeyDescriptor use=\"signing\"): \
             this identity provider requires signed AuthnRequests"
                .into(),
        ));
    }
    if profile.encryption_required && sp.encryption_certs.is_empty() {
        return Err(SamlError::Metadata(
            "no certificate to encrypt assertions to (KeyDescriptor use=\"encryption\")".into(),
        ));
    }
    Ok(sp)
}

/// The service provider `xml` describes, registered at `face` at `now`, whatever the face's
/// profile (`parse_for` checks that). The metadata's own signature is not checked: the operator
/// who registers it vouches for it.
pub fn parse(xml: &str, face: Option<&str>, name: Option<&str>, now: i64) -> Result<ServiceProvider, SamlError> {
    let bad = |why: &str| SamlError::Metadata(why.to_owned());
    if xml.len() > MAX_METADATA {
        return Err(bad("the metadata is larger than 512 KiB"));
    }
    let entity = EntityDescriptor::from_str(xml).map_err(|e| SamlError::Metadata(format!("not SAML metadata: {e}")))?;
    let entity_id = entity.entity_id.clone().filter(|id| !id.trim().is_empty()).ok_or_else(|| bad("no entityID"))?;
    let sp = entity
        .sp_sso_descriptors
        .as_ref()
        .and_then(|d| d.first())
        .ok_or_else(|| bad("no SPSSODescriptor: not a service provider's metadata"))?;
    let acs: Vec<Endpoint> = sp
        .assertion_consumer_services
        .iter()
        .map(|e| Endpoint {
            binding: e.binding.clone(),
            location: e.location.clone(),
            index: u32::try_from(e.index).ok(),
            is_default: e.is_default.unwrap_or(false),
        })
        .collect();
    if !acs.iter().any(|e| e.binding == BINDING_POST) {
        return Err(bad("no AssertionConsumerService with the HTTP-POST binding"));
    }
    if let Some(bad_url) = acs.iter().map(|e| &e.location).find(|l| !is_http_url(l)) {
        return Err(SamlError::Metadata(format!("the assertion consumer service {bad_url} is not an http(s) URL")));
    }
    let slo = sp
        .single_logout_services
        .iter()
        .flatten()
        .map(|e| Endpoint { binding: e.binding.clone(), location: e.location.clone(), index: None, is_default: false })
        .collect();
    let keys = sp.key_descriptors.as_deref().unwrap_or_default();
    // A KeyDescriptor without `use` serves both.
    let signing_certs = certificates(keys, "signing")?;
    let encryption_certs = certificates(keys, "encryption")?;
    let extensions = extensions::read(xml).map_err(|e| SamlError::Metadata(e.to_string()))?;
    Ok(ServiceProvider {
        face: face.map(str::to_owned),
        entity_id,
        name: name.map(str::to_owned),
        acs,
        slo,
        signing_certs,
        encryption_certs,
        sp_type: extensions.sp_type,
        authn_requests_signed: sp.authn_requests_signed.unwrap_or(false),
        want_assertions_signed: sp.want_assertions_signed.unwrap_or(false),
        created_at: now,
    })
}

fn is_http_url(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|u| matches!(u.scheme(), "https" | "http"))
}

/// The certificates of the key descriptors for `key_use` (or for no use in particular), each
/// checked to be a DER certificate and kept as base64 without line breaks.
fn certificates(keys: &[KeyDescriptor], key_use: &str) -> Result<Vec<String>, SamlError> {
    let mut out = Vec::new();
    for key in keys.iter().filter(|k| k.key_use.as_deref().is_none_or(|u| u == key_use)) {
        for cert in key.key_info.x509_data.iter().flat_map(|d| &d.certificates) {
            let compact: String = cert.chars().filter(|c| !c.is_whitespace()).collect();
            let der =
                STANDARD.decode(&compact).map_err(|_| SamlError::Metadata("a certificate is not base64".into()))?;
            openssl::x509::X509::from_der(&der)
                .map_err(|_| SamlError::Metadata("a certificate is not an X.509 certificate".into()))?;
            if !out.contains(&compact) {
                out.push(compact);
            }
        }
    }
    Ok(out)
}
