//! Comparison vectors: for a pair of records, one level per field. Levels reuse the enums and
//! comparators of [`crate::compare`] (names by part, dates, IDs with the CMND on file,
//! villages, phones), worked on the interned records of [`super::prep`]; refinements:
//!
//! * a name typed without any diacritic is compared on stripped keys, where equality is
//!   `exact` (for such a name no closer agreement exists, so calling it `tone_insensitive`
//!   would make it weaker evidence than it is);
//! * the middle name has a level `van_thi_differs` (equal once "Văn"/"Thị" are removed);
//! * the date levels are split by precision, as their chance agreement differs by orders of
//!   magnitude: `exact` (full dates) and `partial_exact` (both sides know only the year, or
//!   the year and month, and agree); `year_only` (one side knows less, the years agree) and
//!   `same_year` (same precision, day or month differ); `year_off_by_one` (full dates, day
//!   and month agree) and `year_only_off_by_one` (a side knows only the year);
//!   `year_mistyped` (full dates, same day and month, the years more than one apart but one
//!   digit or two neighbouring digits swapped away: 1967 for 1987, 1957 for 1975) and
//!   `different`.

use std::sync::atomic::{AtomicU64, Ordering};

use super::prep::{Dob, Lookup, NameIds, Rec, NONE};
#[cfg(doc)]
use crate::compare::compare_date;
use crate::compare::{compare_name_part, compare_village, NameLevel};

pub(crate) const N_FIELDS: usize = 8;
pub(crate) const ID: usize = 0;
pub(crate) const FAMILY: usize = 1;
pub(crate) const MIDDLE: usize = 2;
pub(crate) const GIVEN: usize = 3;
pub(crate) const DOB: usize = 4;
pub(crate) const SEX: usize = 5;
pub(crate) const VILLAGE: usize = 6;
pub(crate) const PHONE: usize = 7;

/// Field names, as in [`super::FieldWeight::field`].
pub(crate) const FIELD_NAMES: [&str; N_FIELDS] = [
    "id",
    "family",
    "middle",
    "given",
    "date_of_birth",
    "sex",
    "village",
    "phone",
];

const NAME_LEVELS: &[&str] = &[
    "exact",
    "tone_insensitive",
    "variant_spelling",
    "jaro_winkler_92",
    "jaro_winkler_80",
    "different",
    "missing",
];

/// Level names per field, strongest agreement first, `missing` last.
pub(crate) const LEVELS: [&[&str]; N_FIELDS] = [
    &[
        "exact",
        "one_digit_wrong",
        "adjacent_swap",
        "cmnd_matches",
        "different",
        "missing",
    ],
    NAME_LEVELS,
    &[
        "exact",
        "tone_insensitive",
        "variant_spelling",
        "van_thi_differs",
        "jaro_winkler_92",
        "jaro_winkler_80",
        "different",
        "missing",
    ],
    NAME_LEVELS,
    &[
        "exact",
        "day_month_swapped",
        "year_only",
        "partial_exact",
        "same_year",
        "year_off_by_one",
        "year_only_off_by_one",
        "year_mistyped",
        "different",
        "missing",
    ],
    &["exact", "different", "missing"],
    &["exact", "same_key", "similar", "different", "missing"],
    &[
        "exact",
        "one_digit_wrong",
        "adjacent_swap",
        "different",
        "missing",
    ],
];

/// Most levels of any field.
pub(crate) const MAX_LEVELS: usize = 10;

/// One level per field.
pub(crate) type Levels = [u8; N_FIELDS];

/// Index of the `missing` level of a field.
pub(crate) const fn missing(f: usize) -> u8 {
    (LEVELS[f].len() - 1) as u8
}

/// Levels as one number (mixed radix).
pub(crate) fn encode(l: &Levels) -> u32 {
    let mut code = 0u32;
    for f in (0..N_FIELDS).rev() {
        code = code * LEVELS[f].len() as u32 + u32::from(l[f]);
    }
    code
}

pub(crate) fn decode(mut code: u32) -> Levels {
    let mut l = [0u8; N_FIELDS];
    for (f, x) in l.iter_mut().enumerate() {
        let n = LEVELS[f].len() as u32;
        *x = (code % n) as u8;
        code /= n;
    }
    l
}

/// Number of distinct codes.
pub(crate) fn code_space() -> usize {
    LEVELS.iter().map(|l| l.len()).product()
}

fn name_index(l: NameLevel) -> u8 {
    match l {
        NameLevel::Exact => 0,
        NameLevel::ToneInsensitive => 1,
        NameLevel::VariantSpelling => 2,
        NameLevel::JaroWinkler92 => 3,
        NameLevel::JaroWinkler80 => 4,
        NameLevel::Different => 5,
        NameLevel::Missing => 6,
    }
}

/// How two numbers of `len` digits differ: 0 equal, 1 one digit, 2 two neighbours swapped,
/// 3 otherwise.
#[inline]
pub(crate) fn digit_difference(mut a: u64, mut b: u64, len: usize) -> u8 {
    if a == b {
        return 0;
    }
    let mut n = 0usize;
    let mut pos = [0usize; 2];
    let mut xa = [0u64; 2];
    let mut xb = [0u64; 2];
    for i in 0..len {
        let (x, y) = (a % 10, b % 10);
        a /= 10;
        b /= 10;
        if x != y {
            if n == 2 {
                return 3;
            }
            pos[n] = i;
            xa[n] = x;
            xb[n] = y;
            n += 1;
        }
    }
    if a != b {
        return 3;
    }
    match n {
        1 => 1,
        2 if pos[1] == pos[0] + 1 && xa[0] == xb[1] && xa[1] == xb[0] => 2,
        _ => 3,
    }
}

/// Village levels of every pair of village ids, when there are few villages.
struct VillageMatrix {
    n: usize,
    levels: Vec<u8>,
}

/// Compares records. `list_vs_list` when both sides are list rows (dedup): two equal CMNDs
/// are then `exact`, not `cmnd_matches`.
pub(crate) struct Comparer<'a, L: Lookup> {
    voc: &'a L,
    villages: Option<VillageMatrix>,
    list_vs_list: bool,
    /// Direct-mapped cache of [`compare_name_part`] by part ids, shared by the threads
    /// (relaxed atomics: a level is a pure function of the two ids, so a lost or stale
    /// slot only costs a recomputation). Random pairs rarely share names, and Jaro–Winkler
    /// is most of what comparing them costs.
    names: Vec<AtomicU64>,
}

const NAME_CACHE_BITS: u32 = 16;
const ID_BITS: u32 = 28;

/// Villages up to which the pairwise levels are precomputed.
const VILLAGE_MATRIX_MAX: usize = 2048;

impl<'a, L: Lookup> Comparer<'a, L> {
    pub(crate) fn new(voc: &'a L, list_vs_list: bool) -> Self {
        let n = voc.villages_len();
        let villages = (n <= VILLAGE_MATRIX_MAX && n > 1).then(|| {
            let mut levels = vec![0u8; n * n];
            for x in 0..n {
                for y in x..n {
                    let l = village_pair(voc, x as u32, y as u32);
                    levels[x * n + y] = l;
                    levels[y * n + x] = l;
                }
            }
            VillageMatrix { n, levels }
        });
        Comparer {
            voc,
            villages,
            list_vs_list,
            names: (0..1usize << NAME_CACHE_BITS)
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }

    /// A comparer that computes village levels on the fly (one-off comparisons).
    pub(crate) fn light(voc: &'a L, list_vs_list: bool) -> Self {
        Comparer {
            voc,
            villages: None,
            list_vs_list,
            names: Vec::new(),
        }
    }

    /// [`compare_name_part`] of two non-empty parts, through the cache.
    fn name_part(&self, a: u32, b: u32) -> NameLevel {
        let cacheable = !self.names.is_empty() && a < 1 << ID_BITS && b < 1 << ID_BITS;
        if !cacheable {
            return compare_name_part(&self.voc.part(a).pk, &self.voc.part(b).pk);
        }
        let tag = (u64::from(a) << ID_BITS) | u64::from(b);
        let slot = &self.names[(super::index::mix(tag) >> (64 - NAME_CACHE_BITS)) as usize];
        let v = slot.load(Ordering::Relaxed);
        if v != 0 && v >> 4 == tag {
            return NameLevel::ALL[(v & 15) as usize - 1];
        }
        let l = compare_name_part(&self.voc.part(a).pk, &self.voc.part(b).pk);
        slot.store(
            (tag << 4) | (u64::from(name_index(l)) + 1),
            Ordering::Relaxed,
        );
        l
    }

    pub(crate) fn voc(&self) -> &'a L {
        self.voc
    }

    pub(crate) fn compare(&self, a: &Rec, b: &Rec) -> Levels {
        let toneless = a.name.toneless || b.name.toneless;
        let mut l = [0u8; N_FIELDS];
        l[ID] = self.id(a, b);
        l[FAMILY] = self.part(a.name.family, b.name.family, toneless);
        l[MIDDLE] = self.middle(&a.name, &b.name, toneless);
        l[GIVEN] = self.part(a.name.given, b.name.given, toneless);
        l[DOB] = dob_level(a.dob.as_ref(), b.dob.as_ref());
        l[SEX] = match (a.sex, b.sex) {
            (0, _) | (_, 0) => missing(SEX),
            (x, y) if x == y => 0,
            _ => 1,
        };
        l[VILLAGE] = self.village(&a.villages, &b.villages);
        l[PHONE] = phone_level(a.phone, b.phone);
        l
    }

    fn id(&self, a: &Rec, b: &Rec) -> u8 {
        if a.id12 != NONE && b.id12 != NONE {
            return match digit_difference(a.id12, b.id12, 12) {
                0 => 0,
                1 => 1,
                2 => 2,
                _ => 4,
            };
        }
        if a.cmnd != NONE && b.cmnd != NONE {
            return match digit_difference(a.cmnd, b.cmnd, 9) {
                0 if self.list_vs_list => 0,
                0 => 3,
                1 => 1,
                2 => 2,
                _ => 4,
            };
        }
        missing(ID)
    }

    /// Family or given name. Two empty parts are `missing` (nothing to compare).
    fn part(&self, a: u32, b: u32, toneless: bool) -> u8 {
        if a == 0 || b == 0 {
            return 6;
        }
        if a == b {
            return 0;
        }
        if toneless && self.voc.part(a).stripped_id == self.voc.part(b).stripped_id {
            return 0;
        }
        name_index(self.name_part(a, b))
    }

    fn middle(&self, a: &NameIds, b: &NameIds, toneless: bool) -> u8 {
        if a.middle == b.middle {
            return 0;
        }
        let (pa, pb) = (self.voc.part(a.middle), self.voc.part(b.middle));
        let both = a.middle != 0 && b.middle != 0;
        let mut level = None;
        if both {
            if toneless && pa.stripped_id == pb.stripped_id {
                return 0;
            }
            let l = self.name_part(a.middle, b.middle);
            if matches!(
                l,
                NameLevel::Exact | NameLevel::ToneInsensitive | NameLevel::VariantSpelling
            ) {
                return name_index(l);
            }
            level = Some(l);
        }
        // Equal once Văn/Thị are removed, and one side has none ("Văn" against nothing, "Thị
        // Thu" against "Thu"; not "Văn" against "Thị").
        let (wa, wb) = (a.middle_wo, b.middle_wo);
        let one_side_plain = a.middle == wa || b.middle == wb;
        if one_side_plain
            && (wa == wb
                || toneless && self.voc.part(wa).stripped_id == self.voc.part(wb).stripped_id
                || wa != 0 && wb != 0 && self.name_part(wa, wb) == NameLevel::ToneInsensitive)
        {
            return 3;
        }
        match level {
            None => missing(MIDDLE),
            Some(NameLevel::JaroWinkler92) => 4,
            Some(NameLevel::JaroWinkler80) => 5,
            Some(_) => 6,
        }
    }

    fn village(&self, a: &[u32; 2], b: &[u32; 2]) -> u8 {
        let mut best = missing(VILLAGE);
        for &x in a.iter().filter(|&&x| x != 0) {
            for &y in b.iter().filter(|&&y| y != 0) {
                let l = match &self.villages {
                    _ if x == y => 0,
                    Some(m) if (x as usize) < m.n && (y as usize) < m.n => {
                        m.levels[x as usize * m.n + y as usize]
                    }
                    _ => village_pair(self.voc, x, y),
                };
                best = best.min(l);
            }
        }
        best
    }
}

fn village_pair<L: Lookup>(voc: &L, x: u32, y: u32) -> u8 {
    if x == 0 || y == 0 {
        return missing(VILLAGE);
    }
    if x == y {
        return 0;
    }
    use crate::compare::VillageLevel as V;
    match compare_village(voc.village(x), voc.village(y)) {
        V::Exact => 0,
        V::SameKey => 1,
        V::Similar => 2,
        V::Different => 3,
        V::Missing => 4,
    }
}

/// The date level of two dates of birth: [`compare_date`]'s level, split by precision (see
/// the module documentation), on unpacked dates.
pub(crate) fn dob_level(a: Option<&Dob>, b: Option<&Dob>) -> u8 {
    let (Some(a), Some(b)) = (a, b) else {
        return missing(DOB);
    };
    let full = a.is_full() && b.is_full();
    if a == b {
        // exact, partial_exact
        return if a.is_full() { 0 } else { 3 };
    }
    if a.year == b.year {
        if full && a.day == b.month && b.day == a.month {
            return 1; // day_month_swapped
        }
        // same_year, year_only
        return if a.precision() == b.precision() { 4 } else { 2 };
    }
    let agree = |x: u8, y: u8| x == 0 || y == 0 || x == y;
    if (i32::from(a.year) - i32::from(b.year)).abs() == 1
        && agree(a.month, b.month)
        && agree(a.day, b.day)
    {
        // year_off_by_one, year_only_off_by_one
        return if full { 5 } else { 6 };
    }
    if full
        && a.month == b.month
        && a.day == b.day
        && matches!(
            digit_difference(
                u64::from(a.year.unsigned_abs()),
                u64::from(b.year.unsigned_abs()),
                4
            ),
            1 | 2
        )
    {
        return 7; // year_mistyped
    }
    8
}

fn phone_level(a: u64, b: u64) -> u8 {
    if a == NONE || b == NONE {
        return missing(PHONE);
    }
    if a >> 56 != b >> 56 {
        return 3;
    }
    let mask = (1u64 << 56) - 1;
    match digit_difference(a & mask, b & mask, (a >> 56) as usize) {
        0 => 0,
        1 => 1,
        2 => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{compare_id, compare_phone, IdLevel, PhoneLevel, VillageLevel};
    use crate::engine::prep::{phone_number, Frozen};
    use crate::standardise::{id_number, name, phone};
    use xaso_domain::PartialDate;

    #[test]
    fn level_names_are_those_of_compare() {
        let ids: Vec<&str> = IdLevel::ALL.iter().map(|l| l.as_str()).collect();
        assert_eq!(LEVELS[ID], ids.as_slice());
        let names: Vec<&str> = NameLevel::ALL.iter().map(|l| l.as_str()).collect();
        assert_eq!(LEVELS[FAMILY], names.as_slice());
        assert_eq!(LEVELS[GIVEN], names.as_slice());
        let v: Vec<&str> = VillageLevel::ALL.iter().map(|l| l.as_str()).collect();
        assert_eq!(LEVELS[VILLAGE], v.as_slice());
        let p: Vec<&str> = PhoneLevel::ALL.iter().map(|l| l.as_str()).collect();
        assert_eq!(LEVELS[PHONE], p.as_slice());
        for f in 0..N_FIELDS {
            assert_eq!(LEVELS[f][missing(f) as usize], "missing");
            assert!(LEVELS[f].len() <= MAX_LEVELS);
        }
    }

    #[test]
    fn codes_round_trip() {
        let l: Levels = [3, 5, 7, 2, 7, 1, 4, 2];
        assert_eq!(decode(encode(&l)), l);
        let max: Levels = std::array::from_fn(missing);
        assert_eq!(encode(&max) as usize, code_space() - 1);
    }

    #[test]
    fn digit_differences_agree_with_compare_id() {
        let ids = [
            "038095001234",
            "038095001235",
            "038095002134",
            "039095001234",
            "001085004321",
            "038095001243",
            "830095001234",
            "038095001234",
        ];
        for a in ids {
            for b in ids {
                let want = compare_id(&id_number(a).evidence, &id_number(b).evidence);
                let got = digit_difference(a.parse().unwrap_or(0), b.parse().unwrap_or(0), 12);
                let want = match want {
                    IdLevel::Exact => 0,
                    IdLevel::OneDigitWrong => 1,
                    IdLevel::AdjacentSwap => 2,
                    _ => 3,
                };
                assert_eq!(got, want, "{a} {b}");
            }
        }
        for (a, b) in [
            ("0912345678", "0912345679"),
            ("0912345678", "0912346578"),
            ("0912345678", "0987654321"),
            ("0912345678", "02438223456"),
            ("0912345678", "0912345678"),
        ] {
            let want = compare_phone(phone(a).as_deref(), phone(b).as_deref()) as u8;
            let got = phone_level(phone_number(a), phone_number(b));
            assert_eq!(got, want, "{a} {b}");
        }
    }

    fn rec(voc: &mut crate::engine::prep::VocabLayer<'_>, n: &str) -> Rec {
        Rec {
            name: voc.name(n),
            ..Rec::default()
        }
    }

    #[test]
    fn name_levels_agree_with_compare_name_part() {
        let base = Frozen::empty();
        let mut voc = base.layer();
        let names = [
            "Nguyễn Văn An",
            "Nguyen Van An",
            "Nguyễn An",
            "Nguyễn Văn Ân",
            "Nguyễn Văn Anh",
            "Võ Thị Hòa",
            "Vũ Thị Hoà",
            "Vũ Hoà",
            "Vu Thi Hoa",
            "Trần Thị Thu Hà",
            "Trần Thu Hà",
            "Trần Thị Thư Hà",
            "Trần Thanh Hà",
            "Lý Văn Lý",
            "Lí Văn Lí",
            "An",
        ];
        let recs: Vec<Rec> = names.iter().map(|n| rec(&mut voc, n)).collect();
        let cmp = Comparer::new(&voc, false);
        for (i, a) in names.iter().enumerate() {
            for (j, b) in names.iter().enumerate() {
                let l = cmp.compare(&recs[i], &recs[j]);
                let (na, nb) = (name(a), name(b));
                let toneless = recs[i].name.toneless || recs[j].name.toneless;
                for (f, pa, pb) in [
                    (FAMILY, &na.family, &nb.family),
                    (GIVEN, &na.given, &nb.given),
                ] {
                    let mut want = name_index(compare_name_part(pa, pb));
                    if pa.key.is_empty() || pb.key.is_empty() {
                        want = 6;
                    } else if toneless && pa.stripped == pb.stripped {
                        want = 0;
                    }
                    assert_eq!(l[f], want, "{a} / {b} field {f}");
                }
                // Symmetric.
                assert_eq!(cmp.compare(&recs[j], &recs[i]), l, "{a} / {b}");
            }
        }
        let mut m = |a: &str, b: &str| {
            let (x, y) = (rec(&mut voc, a), rec(&mut voc, b));
            LEVELS[MIDDLE][Comparer::new(&voc, false).compare(&x, &y)[MIDDLE] as usize]
        };
        assert_eq!(m("Nguyễn Văn An", "Nguyễn An"), "van_thi_differs");
        assert_eq!(m("Trần Thị Thu Hà", "Trần Thu Hà"), "van_thi_differs");
        assert_eq!(m("Nguyen Thi Ha", "Nguyễn Hà"), "van_thi_differs");
        assert_eq!(m("Nguyen Thi Ha", "Nguyễn Thị Hà"), "exact");
        assert_eq!(m("Trần Thị Thu Hà", "Trần Thị Thư Hà"), "tone_insensitive");
        assert_eq!(m("Trần Thanh Hà", "Trần Hà"), "missing");
        assert_eq!(m("Trần Thanh Hà", "Trần Minh Hà"), "different");
        assert_eq!(m("Trần Hà", "Lê Hà"), "exact");
        assert_eq!(m("Trần Văn Hà", "Lê Thị Hà"), "different");
    }

    #[test]
    fn date_levels() {
        let d = |s: &str| PartialDate::parse(s).ok().as_ref().map(Dob::of);
        let cases = [
            ("07/03/1995", "07/03/1995", "exact"),
            ("07/03/1995", "03/07/1995", "day_month_swapped"),
            ("1995", "07/03/1995", "year_only"),
            ("1995", "1995", "partial_exact"),
            ("03/1995", "03/1995", "partial_exact"),
            ("03/1995", "1995", "year_only"),
            ("08/03/1995", "07/03/1995", "same_year"),
            ("07/03/1996", "07/03/1995", "year_off_by_one"),
            ("1996", "07/03/1995", "year_only_off_by_one"),
            ("1996", "1995", "year_only_off_by_one"),
            ("07/03/1990", "07/03/1995", "year_mistyped"),
            ("07/03/1959", "07/03/1995", "year_mistyped"),
            ("07/03/1943", "07/03/1975", "different"),
            ("08/03/1990", "07/03/1995", "different"),
            ("1990", "07/03/1995", "different"),
            ("", "07/03/1995", "missing"),
        ];
        for (a, b, want) in cases {
            let l = dob_level(d(a).as_ref(), d(b).as_ref());
            assert_eq!(LEVELS[DOB][l as usize], want, "{a} {b}");
        }
    }

    #[test]
    fn date_levels_refine_compare_date() {
        use crate::compare::{compare_date, DateLevel};
        let mut dates = vec![None];
        for y in [1958, 1959, 1960, 1968, 1985] {
            dates.push(PartialDate::from_year(y).ok());
            for m in [3u8, 7] {
                dates.push(PartialDate::parse(&format!("{m:02}/{y}")).ok());
                for day in [3u8, 7, 29] {
                    dates.push(PartialDate::parse(&format!("{day:02}/{m:02}/{y}")).ok());
                }
            }
        }
        for a in &dates {
            for b in &dates {
                let l = dob_level(
                    a.as_ref().map(Dob::of).as_ref(),
                    b.as_ref().map(Dob::of).as_ref(),
                );
                let coarse = match l {
                    0 | 3 => DateLevel::Exact,
                    1 => DateLevel::DayMonthSwapped,
                    2 | 4 => DateLevel::YearOnlyAgrees,
                    5 | 6 => DateLevel::YearOffByOne,
                    7 | 8 => DateLevel::Different,
                    _ => DateLevel::Missing,
                };
                assert_eq!(coarse, compare_date(a.as_ref(), b.as_ref()), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn ids_and_cmnd() {
        let base = Frozen::empty();
        let voc = base.layer();
        let cmp = Comparer::light(&voc, false);
        let dedup = Comparer::light(&voc, true);
        let r = |id12: u64, cmnd: u64| Rec {
            id12,
            cmnd,
            ..Rec::default()
        };
        let lvl = |c: &Comparer<'_, _>, a: Rec, b: Rec| LEVELS[ID][c.id(&a, &b) as usize];
        let reg = r(38_095_001_234, 173_456_789);
        assert_eq!(lvl(&cmp, r(38_095_001_234, NONE), reg), "exact");
        assert_eq!(lvl(&cmp, r(38_095_001_235, NONE), reg), "one_digit_wrong");
        assert_eq!(lvl(&cmp, r(NONE, 173_456_789), reg), "cmnd_matches");
        assert_eq!(lvl(&cmp, r(NONE, 173_456_798), reg), "adjacent_swap");
        assert_eq!(lvl(&cmp, r(NONE, 173_456_789), r(1, NONE)), "missing");
        assert_eq!(lvl(&cmp, r(NONE, NONE), reg), "missing");
        assert_eq!(
            lvl(&dedup, r(NONE, 173_456_789), r(NONE, 173_456_789)),
            "exact"
        );
    }
}
