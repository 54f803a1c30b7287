//! OAuth 2.0 / OpenID Connect errors, as plain data: a registered error code and a description.
//!
//! The description is written for the client's developer: it says what was wrong with the
//! request and never carries internal detail (storage errors become `server_error` with a fixed
//! text; the detail goes to the log).

use std::fmt;

/// Error codes of RFC 6749, RFC 6750, RFC 7591, RFC 9126 and OpenID Connect Core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
    InteractionRequired,
    LoginRequired,
    AccountSelectionRequired,
    ConsentRequired,
    InvalidRequestUri,
    InvalidRequestObject,
    RequestNotSupported,
    RequestUriNotSupported,
    RegistrationNotSupported,
    InvalidToken,
    InsufficientScope,
    UnsupportedTokenType,
    InvalidRedirectUri,
    InvalidClientMetadata,
    /// OpenID Connect Unmet Authentication Requirements 1.0.
    UnmetAuthenticationRequirements,
}

impl ErrorCode {
    pub(crate) fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidRequest => "invalid_request",
            InvalidClient => "invalid_client",
            InvalidGrant => "invalid_grant",
            UnauthorizedClient => "unauthorized_client",
            UnsupportedGrantType => "unsupported_grant_type",
            UnsupportedResponseType => "unsupported_response_type",
            InvalidScope => "invalid_scope",
            AccessDenied => "access_denied",
            ServerError => "server_error",
            TemporarilyUnavailable => "temporarily_unavailable",
            InteractionRequired => "interaction_required",
            LoginRequired => "login_required",
            AccountSelectionRequired => "account_selection_required",
            ConsentRequired => "consent_required",
            InvalidRequestUri => "invalid_request_uri",
            InvalidRequestObject => "invalid_request_object",
            RequestNotSupported => "request_not_supported",
            RequestUriNotSupported => "request_uri_not_supported",
            RegistrationNotSupported => "registration_not_supported",
            InvalidToken => "invalid_token",
            InsufficientScope => "insufficient_scope",
            UnsupportedTokenType => "unsupported_token_type",
            InvalidRedirectUri => "invalid_redirect_uri",
            InvalidClientMetadata => "invalid_client_metadata",
            UnmetAuthenticationRequirements => "unmet_authentication_requirements",
        }
    }
}

/// An error a client is told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub(crate) code: ErrorCode,
    pub(crate) description: String,
}

impl OAuthError {
    pub(crate) fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self { code, description: sanitize(&description.into()) }
    }

    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    pub(crate) fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    pub(crate) fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidClient, description)
    }

    /// The opaque error for anything that went wrong on our side.
    pub(crate) fn server_error() -> Self {
        Self::new(ErrorCode::ServerError, "the server could not complete the request")
    }

    pub(crate) fn unavailable() -> Self {
        Self::new(ErrorCode::TemporarilyUnavailable, "the service is temporarily unavailable, try again later")
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

impl std::error::Error for OAuthError {}

impl From<crate::store::StoreError> for OAuthError {
    fn from(err: crate::store::StoreError) -> Self {
        crate::metrics::store_error(&err);
        match err {
            crate::store::StoreError::Unavailable(detail) => {
                tracing::error!(%detail, "storage unavailable");
                Self::unavailable()
            }
            other => {
                tracing::error!(error = %other, "storage error");
                Self::server_error()
            }
        }
    }
}

/// RFC 6749 allows only %x20-21 / %x23-5B / %x5D-7E in `error_description`: replace the rest,
/// so a description quoting client input can never break the response format.
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            ' '..='~' => c,
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_keep_to_the_allowed_characters() {
        let err = OAuthError::invalid_request("bad \"value\" \n ž");
        assert_eq!(err.description, "bad 'value' ? ?");
    }
}
