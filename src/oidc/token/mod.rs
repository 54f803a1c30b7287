//! The token endpoint (RFC 6749 §3.2): authenticates the client and dispatches on `grant_type`.

mod authorization_code;
mod client_credentials;
mod refresh;
mod request;
mod successor;

use serde::Serialize;

pub(crate) use authorization_code::person_active;
pub use request::{
    ClientCredentialsRequest, CodeRequest, GrantError, GrantRequest, GrantType, RefreshRequest, TokenRequest,
};

use super::Provider;
use super::client_auth::{self, AuthFailure};
use super::error::{ErrorCode, OAuthError};

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    pub(crate) token_type: &'static str,
    pub(crate) expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) id_token: Option<String>,
    pub(crate) scope: String,
}

/// Serves a token request: authenticates the client, then the grant it asks for.
pub(crate) async fn exchange(provider: &Provider, request: TokenRequest) -> Result<TokenResponse, AuthFailure> {
    let endpoint = provider.persona.url(provider.persona.paths.token);
    let client = client_auth::authenticate(provider, &request.credentials, &endpoint).await?;
    let grant_type = match &request.grant {
        Ok(grant) => Some(grant.grant_type()),
        Err(refused) => refused.grant_type,
    };
    if let Some(grant_type) = grant_type
        && !client.allows_grant(grant_type.as_str())
    {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("the client is not registered for the {} grant", grant_type.as_str()),
        )
        .into());
    }
    let result = match request.grant.map_err(|refused| refused.error)? {
        GrantRequest::AuthorizationCode(grant) => authorization_code::exchange(provider, &client, &grant).await,
        GrantRequest::RefreshToken(grant) => refresh::exchange(provider, &client, &grant).await,
        GrantRequest::ClientCredentials(grant) => client_credentials::exchange(provider, &client, &grant).await,
    };
    result.map_err(AuthFailure::from)
}

pub(crate) const GRANT_TYPES: [&str; 4] = ["authorization_code", "implicit", "refresh_token", "client_credentials"];
