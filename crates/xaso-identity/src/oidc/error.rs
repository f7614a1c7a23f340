//! Why a request was refused: one variant per reason (so tests and logs can tell them apart),
//! each mapped to the OAuth 2.0 / OpenID Connect error code the client sees
//! ([`OidcError::code`]) and a one-line `error_description` ([`OidcError::description`]).
//!
//! Descriptions are English, plain ASCII without `"` or `\` (RFC 6749 §5.2 allows only
//! %x20-21 / %x23-5B / %x5D-7E there), never contain a secret, and name no value the client
//! sent beyond a parameter or scope name this provider defines.

use serde::Serialize;

use super::{Loa, Scope};

/// The registered OAuth 2.0 / OpenID Connect error codes this provider answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    LoginRequired,
    InteractionRequired,
    ConsentRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    InvalidToken,
    ServerError,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::InteractionRequired => "interaction_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::ServerError => "server_error",
        }
    }
}

/// Why a `private_key_jwt` client assertion (RFC 7523 §3) was refused. All of these are
/// `invalid_client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssertionError {
    /// `client_assertion_type` is not `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    WrongAssertionType,
    /// Not a compact JWS with a JSON object payload.
    Malformed,
    /// `alg` is not ES256 or RS256 (`none` and HMAC included), or the header has `crit`.
    UnsupportedAlgorithm,
    /// No registered key of the client matches the header's `kid` and `alg`.
    NoMatchingKey,
    /// The signature does not verify with the client's registered key.
    BadSignature,
    /// `iss` or `sub` is missing or is not the client's id.
    WrongIssuerOrSubject,
    /// `aud` does not name this provider (its issuer or token endpoint) only.
    WrongAudience,
    /// `exp` is missing.
    MissingExpiry,
    /// `exp` has passed.
    Expired,
    /// `nbf` or `iat` is in the future.
    NotYetValid,
    /// `exp` is further than the allowed lifetime from `iat` or from now.
    LifetimeTooLong,
    /// `jti` is missing or empty.
    MissingJti,
    /// This `jti` was already used.
    Replayed,
}

impl AssertionError {
    fn description(self) -> &'static str {
        match self {
            AssertionError::WrongAssertionType => {
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            }
            AssertionError::Malformed => "the client assertion is not a well-formed signed JWT",
            AssertionError::UnsupportedAlgorithm => {
                "the client assertion must be signed with ES256 or RS256, without crit"
            }
            AssertionError::NoMatchingKey => {
                "no registered key of the client matches the client assertion (kid and alg)"
            }
            AssertionError::BadSignature => "the client assertion signature does not verify",
            AssertionError::WrongIssuerOrSubject => {
                "the client assertion iss and sub must both be the client_id"
            }
            AssertionError::WrongAudience => {
                "the client assertion aud must be the issuer or the token endpoint URL"
            }
            AssertionError::MissingExpiry => "the client assertion has no exp",
            AssertionError::Expired => "the client assertion has expired",
            AssertionError::NotYetValid => "the client assertion is not valid yet (nbf or iat)",
            AssertionError::LifetimeTooLong => {
                "the client assertion lives longer than this provider accepts"
            }
            AssertionError::MissingJti => "the client assertion has no jti",
            AssertionError::Replayed => "the client assertion jti was already used",
        }
    }
}

/// A refused request, by reason. [`OidcError::code`] gives the OAuth error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OidcError {
    // --- any endpoint ---------------------------------------------------------------------
    /// A required parameter is absent (or empty, which RFC 6749 §3.1 treats as absent).
    MissingParameter(&'static str),
    /// A parameter appears more than once (RFC 6749 §3.1).
    DuplicateParameter(&'static str),
    /// A parameter's value is malformed; `reason` says how.
    InvalidParameter {
        name: &'static str,
        reason: &'static str,
    },
    /// The `scope` parameter contains characters RFC 6749 §3.3 does not allow.
    MalformedScope,
    /// The operating system's random source failed, or a value could not be serialised.
    /// The string is for the server's log only; it is never shown to the client.
    ServerError(String),

    // --- authorization endpoint -----------------------------------------------------------
    /// No client with this `client_id` is registered.
    UnknownClient,
    /// `redirect_uri` is not one of the client's registered URIs (exact string comparison).
    RedirectUriNotRegistered,
    /// `response_type` is not `code`.
    UnsupportedResponseType,
    /// `response_mode` is given and is not `query`.
    UnsupportedResponseMode,
    /// `scope` lacks `openid`.
    OpenidScopeMissing,
    /// The client is not registered for this scope.
    ScopeNotAllowed(Scope),
    /// No `code_challenge` (PKCE is required of every client).
    PkceRequired,
    /// `code_challenge_method` is absent (meaning `plain`) or not `S256`.
    UnsupportedCodeChallengeMethod,
    /// `code_challenge` is not 43 base64url characters (a SHA-256).
    InvalidCodeChallenge,
    /// `request` (a request object) was sent; not supported.
    RequestObjectNotSupported,
    /// `request_uri` was sent; not supported.
    RequestUriNotSupported,
    /// `prompt=none`, and the user must sign in (no session, `prompt=login` or `max_age`).
    LoginRequired,
    /// `prompt=none`, and the user is signed in at a lower level than required.
    StepUpRequired { current: Loa, required: Loa },
    /// `prompt=none`, and the user has not consented to this client and these scopes.
    ConsentRequired,
    /// The user declined.
    AccessDenied,

    // --- token endpoint: client authentication --------------------------------------------
    /// Neither HTTP Basic credentials nor a client assertion.
    ClientAuthenticationMissing,
    /// More than one way of client authentication in one request (RFC 6749 §2.3).
    MultipleClientAuthentication,
    /// The `Authorization: Basic` header cannot be decoded (base64, UTF-8, `id:secret`,
    /// form-urlencoding).
    MalformedBasicCredentials,
    /// A method this provider does not offer (`client_secret_post`, `client_secret_jwt`).
    UnsupportedClientAuthMethod,
    /// The client is registered for another authentication method.
    ClientAuthMethodNotAllowed,
    /// The client secret is wrong.
    InvalidClientSecret,
    /// The `private_key_jwt` assertion was refused.
    InvalidClientAssertion(AssertionError),
    /// A `client_id` parameter names another client than the one authenticated.
    ClientIdMismatch,

    // --- token endpoint: grants -----------------------------------------------------------
    /// `grant_type` is neither `authorization_code` nor `refresh_token`.
    UnsupportedGrantType,
    /// The client is not registered for this grant type.
    GrantTypeNotAllowed,
    /// No such code (never issued, or already purged).
    CodeUnknown,
    /// The code is older than its 60-second lifetime.
    CodeExpired,
    /// The code was already redeemed (the tokens issued with it should be revoked).
    CodeAlreadyUsed,
    /// The code was issued to another client.
    CodeIssuedToAnotherClient,
    /// `redirect_uri` differs from the authorization request's.
    RedirectUriMismatch,
    /// The `code_verifier` does not hash to the `code_challenge`.
    PkceMismatch,
    /// `code_verifier` is not 43-128 unreserved characters (RFC 7636 §4.1).
    InvalidCodeVerifier,
    /// No such refresh token.
    RefreshTokenUnknown,
    /// The refresh token (or its family) has expired.
    RefreshTokenExpired,
    /// The refresh token was already used: its whole family has been revoked.
    RefreshTokenReused,
    /// The refresh token's family was revoked earlier.
    RefreshTokenRevoked,
    /// The refresh token was issued to another client.
    RefreshTokenIssuedToAnotherClient,
    /// A refresh asked for scopes beyond those originally granted.
    ScopeExceedsGrant,

    // --- UserInfo endpoint (RFC 6750) -----------------------------------------------------
    /// The bearer access token is unknown, expired, revoked or lacks the `openid` scope.
    InvalidAccessToken,
}

impl OidcError {
    /// The OAuth 2.0 / OpenID Connect `error` code.
    pub fn code(&self) -> ErrorCode {
        use ErrorCode as C;
        use OidcError as E;
        match self {
            E::MissingParameter(_)
            | E::DuplicateParameter(_)
            | E::InvalidParameter { .. }
            | E::RedirectUriNotRegistered
            | E::UnsupportedResponseMode
            | E::PkceRequired
            | E::UnsupportedCodeChallengeMethod
            | E::InvalidCodeChallenge
            | E::MultipleClientAuthentication
            | E::ClientIdMismatch
            | E::InvalidCodeVerifier => C::InvalidRequest,
            E::MalformedScope | E::OpenidScopeMissing | E::ScopeNotAllowed(_) => C::InvalidScope,
            E::ServerError(_) => C::ServerError,
            E::UnknownClient
            | E::ClientAuthenticationMissing
            | E::MalformedBasicCredentials
            | E::UnsupportedClientAuthMethod
            | E::ClientAuthMethodNotAllowed
            | E::InvalidClientSecret
            | E::InvalidClientAssertion(_) => C::InvalidClient,
            E::UnsupportedResponseType => C::UnsupportedResponseType,
            E::RequestObjectNotSupported => C::RequestNotSupported,
            E::RequestUriNotSupported => C::RequestUriNotSupported,
            E::LoginRequired => C::LoginRequired,
            E::StepUpRequired { .. } => C::InteractionRequired,
            E::ConsentRequired => C::ConsentRequired,
            E::AccessDenied => C::AccessDenied,
            E::UnsupportedGrantType => C::UnsupportedGrantType,
            E::GrantTypeNotAllowed => C::UnauthorizedClient,
            E::CodeUnknown
            | E::CodeExpired
            | E::CodeAlreadyUsed
            | E::CodeIssuedToAnotherClient
            | E::RedirectUriMismatch
            | E::PkceMismatch
            | E::RefreshTokenUnknown
            | E::RefreshTokenExpired
            | E::RefreshTokenReused
            | E::RefreshTokenRevoked
            | E::RefreshTokenIssuedToAnotherClient => C::InvalidGrant,
            E::ScopeExceedsGrant => C::InvalidScope,
            E::InvalidAccessToken => C::InvalidToken,
        }
    }

    /// The `error_description`: one English line in RFC 6749 §5.2's character set.
    pub fn description(&self) -> String {
        use OidcError as E;
        match self {
            E::MissingParameter(name) => format!("the {name} parameter is required"),
            E::DuplicateParameter(name) => format!("the {name} parameter appears more than once"),
            E::InvalidParameter { name, reason } => format!("the {name} parameter {reason}"),
            E::MalformedScope => "the scope parameter contains characters RFC 6749 does not allow".into(),
            E::ServerError(_) => "the server could not complete the request".into(),
            E::UnknownClient => "unknown client_id".into(),
            E::RedirectUriNotRegistered => {
                "redirect_uri is not one of the URIs registered for this client".into()
            }
            E::UnsupportedResponseType => "only response_type=code is supported".into(),
            E::UnsupportedResponseMode => "only response_mode=query is supported".into(),
            E::OpenidScopeMissing => "the scope must include openid".into(),
            E::ScopeNotAllowed(s) => format!("this client is not registered for the {s} scope"),
            E::PkceRequired => "PKCE is required: send code_challenge and code_challenge_method=S256".into(),
            E::UnsupportedCodeChallengeMethod => "code_challenge_method must be S256".into(),
            E::InvalidCodeChallenge => {
                "code_challenge must be the base64url SHA-256 of the verifier (43 characters)".into()
            }
            E::RequestObjectNotSupported => "the request parameter is not supported".into(),
            E::RequestUriNotSupported => "the request_uri parameter is not supported".into(),
            E::LoginRequired => "the user must sign in".into(),
            E::StepUpRequired { current, required } => format!(
                "the user is signed in at {current} and must authenticate again at {required}"
            ),
            E::ConsentRequired => "the user has not consented to this client and scope".into(),
            E::AccessDenied => "the user declined the request".into(),
            E::ClientAuthenticationMissing => {
                "client authentication is required (client_secret_basic or private_key_jwt)".into()
            }
            E::MultipleClientAuthentication => {
                "use exactly one client authentication method per request".into()
            }
            E::MalformedBasicCredentials => "the Basic authorization header is malformed".into(),
            E::UnsupportedClientAuthMethod => {
                "supported client authentication methods are client_secret_basic and private_key_jwt"
                    .into()
            }
            E::ClientAuthMethodNotAllowed => {
                "this client is registered for another authentication method".into()
            }
            E::InvalidClientSecret => "client authentication failed".into(),
            E::InvalidClientAssertion(a) => a.description().into(),
            E::ClientIdMismatch => "client_id does not match the authenticated client".into(),
            E::UnsupportedGrantType => {
                "grant_type must be authorization_code or refresh_token".into()
            }
            E::GrantTypeNotAllowed => "this client is not registered for this grant type".into(),
            E::CodeUnknown => "the authorization code is invalid".into(),
            E::CodeExpired => "the authorization code has expired".into(),
            E::CodeAlreadyUsed => "the authorization code was already used".into(),
            E::CodeIssuedToAnotherClient => {
                "the authorization code was issued to another client".into()
            }
            E::RedirectUriMismatch => {
                "redirect_uri differs from the one in the authorization request".into()
            }
            E::PkceMismatch => "code_verifier does not match the code_challenge".into(),
            E::InvalidCodeVerifier => {
                "code_verifier must be 43 to 128 characters from A-Z a-z 0-9 - . _ ~".into()
            }
            E::RefreshTokenUnknown => "the refresh token is invalid".into(),
            E::RefreshTokenExpired => "the refresh token has expired".into(),
            E::RefreshTokenReused => {
                "the refresh token was already used; all tokens of this grant are revoked".into()
            }
            E::RefreshTokenRevoked => "the refresh token has been revoked".into(),
            E::RefreshTokenIssuedToAnotherClient => {
                "the refresh token was issued to another client".into()
            }
            E::ScopeExceedsGrant => "the requested scope exceeds the scope originally granted".into(),
            E::InvalidAccessToken => "the access token is invalid, expired or revoked".into(),
        }
    }

    /// The HTTP status for a token-endpoint answer (RFC 6749 §5.2): 401 for `invalid_client`
    /// (with `WWW-Authenticate: Basic` when the client tried Basic) and for `invalid_token`
    /// (RFC 6750 §3.1, with `WWW-Authenticate: Bearer error="invalid_token"`), 500 for
    /// `server_error`, 400 otherwise.
    pub fn http_status(&self) -> u16 {
        match self.code() {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => 401,
            ErrorCode::ServerError => 500,
            _ => 400,
        }
    }

    /// The JSON body of an error answer.
    pub fn response(&self) -> ErrorResponse {
        ErrorResponse {
            error: self.code().as_str(),
            error_description: self.description(),
        }
    }
}

impl std::fmt::Display for OidcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code().as_str(), self.description())?;
        if let OidcError::ServerError(detail) = self {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl std::error::Error for OidcError {}

impl From<crate::IdentityError> for OidcError {
    fn from(e: crate::IdentityError) -> Self {
        OidcError::ServerError(e.to_string())
    }
}

/// The JSON error body of the token and UserInfo endpoints (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorResponse {
    pub error: &'static str,
    pub error_description: String,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn every_variant() -> Vec<OidcError> {
        use OidcError as E;
        let mut all = vec![
            E::MissingParameter("client_id"),
            E::DuplicateParameter("state"),
            E::InvalidParameter {
                name: "max_age",
                reason: "must be a non-negative integer",
            },
            E::MalformedScope,
            E::ServerError("getrandom: \"boom\" \\".into()),
            E::UnknownClient,
            E::RedirectUriNotRegistered,
            E::UnsupportedResponseType,
            E::UnsupportedResponseMode,
            E::OpenidScopeMissing,
            E::ScopeNotAllowed(Scope::PersonalId),
            E::PkceRequired,
            E::UnsupportedCodeChallengeMethod,
            E::InvalidCodeChallenge,
            E::RequestObjectNotSupported,
            E::RequestUriNotSupported,
            E::LoginRequired,
            E::StepUpRequired {
                current: Loa::Level1,
                required: Loa::Level2,
            },
            E::ConsentRequired,
            E::AccessDenied,
            E::ClientAuthenticationMissing,
            E::MultipleClientAuthentication,
            E::MalformedBasicCredentials,
            E::UnsupportedClientAuthMethod,
            E::ClientAuthMethodNotAllowed,
            E::InvalidClientSecret,
            E::ClientIdMismatch,
            E::UnsupportedGrantType,
            E::GrantTypeNotAllowed,
            E::CodeUnknown,
            E::CodeExpired,
            E::CodeAlreadyUsed,
            E::CodeIssuedToAnotherClient,
            E::RedirectUriMismatch,
            E::PkceMismatch,
            E::InvalidCodeVerifier,
            E::RefreshTokenUnknown,
            E::RefreshTokenExpired,
            E::RefreshTokenReused,
            E::RefreshTokenRevoked,
            E::RefreshTokenIssuedToAnotherClient,
            E::ScopeExceedsGrant,
            E::InvalidAccessToken,
        ];
        for a in [
            AssertionError::WrongAssertionType,
            AssertionError::Malformed,
            AssertionError::UnsupportedAlgorithm,
            AssertionError::NoMatchingKey,
            AssertionError::BadSignature,
            AssertionError::WrongIssuerOrSubject,
            AssertionError::WrongAudience,
            AssertionError::MissingExpiry,
            AssertionError::Expired,
            AssertionError::NotYetValid,
            AssertionError::LifetimeTooLong,
            AssertionError::MissingJti,
            AssertionError::Replayed,
        ] {
            all.push(E::InvalidClientAssertion(a));
        }
        all
    }

    #[test]
    fn descriptions_use_only_rfc6749_characters_and_hide_server_detail() {
        for e in every_variant() {
            let d = e.description();
            assert!(!d.is_empty(), "{e:?}");
            assert!(
                d.bytes().all(|b| b == 0x20
                    || b == 0x21
                    || (0x23..=0x5b).contains(&b)
                    || (0x5d..=0x7e).contains(&b)),
                "{e:?}: {d}"
            );
            assert!(!d.contains("boom"));
        }
    }

    #[test]
    fn codes_and_statuses() {
        assert_eq!(OidcError::PkceMismatch.code().as_str(), "invalid_grant");
        assert_eq!(OidcError::InvalidClientSecret.http_status(), 401);
        assert_eq!(OidcError::ServerError(String::new()).http_status(), 500);
        assert_eq!(OidcError::CodeExpired.http_status(), 400);
        assert_eq!(
            OidcError::StepUpRequired {
                current: Loa::Level1,
                required: Loa::Level2
            }
            .code()
            .as_str(),
            "interaction_required"
        );
        let body = serde_json::to_value(OidcError::CodeAlreadyUsed.response()).unwrap();
        assert_eq!(body["error"], "invalid_grant");
        assert_eq!(
            body["error_description"],
            "the authorization code was already used"
        );
        // Every code the brief lists is reachable.
        let codes: std::collections::HashSet<&str> =
            every_variant().iter().map(|e| e.code().as_str()).collect();
        for c in [
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_response_type",
            "invalid_scope",
            "login_required",
            "interaction_required",
        ] {
            assert!(codes.contains(c), "{c}");
        }
    }
}
