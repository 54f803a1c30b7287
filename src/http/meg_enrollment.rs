//! MEG's enrollment through Czech POINT, as the app calls it (JSON, no cookies; the domain is
//! `validation::meg_enrollment`):
//!
//! - `POST {meg_devices}/enrollment` `{"phone"}` → the SMS code goes out; `{"enrollment"}`;
//! - `POST {meg_devices}/enrollment/confirm` `{"enrollment", "code", "terms_accepted"}` →
//!   `{"identification_code", "enrollment"}` for the Czech POINT visit;
//! - `POST {meg_devices}/enrollment/done` `{"enrollment", "public_key", "name"}` ("Hotovo") →
//!   `{"device", "username", "server"}`, or `awaiting_czech_point` until the clerk recorded the
//!   request;
//! - `POST {meg_devices}/enrollment/databox` `{"enrollment", "public_key", "name", "data_box",
//!   "password"}`: "Hotovo" with the citizen's data box instead of the Czech POINT visit.
//!
//! Every refusal is a JSON error with a code the app can act on.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::client_addr::ClientAddr;
use super::meg_device::{reply, unavailable};
use super::security;
use crate::authn::Authn;
use crate::oidc::Provider;
use crate::validation::meg_enrollment::{Enrollment, EnrollmentError, Finished};

#[derive(Deserialize)]
pub struct StartRequest {
    phone: String,
}

#[derive(Deserialize)]
pub struct ConfirmRequest {
    enrollment: String,
    code: String,
    #[serde(default)]
    terms_accepted: bool,
}

#[derive(Deserialize)]
pub struct DoneRequest {
    enrollment: String,
    public_key: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
pub struct DataBoxDoneRequest {
    enrollment: String,
    public_key: String,
    #[serde(default)]
    name: String,
    data_box: String,
    password: String,
}

/// Step 1: the number.
pub async fn start(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ClientAddr(source): ClientAddr,
    body: Bytes,
) -> Response {
    let Ok(request) = serde_json::from_slice::<StartRequest>(&body) else {
        return reply(StatusCode::BAD_REQUEST, "invalid_request", "the body must be JSON with phone (+420…)");
    };
    let result = enrollment(&provider, &authn).start(&request.phone, source, provider.now()).await;
    answer(StatusCode::CREATED, result.map(|started| json!(started)))
}

/// Step 2: the SMS code and the terms.
pub async fn confirm(State(provider): State<Provider>, State(authn): State<Authn>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<ConfirmRequest>(&body) else {
        return reply(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be JSON with enrollment, code and terms_accepted",
        );
    };
    let now = provider.now();
    let result =
        enrollment(&provider, &authn).confirm(&request.enrollment, &request.code, request.terms_accepted, now).await;
    answer(StatusCode::OK, result.map(|confirmed| json!(confirmed)))
}

/// "Hotovo": the device paired once the Czech POINT request is there.
pub async fn done(State(provider): State<Provider>, State(authn): State<Authn>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<DoneRequest>(&body) else {
        return reply(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be JSON with enrollment, public_key and name",
        );
    };
    let name = if request.name.trim().is_empty() { "MEG" } else { request.name.as_str() };
    let now = provider.now();
    let result = enrollment(&provider, &authn).finish(&request.enrollment, &request.public_key, name, now).await;
    finished(&provider, result)
}

/// "Hotovo" with a data box instead of the Czech POINT visit: the app logs in to the citizen's
/// natural person's box.
pub async fn done_by_data_box(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ClientAddr(source): ClientAddr,
    body: Bytes,
) -> Response {
    let Ok(request) = serde_json::from_slice::<DataBoxDoneRequest>(&body) else {
        return reply(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be JSON with enrollment, public_key, name, data_box and password",
        );
    };
    let name = if request.name.trim().is_empty() { "MEG" } else { request.name.as_str() };
    let device = (request.public_key.as_str(), name);
    let data_box = (request.data_box.as_str(), request.password.as_str());
    let now = provider.now();
    let result =
        enrollment(&provider, &authn).finish_by_data_box(&request.enrollment, device, data_box, source, now).await;
    finished(&provider, result)
}

/// The paired device as the app keeps it, with where its push connection goes (as `identita meg
/// pair` keeps it: the URL before `/meg/devices`).
fn finished(provider: &Provider, result: Result<Finished, EnrollmentError>) -> Response {
    let devices = provider.persona.url(provider.persona.paths.meg_devices);
    let server = devices.trim_end_matches("/meg/devices").to_owned();
    answer(
        StatusCode::CREATED,
        result.map(|done| {
            json!({ "device": done.device.id, "username": done.username, "name": done.device.name, "server": server })
        }),
    )
}

fn enrollment<'a>(provider: &'a Provider, authn: &'a Authn) -> Enrollment<'a> {
    Enrollment {
        stores: &provider.stores,
        notifier: &authn.notifier,
        salt: &provider.pairwise_salt,
        passwords: &authn.passwords,
    }
}

fn answer(status: StatusCode, result: Result<Value, EnrollmentError>) -> Response {
    let error = match result {
        Ok(body) => {
            let mut response = (status, Json(body)).into_response();
            security::no_store(response.headers_mut());
            return response;
        }
        Err(error) => error,
    };
    let (status, code) = match &error {
        EnrollmentError::BadPhone(_) => (StatusCode::BAD_REQUEST, "invalid_phone"),
        EnrollmentError::TooMany { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
        EnrollmentError::Expired => (StatusCode::GONE, "expired_enrollment"),
        EnrollmentError::TermsNotAccepted => (StatusCode::BAD_REQUEST, "terms_not_accepted"),
        EnrollmentError::WrongCode { .. } => (StatusCode::BAD_REQUEST, "invalid_code"),
        EnrollmentError::CodeSpent => (StatusCode::GONE, "code_spent"),
        EnrollmentError::BadPublicKey | EnrollmentError::BadName => (StatusCode::BAD_REQUEST, "invalid_request"),
        EnrollmentError::AwaitingCzechPoint => (StatusCode::CONFLICT, "awaiting_czech_point"),
        EnrollmentError::WrongDataBox => (StatusCode::BAD_REQUEST, "invalid_data_box_login"),
        EnrollmentError::NotNaturalPersonBox(_) => (StatusCode::BAD_REQUEST, "not_a_natural_person_box"),
        EnrollmentError::BoxOwnerUnknown => (StatusCode::CONFLICT, "data_box_owner_unknown"),
        EnrollmentError::Store(_) | EnrollmentError::Notify(_) => {
            return match error {
                EnrollmentError::Store(e) => unavailable(e),
                other => {
                    tracing::error!(error = %other, "a MEG enrollment's SMS could not be sent");
                    reply(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again in a moment")
                }
            };
        }
    };
    reply(status, code, &error.to_string())
}
