//! The reconciliation report as a workbook or CSV rows, one layout for the command line and
//! the pages: the list's columns, then the outcome, the register's person, the match weight
//! and what differs, colour-coded by outcome; and a summary sheet with the counts and the four
//! measures.

use xaso_tables::xlsx::{Fill, Sheet, Value};

use super::{Measures, Outcome};

/// The columns the report adds after the list's own.
pub const ADDED_COLUMNS: [&str; 7] = [
    "outcome",
    "Kết quả",
    "matched_personal_id",
    "Họ và tên trong CSDL",
    "match_weight",
    "match_probability",
    "differences",
];

/// One row of the report.
pub struct ReportLine {
    /// The row's cells as read.
    pub cells: Vec<String>,
    pub outcome: Outcome,
    pub personal_id: String,
    pub full_name: String,
    pub weight: Option<f64>,
    pub probability: Option<f64>,
    pub differences: String,
}

impl ReportLine {
    /// The CSV row: the list's `width` columns, then [`ADDED_COLUMNS`].
    pub fn into_csv(self, width: usize) -> Vec<String> {
        let mut cells = self.cells;
        cells.resize(width, String::new());
        cells.extend([
            self.outcome.code().to_string(),
            self.outcome.label_vi().to_string(),
            self.personal_id,
            self.full_name,
            self.weight.map(|w| format!("{w:.2}")).unwrap_or_default(),
            self.probability
                .map(|p| format!("{p:.4}"))
                .unwrap_or_default(),
            self.differences,
        ]);
        cells
    }

    fn into_xlsx(self, width: usize) -> (Fill, Vec<Value>) {
        let fill = fill(self.outcome);
        let (weight, probability) = (self.weight, self.probability);
        let mut values: Vec<Value> = self.into_csv(width).into_iter().map(Value::Text).collect();
        if let Some(w) = weight {
            values[width + 4] = Value::Number((w * 100.0).round() / 100.0);
        }
        if let Some(p) = probability {
            values[width + 5] = Value::Number((p * 10_000.0).round() / 10_000.0);
        }
        (fill, values)
    }
}

/// The report's header: the list's, then [`ADDED_COLUMNS`].
pub fn header(list_headers: &[String]) -> Vec<String> {
    let mut header = list_headers.to_vec();
    header.extend(ADDED_COLUMNS.map(String::from));
    header
}

pub fn fill(o: Outcome) -> Fill {
    match o {
        Outcome::MatchedById | Outcome::Matched => Fill::Green,
        Outcome::MatchedWithCorrections => Fill::Yellow,
        Outcome::Review => Fill::Orange,
        Outcome::NotInRegister | Outcome::Invalid => Fill::Red,
        Outcome::Deceased | Outcome::MovedAway => Fill::Grey,
        Outcome::Duplicate => Fill::Blue,
    }
}

/// The two sheets: the rows, and the summary (counts per outcome and the four measures).
pub fn workbook(
    list_headers: &[String],
    lines: impl IntoIterator<Item = ReportLine>,
    count: impl Fn(Outcome) -> u64,
    measures: &Measures,
) -> [Sheet; 2] {
    let width = list_headers.len();
    let rows: Vec<(Fill, Vec<Value>)> = lines.into_iter().map(|l| l.into_xlsx(width)).collect();
    let mut summary: Vec<(Fill, Vec<Value>)> = Outcome::ALL
        .iter()
        .map(|o| {
            (
                fill(*o),
                vec![
                    Value::Text(o.label_vi().into()),
                    Value::Text(o.code().into()),
                    Value::Number(count(*o) as f64),
                ],
            )
        })
        .collect();
    for (vi, code, value) in measures.labelled() {
        summary.push((
            Fill::None,
            vec![
                Value::Text(vi.into()),
                Value::Text(code.into()),
                Value::Number((value * 10.0).round() / 10.0),
            ],
        ));
    }
    let mut widths = vec![14.0; width];
    widths.extend([24.0, 28.0, 16.0, 24.0, 10.0, 10.0, 60.0]);
    [
        Sheet {
            name: "Kết quả đối chiếu".into(),
            header: header(list_headers),
            rows,
            widths,
        },
        Sheet {
            name: "Tổng hợp".into(),
            header: vec!["Chỉ tiêu".into(), "Mã".into(), "Số dòng / %".into()],
            rows: summary,
            widths: vec![44.0, 26.0, 12.0],
        },
    ]
}
