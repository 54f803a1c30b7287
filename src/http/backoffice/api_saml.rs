//! The admin API's SAML service providers (`/saml/service-providers`): each handler extracts,
//! calls one function of `crate::saml::registration` (which checks the administrator role and
//! records the change), and answers JSON. An entityID is a URL: in a path it is one segment,
//! percent-encoded (`/saml/service-providers/https%3A%2F%2Fsp.example%2Fsaml`).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Caller;
use super::error::ApiError;
use crate::http::AppState;
use crate::saml::registration::{self, Source, SpError};

/// The largest body `POST /saml/service-providers` reads (above the server's `max_body_bytes`):
/// metadata of up to 512 KiB (`sp_metadata`) with its JSON escaping, so that a document too
/// large is refused by name rather than by the body's size.
pub const BODY_LIMIT: usize = 1024 * 1024;

impl From<SpError> for ApiError {
    fn from(e: SpError) -> Self {
        match e {
            SpError::Forbidden(f) => f.into(),
            SpError::Face(message) => {
                ApiError { status: StatusCode::BAD_REQUEST, code: "face", field: Some("face".into()), message }
            }
            SpError::Metadata(message) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_metadata", message),
            SpError::Unknown(_) => ApiError {
                status: StatusCode::NOT_FOUND,
                code: "not_found",
                field: Some("entity_id".into()),
                message: e.to_string(),
            },
            SpError::Store(s) => s.into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddBody {
    /// The metadata document (an `EntityDescriptor` with an `SPSSODescriptor`)…
    metadata: Option<String>,
    /// … or the URL the SP publishes it at.
    metadata_url: Option<String>,
    /// A name to show people on the login pages.
    name: Option<String>,
    /// The face to register it at (its `[[faces]]` name), when it is not the only one serving SAML.
    face: Option<String>,
}

#[derive(Deserialize)]
pub struct FaceQuery {
    face: Option<String>,
}

/// `POST /saml/service-providers`: registers an SP from its metadata (replacing one with the
/// same entityID at that face).
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    payload: Result<Json<AddBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body =
        payload.map(|Json(v)| v).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text()))?;
    let source = match (body.metadata, body.metadata_url) {
        (Some(xml), None) => Source::Document(xml),
        (None, Some(url)) => Source::Url(url),
        _ => {
            let message = "give the SP's metadata either as metadata (the document) or as metadata_url";
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", message));
        }
    };
    let face = registration::serving(&state.provider, body.face.as_deref())?;
    let sp = registration::add(face, &caller.actor, source, body.name.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(registration::describe(&sp))))
}

/// `GET /saml/service-providers?face=`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<FaceQuery>,
) -> Result<Json<Value>, ApiError> {
    let face = registration::serving(&state.provider, query.face.as_deref())?;
    let sps = registration::list(face, &caller.actor).await?;
    Ok(Json(json!({ "service_providers": sps.iter().map(registration::describe).collect::<Vec<_>>() })))
}

/// `GET /saml/service-providers/{entity_id}?face=`.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(entity_id): Path<String>,
    Query(query): Query<FaceQuery>,
) -> Result<Json<Value>, ApiError> {
    let face = registration::serving(&state.provider, query.face.as_deref())?;
    Ok(Json(registration::describe(&registration::show(face, &caller.actor, &entity_id).await?)))
}

/// `DELETE /saml/service-providers/{entity_id}?face=`.
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(entity_id): Path<String>,
    Query(query): Query<FaceQuery>,
) -> Result<Json<Value>, ApiError> {
    let face = registration::serving(&state.provider, query.face.as_deref())?;
    registration::remove(face, &caller.actor, &entity_id).await?;
    Ok(Json(json!({ "removed": entity_id })))
}
