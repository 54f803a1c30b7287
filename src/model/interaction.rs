//! A login in progress: the request that waits for the person, bound to one browser.

use serde::{Deserialize, Serialize};

use super::Authentication;
use crate::clock::Timestamp;

/// A login in progress: the validated authorization request waiting for the person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// Random, appears in the login page URL.
    pub id: String,
    /// The validated request of the protocol that is waiting for the login (an OpenID Connect
    /// authorization request), as that protocol wrote it in JSON.
    pub request: serde_json::Value,
    /// The CSRF token the forms of this interaction carry.
    pub csrf: String,
    /// Digest of the browser-binding cookie value: the forms only work in the browser that started.
    pub browser: String,
    /// Set once the person has authenticated within this interaction.
    pub authn: Option<Authentication>,
    /// The `sid` of the SSO session `authn` belongs to: the interaction goes on only while that
    /// session lives (records from before this field have none, and are refused once past login).
    #[serde(default)]
    pub sid: Option<String>,
    /// Failed password attempts within this interaction.
    pub failures: u32,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}
