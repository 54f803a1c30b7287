//! The "request to provide reference data from the register of inhabitants to another person"
//! (Žádost o poskytnutí referenčních údajů z registru obyvatel jiné osobě) that a Czech POINT
//! clerk records for a person whose identity document they checked: to whom (the recipient's
//! IČO), for how long (a one-time or a repeated consent), what (the scope, "všechny") and the
//! message the person asked to pass on (NIA's identification code).
//!
//! The recipient later takes the request by its message ([`crate::store::CzechPointStore::take`]):
//! a one-time request is taken once.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::model::person::Ico;

/// Digitální a informační agentura, NIA's operator: the recipient the seed's guide names.
pub const DIA_ICO: &str = "17651921";
/// The scope the guide asks for: every reference datum.
pub const SCOPE_ALL: &str = "všechny";
/// The longest message, in characters.
pub const MESSAGE_MAX: usize = 100;

/// How often the recipient may be given the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    /// Jednorázový: once.
    OneTime,
    /// Opakovaný: whenever the recipient asks.
    Repeated,
}

impl Consent {
    pub fn parse(text: &str) -> Result<Consent, String> {
        match text {
            "one_time" => Ok(Consent::OneTime),
            "repeated" => Ok(Consent::Repeated),
            _ => Err(format!("{text:?} is not a consent: one_time or repeated")),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Consent::OneTime => "one_time",
            Consent::Repeated => "repeated",
        }
    }
}

/// The message to the recipient: 1 to [`MESSAGE_MAX`] characters, no control characters, kept
/// without the spaces around it (a clerk's typing).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RequestMessage(String);

impl RequestMessage {
    pub fn parse(text: &str) -> Result<RequestMessage, String> {
        let trimmed = text.trim();
        let count = trimmed.chars().count();
        if trimmed.is_empty() {
            return Err("must not be empty".into());
        }
        if count > MESSAGE_MAX {
            return Err(format!("is {count} characters long; at most {MESSAGE_MAX}"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err("must not hold control characters (line breaks, tabs)".into());
        }
        Ok(RequestMessage(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RequestMessage {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        RequestMessage::parse(&text)
    }
}

impl From<RequestMessage> for String {
    fn from(message: RequestMessage) -> String {
        message.0
    }
}

impl fmt::Display for RequestMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A recorded request, as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CzechPointRequest {
    /// Opaque, ordered by time.
    pub id: String,
    /// The person whose data the request gives.
    pub person_id: String,
    /// The recipient's IČO (checked when recorded).
    pub recipient_ico: String,
    pub consent: Consent,
    pub scope: String,
    pub message: RequestMessage,
    /// The document the clerk checked (its type and number).
    pub document: String,
    /// The clerk who recorded it (`clerk:<login>`).
    pub recorded_by: String,
    pub created_at: Timestamp,
    /// When the recipient took a one-time request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<Timestamp>,
}

impl CzechPointRequest {
    /// The recipient's IČO, checked.
    pub fn parse_recipient(text: &str) -> Result<Ico, String> {
        Ico::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_trimmed_and_bounded() {
        assert_eq!(RequestMessage::parse("  AB12CD34EF ").unwrap().as_str(), "AB12CD34EF");
        assert!(RequestMessage::parse("   ").is_err());
        assert!(RequestMessage::parse(&"x".repeat(MESSAGE_MAX + 1)).is_err());
        assert!(RequestMessage::parse("a\nb").is_err());
        assert!(Ico::parse(DIA_ICO).is_ok());
    }
}
