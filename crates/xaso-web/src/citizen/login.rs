//! Signing in and out. As the officers' login: a CSRF token bound to a cookie of its own, rate
//! limits per client address, the account locked after repeated failures (while locked the
//! password is not even checked), the same answer and about the same time for an unknown
//! personal ID and a wrong password, a new session id at every sign-in.
//!
//! Between the password and the end of the sign-in (the TOTP code, or a new password in place
//! of a one-time one) the browser holds only a pending token in the `xaso_citizen_pending`
//! cookie (in memory on the server, 10 minutes): no session exists yet, so nothing else opens —
//! neither the portal nor the OpenID provider.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;
use time::OffsetDateTime;
use xaso_identity::lockout::LoginAttempts;
use xaso_identity::totp::{self, TotpSecret};
use xaso_store::CitizenRecord;

use super::session::{self, local_next};
use super::{
    allow_sign_in, audit, check_form, citizen_event, form_binding, form_csrf, new_password_hash,
    page, random_hex, set_password, verify_password, with_cookie, Fail,
};
use crate::api::{blocking, read};
use crate::i18n::{fill, Lang};
use crate::pages::auth::ClientAddr;
use crate::pages::dossiers::tr;
use crate::pages::{cookie, lang_of, local_time, notice, set_cookie};
use crate::AppState;

/// The cookie of a sign-in waiting for its second factor or a new password.
const PENDING_COOKIE: &str = "xaso_citizen_pending";
const PENDING_TTL: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The password was right; the TOTP code is due.
    SecondFactor,
    /// Signed in with a one-time password: a new one must be chosen first.
    NewPassword,
}

#[derive(Debug, Clone)]
struct Pending {
    personal_id: String,
    next: String,
    stage: Stage,
    methods: Vec<&'static str>,
    at: Instant,
}

fn pending_map() -> MutexGuard<'static, HashMap<String, Pending>> {
    static MAP: OnceLock<Mutex<HashMap<String, Pending>>> = OnceLock::new();
    MAP.get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Keeps a pending sign-in; returns the cookie that names it.
fn put_pending(state: &AppState, lang: Lang, pending: Pending) -> Result<HeaderValue, Fail> {
    let token = random_hex::<32>().map_err(|e| Fail::api(lang, e))?;
    let mut map = pending_map();
    if map.len() > 10_000 {
        map.retain(|_, p| p.at.elapsed() < PENDING_TTL);
    }
    map.insert(token.clone(), pending);
    Ok(set_cookie(state, PENDING_COOKIE, &token, Some(600), true))
}

/// The pending sign-in this browser names, at `stage`.
fn pending(headers: &HeaderMap, stage: Stage) -> Option<(String, Pending)> {
    let token = cookie(headers, PENDING_COOKIE)?;
    let map = pending_map();
    let p = map
        .get(token)
        .filter(|p| p.stage == stage && p.at.elapsed() < PENDING_TTL)?;
    Some((token.to_owned(), p.clone()))
}

fn drop_pending(token: &str) {
    pending_map().remove(token);
}

fn pending_csrf(state: &AppState, token: &str) -> String {
    state.web.csrf_for(&format!("citizen-pending:{token}"))
}

fn check_pending_csrf(state: &AppState, token: &str, csrf: &str) -> bool {
    state
        .web
        .verify_csrf(&format!("citizen-pending:{token}"), csrf)
}

/// A hash to check against when the personal ID has no account, so that such a sign-in
/// costs as much time as a real one.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let plain = random_hex::<16>().unwrap_or_else(|_| "not a password anyone has".into());
        xaso_identity::password::hash_password(&plain).unwrap_or_default()
    })
}

// ---------------------------------------------------------------------------------------------
// The form

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    m: Option<String>,
    /// `login`: ask for the password even when a session is alive (the OpenID provider's
    /// `prompt=login`, `max_age`, or a step-up).
    prompt: Option<String>,
}

pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, Fail> {
    let lang = lang_of(&headers);
    let next = local_next(q.next.as_deref());
    if q.prompt.as_deref() != Some("login") && session::current(&state, &headers).await.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let message = match q.m.as_deref() {
        Some("signed-out") => Some((
            "info",
            tr(lang, "Bạn đã đăng xuất.", "You have signed out."),
        )),
        Some("recovered") => Some((
            "ok",
            tr(
                lang,
                "Đã đặt mật khẩu mới. Hãy đăng nhập.",
                "Your new password is set. Please sign in.",
            ),
        )),
        Some("expired") => Some(("info", lang.msg().session_expired)),
        _ => None,
    };
    let (binding, set) = form_binding(&state, &headers).map_err(|e| Fail::api(lang, e))?;
    Ok(with_cookie(
        form(
            &state,
            lang,
            &binding,
            "",
            &next,
            message.map(|(k, t)| (k, t.to_owned())),
            StatusCode::OK,
        ),
        set,
    ))
}

fn form(
    state: &AppState,
    lang: Lang,
    binding: &str,
    personal_id: &str,
    next: &str,
    message: Option<(&str, String)>,
    status: StatusCode,
) -> Response {
    let m = lang.msg();
    let title = tr(
        lang,
        "Đăng nhập tài khoản định danh",
        "Sign in with your identity account",
    );
    let body = html! {
        section.narrow {
            h1 { (title) }
            p.muted { (tr(lang, "Dành cho công dân. Cán bộ đăng nhập tại ", "For citizens. Officers sign in at ")) a href="/login" { "/login" } "." }
            @if let Some((kind, text)) = &message { (notice(kind, text)) }
            form.stack method="post" action=(session::LOGIN_PATH) {
                input type="hidden" name="csrf" value=(form_csrf(state, binding));
                input type="hidden" name="next" value=(next);
                p {
                    label for="personal_id" { (m.f_personal_id) }
                    input #personal_id name="personal_id" value=(personal_id) required inputmode="numeric" autocomplete="username" maxlength="20" autofocus[personal_id.is_empty()];
                }
                p {
                    label for="password" { (m.login_password) }
                    input #password type="password" name="password" required autocomplete="current-password" autofocus[!personal_id.is_empty()];
                }
                p { button.primary type="submit" { (tr(lang, "Đăng nhập", "Sign in")) } }
            }
            p {
                a href="/cong-dan/dang-ky" { (tr(lang, "Chưa có tài khoản? Đăng ký", "No account yet? Register")) }
                " · "
                a href="/cong-dan/khoi-phuc" { (tr(lang, "Quên mật khẩu?", "Forgot your password?")) }
            }
        }
    };
    page(state, lang, None, session::LOGIN_PATH, title, body, status)
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    personal_id: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

const ROUTE: &str = "POST /cong-dan/dang-nhap";

async fn save(state: &AppState, lang: Lang, account: &CitizenRecord) -> Result<(), Fail> {
    let record = account.clone();
    blocking(state, move |s| s.update_citizen(&record))
        .await
        .map_err(|e| Fail::api(lang, e))
}

fn locked_message(lang: Lang, until: OffsetDateTime) -> String {
    fill(
        lang.msg().login_locked,
        &[&local_time(&xaso_store::format_utc(until))],
    )
}

pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, Fail> {
    let lang = lang_of(&headers);
    let m = lang.msg();
    let next = local_next(Some(&f.next));
    let typed: String = f
        .personal_id
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let Some(binding) = check_form(&state, &headers, &f.csrf) else {
        let (binding, set) = form_binding(&state, &headers).map_err(|e| Fail::api(lang, e))?;
        return Ok(with_cookie(
            form(
                &state,
                lang,
                &binding,
                &typed,
                &next,
                Some(("error", m.login_expired_form.into())),
                StatusCode::FORBIDDEN,
            ),
            set,
        ));
    };
    let answer = |message: String, status: StatusCode| {
        Ok(form(
            &state,
            lang,
            &binding,
            &typed,
            &next,
            Some(("error", message)),
            status,
        ))
    };
    if !allow_sign_in(&client) {
        return answer(m.login_throttled.into(), StatusCode::TOO_MANY_REQUESTS);
    }
    let policy = state.web.config.lockout;
    let failed = match lang {
        Lang::Vi => format!(
            "Số định danh cá nhân hoặc mật khẩu không đúng. Sau {} lần sai, tài khoản bị tạm khoá {} phút.",
            policy.max_failures.max(1),
            policy.lock_for.whole_minutes()
        ),
        Lang::En => format!(
            "Wrong personal ID or password. After {} failures the account is locked for {} minutes.",
            policy.max_failures.max(1),
            policy.lock_for.whole_minutes()
        ),
    };
    let well_formed = typed.len() == 12 && typed.bytes().all(|b| b.is_ascii_digit());
    let lookup = typed.clone();
    let account = if well_formed {
        read(&state, move |s| s.get_citizen(&lookup))
            .await
            .map_err(|e| Fail::api(lang, e))?
    } else {
        None
    };
    let now = OffsetDateTime::now_utc();
    let Some(mut account) = account else {
        // The same time as a real check, so that timing does not tell which IDs have accounts.
        let _ = verify_password(lang, &f.password, dummy_hash()).await;
        if well_formed {
            audit(
                &state,
                lang,
                vec![citizen_event(&typed, "citizen.signin.failed", ROUTE)],
            )
            .await?;
        }
        return answer(failed, StatusCode::UNAUTHORIZED);
    };
    let mut attempts: LoginAttempts =
        serde_json::from_str(&account.login_attempts).unwrap_or_default();
    if let Some(until) = attempts.locked_until(now) {
        // While locked the password is not checked: right and wrong get the same answer.
        audit(
            &state,
            lang,
            vec![citizen_event(&typed, "citizen.signin.locked", ROUTE)],
        )
        .await?;
        return answer(locked_message(lang, until), StatusCode::LOCKED);
    }
    if !verify_password(lang, &f.password, &account.password_hash).await? {
        let locked = attempts.record_failure(&policy, now);
        account.login_attempts = serde_json::to_string(&attempts).unwrap_or_default();
        save(&state, lang, &account).await?;
        let action = if locked.is_some() {
            "citizen.signin.lockout"
        } else {
            "citizen.signin.failed"
        };
        audit(&state, lang, vec![citizen_event(&typed, action, ROUTE)]).await?;
        return match locked {
            Some(until) => answer(locked_message(lang, until), StatusCode::LOCKED),
            None => answer(failed, StatusCode::UNAUTHORIZED),
        };
    }
    if account.disabled {
        audit(
            &state,
            lang,
            vec![citizen_event(&typed, "citizen.signin.disabled", ROUTE)],
        )
        .await?;
        return answer(
            tr(
                lang,
                "Tài khoản này đã bị khoá. Hãy liên hệ bộ phận một cửa của xã.",
                "This account is disabled. Please contact the commune's one-stop desk.",
            )
            .into(),
            StatusCode::FORBIDDEN,
        );
    }
    attempts.record_success(now);
    account.login_attempts = serde_json::to_string(&attempts).unwrap_or_default();
    if xaso_identity::password::needs_rehash(&account.password_hash) {
        let plain = f.password.clone();
        if let Ok(Ok(h)) =
            tokio::task::spawn_blocking(move || xaso_identity::password::hash_password(&plain))
                .await
        {
            account.password_hash = h;
        }
    }
    account.updated_at = xaso_store::format_utc(now);
    save(&state, lang, &account).await?;
    let stage = if account.totp_secret.is_some() {
        Some(Stage::SecondFactor)
    } else if account.must_change_password {
        Some(Stage::NewPassword)
    } else {
        None
    };
    let Some(stage) = stage else {
        return finish(&state, &headers, lang, &account, &["pwd"], &next, None).await;
    };
    audit(
        &state,
        lang,
        vec![citizen_event(&typed, "citizen.signin.password", ROUTE)],
    )
    .await?;
    let cookie = put_pending(
        &state,
        lang,
        Pending {
            personal_id: account.personal_id.clone(),
            next,
            stage,
            methods: vec!["pwd"],
            at: Instant::now(),
        },
    )?;
    let to = match stage {
        Stage::SecondFactor => "/cong-dan/dang-nhap/ma",
        Stage::NewPassword => "/cong-dan/dang-nhap/doi-mat-khau",
    };
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(to)).into_response())
}

/// The sign-in is complete: a new session, the pending token (if any) gone, on to `next`.
async fn finish(
    state: &AppState,
    headers: &HeaderMap,
    lang: Lang,
    account: &CitizenRecord,
    methods: &[&str],
    next: &str,
    pending_token: Option<&str>,
) -> Result<Response, Fail> {
    let started = session::start(state, headers, &account.personal_id, account.level, methods)
        .await
        .map_err(|e| Fail::api(lang, e))?;
    if let Some(t) = pending_token {
        drop_pending(t);
    }
    audit(
        state,
        lang,
        vec![citizen_event(&account.personal_id, "citizen.signin", ROUTE)],
    )
    .await?;
    Ok((
        AppendHeaders([
            (header::SET_COOKIE, started.cookie),
            (
                header::SET_COOKIE,
                set_cookie(state, PENDING_COOKIE, "", Some(0), true),
            ),
        ]),
        Redirect::to(next),
    )
        .into_response())
}

/// No pending sign-in at this stage: back to the form.
fn restart() -> Response {
    Redirect::to(&format!("{}?m=expired", session::LOGIN_PATH)).into_response()
}

async fn load_account(
    state: &AppState,
    lang: Lang,
    personal_id: &str,
) -> Result<Option<CitizenRecord>, Fail> {
    let id = personal_id.to_owned();
    Ok(read(state, move |s| s.get_citizen(&id))
        .await
        .map_err(|e| Fail::api(lang, e))?
        .filter(|a| !a.disabled))
}

// ---------------------------------------------------------------------------------------------
// The second factor

pub async fn totp_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    stage_page(&state, &headers, Stage::SecondFactor, totp_form)
}

/// The form of a pending sign-in's `stage`, blank; the sign-in starts again
/// when there is no such pending sign-in.
fn stage_page(
    state: &AppState,
    headers: &HeaderMap,
    stage: Stage,
    form: fn(&AppState, Lang, &str, Option<&str>, StatusCode) -> Response,
) -> Response {
    let lang = lang_of(headers);
    match pending(headers, stage) {
        Some((token, _)) => form(state, lang, &token, None, StatusCode::OK),
        None => restart(),
    }
}

fn totp_form(
    state: &AppState,
    lang: Lang,
    token: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let m = lang.msg();
    let body = html! {
        section.narrow {
            h1 { (m.totp_title) }
            @if let Some(e) = error { (notice("error", e)) }
            p { (m.totp_prompt) }
            form method="post" action="/cong-dan/dang-nhap/ma" {
                input type="hidden" name="csrf" value=(pending_csrf(state, token));
                p {
                    label for="code" { (m.totp_code) }
                    input #code name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required autofocus;
                }
                p { button.primary type="submit" { (m.verify) } }
            }
        }
    };
    page(
        state,
        lang,
        None,
        "/cong-dan/dang-nhap/ma",
        m.totp_title,
        body,
        status,
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

pub async fn totp(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Result<Response, Fail> {
    let lang = lang_of(&headers);
    let Some((token, mut p)) = pending(&headers, Stage::SecondFactor) else {
        return Ok(restart());
    };
    if !check_pending_csrf(&state, &token, &f.csrf) {
        return Err(Fail::csrf(lang));
    }
    let Some(mut account) = load_account(&state, lang, &p.personal_id).await? else {
        drop_pending(&token);
        return Ok(restart());
    };
    let route = "POST /cong-dan/dang-nhap/ma";
    let now = OffsetDateTime::now_utc();
    let policy = state.web.config.lockout;
    let mut attempts: LoginAttempts =
        serde_json::from_str(&account.login_attempts).unwrap_or_default();
    if let Some(until) = attempts.locked_until(now) {
        drop_pending(&token);
        return Ok(totp_form(
            &state,
            lang,
            &token,
            Some(&locked_message(lang, until)),
            StatusCode::LOCKED,
        ));
    }
    let secret = account
        .totp_secret
        .as_deref()
        .and_then(|s| TotpSecret::from_base32(s).ok());
    let unix = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    let last = account.totp_last_step.and_then(|s| u64::try_from(s).ok());
    let Some(step) = secret.and_then(|s| totp::verify(&s, &f.code, unix, last)) else {
        let locked = attempts.record_failure(&policy, now);
        account.login_attempts = serde_json::to_string(&attempts).unwrap_or_default();
        save(&state, lang, &account).await?;
        audit(
            &state,
            lang,
            vec![citizen_event(
                &account.personal_id,
                "citizen.signin.totp_failed",
                route,
            )],
        )
        .await?;
        if let Some(until) = locked {
            drop_pending(&token);
            return Ok(totp_form(
                &state,
                lang,
                &token,
                Some(&locked_message(lang, until)),
                StatusCode::LOCKED,
            ));
        }
        return Ok(totp_form(
            &state,
            lang,
            &token,
            Some(lang.msg().totp_wrong),
            StatusCode::UNAUTHORIZED,
        ));
    };
    account.totp_last_step = i64::try_from(step).ok();
    attempts.record_success(now);
    account.login_attempts = serde_json::to_string(&attempts).unwrap_or_default();
    account.updated_at = xaso_store::format_utc(now);
    save(&state, lang, &account).await?;
    p.methods.push("totp");
    if account.must_change_password {
        p.stage = Stage::NewPassword;
        p.at = Instant::now();
        pending_map().insert(token, p);
        return Ok(Redirect::to("/cong-dan/dang-nhap/doi-mat-khau").into_response());
    }
    finish(
        &state,
        &headers,
        lang,
        &account,
        &p.methods,
        &p.next,
        Some(&token),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// A new password in place of a one-time one

pub async fn new_password_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    stage_page(&state, &headers, Stage::NewPassword, new_password_form)
}

fn new_password_form(
    state: &AppState,
    lang: Lang,
    token: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let m = lang.msg();
    let title = m.password_change_title;
    let body = html! {
        section.narrow {
            h1 { (title) }
            (notice("info", tr(lang,
                "Bạn đăng nhập bằng mật khẩu dùng một lần. Hãy chọn mật khẩu của riêng bạn để tiếp tục.",
                "You signed in with a one-time password. Choose your own password to continue.")))
            @if let Some(e) = error { (notice("error", e)) }
            form.stack method="post" action="/cong-dan/dang-nhap/doi-mat-khau" {
                input type="hidden" name="csrf" value=(pending_csrf(state, token));
                p {
                    label for="new" { (m.password_new) }
                    input #new type="password" name="new" required autocomplete="new-password" aria-describedby="new-hint" autofocus;
                    small #new-hint { (m.password_hint) }
                }
                p {
                    label for="repeat" { (m.password_repeat) }
                    input #repeat type="password" name="repeat" required autocomplete="new-password";
                }
                p { button.primary type="submit" { (title) } }
            }
        }
    };
    page(
        state,
        lang,
        None,
        "/cong-dan/dang-nhap/doi-mat-khau",
        title,
        body,
        status,
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

pub async fn new_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<NewPasswordForm>,
) -> Result<Response, Fail> {
    let lang = lang_of(&headers);
    let Some((token, p)) = pending(&headers, Stage::NewPassword) else {
        return Ok(restart());
    };
    if !check_pending_csrf(&state, &token, &f.csrf) {
        return Err(Fail::csrf(lang));
    }
    let Some(mut account) = load_account(&state, lang, &p.personal_id).await? else {
        drop_pending(&token);
        return Ok(restart());
    };
    let hash = match new_password_hash(lang, &account.personal_id, &f.new, &f.repeat).await? {
        Ok(h) => h,
        Err(message) => {
            return Ok(new_password_form(
                &state,
                lang,
                &token,
                Some(&message),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    };
    // The new password may not be the one-time one.
    if verify_password(lang, &f.new, &account.password_hash).await? {
        return Ok(new_password_form(
            &state,
            lang,
            &token,
            Some(tr(
                lang,
                "Hãy chọn một mật khẩu khác mật khẩu dùng một lần.",
                "Choose a password other than the one-time one.",
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let route = "POST /cong-dan/dang-nhap/doi-mat-khau";
    set_password(&state, lang, &mut account, hash, route).await?;
    audit(
        &state,
        lang,
        vec![citizen_event(
            &account.personal_id,
            "citizen.password",
            "POST /cong-dan/dang-nhap/doi-mat-khau",
        )],
    )
    .await?;
    finish(
        &state,
        &headers,
        lang,
        &account,
        &p.methods,
        &p.next,
        Some(&token),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Signing out

#[derive(Debug, Default, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Signs out of the provider's session (and so of the portal's, bound to it): from the
/// portal, or from a page of the provider itself where there is no portal cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Fail> {
    let signed_in = match super::portal_sign_in::current(&state, &headers).await {
        Some(c) => Some(c),
        None => session::current(&state, &headers).await,
    };
    let Some(citizen) = signed_in else {
        return Ok(Redirect::to(session::LOGIN_PATH).into_response());
    };
    let lang = citizen.lang;
    if !citizen.check_csrf(&state, &f.csrf) {
        return Err(Fail::csrf(lang));
    }
    let by = session::EndedBy::citizen(&citizen.personal_id, "POST /cong-dan/dang-xuat");
    session::end(&state, &citizen.session_hash, by)
        .await
        .map_err(|e| Fail::api(lang, e))?;
    audit(
        &state,
        lang,
        vec![citizen_event(
            &citizen.personal_id,
            "citizen.signout",
            "POST /cong-dan/dang-xuat",
        )],
    )
    .await?;
    Ok((
        [
            (
                header::SET_COOKIE,
                session::session_cookie(&state, "", Some(0)),
            ),
            (
                header::SET_COOKIE,
                super::portal_sign_in::portal_cookie(&state, "", Some(0)),
            ),
        ],
        Redirect::to(&format!("{}?m=signed-out", session::LOGIN_PATH)),
    )
        .into_response())
}
