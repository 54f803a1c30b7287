//! NIA ID's online registration (seed 000, "How to set up your NIA ID"): the account a citizen
//! registers on the web is disabled until a Czech POINT clerk has checked the citizen's identity
//! and recorded a request whose message is the registration's identification code.
//!
//! awaiting e-mail ──link──▶ awaiting identity ──Czech POINT request──▶ active

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

/// Where a registration is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationState {
    /// The confirmation e-mail went out; its link has not been followed.
    AwaitingEmail,
    /// The address is verified and the identification code sent: the citizen is to visit a
    /// Czech POINT office (or use a data box).
    AwaitingIdentity,
    /// Bound to a person of the register; the account can log in.
    Active,
}

impl RegistrationState {
    /// The name stored in the `state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationState::AwaitingEmail => "awaiting_email",
            RegistrationState::AwaitingIdentity => "awaiting_identity",
            RegistrationState::Active => "active",
        }
    }
}

/// One account's registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NiaRegistration {
    /// The account (`users.id`), created disabled with the registration.
    pub user_id: String,
    pub state: RegistrationState,
    /// The address the links and the code went to.
    pub email: String,
    /// The +420 number NIA ID's codes will go to.
    pub phone: String,
    /// The digest of the confirmation link's token (the token itself is only in the e-mail).
    pub email_token: String,
    /// The code the citizen gives the Czech POINT clerk as the request's message; set once the
    /// address is verified.
    pub identification_code: Option<String>,
    pub created_at: Timestamp,
    /// Until when the confirmation link works; an unconfirmed registration lapses then and its
    /// username is free again.
    pub expires_at: Timestamp,
    pub verified_at: Option<Timestamp>,
    pub activated_at: Option<Timestamp>,
    /// The person of the register the account was bound to.
    pub person_id: Option<String>,
}
