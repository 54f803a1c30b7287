//! Who calls the admin API: [`Caller`] is the clerk of the back-office session (tower-sessions'
//! [`Session`], which the layer of `super::routes` puts in the request; a write must carry the
//! session's CSRF token in `X-CSRF-Token`) or of an API token (`Authorization:
//! Bearer …`), acting from the client's address. A disabled clerk is no one. The roles are
//! checked by the domain's functions, which take the [`Actor`] only this extractor makes.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use tower_sessions::Session;

use super::error::ApiError;
use super::{COOKIE, CSRF_HEADER};
use crate::authn::backoffice::{self, BackOffice};
use crate::http::AppState;
use crate::http::client_addr::ClientAddr;
use crate::validation::actor::Actor;

/// A clerk calling the API.
pub struct Caller {
    pub actor: Actor,
    /// The session's CSRF token (none with an API token).
    pub csrf: Option<String>,
    /// The back-office session of the request (empty with an API token).
    pub session: Session,
}

/// The back office over the state's services.
pub fn back_office(state: &AppState) -> BackOffice<'_> {
    BackOffice { authn: &state.authn, clerks: &*state.provider.stores.clerks }
}

/// The session cookie's name: with `__Host-` when the primary issuer is https.
pub fn cookie_name(https: bool) -> String {
    if https { format!("__Host-{COOKIE}") } else { COOKIE.to_owned() }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ClientAddr(address) = ClientAddr::from_request_parts(parts, state).await.unwrap_or_else(|e| match e {});
        let origin = address.to_string();
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| ApiError::internal("the back office's session layer is missing"))?;
        let bearer = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if let Some(token) = bearer.and_then(|v| v.strip_prefix("Bearer ")) {
            let actor = backoffice::bearer(&*state.provider.stores.clerks, token.trim(), &origin).await?;
            return actor.map(|actor| Caller { actor, csrf: None, session }).ok_or_else(ApiError::unauthenticated);
        }
        let signed = back_office(state).signed(&session, state.provider.now()).await?;
        let signed = signed.ok_or_else(ApiError::unauthenticated)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD);
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !safe && !crate::secret::constant_time_eq(sent, &signed.csrf) {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "csrf",
                "a write with the session carries its CSRF token in X-CSRF-Token",
            ));
        }
        let actor = Actor::clerk(&signed.clerk, &origin).ok_or_else(ApiError::unauthenticated)?;
        Ok(Caller { actor, csrf: Some(signed.csrf), session })
    }
}
