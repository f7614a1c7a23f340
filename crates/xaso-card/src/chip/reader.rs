//! Reading the chip over any [`CardTransport`]: read EF.CardAccess; run PACE when it offers
//! a variant this crate runs, and select the eMRTD application under secure messaging; else
//! select the application and run Basic Access Control. Then read elementary files by their
//! file identifiers under secure messaging (SELECT by identifier, READ BINARY in chunks, the
//! file's length from the BER-TLV header of its first bytes).

use super::apdu::{sw, CardTransport, CommandApdu, ResponseApdu};
use super::bac::{self, BacKeys};
use super::mrz::MrzInformation;
use super::pace;
use super::sm::{SecureMessaging, SmError};
use super::{transceive, ChipError, Step};
use crate::lds::card_access::{parse_card_access, PaceInfo};
use crate::tlv;

/// The application identifier of the eMRTD (LDS1) application (Doc 9303 Part 10).
pub const EMRTD_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

/// File identifiers of the LDS1 application (Doc 9303 Part 10, 3.x).
pub mod fid {
    pub const EF_CARD_ACCESS: u16 = 0x011C;
    pub const EF_SOD: u16 = 0x011D;
    pub const EF_COM: u16 = 0x011E;

    /// Data group `n` (1–16): DG1 is 0101, DG16 is 0110.
    pub const fn data_group(n: u8) -> u16 {
        0x0100 + n as u16
    }

    pub const DG1: u16 = data_group(1);
    pub const DG2: u16 = data_group(2);
    pub const DG13: u16 = data_group(13);
    pub const DG14: u16 = data_group(14);
    pub const DG15: u16 = data_group(15);
}

/// Bytes asked for by one READ BINARY: what fits a short response APDU under 3DES secure
/// messaging (223 bytes of data become a 228-byte DO'87', plus DO'99', DO'8E' and the status).
pub const CHUNK: u32 = 0xDF;

/// The largest file READ BINARY with a 15-bit offset reads here.
pub const MAX_FILE_LEN: usize = 0x8000;

/// The bytes read first, enough for the header of every LDS file.
const FIRST_READ: u32 = 4;

/// How the reader gained access to the chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessControl {
    /// Basic Access Control (3DES secure messaging).
    Bac,
    /// PACE (AES secure messaging).
    Pace,
}

/// A chip after BAC or PACE: reads files under secure messaging.
#[derive(Debug)]
pub struct ChipReader<T: CardTransport> {
    transport: T,
    sm: SecureMessaging,
    current: Option<u16>,
    access: AccessControl,
}

/// SELECT the eMRTD application (a plain command, before BAC).
pub fn select_application<T: CardTransport + ?Sized>(transport: &mut T) -> Result<(), ChipError> {
    let r = transceive(
        transport,
        Step::SelectApplication,
        &CommandApdu::select_application(&EMRTD_AID),
    )?;
    if r.is_ok() {
        Ok(())
    } else {
        Err(ChipError::Status {
            step: Step::SelectApplication,
            sw: r.sw,
        })
    }
}

/// Something that sends a command and returns the card's answer: the plain link, or the
/// link under secure messaging.
trait Channel {
    fn send(&mut self, step: Step, command: &CommandApdu) -> Result<ResponseApdu, ChipError>;
}

/// The link without secure messaging (EF.CardAccess is readable before any authentication).
struct Plain<'a, T: ?Sized>(&'a mut T);

impl<T: CardTransport + ?Sized> Channel for Plain<'_, T> {
    fn send(&mut self, step: Step, command: &CommandApdu) -> Result<ResponseApdu, ChipError> {
        transceive(self.0, step, command)
    }
}

/// SELECT an elementary file by its identifier.
fn select_file_over<C: Channel + ?Sized>(channel: &mut C, fid: u16) -> Result<(), ChipError> {
    let step = Step::SelectFile(fid);
    let r = match channel.send(step, &CommandApdu::select_file(fid)) {
        Err(ChipError::Sm {
            error: SmError::Unprotected {
                sw: sw::FILE_NOT_FOUND,
            },
            ..
        }) => return Err(ChipError::FileNotFound { fid }),
        other => other?,
    };
    match r.sw {
        sw::OK => Ok(()),
        sw::FILE_NOT_FOUND => Err(ChipError::FileNotFound { fid }),
        other => Err(ChipError::Status { step, sw: other }),
    }
}

/// READ BINARY of the selected file `fid`: up to `len` bytes (1–256) at `offset` (at most
/// 0x7FFF). Fewer bytes come back at the end of the file.
fn read_binary_over<C: Channel + ?Sized>(
    channel: &mut C,
    fid: u16,
    offset: u16,
    len: u32,
) -> Result<Vec<u8>, ChipError> {
    let step = Step::ReadBinary(fid);
    if offset > 0x7FFF {
        return Err(ChipError::Malformed {
            step,
            what: "an offset beyond 0x7FFF (not supported)",
        });
    }
    let r = channel.send(step, &CommandApdu::read_binary(offset, len))?;
    match r.sw {
        sw::OK | sw::END_OF_FILE => Ok(r.data),
        other => Err(ChipError::Status { step, sw: other }),
    }
}

/// Reads the selected file `fid` whole: its first bytes, its length from their BER-TLV
/// header, the rest in chunks of [`CHUNK`] bytes.
fn read_selected_over<C: Channel + ?Sized>(
    channel: &mut C,
    fid: u16,
) -> Result<Vec<u8>, ChipError> {
    let step = Step::ReadBinary(fid);
    let mut data = read_binary_over(channel, fid, 0, FIRST_READ)?;
    let header = loop {
        match tlv::read_header(&data) {
            Ok(h) => break h,
            Err(error) if error.is_truncated() && data.len() < 8 => {
                let more =
                    read_binary_over(channel, fid, data.len() as u16, 8 - data.len() as u32)?;
                if more.is_empty() {
                    return Err(ChipError::FileHeader { fid, error });
                }
                data.extend(more);
            }
            Err(error) => return Err(ChipError::FileHeader { fid, error }),
        }
    };
    let total = match header.total_len() {
        Some(t) if t <= MAX_FILE_LEN => t,
        _ => {
            return Err(ChipError::FileTooLarge {
                fid,
                len: header.value_len,
            })
        }
    };
    data.truncate(total);
    while data.len() < total {
        let want = (total - data.len()).min(CHUNK as usize) as u32;
        let chunk = read_binary_over(channel, fid, data.len() as u16, want)?;
        if chunk.is_empty() {
            return Err(ChipError::Malformed {
                step,
                what: "no data before the end its header announces",
            });
        }
        data.extend(chunk);
    }
    data.truncate(total);
    Ok(data)
}

/// EF.CardAccess, read without secure messaging; `None` when the card has none.
pub fn read_card_access<T: CardTransport + ?Sized>(
    transport: &mut T,
) -> Result<Option<Vec<u8>>, ChipError> {
    let mut plain = Plain(transport);
    match select_file_over(&mut plain, fid::EF_CARD_ACCESS) {
        Ok(()) => {}
        // A card without PACE has no such file, or refuses to show it.
        Err(ChipError::FileNotFound { .. } | ChipError::Status { .. }) => return Ok(None),
        Err(e) => return Err(e),
    }
    read_selected_over(&mut plain, fid::EF_CARD_ACCESS).map(Some)
}

/// The PACE variant to run, from EF.CardAccess: `None` when the card has no EF.CardAccess,
/// when it cannot be read as SecurityInfos, or when it offers nothing this crate runs (BAC
/// is then tried, as Doc 9303 Part 11 §4.2 allows).
pub fn pace_offer<T: CardTransport + ?Sized>(
    transport: &mut T,
) -> Result<Option<PaceInfo>, ChipError> {
    let Some(bytes) = read_card_access(transport)? else {
        return Ok(None);
    };
    Ok(parse_card_access(&bytes)
        .ok()
        .and_then(|ca| ca.supported_pace().cloned()))
}

impl<T: CardTransport> ChipReader<T> {
    /// Reads EF.CardAccess; runs PACE when it offers a supported variant, BAC otherwise (with
    /// keys from `mrz` and fresh random nonces and keys); selects the eMRTD application.
    pub fn connect(mut transport: T, mrz: &MrzInformation) -> Result<ChipReader<T>, ChipError> {
        if let Some(info) = pace_offer(&mut transport)? {
            let sm = pace::authenticate(&mut transport, mrz, &info)?;
            let mut reader = ChipReader::from_session(transport, sm);
            reader.access = AccessControl::Pace;
            reader.select_application()?;
            return Ok(reader);
        }
        ChipReader::connect_bac(transport, mrz)
    }

    /// Selects the eMRTD application and runs BAC, whatever EF.CardAccess offers.
    pub fn connect_bac(mut transport: T, mrz: &MrzInformation) -> Result<ChipReader<T>, ChipError> {
        select_application(&mut transport)?;
        let sm = bac::authenticate(&mut transport, &BacKeys::from_mrz(mrz))?;
        Ok(ChipReader::from_session(transport, sm))
    }

    /// [`ChipReader::connect_bac`] with the terminal's nonce and key half given (tests, the
    /// worked example).
    pub fn connect_with(
        mut transport: T,
        mrz: &MrzInformation,
        rnd_ifd: &[u8; 8],
        k_ifd: &[u8; 16],
    ) -> Result<ChipReader<T>, ChipError> {
        select_application(&mut transport)?;
        let sm = bac::authenticate_with(&mut transport, &BacKeys::from_mrz(mrz), rnd_ifd, k_ifd)?;
        Ok(ChipReader::from_session(transport, sm))
    }

    /// A reader for a session opened elsewhere (its access control taken from the cipher).
    pub fn from_session(transport: T, sm: SecureMessaging) -> ChipReader<T> {
        let access = match sm.cipher() {
            super::sm::SmCipher::Tdes => AccessControl::Bac,
            super::sm::SmCipher::Aes128 => AccessControl::Pace,
        };
        ChipReader {
            transport,
            sm,
            current: None,
            access,
        }
    }

    /// How access was gained.
    pub fn access(&self) -> AccessControl {
        self.access
    }

    /// The secure-messaging session (its counter moves with every command).
    pub fn session(&self) -> &SecureMessaging {
        &self.sm
    }

    /// Replaces the session (chip authentication's new keys).
    pub(crate) fn set_session(&mut self, sm: SecureMessaging) {
        self.sm = sm;
    }

    pub fn into_transport(self) -> T {
        self.transport
    }

    /// Sends a command under secure messaging and opens the answer.
    pub(crate) fn send(
        &mut self,
        step: Step,
        command: &CommandApdu,
    ) -> Result<ResponseApdu, ChipError> {
        let protected = self
            .sm
            .protect_command(command)
            .map_err(|error| ChipError::Sm { step, error })?;
        let bytes = self.transport.transmit(&protected)?;
        self.sm
            .unprotect_response(&bytes)
            .map_err(|error| ChipError::Sm { step, error })
    }

    /// SELECT the eMRTD application under secure messaging (after PACE, which runs in the
    /// master file).
    fn select_application(&mut self) -> Result<(), ChipError> {
        let step = Step::SelectApplication;
        let r = self.send(step, &CommandApdu::select_application(&EMRTD_AID))?;
        if r.is_ok() {
            Ok(())
        } else {
            Err(ChipError::Status { step, sw: r.sw })
        }
    }

    /// SELECT an elementary file by its identifier.
    pub fn select_file(&mut self, fid: u16) -> Result<(), ChipError> {
        self.current = None;
        select_file_over(self, fid)?;
        self.current = Some(fid);
        Ok(())
    }

    /// READ BINARY of the selected file: up to `len` bytes (1–256) at `offset` (at most
    /// 0x7FFF). Fewer bytes come back at the end of the file.
    pub fn read_binary(&mut self, offset: u16, len: u32) -> Result<Vec<u8>, ChipError> {
        let fid = self.current.unwrap_or(0);
        read_binary_over(self, fid, offset, len)
    }

    /// Reads a whole elementary file: selects it, reads its first bytes, learns its length
    /// from their BER-TLV header, and reads the rest in chunks of [`CHUNK`] bytes.
    pub fn read_file(&mut self, fid: u16) -> Result<Vec<u8>, ChipError> {
        self.select_file(fid)?;
        read_selected_over(self, fid)
    }
}

impl<T: CardTransport> Channel for ChipReader<T> {
    fn send(&mut self, step: Step, command: &CommandApdu) -> Result<ResponseApdu, ChipError> {
        ChipReader::send(self, step, command)
    }
}
