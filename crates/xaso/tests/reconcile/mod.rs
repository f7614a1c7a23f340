//! `xaso reconcile` on the demo commune's sector lists, as a sector office would run it.

use super::*;

/// Reads a CSV report written by `reconcile` (UTF-8 with a byte-order mark).
fn read_report(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn a_sector_list_is_reconciled_into_a_report_an_officer_can_act_on() {
    let dir = TempDir::new("reconcile");
    let data = data_arg(dir.path());
    ok(&xaso(&["demo", "--data", &data, "--residents", "3000"]));
    let lists = dir.path().join("data/lists");
    let welfare = lists.join("welfare.csv");
    let out = dir.path().join("welfare-report.csv");
    let run = xaso(&[
        "reconcile",
        "--data",
        &data,
        "--list",
        welfare.to_str().unwrap(),
        "--kind",
        "welfare",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("Đúng") && stderr.contains("Sống"),
        "{stderr}"
    );
    let (header, rows) = read_report(&out);
    let original = std::fs::read_to_string(&welfare).unwrap();
    let original_header: Vec<&str> = original.lines().next().unwrap().split(',').collect();
    assert_eq!(&header[..original_header.len()], original_header.as_slice());
    for column in [
        "outcome",
        "matched_personal_id",
        "match_weight",
        "differences",
    ] {
        assert!(header.iter().any(|h| h == column), "{column} in {header:?}");
    }
    assert_eq!(
        rows.len(),
        original.lines().count() - 1,
        "one report row per list row"
    );
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (outcome, matched) = (at("outcome"), at("matched_personal_id"));
    let known = [
        "matched_by_id",
        "matched",
        "matched_with_corrections",
        "probable_match_review",
        "not_in_register",
        "deceased",
        "moved_away",
        "duplicate_in_list",
        "invalid",
    ];
    for r in &rows {
        assert!(known.contains(&r[outcome].as_str()), "{:?}", r[outcome]);
    }

    // Scored against the generator's truth: the links made are right and few are missed.
    let truth = std::fs::read_to_string(lists.join("welfare.truth.csv")).unwrap();
    let truth: Vec<String> = truth
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap_or("").to_string())
        .collect();
    let (mut made, mut right, mut should) = (0, 0, 0);
    for (r, t) in rows.iter().zip(&truth) {
        let linked = matches!(
            r[outcome].as_str(),
            "matched_by_id" | "matched" | "matched_with_corrections" | "deceased" | "moved_away"
        );
        if linked {
            made += 1;
            if &r[matched] == t {
                right += 1;
            }
        }
        if !t.is_empty() {
            should += 1;
        }
    }
    let precision = right as f64 / made.max(1) as f64;
    let recall = right as f64 / should.max(1) as f64;
    eprintln!(
        "welfare: precision {precision:.4}, recall {recall:.4} ({right}/{made}, {should} true)"
    );
    assert!(precision >= 0.98, "precision {precision}");
    assert!(recall >= 0.90, "recall {recall}");

    // The same as a colour-coded workbook with a summary sheet.
    let xlsx = dir.path().join("welfare-report.xlsx");
    ok(&xaso(&[
        "reconcile",
        "--data",
        &data,
        "--list",
        welfare.to_str().unwrap(),
        "--out",
        xlsx.to_str().unwrap(),
    ]));
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(&xlsx).unwrap();
    assert_eq!(book.sheet_names().len(), 2);
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.rows().count(), rows.len() + 1);

    // A list without recognisable columns is refused with the way out named.
    let odd = write(dir.path(), "odd.csv", "A,B\n1,2\n");
    let run = xaso(&[
        "reconcile",
        "--data",
        &data,
        "--list",
        &odd,
        "--out",
        "x.csv",
    ]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("--column name="));
    let run = xaso(&[
        "reconcile",
        "--data",
        &data,
        "--list",
        &odd,
        "--kind",
        "pets",
        "--out",
        "x.csv",
    ]);
    assert!(String::from_utf8_lossy(&run.stderr).contains("--kind"));
}
