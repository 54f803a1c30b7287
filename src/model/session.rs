//! A single sign-on session: one browser's authentication, and the clients it served.

use serde::{Deserialize, Serialize};

use super::Authentication;
use crate::clock::Timestamp;

/// A single sign-on session, keyed by the digest of its cookie value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// base64url(SHA-256(cookie value)).
    pub key: String,
    /// The public session id (`sid` claim); not the cookie value.
    pub sid: String,
    pub authn: Authentication,
    /// Clients that received tokens in this session, for logout.
    pub clients: Vec<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}
