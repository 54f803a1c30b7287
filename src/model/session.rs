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
    pub(crate) sid: String,
    pub authn: Authentication,
    /// Clients that received tokens in this session, for logout.
    pub(crate) clients: Vec<String>,
    pub(crate) created_at: Timestamp,
    pub(crate) expires_at: Timestamp,
}
