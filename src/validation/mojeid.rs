//! mojeID accounts and their validation (`shared/seeds/003_*`): the kind of an account and its
//! required fields, the e-mail and phone verification that makes it CONDITIONALLY_IDENTIFIED,
//! and the six paths that validate it — the office visit, the validation point, a request from a
//! data box, the data-box button in the account, a notarised signature by post and a Czech POINT
//! request — each a function here, each decision recorded in the audit log (who, role, what,
//! when, from where, on whom).
//!
//! The desk's paths are approved only in its working hours, never on a public holiday
//! ([`desk`]), by an actor in the role `validation_desk` ([`DESK`]); the citizen's own (the
//! data-box button, finishing a Czech POINT request) at any time, by the account's holder
//! ([`Actor::require_holder`]). A validation covers the
//! account's mandatory data ([`crate::model::mojeid::fingerprint`]): changing one here drops it
//! (audited), and a change made anywhere else ends it as surely, since the status compares the
//! data with what was validated.

mod back_office;
mod contacts;
pub mod desk;
mod paths;

use serde_json::{Value, json};

pub use back_office::{AccountRecord, DeskRequest};
pub use contacts::{ContactsView, EmailOutcome, PhoneOutcome};
pub use paths::{DataBoxRefusal, DeskEvidence};

use crate::clock::Timestamp;
use crate::config::DeskConfig;
use crate::model::clerk::Role;
use crate::model::mojeid::{self, AccountKind, MojeidAccount, Status, Validation, ValidationPath};
use crate::model::person::{Ico, NAME_MAX};
use crate::model::{Address, User};
use crate::store::{StoreError, Stores};
use crate::validation::actor::{Actor, Capacity, Forbidden};
use crate::validation::audit;

/// The roles that approve the desk's paths (a visit, a verified signature, a data message).
pub const DESK: &[Role] = &[Role::ValidationDesk];
/// The roles that find and read accounts, and keep their data (the operator as administrator).
pub const KEEPERS: &[Role] = &[Role::Administrator, Role::ValidationDesk];

/// CZ.NIC's IČO: the recipient of a Czech POINT request to give the register's data to mojeID.
pub const CZ_NIC_ICO: &str = "67985726";

/// Why a step was refused; each says what to do, and none holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum MojeidError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// A field missing or malformed, named as the account names it.
    #[error("{field}: {problem}")]
    Field { field: &'static str, problem: String },
    #[error("no account {0}")]
    NoAccount(String),
    #[error(
        "the account is {0}: its e-mail address and phone number must be verified first \
         (CONDITIONALLY_IDENTIFIED) before it can be validated"
    )]
    NotConditionallyIdentified(&'static str),
    /// The desk is closed now: `now` in Prague, why (a holiday, a closed day) when the whole day
    /// is, its hours, and when it opens next.
    #[error(
        "the validation desk is closed: it is now {now}{}; it approves requests in its working hours ({hours}){}",
        closed_day.as_ref().map(|why| format!(", {why}")).unwrap_or_default(),
        opens.as_ref().map(|at| format!(" and opens next on {at}: come back then")).unwrap_or_default()
    )]
    OutsideDeskHours { hours: String, now: String, closed_day: Option<String>, opens: Option<String> },
    #[error(
        "{path} is for natural persons only: the account has an organisation or IČO \
         (Tato možnost je dostupná pouze fyzickým osobám.)"
    )]
    NaturalPersonsOnly { path: &'static str },
    #[error(
        "a request from a data box validates only accounts that give an organisation and IČO \
         (Prostřednictvím datové schránky – toto však platí pouze pro osoby, které mají v účtu \
         uvedenou organizaci a IČO.)"
    )]
    BusinessOnly,
    #[error("{0}")]
    DataBox(DataBoxRefusal),
    /// What the evidence shows differs from the account: the field named.
    #[error("{field} differs: the account has {account:?}, the {source_name} has {evidence:?}")]
    Mismatch { field: &'static str, account: String, evidence: String, source_name: &'static str },
    /// Path 6: the register's data from the account's Czech POINT request have not arrived.
    #[error(
        "the register's data from Czech POINT have not arrived under this account's request identifier yet; \
         wait for the e-mail about the request, and check the identifier on the confirmation"
    )]
    CzechPointPending,
    /// The evidence itself does not do (a document expired, a message not for mojeID).
    #[error("{0}")]
    Evidence(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn field(field: &'static str, problem: impl Into<String>) -> MojeidError {
    MojeidError::Field { field, problem: problem.into() }
}

/// A change of an account's kind and fields; `None` leaves a field as it is, an empty text
/// removes it.
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    pub kind: Option<AccountKind>,
    pub organisation: Option<String>,
    pub ico: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birthdate: Option<String>,
    /// The permanent address, or the seat of a business.
    pub street: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
}

/// An account as mojeID's pages and commands show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountView {
    pub user_id: String,
    pub username: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ico: Option<String>,
    /// The validation, current or lapsed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<Validation>,
    /// The identifier to give Czech POINT (natural persons).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub czech_point_request: Option<String>,
}

/// mojeID's accounts over the stores, as of `now`.
pub struct Accounts<'a> {
    pub stores: &'a Stores,
    pub desk: &'a DeskConfig,
    pub now: Timestamp,
}

impl Accounts<'_> {
    /// The account `username` and its mojeID part (a natural person's, when it has none yet).
    pub async fn find(&self, username: &str) -> Result<(User, MojeidAccount), MojeidError> {
        let user = self.stores.users.find_by_username(username).await?;
        let user = user.filter(|u| !u.disabled).ok_or_else(|| MojeidError::NoAccount(username.to_owned()))?;
        let account = self.of(&user).await?;
        Ok((user, account))
    }

    /// The mojeID part of `user`'s account (a natural person's, when it has none yet).
    pub async fn of(&self, user: &User) -> Result<MojeidAccount, MojeidError> {
        Ok(self.stores.mojeid_accounts.get(&user.id).await?.unwrap_or_else(|| MojeidAccount {
            user_id: user.id.clone(),
            kind: AccountKind::NaturalPerson,
            organisation: None,
            ico: None,
            validation: None,
            czech_point_request: None,
            updated_at: self.now,
        }))
    }

    /// What the account's pages and commands show.
    pub fn view(user: &User, account: &MojeidAccount) -> AccountView {
        let status = mojeid::status(user, Some(account));
        AccountView {
            user_id: user.id.clone(),
            username: user.username.clone(),
            kind: account.kind.code(),
            status: status.code(),
            valid: status == Status::Validated,
            organisation: account.organisation.clone(),
            ico: account.ico.clone(),
            validation: account.validation.clone(),
            czech_point_request: account.czech_point_request.clone(),
        }
    }

    /// What the account's page shows of `user`'s account as it now is, and, for a natural
    /// person not yet validated, the identifier to give Czech POINT (made on first view).
    pub async fn page(&self, user: &User) -> Result<(AccountView, Option<String>), MojeidError> {
        // As stored now: a validation may have just replaced the account's data.
        let user = self.stores.users.get(&user.id).await?.unwrap_or_else(|| user.clone());
        let account = self.of(&user).await?;
        let view = Self::view(&user, &account);
        let request = match account.kind.is_business() || view.valid {
            true => None,
            false => Some(self.czech_point_request(&user).await?),
        };
        Ok((view, request))
    }

    /// Changes the account's kind and fields, checking each (a business's organisation and
    /// IČO must be there); a change of a mandatory field ends the validation (the account is
    /// IDENTIFIED until validated again), audited.
    pub async fn change(
        &self,
        actor: &Actor,
        username: &str,
        change: AccountChange,
    ) -> Result<AccountView, MojeidError> {
        let role = actor.require(KEEPERS)?;
        let (mut user, mut account) = self.find(username).await?;
        let before = mojeid::status(&user, Some(&account));
        apply(&mut user, &mut account, change)?;
        check_kind(&account)?;
        // The validation stays on the record (which path, when), no longer current: IDENTIFIED.
        let lapsed = before == Status::Validated && mojeid::status(&user, Some(&account)) != Status::Validated;
        user.updated_at = self.now;
        account.updated_at = self.now;
        self.stores.users.update(&user).await?;
        self.stores.mojeid_accounts.put(&account).await?;
        let detail = json!({ "kind": account.kind.code(), "validation_lapsed": lapsed });
        self.audit(actor, role.into(), "mojeid.account", &user, detail).await?;
        Ok(Self::view(&user, &account))
    }

    /// Records the account's e-mail address and phone number as verified (the link and the
    /// code mojeID sends, done): the account becomes CONDITIONALLY_IDENTIFIED.
    pub async fn verify_contacts(&self, actor: &Actor, username: &str) -> Result<AccountView, MojeidError> {
        let role = actor.require(KEEPERS)?;
        let (mut user, account) = self.find(username).await?;
        if user.profile.email.as_deref().is_none_or(|e| e.trim().is_empty()) {
            return Err(field("email", "the account has no e-mail address to verify"));
        }
        if user.profile.phone_number.as_deref().is_none_or(|p| p.trim().is_empty()) {
            return Err(field("phone_number", "the account has no phone number to verify"));
        }
        user.profile.email_verified = Some(true);
        user.profile.phone_number_verified = Some(true);
        user.updated_at = self.now;
        self.stores.users.update(&user).await?;
        self.audit(actor, role.into(), "mojeid.verify_contacts", &user, json!({})).await?;
        Ok(Self::view(&user, &account))
    }

    /// Validates the account: checks that it may be (CONDITIONALLY_IDENTIFIED or beyond, its
    /// kind's required fields, the date of birth where the path compares it), records the
    /// validation over the account's data as they now are, and audits it.
    async fn validate(
        &self,
        actor: &Actor,
        capacity: Capacity,
        user: &User,
        mut account: MojeidAccount,
        path: ValidationPath,
        evidence: String,
    ) -> Result<AccountView, MojeidError> {
        ready(user, &account, path)?;
        account.validation = Some(Validation {
            path,
            at: self.now,
            by: actor.who().to_owned(),
            evidence: evidence.clone(),
            fingerprint: mojeid::fingerprint(user, Some(&account), account.kind),
        });
        account.updated_at = self.now;
        self.stores.mojeid_accounts.put(&account).await?;
        self.audit(actor, capacity, "mojeid.validate", user, json!({ "path": path.code(), "evidence": evidence }))
            .await?;
        Ok(Self::view(user, &account))
    }

    /// The desk's approvals happen in its working hours only.
    fn desk_open(&self) -> Result<(), MojeidError> {
        match desk::open(self.desk, self.now) {
            true => Ok(()),
            false => Err(MojeidError::OutsideDeskHours {
                hours: self.desk.describe(),
                now: desk::local_text(self.now),
                closed_day: desk::closed_because(self.desk, self.now),
                opens: desk::next_opening(self.desk, self.now).map(desk::text_of),
            }),
        }
    }

    async fn audit(
        &self,
        actor: &Actor,
        capacity: Capacity,
        action: &str,
        user: &User,
        detail: Value,
    ) -> Result<(), MojeidError> {
        let record = actor.record(capacity, action, Some(&user.id), detail, self.now);
        audit::record(&*self.stores.audit, record).await?;
        Ok(())
    }

    /// Records a refusal of a validation (the citizen's paths: they may try again).
    async fn refused(
        &self,
        actor: &Actor,
        capacity: Capacity,
        user: &User,
        path: ValidationPath,
        error: MojeidError,
    ) -> MojeidError {
        let detail = json!({ "path": path.code(), "reason": error.to_string() });
        match self.audit(actor, capacity, "mojeid.validate_refused", user, detail).await {
            Ok(()) => error,
            Err(failed) => failed,
        }
    }
}

/// Applies `change`, checking each field given.
fn apply(user: &mut User, account: &mut MojeidAccount, change: AccountChange) -> Result<(), MojeidError> {
    let text = |name: &'static str, value: String| -> Result<Option<String>, MojeidError> {
        let value = value.trim().to_owned();
        if value.is_empty() {
            return Ok(None);
        }
        if value.chars().count() > NAME_MAX || value.chars().any(char::is_control) {
            return Err(field(name, format!("at most {NAME_MAX} characters, without line breaks")));
        }
        Ok(Some(value))
    };
    let names_changed = change.given_name.is_some() || change.family_name.is_some();
    if let Some(kind) = change.kind {
        account.kind = kind;
    }
    if let Some(value) = change.organisation {
        account.organisation = text("organisation", value)?;
    }
    if let Some(value) = change.ico {
        account.ico = match text("ico", value)? {
            Some(ico) => Some(Ico::parse(&ico).map_err(|e| field("ico", e))?.to_string()),
            None => None,
        };
    }
    let p = &mut user.profile;
    if let Some(value) = change.given_name {
        p.given_name = text("given_name", value)?;
    }
    if let Some(value) = change.family_name {
        p.family_name = text("family_name", value)?;
    }
    if let Some(value) = change.birthdate {
        p.birthdate = match text("birthdate", value)? {
            Some(date) => {
                Some(crate::model::person::Date::parse(&date).map_err(|e| field("birthdate", e))?.to_string())
            }
            None => None,
        };
    }
    if names_changed {
        p.name = full_name(p.given_name.as_deref(), p.family_name.as_deref());
    }
    if change.street.is_some() || change.city.is_some() || change.postal_code.is_some() {
        let mut address = p.address.clone().unwrap_or_default();
        if let Some(value) = change.street {
            address.street_address = text("street", value)?;
        }
        if let Some(value) = change.city {
            address.locality = text("city", value)?;
        }
        if let Some(value) = change.postal_code {
            address.postal_code = text("postal_code", value)?;
        }
        address.formatted = None;
        p.address = (address != Address::default()).then_some(address);
    }
    Ok(())
}

fn full_name(given: Option<&str>, family: Option<&str>) -> Option<String> {
    let name = [given, family].into_iter().flatten().collect::<Vec<_>>().join(" ");
    (!name.is_empty()).then_some(name)
}

/// A business account names its organisation and IČO; a natural person's names neither.
fn check_kind(account: &MojeidAccount) -> Result<(), MojeidError> {
    match account.kind {
        AccountKind::NaturalPerson => {
            if account.organisation.is_some() || account.ico.is_some() {
                return Err(field(
                    "organisation",
                    "a natural person's account gives no organisation or IČO: make it an entrepreneur's \
                     (--kind entrepreneur) or a legal entity's (--kind legal_entity), or remove them",
                ));
            }
        }
        AccountKind::Entrepreneur | AccountKind::LegalEntity => {
            if account.organisation.is_none() {
                let what = match account.kind {
                    AccountKind::Entrepreneur => "the trade name, e.g. \"Adam Novák – autodoprava\"",
                    _ => "the legal entity's name",
                };
                return Err(field("organisation", format!("{} accounts need {what}", account.kind.code())));
            }
            if account.ico.is_none() {
                return Err(field("ico", format!("{} accounts need the IČO", account.kind.code())));
            }
        }
    }
    Ok(())
}

/// Whether the account may be validated by `path`: its status and its kind's required fields
/// (`shared/seeds/003_*`: names and the permanent address, or the seat; the organisation and
/// IČO of a business; the date of birth for the paths that compare it).
fn ready(user: &User, account: &MojeidAccount, path: ValidationPath) -> Result<(), MojeidError> {
    let status = mojeid::status(user, Some(account));
    if status < Status::ConditionallyIdentified {
        return Err(MojeidError::NotConditionallyIdentified(status.code()));
    }
    check_kind(account)?;
    let p = &user.profile;
    let missing = |value: Option<&str>| value.is_none_or(|v| v.trim().is_empty());
    let names = match account.kind {
        AccountKind::LegalEntity => "the statutory body's (a director's, the board chair's) ",
        _ => "",
    };
    if missing(p.given_name.as_deref()) {
        return Err(field("given_name", format!("{names}given name is needed, as on the identity document")));
    }
    if missing(p.family_name.as_deref()) {
        return Err(field("family_name", format!("{names}family name is needed, as on the identity document")));
    }
    let address = p.address.as_ref();
    if address.is_none_or(|a| missing(a.street_address.as_deref()) && missing(a.formatted.as_deref()))
        || address.is_none_or(|a| missing(a.locality.as_deref()) && missing(a.formatted.as_deref()))
    {
        let what = match account.kind {
            AccountKind::NaturalPerson => "the permanent address (street and city) is needed",
            _ => "the seat's address (street and city) is needed",
        };
        return Err(field("address", what));
    }
    if path.needs_birthdate() && missing(p.birthdate.as_deref()) {
        return Err(field("birthdate", "the date of birth is needed for a validation with an identity document"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
