//! The signed-in citizen's consents (`/account/consents`): the services of this face they have
//! let receive their data without asking, each revocable (NIA's "trvalý souhlas", managed in the
//! citizen's profile). Needs the browser's SSO session; the revoke form carries a CSRF token
//! bound to that session.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::cookies;
use super::error::HttpError;
use super::form::PageForm;
use super::page_context::PageContext;
use super::pages::{AccountConsentsPage, ConsentsMessage};
use super::security;
use crate::authn::Authn;
use crate::model::Session;
use crate::oidc::Provider;
use crate::secret;

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub client_id: String,
}

pub async fn show(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let session = current(&provider, &ctx, &headers).await?;
    page(&provider, &authn, &ctx, session.as_ref(), None).await
}

pub async fn submit(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    headers: HeaderMap,
    PageForm(form): PageForm<RevokeForm>,
) -> Result<Response, HttpError> {
    let session = current(&provider, &ctx, &headers).await?;
    let Some(session) = session else {
        return page(&provider, &authn, &ctx, None, None).await;
    };
    if form.csrf.is_empty() || !secret::constant_time_eq(&form.csrf, &csrf(&provider, &session)) {
        return page(&provider, &authn, &ctx, Some(&session), Some(ConsentsMessage::Outdated)).await;
    }
    // Only this face's services: another face's client is not found through this face's view.
    let client = provider.stores.clients.get(&form.client_id).await.map_err(|e| ctx.error(e))?;
    if let Some(client) = client {
        provider.stores.consents.revoke(&session.authn.user_id, &client.client_id).await.map_err(|e| ctx.error(e))?;
        tracing::info!(client_id = %client.client_id, "a person revoked a consent");
    }
    page(&provider, &authn, &ctx, Some(&session), Some(ConsentsMessage::Revoked)).await
}

async fn current(provider: &Provider, ctx: &PageContext, headers: &HeaderMap) -> Result<Option<Session>, HttpError> {
    let cookie = ctx.jar.get(headers, cookies::SESSION);
    provider.sessions().current(cookie.as_deref()).await.map_err(|e| ctx.error(e))
}

/// The revoke form's token: bound to the session, unforgeable without the server's secret salt.
fn csrf(provider: &Provider, session: &Session) -> String {
    secret::digest(&format!("account-consents\u{0}{}\u{0}{}", session.sid, provider.pairwise_salt))
}

async fn page(
    provider: &Provider,
    authn: &Authn,
    ctx: &PageContext,
    session: Option<&Session>,
    message: Option<ConsentsMessage>,
) -> Result<Response, HttpError> {
    let mut view = AccountConsentsPage {
        locale: ctx.locale,
        base: ctx.base.clone(),
        action: ctx.url(provider.persona.paths.account_consents),
        csrf: String::new(),
        user_name: String::new(),
        services: Vec::new(),
        message,
    };
    let user = match session {
        Some(session) => authn.users.get(&session.authn.user_id).await.map_err(|e| ctx.error(e))?,
        None => None,
    };
    if let (Some(session), Some(user)) = (session, user.filter(|u| !u.disabled)) {
        view.csrf = csrf(provider, session);
        view.user_name = user.profile.name.clone().unwrap_or_else(|| user.username.clone());
        for client_id in provider.stores.consents.clients_of(&user.id).await.map_err(|e| ctx.error(e))? {
            if let Some(client) = provider.stores.clients.get(&client_id).await.map_err(|e| ctx.error(e))? {
                view.services.push((client.client_id.clone(), client.client_name.unwrap_or(client.client_id)));
            }
        }
    }
    Ok(security::page(StatusCode::OK, view.render(), None))
}
