//! The ASN.1 values the LDS and its PKI use, read from [`Tlv`]s: object identifiers,
//! integers, times, strings, bit strings, algorithm identifiers and X.501 names.

use std::fmt;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use super::{in_file, Element, LdsError, LdsRule};
use crate::tlv::{Reader, Tag, Tlv};

/// An algorithm and its parameters, as in X.509 and CMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlgorithmIdentifier {
    /// Dotted: "2.16.840.1.101.3.4.2.1".
    pub oid: String,
    /// The parameters' whole TLV, when present.
    pub parameters: Option<Vec<u8>>,
}

impl AlgorithmIdentifier {
    /// No parameters, or NULL.
    pub fn has_no_parameters(&self) -> bool {
        match &self.parameters {
            None => true,
            Some(p) => p.as_slice() == [0x05, 0x00],
        }
    }

    /// The algorithm's common name, when it is one the LDS uses.
    pub fn name(&self) -> Option<&'static str> {
        oid_name(&self.oid)
    }
}

impl fmt::Display for AlgorithmIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.oid),
            None => f.write_str(&self.oid),
        }
    }
}

/// Object identifiers used by the LDS, its PKI and its algorithms.
pub(crate) mod oids {
    pub const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
    pub const LDS_SECURITY_OBJECT: &str = "2.23.136.1.1.1";
    pub const CSCA_MASTER_LIST: &str = "2.23.136.1.1.2";
    pub const CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
    pub const MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
    pub const SIGNING_TIME: &str = "1.2.840.113549.1.9.5";

    pub const SHA1: &str = "1.3.14.3.2.26";
    pub const SHA224: &str = "2.16.840.1.101.3.4.2.4";
    pub const SHA256: &str = "2.16.840.1.101.3.4.2.1";
    pub const SHA384: &str = "2.16.840.1.101.3.4.2.2";
    pub const SHA512: &str = "2.16.840.1.101.3.4.2.3";

    pub const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
    pub const RSA_PSS: &str = "1.2.840.113549.1.1.10";
    pub const MGF1: &str = "1.2.840.113549.1.1.8";
    pub const SHA1_WITH_RSA: &str = "1.2.840.113549.1.1.5";
    pub const SHA224_WITH_RSA: &str = "1.2.840.113549.1.1.14";
    pub const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
    pub const SHA384_WITH_RSA: &str = "1.2.840.113549.1.1.12";
    pub const SHA512_WITH_RSA: &str = "1.2.840.113549.1.1.13";

    pub const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
    pub const ECDSA_WITH_SHA1: &str = "1.2.840.10045.4.1";
    pub const ECDSA_WITH_SHA224: &str = "1.2.840.10045.4.3.1";
    pub const ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
    pub const ECDSA_WITH_SHA384: &str = "1.2.840.10045.4.3.3";
    pub const ECDSA_WITH_SHA512: &str = "1.2.840.10045.4.3.4";
    /// BSI TR-03111 ecdsa-plain-signatures: r ‖ s instead of DER.
    pub const ECDSA_PLAIN_SHA1: &str = "0.4.0.127.0.7.1.1.4.1.1";
    pub const ECDSA_PLAIN_SHA224: &str = "0.4.0.127.0.7.1.1.4.1.2";
    pub const ECDSA_PLAIN_SHA256: &str = "0.4.0.127.0.7.1.1.4.1.3";
    pub const ECDSA_PLAIN_SHA384: &str = "0.4.0.127.0.7.1.1.4.1.4";
    pub const ECDSA_PLAIN_SHA512: &str = "0.4.0.127.0.7.1.1.4.1.5";
    pub const P256: &str = "1.2.840.10045.3.1.7";
    pub const P384: &str = "1.3.132.0.34";
    pub const P521: &str = "1.3.132.0.35";

    pub const SUBJECT_KEY_ID: &str = "2.5.29.14";
    pub const AUTHORITY_KEY_ID: &str = "2.5.29.35";
    pub const BASIC_CONSTRAINTS: &str = "2.5.29.19";
    /// Written by the test kit; not read.
    #[allow(dead_code)]
    pub const KEY_USAGE: &str = "2.5.29.15";
}

fn oid_name(oid: &str) -> Option<&'static str> {
    use oids::*;
    Some(match oid {
        SHA1 => "SHA-1",
        SHA224 => "SHA-224",
        SHA256 => "SHA-256",
        SHA384 => "SHA-384",
        SHA512 => "SHA-512",
        RSA_ENCRYPTION => "rsaEncryption",
        RSA_PSS => "RSASSA-PSS",
        SHA1_WITH_RSA => "sha1WithRSAEncryption",
        SHA224_WITH_RSA => "sha224WithRSAEncryption",
        SHA256_WITH_RSA => "sha256WithRSAEncryption",
        SHA384_WITH_RSA => "sha384WithRSAEncryption",
        SHA512_WITH_RSA => "sha512WithRSAEncryption",
        EC_PUBLIC_KEY => "id-ecPublicKey",
        ECDSA_WITH_SHA1 => "ecdsa-with-SHA1",
        ECDSA_WITH_SHA224 => "ecdsa-with-SHA224",
        ECDSA_WITH_SHA256 => "ecdsa-with-SHA256",
        ECDSA_WITH_SHA384 => "ecdsa-with-SHA384",
        ECDSA_WITH_SHA512 => "ecdsa-with-SHA512",
        ECDSA_PLAIN_SHA1 => "ecdsa-plain-SHA1",
        ECDSA_PLAIN_SHA224 => "ecdsa-plain-SHA224",
        ECDSA_PLAIN_SHA256 => "ecdsa-plain-SHA256",
        ECDSA_PLAIN_SHA384 => "ecdsa-plain-SHA384",
        ECDSA_PLAIN_SHA512 => "ecdsa-plain-SHA512",
        P256 => "P-256",
        P384 => "P-384",
        P521 => "P-521",
        LDS_SECURITY_OBJECT => "id-icao-mrtd-security-ldsSecurityObject",
        CSCA_MASTER_LIST => "id-icao-cscaMasterList",
        SIGNED_DATA => "id-signedData",
        _ => return None,
    })
}

/// The dotted form of an OID's content octets; `None` when malformed (empty, an arc that
/// does not end, or one larger than 64 bits).
pub(crate) fn oid_to_string(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() || bytes.last().is_some_and(|b| b & 0x80 != 0) {
        return None;
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for b in bytes {
        if value > (u64::MAX >> 7) {
            return None;
        }
        value = (value << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let (first, second) = match value {
                    0..=39 => (0, value),
                    40..=79 => (1, value - 40),
                    _ => (2, value - 80),
                };
                arcs.push(first);
                arcs.push(second);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
    }
    Some(
        arcs.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// The content octets of a dotted OID; `None` when it is not one.
pub(crate) fn oid_to_bytes(dotted: &str) -> Option<Vec<u8>> {
    let arcs: Vec<u64> = dotted
        .split('.')
        .map(|a| a.parse::<u64>().ok())
        .collect::<Option<_>>()?;
    let (first, second, rest) = match arcs.as_slice() {
        [first, second, rest @ ..] if *first <= 2 && (*first == 2 || *second < 40) => {
            (*first, *second, rest)
        }
        _ => return None,
    };
    let mut out = Vec::new();
    let head = first.checked_mul(40)?.checked_add(second)?;
    for arc in std::iter::once(head).chain(rest.iter().copied()) {
        let mut chunk = vec![(arc & 0x7F) as u8];
        let mut v = arc >> 7;
        while v > 0 {
            chunk.push(0x80 | (v & 0x7F) as u8);
            v >>= 7;
        }
        chunk.reverse();
        out.extend(chunk);
    }
    Some(out)
}

/// Reads an OBJECT IDENTIFIER.
pub(crate) fn oid(tlv: &Tlv<'_>, file: &'static str) -> Result<String, LdsError> {
    if tlv.tag != Tag::OID {
        return Err(unexpected(file, tlv, Tag::OID));
    }
    oid_to_string(tlv.value).ok_or_else(|| LdsError::new(file, tlv.offset, LdsRule::BadOid))
}

pub(crate) fn unexpected(file: &'static str, tlv: &Tlv<'_>, expected: Tag) -> LdsError {
    LdsError::new(
        file,
        tlv.offset,
        LdsRule::Tlv(crate::tlv::TlvRule::UnexpectedTag {
            expected,
            found: tlv.tag,
        }),
    )
}

/// Reads a non-negative INTEGER that fits in 64 bits.
pub(crate) fn uint(tlv: &Tlv<'_>, file: &'static str, element: Element) -> Result<u64, LdsError> {
    if tlv.tag != Tag::INTEGER {
        return Err(unexpected(file, tlv, Tag::INTEGER));
    }
    let bad = || LdsError::new(file, tlv.offset, LdsRule::BadInteger { element });
    let bytes = tlv.value;
    if bytes.is_empty() || bytes.first().is_some_and(|b| b & 0x80 != 0) {
        return Err(bad());
    }
    let significant: &[u8] = match bytes.iter().position(|b| *b != 0) {
        Some(i) => bytes.get(i..).unwrap_or_default(),
        None => &[],
    };
    if significant.len() > 8 {
        return Err(bad());
    }
    Ok(significant
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// Reads a BIT STRING whose bits fill whole bytes, and returns those bytes.
pub(crate) fn bit_string<'a>(
    tlv: &Tlv<'a>,
    file: &'static str,
    element: Element,
) -> Result<&'a [u8], LdsError> {
    if tlv.tag != Tag::BIT_STRING {
        return Err(unexpected(file, tlv, Tag::BIT_STRING));
    }
    match tlv.value.split_first() {
        Some((0, rest)) => Ok(rest),
        _ => Err(LdsError::new(
            file,
            tlv.offset,
            LdsRule::BadBitString { element },
        )),
    }
}

/// Reads an AlgorithmIdentifier.
pub(crate) fn algorithm(
    tlv: &Tlv<'_>,
    file: &'static str,
) -> Result<AlgorithmIdentifier, LdsError> {
    if tlv.tag != Tag::SEQUENCE {
        return Err(unexpected(file, tlv, Tag::SEQUENCE));
    }
    let mut r = tlv.children();
    let id = r.read().map_err(in_file(file))?;
    let oid = oid(&id, file)?;
    let parameters = if r.is_empty() {
        None
    } else {
        Some(r.read().map_err(in_file(file))?.raw.to_vec())
    };
    r.finish().map_err(in_file(file))?;
    Ok(AlgorithmIdentifier { oid, parameters })
}

/// Reads one of the ASN.1 string types as text.
pub(crate) fn text(
    tlv: &Tlv<'_>,
    file: &'static str,
    element: Element,
) -> Result<String, LdsError> {
    let not_text = || LdsError::new(file, tlv.offset, LdsRule::NotText { element });
    match tlv.tag {
        // UTF8String, NumericString, PrintableString, IA5String, VisibleString.
        Tag(0x0C) | Tag(0x12) | Tag(0x13) | Tag(0x16) | Tag(0x1A) => {
            String::from_utf8(tlv.value.to_vec()).map_err(|_| not_text())
        }
        // TeletexString: read as Latin-1, as most issuers meant it.
        Tag(0x14) => Ok(tlv.value.iter().map(|b| char::from(*b)).collect()),
        // BMPString: UTF-16BE.
        Tag(0x1E) => {
            if !tlv.value.len().is_multiple_of(2) {
                return Err(not_text());
            }
            let units: Vec<u16> = tlv
                .value
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).map_err(|_| not_text())
        }
        _ => Err(not_text()),
    }
}

/// Whether a tag is one of the string types [`text`] reads.
pub(crate) fn is_text(tag: Tag) -> bool {
    matches!(tag.0, 0x0C | 0x12 | 0x13 | 0x14 | 0x16 | 0x1A | 0x1E)
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0')))
}

/// Reads a UTCTime (`YYMMDDHHMM[SS]Z`, years 50–99 are 19xx) or a GeneralizedTime
/// (`YYYYMMDDHHMMSS[.f]Z`). Only UTC ("Z") is accepted, as RFC 5280 requires.
pub(crate) fn time(
    tlv: &Tlv<'_>,
    file: &'static str,
    element: Element,
) -> Result<OffsetDateTime, LdsError> {
    let bad = || LdsError::new(file, tlv.offset, LdsRule::BadTime { element });
    let v = tlv.value;
    let Some((b'Z', body)) = v.split_last() else {
        return Err(bad());
    };
    let (year, rest) = match tlv.tag {
        Tag::UTC_TIME => {
            let yy = body.get(..2).and_then(digits).ok_or_else(bad)?;
            let year = if yy >= 50 { 1900 + yy } else { 2000 + yy };
            (year, body.get(2..).unwrap_or_default())
        }
        Tag::GENERALIZED_TIME => {
            let year = body.get(..4).and_then(digits).ok_or_else(bad)?;
            let rest = body.get(4..).unwrap_or_default();
            // Fractions of a second are dropped.
            let rest = match rest.iter().position(|b| *b == b'.' || *b == b',') {
                Some(i) => rest.get(..i).unwrap_or_default(),
                None => rest,
            };
            (year, rest)
        }
        _ => return Err(bad()),
    };
    let field = |i: usize| rest.get(i..i + 2).and_then(digits);
    let (month, day, hour, minute) = (
        field(0).ok_or_else(bad)?,
        field(2).ok_or_else(bad)?,
        field(4).ok_or_else(bad)?,
        field(6).ok_or_else(bad)?,
    );
    let second = match rest.len() {
        8 if tlv.tag == Tag::UTC_TIME => 0,
        10 => field(8).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let date = Date::from_calendar_date(
        i32::try_from(year).map_err(|_| bad())?,
        month,
        u8::try_from(day).map_err(|_| bad())?,
    )
    .map_err(|_| bad())?;
    let time = Time::from_hms(
        u8::try_from(hour).map_err(|_| bad())?,
        u8::try_from(minute).map_err(|_| bad())?,
        u8::try_from(second).map_err(|_| bad())?,
    )
    .map_err(|_| bad())?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

/// One attribute of a distinguished name: its type and its value as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAttribute {
    pub oid: String,
    pub value: String,
}

impl NameAttribute {
    /// The short name of the attribute type ("CN", "C", …), when common.
    pub fn short_name(&self) -> Option<&'static str> {
        Some(match self.oid.as_str() {
            "2.5.4.3" => "CN",
            "2.5.4.4" => "SN",
            "2.5.4.5" => "serialNumber",
            "2.5.4.6" => "C",
            "2.5.4.7" => "L",
            "2.5.4.8" => "ST",
            "2.5.4.10" => "O",
            "2.5.4.11" => "OU",
            "1.2.840.113549.1.9.1" => "emailAddress",
            _ => return None,
        })
    }
}

/// Reads an X.501 Name into its attributes, in order. Values that are not text are shown
/// as hexadecimal.
pub(crate) fn name(tlv: &Tlv<'_>, file: &'static str) -> Result<Vec<NameAttribute>, LdsError> {
    if tlv.tag != Tag::SEQUENCE {
        return Err(unexpected(file, tlv, Tag::SEQUENCE));
    }
    let mut out = Vec::new();
    for rdn in tlv.children() {
        let rdn = rdn.map_err(in_file(file))?;
        if rdn.tag != Tag::SET {
            return Err(unexpected(file, &rdn, Tag::SET));
        }
        for atv in rdn.children() {
            let atv = atv.map_err(in_file(file))?;
            if atv.tag != Tag::SEQUENCE {
                return Err(unexpected(file, &atv, Tag::SEQUENCE));
            }
            let mut r = atv.children();
            let oid = oid(&r.read().map_err(in_file(file))?, file)?;
            let value = r.read().map_err(in_file(file))?;
            let value = if is_text(value.tag) {
                text(
                    &value,
                    file,
                    Element::new("a name attribute", "thuộc tính tên"),
                )?
            } else {
                hex(value.value)
            };
            out.push(NameAttribute { oid, value });
        }
    }
    Ok(out)
}

/// "CN=…, O=…, C=VN".
pub(crate) fn name_to_string(attributes: &[NameAttribute]) -> String {
    attributes
        .iter()
        .map(|a| match a.short_name() {
            Some(short) => format!("{short}={}", a.value),
            None => format!("{}={}", a.oid, a.value),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Two names are the same when their attributes match in order, ignoring case and blanks
/// around and within values (RFC 5280 §7.1, simplified), whatever string types encode them.
pub(crate) fn names_match(a: &[NameAttribute], b: &[NameAttribute]) -> bool {
    fn fold(s: &str) -> String {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    }
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.oid == y.oid && fold(&x.value) == fold(&y.value))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Reads the children of a constructed TLV into a vector.
pub(crate) fn children<'a>(tlv: &Tlv<'a>, file: &'static str) -> Result<Vec<Tlv<'a>>, LdsError> {
    Reader::at(tlv.value, tlv.value_offset())
        .collect::<Result<Vec<_>, _>>()
        .map_err(in_file(file))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::tlv::{encode, read_file};
    use proptest::prelude::*;
    use time::macros::datetime;

    const EL: Element = Element::new("the value", "giá trị");

    #[test]
    fn oids_round_trip() {
        for dotted in [
            "1.2.840.113549.1.7.2",
            "2.23.136.1.1.1",
            "0.4.0.127.0.7.2.2.1.2",
            "1.3.132.0.34",
            "2.999.3",
        ] {
            let bytes = oid_to_bytes(dotted).unwrap();
            assert_eq!(oid_to_string(&bytes).as_deref(), Some(dotted));
        }
        assert_eq!(
            oid_to_bytes("1.2.840.113549.1.7.2").unwrap(),
            [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]
        );
        assert_eq!(oid_to_string(&[]), None);
        assert_eq!(oid_to_string(&[0x2A, 0x86]), None);
        assert_eq!(oid_to_bytes("3.1"), None);
        assert_eq!(oid_to_bytes("1.40"), None);
        assert_eq!(oid_to_bytes("1"), None);
    }

    #[test]
    fn integers() {
        let read = |v: &[u8]| {
            let raw = encode(Tag::INTEGER, v);
            uint(&read_file(&raw, Tag::INTEGER).unwrap(), "DG13", EL)
        };
        assert_eq!(read(&[0x00]), Ok(0));
        assert_eq!(read(&[0x0D]), Ok(13));
        assert_eq!(read(&[0x00, 0xFF]), Ok(255));
        assert!(read(&[0xFF]).is_err());
        assert!(read(&[]).is_err());
        assert!(read(&[1, 2, 3, 4, 5, 6, 7, 8, 9]).is_err());
    }

    #[test]
    fn times() {
        let read = |tag: Tag, v: &str| {
            let raw = encode(tag, v.as_bytes());
            time(&read_file(&raw, tag).unwrap(), "certificate", EL)
        };
        let (utc, gt) = (Tag::UTC_TIME, Tag::GENERALIZED_TIME);
        for (tag, v, want) in [
            (utc, "250701120000Z", datetime!(2025-07-01 12:00 UTC)),
            (utc, "9912312359Z", datetime!(1999-12-31 23:59 UTC)),
            (gt, "20500101000000Z", datetime!(2050-01-01 0:00 UTC)),
            (gt, "20500101000000.123Z", datetime!(2050-01-01 0:00 UTC)),
        ] {
            assert_eq!(read(tag, v), Ok(want), "{v}");
        }
        for bad in [
            "250230120000Z",
            "251301120000Z",
            "2507011200Z0",
            "",
            "Z",
            "250701120000+0700",
        ] {
            assert!(read(utc, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn strings() {
        let read = |tag: Tag, v: &[u8]| {
            let raw = encode(tag, v);
            text(&read_file(&raw, tag).unwrap(), "DG13", EL)
        };
        assert_eq!(
            read(Tag::UTF8_STRING, "Nguyễn".as_bytes()).unwrap(),
            "Nguyễn"
        );
        assert_eq!(read(Tag::T61_STRING, &[0x41, 0xE9]).unwrap(), "Aé");
        assert_eq!(read(Tag::BMP_STRING, &[0x1E, 0xC5, 0, 0x41]).unwrap(), "ễA");
        assert!(read(Tag::UTF8_STRING, &[0xC3]).is_err());
        assert!(read(Tag::BMP_STRING, &[0]).is_err());
        assert!(read(Tag::OCTET_STRING, b"x").is_err());
    }

    proptest! {
        #[test]
        fn oid_decoding_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
            if let Some(s) = oid_to_string(&bytes) {
                // What decodes re-encodes to the same bytes unless it had padding arcs.
                if bytes.first() != Some(&0x80) && !bytes.windows(2).any(|w| w[0] & 0x80 == 0 && w[1] == 0x80) {
                    prop_assert_eq!(oid_to_bytes(&s), Some(bytes));
                }
            }
        }

        #[test]
        fn times_never_panic(tag in prop::sample::select(vec![Tag::UTC_TIME, Tag::GENERALIZED_TIME]),
                             s in "[0-9Z.+]{0,20}") {
            let raw = encode(tag, s.as_bytes());
            let _ = time(&read_file(&raw, tag).unwrap(), "certificate", EL);
        }
    }
}
