//! A Czech POINT request once the clerk has recorded it: its recipient processes it at once, as
//! DIA does ("activated within a few minutes"): a NIA ID registration awaiting the request's
//! message as its identification code is activated ([`nia_id::deliver`]). MEG's enrollment and
//! mojeID take theirs when the app or the citizen asks ("Hotovo", "Dokončit žádost").

use crate::clock::Timestamp;
use crate::model::{CzechPointRequest, Person};
use crate::store::Stores;
use crate::validation::actor::Actor;
use crate::validation::czech_point::{self, Places, RecordError, RequestForm};
use crate::validation::nia_id::{self, Activation};

/// A recorded request, and what NIA ID did with it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub request: CzechPointRequest,
    pub person: Person,
    pub nia_id: Activation,
}

/// Records the request as `actor` ([`czech_point::record`]) and delivers it to NIA ID.
pub async fn record(
    stores: &Stores,
    actor: &Actor,
    form: &RequestForm,
    now: Timestamp,
) -> Result<Recorded, RecordError> {
    let places = Places { persons: &*stores.persons, requests: &*stores.czech_point, audit: &*stores.audit };
    let (request, person) = czech_point::record(&places, actor, form, now).await?;
    let nia_id = nia_id::deliver(stores, &request, now).await?;
    Ok(Recorded { request, person, nia_id })
}

impl Recorded {
    /// What the clerk's answer says of NIA ID, as JSON: `{"activated": username}`, or
    /// `{"activated": null, "problem": …}`.
    pub fn nia_id_json(&self) -> serde_json::Value {
        match &self.nia_id {
            Activation::Activated { username, .. } => serde_json::json!({ "activated": username }),
            Activation::UnknownCode => serde_json::json!({
                "activated": null,
                "problem": "no NIA ID registration awaits this identification code: check the code with the citizen",
            }),
            Activation::AlreadyActive => serde_json::json!({ "activated": null, "problem": "already active" }),
            Activation::NoRegistration => serde_json::json!({ "activated": null }),
        }
    }
}
