//! Single sign-on sessions: one per browser, shared by every client, keyed by the digest of a
//! random cookie value. The public `sid` in tokens is a different random value, so a token never
//! reveals the cookie.

use crate::model::{Authentication, Session};
use crate::oidc::Provider;
use crate::oidc::error::OAuthError;
use crate::secret;

/// Starts a session for a fresh authentication; returns the cookie value and the session.
/// A re-authentication of the same person carries over the `previous` session's `sid` and clients.
pub async fn start(
    provider: &Provider,
    authn: Authentication,
    previous: Option<&Session>,
) -> Result<(String, Session), OAuthError> {
    let cookie = secret::random_token(32);
    let now = provider.now();
    let session = Session {
        face: provider.persona.face.clone(),
        key: secret::digest(&cookie),
        sid: previous.map(|p| p.sid.clone()).unwrap_or_else(|| secret::ordered_id(now)),
        authn,
        clients: previous.map(|p| p.clients.clone()).unwrap_or_default(),
        created_at: now,
        expires_at: now + provider.config.tokens.session_ttl,
    };
    provider.stores.sessions.insert(&session).await?;
    Ok((cookie, session))
}

/// Starts the session of a login in a browser that may already hold one (its cookie value
/// `old_cookie`). A fresh login always gets a fresh cookie (no fixation); the same person keeps
/// the old session's `sid` and clients (a step-up also its methods, see
/// [`Authentication::extending`]), another person's session ends, with back-channel logout.
pub async fn start_after_login(
    provider: &Provider,
    old_cookie: Option<&str>,
    mut authn: Authentication,
) -> Result<(String, Session), OAuthError> {
    let mut previous = None;
    if let Ok(Some(old)) = current(provider, old_cookie).await {
        if old.authn.user_id == authn.user_id {
            provider.stores.sessions.delete(&old.key).await?;
            authn = authn.extending(&old.authn);
            previous = Some(old);
        } else if let Err(e) = crate::oidc::logout::end_session(provider, &old).await {
            tracing::warn!(error = %e, "ending the previous session failed");
        }
    }
    start(provider, authn, previous.as_ref()).await
}

/// The live session a cookie value points at, if any.
pub async fn current(provider: &Provider, cookie: Option<&str>) -> Result<Option<Session>, OAuthError> {
    match cookie {
        Some(value) if !value.is_empty() && value.len() <= 128 => {
            Ok(provider.stores.sessions.get(&secret::digest(value), provider.now()).await?)
        }
        _ => Ok(None),
    }
}
