//! How a person authenticated: who, when, at which level and by which means.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::model::Loa;

/// How a person authenticated: kept in the SSO session and copied into what it issues.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authentication {
    pub user_id: String,
    pub auth_time: Timestamp,
    /// The level of assurance reached (`acr`; stored as its eIDAS URI).
    pub acr: Loa,
    /// Authentication methods (RFC 8176), e.g. `["pwd"]`.
    pub amr: Vec<String>,
}
