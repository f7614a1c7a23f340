//! Files of rows, in and out: CSV (UTF-8, delimiter sniffed) and spreadsheets (XLSX, XLS, ODS
//! through calamine) read as cells with their line numbers, from a path ([`open_rows`]) or from
//! an upload's bytes ([`open_bytes`]); CSV (with a byte-order mark for Excel) and XLSX
//! ([`xlsx`]) written for reports. No rules about what the columns mean.

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
    let name = path.display().to_string();
    match ext.as_str() {
        "xlsx" | "xlsm" | "xls" | "ods" => {
            let book = calamine::open_workbook_auto(path).map_err(|e| format!("{name}: {e}"))?;
            read_spreadsheet(book, &name)
        }
        _ => {
            let mut file = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
            let mut head = [0u8; 4096];
            let n = file.read(&mut head).map_err(|e| format!("{name}: {e}"))?;
            let file = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
            read_csv(
                &head[..n],
                std::io::BufReader::with_capacity(1 << 20, file),
                &name,
            )
        }
    }
}

/// What a file's first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A ZIP container (XLSX, XLSM, ODS).
    Zip,
    /// An OLE compound file (XLS of Excel 97–2003).
    Ole,
    Text,
}

pub fn sniff(bytes: &[u8]) -> Format {
    if bytes.starts_with(b"PK\x03\x04") {
        Format::Zip
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Format::Ole
    } else {
        Format::Text
    }
}

/// Reads an uploaded file: a spreadsheet (XLSX, XLSM, XLS, ODS) when its bytes say so, else
/// CSV; `file_name` only names the file in messages (and refuses a "spreadsheet" that is
/// not one). The same rules as [`open_rows`].
pub fn open_bytes(file_name: &str, bytes: &[u8]) -> Result<(Vec<String>, Rows), String> {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match sniff(bytes) {
        Format::Zip | Format::Ole => {
            let book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
                .map_err(|e| format!("{file_name}: not a readable spreadsheet ({e})"))?;
            read_spreadsheet(book, file_name)
        }
        Format::Text if matches!(ext.as_str(), "xlsx" | "xlsm" | "xls" | "ods") => Err(format!(
            "{file_name}: the name says spreadsheet but the content is not one; save it again from Excel or LibreOffice"
        )),
        Format::Text => {
            let head = &bytes[..bytes.len().min(4096)];
            read_csv(head, std::io::Cursor::new(bytes.to_vec()), file_name)
        }
    }
}

/// CSV from `reader`, whose first bytes are `head` (for the encoding and delimiter).
fn read_csv<R: Read + Send + 'static>(
    head: &[u8],
    reader: R,
    name: &str,
) -> Result<(Vec<String>, Rows), String> {
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(format!(
            "{name} is UTF-16 text; save it as \"CSV UTF-8\" (or import the .xlsx directly)"
        ));
    }
    let first_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| first_line.iter().filter(|b| *b == d).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(reader);
    let headers = reader
        .byte_headers()
        .map_err(|e| format!("{name}: cannot read the header row: {e}"))?
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

/// The first sheet of a workbook.
fn read_spreadsheet<RS: std::io::Read + std::io::Seek>(
    mut book: calamine::Sheets<RS>,
    name: &str,
) -> Result<(Vec<String>, Rows), String> {
    use calamine::{Data, Reader};
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| format!("{name}: the workbook has no sheet"))?
        .map_err(|e| format!("{name}: {e}"))?;
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
        .ok_or_else(|| format!("{name}: the first sheet is empty"))?
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn texts(rows: Rows) -> Vec<(usize, Vec<String>)> {
        rows.map(|r| {
            let (line, cells) = r.unwrap();
            (line, cells.iter().map(Cell::display).collect())
        })
        .collect()
    }

    #[test]
    fn uploaded_csv_reads_like_a_csv_file() {
        let text =
            "\u{feff}STT;Họ và tên;Ngày sinh\n1;Nguyễn Thị Thuý;01/02/1990\n2;\"Lê, Văn\";1985\n";
        let (headers, rows) = open_bytes("danh sách.csv", text.as_bytes()).unwrap();
        assert_eq!(headers, vec!["STT", "Họ và tên", "Ngày sinh"]);
        let rows = texts(rows);
        assert_eq!(
            rows[0],
            (
                2,
                vec!["1".into(), "Nguyễn Thị Thuý".into(), "01/02/1990".into()]
            )
        );
        assert_eq!(rows[1].1[1], "Lê, Văn");
        // The same file from disk reads the same.
        let dir = std::env::temp_dir().join(format!("xaso-tables-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("list.csv");
        std::fs::write(&path, text).unwrap();
        let (h2, r2) = open_rows(&path).unwrap();
        assert_eq!(h2, headers);
        assert_eq!(texts(r2), rows);
        std::fs::remove_dir_all(&dir).unwrap();
        // A name without an extension is still CSV by content.
        assert!(open_bytes("list", text.as_bytes()).is_ok());
    }

    #[test]
    fn uploaded_spreadsheets_are_read_by_content() {
        let sheet = xlsx::Sheet {
            name: "DS".into(),
            header: vec!["Họ và tên".into(), "Năm sinh".into()],
            rows: vec![(
                xlsx::Fill::None,
                vec!["Trần Đức Hoà".into(), xlsx::Value::Number(1990.0)],
            )],
            widths: vec![],
        };
        let bytes = xlsx::to_bytes(&[sheet]).unwrap();
        assert_eq!(sniff(&bytes), Format::Zip);
        for name in ["ds.xlsx", "ds.csv", "ds"] {
            let (headers, rows) = open_bytes(name, &bytes).unwrap();
            assert_eq!(headers, vec!["Họ và tên", "Năm sinh"], "{name}");
            assert_eq!(
                texts(rows),
                vec![(2, vec!["Trần Đức Hoà".to_string(), "1990".to_string()])]
            );
        }
    }

    #[test]
    fn unreadable_uploads_are_named() {
        let e = open_bytes("ds.xlsx", b"STT,Ho ten\n1,A\n").err().unwrap();
        assert!(e.contains("not one"), "{e}");
        let e = open_bytes("ds.xlsx", b"PK\x03\x04garbage").err().unwrap();
        assert!(e.contains("not a readable spreadsheet"), "{e}");
        let e = open_bytes("ds.csv", &[0xFF, 0xFE, b'a', 0]).err().unwrap();
        assert!(e.contains("UTF-16"), "{e}");
        let (_, rows) = open_bytes("ds.csv", b"A,B\n\xC3\x28,x\n").unwrap();
        let first = rows.into_iter().next().unwrap().unwrap_err();
        assert!(first.rule.contains("UTF-8"), "{first:?}");
    }
}
