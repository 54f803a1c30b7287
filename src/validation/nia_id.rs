//! NIA ID's online registration (seed 000, "How to set up your NIA ID"), the citizen's side:
//!
//! 1. The registration form: a username, a password, an e-mail address and a +420 number. The
//!    account is created disabled, and a confirmation e-mail carries a link.
//! 2. The link verifies the address; a second e-mail gives the **identification code** and what
//!    to ask for at a Czech POINT office.
//! 3. A Czech POINT clerk checks the citizen's document and records the request to provide
//!    reference data from the register to DIA (IČO [`RECIPIENT_ICO`]) with the code as its
//!    message; [`deliver`] then binds the account to the person found and enables it.
//!
//! A mistyped code finds no registration: the request stays with the register and the account
//! waits (the clerk is told, so the request can be made again with the right code).

use std::net::IpAddr;

use rand::Rng;

use crate::authn::password::{PasswordHasher, Verdict};
use crate::clock::Timestamp;
use crate::model::czech_point::DIA_ICO;
use crate::model::person::{Email, Phone};
use crate::model::person::{Ico, Person};
use crate::model::{CzechPointRequest, NiaRegistration, Profile, RegistrationState, User};
use crate::notify::{Notifier, NotifyError};
use crate::secret;
use crate::store::{StoreError, Stores};
use crate::validation::czech_point;
use crate::validation::databox::{DataBoxError, DataBoxes, Identified};

/// The recipient of the Czech POINT request that activates NIA ID: Digitální a informační
/// agentura.
pub const RECIPIENT_ICO: &str = DIA_ICO;
/// The recipient's name, as the clerk's form shows it.
pub const RECIPIENT_NAME: &str = "Digitální a informační agentura";
/// How long the confirmation link works: three days.
pub const LINK_TTL: i64 = 3 * 24 * 3600;
/// The identification code's length and alphabet (no 0/O, 1/I/L to misread at the counter).
const CODE_LENGTH: usize = 12;
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const USERNAME_MAX: usize = 64;
const PASSWORD_MIN: usize = 8;
const PASSWORD_MAX: usize = 128;
/// Registrations from one address per [`SOURCE_WINDOW`]: each sends an e-mail and hashes a
/// password, so the count is reserved before either.
pub const REGISTRATIONS_PER_SOURCE: u32 = 10;
pub const SOURCE_WINDOW: i64 = 3600;

/// What the citizen filled in.
#[derive(Debug, Clone, Default)]
pub struct RegistrationForm {
    pub username: String,
    pub password: String,
    pub password_again: String,
    pub email: String,
    pub phone: String,
    pub terms_accepted: bool,
}

/// A field of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Username,
    Password,
    PasswordAgain,
    Email,
    Phone,
    Terms,
}

impl Field {
    /// The form's name of the field.
    pub fn name(self) -> &'static str {
        match self {
            Field::Username => "username",
            Field::Password => "password",
            Field::PasswordAgain => "password_again",
            Field::Email => "email",
            Field::Phone => "phone",
            Field::Terms => "terms",
        }
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Missing,
    /// Not of the field's form (an e-mail address, a +420 number, the username's characters).
    Malformed,
    TooLong,
    /// A password shorter than [`PASSWORD_MIN`] or without a lower-case letter, an upper-case
    /// letter and a digit.
    Weak,
    /// The repeated password differs.
    Mismatch,
    /// The username belongs to another account.
    Taken,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("{}: {problem:?}", field.name())]
    Invalid { field: Field, problem: Problem },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sending the e-mail failed: {0}")]
    Notify(#[from] NotifyError),
    #[error("hashing the password failed: {0}")]
    Password(String),
    /// [`REGISTRATIONS_PER_SOURCE`] registrations came from this address in the window.
    #[error("too many registrations from this address")]
    TooMany { retry_at: Timestamp },
}

fn invalid(field: Field, problem: Problem) -> RegistrationError {
    RegistrationError::Invalid { field, problem }
}

/// The checked form: the first problem found, in the form's order.
fn check(form: &RegistrationForm) -> Result<(String, Email, Phone), RegistrationError> {
    let username = form.username.trim();
    if username.is_empty() {
        return Err(invalid(Field::Username, Problem::Missing));
    }
    if username.chars().count() > USERNAME_MAX {
        return Err(invalid(Field::Username, Problem::TooLong));
    }
    if !username.chars().all(|c| c.is_alphanumeric() || "._-@".contains(c)) {
        return Err(invalid(Field::Username, Problem::Malformed));
    }
    let password = &form.password;
    if password.is_empty() {
        return Err(invalid(Field::Password, Problem::Missing));
    }
    if password.chars().count() > PASSWORD_MAX {
        return Err(invalid(Field::Password, Problem::TooLong));
    }
    let strong = password.chars().count() >= PASSWORD_MIN
        && password.chars().any(char::is_lowercase)
        && password.chars().any(char::is_uppercase)
        && password.chars().any(|c| c.is_ascii_digit());
    if !strong {
        return Err(invalid(Field::Password, Problem::Weak));
    }
    if form.password_again != *password {
        return Err(invalid(Field::PasswordAgain, Problem::Mismatch));
    }
    let email = match form.email.trim() {
        "" => return Err(invalid(Field::Email, Problem::Missing)),
        text => Email::parse(text).map_err(|_| invalid(Field::Email, Problem::Malformed))?,
    };
    let phone = match form.phone.trim() {
        "" => return Err(invalid(Field::Phone, Problem::Missing)),
        text => Phone::parse(text).map_err(|_| invalid(Field::Phone, Problem::Malformed))?,
    };
    if !phone.as_str().starts_with("+420") {
        return Err(invalid(Field::Phone, Problem::Malformed));
    }
    if !form.terms_accepted {
        return Err(invalid(Field::Terms, Problem::Missing));
    }
    Ok((username.to_owned(), email, phone))
}

/// Where a registration comes from and goes to.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The browser's address: registrations from one are limited.
    pub source: IpAddr,
    /// The absolute URL of the confirmation page; the e-mail's link is `{confirm_url}?token=…`.
    pub confirm_url: &'a str,
    pub now: Timestamp,
}

/// Registers: the disabled account and its registration, and the confirmation e-mail.
pub async fn register(
    stores: &Stores,
    passwords: &PasswordHasher,
    notifier: &Notifier,
    form: &RegistrationForm,
    request: Request<'_>,
) -> Result<NiaRegistration, RegistrationError> {
    let Request { source, confirm_url, now } = request;
    let (username, email, phone) = check(form)?;
    let key = format!("nia-registration:{source}");
    let tally = stores.counters.tally(&key, now + SOURCE_WINDOW, now).await?;
    if tally.count > REGISTRATIONS_PER_SOURCE {
        return Err(RegistrationError::TooMany { retry_at: tally.ends_at });
    }
    let password_hash = passwords.hash(&form.password).await.map_err(|e| RegistrationError::Password(e.to_string()))?;
    let user = User {
        id: uuid::Uuid::new_v4().to_string(),
        username,
        password_hash,
        profile: Profile {
            email: Some(email.to_string()),
            email_verified: Some(false),
            phone_number: Some(phone.as_str().to_owned()),
            phone_number_verified: Some(false),
            ..Profile::default()
        },
        updated_at: now,
        created_at: now,
        disabled: true,
    };
    let token = secret::random_token(32);
    let registration = NiaRegistration {
        user_id: user.id.clone(),
        state: RegistrationState::AwaitingEmail,
        email: email.to_string(),
        phone: phone.as_str().to_owned(),
        email_token: secret::digest(&token),
        identification_code: None,
        created_at: now,
        expires_at: now + LINK_TTL,
        verified_at: None,
        activated_at: None,
        person_id: None,
    };
    stores.registrations.register(&user, &registration, now).await.map_err(|e| match e {
        StoreError::Conflict(_) => invalid(Field::Username, Problem::Taken),
        other => other.into(),
    })?;
    let link = format!("{confirm_url}?token={token}");
    let sent = notifier
        .send_email(
            &registration.email,
            "NIA ID: potvrzení e-mailové adresy / confirm your e-mail address",
            &format!(
                "Dobrý den,\n\nregistraci identifikačního prostředku NIA ID pro uživatele {username} dokončíte \
                 potvrzením e-mailové adresy na tomto odkazu (platí 3 dny):\n\n{link}\n\n\
                 To finish registering the NIA ID of the user {username}, confirm your e-mail address at the \
                 link above (valid for 3 days).\n",
                username = user.username,
            ),
        )
        .await;
    if let Err(e) = sent {
        // Without its link the registration could never be confirmed: it is taken back, so the
        // citizen can simply send the form again.
        stores.users.delete(&user.id).await?;
        return Err(e.into());
    }
    tracing::info!(user_id = %user.id, "a NIA ID registration awaits its e-mail");
    Ok(registration)
}

/// What following the confirmation link did.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirmation {
    /// The address is verified and the identification code sent.
    Confirmed(NiaRegistration),
    /// The link was followed before; the code went out then.
    AlreadyConfirmed(NiaRegistration),
    /// The link lapsed (register again).
    Expired,
    /// No registration has this link (mistyped, or lapsed and removed).
    Unknown,
}

/// Follows the confirmation link: verifies the address and sends the identification code with
/// what to do at Czech POINT.
pub async fn confirm(
    stores: &Stores,
    notifier: &Notifier,
    token: &str,
    now: Timestamp,
) -> Result<Confirmation, RegistrationError> {
    let Some(stored) = stores.registrations.by_email_token(&secret::digest(token)).await? else {
        return Ok(Confirmation::Unknown);
    };
    if stored.state != RegistrationState::AwaitingEmail {
        return Ok(Confirmation::AlreadyConfirmed(stored));
    }
    if stored.expires_at <= now {
        return Ok(Confirmation::Expired);
    }
    let mut confirmed = stored.clone();
    confirmed.state = RegistrationState::AwaitingIdentity;
    confirmed.verified_at = Some(now);
    // A code taken already (one chance in 31^12) is drawn again.
    for _ in 0..3 {
        confirmed.identification_code = Some(identification_code());
        match stores.registrations.advance(&confirmed, RegistrationState::AwaitingEmail).await {
            Ok(true) => {
                send_code(notifier, &confirmed).await?;
                tracing::info!(user_id = %confirmed.user_id, "a NIA ID registration awaits identity");
                return Ok(Confirmation::Confirmed(confirmed));
            }
            // Another click of the same link won the race.
            Ok(false) => {
                let now_stored = stores.registrations.of_user(&stored.user_id).await?;
                return Ok(now_stored.map_or(Confirmation::Unknown, Confirmation::AlreadyConfirmed));
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict("no free identification code".into()).into())
}

/// The second e-mail: the code and the request to ask for at Czech POINT.
async fn send_code(notifier: &Notifier, registration: &NiaRegistration) -> Result<(), NotifyError> {
    let code = registration.identification_code.as_deref().unwrap_or_default();
    notifier
        .send_email(
            &registration.email,
            "NIA ID: identifikační kód / your identification code",
            &format!(
                "Dobrý den,\n\nvaše e-mailová adresa je ověřena. Váš IDENTIFIKAČNÍ KÓD: {code}\n\n\
                 Registraci dokončíte na kterémkoli pracovišti Czech POINT s platným dokladem totožnosti. \
                 Požádejte o „Žádost o poskytnutí referenčních údajů z registru obyvatel jiné osobě“:\n\
                 - příjemce: IČO {RECIPIENT_ICO} ({RECIPIENT_NAME}),\n\
                 - souhlas: jednorázový,\n\
                 - rozsah údajů: všechny,\n\
                 - zpráva pro příjemce: identifikační kód {code}.\n\
                 Před podpisem zkontrolujte, že je identifikační kód zapsán správně.\n\n\
                 Your e-mail address is verified. Your IDENTIFICATION CODE: {code}\n\
                 Visit any Czech POINT office with your identity document and ask for the \"Request to provide \
                 reference data from the Registry of Inhabitants to another person\": recipient IČO \
                 {RECIPIENT_ICO} ({RECIPIENT_NAME}), one-time consent, scope \"všechny\", message: the \
                 identification code {code}. Check that the code is written correctly before you sign.\n"
            ),
        )
        .await
}

/// A fresh identification code.
fn identification_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LENGTH).map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char).collect()
}

/// What a Czech POINT request did to NIA ID's registrations.
#[derive(Debug, Clone, PartialEq)]
pub enum Activation {
    /// The account `username` is the person's and can log in.
    Activated { user_id: String, username: String },
    /// The message has the shape of NIA ID's identification code, but no registration awaits it:
    /// mistyped, or the address not yet confirmed. The clerk is told to check the code; the
    /// request stays with the register.
    UnknownCode,
    /// The request is not for NIA ID (another recipient, or a message of another shape, such as
    /// MEG's code): it stays with the register for its recipient.
    NoRegistration,
    /// The registration with this code is active already.
    AlreadyActive,
}

/// The message as an identification code: the clerk may have typed spaces, dashes or lower case.
pub fn normalised_code(message: &str) -> String {
    message.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_uppercase()
}

/// Whether `code` (normalised) has the identification code's length and alphabet.
fn is_code_shaped(code: &str) -> bool {
    code.len() == CODE_LENGTH && code.bytes().all(|b| CODE_ALPHABET.contains(&b))
}

/// Delivers a recorded Czech POINT request to NIA ID: when it is DIA's and its message is the
/// code of a registration awaiting identity, takes it (once; [`czech_point::take`]) and activates
/// the registration for the request's person — the register's names and date of birth become
/// the account's, the account belongs to the person and is enabled.
pub async fn deliver(stores: &Stores, request: &CzechPointRequest, now: Timestamp) -> Result<Activation, StoreError> {
    if request.recipient_ico != DIA_ICO {
        return Ok(Activation::NoRegistration);
    }
    let code = normalised_code(request.message.as_str());
    let unknown = if is_code_shaped(&code) { Activation::UnknownCode } else { Activation::NoRegistration };
    let Some(mut registration) = stores.registrations.by_code(&code).await? else {
        return Ok(unknown);
    };
    match registration.state {
        RegistrationState::Active => return Ok(Activation::AlreadyActive),
        RegistrationState::AwaitingEmail => return Ok(unknown),
        RegistrationState::AwaitingIdentity => {}
    }
    let Some(mut account) = stores.users.get(&registration.user_id).await? else {
        return Ok(Activation::NoRegistration);
    };
    let dia = Ico::parse(DIA_ICO).map_err(StoreError::Corrupt)?;
    let taken = czech_point::take(&*stores.czech_point, &*stores.persons, &dia, request.message.as_str(), now).await?;
    let Some(person) = taken else {
        // Taken by another recipient's step, or by a racing delivery.
        return Ok(Activation::AlreadyActive);
    };
    if !bind(stores, &mut registration, &mut account, &person, now).await? {
        return Ok(Activation::AlreadyActive);
    }
    tracing::info!(user_id = %account.id, "a NIA ID registration was activated through Czech POINT");
    Ok(Activation::Activated { user_id: account.id, username: account.username })
}

/// Binds the registration's account to `person` and enables it with the register's names and
/// date of birth; false when the registration no longer awaited identity (a racing activation).
async fn bind(
    stores: &Stores,
    registration: &mut NiaRegistration,
    account: &mut User,
    person: &Person,
    now: Timestamp,
) -> Result<bool, StoreError> {
    registration.state = RegistrationState::Active;
    registration.activated_at = Some(now);
    registration.person_id = Some(person.id().to_owned());
    let profile = &mut account.profile;
    profile.given_name = Some(person.given_names().to_owned());
    profile.family_name = Some(person.family_name().to_owned());
    profile.name = Some(format!("{} {}", person.given_names(), person.family_name()));
    profile.birthdate = Some(person.birth_date().to_string());
    profile.email_verified = Some(true);
    account.updated_at = now;
    account.disabled = false;
    stores.registrations.activate(registration, account).await
}

/// What the citizen types to activate a NIA ID with their data box: the NIA ID's username and
/// password, and the box's ID and password (the simulated ISDS login).
#[derive(Debug, Clone, Default)]
pub struct DataBoxActivation {
    pub username: String,
    pub password: String,
    pub box_id: String,
    pub box_password: String,
}

/// What the activation through a data box did; each refusal says what the citizen can do.
#[derive(Debug, Clone, PartialEq)]
pub enum BoxActivation {
    Activated {
        username: String,
    },
    /// The username or the password is wrong, or the account is not a NIA ID registration.
    WrongAccount,
    /// The registration's e-mail address is not confirmed yet.
    AwaitingEmail,
    AlreadyActive,
    /// The data box's ID or password is wrong.
    WrongBox,
    /// Not a natural person's box (its kind's code).
    NotNaturalPerson(&'static str),
    /// The register knows no one person as the box's owner: Czech POINT is the way.
    NotInRegister,
    TooMany {
        retry_at: Timestamp,
    },
}

/// Logins of one NIA ID to be activated, and from one address, per [`SOURCE_WINDOW`], counted
/// before the password's hash.
const ACTIVATIONS_PER_ACCOUNT: u32 = 10;
const ACTIVATIONS_PER_SOURCE: u32 = 30;

/// Activates a NIA ID awaiting identity with the citizen's data box instead of a Czech POINT
/// visit (seed 000: "set up your NIA ID using your Czech data box"): the NIA ID's own password
/// proves the registration is theirs, and the box's owner is the register's person it is bound to.
pub async fn activate_by_data_box(
    stores: &Stores,
    passwords: &PasswordHasher,
    form: &DataBoxActivation,
    source: IpAddr,
    now: Timestamp,
) -> Result<BoxActivation, RegistrationError> {
    let username = form.username.trim();
    for (key, limit) in [
        (format!("nia-databox:{}", username.to_lowercase()), ACTIVATIONS_PER_ACCOUNT),
        (format!("nia-databox-source:{source}"), ACTIVATIONS_PER_SOURCE),
    ] {
        let tally = stores.counters.tally(&key, now + SOURCE_WINDOW, now).await?;
        if tally.count > limit {
            return Ok(BoxActivation::TooMany { retry_at: tally.ends_at });
        }
    }
    let user = if username.is_empty() { None } else { stores.users.find_by_username(username).await? };
    let verdict = passwords
        .verify(user.as_ref().map(|u| u.password_hash.as_str()), &form.password)
        .await
        .map_err(|e| RegistrationError::Password(e.to_string()))?;
    let (Some(mut account), Verdict::Valid | Verdict::ValidNeedsRehash) = (user, verdict) else {
        return Ok(BoxActivation::WrongAccount);
    };
    let Some(mut registration) = stores.registrations.of_user(&account.id).await? else {
        return Ok(BoxActivation::WrongAccount);
    };
    match registration.state {
        RegistrationState::AwaitingEmail => return Ok(BoxActivation::AwaitingEmail),
        RegistrationState::Active => return Ok(BoxActivation::AlreadyActive),
        RegistrationState::AwaitingIdentity => {}
    }
    let boxes = DataBoxes { stores, now };
    let identified =
        boxes.identify(&form.box_id, &form.box_password, source, passwords).await.map_err(|e| match e {
            DataBoxError::Store(e) => RegistrationError::Store(e),
            other => RegistrationError::Password(other.to_string()),
        })?;
    let person = match identified {
        Identified::Person(person) => person,
        Identified::WrongLogin => return Ok(BoxActivation::WrongBox),
        Identified::NotNaturalPerson(kind) => return Ok(BoxActivation::NotNaturalPerson(kind.code())),
        Identified::NotInRegister => return Ok(BoxActivation::NotInRegister),
        Identified::TooMany { retry_at } => return Ok(BoxActivation::TooMany { retry_at }),
    };
    if !bind(stores, &mut registration, &mut account, &person, now).await? {
        return Ok(BoxActivation::AlreadyActive);
    }
    tracing::info!(user_id = %account.id, "a NIA ID registration was activated through a data box");
    Ok(BoxActivation::Activated { username: account.username })
}

#[cfg(test)]
mod tests;
