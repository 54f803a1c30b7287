//! Relying parties (OAuth clients): their registered metadata and what it permits.
//!
//! A client is stored as its metadata (RFC 7591 names) plus the digest of its secret; the secret
//! itself is shown once, when the client is created, and never again. How metadata is checked when
//! a client registers is the protocol's business (`crate::oidc::registration`).

use serde::{Deserialize, Serialize};

use super::redirect_uri::ApplicationType;

/// How a client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    None,
}

impl AuthMethod {
    pub(crate) const ALL: [&'static str; 4] = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"];

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "client_secret_basic" => Self::ClientSecretBasic,
            "client_secret_post" => Self::ClientSecretPost,
            "private_key_jwt" => Self::PrivateKeyJwt,
            "none" => Self::None,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }

    pub(crate) fn uses_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    #[default]
    Public,
    Pairwise,
}

/// The registered metadata of a client, in RFC 7591 / OpenID Connect Registration names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub(crate) client_id: String,
    /// The face (`[[faces]]` name) this record belongs to, `None` for the primary face (and for
    /// every record from before faces); only that face finds it (`store::face`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) face: Option<String>,
    /// base64url(SHA-256(secret)); `None` for public and private_key_jwt clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) secret_digest: Option<String>,
    #[serde(default)]
    pub(crate) client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    pub(crate) grant_types: Vec<String>,
    pub(crate) response_types: Vec<String>,
    pub(crate) token_endpoint_auth_method: AuthMethod,
    /// Scopes this client may ask for; empty means every scope the provider supports.
    #[serde(default)]
    pub(crate) scope: Option<String>,
    #[serde(default)]
    pub(crate) jwks: Option<serde_json::Value>,
    #[serde(default)]
    pub jwks_uri: Option<String>,
    #[serde(default = "default_alg")]
    pub(crate) id_token_signed_response_alg: String,
    /// The JWE `alg` its ID tokens are encrypted with (to a key of its `jwks` or `jwks_uri`);
    /// `None`: they are only signed. Checked against what identita supports at registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id_token_encrypted_response_alg: Option<String>,
    /// The JWE `enc` of its encrypted ID tokens; set (to the default `A128CBC-HS256` if the client
    /// named none) exactly when `id_token_encrypted_response_alg` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id_token_encrypted_response_enc: Option<String>,
    #[serde(default)]
    pub(crate) userinfo_signed_response_alg: Option<String>,
    /// The JWE `alg` its userinfo responses are encrypted with, like ID tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) userinfo_encrypted_response_alg: Option<String>,
    /// The JWE `enc` of its encrypted userinfo; set exactly when the `alg` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) userinfo_encrypted_response_enc: Option<String>,
    #[serde(default)]
    pub(crate) request_object_signing_alg: Option<String>,
    /// The one algorithm its `private_key_jwt` assertions may be signed with; any supported one
    /// when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) token_endpoint_auth_signing_alg: Option<String>,
    #[serde(default)]
    pub request_uris: Vec<String>,
    #[serde(default)]
    pub(crate) subject_type: SubjectType,
    #[serde(default)]
    pub(crate) sector_identifier_uri: Option<String>,
    /// The host that pairwise identifiers are computed for (from `sector_identifier_uri` or the
    /// single redirect-URI host).
    #[serde(default)]
    pub(crate) sector_identifier: Option<String>,
    #[serde(default)]
    pub(crate) backchannel_logout_uri: Option<String>,
    #[serde(default)]
    pub(crate) backchannel_logout_session_required: bool,
    #[serde(default)]
    pub(crate) default_max_age: Option<i64>,
    #[serde(default)]
    pub(crate) require_auth_time: bool,
    #[serde(default)]
    pub(crate) default_acr_values: Vec<String>,
    #[serde(default)]
    pub(crate) contacts: Vec<String>,
    #[serde(default)]
    pub(crate) logo_uri: Option<String>,
    #[serde(default)]
    pub(crate) policy_uri: Option<String>,
    #[serde(default)]
    pub(crate) tos_uri: Option<String>,
    #[serde(default)]
    pub(crate) client_uri: Option<String>,
    /// First-party clients skip the consent page.
    #[serde(default)]
    pub(crate) first_party: bool,
    /// mojeID's "full access" services: they also receive the account's validation
    /// (`mojeid_valid`, `mojeid_status`). Set by operators only.
    #[serde(default)]
    pub(crate) full_access: bool,
    /// `web` (the default) or `native`: what its redirect URIs may be (see [`RedirectUri`](super::RedirectUri)).
    #[serde(default)]
    pub(crate) application_type: ApplicationType,
    /// RFC 7592: digest of the registration access token, for dynamically registered clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) registration_token_digest: Option<String>,
    #[serde(default)]
    pub(crate) created_at: i64,
}

fn default_alg() -> String {
    "RS256".into()
}

impl Client {
    pub(crate) fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == AuthMethod::None
    }

    pub(crate) fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }

    /// Exact (string-equal) redirect-URI matching, as RFC 9700 requires.
    pub(crate) fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r == uri)
    }

    /// Whether this client registered the response type, compared as a set of words.
    pub(crate) fn allows_response_type(&self, response_type: &str) -> bool {
        let wanted = normalize_response_type(response_type);
        self.response_types.iter().any(|r| normalize_response_type(r) == wanted)
    }

    /// Whether `scope` may be granted to this client.
    pub(crate) fn allows_scope(&self, scope: &str) -> bool {
        match &self.scope {
            Some(allowed) if !allowed.trim().is_empty() => allowed.split(' ').any(|s| s == scope),
            _ => true,
        }
    }
}

/// `"id_token code"` and `"code id_token"` are the same response type.
fn normalize_response_type(value: &str) -> String {
    let mut words: Vec<&str> = value.split(' ').filter(|w| !w.is_empty()).collect();
    words.sort_unstable();
    words.dedup();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_type_is_compared_as_a_set() {
        assert_eq!(normalize_response_type("id_token code"), normalize_response_type("code id_token"));
        assert_ne!(normalize_response_type("code"), normalize_response_type("code id_token"));
    }
}
