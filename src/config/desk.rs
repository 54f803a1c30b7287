//! `[validation_desk]`: the working hours in which mojeID's validation desk approves requests
//! (`shared/seeds/003_*`: Mon–Thu 8:30–12:00 and 13:00–16:00, Fri 8:30–12:00), in Prague's
//! local time. A day is a list of `HH:MM-HH:MM` intervals; an empty list is a day off. The desk
//! is also closed on the Czech public holidays (`validation::mojeid::desk::holiday`) and on the
//! dates listed in `closed` (`YYYY-MM-DD`: a company holiday, the days between Christmas and
//! New Year).
//!
//! ```toml
//! [validation_desk]
//! monday = ["08:30-12:00", "13:00-16:00"]
//! friday = ["08:30-12:00"]
//! saturday = ["09:00-11:00"]
//! closed = ["2026-12-28", "2026-12-29"]
//! ```

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::ConfigError;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeskConfig {
    pub monday: Vec<String>,
    pub tuesday: Vec<String>,
    pub wednesday: Vec<String>,
    pub thursday: Vec<String>,
    pub friday: Vec<String>,
    pub saturday: Vec<String>,
    pub sunday: Vec<String>,
    /// Extra days the desk is closed, `YYYY-MM-DD`, beside the public holidays.
    pub closed: Vec<String>,
}

impl Default for DeskConfig {
    fn default() -> Self {
        let long = || vec!["08:30-12:00".to_owned(), "13:00-16:00".to_owned()];
        Self {
            monday: long(),
            tuesday: long(),
            wednesday: long(),
            thursday: long(),
            friday: vec!["08:30-12:00".into()],
            saturday: Vec::new(),
            sunday: Vec::new(),
            closed: Vec::new(),
        }
    }
}

/// An interval of a day, in minutes after midnight: from `start` up to (not including) `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub start: u32,
    pub end: u32,
}

impl DeskConfig {
    /// The days' names and intervals, Monday first.
    fn days(&self) -> [(&'static str, &[String]); 7] {
        [
            ("monday", &self.monday),
            ("tuesday", &self.tuesday),
            ("wednesday", &self.wednesday),
            ("thursday", &self.thursday),
            ("friday", &self.friday),
            ("saturday", &self.saturday),
            ("sunday", &self.sunday),
        ]
    }

    /// Every interval reads.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        for (day, intervals) in self.days() {
            for text in intervals {
                interval(text).map_err(|e| ConfigError::Invalid(format!("validation_desk.{day}: {e}")))?;
            }
        }
        for text in &self.closed {
            closed_date(text).map_err(|e| ConfigError::Invalid(format!("validation_desk.closed: {e}")))?;
        }
        Ok(())
    }

    /// Whether `date` is one of the extra closed days (a text that does not read is left out:
    /// the configuration was checked at start).
    pub fn closed_on(&self, date: NaiveDate) -> bool {
        self.closed.iter().any(|t| closed_date(t) == Ok(date))
    }

    /// The intervals of a weekday (0 = Monday); a text that does not read is left out (the
    /// configuration was checked at start).
    pub fn on(&self, weekday: usize) -> Vec<Interval> {
        let days = self.days();
        days.get(weekday).map(|(_, list)| list.iter().filter_map(|t| interval(t).ok()).collect()).unwrap_or_default()
    }

    /// The hours as people read them: `Mon 08:30-12:00, 13:00-16:00; Fri 08:30-12:00`.
    pub fn describe(&self) -> String {
        let days: Vec<String> = self
            .days()
            .iter()
            .filter(|(_, list)| !list.is_empty())
            .map(|(day, list)| format!("{} {}", &day[..3], list.join(", ")))
            .collect();
        match days.is_empty() {
            true => "never".into(),
            false => days.join("; "),
        }
    }
}

fn closed_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| format!("{text:?} is not a date: YYYY-MM-DD"))
}

/// `HH:MM-HH:MM`, the end after the start, within one day (`24:00` ends it).
fn interval(text: &str) -> Result<Interval, String> {
    let minutes = |t: &str| -> Option<u32> {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
        (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
    };
    let bad = || format!("{text:?} is not an interval: HH:MM-HH:MM, e.g. 08:30-12:00");
    let (start, end) = text.split_once('-').ok_or_else(bad)?;
    let (start, end) = (minutes(start).ok_or_else(bad)?, minutes(end).ok_or_else(bad)?);
    if end <= start {
        return Err(format!("{text:?} ends before it starts"));
    }
    Ok(Interval { start, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_hours_by_default_and_bad_intervals_named() {
        let desk = DeskConfig::default();
        desk.validate().unwrap();
        assert_eq!(desk.on(0), vec![Interval { start: 510, end: 720 }, Interval { start: 780, end: 960 }]);
        assert_eq!(desk.on(4), vec![Interval { start: 510, end: 720 }]);
        assert!(desk.on(5).is_empty() && desk.on(6).is_empty());
        for bad in ["8:30", "12:00-08:30", "25:00-26:00", "08:60-09:00"] {
            let config = DeskConfig { saturday: vec![bad.into()], ..DeskConfig::default() };
            let err = config.validate().unwrap_err().to_string();
            assert!(err.contains("validation_desk.saturday") && err.contains(bad), "{bad}: {err}");
        }
        let closed = DeskConfig { closed: vec!["2026-12-28".into()], ..DeskConfig::default() };
        closed.validate().unwrap();
        assert!(closed.closed_on(NaiveDate::from_ymd_opt(2026, 12, 28).unwrap()));
        assert!(!closed.closed_on(NaiveDate::from_ymd_opt(2026, 12, 29).unwrap()));
        let bad = DeskConfig { closed: vec!["28.12.2026".into()], ..DeskConfig::default() };
        let err = bad.validate().unwrap_err().to_string();
        assert!(err.contains("validation_desk.closed") && err.contains("28.12.2026"), "{err}");
    }
}
