//! mojeID's account page (`/account/mojeid`, at a mojeID face): the account's kind, status and
//! validation, and the citizen's own validation paths — the data-box button, which sends them to
//! the simulated data-box login (`/account/mojeid/databox`) whose owner data come back to
//! validate the account, and finishing a Czech POINT request; before those, the verification of
//! the account's e-mail address (a link) and phone number (an SMS code). Needs the browser's SSO session;
//! every form carries a CSRF token bound to it. The decisions are `validation::mojeid`'s.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::account_keys::{session_csrf, session_csrf_ok, signed_in};
use super::client_addr::ClientAddr;
use super::error::HttpError;
use super::form::{PageForm, PageQuery};
use super::i18n::Locale;
use super::mojeid_pages::{AccountNotice, DataBoxLoginPage, MojeidAccountPage};
use super::page_context::PageContext;
use super::security;
use crate::authn::Authn;
use crate::model::{Session, User};
use crate::oidc::{OAuthError, Provider};
use crate::validation::actor::Actor;
use crate::validation::mojeid::{Accounts, EmailOutcome, MojeidError, PhoneOutcome};

/// The account page.
pub const ACCOUNT: &str = "/account/mojeid";
/// The data-box button (POST): the simulated data-box login page.
pub const DATABOX: &str = "/account/mojeid/databox";
/// The simulated data-box login's form (POST): its owner data back to mojeID.
pub const DATABOX_LOGIN: &str = "/account/mojeid/databox/login";
/// Finishing a Czech POINT request (POST).
pub const CZECH_POINT: &str = "/account/mojeid/czech-point";
/// Sending the link that verifies the e-mail address (POST).
pub const EMAIL: &str = "/account/mojeid/email";
/// The e-mail's link (GET, `?token=…`).
pub const EMAIL_CONFIRM: &str = "/account/mojeid/email/confirm";
/// Sending the SMS code that verifies the phone number (POST): the code's form.
pub const PHONE: &str = "/account/mojeid/phone";
/// The SMS code typed (POST).
pub const PHONE_CONFIRM: &str = "/account/mojeid/phone/confirm";

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    pub token: String,
}

#[derive(Deserialize)]
pub struct PhoneCodeForm {
    #[serde(default)]
    pub csrf: String,
    /// The sealed state the code's form carries.
    #[serde(default)]
    pub step: String,
    #[serde(default)]
    pub code: String,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

#[derive(Deserialize)]
pub struct DataBoxLoginForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub box_id: String,
    #[serde(default)]
    pub password: String,
}

fn accounts(provider: &Provider) -> Accounts<'_> {
    Accounts { stores: &provider.stores, desk: &provider.config.validation_desk, now: provider.now() }
}

/// The page's name in its forms' token.
const PAGE: &str = "account-mojeid";

/// The forms' token: bound to the session, unforgeable without the server's secret salt.
fn csrf(provider: &Provider, session: &Session) -> String {
    session_csrf(provider, session, PAGE)
}

fn csrf_ok(provider: &Provider, session: &Session, given: &str) -> bool {
    session_csrf_ok(provider, session, PAGE, given)
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

/// The data-box button: off to the data-box login.
pub async fn databox(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    headers: HeaderMap,
    PageForm(form): PageForm<CsrfForm>,
) -> Result<Response, HttpError> {
    let signed_in = signed_in(&provider, &authn, &ctx, &headers).await?;
    let Some((session, _)) = signed_in.as_ref().filter(|(s, _)| csrf_ok(&provider, s, &form.csrf)) else {
        return page(&provider, &ctx, signed_in.as_ref(), Some(AccountNotice::Outdated)).await;
    };
    Ok(databox_page(&provider, &ctx, session, false))
}

/// The data-box login's answer: the box's owner data validate the account, or are refused.
pub async fn databox_login(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    headers: HeaderMap,
    ClientAddr(source): ClientAddr,
    PageForm(form): PageForm<DataBoxLoginForm>,
) -> Result<Response, HttpError> {
    let signed_in = signed_in(&provider, &authn, &ctx, &headers).await?;
    let Some((session, user)) = signed_in.as_ref().filter(|(s, _)| csrf_ok(&provider, s, &form.csrf)) else {
        return page(&provider, &ctx, signed_in.as_ref(), Some(AccountNotice::Outdated)).await;
    };
    let actor = Actor::citizen(user, source.to_string());
    let done = accounts(&provider).databox_button(&actor, user, &form.box_id, &form.password, &authn.passwords).await;
    match done {
        Ok(None) => Ok(databox_page(&provider, &ctx, session, true)),
        outcome => {
            let notice = notice(ctx.locale, outcome.map(|_| ()))?;
            page(&provider, &ctx, signed_in.as_ref(), Some(notice)).await
        }
    }
}

/// "Finish the validation request made at Czech POINT".
pub async fn czech_point(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    headers: HeaderMap,
    ClientAddr(source): ClientAddr,
    PageForm(form): PageForm<CsrfForm>,
) -> Result<Response, HttpError> {
    let signed_in = signed_in(&provider, &authn, &ctx, &headers).await?;
    let Some((_, user)) = signed_in.as_ref().filter(|(s, _)| csrf_ok(&provider, s, &form.csrf)) else {
        return page(&provider, &ctx, signed_in.as_ref(), Some(AccountNotice::Outdated)).await;
    };
    let actor = Actor::citizen(user, source.to_string());
    let done = accounts(&provider).finish_czech_point_request(&actor, user).await;
    let notice = notice(ctx.locale, done.map(|_| ()))?;
    page(&provider, &ctx, signed_in.as_ref(), Some(notice)).await
}

/// "Verify the e-mail address": the link goes to it.
pub async fn email(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    headers: HeaderMap,
    PageForm(form): PageForm<CsrfForm>,
) -> Result<Response, HttpError> {
    let signed_in = signed_in(&provider, &authn, &ctx, &headers).await?;
    let Some((_, user)) = signed_in.as_ref().filter(|(s, _)| csrf_ok(&provider, s, &form.csrf)) else {
        return page(&provider, &ctx, signed_in.as_ref(), Some(AccountNotice::Outdated)).await;
    };
    let confirm_url = provider.persona.url(EMAIL_CONFIRM);
    let sent = accounts(&provider).send_email_link(user, &authn.notifier, &provider.pairwise_salt, &confirm_url).await;
    let notice = notice_of(ctx.locale, sent.map(|()| AccountNotice::EmailSent))?;
    page(&provider, &ctx, signed_in.as_ref(), Some(notice)).await
}

/// The e-mail's link: the address verified, or why not.
pub async fn email_confirm(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    headers: HeaderMap,
    ClientAddr(source): ClientAddr,
    PageQuery(query): PageQuery<TokenQuery>,
) -> Result<Response, HttpError> {
    let confirmed = accounts(&provider).confirm_email(&provider.pairwise_salt, &query.token, &source.to_string()).await;
    let notice = notice_of(
        ctx.locale,
        confirmed.map(|outcome| match outcome {
            EmailOutcome::Verified => AccountNotice::EmailVerified,
            EmailOutcome::Unknown => AccountNotice::LinkUnknown,
            EmailOutcome::Expired => AccountNotice::LinkExpired,
            EmailOutcome::Stale => AccountNotice::LinkStale,
        }),
    )?;
    let signed_in = signed_in(&provider, &authn, &ctx, &headers).await?;
    page(&provider, &ctx, signed_in.as_ref(), Some(notice)).await
}

/// "Verify the phone number": the SMS code goes to it, and its form is shown.
pub async fn phone(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    headers: HeaderMap,
    PageForm(form): PageForm<CsrfForm>,
) -> Result<Response, HttpError> {
    let signed_in = signed_in(&provider, &authn, &ctx, &headers).await?;
    let Some((_, user)) = signed_in.as_ref().filter(|(s, _)| csrf_ok(&provider, s, &form.csrf)) else {
        return page(&provider, &ctx, signed_in.as_ref(), Some(AccountNotice::Outdated)).await;
    };
    match accounts(&provider).send_phone_code(user, &authn.notifier, &provider.pairwise_salt).await {
        Ok(step) => page(&provider, &ctx, signed_in.as_ref(), Some(AccountNotice::PhoneSent(step))).await,
        Err(error) => {
            let notice = notice_of(ctx.locale, Err(error))?;
            page(&provider, &ctx, signed_in.as_ref(), Some(notice)).await
        }
    }
}

/// The SMS code typed.
pub async fn phone_confirm(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ctx: PageContext,
    headers: HeaderMap,
    ClientAddr(source): ClientAddr,
    PageForm(form): PageForm<PhoneCodeForm>,
) -> Result<Response, HttpError> {
    let signed_in = signed_in(&provider, &authn, &ctx, &headers).await?;
    let Some((_, user)) = signed_in.as_ref().filter(|(s, _)| csrf_ok(&provider, s, &form.csrf)) else {
        return page(&provider, &ctx, signed_in.as_ref(), Some(AccountNotice::Outdated)).await;
    };
    let actor = Actor::citizen(user, source.to_string());
    let salt = &provider.pairwise_salt;
    let typed = accounts(&provider).confirm_phone(&actor, user, salt, &form.step, &form.code).await;
    let notice = notice_of(
        ctx.locale,
        typed.map(|outcome| match outcome {
            PhoneOutcome::Verified => AccountNotice::PhoneVerified,
            PhoneOutcome::Wrong { left } => AccountNotice::PhoneWrong { step: form.step.clone(), left },
            PhoneOutcome::Spent => AccountNotice::CodeSpent,
        }),
    )?;
    page(&provider, &ctx, signed_in.as_ref(), Some(notice)).await
}

/// A contact step's outcome, or its refusal, as the page's notice.
fn notice_of(locale: Locale, outcome: Result<AccountNotice, MojeidError>) -> Result<AccountNotice, HttpError> {
    match outcome {
        Ok(notice) => Ok(notice),
        Err(error) => notice(locale, Err(error)),
    }
}

/// What a validation's outcome says on the page; a failing store is an error page.
fn notice(locale: Locale, outcome: Result<(), MojeidError>) -> Result<AccountNotice, HttpError> {
    Ok(match outcome {
        Ok(()) => AccountNotice::Done,
        Err(MojeidError::Store(e)) => return Err(failed(e)),
        Err(MojeidError::CzechPointPending) => AccountNotice::CzechPointPending,
        Err(MojeidError::DataBox(refusal)) => AccountNotice::Refused(match locale {
            Locale::Cs => refusal.czech().to_owned(),
            Locale::En => refusal.english().to_owned(),
        }),
        Err(other) => {
            let m = super::i18n::mojeid_account::texts(locale);
            AccountNotice::Refused(format!("{} {other}", m.not_ready))
        }
    })
}

fn failed(error: crate::store::StoreError) -> HttpError {
    crate::metrics::store_error(&error);
    tracing::error!(error = %error, "the mojeID account page failed");
    HttpError::page(OAuthError::server_error())
}

fn databox_page(provider: &Provider, ctx: &PageContext, session: &Session, wrong: bool) -> Response {
    let view = DataBoxLoginPage {
        locale: ctx.locale,
        base: ctx.base.clone(),
        action: ctx.url(DATABOX_LOGIN),
        back: ctx.url(ACCOUNT),
        csrf: csrf(provider, session),
        wrong,
    };
    let status = if wrong { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
    security::page(status, view.render(), None)
}

/// The page: for a signed-in citizen their account; otherwise what to do first.
async fn page(
    provider: &Provider,
    ctx: &PageContext,
    signed_in: Option<&(Session, User)>,
    notice: Option<AccountNotice>,
) -> Result<Response, HttpError> {
    let mut view = MojeidAccountPage {
        locale: ctx.locale,
        base: ctx.base.clone(),
        databox_action: ctx.url(DATABOX),
        czech_point_action: ctx.url(CZECH_POINT),
        email_action: ctx.url(EMAIL),
        phone_action: ctx.url(PHONE),
        phone_confirm_action: ctx.url(PHONE_CONFIRM),
        csrf: String::new(),
        account: None,
        contacts: None,
        czech_point_request: None,
        hours: provider.config.validation_desk.describe(),
        notice,
    };
    let Some((session, user)) = signed_in else {
        let status = match &view.notice {
            Some(AccountNotice::EmailVerified) => StatusCode::OK,
            Some(AccountNotice::LinkUnknown | AccountNotice::LinkExpired | AccountNotice::LinkStale) => {
                StatusCode::BAD_REQUEST
            }
            _ => StatusCode::UNAUTHORIZED,
        };
        return Ok(security::page(status, view.render(), None));
    };
    let shown = accounts(provider).page(user).await;
    let (account, request) = shown.map_err(|e| match e {
        MojeidError::Store(e) => failed(e),
        other => HttpError::page(OAuthError::invalid_request(other.to_string())),
    })?;
    view.csrf = csrf(provider, session);
    view.account = Some(account);
    view.czech_point_request = request;
    view.contacts = Some(accounts(provider).contacts(user).await.map_err(|e| match e {
        MojeidError::Store(e) => failed(e),
        other => HttpError::page(OAuthError::invalid_request(other.to_string())),
    })?);
    let status = match &view.notice {
        Some(notice) if !notice.is_success() => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    Ok(security::page(status, view.render(), None))
}
