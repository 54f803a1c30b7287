//! A clerk of the back office: a login, a name, where the second factor's one-time code goes
//! (a phone or an e-mail address), the roles they act in, and whether they may log in.
//!
//! A [`Clerk`] holds only checked values: [`Clerk::parse`] reads one from a [`ClerkRecord`] (the
//! plain form the store keeps and the CLI prints) and names the field that fails.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::model::person::{Email, FieldError, Phone};

/// What a clerk may do; a clerk may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Records the requests made at a Czech POINT office, and reads the register to do it.
    CzechPoint,
    /// Validates mojeID accounts, and reads and corrects the register.
    ValidationDesk,
    /// Manages clerks and reads the audit log.
    Administrator,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::CzechPoint, Role::ValidationDesk, Role::Administrator];

    pub fn parse(text: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == text)
            .ok_or_else(|| format!("{text:?} is not a role: czech_point, validation_desk or administrator"))
    }

    /// The name in records, the audit log and the API.
    pub fn code(self) -> &'static str {
        match self {
            Role::CzechPoint => "czech_point",
            Role::ValidationDesk => "validation_desk",
            Role::Administrator => "administrator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where a clerk's one-time login code is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    Sms(Phone),
    Email(Email),
}

/// The longest clerk's login, in bytes.
pub const LOGIN_MAX: usize = 64;
/// The longest clerk's name, in characters.
pub const NAME_MAX: usize = 100;

/// A clerk's login: 1 to 64 of `a–z 0–9 . _ -`, lower case so that two logins never differ only
/// in case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClerkLogin(String);

impl ClerkLogin {
    pub fn parse(text: &str) -> Result<ClerkLogin, String> {
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
        if text.is_empty() || text.len() > LOGIN_MAX || !text.chars().all(allowed) {
            return Err(format!("{text:?} is not a login: 1 to {LOGIN_MAX} of a-z 0-9 . _ -"));
        }
        Ok(ClerkLogin(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClerkLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A clerk, every field checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clerk {
    pub(crate) login: ClerkLogin,
    pub(crate) name: String,
    pub(crate) second_factor: SecondFactor,
    pub(crate) roles: BTreeSet<Role>,
    pub(crate) disabled: bool,
    /// The password's argon2id PHC string.
    pub(crate) password_hash: String,
    pub(crate) created_at: Timestamp,
}

/// A clerk in plain values, as the store keeps it; read by [`Clerk::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClerkRecord {
    pub login: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub roles: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
    pub password_hash: String,
    pub created_at: Timestamp,
}

fn at(field: &str) -> impl FnOnce(String) -> FieldError + '_ {
    move |problem| FieldError { field: field.to_owned(), problem }
}

/// A name of one to [`NAME_MAX`] characters without control characters.
pub fn parse_name(text: &str) -> Result<String, String> {
    let count = text.chars().count();
    if text.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if count > NAME_MAX {
        return Err(format!("is {count} characters long; at most {NAME_MAX}"));
    }
    if text.chars().any(char::is_control) {
        return Err("must not hold control characters (line breaks, tabs)".into());
    }
    Ok(text.to_owned())
}

/// The second factor from a phone or an e-mail address: exactly one of them.
pub fn parse_second_factor(phone: Option<&str>, email: Option<&str>) -> Result<SecondFactor, FieldError> {
    match (phone, email) {
        (Some(phone), None) => Ok(SecondFactor::Sms(Phone::parse(phone).map_err(at("phone"))?)),
        (None, Some(email)) => Ok(SecondFactor::Email(Email::parse(email).map_err(at("email"))?)),
        _ => Err(at("phone")("give a phone number or an e-mail address for the login code, exactly one".into())),
    }
}

/// Roles from their codes; at least one.
pub fn parse_roles<S: AsRef<str>>(codes: &[S]) -> Result<BTreeSet<Role>, FieldError> {
    let roles: BTreeSet<Role> =
        codes.iter().map(|c| Role::parse(c.as_ref())).collect::<Result<_, _>>().map_err(at("roles"))?;
    if roles.is_empty() {
        return Err(at("roles")("give at least one role".into()));
    }
    Ok(roles)
}

impl Clerk {
    /// A new, active clerk.
    pub fn new(
        login: ClerkLogin,
        name: String,
        second_factor: SecondFactor,
        roles: BTreeSet<Role>,
        password_hash: String,
        now: Timestamp,
    ) -> Clerk {
        Clerk { login, name, second_factor, roles, disabled: false, password_hash, created_at: now }
    }

    pub fn parse(record: &ClerkRecord) -> Result<Clerk, FieldError> {
        Ok(Clerk {
            login: ClerkLogin::parse(&record.login).map_err(at("login"))?,
            name: parse_name(&record.name).map_err(at("name"))?,
            second_factor: parse_second_factor(record.phone.as_deref(), record.email.as_deref())?,
            roles: parse_roles(&record.roles)?,
            disabled: record.disabled,
            password_hash: record.password_hash.clone(),
            created_at: record.created_at,
        })
    }

    /// The plain form, which [`Clerk::parse`] reads back into this clerk.
    pub fn record(&self) -> ClerkRecord {
        let (phone, email) = match &self.second_factor {
            SecondFactor::Sms(phone) => (Some(phone.to_string()), None),
            SecondFactor::Email(email) => (None, Some(email.to_string())),
        };
        ClerkRecord {
            login: self.login.to_string(),
            name: self.name.clone(),
            phone,
            email,
            roles: self.roles.iter().map(|r| r.code().to_owned()).collect(),
            disabled: self.disabled,
            password_hash: self.password_hash.clone(),
            created_at: self.created_at,
        }
    }

    pub fn login(&self) -> &ClerkLogin {
        &self.login
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn second_factor(&self) -> &SecondFactor {
        &self.second_factor
    }

    pub fn roles(&self) -> &BTreeSet<Role> {
        &self.roles
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn disabled(&self) -> bool {
        self.disabled
    }

    pub fn password_hash(&self) -> &str {
        &self.password_hash
    }

    pub fn set_roles(&mut self, roles: BTreeSet<Role>) {
        self.roles = roles;
    }

    pub fn set_disabled(&mut self, disabled: bool) {
        self.disabled = disabled;
    }

    pub fn set_password_hash(&mut self, hash: String) {
        self.password_hash = hash;
    }
}

/// What a clerk shows of themselves (to the CLI, the API): never the password's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClerkView {
    pub login: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub roles: Vec<String>,
    pub disabled: bool,
    pub created_at: Timestamp,
}

impl From<&Clerk> for ClerkView {
    fn from(clerk: &Clerk) -> Self {
        let record = clerk.record();
        ClerkView {
            login: record.login,
            name: record.name,
            phone: record.phone,
            email: record.email,
            roles: record.roles,
            disabled: record.disabled,
            created_at: record.created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> ClerkRecord {
        ClerkRecord {
            login: "jana.novakova".into(),
            name: "Jana Nováková".into(),
            phone: Some("+420 601 123 456".into()),
            email: None,
            roles: vec!["czech_point".into(), "administrator".into()],
            disabled: false,
            password_hash: "$argon2id$x".into(),
            created_at: 1_790_000_000,
        }
    }

    #[test]
    fn a_record_reads_back_the_same() {
        let clerk = Clerk::parse(&record()).unwrap();
        assert!(clerk.has(Role::CzechPoint) && clerk.has(Role::Administrator) && !clerk.has(Role::ValidationDesk));
        assert_eq!(Clerk::parse(&clerk.record()).unwrap(), clerk);
        assert_eq!(clerk.record().phone.as_deref(), Some("+420601123456"));
    }

    #[test]
    fn bad_fields_are_named() {
        let fails = |change: fn(&mut ClerkRecord)| {
            let mut r = record();
            change(&mut r);
            Clerk::parse(&r).unwrap_err().field
        };
        assert_eq!(fails(|r| r.login = "Jana".into()), "login");
        assert_eq!(fails(|r| r.name = " ".into()), "name");
        assert_eq!(fails(|r| r.phone = Some("601".into())), "phone");
        assert_eq!(fails(|r| r.email = Some("jana@example.cz".into())), "phone");
        assert_eq!(fails(|r| r.roles = vec!["boss".into()]), "roles");
        assert_eq!(fails(|r| r.roles = vec![]), "roles");
    }
}
