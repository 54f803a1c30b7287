//! The consent page: the person allows (or denies) the client the requested scopes. An allowed
//! consent is remembered per client, so the page is shown again only for new scopes. Both the
//! page and its answer need the live session the login belongs to ([`interaction::person`]).
//!
//! The page shows the values the client will receive (the name, the email address…), not only
//! what the scopes are called, and the account they belong to with a "not you?" switch. The
//! switch, a form post with the interaction's CSRF token, ends this browser's session (the person
//! at the keyboard is not the one signed in, who should not stay signed in on a shared computer)
//! and shows the login page for the same pending request: the application's request is not
//! lost, and its answer carries the `sub` of whoever signs in next.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::error::HttpError;
use super::form::{PageForm, PageQuery};
use super::interaction::{self, Pending, person};
use super::login::InteractionQuery;
use super::pages::{ClientDisplay, ConsentPage};
use super::{cookies, respond, security};
use crate::model::Session;
use crate::oidc::authorize::Decision;
use crate::oidc::{ErrorCode, OAuthError, Provider, logout, release};

#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    pub interaction: String,
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub decision: String,
}

pub async fn show(
    State(provider): State<Provider>,
    headers: HeaderMap,
    PageQuery(query): PageQuery<InteractionQuery>,
) -> Result<Response, HttpError> {
    let loaded = interaction::load(&provider, &headers, &query.interaction, None).await?;
    let (authn, _) = person(&provider, &headers, &loaded).await?;
    let user = provider.stores.users.get(&authn.user_id).await.map_err(|e| loaded.error(e))?;
    // Consent to scopes and claims is OpenID Connect's.
    let Pending::Oidc(request) = &loaded.pending else {
        return Err(loaded.error(not_oidc()));
    };
    let values = match &user {
        Some(user) => {
            let person = provider.person_of(user).await.map_err(|e| loaded.error(e))?;
            release::shared_values(&provider, &loaded.client, user, person.as_ref(), request)
        }
        None => Vec::new(),
    };
    let user_name = user.map(|u| u.profile.name.unwrap_or(u.username)).unwrap_or_default();
    let page = ConsentPage {
        locale: loaded.page.locale,
        base: loaded.page.base.clone(),
        action: loaded.page.url(provider.persona.paths.consent),
        interaction: loaded.interaction.id.clone(),
        csrf: loaded.interaction.csrf.clone(),
        client_name: loaded.client.client_name.clone().unwrap_or_else(|| loaded.client.client_id.clone()),
        user_name,
        scopes: request.scopes.clone(),
        values,
        client: ClientDisplay::from(&loaded.client),
        refusal_keeps_login: provider.persona.quirks.refusal_gives_empty_token,
    };
    Ok(security::page(StatusCode::OK, page.render(), None))
}

pub async fn submit(
    State(provider): State<Provider>,
    headers: HeaderMap,
    PageForm(form): PageForm<ConsentForm>,
) -> Result<Response, HttpError> {
    let loaded = interaction::load(&provider, &headers, &form.interaction, Some(&form.csrf)).await?;
    let (authn, session) = person(&provider, &headers, &loaded).await?;
    let locale = loaded.page.locale;
    if form.decision == "switch" {
        return switch_account(&provider, &headers, loaded, &session).await;
    }
    if form.decision != "allow" && provider.persona.quirks.refusal_gives_empty_token {
        // NIA: "Nechci poskytnout údaje" logs the person in with no attributes; nothing is
        // remembered, so the next login asks again.
        let mut loaded = loaded;
        let Pending::Oidc(request) = &mut loaded.pending else {
            return Err(loaded.error(not_oidc()));
        };
        request.withhold_attributes();
        return interaction::proceed(&provider, loaded, authn, &session, true).await;
    }
    if form.decision != "allow" {
        let error = OAuthError::new(ErrorCode::AccessDenied, "the person denied the request");
        return interaction::refuse(&provider, loaded, error).await;
    }
    let Pending::Oidc(request) = &loaded.pending else {
        return Err(loaded.error(not_oidc()));
    };
    provider
        .stores
        .consents
        .grant(&authn.user_id, &loaded.client.client_id, &request.scopes, provider.now())
        .await
        .map_err(|e| HttpError::page(e).in_locale(locale))?;
    interaction::proceed(&provider, loaded, authn, &session, true).await
}

/// "Not you?": ends the session of the person shown (and its cookie) and sends the browser to
/// the login page of the same pending request, which the next person then completes.
async fn switch_account(
    provider: &Provider,
    headers: &HeaderMap,
    loaded: interaction::Loaded,
    session: &Session,
) -> Result<Response, HttpError> {
    let locale = loaded.page.locale;
    logout::end_session(provider, session).await.map_err(|e| HttpError::page(e).in_locale(locale))?;
    let mut record = loaded.interaction;
    record.authn = None;
    record.sid = None;
    provider.stores.interactions.put(&record).await.map_err(|e| HttpError::page(e).in_locale(locale))?;
    let jar = &loaded.page.jar;
    let cleared = jar.get(headers, cookies::SESSION).and_then(|_| jar.clear(cookies::SESSION));
    let response = respond::redirect(&interaction::page_url(provider, &Decision::Login, &record.id));
    Ok(interaction::with_cookie(response, cleared))
}

/// A login of another protocol never reaches the consent page (SAML asks for none yet).
fn not_oidc() -> OAuthError {
    OAuthError::invalid_request("this login asks for no consent")
}
