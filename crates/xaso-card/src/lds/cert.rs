//! X.509 certificates (RFC 5280) as the ICAO PKI uses them (Doc 9303 Part 12): the
//! document signer's inside EF.SOD and the CSCAs of a trust store. Read leniently, for the
//! certificates of some issuers are not strict DER: the bytes that are signed are taken as
//! they are, never re-encoded.

use std::ops::Range;

use time::OffsetDateTime;

use super::asn1::{self, oids, AlgorithmIdentifier, NameAttribute};
use super::crypto::{self, VerifyError};
use super::dg_security::{public_key_info, PublicKeyKind};
use super::{in_file, Element, LdsError, LdsRule};
use crate::tlv::{read_file, Reader, Tag, Tlv};

/// One certificate, with the parts passive authentication uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    tbs: Range<usize>,
    issuer_der: Range<usize>,
    subject_der: Range<usize>,
    spki: Range<usize>,
    /// The serial number's INTEGER content, as stored.
    pub serial: Vec<u8>,
    pub issuer: Vec<NameAttribute>,
    pub subject: Vec<NameAttribute>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// The algorithm of the issuer's signature (outside the signed part).
    pub signature_algorithm: AlgorithmIdentifier,
    pub signature: Vec<u8>,
    pub public_key: PublicKeyKind,
    pub subject_key_id: Option<Vec<u8>>,
    pub authority_key_id: Option<Vec<u8>>,
    /// From basic constraints, when present.
    pub is_ca: Option<bool>,
}

/// Where a time falls in a certificate's validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    Valid,
    NotYetValid,
    Expired,
}

const VERSION: Element = Element::new("the version", "phiên bản");
const NOT_BEFORE: Element = Element::new("the start of validity", "thời điểm bắt đầu hiệu lực");
const NOT_AFTER: Element = Element::new("the end of validity", "thời điểm hết hiệu lực");
const SIGNATURE: Element = Element::new("the signature", "chữ ký");
const EXTENSION: Element = Element::new("an extension", "một phần mở rộng");

impl Certificate {
    /// Reads a DER certificate on its own; offsets in errors count from its first byte.
    pub fn from_der(der: &[u8]) -> Result<Certificate, LdsError> {
        const FILE: &str = "certificate";
        let tlv = read_file(der, Tag::SEQUENCE).map_err(in_file(FILE))?;
        Certificate::from_tlv(&tlv, FILE)
    }

    /// Reads the certificate in `tlv`, part of `file`; offsets in errors are those of
    /// `file`.
    pub(crate) fn from_tlv(tlv: &Tlv<'_>, file: &'static str) -> Result<Certificate, LdsError> {
        if tlv.tag != Tag::SEQUENCE {
            return Err(asn1::unexpected(file, tlv, Tag::SEQUENCE));
        }
        let base = tlv.offset;
        let range = |t: &Tlv<'_>| (t.offset - base)..(t.end() - base);
        let mut outer = tlv.children();
        let tbs = outer.expect(Tag::SEQUENCE).map_err(in_file(file))?;
        let signature_algorithm = asn1::algorithm(&outer.read().map_err(in_file(file))?, file)?;
        let sig = outer.expect(Tag::BIT_STRING).map_err(in_file(file))?;
        let signature = asn1::bit_string(&sig, file, SIGNATURE)?.to_vec();
        outer.finish().map_err(in_file(file))?;

        let mut r = tbs.children();
        if let Some(v) = r.optional(Tag::context(0, true)).map_err(in_file(file))? {
            let version = v.children().read().map_err(in_file(file))?;
            let n = asn1::uint(&version, file, VERSION)?;
            if n > 2 {
                return Err(LdsError::new(
                    file,
                    version.offset,
                    LdsRule::BadValue { element: VERSION },
                ));
            }
        }
        let serial = r
            .expect(Tag::INTEGER)
            .map_err(in_file(file))?
            .value
            .to_vec();
        // The inner signature algorithm repeats the outer one.
        r.expect(Tag::SEQUENCE).map_err(in_file(file))?;
        let issuer_tlv = r.expect(Tag::SEQUENCE).map_err(in_file(file))?;
        let issuer = asn1::name(&issuer_tlv, file)?;
        let validity = r.expect(Tag::SEQUENCE).map_err(in_file(file))?;
        let mut v = validity.children();
        let not_before = asn1::time(&v.read().map_err(in_file(file))?, file, NOT_BEFORE)?;
        let not_after = asn1::time(&v.read().map_err(in_file(file))?, file, NOT_AFTER)?;
        let subject_tlv = r.expect(Tag::SEQUENCE).map_err(in_file(file))?;
        let subject = asn1::name(&subject_tlv, file)?;
        let spki = r.expect(Tag::SEQUENCE).map_err(in_file(file))?;
        let (_, public_key) = public_key_info(&spki, file)?;
        let (mut subject_key_id, mut authority_key_id, mut is_ca) = (None, None, None);
        for item in r {
            let field = item.map_err(in_file(file))?;
            if field.tag != Tag::context(3, true) {
                continue;
            }
            let list = field
                .children()
                .expect(Tag::SEQUENCE)
                .map_err(in_file(file))?;
            for ext in list.children() {
                let ext = ext.map_err(in_file(file))?;
                let mut e = ext.children();
                let id = asn1::oid(&e.read().map_err(in_file(file))?, file)?;
                e.optional(Tag::BOOLEAN).map_err(in_file(file))?;
                let value = e.expect(Tag::OCTET_STRING).map_err(in_file(file))?;
                let bad =
                    || LdsError::new(file, value.offset, LdsRule::BadValue { element: EXTENSION });
                let mut vr = value.children();
                match id.as_str() {
                    oids::SUBJECT_KEY_ID => {
                        let key = vr.expect(Tag::OCTET_STRING).map_err(|_| bad())?;
                        subject_key_id = Some(key.value.to_vec());
                    }
                    oids::AUTHORITY_KEY_ID => {
                        let seq = vr.expect(Tag::SEQUENCE).map_err(|_| bad())?;
                        let mut sr = seq.children();
                        if let Some(key) = sr.optional(Tag::context(0, false)).map_err(|_| bad())? {
                            authority_key_id = Some(key.value.to_vec());
                        }
                    }
                    oids::BASIC_CONSTRAINTS => {
                        let seq = vr.expect(Tag::SEQUENCE).map_err(|_| bad())?;
                        let mut sr = seq.children();
                        let ca = sr.optional(Tag::BOOLEAN).map_err(|_| bad())?;
                        is_ca = Some(ca.is_some_and(|b| b.value.first().is_some_and(|v| *v != 0)));
                    }
                    _ => {}
                }
            }
        }
        Ok(Certificate {
            der: tlv.raw.to_vec(),
            tbs: range(&tbs),
            issuer_der: range(&issuer_tlv),
            subject_der: range(&subject_tlv),
            spki: range(&spki),
            serial,
            issuer,
            subject,
            not_before,
            not_after,
            signature_algorithm,
            signature,
            public_key,
            subject_key_id,
            authority_key_id,
            is_ca,
        })
    }

    fn part(&self, range: &Range<usize>) -> &[u8] {
        self.der.get(range.clone()).unwrap_or_default()
    }

    /// The whole certificate.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The signed part, as stored.
    pub fn tbs_der(&self) -> &[u8] {
        self.part(&self.tbs)
    }

    pub fn issuer_der(&self) -> &[u8] {
        self.part(&self.issuer_der)
    }

    pub fn subject_der(&self) -> &[u8] {
        self.part(&self.subject_der)
    }

    /// The SubjectPublicKeyInfo, as stored.
    pub fn spki_der(&self) -> &[u8] {
        self.part(&self.spki)
    }

    /// "CN=…, O=…, C=VN".
    pub fn subject_name(&self) -> String {
        asn1::name_to_string(&self.subject)
    }

    pub fn issuer_name(&self) -> String {
        asn1::name_to_string(&self.issuer)
    }

    /// The serial number in hexadecimal.
    pub fn serial_hex(&self) -> String {
        asn1::hex(&self.serial)
    }

    /// Where `now` falls in the validity period (both ends included).
    pub fn validity_at(&self, now: OffsetDateTime) -> Validity {
        if now < self.not_before {
            Validity::NotYetValid
        } else if now > self.not_after {
            Validity::Expired
        } else {
            Validity::Valid
        }
    }

    /// Whether `issuer`'s subject is this certificate's issuer: the same name, and the same
    /// key identifier when both certificates give one.
    pub fn names_issuer(&self, issuer: &Certificate) -> bool {
        self.issuer_name_matches(issuer) && self.issuer_key_id_matches(issuer)
    }

    /// Whether `issuer`'s subject is this certificate's issuer name (byte for byte, or
    /// attribute by attribute ignoring case and blanks).
    pub fn issuer_name_matches(&self, issuer: &Certificate) -> bool {
        self.issuer_der() == issuer.subject_der()
            || asn1::names_match(&self.issuer, &issuer.subject)
    }

    /// Whether the authority key identifier is `issuer`'s subject key identifier; true
    /// when either is absent.
    pub fn issuer_key_id_matches(&self, issuer: &Certificate) -> bool {
        match (&self.authority_key_id, &issuer.subject_key_id) {
            (Some(a), Some(s)) => a == s,
            _ => true,
        }
    }

    /// Whether the issuer's signature on this certificate verifies with `issuer`'s key.
    pub(crate) fn verify_signed_by(&self, issuer: &Certificate) -> Result<(), SignatureCheck> {
        let scheme = crypto::scheme(&self.signature_algorithm, None)
            .map_err(SignatureCheck::UnsupportedAlgorithm)?;
        crypto::verify(issuer.spki_der(), scheme, self.tbs_der(), &self.signature).map_err(|e| {
            match e {
                VerifyError::UnsupportedKey(what) => SignatureCheck::UnsupportedAlgorithm(what),
                VerifyError::Invalid => SignatureCheck::Invalid,
            }
        })
    }

    /// The hash algorithm of the issuer's signature, when known.
    pub(crate) fn signature_hash(&self) -> Option<crypto::HashAlgorithm> {
        crypto::scheme(&self.signature_algorithm, None)
            .ok()
            .map(|s| s.hash())
    }

    /// Reads every certificate in a SET OF Certificate (CMS `certificates`, a master list);
    /// other certificate choices are skipped.
    pub(crate) fn read_all(
        set: &Tlv<'_>,
        file: &'static str,
    ) -> Result<Vec<Certificate>, LdsError> {
        let mut out = Vec::new();
        for item in Reader::at(set.value, set.value_offset()) {
            let tlv = item.map_err(in_file(file))?;
            if tlv.tag == Tag::SEQUENCE {
                out.push(Certificate::from_tlv(&tlv, file)?);
            }
        }
        Ok(out)
    }
}

/// Why an issuer's signature on a certificate was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignatureCheck {
    UnsupportedAlgorithm(String),
    Invalid,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lds::testkit::{self, KeyKind};
    use crate::vi_check::assert_vi;
    use proptest::prelude::*;
    use time::macros::datetime;

    #[test]
    fn reads_the_test_certificates() {
        let csca = testkit::Csca::generate(
            1,
            KeyKind::EcP384,
            "CSCA Test",
            testkit::default_csca_validity(),
        );
        let c = Certificate::from_der(&csca.certificate).unwrap();
        assert_eq!(c.subject_name(), "C=VN, O=Xã số test PKI, CN=CSCA Test");
        assert_eq!(c.issuer_name(), c.subject_name());
        assert_eq!(c.is_ca, Some(true));
        assert!(c.names_issuer(&c));
        assert_eq!(c.verify_signed_by(&c), Ok(()));
        assert_eq!(
            c.public_key,
            PublicKeyKind::Ec {
                curve: Some(oids::P384.to_owned())
            }
        );
        assert_eq!(c.not_before, datetime!(2020-01-01 0:00 UTC));
        assert_eq!(
            c.validity_at(datetime!(2019-12-31 23:59 UTC)),
            Validity::NotYetValid
        );
        assert_eq!(
            c.validity_at(datetime!(2025-07-01 0:00 UTC)),
            Validity::Valid
        );
        assert_eq!(
            c.validity_at(datetime!(2041-01-01 0:00 UTC)),
            Validity::Expired
        );

        let ds = csca.issue_document_signer(
            2,
            KeyKind::EcP256,
            "DS Test",
            testkit::default_ds_validity(),
        );
        let d = Certificate::from_der(&ds.certificate).unwrap();
        assert_eq!(d.issuer_name(), "C=VN, O=Xã số test PKI, CN=CSCA Test");
        assert_eq!(d.is_ca, Some(false));
        assert!(d.names_issuer(&c));
        assert!(!c.names_issuer(&d));
        assert_eq!(d.verify_signed_by(&c), Ok(()));
        assert_eq!(d.verify_signed_by(&d), Err(SignatureCheck::Invalid));
        assert_eq!(d.authority_key_id, c.subject_key_id);
        assert_eq!(d.signature_hash(), Some(crypto::HashAlgorithm::Sha384));
        assert!(!d.serial_hex().is_empty());
    }

    #[test]
    fn errors_point_into_the_certificate() {
        let csca = testkit::Csca::generate(
            1,
            KeyKind::EcP256,
            "CSCA Test",
            testkit::default_csca_validity(),
        );
        let mut der = csca.certificate.clone();
        // Break the first time of the validity period.
        let at = der.windows(13).position(|w| w == b"200101000000Z").unwrap();
        der[at + 2] = b'9';
        let e = Certificate::from_der(&der).unwrap_err();
        assert_eq!((e.file, e.offset), ("certificate", at - 2));
        assert_eq!(
            e.rule,
            LdsRule::BadTime {
                element: NOT_BEFORE
            }
        );
        assert_vi(&e.to_string(), &e.vi());
        let e = Certificate::from_der(&der[..der.len() - 1]).unwrap_err();
        assert_eq!(e.offset, 1);
    }

    proptest! {
        #[test]
        fn never_panics(data in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = Certificate::from_der(&data);
        }

        #[test]
        fn never_panics_on_a_mutated_certificate(
            edits in prop::collection::vec((0usize..2000, any::<u8>()), 1..4),
        ) {
            let csca = testkit::Csca::generate(1, KeyKind::EcP256, "CSCA Test", testkit::default_csca_validity());
            let mut der = csca.certificate.clone();
            let len = der.len();
            for (i, b) in edits {
                der[i % len] = b;
            }
            match Certificate::from_der(&der) {
                Ok(c) => {
                    let _ = c.verify_signed_by(&c);
                    let _ = (c.subject_name(), c.validity_at(OffsetDateTime::UNIX_EPOCH));
                }
                Err(e) => assert_vi(&e.to_string(), &e.vi()),
            }
        }
    }
}
