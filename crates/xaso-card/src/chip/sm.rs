//! Secure messaging (Doc 9303 Part 11, 9.8; ISO/IEC 7816-4, 10): encrypted data in DO'87'
//! (padding-content indicator 01), the expected length in DO'97', the status in DO'99' and a
//! MAC in DO'8E' over the send sequence counter, the padded header and the data objects. The
//! counter goes up by one for every command and every response.
//!
//! Two ciphers: after BAC, 3DES with a zero IV and the retail MAC, an 8-byte counter; after
//! PACE or chip authentication with AES-128, AES-CBC with IV = E(KS_enc, SSC), CMAC truncated
//! to 8 bytes, a 16-byte counter that starts at zero (9.8.6.2, 9.8.7).
//!
//! Both sides are here: the terminal's [`SecureMessaging::protect_command`] and
//! [`SecureMessaging::unprotect_response`], and the card's
//! [`SecureMessaging::unprotect_command`] and [`SecureMessaging::protect_response`] (used by
//! the simulator).

use std::fmt;

use super::apdu::{CommandApdu, ResponseApdu};
use super::crypto::{
    aes_cbc_decrypt, aes_cbc_encrypt, aes_cmac8, aes_encrypt_block, mac_eq, pad, pad16, retail_mac,
    tdes_cbc_decrypt, tdes_cbc_encrypt_padded, unpad, unpad16,
};
use crate::tlv::{self, Reader, Tag, Tlv, TlvError};

/// Why a secure-messaging APDU was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmError {
    /// The card answered with a bare status word, without secure messaging: it refused the
    /// command (often because it found the command's MAC wrong) or lost the session.
    Unprotected { sw: u16 },
    /// The response holds no DO'8E' (MAC).
    MissingMac,
    /// The response holds no DO'99' (status).
    MissingStatus,
    /// The MAC does not match: the APDU was altered, or the keys or the counter differ.
    BadMac,
    /// The decrypted data does not end with padding method 2.
    BadPadding,
    /// The data objects are not what secure messaging sends.
    Malformed { what: &'static str },
    /// The data objects are not BER-TLV.
    Tlv(TlvError),
    /// The command is not protected (class byte without the SM bits `0C`).
    NotProtected,
    /// The protected command does not fit a short APDU.
    CommandTooLong { len: usize },
}

impl fmt::Display for SmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("secure messaging: ")?;
        match self {
            SmError::Unprotected { sw } => write!(
                f,
                "the card answered {sw:04X} ({}) without secure messaging",
                super::apdu::status_meaning(*sw).0
            ),
            SmError::MissingMac => f.write_str("the response has no MAC (DO'8E')"),
            SmError::MissingStatus => f.write_str("the response has no status (DO'99')"),
            SmError::BadMac => f.write_str(
                "the MAC does not match: the data was altered on the way, or the session is not the card's",
            ),
            SmError::BadPadding => f.write_str("the decrypted data is not correctly padded"),
            SmError::Malformed { what } => write!(f, "malformed data objects: {what}"),
            SmError::Tlv(e) => write!(f, "malformed data objects: {e}"),
            SmError::NotProtected => f.write_str("the command is not protected"),
            SmError::CommandTooLong { len } => {
                write!(f, "a protected command of {len} data bytes does not fit a short APDU")
            }
        }
    }
}

impl std::error::Error for SmError {}

impl SmError {
    /// The rule in Vietnamese.
    pub fn vi(&self) -> String {
        let what = match self {
            SmError::Unprotected { sw } => format!(
                "thẻ trả lời {sw:04X} ({}) mà không có bảo mật",
                super::apdu::status_meaning(*sw).1
            ),
            SmError::MissingMac => "phản hồi không có mã xác thực (DO'8E')".to_owned(),
            SmError::MissingStatus => "phản hồi không có mã trạng thái (DO'99')".to_owned(),
            SmError::BadMac => "mã xác thực (MAC) không khớp: dữ liệu đã bị thay đổi trên \
                 đường truyền, hoặc phiên làm việc không phải của thẻ này"
                .to_owned(),
            SmError::BadPadding => "dữ liệu giải mã không có phần đệm đúng".to_owned(),
            SmError::Malformed { what } => format!("đối tượng dữ liệu sai định dạng: {what}"),
            SmError::Tlv(e) => format!("đối tượng dữ liệu sai định dạng: {}", e.vi()),
            SmError::NotProtected => "lệnh không được bảo vệ".to_owned(),
            SmError::CommandTooLong { len } => {
                format!("lệnh bảo mật có {len} byte dữ liệu, quá dài cho một gói APDU ngắn")
            }
        };
        format!("Truyền tin bảo mật: {what}")
    }
}

impl From<TlvError> for SmError {
    fn from(e: TlvError) -> Self {
        SmError::Tlv(e)
    }
}

/// The cipher of a secure-messaging session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmCipher {
    /// Two-key 3DES and the retail MAC (BAC).
    Tdes,
    /// AES-128 and CMAC (PACE, chip authentication).
    Aes128,
}

/// The session keys and send sequence counter of a secure-messaging session (the result of
/// BAC, PACE or chip authentication). Its `Debug` hides the keys.
#[derive(Clone, PartialEq, Eq)]
pub struct SecureMessaging {
    cipher: SmCipher,
    ks_enc: [u8; 16],
    ks_mac: [u8; 16],
    /// The counter; 3DES uses its low 64 bits.
    ssc: u128,
}

impl fmt::Debug for SecureMessaging {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecureMessaging({:?}, ..)", self.cipher)
    }
}

const DO_CRYPTOGRAM_PI: Tag = Tag(0x87);
const DO_CRYPTOGRAM: Tag = Tag(0x85);
const DO_LE: Tag = Tag(0x97);
const DO_STATUS: Tag = Tag(0x99);
const DO_MAC: Tag = Tag(0x8E);

/// Whose protected APDU is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Command,
    Response,
}

/// The data objects of a protected command or response, sorted.
struct Objects<'a> {
    cryptogram: Option<Tlv<'a>>,
    /// DO'97' (expected length) of a command, DO'99' (status) of a response.
    other: Option<Tlv<'a>>,
    mac: Tlv<'a>,
    /// What the MAC covers: the cryptogram and the other object, as they were encoded.
    covered: Vec<u8>,
}

/// Reads and sorts the data objects of one side's protected APDU: a cryptogram, the side's
/// other object, and the MAC, which must be there and last. A response with two cryptograms
/// is refused; of a command's, the last is taken.
fn read_objects(bytes: &[u8], side: Side) -> Result<Objects<'_>, SmError> {
    let (other_tag, unexpected) = match side {
        Side::Command => (DO_LE, "an unexpected data object in the command"),
        Side::Response => (DO_STATUS, "an unexpected data object in the response"),
    };
    let objects = Reader::new(bytes).collect::<Result<Vec<_>, _>>()?;
    let mut covered = Vec::with_capacity(bytes.len());
    let mut cryptogram = None;
    let mut other = None;
    let mut mac = None;
    for object in objects {
        if mac.is_some() {
            return Err(SmError::Malformed {
                what: "a data object after the MAC",
            });
        }
        match object.tag {
            t if t == DO_CRYPTOGRAM_PI || t == DO_CRYPTOGRAM => {
                if cryptogram.is_some() && side == Side::Response {
                    return Err(SmError::Malformed {
                        what: "two cryptograms",
                    });
                }
                cryptogram = Some(object);
                covered.extend_from_slice(object.raw);
            }
            t if t == other_tag => {
                other = Some(object);
                covered.extend_from_slice(object.raw);
            }
            t if t == DO_MAC => mac = Some(object),
            _ => return Err(SmError::Malformed { what: unexpected }),
        }
    }
    Ok(Objects {
        cryptogram,
        other,
        mac: mac.ok_or(SmError::MissingMac)?,
        covered,
    })
}

impl SecureMessaging {
    /// A 3DES session (BAC) with its starting counter.
    pub fn new(ks_enc: [u8; 16], ks_mac: [u8; 16], ssc: [u8; 8]) -> SecureMessaging {
        SecureMessaging {
            cipher: SmCipher::Tdes,
            ks_enc,
            ks_mac,
            ssc: u128::from(u64::from_be_bytes(ssc)),
        }
    }

    /// An AES-128 session (PACE, chip authentication): the counter starts at zero.
    pub fn new_aes(ks_enc: [u8; 16], ks_mac: [u8; 16]) -> SecureMessaging {
        SecureMessaging {
            cipher: SmCipher::Aes128,
            ks_enc,
            ks_mac,
            ssc: 0,
        }
    }

    pub fn cipher(&self) -> SmCipher {
        self.cipher
    }

    pub fn ks_enc(&self) -> [u8; 16] {
        self.ks_enc
    }

    pub fn ks_mac(&self) -> [u8; 16] {
        self.ks_mac
    }

    /// The send sequence counter as it is now: 8 bytes under 3DES, 16 under AES.
    pub fn ssc(&self) -> Vec<u8> {
        let bytes = self.ssc.to_be_bytes();
        match self.cipher {
            SmCipher::Tdes => bytes.get(8..).unwrap_or_default().to_vec(),
            SmCipher::Aes128 => bytes.to_vec(),
        }
    }

    fn increment(&mut self) {
        self.ssc = match self.cipher {
            SmCipher::Tdes => u128::from((self.ssc as u64).wrapping_add(1)),
            SmCipher::Aes128 => self.ssc.wrapping_add(1),
        };
    }

    fn pad_block(&self, data: &[u8]) -> Vec<u8> {
        match self.cipher {
            SmCipher::Tdes => pad(data),
            SmCipher::Aes128 => pad16(data),
        }
    }

    /// The MAC over SSC ‖ the padded `header` (a command's; a response has none) ‖ the
    /// data objects, padded.
    fn mac(&self, header: Option<[u8; 4]>, objects: &[u8]) -> [u8; 8] {
        let mut n = Vec::with_capacity(32 + objects.len());
        n.extend(self.ssc());
        if let Some(header) = header {
            n.extend(self.pad_block(&header));
        }
        n.extend_from_slice(objects);
        match self.cipher {
            // The retail MAC pads itself.
            SmCipher::Tdes => retail_mac(&self.ks_mac, &n),
            // CMAC would not need padding, but Doc 9303 pads the MAC input all the same.
            SmCipher::Aes128 => aes_cmac8(&self.ks_mac, &pad16(&n)),
        }
    }

    /// The IV of AES encryption: E(KS_enc, SSC), the counter as it is for this APDU.
    fn aes_iv(&self) -> [u8; 16] {
        aes_encrypt_block(&self.ks_enc, &self.ssc.to_be_bytes())
    }

    /// Pads and encrypts `data` under the session's cipher.
    fn encrypt(&self, data: &[u8]) -> Vec<u8> {
        match self.cipher {
            SmCipher::Tdes => tdes_cbc_encrypt_padded(&self.ks_enc, data),
            // Padded data is whole blocks, so this cannot be `None`.
            SmCipher::Aes128 => {
                aes_cbc_encrypt(&self.ks_enc, &self.aes_iv(), &pad16(data)).unwrap_or_default()
            }
        }
    }

    /// Appends DO'8E', the MAC over `objects` (and a command's `header`).
    fn append_mac(&self, header: Option<[u8; 4]>, objects: &mut Vec<u8>) {
        let cc = self.mac(header, objects);
        objects.extend(tlv::encode(DO_MAC, &cc));
    }

    /// Checks the MAC of the data objects read (and of a command's `header`).
    fn check_mac(&self, header: Option<[u8; 4]>, objects: &Objects<'_>) -> Result<(), SmError> {
        if mac_eq(&self.mac(header, &objects.covered), objects.mac.value) {
            Ok(())
        } else {
            Err(SmError::BadMac)
        }
    }

    /// The data object that carries `data` encrypted; nothing when there is no data.
    fn cryptogram_do(&self, ins: u8, data: &[u8]) -> Vec<u8> {
        if data.is_empty() {
            return Vec::new();
        }
        let encrypted = self.encrypt(data);
        if ins & 1 == 1 {
            // Odd instructions carry BER-TLV data: DO'85', no padding-content indicator.
            tlv::encode(DO_CRYPTOGRAM, &encrypted)
        } else {
            let mut value = Vec::with_capacity(encrypted.len() + 1);
            value.push(0x01);
            value.extend_from_slice(&encrypted);
            tlv::encode(DO_CRYPTOGRAM_PI, &value)
        }
    }

    /// Terminal: the protected form of `command` (class byte with `0C`, DO'87' for data, DO'97'
    /// for the expected length, DO'8E' for the MAC, Le `00`). Increments the counter.
    pub fn protect_command(&mut self, command: &CommandApdu) -> Result<Vec<u8>, SmError> {
        let cla = command.cla | 0x0C;
        let header = [cla, command.ins, command.p1, command.p2];
        // The counter moves first: AES's IV is computed from it.
        self.increment();
        let mut objects = self.cryptogram_do(command.ins, &command.data);
        if let Some(le) = command.le {
            let le = le.clamp(1, 65_536);
            if le <= 256 {
                objects.extend(tlv::encode(DO_LE, &[(le % 256) as u8]));
            } else {
                objects.extend(tlv::encode(DO_LE, &((le % 65_536) as u16).to_be_bytes()));
            }
        }
        self.append_mac(Some(header), &mut objects);
        if objects.len() > 255 {
            return Err(SmError::CommandTooLong { len: objects.len() });
        }
        let mut out = header.to_vec();
        out.push(objects.len() as u8);
        out.extend_from_slice(&objects);
        out.push(0x00);
        Ok(out)
    }

    /// Terminal: checks and opens the card's protected response (data objects and status
    /// word). Increments the counter. The status returned is the one inside DO'99', which the
    /// MAC covers.
    pub fn unprotect_response(&mut self, response: &[u8]) -> Result<ResponseApdu, SmError> {
        self.increment();
        let Some((body, sw)) = response.split_last_chunk::<2>() else {
            return Err(SmError::Malformed {
                what: "a response has at least a status word",
            });
        };
        let sw = u16::from_be_bytes(*sw);
        if body.is_empty() {
            return Err(if sw == super::apdu::sw::OK {
                SmError::MissingMac
            } else {
                SmError::Unprotected { sw }
            });
        }
        let objects = read_objects(body, Side::Response)?;
        let status = objects.other.ok_or(SmError::MissingStatus)?;
        self.check_mac(None, &objects)?;
        let sw = match status.value {
            [a, b] => u16::from_be_bytes([*a, *b]),
            _ => {
                return Err(SmError::Malformed {
                    what: "a status (DO'99') of other than two bytes",
                })
            }
        };
        let data = self.decrypt(objects.cryptogram)?;
        Ok(ResponseApdu::new(data, sw))
    }

    /// The plain data of a cryptogram; none without one.
    fn decrypt(&self, cryptogram: Option<Tlv<'_>>) -> Result<Vec<u8>, SmError> {
        let Some(cryptogram) = cryptogram else {
            return Ok(Vec::new());
        };
        let encrypted = if cryptogram.tag == DO_CRYPTOGRAM_PI {
            match cryptogram.value {
                [0x01, rest @ ..] => rest,
                _ => {
                    return Err(SmError::Malformed {
                        what: "a cryptogram without padding-content indicator 01",
                    })
                }
            }
        } else {
            cryptogram.value
        };
        let not_blocks = SmError::Malformed {
            what: "a cryptogram that is not whole cipher blocks",
        };
        match self.cipher {
            SmCipher::Tdes => {
                let plain = tdes_cbc_decrypt(&self.ks_enc, encrypted).ok_or(not_blocks)?;
                unpad(&plain).map(<[u8]>::to_vec).ok_or(SmError::BadPadding)
            }
            SmCipher::Aes128 => {
                let plain =
                    aes_cbc_decrypt(&self.ks_enc, &self.aes_iv(), encrypted).ok_or(not_blocks)?;
                unpad16(&plain)
                    .map(<[u8]>::to_vec)
                    .ok_or(SmError::BadPadding)
            }
        }
    }

    /// Card: checks and opens a protected command. Increments the counter.
    pub fn unprotect_command(&mut self, command: &CommandApdu) -> Result<CommandApdu, SmError> {
        if command.cla & 0x0C != 0x0C {
            return Err(SmError::NotProtected);
        }
        self.increment();
        let objects = read_objects(&command.data, Side::Command)?;
        let header = [command.cla, command.ins, command.p1, command.p2];
        self.check_mac(Some(header), &objects)?;
        let mut plain = CommandApdu::new(command.cla & !0x0C, command.ins, command.p1, command.p2);
        plain.data = self.decrypt(objects.cryptogram)?;
        if let Some(l) = objects.other {
            plain.le = Some(match l.value {
                [0] => 256,
                [n] => u32::from(*n),
                [0, 0] => 65_536,
                [a, b] => u32::from(u16::from_be_bytes([*a, *b])),
                _ => {
                    return Err(SmError::Malformed {
                        what: "an expected length (DO'97') of other than one or two bytes",
                    })
                }
            });
        }
        Ok(plain)
    }

    /// Card: the protected response (DO'87' when there is data, DO'99', DO'8E', then the
    /// status word). Increments the counter. `ins` is the command's instruction (odd ones use
    /// DO'85').
    pub fn protect_response(&mut self, ins: u8, data: &[u8], sw: u16) -> Vec<u8> {
        self.increment();
        let mut out = self.cryptogram_do(ins, data);
        out.extend(tlv::encode(DO_STATUS, &sw.to_be_bytes()));
        self.append_mac(None, &mut out);
        out.extend_from_slice(&sw.to_be_bytes());
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::chip::test_hex::{a16, a8, h};
    use proptest::prelude::*;

    /// Doc 9303 Part 11 D.4: the session after the worked example's BAC.
    fn session() -> SecureMessaging {
        SecureMessaging::new(
            a16("979EC13B1CBFE9DCD01AB0FED307EAE5"),
            a16("F1CB1F1FB5ADF208806B89DC579DC1F8"),
            a8("887022120C06C226"),
        )
    }

    #[test]
    fn the_worked_example_byte_for_byte() {
        let mut t = session();
        let mut card = session();

        // SELECT EF.COM.
        let select = CommandApdu::select_file(0x011E);
        let protected = t.protect_command(&select).unwrap();
        assert_eq!(
            protected,
            h("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")
        );
        assert_eq!(t.ssc(), a8("887022120C06C227"));
        // Intermediate values: DO'87' and the MAC input N.
        assert_eq!(&protected[5..16], &h("8709016375432908C044F6")[..]);
        let n = h("887022120C06C227 0CA4020C80000000 8709016375432908C044F6");
        assert_eq!(retail_mac(&t.ks_mac(), &n).to_vec(), h("BF8B92D635FF24F8"));
        // The card opens it…
        let opened = card
            .unprotect_command(&CommandApdu::parse(&protected).unwrap())
            .unwrap();
        assert_eq!(opened, select);
        // …and answers.
        let answer = card.protect_response(0xA4, &[], 0x9000);
        assert_eq!(answer, h("990290008E08FA855A5D4C50A8ED9000"));
        let r = t.unprotect_response(&answer).unwrap();
        assert_eq!((r.data, r.sw), (vec![], 0x9000));
        assert_eq!(t.ssc(), a8("887022120C06C228"));

        // READ BINARY of the first four bytes.
        let read = CommandApdu::read_binary(0, 4);
        let protected = t.protect_command(&read).unwrap();
        assert_eq!(protected, h("0CB000000D9701048E08ED6705417E96BA5500"));
        assert_eq!(t.ssc(), a8("887022120C06C229"));
        assert_eq!(
            card.unprotect_command(&CommandApdu::parse(&protected).unwrap())
                .unwrap(),
            read
        );
        let answer = card.protect_response(0xB0, &h("60145F01"), 0x9000);
        assert_eq!(
            answer,
            h("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")
        );
        let r = t.unprotect_response(&answer).unwrap();
        assert_eq!((r.data, r.sw), (h("60145F01"), 0x9000));
        assert_eq!(t.ssc(), a8("887022120C06C22A"));

        // READ BINARY of the remaining 18 bytes from offset 4.
        let read = CommandApdu::read_binary(4, 0x12);
        let protected = t.protect_command(&read).unwrap();
        assert_eq!(protected, h("0CB000040D9701128E082EA28A70F3C7B53500"));
        assert_eq!(t.ssc(), a8("887022120C06C22B"));
        assert_eq!(
            card.unprotect_command(&CommandApdu::parse(&protected).unwrap())
                .unwrap(),
            read
        );
        let data = h("04303130365F36063034303030305C026175");
        let answer = card.protect_response(0xB0, &data, 0x9000);
        assert_eq!(
            answer,
            h("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000")
        );
        let r = t.unprotect_response(&answer).unwrap();
        assert_eq!((r.data, r.sw), (data, 0x9000));
        assert_eq!(t.ssc(), a8("887022120C06C22C"));
        assert_eq!(card.ssc(), t.ssc());
    }

    #[test]
    fn altered_responses_are_refused() {
        let mut t = session();
        t.protect_command(&CommandApdu::select_file(0x011E))
            .unwrap();
        let mut tampered = h("990290008E08FA855A5D4C50A8ED9000");
        tampered[13] ^= 0x01;
        assert_eq!(
            t.clone().unprotect_response(&tampered),
            Err(SmError::BadMac)
        );
        // The status inside changed: the MAC no longer matches.
        let changed = h("99026A828E08FA855A5D4C50A8ED9000");
        assert_eq!(t.clone().unprotect_response(&changed), Err(SmError::BadMac));
        assert_eq!(
            t.clone().unprotect_response(&h("99029000 9000")),
            Err(SmError::MissingMac)
        );
        assert_eq!(
            t.clone()
                .unprotect_response(&h("8E08FA855A5D4C50A8ED 9000")),
            Err(SmError::MissingStatus)
        );
        assert_eq!(
            t.clone().unprotect_response(&h("6988")),
            Err(SmError::Unprotected { sw: 0x6988 })
        );
        assert_eq!(
            t.clone().unprotect_response(&h("9000")),
            Err(SmError::MissingMac)
        );
        // A response for the wrong counter (replayed) fails too.
        let mut replay = session();
        assert_eq!(
            replay.unprotect_response(&h("990290008E08FA855A5D4C50A8ED9000")),
            Err(SmError::BadMac)
        );
    }

    #[test]
    fn the_card_refuses_unprotected_and_altered_commands() {
        let mut card = session();
        let plain = CommandApdu::select_file(0x011E);
        assert_eq!(card.unprotect_command(&plain), Err(SmError::NotProtected));
        let mut protected = h("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800");
        protected[10] ^= 0x80;
        assert_eq!(
            card.unprotect_command(&CommandApdu::parse(&protected).unwrap()),
            Err(SmError::BadMac)
        );
    }

    #[test]
    fn odd_instructions_use_do85_and_long_lengths_do97_of_two_bytes() {
        let mut t = session();
        let mut card = session();
        let c = CommandApdu::new(0x00, 0xB1, 0x00, 0x00)
            .with_data(h("54020100"))
            .with_le(300);
        let p = t.protect_command(&c).unwrap();
        assert_eq!(p[5], 0x85);
        assert_eq!(
            card.unprotect_command(&CommandApdu::parse(&p).unwrap())
                .unwrap(),
            c
        );
        let r = card.protect_response(0xB1, &h("5301AA"), 0x9000);
        assert_eq!(r[0], 0x85);
        assert_eq!(t.unprotect_response(&r).unwrap().data, h("5301AA"));
    }

    #[test]
    fn errors_in_both_languages() {
        assert_eq!(
            SmError::Unprotected { sw: 0x6988 }.to_string(),
            "secure messaging: the card answered 6988 (incorrect secure messaging data objects) without secure messaging"
        );
        assert!(SmError::BadMac
            .vi()
            .starts_with("Truyền tin bảo mật: mã xác thực (MAC) không khớp"));
    }

    proptest! {
        #[test]
        fn unprotecting_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            for s in [session(), SecureMessaging::new_aes([0x11; 16], [0x22; 16])] {
                let _ = s.clone().unprotect_response(&bytes);
                if let Ok(c) = CommandApdu::parse(&bytes) {
                    let _ = s.clone().unprotect_command(&c);
                }
            }
        }

        #[test]
        fn mutated_aes_responses_never_panic(
            data in prop::collection::vec(any::<u8>(), 0..100),
            edit in (0usize..200, any::<u8>()),
            cut in 0usize..200,
        ) {
            let mut card = SecureMessaging::new_aes([0x11; 16], [0x22; 16]);
            let mut answer = card.protect_response(0xB0, &data, 0x9000);
            let len = answer.len();
            answer[edit.0 % len] = edit.1;
            answer.truncate(len - cut % len);
            let mut terminal = SecureMessaging::new_aes([0x11; 16], [0x22; 16]);
            // The counter as the card's was before its answer.
            terminal.increment();
            let _ = terminal.unprotect_response(&answer);
        }

        #[test]
        fn commands_and_responses_round_trip(
            ins in any::<u8>(),
            data in prop::collection::vec(any::<u8>(), 0..200),
            le in prop::option::of(1u32..=256),
            answer in prop::collection::vec(any::<u8>(), 0..200),
            sw in any::<u16>(),
        ) {
            let mut t = session();
            let mut card = session();
            let c = CommandApdu { cla: 0, ins, p1: 1, p2: 2, data, le };
            let p = t.protect_command(&c).unwrap();
            prop_assert_eq!(card.unprotect_command(&CommandApdu::parse(&p).unwrap()).unwrap(), c);
            let r = card.protect_response(ins, &answer, sw);
            let opened = t.unprotect_response(&r).unwrap();
            prop_assert_eq!(opened, ResponseApdu::new(answer, sw));
        }
    }
}
