//! The refresh-token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2):
//! each refresh token works once; presenting a used one again — past a short grace window for
//! concurrent requests — revokes the whole family, since a thief or the client has a stale copy.

use std::collections::HashMap;

use super::{TokenResponse, required};
use crate::oidc::Provider;
use crate::oidc::client::Client;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::scopes;
use crate::oidc::tokens::{self, IdTokenInput};
use crate::secret;
use crate::store::RefreshUse;

pub async fn exchange(
    provider: &Provider,
    client: &Client,
    form: &HashMap<String, String>,
) -> Result<TokenResponse, OAuthError> {
    let digest = secret::bearer_digest(required(form, "refresh_token")?);
    let now = provider.now();
    let invalid = || OAuthError::invalid_grant("the refresh token is invalid, expired or revoked");
    let stored = provider.stores.tokens.get_refresh(&digest, now).await?.ok_or_else(invalid)?;
    // Checked before the token is used, so another client cannot burn it.
    if stored.grant.client_id != client.client_id {
        return Err(OAuthError::invalid_grant("the refresh token was issued to another client"));
    }
    let narrowed = match form.get("scope").filter(|s| !s.is_empty()) {
        None => stored.grant.scopes.clone(),
        Some(requested) => {
            let requested: Vec<String> = requested.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
            if let Some(extra) = requested.iter().find(|s| !stored.grant.scopes.contains(s)) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!("scope {extra} was not granted originally"),
                ));
            }
            requested
        }
    };

    let token = match provider.stores.tokens.use_refresh(&digest, now).await? {
        RefreshUse::Fresh(token) => token,
        RefreshUse::Reused(token) => {
            let used_at = token.used_at.unwrap_or(0);
            if now - used_at > provider.config.tokens.refresh_grace_seconds {
                provider.stores.tokens.revoke_grant(&token.grant.grant_id).await?;
                tracing::warn!(client_id = %client.client_id, "refresh token reused; its family is revoked");
                return Err(OAuthError::invalid_grant("the refresh token has already been used; the grant is revoked"));
            }
            token
        }
        RefreshUse::Unknown => return Err(invalid()),
    };

    let offline = token.grant.scopes.iter().any(|s| s == scopes::OFFLINE_ACCESS);
    if let (Some(sid), false) = (&token.grant.sid, offline)
        && provider.stores.sessions.get_by_sid(sid, now).await?.is_none()
    {
        provider.stores.tokens.revoke_grant(&token.grant.grant_id).await?;
        return Err(OAuthError::invalid_grant("the session this refresh token belongs to has ended"));
    }

    let mut access_grant = token.grant.clone();
    access_grant.scopes = narrowed;
    let (access_token, expires_in, refresh_token) =
        tokens::access_and_refresh_token(provider, &access_grant, &token.grant).await?;
    let id_token = if access_grant.scopes.iter().any(|s| s == "openid") && access_grant.authn.is_some() {
        let input = IdTokenInput { access_token: Some(&access_token), code: None, scope_claims: false, nonce: false };
        Some(tokens::id_token(provider, client, &access_grant, input).await?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token: Some(refresh_token),
        id_token,
        scope: scopes::join(&access_grant.scopes),
    })
}
