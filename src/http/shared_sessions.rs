//! Single sign-on across the faces that share sessions (`Persona::shares_sessions`): a browser
//! signed in at one of them is known at the others. A face without a session of its own adopts
//! a sibling's live one — the same person and authentication (`auth_time`, `acr`, `amr`) in a
//! session of the face's own, with its own cookie, `sid` and relying parties, so no record or
//! token crosses faces. Ending a session ends the browser's sessions at the siblings too, and a
//! login as another person ends the previous person's sessions there.

use axum::http::{HeaderMap, HeaderValue};

use super::cookies;
use super::page_context::PageContext;
use crate::model::Session;
use crate::oidc::{OAuthError, Provider, logout};

/// The session this browser has at a sibling face, adopted by `provider`'s face: the new
/// session and the cookie that carries it. `None` when the face does not share or the browser
/// is signed in at no sibling.
pub(crate) async fn adopt(
    provider: &Provider,
    ctx: &PageContext,
    headers: &HeaderMap,
) -> Result<Option<(Session, Option<HeaderValue>)>, OAuthError> {
    for sibling in provider.siblings.iter() {
        let jar = PageContext::new(sibling, headers, None).jar;
        let cookie = jar.get(headers, cookies::SESSION);
        let Some(theirs) = sibling.sessions().current(cookie.as_deref()).await? else { continue };
        let (value, mine) = provider.sessions().start(theirs.authn.clone(), None).await?;
        tracing::debug!(
            from = sibling.persona.face.as_deref().unwrap_or("primary"),
            "adopted a sibling face's session"
        );
        let set = ctx.jar.set(cookies::SESSION, &value, provider.config.tokens.session_ttl);
        return Ok(Some((mine, set)));
    }
    Ok(None)
}

/// Ends this browser's sessions at the sibling faces (each tells its own relying parties), and
/// returns the cookies that clear them.
pub(crate) async fn end_at_siblings(provider: &Provider, headers: &HeaderMap) -> Result<Vec<HeaderValue>, OAuthError> {
    end_at_siblings_unless(provider, headers, None).await
}

/// After `user_id` has logged in at `provider`'s face: ends this browser's sessions of another
/// person at the sibling faces, so the faces that share sign-on know one person per browser
/// (the next visit to a sibling adopts the new login). Returns the cookies that clear them.
pub(crate) async fn end_others_at_siblings(
    provider: &Provider,
    headers: &HeaderMap,
    user_id: &str,
) -> Result<Vec<HeaderValue>, OAuthError> {
    end_at_siblings_unless(provider, headers, Some(user_id)).await
}

/// Ends the browser's sessions at the siblings, except those of `keep` (a user id).
async fn end_at_siblings_unless(
    provider: &Provider,
    headers: &HeaderMap,
    keep: Option<&str>,
) -> Result<Vec<HeaderValue>, OAuthError> {
    let mut cleared = Vec::new();
    for sibling in provider.siblings.iter() {
        let jar = PageContext::new(sibling, headers, None).jar;
        let cookie = jar.get(headers, cookies::SESSION);
        let session = sibling.sessions().current(cookie.as_deref()).await?;
        if session.as_ref().is_some_and(|s| Some(s.authn.user_id.as_str()) == keep) {
            continue;
        }
        if let Some(session) = session {
            logout::end_session(sibling, &session).await?;
        }
        if cookie.is_some() {
            cleared.extend(jar.clear(cookies::SESSION));
        }
    }
    Ok(cleared)
}
