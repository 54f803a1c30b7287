//! A citizen's registered security key (WebAuthn credential), for the means mojeID + WebAuthn.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

/// A security key registered to an account. The key itself (public key, sign counter, flags)
/// is webauthn-rs's serialised `SecurityKey`, kept as JSON so that the model does not depend on
/// the WebAuthn library; `crate::authn::webauthn` reads and writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityKeyRecord {
    /// The credential id, base64url without padding (as WebAuthn sends it).
    pub(crate) credential_id: String,
    pub(crate) user_id: String,
    /// A name the citizen recognises the key by.
    pub(crate) name: String,
    /// The authenticator model's AAGUID from its attestation, when it gave one (lower-case UUID).
    pub(crate) aaguid: Option<String>,
    /// webauthn-rs's `SecurityKey`, serialised.
    pub(crate) key: serde_json::Value,
    pub(crate) created_at: Timestamp,
    pub(crate) last_used_at: Option<Timestamp>,
}
