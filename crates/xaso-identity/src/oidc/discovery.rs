//! The issuer and its discovery document (OpenID Connect Discovery 1.0 §3, served at
//! `{issuer}/.well-known/openid-configuration`).
//!
//! **Subject identifiers are pairwise** (Core §8.1): a relying party sees a `sub` computed from
//! its sector and the account ([`crate::oidc::tokens::pairwise_subject`]), so two services
//! cannot link their users by `sub`. A public identifier would be one value per citizen across
//! every service in the country, a ready-made correlation key; pairwise costs one HMAC per token
//! and nothing to store. A service that needs to know *who* the person is asks for the
//! `personal_id` scope, which is explicit, registered per client and consented to, instead of
//! getting a linkable identifier from every login (the data-minimisation rule of Decree
//! 13/2023 on personal data protection).

use serde::Serialize;

use super::{Loa, Scope};

/// Paths of the provider's endpoints, under the issuer URL.
pub mod paths {
    pub const DISCOVERY: &str = "/.well-known/openid-configuration";
    pub const AUTHORIZE: &str = "/oidc/authorize";
    pub const TOKEN: &str = "/oidc/token";
    pub const USERINFO: &str = "/oidc/userinfo";
    pub const JWKS: &str = "/oidc/jwks";
    pub const END_SESSION: &str = "/oidc/logout";
}

/// Why an issuer URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssuerError(pub &'static str);

impl std::fmt::Display for IssuerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid issuer URL: {}", self.0)
    }
}

impl std::error::Error for IssuerError {}

/// The issuer identifier: an `https` URL with a host, an optional path, and no query, fragment
/// or user information (Core §2, Discovery §3). `http` is accepted only for `localhost`,
/// `127.0.0.1` and `[::1]` (development and tests). A trailing `/` is removed, so that the
/// endpoints are `{issuer}/oidc/...` and `iss` is one exact string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Issuer(String);

impl Issuer {
    pub fn parse(url: &str) -> Result<Issuer, IssuerError> {
        let url = url.trim();
        let rest = if let Some(rest) = url.strip_prefix("https://") {
            rest
        } else if let Some(rest) = url.strip_prefix("http://") {
            let host = rest.split(['/', ':']).next().unwrap_or("");
            let host = if rest.starts_with("[::1]") {
                "[::1]"
            } else {
                host
            };
            if !matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
                return Err(IssuerError(
                    "the scheme must be https (http only for localhost)",
                ));
            }
            rest
        } else {
            return Err(IssuerError("the scheme must be https"));
        };
        if url.contains(['?', '#']) {
            return Err(IssuerError("an issuer has no query or fragment"));
        }
        if url.bytes().any(|b| b <= b' ' || b >= 0x7f || b == b'\\') {
            return Err(IssuerError(
                "spaces, controls and non-ASCII characters are not allowed",
            ));
        }
        let authority = rest.split('/').next().unwrap_or("");
        if authority.is_empty() {
            return Err(IssuerError("the URL has no host"));
        }
        if authority.contains('@') {
            return Err(IssuerError("an issuer has no user information"));
        }
        Ok(Issuer(url.trim_end_matches('/').to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    pub fn discovery_url(&self) -> String {
        self.endpoint(paths::DISCOVERY)
    }
    pub fn authorization_endpoint(&self) -> String {
        self.endpoint(paths::AUTHORIZE)
    }
    pub fn token_endpoint(&self) -> String {
        self.endpoint(paths::TOKEN)
    }
    pub fn userinfo_endpoint(&self) -> String {
        self.endpoint(paths::USERINFO)
    }
    pub fn jwks_uri(&self) -> String {
        self.endpoint(paths::JWKS)
    }
    pub fn end_session_endpoint(&self) -> String {
        self.endpoint(paths::END_SESSION)
    }
}

impl std::fmt::Display for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The claims this provider can put in ID tokens and UserInfo answers.
pub const CLAIMS_SUPPORTED: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "at_hash",
    "name",
    "birthdate",
    "gender",
    "personal_id",
    "address",
    "phone_number",
];

/// The OpenID Provider Metadata (Discovery §3). Serialise it as the discovery document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
    pub end_session_endpoint: String,
    pub scopes_supported: Vec<&'static str>,
    pub response_types_supported: Vec<&'static str>,
    pub response_modes_supported: Vec<&'static str>,
    pub grant_types_supported: Vec<&'static str>,
    pub subject_types_supported: Vec<&'static str>,
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub token_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    pub code_challenge_methods_supported: Vec<&'static str>,
    pub claims_supported: Vec<&'static str>,
    pub claim_types_supported: Vec<&'static str>,
    pub acr_values_supported: Vec<&'static str>,
    pub prompt_values_supported: Vec<&'static str>,
    pub ui_locales_supported: Vec<&'static str>,
    pub claims_parameter_supported: bool,
    pub request_parameter_supported: bool,
    pub request_uri_parameter_supported: bool,
    /// RFC 9207: the authorization response carries `iss` (mix-up attack defence).
    pub authorization_response_iss_parameter_supported: bool,
}

/// The discovery document for `issuer`.
pub fn discovery_document(issuer: &Issuer) -> ProviderMetadata {
    ProviderMetadata {
        issuer: issuer.as_str().to_string(),
        authorization_endpoint: issuer.authorization_endpoint(),
        token_endpoint: issuer.token_endpoint(),
        userinfo_endpoint: issuer.userinfo_endpoint(),
        jwks_uri: issuer.jwks_uri(),
        end_session_endpoint: issuer.end_session_endpoint(),
        scopes_supported: Scope::ALL.iter().map(|s| s.as_str()).collect(),
        response_types_supported: vec!["code"],
        response_modes_supported: vec!["query"],
        grant_types_supported: vec!["authorization_code", "refresh_token"],
        subject_types_supported: vec!["pairwise"],
        id_token_signing_alg_values_supported: vec!["ES256"],
        token_endpoint_auth_methods_supported: vec!["client_secret_basic", "private_key_jwt"],
        token_endpoint_auth_signing_alg_values_supported: vec!["ES256", "RS256"],
        code_challenge_methods_supported: vec!["S256"],
        claims_supported: CLAIMS_SUPPORTED.to_vec(),
        claim_types_supported: vec!["normal"],
        acr_values_supported: Loa::ALL.iter().map(|l| l.as_uri()).collect(),
        prompt_values_supported: vec!["none", "login", "consent"],
        ui_locales_supported: vec!["vi", "en"],
        claims_parameter_supported: false,
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
        authorization_response_iss_parameter_supported: true,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn issuer_rules() {
        let i = Issuer::parse("https://id.xaso.example.vn/").unwrap();
        assert_eq!(i.as_str(), "https://id.xaso.example.vn");
        assert_eq!(i.token_endpoint(), "https://id.xaso.example.vn/oidc/token");
        assert_eq!(
            Issuer::parse("https://example.vn/thang-loi")
                .unwrap()
                .jwks_uri(),
            "https://example.vn/thang-loi/oidc/jwks"
        );
        assert!(Issuer::parse("http://localhost:8080").is_ok());
        assert!(Issuer::parse("http://127.0.0.1").is_ok());
        assert!(Issuer::parse("http://[::1]:3000").is_ok());
        for bad in [
            "http://example.vn",
            "http://localhost.example.vn",
            "ftp://example.vn",
            "https://",
            "https:///path",
            "https://example.vn?x=1",
            "https://example.vn#f",
            "https://user@example.vn",
            "https://exa mple.vn",
            "example.vn",
        ] {
            assert!(Issuer::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_discovery_document() {
        let issuer = Issuer::parse("https://id.xaso.example.vn").unwrap();
        let doc = serde_json::to_value(discovery_document(&issuer)).unwrap();
        assert_eq!(doc["issuer"], "https://id.xaso.example.vn");
        assert_eq!(
            doc["authorization_endpoint"],
            "https://id.xaso.example.vn/oidc/authorize"
        );
        assert_eq!(
            doc["end_session_endpoint"],
            "https://id.xaso.example.vn/oidc/logout"
        );
        assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
        assert_eq!(
            doc["grant_types_supported"],
            serde_json::json!(["authorization_code", "refresh_token"])
        );
        assert_eq!(
            doc["subject_types_supported"],
            serde_json::json!(["pairwise"])
        );
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            serde_json::json!(["ES256"])
        );
        assert_eq!(
            doc["token_endpoint_auth_methods_supported"],
            serde_json::json!(["client_secret_basic", "private_key_jwt"])
        );
        assert_eq!(
            doc["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(
            doc["scopes_supported"],
            serde_json::json!(["openid", "profile", "personal_id", "address", "phone"])
        );
        assert_eq!(
            doc["acr_values_supported"],
            serde_json::json!(["urn:xaso:loa:1", "urn:xaso:loa:2"])
        );
        // Every claim a scope releases is listed.
        let claims: Vec<&str> = doc["claims_supported"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        for s in Scope::ALL {
            for c in s.claims() {
                assert!(claims.contains(c), "{c}");
            }
        }
    }
}
