//! SAML 2.0 at a face that serves it (`Persona::saml`): the identity provider's metadata, and
//! single sign-on over HTTP-Redirect (GET) and HTTP-POST at one URL, where single logout's
//! messages arrive too (over HTTP-Redirect, `saml_logout.rs`). A request that cannot be
//! trusted gets an error page; a trusted one is answered at its service provider with a
//! response posted by an auto-submitting form.

use std::net::IpAddr;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::client_addr::ClientAddr;
use super::error::HttpError;
use super::i18n::Notice;
use super::interaction;
use super::page_context::PageContext;
use super::pages::FormPostPage;
use super::{cookies, form, security, shared_sessions};
use crate::oidc::quota::{Quota, QuotaError};
use crate::oidc::{ErrorCode, OAuthError, Provider};
use crate::saml::logout::{self, Kind};
use crate::saml::sso::{self, Delivery, Step};
use crate::saml::{Inbound, RequestError, SamlError, metadata};
use crate::secret;

/// The identity provider's signed metadata.
pub async fn metadata(State(provider): State<Provider>) -> Response {
    let (Some(surface), Some(entity_id)) = (provider.persona.saml, provider.persona.saml_entity_id()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let key = match crate::saml::idp_key(&provider) {
        Ok(key) => key,
        Err(error) => return server_error(&error).into_response(),
    };
    match metadata::signed(&entity_id, &provider.persona.base_url, &surface, key) {
        Ok(xml) => {
            let mut response = xml.into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/samlmetadata+xml"));
            response
        }
        Err(error) => server_error(&error).into_response(),
    }
}

/// HTTP-Redirect: the request in the query, exactly as received.
pub async fn sso_get(
    State(provider): State<Provider>,
    ClientAddr(source): ClientAddr,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    match logout::kind(&query) {
        Kind::Authn => handle(&provider, source, &headers, Inbound::Redirect { raw_query: &query }).await,
        Kind::LogoutRequest => super::saml_logout::request(&provider, &headers, &query).await,
        Kind::LogoutResponse => super::saml_logout::response(),
    }
}

/// HTTP-POST: `SAMLRequest` and `RelayState` in a form.
pub async fn sso_post(
    State(provider): State<Provider>,
    ClientAddr(source): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ctx = PageContext::new(&provider, &headers, None);
    let pairs = match form::is_form(&headers).then(|| form::pairs(&body)) {
        Some(Ok(pairs)) => pairs,
        _ => return ctx.notice(Notice::BadRequest, malformed("the body must be a form")).into_response(),
    };
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    if pairs.iter().filter(|(k, _)| k == "SAMLRequest" || k == "RelayState").count()
        > usize::from(field("SAMLRequest").is_some()) + usize::from(field("RelayState").is_some())
    {
        return ctx.notice(Notice::BadRequest, malformed("a parameter is given twice")).into_response();
    }
    let Some(saml_request) = field("SAMLRequest") else {
        return ctx.notice(Notice::BadRequest, malformed("no SAMLRequest")).into_response();
    };
    let inbound = Inbound::Post { saml_request, relay_state: field("RelayState") };
    handle(&provider, source, &headers, inbound).await
}

async fn handle(provider: &Provider, source: IpAddr, headers: &HeaderMap, inbound: Inbound<'_>) -> Response {
    let ctx = PageContext::new(provider, headers, None);
    let (request, sp) = match crate::saml::request::parse(provider, inbound, &source.to_string()).await {
        Ok(parsed) => parsed,
        Err(RequestError::Refused(request, status)) => {
            tracing::info!(sp = %request.sp, status = status.code, sub = status.sub, message = %status.message, "SAML request refused");
            return deliver_or_fail(&ctx, sso::refuse(provider, &request, &status));
        }
        Err(RequestError::Store(error)) => return ctx.error(error).into_response(),
        Err(error) => {
            tracing::info!(%error, "SAML request not served");
            let notice = match error {
                RequestError::UnknownSp(_) => Notice::UnknownClient,
                RequestError::UnknownAcs(_) => Notice::UnregisteredRedirect,
                _ => Notice::BadRequest,
            };
            return ctx.notice(notice, OAuthError::invalid_request(error.to_string())).into_response();
        }
    };
    let cookie = ctx.jar.get(headers, cookies::SESSION);
    let session = match provider.sessions().current(cookie.as_deref()).await {
        Ok(session) => session,
        Err(error) => return ctx.error(error).into_response(),
    };
    // Signed in at a face that shares sessions with this one: known here too.
    let (session, adopted) = match session {
        Some(session) => (Some(session), None),
        None => match shared_sessions::adopt(provider, &ctx, headers).await {
            Ok(Some((session, cookie))) => (Some(session), cookie),
            Ok(None) => (None, None),
            Err(error) => return ctx.error(error).into_response(),
        },
    };
    let response = match sso::decide(provider, &sp, &request, session.as_ref()).await {
        Ok(Step::Respond(delivery)) => deliver(&delivery),
        Ok(Step::Login) => {
            match Quota::interactions(provider).reserve(provider, source).await {
                Ok(()) => {}
                Err(QuotaError::Exceeded { .. }) => {
                    let error = OAuthError::new(ErrorCode::TemporarilyUnavailable, "too many logins in progress");
                    return ctx.error(error).into_response();
                }
                Err(QuotaError::Store(error)) => return ctx.error(error).into_response(),
            }
            let pending = match request.to_pending(&sp) {
                Ok(pending) => pending,
                Err(error) => return server_error(&error).into_response(),
            };
            match interaction::begin(provider, headers, pending, provider.persona.paths.login, None).await {
                Ok(response) => response,
                Err(error) => ctx.error(error).into_response(),
            }
        }
        Err(error) => server_error(&error).into_response(),
    };
    interaction::with_cookie(response, adopted)
}

fn malformed(why: &str) -> OAuthError {
    OAuthError::invalid_request(format!("malformed SAML request: {why}"))
}

/// The page that posts a response to the service provider, or an error page.
pub(crate) fn deliver_or_fail(ctx: &PageContext, delivery: Result<Delivery, SamlError>) -> Response {
    match delivery {
        Ok(delivery) => deliver(&delivery),
        Err(error) => ctx.error(OAuthError::from(&error)).into_response(),
    }
}

/// The auto-submitting form that posts `SAMLResponse` (and `RelayState`) to the ACS.
pub(crate) fn deliver(delivery: &Delivery) -> Response {
    let nonce = secret::random_token(16);
    let mut fields = vec![("SAMLResponse".to_owned(), delivery.saml_response.clone())];
    if let Some(relay_state) = &delivery.relay_state {
        fields.push(("RelayState".to_owned(), relay_state.clone()));
    }
    let page = FormPostPage { action: delivery.acs.clone(), fields, script_nonce: nonce.clone() };
    security::page(StatusCode::OK, page.render(), Some(&nonce))
}

fn server_error(error: &SamlError) -> HttpError {
    HttpError::page(OAuthError::from(error))
}
