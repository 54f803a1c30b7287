//! An eObčanka in the card register: the number printed on it, whose it is, the public key of
//! its chip and the certificate identita's card CA issued for that key, and what became of it.
//! The register is what the server trusts: a login signed by a card is checked against the key
//! kept here, never against what the reader sends.

use serde::{Deserialize, Serialize};

use chrono::{Months, NaiveDate};

use crate::clock::Timestamp;

/// What the register says of a card, apart from its date of expiry: where it is in its life
/// cycle (applied → issued → collected, then valid until it expires, is reported lost or stolen,
/// or is revoked). Only a valid card, unexpired, logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CardStatus {
    /// Applied for at an office; the card is being made (no chip yet).
    Applied,
    /// Made and waiting at the office; its holder has not collected it.
    Issued,
    /// Collected by its holder (its chip activated with IOK and DOK, or not).
    Valid,
    /// Reported lost by its holder.
    Lost,
    /// Reported stolen by its holder.
    Stolen,
    /// Revoked by the issuer (replaced, or its holder's data changed).
    Revoked,
}

impl CardStatus {
    pub(crate) const ALL: [CardStatus; 6] = [
        CardStatus::Applied,
        CardStatus::Issued,
        CardStatus::Valid,
        CardStatus::Lost,
        CardStatus::Stolen,
        CardStatus::Revoked,
    ];

    pub(crate) fn id(self) -> &'static str {
        match self {
            CardStatus::Applied => "applied",
            CardStatus::Issued => "issued",
            CardStatus::Valid => "valid",
            CardStatus::Lost => "lost",
            CardStatus::Stolen => "stolen",
            CardStatus::Revoked => "revoked",
        }
    }

    pub fn parse(id: &str) -> Option<CardStatus> {
        CardStatus::ALL.into_iter().find(|s| s.id() == id)
    }

    /// The statuses a card may be set to `self` from by a report or the issuer's decision
    /// (`identita card set-status`); applying, issuing and collecting have steps of their own.
    pub fn reported_from(self) -> &'static [CardStatus] {
        match self {
            // A card reported lost or stolen and found again is valid again at the office.
            CardStatus::Valid => &[CardStatus::Lost, CardStatus::Stolen],
            CardStatus::Lost | CardStatus::Stolen => &[CardStatus::Valid, CardStatus::Lost, CardStatus::Stolen],
            // The issuer revokes a card at any stage (a replaced card, an application withdrawn).
            CardStatus::Revoked => &CardStatus::ALL,
            CardStatus::Applied | CardStatus::Issued => &[],
        }
    }
}

/// How many years a card issued on `issued_on` to a holder born on `born` is valid for, by the
/// holder's age that day (Civil ID Act): 5 under 15, 10 from 15, 35 from 70.
pub(crate) fn validity_years(born: NaiveDate, issued_on: NaiveDate) -> u32 {
    match issued_on.years_since(born).unwrap_or(0) {
        0..15 => 5,
        15..70 => 10,
        _ => 35,
    }
}

/// The date a card issued on `issued_on` for `years` expires: the same day `years` later (the
/// 28th of February for a card issued on the 29th).
pub(crate) fn valid_until(issued_on: NaiveDate, years: u32) -> NaiveDate {
    issued_on.checked_add_months(Months::new(years * 12)).unwrap_or(NaiveDate::MAX)
}

/// Whether someone born on `born` is under 15 on `on`: a child's chip is not activated when the
/// card is collected (no codes are entered for them).
pub(crate) fn under_15(born: NaiveDate, on: NaiveDate) -> bool {
    on.years_since(born).unwrap_or(0) < 15
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

    #[test]
    fn a_card_is_valid_5_years_under_15_10_from_15_and_35_from_70_by_the_age_on_the_day_of_issue() {
        let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
        let born = day("2012-06-15");
        assert_eq!(validity_years(born, day("2027-06-14")), 5, "a day before the 15th birthday");
        assert_eq!(validity_years(born, day("2027-06-15")), 10, "on the 15th birthday");
        let born = day("1956-03-01");
        assert_eq!(validity_years(born, day("2026-02-28")), 10, "69");
        assert_eq!(validity_years(born, day("2026-03-01")), 35, "70");
        assert_eq!(validity_years(day("2026-01-01"), day("2026-01-01")), 5, "a newborn");
        assert_eq!(valid_until(day("2026-12-04"), 10), day("2036-12-04"));
        assert_eq!(valid_until(day("2028-02-29"), 5), day("2033-02-28"));
        assert!(under_15(day("2012-06-15"), day("2027-06-14")) && !under_15(day("2012-06-15"), day("2027-06-15")));
    }

    #[test]
    fn only_a_report_or_the_issuer_changes_a_collected_cards_status() {
        assert!(CardStatus::Lost.reported_from().contains(&CardStatus::Valid));
        assert!(!CardStatus::Valid.reported_from().contains(&CardStatus::Issued), "collecting is a step of its own");
        assert!(!CardStatus::Valid.reported_from().contains(&CardStatus::Revoked), "a revoked card stays revoked");
        assert!(CardStatus::Revoked.reported_from().contains(&CardStatus::Applied));
        assert!(CardStatus::Issued.reported_from().is_empty());
    }
}
