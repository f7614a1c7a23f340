//! DG2 (Doc 9303 Part 10 §4.7.2): the biometric information template group holding the
//! face image(s), each an ISO/IEC 19794-5 facial record inside a biometric data block.

use super::{dg_tag, in_file, Element, LdsError, LdsRule};
use crate::tlv::{read_file, Tag, Tlv};

const FILE: &str = "DG2";

/// The encoding of an image, told by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// Starts with `FF D8 FF`.
    Jpeg,
    /// A JP2 file (signature box `00 00 00 0C 6A 50 20 20 0D 0A 87 0A`) or a bare JPEG 2000
    /// codestream (`FF 4F FF 51`).
    Jpeg2000,
    Unknown,
}

impl ImageFormat {
    /// Which format `data` is, by its signature.
    pub fn detect(data: &[u8]) -> ImageFormat {
        if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
            ImageFormat::Jpeg
        } else if data.starts_with(&JP2_SIGNATURE) || data.starts_with(&J2K_CODESTREAM) {
            ImageFormat::Jpeg2000
        } else {
            ImageFormat::Unknown
        }
    }

    /// The media type to serve the image with.
    pub fn mime_type(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Jpeg2000 => "image/jp2",
            ImageFormat::Unknown => "application/octet-stream",
        }
    }
}

const JP2_SIGNATURE: [u8; 12] = [
    0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A,
];
const J2K_CODESTREAM: [u8; 4] = [0xFF, 0x4F, 0xFF, 0x51];

/// One face image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaceImage {
    /// By the image's own signature, whatever the record header declares.
    pub format: ImageFormat,
    /// The image file's bytes.
    pub data: Vec<u8>,
    /// From the ISO/IEC 19794-5:2005 image information, when the record has that layout.
    pub width: Option<u16>,
    pub height: Option<u16>,
}

/// What DG2 holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg2 {
    /// In the file's order; a card has one.
    pub faces: Vec<FaceImage>,
}

const BIT_GROUP: Element = Element::new(
    "the biometric information group template (tag 7F61)",
    "nhóm mẫu thông tin sinh trắc (thẻ 7F61)",
);
const BDB: Element = Element::new(
    "the biometric data block (tag 5F2E)",
    "khối dữ liệu sinh trắc (thẻ 5F2E)",
);
const FACE_RECORD: Element = Element::new(
    "the ISO/IEC 19794-5 facial record",
    "bản ghi khuôn mặt ISO/IEC 19794-5",
);
const FACE_IMAGE: Element = Element::new("a face image", "ảnh khuôn mặt");

/// Reads DG2 as read from the chip (`75 L { 7F61 L { 02 count, 7F60 L { A1 header,
/// 5F2E data } … } }`) and takes out every face image.
pub fn parse_dg2(bytes: &[u8]) -> Result<Dg2, LdsError> {
    let tag = Tag(u32::from(dg_tag(2).unwrap_or(0x75)));
    let file = read_file(bytes, tag).map_err(in_file(FILE))?;
    let mut group = None;
    for item in file.children() {
        let tlv = item.map_err(in_file(FILE))?;
        if tlv.tag == Tag(0x7F61) {
            group = Some(tlv);
            break;
        }
    }
    let Some(group) = group else {
        return Err(LdsError::new(
            FILE,
            file.end(),
            LdsRule::Missing { element: BIT_GROUP },
        ));
    };
    let mut faces = Vec::new();
    for item in group.children() {
        let template = item.map_err(in_file(FILE))?;
        if template.tag != Tag(0x7F60) {
            // The instance count (02) and anything else.
            continue;
        }
        let mut block = None;
        for item in template.children() {
            let tlv = item.map_err(in_file(FILE))?;
            if tlv.tag == Tag(0x5F2E) || tlv.tag == Tag(0x7F2E) {
                block = Some(tlv);
                break;
            }
        }
        let Some(block) = block else {
            return Err(LdsError::new(
                FILE,
                template.end(),
                LdsRule::Missing { element: BDB },
            ));
        };
        faces.extend(face_images(&block)?);
    }
    if faces.is_empty() {
        return Err(LdsError::new(
            FILE,
            group.end(),
            LdsRule::Missing {
                element: FACE_IMAGE,
            },
        ));
    }
    Ok(Dg2 { faces })
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

/// The images of one biometric data block. An ISO/IEC 19794-5:2005 record ("FAC\0",
/// "010\0") is read by its lengths; any other content is searched for the first JPEG or
/// JPEG 2000 signature.
fn face_images(block: &Tlv<'_>) -> Result<Vec<FaceImage>, LdsError> {
    let b = block.value;
    let at = |i: usize| block.value_offset() + i;
    let bad = |i: usize| {
        LdsError::new(
            FILE,
            at(i),
            LdsRule::BadValue {
                element: FACE_RECORD,
            },
        )
    };
    if b.starts_with(b"FAC\0") && b.get(4..8) == Some(b"010\0") {
        // Facial record header: format, version, record length (4), number of images (2).
        let record_len = be32(b, 8).ok_or_else(|| bad(8))? as usize;
        if record_len > b.len() || record_len < 14 {
            return Err(bad(8));
        }
        let count = be16(b, 12).ok_or_else(|| bad(12))?;
        let mut pos = 14usize;
        let mut images = Vec::new();
        for _ in 0..count {
            // Facial information (20 bytes): block length (4), feature points (2), …
            let block_len = be32(b, pos).ok_or_else(|| bad(pos))? as usize;
            let points = usize::from(be16(b, pos + 4).ok_or_else(|| bad(pos + 4))?);
            // … then 8 bytes per feature point, then the image information (12 bytes):
            // image type (1), data type (1), width (2), height (2), …
            let info = pos + 20 + 8 * points;
            let data_start = info + 12;
            let end = pos.checked_add(block_len).ok_or_else(|| bad(pos))?;
            if block_len < data_start - pos || end > record_len {
                return Err(bad(pos));
            }
            let data = b.get(data_start..end).ok_or_else(|| bad(pos))?;
            images.push(FaceImage {
                format: ImageFormat::detect(data),
                data: data.to_vec(),
                width: be16(b, info + 2),
                height: be16(b, info + 4),
            });
            pos = end;
        }
        return Ok(images);
    }
    let start = (0..b.len()).find(|i| {
        let rest = b.get(*i..).unwrap_or_default();
        ImageFormat::detect(rest) != ImageFormat::Unknown
    });
    let data = match start {
        Some(i) => b.get(i..).unwrap_or_default(),
        None => b,
    };
    if data.is_empty() {
        return Err(bad(0));
    }
    Ok(vec![FaceImage {
        format: ImageFormat::detect(data),
        data: data.to_vec(),
        width: None,
        height: None,
    }])
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
    fn reads_the_face_of_the_test_card() {
        let dg2 = parse_dg2(&testkit::encode_dg2(&testkit::tiny_jpeg())).unwrap();
        assert_eq!(dg2.faces.len(), 1);
        let face = &dg2.faces[0];
        assert_eq!(face.format, ImageFormat::Jpeg);
        assert_eq!(face.data, testkit::tiny_jpeg());
        assert_eq!((face.width, face.height), (Some(1), Some(1)));
        assert_eq!(face.format.mime_type(), "image/jpeg");
    }

    #[test]
    fn formats_by_signature() {
        assert_eq!(
            ImageFormat::detect(&[0xFF, 0xD8, 0xFF, 0xE0]),
            ImageFormat::Jpeg
        );
        assert_eq!(ImageFormat::detect(&JP2_SIGNATURE), ImageFormat::Jpeg2000);
        assert_eq!(
            ImageFormat::detect(&[0xFF, 0x4F, 0xFF, 0x51, 0]),
            ImageFormat::Jpeg2000
        );
        assert_eq!(ImageFormat::detect(b"GIF89a"), ImageFormat::Unknown);
        assert_eq!(ImageFormat::detect(&[]), ImageFormat::Unknown);
    }

    #[test]
    fn a_record_of_another_version_is_searched_for_the_image() {
        let mut bdb = b"FAC\x00030\x00".to_vec();
        bdb.extend([0u8; 30]);
        bdb.extend(JP2_SIGNATURE);
        bdb.extend([1, 2, 3]);
        let dg2 = encode(
            Tag(0x75),
            &encode(
                Tag(0x7F61),
                &[
                    encode(Tag::INTEGER, &[1]),
                    encode(
                        Tag(0x7F60),
                        &[encode(Tag(0xA1), &[]), encode(Tag(0x5F2E), &bdb)].concat(),
                    ),
                ]
                .concat(),
            ),
        );
        let d = parse_dg2(&dg2).unwrap();
        assert_eq!(d.faces[0].format, ImageFormat::Jpeg2000);
        assert_eq!(d.faces[0].data.len(), 15);
        assert_eq!(d.faces[0].width, None);
    }

    #[test]
    fn errors() {
        let e = parse_dg2(&encode(Tag(0x75), &[])).unwrap_err();
        assert_eq!(e.rule, LdsRule::Missing { element: BIT_GROUP });
        assert_vi(&e.to_string(), &e.vi());
        let e = parse_dg2(&encode(
            Tag(0x75),
            &encode(Tag(0x7F61), &encode(Tag::INTEGER, &[0])),
        ))
        .unwrap_err();
        assert_eq!(
            e.rule,
            LdsRule::Missing {
                element: FACE_IMAGE
            }
        );
        assert_vi(&e.to_string(), &e.vi());
        // A record whose lengths do not add up.
        let mut genuine = testkit::encode_dg2(&testkit::tiny_jpeg());
        let fac = genuine.windows(4).position(|w| w == b"FAC\0").unwrap();
        genuine[fac + 8] = 0x7F;
        let e = parse_dg2(&genuine).unwrap_err();
        assert_eq!(
            e.rule,
            LdsRule::BadValue {
                element: FACE_RECORD
            }
        );
        assert_eq!(e.offset, fac + 8);
        assert_vi(&e.to_string(), &e.vi());
    }

    proptest! {
        #[test]
        fn never_panics(data in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_dg2(&data);
        }

        #[test]
        fn never_panics_on_a_mutated_file(
            edits in prop::collection::vec((0usize..400, any::<u8>()), 1..4),
            cut in 0usize..400,
        ) {
            let mut dg2 = testkit::encode_dg2(&testkit::tiny_jpeg());
            let len = dg2.len();
            for (i, b) in edits {
                dg2[i % len] = b;
            }
            dg2.truncate(len - cut % len);
            if let Err(e) = parse_dg2(&dg2) {
                assert_vi(&e.to_string(), &e.vi());
            }
        }
    }
}
