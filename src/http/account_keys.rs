//! The signed-in citizen's security keys (`/account/keys`): the list, registering a key
//! (`navigator.credentials.create` with the server's options, the answer posted back) and
//! removing one. Needs the browser's SSO session; every form carries a CSRF token.
//!
//! Each page view starts a registration ceremony, kept in the expiring store as an interaction
//! record (no authorization request in it: it cannot serve as a login) bound to this browser and
//! to the session's `sid`; its CSRF token guards the page's forms.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::cookies;
use super::error::HttpError;
use super::form::PageForm;
use super::key_pages::{AccountKeysPage, AccountMessage, KeyRow};
use super::page_context::PageContext;
use super::security;
use crate::authn::Authn;
use crate::authn::webauthn::{CEREMONY_TTL, KeyError, RegistrationRefusal};
use crate::model::{Interaction, Session, User};
use crate::oidc::{OAuthError, Provider};
use crate::secret;

#[derive(Deserialize)]
pub struct KeysForm {
    #[serde(default)]
    pub ceremony: String,
    #[serde(default)]
    pub csrf: String,
    /// `add` or `remove`.
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub name: String,
    /// The browser's answer to the registration, as JSON.
    #[serde(default)]
    pub credential: String,
    /// The key to remove.
    #[serde(default)]
    pub credential_id: String,
}

pub async fn show(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    page(&provider, &authn, &ctx, &headers, None).await
}

pub async fn submit(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    headers: HeaderMap,
    PageForm(form): PageForm<KeysForm>,
) -> Result<Response, HttpError> {
    let Some((session, _user)) = signed_in(&provider, &authn, &ctx, &headers).await? else {
        return page(&provider, &authn, &ctx, &headers, None).await;
    };
    let now = provider.now();
    let ceremony = provider
        .stores
        .interactions
        .get(&form.ceremony, now)
        .await
        .map_err(HttpError::page)?
        .filter(|c| c.pending.is_none() && c.sid.as_deref() == Some(session.sid.as_str()));
    let browser = ctx.jar.get(&headers, cookies::BROWSER).map(|b| secret::digest(&b));
    let Some(ceremony) = ceremony.filter(|c| {
        browser.as_deref().is_some_and(|b| secret::constant_time_eq(b, &c.browser))
            && !form.csrf.is_empty()
            && secret::constant_time_eq(&form.csrf, &c.csrf)
    }) else {
        return page(&provider, &authn, &ctx, &headers, Some(AccountMessage::FormOutdated)).await;
    };
    provider.stores.interactions.delete(&ceremony.id).await.map_err(HttpError::page)?;
    let keys = authn.security_keys(&provider.persona.base_url, &provider.config.webauthn);
    let user_id = &session.authn.user_id;
    let message = match form.action.as_str() {
        "remove" => match keys.remove(user_id, &form.credential_id).await {
            Ok(_) => AccountMessage::Removed,
            Err(e) => return Err(failed(e)),
        },
        _ => {
            let Some(registration) = ceremony.key.filter(|k| &k.user_id == user_id) else {
                return page(&provider, &authn, &ctx, &headers, Some(AccountMessage::FormOutdated)).await;
            };
            match keys.finish_registration(&registration, &form.credential, &form.name, now).await {
                Ok(Ok(_)) => AccountMessage::Added,
                Ok(Err(RegistrationRefusal::AlreadyRegistered)) => AccountMessage::Already,
                Ok(Err(RegistrationRefusal::Cancelled)) => AccountMessage::Cancelled,
                Ok(Err(RegistrationRefusal::NotVerified)) => AccountMessage::NotVerified,
                Ok(Err(RegistrationRefusal::Expired)) => AccountMessage::Expired,
                Err(e) => return Err(failed(e)),
            }
        }
    };
    page(&provider, &authn, &ctx, &headers, Some(message)).await
}

/// The browser's live SSO session and its account, if any (also the consents page's).
pub(super) async fn signed_in(
    provider: &Provider,
    authn: &Authn,
    ctx: &PageContext,
    headers: &HeaderMap,
) -> Result<Option<(Session, User)>, HttpError> {
    let cookie = ctx.jar.get(headers, cookies::SESSION);
    let Some(session) = provider.sessions().current(cookie.as_deref()).await.map_err(HttpError::page)? else {
        return Ok(None);
    };
    let user = authn.users.get(&session.authn.user_id).await.map_err(HttpError::page)?;
    Ok(user.filter(|u| !u.disabled).map(|u| (session, u)))
}

/// The page: for a signed-in citizen their keys and a new registration ceremony; otherwise
/// what to do first.
async fn page(
    provider: &Provider,
    authn: &Authn,
    ctx: &PageContext,
    headers: &HeaderMap,
    message: Option<AccountMessage>,
) -> Result<Response, HttpError> {
    let nonce = secret::random_token(16);
    let mut view = AccountKeysPage {
        locale: ctx.locale,
        base: ctx.base.clone(),
        action: ctx.url(provider.persona.paths.account_keys),
        ceremony: None,
        csrf: String::new(),
        options: String::new(),
        nonce: nonce.clone(),
        username: String::new(),
        keys: Vec::new(),
        message,
    };
    let Some((session, user)) = signed_in(provider, authn, ctx, headers).await? else {
        return Ok(security::page(StatusCode::UNAUTHORIZED, view.render(), Some(&nonce)));
    };
    if !crate::authn::webauthn::usable(&provider.persona.base_url) {
        return Err(ctx.error(OAuthError::invalid_request(
            "security keys need this service's issuer on a host name: a browser refuses WebAuthn on an IP address",
        )));
    }
    let now = provider.now();
    let keys = authn.security_keys(&provider.persona.base_url, &provider.config.webauthn);
    let registration = keys.start_registration(&user, now).await.map_err(failed)?;
    let (browser, new_cookie) = match ctx.jar.get(headers, cookies::BROWSER).filter(|v| v.len() >= 32) {
        Some(value) => (value, false),
        None => (secret::random_token(32), true),
    };
    let ceremony = Interaction {
        face: provider.persona.face.clone(),
        id: secret::random_token(24),
        pending: None,
        csrf: secret::random_token(24),
        browser: secret::digest(&browser),
        authn: None,
        sid: Some(session.sid.clone()),
        failures: 0,
        sms: None,
        card: None,
        bank: None,
        mojeid: None,
        key: Some(registration.clone()),
        meg: None,
        created_at: now,
        expires_at: now + CEREMONY_TTL,
    };
    provider.stores.interactions.put(&ceremony).await.map_err(HttpError::page)?;
    view.keys = keys
        .of_user(&user.id)
        .await
        .map_err(failed)?
        .into_iter()
        .map(|k| KeyRow {
            certified: k.aaguid.as_deref().is_some_and(|a| provider.config.webauthn.certified(a)),
            credential_id: k.credential_id,
            name: k.name,
            aaguid: k.aaguid,
            added: minute(k.created_at),
            last_used: k.last_used_at.map(minute),
        })
        .collect();
    view.ceremony = Some(ceremony.id);
    view.csrf = ceremony.csrf;
    view.options = registration.options.to_string();
    view.username = user.username;
    let status = match message {
        None | Some(AccountMessage::Added | AccountMessage::Removed | AccountMessage::Cancelled) => StatusCode::OK,
        Some(AccountMessage::Already) => StatusCode::CONFLICT,
        Some(AccountMessage::NotVerified | AccountMessage::Expired | AccountMessage::FormOutdated) => {
            StatusCode::BAD_REQUEST
        }
    };
    let mut response = security::page(status, view.render(), Some(&nonce));
    if new_cookie && let Some(cookie) = ctx.jar.set(cookies::BROWSER, &browser, 365 * 24 * 3600) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// The token of the account page `page`'s forms: bound to the SSO session, unforgeable without
/// the server's secret salt.
pub(super) fn session_csrf(provider: &Provider, session: &Session, page: &str) -> String {
    secret::digest(&format!("{page}\u{0}{}\u{0}{}", session.sid, provider.pairwise_salt))
}

/// Whether `given` is [`session_csrf`]'s token.
pub(super) fn session_csrf_ok(provider: &Provider, session: &Session, page: &str, given: &str) -> bool {
    !given.is_empty() && secret::constant_time_eq(given, &session_csrf(provider, session, page))
}

/// A time as the account pages show it: `2026-12-05 08:30 UTC`.
pub(super) fn minute(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .map(|d| format!("{} {:02}:{:02} UTC", d.date(), d.hour(), d.minute()))
        .unwrap_or_default()
}

fn failed(error: KeyError) -> HttpError {
    if let KeyError::Store(e) = &error {
        crate::metrics::store_error(e);
    }
    tracing::error!(error = %error, "the security keys page failed");
    HttpError::page(OAuthError::server_error())
}
