//! The 12-digit personal identification number (số định danh cá nhân, Decree 137/2015 Art. 13,
//! Circular 07/2016/TT-BCA) and the old 9-digit identity card number (CMND).
//!
//! Layout: `PPP C YY RRRRRR` — birthplace (province where the birth was registered, or 101–295
//! for births registered abroad), century-and-sex digit, last two digits of the birth year, six
//! random digits. The number therefore carries a birth year and a sex that can be checked
//! against what a record says.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use unicode_normalization::UnicodeNormalization;

use crate::date::PartialDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Sex::Male => "Nam",
            Sex::Female => "Nữ",
        }
    }

    /// Lenient: the Vietnamese words in any case, with or without the diacritic, NFC or NFD,
    /// the English words and their initials.
    pub fn parse(s: &str) -> Option<Sex> {
        let s: String = s.trim().nfc().collect::<String>().to_lowercase();
        match s.as_str() {
            "nam" | "male" | "m" => Some(Sex::Male),
            "nữ" | "nu" | "female" | "f" => Some(Sex::Female),
            _ => None,
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The 3-digit birthplace codes of the 63 pre-2025 provinces ("0" + province code). They stay
/// valid in ID numbers after the 2025 merger: an ID never changes.
pub const PROVINCE_BIRTHPLACE_CODES: [u16; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// Codes used for citizens whose birth was registered abroad.
pub const ABROAD_BIRTHPLACE_CODES: std::ops::RangeInclusive<u16> = 101..=295;

pub fn is_known_birthplace_code(code: u16) -> bool {
    PROVINCE_BIRTHPLACE_CODES.binary_search(&code).is_ok()
        || ABROAD_BIRTHPLACE_CODES.contains(&code)
}

/// Why a text is not a personal ID number, or why one cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonalIdError {
    Empty,
    /// Length in characters.
    WrongLength {
        len: usize,
    },
    /// 1-based position of the first character that is not an ASCII digit.
    NotDigits {
        position: usize,
    },
    UnknownBirthplace {
        code: u16,
    },
    /// [`PersonalId::build`]: the century digit covers 1900–2399 only.
    BirthYearOutOfRange {
        year: i32,
    },
    /// [`PersonalId::build`]: the random part has six digits.
    SerialTooLarge {
        serial: u32,
    },
}

impl fmt::Display for PersonalIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PersonalIdError::Empty => f.write_str("the personal ID number is empty"),
            PersonalIdError::WrongLength { len } => write!(f, "must be 12 digits, got {len}"),
            PersonalIdError::NotDigits { position } => {
                write!(f, "character {position} is not a digit")
            }
            PersonalIdError::UnknownBirthplace { code } => write!(
                f,
                "birthplace code {code:03} is not a province code (001–096 legacy provinces) \
                 nor 101–295 (registered abroad)"
            ),
            PersonalIdError::BirthYearOutOfRange { year } => write!(
                f,
                "birth year {year} cannot be written in an ID number (1900–2399)"
            ),
            PersonalIdError::SerialTooLarge { serial } => {
                write!(f, "serial {serial} has more than 6 digits")
            }
        }
    }
}

impl std::error::Error for PersonalIdError {}

impl PersonalIdError {
    /// The rule in Vietnamese, for the officer pages ([`fmt::Display`] is the English of the
    /// JSON API and the command line).
    pub fn vi(&self) -> String {
        match self {
            PersonalIdError::Empty => "Chưa nhập số định danh cá nhân".to_owned(),
            PersonalIdError::WrongLength { len } => {
                format!("Số định danh phải có đúng 12 chữ số, đã nhập {len}")
            }
            PersonalIdError::NotDigits { position } => {
                format!("Ký tự thứ {position} của số định danh không phải là chữ số")
            }
            PersonalIdError::UnknownBirthplace { code } => format!(
                "Mã tỉnh nơi đăng ký khai sinh {code:03} không tồn tại (mã tỉnh từ 001 đến 096, \
                 hoặc từ 101 đến 295 nếu đăng ký khai sinh ở nước ngoài)"
            ),
            PersonalIdError::BirthYearOutOfRange { year } => {
                format!("Năm sinh {year} không ghi được trong số định danh (chỉ từ 1900 đến 2399)")
            }
            PersonalIdError::SerialTooLarge { serial } => {
                format!("Dãy số ngẫu nhiên {serial} dài quá 6 chữ số")
            }
        }
    }
}

/// A valid personal ID number: exactly 12 ASCII digits with a known birthplace code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonalId(String);

/// Parses a fixed-length run of ASCII digits already checked by the caller.
fn digits_value(s: &str) -> u32 {
    s.bytes()
        .fold(0u32, |acc, b| acc * 10 + u32::from(b.wrapping_sub(b'0')))
}

/// Shared shape check of both kinds of number: trimmed, exact length, digits only.
fn check_digits(s: &str, want: usize) -> Result<&str, (Option<usize>, Option<usize>)> {
    let s = s.trim();
    let len = s.chars().count();
    if len != want {
        return Err((Some(len), None));
    }
    match s.chars().position(|c| !c.is_ascii_digit()) {
        Some(i) => Err((None, Some(i + 1))),
        None => Ok(s),
    }
}

impl PersonalId {
    /// Surrounding whitespace is trimmed; nothing else is forgiven (no inner spaces, no
    /// dashes, no dropped leading zero), because a guessed ID is worse than a rejected one.
    pub fn parse(s: &str) -> Result<PersonalId, PersonalIdError> {
        if s.trim().is_empty() {
            return Err(PersonalIdError::Empty);
        }
        let s = check_digits(s, 12).map_err(|e| match e {
            (Some(len), _) => PersonalIdError::WrongLength { len },
            (_, position) => PersonalIdError::NotDigits {
                position: position.unwrap_or(0),
            },
        })?;
        let code = digits_value(&s[..3]) as u16;
        if !is_known_birthplace_code(code) {
            return Err(PersonalIdError::UnknownBirthplace { code });
        }
        Ok(PersonalId(s.to_owned()))
    }

    /// Makes the number of a person from its parts (test data, demo data).
    pub fn build(
        birthplace_code: u16,
        sex: Sex,
        birth_year: i32,
        serial: u32,
    ) -> Result<PersonalId, PersonalIdError> {
        if !is_known_birthplace_code(birthplace_code) {
            return Err(PersonalIdError::UnknownBirthplace {
                code: birthplace_code,
            });
        }
        if !(1900..=2399).contains(&birth_year) {
            return Err(PersonalIdError::BirthYearOutOfRange { year: birth_year });
        }
        if serial >= 1_000_000 {
            return Err(PersonalIdError::SerialTooLarge { serial });
        }
        let century = (birth_year - 1900) / 100;
        let digit = century * 2 + i32::from(sex == Sex::Female);
        Ok(PersonalId(format!(
            "{birthplace_code:03}{digit}{:02}{serial:06}",
            birth_year % 100
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birthplace_code(&self) -> u16 {
        digits_value(&self.0[..3]) as u16
    }

    fn century_digit(&self) -> i32 {
        digits_value(&self.0[3..4]) as i32
    }

    pub fn sex(&self) -> Sex {
        if self.century_digit() % 2 == 0 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    pub fn birth_year(&self) -> i32 {
        1900 + (self.century_digit() / 2) * 100 + digits_value(&self.0[4..6]) as i32
    }

    /// The six random digits.
    pub fn serial(&self) -> u32 {
        digits_value(&self.0[6..])
    }

    /// What the number says against what a record says; empty when they agree or the record
    /// does not say.
    pub fn check_against(
        &self,
        date_of_birth: Option<&PartialDate>,
        sex: Option<Sex>,
    ) -> Vec<IdMismatch> {
        let mut out = Vec::new();
        if let Some(dob) = date_of_birth {
            if dob.year() != self.birth_year() {
                out.push(IdMismatch::BirthYear {
                    in_id: self.birth_year(),
                    recorded: dob.year(),
                });
            }
        }
        if let Some(sex) = sex {
            if sex != self.sex() {
                out.push(IdMismatch::Sex {
                    in_id: self.sex(),
                    recorded: sex,
                });
            }
        }
        out
    }
}

impl fmt::Display for PersonalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for PersonalId {
    type Err = PersonalIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PersonalId::parse(s)
    }
}

impl Serialize for PersonalId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PersonalId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        PersonalId::parse(&s)
            .map_err(|e| serde::de::Error::custom(format_args!("personal ID number {s:?}: {e}")))
    }
}

/// A disagreement between an ID number and a record. A warning for a person to look at: the
/// record may be wrong, or the ID was typed wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdMismatch {
    BirthYear { in_id: i32, recorded: i32 },
    Sex { in_id: Sex, recorded: Sex },
}

impl fmt::Display for IdMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdMismatch::BirthYear { in_id, recorded } => write!(
                f,
                "the ID number says born {in_id} but the date of birth is {recorded}"
            ),
            IdMismatch::Sex { in_id, recorded } => write!(
                f,
                "the ID number says {in_id} but the recorded sex is {recorded}"
            ),
        }
    }
}

impl IdMismatch {
    /// The disagreement in Vietnamese, for the officer pages ([`fmt::Display`] is the English
    /// of the JSON API and the command line).
    pub fn vi(&self) -> String {
        match self {
            IdMismatch::BirthYear { in_id, recorded } => {
                format!("Năm sinh theo số định danh là {in_id}, khác năm sinh {recorded}")
            }
            IdMismatch::Sex { in_id, recorded } => format!(
                "Giới tính theo số định danh là {}, khác giới tính {}",
                in_id.label_vi(),
                recorded.label_vi()
            ),
        }
    }
}

/// Why a text is not an old 9-digit identity card number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmndError {
    Empty,
    WrongLength { len: usize },
    NotDigits { position: usize },
}

impl fmt::Display for CmndError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CmndError::Empty => f.write_str("the old ID card number (CMND) is empty"),
            CmndError::WrongLength { len } => {
                write!(
                    f,
                    "an old ID card number (CMND) must be 9 digits, got {len}"
                )
            }
            CmndError::NotDigits { position } => {
                write!(f, "character {position} is not a digit")
            }
        }
    }
}

impl std::error::Error for CmndError {}

impl CmndError {
    /// The rule in Vietnamese, for the officer pages ([`fmt::Display`] is the English of the
    /// JSON API and the command line).
    pub fn vi(&self) -> String {
        match self {
            CmndError::Empty => "Chưa nhập số chứng minh nhân dân (CMND)".to_owned(),
            CmndError::WrongLength { len } => {
                format!("Số CMND phải có đúng 9 chữ số, đã nhập {len}")
            }
            CmndError::NotDigits { position } => {
                format!("Ký tự thứ {position} của số CMND không phải là chữ số")
            }
        }
    }
}

/// The old 9-digit identity card number (chứng minh nhân dân), still found in sector data and on
/// the chip card's QR code. Nothing in it can be checked beyond its shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cmnd(String);

impl Cmnd {
    pub fn parse(s: &str) -> Result<Cmnd, CmndError> {
        if s.trim().is_empty() {
            return Err(CmndError::Empty);
        }
        check_digits(s, 9)
            .map(|s| Cmnd(s.to_owned()))
            .map_err(|e| match e {
                (Some(len), _) => CmndError::WrongLength { len },
                (_, position) => CmndError::NotDigits {
                    position: position.unwrap_or(0),
                },
            })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Cmnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Cmnd {
    type Err = CmndError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cmnd::parse(s)
    }
}

impl Serialize for Cmnd {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Cmnd {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Cmnd::parse(&s).map_err(|e| serde::de::Error::custom(format_args!("CMND {s:?}: {e}")))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_reads_the_parts() {
        let id = PersonalId::parse(" 038095001234\n").unwrap();
        assert_eq!(id.as_str(), "038095001234");
        assert_eq!(id.to_string(), "038095001234");
        assert_eq!(id.birthplace_code(), 38);
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(id.birth_year(), 1995);
        assert_eq!(id.serial(), 1234);

        let cases = [
            ("001185000001", Sex::Female, 1985),
            ("079200000001", Sex::Male, 2000),
            ("079312000001", Sex::Female, 2012),
            ("096499000001", Sex::Male, 2199),
            ("101500000001", Sex::Female, 2100),
            ("295600000001", Sex::Male, 2200),
            ("038700000001", Sex::Female, 2200),
            ("038801000001", Sex::Male, 2301),
            ("038999000001", Sex::Female, 2399),
        ];
        for (text, sex, year) in cases {
            let id: PersonalId = text.parse().unwrap();
            assert_eq!((id.sex(), id.birth_year()), (sex, year), "{text}");
        }
    }

    #[test]
    fn rejections_say_the_rule() {
        let cases = [
            ("", "the personal ID number is empty"),
            ("   ", "the personal ID number is empty"),
            ("03809500123", "must be 12 digits, got 11"),
            ("0380950012345", "must be 12 digits, got 13"),
            ("0380 9500 1234", "must be 12 digits, got 14"),
            ("0380A5001234", "character 5 is not a digit"),
            ("038095 01234", "character 7 is not a digit"),
            ("038０95001234", "character 4 is not a digit"),
            (
                "099095001234",
                "birthplace code 099 is not a province code (001–096 legacy provinces) nor 101–295 (registered abroad)",
            ),
            ("003095001234", "birthplace code 003 is not"),
            ("000095001234", "birthplace code 000 is not"),
            ("296095001234", "birthplace code 296 is not"),
            ("097095001234", "birthplace code 097 is not"),
            ("100095001234", "birthplace code 100 is not"),
        ];
        for (text, want) in cases {
            let err = PersonalId::parse(text).unwrap_err().to_string();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn birthplace_codes() {
        assert_eq!(PROVINCE_BIRTHPLACE_CODES.len(), 63);
        assert!(PROVINCE_BIRTHPLACE_CODES.windows(2).all(|w| w[0] < w[1]));
        for code in [1, 38, 79, 96, 101, 200, 295] {
            assert!(is_known_birthplace_code(code), "{code}");
        }
        for code in [0, 3, 5, 97, 99, 100, 296, 999] {
            assert!(!is_known_birthplace_code(code), "{code}");
        }
    }

    #[test]
    fn build_checks_its_inputs() {
        let id = PersonalId::build(38, Sex::Female, 2003, 42).unwrap();
        assert_eq!(id.as_str(), "038303000042");
        assert_eq!(
            PersonalId::build(99, Sex::Male, 1990, 1),
            Err(PersonalIdError::UnknownBirthplace { code: 99 })
        );
        assert_eq!(
            PersonalId::build(38, Sex::Male, 1899, 1),
            Err(PersonalIdError::BirthYearOutOfRange { year: 1899 })
        );
        assert_eq!(
            PersonalId::build(38, Sex::Male, 2400, 1),
            Err(PersonalIdError::BirthYearOutOfRange { year: 2400 })
        );
        assert_eq!(
            PersonalId::build(38, Sex::Male, 1990, 1_000_000),
            Err(PersonalIdError::SerialTooLarge { serial: 1_000_000 })
        );
    }

    #[test]
    fn check_against_a_record() {
        let id = PersonalId::parse("038095001234").unwrap();
        let dob = PartialDate::parse("07/03/1995").unwrap();
        assert!(id.check_against(Some(&dob), Some(Sex::Male)).is_empty());
        assert!(id.check_against(None, None).is_empty());
        assert!(id
            .check_against(Some(&PartialDate::Year(1995)), None)
            .is_empty());
        let wrong = id.check_against(Some(&PartialDate::Year(1996)), Some(Sex::Female));
        assert_eq!(
            wrong,
            vec![
                IdMismatch::BirthYear {
                    in_id: 1995,
                    recorded: 1996
                },
                IdMismatch::Sex {
                    in_id: Sex::Male,
                    recorded: Sex::Female
                },
            ]
        );
        assert_eq!(
            wrong[0].to_string(),
            "the ID number says born 1995 but the date of birth is 1996"
        );
        assert_eq!(
            wrong[1].to_string(),
            "the ID number says male but the recorded sex is female"
        );
    }

    #[test]
    fn sex_is_read_leniently() {
        for s in ["Nam", "nam", "NAM", " Nam ", "male", "Male", "M", "m"] {
            assert_eq!(Sex::parse(s), Some(Sex::Male), "{s:?}");
        }
        for s in [
            "Nữ",
            "nữ",
            "NỮ",
            "Nu",
            "nu",
            "NU",
            "Nu\u{31b}\u{303}",
            "female",
            "F",
            "f",
        ] {
            assert_eq!(Sex::parse(s), Some(Sex::Female), "{s:?}");
        }
        for s in ["", "x", "Nư", "nam nữ", "khác"] {
            assert_eq!(Sex::parse(s), None, "{s:?}");
        }
        assert_eq!(Sex::Female.label_vi(), "Nữ");
        assert_eq!(Sex::Male.as_str(), "male");
        assert_eq!(serde_json::to_string(&Sex::Female).unwrap(), "\"female\"");
    }

    #[test]
    fn serde_validates() {
        let id = PersonalId::parse("038095001234").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"038095001234\"");
        let back: PersonalId = serde_json::from_str("\"038095001234\"").unwrap();
        assert_eq!(back, id);
        let err = serde_json::from_str::<PersonalId>("\"03809500123\"").unwrap_err();
        assert!(
            err.to_string().contains("must be 12 digits, got 11"),
            "{err}"
        );
        assert!(serde_json::from_str::<PersonalId>("12").is_err());
    }

    #[test]
    fn cmnd() {
        let c = Cmnd::parse(" 173456789 ").unwrap();
        assert_eq!(c.as_str(), "173456789");
        assert_eq!(c.to_string(), "173456789");
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"173456789\"");
        assert_eq!(serde_json::from_str::<Cmnd>("\"173456789\"").unwrap(), c);
        assert_eq!(Cmnd::parse(""), Err(CmndError::Empty));
        assert_eq!(
            Cmnd::parse("038095001234"),
            Err(CmndError::WrongLength { len: 12 })
        );
        assert_eq!(
            Cmnd::parse("17345678x"),
            Err(CmndError::NotDigits { position: 9 })
        );
        assert!(serde_json::from_str::<Cmnd>("\"1734\"").is_err());
        assert_eq!(
            Cmnd::parse("1734").unwrap_err().to_string(),
            "an old ID card number (CMND) must be 9 digits, got 4"
        );
    }

    #[test]
    fn vietnamese_rules_name_the_values() {
        use crate::vi_check::assert_vi;
        let e = PersonalId::parse("03809500123").unwrap_err();
        assert_eq!(e.vi(), "Số định danh phải có đúng 12 chữ số, đã nhập 11");
        assert_eq!(e.to_string(), "must be 12 digits, got 11");
        let e = PersonalId::parse("099095001234").unwrap_err();
        assert!(
            e.vi()
                .starts_with("Mã tỉnh nơi đăng ký khai sinh 099 không tồn tại"),
            "{}",
            e.vi()
        );
        let e = PersonalId::parse("0380A5001234").unwrap_err();
        assert_eq!(e.vi(), "Ký tự thứ 5 của số định danh không phải là chữ số");
        assert_eq!(
            PersonalId::parse(" ").unwrap_err().vi(),
            "Chưa nhập số định danh cá nhân"
        );
        let e = PersonalId::build(38, Sex::Male, 2400, 1).unwrap_err();
        assert!(e.vi().contains("2400"), "{}", e.vi());
        assert_eq!(
            Cmnd::parse("1734").unwrap_err().vi(),
            "Số CMND phải có đúng 9 chữ số, đã nhập 4"
        );
        assert_eq!(
            Cmnd::parse("17345678x").unwrap_err().vi(),
            "Ký tự thứ 9 của số CMND không phải là chữ số"
        );

        let id = PersonalId::parse("038185001234").unwrap();
        let m = id.check_against(Some(&PartialDate::Year(1986)), Some(Sex::Male));
        assert_eq!(
            m.iter().map(IdMismatch::vi).collect::<Vec<_>>(),
            [
                "Năm sinh theo số định danh là 1985, khác năm sinh 1986",
                "Giới tính theo số định danh là Nữ, khác giới tính Nam",
            ]
        );
        for m in &m {
            assert_vi(&m.to_string(), &m.vi());
        }
    }

    /// Exhaustive on purpose: a new variant does not compile until the tests below cover it.
    fn id_error_variant(e: &PersonalIdError) -> usize {
        match e {
            PersonalIdError::Empty => 0,
            PersonalIdError::WrongLength { .. } => 1,
            PersonalIdError::NotDigits { .. } => 2,
            PersonalIdError::UnknownBirthplace { .. } => 3,
            PersonalIdError::BirthYearOutOfRange { .. } => 4,
            PersonalIdError::SerialTooLarge { .. } => 5,
        }
    }

    fn cmnd_error_variant(e: &CmndError) -> usize {
        match e {
            CmndError::Empty => 0,
            CmndError::WrongLength { .. } => 1,
            CmndError::NotDigits { .. } => 2,
        }
    }

    fn mismatch_variant(m: &IdMismatch) -> usize {
        match m {
            IdMismatch::BirthYear { .. } => 0,
            IdMismatch::Sex { .. } => 1,
        }
    }

    fn arb_sex() -> impl Strategy<Value = Sex> {
        prop_oneof![Just(Sex::Male), Just(Sex::Female)]
    }

    fn arb_id_error() -> impl Strategy<Value = PersonalIdError> {
        prop_oneof![
            Just(PersonalIdError::Empty),
            any::<usize>().prop_map(|len| PersonalIdError::WrongLength { len }),
            any::<usize>().prop_map(|position| PersonalIdError::NotDigits { position }),
            any::<u16>().prop_map(|code| PersonalIdError::UnknownBirthplace { code }),
            any::<i32>().prop_map(|year| PersonalIdError::BirthYearOutOfRange { year }),
            any::<u32>().prop_map(|serial| PersonalIdError::SerialTooLarge { serial }),
        ]
    }

    fn arb_cmnd_error() -> impl Strategy<Value = CmndError> {
        prop_oneof![
            Just(CmndError::Empty),
            any::<usize>().prop_map(|len| CmndError::WrongLength { len }),
            any::<usize>().prop_map(|position| CmndError::NotDigits { position }),
        ]
    }

    fn arb_mismatch() -> impl Strategy<Value = IdMismatch> {
        prop_oneof![
            (any::<i32>(), any::<i32>())
                .prop_map(|(in_id, recorded)| IdMismatch::BirthYear { in_id, recorded }),
            (arb_sex(), arb_sex())
                .prop_map(|(in_id, recorded)| IdMismatch::Sex { in_id, recorded }),
        ]
    }

    #[test]
    fn the_strategies_reach_every_variant() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let mut seen = ([false; 6], [false; 3], [false; 2]);
        for _ in 0..500 {
            let e = arb_id_error().new_tree(&mut runner).unwrap().current();
            seen.0[id_error_variant(&e)] = true;
            let e = arb_cmnd_error().new_tree(&mut runner).unwrap().current();
            seen.1[cmnd_error_variant(&e)] = true;
            let m = arb_mismatch().new_tree(&mut runner).unwrap().current();
            seen.2[mismatch_variant(&m)] = true;
        }
        assert!(
            seen.0.iter().chain(&seen.1).chain(&seen.2).all(|s| *s),
            "{seen:?}"
        );
    }

    proptest! {
        #[test]
        fn build_then_parse(
            code in prop_oneof![prop::sample::select(PROVINCE_BIRTHPLACE_CODES.to_vec()), 101u16..=295],
            female in any::<bool>(),
            year in 1900i32..=2399,
            serial in 0u32..1_000_000,
        ) {
            let sex = if female { Sex::Female } else { Sex::Male };
            let id = PersonalId::build(code, sex, year, serial).unwrap();
            let back = PersonalId::parse(id.as_str()).unwrap();
            prop_assert_eq!(&back, &id);
            prop_assert_eq!(back.birthplace_code(), code);
            prop_assert_eq!(back.sex(), sex);
            prop_assert_eq!(back.birth_year(), year);
            prop_assert_eq!(back.serial(), serial);
            prop_assert!(back.check_against(Some(&PartialDate::Year(year)), Some(sex)).is_empty());
        }

        #[test]
        fn every_id_error_has_its_vietnamese(e in arb_id_error()) {
            crate::vi_check::assert_vi(&e.to_string(), &e.vi());
        }

        #[test]
        fn every_cmnd_error_has_its_vietnamese(e in arb_cmnd_error()) {
            crate::vi_check::assert_vi(&e.to_string(), &e.vi());
        }

        #[test]
        fn every_mismatch_has_its_vietnamese(m in arb_mismatch()) {
            crate::vi_check::assert_vi(&m.to_string(), &m.vi());
            let vi = m.vi();
            let named = match m {
                IdMismatch::BirthYear { in_id, recorded } => {
                    vi.contains(&in_id.to_string()) && vi.contains(&recorded.to_string())
                }
                IdMismatch::Sex { in_id, recorded } => {
                    vi.contains(in_id.label_vi()) && vi.contains(recorded.label_vi())
                }
            };
            prop_assert!(named, "{}", vi);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = PersonalId::parse(&s);
            let _ = Cmnd::parse(&s);
            let _ = Sex::parse(&s);
        }

        #[test]
        fn parse_accepts_only_twelve_digits(s in "[0-9]{0,14}") {
            if let Ok(id) = PersonalId::parse(&s) {
                prop_assert_eq!(id.as_str().len(), 12);
                prop_assert!(is_known_birthplace_code(id.birthplace_code()));
            }
        }
    }
}
