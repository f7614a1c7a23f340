//! `xaso import registry`: persons from CSV or XLSX, with Vietnamese headers recognised, every
//! bad value reported by line, column and rule, and the load committed whole or not at all.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use xaso_domain::register::{Address, Household, Person, PersonRef};
use xaso_domain::{ethnic, name, Cmnd, PartialDate, PersonalId, Sex};
use xaso_store::{ChangeMeta, LoadConflict, LoadItem, Store};
pub use xaso_tables::{format_number, header_key, open_rows, Cell, RowError};

/// The columns of the register file, in the order `export` writes them.
pub use xaso_domain::register::FILE_HEADERS as REGISTER_HEADERS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    PersonalId,
    OldCmnd,
    FullName,
    OtherName,
    DateOfBirth,
    Sex,
    BirthRegistrationPlace,
    HomeTown,
    Ethnicity,
    Religion,
    Nationality,
    BloodType,
    PermanentAddress,
    PermanentCommune,
    TemporaryAddress,
    CurrentAddress,
    FatherId,
    FatherName,
    MotherId,
    MotherName,
    SpouseId,
    SpouseName,
    GuardianId,
    GuardianName,
    DeathDate,
    HouseholdId,
    RelationToHead,
}

/// Header spellings met in practice, as header keys (see [`header_key`]).
const ALIASES: &[(Field, &[&str])] = &[
    (
        Field::PersonalId,
        &[
            "so dinh danh ca nhan",
            "so dinh danh",
            "so ddcn",
            "ma dinh danh",
            "so cccd",
            "cccd",
            "so can cuoc",
            "so can cuoc cong dan",
            "so the can cuoc",
            "personal id",
        ],
    ),
    (
        Field::OldCmnd,
        &[
            "so cmnd",
            "cmnd",
            "so chung minh nhan dan",
            "so chung minh thu",
            "old cmnd",
        ],
    ),
    (
        Field::FullName,
        &[
            "ho va ten",
            "ho ten",
            "ho va ten khai sinh",
            "ten",
            "full name",
            "name",
        ],
    ),
    (
        Field::OtherName,
        &["ten goi khac", "ten khac", "other name"],
    ),
    (
        Field::DateOfBirth,
        &[
            "ngay sinh",
            "ngay thang nam sinh",
            "ngay thang nam sinh dd mm yyyy",
            "nam sinh",
            "sinh ngay",
            "date of birth",
            "dob",
        ],
    ),
    (Field::Sex, &["gioi tinh", "gioi", "sex", "gender"]),
    (
        Field::BirthRegistrationPlace,
        &[
            "noi dang ky khai sinh",
            "noi dk khai sinh",
            "noi sinh",
            "birth registration place",
        ],
    ),
    (Field::HomeTown, &["que quan", "nguyen quan", "home town"]),
    (Field::Ethnicity, &["dan toc", "ethnicity"]),
    (Field::Religion, &["ton giao", "religion"]),
    (Field::Nationality, &["quoc tich", "nationality"]),
    (Field::BloodType, &["nhom mau", "blood type"]),
    (
        Field::PermanentAddress,
        &[
            "noi thuong tru",
            "dia chi thuong tru",
            "thuong tru",
            "dia chi",
            "permanent address",
        ],
    ),
    (
        Field::PermanentCommune,
        &[
            "ma xa thuong tru",
            "ma xa",
            "ma don vi hanh chinh",
            "permanent commune code",
        ],
    ),
    (
        Field::TemporaryAddress,
        &[
            "noi tam tru",
            "dia chi tam tru",
            "tam tru",
            "temporary address",
        ],
    ),
    (
        Field::CurrentAddress,
        &[
            "noi o hien tai",
            "noi o hien nay",
            "cho o hien tai",
            "cho o hien nay",
            "current address",
        ],
    ),
    (
        Field::FatherId,
        &[
            "so dinh danh cha",
            "so dinh danh cua cha",
            "cccd cha",
            "father personal id",
        ],
    ),
    (
        Field::FatherName,
        &["ho ten cha", "ho va ten cha", "cha", "father name"],
    ),
    (
        Field::MotherId,
        &[
            "so dinh danh me",
            "so dinh danh cua me",
            "cccd me",
            "mother personal id",
        ],
    ),
    (
        Field::MotherName,
        &["ho ten me", "ho va ten me", "me", "mother name"],
    ),
    (
        Field::SpouseId,
        &[
            "so dinh danh vo chong",
            "so dinh danh vo hoac chong",
            "cccd vo chong",
            "spouse personal id",
        ],
    ),
    (
        Field::SpouseName,
        &[
            "ho ten vo chong",
            "ho va ten vo chong",
            "vo chong",
            "spouse name",
        ],
    ),
    (
        Field::GuardianId,
        &["so dinh danh nguoi giam ho", "guardian personal id"],
    ),
    (
        Field::GuardianName,
        &["ho ten nguoi giam ho", "nguoi giam ho", "guardian name"],
    ),
    (
        Field::DeathDate,
        &["ngay mat", "ngay chet", "ngay tu vong", "death date"],
    ),
    (
        Field::HouseholdId,
        &[
            "so ho",
            "ma ho",
            "so ho khau",
            "so so ho khau",
            "household id",
        ],
    ),
    (
        Field::RelationToHead,
        &[
            "quan he voi chu ho",
            "quan he chu ho",
            "quan he",
            "relation to head",
        ],
    ),
];

pub fn field_for_header(header: &str) -> Option<Field> {
    let key = header_key(header);
    ALIASES
        .iter()
        .find(|(_, names)| names.contains(&key.as_str()))
        .map(|(f, _)| *f)
}

/// Which column of the file holds which field.
pub struct Mapping {
    columns: Vec<(usize, Field, String)>,
    pub ignored: Vec<String>,
}

impl Mapping {
    pub fn from_headers(headers: &[String]) -> Result<Mapping, String> {
        let mut columns = Vec::new();
        let mut ignored = Vec::new();
        let mut seen: HashMap<Field, String> = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            match field_for_header(h) {
                Some(f) => {
                    if let Some(first) = seen.get(&f) {
                        return Err(format!(
                            "columns {first:?} and {h:?} both mean the same field; keep one"
                        ));
                    }
                    seen.insert(f, h.clone());
                    columns.push((i, f, h.trim().to_string()));
                }
                None if h.trim().is_empty() => {}
                None => ignored.push(h.trim().to_string()),
            }
        }
        for (required, label) in [
            (Field::PersonalId, "Số định danh cá nhân"),
            (Field::FullName, "Họ và tên"),
        ] {
            if !seen.contains_key(&required) {
                return Err(format!(
                    "the file has no {label:?} column (found: {})",
                    headers.join(", ")
                ));
            }
        }
        Ok(Mapping { columns, ignored })
    }

    /// Builds a person from one row, or says every value that is wrong.
    pub fn person(&self, line: usize, cells: &[Cell]) -> Result<Person, Vec<RowError>> {
        let mut errors = Vec::new();
        let mut values: HashMap<Field, (&Cell, &str)> = HashMap::new();
        for (i, field, header) in &self.columns {
            let cell = cells.get(*i).unwrap_or(&Cell::Empty);
            let empty = match cell {
                Cell::Empty => true,
                Cell::Text(s) => s.trim().is_empty(),
                Cell::Number(_) => false,
            };
            if !empty {
                values.insert(*field, (cell, header.as_str()));
            }
        }
        let mut fail = |field: Field, rule: String| {
            let (cell, column) = values
                .get(&field)
                .map(|(c, h)| (c.display(), h.to_string()))
                .unwrap_or_default();
            let column = if column.is_empty() {
                self.columns
                    .iter()
                    .find(|(_, f, _)| *f == field)
                    .map(|(_, _, h)| h.clone())
                    .unwrap_or_default()
            } else {
                column
            };
            errors.push(RowError {
                line,
                column,
                value: cell,
                rule,
            });
        };
        let text = |field: Field| -> Option<String> {
            values
                .get(&field)
                .map(|(c, _)| name::normalize(&c.display()))
        };

        let personal_id = match values.get(&Field::PersonalId) {
            None => {
                fail(
                    Field::PersonalId,
                    "the personal ID number is required".into(),
                );
                None
            }
            Some((cell, _)) => match id_text(cell) {
                Ok(s) => match PersonalId::parse(&s) {
                    Ok(id) => Some(id),
                    Err(e) => {
                        fail(Field::PersonalId, e.to_string());
                        None
                    }
                },
                Err(rule) => {
                    fail(Field::PersonalId, rule);
                    None
                }
            },
        };
        let full_name = text(Field::FullName).unwrap_or_default();
        if let Some(rule) = name::full_name_problem(&full_name) {
            fail(Field::FullName, rule.into());
        }
        let old_cmnd = match values.get(&Field::OldCmnd) {
            None => None,
            Some((cell, _)) => {
                match id_text(cell).and_then(|s| Cmnd::parse(&s).map_err(|e| e.to_string())) {
                    Ok(c) => Some(c),
                    Err(rule) => {
                        fail(Field::OldCmnd, rule);
                        None
                    }
                }
            }
        };
        let mut date = |field: Field| -> Option<PartialDate> {
            let (cell, _) = values.get(&field)?;
            let parsed = match cell {
                // A whole number 1800–2200 is a year typed into a number cell (as a serial it
                // would be a day in 1904–1906, which nobody means); otherwise an Excel date.
                Cell::Number(n) if n.fract() == 0.0 && (1800.0..=2200.0).contains(n) => {
                    PartialDate::from_year(*n as i32)
                }
                Cell::Number(n) => PartialDate::from_excel_serial(*n),
                other => PartialDate::parse(&other.display()),
            };
            match parsed {
                Ok(d) => Some(d),
                Err(e) => {
                    fail(field, e.to_string());
                    None
                }
            }
        };
        let date_of_birth = date(Field::DateOfBirth);
        let death_date = date(Field::DeathDate);
        let sex = match text(Field::Sex) {
            None => None,
            Some(s) => match Sex::parse(&s) {
                Some(x) => Some(x),
                None => {
                    fail(Field::Sex, "sex must be Nam or Nữ".into());
                    None
                }
            },
        };
        let ethnicity = match text(Field::Ethnicity) {
            None => None,
            Some(s) => match ethnic::ethnic_by_name(&s).or_else(|| ethnic::ethnic_by_code(&s)) {
                Some(g) => Some(g.code.clone()),
                None => {
                    fail(
                        Field::Ethnicity,
                        "not one of the 54 ethnic groups (name or code 01–54)".into(),
                    );
                    None
                }
            },
        };
        let nationality = match text(Field::Nationality) {
            None => None,
            Some(s) => match nationality_code(&s) {
                Some(c) => Some(c),
                None => {
                    fail(
                        Field::Nationality,
                        "nationality must be Việt Nam or a two-letter ISO 3166 code".into(),
                    );
                    None
                }
            },
        };
        let permanent_commune = match values.get(&Field::PermanentCommune) {
            None => None,
            Some((cell, _)) => {
                let code = match cell {
                    Cell::Number(n) => format!("{:05}", *n as i64),
                    other => other.display().trim().to_string(),
                };
                if xaso_domain::admin_units::units().commune(&code).is_some() {
                    Some(code)
                } else {
                    fail(
                        Field::PermanentCommune,
                        "not the 5-digit code of a commune in force since 1 July 2025".into(),
                    );
                    None
                }
            }
        };
        let mut person_ref = |id_field: Field, name_field: Field| -> PersonRef {
            let personal_id = match values.get(&id_field) {
                None => None,
                Some((cell, _)) => match id_text(cell)
                    .and_then(|s| PersonalId::parse(&s).map_err(|e| e.to_string()))
                {
                    Ok(id) => Some(id),
                    Err(rule) => {
                        fail(id_field, rule);
                        None
                    }
                },
            };
            PersonRef {
                personal_id,
                full_name: text(name_field),
            }
        };
        let father = person_ref(Field::FatherId, Field::FatherName);
        let mother = person_ref(Field::MotherId, Field::MotherName);
        let spouse = person_ref(Field::SpouseId, Field::SpouseName);
        let guardian = person_ref(Field::GuardianId, Field::GuardianName);

        if !errors.is_empty() {
            return Err(errors);
        }
        let Some(personal_id) = personal_id else {
            return Err(errors);
        };
        let mut p = Person::new(personal_id, full_name);
        p.old_cmnd = old_cmnd;
        p.other_name = text(Field::OtherName);
        p.date_of_birth = date_of_birth;
        p.sex = sex;
        p.birth_registration_place = text(Field::BirthRegistrationPlace);
        p.home_town = text(Field::HomeTown);
        p.ethnicity = ethnicity;
        p.religion = text(Field::Religion);
        p.nationality = nationality;
        p.blood_type = text(Field::BloodType);
        p.permanent_address = Address {
            detail: text(Field::PermanentAddress),
            commune_code: permanent_commune,
        };
        p.temporary_address = Address {
            detail: text(Field::TemporaryAddress),
            commune_code: None,
        };
        p.current_address = Address {
            detail: text(Field::CurrentAddress),
            commune_code: None,
        };
        p.father = father;
        p.mother = mother;
        p.spouse = spouse;
        p.guardian = guardian;
        p.death_date = death_date;
        p.household_id = text(Field::HouseholdId);
        p.relation_to_head = text(Field::RelationToHead);
        // The rules on the whole record (ID against date of birth and sex, death after birth…)
        // are the register's, the same for every way in.
        let problems = p.problems();
        if problems.is_empty() {
            return Ok(p);
        }
        Err(problems
            .into_iter()
            .map(|problem| {
                let field = match problem.field {
                    "full_name" => Some(Field::FullName),
                    "sex" => Some(Field::Sex),
                    "date_of_birth" => Some(Field::DateOfBirth),
                    "death_date" => Some(Field::DeathDate),
                    "ethnicity" => Some(Field::Ethnicity),
                    "permanent_address.commune_code" => Some(Field::PermanentCommune),
                    _ => None,
                };
                let (column, value) = field
                    .and_then(|f| self.columns.iter().find(|(_, g, _)| *g == f))
                    .map(|(i, _, header)| {
                        let value = cells.get(*i).map(Cell::display).unwrap_or_default();
                        (header.clone(), value)
                    })
                    .unwrap_or_else(|| (problem.field.to_string(), String::new()));
                RowError {
                    line,
                    column,
                    value,
                    rule: problem.rule,
                }
            })
            .collect())
    }
}

/// The digits of an ID cell. Excel turns "038095001234" typed into a number cell into
/// 38095001234; a number cell one or two digits short of 12 (or 9) gets its zeros back.
fn id_text(cell: &Cell) -> Result<String, String> {
    match cell {
        Cell::Number(n) => {
            if n.fract() != 0.0 || *n < 0.0 {
                return Err("an ID number has only digits".into());
            }
            let digits = format_number(*n);
            Ok(match digits.len() {
                10 | 11 => format!("{digits:0>12}"),
                7 | 8 => format!("{digits:0>9}"),
                _ => digits,
            })
        }
        Cell::Text(s) => Ok(s.trim().replace([' ', '.'], "")),
        Cell::Empty => Ok(String::new()),
    }
}

fn nationality_code(s: &str) -> Option<String> {
    let key = name::stripped_key(s);
    if matches!(key.as_str(), "viet nam" | "vietnam" | "vn" | "vnm") {
        return Some("VN".into());
    }
    let t = s.trim();
    (t.len() == 2 && t.bytes().all(|b| b.is_ascii_alphabetic())).then(|| t.to_ascii_uppercase())
}

/// Rows handed from the reading thread to the writing one at a time.
const CHUNK: usize = 512;

/// Runs an import and reports what happened on standard error.
pub fn import_registry(
    db: &dyn Store,
    file: &Path,
    skip_invalid: bool,
    report: &Path,
    actor: &str,
) -> Result<(), String> {
    let started = Instant::now();
    let (headers, rows) = open_rows(file)?;
    let mapping =
        Mapping::from_headers(&headers).map_err(|e| format!("{}: {e}", file.display()))?;
    if !mapping.ignored.is_empty() {
        eprintln!("columns not imported: {}", mapping.ignored.join(", "));
    }
    let errors: Arc<Mutex<Vec<RowError>>> = Arc::default();
    let (tx, rx) = mpsc::sync_channel::<Vec<LoadItem>>(16);
    let producer_errors = errors.clone();
    // Parsing and checking run on their own thread while the store writes.
    let producer = std::thread::spawn(move || {
        // Items travel in chunks: one hand-off per chunk, not per row.
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut households: HashMap<String, Household> = HashMap::new();
        let mut rows_read = 0usize;
        let mut last_report = Instant::now();
        for row in rows {
            rows_read += 1;
            let result = row.map_err(|e| vec![e]).and_then(|(line, cells)| {
                if cells.iter().all(|c| matches!(c, Cell::Empty)) {
                    return Ok(None);
                }
                mapping.person(line, &cells).map(|p| Some((line, p)))
            });
            match result {
                Ok(None) => {}
                Ok(Some((line, person))) => {
                    if let Some(hid) = &person.household_id {
                        let entry = households.entry(hid.clone()).or_insert_with(|| Household {
                            id: hid.clone(),
                            head_personal_id: None,
                            address: person.permanent_address.clone(),
                        });
                        let is_head = person
                            .relation_to_head
                            .as_deref()
                            .is_some_and(|r| name::stripped_key(r) == "chu ho");
                        if is_head {
                            entry.head_personal_id = Some(person.personal_id.clone());
                            entry.address = person.permanent_address.clone();
                        }
                    }
                    match LoadItem::person(line, person) {
                        Ok(item) => {
                            chunk.push(item);
                            if chunk.len() == CHUNK
                                && tx
                                    .send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
                                    .is_err()
                            {
                                return;
                            }
                        }
                        Err(e) => producer_errors
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(RowError {
                                line,
                                column: String::new(),
                                value: String::new(),
                                rule: e.to_string(),
                            }),
                    }
                }
                Err(mut errs) => {
                    producer_errors
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .append(&mut errs);
                }
            }
            if rows_read.is_multiple_of(50_000) && last_report.elapsed().as_secs_f64() > 1.0 {
                last_report = Instant::now();
                eprintln!(
                    "  {rows_read} rows read ({:.0} rows/s)",
                    rows_read as f64 / started.elapsed().as_secs_f64()
                );
            }
        }
        let mut households: Vec<Household> = households.into_values().collect();
        households.sort_by(|a, b| a.id.cmp(&b.id));
        chunk.extend(households.into_iter().map(LoadItem::Household));
        let _ = tx.send(chunk);
    });
    let change = ChangeMeta {
        actor: actor.to_string(),
        reason: Some(format!(
            "import of {}",
            file.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        )),
    };
    let mut conflicts: Vec<LoadConflict> = Vec::new();
    let mut items = rx.into_iter().flatten();
    let summary = db
        .load(&mut items, &change, &mut |found| {
            conflicts = found.to_vec();
            let bad =
                !errors.lock().unwrap_or_else(|e| e.into_inner()).is_empty() || !found.is_empty();
            skip_invalid || !bad
        })
        .map_err(|e| format!("the import failed and nothing was written: {e}"))?;
    producer
        .join()
        .map_err(|_| "the file reader stopped unexpectedly; nothing was written".to_string())?;
    let mut all_errors = std::mem::take(&mut *errors.lock().unwrap_or_else(|e| e.into_inner()));
    all_errors.extend(conflicts.into_iter().map(|c| RowError {
        line: c.line,
        column: "Số định danh cá nhân".into(),
        value: c.personal_id,
        rule: c.rule,
    }));
    all_errors.sort_by_key(|e| e.line);
    let bad_rows = {
        let mut lines: Vec<usize> = all_errors.iter().map(|e| e.line).collect();
        lines.dedup();
        lines.len()
    };
    if !all_errors.is_empty() {
        write_report(report, &all_errors)?;
        for e in all_errors.iter().take(10) {
            eprintln!(
                "  line {}, column {:?}, value {:?}: {}",
                e.line, e.column, e.value, e.rule
            );
        }
        if all_errors.len() > 10 {
            eprintln!("  … {} more", all_errors.len() - 10);
        }
        eprintln!("error report: {}", report.display());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let audit = {
        let mut r =
            xaso_store::AuditRecord::now(actor, "cli", "register.import", "import registry");
        r.reason = Some(format!(
            "{} persons from {} ({} rows refused, committed: {})",
            summary.persons,
            file.display(),
            bad_rows,
            summary.committed
        ));
        r
    };
    db.append_audit(&[audit])
        .map_err(|e| format!("cannot write the audit log: {e}"))?;
    if summary.committed {
        eprintln!(
            "imported {} persons and {} households in {elapsed:.1}s ({:.0} persons/s){}",
            summary.persons,
            summary.households,
            summary.persons as f64 / elapsed.max(1e-9),
            if bad_rows > 0 {
                format!("; {bad_rows} rows refused (--skip-invalid)")
            } else {
                String::new()
            }
        );
        Ok(())
    } else {
        Err(format!(
            "{bad_rows} rows are invalid; nothing was imported. Fix them (see {}) or use --skip-invalid to import the valid rows only",
            report.display()
        ))
    }
}

fn write_report(path: &Path, errors: &[RowError]) -> Result<(), String> {
    let mut w = csv::Writer::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let io = |e: csv::Error| format!("{}: {e}", path.display());
    w.write_record([
        "Dòng / line",
        "Cột / column",
        "Giá trị / value",
        "Lỗi / rule",
    ])
    .map_err(io)?;
    for e in errors {
        w.write_record([
            e.line.to_string(),
            e.column.clone(),
            e.value.clone(),
            e.rule.clone(),
        ])
        .map_err(io)?;
    }
    w.flush().map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cells(values: &[&str]) -> Vec<Cell> {
        values
            .iter()
            .map(|v| {
                if v.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(v.to_string())
                }
            })
            .collect()
    }

    #[test]
    fn vietnamese_headers_map_to_fields() {
        for (header, field) in [
            ("Họ và tên", Field::FullName),
            ("HỌ VÀ TÊN", Field::FullName),
            ("Số định danh cá nhân", Field::PersonalId),
            ("Số CCCD", Field::PersonalId),
            ("Ngày, tháng, năm sinh", Field::DateOfBirth),
            ("Số định danh vợ/chồng", Field::SpouseId),
            ("Quan hệ với chủ hộ", Field::RelationToHead),
            ("\u{feff}Số định danh cá nhân", Field::PersonalId),
        ] {
            assert_eq!(field_for_header(header), Some(field), "{header}");
        }
        assert_eq!(field_for_header("Ghi chú"), None);
        for h in REGISTER_HEADERS {
            assert!(field_for_header(h).is_some(), "{h} is not recognised");
        }
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let err = Mapping::from_headers(&["Họ và tên".to_string(), "Ngày sinh".to_string()])
            .err()
            .unwrap();
        assert!(err.contains("Số định danh cá nhân"), "{err}");
    }

    #[test]
    fn each_bad_value_names_line_column_and_rule() {
        let headers: Vec<String> = [
            "Số định danh cá nhân",
            "Họ và tên",
            "Ngày sinh",
            "Giới tính",
            "Dân tộc",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let m = Mapping::from_headers(&headers).unwrap();
        let ok = m
            .person(
                2,
                &cells(&["038095001234", "Nguyễn Văn An", "07/03/1995", "Nam", "Kinh"]),
            )
            .unwrap();
        assert_eq!(ok.full_name, "Nguyễn Văn An");
        assert_eq!(ok.ethnicity.as_deref(), Some("01"));
        let errs = m
            .person(
                7,
                &cells(&["03809500123", "", "31/02/1995", "X", "Martian"]),
            )
            .unwrap_err();
        let columns: Vec<&str> = errs.iter().map(|e| e.column.as_str()).collect();
        assert!(errs.iter().all(|e| e.line == 7));
        for c in [
            "Số định danh cá nhân",
            "Họ và tên",
            "Ngày sinh",
            "Giới tính",
            "Dân tộc",
        ] {
            assert!(columns.contains(&c), "no error for {c}: {errs:?}");
        }
    }

    #[test]
    fn id_disagreeing_with_birth_year_is_refused() {
        let headers: Vec<String> = [
            "Số định danh cá nhân",
            "Họ và tên",
            "Ngày sinh",
            "Giới tính",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let m = Mapping::from_headers(&headers).unwrap();
        let errs = m
            .person(
                3,
                &cells(&["038095001234", "Nguyễn Văn An", "07/03/1996", "Nam"]),
            )
            .unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].column, "Ngày sinh");
    }

    #[test]
    fn excel_number_cells_get_their_leading_zeros_back() {
        assert_eq!(
            id_text(&Cell::Number(38095001234.0)).unwrap(),
            "038095001234"
        );
        assert_eq!(id_text(&Cell::Number(12345678.0)).unwrap(), "012345678");
        assert!(id_text(&Cell::Number(1.5)).is_err());
    }

    fn arbitrary_cell() -> impl proptest::strategy::Strategy<Value = Cell> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Cell::Empty),
            any::<f64>().prop_map(Cell::Number),
            (0.0f64..1e13).prop_map(|n| Cell::Number(n.trunc())),
            "\\PC{0,30}".prop_map(Cell::Text),
            "[0-9 ./-]{0,14}".prop_map(Cell::Text),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Any row of any spreadsheet gives a person or errors naming a known column; never a panic.
        #[test]
        fn any_row_gives_a_person_or_named_errors(cells in proptest::collection::vec(arbitrary_cell(), 0..27)) {
            let headers: Vec<String> = REGISTER_HEADERS.iter().map(|s| s.to_string()).collect();
            let m = Mapping::from_headers(&headers).unwrap();
            match m.person(9, &cells) {
                Ok(p) => proptest::prop_assert!(!p.full_name.is_empty()),
                Err(errors) => {
                    proptest::prop_assert!(!errors.is_empty());
                    for e in errors {
                        proptest::prop_assert_eq!(e.line, 9);
                        proptest::prop_assert!(REGISTER_HEADERS.contains(&e.column.as_str()), "{:?}", e);
                        proptest::prop_assert!(!e.rule.is_empty());
                    }
                }
            }
        }
    }
}
