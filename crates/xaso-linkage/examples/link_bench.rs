//! Timing of the matching engine on the demo commune, in two processes so that the peak
//! memory measured is the engine's (plus the register and list it holds), not the demo
//! generator's:
//!
//! ```text
//! cargo run --release -p xaso-linkage --example link_bench -- prepare /tmp/bench 1000000
//! cargo run --release -p xaso-linkage --example link_bench -- run /tmp/bench [threads]
//! ```
//!
//! `prepare` generates a commune of N residents, writes its register (the fields the engine
//! reads, tab-separated) and the seven sector lists twice (seeds 1 and 2, about N rows in
//! all) with their ground truth. `run` reads them back, builds the [`Linker`], links the
//! concatenated list, and prints the time of every stage, the blocking counts, precision,
//! recall and F1 against the truth, and the peak resident memory (VmHWM).

#[path = "../src/engine/demo_lists.rs"]
#[allow(dead_code)]
mod demo_lists;

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use xaso_domain::register::{Address, Person};
use xaso_domain::{Cmnd, PartialDate, PersonalId, Sex};
// Also what `demo_lists` finds through `super::`.
use xaso_linkage::engine::{Decision, LinkOptions, LinkReport, Linker, ListRecord};

use demo_lists::{evaluate, read_list};

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("prepare") => {
            let dir = Path::new(args.get(2).ok_or("prepare DIR RESIDENTS")?);
            let n: usize = args.get(3).ok_or("prepare DIR RESIDENTS")?.parse()?;
            prepare(dir, n)
        }
        Some("run") => {
            let dir = Path::new(args.get(2).ok_or("run DIR [THREADS]")?);
            let threads = args.get(3).map_or(Ok(0), |s| s.parse())?;
            run(dir, threads)
        }
        _ => Err("usage: link_bench prepare DIR RESIDENTS | run DIR [THREADS]".into()),
    }
}

fn prepare(dir: &Path, residents: usize) -> Result<(), Error> {
    let t = Instant::now();
    let commune = xaso_demo::generate(&xaso_demo::DemoOptions {
        residents,
        ..Default::default()
    });
    std::fs::create_dir_all(dir)?;
    let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("register.tsv"))?);
    for p in &commune.persons {
        let detail = |a: &Address| a.detail.clone().unwrap_or_default();
        writeln!(
            w,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            p.personal_id,
            p.old_cmnd
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            p.full_name,
            p.date_of_birth.map(|d| d.to_iso()).unwrap_or_default(),
            p.sex.map(|s| s.as_str()).unwrap_or(""),
            detail(&p.permanent_address),
            detail(&p.current_address),
            detail(&p.temporary_address),
        )?;
    }
    w.flush()?;
    let mut rows = 0;
    for seed in [1u64, 2] {
        let sub = dir.join(format!("lists-{seed}"));
        std::fs::create_dir_all(&sub)?;
        rows += xaso_demo::write_sector_lists(&commune, &sub, seed)?
            .iter()
            .map(|l| l.rows)
            .sum::<usize>();
    }
    println!(
        "{} persons, {rows} list rows written to {} in {:.1?}",
        commune.persons.len(),
        dir.display(),
        t.elapsed()
    );
    Ok(())
}

fn read_register(path: &Path) -> Result<Vec<Person>, Error> {
    let text = std::fs::read_to_string(path)?;
    let mut out = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let [id, cmnd, name, dob, sex, perm, cur, temp] = f.as_slice() else {
            return Err(format!("bad register line {line:?}").into());
        };
        let mut p = Person::new(PersonalId::parse(id)?, *name);
        p.old_cmnd = Cmnd::parse(cmnd).ok();
        p.date_of_birth = PartialDate::parse_iso(dob).ok();
        p.sex = Sex::parse(sex);
        let addr = |s: &str| Address {
            detail: (!s.is_empty()).then(|| s.to_owned()),
            commune_code: None,
        };
        p.permanent_address = addr(perm);
        p.current_address = addr(cur);
        p.temporary_address = addr(temp);
        out.push(p);
    }
    Ok(out)
}

fn peak_rss_mib() -> f64 {
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

fn run(dir: &Path, threads: usize) -> Result<(), Error> {
    let t = Instant::now();
    let register = read_register(&dir.join("register.tsv"))?;
    let mut records: Vec<ListRecord> = Vec::new();
    let mut truth = Vec::new();
    for seed in [1u64, 2] {
        let sub = dir.join(format!("lists-{seed}"));
        for kind in xaso_demo::SECTOR_KINDS {
            let l = read_list(&sub, kind)?;
            for (mut r, id) in l.records.into_iter().zip(l.truth) {
                r.row = records.len() + 1;
                records.push(r);
                truth.push(id);
            }
        }
    }
    println!(
        "read {} register persons and {} list rows in {:.2?} (peak RSS so far {:.0} MiB)",
        register.len(),
        records.len(),
        t.elapsed(),
        peak_rss_mib()
    );
    let t = Instant::now();
    let linker = Linker::with_threads(register, threads);
    let index_time = t.elapsed();
    println!(
        "Linker::new: {:.2?} (standardised register + indexes ≈ {:.0} MiB; peak RSS {:.0} MiB)",
        index_time,
        linker.index_bytes() as f64 / 1048576.0,
        peak_rss_mib()
    );
    let options = LinkOptions {
        threads,
        ..LinkOptions::default()
    };
    let t = Instant::now();
    let report = linker.link(&records, &options, &|_, _, _| {});
    let link_time = t.elapsed();
    for (stage, d) in &report.timings {
        println!("  {stage:<26} {d:>10.2?}");
    }
    println!(
        "link: {link_time:.2?}; total with Linker::new {:.2?}",
        link_time + index_time
    );
    let pairs: usize = report.blocking.iter().map(|b| b.new_pairs).sum();
    println!("blocking ({pairs} distinct pairs):");
    for b in &report.blocking {
        println!(
            "  {:<24} {:>10} {:>10} {:>6}",
            b.rule, b.pairs, b.new_pairs, b.capped_blocks
        );
    }
    let (s, _) = evaluate(&linker, &report, &truth, false);
    println!(
        "precision {:.4} recall {:.4} F1 {:.4}; duplicate clusters {}; EM {} iterations; rho {:.4}",
        s.precision(),
        s.recall(),
        s.f1(),
        report.duplicates.len(),
        report.model.em_iterations,
        report.model.in_register_share
    );
    // A desk form at a time against the trained model: the first 1,000 rows again.
    let t = Instant::now();
    let forms = records.len().min(1000);
    let mut found = 0;
    for r in &records[..forms] {
        found += usize::from(!linker.match_one(&report.model, r, 5).is_empty());
    }
    println!(
        "match_one: {:.2?} per record ({found}/{forms} with candidates)",
        t.elapsed() / forms.max(1) as u32
    );
    println!("peak RSS (VmHWM): {:.0} MiB", peak_rss_mib());
    Ok(())
}
