//! "Připojení mobilního klíče" (`/account/meg`, NIA's profile page): the signed-in citizen's
//! MEG devices, each of which they can disconnect, and — after a login by a means of at least
//! substantial — a pairing QR code for a new device, good for four minutes and one device (the
//! app posts its key to `meg_pair` with it, as with `identita meg enroll`'s code). Needs the
//! browser's SSO session; the forms carry a CSRF token bound to it. The rules are
//! [`crate::authn::meg::Meg::connect`]'s.
//!
//! What tests and scripts rely on: `ul#meg-devices li[data-device][data-status]`, each active
//! one with `form.meg-disconnect`; `form#meg-connect` (`button[name=action][value=connect]`);
//! after it `img#meg-pairing-qr`, `#meg-pairing-url`, `#meg-pairing-expires` and the CLI's
//! command in `#meg-pairing-command`; a refusal in `#meg-error`, what happened in `#meg-status`,
//! the need to sign in in `#meg-sign-in`.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::account_keys::{minute, session_csrf, session_csrf_ok, signed_in};
use super::error::HttpError;
use super::form::PageForm;
use super::i18n::meg_account::MegAccount;
use super::i18n::{self, Locale, Texts};
use super::login_meg::qr_code;
use super::page_context::PageContext;
use super::pages::render_or_fallback;
use super::security;
use crate::authn::Authn;
use crate::authn::meg::ConnectRefusal;
use crate::model::{DeviceStatus, Loa, Session, User};
use crate::oidc::Provider;

#[derive(Deserialize)]
pub struct MegForm {
    #[serde(default)]
    pub csrf: String,
    /// `connect` or `disconnect`.
    #[serde(default)]
    pub action: String,
    /// The device to disconnect.
    #[serde(default)]
    pub device: String,
}

/// What the page says above its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MegAccountMessage {
    Disconnected,
    TooMany,
    Outdated,
}

/// One device in the list.
#[derive(Debug, Clone)]
pub struct DeviceRow {
    pub id: String,
    pub name: String,
    pub active: bool,
    pub added: String,
    pub last_used: Option<String>,
}

/// The pairing code just issued.
#[derive(Debug, Clone)]
pub struct Pairing {
    pub url: String,
    pub qr: String,
    pub expires: String,
}

#[derive(Debug, Template)]
#[template(path = "account_meg.html")]
pub struct AccountMegPage {
    pub locale: Locale,
    pub base: String,
    pub action: String,
    /// Empty when nobody is signed in: the page says to sign in first.
    pub csrf: String,
    pub user_name: String,
    pub devices: Vec<DeviceRow>,
    /// The level the session's login reached; below substantial, no pairing code is offered.
    pub reached: Loa,
    pub pairing: Option<Pairing>,
    pub message: Option<MegAccountMessage>,
}

impl AccountMegPage {
    fn render(&self) -> String {
        render_or_fallback(self, "account_meg")
    }

    fn t(&self) -> &'static Texts {
        i18n::texts(self.locale)
    }

    fn m(&self) -> &'static MegAccount {
        &self.t().meg_account
    }

    fn can_connect(&self) -> bool {
        self.reached >= Loa::Substantial
    }

    fn reached_name(&self) -> &'static str {
        let levels = &self.m().levels;
        match self.reached {
            Loa::Low => levels[0],
            Loa::Substantial => levels[1],
            Loa::High => levels[2],
        }
    }

    fn status_text(&self) -> Option<&'static str> {
        (self.message == Some(MegAccountMessage::Disconnected)).then_some(self.m().disconnected)
    }

    fn error_text(&self) -> Option<&'static str> {
        match self.message? {
            MegAccountMessage::TooMany => Some(self.m().too_many),
            MegAccountMessage::Outdated => Some(self.m().outdated),
            MegAccountMessage::Disconnected => None,
        }
    }
}

pub async fn show(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let signed_in = signed_in(&provider, &authn, &ctx, &headers).await?;
    page(&provider, &authn, &ctx, signed_in.as_ref(), None, None).await
}

pub async fn submit(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    headers: HeaderMap,
    PageForm(form): PageForm<MegForm>,
) -> Result<Response, HttpError> {
    let Some(signed_in) = signed_in(&provider, &authn, &ctx, &headers).await? else {
        return page(&provider, &authn, &ctx, None, None, None).await;
    };
    let (session, user) = &signed_in;
    if !session_csrf_ok(&provider, session, PAGE, &form.csrf) {
        return page(&provider, &authn, &ctx, Some(&signed_in), None, Some(MegAccountMessage::Outdated)).await;
    }
    let now = provider.now();
    match form.action.as_str() {
        "connect" => match authn.meg().connect(&session.authn, user, now).await.map_err(|e| ctx.error(e))? {
            Ok((code, expires_at)) => {
                let url = format!("{}?code={code}", provider.persona.url(provider.persona.paths.meg_pair));
                let pairing = Pairing { qr: qr_code(&url), url, expires: minute(expires_at) };
                page(&provider, &authn, &ctx, Some(&signed_in), Some(pairing), None).await
            }
            // The page offers no button then; a form posted anyway shows the level again.
            Err(ConnectRefusal::BelowSubstantial { .. }) => {
                page(&provider, &authn, &ctx, Some(&signed_in), None, None).await
            }
            Err(ConnectRefusal::TooMany { .. }) => {
                page(&provider, &authn, &ctx, Some(&signed_in), None, Some(MegAccountMessage::TooMany)).await
            }
        },
        "disconnect" => {
            // Only the holder's own device: another's is not found through this account.
            let device = authn.devices.get(&form.device).await.map_err(|e| ctx.error(e))?;
            if let Some(device) = device.filter(|d| d.user_id == user.id && d.status == DeviceStatus::Active) {
                authn.devices.set_status(&device.id, DeviceStatus::Revoked).await.map_err(|e| ctx.error(e))?;
                tracing::info!(user_id = %user.id, device = %device.id, "a citizen disconnected a MEG device");
            }
            page(&provider, &authn, &ctx, Some(&signed_in), None, Some(MegAccountMessage::Disconnected)).await
        }
        _ => page(&provider, &authn, &ctx, Some(&signed_in), None, Some(MegAccountMessage::Outdated)).await,
    }
}

/// The page's name in its forms' token.
const PAGE: &str = "account-meg";

/// The page: for a signed-in citizen their devices and, at substantial or above, the pairing
/// form (and the code just issued).
async fn page(
    provider: &Provider,
    authn: &Authn,
    ctx: &PageContext,
    signed_in: Option<&(Session, User)>,
    pairing: Option<Pairing>,
    message: Option<MegAccountMessage>,
) -> Result<Response, HttpError> {
    let mut view = AccountMegPage {
        locale: ctx.locale,
        base: ctx.base.clone(),
        action: ctx.url(provider.persona.paths.account_meg),
        csrf: String::new(),
        user_name: String::new(),
        devices: Vec::new(),
        reached: Loa::Low,
        pairing,
        message,
    };
    if let Some((session, user)) = signed_in {
        view.csrf = session_csrf(provider, session, PAGE);
        view.user_name = user.profile.name.clone().unwrap_or_else(|| user.username.clone());
        view.reached = session.authn.acr;
        let mut devices = authn.devices.list(Some(&user.id)).await.map_err(|e| ctx.error(e))?;
        devices.sort_by_key(|d| d.created_at);
        view.devices = devices
            .into_iter()
            .map(|d| DeviceRow {
                active: d.status == DeviceStatus::Active,
                added: minute(d.created_at),
                last_used: d.last_used_at.map(minute),
                id: d.id,
                name: d.name,
            })
            .collect();
    }
    let status = match message {
        Some(MegAccountMessage::TooMany) => StatusCode::TOO_MANY_REQUESTS,
        Some(MegAccountMessage::Outdated) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    Ok(security::page(status, view.render(), None))
}
