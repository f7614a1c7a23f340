//! A chip ID card in memory: it holds elementary files and the MRZ information of its holder,
//! answers SELECT of the eMRTD application and GET CHALLENGE, performs the card's side of
//! Basic Access Control (a wrong MRZ is refused with 6300) and, when it is given EF.CardAccess
//! with [`SimulatedCard::with_pace`], of PACE (MSE:Set AT, the GENERAL AUTHENTICATE chain; a
//! wrong MRZ is refused with 6300 at the tokens). EF.CardAccess is readable without
//! authentication; every other file only under secure messaging (an unprotected command is
//! refused with 6987, a wrong MAC with 6988; either ends the session, as on a real card).
//!
//! For tests and demonstrations of [`ChipReader`](super::ChipReader) without a card reader.

use std::collections::BTreeMap;

use super::apdu::{sw, CardTransport, CommandApdu, ResponseApdu, TransportError};
use super::bac::{self, BacKeys};
use super::mrz::MrzInformation;
use super::pace::{CardAnswer, CardPace};
use super::reader::{fid, EMRTD_AID};
use super::sm::{SecureMessaging, SmError};

/// Where the card is in its protocol.
#[derive(Debug, Clone)]
enum State {
    /// Just powered: nothing selected.
    Idle,
    /// The eMRTD application is selected; BAC not done (or a challenge given).
    Selected { challenge: Option<[u8; 8]> },
    /// PACE under way (MSE:Set AT accepted).
    Pace(Box<CardPace>),
    /// BAC or PACE done: only secure messaging.
    Secure {
        sm: SecureMessaging,
        current: Option<u16>,
    },
}

/// A simulated card. Its `Debug` shows neither keys nor files' contents.
#[derive(Clone)]
pub struct SimulatedCard {
    files: BTreeMap<u16, Vec<u8>>,
    mrz: MrzInformation,
    keys: BacKeys,
    /// The file selected without secure messaging (only EF.CardAccess can be).
    plain_current: Option<u16>,
    /// The private key of chip authentication (DG14), a P-256 scalar.
    ca_secret: Option<[u8; 32]>,
    /// The private key of active authentication (DG15), a P-256 scalar.
    aa_secret: Option<[u8; 32]>,
    /// MSE:Set AT for chip authentication accepted.
    ca_selected: bool,
    /// RND.ICC and K.ICC to use instead of random ones (tests).
    fixed: Option<([u8; 8], [u8; 16])>,
    state: State,
}

impl std::fmt::Debug for SimulatedCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatedCard")
            .field("files", &self.files.keys().collect::<Vec<_>>())
            .field("state", &self.state_name())
            .finish()
    }
}

impl SimulatedCard {
    /// A card whose BAC keys come from `mrz`, with no files.
    pub fn new(mrz: &MrzInformation) -> SimulatedCard {
        SimulatedCard {
            files: BTreeMap::new(),
            mrz: mrz.clone(),
            keys: BacKeys::from_mrz(mrz),
            plain_current: None,
            ca_secret: None,
            aa_secret: None,
            ca_selected: false,
            fixed: None,
            state: State::Idle,
        }
    }

    /// Adds (or replaces) the elementary file `fid`.
    pub fn with_file(mut self, fid: u16, content: impl Into<Vec<u8>>) -> SimulatedCard {
        self.files.insert(fid, content.into());
        self
    }

    /// Offers PACE (ECDH generic mapping, AES-128, P-256) in EF.CardAccess, beside BAC.
    pub fn with_pace(self) -> SimulatedCard {
        self.with_file(
            fid::EF_CARD_ACCESS,
            crate::lds::card_access::encode_card_access_p256(),
        )
    }

    /// The chip's private keys (P-256 scalars, big-endian): chip authentication's, whose
    /// public half belongs in DG14, and active authentication's, for DG15. A clone has the
    /// files but other keys.
    pub fn with_chip_keys(
        mut self,
        chip_authentication: [u8; 32],
        active_authentication: [u8; 32],
    ) -> SimulatedCard {
        self.ca_secret = Some(chip_authentication);
        self.aa_secret = Some(active_authentication);
        self
    }

    /// Uses these RND.ICC and K.ICC in every BAC instead of random ones, so that a session
    /// can be compared with published values. PACE then draws its nonce and keys from K.ICC
    /// too (the same every time: for tests only).
    pub fn with_fixed_nonces(mut self, rnd_icc: [u8; 8], k_icc: [u8; 16]) -> SimulatedCard {
        self.fixed = Some((rnd_icc, k_icc));
        self
    }

    /// BAC has been done and secure messaging is in force.
    pub fn is_authenticated(&self) -> bool {
        matches!(self.state, State::Secure { .. })
    }

    fn state_name(&self) -> &'static str {
        match self.state {
            State::Idle => "idle",
            State::Selected { .. } => "application selected",
            State::Pace(_) => "PACE under way",
            State::Secure { .. } => "secure messaging",
        }
    }

    fn random(&self) -> Result<([u8; 8], [u8; 16]), TransportError> {
        if let Some(fixed) = self.fixed {
            return Ok(fixed);
        }
        let mut r = [0u8; 24];
        getrandom::fill(&mut r)
            .map_err(|_| TransportError::new("the simulated card's random source failed"))?;
        let mut n = [0u8; 8];
        let mut k = [0u8; 16];
        n.copy_from_slice(&r[..8]);
        k.copy_from_slice(&r[8..]);
        Ok((n, k))
    }

    fn process(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let status = |sw: u16| Ok(sw.to_be_bytes().to_vec());
        let Ok(apdu) = CommandApdu::parse(command) else {
            return status(sw::WRONG_LENGTH);
        };
        if let State::Secure { .. } = self.state {
            return Ok(self.secure(&apdu));
        }
        // Class 10: a chained GENERAL AUTHENTICATE.
        if apdu.cla != 0x00 && !(apdu.cla == 0x10 && apdu.ins == 0x86) {
            // Protected commands before BAC, or other classes.
            return status(if apdu.cla & 0x0C == 0x0C {
                sw::SECURITY_STATUS_NOT_SATISFIED
            } else {
                sw::CLA_NOT_SUPPORTED
            });
        }
        match (apdu.ins, apdu.p1) {
            (0xA4, 0x02) if apdu.data == fid::EF_CARD_ACCESS.to_be_bytes() => {
                if self.files.contains_key(&fid::EF_CARD_ACCESS) {
                    self.plain_current = Some(fid::EF_CARD_ACCESS);
                    status(sw::OK)
                } else {
                    self.plain_current = None;
                    status(sw::FILE_NOT_FOUND)
                }
            }
            (0xB0, p1) if self.plain_current.is_some() => {
                let file = self.plain_current.and_then(|f| self.files.get(&f));
                let (data, sw) = read_binary(file, p1, apdu.p2, apdu.le);
                Ok(ResponseApdu::new(data, sw).to_bytes())
            }
            (0x22, 0xC1) if apdu.p2 == 0xA4 => {
                let offered = self
                    .files
                    .get(&fid::EF_CARD_ACCESS)
                    .and_then(|b| crate::lds::parse_card_access(b).ok())
                    .is_some_and(|ca| ca.supported_pace().is_some());
                match CardPace::start(&self.mrz, &apdu.data).filter(|_| offered) {
                    Some(pace) => {
                        self.state = State::Pace(Box::new(pace));
                        status(sw::OK)
                    }
                    None => status(sw::WRONG_DATA),
                }
            }
            (0x86, _) => {
                let State::Pace(pace) = &mut self.state else {
                    return status(sw::CONDITIONS_NOT_SATISFIED);
                };
                let fixed = self.fixed;
                let mut random = || {
                    let mut b = [0u8; 32];
                    match fixed {
                        // Tests: a fixed nonce and keys (from K.ICC, twice).
                        Some((_, k)) => {
                            b[..16].copy_from_slice(&k);
                            b[16..].copy_from_slice(&k);
                            Some(b)
                        }
                        None => getrandom::fill(&mut b).ok().map(|()| b),
                    }
                };
                match pace.step(&apdu.data, apdu.cla == 0x00, &mut random) {
                    CardAnswer::Data(data) => Ok(ResponseApdu::new(data, sw::OK).to_bytes()),
                    CardAnswer::Established(data, sm) => {
                        self.state = State::Secure { sm, current: None };
                        Ok(ResponseApdu::new(data, sw::OK).to_bytes())
                    }
                    CardAnswer::Refused(sw) => {
                        self.state = State::Idle;
                        status(sw)
                    }
                }
            }
            (0xA4, 0x04) => {
                if apdu.data == EMRTD_AID {
                    self.state = State::Selected { challenge: None };
                    status(sw::OK)
                } else {
                    status(sw::FILE_NOT_FOUND)
                }
            }
            (0x84, _) => {
                if !matches!(self.state, State::Selected { .. }) {
                    return status(sw::CONDITIONS_NOT_SATISFIED);
                }
                if apdu.le != Some(8) || !apdu.data.is_empty() {
                    return status(sw::WRONG_LENGTH);
                }
                let (rnd_icc, _) = self.random()?;
                self.state = State::Selected {
                    challenge: Some(rnd_icc),
                };
                Ok(ResponseApdu::new(rnd_icc, sw::OK).to_bytes())
            }
            (0x82, _) => {
                let State::Selected {
                    challenge: Some(rnd_icc),
                } = self.state
                else {
                    return status(sw::CONDITIONS_NOT_SATISFIED);
                };
                // A challenge serves once.
                self.state = State::Selected { challenge: None };
                if apdu.data.len() != 40 {
                    return status(sw::WRONG_LENGTH);
                }
                let (_, k_icc) = self.random()?;
                match bac::card_answer(&self.keys, &rnd_icc, &k_icc, &apdu.data) {
                    Ok((answer, sm)) => {
                        self.state = State::Secure { sm, current: None };
                        Ok(ResponseApdu::new(answer, sw::OK).to_bytes())
                    }
                    Err(_) => status(sw::AUTHENTICATION_FAILED),
                }
            }
            (0xA4, _) | (0xB0, _) => status(sw::SECURITY_STATUS_NOT_SATISFIED),
            _ => status(sw::INS_NOT_SUPPORTED),
        }
    }

    /// A command in the secure-messaging state.
    fn secure(&mut self, apdu: &CommandApdu) -> Vec<u8> {
        let State::Secure { sm, current } = &mut self.state else {
            return sw::CONDITIONS_NOT_SATISFIED.to_be_bytes().to_vec();
        };
        let ca_selected = std::mem::take(&mut self.ca_selected);
        let plain = match sm.unprotect_command(apdu) {
            Ok(plain) => plain,
            Err(e) => {
                let sw = match e {
                    SmError::NotProtected => sw::SM_OBJECTS_MISSING,
                    _ => sw::SM_OBJECTS_INCORRECT,
                };
                // An SM error ends the session.
                self.state = State::Selected { challenge: None };
                return sw.to_be_bytes().to_vec();
            }
        };
        let (data, status) = match (plain.ins, plain.p1, plain.p2) {
            // Chip authentication: MSE:Set AT, then GENERAL AUTHENTICATE; the answer goes under
            // the old keys, everything after under the new.
            (0x22, 0x41, 0xA4) => {
                let oid = crate::lds::oid_bytes(crate::lds::CA_ECDH_AES_128).unwrap_or_default();
                let named = crate::tlv::Reader::new(&plain.data)
                    .expect(crate::tlv::Tag(0x80))
                    .is_ok_and(|t| t.value == oid.as_slice());
                if named && self.ca_secret.is_some() {
                    self.ca_selected = true;
                    (Vec::new(), sw::OK)
                } else {
                    (Vec::new(), sw::WRONG_DATA)
                }
            }
            (0x86, 0x00, 0x00) if ca_selected => {
                let new = self.ca_secret.as_ref().and_then(|secret| {
                    super::authenticity::card_chip_authentication(secret, &plain.data)
                });
                match new {
                    Some(new) => {
                        let answer = sm.protect_response(plain.ins, &[0x7C, 0x00], sw::OK);
                        *sm = new;
                        return answer;
                    }
                    None => (Vec::new(), sw::WRONG_DATA),
                }
            }
            (0x88, 0x00, 0x00) => match &self.aa_secret {
                Some(secret) if plain.data.len() == 8 => {
                    match super::authenticity::card_active_authentication(secret, &plain.data) {
                        Some(signature) => (signature, sw::OK),
                        None => (Vec::new(), sw::CONDITIONS_NOT_SATISFIED),
                    }
                }
                Some(_) => (Vec::new(), sw::WRONG_LENGTH),
                None => (Vec::new(), sw::INS_NOT_SUPPORTED),
            },
            // After PACE, which runs in the master file.
            (0xA4, 0x04, 0x0C) => {
                if plain.data == EMRTD_AID {
                    (Vec::new(), sw::OK)
                } else {
                    (Vec::new(), sw::FILE_NOT_FOUND)
                }
            }
            (0xA4, 0x00 | 0x02, 0x0C) => match <[u8; 2]>::try_from(plain.data.as_slice()) {
                Ok(fid) => {
                    let fid = u16::from_be_bytes(fid);
                    if self.files.contains_key(&fid) {
                        *current = Some(fid);
                        (Vec::new(), sw::OK)
                    } else {
                        *current = None;
                        (Vec::new(), sw::FILE_NOT_FOUND)
                    }
                }
                Err(_) => (Vec::new(), sw::WRONG_LENGTH),
            },
            (0xA4, _, _) => (Vec::new(), sw::WRONG_PARAMETERS),
            (0xB0, p1, p2) if p1 & 0x80 == 0 => read_binary(
                current.and_then(|fid| self.files.get(&fid)),
                p1,
                p2,
                plain.le,
            ),
            (0xB0, _, _) => (Vec::new(), sw::WRONG_PARAMETERS),
            _ => (Vec::new(), sw::INS_NOT_SUPPORTED),
        };
        sm.protect_response(plain.ins, &data, status)
    }
}

/// READ BINARY of `file` at offset P1-P2: the data and the status.
fn read_binary(file: Option<&Vec<u8>>, p1: u8, p2: u8, le: Option<u32>) -> (Vec<u8>, u16) {
    if p1 & 0x80 != 0 {
        return (Vec::new(), sw::WRONG_PARAMETERS);
    }
    match (file, le) {
        (None, _) => (Vec::new(), sw::COMMAND_NOT_ALLOWED),
        (Some(_), None) => (Vec::new(), sw::WRONG_LENGTH),
        (Some(file), Some(le)) => {
            let offset = usize::from(u16::from_be_bytes([p1, p2]));
            match file.get(offset..) {
                None => (Vec::new(), sw::WRONG_PARAMETERS),
                Some(rest) => {
                    let n = rest.len().min(le as usize);
                    let status = if n < le as usize {
                        sw::END_OF_FILE
                    } else {
                        sw::OK
                    };
                    (rest.get(..n).unwrap_or_default().to_vec(), status)
                }
            }
        }
    }
}

impl CardTransport for SimulatedCard {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.process(command)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::reader::{fid, ChipReader};
    use super::super::ChipError;
    use super::*;
    use crate::chip::test_hex::{a16, a8, h};
    use proptest::prelude::*;

    /// Records what goes over the link and lets a test alter the card's answers.
    #[derive(Debug)]
    struct Wire<T> {
        inner: T,
        sent: Vec<Vec<u8>>,
        received: Vec<Vec<u8>>,
        /// Flip the last byte of the MAC (DO'8E') of the n-th answer (0-based).
        tamper_answer: Option<usize>,
        /// Flip the byte before Le of the n-th command (0-based).
        tamper_command: Option<usize>,
    }

    impl<T: CardTransport> Wire<T> {
        fn new(inner: T) -> Self {
            Wire {
                inner,
                sent: Vec::new(),
                received: Vec::new(),
                tamper_answer: None,
                tamper_command: None,
            }
        }
    }

    impl<T: CardTransport> CardTransport for Wire<T> {
        fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
            let mut command = command.to_vec();
            if self.tamper_command == Some(self.sent.len()) && command.len() > 2 {
                let i = command.len() - 2;
                command[i] ^= 0x01;
            }
            self.sent.push(command.clone());
            let mut answer = self.inner.transmit(&command)?;
            if self.tamper_answer == Some(self.received.len()) && answer.len() > 3 {
                let i = answer.len() - 3;
                answer[i] ^= 0x01;
            }
            self.received.push(answer.clone());
            Ok(answer)
        }
    }

    fn worked_example_mrz() -> MrzInformation {
        MrzInformation::new("L898902C", "690806", "940623").unwrap()
    }

    /// EF.COM of Doc 9303 Part 11 D.4 (LDS 1.7, Unicode 4.0.0, DG1 and DG2).
    fn ef_com() -> Vec<u8> {
        h("60145F0104303130365F36063034303030305C026175")
    }

    #[test]
    fn reads_the_worked_example_byte_for_byte() {
        let card = SimulatedCard::new(&worked_example_mrz())
            .with_file(fid::EF_COM, ef_com())
            .with_fixed_nonces(
                a8("4608F91988702212"),
                a16("0B4F80323EB3191CB04970CB4052790B"),
            );
        let mut reader = ChipReader::connect_with(
            Wire::new(card),
            &worked_example_mrz(),
            &a8("781723860C06C226"),
            &a16("0B795240CB7049B01C19B33E32804F0B"),
        )
        .unwrap();
        assert_eq!(reader.session().ssc(), a8("887022120C06C226"));
        assert_eq!(reader.read_file(fid::EF_COM).unwrap(), ef_com());
        let wire = reader.into_transport();
        assert!(wire.inner.is_authenticated());
        let sent: Vec<Vec<u8>> = wire.sent.clone();
        assert_eq!(
            sent,
            [
                h("00A4040C07A0000002471001"),
                h("0084000008"),
                h("0082000028 72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2 5F1448EEA8AD90A7 28"),
                h("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"),
                h("0CB000000D9701048E08ED6705417E96BA5500"),
                h("0CB000040D9701128E082EA28A70F3C7B53500"),
            ]
        );
        assert_eq!(
            wire.received,
            [
                h("9000"),
                h("4608F91988702212 9000"),
                h("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F 2F2D235D074D7449 9000"),
                h("990290008E08FA855A5D4C50A8ED9000"),
                h("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"),
                h("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"),
            ]
        );
    }

    /// A file of `len` bytes in total: tag 75 (DG2), a long-form length, then counting bytes.
    fn big_file(len: usize) -> Vec<u8> {
        let value_len = len - 4;
        let mut f = vec![0x75, 0x82, (value_len >> 8) as u8, value_len as u8];
        f.extend((0..value_len).map(|i| (i % 251) as u8));
        f
    }

    #[test]
    fn reads_files_through_bac_and_secure_messaging() {
        let mrz = MrzInformation::new("090012345", "900101", "300101").unwrap();
        let dg2 = big_file(5000);
        let card = SimulatedCard::new(&mrz)
            .with_file(fid::EF_COM, ef_com())
            .with_file(fid::DG2, dg2.clone())
            .with_file(fid::DG1, h("6103 5F1F00"))
            .with_file(0x0105, h("6501AA"));
        let mut reader = ChipReader::connect(card, &mrz).unwrap();
        assert_eq!(reader.read_file(fid::DG2).unwrap(), dg2);
        assert_eq!(reader.read_file(fid::EF_COM).unwrap(), ef_com());
        assert_eq!(reader.read_file(fid::DG1).unwrap(), h("6103 5F1F00"));
        // Shorter than the first read: the card answers 6282 with what there is.
        assert_eq!(reader.read_file(0x0105).unwrap(), h("6501AA"));
        assert_eq!(
            reader.read_file(fid::DG13).unwrap_err(),
            ChipError::FileNotFound { fid: fid::DG13 }
        );
        // The session survives a missing file.
        assert_eq!(reader.read_file(fid::EF_COM).unwrap(), ef_com());
    }

    #[test]
    fn the_wrong_mrz_is_refused() {
        let card_mrz = MrzInformation::new("090012345", "900101", "300101").unwrap();
        let typed = MrzInformation::new("090012346", "900101", "300101").unwrap();
        let card = SimulatedCard::new(&card_mrz).with_file(fid::EF_COM, ef_com());
        let e = ChipReader::connect(card, &typed).unwrap_err();
        assert_eq!(e, ChipError::BacRefused { sw: 0x6300 });
        assert!(
            e.to_string().starts_with("Basic Access Control failed"),
            "{e}"
        );
        assert!(e.to_string().contains("6300"));
        assert!(
            e.vi()
                .starts_with("Kiểm soát truy cập cơ bản (BAC) thất bại"),
            "{}",
            e.vi()
        );
    }

    #[test]
    fn a_tampered_response_mac_is_detected() {
        let mrz = worked_example_mrz();
        let card = SimulatedCard::new(&mrz).with_file(fid::EF_COM, ef_com());
        let mut wire = Wire::new(card);
        // Answers: SELECT EF.CardAccess, SELECT AID, GET CHALLENGE, EXTERNAL AUTHENTICATE,
        // SELECT EF.COM, READ BINARY.
        wire.tamper_answer = Some(5);
        let mut reader = ChipReader::connect(wire, &mrz).unwrap();
        let e = reader.read_file(fid::EF_COM).unwrap_err();
        assert_eq!(
            e,
            ChipError::Sm {
                step: crate::chip::Step::ReadBinary(fid::EF_COM),
                error: SmError::BadMac
            }
        );
        assert!(e.to_string().contains("MAC does not match"), "{e}");
    }

    #[test]
    fn the_card_refuses_what_is_not_protected_or_badly_maced() {
        let mrz = worked_example_mrz();
        let card = SimulatedCard::new(&mrz).with_file(fid::EF_COM, ef_com());
        // Before BAC, files are closed.
        let mut plain = card.clone();
        assert_eq!(
            plain.transmit(&h("00A4040C07A0000002471001")).unwrap(),
            h("9000")
        );
        assert_eq!(plain.transmit(&h("00A4020C02011E")).unwrap(), h("6982"));
        assert_eq!(plain.transmit(&h("0082000028")).unwrap(), h("6985"));

        let reader = ChipReader::connect(card, &mrz).unwrap();
        let mut card = reader.into_transport();
        assert!(card.is_authenticated());
        // An unprotected command during secure messaging: 6987, and the session ends.
        assert_eq!(card.transmit(&h("00A4020C02011E")).unwrap(), h("6987"));
        assert!(!card.is_authenticated());

        let reader = ChipReader::connect(card, &mrz).unwrap();
        let mut sm = reader.session().clone();
        let mut card = reader.into_transport();
        let mut protected = sm
            .protect_command(&CommandApdu::select_file(fid::EF_COM))
            .unwrap();
        let last_mac_byte = protected.len() - 2;
        protected[last_mac_byte] ^= 0x01;
        assert_eq!(card.transmit(&protected).unwrap(), h("6988"));
        assert!(!card.is_authenticated());
        // The terminal reads that bare status as a refusal without secure messaging.
        assert_eq!(
            sm.unprotect_response(&h("6988")),
            Err(SmError::Unprotected { sw: 0x6988 })
        );
    }

    #[test]
    fn a_file_that_does_not_start_with_tlv_is_reported() {
        let mrz = worked_example_mrz();
        let card = SimulatedCard::new(&mrz).with_file(0x0101, h("6180"));
        let mut reader = ChipReader::connect(card, &mrz).unwrap();
        assert!(matches!(
            reader.read_file(0x0101),
            Err(ChipError::FileHeader { fid: 0x0101, .. })
        ));
        let card = SimulatedCard::new(&mrz).with_file(0x0102, h("7583FFFFFF"));
        let mut reader = ChipReader::connect(card, &mrz).unwrap();
        assert!(matches!(
            reader.read_file(0x0102),
            Err(ChipError::FileTooLarge { fid: 0x0102, .. })
        ));
    }

    fn pace_card(mrz: &MrzInformation) -> SimulatedCard {
        SimulatedCard::new(mrz)
            .with_pace()
            .with_file(fid::EF_COM, ef_com())
            .with_file(
                fid::DG1,
                crate::lds::testkit::encode_dg1(&crate::lds::testkit::sample_mrz()),
            )
    }

    fn sample_mrz_information() -> MrzInformation {
        crate::chip::mrz::parse(&crate::lds::testkit::sample_mrz())
            .unwrap()
            .mrz_information()
    }

    #[test]
    fn pace_then_dg1_under_aes_secure_messaging() {
        let mrz = sample_mrz_information();
        let mut reader = ChipReader::connect(Wire::new(pace_card(&mrz)), &mrz).unwrap();
        assert_eq!(reader.access(), super::super::reader::AccessControl::Pace);
        assert_eq!(
            reader.session().cipher(),
            super::super::sm::SmCipher::Aes128
        );
        let dg1 = reader.read_file(fid::DG1).unwrap();
        let parsed = crate::lds::parse_dg1(&dg1).unwrap();
        assert_eq!(
            parsed.mrz.replace('\n', ""),
            crate::lds::testkit::sample_mrz()
        );
        assert_eq!(reader.read_file(fid::EF_COM).unwrap(), ef_com());
        let wire = reader.into_transport();
        assert!(wire.inner.is_authenticated());
        // MSE:Set AT, then the GENERAL AUTHENTICATE chain: three chained, one last.
        let commands: Vec<(u8, u8)> = wire.sent.iter().map(|c| (c[0], c[1])).collect();
        assert_eq!(
            commands[3..9],
            [
                (0x00, 0x22),
                (0x10, 0x86),
                (0x10, 0x86),
                (0x10, 0x86),
                (0x00, 0x86),
                (0x0C, 0xA4)
            ]
        );
        // After PACE every command is protected, DG1 never crosses the link in clear.
        let mrz_text = crate::lds::testkit::sample_mrz();
        assert!(wire
            .received
            .iter()
            .all(|r| !r.windows(30).any(|w| w == &mrz_text.as_bytes()[..30])));
    }

    #[test]
    fn a_card_without_pace_gets_bac() {
        let mrz = sample_mrz_information();
        let card = SimulatedCard::new(&mrz).with_file(fid::EF_COM, ef_com());
        let mut reader = ChipReader::connect(card, &mrz).unwrap();
        assert_eq!(reader.access(), super::super::reader::AccessControl::Bac);
        assert_eq!(reader.read_file(fid::EF_COM).unwrap(), ef_com());
        // A PACE card still answers BAC when asked.
        let mut reader = ChipReader::connect_bac(pace_card(&mrz), &mrz).unwrap();
        assert_eq!(reader.access(), super::super::reader::AccessControl::Bac);
        assert_eq!(reader.read_file(fid::EF_COM).unwrap(), ef_com());
    }

    #[test]
    fn pace_with_the_wrong_mrz_is_refused_at_the_tokens() {
        let mrz = sample_mrz_information();
        let typed = MrzInformation::new("185012346", "850902", "450902").unwrap();
        let e = ChipReader::connect(pace_card(&mrz), &typed).unwrap_err();
        assert_eq!(
            e,
            ChipError::PaceRefused {
                step: crate::chip::Step::PaceMutualAuthentication,
                sw: 0x6300
            }
        );
        let en = e.to_string();
        assert!(en.contains("step 4: mutual authentication"), "{en}");
        assert!(en.contains("check the document number"), "{en}");
        assert!(e.vi().contains("bước 4"), "{}", e.vi());
    }

    #[test]
    fn a_tampered_pace_token_is_refused() {
        let mrz = sample_mrz_information();
        // Commands: SELECT EF.CardAccess, two READ BINARY, MSE:Set AT, GA ×4.
        let mut wire = Wire::new(pace_card(&mrz));
        wire.tamper_command = Some(7);
        let e = ChipReader::connect(wire, &mrz).unwrap_err();
        assert_eq!(
            e,
            ChipError::PaceRefused {
                step: crate::chip::Step::PaceMutualAuthentication,
                sw: 0x6300
            }
        );
        // The card's token altered on the way: the terminal refuses it.
        let mut wire = Wire::new(pace_card(&mrz));
        wire.tamper_answer = Some(7);
        let e = ChipReader::connect(wire, &mrz).unwrap_err();
        assert_eq!(
            e,
            ChipError::Pace {
                step: crate::chip::Step::PaceMutualAuthentication,
                error: crate::chip::pace::PaceError::BadToken
            }
        );
        assert!(e.to_string().contains("authentication token"), "{e}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn the_simulator_never_panics(commands in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..60), 0..6)) {
            let mrz = worked_example_mrz();
            let mut card = SimulatedCard::new(&mrz).with_file(fid::EF_COM, ef_com());
            for c in &commands {
                let _ = card.transmit(c);
            }
            // A PACE card with chip keys, fed the same before and after PACE.
            let mut pace = pace_card(&mrz).with_chip_keys([7; 32], [9; 32]);
            for c in &commands {
                prop_assert!(pace.transmit(c).unwrap().len() >= 2);
            }
            let mut pace = ChipReader::connect(pace_card(&mrz).with_chip_keys([7; 32], [9; 32]), &mrz)
                .unwrap()
                .into_transport();
            for c in &commands {
                prop_assert!(pace.transmit(c).unwrap().len() >= 2);
            }
            // Also inside a session.
            let reader = ChipReader::connect(card, &mrz).unwrap();
            let mut card = reader.into_transport();
            for c in &commands {
                let r = card.transmit(c).unwrap();
                prop_assert!(r.len() >= 2);
            }
        }

        #[test]
        fn files_of_any_size_read_back(len in 4usize..2000) {
            let mrz = worked_example_mrz();
            let f = big_file(len.max(130));
            let card = SimulatedCard::new(&mrz).with_file(0x0102, f.clone());
            let mut reader = ChipReader::connect(card, &mrz).unwrap();
            prop_assert_eq!(reader.read_file(0x0102).unwrap(), f);
        }
    }
}
