//! NIA ID's online registration at the nia face (`/ProfileRegistration`, seed 000): the form, and
//! the confirmation link (`/ProfileRegistration/confirm?token=…`), and the activation with the
//! citizen's data box instead of the Czech POINT visit (`/ProfileRegistration/databox`). The domain is
//! `validation::nia_id`; the Czech POINT clerk's request finishes it in the back office.
//!
//! The form is anonymous, so its CSRF token is a double submit: a random value in a cookie of
//! its own (`HttpOnly`, `SameSite=Lax`) and in the form, compared in constant time.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::client_addr::ClientAddr;
use super::error::HttpError;
use super::form::{PageForm, PageQuery};
use super::page_context::PageContext;
use super::pages::{RegistrationAlert, RegistrationPage, RegistrationView};
use super::security;
use crate::authn::Authn;
use crate::oidc::{OAuthError, Provider};
use crate::secret;
use crate::validation::nia_id::{
    self, BoxActivation, Confirmation, DataBoxActivation, RegistrationError, RegistrationForm, Request,
};

/// The cookie that holds the form's CSRF token.
const CSRF_COOKIE: &str = "identita_registration";
/// How long a form may be left open: an hour.
const FORM_TTL: i64 = 3600;

#[derive(Deserialize)]
pub struct Form {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    terms: Option<String>,
}

#[derive(Deserialize)]
pub struct BoxForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    box_id: String,
    #[serde(default)]
    box_password: String,
}

#[derive(Deserialize)]
pub struct ConfirmQuery {
    #[serde(default)]
    token: String,
}

/// The empty form.
pub async fn show(State(provider): State<Provider>, ctx: PageContext, headers: HeaderMap) -> Response {
    let token = ctx.jar.get(&headers, CSRF_COOKIE);
    form_page(&ctx, StatusCode::OK, page(&provider, &ctx, RegistrationView::Form), token)
}

/// The form sent: registered (the confirmation e-mail went out), or the form again saying what
/// to correct.
pub async fn submit(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    headers: HeaderMap,
    ClientAddr(source): ClientAddr,
    PageForm(form): PageForm<Form>,
) -> Result<Response, HttpError> {
    let mut view = page(&provider, &ctx, RegistrationView::Form);
    view.username = form.username.chars().take(64).collect();
    view.email = form.email.chars().take(254).collect();
    view.phone = form.phone.chars().take(20).collect();
    let expected = ctx.jar.get(&headers, CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !secret::constant_time_eq(&form.csrf, &expected) {
        view.alert = Some(RegistrationAlert::Outdated);
        return Ok(form_page(&ctx, StatusCode::FORBIDDEN, view, None));
    }
    let filled = RegistrationForm {
        username: form.username,
        password: form.password,
        password_again: form.password_again,
        email: form.email,
        phone: form.phone,
        terms_accepted: form.terms.is_some_and(|v| !v.is_empty()),
    };
    let path = registration_path(&provider);
    let confirm_url = provider.persona.url(&format!("{path}/confirm"));
    let request = Request { source, confirm_url: &confirm_url, now: provider.now() };
    match nia_id::register(&provider.stores, &authn.passwords, &authn.notifier, &filled, request).await {
        Ok(_) => {
            view.view = RegistrationView::Sent;
            let mut response = security::page(StatusCode::OK, view.render(), None);
            if let Some(clear) = ctx.jar.clear(CSRF_COOKIE) {
                response.headers_mut().append(header::SET_COOKIE, clear);
            }
            Ok(response)
        }
        Err(RegistrationError::Invalid { field, problem }) => {
            view.invalid = Some((field, problem));
            Ok(form_page(&ctx, StatusCode::BAD_REQUEST, view, Some(expected)))
        }
        Err(RegistrationError::TooMany { .. }) => {
            view.alert = Some(RegistrationAlert::TooMany);
            Ok(form_page(&ctx, StatusCode::TOO_MANY_REQUESTS, view, Some(expected)))
        }
        Err(RegistrationError::Store(e)) => Err(ctx.error(e)),
        Err(e) => Err(failed(&ctx, &e)),
    }
}

/// The confirmation link: the address verified and the identification code sent, or why not.
pub async fn confirm(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    PageQuery(query): PageQuery<ConfirmQuery>,
) -> Result<Response, HttpError> {
    let confirmation = nia_id::confirm(&provider.stores, &authn.notifier, &query.token, provider.now()).await;
    let (status, view) = match confirmation {
        Ok(Confirmation::Confirmed(_) | Confirmation::AlreadyConfirmed(_)) => {
            (StatusCode::OK, RegistrationView::Confirmed)
        }
        Ok(Confirmation::Expired) => (StatusCode::GONE, RegistrationView::Expired),
        Ok(Confirmation::Unknown) => (StatusCode::NOT_FOUND, RegistrationView::Unknown),
        Err(RegistrationError::Store(e)) => return Err(ctx.error(e)),
        Err(e) => return Err(failed(&ctx, &e)),
    };
    Ok(security::page(status, page(&provider, &ctx, view).render(), None))
}

/// The activation with a data box: its form.
pub async fn databox_show(State(provider): State<Provider>, ctx: PageContext, headers: HeaderMap) -> Response {
    let token = ctx.jar.get(&headers, CSRF_COOKIE);
    form_page(&ctx, StatusCode::OK, page(&provider, &ctx, RegistrationView::DataBox), token)
}

/// The activation with a data box sent: the NIA ID active, or the form again saying why not.
pub async fn databox_submit(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    headers: HeaderMap,
    ClientAddr(source): ClientAddr,
    PageForm(form): PageForm<BoxForm>,
) -> Result<Response, HttpError> {
    let mut view = page(&provider, &ctx, RegistrationView::DataBox);
    view.username = form.username.chars().take(64).collect();
    view.box_id = form.box_id.chars().take(7).collect();
    let expected = ctx.jar.get(&headers, CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !secret::constant_time_eq(&form.csrf, &expected) {
        view.alert = Some(RegistrationAlert::Outdated);
        return Ok(form_page(&ctx, StatusCode::FORBIDDEN, view, None));
    }
    let filled = DataBoxActivation {
        username: form.username,
        password: form.password,
        box_id: form.box_id,
        box_password: form.box_password,
    };
    let now = provider.now();
    let (status, alert) =
        match nia_id::activate_by_data_box(&provider.stores, &authn.passwords, &filled, source, now).await {
            Ok(BoxActivation::Activated { .. }) => {
                view.view = RegistrationView::Activated;
                let mut response = security::page(StatusCode::OK, view.render(), None);
                if let Some(clear) = ctx.jar.clear(CSRF_COOKIE) {
                    response.headers_mut().append(header::SET_COOKIE, clear);
                }
                return Ok(response);
            }
            Ok(BoxActivation::WrongAccount) => (StatusCode::UNAUTHORIZED, RegistrationAlert::WrongAccount),
            Ok(BoxActivation::AwaitingEmail) => (StatusCode::CONFLICT, RegistrationAlert::AwaitingEmail),
            Ok(BoxActivation::AlreadyActive) => (StatusCode::CONFLICT, RegistrationAlert::AlreadyActive),
            Ok(BoxActivation::WrongBox) => (StatusCode::UNAUTHORIZED, RegistrationAlert::WrongBox),
            Ok(BoxActivation::NotNaturalPerson(_)) => (StatusCode::BAD_REQUEST, RegistrationAlert::NotNaturalPerson),
            Ok(BoxActivation::NotInRegister) => (StatusCode::CONFLICT, RegistrationAlert::NotInRegister),
            Ok(BoxActivation::TooMany { .. }) => (StatusCode::TOO_MANY_REQUESTS, RegistrationAlert::TooMany),
            Err(RegistrationError::Store(e)) => return Err(ctx.error(e)),
            Err(e) => return Err(failed(&ctx, &e)),
        };
    view.alert = Some(alert);
    Ok(form_page(&ctx, status, view, Some(expected)))
}

/// An e-mail that could not be sent (or a password that could not be hashed): try again later.
fn failed(ctx: &PageContext, error: &RegistrationError) -> HttpError {
    tracing::error!(%error, "a NIA ID registration could not go on");
    ctx.error(OAuthError::unavailable())
}

fn registration_path(provider: &Provider) -> &'static str {
    provider.persona.nia_id_registration.unwrap_or("/ProfileRegistration")
}

fn page(provider: &Provider, ctx: &PageContext, view: RegistrationView) -> RegistrationPage {
    RegistrationPage {
        locale: ctx.locale,
        base: ctx.base.clone(),
        action: ctx.url(registration_path(provider)),
        csrf: String::new(),
        view,
        username: String::new(),
        email: String::new(),
        phone: String::new(),
        box_id: String::new(),
        invalid: None,
        alert: None,
    }
}

/// The form with the browser's CSRF token (`token`, from its cookie), or a fresh one; in the
/// cookie too, renewed. Reusing the browser's token keeps a second tab's form working.
fn form_page(ctx: &PageContext, status: StatusCode, mut view: RegistrationPage, token: Option<String>) -> Response {
    view.csrf = token.filter(|t| t.len() >= 32).unwrap_or_else(|| secret::random_token(32));
    let mut response = security::page(status, view.render(), None);
    if let Some(cookie) = ctx.jar.set(CSRF_COOKIE, &view.csrf, FORM_TTL) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
