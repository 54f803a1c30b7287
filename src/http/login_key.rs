//! mojeID + WebAuthn's second step: after the password, the page asking for the security key
//! (`navigator.credentials.get` with the server's challenge), and the login's end once the key
//! has answered. The check, the level reached and the limits live in
//! [`crate::authn::webauthn`]; this shows their outcome.
//!
//! The level the key reached is what counts: when the request accepts only high and the key
//! gives substantial, the page says so and nothing is signed in (no silent downgrade).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::error::HttpError;
use super::form::{PageForm, PageQuery};
use super::interaction::{self, Loaded};
use super::key_pages::{KeyLoginPage, KeyMessage};
use super::login::{self, InteractionQuery};
use super::pages::ClientDisplay;
use super::{respond, security};
use crate::authn::Authn;
use crate::authn::loa;
use crate::authn::means::{self, Means};
use crate::authn::webauthn::{KeyError, KeyRefusal, SecurityKeys};
use crate::model::{Authentication, User};
use crate::oidc::{OAuthError, Provider};
use crate::secret;

#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    pub interaction: String,
    #[serde(default)]
    pub csrf: String,
    /// The browser's answer as JSON; empty when no key answered.
    #[serde(default)]
    pub credential: String,
    /// `yes` when the person goes back to the application.
    #[serde(default)]
    pub cancel: String,
    #[serde(default)]
    pub action: String,
}

/// The key page's URL for an interaction.
pub fn url(provider: &Provider, interaction: &str) -> String {
    format!("{}{}?interaction={}", provider.persona.base_path(), provider.persona.paths.login_key, interaction)
}

fn keys<'a>(provider: &'a Provider, authn: &'a Authn) -> SecurityKeys<'a> {
    authn.security_keys(&provider.persona.base_url, &provider.config.webauthn)
}

/// mojeID after the password: a challenge for the account's keys and the key page, or the page
/// saying that the account has no key.
pub async fn start(provider: &Provider, authn: &Authn, mut loaded: Loaded, user: &User) -> Result<Response, HttpError> {
    match keys(provider, authn).start_login(&user.id, provider.now()).await {
        Ok(Some(ceremony)) => {
            loaded.interaction.key = Some(ceremony);
            interaction::save(provider, &loaded).await?;
            Ok(respond::redirect(&url(provider, &loaded.interaction.id)))
        }
        Ok(None) => {
            tracing::info!(user_id = %user.id, "mojeID refused: the account has no security key");
            crate::metrics::login("key_none");
            loaded.interaction.key = None;
            interaction::save(provider, &loaded).await?;
            Ok(render(provider, &loaded, Some(KeyMessage::NoKey)))
        }
        Err(e) => Err(failed(&loaded, e)),
    }
}

pub async fn show(
    State(provider): State<Provider>,
    headers: HeaderMap,
    PageQuery(query): PageQuery<InteractionQuery>,
) -> Result<Response, HttpError> {
    let loaded = interaction::load(&provider, &headers, &query.interaction, None).await?;
    if loaded.interaction.key.is_none() {
        // No password checked in this login (yet, or any more): mojeID starts with it.
        return Ok(respond::redirect(&login::url(&provider, &loaded.interaction.id, Means::Mojeid)));
    }
    Ok(render(&provider, &loaded, None))
}

pub async fn submit(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    headers: HeaderMap,
    PageForm(form): PageForm<KeyForm>,
) -> Result<Response, HttpError> {
    let mut loaded = interaction::load(&provider, &headers, &form.interaction, Some(&form.csrf)).await?;
    if form.cancel == "yes" || form.action == "cancel" {
        return login::cancel(&provider, loaded).await;
    }
    let Some(ceremony) = loaded.interaction.key.clone() else {
        return Ok(respond::redirect(&login::url(&provider, &loaded.interaction.id, Means::Mojeid)));
    };
    let now = provider.now();
    let achieved = match keys(&provider, &authn).finish_login(&ceremony, &form.credential, now).await {
        Ok(Ok(achieved)) => achieved,
        Ok(Err(refusal)) => return refuse(&provider, &authn, loaded, refusal, now).await,
        Err(e) => return Err(failed(&loaded, e)),
    };
    // The account may have been disabled or removed since its password was checked.
    let user = authn.users.get(&ceremony.user_id).await.map_err(|e| loaded.error(e))?;
    if user.is_none_or(|u| u.disabled) {
        loaded.interaction.key = None;
        interaction::save(&provider, &loaded).await?;
        return login::again(&provider, &loaded, Means::Mojeid, super::pages::LoginError::BadCredentials);
    }
    // The level reached is what counts: below what the request accepts, nobody is signed in.
    let plan = loa::plan(&loaded.login.loa, &means::reachable(&provider.persona));
    if !plan.is_ok_and(|plan| plan.accepts(achieved.acr)) {
        tracing::info!(user_id = %ceremony.user_id, acr = ?achieved.acr, "mojeID refused: the key's level is below the request's");
        crate::metrics::login("key_below_level");
        loaded.interaction.key = None;
        interaction::save(&provider, &loaded).await?;
        return Ok(render(&provider, &loaded, Some(KeyMessage::NotCertified)));
    }
    let authentication =
        Authentication { user_id: ceremony.user_id.clone(), auth_time: now, acr: achieved.acr, amr: achieved.amr };
    interaction::finish_login(&provider, &headers, loaded, authentication).await
}

/// The key page again with a fresh challenge, saying why; after too many attempts, the login
/// page with when to come back.
async fn refuse(
    provider: &Provider,
    authn: &Authn,
    mut loaded: Loaded,
    refusal: KeyRefusal,
    now: crate::clock::Timestamp,
) -> Result<Response, HttpError> {
    let message = match refusal {
        KeyRefusal::Cancelled => KeyMessage::Cancelled,
        KeyRefusal::UnknownKey => KeyMessage::UnknownKey,
        KeyRefusal::NotVerified => KeyMessage::NotVerified,
        KeyRefusal::Expired => KeyMessage::Expired,
        KeyRefusal::TooManyAttempts { retry_at } => {
            loaded.interaction.key = None;
            interaction::save(provider, &loaded).await?;
            let mut page = render(provider, &loaded, Some(KeyMessage::TryLater));
            if let Ok(value) = HeaderValue::from_str(&(retry_at - now).max(1).to_string()) {
                page.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return Ok(page);
        }
    };
    let user_id = loaded.interaction.key.as_ref().map(|c| c.user_id.clone()).unwrap_or_default();
    match keys(provider, authn).start_login(&user_id, now).await {
        Ok(fresh) => loaded.interaction.key = fresh,
        Err(e) => return Err(failed(&loaded, e)),
    }
    interaction::save(provider, &loaded).await?;
    Ok(render(provider, &loaded, Some(message)))
}

fn render(provider: &Provider, loaded: &Loaded, message: Option<KeyMessage>) -> Response {
    let nonce = secret::random_token(16);
    let base = loaded.page.base.clone();
    let page = KeyLoginPage {
        locale: loaded.page.locale,
        base: base.clone(),
        action: format!("{base}{}", provider.persona.paths.login_key),
        interaction: loaded.interaction.id.clone(),
        csrf: loaded.interaction.csrf.clone(),
        options: loaded.interaction.key.as_ref().map(|c| c.options.to_string()),
        nonce: nonce.clone(),
        message,
        other_means: login::url(provider, &loaded.interaction.id, Means::Mojeid),
        manage_keys: format!("{base}{}", provider.persona.paths.account_keys),
        client_name: loaded.client.client_name.clone().unwrap_or_else(|| loaded.client.client_id.clone()),
        client: ClientDisplay::from(&loaded.client),
    };
    let status = match message {
        None | Some(KeyMessage::Cancelled | KeyMessage::Expired) => StatusCode::OK,
        Some(KeyMessage::NotVerified) => StatusCode::UNAUTHORIZED,
        Some(KeyMessage::UnknownKey | KeyMessage::NoKey | KeyMessage::NotCertified) => StatusCode::FORBIDDEN,
        Some(KeyMessage::TryLater) => StatusCode::TOO_MANY_REQUESTS,
    };
    security::page(status, page.render(), Some(&nonce))
}

fn failed(loaded: &Loaded, error: KeyError) -> HttpError {
    if let KeyError::Store(e) = &error {
        crate::metrics::store_error(e);
    }
    tracing::error!(error = %error, "a security key login failed");
    loaded.error(OAuthError::server_error())
}
