//! The birth number (rodné číslo, RČ): the date of birth and sex it encodes and its check rules.
//!
//! `YYMMDD/SSS` for people born before 1954 (nine digits, no check digit), `YYMMDD/SSSC` since
//! (ten digits, the whole number divisible by 11 — or, for numbers given until 1985, the first
//! nine leaving 10 and the check digit 0). Women's months are raised by 50; since 2004, when a
//! day's numbers run out, by 20 more (men 21–32, women 71–82).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Sex;
use super::date::Date;

/// A birth number that passes its checks; kept as its digits, shown with the slash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BirthNumber {
    digits: String,
    born: Date,
    sex: Sex,
}

impl BirthNumber {
    /// `YYMMDD/SSS(C)`, with or without the slash.
    pub fn parse(text: &str) -> Result<BirthNumber, String> {
        let digits: String = match text.split_once('/') {
            Some((date, serial)) if date.len() == 6 => format!("{date}{serial}"),
            Some(_) => return Err(format!("{text:?} is not a birth number: write YYMMDD/SSSC")),
            None => text.to_owned(),
        };
        if !(digits.len() == 9 || digits.len() == 10) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{text:?} is not a birth number: nine or ten digits, YYMMDD/SSS(C)"));
        }
        let two = |at: usize| u8::try_from(digits[at..at + 2].parse::<u16>().unwrap_or(0)).unwrap_or(0);
        let (yy, mm, dd) = (u16::from(two(0)), two(2), two(4));
        let year = match (digits.len(), yy) {
            (9, 0..=53) => 1900 + yy,
            (9, _) => return Err(format!("{text:?}: a nine-digit birth number belongs to someone born before 1954")),
            (_, 54..) => 1900 + yy,
            _ => 2000 + yy,
        };
        let (sex, month) = match mm {
            1..=12 => (Sex::Male, mm),
            51..=62 => (Sex::Female, mm - 50),
            21..=32 if year >= 2004 => (Sex::Male, mm - 20),
            71..=82 if year >= 2004 => (Sex::Female, mm - 70),
            _ => return Err(format!("{text:?}: month {mm:02} is not a month of a birth number")),
        };
        let born = Date::new(year, month, dd)
            .ok_or_else(|| format!("{text:?}: {year}-{month:02}-{dd:02} is not a day of the calendar"))?;
        if digits.len() == 10 && !checks(&digits, year) {
            return Err(format!("{text:?}: the check digit is wrong (the number is not divisible by 11)"));
        }
        Ok(BirthNumber { digits, born, sex })
    }

    /// The date of birth it encodes.
    pub fn born(&self) -> Date {
        self.born
    }

    pub fn sex(&self) -> Sex {
        self.sex
    }

    /// The digits without the slash (how the store looks it up).
    pub fn digits(&self) -> &str {
        &self.digits
    }
}

/// Whether a ten-digit number's check digit is right.
fn checks(digits: &str, year: u16) -> bool {
    let number: u64 = digits.parse().unwrap_or(1);
    if number.is_multiple_of(11) {
        return true;
    }
    // Until 1985 a remainder of 10 was written as the check digit 0.
    let first_nine = number / 10;
    year <= 1985 && first_nine % 11 == 10 && digits.ends_with('0')
}

impl fmt::Display for BirthNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", &self.digits[..6], &self.digits[6..])
    }
}

impl Serialize for BirthNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for BirthNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BirthNumber::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn good_numbers_give_the_date_and_sex() {
        let cases = [
            ("850314/1251", "1985-03-14", Sex::Male),
            ("8503141251", "1985-03-14", Sex::Male),
            ("925102/4442", "1992-01-02", Sex::Female),
            ("480722/123", "1948-07-22", Sex::Male),
            ("535123/456", "1953-01-23", Sex::Female),
            ("110615/1233", "2011-06-15", Sex::Male),
            ("047215/0019", "2004-02-15", Sex::Female),
            ("052301/0004", "2005-03-01", Sex::Male),
            // Until 1985 a remainder of 10 was written as 0.
            ("780123/0020", "1978-01-23", Sex::Male),
        ];
        for (text, born, sex) in cases {
            let number = BirthNumber::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((number.born(), number.sex()), (date(born), sex), "{text}");
        }
        assert_eq!(BirthNumber::parse("8503141251").unwrap().to_string(), "850314/1251");
        assert_eq!(BirthNumber::parse("480722/123").unwrap().digits(), "480722123");
    }

    #[test]
    fn bad_numbers_say_why() {
        let refused = |text: &str, why: &str| {
            let error = BirthNumber::parse(text).unwrap_err();
            assert!(error.contains(why), "{text}: {error}");
        };
        refused("850314/1252", "check digit");
        refused("850314/123", "before 1954");
        refused("851314/1251", "month 13");
        refused("852314/1251", "month 23");
        refused("850230/1251", "not a day");
        refused("535231/456", "not a day");
        refused("850314-1251", "not a birth number");
        refused("85031/41251", "not a birth number");
        refused("85031412510", "nine or ten digits");
        refused("85031A1251", "nine or ten digits");
        refused("", "nine or ten digits");
        // The remainder-10 exception ended with 1985.
        refused("900101/0030", "check digit");
    }
}
