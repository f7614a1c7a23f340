//! The linkage benchmark's list: one hand-typed list as large as the register (N rows for a
//! register of N persons), with a ground-truth file, typed with more mistakes than the
//! sector lists (half the rows without an ID number) so that matching is hard at every size.
//!
//! Columns: `STT,Họ và tên,Ngày sinh,Giới tính,Số CCCD,Thôn,Số điện thoại`; truth:
//! `row,true_personal_id,errors` (`true_personal_id` empty for a person not in the register).
//!
//! The mistakes, each recorded in the truth file's `errors` column:
//! - ID: missing (about half the rows), the old 9-digit CMND instead of the 12-digit number,
//!   one digit wrong, two adjacent digits swapped;
//! - name: Vũ/Võ and Hoàng/Huỳnh, Văn/Thị dropped or added, every diacritic dropped, the tone
//!   of "oa/oe/uy" moved, a wrong tone, Đ typed as D, all capitals, a letter typo (dropped,
//!   doubled, swapped or replaced);
//! - date of birth: day and month swapped, a wrong year (one off, or a wrong last digit), the
//!   year alone;
//! - village: without "Thôn", in lower case, without diacritics, "Xóm" for "Thôn", with the
//!   commune after it;
//! - rows of people not in the register (invented, some with a plausible ID number), and the
//!   same person typed twice (the copy typed again, with its own mistakes).
//!
//! Deterministic: the same commune, options and seed give the same files.

use std::io::Write;

use time::Date;
use xaso_domain::register::Person;
use xaso_domain::{PartialDate, PersonalId, Sex};

use crate::names::{Ethnic, Names};
use crate::rng::{FastMap, FastSet, Rng};
use crate::typos::{
    change_tone, family_variant, move_tone, strip_diacritics, swap_adjacent, wrong_digit,
};
use crate::DemoCommune;

/// Columns of the benchmark list, in order.
pub const BENCH_LIST_HEADERS: [&str; 7] = [
    "STT",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Số CCCD",
    "Thôn",
    "Số điện thoại",
];

/// Columns of the benchmark list's truth file.
pub const BENCH_TRUTH_HEADERS: [&str; 3] = ["row", "true_personal_id", "errors"];

/// How the benchmark list is made. Rates are shares of the list's rows (or of the rows where
/// the mistake is possible).
#[derive(Debug, Clone, PartialEq)]
pub struct BenchListOptions {
    /// Rows of the list; default: as many as there are persons in the register.
    pub rows: Option<usize>,
    pub seed: u64,
    /// Rows without an ID number (0.4–0.6 in offices' lists).
    pub id_missing: f64,
    /// Rows of people who are not in the register.
    pub not_in_register: f64,
    /// Rows that are a second entry of someone already in the list.
    pub duplicates: f64,
}

impl Default for BenchListOptions {
    fn default() -> Self {
        BenchListOptions {
            rows: None,
            seed: 1,
            id_missing: 0.5,
            not_in_register: 0.07,
            duplicates: 0.02,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BenchListStats {
    pub rows: usize,
    /// Rows whose person is in the register (duplicates included).
    pub in_register: usize,
    pub not_in_register: usize,
    pub duplicates: usize,
    /// Rows with an ID number typed (12-digit or CMND, right or wrong).
    pub with_id: usize,
    /// How many rows carry each kind of mistake, in the order of first appearance.
    pub errors: Vec<(&'static str, usize)>,
}

/// Writes the benchmark list and its truth file for `commune`'s register.
pub fn write_bench_list(
    commune: &DemoCommune,
    opts: &BenchListOptions,
    list: impl Write,
    truth: impl Write,
) -> csv::Result<BenchListStats> {
    let maker = Maker::new(commune, opts);
    let mut rng = Rng::stream(opts.seed, "bench-list");
    let plan = maker.plan(&mut rng);
    let mut w = csv::Writer::from_writer(list);
    let mut t = csv::Writer::from_writer(truth);
    w.write_record(BENCH_LIST_HEADERS)?;
    t.write_record(BENCH_TRUTH_HEADERS)?;
    let mut stats = BenchListStats {
        rows: plan.len(),
        ..BenchListStats::default()
    };
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    let mut errors: Vec<&'static str> = Vec::with_capacity(8);
    for (k, item) in plan.iter().enumerate() {
        errors.clear();
        let row = (k + 1).to_string();
        let (fields, truth_id) = match item.subject.and_then(|i| commune.persons.get(i)) {
            Some(p) => {
                stats.in_register += 1;
                if item.duplicate {
                    stats.duplicates += 1;
                    errors.push("duplicate");
                }
                let village = maker.village_of(p);
                (
                    maker.typed(p, village, &mut rng, &mut errors),
                    p.personal_id.to_string(),
                )
            }
            None => {
                stats.not_in_register += 1;
                errors.push("not_in_register");
                (maker.invented(&mut rng), String::new())
            }
        };
        if !fields.id.is_empty() {
            stats.with_id += 1;
        }
        for e in &errors {
            match counts.iter_mut().find(|(k, _)| k == e) {
                Some((_, n)) => *n += 1,
                None => counts.push((e, 1)),
            }
        }
        w.write_record([
            row.as_str(),
            &fields.name,
            &fields.dob,
            fields.sex,
            &fields.id,
            &fields.village,
            &fields.phone,
        ])?;
        t.write_record([row.as_str(), &truth_id, &errors.join(";")])?;
    }
    w.flush()?;
    t.flush()?;
    stats.errors = counts;
    Ok(stats)
}

struct Maker<'a> {
    commune: &'a DemoCommune,
    opts: &'a BenchListOptions,
    /// Village (address detail) of each household.
    households: FastMap<&'a str, &'a str>,
    ids: FastSet<&'a str>,
    names: Names,
    today: Date,
}

#[derive(Clone, Copy)]
struct Planned {
    subject: Option<usize>,
    duplicate: bool,
}

struct Typed {
    name: String,
    dob: String,
    sex: &'static str,
    id: String,
    village: String,
    phone: String,
}

impl<'a> Maker<'a> {
    fn new(commune: &'a DemoCommune, opts: &'a BenchListOptions) -> Maker<'a> {
        Maker {
            commune,
            opts,
            households: commune
                .households
                .iter()
                .map(|h| (h.id.as_str(), h.address.detail.as_deref().unwrap_or("")))
                .collect(),
            ids: commune
                .persons
                .iter()
                .map(|p| p.personal_id.as_str())
                .collect(),
            names: Names::new(),
            today: commune.today,
        }
    }

    /// The village a list maker would write: the household's, else the permanent address.
    fn village_of(&self, p: &'a Person) -> &'a str {
        p.household_id
            .as_deref()
            .and_then(|h| self.households.get(h).copied())
            .or(p.permanent_address.detail.as_deref())
            .unwrap_or("")
    }

    fn plan(&self, rng: &mut Rng) -> Vec<Planned> {
        let n = self.opts.rows.unwrap_or(self.commune.persons.len());
        let dups = (n as f64 * self.opts.duplicates).round() as usize;
        let outside = (n as f64 * self.opts.not_in_register).round() as usize;
        // The living, drawn without repetition (partial Fisher–Yates).
        let mut pool: Vec<usize> = (0..self.commune.persons.len())
            .filter(|&i| {
                self.commune
                    .persons
                    .get(i)
                    .is_some_and(|p| !p.is_deceased())
            })
            .collect();
        let wanted = n.saturating_sub(dups + outside).min(pool.len());
        for k in 0..wanted {
            let j = k + rng.below_usize(pool.len() - k);
            pool.swap(k, j);
        }
        pool.truncate(wanted);
        let mut plan: Vec<Planned> = pool
            .into_iter()
            .map(|i| Planned {
                subject: Some(i),
                duplicate: false,
            })
            .collect();
        // Short of living people (a tiny register): the rest are outsiders.
        let outside = n.saturating_sub(dups + plan.len());
        plan.extend((0..outside).map(|_| Planned {
            subject: None,
            duplicate: false,
        }));
        for i in (1..plan.len()).rev() {
            let j = rng.below_usize(i + 1);
            plan.swap(i, j);
        }
        // Second entries, each somewhere after its first one. Inserting into a Vec one by one
        // is quadratic: collect (position, copy) and merge once.
        let mut copies: Vec<(usize, Planned)> = Vec::with_capacity(dups);
        if !plan.is_empty() {
            for _ in 0..dups * 4 {
                if copies.len() >= dups {
                    break;
                }
                let k = rng.below_usize(plan.len());
                let Some(first) = plan.get(k).filter(|p| p.subject.is_some()) else {
                    continue;
                };
                let at = k + 1 + rng.below_usize(plan.len() - k);
                copies.push((
                    at,
                    Planned {
                        subject: first.subject,
                        duplicate: true,
                    },
                ));
            }
        }
        copies.sort_by_key(|(at, _)| *at);
        let mut out = Vec::with_capacity(plan.len() + copies.len());
        let mut copies = copies.into_iter().peekable();
        for (k, item) in plan.into_iter().enumerate() {
            while let Some((_, c)) = copies.next_if(|(at, _)| *at <= k) {
                out.push(c);
            }
            out.push(item);
        }
        out.extend(copies.map(|(_, c)| c));
        out
    }

    fn typed(
        &self,
        p: &Person,
        village: &str,
        rng: &mut Rng,
        errors: &mut Vec<&'static str>,
    ) -> Typed {
        let sex = p.sex.unwrap_or(Sex::Male);
        let name = type_name(&p.full_name, sex, rng, errors);
        let dob = p
            .date_of_birth
            .map(|d| type_date(d, rng, errors))
            .unwrap_or_default();
        let id = if rng.chance(self.opts.id_missing) {
            errors.push("id_missing");
            String::new()
        } else if let Some(c) = p.old_cmnd.as_ref().filter(|_| rng.chance(0.12)) {
            errors.push("old_cmnd_given");
            c.to_string()
        } else {
            let id = p.personal_id.to_string();
            if rng.chance(0.03) {
                errors.push("id_digit_wrong");
                wrong_digit(&id, rng)
            } else if rng.chance(0.01) {
                match swap_adjacent(&id, rng) {
                    Some(s) => {
                        errors.push("id_digits_transposed");
                        s
                    }
                    None => id,
                }
            } else {
                id
            }
        };
        Typed {
            name,
            dob,
            sex: sex.label_vi(),
            id,
            village: type_village(village, &self.commune.commune_name, rng, errors),
            phone: phone(rng),
        }
    }

    /// Someone who is not in the register: a plausible name, date of birth, village and, for
    /// as many rows as of the others, an ID number that is nobody's in the register.
    fn invented(&self, rng: &mut Rng) -> Typed {
        let sex = if rng.chance(0.5) {
            Sex::Male
        } else {
            Sex::Female
        };
        let age = rng.range(0, 90);
        let jd = self.today.to_julian_day() - age * 365 - age / 4 - rng.range(1, 364);
        let dob = Date::from_julian_day(jd).unwrap_or(self.today);
        let family = self.names.family(rng, Ethnic::Kinh);
        let name = self.names.full(rng, family, sex, dob.year());
        let mut id = String::new();
        if !rng.chance(self.opts.id_missing) {
            for _ in 0..10 {
                let serial = rng.below(1_000_000) as u32;
                if let Ok(candidate) = PersonalId::build(38, sex, dob.year(), serial) {
                    if !self.ids.contains(candidate.as_str()) {
                        id = candidate.to_string();
                        break;
                    }
                }
            }
        }
        let village = rng
            .pick(&self.commune.villages)
            .cloned()
            .unwrap_or_default();
        Typed {
            name,
            dob: PartialDate::Full(dob).to_vi(),
            sex: sex.label_vi(),
            id,
            village,
            phone: phone(rng),
        }
    }
}

/// Types a name with the mistakes listed in the module documentation.
fn type_name(full: &str, sex: Sex, rng: &mut Rng, errors: &mut Vec<&'static str>) -> String {
    let mut words: Vec<String> = full.split(' ').map(str::to_string).collect();
    if let Some(v) = words.first().and_then(|f| family_variant(f)) {
        if rng.chance(0.2) {
            if let Some(f) = words.first_mut() {
                *f = v.to_string();
            }
            errors.push("family_name_variant");
        }
    }
    let filler = |w: &str| w == "Văn" || w == "Thị";
    let has_filler = words.len() >= 3 && words.get(1).is_some_and(|w| filler(w));
    if has_filler && rng.chance(0.06) {
        words.remove(1);
        errors.push("middle_name_dropped");
    } else if !has_filler && words.len() >= 2 && rng.chance(0.02) {
        words.insert(1, if sex == Sex::Male { "Văn" } else { "Thị" }.to_string());
        errors.push("middle_name_added");
    }
    if rng.chance(0.05) {
        let i = rng.below_usize(words.len());
        if let Some(w) = words.get_mut(i) {
            if let Some(t) = letter_typo(w, rng) {
                *w = t;
                errors.push("name_typo");
            }
        }
    }
    let mut name = words.join(" ");
    let mut dropped = false;
    if rng.chance(0.1) {
        let stripped = strip_diacritics(&name);
        if stripped != name {
            name = stripped;
            errors.push("tone_dropped");
            dropped = true;
        }
    }
    if !dropped {
        if rng.chance(0.3) {
            let moved: Vec<String> = name
                .split(' ')
                .map(|w| move_tone(w).unwrap_or_else(|| w.to_string()))
                .collect();
            let moved = moved.join(" ");
            if moved != name {
                name = moved;
                errors.push("tone_misplaced");
            }
        }
        if rng.chance(0.02) {
            let mut ws: Vec<String> = name.split(' ').map(str::to_string).collect();
            let toned: Vec<usize> = (0..ws.len())
                .filter(|&i| {
                    ws.get(i)
                        .is_some_and(|w| strip_diacritics(w) != *w && !w.contains(['Đ', 'đ']))
                })
                .collect();
            if let Some(&i) = rng.pick(&toned) {
                if let Some(w) = ws.get_mut(i) {
                    if let Some(changed) = change_tone(w, rng) {
                        *w = changed;
                        errors.push("tone_wrong");
                    }
                }
            }
            name = ws.join(" ");
        }
        if name.contains('Đ') && rng.chance(0.06) {
            name = name.replace('Đ', "D");
            errors.push("d_typed_as_d");
        }
    }
    if rng.chance(0.03) {
        name = name.to_uppercase();
        errors.push("name_upper_case");
    }
    name
}

/// One letter of a word dropped, doubled, swapped with the next or replaced by a neighbour on
/// the keyboard or in sound. None when the word is too short to change.
fn letter_typo(word: &str, rng: &mut Rng) -> Option<String> {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() < 3 {
        return None;
    }
    // Not the first letter: people rarely get it wrong.
    let i = 1 + rng.below_usize(chars.len() - 1);
    match rng.below(4) {
        0 => {
            chars.remove(i);
        }
        1 => {
            let c = *chars.get(i)?;
            chars.insert(i, c);
        }
        2 if i + 1 < chars.len() => chars.swap(i, i + 1),
        _ => {
            let c = chars.get_mut(i)?;
            *c = match *c {
                'n' => 'm',
                'm' => 'n',
                'h' => 'g',
                'g' => 'h',
                'i' => 'y',
                'y' => 'i',
                't' => 'r',
                'r' => 't',
                'u' => 'i',
                'a' => 's',
                'c' => 'v',
                'o' => 'p',
                'e' => 'r',
                'l' => 'k',
                _ => 'n',
            };
        }
    }
    let out: String = chars.into_iter().collect();
    (out != word).then_some(out)
}

/// Types a date of birth: day and month swapped, a wrong year, the year alone.
fn type_date(d: PartialDate, rng: &mut Rng, errors: &mut Vec<&'static str>) -> String {
    let wrong_year = |y: i32, rng: &mut Rng| {
        if rng.chance(0.7) {
            if rng.chance(0.5) {
                y + 1
            } else {
                y - 1
            }
        } else {
            // The last digit mistyped.
            let last = y.rem_euclid(10);
            y - last + (last + 1 + rng.range(0, 8)) % 10
        }
    };
    match d {
        PartialDate::Full(date) => {
            let (day, month, year) = (date.day(), u8::from(date.month()), date.year());
            if rng.chance(0.04) {
                errors.push("dob_year_only");
                year.to_string()
            } else if day <= 12 && day != month && rng.chance(0.04) {
                errors.push("dob_day_month_swapped");
                format!("{month:02}/{day:02}/{year:04}")
            } else if rng.chance(0.02) {
                errors.push("dob_year_wrong");
                let day = if month == 2 && day == 29 { 28 } else { day };
                format!("{day:02}/{month:02}/{:04}", wrong_year(year, rng))
            } else {
                d.to_vi()
            }
        }
        PartialDate::YearMonth { year, month } if rng.chance(0.02) => {
            errors.push("dob_year_wrong");
            format!("{month:02}/{:04}", wrong_year(year, rng))
        }
        PartialDate::Year(year) if rng.chance(0.02) => {
            errors.push("dob_year_wrong");
            wrong_year(year, rng).to_string()
        }
        _ => d.to_vi(),
    }
}

/// Types the village: as in the register, or written another way.
fn type_village(
    village: &str,
    commune: &str,
    rng: &mut Rng,
    errors: &mut Vec<&'static str>,
) -> String {
    if village.is_empty() || !rng.chance(0.3) {
        return village.to_string();
    }
    let rest = village
        .strip_prefix("Thôn ")
        .or_else(|| village.strip_prefix("Tổ dân phố "));
    let out = match (rng.below(5), rest) {
        (0, Some(rest)) => rest.to_string(),
        (1, _) => village.to_lowercase(),
        (2, _) => strip_diacritics(village),
        (3, Some(rest)) => format!("Xóm {rest}"),
        _ => format!("{village}, {commune}"),
    };
    if out != village {
        errors.push("village_written_differently");
    }
    out
}

fn phone(rng: &mut Rng) -> String {
    if rng.chance(0.3) {
        return String::new();
    }
    let prefix = ["09", "03", "08", "07"][rng.weighted(&[40, 35, 15, 10])];
    format!("{prefix}{:08}", rng.below(100_000_000))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::{generate, DemoOptions};

    fn list(residents: usize, seed: u64) -> (String, String, BenchListStats) {
        let commune = generate(&DemoOptions {
            residents,
            seed: 3,
            ..DemoOptions::default()
        });
        let (mut l, mut t) = (Vec::new(), Vec::new());
        let stats = write_bench_list(
            &commune,
            &BenchListOptions {
                seed,
                ..BenchListOptions::default()
            },
            &mut l,
            &mut t,
        )
        .unwrap();
        (
            String::from_utf8(l).unwrap(),
            String::from_utf8(t).unwrap(),
            stats,
        )
    }

    #[test]
    fn deterministic_and_shaped() {
        let (l1, t1, s) = list(3_000, 5);
        let (l2, t2, _) = list(3_000, 5);
        assert_eq!(l1, l2);
        assert_eq!(t1, t2);
        assert_eq!(s.rows, 3_000);
        assert_eq!(l1.lines().count(), 3_001);
        assert_eq!(t1.lines().count(), 3_001);
        assert!(l1.starts_with("STT,Họ và tên,Ngày sinh,Giới tính,Số CCCD,Thôn,Số điện thoại\n"));
        assert_eq!(s.in_register + s.not_in_register, s.rows);
        assert!((150..=270).contains(&s.not_in_register), "{s:?}");
        assert!((40..=70).contains(&s.duplicates), "{s:?}");
        let share = s.with_id as f64 / s.rows as f64;
        assert!((0.4..0.6).contains(&share), "{share}");
        for kind in [
            "id_missing",
            "old_cmnd_given",
            "id_digit_wrong",
            "family_name_variant",
            "middle_name_dropped",
            "name_typo",
            "tone_dropped",
            "dob_day_month_swapped",
            "dob_year_wrong",
            "dob_year_only",
            "village_written_differently",
        ] {
            assert!(s.errors.iter().any(|(k, n)| *k == kind && *n > 0), "{kind}");
        }
        let (l3, _, _) = list(3_000, 6);
        assert_ne!(l1, l3);
    }

    #[test]
    fn truth_points_into_the_register() {
        let commune = generate(&DemoOptions {
            residents: 2_000,
            seed: 4,
            ..DemoOptions::default()
        });
        let ids: std::collections::HashSet<String> = commune
            .persons
            .iter()
            .map(|p| p.personal_id.to_string())
            .collect();
        let (mut l, mut t) = (Vec::new(), Vec::new());
        write_bench_list(&commune, &BenchListOptions::default(), &mut l, &mut t).unwrap();
        let mut r = csv::Reader::from_reader(t.as_slice());
        let mut seen = std::collections::HashSet::new();
        let mut dups = 0;
        for (k, rec) in r.records().enumerate() {
            let rec = rec.unwrap();
            assert_eq!(rec[0], (k + 1).to_string());
            if rec[1].is_empty() {
                assert!(rec[2].contains("not_in_register"));
            } else {
                assert!(ids.contains(&rec[1]));
                if !seen.insert(rec[1].to_string()) {
                    dups += 1;
                    assert!(rec[2].contains("duplicate"));
                }
            }
        }
        assert!(dups > 0);
    }

    #[test]
    fn typos_change_one_letter() {
        let mut rng = Rng::new(1);
        for _ in 0..500 {
            let t = letter_typo("Nguyễn", &mut rng).unwrap();
            assert_ne!(t, "Nguyễn");
            assert!(t.starts_with('N'));
            let diff = t.chars().count() as i64 - "Nguyễn".chars().count() as i64;
            assert!(diff.abs() <= 1);
        }
        assert_eq!(letter_typo("An", &mut rng), None);
    }
}
