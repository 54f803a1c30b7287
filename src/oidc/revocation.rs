//! Token revocation (RFC 7009). Revoking a refresh token revokes its whole grant (the access
//! tokens issued with it too); revoking an access token revokes that token.

use crate::model::Client;
use crate::oidc::Provider;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::secret;

pub(crate) async fn revoke(
    provider: &Provider,
    client: &Client,
    token: &str,
    hint: Option<&str>,
) -> Result<(), OAuthError> {
    let digest = secret::bearer_digest(token);
    let now = provider.now();
    let tokens = &provider.stores.tokens;
    let refresh = async { tokens.get_refresh(&digest, now).await.map(|t| t.map(|t| t.grant)) };
    let access = async { tokens.get_access(&digest, now).await.map(|t| t.map(|t| t.grant)) };
    let (grant, is_refresh) = if hint == Some("refresh_token") {
        match refresh.await? {
            Some(g) => (Some(g), true),
            None => (access.await?, false),
        }
    } else {
        match access.await? {
            Some(g) => (Some(g), false),
            None => (refresh.await?, true),
        }
    };
    // RFC 7009 §2.2: an unknown token is not an error.
    let Some(grant) = grant else { return Ok(()) };
    if grant.client_id != client.client_id {
        return Err(OAuthError::new(ErrorCode::UnauthorizedClient, "the token was issued to another client"));
    }
    if is_refresh {
        tokens.revoke_grant(&grant.grant_id).await?;
    } else {
        tokens.delete_access(&digest).await?;
    }
    Ok(())
}
