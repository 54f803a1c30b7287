//! What a client was granted, and the codes and tokens issued from it.
//!
//! A grant is made once — by an authorization, or by a client-credentials request — and copied
//! into every code, access token and refresh token issued from it; revoking a grant revokes them
//! all. Codes and tokens are kept as digests: the bearer values are handed out once and never stored.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Authentication;
use crate::clock::Timestamp;

/// What a code or token was issued for: shared by codes, access and refresh tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    /// The face (`[[faces]]` name) this record belongs to, `None` for the primary face (and for
    /// every record from before faces); only that face finds it (`store::face`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) face: Option<String>,
    /// Ties together every token issued from one code (or one client-credentials request).
    pub(crate) grant_id: String,
    pub(crate) client_id: String,
    /// `None` for client-credentials grants.
    pub(crate) authn: Option<Authentication>,
    /// The SSO session's public id, when issued in one.
    pub(crate) sid: Option<String>,
    pub(crate) scopes: Vec<String>,
    /// The individual claims the client asked for (the `claims` request parameter), if any.
    pub(crate) claims: Option<RequestedClaims>,
    pub(crate) nonce: Option<String>,
}

/// The individual claims a client asked for (OpenID Connect Core §5.5), as validated when the
/// request was made: each member maps a claim name to `null` or to its request (`essential`,
/// `value`, `values`). A stored record whose claims are not of this shape does not load at all
/// (the store reports it corrupt) rather than lose the request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestedClaims {
    /// Claims for the userinfo response.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub(crate) userinfo: Map<String, Value>,
    /// Claims for the ID token.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub(crate) id_token: Map<String, Value>,
}

/// An authorization code, redeemed once at the token endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthCode {
    /// base64url(SHA-256(code)).
    pub(crate) digest: String,
    pub(crate) grant: Grant,
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: Option<String>,
    pub(crate) code_challenge_method: Option<String>,
    pub(crate) expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessToken {
    /// base64url(SHA-256(token)).
    pub(crate) digest: String,
    pub(crate) grant: Grant,
    pub(crate) issued_at: Timestamp,
    pub(crate) expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshToken {
    /// base64url(SHA-256(token)).
    pub(crate) digest: String,
    pub(crate) grant: Grant,
    pub(crate) issued_at: Timestamp,
    pub(crate) expires_at: Timestamp,
    /// When it was exchanged for a new one (rotation); `None` while unused.
    pub(crate) used_at: Option<Timestamp>,
    /// Once rotated: what the rotation issued, sealed under a key only the holder of this token
    /// can derive (`oidc::token::successor`), so that a retry within the grace window gets the
    /// same tokens back. Like `used_at`, kept in a column of its own, not in the JSON record.
    #[serde(default, skip_serializing)]
    pub(crate) successor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(claims: Value) -> Value {
        serde_json::json!({
            "grant_id": "g", "client_id": "c", "authn": null, "sid": null,
            "scopes": ["openid"], "claims": claims, "nonce": null,
        })
    }

    #[test]
    fn requested_claims_keep_their_stored_shape() {
        let stored = grant(serde_json::json!({ "id_token": { "acr": { "essential": true } } }));
        let loaded: Grant = serde_json::from_value(stored.clone()).unwrap();
        let requested = loaded.claims.as_ref().unwrap();
        assert!(requested.userinfo.is_empty());
        assert_eq!(requested.id_token["acr"]["essential"], true);
        assert_eq!(serde_json::to_value(&loaded).unwrap(), stored);
    }

    #[test]
    fn a_stored_claims_request_of_another_shape_does_not_load() {
        assert!(serde_json::from_value::<Grant>(grant(serde_json::json!("email"))).is_err());
        assert!(serde_json::from_value::<Grant>(grant(serde_json::json!({ "userinfo": [1] }))).is_err());
        assert!(serde_json::from_value::<Grant>(grant(Value::Null)).unwrap().claims.is_none());
    }
}
