//! Administrators look up a citizen's electronic-identity account and disable or re-enable it
//! (`/admin/cong-dan`): a stolen phone, a fraud report, a death. The personal ID travels in
//! the form's body, never in the URL. Disabling ends every session of the account, and the
//! OpenID provider and the portal refuse it from then on. Every look-up and change is audited
//! with the personal ID as subject.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use xaso_domain::role::Role;
use xaso_domain::PersonalId;
use xaso_store::CitizenRecord;

use super::dossiers::tr;
use super::{local_time, notice, Officer, OrPage, PageError};
use crate::api::{audit_record, audited, blocking, read};
use crate::citizen::session::EndedBy;
use crate::AppState;

pub const PATH: &str = "/admin/cong-dan";

fn require_admin(officer: &Officer) -> Result<(), PageError> {
    officer.require(
        officer.role == Role::Admin,
        tr(
            officer.lang,
            "Chỉ quản trị viên quản lý tài khoản định danh của công dân.",
            "Only administrators manage citizens' identity accounts.",
        ),
    )
}

pub async fn page(State(_state): State<AppState>, officer: Officer) -> Result<Response, PageError> {
    require_admin(&officer)?;
    Ok(view(&officer, "", None, None, StatusCode::OK))
}

fn view(
    officer: &Officer,
    typed: &str,
    message: Option<(&str, String)>,
    account: Option<&CitizenRecord>,
    status: StatusCode,
) -> Response {
    let lang = officer.lang;
    let title = tr(
        lang,
        "Tài khoản định danh của công dân",
        "Citizens' identity accounts",
    );
    let body = html! {
        h1 { (title) }
        @if let Some((kind, text)) = &message { (notice(kind, text)) }
        form.search.no-print method="post" action=(PATH) {
            (officer.csrf_field())
            label for="personal_id" { (tr(lang, "Số định danh cá nhân", "Personal ID")) }
            div.row {
                input #personal_id name="personal_id" value=(typed) inputmode="numeric" autocomplete="off" required;
                button.primary type="submit" name="op" value="show" { (tr(lang, "Tra cứu", "Look up")) }
            }
        }
        @if let Some(a) = account { (account_view(officer, a)) }
    };
    let mut r = officer.page(title, body);
    *r.status_mut() = status;
    r
}

fn account_view(officer: &Officer, a: &CitizenRecord) -> Markup {
    let lang = officer.lang;
    let evidence: Option<serde_json::Value> = a
        .level2_evidence
        .as_deref()
        .and_then(|e| serde_json::from_str(e).ok());
    let ev = |k: &str| {
        evidence
            .as_ref()
            .and_then(|e| e.get(k))
            .and_then(|v| v.as_str())
            .unwrap_or("—")
            .to_owned()
    };
    html! {
        dl.facts #citizen-account {
            dt { (tr(lang, "Số định danh", "Personal ID")) } dd.mono { (a.personal_id) }
            dt { (tr(lang, "Mức định danh", "Level")) } dd #account-level { (a.level) }
            dt { (tr(lang, "Điện thoại", "Phone")) } dd { (crate::citizen::mask_phone(&a.phone)) }
            dt { (tr(lang, "Xác thực hai lớp", "Second factor")) } dd { (if a.totp_secret.is_some() { tr(lang, "Có", "Yes") } else { tr(lang, "Không", "No") }) }
            dt { (tr(lang, "Trạng thái", "Status")) }
            dd #account-status { (if a.disabled { tr(lang, "Đã khóa", "Disabled") } else { tr(lang, "Đang hoạt động", "Active") }) }
            dt { (tr(lang, "Tạo lúc", "Created")) } dd { (local_time(&a.created_at)) }
            @if evidence.is_some() {
                dt { (tr(lang, "Nâng lên mức 2", "Raised to level 2")) }
                dd { (ev("by")) " · " (local_time(&ev("at"))) br; small.mono { "SHA-256 " (ev("sha256")) } }
            }
        }
        form.inline method="post" action=(PATH) {
            (officer.csrf_field())
            input type="hidden" name="personal_id" value=(a.personal_id);
            @if a.disabled {
                button type="submit" name="op" value="enable" { (tr(lang, "Mở khóa tài khoản", "Enable the account")) }
            } @else {
                label for="reason" { (tr(lang, "Lý do khóa", "Reason for disabling")) }
                input #reason name="reason" required;
                button type="submit" name="op" value="disable" { (tr(lang, "Khóa tài khoản", "Disable the account")) }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    personal_id: String,
    #[serde(default)]
    op: String,
    #[serde(default)]
    reason: String,
}

pub async fn act(
    State(state): State<AppState>,
    officer: Officer,
    Form(form): Form<AccountForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    require_admin(&officer)?;
    let lang = officer.lang;
    let typed = form.personal_id.trim().to_owned();
    let id = match PersonalId::parse(&typed) {
        Ok(id) => id,
        Err(e) => {
            let text = format!(
                "{}: {}",
                tr(lang, "Số định danh", "Personal ID"),
                lang.pick(&e.to_string(), &e.vi())
            );
            return Ok(view(
                &officer,
                &typed,
                Some(("error", text)),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let pid = id.as_str().to_owned();
    let lookup = pid.clone();
    let Some(mut account) = read(&state, move |s| s.get_citizen(&lookup))
        .await
        .or_page(lang)?
    else {
        let text = tr(
            lang,
            "Số định danh này chưa có tài khoản.",
            "This personal ID has no account.",
        );
        return Ok(view(
            &officer,
            &typed,
            Some(("info", text.into())),
            None,
            StatusCode::NOT_FOUND,
        ));
    };
    let principal = officer.principal();
    let (action, message) = match form.op.as_str() {
        "disable" if form.reason.trim().is_empty() => {
            let text = tr(
                lang,
                "Lý do khóa: hãy ghi lý do.",
                "Reason for disabling: give one.",
            );
            return Ok(view(
                &officer,
                &typed,
                Some(("error", text.into())),
                Some(&account),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        "disable" | "enable" => {
            let disable = form.op == "disable";
            account.disabled = disable;
            account.updated_at = xaso_store::now_rfc3339();
            let record = account.clone();
            blocking(&state, move |s| s.update_citizen(&record))
                .await
                .or_page(lang)?;
            if disable {
                let by = EndedBy {
                    actor: &principal.name,
                    actor_kind: principal.kind.as_str(),
                    route: "POST /admin/cong-dan",
                };
                crate::citizen::session::end_all(&state, &account.personal_id, None, by)
                    .await
                    .or_page(lang)?;
                (
                    "citizen.disable",
                    tr(
                        lang,
                        "Đã khóa tài khoản; mọi phiên đăng nhập đã kết thúc.",
                        "The account is disabled; every session has ended.",
                    ),
                )
            } else {
                (
                    "citizen.enable",
                    tr(lang, "Đã mở khóa tài khoản.", "The account is enabled."),
                )
            }
        }
        _ => ("citizen.account.read", ""),
    };
    let mut record = audit_record(&principal, action, "POST /admin/cong-dan", Some(pid));
    if !form.reason.trim().is_empty() {
        record.reason = Some(form.reason.trim().chars().take(500).collect());
    }
    audited(&state, vec![record]).await.or_page(lang)?;
    let message = (!message.is_empty()).then(|| ("ok", message.to_owned()));
    Ok(view(
        &officer,
        &typed,
        message,
        Some(&account),
        StatusCode::OK,
    ))
}
