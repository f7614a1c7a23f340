//! Who is acting: bearer tokens for systems, the principal a request runs as, the pure
//! building blocks of officer accounts, and the pure core of the OpenID Connect provider:
//! - [`password`]: argon2id password hashes (OWASP parameters), the password policy, the
//!   first-run admin's one-time password;
//! - [`totp`]: the optional second factor (RFC 6238 TOTP, RFC 4648 base32, `otpauth://` URIs);
//! - [`lockout`]: account lockout after repeated failures, and token-bucket rate limits;
//! - [`session`]: session ids and idle/absolute timeouts;
//! - [`csrf`]: CSRF tokens bound to the session;
//! - [`oidc`]: the OpenID Connect provider's decisions (JWS/JWK and key rotation, discovery,
//!   authorization requests, codes and PKCE, client authentication, ID/access/refresh tokens).
//!
//! Nothing here does I/O other than reading the OS random source; time is always passed in.
//!
//! Invariants:
//! - Secrets are never logged, and never stored in clear when a hash will do: an API token's
//!   or a session id's secret is shown once (to the caller, or in the cookie) and only its
//!   SHA-256 is stored (256 random bits need no slow hash); a password is stored only as an
//!   argon2id PHC string; the first-run one-time password is printed once, then only hashed.
//! - The one secret that must be kept as is, the TOTP shared secret (the server needs it to
//!   compute codes), is shown once at enrolment and stored, never logged: [`totp::TotpSecret`]'s
//!   `Debug` hides it, as does [`session::NewSessionId`]'s for the session secret.
//! - Error messages ([`IdentityError`], [`PolicyError`]) never contain a secret.
//! - Passwords are NFKC-normalised before hashing; changing that would break stored hashes.
//! - Secret comparisons are constant-time (argon2's, HMAC's `verify_slice`, and a XOR fold,
//!   `ct_eq`, for TOTP codes and the OpenID Connect provider's secrets and PKCE).

mod base64;
pub mod csrf;
pub mod error;
pub mod lockout;
pub mod oidc;
pub mod password;
pub mod session;
pub mod totp;

pub use base64::{base64url_decode, base64url_encode};
pub use error::{IdentityError, PolicyError};

use sha2::{Digest, Sha256};
use xaso_domain::role::Role;

/// Prefix that makes a leaked token easy to recognise (and to scan for in logs).
pub const TOKEN_PREFIX: &str = "xaso_";

/// Who a request or command runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's name, the officer's login, `cli:<user>`, or a citizen's personal ID.
    pub name: String,
    pub kind: PrincipalKind,
    pub role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    ApiToken,
    Cli,
    Officer,
    /// A resident signed in with their own account (electronic identity): acts on their own
    /// data only, never with an officer's role.
    Citizen,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::ApiToken => "api-token",
            PrincipalKind::Cli => "cli",
            PrincipalKind::Officer => "officer",
            PrincipalKind::Citizen => "citizen",
        }
    }
}

/// A new random token: the secret to hand out, and the hash to store.
pub struct NewToken {
    pub secret: String,
    pub hash: String,
}

#[derive(Debug)]
pub struct RandomnessUnavailable(pub String);

impl std::fmt::Display for RandomnessUnavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the operating system's random source failed: {}", self.0)
    }
}

impl std::error::Error for RandomnessUnavailable {}

/// 256 random bits, hex-encoded behind the prefix.
pub fn new_token() -> Result<NewToken, RandomnessUnavailable> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| RandomnessUnavailable(e.to_string()))?;
    let secret = format!("{TOKEN_PREFIX}{}", hex(&bytes));
    let hash = hash_token(&secret);
    Ok(NewToken { secret, hash })
}

/// Tokens carry 256 bits of entropy, so a plain SHA-256 is enough to store them (no password
/// hashing needed: there is nothing to guess).
pub fn hash_token(secret: &str) -> String {
    hex(&Sha256::digest(secret.trim().as_bytes()))
}

/// Parses an `Authorization` header value.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
        Some(token.trim())
    } else {
        None
    }
}

/// Constant-time equality of two byte strings (the lengths are not secret): secrets, codes
/// and hashes of them are compared with it.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_prefixed_and_hash_to_what_is_stored() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with(TOKEN_PREFIX));
        assert_eq!(a.secret.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(hash_token(&a.secret), a.hash);
        assert_ne!(a.hash, a.secret);
    }

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer   abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer(""), None);
    }

    #[test]
    fn sha256_of_a_known_value() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
