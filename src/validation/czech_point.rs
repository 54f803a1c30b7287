//! Czech POINT: the clerk records the "request to provide reference data from the register of
//! inhabitants to another person" for a person whose identity document they checked, and the
//! recipient (NIA's registration, MEG's enrollment, mojeID) later takes it by its message.
//!
//! [`record`] finds the person by the number of the document the clerk holds, refuses a
//! document that is not valid today, keeps the request and records the decision in the audit
//! log. [`take`] is the recipient's one atomic step: a one-time request is given once.

use serde_json::json;

use crate::clock::Timestamp;
use crate::model::clerk::Role;
use crate::model::czech_point::{Consent, CzechPointRequest, DIA_ICO, RequestMessage, SCOPE_ALL};
use crate::model::person::{Date, FieldError, Ico, Person};
use crate::store::{AuditStore, CzechPointStore, PersonStore, StoreError};
use crate::validation::actor::{Actor, Forbidden};
use crate::validation::audit;

/// What the clerk fills in; the recipient, the consent and the scope have the guide's defaults.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RequestForm {
    /// The number of the identity document the clerk checked.
    pub document_number: String,
    /// The recipient's IČO; [`DIA_ICO`] when empty.
    #[serde(default)]
    pub recipient_ico: Option<String>,
    /// `one_time` (the default) or `repeated`.
    #[serde(default)]
    pub consent: Option<String>,
    /// The scope; [`SCOPE_ALL`] when empty.
    #[serde(default)]
    pub scope: Option<String>,
    /// The message to the recipient (the identification code).
    pub message: String,
    /// "Ztotožnění dle jiných osobních údajů" (seed 000): a foreign resident the register does
    /// not find by the document is found by the given names, family name and date of birth the
    /// clerk copies from the document presented. All three, or none.
    #[serde(default)]
    pub given_names: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub birth_date: Option<String>,
}

/// Why a request was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// A field does not read.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// No person of the register holds a document of this number.
    #[error(
        "document_number: no person of the register holds the document {0}; for a foreign resident, identify \
         the applicant by other personal data (given names, family name and date of birth from the document)"
    )]
    UnknownDocument(String),
    /// No person of the register has these names and date of birth.
    #[error("family_name: no person of the register is {0}")]
    UnknownPerson(String),
    /// More than one person has these names and date of birth: only the document tells them apart.
    #[error("family_name: more than one person of the register is {0}: identify the applicant by the document")]
    AmbiguousPerson(String),
    /// The document expired (or more than one person holds the number: the register is wrong).
    #[error("document_number: the document {number} is not valid (valid until {valid_until})")]
    NotValid { number: String, valid_until: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The places a request touches.
pub struct Places<'a> {
    pub persons: &'a dyn PersonStore,
    pub requests: &'a dyn CzechPointStore,
    pub audit: &'a dyn AuditStore,
}

fn field(name: &str) -> impl FnOnce(String) -> FieldError + '_ {
    move |problem| FieldError { field: name.to_owned(), problem }
}

/// A text given, or `None` when missing or blank.
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The calendar day (UTC) of `at`.
pub fn day_of(at: Timestamp) -> Option<Date> {
    let date = chrono::DateTime::from_timestamp(at, 0)?.date_naive();
    use chrono::Datelike;
    Date::new(u16::try_from(date.year()).ok()?, u8::try_from(date.month()).ok()?, u8::try_from(date.day()).ok()?)
}

/// Records the request of the person holding the document, as `actor` (a Czech POINT clerk),
/// at `now`; the audit log gets the decision.
pub async fn record(
    places: &Places<'_>,
    actor: &Actor,
    form: &RequestForm,
    now: Timestamp,
) -> Result<(CzechPointRequest, Person), RecordError> {
    let role = actor.require(&[Role::CzechPoint])?;
    let recipient =
        Ico::parse(given(form.recipient_ico.as_deref()).unwrap_or(DIA_ICO)).map_err(field("recipient_ico"))?;
    let consent = Consent::parse(given(form.consent.as_deref()).unwrap_or("one_time")).map_err(field("consent"))?;
    let scope = given(form.scope.as_deref()).unwrap_or(SCOPE_ALL);
    if scope.chars().count() > 100 || scope.chars().any(char::is_control) {
        return Err(field("scope")("at most 100 characters, without line breaks".into()).into());
    }
    let message = RequestMessage::parse(&form.message).map_err(field("message"))?;
    let number = form.document_number.trim().to_uppercase();
    let (person, document) = match other_data(form)? {
        Some((given_names, family_name, birth_date)) => {
            let named = format!("{given_names} {family_name}, born {birth_date}");
            let found = places.persons.find_by_name(&family_name, &given_names, birth_date).await?;
            let person = match found.as_slice() {
                [person] => person.clone(),
                [] => return Err(RecordError::UnknownPerson(named)),
                _ => return Err(RecordError::AmbiguousPerson(named)),
            };
            let shown = if number.is_empty() { String::new() } else { format!(", document {number}") };
            (person, format!("other personal data{shown}"))
        }
        None => by_document(places, &number, now).await?,
    };
    let request = CzechPointRequest {
        id: crate::secret::ordered_id(now),
        person_id: person.id().to_owned(),
        recipient_ico: recipient.to_string(),
        consent,
        scope: scope.to_owned(),
        message,
        document,
        recorded_by: actor.who().to_owned(),
        created_at: now,
        taken_at: None,
    };
    places.requests.insert(&request).await?;
    let detail = json!({
        "request": request.id,
        "recipient_ico": request.recipient_ico,
        "consent": consent.code(),
        "scope": request.scope,
        "document": request.document,
    });
    audit::record(places.audit, actor.record(role, "czech_point.request", Some(person.id()), detail, now)).await?;
    Ok((request, person))
}

/// The other personal data, when the clerk gave them: all three, checked.
fn other_data(form: &RequestForm) -> Result<Option<(String, String, Date)>, RecordError> {
    let given_names = given(form.given_names.as_deref());
    let family_name = given(form.family_name.as_deref());
    let birth_date = given(form.birth_date.as_deref());
    match (given_names, family_name, birth_date) {
        (None, None, None) => Ok(None),
        (Some(given_names), Some(family_name), Some(birth_date)) => {
            let date = Date::parse(birth_date).map_err(field("birth_date"))?;
            Ok(Some((given_names.to_owned(), family_name.to_owned(), date)))
        }
        (None, _, _) => Err(field("given_names")("identifying by other personal data needs all three".into()).into()),
        (_, None, _) => Err(field("family_name")("identifying by other personal data needs all three".into()).into()),
        (_, _, None) => Err(field("birth_date")("identifying by other personal data needs all three".into()).into()),
    }
}

/// The one person holding the document `number`, valid today, and how the request names it.
async fn by_document(places: &Places<'_>, number: &str, now: Timestamp) -> Result<(Person, String), RecordError> {
    let number = number.to_owned();
    if number.is_empty() {
        return Err(field("document_number")("must not be empty".into()).into());
    }
    let holders = places.persons.find_by_document(&number).await?;
    let [person] = holders.as_slice() else {
        return Err(if holders.is_empty() {
            RecordError::UnknownDocument(number)
        } else {
            RecordError::NotValid { number, valid_until: "held by more than one person".into() }
        });
    };
    let Some(document) = person.documents().iter().find(|d| d.number() == number) else {
        return Err(RecordError::UnknownDocument(number));
    };
    let today = day_of(now).ok_or_else(|| StoreError::Unavailable("the clock is out of range".into()))?;
    if document.valid_until() < today {
        return Err(RecordError::NotValid { number, valid_until: document.valid_until().to_string() });
    }
    let shown = format!("{} {}", document.kind().code(), number);
    Ok((person.clone(), shown))
}

/// Takes the request to `recipient_ico` with this message, for the recipient: the person it
/// gives, or `None` when there is none (a mistyped code, or one already taken). A one-time
/// request is given once, also when two nodes race for it.
pub async fn take(
    requests: &dyn CzechPointStore,
    persons: &dyn PersonStore,
    recipient_ico: &Ico,
    message: &str,
    now: Timestamp,
) -> Result<Option<Person>, StoreError> {
    let Ok(message) = RequestMessage::parse(message) else { return Ok(None) };
    let Some(request) = requests.take(&recipient_ico.to_string(), message.as_str(), now).await? else {
        return Ok(None);
    };
    persons.get(&request.person_id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::clerk::{Clerk, ClerkLogin, SecondFactor};
    use crate::model::person::Phone;
    use crate::store::Stores;
    use crate::store::sqlite::SqliteStore;

    /// 2030-01-01: the fixture's document (valid until 2031-05-01) is valid.
    const NOW: Timestamp = 1_893_456_000;

    fn clerk_with(role: Role) -> Actor {
        let clerk = Clerk::new(
            ClerkLogin::parse("jana").unwrap(),
            "Jana".into(),
            SecondFactor::Sms(Phone::parse("+420601123456").unwrap()),
            [role].into_iter().collect(),
            String::new(),
            NOW,
        );
        Actor::clerk(&clerk, "192.0.2.1").unwrap()
    }

    fn form(document: &str, message: &str) -> RequestForm {
        RequestForm { document_number: document.into(), message: message.into(), ..RequestForm::default() }
    }

    async fn stores() -> Stores {
        let stores = Stores::from_one(SqliteStore::memory().await.unwrap());
        stores.persons.insert(&crate::store::fixtures::person("p1", None, None)).await.unwrap();
        stores
    }

    #[tokio::test]
    async fn a_request_is_recorded_audited_and_taken_once() {
        let stores = stores().await;
        let places = Places { persons: &*stores.persons, requests: &*stores.czech_point, audit: &*stores.audit };
        let (request, person) =
            record(&places, &clerk_with(Role::CzechPoint), &form(" 123456789 ", "AB12"), NOW).await.unwrap();
        assert_eq!(person.id(), "p1");
        assert_eq!(
            (request.recipient_ico.as_str(), request.consent, request.scope.as_str()),
            (DIA_ICO, Consent::OneTime, SCOPE_ALL)
        );
        let entry = stores.audit.last().await.unwrap().unwrap();
        assert_eq!((entry.record.actor.as_str(), entry.record.role.as_str()), ("clerk:jana", "czech_point"));
        assert_eq!((entry.record.subject.as_deref(), entry.record.origin.as_str()), (Some("p1"), "192.0.2.1"));
        let dia = Ico::parse(DIA_ICO).unwrap();
        let taken = take(&*stores.czech_point, &*stores.persons, &dia, "AB12", NOW).await.unwrap();
        assert_eq!(taken.map(|p| p.id().to_owned()).as_deref(), Some("p1"));
        assert!(take(&*stores.czech_point, &*stores.persons, &dia, "AB12", NOW).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn an_unknown_or_expired_document_a_bad_field_or_another_role_is_refused() {
        let stores = stores().await;
        let places = Places { persons: &*stores.persons, requests: &*stores.czech_point, audit: &*stores.audit };
        let clerk = clerk_with(Role::CzechPoint);
        let refused = |r: Result<_, RecordError>| r.unwrap_err();
        assert!(matches!(
            refused(record(&places, &clerk, &form("987654321", "A"), NOW).await),
            RecordError::UnknownDocument(_)
        ));
        let later = NOW + 3 * 365 * 86_400;
        let expired = refused(record(&places, &clerk, &form("123456789", "A"), later).await);
        assert!(expired.to_string().contains("not valid (valid until 2031-05-01)"), "{expired}");
        let mut bad_ico = form("123456789", "A");
        bad_ico.recipient_ico = Some("17651922".into());
        let RecordError::Field(field) = refused(record(&places, &clerk, &bad_ico, NOW).await) else { panic!() };
        assert_eq!(field.field, "recipient_ico");
        let desk = clerk_with(Role::ValidationDesk);
        assert!(matches!(
            refused(record(&places, &desk, &form("123456789", "A"), NOW).await),
            RecordError::Forbidden(_)
        ));
        assert!(stores.audit.last().await.unwrap().is_none(), "nothing refused is recorded");
        assert!(stores.czech_point.of_person("p1").await.unwrap().is_empty());
    }
}
