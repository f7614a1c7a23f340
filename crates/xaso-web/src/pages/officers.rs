//! Administrators manage officers: create (with a one-time password), change role, disable,
//! re-enable, unlock, reset the password.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use maud::html;
use serde::Deserialize;
use time::OffsetDateTime;
use xaso_domain::role::Role;
use xaso_identity::lockout::LoginAttempts;
use xaso_identity::password;
use xaso_store::{AuditRecord, OfficerRecord};

use super::{local_time, notice, Officer, OrPage, PageError};
use crate::api::{audited, blocking, read};
use crate::i18n::fill;
use crate::AppState;

/// 3–32 characters of a–z, 0–9, '.', '_' or '-'.
pub fn valid_login(login: &str) -> bool {
    (3..=32).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// A new officer's record and the one-time password to hand over (only its hash is kept; the
/// officer must change it at the first login).
pub fn new_officer(
    login: &str,
    display_name: &str,
    role: Role,
) -> Result<(OfficerRecord, String), String> {
    let login = login.trim().to_lowercase();
    if !valid_login(&login) {
        return Err(format!(
            "login {login:?}: use 3–32 characters a–z, 0–9, '.', '_' or '-'"
        ));
    }
    let display_name = display_name.trim();
    if display_name.is_empty() {
        return Err("the officer's name is empty".into());
    }
    let one_time = password::generate_one_time_password().map_err(|e| e.to_string())?;
    let hash = password::hash_password(&one_time).map_err(|e| e.to_string())?;
    let now = xaso_store::now_rfc3339();
    Ok((
        OfficerRecord {
            login,
            display_name: display_name.to_string(),
            role: role.as_str().to_string(),
            password_hash: hash,
            must_change_password: true,
            totp_secret: None,
            totp_last_step: None,
            disabled: false,
            login_attempts: "{}".into(),
            created_at: now.clone(),
            updated_at: now,
        },
        one_time,
    ))
}

fn admin_event(officer: &Officer, action: &str, route: &str, target: &str) -> AuditRecord {
    let mut r = AuditRecord::now(&officer.login, "officer", action, route);
    r.role = Some(officer.role.as_str().to_string());
    // The subject column names whom the action concerns: here an officer's login.
    r.subject = Some(format!("officer:{target}"));
    r
}

pub async fn officers_page(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Response, PageError> {
    officers_view(&state, &officer, None, StatusCode::OK).await
}

async fn officers_view(
    state: &AppState,
    officer: &Officer,
    message: Option<(&str, String)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let m = officer.m();
    officer.require(officer.role.can_manage_officers(), m.officers_forbidden)?;
    let officers = read(state, |s| s.list_officers()).await.or_page(lang)?;
    let now = OffsetDateTime::now_utc();
    let role_select = |name: &str, id: &str, selected: Role| {
        html! {
            select id=(id) name=(name) {
                @for r in Role::ALL {
                    option value=(r.as_str()) selected[r == selected] { (lang.role(r)) }
                }
            }
        }
    };
    let body = html! {
        h1 { (m.officers_title) }
        @if let Some((kind, text)) = &message { (notice(kind, text)) }
        table.results #officers {
            thead { tr {
                th scope="col" { (m.officer_login) }
                th scope="col" { (m.officer_name) }
                th scope="col" { (m.officer_role) }
                th scope="col" { (m.officer_status) }
                th scope="col" { "" }
            } }
            tbody {
                @for o in &officers {
                    @let role = Role::parse(&o.role).unwrap_or(Role::ReadOnly);
                    @let attempts: LoginAttempts = serde_json::from_str(&o.login_attempts).unwrap_or_default();
                    @let locked = attempts.locked_until(now);
                    tr data-login=(o.login) {
                        td.mono { (o.login) }
                        td { (o.display_name) }
                        td {
                            form.inline method="post" action={ "/admin/officers/" (o.login) "/role" } {
                                (officer.csrf_field())
                                label.visually-hidden for={ "role-" (o.login) } { (m.officer_role) }
                                (role_select("role", &format!("role-{}", o.login), role))
                                button type="submit" { (m.officer_set_role) }
                            }
                        }
                        td {
                            @if o.disabled { span.tag { (m.officer_disabled) } }
                            @else if let Some(until) = locked { span.tag { (fill(m.officer_locked, &[&local_time(&xaso_store::format_utc(until))])) } }
                            @else { (m.officer_active) }
                        }
                        td.actions {
                            @if locked.is_some() {
                                (action_button(officer, &o.login, "unlock", m.officer_unlock))
                            }
                            (action_button(officer, &o.login, "reset", m.officer_reset))
                            @if o.disabled {
                                (action_button(officer, &o.login, "enable", m.officer_enable))
                            } @else {
                                (action_button(officer, &o.login, "disable", m.officer_disable))
                            }
                        }
                    }
                }
            }
        }
        section {
            h2 { (m.officer_create) }
            form.stack method="post" action="/admin/officers" {
                (officer.csrf_field())
                p {
                    label for="new-login" { (m.officer_login) }
                    input #new-login name="login" required pattern="[a-z0-9._\\-]{3,32}" autocapitalize="none";
                }
                p {
                    label for="new-name" { (m.officer_name) }
                    input #new-name name="display_name" required;
                }
                p {
                    label for="new-role" { (m.officer_role) }
                    (role_select("role", "new-role", Role::Desk))
                }
                p { button.primary type="submit" { (m.officer_create) } }
            }
        }
    };
    let mut response = officer.page(m.officers_title, body);
    *response.status_mut() = status;
    Ok(response)
}

fn action_button(officer: &Officer, login: &str, op: &str, label: &str) -> maud::Markup {
    html! {
        form.inline method="post" action={ "/admin/officers/" (login) "/" (op) } {
            (officer.csrf_field())
            button type="submit" { (label) }
        }
    }
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
}

pub async fn create(
    State(state): State<AppState>,
    officer: Officer,
    Form(form): Form<CreateForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    let lang = officer.lang;
    let m = officer.m();
    officer.require(officer.role.can_manage_officers(), m.officers_forbidden)?;
    let login = form.login.trim().to_lowercase();
    let invalid = StatusCode::UNPROCESSABLE_ENTITY;
    if !valid_login(&login) {
        return officers_view(
            &state,
            &officer,
            Some(("error", m.officer_bad_login.into())),
            invalid,
        )
        .await;
    }
    if form.display_name.trim().is_empty() {
        return officers_view(
            &state,
            &officer,
            Some(("error", m.officer_name_required.into())),
            invalid,
        )
        .await;
    }
    let role = Role::parse(&form.role).unwrap_or(Role::ReadOnly);
    let (name, l) = (form.display_name.clone(), login.clone());
    let made = tokio::task::spawn_blocking(move || new_officer(&l, &name, role))
        .await
        .map_err(|e| PageError::from_api(lang, e.into()))?
        .map_err(|e| PageError::new(lang, StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let (record, one_time) = made;
    let save = record.clone();
    match blocking(&state, move |s| s.insert_officer(&save)).await {
        Ok(()) => {}
        Err(crate::error::ApiError::Conflict(_)) => {
            return officers_view(
                &state,
                &officer,
                Some(("error", fill(m.officer_exists, &[&login]))),
                StatusCode::CONFLICT,
            )
            .await;
        }
        Err(e) => return Err(PageError::from_api(lang, e)),
    }
    audited(
        &state,
        vec![admin_event(
            &officer,
            "officer.create",
            "POST /admin/officers",
            &login,
        )],
    )
    .await
    .or_page(lang)?;
    officers_view(
        &state,
        &officer,
        Some(("ok", fill(m.officer_created, &[&login, &one_time]))),
        StatusCode::CREATED,
    )
    .await
}

#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

pub async fn act(
    State(state): State<AppState>,
    officer: Officer,
    Path((login, op)): Path<(String, String)>,
    Form(form): Form<ActForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    let lang = officer.lang;
    let m = officer.m();
    officer.require(officer.role.can_manage_officers(), m.officers_forbidden)?;
    let lookup = login.clone();
    let mut record = read(&state, move |s| s.get_officer(&lookup))
        .await
        .or_page(lang)?
        .ok_or_else(|| PageError::new(lang, StatusCode::NOT_FOUND, m.error_not_found))?;
    let myself = record.login == officer.login;
    let mut end_sessions = false;
    let mut message = fill(m.officer_updated, &[&record.login]);
    match op.as_str() {
        "disable" => {
            if myself {
                return officers_view(
                    &state,
                    &officer,
                    Some(("error", m.officer_self.into())),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
            record.disabled = true;
            end_sessions = true;
        }
        "enable" => record.disabled = false,
        "unlock" => {
            let mut attempts: LoginAttempts =
                serde_json::from_str(&record.login_attempts).unwrap_or_default();
            attempts.unlock();
            record.login_attempts = serde_json::to_string(&attempts).unwrap_or_default();
        }
        "reset" => {
            let one_time = password::generate_one_time_password().map_err(|e| {
                PageError::new(lang, StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
            })?;
            let plain = one_time.clone();
            record.password_hash =
                tokio::task::spawn_blocking(move || password::hash_password(&plain))
                    .await
                    .map_err(|e| PageError::from_api(lang, e.into()))?
                    .map_err(|e| {
                        PageError::new(lang, StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
                    })?;
            record.must_change_password = true;
            record.totp_secret = None;
            record.totp_last_step = None;
            record.login_attempts = "{}".into();
            end_sessions = true;
            message = fill(m.officer_reset_done, &[&record.login, &one_time]);
        }
        "role" => {
            let role = Role::parse(&form.role).ok_or_else(|| {
                PageError::new(lang, StatusCode::UNPROCESSABLE_ENTITY, m.error_forbidden)
            })?;
            if myself && role != Role::Admin {
                return officers_view(
                    &state,
                    &officer,
                    Some(("error", m.officer_self.into())),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
            record.role = role.as_str().to_string();
            end_sessions = true;
        }
        _ => {
            return Err(PageError::new(
                lang,
                StatusCode::NOT_FOUND,
                m.error_not_found,
            ))
        }
    }
    record.updated_at = xaso_store::now_rfc3339();
    let save = record.clone();
    blocking(&state, move |s| {
        s.update_officer(&save)?;
        if end_sessions && !myself {
            s.delete_sessions_of(&save.login)?;
        }
        Ok(())
    })
    .await
    .or_page(lang)?;
    audited(
        &state,
        vec![admin_event(
            &officer,
            &format!("officer.{op}"),
            "POST /admin/officers/{login}/{op}",
            &record.login,
        )],
    )
    .await
    .or_page(lang)?;
    officers_view(&state, &officer, Some(("ok", message)), StatusCode::OK).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_plain_and_short() {
        assert!(valid_login("can.bo-1_x"));
        assert!(!valid_login("ab"));
        assert!(!valid_login("Admin"));
        assert!(!valid_login("nguyễn"));
        assert!(!valid_login(&"a".repeat(33)));
    }
}
