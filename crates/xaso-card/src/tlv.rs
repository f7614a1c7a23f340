//! The BER-TLV reader of the whole crate (ISO/IEC 7816-4 §5.2, ICAO Doc 9303 Part 10 §4.4):
//! tags of one to three bytes (`5F1F`, `7F61`, …) and definite lengths in the short form or
//! in one to four length bytes. It reads the files of the chip and the DER of the CMS and
//! X.509 structures inside EF.SOD, which are BER too ([`crate::lds`]), and the data objects
//! of secure messaging and the header of a file being read ([`crate::chip`]).
//!
//! The reader never panics and never allocates: a [`Tlv`] borrows its value from the input.
//! Every error names the absolute offset of the byte where the rule is broken and the rule
//! ([`TlvRule`]).

use std::fmt;

/// A tag, as its one to three bytes read big-endian: `0x30`, `0x5F1F`, `0x7F61`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub u32);

/// The class of a tag (bits 8 and 7 of its first byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Universal,
    Application,
    ContextSpecific,
    Private,
}

impl Tag {
    pub const BOOLEAN: Tag = Tag(0x01);
    pub const INTEGER: Tag = Tag(0x02);
    pub const BIT_STRING: Tag = Tag(0x03);
    pub const OCTET_STRING: Tag = Tag(0x04);
    pub const NULL: Tag = Tag(0x05);
    pub const OID: Tag = Tag(0x06);
    pub const UTF8_STRING: Tag = Tag(0x0C);
    pub const PRINTABLE_STRING: Tag = Tag(0x13);
    pub const T61_STRING: Tag = Tag(0x14);
    pub const IA5_STRING: Tag = Tag(0x16);
    pub const UTC_TIME: Tag = Tag(0x17);
    pub const GENERALIZED_TIME: Tag = Tag(0x18);
    pub const BMP_STRING: Tag = Tag(0x1E);
    pub const SEQUENCE: Tag = Tag(0x30);
    pub const SET: Tag = Tag(0x31);

    /// A context-specific tag `[n]` of one byte (n < 31), constructed or primitive.
    pub const fn context(n: u8, constructed: bool) -> Tag {
        Tag(0x80 | if constructed { 0x20 } else { 0 } | (n as u32 & 0x1F))
    }

    /// The first byte of the tag, which carries the class and the constructed bit.
    pub fn first_byte(self) -> u8 {
        let bytes = self.0.to_be_bytes();
        bytes.iter().copied().find(|b| *b != 0).unwrap_or(0)
    }

    /// Whether the value holds further TLVs.
    pub fn is_constructed(self) -> bool {
        self.first_byte() & 0x20 != 0
    }

    pub fn class(self) -> Class {
        match self.first_byte() >> 6 {
            0 => Class::Universal,
            1 => Class::Application,
            2 => Class::ContextSpecific,
            _ => Class::Private,
        }
    }

    /// The tag's bytes as they are written (one to four).
    pub fn to_bytes(self) -> Vec<u8> {
        let bytes = self.0.to_be_bytes();
        let start = bytes.iter().position(|b| *b != 0).unwrap_or(3);
        bytes.get(start..).unwrap_or_default().to_vec()
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.to_bytes().len() * 2;
        write!(f, "{:0width$X}", self.0)
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

/// One tag-length-value, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: Tag,
    /// Where the tag's first byte is, from the start of the outermost input.
    pub offset: usize,
    /// The bytes of the tag and the length.
    pub header_len: usize,
    pub value: &'a [u8],
    /// The whole TLV: tag, length and value.
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Where the value starts, from the start of the outermost input.
    pub fn value_offset(&self) -> usize {
        self.offset + self.header_len
    }

    /// Where the next TLV would start.
    pub fn end(&self) -> usize {
        self.offset + self.raw.len()
    }

    /// A reader over the value, for a constructed TLV; offsets stay absolute.
    pub fn children(&self) -> Reader<'a> {
        Reader::at(self.value, self.value_offset())
    }
}

/// The rule a byte string breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlvRule {
    /// A TLV was expected and the input ended.
    EndOfData,
    /// The tag's continuation bytes run past the end.
    TruncatedTag,
    /// A tag of more than three bytes.
    TagTooLong,
    /// The length's bytes run past the end.
    TruncatedLength,
    /// `80`: the indefinite form, which the LDS does not use.
    IndefiniteLength,
    /// `85`–`FF`: more than four length bytes.
    LengthTooLong { bytes: u8 },
    /// The length says more than there is.
    ValueBeyondEnd { length: usize, available: usize },
    /// A different tag was expected here.
    UnexpectedTag { expected: Tag, found: Tag },
    /// Bytes after the last element.
    TrailingBytes { count: usize },
}

impl fmt::Display for TlvRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlvRule::EndOfData => f.write_str("a tag was expected but the data ends"),
            TlvRule::TruncatedTag => f.write_str("the tag runs past the end of the data"),
            TlvRule::TagTooLong => f.write_str("a tag may have at most 3 bytes"),
            TlvRule::TruncatedLength => f.write_str("the length runs past the end of the data"),
            TlvRule::IndefiniteLength => {
                f.write_str("the indefinite length form (80) is not allowed")
            }
            TlvRule::LengthTooLong { bytes } => {
                write!(f, "a length may have at most 4 bytes, this one has {bytes}")
            }
            TlvRule::ValueBeyondEnd { length, available } => write!(
                f,
                "the length is {length} bytes but only {available} remain"
            ),
            TlvRule::UnexpectedTag { expected, found } => {
                write!(f, "expected tag {expected}, found {found}")
            }
            TlvRule::TrailingBytes { count } => {
                write!(f, "{count} unexpected bytes after the last element")
            }
        }
    }
}

impl TlvRule {
    /// The rule in Vietnamese ([`fmt::Display`] is the English).
    pub fn vi(&self) -> String {
        match self {
            TlvRule::EndOfData => "Cần một thẻ (tag) nhưng dữ liệu đã hết".to_owned(),
            TlvRule::TruncatedTag => "Thẻ (tag) vượt quá cuối dữ liệu".to_owned(),
            TlvRule::TagTooLong => "Thẻ (tag) chỉ được dài tối đa 3 byte".to_owned(),
            TlvRule::TruncatedLength => "Trường độ dài vượt quá cuối dữ liệu".to_owned(),
            TlvRule::IndefiniteLength => "Không chấp nhận độ dài không xác định (80)".to_owned(),
            TlvRule::LengthTooLong { bytes } => {
                format!("Trường độ dài chỉ được có tối đa 4 byte, ở đây có {bytes}")
            }
            TlvRule::ValueBeyondEnd { length, available } => {
                format!("Độ dài ghi là {length} byte nhưng chỉ còn {available} byte")
            }
            TlvRule::UnexpectedTag { expected, found } => {
                format!("Cần thẻ {expected}, nhưng gặp thẻ {found}")
            }
            TlvRule::TrailingBytes { count } => {
                format!("Có {count} byte thừa sau phần tử cuối cùng")
            }
        }
    }
}

/// Where the input breaks which rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlvError {
    /// From the start of the outermost input.
    pub offset: usize,
    pub rule: TlvRule,
}

impl fmt::Display for TlvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}: {}", self.offset, self.rule)
    }
}

impl std::error::Error for TlvError {}

impl TlvError {
    /// The error in Vietnamese ([`fmt::Display`] is the English).
    pub fn vi(&self) -> String {
        format!("Byte {}: {}", self.offset, self.rule.vi())
    }

    /// Whether the input ends inside a tag or a length: more bytes may make it well formed.
    pub fn is_truncated(&self) -> bool {
        matches!(
            self.rule,
            TlvRule::EndOfData | TlvRule::TruncatedTag | TlvRule::TruncatedLength
        )
    }
}

/// A tag and a length: the header of a TLV, without its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub tag: Tag,
    /// The bytes of the tag and the length.
    pub header_len: usize,
    /// The bytes of the value.
    pub value_len: usize,
}

impl Header {
    /// Header and value together; `None` if that overflows.
    pub fn total_len(&self) -> Option<usize> {
        self.header_len.checked_add(self.value_len)
    }
}

/// Reads the tag and length at the start of `data`, whether or not the value follows: how
/// a file's length is learnt from its first bytes. When [`TlvError::is_truncated`], more
/// bytes are needed to know it.
pub fn read_header(data: &[u8]) -> Result<Header, TlvError> {
    parse_header(data, 0)
        .map(|(header, _)| header)
        .map_err(|(offset, rule)| TlvError { offset, rule })
}

/// The tag and length at `start` of `data`, and where the length starts; or where (from
/// the start of `data`) which rule is broken. The value is not looked at.
fn parse_header(data: &[u8], start: usize) -> Result<(Header, usize), (usize, TlvRule)> {
    let Some(&first) = data.get(start) else {
        return Err((start, TlvRule::EndOfData));
    };
    let mut tag = u32::from(first);
    let mut at = start + 1;
    if first & 0x1F == 0x1F {
        loop {
            let Some(&b) = data.get(at) else {
                return Err((at, TlvRule::TruncatedTag));
            };
            if at - start >= 3 {
                return Err((start, TlvRule::TagTooLong));
            }
            tag = (tag << 8) | u32::from(b);
            at += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let Some(&l) = data.get(at) else {
        return Err((at, TlvRule::TruncatedLength));
    };
    let length_at = at;
    at += 1;
    let value_len = match l {
        0x00..=0x7F => usize::from(l),
        0x80 => return Err((length_at, TlvRule::IndefiniteLength)),
        0x81..=0x84 => {
            let n = usize::from(l & 0x7F);
            let Some(bytes) = data.get(at..at + n) else {
                return Err((length_at, TlvRule::TruncatedLength));
            };
            at += n;
            let mut len: u64 = 0;
            for b in bytes {
                len = (len << 8) | u64::from(*b);
            }
            usize::try_from(len).unwrap_or(usize::MAX)
        }
        _ => return Err((length_at, TlvRule::LengthTooLong { bytes: l & 0x7F })),
    };
    let header = Header {
        tag: Tag(tag),
        header_len: at - start,
        value_len,
    };
    Ok((header, length_at))
}

/// Reads TLVs one after another from a byte string.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
    failed: bool,
}

impl<'a> Reader<'a> {
    /// Reads `data`, whose first byte is offset 0.
    pub fn new(data: &'a [u8]) -> Self {
        Reader::at(data, 0)
    }

    /// Reads `data`, whose first byte is at offset `base` of some outer input.
    pub fn at(data: &'a [u8], base: usize) -> Self {
        Reader {
            data,
            pos: 0,
            base,
            failed: false,
        }
    }

    /// The absolute offset of the next byte.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// What has not been read yet.
    pub fn remaining(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    fn error(&self, at: usize, rule: TlvRule) -> TlvError {
        TlvError {
            offset: self.base + at,
            rule,
        }
    }

    /// Reads the tag and length at `start` without moving; the value must be there too.
    fn header(&self, start: usize) -> Result<Header, TlvError> {
        let (header, length_at) =
            parse_header(self.data, start).map_err(|(at, rule)| self.error(at, rule))?;
        let available = self.data.len().saturating_sub(start + header.header_len);
        if header.value_len > available {
            return Err(self.error(
                length_at,
                TlvRule::ValueBeyondEnd {
                    length: header.value_len,
                    available,
                },
            ));
        }
        Ok(header)
    }

    /// The tag of the next TLV, if there is a well-formed one.
    pub fn peek_tag(&self) -> Option<Tag> {
        self.header(self.pos).ok().map(|h| h.tag)
    }

    /// Reads the next TLV. At the end of the input this is [`TlvRule::EndOfData`].
    pub fn read(&mut self) -> Result<Tlv<'a>, TlvError> {
        let start = self.pos;
        let Header {
            tag,
            header_len,
            value_len,
        } = self.header(start)?;
        let end = start + header_len + value_len;
        let (Some(value), Some(raw)) = (
            self.data.get(start + header_len..end),
            self.data.get(start..end),
        ) else {
            // `header` checked the bounds already.
            return Err(self.error(start, TlvRule::EndOfData));
        };
        self.pos = end;
        Ok(Tlv {
            tag,
            offset: self.base + start,
            header_len,
            value,
            raw,
        })
    }

    /// Reads the next TLV, which must have `tag`.
    pub fn expect(&mut self, tag: Tag) -> Result<Tlv<'a>, TlvError> {
        let at = self.pos;
        let tlv = self.read()?;
        if tlv.tag != tag {
            self.pos = at;
            return Err(self.error(
                at,
                TlvRule::UnexpectedTag {
                    expected: tag,
                    found: tlv.tag,
                },
            ));
        }
        Ok(tlv)
    }

    /// Reads the next TLV if it has `tag`; otherwise reads nothing.
    pub fn optional(&mut self, tag: Tag) -> Result<Option<Tlv<'a>>, TlvError> {
        if self.is_empty() || self.peek_tag() != Some(tag) {
            return Ok(None);
        }
        self.read().map(Some)
    }

    /// Checks that everything was read.
    pub fn finish(&self) -> Result<(), TlvError> {
        let count = self.data.len().saturating_sub(self.pos);
        if count > 0 {
            return Err(self.error(self.pos, TlvRule::TrailingBytes { count }));
        }
        Ok(())
    }

    /// Like [`Reader::finish`], but bytes that are all `00` or all `FF` (the padding some
    /// chips leave after a file's last TLV) are accepted.
    pub fn finish_allowing_padding(&self) -> Result<(), TlvError> {
        let rest = self.remaining();
        if rest.iter().all(|b| *b == 0x00) || rest.iter().all(|b| *b == 0xFF) {
            return Ok(());
        }
        self.finish()
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<Tlv<'a>, TlvError>;

    /// The TLVs up to the end of the input; after an error, nothing more.
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.is_empty() {
            return None;
        }
        let item = self.read();
        if item.is_err() {
            self.failed = true;
        }
        Some(item)
    }
}

/// Reads `data` as one TLV with `tag` (padding of `00` or `FF` may follow).
pub fn read_file(data: &[u8], tag: Tag) -> Result<Tlv<'_>, TlvError> {
    let mut reader = Reader::new(data);
    let tlv = reader.expect(tag)?;
    reader.finish_allowing_padding()?;
    Ok(tlv)
}

/// Encodes a length in the shortest form (for the test kit and for rebuilding headers).
pub fn encode_length(length: usize) -> Vec<u8> {
    if length < 0x80 {
        // Checked just above.
        return vec![length as u8];
    }
    let bytes = (length as u64).to_be_bytes();
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(7);
    let significant = bytes.get(start..).unwrap_or_default();
    let mut out = Vec::with_capacity(significant.len() + 1);
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
    out
}

/// Encodes one TLV.
pub fn encode(tag: Tag, value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_bytes();
    out.extend(encode_length(value.len()));
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::vi_check::assert_vi;
    use proptest::prelude::*;

    #[test]
    fn short_and_long_lengths_and_multi_byte_tags() {
        let data = [0x5F, 0x1F, 0x03, b'A', b'B', b'C'];
        let tlv = read_file(&data, Tag(0x5F1F)).unwrap();
        assert_eq!(tlv.value, b"ABC");
        assert_eq!(tlv.header_len, 3);
        assert!(!tlv.tag.is_constructed());
        assert_eq!(tlv.tag.class(), Class::Application);

        let mut long = vec![0x7F, 0x61, 0x82, 0x01, 0x00];
        long.extend(std::iter::repeat_n(0xAA, 256));
        let tlv = read_file(&long, Tag(0x7F61)).unwrap();
        assert_eq!(tlv.value.len(), 256);
        assert!(tlv.tag.is_constructed());
        assert_eq!(tlv.value_offset(), 5);

        // A three-byte tag.
        let data = [0x5F, 0x81, 0x01, 0x01, 0x00];
        let tlv = read_file(&data, Tag(0x5F8101)).unwrap();
        assert_eq!(tlv.value, [0]);
        assert_eq!(Tag(0x5F8101).to_string(), "5F8101");
        assert_eq!(Tag(0x30).to_string(), "30");
        assert_eq!(Tag(0x5F8101).to_bytes(), [0x5F, 0x81, 0x01]);

        // Four length bytes.
        let data = [0x04, 0x84, 0x00, 0x00, 0x00, 0x01, 0x07];
        assert_eq!(read_file(&data, Tag::OCTET_STRING).unwrap().value, [7]);
    }

    #[test]
    fn children_keep_absolute_offsets() {
        let data = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0x09];
        let outer = read_file(&data, Tag::SEQUENCE).unwrap();
        let mut inner = outer.children();
        let a = inner.expect(Tag::INTEGER).unwrap();
        assert_eq!((a.offset, a.value), (2, &[5u8][..]));
        let err = inner.expect(Tag::INTEGER).unwrap_err();
        assert_eq!(err.offset, 5);
        assert_eq!(
            err.rule,
            TlvRule::UnexpectedTag {
                expected: Tag::INTEGER,
                found: Tag::OCTET_STRING
            }
        );
        // A failed expect reads nothing.
        assert_eq!(inner.expect(Tag::OCTET_STRING).unwrap().value, [9]);
        inner.finish().unwrap();
        assert_eq!(inner.read().unwrap_err().rule, TlvRule::EndOfData);
    }

    #[test]
    fn each_rule_with_its_offset() {
        let seq = Tag::SEQUENCE;
        let oct = Tag::OCTET_STRING;
        let cases: &[(&[u8], Tag, usize, TlvRule)] = &[
            (&[], seq, 0, TlvRule::EndOfData),
            (&[0x5F], seq, 1, TlvRule::TruncatedTag),
            (&[0x5F, 0x81], seq, 2, TlvRule::TruncatedTag),
            (&[0x5F, 0x81, 0x81, 0x01, 0x00], seq, 0, TlvRule::TagTooLong),
            (&[0x30], seq, 1, TlvRule::TruncatedLength),
            (&[0x30, 0x82, 0x01], seq, 1, TlvRule::TruncatedLength),
            (&[0x30, 0x80, 0x00, 0x00], seq, 1, TlvRule::IndefiniteLength),
            (
                &[0x30, 0x85, 0, 0, 0, 0, 1],
                seq,
                1,
                TlvRule::LengthTooLong { bytes: 5 },
            ),
            (
                &[0x04, 0x03, 0x01],
                oct,
                1,
                TlvRule::ValueBeyondEnd {
                    length: 3,
                    available: 1,
                },
            ),
            (
                &[0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF],
                oct,
                1,
                TlvRule::ValueBeyondEnd {
                    length: 0xFFFF_FFFF,
                    available: 0,
                },
            ),
            (
                &[0x31, 0x00],
                seq,
                0,
                TlvRule::UnexpectedTag {
                    expected: Tag::SEQUENCE,
                    found: Tag::SET,
                },
            ),
            (
                &[0x30, 0x00, 0x01],
                seq,
                2,
                TlvRule::TrailingBytes { count: 1 },
            ),
        ];
        for (data, tag, offset, rule) in cases {
            let err = read_file(data, *tag).unwrap_err();
            assert_eq!((&err.rule, err.offset), (rule, *offset), "{data:02X?}");
            assert_vi(&err.to_string(), &err.vi());
        }
        // Padding after a file is tolerated, other bytes are not.
        assert!(read_file(&[0x30, 0x00, 0x00, 0x00], Tag::SEQUENCE).is_ok());
        assert!(read_file(&[0x30, 0x00, 0xFF], Tag::SEQUENCE).is_ok());
        assert!(read_file(&[0x30, 0x00, 0x00, 0xFF], Tag::SEQUENCE).is_err());
    }

    #[test]
    fn headers_without_their_values() {
        // EF.COM of Doc 9303 Part 11 D.4: 60 14 …, of which only four bytes are read first.
        assert_eq!(
            read_header(&[0x60, 0x14, 0x5F, 0x01]),
            Ok(Header {
                tag: Tag(0x60),
                header_len: 2,
                value_len: 0x14
            })
        );
        let long = read_header(&[0x77, 0x82, 0x01, 0x02]).unwrap();
        assert_eq!((long.header_len, long.value_len), (4, 0x102));
        assert_eq!(long.total_len(), Some(0x106));
        assert_eq!(read_header(&[0x5F, 0x1F, 0x03]).unwrap().tag, Tag(0x5F1F));
        let cases: &[(&[u8], usize, TlvRule, bool)] = &[
            (&[], 0, TlvRule::EndOfData, true),
            (&[0x61], 1, TlvRule::TruncatedLength, true),
            (&[0x7F], 1, TlvRule::TruncatedTag, true),
            (&[0x77, 0x82, 0x01], 1, TlvRule::TruncatedLength, true),
            (&[0x61, 0x80], 1, TlvRule::IndefiniteLength, false),
            (&[0x61, 0x85], 1, TlvRule::LengthTooLong { bytes: 5 }, false),
            (
                &[0x7F, 0x81, 0x82, 0x83, 0x01],
                0,
                TlvRule::TagTooLong,
                false,
            ),
        ];
        for (data, offset, rule, truncated) in cases {
            let err = read_header(data).unwrap_err();
            assert_eq!((&err.rule, err.offset), (rule, *offset), "{data:02X?}");
            assert_eq!(err.is_truncated(), *truncated, "{data:02X?}");
        }
    }

    #[test]
    fn the_data_objects_of_a_secure_messaging_response() {
        // Doc 9303 Part 11 D.4: DO'87', DO'99' and DO'8E' of a READ BINARY response.
        let data = [
            0x87, 0x09, 0x01, 0x9F, 0xF0, 0xEC, 0x34, 0xF9, 0x92, 0x26, 0x51, 0x99, 0x02, 0x90,
            0x00, 0x8E, 0x08, 0xAD, 0x55, 0xCC, 0x17, 0x14, 0x0B, 0x2D, 0xED,
        ];
        let all: Vec<Tlv<'_>> = Reader::new(&data).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            all.iter().map(|t| t.tag).collect::<Vec<_>>(),
            [Tag(0x87), Tag(0x99), Tag(0x8E)]
        );
        assert_eq!(all[1].value, [0x90, 0x00]);
        assert_eq!(all[1].raw, [0x99, 0x02, 0x90, 0x00]);
        assert_eq!(
            Reader::new(&[0x99, 0x02, 0x90]).next(),
            Some(Err(TlvError {
                offset: 1,
                rule: TlvRule::ValueBeyondEnd {
                    length: 2,
                    available: 1
                }
            }))
        );
        assert_eq!(Reader::new(&[]).next(), None);
    }

    #[test]
    fn the_iterator_stops_after_an_error() {
        let data = [0x01, 0x01, 0xFF, 0x04, 0x05, 0x00];
        let items: Vec<_> = Reader::new(&data).collect();
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        assert!(items[1].is_err());
    }

    #[test]
    fn encoding_round_trips() {
        for len in [0usize, 1, 127, 128, 255, 256, 65_535, 65_536, 1 << 24] {
            let value = vec![0x5A; len];
            let raw = encode(Tag(0x5F2E), &value);
            let tlv = read_file(&raw, Tag(0x5F2E)).unwrap();
            assert_eq!(tlv.value.len(), len);
        }
        assert_eq!(encode_length(0x7F), [0x7F]);
        assert_eq!(encode_length(0x80), [0x81, 0x80]);
        assert_eq!(encode_length(0x1234), [0x82, 0x12, 0x34]);
        assert_eq!(encode(Tag(0x97), &[0x04]), [0x97, 0x01, 0x04]);
        assert_eq!(Tag::context(0, true), Tag(0xA0));
        assert_eq!(Tag::context(1, false), Tag(0x81));
    }

    fn walk(reader: Reader<'_>, depth: usize) {
        for item in reader {
            let Ok(tlv) = item else { return };
            assert_eq!(tlv.raw.len(), tlv.header_len + tlv.value.len());
            if depth < 16 && tlv.tag.is_constructed() {
                walk(tlv.children(), depth + 1);
            }
        }
    }

    proptest! {
        #[test]
        fn never_panics(data in prop::collection::vec(any::<u8>(), 0..300)) {
            walk(Reader::new(&data), 0);
            let _ = read_file(&data, Tag::SEQUENCE);
            let mut r = Reader::new(&data);
            let _ = r.peek_tag();
            let _ = r.optional(Tag(0x5F1F));
            let _ = r.finish_allowing_padding();
            // A header read alone is the one the reader finds, value or not.
            if let (Ok(h), Some(Ok(tlv))) = (read_header(&data), Reader::new(&data).next()) {
                prop_assert_eq!((h.tag, h.header_len, h.value_len), (tlv.tag, tlv.header_len, tlv.value.len()));
            }
        }

        #[test]
        fn never_panics_on_tlv_shaped_bytes(
            parts in prop::collection::vec(
                (prop::sample::select(vec![0x30u8, 0x31, 0x5F, 0x7F, 0x04, 0xA0, 0x1F]),
                 prop::sample::select(vec![0x00u8, 0x01, 0x7F, 0x80, 0x81, 0x82, 0x84, 0x85, 0xFF]),
                 any::<u8>()),
                0..40)
        ) {
            let data: Vec<u8> = parts.into_iter().flat_map(|(a, b, c)| [a, b, c]).collect();
            walk(Reader::new(&data), 0);
        }

        #[test]
        fn every_error_has_its_vietnamese(data in prop::collection::vec(any::<u8>(), 0..12)) {
            if let Err(e) = read_file(&data, Tag::SEQUENCE) {
                assert_vi(&e.to_string(), &e.vi());
            }
        }
    }
}
