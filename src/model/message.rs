//! A message the notifier sent to a person: an SMS text now, an e-mail later. The outbox keeps
//! these for a developer to read (`identita outbox`, the dev landing page).

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

/// One message, as the outbox keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Sorts by when the message was made (see `notify`), so the newest of one second come last.
    pub(crate) id: String,
    pub(crate) channel: Channel,
    /// An E.164 phone number (`+420601123456`) for an SMS, an address for an e-mail.
    pub(crate) to: String,
    /// An e-mail's subject; an SMS has none.
    pub(crate) subject: Option<String>,
    pub body: String,
    pub(crate) created_at: Timestamp,
}

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    /// The name stored and shown: `sms`, `email`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_named_in_lowercase() {
        assert_eq!(serde_json::to_value(Channel::Sms).unwrap(), "sms");
        assert_eq!(serde_json::from_str::<Channel>("\"email\"").unwrap(), Channel::Email);
        assert_eq!(Channel::Email.as_str(), "email");
    }
}
