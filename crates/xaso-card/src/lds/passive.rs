//! Passive authentication (ICAO Doc 9303 Part 11 §5.1, Part 12): the data read from the
//! chip is what the issuing state signed.
//!
//! [`authenticate`] checks, each on its own so that one failure does not hide the others:
//!
//! 1. EF.SOD is well formed (tag 77, a CMS ContentInfo with SignedData);
//! 2. its content is an LDS security object (eContentType and the content-type attribute);
//! 3. the message-digest attribute is the hash of that content;
//! 4. the signature over the signed attributes verifies with the document signer's
//!    certificate carried in the SOD (RSA PKCS#1 v1.5, RSASSA-PSS, ECDSA on P-256 and P-384;
//!    SHA-2, and SHA-1 only when [`Policy::allow_sha1`] says so);
//! 5. the document signer's certificate is signed by a CSCA of the [`TrustStore`];
//! 6. both certificates are valid at the time the caller gives (there is no clock here);
//! 7. every data group read has the hash the SOD lists.
//!
//! The result, [`PassiveAuthentication`], lists every check with its outcome; a failed one
//! carries a [`PaError`] naming exactly what failed, in English and Vietnamese.

use std::fmt;

use time::OffsetDateTime;

use super::asn1::{self, oids};
use super::cert::{Certificate, SignatureCheck, Validity};
use super::cms::{self, SignedData, SignerInfo};
use super::crypto::{self, HashAlgorithm, VerifyError};
use super::sod::{parse_sod, LdsSecurityObject};
use super::{in_file, LdsError};
use crate::tlv::{Reader, Tag};

/// The CSCA certificates a verifier trusts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustStore {
    cscas: Vec<Certificate>,
}

impl TrustStore {
    /// An empty store, which trusts nothing.
    pub fn new() -> Self {
        TrustStore::default()
    }

    /// A store of the given DER certificates. The first one that cannot be read is the
    /// error.
    pub fn from_certificates<I, B>(ders: I) -> Result<TrustStore, LdsError>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let mut store = TrustStore::new();
        for der in ders {
            store.add(der.as_ref())?;
        }
        Ok(store)
    }

    /// Adds one DER certificate.
    pub fn add(&mut self, der: &[u8]) -> Result<(), LdsError> {
        self.insert(Certificate::from_der(der)?);
        Ok(())
    }

    /// Adds `cert` unless the store has it already.
    fn insert(&mut self, cert: Certificate) {
        if !self.cscas.iter().any(|c| c.der() == cert.der()) {
            self.cscas.push(cert);
        }
    }

    /// The CSCA certificates of an ICAO master list (CMS SignedData of a CscaMasterList,
    /// Doc 9303 Part 12 §9), after checking the list's own signature: its signer's
    /// certificate (carried in the list) must be issued by a CSCA of `anchors` (the CSCA of
    /// the state that published the list, obtained out of band) and valid at `now`.
    pub fn from_master_list(
        bytes: &[u8],
        anchors: &TrustStore,
        now: OffsetDateTime,
        policy: Policy,
    ) -> Result<TrustStore, PaError> {
        const FILE: &str = "master list";
        let sd = cms::parse_content_info(bytes, FILE).map_err(PaError::MasterList)?;
        let mut tolerated = Vec::new();
        let checks = check_signed_data(&sd, oids::CSCA_MASTER_LIST, policy, &mut tolerated);
        if let Some(error) = checks.into_iter().find_map(|(_, o)| match o {
            Outcome::Failed(e) => Some(e),
            _ => None,
        }) {
            return Err(error);
        }
        let signer = sd
            .signer_infos
            .first()
            .and_then(|s| sd.signer_certificate(s))
            .ok_or(PaError::SignerCertificateMissing)?;
        let role = CertificateRole::MasterListSigner;
        let issuer = chain(signer, anchors, role, policy, &mut tolerated)?;
        validity(signer, now, role)?;
        validity(issuer, now, CertificateRole::Csca)?;

        let e = |error| PaError::MasterList(in_file(FILE)(error));
        let mut r = Reader::at(&sd.content, sd.content_offset);
        let list = r.expect(Tag::SEQUENCE).map_err(e)?;
        let mut lr = list.children();
        lr.expect(Tag::INTEGER).map_err(e)?;
        let set = lr.expect(Tag::SET).map_err(e)?;
        let cscas = Certificate::read_all(&set, FILE).map_err(PaError::MasterList)?;
        let mut store = TrustStore::new();
        for c in cscas {
            store.insert(c);
        }
        Ok(store)
    }

    /// Adds every certificate of `other`.
    pub fn extend(&mut self, other: &TrustStore) {
        for c in &other.cscas {
            self.insert(c.clone());
        }
    }

    pub fn certificates(&self) -> &[Certificate] {
        &self.cscas
    }

    pub fn len(&self) -> usize {
        self.cscas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cscas.is_empty()
    }
}

/// What the verifier accepts beyond the defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// Accept SHA-1 (in the data group hashes, the signature or the certificate), as early
    /// documents use it; every check that relied on it is listed in
    /// [`PassiveAuthentication::sha1_tolerated`].
    pub allow_sha1: bool,
}

/// Whose certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateRole {
    DocumentSigner,
    Csca,
    MasterListSigner,
}

impl CertificateRole {
    pub fn en(self) -> &'static str {
        match self {
            CertificateRole::DocumentSigner => "document signer",
            CertificateRole::Csca => "CSCA",
            CertificateRole::MasterListSigner => "master list signer",
        }
    }

    pub fn vi(self) -> &'static str {
        match self {
            CertificateRole::DocumentSigner => "người ký tài liệu (DS)",
            CertificateRole::Csca => "CSCA",
            CertificateRole::MasterListSigner => "người ký danh sách CSCA",
        }
    }
}

/// One check of passive authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// EF.SOD can be read.
    SodStructure,
    /// It holds an LDS security object.
    ContentType,
    /// The message-digest attribute is the hash of the security object.
    MessageDigest,
    /// The signature verifies with the document signer's key.
    Signature,
    /// The document signer was issued by a trusted CSCA.
    Chain,
    /// The document signer's certificate is valid at the time given.
    DocumentSignerValidity,
    /// The CSCA's certificate is valid at the time given.
    CscaValidity,
    /// Data group n has the hash the SOD lists.
    DataGroupHash(u8),
}

impl Check {
    /// The checks between [`Check::SodStructure`] and the data groups, in their order: those
    /// of the SOD's signature and of the certificates.
    const SIGNATURE_AND_CERTIFICATES: [Check; 6] = [
        Check::ContentType,
        Check::MessageDigest,
        Check::Signature,
        Check::Chain,
        Check::DocumentSignerValidity,
        Check::CscaValidity,
    ];

    /// What the check makes sure of, in English.
    pub fn en(self) -> String {
        match self {
            Check::SodStructure => "EF.SOD is well formed".to_owned(),
            Check::ContentType => "EF.SOD holds an LDS security object".to_owned(),
            Check::MessageDigest => {
                "the signed attributes cover the security object (message digest)".to_owned()
            }
            Check::Signature => "the document signer's signature is valid".to_owned(),
            Check::Chain => "the document signer was issued by a trusted CSCA".to_owned(),
            Check::DocumentSignerValidity => {
                "the document signer's certificate is valid at the time of checking".to_owned()
            }
            Check::CscaValidity => {
                "the CSCA's certificate is valid at the time of checking".to_owned()
            }
            Check::DataGroupHash(dg) => format!("data group {dg} has the hash the SOD lists"),
        }
    }

    /// What the check makes sure of, in Vietnamese.
    pub fn vi(self) -> String {
        match self {
            Check::SodStructure => "EF.SOD đúng cấu trúc".to_owned(),
            Check::ContentType => "EF.SOD chứa đối tượng bảo mật LDS".to_owned(),
            Check::MessageDigest => {
                "Các thuộc tính được ký khớp với đối tượng bảo mật (message digest)".to_owned()
            }
            Check::Signature => "Chữ ký của người ký tài liệu (DS) hợp lệ".to_owned(),
            Check::Chain => "Chứng thư người ký tài liệu do một CSCA tin cậy cấp".to_owned(),
            Check::DocumentSignerValidity => {
                "Chứng thư người ký tài liệu còn hiệu lực tại thời điểm kiểm tra".to_owned()
            }
            Check::CscaValidity => "Chứng thư CSCA còn hiệu lực tại thời điểm kiểm tra".to_owned(),
            Check::DataGroupHash(dg) => {
                format!("Nhóm dữ liệu {dg} có mã băm đúng như trong SOD")
            }
        }
    }
}

/// How one check went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed(PaError),
    /// Not done, because what it needs failed (the SOD cannot be read, no CSCA was found).
    NotChecked,
}

/// One check and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub check: Check,
    pub outcome: Outcome,
}

/// Which signed attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    ContentType,
    MessageDigest,
}

impl Attribute {
    fn name(self) -> &'static str {
        match self {
            Attribute::ContentType => "content-type",
            Attribute::MessageDigest => "message-digest",
        }
    }
}

/// Exactly what failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaError {
    /// EF.SOD cannot be read.
    Sod(LdsError),
    /// A master list cannot be read.
    MasterList(LdsError),
    /// The signed content, or the content-type attribute, is not what it should be.
    WrongContentType {
        found: String,
    },
    /// The signer has no signed attributes (ICAO requires them).
    MissingSignedAttributes,
    MissingAttribute {
        attribute: Attribute,
    },
    /// The message-digest attribute is not the hash of the signed content.
    MessageDigestMismatch,
    /// An algorithm, key type or curve this verifier does not support.
    UnsupportedAlgorithm {
        algorithm: String,
    },
    /// SHA-1, refused by the [`Policy`].
    WeakAlgorithm {
        algorithm: &'static str,
    },
    /// The signer's certificate is not carried along.
    SignerCertificateMissing,
    /// The signature over the signed attributes does not verify.
    SignatureInvalid,
    /// No trusted CSCA has the issuer's name.
    UnknownIssuer {
        issuer: String,
    },
    /// A trusted CSCA has the issuer's name but its key does not verify the certificate.
    IssuerSignatureInvalid {
        which: CertificateRole,
    },
    CertificateExpired {
        which: CertificateRole,
        not_after: OffsetDateTime,
    },
    CertificateNotYetValid {
        which: CertificateRole,
        not_before: OffsetDateTime,
    },
    /// The data group was changed after it was signed.
    DataGroupHashMismatch {
        dg: u8,
    },
    /// The SOD lists no hash for the data group.
    DataGroupNotInSod {
        dg: u8,
    },
}

fn iso_date(t: OffsetDateTime) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

fn vi_date(t: OffsetDateTime) -> String {
    format!("{:02}/{:02}/{:04}", t.day(), u8::from(t.month()), t.year())
}

impl fmt::Display for PaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaError::Sod(e) => write!(f, "EF.SOD cannot be read: {e}"),
            PaError::MasterList(e) => write!(f, "the master list cannot be read: {e}"),
            PaError::WrongContentType { found } => write!(
                f,
                "the signed content type is {found}, not the expected one"
            ),
            PaError::MissingSignedAttributes => f.write_str("the signer has no signed attributes"),
            PaError::MissingAttribute { attribute } => write!(
                f,
                "the signed attributes lack the {} attribute",
                attribute.name()
            ),
            PaError::MessageDigestMismatch => f.write_str(
                "the message-digest attribute is not the hash of the signed content",
            ),
            PaError::UnsupportedAlgorithm { algorithm } => {
                write!(f, "unsupported algorithm: {algorithm}")
            }
            PaError::WeakAlgorithm { algorithm } => write!(
                f,
                "{algorithm} is refused as weak (the policy may tolerate it)"
            ),
            PaError::SignerCertificateMissing => {
                f.write_str("the signer's certificate is not carried along")
            }
            PaError::SignatureInvalid => {
                f.write_str("the signature does not verify with the signer's key")
            }
            PaError::UnknownIssuer { issuer } => {
                write!(f, "no trusted CSCA is named {issuer}")
            }
            PaError::IssuerSignatureInvalid { which } => write!(
                f,
                "the {} certificate's signature does not verify with the key of the trusted CSCA of that name",
                which.en()
            ),
            PaError::CertificateExpired { which, not_after } => write!(
                f,
                "the {} certificate expired on {}",
                which.en(),
                iso_date(*not_after)
            ),
            PaError::CertificateNotYetValid { which, not_before } => write!(
                f,
                "the {} certificate is not valid before {}",
                which.en(),
                iso_date(*not_before)
            ),
            PaError::DataGroupHashMismatch { dg } => write!(
                f,
                "data group {dg} does not have the hash the SOD lists: it was changed"
            ),
            PaError::DataGroupNotInSod { dg } => {
                write!(f, "data group {dg} is not listed in the SOD")
            }
        }
    }
}

impl std::error::Error for PaError {}

impl PaError {
    /// The error in Vietnamese ([`fmt::Display`] is the English).
    pub fn vi(&self) -> String {
        match self {
            PaError::Sod(e) => format!("Không đọc được EF.SOD: {}", e.vi()),
            PaError::MasterList(e) => format!("Không đọc được danh sách CSCA: {}", e.vi()),
            PaError::WrongContentType { found } => {
                format!("Kiểu nội dung được ký là {found}, không phải kiểu cần có")
            }
            PaError::MissingSignedAttributes => {
                "Người ký không có thuộc tính được ký".to_owned()
            }
            PaError::MissingAttribute { attribute } => format!(
                "Các thuộc tính được ký thiếu thuộc tính {}",
                attribute.name()
            ),
            PaError::MessageDigestMismatch => {
                "Thuộc tính message-digest không phải là mã băm của nội dung được ký".to_owned()
            }
            PaError::UnsupportedAlgorithm { algorithm } => {
                format!("Thuật toán không được hỗ trợ: {algorithm}")
            }
            PaError::WeakAlgorithm { algorithm } => format!(
                "Không chấp nhận {algorithm} vì là thuật toán yếu (chính sách kiểm tra có thể cho phép)"
            ),
            PaError::SignerCertificateMissing => {
                "Không có chứng thư của người ký đi kèm".to_owned()
            }
            PaError::SignatureInvalid => {
                "Chữ ký không khớp với khóa của người ký".to_owned()
            }
            PaError::UnknownIssuer { issuer } => {
                format!("Không có CSCA tin cậy nào mang tên {issuer}")
            }
            PaError::IssuerSignatureInvalid { which } => format!(
                "Chữ ký trên chứng thư {} không khớp với khóa của CSCA tin cậy cùng tên",
                which.vi()
            ),
            PaError::CertificateExpired { which, not_after } => format!(
                "Chứng thư {} đã hết hiệu lực từ ngày {}",
                which.vi(),
                vi_date(*not_after)
            ),
            PaError::CertificateNotYetValid { which, not_before } => format!(
                "Chứng thư {} chưa có hiệu lực trước ngày {}",
                which.vi(),
                vi_date(*not_before)
            ),
            PaError::DataGroupHashMismatch { dg } => format!(
                "Nhóm dữ liệu {dg} không có mã băm như trong SOD: dữ liệu đã bị thay đổi"
            ),
            PaError::DataGroupNotInSod { dg } => {
                format!("Nhóm dữ liệu {dg} không có trong SOD")
            }
        }
    }
}

/// A certificate, in a few words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateSummary {
    pub subject: String,
    pub issuer: String,
    /// Hexadecimal.
    pub serial: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl CertificateSummary {
    fn of(c: &Certificate) -> Self {
        CertificateSummary {
            subject: c.subject_name(),
            issuer: c.issuer_name(),
            serial: c.serial_hex(),
            not_before: c.not_before,
            not_after: c.not_after,
        }
    }
}

/// The result of passive authentication: every check and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassiveAuthentication {
    /// In the order they were made: the SOD checks, the certificates, then each data group
    /// by number.
    pub checks: Vec<CheckResult>,
    pub lds_security_object: Option<LdsSecurityObject>,
    pub document_signer: Option<CertificateSummary>,
    /// The trusted CSCA that issued the document signer.
    pub csca: Option<CertificateSummary>,
    pub signing_time: Option<OffsetDateTime>,
    /// Checks that passed with SHA-1 because the [`Policy`] tolerates it.
    pub sha1_tolerated: Vec<Check>,
    /// Data groups the SOD lists but that were not given (not read, or not readable without
    /// extended access control, like DG3 and DG4).
    pub data_groups_not_checked: Vec<u8>,
}

impl PassiveAuthentication {
    /// Every check passed, and at least one data group was checked.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.outcome == Outcome::Passed)
            && self
                .checks
                .iter()
                .any(|c| matches!(c.check, Check::DataGroupHash(_)))
    }

    /// The first failure, if any.
    pub fn result(&self) -> Result<(), &PaError> {
        match self.failures().into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Every failure, in the order of the checks.
    pub fn failures(&self) -> Vec<&PaError> {
        self.checks
            .iter()
            .filter_map(|c| match &c.outcome {
                Outcome::Failed(e) => Some(e),
                _ => None,
            })
            .collect()
    }

    /// How `check` went; `None` when it was not among the checks (a data group not given).
    pub fn outcome(&self, check: Check) -> Option<&Outcome> {
        self.checks
            .iter()
            .find(|c| c.check == check)
            .map(|c| &c.outcome)
    }

    /// The data groups whose hash matched.
    pub fn verified_data_groups(&self) -> Vec<u8> {
        self.checks
            .iter()
            .filter_map(|c| match (c.check, &c.outcome) {
                (Check::DataGroupHash(dg), Outcome::Passed) => Some(dg),
                _ => None,
            })
            .collect()
    }
}

fn outcome(result: Result<(), PaError>) -> Outcome {
    match result {
        Ok(()) => Outcome::Passed,
        Err(e) => Outcome::Failed(e),
    }
}

/// SHA-1 passes only when the policy tolerates it; then `check` is recorded.
fn weak(
    hash: HashAlgorithm,
    policy: Policy,
    check: Check,
    tolerated: &mut Vec<Check>,
) -> Result<(), PaError> {
    if hash != HashAlgorithm::Sha1 {
        return Ok(());
    }
    if !policy.allow_sha1 {
        return Err(PaError::WeakAlgorithm {
            algorithm: hash.name(),
        });
    }
    if !tolerated.contains(&check) {
        tolerated.push(check);
    }
    Ok(())
}

/// An OID with its name when it has one: "id-icao-cscaMasterList (2.23.136.1.1.2)".
fn oid_display(oid: &str) -> String {
    asn1::AlgorithmIdentifier {
        oid: oid.to_owned(),
        parameters: None,
    }
    .to_string()
}

/// The content type, message digest and signature checks of a SignedData (its first
/// signer).
fn check_signed_data(
    sd: &SignedData,
    expected_type: &str,
    policy: Policy,
    tolerated: &mut Vec<Check>,
) -> Vec<(Check, Outcome)> {
    let signer: Option<&SignerInfo> = sd.signer_infos.first();
    let attrs = signer.and_then(|s| s.signed_attributes.as_ref());

    let content_type = (|| {
        if sd.content_type != expected_type {
            return Err(PaError::WrongContentType {
                found: oid_display(&sd.content_type),
            });
        }
        let attrs = attrs.ok_or(PaError::MissingSignedAttributes)?;
        match &attrs.content_type {
            None => Err(PaError::MissingAttribute {
                attribute: Attribute::ContentType,
            }),
            Some(t) if t != expected_type => Err(PaError::WrongContentType {
                found: oid_display(t),
            }),
            Some(_) => Ok(()),
        }
    })();

    let digest = signer.and_then(|s| HashAlgorithm::from_oid(&s.digest_algorithm.oid));
    let message_digest = (|| {
        let signer = signer.ok_or(PaError::SignerCertificateMissing)?;
        let hash = digest.ok_or_else(|| PaError::UnsupportedAlgorithm {
            algorithm: signer.digest_algorithm.to_string(),
        })?;
        weak(hash, policy, Check::MessageDigest, tolerated)?;
        let attrs = attrs.ok_or(PaError::MissingSignedAttributes)?;
        let md = attrs
            .message_digest
            .as_ref()
            .ok_or(PaError::MissingAttribute {
                attribute: Attribute::MessageDigest,
            })?;
        if *md != hash.digest(&sd.content) {
            return Err(PaError::MessageDigestMismatch);
        }
        Ok(())
    })();

    let signature = (|| {
        let signer = signer.ok_or(PaError::SignerCertificateMissing)?;
        let cert = sd
            .signer_certificate(signer)
            .ok_or(PaError::SignerCertificateMissing)?;
        let scheme = crypto::scheme(&signer.signature_algorithm, digest)
            .map_err(|algorithm| PaError::UnsupportedAlgorithm { algorithm })?;
        weak(scheme.hash(), policy, Check::Signature, tolerated)?;
        let attrs = attrs.ok_or(PaError::MissingSignedAttributes)?;
        crypto::verify(cert.spki_der(), scheme, &attrs.der, &signer.signature).map_err(
            |e| match e {
                VerifyError::UnsupportedKey(algorithm) => {
                    PaError::UnsupportedAlgorithm { algorithm }
                }
                VerifyError::Invalid => PaError::SignatureInvalid,
            },
        )
    })();

    vec![
        (Check::ContentType, outcome(content_type)),
        (Check::MessageDigest, outcome(message_digest)),
        (Check::Signature, outcome(signature)),
    ]
}

/// The [`Check::Chain`] of `cert`: its trusted [`issuer`], and the hash of its signature
/// allowed by the `policy` (SHA-1 recorded in `tolerated`).
fn chain<'a>(
    cert: &Certificate,
    trust: &'a TrustStore,
    which: CertificateRole,
    policy: Policy,
    tolerated: &mut Vec<Check>,
) -> Result<&'a Certificate, PaError> {
    let issuer = issuer(cert, trust, which)?;
    if let Some(hash) = cert.signature_hash() {
        weak(hash, policy, Check::Chain, tolerated)?;
    }
    Ok(issuer)
}

/// The trusted CSCA that issued `cert`. Every trusted certificate with the issuer's name is
/// tried, those whose key identifier matches first (a CSCA renews its key under the same
/// name). The issuer is unknown when no trusted CSCA has its name, or when those that have
/// it all have another key identifier and none verifies the signature.
fn issuer<'a>(
    cert: &Certificate,
    trust: &'a TrustStore,
    which: CertificateRole,
) -> Result<&'a Certificate, PaError> {
    let mut candidates: Vec<&Certificate> = trust
        .cscas
        .iter()
        .filter(|c| cert.issuer_name_matches(c))
        .collect();
    candidates.sort_by_key(|c| !cert.issuer_key_id_matches(c));
    let mut error = PaError::UnknownIssuer {
        issuer: cert.issuer_name(),
    };
    for csca in candidates {
        match cert.verify_signed_by(csca) {
            Ok(()) => return Ok(csca),
            Err(_) if !cert.issuer_key_id_matches(csca) => {}
            Err(SignatureCheck::UnsupportedAlgorithm(algorithm)) => {
                error = PaError::UnsupportedAlgorithm { algorithm };
            }
            Err(SignatureCheck::Invalid) => {
                if !matches!(error, PaError::UnsupportedAlgorithm { .. }) {
                    error = PaError::IssuerSignatureInvalid { which };
                }
            }
        }
    }
    Err(error)
}

fn validity(
    cert: &Certificate,
    now: OffsetDateTime,
    which: CertificateRole,
) -> Result<(), PaError> {
    match cert.validity_at(now) {
        Validity::Valid => Ok(()),
        Validity::Expired => Err(PaError::CertificateExpired {
            which,
            not_after: cert.not_after,
        }),
        Validity::NotYetValid => Err(PaError::CertificateNotYetValid {
            which,
            not_before: cert.not_before,
        }),
    }
}

/// How the validity check of a certificate went; not checked when there is none.
fn validity_outcome(
    cert: Option<&Certificate>,
    now: OffsetDateTime,
    which: CertificateRole,
) -> Outcome {
    cert.map_or(Outcome::NotChecked, |c| outcome(validity(c, now, which)))
}

/// Passive authentication of the data groups read from a chip.
///
/// `sod` is EF.SOD as read; `data_groups` are the data groups read, each with its number
/// and its bytes as read (tag, length and value: the SOD hashes the whole file); `now` is
/// the time the certificates must be valid at.
pub fn authenticate(
    sod: &[u8],
    data_groups: &[(u8, &[u8])],
    trust: &TrustStore,
    now: OffsetDateTime,
    policy: Policy,
) -> PassiveAuthentication {
    let mut dgs: Vec<(u8, &[u8])> = data_groups.to_vec();
    dgs.sort_by_key(|(dg, _)| *dg);
    dgs.dedup_by_key(|(dg, _)| *dg);
    let mut pa = PassiveAuthentication {
        checks: Vec::new(),
        lds_security_object: None,
        document_signer: None,
        csca: None,
        signing_time: None,
        sha1_tolerated: Vec::new(),
        data_groups_not_checked: Vec::new(),
    };
    fn push(pa: &mut PassiveAuthentication, check: Check, outcome: Outcome) {
        pa.checks.push(CheckResult { check, outcome });
    }
    let sod = match parse_sod(sod) {
        Ok(sod) => {
            push(&mut pa, Check::SodStructure, Outcome::Passed);
            sod
        }
        Err(e) => {
            push(
                &mut pa,
                Check::SodStructure,
                Outcome::Failed(PaError::Sod(e)),
            );
            for check in Check::SIGNATURE_AND_CERTIFICATES {
                push(&mut pa, check, Outcome::NotChecked);
            }
            for (dg, _) in &dgs {
                push(&mut pa, Check::DataGroupHash(*dg), Outcome::NotChecked);
            }
            return pa;
        }
    };

    let mut tolerated = Vec::new();
    for (check, o) in check_signed_data(
        &sod.signed_data,
        oids::LDS_SECURITY_OBJECT,
        policy,
        &mut tolerated,
    ) {
        push(&mut pa, check, o);
    }
    pa.signing_time = sod
        .signer()
        .and_then(|s| s.signed_attributes.as_ref())
        .and_then(|a| a.signing_time);

    let ds = sod.document_signer();
    pa.document_signer = ds.map(CertificateSummary::of);
    let csca = match ds {
        None => {
            push(
                &mut pa,
                Check::Chain,
                Outcome::Failed(PaError::SignerCertificateMissing),
            );
            None
        }
        Some(ds) => {
            let result = chain(
                ds,
                trust,
                CertificateRole::DocumentSigner,
                policy,
                &mut tolerated,
            );
            let csca = result.as_ref().ok().copied();
            push(&mut pa, Check::Chain, outcome(result.map(|_| ())));
            csca
        }
    };
    pa.csca = csca.map(CertificateSummary::of);
    let ds_validity = validity_outcome(ds, now, CertificateRole::DocumentSigner);
    push(&mut pa, Check::DocumentSignerValidity, ds_validity);
    let csca_validity = validity_outcome(csca, now, CertificateRole::Csca);
    push(&mut pa, Check::CscaValidity, csca_validity);

    let lso = &sod.lds_security_object;
    let hash = lso.hash();
    for (dg, bytes) in &dgs {
        let check = Check::DataGroupHash(*dg);
        let result = (|| {
            let hash = hash.ok_or_else(|| PaError::UnsupportedAlgorithm {
                algorithm: lso.hash_algorithm.to_string(),
            })?;
            weak(hash, policy, check, &mut tolerated)?;
            let expected = lso
                .hash_of(*dg)
                .ok_or(PaError::DataGroupNotInSod { dg: *dg })?;
            if hash.digest(bytes) != expected {
                return Err(PaError::DataGroupHashMismatch { dg: *dg });
            }
            Ok(())
        })();
        push(&mut pa, check, outcome(result));
    }
    pa.data_groups_not_checked = lso
        .data_groups()
        .into_iter()
        .filter(|dg| !dgs.iter().any(|(d, _)| d == dg))
        .collect();
    pa.sha1_tolerated = tolerated;
    pa.lds_security_object = Some(sod.lds_security_object);
    pa
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lds::testkit::{
        self, fixture, ChipKeys, Csca, KeyKind, SignatureAlgorithm, SodOptions, TestCard, TestPki,
    };
    use crate::lds::{parse_dg13, LdsRule};
    use crate::vi_check::assert_vi;
    use proptest::prelude::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2025-07-01 9:00 UTC);

    fn check(pki: &TestPki, card: &TestCard) -> PassiveAuthentication {
        authenticate(
            &card.sod,
            &card.data_groups(),
            &pki.trust_store(),
            NOW,
            Policy::default(),
        )
    }

    fn failed(pa: &PassiveAuthentication, c: Check) -> PaError {
        match pa.outcome(c) {
            Some(Outcome::Failed(e)) => e.clone(),
            other => panic!("{c:?}: {other:?}"),
        }
    }

    /// Every check but `except` passed (the CSCA's validity is not checked without a CSCA).
    fn only_failures(pa: &PassiveAuthentication, except: &[Check]) {
        for c in &pa.checks {
            if c.check == Check::CscaValidity && except.contains(&Check::Chain) {
                assert_eq!(c.outcome, Outcome::NotChecked);
            } else if except.contains(&c.check) {
                assert!(matches!(c.outcome, Outcome::Failed(_)), "{c:?}");
            } else {
                assert_eq!(c.outcome, Outcome::Passed, "{:?}", c.check);
            }
        }
        assert!(!pa.passed());
    }

    #[test]
    fn a_genuine_rsa_card_passes_every_check() {
        let f = fixture();
        let pa = check(&f.rsa, &f.rsa_card);
        assert!(pa.passed(), "{:#?}", pa.checks);
        assert_eq!(pa.result(), Ok(()));
        assert_eq!(pa.checks.len(), 7 + 5);
        assert_eq!(pa.verified_data_groups(), [1, 2, 13, 14, 15]);
        assert!(pa.data_groups_not_checked.is_empty());
        assert!(pa.sha1_tolerated.is_empty());
        let csca = pa.csca.as_ref().unwrap();
        assert_eq!(csca.subject, "C=VN, O=Xã số test PKI, CN=CSCA Test");
        let ds = pa.document_signer.as_ref().unwrap();
        assert_eq!(
            ds.subject,
            "C=VN, O=Xã số test PKI, CN=Document Signer Test"
        );
        assert_eq!(ds.issuer, csca.subject);
        assert_eq!(ds.not_after, datetime!(2036-01-01 0:00 UTC));
        assert_eq!(pa.signing_time, Some(datetime!(2021-04-15 8:00 UTC)));
        assert_eq!(
            pa.lds_security_object.as_ref().unwrap().hash(),
            Some(HashAlgorithm::Sha256)
        );
        // What was authenticated reads back.
        let dg13 = parse_dg13(&f.rsa_card.dg13).unwrap();
        assert_eq!(dg13.full_name.as_deref(), Some("Nguyễn Thị Thu Hà"));
    }

    #[test]
    fn a_genuine_ecdsa_card_passes_every_check() {
        let f = fixture();
        let pa = check(&f.ec, &f.ec_card);
        assert!(pa.passed(), "{:#?}", pa.checks);
        // A P-384 document signer under the P-384 CSCA, and the plain form of a card
        // signed with RSA-PSS under the RSA CSCA.
        let p384 = f.ec.csca.issue_document_signer(
            31,
            KeyKind::EcP384,
            "DS P-384",
            testkit::default_ds_validity(),
        );
        let card = TestCard::sample(&p384);
        assert!(check(&f.ec, &card).passed());
    }

    #[test]
    fn rsa_pss_and_other_hashes_pass() {
        let f = fixture();
        for alg in [
            SignatureAlgorithm::RsaPss(HashAlgorithm::Sha256),
            SignatureAlgorithm::RsaPss(HashAlgorithm::Sha512),
            SignatureAlgorithm::RsaPkcs1(HashAlgorithm::Sha384),
            SignatureAlgorithm::RsaPkcs1(HashAlgorithm::Sha512),
        ] {
            let signer = f.rsa.document_signer.clone().with_algorithm(alg);
            let card = TestCard::sample(&signer);
            let pa = check(&f.rsa, &card);
            assert!(pa.passed(), "{alg:?}: {:#?}", pa.checks);
        }
        let signer =
            f.ec.document_signer
                .clone()
                .with_algorithm(SignatureAlgorithm::Ecdsa(HashAlgorithm::Sha512));
        assert!(check(&f.ec, &TestCard::sample(&signer)).passed());
    }

    #[test]
    fn a_changed_dg13_is_caught() {
        let f = fixture();
        for (pki, card) in [(&f.rsa, &f.rsa_card), (&f.ec, &f.ec_card)] {
            let mut card = card.clone();
            let mut holder = parse_dg13(&card.dg13).unwrap();
            holder.full_name = Some("Nguyễn Thị Thu Hằng".to_owned());
            card.dg13 = testkit::encode_dg13(&holder);
            let pa = check(pki, &card);
            only_failures(&pa, &[Check::DataGroupHash(13)]);
            assert_eq!(pa.result(), Err(&PaError::DataGroupHashMismatch { dg: 13 }));
            assert_eq!(pa.verified_data_groups(), [1, 2, 14, 15]);
        }
    }

    #[test]
    fn a_changed_signature_is_caught() {
        let f = fixture();
        for (pki, card) in [(&f.rsa, &f.rsa_card), (&f.ec, &f.ec_card)] {
            let mut card = card.clone();
            // The signature is the SOD's last element.
            let last = card.sod.len() - 1;
            card.sod[last] ^= 0x01;
            let pa = check(pki, &card);
            only_failures(&pa, &[Check::Signature]);
            assert_eq!(pa.result(), Err(&PaError::SignatureInvalid));
        }
    }

    #[test]
    fn a_changed_security_object_is_caught() {
        let f = fixture();
        let mut card = f.ec_card.clone();
        let sod = crate::lds::parse_sod(&card.sod).unwrap();
        let hash = sod.lds_security_object.hash_of(2).unwrap().to_vec();
        let at = card
            .sod
            .windows(hash.len())
            .position(|w| w == hash)
            .unwrap();
        card.sod[at] ^= 0xFF;
        let pa = check(&f.ec, &card);
        only_failures(&pa, &[Check::MessageDigest, Check::DataGroupHash(2)]);
        assert_eq!(pa.result(), Err(&PaError::MessageDigestMismatch));
    }

    #[test]
    fn a_wrong_content_type_is_caught() {
        let f = fixture();
        let mut card = f.rsa_card.clone();
        // eContentType comes before the content-type attribute.
        let lds = [0x06, 0x06, 0x67, 0x81, 0x08, 0x01, 0x01, 0x01];
        let at = card.sod.windows(lds.len()).position(|w| w == lds).unwrap();
        card.sod[at + 7] = 0x02;
        let pa = check(&f.rsa, &card);
        only_failures(&pa, &[Check::ContentType]);
        assert_eq!(
            pa.result(),
            Err(&PaError::WrongContentType {
                found: "id-icao-cscaMasterList (2.23.136.1.1.2)".to_owned()
            })
        );
    }

    #[test]
    fn a_signer_outside_the_trust_store_is_an_unknown_issuer() {
        let f = fixture();
        let rogue = Csca::generate(
            99,
            KeyKind::EcP256,
            "CSCA Rogue",
            testkit::default_csca_validity(),
        );
        let signer = rogue.issue_document_signer(
            98,
            KeyKind::EcP256,
            "Document Signer Test",
            testkit::default_ds_validity(),
        );
        let card = TestCard::sample(&signer);
        let pa = check(&f.ec, &card);
        only_failures(&pa, &[Check::Chain]);
        assert_eq!(
            pa.result(),
            Err(&PaError::UnknownIssuer {
                issuer: "C=VN, O=Xã số test PKI, CN=CSCA Rogue".to_owned()
            })
        );
        assert_eq!(pa.outcome(Check::CscaValidity), Some(&Outcome::NotChecked));
        assert_eq!(pa.csca, None);

        // The same name on another key is still unknown.
        let twin = Csca::generate(
            97,
            KeyKind::EcP384,
            "CSCA Test",
            testkit::default_csca_validity(),
        );
        let signer =
            twin.issue_document_signer(96, KeyKind::EcP256, "DS", testkit::default_ds_validity());
        let pa = check(&f.ec, &TestCard::sample(&signer));
        assert!(
            matches!(pa.result(), Err(PaError::UnknownIssuer { .. })),
            "{pa:#?}"
        );

        // And with an empty trust store, nothing is trusted.
        let pa = authenticate(
            &f.ec_card.sod,
            &f.ec_card.data_groups(),
            &TrustStore::new(),
            NOW,
            Policy::default(),
        );
        assert!(matches!(pa.result(), Err(PaError::UnknownIssuer { .. })));
    }

    #[test]
    fn csca_keys_renewed_under_the_same_name_are_told_apart() {
        let f = fixture();
        let renewed = Csca::generate(
            61,
            KeyKind::EcP256,
            "CSCA Test",
            testkit::default_csca_validity(),
        );
        let mut trust = TrustStore::from_certificates([&renewed.certificate]).unwrap();
        trust.extend(&f.ec.trust_store());
        assert_eq!(trust.len(), 2);
        for card in [
            f.ec_card.clone(),
            TestCard::sample(&renewed.issue_document_signer(
                62,
                KeyKind::EcP256,
                "DS 2",
                testkit::default_ds_validity(),
            )),
        ] {
            let pa = authenticate(
                &card.sod,
                &card.data_groups(),
                &trust,
                NOW,
                Policy::default(),
            );
            assert!(pa.passed(), "{:#?}", pa.checks);
        }
    }

    #[test]
    fn a_forged_document_signer_certificate_is_caught() {
        let f = fixture();
        let mut card = f.rsa_card.clone();
        let cert = &f.rsa.document_signer.certificate;
        let at = card
            .sod
            .windows(cert.len())
            .position(|w| w == cert.as_slice())
            .unwrap();
        // The last byte of the certificate is its issuer's signature.
        card.sod[at + cert.len() - 1] ^= 0x01;
        let pa = check(&f.rsa, &card);
        only_failures(&pa, &[Check::Chain]);
        assert_eq!(
            pa.result(),
            Err(&PaError::IssuerSignatureInvalid {
                which: CertificateRole::DocumentSigner
            })
        );
    }

    #[test]
    fn certificates_are_checked_at_the_time_given() {
        let f = fixture();
        let at = |now| {
            authenticate(
                &f.ec_card.sod,
                &f.ec_card.data_groups(),
                &f.ec.trust_store(),
                now,
                Policy::default(),
            )
        };
        let pa = at(datetime!(2036-06-01 0:00 UTC));
        only_failures(&pa, &[Check::DocumentSignerValidity]);
        assert_eq!(
            pa.result(),
            Err(&PaError::CertificateExpired {
                which: CertificateRole::DocumentSigner,
                not_after: datetime!(2036-01-01 0:00 UTC)
            })
        );
        let pa = at(datetime!(2041-01-01 0:00 UTC));
        only_failures(&pa, &[Check::DocumentSignerValidity, Check::CscaValidity]);
        assert_eq!(
            failed(&pa, Check::CscaValidity),
            PaError::CertificateExpired {
                which: CertificateRole::Csca,
                not_after: datetime!(2040-01-01 0:00 UTC)
            }
        );
        let pa = at(datetime!(2020-06-01 0:00 UTC));
        assert_eq!(
            pa.result(),
            Err(&PaError::CertificateNotYetValid {
                which: CertificateRole::DocumentSigner,
                not_before: datetime!(2021-01-01 0:00 UTC)
            })
        );
        // The ends of the period are inside it.
        assert!(at(datetime!(2036-01-01 0:00 UTC)).passed());
        assert!(at(datetime!(2021-01-01 0:00 UTC)).passed());
    }

    #[test]
    fn sha1_passes_only_when_tolerated() {
        let f = fixture();
        let options = SodOptions {
            dg_hash: HashAlgorithm::Sha1,
            ..SodOptions::default()
        };
        let signer = f
            .rsa
            .document_signer
            .clone()
            .with_algorithm(SignatureAlgorithm::RsaPkcs1(HashAlgorithm::Sha1));
        let card = TestCard::issue(
            &signer,
            &testkit::sample_dg13(),
            &testkit::sample_mrz(),
            &ChipKeys::generate(7),
            &options,
        );
        let strict = check(&f.rsa, &card);
        assert_eq!(
            failed(&strict, Check::DataGroupHash(13)),
            PaError::WeakAlgorithm { algorithm: "SHA-1" }
        );
        assert_eq!(
            failed(&strict, Check::Signature),
            PaError::WeakAlgorithm { algorithm: "SHA-1" }
        );
        assert_eq!(
            failed(&strict, Check::MessageDigest),
            PaError::WeakAlgorithm { algorithm: "SHA-1" }
        );
        assert_eq!(strict.outcome(Check::Chain), Some(&Outcome::Passed));

        let lenient = authenticate(
            &card.sod,
            &card.data_groups(),
            &f.rsa.trust_store(),
            NOW,
            Policy { allow_sha1: true },
        );
        assert!(lenient.passed(), "{:#?}", lenient.checks);
        assert_eq!(
            lenient.sha1_tolerated,
            [
                Check::MessageDigest,
                Check::Signature,
                Check::DataGroupHash(1),
                Check::DataGroupHash(2),
                Check::DataGroupHash(13),
                Check::DataGroupHash(14),
                Check::DataGroupHash(15),
            ]
        );
    }

    #[test]
    fn variants_of_the_sod() {
        let f = fixture();
        let dg13 = testkit::sample_dg13();
        let mrz = testkit::sample_mrz();
        let chip = ChipKeys::generate(7);
        let issue = |options: SodOptions| {
            TestCard::issue(&f.ec.document_signer, &dg13, &mrz, &chip, &options)
        };
        // The signer named by its key identifier; a version 1 security object; no signing
        // time.
        let card = issue(SodOptions {
            sid_key_identifier: true,
            lds_version: Some(("0108".to_owned(), "040000".to_owned())),
            signing_time: None,
            ..SodOptions::default()
        });
        let pa = check(&f.ec, &card);
        assert!(pa.passed(), "{:#?}", pa.checks);
        let lso = pa.lds_security_object.as_ref().unwrap();
        assert_eq!((lso.version, lso.lds_version.as_deref()), (1, Some("0108")));
        assert_eq!(pa.signing_time, None);

        // Without the document signer's certificate nothing can be verified.
        let card = issue(SodOptions {
            include_certificate: false,
            ..SodOptions::default()
        });
        let pa = check(&f.ec, &card);
        assert_eq!(
            failed(&pa, Check::Signature),
            PaError::SignerCertificateMissing
        );
        assert_eq!(failed(&pa, Check::Chain), PaError::SignerCertificateMissing);
        assert_eq!(
            pa.outcome(Check::DocumentSignerValidity),
            Some(&Outcome::NotChecked)
        );
        assert_eq!(pa.outcome(Check::DataGroupHash(13)), Some(&Outcome::Passed));
    }

    #[test]
    fn data_groups_given_and_listed() {
        let f = fixture();
        let card = &f.ec_card;
        let dg3 = [0x63, 0x00];
        let pa = authenticate(
            &card.sod,
            &[(13, &card.dg13), (1, &card.dg1), (3, &dg3), (1, &card.dg1)],
            &f.ec.trust_store(),
            NOW,
            Policy::default(),
        );
        assert_eq!(pa.result(), Err(&PaError::DataGroupNotInSod { dg: 3 }));
        assert_eq!(pa.verified_data_groups(), [1, 13]);
        assert_eq!(pa.data_groups_not_checked, [2, 14, 15]);
        // No data group at all: the SOD may be fine, but nothing was authenticated.
        let pa = authenticate(&card.sod, &[], &f.ec.trust_store(), NOW, Policy::default());
        assert_eq!(pa.result(), Ok(()));
        assert!(!pa.passed());
    }

    #[test]
    fn an_unreadable_sod_stops_everything() {
        let f = fixture();
        let card = &f.ec_card;
        let pa = authenticate(
            &card.sod[..100],
            &card.data_groups(),
            &f.ec.trust_store(),
            NOW,
            Policy::default(),
        );
        let Err(PaError::Sod(e)) = pa.result() else {
            panic!("{pa:?}")
        };
        assert_eq!((e.file, e.offset), ("EF.SOD", 1));
        assert!(matches!(e.rule, LdsRule::Tlv(_)));
        assert_eq!(pa.checks.len(), 12);
        assert!(pa.checks[1..]
            .iter()
            .all(|c| c.outcome == Outcome::NotChecked));
        assert!(!pa.passed());
        let e = pa.result().unwrap_err();
        assert_vi(&e.to_string(), &e.vi());
    }

    #[test]
    fn a_trust_store_from_a_master_list() {
        let f = fixture();
        let other = Csca::generate(
            41,
            KeyKind::EcP256,
            "CSCA Other",
            testkit::default_csca_validity(),
        );
        let ml =
            f.ec.csca
                .sign_master_list(42, &[&f.ec.csca.certificate, &other.certificate]);
        let anchors = f.ec.trust_store();
        let store = TrustStore::from_master_list(&ml, &anchors, NOW, Policy::default()).unwrap();
        assert_eq!(store.len(), 2);
        let pa = authenticate(
            &f.ec_card.sod,
            &f.ec_card.data_groups(),
            &store,
            NOW,
            Policy::default(),
        );
        assert!(pa.passed());

        // A list whose signer no anchor issued.
        assert!(matches!(
            TrustStore::from_master_list(&ml, &TrustStore::new(), NOW, Policy::default()),
            Err(PaError::UnknownIssuer { .. })
        ));
        // A changed list.
        let mut changed = ml.clone();
        let at = changed
            .windows(other.certificate.len())
            .position(|w| w == other.certificate.as_slice())
            .unwrap();
        changed[at + 40] ^= 0x01;
        assert_eq!(
            TrustStore::from_master_list(&changed, &anchors, NOW, Policy::default()),
            Err(PaError::MessageDigestMismatch)
        );
        // Not a master list.
        let e = TrustStore::from_master_list(&f.ec_card.sod, &anchors, NOW, Policy::default())
            .unwrap_err();
        assert!(matches!(e, PaError::MasterList(_)), "{e}");
        assert_vi(&e.to_string(), &e.vi());
        // An expired list signer.
        assert!(matches!(
            TrustStore::from_master_list(
                &ml,
                &anchors,
                datetime!(2037-01-01 0:00 UTC),
                Policy::default()
            ),
            Err(PaError::CertificateExpired {
                which: CertificateRole::MasterListSigner,
                ..
            })
        ));
        // Trust stores merge without duplicates.
        let mut merged = anchors.clone();
        merged.extend(&store);
        assert_eq!(merged.len(), 2);
        assert!(TrustStore::from_certificates([b"not a certificate".as_slice()]).is_err());
    }

    #[test]
    fn every_error_and_check_in_vietnamese() {
        let when = datetime!(2036-01-01 0:00 UTC);
        let lds = crate::lds::LdsError::new("EF.SOD", 17, LdsRule::BadOid);
        let errors = [
            PaError::Sod(lds.clone()),
            PaError::MasterList(lds),
            PaError::WrongContentType {
                found: "1.2.840.113549.1.7.1".into(),
            },
            PaError::MissingSignedAttributes,
            PaError::MissingAttribute {
                attribute: Attribute::ContentType,
            },
            PaError::MissingAttribute {
                attribute: Attribute::MessageDigest,
            },
            PaError::MessageDigestMismatch,
            PaError::UnsupportedAlgorithm {
                algorithm: "1.3.36.3.3.2.8.1.1.7".into(),
            },
            PaError::WeakAlgorithm { algorithm: "SHA-1" },
            PaError::SignerCertificateMissing,
            PaError::SignatureInvalid,
            PaError::UnknownIssuer {
                issuer: "C=VN, CN=CSCA 2".into(),
            },
            PaError::IssuerSignatureInvalid {
                which: CertificateRole::MasterListSigner,
            },
            PaError::CertificateExpired {
                which: CertificateRole::DocumentSigner,
                not_after: when,
            },
            PaError::CertificateNotYetValid {
                which: CertificateRole::Csca,
                not_before: when,
            },
            PaError::DataGroupHashMismatch { dg: 13 },
            PaError::DataGroupNotInSod { dg: 3 },
        ];
        for e in errors {
            assert_vi(&e.to_string(), &e.vi());
        }
        let every_kind = [Check::SodStructure]
            .into_iter()
            .chain(Check::SIGNATURE_AND_CERTIFICATES)
            .chain([Check::DataGroupHash(13)]);
        for c in every_kind {
            assert_vi(&c.en(), &c.vi());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn never_panics_on_a_mutated_card(
            edits in prop::collection::vec((0usize..4000, any::<u8>()), 1..4),
            dg_edit in (0usize..2000, any::<u8>()),
            rsa in any::<bool>(),
        ) {
            let f = fixture();
            let (pki, card) = if rsa { (&f.rsa, &f.rsa_card) } else { (&f.ec, &f.ec_card) };
            let mut card = card.clone();
            let len = card.sod.len();
            for (i, b) in edits {
                card.sod[i % len] = b;
            }
            let dl = card.dg13.len();
            card.dg13[dg_edit.0 % dl] = dg_edit.1;
            let pa = check(pki, &card);
            for e in pa.failures() {
                assert_vi(&e.to_string(), &e.vi());
            }
        }

        #[test]
        fn never_panics_on_a_mutated_master_list(
            edits in prop::collection::vec((0usize..4000, any::<u8>()), 1..4),
            cut in 0usize..4000,
        ) {
            let f = fixture();
            let mut ml = f.ec.csca.sign_master_list(42, &[&f.ec.csca.certificate, &f.rsa.csca.certificate]);
            let len = ml.len();
            for (i, b) in edits {
                ml[i % len] = b;
            }
            ml.truncate(len - cut % len);
            if let Err(e) = TrustStore::from_master_list(&ml, &f.ec.trust_store(), NOW, Policy::default()) {
                assert_vi(&e.to_string(), &e.vi());
            }
        }

        #[test]
        fn never_panics_on_arbitrary_bytes(sod in prop::collection::vec(any::<u8>(), 0..300)) {
            let f = fixture();
            let pa = authenticate(&sod, &f.ec_card.data_groups(), &f.ec.trust_store(), NOW, Policy::default());
            prop_assert!(!pa.passed());
            let _ = TrustStore::from_master_list(&sod, &f.ec.trust_store(), NOW, Policy::default());
        }
    }
}
