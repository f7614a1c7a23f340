//! The little BER-TLV that the chip's protocol needs (ISO/IEC 7816-4, 5.2; Doc 9303 Part 10,
//! 3.x): the header of an elementary file (to learn its length from its first bytes) and the
//! data objects of a secure-messaging response.

use std::fmt;

/// A tag and a length: the header of a data object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlvHeader {
    /// The tag's bytes as a big-endian number (`0x61`, `0x5F1F`).
    pub tag: u32,
    /// Bytes taken by the tag and the length.
    pub header_len: usize,
    /// Bytes of the value.
    pub value_len: usize,
}

impl TlvHeader {
    /// Header and value together; `None` if that overflows.
    pub fn total_len(&self) -> Option<usize> {
        self.header_len.checked_add(self.value_len)
    }
}

/// One data object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u32,
    pub value: &'a [u8],
    /// Tag, length and value as they were encoded.
    pub raw: &'a [u8],
}

/// Why bytes are not BER-TLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlvError {
    /// The bytes end inside the header or the value; `offset` is where the object starts.
    Truncated { offset: usize },
    /// A tag longer than four bytes.
    TagTooLong { offset: usize },
    /// The indefinite length (`80`), which DER and the LDS do not use.
    IndefiniteLength { offset: usize },
    /// A length of more than four bytes.
    LengthTooLong { offset: usize },
}

impl fmt::Display for TlvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlvError::Truncated { offset } => {
                write!(f, "the data object at byte {offset} is cut short")
            }
            TlvError::TagTooLong { offset } => {
                write!(f, "the tag at byte {offset} is longer than four bytes")
            }
            TlvError::IndefiniteLength { offset } => write!(
                f,
                "the data object at byte {offset} has an indefinite length, which is not allowed"
            ),
            TlvError::LengthTooLong { offset } => {
                write!(f, "the length at byte {offset} takes more than four bytes")
            }
        }
    }
}

impl std::error::Error for TlvError {}

impl TlvError {
    /// The rule in Vietnamese.
    pub fn vi(&self) -> String {
        match self {
            TlvError::Truncated { offset } => {
                format!("Đối tượng dữ liệu tại byte {offset} bị cắt cụt")
            }
            TlvError::TagTooLong { offset } => {
                format!("Thẻ (tag) tại byte {offset} dài hơn bốn byte")
            }
            TlvError::IndefiniteLength { offset } => format!(
                "Đối tượng dữ liệu tại byte {offset} có độ dài không xác định, điều không được phép"
            ),
            TlvError::LengthTooLong { offset } => {
                format!("Trường độ dài tại byte {offset} dài hơn bốn byte")
            }
        }
    }
}

/// Reads the header at the start of `bytes`. [`TlvError::Truncated`] means that more bytes
/// are needed to know it.
pub fn read_header(bytes: &[u8]) -> Result<TlvHeader, TlvError> {
    header_at(bytes, 0)
}

fn header_at(all: &[u8], offset: usize) -> Result<TlvHeader, TlvError> {
    let bytes = all.get(offset..).unwrap_or_default();
    let truncated = TlvError::Truncated { offset };
    let first = *bytes.first().ok_or(truncated)?;
    let mut tag = u32::from(first);
    let mut i = 1;
    if first & 0x1F == 0x1F {
        loop {
            let b = *bytes.get(i).ok_or(truncated)?;
            i += 1;
            if i > 4 {
                return Err(TlvError::TagTooLong { offset });
            }
            tag = (tag << 8) | u32::from(b);
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let len_byte = *bytes.get(i).ok_or(truncated)?;
    i += 1;
    let value_len = match len_byte {
        0..=0x7F => usize::from(len_byte),
        0x80 => return Err(TlvError::IndefiniteLength { offset }),
        0x81..=0x84 => {
            let n = usize::from(len_byte & 0x7F);
            let len_bytes = bytes.get(i..i + n).ok_or(truncated)?;
            i += n;
            len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        }
        _ => return Err(TlvError::LengthTooLong { offset }),
    };
    Ok(TlvHeader {
        tag,
        header_len: i,
        value_len,
    })
}

/// Reads a sequence of data objects that fills `bytes` exactly.
pub fn parse_all(bytes: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    let mut out = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        let header = header_at(bytes, offset)?;
        let truncated = TlvError::Truncated { offset };
        let value_start = offset.checked_add(header.header_len).ok_or(truncated)?;
        let end = value_start.checked_add(header.value_len).ok_or(truncated)?;
        let value = bytes.get(value_start..end).ok_or(truncated)?;
        let raw = bytes.get(offset..end).ok_or(truncated)?;
        out.push(Tlv {
            tag: header.tag,
            value,
            raw,
        });
        offset = end;
    }
    Ok(out)
}

/// Encodes a length in the shortest BER form.
pub fn encode_len(len: usize) -> Vec<u8> {
    if len < 0x80 {
        return vec![len as u8];
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let mut out = vec![0x80 | (bytes.len() - skip) as u8];
    out.extend_from_slice(&bytes[skip..]);
    out
}

/// Encodes a data object with a one-byte tag.
pub fn encode(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 4);
    out.push(tag);
    out.extend(encode_len(value.len()));
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::chip::test_hex::h;
    use proptest::prelude::*;

    #[test]
    fn headers() {
        // EF.COM of Doc 9303 Part 11 D.4: 60 14 …
        assert_eq!(
            read_header(&h("60145F01")),
            Ok(TlvHeader {
                tag: 0x60,
                header_len: 2,
                value_len: 0x14
            })
        );
        assert_eq!(
            read_header(&h("7782 0102")).unwrap(),
            TlvHeader {
                tag: 0x77,
                header_len: 4,
                value_len: 0x102
            }
        );
        assert_eq!(read_header(&h("5F1F03")).unwrap().tag, 0x5F1F);
        assert_eq!(
            read_header(&h("7782 01")),
            Err(TlvError::Truncated { offset: 0 })
        );
        assert_eq!(
            read_header(&h("61")),
            Err(TlvError::Truncated { offset: 0 })
        );
        assert_eq!(
            read_header(&h("6180")),
            Err(TlvError::IndefiniteLength { offset: 0 })
        );
        assert_eq!(
            read_header(&h("6185")),
            Err(TlvError::LengthTooLong { offset: 0 })
        );
        assert_eq!(
            read_header(&h("7F818283 01")),
            Err(TlvError::TagTooLong { offset: 0 })
        );
    }

    #[test]
    fn sequences() {
        let b = h("8709019FF0EC34F9922651 99029000 8E08AD55CC17140B2DED");
        let all = parse_all(&b).unwrap();
        assert_eq!(
            all.iter().map(|t| t.tag).collect::<Vec<_>>(),
            [0x87, 0x99, 0x8E]
        );
        assert_eq!(all[1].value, &h("9000")[..]);
        assert_eq!(all[1].raw, &h("99029000")[..]);
        assert_eq!(
            parse_all(&h("990290")),
            Err(TlvError::Truncated { offset: 0 })
        );
        assert_eq!(parse_all(&[]), Ok(vec![]));
    }

    #[test]
    fn encoding() {
        assert_eq!(encode_len(0x7F), [0x7F]);
        assert_eq!(encode_len(0x80), [0x81, 0x80]);
        assert_eq!(encode_len(0x1234), [0x82, 0x12, 0x34]);
        assert_eq!(encode(0x97, &[0x04]), [0x97, 0x01, 0x04]);
    }

    proptest! {
        #[test]
        fn never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = read_header(&bytes);
            let _ = parse_all(&bytes);
        }

        #[test]
        fn encoded_objects_read_back(tag in 0u8..0x1F, value in prop::collection::vec(any::<u8>(), 0..300)) {
            let e = encode(tag, &value);
            let all = parse_all(&e).unwrap();
            prop_assert_eq!(all.len(), 1);
            prop_assert_eq!(all[0].value, &value[..]);
        }
    }
}
