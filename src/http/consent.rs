//! The consent page: the person allows (or denies) the client the requested scopes. An allowed
//! consent is remembered per client, so the page is shown again only for new scopes. Both the
//! page and its answer need the live session the login belongs to ([`interaction::person`]).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::error::HttpError;
use super::form::{PageForm, PageQuery};
use super::interaction::{self, page_error, person};
use super::login::InteractionQuery;
use super::pages::{ClientDisplay, ConsentPage};
use super::{respond, security};
use crate::oidc::authorize::AuthorizationResponse;
use crate::oidc::{ErrorCode, OAuthError, Provider};

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
    let user =
        provider.stores.users.get(&authn.user_id).await.map_err(|e| page_error(&provider, loaded.locale, e.into()))?;
    let user_name = user.map(|u| u.profile.name.unwrap_or(u.username)).unwrap_or_default();
    let page = ConsentPage {
        locale: loaded.locale,
        base: provider.persona.base_path(),
        action: format!("{}{}", provider.persona.base_path(), provider.persona.paths.consent),
        interaction: loaded.interaction.id.clone(),
        csrf: loaded.interaction.csrf.clone(),
        client_name: loaded.client.client_name.clone().unwrap_or_else(|| loaded.client.client_id.clone()),
        user_name,
        scopes: loaded.request.scopes.clone(),
        client: ClientDisplay::from(&loaded.client),
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
    let locale = loaded.locale;
    if form.decision != "allow" {
        provider
            .stores
            .interactions
            .delete(&loaded.interaction.id)
            .await
            .map_err(|e| page_error(&provider, locale, e.into()))?;
        let error = OAuthError::new(ErrorCode::AccessDenied, "the person denied the request");
        return Ok(respond::authorization_response(&AuthorizationResponse::error(
            loaded.request.target(),
            provider.issuer(),
            &error,
        )));
    }
    provider
        .stores
        .consents
        .grant(&authn.user_id, &loaded.client.client_id, &loaded.request.scopes, provider.now())
        .await
        .map_err(|e| page_error(&provider, locale, e.into()))?;
    interaction::proceed(&provider, loaded, authn, &session, true).await
}
