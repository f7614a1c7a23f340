//! EF.COM (Doc 9303 Part 10 §4.6.1): the LDS version, the Unicode version and the list of
//! the data groups present.

use super::{dg_number, in_file, Element, LdsError, LdsRule, COM_TAG};
use crate::tlv::{read_file, Tag};

const FILE: &str = "EF.COM";

/// What EF.COM says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EfCom {
    /// As stored (tag 5F01): "0107" for LDS 1.7.
    pub lds_version: String,
    /// As stored (tag 5F36): "040000" for Unicode 4.0.0.
    pub unicode_version: String,
    /// The tags of the data groups present (tag 5C), in the file's order.
    pub tags: Vec<u8>,
}

impl EfCom {
    /// The data groups present, by number, in the file's order; tags that name no data
    /// group are left out.
    pub fn data_groups(&self) -> Vec<u8> {
        self.tags.iter().filter_map(|t| dg_number(*t)).collect()
    }

    /// "1.7" for "0107"; the stored text when it is not four digits.
    pub fn lds_version_dotted(&self) -> String {
        dotted(&self.lds_version)
    }

    /// "4.0.0" for "040000"; the stored text when it is not six digits.
    pub fn unicode_version_dotted(&self) -> String {
        dotted(&self.unicode_version)
    }
}

fn dotted(s: &str) -> String {
    if s.is_empty() || !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_owned();
    }
    s.as_bytes()
        .chunks(2)
        .map(|pair| {
            let n = pair
                .iter()
                .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
            n.to_string()
        })
        .collect::<Vec<_>>()
        .join(".")
}

const LDS_VERSION: Element = Element::new("the LDS version (tag 5F01)", "phiên bản LDS (thẻ 5F01)");
const UNICODE_VERSION: Element = Element::new(
    "the Unicode version (tag 5F36)",
    "phiên bản Unicode (thẻ 5F36)",
);
const TAG_LIST: Element = Element::new("the tag list (tag 5C)", "danh sách thẻ (thẻ 5C)");

/// Reads EF.COM as read from the chip (`60 L V`).
pub fn parse_com(bytes: &[u8]) -> Result<EfCom, LdsError> {
    let file = read_file(bytes, Tag(u32::from(COM_TAG))).map_err(in_file(FILE))?;
    let (mut lds, mut unicode, mut tags) = (None, None, None);
    for item in file.children() {
        let tlv = item.map_err(in_file(FILE))?;
        match tlv.tag.0 {
            0x5F01 if lds.is_none() => lds = Some(ascii(&tlv, LDS_VERSION)?),
            0x5F36 if unicode.is_none() => unicode = Some(ascii(&tlv, UNICODE_VERSION)?),
            0x5C if tags.is_none() => tags = Some(tlv.value.to_vec()),
            _ => {}
        }
    }
    let missing = |element| LdsError::new(FILE, file.end(), LdsRule::Missing { element });
    Ok(EfCom {
        lds_version: lds.ok_or_else(|| missing(LDS_VERSION))?,
        unicode_version: unicode.ok_or_else(|| missing(UNICODE_VERSION))?,
        tags: tags.ok_or_else(|| missing(TAG_LIST))?,
    })
}

fn ascii(tlv: &crate::tlv::Tlv<'_>, element: Element) -> Result<String, LdsError> {
    if !tlv.value.iter().all(|b| b.is_ascii_graphic()) {
        return Err(LdsError::new(
            FILE,
            tlv.offset,
            LdsRule::NotText { element },
        ));
    }
    // Checked just above: ASCII only.
    Ok(tlv.value.iter().map(|b| char::from(*b)).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lds::testkit;
    use crate::lds::TlvRule;
    use crate::tlv::encode;
    use crate::vi_check::assert_vi;
    use proptest::prelude::*;

    #[test]
    fn reads_the_test_card() {
        let com = testkit::encode_com(&[1, 2, 13, 14, 15]);
        let c = parse_com(&com).unwrap();
        assert_eq!(c.lds_version, "0107");
        assert_eq!(c.lds_version_dotted(), "1.7");
        assert_eq!(c.unicode_version_dotted(), "4.0.0");
        assert_eq!(c.tags, [0x61, 0x75, 0x6D, 0x6E, 0x6F]);
        assert_eq!(c.data_groups(), [1, 2, 13, 14, 15]);
    }

    #[test]
    fn errors_name_the_element() {
        let lds = encode(Tag(0x5F01), b"0107");
        let uni = encode(Tag(0x5F36), b"040000");
        let list = encode(Tag(0x5C), &[0x61]);
        let com = |parts: &[&[u8]]| encode(Tag(0x60), &parts.concat());

        let e = parse_com(&com(&[&uni, &list])).unwrap_err();
        assert_eq!(
            e.rule,
            LdsRule::Missing {
                element: LDS_VERSION
            }
        );
        assert_eq!(
            e.to_string(),
            "EF.COM, byte 14: the LDS version (tag 5F01) is missing"
        );
        assert_vi(&e.to_string(), &e.vi());

        let e = parse_com(&com(&[&lds, &uni])).unwrap_err();
        assert_eq!(e.rule, LdsRule::Missing { element: TAG_LIST });

        let e = parse_com(&com(&[&encode(Tag(0x5F01), "é".as_bytes()), &uni, &list])).unwrap_err();
        assert_eq!(
            (e.offset, &e.rule),
            (
                2,
                &LdsRule::NotText {
                    element: LDS_VERSION
                }
            )
        );
        assert_vi(&e.to_string(), &e.vi());

        let genuine = com(&[&lds, &uni, &list]);
        let e = parse_com(&genuine[..genuine.len() - 1]).unwrap_err();
        assert_eq!(e.offset, 1);
        assert!(
            matches!(e.rule, LdsRule::Tlv(TlvRule::ValueBeyondEnd { .. })),
            "{e}"
        );

        let e = parse_com(&[0x61, 0x00]).unwrap_err();
        assert_eq!(e.to_string(), "EF.COM, byte 0: expected tag 60, found 61");
        assert_vi(&e.to_string(), &e.vi());
    }

    proptest! {
        #[test]
        fn never_panics(data in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse_com(&data);
        }

        #[test]
        fn never_panics_on_a_mutated_file(i in 0usize..64, b in any::<u8>(), cut in 0usize..64) {
            let mut com = testkit::encode_com(&[1, 2, 13, 14, 15]);
            let len = com.len();
            com[i % len] = b;
            com.truncate(len - cut % len);
            if let Err(e) = parse_com(&com) {
                assert_vi(&e.to_string(), &e.vi());
            }
        }
    }
}
