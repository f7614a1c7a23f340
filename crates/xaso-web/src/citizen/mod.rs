//! Citizens: their accounts (electronic identity at levels 1 and 2), their sessions in the
//! browser, and the citizen portal. Officers' pages are in [`crate::pages`]; the OpenID
//! provider that other services (and the portal) sign citizens in through is in
//! [`crate::oidc`].
//!
//! The pages, Vietnamese first (English with the language switch), under `/cong-dan`:
//! - `/cong-dan/dang-ky` ([`signup`]): level-1 registration online: personal ID, full name and
//!   date of birth must all match the register (a mismatch never says which), a phone
//!   confirmed by a one-time code ([`code`]), then a password;
//! - `/cong-dan/dang-nhap` ([`login`]): personal ID and password, the second factor if
//!   enrolled, a new password when the account was given a one-time one; `next` goes back to
//!   a local path (the OpenID provider's authorization request); `prompt=login` asks again
//!   even when a session is alive; `/cong-dan/dang-xuat` (POST) signs out;
//! - `/cong-dan/vao` ([`portal_sign_in`]): the portal signs in through the OpenID provider
//!   like any other relying party (code flow with PKCE, the ID token validated), then keeps
//!   its own cookie bound to the provider's session;
//! - `/cong-dan` ([`portal`]): my register record, who viewed it (from the audit log), my
//!   digital folder, my dossiers with their public status links; `/cong-dan/phien` my sessions
//!   (end one, or all the others); `/cong-dan/tai-khoan` the level, the password, TOTP;
//! - `/cong-dan/khoi-phuc` ([`signup`]): recovery with the personal ID and the registered
//!   phone: a code, then a new password (every session ends).
//!
//! [`accounts`] holds what the command line and the desk call: an account created for a
//! resident with a one-time password, and the raise to level 2 after a chip check.
//!
//! Invariants:
//! - A citizen's session cookie (`xaso_citizen`) is separate from an officer's: neither
//!   opens the other's pages. Only the SHA-256 of its secret is stored.
//! - A session carries the level it was authenticated at and how (`amr`); a level-2 account
//!   signed in with a password alone is still a level-2 session (the level is the account's
//!   proofing; the methods say how it signed in).
//! - A session exists only for a finished sign-in: between the password and the second factor,
//!   or while a one-time password must be replaced, the browser holds only a short-lived
//!   pending token ([`login`]), which opens nothing else (nor the OpenID provider).
//! - Every POST carries a CSRF token: the session's, or before sign-in one bound to the
//!   `xaso_citizen_form` cookie.
//! - Every view of the citizen's own data is audited with the citizen as the actor (kind
//!   `citizen`, the personal ID as actor and subject) before it is shown; account events
//!   (sign-in, failures, lockout, registration, recovery, codes sent) too.
//! - One-time codes are stored only as SHA-256 hashes, live 5 minutes, allow 5 attempts, and
//!   at most 3 are sent to a phone in 15 minutes.

pub mod accounts;
pub mod code;
pub mod id_qr;
mod login;
mod portal;
pub mod portal_sign_in;
pub mod session;
mod signup;
pub mod submit;

use std::sync::{Mutex, OnceLock};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, DOCTYPE};
use time::OffsetDateTime;
use xaso_identity::lockout::{RateLimit, RateLimiter};
use xaso_store::{AuditRecord, CitizenRecord};

pub use accounts::{create_account, raise_to_level2, NewAccount, Raised};
pub use code::{CodeSender, LogSender};
pub use session::{current, Citizen, CITIZEN_COOKIE, LOGIN_PATH};

use crate::error::ApiError;
use crate::i18n::Lang;
use crate::pages::dossiers::tr;
use crate::pages::{cookie, url_encode};
use crate::AppState;

/// The citizens' pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cong-dan", get(portal::portal))
        .route(LOGIN_PATH, get(login::login_page).post(login::sign_in))
        .route(
            "/cong-dan/dang-nhap/ma",
            get(login::totp_page).post(login::totp),
        )
        .route(
            "/cong-dan/dang-nhap/doi-mat-khau",
            get(login::new_password_page).post(login::new_password),
        )
        .route("/cong-dan/dang-xuat", post(login::sign_out))
        .route(portal_sign_in::START_PATH, get(portal_sign_in::start))
        .route(id_qr::PATH, get(id_qr::page))
        .route(
            submit::PATH,
            get(submit::procedures_page).post(submit::fill),
        )
        .route(submit::SEND_PATH, post(submit::send))
        .route(portal_sign_in::CALLBACK_PATH, get(portal_sign_in::callback))
        .route(
            "/cong-dan/dang-ky",
            get(signup::register_page).post(signup::register),
        )
        .route("/cong-dan/dang-ky/ma", post(signup::register_code))
        .route(
            "/cong-dan/dang-ky/mat-khau",
            post(signup::register_password),
        )
        .route(
            "/cong-dan/khoi-phuc",
            get(signup::recover_page).post(signup::recover),
        )
        .route("/cong-dan/khoi-phuc/ma", post(signup::recover_code))
        .route(
            "/cong-dan/khoi-phuc/mat-khau",
            post(signup::recover_password),
        )
        .route("/cong-dan/phien", get(portal::sessions_page))
        .route("/cong-dan/phien/ket-thuc", post(portal::end_session))
        .route(
            "/cong-dan/phien/ket-thuc-khac",
            post(portal::end_other_sessions),
        )
        .route("/cong-dan/tai-khoan", get(portal::account_page))
        .route(
            "/cong-dan/tai-khoan/mat-khau",
            post(portal::change_password),
        )
        .route("/cong-dan/tai-khoan/totp/bat", post(portal::totp_start))
        .route(
            "/cong-dan/tai-khoan/totp/xac-nhan",
            post(portal::totp_confirm),
        )
        .route("/cong-dan/tai-khoan/totp/tat", post(portal::totp_disable))
}

// ---------------------------------------------------------------------------------------------
// Forms before sign-in: a CSRF token bound to a cookie of their own

/// The cookie the forms before sign-in (sign-in, registration, recovery) bind their CSRF
/// token to. Random, HttpOnly, SameSite=Strict (the forms post from this site), one hour.
pub(crate) const FORM_COOKIE: &str = "xaso_citizen_form";

/// The value of the form cookie to use: the browser's if it has a well-formed one (a
/// registration spans three forms bound to the same value), else a new one to set.
pub(crate) fn form_binding(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(String, Option<HeaderValue>), ApiError> {
    Ok(
        match cookie(headers, FORM_COOKIE).filter(|v| is_hex_token(v)) {
            Some(v) => (v.to_owned(), None),
            None => {
                let v = random_hex::<16>()?;
                let c = crate::pages::set_cookie(state, FORM_COOKIE, &v, Some(3600), true);
                (v, Some(c))
            }
        },
    )
}

/// The CSRF token of the forms bound to the form cookie's value.
pub(crate) fn form_csrf(state: &AppState, binding: &str) -> String {
    state.web.csrf_for(&format!("citizen-form:{binding}"))
}

/// The form cookie's value if the form's CSRF token is bound to it.
pub(crate) fn check_form(state: &AppState, headers: &HeaderMap, token: &str) -> Option<String> {
    let binding = cookie(headers, FORM_COOKIE).filter(|v| is_hex_token(v))?;
    state
        .web
        .verify_csrf(&format!("citizen-form:{binding}"), token)
        .then(|| binding.to_owned())
}

fn is_hex_token(v: &str) -> bool {
    (16..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `N` random bytes as lowercase hex (an error only if the OS random source fails).
pub(crate) fn random_hex<const N: usize>() -> Result<String, ApiError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| {
        ApiError::Internal(format!("the operating system's random source failed: {e}"))
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

// ---------------------------------------------------------------------------------------------
// Rate limits per client address (in memory)

/// Sign-in attempts per client address (as the officers': 20 at once, then one every 6 s).
pub(crate) fn allow_sign_in(client: &str) -> bool {
    static LIMITER: OnceLock<Mutex<RateLimiter<String>>> = OnceLock::new();
    allow(&LIMITER, RateLimit::PER_IP, client)
}

/// Registration and recovery requests (each may send a code) per client address: 10 at once,
/// then one every 30 s. Besides the store's limit of codes per phone.
pub(crate) fn allow_code_request(client: &str) -> bool {
    static LIMITER: OnceLock<Mutex<RateLimiter<String>>> = OnceLock::new();
    allow(
        &LIMITER,
        RateLimit {
            burst: 10,
            refill_every: time::Duration::seconds(30),
        },
        client,
    )
}

fn allow(cell: &OnceLock<Mutex<RateLimiter<String>>>, limit: RateLimit, client: &str) -> bool {
    let mut limiter = cell
        .get_or_init(|| Mutex::new(RateLimiter::new(limit)))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let now = OffsetDateTime::now_utc();
    if limiter.len() > 10_000 {
        limiter.prune(now);
    }
    limiter.allow(client.to_owned(), now)
}

// ---------------------------------------------------------------------------------------------
// Audit

/// An audit record of the citizen `personal_id` acting on their own account or data.
pub(crate) fn citizen_event(personal_id: &str, action: &str, route: &str) -> AuditRecord {
    let mut r = AuditRecord::now(
        personal_id,
        xaso_identity::PrincipalKind::Citizen.as_str(),
        action,
        route,
    );
    r.subject = Some(personal_id.to_owned());
    r
}

/// Appends the records before the answer; 503 while the audit log cannot be written.
pub(crate) async fn audit(
    state: &AppState,
    lang: Lang,
    records: Vec<AuditRecord>,
) -> Result<(), Fail> {
    crate::api::audited(state, records)
        .await
        .map_err(|e| Fail::api(lang, e))
}

/// Puts the new password's hash on the account (no longer one to change) and
/// stores it, ending every session of the account.
pub(crate) async fn set_password(
    state: &AppState,
    lang: Lang,
    account: &mut CitizenRecord,
    hash: String,
    route: &str,
) -> Result<(), Fail> {
    account.password_hash = hash;
    account.must_change_password = false;
    account.updated_at = xaso_store::now_rfc3339();
    let record = account.clone();
    crate::api::blocking(state, move |s| s.update_citizen(&record))
        .await
        .map_err(|e| Fail::api(lang, e))?;
    let by = session::EndedBy::citizen(&account.personal_id, route);
    session::end_all(state, &account.personal_id, None, by)
        .await
        .map(|_| ())
        .map_err(|e| Fail::api(lang, e))
}

// ---------------------------------------------------------------------------------------------
// The signed-in citizen with the account

/// A signed-in citizen whose account exists and is enabled, with the account.
pub(crate) struct Me(pub Citizen, pub CitizenRecord);

pub(crate) enum MeRejection {
    SignIn(session::SignIn),
    Fail(Fail),
}

impl IntoResponse for MeRejection {
    fn into_response(self) -> Response {
        match self {
            MeRejection::SignIn(s) => s.into_response(),
            MeRejection::Fail(f) => f.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for Me {
    type Rejection = MeRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let citizen = Citizen::from_request_parts(parts, state)
            .await
            .map_err(MeRejection::SignIn)?;
        let lang = citizen.lang;
        let id = citizen.personal_id.clone();
        let account = crate::api::read(state, move |s| s.get_citizen(&id))
            .await
            .map_err(|e| MeRejection::Fail(Fail::api(lang, e)))?;
        match account {
            Some(a) if !a.disabled => Ok(Me(citizen, a)),
            _ => {
                // Any page of the portal (the account was disabled since the sign-in).
                let by = session::EndedBy::citizen(&citizen.personal_id, "/cong-dan/*");
                let _ = session::end(state, &citizen.session_hash, by).await;
                Err(MeRejection::SignIn(session::SignIn("/cong-dan".into())))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Passwords

/// A new password checked (typed twice alike, the policy, not containing the personal ID)
/// and hashed (argon2id, on the blocking pool). `Err` carries the message to show.
pub(crate) async fn new_password_hash(
    lang: Lang,
    personal_id: &str,
    new: &str,
    repeat: &str,
) -> Result<Result<String, String>, Fail> {
    if new != repeat {
        return Ok(Err(lang.msg().password_mismatch.to_owned()));
    }
    if let Err(e) = xaso_identity::password::check_password_policy(new, personal_id) {
        return Ok(Err(match lang {
            Lang::Vi => e.vi(),
            Lang::En => e.en(),
        }));
    }
    let plain = new.to_owned();
    tokio::task::spawn_blocking(move || xaso_identity::password::hash_password(&plain))
        .await
        .map_err(|e| Fail::api(lang, e.into()))?
        .map(Ok)
        .map_err(|e| Fail::api(lang, ApiError::Internal(format!("password hash: {e}"))))
}

/// Checks a password against an account's hash on the blocking pool; an unusable hash counts
/// as wrong (and is logged).
pub(crate) async fn verify_password(lang: Lang, plain: &str, phc: &str) -> Result<bool, Fail> {
    let (plain, phc) = (plain.to_owned(), phc.to_owned());
    let ok =
        tokio::task::spawn_blocking(move || xaso_identity::password::verify_password(&plain, &phc))
            .await
            .map_err(|e| Fail::api(lang, e.into()))?;
    Ok(ok.unwrap_or_else(|e| {
        tracing::error!("a citizen's account has an unusable password hash: {e}");
        false
    }))
}

// ---------------------------------------------------------------------------------------------
// Pages

/// "Mức 1" / "Level 1".
pub(crate) fn level_text(lang: Lang, level: i32) -> String {
    match lang {
        Lang::Vi => format!("Mức {level}"),
        Lang::En => format!("Level {level}"),
    }
}

/// A phone shown with only its last three digits: "*******789".
pub(crate) fn mask_phone(phone: &str) -> String {
    let n = phone.chars().count();
    phone
        .chars()
        .enumerate()
        .map(|(i, c)| if i + 3 < n { '*' } else { c })
        .collect()
}

/// The frame of a citizen's page: the same stylesheet as the officers' pages, the citizens'
/// top bar (their pages, the level, sign out) when signed in.
pub(crate) fn layout(
    state: &AppState,
    lang: Lang,
    me: Option<&Citizen>,
    path: &str,
    title: &str,
    body: Markup,
) -> Markup {
    let m = lang.msg();
    let other = lang.other();
    let back = session::local_next(Some(path));
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
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
                    a.brand href="/cong-dan" { (m.app_name) " · " (tr(lang, "Công dân", "Citizens")) }
                    @if me.is_some() {
                        nav aria-label=(tr(lang, "Trang công dân", "Citizen pages")) {
                            a href="/cong-dan" { (tr(lang, "Dữ liệu của tôi", "My data")) }
                            a href="/cong-dan/phien" { (tr(lang, "Phiên đăng nhập", "Sessions")) }
                            a href="/cong-dan/tai-khoan" { (tr(lang, "Tài khoản", "Account")) }
                        }
                    }
                    div.tools {
                        a.lang href={ "/lang/" (other.code()) "?back=" (url_encode(&back)) } lang=(other.code()) { (m.switch_language) }
                        @if let Some(c) = me {
                            span.who { (tr(lang, "Tài khoản định danh ", "Identity account, ")) (level_text(lang, c.level)) }
                            form.inline method="post" action="/cong-dan/dang-xuat" {
                                (c.csrf_field(state))
                                button.link type="submit" { (tr(lang, "Đăng xuất", "Sign out")) }
                            }
                        }
                    }
                }
                main #main { (body) }
            }
        }
    }
}

/// A whole page with a status.
pub(crate) fn page(
    state: &AppState,
    lang: Lang,
    me: Option<&Citizen>,
    path: &str,
    title: &str,
    body: Markup,
    status: StatusCode,
) -> Response {
    (
        status,
        Html(layout(state, lang, me, path, title, body).into_string()),
    )
        .into_response()
}

/// A signed-in citizen's page, 200.
pub(crate) fn my_page(
    state: &AppState,
    me: &Citizen,
    path: &str,
    title: &str,
    body: Markup,
) -> Response {
    page(state, me.lang, Some(me), path, title, body, StatusCode::OK)
}

/// A page that also sets (or refreshes) the form cookie when it was missing.
pub(crate) fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

/// An error page for citizens, in their language.
#[derive(Debug)]
pub(crate) struct Fail {
    pub lang: Lang,
    pub status: StatusCode,
    pub message: String,
}

impl Fail {
    pub fn new(lang: Lang, status: StatusCode, message: impl Into<String>) -> Fail {
        Fail {
            lang,
            status,
            message: message.into(),
        }
    }

    pub fn api(lang: Lang, e: ApiError) -> Fail {
        let p = crate::pages::PageError::from_api(lang, e);
        Fail::new(lang, p.status, p.message)
    }

    /// The CSRF token is missing or not this form's.
    pub fn csrf(lang: Lang) -> Fail {
        Fail::new(lang, StatusCode::FORBIDDEN, lang.msg().error_csrf)
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let lang = self.lang;
        let m = lang.msg();
        let body = html! {
            h1 { (m.error_title) }
            p.error role="alert" { (self.message) }
            p { a href="/cong-dan" { (tr(lang, "Về trang công dân", "Back to the citizen pages")) } }
        };
        let ctx_title = m.error_title;
        let markup = html! {
            (DOCTYPE)
            html lang=(lang.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (ctx_title) " · " (m.app_name) }
                    link rel="stylesheet" href="/assets/style.css";
                }
                body {
                    header.top { a.brand href="/cong-dan" { (m.app_name) " · " (tr(lang, "Công dân", "Citizens")) } }
                    main #main { (body) }
                }
            }
        };
        (self.status, Html(markup.into_string())).into_response()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked_but_the_last_three_digits() {
        assert_eq!(mask_phone("0912345678"), "*******678");
        assert_eq!(mask_phone("12"), "12");
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        use session::local_next;
        assert_eq!(
            local_next(Some("/oidc/authorize?x=1")),
            "/oidc/authorize?x=1"
        );
        for bad in [
            "//evil.example",
            "https://evil.example/",
            "/\\evil.example",
            "evil",
            "",
            "/a\r\nb",
        ] {
            assert_eq!(local_next(Some(bad)), "/cong-dan", "{bad:?}");
        }
        assert_eq!(local_next(None), "/cong-dan");
    }

    #[test]
    fn random_tokens_are_hex_and_differ() {
        let a = random_hex::<16>().unwrap();
        assert_eq!(a.len(), 32);
        assert!(is_hex_token(&a));
        assert_ne!(a, random_hex::<16>().unwrap());
    }
}
