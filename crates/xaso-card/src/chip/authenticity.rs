//! Whether the chip is the one the document signer signed for: passive authentication proves
//! the data, not the chip, so a copy of every file passes it. Two checks prove the chip holds
//! a private key whose public half is in its signed data:
//!
//! - Active authentication (Doc 9303 Part 11 §6.1): INTERNAL AUTHENTICATE with an 8-byte
//!   random challenge; the chip signs it with the key of DG15 (here ECDSA on P-256, the
//!   hash named by DG14's ActiveAuthenticationInfo, the signature as r ‖ s).
//! - Chip authentication (§6.2): MSE:Set AT and GENERAL AUTHENTICATE with the terminal's
//!   ephemeral key; both sides derive new AES-128 session keys from ECDH with DG14's key. Only
//!   a chip with the private key answers under them; the reader checks that with one SELECT.
//!
//! Both run under the session of BAC or PACE. Active authentication runs first: a failed chip
//! authentication leaves no usable session.

use std::fmt;

use ecdsa::signature::hazmat::PrehashVerifier;
use p256::ProjectivePoint;

use super::apdu::{sw, CommandApdu};
use super::pace::{decode_point, encode_point, random_scalar, session_keys, x_coordinate};
use super::reader::{fid, ChipReader};
use super::sm::SecureMessaging;
use super::{CardTransport, ChipError, Step};
use crate::lds::{parse_dg14, parse_dg15, HashAlgorithm, PublicKeyKind};
use crate::tlv::{self, Tag};

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The chip proved it holds the key.
    Passed,
    /// The chip did not: a cloned chip, or one the data groups were not made for.
    Failed { reason: String, reason_vi: String },
    /// The check did not run (the card does not offer it, or a file is missing).
    NotDone { reason: String, reason_vi: String },
}

impl Outcome {
    fn failed(error: &ChipError) -> Outcome {
        Outcome::Failed {
            reason: error.to_string(),
            reason_vi: error.vi(),
        }
    }

    fn not_done(en: &str, vi: &str) -> Outcome {
        Outcome::NotDone {
            reason: en.to_owned(),
            reason_vi: vi.to_owned(),
        }
    }

    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Passed)
    }
}

/// What [`ChipReader::verify_chip`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipAuthenticity {
    pub active_authentication: Outcome,
    pub chip_authentication: Outcome,
}

impl ChipAuthenticity {
    /// Every check that ran passed, and at least one ran.
    pub fn genuine(&self) -> bool {
        let outcomes = [&self.active_authentication, &self.chip_authentication];
        outcomes.iter().any(|o| o.passed())
            && !outcomes.iter().any(|o| matches!(o, Outcome::Failed { .. }))
    }
}

/// Why active authentication failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthenticityError {
    /// The signature does not verify against DG15's key.
    BadSignature,
    /// The chip could not answer under the keys derived from DG14's key.
    NotTheKeyHolder,
}

impl fmt::Display for AuthenticityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthenticityError::BadSignature => {
                "the chip's signature of the challenge does not verify against the key in DG15 \
                 (a cloned chip)"
            }
            AuthenticityError::NotTheKeyHolder => {
                "the chip did not answer under the keys agreed with the key in DG14 (a cloned \
                 chip)"
            }
        })
    }
}

impl AuthenticityError {
    pub fn vi(&self) -> String {
        match self {
            AuthenticityError::BadSignature => "chữ ký của chip trên số thách thức không khớp \
                 với khoá trong DG15 (chip bị sao chép)"
                .to_owned(),
            AuthenticityError::NotTheKeyHolder => "chip không trả lời được bằng khoá thoả thuận \
                 với khoá trong DG14 (chip bị sao chép)"
                .to_owned(),
        }
    }
}

/// MSE:Set AT for chip authentication: the protocol (80) and, when DG14 gives one, the key
/// identifier (84).
fn mse_set_at_ca(key_id: Option<u64>) -> CommandApdu {
    let oid = crate::lds::oid_bytes(crate::lds::CA_ECDH_AES_128).unwrap_or_default();
    let mut data = tlv::encode(Tag(0x80), &oid);
    if let Some(id) = key_id.and_then(|id| u8::try_from(id).ok()) {
        data.extend(tlv::encode(Tag(0x84), &[id]));
    }
    CommandApdu::new(0x00, 0x22, 0x41, 0xA4).with_data(data)
}

impl<T: CardTransport> ChipReader<T> {
    /// Runs active authentication (with DG15, and DG14 for its algorithm) and then chip
    /// authentication (with DG14), each when the files allow it. `dg14` and `dg15` are the
    /// files as read from this chip; they should have passed passive authentication, or the
    /// checks prove nothing. After a failed chip authentication the session is lost.
    pub fn verify_chip(&mut self, dg14: Option<&[u8]>, dg15: Option<&[u8]>) -> ChipAuthenticity {
        let active_authentication = match dg15 {
            None => Outcome::not_done("the chip has no DG15", "chip không có DG15"),
            Some(dg15) => self.active_authentication_outcome(dg14, dg15),
        };
        let chip_authentication = match dg14 {
            None => Outcome::not_done("the chip has no DG14", "chip không có DG14"),
            Some(dg14) => self.chip_authentication_outcome(dg14),
        };
        ChipAuthenticity {
            active_authentication,
            chip_authentication,
        }
    }

    fn active_authentication_outcome(&mut self, dg14: Option<&[u8]>, dg15: &[u8]) -> Outcome {
        let dg15 = match parse_dg15(dg15) {
            Ok(d) => d,
            Err(e) => {
                return Outcome::NotDone {
                    reason: e.to_string(),
                    reason_vi: e.vi(),
                }
            }
        };
        match &dg15.key {
            PublicKeyKind::Ec { curve } if curve.as_deref() == Some(P256_OID) => {}
            PublicKeyKind::Rsa { .. } => {
                return Outcome::not_done(
                    "active authentication with RSA (ISO/IEC 9796-2) is not supported",
                    "chưa hỗ trợ xác thực chủ động bằng RSA (ISO/IEC 9796-2)",
                )
            }
            _ => {
                return Outcome::not_done(
                    "the key in DG15 is neither RSA nor on P-256",
                    "khoá trong DG15 không phải RSA hay P-256",
                )
            }
        }
        let algorithm = dg14
            .and_then(|d| parse_dg14(d).ok())
            .and_then(|d| d.active_authentication_algorithm());
        let hash = match algorithm.as_deref() {
            Some(crate::lds::oids::ECDSA_WITH_SHA256) => HashAlgorithm::Sha256,
            Some(crate::lds::oids::ECDSA_WITH_SHA384) => HashAlgorithm::Sha384,
            Some(crate::lds::oids::ECDSA_WITH_SHA512) => HashAlgorithm::Sha512,
            Some(crate::lds::oids::ECDSA_WITH_SHA1) => HashAlgorithm::Sha1,
            _ => {
                return Outcome::not_done(
                    "DG14 names no ECDSA algorithm for active authentication",
                    "DG14 không nêu thuật toán ECDSA cho xác thực chủ động",
                )
            }
        };
        let Some(point) = crate::lds::ec_point_of_spki(&dg15.spki) else {
            return Outcome::not_done(
                "the key in DG15 cannot be read",
                "không đọc được khoá trong DG15",
            );
        };
        match self.active_authentication(&point, hash) {
            Ok(()) => Outcome::Passed,
            Err(e) => Outcome::failed(&e),
        }
    }

    /// INTERNAL AUTHENTICATE with a fresh challenge; the answer verified as an ECDSA P-256
    /// signature (r ‖ s) of `hash`(challenge) under `point`.
    pub fn active_authentication(
        &mut self,
        point: &[u8],
        hash: HashAlgorithm,
    ) -> Result<(), ChipError> {
        let step = Step::ActiveAuthentication;
        let mut challenge = [0u8; 8];
        getrandom::fill(&mut challenge).map_err(|_| ChipError::Random)?;
        let command = CommandApdu::new(0x00, 0x88, 0x00, 0x00)
            .with_data(challenge)
            .with_le(256);
        let r = self.send(step, &command)?;
        if r.sw != sw::OK {
            return Err(ChipError::Status { step, sw: r.sw });
        }
        let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| {
            ChipError::Malformed {
                step,
                what: "a DG15 key that is not a point of P-256",
            }
        })?;
        let bad = ChipError::Authenticity {
            step,
            error: AuthenticityError::BadSignature,
        };
        let signature = p256::ecdsa::Signature::from_slice(&r.data).map_err(|_| bad.clone())?;
        let digest = hash.digest(&challenge);
        key.verify_prehash(&digest, &signature).map_err(|_| bad)
    }

    fn chip_authentication_outcome(&mut self, dg14: &[u8]) -> Outcome {
        let dg14 = match parse_dg14(dg14) {
            Ok(d) => d,
            Err(e) => {
                return Outcome::NotDone {
                    reason: e.to_string(),
                    reason_vi: e.vi(),
                }
            }
        };
        let Some((point, key_id)) = dg14.chip_authentication_key_p256() else {
            return Outcome::not_done(
                "DG14 has no chip authentication key on P-256",
                "DG14 không có khoá xác thực chip trên P-256",
            );
        };
        if !dg14.offers_chip_authentication_aes128() {
            return Outcome::not_done(
                "DG14 does not offer chip authentication with AES-128",
                "DG14 không hỗ trợ xác thực chip với AES-128",
            );
        }
        match self.chip_authentication(&point, key_id) {
            Ok(()) => Outcome::Passed,
            Err(e) => Outcome::failed(&e),
        }
    }

    /// Chip authentication with the chip's public key `point` (P-256): new AES-128 session
    /// keys from ECDH with a fresh terminal key, then one SELECT under them to see that the
    /// chip derived the same.
    pub fn chip_authentication(
        &mut self,
        point: &[u8],
        key_id: Option<u64>,
    ) -> Result<(), ChipError> {
        let step = Step::ChipAuthentication;
        let chip_key = decode_point(point).ok_or(ChipError::Malformed {
            step,
            what: "a DG14 key that is not a point of P-256",
        })?;
        let r = self.send(step, &mse_set_at_ca(key_id))?;
        if r.sw != sw::OK {
            return Err(ChipError::Status { step, sw: r.sw });
        }
        let sk = random_scalar()?;
        let pk = encode_point(&(ProjectivePoint::GENERATOR * sk)).ok_or(ChipError::Random)?;
        let data = tlv::encode(Tag(0x7C), &tlv::encode(Tag(0x80), &pk));
        let command = CommandApdu::new(0x00, 0x86, 0x00, 0x00)
            .with_data(data)
            .with_le(256);
        let r = self.send(step, &command)?;
        if r.sw != sw::OK {
            return Err(ChipError::Status { step, sw: r.sw });
        }
        let shared = x_coordinate(&(chip_key * sk)).ok_or(ChipError::Malformed {
            step,
            what: "a key whose shared point is at infinity",
        })?;
        let (ks_enc, ks_mac) = session_keys(&shared);
        self.set_session(SecureMessaging::new_aes(ks_enc, ks_mac));
        // Only the holder of the private key can open this command and answer under the
        // new keys.
        let confirm = Step::SelectFile(fid::EF_COM);
        match self.send(confirm, &CommandApdu::select_file(fid::EF_COM)) {
            Ok(r) if r.sw == sw::OK || r.sw == sw::FILE_NOT_FOUND => Ok(()),
            Ok(r) => Err(ChipError::Status { step, sw: r.sw }),
            Err(ChipError::Sm { .. }) => Err(ChipError::Authenticity {
                step,
                error: AuthenticityError::NotTheKeyHolder,
            }),
            Err(e) => Err(e),
        }
    }
}

const P256_OID: &str = "1.2.840.10045.3.1.7";

/// The card's side of chip authentication: the session keys from its private key and the
/// terminal's ephemeral key in `7C { 80 point }`; `None` when the data is not that.
pub(crate) fn card_chip_authentication(secret: &[u8; 32], data: &[u8]) -> Option<SecureMessaging> {
    let outer = tlv::read_file(data, Tag(0x7C)).ok()?;
    let mut r = outer.children();
    let object = r.expect(Tag(0x80)).ok()?;
    let terminal = decode_point(object.value)?;
    let sk = super::pace::scalar_from_bytes(secret)?;
    let shared = x_coordinate(&(terminal * sk))?;
    let (ks_enc, ks_mac) = session_keys(&shared);
    Some(SecureMessaging::new_aes(ks_enc, ks_mac))
}

/// The card's side of active authentication: the ECDSA P-256 signature (r ‖ s) of
/// SHA-256(challenge).
pub(crate) fn card_active_authentication(secret: &[u8; 32], challenge: &[u8]) -> Option<Vec<u8>> {
    use ecdsa::signature::hazmat::PrehashSigner;
    let key = p256::ecdsa::SigningKey::from_slice(secret).ok()?;
    let digest = HashAlgorithm::Sha256.digest(challenge);
    let signature: p256::ecdsa::Signature = key.sign_prehash(&digest).ok()?;
    Some(signature.to_bytes().to_vec())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::reader::AccessControl;
    use super::*;
    use crate::lds::passive::{authenticate, Policy};
    use crate::lds::testkit::{fixture, ChipKeys, TestCard};
    use time::macros::datetime;

    fn mrz() -> crate::chip::mrz::MrzInformation {
        crate::chip::mrz::parse(&crate::lds::testkit::sample_mrz())
            .unwrap()
            .mrz_information()
    }

    /// Reads what the checks need and runs passive authentication over it.
    fn read_and_check<T: CardTransport>(reader: &mut ChipReader<T>) -> (Vec<u8>, Vec<u8>) {
        let dg14 = reader.read_file(fid::DG14).unwrap();
        let dg15 = reader.read_file(fid::DG15).unwrap();
        let dg1 = reader.read_file(fid::DG1).unwrap();
        let sod = reader.read_file(fid::EF_SOD).unwrap();
        let pa = authenticate(
            &sod,
            &[(1, &dg1), (14, &dg14), (15, &dg15)],
            &fixture().ec.trust_store(),
            datetime!(2025-07-01 9:00 UTC),
            Policy::default(),
        );
        assert!(pa.passed(), "{:?}", pa.failures());
        assert_eq!(pa.verified_data_groups(), [1, 14, 15]);
        (dg14, dg15)
    }

    #[test]
    fn the_genuine_chip_passes_both_checks() {
        let card: &TestCard = &fixture().ec_card;
        let sim = card.simulated(&ChipKeys::generate(7)).unwrap();
        let mut reader = ChipReader::connect(sim, &mrz()).unwrap();
        assert_eq!(reader.access(), AccessControl::Pace);
        let (dg14, dg15) = read_and_check(&mut reader);
        let result = reader.verify_chip(Some(&dg14), Some(&dg15));
        assert_eq!(result.active_authentication, Outcome::Passed);
        assert_eq!(result.chip_authentication, Outcome::Passed);
        assert!(result.genuine());
        // The session goes on under chip authentication's keys.
        assert_eq!(reader.read_file(fid::DG1).unwrap(), card.dg1);
    }

    #[test]
    fn a_cloned_chip_fails_both_checks_by_name() {
        let card = &fixture().ec_card;
        // Every file copied, the private keys not.
        let clone = card.simulated(&ChipKeys::generate(8)).unwrap();
        let mut reader = ChipReader::connect(clone, &mrz()).unwrap();
        // Passive authentication cannot tell.
        let (dg14, dg15) = read_and_check(&mut reader);
        let result = reader.verify_chip(Some(&dg14), Some(&dg15));
        assert!(!result.genuine());
        let Outcome::Failed { reason, reason_vi } = &result.active_authentication else {
            panic!("{:?}", result.active_authentication);
        };
        assert!(
            reason.starts_with("active authentication (DG15) failed"),
            "{reason}"
        );
        assert!(reason.contains("cloned"), "{reason}");
        assert!(
            reason_vi.starts_with("Xác thực chủ động (DG15) thất bại"),
            "{reason_vi}"
        );
        let Outcome::Failed { reason, .. } = &result.chip_authentication else {
            panic!("{:?}", result.chip_authentication);
        };
        assert!(
            reason.starts_with("chip authentication (DG14) failed"),
            "{reason}"
        );
        assert!(reason.contains("DG14"), "{reason}");
    }

    #[test]
    fn chip_authentication_after_bac_moves_to_aes() {
        let card = &fixture().ec_card;
        let sim = card.simulated(&ChipKeys::generate(7)).unwrap();
        let mut reader = ChipReader::connect_bac(sim, &mrz()).unwrap();
        assert_eq!(reader.access(), AccessControl::Bac);
        let dg14 = reader.read_file(fid::DG14).unwrap();
        let result = reader.verify_chip(Some(&dg14), None);
        assert_eq!(result.chip_authentication, Outcome::Passed);
        assert!(matches!(
            result.active_authentication,
            Outcome::NotDone { .. }
        ));
        assert!(result.genuine());
        assert_eq!(reader.session().cipher(), crate::chip::sm::SmCipher::Aes128);
        assert_eq!(reader.read_file(fid::DG1).unwrap(), card.dg1);
    }

    #[test]
    fn checks_that_cannot_run_say_why() {
        let card = &fixture().ec_card;
        let sim = card.simulated(&ChipKeys::generate(7)).unwrap();
        let mut reader = ChipReader::connect(sim, &mrz()).unwrap();
        let result = reader.verify_chip(None, None);
        assert!(!result.genuine());
        assert_eq!(
            result.chip_authentication,
            Outcome::NotDone {
                reason: "the chip has no DG14".to_owned(),
                reason_vi: "chip không có DG14".to_owned()
            }
        );
        // DG15 without DG14: no algorithm named.
        let result = reader.verify_chip(None, Some(&card.dg15));
        assert!(
            matches!(&result.active_authentication, Outcome::NotDone { reason, .. } if reason.contains("names no ECDSA")),
            "{:?}",
            result.active_authentication
        );
    }
}
