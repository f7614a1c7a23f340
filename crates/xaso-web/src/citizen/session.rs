//! The signed-in citizen, from the `xaso_citizen` cookie.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use time::OffsetDateTime;
use xaso_identity::session::SessionPolicy;

use crate::pages::{cookie, lang_of, parse_time, url_encode};
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
        lang: lang_of(headers),
    })
}

/// Not signed in: to the citizens' login page, coming back to where they were.
pub struct SignIn(pub String);

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        Redirect::to(&format!("{LOGIN_PATH}?next={}", url_encode(&self.0))).into_response()
    }
}

impl FromRequestParts<AppState> for Citizen {
    type Rejection = SignIn;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, SignIn> {
        let back = parts
            .uri
            .path_and_query()
            .map_or("/cong-dan".to_owned(), |p| p.as_str().to_owned());
        current(state, &parts.headers).await.ok_or(SignIn(back))
    }
}
