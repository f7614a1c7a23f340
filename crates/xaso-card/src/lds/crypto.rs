//! The hash and signature algorithms of passive authentication: SHA-1 (only when the caller
//! tolerates it) and SHA-2; RSA PKCS#1 v1.5, RSASSA-PSS and ECDSA on P-256 and P-384, with
//! DER (X9.62) or plain (BSI TR-03111) ECDSA signatures.

use ecdsa::signature::hazmat::PrehashVerifier;
use rsa::{BigUint, Pkcs1v15Sign, Pss, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use super::asn1::{self, oids, AlgorithmIdentifier};
use super::dg_security::rsa_public_key;
use super::Element;
use crate::tlv::{Reader, Tag};

/// A hash algorithm of the LDS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// Broken for collisions; early documents still use it.
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlgorithm {
    pub fn from_oid(oid: &str) -> Option<HashAlgorithm> {
        Some(match oid {
            oids::SHA1 => HashAlgorithm::Sha1,
            oids::SHA224 => HashAlgorithm::Sha224,
            oids::SHA256 => HashAlgorithm::Sha256,
            oids::SHA384 => HashAlgorithm::Sha384,
            oids::SHA512 => HashAlgorithm::Sha512,
            _ => return None,
        })
    }

    pub fn oid(self) -> &'static str {
        match self {
            HashAlgorithm::Sha1 => oids::SHA1,
            HashAlgorithm::Sha224 => oids::SHA224,
            HashAlgorithm::Sha256 => oids::SHA256,
            HashAlgorithm::Sha384 => oids::SHA384,
            HashAlgorithm::Sha512 => oids::SHA512,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha1 => "SHA-1",
            HashAlgorithm::Sha224 => "SHA-224",
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha384 => "SHA-384",
            HashAlgorithm::Sha512 => "SHA-512",
        }
    }

    /// The length of a digest, in bytes.
    pub fn output_len(self) -> usize {
        match self {
            HashAlgorithm::Sha1 => 20,
            HashAlgorithm::Sha224 => 28,
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha384 => 48,
            HashAlgorithm::Sha512 => 64,
        }
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlgorithm::Sha1 => Sha1::digest(data).to_vec(),
            HashAlgorithm::Sha224 => Sha224::digest(data).to_vec(),
            HashAlgorithm::Sha256 => Sha256::digest(data).to_vec(),
            HashAlgorithm::Sha384 => Sha384::digest(data).to_vec(),
            HashAlgorithm::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// The DER DigestInfo prefix of PKCS#1 v1.5 signatures (RFC 8017 §9.2, note 1), with
    /// NULL parameters and, as some signers write it, without.
    fn digest_info_prefixes(self) -> [Vec<u8>; 2] {
        let oid = asn1::oid_to_bytes(self.oid()).unwrap_or_default();
        let len = self.output_len();
        let with_null = |null: bool| {
            let mut alg = vec![0x06, oid.len() as u8];
            alg.extend(&oid);
            if null {
                alg.extend([0x05, 0x00]);
            }
            let mut out = vec![0x30, (alg.len() + 2 + 2 + len) as u8, 0x30, alg.len() as u8];
            out.extend(alg);
            out.extend([0x04, len as u8]);
            out
        };
        [with_null(true), with_null(false)]
    }

    pub(crate) fn pkcs1v15(self, with_null: bool) -> Pkcs1v15Sign {
        let [a, b] = self.digest_info_prefixes();
        Pkcs1v15Sign {
            hash_len: Some(self.output_len()),
            prefix: if with_null { a } else { b }.into_boxed_slice(),
        }
    }

    pub(crate) fn pss(self, salt_len: usize) -> Pss {
        match self {
            HashAlgorithm::Sha1 => Pss::new_with_salt::<Sha1>(salt_len),
            HashAlgorithm::Sha224 => Pss::new_with_salt::<Sha224>(salt_len),
            HashAlgorithm::Sha256 => Pss::new_with_salt::<Sha256>(salt_len),
            HashAlgorithm::Sha384 => Pss::new_with_salt::<Sha384>(salt_len),
            HashAlgorithm::Sha512 => Pss::new_with_salt::<Sha512>(salt_len),
        }
    }
}

/// How a signature is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    RsaPkcs1(HashAlgorithm),
    RsaPss {
        hash: HashAlgorithm,
        salt_len: usize,
    },
    /// `plain`: r ‖ s (BSI TR-03111) instead of a DER SEQUENCE.
    Ecdsa {
        hash: HashAlgorithm,
        plain: bool,
    },
}

impl Scheme {
    pub(crate) fn hash(self) -> HashAlgorithm {
        match self {
            Scheme::RsaPkcs1(hash) | Scheme::RsaPss { hash, .. } | Scheme::Ecdsa { hash, .. } => {
                hash
            }
        }
    }
}

/// The scheme of a signature algorithm. `digest` is the hash to use with the algorithms
/// that do not name one (`rsaEncryption`, `id-ecPublicKey`, as CMS signers may write). The
/// error describes what is not supported.
pub(crate) fn scheme(
    alg: &AlgorithmIdentifier,
    digest: Option<HashAlgorithm>,
) -> Result<Scheme, String> {
    use HashAlgorithm::*;
    let unsupported = || alg.to_string();
    let ecdsa = |hash, plain| Ok(Scheme::Ecdsa { hash, plain });
    match alg.oid.as_str() {
        oids::SHA1_WITH_RSA => Ok(Scheme::RsaPkcs1(Sha1)),
        oids::SHA224_WITH_RSA => Ok(Scheme::RsaPkcs1(Sha224)),
        oids::SHA256_WITH_RSA => Ok(Scheme::RsaPkcs1(Sha256)),
        oids::SHA384_WITH_RSA => Ok(Scheme::RsaPkcs1(Sha384)),
        oids::SHA512_WITH_RSA => Ok(Scheme::RsaPkcs1(Sha512)),
        oids::RSA_ENCRYPTION => digest.map(Scheme::RsaPkcs1).ok_or_else(unsupported),
        oids::RSA_PSS => pss_parameters(alg.parameters.as_deref()),
        oids::ECDSA_WITH_SHA1 => ecdsa(Sha1, false),
        oids::ECDSA_WITH_SHA224 => ecdsa(Sha224, false),
        oids::ECDSA_WITH_SHA256 => ecdsa(Sha256, false),
        oids::ECDSA_WITH_SHA384 => ecdsa(Sha384, false),
        oids::ECDSA_WITH_SHA512 => ecdsa(Sha512, false),
        oids::ECDSA_PLAIN_SHA1 => ecdsa(Sha1, true),
        oids::ECDSA_PLAIN_SHA224 => ecdsa(Sha224, true),
        oids::ECDSA_PLAIN_SHA256 => ecdsa(Sha256, true),
        oids::ECDSA_PLAIN_SHA384 => ecdsa(Sha384, true),
        oids::ECDSA_PLAIN_SHA512 => ecdsa(Sha512, true),
        oids::EC_PUBLIC_KEY => match digest {
            Some(hash) => ecdsa(hash, false),
            None => Err(unsupported()),
        },
        _ => Err(unsupported()),
    }
}

/// RSASSA-PSS-params (RFC 4055 §3.1): hash [0] (SHA-1 by default), mask generation [1]
/// (MGF1 with SHA-1 by default; MGF1 with the same hash is all that is supported), salt
/// length [2] (20 by default), trailer field [3] (1, the only value).
fn pss_parameters(params: Option<&[u8]>) -> Result<Scheme, String> {
    let mut hash = HashAlgorithm::Sha1;
    let mut mgf_hash = HashAlgorithm::Sha1;
    let mut salt_len: u64 = 20;
    let bad = |what: &str| format!("RSASSA-PSS ({what})");
    const EL: Element = Element::new("a PSS parameter", "tham số PSS");
    const FILE: &str = "EF.SOD";
    if let Some(params) = params.filter(|p| *p != [0x05, 0x00]) {
        let mut r = Reader::new(params);
        let seq = r
            .expect(Tag::SEQUENCE)
            .map_err(|_| bad("malformed parameters"))?;
        for item in seq.children() {
            let field = item.map_err(|_| bad("malformed parameters"))?;
            let inner = field
                .children()
                .read()
                .map_err(|_| bad("malformed parameters"))?;
            match field.tag.0 {
                0xA0 => {
                    let alg = asn1::algorithm(&inner, FILE).map_err(|_| bad("malformed hash"))?;
                    hash = HashAlgorithm::from_oid(&alg.oid).ok_or_else(|| bad(&alg.oid))?;
                }
                0xA1 => {
                    let mgf = asn1::algorithm(&inner, FILE).map_err(|_| bad("malformed MGF"))?;
                    if mgf.oid != oids::MGF1 {
                        return Err(bad(&format!("mask generation {}", mgf.oid)));
                    }
                    let p = mgf.parameters.unwrap_or_default();
                    let mut pr = Reader::new(&p);
                    let alg = pr
                        .read()
                        .map_err(|_| bad("malformed MGF hash"))
                        .and_then(|t| {
                            asn1::algorithm(&t, FILE).map_err(|_| bad("malformed MGF hash"))
                        })?;
                    mgf_hash = HashAlgorithm::from_oid(&alg.oid).ok_or_else(|| bad(&alg.oid))?;
                }
                0xA2 => {
                    salt_len = asn1::uint(&inner, FILE, EL).map_err(|_| bad("salt length"))?;
                }
                0xA3 => {
                    if asn1::uint(&inner, FILE, EL) != Ok(1) {
                        return Err(bad("trailer field other than 1"));
                    }
                }
                _ => return Err(bad("unknown parameter")),
            }
        }
    }
    if mgf_hash != hash {
        return Err(bad(&format!(
            "{} with MGF1 over {}",
            hash.name(),
            mgf_hash.name()
        )));
    }
    let salt_len = usize::try_from(salt_len)
        .ok()
        .filter(|s| *s <= 1024)
        .ok_or_else(|| bad("salt length"))?;
    Ok(Scheme::RsaPss { hash, salt_len })
}

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VerifyError {
    /// The key's algorithm or curve is not supported; what it is.
    UnsupportedKey(String),
    /// The signature does not verify (or does not fit the key).
    Invalid,
}

/// Verifies `signature` over `message` with the key of a SubjectPublicKeyInfo.
pub(crate) fn verify(
    spki: &[u8],
    scheme: Scheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    const FILE: &str = "certificate";
    const KEY: Element = Element::new("the public key", "khóa công khai");
    let malformed = || VerifyError::UnsupportedKey("a malformed public key".to_owned());
    let mut r = Reader::new(spki);
    let seq = r.expect(Tag::SEQUENCE).map_err(|_| malformed())?;
    let mut inner = seq.children();
    let alg = inner
        .read()
        .ok()
        .and_then(|t| asn1::algorithm(&t, FILE).ok())
        .ok_or_else(malformed)?;
    let bits_tlv = inner.expect(Tag::BIT_STRING).map_err(|_| malformed())?;
    let key = asn1::bit_string(&bits_tlv, FILE, KEY).map_err(|_| malformed())?;
    let hashed = scheme.hash().digest(message);
    match alg.oid.as_str() {
        oids::RSA_ENCRYPTION | oids::RSA_PSS => {
            let (n, e) = rsa_public_key(key, 0, FILE).map_err(|_| malformed())?;
            let public = RsaPublicKey::new_with_max_size(
                BigUint::from_bytes_be(n),
                BigUint::from_bytes_be(e),
                8192,
            )
            .map_err(|e| VerifyError::UnsupportedKey(format!("an RSA key ({e})")))?;
            let ok = match scheme {
                Scheme::RsaPkcs1(hash) => [true, false].into_iter().any(|null| {
                    public
                        .verify(hash.pkcs1v15(null), &hashed, signature)
                        .is_ok()
                }),
                Scheme::RsaPss { hash, salt_len } => public
                    .verify(hash.pss(salt_len), &hashed, signature)
                    .is_ok(),
                Scheme::Ecdsa { .. } => false,
            };
            ok.then_some(()).ok_or(VerifyError::Invalid)
        }
        oids::EC_PUBLIC_KEY => {
            let Scheme::Ecdsa { plain, .. } = scheme else {
                return Err(VerifyError::Invalid);
            };
            let curve = alg
                .parameters
                .as_deref()
                .and_then(|p| Reader::new(p).read().ok().filter(|t| t.tag == Tag::OID))
                .and_then(|t| asn1::oid_to_string(t.value));
            match curve.as_deref() {
                Some(oids::P256) => {
                    let vk =
                        p256::ecdsa::VerifyingKey::from_sec1_bytes(key).map_err(|_| malformed())?;
                    let sig = if plain {
                        p256::ecdsa::Signature::from_slice(signature)
                    } else {
                        p256::ecdsa::Signature::from_der(signature)
                    }
                    .map_err(|_| VerifyError::Invalid)?;
                    vk.verify_prehash(&hashed, &sig)
                        .map_err(|_| VerifyError::Invalid)
                }
                Some(oids::P384) => {
                    let vk =
                        p384::ecdsa::VerifyingKey::from_sec1_bytes(key).map_err(|_| malformed())?;
                    let sig = if plain {
                        p384::ecdsa::Signature::from_slice(signature)
                    } else {
                        p384::ecdsa::Signature::from_der(signature)
                    }
                    .map_err(|_| VerifyError::Invalid)?;
                    vk.verify_prehash(&hashed, &sig)
                        .map_err(|_| VerifyError::Invalid)
                }
                Some(other) => Err(VerifyError::UnsupportedKey(format!(
                    "an EC key on curve {}",
                    AlgorithmIdentifier {
                        oid: other.to_owned(),
                        parameters: None
                    }
                ))),
                None => Err(VerifyError::UnsupportedKey(
                    "an EC key with explicit curve parameters".to_owned(),
                )),
            }
        }
        other => Err(VerifyError::UnsupportedKey(format!(
            "a key of type {other}"
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn digests_of_the_empty_string() {
        let hex = |h: HashAlgorithm| asn1::hex(&h.digest(b""));
        assert_eq!(
            hex(HashAlgorithm::Sha1),
            "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"
        );
        assert_eq!(
            hex(HashAlgorithm::Sha256),
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
        );
        for h in [
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha224,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ] {
            assert_eq!(h.digest(b"abc").len(), h.output_len());
            assert_eq!(HashAlgorithm::from_oid(h.oid()), Some(h));
        }
    }

    #[test]
    fn digest_info_prefixes_are_the_rfc_8017_ones() {
        let [with, without] = HashAlgorithm::Sha256.digest_info_prefixes();
        assert_eq!(asn1::hex(&with), "3031300D060960864801650304020105000420");
        assert_eq!(asn1::hex(&without), "302F300B06096086480165030402010420");
        let [sha1, _] = HashAlgorithm::Sha1.digest_info_prefixes();
        assert_eq!(asn1::hex(&sha1), "3021300906052B0E03021A05000414");
        let [sha512, _] = HashAlgorithm::Sha512.digest_info_prefixes();
        assert_eq!(asn1::hex(&sha512), "3051300D060960864801650304020305000440");
    }

    #[test]
    fn odd_parameters_fail_without_panicking() {
        use crate::lds::cert::Certificate;
        let f = crate::lds::testkit::fixture();
        let rsa = Certificate::from_der(&f.rsa.document_signer.certificate).unwrap();
        let ec = Certificate::from_der(&f.ec.csca.certificate).unwrap();
        let junk = [0x5Au8; 256];
        for (spki, scheme) in [
            (
                rsa.spki_der(),
                Scheme::RsaPss {
                    hash: HashAlgorithm::Sha512,
                    salt_len: 1024,
                },
            ),
            (rsa.spki_der(), Scheme::RsaPkcs1(HashAlgorithm::Sha1)),
            (
                rsa.spki_der(),
                Scheme::Ecdsa {
                    hash: HashAlgorithm::Sha256,
                    plain: false,
                },
            ),
            // SHA-1 is too short a digest for P-384.
            (
                ec.spki_der(),
                Scheme::Ecdsa {
                    hash: HashAlgorithm::Sha1,
                    plain: true,
                },
            ),
            (ec.spki_der(), Scheme::RsaPkcs1(HashAlgorithm::Sha256)),
        ] {
            for sig in [&junk[..], &junk[..96], &[][..]] {
                assert_eq!(verify(spki, scheme, b"m", sig), Err(VerifyError::Invalid));
            }
        }
        assert!(matches!(
            verify(
                b"junk",
                Scheme::RsaPkcs1(HashAlgorithm::Sha256),
                b"m",
                &junk
            ),
            Err(VerifyError::UnsupportedKey(_))
        ));
    }

    #[test]
    fn schemes() {
        let alg = |oid: &str| AlgorithmIdentifier {
            oid: oid.to_owned(),
            parameters: None,
        };
        assert_eq!(
            scheme(&alg(oids::SHA256_WITH_RSA), None),
            Ok(Scheme::RsaPkcs1(HashAlgorithm::Sha256))
        );
        assert_eq!(
            scheme(&alg(oids::RSA_ENCRYPTION), Some(HashAlgorithm::Sha384)),
            Ok(Scheme::RsaPkcs1(HashAlgorithm::Sha384))
        );
        assert!(scheme(&alg(oids::RSA_ENCRYPTION), None).is_err());
        assert_eq!(
            scheme(&alg(oids::ECDSA_PLAIN_SHA256), None),
            Ok(Scheme::Ecdsa {
                hash: HashAlgorithm::Sha256,
                plain: true
            })
        );
        // PSS with the defaults of RFC 4055.
        assert_eq!(
            scheme(&alg(oids::RSA_PSS), None),
            Ok(Scheme::RsaPss {
                hash: HashAlgorithm::Sha1,
                salt_len: 20
            })
        );
        assert_eq!(scheme(&alg("1.2.3.4"), None), Err("1.2.3.4".to_owned()));
    }

    proptest::proptest! {
        #[test]
        fn pss_parameters_never_panic(params in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80)) {
            let alg = AlgorithmIdentifier {
                oid: oids::RSA_PSS.to_owned(),
                parameters: Some(params),
            };
            let _ = scheme(&alg, None);
        }
    }
}
