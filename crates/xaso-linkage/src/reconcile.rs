//! Reconciling a sector list with the register: which column is which field, and what became
//! of each row (the outcome an officer acts on), with the differences to correct and the plan's
//! four measures (đúng, đủ, sạch, sống). Pure: the caller reads and writes the files.

use std::collections::HashMap;

use xaso_domain::name::{self, header_key};
use xaso_domain::register::Person;
use xaso_domain::PartialDate;

use crate::engine::{Decision, LinkOptions, LinkReport, Linker, ListRecord, RowLink};

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

    pub fn label_vi(self) -> &'static str {
        match self {
            ListField::FullName => "Họ và tên",
            ListField::DateOfBirth => "Ngày sinh",
            ListField::Sex => "Giới tính",
            ListField::IdNumber => "Số định danh",
            ListField::Phone => "Số điện thoại",
            ListField::Village => "Thôn/địa chỉ",
        }
    }

    pub fn parse(s: &str) -> Option<ListField> {
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

    pub fn fill_class(self) -> &'static str {
        match self {
            Outcome::MatchedById | Outcome::Matched => "green",
            Outcome::MatchedWithCorrections => "yellow",
            Outcome::Review => "orange",
            Outcome::NotInRegister | Outcome::Invalid => "red",
            Outcome::Deceased | Outcome::MovedAway => "grey",
            Outcome::Duplicate => "blue",
        }
    }

    pub fn is_match(self) -> bool {
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
pub fn differences(record: &ListRecord, person: &Person) -> Vec<String> {
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
pub fn outcome(
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

/// The engine's input for one row of the file (`line` as in the file), from its cells.
pub fn record_of(line: usize, cells: &[String], columns: &HashMap<ListField, usize>) -> ListRecord {
    let get = |f: ListField| {
        columns
            .get(&f)
            .and_then(|&i| cells.get(i))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    ListRecord {
        row: line,
        full_name: get(ListField::FullName),
        date_of_birth: get(ListField::DateOfBirth),
        sex: get(ListField::Sex),
        id_number: get(ListField::IdNumber),
        phone: get(ListField::Phone),
        village: get(ListField::Village),
    }
}

/// The mapped cells of a row that were typed in a legacy Vietnamese font encoding (TCVN3/ABC,
/// VNI) and read as mojibake, each as "Field (TCVN3): typed → repaired", for the report. The
/// engine repairs them itself when it reads the row.
pub fn legacy_repairs(cells: &[String], columns: &HashMap<ListField, usize>) -> Vec<String> {
    let mut out = Vec::new();
    for field in ListField::ALL {
        let Some(text) = columns.get(&field).and_then(|&i| cells.get(i)) else {
            continue;
        };
        if let Some(fixed) = crate::legacy_encoding::fix_cell(text) {
            out.push(format!(
                "{} ({}): {} → {}",
                field.label_vi(),
                fixed.from.as_str(),
                text.trim(),
                fixed.text.trim()
            ));
        }
    }
    out
}

/// One row's result.
#[derive(Debug, Clone)]
pub struct ReconciledRow {
    pub row: usize,
    pub outcome: Outcome,
    /// The register person shown for the row (matched, to review, or the one it duplicates).
    pub person: Option<usize>,
    pub weight: Option<f64>,
    pub probability: Option<f64>,
    /// "Field: list value → register value", and notes (death, move, duplicate of row N).
    pub differences: Vec<String>,
}

/// The plan's four measures, in percent.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Measures {
    /// Rows matched to the register with nothing to correct.
    pub correct: f64,
    /// Rows with a name, a date of birth and an ID number.
    pub complete: f64,
    /// Rows neither duplicated in the list nor with an invalid ID.
    pub clean: f64,
    /// Matched persons alive and still resident.
    pub alive: f64,
}

impl Measures {
    /// The measures from the outcome counts, the rows with every required field, and the rows
    /// in all (also after review decisions changed some outcomes).
    pub fn from_counts(count: impl Fn(Outcome) -> u64, complete: u64, total: u64) -> Measures {
        let pct = |n: u64, of: u64| {
            if of > 0 {
                100.0 * n as f64 / of as f64
            } else {
                0.0
            }
        };
        let matched: u64 = Outcome::ALL
            .iter()
            .filter(|o| o.is_match())
            .map(|o| count(*o))
            .sum();
        Measures {
            correct: pct(count(Outcome::MatchedById) + count(Outcome::Matched), total),
            complete: pct(complete, total),
            clean: pct(
                total.saturating_sub(count(Outcome::Duplicate) + count(Outcome::Invalid)),
                total,
            ),
            alive: pct(
                matched.saturating_sub(count(Outcome::Deceased) + count(Outcome::MovedAway)),
                matched,
            ),
        }
    }

    /// (Vietnamese label, code, value).
    pub fn labelled(&self) -> [(&'static str, &'static str, f64); 4] {
        [
            ("Đúng (khớp CSDL, không cần sửa)", "correct", self.correct),
            (
                "Đủ (có họ tên, ngày sinh, số định danh)",
                "complete",
                self.complete,
            ),
            ("Sạch (không trùng, không sai số)", "clean", self.clean),
            ("Sống (còn sống, còn cư trú)", "alive", self.alive),
        ]
    }
}

pub struct Reconciliation {
    pub rows: Vec<ReconciledRow>,
    pub counts: HashMap<Outcome, usize>,
    pub measures: Measures,
    pub link: LinkReport,
}

impl Reconciliation {
    pub fn count(&self, o: Outcome) -> usize {
        self.counts.get(&o).copied().unwrap_or(0)
    }
}

/// Links the records and decides every row's outcome. `commune_code` is the register's own
/// commune: a matched person whose permanent residence is elsewhere has moved away.
pub fn reconcile(
    linker: &Linker,
    records: &[ListRecord],
    commune_code: Option<&str>,
    options: &LinkOptions,
    progress: &(dyn Fn(&str, usize, usize) + Sync),
) -> Reconciliation {
    let link = linker.link(records, options, progress);
    let register = linker.register();
    let mut duplicate_of: HashMap<usize, usize> = HashMap::new();
    for cluster in &link.duplicates {
        let first = cluster.iter().copied().min().unwrap_or(0);
        for &r in cluster {
            if r != first {
                duplicate_of.insert(r, first);
            }
        }
    }
    // Outcomes and differences of the rows, in two halves on two threads (in order).
    let decide = |range: std::ops::Range<usize>| -> Vec<(Outcome, Vec<String>)> {
        range
            .map(|i| {
                let record = &records[i];
                let first = duplicate_of.get(&record.row).copied();
                let (o, mut differences) = outcome(
                    &link.rows[i],
                    record,
                    register,
                    commune_code,
                    first.is_some(),
                );
                if let Some(first) = first {
                    differences.push(format!("Trùng với dòng {first}"));
                }
                (o, differences)
            })
            .collect()
    };
    let half = records.len() / 2;
    let (mut decided, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| decide(half..records.len()));
        (decide(0..half), second.join())
    });
    match second {
        Ok(rest) => decided.extend(rest),
        // A panic in the other half: do that half here, where it panics again, visibly.
        Err(_) => decided.extend(decide(half..records.len())),
    }
    let mut counts: HashMap<Outcome, usize> = HashMap::new();
    let mut rows = Vec::with_capacity(records.len());
    let mut complete = 0usize;
    for ((record, row_link), (o, differences)) in records.iter().zip(&link.rows).zip(decided) {
        *counts.entry(o).or_default() += 1;
        if record.full_name.is_some()
            && record.date_of_birth.is_some()
            && record.id_number.is_some()
        {
            complete += 1;
        }
        // A second entry of a person is still that person: show whom it duplicates.
        let shown = row_link
            .best
            .as_ref()
            .filter(|_| o.is_match() || o == Outcome::Review || o == Outcome::Duplicate);
        rows.push(ReconciledRow {
            row: record.row,
            outcome: o,
            person: shown.map(|b| b.register_index),
            weight: shown.map(|b| b.weight),
            probability: shown.map(|b| b.probability),
            differences,
        });
    }
    let count = |o: Outcome| counts.get(&o).copied().unwrap_or(0);
    let total = records.len();
    let matched: usize = Outcome::ALL
        .iter()
        .filter(|o| o.is_match())
        .map(|o| count(*o))
        .sum();
    let pct = |n: usize, of: usize| {
        if of > 0 {
            100.0 * n as f64 / of as f64
        } else {
            0.0
        }
    };
    let measures = Measures {
        correct: pct(count(Outcome::MatchedById) + count(Outcome::Matched), total),
        complete: pct(complete, total),
        clean: pct(
            total - count(Outcome::Duplicate) - count(Outcome::Invalid),
            total,
        ),
        alive: pct(
            matched - count(Outcome::Deceased) - count(Outcome::MovedAway),
            matched,
        ),
    };
    Reconciliation {
        rows,
        counts,
        measures,
        link,
    }
}

pub mod report;

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

    #[test]
    fn cells_typed_in_a_legacy_font_are_reported_and_repaired() {
        let h: Vec<String> = ["Họ và tên", "Ngày sinh", "Thôn"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let columns = map_columns(&h, &[]).unwrap();
        let cells: Vec<String> = ["Hoµng V¨n Tó", "01/02/1990", "Th«n 3"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let notes = legacy_repairs(&cells, &columns);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(
            notes[0].contains("Hoàng Văn Tú") && notes[0].contains("Họ và tên"),
            "{notes:?}"
        );
        assert!(notes[1].contains("Thôn 3"), "{notes:?}");
        let fine: Vec<String> = ["Hoàng Văn Tú", "01/02/1990", "Thôn 3"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(legacy_repairs(&fine, &columns).is_empty());
    }
}
