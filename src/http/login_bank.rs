//! The bank identity means over HTTP: the bank picked on the login page (a POST here sends the
//! browser to the bank), and the bank's answer at the callback, which finishes the login or shows
//! the picker again saying why. The requests, the checks and the match live in
//! [`crate::authn::bank`]; this shows their outcome.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::error::HttpError;
use super::form::{PageForm, PageQuery};
use super::interaction::{self, Loaded};
use super::login;
use super::pages::LoginError;
use super::respond;
use crate::authn::Authn;
use crate::authn::bank::{BankError, BankRefusal};
use crate::authn::means::Means;
use crate::authn::upstream;
use crate::oidc::Provider;

#[derive(Deserialize)]
pub struct BankForm {
    #[serde(default)]
    pub interaction: String,
    #[serde(default)]
    pub csrf: String,
    /// The id of the bank picked.
    #[serde(default)]
    pub bank: String,
    /// `yes` when the person cancels: the client gets `access_denied`.
    #[serde(default)]
    pub cancel: String,
}

/// The bank's answer (RFC 6749 §4.1.2): a `code`, or an `error`, with our `state`.
#[derive(Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub error: String,
}

/// Where the banks send the browser back: identita's redirect URI at every bank.
pub fn callback_url(provider: &Provider) -> String {
    provider.persona.url(provider.persona.paths.login_bank_callback)
}

pub async fn start(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    headers: HeaderMap,
    PageForm(form): PageForm<BankForm>,
) -> Result<Response, HttpError> {
    let mut loaded = interaction::load(&provider, &headers, &form.interaction, Some(&form.csrf)).await?;
    if form.cancel == "yes" {
        return login::cancel(&provider, loaded).await;
    }
    if !login::offers(&provider, &loaded, Means::Bank)? {
        return login::again(&provider, &loaded, Means::Bank, LoginError::MeansNotOffered);
    }
    match authn.banks.begin(&form.bank, &callback_url(&provider), &loaded.interaction.id).await {
        Ok(started) => {
            loaded.interaction.bank = Some(started.pending);
            interaction::save(&provider, &loaded).await?;
            Ok(respond::redirect(&started.url))
        }
        Err(BankError::UnknownBank(_)) => login::again(&provider, &loaded, Means::Bank, LoginError::MeansNotOffered),
        Err(e) => {
            tracing::warn!(error = %e, "starting a bank login failed");
            login::again(&provider, &loaded, Means::Bank, LoginError::BankFailed)
        }
    }
}

pub async fn callback(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    headers: HeaderMap,
    PageQuery(query): PageQuery<CallbackQuery>,
) -> Result<Response, HttpError> {
    // An unreadable state finds no login: the page says it expired (an empty id does).
    let (id, random) = upstream::interaction_of(&query.state).unwrap_or(("", ""));
    let mut loaded = interaction::load(&provider, &headers, id, None).await?;
    // The answer is good once: the pending login is forgotten before the code is used.
    let pending = loaded.interaction.bank.take();
    let Some(pending) = pending.filter(|p| upstream::state_matches(p, random)) else {
        tracing::info!("a bank answer with an unknown or used state");
        return login::again(&provider, &loaded, Means::Bank, LoginError::Expired);
    };
    interaction::save(&provider, &loaded).await?;
    if !query.error.is_empty() || query.code.is_empty() {
        tracing::info!(bank = %pending.upstream, error = %query.error, "the bank sent no code");
        let error = if query.error == "access_denied" { LoginError::BankCancelled } else { LoginError::BankFailed };
        return login::again(&provider, &loaded, Means::Bank, error);
    }
    let redirect_uri = callback_url(&provider);
    let user = match authn.banks.login(&*authn.users, &pending, &query.code, &redirect_uri).await {
        Ok(Ok(user)) => user,
        Ok(Err(refusal)) => return refuse(&provider, &loaded, &pending.upstream, refusal),
        Err(BankError::Store(e)) => {
            crate::metrics::store_error(&e);
            return Err(loaded.error(e));
        }
        Err(e) => {
            tracing::warn!(error = %e, "a bank login failed");
            crate::metrics::login("bank_failed");
            return login::again(&provider, &loaded, Means::Bank, LoginError::BankFailed);
        }
    };
    tracing::info!(user_id = %user.id, bank = %pending.upstream, "bank identity accepted");
    let means = Means::Bank;
    let authn = means.authenticated(user.id, provider.now(), &provider.persona);
    interaction::finish_login(&provider, &headers, loaded, authn).await
}

fn refuse(provider: &Provider, loaded: &Loaded, bank: &str, refusal: BankRefusal) -> Result<Response, HttpError> {
    tracing::info!(bank, reason = refusal.reason(), "bank identity refused");
    crate::metrics::login(refusal.reason());
    let error = match refusal {
        BankRefusal::LowAssurance => LoginError::BankLowAssurance,
        BankRefusal::MissingClaims | BankRefusal::NoMatch | BankRefusal::Ambiguous => LoginError::BankNoMatch,
    };
    login::again(provider, loaded, Means::Bank, error)
}
