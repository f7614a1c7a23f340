//! A small XLSX (Office Open XML spreadsheet) writer for reports: sheets of text and numbers,
//! a bold frozen header row with a filter, and row fills. Everything is written as inline
//! strings, so there is no shared-string table to build.

use std::io::Write;
use std::path::Path;

use zip::write::SimpleFileOptions;

/// A cell of a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}

/// Row fills (the report colours outcomes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    None,
    Green,
    Yellow,
    Orange,
    Red,
    Grey,
    Blue,
}

impl Fill {
    /// The cell style index in `styles.xml` (0 plain, 1 header, 2.. fills).
    fn style(self) -> usize {
        match self {
            Fill::None => 0,
            Fill::Green => 2,
            Fill::Yellow => 3,
            Fill::Orange => 4,
            Fill::Red => 5,
            Fill::Grey => 6,
            Fill::Blue => 7,
        }
    }
}

pub struct Sheet {
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<(Fill, Vec<Value>)>,
    /// Column widths in characters (missing ones default).
    pub widths: Vec<f64>,
}

/// "A", "B", ..., "Z", "AA", ...
fn column_letters(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Escapes text for XML and drops characters XML 1.0 cannot carry.
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

fn cell(out: &mut String, reference: &str, style: usize, value: &Value) {
    match value {
        Value::Number(n) if n.is_finite() => {
            out.push_str(&format!(
                "<c r=\"{reference}\" s=\"{style}\"><v>{n}</v></c>"
            ));
        }
        Value::Number(_) => {}
        Value::Text(t) if t.is_empty() => {}
        Value::Text(t) => {
            out.push_str(&format!(
                "<c r=\"{reference}\" s=\"{style}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">"
            ));
            // Excel refuses cells over 32,767 characters.
            let clipped: String = t.chars().take(32_000).collect();
            escape(&clipped, out);
            out.push_str("</t></is></c>");
        }
    }
}

fn sheet_xml(sheet: &Sheet) -> String {
    let columns = sheet.header.len().max(1);
    let mut out = String::with_capacity(256 + sheet.rows.len() * 64 * columns);
    out.push_str(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>"#);
    if !sheet.widths.is_empty() {
        out.push_str("<cols>");
        for (i, w) in sheet.widths.iter().enumerate() {
            out.push_str(&format!(
                "<col min=\"{n}\" max=\"{n}\" width=\"{w}\" customWidth=\"1\"/>",
                n = i + 1
            ));
        }
        out.push_str("</cols>");
    }
    out.push_str("<sheetData>");
    out.push_str("<row r=\"1\">");
    for (i, h) in sheet.header.iter().enumerate() {
        cell(
            &mut out,
            &format!("{}1", column_letters(i)),
            1,
            &Value::Text(h.clone()),
        );
    }
    out.push_str("</row>");
    for (r, (fill, values)) in sheet.rows.iter().enumerate() {
        let line = r + 2;
        out.push_str(&format!("<row r=\"{line}\">"));
        for (i, v) in values.iter().enumerate() {
            cell(
                &mut out,
                &format!("{}{line}", column_letters(i)),
                fill.style(),
                v,
            );
        }
        out.push_str("</row>");
    }
    out.push_str("</sheetData>");
    out.push_str(&format!(
        "<autoFilter ref=\"A1:{}{}\"/>",
        column_letters(columns - 1),
        sheet.rows.len() + 1
    ));
    out.push_str("</worksheet>");
    out
}

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="9"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFE8F5EC"/></patternFill></fill><fill><patternFill patternType="solid"><fgColor rgb="FFFFF4D6"/></patternFill></fill><fill><patternFill patternType="solid"><fgColor rgb="FFFFE0C2"/></patternFill></fill><fill><patternFill patternType="solid"><fgColor rgb="FFFDECEA"/></patternFill></fill><fill><patternFill patternType="solid"><fgColor rgb="FFE9ECEF"/></patternFill></fill><fill><patternFill patternType="solid"><fgColor rgb="FFE8F0FB"/></patternFill></fill><fill><patternFill patternType="solid"><fgColor rgb="FFD5DBE3"/></patternFill></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="8"><xf/><xf fontId="1" fillId="8" applyFont="1" applyFill="1"/><xf fillId="2" applyFill="1"/><xf fillId="3" applyFill="1"/><xf fillId="4" applyFill="1"/><xf fillId="5" applyFill="1"/><xf fillId="6" applyFill="1"/><xf fillId="7" applyFill="1"/></cellXfs></styleSheet>"#;

/// Writes the workbook (written to a temporary file first, then renamed, so a failed write
/// never leaves half a report under the final name).
pub fn write(path: &Path, sheets: &[Sheet]) -> Result<(), String> {
    let tmp = path.with_extension("xlsx.part");
    let result = write_to(&tmp, sheets)
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display())));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The workbook as bytes (for a download).
pub fn to_bytes(sheets: &[Sheet]) -> Result<Vec<u8>, String> {
    let cursor = write_zip(std::io::Cursor::new(Vec::new()), sheets, &|e| e.to_string())?;
    Ok(cursor.into_inner())
}

fn write_to(path: &Path, sheets: &[Sheet]) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(|e| err(&e))?;
    let writer = write_zip(std::io::BufWriter::new(file), sheets, &err)?;
    writer
        .into_inner()
        .map_err(|e| err(&e.into_error()))?
        .sync_all()
        .map_err(|e| err(&e))
}

fn write_zip<W: Write + std::io::Seek>(
    out: W,
    sheets: &[Sheet],
    err: &dyn Fn(&dyn std::fmt::Display) -> String,
) -> Result<W, String> {
    let mut zip = zip::ZipWriter::new(out);
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut put = |name: &str, content: &str| -> Result<(), String> {
        zip.start_file(name, options).map_err(|e| err(&e))?;
        zip.write_all(content.as_bytes()).map_err(|e| err(&e))
    };
    let mut types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#,
    );
    let mut workbook = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
    );
    let mut rels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    let mut defined = String::new();
    for (i, sheet) in sheets.iter().enumerate() {
        let n = i + 1;
        types.push_str(&format!("<Override PartName=\"/xl/worksheets/sheet{n}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"));
        let mut name = String::new();
        // Sheet names: at most 31 characters, none of []:*?/\
        let clean: String = sheet
            .name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        escape(&clean, &mut name);
        workbook.push_str(&format!(
            "<sheet name=\"{name}\" sheetId=\"{n}\" r:id=\"rId{n}\"/>"
        ));
        rels.push_str(&format!("<Relationship Id=\"rId{n}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet{n}.xml\"/>"));
        defined.push_str(&format!(
            "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"{i}\" hidden=\"1\">'{}'!$A$1:${}${}</definedName>",
            name.replace('\'', "''"),
            column_letters(sheet.header.len().max(1) - 1),
            sheet.rows.len() + 1
        ));
    }
    types.push_str("</Types>");
    workbook.push_str("</sheets>");
    if !defined.is_empty() {
        workbook.push_str(&format!("<definedNames>{defined}</definedNames>"));
    }
    workbook.push_str("</workbook>");
    rels.push_str(&format!("<Relationship Id=\"rId{}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/></Relationships>", sheets.len() + 1));
    put("[Content_Types].xml", &types)?;
    put(
        "_rels/.rels",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    )?;
    put("xl/workbook.xml", &workbook)?;
    put("xl/_rels/workbook.xml.rels", &rels)?;
    put("xl/styles.xml", STYLES)?;
    for (i, sheet) in sheets.iter().enumerate() {
        put(
            &format!("xl/worksheets/sheet{}.xml", i + 1),
            &sheet_xml(sheet),
        )?;
    }
    zip.finish().map_err(|e| err(&e))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use calamine::{Data, Reader};

    #[test]
    fn column_letters_follow_excel() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn a_workbook_reads_back_with_its_text_numbers_and_sheets() {
        let dir = std::env::temp_dir().join(format!("xaso-xlsx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("report.xlsx");
        let sheets = vec![
            Sheet {
                name: "Kết quả".into(),
                header: vec!["Họ và tên".into(), "Điểm".into(), "Ghi chú".into()],
                rows: vec![
                    (
                        Fill::Green,
                        vec![
                            "Nguyễn Thị Thuý".into(),
                            Value::Number(12.5),
                            "a < b & \"c\"".into(),
                        ],
                    ),
                    (
                        Fill::Red,
                        vec!["Ðỗ\u{1}Văn".into(), Value::Number(-3.0), "".into()],
                    ),
                ],
                widths: vec![30.0, 8.0],
            },
            Sheet {
                name: "Tổng hợp".into(),
                header: vec!["Chỉ tiêu".into(), "Tỉ lệ".into()],
                rows: vec![(Fill::None, vec!["đúng".into(), Value::Number(0.99)])],
                widths: vec![],
            },
        ];
        write(&path, &sheets).unwrap();
        let mut book = calamine::open_workbook_auto(&path).unwrap();
        assert_eq!(
            book.sheet_names(),
            vec!["Kết quả".to_string(), "Tổng hợp".to_string()]
        );
        let range = book.worksheet_range("Kết quả").unwrap();
        let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
        assert_eq!(rows[0][0], Data::String("Họ và tên".into()));
        assert_eq!(rows[1][0], Data::String("Nguyễn Thị Thuý".into()));
        assert_eq!(rows[1][1], Data::Float(12.5));
        assert_eq!(rows[1][2], Data::String("a < b & \"c\"".into()));
        assert_eq!(
            rows[2][0],
            Data::String("ÐỗVăn".into()),
            "control characters dropped"
        );
        assert!(!dir.join("report.xlsx.part").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
