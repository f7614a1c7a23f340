//! Client authentication at the token endpoint: `client_secret_basic` (RFC 6749 §2.3.1) and
//! `private_key_jwt` (Core §9, RFC 7523 §3). `client_secret_post` and `client_secret_jwt` are
//! not offered: a secret in a form body ends up in more logs, and an HMAC-signed assertion
//! needs the secret stored in clear.
//!
//! **Client secrets are stored as a plain SHA-256**, like API tokens and session ids: the
//! provider generates every secret ([`new_client_secret`], 256 random bits), so there is nothing
//! to guess and a slow hash would add no protection; argon2 would instead cost tens of
//! milliseconds of CPU on every token request, a lever for exhausting a 2-core server. No
//! administrator ever chooses a client secret.
//!
//! Using a method: [`extract`] reads the credentials from the `Authorization` header and the
//! form, the caller loads the client named by [`ClientCredentials::client_id`], and
//! [`ClientCredentials::authenticate`] checks them against its registration.

use std::fmt;

use serde_json::Value;
use time::{Duration, OffsetDateTime};

use super::client::{Client, ClientAuth};
use super::discovery::Issuer;
use super::error::AssertionError;
use super::jws::{self, Jwks, JwsError};
use super::{form_urldecode, random_32, OidcError, Params, RandomSource};
use crate::base64::{base64_decode, base64_encode};
use crate::{base64url_encode, ct_eq, IdentityError};

/// `client_assertion_type` for JWT client assertions (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Prefix of client secrets, so that a leaked one is easy to recognise.
pub const CLIENT_SECRET_PREFIX: &str = "xaso_cs_";

/// Longest `Authorization` header read.
const MAX_BASIC_HEADER_LEN: usize = 4096;

/// A new client secret: `secret` is shown once to the administrator registering the client,
/// `hash` goes in the registration.
pub struct NewClientSecret {
    pub secret: String,
    pub hash: String,
}

impl fmt::Debug for NewClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewClientSecret")
            .field("secret", &"<hidden>")
            .field("hash", &self.hash)
            .finish()
    }
}

/// `xaso_cs_` followed by 256 random bits in base64url (51 characters, all safe in a Basic
/// header without escaping).
pub fn new_client_secret(rng: &mut dyn RandomSource) -> Result<NewClientSecret, IdentityError> {
    let secret = format!(
        "{CLIENT_SECRET_PREFIX}{}",
        base64url_encode(&random_32(rng)?)
    );
    let hash = hash_client_secret(&secret);
    Ok(NewClientSecret { secret, hash })
}

/// The stored form of a client secret (hex SHA-256).
pub fn hash_client_secret(secret: &str) -> String {
    crate::hash_token(secret)
}

/// Whether `secret` is the one whose hash is stored (constant-time comparison).
pub fn verify_client_secret(secret: &str, stored_hash: &str) -> bool {
    ct_eq(
        hash_client_secret(secret).as_bytes(),
        stored_hash.trim().as_bytes(),
    )
}

/// Credentials from an `Authorization: Basic` header. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    pub client_id: String,
    pub client_secret: String,
}

impl fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<hidden>")
            .finish()
    }
}

/// Parses an `Authorization` header value `Basic base64(id:secret)` where the id and the
/// secret were each `application/x-www-form-urlencoded` before being joined (RFC 6749 §2.3.1;
/// so a `:` in an id arrives as `%3A`, and `+` means a space). The scheme is
/// case-insensitive; base64 padding may be omitted. Never panics (property-tested).
pub fn parse_basic(header: &str) -> Result<BasicCredentials, OidcError> {
    let bad = OidcError::MalformedBasicCredentials;
    if header.len() > MAX_BASIC_HEADER_LEN {
        return Err(bad);
    }
    let (scheme, value) = header.trim().split_once(' ').ok_or(bad.clone())?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad);
    }
    let decoded = base64_decode(value.trim()).ok_or(bad.clone())?;
    let text = String::from_utf8(decoded).map_err(|_| bad.clone())?;
    let (id, secret) = text.split_once(':').ok_or(bad.clone())?;
    let client_id = form_urldecode(id).ok_or(bad.clone())?;
    let client_secret = form_urldecode(secret).ok_or(bad.clone())?;
    if client_id.is_empty() || client_secret.is_empty() {
        return Err(bad);
    }
    Ok(BasicCredentials {
        client_id,
        client_secret,
    })
}

/// The `Authorization` header a client sends (for tests and for clients written in Rust).
pub fn basic_header(client_id: &str, client_secret: &str) -> String {
    let joined = format!(
        "{}:{}",
        super::form_urlencode(client_id),
        super::form_urlencode(client_secret)
    );
    format!("Basic {}", base64_encode(joined.as_bytes()))
}

/// How strict the provider is with client assertions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssertionPolicy {
    /// The longest accepted lifetime: `exp - iat`, and `exp - now`.
    pub max_lifetime: Duration,
    /// Clock difference tolerated between the client and the provider.
    pub leeway: Duration,
}

impl Default for AssertionPolicy {
    /// 5 minutes of lifetime, 60 seconds of clock skew.
    fn default() -> Self {
        AssertionPolicy {
            max_lifetime: Duration::minutes(5),
            leeway: Duration::seconds(60),
        }
    }
}

/// How a token request authenticates its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCredentials {
    Basic(BasicCredentials),
    /// A `private_key_jwt` assertion; `client_id` is its (not yet verified) `sub`.
    Assertion {
        client_id: String,
        assertion: String,
    },
}

/// Reads the client's credentials from the `Authorization` header and the token request's
/// form. Exactly one method must be used (RFC 6749 §2.3); a `client_id` form parameter, if
/// present, must name the same client.
pub fn extract<K: AsRef<str>, V: AsRef<str>>(
    authorization: Option<&str>,
    form: &[(K, V)],
) -> Result<ClientCredentials, OidcError> {
    let p = Params::new(form);
    let form_client_id = p.get("client_id")?;
    let form_secret = p.get("client_secret")?;
    let assertion = p.get("client_assertion")?;
    let assertion_type = p.get("client_assertion_type")?;
    let header = authorization.map(str::trim).filter(|h| !h.is_empty());

    let methods = [header.is_some(), form_secret.is_some(), assertion.is_some()]
        .iter()
        .filter(|x| **x)
        .count();
    if methods > 1 {
        return Err(OidcError::MultipleClientAuthentication);
    }
    if form_secret.is_some() {
        return Err(OidcError::UnsupportedClientAuthMethod);
    }
    let credentials = if let Some(h) = header {
        let is_basic = h
            .split_once(' ')
            .is_some_and(|(s, _)| s.eq_ignore_ascii_case("basic"));
        if !is_basic {
            return Err(OidcError::UnsupportedClientAuthMethod);
        }
        ClientCredentials::Basic(parse_basic(h)?)
    } else if let Some(assertion) = assertion {
        if assertion_type != Some(ASSERTION_TYPE) {
            return Err(OidcError::InvalidClientAssertion(
                AssertionError::WrongAssertionType,
            ));
        }
        let client_id = assertion_subject(assertion)
            .ok_or(OidcError::InvalidClientAssertion(AssertionError::Malformed))?;
        ClientCredentials::Assertion {
            client_id,
            assertion: assertion.to_string(),
        }
    } else {
        return Err(OidcError::ClientAuthenticationMissing);
    };
    if let Some(id) = form_client_id {
        if id != credentials.client_id() {
            return Err(OidcError::ClientIdMismatch);
        }
    }
    Ok(credentials)
}

/// The `sub` of an assertion, unverified: only to know which client's keys to verify with.
fn assertion_subject(assertion: &str) -> Option<String> {
    let jws = jws::decode(assertion).ok()?;
    let claims: Value = serde_json::from_slice(jws.unverified_payload()).ok()?;
    claims
        .get("sub")?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl ClientCredentials {
    /// The client these credentials claim to be.
    pub fn client_id(&self) -> &str {
        match self {
            ClientCredentials::Basic(b) => &b.client_id,
            ClientCredentials::Assertion { client_id, .. } => client_id,
        }
    }

    /// Checks the credentials against the client's registration (`client`: what the caller
    /// found for [`ClientCredentials::client_id`], `None` if nothing). `seen_jti` is called
    /// only for an assertion that is otherwise valid, with its `jti` and expiry; it must
    /// atomically record the pair and return `true` if that `jti` was already recorded for
    /// this client (keep records until their expiry).
    pub fn authenticate(
        &self,
        client: Option<&Client>,
        issuer: &Issuer,
        policy: &AssertionPolicy,
        now: OffsetDateTime,
        seen_jti: impl FnOnce(&str, OffsetDateTime) -> bool,
    ) -> Result<(), OidcError> {
        let client = client
            .filter(|c| c.client_id == self.client_id())
            .ok_or(OidcError::UnknownClient)?;
        match (self, &client.auth) {
            (ClientCredentials::Basic(b), ClientAuth::ClientSecretBasic { secret_hash }) => {
                if verify_client_secret(&b.client_secret, secret_hash) {
                    Ok(())
                } else {
                    Err(OidcError::InvalidClientSecret)
                }
            }
            (
                ClientCredentials::Assertion { assertion, .. },
                ClientAuth::PrivateKeyJwt { jwks },
            ) => verify_client_assertion(
                assertion,
                &client.client_id,
                jwks,
                issuer,
                policy,
                now,
                seen_jti,
            )
            .map_err(OidcError::InvalidClientAssertion),
            _ => Err(OidcError::ClientAuthMethodNotAllowed),
        }
    }
}

/// Verifies a `private_key_jwt` assertion (RFC 7523 §3, Core §9): signed ES256 or RS256 with
/// one of the client's registered keys; `iss` = `sub` = the client id; `aud` the issuer or
/// the token endpoint URL (a string, or an array of such values only); `exp` in the future and
/// at most `policy.max_lifetime` away (from now and from `iat`); `nbf`/`iat` not in the
/// future; a `jti` not seen before. Times allow `policy.leeway` of clock skew.
pub fn verify_client_assertion(
    assertion: &str,
    client_id: &str,
    jwks: &Jwks,
    issuer: &Issuer,
    policy: &AssertionPolicy,
    now: OffsetDateTime,
    seen_jti: impl FnOnce(&str, OffsetDateTime) -> bool,
) -> Result<(), AssertionError> {
    let jws = jws::decode(assertion).map_err(|e| match e {
        JwsError::UnsupportedAlgorithm | JwsError::CriticalHeader => {
            AssertionError::UnsupportedAlgorithm
        }
        _ => AssertionError::Malformed,
    })?;
    let payload = jws.verify(&jwks.keys).map_err(|e| match e {
        JwsError::BadSignature => AssertionError::BadSignature,
        _ => AssertionError::NoMatchingKey,
    })?;
    let claims: serde_json::Map<String, Value> =
        serde_json::from_slice(payload).map_err(|_| AssertionError::Malformed)?;
    let string = |name: &str| claims.get(name).and_then(Value::as_str);

    if string("iss") != Some(client_id) || string("sub") != Some(client_id) {
        return Err(AssertionError::WrongIssuerOrSubject);
    }
    let token_endpoint = issuer.token_endpoint();
    let ours = |v: &Value| {
        v.as_str()
            .is_some_and(|a| a == issuer.as_str() || a == token_endpoint)
    };
    let audience_ok = match claims.get("aud") {
        Some(Value::Array(values)) => !values.is_empty() && values.iter().all(ours),
        Some(v) => ours(v),
        None => false,
    };
    if !audience_ok {
        return Err(AssertionError::WrongAudience);
    }

    let now_s = now.unix_timestamp();
    let leeway = policy.leeway.whole_seconds();
    let max_lifetime = policy.max_lifetime.whole_seconds();
    let numeric = |name: &str| -> Result<Option<i64>, AssertionError> {
        match claims.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .or_else(|| {
                    v.as_f64()
                        .filter(|f| f.is_finite() && f.abs() < 1e15)
                        .map(|f| f.floor() as i64)
                })
                .map(Some)
                .ok_or(AssertionError::Malformed),
        }
    };
    let exp = numeric("exp")?.ok_or(AssertionError::MissingExpiry)?;
    if exp.saturating_add(leeway) <= now_s {
        return Err(AssertionError::Expired);
    }
    if exp.saturating_sub(now_s) > max_lifetime.saturating_add(leeway) {
        return Err(AssertionError::LifetimeTooLong);
    }
    if let Some(nbf) = numeric("nbf")? {
        if nbf > now_s.saturating_add(leeway) {
            return Err(AssertionError::NotYetValid);
        }
    }
    if let Some(iat) = numeric("iat")? {
        if iat > now_s.saturating_add(leeway) {
            return Err(AssertionError::NotYetValid);
        }
        if exp.saturating_sub(iat) > max_lifetime {
            return Err(AssertionError::LifetimeTooLong);
        }
    }
    let jti = string("jti")
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or(AssertionError::MissingJti)?;
    let expires_at =
        OffsetDateTime::from_unix_timestamp(exp).map_err(|_| AssertionError::Malformed)?;
    if seen_jti(jti, expires_at) {
        return Err(AssertionError::Replayed);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::oidc::client::tests::sample_client;
    use crate::oidc::jws::tests::{a2_jwk, rs256_sign};
    use crate::oidc::jws::SigningKey;
    use crate::oidc::tests::TestRandom;
    use proptest::prelude::*;
    use std::cell::RefCell;
    use std::collections::HashSet;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2025-07-01 01:00 UTC);

    fn issuer() -> Issuer {
        Issuer::parse("https://id.xaso.example.vn").unwrap()
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let mut rng = TestRandom(5);
        let s = new_client_secret(&mut rng).unwrap();
        assert!(s.secret.starts_with(CLIENT_SECRET_PREFIX));
        assert_eq!(s.secret.len(), CLIENT_SECRET_PREFIX.len() + 43);
        assert!(verify_client_secret(&s.secret, &s.hash));
        assert!(!verify_client_secret(&format!("{}x", s.secret), &s.hash));
        assert!(!verify_client_secret("", &s.hash));
        assert!(!format!("{s:?}").contains(&s.secret));
        assert_ne!(new_client_secret(&mut rng).unwrap().secret, s.secret);
    }

    #[test]
    fn basic_credentials() {
        // RFC 7617 §2's example: Aladdin / open sesame.
        let c = parse_basic("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").unwrap();
        assert_eq!(c.client_id, "Aladdin");
        assert_eq!(c.client_secret, "open sesame");
        // Scheme case, missing padding, surrounding spaces.
        let c = parse_basic("  basic QWxhZGRpbjpvcGVuIHNlc2FtZQ ").unwrap();
        assert_eq!(c.client_secret, "open sesame");
        // RFC 6749 §2.3.1: form-urlencoded before base64 (`:` in the id, `+` as a space).
        let h = basic_header("a:b c", "s%e:c+r");
        let c = parse_basic(&h).unwrap();
        assert_eq!(c.client_id, "a:b c");
        assert_eq!(c.client_secret, "s%e:c+r");
        let raw = format!("Basic {}", base64_encode(b"id+x:p%2Bw+d"));
        let c = parse_basic(&raw).unwrap();
        assert_eq!(c.client_id, "id x");
        assert_eq!(c.client_secret, "p+w d");
        assert!(!format!("{c:?}").contains("p+w d"));

        for bad in [
            "",
            "Basic",
            "Basic ",
            "Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ===",
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=",
            "Basic QWxhZGRp bjpvcGVuIHNlc2FtZQ==",
            "Basic !!!!",
        ] {
            assert_eq!(
                parse_basic(bad),
                Err(OidcError::MalformedBasicCredentials),
                "{bad:?}"
            );
        }
        for joined in ["no-colon", ":secret", "id:", "id:%zz", "%FF:x"] {
            let h = format!("Basic {}", base64_encode(joined.as_bytes()));
            assert_eq!(
                parse_basic(&h),
                Err(OidcError::MalformedBasicCredentials),
                "{joined}"
            );
        }
        let not_utf8 = format!("Basic {}", base64_encode(&[0xff, b':', b'x']));
        assert!(parse_basic(&not_utf8).is_err());
        for (plain, enc) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v")] {
            assert_eq!(base64_encode(plain.as_bytes()), enc);
            assert_eq!(base64_decode(enc).unwrap(), plain.as_bytes());
        }
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn extracting_exactly_one_method() {
        let basic = basic_header("dichvucong-thanhhoa", "xaso_cs_test-secret");
        let c = extract(Some(&basic), &form(&[("grant_type", "authorization_code")])).unwrap();
        assert_eq!(c.client_id(), "dichvucong-thanhhoa");
        assert!(extract(Some(&basic), &form(&[("client_id", "dichvucong-thanhhoa")])).is_ok());
        assert_eq!(
            extract(Some(&basic), &form(&[("client_id", "other")])),
            Err(OidcError::ClientIdMismatch)
        );
        assert_eq!(
            extract(Some(&basic), &form(&[("client_secret", "x")])),
            Err(OidcError::MultipleClientAuthentication)
        );
        assert_eq!(
            extract(None, &form(&[("client_id", "a"), ("client_secret", "x")])),
            Err(OidcError::UnsupportedClientAuthMethod)
        );
        assert_eq!(
            extract(None, &form(&[("client_id", "a")])),
            Err(OidcError::ClientAuthenticationMissing)
        );
        assert_eq!(
            extract(Some("Bearer abc"), &form(&[])),
            Err(OidcError::UnsupportedClientAuthMethod)
        );
        assert_eq!(
            extract(
                None,
                &form(&[
                    ("client_assertion", "x.y.z"),
                    ("client_assertion_type", "jwt")
                ])
            ),
            Err(OidcError::InvalidClientAssertion(
                AssertionError::WrongAssertionType
            ))
        );
        assert_eq!(
            extract(
                None,
                &form(&[
                    ("client_assertion", "x.y.z"),
                    ("client_assertion_type", ASSERTION_TYPE)
                ])
            ),
            Err(OidcError::InvalidClientAssertion(AssertionError::Malformed))
        );
        assert_eq!(
            extract(
                None,
                &form(&[
                    ("client_id", "a"),
                    ("client_id", "a"),
                    ("client_secret", "x")
                ])
            ),
            Err(OidcError::DuplicateParameter("client_id"))
        );
    }

    /// `creds.authenticate` against `client` at `NOW` with the default policy; `seen_jti`
    /// answers whether an assertion's jti was seen before.
    fn authenticate_now(
        creds: &ClientCredentials,
        client: Option<&Client>,
        seen_jti: impl FnOnce(&str, OffsetDateTime) -> bool,
    ) -> Result<(), OidcError> {
        creds.authenticate(
            client,
            &issuer(),
            &AssertionPolicy::default(),
            NOW,
            seen_jti,
        )
    }

    #[test]
    fn client_secret_basic_against_the_registration() {
        let client = sample_client();
        let ok = extract(
            Some(&basic_header("dichvucong-thanhhoa", "xaso_cs_test-secret")),
            &form(&[]),
        )
        .unwrap();
        let never = |_: &str, _: OffsetDateTime| -> bool { panic!("no jti for Basic") };
        assert_eq!(authenticate_now(&ok, Some(&client), never), Ok(()));
        let wrong = extract(
            Some(&basic_header("dichvucong-thanhhoa", "xaso_cs_guess")),
            &form(&[]),
        )
        .unwrap();
        assert_eq!(
            authenticate_now(&wrong, Some(&client), never),
            Err(OidcError::InvalidClientSecret)
        );
        assert_eq!(
            authenticate_now(&ok, None, never),
            Err(OidcError::UnknownClient)
        );
        let mut jwt_client = client.clone();
        jwt_client.auth = ClientAuth::PrivateKeyJwt {
            jwks: Jwks {
                keys: vec![a2_jwk(None)],
            },
        };
        assert_eq!(
            authenticate_now(&ok, Some(&jwt_client), never),
            Err(OidcError::ClientAuthMethodNotAllowed)
        );
    }

    fn claims(overrides: &[(&str, Value)]) -> Value {
        let mut c = serde_json::json!({
            "iss": "rp-1",
            "sub": "rp-1",
            "aud": "https://id.xaso.example.vn/oidc/token",
            "jti": "jti-1",
            "iat": NOW.unix_timestamp(),
            "exp": NOW.unix_timestamp() + 120,
        });
        for (k, v) in overrides {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(*k);
            } else {
                c[*k] = v.clone();
            }
        }
        c
    }

    struct Setup {
        es_key: SigningKey,
        jwks: Jwks,
    }

    fn setup() -> Setup {
        let es_key = SigningKey::generate(&mut TestRandom(31)).unwrap();
        let jwks = Jwks {
            keys: vec![es_key.public_jwk().clone(), a2_jwk(Some("rsa-1"))],
        };
        Setup { es_key, jwks }
    }

    fn check(s: &Setup, token: &str) -> Result<(), AssertionError> {
        verify_client_assertion(
            token,
            "rp-1",
            &s.jwks,
            &issuer(),
            &AssertionPolicy::default(),
            NOW,
            |_, _| false,
        )
    }

    fn es(s: &Setup, c: &Value) -> String {
        s.es_key.sign_json(c).unwrap()
    }

    #[test]
    fn a_valid_es256_or_rs256_assertion_passes() {
        let s = setup();
        assert_eq!(check(&s, &es(&s, &claims(&[]))), Ok(()));
        let rs = rs256_sign(
            r#"{"alg":"RS256","kid":"rsa-1"}"#,
            claims(&[]).to_string().as_bytes(),
        );
        assert_eq!(check(&s, &rs), Ok(()));
        // Audience: the issuer works too, as a string or a one-element array.
        for aud in [
            serde_json::json!("https://id.xaso.example.vn"),
            serde_json::json!(["https://id.xaso.example.vn/oidc/token"]),
        ] {
            assert_eq!(check(&s, &es(&s, &claims(&[("aud", aud)]))), Ok(()));
        }
    }

    #[test]
    fn bad_assertions_are_refused_each_for_its_reason() {
        let s = setup();
        let t = NOW.unix_timestamp();
        let cases: Vec<(Value, AssertionError)> = vec![
            (
                claims(&[("iss", "rp-2".into())]),
                AssertionError::WrongIssuerOrSubject,
            ),
            (
                claims(&[("sub", Value::Null)]),
                AssertionError::WrongIssuerOrSubject,
            ),
            (
                claims(&[("aud", "https://other.example/token".into())]),
                AssertionError::WrongAudience,
            ),
            (
                claims(&[(
                    "aud",
                    serde_json::json!(["https://id.xaso.example.vn", "https://evil.example"]),
                )]),
                AssertionError::WrongAudience,
            ),
            (
                claims(&[("aud", serde_json::json!([]))]),
                AssertionError::WrongAudience,
            ),
            (
                claims(&[("aud", Value::Null)]),
                AssertionError::WrongAudience,
            ),
            (
                claims(&[("exp", Value::Null)]),
                AssertionError::MissingExpiry,
            ),
            (
                claims(&[("exp", (t - 61).into()), ("iat", (t - 120).into())]),
                AssertionError::Expired,
            ),
            (
                claims(&[("exp", (t + 3600).into()), ("iat", Value::Null)]),
                AssertionError::LifetimeTooLong,
            ),
            (
                claims(&[("exp", (t + 60).into()), ("iat", (t - 600).into())]),
                AssertionError::LifetimeTooLong,
            ),
            (
                claims(&[("exp", i64::MAX.into())]),
                AssertionError::LifetimeTooLong,
            ),
            (
                claims(&[("nbf", (t + 300).into())]),
                AssertionError::NotYetValid,
            ),
            (
                claims(&[("iat", (t + 120).into())]),
                AssertionError::NotYetValid,
            ),
            (claims(&[("jti", Value::Null)]), AssertionError::MissingJti),
            (claims(&[("jti", "".into())]), AssertionError::MissingJti),
            (claims(&[("exp", "soon".into())]), AssertionError::Malformed),
        ];
        for (c, expected) in cases {
            assert_eq!(check(&s, &es(&s, &c)), Err(expected), "{c}");
        }
        // Within the clock leeway.
        assert_eq!(
            check(
                &s,
                &es(
                    &s,
                    &claims(&[("exp", (t - 30).into()), ("iat", (t - 90).into())])
                )
            ),
            Ok(())
        );
        // Signed by a key the client did not register.
        let stranger = SigningKey::generate(&mut TestRandom(77)).unwrap();
        assert_eq!(
            check(&s, &stranger.sign_json(&claims(&[])).unwrap()),
            Err(AssertionError::NoMatchingKey)
        );
        // A registered kid with a wrong signature.
        let mut forged = es(&s, &claims(&[])).rsplit_once('.').unwrap().0.to_string();
        forged.push('.');
        forged.push_str(&base64url_encode(&[7u8; 64]));
        assert_eq!(check(&s, &forged), Err(AssertionError::BadSignature));
        // Algorithms.
        let none = format!(
            "{}.{}.",
            base64url_encode(br#"{"alg":"none"}"#),
            base64url_encode(claims(&[]).to_string().as_bytes())
        );
        assert_eq!(check(&s, &none), Err(AssertionError::UnsupportedAlgorithm));
        let hs = format!(
            "{}.{}.{}",
            base64url_encode(br#"{"alg":"HS256"}"#),
            base64url_encode(claims(&[]).to_string().as_bytes()),
            base64url_encode(&[1; 32])
        );
        assert_eq!(check(&s, &hs), Err(AssertionError::UnsupportedAlgorithm));
        assert_eq!(check(&s, "garbage"), Err(AssertionError::Malformed));
    }

    #[test]
    fn replayed_jti_is_refused() {
        let s = setup();
        let seen: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
        let remember = |jti: &str, exp: OffsetDateTime| {
            assert_eq!(exp.unix_timestamp(), NOW.unix_timestamp() + 120);
            !seen.borrow_mut().insert(jti.to_string())
        };
        let token = es(&s, &claims(&[]));
        let run = |f| {
            verify_client_assertion(
                &token,
                "rp-1",
                &s.jwks,
                &issuer(),
                &AssertionPolicy::default(),
                NOW,
                f,
            )
        };
        assert_eq!(run(&remember), Ok(()));
        assert_eq!(run(&remember), Err(AssertionError::Replayed));
        // A refused assertion does not consume its jti.
        let expired = es(
            &s,
            &claims(&[
                ("jti", "jti-2".into()),
                ("exp", 1.into()),
                ("iat", 0.into()),
            ]),
        );
        assert!(check(&s, &expired).is_err());
        assert!(!seen.borrow().contains("jti-2"));
    }

    #[test]
    fn private_key_jwt_through_extract_and_authenticate() {
        let s = setup();
        let mut client = sample_client();
        client.client_id = "rp-1".into();
        client.auth = ClientAuth::PrivateKeyJwt {
            jwks: s.jwks.clone(),
        };
        client.validate().unwrap();
        let token = es(&s, &claims(&[]));
        let creds = extract(
            None,
            &form(&[
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", &token),
                ("client_id", "rp-1"),
            ]),
        )
        .unwrap();
        assert_eq!(creds.client_id(), "rp-1");
        assert_eq!(
            authenticate_now(&creds, Some(&client), |_, _| false),
            Ok(())
        );
        assert_eq!(
            authenticate_now(&creds, Some(&client), |_, _| true),
            Err(OidcError::InvalidClientAssertion(AssertionError::Replayed))
        );
        // Basic with the same client id is the wrong method for this client.
        let basic = extract(Some(&basic_header("rp-1", "xaso_cs_x")), &form(&[])).unwrap();
        assert_eq!(
            authenticate_now(&basic, Some(&client), |_, _| false),
            Err(OidcError::ClientAuthMethodNotAllowed)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn basic_parser_never_panics(s in "\\PC{0,200}") {
            let _ = parse_basic(&s);
            let _ = parse_basic(&format!("Basic {s}"));
        }

        #[test]
        fn basic_parser_never_panics_on_encoded_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = parse_basic(&format!("Basic {}", base64_encode(&bytes)));
        }

        #[test]
        fn basic_round_trips(id in "[^\\x00]{1,40}", secret in "[^\\x00]{1,60}") {
            let c = parse_basic(&basic_header(&id, &secret)).unwrap();
            prop_assert_eq!(c.client_id, id);
            prop_assert_eq!(c.client_secret, secret);
        }

        #[test]
        fn assertion_checks_never_panic(s in "\\PC{0,300}", claims_json in "\\PC{0,200}") {
            let setup = setup();
            let _ = verify_client_assertion(&s, "rp-1", &setup.jwks, &issuer(), &AssertionPolicy::default(), NOW, |_, _| false);
            let token = setup.es_key.sign(claims_json.as_bytes());
            let _ = verify_client_assertion(&token, "rp-1", &setup.jwks, &issuer(), &AssertionPolicy::default(), NOW, |_, _| false);
            let _ = extract(None, &[("client_assertion", s.as_str()), ("client_assertion_type", ASSERTION_TYPE)]);
        }
    }
}
