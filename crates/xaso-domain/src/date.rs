//! Dates as the register holds them: often only a year (old people), sometimes a month, and typed
//! in every form a Vietnamese office uses (day first), including Excel serial numbers that leak
//! out of spreadsheets as text.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month};

/// Earliest and latest years accepted anywhere: wide enough for the oldest records and for
/// deadlines, narrow enough to catch typos such as 0995 or 9195.
pub const MIN_YEAR: i32 = 1800;
pub const MAX_YEAR: i32 = 2200;

/// Last Excel serial accepted: 2099-12-31. Larger numbers are far more likely to be something
/// else (an amount, an ID) than a date.
pub const MAX_EXCEL_SERIAL: i64 = 73050;

/// A date that may be known only to the month or the year.
///
/// The derived order compares the variant first (all full dates before all year-months before all
/// years); use [`PartialDate::year`] etc. for chronological comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PartialDate {
    Full(Date),
    YearMonth { year: i32, month: u8 },
    Year(i32),
}

/// Why a text is not a date. The message says the rule that was broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateError {
    Empty,
    /// Not any of the accepted shapes.
    Unrecognized,
    /// Not one of the strict ISO shapes (for [`PartialDate::parse_iso`]).
    NotIso,
    /// Not exactly eight digits (for the card's ddmmyyyy fields).
    NotEightDigits,
    /// A two-digit year: the century cannot be guessed safely for dates of birth.
    ShortYear {
        year: String,
    },
    YearOutOfRange {
        year: i32,
    },
    MonthOutOfRange {
        month: u32,
    },
    DayOutOfRange {
        day: u32,
        month: u8,
        year: i32,
    },
    /// A day was given but the month is 00 (unknown).
    DayWithoutMonth {
        day: u32,
    },
    /// Day or month is 00 where a full date is required.
    Incomplete,
    ExcelSerialOutOfRange {
        serial: i64,
    },
    ExcelSerialNotANumber,
    /// Serial 60: the 29 February 1900 that Excel invents (inherited from Lotus 1-2-3).
    ExcelFakeLeapDay,
}

const LIKE: &str = "expected a date like 07/03/1995, 03/1995, 1995 or 1995-03-07";

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateError::Empty => write!(f, "the date is empty; {LIKE}"),
            DateError::Unrecognized => f.write_str(LIKE),
            DateError::NotIso => f.write_str("expected an ISO date YYYY-MM-DD, YYYY-MM or YYYY"),
            DateError::NotEightDigits => {
                f.write_str("expected 8 digits, day month year, like 07031995")
            }
            DateError::ShortYear { year } => {
                write!(f, "year {year} must be written with 4 digits, like 1995")
            }
            DateError::YearOutOfRange { year } => {
                write!(f, "year {year:04} is outside {MIN_YEAR}–{MAX_YEAR}")
            }
            DateError::MonthOutOfRange { month } => write!(f, "month {month} is not 1–12"),
            DateError::DayOutOfRange { day, month, year } => write!(
                f,
                "day {day} does not exist in {} {year}",
                month_name_en(*month)
            ),
            DateError::DayWithoutMonth { day } => write!(
                f,
                "day {day:02} is given but the month is 00 (unknown); give the month or use 00/00/yyyy"
            ),
            DateError::Incomplete => f.write_str("day or month is 00 but a full date is required"),
            DateError::ExcelSerialOutOfRange { serial } => write!(
                f,
                "Excel serial {serial} is outside 1–{MAX_EXCEL_SERIAL} (1900-01-01 to 2099-12-31)"
            ),
            DateError::ExcelSerialNotANumber => f.write_str("Excel serial is not a finite number"),
            DateError::ExcelFakeLeapDay => f.write_str(
                "Excel serial 60 is 29/02/1900, a day that does not exist (Excel's 1900 leap-year bug)",
            ),
        }
    }
}

impl std::error::Error for DateError {}

const LIKE_VI: &str = "hãy nhập ngày dạng 07/03/1995, 03/1995, 1995 hoặc 1995-03-07";

impl DateError {
    /// The rule in Vietnamese, for the officer pages ([`fmt::Display`] is the English of the
    /// JSON API and the command line).
    pub fn vi(&self) -> String {
        match self {
            DateError::Empty => format!("Chưa nhập ngày; {LIKE_VI}"),
            DateError::Unrecognized => format!("Không đọc được ngày; {LIKE_VI}"),
            DateError::NotIso => "Ngày phải ở dạng ISO: YYYY-MM-DD, YYYY-MM hoặc YYYY".to_owned(),
            DateError::NotEightDigits => {
                "Ngày phải gồm đúng 8 chữ số theo thứ tự ngày, tháng, năm, ví dụ 07031995"
                    .to_owned()
            }
            DateError::ShortYear { year } => {
                format!("Năm {year} phải viết đủ 4 chữ số, ví dụ 1995")
            }
            DateError::YearOutOfRange { year } => {
                format!("Năm {year:04} nằm ngoài khoảng {MIN_YEAR}–{MAX_YEAR}")
            }
            DateError::MonthOutOfRange { month } => {
                format!("Tháng {month} không hợp lệ; tháng phải từ 1 đến 12")
            }
            DateError::DayOutOfRange { day, month, year } => {
                format!("Ngày {day} không có trong tháng {month} năm {year}")
            }
            DateError::DayWithoutMonth { day } => format!(
                "Có ngày {day:02} nhưng tháng là 00 (không rõ); hãy nhập tháng, \
                 hoặc ghi 00/00/yyyy nếu chỉ biết năm"
            ),
            DateError::Incomplete => {
                "Ngày hoặc tháng là 00, nhưng ở đây cần ngày tháng năm đầy đủ".to_owned()
            }
            DateError::ExcelSerialOutOfRange { serial } => format!(
                "Số ngày kiểu Excel {serial} nằm ngoài khoảng 1–{MAX_EXCEL_SERIAL} \
                 (từ 01/01/1900 đến 31/12/2099)"
            ),
            DateError::ExcelSerialNotANumber => {
                "Số ngày kiểu Excel không phải là một số hữu hạn".to_owned()
            }
            DateError::ExcelFakeLeapDay => "Số ngày kiểu Excel 60 ứng với 29/02/1900, một ngày \
                 không có thật (lỗi năm nhuận 1900 của Excel)"
                .to_owned(),
        }
    }
}

fn month_name_en(month: u8) -> &'static str {
    match month {
        1 => "January",
        2 => "February",
        3 => "March",
        4 => "April",
        5 => "May",
        6 => "June",
        7 => "July",
        8 => "August",
        9 => "September",
        10 => "October",
        11 => "November",
        12 => "December",
        _ => "an unknown month",
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in a month of the proleptic Gregorian calendar; `month` must be 1..=12.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 31,
    }
}

fn check_year(year: i32) -> Result<i32, DateError> {
    if (MIN_YEAR..=MAX_YEAR).contains(&year) {
        Ok(year)
    } else {
        Err(DateError::YearOutOfRange { year })
    }
}

fn check_month(month: u32) -> Result<u8, DateError> {
    match u8::try_from(month) {
        Ok(m) if (1..=12).contains(&m) => Ok(m),
        _ => Err(DateError::MonthOutOfRange { month }),
    }
}

fn full_date(year: i32, month: u32, day: u32) -> Result<Date, DateError> {
    let year = check_year(year)?;
    let month = check_month(month)?;
    let d = u8::try_from(day).unwrap_or(u8::MAX);
    if d == 0 || d > days_in_month(year, month) {
        return Err(DateError::DayOutOfRange { day, month, year });
    }
    let m = Month::try_from(month).map_err(|_| DateError::MonthOutOfRange {
        month: u32::from(month),
    })?;
    Date::from_calendar_date(year, m, d).map_err(|_| DateError::DayOutOfRange { day, month, year })
}

/// Builds a date where 00 means "unknown": month 0 gives a year, day 0 a year-month.
fn from_parts_allowing_zero(year: i32, month: u32, day: u32) -> Result<PartialDate, DateError> {
    let year = check_year(year)?;
    match (month, day) {
        (0, 0) => Ok(PartialDate::Year(year)),
        (0, d) => Err(DateError::DayWithoutMonth { day: d }),
        (m, 0) => Ok(PartialDate::YearMonth {
            year,
            month: check_month(m)?,
        }),
        (m, d) => full_date(year, m, d).map(PartialDate::Full),
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parses a run of at most 9 ASCII digits; callers check the shape first.
fn num(s: &str) -> u32 {
    s.bytes()
        .take(9)
        .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'))
}

/// Splits off a trailing time of day ("07/03/1995 00:00:00", "1995-03-07T00:00"), which
/// spreadsheet exports add to dates; the time carries no information for the register.
fn strip_time_of_day(s: &str) -> &str {
    let Some(pos) = s.find([' ', 'T']) else {
        return s;
    };
    let (date, rest) = (&s[..pos], s[pos + 1..].trim());
    let mut parts = rest.split(':');
    let shaped = parts.clone().count() >= 2
        && parts.clone().count() <= 3
        && parts.all(|p| {
            let p = p.split_once('.').map_or(
                p,
                |(whole, frac)| {
                    if all_digits(frac) {
                        whole
                    } else {
                        ""
                    }
                },
            );
            all_digits(p) && p.len() <= 2
        });
    if shaped {
        date.trim_end()
    } else {
        s
    }
}

impl PartialDate {
    /// Reads a date the way people type it. Day comes before month ("07/03/1995" is 7 March);
    /// 00 stands for an unknown day or month; 4-digit years only.
    pub fn parse(s: &str) -> Result<PartialDate, DateError> {
        let s = s.trim().trim_start_matches('\u{feff}').trim();
        if s.is_empty() {
            return Err(DateError::Empty);
        }
        let s = strip_time_of_day(s);
        if all_digits(s) {
            return match s.len() {
                4 => check_year(num(s) as i32).map(PartialDate::Year),
                5 => PartialDate::from_excel_serial(f64::from(num(s))),
                8 => PartialDate::parse_ddmmyyyy(s),
                2 => Err(DateError::ShortYear { year: s.to_owned() }),
                _ => Err(DateError::Unrecognized),
            };
        }
        // A spreadsheet number shown with decimals: "35000.0" is a serial, "1995.0" a year.
        if let Some((whole, frac)) = s.split_once('.') {
            if all_digits(whole) && all_digits(frac) {
                if whole.len() == 5 {
                    return PartialDate::from_excel_serial(f64::from(num(whole)));
                }
                if whole.len() == 4 && frac.bytes().all(|b| b == b'0') {
                    return check_year(num(whole) as i32).map(PartialDate::Year);
                }
            }
        }
        let Some(sep) = s.chars().find(|c| matches!(c, '/' | '-' | '.')) else {
            return Err(DateError::Unrecognized);
        };
        let parts: Vec<&str> = s.split(sep).collect();
        if !parts.iter().all(|p| all_digits(p)) {
            return Err(DateError::Unrecognized);
        }
        let small = |p: &str| p.len() <= 2;
        let year4 = |p: &str| p.len() == 4;
        match parts.as_slice() {
            [y, m, d] if year4(y) && small(m) && small(d) => {
                from_parts_allowing_zero(num(y) as i32, num(m), num(d))
            }
            [d, m, y] if small(d) && small(m) && year4(y) => {
                from_parts_allowing_zero(num(y) as i32, num(m), num(d))
            }
            [d, m, y] if small(d) && small(m) && small(y) => Err(DateError::ShortYear {
                year: (*y).to_owned(),
            }),
            [y, m] if year4(y) && small(m) => from_parts_allowing_zero(num(y) as i32, num(m), 0),
            [m, y] if small(m) && year4(y) => from_parts_allowing_zero(num(y) as i32, num(m), 0),
            _ => Err(DateError::Unrecognized),
        }
    }

    /// The strict form used for storage and exchange: "YYYY-MM-DD", "YYYY-MM" or "YYYY".
    pub fn parse_iso(s: &str) -> Result<PartialDate, DateError> {
        let parts: Vec<&str> = s.split('-').collect();
        let shaped = parts.iter().all(|p| all_digits(p))
            && parts.first().is_some_and(|y| y.len() == 4)
            && parts.len() <= 3
            && parts.iter().skip(1).all(|p| p.len() == 2);
        if !shaped {
            return Err(DateError::NotIso);
        }
        let year = check_year(num(parts[0]) as i32)?;
        match parts.as_slice() {
            [_] => Ok(PartialDate::Year(year)),
            [_, m] => Ok(PartialDate::YearMonth {
                year,
                month: check_month(num(m))?,
            }),
            [_, m, d] => full_date(year, num(m), num(d)).map(PartialDate::Full),
            _ => Err(DateError::NotIso),
        }
    }

    /// A date from Excel's 1900 date system: 1 = 1900-01-01; 60 is the non-existent 29/02/1900
    /// (rejected); from 61 on, serials are one ahead of the real day count. The fraction (time of
    /// day) is ignored.
    pub fn from_excel_serial(serial: f64) -> Result<PartialDate, DateError> {
        if !serial.is_finite() {
            return Err(DateError::ExcelSerialNotANumber);
        }
        let whole = serial.floor();
        if !(1.0..=MAX_EXCEL_SERIAL as f64).contains(&whole) {
            let serial = if whole < 0.0 {
                -1
            } else {
                whole.min(1e15) as i64
            };
            return Err(DateError::ExcelSerialOutOfRange { serial });
        }
        let n = whole as i32;
        let days_after_1899_12_31 = match n {
            60 => return Err(DateError::ExcelFakeLeapDay),
            n if n < 60 => n,
            n => n - 1,
        };
        let base = time::macros::date!(1899 - 12 - 31).to_julian_day();
        Date::from_julian_day(base + days_after_1899_12_31)
            .map(PartialDate::Full)
            .map_err(|_| DateError::ExcelSerialOutOfRange { serial: n.into() })
    }

    /// Exactly eight digits, day month year, a full date: the card QR's fields.
    pub fn from_ddmmyyyy(s: &str) -> Result<Date, DateError> {
        match PartialDate::parse_ddmmyyyy(s)? {
            PartialDate::Full(d) => Ok(d),
            _ => Err(DateError::Incomplete),
        }
    }

    /// Exactly eight digits, day month year, where 00 marks an unknown day or month
    /// ("00001950" = 1950, "00031950" = March 1950), as on cards of people with a partial
    /// date of birth.
    pub fn parse_ddmmyyyy(s: &str) -> Result<PartialDate, DateError> {
        if s.len() != 8 || !all_digits(s) {
            return Err(DateError::NotEightDigits);
        }
        from_parts_allowing_zero(num(&s[4..]) as i32, num(&s[2..4]), num(&s[..2]))
    }

    /// A full date, checked (year 1800–2200).
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Result<PartialDate, DateError> {
        full_date(year, month.into(), day.into()).map(PartialDate::Full)
    }

    /// A year and month, checked.
    pub fn from_year_month(year: i32, month: u8) -> Result<PartialDate, DateError> {
        Ok(PartialDate::YearMonth {
            year: check_year(year)?,
            month: check_month(month.into())?,
        })
    }

    /// A year alone, checked.
    pub fn from_year(year: i32) -> Result<PartialDate, DateError> {
        check_year(year).map(PartialDate::Year)
    }

    pub fn to_iso(&self) -> String {
        match *self {
            PartialDate::Full(d) => {
                format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
            }
            PartialDate::YearMonth { year, month } => format!("{year:04}-{month:02}"),
            PartialDate::Year(year) => format!("{year:04}"),
        }
    }

    /// The Vietnamese written form, day first.
    pub fn to_vi(&self) -> String {
        match *self {
            PartialDate::Full(d) => {
                format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
            }
            PartialDate::YearMonth { year, month } => format!("{month:02}/{year:04}"),
            PartialDate::Year(year) => format!("{year:04}"),
        }
    }

    pub fn year(&self) -> i32 {
        match *self {
            PartialDate::Full(d) => d.year(),
            PartialDate::YearMonth { year, .. } | PartialDate::Year(year) => year,
        }
    }

    pub fn month(&self) -> Option<u8> {
        match *self {
            PartialDate::Full(d) => Some(d.month().into()),
            PartialDate::YearMonth { month, .. } => Some(month),
            PartialDate::Year(_) => None,
        }
    }

    pub fn day(&self) -> Option<u8> {
        self.full().map(|d| d.day())
    }

    pub fn full(&self) -> Option<Date> {
        match *self {
            PartialDate::Full(d) => Some(d),
            _ => None,
        }
    }

    /// Whether the two could be the same day: every part known on both sides agrees
    /// ("1950" is compatible with "07/03/1950", "03/1950" is not with "04/1950"). For matching
    /// records where one side knows less.
    pub fn is_compatible_with(&self, other: &PartialDate) -> bool {
        let agree = |a: Option<u8>, b: Option<u8>| match (a, b) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        self.year() == other.year()
            && agree(self.month(), other.month())
            && agree(self.day(), other.day())
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso())
    }
}

impl FromStr for PartialDate {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PartialDate::parse(s)
    }
}

impl Serialize for PartialDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_iso())
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Stored data is always ISO; leniency here would hide corrupted records.
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        PartialDate::parse_iso(&s)
            .map_err(|e| serde::de::Error::custom(format_args!("date {s:?}: {e}")))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn full(y: i32, m: u8, d: u8) -> PartialDate {
        PartialDate::from_ymd(y, m, d).unwrap()
    }

    #[test]
    fn accepted_forms() {
        let ym = PartialDate::YearMonth {
            year: 1995,
            month: 3,
        };
        let cases: &[(&str, PartialDate)] = &[
            ("07/03/1995", full(1995, 3, 7)),
            ("7/3/1995", full(1995, 3, 7)),
            ("07-03-1995", full(1995, 3, 7)),
            ("07.03.1995", full(1995, 3, 7)),
            ("1995-03-07", full(1995, 3, 7)),
            ("1995/03/07", full(1995, 3, 7)),
            ("  07/03/1995 \r\n", full(1995, 3, 7)),
            ("07031995", full(1995, 3, 7)),
            ("00/00/1995", PartialDate::Year(1995)),
            ("00/03/1995", ym),
            ("03/1995", ym),
            ("3/1995", ym),
            ("03.1995", ym),
            ("1995-03", ym),
            ("00/1995", PartialDate::Year(1995)),
            ("1995", PartialDate::Year(1995)),
            ("1995.0", PartialDate::Year(1995)),
            ("00001995", PartialDate::Year(1995)),
            ("00031995", ym),
            ("36526", full(2000, 1, 1)),
            ("36526.0", full(2000, 1, 1)),
            ("36526.75", full(2000, 1, 1)),
            ("29/02/2000", full(2000, 2, 29)),
            ("07/03/1995 00:00:00", full(1995, 3, 7)),
            ("1995-03-07T00:00", full(1995, 3, 7)),
            ("1800", PartialDate::Year(1800)),
            ("2200", PartialDate::Year(2200)),
        ];
        for (text, want) in cases {
            assert_eq!(PartialDate::parse(text).as_ref(), Ok(want), "{text:?}");
        }
    }

    #[test]
    fn rejected_forms_say_why() {
        let cases: &[(&str, &str)] = &[
            ("31/02/2000", "day 31 does not exist in February 2000"),
            ("29/02/1900", "day 29 does not exist in February 1900"),
            ("01/13/2000", "month 13 is not 1–12"),
            ("0999", "year 0999 is outside 1800–2200"),
            ("2201", "year 2201 is outside 1800–2200"),
            ("", "the date is empty; expected a date like 07/03/1995"),
            (
                "hôm qua",
                "expected a date like 07/03/1995, 03/1995, 1995 or 1995-03-07",
            ),
            ("07/03-1995", "expected a date like"),
            ("07/03/95", "year 95 must be written with 4 digits"),
            ("07/00/1995", "day 07 is given but the month is 00"),
            ("80000", "Excel serial 80000 is outside 1–73050"),
            ("123456", "expected a date like"),
            ("32/01/2000", "day 32 does not exist in January 2000"),
            ("1995-3-7x", "expected a date like"),
        ];
        for (text, want) in cases {
            let err = PartialDate::parse(text).unwrap_err().to_string();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn day_first_is_never_swapped() {
        // 13/01 can only be day/month; 01/13 must not be silently read as month/day.
        assert_eq!(PartialDate::parse("13/01/2000"), Ok(full(2000, 1, 13)));
        assert!(PartialDate::parse("01/13/2000").is_err());
    }

    #[test]
    fn excel_serials() {
        let cases = [
            (1.0, date!(1900 - 01 - 01)),
            (59.0, date!(1900 - 02 - 28)),
            (61.0, date!(1900 - 03 - 01)),
            (35000.0, date!(1995 - 10 - 28)),
            (36526.0, date!(2000 - 01 - 01)),
            (43831.5, date!(2020 - 01 - 01)),
            (73050.0, date!(2099 - 12 - 31)),
        ];
        for (serial, want) in cases {
            assert_eq!(
                PartialDate::from_excel_serial(serial),
                Ok(PartialDate::Full(want)),
                "{serial}"
            );
        }
        assert_eq!(
            PartialDate::from_excel_serial(60.0),
            Err(DateError::ExcelFakeLeapDay)
        );
        assert!(PartialDate::from_excel_serial(0.0).is_err());
        assert!(PartialDate::from_excel_serial(-5.0).is_err());
        assert!(PartialDate::from_excel_serial(73051.0).is_err());
        assert!(PartialDate::from_excel_serial(f64::NAN).is_err());
        assert!(PartialDate::from_excel_serial(f64::INFINITY).is_err());
    }

    #[test]
    fn strict_iso() {
        assert_eq!(PartialDate::parse_iso("1995-03-07"), Ok(full(1995, 3, 7)));
        assert_eq!(
            PartialDate::parse_iso("1995-03"),
            Ok(PartialDate::YearMonth {
                year: 1995,
                month: 3
            })
        );
        assert_eq!(PartialDate::parse_iso("1995"), Ok(PartialDate::Year(1995)));
        for bad in [
            "07/03/1995",
            "1995-3-7",
            " 1995",
            "1995-03-07-01",
            "",
            "95",
            "1995-00",
        ] {
            assert!(PartialDate::parse_iso(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            PartialDate::parse_iso("2000-02-30")
                .unwrap_err()
                .to_string(),
            "day 30 does not exist in February 2000"
        );
    }

    #[test]
    fn ddmmyyyy_is_strict() {
        assert_eq!(
            PartialDate::from_ddmmyyyy("07031995"),
            Ok(date!(1995 - 03 - 07))
        );
        assert_eq!(
            PartialDate::from_ddmmyyyy("00031995"),
            Err(DateError::Incomplete)
        );
        for bad in ["0703199", "070319950", "07/03/95", " 07031995", "o7031995"] {
            assert_eq!(
                PartialDate::from_ddmmyyyy(bad),
                Err(DateError::NotEightDigits),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn accessors_and_forms() {
        let d = full(1995, 3, 7);
        assert_eq!((d.year(), d.month(), d.day()), (1995, Some(3), Some(7)));
        assert_eq!(d.to_iso(), "1995-03-07");
        assert_eq!(d.to_vi(), "07/03/1995");
        assert_eq!(d.to_string(), "1995-03-07");
        let ym = PartialDate::from_year_month(1995, 3).unwrap();
        assert_eq!(
            (ym.to_iso(), ym.to_vi()),
            ("1995-03".into(), "03/1995".into())
        );
        assert_eq!(ym.day(), None);
        let y = PartialDate::from_year(1950).unwrap();
        assert_eq!(
            (y.to_iso(), y.to_vi(), y.month()),
            ("1950".into(), "1950".into(), None)
        );
        assert!(y.is_compatible_with(&full(1950, 3, 7)));
        assert!(!y.is_compatible_with(&d));
        assert!(!ym.is_compatible_with(&PartialDate::from_year_month(1995, 4).unwrap()));
        assert!(ym.is_compatible_with(&d));
        assert_eq!("07/03/1995".parse::<PartialDate>(), Ok(d));
    }

    #[test]
    fn serde_is_iso_and_strict() {
        let d = full(1995, 3, 7);
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"1995-03-07\"");
        assert_eq!(
            serde_json::from_str::<PartialDate>("\"1995-03\"")
                .unwrap()
                .to_iso(),
            "1995-03"
        );
        let err = serde_json::from_str::<PartialDate>("\"07/03/1995\"").unwrap_err();
        assert!(err.to_string().contains("expected an ISO date"), "{err}");
    }

    #[test]
    fn vietnamese_rules_name_the_values() {
        let vi = |text: &str| PartialDate::parse(text).unwrap_err().vi();
        assert_eq!(vi("31/02/1990"), "Ngày 31 không có trong tháng 2 năm 1990");
        assert_eq!(vi("29/02/1900"), "Ngày 29 không có trong tháng 2 năm 1900");
        assert_eq!(
            vi("01/13/2000"),
            "Tháng 13 không hợp lệ; tháng phải từ 1 đến 12"
        );
        assert_eq!(vi("2201"), "Năm 2201 nằm ngoài khoảng 1800–2200");
        assert_eq!(vi("0999"), "Năm 0999 nằm ngoài khoảng 1800–2200");
        assert_eq!(vi("07/03/95"), "Năm 95 phải viết đủ 4 chữ số, ví dụ 1995");
        assert!(vi("").starts_with("Chưa nhập ngày"));
        assert!(vi("hôm qua").starts_with("Không đọc được ngày"));
        assert!(vi("07/00/1995").starts_with("Có ngày 07 nhưng tháng là 00"));
        assert!(vi("80000").contains("80000"));
        assert_eq!(
            PartialDate::from_ddmmyyyy("07/03/95").unwrap_err().vi(),
            "Ngày phải gồm đúng 8 chữ số theo thứ tự ngày, tháng, năm, ví dụ 07031995"
        );
        for text in ["31/02/1990", "", "07/00/1995", "80000", "07/03/95", "0999"] {
            let e = PartialDate::parse(text).unwrap_err();
            crate::vi_check::assert_vi(&e.to_string(), &e.vi());
        }
    }

    /// Exhaustive on purpose: a new variant does not compile until the strategy covers it.
    fn date_error_variant(e: &DateError) -> usize {
        match e {
            DateError::Empty => 0,
            DateError::Unrecognized => 1,
            DateError::NotIso => 2,
            DateError::NotEightDigits => 3,
            DateError::ShortYear { .. } => 4,
            DateError::YearOutOfRange { .. } => 5,
            DateError::MonthOutOfRange { .. } => 6,
            DateError::DayOutOfRange { .. } => 7,
            DateError::DayWithoutMonth { .. } => 8,
            DateError::Incomplete => 9,
            DateError::ExcelSerialOutOfRange { .. } => 10,
            DateError::ExcelSerialNotANumber => 11,
            DateError::ExcelFakeLeapDay => 12,
        }
    }

    fn arb_date_error() -> impl Strategy<Value = DateError> {
        prop_oneof![
            Just(DateError::Empty),
            Just(DateError::Unrecognized),
            Just(DateError::NotIso),
            Just(DateError::NotEightDigits),
            "[0-9]{1,3}".prop_map(|year| DateError::ShortYear { year }),
            any::<i32>().prop_map(|year| DateError::YearOutOfRange { year }),
            any::<u32>().prop_map(|month| DateError::MonthOutOfRange { month }),
            (any::<u32>(), 1u8..=12, any::<i32>())
                .prop_map(|(day, month, year)| DateError::DayOutOfRange { day, month, year }),
            any::<u32>().prop_map(|day| DateError::DayWithoutMonth { day }),
            Just(DateError::Incomplete),
            any::<i64>().prop_map(|serial| DateError::ExcelSerialOutOfRange { serial }),
            Just(DateError::ExcelSerialNotANumber),
            Just(DateError::ExcelFakeLeapDay),
        ]
    }

    #[test]
    fn the_strategy_reaches_every_variant() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let mut seen = [false; 13];
        for _ in 0..1000 {
            let e = arb_date_error().new_tree(&mut runner).unwrap().current();
            seen[date_error_variant(&e)] = true;
        }
        assert!(seen.iter().all(|s| *s), "{seen:?}");
    }

    pub(crate) fn arb_partial_date() -> impl Strategy<Value = PartialDate> {
        (MIN_YEAR..=MAX_YEAR, 1u8..=12, 1u8..=31, 0u8..3).prop_map(|(y, m, d, kind)| match kind {
            0 => PartialDate::Year(y),
            1 => PartialDate::YearMonth { year: y, month: m },
            _ => full(y, m, d.min(days_in_month(y, m))),
        })
    }

    proptest! {
        #[test]
        fn round_trips(d in arb_partial_date()) {
            prop_assert_eq!(PartialDate::parse(&d.to_iso()), Ok(d));
            prop_assert_eq!(PartialDate::parse(&d.to_vi()), Ok(d));
            prop_assert_eq!(PartialDate::parse_iso(&d.to_iso()), Ok(d));
            let json = serde_json::to_string(&d).unwrap();
            prop_assert_eq!(serde_json::from_str::<PartialDate>(&json).unwrap(), d);
        }

        #[test]
        fn every_date_error_has_its_vietnamese(e in arb_date_error()) {
            crate::vi_check::assert_vi(&e.to_string(), &e.vi());
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = PartialDate::parse(&s);
            let _ = PartialDate::parse_iso(&s);
            let _ = PartialDate::parse_ddmmyyyy(&s);
        }

        #[test]
        fn parse_never_panics_on_date_like_text(s in "[0-9/.\\- T:]{0,24}") {
            let _ = PartialDate::parse(&s);
        }

        #[test]
        fn excel_serial_never_panics(x in proptest::num::f64::ANY) {
            let _ = PartialDate::from_excel_serial(x);
        }

        #[test]
        fn excel_serials_are_consecutive_days(n in 61i64..MAX_EXCEL_SERIAL) {
            let a = PartialDate::from_excel_serial(n as f64).unwrap().full().unwrap();
            let b = PartialDate::from_excel_serial((n + 1) as f64).unwrap().full().unwrap();
            prop_assert_eq!(a.next_day(), Some(b));
        }
    }
}
