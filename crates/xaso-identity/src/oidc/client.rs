//! A registered relying party (client). Registration is by the administrators, not dynamic:
//! every client is confidential (it authenticates at the token endpoint), uses the
//! authorization code flow with PKCE, and is limited to the scopes it was registered for.

use serde::{Deserialize, Serialize};

use super::jws::Jwks;
use super::{Loa, Scope, ScopeSet};

/// How a client authenticates at the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ClientAuth {
    /// HTTP Basic with a secret this provider generated
    /// ([`crate::oidc::client_auth::new_client_secret`]); only its SHA-256 (hex) is stored.
    ClientSecretBasic { secret_hash: String },
    /// A JWT signed with one of these keys (ES256 or RS256), RFC 7523.
    PrivateKeyJwt { jwks: Jwks },
}

impl ClientAuth {
    pub fn method_name(&self) -> &'static str {
        match self {
            ClientAuth::ClientSecretBasic { .. } => "client_secret_basic",
            ClientAuth::PrivateKeyJwt { .. } => "private_key_jwt",
        }
    }
}

/// The grant types of the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
}

impl GrantType {
    /// Reads `grant_type`; anything else is `unsupported_grant_type`.
    pub fn parse(s: &str) -> Result<GrantType, super::OidcError> {
        match s {
            "authorization_code" => Ok(GrantType::AuthorizationCode),
            "refresh_token" => Ok(GrantType::RefreshToken),
            "" => Err(super::OidcError::MissingParameter("grant_type")),
            _ => Err(super::OidcError::UnsupportedGrantType),
        }
    }
}

/// A registered client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// 1 to 64 characters from `A-Z a-z 0-9 . _ -`.
    pub client_id: String,
    /// The service's name, shown to the citizen on the consent page.
    pub name: String,
    /// Exact redirect URIs; the authorization request must repeat one of them character for
    /// character (Core §3.1.2.1).
    pub redirect_uris: Vec<String>,
    pub auth: ClientAuth,
    /// The scopes the client may ask for (always including `openid`).
    pub allowed_scopes: ScopeSet,
    /// Whether the client gets refresh tokens (and may use the `refresh_token` grant).
    pub refresh_tokens: bool,
    /// The lowest level of assurance accepted for this client, whatever it asks for: a
    /// service handling sensitive data is registered at [`Loa::Level2`].
    pub minimum_level: Loa,
    /// The sector of the pairwise `sub` (Core §8.1): by default the host of the redirect URIs
    /// ([`sector_identifier_for`]); clients of one organisation may share a sector so that
    /// they see the same `sub`.
    pub sector_identifier: String,
}

/// Why a client registration was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientError(pub &'static str);

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid client registration: {}", self.0)
    }
}

impl std::error::Error for ClientError {}

/// At most this many keys in a client's JWKS (each may be tried when an assertion has no kid).
pub const MAX_CLIENT_KEYS: usize = 8;

impl Client {
    /// Checks a registration before it is stored.
    pub fn validate(&self) -> Result<(), ClientError> {
        if !valid_client_id(&self.client_id) {
            return Err(ClientError(
                "client_id must be 1 to 64 characters from A-Z a-z 0-9 . _ -",
            ));
        }
        if self.name.trim().is_empty() {
            return Err(ClientError(
                "the client needs a name to show on the consent page",
            ));
        }
        if self.redirect_uris.is_empty() {
            return Err(ClientError("at least one redirect URI is required"));
        }
        for uri in &self.redirect_uris {
            check_redirect_uri(uri)?;
        }
        if !self.allowed_scopes.contains(Scope::Openid) {
            return Err(ClientError("the allowed scopes must include openid"));
        }
        if self.sector_identifier.trim().is_empty() {
            return Err(ClientError("the sector identifier must not be empty"));
        }
        match &self.auth {
            ClientAuth::ClientSecretBasic { secret_hash } => {
                if secret_hash.len() != 64
                    || !secret_hash
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                {
                    return Err(ClientError(
                        "the secret hash must be 64 lowercase hex digits (SHA-256)",
                    ));
                }
            }
            ClientAuth::PrivateKeyJwt { jwks } => {
                if jwks.keys.is_empty() || jwks.keys.len() > MAX_CLIENT_KEYS {
                    return Err(ClientError(
                        "a private_key_jwt client registers 1 to 8 keys",
                    ));
                }
                for key in &jwks.keys {
                    key.check_usable().map_err(|_| {
                        ClientError(
                            "every key must be a public EC P-256 or RSA 2048-4096 signing key",
                        )
                    })?;
                }
                let mut kids: Vec<&str> =
                    jwks.keys.iter().filter_map(|k| k.kid.as_deref()).collect();
                let n = kids.len();
                kids.sort_unstable();
                kids.dedup();
                if kids.len() != n {
                    return Err(ClientError("key ids (kid) must be unique"));
                }
            }
        }
        Ok(())
    }

    /// Exact, case-sensitive comparison with the registered URIs.
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r == uri)
    }

    pub fn allows_grant(&self, grant: GrantType) -> bool {
        match grant {
            GrantType::AuthorizationCode => true,
            GrantType::RefreshToken => self.refresh_tokens,
        }
    }
}

fn valid_client_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A redirect URI that may be registered: absolute, without fragment or wildcard, and
/// `https`, or `http` on a loopback address (RFC 8252 §7.3), or a private-use scheme in
/// reverse-domain form such as `vn.gov.app:/callback` (RFC 8252 §7.1).
pub fn check_redirect_uri(uri: &str) -> Result<(), ClientError> {
    if uri.contains('#') {
        return Err(ClientError("a redirect URI has no fragment"));
    }
    if uri.contains('*') {
        return Err(ClientError("a redirect URI has no wildcard"));
    }
    if uri.bytes().any(|b| b <= b' ' || b >= 0x7f) {
        return Err(ClientError(
            "a redirect URI has no spaces, controls or non-ASCII characters",
        ));
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err(ClientError("a redirect URI must be absolute"));
    };
    match scheme {
        "https" => {
            if host_of(rest).is_none_or(str::is_empty) {
                return Err(ClientError("an https redirect URI needs a host"));
            }
        }
        "http" => {
            let host = host_of(rest).unwrap_or("");
            if !matches!(host, "127.0.0.1" | "[::1]" | "localhost") {
                return Err(ClientError(
                    "http redirect URIs are only for loopback addresses",
                ));
            }
        }
        s if s.contains('.')
            && s.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+')
            })
            && s.as_bytes().first().is_some_and(u8::is_ascii_lowercase) => {}
        _ => {
            return Err(ClientError(
                "the scheme must be https, loopback http, or a reverse-domain private-use scheme",
            ))
        }
    }
    Ok(())
}

/// The host of `//host[:port]/...` (the part after the scheme's colon), lowercase.
fn host_of(after_scheme: &str) -> Option<&str> {
    let authority = after_scheme.strip_prefix("//")?.split(['/', '?']).next()?;
    if authority.contains('@') {
        return None;
    }
    if authority.starts_with('[') {
        return authority.find(']').map(|i| &authority[..=i]);
    }
    authority.split(':').next()
}

/// The default sector identifier (Core §8.1): the host shared by all the redirect URIs. Clients
/// whose URIs have different hosts must be given a sector explicitly.
pub fn sector_identifier_for(redirect_uris: &[String]) -> Result<String, ClientError> {
    let mut hosts = redirect_uris.iter().map(|u| {
        u.split_once(':')
            .and_then(|(scheme, rest)| host_of(rest).or(Some(scheme)))
            .map(str::to_ascii_lowercase)
    });
    let first = hosts
        .next()
        .flatten()
        .ok_or(ClientError("at least one redirect URI is required"))?;
    for h in hosts {
        if h.as_deref() != Some(first.as_str()) {
            return Err(ClientError(
                "the redirect URIs have different hosts: register a sector identifier",
            ));
        }
    }
    Ok(first)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use crate::oidc::client_auth::hash_client_secret;

    pub(crate) fn sample_client() -> Client {
        Client {
            client_id: "dichvucong-thanhhoa".into(),
            name: "Cổng dịch vụ công Thanh Hóa".into(),
            redirect_uris: vec![
                "https://dvc.thanhhoa.example.vn/oidc/callback".into(),
                "https://dvc.thanhhoa.example.vn/oidc/callback?lang=en".into(),
            ],
            auth: ClientAuth::ClientSecretBasic {
                secret_hash: hash_client_secret("xaso_cs_test-secret"),
            },
            allowed_scopes: ScopeSet::new([
                Scope::Openid,
                Scope::Profile,
                Scope::PersonalId,
                Scope::Address,
            ]),
            refresh_tokens: true,
            minimum_level: Loa::Level1,
            sector_identifier: "dvc.thanhhoa.example.vn".into(),
        }
    }

    #[test]
    fn a_good_registration_passes_and_serialises() {
        let c = sample_client();
        c.validate().unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains(r#""method":"client_secret_basic""#));
        let back: Client = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        assert!(c.has_redirect_uri("https://dvc.thanhhoa.example.vn/oidc/callback"));
        assert!(!c.has_redirect_uri("https://dvc.thanhhoa.example.vn/oidc/callback/"));
        assert!(!c.has_redirect_uri("HTTPS://dvc.thanhhoa.example.vn/oidc/callback"));
        assert_eq!(
            sector_identifier_for(&c.redirect_uris).unwrap(),
            "dvc.thanhhoa.example.vn"
        );
    }

    #[test]
    fn bad_registrations_are_refused() {
        let with = |f: &dyn Fn(&mut Client)| {
            let mut c = sample_client();
            f(&mut c);
            c.validate()
        };
        assert!(with(&|c| c.client_id = String::new()).is_err());
        assert!(with(&|c| c.client_id = "a b".into()).is_err());
        assert!(with(&|c| c.client_id = "x".repeat(65)).is_err());
        assert!(with(&|c| c.redirect_uris.clear()).is_err());
        assert!(with(&|c| c.allowed_scopes = ScopeSet::new([Scope::Profile])).is_err());
        assert!(with(&|c| c.auth = ClientAuth::ClientSecretBasic {
            secret_hash: "plain".into()
        })
        .is_err());
        assert!(with(&|c| c.auth = ClientAuth::PrivateKeyJwt {
            jwks: Jwks::default()
        })
        .is_err());
        assert!(with(&|c| c.sector_identifier = " ".into()).is_err());
    }

    #[test]
    fn redirect_uri_rules() {
        for ok in [
            "https://rp.example.vn/cb",
            "https://rp.example.vn:8443/cb?x=1",
            "http://127.0.0.1:5000/cb",
            "http://[::1]/cb",
            "http://localhost/cb",
            "vn.gov.dichvucong:/oauth2redirect",
        ] {
            assert!(check_redirect_uri(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://rp.example.vn/cb#frag",
            "https://*.example.vn/cb",
            "http://rp.example.vn/cb",
            "http://127.0.0.1.evil.example/cb",
            "https:///cb",
            "https://user@rp.example.vn/cb",
            "javascript:alert(1)",
            "data:text/html,x",
            "/relative/cb",
            "https://rp.example.vn/c b",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
        assert!(sector_identifier_for(&[
            "https://a.example.vn/cb".into(),
            "https://b.example.vn/cb".into()
        ])
        .is_err());
    }

    #[test]
    fn grant_types() {
        assert_eq!(
            GrantType::parse("refresh_token").unwrap(),
            GrantType::RefreshToken
        );
        assert_eq!(
            GrantType::parse("password"),
            Err(crate::oidc::OidcError::UnsupportedGrantType)
        );
        let mut c = sample_client();
        c.refresh_tokens = false;
        assert!(!c.allows_grant(GrantType::RefreshToken));
        assert!(c.allows_grant(GrantType::AuthorizationCode));
    }
}
