//! A client's public keys: its registered `jwks`, or the document at its `jwks_uri` (cached, and
//! fetched again early at most every few seconds; see [`crate::oidc::fetch`]).

use crate::model::Client;
use crate::oidc::Provider;
use crate::oidc::error::OAuthError;
use crate::oidc::fetch::Document;

/// The client's JWKS; `refresh` asks for a fresh copy of a `jwks_uri` (an unknown `kid`, a
/// signature that did not verify).
pub(crate) async fn jwks(provider: &Provider, client: &Client, refresh: bool) -> Result<serde_json::Value, OAuthError> {
    if let Some(jwks) = &client.jwks {
        return Ok(jwks.clone());
    }
    match &client.jwks_uri {
        Some(uri) => provider.fetcher.jwks(&client.client_id, uri, refresh).await.map_err(|e| {
            tracing::info!(client_id = %client.client_id, error = %e, "fetching the client's jwks_uri failed");
            OAuthError::invalid_client(Document::Jwks.unavailable())
        }),
        None => Err(OAuthError::invalid_client("the client has registered no keys (jwks or jwks_uri)")),
    }
}
