//! Authorization codes and PKCE (RFC 7636, S256 only).
//!
//! A code is 256 random bits (43 base64url characters) handed to the browser once; the store
//! keeps only its SHA-256 ([`hash_code`]) as the key of a [`CodeRecord`]. A code lives
//! [`CODE_LIFETIME`] and is single-use: the caller marks the record redeemed with a
//! conditional update (`… WHERE redeemed IS NULL`) in the transaction that stores the new
//! tokens, and treats a lost race like a reuse. When a redeemed code comes back, RFC 6749
//! §4.1.2 asks that the tokens issued with it be revoked: [`CodeRecord::family_to_revoke`]
//! names them.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::authorize::{Authentication, AuthorizationRequest};
use super::tokens::Grant;
use super::{random_32, sha256_b64url, Loa, OidcError, RandomSource, ScopeSet};
use crate::{base64url_encode, ct_eq, IdentityError};

/// How long a code can be redeemed.
pub const CODE_LIFETIME: Duration = Duration::seconds(60);

/// A new code: `code` goes in the redirect (and nowhere else), `hash` is the store's key.
pub struct NewCode {
    pub code: String,
    pub hash: String,
}

impl fmt::Debug for NewCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewCode")
            .field("code", &"<hidden>")
            .field("hash", &self.hash)
            .finish()
    }
}

/// 256 random bits from `rng`, base64url-encoded (43 characters).
pub fn new_code(rng: &mut dyn RandomSource) -> Result<NewCode, IdentityError> {
    let code = base64url_encode(&random_32(rng)?);
    let hash = hash_code(&code);
    Ok(NewCode { code, hash })
}

/// The stored form of a code (hex SHA-256; 256 random bits need no slow hash).
pub fn hash_code(code: &str) -> String {
    crate::hash_token(code)
}

/// Who redeemed a code, and the refresh-token family its tokens belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub family_id: String,
}

/// What the store keeps under a code's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRecord {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: ScopeSet,
    pub nonce: Option<String>,
    pub code_challenge: String,
    /// The account's local identifier.
    pub subject: String,
    pub acr: Loa,
    pub amr: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub auth_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub redeemed: Option<Redemption>,
}

impl CodeRecord {
    /// The record for a code issued at `now` for `request`, to the user authenticated as
    /// `auth` (whose level becomes the `acr`).
    pub fn new(
        request: &AuthorizationRequest,
        auth: &Authentication,
        now: OffsetDateTime,
    ) -> CodeRecord {
        CodeRecord {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scope.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            subject: auth.subject.clone(),
            acr: auth.level,
            amr: auth.amr.clone(),
            auth_time: auth.auth_time,
            expires_at: now + CODE_LIFETIME,
            redeemed: None,
        }
    }

    /// Checks a token request for this code (RFC 6749 §4.1.3, RFC 7636 §4.6) by the
    /// authenticated client `client_id`, and gives the grant to issue tokens for. Does not
    /// change the record: on success, call [`CodeRecord::mark_redeemed`] and store it
    /// conditionally.
    pub fn redeem(
        &self,
        client_id: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Grant, OidcError> {
        if self.redeemed.is_some() {
            return Err(OidcError::CodeAlreadyUsed);
        }
        if now >= self.expires_at {
            return Err(OidcError::CodeExpired);
        }
        if client_id != self.client_id {
            return Err(OidcError::CodeIssuedToAnotherClient);
        }
        match redirect_uri.filter(|r| !r.is_empty()) {
            None => return Err(OidcError::MissingParameter("redirect_uri")),
            Some(r) if r != self.redirect_uri => return Err(OidcError::RedirectUriMismatch),
            Some(_) => {}
        }
        let verifier = code_verifier
            .filter(|v| !v.is_empty())
            .ok_or(OidcError::MissingParameter("code_verifier"))?;
        verify_pkce(verifier, &self.code_challenge)?;
        Ok(Grant {
            client_id: self.client_id.clone(),
            subject: self.subject.clone(),
            scope: self.scope.clone(),
            nonce: self.nonce.clone(),
            acr: self.acr,
            amr: self.amr.clone(),
            auth_time: self.auth_time,
        })
    }

    /// Records the redemption (the tokens issued belong to `family_id`).
    pub fn mark_redeemed(&mut self, family_id: &str, now: OffsetDateTime) {
        self.redeemed = Some(Redemption {
            at: now,
            family_id: family_id.to_string(),
        });
    }

    /// After [`OidcError::CodeAlreadyUsed`]: the token family to revoke.
    pub fn family_to_revoke(&self) -> Option<&str> {
        self.redeemed.as_ref().map(|r| r.family_id.as_str())
    }
}

/// Whether `verifier` has RFC 7636 §4.1's form: 43 to 128 characters from
/// `A-Z a-z 0-9 - . _ ~`.
pub fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The S256 challenge of a verifier: `BASE64URL(SHA256(ASCII(verifier)))`.
pub fn s256_challenge(verifier: &str) -> String {
    sha256_b64url(verifier.as_bytes())
}

/// RFC 7636 §4.6 with S256: the verifier must have the right form and hash to the challenge
/// (compared in constant time).
pub fn verify_pkce(verifier: &str, challenge: &str) -> Result<(), OidcError> {
    if !is_valid_verifier(verifier) {
        return Err(OidcError::InvalidCodeVerifier);
    }
    if ct_eq(s256_challenge(verifier).as_bytes(), challenge.as_bytes()) {
        Ok(())
    } else {
        Err(OidcError::PkceMismatch)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use crate::oidc::authorize::tests::{good_params, CHALLENGE, REDIRECT, T0};
    use crate::oidc::authorize::validate;
    use crate::oidc::client::tests::sample_client;
    use crate::oidc::tests::TestRandom;

    /// RFC 7636 Appendix B.
    pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    #[test]
    fn rfc7636_appendix_b() {
        assert_eq!(s256_challenge(VERIFIER), CHALLENGE);
        assert_eq!(verify_pkce(VERIFIER, CHALLENGE), Ok(()));
    }

    #[test]
    fn pkce_refusals() {
        let other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK";
        assert_eq!(verify_pkce(other, CHALLENGE), Err(OidcError::PkceMismatch));
        assert_eq!(
            verify_pkce(&VERIFIER[..42], CHALLENGE),
            Err(OidcError::InvalidCodeVerifier)
        );
        assert_eq!(
            verify_pkce(&"a".repeat(129), CHALLENGE),
            Err(OidcError::InvalidCodeVerifier)
        );
        assert_eq!(
            verify_pkce(&format!("{VERIFIER}+"), CHALLENGE),
            Err(OidcError::InvalidCodeVerifier)
        );
        assert!(is_valid_verifier(&"~._-".repeat(32)));
        // The challenge itself is not a verifier for itself.
        assert_eq!(
            verify_pkce(CHALLENGE, CHALLENGE),
            Err(OidcError::PkceMismatch)
        );
    }

    #[test]
    fn codes_are_random_and_only_hashes_are_kept() {
        let mut rng = TestRandom(7);
        let a = new_code(&mut rng).unwrap();
        let b = new_code(&mut rng).unwrap();
        assert_ne!(a.code, b.code);
        assert_eq!(a.code.len(), 43);
        assert_eq!(hash_code(&a.code), a.hash);
        assert_eq!(a.hash.len(), 64);
        assert!(!format!("{a:?}").contains(&a.code));
        let os = new_code(&mut crate::oidc::OsRandom).unwrap();
        assert_eq!(os.code.len(), 43);
    }

    pub(crate) fn record() -> CodeRecord {
        let req = validate(&good_params(), Some(&sample_client()), T0).unwrap();
        let auth = Authentication {
            subject: "acct-42".into(),
            level: Loa::Level2,
            amr: vec!["pwd".into(), "otp".into()],
            auth_time: T0 - Duration::minutes(3),
        };
        CodeRecord::new(&req, &auth, T0)
    }

    #[test]
    fn redeeming_checks_everything() {
        let r = record();
        assert_eq!(r.expires_at, T0 + Duration::seconds(60));
        let ok = |r: &CodeRecord, now| {
            r.redeem("dichvucong-thanhhoa", Some(REDIRECT), Some(VERIFIER), now)
        };
        let grant = ok(&r, T0 + Duration::seconds(59)).unwrap();
        assert_eq!(grant.subject, "acct-42");
        assert_eq!(grant.acr, Loa::Level2);
        assert_eq!(grant.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
        assert_eq!(grant.auth_time, T0 - Duration::minutes(3));

        assert_eq!(
            ok(&r, T0 + Duration::seconds(60)),
            Err(OidcError::CodeExpired)
        );
        assert_eq!(
            r.redeem("another-client", Some(REDIRECT), Some(VERIFIER), T0),
            Err(OidcError::CodeIssuedToAnotherClient)
        );
        assert_eq!(
            r.redeem(
                "dichvucong-thanhhoa",
                Some("https://dvc.thanhhoa.example.vn/oidc/callback?lang=en"),
                Some(VERIFIER),
                T0
            ),
            Err(OidcError::RedirectUriMismatch)
        );
        assert_eq!(
            r.redeem("dichvucong-thanhhoa", None, Some(VERIFIER), T0),
            Err(OidcError::MissingParameter("redirect_uri"))
        );
        assert_eq!(
            r.redeem("dichvucong-thanhhoa", Some(REDIRECT), None, T0),
            Err(OidcError::MissingParameter("code_verifier"))
        );
        assert_eq!(
            r.redeem(
                "dichvucong-thanhhoa",
                Some(REDIRECT),
                Some(&"x".repeat(43)),
                T0
            ),
            Err(OidcError::PkceMismatch)
        );

        let mut used = r.clone();
        used.mark_redeemed("family-1", T0);
        assert_eq!(ok(&used, T0), Err(OidcError::CodeAlreadyUsed));
        assert_eq!(used.family_to_revoke(), Some("family-1"));
        assert_eq!(r.family_to_revoke(), None);
        let json = serde_json::to_string(&used).unwrap();
        assert_eq!(serde_json::from_str::<CodeRecord>(&json).unwrap(), used);
    }
}
