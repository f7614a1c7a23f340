//! The citizen portal: my register record, who viewed it, my digital folder and my dossiers;
//! my sessions; my account (level, password, second factor).
//!
//! Every view of the citizen's own data is audited with the citizen as the actor before it is
//! shown. "Who viewed my record" lists the audit log's records about the citizen's personal ID
//! made by anyone but citizens (officers by their login and role, systems by their token's
//! name, the command line), with the action, the time and the purpose stated.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use time::OffsetDateTime;
use xaso_domain::register::PersonRef;
use xaso_domain::role::Role;
use xaso_domain::PersonalId;
use xaso_identity::totp::{self, TotpSecret};
use xaso_store::{AuditFilter, CitizenRecord, DossierFilter};

use super::{
    audit, citizen_event, level_text, mask_phone, new_password_hash, page, session, set_password,
};
use super::{verify_password, Citizen, Fail, Me};
use crate::api::{blocking, read};
use crate::i18n::Lang;
use crate::pages::auth::{
    check_totp_enrolment, forget_pending_totp, remember_pending_totp, totp_setup_help,
    TotpEnrolment,
};
use crate::pages::dossiers::{column_heads, status_code, tr};
use crate::pages::register::{address_text, sex_text};
use crate::pages::{local_time, notice};
use crate::shop;
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct PortalQuery {
    m: Option<String>,
}

/// How many of the audit log's records about the citizen are read (the citizen's own views
/// among them are left out).
const AUDIT_READ: usize = 500;
const VIEWERS_SHOWN: usize = 100;

pub async fn portal(
    State(state): State<AppState>,
    Me(me, account): Me,
    Query(q): Query<PortalQuery>,
) -> Result<Response, Fail> {
    let lang = me.lang;
    let m = lang.msg();
    // Everything appended so far (an officer's view a moment ago) is in the log before it is read.
    state
        .audit
        .sync()
        .await
        .map_err(|e| Fail::api(lang, crate::error::ApiError::Unavailable(e)))?;
    let pid = me.personal_id.clone();
    let (person, viewers, folder, dossiers) = read(&state, move |s| {
        let person = match PersonalId::parse(&pid) {
            Ok(id) => s.get_person(&id)?,
            Err(_) => None,
        };
        let viewers = s.list_audit(&AuditFilter {
            subject: Some(pid.clone()),
            limit: AUDIT_READ,
            ..AuditFilter::default()
        })?;
        let folder = s.citizen_folder(&pid)?;
        let dossiers = s.list_dossiers(&DossierFilter {
            applicant_id: Some(pid.clone()),
            top_level: Some(true),
            limit: 100,
            ..DossierFilter::default()
        })?;
        Ok((person, viewers, folder, dossiers))
    })
    .await
    .map_err(|e| Fail::api(lang, e))?;
    let route = "GET /cong-dan";
    audit(
        &state,
        lang,
        vec![
            citizen_event(&me.personal_id, "citizen.person.read", route),
            citizen_event(&me.personal_id, "citizen.audit.read", route),
            citizen_event(&me.personal_id, "citizen.folder.read", route),
            citizen_event(&me.personal_id, "citizen.dossiers.read", route),
        ],
    )
    .await?;
    let viewers: Vec<_> = viewers
        .into_iter()
        .filter(|r| r.actor_kind != xaso_identity::PrincipalKind::Citizen.as_str())
        .take(VIEWERS_SHOWN)
        .collect();
    let message = match q.m.as_deref() {
        Some("registered") => Some(tr(
            lang,
            "Đã tạo tài khoản định danh mức 1. Chào mừng bạn!",
            "Your level-1 identity account is ready. Welcome!",
        )),
        Some("submitted") => Some(tr(
            lang,
            "Đã nộp hồ sơ. Mã hồ sơ và đường dẫn tra cứu ở bảng \"Hồ sơ thủ tục của tôi\".",
            "Your dossier is submitted. Its receipt number and status link are under \"My dossiers\".",
        )),
        Some("recovered") => Some(tr(
            lang,
            "Đã đặt mật khẩu mới; mọi phiên đăng nhập khác đã kết thúc.",
            "Your new password is set; every other session has ended.",
        )),
        _ => None,
    };
    let title = tr(lang, "Dữ liệu của tôi", "My data");
    let body = html! {
        h1 { (title) }
        @if let Some(text) = message { (notice("ok", text)) }
        p.muted #account-level {
            (tr(lang, "Tài khoản định danh ", "Identity account ")) strong { (level_text(lang, account.level)) }
            " · " (m.f_personal_id) ": " span.mono { (me.personal_id) }
            @if account.level < 2 {
                " · " (tr(lang, "Để lên mức 2, hãy mang căn cước có gắn chip tới bộ phận một cửa của xã.", "To reach level 2, bring your chip ID card to the commune's one-stop desk."))
            }
            @if account.level >= 2 && me.level >= 2 {
                " · " a #identity-qr-link href=(super::id_qr::PATH) { (tr(lang, "Mã định danh để xuất trình tại bộ phận một cửa", "My identity code for the desk")) }
            }
        }
        div.sheet {
            (record_section(lang, person.as_ref().map(|p| &p.person)))
            (viewers_section(lang, &viewers))
            (folder_section(lang, &folder))
            (dossiers_section(&state, lang, &dossiers))
            p.no-print { a.button.primary #submit-online href=(super::submit::PATH) { (tr(lang, "Nộp hồ sơ trực tuyến", "Submit a dossier online")) } }
        }
    };
    Ok(page(
        &state,
        lang,
        Some(&me),
        "/cong-dan",
        title,
        body,
        StatusCode::OK,
    ))
}

fn fact(label: &str, value: Option<String>) -> Markup {
    html! {
        dt { (label) }
        dd { @match value.filter(|v| !v.is_empty()) { Some(v) => (v), None => span.muted { "—" } } }
    }
}

fn relative(r: &PersonRef) -> Option<String> {
    match (&r.full_name, &r.personal_id) {
        (Some(n), Some(id)) => Some(format!("{n} ({id})")),
        (Some(n), None) => Some(n.clone()),
        (None, Some(id)) => Some(id.to_string()),
        (None, None) => None,
    }
}

fn record_section(lang: Lang, person: Option<&xaso_domain::register::Person>) -> Markup {
    let m = lang.msg();
    html! {
        section #my-record {
            h2 { (tr(lang, "Thông tin của tôi trong Cơ sở dữ liệu dân cư", "My record in the population register")) }
            @match person {
                None => p.muted { (tr(lang, "Không tìm thấy hồ sơ của bạn trong Cơ sở dữ liệu dân cư của xã.", "Your record was not found in the commune's register.")) },
                Some(p) => {
                    dl.facts {
                        (fact(m.f_personal_id, Some(p.personal_id.to_string())))
                        (fact(m.f_full_name, Some(p.full_name.clone())))
                        (fact(m.f_other_name, p.other_name.clone()))
                        (fact(m.f_date_of_birth, p.date_of_birth.map(|d| d.to_vi())))
                        (fact(m.f_sex, p.sex.map(|s| sex_text(m, Some(s)).to_owned())))
                        (fact(m.f_ethnicity, p.ethnicity.as_ref().map(|c| xaso_domain::ethnic::ethnic_by_code(c).map_or_else(|| c.clone(), |e| e.name.clone()))))
                        (fact(m.f_religion, p.religion.clone()))
                        (fact(m.f_nationality, p.nationality.clone()))
                        (fact(m.f_home_town, p.home_town.clone()))
                        (fact(m.f_permanent_address, Some(address_text(&p.permanent_address))))
                        (fact(m.f_temporary_address, Some(address_text(&p.temporary_address))))
                        (fact(m.f_current_address, Some(address_text(&p.current_address))))
                        (fact(m.f_household_id, p.household_id.clone()))
                        (fact(m.f_relation_to_head, p.relation_to_head.clone()))
                        (fact(m.f_father, relative(&p.father)))
                        (fact(m.f_mother, relative(&p.mother)))
                        (fact(m.f_spouse, relative(&p.spouse)))
                        (fact(m.f_guardian, relative(&p.guardian)))
                    }
                    p.muted { (tr(lang, "Thông tin chưa đúng? Hãy liên hệ công an xã hoặc bộ phận một cửa để điều chỉnh.", "Something wrong? Ask the commune police or the one-stop desk to correct it.")) }
                }
            }
        }
    }
}

/// The action of an audit record, in words.
fn action_text(lang: Lang, action: &str) -> String {
    let (vi, en) = match action {
        "person.read" => ("Xem hồ sơ", "Viewed the record"),
        "person.search" => (
            "Tìm kiếm (hồ sơ có trong kết quả)",
            "Searched (the record was in the results)",
        ),
        "person.update" => ("Sửa hồ sơ", "Changed the record"),
        "person.create" => ("Tạo hồ sơ", "Created the record"),
        "person.history" => ("Xem lịch sử thay đổi", "Viewed the history of changes"),
        "household.read" => ("Xem hộ gia đình", "Viewed the household"),
        "card.qr" => ("Quét mã QR trên căn cước", "Scanned the ID card's QR code"),
        "card.chip" => ("Đọc chip căn cước", "Read the ID card's chip"),
        "audit.read" => ("Xem nhật ký truy cập", "Read the access log"),
        "citizen.level2" => (
            "Nâng tài khoản định danh lên mức 2",
            "Raised the identity account to level 2",
        ),
        "citizen.create" => ("Tạo tài khoản định danh", "Created the identity account"),
        _ => {
            if action.starts_with("dossier.") {
                (
                    "Xử lý hồ sơ thủ tục hành chính",
                    "Handled an administrative dossier",
                )
            } else if action.starts_with("reconcile.") || action.starts_with("register.") {
                ("Làm sạch, đối chiếu dữ liệu", "Data cleaning and matching")
            } else {
                return action.to_owned();
            }
        }
    };
    tr(lang, vi, en).to_owned()
}

fn actor_kind_text(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "officer" => tr(lang, "Cán bộ", "Officer"),
        "api-token" => tr(lang, "Hệ thống kết nối", "Connected system"),
        "cli" => tr(lang, "Quản trị (dòng lệnh)", "Administrator (command line)"),
        _ => tr(lang, "Khác", "Other"),
    }
}

fn viewers_section(lang: Lang, viewers: &[xaso_store::AuditRecord]) -> Markup {
    html! {
        section #viewers {
            h2 { (tr(lang, "Ai đã xem thông tin của tôi", "Who viewed my record")) }
            p.muted { (tr(lang, "Theo nhật ký truy cập: mọi lần cán bộ hoặc hệ thống xem, tìm, sửa hồ sơ của bạn đều được ghi lại.", "From the access log: every time an officer or a system views, finds or changes your record is recorded.")) }
            @if viewers.is_empty() {
                p.muted { (tr(lang, "Chưa có ai xem hồ sơ của bạn.", "Nobody has viewed your record yet.")) }
            } @else {
                table.results {
                    (column_heads(lang, &[
                        ("Thời gian", "Time"),
                        ("Người xem", "Who"),
                        ("Vai trò", "Role"),
                        ("Việc làm", "What"),
                        ("Mục đích", "Purpose"),
                    ]))
                    tbody {
                        @for r in viewers {
                            tr {
                                td { (local_time(&r.at)) }
                                td { span.mono { (r.actor) } br; small.muted { (actor_kind_text(lang, &r.actor_kind)) } }
                                td { (r.role.as_deref().and_then(Role::parse).map(|role| lang.role(role)).unwrap_or("")) }
                                td { (action_text(lang, &r.action)) }
                                td { (r.reason.clone().unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn folder_section(lang: Lang, folder: &[xaso_store::AttachmentLink]) -> Markup {
    html! {
        section #folder {
            h2 { (tr(lang, "Kho dữ liệu điện tử của tôi", "My digital folder")) }
            @if folder.is_empty() {
                p.muted { (tr(lang, "Chưa có giấy tờ nào.", "No documents yet.")) }
            } @else {
                p.muted { (tr(lang, "Bản điện tử các giấy tờ và kết quả thủ tục của bạn. Để nhận bản sao, hãy liên hệ bộ phận một cửa.", "Digital copies of your papers and results. Ask the one-stop desk for a copy.")) }
                table.results {
                    (column_heads(lang, &[
                        ("Giấy tờ", "Document"),
                        ("Tệp", "File"),
                        ("Hồ sơ", "Dossier"),
                        ("Ngày thêm", "Added"),
                    ]))
                    tbody {
                        @for f in folder {
                            tr {
                                td { @if f.document == "result" { (tr(lang, "Kết quả thủ tục", "Result of a procedure")) } @else { (f.document) } }
                                td { (f.file_name) }
                                td.mono { (f.receipt_number.clone().unwrap_or_default()) }
                                td { (local_time(&f.added_at)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn state_text(lang: Lang, code: &str) -> String {
    use xaso_domain::dossier::DossierState as S;
    match shop::parse_state(code) {
        Some(s) => {
            let en = match s {
                S::Received => "Received",
                S::Assigned => "Assigned",
                S::Processing => "Processing",
                S::SupplementRequested => "Waiting for papers",
                S::Approved => "Approved",
                S::Rejected => "Rejected",
                S::ResultReady => "Result ready",
                S::Returned => "Returned",
                S::Withdrawn => "Withdrawn",
            };
            tr(lang, s.label_vi(), en).to_owned()
        }
        None => tr(
            lang,
            "Liên thông (nhiều bước)",
            "Interlinked (several steps)",
        )
        .to_owned(),
    }
}

fn dossiers_section(
    state: &AppState,
    lang: Lang,
    dossiers: &[xaso_store::DossierRecord],
) -> Markup {
    let shop = state.shop();
    html! {
        section #dossiers {
            h2 { (tr(lang, "Hồ sơ thủ tục của tôi", "My dossiers")) }
            @if dossiers.is_empty() {
                p.muted { (tr(lang, "Bạn chưa nộp hồ sơ thủ tục nào.", "You have not submitted any dossier.")) }
            } @else {
                table.results {
                    (column_heads(lang, &[
                        ("Mã hồ sơ", "Receipt number"),
                        ("Thủ tục", "Procedure"),
                        ("Tình trạng", "Status"),
                        ("Ngày nhận", "Received"),
                        ("Hẹn trả", "Due"),
                    ]))
                    tbody {
                        @for d in dossiers {
                            tr {
                                td.mono {
                                    a href={ "/tra-cuu?so=" (d.receipt_number) "&ma=" (status_code(state, &d.receipt_number)) } { (d.receipt_number) }
                                }
                                td { (shop.procedure(&d.procedure_code).map_or(d.procedure_code.as_str(), |p| lang.pick(&p.name.en, &p.name.vi))) }
                                td { (state_text(lang, &d.state)) }
                                td { (local_time(&d.received_at)) }
                                td { (crate::pages::dossiers::vn_date(&d.due_on)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions

/// An opaque handle of a session, for the "end" button: an HMAC of its key bound to the
/// current session (the key itself never reaches the page).
fn session_handle(state: &AppState, me: &Citizen, id_hash: &str) -> String {
    state
        .web
        .csrf_for(&format!("citizen-session:{}:{id_hash}", me.session_hash))
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(24)
        .collect()
}

fn methods_text(lang: Lang, methods_json: &str) -> String {
    let methods: Vec<String> = serde_json::from_str(methods_json).unwrap_or_default();
    methods
        .iter()
        .map(|m| match m.as_str() {
            "pwd" => tr(lang, "mật khẩu", "password"),
            "otp" => tr(lang, "mã qua điện thoại", "code by phone"),
            "totp" => tr(lang, "ứng dụng xác thực", "authenticator app"),
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

pub async fn sessions_page(State(state): State<AppState>, Me(me, _): Me) -> Result<Response, Fail> {
    sessions_view(&state, &me, None).await
}

async fn sessions_view(
    state: &AppState,
    me: &Citizen,
    message: Option<&str>,
) -> Result<Response, Fail> {
    let lang = me.lang;
    let pid = me.personal_id.clone();
    let sessions = read(state, move |s| s.list_citizen_sessions(&pid))
        .await
        .map_err(|e| Fail::api(lang, e))?;
    audit(
        state,
        lang,
        vec![citizen_event(
            &me.personal_id,
            "citizen.sessions.read",
            "GET /cong-dan/phien",
        )],
    )
    .await?;
    let policy = session::policy();
    let now = OffsetDateTime::now_utc();
    let title = tr(lang, "Phiên đăng nhập", "Sessions");
    let body = html! {
        h1 { (title) }
        @if let Some(text) = message { (notice("ok", text)) }
        p.muted { (tr(lang, "Các trình duyệt đang đăng nhập tài khoản của bạn. Nếu có phiên lạ, hãy kết thúc nó và đổi mật khẩu.", "The browsers signed in to your account. If one is not yours, end it and change your password.")) }
        table.results #sessions {
            thead { tr {
                th scope="col" { (tr(lang, "Bắt đầu", "Started")) }
                th scope="col" { (tr(lang, "Lần cuối", "Last active")) }
                th scope="col" { (tr(lang, "Trình duyệt", "Browser")) }
                th scope="col" { (tr(lang, "Cách đăng nhập", "Signed in with")) }
                th scope="col" {}
            } }
            tbody {
                @for s in sessions.iter().filter(|s| !policy.is_expired(crate::pages::parse_time(&s.created_at), crate::pages::parse_time(&s.last_seen), now)) {
                    tr {
                        td { (local_time(&s.created_at)) }
                        td { (local_time(&s.last_seen)) }
                        td { small { (s.user_agent) } }
                        td { (methods_text(lang, &s.methods)) " · " (level_text(lang, s.level)) }
                        td {
                            @if s.id_hash == me.session_hash {
                                span.tag { (tr(lang, "Phiên này", "This session")) }
                            } @else {
                                form.inline method="post" action="/cong-dan/phien/ket-thuc" {
                                    (me.csrf_field(state))
                                    input type="hidden" name="session" value=(session_handle(state, me, &s.id_hash));
                                    button type="submit" { (tr(lang, "Kết thúc", "End")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if sessions.len() > 1 {
            form method="post" action="/cong-dan/phien/ket-thuc-khac" {
                (me.csrf_field(state))
                p { button type="submit" { (tr(lang, "Kết thúc mọi phiên khác", "End every other session")) } }
            }
        }
    };
    Ok(page(
        state,
        lang,
        Some(me),
        "/cong-dan/phien",
        title,
        body,
        StatusCode::OK,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct EndForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    session: String,
}

pub async fn end_session(
    State(state): State<AppState>,
    Me(me, _): Me,
    Form(f): Form<EndForm>,
) -> Result<Response, Fail> {
    let lang = me.lang;
    if !me.check_csrf(&state, &f.csrf) {
        return Err(Fail::csrf(lang));
    }
    let pid = me.personal_id.clone();
    let sessions = read(&state, move |s| s.list_citizen_sessions(&pid))
        .await
        .map_err(|e| Fail::api(lang, e))?;
    let Some(target) = sessions
        .into_iter()
        .find(|s| !f.session.is_empty() && session_handle(&state, &me, &s.id_hash) == f.session)
    else {
        return sessions_view(
            &state,
            &me,
            Some(tr(
                lang,
                "Phiên đó đã kết thúc.",
                "That session has already ended.",
            )),
        )
        .await;
    };
    let by = session::EndedBy::citizen(&me.personal_id, "POST /cong-dan/phien/ket-thuc");
    session::end(&state, &target.id_hash, by)
        .await
        .map_err(|e| Fail::api(lang, e))?;
    audit(
        &state,
        lang,
        vec![citizen_event(
            &me.personal_id,
            "citizen.session.end",
            "POST /cong-dan/phien/ket-thuc",
        )],
    )
    .await?;
    if target.id_hash == me.session_hash {
        return Ok((
            [(
                header::SET_COOKIE,
                session::session_cookie(&state, "", Some(0)),
            )],
            Redirect::to(&format!("{}?m=signed-out", session::LOGIN_PATH)),
        )
            .into_response());
    }
    sessions_view(
        &state,
        &me,
        Some(tr(lang, "Đã kết thúc phiên.", "The session has ended.")),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn end_other_sessions(
    State(state): State<AppState>,
    Me(me, _): Me,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Fail> {
    let lang = me.lang;
    if !me.check_csrf(&state, &f.csrf) {
        return Err(Fail::csrf(lang));
    }
    let by = session::EndedBy::citizen(&me.personal_id, "POST /cong-dan/phien/ket-thuc-khac");
    session::end_all(&state, &me.personal_id, Some(&me.session_hash), by)
        .await
        .map_err(|e| Fail::api(lang, e))?;
    audit(
        &state,
        lang,
        vec![citizen_event(
            &me.personal_id,
            "citizen.session.end_others",
            "POST /cong-dan/phien/ket-thuc-khac",
        )],
    )
    .await?;
    sessions_view(
        &state,
        &me,
        Some(tr(
            lang,
            "Đã kết thúc mọi phiên khác.",
            "Every other session has ended.",
        )),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The account

pub async fn account_page(
    State(state): State<AppState>,
    Me(me, account): Me,
) -> Result<Response, Fail> {
    audit(
        &state,
        me.lang,
        vec![citizen_event(
            &me.personal_id,
            "citizen.account.read",
            "GET /cong-dan/tai-khoan",
        )],
    )
    .await?;
    Ok(account_view(&state, &me, &account, None, None))
}

/// What the level-2 evidence says, for the account page: who raised it and when.
fn evidence_text(lang: Lang, evidence: Option<&str>) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(evidence?).ok()?;
    let by = v.get("by").and_then(|b| b.as_str()).unwrap_or("?");
    let at = v
        .get("at")
        .and_then(|a| a.as_str())
        .map(local_time)
        .unwrap_or_default();
    Some(match lang {
        Lang::Vi => format!("Nâng lên mức 2 bởi {by} lúc {at}"),
        Lang::En => format!("Raised to level 2 by {by} at {at}"),
    })
}

fn account_view(
    state: &AppState,
    me: &Citizen,
    account: &CitizenRecord,
    message: Option<(&str, String)>,
    totp_setup: Option<(String, String)>,
) -> Response {
    let lang = me.lang;
    let m = lang.msg();
    let title = tr(lang, "Tài khoản định danh", "Identity account");
    let body = html! {
        h1 { (title) }
        @if let Some((kind, text)) = &message { (notice(kind, text)) }
        dl.facts {
            dt { (m.f_personal_id) } dd.mono { (account.personal_id) }
            dt { (tr(lang, "Mức định danh", "Assurance level")) } dd #level { (level_text(lang, account.level)) }
            @if let Some(e) = evidence_text(lang, account.level2_evidence.as_deref()) {
                dt { (tr(lang, "Xác minh mức 2", "Level-2 proofing")) } dd { (e) }
            }
            dt { (tr(lang, "Số điện thoại", "Phone")) } dd.mono { @if account.phone.is_empty() { "—" } @else { (mask_phone(&account.phone)) } }
            dt { (tr(lang, "Ngày tạo", "Created")) } dd { (local_time(&account.created_at)) }
        }
        section {
            h2 { (m.password_change_title) }
            form.stack method="post" action="/cong-dan/tai-khoan/mat-khau" {
                (me.csrf_field(state))
                p {
                    label for="current" { (m.password_current) }
                    input #current type="password" name="current" required autocomplete="current-password";
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
        section {
            h2 { (m.totp_section) }
            @if let Some((secret, uri)) = &totp_setup {
                (totp_setup_help(m, secret, uri))
                form method="post" action="/cong-dan/tai-khoan/totp/xac-nhan" {
                    (me.csrf_field(state))
                    label for="code" { (m.totp_code) }
                    input #code name="code" inputmode="numeric" autocomplete="one-time-code" required;
                    button.primary type="submit" { (m.verify) }
                }
            } @else if account.totp_secret.is_some() {
                p { (m.totp_on) }
                form method="post" action="/cong-dan/tai-khoan/totp/tat" {
                    (me.csrf_field(state))
                    label for="totp-password" { (m.password_current) }
                    input #totp-password type="password" name="current" required autocomplete="current-password";
                    button type="submit" { (m.totp_disable) }
                }
            } @else {
                p { (m.totp_off) }
                form method="post" action="/cong-dan/tai-khoan/totp/bat" {
                    (me.csrf_field(state))
                    button type="submit" { (m.totp_enable) }
                }
            }
        }
    };
    page(
        state,
        lang,
        Some(me),
        "/cong-dan/tai-khoan",
        title,
        body,
        StatusCode::OK,
    )
}

#[derive(Debug, Default, Deserialize)]
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

async fn save(state: &AppState, lang: Lang, account: &CitizenRecord) -> Result<(), Fail> {
    let record = account.clone();
    blocking(state, move |s| s.update_citizen(&record))
        .await
        .map_err(|e| Fail::api(lang, e))
}

pub async fn change_password(
    State(state): State<AppState>,
    Me(me, mut account): Me,
    headers: axum::http::HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Result<Response, Fail> {
    let lang = me.lang;
    let m = lang.msg();
    if !me.check_csrf(&state, &f.csrf) {
        return Err(Fail::csrf(lang));
    }
    let hash = match new_password_hash(lang, &account.personal_id, &f.new, &f.repeat).await? {
        Ok(h) => h,
        Err(message) => {
            return Ok(account_view(
                &state,
                &me,
                &account,
                Some(("error", message)),
                None,
            ))
        }
    };
    if !verify_password(lang, &f.current, &account.password_hash).await? {
        return Ok(account_view(
            &state,
            &me,
            &account,
            Some(("error", m.password_wrong_current.into())),
            None,
        ));
    }
    // Every session ends, this one too: this browser gets a new one.
    set_password(
        &state,
        lang,
        &mut account,
        hash,
        "POST /cong-dan/tai-khoan/mat-khau",
    )
    .await?;
    let methods: Vec<&str> = me.methods.iter().map(String::as_str).collect();
    let started = session::start(
        &state,
        &headers,
        &account.personal_id,
        account.level,
        &methods,
    )
    .await
    .map_err(|e| Fail::api(lang, e))?;
    audit(
        &state,
        lang,
        vec![citizen_event(
            &account.personal_id,
            "citizen.password",
            "POST /cong-dan/tai-khoan/mat-khau",
        )],
    )
    .await?;
    let mut me = me.clone();
    me.session_hash = started.hash;
    let mut response = account_view(
        &state,
        &me,
        &account,
        Some((
            "ok",
            tr(
                lang,
                "Đã đổi mật khẩu. Mọi phiên đăng nhập khác đã kết thúc.",
                "Password changed. Every other session has ended.",
            )
            .into(),
        )),
        None,
    );
    response
        .headers_mut()
        .append(header::SET_COOKIE, started.cookie);
    Ok(response)
}

fn pending_key(me: &Citizen) -> String {
    format!("citizen:{}", me.session_hash)
}

pub async fn totp_start(
    State(state): State<AppState>,
    Me(me, account): Me,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Fail> {
    let lang = me.lang;
    if !me.check_csrf(&state, &f.csrf) {
        return Err(Fail::csrf(lang));
    }
    let secret = TotpSecret::generate().map_err(|e| {
        Fail::api(
            lang,
            crate::error::ApiError::Internal(format!("no TOTP secret: {e}")),
        )
    })?;
    let base32 = secret.to_base32();
    let uri = totp::otpauth_uri(&secret, totp::DEFAULT_ISSUER, &account.personal_id);
    remember_pending_totp(&state, pending_key(&me), &base32);
    Ok(account_view(
        &state,
        &me,
        &account,
        None,
        Some((base32, uri)),
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

pub async fn totp_confirm(
    State(state): State<AppState>,
    Me(me, mut account): Me,
    Form(f): Form<CodeForm>,
) -> Result<Response, Fail> {
    let lang = me.lang;
    let m = lang.msg();
    if !me.check_csrf(&state, &f.csrf) {
        return Err(Fail::csrf(lang));
    }
    let key = pending_key(&me);
    let enrolment = check_totp_enrolment(&state, &key, &f.code, &account.personal_id)
        .map_err(|e| Fail::new(lang, StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let (base32, step) = match enrolment {
        TotpEnrolment::Expired => {
            return Ok(account_view(
                &state,
                &me,
                &account,
                Some(("error", m.login_expired_form.into())),
                None,
            ))
        }
        TotpEnrolment::Wrong { base32, uri } => {
            return Ok(account_view(
                &state,
                &me,
                &account,
                Some(("error", m.totp_wrong.into())),
                Some((base32, uri)),
            ))
        }
        TotpEnrolment::Confirmed { base32, step } => (base32, step),
    };
    account.totp_secret = Some(base32);
    account.totp_last_step = i64::try_from(step).ok();
    account.updated_at = xaso_store::now_rfc3339();
    save(&state, lang, &account).await?;
    forget_pending_totp(&state, &key);
    audit(
        &state,
        lang,
        vec![citizen_event(
            &me.personal_id,
            "citizen.totp_on",
            "POST /cong-dan/tai-khoan/totp/xac-nhan",
        )],
    )
    .await?;
    Ok(account_view(
        &state,
        &me,
        &account,
        Some(("ok", m.totp_enabled.into())),
        None,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
}

pub async fn totp_disable(
    State(state): State<AppState>,
    Me(me, mut account): Me,
    Form(f): Form<DisableForm>,
) -> Result<Response, Fail> {
    let lang = me.lang;
    let m = lang.msg();
    if !me.check_csrf(&state, &f.csrf) {
        return Err(Fail::csrf(lang));
    }
    if !verify_password(lang, &f.current, &account.password_hash).await? {
        return Ok(account_view(
            &state,
            &me,
            &account,
            Some(("error", m.password_wrong_current.into())),
            None,
        ));
    }
    account.totp_secret = None;
    account.totp_last_step = None;
    account.updated_at = xaso_store::now_rfc3339();
    save(&state, lang, &account).await?;
    audit(
        &state,
        lang,
        vec![citizen_event(
            &me.personal_id,
            "citizen.totp_off",
            "POST /cong-dan/tai-khoan/totp/tat",
        )],
    )
    .await?;
    Ok(account_view(
        &state,
        &me,
        &account,
        Some(("ok", m.totp_disabled.into())),
        None,
    ))
}
