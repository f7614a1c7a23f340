//! A test PKI and a signed LDS, generated when asked: no key or certificate is checked in.
//! For this crate's tests, the web crate's tests and the card simulator (cargo feature
//! `testkit`).
//!
//! - [`Csca`]: a country signing CA (RSA-2048, P-256 or P-384) and its self-signed
//!   certificate; it issues [`DocumentSigner`]s and signs master lists.
//! - [`DocumentSigner`]: signs EF.SOD over the data groups it is given.
//! - [`TestCard`]: EF.COM, DG1 (a TD1 MRZ with correct check digits), DG2 (a tiny JPEG), DG13
//!   (Vietnamese text, laid out as [`crate::lds::DG13_LAYOUT`] says), DG14, DG15 and EF.SOD.
//!
//! **Test keys only.** Randomness comes from a seeded, non-cryptographic generator, so that
//! one seed gives the same PKI on every machine; nothing made here may protect anything.
//! The functions panic only if the cryptographic library refuses keys it generated itself.

use ecdsa::signature::hazmat::PrehashSigner;
use rsa::rand_core::{CryptoRng, Error as RandError, RngCore};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use time::macros::datetime;
use time::OffsetDateTime;

use super::asn1::{oid_to_bytes, oids};
use super::crypto::HashAlgorithm;
use super::dg13::{Dg13, Dg13Field, DG13_LAYOUT};
use super::passive::TrustStore;
use super::{dg_tag, COM_TAG, SOD_TAG};
use crate::chip::reader::fid;
use crate::chip::simulator::SimulatedCard;
use crate::tlv::{encode, Reader, Tag};

/// SplitMix64: deterministic and fast. Not cryptographic: for test keys only.
#[derive(Debug, Clone)]
pub struct TestRng(u64);

impl TestRng {
    pub fn new(seed: u64) -> Self {
        TestRng(seed)
    }
}

impl RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(bytes.get(..chunk.len()).unwrap_or_default());
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), RandError> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// Declared so that the key generators accept it; it is not. Test keys only.
impl CryptoRng for TestRng {}

// ---------------------------------------------------------------------------------------
// DER writing.

fn tlv(tag: u32, parts: &[&[u8]]) -> Vec<u8> {
    encode(Tag(tag), &parts.concat())
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, parts)
}

/// A SET OF in DER order (its elements sorted by their encodings).
fn set_of(mut parts: Vec<Vec<u8>>) -> Vec<u8> {
    parts.sort();
    encode(Tag::SET, &parts.concat())
}

fn oid(dotted: &str) -> Vec<u8> {
    encode(Tag::OID, &oid_to_bytes(dotted).unwrap_or_default())
}

/// A non-negative INTEGER from big-endian bytes.
fn uint_bytes(be: &[u8]) -> Vec<u8> {
    let start = be.iter().position(|b| *b != 0).unwrap_or(be.len());
    let mut v = be.get(start..).unwrap_or_default().to_vec();
    if v.first().is_none_or(|b| b & 0x80 != 0) {
        v.insert(0, 0);
    }
    encode(Tag::INTEGER, &v)
}

fn int(n: u64) -> Vec<u8> {
    uint_bytes(&n.to_be_bytes())
}

fn octets(b: &[u8]) -> Vec<u8> {
    encode(Tag::OCTET_STRING, b)
}

fn bits(b: &[u8]) -> Vec<u8> {
    tlv(0x03, &[&[0], b])
}

fn utf8(s: &str) -> Vec<u8> {
    encode(Tag::UTF8_STRING, s.as_bytes())
}

fn printable(s: &str) -> Vec<u8> {
    encode(Tag::PRINTABLE_STRING, s.as_bytes())
}

fn explicit(n: u8, content: &[u8]) -> Vec<u8> {
    encode(Tag::context(n, true), content)
}

/// UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5).
fn time(t: OffsetDateTime) -> Vec<u8> {
    let t = t.to_offset(time::UtcOffset::UTC);
    let rest = format!(
        "{:02}{:02}{:02}{:02}{:02}Z",
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if (1950..2050).contains(&t.year()) {
        let s = format!("{:02}{rest}", t.year() % 100);
        encode(Tag::UTC_TIME, s.as_bytes())
    } else {
        let s = format!("{:04}{rest}", t.year());
        encode(Tag::GENERALIZED_TIME, s.as_bytes())
    }
}

fn hash_identifier(h: HashAlgorithm) -> Vec<u8> {
    seq(&[&oid(h.oid())])
}

// ---------------------------------------------------------------------------------------
// Keys and signatures.

/// The kind of a generated key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa2048,
    EcP256,
    EcP384,
}

/// How a test key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    RsaPkcs1(HashAlgorithm),
    /// With MGF1 over the same hash and a salt as long as the hash.
    RsaPss(HashAlgorithm),
    /// DER (X9.62) signatures.
    Ecdsa(HashAlgorithm),
}

impl SignatureAlgorithm {
    pub fn hash(self) -> HashAlgorithm {
        match self {
            SignatureAlgorithm::RsaPkcs1(h)
            | SignatureAlgorithm::RsaPss(h)
            | SignatureAlgorithm::Ecdsa(h) => h,
        }
    }

    /// The AlgorithmIdentifier.
    fn identifier(self) -> Vec<u8> {
        use HashAlgorithm::*;
        match self {
            SignatureAlgorithm::RsaPkcs1(h) => {
                let id = match h {
                    Sha1 => oids::SHA1_WITH_RSA,
                    Sha224 => oids::SHA224_WITH_RSA,
                    Sha256 => oids::SHA256_WITH_RSA,
                    Sha384 => oids::SHA384_WITH_RSA,
                    Sha512 => oids::SHA512_WITH_RSA,
                };
                seq(&[&oid(id), &[0x05, 0x00]])
            }
            SignatureAlgorithm::RsaPss(h) => {
                let hash = seq(&[&oid(h.oid()), &[0x05, 0x00]]);
                let params = seq(&[
                    &explicit(0, &hash),
                    &explicit(1, &seq(&[&oid(oids::MGF1), &hash])),
                    &explicit(2, &int(h.output_len() as u64)),
                ]);
                seq(&[&oid(oids::RSA_PSS), &params])
            }
            SignatureAlgorithm::Ecdsa(h) => {
                let id = match h {
                    Sha1 => oids::ECDSA_WITH_SHA1,
                    Sha224 => oids::ECDSA_WITH_SHA224,
                    Sha256 => oids::ECDSA_WITH_SHA256,
                    Sha384 => oids::ECDSA_WITH_SHA384,
                    Sha512 => oids::ECDSA_WITH_SHA512,
                };
                seq(&[&oid(id)])
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Key {
    Rsa(Box<RsaPrivateKey>),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

impl Key {
    fn generate(kind: KeyKind, rng: &mut TestRng) -> Key {
        match kind {
            KeyKind::Rsa2048 => Key::Rsa(Box::new(
                RsaPrivateKey::new(rng, 2048).expect("RSA key generation"),
            )),
            KeyKind::EcP256 => Key::P256(p256::ecdsa::SigningKey::random(rng)),
            KeyKind::EcP384 => Key::P384(p384::ecdsa::SigningKey::random(rng)),
        }
    }

    /// A P-256 key's private scalar; zeros for other kinds (which no chip key is).
    fn p256_secret(&self) -> [u8; 32] {
        match self {
            Key::P256(k) => k.to_bytes().into(),
            _ => [0; 32],
        }
    }

    /// The SubjectPublicKeyInfo.
    fn spki(&self) -> Vec<u8> {
        let ec = |curve: &str, point: &[u8]| {
            seq(&[
                &seq(&[&oid(oids::EC_PUBLIC_KEY), &oid(curve)]),
                &bits(point),
            ])
        };
        match self {
            Key::Rsa(k) => {
                let rsa_key = seq(&[
                    &uint_bytes(&k.n().to_bytes_be()),
                    &uint_bytes(&k.e().to_bytes_be()),
                ]);
                seq(&[
                    &seq(&[&oid(oids::RSA_ENCRYPTION), &[0x05, 0x00]]),
                    &bits(&rsa_key),
                ])
            }
            Key::P256(k) => ec(
                oids::P256,
                k.verifying_key().to_encoded_point(false).as_bytes(),
            ),
            Key::P384(k) => ec(
                oids::P384,
                k.verifying_key().to_encoded_point(false).as_bytes(),
            ),
        }
    }

    fn default_algorithm(&self) -> SignatureAlgorithm {
        match self {
            Key::Rsa(_) => SignatureAlgorithm::RsaPkcs1(HashAlgorithm::Sha256),
            Key::P256(_) => SignatureAlgorithm::Ecdsa(HashAlgorithm::Sha256),
            Key::P384(_) => SignatureAlgorithm::Ecdsa(HashAlgorithm::Sha384),
        }
    }

    /// The signature of `message`; empty when the key cannot make that kind of signature
    /// (an RSA algorithm with an EC key, …), which no verifier accepts.
    fn sign(&self, alg: SignatureAlgorithm, message: &[u8], rng: &mut TestRng) -> Vec<u8> {
        let hashed = alg.hash().digest(message);
        match (self, alg) {
            (Key::Rsa(k), SignatureAlgorithm::RsaPkcs1(h)) => k
                .sign(h.pkcs1v15(true), &hashed)
                .expect("RSA PKCS#1 v1.5 signature"),
            (Key::Rsa(k), SignatureAlgorithm::RsaPss(h)) => k
                .sign_with_rng(rng, h.pss(h.output_len()), &hashed)
                .expect("RSA-PSS signature"),
            (Key::P256(k), SignatureAlgorithm::Ecdsa(_)) => {
                let sig: p256::ecdsa::Signature =
                    k.sign_prehash(&hashed).expect("ECDSA P-256 signature");
                sig.to_der().as_bytes().to_vec()
            }
            (Key::P384(k), SignatureAlgorithm::Ecdsa(_)) => {
                let sig: p384::ecdsa::Signature =
                    k.sign_prehash(&hashed).expect("ECDSA P-384 signature");
                sig.to_der().as_bytes().to_vec()
            }
            _ => Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Certificates.

/// A distinguished name: C=VN, O=Xã số test PKI, CN=`common_name`.
fn name(common_name: &str) -> Vec<u8> {
    let rdn = |id: &str, value: Vec<u8>| set_of(vec![seq(&[&oid(id), &value])]);
    seq(&[
        &rdn("2.5.4.6", printable("VN")),
        &rdn("2.5.4.10", utf8("Xã số test PKI")),
        &rdn("2.5.4.3", utf8(common_name)),
    ])
}

fn extension(id: &str, critical: bool, value: &[u8]) -> Vec<u8> {
    if critical {
        seq(&[&oid(id), &[0x01, 0x01, 0xFF], &octets(value)])
    } else {
        seq(&[&oid(id), &octets(value)])
    }
}

struct CertificateSpec<'a> {
    serial: &'a [u8],
    issuer_name: &'a [u8],
    subject_name: &'a [u8],
    validity: (OffsetDateTime, OffsetDateTime),
    spki: &'a [u8],
    ca: bool,
    subject_key_id: &'a [u8],
    authority_key_id: &'a [u8],
}

fn certificate(
    spec: &CertificateSpec<'_>,
    issuer_key: &Key,
    alg: SignatureAlgorithm,
    rng: &mut TestRng,
) -> Vec<u8> {
    let alg_id = alg.identifier();
    let basic = if spec.ca {
        seq(&[&[0x01, 0x01, 0xFF]])
    } else {
        seq(&[])
    };
    // keyCertSign and cRLSign for a CA, digitalSignature otherwise.
    let usage: &[u8] = if spec.ca {
        &[0x03, 0x02, 0x01, 0x06]
    } else {
        &[0x03, 0x02, 0x07, 0x80]
    };
    let extensions = seq(&[
        &extension(oids::BASIC_CONSTRAINTS, true, &basic),
        &extension(oids::KEY_USAGE, true, usage),
        &extension(oids::SUBJECT_KEY_ID, false, &octets(spec.subject_key_id)),
        &extension(
            oids::AUTHORITY_KEY_ID,
            false,
            &seq(&[&encode(Tag(0x80), spec.authority_key_id)]),
        ),
    ]);
    let tbs = seq(&[
        &explicit(0, &int(2)),
        &encode(Tag::INTEGER, spec.serial),
        &alg_id,
        spec.issuer_name,
        &seq(&[&time(spec.validity.0), &time(spec.validity.1)]),
        spec.subject_name,
        spec.spki,
        &explicit(3, &extensions),
    ]);
    let signature = issuer_key.sign(alg, &tbs, rng);
    seq(&[&tbs, &alg_id, &bits(&signature)])
}

/// A positive serial number's INTEGER content.
fn serial(rng: &mut TestRng) -> Vec<u8> {
    let mut b = (rng.next_u64() >> 1).to_be_bytes().to_vec();
    if b.first() == Some(&0) {
        b[0] = 0x01;
    }
    b
}

/// CSCA certificates are valid from 2020 to 2040.
pub fn default_csca_validity() -> (OffsetDateTime, OffsetDateTime) {
    (
        datetime!(2020-01-01 0:00 UTC),
        datetime!(2040-01-01 0:00 UTC),
    )
}

/// Document signer certificates are valid from 2021 to 2036.
pub fn default_ds_validity() -> (OffsetDateTime, OffsetDateTime) {
    (
        datetime!(2021-01-01 0:00 UTC),
        datetime!(2036-01-01 0:00 UTC),
    )
}

/// A country signing CA.
#[derive(Debug, Clone)]
pub struct Csca {
    key: Key,
    /// Its self-signed certificate (DER).
    pub certificate: Vec<u8>,
    name: Vec<u8>,
    key_id: Vec<u8>,
    seed: u64,
}

impl Csca {
    /// A new CSCA with key `kind`, named C=VN, O=Xã số test PKI, CN=`common_name`.
    pub fn generate(
        seed: u64,
        kind: KeyKind,
        common_name: &str,
        validity: (OffsetDateTime, OffsetDateTime),
    ) -> Csca {
        let mut rng = TestRng::new(seed);
        let key = Key::generate(kind, &mut rng);
        let spki = key.spki();
        let name = name(common_name);
        let key_id = HashAlgorithm::Sha1.digest(&spki);
        let serial = serial(&mut rng);
        let certificate = certificate(
            &CertificateSpec {
                serial: &serial,
                issuer_name: &name,
                subject_name: &name,
                validity,
                spki: &spki,
                ca: true,
                subject_key_id: &key_id,
                authority_key_id: &key_id,
            },
            &key,
            key.default_algorithm(),
            &mut rng,
        );
        Csca {
            key,
            certificate,
            name,
            key_id,
            seed,
        }
    }

    /// A document signer with key `kind` whose certificate this CSCA signs.
    pub fn issue_document_signer(
        &self,
        seed: u64,
        kind: KeyKind,
        common_name: &str,
        validity: (OffsetDateTime, OffsetDateTime),
    ) -> DocumentSigner {
        let mut rng = TestRng::new(seed ^ self.seed.rotate_left(17));
        let key = Key::generate(kind, &mut rng);
        let spki = key.spki();
        let subject = name(common_name);
        let key_id = HashAlgorithm::Sha1.digest(&spki);
        let serial = serial(&mut rng);
        let certificate = certificate(
            &CertificateSpec {
                serial: &serial,
                issuer_name: &self.name,
                subject_name: &subject,
                validity,
                spki: &spki,
                ca: false,
                subject_key_id: &key_id,
                authority_key_id: &self.key_id,
            },
            &self.key,
            self.key.default_algorithm(),
            &mut rng,
        );
        let algorithm = key.default_algorithm();
        DocumentSigner {
            key,
            certificate,
            issuer_name: self.name.clone(),
            serial,
            key_id,
            algorithm,
            seed,
        }
    }

    /// An ICAO master list (CMS SignedData of a CscaMasterList, without any outer tag)
    /// holding `cscas`, signed by a master list signer this CSCA issues (P-256).
    pub fn sign_master_list(&self, seed: u64, cscas: &[&[u8]]) -> Vec<u8> {
        let signer = self.issue_document_signer(
            seed,
            KeyKind::EcP256,
            "Master List Signer Test",
            default_ds_validity(),
        );
        let content = seq(&[&int(0), &encode(Tag::SET, &cscas.concat())]);
        let mut rng = TestRng::new(seed);
        signed_data(
            oids::CSCA_MASTER_LIST,
            &content,
            &signer,
            &[&signer.certificate, &self.certificate],
            Some(datetime!(2024-01-01 0:00 UTC)),
            false,
            &mut rng,
        )
    }
}

/// A document signer: signs EF.SOD.
#[derive(Debug, Clone)]
pub struct DocumentSigner {
    key: Key,
    /// Its certificate (DER), signed by the CSCA.
    pub certificate: Vec<u8>,
    issuer_name: Vec<u8>,
    serial: Vec<u8>,
    key_id: Vec<u8>,
    /// How it signs the SOD: PKCS#1 v1.5 with SHA-256 for RSA keys, ECDSA with SHA-256 on
    /// P-256 and SHA-384 on P-384 unless changed.
    pub algorithm: SignatureAlgorithm,
    seed: u64,
}

impl DocumentSigner {
    /// The same signer, signing with `algorithm` (RSA-PSS, another hash).
    pub fn with_algorithm(mut self, algorithm: SignatureAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// EF.SOD over `data_groups` (number and bytes as on the chip).
    pub fn sign_sod(&self, data_groups: &[(u8, &[u8])], options: &SodOptions) -> Vec<u8> {
        let hashes: Vec<Vec<u8>> = data_groups
            .iter()
            .map(|(dg, bytes)| {
                seq(&[
                    &int(u64::from(*dg)),
                    &octets(&options.dg_hash.digest(bytes)),
                ])
            })
            .collect();
        let mut lso_parts = vec![
            int(u64::from(options.lds_version.is_some())),
            hash_identifier(options.dg_hash),
            seq(&hashes.iter().map(Vec::as_slice).collect::<Vec<_>>()),
        ];
        if let Some((lds, unicode)) = &options.lds_version {
            lso_parts.push(seq(&[&printable(lds), &printable(unicode)]));
        }
        let lso = seq(&lso_parts.iter().map(Vec::as_slice).collect::<Vec<_>>());
        let certificates: Vec<&[u8]> = if options.include_certificate {
            vec![&self.certificate]
        } else {
            Vec::new()
        };
        let mut rng = TestRng::new(self.seed.wrapping_add(0x50D));
        let content_info = signed_data(
            oids::LDS_SECURITY_OBJECT,
            &lso,
            self,
            &certificates,
            options.signing_time,
            options.sid_key_identifier,
            &mut rng,
        );
        encode(Tag(u32::from(SOD_TAG)), &content_info)
    }
}

/// How EF.SOD is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SodOptions {
    /// The hash of the data groups.
    pub dg_hash: HashAlgorithm,
    pub signing_time: Option<OffsetDateTime>,
    /// Carry the document signer's certificate (ICAO requires it).
    pub include_certificate: bool,
    /// Name the signer by subject key identifier instead of issuer and serial number.
    pub sid_key_identifier: bool,
    /// Write an LDS security object of version 1 with this LDS and Unicode version.
    pub lds_version: Option<(String, String)>,
}

impl Default for SodOptions {
    fn default() -> Self {
        SodOptions {
            dg_hash: HashAlgorithm::Sha256,
            signing_time: Some(datetime!(2021-04-15 8:00 UTC)),
            include_certificate: true,
            sid_key_identifier: false,
            lds_version: None,
        }
    }
}

/// A ContentInfo with SignedData over `content`, signed by `signer`.
fn signed_data(
    content_type: &str,
    content: &[u8],
    signer: &DocumentSigner,
    certificates: &[&[u8]],
    signing_time: Option<OffsetDateTime>,
    sid_key_identifier: bool,
    rng: &mut TestRng,
) -> Vec<u8> {
    let alg = signer.algorithm;
    let digest = alg.hash();
    let mut attributes = vec![
        seq(&[
            &oid(oids::CONTENT_TYPE),
            &encode(Tag::SET, &oid(content_type)),
        ]),
        seq(&[
            &oid(oids::MESSAGE_DIGEST),
            &encode(Tag::SET, &octets(&digest.digest(content))),
        ]),
    ];
    if let Some(t) = signing_time {
        attributes.push(seq(&[
            &oid(oids::SIGNING_TIME),
            &encode(Tag::SET, &time(t)),
        ]));
    }
    let signed = set_of(attributes);
    let signature = signer.key.sign(alg, &signed, rng);
    // Inside the SignerInfo the same attributes are marked [0] instead of SET OF.
    let attrs_content = Reader::new(&signed)
        .read()
        .map(|t| t.value.to_vec())
        .unwrap_or_default();
    let (version, sid) = if sid_key_identifier {
        (3, encode(Tag(0x80), &signer.key_id))
    } else {
        (
            1,
            seq(&[&signer.issuer_name, &encode(Tag::INTEGER, &signer.serial)]),
        )
    };
    let signer_info = seq(&[
        &int(version),
        &sid,
        &hash_identifier(digest),
        &encode(Tag::context(0, true), &attrs_content),
        &alg.identifier(),
        &octets(&signature),
    ]);
    let mut parts = vec![
        int(3),
        encode(Tag::SET, &hash_identifier(digest)),
        seq(&[&oid(content_type), &explicit(0, &octets(content))]),
    ];
    if !certificates.is_empty() {
        parts.push(encode(Tag::context(0, true), &certificates.concat()));
    }
    parts.push(encode(Tag::SET, &signer_info));
    let sd = seq(&parts.iter().map(Vec::as_slice).collect::<Vec<_>>());
    seq(&[&oid(oids::SIGNED_DATA), &explicit(0, &sd)])
}

// ---------------------------------------------------------------------------------------
// The data groups.

/// EF.COM for LDS 1.7, Unicode 4.0.0 and the data groups `dgs`.
pub fn encode_com(dgs: &[u8]) -> Vec<u8> {
    let tags: Vec<u8> = dgs.iter().filter_map(|dg| dg_tag(*dg)).collect();
    tlv(
        u32::from(COM_TAG),
        &[
            &encode(Tag(0x5F01), b"0107"),
            &encode(Tag(0x5F36), b"040000"),
            &encode(Tag(0x5C), &tags),
        ],
    )
}

/// DG1 around `mrz`.
pub fn encode_dg1(mrz: &str) -> Vec<u8> {
    tlv(0x61, &[&encode(Tag(0x5F1F), mrz.as_bytes())])
}

/// A JPEG of a few bytes: start of image, a JFIF header, end of image.
pub fn tiny_jpeg() -> Vec<u8> {
    vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00, 0xFF, 0xD9,
    ]
}

/// DG2 with one face: an ISO/IEC 19794-5:2005 record (1×1 pixels, JPEG) around `image`.
pub fn encode_dg2(image: &[u8]) -> Vec<u8> {
    let block_len = (20 + 12 + image.len()) as u32;
    let record_len = 14 + block_len;
    let mut record = Vec::new();
    record.extend(b"FAC\x00010\x00");
    record.extend(record_len.to_be_bytes());
    record.extend(1u16.to_be_bytes());
    // Facial information: length, no feature points, female, eyes, hair, feature mask,
    // expression, pose angle and its uncertainty.
    record.extend(block_len.to_be_bytes());
    record.extend(0u16.to_be_bytes());
    record.extend([0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // Image information: full frontal, JPEG, width, height, colour space, source, device,
    // quality.
    record.extend([0x01, 0x00]);
    record.extend(1u16.to_be_bytes());
    record.extend(1u16.to_be_bytes());
    record.extend([0x01, 0x02, 0, 0, 0, 0]);
    record.extend_from_slice(image);
    let header = tlv(
        0xA1,
        &[
            &encode(Tag(0x80), &[0x01, 0x01]),
            &encode(Tag(0x81), &[0x02]),
            &encode(Tag(0x87), &[0x01, 0x01]),
            &encode(Tag(0x88), &[0x00, 0x08]),
        ],
    );
    let template = tlv(0x7F60, &[&header, &encode(Tag(0x5F2E), &record)]);
    tlv(
        0x75,
        &[&tlv(0x7F61, &[&encode(Tag::INTEGER, &[1]), &template])],
    )
}

/// The string type a DG13 field is written with on cards: PrintableString for numbers and
/// the dates of birth and issue, UTF8String otherwise.
fn dg13_string(field: Dg13Field, text: &str) -> Vec<u8> {
    match field {
        Dg13Field::IdNumber
        | Dg13Field::DateOfBirth
        | Dg13Field::IssueDate
        | Dg13Field::OldIdNumber => printable(text),
        _ => utf8(text),
    }
}

/// DG13 as [`DG13_LAYOUT`] lays it out: one `SEQUENCE { INTEGER n, value }` per field
/// present (the spouse's always, empty when there is none), then the other fields.
pub fn encode_dg13(dg13: &Dg13) -> Vec<u8> {
    let mut fields = Vec::new();
    for (n, field) in DG13_LAYOUT {
        let number = int(u64::from(n));
        let values = dg13.values(field);
        match field {
            Dg13Field::Parents | Dg13Field::SpouseName => {
                if values.is_empty() && field == Dg13Field::Parents {
                    continue;
                }
                let mut parts = vec![number];
                parts.extend(values.iter().map(|v| seq(&[&utf8(v)])));
                fields.push(seq(&parts.iter().map(Vec::as_slice).collect::<Vec<_>>()));
            }
            _ => {
                if let Some(v) = values.first() {
                    fields.push(seq(&[&number, &dg13_string(field, v)]));
                }
            }
        }
    }
    for (n, values) in &dg13.other_fields {
        let mut parts = vec![int(*n)];
        parts.extend(values.iter().map(|v| utf8(v)));
        fields.push(seq(&parts.iter().map(Vec::as_slice).collect::<Vec<_>>()));
    }
    tlv(0x6D, &fields.iter().map(Vec::as_slice).collect::<Vec<_>>())
}

/// The chip's own keys: chip authentication (DG14) and active authentication (DG15), both
/// on P-256.
#[derive(Debug, Clone)]
pub struct ChipKeys {
    chip_authentication: Key,
    active_authentication: Key,
}

impl ChipKeys {
    pub fn generate(seed: u64) -> ChipKeys {
        let mut rng = TestRng::new(seed);
        ChipKeys {
            chip_authentication: Key::generate(KeyKind::EcP256, &mut rng),
            active_authentication: Key::generate(KeyKind::EcP256, &mut rng),
        }
    }

    pub fn chip_authentication_spki(&self) -> Vec<u8> {
        self.chip_authentication.spki()
    }

    pub fn active_authentication_spki(&self) -> Vec<u8> {
        self.active_authentication.spki()
    }

    /// The private scalars (big-endian), for the card simulator: chip authentication's and
    /// active authentication's.
    pub fn secrets(&self) -> ([u8; 32], [u8; 32]) {
        (
            self.chip_authentication.p256_secret(),
            self.active_authentication.p256_secret(),
        )
    }
}

/// DG14: the chip authentication public key (ECDH), chip authentication with AES-128, and
/// active authentication with ECDSA-SHA-256.
pub fn encode_dg14(chip: &ChipKeys) -> Vec<u8> {
    let infos = [
        seq(&[
            &oid("0.4.0.127.0.7.2.2.1.2"),
            &chip.chip_authentication_spki(),
        ]),
        seq(&[&oid("0.4.0.127.0.7.2.2.3.2.2"), &int(1)]),
        seq(&[
            &oid("2.23.136.1.1.5"),
            &int(1),
            &oid(oids::ECDSA_WITH_SHA256),
        ]),
    ];
    tlv(0x6E, &[&encode(Tag::SET, &infos.concat())])
}

/// DG15: the active authentication public key.
pub fn encode_dg15(chip: &ChipKeys) -> Vec<u8> {
    tlv(0x6F, &[&chip.active_authentication_spki()])
}

// ---------------------------------------------------------------------------------------
// A card.

fn check_digit(s: &str) -> char {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let sum: u32 = s
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let v = match b {
                b'0'..=b'9' => u32::from(b - b'0'),
                b'A'..=b'Z' => u32::from(b - b'A') + 10,
                _ => 0,
            };
            v * WEIGHTS[i % 3]
        })
        .sum();
    char::from(b'0' + (sum % 10) as u8)
}

fn pad(s: &str, width: usize) -> String {
    let mut out = s.to_owned();
    while out.len() < width {
        out.push('<');
    }
    out
}

/// A TD1 MRZ (3 lines of 30, without line breaks) as on a CCCD: the document number is the
/// last 9 digits of the personal ID number, which follows in the optional data.
pub fn td1_mrz(personal_id: &str, birth: &str, sex: char, expiry: &str, name: &str) -> String {
    let document = personal_id.get(3..).unwrap_or(personal_id);
    let line1 = format!(
        "IDVNM{document}{}{}",
        check_digit(document),
        pad(personal_id, 15)
    );
    let middle = format!(
        "{birth}{}{sex}{expiry}{}VNM{}",
        check_digit(birth),
        check_digit(expiry),
        pad("", 11)
    );
    let composite_input = format!(
        "{}{}{}{}",
        line1.get(5..30).unwrap_or_default(),
        middle.get(0..7).unwrap_or_default(),
        middle.get(8..15).unwrap_or_default(),
        middle.get(18..29).unwrap_or_default()
    );
    let line2 = format!("{middle}{}", check_digit(&composite_input));
    format!("{line1}{line2}{}", pad(name, 30))
}

/// The MRZ of the sample holder.
pub fn sample_mrz() -> String {
    td1_mrz(
        "038185012345",
        "850902",
        'F',
        "450902",
        "NGUYEN<<THI<THU<HA",
    )
}

/// A fictitious holder, in Vietnamese.
pub fn sample_dg13() -> Dg13 {
    let s = |v: &str| Some(v.to_owned());
    Dg13 {
        id_number: s("038185012345"),
        full_name: s("Nguyễn Thị Thu Hà"),
        date_of_birth: s("02/09/1985"),
        sex: s("Nữ"),
        nationality: s("Việt Nam"),
        ethnicity: s("Kinh"),
        religion: s("Không"),
        home_town: s("Xã Tế Lợi, Nông Cống, Thanh Hóa"),
        place_of_residence: s("Thôn 3, Tế Lợi, Nông Cống, Thanh Hóa"),
        identifying_marks: s("Nốt ruồi C:1cm trên trước mép trái"),
        issue_date: s("15/04/2021"),
        expiry_date: s("02/09/2045"),
        father_name: s("Nguyễn Văn Hùng"),
        mother_name: s("Lê Thị Lan"),
        spouse_name: s("Trần Văn Nam"),
        old_id_number: s("172345678"),
        other_fields: Vec::new(),
    }
}

/// The files of one card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCard {
    pub com: Vec<u8>,
    pub dg1: Vec<u8>,
    pub dg2: Vec<u8>,
    pub dg13: Vec<u8>,
    pub dg14: Vec<u8>,
    pub dg15: Vec<u8>,
    pub sod: Vec<u8>,
}

impl TestCard {
    /// A card for `holder` with `mrz`, signed by `signer`.
    pub fn issue(
        signer: &DocumentSigner,
        holder: &Dg13,
        mrz: &str,
        chip: &ChipKeys,
        options: &SodOptions,
    ) -> TestCard {
        let mut card = TestCard {
            com: encode_com(&[1, 2, 13, 14, 15]),
            dg1: encode_dg1(mrz),
            dg2: encode_dg2(&tiny_jpeg()),
            dg13: encode_dg13(holder),
            dg14: encode_dg14(chip),
            dg15: encode_dg15(chip),
            sod: Vec::new(),
        };
        card.sod = signer.sign_sod(&card.data_groups(), options);
        card
    }

    /// The sample holder's card.
    pub fn sample(signer: &DocumentSigner) -> TestCard {
        TestCard::issue(
            signer,
            &sample_dg13(),
            &sample_mrz(),
            &ChipKeys::generate(7),
            &SodOptions::default(),
        )
    }

    /// The card as a simulated chip offering PACE, holding `chip`'s private keys: the keys
    /// the card was issued with, or others for a clone (its files copied, not its keys).
    /// `None` when DG1 does not hold a TD1 MRZ (the access key comes from it).
    pub fn simulated(&self, chip: &ChipKeys) -> Option<SimulatedCard> {
        let (ca, aa) = chip.secrets();
        let dg1 = super::parse_dg1(&self.dg1).ok()?;
        let mrz = crate::chip::mrz::parse(&dg1.mrz).ok()?.mrz_information();
        let card = SimulatedCard::new(&mrz)
            .with_pace()
            .with_file(fid::EF_COM, self.com.clone())
            .with_file(fid::DG1, self.dg1.clone())
            .with_file(fid::DG2, self.dg2.clone())
            .with_file(fid::DG13, self.dg13.clone())
            .with_file(fid::DG14, self.dg14.clone())
            .with_file(fid::DG15, self.dg15.clone())
            .with_file(fid::EF_SOD, self.sod.clone())
            .with_chip_keys(ca, aa);
        Some(card)
    }

    /// The data groups with their numbers, as passive authentication takes them.
    pub fn data_groups(&self) -> Vec<(u8, &[u8])> {
        vec![
            (1, self.dg1.as_slice()),
            (2, self.dg2.as_slice()),
            (13, self.dg13.as_slice()),
            (14, self.dg14.as_slice()),
            (15, self.dg15.as_slice()),
        ]
    }
}

/// A CSCA and a document signer it issued, with the default validity periods.
#[derive(Debug, Clone)]
pub struct TestPki {
    pub csca: Csca,
    pub document_signer: DocumentSigner,
}

impl TestPki {
    pub fn generate(seed: u64, csca: KeyKind, document_signer: KeyKind) -> TestPki {
        let csca = Csca::generate(seed, csca, "CSCA Test", default_csca_validity());
        let document_signer = csca.issue_document_signer(
            seed.wrapping_add(1),
            document_signer,
            "Document Signer Test",
            default_ds_validity(),
        );
        TestPki {
            csca,
            document_signer,
        }
    }

    /// A trust store holding the CSCA.
    pub fn trust_store(&self) -> TrustStore {
        TrustStore::from_certificates([&self.csca.certificate]).unwrap_or_default()
    }
}

/// What the tests of this crate share, made once: an RSA PKI (RSA-2048 CSCA and document
/// signer, PKCS#1 v1.5), an EC PKI (P-384 CSCA, P-256 document signer) and the sample card
/// signed by each.
#[cfg(test)]
pub(crate) struct Fixture {
    pub rsa: TestPki,
    pub ec: TestPki,
    pub rsa_card: TestCard,
    pub ec_card: TestCard,
}

#[cfg(test)]
pub(crate) fn fixture() -> &'static Fixture {
    static FIXTURE: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    FIXTURE.get_or_init(|| {
        let rsa = TestPki::generate(11, KeyKind::Rsa2048, KeyKind::Rsa2048);
        let ec = TestPki::generate(21, KeyKind::EcP384, KeyKind::EcP256);
        let rsa_card = TestCard::sample(&rsa.document_signer);
        let ec_card = TestCard::sample(&ec.document_signer);
        Fixture {
            rsa,
            ec,
            rsa_card,
            ec_card,
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_mrz_has_the_td1_shape_and_check_digits() {
        let mrz = sample_mrz();
        assert_eq!(mrz.len(), 90);
        assert_eq!(check_digit("185012345"), '9');
        assert_eq!(&mrz[..30], "IDVNM1850123459038185012345<<<");
        assert_eq!(&mrz[30..38], "8509026F");
        assert_eq!(&mrz[60..], "NGUYEN<<THI<THU<HA<<<<<<<<<<<<");
        // ICAO Doc 9303 Part 3's example: 520727 → 3.
        assert_eq!(check_digit("520727"), '3');
        assert_eq!(check_digit("L898902C<"), '3');
    }

    /// Writes valid files as seeds for the fuzz targets (`fuzz/`): run with
    /// `XASO_FUZZ_SEEDS=fuzz/corpus cargo test -p xaso-card --all-features write_fuzz_seeds -- --ignored`.
    #[test]
    #[ignore]
    fn write_fuzz_seeds() {
        let Ok(dir) = std::env::var("XASO_FUZZ_SEEDS") else {
            return;
        };
        let f = fixture();
        let ml =
            f.ec.csca
                .sign_master_list(42, &[&f.ec.csca.certificate, &f.rsa.csca.certificate]);
        let seeds: Vec<(&str, Vec<u8>)> = vec![
            ("ef_com", f.ec_card.com.clone()),
            ("dg1", f.ec_card.dg1.clone()),
            ("dg2", f.ec_card.dg2.clone()),
            ("dg13", f.ec_card.dg13.clone()),
            ("dg14", f.ec_card.dg14.clone()),
            ("dg15", f.ec_card.dg15.clone()),
            ("sod_cms", f.ec_card.sod.clone()),
            ("sod_cms", f.rsa_card.sod.clone()),
            ("x509", f.ec.csca.certificate.clone()),
            ("x509", f.rsa.document_signer.certificate.clone()),
            ("master_list", ml),
            (
                "card_access",
                crate::lds::card_access::encode_card_access_p256(),
            ),
            ("tlv", f.ec_card.sod.clone()),
            ("mrz_td1", sample_mrz().into_bytes()),
        ];
        for (i, (target, bytes)) in seeds.iter().enumerate() {
            let d = std::path::Path::new(&dir).join(target);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(format!("seed-{i}")), bytes).unwrap();
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_pki() {
        let a = Csca::generate(5, KeyKind::EcP256, "A", default_csca_validity());
        let b = Csca::generate(5, KeyKind::EcP256, "A", default_csca_validity());
        let c = Csca::generate(6, KeyKind::EcP256, "A", default_csca_validity());
        assert_eq!(a.certificate, b.certificate);
        assert_ne!(a.certificate, c.certificate);
    }

    #[test]
    fn integers_and_times_are_der() {
        assert_eq!(int(0), [0x02, 0x01, 0x00]);
        assert_eq!(int(0x80), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(int(0x0102), [0x02, 0x02, 0x01, 0x02]);
        assert_eq!(time(datetime!(2049-12-31 23:59:59 UTC))[0], 0x17);
        assert_eq!(time(datetime!(2050-01-01 0:00 UTC))[0], 0x18);
    }
}
