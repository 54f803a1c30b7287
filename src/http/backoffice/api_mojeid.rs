//! The admin API's calls of mojeID's validation desk: finding accounts, reading one, recording a
//! desk validation (a visit to the office or a validation point, a notarised signature by post,
//! a request from a data box) and marking an account's contacts verified. Each extracts, calls
//! one function of `validation::mojeid::Accounts` (which checks the role and the desk's hours),
//! and answers JSON; refusals are [`ApiError`]s naming the field or saying when the desk opens.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Caller;
use super::error::ApiError;
use crate::http::AppState;
use crate::validation::mojeid::{AccountRecord, Accounts, DeskRequest, MojeidError};

/// mojeID's accounts over the state's stores, now.
pub(super) fn accounts(state: &AppState) -> Accounts<'_> {
    let provider = &state.provider;
    Accounts { stores: &provider.stores, desk: &provider.config.validation_desk, now: provider.now() }
}

impl From<MojeidError> for ApiError {
    fn from(e: MojeidError) -> Self {
        let message = e.to_string();
        let with_field = |status, code, field: &str| ApiError {
            status,
            code,
            field: Some(field.to_owned()),
            message: message.clone(),
        };
        match &e {
            MojeidError::Forbidden(_) => Self::new(StatusCode::FORBIDDEN, "forbidden", message),
            MojeidError::Field { field, .. } => with_field(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", field),
            MojeidError::Mismatch { field, .. } => with_field(StatusCode::UNPROCESSABLE_ENTITY, "mismatch", field),
            MojeidError::NoAccount(_) => with_field(StatusCode::NOT_FOUND, "not_found", "username"),
            MojeidError::OutsideDeskHours { .. } => Self::new(StatusCode::CONFLICT, "desk_closed", message),
            MojeidError::NotConditionallyIdentified(_) => {
                Self::new(StatusCode::CONFLICT, "not_conditionally_identified", message)
            }
            MojeidError::CzechPointPending => Self::new(StatusCode::CONFLICT, "pending", message),
            MojeidError::NaturalPersonsOnly { .. } | MojeidError::BusinessOnly => {
                with_field(StatusCode::UNPROCESSABLE_ENTITY, "path_not_for_kind", "path")
            }
            MojeidError::DataBox(_) | MojeidError::Evidence(_) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "evidence_refused", message)
            }
            MojeidError::Store(s) => Self::internal(s),
        }
    }
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// `GET /mojeid/accounts?q=`: accounts by username, e-mail address or name.
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<SearchQuery>,
) -> Result<Json<Value>, ApiError> {
    let found = accounts(&state).search(&caller.actor, &query.q).await?;
    Ok(Json(json!({ "accounts": found })))
}

/// `GET /mojeid/accounts/{username}`.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
) -> Result<Json<AccountRecord>, ApiError> {
    Ok(Json(accounts(&state).show(&caller.actor, &username).await?))
}

/// `POST /mojeid/accounts/{username}/validations`: a desk validation ([`DeskRequest`]).
pub async fn validate(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
    payload: Result<Json<DeskRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<AccountRecord>), ApiError> {
    let request =
        payload.map(|Json(v)| v).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text()))?;
    let accounts = accounts(&state);
    accounts.desk_request(&caller.actor, &username, &request).await?;
    Ok((StatusCode::CREATED, Json(accounts.show(&caller.actor, &username).await?)))
}

/// `POST /mojeid/accounts/{username}/contacts-verified`: the e-mail address and phone number
/// checked (CONDITIONALLY_IDENTIFIED).
pub async fn verify_contacts(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
) -> Result<Json<AccountRecord>, ApiError> {
    let accounts = accounts(&state);
    accounts.verify_contacts(&caller.actor, &username).await?;
    Ok(Json(accounts.show(&caller.actor, &username).await?))
}
