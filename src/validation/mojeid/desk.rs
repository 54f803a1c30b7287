//! The validation desk's working hours, judged with the injected clock in Prague's local time:
//! CET (UTC+1), and CEST (UTC+2) from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
//! last Sunday of October, as the European Union's summer-time rule has it since 1996. The desk
//! is closed on the Czech public holidays (zákon č. 245/2000 Sb.: the state holidays, the other
//! holidays, and Good Friday and Easter Monday by the Gregorian computus) and on the extra days
//! of `[validation_desk] closed`.

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

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous computus, "Meeus/Jones/Butcher").
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let (b, c) = (year.div_euclid(100), year.rem_euclid(100));
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// The Czech public holiday on `date`, by its Czech name; `None` on a working day.
pub fn holiday(date: NaiveDate) -> Option<&'static str> {
    let fixed = match (date.month(), date.day()) {
        (1, 1) => Some("Den obnovy samostatného českého státu, Nový rok"),
        (5, 1) => Some("Svátek práce"),
        (5, 8) => Some("Den vítězství"),
        (7, 5) => Some("Den slovanských věrozvěstů Cyrila a Metoděje"),
        (7, 6) => Some("Den upálení mistra Jana Husa"),
        (9, 28) => Some("Den české státnosti"),
        (10, 28) => Some("Den vzniku samostatného československého státu"),
        (11, 17) => Some("Den boje za svobodu a demokracii"),
        (12, 24) => Some("Štědrý den"),
        (12, 25) => Some("1. svátek vánoční"),
        (12, 26) => Some("2. svátek vánoční"),
        _ => None,
    };
    fixed.or_else(|| {
        let easter = easter_sunday(date.year())?;
        match (easter - date).num_days() {
            2 => Some("Velký pátek"),
            -1 => Some("Velikonoční pondělí"),
            _ => None,
        }
    })
}

/// Why the desk is closed on a whole day: a public holiday (its name), or an extra closed day.
fn closed_day(desk: &DeskConfig, date: NaiveDate) -> Option<String> {
    match holiday(date) {
        Some(name) => Some(format!("a public holiday ({name})")),
        None => desk.closed_on(date).then(|| "a day the desk is closed".to_owned()),
    }
}

/// Why the desk is closed at `at`: the day (a holiday, an extra closed day), or `None` when the
/// day is a working one and only the hour is outside the desk's.
pub fn closed_because(desk: &DeskConfig, at: Timestamp) -> Option<String> {
    closed_day(desk, prague(at).date())
}

/// Whether the desk works at `at`.
pub fn open(desk: &DeskConfig, at: Timestamp) -> bool {
    let local = prague(at);
    if closed_day(desk, local.date()).is_some() {
        return false;
    }
    let minute = local.hour() * 60 + local.minute();
    let weekday = local.weekday().num_days_from_monday() as usize;
    desk.on(weekday).iter().any(|i| (i.start..i.end).contains(&minute))
}

/// When the desk next opens after `at`, in Prague's local time, within the coming year (`None`
/// when it never does).
pub fn next_opening(desk: &DeskConfig, at: Timestamp) -> Option<NaiveDateTime> {
    let local = prague(at);
    let now = local.hour() * 60 + local.minute();
    (0..=366u64).find_map(|ahead| {
        let date = local.date().checked_add_days(chrono::Days::new(ahead))?;
        if closed_day(desk, date).is_some() {
            return None;
        }
        let weekday = date.weekday().num_days_from_monday() as usize;
        let start = desk.on(weekday).iter().map(|i| i.start).filter(|&s| ahead > 0 || s > now).min()?;
        date.and_hms_opt(start / 60, start % 60, 0)
    })
}

/// `at` as the desk's refusal shows it: `Sat 2026-12-05 10:00 (Europe/Prague)`.
pub fn local_text(at: Timestamp) -> String {
    text_of(prague(at))
}

/// A local time as the desk's refusal shows it.
pub fn text_of(local: NaiveDateTime) -> String {
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

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn easter_by_the_gregorian_computus() {
        for (year, sunday) in [
            (1961, "1961-04-02"),
            (2000, "2000-04-23"),
            (2008, "2008-03-23"),
            (2011, "2011-04-24"),
            (2019, "2019-04-21"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
        ] {
            assert_eq!(easter_sunday(year), Some(date(sunday)), "{year}");
        }
    }

    #[test]
    fn the_czech_public_holidays() {
        for (day, name) in [
            ("2026-01-01", "Nový rok"),
            ("2026-04-03", "Velký pátek"),
            ("2026-04-06", "Velikonoční pondělí"),
            ("2025-04-18", "Velký pátek"),
            ("2025-04-21", "Velikonoční pondělí"),
            ("2026-05-01", "Svátek práce"),
            ("2026-05-08", "Den vítězství"),
            ("2026-07-05", "Cyrila a Metoděje"),
            ("2026-07-06", "Jana Husa"),
            ("2026-09-28", "státnosti"),
            ("2026-10-28", "československého"),
            ("2026-11-17", "svobodu"),
            ("2026-12-24", "Štědrý den"),
            ("2026-12-25", "1. svátek"),
            ("2026-12-26", "2. svátek"),
        ] {
            assert!(holiday(date(day)).is_some_and(|n| n.contains(name)), "{day}: {:?}", holiday(date(day)));
        }
        // Easter Sunday itself is a Sunday, no holiday of its own; the days around are working days.
        for day in ["2026-04-05", "2026-04-02", "2026-04-07", "2026-12-23", "2026-12-27", "2026-11-16"] {
            assert_eq!(holiday(date(day)), None, "{day}");
        }
    }

    #[test]
    fn the_desk_is_closed_on_holidays_and_extra_days_and_says_when_it_opens() {
        let desk = DeskConfig { closed: vec!["2026-12-28".into()], ..DeskConfig::default() };
        // Thursday 24 December 2026, 10:00 in Prague: Christmas Eve.
        assert!(!open(&desk, at("2026-12-24 09:00")));
        assert_eq!(closed_because(&desk, at("2026-12-24 09:00")).as_deref(), Some("a public holiday (Štědrý den)"));
        // Monday 28 December is closed by the configuration, Tuesday 29 is open.
        assert!(!open(&desk, at("2026-12-28 09:00")));
        assert_eq!(closed_because(&desk, at("2026-12-28 09:00")).as_deref(), Some("a day the desk is closed"));
        assert!(open(&desk, at("2026-12-29 09:00")));
        let opens = next_opening(&desk, at("2026-12-24 09:00")).unwrap();
        assert_eq!(text_of(opens), "Tue 2026-12-29 08:30 (Europe/Prague)");
        // Good Friday 2026 (3 April, summer time from 29 March): closed; an ordinary Friday is open.
        assert!(!open(&DeskConfig::default(), at("2026-04-03 08:00")));
        assert!(open(&DeskConfig::default(), at("2026-04-10 08:00")));
        // A working day's lunch: it opens again at 13:00; Friday afternoon: on Monday.
        assert_eq!(
            text_of(next_opening(&desk, at("2026-12-03 11:30")).unwrap()),
            "Thu 2026-12-03 13:00 (Europe/Prague)"
        );
        assert_eq!(
            text_of(next_opening(&desk, at("2026-12-04 12:00")).unwrap()),
            "Mon 2026-12-07 08:30 (Europe/Prague)"
        );
        assert_eq!(closed_because(&desk, at("2026-12-04 12:00")), None);
        let never =
            DeskConfig { monday: vec![], tuesday: vec![], wednesday: vec![], thursday: vec![], friday: vec![], ..desk };
        assert_eq!(next_opening(&never, at("2026-12-04 12:00")), None);
    }
}
