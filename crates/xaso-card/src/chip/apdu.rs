//! Command and response APDUs (ISO/IEC 7816-4, section 5) and the transport that carries them
//! to a card: [`CardTransport`]. A PC/SC reader will implement it behind a cargo feature; the
//! [`crate::chip::simulator::SimulatedCard`] implements it for tests.

use std::fmt;

/// Status words the chip protocol meets (ISO/IEC 7816-4, 5.6).
pub mod sw {
    pub const OK: u16 = 0x9000;
    /// End of file reached before reading the requested number of bytes.
    pub const END_OF_FILE: u16 = 0x6282;
    /// Verification failed: in BAC, the card does not accept the terminal's cryptogram.
    pub const AUTHENTICATION_FAILED: u16 = 0x6300;
    pub const WRONG_LENGTH: u16 = 0x6700;
    pub const SECURITY_STATUS_NOT_SATISFIED: u16 = 0x6982;
    pub const CONDITIONS_NOT_SATISFIED: u16 = 0x6985;
    /// No current elementary file.
    pub const COMMAND_NOT_ALLOWED: u16 = 0x6986;
    /// Expected secure-messaging data objects missing.
    pub const SM_OBJECTS_MISSING: u16 = 0x6987;
    /// Incorrect secure-messaging data objects (a wrong MAC among them).
    pub const SM_OBJECTS_INCORRECT: u16 = 0x6988;
    /// Incorrect parameters in the data field (a malformed PACE or chip authentication
    /// object).
    pub const WRONG_DATA: u16 = 0x6A80;
    pub const FILE_NOT_FOUND: u16 = 0x6A82;
    pub const WRONG_PARAMETERS: u16 = 0x6B00;
    pub const INS_NOT_SUPPORTED: u16 = 0x6D00;
    pub const CLA_NOT_SUPPORTED: u16 = 0x6E00;
}

/// What a status word means, in English and Vietnamese, for error messages.
pub fn status_meaning(status: u16) -> (&'static str, &'static str) {
    match status {
        sw::OK => ("success", "thành công"),
        sw::END_OF_FILE => ("end of file reached", "đã hết tệp"),
        sw::AUTHENTICATION_FAILED => ("authentication failed", "xác thực thất bại"),
        sw::WRONG_LENGTH => ("wrong length", "sai độ dài"),
        sw::SECURITY_STATUS_NOT_SATISFIED => (
            "security status not satisfied",
            "chưa đạt điều kiện bảo mật",
        ),
        sw::CONDITIONS_NOT_SATISFIED => (
            "conditions of use not satisfied",
            "chưa đủ điều kiện sử dụng",
        ),
        sw::COMMAND_NOT_ALLOWED => ("command not allowed", "lệnh không được phép"),
        sw::SM_OBJECTS_MISSING => (
            "secure messaging data objects missing",
            "thiếu đối tượng dữ liệu bảo mật",
        ),
        sw::SM_OBJECTS_INCORRECT => (
            "incorrect secure messaging data objects",
            "đối tượng dữ liệu bảo mật không đúng",
        ),
        sw::WRONG_DATA => (
            "incorrect data in the command",
            "dữ liệu trong lệnh không đúng",
        ),
        sw::FILE_NOT_FOUND => ("file not found", "không tìm thấy tệp"),
        sw::WRONG_PARAMETERS => ("wrong parameters", "sai tham số"),
        sw::INS_NOT_SUPPORTED => ("instruction not supported", "lệnh không được hỗ trợ"),
        sw::CLA_NOT_SUPPORTED => ("class not supported", "lớp lệnh không được hỗ trợ"),
        _ => ("unexpected status", "mã trạng thái không mong đợi"),
    }
}

/// A command to the card. `le` is the number of bytes expected back (1–65,536; 256 is
/// written `00` in a short APDU), `None` for none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandApdu {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data: Vec<u8>,
    pub le: Option<u32>,
}

/// Why bytes are not an APDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApduError {
    /// A command has at least four bytes (the header), a response at least two (the status).
    TooShort { got: usize },
    /// The length fields disagree with the number of bytes.
    LengthMismatch { got: usize },
}

impl fmt::Display for ApduError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApduError::TooShort { got } => write!(f, "an APDU of {got} bytes is too short"),
            ApduError::LengthMismatch { got } => write!(
                f,
                "the length fields of an APDU of {got} bytes do not match its size"
            ),
        }
    }
}

impl std::error::Error for ApduError {}

impl ApduError {
    /// The rule in Vietnamese.
    pub fn vi(&self) -> String {
        match self {
            ApduError::TooShort { got } => format!("Gói APDU {got} byte quá ngắn"),
            ApduError::LengthMismatch { got } => {
                format!("Các trường độ dài của gói APDU {got} byte không khớp với kích thước")
            }
        }
    }
}

impl CommandApdu {
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> CommandApdu {
        CommandApdu {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }

    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> CommandApdu {
        self.data = data.into();
        self
    }

    pub fn with_le(mut self, le: u32) -> CommandApdu {
        self.le = Some(le);
        self
    }

    /// SELECT an application by its identifier, no answer data (P2 = 0C).
    pub fn select_application(aid: &[u8]) -> CommandApdu {
        CommandApdu::new(0x00, 0xA4, 0x04, 0x0C).with_data(aid)
    }

    /// SELECT an elementary file by its file identifier, no answer data.
    pub fn select_file(fid: u16) -> CommandApdu {
        CommandApdu::new(0x00, 0xA4, 0x02, 0x0C).with_data(fid.to_be_bytes())
    }

    /// READ BINARY from the current file at `offset` (at most 0x7FFF), `len` bytes (1–256).
    pub fn read_binary(offset: u16, len: u32) -> CommandApdu {
        let [p1, p2] = (offset & 0x7FFF).to_be_bytes();
        CommandApdu::new(0x00, 0xB0, p1, p2).with_le(len)
    }

    /// GET CHALLENGE for eight bytes.
    pub fn get_challenge() -> CommandApdu {
        CommandApdu::new(0x00, 0x84, 0x00, 0x00).with_le(8)
    }

    /// EXTERNAL AUTHENTICATE with BAC's cryptogram, expecting the card's (40 bytes).
    pub fn external_authenticate(data: &[u8]) -> CommandApdu {
        CommandApdu::new(0x00, 0x82, 0x00, 0x00)
            .with_data(data)
            .with_le(40)
    }

    /// The bytes: a short APDU when the data has at most 255 bytes and `le` is at most 256,
    /// an extended one otherwise.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![self.cla, self.ins, self.p1, self.p2];
        let le = self.le.map(|l| l.clamp(1, 65_536));
        let short = self.data.len() <= 255 && le.is_none_or(|l| l <= 256);
        if short {
            if !self.data.is_empty() {
                out.push(self.data.len() as u8);
                out.extend_from_slice(&self.data);
            }
            if let Some(l) = le {
                out.push((l % 256) as u8);
            }
        } else {
            out.push(0);
            let data_len = self.data.len().min(65_535);
            if data_len > 0 {
                out.extend_from_slice(&(data_len as u16).to_be_bytes());
                out.extend_from_slice(&self.data[..data_len]);
            }
            if let Some(l) = le {
                out.extend_from_slice(&((l % 65_536) as u16).to_be_bytes());
            }
        }
        out
    }

    /// Reads a command (cases 1–4, short or extended).
    pub fn parse(bytes: &[u8]) -> Result<CommandApdu, ApduError> {
        let got = bytes.len();
        let (header, body) = match bytes {
            [cla, ins, p1, p2, body @ ..] => (CommandApdu::new(*cla, *ins, *p1, *p2), body),
            _ => return Err(ApduError::TooShort { got }),
        };
        let mismatch = ApduError::LengthMismatch { got };
        let short_le = |b: u8| if b == 0 { 256 } else { u32::from(b) };
        let ext_le = |hi: u8, lo: u8| match u32::from(u16::from_be_bytes([hi, lo])) {
            0 => 65_536,
            n => n,
        };
        match body {
            [] => Ok(header),
            [le] => Ok(header.with_le(short_le(*le))),
            [0, rest @ ..] if !rest.is_empty() => match rest {
                [hi, lo] => Ok(header.with_le(ext_le(*hi, *lo))),
                [hi, lo, tail @ ..] => {
                    let lc = usize::from(u16::from_be_bytes([*hi, *lo]));
                    if lc == 0 {
                        return Err(mismatch);
                    }
                    match tail.len().checked_sub(lc) {
                        Some(0) => Ok(header.with_data(tail)),
                        Some(2) => Ok(header
                            .with_data(tail.get(..lc).unwrap_or_default())
                            .with_le(ext_le(tail[lc], tail[lc + 1]))),
                        _ => Err(mismatch),
                    }
                }
                _ => Err(mismatch),
            },
            [lc, tail @ ..] => {
                let lc = usize::from(*lc);
                match tail.len().checked_sub(lc) {
                    Some(0) => Ok(header.with_data(tail)),
                    Some(1) => Ok(header
                        .with_data(tail.get(..lc).unwrap_or_default())
                        .with_le(short_le(tail[lc]))),
                    _ => Err(mismatch),
                }
            }
        }
    }
}

/// The card's answer: data and status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseApdu {
    pub data: Vec<u8>,
    pub sw: u16,
}

impl ResponseApdu {
    pub fn new(data: impl Into<Vec<u8>>, sw: u16) -> ResponseApdu {
        ResponseApdu {
            data: data.into(),
            sw,
        }
    }

    /// Splits the last two bytes (the status word) from the data.
    pub fn parse(bytes: &[u8]) -> Result<ResponseApdu, ApduError> {
        match bytes {
            [data @ .., sw1, sw2] => Ok(ResponseApdu::new(data, u16::from_be_bytes([*sw1, *sw2]))),
            _ => Err(ApduError::TooShort { got: bytes.len() }),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.data.clone();
        out.extend_from_slice(&self.sw.to_be_bytes());
        out
    }

    /// Status 9000.
    pub fn is_ok(&self) -> bool {
        self.sw == sw::OK
    }
}

/// The link failed: no card, the card left the field, the reader is gone. Made by the
/// transport, which says what happened in `message` (English).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    pub message: String,
}

impl TransportError {
    pub fn new(message: impl Into<String>) -> TransportError {
        TransportError {
            message: message.into(),
        }
    }

    /// In Vietnamese, the transport's own message quoted.
    pub fn vi(&self) -> String {
        format!(
            "Mất kết nối với thẻ qua đầu đọc ({}); hãy đặt lại thẻ lên đầu đọc",
            self.message
        )
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the card reader failed: {}", self.message)
    }
}

impl std::error::Error for TransportError {}

/// Something that sends a command APDU to a card and returns its response APDU (data and
/// status word), such as a PC/SC reader or [`crate::chip::simulator::SimulatedCard`].
pub trait CardTransport {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;
}

impl<T: CardTransport + ?Sized> CardTransport for &mut T {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command)
    }
}

impl<T: CardTransport + ?Sized> CardTransport for Box<T> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::chip::test_hex::h;
    use proptest::prelude::*;

    #[test]
    fn the_commands_of_the_worked_example() {
        assert_eq!(CommandApdu::get_challenge().to_bytes(), h("0084000008"));
        assert_eq!(
            CommandApdu::select_file(0x011E).to_bytes(),
            h("00A4020C02011E")
        );
        assert_eq!(CommandApdu::read_binary(0, 4).to_bytes(), h("00B0000004"));
        assert_eq!(
            CommandApdu::read_binary(4, 0x12).to_bytes(),
            h("00B0000412")
        );
        assert_eq!(
            CommandApdu::select_application(&h("A0000002471001")).to_bytes(),
            h("00A4040C07A0000002471001")
        );
        assert_eq!(CommandApdu::read_binary(0, 256).to_bytes(), h("00B0000000"));
    }

    #[test]
    fn parses_every_case() {
        let c = CommandApdu::parse(&h("00A4020C02011E")).unwrap();
        assert_eq!((c.ins, c.data.clone(), c.le), (0xA4, h("011E"), None));
        let c = CommandApdu::parse(&h("00B0000000")).unwrap();
        assert_eq!(c.le, Some(256));
        let c = CommandApdu::parse(&h("0CB000000D9701048E08ED6705417E96BA5500")).unwrap();
        assert_eq!((c.data.len(), c.le), (13, Some(256)));
        let c = CommandApdu::parse(&h("00B0000000 0000")).unwrap();
        assert_eq!(c.le, Some(65_536));
        let c = CommandApdu::parse(&h("00D60000 000003 010203 0100")).unwrap();
        assert_eq!((c.data.clone(), c.le), (h("010203"), Some(256)));
        assert_eq!(
            CommandApdu::parse(&h("00A4")),
            Err(ApduError::TooShort { got: 2 })
        );
        assert_eq!(
            CommandApdu::parse(&h("00A4020C05011E")),
            Err(ApduError::LengthMismatch { got: 7 })
        );
        let r = ResponseApdu::parse(&h("60145F019000")).unwrap();
        assert_eq!((r.data, r.sw), (h("60145F01"), 0x9000));
        assert!(ResponseApdu::parse(&[0x90]).is_err());
    }

    proptest! {
        #[test]
        fn parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = CommandApdu::parse(&bytes);
            let _ = ResponseApdu::parse(&bytes);
        }

        #[test]
        fn commands_read_back(
            header in any::<[u8; 4]>(),
            data in prop::collection::vec(any::<u8>(), 0..300),
            le in prop::option::of(1u32..=65_536),
        ) {
            let c = CommandApdu { cla: header[0], ins: header[1], p1: header[2], p2: header[3], data, le };
            prop_assert_eq!(CommandApdu::parse(&c.to_bytes()).unwrap(), c);
        }
    }
}
