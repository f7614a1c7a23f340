//! DG13 on Vietnamese cards: the holder's personal data, in Vietnamese (Doc 9303 leaves DG13
//! to the issuing state: "optional details").
//!
//! **Layout to be confirmed.** The issuer's specification is not public. What is used here
//! is the layout that independent public readers of CCCD chips agree on: DG13 is a series
//! of numbered fields, each `SEQUENCE { INTEGER n, value }`, where the value is a
//! PrintableString (the ID number, the dates of birth and issue, the old ID number) or a
//! UTF8String (everything else), and field 13 holds two `SEQUENCE { UTF8String }` (father,
//! mother) and field 14 one (spouse; absent when there is none). The numbering is in
//! [`DG13_LAYOUT`], the one place to change. Whether the fields sit directly in the file or
//! inside a further SEQUENCE, and whether anything precedes them, is not certain either, so
//! the parser looks for the numbered fields at any depth. Numbers it does not know (16 has
//! been seen, meaning unknown) are kept in [`Dg13::other_fields`].

use xaso_domain::date::DateError;
use xaso_domain::personal_id::{CmndError, PersonalIdError};
use xaso_domain::{Cmnd, PartialDate, PersonalId, Sex};

use super::asn1::{self, children};
use super::{dg_tag, in_file, Element, LdsError, LdsRule};
use crate::tlv::{read_file, Tag, Tlv};

const FILE: &str = "DG13";
const MAX_DEPTH: usize = 8;

/// A field of DG13.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dg13Field {
    /// Số định danh cá nhân (12 digits).
    IdNumber,
    FullName,
    /// "dd/mm/yyyy".
    DateOfBirth,
    /// "Nam" or "Nữ".
    Sex,
    Nationality,
    Ethnicity,
    Religion,
    /// Quê quán.
    HomeTown,
    /// Nơi thường trú.
    PlaceOfResidence,
    /// Đặc điểm nhận dạng.
    IdentifyingMarks,
    IssueDate,
    /// A date, or words for "no expiry".
    ExpiryDate,
    /// Father's then mother's full name.
    Parents,
    SpouseName,
    /// The old 9-digit identity card (CMND) number.
    OldIdNumber,
}

/// The numbers of the fields on the card. **To be confirmed** (see the module's comment).
pub const DG13_LAYOUT: [(u8, Dg13Field); 15] = [
    (1, Dg13Field::IdNumber),
    (2, Dg13Field::FullName),
    (3, Dg13Field::DateOfBirth),
    (4, Dg13Field::Sex),
    (5, Dg13Field::Nationality),
    (6, Dg13Field::Ethnicity),
    (7, Dg13Field::Religion),
    (8, Dg13Field::HomeTown),
    (9, Dg13Field::PlaceOfResidence),
    (10, Dg13Field::IdentifyingMarks),
    (11, Dg13Field::IssueDate),
    (12, Dg13Field::ExpiryDate),
    (13, Dg13Field::Parents),
    (14, Dg13Field::SpouseName),
    (15, Dg13Field::OldIdNumber),
];

impl Dg13Field {
    /// Its number in [`DG13_LAYOUT`].
    pub fn number(self) -> u8 {
        DG13_LAYOUT
            .iter()
            .find(|(_, f)| *f == self)
            .map_or(0, |(n, _)| *n)
    }

    /// The field with number `n` in [`DG13_LAYOUT`].
    pub fn from_number(n: u64) -> Option<Dg13Field> {
        DG13_LAYOUT
            .iter()
            .find(|(number, _)| u64::from(*number) == n)
            .map(|(_, f)| *f)
    }

    /// The label printed on the card.
    pub fn label_vi(self) -> &'static str {
        match self {
            Dg13Field::IdNumber => "Số định danh cá nhân",
            Dg13Field::FullName => "Họ, chữ đệm và tên",
            Dg13Field::DateOfBirth => "Ngày, tháng, năm sinh",
            Dg13Field::Sex => "Giới tính",
            Dg13Field::Nationality => "Quốc tịch",
            Dg13Field::Ethnicity => "Dân tộc",
            Dg13Field::Religion => "Tôn giáo",
            Dg13Field::HomeTown => "Quê quán",
            Dg13Field::PlaceOfResidence => "Nơi thường trú",
            Dg13Field::IdentifyingMarks => "Đặc điểm nhận dạng",
            Dg13Field::IssueDate => "Ngày cấp",
            Dg13Field::ExpiryDate => "Có giá trị đến",
            Dg13Field::Parents => "Họ tên cha, mẹ",
            Dg13Field::SpouseName => "Họ tên vợ hoặc chồng",
            Dg13Field::OldIdNumber => "Số CMND cũ",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Dg13Field::IdNumber => "Personal ID number",
            Dg13Field::FullName => "Full name",
            Dg13Field::DateOfBirth => "Date of birth",
            Dg13Field::Sex => "Sex",
            Dg13Field::Nationality => "Nationality",
            Dg13Field::Ethnicity => "Ethnicity",
            Dg13Field::Religion => "Religion",
            Dg13Field::HomeTown => "Home town",
            Dg13Field::PlaceOfResidence => "Place of residence",
            Dg13Field::IdentifyingMarks => "Identifying marks",
            Dg13Field::IssueDate => "Date of issue",
            Dg13Field::ExpiryDate => "Date of expiry",
            Dg13Field::Parents => "Father's and mother's names",
            Dg13Field::SpouseName => "Spouse's name",
            Dg13Field::OldIdNumber => "Old ID card number",
        }
    }
}

/// What DG13 says, as text exactly as stored (an empty text reads as absent). The typed
/// readings (`parsed_*`) are separate, so that a card whose text does not parse is still
/// shown as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dg13 {
    pub id_number: Option<String>,
    pub full_name: Option<String>,
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    pub nationality: Option<String>,
    pub ethnicity: Option<String>,
    pub religion: Option<String>,
    pub home_town: Option<String>,
    pub place_of_residence: Option<String>,
    pub identifying_marks: Option<String>,
    pub issue_date: Option<String>,
    pub expiry_date: Option<String>,
    pub father_name: Option<String>,
    pub mother_name: Option<String>,
    pub spouse_name: Option<String>,
    pub old_id_number: Option<String>,
    /// Fields whose number [`DG13_LAYOUT`] does not name: the number and its texts.
    pub other_fields: Vec<(u64, Vec<String>)>,
}

impl Dg13 {
    /// The text of a single-valued field ([`Dg13Field::Parents`] gives the father's).
    pub fn get(&self, field: Dg13Field) -> Option<&str> {
        match field {
            Dg13Field::IdNumber => self.id_number.as_deref(),
            Dg13Field::FullName => self.full_name.as_deref(),
            Dg13Field::DateOfBirth => self.date_of_birth.as_deref(),
            Dg13Field::Sex => self.sex.as_deref(),
            Dg13Field::Nationality => self.nationality.as_deref(),
            Dg13Field::Ethnicity => self.ethnicity.as_deref(),
            Dg13Field::Religion => self.religion.as_deref(),
            Dg13Field::HomeTown => self.home_town.as_deref(),
            Dg13Field::PlaceOfResidence => self.place_of_residence.as_deref(),
            Dg13Field::IdentifyingMarks => self.identifying_marks.as_deref(),
            Dg13Field::IssueDate => self.issue_date.as_deref(),
            Dg13Field::ExpiryDate => self.expiry_date.as_deref(),
            Dg13Field::Parents => self.father_name.as_deref(),
            Dg13Field::SpouseName => self.spouse_name.as_deref(),
            Dg13Field::OldIdNumber => self.old_id_number.as_deref(),
        }
    }

    /// The texts of a field as stored, in order (two for [`Dg13Field::Parents`]).
    pub fn values(&self, field: Dg13Field) -> Vec<&str> {
        match field {
            Dg13Field::Parents => [self.father_name.as_deref(), self.mother_name.as_deref()]
                .into_iter()
                .flatten()
                .collect(),
            other => self.get(other).into_iter().collect(),
        }
    }

    fn set(&mut self, field: Dg13Field, values: Vec<String>) {
        let mut values = values.into_iter().filter(|v| !v.is_empty());
        let slot = match field {
            Dg13Field::IdNumber => &mut self.id_number,
            Dg13Field::FullName => &mut self.full_name,
            Dg13Field::DateOfBirth => &mut self.date_of_birth,
            Dg13Field::Sex => &mut self.sex,
            Dg13Field::Nationality => &mut self.nationality,
            Dg13Field::Ethnicity => &mut self.ethnicity,
            Dg13Field::Religion => &mut self.religion,
            Dg13Field::HomeTown => &mut self.home_town,
            Dg13Field::PlaceOfResidence => &mut self.place_of_residence,
            Dg13Field::IdentifyingMarks => &mut self.identifying_marks,
            Dg13Field::IssueDate => &mut self.issue_date,
            Dg13Field::ExpiryDate => &mut self.expiry_date,
            Dg13Field::Parents => {
                self.father_name = values.next();
                self.mother_name = values.next();
                return;
            }
            Dg13Field::SpouseName => &mut self.spouse_name,
            Dg13Field::OldIdNumber => &mut self.old_id_number,
        };
        *slot = values.next();
    }

    /// The personal ID number, checked.
    pub fn parsed_personal_id(&self) -> Option<Result<PersonalId, PersonalIdError>> {
        self.id_number
            .as_deref()
            .map(|s| PersonalId::parse(s.trim()))
    }

    /// The old CMND number, checked.
    pub fn parsed_old_cmnd(&self) -> Option<Result<Cmnd, CmndError>> {
        self.old_id_number.as_deref().map(|s| Cmnd::parse(s.trim()))
    }

    /// The date of birth ("dd/mm/yyyy"; 00 for an unknown day or month).
    pub fn parsed_date_of_birth(&self) -> Option<Result<PartialDate, DateError>> {
        self.date_of_birth.as_deref().map(PartialDate::parse)
    }

    pub fn parsed_issue_date(&self) -> Option<Result<PartialDate, DateError>> {
        self.issue_date.as_deref().map(PartialDate::parse)
    }

    /// An error when the card says "no expiry" in words.
    pub fn parsed_expiry_date(&self) -> Option<Result<PartialDate, DateError>> {
        self.expiry_date.as_deref().map(PartialDate::parse)
    }

    /// "Nam" or "Nữ", read leniently; `None` when absent or neither.
    pub fn parsed_sex(&self) -> Option<Sex> {
        self.sex.as_deref().and_then(Sex::parse)
    }
}

const FIELDS: Element = Element::new(
    "a numbered field (SEQUENCE { INTEGER, text })",
    "trường được đánh số (SEQUENCE { INTEGER, văn bản })",
);
const FIELD_NUMBER: Element = Element::new("a field number", "số thứ tự của trường");
const FIELD_TEXT: Element = Element::new("a field's text", "nội dung của trường");

/// Reads DG13 as read from the chip (`6D L V`).
pub fn parse_dg13(bytes: &[u8]) -> Result<Dg13, LdsError> {
    let tag = Tag(u32::from(dg_tag(13).unwrap_or(0x6D)));
    let file = read_file(bytes, tag).map_err(in_file(FILE))?;
    let mut found = Vec::new();
    collect(&file, 0, &mut found)?;
    if found.is_empty() {
        return Err(LdsError::new(
            FILE,
            file.end(),
            LdsRule::Missing { element: FIELDS },
        ));
    }
    let mut dg13 = Dg13::default();
    let mut seen = Vec::new();
    for (number, values) in found {
        match Dg13Field::from_number(number) {
            // The first occurrence of a number counts.
            Some(field) if !seen.contains(&field) => {
                seen.push(field);
                dg13.set(field, values);
            }
            Some(_) => {}
            None => dg13.other_fields.push((number, values)),
        }
    }
    Ok(dg13)
}

/// Whether `tlv` is constructed and starts with an INTEGER: a numbered field (or a
/// container starting with a version number).
fn starts_with_integer(tlv: &Tlv<'_>) -> bool {
    tlv.tag.is_constructed() && tlv.children().peek_tag() == Some(Tag::INTEGER)
}

fn padding(rest: &[u8]) -> bool {
    rest.iter().all(|b| *b == 0) || rest.iter().all(|b| *b == 0xFF)
}

/// Finds the numbered fields inside `container`: a constructed element whose first child
/// is an INTEGER and none of whose other children is itself such an element.
fn collect(
    container: &Tlv<'_>,
    depth: usize,
    out: &mut Vec<(u64, Vec<String>)>,
) -> Result<(), LdsError> {
    if depth > MAX_DEPTH {
        return Err(LdsError::new(FILE, container.offset, LdsRule::TooDeep));
    }
    let mut reader = container.children();
    while !reader.is_empty() && !padding(reader.remaining()) {
        let tlv = reader.read().map_err(in_file(FILE))?;
        if !tlv.tag.is_constructed() {
            // A version number, an identifier: nothing the layout names.
            continue;
        }
        let kids = children(&tlv, FILE)?;
        match kids.split_first() {
            Some((first, rest))
                if first.tag == Tag::INTEGER && !rest.iter().any(starts_with_integer) =>
            {
                let number = asn1::uint(first, FILE, FIELD_NUMBER)?;
                let mut values = Vec::new();
                texts(rest, depth + 1, &mut values)?;
                out.push((number, values));
            }
            _ => collect(&tlv, depth + 1, out)?,
        }
    }
    Ok(())
}

/// The texts inside `tlvs`, at any depth, in order.
fn texts(tlvs: &[Tlv<'_>], depth: usize, out: &mut Vec<String>) -> Result<(), LdsError> {
    for tlv in tlvs {
        if asn1::is_text(tlv.tag) {
            out.push(asn1::text(tlv, FILE, FIELD_TEXT)?);
        } else if tlv.tag.is_constructed() {
            if depth > MAX_DEPTH {
                return Err(LdsError::new(FILE, tlv.offset, LdsRule::TooDeep));
            }
            texts(&children(tlv, FILE)?, depth + 1, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lds::testkit;
    use crate::tlv::encode;
    use crate::vi_check::assert_vi;
    use proptest::prelude::*;

    fn field(n: u8, value: &[u8]) -> Vec<u8> {
        encode(
            Tag::SEQUENCE,
            &[encode(Tag::INTEGER, &[n]), value.to_vec()].concat(),
        )
    }

    #[test]
    fn reads_the_test_card() {
        let holder = testkit::sample_dg13();
        let d = parse_dg13(&testkit::encode_dg13(&holder)).unwrap();
        assert_eq!(d, holder);
        assert_eq!(d.full_name.as_deref(), Some("Nguyễn Thị Thu Hà"));
        assert_eq!(
            d.parsed_personal_id().unwrap().unwrap().as_str(),
            "038185012345"
        );
        assert_eq!(d.parsed_old_cmnd().unwrap().unwrap().as_str(), "172345678");
        assert_eq!(
            d.parsed_date_of_birth().unwrap().unwrap().to_iso(),
            "1985-09-02"
        );
        assert_eq!(
            d.parsed_issue_date().unwrap().unwrap().to_iso(),
            "2021-04-15"
        );
        assert_eq!(d.parsed_sex(), Some(Sex::Female));
        assert_eq!(
            d.values(Dg13Field::Parents),
            ["Nguyễn Văn Hùng", "Lê Thị Lan"]
        );
        assert_eq!(
            d.get(Dg13Field::HomeTown),
            Some("Xã Tế Lợi, Nông Cống, Thanh Hóa")
        );
        assert!(d.other_fields.is_empty());
    }

    #[test]
    fn the_layout_numbers_every_field_once() {
        for (i, (n, f)) in DG13_LAYOUT.iter().enumerate() {
            assert_eq!(usize::from(*n), i + 1);
            assert_eq!(f.number(), *n);
            assert_eq!(Dg13Field::from_number(u64::from(*n)), Some(*f));
            assert!(!f.label_en().is_empty());
            assert!(!f.label_vi().is_empty());
        }
        assert_eq!(Dg13Field::from_number(16), None);
    }

    #[test]
    fn fields_inside_a_wrapper_with_a_version_and_unknown_numbers() {
        let inner = [
            encode(Tag::INTEGER, &[0]),
            field(1, &encode(Tag::PRINTABLE_STRING, b"038185012345")),
            field(2, &encode(Tag::UTF8_STRING, "Hà Văn Tư".as_bytes())),
            // No spouse: the number alone.
            field(14, &[]),
            field(16, &encode(Tag::PRINTABLE_STRING, b"0123456789ABCDEF")),
            // A repeated number: the first one counts.
            field(2, &encode(Tag::UTF8_STRING, b"Other")),
        ]
        .concat();
        let mut file = encode(Tag(0x6D), &encode(Tag::SEQUENCE, &inner));
        file.extend([0, 0, 0]);
        let d = parse_dg13(&file).unwrap();
        assert_eq!(d.id_number.as_deref(), Some("038185012345"));
        assert_eq!(d.full_name.as_deref(), Some("Hà Văn Tư"));
        assert_eq!(d.spouse_name, None);
        assert_eq!(d.other_fields, [(16, vec!["0123456789ABCDEF".to_owned()])]);
        assert_eq!(d.parsed_sex(), None);
    }

    #[test]
    fn errors() {
        let e = parse_dg13(&encode(Tag(0x6D), &encode(Tag::OCTET_STRING, b"x"))).unwrap_err();
        assert_eq!(e.rule, LdsRule::Missing { element: FIELDS });
        assert_eq!(
            e.to_string(),
            "DG13, byte 5: a numbered field (SEQUENCE { INTEGER, text }) is missing"
        );
        assert_vi(&e.to_string(), &e.vi());

        let e = parse_dg13(&encode(
            Tag(0x6D),
            &field(2, &encode(Tag::UTF8_STRING, &[0xC3, 0x28])),
        ))
        .unwrap_err();
        assert_eq!(
            (e.offset, &e.rule),
            (
                7,
                &LdsRule::NotText {
                    element: FIELD_TEXT
                }
            )
        );
        assert_vi(&e.to_string(), &e.vi());

        let e = parse_dg13(&encode(Tag(0x6D), &field(0x80, &[]))).unwrap_err();
        assert_eq!(
            e.rule,
            LdsRule::BadInteger {
                element: FIELD_NUMBER
            }
        );
        assert_vi(&e.to_string(), &e.vi());

        let mut deep = field(1, &encode(Tag::UTF8_STRING, b"x"));
        for _ in 0..12 {
            deep = encode(Tag::SEQUENCE, &deep);
        }
        let e = parse_dg13(&encode(Tag(0x6D), &deep)).unwrap_err();
        assert_eq!(e.rule, LdsRule::TooDeep);
        assert_vi(&e.to_string(), &e.vi());

        let e = parse_dg13(&[0x6D, 0x03, 0x30, 0x05, 0x02]).unwrap_err();
        assert_eq!(e.offset, 3);
    }

    proptest! {
        #[test]
        fn never_panics(data in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_dg13(&data);
        }

        #[test]
        fn never_panics_on_a_mutated_file(
            edits in prop::collection::vec((0usize..1000, any::<u8>()), 1..4),
            cut in 0usize..1000,
        ) {
            let mut dg13 = testkit::encode_dg13(&testkit::sample_dg13());
            let len = dg13.len();
            for (i, b) in edits {
                dg13[i % len] = b;
            }
            dg13.truncate(len - cut % len);
            match parse_dg13(&dg13) {
                Ok(d) => {
                    let _ = (d.parsed_personal_id(), d.parsed_date_of_birth(), d.parsed_sex());
                }
                Err(e) => assert_vi(&e.to_string(), &e.vi()),
            }
        }

        #[test]
        fn any_texts_round_trip(values in prop::collection::vec("\\PC{1,40}", 15)) {
            let mut holder = Dg13::default();
            for ((_, field), value) in DG13_LAYOUT.iter().zip(&values) {
                holder.set(*field, vec![value.clone(), format!("{value} 2")]);
            }
            let read = parse_dg13(&testkit::encode_dg13(&holder)).unwrap();
            prop_assert_eq!(read, holder);
        }
    }
}
