//! The authorization endpoint, GET and POST (OpenID Connect Core §3.1.2.1).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use std::net::IpAddr;

use axum::http::StatusCode;

use super::client_addr::ClientAddr;
use super::error::HttpError;
use super::form;
use super::i18n::Notice;
use super::interaction;
use super::page_context::PageContext;
use super::respond;
use super::shared_sessions;
use crate::oidc::authorize::{self, AuthorizeError, Decision, PageReason};
use crate::oidc::quota::{Quota, QuotaError};
use crate::oidc::{ErrorCode, OAuthError, Provider};

pub async fn get(
    State(provider): State<Provider>,
    ClientAddr(source): ClientAddr,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs = form::pairs(query.unwrap_or_default().as_bytes());
    handle(&provider, source, &headers, pairs).await
}

pub async fn post(
    State(provider): State<Provider>,
    ClientAddr(source): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !form::is_form(&headers) {
        let error = OAuthError::invalid_request("the request body must be application/x-www-form-urlencoded");
        return HttpError::page(error).into_response();
    }
    handle(&provider, source, &headers, form::pairs(&body)).await
}

async fn handle(
    provider: &Provider,
    source: IpAddr,
    headers: &HeaderMap,
    pairs: Result<Vec<(String, String)>, OAuthError>,
) -> Response {
    let ui_locales =
        pairs.as_ref().ok().and_then(|p| p.iter().find(|(k, _)| k == "ui_locales").map(|(_, v)| v.clone()));
    let client_id = pairs.as_ref().ok().and_then(|p| p.iter().find(|(k, _)| k == "client_id").map(|(_, v)| v.clone()));
    let ctx = PageContext::new(provider, headers, ui_locales.as_deref());
    let pairs = match pairs {
        Ok(pairs) => pairs,
        Err(error) => return ctx.error(error).into_response(),
    };
    let (request, client) = match authorize::parse(provider, pairs).await {
        Ok(parsed) => parsed,
        Err(AuthorizeError::Page(error, reason)) => {
            let notice = match reason {
                PageReason::MissingClient => Notice::MissingClient,
                PageReason::UnknownClient => Notice::UnknownClient,
                PageReason::UntrustedRedirect => Notice::UnregisteredRedirect,
                PageReason::Malformed => Notice::BadRequest,
            };
            let page = ctx.notice(notice, error);
            // A known client's registered website is a safe way back; its redirect URI is not
            // (it may be the very one the request could not be trusted with).
            let client = match (reason, client_id) {
                (PageReason::UntrustedRedirect | PageReason::Malformed, Some(id)) => {
                    provider.stores.clients.get(&id).await.ok().flatten()
                }
                _ => None,
            };
            return match client {
                Some(client) => page.back_to(&client),
                None => page,
            }
            .into_response();
        }
        Err(AuthorizeError::Redirect(error, target)) => {
            return respond::authorization_response(&target.refused(provider, &error));
        }
    };
    let fail = |error: OAuthError| respond::authorization_response(&request.refused(provider, &error));
    let cookie = ctx.jar.get(headers, super::cookies::SESSION);
    let session = match provider.sessions().current(cookie.as_deref()).await {
        Ok(session) => session,
        Err(error) => return fail(error.into()),
    };
    // Signed in at a face that shares sessions with this one: known here too.
    let (session, adopted) = match session {
        Some(session) => (Some(session), None),
        None => match shared_sessions::adopt(provider, &ctx, headers).await {
            Ok(Some((session, cookie))) => (Some(session), cookie),
            Ok(None) => (None, None),
            Err(error) => return fail(error),
        },
    };
    let response = decide(provider, source, headers, &ctx, &request, &client, session.as_ref()).await;
    interaction::with_cookie(response, adopted)
}

/// The answer to a parsed request for the browser's `session`: a response, or a login started.
async fn decide(
    provider: &Provider,
    source: IpAddr,
    headers: &HeaderMap,
    ctx: &PageContext,
    request: &authorize::AuthorizationRequest,
    client: &crate::model::Client,
    session: Option<&crate::model::Session>,
) -> Response {
    let fail = |error: OAuthError| respond::authorization_response(&request.refused(provider, &error));
    match authorize::decide(provider, client, request, session).await {
        Decision::Respond(response) => respond::authorization_response(&response),
        decision => {
            let known = match decision {
                Decision::Consent | Decision::SelectAccount => session,
                _ => None,
            };
            // Each login in progress is stored until it ends or expires: one source may start
            // only so many, counted before anything is stored.
            match Quota::interactions(provider).reserve(provider, source).await {
                Ok(()) => {}
                Err(QuotaError::Exceeded { retry_after }) => return too_many(ctx, retry_after),
                Err(QuotaError::Store(error)) => return fail(error),
            }
            match interaction::start(provider, headers, request, &decision, known).await {
                Ok(response) => response,
                Err(error) => fail(error),
            }
        }
    }
}

/// The page for a source that started too many logins: 429 with `Retry-After` (RFC 6585).
fn too_many(ctx: &PageContext, retry_after: i64) -> Response {
    let error = OAuthError::new(
        ErrorCode::TemporarilyUnavailable,
        format!("too many sign-ins were started from this address; try again in {retry_after} seconds"),
    );
    let page = ctx.notice(Notice::TooManySignIns, error);
    let mut response = page.with_status(StatusCode::TOO_MANY_REQUESTS).into_response();
    response.headers_mut().insert(axum::http::header::RETRY_AFTER, retry_after.into());
    response
}
