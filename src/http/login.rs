//! The login page: username and password.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::cookies;
use super::error::HttpError;
use super::form::{PageForm, PageQuery};
use super::interaction::{self, Loaded, page_error};
use super::pages::{LoginError, LoginPage};
use super::security;
use crate::authn::password::Verdict;
use crate::oidc::{OAuthError, Provider, session};
use crate::store::Authentication;

/// Failed attempts after which an interaction must start again.
const MAX_FAILURES: u32 = 5;

#[derive(Debug, Deserialize)]
pub struct InteractionQuery {
    pub interaction: String,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub interaction: String,
    pub csrf: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
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
        client: loaded.client.display(),
    };
    let status = if error.is_some() { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
    security::page(status, page.render(), None)
}

pub async fn submit(
    State(provider): State<Provider>,
    headers: HeaderMap,
    PageForm(form): PageForm<LoginForm>,
) -> Result<Response, HttpError> {
    let mut loaded = interaction::load(&provider, &headers, &form.interaction, Some(&form.csrf)).await?;
    let locale = loaded.locale;
    let store_error = |e: crate::store::StoreError| page_error(&provider, locale, e.into());
    if loaded.interaction.failures >= MAX_FAILURES {
        return Ok(render(&provider, &loaded, form.username, Some(LoginError::TooManyAttempts)));
    }
    let user = provider.stores.users.find_by_username(form.username.trim()).await.map_err(store_error)?;
    // Counted per username, known or not, so the lockout does not tell which accounts exist.
    let lockout = Lockout::new(&form.username);
    let locked = lockout.is_locked(&provider).await.map_err(store_error)?;
    // The password is checked even for a locked account: the same work, the same timing.
    let verdict = provider
        .passwords
        .verify(user.as_ref().map(|u| u.password_hash.as_str()), &form.password)
        .await
        .map_err(|_| page_error(&provider, locale, OAuthError::server_error()))?;
    let user = match (user, verdict) {
        (Some(user), Verdict::Valid | Verdict::ValidNeedsRehash) if !user.disabled && !locked => {
            if verdict == Verdict::ValidNeedsRehash {
                rehash(&provider, user.clone(), &form.password).await;
            }
            lockout.reset(&provider).await.map_err(store_error)?;
            user
        }
        _ => {
            loaded.interaction.failures += 1;
            provider.stores.interactions.put(&loaded.interaction).await.map_err(store_error)?;
            let now_locked = lockout.count_failure(&provider).await.map_err(store_error)?;
            tracing::info!(failures = loaded.interaction.failures, locked = now_locked, "login failed");
            let error = if loaded.interaction.failures >= MAX_FAILURES || now_locked {
                LoginError::TooManyAttempts
            } else {
                LoginError::BadCredentials
            };
            return Ok(render(&provider, &loaded, form.username, Some(error)));
        }
    };

    let authn = Authentication {
        user_id: user.id.clone(),
        auth_time: provider.now(),
        acr: provider.persona.password_acr.to_owned(),
        amr: vec!["pwd".to_owned()],
    };
    // A fresh login always gets a fresh cookie (no fixation). The same person keeps the session's
    // sid and clients; another person's session ends, with back-channel logout.
    let mut previous = None;
    if let Some(old) = cookies::get(&headers, cookies::SESSION)
        && let Ok(Some(old)) = session::current(&provider, Some(&old)).await
    {
        if old.authn.user_id == authn.user_id {
            provider.stores.sessions.delete(&old.key).await.map_err(store_error)?;
            previous = Some(old);
        } else if let Err(e) = crate::oidc::logout::end_session(&provider, &old).await {
            tracing::warn!(error = %e, "ending the previous session failed");
        }
    }
    let (cookie, session) = session::start(&provider, authn.clone(), previous.as_ref())
        .await
        .map_err(|e| page_error(&provider, locale, e))?;
    let set_cookie = interaction::jar(&provider).set(cookies::SESSION, &cookie, provider.config.tokens.session_ttl);
    let response = interaction::proceed(&provider, loaded, authn, Some(&session), false).await?;
    Ok(interaction::with_cookie(response, set_cookie))
}

async fn rehash(provider: &Provider, mut user: crate::identity::User, password: &str) {
    match provider.passwords.hash(password).await {
        Ok(hash) => {
            user.password_hash = hash;
            if let Err(e) = provider.stores.users.update(&user).await {
                tracing::warn!(error = %e, "storing the re-hashed password failed");
            }
        }
        Err(e) => tracing::warn!(error = %e, "re-hashing the password failed"),
    }
}

/// Failed logins per username in a fixed window (`password.lockout_*`): past the threshold the
/// account is refused, even with the right password, until the window ends.
struct Lockout {
    key: String,
}

impl Lockout {
    fn new(username: &str) -> Self {
        Self { key: format!("lockout:{}", username.trim().to_lowercase()) }
    }

    async fn is_locked(&self, provider: &Provider) -> Result<bool, crate::store::StoreError> {
        let threshold = provider.config.password.lockout_threshold;
        if threshold == 0 {
            return Ok(false);
        }
        Ok(provider.stores.counters.count(&self.key, provider.now()).await? >= threshold)
    }

    /// Counts a failure; returns whether the account is now locked.
    async fn count_failure(&self, provider: &Provider) -> Result<bool, crate::store::StoreError> {
        let config = &provider.config.password;
        if config.lockout_threshold == 0 {
            return Ok(false);
        }
        let now = provider.now();
        let count = provider.stores.counters.increment(&self.key, now + config.lockout_window, now).await?;
        Ok(count >= config.lockout_threshold)
    }

    async fn reset(&self, provider: &Provider) -> Result<(), crate::store::StoreError> {
        provider.stores.counters.reset(&self.key).await
    }
}
