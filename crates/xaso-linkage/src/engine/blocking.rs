//! Blocking: which pairs are compared at all. Each rule is an index over one side (the
//! register, or the list itself for duplicates) queried with the other side's record; a row's
//! candidates are the union of what its rules return, each pair once.
//!
//! | rule | pairs that agree on |
//! |---|---|
//! | `id_exact` | the 12-digit number |
//! | `id_one_digit_or_swap` | the 12-digit number but one digit, or two neighbours swapped (its 119 variants looked up when the number itself is not found) |
//! | `cmnd` | the 9-digit CMND given against the one on file, exactly, or (when not found) but one digit / one swap |
//! | `given_dob` | given name (variant key) + full date of birth |
//! | `family_middle_dob` | family and middle names (variant keys, without Văn/Thị) + full date of birth |
//! | `initials_dob_swapped` | initials of family and given names + date of birth with day and month exchanged |
//! | `name_year` | name key + birth year, when one side knows only the year (or year and month) |
//! | `name_year_pm1` | name key + birth year ± 1: full dates with the same day and month; a year alone only for rows without a village (name + village reaches every year) |
//! | `name_year_month_or_day` | name key + year + month, or + year + day (a typo in the day or the month) |
//! | `name_only_no_dob` | name key, for rows without a date of birth |
//! | `name_village` | name key + village key (the kind of unit ignored: "Thôn Đại Xuyên" = "Đại Xuyên") |
//! | `initials_sex_village` | initials of family and given names + sex + village key, for a row not found by its number and whose name key no other rule found with a date that could be its (a typo in the name); against the register only |
//!
//! The name key is family + middle without Văn/Thị + given, stripped of tones, regional
//! variants folded (Vũ/Võ, Hoàng/Huỳnh, y/i). Full dates are never blocked on name + year
//! alone: among a million people a common name shares its birth year with dozens.
//!
//! A letter typed wrong in a name changes its key, and then only the rules on a full date
//! (`given_dob`, `family_middle_dob`) can find the person: not when the date is a year alone
//! or its year is mistyped too. So a row whose name key is on none of its candidates is also
//! looked up by `initials_sex_village`, which survives a typo in any letter but the first
//! (unless its ID number found it).
//!
//! Blocks of the name rules larger than [`BLOCK_CAP`] (very common names with little else)
//! are skipped and counted: they would add many pairs and no decision. When linking to the
//! register, a row whose ID or CMND is found on a person with the same name key is resolved
//! and the broad rules (`name_year`, `name_year_pm1` on years alone, `name_only_no_dob`) are
//! not run for it: they could only add namesakes whose number differs.

use serde::Serialize;

use super::index::{combine, MultiIndex};
use super::prep::{Dob, Lookup, Rec, NONE};

/// The rules, in the order they run (a pair is "new" for the first rule that finds it).
pub(crate) const RULES: [&str; 12] = [
    "id_exact",
    "id_one_digit_or_swap",
    "cmnd",
    "given_dob",
    "family_middle_dob",
    "initials_dob_swapped",
    "name_year",
    "name_year_pm1",
    "name_year_month_or_day",
    "name_only_no_dob",
    "name_village",
    "initials_sex_village",
];

const R_ID: usize = 0;
const R_ID_TYPO: usize = 1;
const R_CMND: usize = 2;
const R_GIVEN_DOB: usize = 3;
const R_FAMILY_DOB: usize = 4;
const R_INITIALS: usize = 5;
const R_NAME_YEAR: usize = 6;
const R_NAME_YEAR_PM1: usize = 7;
const R_NAME_MONTH_DAY: usize = 8;
const R_NAME: usize = 9;
const R_NAME_VILLAGE: usize = 10;
const R_INITIALS_VILLAGE: usize = 11;

/// The `different` date level.
const DOB_DIFFERENT: u8 = super::vector::missing(super::vector::DOB) - 1;

/// Largest block a name rule may return.
pub(crate) const BLOCK_CAP: usize = 300;

/// Pair counts of one rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BlockingCount {
    pub rule: &'static str,
    /// Candidate pairs the rule generated.
    pub pairs: usize,
    /// Of those, pairs no earlier rule had generated.
    pub new_pairs: usize,
    /// Blocks skipped for being larger than the cap.
    pub capped_blocks: usize,
}

pub(crate) fn empty_counts() -> Vec<BlockingCount> {
    RULES
        .iter()
        .map(|r| BlockingCount {
            rule: r,
            ..BlockingCount::default()
        })
        .collect()
}

pub(crate) fn add_counts(into: &mut [BlockingCount], from: &[BlockingCount]) {
    for (a, b) in into.iter_mut().zip(from) {
        a.pairs += b.pairs;
        a.new_pairs += b.new_pairs;
        a.capped_blocks += b.capped_blocks;
    }
}

const TAG_NAME_YEAR: u64 = 1;
const TAG_GIVEN_DOB: u64 = 2;
const TAG_FAMILY_DOB: u64 = 3;
const TAG_INITIALS: u64 = 4;
const TAG_NAME_VILLAGE: u64 = 5;
const TAG_NAME: u64 = 6;
const TAG_NAME_YMD: u64 = 7;
const TAG_NAME_YM: u64 = 8;
const TAG_NAME_YD: u64 = 9;
const TAG_INITIALS_VILLAGE: u64 = 10;

fn name_key<L: Lookup>(r: &Rec, voc: &L) -> Option<u64> {
    (r.name.given != 0).then(|| {
        combine(&[
            TAG_NAME,
            u64::from(voc.part(r.name.family).variant_id),
            u64::from(voc.part(r.name.middle_wo).variant_id),
            u64::from(voc.part(r.name.given).variant_id),
        ])
    })
}

/// What [`name_key`] hashes: the variant keys of the family name, the middle name without
/// Văn/Thị and the given name (None without a given name).
fn name_variants<L: Lookup>(r: &Rec, voc: &L) -> Option<[u32; 3]> {
    (r.name.given != 0).then(|| {
        [
            voc.part(r.name.family).variant_id,
            voc.part(r.name.middle_wo).variant_id,
            voc.part(r.name.given).variant_id,
        ]
    })
}

fn initials_village_key<L: Lookup>(r: &Rec, voc: &L, sex: u8, village: u32) -> u64 {
    combine(&[
        TAG_INITIALS_VILLAGE,
        u64::from(voc.part(r.name.family).initial),
        u64::from(voc.part(r.name.given).initial),
        u64::from(sex),
        u64::from(voc.village_block(village)),
    ])
}

fn ymd(r: &Rec) -> Option<(u64, u64, u64)> {
    let d = r.dob.filter(Dob::is_full)?;
    Some((d.year as u64, u64::from(d.month), u64::from(d.day)))
}

/// The indexes over one side.
#[derive(Debug, Default)]
pub(crate) struct BlockIndex {
    id12: MultiIndex,
    cmnd: MultiIndex,
    /// (name, year) of every record with a date.
    name_year_all: MultiIndex,
    /// (name, year) of records whose date is partial.
    name_year_partial: MultiIndex,
    name_ymd: MultiIndex,
    name_ym: MultiIndex,
    name_yd: MultiIndex,
    given_dob: MultiIndex,
    family_dob: MultiIndex,
    initials_dob: MultiIndex,
    name_village: MultiIndex,
    initials_village: MultiIndex,
    name: MultiIndex,
}

fn family_middle_key<L: Lookup>(r: &Rec, voc: &L, y: u64, m: u64, d: u64) -> u64 {
    combine(&[
        TAG_FAMILY_DOB,
        u64::from(voc.part(r.name.family).variant_id),
        u64::from(voc.part(r.name.middle_wo).variant_id),
        y,
        m,
        d,
    ])
}

fn given_key<L: Lookup>(r: &Rec, voc: &L, y: u64, m: u64, d: u64) -> u64 {
    combine(&[
        TAG_GIVEN_DOB,
        u64::from(voc.part(r.name.given).variant_id),
        y,
        m,
        d,
    ])
}

fn initials_key<L: Lookup>(r: &Rec, voc: &L, y: u64, m: u64, d: u64) -> u64 {
    combine(&[
        TAG_INITIALS,
        u64::from(voc.part(r.name.family).initial),
        u64::from(voc.part(r.name.given).initial),
        y,
        m,
        d,
    ])
}

impl BlockIndex {
    /// Builds the indexes (two threads when `threads` > 1: IDs and dates apart from the rest).
    pub(crate) fn build<L: Lookup>(recs: &[Rec], voc: &L, threads: usize) -> BlockIndex {
        let ids = || {
            let mut id12 = Vec::with_capacity(recs.len());
            let mut cmnd = Vec::new();
            for (i, r) in recs.iter().enumerate() {
                if r.id12 != NONE {
                    id12.push((r.id12, i as u32));
                }
                if r.cmnd != NONE {
                    cmnd.push((r.cmnd, i as u32));
                }
            }
            let mut given_dob = Vec::with_capacity(recs.len());
            let mut family_dob = Vec::with_capacity(recs.len());
            let mut initials = Vec::with_capacity(recs.len());
            for (i, r) in recs.iter().enumerate() {
                let i = i as u32;
                if r.name.given == 0 {
                    continue;
                }
                if let Some((y, m, d)) = ymd(r) {
                    given_dob.push((given_key(r, voc, y, m, d), i));
                    if r.name.family != 0 {
                        family_dob.push((family_middle_key(r, voc, y, m, d), i));
                    }
                    initials.push((initials_key(r, voc, y, m, d), i));
                }
            }
            [
                MultiIndex::build(id12, true),
                MultiIndex::build(cmnd, true),
                MultiIndex::build(given_dob, false),
                MultiIndex::build(family_dob, false),
                MultiIndex::build(initials, false),
            ]
        };
        let names = || {
            let mut year_all = Vec::with_capacity(recs.len());
            let mut year_partial = Vec::new();
            let mut name_ymd = Vec::with_capacity(recs.len());
            let mut name_ym = Vec::with_capacity(recs.len());
            let mut name_yd = Vec::with_capacity(recs.len());
            let mut village = Vec::with_capacity(recs.len());
            let mut initials_village = Vec::with_capacity(recs.len());
            let mut name = Vec::with_capacity(recs.len());
            for (i, r) in recs.iter().enumerate() {
                let i = i as u32;
                let Some(nk) = name_key(r, voc) else { continue };
                name.push((nk, i));
                if let Some(dob) = r.dob {
                    let y = dob.year as u64;
                    let k = combine(&[TAG_NAME_YEAR, nk, y]);
                    year_all.push((k, i));
                    match ymd(r) {
                        Some((y, m, d)) => {
                            name_ymd.push((combine(&[TAG_NAME_YMD, nk, y, m, d]), i));
                            name_ym.push((combine(&[TAG_NAME_YM, nk, y, m]), i));
                            name_yd.push((combine(&[TAG_NAME_YD, nk, y, d]), i));
                        }
                        None => {
                            year_partial.push((k, i));
                            if dob.month != 0 {
                                let m = u64::from(dob.month);
                                name_ym.push((combine(&[TAG_NAME_YM, nk, y, m]), i));
                            }
                        }
                    }
                }
                let mut seen = [u32::MAX; 2];
                for (k, &v) in r.villages.iter().enumerate().filter(|(_, &v)| v != 0) {
                    let b = voc.village_block(v);
                    if !seen.contains(&b) {
                        seen[k] = b;
                        village.push((combine(&[TAG_NAME_VILLAGE, nk, u64::from(b)]), i));
                        initials_village.push((initials_village_key(r, voc, r.sex, v), i));
                    }
                }
            }
            (
                [
                    MultiIndex::build(year_all, false),
                    MultiIndex::build(year_partial, false),
                    MultiIndex::build(name_ymd, false),
                    MultiIndex::build(name_ym, false),
                ],
                [
                    MultiIndex::build(name_yd, false),
                    MultiIndex::build(village, false),
                    MultiIndex::build(initials_village, false),
                    MultiIndex::build(name, false),
                ],
            )
        };
        let (by_number_and_date, by_name) = if threads > 1 {
            std::thread::scope(|s| {
                let h = s.spawn(ids);
                let n = names();
                (h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)), n)
            })
        } else {
            (ids(), names())
        };
        let [id12, cmnd, given_dob, family_dob, initials_dob] = by_number_and_date;
        let (
            [name_year_all, name_year_partial, name_ymd, name_ym],
            [name_yd, name_village, initials_village, name],
        ) = by_name;
        BlockIndex {
            id12,
            cmnd,
            name_year_all,
            name_year_partial,
            name_ymd,
            name_ym,
            name_yd,
            given_dob,
            family_dob,
            initials_dob,
            name_village,
            initials_village,
            name,
        }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        [
            &self.id12,
            &self.cmnd,
            &self.name_year_all,
            &self.name_year_partial,
            &self.name_ymd,
            &self.name_ym,
            &self.name_yd,
            &self.given_dob,
            &self.family_dob,
            &self.initials_dob,
            &self.name_village,
            &self.initials_village,
            &self.name,
        ]
        .iter()
        .map(|i| i.heap_bytes())
        .sum()
    }

    /// Appends the candidates of `r` to `sink.out` (each once), counting per rule. `keep`
    /// filters candidates (the within-list pass keeps only later rows); `indexed` are the
    /// records the index was built from. With `resolve` (linking to the register), a row whose
    /// ID or CMND is found on a record with the same name key is resolved: the broad rules
    /// (`name_year`, `name_year_pm1`, `name_only_no_dob`) are not run for it, as they could
    /// only add namesakes whose number differs; and `initials_sex_village` runs only then
    /// (within the list, nearly every row's name is "found nowhere" among the few rows
    /// against which it is blocked).
    pub(crate) fn candidates<L: Lookup>(
        &self,
        r: &Rec,
        voc: &L,
        sink: &mut Sink,
        keep: &dyn Fn(u32) -> bool,
        indexed: &[Rec],
        resolve: bool,
    ) {
        sink.begin();
        let all = usize::MAX;
        let nk = name_key(r, voc);
        let nv = name_variants(r, voc);
        let same_name = |j: u32| {
            indexed
                .get(j as usize)
                .is_some_and(|o| nv.is_some() && name_variants(o, voc) == nv)
        };
        let resolved = |block: &[u32]| resolve && block.iter().any(|&j| same_name(j));
        let mut skip_broad = false;
        // Found by its very number (then a typo in its name needs no other rule).
        let mut by_number = false;
        // Variants of a number are looked up only when the number itself is not found (on a
        // record that `keep` accepts: in the list against itself, a row finds itself).
        if r.id12 != NONE {
            let exact = self.id12.get(r.id12);
            sink.add(R_ID, exact, all, keep);
            skip_broad |= resolved(exact);
            by_number |= exact.iter().any(|&j| keep(j));
            if !by_number {
                for_each_variant(r.id12, 12, |v| {
                    sink.add(R_ID_TYPO, self.id12.get(v), all, keep);
                });
            }
        }
        if r.cmnd != NONE {
            let exact = self.cmnd.get(r.cmnd);
            sink.add(R_CMND, exact, all, keep);
            skip_broad |= resolved(exact);
            let found = exact.iter().any(|&j| keep(j));
            by_number |= found;
            if !found {
                for_each_variant(r.cmnd, 9, |v| {
                    sink.add(R_CMND, self.cmnd.get(v), all, keep);
                });
            }
        }
        if r.name.given == 0 {
            return;
        }
        if let Some((y, m, d)) = ymd(r) {
            sink.add(
                R_GIVEN_DOB,
                self.given_dob.get(given_key(r, voc, y, m, d)),
                BLOCK_CAP,
                keep,
            );
            if r.name.family != 0 {
                let k = family_middle_key(r, voc, y, m, d);
                sink.add(R_FAMILY_DOB, self.family_dob.get(k), BLOCK_CAP, keep);
            }
            if d <= 12 && d != m {
                let k = initials_key(r, voc, y, d, m);
                sink.add(R_INITIALS, self.initials_dob.get(k), BLOCK_CAP, keep);
            }
        }
        let Some(nk) = nk else { return };
        let has_village = r.villages.iter().any(|&v| v != 0);
        match (r.dob, ymd(r)) {
            (Some(_), Some((y, m, d))) => {
                let year = |y: u64| combine(&[TAG_NAME_YEAR, nk, y]);
                if !skip_broad {
                    sink.add(
                        R_NAME_YEAR,
                        self.name_year_partial.get(year(y)),
                        BLOCK_CAP,
                        keep,
                    );
                }
                for y in [y.wrapping_sub(1), y + 1] {
                    let k = combine(&[TAG_NAME_YMD, nk, y, m, d]);
                    sink.add(R_NAME_YEAR_PM1, self.name_ymd.get(k), BLOCK_CAP, keep);
                    if !skip_broad {
                        let k = year(y);
                        sink.add(
                            R_NAME_YEAR_PM1,
                            self.name_year_partial.get(k),
                            BLOCK_CAP,
                            keep,
                        );
                    }
                }
                let k = combine(&[TAG_NAME_YM, nk, y, m]);
                sink.add(R_NAME_MONTH_DAY, self.name_ym.get(k), BLOCK_CAP, keep);
                let k = combine(&[TAG_NAME_YD, nk, y, d]);
                sink.add(R_NAME_MONTH_DAY, self.name_yd.get(k), BLOCK_CAP, keep);
            }
            (Some(dob), None) => {
                let y = dob.year as u64;
                let year = |y: u64| combine(&[TAG_NAME_YEAR, nk, y]);
                if !skip_broad {
                    sink.add(
                        R_NAME_YEAR,
                        self.name_year_all.get(year(y)),
                        BLOCK_CAP,
                        keep,
                    );
                    // With a village, name + village already reaches every year.
                    if !has_village {
                        for y in [y.wrapping_sub(1), y + 1] {
                            let k = year(y);
                            sink.add(R_NAME_YEAR_PM1, self.name_year_all.get(k), BLOCK_CAP, keep);
                        }
                    }
                }
                if dob.month != 0 {
                    let k = combine(&[TAG_NAME_YM, nk, y, u64::from(dob.month)]);
                    sink.add(R_NAME_MONTH_DAY, self.name_ym.get(k), BLOCK_CAP, keep);
                }
            }
            (None, _) => {
                if !skip_broad {
                    sink.add(R_NAME, self.name.get(nk), BLOCK_CAP, keep);
                }
            }
        }
        for &v in r.villages.iter().filter(|&&v| v != 0) {
            let k = combine(&[TAG_NAME_VILLAGE, nk, u64::from(voc.village_block(v))]);
            sink.add(R_NAME_VILLAGE, self.name_village.get(k), BLOCK_CAP, keep);
        }
        // The name found on nobody born then: perhaps a typo in it (or in the register's).
        let plausible = |j: u32| {
            same_name(j)
                && indexed.get(j as usize).is_some_and(|o| {
                    super::vector::dob_level(r.dob.as_ref(), o.dob.as_ref()) != DOB_DIFFERENT
                })
        };
        if resolve && r.name.family != 0 && !by_number && !sink.out.iter().any(|&j| plausible(j)) {
            let sexes: &[u8] = match r.sex {
                0 => &[1, 2, 0],
                1 => &[1, 0],
                _ => &[2, 0],
            };
            for &v in r.villages.iter().filter(|&&v| v != 0) {
                for &sex in sexes {
                    let k = initials_village_key(r, voc, sex, v);
                    sink.add(
                        R_INITIALS_VILLAGE,
                        self.initials_village.get(k),
                        BLOCK_CAP,
                        keep,
                    );
                }
            }
        }
    }
}

/// Calls `f` with every number that differs from `x` (of `len` digits) in one digit, or by
/// two neighbouring digits exchanged.
pub(crate) fn for_each_variant(x: u64, len: usize, mut f: impl FnMut(u64)) {
    let mut digits = [0u64; 12];
    let mut pow = [0u64; 12];
    let mut y = x;
    let mut p = 1u64;
    for i in 0..len.min(12) {
        digits[i] = y % 10;
        pow[i] = p;
        y /= 10;
        p *= 10;
    }
    for i in 0..len.min(12) {
        let base = x - digits[i] * pow[i];
        for d in 0..10 {
            if d != digits[i] {
                f(base + d * pow[i]);
            }
        }
    }
    for i in 0..len.min(12).saturating_sub(1) {
        let (a, b) = (digits[i], digits[i + 1]);
        if a != b {
            f(x - a * pow[i] - b * pow[i + 1] + b * pow[i] + a * pow[i + 1]);
        }
    }
}

/// Where candidates go: the row's list, counts per rule. A row's few candidates are
/// deduplicated by scanning the list; past [`SCAN_MAX`] a stamp per other-side record takes
/// over (a register-sized array, touched only by rows with many candidates).
pub(crate) struct Sink {
    stamp: Vec<u32>,
    round: u32,
    stamped: bool,
    pub out: Vec<u32>,
    pub counts: Vec<BlockingCount>,
}

const SCAN_MAX: usize = 32;

impl Sink {
    pub(crate) fn new(other_side: usize) -> Sink {
        Sink {
            stamp: vec![0; other_side],
            round: 0,
            stamped: false,
            out: Vec::new(),
            counts: empty_counts(),
        }
    }

    fn begin(&mut self) {
        self.stamped = false;
        self.round = self.round.wrapping_add(1);
        if self.round == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.round = 1;
        }
    }

    /// Whether `j` is new for this row (and remember it).
    #[inline]
    fn first_time(&mut self, j: u32) -> bool {
        if !self.stamped {
            if self.out.contains(&j) {
                return false;
            }
            if self.out.len() < SCAN_MAX {
                return true;
            }
            self.stamped = true;
            for &k in &self.out {
                self.stamp[k as usize] = self.round;
            }
        }
        let s = &mut self.stamp[j as usize];
        if *s == self.round {
            false
        } else {
            *s = self.round;
            true
        }
    }

    fn add(&mut self, rule: usize, block: &[u32], cap: usize, keep: &dyn Fn(u32) -> bool) {
        if block.is_empty() {
            return;
        }
        if block.len() > cap {
            self.counts[rule].capped_blocks += 1;
            return;
        }
        for &j in block {
            if !keep(j) {
                continue;
            }
            self.counts[rule].pairs += 1;
            if self.first_time(j) {
                self.counts[rule].new_pairs += 1;
                self.out.push(j);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::prep::Frozen;
    use xaso_domain::PartialDate;

    #[test]
    fn variants_are_one_digit_or_one_swap_away() {
        let mut seen = Vec::new();
        for_each_variant(38_095_001_234, 12, |v| seen.push(v));
        // Eleven neighbours, one pair of them equal ("00").
        assert_eq!(seen.len(), 12 * 9 + 10);
        for v in &seen {
            let d = crate::engine::vector::digit_difference(38_095_001_234, *v, 12);
            assert!(d == 1 || d == 2, "{v}");
        }
        assert!(seen.contains(&38_095_001_243));
        assert!(seen.contains(&138_095_001_234));
        let mut n = 0;
        for_each_variant(111_111_111, 9, |_| n += 1);
        assert_eq!(n, 81);
    }

    fn rec(voc: &mut crate::engine::prep::VocabLayer<'_>, name: &str, dob: &str, id: u64) -> Rec {
        Rec {
            name: voc.name(name),
            dob: PartialDate::parse(dob).ok().as_ref().map(Dob::of),
            id12: id,
            villages: [voc.intern_village("Thôn 3"), 0],
            ..Rec::default()
        }
    }

    #[test]
    fn pairs_are_counted_per_rule_and_deduplicated() {
        let base = Frozen::empty();
        let mut voc = base.layer();
        let reg = vec![
            rec(&mut voc, "Nguyễn Văn An", "07/03/1995", 38_095_001_234),
            rec(&mut voc, "Nguyễn Văn An", "07/03/1996", 38_096_001_111),
            rec(&mut voc, "Trần Thị Bình", "03/07/1980", 38_180_002_222),
        ];
        let idx = BlockIndex::build(&reg, &voc, 2);
        let mut sink = Sink::new(reg.len());
        // Same ID, same name and date: every rule finds person 0, once.
        let q = rec(&mut voc, "Nguyen An", "07/03/1995", 38_095_001_234);
        idx.candidates(&q, &voc, &mut sink, &|_| true, &reg, false);
        let got: Vec<u32> = sink.out.clone();
        assert_eq!(got, vec![0, 1]);
        let c = |sink: &Sink, rule: &str| {
            sink.counts
                .iter()
                .find(|c| c.rule == rule)
                .map(|c| (c.pairs, c.new_pairs))
        };
        assert_eq!(c(&sink, "id_exact"), Some((1, 1)));
        assert_eq!(c(&sink, "id_one_digit_or_swap"), Some((0, 0)));
        assert_eq!(c(&sink, "given_dob"), Some((1, 0)));
        assert_eq!(c(&sink, "family_middle_dob"), Some((1, 0)));
        assert_eq!(c(&sink, "name_year"), Some((0, 0)));
        assert_eq!(c(&sink, "name_year_pm1"), Some((1, 1)));
        assert_eq!(c(&sink, "name_year_month_or_day"), Some((2, 0)));
        assert_eq!(c(&sink, "name_village"), Some((2, 0)));
        // Day and month swapped, no ID, a typo in the family name: the initials rule.
        sink.out.clear();
        let q = rec(&mut voc, "Trn Binh", "07/03/1980", NONE);
        idx.candidates(&q, &voc, &mut sink, &|_| true, &reg, false);
        assert_eq!(sink.out, vec![2]);
        assert_eq!(c(&sink, "initials_dob_swapped"), Some((1, 1)));
        // One digit wrong.
        sink.out.clear();
        let q = rec(&mut voc, "Lê Văn Cường", "01/01/2000", 38_180_002_232);
        idx.candidates(&q, &voc, &mut sink, &|_| true, &reg, false);
        assert_eq!(sink.out, vec![2]);
        assert_eq!(c(&sink, "id_one_digit_or_swap"), Some((1, 1)));
        // In a list against itself, a row's own number does not stop the variants.
        let list = vec![
            rec(&mut voc, "Nguyễn Văn An", "07/03/1995", 38_095_001_234),
            rec(&mut voc, "Trần Văn Bảo", "01/01/1990", 38_095_001_243),
        ];
        let own = BlockIndex::build(&list, &voc, 1);
        let mut s2 = Sink::new(list.len());
        own.candidates(&list[0], &voc, &mut s2, &|j| j > 0, &list, false);
        assert_eq!(s2.out, vec![1]);
        // The filter.
        sink.out.clear();
        let q = rec(&mut voc, "Nguyễn Văn An", "07/03/1995", NONE);
        idx.candidates(&q, &voc, &mut sink, &|j| j > 0, &reg, false);
        assert_eq!(sink.out, vec![1]);
    }

    #[test]
    fn a_row_found_by_its_number_with_its_name_skips_the_broad_rules() {
        let base = Frozen::empty();
        let mut voc = base.layer();
        let reg = vec![
            rec(&mut voc, "Nguyễn Văn An", "1995", 38_095_001_234),
            rec(&mut voc, "Nguyễn Văn An", "1995", 38_095_009_999),
        ];
        let idx = BlockIndex::build(&reg, &voc, 1);
        let q = rec(&mut voc, "Nguyễn Văn An", "1995", 38_095_001_234);
        let mut sink = Sink::new(reg.len());
        idx.candidates(&q, &voc, &mut sink, &|_| true, &reg, true);
        assert_eq!(sink.counts[R_NAME_YEAR].pairs, 0);
        // Name + village still runs: the namesake is scored.
        assert_eq!(sink.out, vec![0, 1]);
        // Another name on that number: not resolved.
        let q = rec(&mut voc, "Trần Thị Bình", "1995", 38_095_001_234);
        let mut sink = Sink::new(reg.len());
        idx.candidates(&q, &voc, &mut sink, &|_| true, &reg, true);
        assert_eq!(sink.out, vec![0]);
        // Without the records, nothing is skipped.
        let q = rec(&mut voc, "Nguyễn Văn An", "1995", 38_095_001_234);
        let mut sink = Sink::new(reg.len());
        idx.candidates(&q, &voc, &mut sink, &|_| true, &reg, false);
        assert_eq!(sink.counts[R_NAME_YEAR].pairs, 2);
    }

    #[test]
    fn a_name_found_nowhere_is_looked_up_by_initials_sex_and_village() {
        let base = Frozen::empty();
        let mut voc = base.layer();
        let person =
            |voc: &mut crate::engine::prep::VocabLayer<'_>, name: &str, dob: &str, sex: u8| Rec {
                sex,
                ..rec(voc, name, dob, NONE)
            };
        let reg = vec![
            person(&mut voc, "Nguyễn Văn Phúc", "1999", 1),
            person(&mut voc, "Nguyễn Thị Phương", "1999", 2),
            person(&mut voc, "Nguyễn Văn Phúc", "12/05/1970", 1),
        ];
        let queries = [
            // A typo in the given name, the year alone: no name rule finds him (nor his
            // namesake born in 1970, found with him).
            person(&mut voc, "Nguyễn Văn Phhúc", "1999", 1),
            // Found by name with a date that could be his: the rule is not needed.
            person(&mut voc, "Nguyễn Văn Phúc", "1999", 1),
            // Found by name, but only someone born in another year: it runs.
            person(&mut voc, "Nguyễn Văn Phúc", "1985", 1),
            // Sex unknown: both.
            person(&mut voc, "Nguyễn Vn Phc", "1999", 0),
        ];
        let idx = BlockIndex::build(&reg, &voc, 1);
        let run = |q: &Rec| {
            let mut sink = Sink::new(reg.len());
            idx.candidates(q, &voc, &mut sink, &|_| true, &reg, true);
            (sink.out.clone(), sink.counts[R_INITIALS_VILLAGE].pairs)
        };
        assert_eq!(run(&queries[0]), (vec![0, 2], 2));
        assert_eq!(run(&queries[1]).1, 0);
        assert_eq!(run(&queries[2]).1, 2);
        assert_eq!(run(&queries[3]), (vec![0, 2, 1], 3));
    }

    #[test]
    fn oversized_blocks_are_skipped_and_counted() {
        let base = Frozen::empty();
        let mut voc = base.layer();
        let reg: Vec<Rec> = (0..BLOCK_CAP + 1)
            .map(|_| rec(&mut voc, "Nguyễn Văn An", "1995", NONE))
            .collect();
        let idx = BlockIndex::build(&reg, &voc, 1);
        let mut sink = Sink::new(reg.len());
        let q = rec(&mut voc, "Nguyễn Văn An", "1995", NONE);
        idx.candidates(&q, &voc, &mut sink, &|_| true, &reg, false);
        assert!(sink.out.is_empty());
        assert_eq!(sink.counts[R_NAME_YEAR].capped_blocks, 1);
        assert_eq!(sink.counts[R_NAME_VILLAGE].capped_blocks, 1);
        // Below the cap, many candidates: deduplicated past the scan limit too.
        let idx = BlockIndex::build(&reg[..BLOCK_CAP], &voc, 1);
        let mut sink = Sink::new(BLOCK_CAP);
        idx.candidates(&q, &voc, &mut sink, &|_| true, &reg, false);
        assert_eq!(sink.out.len(), BLOCK_CAP);
        assert_eq!(sink.counts[R_NAME_VILLAGE].pairs, BLOCK_CAP);
        assert_eq!(sink.counts[R_NAME_VILLAGE].new_pairs, 0);
    }
}
