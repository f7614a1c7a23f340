//! The pure core of Xã số's OpenID Connect provider: everything an authorization server decides,
//! nothing it does. No I/O, no clock (every function that needs the time takes `now`), and no
//! randomness except through a [`RandomSource`] the caller passes ([`OsRandom`] reads the
//! operating system's source). The web layer parses HTTP into the types here, stores the records
//! these functions return, and renders their answers.
//!
//! Specifications followed: OpenID Connect Core 1.0 and Discovery 1.0, RFC 6749 (OAuth 2.0,
//! including refresh), RFC 7636 (PKCE, S256 only, required), RFC 7515/7517/7518/7638 (JWS, JWK,
//! algorithms, thumbprints), RFC 7523 (`private_key_jwt` client assertions), RFC 9207 (the `iss`
//! parameter on the authorization response).
//!
//! - [`jws`]: compact JWS with ES256 (sign and verify) and RS256 (verify), JWK/JWKS, the
//!   provider's [`jws::KeySet`] with rotation;
//! - [`discovery`]: the issuer, its endpoint URLs and `/.well-known/openid-configuration`;
//! - [`client`]: a registered relying party;
//! - [`authorize`]: the authorization request, checked and typed, and the decision for the
//!   signed-in user (log in, step up, consent, or issue a code);
//! - [`code`]: authorization codes and PKCE;
//! - [`client_auth`]: `client_secret_basic` and `private_key_jwt`;
//! - [`tokens`]: ID tokens, access tokens, refresh tokens with rotation and reuse detection,
//!   the token endpoint's use cases and the UserInfo answer;
//! - [`error`]: [`OidcError`], one variant per reason, each mapped to its OAuth error code.
//!
//! The flow, as the web layer wires it:
//! 1. `GET /authorize`: [`authorize::requested_client_id`], load the client,
//!    [`authorize::validate`] → [`authorize::AuthorizationRequest`] (kept in the login session
//!    while the user signs in), then [`authorize::decide`] with the signed-in user; on
//!    [`authorize::Decision::Issue`], [`code::CodeRecord::new`] + [`code::new_code`], store the
//!    record under the code's hash and redirect to [`authorize::AuthorizationRequest::success_redirect`].
//! 2. `POST /token`: [`client_auth::extract`] the credentials, load the client,
//!    [`client_auth::ClientCredentials::authenticate`], then for `authorization_code`
//!    [`code::CodeRecord::redeem`] (and mark it redeemed with a conditional update) and
//!    [`tokens::TokenIssuer::issue`]; for `refresh_token` [`tokens::TokenIssuer::refresh`] and
//!    apply the [`tokens::RefreshOutcome`].

pub mod authorize;
pub mod client;
pub mod client_auth;
pub mod code;
pub mod discovery;
pub mod error;
pub mod jws;
pub mod tokens;

#[cfg(test)]
mod flow_tests;

pub use error::{ErrorCode, ErrorResponse, OidcError};

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::IdentityError;

/// Where the secrets (codes, tokens, keys) come from. Production passes [`OsRandom`]; tests pass
/// a deterministic source.
pub trait RandomSource {
    /// Fills `bytes` with random bytes, or fails (never returns predictable bytes instead).
    fn fill(&mut self, bytes: &mut [u8]) -> Result<(), IdentityError>;
}

/// The operating system's random source (`getrandom`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&mut self, bytes: &mut [u8]) -> Result<(), IdentityError> {
        getrandom::fill(bytes).map_err(|e| IdentityError::Randomness(e.to_string()))
    }
}

pub(crate) fn random_32(rng: &mut dyn RandomSource) -> Result<[u8; 32], IdentityError> {
    let mut bytes = [0u8; 32];
    rng.fill(&mut bytes)?;
    Ok(bytes)
}

/// Unpadded base64url of SHA-256.
pub(crate) fn sha256_b64url(data: &[u8]) -> String {
    crate::base64url_encode(&Sha256::digest(data))
}

// ---------------------------------------------------------------------------------------------
// Levels of assurance
// ---------------------------------------------------------------------------------------------

/// How strongly the user was authenticated: the `acr` claim and the `acr_values` request
/// parameter.
///
/// Values are URNs, `urn:xaso:loa:1` and `urn:xaso:loa:2`, not short names like `"1"`:
/// Core §2 asks for absolute URIs or RFC 6711 registered names, a bare `"0"` already means
/// something in Core ("does not meet ISO/IEC 29115 level 1"), and a relying party that also
/// trusts another provider must not confuse our "2" with theirs. They are URNs rather than
/// `https://` URLs under the issuer so that every deployment (commune, province, nation) uses
/// the same values and a relying party configured once works with all of them. They deliberately
/// do not claim NIST SP 800-63 or eIDAS levels, nor the levels of Decree 69/2024 (VNeID), which
/// need a formal assessment; mapping to those is a later, separate decision.
///
/// - [`Loa::Level1`]: one factor (a password);
/// - [`Loa::Level2`]: two factors of different kinds (a password and a TOTP code, or a chip card
///   read and verified plus a PIN or password).
///
/// The order is the strength: `Level1 < Level2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Loa {
    Level1,
    Level2,
}

impl Loa {
    pub const ALL: [Loa; 2] = [Loa::Level1, Loa::Level2];

    /// The `acr` value.
    pub fn as_uri(self) -> &'static str {
        match self {
            Loa::Level1 => "urn:xaso:loa:1",
            Loa::Level2 => "urn:xaso:loa:2",
        }
    }

    /// The level an `acr` value names (exactly, case-sensitive as URNs' specific part is).
    pub fn from_uri(uri: &str) -> Option<Loa> {
        Loa::ALL.into_iter().find(|l| l.as_uri() == uri)
    }
}

impl fmt::Display for Loa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_uri())
    }
}

impl From<Loa> for String {
    fn from(l: Loa) -> String {
        l.as_uri().to_string()
    }
}

impl TryFrom<String> for Loa {
    type Error = String;
    fn try_from(s: String) -> Result<Loa, String> {
        Loa::from_uri(&s).ok_or_else(|| format!("unknown acr value {s:?}"))
    }
}

// ---------------------------------------------------------------------------------------------
// Scopes
// ---------------------------------------------------------------------------------------------

/// The scopes this provider knows. Each scope other than `openid` releases a fixed set of claims
/// ([`Scope::claims`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Openid,
    Profile,
    PersonalId,
    Address,
    Phone,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::Openid,
        Scope::Profile,
        Scope::PersonalId,
        Scope::Address,
        Scope::Phone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Openid => "openid",
            Scope::Profile => "profile",
            Scope::PersonalId => "personal_id",
            Scope::Address => "address",
            Scope::Phone => "phone",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The user claims the scope releases. `profile` is narrower than Core §5.4's list: the
    /// register holds a full name, a birth date and a sex, not given/family names, nicknames
    /// or pictures. `personal_id` (the 12-digit số định danh cá nhân) is this provider's own.
    pub fn claims(self) -> &'static [&'static str] {
        match self {
            Scope::Openid => &[],
            Scope::Profile => &["name", "birthdate", "gender"],
            Scope::PersonalId => &["personal_id"],
            Scope::Address => &["address"],
            Scope::Phone => &["phone_number"],
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes, serialised as the space-separated `scope` string (sorted, so equal sets
/// have equal strings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    pub fn new(scopes: impl IntoIterator<Item = Scope>) -> ScopeSet {
        ScopeSet(scopes.into_iter().collect())
    }

    /// Reads a `scope` parameter. Values must use RFC 6749 §3.3's characters (else
    /// `invalid_scope`); values this provider does not know are dropped, as Core §3.1.2.1
    /// asks ("scope values used that are not understood by an implementation SHOULD be
    /// ignored").
    pub fn parse_request(text: &str) -> Result<ScopeSet, OidcError> {
        let mut set = BTreeSet::new();
        for token in text.split(' ').filter(|t| !t.is_empty()) {
            if !token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
            {
                return Err(OidcError::MalformedScope);
            }
            if let Some(s) = Scope::parse(token) {
                set.insert(s);
            }
        }
        Ok(ScopeSet(set))
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// Whether a user claim is released by one of these scopes.
    pub fn releases(&self, claim: &str) -> bool {
        self.iter().any(|s| s.claims().contains(&claim))
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(s.as_str())?;
            first = false;
        }
        Ok(())
    }
}

impl From<ScopeSet> for String {
    fn from(s: ScopeSet) -> String {
        s.to_string()
    }
}

impl From<String> for ScopeSet {
    /// Lenient (for stored values): unknown or malformed values are dropped.
    fn from(s: String) -> ScopeSet {
        ScopeSet(s.split(' ').filter_map(Scope::parse).collect())
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> ScopeSet {
        ScopeSet::new(iter)
    }
}

// ---------------------------------------------------------------------------------------------
// application/x-www-form-urlencoded
// ---------------------------------------------------------------------------------------------

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space, `%XX` a byte);
/// `None` for a malformed escape or bytes that are not UTF-8.
pub fn form_urldecode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex_value(*bytes.get(i + 1)?)?;
                let lo = hex_value(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Encodes a component for a query string or form: unreserved characters (RFC 3986 §2.3) as
/// they are, everything else as `%XX` (space too, which every decoder reads).
pub fn form_urlencode(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The parameters of a request, checked for duplicates; an empty value counts as absent
/// (RFC 6749 §3.1).
pub(crate) struct Params<'a> {
    list: Vec<(&'a str, &'a str)>,
}

impl<'a> Params<'a> {
    pub(crate) fn new<K: AsRef<str>, V: AsRef<str>>(params: &'a [(K, V)]) -> Params<'a> {
        Params {
            list: params
                .iter()
                .map(|(k, v)| (k.as_ref(), v.as_ref()))
                .collect(),
        }
    }

    pub(crate) fn get(&self, name: &'static str) -> Result<Option<&'a str>, OidcError> {
        let mut found = None;
        for (k, v) in &self.list {
            if *k == name {
                if found.is_some() {
                    return Err(OidcError::DuplicateParameter(name));
                }
                found = Some(*v);
            }
        }
        Ok(found.filter(|v| !v.is_empty()))
    }
}

/// Appends query parameters to a URL, keeping a query it already has (RFC 6749 §3.1.2).
pub(crate) fn append_query(url: &str, params: &[(&str, &str)]) -> String {
    let mut out = url.to_string();
    let mut sep = if url.contains('?') {
        if url.ends_with('?') || url.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    for (name, value) in params {
        out.push_str(sep);
        out.push_str(&form_urlencode(name));
        out.push('=');
        out.push_str(&form_urlencode(value));
        sep = "&";
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A deterministic source for tests: a counter run through SHA-256.
    pub(crate) struct TestRandom(pub u64);

    impl RandomSource for TestRandom {
        fn fill(&mut self, bytes: &mut [u8]) -> Result<(), IdentityError> {
            for chunk in bytes.chunks_mut(32) {
                // A large odd stride: sequences from nearby seeds never overlap.
                self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let block = Sha256::digest(self.0.to_be_bytes());
                chunk.copy_from_slice(&block[..chunk.len()]);
            }
            Ok(())
        }
    }

    #[test]
    fn loa_uris_and_order() {
        assert!(Loa::Level1 < Loa::Level2);
        assert_eq!(Loa::from_uri("urn:xaso:loa:2"), Some(Loa::Level2));
        assert_eq!(Loa::from_uri("urn:xaso:loa:3"), None);
        assert_eq!(Loa::from_uri("2"), None);
        assert_eq!(
            serde_json::to_string(&Loa::Level1).unwrap(),
            "\"urn:xaso:loa:1\""
        );
        let back: Loa = serde_json::from_str("\"urn:xaso:loa:2\"").unwrap();
        assert_eq!(back, Loa::Level2);
        assert!(serde_json::from_str::<Loa>("\"urn:xaso:loa:9\"").is_err());
    }

    #[test]
    fn scope_sets_parse_ignore_unknown_and_print_sorted() {
        let s = ScopeSet::parse_request("phone  openid offline_access profile").unwrap();
        assert_eq!(s.to_string(), "openid profile phone");
        assert!(s.releases("phone_number"));
        assert!(s.releases("birthdate"));
        assert!(!s.releases("personal_id"));
        assert_eq!(
            ScopeSet::parse_request("openid \"x\""),
            Err(OidcError::MalformedScope)
        );
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, "\"openid profile phone\"");
        let back: ScopeSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        assert!(ScopeSet::new([Scope::Openid]).is_subset(&s));
        assert!(!ScopeSet::new([Scope::Address]).is_subset(&s));
    }

    #[test]
    fn form_urlencoding_round_trips() {
        assert_eq!(form_urldecode("a+b%20c%2B%25").unwrap(), "a b c+%");
        assert_eq!(form_urldecode("%E1%BB%87").unwrap(), "ệ");
        assert_eq!(form_urldecode("%4"), None);
        assert_eq!(form_urldecode("%zz"), None);
        assert_eq!(form_urldecode("%FF"), None);
        for s in ["", "a b", "x&y=z", "Xã số/?#", "~-._"] {
            assert_eq!(form_urldecode(&form_urlencode(s)).unwrap(), s);
        }
        assert_eq!(form_urlencode("a b&c"), "a%20b%26c");
    }

    #[test]
    fn query_appending_keeps_an_existing_query() {
        assert_eq!(
            append_query("https://rp.example/cb", &[("code", "a b"), ("state", "s")]),
            "https://rp.example/cb?code=a%20b&state=s"
        );
        assert_eq!(
            append_query("https://rp.example/cb?x=1", &[("code", "c")]),
            "https://rp.example/cb?x=1&code=c"
        );
    }

    #[test]
    fn test_random_is_deterministic() {
        let mut a = TestRandom(0);
        let mut b = TestRandom(0);
        assert_eq!(random_32(&mut a).unwrap(), random_32(&mut b).unwrap());
        assert_ne!(
            random_32(&mut a).unwrap(),
            random_32(&mut TestRandom(0)).unwrap()
        );
    }
}
