//! The SAML 2.0 identity provider, a sibling of `oidc/`: NIA's eIDAS profile on the nia faces
//! (reference `nia_mojeid.md` §3) and a generic identity provider's on the standard ones, each a
//! `persona::SamlProfile` of the face's `Persona::saml` that the code here reads as values. It shares the citizens,
//! the SSO sessions, the login pages, the level-of-assurance policy and the PersonIdentifier
//! with OpenID Connect; a request waits for a login as a `PendingRequest` of its own protocol.
//!
//! What works: signed metadata (`metadata`); SPs registered from their metadata (`sp_metadata`,
//! from a file or a URL: `metadata_url`) by an administrator (`registration`: `identita saml sp`
//! and the admin API's `/saml/service-providers`, audited); `AuthnRequest` over HTTP-Redirect
//! and HTTP-POST, signed (NIA's profile: always; the generic one: when the SP's metadata says it
//! signs) (`request`); the response — an assertion with the
//! persistent PersonIdentifier (or the standard face's `sub`, an e-mail or a transient value:
//! `name_id`), the achieved LoA and the eIDAS attributes (or the OpenID Connect claims by name),
//! signed when the SP wants it, encrypted to the SP (`encrypt`; the generic profile only to an
//! SP with an encryption certificate), in a signed Response (`response`); refusals as
//! SAML statuses, a failed login in NIA's form (a Success carrying AuthnFailed, `sso::fail`)
//! unless the quirks say otherwise; single logout over HTTP-Redirect (`logout`), its outgoing
//! messages signed over the query (`redirect`): the SSO session ends, its OpenID Connect
//! clients hear by back-channel logout and its other SAML SPs by a `LogoutRequest` each (SPs are
//! recorded among the session's relying parties when they receive an assertion).
//!
//! XML security: signatures are made and checked by xmlsec through samael; of a POST request
//! only the subset xmlsec verified is read (signature wrapping yields the genuine request), of a
//! Redirect request nothing before its signature over the raw query verified. libxml2 (inside
//! samael) parses without entity substitution or DTD loading; quick-xml (samael's structs and
//! `extensions`) refuses undeclared entities and loads nothing.

mod attributes;
mod encrypt;
mod extensions;
mod keys;
pub mod logout;
pub mod metadata;
pub mod metadata_url;
mod name_id;
mod redirect;
pub mod registration;
pub mod request;
mod response;
pub mod sp_metadata;
pub mod sso;
pub mod status;
mod xml;

pub use keys::{IdpKey, SamlKey};
pub use request::{Inbound, RequestError, SamlRequest};
pub use status::Status;

use crate::oidc::Provider;
use crate::persona::SamlProfile;
use crate::store::StoreError;

/// The face's SAML signing key (made on first use), or `NotServed` at a face without SAML.
pub(crate) fn idp_key(provider: &Provider) -> Result<&IdpKey, SamlError> {
    Ok(provider.saml.as_deref().ok_or(SamlError::NotServed)?.get()?)
}

/// The face's SAML profile, or `NotServed`.
pub(crate) fn profile(provider: &Provider) -> Result<SamlProfile, SamlError> {
    provider.persona.saml.map(|s| s.profile).ok_or(SamlError::NotServed)
}

/// A failure of ours, logged in detail and shown without it (the edge's page and the SAML
/// logout both answer it so).
impl From<&SamlError> for crate::oidc::OAuthError {
    fn from(error: &SamlError) -> Self {
        match error {
            SamlError::Store(e) => {
                tracing::error!(error = %e, "SAML: storage failed");
                crate::oidc::OAuthError::unavailable()
            }
            other => {
                tracing::error!(error = %other, "SAML: the response could not be made");
                crate::oidc::OAuthError::server_error()
            }
        }
    }
}

/// What can go wrong serving SAML once a request is trusted, or registering an SP.
#[derive(Debug, thiserror::Error)]
pub enum SamlError {
    /// The SP metadata cannot be registered.
    #[error("unusable SAML metadata: {0}")]
    Metadata(String),
    #[error("signing failed: {0}")]
    Signing(String),
    #[error("encrypting the assertion failed: {0}")]
    Encryption(String),
    #[error("the service provider has no encryption certificate")]
    NoEncryptionCertificate,
    #[error("the person's account no longer exists")]
    NoSuchPerson,
    #[error("this face serves no SAML")]
    NotServed,
    #[error("the SAML signing key: {0}")]
    Key(#[from] crate::keys::KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}
