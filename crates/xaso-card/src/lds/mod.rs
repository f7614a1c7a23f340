//! The Logical Data Structure read from the chip (ICAO Doc 9303 Part 10) and passive
//! authentication of it (Part 11 §5.1, Part 12; the SOD as CMS SignedData).
//!
//! - [`crate::tlv`]: the BER-TLV reader everything else is built on (shared with the chip).
//! - [`parse_com`], [`parse_dg1`], [`parse_dg2`], [`parse_dg13`], [`parse_dg14`],
//!   [`parse_dg15`], [`parse_sod`]: the files, each as read from the chip (tag, length, value).
//! - [`parse_card_access`]: EF.CardAccess and its PACEInfos.
//! - [`cert`]: the X.509 certificates of the document signer and the CSCAs.
//! - [`cms`]: CMS SignedData, as EF.SOD and the ICAO master lists wrap it.
//! - [`passive`]: passive authentication against a [`passive::TrustStore`] at a time the
//!   caller gives (there is no clock in this crate).
//! - `testkit` (tests and the `testkit` feature): a test PKI and a signed LDS.
//!
//! Parsers never panic on any input (property-tested); every error names the file, the
//! offset of the byte where it breaks a rule, and the rule ([`LdsError`]), in English and
//! Vietnamese.

use std::fmt;

mod asn1;
pub mod card_access;
pub mod cert;
pub mod cms;
mod com;
mod crypto;
mod dg1;
mod dg13;
mod dg2;
mod dg_security;
pub mod passive;
mod sod;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;

pub use crate::tlv::{Tag, TlvError, TlvRule};
pub(crate) use asn1::oids;
pub use asn1::AlgorithmIdentifier;
pub use card_access::{parse_card_access, CardAccess, PaceInfo};
pub use com::{parse_com, EfCom};
pub use crypto::HashAlgorithm;
pub use dg1::{parse_dg1, Dg1};
pub use dg13::{parse_dg13, Dg13, Dg13Field, DG13_LAYOUT};
pub use dg2::{parse_dg2, Dg2, FaceImage, ImageFormat};
pub(crate) use dg_security::ec_point_of_spki;
pub use dg_security::{
    parse_dg14, parse_dg15, Dg14, Dg15, PublicKeyKind, SecurityInfo, ACTIVE_AUTHENTICATION_INFO,
    CA_ECDH_AES_128, CA_PUBLIC_KEY_ECDH,
};
pub use sod::{parse_sod, DataGroupHash, LdsSecurityObject, Sod};

/// The tag of EF.COM.
pub const COM_TAG: u8 = 0x60;
/// The tag of EF.SOD.
pub const SOD_TAG: u8 = 0x77;

/// The tags of DG1 to DG16 (Doc 9303 Part 10 §4.6.1), by number minus one.
const DG_TAGS: [u8; 16] = [
    0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70,
];

/// The content bytes of a dotted object identifier (for the chip's protocols).
pub(crate) fn oid_bytes(dotted: &str) -> Option<Vec<u8>> {
    asn1::oid_to_bytes(dotted)
}

/// The tag of data group `dg` (1–16).
pub fn dg_tag(dg: u8) -> Option<u8> {
    DG_TAGS.get(usize::from(dg).checked_sub(1)?).copied()
}

/// The number of the data group with `tag`.
pub fn dg_number(tag: u8) -> Option<u8> {
    let i = DG_TAGS.iter().position(|t| *t == tag)?;
    u8::try_from(i + 1).ok()
}

/// A part of a file named in an error, in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element {
    pub en: &'static str,
    pub vi: &'static str,
}

impl Element {
    pub const fn new(en: &'static str, vi: &'static str) -> Self {
        Element { en, vi }
    }
}

/// The rule a file breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LdsRule {
    /// The TLV structure itself is broken.
    Tlv(TlvRule),
    /// A required element is absent.
    Missing { element: Element },
    /// An element that should be text is not (not UTF-8, or not a string type).
    NotText { element: Element },
    /// A malformed object identifier.
    BadOid,
    /// An integer that is negative, too large or malformed for its field.
    BadInteger { element: Element },
    /// A time that is not a valid UTCTime or GeneralizedTime.
    BadTime { element: Element },
    /// A BIT STRING with unused bits, or empty.
    BadBitString { element: Element },
    /// A value outside what its field allows.
    BadValue { element: Element },
    /// The CMS ContentInfo does not hold SignedData.
    NotSignedData { content_type: String },
    /// A data group number outside 1–16.
    BadDataGroupNumber { number: u64 },
    /// A data group listed twice in the security object.
    DuplicateDataGroup { dg: u8 },
    /// A structure nested deeper than the reader follows.
    TooDeep,
}

impl fmt::Display for LdsRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LdsRule::Tlv(rule) => write!(f, "{rule}"),
            LdsRule::Missing { element } => write!(f, "{} is missing", element.en),
            LdsRule::NotText { element } => write!(f, "{} is not valid text", element.en),
            LdsRule::BadOid => f.write_str("malformed object identifier"),
            LdsRule::BadInteger { element } => {
                write!(f, "{} is not a valid integer for its field", element.en)
            }
            LdsRule::BadTime { element } => write!(f, "{} is not a valid time", element.en),
            LdsRule::BadBitString { element } => {
                write!(f, "{} is not a whole-byte bit string", element.en)
            }
            LdsRule::BadValue { element } => write!(f, "{} has an invalid value", element.en),
            LdsRule::NotSignedData { content_type } => write!(
                f,
                "the CMS content type is {content_type}, not SignedData (1.2.840.113549.1.7.2)"
            ),
            LdsRule::BadDataGroupNumber { number } => {
                write!(f, "data group number {number} is not between 1 and 16")
            }
            LdsRule::DuplicateDataGroup { dg } => write!(f, "data group {dg} is listed twice"),
            LdsRule::TooDeep => f.write_str("the structure is nested too deeply"),
        }
    }
}

impl LdsRule {
    /// The rule in Vietnamese ([`fmt::Display`] is the English).
    pub fn vi(&self) -> String {
        match self {
            LdsRule::Tlv(rule) => rule.vi(),
            LdsRule::Missing { element } => format!("Thiếu {}", element.vi),
            LdsRule::NotText { element } => {
                format!("{} không phải là văn bản hợp lệ", capitalize(element.vi))
            }
            LdsRule::BadOid => "Mã định danh đối tượng (OID) sai cấu trúc".to_owned(),
            LdsRule::BadInteger { element } => {
                format!("{} không phải là số nguyên hợp lệ", capitalize(element.vi))
            }
            LdsRule::BadTime { element } => {
                format!("{} không phải là thời điểm hợp lệ", capitalize(element.vi))
            }
            LdsRule::BadBitString { element } => format!(
                "{} không phải là chuỗi bit chẵn byte",
                capitalize(element.vi)
            ),
            LdsRule::BadValue { element } => {
                format!("{} có giá trị không hợp lệ", capitalize(element.vi))
            }
            LdsRule::NotSignedData { content_type } => format!(
                "Kiểu nội dung CMS là {content_type}, không phải SignedData (1.2.840.113549.1.7.2)"
            ),
            LdsRule::BadDataGroupNumber { number } => {
                format!("Số nhóm dữ liệu {number} không nằm trong khoảng 1 đến 16")
            }
            LdsRule::DuplicateDataGroup { dg } => {
                format!("Nhóm dữ liệu {dg} được liệt kê hai lần")
            }
            LdsRule::TooDeep => "Cấu trúc lồng nhau quá sâu".to_owned(),
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Why a file of the chip cannot be read: which file, where, and which rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdsError {
    /// "EF.COM", "DG1", "DG2", "DG13", "DG14", "DG15", "EF.SOD", "certificate",
    /// "master list".
    pub file: &'static str,
    /// From the first byte of the file (for a certificate: of the certificate).
    pub offset: usize,
    pub rule: LdsRule,
}

impl LdsError {
    pub(crate) fn new(file: &'static str, offset: usize, rule: LdsRule) -> Self {
        LdsError { file, offset, rule }
    }

    pub(crate) fn tlv(file: &'static str, e: TlvError) -> Self {
        LdsError::new(file, e.offset, LdsRule::Tlv(e.rule))
    }

    /// The file's name in Vietnamese.
    pub fn file_vi(&self) -> &'static str {
        match self.file {
            "certificate" => "Chứng thư số",
            "master list" => "Danh sách CSCA (master list)",
            other => other,
        }
    }

    /// The whole error in Vietnamese ([`fmt::Display`] is the English).
    pub fn vi(&self) -> String {
        format!(
            "{}, byte {}: {}",
            self.file_vi(),
            self.offset,
            self.rule.vi()
        )
    }
}

impl fmt::Display for LdsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, byte {}: {}", self.file, self.offset, self.rule)
    }
}

impl std::error::Error for LdsError {}

/// A closure turning a [`TlvError`] into an [`LdsError`] of `file`.
pub(crate) fn in_file(file: &'static str) -> impl Fn(TlvError) -> LdsError {
    move |e| LdsError::tlv(file, e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vi_check::assert_vi;

    #[test]
    fn data_group_tags() {
        assert_eq!(dg_tag(1), Some(0x61));
        assert_eq!(dg_tag(2), Some(0x75));
        assert_eq!(dg_tag(13), Some(0x6D));
        assert_eq!(dg_tag(16), Some(0x70));
        assert_eq!(dg_tag(0), None);
        assert_eq!(dg_tag(17), None);
        for dg in 1..=16 {
            assert_eq!(dg_tag(dg).and_then(dg_number), Some(dg));
        }
        assert_eq!(dg_number(0x60), None);
    }

    #[test]
    fn every_rule_in_vietnamese() {
        let el = Element::new("the MRZ (tag 5F1F)", "MRZ (thẻ 5F1F)");
        let rules = [
            LdsRule::Tlv(TlvRule::EndOfData),
            LdsRule::Missing { element: el },
            LdsRule::NotText { element: el },
            LdsRule::BadOid,
            LdsRule::BadInteger { element: el },
            LdsRule::BadTime { element: el },
            LdsRule::BadBitString { element: el },
            LdsRule::BadValue { element: el },
            LdsRule::NotSignedData {
                content_type: "1.2.840.113549.1.7.1".into(),
            },
            LdsRule::BadDataGroupNumber { number: 17 },
            LdsRule::DuplicateDataGroup { dg: 13 },
            LdsRule::TooDeep,
        ];
        for (i, rule) in rules.into_iter().enumerate() {
            for file in ["DG13", "certificate", "master list"] {
                let e = LdsError::new(file, i * 7, rule.clone());
                assert_vi(&e.to_string(), &e.vi());
            }
        }
    }
}
