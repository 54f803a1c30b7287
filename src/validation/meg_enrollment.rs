//! MEG's enrollment through Czech POINT (seed 000, "How to set up your MEG"), as the app goes
//! through it:
//!
//! 1. "Zřídit účet pomocí návštěvy CZECHPOINT": the app sends a +420 number ([`start`]); an SMS
//!    code goes to it.
//! 2. The app sends the code with the terms accepted ([`confirm`]) and gets its **identification
//!    code** for the Czech POINT clerk.
//! 3. A clerk records the request to provide reference data from the register to DIA with that
//!    code as its message (`validation::czech_point`).
//! 4. "Hotovo" ([`finish`]): the app sends its public key; the request is taken (once), and the
//!    device is paired to the person's account — the one the person has, or a new one.
//!
//! Between the steps the app carries the enrollment itself, sealed by the server
//! ([`secret::seal`]): nothing is stored before the device is, so an abandoned enrollment leaves
//! nothing behind, and any node can serve any step. The SMS code is in the seal only as a MAC
//! under the server's secret, so holding the seal does not tell the code. The code's attempts
//! and the seal's one use are counted in the store, reserved before the comparison.

use std::net::IpAddr;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::authn::PasswordHasher;
use crate::clock::Timestamp;
use crate::meg::is_public_key;
use crate::model::czech_point::DIA_ICO;
use crate::model::person::{Ico, Phone};
use crate::model::{Device, DeviceStatus, Person, Profile, User};
use crate::notify::{Notifier, NotifyError};
use crate::secret;
use crate::store::{StoreError, Stores};
use crate::validation::czech_point;
use crate::validation::databox::{DataBoxError, DataBoxes, Identified};

/// How long the SMS code (and the first seal) is good for: ten minutes.
pub const SMS_TTL: i64 = 600;
/// How long the app may take to visit Czech POINT: thirty days.
pub const VISIT_TTL: i64 = 30 * 24 * 3600;
/// Attempts at one SMS code.
pub const CODE_ATTEMPTS: u32 = 3;
/// SMS codes per number, and enrollments per address, per [`WINDOW`].
pub const SENDS_PER_NUMBER: u32 = 5;
pub const STARTS_PER_SOURCE: u32 = 20;
pub const WINDOW: i64 = 3600;
/// The identification code's length (the guide shows ten characters) and alphabet.
const CODE_LENGTH: usize = 10;
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const NAME_MAX: usize = 64;
/// The seal's purposes: one per step, so a seal of one step is nothing at another.
const SMS_SEAL: &str = "meg-enrollment-sms";
const VISIT_SEAL: &str = "meg-enrollment-visit";

/// What the app carries from [`start`] to [`confirm`].
#[derive(Debug, Serialize, Deserialize)]
struct SmsStep {
    phone: String,
    /// MAC of the SMS code.
    code: String,
    nonce: String,
    expires_at: Timestamp,
}

/// What the app carries from [`confirm`] to [`finish`].
#[derive(Debug, Serialize, Deserialize)]
struct VisitStep {
    phone: String,
    identification_code: String,
    expires_at: Timestamp,
}

/// Why a step is refused; each says what the app (or its holder) can do.
#[derive(Debug, thiserror::Error)]
pub enum EnrollmentError {
    #[error("phone: {0}")]
    BadPhone(String),
    #[error("too many SMS codes to this number or enrollments from this address; try again at {retry_at}")]
    TooMany { retry_at: Timestamp },
    #[error("the enrollment is unknown or has expired; start again")]
    Expired,
    #[error("the terms must be accepted")]
    TermsNotAccepted,
    #[error("the SMS code is wrong; {left} attempts left")]
    WrongCode { left: u32 },
    #[error("the SMS code has had its attempts, or was used; start again")]
    CodeSpent,
    #[error("public_key must be a P-256 point (base64url)")]
    BadPublicKey,
    #[error("name must be 1 to 64 printable characters")]
    BadName,
    /// "Hotovo" before the clerk recorded the request (or with it recorded under another code).
    #[error(
        "no Czech POINT request with your identification code has been recorded yet: visit a Czech POINT office \
         (recipient IČO 17651921, one-time consent, scope všechny, message: your identification code), then tap Hotovo again"
    )]
    AwaitingCzechPoint,
    #[error("the data box's ID or password is wrong")]
    WrongDataBox,
    #[error(
        "a {0} data box does not identify a person: log in to your own natural person's (FO) data box, or visit a Czech POINT office"
    )]
    NotNaturalPersonBox(&'static str),
    #[error(
        "the register of inhabitants does not know this data box's owner: finish the enrollment at a Czech POINT office"
    )]
    BoxOwnerUnknown,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sending the SMS failed: {0}")]
    Notify(#[from] NotifyError),
}

/// The server's side of the steps: its stores, its texts' way out, its secret.
pub struct Enrollment<'a> {
    pub stores: &'a Stores,
    pub notifier: &'a Notifier,
    /// The server's secret salt, shared by its nodes: the seals' key.
    pub salt: &'a str,
    /// For a new account's password: a random one nobody knows (MEG logs in without one).
    pub passwords: &'a PasswordHasher,
}

/// What [`start`] gives the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Started {
    pub enrollment: String,
    pub expires_at: Timestamp,
}

/// What [`confirm`] gives the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confirmed {
    pub identification_code: String,
    /// The seal to send with "Hotovo".
    pub enrollment: String,
    pub expires_at: Timestamp,
}

/// What [`finish`] gives the app: the device paired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub device: Device,
    pub username: String,
}

impl Enrollment<'_> {
    /// Step 1: the number; the SMS code goes to it.
    pub async fn start(&self, phone: &str, source: IpAddr, now: Timestamp) -> Result<Started, EnrollmentError> {
        let phone = Phone::parse(phone).map_err(EnrollmentError::BadPhone)?;
        if !phone.as_str().starts_with("+420") {
            return Err(EnrollmentError::BadPhone("MEG needs a Czech number: +420 and nine digits".into()));
        }
        for (key, limit) in [
            (format!("meg-enroll-source:{source}"), STARTS_PER_SOURCE),
            (format!("meg-enroll-phone:{phone}"), SENDS_PER_NUMBER),
        ] {
            let tally = self.stores.counters.tally(&key, now + WINDOW, now).await?;
            if tally.count > limit {
                return Err(EnrollmentError::TooMany { retry_at: tally.ends_at });
            }
        }
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000));
        let step = SmsStep {
            phone: phone.to_string(),
            code: secret::mac(SMS_SEAL, self.salt, code.as_bytes()),
            nonce: secret::random_token(16),
            expires_at: now + SMS_TTL,
        };
        let text = format!("Mobilní klíč eGovernmentu: ověřovací kód {code}. Kód nikomu nesdělujte.");
        self.notifier.send_sms(phone.as_str(), &text).await?;
        Ok(Started { enrollment: secret::seal(SMS_SEAL, self.salt, &step), expires_at: step.expires_at })
    }

    /// Step 2: the SMS code and the terms; the identification code for Czech POINT.
    pub async fn confirm(
        &self,
        enrollment: &str,
        code: &str,
        terms_accepted: bool,
        now: Timestamp,
    ) -> Result<Confirmed, EnrollmentError> {
        let step: SmsStep = secret::open(SMS_SEAL, self.salt, enrollment).ok_or(EnrollmentError::Expired)?;
        if step.expires_at <= now {
            return Err(EnrollmentError::Expired);
        }
        if !terms_accepted {
            return Err(EnrollmentError::TermsNotAccepted);
        }
        let attempts =
            self.stores.counters.increment(&format!("meg-enroll-code:{}", step.nonce), step.expires_at, now).await?;
        if attempts > CODE_ATTEMPTS {
            return Err(EnrollmentError::CodeSpent);
        }
        if !secret::constant_time_eq(&secret::mac(SMS_SEAL, self.salt, code.trim().as_bytes()), &step.code) {
            return Err(EnrollmentError::WrongCode { left: CODE_ATTEMPTS - attempts });
        }
        // The right code confirms one enrollment: a second confirmation of it is refused.
        if !self.stores.replay.remember(&format!("meg-enroll-used:{}", step.nonce), step.expires_at, now).await? {
            return Err(EnrollmentError::CodeSpent);
        }
        let visit =
            VisitStep { phone: step.phone, identification_code: identification_code(), expires_at: now + VISIT_TTL };
        Ok(Confirmed {
            identification_code: visit.identification_code.clone(),
            enrollment: secret::seal(VISIT_SEAL, self.salt, &visit),
            expires_at: visit.expires_at,
        })
    }

    /// Step 4, "Hotovo": the request the clerk recorded is taken and the device paired to the
    /// person's account (a new one, with the register's names and the number, if the person has
    /// none).
    pub async fn finish(
        &self,
        enrollment: &str,
        public_key: &str,
        name: &str,
        now: Timestamp,
    ) -> Result<Finished, EnrollmentError> {
        let visit = self.visit(enrollment, public_key, name, now)?;
        let name = name.trim();
        let dia = Ico::parse(DIA_ICO).map_err(StoreError::Corrupt)?;
        let stores = self.stores;
        let taken =
            czech_point::take(&*stores.czech_point, &*stores.persons, &dia, &visit.identification_code, now).await?;
        let person = taken.ok_or(EnrollmentError::AwaitingCzechPoint)?;
        let finished = self.pair(&person, &visit.phone, public_key, name, now).await?;
        tracing::info!(user_id = %finished.device.user_id, device = %finished.device.id, "MEG enrolled through Czech POINT");
        Ok(finished)
    }

    /// Step 4 without the Czech POINT visit (seed 000: "set up your MEG using your Czech data
    /// box"): the citizen logs in to their natural person's data box in the app, and the box's
    /// owner is the register's person the device is paired to. The logins are counted before
    /// the box's password is hashed ([`DataBoxes::identify`]).
    pub async fn finish_by_data_box(
        &self,
        enrollment: &str,
        device: (&str, &str),
        data_box: (&str, &str),
        source: IpAddr,
        now: Timestamp,
    ) -> Result<Finished, EnrollmentError> {
        let (public_key, name) = device;
        let visit = self.visit(enrollment, public_key, name, now)?;
        let boxes = DataBoxes { stores: self.stores, now };
        let identified = boxes.identify(data_box.0, data_box.1, source, self.passwords).await.map_err(|e| match e {
            DataBoxError::Store(e) => EnrollmentError::Store(e),
            other => EnrollmentError::Store(StoreError::Unavailable(other.to_string())),
        })?;
        let person = match identified {
            Identified::Person(person) => person,
            Identified::WrongLogin => return Err(EnrollmentError::WrongDataBox),
            Identified::NotNaturalPerson(kind) => return Err(EnrollmentError::NotNaturalPersonBox(kind.code())),
            Identified::NotInRegister => return Err(EnrollmentError::BoxOwnerUnknown),
            Identified::TooMany { retry_at } => return Err(EnrollmentError::TooMany { retry_at }),
        };
        // The sealed step is spent once, as the Czech POINT request is taken once.
        let once = format!("meg-enroll-box:{}", secret::digest(enrollment));
        if !self.stores.replay.remember(&once, visit.expires_at, now).await? {
            return Err(EnrollmentError::Expired);
        }
        let finished = self.pair(&person, &visit.phone, public_key, name.trim(), now).await?;
        tracing::info!(user_id = %finished.device.user_id, device = %finished.device.id, "MEG enrolled through a data box");
        Ok(finished)
    }

    /// The sealed visit step, unexpired, with the device's name and key checked.
    fn visit(
        &self,
        enrollment: &str,
        public_key: &str,
        name: &str,
        now: Timestamp,
    ) -> Result<VisitStep, EnrollmentError> {
        let visit: VisitStep = secret::open(VISIT_SEAL, self.salt, enrollment).ok_or(EnrollmentError::Expired)?;
        if visit.expires_at <= now {
            return Err(EnrollmentError::Expired);
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
            return Err(EnrollmentError::BadName);
        }
        if !is_public_key(public_key) {
            return Err(EnrollmentError::BadPublicKey);
        }
        Ok(visit)
    }

    /// The device paired to the person's account (a new one if the person has none).
    async fn pair(
        &self,
        person: &Person,
        phone: &str,
        public_key: &str,
        name: &str,
        now: Timestamp,
    ) -> Result<Finished, EnrollmentError> {
        let stores = self.stores;
        let account = self.account_of(person, phone, now).await?;
        let device = Device {
            id: secret::random_token(12),
            user_id: account.id.clone(),
            public_key: public_key.to_owned(),
            name: name.to_owned(),
            created_at: now,
            last_used_at: None,
            status: DeviceStatus::Active,
        };
        stores.devices.insert(&device).await?;
        Ok(Finished { device, username: account.username })
    }

    /// The person's enabled account, or a new one: username the number's digits (another suffix
    /// if taken), a random password nobody knows (MEG logs in without one; a login with a
    /// guessed one costs the same hash as any), the register's data.
    async fn account_of(&self, person: &Person, phone: &str, now: Timestamp) -> Result<User, EnrollmentError> {
        let stores = self.stores;
        for id in stores.persons.accounts_of(person.id()).await? {
            if let Some(user) = stores.users.get(&id).await?.filter(|u| !u.disabled) {
                return Ok(user);
            }
        }
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        let password_hash = self
            .passwords
            .hash(&secret::random_token(32))
            .await
            .map_err(|e| StoreError::Unavailable(format!("hashing a password: {e}")))?;
        for attempt in 0..5 {
            let username = if attempt == 0 { format!("meg-{digits}") } else { format!("meg-{digits}-{attempt}") };
            let user = User {
                id: uuid::Uuid::new_v4().to_string(),
                username,
                password_hash: password_hash.clone(),
                profile: Profile {
                    given_name: Some(person.given_names().to_owned()),
                    family_name: Some(person.family_name().to_owned()),
                    name: Some(format!("{} {}", person.given_names(), person.family_name())),
                    birthdate: Some(person.birth_date().to_string()),
                    phone_number: Some(phone.to_owned()),
                    phone_number_verified: Some(true),
                    ..Profile::default()
                },
                updated_at: now,
                created_at: now,
                disabled: false,
            };
            match stores.users.insert(&user).await {
                Ok(()) => {
                    stores.persons.link_account(&user.id, Some(person.id())).await?;
                    return Ok(user);
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict("no free username for the MEG account".into()).into())
    }
}

fn identification_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LENGTH).map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests;
