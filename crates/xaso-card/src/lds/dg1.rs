//! DG1 (Doc 9303 Part 10 §4.7.1): the machine readable zone, as text. Its fields are read by
//! [`crate::chip`]; here it is only taken out of its TLV.

use super::{dg_tag, in_file, Element, LdsError, LdsRule};
use crate::tlv::{read_file, Tag};

const FILE: &str = "DG1";
const MRZ: Element = Element::new("the MRZ (tag 5F1F)", "vùng MRZ (thẻ 5F1F)");

/// What DG1 holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg1 {
    /// The MRZ without line breaks: 90 characters on an ID card (TD1), 88 in a passport
    /// (TD3), 72 in TD2 documents.
    pub mrz: String,
}

impl Dg1 {
    /// The MRZ cut into its printed lines, when its length is that of a known format (TD1: 3
    /// lines of 30, TD2: 2 of 36, TD3: 2 of 44); otherwise the whole text as one line.
    pub fn lines(&self) -> Vec<&str> {
        let width = match self.mrz.len() {
            90 => 30,
            72 => 36,
            88 => 44,
            _ => return vec![self.mrz.as_str()],
        };
        // The MRZ is ASCII (checked when read), so byte positions are characters.
        (0..self.mrz.len() / width)
            .filter_map(|i| self.mrz.get(i * width..(i + 1) * width))
            .collect()
    }
}

/// Reads DG1 as read from the chip (`61 L { 5F1F L mrz }`). The MRZ must be printable ASCII;
/// its check digits are not checked here.
pub fn parse_dg1(bytes: &[u8]) -> Result<Dg1, LdsError> {
    let tag = Tag(u32::from(dg_tag(1).unwrap_or(0x61)));
    let file = read_file(bytes, tag).map_err(in_file(FILE))?;
    let mut mrz = None;
    for item in file.children() {
        let tlv = item.map_err(in_file(FILE))?;
        if tlv.tag == Tag(0x5F1F) {
            mrz = Some(tlv);
            break;
        }
    }
    let Some(mrz) = mrz else {
        return Err(LdsError::new(
            FILE,
            file.end(),
            LdsRule::Missing { element: MRZ },
        ));
    };
    if mrz.value.is_empty() || !mrz.value.iter().all(|b| b.is_ascii_graphic()) {
        return Err(LdsError::new(
            FILE,
            mrz.offset,
            LdsRule::NotText { element: MRZ },
        ));
    }
    Ok(Dg1 {
        // Checked just above: ASCII only.
        mrz: mrz.value.iter().map(|b| char::from(*b)).collect(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lds::testkit;
    use crate::tlv::encode;
    use crate::vi_check::assert_vi;
    use proptest::prelude::*;

    #[test]
    fn reads_a_td1_mrz() {
        let mrz = testkit::sample_mrz();
        let dg1 = parse_dg1(&testkit::encode_dg1(&mrz)).unwrap();
        assert_eq!(dg1.mrz, mrz);
        let lines = dg1.lines();
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| l.len() == 30));
        assert!(lines[0].starts_with("IDVNM"));
        assert_eq!(Dg1 { mrz: "ABC".into() }.lines(), ["ABC"]);
    }

    #[test]
    fn errors() {
        let e = parse_dg1(&encode(Tag(0x61), &encode(Tag(0x5F1E), b"X"))).unwrap_err();
        assert_eq!(e.rule, LdsRule::Missing { element: MRZ });
        assert_eq!(e.to_string(), "DG1, byte 6: the MRZ (tag 5F1F) is missing");
        assert_vi(&e.to_string(), &e.vi());
        let e = parse_dg1(&encode(
            Tag(0x61),
            &encode(Tag(0x5F1F), "IDVNMĐ".as_bytes()),
        ))
        .unwrap_err();
        assert_eq!((e.offset, &e.rule), (2, &LdsRule::NotText { element: MRZ }));
        assert_vi(&e.to_string(), &e.vi());
        let e = parse_dg1(&encode(Tag(0x61), &encode(Tag(0x5F1F), b""))).unwrap_err();
        assert_eq!(e.rule, LdsRule::NotText { element: MRZ });
    }

    proptest! {
        #[test]
        fn never_panics(data in prop::collection::vec(any::<u8>(), 0..128)) {
            let _ = parse_dg1(&data);
        }

        #[test]
        fn never_panics_on_a_mutated_file(i in 0usize..200, b in any::<u8>(), cut in 0usize..200) {
            let mut dg1 = testkit::encode_dg1(&testkit::sample_mrz());
            let len = dg1.len();
            dg1[i % len] = b;
            dg1.truncate(len - cut % len);
            if let Ok(d) = parse_dg1(&dg1) {
                let _ = d.lines();
            }
        }
    }
}
