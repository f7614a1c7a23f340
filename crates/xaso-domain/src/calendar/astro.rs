//! The two astronomical quantities a lunisolar calendar needs: the instants of new moon and the
//! apparent longitude of the Sun. Written from the published series in Jean Meeus, *Astronomical
//! Algorithms* (2nd ed., 1998): chapter 49 (phases of the Moon, new moon with all periodic and
//! planetary terms, accurate to well under a minute for recent centuries) and chapter 25 (solar
//! coordinates, "lower accuracy", about 0.01° ≈ 15 minutes of time), with ΔT from the
//! Espenak–Meeus polynomials published by NASA for its eclipse canon.
//!
//! Times are Julian days (fractional; `.0` is noon). `jde` is Terrestrial (Dynamical) Time, what
//! the series give; `jd_ut` is Universal Time, what clocks (UTC+7) follow.

/// Julian day of the epoch J2000.0 (2000-01-01 12:00 TT).
const J2000: f64 = 2_451_545.0;

fn sin_deg(x: f64) -> f64 {
    x.to_radians().sin()
}

/// Normalises an angle in degrees to [0, 360).
pub(crate) fn norm_deg(x: f64) -> f64 {
    let r = x.rem_euclid(360.0);
    if r >= 360.0 {
        0.0
    } else {
        r
    }
}

/// ΔT = TT − UT in seconds for a decimal year, from the Espenak–Meeus polynomials (NASA, "Five
/// Millennium Canon of Solar Eclipses", 2006). Errors of tens of seconds would not move any date
/// of the calendar; the table is here so new moons are exact to the minute in the 20th century.
pub(crate) fn delta_t_seconds(year: f64) -> f64 {
    let y = year;
    if y < 1800.0 {
        let u = (y - 1820.0) / 100.0;
        -20.0 + 32.0 * u * u
    } else if y < 1860.0 {
        let t = y - 1800.0;
        13.72 - 0.332447 * t + 0.006_861_2 * t.powi(2) + 0.004_111_6 * t.powi(3)
            - 0.000_374_36 * t.powi(4)
            + 0.000_012_127_2 * t.powi(5)
            - 0.000_000_169_9 * t.powi(6)
            + 0.000_000_000_875 * t.powi(7)
    } else if y < 1900.0 {
        let t = y - 1860.0;
        7.62 + 0.5737 * t - 0.251_754 * t.powi(2) + 0.016_806_68 * t.powi(3)
            - 0.000_447_362_4 * t.powi(4)
            + t.powi(5) / 233_174.0
    } else if y < 1920.0 {
        let t = y - 1900.0;
        -2.79 + 1.494_119 * t - 0.059_893_9 * t.powi(2) + 0.006_196_6 * t.powi(3)
            - 0.000_197 * t.powi(4)
    } else if y < 1941.0 {
        let t = y - 1920.0;
        21.20 + 0.844_93 * t - 0.076_100 * t.powi(2) + 0.002_093_6 * t.powi(3)
    } else if y < 1961.0 {
        let t = y - 1950.0;
        29.07 + 0.407 * t - t.powi(2) / 233.0 + t.powi(3) / 2547.0
    } else if y < 1986.0 {
        let t = y - 1975.0;
        45.45 + 1.067 * t - t.powi(2) / 260.0 - t.powi(3) / 718.0
    } else if y < 2005.0 {
        let t = y - 2000.0;
        63.86 + 0.3345 * t - 0.060_374 * t.powi(2)
            + 0.001_727_5 * t.powi(3)
            + 0.000_651_814 * t.powi(4)
            + 0.000_023_735_99 * t.powi(5)
    } else if y < 2050.0 {
        let t = y - 2000.0;
        62.92 + 0.322_17 * t + 0.005_589 * t.powi(2)
    } else if y < 2150.0 {
        let u = (y - 1820.0) / 100.0;
        -20.0 + 32.0 * u * u - 0.5628 * (2150.0 - y)
    } else {
        let u = (y - 1820.0) / 100.0;
        -20.0 + 32.0 * u * u
    }
}

/// Decimal year of a Julian day (close enough for ΔT).
fn decimal_year(jd: f64) -> f64 {
    2000.0 + (jd - 2_451_544.5) / 365.2425
}

/// TT − UT in days at (about) the Julian day `jd`.
fn delta_t_days(jd: f64) -> f64 {
    delta_t_seconds(decimal_year(jd)) / 86_400.0
}

/// Instant (JDE, TT) of the new moon number `k`, counted from the new moon of 6 January 2000
/// (k = 0); Meeus, ch. 49, with the periodic terms for the new moon and the 14 additional
/// (planetary) corrections.
pub(crate) fn new_moon_jde(k: i64) -> f64 {
    let k = k as f64;
    let t = k / 1236.85;
    let t2 = t * t;
    let t3 = t2 * t;
    let t4 = t3 * t;
    let mean = 2_451_550.097_66 + 29.530_588_861 * k + 0.000_154_37 * t2 - 0.000_000_150 * t3
        + 0.000_000_000_73 * t4;
    // Eccentricity of the Earth's orbit, and the fundamental arguments (degrees).
    let e = 1.0 - 0.002_516 * t - 0.000_007_4 * t2;
    let m = 2.5534 + 29.105_356_70 * k - 0.000_001_4 * t2 - 0.000_000_11 * t3;
    let mp =
        201.5643 + 385.816_935_28 * k + 0.010_758_2 * t2 + 0.000_012_38 * t3 - 0.000_000_058 * t4;
    let f =
        160.7108 + 390.670_502_84 * k - 0.001_611_8 * t2 - 0.000_002_27 * t3 + 0.000_000_011 * t4;
    let om = 124.7746 - 1.563_755_88 * k + 0.002_067_2 * t2 + 0.000_002_15 * t3;

    let periodic = -0.40720 * sin_deg(mp)
        + 0.17241 * e * sin_deg(m)
        + 0.01608 * sin_deg(2.0 * mp)
        + 0.01039 * sin_deg(2.0 * f)
        + 0.00739 * e * sin_deg(mp - m)
        - 0.00514 * e * sin_deg(mp + m)
        + 0.00208 * e * e * sin_deg(2.0 * m)
        - 0.00111 * sin_deg(mp - 2.0 * f)
        - 0.00057 * sin_deg(mp + 2.0 * f)
        + 0.00056 * e * sin_deg(2.0 * mp + m)
        - 0.00042 * sin_deg(3.0 * mp)
        + 0.00042 * e * sin_deg(m + 2.0 * f)
        + 0.00038 * e * sin_deg(m - 2.0 * f)
        - 0.00024 * e * sin_deg(2.0 * mp - m)
        - 0.00017 * sin_deg(om)
        - 0.00007 * sin_deg(mp + 2.0 * m)
        + 0.00004 * sin_deg(2.0 * mp - 2.0 * f)
        + 0.00004 * sin_deg(3.0 * m)
        + 0.00003 * sin_deg(mp + m - 2.0 * f)
        + 0.00003 * sin_deg(2.0 * mp + 2.0 * f)
        - 0.00003 * sin_deg(mp + m + 2.0 * f)
        + 0.00003 * sin_deg(mp - m + 2.0 * f)
        - 0.00002 * sin_deg(mp - m - 2.0 * f)
        - 0.00002 * sin_deg(3.0 * mp + m)
        + 0.00002 * sin_deg(4.0 * mp);

    // (coefficient in days, argument at k = 0, rate per lunation); A1 has a T² term.
    const PLANETARY: [(f64, f64, f64); 14] = [
        (0.000_325, 299.77, 0.107_408),
        (0.000_165, 251.88, 0.016_321),
        (0.000_164, 251.83, 26.651_886),
        (0.000_126, 349.42, 36.412_478),
        (0.000_110, 84.66, 18.206_239),
        (0.000_062, 141.74, 53.303_771),
        (0.000_060, 207.14, 2.453_732),
        (0.000_056, 154.84, 7.306_860),
        (0.000_047, 34.52, 27.261_239),
        (0.000_042, 207.19, 0.121_824),
        (0.000_040, 291.34, 1.844_379),
        (0.000_037, 161.72, 24.198_154),
        (0.000_035, 239.56, 25.513_099),
        (0.000_023, 331.55, 3.592_518),
    ];
    let planetary: f64 = PLANETARY
        .iter()
        .enumerate()
        .map(|(i, &(c, a0, rate))| {
            let extra = if i == 0 { -0.009_173 * t2 } else { 0.0 };
            c * sin_deg(a0 + rate * k + extra)
        })
        .sum();

    mean + periodic + planetary
}

/// Instant (Julian day, UT) of the new moon number `k`.
pub(crate) fn new_moon_ut(k: i64) -> f64 {
    let jde = new_moon_jde(k);
    jde - delta_t_days(jde)
}

/// Apparent geocentric longitude of the Sun in degrees [0, 360) at `jde` (TT): Meeus, ch. 25,
/// geometric mean longitude + equation of the centre, corrected for nutation and aberration.
pub(crate) fn sun_apparent_longitude(jde: f64) -> f64 {
    let t = (jde - J2000) / 36_525.0;
    let l0 = 280.466_46 + 36_000.769_83 * t + 0.000_303_2 * t * t;
    let m = 357.529_11 + 35_999.050_29 * t - 0.000_153_7 * t * t;
    let c = (1.914_602 - 0.004_817 * t - 0.000_014 * t * t) * sin_deg(m)
        + (0.019_993 - 0.000_101 * t) * sin_deg(2.0 * m)
        + 0.000_289 * sin_deg(3.0 * m);
    let true_longitude = l0 + c;
    let omega = 125.04 - 1934.136 * t;
    norm_deg(true_longitude - 0.005_69 - 0.004_78 * sin_deg(omega))
}

/// Apparent longitude of the Sun at the Universal-Time instant `jd_ut`.
pub(crate) fn sun_longitude_at_ut(jd_ut: f64) -> f64 {
    sun_apparent_longitude(jd_ut + delta_t_days(jd_ut))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeus_example_49a_new_moon_february_1977() {
        // 1977 Feb 18, 3h37m42s TD = JDE 2443192.65118.
        let jde = new_moon_jde(-283);
        assert!((jde - 2_443_192.651_18).abs() < 0.000_01, "{jde}");
    }

    #[test]
    fn meeus_example_25a_sun_1992_october_13() {
        // The example's lower-accuracy result: apparent longitude 199.90895° (the full VSOP87
        // theory gives 199.90599°, within the 0.01° this series promises).
        let l = sun_apparent_longitude(2_448_908.5);
        assert!((l - 199.908_95).abs() < 0.001, "{l}");
    }

    #[test]
    fn delta_t_is_continuous_across_the_polynomials() {
        for boundary in [
            1860.0, 1900.0, 1920.0, 1941.0, 1961.0, 1986.0, 2005.0, 2050.0, 2150.0,
        ] {
            let before = delta_t_seconds(boundary - 1e-6);
            let after = delta_t_seconds(boundary);
            assert!(
                (before - after).abs() < 1.0,
                "{boundary}: {before} vs {after}"
            );
        }
        // Known values (seconds, rounded): 1900 −2.8, 1950 29.1, 2000 63.9.
        assert!((delta_t_seconds(1950.0) - 29.07).abs() < 0.01);
        assert!((delta_t_seconds(2000.0) - 63.86).abs() < 0.01);
        // 1800–1860: between about 5 and 14 seconds.
        for y in 1800..1860 {
            let d = delta_t_seconds(y as f64);
            assert!((4.0..15.0).contains(&d), "{y}: {d}");
        }
    }

    #[test]
    fn new_moons_are_a_synodic_month_apart() {
        for k in -1300..1300 {
            let gap = new_moon_ut(k + 1) - new_moon_ut(k);
            assert!((29.2..29.9).contains(&gap), "k={k}: {gap}");
        }
    }
}
