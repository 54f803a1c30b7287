//! The login interaction across pages: starting one (with the browser binding), loading it back
//! with its CSRF check, and finishing it with the client's response.
//!
//! Once past login an interaction belongs to the SSO session that authenticated it (its `sid`):
//! every later step (consent, account selection) goes on only while that session lives in this
//! browser, so a page left open cannot be completed after the person has signed out.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

use super::cookies;
use super::error::HttpError;
use super::i18n::Notice;
use super::page_context::PageContext;
use super::respond;
use crate::authn::flow::{FlowError, Refusal};
use crate::model::interaction::{LoginRequest, PendingRequest, Protocol};
use crate::model::{Authentication, Client, Interaction, ServiceProvider, Session};
use crate::oidc::authorize::{self, AuthorizationRequest, Decision};
use crate::oidc::{ErrorCode, OAuthError, Provider, logout};
use crate::saml::SamlRequest;
use crate::saml::sso as saml_sso;
use crate::secret;

/// One year: the browser binding outlives sessions, it only ties forms to a browser.
const BROWSER_COOKIE_AGE: i64 = 365 * 24 * 3600;

/// Starts an interaction for `request` and sends the browser to the page for `decision`; with
/// the live `session` of the person when the decision needs no login (consent, account choice).
pub async fn start(
    provider: &Provider,
    headers: &HeaderMap,
    request: &AuthorizationRequest,
    decision: &Decision,
    session: Option<&Session>,
) -> Result<Response, OAuthError> {
    let paths = &provider.persona.paths;
    let page = match decision {
        Decision::Consent => paths.consent,
        Decision::SelectAccount => paths.select_account,
        _ => paths.login,
    };
    begin(provider, headers, request.to_pending()?, page, session).await
}

/// Starts an interaction for a protocol's `pending` request and sends the browser to the page
/// at `page` (a path of the persona's); with the live `session` when no login is needed.
pub async fn begin(
    provider: &Provider,
    headers: &HeaderMap,
    pending: PendingRequest,
    page: &str,
    session: Option<&Session>,
) -> Result<Response, OAuthError> {
    let jar = PageContext::new(provider, headers, None).jar;
    let (browser, new_cookie) = match jar.get(headers, cookies::BROWSER).filter(|v| v.len() >= 32 && v.len() <= 128) {
        Some(value) => (value, false),
        None => (secret::random_token(32), true),
    };
    let interaction = provider.logins().begin(pending, &browser, session).await?;
    let url = format!("{}{}?interaction={}", provider.persona.base_path(), page, interaction.id);
    let mut response = respond::redirect(&url);
    if new_cookie && let Some(cookie) = jar.set(cookies::BROWSER, &browser, BROWSER_COOKIE_AGE) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

pub fn page_url(provider: &Provider, decision: &Decision, id: &str) -> String {
    let paths = &provider.persona.paths;
    let path = match decision {
        Decision::Consent => paths.consent,
        Decision::SelectAccount => paths.select_account,
        _ => paths.login,
    };
    format!("{}{}?interaction={}", provider.persona.base_path(), path, id)
}

/// A loaded interaction: what its login needs, the protocol's request waiting for it, and the
/// relying party.
pub struct Loaded {
    pub interaction: Interaction,
    /// What the login pages need of the request, whichever protocol asked.
    pub login: LoginRequest,
    pub pending: Pending,
    pub client: Client,
    /// The login's pages: in the language it asked for (`ui_locales`), else the browser's.
    pub page: PageContext,
}

/// The request waiting for a login, as its protocol reads it back: the one place that knows
/// which protocol resumes (or refuses) it.
pub enum Pending {
    Oidc(Box<AuthorizationRequest>),
    /// A SAML request, and its service provider as registered.
    Saml(Box<SamlRequest>, Box<ServiceProvider>),
}

/// Loads an interaction for a page. `csrf` is checked when given (form posts).
pub async fn load(provider: &Provider, headers: &HeaderMap, id: &str, csrf: Option<&str>) -> Result<Loaded, HttpError> {
    let jar = PageContext::new(provider, headers, None).jar;
    let browser = jar.get(headers, cookies::BROWSER);
    let (interaction, pending) = match provider.logins().resume(id, browser.as_deref(), csrf).await {
        Ok(resumed) => resumed,
        Err(FlowError::Store(e)) => return Err(HttpError::page(e)),
        Err(FlowError::Refused(refusal)) => return Err(refused(provider, refusal).await),
    };
    // A record from before typed requests is no login any more.
    let page = PageContext::new(provider, headers, pending.login.ui_locales.as_deref());
    let (request, client) = match pending.protocol {
        Protocol::Oidc => {
            let Some(request) = AuthorizationRequest::from_pending(&pending) else {
                return Err(refused(provider, Refusal::Expired).await);
            };
            let client = provider.stores.clients.get(&pending.login.client_id).await.map_err(|e| page.error(e))?;
            let client =
                client.ok_or_else(|| page.error(OAuthError::invalid_request("the client no longer exists")))?;
            (Pending::Oidc(Box::new(request)), client)
        }
        Protocol::Saml => {
            let Some(request) = SamlRequest::from_pending(&pending) else {
                return Err(refused(provider, Refusal::Expired).await);
            };
            let face = provider.persona.face.as_deref();
            let sp = provider.stores.saml_sps.get(face, &request.sp).await.map_err(|e| page.error(e))?;
            let sp = sp.ok_or_else(|| {
                page.error(OAuthError::invalid_request("the service provider is no longer registered"))
            })?;
            let client = saml_sso::client_view(&sp);
            (Pending::Saml(Box::new(request), Box::new(sp)), client)
        }
    };
    Ok(Loaded { interaction, login: pending.login, pending: request, client, page })
}

/// The page for a login that cannot go on, in the browser's language (the login's own is not
/// trusted before its checks pass), with the way back to its client's website when known.
async fn refused(provider: &Provider, refusal: Refusal) -> HttpError {
    let (notice, error, client_id) = match refusal {
        Refusal::Expired => (
            Notice::LoginExpired,
            OAuthError::invalid_request(
                "this login has expired, was already completed or does not exist; return to the application and start again",
            ),
            None,
        ),
        Refusal::OtherBrowser { client_id } => (
            Notice::OtherBrowser,
            OAuthError::new(
                ErrorCode::AccessDenied,
                "this login was started in another browser; start again from the application",
            ),
            Some(client_id),
        ),
        Refusal::FormOutdated { client_id } => (
            Notice::FormOutdated,
            OAuthError::new(
                ErrorCode::AccessDenied,
                "the form is out of date (CSRF check failed); start again from the application",
            ),
            Some(client_id),
        ),
        Refusal::NotLoggedIn => (
            Notice::NotLoggedIn,
            OAuthError::invalid_request("you are not logged in; start again from the application"),
            None,
        ),
        Refusal::SessionEnded => (
            Notice::SessionEnded,
            OAuthError::new(
                ErrorCode::LoginRequired,
                "the session this login belongs to has ended (signed out or expired); start again from the application",
            ),
            None,
        ),
    };
    let page = HttpError::notice(notice, error);
    let client = match client_id {
        Some(id) => provider.stores.clients.get(&id).await.ok().flatten(),
        None => None,
    };
    match client {
        Some(client) => page.back_to(&client),
        None => page,
    }
}

impl Loaded {
    /// An error page for this login: in its language, with the way back to its client's website.
    pub fn error(&self, error: impl Into<OAuthError>) -> HttpError {
        self.page.error(error).back_to(&self.client)
    }
}

/// The person of an interaction past login, and the live session it belongs to: refused (and
/// the interaction forgotten) once that session has ended — signed out, expired, or replaced by
/// another person's login in this browser.
pub async fn person(
    provider: &Provider,
    headers: &HeaderMap,
    loaded: &Loaded,
) -> Result<(Authentication, Session), HttpError> {
    let cookie = loaded.page.jar.get(headers, cookies::SESSION);
    let current = provider.sessions().current(cookie.as_deref()).await.map_err(|e| loaded.error(e))?;
    match provider.logins().person(&loaded.interaction, current).await {
        Ok(person) => Ok(person),
        Err(FlowError::Store(e)) => Err(loaded.error(e)),
        // In the login's language, and back to its client.
        Err(FlowError::Refused(refusal)) => match refused(provider, refusal).await {
            HttpError::Page(page) => Err(HttpError::Page(page).in_locale(loaded.page.locale).back_to(&loaded.client)),
            other => Err(other),
        },
    }
}

/// Stores the interaction of a page as it now is (a failure counted, a means' state changed).
pub async fn save(provider: &Provider, loaded: &Loaded) -> Result<(), HttpError> {
    provider.stores.interactions.put(&loaded.interaction).await.map_err(|e| loaded.error(e))
}

/// Goes on after the person has authenticated in this interaction: the browser's SSO session
/// starts (or, for the same person, is upgraded and keeps its `sid`; another person's sessions
/// here and at the faces sharing sign-on end), then the request goes on with the session's
/// authentication.
pub async fn finish_login(
    provider: &Provider,
    headers: &HeaderMap,
    mut loaded: Loaded,
    authn: Authentication,
) -> Result<Response, HttpError> {
    let jar = loaded.page.jar.clone();
    let old_cookie = jar.get(headers, cookies::SESSION);
    // Another person's session in this browser ends with back-channel logout to its clients.
    let (cookie, session) = provider
        .sessions()
        .start_after_login(old_cookie.as_deref(), authn, async |old| logout::end_session(provider, old).await)
        .await
        .map_err(|e| loaded.error(e))?;
    let set_cookie = jar.set(cookies::SESSION, &cookie, provider.config.tokens.session_ttl);
    let cleared = super::shared_sessions::end_others_at_siblings(provider, headers, &session.authn.user_id)
        .await
        .map_err(|e| loaded.error(e))?;
    loaded.interaction.sms = None;
    loaded.interaction.key = None;
    let authn = session.authn.clone();
    let response = proceed(provider, loaded, authn, &session, false).await?;
    Ok(cleared.into_iter().map(Some).fold(with_cookie(response, set_cookie), with_cookie))
}

/// Goes on after the person is known (or has consented): to the next page, or back to the client.
pub async fn proceed(
    provider: &Provider,
    loaded: Loaded,
    authn: Authentication,
    session: &Session,
    consent_given: bool,
) -> Result<Response, HttpError> {
    let Loaded { mut interaction, pending, client, page, .. } = loaded;
    let request = match pending {
        Pending::Oidc(request) => request,
        Pending::Saml(request, sp) => {
            let delivery = saml_sso::after_login(provider, &sp, &request, &authn, session).await;
            provider.stores.interactions.delete(&interaction.id).await.map_err(|e| page.error(e))?;
            return Ok(super::saml::deliver_or_fail(&page, delivery));
        }
    };
    let decision = authorize::after_login(provider, &client, &request, &authn, Some(session), consent_given).await;
    match decision {
        Decision::Respond(response) => {
            provider.stores.interactions.delete(&interaction.id).await.map_err(|e| page.error(e))?;
            Ok(respond::authorization_response(&response))
        }
        next => {
            interaction.authn = Some(authn);
            interaction.sid = Some(session.sid.clone());
            provider.stores.interactions.put(&interaction).await.map_err(|e| page.error(e))?;
            Ok(respond::redirect(&page_url(provider, &next, &interaction.id)))
        }
    }
}

/// Ends the interaction with a refusal (the person cancelled, or denied consent): the protocol
/// waiting for it answers its relying party with `error` (OIDC: at the redirect URI, with `state`).
pub async fn refuse(provider: &Provider, loaded: Loaded, error: OAuthError) -> Result<Response, HttpError> {
    provider.stores.interactions.delete(&loaded.interaction.id).await.map_err(|e| loaded.error(e))?;
    match loaded.pending {
        Pending::Oidc(request) => Ok(respond::authorization_response(&request.refused(provider, &error))),
        Pending::Saml(request, sp) => {
            let status = crate::saml::Status::responder(Some(crate::saml::Status::AUTHN_FAILED), &error.description);
            Ok(super::saml::deliver_or_fail(&loaded.page, saml_sso::fail(provider, &sp, &request, &status)))
        }
    }
}

/// Adds a `Set-Cookie` header to a response.
pub fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
