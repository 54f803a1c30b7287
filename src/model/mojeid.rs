//! A mojeID account beyond its login: its kind (a natural person, an entrepreneur, a legal
//! entity) with the fields each kind needs, and its validation — which of the six paths of
//! mojeID's validation (`shared/seeds/003_*`) validated it, when, by whom, and over which data.
//!
//! The person's own data (names, date of birth, address, e-mail, phone) are the account's
//! profile ([`User::profile`]); this record adds what mojeID asks of a business. A validation
//! keeps a fingerprint of the mandatory data it validated, so that any later change of them —
//! whoever makes it, wherever — ends the validation at once ([`status`]).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::model::User;

/// The kinds of mojeID account (`shared/seeds/003_*`, "Fyzická osoba", "Podnikající osoba",
/// "Právnická osoba").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A natural person: names and permanent address.
    NaturalPerson,
    /// A natural person in business: names, the business's seat (the address), the trade name
    /// (`organisation`) and IČO.
    Entrepreneur,
    /// A legal entity: its name (`organisation`), IČO and seat (the address); the names are the
    /// statutory body's (a director, the chair of the board).
    LegalEntity,
}

impl AccountKind {
    pub fn parse(text: &str) -> Result<AccountKind, String> {
        match text {
            "natural_person" | "natural" | "fo" => Ok(AccountKind::NaturalPerson),
            "entrepreneur" | "pfo" => Ok(AccountKind::Entrepreneur),
            "legal_entity" | "legal" | "po" => Ok(AccountKind::LegalEntity),
            _ => Err(format!("{text:?} is not an account kind: natural_person, entrepreneur or legal_entity")),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            AccountKind::NaturalPerson => "natural_person",
            AccountKind::Entrepreneur => "entrepreneur",
            AccountKind::LegalEntity => "legal_entity",
        }
    }

    /// Whether the account names an organisation and its IČO.
    pub fn is_business(self) -> bool {
        self != AccountKind::NaturalPerson
    }
}

/// The six ways an account is validated (`shared/seeds/003_*`, "Validovat se můžete takto").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidationPath {
    /// A visit to CZ.NIC's office (Milešovská 5, Praha 3) with an identity document.
    Office,
    /// A visit to a validation point (kontaktní místo) with an identity document.
    ValidationPoint,
    /// A request sent from the holder's data box to mojeID's (`h4axdn8`), processed by the desk.
    #[serde(rename = "databox_message")]
    DataBoxMessage,
    /// The button in the account: the citizen logs in to their data box, whose owner data
    /// validate the account (natural persons only).
    #[serde(rename = "databox_button")]
    DataBoxButton,
    /// A request with an officially or notarially verified signature, received by post.
    NotarisedSignature,
    /// A request at Czech POINT to give the register's data to CZ.NIC, finished by the citizen
    /// in the account's settings.
    CzechPoint,
}

impl ValidationPath {
    pub const ALL: [ValidationPath; 6] = [
        ValidationPath::Office,
        ValidationPath::ValidationPoint,
        ValidationPath::DataBoxMessage,
        ValidationPath::DataBoxButton,
        ValidationPath::NotarisedSignature,
        ValidationPath::CzechPoint,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ValidationPath::Office => "office",
            ValidationPath::ValidationPoint => "validation_point",
            ValidationPath::DataBoxMessage => "databox_message",
            ValidationPath::DataBoxButton => "databox_button",
            ValidationPath::NotarisedSignature => "notarised_signature",
            ValidationPath::CzechPoint => "czech_point",
        }
    }

    pub fn parse(text: &str) -> Result<ValidationPath, String> {
        let wanted = text.replace('-', "_");
        Self::ALL.into_iter().find(|p| p.code() == wanted).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|p| p.code()).collect();
            format!("{text:?} is not a validation path: {}", names.join(", "))
        })
    }

    /// Whether the validation desk approves it (in its working hours), rather than the
    /// citizen finishing it in the account.
    pub fn by_desk(self) -> bool {
        !matches!(self, ValidationPath::DataBoxButton | ValidationPath::CzechPoint)
    }

    /// Whether the account must give the date of birth for it: the visits and the verified
    /// signature compare it with a document.
    pub fn needs_birthdate(self) -> bool {
        matches!(self, ValidationPath::Office | ValidationPath::ValidationPoint | ValidationPath::NotarisedSignature)
    }
}

/// A validation: its path, when and by whom, what it rests on, and the fingerprint of the
/// mandatory data it validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validation {
    pub path: ValidationPath,
    pub at: Timestamp,
    /// The desk worker, or the citizen's account for the paths they finish themselves.
    pub by: String,
    /// What it rests on: the document seen, the data-box message, the notary's verification.
    pub evidence: String,
    /// [`fingerprint`] of the mandatory data when validated.
    pub fingerprint: String,
}

/// The mojeID part of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MojeidAccount {
    pub user_id: String,
    pub kind: AccountKind,
    /// The trade name or the legal entity's name (`Organizace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// Checked by `model::person::Ico::parse` when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ico: Option<String>,
    /// The current validation, if any; a lapsed one is kept until another replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Validation>,
    /// The identifier the citizen gives Czech POINT as the request's message (path 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub czech_point_request: Option<String>,
    pub updated_at: Timestamp,
}

/// mojeID's account statuses (`shared/reference/nia_mojeid.md` §8.4), in the order an account
/// climbs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Registered,
    /// E-mail address and phone number verified.
    ConditionallyIdentified,
    /// Validated once, but a mandatory field has changed since: the identity was verified, the
    /// data it was verified with are no longer the account's.
    Identified,
    /// Validated, with the mandatory data still as validated.
    Validated,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Registered => "REGISTERED",
            Status::ConditionallyIdentified => "CONDITIONALLY_IDENTIFIED",
            Status::Identified => "IDENTIFIED",
            Status::Validated => "VALIDATED",
        }
    }
}

/// The account's status: VALIDATED while its validation holds (the mandatory data unchanged),
/// IDENTIFIED once it lapsed, else CONDITIONALLY_IDENTIFIED with a verified e-mail and phone.
pub fn status(user: &User, account: Option<&MojeidAccount>) -> Status {
    if let Some(validation) = account.and_then(|a| a.validation.as_ref()) {
        let kind = account.map_or(AccountKind::NaturalPerson, |a| a.kind);
        return match validation.fingerprint == fingerprint(user, account, kind) {
            true => Status::Validated,
            false => Status::Identified,
        };
    }
    match (user.profile.email_verified, user.profile.phone_number_verified) {
        (Some(true), Some(true)) => Status::ConditionallyIdentified,
        _ => Status::Registered,
    }
}

/// The digest of the data a validation covers (`shared/seeds/003_*`: "jméno, příjmení, datum
/// narození a adresu trvalého bydliště nebo organizaci, IČO a sídlo"), and the account's kind.
pub fn fingerprint(user: &User, account: Option<&MojeidAccount>, kind: AccountKind) -> String {
    let p = &user.profile;
    let address = p.address.as_ref().map(|a| {
        [&a.formatted, &a.street_address, &a.locality, &a.region, &a.postal_code, &a.country]
            .map(|v| v.as_deref().unwrap_or_default().trim().to_owned())
    });
    let mandatory = serde_json::json!([
        kind.code(),
        p.given_name.as_deref().map(str::trim),
        p.family_name.as_deref().map(str::trim),
        p.birthdate,
        address,
        account.and_then(|a| a.organisation.as_deref()).map(str::trim),
        account.and_then(|a| a.ico.as_deref()),
    ]);
    Sha256::digest(mandatory.to_string().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, Profile};

    fn user(family: &str) -> User {
        User {
            id: "u1".into(),
            username: "jana".into(),
            password_hash: String::new(),
            profile: Profile {
                given_name: Some("Jana".into()),
                family_name: Some(family.into()),
                email_verified: Some(true),
                phone_number_verified: Some(true),
                address: Some(Address { street_address: Some("Milešovská 5".into()), ..Address::default() }),
                ..Profile::default()
            },
            updated_at: 0,
            created_at: 0,
            disabled: false,
        }
    }

    #[test]
    fn a_validation_holds_while_the_mandatory_data_do_and_lapses_when_one_changes() {
        let before = user("Nováková");
        let mut account = MojeidAccount {
            user_id: "u1".into(),
            kind: AccountKind::NaturalPerson,
            organisation: None,
            ico: None,
            validation: None,
            czech_point_request: None,
            updated_at: 0,
        };
        assert_eq!(status(&before, Some(&account)), Status::ConditionallyIdentified);
        account.validation = Some(Validation {
            path: ValidationPath::Office,
            at: 1,
            by: "desk".into(),
            evidence: "ID 123456789".into(),
            fingerprint: fingerprint(&before, Some(&account), account.kind),
        });
        assert_eq!(status(&before, Some(&account)), Status::Validated);
        assert_eq!(status(&user("Svobodová"), Some(&account)), Status::Identified);
        let mut unverified = user("Nováková");
        unverified.profile.phone_number_verified = None;
        assert_eq!(status(&unverified, None), Status::Registered);
    }

    #[test]
    fn paths_read_by_their_codes() {
        for path in ValidationPath::ALL {
            assert_eq!(ValidationPath::parse(path.code()), Ok(path));
        }
        assert_eq!(ValidationPath::parse("czech-point"), Ok(ValidationPath::CzechPoint));
        assert!(ValidationPath::parse("e-signature").unwrap_err().contains("office"));
        for path in ValidationPath::ALL {
            assert_eq!(serde_json::to_value(path).unwrap(), path.code(), "stored as its code");
        }
    }
}
