//! A token request (RFC 6749 §3.2), parsed from its form parameters before any grant sees it:
//! how the client authenticates, and the grant it asks for with that grant's parameters.
//!
//! What is wrong with the grant part is kept, not returned at once: the endpoint authenticates
//! the client first, and only an authenticated client learns what was wrong with its grant.

use std::collections::HashMap;

use crate::oidc::client_auth::Credentials;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::secret::Secret;

/// The grant types the token endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "authorization_code" => Self::AuthorizationCode,
            "refresh_token" => Self::RefreshToken,
            "client_credentials" => Self::ClientCredentials,
            _ => return None,
        })
    }

    /// The name a client registers (`grant_types`) and sends (`grant_type`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }
}

/// A token request: the client's credentials, and its grant or why that cannot be served.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub(crate) credentials: Credentials,
    pub(crate) grant: Result<GrantRequest, GrantError>,
}

/// The grant asked for, with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantRequest {
    AuthorizationCode(CodeRequest),
    RefreshToken(RefreshRequest),
    ClientCredentials(ClientCredentialsRequest),
}

/// RFC 6749 §4.1.3 and RFC 7636 §4.5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRequest {
    pub(crate) code: Secret,
    /// As sent, compared with the authorization request's.
    pub(crate) redirect_uri: Option<String>,
    /// As sent; its form is checked against the code's challenge.
    pub(crate) code_verifier: Option<Secret>,
}

/// RFC 6749 §6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRequest {
    pub(crate) refresh_token: Secret,
    /// The scopes to narrow the grant to; `None` keeps the grant's.
    pub(crate) scope: Option<Vec<String>>,
}

/// RFC 6749 §4.4.2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentialsRequest {
    /// `None` asks for no scope.
    pub(crate) scope: Option<Vec<String>>,
}

/// Why the grant part of a request cannot be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantError {
    /// The grant type, when the request names one this provider serves (and a parameter of it
    /// is missing): a client not registered for it is told that instead.
    pub(crate) grant_type: Option<GrantType>,
    pub(crate) error: OAuthError,
}

impl GrantRequest {
    pub(crate) fn grant_type(&self) -> GrantType {
        match self {
            Self::AuthorizationCode(_) => GrantType::AuthorizationCode,
            Self::RefreshToken(_) => GrantType::RefreshToken,
            Self::ClientCredentials(_) => GrantType::ClientCredentials,
        }
    }
}

impl TokenRequest {
    /// The request from its form parameters (each given once: the edge refuses repeats) and
    /// its `Authorization` header.
    pub fn parse(params: &HashMap<String, String>, authorization: Option<String>) -> Self {
        Self { credentials: Credentials::from_params(params, authorization), grant: grant(params) }
    }
}

fn grant(params: &HashMap<String, String>) -> Result<GrantRequest, GrantError> {
    let name = params.get("grant_type").map(String::as_str).unwrap_or_default();
    if name.is_empty() {
        return Err(GrantError { grant_type: None, error: OAuthError::invalid_request("grant_type is missing") });
    }
    let Some(grant_type) = GrantType::parse(name) else {
        let error = OAuthError::new(ErrorCode::UnsupportedGrantType, format!("grant_type {name} is not supported"));
        return Err(GrantError { grant_type: None, error });
    };
    let incomplete = |error| GrantError { grant_type: Some(grant_type), error };
    Ok(match grant_type {
        GrantType::AuthorizationCode => GrantRequest::AuthorizationCode(CodeRequest {
            code: required(params, "code").map_err(incomplete)?,
            redirect_uri: params.get("redirect_uri").cloned(),
            code_verifier: params.get("code_verifier").map(Secret::new),
        }),
        GrantType::RefreshToken => GrantRequest::RefreshToken(RefreshRequest {
            refresh_token: required(params, "refresh_token").map_err(incomplete)?,
            scope: scope(params),
        }),
        GrantType::ClientCredentials => {
            GrantRequest::ClientCredentials(ClientCredentialsRequest { scope: scope(params) })
        }
    })
}

/// A required parameter (a code or a token): present and not empty.
fn required(params: &HashMap<String, String>, name: &str) -> Result<Secret, OAuthError> {
    params
        .get(name)
        .filter(|v| !v.is_empty())
        .map(Secret::new)
        .ok_or_else(|| OAuthError::invalid_request(format!("{name} is missing")))
}

/// The `scope` parameter's words; `None` when it is absent or empty.
fn scope(params: &HashMap<String, String>) -> Option<Vec<String>> {
    let value = params.get("scope").filter(|s| !s.is_empty())?;
    Some(value.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> TokenRequest {
        let params = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        TokenRequest::parse(&params, None)
    }

    fn error(request: TokenRequest) -> (Option<GrantType>, &'static str, String) {
        let e = request.grant.unwrap_err();
        (e.grant_type, e.error.code.as_str(), e.error.description)
    }

    #[test]
    fn each_grant_takes_its_parameters() {
        let code = parse(&[("grant_type", "authorization_code"), ("code", "c"), ("redirect_uri", "https://rp/cb")]);
        assert_eq!(
            code.grant,
            Ok(GrantRequest::AuthorizationCode(CodeRequest {
                code: Secret::new("c"),
                redirect_uri: Some("https://rp/cb".into()),
                code_verifier: None,
            }))
        );
        let refresh = parse(&[("grant_type", "refresh_token"), ("refresh_token", "r"), ("scope", "openid  email")]);
        assert_eq!(
            refresh.grant,
            Ok(GrantRequest::RefreshToken(RefreshRequest {
                refresh_token: Secret::new("r"),
                scope: Some(vec!["openid".into(), "email".into()]),
            }))
        );
        let service = parse(&[("grant_type", "client_credentials"), ("scope", ""), ("client_id", "svc")]);
        assert_eq!(service.grant, Ok(GrantRequest::ClientCredentials(ClientCredentialsRequest { scope: None })));
        assert_eq!(service.credentials.client_id.as_deref(), Some("svc"));
    }

    #[test]
    fn a_missing_or_unknown_grant_is_kept_with_its_oauth_error() {
        assert_eq!(error(parse(&[("code", "c")])), (None, "invalid_request", "grant_type is missing".into()));
        assert_eq!(error(parse(&[("grant_type", "")])).1, "invalid_request");
        assert_eq!(error(parse(&[("grant_type", "implicit")])).1, "unsupported_grant_type");
        assert_eq!(
            error(parse(&[("grant_type", "urn:example:magic")])),
            (None, "unsupported_grant_type", "grant_type urn:example:magic is not supported".into())
        );
        assert_eq!(
            error(parse(&[("grant_type", "authorization_code"), ("code", "")])),
            (Some(GrantType::AuthorizationCode), "invalid_request", "code is missing".into())
        );
        assert_eq!(
            error(parse(&[("grant_type", "refresh_token")])),
            (Some(GrantType::RefreshToken), "invalid_request", "refresh_token is missing".into())
        );
    }
}
