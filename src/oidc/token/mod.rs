//! The token endpoint (RFC 6749 §3.2): authenticates the client and dispatches on `grant_type`.

mod authorization_code;
mod client_credentials;
mod refresh;
mod successor;

use std::collections::HashMap;

use serde::Serialize;

use super::Provider;
use super::client_auth::{self, AuthFailure, Credentials};
use super::error::{ErrorCode, OAuthError};

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

/// Serves a token request given its form parameters and `Authorization` header.
pub async fn exchange(
    provider: &Provider,
    form: &HashMap<String, String>,
    authorization: Option<String>,
) -> Result<TokenResponse, AuthFailure> {
    let creds = Credentials {
        authorization,
        client_id: form.get("client_id").cloned(),
        client_secret: form.get("client_secret").cloned(),
        client_assertion: form.get("client_assertion").cloned(),
        client_assertion_type: form.get("client_assertion_type").cloned(),
    };
    let endpoint = provider.persona.url(provider.persona.paths.token);
    let client = client_auth::authenticate(provider, &creds, &endpoint).await?;
    let grant_type = form.get("grant_type").map(String::as_str).unwrap_or_default();
    if grant_type.is_empty() {
        return Err(OAuthError::invalid_request("grant_type is missing").into());
    }
    if !client.allows_grant(grant_type) && is_supported(grant_type) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("the client is not registered for the {grant_type} grant"),
        )
        .into());
    }
    let result = match grant_type {
        "authorization_code" => authorization_code::exchange(provider, &client, form).await,
        "refresh_token" => refresh::exchange(provider, &client, form).await,
        "client_credentials" => client_credentials::exchange(provider, &client, form).await,
        other => Err(OAuthError::new(ErrorCode::UnsupportedGrantType, format!("grant_type {other} is not supported"))),
    };
    result.map_err(AuthFailure::from)
}

pub const GRANT_TYPES: [&str; 4] = ["authorization_code", "implicit", "refresh_token", "client_credentials"];

fn is_supported(grant_type: &str) -> bool {
    GRANT_TYPES.contains(&grant_type) && grant_type != "implicit"
}

/// A required form parameter.
fn required<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a str, OAuthError> {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::invalid_request(format!("{name} is missing")))
}
