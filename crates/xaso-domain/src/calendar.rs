//! The working-day calendar of a Vietnamese office: the lunar calendar (for Tết and Hùng Kings'
//! day), the statutory holidays of the Labour Code, the yearly announced swaps that officials
//! enter, and deadlines counted in working days.
//!
//! - [`lunar_new_year`], [`lunar_to_solar`], [`solar_to_lunar`], [`lunar_months`]: the
//!   Vietnamese lunar calendar (UTC+7), from Meeus's new-moon and solar-longitude series.
//! - [`statutory_holidays`], [`computed_days_off`]: Labour Code 2019 Art. 112(1) with the
//!   compensatory days of Art. 111(3); the choices the law leaves to the government are the
//!   named rules [`tet_days_off`], [`national_day_adjacent`] and [`CULTURE_DAY_FIRST_YEAR`].
//! - [`YearOverrides`]: what officials enter from each year's announcement; it wins.
//! - [`WorkingCalendar`]: working days, days off, and due dates (the 15:00 rule).
//!
//! Everything is a pure function of its inputs: no clock, no I/O.

mod astro;
mod lunar;

pub use lunar::{
    leap_month, lunar_months, lunar_new_year, lunar_new_years_eve, lunar_to_solar, solar_to_lunar,
    LunarDate, LunarError, LunarMonth, FIRST_LUNAR_YEAR, LAST_LUNAR_YEAR, VIETNAM_UTC_OFFSET_HOURS,
};
mod working;

pub use working::{
    computed_days_off, national_day_adjacent, statutory_holidays, tet_days_off, Holiday,
    HolidayRules, OverrideError, WorkingCalendar, YearOverrides, AFTERNOON_CUTOFF,
    ANNOUNCED_DAY_OFF, CULTURE_DAY_FIRST_YEAR,
};
