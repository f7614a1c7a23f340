//! The chip of the ID card: the MRZ, Basic Access Control and secure messaging (ICAO Doc 9303
//! Parts 3, 5 and 11).
//!
//! - [`mrz`]: the TD1 machine-readable zone on the back of the card, every check digit
//!   verified, and the MRZ information that BAC's keys come from.
//! - [`bac`]: the document basic access keys, the mutual authentication and the session keys.
//! - [`sm`]: secure messaging (3DES and retail MAC) for the commands after BAC.
//! - [`apdu`]: command and response APDUs and [`CardTransport`], what a card reader
//!   implements (PC/SC comes later, behind a cargo feature).
//! - [`reader`]: [`ChipReader`], which selects the eMRTD application, runs BAC and reads
//!   elementary files by their identifiers under secure messaging.
//! - [`simulator`]: [`simulator::SimulatedCard`], a card in memory for tests and demos.
//! - `pcsc` (cargo feature `pcsc`): PC/SC card readers as a [`CardTransport`], and
//!   `list_readers`.
//! - [`crypto`]: the primitives (BER-TLV is [`crate::tlv`], shared with the LDS).
//!
//! - [`pace`]: PACE with the MRZ as password (ECDH generic mapping, AES-128, P-256), tried
//!   when EF.CardAccess offers it; BAC otherwise.
//!
//! - [`authenticity`]: active authentication (DG15) and chip authentication (DG14), which
//!   tell a genuine chip from a copy of its files.
//!
//! Nothing here panics on any input from a card or a scanner.

pub mod apdu;
pub mod authenticity;
pub mod bac;
pub mod crypto;
pub mod mrz;
pub mod pace;
#[cfg(feature = "pcsc")]
pub mod pcsc;
pub mod reader;
pub mod simulator;
pub mod sm;

use std::fmt;

pub use apdu::{CardTransport, TransportError};
pub use reader::ChipReader;

use apdu::{status_meaning, ApduError, CommandApdu, ResponseApdu};
use authenticity::AuthenticityError;
use bac::BacError;
use pace::PaceError;
use sm::SmError;

use crate::tlv::TlvError;

/// A step of reading the chip, as errors name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    SelectApplication,
    GetChallenge,
    ExternalAuthenticate,
    /// SELECT of the file with this identifier.
    SelectFile(u16),
    /// READ BINARY of the file with this identifier.
    ReadBinary(u16),
    /// PACE: MSE:Set AT.
    PaceSetAt,
    /// PACE: GENERAL AUTHENTICATE for the encrypted nonce.
    PaceNonce,
    /// PACE: GENERAL AUTHENTICATE exchanging the mapping keys.
    PaceMapping,
    /// PACE: GENERAL AUTHENTICATE exchanging the ephemeral keys.
    PaceKeyAgreement,
    /// PACE: GENERAL AUTHENTICATE exchanging the authentication tokens.
    PaceMutualAuthentication,
    /// INTERNAL AUTHENTICATE with the challenge of active authentication.
    ActiveAuthentication,
    /// Chip authentication (MSE:Set AT, GENERAL AUTHENTICATE, the first command under the
    /// new keys).
    ChipAuthentication,
}

impl Step {
    pub fn en(self) -> String {
        match self {
            Step::SelectApplication => "selecting the eMRTD application".to_owned(),
            Step::GetChallenge => "GET CHALLENGE".to_owned(),
            Step::ExternalAuthenticate => "EXTERNAL AUTHENTICATE".to_owned(),
            Step::SelectFile(fid) => format!("selecting file {fid:04X}"),
            Step::ReadBinary(fid) => format!("reading file {fid:04X}"),
            Step::PaceSetAt => "PACE, choosing the protocol (MSE:Set AT)".to_owned(),
            Step::PaceNonce => "PACE, step 1: the encrypted nonce".to_owned(),
            Step::PaceMapping => "PACE, step 2: mapping the nonce".to_owned(),
            Step::PaceKeyAgreement => "PACE, step 3: key agreement".to_owned(),
            Step::PaceMutualAuthentication => {
                "PACE, step 4: mutual authentication (tokens)".to_owned()
            }
            Step::ActiveAuthentication => "active authentication (DG15)".to_owned(),
            Step::ChipAuthentication => "chip authentication (DG14)".to_owned(),
        }
    }

    pub fn vi(self) -> String {
        match self {
            Step::SelectApplication => "chọn ứng dụng hộ chiếu điện tử (eMRTD)".to_owned(),
            Step::GetChallenge => "lấy số thách thức (GET CHALLENGE)".to_owned(),
            Step::ExternalAuthenticate => "xác thực (EXTERNAL AUTHENTICATE)".to_owned(),
            Step::SelectFile(fid) => format!("chọn tệp {fid:04X}"),
            Step::ReadBinary(fid) => format!("đọc tệp {fid:04X}"),
            Step::PaceSetAt => "PACE, chọn giao thức (MSE:Set AT)".to_owned(),
            Step::PaceNonce => "PACE, bước 1: số ngẫu nhiên đã mã hoá".to_owned(),
            Step::PaceMapping => "PACE, bước 2: ánh xạ số ngẫu nhiên".to_owned(),
            Step::PaceKeyAgreement => "PACE, bước 3: thoả thuận khoá".to_owned(),
            Step::PaceMutualAuthentication => {
                "PACE, bước 4: xác thực lẫn nhau (mã xác thực)".to_owned()
            }
            Step::ActiveAuthentication => "xác thực chủ động (DG15)".to_owned(),
            Step::ChipAuthentication => "xác thực chip (DG14)".to_owned(),
        }
    }
}

/// Why reading the chip failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChipError {
    /// The link to the card failed.
    Transport(TransportError),
    /// The card answered with a status other than success.
    Status {
        step: Step,
        sw: u16,
    },
    /// The card refused BAC's cryptogram: the keys from the MRZ are not the card's (a misread
    /// or mistyped document number, date of birth or date of expiry).
    BacRefused {
        sw: u16,
    },
    /// The card's BAC answer did not verify.
    Bac(BacError),
    /// The card refused a PACE step; at mutual authentication this means the MRZ is not the
    /// card's.
    PaceRefused {
        step: Step,
        sw: u16,
    },
    /// The card's PACE answer did not verify.
    Pace {
        step: Step,
        error: PaceError,
    },
    /// Active or chip authentication: the chip is not the holder of the key in its signed
    /// data.
    Authenticity {
        step: Step,
        error: AuthenticityError,
    },
    /// A secure-messaging response did not verify or could not be opened.
    Sm {
        step: Step,
        error: SmError,
    },
    /// An answer of the wrong shape.
    Malformed {
        step: Step,
        what: &'static str,
    },
    /// A response APDU shorter than its status word.
    Apdu {
        step: Step,
        error: ApduError,
    },
    FileNotFound {
        fid: u16,
    },
    /// The file's header announces more bytes than READ BINARY with a 15-bit offset reaches.
    FileTooLarge {
        fid: u16,
        len: usize,
    },
    /// The file does not start with a BER-TLV header.
    FileHeader {
        fid: u16,
        error: TlvError,
    },
    /// The system's random source failed.
    Random,
}

impl fmt::Display for ChipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChipError::Transport(e) => write!(f, "{e}"),
            ChipError::Status { step, sw } => write!(
                f,
                "{}: the card answered {sw:04X} ({})",
                step.en(),
                status_meaning(*sw).0
            ),
            ChipError::BacRefused { sw } => write!(
                f,
                "Basic Access Control failed: the card refused the key derived from the MRZ \
                 (status {sw:04X}, {}); check the document number, the date of birth and the \
                 date of expiry",
                status_meaning(*sw).0
            ),
            ChipError::Bac(e) => write!(f, "{e}"),
            ChipError::PaceRefused { step, sw } => {
                write!(
                    f,
                    "PACE failed ({}): the card refused (status {sw:04X}, {})",
                    step.en(),
                    status_meaning(*sw).0
                )?;
                if *step == Step::PaceMutualAuthentication {
                    f.write_str(
                        "; the key derived from the MRZ is not the card's: check the document \
                         number, the date of birth and the date of expiry",
                    )?;
                }
                Ok(())
            }
            ChipError::Pace { step, error } => write!(f, "PACE failed ({}): {error}", step.en()),
            ChipError::Authenticity { step, error } => {
                write!(f, "{} failed: {error}", step.en())
            }
            ChipError::Sm { step, error } => write!(f, "{}: {error}", step.en()),
            ChipError::Malformed { step, what } => {
                write!(f, "{}: the card sent {what}", step.en())
            }
            ChipError::Apdu { step, error } => write!(f, "{}: {error}", step.en()),
            ChipError::FileNotFound { fid } => {
                write!(f, "the chip has no file {fid:04X}")
            }
            ChipError::FileTooLarge { fid, len } => write!(
                f,
                "file {fid:04X} announces {len} bytes, more than 32,768 (reading beyond needs \
                 READ BINARY with an odd instruction, not supported)"
            ),
            ChipError::FileHeader { fid, error } => {
                write!(
                    f,
                    "file {fid:04X} does not start with a TLV header: {error}"
                )
            }
            ChipError::Random => f.write_str("the system's random number source failed"),
        }
    }
}

impl std::error::Error for ChipError {}

impl ChipError {
    /// The error in Vietnamese, for the officer pages.
    pub fn vi(&self) -> String {
        match self {
            ChipError::Transport(e) => e.vi(),
            ChipError::Status { step, sw } => format!(
                "Khi {}: thẻ trả lời {sw:04X} ({})",
                step.vi(),
                status_meaning(*sw).1
            ),
            ChipError::BacRefused { sw } => format!(
                "Kiểm soát truy cập cơ bản (BAC) thất bại: thẻ từ chối khoá tính từ vùng MRZ \
                 (mã trạng thái {sw:04X}, {}); hãy kiểm tra số giấy tờ, ngày sinh và ngày hết hạn",
                status_meaning(*sw).1
            ),
            ChipError::Bac(e) => e.vi(),
            ChipError::PaceRefused { step, sw } => {
                let mut m = format!(
                    "PACE thất bại ({}): thẻ từ chối (mã trạng thái {sw:04X}, {})",
                    step.vi(),
                    status_meaning(*sw).1
                );
                if *step == Step::PaceMutualAuthentication {
                    m.push_str(
                        "; khoá tính từ vùng MRZ không phải của thẻ: hãy kiểm tra số giấy tờ, \
                         ngày sinh và ngày hết hạn",
                    );
                }
                m
            }
            ChipError::Pace { step, error } => {
                format!("PACE thất bại ({}): {}", step.vi(), error.vi())
            }
            ChipError::Authenticity { step, error } => {
                format!("{} thất bại: {}", capitalize(&step.vi()), error.vi())
            }
            ChipError::Sm { step, error } => format!("Khi {}: {}", step.vi(), error.vi()),
            ChipError::Malformed { step, what } => {
                format!("Khi {}: thẻ gửi dữ liệu sai định dạng ({what})", step.vi())
            }
            ChipError::Apdu { step, error } => format!("Khi {}: {}", step.vi(), error.vi()),
            ChipError::FileNotFound { fid } => format!("Chip không có tệp {fid:04X}"),
            ChipError::FileTooLarge { fid, len } => format!(
                "Tệp {fid:04X} khai báo {len} byte, vượt quá 32.768 byte (chưa hỗ trợ đọc xa hơn)"
            ),
            ChipError::FileHeader { fid, error } => format!(
                "Tệp {fid:04X} không bắt đầu bằng phần đầu TLV: {}",
                error.vi()
            ),
            ChipError::Random => "Nguồn số ngẫu nhiên của hệ thống bị lỗi".to_owned(),
        }
    }
}

/// The first letter in upper case.
fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

impl From<TransportError> for ChipError {
    fn from(e: TransportError) -> Self {
        ChipError::Transport(e)
    }
}

/// Sends a plain command and reads the response.
fn transceive<T: CardTransport + ?Sized>(
    transport: &mut T,
    step: Step,
    command: &CommandApdu,
) -> Result<ResponseApdu, ChipError> {
    let bytes = transport.transmit(&command.to_bytes())?;
    ResponseApdu::parse(&bytes).map_err(|error| ChipError::Apdu { step, error })
}

#[cfg(test)]
pub(crate) mod test_hex {
    /// Bytes from hex, blanks ignored; panics on bad hex (tests only).
    pub fn h(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .map(|b| match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => panic!("not hex: {s}"),
            })
            .collect();
        assert!(digits.len().is_multiple_of(2), "odd hex: {s}");
        digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect()
    }

    pub fn a8(s: &str) -> [u8; 8] {
        h(s).try_into().expect("8 bytes")
    }

    pub fn a16(s: &str) -> [u8; 16] {
        h(s).try_into().expect("16 bytes")
    }
}
