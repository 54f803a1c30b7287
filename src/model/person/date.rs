//! A calendar date as the register writes it (`YYYY-MM-DD`), checked to be a day that exists.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A day of the Gregorian calendar between the years 1800 and 2199; ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// The years a register date may fall in: wide enough for anyone living and any document.
const YEARS: std::ops::RangeInclusive<u16> = 1800..=2199;

impl Date {
    /// The date, when `year`-`month`-`day` exists.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let exists = YEARS.contains(&year) && (1..=12).contains(&month) && day >= 1 && day <= days_in(year, month);
        exists.then_some(Date { year, month, day })
    }

    /// `YYYY-MM-DD`, exactly.
    pub fn parse(text: &str) -> Result<Date, String> {
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes.iter().enumerate().all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shaped {
            return Err(format!("{text:?} is not a date: write YYYY-MM-DD"));
        }
        let number = |range: std::ops::Range<usize>| text[range].parse::<u16>().unwrap_or(0);
        let (year, month, day) = (number(0..4), number(5..7), number(8..10));
        Date::new(year, u8::try_from(month).unwrap_or(0), u8::try_from(day).unwrap_or(0)).ok_or_else(|| {
            format!("{text:?} is not a day of the calendar between {} and {}", YEARS.start(), YEARS.end())
        })
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// Full years from this date (a birth) to `on`: the age on that day.
    pub fn years_until(self, on: Date) -> u16 {
        let years = on.year.saturating_sub(self.year);
        if (on.month, on.day) < (self.month, self.day) { years.saturating_sub(1) } else { years }
    }
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_that_exist_parse_and_print_back() {
        for text in ["1985-03-14", "2000-02-29", "1900-12-31", "2024-02-29"] {
            assert_eq!(Date::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn days_that_do_not_exist_or_are_misshapen_are_refused() {
        for text in ["1900-02-29", "2023-02-29", "1985-04-31", "1985-13-01", "1985-00-10", "1985-01-00", "85-03-14"] {
            assert!(Date::parse(text).is_err(), "{text}");
        }
        for text in ["1985-3-14", "1985/03/14", "14.3.1985", "", "1799-12-31", "2200-01-01", "1985-03-1a"] {
            assert!(Date::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn an_age_counts_full_years() {
        let born = Date::parse("2010-06-15").unwrap();
        assert_eq!(born.years_until(Date::parse("2025-06-14").unwrap()), 14);
        assert_eq!(born.years_until(Date::parse("2025-06-15").unwrap()), 15);
        assert!(born < Date::parse("2010-06-16").unwrap());
    }
}
