//! An eObčanka in the card register: the number printed on it, whose it is, the public key of
//! its chip and the certificate identita's card CA issued for that key, and what became of it.
//! The register is what the server trusts: a login signed by a card is checked against the key
//! kept here, never against what the reader sends.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

/// What the register says of a card, apart from its date of expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CardStatus {
    Valid,
    /// Reported lost by its holder.
    Lost,
    /// Reported stolen by its holder.
    Stolen,
    /// Revoked by the issuer (replaced, or its holder's data changed).
    Revoked,
}

impl CardStatus {
    pub(crate) const ALL: [CardStatus; 4] =
        [CardStatus::Valid, CardStatus::Lost, CardStatus::Stolen, CardStatus::Revoked];

    pub(crate) fn id(self) -> &'static str {
        match self {
            CardStatus::Valid => "valid",
            CardStatus::Lost => "lost",
            CardStatus::Stolen => "stolen",
            CardStatus::Revoked => "revoked",
        }
    }

    pub fn parse(id: &str) -> Option<CardStatus> {
        CardStatus::ALL.into_iter().find(|s| s.id() == id)
    }
}

/// A card number: nine digits.
pub(crate) fn is_card_number(number: &str) -> bool {
    number.len() == 9 && number.bytes().all(|b| b.is_ascii_digit())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// Nine digits, unique.
    pub number: String,
    /// The holder's account.
    pub(crate) user_id: String,
    /// The chip's ECDSA P-256 public key, as an uncompressed point in base64url.
    pub(crate) public_key: String,
    /// The certificate the card CA issued for the key (PEM).
    pub(crate) certificate: String,
    pub(crate) issued_at: Timestamp,
    /// After this instant the card is expired, whatever its status.
    pub(crate) valid_until: Timestamp,
    pub(crate) status: CardStatus,
}

impl Card {
    /// Whether the card's date of expiry has passed at `now`.
    pub(crate) fn expired(&self, now: Timestamp) -> bool {
        now >= self.valid_until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_numbers_are_nine_digits() {
        for status in CardStatus::ALL {
            assert_eq!(CardStatus::parse(status.id()), Some(status));
        }
        assert_eq!(CardStatus::parse("Stolen"), None);
        assert!(is_card_number("012345678"));
        assert!(!is_card_number("12345678") && !is_card_number("1234567890") && !is_card_number("12345678x"));
    }
}
