//! Registration online at level 1, and account recovery: both go personal data → a one-time
//! code to the phone → a password.
//!
//! Registration: the personal ID, full name and date of birth must all match the register
//! (one answer for any mismatch, never which field — no oracle for guessing a date of birth),
//! the person alive and without an account; the phone is the citizen's (national 10-digit
//! mobile form). Recovery: the personal ID and the phone registered with the account; the
//! answer is the same whether they match or not (a code is sent only when they do), and the
//! code form answers the same for a wrong code and a code that was never sent.

use std::ops::ControlFlow;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;
use xaso_domain::{name, PartialDate, PersonalId};
use xaso_store::CitizenRecord;

use super::code::{self, Checked, Issued, Purpose};
use super::{
    allow_code_request, audit, check_form, citizen_event, form_binding, form_csrf, mask_phone,
    new_password_hash, page, session, with_cookie, Fail,
};
use crate::api::{blocking, read};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::pages::auth::ClientAddr;
use crate::pages::dossiers::tr;
use crate::pages::{lang_of, notice};
use crate::AppState;

/// Which of the two flows a form belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Register,
    Recover,
}

impl Flow {
    fn purpose(self) -> Purpose {
        match self {
            Flow::Register => Purpose::Registration,
            Flow::Recover => Purpose::Recovery,
        }
    }

    fn base(self) -> &'static str {
        match self {
            Flow::Register => "/cong-dan/dang-ky",
            Flow::Recover => "/cong-dan/khoi-phuc",
        }
    }

    fn title(self, lang: Lang) -> &'static str {
        match self {
            Flow::Register => tr(
                lang,
                "Đăng ký tài khoản định danh",
                "Register an identity account",
            ),
            Flow::Recover => tr(lang, "Khôi phục tài khoản", "Recover your account"),
        }
    }
}

type Message = (&'static str, String);

#[derive(Debug, Default, Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    personal_id: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    phone: String,
}

// ---------------------------------------------------------------------------------------------
// The first form

pub async fn register_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    first_page(&state, &headers, Flow::Register)
}

pub async fn recover_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    first_page(&state, &headers, Flow::Recover)
}

fn first_page(state: &AppState, headers: &HeaderMap, flow: Flow) -> Result<Response, Fail> {
    let lang = lang_of(headers);
    let (binding, set) = form_binding(state, headers).map_err(|e| Fail::api(lang, e))?;
    Ok(with_cookie(
        first_form(
            state,
            lang,
            flow,
            &binding,
            &PersonForm::default(),
            None,
            StatusCode::OK,
        ),
        set,
    ))
}

fn first_form(
    state: &AppState,
    lang: Lang,
    flow: Flow,
    binding: &str,
    values: &PersonForm,
    message: Option<Message>,
    status: StatusCode,
) -> Response {
    let m = lang.msg();
    let body = html! {
        section.narrow {
            h1 { (flow.title(lang)) }
            @match flow {
                Flow::Register => p.muted { (tr(lang,
                    "Dành cho người có tên trong Cơ sở dữ liệu dân cư của xã. Số định danh cá nhân, họ tên và ngày sinh phải đúng như trong Cơ sở dữ liệu; mã xác nhận sẽ được gửi tới số điện thoại của bạn. Tài khoản đăng ký trực tuyến ở mức 1; mức 2 do cán bộ bộ phận một cửa nâng sau khi kiểm tra chip căn cước.",
                    "For people in the commune's population register. Your personal ID, full name and date of birth must be as the register has them; a confirmation code is sent to your phone. An account registered online is at level 1; the one-stop desk raises it to level 2 after checking your ID card's chip.")) },
                Flow::Recover => p.muted { (tr(lang,
                    "Nhập số định danh cá nhân và số điện thoại đã đăng ký với tài khoản: nếu khớp, một mã xác nhận sẽ được gửi tới số điện thoại đó.",
                    "Enter your personal ID and the phone number registered with your account: if they match, a confirmation code is sent to that phone.")) },
            }
            @if let Some((kind, text)) = &message { (notice(kind, text)) }
            form.stack method="post" action=(flow.base()) {
                input type="hidden" name="csrf" value=(form_csrf(state, binding));
                p {
                    label for="personal_id" { (m.f_personal_id) }
                    input #personal_id name="personal_id" value=(values.personal_id) required inputmode="numeric" autocomplete="username" maxlength="20" autofocus;
                }
                @if flow == Flow::Register {
                    p {
                        label for="full_name" { (m.f_full_name) }
                        input #full_name name="full_name" value=(values.full_name) required autocomplete="name" maxlength="200";
                    }
                    p {
                        label for="date_of_birth" { (m.f_date_of_birth) }
                        input #date_of_birth name="date_of_birth" value=(values.date_of_birth) required placeholder=(tr(lang, "ngày/tháng/năm", "day/month/year")) autocomplete="bday" maxlength="20";
                    }
                }
                p {
                    label for="phone" { (tr(lang, "Số điện thoại di động", "Mobile phone number")) }
                    input #phone type="tel" name="phone" value=(values.phone) required autocomplete="tel" inputmode="tel" maxlength="20";
                }
                p { button.primary type="submit" { (tr(lang, "Gửi mã xác nhận", "Send a confirmation code")) } }
            }
            p {
                @match flow {
                    Flow::Register => { a href="/cong-dan/dang-nhap" { (tr(lang, "Đã có tài khoản? Đăng nhập", "Have an account? Sign in")) } }
                    Flow::Recover => { a href="/cong-dan/dang-nhap" { (tr(lang, "Về trang đăng nhập", "Back to sign-in")) } }
                }
            }
        }
    };
    page(
        state,
        lang,
        None,
        flow.base(),
        flow.title(lang),
        body,
        status,
    )
}

/// A phone number in the national 10-digit mobile form (codes go by SMS), or the message.
fn mobile(lang: Lang, raw: &str) -> Result<String, String> {
    match xaso_services::validate::normalize_phone(raw) {
        Some(p) if p.len() == 10 => Ok(p),
        _ => Err(tr(
            lang,
            "Số điện thoại di động: 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09 (ví dụ 0912 345 678).",
            "Mobile phone number: 10 digits starting 03, 05, 07, 08 or 09 (e.g. 0912 345 678).",
        )
        .to_owned()),
    }
}

fn parse_id(lang: Lang, raw: &str) -> Result<PersonalId, String> {
    PersonalId::parse(raw).map_err(|e| {
        let why = match lang {
            Lang::Vi => e.vi(),
            Lang::En => e.to_string(),
        };
        format!("{}: {why}", lang.msg().f_personal_id)
    })
}

/// Every part of the date the register knows is typed, and the same.
fn same_birth_date(typed: &PartialDate, register: &PartialDate) -> bool {
    typed.year() == register.year()
        && register.month().is_none_or(|m| typed.month() == Some(m))
        && register.day().is_none_or(|d| typed.day() == Some(d))
}

/// A posted first form (register or recover) whose binding checked out:
/// refusals draw it again with the values typed.
struct FirstPost<'a> {
    state: &'a AppState,
    lang: Lang,
    flow: Flow,
    binding: String,
    form: &'a PersonForm,
}

impl FirstPost<'_> {
    fn refuse(&self, message: String, status: StatusCode) -> Result<Response, Fail> {
        Ok(first_form(
            self.state,
            self.lang,
            self.flow,
            &self.binding,
            self.form,
            Some(("error", message)),
            status,
        ))
    }
}

/// The checks both first forms open with: the form's binding, the code
/// request throttle, then the personal ID (malformed values are named:
/// they say nothing about the register).  Break is the answer to give.
fn open_first_post<'a>(
    state: &'a AppState,
    headers: &HeaderMap,
    client: &str,
    flow: Flow,
    form: &'a PersonForm,
) -> ControlFlow<Result<Response, Fail>, (FirstPost<'a>, PersonalId)> {
    let lang = lang_of(headers);
    let Some(binding) = check_form(state, headers, &form.csrf) else {
        return ControlFlow::Break(expired_form(state, headers, flow, form));
    };
    let post = FirstPost {
        state,
        lang,
        flow,
        binding,
        form,
    };
    if !allow_code_request(client) {
        return ControlFlow::Break(post.refuse(
            lang.msg().login_throttled.into(),
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    match parse_id(lang, &form.personal_id) {
        Ok(id) => ControlFlow::Continue((post, id)),
        Err(message) => ControlFlow::Break(post.refuse(message, StatusCode::UNPROCESSABLE_ENTITY)),
    }
}

pub async fn register(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<PersonForm>,
) -> Result<Response, Fail> {
    let lang = lang_of(&headers);
    let (post, id) = match open_first_post(&state, &headers, &client, Flow::Register, &form) {
        ControlFlow::Continue(opened) => opened,
        ControlFlow::Break(done) => return done,
    };
    let (flow, binding) = (post.flow, &post.binding);
    let refuse = |message: String, status: StatusCode| post.refuse(message, status);
    if name::normalize(&form.full_name).is_empty() {
        return refuse(
            format!(
                "{}: {}",
                lang.msg().f_full_name,
                tr(lang, "chưa nhập", "missing")
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let typed_dob = match PartialDate::parse(&form.date_of_birth) {
        Ok(d) => d,
        Err(e) => {
            let why = match lang {
                Lang::Vi => e.vi(),
                Lang::En => e.to_string(),
            };
            return refuse(
                format!("{}: {why}", lang.msg().f_date_of_birth),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    let phone = match mobile(lang, &form.phone) {
        Ok(p) => p,
        Err(message) => return refuse(message, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let lookup = id.clone();
    let (person, account) = read(&state, move |s| {
        Ok((s.get_person(&lookup)?, s.get_citizen(lookup.as_str())?))
    })
    .await
    .map_err(|e| Fail::api(lang, e))?;
    let matches = person.is_some_and(|p| {
        let p = p.person;
        !p.is_deceased()
            && name::key(&form.full_name) == name::key(&p.full_name)
            && p.date_of_birth
                .is_some_and(|d| same_birth_date(&typed_dob, &d))
    });
    let route = "POST /cong-dan/dang-ky";
    if !matches {
        audit(
            &state,
            lang,
            vec![citizen_event(
                id.as_str(),
                "citizen.register.refused",
                route,
            )],
        )
        .await?;
        return refuse(
            tr(
                lang,
                "Thông tin không khớp với Cơ sở dữ liệu dân cư. Hãy kiểm tra lại số định danh cá nhân, họ tên và ngày sinh (như trên căn cước), hoặc liên hệ bộ phận một cửa của xã.",
                "The details do not match the population register. Check your personal ID, full name and date of birth (as on your ID card), or ask at the commune's one-stop desk.",
            )
            .into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    if account.is_some() {
        audit(
            &state,
            lang,
            vec![citizen_event(id.as_str(), "citizen.register.exists", route)],
        )
        .await?;
        return Ok(first_form(
            &state,
            lang,
            flow,
            binding,
            &form,
            Some((
                "error",
                tr(
                    lang,
                    "Số định danh này đã có tài khoản. Hãy đăng nhập, hoặc khôi phục tài khoản nếu quên mật khẩu.",
                    "This personal ID already has an account. Sign in, or recover the account if you forgot the password.",
                )
                .into(),
            )),
            StatusCode::CONFLICT,
        ));
    }
    match code::issue(&state, Purpose::Registration, id.as_str(), &phone)
        .await
        .map_err(|e| Fail::api(lang, e))?
    {
        Issued::TooMany => refuse(too_many(lang), StatusCode::TOO_MANY_REQUESTS),
        Issued::Sent(otp_id) => {
            audit(
                &state,
                lang,
                vec![citizen_event(id.as_str(), "citizen.code.sent", route)],
            )
            .await?;
            Ok(code_form(
                &state,
                lang,
                flow,
                binding,
                &otp_id,
                &phone,
                None,
                StatusCode::OK,
            ))
        }
    }
}

fn too_many(lang: Lang) -> String {
    tr(
        lang,
        "Đã gửi quá nhiều mã tới số điện thoại này. Hãy thử lại sau 15 phút.",
        "Too many codes were sent to this phone. Try again in 15 minutes.",
    )
    .into()
}

/// The form's CSRF token is not bound to this browser's form cookie (an old tab, cookies
/// cleared): the first form again, with a fresh binding.
fn expired_form(
    state: &AppState,
    headers: &HeaderMap,
    flow: Flow,
    values: &PersonForm,
) -> Result<Response, Fail> {
    let lang = lang_of(headers);
    let (binding, set) = form_binding(state, headers).map_err(|e| Fail::api(lang, e))?;
    Ok(with_cookie(
        first_form(
            state,
            lang,
            flow,
            &binding,
            values,
            Some(("error", lang.msg().login_expired_form.into())),
            StatusCode::FORBIDDEN,
        ),
        set,
    ))
}

pub async fn recover(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<PersonForm>,
) -> Result<Response, Fail> {
    let lang = lang_of(&headers);
    let (post, id) = match open_first_post(&state, &headers, &client, Flow::Recover, &form) {
        ControlFlow::Continue(opened) => opened,
        ControlFlow::Break(done) => return done,
    };
    let (flow, binding) = (post.flow, &post.binding);
    let refuse = |message: String, status: StatusCode| post.refuse(message, status);
    let phone = match mobile(lang, &form.phone) {
        Ok(p) => p,
        Err(message) => return refuse(message, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let lookup = id.clone();
    let account = read(&state, move |s| s.get_citizen(lookup.as_str()))
        .await
        .map_err(|e| Fail::api(lang, e))?;
    let matches = account.is_some_and(|a| !a.disabled && !a.phone.is_empty() && a.phone == phone);
    let route = "POST /cong-dan/khoi-phuc";
    let otp_id = if matches {
        match code::issue(&state, Purpose::Recovery, id.as_str(), &phone)
            .await
            .map_err(|e| Fail::api(lang, e))?
        {
            Issued::TooMany => return refuse(too_many(lang), StatusCode::TOO_MANY_REQUESTS),
            Issued::Sent(otp_id) => {
                audit(
                    &state,
                    lang,
                    vec![citizen_event(id.as_str(), "citizen.code.sent", route)],
                )
                .await?;
                otp_id
            }
        }
    } else {
        // The same limit and the same answer as when they match, with the id of a code that
        // does not exist: whoever typed this learns nothing about the account.
        let since = xaso_store::format_utc(time::OffsetDateTime::now_utc() - code::PHONE_WINDOW);
        let p = phone.clone();
        let sent = read(&state, move |s| s.count_otps_since(&p, &since))
            .await
            .map_err(|e| Fail::api(lang, e))?;
        if sent >= code::MAX_CODES_PER_PHONE {
            return refuse(too_many(lang), StatusCode::TOO_MANY_REQUESTS);
        }
        audit(
            &state,
            lang,
            vec![citizen_event(id.as_str(), "citizen.recover.refused", route)],
        )
        .await?;
        super::random_hex::<16>().map_err(|e| Fail::api(lang, e))?
    };
    Ok(code_form(
        &state,
        lang,
        flow,
        binding,
        &otp_id,
        &phone,
        None,
        StatusCode::OK,
    ))
}

// ---------------------------------------------------------------------------------------------
// The code

#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    otp: String,
    /// The phone the code went to (shown masked again on a wrong code).
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
}

#[allow(clippy::too_many_arguments)]
fn code_form(
    state: &AppState,
    lang: Lang,
    flow: Flow,
    binding: &str,
    otp_id: &str,
    phone: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let title = tr(lang, "Nhập mã xác nhận", "Enter the confirmation code");
    let action = format!("{}/ma", flow.base());
    let body = html! {
        section.narrow {
            h1 { (title) }
            @if let Some(e) = &error { (notice("error", e)) }
            p { (tr(lang, "Mã gồm 6 chữ số đã được gửi tới số điện thoại ", "A 6-digit code was sent to the phone ")) span.mono { (mask_phone(phone)) } ". " (tr(lang, "Mã có hiệu lực trong 5 phút.", "It is valid for 5 minutes.")) }
            form.stack method="post" action=(action) {
                input type="hidden" name="csrf" value=(form_csrf(state, binding));
                input type="hidden" name="otp" value=(otp_id);
                input type="hidden" name="phone" value=(phone);
                p {
                    label for="code" { (tr(lang, "Mã xác nhận", "Confirmation code")) }
                    input #code name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required autofocus;
                }
                p { button.primary type="submit" { (lang.msg().verify) } }
            }
            p { a href=(flow.base()) { (tr(lang, "Không nhận được mã? Yêu cầu mã mới", "No code? Ask for a new one")) } }
        }
    };
    page(state, lang, None, flow.base(), title, body, status)
}

pub async fn register_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, Fail> {
    code_step(&state, &headers, Flow::Register, form).await
}

pub async fn recover_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, Fail> {
    code_step(&state, &headers, Flow::Recover, form).await
}

async fn code_step(
    state: &AppState,
    headers: &HeaderMap,
    flow: Flow,
    form: CodeForm,
) -> Result<Response, Fail> {
    let lang = lang_of(headers);
    let Some(binding) = check_form(state, headers, &form.csrf) else {
        return expired_form(state, headers, flow, &PersonForm::default());
    };
    let checked = code::check(state, flow.purpose(), &form.otp, &form.code)
        .await
        .map_err(|e| Fail::api(lang, e))?;
    let route = match flow {
        Flow::Register => "POST /cong-dan/dang-ky/ma",
        Flow::Recover => "POST /cong-dan/khoi-phuc/ma",
    };
    match checked {
        Checked::Right(otp) => {
            audit(
                state,
                lang,
                vec![citizen_event(
                    &otp.personal_id,
                    "citizen.code.verified",
                    route,
                )],
            )
            .await?;
            let ticket = code::ticket(state, &otp.id, &binding);
            Ok(password_form(
                state,
                lang,
                flow,
                &binding,
                &otp.id,
                &ticket,
                None,
                StatusCode::OK,
            ))
        }
        // Recovery answers a wrong code and a code never sent alike.
        Checked::Wrong(_) | Checked::Dead if flow == Flow::Recover => Ok(code_form(
            state,
            lang,
            flow,
            &binding,
            &form.otp,
            &form.phone,
            Some(
                tr(
                    lang,
                    "Mã không đúng hoặc đã hết hạn. Sau 5 lần nhập sai, hãy yêu cầu mã mới.",
                    "The code is wrong or has expired. After 5 wrong tries, ask for a new one.",
                )
                .into(),
            ),
            StatusCode::UNAUTHORIZED,
        )),
        Checked::Wrong(left) => Ok(code_form(
            state,
            lang,
            flow,
            &binding,
            &form.otp,
            &form.phone,
            Some(match lang {
                Lang::Vi => format!("Mã không đúng. Còn {left} lần thử."),
                Lang::En => format!("Wrong code. {left} tries left."),
            }),
            StatusCode::UNAUTHORIZED,
        )),
        Checked::Dead => Ok(first_form(
            state,
            lang,
            flow,
            &binding,
            &PersonForm::default(),
            Some((
                "error",
                tr(
                    lang,
                    "Mã đã hết hạn hoặc đã nhập sai quá số lần cho phép. Hãy yêu cầu mã mới.",
                    "The code has expired or was mistyped too many times. Ask for a new one.",
                )
                .into(),
            )),
            StatusCode::GONE,
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// The password

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    otp: String,
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

#[allow(clippy::too_many_arguments)]
fn password_form(
    state: &AppState,
    lang: Lang,
    flow: Flow,
    binding: &str,
    otp_id: &str,
    ticket: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let m = lang.msg();
    let title = tr(lang, "Chọn mật khẩu", "Choose a password");
    let action = format!("{}/mat-khau", flow.base());
    let body = html! {
        section.narrow {
            h1 { (title) }
            @if error.is_none() { (notice("ok", tr(lang, "Đã xác nhận số điện thoại.", "Phone number confirmed."))) }
            @if let Some(e) = &error { (notice("error", e)) }
            form.stack method="post" action=(action) {
                input type="hidden" name="csrf" value=(form_csrf(state, binding));
                input type="hidden" name="otp" value=(otp_id);
                input type="hidden" name="ticket" value=(ticket);
                p {
                    label for="new" { (m.password_new) }
                    input #new type="password" name="new" required autocomplete="new-password" aria-describedby="new-hint" autofocus;
                    small #new-hint { (m.password_hint) }
                }
                p {
                    label for="repeat" { (m.password_repeat) }
                    input #repeat type="password" name="repeat" required autocomplete="new-password";
                }
                p { button.primary type="submit" { (tr(lang, "Lưu mật khẩu", "Save the password")) } }
            }
        }
    };
    page(state, lang, None, flow.base(), title, body, status)
}

pub async fn register_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Result<Response, Fail> {
    let flow = Flow::Register;
    let (binding, otp, hash) = match password_step(&state, &headers, flow, &form).await? {
        Step::Expired => return ended(&state, &headers, flow),
        Step::Refused(binding, message) => {
            return Ok(refused(&state, &headers, flow, &form, &binding, message))
        }
        Step::Ready(binding, otp, hash) => (binding, otp, hash),
    };
    let lang = lang_of(&headers);
    let now = xaso_store::now_rfc3339();
    let record = CitizenRecord {
        personal_id: otp.personal_id.clone(),
        level: 1,
        phone: otp.phone.clone(),
        password_hash: hash,
        must_change_password: false,
        totp_secret: None,
        totp_last_step: None,
        disabled: false,
        login_attempts: "{}".into(),
        level2_evidence: None,
        created_at: now.clone(),
        updated_at: now,
    };
    match blocking(&state, move |s| s.insert_citizen(&record)).await {
        Ok(()) => {}
        Err(ApiError::Conflict(_)) => {
            return Ok(first_form(
                &state,
                lang,
                Flow::Register,
                &binding,
                &PersonForm::default(),
                Some((
                    "error",
                    tr(
                        lang,
                        "Số định danh này đã có tài khoản. Hãy đăng nhập.",
                        "This personal ID already has an account. Sign in.",
                    )
                    .into(),
                )),
                StatusCode::CONFLICT,
            ))
        }
        Err(e) => return Err(Fail::api(lang, e)),
    }
    let route = "POST /cong-dan/dang-ky/mat-khau";
    let started = session::start(&state, &headers, &otp.personal_id, 1, &["pwd", "otp"])
        .await
        .map_err(|e| Fail::api(lang, e))?;
    audit(
        &state,
        lang,
        vec![
            citizen_event(&otp.personal_id, "citizen.register", route),
            citizen_event(&otp.personal_id, "citizen.signin", route),
        ],
    )
    .await?;
    Ok((
        [(header::SET_COOKIE, started.cookie)],
        Redirect::to("/cong-dan?m=registered"),
    )
        .into_response())
}

pub async fn recover_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Result<Response, Fail> {
    let flow = Flow::Recover;
    let (otp, hash) = match password_step(&state, &headers, flow, &form).await? {
        Step::Expired => return ended(&state, &headers, flow),
        Step::Refused(binding, message) => {
            return Ok(refused(&state, &headers, flow, &form, &binding, message))
        }
        Step::Ready(_, otp, hash) => (otp, hash),
    };
    let lang = lang_of(&headers);
    let pid = otp.personal_id.clone();
    let account = read(&state, move |s| s.get_citizen(&pid))
        .await
        .map_err(|e| Fail::api(lang, e))?
        .filter(|a| !a.disabled && a.phone == otp.phone);
    let Some(mut account) = account else {
        return Err(Fail::new(
            lang,
            StatusCode::GONE,
            tr(
                lang,
                "Tài khoản không còn dùng được.",
                "The account is no longer usable.",
            ),
        ));
    };
    account.password_hash = hash;
    account.must_change_password = false;
    // The lock ends with the recovery: the phone proved who is asking.
    account.login_attempts = "{}".into();
    account.updated_at = xaso_store::now_rfc3339();
    let save = account.clone();
    // Every session ends: whoever knew the old password is out.
    blocking(&state, move |s| s.update_citizen(&save))
        .await
        .map_err(|e| Fail::api(lang, e))?;
    let route = "POST /cong-dan/khoi-phuc/mat-khau";
    let by = session::EndedBy::citizen(&account.personal_id, route);
    session::end_all(&state, &account.personal_id, None, by)
        .await
        .map_err(|e| Fail::api(lang, e))?;
    let mut events = vec![citizen_event(
        &account.personal_id,
        "citizen.recover",
        route,
    )];
    if account.totp_secret.is_some() {
        // The second factor still guards the sign-in.
        audit(&state, lang, events).await?;
        return Ok(Redirect::to("/cong-dan/dang-nhap?m=recovered").into_response());
    }
    let started = session::start(
        &state,
        &headers,
        &account.personal_id,
        account.level,
        &["pwd", "otp"],
    )
    .await
    .map_err(|e| Fail::api(lang, e))?;
    events.push(citizen_event(&account.personal_id, "citizen.signin", route));
    audit(&state, lang, events).await?;
    Ok((
        [(header::SET_COOKIE, started.cookie)],
        Redirect::to("/cong-dan?m=recovered"),
    )
        .into_response())
}

/// Where the password step stands.
enum Step {
    /// The form's binding or the ticket is no good: the flow starts again.
    Expired,
    /// The password is refused (the message); the form again, the ticket unspent.
    Refused(String, String),
    /// The binding, the code, the new password's hash; the ticket is spent.
    Ready(String, xaso_store::OtpRecord, String),
}

/// The password step's checks: the form's binding, the ticket, then the password.
async fn password_step(
    state: &AppState,
    headers: &HeaderMap,
    flow: Flow,
    form: &PasswordForm,
) -> Result<Step, Fail> {
    let lang = lang_of(headers);
    let Some(binding) = check_form(state, headers, &form.csrf) else {
        return Ok(Step::Expired);
    };
    let Some(otp) = code::ticket_code(state, flow.purpose(), &form.otp, &binding, &form.ticket)
        .await
        .map_err(|e| Fail::api(lang, e))?
    else {
        return Ok(Step::Expired);
    };
    match new_password_hash(lang, &otp.personal_id, &form.new, &form.repeat).await? {
        Err(message) => Ok(Step::Refused(binding, message)),
        Ok(hash) if code::spend_ticket(&otp.id) => Ok(Step::Ready(binding, otp, hash)),
        Ok(_) => Ok(Step::Expired),
    }
}

/// The password form again with the refusal, for the same code and ticket.
fn refused(
    state: &AppState,
    headers: &HeaderMap,
    flow: Flow,
    form: &PasswordForm,
    binding: &str,
    message: String,
) -> Response {
    password_form(
        state,
        lang_of(headers),
        flow,
        binding,
        &form.otp,
        &form.ticket,
        Some(message),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// The flow cannot go on (stale form, used or expired ticket): start again.
fn ended(state: &AppState, headers: &HeaderMap, flow: Flow) -> Result<Response, Fail> {
    let lang = lang_of(headers);
    let (binding, set) = form_binding(state, headers).map_err(|e| Fail::api(lang, e))?;
    Ok(with_cookie(
        first_form(
            state,
            lang,
            flow,
            &binding,
            &PersonForm::default(),
            Some((
                "error",
                tr(
                    lang,
                    "Phiên xác nhận đã hết hạn. Hãy bắt đầu lại.",
                    "The confirmation has expired. Please start again.",
                )
                .into(),
            )),
            StatusCode::GONE,
        ),
        set,
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_birth_date_must_give_every_part_the_register_knows() {
        let full = PartialDate::parse("12/05/1975").unwrap();
        let year = PartialDate::parse("1975").unwrap();
        let month = PartialDate::parse("05/1975").unwrap();
        assert!(same_birth_date(&full, &full));
        assert!(same_birth_date(
            &PartialDate::parse("1975-05-12").unwrap(),
            &full
        ));
        assert!(!same_birth_date(&year, &full), "a year alone is not enough");
        assert!(!same_birth_date(
            &PartialDate::parse("13/05/1975").unwrap(),
            &full
        ));
        assert!(same_birth_date(&full, &year));
        assert!(same_birth_date(&full, &month));
        assert!(!same_birth_date(
            &PartialDate::parse("12/06/1975").unwrap(),
            &month
        ));
    }

    #[test]
    fn only_mobile_numbers_take_codes() {
        assert_eq!(mobile(Lang::Vi, "0912 345 678").unwrap(), "0912345678");
        assert_eq!(mobile(Lang::Vi, "+84912345678").unwrap(), "0912345678");
        assert!(mobile(Lang::Vi, "02438123456").is_err(), "a landline");
        assert!(mobile(Lang::Vi, "12345").is_err());
    }
}
