//! A client's public keys: its registered `jwks`, or the document at its `jwks_uri`.

use crate::oidc::Provider;
use crate::oidc::client::Client;
use crate::oidc::error::{ErrorCode, OAuthError};

/// The client's JWKS; `refresh` skips the cache of a `jwks_uri`.
pub async fn jwks(provider: &Provider, client: &Client, refresh: bool) -> Result<serde_json::Value, OAuthError> {
    if let Some(jwks) = &client.jwks {
        return Ok(jwks.clone());
    }
    match &client.jwks_uri {
        Some(uri) => provider
            .fetcher
            .jwks(uri, refresh)
            .await
            .map_err(|e| OAuthError::new(ErrorCode::InvalidClient, format!("the client's keys: {e}"))),
        None => Err(OAuthError::invalid_client("the client has registered no keys (jwks or jwks_uri)")),
    }
}
