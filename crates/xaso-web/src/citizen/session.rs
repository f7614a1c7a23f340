//! The signed-in citizen, from the `xaso_citizen` cookie; starting and ending such sessions.
//!
//! The cookie is `HttpOnly`, `SameSite=Lax` and `Secure` (unless the server runs on plain
//! HTTP), and carries only a random secret whose SHA-256 is the session's key in the store.
//!
//! Why `Lax` and not `Strict` like the officers' cookie: the OpenID provider's authorization
//! endpoint is reached by a top-level redirect *from another site* (the relying party sends
//! the browser to us). A `Strict` cookie is not sent on such a cross-site navigation, so a
//! citizen already signed in would look signed out to the provider and be asked for the
//! password at every service. `Lax` sends the cookie on top-level GET navigations only —
//! never on cross-site POSTs, sub-resources or frames — and every state-changing request
//! here is a POST that also needs the session's CSRF token, so `Lax` gives nothing away.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use time::OffsetDateTime;
use xaso_identity::session::SessionPolicy;
use xaso_store::CitizenSessionRecord;

use crate::error::ApiError;
use crate::pages::{cookie, lang_of, parse_time};
use crate::AppState;

pub const CITIZEN_COOKIE: &str = "xaso_citizen";

/// Where a citizen signs in; `next` (a path on this server) is where they go afterwards.
pub const LOGIN_PATH: &str = "/cong-dan/dang-nhap";

/// How long a citizen's session lasts: 30 idle minutes, 8 hours at most.
pub fn policy() -> SessionPolicy {
    SessionPolicy::default()
}

/// A signed-in citizen.
#[derive(Debug, Clone)]
pub struct Citizen {
    pub personal_id: String,
    /// The account's level at sign-in (1 or 2).
    pub level: i32,
    /// How they signed in: "pwd", "otp", "totp"… (`amr` of OpenID Connect).
    pub methods: Vec<String>,
    /// When they signed in (`auth_time`).
    pub auth_time: OffsetDateTime,
    /// SHA-256 of the cookie's secret: the session's key in the store.
    pub session_hash: String,
    pub lang: crate::i18n::Lang,
}

/// The citizen the request's cookie names, if the session is alive (its last-seen time is
/// refreshed at most once a minute). A store error counts as not signed in.
pub async fn current(state: &AppState, headers: &HeaderMap) -> Option<Citizen> {
    let secret = cookie(headers, CITIZEN_COOKIE).filter(|s| !s.is_empty())?;
    let hash = xaso_identity::session::hash_session_id(secret);
    by_hash(state, hash, lang_of(headers)).await
}

/// The session whose key is `hash`, if it is alive (see [`current`]).
pub async fn by_hash(state: &AppState, hash: String, lang: crate::i18n::Lang) -> Option<Citizen> {
    let lookup = hash.clone();
    let session = crate::api::read(state, move |s| s.get_citizen_session(&lookup))
        .await
        .ok()
        .flatten()?;
    let now = OffsetDateTime::now_utc();
    let created = parse_time(&session.created_at);
    let last_seen = parse_time(&session.last_seen);
    if policy().is_expired(created, last_seen, now) {
        let gone = hash.clone();
        let _ = crate::api::blocking(state, move |s| s.delete_citizen_session(&gone)).await;
        return None;
    }
    if now - last_seen >= time::Duration::seconds(60) {
        let (h, at) = (hash.clone(), xaso_store::format_utc(now));
        let _ = crate::api::blocking(state, move |s| s.touch_citizen_session(&h, &at)).await;
    }
    let methods: Vec<String> = serde_json::from_str(&session.methods).unwrap_or_default();
    Some(Citizen {
        personal_id: session.personal_id,
        level: session.level,
        methods,
        auth_time: created,
        session_hash: hash,
        lang,
    })
}

impl Citizen {
    /// The CSRF token of this session's forms (an HMAC of the session's hash under the
    /// server's key, kept apart from the officers' tokens by a prefix).
    pub fn csrf(&self, state: &AppState) -> String {
        csrf_for(state, &self.session_hash)
    }

    /// True when `token` is this session's CSRF token.
    pub fn check_csrf(&self, state: &AppState, token: &str) -> bool {
        state
            .web
            .verify_csrf(&format!("citizen:{}", self.session_hash), token)
    }

    /// The hidden form field with this session's CSRF token.
    pub fn csrf_field(&self, state: &AppState) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf(state)); }
    }
}

fn csrf_for(state: &AppState, session_hash: &str) -> String {
    state.web.csrf_for(&format!("citizen:{session_hash}"))
}

/// The `Set-Cookie` value of the citizen's session cookie (an empty value with `max_age`
/// `Some(0)` ends it). `SameSite=Lax`: see the module's documentation for why.
pub fn session_cookie(state: &AppState, value: &str, max_age: Option<i64>) -> HeaderValue {
    lax_cookie(state, CITIZEN_COOKIE, value, max_age)
}

/// An HttpOnly, `SameSite=Lax` cookie (Secure unless the server runs on plain HTTP): the
/// citizen's session and the portal's, which cross-site redirects of sign-in must carry.
pub(crate) fn lax_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: Option<i64>,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; SameSite=Lax; HttpOnly");
    if state.web.config.secure_cookies {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// A new session.
pub struct Started {
    /// The `Set-Cookie` header value to send.
    pub cookie: HeaderValue,
    /// The session's key in the store (SHA-256 of the cookie's secret).
    pub hash: String,
    pub csrf: String,
}

/// Starts a session for the account (a new random id at every sign-in: no session fixation;
/// any earlier id of this browser is simply dropped). `methods` are the `amr` values ("pwd",
/// "otp", "totp"); `level` is the account's.
pub async fn start(
    state: &AppState,
    headers: &HeaderMap,
    personal_id: &str,
    level: i32,
    methods: &[&str],
) -> Result<Started, ApiError> {
    let id = xaso_identity::session::new_session_id()
        .map_err(|e| ApiError::Internal(format!("no session id: {e}")))?;
    let now = xaso_store::now_rfc3339();
    let user_agent: String = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let record = CitizenSessionRecord {
        id_hash: id.hash.clone(),
        personal_id: personal_id.to_owned(),
        level,
        methods: serde_json::to_string(methods).unwrap_or_else(|_| "[]".into()),
        created_at: now.clone(),
        last_seen: now,
        user_agent,
    };
    crate::api::blocking(state, move |s| s.insert_citizen_session(&record)).await?;
    Ok(Started {
        cookie: session_cookie(state, &id.secret, None),
        csrf: csrf_for(state, &id.hash),
        hash: id.hash,
    })
}

/// Who ends citizen sessions, and through which route (a template): the audit record of the
/// OpenID tokens revoked with them names them.
#[derive(Debug, Clone, Copy)]
pub struct EndedBy<'a> {
    pub actor: &'a str,
    /// `citizen`, `officer`…
    pub actor_kind: &'a str,
    pub route: &'a str,
}

impl<'a> EndedBy<'a> {
    /// The citizen, ending their own session(s).
    pub fn citizen(personal_id: &'a str, route: &'a str) -> Self {
        EndedBy {
            actor: personal_id,
            actor_kind: xaso_identity::PrincipalKind::Citizen.as_str(),
            route,
        }
    }
}

/// Ends the session (in the store; the caller clears the cookie with
/// `session_cookie(state, "", Some(0))`), and with it every OpenID grant issued under it:
/// codes, access and refresh tokens that relying parties got through this sign-in stop working
/// (tokens end with the provider session that issued them; there is no `offline_access`).
pub async fn end(state: &AppState, session_hash: &str, by: EndedBy<'_>) -> Result<(), ApiError> {
    let hash = session_hash.to_owned();
    let (owner, revoked) = crate::api::blocking(state, move |s| {
        let owner = s.get_citizen_session(&hash)?.map(|r| r.personal_id);
        // Revoked first: a failure leaves the session, so the citizen can sign out again.
        let revoked = s.revoke_oidc_session(&hash)?;
        s.delete_citizen_session(&hash)?;
        Ok((owner, revoked))
    })
    .await?;
    if let Some(owner) = owner {
        audit_revoked(state, by, &owner, revoked).await;
    }
    Ok(())
}

/// Ends every session of the citizen but `keep` (a password change or recovery, an account
/// disabled), each with its OpenID grants as [`end`] does; returns how many sessions ended.
pub async fn end_all(
    state: &AppState,
    personal_id: &str,
    keep: Option<&str>,
    by: EndedBy<'_>,
) -> Result<u64, ApiError> {
    let (pid, keep) = (personal_id.to_owned(), keep.map(str::to_owned));
    let (ended, revoked) = crate::api::blocking(state, move |s| {
        let mut revoked = 0;
        for session in s.list_citizen_sessions(&pid)? {
            if keep.as_deref() != Some(session.id_hash.as_str()) {
                revoked += s.revoke_oidc_session(&session.id_hash)?;
            }
        }
        let ended = s.delete_citizen_sessions(&pid, keep.as_deref())?;
        Ok((ended, revoked))
    })
    .await?;
    audit_revoked(state, by, personal_id, revoked).await;
    Ok(ended)
}

/// Records the grants revoked with ended sessions (how many; never a token or a session id),
/// as the token endpoint records the families it revokes. The sessions are over either way: a
/// failure to record is logged, not shown.
async fn audit_revoked(state: &AppState, by: EndedBy<'_>, owner: &str, revoked: u64) {
    if revoked == 0 {
        return;
    }
    let mut record = xaso_store::AuditRecord::now(by.actor, by.actor_kind, "oidc.revoke", by.route);
    record.subject = Some(owner.to_owned());
    record.reason = Some(format!(
        "citizen session ended: {revoked} grants issued under it revoked"
    ));
    tracing::info!("OpenID provider: citizen session ended: {revoked} grants revoked");
    if let Err(e) = crate::api::audited(state, vec![record]).await {
        tracing::warn!("OpenID provider: the revocation could not be audited: {e:?}");
    }
}

/// `next` if it is a path on this server (no scheme, no host, no `//` or `\` that a
/// browser would read as another host, no control characters), else `/cong-dan`.
pub fn local_next(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && n.len() <= 4096 =>
        {
            n.to_owned()
        }
        _ => "/cong-dan".to_owned(),
    }
}

/// Not signed in to the portal: through the OpenID provider (which asks for the password if
/// need be), coming back to where they were.
pub struct SignIn(pub String);

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        Redirect::to(&super::portal_sign_in::sign_in_url(&self.0)).into_response()
    }
}

/// The citizen signed in to the portal (the portal's own session, opened through the OpenID
/// provider: [`super::portal_sign_in`]).
impl FromRequestParts<AppState> for Citizen {
    type Rejection = SignIn;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, SignIn> {
        let back = parts
            .uri
            .path_and_query()
            .map_or("/cong-dan".to_owned(), |p| p.as_str().to_owned());
        super::portal_sign_in::current(state, &parts.headers)
            .await
            .ok_or(SignIn(back))
    }
}
