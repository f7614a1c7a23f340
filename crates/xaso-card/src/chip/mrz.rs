//! The machine-readable zone (MRZ) of a TD1 document (ICAO Doc 9303 Part 5; Part 3 for the
//! alphabet, the check digits and the names), as an OCR engine or a document scanner reads it
//! from the back of the chip ID card.
//!
//! A made-up Vietnamese card, in the layout of published samples ([`Td1::vn_personal_id`]):
//!
//! ```text
//! line 1  IDVNM0900123450001090012345<<1    document code, issuing state, document number,
//!                                           its check digit, optional data 1 (here the
//!                                           personal ID and its check digit)
//! line 2  9001011M3001019VNM<<<<<<<<<<<2    date of birth + check digit, sex, date of expiry
//!                                           + check digit, nationality, optional data 2,
//!                                           composite check digit
//! line 3  NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<    primary << secondary identifier
//! ```
//!
//! The alphabet is A–Z, 0–9 and the filler `<`. Blanks around the lines and a byte-order mark
//! are tolerated; anything else — lowercase letters included — is refused with its line and
//! column, since a scanner that reads lowercase has misread the zone. All three lines may also
//! come as one 90-character line.
//!
//! Every check digit is verified (7-3-1 weighting, [`check_digit`]), the composite one too.
//! [`Td1::mrz_information`] and [`MrzInformation::new`] build the MRZ information from which
//! Basic Access Control derives its keys (document number, date of birth, date of expiry,
//! each with its check digit).

use std::fmt;

use serde::Serialize;
use time::{Date, Month};
use xaso_domain::personal_id::PersonalIdError;
use xaso_domain::{PersonalId, Sex};

/// Characters on each line of a TD1 MRZ.
pub const LINE_LEN: usize = 30;

/// The weight pattern of check digits (Doc 9303 Part 3, 4.9).
const WEIGHTS: [u32; 3] = [7, 3, 1];

fn char_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        b'<' => Some(0),
        _ => None,
    }
}

fn is_mrz_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '<'
}

/// The check digit of an MRZ field (Doc 9303 Part 3, 4.9): digits count as themselves, A–Z as
/// 10–35, the filler `<` as 0, weighted 7, 3, 1, 7, 3, 1… and summed modulo 10. `None` when the
/// field holds a character outside the MRZ alphabet.
///
/// ```
/// use xaso_card::chip::mrz::check_digit;
/// assert_eq!(check_digit("L898902C<"), Some(3));
/// assert_eq!(check_digit("690806"), Some(1));
/// assert_eq!(check_digit("l898902c<"), None);
/// ```
pub fn check_digit(field: &str) -> Option<u8> {
    check_digit_bytes(field.as_bytes())
}

fn check_digit_bytes(field: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    for (i, &c) in field.iter().enumerate() {
        sum = (sum + char_value(c)? * WEIGHTS[i % 3]) % 10;
    }
    u8::try_from(sum).ok()
}

/// A field of the MRZ, as errors name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MrzField {
    /// The zone as a whole (line count and length, the alphabet).
    Mrz,
    DocumentCode,
    IssuingState,
    DocumentNumber,
    /// Line 1, columns 16–30 (or what the document number leaves of them).
    OptionalData1,
    DateOfBirth,
    Sex,
    DateOfExpiry,
    Nationality,
    OptionalData2,
    /// The composite check digit (line 2, column 30).
    Composite,
    /// Line 3.
    Names,
    /// The 12-digit personal ID of a Vietnamese card, in optional data 1
    /// ([`Td1::vn_personal_id`]).
    PersonalId,
}

impl MrzField {
    /// The field's code in the JSON API: "date_of_birth".
    pub fn as_str(self) -> &'static str {
        match self {
            MrzField::Mrz => "mrz",
            MrzField::DocumentCode => "document_code",
            MrzField::IssuingState => "issuing_state",
            MrzField::DocumentNumber => "document_number",
            MrzField::OptionalData1 => "optional_data_1",
            MrzField::DateOfBirth => "date_of_birth",
            MrzField::Sex => "sex",
            MrzField::DateOfExpiry => "date_of_expiry",
            MrzField::Nationality => "nationality",
            MrzField::OptionalData2 => "optional_data_2",
            MrzField::Composite => "composite",
            MrzField::Names => "names",
            MrzField::PersonalId => "personal_id",
        }
    }

    /// The field in an English sentence: "the date of birth".
    pub fn en(self) -> &'static str {
        match self {
            MrzField::Mrz => "the MRZ",
            MrzField::DocumentCode => "the document code",
            MrzField::IssuingState => "the issuing state",
            MrzField::DocumentNumber => "the document number",
            MrzField::OptionalData1 => "optional data 1",
            MrzField::DateOfBirth => "the date of birth",
            MrzField::Sex => "the sex",
            MrzField::DateOfExpiry => "the date of expiry",
            MrzField::Nationality => "the nationality",
            MrzField::OptionalData2 => "optional data 2",
            MrzField::Composite => "the whole MRZ (composite)",
            MrzField::Names => "the names",
            MrzField::PersonalId => "the personal ID number",
        }
    }

    /// The field in Vietnamese: "ngày sinh".
    pub fn vi(self) -> &'static str {
        match self {
            MrzField::Mrz => "vùng MRZ",
            MrzField::DocumentCode => "mã loại giấy tờ",
            MrzField::IssuingState => "quốc gia cấp",
            MrzField::DocumentNumber => "số giấy tờ",
            MrzField::OptionalData1 => "dữ liệu tùy chọn 1",
            MrzField::DateOfBirth => "ngày sinh",
            MrzField::Sex => "giới tính",
            MrzField::DateOfExpiry => "ngày hết hạn",
            MrzField::Nationality => "quốc tịch",
            MrzField::OptionalData2 => "dữ liệu tùy chọn 2",
            MrzField::Composite => "toàn bộ vùng MRZ (chữ số kiểm tra tổng hợp)",
            MrzField::Names => "họ tên",
            MrzField::PersonalId => "số định danh cá nhân",
        }
    }
}

/// Why a date field is not a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateRule {
    /// Not six characters of YYMMDD (or, in a date of birth, `<<` for an unknown part).
    Format,
    /// A date of expiry must be complete.
    Incomplete,
    Month(u8),
    /// The day does not exist in the month (29 February is accepted: the century is unknown).
    Day(u8),
}

/// The rule an MRZ breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MrzProblem {
    Empty,
    /// A TD1 MRZ has three lines.
    LineCount {
        got: usize,
    },
    /// Each line has 30 characters.
    LineLength {
        got: usize,
    },
    /// Outside A–Z, 0–9 and `<`.
    BadCharacter {
        found: char,
    },
    /// A check digit that does not match the field (or is not a digit).
    CheckDigit {
        expected: u8,
        found: char,
    },
    /// A TD1 document code starts with I, A or C, then a letter or `<`.
    DocumentCode {
        found: String,
    },
    /// A state code is one to three letters, then fillers.
    StateCode {
        found: String,
    },
    /// Columns 6–14 hold no document number.
    MissingDocumentNumber,
    /// Column 15 is `<` (a document number longer than nine characters), but optional data 1
    /// does not hold the rest of the number, its check digit and a filler.
    DocumentNumberExtension,
    Date {
        found: String,
        rule: DateRule,
    },
    /// Neither M, F nor `<`.
    Sex {
        found: char,
    },
    /// Names hold letters and fillers only.
    NameCharacter {
        found: char,
    },
    /// The name line starts with a filler.
    MissingPrimaryIdentifier,
    /// [`Td1::vn_personal_id`]: the document was not issued by Viet Nam.
    NotVietnamese {
        issuing_state: String,
    },
    /// [`Td1::vn_personal_id`]: columns 16–27 are not 12 digits.
    PersonalIdNotDigits {
        found: String,
    },
    /// [`Td1::vn_personal_id`]: the 12 digits are not a valid personal ID.
    PersonalId(PersonalIdError),
    /// [`MrzInformation::new`]: a value typed for BAC is empty.
    EmptyValue,
}

/// Why a text is not a valid TD1 MRZ: the field, where it is, and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MrzError {
    pub field: MrzField,
    /// 1-based line; 0 for the zone as a whole, or for a value typed rather than read
    /// ([`MrzInformation::new`]).
    pub line: usize,
    /// 1-based column (in characters, after trimming the blanks around the line), or the
    /// position in a typed value; 0 for the whole line.
    pub column: usize,
    pub problem: MrzProblem,
}

impl MrzError {
    fn new(field: MrzField, line: usize, column: usize, problem: MrzProblem) -> Self {
        MrzError {
            field,
            line,
            column,
            problem,
        }
    }

    /// The rule broken, in English, without the position: "check digit of the date of birth:
    /// expected 4, found 7".
    pub fn message(&self) -> String {
        let field = self.field.en();
        match &self.problem {
            MrzProblem::Empty => "the MRZ is empty".to_owned(),
            MrzProblem::LineCount { got } => {
                format!("a TD1 MRZ has 3 lines of 30 characters, got {got} lines")
            }
            MrzProblem::LineLength { got } => {
                format!("a TD1 MRZ line has 30 characters, got {got}")
            }
            MrzProblem::BadCharacter { found } => {
                format!("{found:?} is not an MRZ character (A–Z, 0–9 and <)")
            }
            MrzProblem::CheckDigit { expected, found } => {
                format!("check digit of {field}: expected {expected}, found {found}")
            }
            MrzProblem::DocumentCode { found } => format!(
                "the document code of a TD1 document starts with I, A or C, found {found:?}"
            ),
            MrzProblem::StateCode { found } => format!(
                "{field} is a three-letter code (shorter codes end with <), found {found:?}"
            ),
            MrzProblem::MissingDocumentNumber => "the document number is missing".to_owned(),
            MrzProblem::DocumentNumberExtension => "column 15 is < (a document number longer \
                 than 9 characters), but optional data 1 does not continue it with a check \
                 digit and a <"
                .to_owned(),
            MrzProblem::Date { found, rule } => {
                let why = match rule {
                    DateRule::Format => "is not YYMMDD".to_owned(),
                    DateRule::Incomplete => "must be complete (YYMMDD, no <)".to_owned(),
                    DateRule::Month(m) => format!("has no month {m:02}"),
                    DateRule::Day(d) => format!("has no day {d:02} in its month"),
                };
                format!("{field} {found:?} {why}")
            }
            MrzProblem::Sex { found } => {
                format!("the sex is M, F or < (unspecified), found {found:?}")
            }
            MrzProblem::NameCharacter { found } => {
                format!("names hold only letters and <, found {found:?}")
            }
            MrzProblem::MissingPrimaryIdentifier => {
                "the name line starts with < instead of the primary identifier".to_owned()
            }
            MrzProblem::NotVietnamese { issuing_state } => format!(
                "the document was issued by {issuing_state:?}, not VNM: no Vietnamese personal ID \
                 in its optional data"
            ),
            MrzProblem::PersonalIdNotDigits { found } => format!(
                "a Vietnamese card holds the 12-digit personal ID in columns 16–27 of line 1, \
                 found {found:?}"
            ),
            MrzProblem::PersonalId(e) => format!("not a valid personal ID number: {e}"),
            MrzProblem::EmptyValue => format!("{field} is empty"),
        }
    }

    /// The rule broken, in Vietnamese, without the position: "chữ số kiểm tra của ngày sinh:
    /// đúng ra là 4, nhưng đọc được 7".
    pub fn message_vi(&self) -> String {
        let field = self.field.vi();
        match &self.problem {
            MrzProblem::Empty => "Vùng MRZ không có nội dung".to_owned(),
            MrzProblem::LineCount { got } => format!(
                "Vùng MRZ của thẻ (TD1) có 3 dòng, mỗi dòng 30 ký tự, nhưng đọc được {got} dòng"
            ),
            MrzProblem::LineLength { got } => {
                format!("Mỗi dòng MRZ có 30 ký tự, nhưng dòng này có {got}")
            }
            MrzProblem::BadCharacter { found } => format!(
                "Ký tự {found:?} không thuộc bảng chữ MRZ (A–Z, 0–9 và <)"
            ),
            MrzProblem::CheckDigit { expected, found } => format!(
                "Chữ số kiểm tra của {field}: đúng ra là {expected}, nhưng đọc được {found}"
            ),
            MrzProblem::DocumentCode { found } => format!(
                "Mã loại giấy tờ của thẻ (TD1) bắt đầu bằng I, A hoặc C, nhưng đọc được {found:?}"
            ),
            MrzProblem::StateCode { found } => format!(
                "Mã {field} gồm 3 chữ cái (mã ngắn hơn thì thêm <), nhưng đọc được {found:?}"
            ),
            MrzProblem::MissingDocumentNumber => "Thiếu số giấy tờ".to_owned(),
            MrzProblem::DocumentNumberExtension => "Cột 15 là < (số giấy tờ dài hơn 9 ký tự) \
                 nhưng dữ liệu tùy chọn 1 không có phần tiếp theo của số, chữ số kiểm tra và dấu <"
                .to_owned(),
            MrzProblem::Date { found, rule } => {
                let why = match rule {
                    DateRule::Format => "không đúng dạng YYMMDD".to_owned(),
                    DateRule::Incomplete => "phải đầy đủ (YYMMDD, không có <)".to_owned(),
                    DateRule::Month(m) => format!("không có tháng {m:02}"),
                    DateRule::Day(d) => format!("không có ngày {d:02} trong tháng"),
                };
                let mut s = format!("{field} {found:?} {why}");
                capitalize(&mut s);
                s
            }
            MrzProblem::Sex { found } => format!(
                "Giới tính phải là M (nam), F (nữ) hoặc < (không xác định), nhưng đọc được {found:?}"
            ),
            MrzProblem::NameCharacter { found } => {
                format!("Họ tên chỉ gồm chữ cái và dấu <, nhưng có {found:?}")
            }
            MrzProblem::MissingPrimaryIdentifier => {
                "Dòng họ tên bắt đầu bằng dấu < thay vì họ".to_owned()
            }
            MrzProblem::NotVietnamese { issuing_state } => format!(
                "Giấy tờ do {issuing_state:?} cấp, không phải VNM: không có số định danh cá nhân \
                 Việt Nam trong dữ liệu tùy chọn"
            ),
            MrzProblem::PersonalIdNotDigits { found } => format!(
                "Thẻ Việt Nam ghi số định danh cá nhân 12 chữ số ở cột 16–27 của dòng 1, nhưng \
                 đọc được {found:?}"
            ),
            MrzProblem::PersonalId(e) => {
                format!("Không phải số định danh cá nhân hợp lệ. {}", e.vi())
            }
            MrzProblem::EmptyValue => {
                let mut s = format!("{field} chưa được nhập");
                capitalize(&mut s);
                s
            }
        }
    }

    /// The whole error in Vietnamese, for the officer pages: "Dòng 2, cột 7: Chữ số kiểm tra
    /// của ngày sinh: đúng ra là 4, nhưng đọc được 7". [`fmt::Display`] is the English.
    pub fn vi(&self) -> String {
        match (self.line, self.column) {
            (0, 0) => self.message_vi(),
            (0, c) => format!("{}, ký tự {c}: {}", cap(self.field.vi()), self.message_vi()),
            (l, 0) => format!("Dòng {l}: {}", self.message_vi()),
            (l, c) => format!("Dòng {l}, cột {c}: {}", self.message_vi()),
        }
    }
}

fn capitalize(s: &mut String) {
    *s = cap(s);
}

fn cap(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl fmt::Display for MrzError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, 0) => f.write_str(&self.message()),
            (0, c) => write!(f, "{}, character {c}: {}", self.field.en(), self.message()),
            (l, 0) => write!(f, "line {l}: {}", self.message()),
            (l, c) => write!(f, "line {l}, column {c}: {}", self.message()),
        }
    }
}

impl std::error::Error for MrzError {}

/// A date as the MRZ writes it: two-digit year, month, day. In a date of birth an unknown part
/// is `<<` (Doc 9303 Part 3) and is `None` here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct MrzDate {
    /// The last two digits of the year.
    pub year: Option<u8>,
    pub month: Option<u8>,
    pub day: Option<u8>,
}

impl MrzDate {
    /// YYMMDD with `<<` for unknown parts, as in the MRZ.
    pub fn as_mrz(&self) -> String {
        let part = |p: Option<u8>| p.map_or_else(|| "<<".to_owned(), |v| format!("{v:02}"));
        format!("{}{}{}", part(self.year), part(self.month), part(self.day))
    }

    /// The date in the century that starts at `century` (1900 or 2000: the MRZ does not say
    /// which), when it is complete and exists. A Vietnamese personal ID tells the century of
    /// the holder's birth ([`PersonalId::birth_year`]).
    pub fn in_century(&self, century: i32) -> Option<Date> {
        let year = century.checked_add(i32::from(self.year?))?;
        let month = Month::try_from(self.month?).ok()?;
        Date::from_calendar_date(year, month, self.day?).ok()
    }

    fn parse(raw: &[u8], allow_unknown: bool) -> Result<MrzDate, (usize, DateRule)> {
        if raw.len() != 6 {
            return Err((0, DateRule::Format));
        }
        let mut parts = [None; 3];
        for (i, part) in parts.iter_mut().enumerate() {
            let (a, b) = (raw[2 * i], raw[2 * i + 1]);
            *part = match (a, b) {
                (b'0'..=b'9', b'0'..=b'9') => Some((a - b'0') * 10 + (b - b'0')),
                (b'<', b'<') if allow_unknown => None,
                (b'<', b'<') => return Err((2 * i, DateRule::Incomplete)),
                _ => return Err((2 * i, DateRule::Format)),
            };
        }
        let [year, month, day] = parts;
        if let Some(m) = month {
            if !(1..=12).contains(&m) {
                return Err((2, DateRule::Month(m)));
            }
        }
        if let Some(d) = day {
            let max = match month {
                Some(2) => 29,
                Some(4 | 6 | 9 | 11) => 30,
                _ => 31,
            };
            if d == 0 || d > max {
                return Err((4, DateRule::Day(d)));
            }
        }
        Ok(MrzDate { year, month, day })
    }
}

/// The sex field: M, F, or `<` for unspecified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MrzSex {
    Male,
    Female,
    Unspecified,
}

impl MrzSex {
    /// The register's sex, when specified.
    pub fn to_sex(self) -> Option<Sex> {
        match self {
            MrzSex::Male => Some(Sex::Male),
            MrzSex::Female => Some(Sex::Female),
            MrzSex::Unspecified => None,
        }
    }
}

/// A TD1 MRZ, every check digit verified. Text fields have their trailing fillers removed;
/// names have `<` turned into spaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Td1 {
    /// The three lines as read (blanks around them removed).
    pub lines: [String; 3],
    /// "ID" on Vietnamese cards; "I" for "I<".
    pub document_code: String,
    pub issuing_state: String,
    /// The whole number: a number longer than nine characters continues in optional data 1
    /// (Doc 9303 Part 5, note j).
    pub document_number: String,
    /// Optional data 1 (line 1, columns 16–30) less what a long document number takes, as
    /// printed but without trailing fillers.
    pub optional_data_1: String,
    pub date_of_birth: MrzDate,
    pub sex: MrzSex,
    pub date_of_expiry: MrzDate,
    pub nationality: String,
    /// Line 2, columns 19–29, without trailing fillers.
    pub optional_data_2: String,
    /// The primary identifier (the family name on Vietnamese cards), words separated by
    /// single spaces, without diacritics as the MRZ writes it.
    pub primary_identifier: String,
    /// The secondary identifier (middle and given names); empty when the line has none.
    pub secondary_identifier: String,
    /// The name line is full to its last column, so the names may have been truncated.
    pub names_truncated: bool,
}

/// Reads a TD1 MRZ: three lines of 30 characters (or one of 90), blanks around them allowed.
///
/// ```
/// use xaso_card::chip::mrz;
/// let m = mrz::parse(
///     "IDVNM0900123450001090012345<<1\n\
///      9001011M3001019VNM<<<<<<<<<<<2\n\
///      NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<",
/// )?;
/// assert_eq!(m.document_number, "090012345");
/// assert_eq!(m.primary_identifier, "NGUYEN");
/// assert_eq!(m.secondary_identifier, "VAN AN");
/// assert_eq!(m.vn_personal_id()?.as_str(), "001090012345");
/// assert_eq!(m.mrz_information().as_str(), "090012345090010113001019");
/// # Ok::<(), mrz::MrzError>(())
/// ```
pub fn parse(text: &str) -> Result<Td1, MrzError> {
    let lines = split_lines(text)?;
    let [l1, l2, l3] = &lines;
    let b1 = l1.as_bytes();
    let b2 = l2.as_bytes();
    let b3 = l3.as_bytes();

    let document_code = parse_document_code(b1)?;
    let issuing_state = parse_state(&b1[2..5], MrzField::IssuingState, 1, 3)?;
    let (document_number, optional_data_1) = parse_document_number(b1)?;

    let date_of_birth = parse_date_field(&b2[0..6], b2[6], MrzField::DateOfBirth, 1, true)?;
    let sex = match b2[7] {
        b'M' => MrzSex::Male,
        b'F' => MrzSex::Female,
        b'<' => MrzSex::Unspecified,
        other => {
            return Err(MrzError::new(
                MrzField::Sex,
                2,
                8,
                MrzProblem::Sex {
                    found: char::from(other),
                },
            ))
        }
    };
    let date_of_expiry = parse_date_field(&b2[8..14], b2[14], MrzField::DateOfExpiry, 9, false)?;
    let nationality = parse_state(&b2[15..18], MrzField::Nationality, 2, 16)?;
    let optional_data_2 = strip_fillers(&b2[18..29]);

    // Composite: line 1 columns 6–30, line 2 columns 1–7, 9–15 and 19–29 (Part 5, 4.2.2).
    let mut composite = Vec::with_capacity(25 + 7 + 7 + 11);
    composite.extend_from_slice(&b1[5..30]);
    composite.extend_from_slice(&b2[0..7]);
    composite.extend_from_slice(&b2[8..15]);
    composite.extend_from_slice(&b2[18..29]);
    verify_check_digit(&composite, b2[29], MrzField::Composite, 2, 30)?;

    let (primary_identifier, secondary_identifier) = parse_names(b3)?;

    Ok(Td1 {
        lines: [l1.clone(), l2.clone(), l3.clone()],
        document_code,
        issuing_state,
        document_number,
        optional_data_1,
        date_of_birth,
        sex,
        date_of_expiry,
        nationality,
        optional_data_2,
        primary_identifier,
        secondary_identifier,
        names_truncated: b3[29] != b'<',
    })
}

/// Three lines of 30 MRZ characters, or the error naming the first bad line or character.
fn split_lines(text: &str) -> Result<[String; 3], MrzError> {
    let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if text.is_empty() {
        return Err(MrzError::new(MrzField::Mrz, 0, 0, MrzProblem::Empty));
    }
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| l.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}'))
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if lines.len() == 1 && lines[0].chars().count() == 3 * LINE_LEN {
        let chars: Vec<char> = lines[0].chars().collect();
        lines = chars.chunks(LINE_LEN).map(|c| c.iter().collect()).collect();
    }
    if lines.len() != 3 {
        return Err(MrzError::new(
            MrzField::Mrz,
            0,
            0,
            MrzProblem::LineCount { got: lines.len() },
        ));
    }
    for (i, line) in lines.iter().enumerate() {
        if let Some((col, found)) = line.chars().enumerate().find(|(_, c)| !is_mrz_char(*c)) {
            return Err(MrzError::new(
                MrzField::Mrz,
                i + 1,
                col + 1,
                MrzProblem::BadCharacter { found },
            ));
        }
        // ASCII only from here on, so bytes are characters.
        if line.len() != LINE_LEN {
            return Err(MrzError::new(
                MrzField::Mrz,
                i + 1,
                0,
                MrzProblem::LineLength { got: line.len() },
            ));
        }
    }
    let mut it = lines.into_iter();
    match (it.next(), it.next(), it.next()) {
        (Some(a), Some(b), Some(c)) => Ok([a, b, c]),
        _ => Err(MrzError::new(
            MrzField::Mrz,
            0,
            0,
            MrzProblem::LineCount { got: 0 },
        )),
    }
}

fn text(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn strip_fillers(bytes: &[u8]) -> String {
    let end = bytes.iter().rposition(|&b| b != b'<').map_or(0, |i| i + 1);
    text(&bytes[..end])
}

fn parse_document_code(b1: &[u8]) -> Result<String, MrzError> {
    let code = &b1[0..2];
    let ok =
        matches!(code[0], b'I' | b'A' | b'C') && (code[1].is_ascii_uppercase() || code[1] == b'<');
    if !ok {
        return Err(MrzError::new(
            MrzField::DocumentCode,
            1,
            1,
            MrzProblem::DocumentCode { found: text(code) },
        ));
    }
    Ok(strip_fillers(code))
}

/// A three-letter code: letters, then fillers (Doc 9303 Part 3, section 5).
fn parse_state(
    raw: &[u8],
    field: MrzField,
    line: usize,
    column: usize,
) -> Result<String, MrzError> {
    let letters = raw.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if letters == 0 || raw[letters..].iter().any(|&b| b != b'<') {
        return Err(MrzError::new(
            field,
            line,
            column,
            MrzProblem::StateCode { found: text(raw) },
        ));
    }
    Ok(text(&raw[..letters]))
}

fn verify_check_digit(
    field_bytes: &[u8],
    found: u8,
    field: MrzField,
    line: usize,
    column: usize,
) -> Result<(), MrzError> {
    // The bytes come from a checked line, so the check digit always exists.
    let expected = check_digit_bytes(field_bytes).unwrap_or(0);
    if found == b'0' + expected {
        Ok(())
    } else {
        Err(MrzError::new(
            field,
            line,
            column,
            MrzProblem::CheckDigit {
                expected,
                found: char::from(found),
            },
        ))
    }
}

/// The document number and what remains of optional data 1.
fn parse_document_number(b1: &[u8]) -> Result<(String, String), MrzError> {
    let principal = &b1[5..14];
    if principal.iter().all(|&b| b == b'<') {
        return Err(MrzError::new(
            MrzField::DocumentNumber,
            1,
            6,
            MrzProblem::MissingDocumentNumber,
        ));
    }
    let optional = &b1[15..30];
    if b1[14] != b'<' {
        verify_check_digit(principal, b1[14], MrzField::DocumentNumber, 1, 15)?;
        return Ok((strip_fillers(principal), strip_fillers(optional)));
    }
    // A long number: its remaining characters, its check digit and a filler open optional
    // data 1 (Doc 9303 Part 5, 4.2.2 note j).
    let filler = optional.iter().position(|&b| b == b'<');
    let Some(filler) = filler.filter(|&f| f >= 2) else {
        return Err(MrzError::new(
            MrzField::DocumentNumber,
            1,
            16,
            MrzProblem::DocumentNumberExtension,
        ));
    };
    let mut number = principal.to_vec();
    number.extend_from_slice(&optional[..filler - 1]);
    verify_check_digit(
        &number,
        optional[filler - 1],
        MrzField::DocumentNumber,
        1,
        16 + filler - 1,
    )?;
    Ok((text(&number), strip_fillers(&optional[filler + 1..])))
}

fn parse_date_field(
    raw: &[u8],
    check: u8,
    field: MrzField,
    column: usize,
    allow_unknown: bool,
) -> Result<MrzDate, MrzError> {
    let date = MrzDate::parse(raw, allow_unknown).map_err(|(offset, rule)| {
        MrzError::new(
            field,
            2,
            column + offset,
            MrzProblem::Date {
                found: text(raw),
                rule,
            },
        )
    })?;
    verify_check_digit(raw, check, field, 2, column + 6)?;
    Ok(date)
}

fn parse_names(b3: &[u8]) -> Result<(String, String), MrzError> {
    if let Some(col) = b3.iter().position(|b| b.is_ascii_digit()) {
        return Err(MrzError::new(
            MrzField::Names,
            3,
            col + 1,
            MrzProblem::NameCharacter {
                found: char::from(b3[col]),
            },
        ));
    }
    if b3[0] == b'<' {
        return Err(MrzError::new(
            MrzField::Names,
            3,
            1,
            MrzProblem::MissingPrimaryIdentifier,
        ));
    }
    let line = text(b3);
    let (primary, secondary) = line.split_once("<<").unwrap_or((&line, ""));
    Ok((name_words(primary), name_words(secondary)))
}

fn name_words(raw: &str) -> String {
    raw.split('<')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Td1 {
    /// The MRZ information that Basic Access Control hashes into its keys.
    pub fn mrz_information(&self) -> MrzInformation {
        MrzInformation::from_checked(
            &self.document_number,
            &self.date_of_birth.as_mrz(),
            &self.date_of_expiry.as_mrz(),
        )
    }

    /// The 12-digit personal ID (số định danh cá nhân) of a Vietnamese chip ID card.
    ///
    /// **Not from a published specification.** The layout is the one seen on published samples
    /// of the 2021 chip ID card (CCCD) — the 2024 "Căn cước" card is assumed to keep it, which
    /// is not verified: line 1 columns 16–27 (optional data 1) hold the 12 digits, columns
    /// 28–29 are fillers and column 30 is a 7-3-1 check digit over the 12 digits; the
    /// document number (columns 6–14) is the ID's last nine digits. The check digit in column
    /// 30 is verified when it is a digit; the document number is not compared (the printed
    /// number is the one BAC uses, whatever its relation to the ID).
    pub fn vn_personal_id(&self) -> Result<PersonalId, MrzError> {
        if self.issuing_state != "VNM" {
            return Err(MrzError::new(
                MrzField::PersonalId,
                1,
                3,
                MrzProblem::NotVietnamese {
                    issuing_state: self.issuing_state.clone(),
                },
            ));
        }
        let b1 = self.lines[0].as_bytes();
        let digits = b1.get(15..27).unwrap_or_default();
        if digits.len() != 12 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(MrzError::new(
                MrzField::PersonalId,
                1,
                16,
                MrzProblem::PersonalIdNotDigits {
                    found: text(digits),
                },
            ));
        }
        if let Some(&c) = b1.get(29).filter(|c| c.is_ascii_digit()) {
            verify_check_digit(digits, c, MrzField::PersonalId, 1, 30)?;
        }
        PersonalId::parse(&text(digits))
            .map_err(|e| MrzError::new(MrzField::PersonalId, 1, 16, MrzProblem::PersonalId(e)))
    }
}

/// The MRZ information for Basic Access Control (Doc 9303 Part 11, 4.3): the document number
/// (at least nine characters, padded with `<`) and its check digit, the date of birth and its
/// check digit, the date of expiry and its check digit. Personal data: its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct MrzInformation(String);

impl fmt::Debug for MrzInformation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MrzInformation(..)")
    }
}

impl MrzInformation {
    /// From values typed by an officer or read from the printed card: the document number as
    /// printed (A–Z, 0–9, `<`; blanks around it are ignored), the dates as YYMMDD.
    pub fn new(
        document_number: &str,
        date_of_birth: &str,
        date_of_expiry: &str,
    ) -> Result<MrzInformation, MrzError> {
        let number = document_number.trim().trim_end_matches('<');
        if number.is_empty() {
            return Err(MrzError::new(
                MrzField::DocumentNumber,
                0,
                0,
                MrzProblem::EmptyValue,
            ));
        }
        check_typed_chars(number, MrzField::DocumentNumber)?;
        for (value, field, allow_unknown) in [
            (date_of_birth.trim(), MrzField::DateOfBirth, true),
            (date_of_expiry.trim(), MrzField::DateOfExpiry, false),
        ] {
            if value.is_empty() {
                return Err(MrzError::new(field, 0, 0, MrzProblem::EmptyValue));
            }
            check_typed_chars(value, field)?;
            MrzDate::parse(value.as_bytes(), allow_unknown).map_err(|(offset, rule)| {
                MrzError::new(
                    field,
                    0,
                    offset + 1,
                    MrzProblem::Date {
                        found: value.to_owned(),
                        rule,
                    },
                )
            })?;
        }
        Ok(MrzInformation::from_checked(
            number,
            date_of_birth.trim(),
            date_of_expiry.trim(),
        ))
    }

    /// Fields already known to be in the MRZ alphabet.
    fn from_checked(number: &str, date_of_birth: &str, date_of_expiry: &str) -> MrzInformation {
        let mut s = String::with_capacity(number.len().max(9) + 15);
        s.push_str(number);
        while s.len() < 9 {
            s.push('<');
        }
        let cd = |f: &str| char::from(b'0' + check_digit(f).unwrap_or(0));
        let number_cd = cd(&s);
        s.push(number_cd);
        for date in [date_of_birth, date_of_expiry] {
            s.push_str(date);
            s.push(cd(date));
        }
        MrzInformation(s)
    }

    /// "L898902C<369080619406236".
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_typed_chars(value: &str, field: MrzField) -> Result<(), MrzError> {
    match value.chars().enumerate().find(|(_, c)| !is_mrz_char(*c)) {
        Some((i, found)) => Err(MrzError::new(
            field,
            0,
            i + 1,
            MrzProblem::BadCharacter { found },
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Doc 9303 Part 5's TD1 specimen.
    const SPECIMEN: &str = "I<UTOD231458907<<<<<<<<<<<<<<<\n\
                            7408122F1204159UTO<<<<<<<<<<<6\n\
                            ERIKSSON<<ANNA<MARIA<<<<<<<<<<";

    /// Doc 9303 Part 11 D.2: a document number of 12 characters.
    const LONG_NUMBER: &str = "I<UTOD23145890<7349<<<<<<<<<<<\n\
                               3407127M9507122UTO<<<<<<<<<<<2\n\
                               STEVENSON<<PETER<JOHN<<<<<<<<<";

    /// A made-up Vietnamese card in the layout of published samples (see
    /// [`Td1::vn_personal_id`]): ID 001090012345, born 1 January 1990, expires 1 January 2030.
    fn vn_card() -> String {
        let id = "001090012345";
        let l1 = format!(
            "IDVNM{}{}{id}<<{}",
            &id[3..],
            check_digit(&id[3..]).unwrap(),
            check_digit(id).unwrap()
        );
        let l2_head = format!(
            "900101{}M300101{}VNM<<<<<<<<<<<",
            check_digit("900101").unwrap(),
            check_digit("300101").unwrap()
        );
        let composite = format!(
            "{}{}{}{}",
            &l1[5..30],
            &l2_head[0..7],
            &l2_head[8..15],
            &l2_head[18..29]
        );
        let l2 = format!("{l2_head}{}", check_digit(&composite).unwrap());
        format!("{l1}\n{l2}\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<")
    }

    #[test]
    fn check_digits_of_the_specimens() {
        assert_eq!(check_digit("L898902C<"), Some(3));
        assert_eq!(check_digit("690806"), Some(1));
        assert_eq!(check_digit("940623"), Some(6));
        assert_eq!(check_digit("D23145890"), Some(7));
        assert_eq!(check_digit("D23145890734"), Some(9));
        assert_eq!(check_digit("740812"), Some(2));
        assert_eq!(check_digit("120415"), Some(9));
        assert_eq!(check_digit(""), Some(0));
        assert_eq!(check_digit("ab"), None);
        assert_eq!(check_digit("Đ"), None);
    }

    #[test]
    fn reads_the_td1_specimen() {
        let m = parse(SPECIMEN).unwrap();
        assert_eq!(m.document_code, "I");
        assert_eq!(m.issuing_state, "UTO");
        assert_eq!(m.document_number, "D23145890");
        assert_eq!(m.optional_data_1, "");
        assert_eq!(
            m.date_of_birth,
            MrzDate {
                year: Some(74),
                month: Some(8),
                day: Some(12)
            }
        );
        assert_eq!(m.sex, MrzSex::Female);
        assert_eq!(m.date_of_expiry.as_mrz(), "120415");
        assert_eq!(m.nationality, "UTO");
        assert_eq!(m.optional_data_2, "");
        assert_eq!(m.primary_identifier, "ERIKSSON");
        assert_eq!(m.secondary_identifier, "ANNA MARIA");
        assert!(!m.names_truncated);
        assert_eq!(m.mrz_information().as_str(), "D23145890774081221204159");
        assert_eq!(
            m.date_of_birth.in_century(1900),
            Some(Date::from_calendar_date(1974, Month::August, 12).unwrap())
        );
    }

    #[test]
    fn a_long_document_number_continues_in_optional_data() {
        let m = parse(LONG_NUMBER).unwrap();
        assert_eq!(m.document_number, "D23145890734");
        assert_eq!(m.optional_data_1, "");
        assert_eq!(m.sex, MrzSex::Male);
        assert_eq!(m.primary_identifier, "STEVENSON");
        assert_eq!(m.secondary_identifier, "PETER JOHN");
        // Doc 9303 Part 11 D.2.
        assert_eq!(m.mrz_information().as_str(), "D23145890734934071279507122");

        // The extension's check digit is checked where it stands.
        let bad = LONG_NUMBER.replacen("7349<", "7348<", 1);
        let e = parse(&bad).unwrap_err();
        assert_eq!(
            (e.field, e.line, e.column),
            (MrzField::DocumentNumber, 1, 19)
        );
        assert_eq!(
            e.problem,
            MrzProblem::CheckDigit {
                expected: 9,
                found: '8'
            }
        );
        // Column 15 says "long" but nothing follows.
        let bad = "I<UTOD23145890<<<<<<<<<<<<<<<<\n\
                   3407127M9507122UTO<<<<<<<<<<<2\n\
                   STEVENSON<<PETER<JOHN<<<<<<<<<";
        let e = parse(bad).unwrap_err();
        assert_eq!(e.problem, MrzProblem::DocumentNumberExtension);
        assert_eq!((e.line, e.column), (1, 16));
    }

    #[test]
    fn a_vietnamese_card() {
        let text = vn_card();
        let m = parse(&text).unwrap();
        assert_eq!(m.document_code, "ID");
        assert_eq!(m.issuing_state, "VNM");
        assert_eq!(m.document_number, "090012345");
        assert_eq!(m.optional_data_1.len(), 15);
        assert!(m.optional_data_1.starts_with("001090012345<<"));
        assert_eq!(m.primary_identifier, "NGUYEN");
        assert_eq!(m.secondary_identifier, "VAN AN");
        assert_eq!(m.sex.to_sex(), Some(Sex::Male));
        let id = m.vn_personal_id().unwrap();
        assert_eq!(id.as_str(), "001090012345");
        // The document number is the ID's last nine digits (observed layout).
        assert!(id.as_str().ends_with(&m.document_number));
        assert_eq!(
            m.date_of_birth.in_century(id.birth_year() / 100 * 100),
            Some(Date::from_calendar_date(1990, Month::January, 1).unwrap())
        );
        assert_eq!(
            &m.mrz_information().as_str()[..10],
            format!("090012345{}", check_digit("090012345").unwrap())
        );

        // A wrong check digit after the ID (column 30) is caught by the composite first…
        let lines: Vec<&str> = text.lines().collect();
        let mut l1 = lines[0].to_owned();
        let last = l1.pop().unwrap();
        let wrong = if last == '0' { '1' } else { '0' };
        l1.push(wrong);
        let e = parse(&format!("{l1}\n{}\n{}", lines[1], lines[2])).unwrap_err();
        assert_eq!(e.field, MrzField::Composite);
        // …and by the Vietnamese reading when the composite has been fixed to match.
        let mut m2 = m.clone();
        m2.lines[0] = l1;
        let e = m2.vn_personal_id().unwrap_err();
        assert_eq!((e.field, e.line, e.column), (MrzField::PersonalId, 1, 30));

        let other = parse(SPECIMEN).unwrap();
        let e = other.vn_personal_id().unwrap_err();
        assert!(matches!(e.problem, MrzProblem::NotVietnamese { .. }));
    }

    #[test]
    fn whitespace_around_and_one_long_line_are_tolerated() {
        let padded = format!(
            "\u{feff}  \r\n{}\r\n   \n",
            SPECIMEN.replace('\n', "  \r\n  ")
        );
        assert_eq!(parse(&padded).unwrap(), parse(SPECIMEN).unwrap());
        let one = SPECIMEN.replace('\n', "");
        assert_eq!(parse(&one).unwrap(), parse(SPECIMEN).unwrap());
    }

    #[test]
    fn errors_name_the_field_the_position_and_the_rule() {
        // Date of birth check digit 2 → 7.
        let bad = SPECIMEN.replace("7408122F", "7408127F");
        let e = parse(&bad).unwrap_err();
        assert_eq!((e.field, e.line, e.column), (MrzField::DateOfBirth, 2, 7));
        assert_eq!(
            e.to_string(),
            "line 2, column 7: check digit of the date of birth: expected 2, found 7"
        );
        assert_eq!(
            e.vi(),
            "Dòng 2, cột 7: Chữ số kiểm tra của ngày sinh: đúng ra là 2, nhưng đọc được 7"
        );

        let lower = SPECIMEN.replace("ERIKSSON", "ERIkSSON");
        let e = parse(&lower).unwrap_err();
        assert_eq!((e.line, e.column), (3, 4));
        assert_eq!(e.problem, MrzProblem::BadCharacter { found: 'k' });
        assert!(e.to_string().contains("'k' is not an MRZ character"), "{e}");

        let e = parse("").unwrap_err();
        assert_eq!(e.problem, MrzProblem::Empty);
        let e = parse("I<UTO\nABC").unwrap_err();
        assert_eq!(e.problem, MrzProblem::LineCount { got: 2 });
        let short = SPECIMEN.replace("<6\n", "6\n");
        let e = parse(&short).unwrap_err();
        assert_eq!(
            (e.line, e.problem.clone()),
            (2, MrzProblem::LineLength { got: 29 })
        );

        let e = parse(&SPECIMEN.replace("D231458907", "D231458908")).unwrap_err();
        assert_eq!((e.field, e.column), (MrzField::DocumentNumber, 15));
        assert!(e
            .to_string()
            .ends_with("check digit of the document number: expected 7, found 8"));

        let e = parse(&SPECIMEN.replace("UTO<<<<<<<<<<<6", "UTO<<<<<<<<<<<5")).unwrap_err();
        assert_eq!((e.field, e.line, e.column), (MrzField::Composite, 2, 30));

        let e = parse(&SPECIMEN.replace("7408122", "7413122")).unwrap_err();
        assert_eq!(e.field, MrzField::DateOfBirth);
        assert_eq!(
            e.problem,
            MrzProblem::Date {
                found: "741312".into(),
                rule: DateRule::Month(13)
            }
        );
        assert_eq!(e.column, 3);

        let e = parse(&SPECIMEN.replace("2F120", "2X120")).unwrap_err();
        assert_eq!((e.field, e.column), (MrzField::Sex, 8));

        let e = parse(&SPECIMEN.replace("I<UTO", "P<UTO")).unwrap_err();
        assert_eq!(e.field, MrzField::DocumentCode);

        let e = parse(&SPECIMEN.replace("I<UTO", "I<U1O")).unwrap_err();
        assert_eq!((e.field, e.column), (MrzField::IssuingState, 3));

        let e = parse(&SPECIMEN.replace("ANNA", "ANN4")).unwrap_err();
        assert_eq!((e.field, e.line, e.column), (MrzField::Names, 3, 14));

        let e = parse(&SPECIMEN.replace("D23145890", "<<<<<<<<<")).unwrap_err();
        assert_eq!(e.problem, MrzProblem::MissingDocumentNumber);
    }

    #[test]
    fn an_unknown_day_of_birth_is_allowed_an_unknown_expiry_is_not() {
        assert_eq!(
            MrzDate::parse(b"7408<<", true),
            Ok(MrzDate {
                year: Some(74),
                month: Some(8),
                day: None
            })
        );
        assert_eq!(
            MrzDate::parse(b"1204<<", false),
            Err((4, DateRule::Incomplete))
        );
        assert_eq!(MrzDate::parse(b"740230", true), Err((4, DateRule::Day(30))));
        assert!(MrzDate::parse(b"000229", false).is_ok());
        assert_eq!(MrzDate::parse(b"74O812", true), Err((2, DateRule::Format)));
    }

    #[test]
    fn mrz_information_from_typed_values() {
        // Doc 9303 Part 11 D.2.
        let info = MrzInformation::new("L898902C", "690806", "940623").unwrap();
        assert_eq!(info.as_str(), "L898902C<369080619406236");
        assert_eq!(
            MrzInformation::new(" L898902C< ", "690806", "940623").unwrap(),
            info
        );
        assert_eq!(format!("{info:?}"), "MrzInformation(..)");
        let e = MrzInformation::new("l898902c", "690806", "940623").unwrap_err();
        assert_eq!(
            (e.field, e.line, e.column),
            (MrzField::DocumentNumber, 0, 1)
        );
        assert_eq!(
            e.to_string(),
            "the document number, character 1: 'l' is not an MRZ character (A–Z, 0–9 and <)"
        );
        let e = MrzInformation::new("L898902C", "691306", "940623").unwrap_err();
        assert_eq!(e.field, MrzField::DateOfBirth);
        let e = MrzInformation::new("L898902C", "690806", "").unwrap_err();
        assert_eq!(
            (e.field, e.problem.clone()),
            (MrzField::DateOfExpiry, MrzProblem::EmptyValue)
        );
        assert_eq!(e.vi(), "Ngày hết hạn chưa được nhập");
    }

    /// Builds a valid MRZ from its fields, computing every check digit.
    fn build(number: &str, dob: &str, doe: &str, sex: char, names: &str) -> String {
        let l1 = format!(
            "I<UTO{:<<9}{}{:<<15}",
            number,
            check_digit(&format!("{number:<<9}")).unwrap(),
            ""
        );
        let head = format!(
            "{dob}{}{sex}{doe}{}UTO{:<<11}",
            check_digit(dob).unwrap(),
            check_digit(doe).unwrap(),
            ""
        );
        let composite = format!(
            "{}{}{}{}",
            &l1[5..30],
            &head[0..7],
            &head[8..15],
            &head[18..29]
        );
        let l2 = format!("{head}{}", check_digit(&composite).unwrap());
        format!("{l1}\n{l2}\n{names:<<30}")
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,120}") {
            let _ = parse(&s);
        }

        #[test]
        fn never_panics_on_mrz_shaped_text(
            l1 in "[A-Z0-9<]{30}", l2 in "[A-Z0-9<]{30}", l3 in "[A-Z0-9<]{28,31}"
        ) {
            let _ = parse(&format!("{l1}\n{l2}\n{l3}"));
        }

        #[test]
        fn typed_values_never_panic(a in "\\PC{0,20}", b in "\\PC{0,8}", c in "\\PC{0,8}") {
            let _ = MrzInformation::new(&a, &b, &c);
        }

        #[test]
        fn built_mrzs_read_back(
            number in "[A-Z0-9]{1,9}",
            yy in 0u8..100, mm in 1u8..13, dd in 1u8..29,
            ey in 0u8..100,
            sex in prop::sample::select(vec!['M', 'F', '<']),
            primary in "[A-Z]{1,12}", secondary in "[A-Z]{1,6}(<[A-Z]{1,6})?",
        ) {
            let dob = format!("{yy:02}{mm:02}{dd:02}");
            let doe = format!("{ey:02}0115");
            let names = format!("{primary}<<{secondary}");
            let m = parse(&build(&number, &dob, &doe, sex, &names)).unwrap();
            prop_assert_eq!(&m.document_number, &number);
            prop_assert_eq!(m.date_of_birth.as_mrz(), dob.clone());
            prop_assert_eq!(m.date_of_expiry.as_mrz(), doe.clone());
            prop_assert_eq!(&m.primary_identifier, &primary);
            prop_assert_eq!(&m.secondary_identifier, &secondary.replace('<', " "));
            let typed = MrzInformation::new(&number, &dob, &doe).unwrap();
            prop_assert_eq!(m.mrz_information(), typed);
        }
    }
}
