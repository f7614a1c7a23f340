//! The engine end to end, on a small demo commune and hand-typed rows.

use std::sync::OnceLock;

use xaso_domain::register::Person;
use xaso_domain::{Cmnd, PartialDate, PersonalId, Sex};

use super::*;

/// A small demo register, shared by the tests.
fn commune() -> &'static xaso_demo::DemoCommune {
    static C: OnceLock<xaso_demo::DemoCommune> = OnceLock::new();
    C.get_or_init(|| {
        xaso_demo::generate(&xaso_demo::DemoOptions {
            residents: 3_000,
            ..Default::default()
        })
    })
}

fn row(row: usize, name: &str, dob: &str, sex: &str, id: &str, village: &str) -> ListRecord {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    ListRecord {
        row,
        full_name: opt(name),
        date_of_birth: opt(dob),
        sex: opt(sex),
        id_number: opt(id),
        phone: None,
        village: opt(village),
    }
}

/// A row as an office would type it from a person's record, with `f` applied.
fn typed(p: &Person, n: usize, f: impl Fn(&mut ListRecord)) -> ListRecord {
    let mut r = row(
        n,
        &p.full_name,
        &p.date_of_birth.map(|d| d.to_vi()).unwrap_or_default(),
        p.sex.map_or("", Sex::label_vi),
        p.personal_id.as_str(),
        p.permanent_address.detail.as_deref().unwrap_or(""),
    );
    f(&mut r);
    r
}

/// Persons with a full date of birth, a middle name and distinct names (so that every
/// hand-made error leaves one right answer).
fn people(c: &xaso_demo::DemoCommune, n: usize) -> Vec<&Person> {
    let mut seen = std::collections::HashSet::new();
    c.persons
        .iter()
        .filter(|p| {
            p.date_of_birth.and_then(|d| d.full()).is_some()
                && p.full_name.split(' ').count() == 3
                && p.death_date.is_none()
                && seen.insert(crate::standardise::name(&p.full_name).stripped)
        })
        .take(n)
        .collect()
}

fn strip(s: &str) -> String {
    crate::standardise::name(s)
        .stripped
        .split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A list: rows of register persons with typing errors, plus people not in the register.
fn sample_list(c: &xaso_demo::DemoCommune) -> (Vec<ListRecord>, Vec<Option<usize>>) {
    let ps = people(c, 400);
    let index_of = |p: &Person| {
        c.persons
            .iter()
            .position(|q| q.personal_id == p.personal_id)
    };
    let mut list = Vec::new();
    let mut truth = Vec::new();
    for (k, p) in ps.iter().enumerate() {
        let r = typed(p, list.len() + 1, |r| match k % 8 {
            // Tones dropped, no ID.
            0 => {
                r.full_name = Some(strip(&p.full_name));
                r.id_number = None;
            }
            // Day and month swapped, no ID.
            1 => {
                if let Some(d) = p.date_of_birth.and_then(|d| d.full()) {
                    r.date_of_birth = Some(format!(
                        "{:02}/{:02}/{}",
                        u8::from(d.month()),
                        d.day(),
                        d.year()
                    ));
                }
                r.id_number = None;
            }
            // One digit wrong.
            2 => {
                let mut id: Vec<u8> = p.personal_id.as_str().bytes().collect();
                id[9] = if id[9] == b'9' { b'0' } else { id[9] + 1 };
                r.id_number = String::from_utf8(id).ok();
            }
            // Year only, village without "Thôn".
            3 => {
                r.date_of_birth = p.date_of_birth.map(|d| d.year().to_string());
                r.village = r
                    .village
                    .as_deref()
                    .map(|v| v.trim_start_matches("Thôn ").to_owned());
            }
            // Upper case, Excel dropped the leading zero.
            4 => {
                r.full_name = Some(p.full_name.to_uppercase());
                r.id_number = Some(p.personal_id.as_str()[1..].to_owned());
            }
            _ => {}
        });
        list.push(r);
        truth.push(index_of(p));
    }
    for k in 0..10 {
        list.push(row(
            list.len() + 1,
            &format!("Khổng Minh Zeta{k}"),
            &format!("0{}/02/1977", k % 9 + 1),
            "Nam",
            "",
            "Thôn 1",
        ));
        truth.push(None);
    }
    (list, truth)
}

fn linker() -> &'static Linker {
    static L: OnceLock<Linker> = OnceLock::new();
    L.get_or_init(|| Linker::new(commune().persons.clone()))
}

#[test]
fn typed_rows_link_to_their_people_and_strangers_to_nobody() {
    let (list, truth) = sample_list(commune());
    let report = linker().link(&list, &LinkOptions::default(), &no_progress);
    assert_eq!(report.rows.len(), list.len());
    let mut wrong = Vec::new();
    for ((r, want), rec) in report.rows.iter().zip(&truth).zip(&list) {
        assert_eq!(r.row, rec.row);
        let got = r
            .best
            .as_ref()
            .filter(|_| r.decision == Decision::Match)
            .map(|b| b.register_index);
        if got != *want {
            wrong.push((rec.clone(), r.decision, r.best.clone()));
        }
    }
    assert!(wrong.len() <= 2, "{} wrong: {wrong:#?}", wrong.len());
    assert!(report.model.em_iterations >= 1);
    assert!(report.model.in_register_share > 0.9 && report.model.in_register_share < 1.0);
    assert!(report
        .blocking
        .iter()
        .any(|b| b.rule == "initials_dob_swapped" && b.new_pairs > 0));
    assert!(report
        .blocking
        .iter()
        .any(|b| b.rule == "id_one_digit_or_swap" && b.new_pairs > 0));
    let stages: Vec<&str> = report.timings.iter().map(|(s, _)| s.as_str()).collect();
    assert!(stages.contains(&"em") && stages.contains(&"blocking_and_comparison"));
}

#[test]
fn explanations_add_up_to_the_weight() {
    let (list, _) = sample_list(commune());
    let report = linker().link(&list, &LinkOptions::default(), &no_progress);
    let mut seen = 0;
    for r in &report.rows {
        for c in r.best.iter().chain(&r.runner_up) {
            let names: Vec<&str> = c.fields.iter().map(|f| f.field).collect();
            assert_eq!(
                names,
                [
                    "id",
                    "family",
                    "middle",
                    "given",
                    "date_of_birth",
                    "sex",
                    "village",
                    "phone"
                ]
            );
            let sum: f64 = c.fields.iter().map(|f| f.weight).sum();
            assert!((sum - c.weight).abs() < 1e-9, "{sum} vs {}", c.weight);
            assert!((0.0..=1.0).contains(&c.probability));
            for f in &c.fields {
                if f.level == "missing" {
                    assert_eq!(f.weight, 0.0);
                }
            }
            seen += 1;
        }
    }
    assert!(seen > 400);
    // The model's weights are log2(m/u).
    for fm in &report.model.fields {
        for l in &fm.levels {
            match (l.m, l.u) {
                (Some(m), Some(u)) => {
                    assert!(
                        (l.weight - (m / u).log2()).abs() < 1e-9,
                        "{} {}",
                        fm.field,
                        l.level
                    )
                }
                _ => assert_eq!((l.level, l.weight), ("missing", 0.0)),
            }
        }
    }
}

#[test]
fn the_thread_count_changes_nothing() {
    let (list, _) = sample_list(commune());
    let one = linker().link(
        &list,
        &LinkOptions {
            threads: 1,
            ..LinkOptions::default()
        },
        &no_progress,
    );
    let two = linker().link(
        &list,
        &LinkOptions {
            threads: 2,
            ..LinkOptions::default()
        },
        &no_progress,
    );
    assert_eq!(one.rows, two.rows);
    assert_eq!(one.model, two.model);
    assert_eq!(one.blocking, two.blocking);
    assert_eq!(one.duplicates, two.duplicates);
}

#[test]
fn progress_is_reported() {
    let (list, _) = sample_list(commune());
    let calls = std::sync::Mutex::new(Vec::new());
    let _ = linker().link(&list, &LinkOptions::default(), &|stage, done, total| {
        if let Ok(mut c) = calls.lock() {
            c.push((stage.to_owned(), done, total));
        }
    });
    let calls = calls.into_inner().unwrap_or_default();
    for stage in ["standardise", "blocking", "em", "assignment", "duplicates"] {
        assert!(calls.iter().any(|(s, _, _)| s == stage), "{stage}");
    }
    assert!(calls.iter().all(|(_, done, total)| done <= total));
    // Each stage counts up.
    for stage in ["blocking", "duplicates"] {
        let done: Vec<usize> = calls.iter().filter(|c| c.0 == stage).map(|c| c.1).collect();
        assert!(done.windows(2).all(|w| w[0] <= w[1]), "{stage}: {done:?}");
    }
}

#[test]
fn duplicates_within_the_list_are_clustered() {
    let c = commune();
    let ps = people(c, 3);
    let stranger = |n: usize, name: &str| row(n, name, "12/05/1961", "Nữ", "", "Thôn 2");
    let list = vec![
        typed(ps[0], 1, |_| {}),
        stranger(2, "Khổng Thị Zeta"),
        typed(ps[1], 3, |_| {}),
        // The first person again, tones dropped and no ID: linked to the same person.
        typed(ps[0], 4, |r| {
            r.full_name = Some(strip(&ps[0].full_name));
            r.id_number = None;
        }),
        // The stranger again, in capitals.
        stranger(5, "KHỔNG THỊ ZETA"),
        typed(ps[2], 6, |_| {}),
    ];
    let report = linker().link(&list, &LinkOptions::default(), &no_progress);
    assert_eq!(report.duplicates, vec![vec![1, 4], vec![2, 5]]);
    let person = |i: usize| report.rows[i].best.as_ref().map(|b| b.register_index);
    assert!(person(0).is_some());
    assert_eq!(person(0), person(3));
    assert_eq!(report.rows[3].decision, Decision::Match);
    assert_eq!(report.rows[1].decision, Decision::NoMatch);
}

#[test]
fn one_to_one_a_namesake_row_does_not_take_a_taken_person() {
    let c = commune();
    let p = people(c, 1)[0];
    // The person, then someone else typed with the same name and year but another date and
    // ID: not a duplicate, so not that person.
    let list = vec![
        typed(p, 1, |_| {}),
        typed(p, 2, |r| {
            let y = p.date_of_birth.map_or(1970, |d| d.year());
            r.date_of_birth = Some(format!("28/12/{y}"));
            r.id_number = Some("001099123456".into());
            r.sex = Some(
                if p.sex == Some(Sex::Male) {
                    "Nữ"
                } else {
                    "Nam"
                }
                .into(),
            );
        }),
    ];
    let report = linker().link(&list, &LinkOptions::default(), &no_progress);
    assert_eq!(report.rows[0].decision, Decision::Match);
    let taken = report.rows[0].best.as_ref().map(|b| b.register_index);
    assert_ne!(
        report.rows[1].best.as_ref().map(|b| b.register_index),
        taken
    );
    assert!(report.duplicates.is_empty());
}

#[test]
fn match_one_uses_the_trained_model() {
    let c = commune();
    let (list, _) = sample_list(c);
    let report = linker().link(&list, &LinkOptions::default(), &no_progress);
    let p = people(c, 500)[450];
    let want = c
        .persons
        .iter()
        .position(|q| q.personal_id == p.personal_id);
    let form = typed(p, 1, |r| {
        r.full_name = Some(strip(&p.full_name));
        r.id_number = None;
    });
    let t = std::time::Instant::now();
    let found = linker().match_one(&report.model, &form, 3);
    let elapsed = t.elapsed();
    assert!(!found.is_empty() && found.len() <= 3);
    assert_eq!(Some(found[0].register_index), want);
    assert!(found[0].probability > 0.95, "{found:#?}");
    assert!(found.windows(2).all(|w| w[0].weight >= w[1].weight));
    let sum: f64 = found[0].fields.iter().map(|f| f.weight).sum();
    assert!((sum - found[0].weight).abs() < 1e-9);
    assert!(elapsed.as_millis() < 500, "{elapsed:?}");
    assert!(linker()
        .match_one(
            &report.model,
            &row(1, "Khổng Minh Zeta", "1901", "", "", ""),
            5
        )
        .is_empty());
}

#[test]
fn rare_names_weigh_more_than_common_ones() {
    let mut reg = Vec::new();
    let mut add = |n: u32, name: &str, year: i32| {
        let id = PersonalId::build(38, Sex::Male, year, n).expect("id");
        let mut p = Person::new(id, name);
        p.date_of_birth = PartialDate::from_year(year).ok();
        p.sex = Some(Sex::Male);
        reg.push(p);
    };
    for i in 0..300 {
        add(
            i,
            &format!(
                "Nguyễn Văn {}",
                ["An", "Bình", "Cường", "Dũng"][i as usize % 4]
            ),
            1950 + (i as i32 % 40),
        );
    }
    add(1000, "Lò Văn Pảo", 1960);
    add(1001, "Nguyễn Văn Pảo", 1961);
    let linker = Linker::new(reg);
    let list = vec![
        row(1, "Lò Văn Pảo", "1960", "Nam", "", ""),
        row(2, "Nguyễn Văn Pảo", "1961", "Nam", "", ""),
    ];
    let report = linker.link(&list, &LinkOptions::default(), &no_progress);
    let family = |i: usize| {
        report.rows[i]
            .best
            .as_ref()
            .or(report.rows[i].runner_up.as_ref())
            .and_then(|c| c.fields.iter().find(|f| f.field == "family"))
            .map(|f| (f.level, f.weight))
    };
    let (lo, nguyen) = (family(0), family(1));
    assert_eq!(lo.map(|x| x.0), Some("exact"));
    assert_eq!(nguyen.map(|x| x.0), Some("exact"));
    let (lo, nguyen) = (lo.map_or(0.0, |x| x.1), nguyen.map_or(0.0, |x| x.1));
    // Lò is 1 in 302, Nguyễn 301 in 302: log2(301) apart.
    assert!((lo - nguyen - 301f64.log2()).abs() < 1e-6, "{lo} {nguyen}");
}

#[test]
fn invalid_ids_are_explained_and_cmnd_is_recognised() {
    let mut p = Person::new(
        PersonalId::parse("038095001234").expect("id"),
        "Nguyễn Văn An",
    );
    p.date_of_birth = PartialDate::parse("07/03/1995").ok();
    p.sex = Some(Sex::Male);
    p.old_cmnd = Cmnd::parse("173456789").ok();
    let linker = Linker::new(vec![p]);
    let list = vec![
        row(1, "Nguyễn Văn An", "07/03/1995", "Nữ", "038095001234", ""),
        row(2, "Nguyễn Văn An", "07/03/1995", "Nam", "038-095-0012", ""),
        row(3, "Nguyễn Văn An", "07/03/1995", "Nam", "173456789", ""),
    ];
    let report = linker.link(&list, &LinkOptions::default(), &no_progress);
    let why = |i: usize| report.rows[i].invalid_id.clone().unwrap_or_default();
    assert!(why(0).contains("female"), "{}", why(0));
    assert!(why(1).starts_with("10 digits"), "{}", why(1));
    assert!(report.rows[2].invalid_id.is_none());
    let id_level = |i: usize| {
        report.rows[i]
            .best
            .as_ref()
            .or(report.rows[i].runner_up.as_ref())
            .and_then(|c| c.fields.first())
            .map(|f| f.level)
    };
    assert_eq!(id_level(2), Some("cmnd_matches"));
}

#[test]
fn a_linker_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Linker>();
    shared::<LinkReport>();
    shared::<Model>();
}

#[test]
fn empty_inputs() {
    let report = linker().link(&[], &LinkOptions::default(), &no_progress);
    assert!(report.rows.is_empty() && report.duplicates.is_empty());
    let empty = Linker::new(Vec::new());
    let list = vec![row(1, "Nguyễn Văn An", "1990", "", "", "")];
    let report = empty.link(&list, &LinkOptions::default(), &no_progress);
    assert_eq!(report.rows[0].decision, Decision::NoMatch);
    assert!(empty.match_one(&report.model, &list[0], 3).is_empty());
    let blank = vec![ListRecord {
        row: 7,
        ..ListRecord::default()
    }];
    let report = linker().link(&blank, &LinkOptions::default(), &no_progress);
    assert_eq!(report.rows[0].row, 7);
    assert_eq!(report.rows[0].decision, Decision::NoMatch);
}

#[test]
fn a_whole_name_weighs_by_its_own_frequency() {
    let mut reg = Vec::new();
    let mut add = |n: u32, name: &str, sex: Sex, year: i32| {
        let id = PersonalId::build(38, sex, year, n).expect("id");
        let mut p = Person::new(id, name);
        p.date_of_birth = PartialDate::parse(&format!("{:02}/03/{year}", n % 28 + 1)).ok();
        p.sex = Some(sex);
        reg.push(p);
    };
    for i in 0..200 {
        add(i, "Nguyễn Thị Lan", Sex::Female, 1950 + (i as i32 % 50));
        add(
            1000 + i,
            "Nguyễn Văn Hùng",
            Sex::Male,
            1950 + (i as i32 % 50),
        );
    }
    for i in 0..100 {
        add(2000 + i, "Trần Văn Lan", Sex::Male, 1950 + (i as i32 % 50));
    }
    add(3000, "Trần Thị Hùng", Sex::Female, 1977);
    let n = reg.len() as f64;
    let linker = Linker::new(reg);
    let list = vec![
        row(1, "Nguyễn Thị Lan", "01/03/1950", "Nữ", "", ""),
        row(2, "Trần Thị Hùng", "01/03/1977", "Nữ", "", ""),
    ];
    let report = linker.link(&list, &LinkOptions::default(), &no_progress);
    let m = |field: &str| {
        report
            .model
            .fields
            .iter()
            .find(|f| f.field == field)
            .and_then(|f| f.levels.first())
            .and_then(|l| l.m)
            .unwrap_or(f64::NAN)
    };
    let names_m = (m("family") * m("middle") * m("given")).log2();
    for (i, namesakes) in [(0, 200.0), (1, 1.0)] {
        let best = report.rows[i].best.as_ref().expect("linked");
        let w = |field: &str| {
            best.fields
                .iter()
                .find(|f| f.field == field)
                .map_or(f64::NAN, |f| f.weight)
        };
        // The three parts together: log2(m_family·m_middle·m_given / share of the name).
        let names = w("family") + w("middle") + w("given");
        let want = names_m + (n / namesakes).log2();
        assert!((names - want).abs() < 1e-9, "row {i}: {names} vs {want}");
        // Every namesake is a woman: the sex adds only log2(m).
        assert!(
            (w("sex") - m("sex").log2()).abs() < 1e-9,
            "row {i}: {}",
            w("sex")
        );
    }
}

#[test]
fn agreeing_on_a_large_village_weighs_less_than_on_a_hamlet() {
    let mut reg = Vec::new();
    for i in 0..303u32 {
        let year = 1940 + (i as i32 % 60);
        let id = PersonalId::build(38, Sex::Male, year, i).expect("id");
        let mut p = Person::new(id, format!("Lò Văn Pảo{i}"));
        p.date_of_birth = PartialDate::from_year(year).ok();
        p.sex = Some(Sex::Male);
        p.permanent_address.detail = Some(if i < 300 { "Thôn 1" } else { "Thôn 2" }.into());
        reg.push(p);
    }
    let linker = Linker::new(reg);
    let list = vec![
        row(1, "Lò Văn Pảo0", "1940", "Nam", "", "Thôn 1"),
        row(2, "Lò Văn Pảo300", "1940", "Nam", "", "thôn 2"),
    ];
    let report = linker.link(&list, &LinkOptions::default(), &no_progress);
    let village = |i: usize| {
        report.rows[i]
            .best
            .as_ref()
            .or(report.rows[i].runner_up.as_ref())
            .and_then(|c| c.fields.iter().find(|f| f.field == "village"))
            .map_or(("", f64::NAN), |f| (f.level, f.weight))
    };
    let ((l0, w0), (l1, w1)) = (village(0), village(1));
    assert_eq!((l0, l1), ("exact", "exact"));
    // 300 persons in Thôn 1, 3 in Thôn 2.
    assert!((w1 - w0 - 100f64.log2()).abs() < 1e-9, "{w0} {w1}");
}
