//! The chip ID card (CCCD / Căn cước). For now: the QR code printed on the card, which the
//! one-stop desk scans instead of typing a citizen's data (one of the "07 methods").
//!
//! The payload (Circular 06/2021) is
//! `ID|old CMND|Full name|DOB ddMMyyyy|Nam or Nữ|Permanent address|Issue date ddMMyyyy`.
//! The 2024 "Căn cước" card adds fields whose order is not verified, so six or more fields are
//! accepted and anything after the seventh is kept as given. Desk scanners type the payload like
//! a keyboard, so line endings, surrounding blanks, a byte-order mark and decomposed (NFD)
//! Unicode are tolerated.
//!
//! [`compare`] puts a scanned card beside the register's record, reading the card's printed
//! address (old units on cards issued before July 2025) into the communes in force.

pub mod chip;
pub mod compare;
pub mod lds;
pub mod tlv;

use std::fmt;

use serde::{Serialize, Serializer};
use time::Date;
use xaso_domain::date::DateError;
use xaso_domain::name;
use xaso_domain::personal_id::{CmndError, IdMismatch, PersonalIdError};
use xaso_domain::register::{Address, Person};
use xaso_domain::{Cmnd, PartialDate, PersonalId, Sex};

/// What the QR code of one card says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardQr {
    pub personal_id: PersonalId,
    /// The old 9-digit identity card number, when the holder had one.
    pub old_cmnd: Option<Cmnd>,
    /// Normalized (NFC, single spaces) but otherwise as printed.
    pub full_name: String,
    /// Partial when the card says 00 for an unknown day or month.
    pub date_of_birth: PartialDate,
    pub sex: Sex,
    /// Normalized, as printed (old administrative units on cards issued before July 2025).
    pub permanent_address: String,
    #[serde(serialize_with = "serialize_opt_date")]
    pub issue_date: Option<Date>,
    /// Fields after the seventh (2024 cards), as given.
    pub extra_fields: Vec<String>,
    /// Where the ID number disagrees with the printed date of birth or sex, in English. A
    /// warning for the officer, not an error: the card is what the state issued.
    /// [`CardQr::id_mismatches_vi`] gives them in Vietnamese.
    pub id_mismatches: Vec<String>,
}

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn serialize_opt_date<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&iso(*d)),
        None => s.serialize_none(),
    }
}

fn ddmmyyyy(d: Date) -> String {
    format!("{:02}{:02}{:04}", d.day(), u8::from(d.month()), d.year())
}

/// Why a payload is not a card QR code, and which field is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QrError {
    /// "payload", "personal_id", "old_cmnd", "full_name", "date_of_birth", "sex",
    /// "permanent_address" or "issue_date".
    pub field: &'static str,
    /// 1-based field number; 0 for the whole payload.
    pub position: usize,
    /// The rule broken, in English (the JSON API, the log); [`QrError::vi`] for the officer
    /// pages.
    pub message: String,
    /// The rule broken, structured; `message` is its English.
    #[serde(skip)]
    problem: QrProblem,
}

/// The rule a payload breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrProblem {
    EmptyPayload,
    /// Fewer than six fields separated by `|`.
    TooFewFields {
        got: usize,
    },
    /// `value` is trimmed, as in the variants below; when it is empty, the message is the
    /// nested error's alone.
    PersonalId {
        value: String,
        error: PersonalIdError,
    },
    OldCmnd {
        value: String,
        error: CmndError,
    },
    EmptyFullName,
    EmptyDateOfBirth,
    /// The date of birth or the issue date ([`QrError::field`] says which).
    Date {
        value: String,
        error: DateError,
    },
    /// Neither Nam nor Nữ.
    Sex {
        value: String,
    },
    EmptyPermanentAddress,
}

impl fmt::Display for QrProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QrProblem::EmptyPayload => f.write_str("the payload is empty"),
            QrProblem::TooFewFields { got } => write!(
                f,
                "expected at least 6 fields separated by |, got {got}; is this the QR code of a chip ID card?"
            ),
            QrProblem::PersonalId { value, error } if value.is_empty() => write!(f, "{error}"),
            QrProblem::PersonalId { value, error } => {
                write!(f, "{value} is not a valid personal ID number: {error}")
            }
            QrProblem::OldCmnd { value, error } if value.is_empty() => write!(f, "{error}"),
            QrProblem::OldCmnd { value, error } => {
                write!(f, "{value} is not an old ID card number: {error}")
            }
            QrProblem::EmptyFullName => f.write_str("the full name is empty"),
            QrProblem::EmptyDateOfBirth => f.write_str("the date of birth is empty"),
            QrProblem::Date { value, error } if value.is_empty() => write!(f, "{error}"),
            QrProblem::Date { value, error } => write!(f, "{value} is not a date: {error}"),
            QrProblem::Sex { value } => write!(f, "{value:?} is neither Nam nor Nữ"),
            QrProblem::EmptyPermanentAddress => f.write_str("the permanent address is empty"),
        }
    }
}

impl QrProblem {
    /// The rule in Vietnamese, for the officer pages ([`fmt::Display`] is the English). What
    /// was scanned is quoted in NFC.
    pub fn vi(&self) -> String {
        let text = match self {
            QrProblem::EmptyPayload => "Mã QR không có nội dung".to_owned(),
            QrProblem::TooFewFields { got } => format!(
                "Mã QR phải có ít nhất 6 trường ngăn cách bằng dấu |, nhưng chỉ có {got}; \
                 đây có phải là mã QR trên thẻ căn cước gắn chip không?"
            ),
            QrProblem::PersonalId { value, error } if value.is_empty() => error.vi(),
            QrProblem::PersonalId { value, error } => format!(
                "{value} không phải là số định danh cá nhân hợp lệ. {}",
                error.vi()
            ),
            QrProblem::OldCmnd { value, error } if value.is_empty() => error.vi(),
            QrProblem::OldCmnd { value, error } => {
                format!("{value} không phải là số CMND hợp lệ. {}", error.vi())
            }
            QrProblem::EmptyFullName => "Thiếu họ và tên".to_owned(),
            QrProblem::EmptyDateOfBirth => "Thiếu ngày sinh".to_owned(),
            QrProblem::Date { value, error } if value.is_empty() => error.vi(),
            QrProblem::Date { value, error } => {
                format!("{value} không phải là ngày hợp lệ. {}", error.vi())
            }
            QrProblem::Sex { value } => format!(
                "Giới tính {:?} không hợp lệ; phải là Nam hoặc Nữ",
                name::nfc(value)
            ),
            QrProblem::EmptyPermanentAddress => "Thiếu nơi thường trú".to_owned(),
        };
        name::nfc(&text)
    }
}

impl QrError {
    fn new(field: &'static str, position: usize, problem: QrProblem) -> Self {
        QrError {
            field,
            position,
            message: problem.to_string(),
            problem,
        }
    }

    /// The rule broken, structured.
    pub fn problem(&self) -> &QrProblem {
        &self.problem
    }

    /// The field as the card's holder and the officer call it: "Số định danh", "Số CMND",
    /// "Họ và tên", "Ngày sinh", "Giới tính", "Nơi thường trú", "Ngày cấp"; "Mã QR" for the
    /// whole payload.
    pub fn field_vi(&self) -> &'static str {
        field_vi(self.field)
    }

    /// The rule broken, in Vietnamese, without the field.
    pub fn message_vi(&self) -> String {
        self.problem.vi()
    }

    /// The whole error in Vietnamese, for the officer pages: "Trường 4 (Ngày sinh): 31021990
    /// không phải là ngày hợp lệ. Ngày 31 không có trong tháng 2 năm 1990". [`fmt::Display`]
    /// is the English.
    pub fn vi(&self) -> String {
        if self.position == 0 {
            self.message_vi()
        } else {
            format!(
                "Trường {} ({}): {}",
                self.position,
                self.field_vi(),
                self.message_vi()
            )
        }
    }
}

impl fmt::Display for QrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.position == 0 {
            write!(f, "{}: {}", self.field, self.message)
        } else {
            write!(
                f,
                "field {} ({}): {}",
                self.position, self.field, self.message
            )
        }
    }
}

impl std::error::Error for QrError {}

/// Field names by 1-based position.
const FIELDS: [&str; 7] = [
    "personal_id",
    "old_cmnd",
    "full_name",
    "date_of_birth",
    "sex",
    "permanent_address",
    "issue_date",
];

/// The Vietnamese name of a field of the QR payload ([`QrError::field`]).
pub fn field_vi(field: &str) -> &'static str {
    match field {
        "personal_id" => "Số định danh",
        "old_cmnd" => "Số CMND",
        "full_name" => "Họ và tên",
        "date_of_birth" => "Ngày sinh",
        "sex" => "Giới tính",
        "permanent_address" => "Nơi thường trú",
        "issue_date" => "Ngày cấp",
        _ => "Mã QR",
    }
}

fn field_error(position: usize, problem: QrProblem) -> QrError {
    QrError::new(
        FIELDS.get(position - 1).copied().unwrap_or("payload"),
        position,
        problem,
    )
}

fn date_error(position: usize, value: &str, error: DateError) -> QrError {
    field_error(
        position,
        QrProblem::Date {
            value: value.to_owned(),
            error,
        },
    )
}

/// Reads a scanned payload.
pub fn parse_qr(payload: &str) -> Result<CardQr, QrError> {
    // A scanner may send a BOM first and CR/LF last; the blanks around are noise too.
    let payload = payload.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if payload.is_empty() {
        return Err(QrError::new("payload", 0, QrProblem::EmptyPayload));
    }
    let fields: Vec<&str> = payload.split('|').collect();
    if fields.len() < 6 {
        return Err(QrError::new(
            "payload",
            0,
            QrProblem::TooFewFields { got: fields.len() },
        ));
    }

    let raw_id = fields[0].trim();
    let personal_id = PersonalId::parse(raw_id).map_err(|error| {
        field_error(
            1,
            QrProblem::PersonalId {
                value: raw_id.to_owned(),
                error,
            },
        )
    })?;

    let raw_cmnd = fields[1].trim();
    let old_cmnd = if raw_cmnd.is_empty() {
        None
    } else {
        Some(Cmnd::parse(raw_cmnd).map_err(|error| {
            field_error(
                2,
                QrProblem::OldCmnd {
                    value: raw_cmnd.to_owned(),
                    error,
                },
            )
        })?)
    };

    let full_name = name::normalize(fields[2]);
    if full_name.is_empty() {
        return Err(field_error(3, QrProblem::EmptyFullName));
    }

    let raw_dob = fields[3].trim();
    if raw_dob.is_empty() {
        return Err(field_error(4, QrProblem::EmptyDateOfBirth));
    }
    let date_of_birth =
        PartialDate::parse_ddmmyyyy(raw_dob).map_err(|e| date_error(4, raw_dob, e))?;

    let raw_sex = fields[4].trim();
    let sex = Sex::parse(raw_sex).ok_or_else(|| {
        field_error(
            5,
            QrProblem::Sex {
                value: raw_sex.to_owned(),
            },
        )
    })?;

    let permanent_address = name::normalize(fields[5]);
    if permanent_address.is_empty() {
        return Err(field_error(6, QrProblem::EmptyPermanentAddress));
    }

    let issue_date = match fields.get(6).map(|s| s.trim()) {
        None | Some("") => None,
        Some(raw) => Some(PartialDate::from_ddmmyyyy(raw).map_err(|e| date_error(7, raw, e))?),
    };

    let extra_fields = fields
        .get(7..)
        .unwrap_or_default()
        .iter()
        .map(|s| (*s).to_owned())
        .collect();

    let id_mismatches = personal_id
        .check_against(Some(&date_of_birth), Some(sex))
        .iter()
        .map(ToString::to_string)
        .collect();

    Ok(CardQr {
        personal_id,
        old_cmnd,
        full_name,
        date_of_birth,
        sex,
        permanent_address,
        issue_date,
        extra_fields,
        id_mismatches,
    })
}

impl CardQr {
    /// [`CardQr::id_mismatches`] in Vietnamese, one for one and in the same order ("Năm sinh
    /// theo số định danh là 1995, khác năm sinh 1996"). Computed from the card's own ID, date
    /// of birth and sex, so the serialized card is unchanged; a text that is not one of those
    /// disagreements (a card built by hand) is kept as it is.
    pub fn id_mismatches_vi(&self) -> Vec<String> {
        let found = self
            .personal_id
            .check_against(Some(&self.date_of_birth), Some(self.sex));
        self.id_mismatches
            .iter()
            .map(|text| {
                found
                    .iter()
                    .find(|m| m.to_string() == *text)
                    .map_or_else(|| text.clone(), IdMismatch::vi)
            })
            .collect()
    }

    /// The payload a card with these data carries (for test and demo cards). Partial dates of
    /// birth are written with 00 for the unknown parts.
    pub fn to_payload(&self) -> String {
        let dob = match self.date_of_birth {
            PartialDate::Full(d) => ddmmyyyy(d),
            PartialDate::YearMonth { year, month } => format!("00{month:02}{year:04}"),
            PartialDate::Year(year) => format!("0000{year:04}"),
        };
        let mut fields = vec![
            self.personal_id.to_string(),
            self.old_cmnd
                .as_ref()
                .map(Cmnd::to_string)
                .unwrap_or_default(),
            self.full_name.clone(),
            dob,
            self.sex.label_vi().to_owned(),
            self.permanent_address.clone(),
        ];
        if self.issue_date.is_some() || !self.extra_fields.is_empty() {
            fields.push(self.issue_date.map(ddmmyyyy).unwrap_or_default());
        }
        fields.extend(self.extra_fields.iter().cloned());
        fields.join("|")
    }

    /// A register record prefilled from the card, so the desk does not retype what the state
    /// already printed. The address is kept as text: cards issued before July 2025 name the old
    /// administrative units, which a person must map to the new commune.
    pub fn to_person(&self) -> Person {
        let mut p = Person::new(self.personal_id.clone(), self.full_name.clone());
        p.old_cmnd = self.old_cmnd.clone();
        p.date_of_birth = Some(self.date_of_birth);
        p.sex = Some(self.sex);
        p.permanent_address = Address {
            detail: Some(self.permanent_address.clone()),
            commune_code: None,
        };
        p
    }
}

/// Checks shared by the tests of the Vietnamese texts.
#[cfg(test)]
pub(crate) mod vi_check {
    use xaso_domain::name;

    /// A Vietnamese text that can stand beside its English one: non-empty, trimmed, NFC, with
    /// Vietnamese letters, not the English left untranslated, and naming every number the
    /// English names (except the digits of `\u{…}` escapes, which `{:?}` writes for
    /// combining marks the Vietnamese quotes composed).
    pub(crate) fn assert_vi(en: &str, vi: &str) {
        assert!(!en.is_empty(), "empty English beside {vi:?}");
        assert!(!vi.trim().is_empty(), "empty Vietnamese for {en:?}");
        assert_eq!(vi, vi.trim(), "{vi:?}");
        assert_eq!(name::nfc(vi), vi, "not NFC: {vi:?}");
        assert!(name::has_diacritics(vi), "no Vietnamese letter: {vi:?}");
        assert_ne!(vi, en, "untranslated: {en:?}");
        let mut en_unescaped = String::new();
        let mut rest = en;
        while let Some(i) = rest.find("\\u{") {
            en_unescaped.push_str(&rest[..i]);
            en_unescaped.push(' ');
            rest = rest[i..].split_once('}').map_or("", |(_, after)| after);
        }
        en_unescaped.push_str(rest);
        for number in en_unescaped
            .split(|c: char| !c.is_ascii_digit())
            .filter(|n| !n.is_empty())
        {
            assert!(vi.contains(number), "{number} of {en:?} missing in {vi:?}");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::vi_check::assert_vi;
    use proptest::prelude::*;
    use time::macros::date;

    const AN: &str =
        "038095001234|173456789|Nguyễn Văn An|07031995|Nam|Thôn 3, Tế Lợi, Nông Cống, Thanh Hóa|15082021";

    #[test]
    fn a_2021_card() {
        let c = parse_qr(AN).unwrap();
        assert_eq!(c.personal_id.as_str(), "038095001234");
        assert_eq!(c.old_cmnd.as_ref().map(Cmnd::as_str), Some("173456789"));
        assert_eq!(c.full_name, "Nguyễn Văn An");
        assert_eq!(c.date_of_birth, PartialDate::Full(date!(1995 - 03 - 07)));
        assert_eq!(c.sex, Sex::Male);
        assert_eq!(c.permanent_address, "Thôn 3, Tế Lợi, Nông Cống, Thanh Hóa");
        assert_eq!(c.issue_date, Some(date!(2021 - 08 - 15)));
        assert!(c.extra_fields.is_empty());
        assert!(c.id_mismatches.is_empty());
        assert_eq!(c.to_payload(), AN);
    }

    #[test]
    fn variants_the_desk_meets() {
        // Empty CMND (born after CMND ended), a woman born in 2003.
        let c = parse_qr(
            "038303000042||Lê Thị Hoà|21112003|Nữ|Xóm 5, Tế Lợi, Nông Cống, Thanh Hóa|02022022",
        )
        .unwrap();
        assert_eq!(c.old_cmnd, None);
        assert_eq!(c.sex, Sex::Female);
        assert!(c.id_mismatches.is_empty());

        // Six fields: no issue date.
        let c =
            parse_qr("038095001234|173456789|Nguyễn Văn An|07031995|Nam|Thôn 3, Tế Lợi").unwrap();
        assert_eq!(c.issue_date, None);
        assert!(c.extra_fields.is_empty());

        // 2024 card with extra fields, kept as given.
        let c = parse_qr(&format!("{AN}|Nguyễn Văn Bình|Trần Thị Cúc| x ")).unwrap();
        assert_eq!(
            c.extra_fields,
            vec!["Nguyễn Văn Bình", "Trần Thị Cúc", " x"]
        );
        assert_eq!(c.issue_date, Some(date!(2021 - 08 - 15)));

        // Windows line ending, BOM, blanks, as a keyboard-wedge scanner types it.
        assert_eq!(
            parse_qr(&format!("\u{feff}  {AN}\r\n")).unwrap(),
            parse_qr(AN).unwrap()
        );

        // Decomposed Unicode from some scanner drivers.
        let nfd = "038095001234|173456789|Nguye\u{302}\u{303}n Va\u{306}n An|07031995|Nam|Tho\u{302}n 3, Te\u{302}\u{301} Lo\u{31b}\u{323}i|15082021";
        let c = parse_qr(nfd).unwrap();
        assert_eq!(c.full_name, "Nguyễn Văn An");
        assert_eq!(c.permanent_address, "Thôn 3, Tế Lợi");
        let c = parse_qr(&AN.replace("|Nam|", "|Nu\u{31b}\u{303}|")).unwrap();
        assert_eq!(c.sex, Sex::Female);

        // An old person with only a birth year, and one with a month.
        let c = parse_qr(&AN.replace("|07031995|", "|00001950|")).unwrap();
        assert_eq!(c.date_of_birth, PartialDate::Year(1950));
        let c = parse_qr(&AN.replace("|07031995|", "|00031950|")).unwrap();
        assert_eq!(
            c.date_of_birth,
            PartialDate::YearMonth {
                year: 1950,
                month: 3
            }
        );

        // Blanks inside a field are tidied; an empty seventh field means no issue date.
        let c = parse_qr("038095001234| |  Nguyễn  Văn An |07031995| Nam |Thôn 3  |").unwrap();
        assert_eq!(c.full_name, "Nguyễn Văn An");
        assert_eq!(c.permanent_address, "Thôn 3");
        assert_eq!(c.old_cmnd, None);
        assert_eq!(c.issue_date, None);
    }

    #[test]
    fn id_mismatches_are_warnings() {
        let c = parse_qr(&AN.replace("|07031995|Nam|", "|07031996|Nữ|")).unwrap();
        assert_eq!(
            c.id_mismatches,
            vec![
                "the ID number says born 1995 but the date of birth is 1996",
                "the ID number says male but the recorded sex is female",
            ]
        );
    }

    #[test]
    fn each_failure_names_its_field() {
        let cases: &[(String, &str, usize, &str)] = &[
            (String::new(), "payload", 0, "payload: the payload is empty"),
            ("\r\n".into(), "payload", 0, "payload: the payload is empty"),
            (
                "038095001234|Nguyễn Văn An|07031995".into(),
                "payload",
                0,
                "payload: expected at least 6 fields separated by |, got 3",
            ),
            (
                AN.replace("038095001234", "03809500123"),
                "personal_id",
                1,
                "field 1 (personal_id): 03809500123 is not a valid personal ID number: must be 12 digits, got 11",
            ),
            (
                AN.replace("038095001234", "099095001234"),
                "personal_id",
                1,
                "field 1 (personal_id): 099095001234 is not a valid personal ID number: birthplace code 099",
            ),
            (
                AN.replace("038095001234", ""),
                "personal_id",
                1,
                "field 1 (personal_id): the personal ID number is empty",
            ),
            (
                AN.replace("173456789", "038095001234"),
                "old_cmnd",
                2,
                "field 2 (old_cmnd): 038095001234 is not an old ID card number: an old ID card number (CMND) must be 9 digits, got 12",
            ),
            (
                AN.replace("173456789", "17345678x"),
                "old_cmnd",
                2,
                "field 2 (old_cmnd): 17345678x is not an old ID card number: character 9 is not a digit",
            ),
            (
                AN.replace("Nguyễn Văn An", "  "),
                "full_name",
                3,
                "field 3 (full_name): the full name is empty",
            ),
            (
                AN.replace("07031995", "31021990"),
                "date_of_birth",
                4,
                "field 4 (date_of_birth): 31021990 is not a date: day 31 does not exist in February 1990",
            ),
            (
                AN.replace("07031995", "07/03/1995"),
                "date_of_birth",
                4,
                "field 4 (date_of_birth): 07/03/1995 is not a date: expected 8 digits",
            ),
            (
                AN.replace("07031995", ""),
                "date_of_birth",
                4,
                "field 4 (date_of_birth): the date of birth is empty",
            ),
            (
                AN.replace("|Nam|", "|Khác|"),
                "sex",
                5,
                "field 5 (sex): \"Khác\" is neither Nam nor Nữ",
            ),
            (
                AN.replace("Thôn 3, Tế Lợi, Nông Cống, Thanh Hóa", ""),
                "permanent_address",
                6,
                "field 6 (permanent_address): the permanent address is empty",
            ),
            (
                AN.replace("15082021", "15132021"),
                "issue_date",
                7,
                "field 7 (issue_date): 15132021 is not a date: month 13 is not 1–12",
            ),
            (
                AN.replace("15082021", "00082021"),
                "issue_date",
                7,
                "field 7 (issue_date): 00082021 is not a date: day or month is 00",
            ),
        ];
        for (payload, field, position, message) in cases {
            let e = parse_qr(payload).unwrap_err();
            assert_eq!(
                (e.field, e.position),
                (*field, *position),
                "{payload:?}: {e}"
            );
            assert!(e.to_string().starts_with(message), "{payload:?}: {e}");
        }
    }

    #[test]
    fn id_mismatches_in_vietnamese() {
        let c = parse_qr(&AN.replace("|07031995|Nam|", "|07031996|Nữ|")).unwrap();
        assert_eq!(
            c.id_mismatches_vi(),
            [
                "Năm sinh theo số định danh là 1995, khác năm sinh 1996",
                "Giới tính theo số định danh là Nam, khác giới tính Nữ",
            ]
        );
        for (en, vi) in c.id_mismatches.iter().zip(c.id_mismatches_vi()) {
            assert_vi(en, &vi);
        }
        assert!(parse_qr(AN).unwrap().id_mismatches_vi().is_empty());
        // One for one with the stored texts, even on a card built by hand.
        let mut hand = parse_qr(AN).unwrap();
        hand.id_mismatches = vec!["checked by hand".into()];
        assert_eq!(hand.id_mismatches_vi(), ["checked by hand"]);
    }

    #[test]
    fn each_failure_in_vietnamese() {
        let cases: &[(String, &str)] = &[
            (String::new(), "Mã QR không có nội dung"),
            (
                "038095001234|Nguyễn Văn An|07031995".into(),
                "Mã QR phải có ít nhất 6 trường ngăn cách bằng dấu |, nhưng chỉ có 3; \
                 đây có phải là mã QR trên thẻ căn cước gắn chip không?",
            ),
            (
                AN.replace("038095001234", "03809500123"),
                "Trường 1 (Số định danh): 03809500123 không phải là số định danh cá nhân hợp lệ. \
                 Số định danh phải có đúng 12 chữ số, đã nhập 11",
            ),
            (
                AN.replace("038095001234", "099095001234"),
                "Trường 1 (Số định danh): 099095001234 không phải là số định danh cá nhân hợp lệ. \
                 Mã tỉnh nơi đăng ký khai sinh 099 không tồn tại",
            ),
            (
                AN.replace("038095001234", ""),
                "Trường 1 (Số định danh): Chưa nhập số định danh cá nhân",
            ),
            (
                AN.replace("173456789", "038095001234"),
                "Trường 2 (Số CMND): 038095001234 không phải là số CMND hợp lệ. \
                 Số CMND phải có đúng 9 chữ số, đã nhập 12",
            ),
            (
                AN.replace("Nguyễn Văn An", "  "),
                "Trường 3 (Họ và tên): Thiếu họ và tên",
            ),
            (
                AN.replace("07031995", "31021990"),
                "Trường 4 (Ngày sinh): 31021990 không phải là ngày hợp lệ. \
                 Ngày 31 không có trong tháng 2 năm 1990",
            ),
            (
                AN.replace("07031995", ""),
                "Trường 4 (Ngày sinh): Thiếu ngày sinh",
            ),
            (
                AN.replace("|Nam|", "|Kha\u{301}c|"),
                "Trường 5 (Giới tính): Giới tính \"Khác\" không hợp lệ; phải là Nam hoặc Nữ",
            ),
            (
                AN.replace("Thôn 3, Tế Lợi, Nông Cống, Thanh Hóa", ""),
                "Trường 6 (Nơi thường trú): Thiếu nơi thường trú",
            ),
            (
                AN.replace("15082021", "15132021"),
                "Trường 7 (Ngày cấp): 15132021 không phải là ngày hợp lệ. \
                 Tháng 13 không hợp lệ; tháng phải từ 1 đến 12",
            ),
        ];
        for (payload, want) in cases {
            let e = parse_qr(payload).unwrap_err();
            assert!(e.vi().starts_with(want), "{payload:?}: {}", e.vi());
            assert_vi(&e.to_string(), &e.vi());
            assert_eq!(e.message, e.problem().to_string());
            assert_eq!(e.message_vi(), e.problem().vi());
            if e.position > 0 {
                assert!(e.vi().ends_with(&e.message_vi()));
                assert!(e.vi().contains(e.field_vi()));
            }
        }
        // The English is unchanged.
        let e = parse_qr(&AN.replace("07031995", "31021990")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "field 4 (date_of_birth): 31021990 is not a date: day 31 does not exist in February 1990"
        );
        assert_eq!(e.field_vi(), "Ngày sinh");
        for (field, vi) in FIELDS.iter().zip([
            "Số định danh",
            "Số CMND",
            "Họ và tên",
            "Ngày sinh",
            "Giới tính",
            "Nơi thường trú",
            "Ngày cấp",
        ]) {
            assert_eq!(field_vi(field), vi);
        }
        assert_eq!(field_vi("payload"), "Mã QR");
    }

    /// Exhaustive on purpose: a new variant does not compile until the strategy covers it.
    fn problem_variant(p: &QrProblem) -> usize {
        match p {
            QrProblem::EmptyPayload => 0,
            QrProblem::TooFewFields { .. } => 1,
            QrProblem::PersonalId { .. } => 2,
            QrProblem::OldCmnd { .. } => 3,
            QrProblem::EmptyFullName => 4,
            QrProblem::EmptyDateOfBirth => 5,
            QrProblem::Date { .. } => 6,
            QrProblem::Sex { .. } => 7,
            QrProblem::EmptyPermanentAddress => 8,
        }
    }

    fn arb_problem() -> impl Strategy<Value = QrProblem> {
        let id_errors = prop::sample::select(vec![
            PersonalIdError::Empty,
            PersonalIdError::WrongLength { len: 11 },
            PersonalIdError::NotDigits { position: 4 },
            PersonalIdError::UnknownBirthplace { code: 99 },
            PersonalIdError::BirthYearOutOfRange { year: 2400 },
            PersonalIdError::SerialTooLarge { serial: 1_000_000 },
        ]);
        let cmnd_errors = prop::sample::select(vec![
            CmndError::Empty,
            CmndError::WrongLength { len: 12 },
            CmndError::NotDigits { position: 9 },
        ]);
        let date_errors = prop::sample::select(vec![
            DateError::NotEightDigits,
            DateError::Incomplete,
            DateError::YearOutOfRange { year: 1700 },
            DateError::MonthOutOfRange { month: 13 },
            DateError::DayOutOfRange {
                day: 31,
                month: 2,
                year: 1990,
            },
            DateError::DayWithoutMonth { day: 7 },
        ]);
        let value = "[0-9A-Za-zà-ỹ/ ]{0,12}".prop_map(|v| v.trim().to_owned());
        prop_oneof![
            Just(QrProblem::EmptyPayload),
            (0usize..6).prop_map(|got| QrProblem::TooFewFields { got }),
            (value.clone(), id_errors)
                .prop_map(|(value, error)| QrProblem::PersonalId { value, error }),
            (value.clone(), cmnd_errors)
                .prop_map(|(value, error)| QrProblem::OldCmnd { value, error }),
            Just(QrProblem::EmptyFullName),
            Just(QrProblem::EmptyDateOfBirth),
            (value.clone(), date_errors)
                .prop_map(|(value, error)| QrProblem::Date { value, error }),
            value.prop_map(|value| QrProblem::Sex { value }),
            Just(QrProblem::EmptyPermanentAddress),
        ]
    }

    #[test]
    fn the_strategy_reaches_every_variant() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let mut seen = [false; 9];
        for _ in 0..500 {
            let p = arb_problem().new_tree(&mut runner).unwrap().current();
            seen[problem_variant(&p)] = true;
        }
        assert!(seen.iter().all(|s| *s), "{seen:?}");
    }

    #[test]
    fn prefills_a_person() {
        let p = parse_qr(AN).unwrap().to_person();
        assert_eq!(p.personal_id.as_str(), "038095001234");
        assert_eq!(p.full_name, "Nguyễn Văn An");
        assert_eq!(p.sex, Some(Sex::Male));
        assert_eq!(
            p.date_of_birth.map(|d| d.to_iso()),
            Some("1995-03-07".into())
        );
        assert_eq!(
            p.permanent_address.detail.as_deref(),
            Some("Thôn 3, Tế Lợi, Nông Cống, Thanh Hóa")
        );
        assert_eq!(p.old_cmnd.map(|c| c.to_string()), Some("173456789".into()));
    }

    fn arb_words(max: usize) -> impl Strategy<Value = String> {
        let word = prop::sample::select(vec![
            "Nguyễn", "Trần", "Lê", "Đặng", "Văn", "Thị", "Thuý", "Hòa", "An", "Ngọc", "Ánh",
            "Thôn", "3,", "Tế", "Lợi", "Nông", "Cống", "Thanh", "Hóa", "H'Hen", "Niê",
        ]);
        prop::collection::vec(word, 1..max).prop_map(|w| w.join(" "))
    }

    fn arb_date() -> impl Strategy<Value = Date> {
        (1900i32..=2100, 1u8..=12, 1u8..=28)
            .prop_map(|(y, m, d)| PartialDate::from_ymd(y, m, d).unwrap().full().unwrap())
    }

    fn arb_card() -> impl Strategy<Value = CardQr> {
        let dob = (1900i32..=2100, 0u8..=12, 0u8..=28).prop_map(|(y, m, d)| match (m, d) {
            (0, _) => PartialDate::Year(y),
            (m, 0) => PartialDate::YearMonth { year: y, month: m },
            (m, d) => PartialDate::from_ymd(y, m, d).unwrap(),
        });
        (
            (1u16..=96, any::<bool>(), 1900i32..=2100, 0u32..1_000_000),
            prop::option::of("[0-9]{9}"),
            arb_words(5),
            dob,
            any::<bool>(),
            arb_words(9),
            prop::option::of(arb_date()),
            prop::collection::vec("[A-Za-z0-9À-ỹ ,]{0,12}", 0..4),
        )
            .prop_filter_map(
                "known birthplace",
                |((code, female, year, serial), cmnd, name, dob, female2, addr, issue, extra)| {
                    let sex = if female { Sex::Female } else { Sex::Male };
                    let personal_id = PersonalId::build(code, sex, year, serial).ok()?;
                    let card_sex = if female2 { Sex::Female } else { Sex::Male };
                    let mut extra: Vec<String> = extra;
                    if let Some(last) = extra.last_mut() {
                        // The payload's end is trimmed, so a last field cannot end in a blank.
                        *last = last.trim_end().to_owned();
                    }
                    let id_mismatches = personal_id
                        .check_against(Some(&dob), Some(card_sex))
                        .iter()
                        .map(ToString::to_string)
                        .collect();
                    Some(CardQr {
                        personal_id,
                        old_cmnd: cmnd.map(|c| Cmnd::parse(&c).unwrap()),
                        full_name: name,
                        date_of_birth: dob,
                        sex: card_sex,
                        permanent_address: addr,
                        issue_date: issue,
                        extra_fields: extra,
                        id_mismatches,
                    })
                },
            )
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = parse_qr(&s);
        }

        #[test]
        fn never_panics_on_pipe_heavy_text(s in "[0-9|A-Za-zà-ỹ \r\n\u{feff}]{0,80}") {
            let _ = parse_qr(&s);
        }

        #[test]
        fn every_problem_has_its_vietnamese(p in arb_problem(), position in 0usize..8) {
            assert_vi(&p.to_string(), &p.vi());
            let field = if position == 0 { "payload" } else { FIELDS[position - 1] };
            let e = QrError::new(field, position, p);
            assert_vi(&e.to_string(), &e.vi());
        }

        #[test]
        fn every_refused_field_is_explained_in_vietnamese(
            position in 0usize..7,
            value in "\\PC{0,12}",
        ) {
            let mut fields: Vec<String> = AN.split('|').map(str::to_owned).collect();
            fields[position] = value;
            if let Err(e) = parse_qr(&fields.join("|")) {
                assert_vi(&e.to_string(), &e.vi());
                prop_assert!(e.vi().contains(e.field_vi()) || e.position == 0, "{}", e.vi());
            }
        }

        #[test]
        fn a_built_payload_parses_back(card in arb_card()) {
            let payload = card.to_payload();
            prop_assert_eq!(parse_qr(&payload), Ok(card.clone()));
            prop_assert_eq!(parse_qr(&format!("{payload}\r\n")), Ok(card));
        }
    }
}
