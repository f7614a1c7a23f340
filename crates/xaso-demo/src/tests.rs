#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use xaso_domain::register::ResidenceEventKind;
use xaso_domain::{PartialDate, Sex};

use super::*;

/// One mid-sized commune shared by the read-only tests (generation is the slow part).
fn commune() -> &'static DemoCommune {
    static C: OnceLock<DemoCommune> = OnceLock::new();
    C.get_or_init(|| {
        generate(&DemoOptions {
            residents: 20_000,
            ..DemoOptions::default()
        })
    })
}

fn small(seed: u64) -> DemoCommune {
    generate(&DemoOptions {
        residents: 3_000,
        seed,
        ..DemoOptions::default()
    })
}

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("xaso-demo-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn same_seed_same_commune_other_seed_other_commune() {
    let a = small(7);
    let b = small(7);
    assert_eq!(a, b);
    let c = small(8);
    assert_ne!(a.persons, c.persons);

    let mut csv_a = Vec::new();
    let mut csv_b = Vec::new();
    write_register_csv(&a, &mut csv_a).unwrap();
    write_register_csv(&b, &mut csv_b).unwrap();
    assert_eq!(csv_a, csv_b);

    let da = TempDir::new("det-a");
    let db = TempDir::new("det-b");
    write_sector_lists(&a, &da.0, 7).unwrap();
    write_sector_lists(&b, &db.0, 7).unwrap();
    for kind in SECTOR_KINDS {
        for file in [format!("{kind}.csv"), format!("{kind}.truth.csv")] {
            let x = std::fs::read(da.0.join(&file)).unwrap();
            let y = std::fs::read(db.0.join(&file)).unwrap();
            assert_eq!(x, y, "{file}");
        }
    }
}

#[test]
fn exact_resident_counts() {
    for n in [0, 1, 7, 1_000] {
        let c = generate(&DemoOptions {
            residents: n,
            ..DemoOptions::default()
        });
        assert_eq!(c.persons.len(), n);
        check_household_heads(&c);
        check_references(&c);
    }
}

#[test]
fn other_communes() {
    // A ward of Hà Nội: births there carry the birthplace code 001.
    let ba_dinh = generate(&DemoOptions {
        residents: 2_000,
        commune_code: "00004".to_string(),
        ..DemoOptions::default()
    });
    assert_eq!(ba_dinh.commune_name, "Phường Ba Đình");
    assert!(ba_dinh
        .villages
        .iter()
        .all(|v| v.starts_with("Tổ dân phố ")));
    let local = ba_dinh
        .persons
        .iter()
        .filter(|p| p.personal_id.birthplace_code() == 1)
        .count();
    assert!(local > 1_500, "{local}");
    check_household_heads(&ba_dinh);
    // An unknown code still gives a commune, named after the code.
    let unknown = generate(&DemoOptions {
        residents: 500,
        commune_code: "99999".to_string(),
        ..DemoOptions::default()
    });
    assert_eq!(unknown.persons.len(), 500);
    assert_eq!(unknown.commune_name, "Xã 99999");
    check_household_heads(&unknown);
}

#[test]
fn the_commune_and_its_villages() {
    let c = commune();
    assert_eq!(c.commune_code, "16309");
    assert_eq!(c.commune_name, "Xã Thắng Lợi");
    assert!(c.villages.iter().any(|v| v == "Thôn 1"));
    assert!(c.villages.iter().all(|v| v.starts_with("Thôn ")));
    assert_eq!(
        c.villages.len(),
        c.villages.iter().collect::<HashSet<_>>().len()
    );
    // People born before the merger were registered in the old communes.
    let places: HashSet<&str> = c
        .persons
        .iter()
        .filter_map(|p| p.birth_registration_place.as_deref())
        .collect();
    for old in ["Xã Tế Lợi", "Xã Tế Nông", "Xã Tế Thắng", "Xã Trung Thành"] {
        assert!(places.iter().any(|p| p.starts_with(old)), "{old}");
    }
    assert!(places.contains("Xã Thắng Lợi, Tỉnh Thanh Hóa"));
}

#[test]
fn personal_ids_unique_and_consistent() {
    let c = commune();
    let mut ids = HashSet::new();
    for p in &c.persons {
        assert!(ids.insert(p.personal_id.as_str()), "{}", p.personal_id);
        assert!(
            p.personal_id
                .check_against(p.date_of_birth.as_ref(), p.sex)
                .is_empty(),
            "{} {:?} {:?}",
            p.personal_id,
            p.date_of_birth,
            p.sex
        );
    }
    let local = c
        .persons
        .iter()
        .filter(|p| p.personal_id.birthplace_code() == 38)
        .count();
    assert!(local * 100 / c.persons.len() > 80, "{local}");
    assert!(local < c.persons.len());
    let cmnds: Vec<&str> = c
        .persons
        .iter()
        .filter_map(|p| p.old_cmnd.as_ref().map(|c| c.as_str()))
        .collect();
    assert_eq!(cmnds.len(), cmnds.iter().collect::<HashSet<_>>().len());
    // About half of the adults born before 2000.
    let older = c
        .persons
        .iter()
        .filter(|p| {
            p.date_of_birth
                .is_some_and(|d| d.year() < 2000 && d.year() < 2008)
        })
        .count();
    let share = cmnds.len() as f64 / older as f64;
    assert!((0.35..0.6).contains(&share), "{share}");
}

fn check_household_heads(c: &DemoCommune) {
    let mut heads: HashMap<&str, Vec<&Person>> = HashMap::new();
    for p in &c.persons {
        if let Some(h) = p.household_id.as_deref() {
            assert!(p.relation_to_head.is_some());
            if p.relation_to_head.as_deref() == Some("Chủ hộ") {
                heads.entry(h).or_default().push(p);
            }
        }
    }
    for h in &c.households {
        let hs = heads.get(h.id.as_str()).map_or(&[][..], Vec::as_slice);
        assert_eq!(hs.len(), 1, "{}", h.id);
        assert_eq!(h.head_personal_id.as_ref(), Some(&hs[0].personal_id));
        assert_eq!(
            h.address.commune_code.as_deref(),
            Some(c.commune_code.as_str())
        );
        assert!(h.id.starts_with(&format!("HK-{}-", c.commune_code)));
        assert_eq!(h.id.len(), "HK-16309-000123".len());
    }
    assert_eq!(heads.len(), c.households.len());
}

fn check_references(c: &DemoCommune) {
    let by_id: HashMap<&str, &Person> = c
        .persons
        .iter()
        .map(|p| (p.personal_id.as_str(), p))
        .collect();
    for p in &c.persons {
        for r in [&p.father, &p.mother, &p.spouse] {
            if let Some(id) = &r.personal_id {
                let other = by_id.get(id.as_str()).unwrap();
                assert_eq!(r.full_name.as_deref(), Some(other.full_name.as_str()));
            }
        }
        if let Some(id) = &p.spouse.personal_id {
            assert_eq!(
                by_id[id.as_str()].spouse.personal_id.as_ref(),
                Some(&p.personal_id)
            );
        }
    }
}

#[test]
fn households_and_relations() {
    let c = commune();
    check_household_heads(c);
    check_references(c);
    let members = c
        .persons
        .iter()
        .filter(|p| p.household_id.is_some())
        .count();
    let mean = members as f64 / c.households.len() as f64;
    assert!((3.2..4.0).contains(&mean), "mean household size {mean}");
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for p in &c.persons {
        if let Some(h) = p.household_id.as_deref() {
            *sizes.entry(h).or_default() += 1;
        }
    }
    assert!(
        sizes.values().all(|&s| (1..=10).contains(&s)),
        "{:?}",
        sizes.values().max()
    );
    let relations: HashSet<&str> = c
        .persons
        .iter()
        .filter_map(|p| p.relation_to_head.as_deref())
        .collect();
    for r in [
        "Chủ hộ",
        "Vợ",
        "Chồng",
        "Con",
        "Cháu",
        "Bố",
        "Mẹ",
        "Con dâu",
        "Con rể",
    ] {
        assert!(relations.contains(r), "{r}");
    }
    // Children carry their father's family name.
    let by_id: HashMap<&str, &Person> = c
        .persons
        .iter()
        .map(|p| (p.personal_id.as_str(), p))
        .collect();
    let mut linked = 0;
    for p in &c.persons {
        if let Some(f) = p
            .father
            .personal_id
            .as_ref()
            .and_then(|f| by_id.get(f.as_str()))
        {
            linked += 1;
            assert_eq!(
                p.full_name.split(' ').next(),
                f.full_name.split(' ').next(),
                "{} / {}",
                p.full_name,
                f.full_name
            );
            assert_eq!(f.sex, Some(Sex::Male));
        }
    }
    assert!(linked > c.persons.len() / 5, "{linked}");
}

#[test]
fn twins_deaths_and_partial_dates() {
    let c = commune();
    let n = c.persons.len() as f64;
    let dead = c.persons.iter().filter(|p| p.is_deceased()).count() as f64;
    assert!((0.005..0.02).contains(&(dead / n)), "deceased {}", dead / n);
    for p in c.persons.iter().filter(|p| p.is_deceased()) {
        let (birth, death) = (p.date_of_birth.unwrap(), p.death_date.unwrap());
        assert!(death.year() >= birth.year());
        assert!(death.full().unwrap() < c.today);
    }
    // Twins: same mother, same date of birth.
    let mut births: HashMap<(String, PartialDate), usize> = HashMap::new();
    for p in &c.persons {
        if let (Some(m), Some(d)) = (&p.mother.personal_id, p.date_of_birth) {
            *births.entry((m.to_string(), d)).or_default() += 1;
        }
    }
    let twins = births.values().filter(|&&k| k == 2).count();
    assert!(twins >= 5, "{twins}");
    let year_only = c
        .persons
        .iter()
        .filter(|p| matches!(p.date_of_birth, Some(PartialDate::Year(_))))
        .count();
    let year_month = c
        .persons
        .iter()
        .filter(|p| matches!(p.date_of_birth, Some(PartialDate::YearMonth { .. })))
        .count();
    assert!(year_only > 20 && year_month > 2, "{year_only} {year_month}");
    assert!(c
        .persons
        .iter()
        .all(|p| p.date_of_birth.unwrap().full().is_none_or(|d| d < c.today)));
}

#[test]
fn population_shape() {
    let c = commune();
    let ages: Vec<i32> = c
        .persons
        .iter()
        .map(|p| c.today.year() - p.date_of_birth.unwrap().year())
        .collect();
    let share = |lo: i32, hi: i32| {
        ages.iter().filter(|&&a| (lo..=hi).contains(&a)).count() as f64 / ages.len() as f64
    };
    let children = share(0, 14);
    let old = share(65, 130);
    assert!((0.15..0.32).contains(&children), "0–14: {children}");
    assert!((0.06..0.2).contains(&old), "65+: {old}");
    assert!(ages.iter().all(|&a| (0..=110).contains(&a)));

    let n = c.persons.len() as f64;
    let family = |f: &str| {
        c.persons
            .iter()
            .filter(|p| p.full_name.split(' ').next() == Some(f))
            .count() as f64
            / n
    };
    assert!(
        (0.3..0.45).contains(&family("Nguyễn")),
        "{}",
        family("Nguyễn")
    );
    assert!(family("Trần") > 0.06 && family("Lê") > 0.05);
    let males = c
        .persons
        .iter()
        .filter(|p| p.sex == Some(Sex::Male))
        .count() as f64
        / n;
    assert!((0.45..0.55).contains(&males), "{males}");
    let ethnic: HashSet<&str> = c
        .persons
        .iter()
        .filter_map(|p| p.ethnicity.as_deref())
        .collect();
    assert!(ethnic.contains("01") && ethnic.contains("03") && ethnic.contains("04"));
    let kinh = c
        .persons
        .iter()
        .filter(|p| p.ethnicity.as_deref() == Some("01"))
        .count() as f64
        / n;
    assert!(kinh > 0.85, "{kinh}");
    assert!(c
        .persons
        .iter()
        .all(|p| p.nationality.as_deref() == Some("VN")));
    assert!(c
        .persons
        .iter()
        .any(|p| p.religion.as_deref() == Some("Công giáo")));
    assert!(c.persons.iter().any(|p| p.other_name.is_some()));
    for p in &c.persons {
        assert_eq!(xaso_domain::name::normalize(&p.full_name), p.full_name);
        assert!(p.full_name.split(' ').count() >= 3, "{}", p.full_name);
    }
}

#[test]
fn residence_events() {
    let c = commune();
    let mut kinds: HashMap<ResidenceEventKind, usize> = HashMap::new();
    let mut per_person: HashMap<&str, Vec<ResidenceEventKind>> = HashMap::new();
    for e in &c.events {
        *kinds.entry(e.kind).or_default() += 1;
        per_person
            .entry(e.personal_id.as_str())
            .or_default()
            .push(e.kind);
    }
    for k in [
        ResidenceEventKind::PermanentRegistered,
        ResidenceEventKind::PermanentDeleted,
        ResidenceEventKind::TemporaryRegistered,
        ResidenceEventKind::AbsenceDeclared,
        ResidenceEventKind::AbsenceEnded,
    ] {
        assert!(kinds.get(&k).copied().unwrap_or(0) > 0, "{k:?}");
    }
    let here = Some(c.commune_code.as_str());
    for p in &c.persons {
        let ev = per_person.get(p.personal_id.as_str()).unwrap();
        if p.household_id.is_some() {
            assert_eq!(ev.first(), Some(&ResidenceEventKind::PermanentRegistered));
            assert_eq!(p.permanent_address.commune_code.as_deref(), here);
        } else if p.temporary_address.commune_code.as_deref() == here {
            // A temporary resident from elsewhere.
            assert_eq!(ev.as_slice(), [ResidenceEventKind::TemporaryRegistered]);
            assert_ne!(p.permanent_address.commune_code.as_deref(), here);
        } else {
            // Moved away.
            assert_eq!(
                ev.as_slice(),
                [
                    ResidenceEventKind::PermanentRegistered,
                    ResidenceEventKind::PermanentDeleted
                ]
            );
            assert_ne!(p.permanent_address.commune_code.as_deref(), here);
        }
        if p.is_deceased() {
            assert_eq!(ev.last(), Some(&ResidenceEventKind::PermanentDeleted));
        }
    }
    // Every address names a commune in force.
    let u = xaso_domain::admin_units::units();
    for p in &c.persons {
        for a in [
            &p.permanent_address,
            &p.temporary_address,
            &p.current_address,
        ] {
            if let Some(code) = &a.commune_code {
                assert!(u.commune(code).is_some(), "{code}");
            }
        }
    }
}

#[test]
fn residence_histories_are_in_order() {
    let c = commune();
    let key = |d: &PartialDate| (d.year(), d.month().unwrap_or(0), d.day().unwrap_or(0));
    let mut by_person: HashMap<&str, Vec<&ResidenceEvent>> = HashMap::new();
    for e in &c.events {
        by_person.entry(e.personal_id.as_str()).or_default().push(e);
    }
    let mut moved_in = 0;
    for p in &c.persons {
        let events = &by_person[p.personal_id.as_str()];
        let dob = p.date_of_birth.unwrap();
        let mut last = key(&dob);
        for e in events {
            assert!(key(&e.date) >= last, "{} {:?}", p.personal_id, events);
            assert!(e.date.full().is_none_or(|d| d <= c.today));
            last = key(&e.date);
        }
        let first = events[0];
        // Born elsewhere and registered here: the register says where from.
        if p.household_id.is_some() && p.personal_id.birthplace_code() != 38 {
            assert!(
                first.note.as_deref().unwrap().starts_with("Chuyển đến từ "),
                "{first:?}"
            );
            moved_in += 1;
        }
        if let Some(death) = p.death_date {
            assert!(key(&death) >= key(&first.date));
        }
    }
    assert!(moved_in > 100, "{moved_in}");
}

#[test]
fn register_csv() {
    let c = small(3);
    let mut buf = Vec::new();
    write_register_csv(&c, &mut buf).unwrap();
    let mut r = csv::Reader::from_reader(buf.as_slice());
    let headers: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(headers, REGISTER_HEADERS);
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), c.persons.len());
    for (row, p) in rows.iter().zip(&c.persons) {
        assert_eq!(row.len(), REGISTER_HEADERS.len());
        assert_eq!(&row[0], p.personal_id.as_str());
        assert_eq!(&row[2], p.full_name);
        assert!(row[5] == *"Nam" || row[5] == *"Nữ");
        let dob = PartialDate::parse(&row[4]).unwrap();
        assert_eq!(Some(dob), p.date_of_birth);
        assert!(
            xaso_domain::ethnic::ethnic_by_name(&row[8]).is_some(),
            "{}",
            &row[8]
        );
    }
    let first = &rows[0];
    assert!(first[12].starts_with("Thôn "), "{}", &first[12]);
    assert_eq!(&first[13], "16309");
    assert_eq!(&first[10], "Việt Nam");
    assert_eq!(&first[24], "Chủ hộ");
    // Addresses elsewhere name their commune and province in the text: the file has no code
    // column for them.
    let away = rows
        .iter()
        .find(|r| !r[14].is_empty() && !r[14].starts_with("Thôn "))
        .unwrap();
    assert!(
        away[14].contains(", Tỉnh ") || away[14].contains(", Thành phố "),
        "{}",
        &away[14]
    );
}

#[test]
fn sector_lists_with_ground_truth() {
    let c = commune();
    let dir = TempDir::new("lists");
    let lists = write_sector_lists(c, &dir.0, 1).unwrap();
    assert_eq!(
        lists.iter().map(|l| l.kind).collect::<Vec<_>>(),
        SECTOR_KINDS
    );
    let ids: HashSet<&str> = c.persons.iter().map(|p| p.personal_id.as_str()).collect();
    let by_id: HashMap<&str, &Person> = c
        .persons
        .iter()
        .map(|p| (p.personal_id.as_str(), p))
        .collect();
    let mut all_errors: HashMap<String, usize> = HashMap::new();
    for list in &lists {
        let mut r = csv::Reader::from_path(&list.path).unwrap();
        let header_len = r.headers().unwrap().len();
        assert_eq!(r.headers().unwrap().get(0), Some("STT"));
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), list.rows);
        let expected = c.persons.len() / 100;
        assert!(list.rows >= expected / 2, "{} {}", list.kind, list.rows);
        let truth_path = dir.0.join(format!("{}.truth.csv", list.kind));
        let mut t = csv::Reader::from_path(&truth_path).unwrap();
        assert_eq!(t.headers().unwrap(), TRUTH_HEADERS.as_slice());
        let truth: Vec<csv::StringRecord> = t.records().map(Result::unwrap).collect();
        assert_eq!(truth.len(), rows.len(), "{}", list.kind);
        let mut seen = HashSet::new();
        for (k, (row, tr)) in rows.iter().zip(&truth).enumerate() {
            assert_eq!(row.len(), header_len);
            assert_eq!(tr[0], (k + 1).to_string());
            let errors: Vec<&str> = tr[2].split(';').filter(|e| !e.is_empty()).collect();
            for e in &errors {
                assert!(ERROR_KINDS.contains(e), "{e}");
                *all_errors.entry(e.to_string()).or_default() += 1;
            }
            let true_id = &tr[1];
            if true_id.is_empty() {
                assert_eq!(errors, ["not_in_register"]);
            } else {
                assert!(ids.contains(true_id));
                if errors.contains(&"deceased") {
                    assert!(by_id[true_id].is_deceased());
                }
                let first = seen.insert(true_id.to_string());
                assert_eq!(
                    !first,
                    errors.contains(&"duplicate"),
                    "{} row {}",
                    list.kind,
                    k + 1
                );
                // A row without field errors carries the register's name.
                let name_col = if list.kind == "civil-status" {
                    4
                } else if list.kind == "health-insurance" || list.kind == "sim" {
                    2
                } else {
                    1
                };
                let name_errors = errors.iter().any(|e| {
                    e.starts_with("tone")
                        || e.starts_with("middle")
                        || e.starts_with("d_typed")
                        || *e == "family_name_variant"
                        || *e == "name_upper_case"
                });
                if !name_errors {
                    assert_eq!(&row[name_col], by_id[true_id].full_name, "{}", list.kind);
                }
            }
            if !errors
                .iter()
                .any(|e| e.starts_with("id_") || *e == "old_cmnd_given")
                && !true_id.is_empty()
            {
                assert!(
                    row.iter().any(|f| f == true_id),
                    "{} row {}",
                    list.kind,
                    k + 1
                );
            }
        }
    }
    for kind in ERROR_KINDS {
        assert!(
            all_errors.contains_key(*kind),
            "{kind} never injected: {all_errors:?}"
        );
    }
}

/// Times the generation of a large commune: `cargo test -p xaso-demo --release -- --ignored
/// --nocapture million`.
#[test]
#[ignore]
fn million_residents() {
    let started = std::time::Instant::now();
    let c = generate(&DemoOptions {
        residents: 1_000_000,
        ..DemoOptions::default()
    });
    let generated = started.elapsed();
    assert_eq!(c.persons.len(), 1_000_000);
    let ids: HashSet<&str> = c.persons.iter().map(|p| p.personal_id.as_str()).collect();
    assert_eq!(ids.len(), 1_000_000);
    let dir = TempDir::new("million");
    let t = std::time::Instant::now();
    let lists = write_sector_lists(&c, &dir.0, 1).unwrap();
    let listed = t.elapsed();
    let t = std::time::Instant::now();
    write_register_csv(&c, std::io::sink()).unwrap();
    println!(
        "1,000,000 residents: generated in {:.2}s ({} households, {} events), sector lists ({} rows) in {:.2}s, register CSV in {:.2}s",
        generated.as_secs_f64(),
        c.households.len(),
        c.events.len(),
        lists.iter().map(|l| l.rows).sum::<usize>(),
        listed.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );
}

#[test]
fn card_qr_samples_parse_and_compare_as_the_desk_would() {
    use xaso_card::compare::{compare, AddressStyle, Verdict, Via};

    let c = commune();
    let samples = card_qr_samples(c, 10);
    let kinds: Vec<CardSampleKind> = samples.iter().map(|s| s.kind).collect();
    let mut expected = vec![CardSampleKind::Matching; 8];
    expected.extend([
        CardSampleKind::ToneVariant,
        CardSampleKind::DateOfBirthSwapped,
    ]);
    assert_eq!(kinds, expected);

    let persons: HashMap<&str, &Person> = c
        .persons
        .iter()
        .map(|p| (p.personal_id.as_str(), p))
        .collect();
    let predecessors: Vec<String> = xaso_domain::admin_units::units()
        .predecessors("16309")
        .iter()
        .map(|(l, _)| l.code.clone())
        .collect();
    let mut old_communes = HashSet::new();
    for s in &samples {
        let card = xaso_card::parse_qr(&s.payload).unwrap();
        assert_eq!(card.personal_id, s.personal_id);
        assert!(card.id_mismatches.is_empty(), "{}", s.payload);
        assert!(s.issue_date < time::macros::date!(2025 - 07 - 01));
        assert_eq!(card.issue_date, Some(s.issue_date));
        let person = persons[s.personal_id.as_str()];
        assert!(!person.is_deceased());

        let cmp = compare(&card, person);
        let address = cmp.row("permanent_address").unwrap();
        assert_eq!(
            address.verdict,
            Verdict::Equivalent,
            "{}: {address:?}",
            s.payload
        );
        assert_eq!(cmp.address.style, AddressStyle::Legacy);
        assert_eq!(address.current_units.len(), 1);
        assert_eq!(address.current_units[0].code, "16309");
        assert_eq!(address.current_units[0].via, Via::Whole);
        let old = cmp.address.legacy_commune().unwrap();
        assert!(predecessors.contains(&old.code), "{old:?}");
        // The village's own old commune, with its district and province.
        let village = c
            .villages
            .iter()
            .position(|v| Some(v) == person.permanent_address.detail.as_ref())
            .unwrap();
        assert_eq!(
            c.village_legacy_communes[village].as_deref(),
            Some(old.code.as_str())
        );
        assert_eq!(old.district_name, "Huyện Nông Cống");
        assert!(card
            .permanent_address
            .ends_with(", Huyện Nông Cống, Tỉnh Thanh Hóa"));
        old_communes.insert(old.code.clone());

        let verdict = |f: &str| cmp.row(f).map(|r| r.verdict);
        match s.kind {
            CardSampleKind::Matching => {
                assert_eq!(cmp.differing, 0, "{cmp:?}");
                assert_eq!(verdict("full_name"), Some(Verdict::Same));
                assert_eq!(verdict("date_of_birth"), Some(Verdict::Same));
            }
            CardSampleKind::ToneVariant => {
                assert_eq!(cmp.differing, 0, "{cmp:?}");
                assert_ne!(card.full_name, person.full_name);
                assert_eq!(verdict("full_name"), Some(Verdict::Equivalent));
            }
            CardSampleKind::DateOfBirthSwapped => {
                assert_eq!(cmp.differing, 1, "{cmp:?}");
                let dob = cmp.row("date_of_birth").unwrap();
                assert_eq!(dob.verdict, Verdict::Differs);
                assert_eq!(dob.note.as_deref(), Some("day and month are swapped"));
                assert!(cmp.warnings.is_empty());
            }
        }
        assert_eq!(verdict("personal_id"), Some(Verdict::Same));
        assert_eq!(verdict("sex"), Some(Verdict::Same));
        assert_eq!(verdict("issue_date"), Some(Verdict::CardOnly));
    }
    // The samples come from more than one of the old communes.
    assert!(old_communes.len() >= 2, "{old_communes:?}");

    // Deterministic, and a small commune gives samples too.
    assert_eq!(card_qr_samples(c, 10), samples);
    let small = small(3);
    let s = card_qr_samples(&small, 5);
    assert_eq!(s.len(), 5);
    assert!(s.iter().all(|s| xaso_card::parse_qr(&s.payload).is_ok()));
    assert!(card_qr_samples(&small, 0).is_empty());
    assert_eq!(card_qr_samples(&small, 1)[0].kind, CardSampleKind::Matching);
}

#[test]
fn a_card_issued_after_the_reform_prints_the_new_address() {
    use xaso_card::compare::{compare, Verdict};

    let c = commune();
    let sample = &card_qr_samples(c, 1)[0];
    let person = c
        .persons
        .iter()
        .find(|p| p.personal_id == sample.personal_id)
        .unwrap();
    let payload = card_qr_payload(c, person, time::macros::date!(2025 - 08 - 04));
    let card = xaso_card::parse_qr(&payload).unwrap();
    assert_eq!(
        card.permanent_address,
        format!(
            "{}, Xã Thắng Lợi, Tỉnh Thanh Hóa",
            person.permanent_address.detail.as_deref().unwrap()
        )
    );
    let cmp = compare(&card, person);
    assert_eq!(
        cmp.row("permanent_address").map(|r| r.verdict),
        Some(Verdict::Same)
    );
    // Before the reform the same person's card names the village's old commune.
    let old = card_qr_payload(c, person, sample.issue_date);
    assert_eq!(old, sample.payload);
}

#[test]
fn writes_the_card_qr_samples_file() {
    let dir = TempDir::new("card-qr");
    let path = write_card_qr_samples(&dir.0, commune(), 10).unwrap();
    assert_eq!(path, dir.0.join("card-qr-samples.txt"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, card_qr_samples_text(commune(), 10));
    let lines: Vec<&str> = text.lines().collect();
    let payloads: Vec<(usize, &str)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#'))
        .map(|(i, l)| (i, *l))
        .collect();
    assert_eq!(payloads.len(), 10);
    for (i, p) in payloads {
        // Each payload follows its own comment.
        assert!(lines[i - 1].starts_with("# "), "{}", lines[i - 1]);
        xaso_card::parse_qr(p).unwrap();
    }
    assert!(text.starts_with(
        "# Sample chip ID card QR payloads for the demo commune Xã Thắng Lợi (16309)"
    ));
}
