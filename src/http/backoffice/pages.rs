//! The back office's pages under `/backoffice` (askama, Czech and English): the login (password,
//! then the code), the home page listing what the clerk's roles allow, the register (search,
//! show, create, edit), the Czech POINT request form and the audit log. Every form carries a
//! CSRF token: the session's once signed in, before that one bound to the browser by a cookie
//! of its own (SameSite=Strict). Each handler extracts, calls one function and renders.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::auth::back_office;
use crate::authn::backoffice::{CODE_TTL, LoginError, Signed};
use crate::http::AppState;
use crate::http::client_addr::ClientAddr;
use crate::http::cookies;
use crate::http::form::PageForm;
use crate::http::i18n::Locale;
use crate::http::i18n::backoffice::{BackOfficeTexts, texts};
use crate::http::i18n::backoffice_mojeid::{DeskTexts, texts as desk_texts};
use crate::http::respond::redirect;
use crate::http::security;
use crate::model::PersonRecord;
use crate::model::audit::AuditEntry;
use crate::model::clerk::Role;
use crate::validation::actor::Actor;
use crate::validation::audit::{self, Verdict};
use crate::validation::czech_point::{self, RequestForm};
use crate::validation::nia_id::Activation;
use crate::validation::persons::{self, PersonError};
use crate::validation::recipients;

/// The cookie binding the login forms to the browser (before there is a session).
const FORM_COOKIE: &str = "identita_backoffice_form";
pub(super) const HOME: &str = "/backoffice";

/// What every page shows around its content.
pub(super) struct Frame {
    pub(super) locale: Locale,
    pub(super) base: String,
    pub(super) t: &'static BackOfficeTexts,
    pub(super) csrf: String,
    pub(super) signed_in: bool,
    pub(super) error: Option<String>,
    pub(super) notice: Option<String>,
}

pub(super) fn frame(state: &AppState, headers: &HeaderMap, csrf: String, signed_in: bool) -> Frame {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let locale = Locale::negotiate(None, accept);
    Frame {
        locale,
        base: state.provider.persona.base_path(),
        t: texts(locale),
        csrf,
        signed_in,
        error: None,
        notice: None,
    }
}

macro_rules! page {
    ($name:ident, $path:literal { $($field:ident : $ty:ty),* $(,)? }) => {
        #[derive(Template)]
        #[template(path = $path)]
        struct $name {
            locale: Locale,
            base: String,
            t: &'static BackOfficeTexts,
            csrf: String,
            signed_in: bool,
            error: Option<String>,
            notice: Option<String>,
            $($field: $ty,)*
        }

        impl $name {
            fn new(frame: Frame, $($field: $ty),*) -> Self {
                let Frame { locale, base, t, csrf, signed_in, error, notice } = frame;
                Self { locale, base, t, csrf, signed_in, error, notice, $($field),* }
            }
        }
    };
}
pub(super) use page;

page!(LoginPage, "backoffice/login.html" {});
page!(CodePage, "backoffice/code.html" {});
page!(HomePage, "backoffice/home.html" {
    who: String,
    czech_point: bool,
    validation_desk: bool,
    administrator: bool,
    d: &'static DeskTexts,
});
page!(PersonsPage, "backoffice/persons.html" { query: String, persons: Vec<(String, String, String)> });
page!(PersonPage, "backoffice/person.html" { name: String, shown: String, can_edit: bool, action: String, record: String });
page!(CzechPointPage, "backoffice/czech_point.html" { done_for: Option<String>, nia_id: Option<NiaIdNote> });

/// What the Czech POINT page says of NIA ID after a request to DIA.
enum NiaIdNote {
    /// This account's registration was activated.
    Activated(String),
    /// A code of NIA ID's shape that no registration awaits.
    UnknownCode,
}
page!(AuditPage, "backoffice/audit.html" { entries: Vec<AuditEntry>, broken_at: Option<i64> });

pub(super) fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => security::page(status, html, None),
        Err(error) => {
            tracing::error!(%error, "rendering a back-office page failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// A fresh token binding a login form to the browser, and its cookie.
fn form_binding(state: &AppState) -> (String, Option<HeaderValue>) {
    let token = crate::secret::random_token(32);
    let secure = if state.provider.persona.is_https() { "; Secure" } else { "" };
    let cookie = HeaderValue::from_str(&format!(
        "{FORM_COOKIE}={token}; Path=/backoffice; Max-Age={CODE_TTL}; HttpOnly; SameSite=Strict{secure}"
    ))
    .ok();
    (token, cookie)
}

fn form_bound(headers: &HeaderMap, sent: &str) -> bool {
    cookies::get(headers, FORM_COOKIE)
        .is_some_and(|kept| !sent.is_empty() && crate::secret::constant_time_eq(&kept, sent))
}

/// The signed-in clerk of the request's session, acting from its address; when the session
/// cannot be read, the page saying so.
pub(super) async fn signed(
    state: &AppState,
    headers: &HeaderMap,
    session: &Session,
    source: std::net::IpAddr,
) -> Result<Option<(Actor, Signed)>, Response> {
    match back_office(state).signed(session, state.provider.now()).await {
        Ok(signed) => Ok(signed.and_then(|s| Actor::clerk(&s.clerk, &source.to_string()).map(|actor| (actor, s)))),
        Err(error) => {
            tracing::error!(%error, "reading a back-office session failed");
            Err(unavailable(state, headers))
        }
    }
}

/// The login page saying that the service is unavailable (503): the session store failed.
pub(super) fn unavailable(state: &AppState, headers: &HeaderMap) -> Response {
    let t = frame(state, headers, String::new(), false).t;
    login_page(state, headers, StatusCode::SERVICE_UNAVAILABLE, Some(t.unavailable))
}

fn login_page(state: &AppState, headers: &HeaderMap, status: StatusCode, error: Option<&str>) -> Response {
    let (token, cookie) = form_binding(state);
    let mut frame = frame(state, headers, token, false);
    frame.error = error.map(str::to_owned);
    with_cookie(render(status, &LoginPage::new(frame)), cookie)
}

/// `GET /backoffice`: the home page, or the login.
pub async fn home(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    session: Session,
    headers: HeaderMap,
) -> Response {
    let (actor, signed) = match signed(&state, &headers, &session, source).await {
        Ok(Some(found)) => found,
        Ok(None) => return login_page(&state, &headers, StatusCode::OK, None),
        Err(page) => return page,
    };
    let has = |role| actor.roles().contains(&role);
    let frame = frame(&state, &headers, signed.csrf.clone(), true);
    let d = desk_texts(frame.locale);
    let page = HomePage::new(
        frame,
        format!("{} ({})", signed.clerk.name(), signed.clerk.login()),
        has(Role::CzechPoint),
        has(Role::ValidationDesk),
        has(Role::Administrator),
        d,
    );
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

fn login_refusal(t: &BackOfficeTexts, error: &LoginError) -> (StatusCode, &'static str) {
    match error {
        LoginError::Limited { .. } => (StatusCode::TOO_MANY_REQUESTS, t.too_many),
        LoginError::Invalid => (StatusCode::UNAUTHORIZED, t.wrong_login),
        LoginError::WrongCode => (StatusCode::UNAUTHORIZED, t.wrong_code),
        LoginError::CodeGone => (StatusCode::UNAUTHORIZED, t.code_gone),
        LoginError::Send(_) | LoginError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, t.unavailable),
    }
}

/// `POST /backoffice/login`: the password; on to the code.
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    session: Session,
    headers: HeaderMap,
    PageForm(form): PageForm<LoginForm>,
) -> Response {
    let t = frame(&state, &headers, String::new(), false).t;
    if !form_bound(&headers, &form.csrf) {
        return login_page(&state, &headers, StatusCode::FORBIDDEN, Some(t.form_outdated));
    }
    match back_office(&state).password(&session, source, &form.login, &form.password, state.provider.now()).await {
        Ok(()) => redirect("/backoffice/code"),
        Err(error) => {
            if let LoginError::Send(detail) | LoginError::Unavailable(detail) = &error {
                tracing::error!(%detail, "back-office login failed");
            }
            let (status, message) = login_refusal(t, &error);
            login_page(&state, &headers, status, Some(message))
        }
    }
}

fn code_page(state: &AppState, headers: &HeaderMap, status: StatusCode, error: Option<&str>) -> Response {
    let (token, cookie) = form_binding(state);
    let mut frame = frame(state, headers, token, false);
    frame.error = error.map(str::to_owned);
    with_cookie(render(status, &CodePage::new(frame)), cookie)
}

/// `GET /backoffice/code`: the code form, while a login awaits it.
pub async fn code_form(State(state): State<AppState>, session: Session, headers: HeaderMap) -> Response {
    match back_office(&state).awaits_code(&session, state.provider.now()).await {
        Ok(true) => code_page(&state, &headers, StatusCode::OK, None),
        Ok(false) => redirect(HOME),
        Err(error) => {
            tracing::error!(%error, "reading a back-office session failed");
            unavailable(&state, &headers)
        }
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

/// `POST /backoffice/code`: the code; signed in.
pub async fn code(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    PageForm(form): PageForm<CodeForm>,
) -> Response {
    let t = frame(&state, &headers, String::new(), false).t;
    if !form_bound(&headers, &form.csrf) {
        return code_page(&state, &headers, StatusCode::FORBIDDEN, Some(t.form_outdated));
    }
    // No session cookie: no login to go on with.
    if session.id().is_none() {
        return redirect(HOME);
    }
    match back_office(&state).code(&session, &form.code, state.provider.now()).await {
        Ok(()) => redirect(HOME),
        Err(LoginError::WrongCode) => code_page(&state, &headers, StatusCode::UNAUTHORIZED, Some(t.wrong_code)),
        Err(error) => {
            let (status, message) = login_refusal(t, &error);
            login_page(&state, &headers, status, Some(message))
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /backoffice/logout`.
pub async fn logout(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    session: Session,
    headers: HeaderMap,
    PageForm(form): PageForm<CsrfForm>,
) -> Response {
    if let Ok(Some((_, signed))) = signed(&state, &headers, &session, source).await
        && crate::secret::constant_time_eq(&form.csrf, &signed.csrf)
        && let Err(error) = back_office(&state).logout(&session).await
    {
        tracing::error!(%error, "ending a back-office session failed");
        return unavailable(&state, &headers);
    }
    redirect(HOME)
}

/// A page of the signed-in clerk, or the way to the login.
macro_rules! signed_or_login {
    ($state:expr, $session:expr, $headers:expr, $source:expr) => {
        match signed(&$state, &$headers, &$session, $source).await {
            Ok(Some(found)) => found,
            Ok(None) => return redirect(HOME),
            Err(page) => return page,
        }
    };
}

fn refusal_page(state: &AppState, headers: &HeaderMap, csrf: &str, status: StatusCode, message: String) -> Response {
    let mut frame = frame(state, headers, csrf.to_owned(), true);
    frame.error = Some(message);
    render(status, &PersonsPage::new(frame, String::new(), Vec::new()))
}

fn person_error(state: &AppState, headers: &HeaderMap, csrf: &str, error: PersonError) -> Response {
    let t = frame(state, headers, String::new(), true).t;
    let (status, message) = match &error {
        PersonError::Forbidden(_) => (StatusCode::FORBIDDEN, t.forbidden.to_owned()),
        PersonError::Unknown(_) => (StatusCode::NOT_FOUND, error.to_string()),
        PersonError::Store(detail) => {
            tracing::error!(%detail, "back-office page failed");
            (StatusCode::SERVICE_UNAVAILABLE, t.unavailable.to_owned())
        }
        _ => (StatusCode::UNPROCESSABLE_ENTITY, error.to_string()),
    };
    refusal_page(state, headers, csrf, status, message)
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// `GET /backoffice/persons?q=`.
pub async fn persons_search(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<SearchQuery>,
) -> Response {
    let (actor, signed) = signed_or_login!(state, session, headers, source);
    let q = Some(query.q.as_str()).filter(|q| !q.trim().is_empty());
    match persons::search(&*state.provider.stores.persons, &actor, q, None, persons::PAGE_MAX).await {
        Ok(found) => {
            let rows = found
                .iter()
                .map(|p| {
                    (p.id().to_owned(), format!("{} {}", p.given_names(), p.family_name()), p.birth_date().to_string())
                })
                .collect();
            render(StatusCode::OK, &PersonsPage::new(frame(&state, &headers, signed.csrf, true), query.q, rows))
        }
        Err(error) => person_error(&state, &headers, &signed.csrf, error),
    }
}

fn pretty(record: &PersonRecord) -> String {
    serde_json::to_string_pretty(record).unwrap_or_default()
}

fn person_page(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    csrf: &str,
    record: &PersonRecord,
    notice: Option<&str>,
) -> Response {
    let mut frame = frame(state, headers, csrf.to_owned(), true);
    frame.notice = notice.map(str::to_owned);
    let page = PersonPage::new(
        frame,
        format!("{} {}", record.given_names, record.family_name),
        pretty(record),
        actor.require(persons::WRITERS).is_ok(),
        format!("/backoffice/persons/{}", record.id),
        pretty(record),
    );
    render(StatusCode::OK, &page)
}

/// `GET /backoffice/persons/{id}` (`new`: the form for a new person).
pub async fn person_show(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (actor, signed) = signed_or_login!(state, session, headers, source);
    if id == "new" {
        if let Err(forbidden) = actor.require(persons::WRITERS) {
            return person_error(&state, &headers, &signed.csrf, forbidden.into());
        }
        let blank = PersonRecord {
            id: String::new(),
            given_names: String::new(),
            family_name: String::new(),
            birth_date: String::new(),
            birth_number: None,
            birth_place: String::new(),
            birth_country: "CZ".into(),
            sex: String::new(),
            citizenship: vec!["CZ".into()],
            address: None,
            phone: None,
            email: None,
            data_box: None,
            documents: Vec::new(),
            entrepreneur: None,
            statutory_body_of: Vec::new(),
        };
        let mut frame = frame(&state, &headers, signed.csrf.clone(), true);
        frame.notice = None;
        let page = PersonPage::new(
            frame,
            String::new(),
            String::new(),
            true,
            "/backoffice/persons/new".into(),
            pretty(&blank),
        );
        return render(StatusCode::OK, &page);
    }
    match persons::show(&*state.provider.stores.persons, &actor, &id).await {
        Ok(person) => person_page(&state, &headers, &actor, &signed.csrf, &person.record(), None),
        Err(error) => person_error(&state, &headers, &signed.csrf, error),
    }
}

#[derive(Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    record: String,
}

/// `POST /backoffice/persons/{id}` (`new`: create): the record as JSON.
pub async fn person_save(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    PageForm(form): PageForm<PersonForm>,
) -> Response {
    let (actor, signed) = signed_or_login!(state, session, headers, source);
    let t = frame(&state, &headers, String::new(), true).t;
    if !crate::secret::constant_time_eq(&form.csrf, &signed.csrf) {
        return refusal_page(&state, &headers, &signed.csrf, StatusCode::FORBIDDEN, t.form_outdated.to_owned());
    }
    let record: PersonRecord = match serde_json::from_str(&form.record) {
        Ok(record) => record,
        Err(e) => {
            return refusal_page(
                &state,
                &headers,
                &signed.csrf,
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("record: {e}"),
            );
        }
    };
    let stores = &state.provider.stores;
    let now = state.provider.now();
    let saved = if id == "new" {
        persons::create(&*stores.persons, &*stores.audit, &actor, &record, now).await
    } else {
        persons::change(&*stores.persons, &*stores.audit, &actor, &id, &record, now).await
    };
    match saved {
        Ok(person) => person_page(&state, &headers, &actor, &signed.csrf, &person.record(), Some(t.saved)),
        Err(error) => person_error(&state, &headers, &signed.csrf, error),
    }
}

/// `GET /backoffice/czech-point`.
pub async fn czech_point_form(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    session: Session,
    headers: HeaderMap,
) -> Response {
    let (actor, signed) = signed_or_login!(state, session, headers, source);
    if let Err(forbidden) = actor.require(&[Role::CzechPoint]) {
        return person_error(&state, &headers, &signed.csrf, forbidden.into());
    }
    render(StatusCode::OK, &CzechPointPage::new(frame(&state, &headers, signed.csrf, true), None, None))
}

#[derive(Deserialize)]
pub struct CzechPointForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    request: RequestForm,
}

/// `POST /backoffice/czech-point`.
pub async fn czech_point_record(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    session: Session,
    headers: HeaderMap,
    PageForm(form): PageForm<CzechPointForm>,
) -> Response {
    let (actor, signed) = signed_or_login!(state, session, headers, source);
    let mut frame = frame(&state, &headers, signed.csrf.clone(), true);
    if !crate::secret::constant_time_eq(&form.csrf, &signed.csrf) {
        frame.error = Some(frame.t.form_outdated.to_owned());
        return render(StatusCode::FORBIDDEN, &CzechPointPage::new(frame, None, None));
    }
    match recipients::record(&state.provider.stores, &actor, &form.request, state.provider.now()).await {
        Ok(recorded) => {
            let person = &recorded.person;
            let name = format!("{} {}", person.given_names(), person.family_name());
            let note = match recorded.nia_id {
                Activation::Activated { username, .. } => Some(NiaIdNote::Activated(username)),
                Activation::UnknownCode => Some(NiaIdNote::UnknownCode),
                Activation::AlreadyActive | Activation::NoRegistration => None,
            };
            render(StatusCode::OK, &CzechPointPage::new(frame, Some(name), note))
        }
        Err(error) => {
            let status = match &error {
                czech_point::RecordError::Forbidden(_) => StatusCode::FORBIDDEN,
                czech_point::RecordError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            frame.error = Some(match &error {
                czech_point::RecordError::Forbidden(_) => frame.t.forbidden.to_owned(),
                czech_point::RecordError::Store(_) => frame.t.unavailable.to_owned(),
                other => other.to_string(),
            });
            render(status, &CzechPointPage::new(frame, None, None))
        }
    }
}

/// `GET /backoffice/audit`: administrators.
pub async fn audit_log(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    session: Session,
    headers: HeaderMap,
) -> Response {
    let (actor, signed) = signed_or_login!(state, session, headers, source);
    let log = &*state.provider.stores.audit;
    let (entries, verdict) = match (audit::newest(log, &actor, None, 200).await, audit::verify_as(log, &actor).await) {
        (Ok(entries), Ok(verdict)) => (entries, verdict),
        (Err(audit::ReadError::Forbidden(_)), _) | (_, Err(audit::ReadError::Forbidden(_))) => {
            let t = frame(&state, &headers, String::new(), true).t;
            return refusal_page(&state, &headers, &signed.csrf, StatusCode::FORBIDDEN, t.forbidden.to_owned());
        }
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(detail = %e, "back-office audit page failed");
            let t = frame(&state, &headers, String::new(), true).t;
            return refusal_page(
                &state,
                &headers,
                &signed.csrf,
                StatusCode::SERVICE_UNAVAILABLE,
                t.unavailable.to_owned(),
            );
        }
    };
    let broken_at = match verdict {
        Verdict::Broken(broken) => Some(broken.seq),
        _ => None,
    };
    render(StatusCode::OK, &AuditPage::new(frame(&state, &headers, signed.csrf, true), entries, broken_at))
}
