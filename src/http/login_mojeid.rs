//! NIA's mojeID means over HTTP: Continue on the login page (a POST here sends the browser to
//! mojeID), and mojeID's answer at the callback, which finishes the login or shows the login page
//! again saying why. The requests, the checks and the account live in
//! [`crate::authn::mojeid_federation`]; this shows their outcome, as [`super::login_bank`] does
//! for the bank identity.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::error::HttpError;
use super::form::{PageForm, PageQuery};
use super::interaction::{self, Loaded};
use super::login;
use super::login_bank::CallbackQuery;
use super::pages::LoginError;
use super::respond;
use crate::authn::Authn;
use crate::authn::means::Means;
use crate::authn::mojeid_federation::{FederationError, Refusal};
use crate::authn::upstream;
use crate::model::Authentication;
use crate::oidc::Provider;

/// Continue (or Cancel) on the login page with mojeID chosen.
#[derive(Deserialize)]
pub struct MojeidForm {
    #[serde(default)]
    pub interaction: String,
    #[serde(default)]
    pub csrf: String,
    /// `yes` when the person cancels: the client gets `access_denied`.
    #[serde(default)]
    pub cancel: String,
}

/// Where mojeID sends the browser back: the face's redirect URI at mojeID.
pub fn callback_url(provider: &Provider) -> String {
    provider.persona.url(provider.persona.paths.login_mojeid_callback)
}

/// The means these pages serve.
const MEANS: Means = Means::MojeidFederated;

pub async fn start(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    headers: HeaderMap,
    PageForm(form): PageForm<MojeidForm>,
) -> Result<Response, HttpError> {
    let mut loaded = interaction::load(&provider, &headers, &form.interaction, Some(&form.csrf)).await?;
    if form.cancel == "yes" {
        return login::cancel(&provider, loaded).await;
    }
    if !login::offers(&provider, &loaded, MEANS)? {
        return login::again(&provider, &loaded, MEANS, LoginError::MeansNotOffered);
    }
    let locale = loaded.page.locale.tag();
    let started = authn
        .mojeid
        .begin(&provider.persona, &loaded.login, &callback_url(&provider), &loaded.interaction.id, locale)
        .await;
    match started {
        Ok(started) => {
            loaded.interaction.mojeid = Some(started.pending);
            interaction::save(&provider, &loaded).await?;
            Ok(respond::redirect(&started.url))
        }
        Err(e) => {
            tracing::warn!(error = %e, "starting a mojeID login failed");
            login::again(&provider, &loaded, MEANS, LoginError::MojeidFailed)
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
    let pending = loaded.interaction.mojeid.take();
    let Some(pending) = pending.filter(|p| upstream::state_matches(p, random)) else {
        tracing::info!("a mojeID answer with an unknown or used state");
        return login::again(&provider, &loaded, MEANS, LoginError::Expired);
    };
    interaction::save(&provider, &loaded).await?;
    if !query.error.is_empty() || query.code.is_empty() {
        tracing::info!(error = %query.error, "mojeID sent no code");
        let error = match query.error.as_str() {
            "access_denied" => LoginError::MojeidCancelled,
            // mojeID's means reach no level this login asked it for.
            "unmet_authentication_requirements" => LoginError::MojeidLowAssurance,
            _ => LoginError::MojeidFailed,
        };
        return login::again(&provider, &loaded, MEANS, error);
    }
    let login = authn
        .mojeid
        .login(&*authn.users, &provider.persona, &loaded.login.loa, &pending, &query.code, &callback_url(&provider))
        .await;
    let federated = match login {
        Ok(Ok(federated)) => federated,
        Ok(Err(refusal)) => return refuse(&provider, &loaded, refusal),
        Err(FederationError::Store(e)) => {
            crate::metrics::store_error(&e);
            return Err(loaded.error(e));
        }
        Err(e) => {
            tracing::warn!(error = %e, "a mojeID login failed");
            crate::metrics::login("mojeid_failed");
            return login::again(&provider, &loaded, MEANS, LoginError::MojeidFailed);
        }
    };
    tracing::info!(
        user_id = %federated.user.id, acr = %federated.acr, status = ?federated.status, "mojeID identity accepted"
    );
    let authentication = Authentication {
        user_id: federated.user.id,
        auth_time: provider.now(),
        acr: federated.acr,
        amr: MEANS.amr().iter().map(|m| m.to_string()).collect(),
    };
    interaction::finish_login(&provider, &headers, loaded, authentication).await
}

fn refuse(provider: &Provider, loaded: &Loaded, refusal: Refusal) -> Result<Response, HttpError> {
    tracing::info!(reason = refusal.reason(), "mojeID identity refused");
    crate::metrics::login(refusal.reason());
    let error = match refusal {
        Refusal::LowAssurance | Refusal::BelowRequest => LoginError::MojeidLowAssurance,
        Refusal::NoMatch(_) => LoginError::MojeidNoMatch,
    };
    login::again(provider, loaded, MEANS, error)
}
