//! `xaso calendar holidays` and `xaso calendar due`: the working-day calendar from the command
//! line. Only flag parsing and output here; the rules are in `xaso_domain::calendar`.

use time::{Date, Month, PrimitiveDateTime, Time};
use xaso_domain::calendar::{WorkingCalendar, FIRST_LUNAR_YEAR, LAST_LUNAR_YEAR};
use xaso_domain::date::days_in_month;

/// Longest deadline accepted, in working days (about four years): more is a typing error.
pub const MAX_WORKING_DAYS: u32 = 1000;

const RECEIVED_SHAPE: &str = "expected YYYY-MM-DDTHH:MM (local time, Asia/Ho_Chi_Minh)";

/// The text of `xaso calendar holidays --year YYYY`: the year's days off (statutory holidays,
/// including those on a weekend, and compensatory days), as ISO dates, one a line, sorted.
pub fn holidays(year: i32) -> Result<String, String> {
    holidays_in(&WorkingCalendar::default(), year)
}

/// [`holidays`] with a calendar that carries the officials' override tables.
pub fn holidays_in(calendar: &WorkingCalendar, year: i32) -> Result<String, String> {
    if !(FIRST_LUNAR_YEAR..=LAST_LUNAR_YEAR).contains(&year) {
        return Err(format!(
            "--year: expected a year from {FIRST_LUNAR_YEAR} to {LAST_LUNAR_YEAR}, got {year}"
        ));
    }
    Ok(calendar
        .days_off(year)
        .iter()
        .map(|(d, _)| format!("{d}\n"))
        .collect())
}

/// The text of `xaso calendar due --received YYYY-MM-DDTHH:MM --working-days N`: the due date
/// as an ISO date and a newline. `received` is local time in Viet Nam.
pub fn due(received: &str, working_days: u32) -> Result<String, String> {
    due_in(&WorkingCalendar::default(), received, working_days)
}

/// [`due`] with a calendar that carries the officials' override tables.
pub fn due_in(
    calendar: &WorkingCalendar,
    received: &str,
    working_days: u32,
) -> Result<String, String> {
    let at = parse_received(received)?;
    if working_days > MAX_WORKING_DAYS {
        return Err(format!(
            "--working-days: expected at most {MAX_WORKING_DAYS}, got {working_days}"
        ));
    }
    let due = calendar.due_date(at, working_days);
    if due.year() > LAST_LUNAR_YEAR {
        return Err(format!(
            "--working-days: the due date falls after {LAST_LUNAR_YEAR}, beyond the holiday calendar"
        ));
    }
    Ok(format!("{due}\n"))
}

/// Strict `YYYY-MM-DDTHH:MM`.
fn parse_received(text: &str) -> Result<PrimitiveDateTime, String> {
    let shape = || format!("--received: {RECEIVED_SHAPE}, got {text:?}");
    let b = text.as_bytes();
    let digits_at =
        |range: std::ops::Range<usize>| range.into_iter().all(|i| b[i].is_ascii_digit());
    let well_formed = b.len() == 16
        && digits_at(0..4)
        && b[4] == b'-'
        && digits_at(5..7)
        && b[7] == b'-'
        && digits_at(8..10)
        && b[10] == b'T'
        && digits_at(11..13)
        && b[13] == b':'
        && digits_at(14..16);
    if !well_formed {
        return Err(shape());
    }
    let number = |range: std::ops::Range<usize>| -> Result<u32, String> {
        text.get(range)
            .and_then(|s| s.parse().ok())
            .ok_or_else(shape)
    };
    let year = number(0..4)? as i32;
    let month = number(5..7)?;
    let day = number(8..10)?;
    let hour = number(11..13)?;
    let minute = number(14..16)?;
    if !(FIRST_LUNAR_YEAR..=LAST_LUNAR_YEAR).contains(&year) {
        return Err(format!(
            "--received: year {year} is outside {FIRST_LUNAR_YEAR}–{LAST_LUNAR_YEAR}, in {text:?}"
        ));
    }
    let month_enum = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(|| format!("--received: month {month:02} is not 01–12, in {text:?}"))?;
    let last_day = days_in_month(year, month_enum as u8);
    let date = u8::try_from(day)
        .ok()
        .filter(|d| (1..=last_day).contains(d))
        .and_then(|d| Date::from_calendar_date(year, month_enum, d).ok())
        .ok_or_else(|| {
            format!("--received: day {day:02} does not exist in {month_enum} {year}, in {text:?}")
        })?;
    let time = u8::try_from(hour)
        .ok()
        .zip(u8::try_from(minute).ok())
        .and_then(|(h, m)| Time::from_hms(h, m, 0).ok())
        .ok_or_else(|| {
            format!(
                "--received: {hour:02}:{minute:02} is not a time of day (00:00–23:59), in {text:?}"
            )
        })?;
    Ok(PrimitiveDateTime::new(date, time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holidays_of_2026() {
        assert_eq!(
            holidays(2026).as_deref(),
            Ok(
                "2026-01-01\n2026-02-16\n2026-02-17\n2026-02-18\n2026-02-19\n2026-02-20\n\
                2026-04-26\n2026-04-27\n2026-04-30\n2026-05-01\n2026-09-01\n2026-09-02\n\
                2026-11-24\n"
            )
        );
    }

    #[test]
    fn holidays_include_weekend_holidays_and_their_compensation() {
        let text = holidays(2028).unwrap_or_default();
        assert!(text.starts_with("2028-01-01\n2028-01-03\n"), "{text}");
        assert!(text.ends_with('\n'));
        let lines: Vec<&str> = text.lines().collect();
        let mut sorted = lines.clone();
        sorted.sort();
        assert_eq!(lines, sorted);
    }

    #[test]
    fn a_year_outside_the_calendar_is_refused() {
        assert_eq!(
            holidays(99999),
            Err("--year: expected a year from 1800 to 2200, got 99999".to_string())
        );
    }

    #[test]
    fn due_dates() {
        // Monday 10:00, 1 working day → Tuesday.
        assert_eq!(due("2026-03-02T10:00", 1).as_deref(), Ok("2026-03-03\n"));
        // Within the day after 15:00 → next working day.
        assert_eq!(due("2026-03-02T15:01", 0).as_deref(), Ok("2026-03-03\n"));
        assert_eq!(due("2026-03-02T15:00", 0).as_deref(), Ok("2026-03-02\n"));
        // Across Tết 2026 (off 14–22/2).
        assert_eq!(due("2026-02-13T10:00", 3).as_deref(), Ok("2026-02-25\n"));
        // Across the national day 2025 (off 30/8–2/9).
        assert_eq!(due("2025-08-29T14:00", 2).as_deref(), Ok("2025-09-04\n"));
    }

    #[test]
    fn bad_received_values_name_the_flag_and_the_rule() {
        let cases = [
            (
                "2026-03-02 10:00",
                "--received: expected YYYY-MM-DDTHH:MM (local time, Asia/Ho_Chi_Minh), got \"2026-03-02 10:00\"",
            ),
            (
                "02/03/2026",
                "--received: expected YYYY-MM-DDTHH:MM (local time, Asia/Ho_Chi_Minh), got \"02/03/2026\"",
            ),
            (
                "2026-03-02T10:00:00",
                "--received: expected YYYY-MM-DDTHH:MM (local time, Asia/Ho_Chi_Minh), got \"2026-03-02T10:00:00\"",
            ),
            (
                "",
                "--received: expected YYYY-MM-DDTHH:MM (local time, Asia/Ho_Chi_Minh), got \"\"",
            ),
            (
                "2026-13-02T10:00",
                "--received: month 13 is not 01–12, in \"2026-13-02T10:00\"",
            ),
            (
                "2026-02-30T10:00",
                "--received: day 30 does not exist in February 2026, in \"2026-02-30T10:00\"",
            ),
            (
                "2026-03-02T24:00",
                "--received: 24:00 is not a time of day (00:00–23:59), in \"2026-03-02T24:00\"",
            ),
            (
                "1700-03-02T10:00",
                "--received: year 1700 is outside 1800–2200, in \"1700-03-02T10:00\"",
            ),
            (
                "２026-03-02T10:00",
                "--received: expected YYYY-MM-DDTHH:MM (local time, Asia/Ho_Chi_Minh), got \"２026-03-02T10:00\"",
            ),
        ];
        for (input, message) in cases {
            assert_eq!(due(input, 1), Err(message.to_string()), "{input}");
        }
    }

    #[test]
    fn too_many_working_days_are_refused() {
        assert_eq!(
            due("2026-03-02T10:00", 5000),
            Err("--working-days: expected at most 1000, got 5000".to_string())
        );
        assert_eq!(
            due("2200-06-02T10:00", 1000),
            Err(
                "--working-days: the due date falls after 2200, beyond the holiday calendar"
                    .to_string()
            )
        );
    }
}
