//! Sector lists (welfare, civil status, land, schools, health insurance, SIM subscribers,
//! cadres) drawn from the register and typed the way offices type them, with a ground-truth
//! file beside each so that matching accuracy can be measured.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use time::Date;
use xaso_domain::ethnic::ethnic_by_code;
use xaso_domain::register::{Person, ResidenceEventKind};
use xaso_domain::{PartialDate, PersonalId, Sex};

use crate::names::{Ethnic, Names};
use crate::rng::{FastMap, FastSet, Rng};
use crate::typos::{
    change_tone, family_variant, move_tone, strip_diacritics, swap_adjacent, wrong_digit,
};
use crate::DemoCommune;

/// One written sector list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectorList {
    /// "welfare", "civil-status", "land", "school", "health-insurance", "sim" or "cadre".
    pub kind: &'static str,
    pub path: PathBuf,
    /// Data rows (without the header).
    pub rows: usize,
}

/// The kinds of list written, in order.
pub const SECTOR_KINDS: [&str; 7] = [
    "welfare",
    "civil-status",
    "land",
    "school",
    "health-insurance",
    "sim",
    "cadre",
];

/// Every error kind that can appear in the `errors` column of a ground-truth file.
pub const ERROR_KINDS: &[&str] = &[
    "tone_dropped",
    "tone_misplaced",
    "tone_wrong",
    "family_name_variant",
    "middle_name_dropped",
    "middle_name_added",
    "name_upper_case",
    "d_typed_as_d",
    "d_typed_as_eth",
    "dob_day_month_swapped",
    "dob_year_off_by_one",
    "dob_year_only",
    "id_missing",
    "id_digit_wrong",
    "id_digits_transposed",
    "old_cmnd_given",
    "village_without_prefix",
    "duplicate",
    "deceased",
    "moved_away",
    "not_in_register",
];

/// Columns of every ground-truth file.
pub const TRUTH_HEADERS: [&str; 3] = ["row", "true_personal_id", "errors"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum DateStyle {
    Full,
    YearOnly,
}

/// How one office's list is made.
struct Spec {
    kind: &'static str,
    headers: &'static [&'static str],
    /// One row per this many residents.
    per_residents: usize,
    /// Age range of the people it lists.
    ages: (i32, i32),
    date_style: DateStyle,
    /// Scales the field error rates (cadre lists are typed more carefully).
    care: f64,
    /// Chance that the old CMND is written when the person has one.
    cmnd_rate: f64,
    deceased_rate: f64,
    moved_rate: f64,
}

const SPECS: [Spec; 7] = [
    Spec {
        kind: "welfare",
        headers: &[
            "STT",
            "Họ và tên",
            "Ngày sinh",
            "Giới tính",
            "Số CCCD",
            "Thôn",
            "Đối tượng",
            "Mức trợ cấp",
        ],
        per_residents: 25,
        ages: (0, 120),
        date_style: DateStyle::Full,
        care: 1.0,
        cmnd_rate: 0.04,
        deceased_rate: 0.012,
        moved_rate: 0.006,
    },
    Spec {
        kind: "civil-status",
        headers: &[
            "STT",
            "Số đăng ký",
            "Quyển số",
            "Ngày đăng ký",
            "Họ và tên",
            "Ngày sinh",
            "Giới tính",
            "Dân tộc",
            "Quốc tịch",
            "Nơi sinh",
            "Họ tên cha",
            "Họ tên mẹ",
            "Số định danh cá nhân",
        ],
        per_residents: 30,
        ages: (0, 14),
        date_style: DateStyle::Full,
        care: 0.8,
        cmnd_rate: 0.0,
        deceased_rate: 0.0,
        moved_rate: 0.0,
    },
    Spec {
        kind: "land",
        headers: &[
            "STT",
            "Họ và tên chủ sử dụng",
            "Năm sinh",
            "Số CMND/CCCD",
            "Địa chỉ thường trú",
            "Số thửa",
            "Tờ bản đồ",
            "Diện tích (m2)",
            "Mục đích sử dụng",
        ],
        per_residents: 8,
        ages: (25, 120),
        date_style: DateStyle::YearOnly,
        care: 1.2,
        cmnd_rate: 0.5,
        deceased_rate: 0.02,
        moved_rate: 0.01,
    },
    Spec {
        kind: "school",
        headers: &[
            "STT",
            "Họ và tên học sinh",
            "Ngày sinh",
            "Giới tính",
            "Lớp",
            "Mã định danh",
            "Họ tên phụ huynh",
            "Số điện thoại",
            "Thôn",
        ],
        per_residents: 15,
        ages: (6, 17),
        date_style: DateStyle::Full,
        care: 1.0,
        cmnd_rate: 0.0,
        deceased_rate: 0.0,
        moved_rate: 0.008,
    },
    Spec {
        kind: "health-insurance",
        headers: &[
            "STT",
            "Mã số BHXH",
            "Họ và tên",
            "Ngày sinh",
            "Giới tính",
            "Số CCCD",
            "Địa chỉ",
            "Đối tượng",
            "Hạn thẻ từ",
            "Hạn thẻ đến",
        ],
        per_residents: 8,
        ages: (0, 120),
        date_style: DateStyle::Full,
        care: 1.0,
        cmnd_rate: 0.03,
        deceased_rate: 0.008,
        moved_rate: 0.006,
    },
    Spec {
        kind: "sim",
        headers: &[
            "STT",
            "Số thuê bao",
            "Họ và tên chủ thuê bao",
            "Ngày sinh",
            "Loại giấy tờ",
            "Số giấy tờ",
            "Ngày kích hoạt",
        ],
        per_residents: 10,
        ages: (14, 90),
        date_style: DateStyle::Full,
        care: 1.0,
        cmnd_rate: 0.15,
        deceased_rate: 0.006,
        moved_rate: 0.01,
    },
    Spec {
        kind: "cadre",
        headers: &[
            "STT",
            "Họ và tên",
            "Ngày sinh",
            "Giới tính",
            "Số CCCD",
            "Chức vụ",
            "Đơn vị",
            "Trình độ chuyên môn",
            "Đảng viên",
        ],
        per_residents: 100,
        ages: (23, 60),
        date_style: DateStyle::Full,
        care: 0.5,
        cmnd_rate: 0.02,
        deceased_rate: 0.0,
        moved_rate: 0.005,
    },
];

const COMMUNE_POSTS: &[&str] = &[
    "Bí thư Đảng ủy",
    "Chủ tịch UBND xã",
    "Phó Chủ tịch UBND xã",
    "Chủ tịch Ủy ban MTTQ xã",
    "Công chức Văn phòng - Thống kê",
    "Công chức Tư pháp - Hộ tịch",
    "Công chức Địa chính - Xây dựng",
    "Công chức Tài chính - Kế toán",
    "Công chức Văn hóa - Xã hội",
    "Chỉ huy trưởng Ban Chỉ huy Quân sự",
    "Chủ tịch Hội Phụ nữ",
    "Bí thư Đoàn Thanh niên",
    "Chủ tịch Hội Nông dân",
    "Chủ tịch Hội Cựu chiến binh",
];
const VILLAGE_POSTS: &[&str] = &[
    "Trưởng thôn",
    "Bí thư chi bộ",
    "Tổ trưởng tổ bảo vệ an ninh trật tự",
    "Chi hội trưởng Phụ nữ",
    "Nhân viên y tế thôn",
    "Chi hội trưởng Nông dân",
];

/// The register seen from a list maker: who is alive and here, who died, who left, where each
/// person lives.
struct Ctx<'a> {
    commune: &'a DemoCommune,
    today: Date,
    village_of: Vec<&'a str>,
    living: Vec<usize>,
    deceased: Vec<usize>,
    moved_away: Vec<usize>,
    ids: FastSet<&'a str>,
    names: Names,
}

/// A row before it is typed: whose it is and what is wrong with it beyond the fields.
#[derive(Clone)]
struct Planned {
    subject: Option<usize>,
    row_errors: Vec<&'static str>,
}

/// The common fields as typed (the village only when a column shows it).
struct Shown {
    name: String,
    dob: String,
    sex: &'static str,
    id: String,
    id_is_cmnd: bool,
    village: String,
    errors: Vec<&'static str>,
}

pub(crate) fn write_sector_lists(
    commune: &DemoCommune,
    dir: &Path,
    seed: u64,
) -> std::io::Result<Vec<SectorList>> {
    let ctx = Ctx::new(commune);
    let mut out = Vec::new();
    for spec in &SPECS {
        let mut rng = Rng::stream(seed, spec.kind);
        let rows = ctx.rows(spec, &mut rng);
        let path = dir.join(format!("{}.csv", spec.kind));
        let truth_path = dir.join(format!("{}.truth.csv", spec.kind));
        let mut w = csv::Writer::from_path(&path)?;
        let mut t = csv::Writer::from_path(&truth_path)?;
        w.write_record(spec.headers)?;
        t.write_record(TRUTH_HEADERS)?;
        for (k, (fields, truth_id, errors)) in rows.iter().enumerate() {
            let mut record = Vec::with_capacity(fields.len() + 1);
            record.push((k + 1).to_string());
            record.extend(fields.iter().cloned());
            w.write_record(&record)?;
            t.write_record([(k + 1).to_string(), truth_id.clone(), errors.join(";")])?;
        }
        w.flush()?;
        t.flush()?;
        out.push(SectorList {
            kind: spec.kind,
            path,
            rows: rows.len(),
        });
    }
    Ok(out)
}

fn age_on(dob: Option<&PartialDate>, today: Date) -> i32 {
    let Some(dob) = dob else { return 0 };
    let mut age = today.year() - dob.year();
    if let Some(d) = dob.full() {
        if (u8::from(d.month()), d.day()) > (u8::from(today.month()), today.day()) {
            age -= 1;
        }
    }
    age
}

impl<'a> Ctx<'a> {
    fn new(commune: &'a DemoCommune) -> Ctx<'a> {
        let households: FastMap<&str, &str> = commune
            .households
            .iter()
            .map(|h| (h.id.as_str(), h.address.detail.as_deref().unwrap_or("")))
            .collect();
        // People without a household (moved away, temporary residents) keep the village of
        // their registration here.
        let homeless: FastSet<&str> = commune
            .persons
            .iter()
            .filter(|p| p.household_id.is_none())
            .map(|p| p.personal_id.as_str())
            .collect();
        let mut registered: FastMap<&str, &str> = FastMap::default();
        for e in commune
            .events
            .iter()
            .filter(|e| homeless.contains(e.personal_id.as_str()))
        {
            let here = e.address.commune_code.as_deref() == Some(commune.commune_code.as_str());
            let kind = matches!(
                e.kind,
                ResidenceEventKind::PermanentRegistered | ResidenceEventKind::TemporaryRegistered
            );
            if here && kind {
                registered
                    .entry(e.personal_id.as_str())
                    .or_insert(e.address.detail.as_deref().unwrap_or(""));
            }
        }
        let first_village = commune.villages.first().map_or("", String::as_str);
        let mut village_of = Vec::with_capacity(commune.persons.len());
        let (mut living, mut deceased, mut moved_away) = (Vec::new(), Vec::new(), Vec::new());
        for (i, p) in commune.persons.iter().enumerate() {
            let v = p
                .household_id
                .as_deref()
                .and_then(|h| households.get(h).copied())
                .or_else(|| registered.get(p.personal_id.as_str()).copied())
                .unwrap_or(first_village);
            village_of.push(v);
            let here = p.current_address.commune_code.as_deref()
                == Some(commune.commune_code.as_str())
                || p.permanent_address.commune_code.as_deref()
                    == Some(commune.commune_code.as_str());
            if p.is_deceased() {
                deceased.push(i);
            } else if here {
                living.push(i);
            } else {
                moved_away.push(i);
            }
        }
        Ctx {
            commune,
            today: commune.today,
            village_of,
            living,
            deceased,
            moved_away,
            ids: commune
                .persons
                .iter()
                .map(|p| p.personal_id.as_str())
                .collect(),
            names: Names::new(),
        }
    }

    fn person(&self, i: usize) -> Option<&'a Person> {
        self.commune.persons.get(i)
    }

    fn age(&self, i: usize) -> i32 {
        self.person(i)
            .map_or(0, |p| age_on(p.date_of_birth.as_ref(), self.today))
    }

    /// Up to `n` distinct people of `pool` accepted by `ok`, in random order.
    fn draw(
        &self,
        rng: &mut Rng,
        pool: &[usize],
        n: usize,
        ok: impl Fn(usize) -> bool,
    ) -> Vec<usize> {
        let mut eligible: Vec<usize> = pool.iter().copied().filter(|&i| ok(i)).collect();
        let n = n.min(eligible.len());
        // Partial Fisher–Yates: only the first n places are needed.
        for k in 0..n {
            let j = k + rng.below_usize(eligible.len() - k);
            eligible.swap(k, j);
        }
        eligible.truncate(n);
        eligible
    }

    fn plan(&self, spec: &Spec, rng: &mut Rng) -> Vec<Planned> {
        let residents = self.commune.persons.len();
        let n = (residents / spec.per_residents).max(5.min(residents));
        let (lo, hi) = spec.ages;
        let in_ages = |i: usize| (lo..=hi).contains(&self.age(i));
        let mut main: Vec<usize> = match spec.kind {
            // Welfare lists are mostly the over-80 allowance.
            "welfare" => {
                let mut v = self.draw(rng, &self.living, n * 3 / 5, |i| self.age(i) >= 80);
                let taken: HashSet<usize> = v.iter().copied().collect();
                let rest = n.saturating_sub(v.len());
                v.extend(self.draw(rng, &self.living, rest, |i| !taken.contains(&i)));
                v
            }
            // Land users are heads of households and their spouses.
            "land" => self.draw(rng, &self.living, n, |i| {
                in_ages(i)
                    && self.person(i).is_some_and(|p| {
                        matches!(
                            p.relation_to_head.as_deref(),
                            Some("Chủ hộ" | "Vợ" | "Chồng")
                        )
                    })
            }),
            _ => self.draw(rng, &self.living, n, in_ages),
        };
        let base = main.len() as f64;
        let count = |rate: f64| (base * rate).round() as usize;
        let mut plan: Vec<Planned> = main
            .drain(..)
            .map(|i| Planned {
                subject: Some(i),
                row_errors: Vec::new(),
            })
            .collect();
        let relaxed = |i: usize| self.age(i) >= lo.min(18) || lo == 0;
        for i in self.draw(rng, &self.deceased, count(spec.deceased_rate), relaxed) {
            plan.push(Planned {
                subject: Some(i),
                row_errors: vec!["deceased"],
            });
        }
        for i in self.draw(rng, &self.moved_away, count(spec.moved_rate), in_ages) {
            plan.push(Planned {
                subject: Some(i),
                row_errors: vec!["moved_away"],
            });
        }
        for _ in 0..count(0.01) {
            plan.push(Planned {
                subject: None,
                row_errors: vec!["not_in_register"],
            });
        }
        shuffle(rng, &mut plan);
        // Duplicates: the same person typed twice, somewhere else in the list.
        // The copy comes after the first entry, which stays the unmarked one.
        for _ in 0..count(0.015) {
            let k = rng.below_usize(plan.len());
            let Some(mut dup) = plan.get(k).filter(|p| p.subject.is_some()).cloned() else {
                continue;
            };
            dup.row_errors.retain(|e| *e != "duplicate");
            dup.row_errors.push("duplicate");
            let at = k + 1 + rng.below_usize(plan.len() - k);
            plan.insert(at, dup);
        }
        plan
    }

    /// Field values and ground truth of every row.
    fn rows(&self, spec: &Spec, rng: &mut Rng) -> Vec<(Vec<String>, String, Vec<&'static str>)> {
        let plan = self.plan(spec, rng);
        let mut out = Vec::with_capacity(plan.len());
        for item in &plan {
            let (shown, truth_id, person) =
                match item.subject.and_then(|i| self.person(i).map(|p| (i, p))) {
                    Some((i, p)) => (
                        self.typed(spec, p, self.village_of.get(i).copied().unwrap_or(""), rng),
                        p.personal_id.to_string(),
                        Some(p),
                    ),
                    None => (self.invented(spec, rng), String::new(), None),
                };
            let mut shown = shown;
            let fields = self.fields(spec, &mut shown, person, rng);
            let mut errors = item.row_errors.clone();
            // An invented person has no true values to be wrong about.
            if person.is_some() {
                errors.extend(shown.errors.iter().copied());
            }
            out.push((fields, truth_id, errors));
        }
        if spec.kind == "civil-status" {
            // A register book is in order of registration; fields[2] is the date, dd/mm/yyyy.
            let key = |f: &[String]| {
                let d = f.get(2).map_or("", String::as_str);
                (
                    d.get(6..10).unwrap_or("").to_string(),
                    d.get(3..5).unwrap_or("").to_string(),
                    d.get(0..2).unwrap_or("").to_string(),
                )
            };
            out.sort_by_key(|(f, _, _)| key(f));
            // Sorting may put a copy first: "duplicate" marks whichever entry comes later.
            let mut seen = HashSet::new();
            for (_, id, errors) in &mut out {
                if id.is_empty() {
                    continue;
                }
                errors.retain(|e| *e != "duplicate");
                if !seen.insert(id.clone()) {
                    errors.insert(0, "duplicate");
                }
            }
            let mut last_year = String::new();
            let mut number = 0;
            for (f, _, _) in &mut out {
                let year = f
                    .get(2)
                    .and_then(|d| d.get(6..10))
                    .unwrap_or("")
                    .to_string();
                if year != last_year {
                    number = 0;
                    last_year = year.clone();
                }
                number += 1;
                if let Some(x) = f.get_mut(0) {
                    *x = number.to_string();
                }
                if let Some(x) = f.get_mut(1) {
                    *x = format!("01/{year}");
                }
            }
        }
        out
    }

    /// The person's name, date of birth, ID and village as an officer typed them.
    fn typed(&self, spec: &Spec, p: &Person, village: &str, rng: &mut Rng) -> Shown {
        let mut errors = Vec::new();
        let care = spec.care;
        let sex = p.sex.unwrap_or(Sex::Male);
        let name = type_name(&p.full_name, sex, care, rng, &mut errors);
        let dob = match p.date_of_birth {
            Some(d) => type_date(d, spec.date_style, care, rng, &mut errors),
            None => String::new(),
        };
        let mut id_is_cmnd = false;
        let id = if rng.chance(0.05 * care) {
            errors.push("id_missing");
            String::new()
        } else if let Some(c) = p.old_cmnd.as_ref().filter(|_| rng.chance(spec.cmnd_rate)) {
            errors.push("old_cmnd_given");
            id_is_cmnd = true;
            c.to_string()
        } else {
            let id = p.personal_id.to_string();
            if rng.chance(0.015 * care) {
                errors.push("id_digit_wrong");
                wrong_digit(&id, rng)
            } else if rng.chance(0.01 * care) {
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
        Shown {
            name,
            dob,
            sex: sex.label_vi(),
            id,
            id_is_cmnd,
            village: village.to_string(),
            errors,
        }
    }

    /// Someone who is not in the register at all: a plausible name, age and ID number.
    fn invented(&self, spec: &Spec, rng: &mut Rng) -> Shown {
        let sex = if rng.chance(0.5) {
            Sex::Male
        } else {
            Sex::Female
        };
        let (lo, hi) = spec.ages;
        let age = rng.range(lo, hi.min(95));
        let jd = self.today.to_julian_day() - age * 365 - age / 4 - rng.range(1, 364);
        let dob = Date::from_julian_day(jd).unwrap_or(self.today);
        let family = self.names.family(rng, Ethnic::Kinh);
        let name = self.names.full(rng, family, sex, dob.year());
        let mut id = String::new();
        if rng.chance(0.6) {
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
        let dob = match spec.date_style {
            DateStyle::Full => PartialDate::Full(dob).to_vi(),
            DateStyle::YearOnly => dob.year().to_string(),
        };
        let village = rng
            .pick(&self.commune.villages)
            .cloned()
            .unwrap_or_default();
        Shown {
            name,
            dob,
            sex: sex.label_vi(),
            id,
            id_is_cmnd: false,
            village,
            errors: Vec::new(),
        }
    }

    /// The list's own columns after STT.
    fn fields(&self, spec: &Spec, s: &mut Shown, p: Option<&Person>, rng: &mut Rng) -> Vec<String> {
        let age = p.map_or(40, |p| age_on(p.date_of_birth.as_ref(), self.today));
        let commune = &self.commune.commune_name;
        match spec.kind {
            "welfare" => {
                let (kind, amount) = if age >= 80 {
                    ("Người cao tuổi từ đủ 80 tuổi trở lên", 500_000)
                } else if age < 16 {
                    ("Trẻ em khuyết tật", 1_000_000)
                } else {
                    match rng.below(4) {
                        0 => ("Người khuyết tật nặng", 750_000),
                        1 => ("Người khuyết tật đặc biệt nặng", 1_000_000),
                        2 => ("Người đơn thân nghèo đang nuôi con", 500_000),
                        _ if age >= 60 => ("Người cao tuổi thuộc hộ nghèo", 750_000),
                        _ => ("Người khuyết tật nặng", 750_000),
                    }
                };
                vec![
                    s.name.clone(),
                    s.dob.clone(),
                    s.sex.to_string(),
                    s.id.clone(),
                    s.typed_village(rng),
                    kind.to_string(),
                    money(amount),
                ]
            }
            "civil-status" => {
                let registered = p
                    .and_then(|p| p.date_of_birth.as_ref().and_then(PartialDate::full))
                    .map(|d| d.to_julian_day() + rng.range(3, 55))
                    .map(|jd| jd.min(self.today.to_julian_day()))
                    .and_then(|jd| Date::from_julian_day(jd).ok())
                    .unwrap_or(self.today);
                let ethnic = p
                    .and_then(|p| p.ethnicity.as_deref())
                    .and_then(ethnic_by_code)
                    .map_or("Kinh", |e| e.name.as_str());
                let place = match rng.below(3) {
                    0 => "Bệnh viện Đa khoa tỉnh".to_string(),
                    1 => "Bệnh viện Đa khoa khu vực".to_string(),
                    _ => format!(
                        "Trạm Y tế {}",
                        p.and_then(|p| p.birth_registration_place.as_deref())
                            .and_then(|s| s.split(", ").next())
                            .unwrap_or(commune)
                    ),
                };
                let parent = |r: Option<&xaso_domain::register::PersonRef>| {
                    r.and_then(|r| r.full_name.clone()).unwrap_or_default()
                };
                vec![
                    String::new(),
                    String::new(),
                    PartialDate::Full(registered).to_vi(),
                    s.name.clone(),
                    s.dob.clone(),
                    s.sex.to_string(),
                    ethnic.to_string(),
                    "Việt Nam".to_string(),
                    place,
                    parent(p.map(|p| &p.father)),
                    parent(p.map(|p| &p.mother)),
                    s.id.clone(),
                ]
            }
            "land" => {
                let purpose =
                    ["ONT", "ONT+CLN", "LUC", "CLN", "BHK"][rng.weighted(&[50, 20, 15, 10, 5])];
                vec![
                    s.name.clone(),
                    s.dob.clone(),
                    s.id.clone(),
                    format!("{}, {}", s.typed_village(rng), commune),
                    rng.range(1, 999).to_string(),
                    rng.range(1, 60).to_string(),
                    rng.range(80, 900).to_string(),
                    purpose.to_string(),
                ]
            }
            "school" => {
                let birth_year = p
                    .and_then(|p| p.date_of_birth.as_ref())
                    .map_or(self.today.year() - age, PartialDate::year);
                // The school year starts in September.
                let starts = if u8::from(self.today.month()) >= 9 {
                    5
                } else {
                    6
                };
                let grade = (self.today.year() - birth_year - starts).clamp(1, 12);
                let class = format!("{grade}{}", ["A", "B", "C", "D"][rng.below_usize(4)]);
                let parent = p
                    .and_then(|p| {
                        p.father
                            .full_name
                            .clone()
                            .or_else(|| p.mother.full_name.clone())
                    })
                    .unwrap_or_default();
                vec![
                    s.name.clone(),
                    s.dob.clone(),
                    s.sex.to_string(),
                    class,
                    s.id.clone(),
                    parent,
                    phone(rng),
                    s.typed_village(rng),
                ]
            }
            "health-insurance" => {
                let group = match age {
                    ..=5 => "Trẻ em dưới 6 tuổi",
                    6..=17 => "Học sinh",
                    80.. => "Người từ đủ 80 tuổi hưởng trợ cấp",
                    _ => ["Hộ gia đình", "Hộ nghèo", "Hộ cận nghèo", "Người lao động"]
                        [rng.weighted(&[60, 8, 7, 25])],
                };
                let year = self.today.year();
                vec![
                    format!("38{:08}", rng.below(100_000_000)),
                    s.name.clone(),
                    s.dob.clone(),
                    s.sex.to_string(),
                    s.id.clone(),
                    format!("{}, {}", s.typed_village(rng), commune),
                    group.to_string(),
                    format!("01/01/{year}"),
                    format!("31/12/{year}"),
                ]
            }
            "sim" => {
                let doc = if s.id.is_empty() {
                    ""
                } else if s.id_is_cmnd {
                    "CMND"
                } else {
                    "CCCD"
                };
                let back = rng.range(30, 3_600);
                let activated =
                    Date::from_julian_day(self.today.to_julian_day() - back).unwrap_or(self.today);
                vec![
                    phone(rng),
                    s.name.clone(),
                    s.dob.clone(),
                    doc.to_string(),
                    s.id.clone(),
                    PartialDate::Full(activated).to_vi(),
                ]
            }
            _ => {
                let (post, unit) = if rng.chance(0.15) {
                    let post = rng.pick(COMMUNE_POSTS).copied().unwrap_or("Trưởng thôn");
                    (post, format!("UBND {commune}"))
                } else {
                    let post = rng.pick(VILLAGE_POSTS).copied().unwrap_or("Trưởng thôn");
                    (post, s.typed_village(rng))
                };
                let level = ["Đại học", "Cao đẳng", "Trung cấp", "Trung học phổ thông"]
                    [rng.weighted(&[40, 15, 30, 15])];
                vec![
                    s.name.clone(),
                    s.dob.clone(),
                    s.sex.to_string(),
                    s.id.clone(),
                    post.to_string(),
                    unit,
                    level.to_string(),
                    if rng.chance(0.6) { "Có" } else { "Không" }.to_string(),
                ]
            }
        }
    }
}

impl Shown {
    /// The village with or without "Thôn", recording the error only when it is written.
    fn typed_village(&mut self, rng: &mut Rng) -> String {
        match self.village.strip_prefix("Thôn ") {
            Some(rest) if rng.chance(0.25) => {
                self.errors.push("village_without_prefix");
                rest.to_string()
            }
            _ => self.village.clone(),
        }
    }
}

/// Types a name: regional family spelling, Văn/Thị dropped or added, tones dropped, moved or
/// wrong, Đ as D or Ð, all capitals.
fn type_name(
    full: &str,
    sex: Sex,
    care: f64,
    rng: &mut Rng,
    errors: &mut Vec<&'static str>,
) -> String {
    let mut words: Vec<String> = full.split(' ').map(str::to_string).collect();
    if let Some(v) = words.first().and_then(|f| family_variant(f)) {
        if rng.chance(0.15 * care) {
            if let Some(f) = words.first_mut() {
                *f = v.to_string();
            }
            errors.push("family_name_variant");
        }
    }
    let filler = |w: &str| w == "Văn" || w == "Thị";
    let has_filler = words.len() >= 3 && words.get(1).is_some_and(|w| filler(w));
    if has_filler && rng.chance(0.04 * care) {
        words.remove(1);
        errors.push("middle_name_dropped");
    } else if !has_filler && words.len() >= 2 && rng.chance(0.015 * care) {
        words.insert(1, if sex == Sex::Male { "Văn" } else { "Thị" }.to_string());
        errors.push("middle_name_added");
    }
    let mut name = words.join(" ");
    let mut dropped = false;
    if rng.chance(0.05 * care) {
        let stripped = strip_diacritics(&name);
        if stripped != name {
            name = stripped;
            errors.push("tone_dropped");
            dropped = true;
        }
    }
    if !dropped {
        // The other spelling of "Hòa"/"Thủy": a matter of habit, so fairly common.
        let movable: Vec<usize> = (0..words.len())
            .filter(|&i| name.split(' ').nth(i).and_then(move_tone).is_some())
            .collect();
        if !movable.is_empty() && rng.chance(0.3 * care) {
            name = name
                .split(' ')
                .map(|w| move_tone(w).unwrap_or_else(|| w.to_string()))
                .collect::<Vec<_>>()
                .join(" ");
            errors.push("tone_misplaced");
        }
        if rng.chance(0.01 * care) {
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
        if name.contains('Đ') {
            if rng.chance(0.06 * care) {
                name = name.replace('Đ', "D");
                errors.push("d_typed_as_d");
            } else if rng.chance(0.015 * care) {
                name = name.replace('Đ', "\u{00D0}");
                errors.push("d_typed_as_eth");
            }
        }
    }
    if rng.chance(0.03 * care) {
        name = name.to_uppercase();
        errors.push("name_upper_case");
    }
    name
}

/// Types a date of birth: day and month swapped, a year off by one, the year alone.
fn type_date(
    d: PartialDate,
    style: DateStyle,
    care: f64,
    rng: &mut Rng,
    errors: &mut Vec<&'static str>,
) -> String {
    let year_off = rng.chance(0.012 * care);
    let shifted = |y: i32| if rng_bit(y) { y + 1 } else { y - 1 };
    if style == DateStyle::YearOnly {
        return if year_off {
            errors.push("dob_year_off_by_one");
            shifted(d.year()).to_string()
        } else {
            d.year().to_string()
        };
    }
    match d {
        PartialDate::Full(date) => {
            let (day, month, year) = (date.day(), u8::from(date.month()), date.year());
            if rng.chance(0.03 * care) {
                errors.push("dob_year_only");
                year.to_string()
            } else if day <= 12 && day != month && rng.chance(0.02 * care) {
                errors.push("dob_day_month_swapped");
                format!("{month:02}/{day:02}/{year:04}")
            } else if year_off {
                errors.push("dob_year_off_by_one");
                // 29 February does not exist in the neighbouring years.
                let day = if month == 2 && day == 29 { 28 } else { day };
                format!("{day:02}/{month:02}/{:04}", shifted(year))
            } else {
                d.to_vi()
            }
        }
        PartialDate::YearMonth { year, month } if year_off => {
            errors.push("dob_year_off_by_one");
            format!("{month:02}/{:04}", shifted(year))
        }
        PartialDate::Year(year) if year_off => {
            errors.push("dob_year_off_by_one");
            shifted(year).to_string()
        }
        _ => d.to_vi(),
    }
}

/// Which way a year slips, derived from the year itself so it needs no extra random draw.
fn rng_bit(y: i32) -> bool {
    y % 2 == 0
}

/// Amounts as offices type them: "500.000".
fn money(amount: u64) -> String {
    let digits = amount.to_string();
    // Groups of three from the right: the first group takes the remainder.
    let head = match digits.len() % 3 {
        0 => 3.min(digits.len()),
        r => r,
    };
    let mut out = digits.get(..head).unwrap_or("").to_string();
    let mut rest = digits.get(head..).unwrap_or("");
    while let (Some(group), Some(tail)) = (rest.get(..3), rest.get(3..)) {
        out.push('.');
        out.push_str(group);
        rest = tail;
    }
    out
}

fn phone(rng: &mut Rng) -> String {
    let prefix = ["09", "03", "08", "07"][rng.weighted(&[40, 35, 15, 10])];
    format!("{prefix}{:08}", rng.below(100_000_000))
}

fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.below_usize(i + 1);
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn money_has_thousand_dots() {
        assert_eq!(money(500_000), "500.000");
        assert_eq!(money(1_250_000), "1.250.000");
        assert_eq!(money(0), "0");
    }

    #[test]
    fn typed_names_keep_their_key_unless_told() {
        let mut rng = Rng::new(9);
        for _ in 0..2_000 {
            let mut errors = Vec::new();
            let typed = type_name("Đặng Thị Hòa", Sex::Female, 1.0, &mut rng, &mut errors);
            if errors.is_empty() {
                assert_eq!(typed, "Đặng Thị Hòa");
            }
            if errors == ["tone_misplaced"] {
                assert_eq!(typed, "Đặng Thị Hoà");
            }
            if errors == ["tone_dropped"] {
                assert_eq!(typed, "Dang Thi Hoa");
            }
            if errors == ["middle_name_dropped"] {
                assert_eq!(typed, "Đặng Hòa");
            }
            if errors == ["d_typed_as_eth"] {
                assert_eq!(typed, "\u{00D0}ặng Thị Hòa");
            }
            for e in &errors {
                assert!(ERROR_KINDS.contains(e), "{e}");
            }
        }
    }

    #[test]
    fn typed_dates() {
        let d = PartialDate::parse("05/03/1980").unwrap();
        let mut rng = Rng::new(5);
        let mut seen = HashSet::new();
        for _ in 0..5_000 {
            let mut errors = Vec::new();
            let s = type_date(d, DateStyle::Full, 1.0, &mut rng, &mut errors);
            match errors.as_slice() {
                [] => assert_eq!(s, "05/03/1980"),
                ["dob_year_only"] => assert_eq!(s, "1980"),
                ["dob_day_month_swapped"] => assert_eq!(s, "03/05/1980"),
                ["dob_year_off_by_one"] => assert!(s == "05/03/1981" || s == "05/03/1979", "{s}"),
                other => panic!("{other:?}"),
            }
            seen.insert(errors.first().copied());
        }
        assert_eq!(seen.len(), 4);
        let mut errors = Vec::new();
        assert_eq!(
            type_date(d, DateStyle::YearOnly, 0.0, &mut rng, &mut errors),
            "1980"
        );
        assert!(errors.is_empty());
    }
}
