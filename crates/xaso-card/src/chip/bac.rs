//! Basic Access Control (Doc 9303 Part 11, 4.3 and 9.7): the document basic access keys from
//! the MRZ information, the mutual authentication of terminal and card (GET CHALLENGE, then
//! EXTERNAL AUTHENTICATE with the terminal's cryptogram E_IFD ‖ M_IFD), and the session keys
//! and send sequence counter for secure messaging.
//!
//! The terminal's steps are [`terminal_cryptogram`] and [`terminal_finish`]; the card's is
//! [`card_answer`] (for the simulator); [`authenticate`] runs the terminal's side over a
//! [`CardTransport`].

use std::fmt;

use super::apdu::{sw, CardTransport, CommandApdu};
use super::crypto::{
    derive_key, mac_eq, retail_mac, sha1_16, tdes_cbc_decrypt, tdes_cbc_encrypt, KDF_ENC, KDF_MAC,
};
use super::mrz::MrzInformation;
use super::sm::SecureMessaging;
use super::{transceive, ChipError, Step};

/// The document basic access keys. Their `Debug` hides them.
#[derive(Clone, PartialEq, Eq)]
pub struct BacKeys {
    k_seed: [u8; 16],
    k_enc: [u8; 16],
    k_mac: [u8; 16],
}

impl fmt::Debug for BacKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BacKeys(..)")
    }
}

impl BacKeys {
    /// K_seed = the first 16 bytes of SHA-1(MRZ information); K_enc and K_mac derived from it.
    pub fn from_mrz(info: &MrzInformation) -> BacKeys {
        BacKeys::from_seed(sha1_16(info.as_str().as_bytes()))
    }

    pub fn from_seed(k_seed: [u8; 16]) -> BacKeys {
        BacKeys {
            k_seed,
            k_enc: derive_key(&k_seed, KDF_ENC),
            k_mac: derive_key(&k_seed, KDF_MAC),
        }
    }

    pub fn k_seed(&self) -> [u8; 16] {
        self.k_seed
    }

    pub fn k_enc(&self) -> [u8; 16] {
        self.k_enc
    }

    pub fn k_mac(&self) -> [u8; 16] {
        self.k_mac
    }
}

/// Why a BAC cryptogram did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BacError {
    /// A cryptogram is 40 bytes: 32 encrypted, 8 of MAC.
    WrongLength { got: usize },
    /// The MAC over the cryptogram does not match: the other side used other keys (another
    /// MRZ), or the bytes were altered.
    BadMac,
    /// The decrypted cryptogram does not hold the nonces this side sent.
    NonceMismatch,
}

impl fmt::Display for BacError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Basic Access Control failed: ")?;
        match self {
            BacError::WrongLength { got } => {
                write!(f, "the card's answer has {got} bytes instead of 40")
            }
            BacError::BadMac => {
                f.write_str("the cryptogram's MAC does not match the keys derived from the MRZ")
            }
            BacError::NonceMismatch => {
                f.write_str("the cryptogram does not hold the challenge that was sent")
            }
        }
    }
}

impl std::error::Error for BacError {}

impl BacError {
    /// In Vietnamese.
    pub fn vi(&self) -> String {
        let what = match self {
            BacError::WrongLength { got } => {
                format!("phản hồi của thẻ có {got} byte thay vì 40")
            }
            BacError::BadMac => {
                "mã xác thực của bản mã không khớp với khoá tính từ vùng MRZ".to_owned()
            }
            BacError::NonceMismatch => "bản mã không chứa số thách thức đã gửi".to_owned(),
        };
        format!("Kiểm soát truy cập cơ bản (BAC) thất bại: {what}")
    }
}

/// E ‖ MAC(E): encrypts the 32 bytes under K_enc (3DES-CBC, zero IV) and appends the retail
/// MAC under K_mac.
fn seal(keys: &BacKeys, plain: &[u8; 32]) -> [u8; 40] {
    let mut out = [0u8; 40];
    // 32 bytes are whole blocks: encryption cannot fail.
    let e = tdes_cbc_encrypt(&keys.k_enc, plain).unwrap_or_default();
    for (o, b) in out.iter_mut().zip(&e) {
        *o = *b;
    }
    let m = retail_mac(&keys.k_mac, &e);
    for (o, b) in out[32..].iter_mut().zip(&m) {
        *o = *b;
    }
    out
}

/// Checks the MAC of E ‖ MAC(E) and decrypts E.
fn open(keys: &BacKeys, sealed: &[u8]) -> Result<[u8; 32], BacError> {
    let Some((e, m)) = sealed.split_at_checked(32).filter(|(_, m)| m.len() == 8) else {
        return Err(BacError::WrongLength { got: sealed.len() });
    };
    if !mac_eq(&retail_mac(&keys.k_mac, e), m) {
        return Err(BacError::BadMac);
    }
    let plain =
        tdes_cbc_decrypt(&keys.k_enc, e).ok_or(BacError::WrongLength { got: sealed.len() })?;
    let mut out = [0u8; 32];
    for (o, b) in out.iter_mut().zip(&plain) {
        *o = *b;
    }
    Ok(out)
}

fn concat(a: &[u8; 8], b: &[u8; 8], k: &[u8; 16]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (o, x) in out.iter_mut().zip(a.iter().chain(b).chain(k)) {
        *o = *x;
    }
    out
}

fn split(s: &[u8; 32]) -> ([u8; 8], [u8; 8], [u8; 16]) {
    let mut a = [0u8; 8];
    let mut b = [0u8; 8];
    let mut k = [0u8; 16];
    a.copy_from_slice(&s[0..8]);
    b.copy_from_slice(&s[8..16]);
    k.copy_from_slice(&s[16..32]);
    (a, b, k)
}

/// The terminal's EXTERNAL AUTHENTICATE data: E_IFD ‖ M_IFD, where S = RND.IFD ‖ RND.ICC ‖
/// K.IFD, E_IFD = 3DES-CBC(K_enc, S) and M_IFD = retail MAC(K_mac, E_IFD).
pub fn terminal_cryptogram(
    keys: &BacKeys,
    rnd_icc: &[u8; 8],
    rnd_ifd: &[u8; 8],
    k_ifd: &[u8; 16],
) -> [u8; 40] {
    seal(keys, &concat(rnd_ifd, rnd_icc, k_ifd))
}

/// The session keys and counter from both key halves and nonces: K_seed = K.IFD xor K.ICC,
/// KS_enc and KS_mac derived from it, SSC = the last four bytes of RND.ICC ‖ the last four of
/// RND.IFD.
pub fn session(
    k_ifd: &[u8; 16],
    k_icc: &[u8; 16],
    rnd_icc: &[u8; 8],
    rnd_ifd: &[u8; 8],
) -> SecureMessaging {
    let seed = session_seed(k_ifd, k_icc);
    let mut ssc = [0u8; 8];
    ssc[..4].copy_from_slice(&rnd_icc[4..]);
    ssc[4..].copy_from_slice(&rnd_ifd[4..]);
    SecureMessaging::new(derive_key(&seed, KDF_ENC), derive_key(&seed, KDF_MAC), ssc)
}

/// K.IFD xor K.ICC: the seed of the session keys.
pub fn session_seed(k_ifd: &[u8; 16], k_icc: &[u8; 16]) -> [u8; 16] {
    let mut seed = [0u8; 16];
    for ((s, a), b) in seed.iter_mut().zip(k_ifd).zip(k_icc) {
        *s = a ^ b;
    }
    seed
}

/// The terminal checks the card's answer E_ICC ‖ M_ICC (R = RND.ICC ‖ RND.IFD ‖ K.ICC) and
/// opens the secure-messaging session.
pub fn terminal_finish(
    keys: &BacKeys,
    rnd_icc: &[u8; 8],
    rnd_ifd: &[u8; 8],
    k_ifd: &[u8; 16],
    card_answer: &[u8],
) -> Result<SecureMessaging, BacError> {
    let r = open(keys, card_answer)?;
    let (icc, ifd, k_icc) = split(&r);
    if !mac_eq(&icc, rnd_icc) || !mac_eq(&ifd, rnd_ifd) {
        return Err(BacError::NonceMismatch);
    }
    Ok(session(k_ifd, &k_icc, rnd_icc, rnd_ifd))
}

/// The card's side: checks the terminal's cryptogram against the challenge it gave, and
/// answers E_ICC ‖ M_ICC with its own key half, opening its session.
pub fn card_answer(
    keys: &BacKeys,
    rnd_icc: &[u8; 8],
    k_icc: &[u8; 16],
    terminal_cryptogram: &[u8],
) -> Result<([u8; 40], SecureMessaging), BacError> {
    let s = open(keys, terminal_cryptogram)?;
    let (rnd_ifd, icc, k_ifd) = split(&s);
    if !mac_eq(&icc, rnd_icc) {
        return Err(BacError::NonceMismatch);
    }
    let answer = seal(keys, &concat(rnd_icc, &rnd_ifd, k_icc));
    Ok((answer, session(&k_ifd, k_icc, rnd_icc, &rnd_ifd)))
}

/// Runs BAC over `transport` with fresh random RND.IFD and K.IFD; the eMRTD application must
/// be selected already ([`crate::chip::reader::ChipReader::connect`] does both).
pub fn authenticate<T: CardTransport + ?Sized>(
    transport: &mut T,
    keys: &BacKeys,
) -> Result<SecureMessaging, ChipError> {
    let mut random = [0u8; 24];
    getrandom::fill(&mut random).map_err(|_| ChipError::Random)?;
    let (rnd_ifd, k_ifd) = {
        let mut n = [0u8; 8];
        let mut k = [0u8; 16];
        n.copy_from_slice(&random[..8]);
        k.copy_from_slice(&random[8..]);
        (n, k)
    };
    authenticate_with(transport, keys, &rnd_ifd, &k_ifd)
}

/// [`authenticate`] with the terminal's nonce and key half given (tests, the worked example).
pub fn authenticate_with<T: CardTransport + ?Sized>(
    transport: &mut T,
    keys: &BacKeys,
    rnd_ifd: &[u8; 8],
    k_ifd: &[u8; 16],
) -> Result<SecureMessaging, ChipError> {
    let challenge = transceive(transport, Step::GetChallenge, &CommandApdu::get_challenge())?;
    if !challenge.is_ok() {
        return Err(ChipError::Status {
            step: Step::GetChallenge,
            sw: challenge.sw,
        });
    }
    let rnd_icc: [u8; 8] =
        challenge
            .data
            .as_slice()
            .try_into()
            .map_err(|_| ChipError::Malformed {
                step: Step::GetChallenge,
                what: "a challenge of other than 8 bytes",
            })?;
    let cryptogram = terminal_cryptogram(keys, &rnd_icc, rnd_ifd, k_ifd);
    let answer = transceive(
        transport,
        Step::ExternalAuthenticate,
        &CommandApdu::external_authenticate(&cryptogram),
    )?;
    if answer.sw != sw::OK {
        return Err(ChipError::BacRefused { sw: answer.sw });
    }
    terminal_finish(keys, &rnd_icc, rnd_ifd, k_ifd, &answer.data).map_err(ChipError::Bac)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::chip::test_hex::{a16, a8, h};

    // Doc 9303 Part 11, Appendix D.2 and D.3.
    const RND_ICC: &str = "4608F91988702212";
    const RND_IFD: &str = "781723860C06C226";
    const K_IFD: &str = "0B795240CB7049B01C19B33E32804F0B";
    const K_ICC: &str = "0B4F80323EB3191CB04970CB4052790B";

    #[test]
    fn the_worked_example_step_by_step() {
        let info = MrzInformation::new("L898902C", "690806", "940623").unwrap();
        assert_eq!(info.as_str(), "L898902C<369080619406236");
        let keys = BacKeys::from_mrz(&info);
        assert_eq!(keys.k_seed(), a16("239AB9CB282DAF66231DC5A4DF6BFBAE"));
        assert_eq!(keys.k_enc(), a16("AB94FDECF2674FDFB9B391F85D7F76F2"));
        assert_eq!(keys.k_mac(), a16("7962D9ECE03D1ACD4C76089DCE131543"));

        let (rnd_icc, rnd_ifd, k_ifd, k_icc) = (a8(RND_ICC), a8(RND_IFD), a16(K_IFD), a16(K_ICC));
        // S, E_IFD, M_IFD.
        assert_eq!(
            concat(&rnd_ifd, &rnd_icc, &k_ifd).to_vec(),
            h("781723860C06C2264608F919887022120B795240CB7049B01C19B33E32804F0B")
        );
        let cmd_data = terminal_cryptogram(&keys, &rnd_icc, &rnd_ifd, &k_ifd);
        assert_eq!(
            cmd_data.to_vec(),
            h("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2 5F1448EEA8AD90A7")
        );
        assert_eq!(
            CommandApdu::external_authenticate(&cmd_data).to_bytes(),
            h("0082000028 72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2 5F1448EEA8AD90A7 28")
        );

        // The card: R, E_ICC, M_ICC.
        let (answer, card_session) = card_answer(&keys, &rnd_icc, &k_icc, &cmd_data).unwrap();
        assert_eq!(
            concat(&rnd_icc, &rnd_ifd, &k_icc).to_vec(),
            h("4608F91988702212781723860C06C2260B4F80323EB3191CB04970CB4052790B")
        );
        assert_eq!(
            answer.to_vec(),
            h("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F 2F2D235D074D7449")
        );

        // The session.
        assert_eq!(
            session_seed(&k_ifd, &k_icc),
            a16("0036D272F5C350ACAC50C3F572D23600")
        );
        let sm = terminal_finish(&keys, &rnd_icc, &rnd_ifd, &k_ifd, &answer).unwrap();
        assert_eq!(sm.ks_enc(), a16("979EC13B1CBFE9DCD01AB0FED307EAE5"));
        assert_eq!(sm.ks_mac(), a16("F1CB1F1FB5ADF208806B89DC579DC1F8"));
        assert_eq!(sm.ssc(), a8("887022120C06C226"));
        assert_eq!(card_session, sm);
    }

    #[test]
    fn a_long_document_number() {
        // Doc 9303 Part 11 D.2, the second specimen: the whole 12-character number is hashed.
        let info = MrzInformation::new("D23145890734", "340712", "950712").unwrap();
        assert_eq!(info.as_str(), "D23145890734934071279507122");
        assert_eq!(
            BacKeys::from_mrz(&info).k_seed(),
            a16("B366AD857DDCA2B08C0E299811714730")
        );
    }

    #[test]
    fn wrong_keys_and_altered_cryptograms_are_refused() {
        let keys = BacKeys::from_mrz(&MrzInformation::new("L898902C", "690806", "940623").unwrap());
        let other =
            BacKeys::from_mrz(&MrzInformation::new("L898902C", "690806", "940624").unwrap());
        let (rnd_icc, rnd_ifd, k_ifd, k_icc) = (a8(RND_ICC), a8(RND_IFD), a16(K_IFD), a16(K_ICC));
        let cmd = terminal_cryptogram(&other, &rnd_icc, &rnd_ifd, &k_ifd);
        assert_eq!(
            card_answer(&keys, &rnd_icc, &k_icc, &cmd).unwrap_err(),
            BacError::BadMac
        );
        // A replayed cryptogram for another challenge.
        let cmd = terminal_cryptogram(&keys, &rnd_icc, &rnd_ifd, &k_ifd);
        assert_eq!(
            card_answer(&keys, &a8("0000000000000000"), &k_icc, &cmd).unwrap_err(),
            BacError::NonceMismatch
        );
        let (answer, _) = card_answer(&keys, &rnd_icc, &k_icc, &cmd).unwrap();
        let mut bad = answer;
        bad[0] ^= 1;
        assert_eq!(
            terminal_finish(&keys, &rnd_icc, &rnd_ifd, &k_ifd, &bad).unwrap_err(),
            BacError::BadMac
        );
        assert_eq!(
            terminal_finish(&keys, &rnd_icc, &a8("0000000000000000"), &k_ifd, &answer).unwrap_err(),
            BacError::NonceMismatch
        );
        assert_eq!(
            terminal_finish(&keys, &rnd_icc, &rnd_ifd, &k_ifd, &answer[..39]).unwrap_err(),
            BacError::WrongLength { got: 39 }
        );
        assert!(BacError::BadMac
            .to_string()
            .starts_with("Basic Access Control failed"));
        assert!(BacError::BadMac
            .vi()
            .starts_with("Kiểm soát truy cập cơ bản (BAC) thất bại"));
    }
}
