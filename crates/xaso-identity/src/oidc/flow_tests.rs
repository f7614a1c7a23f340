//! End-to-end flows through the pure functions, with in-memory maps standing in for the store
//! and plain strings for HTTP: what `xaso-web` will wire.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};

use time::{Duration, OffsetDateTime};

use super::authorize::{self, Authentication, Consent, Decision};
use super::client::{Client, ClientAuth, GrantType};
use super::client_auth::{self, basic_header, AssertionPolicy, ASSERTION_TYPE};
use super::code::{self, s256_challenge, CodeRecord};
use super::discovery::{discovery_document, Issuer};
use super::jws::{self, Jwks, KeySet, SigningKey};
use super::tests::TestRandom;
use super::tokens::{
    self, IdTokenClaims, PairwiseKey, RefreshOutcome, RefreshRecord, RevocationReason, TokenIssuer,
    TokenPolicy, TokenResponse, UserClaims,
};
use super::{form_urldecode, Loa, OidcError, Scope, ScopeSet};
use crate::oidc::client_auth::new_client_secret;
use xaso_domain::{PartialDate, PersonalId, Sex};

const T0: OffsetDateTime = time::macros::datetime!(2025-07-01 08:00 +07:00);
const REDIRECT: &str = "https://dvc.thanhhoa.example.vn/oidc/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// The provider's state, as the store would hold it.
struct Provider {
    issuer: Issuer,
    keys: KeySet,
    pairwise: PairwiseKey,
    clients: HashMap<String, Client>,
    codes: HashMap<String, CodeRecord>,
    refresh: HashMap<String, RefreshRecord>,
    access: HashMap<String, tokens::AccessTokenRecord>,
    jtis: HashSet<(String, String)>,
    rng: TestRandom,
}

fn user_claims() -> UserClaims {
    UserClaims {
        name: Some("Lê Văn Tám".into()),
        birthdate: Some(PartialDate::parse_iso("1985-09-02").unwrap()),
        gender: Some(Sex::Male),
        personal_id: Some(PersonalId::parse("038085001234").unwrap()),
        address: None,
        phone_number: None,
    }
}

impl Provider {
    /// A provider with one client_secret_basic client; returns the client's secret.
    fn new() -> (Provider, String) {
        let mut rng = TestRandom(1000);
        let secret = new_client_secret(&mut rng).unwrap();
        let client = Client {
            client_id: "dvc-thanhhoa".into(),
            name: "Cổng dịch vụ công Thanh Hóa".into(),
            redirect_uris: vec![REDIRECT.into()],
            auth: ClientAuth::ClientSecretBasic {
                secret_hash: secret.hash.clone(),
            },
            allowed_scopes: ScopeSet::new([Scope::Openid, Scope::Profile, Scope::PersonalId]),
            refresh_tokens: true,
            minimum_level: Loa::Level1,
            sector_identifier: "dvc.thanhhoa.example.vn".into(),
        };
        client.validate().unwrap();
        let keys = KeySet::new(SigningKey::generate(&mut rng).unwrap());
        let p = Provider {
            issuer: Issuer::parse("https://id.xaso.example.vn").unwrap(),
            keys,
            pairwise: PairwiseKey([42; 32]),
            clients: HashMap::from([(client.client_id.clone(), client)]),
            codes: HashMap::new(),
            refresh: HashMap::new(),
            access: HashMap::new(),
            jtis: HashSet::new(),
            rng,
        };
        (p, secret.secret)
    }

    /// A provider as [`Provider::new`], and the `Authorization` header of its client.
    fn with_basic() -> (Provider, String) {
        let (p, secret) = Provider::new();
        (p, basic_header("dvc-thanhhoa", &secret))
    }

    fn token_issuer(&self) -> TokenIssuer<'_> {
        TokenIssuer {
            issuer: &self.issuer,
            keys: &self.keys,
            pairwise_key: &self.pairwise,
            policy: TokenPolicy::default(),
        }
    }

    /// `GET /authorize` for a signed-in, consenting user: the redirect URL, or the error.
    fn authorize(
        &mut self,
        params: &[(&str, &str)],
        session: Option<&Authentication>,
        now: OffsetDateTime,
    ) -> Result<String, String> {
        let client = authorize::requested_client_id(params)
            .ok()
            .and_then(|id| self.clients.get(id))
            .cloned();
        let request = match authorize::validate(params, client.as_ref(), now) {
            Ok(r) => r,
            Err(authorize::AuthorizeError::Show(e)) => return Err(format!("page: {e}")),
            Err(authorize::AuthorizeError::Redirect(r)) => return Ok(r.url(&self.issuer)),
        };
        let consent = Consent {
            scope: request.scope.clone(),
            granted_at: now - Duration::days(1),
        };
        match authorize::decide(&request, session, Some(&consent), now) {
            Ok(Decision::Issue(auth)) => {
                let new = code::new_code(&mut self.rng).unwrap();
                self.codes
                    .insert(new.hash.clone(), CodeRecord::new(&request, &auth, now));
                Ok(request.success_redirect(&new.code, &self.issuer))
            }
            Ok(other) => Err(format!("page: {other:?}")),
            Err(redirect) => Ok(redirect.url(&self.issuer)),
        }
    }

    /// `POST /token`.
    fn token(
        &mut self,
        authorization: Option<&str>,
        form: &[(&str, &str)],
        now: OffsetDateTime,
    ) -> Result<TokenResponse, OidcError> {
        let credentials = client_auth::extract(authorization, form)?;
        let client = self.clients.get(credentials.client_id()).cloned();
        let jtis = &mut self.jtis;
        credentials.authenticate(
            client.as_ref(),
            &self.issuer,
            &AssertionPolicy::default(),
            now,
            |jti, _exp| !jtis.insert((credentials.client_id().to_string(), jti.to_string())),
        )?;
        let client = client.ok_or(OidcError::UnknownClient)?;
        let get = |name: &str| form.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let grant_type = GrantType::parse(get("grant_type").unwrap_or(""))?;
        if !client.allows_grant(grant_type) {
            return Err(OidcError::GrantTypeNotAllowed);
        }
        match grant_type {
            GrantType::AuthorizationCode => {
                let hash = code::hash_code(get("code").unwrap_or(""));
                let record = self.codes.get(&hash).ok_or(OidcError::CodeUnknown)?;
                let grant = match record.redeem(
                    &client.client_id,
                    get("redirect_uri"),
                    get("code_verifier"),
                    now,
                ) {
                    Ok(g) => g,
                    Err(OidcError::CodeAlreadyUsed) => {
                        // RFC 6749 §4.1.2: revoke what the code gave.
                        if let Some(family) = record.family_to_revoke().map(str::to_string) {
                            self.revoke_family(&family, RevocationReason::CodeReuse, now);
                        }
                        return Err(OidcError::CodeAlreadyUsed);
                    }
                    Err(e) => return Err(e),
                };
                let issued = self.token_issuer().issue(
                    &client,
                    &grant,
                    &user_claims(),
                    now,
                    &mut TestRandom(now.unix_timestamp() as u64),
                )?;
                // One transaction: mark the code (conditionally) and store the tokens.
                let record = self.codes.get_mut(&hash).ok_or(OidcError::CodeUnknown)?;
                assert!(record.redeemed.is_none(), "conditional update");
                record.mark_redeemed(&issued.family_id, now);
                self.store(&issued);
                Ok(issued.response)
            }
            GrantType::RefreshToken => {
                let hash = tokens::hash_token(get("refresh_token").unwrap_or(""));
                let record = self
                    .refresh
                    .get(&hash)
                    .cloned()
                    .ok_or(OidcError::RefreshTokenUnknown)?;
                let scope = get("scope").map(ScopeSet::parse_request).transpose()?;
                let mut rng = TestRandom(now.unix_timestamp() as u64 + 7);
                match self.token_issuer().refresh(
                    &client,
                    &record,
                    scope.as_ref(),
                    &user_claims(),
                    now,
                    &mut rng,
                ) {
                    RefreshOutcome::Rotated { retired, tokens } => {
                        self.refresh.insert(retired.token_hash.clone(), *retired);
                        self.store(&tokens);
                        Ok(tokens.response)
                    }
                    RefreshOutcome::Refused(e) => Err(e),
                    RefreshOutcome::RevokeFamily {
                        family_id,
                        reason,
                        error,
                    } => {
                        self.revoke_family(&family_id, reason, now);
                        Err(error)
                    }
                }
            }
        }
    }

    /// `POST /token` redeeming `code` with the right verifier and redirect URI.
    fn redeem(
        &mut self,
        basic: &str,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<TokenResponse, OidcError> {
        self.token(Some(basic), &code_form(code, VERIFIER, REDIRECT), now)
    }

    /// Runs the authorization step and redeems the code at `now`.
    fn sign_in(&mut self, basic: &str, now: OffsetDateTime) -> TokenResponse {
        let code = get_code(self, now);
        self.redeem(basic, &code, now).unwrap()
    }

    /// `POST /token` with a refresh token.
    fn refresh(
        &mut self,
        basic: &str,
        refresh_token: &str,
        now: OffsetDateTime,
    ) -> Result<TokenResponse, OidcError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        self.token(Some(basic), &form, now)
    }

    fn store(&mut self, issued: &tokens::IssuedTokens) {
        self.access.insert(
            issued.access_record.token_hash.clone(),
            issued.access_record.clone(),
        );
        if let Some(r) = &issued.refresh_record {
            self.refresh.insert(r.token_hash.clone(), r.clone());
        }
    }

    fn revoke_family(&mut self, family: &str, reason: RevocationReason, now: OffsetDateTime) {
        for r in self.refresh.values_mut().filter(|r| r.family_id == family) {
            r.revoke(now, reason);
        }
        for a in self.access.values_mut().filter(|a| a.family_id == family) {
            a.revoked = true;
        }
    }

    fn access_valid(&self, token: &str, now: OffsetDateTime) -> bool {
        self.access
            .get(&tokens::hash_token(token))
            .is_some_and(|a| a.check_for_userinfo(now).is_ok())
    }
}

/// The relying party's side: reads a query parameter of the redirect.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| form_urldecode(v)).flatten()
    })
}

fn auth_params(state: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", "dvc-thanhhoa".into()),
        ("redirect_uri", REDIRECT.into()),
        ("scope", "openid profile personal_id".into()),
        ("state", state.into()),
        ("nonce", "nonce-123".into()),
        ("code_challenge", s256_challenge(VERIFIER)),
        ("code_challenge_method", "S256".into()),
        ("acr_values", "urn:xaso:loa:2".into()),
    ]
}

fn borrow<'a>(p: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    p.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn level2_session() -> Authentication {
    Authentication {
        subject: "acct-7".into(),
        level: Loa::Level2,
        amr: vec!["pwd".into(), "otp".into()],
        auth_time: T0 - Duration::minutes(1),
    }
}

/// Runs the authorization step and returns the code.
fn get_code(p: &mut Provider, now: OffsetDateTime) -> String {
    let params = auth_params("xyz");
    let url = p
        .authorize(&borrow(&params), Some(&level2_session()), now)
        .unwrap();
    assert!(url.starts_with(REDIRECT), "{url}");
    assert_eq!(query_param(&url, "state").as_deref(), Some("xyz"));
    assert_eq!(
        query_param(&url, "iss").as_deref(),
        Some("https://id.xaso.example.vn")
    );
    query_param(&url, "code").unwrap()
}

fn code_form<'a>(code: &'a str, verifier: &'a str, redirect: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect),
        ("code_verifier", verifier),
    ]
}

#[test]
fn full_round_trip_code_pkce_basic_and_id_token_verified_against_the_jwks() {
    let (mut p, basic) = Provider::with_basic();

    // The relying party reads the discovery document and the JWKS (as JSON, as over HTTP).
    let discovery = serde_json::to_value(discovery_document(&p.issuer)).unwrap();
    assert_eq!(
        discovery["jwks_uri"],
        "https://id.xaso.example.vn/oidc/jwks"
    );
    let jwks_json = p.keys.jwks(T0).to_json().unwrap();
    let jwks = Jwks::parse(&jwks_json).unwrap();

    let code = get_code(&mut p, T0);
    let t1 = T0 + Duration::seconds(5);
    let response = p.redeem(&basic, &code, t1).unwrap();
    let body = serde_json::to_value(&response).unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["scope"], "openid profile personal_id");
    assert!(body["refresh_token"].is_string());

    // The relying party verifies the ID token with the published keys.
    let id_token = response.id_token.as_deref().unwrap();
    let claims: IdTokenClaims = jws::verify_claims(id_token, &jwks.keys).unwrap();
    assert_eq!(claims.iss, discovery["issuer"]);
    assert_eq!(claims.aud, "dvc-thanhhoa");
    assert_eq!(claims.nonce.as_deref(), Some("nonce-123"));
    assert_eq!(claims.acr, "urn:xaso:loa:2");
    assert_eq!(claims.amr, ["pwd", "otp"]);
    assert_eq!(
        claims.auth_time,
        (T0 - Duration::minutes(1)).unix_timestamp()
    );
    assert!(claims.exp > t1.unix_timestamp());
    assert_eq!(
        claims.at_hash.as_deref(),
        Some(tokens::at_hash(&response.access_token).as_str())
    );
    assert_eq!(claims.claims.name.as_deref(), Some("Lê Văn Tám"));
    assert_eq!(claims.claims.birthdate.as_deref(), Some("1985-09-02"));
    assert_eq!(claims.claims.personal_id.as_deref(), Some("038085001234"));
    // The sub is pairwise, not the account id and not the personal id.
    assert_ne!(claims.sub, "acct-7");
    assert!(!claims.sub.contains("038085001234"));
    assert_eq!(claims.sub.len(), 43);
    assert!(p.access_valid(&response.access_token, t1));

    // Refresh once: a new pair, the same sub.
    let rt = response.refresh_token.clone().unwrap();
    let t2 = t1 + Duration::minutes(30);
    let refreshed = p.refresh(&basic, &rt, t2).unwrap();
    let claims2: IdTokenClaims =
        jws::verify_claims(refreshed.id_token.as_deref().unwrap(), &jwks.keys).unwrap();
    assert_eq!(claims2.sub, claims.sub);
    assert_eq!(claims2.acr, "urn:xaso:loa:2");
    assert_ne!(refreshed.refresh_token, response.refresh_token);
}

#[test]
fn wrong_verifier_is_refused() {
    let (mut p, basic) = Provider::with_basic();
    let code = get_code(&mut p, T0);
    let wrong = "x".repeat(43);
    assert_eq!(
        p.token(Some(&basic), &code_form(&code, &wrong, REDIRECT), T0),
        Err(OidcError::PkceMismatch)
    );
    assert_eq!(
        p.token(Some(&basic), &code_form(&code, "short", REDIRECT), T0),
        Err(OidcError::InvalidCodeVerifier)
    );
    // The code is still good for the right verifier (a failed attempt does not burn it).
    assert!(p.redeem(&basic, &code, T0).is_ok());
}

#[test]
fn reused_code_is_refused_and_revokes_its_tokens() {
    let (mut p, basic) = Provider::with_basic();
    let code = get_code(&mut p, T0);
    let first = p.redeem(&basic, &code, T0).unwrap();
    assert!(p.access_valid(&first.access_token, T0));
    let again = p.redeem(&basic, &code, T0);
    assert_eq!(again, Err(OidcError::CodeAlreadyUsed));
    assert_eq!(again.unwrap_err().code().as_str(), "invalid_grant");
    // The tokens the code gave are revoked.
    assert!(!p.access_valid(&first.access_token, T0));
    assert_eq!(
        p.refresh(&basic, first.refresh_token.as_deref().unwrap(), T0),
        Err(OidcError::RefreshTokenRevoked)
    );
}

#[test]
fn expired_code_is_refused() {
    let (mut p, basic) = Provider::with_basic();
    let code = get_code(&mut p, T0);
    assert_eq!(
        p.redeem(&basic, &code, T0 + Duration::seconds(60)),
        Err(OidcError::CodeExpired)
    );
}

#[test]
fn wrong_redirect_uri_is_refused_at_both_endpoints() {
    let (mut p, basic) = Provider::with_basic();
    // At the authorization endpoint: an error page, no redirect.
    let mut params = auth_params("s");
    params[2].1 = "https://evil.example/cb".into();
    let err = p
        .authorize(&borrow(&params), Some(&level2_session()), T0)
        .unwrap_err();
    assert!(err.contains("redirect_uri is not one of the URIs"), "{err}");
    // At the token endpoint: the code's redirect_uri must be repeated exactly.
    let code = get_code(&mut p, T0);
    assert_eq!(
        p.token(
            Some(&basic),
            &code_form(&code, VERIFIER, "https://dvc.thanhhoa.example.vn/other"),
            T0
        ),
        Err(OidcError::RedirectUriMismatch)
    );
}

#[test]
fn refresh_token_reuse_revokes_the_family() {
    let (mut p, basic) = Provider::with_basic();
    let first = p.sign_in(&basic, T0);
    let rt1 = first.refresh_token.clone().unwrap();
    let t1 = T0 + Duration::minutes(1);
    let second = p.refresh(&basic, &rt1, t1).unwrap();
    let rt2 = second.refresh_token.clone().unwrap();
    assert!(p.access_valid(&second.access_token, t1));

    // An attacker (or a confused client) presents the retired token.
    let t2 = t1 + Duration::minutes(1);
    assert_eq!(
        p.refresh(&basic, &rt1, t2),
        Err(OidcError::RefreshTokenReused)
    );
    // The legitimate successor is dead too, and so are the family's access tokens.
    assert_eq!(
        p.refresh(&basic, &rt2, t2),
        Err(OidcError::RefreshTokenRevoked)
    );
    assert!(!p.access_valid(&second.access_token, t2));
    assert_eq!(
        p.refresh(&basic, "xaso_rt_unknown", t2),
        Err(OidcError::RefreshTokenUnknown)
    );
}

#[test]
fn client_authentication_failures_at_the_token_endpoint() {
    let (mut p, _secret) = Provider::new();
    let code = get_code(&mut p, T0);
    let form = code_form(&code, VERIFIER, REDIRECT);
    let wrong = basic_header("dvc-thanhhoa", "xaso_cs_not-the-secret");
    let err = p.token(Some(&wrong), &form, T0).unwrap_err();
    assert_eq!(err, OidcError::InvalidClientSecret);
    assert_eq!(err.http_status(), 401);
    assert_eq!(
        p.token(Some(&basic_header("nobody", "x")), &form, T0),
        Err(OidcError::UnknownClient)
    );
    assert_eq!(
        p.token(None, &form, T0),
        Err(OidcError::ClientAuthenticationMissing)
    );
    let mut bad_grant = form.clone();
    bad_grant[0].1 = "password";
    let (mut p2, basic2) = Provider::with_basic();
    assert_eq!(
        p2.token(Some(&basic2), &bad_grant, T0),
        Err(OidcError::UnsupportedGrantType)
    );
}

#[test]
fn step_up_then_the_id_token_says_level_2() {
    let (mut p, basic) = Provider::with_basic();
    let params = auth_params("st");
    let level1 = Authentication {
        subject: "acct-7".into(),
        level: Loa::Level1,
        amr: vec!["pwd".into()],
        auth_time: T0 - Duration::minutes(5),
    };
    let page = p
        .authorize(&borrow(&params), Some(&level1), T0)
        .unwrap_err();
    assert!(page.contains("StepUpRequired"), "{page}");
    // With prompt=none the client hears interaction_required instead.
    let mut silent = params.clone();
    silent.push(("prompt", "none".into()));
    let url = p.authorize(&borrow(&silent), Some(&level1), T0).unwrap();
    assert_eq!(
        query_param(&url, "error").as_deref(),
        Some("interaction_required")
    );
    assert_eq!(query_param(&url, "state").as_deref(), Some("st"));
    // Without a session and prompt=none: login_required.
    let url = p.authorize(&borrow(&silent), None, T0).unwrap();
    assert_eq!(
        query_param(&url, "error").as_deref(),
        Some("login_required")
    );

    // The user adds the second factor.
    let stepped_up = Authentication {
        level: Loa::Level2,
        amr: vec!["pwd".into(), "otp".into()],
        auth_time: T0 + Duration::seconds(20),
        ..level1
    };
    let url = p
        .authorize(
            &borrow(&params),
            Some(&stepped_up),
            T0 + Duration::seconds(21),
        )
        .unwrap();
    let code = query_param(&url, "code").unwrap();
    let response = p.redeem(&basic, &code, T0 + Duration::seconds(25)).unwrap();
    let claims: IdTokenClaims =
        jws::verify_claims(response.id_token.as_deref().unwrap(), &p.keys.jwks(T0).keys).unwrap();
    assert_eq!(claims.acr, Loa::Level2.as_uri());
}

#[test]
fn private_key_jwt_client_round_trip_with_rs256() {
    use super::jws::tests::{a2_jwk, rs256_sign};
    let (mut p, _) = Provider::new();
    let mut client = p.clients["dvc-thanhhoa"].clone();
    client.auth = ClientAuth::PrivateKeyJwt {
        jwks: Jwks {
            keys: vec![a2_jwk(Some("rp-key-2025"))],
        },
    };
    client.validate().unwrap();
    p.clients.insert(client.client_id.clone(), client);
    let code = get_code(&mut p, T0);
    let assertion = |jti: &str| {
        let claims = serde_json::json!({
            "iss": "dvc-thanhhoa",
            "sub": "dvc-thanhhoa",
            "aud": "https://id.xaso.example.vn",
            "jti": jti,
            "iat": T0.unix_timestamp(),
            "exp": T0.unix_timestamp() + 60,
        });
        rs256_sign(
            r#"{"alg":"RS256","kid":"rp-key-2025","typ":"JWT"}"#,
            claims.to_string().as_bytes(),
        )
    };
    let a1 = assertion("a-1");
    let mut form = code_form(&code, VERIFIER, REDIRECT);
    form.push(("client_assertion_type", ASSERTION_TYPE));
    form.push(("client_assertion", &a1));
    let response = p.token(None, &form, T0).unwrap();
    assert!(response.id_token.is_some());
    // The same assertion again (jti replay) is refused before the code is even looked at.
    let code2 = get_code(&mut p, T0);
    let mut form2 = code_form(&code2, VERIFIER, REDIRECT);
    form2.push(("client_assertion_type", ASSERTION_TYPE));
    form2.push(("client_assertion", &a1));
    assert_eq!(
        p.token(None, &form2, T0),
        Err(OidcError::InvalidClientAssertion(
            super::error::AssertionError::Replayed
        ))
    );
    // Basic is not accepted for this client any more.
    assert_eq!(
        p.token(
            Some(&basic_header("dvc-thanhhoa", "xaso_cs_x")),
            &code_form(&code2, VERIFIER, REDIRECT),
            T0
        ),
        Err(OidcError::ClientAuthMethodNotAllowed)
    );
}

#[test]
fn key_rotation_keeps_earlier_id_tokens_verifiable() {
    let (mut p, basic) = Provider::with_basic();
    let before = p.sign_in(&basic, T0);
    let next = SigningKey::generate(&mut TestRandom(5000)).unwrap();
    p.keys.rotate(next, T0 + Duration::hours(1));
    let after = p.sign_in(&basic, T0);
    let jwks = Jwks::parse(&p.keys.jwks(T0).to_json().unwrap()).unwrap();
    assert_eq!(jwks.keys.len(), 2);
    for t in [&before, &after] {
        jws::verify_claims::<IdTokenClaims>(t.id_token.as_deref().unwrap(), &jwks.keys).unwrap();
    }
    let later = p.keys.jwks(T0 + Duration::hours(1));
    assert!(
        jws::verify_claims::<IdTokenClaims>(before.id_token.as_deref().unwrap(), &later.keys)
            .is_err()
    );
}
