//! The register file the benchmark loads, and the requests drawn from it.

use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::http::{url_encode, XorShift};

/// The register file: generated once per (persons, seed), reused when present.
pub struct RegisterFile {
    pub rows: u64,
    pub bytes: u64,
    /// Time to generate and write it, when it was generated in this run.
    pub generated_in: Option<Duration>,
    pub columns: usize,
}

/// Generates the synthetic commune in-process and writes its register as CSV (through a
/// temporary file, so that an interrupted run leaves no truncated file to reuse).
pub fn ensure_register_csv(path: &Path, persons: usize, seed: u64) -> Result<RegisterFile, String> {
    let mut generated_in = None;
    if !path.exists() {
        let started = Instant::now();
        let tmp = path.with_extension("csv.tmp");
        let opts = xaso_demo::DemoOptions {
            residents: persons,
            seed,
            ..xaso_demo::DemoOptions::default()
        };
        let commune = xaso_demo::generate(&opts);
        let file = std::fs::File::create(&tmp)
            .map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        xaso_demo::write_register_csv(&commune, &mut w)
            .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        w.flush()
            .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        drop(w);
        drop(commune);
        std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))?;
        generated_in = Some(started.elapsed());
    }
    let bytes = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let columns = reader.headers().map_err(|e| e.to_string())?.len();
    let mut rows = 0u64;
    let mut record = csv::ByteRecord::new();
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| format!("{}: {e}", path.display()))?
    {
        rows += 1;
    }
    Ok(RegisterFile {
        rows,
        bytes,
        generated_in,
        columns,
    })
}

/// Requests drawn from the register file.
pub struct Samples {
    pub lookup_paths: Vec<String>,
    pub lookup_unknown: usize,
    pub search_paths: Vec<String>,
    pub search_with_year: usize,
    /// A few known IDs, unknown IDs and queries to check answers before measuring.
    pub check_known: Vec<String>,
    pub check_unknown: Vec<String>,
}

/// Reads personal IDs, names and birth years from the file and builds request paths:
/// `lookups` ID lookups (`unknown_pct`% of them for IDs not in the register) and `searches`
/// name searches typed without tones (30% with the birth year).
pub fn draw_samples(
    path: &Path,
    lookups: usize,
    searches: usize,
    unknown_pct: usize,
    seed: u64,
) -> Result<Samples, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let col = |wanted: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == wanted)
            .ok_or_else(|| format!("{}: no column {wanted:?}", path.display()))
    };
    let (c_id, c_name, c_dob) = (
        col("Số định danh cá nhân")?,
        col("Họ và tên")?,
        col("Ngày sinh")?,
    );
    let mut ids: Vec<String> = Vec::new();
    let mut names: Vec<(String, Option<String>)> = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        let id = rec.get(c_id).unwrap_or_default().to_string();
        let name = rec.get(c_name).unwrap_or_default();
        let dob = rec.get(c_dob).unwrap_or_default();
        let year = dob
            .get(dob.len().saturating_sub(4)..)
            .filter(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_string);
        ids.push(id);
        names.push((name.to_string(), year));
    }
    if ids.is_empty() {
        return Err(format!("{} holds no persons", path.display()));
    }
    let mut rng = XorShift::new(seed);
    let known: HashSet<&str> = ids.iter().map(String::as_str).collect();

    let mut unknown_ids = Vec::new();
    let wanted_unknown = (lookups * unknown_pct / 100).max(1);
    // An unknown ID: a known one with its 6-digit serial redrawn (so the number stays valid).
    for _ in 0..wanted_unknown * 20 {
        if unknown_ids.len() >= wanted_unknown {
            break;
        }
        let base = &ids[rng.below(ids.len())];
        if base.len() != 12 {
            continue;
        }
        let candidate = format!("{}{:06}", &base[..6], rng.below(1_000_000));
        if !known.contains(candidate.as_str()) {
            unknown_ids.push(candidate);
        }
    }
    let mut lookup_paths = Vec::with_capacity(lookups);
    let mut lookup_unknown = 0;
    let mut check_known = Vec::new();
    for i in 0..lookups {
        let unknown = !unknown_ids.is_empty() && (rng.below(100) < unknown_pct);
        let id = if unknown {
            lookup_unknown += 1;
            unknown_ids[i % unknown_ids.len()].clone()
        } else {
            let id = ids[rng.below(ids.len())].clone();
            if check_known.len() < 20 {
                check_known.push(id.clone());
            }
            id
        };
        lookup_paths.push(format!("/api/v1/persons/{id}"));
    }

    let mut search_paths = Vec::with_capacity(searches);
    let mut search_with_year = 0;
    for _ in 0..searches {
        let (name, year) = &names[rng.below(names.len())];
        let mut q = xaso_domain::name::stripped_key(name);
        if q.is_empty() {
            continue;
        }
        if let Some(y) = year {
            if rng.below(100) < 30 {
                q.push(' ');
                q.push_str(y);
                search_with_year += 1;
            }
        }
        search_paths.push(format!("/api/v1/persons?q={}", url_encode(&q)));
    }
    Ok(Samples {
        lookup_paths,
        lookup_unknown,
        search_paths,
        search_with_year,
        check_known,
        check_unknown: unknown_ids.into_iter().take(5).collect(),
    })
}
