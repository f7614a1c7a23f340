//! The officer pages: server-rendered HTML (maud), Vietnamese first with an English switch,
//! no script needed to use them, every asset embedded in the binary.
//!
//! - [`auth`]: login (password, lockout, rate limits, optional TOTP), logout, the account page
//!   (password change, second factor).
//! - [`register`]: the one search box (ID, CMND, name, birth year, scanned QR), the person and
//!   household pages, the edit form.
//! - [`desk`]: the ID card at the desk: the scanned card beside the register record.
//! - [`chip`]: the card's chip at the desk: passive authentication of the files a chip reader
//!   produced, against the CSCA trust store the admins keep.
//! - [`citizens_admin`]: administrators look up a citizen's identity account and disable or
//!   re-enable it.
//! - [`level2`]: under a verified chip, the desk raises the holder's electronic identity to
//!   level 2 (sealed evidence, the face comparison confirmed).
//! - [`audit`]: the audit log for the roles that may read it.
//! - [`officers`]: administrators manage officers.
//! - [`reconcile`]: data cleaning: a sector list uploaded, its columns mapped, reconciled with
//!   the register in the background, its rows reviewed.
//!
//! Invariants:
//! - Every page but the login page needs a session ([`Officer`]); a session waiting for its
//!   second factor, or whose password must be changed, reaches only the page that finishes it.
//! - Every POST carries the session's CSRF token (the login form a token bound to a pre-login
//!   cookie) and is refused without it, before anything else happens.
//! - No personal data in URLs: people and households are addressed by opaque handles
//!   ([`crate::handle`]); searches are POSTed.
//! - Session cookies are HttpOnly, SameSite=Strict and Secure (unless the server was started
//!   for plain-HTTP use), and carry only a random secret whose hash is stored.

pub mod audit;
pub mod auth;
pub mod chip;
pub mod citizens_admin;
pub mod civil_status;
pub mod desk;
pub mod dossiers;
pub mod indicators;
pub mod level2;
pub mod officers;
pub mod public;
pub mod reconcile;
pub mod register;
pub mod shop_admin;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use hmac::{Hmac, Mac};
use maud::{html, Markup, DOCTYPE};
use sha2::Sha256;
use time::OffsetDateTime;
use xaso_domain::role::Role;
use xaso_identity::lockout::{LockoutPolicy, RateLimit, RateLimiter};
use xaso_identity::session::SessionPolicy;
use xaso_store::{OfficerRecord, SessionRecord, Store, StoreError};

use crate::error::ApiError;
use crate::handle::Handles;
use crate::i18n::{fill, Lang, Messages};
use crate::AppState;

pub const SESSION_COOKIE: &str = "xaso_session";
pub const LOGIN_COOKIE: &str = "xaso_login";
pub const LANG_COOKIE: &str = "xaso_lang";

/// How the pages behave; set by `xaso serve`.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies Secure. Off only for a plain-HTTP office network (browsers accept Secure
    /// cookies over plain HTTP from localhost only).
    pub secure_cookies: bool,
    pub session: SessionPolicy,
    pub lockout: LockoutPolicy,
    /// Login attempts per client address.
    pub login_rate: RateLimit,
    /// Sample card payloads shown at the desk of a demo commune.
    pub demo_cards: Vec<String>,
    /// The address citizens and services reach this server at (`https://xa.example.vn`), when
    /// it is behind a proxy: the OpenID provider's issuer. Unset, the request's `Host` decides.
    pub public_url: Option<xaso_identity::oidc::discovery::Issuer>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: true,
            session: SessionPolicy::default(),
            lockout: LockoutPolicy::default(),
            login_rate: RateLimit::PER_IP,
            demo_cards: Vec::new(),
            public_url: None,
        }
    }
}

/// Keys and in-memory state of the pages.
pub struct WebState {
    pub config: WebConfig,
    csrf_key: [u8; 32],
    /// The citizen portal's client secret at the OpenID provider (derived, never stored).
    portal_secret: String,
    pub handles: Handles,
    login_limiter: Mutex<RateLimiter<String>>,
    /// Purposes stated by roles that must give one, per (session, subject), for 30 minutes.
    view_reasons: Mutex<HashMap<(String, String), (String, Instant)>>,
    /// TOTP secrets shown for enrolment and not yet confirmed, per session.
    pub(crate) pending_totp: Mutex<HashMap<String, (String, Instant)>>,
    /// Data cleaning: uploads waiting for their mapping, runs' progress.
    pub(crate) jobs: reconcile::Jobs,
}

const REASON_TTL: std::time::Duration = std::time::Duration::from_secs(30 * 60);

impl WebState {
    /// Reads the server's page key from the store, creating it on first run.
    pub fn load(store: &dyn Store, config: WebConfig) -> Result<WebState, String> {
        let master = match store.get_meta("web.key").map_err(|e| e.to_string())? {
            Some(hex) => decode_hex32(&hex).ok_or("the stored web.key is not 64 hex digits")?,
            None => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key).map_err(|e| e.to_string())?;
                store
                    .set_meta("web.key", &encode_hex(&key))
                    .map_err(|e| e.to_string())?;
                key
            }
        };
        // Runs queued or running when the server last stopped will never finish.
        let lost = store
            .fail_unfinished_runs(reconcile::ERR_INTERRUPTED)
            .map_err(|e| e.to_string())?;
        if lost > 0 {
            tracing::warn!("{lost} reconciliation runs were interrupted by a restart");
        }
        let csrf_key = derive(&master, b"csrf");
        let handle_key = derive(&master, b"handles");
        let mut aes_key = [0u8; 16];
        aes_key.copy_from_slice(&handle_key[..16]);
        Ok(WebState {
            login_limiter: Mutex::new(RateLimiter::new(config.login_rate)),
            config,
            csrf_key,
            portal_secret: format!(
                "xaso_cs_{}",
                xaso_identity::base64url_encode(&derive(&master, b"portal client secret"))
            ),
            handles: Handles::new(aes_key),
            view_reasons: Mutex::new(HashMap::new()),
            pending_totp: Mutex::new(HashMap::new()),
            jobs: reconcile::Jobs::default(),
        })
    }

    pub fn csrf_for(&self, session_hash: &str) -> String {
        xaso_identity::csrf::csrf_token(&self.csrf_key, session_hash)
    }

    /// The citizen portal's client secret at this server's OpenID provider.
    pub fn portal_client_secret(&self) -> String {
        self.portal_secret.clone()
    }

    pub fn verify_csrf(&self, session_hash: &str, token: &str) -> bool {
        xaso_identity::csrf::verify_csrf(&self.csrf_key, session_hash, token)
    }

    /// The login form's token is bound to the pre-login cookie's value.
    pub fn login_csrf(&self, cookie: &str) -> String {
        self.csrf_for(&format!("login:{cookie}"))
    }

    pub fn allow_login_attempt(&self, client: &str) -> bool {
        let mut limiter = self.login_limiter.lock().unwrap_or_else(|e| e.into_inner());
        let now = OffsetDateTime::now_utc();
        if limiter.len() > 10_000 {
            limiter.prune(now);
        }
        limiter.allow(client.to_string(), now)
    }

    pub fn remember_reason(&self, session_hash: &str, subject: &str, reason: String) {
        let mut map = self.view_reasons.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 50_000 {
            map.retain(|_, (_, at)| at.elapsed() < REASON_TTL);
        }
        map.insert(
            (session_hash.to_string(), subject.to_string()),
            (reason, Instant::now()),
        );
    }

    pub fn reason_for(&self, session_hash: &str, subject: &str) -> Option<String> {
        let map = self.view_reasons.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&(session_hash.to_string(), subject.to_string()))
            .filter(|(_, at)| at.elapsed() < REASON_TTL)
            .map(|(r, _)| r.clone())
    }
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac = match Hmac::<Sha256>::new_from_slice(master) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(b"xaso web key\0");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex32(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(auth::home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/login/totp", get(auth::totp_page).post(auth::totp))
        .route("/logout", post(auth::logout))
        .route("/lang/{code}", get(auth::switch_language))
        .route("/account", get(auth::account))
        .route("/account/password", post(auth::change_password))
        .route("/account/totp/start", post(auth::totp_start))
        .route("/account/totp/confirm", post(auth::totp_confirm))
        .route("/account/totp/disable", post(auth::totp_disable))
        .route("/assets/style.css", get(style))
        .route("/assets/app.js", get(script))
        .route("/favicon.ico", get(icon))
        .route("/assets/icon.svg", get(icon))
        .route("/search", get(register::search_page).post(register::search))
        .route("/p/{handle}", get(register::person_page))
        .route("/p/{handle}/reason", post(register::give_reason))
        .route(
            "/p/{handle}/edit",
            get(register::edit_page).post(register::edit),
        )
        .route("/h/{handle}", get(register::household_page))
        .route("/desk", get(desk::desk_page).post(desk::scan))
        .route(
            "/desk/chip",
            get(chip::chip_page)
                .post(chip::chip_verify)
                .layer(DefaultBodyLimit::max(chip::BODY_LIMIT)),
        )
        .route(
            "/admin/csca",
            get(chip::csca_page)
                .post(chip::csca_add)
                .layer(DefaultBodyLimit::max(chip::CSCA_BODY_LIMIT)),
        )
        .route(level2::PATH, post(level2::raise))
        .route("/admin/csca/remove", post(chip::csca_remove))
        .route(
            citizens_admin::PATH,
            get(citizens_admin::page).post(citizens_admin::act),
        )
        .route("/audit", get(audit::audit_page))
        .route(
            "/admin/officers",
            get(officers::officers_page).post(officers::create),
        )
        .route("/admin/officers/{login}/{op}", post(officers::act))
        .route("/dossiers", get(dossiers::list_page).post(dossiers::submit))
        .route(
            "/dossiers/new",
            get(dossiers::new_page).post(dossiers::start),
        )
        .route("/dossiers/{receipt}", get(dossiers::dossier_page))
        .route("/dossiers/{receipt}/act", post(dossiers::act))
        .route("/dossiers/{receipt}/apology", get(dossiers::apology_page))
        .route(
            "/dossiers/{receipt}/attachments",
            post(dossiers::attach).layer(DefaultBodyLimit::max(civil_status::BODY_LIMIT)),
        )
        .route("/dossiers/{receipt}/receipt", get(dossiers::receipt_page))
        .route("/indicators", get(indicators::indicators_page))
        .route("/indicators.json", get(indicators::indicators_json))
        .route("/tra-cuu", get(public::status_page))
        .route("/tra-cuu/danh-gia", post(public::rate))
        .route("/tra-cuu/phan-anh", post(public::complain))
        .route("/tra-cuu/phan-anh/danh-gia", post(public::judge))
        .route(
            "/dossiers/{receipt}/complaints/{id}/answer",
            post(dossiers::answer_complaint),
        )
        .route("/xac-minh", get(public::verify_page))
        .route(
            "/civil-status",
            get(civil_status::books_page)
                .post(civil_status::digitise)
                .layer(DefaultBodyLimit::max(civil_status::BODY_LIMIT)),
        )
        .route(
            "/civil-status/reconcile",
            post(civil_status::reconcile_book),
        )
        .route("/attachments/{sha256}", get(civil_status::attachment))
        .route("/admin/catalogue", get(shop_admin::catalogue_page))
        .route(
            "/admin/catalogue/{code}",
            get(shop_admin::procedure_page).post(shop_admin::save_procedure),
        )
        .route(
            "/admin/calendar",
            get(shop_admin::calendar_page).post(shop_admin::save_calendar),
        )
        .route("/dossiers/{receipt}/result", get(dossiers::result_page))
        .route("/dossiers/{receipt}/result.pdf", get(dossiers::result_pdf))
        .route("/reconcile", get(reconcile::runs_page))
        .route(
            "/reconcile/upload",
            post(reconcile::upload).layer(DefaultBodyLimit::max(reconcile::BODY_LIMIT)),
        )
        .route(
            "/reconcile/upload/{token}",
            get(reconcile::mapping_page).post(reconcile::start),
        )
        .route("/reconcile/{id}", get(reconcile::run_page))
        .route("/reconcile/{id}/report.xlsx", get(reconcile::report))
        .route("/reconcile/{id}/review", get(reconcile::review_page))
        .route("/reconcile/{id}/review/{row}", post(reconcile::decide))
}

async fn style() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        include_str!("style.css"),
    )
        .into_response()
}

async fn icon() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        include_str!("icon.svg"),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        include_str!("app.js"),
    )
        .into_response()
}

/// Headers on every answer: a strict content security policy (scripts and styles only from
/// this server, no framing, forms only to this server), and no caching of anything but the
/// embedded assets, since pages carry personal data.
pub async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

// ---------------------------------------------------------------------------------------------
// Cookies and language

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// A `Set-Cookie` value. `max_age` None makes a browser-session cookie.
pub fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: Option<i64>,
    http_only: bool,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; SameSite=Strict");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if state.web.config.secure_cookies {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// Vietnamese unless the officer chose English (office PCs often run an English browser, so
/// the browser's language is not a choice).
pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or_default()
}

/// The language of a request, as an extractor.
pub struct PageLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageLang(lang_of(&parts.headers)))
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions

/// A logged-in officer, from the session cookie.
#[derive(Debug, Clone)]
pub struct Officer {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub session_hash: String,
    pub csrf: String,
    pub lang: Lang,
    /// The page path, for the language switch to come back to.
    pub path: String,
}

impl Officer {
    pub fn principal(&self) -> xaso_identity::Principal {
        xaso_identity::Principal {
            name: self.login.clone(),
            kind: xaso_identity::PrincipalKind::Officer,
            role: self.role,
        }
    }

    pub fn m(&self) -> &'static Messages {
        self.lang.msg()
    }

    /// Refuses a form without this session's CSRF token.
    pub fn check_csrf(&self, state: &AppState, token: &str) -> Result<(), PageError> {
        if state.web.verify_csrf(&self.session_hash, token) {
            Ok(())
        } else {
            Err(PageError::new(
                self.lang,
                StatusCode::FORBIDDEN,
                self.m().error_csrf,
            ))
        }
    }

    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }

    pub fn require(&self, allowed: bool, message: &str) -> Result<(), PageError> {
        if allowed {
            Ok(())
        } else {
            Err(PageError::new(self.lang, StatusCode::FORBIDDEN, message))
        }
    }
}

/// What stops a request short of a page: a redirect to log in, or an error page.
pub enum SessionRejection {
    Login(&'static str),
    Redirect(&'static str),
    Error(PageError),
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        match self {
            SessionRejection::Login(reason) => {
                Redirect::to(&format!("/login?m={reason}")).into_response()
            }
            SessionRejection::Redirect(to) => Redirect::to(to).into_response(),
            SessionRejection::Error(e) => e.into_response(),
        }
    }
}

/// Loads and checks the session; `stage` says which unfinished logins may pass.
async fn load_session(
    parts: &Parts,
    state: &AppState,
    stage: Stage,
) -> Result<(OfficerRecord, SessionRecord), SessionRejection> {
    let lang = lang_of(&parts.headers);
    let Some(secret) = cookie(&parts.headers, SESSION_COOKIE).filter(|s| !s.is_empty()) else {
        return Err(SessionRejection::Login("login"));
    };
    let hash = xaso_identity::session::hash_session_id(secret);
    let lookup = hash.clone();
    let found = crate::api::read(state, move |s| {
        let session = s.get_session(&lookup)?;
        let officer = match &session {
            Some(session) => s.get_officer(&session.login)?,
            None => None,
        };
        Ok(session.zip(officer))
    })
    .await
    .map_err(|e| SessionRejection::Error(PageError::from_api(lang, e)))?;
    let Some((mut session, officer)) = found else {
        return Err(SessionRejection::Login("expired"));
    };
    let now = OffsetDateTime::now_utc();
    let created = parse_time(&session.created_at);
    let last_seen = parse_time(&session.last_seen);
    let policy = state.web.config.session;
    if officer.disabled || policy.is_expired(created, last_seen, now) {
        let gone = hash.clone();
        let _ = crate::api::blocking(state, move |s| s.delete_session(&gone)).await;
        return Err(SessionRejection::Login("expired"));
    }
    match stage {
        Stage::Full if session.second_factor_pending => {
            return Err(SessionRejection::Redirect("/login/totp"))
        }
        Stage::Full if officer.must_change_password => {
            return Err(SessionRejection::Redirect("/account"))
        }
        Stage::SecondFactor if !session.second_factor_pending => {
            return Err(SessionRejection::Redirect("/search"))
        }
        Stage::PasswordChange if session.second_factor_pending => {
            return Err(SessionRejection::Redirect("/login/totp"))
        }
        _ => {}
    }
    // Keep the session alive, writing at most every minute (or every quarter of the idle
    // timeout, when that is shorter) rather than on every request.
    let refresh = time::Duration::seconds(60).min(policy.idle_timeout / 4);
    if now - last_seen >= refresh {
        session.last_seen = xaso_store::format_utc(now);
        let update = session.clone();
        crate::api::blocking(state, move |s| s.update_session(&update))
            .await
            .map_err(|e| SessionRejection::Error(PageError::from_api(lang, e)))?;
    }
    Ok((officer, session))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Full,
    SecondFactor,
    PasswordChange,
}

pub fn parse_time(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn officer_from(parts: &Parts, state: &AppState, record: OfficerRecord, hash: String) -> Officer {
    Officer {
        role: Role::parse(&record.role).unwrap_or(Role::ReadOnly),
        login: record.login,
        display_name: record.display_name,
        csrf: state.web.csrf_for(&hash),
        session_hash: hash,
        lang: lang_of(&parts.headers),
        // Query strings of pages hold handles and filters, never personal data.
        path: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into()),
    }
}

impl FromRequestParts<AppState> for Officer {
    type Rejection = SessionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (record, session) = load_session(parts, state, Stage::Full).await?;
        Ok(officer_from(parts, state, record, session.id_hash))
    }
}

/// A session whose password must still be changed may reach the account page.
pub struct AccountOfficer(pub Officer, pub OfficerRecord);

impl FromRequestParts<AppState> for AccountOfficer {
    type Rejection = SessionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (record, session) = load_session(parts, state, Stage::PasswordChange).await?;
        Ok(AccountOfficer(
            officer_from(parts, state, record.clone(), session.id_hash),
            record,
        ))
    }
}

/// A session between password and second factor.
pub struct PendingOfficer(pub Officer, pub OfficerRecord, pub SessionRecord);

impl FromRequestParts<AppState> for PendingOfficer {
    type Rejection = SessionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (record, session) = load_session(parts, state, Stage::SecondFactor).await?;
        Ok(PendingOfficer(
            officer_from(parts, state, record.clone(), session.id_hash.clone()),
            record,
            session,
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// An error page in the officer's language.
#[derive(Debug)]
pub struct PageError {
    pub lang: Lang,
    pub status: StatusCode,
    pub message: String,
}

impl PageError {
    pub fn new(lang: Lang, status: StatusCode, message: impl Into<String>) -> PageError {
        PageError {
            lang,
            status,
            message: message.into(),
        }
    }

    pub fn from_api(lang: Lang, e: ApiError) -> PageError {
        let m = lang.msg();
        match e {
            ApiError::NotFound(_) => PageError::new(lang, StatusCode::NOT_FOUND, m.error_not_found),
            ApiError::Forbidden(_) => {
                PageError::new(lang, StatusCode::FORBIDDEN, m.error_forbidden)
            }
            ApiError::Unavailable(_) => {
                PageError::new(lang, StatusCode::SERVICE_UNAVAILABLE, m.error_unavailable)
            }
            ApiError::Invalid { message, .. } => {
                PageError::new(lang, StatusCode::UNPROCESSABLE_ENTITY, message)
            }
            ApiError::Conflict(message) => PageError::new(lang, StatusCode::CONFLICT, message),
            ApiError::Unauthenticated(_) => {
                PageError::new(lang, StatusCode::UNAUTHORIZED, m.session_expired)
            }
            ApiError::Internal(detail) => {
                tracing::error!("internal error on a page: {detail}");
                PageError::new(lang, StatusCode::INTERNAL_SERVER_ERROR, m.error_internal)
            }
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let m = self.lang.msg();
        let ctx = Chrome {
            lang: self.lang,
            officer: None,
            path: "/".into(),
        };
        let body = html! {
            h1 { (m.error_title) }
            p.error role="alert" { (self.message) }
            p { a href="/search" { (m.back_to_search) } }
        };
        (
            self.status,
            Html(layout(&ctx, m.error_title, body).into_string()),
        )
            .into_response()
    }
}

/// Store and task failures on a page.
pub trait OrPage<T> {
    fn or_page(self, lang: Lang) -> Result<T, PageError>;
}

impl<T> OrPage<T> for Result<T, ApiError> {
    fn or_page(self, lang: Lang) -> Result<T, PageError> {
        self.map_err(|e| PageError::from_api(lang, e))
    }
}

impl<T> OrPage<T> for Result<T, StoreError> {
    fn or_page(self, lang: Lang) -> Result<T, PageError> {
        self.map_err(|e| PageError::from_api(lang, ApiError::from(e)))
    }
}

// ---------------------------------------------------------------------------------------------
// Layout

/// What the frame of a page needs.
pub struct Chrome<'a> {
    pub lang: Lang,
    pub officer: Option<&'a Officer>,
    pub path: String,
}

impl Officer {
    pub fn chrome(&self) -> Chrome<'_> {
        Chrome {
            lang: self.lang,
            officer: Some(self),
            path: self.path.clone(),
        }
    }

    /// A full page for this officer.
    pub fn page(&self, title: &str, body: Markup) -> Response {
        Html(layout(&self.chrome(), title, body).into_string()).into_response()
    }
}

pub fn layout(ctx: &Chrome<'_>, title: &str, body: Markup) -> Markup {
    let m = ctx.lang.msg();
    let other = ctx.lang.other();
    let back = if ctx.path.starts_with('/') && !ctx.path.starts_with("//") {
        ctx.path.as_str()
    } else {
        "/"
    };
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (title) " · " (m.app_name) }
                link rel="icon" href="/assets/icon.svg" type="image/svg+xml";
                link rel="stylesheet" href="/assets/style.css";
                script src="/assets/app.js" defer {}
            }
            body {
                a.skip href="#main" { (m.skip_to_content) }
                header.top {
                    a.brand href="/" { (m.app_name) }
                    @if let Some(o) = ctx.officer {
                        nav aria-label=(m.app_name) {
                            a href="/search" { (m.nav_search) }
                            a href="/desk" { (m.nav_desk) }
                            @if o.role != Role::ReadOnly && o.role != Role::Land {
                                a href="/dossiers" { (m.nav_dossiers) }
                            }
                            @if o.role.can_read_register() {
                                a href="/reconcile" { (m.nav_reconcile) }
                            }
                            @if o.role.can_read_audit() {
                                a href="/audit" { (m.nav_audit) }
                            }
                            @if o.role == Role::Admin {
                                a href="/admin/officers" { (m.nav_officers) }
                                a href="/admin/catalogue" { (m.nav_catalogue) }
                                a href="/admin/csca" { (dossiers::tr(ctx.lang, "CSCA", "CSCA")) }
                                a href="/admin/oidc-clients" { (dossiers::tr(ctx.lang, "Dịch vụ kết nối", "OpenID clients")) }
                                a href=(citizens_admin::PATH) { (dossiers::tr(ctx.lang, "Tài khoản công dân", "Citizen accounts")) }
                            }
                            a href="/account" { (m.nav_account) }
                        }
                        form.quick method="post" action="/search" role="search" {
                            (o.csrf_field())
                            label.visually-hidden for="quick-q" { (m.search_label) }
                            input #quick-q type="search" name="q" autocomplete="off" placeholder=(m.search_placeholder);
                            button type="submit" { (m.search_submit) }
                        }
                    }
                    div.tools {
                        a.lang href={ "/lang/" (other.code()) "?back=" (url_encode(back)) } lang=(other.code()) { (m.switch_language) }
                        @if let Some(o) = ctx.officer {
                            span.who { (fill(m.signed_in_as, &[&o.display_name, ctx.lang.role(o.role)])) }
                            form.inline method="post" action="/logout" {
                                (o.csrf_field())
                                button.link type="submit" { (m.logout) }
                            }
                        }
                    }
                }
                main #main { (body) }
            }
        }
    }
}

/// Percent-encodes a path for a query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A notice at the top of a page.
pub fn notice(kind: &str, text: &str) -> Markup {
    html! { p class={ "notice " (kind) } role=(if kind == "error" { "alert" } else { "status" }) { (text) } }
}

/// Vietnam time (UTC+7) for display, from a stored RFC 3339 UTC time.
pub fn local_time(stored: &str) -> String {
    let t = parse_time(stored);
    if t == OffsetDateTime::UNIX_EPOCH {
        return stored.to_string();
    }
    let offset = time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let t = t.to_offset(offset);
    format!(
        "{:02}:{:02}:{:02} {:02}/{:02}/{:04}",
        t.hour(),
        t.minute(),
        t.second(),
        t.day(),
        u8::from(t.month()),
        t.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; xaso_session=abc; xaso_lang=en"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "xaso"), None);
        assert_eq!(lang_of(&h), Lang::En);
    }

    #[test]
    fn url_encoding_keeps_paths_readable() {
        assert_eq!(url_encode("/p/ab-_c"), "/p/ab-_c");
        assert_eq!(url_encode("/a?b=c&d"), "/a%3Fb%3Dc%26d");
    }

    #[test]
    fn hex_keys_round_trip() {
        let key = [0xabu8; 32];
        assert_eq!(decode_hex32(&encode_hex(&key)), Some(key));
        assert_eq!(decode_hex32("zz"), None);
    }
}
