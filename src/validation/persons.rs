//! The register as clerks use it: finding a person, reading one, creating and correcting one.
//! Reading is for the Czech POINT clerks and the validation desk; creating and correcting for
//! the validation desk. Every value is checked as [`Person::parse`] checks it (a refusal names
//! the field), a change is written whole or not at all, and each one is recorded in the audit
//! log with the clerk, the role and the client's address.

use serde_json::json;

use crate::clock::Timestamp;
use crate::model::clerk::Role;
use crate::model::person::{BirthNumber, DataBoxId, FieldError};
use crate::model::{Person, PersonRecord};
use crate::store::{AuditStore, PersonStore, StoreError};
use crate::validation::actor::{Actor, Forbidden};
use crate::validation::audit;

/// The roles that read the register.
pub const READERS: &[Role] = &[Role::CzechPoint, Role::ValidationDesk];
/// The roles that write it.
pub const WRITERS: &[Role] = &[Role::ValidationDesk];
/// The most persons a page of a list holds.
pub const PAGE_MAX: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum PersonError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("id: there is no person {0}")]
    Unknown(String),
    #[error("{field}: {problem}")]
    Taken { field: &'static str, problem: String },
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for PersonError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => PersonError::Taken {
                field: "id",
                problem: format!("the id, birth number or data box is taken ({what})"),
            },
            other => PersonError::Store(other),
        }
    }
}

/// Finds persons: by a birth number, a data-box ID, a document number or an id when `query`
/// reads as one, else a page of the register after `after`.
pub async fn search(
    persons: &dyn PersonStore,
    actor: &Actor,
    query: Option<&str>,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Person>, PersonError> {
    actor.require(READERS)?;
    let Some(query) = query.map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(persons.list(after, limit.clamp(1, PAGE_MAX)).await?);
    };
    let mut found = Vec::new();
    if let Ok(number) = BirthNumber::parse(query) {
        found.extend(persons.find_by_birth_number(&number).await?);
    }
    if let Ok(data_box) = DataBoxId::parse(query) {
        found.extend(persons.find_by_data_box(&data_box).await?);
    }
    found.extend(persons.find_by_document(&query.to_uppercase()).await?);
    found.extend(persons.get(query).await?);
    found.sort_by(|a, b| a.id().cmp(b.id()));
    found.dedup_by(|a, b| a.id() == b.id());
    Ok(found)
}

/// One person.
pub async fn show(persons: &dyn PersonStore, actor: &Actor, id: &str) -> Result<Person, PersonError> {
    actor.require(READERS)?;
    persons.get(id).await?.ok_or_else(|| PersonError::Unknown(id.to_owned()))
}

/// Creates a person from `record`.
pub async fn create(
    persons: &dyn PersonStore,
    log: &dyn AuditStore,
    actor: &Actor,
    record: &PersonRecord,
    now: Timestamp,
) -> Result<Person, PersonError> {
    let role = actor.require(WRITERS)?;
    let person = Person::parse(record)?;
    persons.insert(&person).await?;
    let detail = json!({ "record": person.record() });
    audit::record(log, actor.record(role, "person.create", Some(person.id()), detail, now)).await?;
    Ok(person)
}

/// Replaces the person `id` with `record` (whose id must be `id`).
pub async fn change(
    persons: &dyn PersonStore,
    log: &dyn AuditStore,
    actor: &Actor,
    id: &str,
    record: &PersonRecord,
    now: Timestamp,
) -> Result<Person, PersonError> {
    let role = actor.require(WRITERS)?;
    if record.id != id {
        return Err(FieldError { field: "id".into(), problem: format!("must be {id:?}, the person changed") }.into());
    }
    let person = Person::parse(record)?;
    let before = persons.get(id).await?.ok_or_else(|| PersonError::Unknown(id.to_owned()))?;
    if !persons.update(&person).await? {
        return Err(PersonError::Unknown(id.to_owned()));
    }
    let detail = json!({ "before": before.record(), "after": person.record() });
    audit::record(log, actor.record(role, "person.change", Some(id), detail, now)).await?;
    Ok(person)
}
