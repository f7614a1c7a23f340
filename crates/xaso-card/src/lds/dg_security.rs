//! DG14 (the SecurityInfos of chip authentication and PACE, Doc 9303 Part 11 §9.2) and DG15
//! (the active authentication public key, Part 11 §6.1): kept raw, parsed just enough to
//! list what they hold.

use super::asn1::{self, oids, AlgorithmIdentifier};
use super::{dg_tag, in_file, Element, LdsError, LdsRule};
use crate::tlv::{read_file, Reader, Tag, Tlv};

/// One SecurityInfo: `SEQUENCE { protocol OID, requiredData, optionalData OPTIONAL }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityInfo {
    /// Dotted.
    pub protocol: String,
    /// The whole SEQUENCE.
    pub raw: Vec<u8>,
}

impl SecurityInfo {
    /// The protocol's name, for the families Doc 9303 and BSI TR-03110 define.
    pub fn protocol_name(&self) -> Option<&'static str> {
        protocol_name(&self.protocol)
    }
}

fn protocol_name(oid: &str) -> Option<&'static str> {
    const BSI: &str = "0.4.0.127.0.7.2.2.";
    if oid == "2.23.136.1.1.5" {
        return Some("ActiveAuthenticationInfo");
    }
    let rest = oid.strip_prefix(BSI)?;
    Some(match rest {
        "1.1" => "ChipAuthenticationPublicKeyInfo (DH)",
        "1.2" => "ChipAuthenticationPublicKeyInfo (ECDH)",
        "2" => "TerminalAuthenticationInfo",
        r if r.starts_with("3.1") => "ChipAuthenticationInfo (DH)",
        r if r.starts_with("3.2") => "ChipAuthenticationInfo (ECDH)",
        r if r.starts_with("4.") => "PACEInfo",
        "6" => "CardInfoLocator",
        _ => return None,
    })
}

/// What DG14 holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg14 {
    /// The SET OF SecurityInfo, whole.
    pub raw: Vec<u8>,
    pub infos: Vec<SecurityInfo>,
}

/// id-PK-ECDH: a ChipAuthenticationPublicKeyInfo with an elliptic-curve key.
pub const CA_PUBLIC_KEY_ECDH: &str = "0.4.0.127.0.7.2.2.1.2";
/// id-CA-ECDH-AES-CBC-CMAC-128: chip authentication by ECDH, then AES-128 secure messaging.
pub const CA_ECDH_AES_128: &str = "0.4.0.127.0.7.2.2.3.2.2";
/// id-icao-mrtd-security-aaProtocolObject: ActiveAuthenticationInfo.
pub const ACTIVE_AUTHENTICATION_INFO: &str = "2.23.136.1.1.5";

/// The elements of one SecurityInfo after its protocol.
fn info_fields(info: &SecurityInfo) -> Vec<Tlv<'_>> {
    let mut r = Reader::new(&info.raw);
    let Ok(seq) = r.read() else {
        return Vec::new();
    };
    seq.children().skip(1).map_while(Result::ok).collect()
}

/// The named curve and the point of an elliptic-curve SubjectPublicKeyInfo.
pub(crate) fn ec_public_key<'a>(spki: &Tlv<'a>) -> Option<(String, &'a [u8])> {
    let mut r = spki.children();
    let algorithm = r.expect(Tag::SEQUENCE).ok()?;
    let mut a = algorithm.children();
    let oid = a.expect(Tag::OID).ok()?;
    if asn1::oid_to_string(oid.value)?.as_str() != oids::EC_PUBLIC_KEY {
        return None;
    }
    let curve = asn1::oid_to_string(a.expect(Tag::OID).ok()?.value)?;
    let bits = r.expect(Tag::BIT_STRING).ok()?;
    match bits.value {
        [0, point @ ..] => Some((curve, point)),
        _ => None,
    }
}

/// The point of an elliptic-curve SubjectPublicKeyInfo given whole.
pub(crate) fn ec_point_of_spki(spki: &[u8]) -> Option<Vec<u8>> {
    let tlv = Reader::new(spki).expect(Tag::SEQUENCE).ok()?;
    ec_public_key(&tlv).map(|(_, point)| point.to_vec())
}

impl Dg14 {
    /// The chip authentication public key when it is on P-256: the uncompressed point and
    /// the key identifier, if DG14 gives one.
    pub fn chip_authentication_key_p256(&self) -> Option<(Vec<u8>, Option<u64>)> {
        self.infos
            .iter()
            .filter(|i| i.protocol == CA_PUBLIC_KEY_ECDH)
            .find_map(|info| {
                let fields = info_fields(info);
                let spki = fields.first()?;
                let (curve, point) = ec_public_key(spki)?;
                if curve != oids::P256 {
                    return None;
                }
                let key_id = fields
                    .get(1)
                    .and_then(|t| asn1::uint(t, "DG14", PUBLIC_KEY).ok());
                Some((point.to_vec(), key_id))
            })
    }

    /// Whether DG14 offers chip authentication by ECDH with AES-128.
    pub fn offers_chip_authentication_aes128(&self) -> bool {
        self.infos.iter().any(|i| i.protocol == CA_ECDH_AES_128)
    }

    /// The signature algorithm of active authentication with an elliptic-curve key (dotted),
    /// from ActiveAuthenticationInfo.
    pub fn active_authentication_algorithm(&self) -> Option<String> {
        self.infos
            .iter()
            .filter(|i| i.protocol == ACTIVE_AUTHENTICATION_INFO)
            .find_map(|info| {
                let fields = info_fields(info);
                let oid = fields.get(1)?;
                (oid.tag == Tag::OID).then(|| asn1::oid_to_string(oid.value))?
            })
    }
}

const SECURITY_INFOS: Element = Element::new(
    "the SecurityInfos (SET OF SecurityInfo)",
    "tập SecurityInfos (SET OF SecurityInfo)",
);

/// Reads DG14 as read from the chip (`6E L { 31 L { SecurityInfo … } }`).
pub fn parse_dg14(bytes: &[u8]) -> Result<Dg14, LdsError> {
    const FILE: &str = "DG14";
    let tag = Tag(u32::from(dg_tag(14).unwrap_or(0x6E)));
    let file = read_file(bytes, tag).map_err(in_file(FILE))?;
    let mut r = file.children();
    if r.is_empty() {
        return Err(LdsError::new(
            FILE,
            file.end(),
            LdsRule::Missing {
                element: SECURITY_INFOS,
            },
        ));
    }
    let set = r.expect(Tag::SET).map_err(in_file(FILE))?;
    let infos = security_infos(&set, FILE)?;
    Ok(Dg14 {
        raw: set.raw.to_vec(),
        infos,
    })
}

/// The SecurityInfos of a SET (DG14, EF.CardAccess, EF.CardSecurity).
pub(crate) fn security_infos(
    set: &Tlv<'_>,
    file: &'static str,
) -> Result<Vec<SecurityInfo>, LdsError> {
    let mut infos = Vec::new();
    for item in set.children() {
        let info = item.map_err(in_file(file))?;
        if info.tag != Tag::SEQUENCE {
            return Err(asn1::unexpected(file, &info, Tag::SEQUENCE));
        }
        let mut inner = info.children();
        let protocol = asn1::oid(&inner.read().map_err(in_file(file))?, file)?;
        infos.push(SecurityInfo {
            protocol,
            raw: info.raw.to_vec(),
        });
    }
    Ok(infos)
}

/// The kind of a public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKeyKind {
    Rsa {
        /// The modulus's length in bits.
        modulus_bits: usize,
    },
    Ec {
        /// The named curve, dotted; `None` with explicit parameters.
        curve: Option<String>,
    },
    Other,
}

/// What DG15 holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg15 {
    /// The SubjectPublicKeyInfo, whole.
    pub spki: Vec<u8>,
    pub algorithm: AlgorithmIdentifier,
    pub key: PublicKeyKind,
}

/// Reads DG15 as read from the chip (`6F L { SubjectPublicKeyInfo }`).
pub fn parse_dg15(bytes: &[u8]) -> Result<Dg15, LdsError> {
    const FILE: &str = "DG15";
    let tag = Tag(u32::from(dg_tag(15).unwrap_or(0x6F)));
    let file = read_file(bytes, tag).map_err(in_file(FILE))?;
    let mut r = file.children();
    let spki = r.expect(Tag::SEQUENCE).map_err(in_file(FILE))?;
    let (algorithm, key) = public_key_info(&spki, FILE)?;
    Ok(Dg15 {
        spki: spki.raw.to_vec(),
        algorithm,
        key,
    })
}

const PUBLIC_KEY: Element = Element::new("the public key", "khóa công khai");

/// Reads a SubjectPublicKeyInfo: its algorithm and the kind of key.
pub(crate) fn public_key_info(
    spki: &Tlv<'_>,
    file: &'static str,
) -> Result<(AlgorithmIdentifier, PublicKeyKind), LdsError> {
    let mut r = spki.children();
    let algorithm = asn1::algorithm(&r.read().map_err(in_file(file))?, file)?;
    let key_tlv = r.expect(Tag::BIT_STRING).map_err(in_file(file))?;
    let key = asn1::bit_string(&key_tlv, file, PUBLIC_KEY)?;
    let kind = match algorithm.oid.as_str() {
        oids::RSA_ENCRYPTION | oids::RSA_PSS => {
            let (n, _) = rsa_public_key(key, key_tlv.value_offset() + 1, file)?;
            let n = match n.iter().position(|b| *b != 0) {
                Some(i) => n.get(i..).unwrap_or_default(),
                None => &[],
            };
            let modulus_bits = match n.first() {
                Some(top) => n.len() * 8 - top.leading_zeros() as usize,
                None => 0,
            };
            PublicKeyKind::Rsa { modulus_bits }
        }
        oids::EC_PUBLIC_KEY => {
            let curve = match &algorithm.parameters {
                Some(p) => {
                    let mut pr = Reader::new(p);
                    match pr.read() {
                        Ok(t) if t.tag == Tag::OID => asn1::oid_to_string(t.value),
                        _ => None,
                    }
                }
                None => None,
            };
            PublicKeyKind::Ec { curve }
        }
        _ => PublicKeyKind::Other,
    };
    Ok((algorithm, kind))
}

/// Reads a PKCS#1 RSAPublicKey (`SEQUENCE { INTEGER n, INTEGER e }`): the modulus and the
/// exponent's big-endian bytes.
pub(crate) fn rsa_public_key<'a>(
    der: &'a [u8],
    base: usize,
    file: &'static str,
) -> Result<(&'a [u8], &'a [u8]), LdsError> {
    let mut r = Reader::at(der, base);
    let seq = r.expect(Tag::SEQUENCE).map_err(in_file(file))?;
    let mut inner = seq.children();
    let n = inner.expect(Tag::INTEGER).map_err(in_file(file))?;
    let e = inner.expect(Tag::INTEGER).map_err(in_file(file))?;
    Ok((n.value, e.value))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lds::testkit;
    use crate::tlv::encode;
    use crate::vi_check::assert_vi;
    use proptest::prelude::*;

    #[test]
    fn lists_the_security_infos_of_the_test_card() {
        let chip = testkit::ChipKeys::generate(7);
        let dg14 = parse_dg14(&testkit::encode_dg14(&chip)).unwrap();
        let names: Vec<_> = dg14.infos.iter().map(SecurityInfo::protocol_name).collect();
        assert_eq!(
            names,
            [
                Some("ChipAuthenticationPublicKeyInfo (ECDH)"),
                Some("ChipAuthenticationInfo (ECDH)"),
                Some("ActiveAuthenticationInfo"),
            ]
        );
        assert_eq!(dg14.infos[0].protocol, "0.4.0.127.0.7.2.2.1.2");
        assert_eq!(protocol_name("0.4.0.127.0.7.2.2.4.2.2"), Some("PACEInfo"));
        assert_eq!(protocol_name("1.2.3"), None);
    }

    #[test]
    fn reads_the_active_authentication_key() {
        let chip = testkit::ChipKeys::generate(7);
        let dg15 = parse_dg15(&testkit::encode_dg15(&chip)).unwrap();
        assert_eq!(dg15.algorithm.oid, oids::EC_PUBLIC_KEY);
        assert_eq!(
            dg15.key,
            PublicKeyKind::Ec {
                curve: Some(oids::P256.to_owned())
            }
        );
        assert_eq!(dg15.spki, chip.active_authentication_spki());
    }

    #[test]
    fn reads_an_rsa_key() {
        let n = [&[0x00u8, 0xC0][..], &[0x11; 127]].concat();
        let rsa_key = encode(
            Tag::SEQUENCE,
            &[encode(Tag::INTEGER, &n), encode(Tag::INTEGER, &[1, 0, 1])].concat(),
        );
        let spki = encode(
            Tag::SEQUENCE,
            &[
                encode(
                    Tag::SEQUENCE,
                    &[
                        encode(Tag::OID, &asn1::oid_to_bytes(oids::RSA_ENCRYPTION).unwrap()),
                        encode(Tag::NULL, &[]),
                    ]
                    .concat(),
                ),
                encode(Tag::BIT_STRING, &[&[0u8][..], &rsa_key].concat()),
            ]
            .concat(),
        );
        let dg15 = parse_dg15(&encode(Tag(0x6F), &spki)).unwrap();
        assert_eq!(dg15.key, PublicKeyKind::Rsa { modulus_bits: 1024 });
        assert!(dg15.algorithm.has_no_parameters());
    }

    #[test]
    fn errors() {
        let e = parse_dg14(&encode(Tag(0x6E), &[])).unwrap_err();
        assert_eq!(
            e.rule,
            LdsRule::Missing {
                element: SECURITY_INFOS
            }
        );
        assert_vi(&e.to_string(), &e.vi());
        let e = parse_dg14(&encode(
            Tag(0x6E),
            &encode(Tag::SET, &encode(Tag::SEQUENCE, &encode(Tag::OID, &[0x80]))),
        ))
        .unwrap_err();
        assert_eq!((e.offset, &e.rule), (6, &LdsRule::BadOid));
        let e = parse_dg15(&encode(Tag(0x6F), &encode(Tag::SET, &[]))).unwrap_err();
        assert_eq!(e.to_string(), "DG15, byte 2: expected tag 30, found 31");
        assert_vi(&e.to_string(), &e.vi());
    }

    proptest! {
        #[test]
        fn never_panics(data in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_dg14(&data);
            let _ = parse_dg15(&data);
        }

        #[test]
        fn never_panics_on_mutated_files(
            edits in prop::collection::vec((0usize..1000, any::<u8>()), 1..4),
            cut in 0usize..1000,
        ) {
            let chip = testkit::ChipKeys::generate(7);
            for (mut file, fifteen) in [(testkit::encode_dg14(&chip), false), (testkit::encode_dg15(&chip), true)] {
                let len = file.len();
                for (i, b) in &edits {
                    file[i % len] = *b;
                }
                file.truncate(len - cut % len);
                let result = if fifteen {
                    parse_dg15(&file).map(|_| ())
                } else {
                    parse_dg14(&file).map(|dg14| {
                        let _ = dg14.chip_authentication_key_p256();
                        let _ = dg14.active_authentication_algorithm();
                    })
                };
                let _ = ec_point_of_spki(&file);
                if let Err(e) = result {
                    assert_vi(&e.to_string(), &e.vi());
                }
            }
        }
    }
}
