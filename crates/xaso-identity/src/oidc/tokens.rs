//! What the token endpoint issues, and the UserInfo answer.
//!
//! - **ID tokens** (Core §2): JWTs signed ES256 with the provider's active key, with the
//!   pairwise `sub`, `acr` (the level actually reached), `amr`, `auth_time`, `nonce`,
//!   `at_hash`, and the user claims the granted scopes release.
//! - **Access tokens**: opaque, 256 random bits, only their SHA-256 stored
//!   ([`AccessTokenRecord`]); they let the client call the UserInfo endpoint.
//! - **Refresh tokens** (RFC 6749 §6, with rotation as in the OAuth 2.0 Security BCP §4.14):
//!   opaque, hashed at rest, each belonging to a *family* (everything issued from one
//!   authorization code). Using one retires it and issues its successor; presenting a retired
//!   one means two parties hold the family's tokens, so the whole family is revoked (reuse
//!   detection). All of it is pure state transitions over [`RefreshRecord`]s the caller
//!   stores: [`TokenIssuer::refresh`] answers with a [`RefreshOutcome`] to apply.
//!
//! Storage rules for the caller: store the records under the tokens' hashes; apply a rotation
//! with a conditional update (the old record still `Active`) in the same transaction as the new
//! records, and treat a lost race as a reuse; revoking a family revokes its refresh records and
//! its access tokens (both carry `family_id`).

use std::fmt;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use xaso_domain::{PartialDate, PersonalId, Sex};

use super::client::{Client, GrantType};
use super::discovery::Issuer;
use super::jws::KeySet;
use super::{random_32, Loa, OidcError, RandomSource, Scope, ScopeSet};
use crate::base64url_encode;

/// Prefix of access tokens (recognisable in logs and leak scans).
pub const ACCESS_TOKEN_PREFIX: &str = "xaso_at_";
/// Prefix of refresh tokens.
pub const REFRESH_TOKEN_PREFIX: &str = "xaso_rt_";

/// Lifetimes of what the token endpoint issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPolicy {
    pub id_token_lifetime: Duration,
    pub access_token_lifetime: Duration,
    /// A refresh token not used for this long expires.
    pub refresh_idle_lifetime: Duration,
    /// A family ends this long after the authorization code was redeemed, whatever the use:
    /// then the user must sign in again.
    pub refresh_absolute_lifetime: Duration,
}

impl Default for TokenPolicy {
    /// ID and access tokens 10 minutes; refresh tokens 1 day idle, 7 days absolute.
    fn default() -> Self {
        TokenPolicy {
            id_token_lifetime: Duration::minutes(10),
            access_token_lifetime: Duration::minutes(10),
            refresh_idle_lifetime: Duration::days(1),
            refresh_absolute_lifetime: Duration::days(7),
        }
    }
}

/// What an authorization code or a refresh token grants: the input of token issuance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub client_id: String,
    /// The account's local identifier (the token's `sub` is derived from it).
    pub subject: String,
    pub scope: ScopeSet,
    /// Only for the first ID token (Core §12.2: refreshed ID tokens have none).
    pub nonce: Option<String>,
    pub acr: Loa,
    pub amr: Vec<String>,
    pub auth_time: OffsetDateTime,
}

// ---------------------------------------------------------------------------------------------
// Pairwise subjects
// ---------------------------------------------------------------------------------------------

/// The server key pairwise subjects are derived with (kept in the store's meta, made once).
/// Changing it changes every `sub` every client knows. `Debug` hides it.
#[derive(Clone)]
pub struct PairwiseKey(pub [u8; 32]);

impl fmt::Debug for PairwiseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PairwiseKey(<hidden>)")
    }
}

/// The `sub` a sector sees for an account (Core §8.1): HMAC-SHA256 under the provider's key of
/// the sector and the local account id (length-prefixed, so no two pairs collide by
/// concatenation), base64url (43 characters). Stable, opaque, different for every sector.
pub fn pairwise_subject(key: &PairwiseKey, sector: &str, local_subject: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(&key.0) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(b"xaso pairwise sub v1\0");
    mac.update(&(sector.len() as u64).to_be_bytes());
    mac.update(sector.as_bytes());
    mac.update(&(local_subject.len() as u64).to_be_bytes());
    mac.update(local_subject.as_bytes());
    base64url_encode(&mac.finalize().into_bytes())
}

// ---------------------------------------------------------------------------------------------
// User claims
// ---------------------------------------------------------------------------------------------

/// The `address` claim (Core §5.1.1), for Vietnam's two-tier administration since 1 July 2025:
/// `street_address` the house number, street and village (thôn, tổ dân phố), `locality` the
/// commune or ward, `region` the province or centrally-run city, `country` "VN".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressClaim {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// What the provider knows of the user, from the register; [`UserClaims::released`] keeps
/// what the scopes allow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserClaims {
    pub name: Option<String>,
    pub birthdate: Option<PartialDate>,
    pub gender: Option<Sex>,
    pub personal_id: Option<PersonalId>,
    pub address: Option<AddressClaim>,
    /// E.164, e.g. `+84912345678`.
    pub phone_number: Option<String>,
}

/// The user claims as they appear in an ID token or a UserInfo answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleasedClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `YYYY-MM-DD`, or `YYYY` when the register knows only the year, or only the month and
    /// year (Core §5.1 has no month-year form, so the month is then left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    /// `female` or `male` (Core §5.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// The 12-digit personal identification number (số định danh cá nhân).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<AddressClaim>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

/// The OIDC `birthdate` form of a register date.
pub fn birthdate_claim(date: &PartialDate) -> String {
    match date {
        PartialDate::Full(_) => date.to_iso(),
        PartialDate::YearMonth { year, .. } | PartialDate::Year(year) => format!("{year:04}"),
    }
}

impl UserClaims {
    /// The claims the granted scopes release (Core §5.4), nothing more.
    pub fn released(&self, scope: &ScopeSet) -> ReleasedClaims {
        let profile = scope.contains(Scope::Profile);
        ReleasedClaims {
            name: self.name.clone().filter(|_| profile),
            birthdate: self
                .birthdate
                .as_ref()
                .filter(|_| profile)
                .map(birthdate_claim),
            gender: self
                .gender
                .filter(|_| profile)
                .map(|s| s.as_str().to_string()),
            personal_id: self
                .personal_id
                .as_ref()
                .filter(|_| scope.contains(Scope::PersonalId))
                .map(|p| p.as_str().to_string()),
            address: self
                .address
                .clone()
                .filter(|_| scope.contains(Scope::Address)),
            phone_number: self
                .phone_number
                .clone()
                .filter(|_| scope.contains(Scope::Phone)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ID tokens
// ---------------------------------------------------------------------------------------------

/// The claims of an ID token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub acr: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    #[serde(flatten)]
    pub claims: ReleasedClaims,
}

/// `at_hash` (Core §3.1.3.6 with ES256): the left half of the SHA-256 of the access token,
/// base64url.
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    base64url_encode(&digest[..16])
}

// ---------------------------------------------------------------------------------------------
// Access and refresh tokens
// ---------------------------------------------------------------------------------------------

/// The stored form of an access or refresh token (hex SHA-256).
pub fn hash_token(token: &str) -> String {
    crate::hash_token(token)
}

fn new_secret(prefix: &str, rng: &mut dyn RandomSource) -> Result<String, OidcError> {
    Ok(format!("{prefix}{}", base64url_encode(&random_32(rng)?)))
}

/// What the store keeps under an access token's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenRecord {
    pub token_hash: String,
    pub client_id: String,
    pub subject: String,
    pub scope: ScopeSet,
    pub acr: Loa,
    /// The token family (revoked with it).
    pub family_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(default)]
    pub revoked: bool,
}

impl AccessTokenRecord {
    /// Checks the token for the UserInfo endpoint: not expired or revoked, and granted with
    /// `openid` (Core §5.3).
    pub fn check_for_userinfo(&self, now: OffsetDateTime) -> Result<(), OidcError> {
        if self.revoked || now >= self.expires_at || !self.scope.contains(Scope::Openid) {
            return Err(OidcError::InvalidAccessToken);
        }
        Ok(())
    }
}

/// Why a refresh family was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationReason {
    /// A retired refresh token was presented again.
    RefreshTokenReuse,
    /// The authorization code was presented again.
    CodeReuse,
    /// The user signed out or withdrew consent.
    UserLogout,
    /// An administrator revoked it.
    Administrator,
}

/// Where a refresh token is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RefreshState {
    /// May be used (once).
    Active,
    /// Used: `successor_hash` replaced it. Presenting it again revokes the family.
    Rotated {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        successor_hash: String,
    },
    /// Revoked with its whole family.
    Revoked {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        reason: RevocationReason,
    },
}

/// What the store keeps under a refresh token's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRecord {
    pub token_hash: String,
    pub family_id: String,
    pub client_id: String,
    pub subject: String,
    /// The scope originally granted (RFC 6749 §6: it never grows, and a rotated token keeps it
    /// even when a refresh asked for less).
    pub scope: ScopeSet,
    pub acr: Loa,
    pub amr: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub auth_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// The earlier of the idle limit and the family's end.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub family_expires_at: OffsetDateTime,
    pub state: RefreshState,
}

impl RefreshRecord {
    /// Revokes this record (apply to every record of a family being revoked).
    pub fn revoke(&mut self, now: OffsetDateTime, reason: RevocationReason) {
        if !matches!(self.state, RefreshState::Revoked { .. }) {
            self.state = RefreshState::Revoked { at: now, reason };
        }
    }

    /// The first step of a refresh: may this record be used by `client_id` at `now`, for
    /// `requested_scope` (absent: the original scope)?
    fn check(
        &self,
        client_id: &str,
        requested_scope: Option<&ScopeSet>,
        now: OffsetDateTime,
    ) -> Result<Grant, RefreshOutcome> {
        let refuse = |e| Err(RefreshOutcome::Refused(e));
        if client_id != self.client_id {
            return refuse(OidcError::RefreshTokenIssuedToAnotherClient);
        }
        match &self.state {
            RefreshState::Revoked { .. } => return refuse(OidcError::RefreshTokenRevoked),
            RefreshState::Rotated { .. } => {
                return Err(RefreshOutcome::RevokeFamily {
                    family_id: self.family_id.clone(),
                    reason: RevocationReason::RefreshTokenReuse,
                    error: OidcError::RefreshTokenReused,
                })
            }
            RefreshState::Active => {}
        }
        if now >= self.expires_at {
            return refuse(OidcError::RefreshTokenExpired);
        }
        let access_scope = match requested_scope {
            None => self.scope.clone(),
            Some(s) if s.is_subset(&self.scope) => s.clone(),
            Some(_) => return refuse(OidcError::ScopeExceedsGrant),
        };
        Ok(Grant {
            client_id: self.client_id.clone(),
            subject: self.subject.clone(),
            scope: access_scope,
            nonce: None,
            acr: self.acr,
            amr: self.amr.clone(),
            auth_time: self.auth_time,
        })
    }
}

/// The answer of a refresh, for the caller to apply.
#[derive(Debug)]
pub enum RefreshOutcome {
    /// Store `retired` (the presented token, now `Rotated`; conditionally on it still being
    /// `Active`) and the new `tokens`' records, then send `tokens.response`.
    Rotated {
        retired: Box<RefreshRecord>,
        tokens: Box<IssuedTokens>,
    },
    /// Nothing to change; answer with the error.
    Refused(OidcError),
    /// Revoke every refresh and access token of `family_id` (with
    /// [`RefreshRecord::revoke`]), then answer with `error`.
    RevokeFamily {
        family_id: String,
        reason: RevocationReason,
        error: OidcError,
    },
}

// ---------------------------------------------------------------------------------------------
// Issuing
// ---------------------------------------------------------------------------------------------

/// The token endpoint's JSON answer (RFC 6749 §5.1, Core §3.1.3.3). Send it with
/// `Cache-Control: no-store`. `Debug` hides the tokens.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<hidden>")
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<hidden>"),
            )
            .field("id_token", &self.id_token.as_ref().map(|_| "<hidden>"))
            .field("scope", &self.scope)
            .finish()
    }
}

/// Everything one token request produces.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub response: TokenResponse,
    pub access_record: AccessTokenRecord,
    /// `None` when the client is not registered for refresh tokens.
    pub refresh_record: Option<RefreshRecord>,
    /// The family of these tokens: for [`crate::oidc::code::CodeRecord::mark_redeemed`].
    pub family_id: String,
}

/// The provider's configuration for issuing tokens.
#[derive(Debug, Clone, Copy)]
pub struct TokenIssuer<'a> {
    pub issuer: &'a Issuer,
    pub keys: &'a KeySet,
    pub pairwise_key: &'a PairwiseKey,
    pub policy: TokenPolicy,
}

/// How the refresh token of an issuance relates to earlier ones.
enum Family<'a> {
    /// A new family (the authorization code grant).
    New,
    /// The family of this record (a refresh).
    Continue(&'a RefreshRecord),
}

impl TokenIssuer<'_> {
    /// The `sub` this client sees for `local_subject`.
    pub fn subject_for(&self, client: &Client, local_subject: &str) -> String {
        pairwise_subject(self.pairwise_key, &client.sector_identifier, local_subject)
    }

    /// The tokens for a redeemed authorization code: access token, ID token (always: the
    /// scope has `openid`), and a refresh token starting a new family if the client is
    /// registered for them. `user` is the account's current data.
    pub fn issue(
        &self,
        client: &Client,
        grant: &Grant,
        user: &UserClaims,
        now: OffsetDateTime,
        rng: &mut dyn RandomSource,
    ) -> Result<IssuedTokens, OidcError> {
        if grant.client_id != client.client_id {
            return Err(OidcError::CodeIssuedToAnotherClient);
        }
        self.issue_inner(client, grant, user, Family::New, now, rng)
    }

    /// A refresh (RFC 6749 §6) with the stored record of the presented token. The caller
    /// found `record` by [`hash_token`] (no record: [`OidcError::RefreshTokenUnknown`]) and
    /// authenticated `client`. `requested_scope` is the request's `scope` parameter, parsed.
    pub fn refresh(
        &self,
        client: &Client,
        record: &RefreshRecord,
        requested_scope: Option<&ScopeSet>,
        user: &UserClaims,
        now: OffsetDateTime,
        rng: &mut dyn RandomSource,
    ) -> RefreshOutcome {
        if !client.allows_grant(GrantType::RefreshToken) {
            return RefreshOutcome::Refused(OidcError::GrantTypeNotAllowed);
        }
        let grant = match record.check(&client.client_id, requested_scope, now) {
            Ok(ok) => ok,
            Err(outcome) => return outcome,
        };
        let tokens =
            match self.issue_inner(client, &grant, user, Family::Continue(record), now, rng) {
                Ok(t) => t,
                Err(e) => return RefreshOutcome::Refused(e),
            };
        let Some(successor) = &tokens.refresh_record else {
            return RefreshOutcome::Refused(OidcError::GrantTypeNotAllowed);
        };
        let mut retired = record.clone();
        retired.state = RefreshState::Rotated {
            at: now,
            successor_hash: successor.token_hash.clone(),
        };
        RefreshOutcome::Rotated {
            retired: Box::new(retired),
            tokens: Box::new(tokens),
        }
    }

    fn issue_inner(
        &self,
        client: &Client,
        grant: &Grant,
        user: &UserClaims,
        family: Family<'_>,
        now: OffsetDateTime,
        rng: &mut dyn RandomSource,
    ) -> Result<IssuedTokens, OidcError> {
        let family_id = match family {
            Family::New => base64url_encode(&random_32(rng)?[..16]),
            Family::Continue(r) => r.family_id.clone(),
        };
        let access_token = new_secret(ACCESS_TOKEN_PREFIX, rng)?;
        let access_expires = now + self.policy.access_token_lifetime;
        let access_record = AccessTokenRecord {
            token_hash: hash_token(&access_token),
            client_id: client.client_id.clone(),
            subject: grant.subject.clone(),
            scope: grant.scope.clone(),
            acr: grant.acr,
            family_id: family_id.clone(),
            expires_at: access_expires,
            revoked: false,
        };

        let id_token = if grant.scope.contains(Scope::Openid) {
            let claims = IdTokenClaims {
                iss: self.issuer.as_str().to_string(),
                sub: self.subject_for(client, &grant.subject),
                aud: client.client_id.clone(),
                exp: (now + self.policy.id_token_lifetime).unix_timestamp(),
                iat: now.unix_timestamp(),
                auth_time: grant.auth_time.unix_timestamp(),
                nonce: grant.nonce.clone(),
                acr: grant.acr.as_uri().to_string(),
                amr: grant.amr.clone(),
                at_hash: Some(at_hash(&access_token)),
                claims: user.released(&grant.scope),
            };
            Some(
                self.keys
                    .active()
                    .sign_json(&claims)
                    .map_err(|e| OidcError::ServerError(e.to_string()))?,
            )
        } else {
            None
        };

        let (refresh_token, refresh_record) = if client.allows_grant(GrantType::RefreshToken) {
            let token = new_secret(REFRESH_TOKEN_PREFIX, rng)?;
            let (scope, family_expires_at) = match family {
                Family::New => (
                    grant.scope.clone(),
                    now + self.policy.refresh_absolute_lifetime,
                ),
                Family::Continue(r) => (r.scope.clone(), r.family_expires_at),
            };
            let record = RefreshRecord {
                token_hash: hash_token(&token),
                family_id: family_id.clone(),
                client_id: client.client_id.clone(),
                subject: grant.subject.clone(),
                scope,
                acr: grant.acr,
                amr: grant.amr.clone(),
                auth_time: grant.auth_time,
                issued_at: now,
                expires_at: (now + self.policy.refresh_idle_lifetime).min(family_expires_at),
                family_expires_at,
                state: RefreshState::Active,
            };
            (Some(token), Some(record))
        } else {
            (None, None)
        };

        Ok(IssuedTokens {
            response: TokenResponse {
                access_token,
                token_type: "Bearer",
                expires_in: self.policy.access_token_lifetime.whole_seconds(),
                refresh_token,
                id_token,
                scope: grant.scope.to_string(),
            },
            access_record,
            refresh_record,
            family_id,
        })
    }
}

/// The UserInfo answer (Core §5.3.2): `sub` and the claims the token's scopes release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfoResponse {
    pub sub: String,
    #[serde(flatten)]
    pub claims: ReleasedClaims,
}

/// The UserInfo answer for a valid access token (see
/// [`AccessTokenRecord::check_for_userinfo`]) of `client`.
pub fn userinfo(
    issuer: &TokenIssuer<'_>,
    client: &Client,
    token: &AccessTokenRecord,
    user: &UserClaims,
    now: OffsetDateTime,
) -> Result<UserInfoResponse, OidcError> {
    token.check_for_userinfo(now)?;
    if token.client_id != client.client_id {
        return Err(OidcError::InvalidAccessToken);
    }
    Ok(UserInfoResponse {
        sub: issuer.subject_for(client, &token.subject),
        claims: user.released(&token.scope),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::oidc::client::tests::sample_client;
    use crate::oidc::jws::{verify_claims, SigningKey};
    use crate::oidc::tests::TestRandom;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2025-07-01 01:00 UTC);

    pub(crate) fn user() -> UserClaims {
        UserClaims {
            name: Some("Nguyễn Thị Hoà".into()),
            birthdate: Some(PartialDate::parse_iso("1990-04-30").unwrap()),
            gender: Some(Sex::Female),
            personal_id: Some(PersonalId::parse("038190012345").unwrap()),
            address: Some(AddressClaim {
                street_address: Some("Thôn 3".into()),
                locality: Some("Xã Thắng Lợi".into()),
                region: Some("Tỉnh Thanh Hóa".into()),
                country: Some("VN".into()),
                ..AddressClaim::default()
            }),
            phone_number: Some("+84912345678".into()),
        }
    }

    fn grant() -> Grant {
        Grant {
            client_id: "dichvucong-thanhhoa".into(),
            subject: "acct-42".into(),
            scope: ScopeSet::new([Scope::Openid, Scope::Profile, Scope::PersonalId]),
            nonce: Some("n-1".into()),
            acr: Loa::Level2,
            amr: vec!["pwd".into(), "otp".into()],
            auth_time: NOW - Duration::minutes(2),
        }
    }

    struct Fixture {
        issuer: Issuer,
        keys: KeySet,
        pairwise: PairwiseKey,
    }

    impl Fixture {
        fn new() -> Fixture {
            Fixture {
                issuer: Issuer::parse("https://id.xaso.example.vn").unwrap(),
                keys: KeySet::new(SigningKey::generate(&mut TestRandom(100)).unwrap()),
                pairwise: PairwiseKey([9; 32]),
            }
        }

        fn issuer(&self) -> TokenIssuer<'_> {
            TokenIssuer {
                issuer: &self.issuer,
                keys: &self.keys,
                pairwise_key: &self.pairwise,
                policy: TokenPolicy::default(),
            }
        }
    }

    #[test]
    fn pairwise_subjects_differ_per_sector_and_are_stable() {
        let k = PairwiseKey([1; 32]);
        let a = pairwise_subject(&k, "a.example.vn", "acct-1");
        assert_eq!(a.len(), 43);
        assert_eq!(a, pairwise_subject(&k, "a.example.vn", "acct-1"));
        assert_ne!(a, pairwise_subject(&k, "b.example.vn", "acct-1"));
        assert_ne!(a, pairwise_subject(&k, "a.example.vn", "acct-2"));
        assert_ne!(
            a,
            pairwise_subject(&PairwiseKey([2; 32]), "a.example.vn", "acct-1")
        );
        // No ambiguity by concatenation.
        assert_ne!(
            pairwise_subject(&k, "ab", "c"),
            pairwise_subject(&k, "a", "bc")
        );
        assert!(!format!("{k:?}").contains('1'));
    }

    #[test]
    fn claims_are_released_by_scope_only() {
        let u = user();
        let none = u.released(&ScopeSet::new([Scope::Openid]));
        assert_eq!(none, ReleasedClaims::default());
        let profile = u.released(&ScopeSet::new([Scope::Openid, Scope::Profile]));
        assert_eq!(profile.name.as_deref(), Some("Nguyễn Thị Hoà"));
        assert_eq!(profile.birthdate.as_deref(), Some("1990-04-30"));
        assert_eq!(profile.gender.as_deref(), Some("female"));
        assert_eq!(profile.personal_id, None);
        assert_eq!(profile.address, None);
        let all = u.released(&ScopeSet::new(Scope::ALL));
        assert_eq!(all.personal_id.as_deref(), Some("038190012345"));
        assert_eq!(all.phone_number.as_deref(), Some("+84912345678"));
        let json = serde_json::to_value(&all.address).unwrap();
        assert_eq!(json["locality"], "Xã Thắng Lợi");
        assert!(json.get("formatted").is_none());

        assert_eq!(
            birthdate_claim(&PartialDate::from_year_month(1961, 3).unwrap()),
            "1961"
        );
        assert_eq!(
            birthdate_claim(&PartialDate::from_year(1950).unwrap()),
            "1950"
        );
    }

    #[test]
    fn at_hash_follows_core() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223 b00361a3...; at_hash is the
        // base64url of its left 16 bytes.
        assert_eq!(at_hash("abc"), "ungWv48Bz-pBQUDeXa4iIw");
        assert_eq!(at_hash("abc").len(), 22);
    }

    #[test]
    fn issuing_for_a_code() {
        let f = Fixture::new();
        let client = sample_client();
        let t = f
            .issuer()
            .issue(&client, &grant(), &user(), NOW, &mut TestRandom(1))
            .unwrap();
        let r = &t.response;
        assert!(r.access_token.starts_with(ACCESS_TOKEN_PREFIX));
        assert_eq!(r.token_type, "Bearer");
        assert_eq!(r.expires_in, 600);
        assert_eq!(r.scope, "openid profile personal_id");
        assert_eq!(t.access_record.token_hash, hash_token(&r.access_token));
        assert_eq!(t.access_record.family_id, t.family_id);
        let refresh = t.refresh_record.as_ref().unwrap();
        assert_eq!(
            refresh.token_hash,
            hash_token(r.refresh_token.as_ref().unwrap())
        );
        assert_eq!(refresh.family_id, t.family_id);
        assert_eq!(refresh.expires_at, NOW + Duration::days(1));
        assert_eq!(refresh.family_expires_at, NOW + Duration::days(7));
        assert_eq!(refresh.state, RefreshState::Active);
        let debug = format!("{t:?}");
        assert!(!debug.contains(&r.access_token));
        assert!(!debug.contains(r.refresh_token.as_ref().unwrap()));

        let claims: IdTokenClaims =
            verify_claims(r.id_token.as_ref().unwrap(), &f.keys.jwks(NOW).keys).unwrap();
        assert_eq!(claims.iss, "https://id.xaso.example.vn");
        assert_eq!(claims.aud, "dichvucong-thanhhoa");
        assert_eq!(
            claims.sub,
            pairwise_subject(&f.pairwise, "dvc.thanhhoa.example.vn", "acct-42")
        );
        assert_eq!(claims.iat, NOW.unix_timestamp());
        assert_eq!(claims.exp, NOW.unix_timestamp() + 600);
        assert_eq!(claims.auth_time, NOW.unix_timestamp() - 120);
        assert_eq!(claims.nonce.as_deref(), Some("n-1"));
        assert_eq!(claims.acr, "urn:xaso:loa:2");
        assert_eq!(claims.amr, ["pwd", "otp"]);
        assert_eq!(claims.at_hash, Some(at_hash(&r.access_token)));
        assert_eq!(claims.claims.personal_id.as_deref(), Some("038190012345"));
        assert_eq!(claims.claims.address, None);

        // Without refresh tokens for this client.
        let mut no_refresh = client.clone();
        no_refresh.refresh_tokens = false;
        let t = f
            .issuer()
            .issue(&no_refresh, &grant(), &user(), NOW, &mut TestRandom(2))
            .unwrap();
        assert!(t.refresh_record.is_none());
        assert!(t.response.refresh_token.is_none());
        let json = serde_json::to_value(&t.response).unwrap();
        assert!(json.get("refresh_token").is_none());
        // A grant for another client is refused.
        let mut other = grant();
        other.client_id = "other".into();
        assert_eq!(
            f.issuer()
                .issue(&client, &other, &user(), NOW, &mut TestRandom(3))
                .unwrap_err(),
            OidcError::CodeIssuedToAnotherClient
        );
    }

    fn first_tokens(f: &Fixture) -> IssuedTokens {
        f.issuer()
            .issue(
                &sample_client(),
                &grant(),
                &user(),
                NOW,
                &mut TestRandom(10),
            )
            .unwrap()
    }

    #[test]
    fn refresh_rotates_and_detects_reuse() {
        let f = Fixture::new();
        let client = sample_client();
        let first = first_tokens(&f);
        let r1 = first.refresh_record.clone().unwrap();
        let later = NOW + Duration::hours(1);

        let RefreshOutcome::Rotated { retired, tokens } =
            f.issuer()
                .refresh(&client, &r1, None, &user(), later, &mut TestRandom(11))
        else {
            panic!("expected a rotation")
        };
        let r2 = tokens.refresh_record.clone().unwrap();
        assert_eq!(r2.family_id, r1.family_id);
        assert_eq!(tokens.family_id, r1.family_id);
        assert_ne!(r2.token_hash, r1.token_hash);
        assert_eq!(r2.family_expires_at, r1.family_expires_at);
        assert_eq!(r2.expires_at, later + Duration::days(1));
        assert_eq!(
            retired.state,
            RefreshState::Rotated {
                at: later,
                successor_hash: r2.token_hash.clone()
            }
        );
        // The refreshed ID token: same sub, auth_time, acr; no nonce (Core §12.2).
        let claims: IdTokenClaims = verify_claims(
            tokens.response.id_token.as_ref().unwrap(),
            &f.keys.jwks(later).keys,
        )
        .unwrap();
        assert_eq!(claims.nonce, None);
        assert_eq!(claims.auth_time, NOW.unix_timestamp() - 120);
        assert_eq!(claims.acr, "urn:xaso:loa:2");
        assert_eq!(claims.iat, later.unix_timestamp());

        // The retired token presented again: the whole family is revoked.
        match f
            .issuer()
            .refresh(&client, &retired, None, &user(), later, &mut TestRandom(12))
        {
            RefreshOutcome::RevokeFamily {
                family_id,
                reason,
                error,
            } => {
                assert_eq!(family_id, r1.family_id);
                assert_eq!(reason, RevocationReason::RefreshTokenReuse);
                assert_eq!(error, OidcError::RefreshTokenReused);
                assert_eq!(error.code().as_str(), "invalid_grant");
            }
            other => panic!("expected a family revocation, got {other:?}"),
        }
        // After the caller revokes the family, the successor is refused too.
        let mut r2_revoked = r2.clone();
        r2_revoked.revoke(later, RevocationReason::RefreshTokenReuse);
        let again = f.issuer().refresh(
            &client,
            &r2_revoked,
            None,
            &user(),
            later,
            &mut TestRandom(13),
        );
        assert!(matches!(
            again,
            RefreshOutcome::Refused(OidcError::RefreshTokenRevoked)
        ));
        // Revoking twice keeps the first reason.
        r2_revoked.revoke(later, RevocationReason::UserLogout);
        assert!(matches!(
            r2_revoked.state,
            RefreshState::Revoked {
                reason: RevocationReason::RefreshTokenReuse,
                ..
            }
        ));
        let json = serde_json::to_string(&r2_revoked).unwrap();
        assert!(json.contains(r#""state":"revoked""#));
        assert_eq!(
            serde_json::from_str::<RefreshRecord>(&json).unwrap(),
            r2_revoked
        );
    }

    #[test]
    fn refresh_refusals() {
        let f = Fixture::new();
        let client = sample_client();
        let r1 = first_tokens(&f).refresh_record.unwrap();
        let run = |client: &Client, scope: Option<&ScopeSet>, now| {
            f.issuer()
                .refresh(client, &r1, scope, &user(), now, &mut TestRandom(20))
        };
        let refused = |o: RefreshOutcome| match o {
            RefreshOutcome::Refused(e) => e,
            other => panic!("expected a refusal, got {other:?}"),
        };
        // Idle expiry, and the absolute end however active the family.
        assert_eq!(
            refused(run(&client, None, NOW + Duration::days(1))),
            OidcError::RefreshTokenExpired
        );
        let mut old = r1.clone();
        old.expires_at = NOW + Duration::days(30);
        old.family_expires_at = NOW + Duration::days(7);
        let RefreshOutcome::Rotated { tokens, .. } = f.issuer().refresh(
            &client,
            &old,
            None,
            &user(),
            NOW + Duration::days(6) + Duration::hours(23),
            &mut TestRandom(21),
        ) else {
            panic!()
        };
        assert_eq!(
            tokens.refresh_record.unwrap().expires_at,
            NOW + Duration::days(7),
            "a successor never outlives the family"
        );
        // Another client.
        let mut other = client.clone();
        other.client_id = "other".into();
        assert_eq!(
            refused(run(&other, None, NOW)),
            OidcError::RefreshTokenIssuedToAnotherClient
        );
        // A client no longer allowed refresh tokens.
        let mut no_refresh = client.clone();
        no_refresh.refresh_tokens = false;
        assert_eq!(
            refused(run(&no_refresh, None, NOW)),
            OidcError::GrantTypeNotAllowed
        );
        // Scope may narrow (for the access token), never widen.
        let wider = ScopeSet::new([Scope::Openid, Scope::Address]);
        assert_eq!(
            refused(run(&client, Some(&wider), NOW)),
            OidcError::ScopeExceedsGrant
        );
        let narrower = ScopeSet::new([Scope::Openid]);
        let RefreshOutcome::Rotated { tokens, .. } = run(&client, Some(&narrower), NOW) else {
            panic!()
        };
        assert_eq!(tokens.response.scope, "openid");
        assert_eq!(tokens.access_record.scope, narrower);
        assert_eq!(
            tokens.refresh_record.unwrap().scope,
            r1.scope,
            "the refresh token keeps the original scope"
        );
        let claims: IdTokenClaims = verify_claims(
            tokens.response.id_token.as_ref().unwrap(),
            &f.keys.jwks(NOW).keys,
        )
        .unwrap();
        assert_eq!(claims.claims, ReleasedClaims::default());
    }

    #[test]
    fn userinfo_answers_by_scope() {
        let f = Fixture::new();
        let client = sample_client();
        let t = first_tokens(&f);
        let info = userinfo(&f.issuer(), &client, &t.access_record, &user(), NOW).unwrap();
        assert_eq!(info.sub, f.issuer().subject_for(&client, "acct-42"));
        assert_eq!(info.claims.personal_id.as_deref(), Some("038190012345"));
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(json["name"], "Nguyễn Thị Hoà");
        assert!(json.get("address").is_none());
        assert_eq!(
            userinfo(
                &f.issuer(),
                &client,
                &t.access_record,
                &user(),
                NOW + Duration::minutes(10)
            ),
            Err(OidcError::InvalidAccessToken)
        );
        let mut revoked = t.access_record.clone();
        revoked.revoked = true;
        assert_eq!(
            userinfo(&f.issuer(), &client, &revoked, &user(), NOW),
            Err(OidcError::InvalidAccessToken)
        );
        let mut other = client.clone();
        other.client_id = "other".into();
        assert_eq!(
            userinfo(&f.issuer(), &other, &t.access_record, &user(), NOW),
            Err(OidcError::InvalidAccessToken)
        );
    }
}
