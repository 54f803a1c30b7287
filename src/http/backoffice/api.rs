//! The admin API's handlers: each extracts, calls one function, and answers JSON.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use tower_sessions::Session;

use super::auth::{Caller, back_office};
use super::error::ApiError;
use crate::http::AppState;
use crate::http::client_addr::ClientAddr;
use crate::model::PersonRecord;
use crate::model::clerk::ClerkView;
use crate::validation::audit::{self, Verdict};
use crate::validation::czech_point::RequestForm;
use crate::validation::recipients;
use crate::validation::{clerks, persons};

/// A JSON body, or an error naming what does not read.
fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    payload.map(|Json(v)| v).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text()))
}

#[derive(Deserialize)]
pub struct LoginBody {
    login: String,
    password: String,
}

/// `POST /login`: the password; the code goes to the clerk's phone or e-mail.
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    session: Session,
    payload: Result<Json<LoginBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let LoginBody { login, password } = body(payload)?;
    back_office(&state).password(&session, source, &login, &password, state.provider.now()).await?;
    Ok(Json(json!({ "next": "code" })))
}

#[derive(Deserialize)]
pub struct CodeBody {
    code: String,
}

/// `POST /login/code`: the code; the session is signed in and its CSRF token returned.
pub async fn login_code(
    State(state): State<AppState>,
    session: Session,
    payload: Result<Json<CodeBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let CodeBody { code } = body(payload)?;
    let office = back_office(&state);
    office.code(&session, &code, state.provider.now()).await?;
    let signed = office.signed(&session, state.provider.now()).await?.ok_or_else(ApiError::unauthenticated)?;
    Ok(Json(json!({ "clerk": ClerkView::from(&signed.clerk), "csrf_token": signed.csrf })))
}

/// `POST /logout`: ends the session (its record deleted, its cookie removed).
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    if caller.csrf.is_some() {
        back_office(&state).logout(&caller.session).await?;
    }
    Ok(Json(json!({ "logged_out": true })))
}

/// `GET /me`: who is calling, in which roles, and the session's CSRF token.
pub async fn me(caller: Caller) -> Json<Value> {
    let roles: Vec<&str> = caller.actor.roles().iter().map(|r| r.code()).collect();
    Json(json!({ "who": caller.actor.who(), "roles": roles, "csrf_token": caller.csrf }))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    after: Option<String>,
    limit: Option<usize>,
}

/// `GET /persons?q=&after=&limit=`.
pub async fn persons_search(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<SearchQuery>,
) -> Result<Json<Value>, ApiError> {
    let found = persons::search(
        &*state.provider.stores.persons,
        &caller.actor,
        query.q.as_deref(),
        query.after.as_deref(),
        query.limit.unwrap_or(persons::PAGE_MAX),
    )
    .await?;
    Ok(Json(json!({ "persons": found.iter().map(|p| p.record()).collect::<Vec<_>>() })))
}

/// `GET /persons/{id}`.
pub async fn persons_show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<PersonRecord>, ApiError> {
    Ok(Json(persons::show(&*state.provider.stores.persons, &caller.actor, &id).await?.record()))
}

/// `POST /persons`: a person record.
pub async fn persons_create(
    State(state): State<AppState>,
    caller: Caller,
    payload: Result<Json<PersonRecord>, JsonRejection>,
) -> Result<(StatusCode, Json<PersonRecord>), ApiError> {
    let record = body(payload)?;
    let stores = &state.provider.stores;
    let now = state.provider.now();
    let person = persons::create(&*stores.persons, &*stores.audit, &caller.actor, &record, now).await?;
    Ok((StatusCode::CREATED, Json(person.record())))
}

/// `PUT /persons/{id}`: the whole changed record.
pub async fn persons_change(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    payload: Result<Json<PersonRecord>, JsonRejection>,
) -> Result<Json<PersonRecord>, ApiError> {
    let record = body(payload)?;
    let stores = &state.provider.stores;
    let now = state.provider.now();
    let person = persons::change(&*stores.persons, &*stores.audit, &caller.actor, &id, &record, now).await?;
    Ok(Json(person.record()))
}

/// `POST /czech-point/requests`: the request of the person holding the document.
pub async fn czech_point_record(
    State(state): State<AppState>,
    caller: Caller,
    payload: Result<Json<RequestForm>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let form = body(payload)?;
    let stores = &state.provider.stores;
    let recorded = recipients::record(stores, &caller.actor, &form, state.provider.now()).await?;
    let answer =
        json!({ "request": recorded.request, "person": recorded.person.record(), "nia_id": recorded.nia_id_json() });
    Ok((StatusCode::CREATED, Json(answer)))
}

#[derive(Deserialize)]
pub struct AuditQuery {
    subject: Option<String>,
    limit: Option<usize>,
}

/// `GET /audit?subject=&limit=`: administrators.
pub async fn audit_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = query.limit.unwrap_or(50).clamp(1, 1000);
    let entries = audit::newest(&*state.provider.stores.audit, &caller.actor, query.subject.as_deref(), limit).await?;
    Ok(Json(json!({ "entries": entries })))
}

/// `GET /audit/verify`: administrators.
pub async fn audit_verify(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    Ok(Json(match audit::verify_as(&*state.provider.stores.audit, &caller.actor).await? {
        Verdict::Intact { entries, head } => json!({ "intact": true, "entries": entries, "head": head }),
        Verdict::Broken(broken) => json!({ "intact": false, "broken_at": broken.seq, "reason": broken.reason }),
        Verdict::Shortened { entries, head } => json!({ "intact": false, "entries": entries, "head": head }),
    }))
}

/// `GET /clerks`: administrators.
pub async fn clerks_list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let all = clerks::list(&*state.provider.stores.clerks, &caller.actor).await?;
    Ok(Json(json!({ "clerks": all.iter().map(ClerkView::from).collect::<Vec<_>>() })))
}

/// Any other path under the API.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint of the admin API")
}
