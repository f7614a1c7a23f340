//! Files of rows, in and out: CSV (UTF-8, delimiter sniffed) and spreadsheets (XLSX, XLS, ODS
//! through calamine) read as cells with their line numbers; CSV (with a byte-order mark for
//! Excel) and XLSX ([`xlsx`]) written for reports. No rules about what the columns mean.

pub mod xlsx;

use std::io::Read;
use std::path::Path;

pub use xaso_domain::name::header_key;

/// A cell as read: CSV gives text; XLSX may give numbers (and dates as serial numbers).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
}

impl Cell {
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => format_number(*n),
        }
    }
}

/// A number as a person would type it: whole numbers without ".0".
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A value that broke a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub column: String,
    pub value: String,
    pub rule: String,
}

/// Rows of a file, as cells, with their line numbers (1 = the header).
pub type Rows = Box<dyn Iterator<Item = Result<(usize, Vec<Cell>), RowError>> + Send>;

pub fn open_rows(path: &Path) -> Result<(Vec<String>, Rows), String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "xlsx" | "xlsm" | "xls" | "ods" => open_spreadsheet(path),
        _ => open_csv(path),
    }
}

fn open_csv(path: &Path) -> Result<(Vec<String>, Rows), String> {
    let mut file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut head = [0u8; 4096];
    let n = file
        .read(&mut head)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let head = &head[..n];
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(format!(
            "{} is UTF-16 text; save it as \"CSV UTF-8\" (or import the .xlsx directly)",
            path.display()
        ));
    }
    let first_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| first_line.iter().filter(|b| *b == d).count())
        .unwrap_or(b',');
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let headers = reader
        .byte_headers()
        .map_err(|e| format!("{}: cannot read the header row: {e}", path.display()))?
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim_start_matches('\u{feff}')
                .trim()
                .to_string()
        })
        .collect::<Vec<_>>();
    let rows = reader.into_byte_records().enumerate().map(|(i, rec)| {
        let line = i + 2;
        let rec = rec.map_err(|e| RowError {
            line,
            column: String::new(),
            value: String::new(),
            rule: format!("unreadable CSV row: {e}"),
        })?;
        let mut cells = Vec::with_capacity(rec.len());
        for (col, field) in rec.iter().enumerate() {
            let text = std::str::from_utf8(field).map_err(|_| RowError {
                line,
                column: format!("#{}", col + 1),
                value: String::from_utf8_lossy(field).into_owned(),
                rule: "not UTF-8 text: save the file as \"CSV UTF-8\"".into(),
            })?;
            cells.push(if text.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(text.to_string())
            });
        }
        Ok((line, cells))
    });
    Ok((headers, Box::new(rows)))
}

fn open_spreadsheet(path: &Path) -> Result<(Vec<String>, Rows), String> {
    use calamine::{Data, Reader};
    let mut book =
        calamine::open_workbook_auto(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| format!("{}: the workbook has no sheet", path.display()))?
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let to_cell = |d: &Data| match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Float(f) => Cell::Number(*f),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Bool(b) => Cell::Text(b.to_string()),
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Text(format!("#{e:?}")),
    };
    let mut rows = range.rows();
    let headers: Vec<String> = rows
        .next()
        .ok_or_else(|| format!("{}: the first sheet is empty", path.display()))?
        .iter()
        .map(|d| to_cell(d).display().trim().to_string())
        .collect();
    let all: Vec<(usize, Vec<Cell>)> = rows
        .enumerate()
        .map(|(i, r)| (i + 2, r.iter().map(to_cell).collect()))
        .collect();
    Ok((headers, Box::new(all.into_iter().map(Ok))))
}

/// Writes a CSV file Excel opens with the Vietnamese intact (UTF-8 with a byte-order mark),
/// through a temporary file, so a failed write never leaves half a file under the final name.
pub fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) -> Result<(), String> {
    let tmp = path.with_extension("csv.part");
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let result = (|| {
        let file = std::fs::File::create(&tmp).map_err(|e| err(&e))?;
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
        let mut first = header.to_vec();
        if let Some(h) = first.first_mut() {
            h.insert(0, '\u{feff}');
        }
        w.write_record(&first).map_err(|e| err(&e))?;
        for r in rows {
            w.write_record(r).map_err(|e| err(&e))?;
        }
        w.flush().map_err(|e| err(&e))?;
        drop(w);
        std::fs::rename(&tmp, path).map_err(|e| err(&e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
