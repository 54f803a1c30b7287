//! The end-session endpoint (RP-initiated logout), GET and POST, and its confirmation page.
//!
//! The answer clears the session cookie only when this browser's own session was ended by a
//! request that proves it is wanted: a confirmation with its CSRF token, or a request carrying
//! the session cookie with an `id_token_hint` for the person. A cross-site POST carries no
//! `SameSite=Lax` cookie, so it never clears one: otherwise any page could sign a person out
//! of their browser while the session lived on (or, with a hint of the attacker's own, end
//! the attacker's session and still clear the person's cookie).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::error::HttpError;
use super::i18n::Notice;
use super::interaction;
use super::page_context::PageContext;
use super::pages::{LoggedOutPage, LogoutConfirmPage, LogoutKeptPage};
use super::{cookies, form, respond, security};
use crate::model::Session;
use crate::oidc::logout::{self, LogoutParams};
use crate::oidc::{ErrorCode, OAuthError, Provider};
use crate::secret;

pub async fn get(
    State(provider): State<Provider>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    let pairs = form::pairs(query.unwrap_or_default().as_bytes());
    handle(&provider, &headers, pairs, false).await
}

pub async fn post(State(provider): State<Provider>, headers: HeaderMap, body: Bytes) -> Result<Response, HttpError> {
    handle(&provider, &headers, form::pairs(&body), true).await
}

/// The logout confirmation is bound to the browser: its token derives from the browser cookie.
fn csrf_for(browser: &str) -> String {
    secret::digest(&format!("logout:{browser}"))
}

async fn handle(
    provider: &Provider,
    headers: &HeaderMap,
    pairs: Result<Vec<(String, String)>, OAuthError>,
    posted: bool,
) -> Result<Response, HttpError> {
    let pairs = pairs.map_err(HttpError::page)?;
    let map = form::unique(pairs).map_err(HttpError::page)?;
    let params = LogoutParams {
        id_token_hint: map.get("id_token_hint").cloned(),
        client_id: map.get("client_id").cloned(),
        post_logout_redirect_uri: map.get("post_logout_redirect_uri").cloned(),
        state: map.get("state").cloned(),
        ui_locales: map.get("ui_locales").cloned(),
        logout_hint: map.get("logout_hint").cloned(),
    };
    let ctx = PageContext::new(provider, headers, params.ui_locales.as_deref());
    let jar = &ctx.jar;
    let cookie = jar.get(headers, cookies::SESSION);
    let current = provider.sessions().current(cookie.as_deref()).await.map_err(|e| ctx.error(e))?;
    let plan = match logout::plan(provider, &params, current.as_ref()).await {
        Ok(plan) => plan,
        Err(error) => return Err(with_way_back(provider, ctx.error(error), &params).await),
    };

    let browser = jar.get(headers, cookies::BROWSER).filter(|b| b.len() >= 32);
    let confirmed = posted
        && map.get("logout").map(String::as_str) == Some("yes")
        && browser
            .as_deref()
            .is_some_and(|b| map.get("csrf").is_some_and(|c| secret::constant_time_eq(c, &csrf_for(b))));
    // Cancelling changes nothing, so it needs no CSRF token: back to the client's registered
    // post-logout URI (with its `state`) when the request named a valid one, else a page that
    // says the person is still signed in.
    if posted && map.get("logout").map(String::as_str) == Some("no") {
        return Ok(match plan.redirect {
            Some(url) => respond::redirect(&url),
            None => {
                let page = LogoutKeptPage { locale: ctx.locale, base: ctx.base, client_name: plan.client_name };
                security::page(StatusCode::OK, page.render(), None)
            }
        });
    }
    if plan.confirm && !confirmed {
        if posted && map.contains_key("logout") {
            return Err(ctx.notice(
                Notice::FormOutdated,
                OAuthError::new(ErrorCode::AccessDenied, "the logout form is out of date; try again"),
            ));
        }
        let account = match &current {
            Some(session) => account_name(provider, session).await,
            None => None,
        };
        return Ok(confirm_page(provider, &ctx, &params, plan.client_name, account, browser));
    }
    // Past the confirmation, a session from the cookie is ended only when confirmed or named by
    // the hint (`plan.confirm` is false then), so its cookie may go.
    let clear_cookie = confirmed || current.is_some();
    let session = match (current, &plan.hint_sid) {
        (Some(session), _) => Some(session),
        (None, Some(sid)) => {
            provider.stores.sessions.get_by_sid(sid, provider.now()).await.map_err(|e| ctx.error(e))?
        }
        (None, None) => None,
    };
    if let Some(session) = &session {
        logout::end_session(provider, session).await.map_err(|e| ctx.error(e))?;
    }
    // The faces that share sessions with this one forget this browser too.
    let siblings = match session.is_some() || clear_cookie {
        true => super::shared_sessions::end_at_siblings(provider, headers).await.map_err(|e| ctx.error(e))?,
        false => Vec::new(),
    };
    let response = match plan.redirect {
        Some(url) => respond::redirect(&url),
        None => logged_out_page(&ctx, plan.client_name),
    };
    let response = interaction::with_cookie(response, clear_cookie.then(|| jar.clear(cookies::SESSION)).flatten());
    Ok(siblings.into_iter().fold(response, |response, cookie| interaction::with_cookie(response, Some(cookie))))
}

fn confirm_page(
    provider: &Provider,
    ctx: &PageContext,
    params: &LogoutParams,
    client_name: Option<String>,
    account: Option<String>,
    browser: Option<String>,
) -> Response {
    let (browser, new_cookie) = match browser {
        Some(b) => (b, false),
        None => (secret::random_token(32), true),
    };
    let page = LogoutConfirmPage {
        locale: ctx.locale,
        base: ctx.base.clone(),
        action: ctx.url(provider.persona.paths.end_session),
        csrf: csrf_for(&browser),
        fields: params.pairs(),
        client_name,
        account,
    };
    let response = security::page(StatusCode::OK, page.render(), None);
    let cookie = new_cookie.then(|| ctx.jar.set(cookies::BROWSER, &browser, 365 * 24 * 3600)).flatten();
    interaction::with_cookie(response, cookie)
}

/// A refused logout request that names its client (`client_id`) leads back to the website that
/// client registered, if any; never to the `post_logout_redirect_uri` that may have been refused.
async fn with_way_back(provider: &Provider, error: HttpError, params: &LogoutParams) -> HttpError {
    let Some(id) = params.client_id.as_deref() else { return error };
    match provider.stores.clients.get(id).await {
        Ok(Some(client)) => error.back_to(&client),
        _ => error,
    }
}

/// How the confirmation names the account signed in here: "Jan Novák (jan)", or the username.
/// A failed look-up only leaves the name out: the question stands without it.
async fn account_name(provider: &Provider, session: &Session) -> Option<String> {
    let user = provider.stores.users.get(&session.authn.user_id).await.ok().flatten()?;
    Some(match user.profile.name.filter(|n| !n.trim().is_empty()) {
        Some(name) => format!("{name} ({})", user.username),
        None => user.username,
    })
}

fn logged_out_page(ctx: &PageContext, client_name: Option<String>) -> Response {
    let page = LoggedOutPage { locale: ctx.locale, base: ctx.base.clone(), client_name };
    security::page(StatusCode::OK, page.render(), None)
}
