//! The refresh-token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2):
//! each refresh token works once; presenting a used one again revokes the whole family, since a
//! thief or the client has a stale copy.
//!
//! With `refresh_grace_seconds` set, a reuse within that many seconds of the rotation is taken
//! for a retry (a response lost on the way, two tabs refreshing at once) and answered with the
//! very tokens the rotation issued — recovered from the successor sealed under the old token —
//! never with a second live family. The default is no grace: any reuse revokes.

use super::successor::{self, Successor};
use super::{RefreshRequest, TokenResponse};
use crate::model::{Client, Grant, RefreshToken};
use crate::oidc::Provider;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::scopes;
use crate::oidc::tokens::{self, IdTokenInput};
use crate::secret;
use crate::store::{RefreshUse, Rotation};

pub(crate) async fn exchange(
    provider: &Provider,
    client: &Client,
    request: &RefreshRequest,
) -> Result<TokenResponse, OAuthError> {
    let presented = request.refresh_token.expose();
    let digest = secret::bearer_digest(presented);
    let now = provider.now();
    let stored = provider.stores.tokens.get_refresh(&digest, now).await?.ok_or_else(invalid)?;
    // Checked before the token is used, so another client cannot burn it.
    if stored.grant.client_id != client.client_id {
        return Err(OAuthError::invalid_grant("the refresh token was issued to another client"));
    }
    let narrowed = narrowed_scopes(&stored.grant, request.scope.as_deref())?;
    if stored.used_at.is_some() {
        return reused(provider, client, presented, stored, narrowed).await;
    }

    let offline = stored.grant.scopes.iter().any(|s| s == scopes::OFFLINE_ACCESS);
    if let (Some(sid), false) = (&stored.grant.sid, offline)
        && provider.stores.sessions.get_by_sid(sid, now).await?.is_none()
    {
        provider.stores.tokens.revoke_grant(&stored.grant.grant_id).await?;
        return Err(OAuthError::invalid_grant("the session this refresh token belongs to has ended"));
    }

    let mut access_grant = stored.grant.clone();
    access_grant.scopes = narrowed.clone();
    let (access_token, access) = tokens::new_access(provider, &access_grant);
    let (refresh_token, refresh) = tokens::new_refresh(provider, &stored.grant);
    let next = Successor { refresh_token, access_token };
    let sealed = successor::seal(presented, &next).ok_or_else(OAuthError::server_error)?;
    let rotation = Rotation { access, refresh, successor: sealed };
    match provider.stores.tokens.rotate_refresh(&digest, now, &rotation).await? {
        RefreshUse::Fresh(_) => {
            let expires_in = provider.config.tokens.access_token_ttl;
            respond(provider, client, next, expires_in, &access_grant).await
        }
        // Another request rotated it first.
        RefreshUse::Reused(token) => reused(provider, client, presented, token, narrowed).await,
        RefreshUse::Unknown => Err(invalid()),
    }
}

fn invalid() -> OAuthError {
    OAuthError::invalid_grant("the refresh token is invalid, expired or revoked")
}

/// The scopes asked for, which may narrow but not widen the grant's.
fn narrowed_scopes(grant: &Grant, requested: Option<&[String]>) -> Result<Vec<String>, OAuthError> {
    let Some(requested) = requested else {
        return Ok(grant.scopes.clone());
    };
    if let Some(extra) = requested.iter().find(|s| !grant.scopes.contains(s)) {
        return Err(OAuthError::new(ErrorCode::InvalidScope, format!("scope {extra} was not granted originally")));
    }
    Ok(requested.to_vec())
}

/// A used refresh token presented again: within the grace window, the retry gets what the
/// rotation issued; otherwise (or when that cannot be had) the family is revoked.
async fn reused(
    provider: &Provider,
    client: &Client,
    presented: &str,
    token: RefreshToken,
    narrowed: Vec<String>,
) -> Result<TokenResponse, OAuthError> {
    let now = provider.now();
    let grace = provider.config.tokens.refresh_grace_seconds;
    let within_grace = token.used_at.is_some_and(|used_at| now < used_at.saturating_add(grace));
    if within_grace && let Some(response) = retry(provider, client, presented, &token, narrowed).await? {
        tracing::debug!(client_id = %client.client_id, "refresh retried within the grace window; same tokens");
        return Ok(response);
    }
    provider.stores.tokens.revoke_grant(&token.grant.grant_id).await?;
    tracing::warn!(client_id = %client.client_id, "refresh token reused; its family is revoked");
    Err(OAuthError::invalid_grant("the refresh token has already been used; the grant is revoked"))
}

/// The answer the rotation of `token` gave: the same refresh token, while it is still unused, and
/// the same access token, or a new one of the same grant when that one has gone.
async fn retry(
    provider: &Provider,
    client: &Client,
    presented: &str,
    token: &RefreshToken,
    narrowed: Vec<String>,
) -> Result<Option<TokenResponse>, OAuthError> {
    let now = provider.now();
    let stores = &provider.stores;
    let Some(next) = token.successor.as_deref().and_then(|sealed| successor::open(presented, sealed)) else {
        return Ok(None);
    };
    // Once the successor has been used itself, the client has moved on: this is a stale copy.
    let next_refresh = stores.tokens.get_refresh(&secret::bearer_digest(&next.refresh_token), now).await?;
    if next_refresh.is_none_or(|t| t.used_at.is_some()) {
        return Ok(None);
    }
    let (next, expires_in, grant) =
        match stores.tokens.get_access(&secret::bearer_digest(&next.access_token), now).await? {
            Some(access) => (next, access.expires_at - now, access.grant),
            None => {
                let mut grant = token.grant.clone();
                grant.scopes = narrowed;
                let (access_token, expires_in) = tokens::access_token(provider, &grant).await?;
                (Successor { access_token, ..next }, expires_in, grant)
            }
        };
    respond(provider, client, next, expires_in, &grant).await.map(Some)
}

async fn respond(
    provider: &Provider,
    client: &Client,
    issued: Successor,
    expires_in: i64,
    grant: &Grant,
) -> Result<TokenResponse, OAuthError> {
    // An account disabled or removed since the grant was made ends it, whatever the scope; looked
    // at after the rotation stored the new tokens, so a disable racing it revokes them.
    if !super::authorization_code::person_active(provider, grant).await? {
        provider.stores.tokens.revoke_grant(&grant.grant_id).await?;
        return Err(OAuthError::invalid_grant("the account no longer exists or is disabled"));
    }
    let id_token = if grant.scopes.iter().any(|s| s == "openid") && grant.authn.is_some() {
        let input =
            IdTokenInput { access_token: Some(&issued.access_token), code: None, scope_claims: false, nonce: false };
        Some(tokens::id_token(provider, client, grant, input).await?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token: issued.access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token: Some(issued.refresh_token),
        id_token,
        scope: scopes::join(&grant.scopes),
    })
}
