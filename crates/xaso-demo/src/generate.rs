//! The synthetic commune: villages, households built around families of realistic shape, and the
//! residence history of every person.
//!
//! Generation runs in two passes. The first draws "drafts" (people with indices instead of
//! personal IDs, so relations can point at people not yet numbered); the second numbers everyone
//! and turns drafts into register records and residence events.

use time::Date;
use xaso_domain::admin_units::{units, LegacyCommune};
use xaso_domain::register::{
    Address, Household, Person, PersonRef, ResidenceEvent, ResidenceEventKind,
};
use xaso_domain::{Cmnd, PartialDate, PersonalId, Sex};

use crate::names::{
    Ethnic, Names, SAINT_NAMES_FEMALE, SAINT_NAMES_MALE, VILLAGE_FIRST, VILLAGE_SECOND,
};
use crate::rng::{mix, FastMap, Permutation, Rng, Weighted};
use crate::{DemoCommune, DemoOptions};

/// Largest household generated.
const MAX_HOUSEHOLD: u8 = 8;
/// Residents per village (thôn) in the lowlands of Thanh Hóa: several hundred to a thousand.
const RESIDENTS_PER_VILLAGE: usize = 900;
/// Date of the 2025 reform: births registered from then on name the new commune.
const REFORM_DAY: (i32, u8, u8) = (2025, 7, 1);

/// Provinces people move in from (pre-2025 codes) with weights; `0` stands for the commune's
/// own province (moves between its communes are the most common).
const ORIGINS: &[(u16, u32)] = &[
    (0, 50),
    (40, 12),
    (37, 8),
    (36, 5),
    (1, 5),
    (34, 4),
    (42, 4),
    (17, 4),
    (79, 3),
    (75, 2),
    (66, 2),
    (31, 1),
];

/// Where people go to work or live (new province codes): the industrial belts and the cities.
const DESTINATIONS: &[(&str, u32)] = &[
    ("79", 30),
    ("01", 20),
    ("24", 12),
    ("75", 10),
    ("80", 8),
    ("31", 6),
    ("38", 10),
    ("33", 4),
];

/// First two digits of the 9-digit CMND by the pre-2025 province that issued it.
const CMND_PREFIX: &[(u16, u16)] = &[
    (1, 1),
    (79, 2),
    (31, 3),
    (11, 4),
    (12, 4),
    (14, 5),
    (10, 6),
    (15, 6),
    (2, 7),
    (8, 7),
    (20, 8),
    (4, 8),
    (19, 9),
    (6, 9),
    (22, 10),
    (17, 11),
    (24, 12),
    (27, 12),
    (25, 13),
    (26, 13),
    (30, 14),
    (33, 14),
    (34, 15),
    (35, 16),
    (36, 16),
    (37, 16),
    (38, 17),
    (40, 18),
    (42, 18),
    (44, 19),
    (45, 19),
    (46, 19),
    (48, 20),
    (49, 20),
    (51, 21),
    (52, 21),
    (54, 22),
    (56, 22),
    (62, 23),
    (64, 23),
    (66, 24),
    (67, 24),
    (68, 25),
    (58, 26),
    (60, 26),
    (75, 27),
    (77, 27),
    (74, 28),
    (70, 28),
    (72, 29),
    (80, 30),
    (82, 31),
    (83, 32),
    (86, 33),
    (84, 33),
    (87, 34),
    (89, 35),
    (92, 36),
    (93, 36),
    (94, 36),
    (91, 37),
    (96, 38),
    (95, 38),
];

pub(crate) const HEAD: &str = "Chủ hộ";

/// A relative as a draft knows it.
#[derive(Debug, Clone)]
enum Kin {
    Unknown,
    Member(u32),
    Named(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Resident,
    MovedAway,
    TempResident,
}

/// Where someone went (moved away) or works (temporary absence), or where a temporary
/// resident's permanent home is.
#[derive(Debug, Clone)]
struct Away {
    day: i32,
    commune: usize,
    detail: String,
    ended: Option<i32>,
}

#[derive(Debug, Clone)]
struct Draft {
    sex: Sex,
    /// Julian day of birth.
    birth: i32,
    /// 0 full date known, 1 month and year, 2 year only.
    dob_precision: u8,
    name: String,
    family: &'static str,
    other_name: Option<&'static str>,
    birthplace_code: u16,
    birth_place: u32,
    home_town: u32,
    ethnic: Ethnic,
    religion: Option<&'static str>,
    blood: Option<&'static str>,
    household: Option<u32>,
    relation: Option<&'static str>,
    village: u32,
    father: Kin,
    mother: Kin,
    spouse: Kin,
    death: Option<i32>,
    status: Status,
    /// Moved in: day and the place they came from.
    arrived: Option<(i32, u32)>,
    away: Option<Away>,
    cmnd: bool,
}

/// A couple (or a widowed parent) whose grown children may head households of their own.
#[derive(Debug, Clone, Copy)]
struct Parents {
    father: Option<u32>,
    mother: Option<u32>,
    /// The family name their children carry.
    family: &'static str,
    /// Birth day of the older parent.
    birth: i32,
    ethnic: Ethnic,
}

struct Village {
    name: String,
    /// Index of the old commune it belonged to before the 2025 merger.
    old: usize,
}

struct Dest {
    code: String,
    /// "Phường X, Thành phố Hồ Chí Minh": written into addresses there, because the register
    /// file has a commune-code column for the permanent address only.
    name: String,
}

/// Where a person was born, as the draft records it.
#[derive(Clone, Copy)]
struct Origin {
    code: u16,
    place: u32,
}

struct Gen {
    rng: Rng,
    names: Names,
    seed: u64,
    today: i32,
    reform: i32,
    commune_code: String,
    local_code: u16,
    villages: Vec<Village>,
    village_table: Weighted<u32>,
    /// Birth-registration place of each old commune, and of the new commune.
    old_places: Vec<u32>,
    new_place: u32,
    places: Vec<String>,
    /// The pre-2025 commune code of a place, when it is one.
    place_legacy: Vec<Option<&'static str>>,
    place_index: FastMap<String, u32>,
    /// Legacy communes people come from, by pre-2025 province code.
    origins: Vec<(u16, Vec<&'static LegacyCommune>)>,
    origin_table: Weighted<usize>,
    dests: Vec<Dest>,
    dest_table: Weighted<usize>,
    drafts: Vec<Draft>,
    /// Household: village and head.
    households: Vec<(u32, u32)>,
    household_sizes: Vec<u8>,
    pools: Vec<Vec<Parents>>,
    target: usize,
}

pub(crate) fn generate(opts: &DemoOptions) -> DemoCommune {
    let mut g = Gen::new(opts);
    while g.drafts.len() < g.target {
        g.household();
    }
    g.finish(opts)
}

fn day_of(year: i32, month: u8, day: u8) -> i32 {
    time::Month::try_from(month)
        .ok()
        .and_then(|m| Date::from_calendar_date(year, m, day).ok())
        .map(Date::to_julian_day)
        .unwrap_or(2_451_545)
}

fn date_of(jd: i32) -> Date {
    Date::from_julian_day(jd).unwrap_or(Date::MIN)
}

fn year_of(jd: i32) -> i32 {
    date_of(jd).year()
}

impl Gen {
    fn new(opts: &DemoOptions) -> Gen {
        let u = units();
        let mut rng = Rng::stream(opts.seed, "commune");
        let commune = u.commune(&opts.commune_code);
        let commune_name = commune
            .map(|c| c.name.clone())
            .unwrap_or_else(|| format!("Xã {}", opts.commune_code));
        let province_name = commune
            .and_then(|c| u.province(&c.province_code))
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let predecessors = u.predecessors(&opts.commune_code);
        // The birthplace code of local births is that of the old province ("0" + code).
        let local_code = predecessors
            .first()
            .and_then(|(c, _)| c.province_code.parse::<u16>().ok())
            .or_else(|| commune.and_then(|c| c.province_code.parse::<u16>().ok()))
            .filter(|&c| xaso_domain::personal_id::is_known_birthplace_code(c))
            .unwrap_or(38);

        let mut g = Gen {
            rng: Rng::new(0),
            names: Names::new(),
            seed: opts.seed,
            today: opts.today.to_julian_day(),
            reform: day_of(REFORM_DAY.0, REFORM_DAY.1, REFORM_DAY.2),
            commune_code: opts.commune_code.clone(),
            local_code,
            villages: Vec::new(),
            village_table: Weighted::new(&[]),
            old_places: Vec::new(),
            new_place: 0,
            places: Vec::new(),
            place_legacy: Vec::new(),
            place_index: FastMap::default(),
            origins: Vec::new(),
            origin_table: Weighted::new(&[]),
            dests: Vec::new(),
            dest_table: Weighted::new(&[]),
            drafts: Vec::with_capacity(opts.residents),
            households: Vec::with_capacity(opts.residents / 3 + 1),
            household_sizes: Vec::with_capacity(opts.residents / 3 + 1),
            pools: Vec::new(),
            target: opts.residents,
        };
        g.new_place = g.place(&join_place(&[&commune_name, &province_name]), None);

        // Old communes: those the new commune absorbed wholly or in part.
        let mut old_names = Vec::new();
        for (c, _) in &predecessors {
            let p = g.place(
                &join_place(&[&c.name, &c.district_name, &c.province_name]),
                Some(c.code.as_str()),
            );
            g.old_places.push(p);
            old_names.push(c.name.clone());
        }
        if g.old_places.is_empty() {
            g.old_places.push(g.new_place);
            old_names.push(commune_name.clone());
        }

        // Villages: numbered ("Thôn 1") in the first old commune, named in the others, as the
        // merged communes keep their villages' old names.
        let n_villages = (opts.residents / RESIDENTS_PER_VILLAGE).max(old_names.len() * 2);
        let mut pool: Vec<String> = VILLAGE_FIRST
            .iter()
            .flat_map(|a| {
                VILLAGE_SECOND
                    .iter()
                    .filter(move |b| *b != a)
                    .map(move |b| format!("{a} {b}"))
            })
            .collect();
        shuffle(&mut rng, &mut pool);
        let mut next_named = 0usize;
        let mut weights = Vec::new();
        let ward = commune_name.starts_with("Phường");
        for i in 0..n_villages {
            let old = i * old_names.len() / n_villages;
            let first_of_old = old * n_villages / old_names.len();
            let name = if ward {
                // Wards are divided into numbered residential groups.
                format!("Tổ dân phố {}", i + 1)
            } else if old == 0 && old_names.len() > 1 {
                format!("Thôn {}", i - first_of_old + 1)
            } else if let Some(n) = pool.get(next_named % pool.len().max(1)) {
                // A large commune runs out of names: "Thôn Yên Lạc 2".
                let round = next_named / pool.len().max(1);
                next_named += 1;
                if round == 0 {
                    format!("Thôn {n}")
                } else {
                    format!("Thôn {n} {}", round + 1)
                }
            } else {
                format!("Thôn {}", i + 1)
            };
            weights.push((i as u32, rng.range(60, 140) as u32));
            g.villages.push(Village { name, old });
        }
        g.village_table = Weighted::new(&weights);
        g.pools = vec![Vec::new(); g.villages.len()];

        // Where in-movers come from: legacy communes of a few provinces.
        let own: Vec<&str> = predecessors.iter().map(|(c, _)| c.code.as_str()).collect();
        let mut origin_weights = Vec::new();
        for &(code, w) in ORIGINS {
            let code = if code == 0 { local_code } else { code };
            let key = format!("{code:02}");
            let list: Vec<&LegacyCommune> = u
                .legacy_communes()
                .iter()
                .filter(|c| c.province_code == key && !own.contains(&c.code.as_str()))
                .collect();
            if !list.is_empty() {
                origin_weights.push((g.origins.len(), w));
                g.origins.push((code, list));
            }
        }
        g.origin_table = Weighted::new(&origin_weights);

        let mut dest_weights = Vec::new();
        for &(prov, w) in DESTINATIONS {
            let list: Vec<_> = u
                .communes_of_province(prov)
                .into_iter()
                .filter(|c| c.code != opts.commune_code)
                .collect();
            // A handful of communes per province: migrants cluster.
            for _ in 0..6 {
                if let Some(c) = rng.pick(&list) {
                    dest_weights.push((g.dests.len(), w));
                    g.dests.push(Dest {
                        code: c.code.clone(),
                        name: commune_with_province(&c.code).unwrap_or_else(|| c.name.clone()),
                    });
                }
            }
        }
        g.dest_table = Weighted::new(&dest_weights);
        g.rng = Rng::stream(opts.seed, "people");
        g
    }

    fn place(&mut self, s: &str, legacy_code: Option<&'static str>) -> u32 {
        if let Some(&i) = self.place_index.get(s) {
            return i;
        }
        let i = self.places.len() as u32;
        self.places.push(s.to_string());
        self.place_legacy.push(legacy_code);
        self.place_index.insert(s.to_string(), i);
        i
    }

    fn age(&self, birth: i32) -> i32 {
        (self.today - birth) * 4 / 1461
    }

    /// A birth day for someone `age` years old today.
    fn birth_at_age(&mut self, age: i32) -> i32 {
        let age = age.max(0);
        self.today - age * 365 - age / 4 - self.rng.range(1, 365)
    }

    /// A birth day about `years` years after `start`; None if that is still in the future.
    fn birth_after(&mut self, start: i32, years: i32) -> Option<i32> {
        let day = start + years * 365 + years / 4 + self.rng.range(0, 364);
        (day < self.today).then_some(day)
    }

    fn local_origin(&self, village: u32, birth: i32) -> Origin {
        let place = if birth >= self.reform {
            self.new_place
        } else {
            self.villages
                .get(village as usize)
                .and_then(|v| self.old_places.get(v.old))
                .copied()
                .unwrap_or(self.new_place)
        };
        Origin {
            code: self.local_code,
            place,
        }
    }

    fn foreign_origin(&mut self) -> Origin {
        let Some(i) = self.origin_table.sample(&mut self.rng) else {
            return Origin {
                code: self.local_code,
                place: self.new_place,
            };
        };
        let (code, picked) = match self.origins.get(i) {
            Some((code, list)) => (*code, self.rng.pick(list).copied()),
            None => (self.local_code, None),
        };
        let place = match picked {
            Some(c) => {
                let s = join_place(&[&c.name, &c.district_name, &c.province_name]);
                self.place(&s, Some(c.code.as_str()))
            }
            None => self.new_place,
        };
        Origin { code, place }
    }

    fn new_draft(
        &mut self,
        sex: Sex,
        birth: i32,
        family: &'static str,
        ethnic: Ethnic,
        village: u32,
        origin: Origin,
    ) -> Draft {
        let year = year_of(birth);
        let name = self.names.full(&mut self.rng, family, sex, year);
        // Old people's births were often never dated precisely.
        let dob_precision = if year < 1945 {
            self.rng.weighted(&[30, 10, 60]) as u8
        } else if year < 1955 && self.rng.chance(0.08) {
            2
        } else {
            0
        };
        let blood = if self.rng.chance(0.25) {
            Some(["O", "B", "A", "AB"][self.rng.weighted(&[45, 30, 20, 5])])
        } else {
            None
        };
        Draft {
            sex,
            birth,
            dob_precision,
            name,
            family,
            other_name: None,
            birthplace_code: origin.code,
            birth_place: origin.place,
            home_town: origin.place,
            ethnic,
            religion: None,
            blood,
            household: None,
            relation: None,
            village,
            father: Kin::Unknown,
            mother: Kin::Unknown,
            spouse: Kin::Unknown,
            death: None,
            status: Status::Resident,
            arrived: None,
            away: None,
            cmnd: false,
        }
    }

    fn push(&mut self, d: Draft) -> u32 {
        let i = self.drafts.len() as u32;
        self.drafts.push(d);
        i
    }

    fn draft(&self, i: u32) -> Option<&Draft> {
        self.drafts.get(i as usize)
    }

    fn draft_mut(&mut self, i: u32) -> Option<&mut Draft> {
        self.drafts.get_mut(i as usize)
    }

    /// A name for a relative who is not in the register (a parent who lives elsewhere or died
    /// long ago).
    fn outside_name(
        &mut self,
        family: &'static str,
        sex: Sex,
        birth_year: i32,
        ethnic: Ethnic,
    ) -> String {
        let family = if family.is_empty() {
            self.names.family(&mut self.rng, ethnic)
        } else {
            family
        };
        self.names.full(&mut self.rng, family, sex, birth_year)
    }

    /// Parents' names for someone whose parents are not in the register; old people's
    /// records often lack them.
    fn outside_parents(&mut self, i: u32) {
        let Some(d) = self.draft(i) else { return };
        let (family, ethnic, year) = (d.family, d.ethnic, year_of(d.birth));
        if year < 1950 && self.rng.chance(0.5) {
            return;
        }
        let (father_gap, mother_gap) = (self.rng.range(22, 38), self.rng.range(20, 34));
        let father = self.outside_name(family, Sex::Male, year - father_gap, ethnic);
        let mother = self.outside_name("", Sex::Female, year - mother_gap, ethnic);
        if let Some(d) = self.draft_mut(i) {
            d.father = Kin::Named(father);
            d.mother = Kin::Named(mother);
        }
    }

    fn marry(&mut self, a: u32, b: u32) {
        if let Some(d) = self.draft_mut(a) {
            d.spouse = Kin::Member(b);
        }
        if let Some(d) = self.draft_mut(b) {
            d.spouse = Kin::Member(a);
        }
    }

    /// A wife (or husband) for `partner`: mostly from the commune, otherwise married in from
    /// another commune or province.
    fn spouse_for(&mut self, partner: u32, village: u32, age_gap: i32) -> u32 {
        let (p_sex, p_birth, p_ethnic) = match self.draft(partner) {
            Some(d) => (d.sex, d.birth, d.ethnic),
            None => (Sex::Male, self.today, Ethnic::Kinh),
        };
        let sex = if p_sex == Sex::Male {
            Sex::Female
        } else {
            Sex::Male
        };
        let birth = p_birth + age_gap * 365 + self.rng.range(-180, 180);
        let birth = birth.min(self.today - 18 * 365);
        let ethnic = if self.rng.chance(0.9) {
            p_ethnic
        } else {
            Ethnic::Kinh
        };
        let family = self.names.family(&mut self.rng, ethnic);
        let from_outside = self.rng.chance(0.3);
        let origin = if from_outside {
            self.foreign_origin()
        } else {
            self.local_origin(village, birth)
        };
        let mut d = self.new_draft(sex, birth, family, ethnic, village, origin);
        if from_outside {
            // Moved in at marriage, in her early twenties.
            let wed = (birth + self.rng.range(19, 27) * 365).min(self.today - 30);
            d.arrived = Some((wed, origin.place));
        }
        let i = self.push(d);
        self.outside_parents(i);
        self.marry(partner, i);
        i
    }

    fn set_member(&mut self, i: u32, household: u32, relation: &'static str) {
        if let Some(d) = self.draft_mut(i) {
            d.household = Some(household);
            d.relation = Some(relation);
        }
        if let Some(n) = self.household_sizes.get_mut(household as usize) {
            *n = n.saturating_add(1);
        }
    }

    fn is_full(&self, household: u32) -> bool {
        self.household_sizes
            .get(household as usize)
            .is_some_and(|&n| n >= MAX_HOUSEHOLD)
    }

    fn set_parents(&mut self, i: u32, father: Kin, mother: Kin) {
        if let Some(d) = self.draft_mut(i) {
            d.father = father;
            d.mother = mother;
        }
    }

    /// Children of a couple, oldest first. Returns their indices; grown children may have left
    /// (moved away, or living elsewhere and not in this register).
    #[allow(clippy::too_many_arguments)]
    fn children(
        &mut self,
        household: u32,
        village: u32,
        father: Kin,
        mother: Option<u32>,
        mother_birth: i32,
        family: &'static str,
        ethnic: Ethnic,
        count: usize,
        relation: &'static str,
    ) -> Vec<u32> {
        let mut out = Vec::new();
        let mut at = mother_birth;
        let mut years = self.rng.weighted(&[0, 0, 5, 15, 20, 20, 15, 10, 8, 5, 2]) as i32 + 18;
        let mut born = 0;
        while born < count {
            let Some(birth) = self.birth_after(at, years) else {
                break;
            };
            // About 1 birth in 80 is of twins: same parents, same day.
            let twins = self.rng.below(80) == 0;
            for _ in 0..if twins { 2 } else { 1 } {
                let sex = if self.rng.chance(0.53) {
                    Sex::Male
                } else {
                    Sex::Female
                };
                let origin = self.local_origin(village, birth);
                let mut d = self.new_draft(sex, birth, family, ethnic, village, origin);
                let age = self.age(birth);
                // Grown children leave: to study, to work, to marry.
                let stays = match age {
                    ..=17 => 1.0,
                    18..=22 => 0.85,
                    23..=29 => 0.55,
                    _ => 0.25,
                };
                // A full house: the child lives elsewhere and is not in this register.
                if self.is_full(household) {
                    born += 1;
                    continue;
                }
                if !self.rng.chance(stays) {
                    if self.rng.chance(0.35) {
                        let day = birth + self.rng.range(18, age.max(18)) * 365;
                        let day = day.min(self.today - 10);
                        d.status = Status::MovedAway;
                        d.away = Some(self.away(day));
                    } else {
                        born += 1;
                        continue;
                    }
                }
                let i = self.push(d);
                self.set_parents(i, father.clone(), mother.map_or(Kin::Unknown, Kin::Member));
                if self.draft(i).is_some_and(|d| d.status == Status::Resident) {
                    self.set_member(i, household, relation);
                }
                out.push(i);
                born += 1;
            }
            at = birth;
            years = self.rng.weighted(&[0, 20, 30, 25, 12, 8, 5]) as i32;
        }
        out
    }

    fn away(&mut self, day: i32) -> Away {
        let commune = self.dest_table.sample(&mut self.rng).unwrap_or(0);
        let detail = if self.rng.chance(0.5) {
            format!(
                "Số {}, ngõ {}",
                self.rng.range(1, 250),
                self.rng.range(1, 120)
            )
        } else {
            format!("Khu trọ công nhân, tổ {}", self.rng.range(1, 30))
        };
        Away {
            day,
            commune,
            detail,
            ended: None,
        }
    }

    fn kids_for(&mut self, mother_age: i32) -> usize {
        match mother_age {
            ..=29 => self.rng.weighted(&[10, 38, 42, 10]),
            30..=45 => self.rng.weighted(&[3, 14, 45, 30, 8]),
            _ => self.rng.weighted(&[4, 16, 40, 28, 12]),
        }
    }

    fn new_household(&mut self, village: u32, head: u32) -> u32 {
        let h = self.households.len() as u32;
        self.households.push((village, head));
        self.household_sizes.push(0);
        self.set_member(head, h, HEAD);
        h
    }

    /// One household, of a kind drawn with rural frequencies.
    fn household(&mut self) {
        // About one person in a hundred is a temporary resident from elsewhere.
        if self.rng.below(1000) < 28 {
            self.temp_resident();
            return;
        }
        let village = self.village_table.sample(&mut self.rng).unwrap_or(0);
        let ethnic = match self.rng.below(100) {
            0..=92 => Ethnic::Kinh,
            93..=97 => Ethnic::Muong,
            _ => Ethnic::Thai,
        };
        let religion = match self.rng.below(100) {
            0..=5 => Some("Công giáo"),
            6..=9 => Some("Phật giáo"),
            _ => None,
        };
        // Some families moved in from elsewhere.
        let moved_in = self.rng.chance(0.05).then(|| self.foreign_origin());
        let first = self.drafts.len();
        match self.rng.weighted(&[55, 30, 90, 40, 470, 55, 160, 100]) {
            0 => self.single_elderly(village, ethnic, moved_in),
            1 => self.single_adult(village, ethnic, moved_in),
            2 => self.couple(village, ethnic, moved_in, 55, 88),
            3 => self.couple(village, ethnic, moved_in, 22, 32),
            4 => self.nuclear(village, ethnic, moved_in),
            5 => self.single_parent(village, ethnic, moved_in),
            6 => self.stem(village, ethnic),
            _ => self.with_old_parents(village, ethnic, moved_in),
        }
        if let Some(origin) = moved_in {
            self.moved_in_together(first, origin);
        }
        let catholic = religion == Some("Công giáo");
        for i in first..self.drafts.len() {
            let saint = catholic && self.rng.chance(0.6);
            let pick = self.rng.below(16) as usize;
            if let Some(d) = self.drafts.get_mut(i) {
                d.religion = religion;
                if saint {
                    let list = if d.sex == Sex::Male {
                        SAINT_NAMES_MALE
                    } else {
                        SAINT_NAMES_FEMALE
                    };
                    d.other_name = list.get(pick % list.len()).copied();
                }
            }
        }
        self.life_events(first);
    }

    fn head(
        &mut self,
        village: u32,
        ethnic: Ethnic,
        sex: Sex,
        age: i32,
        moved_in: Option<Origin>,
        family: Option<&'static str>,
    ) -> u32 {
        let birth = self.birth_at_age(age);
        let family = family.unwrap_or_else(|| self.names.family(&mut self.rng, ethnic));
        let origin = moved_in.unwrap_or_else(|| self.local_origin(village, birth));
        let mut d = self.new_draft(sex, birth, family, ethnic, village, origin);
        if let Some(o) = moved_in {
            let earliest = birth + 20 * 365;
            let day = self
                .rng
                .range(earliest.min(self.today - 60), self.today - 30);
            d.arrived = Some((day, o.place));
        }
        self.push(d)
    }

    /// A family that moved in: those born before the move came with the head, from the same
    /// place when they were not born elsewhere already.
    fn moved_in_together(&mut self, first: usize, origin: Origin) {
        let Some(day) = self
            .drafts
            .get(first)
            .and_then(|d| d.arrived)
            .map(|(day, _)| day)
        else {
            return;
        };
        let local: Vec<u32> = self
            .old_places
            .iter()
            .copied()
            .chain([self.new_place])
            .collect();
        let today = self.today;
        for d in self.drafts.iter_mut().skip(first + 1) {
            if d.birth >= day {
                continue;
            }
            if local.contains(&d.birth_place) {
                d.birthplace_code = origin.code;
                d.birth_place = origin.place;
                d.home_town = origin.place;
            }
            d.arrived = Some((day, origin.place));
            if let Some(a) = d.away.as_mut() {
                // Nobody leaves before arriving.
                a.day = a.day.max(day + 30).min(today - 1);
            }
        }
    }

    fn single_elderly(&mut self, village: u32, ethnic: Ethnic, moved_in: Option<Origin>) {
        let sex = if self.rng.chance(0.75) {
            Sex::Female
        } else {
            Sex::Male
        };
        let age = 65 + self.rng.weighted(&[28, 27, 22, 13, 7, 3]) as i32 * 5 + self.rng.range(0, 4);
        let head = self.head(village, ethnic, sex, age, moved_in, None);
        self.new_household(village, head);
        self.outside_parents(head);
        // A widow's late husband gives her sons their family name.
        let (family, birth) = match self.draft(head) {
            Some(d) => (d.family, d.birth),
            None => return,
        };
        let entry = if sex == Sex::Female {
            Parents {
                father: None,
                mother: Some(head),
                family: self.names.family(&mut self.rng, ethnic),
                birth,
                ethnic,
            }
        } else {
            Parents {
                father: Some(head),
                mother: None,
                family,
                birth,
                ethnic,
            }
        };
        if let Some(pool) = self.pools.get_mut(village as usize) {
            pool.push(entry);
        }
    }

    fn single_adult(&mut self, village: u32, ethnic: Ethnic, moved_in: Option<Origin>) {
        let sex = if self.rng.chance(0.6) {
            Sex::Male
        } else {
            Sex::Female
        };
        let age = self.rng.range(22, 60);
        let head = self.head(village, ethnic, sex, age, moved_in, None);
        self.new_household(village, head);
        self.link_or_name_parents(head, village);
    }

    /// Gives a household head parents: an older couple of the same village when one fits (the
    /// register then links them by ID), names only otherwise.
    fn link_or_name_parents(&mut self, i: u32, village: u32) {
        let Some(d) = self.draft(i) else { return };
        let (birth, arrived) = (d.birth, d.arrived.is_some());
        if !arrived && self.rng.chance(0.5) {
            let pool_len = self.pools.get(village as usize).map_or(0, Vec::len);
            for _ in 0..6.min(pool_len) {
                let k = self.rng.below_usize(pool_len);
                let Some(p) = self
                    .pools
                    .get(village as usize)
                    .and_then(|p| p.get(k))
                    .copied()
                else {
                    break;
                };
                let gap = (birth - p.birth) / 365;
                if (20..=42).contains(&gap)
                    && p.ethnic == self.draft(i).map_or(p.ethnic, |d| d.ethnic)
                {
                    let family = p.family;
                    let year = year_of(birth);
                    let father = match p.father {
                        Some(f) => Kin::Member(f),
                        None => Kin::Named(self.outside_name(
                            family,
                            Sex::Male,
                            year - gap - 2,
                            p.ethnic,
                        )),
                    };
                    let mother = match p.mother {
                        Some(m) => Kin::Member(m),
                        None => {
                            Kin::Named(self.outside_name("", Sex::Female, year - gap, p.ethnic))
                        }
                    };
                    // Children carry their father's family name; rename to match.
                    if let Some(d) = self.draft_mut(i) {
                        let rest = d.name.split_once(' ').map_or("", |(_, r)| r).to_string();
                        d.family = family;
                        d.name = format!("{family} {rest}");
                    }
                    self.set_parents(i, father, mother);
                    return;
                }
            }
        }
        self.outside_parents(i);
    }

    fn couple(&mut self, village: u32, ethnic: Ethnic, moved_in: Option<Origin>, lo: i32, hi: i32) {
        let age = self.rng.range(lo, hi);
        let head = self.head(village, ethnic, Sex::Male, age, moved_in, None);
        let h = self.new_household(village, head);
        self.link_or_name_parents(head, village);
        let gap = self.rng.weighted(&[2, 5, 20, 25, 20, 12, 8, 5, 3]) as i32 - 1;
        let wife = self.spouse_for(head, village, gap);
        self.set_member(wife, h, "Vợ");
        if lo >= 50 {
            let (family, birth) = self
                .draft(head)
                .map_or(("Nguyễn", 0), |d| (d.family, d.birth));
            if let Some(pool) = self.pools.get_mut(village as usize) {
                pool.push(Parents {
                    father: Some(head),
                    mother: Some(wife),
                    family,
                    birth,
                    ethnic,
                });
            }
        }
    }

    fn nuclear(&mut self, village: u32, ethnic: Ethnic, moved_in: Option<Origin>) {
        let age = 25
            + self.rng.weighted(&[14, 16, 16, 15, 14, 12, 9, 5]) as i32 * 5
            + self.rng.range(0, 4);
        // One household in twenty is headed by the wife.
        let wife_heads = self.rng.chance(0.05);
        let husband = self.head(village, ethnic, Sex::Male, age, moved_in, None);
        let gap = self.rng.weighted(&[2, 5, 20, 25, 20, 12, 8, 5, 3]) as i32 - 1;
        let (h, wife) = if wife_heads {
            let w = self.spouse_for(husband, village, gap);
            let h = self.new_household(village, w);
            self.set_member(husband, h, "Chồng");
            (h, w)
        } else {
            let h = self.new_household(village, husband);
            let w = self.spouse_for(husband, village, gap);
            self.set_member(w, h, "Vợ");
            (h, w)
        };
        self.link_or_name_parents(husband, village);
        let (family, mother_birth) = (
            self.draft(husband).map_or("Nguyễn", |d| d.family),
            self.draft(wife).map_or(0, |d| d.birth),
        );
        let kids = self.kids_for(self.age(mother_birth));
        self.children(
            h,
            village,
            Kin::Member(husband),
            Some(wife),
            mother_birth,
            family,
            ethnic,
            kids,
            "Con",
        );
    }

    fn single_parent(&mut self, village: u32, ethnic: Ethnic, moved_in: Option<Origin>) {
        let age = self.rng.range(28, 60);
        let head = self.head(village, ethnic, Sex::Female, age, moved_in, None);
        let h = self.new_household(village, head);
        self.link_or_name_parents(head, village);
        let Some(birth) = self.draft(head).map(|d| d.birth) else {
            return;
        };
        let father_family = self.names.family(&mut self.rng, ethnic);
        let father_name = self.outside_name(father_family, Sex::Male, year_of(birth) - 2, ethnic);
        let kids = 1 + self.rng.weighted(&[50, 35, 15]);
        self.children(
            h,
            village,
            Kin::Named(father_name),
            Some(head),
            birth,
            father_family,
            ethnic,
            kids,
            "Con",
        );
    }

    /// Three generations under an old head: a married son (or daughter) and the grandchildren.
    fn stem(&mut self, village: u32, ethnic: Ethnic) {
        let age = self.rng.range(55, 85);
        let widow_head = self.rng.chance(0.25);
        let head_sex = if widow_head { Sex::Female } else { Sex::Male };
        let head = self.head(village, ethnic, head_sex, age, None, None);
        let h = self.new_household(village, head);
        self.outside_parents(head);
        // The children's father: the head, or a widow's late husband known by name only.
        let (father_kin, family, mother) = if widow_head {
            let late = self.names.family(&mut self.rng, ethnic);
            let year = year_of(self.today) - age - 3;
            let name = self.outside_name(late, Sex::Male, year, ethnic);
            (Kin::Named(name), late, head)
        } else {
            let family = self.draft(head).map_or("Nguyễn", |d| d.family);
            let gap = self.rng.weighted(&[5, 20, 25, 20, 12, 8]) as i32;
            let wife = self.spouse_for(head, village, gap);
            self.set_member(wife, h, "Vợ");
            (Kin::Member(head), family, wife)
        };
        let mother_birth = self.draft(mother).map_or(0, |d| d.birth);
        // The married child: born when the mother was 20–32, at least 22 years old now.
        let child_age = (self.age(mother_birth) - self.rng.range(20, 32)).max(22);
        let child_birth = self.birth_at_age(child_age);
        let daughter = self.rng.chance(0.15);
        let sex = if daughter { Sex::Female } else { Sex::Male };
        let origin = self.local_origin(village, child_birth);
        let child = self.new_draft(sex, child_birth, family, ethnic, village, origin);
        let child = self.push(child);
        self.set_parents(child, father_kin.clone(), Kin::Member(mother));
        self.set_member(child, h, "Con");
        let gap = if daughter {
            -self.rng.range(0, 6)
        } else {
            self.rng.range(0, 6)
        };
        let in_law = self.spouse_for(child, village, gap);
        self.set_member(in_law, h, if daughter { "Con rể" } else { "Con dâu" });
        let (gc_father, gc_mother) = if daughter {
            (in_law, child)
        } else {
            (child, in_law)
        };
        let gc_family = self.draft(gc_father).map_or(family, |d| d.family);
        let gc_mother_birth = self.draft(gc_mother).map_or(0, |d| d.birth);
        let kids = self.kids_for(self.age(gc_mother_birth));
        self.children(
            h,
            village,
            Kin::Member(gc_father),
            Some(gc_mother),
            gc_mother_birth,
            gc_family,
            ethnic,
            kids,
            "Cháu",
        );
        // Sometimes an unmarried younger child still lives at home.
        if self.rng.chance(0.25) && !self.is_full(h) {
            let age = self.rng.range(18, (child_age - 1).max(18));
            let birth = self.birth_at_age(age);
            let sex = if self.rng.chance(0.5) {
                Sex::Male
            } else {
                Sex::Female
            };
            let origin = self.local_origin(village, birth);
            let d = self.new_draft(sex, birth, family, ethnic, village, origin);
            let i = self.push(d);
            self.set_parents(i, father_kin, Kin::Member(mother));
            self.set_member(i, h, "Con");
        }
    }

    /// A young family that took in the husband's old parents.
    fn with_old_parents(&mut self, village: u32, ethnic: Ethnic, moved_in: Option<Origin>) {
        let age = self.rng.range(28, 50);
        let head = self.head(village, ethnic, Sex::Male, age, moved_in, None);
        let h = self.new_household(village, head);
        let (family, birth) = self
            .draft(head)
            .map_or(("Nguyễn", 0), |d| (d.family, d.birth));
        let gap = self.rng.weighted(&[2, 5, 20, 25, 20, 12, 8, 5, 3]) as i32 - 1;
        let wife = self.spouse_for(head, village, gap);
        self.set_member(wife, h, "Vợ");
        // The old parents: both, or the surviving one (more often the mother).
        let which = self.rng.weighted(&[45, 15, 40]);
        let parent_age_gap = self.rng.range(22, 36);
        let origin = moved_in.unwrap_or_else(|| self.local_origin(village, birth));
        let father = if which <= 1 {
            let b = birth - parent_age_gap * 365 - self.rng.range(0, 364);
            let d = self.new_draft(Sex::Male, b, family, ethnic, village, origin);
            let f = self.push(d);
            self.set_member(f, h, "Bố");
            self.outside_parents(f);
            Some(f)
        } else {
            None
        };
        let mother = if which != 1 {
            let b = birth - (parent_age_gap - self.rng.range(0, 5)) * 365 - self.rng.range(0, 364);
            let mfam = self.names.family(&mut self.rng, ethnic);
            let d = self.new_draft(Sex::Female, b, mfam, ethnic, village, origin);
            let m = self.push(d);
            self.set_member(m, h, "Mẹ");
            self.outside_parents(m);
            Some(m)
        } else {
            None
        };
        if let (Some(f), Some(m)) = (father, mother) {
            self.marry(f, m);
        }
        let year = year_of(birth);
        let father_kin = match father {
            Some(f) => Kin::Member(f),
            None => Kin::Named(self.outside_name(family, Sex::Male, year - parent_age_gap, ethnic)),
        };
        let mother_kin = match mother {
            Some(m) => Kin::Member(m),
            None => Kin::Named(self.outside_name("", Sex::Female, year - parent_age_gap, ethnic)),
        };
        self.set_parents(head, father_kin, mother_kin);
        let mother_birth = self.draft(wife).map_or(0, |d| d.birth);
        let kids = self.kids_for(self.age(mother_birth));
        self.children(
            h,
            village,
            Kin::Member(head),
            Some(wife),
            mother_birth,
            family,
            ethnic,
            kids,
            "Con",
        );
    }

    /// A worker or teacher from elsewhere, registered here temporarily.
    fn temp_resident(&mut self) {
        let village = self.village_table.sample(&mut self.rng).unwrap_or(0);
        let age = self.rng.range(20, 50);
        let birth = self.birth_at_age(age);
        let sex = if self.rng.chance(0.55) {
            Sex::Male
        } else {
            Sex::Female
        };
        let ethnic = Ethnic::Kinh;
        let family = self.names.family(&mut self.rng, ethnic);
        let origin = self.foreign_origin();
        let mut d = self.new_draft(sex, birth, family, ethnic, village, origin);
        d.status = Status::TempResident;
        let day = self.today - self.rng.range(20, 3 * 365);
        let mut away = self.away(day);
        away.detail = format!("Xóm {}", self.rng.range(1, 15));
        d.away = Some(away);
        let i = self.push(d);
        self.outside_parents(i);
    }

    /// Deaths, absences for work, and the old CMND, for the members of one household.
    fn life_events(&mut self, first: usize) {
        for i in first..self.drafts.len() {
            let Some(d) = self.drafts.get(i) else {
                continue;
            };
            let age = self.age(d.birth);
            let year = year_of(d.birth);
            let is_head = d.relation == Some(HEAD);
            let resident = d.status == Status::Resident;
            // Deaths: kept in the register with a date. Heads stay alive so that every
            // household keeps its head.
            let p_death = match age {
                0 => 0.004,
                1..=39 => 0.002,
                40..=59 => 0.01,
                60..=69 => 0.04,
                70..=79 => 0.1,
                80..=89 => 0.22,
                _ => 0.4,
            };
            // Nothing happens here before a person was born or arrived.
            let start = d.arrived.map_or(d.birth, |(day, _)| day.max(d.birth));
            let dies = resident && !is_head && self.rng.chance(p_death);
            let earliest = (start + 30).max(self.today - 6 * 365);
            let death = (dies && earliest < self.today - 7)
                .then(|| self.rng.range(earliest, self.today - 7));
            let absent =
                resident && death.is_none() && (18..=45).contains(&age) && self.rng.chance(0.15);
            let away = if absent {
                let day = self.today - self.rng.range(30, 4 * 365);
                let day = day
                    .max(d.birth + 18 * 365)
                    .max(start + 30)
                    .min(self.today - 1);
                let mut a = self.away(day);
                if self.rng.chance(0.25) {
                    a.ended = Some(self.rng.range(day + 30, self.today - 1).min(self.today - 1));
                }
                Some(a)
            } else {
                None
            };
            let cmnd = year < 2000 && age >= 18 && self.rng.chance(0.5);
            if let Some(d) = self.drafts.get_mut(i) {
                d.death = death;
                if away.is_some() {
                    d.away = away;
                }
                d.cmnd = cmnd;
            }
        }
    }

    /// Numbers everyone and writes the register.
    fn finish(mut self, opts: &DemoOptions) -> DemoCommune {
        let target = self.target;
        // The last household may have been cut short: relations to people beyond the cut keep
        // only the name.
        let names: Vec<String> = self
            .drafts
            .get(target..)
            .map(|rest| rest.iter().map(|d| d.name.clone()).collect())
            .unwrap_or_default();
        let cut = |k: &mut Kin| {
            if let Kin::Member(j) = k {
                if let Some(n) = (*j as usize).checked_sub(target).and_then(|x| names.get(x)) {
                    *k = Kin::Named(n.clone());
                }
            }
        };
        self.drafts.truncate(target);
        for d in &mut self.drafts {
            cut(&mut d.father);
            cut(&mut d.mother);
            cut(&mut d.spouse);
        }

        let ids = self.assign_ids();
        let cmnds = self.assign_cmnds();
        let u = units();
        let commune_name = u
            .commune(&self.commune_code)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| format!("Xã {}", self.commune_code));
        let here = |detail: &str| Address {
            detail: Some(detail.to_string()),
            commune_code: Some(self.commune_code.clone()),
        };
        let dest_address = |a: &Away| {
            let dest = self.dests.get(a.commune);
            Address {
                detail: Some(match dest {
                    Some(d) => format!("{}, {}", a.detail, d.name),
                    None => a.detail.clone(),
                }),
                commune_code: dest.map(|d| d.code.clone()),
            }
        };
        let village_name = |v: u32| {
            self.villages
                .get(v as usize)
                .map(|v| v.name.as_str())
                .unwrap_or("Thôn 1")
        };

        let households: Vec<Household> = self
            .households
            .iter()
            .enumerate()
            .map(|(k, &(v, head))| Household {
                id: household_id(&self.commune_code, k),
                head_personal_id: ids.get(head as usize).cloned(),
                address: here(village_name(v)),
            })
            .collect();
        let kin_ref = |k: &Kin| match k {
            Kin::Unknown => PersonRef::default(),
            Kin::Named(n) => PersonRef {
                personal_id: None,
                full_name: Some(n.clone()),
            },
            Kin::Member(j) => PersonRef {
                personal_id: ids.get(*j as usize).cloned(),
                full_name: self.drafts.get(*j as usize).map(|d| d.name.clone()),
            },
        };

        let mut persons = Vec::with_capacity(self.drafts.len());
        let mut events = Vec::with_capacity(self.drafts.len() * 5 / 4);
        for (i, d) in self.drafts.iter().enumerate() {
            let Some(id) = ids.get(i).cloned() else {
                continue;
            };
            let dob = partial_date(d.birth, d.dob_precision);
            let village = here(village_name(d.village));
            let mut p = Person::new(id.clone(), d.name.clone());
            p.old_cmnd = cmnds.get(i).cloned().flatten();
            p.other_name = d.other_name.map(str::to_string);
            p.date_of_birth = Some(dob);
            p.sex = Some(d.sex);
            p.birth_registration_place = self.places.get(d.birth_place as usize).cloned();
            p.home_town = self.places.get(d.home_town as usize).cloned();
            p.ethnicity = Some(d.ethnic.code().to_string());
            p.religion = d.religion.map(str::to_string);
            p.nationality = Some("VN".to_string());
            p.blood_type = d.blood.map(str::to_string);
            p.father = kin_ref(&d.father);
            p.mother = kin_ref(&d.mother);
            p.spouse = kin_ref(&d.spouse);
            p.death_date = d.death.map(|day| PartialDate::Full(date_of(day)));
            p.household_id = d
                .household
                .map(|h| household_id(&self.commune_code, h as usize));
            p.relation_to_head = d.relation.map(str::to_string);
            let event = |kind, date: PartialDate, address: Address, note: String| ResidenceEvent {
                personal_id: id.clone(),
                kind,
                date,
                address,
                note: Some(note),
            };
            match d.status {
                Status::Resident | Status::MovedAway => {
                    let registered = match d.arrived {
                        Some((day, from)) => event(
                            ResidenceEventKind::PermanentRegistered,
                            PartialDate::Full(date_of(day)),
                            village.clone(),
                            format!(
                                "Chuyển đến từ {}",
                                self.places.get(from as usize).map_or("", String::as_str)
                            ),
                        ),
                        None => event(
                            ResidenceEventKind::PermanentRegistered,
                            dob,
                            village.clone(),
                            "Đăng ký thường trú khi đăng ký khai sinh".to_string(),
                        ),
                    };
                    events.push(registered);
                    p.permanent_address = village.clone();
                    p.current_address = village.clone();
                    if let Some(a) = d.away.as_ref() {
                        let dest = dest_address(a);
                        let dest_name = self.dests.get(a.commune).map_or("", |d| d.name.as_str());
                        if d.status == Status::MovedAway {
                            events.push(event(
                                ResidenceEventKind::PermanentDeleted,
                                PartialDate::Full(date_of(a.day)),
                                village.clone(),
                                format!("Chuyển đi {dest_name}"),
                            ));
                            p.permanent_address = dest.clone();
                            p.current_address = dest;
                        } else {
                            events.push(event(
                                ResidenceEventKind::AbsenceDeclared,
                                PartialDate::Full(date_of(a.day)),
                                dest.clone(),
                                format!("Đi làm ăn xa tại {dest_name}"),
                            ));
                            match a.ended {
                                Some(end) => events.push(event(
                                    ResidenceEventKind::AbsenceEnded,
                                    PartialDate::Full(date_of(end)),
                                    village.clone(),
                                    "Trở về địa phương".to_string(),
                                )),
                                None => {
                                    p.temporary_address = dest.clone();
                                    p.current_address = dest;
                                }
                            }
                        }
                    }
                    if let Some(day) = d.death {
                        events.push(event(
                            ResidenceEventKind::PermanentDeleted,
                            PartialDate::Full(date_of(day)),
                            village.clone(),
                            "Xóa đăng ký thường trú do đã chết".to_string(),
                        ));
                    }
                }
                Status::TempResident => {
                    if let Some(a) = d.away.as_ref() {
                        // The permanent home is in the commune the birthplace now belongs to;
                        // `away` holds the registration day here and a hamlet there.
                        let code = self.home_commune(d.birth_place);
                        let place = code
                            .as_deref()
                            .and_then(commune_with_province)
                            .or_else(|| self.places.get(d.birth_place as usize).cloned())
                            .unwrap_or_default();
                        p.permanent_address = Address {
                            detail: Some(join_place(&[&a.detail, &place])),
                            commune_code: code,
                        };
                        events.push(event(
                            ResidenceEventKind::TemporaryRegistered,
                            PartialDate::Full(date_of(a.day)),
                            village.clone(),
                            "Đăng ký tạm trú để làm việc".to_string(),
                        ));
                    }
                    p.temporary_address = village.clone();
                    p.current_address = village;
                }
            }
            persons.push(p);
        }

        DemoCommune {
            commune_code: self.commune_code.clone(),
            commune_name,
            villages: self.villages.iter().map(|v| v.name.clone()).collect(),
            village_legacy_communes: self
                .villages
                .iter()
                .map(|v| {
                    self.old_places
                        .get(v.old)
                        .and_then(|&p| self.place_legacy.get(p as usize).copied().flatten())
                        .map(str::to_string)
                })
                .collect(),
            households,
            persons,
            events,
            today: opts.today,
        }
    }

    /// The new commune that a birth-registration place now lies in.
    fn home_commune(&self, place: u32) -> Option<String> {
        let legacy = self.place_legacy.get(place as usize).copied().flatten()?;
        units()
            .successors(legacy)
            .first()
            .map(|(c, _)| c.code.clone())
    }

    /// Personal IDs: the serial of each (birthplace, sex, birth year) is a counter passed
    /// through a keyed permutation of 0..1,000,000, so no two people can share a number (up to
    /// a million people per birthplace, sex and year: far beyond any commune).
    fn assign_ids(&self) -> Vec<PersonalId> {
        let mut counters: FastMap<(u16, bool, i32), u64> = FastMap::default();
        let mut out = Vec::with_capacity(self.drafts.len());
        for d in &self.drafts {
            let year = year_of(d.birth);
            let female = d.sex == Sex::Female;
            let counter = counters
                .entry((d.birthplace_code, female, year))
                .or_insert(0);
            let key = mix(&[
                self.seed,
                u64::from(d.birthplace_code),
                u64::from(female),
                year as u64,
            ]);
            let serial = Permutation::new(key, 1_000_000).apply(*counter) as u32;
            *counter += 1;
            let id = PersonalId::build(d.birthplace_code, d.sex, year, serial)
                .or_else(|_| PersonalId::build(38, d.sex, year.clamp(1900, 2399), serial));
            match id {
                Ok(id) => out.push(id),
                // Unreachable with the codes and years drawn above; stop numbering rather than
                // invent an invalid number.
                Err(_) => break,
            }
        }
        out
    }

    /// Old 9-digit CMND numbers: the issuing province's two-digit prefix and seven digits,
    /// unique the same way as the IDs.
    fn assign_cmnds(&self) -> Vec<Option<Cmnd>> {
        let mut counters: FastMap<u16, u64> = FastMap::default();
        self.drafts
            .iter()
            .map(|d| {
                if !d.cmnd {
                    return None;
                }
                let prefix = CMND_PREFIX
                    .iter()
                    .find(|(code, _)| *code == d.birthplace_code)
                    .map_or(17, |(_, p)| *p);
                let counter = counters.entry(prefix).or_insert(0);
                let key = mix(&[self.seed, 0xC4D, u64::from(prefix)]);
                let serial = Permutation::new(key, 10_000_000).apply(*counter);
                *counter += 1;
                Cmnd::parse(&format!("{prefix:02}{serial:07}")).ok()
            })
            .collect()
    }
}

pub(crate) fn household_id(commune_code: &str, index: usize) -> String {
    format!("HK-{commune_code}-{:06}", index + 1)
}

fn partial_date(jd: i32, precision: u8) -> PartialDate {
    let d = date_of(jd);
    match precision {
        0 => PartialDate::Full(d),
        1 => PartialDate::YearMonth {
            year: d.year(),
            month: u8::from(d.month()),
        },
        _ => PartialDate::Year(d.year()),
    }
}

/// "Phường X, Thành phố Hồ Chí Minh" for a commune code of the new structure.
fn commune_with_province(code: &str) -> Option<String> {
    let u = units();
    let c = u.commune(code)?;
    let p = u.province(&c.province_code)?;
    Some(format!("{}, {}", c.name, p.name))
}

fn join_place(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.below_usize(i + 1);
        items.swap(i, j);
    }
}
