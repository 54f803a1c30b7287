//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) and back-channel logout
//! (OpenID Connect Back-Channel Logout 1.0).
//!
//! A request that names its client with a valid `id_token_hint` for the current person logs out
//! at once. Anything less (no hint, a hint for someone else) asks the person first, so that a
//! third-party page cannot log people out. A `post_logout_redirect_uri` is followed only when it
//! is registered, exactly, for the client the request proves it comes from.

use serde_json::{Map, Value, json};

use crate::model::{Client, Session};
use crate::oidc::Provider;
use crate::oidc::error::OAuthError;
use crate::oidc::{subject, tokens};
use crate::secret;

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub(crate) struct LogoutParams {
    pub(crate) id_token_hint: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) post_logout_redirect_uri: Option<String>,
    pub(crate) state: Option<String>,
    pub(crate) ui_locales: Option<String>,
    pub(crate) logout_hint: Option<String>,
}

impl LogoutParams {
    /// The parameters as (name, value) pairs, to carry through the confirmation form.
    pub(crate) fn pairs(&self) -> Vec<(String, String)> {
        [
            ("id_token_hint", &self.id_token_hint),
            ("client_id", &self.client_id),
            ("post_logout_redirect_uri", &self.post_logout_redirect_uri),
            ("state", &self.state),
            ("ui_locales", &self.ui_locales),
            ("logout_hint", &self.logout_hint),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_owned(), v.clone())))
        .collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LogoutPlan {
    /// Ask the person before logging out.
    pub(crate) confirm: bool,
    /// Where to send the browser afterwards (with `state`), or `None` for the logged-out page.
    pub(crate) redirect: Option<String>,
    pub(crate) client_name: Option<String>,
    /// The `sid` of a valid `id_token_hint`: the session to end when the browser did not send
    /// its cookie (a cross-site POST does not carry `SameSite=Lax` cookies).
    pub(crate) hint_sid: Option<String>,
}

/// Validates a logout request; an error is shown on a page, never redirected.
pub(crate) async fn plan(
    provider: &Provider,
    params: &LogoutParams,
    session: Option<&Session>,
) -> Result<LogoutPlan, OAuthError> {
    let params_client = params.client_id.as_deref().filter(|c| !c.is_empty());
    let mut hint_sub = None;
    let mut hint_sid = None;
    let mut client_id = params_client.map(str::to_owned);
    let quirks = &provider.persona.quirks;
    if let Some(hint) = params.id_token_hint.as_deref().filter(|h| !h.is_empty()) {
        let (aud, sub, sid) = verify_hint(provider, hint).map_err(|e| match quirks.logout_hint_error_202 {
            true => OAuthError::invalid_request(
                "erc=202: Invalid OpenID Connect protocol request (the id_token_hint cannot be read)",
            ),
            false => e,
        })?;
        hint_sid = sid;
        if params_client.is_some_and(|c| c != aud) {
            return Err(OAuthError::invalid_request("client_id differs from the id_token_hint's audience"));
        }
        client_id = Some(aud);
        hint_sub = Some(sub);
    }
    let client = match &client_id {
        Some(id) => Some(
            provider
                .stores
                .clients
                .get(id)
                .await?
                .ok_or_else(|| OAuthError::invalid_request(format!("the client {id} is not known")))?,
        ),
        None => None,
    };
    let redirect = match (params.post_logout_redirect_uri.as_deref().filter(|u| !u.is_empty()), &client) {
        // NIA returns to the portal's registered sign-out URL.
        (None, Some(client)) if quirks.logout_to_registered_url => {
            client.post_logout_redirect_uris.first().map(|uri| with_state(uri, params.state.as_deref()))
        }
        (None, _) => None,
        (Some(_), None) => {
            return Err(OAuthError::invalid_request(
                "post_logout_redirect_uri needs an id_token_hint or client_id that names the client",
            ));
        }
        (Some(uri), Some(client)) => {
            if !client.post_logout_redirect_uris.iter().any(|u| u == uri) {
                return Err(OAuthError::invalid_request("post_logout_redirect_uri is not registered for this client"));
            }
            Some(with_state(uri, params.state.as_deref()))
        }
    };
    let hint_matches_session = match (&hint_sub, &client, session) {
        (Some(sub), Some(client), Some(session)) => *sub == subject::of(provider, client, &session.authn.user_id),
        (Some(_), Some(_), None) => true,
        _ => false,
    };
    // NIA logs out at once on a portal's front-channel request naming it by client_id.
    let named_by_client = quirks.logout_to_registered_url && client.is_some();
    Ok(LogoutPlan {
        confirm: session.is_some() && !hint_matches_session && !named_by_client,
        redirect,
        client_name: client.map(|c| c.client_name.unwrap_or(c.client_id)),
        hint_sid,
    })
}

/// The audience and subject of an ID token this provider signed (expired tokens are fine).
fn verify_hint(provider: &Provider, hint: &str) -> Result<(String, String, Option<String>), OAuthError> {
    let invalid = || OAuthError::invalid_request("id_token_hint is not an ID token issued by this provider");
    let claims = provider.keys.verify(hint).map_err(|_| invalid())?;
    if claims.get("iss").and_then(Value::as_str) != Some(provider.issuer()) {
        return Err(invalid());
    }
    let aud = match claims.get("aud") {
        Some(Value::String(a)) => a.clone(),
        Some(Value::Array(list)) if list.len() == 1 => list[0].as_str().ok_or_else(invalid)?.to_owned(),
        _ => return Err(invalid()),
    };
    let sub = claims.get("sub").and_then(Value::as_str).ok_or_else(invalid)?.to_owned();
    let sid = claims.get("sid").and_then(Value::as_str).map(str::to_owned);
    Ok((aud, sub, sid))
}

fn with_state(uri: &str, state: Option<&str>) -> String {
    match state.filter(|s| !s.is_empty()) {
        None => uri.to_owned(),
        Some(state) => {
            let sep = if uri.contains('?') { '&' } else { '?' };
            let encoded: String =
                url::form_urlencoded::Serializer::new(String::new()).append_pair("state", state).finish();
            format!("{uri}{sep}{encoded}")
        }
    }
}

/// Ends the session: revokes its online tokens, forgets it and tells every client that has a
/// back-channel logout URI (waiting for them, at most a few seconds each).
pub(crate) async fn end_session(provider: &Provider, session: &Session) -> Result<(), OAuthError> {
    // Tokens first: they may live in another backend than the session (the database and Redis),
    // and if either step fails the session is still there for a retry to end. The other way
    // round, a failed revocation would leave live tokens of a session nobody can end any more.
    provider.stores.tokens.revoke_session(&session.sid).await?;
    provider.stores.sessions.delete(&session.key).await?;
    let mut deliveries = tokio::task::JoinSet::new();
    for client_id in session.oidc_clients() {
        let Some(client) = provider.stores.clients.get(client_id).await? else { continue };
        let Some(uri) = client.backchannel_logout_uri.clone() else { continue };
        let token = logout_token(provider, &client, session)?;
        let fetcher = provider.fetcher.clone();
        deliveries.spawn(async move {
            let sent = fetcher.post_form(&uri, &[("logout_token", &token)]).await;
            match sent {
                Ok(status) if (200..300).contains(&status) => {}
                Ok(status) => {
                    tracing::warn!(client_id = %client.client_id, %status, "back-channel logout refused")
                }
                Err(e) => tracing::warn!(client_id = %client.client_id, error = %e, "back-channel logout failed"),
            }
        });
    }
    while deliveries.join_next().await.is_some() {}
    Ok(())
}

pub(crate) const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

fn logout_token(provider: &Provider, client: &Client, session: &Session) -> Result<String, OAuthError> {
    let now = provider.now();
    let claims = json!({
        "iss": provider.issuer(),
        "aud": client.client_id,
        "iat": now,
        "exp": now + 120,
        "jti": secret::random_token(16),
        "sub": subject::of(provider, client, &session.authn.user_id),
        "sid": session.sid,
        "events": { BACKCHANNEL_EVENT: {} },
    });
    let Value::Object(claims) = claims else { return Err(OAuthError::server_error()) };
    let claims: Map<String, Value> = claims;
    tokens::sign(provider, &client.id_token_signed_response_alg, Some("logout+jwt"), &claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_appended_encoded() {
        assert_eq!(with_state("https://rp/out", Some("a b")), "https://rp/out?state=a+b");
        assert_eq!(with_state("https://rp/out?x=1", Some("s")), "https://rp/out?x=1&state=s");
        assert_eq!(with_state("https://rp/out", None), "https://rp/out");
    }
}
