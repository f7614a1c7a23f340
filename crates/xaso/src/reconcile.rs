//! `xaso reconcile`: a sector list (CSV or XLSX, typed by hand) against the population
//! register. Every row gets an outcome, the report keeps the list's columns and adds the
//! outcome, the matched person, the match weight and what differs; a summary gives the plan's
//! four measures (đúng, đủ, sạch, sống).

use std::path::Path;
use std::time::Instant;

use xaso_linkage::engine::{LinkOptions, Linker, ListRecord};
pub use xaso_linkage::reconcile::parse_override;
use xaso_linkage::reconcile::report::{self, ReportLine};
use xaso_linkage::reconcile::{self, map_columns, ListField, Outcome};
use xaso_store::Store;
use xaso_tables::xlsx;
use xaso_tables::{open_rows, write_csv};

pub struct ReconcileArgs<'a> {
    pub list: &'a Path,
    pub kind: &'a str,
    pub out: &'a Path,
    pub overrides: Vec<(ListField, String)>,
    pub actor: String,
}

/// Runs a reconciliation and writes the report; progress and the summary go to standard error.
pub fn reconcile(db: &dyn Store, args: &ReconcileArgs<'_>) -> Result<(), String> {
    let started = Instant::now();
    let (headers, rows) = open_rows(args.list)?;
    let columns = map_columns(&headers, &args.overrides)?;
    let mut mapped: Vec<String> = ListField::ALL
        .iter()
        .filter_map(|f| {
            columns
                .get(f)
                .map(|&i| format!("{}={}", f.as_str(), headers[i]))
        })
        .collect();
    mapped.sort();
    eprintln!("columns: {}", mapped.join(", "));
    let mut table: Vec<Vec<String>> = Vec::new();
    let mut records: Vec<ListRecord> = Vec::new();
    let mut repairs: Vec<Vec<String>> = Vec::new();
    for row in rows {
        let (line, cells) = row.map_err(|e| format!("line {}: {}", e.line, e.rule))?;
        let texts: Vec<String> = cells.iter().map(|c| c.display()).collect();
        if texts.iter().all(|t| t.trim().is_empty()) {
            continue;
        }
        records.push(reconcile::record_of(line, &texts, &columns));
        repairs.push(reconcile::legacy_repairs(&texts, &columns));
        table.push(texts);
    }
    eprintln!(
        "{} rows read from {} in {:.1}s",
        records.len(),
        args.list.display(),
        started.elapsed().as_secs_f64()
    );
    let stage = Instant::now();

    let mut register = Vec::new();
    db.for_each_person_unordered(&mut |p| {
        register.push(p.person);
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    if register.is_empty() {
        return Err("the register is empty: load it first with `xaso import registry`".into());
    }
    eprintln!(
        "{} persons read from the register in {:.1}s",
        register.len(),
        stage.elapsed().as_secs_f64()
    );
    let stage = Instant::now();
    let commune_code = db.get_meta("commune_code").map_err(|e| e.to_string())?;
    let linker = Linker::new(register);
    let progress = |stage: &str, done: usize, total: usize| {
        if total > 0 {
            eprintln!("  {stage}: {done}/{total}");
        } else {
            eprintln!("  {stage}");
        }
    };
    let result = reconcile::reconcile(
        &linker,
        &records,
        commune_code.as_deref(),
        &LinkOptions::default(),
        &progress,
    );
    let register = linker.register();
    eprintln!("matched in {:.1}s", stage.elapsed().as_secs_f64());
    let stage = Instant::now();

    // The report: the list's columns, then what we found.
    let width = headers.len();
    let records_len = records.len();
    // The list's parsed fields are no longer needed; the report is built from the raw cells.
    drop(records);
    let repaired = repairs.iter().filter(|r| !r.is_empty()).count();
    if repaired > 0 {
        eprintln!("{repaired} rows had cells typed in a legacy font encoding (TCVN3/VNI), repaired and listed in differences");
    }
    let lines =
        result
            .rows
            .iter()
            .zip(table.iter_mut())
            .zip(&repairs)
            .map(|((r, cells), fixes)| {
                let person = r.person.map(|i| &register[i]);
                let mut differences = fixes.clone();
                differences.extend(r.differences.iter().cloned());
                ReportLine {
                    cells: std::mem::take(cells),
                    outcome: r.outcome,
                    personal_id: person
                        .map(|p| p.personal_id.to_string())
                        .unwrap_or_default(),
                    full_name: person.map(|p| p.full_name.clone()).unwrap_or_default(),
                    weight: r.weight,
                    probability: r.probability,
                    differences: differences.join("; "),
                }
            });
    let xlsx_report = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if xlsx_report {
        let sheets = report::workbook(
            &headers,
            lines,
            |o| result.count(o) as u64,
            &result.measures,
        );
        xlsx::write(args.out, &sheets)?;
        std::mem::forget(sheets);
    } else {
        let rows: Vec<Vec<String>> = lines.map(|l| l.into_csv(width)).collect();
        write_csv(args.out, &report::header(&headers), &rows)?;
        std::mem::forget(rows);
    }
    let measures = result.measures.labelled();
    for o in Outcome::ALL {
        eprintln!("  {:<28} {:>8}", o.code(), result.count(o));
    }
    for (vi, _, value) in measures {
        eprintln!("  {vi}: {value:.1}%");
    }
    for b in &result.link.blocking {
        eprintln!(
            "  blocking {:<28} {:>12} pairs ({} new)",
            b.rule, b.pairs, b.new_pairs
        );
    }
    audit(db, args, records_len)?;
    eprintln!(
        "report written to {} in {:.1}s ({:.1}s in all)",
        args.out.display(),
        stage.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    // A million-row run holds gigabytes in many small allocations: the process is about to
    // end, so leave them to the operating system instead of freeing them one by one.
    std::mem::forget((linker, result, table));
    Ok(())
}

fn audit(db: &dyn Store, args: &ReconcileArgs<'_>, rows: usize) -> Result<(), String> {
    let file = args
        .list
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut record =
        xaso_store::AuditRecord::now(&args.actor, "cli", "register.reconcile", "reconcile");
    record.reason = Some(format!("{} list {file:?}, {rows} rows", args.kind));
    db.append_audit(&[record])
        .map_err(|e| format!("cannot write the audit log: {e}"))
}
