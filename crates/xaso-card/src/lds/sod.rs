//! EF.SOD (Doc 9303 Part 10 §4.6.2): tag 77 around a CMS ContentInfo with SignedData whose
//! content is the LDS security object, the list of the data groups' hashes.

use super::asn1::{self, AlgorithmIdentifier};
use super::cert::Certificate;
use super::cms::{SignedData, SignerInfo};
use super::crypto::HashAlgorithm;
use super::{in_file, Element, LdsError, LdsRule, SOD_TAG};
use crate::tlv::{read_file, Reader, Tag};

const FILE: &str = "EF.SOD";

/// The hash of one data group, as the SOD lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataGroupHash {
    pub dg: u8,
    pub hash: Vec<u8>,
}

/// `LDSSecurityObject ::= SEQUENCE { version, hashAlgorithm, dataGroupHashValues,
/// ldsVersionInfo OPTIONAL }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdsSecurityObject {
    /// 0, or 1 with the LDS version info.
    pub version: u64,
    pub hash_algorithm: AlgorithmIdentifier,
    /// In the SOD's order.
    pub data_group_hashes: Vec<DataGroupHash>,
    /// From ldsVersionInfo (version 1): "0108".
    pub lds_version: Option<String>,
    pub unicode_version: Option<String>,
}

impl LdsSecurityObject {
    /// The hash the SOD lists for data group `dg`.
    pub fn hash_of(&self, dg: u8) -> Option<&[u8]> {
        self.data_group_hashes
            .iter()
            .find(|h| h.dg == dg)
            .map(|h| h.hash.as_slice())
    }

    /// The hash algorithm, when it is one the crate knows.
    pub fn hash(&self) -> Option<HashAlgorithm> {
        HashAlgorithm::from_oid(&self.hash_algorithm.oid)
    }

    /// The data groups listed, in the SOD's order.
    pub fn data_groups(&self) -> Vec<u8> {
        self.data_group_hashes.iter().map(|h| h.dg).collect()
    }
}

/// What EF.SOD holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sod {
    pub signed_data: SignedData,
    pub lds_security_object: LdsSecurityObject,
}

impl Sod {
    /// The signer (ICAO allows exactly one; the first is the one checked).
    pub fn signer(&self) -> Option<&SignerInfo> {
        self.signed_data.signer_infos.first()
    }

    /// The document signer's certificate, when the SOD carries it.
    pub fn document_signer(&self) -> Option<&Certificate> {
        self.signer()
            .and_then(|s| self.signed_data.signer_certificate(s))
    }
}

const VERSION: Element = Element::new("the version", "phiên bản");
const DG_NUMBER: Element = Element::new("a data group number", "số nhóm dữ liệu");

/// Reads EF.SOD as read from the chip (`77 L { ContentInfo }`). The content type is not
/// checked here (passive authentication does), but the content must be an LDS security
/// object.
pub fn parse_sod(bytes: &[u8]) -> Result<Sod, LdsError> {
    let e = in_file(FILE);
    let file = read_file(bytes, Tag(u32::from(SOD_TAG))).map_err(&e)?;
    let ci = file.children().expect(Tag::SEQUENCE).map_err(&e)?;
    let signed_data = SignedData::from_content_info(&ci, FILE)?;
    let lds_security_object =
        lds_security_object(&signed_data.content, signed_data.content_offset)?;
    Ok(Sod {
        signed_data,
        lds_security_object,
    })
}

fn lds_security_object(content: &[u8], base: usize) -> Result<LdsSecurityObject, LdsError> {
    let e = in_file(FILE);
    let mut outer = Reader::at(content, base);
    let seq = outer.expect(Tag::SEQUENCE).map_err(&e)?;
    outer.finish().map_err(&e)?;
    let mut r = seq.children();
    let version = asn1::uint(&r.read().map_err(&e)?, FILE, VERSION)?;
    let hash_algorithm = asn1::algorithm(&r.read().map_err(&e)?, FILE)?;
    let list = r.expect(Tag::SEQUENCE).map_err(&e)?;
    let mut data_group_hashes: Vec<DataGroupHash> = Vec::new();
    for item in list.children() {
        let entry = item.map_err(&e)?;
        if entry.tag != Tag::SEQUENCE {
            return Err(asn1::unexpected(FILE, &entry, Tag::SEQUENCE));
        }
        let mut er = entry.children();
        let number_tlv = er.read().map_err(&e)?;
        let number = asn1::uint(&number_tlv, FILE, DG_NUMBER)?;
        let dg = u8::try_from(number)
            .ok()
            .filter(|n| (1..=16).contains(n))
            .ok_or_else(|| {
                LdsError::new(
                    FILE,
                    number_tlv.offset,
                    LdsRule::BadDataGroupNumber { number },
                )
            })?;
        if data_group_hashes.iter().any(|h| h.dg == dg) {
            return Err(LdsError::new(
                FILE,
                number_tlv.offset,
                LdsRule::DuplicateDataGroup { dg },
            ));
        }
        let hash = er.expect(Tag::OCTET_STRING).map_err(&e)?.value.to_vec();
        data_group_hashes.push(DataGroupHash { dg, hash });
    }
    let (mut lds_version, mut unicode_version) = (None, None);
    if let Some(info) = r.optional(Tag::SEQUENCE).map_err(&e)? {
        let mut ir = info.children();
        const LDS: Element = Element::new("the LDS version", "phiên bản LDS");
        const UNICODE: Element = Element::new("the Unicode version", "phiên bản Unicode");
        lds_version = Some(asn1::text(&ir.read().map_err(&e)?, FILE, LDS)?);
        unicode_version = Some(asn1::text(&ir.read().map_err(&e)?, FILE, UNICODE)?);
    }
    Ok(LdsSecurityObject {
        version,
        hash_algorithm,
        data_group_hashes,
        lds_version,
        unicode_version,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lds::testkit;
    use crate::vi_check::assert_vi;
    use proptest::prelude::*;

    #[test]
    fn reads_the_test_sod() {
        let f = testkit::fixture();
        let sod = parse_sod(&f.ec_card.sod).unwrap();
        let lso = &sod.lds_security_object;
        assert_eq!(lso.version, 0);
        assert_eq!(lso.hash(), Some(HashAlgorithm::Sha256));
        assert_eq!(lso.data_groups(), [1, 2, 13, 14, 15]);
        assert_eq!(
            lso.hash_of(13),
            Some(HashAlgorithm::Sha256.digest(&f.ec_card.dg13).as_slice())
        );
        assert_eq!(lso.hash_of(3), None);
        assert_eq!(
            sod.signed_data.content_type,
            asn1::oids::LDS_SECURITY_OBJECT
        );
        let signer = sod.signer().unwrap();
        let attrs = signer.signed_attributes.as_ref().unwrap();
        assert_eq!(
            attrs.content_type.as_deref(),
            Some(asn1::oids::LDS_SECURITY_OBJECT)
        );
        assert_eq!(attrs.der[0], 0x31);
        assert!(attrs.signing_time.is_some());
        let ds = sod.document_signer().unwrap();
        assert_eq!(ds.der(), f.ec.document_signer.certificate.as_slice());
    }

    #[test]
    fn errors() {
        let f = testkit::fixture();
        let sod = &f.ec_card.sod;
        let e = parse_sod(&sod[..sod.len() - 1]).unwrap_err();
        assert_eq!((e.file, e.offset), ("EF.SOD", 1));
        assert_vi(&e.to_string(), &e.vi());
        // A data group number out of range, inside the signed content.
        let lso = parse_sod(sod).unwrap().lds_security_object;
        let hash13 = lso.hash_of(13).unwrap();
        let at = sod.windows(hash13.len()).position(|w| w == hash13).unwrap();
        // DataGroupHash: 30 L 02 01 0D 04 20 <hash>: the number is 3 bytes before the hash's TLV.
        let mut bad = sod.clone();
        assert_eq!(bad[at - 3], 13);
        bad[at - 3] = 17;
        let e = parse_sod(&bad).unwrap_err();
        assert_eq!(e.rule, LdsRule::BadDataGroupNumber { number: 17 });
        assert_eq!(e.offset, at - 5);
        assert_vi(&e.to_string(), &e.vi());
        bad[at - 3] = 1;
        let e = parse_sod(&bad).unwrap_err();
        assert_eq!(e.rule, LdsRule::DuplicateDataGroup { dg: 1 });
        assert_vi(&e.to_string(), &e.vi());
    }

    proptest! {
        #[test]
        fn never_panics(data in prop::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_sod(&data);
        }

        #[test]
        fn never_panics_on_a_mutated_sod(
            edits in prop::collection::vec((0usize..4000, any::<u8>()), 1..4),
            cut in 0usize..4000,
        ) {
            let mut sod = testkit::fixture().rsa_card.sod.clone();
            let len = sod.len();
            for (i, b) in edits {
                sod[i % len] = b;
            }
            sod.truncate(len - cut % len);
            if let Err(e) = parse_sod(&sod) {
                assert_vi(&e.to_string(), &e.vi());
            }
        }
    }
}
