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

use super::Provider;
use super::error::OAuthError;
use crate::model::interaction::{LoginRequest, PendingRequest, Protocol};
use crate::model::loa::Requirement;

/// Which of `code`, `id_token` and `token` the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ResponseType {
    pub(crate) code: bool,
    pub(crate) id_token: bool,
    pub(crate) token: bool,
}

impl ResponseType {
    /// The response types this provider serves, as advertised in discovery.
    pub(crate) const SUPPORTED: [&'static str; 6] =
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

    pub(crate) fn as_str(self) -> String {
        [(self.code, "code"), (self.id_token, "id_token"), (self.token, "token")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, w)| *w)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether the front channel carries a token (then `query` mode is not allowed).
    pub(crate) fn front_channel_token(self) -> bool {
        self.id_token || self.token
    }

    pub(crate) fn default_mode(self) -> ResponseMode {
        if self.front_channel_token() { ResponseMode::Fragment } else { ResponseMode::Query }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

impl ResponseMode {
    pub(crate) const SUPPORTED: [&'static str; 3] = ["query", "fragment", "form_post"];

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
pub(crate) struct Prompt {
    pub(crate) none: bool,
    pub(crate) login: bool,
    pub(crate) consent: bool,
    pub(crate) select_account: bool,
}

/// Where an authorization response (or an error) goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseTarget {
    pub(crate) redirect_uri: String,
    pub(crate) mode: ResponseMode,
    pub(crate) state: Option<String>,
}

/// A validated authorization request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) response_type: ResponseType,
    pub(crate) response_mode: ResponseMode,
    /// The scopes this provider knows and the client may have, in request order.
    pub(crate) scopes: Vec<String>,
    pub(crate) state: Option<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) prompt: Prompt,
    pub(crate) max_age: Option<i64>,
    /// The level of assurance required, from `acr_values`, the `claims` parameter's `acr` and
    /// NIA's `loa*` scopes (see [`crate::model::loa`]).
    #[serde(default)]
    pub(crate) loa: Requirement,
    pub(crate) login_hint: Option<String>,
    /// The `sub` of a valid `id_token_hint`.
    pub(crate) hint_sub: Option<String>,
    pub(crate) ui_locales: Option<String>,
    pub(crate) claims_locales: Option<String>,
    pub(crate) display: Option<String>,
    pub(crate) claims: Option<ClaimsRequest>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) code_challenge_method: Option<String>,
}

impl AuthorizationRequest {
    /// The request as answered when the person refuses to share their data but still logs in
    /// (NIA's "Nechci poskytnout údaje"): no claims named, so the token carries no attributes.
    pub(crate) fn withhold_attributes(&mut self) {
        self.claims = None;
    }

    pub(crate) fn target(&self) -> ResponseTarget {
        ResponseTarget { redirect_uri: self.redirect_uri.clone(), mode: self.response_mode, state: self.state.clone() }
    }

    /// The error response to this request (at its redirect URI, in its response mode, with its
    /// `state` and the issuer's `iss`).
    pub(crate) fn refused(&self, provider: &Provider, error: &OAuthError) -> AuthorizationResponse {
        self.target().refused(provider, error)
    }

    /// This request waiting for a login: what the login flow needs of it, and itself.
    pub(crate) fn to_pending(&self) -> Result<PendingRequest, OAuthError> {
        Ok(PendingRequest {
            protocol: Protocol::Oidc,
            login: LoginRequest {
                client_id: self.client_id.clone(),
                loa: self.loa.clone(),
                login_hint: self.login_hint.clone(),
                ui_locales: self.ui_locales.clone(),
                force_authn: self.prompt.login || self.max_age == Some(0),
            },
            request: serde_json::to_value(self).map_err(|_| OAuthError::server_error())?,
        })
    }

    /// The request a login was started for, if it is an OpenID Connect one and reads back.
    pub(crate) fn from_pending(pending: &PendingRequest) -> Option<Self> {
        match pending.protocol {
            Protocol::Oidc => serde_json::from_value(pending.request.clone()).ok(),
            Protocol::Saml => None,
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
