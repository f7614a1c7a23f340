//! The citizen portal signs in through the OpenID provider, like any other relying party.
//!
//! - `GET /cong-dan/vao?next=PATH` starts the authorization code flow with PKCE (S256) for the
//!   built-in client [`PORTAL_CLIENT_ID`]: `state`, `nonce` and the code verifier go in a
//!   short-lived cookie of this flow ([`FLOW_COOKIE`]), the browser to `/oidc/authorize`.
//! - The provider signs the citizen in (its own session, `xaso_citizen`) and sends the browser
//!   back to `GET /cong-dan/vao/xong` with a code. The portal checks `state` and `iss`
//!   (RFC 9207), redeems the code at the token endpoint with its client secret
//!   (`client_secret_basic`) and the verifier — the same handler the HTTP route runs — and
//!   validates the ID token: signature against the provider's keys, `iss`, `aud`, `nonce`,
//!   expiry, and the `personal_id` claim. Only then does it open its own session: the
//!   [`PORTAL_COOKIE`], sealed with the server's key and bound to the provider session it came
//!   from, so ending that session (signing out, "end this session", recovery) ends the
//!   portal's too.
//!
//! The built-in client is registered on first use (visible in the client registry, where an
//! administrator can disable it). Its redirect URI is this server's own callback under the
//! request's issuer, and its secret is derived from the server's key, so nothing secret is
//! stored beside the registration's hash. The portal is first-party: the provider asks no
//! consent for it.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::Deserialize;
use time::OffsetDateTime;
use xaso_identity::oidc::client::{Client, ClientAuth};
use xaso_identity::oidc::client_auth::hash_client_secret;
use xaso_identity::oidc::code::s256_challenge;
use xaso_identity::oidc::discovery::{paths, Issuer};
use xaso_identity::oidc::tokens::IdTokenClaims;
use xaso_identity::oidc::{form_urlencode, Loa, Scope, ScopeSet};
use xaso_store::{OidcClientRecord, Store, StoreError};

use super::session::{self, local_next, Citizen};
use super::{random_hex, Fail};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::oidc::clients::RegisteredClient;
use crate::pages::{cookie, lang_of, url_encode};
use crate::AppState;

/// The portal's client id at its own provider.
pub const PORTAL_CLIENT_ID: &str = "xaso-cong-dan";
pub const START_PATH: &str = "/cong-dan/vao";
pub const CALLBACK_PATH: &str = "/cong-dan/vao/xong";
/// The portal's session: `SID.EXP.MAC` — the provider session's key, the expiry (Unix
/// seconds) and an HMAC of both under the server's key.
pub const PORTAL_COOKIE: &str = "xaso_portal";
/// The flow in progress: `STATE.NONCE.VERIFIER.NEXT` (next in base64url).
const FLOW_COOKIE: &str = "xaso_portal_flow";
/// How long a flow may take (the citizen may have to sign in on the way).
const FLOW_SECONDS: i64 = 30 * 60;
/// What the portal asks for: who the citizen is, by personal ID.
const SCOPE: &str = "openid profile personal_id";

fn redirect_uri(issuer: &Issuer) -> String {
    format!("{issuer}{CALLBACK_PATH}")
}

/// The built-in client as the provider must see it for this issuer: its redirect URI follows
/// the host the server is reached by.
pub fn for_issuer(mut client: RegisteredClient, issuer: &Issuer) -> RegisteredClient {
    client.client.redirect_uris = vec![redirect_uri(issuer)];
    client
}

/// Registers the built-in client if it is missing. `Err` when an administrator disabled it.
fn ensure_registered(store: &dyn Store, secret: &str, issuer: &Issuer) -> Result<(), ApiError> {
    if let Some(record) = store.get_oidc_client(PORTAL_CLIENT_ID)? {
        return if record.disabled {
            Err(ApiError::Conflict(
                "the portal's sign-in client is disabled in the client registry".into(),
            ))
        } else {
            Ok(())
        };
    }
    let client = RegisteredClient {
        client: Client {
            client_id: PORTAL_CLIENT_ID.into(),
            name: "Cổng công dân Xã số".into(),
            redirect_uris: vec![redirect_uri(issuer)],
            auth: ClientAuth::ClientSecretBasic {
                secret_hash: hash_client_secret(secret),
            },
            allowed_scopes: ScopeSet::new(vec![Scope::Openid, Scope::Profile, Scope::PersonalId]),
            refresh_tokens: false,
            minimum_level: Loa::Level1,
            sector_identifier: PORTAL_CLIENT_ID.into(),
        },
        post_logout_redirect_uris: Vec::new(),
    };
    client
        .client
        .validate()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let data = serde_json::to_string(&client).map_err(|e| ApiError::Internal(e.to_string()))?;
    match store.insert_oidc_client(&OidcClientRecord {
        client_id: PORTAL_CLIENT_ID.into(),
        name: client.client.name.clone(),
        data,
        disabled: false,
        created_at: xaso_store::now_rfc3339(),
        created_by: "xaso".into(),
    }) {
        // Another request registered it first.
        Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

// The portal's cookies are `SameSite=Lax` like the provider's session ([`session::lax_cookie`]):
// the flow may start with a link from another site, and a `Strict` cookie set during such a
// navigation is not sent back on its redirects.

fn flow_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    session::lax_cookie(state, FLOW_COOKIE, value, Some(max_age))
}

#[derive(Debug, Default, Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// `GET /cong-dan/vao`: to the provider's authorization endpoint.
pub(crate) async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StartQuery>,
) -> Result<Response, Fail> {
    let lang = lang_of(&headers);
    let issuer =
        crate::oidc::issuer(&state, &headers).map_err(|e| Fail::api(lang, oidc_error(e)))?;
    let secret = state.web.portal_client_secret();
    let for_store = issuer.clone();
    crate::api::blocking(&state, move |s| {
        ensure_registered(s, &secret, &for_store).map_err(api_to_store)
    })
    .await
    .map_err(|e| Fail::api(lang, e))?;
    let flow_state = random_hex::<16>().map_err(|e| Fail::api(lang, e))?;
    let nonce = random_hex::<16>().map_err(|e| Fail::api(lang, e))?;
    let verifier = random_hex::<32>().map_err(|e| Fail::api(lang, e))?;
    let next = local_next(q.next.as_deref());
    let value = format!(
        "{flow_state}.{nonce}.{verifier}.{}",
        xaso_identity::base64url_encode(next.as_bytes())
    );
    let to = format!(
        "{}?response_type=code&client_id={PORTAL_CLIENT_ID}&redirect_uri={}&scope={}&state={flow_state}&nonce={nonce}&code_challenge={}&code_challenge_method=S256",
        paths::AUTHORIZE,
        form_urlencode(&redirect_uri(&issuer)),
        form_urlencode(SCOPE),
        s256_challenge(&verifier),
    );
    Ok((
        [(
            header::SET_COOKIE,
            flow_cookie(&state, &value, FLOW_SECONDS),
        )],
        Redirect::to(&to),
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

struct Flow {
    state: String,
    nonce: String,
    verifier: String,
    next: String,
}

fn read_flow(headers: &HeaderMap) -> Option<Flow> {
    let mut parts = cookie(headers, FLOW_COOKIE)?.split('.');
    let (s, n, v, next) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let next = xaso_identity::base64url_decode(next).and_then(|b| String::from_utf8(b).ok())?;
    Some(Flow {
        state: s.to_owned(),
        nonce: n.to_owned(),
        verifier: v.to_owned(),
        next: local_next(Some(&next)),
    })
}

/// Why the callback refused, for the log and the page (never the code or the tokens).
fn refuse(lang: Lang, what: &str) -> Fail {
    tracing::warn!("portal sign-in refused: {what}");
    Fail::new(
        lang,
        StatusCode::BAD_REQUEST,
        match lang {
            Lang::Vi => {
                format!("Không đăng nhập được vào cổng công dân ({what}). Hãy thử lại từ đầu.")
            }
            Lang::En => format!("The portal sign-in failed ({what}). Please start again."),
        },
    )
}

/// `GET /cong-dan/vao/xong`: the provider's answer.
pub(crate) async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, Fail> {
    let lang = lang_of(&headers);
    let issuer =
        crate::oidc::issuer(&state, &headers).map_err(|e| Fail::api(lang, oidc_error(e)))?;
    let flow = read_flow(&headers).ok_or_else(|| refuse(lang, "no sign-in in progress"))?;
    if q.state.as_deref() != Some(flow.state.as_str()) {
        return Err(refuse(lang, "state does not match"));
    }
    if let Some(error) = q.error {
        return Err(refuse(lang, &format!("the provider answered {error}")));
    }
    if q.iss.as_deref() != Some(issuer.to_string().as_str()) {
        return Err(refuse(lang, "iss is not this provider"));
    }
    let code = q.code.ok_or_else(|| refuse(lang, "no code"))?;
    let id_token = redeem(&state, &headers, &issuer, &code, &flow.verifier)
        .await
        .map_err(|e| refuse(lang, &e))?;
    let keys = crate::api::blocking(&state, |s| Ok(crate::oidc::keys::load(s)))
        .await
        .map_err(|e| Fail::api(lang, e))?
        .map_err(|e| Fail::api(lang, ApiError::Internal(e)))?;
    let now = OffsetDateTime::now_utc();
    let payload = keys
        .keys
        .verify(&id_token, now)
        .map_err(|e| refuse(lang, &format!("ID token signature: {e}")))?;
    let claims: IdTokenClaims = serde_json::from_slice(&payload)
        .map_err(|e| refuse(lang, &format!("ID token claims: {e}")))?;
    let checks = [
        (claims.iss == issuer.to_string(), "ID token iss"),
        (claims.aud == PORTAL_CLIENT_ID, "ID token aud"),
        (
            claims.nonce.as_deref() == Some(flow.nonce.as_str()),
            "ID token nonce",
        ),
        (claims.exp > now.unix_timestamp(), "ID token expired"),
    ];
    if let Some((_, what)) = checks.iter().find(|(ok, _)| !ok) {
        return Err(refuse(lang, what));
    }
    let personal_id = claims
        .claims
        .personal_id
        .ok_or_else(|| refuse(lang, "ID token without personal_id"))?;
    // The provider's session that issued the code, in this browser.
    let provider = session::current(&state, &headers)
        .await
        .filter(|c| c.personal_id == personal_id)
        .ok_or_else(|| refuse(lang, "the provider session changed during sign-in"))?;
    let expires = now.unix_timestamp() + session::policy().absolute_timeout.whole_seconds();
    let value = seal(&state, &provider.session_hash, expires);
    let mut response = Redirect::to(&flow.next).into_response();
    let cookies = response.headers_mut();
    cookies.append(header::SET_COOKIE, portal_cookie(&state, &value, None));
    cookies.append(header::SET_COOKIE, flow_cookie(&state, "", 0));
    Ok(response)
}

/// The code for tokens at the token endpoint, as a client: Basic authentication with the
/// portal's secret, the PKCE verifier. Returns the ID token.
async fn redeem(
    state: &AppState,
    headers: &HeaderMap,
    issuer: &Issuer,
    code: &str,
    verifier: &str,
) -> Result<String, String> {
    let mut request = HeaderMap::new();
    if let Some(host) = headers.get(header::HOST) {
        request.insert(header::HOST, host.clone());
    }
    let basic = BASE64.encode(
        format!(
            "{PORTAL_CLIENT_ID}:{}",
            form_urlencode(&state.web.portal_client_secret())
        )
        .as_bytes(),
    );
    request.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Basic {basic}")).map_err(|e| e.to_string())?,
    );
    request.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let body = format!(
        "grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={}",
        form_urlencode(code),
        form_urlencode(&redirect_uri(issuer)),
        form_urlencode(verifier)
    );
    let answer = crate::oidc::token::token(State(state.clone()), request, Bytes::from(body)).await;
    let status = answer.status();
    let bytes = axum::body::to_bytes(answer.into_body(), 1 << 20)
        .await
        .map_err(|e| e.to_string())?;
    let json: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("token endpoint answer is not JSON: {e}"))?;
    if status != StatusCode::OK {
        return Err(format!(
            "token endpoint: {}",
            json.get("error")
                .and_then(|v| v.as_str())
                .unwrap_or("error")
        ));
    }
    json.get("id_token")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .ok_or_else(|| "token endpoint gave no ID token".to_owned())
}

fn seal(state: &AppState, session_hash: &str, expires: i64) -> String {
    let mac = state
        .web
        .csrf_for(&format!("portal-session:{session_hash}:{expires}"));
    format!("{session_hash}.{expires}.{mac}")
}

/// The provider session a portal cookie is bound to, if its seal holds and it has not expired.
fn unseal(state: &AppState, value: &str, now: OffsetDateTime) -> Option<String> {
    let mut parts = value.splitn(3, '.');
    let (hash, expires, mac) = (parts.next()?, parts.next()?, parts.next()?);
    let expires: i64 = expires.parse().ok()?;
    (expires > now.unix_timestamp()
        && state
            .web
            .verify_csrf(&format!("portal-session:{hash}:{expires}"), mac))
    .then(|| hash.to_owned())
}

/// The `Set-Cookie` of the portal's session (`max_age` `Some(0)` ends it).
pub fn portal_cookie(state: &AppState, value: &str, max_age: Option<i64>) -> HeaderValue {
    session::lax_cookie(state, PORTAL_COOKIE, value, max_age)
}

/// The citizen signed in to the portal: a sealed portal cookie whose provider session is
/// alive.
pub async fn current(state: &AppState, headers: &HeaderMap) -> Option<Citizen> {
    let value = cookie(headers, PORTAL_COOKIE)?;
    let hash = unseal(state, value, OffsetDateTime::now_utc())?;
    session::by_hash(state, hash, lang_of(headers)).await
}

/// Not signed in to the portal: through the provider, back to `path` afterwards.
pub fn sign_in_url(path: &str) -> String {
    format!("{START_PATH}?next={}", url_encode(path))
}

fn oidc_error(e: xaso_identity::oidc::OidcError) -> ApiError {
    ApiError::Internal(e.to_string())
}

fn api_to_store(e: ApiError) -> StoreError {
    match e {
        ApiError::Conflict(m) => StoreError::Conflict(m),
        other => StoreError::Database(format!("{other:?}")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_flow_cookie_round_trips_and_next_stays_local() {
        let mut headers = HeaderMap::new();
        let next = xaso_identity::base64url_encode(b"//evil.example/");
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{FLOW_COOKIE}=s.n.v.{next}")).unwrap(),
        );
        let flow = read_flow(&headers).unwrap();
        assert_eq!(
            (
                flow.state.as_str(),
                flow.nonce.as_str(),
                flow.verifier.as_str()
            ),
            ("s", "n", "v")
        );
        assert_eq!(flow.next, "/cong-dan");
    }
}
