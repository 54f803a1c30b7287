//! The authorization endpoint: parsing and validating a request, deciding what the person must
//! do (log in, consent, choose an account, nothing), and building the response.

mod claims_request;
mod decide;
mod issue;
mod parse;
mod request_object;
mod response;

use serde::{Deserialize, Serialize};

pub use claims_request::ClaimsRequest;
pub use decide::{Decision, after_login, decide};
pub use issue::issue;
pub use parse::parse;
pub use request_object::SIGNING_ALGS as REQUEST_OBJECT_ALGS;
pub use response::AuthorizationResponse;

use super::error::OAuthError;
use crate::model::interaction::{LoginRequest, PendingRequest, Protocol};
use crate::model::loa::Requirement;

/// Which of `code`, `id_token` and `token` the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseType {
    pub code: bool,
    pub id_token: bool,
    pub token: bool,
}

impl ResponseType {
    /// The response types this provider serves, as advertised in discovery.
    pub const SUPPORTED: [&'static str; 6] =
        ["code", "id_token", "id_token token", "code id_token", "code token", "code id_token token"];

    pub fn parse(value: &str) -> Option<Self> {
        let mut rt = Self { code: false, id_token: false, token: false };
        for word in value.split(' ') {
            let slot = match word {
                "code" => &mut rt.code,
                "id_token" => &mut rt.id_token,
                "token" => &mut rt.token,
                _ => return None,
            };
            if *slot {
                return None;
            }
            *slot = true;
        }
        // `token` alone is plain OAuth implicit; an OpenID Provider does not serve it.
        (rt.code || rt.id_token).then_some(rt)
    }

    pub fn as_str(self) -> String {
        [(self.code, "code"), (self.id_token, "id_token"), (self.token, "token")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, w)| *w)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether the front channel carries a token (then `query` mode is not allowed).
    pub fn front_channel_token(self) -> bool {
        self.id_token || self.token
    }

    pub fn default_mode(self) -> ResponseMode {
        if self.front_channel_token() { ResponseMode::Fragment } else { ResponseMode::Query }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

impl ResponseMode {
    pub const SUPPORTED: [&'static str; 3] = ["query", "fragment", "form_post"];

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "query" => Self::Query,
            "fragment" => Self::Fragment,
            "form_post" => Self::FormPost,
            _ => return None,
        })
    }
}

/// The `prompt` parameter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

/// Where an authorization response (or an error) goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseTarget {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub state: Option<String>,
}

/// A validated authorization request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_type: ResponseType,
    pub response_mode: ResponseMode,
    /// The scopes this provider knows and the client may have, in request order.
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    /// The level of assurance required, from `acr_values`, the `claims` parameter's `acr` and
    /// NIA's `loa*` scopes (see [`crate::model::loa`]).
    #[serde(default)]
    pub loa: Requirement,
    pub login_hint: Option<String>,
    /// The `sub` of a valid `id_token_hint`.
    pub hint_sub: Option<String>,
    pub ui_locales: Option<String>,
    pub claims_locales: Option<String>,
    pub display: Option<String>,
    pub claims: Option<ClaimsRequest>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

impl AuthorizationRequest {
    pub fn target(&self) -> ResponseTarget {
        ResponseTarget { redirect_uri: self.redirect_uri.clone(), mode: self.response_mode, state: self.state.clone() }
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// This request waiting for a login: what the login flow needs of it, and itself.
    pub fn to_pending(&self) -> Result<PendingRequest, OAuthError> {
        Ok(PendingRequest {
            protocol: Protocol::Oidc,
            login: LoginRequest {
                client_id: self.client_id.clone(),
                loa: self.loa.clone(),
                login_hint: self.login_hint.clone(),
                ui_locales: self.ui_locales.clone(),
            },
            request: serde_json::to_value(self).map_err(|_| OAuthError::server_error())?,
        })
    }

    /// The request a login was started for, if it is an OpenID Connect one and reads back.
    pub fn from_pending(pending: &PendingRequest) -> Option<Self> {
        match pending.protocol {
            Protocol::Oidc => serde_json::from_value(pending.request.clone()).ok(),
        }
    }
}

/// Why an error is shown on a page rather than sent to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageReason {
    /// The request names no client at all (no `client_id`).
    MissingClient,
    UnknownClient,
    /// The redirect URI is missing or not registered.
    UntrustedRedirect,
    /// The request is malformed before its redirect URI could be trusted.
    Malformed,
}

/// Why an authorization request could not be served.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: tell the person on a page.
    Page(OAuthError, PageReason),
    /// Tell the client, at its redirect URI.
    Redirect(OAuthError, ResponseTarget),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_types_parse_as_sets() {
        let rt = ResponseType::parse("id_token code").unwrap();
        assert!(rt.code && rt.id_token && !rt.token);
        assert_eq!(rt.as_str(), "code id_token");
        assert_eq!(rt.default_mode(), ResponseMode::Fragment);
        assert!(ResponseType::parse("code code").is_none());
        assert!(ResponseType::parse("token").is_none());
        assert!(ResponseType::parse("code banana").is_none());
        assert!(ResponseType::parse("").is_none());
    }
}
