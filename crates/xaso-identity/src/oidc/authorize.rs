//! The authorization endpoint: the request checked and typed ([`validate`]), then the decision
//! for the user's browser session ([`decide`]).
//!
//! Errors come in two kinds (RFC 6749 §4.1.2.1, Core §3.1.2.6):
//! - [`AuthorizeError::Show`]: the client is unknown or the `redirect_uri` is missing or not
//!   registered. The provider shows an error page and **never redirects**: sending the browser
//!   to an unverified URI would make it an open redirector and could leak the error to an
//!   attacker.
//! - [`AuthorizeError::Redirect`]: everything else, once the client and its redirect URI are
//!   known; the error goes back to the client at that URI with `state` and `iss`.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::client::Client;
use super::discovery::Issuer;
use super::{append_query, Loa, OidcError, Params, Scope, ScopeSet};

/// Longest accepted `state` (clients sometimes put a signed blob there).
pub const MAX_STATE_LEN: usize = 2048;
/// Longest accepted `nonce`.
pub const MAX_NONCE_LEN: usize = 512;
/// Longest accepted `login_hint`.
pub const MAX_LOGIN_HINT_LEN: usize = 256;

/// The `client_id` of a request, to look the client up before [`validate`].
pub fn requested_client_id<K: AsRef<str>, V: AsRef<str>>(
    params: &[(K, V)],
) -> Result<&str, OidcError> {
    Params::new(params)
        .get("client_id")?
        .ok_or(OidcError::MissingParameter("client_id"))
}

/// The `prompt` parameter (Core §3.1.2.1). `select_account` and values this provider does not
/// know are ignored; `none` with any other value is an error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// Never show a page: answer at once or fail with `login_required` etc.
    pub none: bool,
    /// Make the user authenticate again even with a session.
    pub login: bool,
    /// Ask for consent again even if already given.
    pub consent: bool,
}

impl Prompt {
    fn parse(text: Option<&str>) -> Result<Prompt, OidcError> {
        let mut p = Prompt::default();
        let mut count = 0;
        for v in text.unwrap_or("").split(' ').filter(|v| !v.is_empty()) {
            count += 1;
            match v {
                "none" => p.none = true,
                "login" => p.login = true,
                "consent" => p.consent = true,
                _ => {}
            }
        }
        if p.none && count > 1 {
            return Err(OidcError::InvalidParameter {
                name: "prompt",
                reason: "must not combine none with other values",
            });
        }
        Ok(p)
    }
}

/// A checked authorization request. The web layer keeps it (serialised) in the browser's
/// login session while the user signs in, steps up or consents, then calls [`decide`] again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    /// One of the client's registered URIs, exactly as sent.
    pub redirect_uri: String,
    /// The requested scopes this provider knows (always with `openid`), all allowed for the
    /// client.
    pub scope: ScopeSet,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// The S256 PKCE challenge (43 base64url characters).
    pub code_challenge: String,
    /// The level the user must be authenticated at: the higher of the client's registered
    /// minimum and the lowest level named in `acr_values` (see [`parse_acr_values`]).
    pub required_level: Loa,
    pub prompt: Prompt,
    /// `max_age` in seconds: the user must have authenticated at most this long ago.
    pub max_age: Option<u32>,
    /// `ui_locales`, in order of preference (BCP 47 tags, as sent).
    pub ui_locales: Vec<String>,
    pub login_hint: Option<String>,
    /// When the request arrived; `prompt=login` and `prompt=consent` are satisfied by an
    /// authentication or a consent after this instant.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

/// An error to send back to the client at its redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRedirect {
    pub redirect_uri: String,
    pub state: Option<String>,
    pub error: OidcError,
}

impl ErrorRedirect {
    /// `redirect_uri?error=…&error_description=…&state=…&iss=…`.
    pub fn url(&self, issuer: &Issuer) -> String {
        let description = self.error.description();
        let mut params = vec![
            ("error", self.error.code().as_str()),
            ("error_description", description.as_str()),
        ];
        if let Some(state) = &self.state {
            params.push(("state", state));
        }
        params.push(("iss", issuer.as_str()));
        append_query(&self.redirect_uri, &params)
    }
}

/// Why [`validate`] refused a request, and where the answer goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Show an error page; never redirect.
    Show(OidcError),
    /// Redirect the error to the client.
    Redirect(ErrorRedirect),
}

impl AuthorizeError {
    pub fn error(&self) -> &OidcError {
        match self {
            AuthorizeError::Show(e) => e,
            AuthorizeError::Redirect(r) => &r.error,
        }
    }
}

/// Reads `acr_values` (Core §3.1.2.1): a space-separated list of acceptable levels, most
/// preferred first. Any listed level is acceptable, so the requirement is the **lowest** one
/// this provider knows; unknown values are ignored (the parameter is voluntary, and the relying
/// party checks the `acr` it gets). `None` when no known value is listed.
pub fn parse_acr_values(text: &str) -> Option<Loa> {
    text.split(' ').filter_map(Loa::from_uri).min()
}

/// Checks an authorization request. `client` is what the caller found for
/// [`requested_client_id`] (`None` if no such client); `now` is when the request arrived.
pub fn validate<K: AsRef<str>, V: AsRef<str>>(
    params: &[(K, V)],
    client: Option<&Client>,
    now: OffsetDateTime,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let p = Params::new(params);
    let show = AuthorizeError::Show;

    // Errors before the redirect URI is trusted are shown, never redirected.
    let client_id = p
        .get("client_id")
        .map_err(show)?
        .ok_or(show(OidcError::MissingParameter("client_id")))?;
    let client = client
        .filter(|c| c.client_id == client_id)
        .ok_or(show(OidcError::UnknownClient))?;
    let redirect_uri = p
        .get("redirect_uri")
        .map_err(show)?
        .ok_or(show(OidcError::MissingParameter("redirect_uri")))?;
    if !client.has_redirect_uri(redirect_uri) {
        return Err(show(OidcError::RedirectUriNotRegistered));
    }

    // From here on, errors go back to the client.
    let state = p
        .get("state")
        .ok()
        .flatten()
        .filter(|s| s.len() <= MAX_STATE_LEN);
    let redirect = |error: OidcError| {
        AuthorizeError::Redirect(ErrorRedirect {
            redirect_uri: redirect_uri.to_string(),
            state: state.map(str::to_string),
            error,
        })
    };
    let get = |name: &'static str| p.get(name).map_err(redirect);

    if let Some(s) = get("state")? {
        if s.len() > MAX_STATE_LEN {
            return Err(redirect(OidcError::InvalidParameter {
                name: "state",
                reason: "is too long",
            }));
        }
    }
    if get("request")?.is_some() {
        return Err(redirect(OidcError::RequestObjectNotSupported));
    }
    if get("request_uri")?.is_some() {
        return Err(redirect(OidcError::RequestUriNotSupported));
    }
    match get("response_type")? {
        None => return Err(redirect(OidcError::MissingParameter("response_type"))),
        Some("code") => {}
        Some(_) => return Err(redirect(OidcError::UnsupportedResponseType)),
    }
    if let Some(mode) = get("response_mode")? {
        if mode != "query" {
            return Err(redirect(OidcError::UnsupportedResponseMode));
        }
    }

    let scope = ScopeSet::parse_request(get("scope")?.unwrap_or("")).map_err(redirect)?;
    if !scope.contains(Scope::Openid) {
        return Err(redirect(OidcError::OpenidScopeMissing));
    }
    if let Some(s) = scope.iter().find(|s| !client.allowed_scopes.contains(*s)) {
        return Err(redirect(OidcError::ScopeNotAllowed(s)));
    }

    let challenge = get("code_challenge")?.ok_or(redirect(OidcError::PkceRequired))?;
    match get("code_challenge_method")? {
        Some("S256") => {}
        // Absent means `plain` (RFC 7636 §4.3), which is not offered.
        _ => return Err(redirect(OidcError::UnsupportedCodeChallengeMethod)),
    }
    if !is_s256_challenge(challenge) {
        return Err(redirect(OidcError::InvalidCodeChallenge));
    }

    let nonce = get("nonce")?;
    if let Some(n) = nonce {
        if n.len() > MAX_NONCE_LEN || n.chars().any(char::is_control) {
            return Err(redirect(OidcError::InvalidParameter {
                name: "nonce",
                reason: "must be at most 512 characters without control characters",
            }));
        }
    }
    let prompt = Prompt::parse(get("prompt")?).map_err(redirect)?;
    let max_age = match get("max_age")? {
        None => None,
        Some(m) => Some(
            (m.len() <= 9 && m.bytes().all(|b| b.is_ascii_digit()))
                .then(|| m.parse::<u32>().ok())
                .flatten()
                .ok_or(redirect(OidcError::InvalidParameter {
                    name: "max_age",
                    reason: "must be a number of seconds",
                }))?,
        ),
    };
    let requested_level = get("acr_values")?.and_then(parse_acr_values);
    let required_level =
        requested_level.map_or(client.minimum_level, |l| l.max(client.minimum_level));
    let ui_locales = get("ui_locales")?
        .unwrap_or("")
        .split(' ')
        .filter(|t| {
            !t.is_empty()
                && t.len() <= 35
                && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .take(8)
        .map(str::to_string)
        .collect();
    let login_hint = get("login_hint")?
        .filter(|h| h.len() <= MAX_LOGIN_HINT_LEN && !h.chars().any(char::is_control))
        .map(str::to_string);

    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_string(),
        scope,
        state: state.map(str::to_string),
        nonce: nonce.map(str::to_string),
        code_challenge: challenge.to_string(),
        required_level,
        prompt,
        max_age,
        ui_locales,
        login_hint,
        received_at: now,
    })
}

/// A base64url SHA-256: 43 characters that decode to 32 bytes. (RFC 7636 allows challenges of
/// 43 to 128 characters in general, but an S256 challenge is always exactly this; anything
/// else could never match a verifier.)
fn is_s256_challenge(c: &str) -> bool {
    c.len() == 43 && crate::base64url_decode(c).is_some_and(|b| b.len() == 32)
}

/// How the user signed in: what the browser session knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authentication {
    /// The account's local identifier (never the personal ID number; the token's `sub` is
    /// derived from it per sector).
    pub subject: String,
    /// The level reached in this session.
    pub level: Loa,
    /// Authentication methods (RFC 8176 values: `pwd`, `otp`, `mfa`, `hwk`, ...).
    pub amr: Vec<String>,
    /// When the user last authenticated actively.
    #[serde(with = "time::serde::rfc3339")]
    pub auth_time: OffsetDateTime,
}

/// A consent the user gave a client, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub scope: ScopeSet,
    #[serde(with = "time::serde::rfc3339")]
    pub granted_at: OffsetDateTime,
}

/// What to do next with an authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Show the login page (no session, `prompt=login`, or `max_age` passed).
    Authenticate,
    /// The user is signed in below the required level: ask for the missing factor.
    StepUpRequired { current: Loa, required: Loa },
    /// Ask the user to consent to these scopes for this client.
    Consent,
    /// Issue a code for this authentication (its level is at least the required one; the
    /// ID token's `acr` is the level actually reached).
    Issue(Authentication),
}

/// The decision for `request` given the browser's session (`None`: not signed in) and the
/// user's stored consent for this client. With `prompt=none`, every answer that would need a
/// page is an error redirected to the client instead: `login_required` (no usable
/// authentication), `interaction_required` (a step-up is needed: the user *is* signed in, so
/// `login_required` would mislead the client) or `consent_required`.
pub fn decide(
    request: &AuthorizationRequest,
    session: Option<&Authentication>,
    consent: Option<&Consent>,
    now: OffsetDateTime,
) -> Result<Decision, ErrorRedirect> {
    let refuse = |error: OidcError| ErrorRedirect {
        redirect_uri: request.redirect_uri.clone(),
        state: request.state.clone(),
        error,
    };
    let usable = session.filter(|a| {
        // An authentication after the request arrived satisfies `prompt=login` and any
        // `max_age` (even 0, which Core §3.1.2.1 equates with `prompt=login`), so the user
        // who just signed in is not sent round again.
        let after_request = a.auth_time >= request.received_at;
        let fresh_enough = !request.prompt.login || after_request;
        let young_enough = request
            .max_age
            .is_none_or(|m| after_request || now - a.auth_time <= Duration::seconds(i64::from(m)));
        fresh_enough && young_enough
    });
    let Some(auth) = usable else {
        return if request.prompt.none {
            Err(refuse(OidcError::LoginRequired))
        } else {
            Ok(Decision::Authenticate)
        };
    };
    if auth.level < request.required_level {
        let (current, required) = (auth.level, request.required_level);
        return if request.prompt.none {
            Err(refuse(OidcError::StepUpRequired { current, required }))
        } else {
            Ok(Decision::StepUpRequired { current, required })
        };
    }
    let consented = consent.is_some_and(|c| {
        request.scope.is_subset(&c.scope)
            && (!request.prompt.consent || c.granted_at >= request.received_at)
    });
    if !consented {
        return if request.prompt.none {
            Err(refuse(OidcError::ConsentRequired))
        } else {
            Ok(Decision::Consent)
        };
    }
    Ok(Decision::Issue(auth.clone()))
}

impl AuthorizationRequest {
    /// The successful answer: `redirect_uri?code=…&state=…&iss=…` (RFC 9207 `iss`).
    pub fn success_redirect(&self, code: &str, issuer: &Issuer) -> String {
        let mut params = vec![("code", code)];
        if let Some(state) = &self.state {
            params.push(("state", state));
        }
        params.push(("iss", issuer.as_str()));
        append_query(&self.redirect_uri, &params)
    }

    /// An error for this request to send back to the client (e.g. `access_denied` when the
    /// user declines consent).
    pub fn error_redirect(&self, error: OidcError) -> ErrorRedirect {
        ErrorRedirect {
            redirect_uri: self.redirect_uri.clone(),
            state: self.state.clone(),
            error,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use crate::oidc::client::tests::sample_client;
    use time::macros::datetime;

    pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    pub(crate) const REDIRECT: &str = "https://dvc.thanhhoa.example.vn/oidc/callback";
    pub(crate) const T0: OffsetDateTime = datetime!(2025-07-01 08:00 +07:00);

    pub(crate) fn good_params() -> Vec<(String, String)> {
        [
            ("response_type", "code"),
            ("client_id", "dichvucong-thanhhoa"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid profile personal_id"),
            ("state", "af0ifjsldkj"),
            ("nonce", "n-0S6_WzA2Mj"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn with(changes: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
        let mut p = good_params();
        for (name, value) in changes {
            p.retain(|(k, _)| k != name);
            if let Some(v) = value {
                p.push((name.to_string(), v.to_string()));
            }
        }
        p
    }

    fn check(params: &[(String, String)]) -> Result<AuthorizationRequest, AuthorizeError> {
        validate(params, Some(&sample_client()), T0)
    }

    fn redirected(params: &[(String, String)]) -> OidcError {
        match check(params) {
            Err(AuthorizeError::Redirect(r)) => {
                assert_eq!(r.redirect_uri, REDIRECT);
                r.error
            }
            other => panic!("expected a redirected error, got {other:?}"),
        }
    }

    fn shown(params: &[(String, String)]) -> OidcError {
        match check(params) {
            Err(AuthorizeError::Show(e)) => e,
            other => panic!("expected an error page, got {other:?}"),
        }
    }

    #[test]
    fn a_good_request_is_typed() {
        let r = check(&good_params()).unwrap();
        assert_eq!(r.client_id, "dichvucong-thanhhoa");
        assert_eq!(r.redirect_uri, REDIRECT);
        assert_eq!(r.scope.to_string(), "openid profile personal_id");
        assert_eq!(r.state.as_deref(), Some("af0ifjsldkj"));
        assert_eq!(r.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
        assert_eq!(r.code_challenge, CHALLENGE);
        assert_eq!(r.required_level, Loa::Level1);
        assert_eq!(r.prompt, Prompt::default());
        assert_eq!(r.received_at, T0);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            serde_json::from_str::<AuthorizationRequest>(&json).unwrap(),
            r
        );
        assert_eq!(
            requested_client_id(&good_params()).unwrap(),
            "dichvucong-thanhhoa"
        );
        // Borrowed parameters work too.
        let owned = good_params();
        let borrowed: Vec<(&str, &str)> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert!(validate(&borrowed, Some(&sample_client()), T0).is_ok());
    }

    #[test]
    fn client_and_redirect_uri_errors_are_shown_not_redirected() {
        assert_eq!(
            shown(&with(&[("client_id", None)])),
            OidcError::MissingParameter("client_id")
        );
        assert_eq!(
            shown(&with(&[("client_id", Some("someone-else"))])),
            OidcError::UnknownClient
        );
        assert_eq!(
            validate(&good_params(), None, T0).unwrap_err(),
            AuthorizeError::Show(OidcError::UnknownClient)
        );
        assert_eq!(
            shown(&with(&[("redirect_uri", None)])),
            OidcError::MissingParameter("redirect_uri")
        );
        for wrong in [
            "https://evil.example/cb",
            "https://dvc.thanhhoa.example.vn/oidc/callback/",
            "https://dvc.thanhhoa.example.vn/oidc/callback?lang=vi",
            "https://DVC.thanhhoa.example.vn/oidc/callback",
        ] {
            assert_eq!(
                shown(&with(&[("redirect_uri", Some(wrong))])),
                OidcError::RedirectUriNotRegistered,
                "{wrong}"
            );
        }
        let mut dup = good_params();
        dup.push(("redirect_uri".into(), "https://evil.example/cb".into()));
        assert_eq!(shown(&dup), OidcError::DuplicateParameter("redirect_uri"));
        // Even with other errors, a bad redirect URI is never used.
        assert_eq!(
            shown(&with(&[
                ("redirect_uri", Some("https://evil.example/cb")),
                ("response_type", Some("token"))
            ])),
            OidcError::RedirectUriNotRegistered
        );
    }

    #[test]
    fn other_errors_are_redirected_with_state() {
        let cases: Vec<(Vec<(String, String)>, OidcError)> = vec![
            (
                with(&[("response_type", None)]),
                OidcError::MissingParameter("response_type"),
            ),
            (
                with(&[("response_type", Some("token"))]),
                OidcError::UnsupportedResponseType,
            ),
            (
                with(&[("response_type", Some("code id_token"))]),
                OidcError::UnsupportedResponseType,
            ),
            (
                with(&[("response_mode", Some("fragment"))]),
                OidcError::UnsupportedResponseMode,
            ),
            (
                with(&[("scope", Some("profile"))]),
                OidcError::OpenidScopeMissing,
            ),
            (with(&[("scope", None)]), OidcError::OpenidScopeMissing),
            (
                with(&[("scope", Some("openid phone"))]),
                OidcError::ScopeNotAllowed(Scope::Phone),
            ),
            (
                with(&[("scope", Some("openid\u{7f}"))]),
                OidcError::MalformedScope,
            ),
            (with(&[("code_challenge", None)]), OidcError::PkceRequired),
            (
                with(&[("code_challenge_method", None)]),
                OidcError::UnsupportedCodeChallengeMethod,
            ),
            (
                with(&[("code_challenge_method", Some("plain"))]),
                OidcError::UnsupportedCodeChallengeMethod,
            ),
            (
                with(&[("code_challenge", Some("short"))]),
                OidcError::InvalidCodeChallenge,
            ),
            (
                with(&[("code_challenge", Some(&"A".repeat(44)))]),
                OidcError::InvalidCodeChallenge,
            ),
            (
                with(&[(
                    "code_challenge",
                    Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"),
                )]),
                OidcError::InvalidCodeChallenge,
            ),
            (
                with(&[("request", Some("eyJ..."))]),
                OidcError::RequestObjectNotSupported,
            ),
            (
                with(&[("request_uri", Some("https://rp/x"))]),
                OidcError::RequestUriNotSupported,
            ),
            (
                with(&[("prompt", Some("none login"))]),
                OidcError::InvalidParameter {
                    name: "prompt",
                    reason: "must not combine none with other values",
                },
            ),
            (
                with(&[("max_age", Some("-1"))]),
                OidcError::InvalidParameter {
                    name: "max_age",
                    reason: "must be a number of seconds",
                },
            ),
            (
                with(&[("nonce", Some(&"n".repeat(513)))]),
                OidcError::InvalidParameter {
                    name: "nonce",
                    reason: "must be at most 512 characters without control characters",
                },
            ),
        ];
        for (params, expected) in cases {
            assert_eq!(redirected(&params), expected);
        }
        let mut dup = good_params();
        dup.push(("scope".into(), "openid".into()));
        assert_eq!(redirected(&dup), OidcError::DuplicateParameter("scope"));

        let Err(AuthorizeError::Redirect(r)) = check(&with(&[("response_type", Some("token"))]))
        else {
            panic!()
        };
        let issuer = Issuer::parse("https://id.xaso.example.vn").unwrap();
        assert_eq!(
            r.url(&issuer),
            "https://dvc.thanhhoa.example.vn/oidc/callback?error=unsupported_response_type\
             &error_description=only%20response_type%3Dcode%20is%20supported\
             &state=af0ifjsldkj&iss=https%3A%2F%2Fid.xaso.example.vn"
        );
        // A duplicated state is not echoed.
        let mut dup_state = with(&[("response_type", Some("token"))]);
        dup_state.push(("state".into(), "other".into()));
        let Err(AuthorizeError::Redirect(r)) = check(&dup_state) else {
            panic!()
        };
        assert_eq!(r.state, None);
        assert_eq!(r.error, OidcError::DuplicateParameter("state"));
    }

    #[test]
    fn empty_values_count_as_absent_and_unknown_scopes_are_dropped() {
        assert_eq!(
            redirected(&with(&[("code_challenge", Some(""))])),
            OidcError::PkceRequired
        );
        let r = check(&with(&[("scope", Some("openid email offline_access"))])).unwrap();
        assert_eq!(r.scope.to_string(), "openid");
        let r = check(&with(&[("state", None), ("nonce", None)])).unwrap();
        assert_eq!(r.state, None);
        assert_eq!(r.nonce, None);
    }

    #[test]
    fn acr_values_prompt_max_age_and_locales() {
        assert_eq!(parse_acr_values("urn:xaso:loa:2"), Some(Loa::Level2));
        assert_eq!(
            parse_acr_values("urn:xaso:loa:2 urn:xaso:loa:1"),
            Some(Loa::Level1)
        );
        assert_eq!(
            parse_acr_values("urn:other:gold urn:xaso:loa:2"),
            Some(Loa::Level2)
        );
        assert_eq!(parse_acr_values("urn:other:gold"), None);
        let r = check(&with(&[("acr_values", Some("urn:xaso:loa:2"))])).unwrap();
        assert_eq!(r.required_level, Loa::Level2);
        // The client's minimum wins over a lower request.
        let mut strict = sample_client();
        strict.minimum_level = Loa::Level2;
        let r = validate(
            &with(&[("acr_values", Some("urn:xaso:loa:1"))]),
            Some(&strict),
            T0,
        )
        .unwrap();
        assert_eq!(r.required_level, Loa::Level2);

        let r = check(&with(&[
            ("prompt", Some("login consent select_account")),
            ("max_age", Some("300")),
            ("ui_locales", Some("vi-VN en <script>")),
            ("login_hint", Some("0912345678")),
        ]))
        .unwrap();
        assert_eq!(
            r.prompt,
            Prompt {
                none: false,
                login: true,
                consent: true
            }
        );
        assert_eq!(r.max_age, Some(300));
        assert_eq!(r.ui_locales, ["vi-VN", "en"]);
        assert_eq!(r.login_hint.as_deref(), Some("0912345678"));
    }

    fn user(level: Loa, auth_time: OffsetDateTime) -> Authentication {
        Authentication {
            subject: "acct-42".into(),
            level,
            amr: vec!["pwd".into()],
            auth_time,
        }
    }

    fn consent_for(r: &AuthorizationRequest, at: OffsetDateTime) -> Consent {
        Consent {
            scope: r.scope.clone(),
            granted_at: at,
        }
    }

    #[test]
    fn decisions_for_a_signed_in_user() {
        let r = check(&good_params()).unwrap();
        let earlier = T0 - Duration::minutes(10);
        let u1 = user(Loa::Level1, earlier);
        let c = consent_for(&r, earlier);
        assert_eq!(decide(&r, None, None, T0).unwrap(), Decision::Authenticate);
        assert_eq!(decide(&r, Some(&u1), None, T0).unwrap(), Decision::Consent);
        assert_eq!(
            decide(&r, Some(&u1), Some(&c), T0).unwrap(),
            Decision::Issue(u1.clone())
        );
        // A consent to fewer scopes is not enough.
        let narrow = Consent {
            scope: ScopeSet::new([Scope::Openid]),
            granted_at: earlier,
        };
        assert_eq!(
            decide(&r, Some(&u1), Some(&narrow), T0).unwrap(),
            Decision::Consent
        );

        // Step-up: level 2 required, user at level 1.
        let r2 = check(&with(&[("acr_values", Some("urn:xaso:loa:2"))])).unwrap();
        let c2 = consent_for(&r2, earlier);
        assert_eq!(
            decide(&r2, Some(&u1), Some(&c2), T0).unwrap(),
            Decision::StepUpRequired {
                current: Loa::Level1,
                required: Loa::Level2
            }
        );
        let u2 = user(Loa::Level2, earlier);
        assert_eq!(
            decide(&r2, Some(&u2), Some(&c2), T0).unwrap(),
            Decision::Issue(u2.clone())
        );
        // A level-2 session satisfies a level-1 request (acr will say level 2).
        assert_eq!(
            decide(&r, Some(&u2), Some(&c), T0).unwrap(),
            Decision::Issue(u2.clone())
        );
    }

    #[test]
    fn prompt_login_and_max_age_need_a_fresh_authentication() {
        let r = check(&with(&[("prompt", Some("login"))])).unwrap();
        let c = consent_for(&r, T0 - Duration::hours(1));
        let old = user(Loa::Level1, T0 - Duration::minutes(5));
        assert_eq!(
            decide(&r, Some(&old), Some(&c), T0).unwrap(),
            Decision::Authenticate
        );
        // After logging in again (auth_time after the request arrived), no loop.
        let fresh = user(Loa::Level1, T0 + Duration::seconds(30));
        assert_eq!(
            decide(&r, Some(&fresh), Some(&c), T0 + Duration::seconds(31)).unwrap(),
            Decision::Issue(fresh)
        );

        let r = check(&with(&[("max_age", Some("60"))])).unwrap();
        let u = user(Loa::Level1, T0 - Duration::seconds(60));
        assert_eq!(
            decide(&r, Some(&u), Some(&c), T0).unwrap(),
            Decision::Issue(u.clone())
        );
        assert_eq!(
            decide(&r, Some(&u), Some(&c), T0 + Duration::seconds(1)).unwrap(),
            Decision::Authenticate
        );
        // max_age=0 works like prompt=login, without a loop after the new login.
        let r0 = check(&with(&[("max_age", Some("0"))])).unwrap();
        assert_eq!(
            decide(&r0, Some(&u), Some(&c), T0).unwrap(),
            Decision::Authenticate
        );
        let just_now = user(Loa::Level1, T0 + Duration::seconds(40));
        assert_eq!(
            decide(&r0, Some(&just_now), Some(&c), T0 + Duration::seconds(45)).unwrap(),
            Decision::Issue(just_now.clone())
        );

        let r = check(&with(&[("prompt", Some("consent"))])).unwrap();
        let u = user(Loa::Level1, T0);
        assert_eq!(
            decide(&r, Some(&u), Some(&c), T0).unwrap(),
            Decision::Consent
        );
        let renewed = consent_for(&r, T0 + Duration::seconds(5));
        assert_eq!(
            decide(&r, Some(&u), Some(&renewed), T0 + Duration::seconds(6)).unwrap(),
            Decision::Issue(u)
        );
    }

    #[test]
    fn prompt_none_turns_pages_into_errors() {
        let r = check(&with(&[
            ("prompt", Some("none")),
            ("acr_values", Some("urn:xaso:loa:2")),
        ]))
        .unwrap();
        let c = consent_for(&r, T0);
        let e = decide(&r, None, Some(&c), T0).unwrap_err();
        assert_eq!(e.error, OidcError::LoginRequired);
        assert_eq!(e.error.code().as_str(), "login_required");
        assert_eq!(e.state.as_deref(), Some("af0ifjsldkj"));
        let e = decide(&r, Some(&user(Loa::Level1, T0)), Some(&c), T0).unwrap_err();
        assert_eq!(
            e.error,
            OidcError::StepUpRequired {
                current: Loa::Level1,
                required: Loa::Level2
            }
        );
        assert_eq!(e.error.code().as_str(), "interaction_required");
        let e = decide(&r, Some(&user(Loa::Level2, T0)), None, T0).unwrap_err();
        assert_eq!(e.error, OidcError::ConsentRequired);
        let u = user(Loa::Level2, T0);
        assert_eq!(
            decide(&r, Some(&u), Some(&c), T0).unwrap(),
            Decision::Issue(u)
        );
    }

    #[test]
    fn success_redirect_carries_code_state_and_issuer() {
        let issuer = Issuer::parse("https://id.xaso.example.vn").unwrap();
        let r = check(&with(&[(
            "redirect_uri",
            Some("https://dvc.thanhhoa.example.vn/oidc/callback?lang=en"),
        )]))
        .unwrap();
        assert_eq!(
            r.success_redirect("abc", &issuer),
            "https://dvc.thanhhoa.example.vn/oidc/callback?lang=en&code=abc&state=af0ifjsldkj\
             &iss=https%3A%2F%2Fid.xaso.example.vn"
        );
        let denied = r.error_redirect(OidcError::AccessDenied).url(&issuer);
        assert!(denied.contains("error=access_denied"), "{denied}");
    }
}
