//! People who log in: an account (username, password digest) and the standard claims it holds.

use serde::{Deserialize, Serialize};

/// A postal address, OpenID Connect Core §5.1.1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) formatted: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) street_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) locality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) country: Option<String>,
}

/// The standard claims of a person (OpenID Connect Core §5.1); all optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) middle_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) nickname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) picture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) gender: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) birthdate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) zoneinfo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) email_verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) phone_number_verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) address: Option<Address>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Stable, opaque identifier; the public `sub`.
    pub id: String,
    pub username: String,
    /// argon2id PHC string.
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub profile: Profile,
    /// Unix seconds of the last change of the profile (`updated_at`).
    pub updated_at: i64,
    pub created_at: i64,
    pub disabled: bool,
}
