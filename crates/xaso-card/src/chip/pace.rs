//! PACE, Password Authenticated Connection Establishment (Doc 9303 Part 11 §4.4 and §9.7;
//! BSI TR-03110 Part 2 §3.2), with the MRZ as password: id-PACE-ECDH-GM-AES-CBC-CMAC-128 on
//! NIST P-256 (standardized domain parameters 12).
//!
//! 1. MSE:Set AT names the protocol, the password (MRZ, reference 01) and the curve.
//! 2. The card sends a nonce `s` encrypted under K_π = KDF(SHA-1(MRZ information), 3)
//!    (AES-CBC, zero IV).
//! 3. Generic mapping: both sides exchange ephemeral keys; with H = their ECDH point, the new
//!    generator is G' = s·G + H.
//! 4. Key agreement on G': both sides exchange ephemeral keys; K is the x coordinate of the
//!    shared point, KS_enc = KDF(K, 1), KS_mac = KDF(K, 2).
//! 5. Mutual authentication: each sends CMAC(KS_mac, the other's public key data object 7F49)
//!    truncated to 8 bytes. A card with another MRZ decrypts another nonce, so its G', K and
//!    tokens differ: it refuses the terminal's token.
//!
//! Cards in the field mostly use brainpoolP256r1 (parameter 13), which the curve crates here
//! do not offer; the curve-independent parts of the worked example (Part 11 Appendix G.1:
//! K_π, the nonce, the session keys from the shared secret, the tokens) are checked in the
//! tests below.
//!
//! Both sides are here: [`authenticate`] is the terminal's, [`CardPace`] the card's (for the
//! simulator).

use std::fmt;

use p256::elliptic_curve::ff::{Field, PrimeField};
use p256::elliptic_curve::group::Group;
use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use p256::{AffinePoint, EncodedPoint, FieldBytes, ProjectivePoint, Scalar};

use super::apdu::{sw, CardTransport, CommandApdu};
use super::crypto::{aes_cbc_decrypt, aes_cbc_encrypt, aes_cmac8, derive_aes128_key, mac_eq};
use super::crypto::{KDF_ENC, KDF_MAC, KDF_PI};
use super::mrz::MrzInformation;
use super::sm::SecureMessaging;
use super::{transceive, ChipError, Step};
use crate::lds::card_access::{PaceInfo, PACE_ECDH_GM_AES_128, PARAMETER_ID_P256};
use crate::lds::HashAlgorithm;
use crate::tlv::{self, Reader, Tag};

/// Why a PACE answer was refused by the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaceError {
    /// The answer is not the dynamic authentication data (7C) with the expected object.
    Malformed { what: &'static str },
    /// The encrypted nonce is not one AES block.
    NonceLength { got: usize },
    /// A public key that is not an uncompressed point of P-256 (or is the point at infinity).
    BadPoint,
    /// The mapped generator or the shared secret is the point at infinity.
    Degenerate,
    /// The card sent back the terminal's own ephemeral key (a reflection).
    SameKey,
    /// The card's authentication token does not match: the card did not derive the same keys.
    BadToken,
}

impl fmt::Display for PaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaceError::Malformed { what } => write!(f, "the card sent {what}"),
            PaceError::NonceLength { got } => {
                write!(f, "the encrypted nonce has {got} bytes instead of 16")
            }
            PaceError::BadPoint => {
                f.write_str("the card's public key is not a point of the curve P-256")
            }
            PaceError::Degenerate => f.write_str("the computed point is the point at infinity"),
            PaceError::SameKey => {
                f.write_str("the card's ephemeral public key is the terminal's own")
            }
            PaceError::BadToken => f.write_str(
                "the card's authentication token does not match the session keys (a card \
                 that does not know the MRZ, or an altered answer)",
            ),
        }
    }
}

impl PaceError {
    /// In Vietnamese.
    pub fn vi(&self) -> String {
        match self {
            PaceError::Malformed { what } => format!("thẻ gửi dữ liệu sai định dạng ({what})"),
            PaceError::NonceLength { got } => {
                format!("số ngẫu nhiên đã mã hoá có {got} byte thay vì 16")
            }
            PaceError::BadPoint => {
                "khoá công khai của thẻ không phải điểm của đường cong P-256".to_owned()
            }
            PaceError::Degenerate => "điểm tính được là điểm vô cực".to_owned(),
            PaceError::SameKey => {
                "khoá công khai tạm thời của thẻ trùng khoá của đầu đọc".to_owned()
            }
            PaceError::BadToken => "mã xác thực của thẻ không khớp với khoá phiên (thẻ không \
                 biết vùng MRZ, hoặc phản hồi đã bị thay đổi)"
                .to_owned(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// P-256, shared with chip authentication.

/// An uncompressed point (04 ‖ X ‖ Y).
pub type PointBytes = [u8; 65];

/// Reads an uncompressed point of P-256; refuses the point at infinity and points off the
/// curve.
pub(crate) fn decode_point(bytes: &[u8]) -> Option<ProjectivePoint> {
    if bytes.len() != 65 || bytes.first() != Some(&0x04) {
        return None;
    }
    let encoded = EncodedPoint::from_bytes(bytes).ok()?;
    let affine: Option<AffinePoint> = AffinePoint::from_encoded_point(&encoded).into();
    let point = ProjectivePoint::from(affine?);
    if bool::from(point.is_identity()) {
        None
    } else {
        Some(point)
    }
}

/// The uncompressed encoding; `None` for the point at infinity.
pub(crate) fn encode_point(point: &ProjectivePoint) -> Option<PointBytes> {
    let encoded = point.to_affine().to_encoded_point(false);
    encoded.as_bytes().try_into().ok()
}

/// The x coordinate of a point, the shared secret of ECDH; `None` for the point at infinity.
pub(crate) fn x_coordinate(point: &ProjectivePoint) -> Option<[u8; 32]> {
    let encoded = point.to_affine().to_encoded_point(false);
    let x = encoded.x()?;
    let mut out = [0u8; 32];
    out.copy_from_slice(x);
    Some(out)
}

/// A scalar from big-endian bytes (at most 32); `None` when zero or not below the order.
pub(crate) fn scalar_from_bytes(be: &[u8]) -> Option<Scalar> {
    if be.len() > 32 {
        return None;
    }
    let mut bytes = FieldBytes::default();
    bytes[32 - be.len()..].copy_from_slice(be);
    let scalar: Option<Scalar> = Scalar::from_repr(bytes).into();
    scalar.filter(|s| !bool::from(s.is_zero()))
}

/// A fresh private key from the system's random source.
pub(crate) fn random_scalar() -> Result<Scalar, ChipError> {
    // An out-of-range draw happens with probability about 2^-32; a few tries are plenty.
    for _ in 0..8 {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| ChipError::Random)?;
        if let Some(s) = scalar_from_bytes(&bytes) {
            return Ok(s);
        }
    }
    Err(ChipError::Random)
}

/// The session keys from a shared secret: KS_enc = KDF(K, 1), KS_mac = KDF(K, 2), AES-128.
pub fn session_keys(shared: &[u8]) -> ([u8; 16], [u8; 16]) {
    (
        derive_aes128_key(shared, KDF_ENC),
        derive_aes128_key(shared, KDF_MAC),
    )
}

// ---------------------------------------------------------------------------------------
// The protocol's pieces.

/// K_π = KDF(SHA-1(MRZ information), 3): the whole SHA-1, unlike BAC's K_seed.
pub fn password_key(mrz: &MrzInformation) -> [u8; 16] {
    let k = HashAlgorithm::Sha1.digest(mrz.as_str().as_bytes());
    derive_aes128_key(&k, KDF_PI)
}

/// The public key data object the tokens are computed over (Doc 9303 Part 11 §4.4.3.4,
/// BSI TR-03110 Part 3 D.3.3): `7F49 { 06 protocol, 86 point }`.
pub fn public_key_data(protocol_oid: &[u8], point: &[u8]) -> Vec<u8> {
    let inner = [
        tlv::encode(Tag::OID, protocol_oid),
        tlv::encode(Tag(0x86), point),
    ]
    .concat();
    tlv::encode(Tag(0x7F49), &inner)
}

/// An authentication token: CMAC(KS_mac, the other side's public key data object), 8 bytes.
pub fn token(ks_mac: &[u8; 16], protocol_oid: &[u8], other_point: &[u8]) -> [u8; 8] {
    aes_cmac8(ks_mac, &public_key_data(protocol_oid, other_point))
}

fn protocol_oid() -> Vec<u8> {
    crate::lds::oid_bytes(PACE_ECDH_GM_AES_128).unwrap_or_default()
}

/// The generic mapping: G' = s·G + sk·PK (the mapping ECDH point H added to s·G).
fn map_generator(s: &Scalar, sk: &Scalar, other: &ProjectivePoint) -> Option<ProjectivePoint> {
    let h = *other * sk;
    if bool::from(h.is_identity()) {
        return None;
    }
    let g = ProjectivePoint::GENERATOR * s + h;
    if bool::from(g.is_identity()) {
        None
    } else {
        Some(g)
    }
}

/// The nonce as a scalar (16 bytes are always below the order; zero is refused).
fn nonce_scalar(s: &[u8; 16]) -> Option<Scalar> {
    scalar_from_bytes(s)
}

/// Dynamic authentication data: `7C L { tag L value }`.
fn dynamic_data(tag: u8, value: &[u8]) -> Vec<u8> {
    if value.is_empty() && tag == 0 {
        return tlv::encode(Tag(0x7C), &[]);
    }
    tlv::encode(Tag(0x7C), &tlv::encode(Tag(u32::from(tag)), value))
}

/// The object with `tag` inside dynamic authentication data (others, such as a certificate
/// authority reference, are skipped).
fn read_dynamic(data: &[u8], tag: u8) -> Result<&[u8], PaceError> {
    let malformed = PaceError::Malformed {
        what: "an answer that is not dynamic authentication data (7C)",
    };
    let outer = tlv::read_file(data, Tag(0x7C)).map_err(|_| malformed)?;
    let mut r = outer.children();
    while !r.is_empty() {
        let object = r.read().map_err(|_| malformed)?;
        if object.tag == Tag(u32::from(tag)) {
            return Ok(object.value);
        }
    }
    Err(PaceError::Malformed {
        what: "dynamic authentication data without the expected object",
    })
}

/// MSE:Set AT for PACE: the protocol (80), the MRZ as password (83 = 01), the domain
/// parameters (84).
pub fn mse_set_at(info: &PaceInfo) -> CommandApdu {
    let oid = crate::lds::oid_bytes(&info.protocol).unwrap_or_default();
    let mut data = tlv::encode(Tag(0x80), &oid);
    data.extend(tlv::encode(Tag(0x83), &[0x01]));
    if let Some(id) = info.parameter_id.and_then(|id| u8::try_from(id).ok()) {
        data.extend(tlv::encode(Tag(0x84), &[id]));
    }
    CommandApdu::new(0x00, 0x22, 0xC1, 0xA4).with_data(data)
}

/// GENERAL AUTHENTICATE with dynamic authentication data; all but the last are chained
/// (class 10).
fn general_authenticate(last: bool, tag: u8, value: &[u8]) -> CommandApdu {
    let cla = if last { 0x00 } else { 0x10 };
    CommandApdu::new(cla, 0x86, 0x00, 0x00)
        .with_data(dynamic_data(tag, value))
        .with_le(256)
}

// ---------------------------------------------------------------------------------------
// The terminal.

/// Sends one PACE command and returns the answer's data; a status other than 9000 is the
/// card's refusal at that step.
fn exchange<T: CardTransport + ?Sized>(
    transport: &mut T,
    step: Step,
    command: &CommandApdu,
) -> Result<Vec<u8>, ChipError> {
    let r = transceive(transport, step, command)?;
    if r.is_ok() {
        Ok(r.data)
    } else {
        Err(ChipError::PaceRefused { step, sw: r.sw })
    }
}

fn pace_error(step: Step) -> impl Fn(PaceError) -> ChipError {
    move |error| ChipError::Pace { step, error }
}

/// Runs PACE with the MRZ as password over `transport` (the eMRTD application need not be
/// selected: PACE runs in the master file) and returns the AES secure-messaging session.
pub fn authenticate<T: CardTransport + ?Sized>(
    transport: &mut T,
    mrz: &MrzInformation,
    info: &PaceInfo,
) -> Result<SecureMessaging, ChipError> {
    if !info.is_supported() {
        return Err(ChipError::Malformed {
            step: Step::PaceSetAt,
            what: "a PACE variant this reader does not run",
        });
    }
    let oid = protocol_oid();

    exchange(transport, Step::PaceSetAt, &mse_set_at(info))?;

    let step = Step::PaceNonce;
    let answer = exchange(transport, step, &general_authenticate(false, 0, &[]))?;
    let z = read_dynamic(&answer, 0x80).map_err(pace_error(step))?;
    let z: [u8; 16] = z
        .try_into()
        .map_err(|_| pace_error(step)(PaceError::NonceLength { got: z.len() }))?;
    let s = decrypt_nonce(&password_key(mrz), &z);
    let s = nonce_scalar(&s).ok_or(pace_error(step)(PaceError::Degenerate))?;

    let step = Step::PaceMapping;
    let sk_map = random_scalar()?;
    let pk_map = encode_point(&(ProjectivePoint::GENERATOR * sk_map))
        .ok_or(pace_error(step)(PaceError::Degenerate))?;
    let answer = exchange(transport, step, &general_authenticate(false, 0x81, &pk_map))?;
    let card_map = read_dynamic(&answer, 0x82).map_err(pace_error(step))?;
    let card_map = decode_point(card_map).ok_or(pace_error(step)(PaceError::BadPoint))?;
    let g = map_generator(&s, &sk_map, &card_map).ok_or(pace_error(step)(PaceError::Degenerate))?;

    let step = Step::PaceKeyAgreement;
    let sk = random_scalar()?;
    let pk = encode_point(&(g * sk)).ok_or(pace_error(step)(PaceError::Degenerate))?;
    let answer = exchange(transport, step, &general_authenticate(false, 0x83, &pk))?;
    let card_pk_bytes = read_dynamic(&answer, 0x84).map_err(pace_error(step))?;
    let card_pk = decode_point(card_pk_bytes).ok_or(pace_error(step)(PaceError::BadPoint))?;
    if card_pk_bytes == pk.as_slice() {
        return Err(pace_error(step)(PaceError::SameKey));
    }
    let shared = x_coordinate(&(card_pk * sk)).ok_or(pace_error(step)(PaceError::Degenerate))?;
    let (ks_enc, ks_mac) = session_keys(&shared);

    let step = Step::PaceMutualAuthentication;
    let t_pcd = token(&ks_mac, &oid, card_pk_bytes);
    let answer = exchange(transport, step, &general_authenticate(true, 0x85, &t_pcd))?;
    let t_picc = read_dynamic(&answer, 0x86).map_err(pace_error(step))?;
    if !mac_eq(t_picc, &token(&ks_mac, &oid, &pk)) {
        return Err(pace_error(step)(PaceError::BadToken));
    }
    Ok(SecureMessaging::new_aes(ks_enc, ks_mac))
}

/// s = D(K_π, z), AES-CBC with a zero IV over one block.
pub fn decrypt_nonce(k_pi: &[u8; 16], z: &[u8; 16]) -> [u8; 16] {
    let plain = aes_cbc_decrypt(k_pi, &[0; 16], z).unwrap_or_default();
    let mut s = [0u8; 16];
    for (o, p) in s.iter_mut().zip(&plain) {
        *o = *p;
    }
    s
}

/// z = E(K_π, s), the card's side.
pub fn encrypt_nonce(k_pi: &[u8; 16], s: &[u8; 16]) -> [u8; 16] {
    let c = aes_cbc_encrypt(k_pi, &[0; 16], s).unwrap_or_default();
    let mut z = [0u8; 16];
    for (o, p) in z.iter_mut().zip(&c) {
        *o = *p;
    }
    z
}

// ---------------------------------------------------------------------------------------
// The card.

/// Where the card is in PACE.
#[derive(Debug, Clone)]
enum CardStage {
    /// MSE:Set AT accepted; the nonce not yet sent.
    Ready,
    NonceSent {
        s: Scalar,
    },
    Mapped {
        g: ProjectivePoint,
    },
    Agreed {
        ks_enc: [u8; 16],
        ks_mac: [u8; 16],
        terminal_pk: PointBytes,
        card_pk: PointBytes,
    },
    /// Failed or finished: a new MSE:Set AT is needed.
    Done,
}

/// The card's side of PACE, one GENERAL AUTHENTICATE at a time. Its `Debug` hides K_π.
#[derive(Clone)]
pub struct CardPace {
    k_pi: [u8; 16],
    stage: CardStage,
}

impl fmt::Debug for CardPace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardPace")
            .field("stage", &self.stage)
            .finish_non_exhaustive()
    }
}

/// What the card answers to one GENERAL AUTHENTICATE.
#[derive(Debug)]
pub enum CardAnswer {
    /// Dynamic authentication data; PACE goes on.
    Data(Vec<u8>),
    /// The last answer: the token and the session that starts now.
    Established(Vec<u8>, SecureMessaging),
    /// A refusal with this status; PACE must start again.
    Refused(u16),
}

impl CardPace {
    /// After MSE:Set AT with `protocol`, `password` 01 (MRZ) and `parameter_id`: `None` when
    /// the card does not run that combination.
    pub fn start(mrz: &MrzInformation, set_at: &[u8]) -> Option<CardPace> {
        let mut protocol = None;
        let mut password = None;
        let mut parameter = None;
        let mut r = Reader::new(set_at);
        while !r.is_empty() {
            let object = r.read().ok()?;
            match object.tag.0 {
                0x80 => protocol = Some(object.value),
                0x83 => password = Some(object.value),
                0x84 => parameter = Some(object.value),
                _ => {}
            }
        }
        let supported = protocol == Some(protocol_oid().as_slice())
            && password == Some(&[0x01][..])
            && parameter.is_none_or(|p| p == [PARAMETER_ID_P256 as u8]);
        supported.then(|| CardPace {
            k_pi: password_key(mrz),
            stage: CardStage::Ready,
        })
    }

    /// Answers one GENERAL AUTHENTICATE (`last` when not chained). `random` draws the card's
    /// nonce and private keys.
    pub fn step(
        &mut self,
        data: &[u8],
        last: bool,
        random: &mut dyn FnMut() -> Option<[u8; 32]>,
    ) -> CardAnswer {
        let stage = std::mem::replace(&mut self.stage, CardStage::Done);
        let refused = CardAnswer::Refused(sw::AUTHENTICATION_FAILED);
        let wrong_data = CardAnswer::Refused(sw::WRONG_DATA);
        let key = |random: &mut dyn FnMut() -> Option<[u8; 32]>| {
            (0..8).find_map(|_| random().and_then(|b| scalar_from_bytes(&b)))
        };
        match (stage, last) {
            (CardStage::Ready, false) => {
                if data != [0x7C, 0x00] {
                    return wrong_data;
                }
                let Some(bytes) = random() else {
                    return refused;
                };
                let mut s = [0u8; 16];
                s.copy_from_slice(&bytes[..16]);
                let Some(scalar) = nonce_scalar(&s) else {
                    return refused;
                };
                self.stage = CardStage::NonceSent { s: scalar };
                CardAnswer::Data(dynamic_data(0x80, &encrypt_nonce(&self.k_pi, &s)))
            }
            (CardStage::NonceSent { s }, false) => {
                let Some(terminal) = read_dynamic(data, 0x81).ok().and_then(decode_point) else {
                    return wrong_data;
                };
                let Some(sk) = key(random) else {
                    return refused;
                };
                let (Some(pk), Some(g)) = (
                    encode_point(&(ProjectivePoint::GENERATOR * sk)),
                    map_generator(&s, &sk, &terminal),
                ) else {
                    return refused;
                };
                self.stage = CardStage::Mapped { g };
                CardAnswer::Data(dynamic_data(0x82, &pk))
            }
            (CardStage::Mapped { g }, false) => {
                let Ok(terminal_bytes) = read_dynamic(data, 0x83) else {
                    return wrong_data;
                };
                let Some(terminal) = decode_point(terminal_bytes) else {
                    return wrong_data;
                };
                let Some(sk) = key(random) else {
                    return refused;
                };
                let (Some(card_pk), Some(shared), Ok(terminal_pk)) = (
                    encode_point(&(g * sk)),
                    x_coordinate(&(terminal * sk)),
                    PointBytes::try_from(terminal_bytes),
                ) else {
                    return refused;
                };
                let (ks_enc, ks_mac) = session_keys(&shared);
                self.stage = CardStage::Agreed {
                    ks_enc,
                    ks_mac,
                    terminal_pk,
                    card_pk,
                };
                CardAnswer::Data(dynamic_data(0x84, &card_pk))
            }
            (
                CardStage::Agreed {
                    ks_enc,
                    ks_mac,
                    terminal_pk,
                    card_pk,
                },
                true,
            ) => {
                let oid = protocol_oid();
                let Ok(t_pcd) = read_dynamic(data, 0x85) else {
                    return wrong_data;
                };
                if !mac_eq(t_pcd, &token(&ks_mac, &oid, &card_pk)) {
                    return refused;
                }
                let t_picc = token(&ks_mac, &oid, &terminal_pk);
                CardAnswer::Established(
                    dynamic_data(0x86, &t_picc),
                    SecureMessaging::new_aes(ks_enc, ks_mac),
                )
            }
            _ => CardAnswer::Refused(sw::CONDITIONS_NOT_SATISFIED),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::chip::test_hex::{a16, h};

    /// Doc 9303 Part 11 Appendix G.1 (ECDH generic mapping on brainpoolP256r1, AES-128),
    /// the parts that do not depend on the curve: the password key, the nonce, the session
    /// keys from the shared secret, and both tokens over the published public keys. (The
    /// mapping and the key agreement need brainpool arithmetic, which is not available.)
    #[test]
    fn the_worked_example_without_the_curve() {
        let mrz = MrzInformation::new("T22000129", "640812", "101031").unwrap();
        assert_eq!(
            HashAlgorithm::Sha1.digest(mrz.as_str().as_bytes()),
            h("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD")
        );
        let k_pi = password_key(&mrz);
        assert_eq!(k_pi, a16("89DED1B26624EC1E634C1989302849DD"));
        let z = a16("95A3A016522EE98D01E76CB6B98B42C3");
        let s = a16("3F00C4D39D153F2B2A214A078D899B22");
        assert_eq!(decrypt_nonce(&k_pi, &z), s);
        assert_eq!(encrypt_nonce(&k_pi, &s), z);

        let shared = h("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925");
        let (ks_enc, ks_mac) = session_keys(&shared);
        assert_eq!(ks_enc, a16("F5F0E35C0D7161EE6724EE513A0D9A7F"));
        assert_eq!(ks_mac, a16("FE251C7858B356B24514B3BD5F4297D1"));

        let pk_ifd = h(
            "042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C\
                        3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462",
        );
        let pk_ic = h(
            "049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB\
                       7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094",
        );
        let oid = protocol_oid();
        assert_eq!(oid, h("04007F00070202040202"));
        assert_eq!(token(&ks_mac, &oid, &pk_ic).to_vec(), h("C2B0BD78D94BA866"));
        assert_eq!(
            token(&ks_mac, &oid, &pk_ifd).to_vec(),
            h("3ABB9674BCE93C08")
        );

        // The first command under the session: SELECT of the eMRTD application, SSC 0 → 1
        // (value from an independent implementation of 9.8 with these keys).
        let mut sm = SecureMessaging::new_aes(ks_enc, ks_mac);
        let protected = sm
            .protect_command(&CommandApdu::select_application(
                &crate::chip::reader::EMRTD_AID,
            ))
            .unwrap();
        assert_eq!(
            protected,
            h("0CA4040C1D871101752F676B09FAC86A87D632749A49C7CC8E08C18BA1FCE707BD9F00")
        );
        let r = sm
            .unprotect_response(&h("990290008E08BEA7B381C494A0799000"))
            .unwrap();
        assert_eq!(r.sw, 0x9000);
    }

    #[test]
    fn mse_set_at_names_protocol_password_and_curve() {
        let info = PaceInfo {
            protocol: PACE_ECDH_GM_AES_128.to_owned(),
            version: 2,
            parameter_id: Some(12),
        };
        assert_eq!(
            mse_set_at(&info).to_bytes(),
            h("0022C1A412800A04007F0007020204020283010184010C")
        );
        assert_eq!(
            general_authenticate(false, 0, &[]).to_bytes(),
            h("10860000027C0000")
        );
    }

    /// A PACE card whose answers a test may rewrite (given the command and the answer).
    struct Rewriting<F: FnMut(usize, &[u8], Vec<u8>) -> Vec<u8>> {
        card: crate::chip::simulator::SimulatedCard,
        n: usize,
        rewrite: F,
    }

    impl<F: FnMut(usize, &[u8], Vec<u8>) -> Vec<u8>> CardTransport for Rewriting<F> {
        fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, super::super::TransportError> {
            let answer = self.card.transmit(command)?;
            self.n += 1;
            Ok((self.rewrite)(self.n - 1, command, answer))
        }
    }

    fn connect_rewritten(
        rewrite: impl FnMut(usize, &[u8], Vec<u8>) -> Vec<u8>,
    ) -> Result<(), ChipError> {
        let mrz = MrzInformation::new("185012345", "850902", "450902").unwrap();
        let card = crate::chip::simulator::SimulatedCard::new(&mrz).with_pace();
        crate::chip::ChipReader::connect(
            Rewriting {
                card,
                n: 0,
                rewrite,
            },
            &mrz,
        )
        .map(|_| ())
    }

    #[test]
    fn bad_answers_are_refused_at_their_step() {
        // Answers: SELECT EF.CardAccess, READ BINARY ×2, MSE:Set AT, then GA 1–4 (4–7).
        let e = connect_rewritten(|n, _, mut a| {
            if n == 5 {
                // The last byte of the card's mapping key: the point leaves the curve.
                let i = a.len() - 3;
                a[i] ^= 0x01;
            }
            a
        })
        .unwrap_err();
        assert_eq!(
            e,
            ChipError::Pace {
                step: Step::PaceMapping,
                error: PaceError::BadPoint
            }
        );
        assert!(e.to_string().contains("step 2"), "{e}");

        // The card reflects the terminal's own ephemeral key.
        let e = connect_rewritten(|n, command, a| {
            if n == 6 {
                let pk = &command[9..74];
                [&[0x7C, 0x43, 0x84, 0x41][..], pk, &[0x90, 0x00]].concat()
            } else {
                a
            }
        })
        .unwrap_err();
        assert_eq!(
            e,
            ChipError::Pace {
                step: Step::PaceKeyAgreement,
                error: PaceError::SameKey
            }
        );

        // A nonce of the wrong length.
        let e = connect_rewritten(|n, _, a| {
            if n == 4 {
                h("7C0E800C 000102030405060708090A0B 9000")
            } else {
                a
            }
        })
        .unwrap_err();
        assert_eq!(
            e,
            ChipError::Pace {
                step: Step::PaceNonce,
                error: PaceError::NonceLength { got: 12 }
            }
        );
        assert_eq!(e.vi(), "PACE thất bại (PACE, bước 1: số ngẫu nhiên đã mã hoá): số ngẫu nhiên đã mã hoá có 12 byte thay vì 16");
    }

    #[test]
    fn points_off_the_curve_are_refused() {
        let g = encode_point(&ProjectivePoint::GENERATOR).unwrap();
        assert!(decode_point(&g).is_some());
        let mut off = g;
        off[64] ^= 1;
        assert!(decode_point(&off).is_none());
        assert!(decode_point(&g[..64]).is_none());
        assert!(decode_point(&[0x00]).is_none());
        assert!(scalar_from_bytes(&[0; 32]).is_none());
        assert!(scalar_from_bytes(&[0xFF; 32]).is_none());
    }
}
