//! A single sign-on session: one browser's authentication, and the clients it served.

use serde::{Deserialize, Serialize};

use super::Authentication;
use crate::clock::Timestamp;

/// A single sign-on session, keyed by the digest of its cookie value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// The face (`[[faces]]` name) this record belongs to, `None` for the primary face (and for
    /// every record from before faces); only that face finds it (`store::face`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) face: Option<String>,
    /// base64url(SHA-256(cookie value)).
    pub key: String,
    /// The public session id (`sid` claim); not the cookie value.
    pub sid: String,
    pub authn: Authentication,
    /// The relying parties this session served, for logout: OpenID Connect clients that
    /// received tokens (their `client_id`) and SAML service providers that received an
    /// assertion (their entityID after [`SAML_PARTICIPANT`]).
    pub(crate) clients: Vec<String>,
    pub(crate) created_at: Timestamp,
    pub(crate) expires_at: Timestamp,
}

/// Marks a SAML service provider among a session's relying parties: one list serves both
/// protocols' logout, stored alike by every backend. An entityID is a URI, so `saml:` before it
/// does not read as an OpenID Connect `client_id` a registration would give.
pub const SAML_PARTICIPANT: &str = "saml:";

impl Session {
    /// The relying party recorded for the SAML service provider `entity_id`.
    pub(crate) fn saml_participant(entity_id: &str) -> String {
        format!("{SAML_PARTICIPANT}{entity_id}")
    }

    /// The OpenID Connect clients the session served.
    pub(crate) fn oidc_clients(&self) -> impl Iterator<Item = &str> {
        self.clients.iter().map(String::as_str).filter(|c| !c.starts_with(SAML_PARTICIPANT))
    }

    /// The entityIDs of the SAML service providers the session served.
    pub(crate) fn saml_sps(&self) -> impl Iterator<Item = &str> {
        self.clients.iter().filter_map(|c| c.strip_prefix(SAML_PARTICIPANT))
    }
}
