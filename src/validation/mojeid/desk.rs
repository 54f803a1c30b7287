//! The validation desk's working hours, judged with the injected clock in Prague's local time:
//! CET (UTC+1), and CEST (UTC+2) from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
//! last Sunday of October, as the European Union's summer-time rule has it since 1996.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike, Weekday};

use crate::clock::Timestamp;
use crate::config::DeskConfig;

/// `at` in Prague's local time.
pub fn prague(at: Timestamp) -> NaiveDateTime {
    let utc = chrono::DateTime::from_timestamp(at, 0).unwrap_or_default().naive_utc();
    let year = utc.year();
    let switch = |month: u32| last_sunday(year, month).and_then(|day| day.and_hms_opt(1, 0, 0)).unwrap_or_default();
    let summer = utc >= switch(3) && utc < switch(10);
    utc + chrono::Duration::hours(if summer { 2 } else { 1 })
}

fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let last = NaiveDate::from_ymd_opt(year, month + 1, 1)?.pred_opt()?;
    let back = last.weekday().num_days_from_sunday();
    last.checked_sub_days(chrono::Days::new(u64::from(back)))
}

/// Whether the desk works at `at`.
pub fn open(desk: &DeskConfig, at: Timestamp) -> bool {
    let local = prague(at);
    let minute = local.hour() * 60 + local.minute();
    let weekday = local.weekday().num_days_from_monday() as usize;
    desk.on(weekday).iter().any(|i| (i.start..i.end).contains(&minute))
}

/// `at` as the desk's refusal shows it: `Sat 2026-12-05 10:00 (Europe/Prague)`.
pub fn local_text(at: Timestamp) -> String {
    let local = prague(at);
    let day = match local.weekday() {
        Weekday::Mon => "Mon",
        Weekday::Tue => "Tue",
        Weekday::Wed => "Wed",
        Weekday::Thu => "Thu",
        Weekday::Fri => "Fri",
        Weekday::Sat => "Sat",
        Weekday::Sun => "Sun",
    };
    format!("{day} {} (Europe/Prague)", local.format("%Y-%m-%d %H:%M"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap().and_utc().timestamp()
    }

    #[test]
    fn prague_is_an_hour_ahead_in_winter_and_two_in_summer() {
        assert_eq!(prague(at("2026-12-04 08:00")).to_string(), "2026-12-04 09:00:00");
        assert_eq!(prague(at("2026-07-01 08:00")).to_string(), "2026-07-01 10:00:00");
        // 2026's switches: Sunday 29 March and Sunday 25 October, at 01:00 UTC.
        assert_eq!(prague(at("2026-03-29 00:59")).to_string(), "2026-03-29 01:59:00");
        assert_eq!(prague(at("2026-03-29 01:00")).to_string(), "2026-03-29 03:00:00");
        assert_eq!(prague(at("2026-10-25 00:59")).to_string(), "2026-10-25 02:59:00");
        assert_eq!(prague(at("2026-10-25 01:00")).to_string(), "2026-10-25 02:00:00");
    }

    #[test]
    fn the_desk_works_its_hours_only() {
        let desk = DeskConfig::default();
        // Friday 4 December 2026, in UTC (Prague is UTC+1).
        assert!(!open(&desk, at("2026-12-04 07:29")));
        assert!(open(&desk, at("2026-12-04 07:30")));
        assert!(open(&desk, at("2026-12-04 10:59")));
        assert!(!open(&desk, at("2026-12-04 11:00")));
        assert!(!open(&desk, at("2026-12-04 13:00")));
        // Thursday afternoon; Saturday.
        assert!(open(&desk, at("2026-12-03 14:59")));
        assert!(!open(&desk, at("2026-12-03 15:00")));
        assert!(!open(&desk, at("2026-12-05 09:00")));
        assert_eq!(local_text(at("2026-12-05 09:00")), "Sat 2026-12-05 10:00 (Europe/Prague)");
    }
}
