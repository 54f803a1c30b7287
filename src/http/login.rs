//! The login page: username and password. The checks and the limits on guessing live in
//! [`crate::authn::login`]; this shows their outcome.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::client_addr::ClientAddr;
use super::cookies;
use super::error::HttpError;
use super::form::{PageForm, PageQuery};
use super::interaction::{self, Loaded, page_error};
use super::pages::{ClientDisplay, LoginError, LoginPage};
use super::{respond, security};
use crate::authn::Authn;
use crate::authn::login::{self, Attempt, Refusal};
use crate::model::Authentication;
use crate::oidc::authorize::AuthorizationResponse;
use crate::oidc::{ErrorCode, OAuthError, Provider, session};

/// Failed attempts after which an interaction must start again.
const MAX_FAILURES: u32 = 5;

/// Which login a page belongs to. A missing id is read as empty, so that a page opened without
/// a pending request says so in the person's language rather than failing to parse.
#[derive(Debug, Deserialize)]
pub struct InteractionQuery {
    #[serde(default)]
    pub interaction: String,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub interaction: String,
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    /// `yes` when the person cancels: the client gets `access_denied`.
    #[serde(default)]
    pub cancel: String,
}

pub async fn show(
    State(provider): State<Provider>,
    headers: HeaderMap,
    PageQuery(query): PageQuery<InteractionQuery>,
) -> Result<Response, HttpError> {
    let loaded = interaction::load(&provider, &headers, &query.interaction, None).await?;
    let username = loaded.request.login_hint.clone().unwrap_or_default();
    Ok(render(&provider, &loaded, username, None))
}

fn render(provider: &Provider, loaded: &Loaded, username: String, error: Option<LoginError>) -> Response {
    let page = LoginPage {
        locale: loaded.locale,
        base: provider.persona.base_path(),
        action: format!("{}{}", provider.persona.base_path(), provider.persona.paths.login),
        interaction: loaded.interaction.id.clone(),
        csrf: loaded.interaction.csrf.clone(),
        username,
        error,
        client_name: loaded.client.client_name.clone().unwrap_or_else(|| loaded.client.client_id.clone()),
        client: ClientDisplay::from(&loaded.client),
    };
    let status = match error {
        None => StatusCode::OK,
        Some(LoginError::TryLater { .. }) => StatusCode::TOO_MANY_REQUESTS,
        Some(_) => StatusCode::UNAUTHORIZED,
    };
    security::page(status, page.render(), None)
}

pub async fn submit(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ClientAddr(source): ClientAddr,
    headers: HeaderMap,
    PageForm(form): PageForm<LoginForm>,
) -> Result<Response, HttpError> {
    let loaded = interaction::load(&provider, &headers, &form.interaction, Some(&form.csrf)).await?;
    let locale = loaded.locale;
    if form.cancel == "yes" {
        return cancel(&provider, loaded).await;
    }
    let attempt = Attempt { username: &form.username, password: &form.password, source, now: provider.now() };
    if loaded.interaction.failures >= MAX_FAILURES {
        let refusal = login::refused(&attempt, Refusal::Exhausted);
        return refuse(&provider, loaded, &attempt, refusal).await;
    }
    let user = match authn.password_login().attempt(attempt).await {
        Ok(Ok(user)) => user,
        Ok(Err(refusal)) => return refuse(&provider, loaded, &attempt, refusal).await,
        Err(e) => {
            if let crate::authn::login::LoginError::Store(e) = &e {
                crate::metrics::store_error(e);
            }
            tracing::error!(error = %e, "checking a login failed");
            return Err(page_error(&provider, locale, OAuthError::server_error()));
        }
    };
    let authn = Authentication {
        user_id: user.id.clone(),
        auth_time: provider.now(),
        acr: provider.persona.password_acr,
        amr: vec!["pwd".to_owned()],
    };
    let jar = interaction::jar(&provider);
    let old_cookie = jar.get(&headers, cookies::SESSION);
    let (cookie, session) = session::start_after_login(&provider, old_cookie.as_deref(), authn.clone())
        .await
        .map_err(|e| page_error(&provider, locale, e))?;
    let set_cookie = jar.set(cookies::SESSION, &cookie, provider.config.tokens.session_ttl);
    let response = interaction::proceed(&provider, loaded, authn, &session, false).await?;
    Ok(interaction::with_cookie(response, set_cookie))
}

/// The person went back to the application instead of signing in: the interaction is over and
/// the client hears `access_denied` (with its `state`) at its redirect URI.
async fn cancel(provider: &Provider, loaded: Loaded) -> Result<Response, HttpError> {
    provider
        .stores
        .interactions
        .delete(&loaded.interaction.id)
        .await
        .map_err(|e| page_error(provider, loaded.locale, e.into()))?;
    let error = OAuthError::new(ErrorCode::AccessDenied, "the person cancelled the sign-in");
    Ok(respond::authorization_response(&AuthorizationResponse::error(
        loaded.request.target(),
        provider.issuer(),
        &error,
    )))
}

/// The login page again, saying why; a failed password counts against the interaction, a wait
/// says when to come back (`Retry-After`).
async fn refuse(
    provider: &Provider,
    mut loaded: Loaded,
    attempt: &Attempt<'_>,
    refusal: Refusal,
) -> Result<Response, HttpError> {
    let error = match refusal {
        Refusal::BadCredentials => {
            loaded.interaction.failures += 1;
            provider
                .stores
                .interactions
                .put(&loaded.interaction)
                .await
                .map_err(|e| page_error(provider, loaded.locale, e.into()))?;
            if loaded.interaction.failures >= MAX_FAILURES {
                LoginError::TooManyAttempts
            } else {
                LoginError::BadCredentials
            }
        }
        Refusal::Exhausted => LoginError::TooManyAttempts,
        Refusal::Throttled { retry_at } | Refusal::Locked { retry_at } => {
            LoginError::TryLater { minutes: (retry_at - attempt.now + 59) / 60 }
        }
    };
    let mut response = render(provider, &loaded, attempt.username.to_owned(), Some(error));
    if let Some(retry_at) = refusal.retry_at()
        && let Ok(value) = HeaderValue::from_str(&(retry_at - attempt.now).max(1).to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Ok(response)
}
