//! Diagnostics on the linkage benchmark's files (`bench/linkage.rs` writes them): the engine
//! run in-process on a register CSV and a hand-typed list with its truth, scored as the
//! benchmark scores `xaso reconcile` (a row is linked when it gets a person, match or review),
//! with the missed rows broken down by the kinds of mistake typed into them and the links made
//! for people not in the register explained field by field.
//!
//! ```text
//! XASO_BENCH_DATA=$CARGO_TARGET_DIR/xaso-linkage-bench/data/n100000-seed7 \
//!   cargo test --release -p xaso-linkage bench_files -- --ignored --nocapture
//! ```
//!
//! `XASO_BENCH_SHOW=N` prints N examples of each kind of error.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use xaso_domain::register::{Address, Person};
use xaso_domain::{Cmnd, PartialDate, PersonalId, Sex};

use super::demo_lists::parse_csv;
use super::*;

fn cells(line: &str) -> Vec<String> {
    parse_csv(line).into_iter().next().unwrap_or_default()
}

/// The register CSV (`xaso_domain::register::FILE_HEADERS`) as persons.
fn read_register(path: &Path) -> Vec<Person> {
    let text = std::fs::read_to_string(path).expect("register.csv");
    let mut lines = text.lines();
    let header = cells(lines.next().unwrap_or_default());
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (id, cmnd, name, dob, sex) = (
        col("Số định danh cá nhân"),
        col("Số CMND"),
        col("Họ và tên"),
        col("Ngày sinh"),
        col("Giới tính"),
    );
    let (perm, temp, cur, death) = (
        col("Nơi thường trú"),
        col("Nơi tạm trú"),
        col("Nơi ở hiện tại"),
        col("Ngày mất"),
    );
    let mut out = Vec::new();
    for line in lines {
        let c = cells(line);
        let get = |i: usize| c.get(i).map(String::as_str).unwrap_or("");
        let Ok(pid) = PersonalId::parse(get(id)) else {
            continue;
        };
        let mut p = Person::new(pid, get(name));
        p.old_cmnd = Cmnd::parse(get(cmnd)).ok();
        p.date_of_birth = PartialDate::parse(get(dob)).ok();
        p.sex = Sex::parse(get(sex));
        p.death_date = PartialDate::parse(get(death)).ok();
        let addr = |s: &str| Address {
            detail: (!s.is_empty()).then(|| s.to_owned()),
            commune_code: None,
        };
        p.permanent_address = addr(get(perm));
        p.temporary_address = addr(get(temp));
        p.current_address = addr(get(cur));
        out.push(p);
    }
    out
}

/// The list and, per row, (true personal ID, errors).
fn read_list(dir: &Path) -> (Vec<ListRecord>, Vec<(Option<String>, String)>) {
    let text = std::fs::read_to_string(dir.join("list.csv")).expect("list.csv");
    let mut lines = text.lines();
    let header = cells(lines.next().unwrap_or_default());
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let cols = [
        col("Họ và tên"),
        col("Ngày sinh"),
        col("Giới tính"),
        col("Số CCCD"),
        col("Số điện thoại"),
        col("Thôn"),
    ];
    let stt = col("STT");
    let mut records = Vec::new();
    for line in lines {
        let c = cells(line);
        let get = |i: usize| c.get(i).filter(|s| !s.is_empty()).cloned();
        records.push(ListRecord {
            row: get(stt).and_then(|s| s.parse().ok()).unwrap_or(0),
            full_name: get(cols[0]),
            date_of_birth: get(cols[1]),
            sex: get(cols[2]),
            id_number: get(cols[3]),
            phone: get(cols[4]),
            village: get(cols[5]),
        });
    }
    let text = std::fs::read_to_string(dir.join("list.truth.csv")).expect("truth");
    let truth = text
        .lines()
        .skip(1)
        .map(|l| {
            let c = cells(l);
            let id = c.get(1).cloned().filter(|s| !s.is_empty());
            (id, c.get(2).cloned().unwrap_or_default())
        })
        .collect();
    (records, truth)
}

/// Peak resident memory so far (VmHWM), MiB.
fn peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU time of the process so far (user + system), seconds.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1.to_owned();
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok());
            Some((ticks(11)? + ticks(12)?) / 100.0)
        })
        .unwrap_or(f64::NAN)
}

fn show(linker: &Linker, c: &Candidate) -> String {
    let p = &linker.register()[c.register_index];
    format!(
        "{} {:?} {:?} {:?} [{}] p={:.3} w={:.1}\n        {}",
        p.personal_id,
        p.full_name,
        p.date_of_birth.map(|d| d.to_vi()),
        p.permanent_address.detail,
        p.sex.map_or("", |s| s.label_vi()),
        c.probability,
        c.weight,
        c.fields
            .iter()
            .filter(|f| f.level != "missing")
            .map(|f| format!("{}:{}:{:+.1}", f.field, f.level, f.weight))
            .collect::<Vec<_>>()
            .join(" ")
    )
}

#[test]
#[ignore = "needs the benchmark's files: XASO_BENCH_DATA=dir"]
fn bench_files() {
    let Some(dir) = std::env::var_os("XASO_BENCH_DATA") else {
        println!("XASO_BENCH_DATA not set");
        return;
    };
    let dir = Path::new(&dir);
    let examples: usize = std::env::var("XASO_BENCH_SHOW")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let t = Instant::now();
    let register = read_register(&dir.join("register.csv"));
    let (list, truth) = read_list(dir);
    println!(
        "read {} persons, {} rows in {:.1?} (peak {:.0} MiB)",
        register.len(),
        list.len(),
        t.elapsed(),
        peak_mib()
    );
    let t = Instant::now();
    let cpu = cpu_seconds();
    let linker = Linker::new(register);
    let cpu_new = cpu_seconds() - cpu;
    println!(
        "Linker::new {:.2?}, index {:.0} MiB (peak {:.0} MiB)",
        t.elapsed(),
        linker.index_bytes() as f64 / 1048576.0,
        peak_mib()
    );
    let t = Instant::now();
    let cpu = cpu_seconds();
    let last = std::sync::Mutex::new(String::new());
    let progress = |stage: &str, _: usize, _: usize| {
        if let Ok(mut l) = last.lock() {
            if *l != stage {
                let rss = std::fs::read_to_string("/proc/self/status")
                    .ok()
                    .and_then(|s| {
                        s.lines()
                            .find(|l| l.starts_with("VmRSS:"))
                            .and_then(|l| l.split_whitespace().nth(1))
                            .and_then(|kb| kb.parse::<f64>().ok())
                    })
                    .unwrap_or(0.0);
                println!(
                    "  stage {stage}: RSS {:.0} MiB, peak {:.0} MiB",
                    rss / 1024.0,
                    peak_mib()
                );
                *l = stage.to_owned();
            }
        }
    };
    let report = linker.link(&list, &LinkOptions::default(), &progress);
    println!(
        "link {:.2?} (peak {:.0} MiB); CPU: Linker::new {cpu_new:.2} s, link {:.2} s",
        t.elapsed(),
        peak_mib(),
        cpu_seconds() - cpu
    );
    for (s, d) in &report.timings {
        println!("  {s:<26} {d:>10.2?}");
    }
    for b in &report.blocking {
        println!(
            "  {:<24} {:>10} {:>10} {:>6}",
            b.rule, b.pairs, b.new_pairs, b.capped_blocks
        );
    }
    println!(
        "rho {:.4}, EM {} iterations",
        report.model.in_register_share, report.model.em_iterations
    );
    for fm in &report.model.fields {
        let ls: Vec<String> = fm
            .levels
            .iter()
            .map(|l| {
                format!(
                    "{}={:.3}/{:.1e}/{:+.1}",
                    l.level,
                    l.m.unwrap_or(f64::NAN),
                    l.u.unwrap_or(f64::NAN),
                    l.weight
                )
            })
            .collect();
        println!("  {:<14} {}", fm.field, ls.join(" "));
    }
    let dup_rows: std::collections::HashSet<usize> = report
        .duplicates
        .iter()
        .flat_map(|c| c.iter().copied().filter(|&r| r != c[0]))
        .collect();
    let (mut links, mut correct, mut true_links, mut outsiders) = (0, 0, 0, 0);
    let (mut links_sure, mut correct_sure) = (0, 0);
    let mut missed: BTreeMap<String, usize> = BTreeMap::new();
    let mut missed_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut present_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut wrong_person = 0;
    let mut shown: BTreeMap<String, usize> = BTreeMap::new();
    let mut out_p: Vec<f64> = Vec::new();
    let mut true_not_found = 0;
    let mut true_levels: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (i, (row, (want, errors))) in report.rows.iter().zip(&truth).enumerate() {
        let got = row
            .best
            .as_ref()
            .map(|b| linker.register()[b.register_index].personal_id.to_string());
        if want.is_some() {
            true_links += 1;
            for e in errors.split(';').filter(|e| !e.is_empty()) {
                *present_kind.entry(e).or_default() += 1;
            }
        }
        if got.is_some() {
            links += 1;
            if row.decision == Decision::Match {
                links_sure += 1;
            }
        }
        let rec = &list[i];
        let typed = format!(
            "{:?} {:?} {:?} {:?} {:?}",
            rec.full_name, rec.date_of_birth, rec.sex, rec.id_number, rec.village
        );
        if let (Some(g), Some(w), Some(b)) = (&got, want, &row.best) {
            if g == w {
                for f in &b.fields {
                    *true_levels.entry((f.field, f.level)).or_default() += 1;
                }
            }
        }
        match (&got, want) {
            (Some(g), Some(w)) if g == w => {
                correct += 1;
                if row.decision == Decision::Match {
                    correct_sure += 1;
                }
                continue;
            }
            (Some(_), None) => {
                outsiders += 1;
                if let Some(b) = &row.best {
                    out_p.push(b.probability);
                }
            }
            (Some(_), Some(_)) => wrong_person += 1,
            (None, None) => continue,
            (None, Some(_)) => {}
        }
        let key = if want.is_none() {
            "OUTSIDER_LINKED".to_owned()
        } else if got.is_some() {
            format!("WRONG_PERSON {errors}")
        } else {
            format!("MISSED {errors}")
        };
        if want.is_some() {
            *missed.entry(key.clone()).or_default() += 1;
            for e in errors.split(';').filter(|e| !e.is_empty()) {
                *missed_kind.entry(e).or_default() += 1;
            }
        }
        let n = shown.entry(key.clone()).or_default();
        // Where is the true person among the blocked candidates?
        let true_cand = want.as_ref().map(|w| {
            let found = linker.match_one(&report.model, rec, 50);
            found
                .into_iter()
                .enumerate()
                .find(|(_, c)| linker.register()[c.register_index].personal_id.as_str() == w)
        });
        if matches!(true_cand, Some(None)) {
            true_not_found += 1;
        }
        if *n < examples {
            *n += 1;
            println!(
                "\n{key} row {} dup={} {:?}\n    typed {typed}",
                rec.row,
                dup_rows.contains(&rec.row),
                row.decision
            );
            if let Some(b) = &row.best {
                println!("    best {}", show(&linker, b));
            }
            if let Some(b) = &row.runner_up {
                println!("    runner-up {}", show(&linker, b));
            }
            match true_cand {
                Some(Some((k, c))) => println!("    TRUE (rank {k}) {}", show(&linker, &c)),
                Some(None) => println!("    TRUE not blocked: {:?}", want),
                None => {}
            }
        }
    }
    let p = correct as f64 / links.max(1) as f64;
    let r = correct as f64 / true_links.max(1) as f64;
    println!(
        "\nlinks {links}, correct {correct}, to outsiders {outsiders}, wrong person {wrong_person}, true links {true_links}"
    );
    println!(
        "precision {p:.4} recall {r:.4} F1 {:.4}",
        2.0 * p * r / (p + r)
    );
    let ps = correct_sure as f64 / links_sure.max(1) as f64;
    let rs = correct_sure as f64 / true_links.max(1) as f64;
    println!(
        "matches only: precision {ps:.4} recall {rs:.4} F1 {:.4}",
        2.0 * ps * rs / (ps + rs)
    );
    println!("true persons not blocked (among missed/wrong): {true_not_found}");
    out_p.sort_by(f64::total_cmp);
    let bucket = |lo: f64, hi: f64| out_p.iter().filter(|&&p| p >= lo && p < hi).count();
    println!(
        "outsider links by probability: [0.5,0.8) {} [0.8,0.95) {} [0.95,0.99) {} [0.99,1] {}",
        bucket(0.5, 0.8),
        bucket(0.8, 0.95),
        bucket(0.95, 0.99),
        bucket(0.99, 1.1)
    );
    println!("levels of the correct links (the m EM should find):");
    let mut last = "";
    let mut line = String::new();
    for ((f, l), n) in &true_levels {
        if *f != last {
            if !line.is_empty() {
                println!("{line}");
            }
            line = format!("  {f:<14}");
            last = f;
        }
        line.push_str(&format!(" {l}={:.4}", *n as f64 / correct.max(1) as f64));
    }
    println!("{line}");
    println!("missed by error kind (missed / rows with it):");
    for (k, n) in &missed_kind {
        println!(
            "  {k:<28} {n:>6} / {:>7}",
            present_kind.get(k).copied().unwrap_or(0)
        );
    }
    let mut combos: Vec<_> = missed.into_iter().collect();
    combos.sort_by_key(|c| std::cmp::Reverse(c.1));
    println!("missed by combination:");
    for (k, n) in combos.iter().take(40) {
        println!("  {n:>6} {k}");
    }
}
