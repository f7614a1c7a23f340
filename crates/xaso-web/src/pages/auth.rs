//! Logging in and out, the language switch, and the officer's own account.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;
use time::OffsetDateTime;
use xaso_identity::lockout::LoginAttempts;
use xaso_identity::totp::{self, TotpSecret};
use xaso_identity::{password, session};
use xaso_store::{AuditRecord, OfficerRecord, SessionRecord};

use super::{
    cookie, lang_of, layout, local_time, notice, set_cookie, AccountOfficer, Chrome, Officer,
    OrPage, PageError, PageLang, PendingOfficer, LANG_COOKIE, LOGIN_COOKIE, SESSION_COOKIE,
};
use crate::api::{audited, blocking, read};
use crate::i18n::{fill, Lang};
use crate::AppState;

/// The client's address, when the server knows it (rate limits are per address).
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientAddr(addr))
    }
}

/// Records an account event (login, lockout, password change…) of the officer `login`.
async fn account_event(
    state: &AppState,
    lang: Lang,
    login: &str,
    action: &str,
    route: &str,
    role: Option<&str>,
) -> Result<(), PageError> {
    audited(state, vec![login_event(login, action, route, role)])
        .await
        .or_page(lang)
}

async fn save_officer(
    state: &AppState,
    lang: Lang,
    record: &OfficerRecord,
) -> Result<(), PageError> {
    let save = record.clone();
    blocking(state, move |s| s.update_officer(&save))
        .await
        .or_page(lang)
}

fn login_event(login: &str, action: &str, route: &str, role: Option<&str>) -> AuditRecord {
    let mut r = AuditRecord::now(login, "officer", action, route);
    r.role = role.map(str::to_string);
    r
}

pub async fn home(headers: HeaderMap) -> Redirect {
    if cookie(&headers, SESSION_COOKIE).is_some() {
        Redirect::to("/search")
    } else {
        Redirect::to("/login")
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    m: Option<String>,
}

pub async fn login_page(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Query(q): Query<LoginQuery>,
) -> Response {
    let m = lang.msg();
    let message = match q.m.as_deref() {
        Some("expired") => Some(("info", m.session_expired)),
        Some("logout") => Some(("info", m.logged_out)),
        _ => None,
    };
    login_form(
        &state,
        lang,
        message.map(|(k, t)| (k, t.to_string())),
        "",
        StatusCode::OK,
    )
}

fn login_form(
    state: &AppState,
    lang: Lang,
    message: Option<(&str, String)>,
    login: &str,
    status: StatusCode,
) -> Response {
    let m = lang.msg();
    // A fresh pre-login cookie for every form; its token goes in the form.
    let mut bytes = [0u8; 16];
    let _ = getrandom::fill(&mut bytes);
    let pre: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let token = state.web.login_csrf(&pre);
    let ctx = Chrome {
        lang,
        officer: None,
        path: "/login".into(),
    };
    let body = html! {
        section.narrow {
            h1 { (m.login_title) }
            p.muted { (m.app_tagline) }
            @if let Some((kind, text)) = &message { (notice(kind, text)) }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(token);
                p {
                    label for="login" { (m.login_name) }
                    input #login name="login" value=(login) required autocomplete="username" autocapitalize="none" autofocus[login.is_empty()];
                }
                p {
                    label for="password" { (m.login_password) }
                    input #password type="password" name="password" required autocomplete="current-password" autofocus[!login.is_empty()];
                }
                p { button.primary type="submit" { (m.login_submit) } }
            }
        }
    };
    (
        status,
        [(
            header::SET_COOKIE,
            set_cookie(state, LOGIN_COOKIE, &pre, Some(3600), true),
        )],
        Html(layout(&ctx, m.login_title, body).into_string()),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let lang = lang_of(&headers);
    let m = lang.msg();
    let login = form.login.trim().to_lowercase();
    let pre = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if pre.is_empty() || !state.web.verify_csrf(&format!("login:{pre}"), &form.csrf) {
        return Ok(login_form(
            &state,
            lang,
            Some(("error", m.login_expired_form.into())),
            &login,
            StatusCode::FORBIDDEN,
        ));
    }
    if !state.web.allow_login_attempt(&client) {
        return Ok(login_form(
            &state,
            lang,
            Some(("error", m.login_throttled.into())),
            &login,
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let policy = state.web.config.lockout;
    let failed_message = fill(
        m.login_failed,
        &[
            &policy.max_failures.max(1).to_string(),
            &policy.lock_for.whole_minutes().to_string(),
        ],
    );
    let lookup = login.clone();
    let officer = read(&state, move |s| s.get_officer(&lookup))
        .await
        .or_page(lang)?;
    let now = OffsetDateTime::now_utc();
    let Some(mut officer) = officer else {
        // Spend the same time as a real check, so timing does not tell which logins exist.
        let plain = form.password;
        let _ =
            tokio::task::spawn_blocking(move || password::verify_password(&plain, dummy_hash()))
                .await;
        account_event(&state, lang, &login, "login.failed", "POST /login", None).await?;
        return Ok(login_form(
            &state,
            lang,
            Some(("error", failed_message)),
            &login,
            StatusCode::UNAUTHORIZED,
        ));
    };
    let mut attempts: LoginAttempts =
        serde_json::from_str(&officer.login_attempts).unwrap_or_default();
    if let Some(until) = attempts.locked_until(now) {
        // While locked the password is not even checked: right and wrong get the same answer.
        account_event(
            &state,
            lang,
            &login,
            "login.locked",
            "POST /login",
            Some(&officer.role),
        )
        .await?;
        return Ok(login_form(
            &state,
            lang,
            Some((
                "error",
                fill(
                    m.login_locked,
                    &[&local_time(&xaso_store::format_utc(until))],
                ),
            )),
            &login,
            StatusCode::LOCKED,
        ));
    }
    let plain = form.password;
    let phc = officer.password_hash.clone();
    let (ok, plain) = tokio::task::spawn_blocking(move || {
        let ok = password::verify_password(&plain, &phc);
        (ok, plain)
    })
    .await
    .map_err(|e| PageError::from_api(lang, e.into()))?;
    let ok = ok.map_err(|e| {
        tracing::error!("officer {login:?} has an unusable password hash: {e}");
        PageError::new(lang, StatusCode::INTERNAL_SERVER_ERROR, m.error_internal)
    })?;
    if !ok {
        let locked = attempts.record_failure(&policy, now);
        officer.login_attempts = serde_json::to_string(&attempts).unwrap_or_default();
        officer.updated_at = xaso_store::format_utc(now);
        save_officer(&state, lang, &officer).await?;
        let action = if locked.is_some() {
            "login.lockout"
        } else {
            "login.failed"
        };
        account_event(
            &state,
            lang,
            &login,
            action,
            "POST /login",
            Some(&officer.role),
        )
        .await?;
        let message = match locked {
            Some(until) => fill(
                m.login_locked,
                &[&local_time(&xaso_store::format_utc(until))],
            ),
            None => failed_message,
        };
        let status = if locked.is_some() {
            StatusCode::LOCKED
        } else {
            StatusCode::UNAUTHORIZED
        };
        return Ok(login_form(
            &state,
            lang,
            Some(("error", message)),
            &login,
            status,
        ));
    }
    if officer.disabled {
        account_event(
            &state,
            lang,
            &login,
            "login.disabled",
            "POST /login",
            Some(&officer.role),
        )
        .await?;
        return Ok(login_form(
            &state,
            lang,
            Some(("error", m.login_disabled.into())),
            &login,
            StatusCode::FORBIDDEN,
        ));
    }
    attempts.record_success(now);
    officer.login_attempts = serde_json::to_string(&attempts).unwrap_or_default();
    if password::needs_rehash(&officer.password_hash) {
        if let Ok(Ok(h)) =
            tokio::task::spawn_blocking(move || password::hash_password(&plain)).await
        {
            officer.password_hash = h;
        }
    }
    officer.updated_at = xaso_store::format_utc(now);
    let pending = officer.totp_secret.is_some();
    let (cookie_value, _) = new_session(&state, &officer, pending, lang).await?;
    account_event(
        &state,
        lang,
        &login,
        if pending { "login.password" } else { "login" },
        "POST /login",
        Some(&officer.role),
    )
    .await?;
    let to = if pending {
        "/login/totp"
    } else if officer.must_change_password {
        "/account"
    } else {
        "/search"
    };
    Ok((
        // Two cookies: the session, and the end of the pre-login one.
        AppendHeaders([
            (header::SET_COOKIE, cookie_value),
            (
                header::SET_COOKIE,
                set_cookie(&state, LOGIN_COOKIE, "", Some(0), true),
            ),
        ]),
        Redirect::to(to),
    )
        .into_response())
}

/// A hash to check against when the login does not exist, so that such a login costs as much
/// time as a real one (made once, of a random password nobody knows).
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut bytes = [0u8; 16];
        let _ = getrandom::fill(&mut bytes);
        let plain: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        password::hash_password(&plain).unwrap_or_default()
    })
}

/// Saves the officer, starts a session and returns its cookie. Any earlier session id of this
/// browser is simply dropped (a new id at every login: no session fixation).
async fn new_session(
    state: &AppState,
    officer: &OfficerRecord,
    second_factor_pending: bool,
    lang: Lang,
) -> Result<(axum::http::HeaderValue, String), PageError> {
    let id = session::new_session_id().map_err(|e| {
        tracing::error!("no session id: {e}");
        PageError::new(
            lang,
            StatusCode::INTERNAL_SERVER_ERROR,
            lang.msg().error_internal,
        )
    })?;
    let now = xaso_store::now_rfc3339();
    let record = SessionRecord {
        id_hash: id.hash.clone(),
        login: officer.login.clone(),
        created_at: now.clone(),
        last_seen: now,
        second_factor_pending,
    };
    let save = officer.clone();
    blocking(state, move |s| {
        s.update_officer(&save)?;
        s.insert_session(&record)
    })
    .await
    .or_page(lang)?;
    Ok((
        set_cookie(state, SESSION_COOKIE, &id.secret, None, true),
        id.hash,
    ))
}

pub async fn totp_page(PendingOfficer(officer, _, _): PendingOfficer) -> Response {
    totp_form(&officer, None, StatusCode::OK)
}

fn totp_form(officer: &Officer, error: Option<&str>, status: StatusCode) -> Response {
    let m = officer.m();
    let ctx = Chrome {
        lang: officer.lang,
        officer: None,
        path: "/login/totp".into(),
    };
    let body = html! {
        section.narrow {
            h1 { (m.totp_title) }
            @if let Some(e) = error { (notice("error", e)) }
            p { (m.totp_prompt) }
            form method="post" action="/login/totp" {
                (officer.csrf_field())
                p {
                    label for="code" { (m.totp_code) }
                    input #code name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required autofocus;
                }
                p { button.primary type="submit" { (m.verify) } }
            }
        }
    };
    (status, Html(layout(&ctx, m.totp_title, body).into_string())).into_response()
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

pub async fn totp(
    State(state): State<AppState>,
    PendingOfficer(officer, mut record, mut session): PendingOfficer,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    let lang = officer.lang;
    let now = OffsetDateTime::now_utc();
    let policy = state.web.config.lockout;
    let mut attempts: LoginAttempts =
        serde_json::from_str(&record.login_attempts).unwrap_or_default();
    if attempts.locked_until(now).is_some() {
        return Ok(totp_form(
            &officer,
            Some(officer.m().totp_wrong),
            StatusCode::LOCKED,
        ));
    }
    let secret = record
        .totp_secret
        .as_deref()
        .and_then(|s| TotpSecret::from_base32(s).ok());
    let unix = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    let last = record.totp_last_step.and_then(|s| u64::try_from(s).ok());
    let step = secret.and_then(|s| totp::verify(&s, &form.code, unix, last));
    let Some(step) = step else {
        attempts.record_failure(&policy, now);
        record.login_attempts = serde_json::to_string(&attempts).unwrap_or_default();
        save_officer(&state, lang, &record).await?;
        account_event(
            &state,
            lang,
            &record.login,
            "login.totp_failed",
            "POST /login/totp",
            Some(&record.role),
        )
        .await?;
        return Ok(totp_form(
            &officer,
            Some(officer.m().totp_wrong),
            StatusCode::UNAUTHORIZED,
        ));
    };
    record.totp_last_step = i64::try_from(step).ok();
    attempts.record_success(now);
    record.login_attempts = serde_json::to_string(&attempts).unwrap_or_default();
    session.second_factor_pending = false;
    session.last_seen = xaso_store::format_utc(now);
    let (save, save_session) = (record.clone(), session.clone());
    blocking(&state, move |s| {
        s.update_officer(&save)?;
        s.update_session(&save_session)
    })
    .await
    .or_page(lang)?;
    account_event(
        &state,
        lang,
        &record.login,
        "login",
        "POST /login/totp",
        Some(&record.role),
    )
    .await?;
    Ok(Redirect::to(if record.must_change_password {
        "/account"
    } else {
        "/search"
    })
    .into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    AccountOfficer(officer, _): AccountOfficer,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    let hash = officer.session_hash.clone();
    blocking(&state, move |s| s.delete_session(&hash))
        .await
        .or_page(officer.lang)?;
    account_event(
        &state,
        officer.lang,
        &officer.login,
        "logout",
        "POST /logout",
        Some(officer.role.as_str()),
    )
    .await?;
    Ok((
        [(
            header::SET_COOKIE,
            set_cookie(&state, SESSION_COOKIE, "", Some(0), true),
        )],
        Redirect::to("/login?m=logout"),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct BackQuery {
    back: Option<String>,
}

/// Sets the language cookie and goes back to the page (a local path only: no open redirect).
pub async fn switch_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<BackQuery>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    let back = q
        .back
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/".into());
    (
        [(
            header::SET_COOKIE,
            set_cookie(
                &state,
                LANG_COOKIE,
                lang.code(),
                Some(365 * 24 * 3600),
                false,
            ),
        )],
        Redirect::to(&back),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// The officer's own account

pub async fn account(AccountOfficer(officer, record): AccountOfficer) -> Response {
    account_page(&officer, &record, None, None)
}

fn account_page(
    officer: &Officer,
    record: &OfficerRecord,
    message: Option<(&str, String)>,
    totp_setup: Option<(String, String)>,
) -> Response {
    let m = officer.m();
    let body = html! {
        h1 { (m.account_title) }
        @if let Some((kind, text)) = &message { (notice(kind, text)) }
        @if record.must_change_password { (notice("info", m.password_must_change)) }
        dl.facts {
            dt { (m.officer_login) } dd { (record.login) }
            dt { (m.officer_name) } dd { (record.display_name) }
            dt { (m.officer_role) } dd { (officer.lang.role(officer.role)) }
        }
        section {
            h2 { (m.password_change_title) }
            form.stack method="post" action="/account/password" {
                (officer.csrf_field())
                p {
                    label for="current" { (m.password_current) }
                    input #current type="password" name="current" required autocomplete="current-password" autofocus[record.must_change_password];
                }
                p {
                    label for="new" { (m.password_new) }
                    input #new type="password" name="new" required autocomplete="new-password" aria-describedby="new-hint";
                    small #new-hint { (m.password_hint) }
                }
                p {
                    label for="repeat" { (m.password_repeat) }
                    input #repeat type="password" name="repeat" required autocomplete="new-password";
                }
                p { button.primary type="submit" { (m.password_change_title) } }
            }
        }
        @if !record.must_change_password {
            section {
                h2 { (m.totp_section) }
                @if let Some((secret, uri)) = &totp_setup {
                    (totp_setup_help(m, secret, uri))
                    form method="post" action="/account/totp/confirm" {
                        (officer.csrf_field())
                        label for="code" { (m.totp_code) }
                        input #code name="code" inputmode="numeric" autocomplete="one-time-code" required;
                        button.primary type="submit" { (m.verify) }
                    }
                } @else if record.totp_secret.is_some() {
                    p { (m.totp_on) }
                    form method="post" action="/account/totp/disable" {
                        (officer.csrf_field())
                        label for="totp-password" { (m.password_current) }
                        input #totp-password type="password" name="current" required autocomplete="current-password";
                        button type="submit" { (m.totp_disable) }
                    }
                } @else {
                    p { (m.totp_off) }
                    form method="post" action="/account/totp/start" {
                        (officer.csrf_field())
                        button type="submit" { (m.totp_enable) }
                    }
                }
            }
        }
    };
    officer.page(m.account_title, body)
}

/// "ABCDEFGH..." as "ABCD EFGH ..." for typing into a phone.
fn group(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    AccountOfficer(officer, mut record): AccountOfficer,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    let lang = officer.lang;
    let m = officer.m();
    let fail = |text: String| Ok(account_page(&officer, &record, Some(("error", text)), None));
    if form.new != form.repeat {
        return fail(m.password_mismatch.into());
    }
    if let Err(e) = password::check_password_policy(&form.new, &record.login) {
        return fail(match lang {
            Lang::Vi => e.vi(),
            Lang::En => e.en(),
        });
    }
    let phc = record.password_hash.clone();
    let (current, new) = (form.current, form.new);
    let checked =
        tokio::task::spawn_blocking(move || match password::verify_password(&current, &phc) {
            Ok(true) => password::hash_password(&new).map(Some),
            Ok(false) => Ok(None),
            Err(e) => Err(e),
        })
        .await
        .map_err(|e| PageError::from_api(lang, e.into()))?
        .map_err(|e| {
            tracing::error!("password change failed: {e}");
            PageError::new(lang, StatusCode::INTERNAL_SERVER_ERROR, m.error_internal)
        })?;
    let Some(hash) = checked else {
        return fail(m.password_wrong_current.into());
    };
    record.password_hash = hash;
    record.must_change_password = false;
    record.updated_at = xaso_store::now_rfc3339();
    // Every other session of this officer ends; this browser gets a new one.
    let login = record.login.clone();
    blocking(&state, move |s| s.delete_sessions_of(&login).map(|_| ()))
        .await
        .or_page(lang)?;
    let (cookie_value, hash) = new_session(&state, &record, false, lang).await?;
    account_event(
        &state,
        lang,
        &record.login,
        "account.password",
        "POST /account/password",
        Some(&record.role),
    )
    .await?;
    let mut officer = officer.clone();
    officer.csrf = state.web.csrf_for(&hash);
    officer.session_hash = hash;
    let mut response = account_page(
        &officer,
        &record,
        Some(("ok", m.password_changed.into())),
        None,
    );
    response
        .headers_mut()
        .append(header::SET_COOKIE, cookie_value);
    Ok(response)
}

const PENDING_TOTP_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Parks a freshly generated TOTP secret (base32) under `key` until the
/// holder confirms it, dropping enrolments that have gone stale.  Shared by
/// the officer and citizen account pages.
pub(crate) fn remember_pending_totp(state: &AppState, key: String, base32: &str) {
    let mut pending = state
        .web
        .pending_totp
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    pending.retain(|_, (_, at)| at.elapsed() < PENDING_TOTP_TTL);
    pending.insert(key, (base32.to_owned(), Instant::now()));
}

/// Drops the pending enrolment under `key` once it has been confirmed.
pub(crate) fn forget_pending_totp(state: &AppState, key: &str) {
    state
        .web
        .pending_totp
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(key);
}

/// How to add the account to an authenticator app: the `otpauth://` URI as a QR code to scan,
/// and the secret to type for an app that cannot scan.
pub(crate) fn totp_setup_help(m: &crate::i18n::Messages, secret: &str, uri: &str) -> maud::Markup {
    html! {
        p { (m.totp_setup) }
        div.qr-block {
            figure #totp-qr {
                (crate::pages::dossiers::qr_svg(uri))
                figcaption { (m.totp_scan) }
            }
        }
        p { (m.totp_secret) ": " code.secret { (group(secret)) } }
        p.muted { code { (uri) } }
    }
}

/// What became of a TOTP enrolment confirmation.
pub(crate) enum TotpEnrolment {
    /// No live pending secret under the key (never started, or too old).
    Expired,
    /// The code did not match; the secret and its `otpauth://` URI are
    /// handed back so the page can show the QR code again.
    Wrong { base32: String, uri: String },
    /// The code matched at this time step.
    Confirmed { base32: String, step: u64 },
}

/// Checks `code` against the secret pending under `key`; `label` names the
/// account in the `otpauth://` URI.  Err carries an undecodable stored secret.
pub(crate) fn check_totp_enrolment(
    state: &AppState,
    key: &str,
    code: &str,
    label: &str,
) -> Result<TotpEnrolment, String> {
    let pending = {
        let map = state
            .web
            .pending_totp
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(_, at)| at.elapsed() < PENDING_TOTP_TTL)
            .map(|(s, _)| s.clone())
    };
    let Some(base32) = pending else {
        return Ok(TotpEnrolment::Expired);
    };
    let secret = TotpSecret::from_base32(&base32).map_err(|e| e.to_string())?;
    let unix = u64::try_from(OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
    Ok(match totp::verify(&secret, code, unix, None) {
        Some(step) => TotpEnrolment::Confirmed { base32, step },
        None => {
            let uri = totp::otpauth_uri(&secret, totp::DEFAULT_ISSUER, label);
            TotpEnrolment::Wrong { base32, uri }
        }
    })
}

pub async fn totp_start(
    State(state): State<AppState>,
    AccountOfficer(officer, record): AccountOfficer,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    let lang = officer.lang;
    let secret = TotpSecret::generate().map_err(|e| {
        tracing::error!("no TOTP secret: {e}");
        PageError::new(
            lang,
            StatusCode::INTERNAL_SERVER_ERROR,
            lang.msg().error_internal,
        )
    })?;
    let base32 = secret.to_base32();
    let uri = totp::otpauth_uri(&secret, totp::DEFAULT_ISSUER, &record.login);
    remember_pending_totp(&state, officer.session_hash.clone(), &base32);
    Ok(account_page(&officer, &record, None, Some((base32, uri))))
}

pub async fn totp_confirm(
    State(state): State<AppState>,
    AccountOfficer(officer, mut record): AccountOfficer,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    let lang = officer.lang;
    let m = officer.m();
    let enrolment = check_totp_enrolment(&state, &officer.session_hash, &form.code, &record.login)
        .map_err(|e| PageError::new(lang, StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let (base32, step) = match enrolment {
        TotpEnrolment::Expired => {
            return Ok(account_page(
                &officer,
                &record,
                Some(("error", m.login_expired_form.into())),
                None,
            ))
        }
        TotpEnrolment::Wrong { base32, uri } => {
            return Ok(account_page(
                &officer,
                &record,
                Some(("error", m.totp_wrong.into())),
                Some((base32, uri)),
            ))
        }
        TotpEnrolment::Confirmed { base32, step } => (base32, step),
    };
    record.totp_secret = Some(base32);
    record.totp_last_step = i64::try_from(step).ok();
    record.updated_at = xaso_store::now_rfc3339();
    save_officer(&state, lang, &record).await?;
    forget_pending_totp(&state, &officer.session_hash);
    account_event(
        &state,
        lang,
        &record.login,
        "account.totp_on",
        "POST /account/totp/confirm",
        Some(&record.role),
    )
    .await?;
    Ok(account_page(
        &officer,
        &record,
        Some(("ok", m.totp_enabled.into())),
        None,
    ))
}

#[derive(Deserialize)]
pub struct DisableTotpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
}

pub async fn totp_disable(
    State(state): State<AppState>,
    AccountOfficer(officer, mut record): AccountOfficer,
    Form(form): Form<DisableTotpForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    let lang = officer.lang;
    let m = officer.m();
    let phc = record.password_hash.clone();
    let current = form.current;
    let ok = tokio::task::spawn_blocking(move || password::verify_password(&current, &phc))
        .await
        .map_err(|e| PageError::from_api(lang, e.into()))?
        .unwrap_or(false);
    if !ok {
        return Ok(account_page(
            &officer,
            &record,
            Some(("error", m.password_wrong_current.into())),
            None,
        ));
    }
    record.totp_secret = None;
    record.totp_last_step = None;
    record.updated_at = xaso_store::now_rfc3339();
    save_officer(&state, lang, &record).await?;
    account_event(
        &state,
        lang,
        &record.login,
        "account.totp_off",
        "POST /account/totp/disable",
        Some(&record.role),
    )
    .await?;
    Ok(account_page(
        &officer,
        &record,
        Some(("ok", m.totp_disabled.into())),
        None,
    ))
}
