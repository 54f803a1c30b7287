//! The identity provider's metadata (reference §3.1): its entityID (NIA's: the face's issuer; a
//! generic one's: this document's URL), the signing certificate, single sign-on over
//! HTTP-Redirect and HTTP-POST and single logout over HTTP-Redirect at one URL, the NameID
//! formats of the profile, signed enveloped as NIA's is.

use samael::crypto::{Crypto, CryptoProvider};

use super::SamlError;
use super::keys::IdpKey;
use super::name_id::NameIdFormat;
use super::xml::{escape, new_id, signature_template};
use crate::model::saml::{BINDING_POST, BINDING_REDIRECT};
use crate::persona::SamlSurface;

/// The signed metadata of the identity provider `entity_id` serving `surface` under `base_url`.
pub(crate) fn signed(
    entity_id: &str,
    base_url: &str,
    surface: &SamlSurface,
    key: &IdpKey,
) -> Result<String, SamlError> {
    let id = new_id();
    let sso = escape(&format!("{base_url}{}", surface.sso));
    let cert = &key.cert_b64;
    let formats: String = NameIdFormat::offered(&surface.profile)
        .iter()
        .map(|f| format!("<md:NameIDFormat>{}</md:NameIDFormat>", f.uri()))
        .collect();
    let xml = format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="{id}" entityID="{entity_id}">{signature}<md:IDPSSODescriptor WantAuthnRequestsSigned="{signed}" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleLogoutService Binding="{redirect}" Location="{sso}"/>{formats}<md:SingleSignOnService Binding="{redirect}" Location="{sso}"/><md:SingleSignOnService Binding="{post}" Location="{sso}"/></md:IDPSSODescriptor></md:EntityDescriptor>"#,
        entity_id = escape(entity_id),
        signature = signature_template(&id, cert),
        signed = surface.profile.requests_always_signed,
        redirect = BINDING_REDIRECT,
        post = BINDING_POST,
    );
    Crypto::sign_xml(xml, &key.pkcs8_der).map_err(|e| SamlError::Signing(e.to_string()))
}
