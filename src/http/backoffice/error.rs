//! The admin API's errors: JSON `{"error": code, "field": name?, "message": text}` with the
//! status that fits; a 5xx says nothing of its cause (the log does).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::authn::backoffice::LoginError;
use crate::model::person::FieldError;
use crate::store::StoreError;
use crate::validation::actor::Forbidden;
use crate::validation::audit::ReadError;
use crate::validation::clerks::ClerkError;
use crate::validation::czech_point::RecordError;
use crate::validation::persons::PersonError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub field: Option<String>,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, field: None, message: message.into() }
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "log in to the back office, or send an API token")
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "back office request failed");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the service is unavailable; try again")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.code, "message": self.message });
        if let Some(field) = self.field {
            body["field"] = json!(field);
        }
        (self.status, Json(body)).into_response()
    }
}

impl From<Forbidden> for ApiError {
    fn from(e: Forbidden) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", e.to_string())
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_field",
            field: Some(e.field.clone()),
            message: e.to_string(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::internal(e)
    }
}

fn field_error(status: StatusCode, code: &'static str, field: &str, message: String) -> ApiError {
    ApiError { status, code, field: Some(field.to_owned()), message }
}

impl From<PersonError> for ApiError {
    fn from(e: PersonError) -> Self {
        match e {
            PersonError::Forbidden(f) => f.into(),
            PersonError::Field(f) => f.into(),
            PersonError::Unknown(_) => field_error(StatusCode::NOT_FOUND, "not_found", "id", e.to_string()),
            PersonError::Taken { field, .. } => field_error(StatusCode::CONFLICT, "conflict", field, e.to_string()),
            PersonError::Store(s) => s.into(),
        }
    }
}

impl From<RecordError> for ApiError {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::Forbidden(f) => f.into(),
            RecordError::Field(f) => f.into(),
            RecordError::UnknownDocument(_) | RecordError::NotValid { .. } => {
                field_error(StatusCode::UNPROCESSABLE_ENTITY, "document_refused", "document_number", e.to_string())
            }
            RecordError::UnknownPerson(_) | RecordError::AmbiguousPerson(_) => {
                field_error(StatusCode::UNPROCESSABLE_ENTITY, "person_not_identified", "family_name", e.to_string())
            }
            RecordError::Store(s) => s.into(),
        }
    }
}

impl From<ClerkError> for ApiError {
    fn from(e: ClerkError) -> Self {
        match e {
            ClerkError::Forbidden(f) => f.into(),
            ClerkError::Field(f) => f.into(),
            ClerkError::Unknown(_) => field_error(StatusCode::NOT_FOUND, "not_found", "login", e.to_string()),
            ClerkError::Taken(_) => field_error(StatusCode::CONFLICT, "conflict", "login", e.to_string()),
            ClerkError::Hash(h) => Self::internal(h),
            ClerkError::Store(s) => s.into(),
        }
    }
}

impl From<ReadError> for ApiError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Forbidden(f) => f.into(),
            ReadError::Store(s) => s.into(),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        let message = e.to_string();
        match e {
            LoginError::Limited { .. } => Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message),
            LoginError::Invalid => Self::new(StatusCode::UNAUTHORIZED, "invalid_login", message),
            LoginError::WrongCode => field_error(StatusCode::UNAUTHORIZED, "wrong_code", "code", message),
            LoginError::CodeGone => Self::new(StatusCode::UNAUTHORIZED, "code_gone", message),
            LoginError::Send(detail) | LoginError::Unavailable(detail) => Self::internal(detail),
        }
    }
}
