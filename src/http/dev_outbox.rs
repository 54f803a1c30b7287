//! `GET /dev/outbox` in dev mode only: the newest messages the notifier put in the outbox, as
//! JSON (`[{"channel", "to", "subject", "body", "created_at"}]`, newest first), `?to=+420…` for
//! those to one recipient — how a portal developer's script reads the SMS code of a test login.
//! Outside dev mode the route is not mounted (an unknown path, 404, whatever the method), and
//! [`crate::dev::outbox`] would answer nothing all the same.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};

use super::error::HttpError;
use super::{form, security};
use crate::oidc::{OAuthError, Provider};

pub const PATH: &str = "/dev/outbox";

pub async fn list(State(provider): State<Provider>, RawQuery(query): RawQuery) -> Response {
    let to = match form::pairs(query.unwrap_or_default().as_bytes()).and_then(form::unique) {
        Ok(mut params) => params.remove("to"),
        Err(error) => return HttpError::json(error).into_response(),
    };
    match crate::dev::outbox(&provider.config, &provider.stores, to.as_deref()).await {
        Ok(Some(messages)) => {
            let mut response = Json(messages).into_response();
            security::no_store(response.headers_mut());
            response
        }
        Ok(None) => super::not_found(),
        Err(error) => {
            tracing::warn!(%error, "reading the outbox failed");
            HttpError::json(OAuthError::unavailable()).into_response()
        }
    }
}
