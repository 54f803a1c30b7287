//! The back office's pages of mojeID's validation desk under `/backoffice/mojeid` (askama, Czech
//! and English): finding accounts, and an account's page with its status, fields and validation,
//! a form per desk path (a visit to the office or a validation point, a notarised signature by
//! post, a request from a data box) and one recording verified contacts, each with the session's
//! CSRF token. The answer — validated, or the refusal with what to do (the desk closed until
//! when, the field that is wrong) — is shown on the account's page. Each handler extracts, calls
//! one function of `validation::mojeid::Accounts` (which checks the role) and renders.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;

use super::api_mojeid::accounts;
use super::pages::{Frame, HOME, frame, page, render, signed};
use crate::http::AppState;
use crate::http::client_addr::ClientAddr;
use crate::http::form::PageForm;
use crate::http::i18n::Locale;
use crate::http::i18n::backoffice::BackOfficeTexts;
use crate::http::i18n::backoffice_mojeid::{DeskTexts, texts};
use crate::http::respond::redirect;
use crate::validation::actor::Actor;
use crate::validation::mojeid::{AccountRecord, DESK, DeskRequest, MojeidError};

page!(SearchPage, "backoffice/mojeid_search.html" {
    d: &'static DeskTexts,
    query: String,
    accounts: Vec<AccountRecord>,
});
page!(AccountPage, "backoffice/mojeid_account.html" {
    d: &'static DeskTexts,
    account: Option<AccountRecord>,
    can_validate: bool,
    hours: String,
});

/// The refusal as the clerk reads it: the desk's closure in the page's language, a role's
/// absence, else the domain's own message (it names the field or the evidence).
fn refusal(frame: &Frame, d: &DeskTexts, error: &MojeidError) -> (StatusCode, String) {
    match error {
        MojeidError::Forbidden(_) => (StatusCode::FORBIDDEN, frame.t.forbidden.to_owned()),
        MojeidError::NoAccount(_) => (StatusCode::NOT_FOUND, error.to_string()),
        MojeidError::OutsideDeskHours { now, closed_day, opens, .. } => {
            let why = closed_day.as_ref().map(|why| format!(", {why}")).unwrap_or_default();
            let opens = opens.as_ref().map(|at| format!(" {} {at}.", d.opens)).unwrap_or_default();
            (StatusCode::CONFLICT, format!("{} {now}{why}.{opens}", d.closed_now))
        }
        MojeidError::Store(detail) => {
            tracing::error!(%detail, "back-office mojeID page failed");
            (StatusCode::SERVICE_UNAVAILABLE, frame.t.unavailable.to_owned())
        }
        other => (StatusCode::UNPROCESSABLE_ENTITY, other.to_string()),
    }
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// `GET /backoffice/mojeid?q=`.
pub async fn search(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<SearchQuery>,
) -> Response {
    let (actor, signed) = match signed(&state, &headers, &session, source).await {
        Ok(Some(found)) => found,
        Ok(None) => return redirect(HOME),
        Err(page) => return page,
    };
    let mut frame = frame(&state, &headers, signed.csrf, true);
    let d = texts(frame.locale);
    match accounts(&state).search(&actor, &query.q).await {
        Ok(found) => render(StatusCode::OK, &SearchPage::new(frame, d, query.q, found)),
        Err(error) => {
            let (status, message) = refusal(&frame, d, &error);
            frame.error = Some(message);
            render(status, &SearchPage::new(frame, d, query.q, Vec::new()))
        }
    }
}

/// The account's page, with `outcome` (a notice, or a refusal with its status) above it.
async fn account_page(
    state: &AppState,
    mut frame: Frame,
    actor: &Actor,
    username: &str,
    outcome: Result<Option<String>, (StatusCode, String)>,
) -> Response {
    let d = texts(frame.locale);
    let hours = state.provider.config.validation_desk.describe();
    let can_validate = actor.require(DESK).is_ok();
    let mut status = StatusCode::OK;
    match outcome {
        Ok(notice) => frame.notice = notice,
        Err((refused, message)) => (status, frame.error) = (refused, Some(message)),
    }
    let account = match accounts(state).show(actor, username).await {
        Ok(account) => Some(account),
        Err(error) => {
            let (refused, message) = refusal(&frame, d, &error);
            if frame.error.is_none() {
                (status, frame.error) = (refused, Some(message));
            }
            None
        }
    };
    render(status, &AccountPage::new(frame, d, account, can_validate, hours))
}

/// `GET /backoffice/mojeid/{username}`.
pub async fn show(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    session: Session,
    headers: HeaderMap,
    Path(username): Path<String>,
) -> Response {
    let (actor, signed) = match signed(&state, &headers, &session, source).await {
        Ok(Some(found)) => found,
        Ok(None) => return redirect(HOME),
        Err(page) => return page,
    };
    let frame = frame(&state, &headers, signed.csrf, true);
    account_page(&state, frame, &actor, &username, Ok(None)).await
}

/// One of the account page's forms: `action` is a desk path's code or `verify_contacts`.
#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    document: Option<String>,
    document_number: Option<String>,
    document_valid_until: Option<String>,
    place: Option<String>,
    verified_by: Option<String>,
    reference: Option<String>,
    message_id: Option<String>,
}

/// `POST /backoffice/mojeid/{username}`: a desk validation, or the contacts verified.
pub async fn act(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    session: Session,
    headers: HeaderMap,
    Path(username): Path<String>,
    PageForm(form): PageForm<ActForm>,
) -> Response {
    let (actor, signed) = match signed(&state, &headers, &session, source).await {
        Ok(Some(found)) => found,
        Ok(None) => return redirect(HOME),
        Err(page) => return page,
    };
    let frame = frame(&state, &headers, signed.csrf.clone(), true);
    let d = texts(frame.locale);
    if !crate::secret::constant_time_eq(&form.csrf, &signed.csrf) {
        let outdated = Err((StatusCode::FORBIDDEN, frame.t.form_outdated.to_owned()));
        return account_page(&state, frame, &actor, &username, outdated).await;
    }
    let accounts = accounts(&state);
    let done = match form.action.as_str() {
        "verify_contacts" => accounts.verify_contacts(&actor, &username).await.map(|_| d.contacts_done),
        _ => {
            let request = DeskRequest {
                path: form.action,
                document: form.document,
                document_number: form.document_number,
                document_valid_until: form.document_valid_until,
                place: form.place,
                verified_by: form.verified_by,
                reference: form.reference,
                message_id: form.message_id,
            };
            accounts.desk_request(&actor, &username, &request).await.map(|_| d.validated)
        }
    };
    let outcome = done.map(|notice| Some(notice.to_owned())).map_err(|error| refusal(&frame, d, &error));
    account_page(&state, frame, &actor, &username, outcome).await
}
