//! String metrics and the comparison levels the scoring model weighs.
//!
//! The metrics work on `char`s (on bytes when both strings are ASCII, which the stripped keys
//! always are) and use stack buffers for strings up to [`STACK`] characters, so comparing two
//! name keys allocates nothing.
//!
//! Every level enum has stable snake_case names ([`NameLevel::as_str`] etc.): they are the
//! labels of the model's parameters and of the explanations shown to officers.

use serde::Serialize;
use xaso_domain::{Cmnd, PartialDate};

use crate::standardise::{IdEvidence, PartKey, VillageKey};

/// Longest string handled without a heap allocation.
pub const STACK: usize = 64;

/// Runs `f` on the two strings as byte slices when both are ASCII, else as char vectors.
fn with_units<R>(a: &str, b: &str, f: impl Fn(&[u32], &[u32]) -> R) -> R {
    if a.is_ascii() && b.is_ascii() && a.len() <= STACK && b.len() <= STACK {
        let mut ba = [0u32; STACK];
        let mut bb = [0u32; STACK];
        for (d, s) in ba.iter_mut().zip(a.bytes()) {
            *d = u32::from(s);
        }
        for (d, s) in bb.iter_mut().zip(b.bytes()) {
            *d = u32::from(s);
        }
        f(&ba[..a.len()], &bb[..b.len()])
    } else {
        let va: Vec<u32> = a.chars().map(u32::from).collect();
        let vb: Vec<u32> = b.chars().map(u32::from).collect();
        f(&va, &vb)
    }
}

/// Jaro similarity in [0, 1]; 1 for two empty strings.
pub fn jaro(a: &str, b: &str) -> f64 {
    with_units(a, b, jaro_units)
}

/// Jaro–Winkler similarity (prefix scale 0.1, common prefix counted up to 4 characters, applied
/// whatever the Jaro value).
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    with_units(a, b, |x, y| {
        let j = jaro_units(x, y);
        let prefix = x.iter().zip(y).take(4).take_while(|(p, q)| p == q).count();
        j + prefix as f64 * 0.1 * (1.0 - j)
    })
}

fn jaro_units(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut heap_a;
    let mut heap_b;
    let mut stack_a = [false; STACK];
    let mut stack_b = [false; STACK];
    let (used_a, used_b): (&mut [bool], &mut [bool]) = if a.len() <= STACK && b.len() <= STACK {
        (&mut stack_a[..a.len()], &mut stack_b[..b.len()])
    } else {
        heap_a = vec![false; a.len()];
        heap_b = vec![false; b.len()];
        (&mut heap_a, &mut heap_b)
    };
    let mut matches = 0usize;
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !used_b[j] && b[j] == *ca {
                used_a[i] = true;
                used_b[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut half_transpositions = 0usize;
    let mut k = 0;
    for (i, ca) in a.iter().enumerate() {
        if used_a[i] {
            while !used_b[k] {
                k += 1;
            }
            if *ca != b[k] {
                half_transpositions += 1;
            }
            k += 1;
        }
    }
    let m = matches as f64;
    let t = (half_transpositions / 2) as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (m - t) / m) / 3.0
}

/// Levenshtein distance (insertions, deletions, substitutions) in characters.
pub fn levenshtein(a: &str, b: &str) -> usize {
    with_units(a, b, |x, y| edit_distance(x, y, false))
}

/// Damerau–Levenshtein distance in its optimal-string-alignment form: Levenshtein plus swaps of
/// two adjacent characters, no substring edited twice.
pub fn damerau_osa(a: &str, b: &str) -> usize {
    with_units(a, b, |x, y| edit_distance(x, y, true))
}

fn edit_distance(a: &[u32], b: &[u32], swaps: bool) -> usize {
    if a.is_empty() {
        return b.len();
    }
    if b.is_empty() {
        return a.len();
    }
    let n = b.len() + 1;
    let mut heap;
    let mut stack = [0usize; 3 * (STACK + 1)];
    let rows: &mut [usize] = if n <= STACK + 1 {
        &mut stack[..3 * n]
    } else {
        heap = vec![0usize; 3 * n];
        &mut heap
    };
    let (prev2, rest) = rows.split_at_mut(n);
    let (prev, cur) = rest.split_at_mut(n);
    let (mut prev2, mut prev, mut cur) = (prev2, prev, cur);
    for (j, p) in prev.iter_mut().enumerate() {
        *p = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if swaps && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[n - 1]
}

/// How two strings of equal length differ: in exactly one position, or by one swap of two
/// neighbours. `None` when neither (or when equal, or lengths differ).
fn small_difference(a: &str, b: &str) -> Option<SmallDiff> {
    if a.len() != b.len() || a == b {
        return None;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let diffs: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).take(3).collect();
    match diffs.as_slice() {
        [_] => Some(SmallDiff::OneWrong),
        [i, j] if *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i] => Some(SmallDiff::Swap),
        _ => None,
    }
}

enum SmallDiff {
    OneWrong,
    Swap,
}

macro_rules! level_names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Stable name of the level (model parameters, reports).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
            /// Every level, strongest agreement first.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
        }
    };
}

/// Agreement of one name part (family, middle or given), strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameLevel {
    /// Same letters and tones ("Hoà" = "Hòa").
    Exact,
    /// Same once tones and đ are dropped ("Nguyễn" / "Nguyen").
    ToneInsensitive,
    /// Same regional or orthographic variant ("Vũ" / "Võ", "Hoàng" / "Huỳnh", "Lý" / "Lí").
    VariantSpelling,
    /// Jaro–Winkler of the stripped keys at least 0.92.
    JaroWinkler92,
    /// Jaro–Winkler of the stripped keys at least 0.80.
    JaroWinkler80,
    Different,
    /// One side has no such part (and the other has one).
    Missing,
}
level_names!(NameLevel {
    Exact => "exact",
    ToneInsensitive => "tone_insensitive",
    VariantSpelling => "variant_spelling",
    JaroWinkler92 => "jaro_winkler_92",
    JaroWinkler80 => "jaro_winkler_80",
    Different => "different",
    Missing => "missing",
});

/// Compares one name part. Two empty parts (no middle name on either side) agree exactly.
pub fn compare_name_part(a: &PartKey, b: &PartKey) -> NameLevel {
    match (a.key.is_empty(), b.key.is_empty()) {
        (true, true) => return NameLevel::Exact,
        (true, false) | (false, true) => return NameLevel::Missing,
        _ => {}
    }
    if a.key == b.key {
        return NameLevel::Exact;
    }
    if a.stripped == b.stripped {
        return NameLevel::ToneInsensitive;
    }
    if a.variant == b.variant {
        return NameLevel::VariantSpelling;
    }
    let jw = jaro_winkler(&a.stripped, &b.stripped);
    if jw >= 0.92 {
        NameLevel::JaroWinkler92
    } else if jw >= 0.80 {
        NameLevel::JaroWinkler80
    } else {
        NameLevel::Different
    }
}

/// Agreement of two dates of birth, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateLevel {
    /// Same date at the same precision.
    Exact,
    /// Full dates of one year with day and month exchanged (07/03 and 03/07).
    DayMonthSwapped,
    /// The years agree and nothing else does: either a part known on both sides differs, or
    /// one side knows less ("1950" against "07/03/1950", "03/1950" against "07/03/1950").
    YearOnlyAgrees,
    /// The years differ by one and every part known on both sides agrees.
    YearOffByOne,
    Different,
    Missing,
}
level_names!(DateLevel {
    Exact => "exact",
    DayMonthSwapped => "day_month_swapped",
    YearOnlyAgrees => "year_only_agrees",
    YearOffByOne => "year_off_by_one",
    Different => "different",
    Missing => "missing",
});

pub fn compare_date(a: Option<&PartialDate>, b: Option<&PartialDate>) -> DateLevel {
    let (Some(a), Some(b)) = (a, b) else {
        return DateLevel::Missing;
    };
    if a == b {
        return DateLevel::Exact;
    }
    let (ya, yb) = (a.year(), b.year());
    if ya == yb {
        if let (Some(da), Some(db)) = (a.full(), b.full()) {
            let (ma, mb) = (u8::from(da.month()), u8::from(db.month()));
            if da.day() == mb && db.day() == ma {
                return DateLevel::DayMonthSwapped;
            }
        }
        return DateLevel::YearOnlyAgrees;
    }
    let agree = |x: Option<u8>, y: Option<u8>| match (x, y) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    if (ya - yb).abs() == 1 && agree(a.month(), b.month()) && agree(a.day(), b.day()) {
        return DateLevel::YearOffByOne;
    }
    DateLevel::Different
}

/// Agreement of two identity numbers, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdLevel {
    Exact,
    /// Same length, one digit differs (a typo).
    OneDigitWrong,
    /// Same length, two neighbouring digits exchanged.
    AdjacentSwap,
    /// The list gave the old 9-digit CMND, and it is the one on file for the other record.
    CmndMatches,
    Different,
    /// Either side has no usable number, or the two are of kinds that cannot be compared (a
    /// CMND against a 12-digit number with no CMND on file).
    Missing,
}
level_names!(IdLevel {
    Exact => "exact",
    OneDigitWrong => "one_digit_wrong",
    AdjacentSwap => "adjacent_swap",
    CmndMatches => "cmnd_matches",
    Different => "different",
    Missing => "missing",
});

/// The digits of a number usable for comparison: valid numbers, and malformed ones of the
/// length of a valid one (9 or 12 digits, e.g. a typo in the birthplace code).
fn comparable_digits(e: &IdEvidence) -> Option<&str> {
    match e {
        IdEvidence::Personal(id) => Some(id.as_str()),
        IdEvidence::OldCmnd(c) => Some(c.as_str()),
        IdEvidence::Malformed(s)
            if (s.len() == 9 || s.len() == 12) && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(s)
        }
        _ => None,
    }
}

/// Compares two numbers as given (symmetric).
pub fn compare_id(a: &IdEvidence, b: &IdEvidence) -> IdLevel {
    let (Some(x), Some(y)) = (comparable_digits(a), comparable_digits(b)) else {
        return IdLevel::Missing;
    };
    if x.len() != y.len() {
        return IdLevel::Missing;
    }
    if x == y {
        return IdLevel::Exact;
    }
    match small_difference(x, y) {
        Some(SmallDiff::OneWrong) => IdLevel::OneDigitWrong,
        Some(SmallDiff::Swap) => IdLevel::AdjacentSwap,
        None => IdLevel::Different,
    }
}

/// Compares a list's number with a register record that may also know the person's old CMND
/// (from the chip card): a CMND given instead of the 12-digit number is recognised.
pub fn compare_id_with_cmnd(
    list: &IdEvidence,
    register: &IdEvidence,
    register_old_cmnd: Option<&Cmnd>,
) -> IdLevel {
    let base = compare_id(list, register);
    if base == IdLevel::Exact {
        return base;
    }
    if let (IdEvidence::OldCmnd(given), Some(on_file)) = (list, register_old_cmnd) {
        if given == on_file {
            return IdLevel::CmndMatches;
        }
        if base == IdLevel::Missing {
            return compare_id(list, &IdEvidence::OldCmnd(on_file.clone()));
        }
    }
    base
}

/// Agreement of two phone numbers (already standardised by [`crate::standardise::phone`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneLevel {
    Exact,
    OneDigitWrong,
    AdjacentSwap,
    Different,
    Missing,
}
level_names!(PhoneLevel {
    Exact => "exact",
    OneDigitWrong => "one_digit_wrong",
    AdjacentSwap => "adjacent_swap",
    Different => "different",
    Missing => "missing",
});

pub fn compare_phone(a: Option<&str>, b: Option<&str>) -> PhoneLevel {
    let (Some(a), Some(b)) = (a, b) else {
        return PhoneLevel::Missing;
    };
    if a.is_empty() || b.is_empty() {
        return PhoneLevel::Missing;
    }
    if a == b {
        return PhoneLevel::Exact;
    }
    match small_difference(a, b) {
        Some(SmallDiff::OneWrong) => PhoneLevel::OneDigitWrong,
        Some(SmallDiff::Swap) => PhoneLevel::AdjacentSwap,
        None => PhoneLevel::Different,
    }
}

/// Agreement of two villages (hamlets, residential groups), strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VillageLevel {
    /// Same key and same kind of unit ("Thôn 3" / "thôn III").
    Exact,
    /// Same key, the kind differs or is missing on one side ("Thôn 3" / "Xóm 3" / "3").
    SameKey,
    /// Named (not numbered) villages whose keys are close: Jaro–Winkler at least 0.9
    /// ("Đông Thượng" / "Đông Thương" are equal anyway; "Phu Luu" / "Phú Lưu 2" are not).
    Similar,
    Different,
    Missing,
}
level_names!(VillageLevel {
    Exact => "exact",
    SameKey => "same_key",
    Similar => "similar",
    Different => "different",
    Missing => "missing",
});

pub fn compare_village(a: &VillageKey, b: &VillageKey) -> VillageLevel {
    if a.key.is_empty() || b.key.is_empty() {
        return VillageLevel::Missing;
    }
    if a.key == b.key {
        return if a.kind == b.kind {
            VillageLevel::Exact
        } else {
            VillageLevel::SameKey
        };
    }
    // Different numbers are different villages however close the strings are.
    let numeric = |k: &str| k.bytes().any(|c| c.is_ascii_digit());
    if !numeric(&a.key) && !numeric(&b.key) && jaro_winkler(&a.key, &b.key) >= 0.9 {
        return VillageLevel::Similar;
    }
    VillageLevel::Different
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::standardise::{id_number, name, phone, village};
    use proptest::prelude::*;

    fn close(x: f64, want: f64) -> bool {
        (x - want).abs() < 0.0005
    }

    #[test]
    fn jaro_winkler_published_examples() {
        // Winkler (1990) / Wikipedia examples, rounded to three places.
        let cases = [
            ("MARTHA", "MARHTA", 0.944, 0.961),
            ("DWAYNE", "DUANE", 0.822, 0.840),
            ("DIXON", "DICKSONX", 0.767, 0.813),
            ("JELLYFISH", "SMELLYFISH", 0.896, 0.896),
        ];
        for (a, b, j, jw) in cases {
            assert!(close(jaro(a, b), j), "jaro {a} {b} {}", jaro(a, b));
            assert!(
                close(jaro_winkler(a, b), jw),
                "jw {a} {b} {}",
                jaro_winkler(a, b)
            );
        }
        assert_eq!(jaro_winkler("", ""), 1.0);
        assert_eq!(jaro_winkler("abc", ""), 0.0);
        assert_eq!(jaro_winkler("abc", "xyz"), 0.0);
        // Non-ASCII goes through chars: one character, not two bytes.
        assert_eq!(jaro_winkler("Hòa", "Hòa"), 1.0);
        assert!(close(
            jaro_winkler("Nguyễn", "Nguyên"),
            jaro_winkler("abcdef", "abcdeg")
        ));
    }

    #[test]
    fn edit_distances_published_examples() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("flaw", "lawn"), 2);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("Nguyễn", "Nguyen"), 1);
        assert_eq!(levenshtein("ca", "ac"), 2);
        assert_eq!(damerau_osa("ca", "ac"), 1);
        // OSA, not unrestricted Damerau–Levenshtein (which gives 2).
        assert_eq!(damerau_osa("ca", "abc"), 3);
        assert_eq!(damerau_osa("Hoàng", "Hòang"), 2);
        assert_eq!(damerau_osa("Hoàng", "Hoàgn"), 1);
        let long_a = "a".repeat(100);
        let long_b = format!("{}b", "a".repeat(99));
        assert_eq!(levenshtein(&long_a, &long_b), 1);
        assert_eq!(damerau_osa(&long_a, ""), 100);
    }

    fn part(s: &str) -> PartKey {
        name(s).given
    }

    #[test]
    fn name_levels() {
        let cases = [
            ("Hoà", "Hòa", NameLevel::Exact),
            ("An", "AN", NameLevel::Exact),
            ("Nguyễn", "Nguyen", NameLevel::ToneInsensitive),
            ("Đức", "Duc", NameLevel::ToneInsensitive),
            ("Lý", "Lí", NameLevel::VariantSpelling),
            ("Phương", "Phượng", NameLevel::ToneInsensitive),
            ("Nguyễn", "Nguyển", NameLevel::ToneInsensitive),
            ("Thuỷ", "Thùy", NameLevel::ToneInsensitive),
            ("Hương", "Huong", NameLevel::ToneInsensitive),
            ("Hường", "Hương", NameLevel::ToneInsensitive),
            ("Thanh", "Thành", NameLevel::ToneInsensitive),
            ("Nguyễn", "Nguyến", NameLevel::ToneInsensitive),
            ("Phương", "Phuong", NameLevel::ToneInsensitive),
            ("Trường", "Truong", NameLevel::ToneInsensitive),
            ("Thanh", "Thnah", NameLevel::JaroWinkler92),
            ("Nguyễn", "Nguyn", NameLevel::JaroWinkler92),
            ("Hương", "Hường", NameLevel::ToneInsensitive),
            ("Tuấn", "Tuân", NameLevel::ToneInsensitive),
            ("Hoa", "Hoan", NameLevel::JaroWinkler92),
            ("Dung", "Dũng", NameLevel::ToneInsensitive),
            ("Lan", "Lana", NameLevel::JaroWinkler92),
            ("Minh", "Mai", NameLevel::Different),
            ("Trang", "Trung", NameLevel::JaroWinkler80),
            ("An", "Bình", NameLevel::Different),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_name_part(&part(a), &part(b)), want, "{a} / {b}");
            assert_eq!(compare_name_part(&part(b), &part(a)), want, "{b} / {a}");
        }
        for (a, b) in [("Vũ", "Võ"), ("Hoàng", "Huỳnh"), ("Lý", "Lí")] {
            let (a, b) = (name(&format!("{a} An")), name(&format!("{b} An")));
            assert_eq!(
                compare_name_part(&a.family, &b.family),
                NameLevel::VariantSpelling
            );
        }
        // Only family names fold Vũ/Võ.
        assert_eq!(
            compare_name_part(&part("Vũ"), &part("Võ")),
            NameLevel::Different
        );
        let a = name("Vũ Thị Hoa");
        let b = name("Võ Thị Hoa");
        assert_eq!(
            compare_name_part(&a.family, &b.family),
            NameLevel::VariantSpelling
        );
        let a = name("Nguyễn Văn An");
        let b = name("Nguyen Van An");
        assert_eq!(
            compare_name_part(&a.family, &b.family),
            NameLevel::ToneInsensitive
        );
        assert_eq!(
            compare_name_part(&a.middle, &b.middle),
            NameLevel::ToneInsensitive
        );
        assert_eq!(compare_name_part(&a.given, &b.given), NameLevel::Exact);
        // Dropped "Văn": the middle names differ, without Văn/Thị they agree.
        let a = name("Nguyễn Văn An");
        let b = name("Nguyễn An");
        assert_eq!(compare_name_part(&a.middle, &b.middle), NameLevel::Missing);
        assert_eq!(
            compare_name_part(&a.middle_without_van_thi, &b.middle_without_van_thi),
            NameLevel::Exact
        );
        let a = name("Trần Thị Thu Hà");
        let b = name("Trần Thu Hà");
        assert_eq!(
            compare_name_part(&a.middle_without_van_thi, &b.middle_without_van_thi),
            NameLevel::Exact
        );
        assert_eq!(NameLevel::JaroWinkler92.as_str(), "jaro_winkler_92");
        assert_eq!(NameLevel::ALL.len(), 7);
    }

    fn d(s: &str) -> PartialDate {
        PartialDate::parse(s).unwrap()
    }

    #[test]
    fn date_levels() {
        let cases = [
            ("07/03/1995", "07/03/1995", DateLevel::Exact),
            ("07/03/1995", "03/07/1995", DateLevel::DayMonthSwapped),
            ("12/11/1980", "11/12/1980", DateLevel::DayMonthSwapped),
            ("07/03/1995", "08/03/1995", DateLevel::YearOnlyAgrees),
            ("07/03/1995", "1995", DateLevel::YearOnlyAgrees),
            ("03/1995", "07/03/1995", DateLevel::YearOnlyAgrees),
            ("1995", "1995", DateLevel::Exact),
            ("07/03/1995", "07/03/1996", DateLevel::YearOffByOne),
            ("1950", "1951", DateLevel::YearOffByOne),
            ("1950", "07/03/1951", DateLevel::YearOffByOne),
            ("07/03/1995", "08/03/1996", DateLevel::Different),
            ("07/03/1995", "07/03/1959", DateLevel::Different),
            ("1950", "1952", DateLevel::Different),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_date(Some(&d(a)), Some(&d(b))), want, "{a} / {b}");
            assert_eq!(compare_date(Some(&d(b)), Some(&d(a))), want, "{b} / {a}");
        }
        assert_eq!(compare_date(None, Some(&d("1995"))), DateLevel::Missing);
        assert_eq!(compare_date(None, None), DateLevel::Missing);
    }

    #[test]
    fn id_levels() {
        let id = |s: &str| id_number(s).evidence;
        let cases = [
            ("038095001234", "038095001234", IdLevel::Exact),
            ("038095001234", "38095001234", IdLevel::Exact),
            ("038095001234", "038 095 001 234", IdLevel::Exact),
            ("038095001234", "038095001235", IdLevel::OneDigitWrong),
            ("038095001234", "038095002134", IdLevel::AdjacentSwap),
            ("038095001234", "039095001234", IdLevel::OneDigitWrong),
            // A typo in the birthplace code makes the number malformed; it still compares.
            ("038095001234", "098095001234", IdLevel::OneDigitWrong),
            ("038095001234", "001085004321", IdLevel::Different),
            ("173456789", "173456789", IdLevel::Exact),
            ("173456789", "173456798", IdLevel::AdjacentSwap),
            ("038095001234", "173456789", IdLevel::Missing),
            ("038095001234", "", IdLevel::Missing),
            ("038095001234", "không có", IdLevel::Missing),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_id(&id(a), &id(b)), want, "{a} / {b}");
            assert_eq!(compare_id(&id(b), &id(a)), want, "{b} / {a}");
        }
        let on_file = Cmnd::parse("173456789").unwrap();
        let reg = id("038095001234");
        assert_eq!(
            compare_id_with_cmnd(&id("173456789"), &reg, Some(&on_file)),
            IdLevel::CmndMatches
        );
        assert_eq!(
            compare_id_with_cmnd(&id("173456788"), &reg, Some(&on_file)),
            IdLevel::OneDigitWrong
        );
        assert_eq!(
            compare_id_with_cmnd(&id("173456789"), &reg, None),
            IdLevel::Missing
        );
        assert_eq!(
            compare_id_with_cmnd(&id("038095001234"), &reg, Some(&on_file)),
            IdLevel::Exact
        );
    }

    #[test]
    fn phone_levels() {
        let p = |s: &str| phone(s);
        let cases = [
            ("0912345678", "+84 912 345 678", PhoneLevel::Exact),
            ("01683456789", "0383456789", PhoneLevel::Exact),
            ("0912345678", "0912345679", PhoneLevel::OneDigitWrong),
            ("0912345678", "0912346578", PhoneLevel::AdjacentSwap),
            ("0912345678", "0987654321", PhoneLevel::Different),
            ("0912345678", "", PhoneLevel::Missing),
        ];
        for (a, b, want) in cases {
            assert_eq!(
                compare_phone(p(a).as_deref(), p(b).as_deref()),
                want,
                "{a} / {b}"
            );
        }
    }

    #[test]
    fn village_levels() {
        let v = |s: &str| village(s);
        let cases = [
            ("Thôn 3", "thon 3", VillageLevel::Exact),
            ("Thôn 3", "T.3", VillageLevel::Exact),
            ("Thôn Ba", "Thôn III", VillageLevel::Exact),
            ("Thôn 3", "Xóm 3", VillageLevel::SameKey),
            ("Thôn 3", "3", VillageLevel::SameKey),
            ("Thôn 3", "Thôn 4", VillageLevel::Different),
            ("Thôn 3", "Thôn 3A", VillageLevel::Different),
            ("Xóm Đông Thượng", "xom dong thuong", VillageLevel::Exact),
            ("Thôn Phú Lưu", "Thôn Phú Lưo", VillageLevel::Similar),
            ("Thôn Phú Lưu", "Thôn Yên Lạc", VillageLevel::Different),
            ("Thôn 3", "", VillageLevel::Missing),
            ("Tổ dân phố 5", "TDP số 5", VillageLevel::Exact),
            ("Khu phố 2", "KP2", VillageLevel::Exact),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_village(&v(a), &v(b)), want, "{a} / {b}");
            assert_eq!(compare_village(&v(b), &v(a)), want, "{b} / {a}");
        }
    }

    fn arb_word() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]{0,12}",
            "[abc]{0,8}",
            "[aăâeêoôơuư đ]{0,10}",
            "\\PC{0,10}",
        ]
    }

    proptest! {
        #[test]
        fn jaro_winkler_properties(a in arb_word(), b in arb_word()) {
            let x = jaro_winkler(&a, &b);
            prop_assert!((0.0..=1.0).contains(&x), "{x}");
            prop_assert!((x - jaro_winkler(&b, &a)).abs() < 1e-12);
            prop_assert_eq!(jaro_winkler(&a, &a), 1.0);
            prop_assert!(jaro(&a, &b) <= x + 1e-12);
        }

        #[test]
        fn edit_distance_properties(a in arb_word(), b in arb_word(), c in arb_word()) {
            let ab = levenshtein(&a, &b);
            prop_assert_eq!(ab, levenshtein(&b, &a));
            prop_assert_eq!(levenshtein(&a, &a), 0);
            let (la, lb) = (a.chars().count(), b.chars().count());
            prop_assert!(ab <= la.max(lb));
            prop_assert!(ab >= la.abs_diff(lb));
            prop_assert!(levenshtein(&a, &c) <= ab + levenshtein(&b, &c));
            let osa = damerau_osa(&a, &b);
            prop_assert!(osa <= ab);
            prop_assert_eq!(osa, damerau_osa(&b, &a));
            prop_assert_eq!(ab == 0, a == b);
            prop_assert_eq!(osa == 0, a == b);
        }

        #[test]
        fn adjacent_swap_is_one_osa_step(s in "[a-z]{2,20}", i in 0usize..19) {
            let i = i % (s.len() - 1);
            let mut v: Vec<char> = s.chars().collect();
            v.swap(i, i + 1);
            let t: String = v.into_iter().collect();
            prop_assert!(damerau_osa(&s, &t) <= 1);
        }
    }
}
