//! mojeID's validation desk as the back office sees it: finding accounts (by username, e-mail
//! address or name), an account's record (kind, fields, whether its contacts are verified, its
//! status and validation — current or lapsed), and one desk request carrying the path and the
//! data that path needs, checked field by field before [`Accounts::validate_at_desk`] or
//! [`Accounts::validate_by_databox_message`] decides. Reading needs the desk's role or an
//! administrator's ([`super::KEEPERS`]); approving, the desk's ([`super::DESK`]).

use serde::{Deserialize, Serialize};

use super::{AccountView, Accounts, DESK, DeskEvidence, KEEPERS, MojeidError, field};
use crate::model::User;
use crate::model::mojeid::{self, MojeidAccount, Status, ValidationPath};
use crate::validation::actor::Actor;

/// The most accounts a search answers with.
pub const SEARCH_MAX: usize = 50;

/// An account as the desk reads it.
#[derive(Debug, Clone, Serialize)]
pub struct AccountRecord {
    pub user_id: String,
    pub username: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub valid: bool,
    pub fields: AccountFields,
    pub contacts_verified: ContactsVerified,
    /// The latest validation, with whether it lapsed (a mandatory field changed since).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<ValidationRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountFields {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub birthdate: Option<String>,
    /// The permanent address, or a business's seat.
    pub street: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub organisation: Option<String>,
    pub ico: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct ContactsVerified {
    pub email: bool,
    pub phone_number: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ValidationRecord {
    pub path: &'static str,
    /// Unix seconds.
    pub at: i64,
    pub by: String,
    pub evidence: String,
    pub lapsed: bool,
}

impl AccountRecord {
    fn of(user: &User, account: &MojeidAccount) -> AccountRecord {
        let status = mojeid::status(user, Some(account));
        let p = &user.profile;
        let address = p.address.as_ref();
        AccountRecord {
            user_id: user.id.clone(),
            username: user.username.clone(),
            kind: account.kind.code(),
            status: status.code(),
            valid: status == Status::Validated,
            fields: AccountFields {
                given_name: p.given_name.clone(),
                family_name: p.family_name.clone(),
                birthdate: p.birthdate.clone(),
                street: address.and_then(|a| a.street_address.clone().or_else(|| a.formatted.clone())),
                city: address.and_then(|a| a.locality.clone()),
                postal_code: address.and_then(|a| a.postal_code.clone()),
                email: p.email.clone(),
                phone_number: p.phone_number.clone(),
                organisation: account.organisation.clone(),
                ico: account.ico.clone(),
            },
            contacts_verified: ContactsVerified {
                email: p.email_verified == Some(true),
                phone_number: p.phone_number_verified == Some(true),
            },
            validation: account.validation.as_ref().map(|v| ValidationRecord {
                path: v.path.code(),
                at: v.at,
                by: v.by.clone(),
                evidence: v.evidence.clone(),
                lapsed: status != Status::Validated,
            }),
        }
    }

    /// The name the desk shows: the given and family names, else the username.
    pub fn name(&self) -> String {
        let f = &self.fields;
        let name = [f.given_name.as_deref(), f.family_name.as_deref()].into_iter().flatten().collect::<Vec<_>>();
        if name.is_empty() { self.username.clone() } else { name.join(" ") }
    }
}

/// A desk request: the path and what the desk worker checked for it. Which fields a path needs:
/// `office` — `document`, `document_number`, `document_valid_until`; `validation_point` — those
/// and `place`; `notarised_signature` — `verified_by`, `reference`; `databox_message` —
/// `message_id`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskRequest {
    pub path: String,
    /// The identity document's kind: `ID`, `P` or `IR` (`ID` when not given).
    #[serde(default)]
    pub document: Option<String>,
    #[serde(default)]
    pub document_number: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub document_valid_until: Option<String>,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub verified_by: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub message_id: Option<String>,
}

/// The value of a field a path needs, trimmed; its absence named.
fn needed(value: &Option<String>, name: &'static str, path: ValidationPath) -> Result<String, MojeidError> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Ok(v.to_owned()),
        None => Err(field(name, format!("the path {} needs it", path.code()))),
    }
}

impl Accounts<'_> {
    /// Accounts whose username, e-mail address or name contains `query` (case aside), the
    /// username's exact match first; at most [`SEARCH_MAX`].
    pub async fn search(&self, actor: &Actor, query: &str) -> Result<Vec<AccountRecord>, MojeidError> {
        actor.require(KEEPERS)?;
        let query = query.trim().to_lowercase();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        if query.chars().count() > 200 {
            return Err(field("q", "at most 200 characters"));
        }
        let mut users: Vec<User> = self.stores.users.list().await?.into_iter().filter(|u| !u.disabled).collect();
        users.retain(|u| {
            let p = &u.profile;
            let name = [p.name.as_deref(), p.given_name.as_deref(), p.family_name.as_deref()];
            std::iter::once(Some(u.username.as_str()))
                .chain(std::iter::once(p.email.as_deref()))
                .chain(name)
                .flatten()
                .any(|v| v.to_lowercase().contains(&query))
        });
        users.sort_by_key(|u| (u.username.to_lowercase() != query, u.username.clone()));
        users.truncate(SEARCH_MAX);
        let mut found = Vec::with_capacity(users.len());
        for user in users {
            let account = self.of(&user).await?;
            found.push(AccountRecord::of(&user, &account));
        }
        Ok(found)
    }

    /// The account `username` as the desk reads it.
    pub async fn show(&self, actor: &Actor, username: &str) -> Result<AccountRecord, MojeidError> {
        actor.require(KEEPERS)?;
        let (user, account) = self.find(username).await?;
        Ok(AccountRecord::of(&user, &account))
    }

    /// One desk request on the account `username`: its fields checked for the path it names,
    /// then the path's own function decides (the desk's hours, the role, the evidence).
    pub async fn desk_request(
        &self,
        actor: &Actor,
        username: &str,
        request: &DeskRequest,
    ) -> Result<AccountView, MojeidError> {
        actor.require(DESK)?;
        let path = ValidationPath::parse(request.path.trim()).map_err(|e| field("path", e))?;
        match path {
            ValidationPath::Office | ValidationPath::ValidationPoint => {
                let place = match path {
                    ValidationPath::ValidationPoint => Some(needed(&request.place, "place", path)?),
                    _ => None,
                };
                let kind = request.document.as_deref().map(str::trim).filter(|k| !k.is_empty()).unwrap_or("ID");
                let evidence = DeskEvidence::Document {
                    place,
                    kind: kind.to_owned(),
                    number: needed(&request.document_number, "document_number", path)?,
                    valid_until: needed(&request.document_valid_until, "document_valid_until", path)?,
                };
                self.validate_at_desk(actor, username, evidence).await
            }
            ValidationPath::NotarisedSignature => {
                let evidence = DeskEvidence::NotarisedSignature {
                    verified_by: needed(&request.verified_by, "verified_by", path)?,
                    reference: needed(&request.reference, "reference", path)?,
                };
                self.validate_at_desk(actor, username, evidence).await
            }
            ValidationPath::DataBoxMessage => {
                let message = needed(&request.message_id, "message_id", path)?;
                self.validate_by_databox_message(actor, username, &message).await
            }
            ValidationPath::DataBoxButton | ValidationPath::CzechPoint => Err(field(
                "path",
                format!(
                    "{} is the citizen's own step, finished in their account's settings: the desk approves \
                     office, validation_point, notarised_signature and databox_message",
                    path.code()
                ),
            )),
        }
    }
}
