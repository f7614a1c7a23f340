//! EF.CardAccess (Doc 9303 Part 11 §9.2; BSI TR-03110 Part 3 A.1): the SecurityInfos a chip
//! shows before any authentication, among them the PACEInfos that say which PACE variants
//! and domain parameters it accepts.

use super::asn1;
use super::dg_security::{security_infos, SecurityInfo};
use super::{in_file, Element, LdsError, LdsRule};
use crate::tlv::{read_file, Tag};

/// id-PACE (BSI TR-03110 Part 3 A.1.1.1): every PACE protocol lies below it.
pub const ID_PACE: &str = "0.4.0.127.0.7.2.2.4";
/// id-PACE-ECDH-GM-AES-CBC-CMAC-128: generic mapping on an elliptic curve, AES-128.
pub const PACE_ECDH_GM_AES_128: &str = "0.4.0.127.0.7.2.2.4.2.2";
/// The standardized domain parameters NIST P-256 (secp256r1) (Doc 9303 Part 11 §9.5.1).
pub const PARAMETER_ID_P256: u64 = 12;

/// One PACEInfo: `SEQUENCE { protocol OID, version INTEGER, parameterId INTEGER OPTIONAL }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceInfo {
    /// Dotted.
    pub protocol: String,
    pub version: u64,
    /// The standardized domain parameters; `None` when the chip gives its own (in
    /// PACEDomainParameterInfo, not supported here).
    pub parameter_id: Option<u64>,
}

impl PaceInfo {
    /// The variant this crate runs: ECDH generic mapping with AES-128 on P-256, version 2.
    pub fn is_supported(&self) -> bool {
        self.protocol == PACE_ECDH_GM_AES_128
            && self.version == 2
            && self.parameter_id == Some(PARAMETER_ID_P256)
    }
}

/// What EF.CardAccess holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardAccess {
    /// Every SecurityInfo, PACEInfos included.
    pub infos: Vec<SecurityInfo>,
    pub pace: Vec<PaceInfo>,
}

impl CardAccess {
    /// The first PACEInfo this crate can run.
    pub fn supported_pace(&self) -> Option<&PaceInfo> {
        self.pace.iter().find(|p| p.is_supported())
    }
}

const VERSION: Element = Element::new("the PACE version", "phiên bản PACE");
const PARAMETER_ID: Element = Element::new(
    "the PACE domain parameter identifier",
    "mã tham số miền của PACE",
);

/// Reads EF.CardAccess (a DER `SET OF SecurityInfo`, `31 L { … }`).
pub fn parse_card_access(bytes: &[u8]) -> Result<CardAccess, LdsError> {
    const FILE: &str = "EF.CardAccess";
    let set = read_file(bytes, Tag::SET).map_err(in_file(FILE))?;
    let infos = security_infos(&set, FILE)?;
    let mut pace = Vec::new();
    // The SET again, for the offsets of each field within the file.
    for (info, item) in infos.iter().zip(set.children()) {
        let is_pace = info
            .protocol
            .strip_prefix(ID_PACE)
            .is_some_and(|rest| rest.starts_with('.'));
        if !is_pace {
            continue;
        }
        let seq = item.map_err(in_file(FILE))?;
        let mut r = seq.children();
        let _protocol = r.read().map_err(in_file(FILE))?;
        if r.is_empty() {
            return Err(LdsError::new(
                FILE,
                seq.end(),
                LdsRule::Missing { element: VERSION },
            ));
        }
        let version = asn1::uint(&r.read().map_err(in_file(FILE))?, FILE, VERSION)?;
        let parameter_id = match r.optional(Tag::INTEGER).map_err(in_file(FILE))? {
            Some(t) => Some(asn1::uint(&t, FILE, PARAMETER_ID)?),
            None => None,
        };
        pace.push(PaceInfo {
            protocol: info.protocol.clone(),
            version,
            parameter_id,
        });
    }
    Ok(CardAccess { infos, pace })
}

/// EF.CardAccess offering PACE with ECDH generic mapping, AES-128 and P-256 (version 2).
pub fn encode_card_access_p256() -> Vec<u8> {
    let oid = asn1::oid_to_bytes(PACE_ECDH_GM_AES_128).unwrap_or_default();
    let info = [
        crate::tlv::encode(Tag::OID, &oid),
        crate::tlv::encode(Tag::INTEGER, &[2]),
        crate::tlv::encode(Tag::INTEGER, &[PARAMETER_ID_P256 as u8]),
    ]
    .concat();
    crate::tlv::encode(Tag::SET, &crate::tlv::encode(Tag::SEQUENCE, &info))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::chip::test_hex::h;
    use proptest::prelude::*;

    #[test]
    fn reads_the_card_access_of_the_worked_example() {
        // Doc 9303 Part 11 G.1: ECDH-GM-AES-128 on brainpoolP256r1 (parameter 13).
        let ca = parse_card_access(&h("31143012060A04007F0007020204020202010202010D")).unwrap();
        assert_eq!(
            ca.pace,
            [PaceInfo {
                protocol: PACE_ECDH_GM_AES_128.to_owned(),
                version: 2,
                parameter_id: Some(13),
            }]
        );
        // Brainpool is not supported here.
        assert_eq!(ca.supported_pace(), None);
    }

    #[test]
    fn the_p256_card_access_reads_back_as_supported() {
        let bytes = encode_card_access_p256();
        assert_eq!(bytes, h("31143012060A04007F0007020204020202010202010C"));
        let ca = parse_card_access(&bytes).unwrap();
        assert!(ca.supported_pace().is_some());
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let e = parse_card_access(&h("310E300C060A04007F00070202040202")).unwrap_err();
        assert_eq!(e.file, "EF.CardAccess");
        assert!(e.to_string().contains("PACE version"), "{e}");
        let e = parse_card_access(&h("3111300F060A04007F000702020402020201FF")).unwrap_err();
        assert!(e.to_string().contains("PACE version"), "{e}");
        assert!(parse_card_access(&h("30 00")).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
            let _ = parse_card_access(&bytes);
        }

        #[test]
        fn never_panics_on_mutations(i in 0usize..22, b in any::<u8>(), cut in 0usize..23) {
            let mut bytes = encode_card_access_p256();
            bytes[i] = b;
            let _ = parse_card_access(&bytes);
            let _ = parse_card_access(&bytes[..cut]);
        }
    }
}
