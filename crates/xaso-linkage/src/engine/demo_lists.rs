//! Reading the demo's sector lists and their ground truth back from the CSV files the demo
//! writes, and scoring a [`LinkReport`] against the truth. Test support (also included by the
//! timing example); not part of the engine.

use std::path::Path;

use super::{Decision, LinkReport, Linker, ListRecord};

/// RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            c => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Which [`ListRecord`] field a sector list's column feeds.
fn column(header: &str) -> Option<usize> {
    Some(match header {
        "Họ và tên" | "Họ và tên chủ sử dụng" | "Họ và tên học sinh" | "Họ và tên chủ thuê bao" => {
            0
        }
        "Ngày sinh" | "Năm sinh" => 1,
        "Giới tính" => 2,
        "Số CCCD" | "Số định danh cá nhân" | "Số CMND/CCCD" | "Mã định danh" | "Số giấy tờ" => {
            3
        }
        "Số điện thoại" | "Số thuê bao" => 4,
        "Thôn" | "Địa chỉ thường trú" | "Địa chỉ" => 5,
        _ => return None,
    })
}

/// One list with its truth: per row, the true personal ID (None: not in the register) and
/// the error kinds the demo typed into it.
pub struct DemoList {
    pub kind: String,
    pub records: Vec<ListRecord>,
    pub truth: Vec<Option<String>>,
    pub errors: Vec<String>,
}

/// Reads `<kind>.csv` and `<kind>.truth.csv` of `dir`.
pub fn read_list(dir: &Path, kind: &str) -> std::io::Result<DemoList> {
    let data = parse_csv(&std::fs::read_to_string(dir.join(format!("{kind}.csv")))?);
    let truth = parse_csv(&std::fs::read_to_string(
        dir.join(format!("{kind}.truth.csv")),
    )?);
    let header = data.first().cloned().unwrap_or_default();
    let cols: Vec<Option<usize>> = header.iter().map(|h| column(h)).collect();
    let mut records = Vec::new();
    for (i, row) in data.iter().skip(1).enumerate() {
        let mut vals: [Option<String>; 6] = Default::default();
        for (k, cell) in row.iter().enumerate() {
            if let Some(Some(f)) = cols.get(k) {
                if !cell.is_empty() {
                    vals[*f] = Some(cell.clone());
                }
            }
        }
        let [full_name, date_of_birth, sex, id_number, phone, village] = vals;
        records.push(ListRecord {
            row: i + 1,
            full_name,
            date_of_birth,
            sex,
            id_number,
            phone,
            village,
        });
    }
    let mut ids = Vec::new();
    let mut errors = Vec::new();
    for row in truth.iter().skip(1) {
        let id = row.get(1).cloned().unwrap_or_default();
        ids.push((!id.is_empty()).then_some(id));
        errors.push(row.get(2).cloned().unwrap_or_default());
    }
    Ok(DemoList {
        kind: kind.to_owned(),
        records,
        truth: ids,
        errors,
    })
}

/// Precision, recall and F1 counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Score {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl Score {
    pub fn add(&mut self, o: Score) {
        self.true_positives += o.true_positives;
        self.false_positives += o.false_positives;
        self.false_negatives += o.false_negatives;
    }
    pub fn precision(&self) -> f64 {
        let d = self.true_positives + self.false_positives;
        if d == 0 {
            1.0
        } else {
            self.true_positives as f64 / d as f64
        }
    }
    pub fn recall(&self) -> f64 {
        let d = self.true_positives + self.false_negatives;
        if d == 0 {
            1.0
        } else {
            self.true_positives as f64 / d as f64
        }
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Scores the links a report makes (decision [`Decision::Match`]; with `review`, also
/// [`Decision::Review`]) against the truth. A wrong link is a false positive and, when the row
/// is in the register, also a false negative. Returns the score and the rows that were wrong.
pub fn evaluate(
    linker: &Linker,
    report: &LinkReport,
    truth: &[Option<String>],
    review: bool,
) -> (Score, Vec<usize>) {
    let mut s = Score::default();
    let mut wrong = Vec::new();
    for (i, (row, want)) in report.rows.iter().zip(truth).enumerate() {
        let linked = row
            .best
            .as_ref()
            .filter(|_| {
                row.decision == Decision::Match || review && row.decision == Decision::Review
            })
            .and_then(|b| linker.register().get(b.register_index))
            .map(|p| p.personal_id.to_string());
        match (linked, want) {
            (Some(got), Some(want)) if &got == want => s.true_positives += 1,
            (Some(_), Some(_)) => {
                s.false_positives += 1;
                s.false_negatives += 1;
                wrong.push(i);
            }
            (Some(_), None) => {
                s.false_positives += 1;
                wrong.push(i);
            }
            (None, Some(_)) => {
                s.false_negatives += 1;
                wrong.push(i);
            }
            (None, None) => {}
        }
    }
    (s, wrong)
}
