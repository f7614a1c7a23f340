//! `linkage`: the record-linkage benchmark. Generates a synthetic register and a hand-typed list
//! of the same size with known truth (`xaso-demo`), then links the list to the register with
//! `xaso reconcile` and with Splink 5 (DuckDB backend, in a virtualenv this program creates) on
//! the same files in the same run, and prints precision, recall, F1, wall time and peak memory
//! of each as a Markdown table. Every figure printed is measured in this run.

#[allow(dead_code)]
mod machine;
#[allow(dead_code)]
mod procs;

use std::collections::HashMap;
use std::error::Error;
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use procs::{Cmd, Timed};

const USAGE: &str = "\
linkage: precision, recall, F1, wall time and peak memory of xaso reconcile and Splink 5 on the
same synthetic register and hand-typed list, side by side.

USAGE: cargo run --release -p xaso-bench --bin linkage -- [OPTIONS]

  --sizes LIST      register persons = list rows, comma-separated, k/m suffixes allowed
                    (default 10k,100k,1m)
  --skip-splink     xaso only
  --skip-xaso       Splink only
  --work DIR        work directory: data, xaso stores, the virtualenv, reports
                    (default $CARGO_TARGET_DIR/xaso-linkage-bench, else /tmp/xaso-linkage-bench)
  --xaso PATH       the xaso binary (default: build it with cargo build --release -p xaso)
  --python PATH     the Python that creates the virtualenv (default python3)
  --seed N          generator seed (default 7)
";

struct Config {
    sizes: Vec<usize>,
    skip_splink: bool,
    skip_xaso: bool,
    work: PathBuf,
    xaso: Option<PathBuf>,
    python: String,
    seed: u64,
}

fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim().to_ascii_lowercase().replace('_', "");
    let (digits, mult) = if let Some(d) = t.strip_suffix('k') {
        (d, 1_000)
    } else if let Some(d) = t.strip_suffix('m') {
        (d, 1_000_000)
    } else {
        (t.as_str(), 1)
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("--sizes: not a size: {s:?}"))?;
    match n.checked_mul(mult) {
        Some(v) if v > 0 => Ok(v),
        _ => Err(format!("--sizes: bad size {s:?}")),
    }
}

fn parse_args() -> Result<Option<Config>, String> {
    let work = std::env::var_os("CARGO_TARGET_DIR")
        .map(|d| PathBuf::from(d).join("xaso-linkage-bench"))
        .unwrap_or_else(|| PathBuf::from("/tmp/xaso-linkage-bench"));
    let mut c = Config {
        sizes: vec![10_000, 100_000, 1_000_000],
        skip_splink: false,
        skip_xaso: false,
        work,
        xaso: None,
        python: "python3".into(),
        seed: 7,
    };
    let mut args = std::env::args().skip(1);
    let value = |args: &mut std::iter::Skip<std::env::Args>, flag: &str| {
        args.next().ok_or_else(|| format!("{flag} needs a value"))
    };
    for _ in 0..64 {
        let Some(arg) = args.next() else { break };
        match arg.as_str() {
            "--sizes" => {
                c.sizes = value(&mut args, &arg)?
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(parse_size)
                    .collect::<Result<_, _>>()?;
            }
            "--skip-splink" => c.skip_splink = true,
            "--skip-xaso" => c.skip_xaso = true,
            "--work" => c.work = PathBuf::from(value(&mut args, &arg)?),
            "--xaso" => c.xaso = Some(PathBuf::from(value(&mut args, &arg)?)),
            "--python" => c.python = value(&mut args, &arg)?,
            "--seed" => {
                let v = value(&mut args, &arg)?;
                c.seed = v
                    .parse()
                    .map_err(|_| format!("--seed: not a number: {v}"))?;
            }
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    if c.sizes.is_empty() {
        return Err("--sizes: no size given".into());
    }
    Ok(Some(c))
}

fn main() -> Result<(), Box<dyn Error>> {
    let Some(cfg) = parse_args()? else {
        return Ok(());
    };
    std::fs::create_dir_all(&cfg.work)?;
    let cfg = Config {
        work: std::fs::canonicalize(&cfg.work)?,
        ..cfg
    };
    let machine = machine();
    eprintln!(
        "== linkage benchmark: sizes {}; work directory {}",
        cfg.sizes
            .iter()
            .map(|&n| size_label(n))
            .collect::<Vec<_>>()
            .join(", "),
        cfg.work.display()
    );
    eprintln!("   {machine}");
    let time_bin = procs::gnu_time();

    // A failed build is reported in xaso's rows; the Splink side still runs.
    let xaso = if cfg.skip_xaso {
        None
    } else {
        Some(match &cfg.xaso {
            Some(p) if p.is_file() => Ok(p.clone()),
            Some(p) => Err(format!("no xaso binary at {}", p.display())),
            None => procs::build_xaso(),
        })
    };
    let splink = if cfg.skip_splink {
        None
    } else {
        Some(ensure_venv(&cfg)?)
    };

    let mut sections = Vec::new();
    let mut failures = Vec::new();
    for &n in &cfg.sizes {
        eprintln!("== {} × {}", size_label(n), size_label(n));
        let data = match ensure_data(&cfg, n) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("!! data for {n}: {e}");
                failures.push(format!("data {n}: {e}"));
                continue;
            }
        };
        let mut section = Section {
            n,
            data,
            xaso_import: None,
            xaso: None,
            splink: None,
        };
        match &xaso {
            None => {}
            Some(Err(e)) => {
                failures.push(format!("xaso {n}: {e}"));
                section.xaso = Some(Outcome::Failed(e.clone()));
            }
            Some(Ok(xaso)) => {
                let (import, run) = run_xaso(&cfg, xaso, &section.data, time_bin.as_deref());
                if let Some(Err(e)) = &import {
                    failures.push(format!("xaso import {n}: {e}"));
                }
                if let Some(Outcome::Failed(e)) = &run {
                    failures.push(format!("xaso reconcile {n}: {e}"));
                }
                section.xaso_import = import;
                section.xaso = run;
            }
        }
        if let Some(venv) = &splink {
            let run = run_splink(&cfg, venv, &section.data, time_bin.as_deref());
            if let Outcome::Failed(e) = &run {
                failures.push(format!("Splink {n}: {e}"));
            }
            section.splink = Some(run);
        }
        sections.push(section);
    }

    let md = markdown(
        &cfg,
        &machine,
        splink.as_ref(),
        &sections,
        time_bin.is_some(),
    );
    let md_path = cfg.work.join("results.md");
    std::fs::write(&md_path, &md)?;
    println!("\n{md}");
    eprintln!("(also written to {})", md_path.display());
    if !failures.is_empty() {
        return Err(failures.join("\n").into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Data

struct Data {
    register: PathBuf,
    list: PathBuf,
    truth: PathBuf,
    /// Generation time, when generated in this run.
    generated_in: Option<Duration>,
    register_rows: usize,
    list_rows: usize,
    /// List rows whose person is in the register.
    true_links: usize,
    with_id: usize,
    duplicates: usize,
}

fn ensure_data(cfg: &Config, n: usize) -> Result<Data, String> {
    let dir = cfg.work.join("data").join(format!("n{n}-seed{}", cfg.seed));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let register = dir.join("register.csv");
    let list = dir.join("list.csv");
    let truth = dir.join("list.truth.csv");
    let mut generated_in = None;
    if !(register.is_file() && list.is_file() && truth.is_file()) {
        eprintln!("   generating register and list in {}", dir.display());
        let started = Instant::now();
        let commune = xaso_demo::generate(&xaso_demo::DemoOptions {
            residents: n,
            seed: cfg.seed,
            ..xaso_demo::DemoOptions::default()
        });
        eprintln!(
            "   commune of {} persons generated in {:.1} s",
            commune.persons.len(),
            started.elapsed().as_secs_f64()
        );
        // Through temporary files, so that an interrupted run leaves nothing to reuse.
        let tmp = |p: &Path| p.with_extension("csv.tmp");
        let create = |p: &Path| {
            std::fs::File::create(tmp(p))
                .map(|f| BufWriter::with_capacity(1 << 20, f))
                .map_err(|e| format!("{}: {e}", tmp(p).display()))
        };
        let mut w = create(&register)?;
        xaso_demo::write_register_csv(&commune, &mut w)
            .map_err(|e| format!("{}: {e}", register.display()))?;
        w.flush().map_err(|e| e.to_string())?;
        drop(w);
        let (mut lw, mut tw) = (create(&list)?, create(&truth)?);
        let stats = xaso_demo::write_bench_list(
            &commune,
            &xaso_demo::BenchListOptions {
                seed: cfg.seed,
                ..xaso_demo::BenchListOptions::default()
            },
            &mut lw,
            &mut tw,
        )
        .map_err(|e| format!("{}: {e}", list.display()))?;
        lw.flush().map_err(|e| e.to_string())?;
        tw.flush().map_err(|e| e.to_string())?;
        drop((lw, tw));
        for p in [&register, &list, &truth] {
            std::fs::rename(tmp(p), p).map_err(|e| format!("{}: {e}", p.display()))?;
        }
        generated_in = Some(started.elapsed());
        eprintln!(
            "   written in {:.1} s: {} list rows, {} in the register, {} duplicates, {} with an ID",
            started.elapsed().as_secs_f64(),
            stats.rows,
            stats.in_register,
            stats.duplicates,
            stats.with_id
        );
        let mut errors = stats.errors.clone();
        errors.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let kinds: Vec<String> = errors.iter().map(|(k, c)| format!("{k} {c}")).collect();
        eprintln!("   mistakes: {}", kinds.join(", "));
    }
    let register_rows = count_rows(&register)?;
    let truth_map = read_truth(&truth)?;
    let list_rows = count_rows(&list)?;
    let true_links = truth_map.values().filter(|v| !v.is_empty()).count();
    let (with_id, duplicates) = list_facts(&list, &truth)?;
    eprintln!(
        "   register {} rows; list {} rows ({} in the register, {} with an ID, {} second entries)",
        register_rows, list_rows, true_links, with_id, duplicates
    );
    Ok(Data {
        register,
        list,
        truth,
        generated_in,
        register_rows,
        list_rows,
        true_links,
        with_id,
        duplicates,
    })
}

fn count_rows(path: &Path) -> Result<usize, String> {
    let mut r = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rec = csv::ByteRecord::new();
    let mut n = 0;
    while r
        .read_byte_record(&mut rec)
        .map_err(|e| format!("{}: {e}", path.display()))?
    {
        n += 1;
    }
    Ok(n)
}

/// Position of a column by its header (a byte-order mark ignored).
fn column(headers: &csv::StringRecord, name: &str, path: &Path) -> Result<usize, String> {
    headers
        .iter()
        .position(|h| h.trim_start_matches('\u{feff}').trim() == name)
        .ok_or_else(|| format!("{}: no column {name:?}", path.display()))
}

/// A two-column map from a CSV: `key` column → `value` column (trimmed).
fn read_map(path: &Path, key: &str, value: &str) -> Result<HashMap<String, String>, String> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let headers = r.headers().map_err(|e| e.to_string())?.clone();
    let (k, v) = (column(&headers, key, path)?, column(&headers, value, path)?);
    let mut out = HashMap::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        let key = rec.get(k).unwrap_or("").trim().to_string();
        if key.is_empty() {
            continue;
        }
        out.insert(key, rec.get(v).unwrap_or("").trim().to_string());
    }
    Ok(out)
}

fn read_truth(path: &Path) -> Result<HashMap<String, String>, String> {
    read_map(path, "row", "true_personal_id")
}

/// Rows with an ID typed, and second entries of the same person.
fn list_facts(list: &Path, truth: &Path) -> Result<(usize, usize), String> {
    let ids = read_map(list, "STT", "Số CCCD")?;
    let with_id = ids.values().filter(|v| !v.is_empty()).count();
    let mut r = csv::Reader::from_path(truth).map_err(|e| format!("{}: {e}", truth.display()))?;
    let headers = r.headers().map_err(|e| e.to_string())?.clone();
    let c = column(&headers, "errors", truth)?;
    let mut dups = 0;
    for rec in r.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        if rec
            .get(c)
            .unwrap_or("")
            .split(';')
            .any(|e| e == "duplicate")
        {
            dups += 1;
        }
    }
    Ok((with_id, dups))
}

// ---------------------------------------------------------------------------------------------
// Scoring

#[derive(Debug, Clone, Copy, Default)]
struct Score {
    links: usize,
    correct: usize,
    true_links: usize,
    /// Links made for rows of people not in the register.
    to_outsiders: usize,
}

impl Score {
    fn precision(&self) -> f64 {
        ratio(self.correct, self.links)
    }
    fn recall(&self) -> f64 {
        ratio(self.correct, self.true_links)
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Scores links (list row → personal ID; an empty ID is no link) against the truth.
fn score(links: &HashMap<String, String>, truth: &HashMap<String, String>) -> Score {
    let mut s = Score {
        true_links: truth.values().filter(|v| !v.is_empty()).count(),
        ..Score::default()
    };
    for (row, id) in links {
        if id.is_empty() {
            continue;
        }
        s.links += 1;
        match truth.get(row).map(String::as_str) {
            Some(t) if t == id => s.correct += 1,
            Some("") => s.to_outsiders += 1,
            _ => {}
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Runs

struct Measured {
    timed: Timed,
    score: Score,
    /// Extra facts for the notes.
    notes: Vec<String>,
}

enum Outcome {
    Done(Measured),
    Skipped(String),
    Failed(String),
}

struct Section {
    n: usize,
    data: Data,
    xaso_import: Option<Result<Timed, String>>,
    xaso: Option<Outcome>,
    splink: Option<Outcome>,
}

fn fresh_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

fn describe(t: &Timed) -> String {
    format!(
        "{:.2} s, peak RSS {}",
        t.wall.as_secs_f64(),
        mib(t.peak_rss_kib)
    )
}

fn run_xaso(
    cfg: &Config,
    xaso: &Path,
    data: &Data,
    time_bin: Option<&Path>,
) -> (Option<Result<Timed, String>>, Option<Outcome>) {
    let root = cfg
        .work
        .join("xaso")
        .join(format!("n{}", data.register_rows));
    if let Err(e) = fresh_dir(&root) {
        return (Some(Err(e)), None);
    }
    let store = root.join("xaso-data");
    let import_log = root.join("import.log");
    let import = Cmd::new(xaso)
        .arg("import")
        .arg("registry")
        .arg("--data")
        .arg(&store)
        .arg(&data.register);
    eprintln!("   $ {}", import.display());
    let import = procs::run_timed(&import, &import_log, time_bin);
    match &import {
        Ok(t) => eprintln!("   xaso import: {}", describe(t)),
        Err(e) => {
            eprintln!("!! xaso import failed: {e}");
            return (Some(import), None);
        }
    }
    let report = root.join("report.csv");
    let log = root.join("reconcile.log");
    let cmd = Cmd::new(xaso)
        .arg("reconcile")
        .arg("--data")
        .arg(&store)
        .arg("--list")
        .arg(&data.list)
        .arg("--kind")
        .arg("other")
        .arg("--out")
        .arg(&report);
    eprintln!("   $ {}", cmd.display());
    let outcome = match procs::run_timed(&cmd, &log, time_bin) {
        Err(e) => {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains("unrecognized subcommand") || e.contains("unrecognized subcommand") {
                eprintln!("   xaso: reconcile not available");
                Outcome::Skipped("reconcile not available".into())
            } else {
                eprintln!("!! xaso reconcile failed: {e}");
                Outcome::Failed(e)
            }
        }
        Ok(timed) => {
            eprintln!("   xaso reconcile: {}", describe(&timed));
            match read_truth(&data.truth).and_then(|truth| score_report(&report, &truth)) {
                Ok((score, notes)) => {
                    eprintln!("   {}", score_line(&score));
                    for n in &notes {
                        eprintln!("   {n}");
                    }
                    Outcome::Done(Measured {
                        timed,
                        score,
                        notes,
                    })
                }
                Err(e) => Outcome::Failed(format!("scoring {}: {e}", report.display())),
            }
        }
    };
    (Some(import), Some(outcome))
}

/// The virtualenv with Splink: its Python and the installed Splink and DuckDB versions.
struct Venv {
    python: PathBuf,
    splink_version: String,
    duckdb_version: String,
}

fn ensure_venv(cfg: &Config) -> Result<Venv, String> {
    let dir = cfg.work.join("venv");
    let python = dir.join("bin").join("python");
    let log = cfg.work.join("venv.log");
    if !python.is_file() {
        eprintln!("== creating the virtualenv {}", dir.display());
        procs::output(Command::new(&cfg.python).arg("-m").arg("venv").arg(&dir))
            .map_err(|e| format!("python -m venv: {e}"))?;
    }
    let versions = |python: &Path| {
        procs::output(Command::new(python).args([
            "-c",
            "import splink, duckdb; print(splink.__version__, duckdb.__version__)",
        ]))
    };
    let found = versions(&python)
        .ok()
        .filter(|v| v.trim_start().starts_with("5."));
    let text = match found {
        Some(v) => v,
        None => {
            eprintln!("== pip install 'splink==5.*' (log: {})", log.display());
            let pip = Cmd::new(&python)
                .arg("-m")
                .arg("pip")
                .arg("install")
                .arg("--disable-pip-version-check")
                .arg("splink==5.*");
            procs::run_timed(&pip, &log, None).map_err(|e| format!("pip install: {e}"))?;
            versions(&python)?
        }
    };
    let mut parts = text.split_whitespace();
    let splink_version = parts.next().unwrap_or("?").to_string();
    let duckdb_version = parts.next().unwrap_or("?").to_string();
    eprintln!("   Splink {splink_version}, DuckDB {duckdb_version}");
    Ok(Venv {
        python,
        splink_version,
        duckdb_version,
    })
}

fn run_splink(cfg: &Config, venv: &Venv, data: &Data, time_bin: Option<&Path>) -> Outcome {
    let root = cfg
        .work
        .join("splink")
        .join(format!("n{}", data.register_rows));
    if let Err(e) = fresh_dir(&root) {
        return Outcome::Failed(e);
    }
    let links_path = root.join("links.csv");
    let summary_path = root.join("summary.json");
    let log = root.join("splink.log");
    let script = procs::workspace_root()
        .join("bench")
        .join("splink")
        .join("run_splink.py");
    let cmd = Cmd::new(&venv.python)
        .arg(&script)
        .arg("--register")
        .arg(&data.register)
        .arg("--list")
        .arg(&data.list)
        .arg("--out")
        .arg(&links_path)
        .arg("--summary")
        .arg(&summary_path)
        .arg("--tmp")
        .arg(root.join("duckdb-tmp"));
    eprintln!("   $ {}", cmd.display());
    let timed = match procs::run_timed(&cmd, &log, time_bin) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("!! Splink failed: {e}");
            return Outcome::Failed(e);
        }
    };
    eprintln!("   Splink: {}", describe(&timed));
    let scored = read_truth(&data.truth).and_then(|truth| {
        let links = read_map(&links_path, "row", "personal_id")?;
        Ok(score(&links, &truth))
    });
    let score = match scored {
        Ok(s) => s,
        Err(e) => return Outcome::Failed(format!("scoring {}: {e}", links_path.display())),
    };
    eprintln!("   {}", score_line(&score));
    let mut notes = Vec::new();
    if let Some(summary) = std::fs::read_to_string(&summary_path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    {
        if let Some(phases) = summary.get("phases").and_then(|p| p.as_array()) {
            let parts: Vec<String> = phases
                .iter()
                .filter_map(|p| {
                    let name = p.get(0)?.as_str()?;
                    let secs = p.get(1)?.as_f64()?;
                    Some(format!("{name} {secs:.1} s"))
                })
                .collect();
            notes.push(format!("phases: {}", parts.join(", ")));
        }
        if let Some(p) = summary
            .get("pairs_above_threshold")
            .and_then(|v| v.as_u64())
        {
            notes.push(format!(
                "{} pairs at or above the threshold",
                thousands(p as usize)
            ));
        }
        if let Some(t) = summary
            .get("rows_left_unlinked_by_ties")
            .and_then(|v| v.as_u64())
        {
            notes.push(format!("rows left unlinked by a tie: {t}"));
        }
        if let Some(p) = summary
            .get("probability_two_random_records_match")
            .and_then(|v| v.as_f64())
        {
            notes.push(format!("estimated prior {p:.3e}"));
        }
    }
    Outcome::Done(Measured {
        timed,
        score,
        notes,
    })
}

/// Scores `xaso reconcile`'s report: every row's `matched_personal_id` is its link, whatever
/// the outcome (as the report shows the candidate of a row left for review too). The notes
/// count the outcomes and give the figures without the rows left for review.
fn score_report(
    report: &Path,
    truth: &HashMap<String, String>,
) -> Result<(Score, Vec<String>), String> {
    let mut r = csv::Reader::from_path(report).map_err(|e| format!("{}: {e}", report.display()))?;
    let headers = r.headers().map_err(|e| e.to_string())?.clone();
    let c_row = column(&headers, "STT", report)?;
    let c_id = column(&headers, "matched_personal_id", report)?;
    let c_outcome = column(&headers, "outcome", report).ok();
    let mut links = HashMap::new();
    let mut sure = HashMap::new();
    let mut outcomes: Vec<(String, usize)> = Vec::new();
    // True links the report does not make, by the outcome it gave the row.
    let mut missed: Vec<(String, usize)> = Vec::new();
    let bump = |v: &mut Vec<(String, usize)>, key: &str| match v.iter_mut().find(|(k, _)| k == key)
    {
        Some((_, n)) => *n += 1,
        None => v.push((key.to_string(), 1)),
    };
    for rec in r.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", report.display()))?;
        let row = rec.get(c_row).unwrap_or("").trim().to_string();
        let id = rec.get(c_id).unwrap_or("").trim().to_string();
        let outcome = c_outcome
            .and_then(|c| rec.get(c))
            .unwrap_or("")
            .trim()
            .to_string();
        if !outcome.contains("review") {
            sure.insert(row.clone(), id.clone());
        }
        if truth.get(&row).is_some_and(|t| !t.is_empty() && *t != id) {
            bump(&mut missed, &outcome);
        }
        bump(&mut outcomes, &outcome);
        links.insert(row, id);
    }
    let by_count = |a: &(String, usize), b: &(String, usize)| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
    outcomes.sort_by(by_count);
    missed.sort_by(by_count);
    let list = |v: &[(String, usize)]| {
        v.iter()
            .map(|(o, n)| format!("{o} {}", thousands(*n)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let all = score(&links, truth);
    let without_review = score(&sure, truth);
    let mut notes = vec![format!("outcomes: {}", list(&outcomes))];
    if !missed.is_empty() {
        notes.push(format!(
            "true links not made (no ID or another one), by the row's outcome: {}",
            list(&missed)
        ));
    }
    if without_review.links != all.links {
        notes.push(format!(
            "without the rows left for review: precision {:.4}, recall {:.4}, F1 {:.4}",
            without_review.precision(),
            without_review.recall(),
            without_review.f1()
        ));
    }
    Ok((all, notes))
}

fn score_line(s: &Score) -> String {
    format!(
        "{} links, {} correct, {} to people not in the register; {} true links: precision {:.4}, recall {:.4}, F1 {:.4}",
        s.links,
        s.correct,
        s.to_outsiders,
        s.true_links,
        s.precision(),
        s.recall(),
        s.f1()
    )
}

// ---------------------------------------------------------------------------------------------
// Report

fn machine() -> String {
    let m = machine::Machine::measure();
    format!(
        "{}; {} CPUs ({}), {}; load average {} at the start",
        m.date,
        m.cpus,
        m.model,
        m.mem_kib
            .map(|k| format!("{:.1} GiB RAM", k as f64 / 1024.0 / 1024.0))
            .unwrap_or_default(),
        m.load_at_start
    )
}

fn size_label(n: usize) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 && n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        thousands(n)
    }
}

fn thousands(n: usize) -> String {
    machine::thousands(n as u64)
}

fn mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{:.0} MiB", k as f64 / 1024.0))
        .unwrap_or_else(|| "n/a".into())
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 120.0 {
        format!("{:.0} s ({:.1} min)", s, s / 60.0)
    } else {
        format!("{s:.2} s")
    }
}

fn markdown(
    cfg: &Config,
    machine: &str,
    venv: Option<&Venv>,
    sections: &[Section],
    gnu_time: bool,
) -> String {
    let splink_name = venv.map_or_else(
        || "Splink".to_string(),
        |v| format!("Splink {} (DuckDB {})", v.splink_version, v.duckdb_version),
    );
    let mut md = String::new();
    let _ = writeln!(md, "### Record linkage: xaso vs Splink\n");
    let load_now = std::fs::read_to_string("/proc/loadavg")
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" / "))
        .unwrap_or_default();
    let _ = writeln!(md, "- Machine: {machine}, {load_now} at the end");
    let _ = writeln!(
        md,
        "- Run: `cargo run --release -p xaso-bench --bin linkage -- --sizes {}{}{}` (seed {})",
        cfg.sizes
            .iter()
            .map(|&n| size_label(n).to_lowercase())
            .collect::<Vec<_>>()
            .join(","),
        if cfg.skip_splink {
            " --skip-splink"
        } else {
            ""
        },
        if cfg.skip_xaso { " --skip-xaso" } else { "" },
        cfg.seed
    );
    let _ = writeln!(
        md,
        "- Data: `xaso-demo` register of N persons and a hand-typed list of N rows \
         (`write_bench_list`: ~50% without ID, CMND for the ID, one wrong digit, misspelled names, \
         dropped tones, Vũ/Võ and Hoàng/Huỳnh, Văn/Thị dropped or added, day/month swapped, wrong \
         year, year only, village written differently; ~7% not in the register, ~2% second entries)"
    );
    let _ = writeln!(
        md,
        "- Scoring: a link is a list row given a personal ID; precision = correct links / links \
         made, recall = correct links / list rows whose person is in the register (second \
         entries included)"
    );
    let _ = writeln!(
        md,
        "- Wall time and peak memory of the matching process, from start to exit ({}); \
         `xaso import registry` into an empty store is timed on its own line and is not part of \
         xaso's matching time; Splink reads both CSV files itself within its time",
        if gnu_time {
            "`/usr/bin/time -v`, maximum resident set size"
        } else {
            "peak from sampling `VmHWM` in `/proc/PID/status`"
        }
    );
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "| Size | Matcher | Precision | Recall | F1 | Wall time | Peak memory | Splink time / xaso time |"
    );
    let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|");
    let mut notes: Vec<String> = Vec::new();
    for s in sections {
        let size = format!("{} × {}", size_label(s.n), size_label(s.n));
        let xaso_wall = match &s.xaso {
            Some(Outcome::Done(m)) => Some(m.timed.wall),
            _ => None,
        };
        if let Some(import) = &s.xaso_import {
            let (wall, peak) = match import {
                Ok(t) => (secs(t.wall), mib(t.peak_rss_kib)),
                Err(_) => ("failed".into(), String::new()),
            };
            let _ = writeln!(
                md,
                "| {size} | xaso `import registry` (setup, not matching) | | | | {wall} | {peak} | |"
            );
        }
        let mut row = |name: &str, outcome: &Option<Outcome>, is_splink: bool| {
            let Some(o) = outcome else { return };
            match o {
                Outcome::Done(m) => {
                    let ratio = if is_splink {
                        xaso_wall
                            .map(|x| {
                                format!("{:.2}×", m.timed.wall.as_secs_f64() / x.as_secs_f64())
                            })
                            .unwrap_or_else(|| "n/a".into())
                    } else {
                        String::new()
                    };
                    let _ = writeln!(
                        md,
                        "| {size} | {name} | {:.4} | {:.4} | {:.4} | {} | {} | {ratio} |",
                        m.score.precision(),
                        m.score.recall(),
                        m.score.f1(),
                        secs(m.timed.wall),
                        mib(m.timed.peak_rss_kib),
                    );
                    let mut facts = vec![format!(
                        "{} links made, {} correct, {} to rows of people not in the register, {} true links",
                        thousands(m.score.links),
                        thousands(m.score.correct),
                        thousands(m.score.to_outsiders),
                        thousands(m.score.true_links)
                    )];
                    facts.extend(m.notes.iter().cloned());
                    notes.push(format!("{size}, {name}: {}", facts.join("; ")));
                }
                Outcome::Skipped(why) => {
                    let _ = writeln!(md, "| {size} | {name} | {why} | | | | | |");
                }
                Outcome::Failed(e) => {
                    let first = e.lines().next().unwrap_or("");
                    let _ = writeln!(md, "| {size} | {name} | failed: {first} | | | | | |");
                }
            }
        };
        row("xaso `reconcile`", &s.xaso, false);
        row(&splink_name, &s.splink, true);
    }
    let _ = writeln!(md);
    let _ = writeln!(md, "Data:\n");
    for s in sections {
        let d = &s.data;
        let _ = writeln!(
            md,
            "- {}: register {} persons; list {} rows, {} of people in the register ({} second entries), {} with an ID number typed{}",
            size_label(s.n),
            thousands(d.register_rows),
            thousands(d.list_rows),
            thousands(d.true_links),
            thousands(d.duplicates),
            thousands(d.with_id),
            d.generated_in
                .map(|g| format!("; generated in {:.1} s", g.as_secs_f64()))
                .unwrap_or_default()
        );
    }
    if !notes.is_empty() {
        let _ = writeln!(md, "\nNotes:\n");
        for n in notes {
            let _ = writeln!(md, "- {n}");
        }
    }
    md
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10k").unwrap(), 10_000);
        assert_eq!(parse_size("1M").unwrap(), 1_000_000);
        assert_eq!(parse_size("2500").unwrap(), 2_500);
        assert!(parse_size("k").is_err());
        assert!(parse_size("0").is_err());
        assert_eq!(size_label(100_000), "100k");
        assert_eq!(size_label(1_000_000), "1M");
        assert_eq!(size_label(2_500), "2,500");
    }

    #[test]
    fn scores() {
        let truth: HashMap<String, String> = [("1", "A"), ("2", "B"), ("3", ""), ("4", "C")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let links: HashMap<String, String> = [("1", "A"), ("2", "X"), ("3", "D"), ("4", "")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let s = score(&links, &truth);
        assert_eq!(
            (s.links, s.correct, s.true_links, s.to_outsiders),
            (3, 1, 3, 1)
        );
        assert!((s.precision() - 1.0 / 3.0).abs() < 1e-12);
        assert!((s.recall() - 1.0 / 3.0).abs() < 1e-12);
        assert!((s.f1() - 1.0 / 3.0).abs() < 1e-12);
    }
}
