//! Reading the chip over any [`CardTransport`]: select the eMRTD application, run Basic Access
//! Control, then read elementary files by their file identifiers under secure messaging
//! (SELECT by identifier, READ BINARY in chunks, the file's length from the BER-TLV header of
//! its first bytes).

use super::apdu::{sw, CardTransport, CommandApdu, ResponseApdu};
use super::bac::{self, BacKeys};
use super::mrz::MrzInformation;
use super::sm::{SecureMessaging, SmError};
use super::{transceive, ChipError, Step};
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

/// A chip after BAC: reads files under secure messaging.
#[derive(Debug)]
pub struct ChipReader<T: CardTransport> {
    transport: T,
    sm: SecureMessaging,
    current: Option<u16>,
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

impl<T: CardTransport> ChipReader<T> {
    /// Selects the eMRTD application and runs BAC with keys from `mrz` and fresh random
    /// nonces.
    pub fn connect(mut transport: T, mrz: &MrzInformation) -> Result<ChipReader<T>, ChipError> {
        select_application(&mut transport)?;
        let sm = bac::authenticate(&mut transport, &BacKeys::from_mrz(mrz))?;
        Ok(ChipReader::from_session(transport, sm))
    }

    /// [`ChipReader::connect`] with the terminal's nonce and key half given (tests, the worked
    /// example).
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

    /// A reader for a session opened elsewhere.
    pub fn from_session(transport: T, sm: SecureMessaging) -> ChipReader<T> {
        ChipReader {
            transport,
            sm,
            current: None,
        }
    }

    /// The secure-messaging session (its counter moves with every command).
    pub fn session(&self) -> &SecureMessaging {
        &self.sm
    }

    pub fn into_transport(self) -> T {
        self.transport
    }

    /// Sends a command under secure messaging and opens the answer.
    fn send(&mut self, step: Step, command: &CommandApdu) -> Result<ResponseApdu, ChipError> {
        let protected = self
            .sm
            .protect_command(command)
            .map_err(|error| ChipError::Sm { step, error })?;
        let bytes = self.transport.transmit(&protected)?;
        self.sm
            .unprotect_response(&bytes)
            .map_err(|error| ChipError::Sm { step, error })
    }

    /// SELECT an elementary file by its identifier.
    pub fn select_file(&mut self, fid: u16) -> Result<(), ChipError> {
        let step = Step::SelectFile(fid);
        self.current = None;
        let r = match self.send(step, &CommandApdu::select_file(fid)) {
            Err(ChipError::Sm {
                error:
                    SmError::Unprotected {
                        sw: sw::FILE_NOT_FOUND,
                    },
                ..
            }) => return Err(ChipError::FileNotFound { fid }),
            other => other?,
        };
        match r.sw {
            sw::OK => {
                self.current = Some(fid);
                Ok(())
            }
            sw::FILE_NOT_FOUND => Err(ChipError::FileNotFound { fid }),
            other => Err(ChipError::Status { step, sw: other }),
        }
    }

    /// READ BINARY of the selected file: up to `len` bytes (1–256) at `offset` (at most
    /// 0x7FFF). Fewer bytes come back at the end of the file.
    pub fn read_binary(&mut self, offset: u16, len: u32) -> Result<Vec<u8>, ChipError> {
        let step = Step::ReadBinary(self.current.unwrap_or(0));
        if offset > 0x7FFF {
            return Err(ChipError::Malformed {
                step,
                what: "an offset beyond 0x7FFF (not supported)",
            });
        }
        let r = self.send(step, &CommandApdu::read_binary(offset, len))?;
        match r.sw {
            sw::OK | sw::END_OF_FILE => Ok(r.data),
            other => Err(ChipError::Status { step, sw: other }),
        }
    }

    /// Reads a whole elementary file: selects it, reads its first bytes, learns its length
    /// from their BER-TLV header, and reads the rest in chunks of [`CHUNK`] bytes.
    pub fn read_file(&mut self, fid: u16) -> Result<Vec<u8>, ChipError> {
        let step = Step::ReadBinary(fid);
        self.select_file(fid)?;
        let mut data = self.read_binary(0, FIRST_READ)?;
        let header = loop {
            match tlv::read_header(&data) {
                Ok(h) => break h,
                Err(error) if error.is_truncated() && data.len() < 8 => {
                    let more = self.read_binary(data.len() as u16, 8 - data.len() as u32)?;
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
            let chunk = self.read_binary(data.len() as u16, want)?;
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
}
