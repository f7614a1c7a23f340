//! `xaso reconcile`: a sector list (CSV or XLSX, typed by hand) against the population
//! register. Every row gets an outcome, the report keeps the list's columns and adds the
//! outcome, the matched person, the match weight and what differs; a summary gives the plan's
//! four measures (đúng, đủ, sạch, sống).

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use xaso_domain::register::Person;
use xaso_domain::{name, PartialDate};
use xaso_linkage::engine::{Decision, LinkOptions, Linker, ListRecord, RowLink};
use xaso_store::Store;

use xaso_tables::xlsx::{self, Fill, Sheet, Value};
use xaso_tables::{header_key, open_rows, write_csv};

/// The fields the engine reads from a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListField {
    FullName,
    DateOfBirth,
    Sex,
    IdNumber,
    Phone,
    Village,
}

impl ListField {
    pub const ALL: [ListField; 6] = [
        ListField::FullName,
        ListField::DateOfBirth,
        ListField::Sex,
        ListField::IdNumber,
        ListField::Phone,
        ListField::Village,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ListField::FullName => "name",
            ListField::DateOfBirth => "dob",
            ListField::Sex => "sex",
            ListField::IdNumber => "id",
            ListField::Phone => "phone",
            ListField::Village => "village",
        }
    }

    fn parse(s: &str) -> Option<ListField> {
        ListField::ALL.into_iter().find(|f| f.as_str() == s.trim())
    }

    /// Whether a header (as a [`header_key`]) names this field. Relatives' columns ("Họ tên
    /// cha", "Họ tên phụ huynh") and other registers' numbers ("Mã số BHXH", "Số đăng ký")
    /// are not the person's.
    fn matches(self, key: &str) -> bool {
        let words: Vec<&str> = key.split(' ').collect();
        let has = |w: &str| words.contains(&w);
        let phrase = |p: &str| format!(" {key} ").contains(&format!(" {p} "));
        let relative = [
            "cha",
            "me",
            "bo",
            "vo",
            "chong",
            "phu huynh",
            "nguoi giam ho",
        ]
        .iter()
        .any(|r| phrase(r));
        match self {
            ListField::FullName => {
                !relative && (phrase("ho va ten") || phrase("ho ten") || key == "ten")
            }
            ListField::DateOfBirth => phrase("ngay sinh") || phrase("nam sinh") || key == "dob",
            ListField::Sex => has("gioi") || key == "sex",
            ListField::IdNumber => {
                !relative
                    && !phrase("bhxh")
                    && (has("cccd")
                        || has("cmnd")
                        || has("cmt")
                        || phrase("dinh danh")
                        || phrase("can cuoc")
                        || phrase("so giay to"))
            }
            ListField::Phone => {
                phrase("dien thoai") || has("sdt") || phrase("thue bao") && !phrase("ho va ten")
            }
            ListField::Village => {
                has("thon")
                    || has("xom")
                    || phrase("to dan pho")
                    || phrase("dia chi")
                    || phrase("noi o")
            }
        }
    }
}

/// Which column holds which field; the first matching header wins, `--column` overrides.
pub fn map_columns(
    headers: &[String],
    overrides: &[(ListField, String)],
) -> Result<HashMap<ListField, usize>, String> {
    let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
    let mut map = HashMap::new();
    for field in ListField::ALL {
        if let Some(i) = keys.iter().position(|k| field.matches(k)) {
            // A column serves one field (e.g. "Số thuê bao" is the phone, not the ID).
            if !map.values().any(|&j| j == i) {
                map.insert(field, i);
            }
        }
    }
    for (field, header) in overrides {
        let want = header_key(header);
        let i = keys.iter().position(|k| *k == want).ok_or_else(|| {
            format!(
                "--column {}={header}: no column {header:?}; the columns are {}",
                field.as_str(),
                headers.join(", ")
            )
        })?;
        map.insert(*field, i);
    }
    if !map.contains_key(&ListField::FullName) && !map.contains_key(&ListField::IdNumber) {
        return Err(format!(
            "the list has neither a name column nor an ID column (columns: {}); name them with --column name=HEADER or --column id=HEADER",
            headers.join(", ")
        ));
    }
    Ok(map)
}

/// Parses `name=Họ và tên` style overrides.
pub fn parse_override(text: &str) -> Result<(ListField, String), String> {
    let (field, header) = text
        .split_once('=')
        .ok_or_else(|| format!("--column {text:?}: write FIELD=HEADER, e.g. name=Họ tên"))?;
    let field = ListField::parse(field).ok_or_else(|| {
        format!(
            "--column {text:?}: the field is one of {}",
            ListField::ALL.map(|f| f.as_str()).join(", ")
        )
    })?;
    Ok((field, header.trim().to_string()))
}

/// What became of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    MatchedById,
    Matched,
    MatchedWithCorrections,
    Review,
    NotInRegister,
    Deceased,
    MovedAway,
    Duplicate,
    Invalid,
}

impl Outcome {
    pub const ALL: [Outcome; 9] = [
        Outcome::MatchedById,
        Outcome::Matched,
        Outcome::MatchedWithCorrections,
        Outcome::Review,
        Outcome::NotInRegister,
        Outcome::Deceased,
        Outcome::MovedAway,
        Outcome::Duplicate,
        Outcome::Invalid,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Outcome::MatchedById => "matched_by_id",
            Outcome::Matched => "matched",
            Outcome::MatchedWithCorrections => "matched_with_corrections",
            Outcome::Review => "probable_match_review",
            Outcome::NotInRegister => "not_in_register",
            Outcome::Deceased => "deceased",
            Outcome::MovedAway => "moved_away",
            Outcome::Duplicate => "duplicate_in_list",
            Outcome::Invalid => "invalid",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Outcome::MatchedById => "Khớp theo số định danh",
            Outcome::Matched => "Khớp",
            Outcome::MatchedWithCorrections => "Khớp, cần sửa thông tin",
            Outcome::Review => "Có thể khớp, cần rà soát",
            Outcome::NotInRegister => "Không có trong CSDL dân cư",
            Outcome::Deceased => "Đã chết theo CSDL",
            Outcome::MovedAway => "Đã chuyển đi",
            Outcome::Duplicate => "Trùng trong danh sách",
            Outcome::Invalid => "Số định danh không hợp lệ",
        }
    }

    fn fill(self) -> Fill {
        match self {
            Outcome::MatchedById | Outcome::Matched => Fill::Green,
            Outcome::MatchedWithCorrections => Fill::Yellow,
            Outcome::Review => Fill::Orange,
            Outcome::NotInRegister | Outcome::Invalid => Fill::Red,
            Outcome::Deceased | Outcome::MovedAway => Fill::Grey,
            Outcome::Duplicate => Fill::Blue,
        }
    }

    fn is_match(self) -> bool {
        matches!(
            self,
            Outcome::MatchedById
                | Outcome::Matched
                | Outcome::MatchedWithCorrections
                | Outcome::Deceased
                | Outcome::MovedAway
        )
    }
}

/// The list's value next to the register's, where they disagree.
fn differences(record: &ListRecord, person: &Person) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(n) = record.full_name.as_deref().filter(|n| !n.trim().is_empty()) {
        if name::key(n) != name::key(&person.full_name) {
            out.push(format!("Họ và tên: {} → {}", n.trim(), person.full_name));
        }
    }
    if let Some(d) = record
        .date_of_birth
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        let typed = PartialDate::parse(d.trim()).ok();
        let agrees = match (typed, person.date_of_birth) {
            (Some(t), Some(r)) => t == r || t.is_compatible_with(&r),
            _ => false,
        };
        if !agrees {
            let register = person.date_of_birth.map(|r| r.to_vi()).unwrap_or_default();
            out.push(format!("Ngày sinh: {} → {register}", d.trim()));
        }
    }
    if let Some(s) = record.sex.as_deref().filter(|s| !s.trim().is_empty()) {
        let typed = xaso_domain::Sex::parse(s);
        if typed.is_some() && typed != person.sex {
            let register = person.sex.map(|x| x.label_vi()).unwrap_or_default();
            out.push(format!("Giới tính: {} → {register}", s.trim()));
        }
    }
    if let Some(id) = record.id_number.as_deref().filter(|i| !i.trim().is_empty()) {
        let digits: String = id.chars().filter(char::is_ascii_digit).collect();
        let same_id = digits == person.personal_id.as_str();
        let same_cmnd = person
            .old_cmnd
            .as_ref()
            .is_some_and(|c| c.as_str() == digits);
        if !same_id && !same_cmnd {
            out.push(format!(
                "Số định danh: {} → {}",
                id.trim(),
                person.personal_id
            ));
        } else if same_cmnd {
            out.push(format!(
                "Số CMND cũ {} → số định danh {}",
                id.trim(),
                person.personal_id
            ));
        }
    }
    out
}

/// The outcome of a row from the engine's decision and the register.
fn outcome(
    link: &RowLink,
    record: &ListRecord,
    register: &[Person],
    commune_code: Option<&str>,
    duplicate: bool,
) -> (Outcome, Vec<String>) {
    if duplicate {
        return (Outcome::Duplicate, Vec::new());
    }
    let Some(best) = &link.best else {
        return if link.invalid_id.is_some() {
            (Outcome::Invalid, link.invalid_id.iter().cloned().collect())
        } else {
            (Outcome::NotInRegister, Vec::new())
        };
    };
    let person = &register[best.register_index];
    let diffs = differences(record, person);
    match link.decision {
        Decision::NoMatch => {
            if link.invalid_id.is_some() {
                (Outcome::Invalid, link.invalid_id.iter().cloned().collect())
            } else {
                (Outcome::NotInRegister, Vec::new())
            }
        }
        Decision::Review => (Outcome::Review, diffs),
        Decision::Match => {
            if person.is_deceased() {
                let when = person.death_date.map(|d| d.to_vi()).unwrap_or_default();
                let mut d = vec![format!("Đã chết ngày {when}")];
                d.extend(diffs);
                return (Outcome::Deceased, d);
            }
            let elsewhere = match (commune_code, &person.permanent_address.commune_code) {
                (Some(here), Some(there)) => here != there,
                _ => false,
            };
            if elsewhere {
                let mut d = vec![format!(
                    "Thường trú nay ở xã mã {}",
                    person
                        .permanent_address
                        .commune_code
                        .as_deref()
                        .unwrap_or("")
                )];
                d.extend(diffs);
                return (Outcome::MovedAway, d);
            }
            let by_id = record.id_number.as_deref().is_some_and(|id| {
                let digits: String = id.chars().filter(char::is_ascii_digit).collect();
                digits == person.personal_id.as_str()
            });
            let o = if !diffs.is_empty() {
                Outcome::MatchedWithCorrections
            } else if by_id {
                Outcome::MatchedById
            } else {
                Outcome::Matched
            };
            (o, diffs)
        }
    }
}

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
    for row in rows {
        let (line, cells) = row.map_err(|e| format!("line {}: {}", e.line, e.rule))?;
        let texts: Vec<String> = cells.iter().map(|c| c.display()).collect();
        if texts.iter().all(|t| t.trim().is_empty()) {
            continue;
        }
        let get = |f: ListField| {
            columns
                .get(&f)
                .and_then(|&i| texts.get(i))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        records.push(ListRecord {
            row: line,
            full_name: get(ListField::FullName),
            date_of_birth: get(ListField::DateOfBirth),
            sex: get(ListField::Sex),
            id_number: get(ListField::IdNumber),
            phone: get(ListField::Phone),
            village: get(ListField::Village),
        });
        table.push(texts);
    }
    eprintln!("{} rows read from {}", records.len(), args.list.display());

    let mut register = Vec::new();
    db.for_each_person(&mut |p| {
        register.push(p.person);
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    if register.is_empty() {
        return Err("the register is empty: load it first with `xaso import registry`".into());
    }
    eprintln!("{} persons in the register", register.len());
    let commune_code = db.get_meta("commune_code").map_err(|e| e.to_string())?;
    let linker = Linker::new(register);
    let progress = |stage: &str, done: usize, total: usize| {
        if total > 0 {
            eprintln!("  {stage}: {done}/{total}");
        } else {
            eprintln!("  {stage}");
        }
    };
    let report = linker.link(&records, &LinkOptions::default(), &progress);
    let register = linker.register();
    let mut duplicate_rows: HashMap<usize, usize> = HashMap::new();
    for cluster in &report.duplicates {
        let first = cluster.iter().copied().min().unwrap_or(0);
        for &r in cluster {
            if r != first {
                duplicate_rows.insert(r, first);
            }
        }
    }

    // The report: the list's columns, then what we found.
    let mut header = headers.clone();
    header.extend(
        [
            "outcome",
            "Kết quả",
            "matched_personal_id",
            "Họ và tên trong CSDL",
            "match_weight",
            "match_probability",
            "differences",
        ]
        .map(String::from),
    );
    let mut counts: HashMap<Outcome, usize> = HashMap::new();
    let mut out_rows: Vec<(Fill, Vec<Value>)> = Vec::with_capacity(records.len());
    let mut csv_rows: Vec<Vec<String>> = Vec::with_capacity(records.len());
    let mut complete = 0usize;
    for ((record, link), texts) in records.iter().zip(&report.rows).zip(&table) {
        let duplicate = duplicate_rows.contains_key(&record.row);
        let (o, mut diffs) = outcome(link, record, register, commune_code.as_deref(), duplicate);
        if let Some(first) = duplicate_rows.get(&record.row) {
            diffs.push(format!("Trùng với dòng {first}"));
        }
        *counts.entry(o).or_default() += 1;
        if record.full_name.is_some()
            && record.date_of_birth.is_some()
            && record.id_number.is_some()
        {
            complete += 1;
        }
        // A second entry of a person is still that person: show whom it duplicates.
        let shown = link
            .best
            .as_ref()
            .filter(|_| o.is_match() || o == Outcome::Review || o == Outcome::Duplicate);
        let person = shown.map(|b| &register[b.register_index]);
        let mut cells: Vec<String> = texts.clone();
        cells.resize(headers.len(), String::new());
        cells.extend([
            o.code().to_string(),
            o.label_vi().to_string(),
            person
                .map(|p| p.personal_id.to_string())
                .unwrap_or_default(),
            person.map(|p| p.full_name.clone()).unwrap_or_default(),
            shown
                .map(|b| format!("{:.2}", b.weight))
                .unwrap_or_default(),
            shown
                .map(|b| format!("{:.4}", b.probability))
                .unwrap_or_default(),
            diffs.join("; "),
        ]);
        let mut values: Vec<Value> = cells.iter().map(|c| Value::Text(c.clone())).collect();
        let n = headers.len();
        if let Some(b) = shown {
            values[n + 4] = Value::Number((b.weight * 100.0).round() / 100.0);
            values[n + 5] = Value::Number((b.probability * 10_000.0).round() / 10_000.0);
        }
        out_rows.push((o.fill(), values));
        csv_rows.push(cells);
    }

    // The plan's four measures.
    let total = records.len().max(1) as f64;
    let count = |o: Outcome| counts.get(&o).copied().unwrap_or(0);
    let matched: usize = Outcome::ALL
        .iter()
        .filter(|o| o.is_match())
        .map(|o| count(*o))
        .sum();
    let correct = count(Outcome::MatchedById) + count(Outcome::Matched);
    let clean = records.len() - count(Outcome::Duplicate) - count(Outcome::Invalid);
    let alive = matched - count(Outcome::Deceased) - count(Outcome::MovedAway);
    let pct = |n: usize, of: f64| if of > 0.0 { 100.0 * n as f64 / of } else { 0.0 };
    let measures = [
        (
            "Đúng (khớp CSDL, không cần sửa)",
            "correct",
            pct(correct, total),
        ),
        (
            "Đủ (có họ tên, ngày sinh, số định danh)",
            "complete",
            pct(complete, total),
        ),
        (
            "Sạch (không trùng, không sai số)",
            "clean",
            pct(clean, total),
        ),
        (
            "Sống (còn sống, còn cư trú)",
            "alive",
            pct(alive, matched as f64),
        ),
    ];
    let mut summary_rows: Vec<(Fill, Vec<Value>)> = Vec::new();
    for o in Outcome::ALL {
        summary_rows.push((
            o.fill(),
            vec![
                Value::Text(o.label_vi().into()),
                Value::Text(o.code().into()),
                Value::Number(count(o) as f64),
            ],
        ));
    }
    for (vi, code, value) in measures {
        summary_rows.push((
            Fill::None,
            vec![
                Value::Text(vi.into()),
                Value::Text(code.into()),
                Value::Number((value * 10.0).round() / 10.0),
            ],
        ));
    }
    let ext = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if ext == "xlsx" {
        let mut widths = vec![14.0; headers.len()];
        widths.extend([24.0, 28.0, 16.0, 24.0, 10.0, 10.0, 60.0]);
        xlsx::write(
            args.out,
            &[
                Sheet {
                    name: "Kết quả đối chiếu".into(),
                    header,
                    rows: out_rows,
                    widths,
                },
                Sheet {
                    name: "Tổng hợp".into(),
                    header: vec!["Chỉ tiêu".into(), "Mã".into(), "Số dòng / %".into()],
                    rows: summary_rows,
                    widths: vec![44.0, 26.0, 12.0],
                },
            ],
        )?;
    } else {
        write_csv(args.out, &header, &csv_rows)?;
    }
    for o in Outcome::ALL {
        eprintln!("  {:<28} {:>8}", o.code(), count(o));
    }
    for (vi, _, value) in measures {
        eprintln!("  {vi}: {value:.1}%");
    }
    for b in &report.blocking {
        eprintln!(
            "  blocking {:<28} {:>12} pairs ({} new)",
            b.rule, b.pairs, b.new_pairs
        );
    }
    audit(db, args, records.len())?;
    eprintln!(
        "report written to {} in {:.1}s",
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn headers(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_demo_lists_columns_are_recognised() {
        let sim = headers(&[
            "STT",
            "Số thuê bao",
            "Họ và tên chủ thuê bao",
            "Ngày sinh",
            "Loại giấy tờ",
            "Số giấy tờ",
            "Ngày kích hoạt",
        ]);
        let m = map_columns(&sim, &[]).unwrap_or_default();
        assert_eq!(m.get(&ListField::FullName), Some(&2));
        assert_eq!(m.get(&ListField::Phone), Some(&1));
        assert_eq!(m.get(&ListField::IdNumber), Some(&5));
        assert_eq!(m.get(&ListField::DateOfBirth), Some(&3));
        let civil = headers(&[
            "STT",
            "Số đăng ký",
            "Quyển số",
            "Ngày đăng ký",
            "Họ và tên",
            "Ngày sinh",
            "Giới tính",
            "Dân tộc",
            "Quốc tịch",
            "Nơi sinh",
            "Họ tên cha",
            "Họ tên mẹ",
            "Số định danh cá nhân",
        ]);
        let m = map_columns(&civil, &[]).unwrap_or_default();
        assert_eq!(m.get(&ListField::FullName), Some(&4));
        assert_eq!(m.get(&ListField::IdNumber), Some(&12));
        let health = headers(&[
            "STT",
            "Mã số BHXH",
            "Họ và tên",
            "Ngày sinh",
            "Giới tính",
            "Số CCCD",
            "Địa chỉ",
        ]);
        let m = map_columns(&health, &[]).unwrap_or_default();
        assert_eq!(m.get(&ListField::IdNumber), Some(&5));
        assert_eq!(m.get(&ListField::Village), Some(&6));
        let land = headers(&[
            "STT",
            "Họ và tên chủ sử dụng",
            "Năm sinh",
            "Số CMND/CCCD",
            "Địa chỉ thường trú",
        ]);
        let m = map_columns(&land, &[]).unwrap_or_default();
        assert_eq!(m.get(&ListField::FullName), Some(&1));
        assert_eq!(m.get(&ListField::DateOfBirth), Some(&2));
        assert_eq!(m.get(&ListField::IdNumber), Some(&3));
        let school = headers(&[
            "STT",
            "Họ và tên học sinh",
            "Ngày sinh",
            "Giới tính",
            "Lớp",
            "Mã định danh",
            "Họ tên phụ huynh",
            "Số điện thoại",
            "Thôn",
        ]);
        let m = map_columns(&school, &[]).unwrap_or_default();
        assert_eq!(m.get(&ListField::FullName), Some(&1));
        assert_eq!(m.get(&ListField::IdNumber), Some(&5));
        assert_eq!(m.get(&ListField::Phone), Some(&7));
        assert_eq!(m.get(&ListField::Village), Some(&8));
    }

    #[test]
    fn overrides_and_missing_columns_are_named() {
        let h = headers(&["A", "B"]);
        let e = map_columns(&h, &[]).unwrap_err();
        assert!(e.contains("--column name="), "{e}");
        let m = map_columns(&h, &[(ListField::FullName, "B".into())]).unwrap_or_default();
        assert_eq!(m.get(&ListField::FullName), Some(&1));
        let e = map_columns(&h, &[(ListField::FullName, "C".into())]).unwrap_err();
        assert!(e.contains("no column \"C\""), "{e}");
        assert!(parse_override("name=Họ tên").is_ok());
        assert!(parse_override("nom=Họ tên")
            .unwrap_err()
            .contains("name, dob"));
        assert!(parse_override("name").is_err());
    }
}
