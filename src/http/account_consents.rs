//! The signed-in citizen's consents (`/account/consents`): the services of this face they have
//! let receive their data without asking, each revocable (NIA's "trvalý souhlas", managed in the
//! citizen's profile). Needs the browser's SSO session; the revoke form carries a CSRF token
//! bound to that session.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::account_keys::{session_csrf, session_csrf_ok, signed_in};
use super::error::HttpError;
use super::form::PageForm;
use super::page_context::PageContext;
use super::pages::{AccountConsentsPage, ConsentsMessage};
use super::security;
use crate::authn::Authn;
use crate::model::{Session, User};
use crate::oidc::Provider;

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
    let signed_in = signed_in(&provider, &authn, &ctx, &headers).await?;
    page(&provider, &ctx, signed_in.as_ref(), None).await
}

pub async fn submit(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    headers: HeaderMap,
    PageForm(form): PageForm<RevokeForm>,
) -> Result<Response, HttpError> {
    let Some(signed_in) = signed_in(&provider, &authn, &ctx, &headers).await? else {
        return page(&provider, &ctx, None, None).await;
    };
    let (session, user) = &signed_in;
    if !session_csrf_ok(&provider, session, PAGE, &form.csrf) {
        return page(&provider, &ctx, Some(&signed_in), Some(ConsentsMessage::Outdated)).await;
    }
    // Only this face's services: another face's client is not found through this face's view.
    let client = provider.stores.clients.get(&form.client_id).await.map_err(|e| ctx.error(e))?;
    if let Some(client) = client {
        provider.stores.consents.revoke(&user.id, &client.client_id).await.map_err(|e| ctx.error(e))?;
        tracing::info!(client_id = %client.client_id, "a person revoked a consent");
    }
    page(&provider, &ctx, Some(&signed_in), Some(ConsentsMessage::Revoked)).await
}

/// The page's name in its forms' token.
const PAGE: &str = "account-consents";

/// The page: for a signed-in citizen the services they consented to, each with a revoke form.
async fn page(
    provider: &Provider,
    ctx: &PageContext,
    signed_in: Option<&(Session, User)>,
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
    if let Some((session, user)) = signed_in {
        view.csrf = session_csrf(provider, session, PAGE);
        view.user_name = user.profile.name.clone().unwrap_or_else(|| user.username.clone());
        for client_id in provider.stores.consents.clients_of(&user.id).await.map_err(|e| ctx.error(e))? {
            if let Some(client) = provider.stores.clients.get(&client_id).await.map_err(|e| ctx.error(e))? {
                view.services.push((client.client_id.clone(), client.client_name.unwrap_or(client.client_id)));
            }
        }
    }
    Ok(security::page(StatusCode::OK, view.render(), None))
}
