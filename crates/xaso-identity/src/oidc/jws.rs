//! Compact JWS (RFC 7515) with the two algorithms this provider needs (RFC 7518 §3):
//! - **ES256**, ECDSA on P-256 with SHA-256: the provider signs ID tokens with it, and clients
//!   may sign their assertions with it. Signatures are the raw 64 bytes `r ‖ s` (RFC 7518
//!   §3.4), not DER. Signing is deterministic (RFC 6979), so it needs no randomness.
//! - **RS256**, RSASSA-PKCS1-v1_5 with SHA-256: verification only, for clients whose
//!   `private_key_jwt` keys are RSA (2048 to 4096 bits).
//!
//! Keys are JWKs (RFC 7517); the provider's own keys are identified by their RFC 7638
//! thumbprint, so a `kid` never has to be invented or stored beside the key. [`KeySet`] holds
//! the active signing key and the retired ones still published for verification.
//!
//! Parsing is strict and never panics (property-tested): three base64url parts without
//! padding, a JSON object header whose `alg` is ES256 or RS256 (`none` and HMAC are refused),
//! no `crit` (no extension is understood), and header keys (`jwk`, `jku`, `x5u`, `x5c`) are
//! ignored: a token never chooses the key it is verified with beyond naming a registered `kid`.
//! Each key verifies only its own algorithm (an EC key never verifies RS256 and vice versa).

use std::fmt;

use p256::ecdsa::signature::{Signer, Verifier};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::RandomSource;
use crate::{base64url_decode, base64url_encode, IdentityError};

/// Tokens longer than this are refused before any work (an ID token or assertion is well under
/// 4 KiB; an RS256 signature of 4096 bits is 683 characters).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// A JWKS document longer than this is refused.
pub const MAX_JWKS_LEN: usize = 64 * 1024;

/// RSA moduli accepted for RS256 verification, in bits.
pub const RSA_MIN_BITS: usize = 2048;
pub const RSA_MAX_BITS: usize = 4096;

/// The JWS algorithms understood here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    ES256,
    RS256,
}

impl Alg {
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::ES256 => "ES256",
            Alg::RS256 => "RS256",
        }
    }

    pub fn parse(s: &str) -> Option<Alg> {
        match s {
            "ES256" => Some(Alg::ES256),
            "RS256" => Some(Alg::RS256),
            _ => None,
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a JWS, a key or a key set was refused. Messages name the rule, never key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwsError {
    /// Not a compact JWS, or a part that is not base64url/JSON; the text says which.
    Malformed(&'static str),
    /// `alg` is not ES256 or RS256.
    UnsupportedAlgorithm,
    /// The header has `crit`: an extension this implementation does not understand.
    CriticalHeader,
    /// No key matches the header's `kid` and `alg`.
    NoMatchingKey,
    /// A key matched, and the signature does not verify with it.
    BadSignature,
    /// A JWK is unusable; the text says why.
    InvalidKey(&'static str),
    /// The claims could not be serialised (should not happen with this crate's types).
    Serialization(String),
}

impl fmt::Display for JwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwsError::Malformed(why) => write!(f, "malformed JWS: {why}"),
            JwsError::UnsupportedAlgorithm => f.write_str("the JWS alg must be ES256 or RS256"),
            JwsError::CriticalHeader => f.write_str("the JWS header has crit, not supported"),
            JwsError::NoMatchingKey => f.write_str("no key matches the JWS kid and alg"),
            JwsError::BadSignature => f.write_str("the JWS signature does not verify"),
            JwsError::InvalidKey(why) => write!(f, "unusable JWK: {why}"),
            JwsError::Serialization(e) => write!(f, "could not serialise the JWS payload: {e}"),
        }
    }
}

impl std::error::Error for JwsError {}

// ---------------------------------------------------------------------------------------------
// JWK
// ---------------------------------------------------------------------------------------------

/// A public JSON Web Key (RFC 7517), EC P-256 or RSA. Members this implementation does not use
/// are ignored when reading and not written. A private member (`d`) is read only so that
/// [`Jwk::has_private_part`] can refuse a client that registers its private key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    #[serde(default, skip_serializing)]
    d: Option<serde_json::Value>,
}

/// A key ready to verify with.
enum PublicKey {
    Es256(p256::ecdsa::VerifyingKey),
    Rs256(Box<rsa::RsaPublicKey>),
}

impl Jwk {
    /// The public JWK of a P-256 point, for ES256 signatures.
    fn ec_p256(x: &[u8], y: &[u8]) -> Jwk {
        Jwk {
            kty: "EC".into(),
            kid: None,
            use_: Some("sig".into()),
            alg: Some("ES256".into()),
            key_ops: None,
            crv: Some("P-256".into()),
            x: Some(base64url_encode(x)),
            y: Some(base64url_encode(y)),
            n: None,
            e: None,
            d: None,
        }
    }

    /// The public JWK of an RSA key (`n` and `e` big-endian, without leading zeros), for RS256.
    pub fn rsa(n: &[u8], e: &[u8], kid: Option<String>) -> Jwk {
        let strip = |b: &[u8]| -> Vec<u8> {
            let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
            b[start..].to_vec()
        };
        Jwk {
            kty: "RSA".into(),
            kid,
            use_: Some("sig".into()),
            alg: Some("RS256".into()),
            key_ops: None,
            crv: None,
            x: None,
            y: None,
            n: Some(base64url_encode(&strip(n))),
            e: Some(base64url_encode(&strip(e))),
            d: None,
        }
    }

    /// True when the JWK carries a private key (`d`): such a key must never be registered.
    pub fn has_private_part(&self) -> bool {
        self.d.is_some()
    }

    /// The RFC 7638 thumbprint (SHA-256, base64url): a stable identifier of the public key.
    pub fn thumbprint(&self) -> Result<String, JwsError> {
        let q = |s: &Option<String>, what: &'static str| -> Result<String, JwsError> {
            let v = s.as_deref().ok_or(JwsError::InvalidKey(what))?;
            serde_json::to_string(v).map_err(|e| JwsError::Serialization(e.to_string()))
        };
        let canonical = match self.kty.as_str() {
            "EC" => format!(
                r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#,
                q(&self.crv, "EC key without crv")?,
                q(&self.x, "EC key without x")?,
                q(&self.y, "EC key without y")?
            ),
            "RSA" => format!(
                r#"{{"e":{},"kty":"RSA","n":{}}}"#,
                q(&self.e, "RSA key without e")?,
                q(&self.n, "RSA key without n")?
            ),
            _ => return Err(JwsError::InvalidKey("kty must be EC or RSA")),
        };
        Ok(super::sha256_b64url(canonical.as_bytes()))
    }

    /// Whether this key may verify a signature made with `alg`: the key type fits the
    /// algorithm, and `alg`, `use` and `key_ops`, when present, allow it.
    fn allows(&self, alg: Alg) -> bool {
        let kty_fits = match alg {
            Alg::ES256 => self.kty == "EC" && self.crv.as_deref() == Some("P-256"),
            Alg::RS256 => self.kty == "RSA",
        };
        kty_fits
            && self.alg.as_deref().is_none_or(|a| a == alg.as_str())
            && self.use_.as_deref().is_none_or(|u| u == "sig")
            && self
                .key_ops
                .as_ref()
                .is_none_or(|ops| ops.iter().any(|o| o == "verify"))
    }

    fn public_key(&self) -> Result<PublicKey, JwsError> {
        match self.kty.as_str() {
            "EC" => {
                if self.crv.as_deref() != Some("P-256") {
                    return Err(JwsError::InvalidKey("only the P-256 curve is supported"));
                }
                let coord = |c: &Option<String>| -> Result<Vec<u8>, JwsError> {
                    c.as_deref()
                        .and_then(base64url_decode)
                        .filter(|b| b.len() == 32)
                        .ok_or(JwsError::InvalidKey(
                            "x and y must be 32 bytes of unpadded base64url",
                        ))
                };
                let mut sec1 = Vec::with_capacity(65);
                sec1.push(0x04);
                sec1.extend_from_slice(&coord(&self.x)?);
                sec1.extend_from_slice(&coord(&self.y)?);
                p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
                    .map(PublicKey::Es256)
                    .map_err(|_| JwsError::InvalidKey("the point is not on the P-256 curve"))
            }
            "RSA" => {
                let part = |c: &Option<String>| -> Result<Vec<u8>, JwsError> {
                    c.as_deref()
                        .and_then(base64url_decode)
                        .filter(|b| !b.is_empty() && b.len() <= RSA_MAX_BITS / 8 + 1)
                        .ok_or(JwsError::InvalidKey("n and e must be unpadded base64url"))
                };
                let n = rsa::BigUint::from_bytes_be(&part(&self.n)?);
                let e = rsa::BigUint::from_bytes_be(&part(&self.e)?);
                if n.bits() < RSA_MIN_BITS {
                    return Err(JwsError::InvalidKey(
                        "the RSA key must have a 2048 to 4096-bit modulus and a valid exponent",
                    ));
                }
                rsa::RsaPublicKey::new_with_max_size(n, e, RSA_MAX_BITS)
                    .map(|k| PublicKey::Rs256(Box::new(k)))
                    .map_err(|_| {
                        JwsError::InvalidKey(
                            "the RSA key must have a 2048 to 4096-bit modulus and a valid exponent",
                        )
                    })
            }
            _ => Err(JwsError::InvalidKey("kty must be EC or RSA")),
        }
    }

    /// Checks that the key can be used to verify signatures (for a client's registration).
    pub fn check_usable(&self) -> Result<(), JwsError> {
        if self.has_private_part() {
            return Err(JwsError::InvalidKey(
                "a private key (d) must never be registered; publish the public key only",
            ));
        }
        self.public_key().map(|_| ())
    }
}

/// A JWK Set (RFC 7517 §5): what `jwks_uri` serves, and what a `private_key_jwt` client
/// registers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// Reads a JWKS document (at most [`MAX_JWKS_LEN`] bytes).
    pub fn parse(json: &str) -> Result<Jwks, JwsError> {
        if json.len() > MAX_JWKS_LEN {
            return Err(JwsError::Malformed("the JWKS document is too long"));
        }
        serde_json::from_str(json).map_err(|_| JwsError::Malformed("not a JWKS document"))
    }

    pub fn to_json(&self) -> Result<String, JwsError> {
        serde_json::to_string(self).map_err(|e| JwsError::Serialization(e.to_string()))
    }
}

// ---------------------------------------------------------------------------------------------
// The provider's signing key
// ---------------------------------------------------------------------------------------------

/// An ES256 key pair of the provider, identified by the RFC 7638 thumbprint of its public key.
/// `Debug` shows only the `kid`.
#[derive(Clone)]
pub struct SigningKey {
    key: p256::ecdsa::SigningKey,
    kid: String,
    public: Jwk,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("private", &"<hidden>")
            .finish()
    }
}

impl SigningKey {
    /// A new key from the random source (32 random bytes as the scalar; the negligible chance
    /// of a value outside the group order is handled by drawing again).
    pub fn generate(rng: &mut dyn RandomSource) -> Result<SigningKey, IdentityError> {
        for _ in 0..16 {
            let mut bytes = super::random_32(rng)?;
            let key = p256::ecdsa::SigningKey::from_slice(&bytes);
            bytes.fill(0);
            if let Ok(key) = key {
                return Ok(SigningKey::from_key(key));
            }
        }
        Err(IdentityError::Randomness(
            "the random source gave 16 invalid P-256 scalars in a row".into(),
        ))
    }

    /// Loads a key stored as PKCS#8 DER (what [`SigningKey::to_pkcs8_der`] wrote, or
    /// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -outform DER`).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<SigningKey, JwsError> {
        p256::ecdsa::SigningKey::from_pkcs8_der(der)
            .map(SigningKey::from_key)
            .map_err(|_| JwsError::InvalidKey("not a PKCS#8 P-256 private key"))
    }

    /// The private key as PKCS#8 DER, to store (it is a secret: keep it out of logs).
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>, JwsError> {
        p256::SecretKey::from(self.key.as_nonzero_scalar())
            .to_pkcs8_der()
            .map(|doc| doc.as_bytes().to_vec())
            .map_err(|e| JwsError::Serialization(e.to_string()))
    }

    fn from_key(key: p256::ecdsa::SigningKey) -> SigningKey {
        let point = key.verifying_key().to_encoded_point(false);
        let bytes = point.as_bytes();
        // An uncompressed point is 0x04 ‖ x (32) ‖ y (32).
        let (x, y) = if bytes.len() == 65 {
            (&bytes[1..33], &bytes[33..65])
        } else {
            (&bytes[..0], &bytes[..0])
        };
        let mut public = Jwk::ec_p256(x, y);
        let kid = public.thumbprint().unwrap_or_default();
        public.kid = Some(kid.clone());
        SigningKey { key, kid, public }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half, as published in the JWKS.
    pub fn public_jwk(&self) -> &Jwk {
        &self.public
    }

    /// Signs `payload` as a compact JWS with header `{"alg":"ES256","kid":…,"typ":"JWT"}`.
    pub fn sign(&self, payload: &[u8]) -> String {
        // The kid is a thumbprint (base64url), so it needs no JSON escaping.
        let header = format!(r#"{{"alg":"ES256","kid":"{}","typ":"JWT"}}"#, self.kid);
        let mut token = base64url_encode(header.as_bytes());
        token.push('.');
        token.push_str(&base64url_encode(payload));
        let signature: p256::ecdsa::Signature = self.key.sign(token.as_bytes());
        token.push('.');
        token.push_str(&base64url_encode(&signature.to_bytes()));
        token
    }

    /// Signs the JSON serialisation of `claims`.
    pub fn sign_json<T: Serialize>(&self, claims: &T) -> Result<String, JwsError> {
        let payload =
            serde_json::to_vec(claims).map_err(|e| JwsError::Serialization(e.to_string()))?;
        Ok(self.sign(&payload))
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing and verification
// ---------------------------------------------------------------------------------------------

/// The header members this implementation reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwsHeader {
    pub alg: Alg,
    pub kid: Option<String>,
    pub typ: Option<String>,
}

/// A parsed, **not yet verified** compact JWS.
#[derive(Debug, Clone)]
pub struct CompactJws<'a> {
    pub header: JwsHeader,
    signing_input: &'a str,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

/// Parses a compact JWS without verifying it. Use [`CompactJws::verify`] before trusting
/// anything in it; [`CompactJws::unverified_payload`] exists only to find out which key to
/// verify with (the client id in an assertion).
pub fn decode(token: &str) -> Result<CompactJws<'_>, JwsError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwsError::Malformed("the token is too long"));
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed("a compact JWS has exactly three parts"));
    };
    let header_bytes =
        base64url_decode(h).ok_or(JwsError::Malformed("the header is not base64url"))?;
    let payload = base64url_decode(p).ok_or(JwsError::Malformed("the payload is not base64url"))?;
    let signature =
        base64url_decode(s).ok_or(JwsError::Malformed("the signature is not base64url"))?;
    let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&header_bytes)
        .map_err(|_| JwsError::Malformed("the header is not a JSON object"))?;
    if header.contains_key("crit") {
        return Err(JwsError::CriticalHeader);
    }
    let alg = match header.get("alg") {
        Some(serde_json::Value::String(a)) => {
            Alg::parse(a).ok_or(JwsError::UnsupportedAlgorithm)?
        }
        Some(_) => return Err(JwsError::Malformed("alg must be a string")),
        None => return Err(JwsError::Malformed("the header has no alg")),
    };
    let string_member = |name: &str| -> Result<Option<String>, JwsError> {
        match header.get(name) {
            None => Ok(None),
            Some(serde_json::Value::String(v)) => Ok(Some(v.clone())),
            Some(_) => Err(JwsError::Malformed("kid and typ must be strings")),
        }
    };
    let header = JwsHeader {
        alg,
        kid: string_member("kid")?,
        typ: string_member("typ")?,
    };
    let signing_input = &token[..h.len() + 1 + p.len()];
    Ok(CompactJws {
        header,
        signing_input,
        payload,
        signature,
    })
}

impl CompactJws<'_> {
    /// The payload, before verification: only to decide which keys to verify with.
    pub fn unverified_payload(&self) -> &[u8] {
        &self.payload
    }

    /// Verifies the signature with the first key that matches the header (`kid` when the
    /// header has one, else every key allowing the algorithm) and returns the payload.
    pub fn verify(&self, keys: &[Jwk]) -> Result<&[u8], JwsError> {
        let mut matched = false;
        for key in keys {
            if !key.allows(self.header.alg) {
                continue;
            }
            if let Some(kid) = &self.header.kid {
                if key.kid.as_deref() != Some(kid.as_str()) {
                    continue;
                }
            }
            let Ok(public) = key.public_key() else {
                continue;
            };
            matched = true;
            if verify_signature(&public, self.signing_input.as_bytes(), &self.signature) {
                return Ok(&self.payload);
            }
        }
        Err(if matched {
            JwsError::BadSignature
        } else {
            JwsError::NoMatchingKey
        })
    }
}

fn verify_signature(key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
    match key {
        PublicKey::Es256(vk) => match p256::ecdsa::Signature::from_slice(signature) {
            Ok(sig) => vk.verify(message, &sig).is_ok(),
            Err(_) => false,
        },
        PublicKey::Rs256(pk) => pk
            .verify(
                rsa::Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(message),
                signature,
            )
            .is_ok(),
    }
}

/// Parses and verifies a compact JWS with `keys`, returning its header and payload.
pub fn verify(token: &str, keys: &[Jwk]) -> Result<(JwsHeader, Vec<u8>), JwsError> {
    let jws = decode(token)?;
    let payload = jws.verify(keys)?.to_vec();
    Ok((jws.header, payload))
}

/// Verifies a compact JWS and reads its payload as JSON claims.
pub fn verify_claims<T: DeserializeOwned>(token: &str, keys: &[Jwk]) -> Result<T, JwsError> {
    let (_, payload) = verify(token, keys)?;
    serde_json::from_slice(&payload).map_err(|_| JwsError::Malformed("unexpected claims"))
}

// ---------------------------------------------------------------------------------------------
// Key rotation
// ---------------------------------------------------------------------------------------------

/// A retired key: no longer signs, still published (and accepted) until `verify_until`, so
/// that tokens signed before the rotation stay verifiable for their lifetime plus the time
/// relying parties cache the JWKS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredKey {
    pub jwk: Jwk,
    #[serde(with = "time::serde::rfc3339")]
    pub verify_until: OffsetDateTime,
}

/// The provider's keys: one active signing key, and retired public keys kept for verification.
/// The caller stores the active key ([`SigningKey::to_pkcs8_der`]) and the retired list
/// (serialisable) and rebuilds with [`KeySet::from_parts`].
#[derive(Debug, Clone)]
pub struct KeySet {
    active: SigningKey,
    retired: Vec<RetiredKey>,
}

impl KeySet {
    pub fn new(active: SigningKey) -> KeySet {
        KeySet {
            active,
            retired: Vec::new(),
        }
    }

    pub fn from_parts(active: SigningKey, retired: Vec<RetiredKey>) -> KeySet {
        let mut set = KeySet::new(active);
        for r in retired {
            if r.jwk.kid.as_deref() != Some(set.active.kid()) {
                set.retired.push(r);
            }
        }
        set
    }

    pub fn active(&self) -> &SigningKey {
        &self.active
    }

    pub fn retired(&self) -> &[RetiredKey] {
        &self.retired
    }

    /// Makes `next` the signing key; the previous one is retired, published until
    /// `retire_until`. Its private half is dropped: a retired key never signs again.
    pub fn rotate(&mut self, next: SigningKey, retire_until: OffsetDateTime) {
        if next.kid() == self.active.kid() {
            return;
        }
        let old = std::mem::replace(&mut self.active, next);
        let new_kid = self.active.kid().to_string();
        self.retired
            .retain(|r| r.jwk.kid.as_deref() != Some(new_kid.as_str()));
        self.retired.push(RetiredKey {
            jwk: old.public_jwk().clone(),
            verify_until: retire_until,
        });
    }

    /// Forgets retired keys whose time is over.
    pub fn prune(&mut self, now: OffsetDateTime) {
        self.retired.retain(|r| now < r.verify_until);
    }

    /// The keys to publish at `jwks_uri`: the active one first, then the retired ones still
    /// valid at `now`.
    pub fn jwks(&self, now: OffsetDateTime) -> Jwks {
        let mut keys = vec![self.active.public_jwk().clone()];
        keys.extend(
            self.retired
                .iter()
                .filter(|r| now < r.verify_until)
                .map(|r| r.jwk.clone()),
        );
        Jwks { keys }
    }

    /// Verifies a token signed by this provider (with the active key or a retired one still
    /// valid at `now`) and returns its payload.
    pub fn verify(&self, token: &str, now: OffsetDateTime) -> Result<Vec<u8>, JwsError> {
        let jws = decode(token)?;
        if jws.header.alg != Alg::ES256 {
            return Err(JwsError::UnsupportedAlgorithm);
        }
        jws.verify(&self.jwks(now).keys).map(<[u8]>::to_vec)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use crate::oidc::tests::TestRandom;
    use proptest::prelude::*;
    use time::macros::datetime;
    use time::Duration;

    // RFC 7515 Appendix A.3: the ES256 example key and a signature made with it.
    const A3_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const A3_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
    pub(crate) const A3_D: &str = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
    const A3_JWS: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

    // RFC 7515 Appendix A.2: the RS256 example key (2048 bits) and its signature.
    pub(crate) const A2_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
    pub(crate) const A2_E: &str = "AQAB";
    pub(crate) const A2_D: &str = "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ";
    pub(crate) const A2_P: &str = "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc";
    pub(crate) const A2_Q: &str = "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc";
    const A2_JWS: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

    fn a3_jwk() -> Jwk {
        Jwk::ec_p256(
            &base64url_decode(A3_X).unwrap(),
            &base64url_decode(A3_Y).unwrap(),
        )
    }

    pub(crate) fn a2_jwk(kid: Option<&str>) -> Jwk {
        Jwk::rsa(
            &base64url_decode(A2_N).unwrap(),
            &base64url_decode(A2_E).unwrap(),
            kid.map(str::to_string),
        )
    }

    /// The RFC 7515 A.2 private key, for signing RS256 test assertions.
    pub(crate) fn a2_private_key() -> rsa::RsaPrivateKey {
        let b = |s: &str| rsa::BigUint::from_bytes_be(&base64url_decode(s).unwrap());
        rsa::RsaPrivateKey::from_components(b(A2_N), b(A2_E), b(A2_D), vec![b(A2_P), b(A2_Q)])
            .unwrap()
    }

    /// Signs `payload` with RS256 (the A.2 key) under `header`.
    pub(crate) fn rs256_sign(header: &str, payload: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            base64url_encode(header.as_bytes()),
            base64url_encode(payload)
        );
        let sig = a2_private_key()
            .sign(
                rsa::Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(input.as_bytes()),
            )
            .unwrap();
        format!("{input}.{}", base64url_encode(&sig))
    }

    /// Signs `payload` with ES256 under an arbitrary `header` (for tests of odd headers).
    pub(crate) fn es256_sign_with_header(key: &SigningKey, header: &str, payload: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            base64url_encode(header.as_bytes()),
            base64url_encode(payload)
        );
        let sig: p256::ecdsa::Signature = key.key.sign(input.as_bytes());
        format!("{input}.{}", base64url_encode(&sig.to_bytes()))
    }

    fn a3_signing_key() -> SigningKey {
        SigningKey::from_key(
            p256::ecdsa::SigningKey::from_slice(&base64url_decode(A3_D).unwrap()).unwrap(),
        )
    }

    #[test]
    fn rfc7515_a3_es256_example_verifies() {
        let (header, payload) = verify(A3_JWS, &[a3_jwk()]).unwrap();
        assert_eq!(header.alg, Alg::ES256);
        assert_eq!(header.kid, None);
        assert!(payload.starts_with(b"{\"iss\":\"joe\""));
        // The A.3 private key has the A.3 public key.
        let key = a3_signing_key();
        assert_eq!(key.public_jwk().x.as_deref(), Some(A3_X));
        assert_eq!(key.public_jwk().y.as_deref(), Some(A3_Y));
        // One bit flipped in the signature: refused.
        let mut bad = A3_JWS.as_bytes().to_vec();
        let i = bad.len() - 10;
        bad[i] = if bad[i] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(bad).unwrap();
        assert_eq!(
            verify(&bad, &[a3_jwk()]).unwrap_err(),
            JwsError::BadSignature
        );
    }

    #[test]
    fn rfc7515_a2_rs256_example_verifies_and_signs_identically() {
        let (header, _) = verify(A2_JWS, &[a2_jwk(None)]).unwrap();
        assert_eq!(header.alg, Alg::RS256);
        // PKCS#1 v1.5 is deterministic: our test signer reproduces the RFC's signature.
        let payload = base64url_decode(A2_JWS.split('.').nth(1).unwrap()).unwrap();
        assert_eq!(rs256_sign(r#"{"alg":"RS256"}"#, &payload), A2_JWS);
    }

    #[test]
    fn rfc7638_thumbprint_example() {
        // RFC 7638 §3.1 (the RFC 7517 A.1 RSA key).
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let jwk = Jwk::rsa(
            &base64url_decode(n).unwrap(),
            &base64url_decode("AQAB").unwrap(),
            Some("2011-04-29".into()),
        );
        assert_eq!(
            jwk.thumbprint().unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn algorithms_cannot_be_confused() {
        // An RSA key never verifies ES256, an EC key never RS256.
        assert_eq!(
            verify(A3_JWS, &[a2_jwk(None)]).unwrap_err(),
            JwsError::NoMatchingKey
        );
        assert_eq!(
            verify(A2_JWS, &[a3_jwk()]).unwrap_err(),
            JwsError::NoMatchingKey
        );
        // A key whose alg member says RS256 does not verify ES256 even with the right curve.
        let mut wrong_alg = a3_jwk();
        wrong_alg.alg = Some("RS256".into());
        assert_eq!(
            verify(A3_JWS, &[wrong_alg]).unwrap_err(),
            JwsError::NoMatchingKey
        );
        // use=enc keys do not verify.
        let mut enc = a3_jwk();
        enc.use_ = Some("enc".into());
        assert_eq!(verify(A3_JWS, &[enc]).unwrap_err(), JwsError::NoMatchingKey);
    }

    #[test]
    fn none_hmac_and_crit_are_refused() {
        let payload = base64url_encode(b"{}");
        for header in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS256"}"#,
            r#"{"alg":"es256"}"#,
            r#"{"alg":"ES384"}"#,
        ] {
            let token = format!("{}.{payload}.", base64url_encode(header.as_bytes()));
            assert_eq!(
                decode(&token).unwrap_err(),
                JwsError::UnsupportedAlgorithm,
                "{header}"
            );
        }
        let key = a3_signing_key();
        let crit = es256_sign_with_header(&key, r#"{"alg":"ES256","crit":["exp"],"exp":1}"#, b"{}");
        assert_eq!(decode(&crit).unwrap_err(), JwsError::CriticalHeader);
        for bad in ["", "a.b", "a.b.c.d", "!!.e30.", "e30.e30", "e30=.e30.e30"] {
            assert!(matches!(decode(bad), Err(JwsError::Malformed(_))), "{bad}");
        }
        assert!(matches!(
            decode(&"a".repeat(MAX_TOKEN_LEN + 1)),
            Err(JwsError::Malformed(_))
        ));
    }

    #[test]
    fn an_embedded_jwk_header_is_not_trusted() {
        // An attacker's own key in the header must not be used.
        let attacker = SigningKey::generate(&mut TestRandom(99)).unwrap();
        let header = format!(
            r#"{{"alg":"ES256","jwk":{}}}"#,
            serde_json::to_string(attacker.public_jwk()).unwrap()
        );
        let token = es256_sign_with_header(&attacker, &header, b"{}");
        assert_eq!(
            verify(&token, &[a3_jwk()]).unwrap_err(),
            JwsError::BadSignature
        );
    }

    #[test]
    fn sign_and_verify_with_kid_and_pkcs8_round_trip() {
        let key = SigningKey::generate(&mut TestRandom(1)).unwrap();
        assert_eq!(key.kid().len(), 43);
        assert_eq!(key.public_jwk().kid.as_deref(), Some(key.kid()));
        assert_eq!(key.public_jwk().thumbprint().unwrap(), key.kid());
        let token = key.sign(br#"{"sub":"x"}"#);
        let (header, payload) = verify(&token, std::slice::from_ref(key.public_jwk())).unwrap();
        assert_eq!(header.kid.as_deref(), Some(key.kid()));
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        assert_eq!(payload, br#"{"sub":"x"}"#);
        // The signature is raw r‖s: 64 bytes, 86 base64url characters.
        assert_eq!(token.rsplit('.').next().unwrap().len(), 86);

        let der = key.to_pkcs8_der().unwrap();
        let loaded = SigningKey::from_pkcs8_der(&der).unwrap();
        assert_eq!(loaded.kid(), key.kid());
        assert_eq!(
            loaded.sign(b"{}"),
            key.sign(b"{}"),
            "RFC 6979 is deterministic"
        );
        assert!(SigningKey::from_pkcs8_der(b"not a key").is_err());
        assert!(!format!("{key:?}").contains(&base64url_encode(&der)));

        // Another key with the same kid fails the signature, a different kid finds no key.
        let other = SigningKey::generate(&mut TestRandom(2)).unwrap();
        let mut impostor = other.public_jwk().clone();
        impostor.kid = Some(key.kid().to_string());
        assert_eq!(
            verify(&token, &[impostor]).unwrap_err(),
            JwsError::BadSignature
        );
        assert_eq!(
            verify(&token, std::slice::from_ref(other.public_jwk())).unwrap_err(),
            JwsError::NoMatchingKey
        );
    }

    #[test]
    fn jwk_json_shape() {
        let key = SigningKey::generate(&mut TestRandom(3)).unwrap();
        let v = serde_json::to_value(key.public_jwk()).unwrap();
        let obj = v.as_object().unwrap();
        let mut names: Vec<&str> = obj.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["alg", "crv", "kid", "kty", "use", "x", "y"]);
        assert_eq!(v["kty"], "EC");
        assert_eq!(v["crv"], "P-256");
        assert_eq!(v["alg"], "ES256");
        assert_eq!(v["use"], "sig");
        assert_eq!(v["x"].as_str().unwrap().len(), 43);
        let jwks = Jwks::parse(&format!(r#"{{"keys":[{v}]}}"#)).unwrap();
        assert_eq!(jwks.keys[0], *key.public_jwk());
    }

    #[test]
    fn unusable_keys_are_refused() {
        assert!(a2_jwk(None).check_usable().is_ok());
        assert!(a3_jwk().check_usable().is_ok());
        let with_private: Jwk = serde_json::from_str(&format!(
            r#"{{"kty":"EC","crv":"P-256","x":"{A3_X}","y":"{A3_Y}","d":"{A3_D}"}}"#
        ))
        .unwrap();
        assert!(with_private.has_private_part());
        assert!(with_private.check_usable().is_err());
        assert!(!serde_json::to_string(&with_private).unwrap().contains(A3_D));
        // Off the curve.
        let mut off = a3_jwk();
        off.y = Some(A3_X.into());
        assert!(off.check_usable().is_err());
        // A 1024-bit RSA modulus.
        let small = Jwk::rsa(&[0xc5; 128], &[1, 0, 1], None);
        assert!(small.check_usable().is_err());
        let other: Jwk = serde_json::from_str(r#"{"kty":"OKP","crv":"Ed25519","x":"AA"}"#).unwrap();
        assert!(other.check_usable().is_err());
    }

    #[test]
    fn rotation_keeps_retired_keys_until_their_time() {
        let t0 = datetime!(2025-07-01 00:00 UTC);
        let k1 = SigningKey::generate(&mut TestRandom(10)).unwrap();
        let k2 = SigningKey::generate(&mut TestRandom(20)).unwrap();
        let mut set = KeySet::new(k1.clone());
        let old_token = set.active().sign(b"{}");
        set.rotate(k2.clone(), t0 + Duration::days(1));
        assert_eq!(set.active().kid(), k2.kid());
        let new_token = set.active().sign(b"{}");

        let kids = |j: Jwks| {
            j.keys
                .into_iter()
                .map(|k| k.kid.unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(kids(set.jwks(t0)), [k2.kid(), k1.kid()]);
        assert!(set.verify(&old_token, t0).is_ok());
        assert!(set.verify(&new_token, t0).is_ok());
        // After the retirement period the old key is no longer published nor accepted.
        let later = t0 + Duration::days(1);
        assert_eq!(kids(set.jwks(later)), [k2.kid()]);
        assert_eq!(
            set.verify(&old_token, later).unwrap_err(),
            JwsError::NoMatchingKey
        );
        // Persist and rebuild.
        let stored = serde_json::to_string(set.retired()).unwrap();
        let rebuilt = KeySet::from_parts(
            SigningKey::from_pkcs8_der(&set.active().to_pkcs8_der().unwrap()).unwrap(),
            serde_json::from_str(&stored).unwrap(),
        );
        assert!(rebuilt.verify(&old_token, t0).is_ok());
        set.prune(later);
        assert!(set.retired().is_empty());
        // Rotating to the active key again changes nothing.
        set.rotate(k2.clone(), later);
        assert!(set.retired().is_empty());
        // An RS256 token is never accepted as the provider's.
        assert_eq!(
            set.verify(A2_JWS, t0).unwrap_err(),
            JwsError::UnsupportedAlgorithm
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn parser_never_panics_on_arbitrary_text(s in "\\PC{0,300}") {
            let _ = decode(&s);
            let _ = verify(&s, &[a3_jwk(), a2_jwk(None)]);
        }

        #[test]
        fn parser_never_panics_on_jws_shaped_input(
            h in proptest::collection::vec(any::<u8>(), 0..80),
            p in proptest::collection::vec(any::<u8>(), 0..80),
            s in proptest::collection::vec(any::<u8>(), 0..300),
            alg in prop_oneof![Just("ES256"), Just("RS256"), Just("none"), Just("")],
        ) {
            let header = format!(r#"{{"alg":"{alg}","kid":{}}}"#, serde_json::to_string(&String::from_utf8_lossy(&h)).unwrap());
            for head in [header.into_bytes(), h.clone()] {
                let token = format!("{}.{}.{}", base64url_encode(&head), base64url_encode(&p), base64url_encode(&s));
                let _ = verify(&token, &[a3_jwk(), a2_jwk(None)]);
            }
        }

        #[test]
        fn jwks_parser_never_panics(s in "\\PC{0,300}") {
            if let Ok(jwks) = Jwks::parse(&s) {
                for k in &jwks.keys {
                    let _ = k.check_usable();
                    let _ = k.thumbprint();
                }
            }
        }
    }
}
