//! The records the stores keep, as plain data.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

/// How a person authenticated: kept in the SSO session and copied into what it issues.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authentication {
    pub user_id: String,
    pub auth_time: Timestamp,
    /// The level of assurance reached (`acr`).
    pub acr: String,
    /// Authentication methods (RFC 8176), e.g. `["pwd"]`.
    pub amr: Vec<String>,
}

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

/// A login in progress: the validated authorization request waiting for the person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// Random, appears in the login page URL.
    pub id: String,
    /// The validated authorization request (`oidc::authorize::AuthorizationRequest`) as JSON.
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

/// What a code or token was issued for: shared by codes, access and refresh tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    /// Ties together every token issued from one code (or one client-credentials request).
    pub grant_id: String,
    pub client_id: String,
    /// `None` for client-credentials grants.
    pub authn: Option<Authentication>,
    /// The SSO session's public id, when issued in one.
    pub sid: Option<String>,
    pub scopes: Vec<String>,
    /// The `claims` request parameter (its `userinfo` and `id_token` members), if any.
    pub claims: Option<serde_json::Value>,
    pub nonce: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthCode {
    /// base64url(SHA-256(code)).
    pub digest: String,
    pub grant: Grant,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Redemption {
    /// No such code, or it has expired.
    Unknown,
    /// First use: the code as issued.
    Fresh(AuthCode),
    /// The code was already redeemed.
    Replayed(AuthCode),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessToken {
    pub digest: String,
    pub grant: Grant,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshToken {
    pub digest: String,
    pub grant: Grant,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    /// When it was exchanged for a new one (rotation); `None` while unused.
    pub used_at: Option<Timestamp>,
    /// Once rotated: what the rotation issued, sealed under a key only the holder of this token
    /// can derive (`oidc::token::successor`), so that a retry within the grace window gets the
    /// same tokens back. Like `used_at`, kept in a column of its own, not in the JSON record.
    #[serde(default, skip_serializing)]
    pub successor: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RefreshUse {
    Unknown,
    /// First use: the token, now marked used.
    Fresh(RefreshToken),
    /// Already used: `used_at` and `successor` of the earlier rotation are in the record.
    Reused(RefreshToken),
}

/// What rotating a refresh token writes: the new pair, and the sealed successor kept on the old
/// token (see [`RefreshToken::successor`]).
#[derive(Debug, Clone)]
pub struct Rotation {
    pub access: AccessToken,
    pub refresh: RefreshToken,
    pub successor: String,
}
