//! Working days of a state office and deadlines counted in them.
//!
//! The week: Monday–Friday (Decree 45/2013, Labour Code 2019 Art. 111 for state bodies' weekly
//! rest on Saturday and Sunday). The statutory holidays: Labour Code 2019 Art. 112(1). A holiday
//! that falls on the weekly rest moves to the next working day: Labour Code 2019 Art. 111(3)
//! ("Nếu ngày nghỉ hằng tuần trùng với ngày nghỉ lễ, tết quy định tại khoản 1 Điều 112 … thì
//! người lao động được nghỉ bù ngày nghỉ hằng tuần vào ngày làm việc kế tiếp"). Every year the
//! government announces the exact Tết days and swaps of working days; officials enter those in
//! [`YearOverrides`], which win over the computed rules.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use time::{Date, Month, PrimitiveDateTime, Time, Weekday};

use super::lunar::{lunar_new_year, lunar_to_solar, LunarDate, LunarError};

/// Vietnam Culture Day (Ngày Văn hóa Việt Nam, 24 November) is a paid holiday from this year on.
///
/// Status when this was written: Politburo Resolution 80-NQ/TW (7 January 2026) chose 24/11 as
/// Vietnam Culture Day, a day off with full pay; Government Resolution 30/NQ-CP (February 2026)
/// tasks amending Labour Code Art. 112(1) accordingly. The amended article itself was not
/// found in force. The rule is therefore switchable ([`HolidayRules::culture_day_from`]), and a
/// year's announcement can remove the day ([`YearOverrides::removed_days_off`]).
pub const CULTURE_DAY_FIRST_YEAR: i32 = 2026;

/// Dossiers received after this local time start their clock on the next working day
/// (Decree 63/2024/NĐ-CP for interlinked procedures; the same 15:00 rule as Decree 61/2018 as
/// amended by Decree 107/2021). Exactly 15:00 counts as on time.
pub const AFTERNOON_CUTOFF: Time = time::macros::time!(15:00);

/// The statutory holidays of Labour Code 2019 Art. 112(1), plus Vietnam Culture Day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Holiday {
    /// 1/1.
    NewYear,
    /// Tết Âm lịch: 5 days, see [`tet_days_off`].
    LunarNewYear,
    /// Giỗ Tổ Hùng Vương, 10/3 lunar.
    HungKings,
    /// 30/4.
    Victory,
    /// 1/5.
    LabourDay,
    /// 2/9 and one adjacent day, see [`national_day_adjacent`].
    NationalDay,
    /// 24/11, see [`CULTURE_DAY_FIRST_YEAR`].
    CultureDay,
}

impl Holiday {
    /// The name in the law's words.
    pub const fn name_vi(self) -> &'static str {
        match self {
            Holiday::NewYear => "Tết Dương lịch",
            Holiday::LunarNewYear => "Tết Âm lịch",
            Holiday::HungKings => "Giỗ Tổ Hùng Vương",
            Holiday::Victory => "Ngày Chiến thắng",
            Holiday::LabourDay => "Ngày Quốc tế lao động",
            Holiday::NationalDay => "Quốc khánh",
            Holiday::CultureDay => "Ngày Văn hóa Việt Nam",
        }
    }

    /// The reason shown for the compensatory day off (nghỉ bù) of this holiday.
    pub const fn compensation_vi(self) -> &'static str {
        match self {
            Holiday::NewYear => "Nghỉ bù Tết Dương lịch",
            Holiday::LunarNewYear => "Nghỉ bù Tết Âm lịch",
            Holiday::HungKings => "Nghỉ bù Giỗ Tổ Hùng Vương",
            Holiday::Victory => "Nghỉ bù Ngày Chiến thắng",
            Holiday::LabourDay => "Nghỉ bù Ngày Quốc tế lao động",
            Holiday::NationalDay => "Nghỉ bù Quốc khánh",
            Holiday::CultureDay => "Nghỉ bù Ngày Văn hóa Việt Nam",
        }
    }
}

/// Reason shown for a day off that officials added from the yearly announcement.
pub const ANNOUNCED_DAY_OFF: &str = "Nghỉ theo thông báo hằng năm";

/// THE TẾT RULE. The law gives 5 days and lets the Prime Minister choose them each year. This
/// uses the most common pattern: the last day of the old lunar year (29 or 30 tháng Chạp) and
/// the first four days of the new year (mùng 1–4); e.g. Tết 2026 was announced as 16–20/2/2026,
/// exactly this. Other years differed (e.g. Tết 2024 was announced as 8–14/2, starting on
/// 29 tháng Chạp): enter the announced days in [`YearOverrides`].
pub fn tet_days_off(year: i32) -> Result<[Date; 5], LunarError> {
    let tet = lunar_new_year(year)?;
    let day = |offset: i64| tet.checked_add(time::Duration::days(offset));
    match (day(-1), day(1), day(2), day(3)) {
        (Some(eve), Some(d2), Some(d3), Some(d4)) => Ok([eve, tet, d2, d3, d4]),
        _ => Err(LunarError::YearOutOfRange { year }),
    }
}

/// THE 2/9 RULE: the day adjacent to 2 September that is also a holiday (Labour Code 2019
/// Art. 112(1)(đ): "ngày 02 tháng 9 dương lịch và 01 ngày liền kề trước hoặc sau"; the Prime
/// Minister chooses). No written rule was found; this follows the announcements since the day
/// was added in 2021, which always chose the weekday that joins the holidays to a weekend:
/// 2021 (2/9 Thursday) → 3/9; 2022 (Friday) → 1/9; 2023 (Saturday) → 1/9; 2024 (Monday) → 3/9;
/// 2025 (Tuesday) → 1/9. So: 3/9 when 2/9 is a Monday, Thursday or Sunday (1/9 would be a
/// weekend day or not bridge to one), otherwise 1/9 (including Wednesday, where neither bridges;
/// 1/9 is the default the team agreed on).
pub fn national_day_adjacent(year: i32) -> Date {
    let (sept1, sept2, sept3) = (
        Date::from_calendar_date(year, Month::September, 1),
        Date::from_calendar_date(year, Month::September, 2),
        Date::from_calendar_date(year, Month::September, 3),
    );
    match (sept1, sept2, sept3) {
        (Ok(d1), Ok(d2), Ok(d3)) => match d2.weekday() {
            Weekday::Monday | Weekday::Thursday | Weekday::Sunday => d3,
            _ => d1,
        },
        // Outside `time`'s years: unreachable for any year the calendar accepts.
        (Ok(d1), _, _) => d1,
        _ => Date::MIN,
    }
}

/// Switches of the statutory rules that may change by law.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayRules {
    /// First year Vietnam Culture Day (24/11) is a holiday; `None` to leave it out.
    pub culture_day_from: Option<i32>,
}

impl Default for HolidayRules {
    fn default() -> Self {
        HolidayRules {
            culture_day_from: Some(CULTURE_DAY_FIRST_YEAR),
        }
    }
}

/// What the government announced for one year, as officials enter it. It wins over the
/// computed holidays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YearOverrides {
    pub year: i32,
    /// Days off beyond the computed ones (e.g. a bridge day given in exchange for a Saturday).
    pub extra_days_off: Vec<Date>,
    /// Days that are working days although they would be off (the swapped Saturdays).
    pub working_days: Vec<Date>,
    /// Computed days off that are not off this year (e.g. the announcement chose other Tết days).
    pub removed_days_off: Vec<Date>,
}

/// Why an override table is refused. The message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverrideError {
    DateOutsideYear { year: i32, date: Date },
    BothOffAndWorking { date: Date },
    DuplicateYear { year: i32 },
}

impl fmt::Display for OverrideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OverrideError::DateOutsideYear { year, date } => {
                write!(
                    f,
                    "the table of {year} lists {date}, a date of another year"
                )
            }
            OverrideError::BothOffAndWorking { date } => {
                write!(f, "{date} is listed both as a day off and as a working day")
            }
            OverrideError::DuplicateYear { year } => {
                write!(f, "there are two tables for {year}; merge them")
            }
        }
    }
}

impl std::error::Error for OverrideError {}

impl YearOverrides {
    /// Checks that every date belongs to the table's year and that no date is both off and
    /// working.
    pub fn validate(&self) -> Result<(), OverrideError> {
        let all = self
            .extra_days_off
            .iter()
            .chain(&self.working_days)
            .chain(&self.removed_days_off);
        for &date in all {
            if date.year() != self.year {
                return Err(OverrideError::DateOutsideYear {
                    year: self.year,
                    date,
                });
            }
        }
        for &date in &self.extra_days_off {
            if self.working_days.contains(&date) {
                return Err(OverrideError::BothOffAndWorking { date });
            }
        }
        Ok(())
    }
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn fixed(year: i32, month: Month, day: u8) -> Option<Date> {
    Date::from_calendar_date(year, month, day).ok()
}

/// The statutory holidays of `year` in date order (a day may appear twice when two holidays
/// coincide). Tết and Hùng Kings' day are left out for years outside the lunar calendar's range.
pub fn statutory_holidays(year: i32, rules: &HolidayRules) -> Vec<(Date, Holiday)> {
    let mut list = Vec::with_capacity(12);
    let mut push = |d: Option<Date>, h: Holiday| {
        if let Some(d) = d {
            list.push((d, h));
        }
    };
    push(fixed(year, Month::January, 1), Holiday::NewYear);
    if let Ok(days) = tet_days_off(year) {
        for d in days {
            push(Some(d), Holiday::LunarNewYear);
        }
    }
    push(
        lunar_to_solar(LunarDate::new(year, 3, 10)).ok(),
        Holiday::HungKings,
    );
    push(fixed(year, Month::April, 30), Holiday::Victory);
    push(fixed(year, Month::May, 1), Holiday::LabourDay);
    push(Some(national_day_adjacent(year)), Holiday::NationalDay);
    push(fixed(year, Month::September, 2), Holiday::NationalDay);
    if rules.culture_day_from.is_some_and(|from| year >= from) {
        push(fixed(year, Month::November, 24), Holiday::CultureDay);
    }
    // The eve of Tết is always in January or February of the same year, so every day is in
    // `year`; sort for the compensation pass.
    list.retain(|(d, _)| d.year() == year);
    list.sort();
    list
}

/// The computed days off of `year` before the announced overrides: every statutory holiday,
/// and for each one that falls on a Saturday or Sunday (or on a day already taken by another
/// holiday) a compensatory day on the next working day not already off, in date order.
///
/// Two holidays on the same date (10/3 lunar can fall on 30/4 or 1/5) are treated like a
/// holiday on a weekend: the second gets a compensatory day. The law does not say so in words;
/// it follows from each holiday being a paid day off.
pub fn computed_days_off(year: i32, rules: &HolidayRules) -> BTreeMap<Date, &'static str> {
    let holidays = statutory_holidays(year, rules);
    let mut off: BTreeMap<Date, &'static str> = BTreeMap::new();
    let mut needs_compensation = Vec::new();
    for &(date, holiday) in &holidays {
        match off.entry(date) {
            Entry::Occupied(_) => needs_compensation.push((date, holiday)),
            Entry::Vacant(slot) => {
                slot.insert(holiday.name_vi());
                if is_weekend(date) {
                    needs_compensation.push((date, holiday));
                }
            }
        }
    }
    needs_compensation.sort();
    for (date, holiday) in needs_compensation {
        let mut day = date;
        while let Some(next) = day.next_day() {
            day = next;
            if !is_weekend(day) && !off.contains_key(&day) {
                off.insert(day, holiday.compensation_vi());
                break;
            }
        }
    }
    off
}

/// The calendar of working days with the officials' override tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingCalendar {
    rules: HolidayRules,
    overrides: BTreeMap<i32, YearOverrides>,
}

/// One year's days off after the overrides, and the forced working days.
struct YearTable {
    year: i32,
    off: BTreeMap<Date, &'static str>,
    working: BTreeSet<Date>,
}

impl YearTable {
    fn is_working_day(&self, d: Date) -> bool {
        if self.working.contains(&d) {
            true
        } else {
            !self.off.contains_key(&d) && !is_weekend(d)
        }
    }
}

/// Walks days with one year's table at a time.
struct Walker<'a> {
    calendar: &'a WorkingCalendar,
    table: Option<YearTable>,
}

impl Walker<'_> {
    fn is_working_day(&mut self, d: Date) -> bool {
        match &self.table {
            Some(t) if t.year == d.year() => t.is_working_day(d),
            _ => {
                let t = self.calendar.table(d.year());
                let working = t.is_working_day(d);
                self.table = Some(t);
                working
            }
        }
    }

    /// The first working day after `d` (or `d` itself at the end of representable dates).
    fn next_working_day_after(&mut self, d: Date) -> Date {
        let mut day = d;
        while let Some(next) = day.next_day() {
            day = next;
            if self.is_working_day(day) {
                break;
            }
        }
        day
    }
}

impl WorkingCalendar {
    /// The statutory rules with the officials' tables (at most one per year).
    pub fn new(overrides: Vec<YearOverrides>) -> Result<WorkingCalendar, OverrideError> {
        WorkingCalendar::with_rules(HolidayRules::default(), overrides)
    }

    pub fn with_rules(
        rules: HolidayRules,
        overrides: Vec<YearOverrides>,
    ) -> Result<WorkingCalendar, OverrideError> {
        let mut by_year = BTreeMap::new();
        for o in overrides {
            o.validate()?;
            let year = o.year;
            if by_year.insert(year, o).is_some() {
                return Err(OverrideError::DuplicateYear { year });
            }
        }
        Ok(WorkingCalendar {
            rules,
            overrides: by_year,
        })
    }

    pub fn rules(&self) -> &HolidayRules {
        &self.rules
    }

    pub fn overrides(&self, year: i32) -> Option<&YearOverrides> {
        self.overrides.get(&year)
    }

    fn table(&self, year: i32) -> YearTable {
        let mut off = computed_days_off(year, &self.rules);
        let mut working = BTreeSet::new();
        if let Some(o) = self.overrides.get(&year) {
            for d in &o.removed_days_off {
                off.remove(d);
            }
            for &d in &o.extra_days_off {
                off.entry(d).or_insert(ANNOUNCED_DAY_OFF);
            }
            for &d in &o.working_days {
                off.remove(&d);
                working.insert(d);
            }
        }
        YearTable { year, off, working }
    }

    fn walker(&self) -> Walker<'_> {
        Walker {
            calendar: self,
            table: None,
        }
    }

    /// Whether the office works on `date`.
    pub fn is_working_day(&self, date: Date) -> bool {
        self.table(date.year()).is_working_day(date)
    }

    /// The days off of `year` beyond ordinary weekends, sorted, with the reason in Vietnamese:
    /// the statutory holidays (also those on a weekend), their compensatory days and the
    /// announced extra days, less the days the year's table removed or made working days.
    pub fn days_off(&self, year: i32) -> Vec<(Date, &'static str)> {
        self.table(year).off.into_iter().collect()
    }

    /// The date `n` working days after `start`: working days strictly after `start` are counted,
    /// so `n = 0` gives `start` itself and `n = 1` the next working day.
    pub fn add_working_days(&self, start: Date, n: u32) -> Date {
        let mut walker = self.walker();
        let mut day = start;
        for _ in 0..n {
            let next = walker.next_working_day_after(day);
            if next == day {
                break;
            }
            day = next;
        }
        day
    }

    /// The day the processing clock starts for a dossier received at local time `received`:
    /// the day of receipt if it is a working day and the time is at most 15:00, otherwise the
    /// next working day.
    pub fn clock_start(&self, received: PrimitiveDateTime) -> Date {
        let mut walker = self.walker();
        let day = received.date();
        if received.time() <= AFTERNOON_CUTOFF && walker.is_working_day(day) {
            day
        } else {
            walker.next_working_day_after(day)
        }
    }

    /// The due date of a dossier received at local (UTC+7) time `received` for a procedure of
    /// `working_days` working days.
    ///
    /// Convention: the clock starts on [`WorkingCalendar::clock_start`] (day 0), and the result
    /// is due at the end of the `working_days`-th working day after it. So, with no holidays:
    /// received Monday 10:00, 1 working day → due Tuesday; Monday 16:00 → due Wednesday;
    /// Saturday → due Tuesday. "Within the day" procedures (`working_days = 0`) are due the same
    /// day when received by 15:00 on a working day, otherwise on the next working day.
    pub fn due_date(&self, received: PrimitiveDateTime, working_days: u32) -> Date {
        self.add_working_days(self.clock_start(received), working_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn statutory() -> WorkingCalendar {
        WorkingCalendar::default()
    }

    fn render(year: i32, cal: &WorkingCalendar) -> String {
        cal.days_off(year)
            .iter()
            .map(|(d, why)| format!("{d} {} {why}\n", &d.weekday().to_string()[..3]))
            .collect()
    }

    /// THE GOLDEN TABLE: every day off 2024–2030 as the rules compute them (no announcements).
    /// Checked by hand: Tết and Hùng Kings' days from the published dates, the eve of Tết the
    /// day before, fixed dates, weekdays, and each weekend holiday's compensation on the next
    /// free working day. A change of any rule shows up as a diff here.
    #[test]
    fn golden_days_off_2024_to_2030() {
        let cal = statutory();
        let all: String = (2024..=2030).map(|y| render(y, &cal)).collect();
        let expected = "\
2024-01-01 Mon Tết Dương lịch
2024-02-09 Fri Tết Âm lịch
2024-02-10 Sat Tết Âm lịch
2024-02-11 Sun Tết Âm lịch
2024-02-12 Mon Tết Âm lịch
2024-02-13 Tue Tết Âm lịch
2024-02-14 Wed Nghỉ bù Tết Âm lịch
2024-02-15 Thu Nghỉ bù Tết Âm lịch
2024-04-18 Thu Giỗ Tổ Hùng Vương
2024-04-30 Tue Ngày Chiến thắng
2024-05-01 Wed Ngày Quốc tế lao động
2024-09-02 Mon Quốc khánh
2024-09-03 Tue Quốc khánh
2025-01-01 Wed Tết Dương lịch
2025-01-28 Tue Tết Âm lịch
2025-01-29 Wed Tết Âm lịch
2025-01-30 Thu Tết Âm lịch
2025-01-31 Fri Tết Âm lịch
2025-02-01 Sat Tết Âm lịch
2025-02-03 Mon Nghỉ bù Tết Âm lịch
2025-04-07 Mon Giỗ Tổ Hùng Vương
2025-04-30 Wed Ngày Chiến thắng
2025-05-01 Thu Ngày Quốc tế lao động
2025-09-01 Mon Quốc khánh
2025-09-02 Tue Quốc khánh
2026-01-01 Thu Tết Dương lịch
2026-02-16 Mon Tết Âm lịch
2026-02-17 Tue Tết Âm lịch
2026-02-18 Wed Tết Âm lịch
2026-02-19 Thu Tết Âm lịch
2026-02-20 Fri Tết Âm lịch
2026-04-26 Sun Giỗ Tổ Hùng Vương
2026-04-27 Mon Nghỉ bù Giỗ Tổ Hùng Vương
2026-04-30 Thu Ngày Chiến thắng
2026-05-01 Fri Ngày Quốc tế lao động
2026-09-01 Tue Quốc khánh
2026-09-02 Wed Quốc khánh
2026-11-24 Tue Ngày Văn hóa Việt Nam
2027-01-01 Fri Tết Dương lịch
2027-02-05 Fri Tết Âm lịch
2027-02-06 Sat Tết Âm lịch
2027-02-07 Sun Tết Âm lịch
2027-02-08 Mon Tết Âm lịch
2027-02-09 Tue Tết Âm lịch
2027-02-10 Wed Nghỉ bù Tết Âm lịch
2027-02-11 Thu Nghỉ bù Tết Âm lịch
2027-04-16 Fri Giỗ Tổ Hùng Vương
2027-04-30 Fri Ngày Chiến thắng
2027-05-01 Sat Ngày Quốc tế lao động
2027-05-03 Mon Nghỉ bù Ngày Quốc tế lao động
2027-09-02 Thu Quốc khánh
2027-09-03 Fri Quốc khánh
2027-11-24 Wed Ngày Văn hóa Việt Nam
2028-01-01 Sat Tết Dương lịch
2028-01-03 Mon Nghỉ bù Tết Dương lịch
2028-01-25 Tue Tết Âm lịch
2028-01-26 Wed Tết Âm lịch
2028-01-27 Thu Tết Âm lịch
2028-01-28 Fri Tết Âm lịch
2028-01-29 Sat Tết Âm lịch
2028-01-31 Mon Nghỉ bù Tết Âm lịch
2028-04-04 Tue Giỗ Tổ Hùng Vương
2028-04-30 Sun Ngày Chiến thắng
2028-05-01 Mon Ngày Quốc tế lao động
2028-05-02 Tue Nghỉ bù Ngày Chiến thắng
2028-09-01 Fri Quốc khánh
2028-09-02 Sat Quốc khánh
2028-09-04 Mon Nghỉ bù Quốc khánh
2028-11-24 Fri Ngày Văn hóa Việt Nam
2029-01-01 Mon Tết Dương lịch
2029-02-12 Mon Tết Âm lịch
2029-02-13 Tue Tết Âm lịch
2029-02-14 Wed Tết Âm lịch
2029-02-15 Thu Tết Âm lịch
2029-02-16 Fri Tết Âm lịch
2029-04-23 Mon Giỗ Tổ Hùng Vương
2029-04-30 Mon Ngày Chiến thắng
2029-05-01 Tue Ngày Quốc tế lao động
2029-09-02 Sun Quốc khánh
2029-09-03 Mon Quốc khánh
2029-09-04 Tue Nghỉ bù Quốc khánh
2029-11-24 Sat Ngày Văn hóa Việt Nam
2029-11-26 Mon Nghỉ bù Ngày Văn hóa Việt Nam
2030-01-01 Tue Tết Dương lịch
2030-02-01 Fri Tết Âm lịch
2030-02-02 Sat Tết Âm lịch
2030-02-03 Sun Tết Âm lịch
2030-02-04 Mon Tết Âm lịch
2030-02-05 Tue Tết Âm lịch
2030-02-06 Wed Nghỉ bù Tết Âm lịch
2030-02-07 Thu Nghỉ bù Tết Âm lịch
2030-04-12 Fri Giỗ Tổ Hùng Vương
2030-04-30 Tue Ngày Chiến thắng
2030-05-01 Wed Ngày Quốc tế lao động
2030-09-02 Mon Quốc khánh
2030-09-03 Tue Quốc khánh
2030-11-24 Sun Ngày Văn hóa Việt Nam
2030-11-25 Mon Nghỉ bù Ngày Văn hóa Việt Nam
";
        if all != expected {
            eprintln!("{all}");
        }
        assert_eq!(all, expected);
    }

    #[test]
    fn the_national_day_adjacent_day_matches_the_announcements_2021_to_2025() {
        assert_eq!(national_day_adjacent(2021), date!(2021 - 09 - 03));
        assert_eq!(national_day_adjacent(2022), date!(2022 - 09 - 01));
        assert_eq!(national_day_adjacent(2023), date!(2023 - 09 - 01));
        assert_eq!(national_day_adjacent(2024), date!(2024 - 09 - 03));
        assert_eq!(national_day_adjacent(2025), date!(2025 - 09 - 01));
        // Wednesday: the default, 1/9.
        assert_eq!(national_day_adjacent(2026), date!(2026 - 09 - 01));
    }

    #[test]
    fn hung_kings_day_and_the_may_holidays_of_2023_as_announced() {
        // Announced 2023: off 29/4 (Sat, Hùng Kings) to 3/5.
        let off: Vec<Date> = statutory()
            .days_off(2023)
            .into_iter()
            .map(|(d, _)| d)
            .filter(|d| d.month() == Month::April || d.month() == Month::May)
            .collect();
        assert_eq!(
            off,
            [
                date!(2023 - 04 - 29),
                date!(2023 - 04 - 30),
                date!(2023 - 05 - 01),
                date!(2023 - 05 - 02),
                date!(2023 - 05 - 03)
            ]
        );
    }

    /// Each statutory holiday costs exactly one working day, whatever day it falls on, and
    /// every compensatory day stays in its year.
    #[test]
    fn every_holiday_takes_exactly_one_weekday_1900_to_2100() {
        let rules = HolidayRules::default();
        for year in 1900..=2100 {
            let holidays = statutory_holidays(year, &rules);
            let expected = if year >= CULTURE_DAY_FIRST_YEAR {
                12
            } else {
                11
            };
            assert_eq!(holidays.len(), expected, "{year}");
            let off = computed_days_off(year, &rules);
            let weekdays = off.keys().filter(|d| !is_weekend(**d)).count();
            assert_eq!(weekdays, expected, "{year}: {off:?}");
            assert!(off.keys().all(|d| d.year() == year), "{year}");
        }
    }

    #[test]
    fn culture_day_can_be_switched_off() {
        let rules = HolidayRules {
            culture_day_from: None,
        };
        let cal = WorkingCalendar::with_rules(rules, Vec::new());
        let cal = cal.unwrap_or_default();
        assert!(cal.is_working_day(date!(2026 - 11 - 24)));
        assert!(!statutory().is_working_day(date!(2026 - 11 - 24)));
        assert!(statutory().is_working_day(date!(2025 - 11 - 24)));
    }

    #[test]
    fn weekends_and_holidays_are_not_working_days() {
        let cal = statutory();
        assert!(cal.is_working_day(date!(2026 - 03 - 02))); // Monday
        assert!(!cal.is_working_day(date!(2026 - 03 - 07))); // Saturday
        assert!(!cal.is_working_day(date!(2026 - 03 - 08))); // Sunday
        assert!(!cal.is_working_day(date!(2026 - 02 - 17))); // Tết
        assert!(!cal.is_working_day(date!(2026 - 04 - 27))); // compensation of Hùng Kings
        assert!(!cal.is_working_day(date!(2026 - 01 - 01)));
    }

    #[test]
    fn counting_convention() {
        let cal = statutory();
        // Monday 2026-03-02.
        assert_eq!(
            cal.due_date(datetime!(2026-03-02 10:00), 1),
            date!(2026 - 03 - 03)
        );
        assert_eq!(
            cal.due_date(datetime!(2026-03-02 10:00), 5),
            date!(2026 - 03 - 09)
        );
        // After 15:00 the clock starts on Tuesday.
        assert_eq!(
            cal.due_date(datetime!(2026-03-02 16:00), 1),
            date!(2026 - 03 - 04)
        );
        // Within the day.
        assert_eq!(
            cal.due_date(datetime!(2026-03-02 15:00), 0),
            date!(2026 - 03 - 02)
        );
        assert_eq!(
            cal.due_date(datetime!(2026-03-02 15:00:01), 0),
            date!(2026 - 03 - 03)
        );
        assert_eq!(
            cal.due_date(datetime!(2026-03-02 15:01), 0),
            date!(2026 - 03 - 03)
        );
        assert_eq!(
            cal.due_date(datetime!(2026-03-02 07:30), 0),
            date!(2026 - 03 - 02)
        );
        // Friday afternoon, within the day → Monday.
        assert_eq!(
            cal.due_date(datetime!(2026-03-06 15:30), 0),
            date!(2026 - 03 - 09)
        );
        // Saturday (any time): the clock starts Monday.
        assert_eq!(
            cal.due_date(datetime!(2026-03-07 09:00), 0),
            date!(2026 - 03 - 09)
        );
        assert_eq!(
            cal.due_date(datetime!(2026-03-07 09:00), 1),
            date!(2026 - 03 - 10)
        );
        assert_eq!(
            cal.clock_start(datetime!(2026-03-07 09:00)),
            date!(2026 - 03 - 09)
        );
        assert_eq!(
            cal.add_working_days(date!(2026 - 03 - 07), 0),
            date!(2026 - 03 - 07)
        );
        assert_eq!(
            cal.add_working_days(date!(2026 - 03 - 07), 1),
            date!(2026 - 03 - 09)
        );
    }

    #[test]
    fn deadlines_across_tet_2026() {
        let cal = statutory();
        // Friday 13/2 morning, 3 working days: off 14–22/2 → 23, 24, 25/2.
        assert_eq!(
            cal.due_date(datetime!(2026-02-13 10:00), 3),
            date!(2026 - 02 - 25)
        );
        // Friday 13/2 afternoon: the clock starts Monday 23/2.
        assert_eq!(
            cal.due_date(datetime!(2026-02-13 15:30), 0),
            date!(2026 - 02 - 23)
        );
        assert_eq!(
            cal.due_date(datetime!(2026-02-13 15:30), 3),
            date!(2026 - 02 - 26)
        );
        // Received online on mùng 2 Tết.
        assert_eq!(
            cal.due_date(datetime!(2026-02-18 09:00), 1),
            date!(2026 - 02 - 24)
        );
    }

    #[test]
    fn deadlines_across_the_national_day() {
        let cal = statutory();
        // 2025: off Sat 30/8 – Tue 2/9. Friday 29/8, 2 working days → Wed 3/9, Thu 4/9.
        assert_eq!(
            cal.due_date(datetime!(2025-08-29 14:00), 2),
            date!(2025 - 09 - 04)
        );
        // 2028: 1/9 Fri, 2/9 Sat, compensation Mon 4/9. Thursday 31/8, 1 working day → Tue 5/9.
        assert_eq!(
            cal.due_date(datetime!(2028-08-31 09:00), 1),
            date!(2028 - 09 - 05)
        );
        // 2029: 2/9 Sun, 3/9 Mon, compensation Tue 4/9.
        assert_eq!(
            cal.due_date(datetime!(2029-08-31 16:00), 0),
            date!(2029 - 09 - 05)
        );
    }

    #[test]
    fn deadlines_cross_the_year() {
        let cal = statutory();
        // Wed 31/12/2025 afternoon: 1/1 off → clock starts Fri 2/1; 2 working days → Tue 6/1.
        assert_eq!(
            cal.due_date(datetime!(2025-12-31 16:00), 2),
            date!(2026 - 01 - 06)
        );
    }

    /// Tết 2024 as announced for civil servants: off Thursday 8/2 (29 tháng Chạp) to Wednesday
    /// 14/2, not the computed 9–15/2.
    fn announced_2024() -> YearOverrides {
        YearOverrides {
            year: 2024,
            extra_days_off: vec![date!(2024 - 02 - 08)],
            working_days: Vec::new(),
            removed_days_off: vec![date!(2024 - 02 - 15)],
        }
    }

    #[test]
    fn announced_overrides_win() {
        // An illustrative swap: Friday 2/1/2026 off, Saturday 10/1/2026 worked instead.
        let swap = YearOverrides {
            year: 2026,
            extra_days_off: vec![date!(2026 - 01 - 02)],
            working_days: vec![date!(2026 - 01 - 10)],
            removed_days_off: Vec::new(),
        };
        let cal = WorkingCalendar::new(vec![announced_2024(), swap]);
        assert!(cal.is_ok());
        let cal = cal.unwrap_or_default();
        assert!(!cal.is_working_day(date!(2024 - 02 - 08)));
        assert!(cal.is_working_day(date!(2024 - 02 - 15)));
        assert!(!cal.is_working_day(date!(2026 - 01 - 02)));
        assert!(cal.is_working_day(date!(2026 - 01 - 10)));
        let tet: Vec<Date> = cal
            .days_off(2024)
            .into_iter()
            .map(|(d, _)| d)
            .filter(|d| d.month() == Month::February)
            .collect();
        assert_eq!(tet.first(), Some(&date!(2024 - 02 - 08)));
        assert_eq!(tet.last(), Some(&date!(2024 - 02 - 14)));
        assert!(cal
            .days_off(2026)
            .contains(&(date!(2026 - 01 - 02), ANNOUNCED_DAY_OFF)));
        // Wednesday 31/12/2025 afternoon, 2 working days: Fri 2/1 off, Sat 10/1 worked.
        // Clock starts Mon 5/1 → Tue 6/1, Wed 7/1.
        assert_eq!(
            cal.due_date(datetime!(2025-12-31 16:00), 2),
            date!(2026 - 01 - 07)
        );
        // Thursday 8/1/2026, 2 working days → Fri 9/1, Sat 10/1 (a working Saturday).
        assert_eq!(
            cal.due_date(datetime!(2026-01-08 09:00), 2),
            date!(2026 - 01 - 10)
        );
        // Received on the working Saturday morning: the clock starts that day.
        assert_eq!(
            cal.due_date(datetime!(2026-01-10 09:00), 0),
            date!(2026 - 01 - 10)
        );
    }

    #[test]
    fn bad_override_tables_are_refused() {
        let wrong_year = YearOverrides {
            year: 2025,
            extra_days_off: vec![date!(2026 - 01 - 02)],
            ..YearOverrides::default()
        };
        assert_eq!(
            WorkingCalendar::new(vec![wrong_year]),
            Err(OverrideError::DateOutsideYear {
                year: 2025,
                date: date!(2026 - 01 - 02)
            })
        );
        let both = YearOverrides {
            year: 2026,
            extra_days_off: vec![date!(2026 - 01 - 10)],
            working_days: vec![date!(2026 - 01 - 10)],
            ..YearOverrides::default()
        };
        assert_eq!(
            WorkingCalendar::new(vec![both]),
            Err(OverrideError::BothOffAndWorking {
                date: date!(2026 - 01 - 10)
            })
        );
        assert_eq!(
            WorkingCalendar::new(vec![announced_2024(), announced_2024()]),
            Err(OverrideError::DuplicateYear { year: 2024 })
        );
        let msg = OverrideError::BothOffAndWorking {
            date: date!(2026 - 01 - 10),
        }
        .to_string();
        assert_eq!(
            msg,
            "2026-01-10 is listed both as a day off and as a working day"
        );
    }

    #[test]
    fn far_years_do_not_panic() {
        let cal = statutory();
        for year in [-9999, -1, 0, 1, 1799, 2201, 9999] {
            let off = cal.days_off(year);
            assert!(!off.is_empty(), "{year}");
        }
        assert_eq!(cal.add_working_days(Date::MAX, 5), Date::MAX);
        let _ = cal.due_date(PrimitiveDateTime::new(Date::MAX, Time::MIDNIGHT), 3);
    }

    proptest::proptest! {
        #[test]
        fn due_date_is_a_working_day_not_before_receipt(offset in 0i64..36_500, minutes in 0i64..1440, n in 0u32..60) {
            let cal = statutory();
            let received = datetime!(2000-01-01 00:00) + time::Duration::days(offset) + time::Duration::minutes(minutes);
            let due = cal.due_date(received, n);
            proptest::prop_assert!(cal.is_working_day(due));
            proptest::prop_assert!(due >= received.date());
            // Exactly n working days lie in (clock start, due].
            let start = cal.clock_start(received);
            let mut count = 0;
            let mut d = start;
            while d < due {
                d = d.next_day().unwrap_or(due);
                if cal.is_working_day(d) { count += 1; }
            }
            proptest::prop_assert_eq!(count, n);
        }
    }
}
