//! `prompt=select_account`: continue as the person already logged in, or log in as another.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::error::HttpError;
use super::form::{PageForm, PageQuery};
use super::interaction::{self, person};
use super::login::InteractionQuery;
use super::pages::SelectAccountPage;
use super::{respond, security};
use crate::oidc::Provider;
use crate::oidc::authorize::Decision;

#[derive(Debug, Deserialize)]
pub struct SelectForm {
    #[serde(default)]
    pub interaction: String,
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub choice: String,
}

pub async fn show(
    State(provider): State<Provider>,
    headers: HeaderMap,
    PageQuery(query): PageQuery<InteractionQuery>,
) -> Result<Response, HttpError> {
    let loaded = interaction::load(&provider, &headers, &query.interaction, None).await?;
    let (authn, _) = person(&provider, &headers, &loaded).await?;
    let user = provider.stores.users.get(&authn.user_id).await.map_err(|e| loaded.error(e))?;
    let page = SelectAccountPage {
        locale: loaded.page.locale,
        base: loaded.page.base.clone(),
        action: loaded.page.url(provider.persona.paths.select_account),
        interaction: loaded.interaction.id.clone(),
        csrf: loaded.interaction.csrf.clone(),
        user_name: user.map(|u| u.profile.name.unwrap_or(u.username)).unwrap_or_default(),
        client_name: loaded.client.client_name.clone().unwrap_or_else(|| loaded.client.client_id.clone()),
    };
    Ok(security::page(StatusCode::OK, page.render(), None))
}

pub async fn submit(
    State(provider): State<Provider>,
    headers: HeaderMap,
    PageForm(form): PageForm<SelectForm>,
) -> Result<Response, HttpError> {
    let loaded = interaction::load(&provider, &headers, &form.interaction, Some(&form.csrf)).await?;
    if form.choice == "continue" {
        let (authn, session) = person(&provider, &headers, &loaded).await?;
        return interaction::proceed(&provider, loaded, authn, &session, false).await;
    }
    let mut record = loaded.interaction.clone();
    record.authn = None;
    provider.stores.interactions.put(&record).await.map_err(|e| loaded.error(e))?;
    Ok(respond::redirect(&interaction::page_url(&provider, &Decision::Login, &record.id)))
}
