//! NIA ID's second step: the page asking for the code sent by SMS, a new code on request, and
//! the login's end once the code is right. The limits and the check live in
//! [`crate::authn::nia_id`]; this shows their outcome.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::error::HttpError;
use super::form::{PageForm, PageQuery};
use super::interaction::{self, Loaded};
use super::login::{self, InteractionQuery};
use super::pages::{ClientDisplay, LoginError, SmsMessage, SmsPage};
use super::{respond, security};
use crate::authn::Authn;
use crate::authn::means::Means;
use crate::authn::nia_id::{self, CodeRefusal, NiaIdError, SendRefusal};
use crate::clock::Timestamp;
use crate::model::SmsChallenge;
use crate::oidc::{OAuthError, Provider};

#[derive(Deserialize)]
pub struct SmsForm {
    #[serde(default)]
    pub interaction: String,
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub code: String,
    /// `verify` (also when missing: Enter in the code field), `resend` or `cancel`.
    #[serde(default)]
    pub action: String,
}

/// The SMS page's URL for an interaction.
pub fn url(provider: &Provider, interaction: &str) -> String {
    format!("{}{}?interaction={}", provider.persona.base_path(), provider.persona.paths.login_sms, interaction)
}

pub async fn show(
    State(provider): State<Provider>,
    headers: HeaderMap,
    PageQuery(query): PageQuery<InteractionQuery>,
) -> Result<Response, HttpError> {
    let loaded = interaction::load(&provider, &headers, &query.interaction, None).await?;
    match loaded.interaction.sms.clone() {
        Some(challenge) => Ok(render(&provider, &loaded, &challenge, None)),
        // No code sent in this login (yet, or any more): NIA ID starts with the password.
        None => Ok(respond::redirect(&login::url(&provider, &loaded.interaction.id, Means::NiaId))),
    }
}

pub async fn submit(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    headers: HeaderMap,
    PageForm(form): PageForm<SmsForm>,
) -> Result<Response, HttpError> {
    let loaded = interaction::load(&provider, &headers, &form.interaction, Some(&form.csrf)).await?;
    if form.action == "cancel" {
        return login::cancel(&provider, loaded).await;
    }
    let Some(challenge) = loaded.interaction.sms.clone() else {
        return Ok(respond::redirect(&login::url(&provider, &loaded.interaction.id, Means::NiaId)));
    };
    if form.action == "resend" {
        return resend(&provider, &authn, loaded, challenge).await;
    }
    let now = provider.now();
    match authn.nia_id().verify(&challenge, &form.code, now).await {
        Ok(Ok(())) => {}
        Ok(Err(refusal)) => return refuse(&provider, loaded, &challenge, refusal, now).await,
        Err(e) => return Err(failed(&loaded, e)),
    }
    // The account may have been disabled or removed since its password was checked.
    let user = authn.users.get(&challenge.user_id).await.map_err(|e| loaded.error(e))?;
    if user.is_none_or(|u| u.disabled) {
        return forget_code(&provider, loaded, LoginError::BadCredentials).await;
    }
    let means = Means::NiaId;
    let authn = means.authenticated(challenge.user_id.clone(), now, &provider.persona);
    interaction::finish_login(&provider, &headers, loaded, authn).await
}

/// A new code, when the limits allow one.
async fn resend(
    provider: &Provider,
    authn: &Authn,
    mut loaded: Loaded,
    challenge: SmsChallenge,
) -> Result<Response, HttpError> {
    let now = provider.now();
    let user = authn.users.get(&challenge.user_id).await.map_err(|e| loaded.error(e))?;
    let Some(user) = user.filter(|u| !u.disabled) else {
        return forget_code(provider, loaded, LoginError::BadCredentials).await;
    };
    match authn.nia_id().send(&user, &challenge.phone, Some(&challenge), now).await {
        Ok(Ok(fresh)) => {
            loaded.interaction.sms = Some(fresh.clone());
            interaction::save(provider, &loaded).await?;
            Ok(render(provider, &loaded, &fresh, Some(SmsMessage::Sent)))
        }
        Ok(Err(SendRefusal::TooSoon { retry_at })) => {
            let page = render(provider, &loaded, &challenge, Some(SmsMessage::ResendIn { seconds: retry_at - now }));
            Ok(retry_after(page, retry_at - now))
        }
        Ok(Err(SendRefusal::AccountLimit { retry_at })) => {
            let page = render(
                provider,
                &loaded,
                &challenge,
                Some(SmsMessage::TryLater { minutes: (retry_at - now + 59) / 60 }),
            );
            Ok(retry_after(page, retry_at - now))
        }
        Ok(Err(SendRefusal::TooManyInThisLogin)) => forget_code(provider, loaded, LoginError::SmsExhausted).await,
        Err(NiaIdError::Notify(e)) => {
            tracing::error!(error = %e, "sending the NIA ID code failed");
            Ok(render(provider, &loaded, &challenge, Some(SmsMessage::SmsNotSent)))
        }
        Err(e) => Err(failed(&loaded, e)),
    }
}

/// The SMS page again, or the login page when this login's codes are used up.
async fn refuse(
    provider: &Provider,
    loaded: Loaded,
    challenge: &SmsChallenge,
    refusal: CodeRefusal,
    now: Timestamp,
) -> Result<Response, HttpError> {
    match refusal {
        CodeRefusal::Wrong { left } => Ok(render(provider, &loaded, challenge, Some(SmsMessage::Wrong { left }))),
        CodeRefusal::Expired => Ok(render(provider, &loaded, challenge, Some(SmsMessage::Expired))),
        CodeRefusal::AccountLimit { retry_at } => {
            let minutes = (retry_at - now + 59) / 60;
            let page = render(provider, &loaded, challenge, Some(SmsMessage::TryLater { minutes }));
            Ok(retry_after(page, retry_at - now))
        }
        CodeRefusal::Exhausted => forget_code(provider, loaded, LoginError::SmsExhausted).await,
        // Another request completed this login with the same code.
        CodeRefusal::Used => forget_code(provider, loaded, LoginError::Expired).await,
    }
}

/// Drops this login's code and shows NIA ID's first step again, saying why.
async fn forget_code(provider: &Provider, mut loaded: Loaded, error: LoginError) -> Result<Response, HttpError> {
    loaded.interaction.sms = None;
    interaction::save(provider, &loaded).await?;
    login::again(provider, &loaded, Means::NiaId, error)
}

fn render(provider: &Provider, loaded: &Loaded, challenge: &SmsChallenge, message: Option<SmsMessage>) -> Response {
    let page = SmsPage {
        locale: loaded.page.locale,
        base: loaded.page.base.clone(),
        action: loaded.page.url(provider.persona.paths.login_sms),
        interaction: loaded.interaction.id.clone(),
        csrf: loaded.interaction.csrf.clone(),
        phone: nia_id::masked(&challenge.phone),
        message,
        client_name: loaded.client.client_name.clone().unwrap_or_else(|| loaded.client.client_id.clone()),
        client: ClientDisplay::from(&loaded.client),
    };
    let status = match message {
        None | Some(SmsMessage::Sent) => StatusCode::OK,
        Some(SmsMessage::Wrong { .. } | SmsMessage::Expired) => StatusCode::UNAUTHORIZED,
        Some(SmsMessage::ResendIn { .. } | SmsMessage::TryLater { .. }) => StatusCode::TOO_MANY_REQUESTS,
        Some(SmsMessage::SmsNotSent) => StatusCode::SERVICE_UNAVAILABLE,
    };
    security::page(status, page.render(), None)
}

fn retry_after(mut response: Response, seconds: i64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn failed(loaded: &Loaded, error: NiaIdError) -> HttpError {
    if let NiaIdError::Store(e) = &error {
        crate::metrics::store_error(e);
    }
    tracing::error!(error = %error, "checking an NIA ID code failed");
    loaded.error(OAuthError::server_error())
}
