//! The one-stop shop's pages: the dossier list, receiving a dossier at the desk (the applicant
//! identified by ID number or a scanned card, the form prefilled from the register), the
//! printable receipt with its status QR, the dossier page with the actions the officer may
//! take, and the indicators of Decision 766.
//!
//! Texts of these pages stand beside their markup as (Vietnamese, English) pairs ([`tr`]): both
//! languages exist by construction, as with the catalogue in `i18n.rs`.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;
use time::OffsetDateTime;
use xaso_domain::dossier::{local_time, transition, Action, ActionKind, Channel, Dossier};
use xaso_domain::role::Role;
use xaso_domain::PersonalId;
use xaso_services::catalogue::{FieldKind, FieldSpec, PersonParty, Procedure};
use xaso_services::prefill::{self, FinalForm, Origin};
use xaso_services::validate::FieldError;
use xaso_store::{AttachmentLink, DossierFilter, DossierRecord};

use super::{notice, Officer, OrPage, PageError};
use crate::api::{audit_record, audited, read};
use crate::i18n::Lang;
use crate::shop::{self, Loaded, ShopError, StoredForm, Submission, GROUP_STATE};
use crate::AppState;

/// The text in the page's language.
pub fn tr<'a>(lang: Lang, vi: &'a str, en: &'a str) -> &'a str {
    lang.pick(en, vi)
}

/// The civil-status entries (at most 20 each) of these people.
async fn civil_status_of(
    state: &AppState,
    lang: Lang,
    ids: Vec<String>,
) -> Result<Vec<xaso_store::CivilStatusEntry>, PageError> {
    read(state, move |s| {
        let mut out = Vec::new();
        for id in &ids {
            out.extend(s.list_civil_status(&xaso_store::CivilStatusFilter {
                personal_id: Some(id.clone()),
                limit: 20,
                ..Default::default()
            })?);
        }
        Ok(out)
    })
    .await
    .or_page(lang)
}

/// A table head row: one `th scope="col"` per (Vietnamese, English) label.
pub(crate) fn column_heads(lang: Lang, cols: &[(&str, &str)]) -> Markup {
    html! {
        thead { tr {
            @for (vi, en) in cols {
                th scope="col" { (tr(lang, vi, en)) }
            }
        } }
    }
}

fn text(lang: Lang, t: &xaso_services::Text) -> &str {
    lang.pick(&t.en, &t.vi)
}

/// Who sees which dossiers: the desk, admins and leaders all; a handling role those of its
/// role (and the groups they belong to); others none.
fn may_see(officer: &Officer, record: &DossierRecord) -> bool {
    match officer.role {
        Role::Desk | Role::Admin | Role::Leader => true,
        r if xaso_domain::dossier::is_handling_role(r) => {
            record.handling_role == r.as_str() || record.state == GROUP_STATE
        }
        _ => false,
    }
}

fn forbidden(lang: Lang) -> PageError {
    PageError::new(
        lang,
        StatusCode::FORBIDDEN,
        tr(
            lang,
            "Vai trò của bạn không được xem hồ sơ một cửa này.",
            "Your role may not see this one-stop-shop dossier.",
        ),
    )
}

pub(crate) fn shop_error(lang: Lang, e: ShopError) -> PageError {
    match e {
        ShopError::NotFound => PageError::new(
            lang,
            StatusCode::NOT_FOUND,
            tr(lang, "Không có hồ sơ này.", "No such dossier."),
        ),
        ShopError::Conflict => PageError::new(
            lang,
            StatusCode::CONFLICT,
            tr(
                lang,
                "Hồ sơ (hoặc bản ghi dân cư) vừa được người khác thay đổi. Hãy mở lại trang và làm lại.",
                "Someone else changed the dossier (or the register record) meanwhile. Reload the page and try again.",
            ),
        ),
        ShopError::Refused { en, vi } => {
            PageError::new(lang, StatusCode::UNPROCESSABLE_ENTITY, lang.pick(&en, &vi))
        }
        ShopError::Form { errors, .. } => PageError::new(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors
                .iter()
                .map(|e| lang.pick(&e.en, &e.vi).to_owned())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        ShopError::Store(e) => {
            tracing::error!("one-stop shop store error: {e}");
            PageError::new(
                lang,
                StatusCode::SERVICE_UNAVAILABLE,
                tr(
                    lang,
                    "Không đọc/ghi được cơ sở dữ liệu. Hãy thử lại.",
                    "The database could not be read or written. Try again.",
                ),
            )
        }
    }
}

async fn run<T: Send + 'static>(
    state: &AppState,
    lang: Lang,
    f: impl FnOnce(&dyn xaso_store::Store, &shop::Shop) -> Result<T, ShopError> + Send + 'static,
) -> Result<T, PageError> {
    let shop = state.shop();
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(store.as_ref(), &shop))
        .await
        .map_err(|e| PageError::new(lang, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| shop_error(lang, e))
}

async fn audit(
    state: &AppState,
    officer: &Officer,
    action: &str,
    route: &str,
    subject: Option<String>,
    reason: Option<String>,
) -> Result<(), PageError> {
    let mut r = audit_record(&officer.principal(), action, route, subject);
    r.reason = reason;
    audited(state, vec![r]).await.or_page(officer.lang)
}

fn state_label(lang: Lang, record: &DossierRecord) -> String {
    match shop::parse_state(&record.state) {
        Some(s) => tr(lang, s.label_vi(), state_en(s)).to_owned(),
        None => tr(lang, "Liên thông", "Interlinked").to_owned(),
    }
}

fn state_en(s: xaso_domain::dossier::DossierState) -> &'static str {
    use xaso_domain::dossier::DossierState as S;
    match s {
        S::Received => "Received",
        S::Assigned => "Assigned",
        S::Processing => "Processing",
        S::SupplementRequested => "Waiting for papers",
        S::Approved => "Approved",
        S::Rejected => "Rejected",
        S::ResultReady => "Result ready",
        S::Returned => "Returned",
        S::Withdrawn => "Withdrawn",
    }
}

fn timeliness_label(lang: Lang, t: xaso_domain::dossier::Timeliness) -> &'static str {
    use xaso_domain::dossier::Timeliness as T;
    let en = match t {
        T::Early => "Early",
        T::OnTime => "On time",
        T::Overdue => "Overdue",
    };
    lang.pick(en, t.label_vi())
}

fn procedure_name(state: &AppState, lang: Lang, code: &str) -> String {
    state
        .shop()
        .procedure(code)
        .map_or(code.to_owned(), |p| text(lang, &p.name).to_owned())
}

/// An action as the history lists it.
fn action_label(lang: Lang, kind: ActionKind) -> &'static str {
    let vi = match kind {
        ActionKind::Assign => "chuyển xử lý",
        ActionKind::StartProcessing => "bắt đầu xử lý",
        ActionKind::RequestSupplement => "yêu cầu bổ sung",
        ActionKind::SupplementReceived => "nhận hồ sơ bổ sung",
        ActionKind::Approve => "phê duyệt",
        ActionKind::Reject => "từ chối",
        ActionKind::MarkResultReady => "có kết quả",
        ActionKind::ReturnResult => "trả kết quả",
        ActionKind::Withdraw => "rút hồ sơ",
    };
    lang.pick(kind.verb(), vi)
}

pub(crate) fn vn_date(iso: &str) -> String {
    match shop::parse_date(iso) {
        Some(d) => format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year()),
        None => iso.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// The list

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// all, open, mine.
    #[serde(default)]
    view: String,
}

pub async fn list_page(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let handling = xaso_domain::dossier::is_handling_role(officer.role);
    officer.require(
        handling || matches!(officer.role, Role::Desk | Role::Admin | Role::Leader),
        tr(
            lang,
            "Vai trò của bạn không làm việc với hồ sơ một cửa.",
            "Your role does not work with one-stop-shop dossiers.",
        ),
    )?;
    let mut filter = DossierFilter {
        limit: 300,
        ..Default::default()
    };
    if handling {
        filter.handling_role = Some(officer.role.as_str().to_owned());
        if q.view == "mine" {
            filter.assigned_officer = Some(officer.login.clone());
        }
    } else {
        filter.top_level = Some(q.view != "steps");
    }
    if q.view == "open" {
        filter.states = [
            "received",
            "assigned",
            "processing",
            "supplement-requested",
            "approved",
            "result-ready",
            GROUP_STATE,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
    }
    let rows = read(&state, move |s| s.list_dossiers(&filter))
        .await
        .or_page(lang)?;
    audit(&state, &officer, "dossier.list", "/dossiers", None, None).await?;
    let now = OffsetDateTime::now_utc();
    let body = html! {
        h1 { (tr(lang, "Hồ sơ một cửa", "One-stop-shop dossiers")) }
        div.actions.no-print {
            @if matches!(officer.role, Role::Desk | Role::Admin) {
                a.button.primary href="/dossiers/new" { (tr(lang, "Tiếp nhận hồ sơ mới", "Receive a new dossier")) }
            }
            a href="/dossiers" { (tr(lang, "Tất cả", "All")) }
            " · "
            a href="/dossiers?view=open" { (tr(lang, "Đang giải quyết", "Open")) }
            @if handling {
                " · " a href="/dossiers?view=mine" { (tr(lang, "Được giao cho tôi", "Assigned to me")) }
            } @else {
                " · " a href="/dossiers?view=steps" { (tr(lang, "Từng bước liên thông", "Interlinked steps")) }
            }
            " · " a href="/indicators" { (tr(lang, "Chỉ số phục vụ", "Service indicators")) }
            " · " a href="/civil-status" { (tr(lang, "Sổ hộ tịch", "Civil-status books")) }
        }
        @if rows.is_empty() {
            p { (tr(lang, "Chưa có hồ sơ.", "No dossiers yet.")) }
        } @else {
            table.results {
                thead { tr {
                    th { (tr(lang, "Số hồ sơ", "Receipt number")) }
                    th { (tr(lang, "Thủ tục", "Procedure")) }
                    th { (tr(lang, "Trạng thái", "State")) }
                    th { (tr(lang, "Cán bộ xử lý", "Officer")) }
                    th { (tr(lang, "Hẹn trả", "Due")) }
                    th { (tr(lang, "Tiến độ", "Timeliness")) }
                } }
                tbody {
                    @for r in &rows {
                        tr {
                            td { a href={ "/dossiers/" (r.receipt_number) } { (r.receipt_number) } }
                            td { (procedure_name(&state, lang, &r.procedure_code)) }
                            td { (state_label(lang, r)) }
                            td { (r.assigned_officer.as_deref().unwrap_or("—")) }
                            td { (vn_date(&r.due_on)) }
                            td { (row_timeliness(lang, r, now)) }
                        }
                    }
                }
            }
        }
    };
    Ok(officer.page(tr(lang, "Hồ sơ một cửa", "One-stop-shop dossiers"), body))
}

fn row_timeliness(lang: Lang, r: &DossierRecord, now: OffsetDateTime) -> String {
    match r
        .data
        .as_deref()
        .and_then(|d| serde_json::from_str::<Dossier>(d).ok())
    {
        Some(d) => timeliness_label(lang, d.status(now)).to_owned(),
        None => {
            let today = local_time(now).date();
            match shop::parse_date(&r.due_on) {
                Some(due) if due < today => {
                    tr(lang, "Có bước quá hạn?", "A step may be overdue").to_owned()
                }
                _ => "—".to_owned(),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Receiving

#[derive(Debug, Default, Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    procedure: String,
}

/// Step 1: the procedure and who applies.
pub async fn new_page(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<StartQuery>,
) -> Result<Response, PageError> {
    require_desk(&officer)?;
    Ok(start_view(
        &state,
        &officer,
        &q.procedure,
        "",
        &BTreeMap::new(),
        None,
    ))
}

fn require_desk(officer: &Officer) -> Result<(), PageError> {
    officer.require(
        matches!(officer.role, Role::Desk | Role::Admin),
        tr(
            officer.lang,
            "Chỉ bộ phận một cửa hoặc quản trị viên tiếp nhận hồ sơ.",
            "Only the desk or an admin receives dossiers.",
        ),
    )
}

pub(crate) fn party_label(lang: Lang, p: PersonParty) -> &'static str {
    let en = match p {
        PersonParty::Applicant => "Applicant",
        PersonParty::Father => "Father",
        PersonParty::Mother => "Mother",
        PersonParty::Spouse => "Spouse",
        PersonParty::Deceased => "Deceased",
        PersonParty::Child => "Child",
        PersonParty::Subject => "Person concerned",
        PersonParty::HouseholdHead => "Household head",
    };
    lang.pick(en, p.label_vi())
}

fn start_view(
    state: &AppState,
    officer: &Officer,
    procedure: &str,
    applicant: &str,
    others: &BTreeMap<String, String>,
    error: Option<String>,
) -> Response {
    let lang = officer.lang;
    let catalogue = &state.shop().catalogue;
    let body = html! {
        h1 { (tr(lang, "Tiếp nhận hồ sơ", "Receive a dossier")) }
        @if let Some(e) = &error { (notice("error", e)) }
        form.sheet method="post" action="/dossiers/new" {
            (officer.csrf_field())
            label for="applicant" { (tr(lang, "Người yêu cầu: quét mã QR trên CCCD hoặc nhập số định danh", "Applicant: scan the ID card's QR code or type the personal ID number")) }
            input #applicant name="applicant" value=(applicant) autocomplete="off" autofocus spellcheck="false" required;
            fieldset {
                legend { (tr(lang, "Thủ tục", "Procedure")) }
                @for p in &catalogue.procedures {
                    div.choice {
                        label {
                            input type="radio" name="procedure" value=(p.code) checked[p.code == procedure] required;
                            " " strong { (text(lang, &p.name)) }
                            " — " (text(lang, &p.deadline.label()))
                            @if p.is_group() { " · " em { (tr(lang, "liên thông", "interlinked")) } }
                        }
                    }
                }
            }
            details {
                summary { (tr(lang, "Người liên quan khác (nếu không tìm được từ người yêu cầu)", "Other persons (when they cannot be found from the applicant)")) }
                @for party in [PersonParty::Mother, PersonParty::Father, PersonParty::Deceased, PersonParty::Spouse, PersonParty::Child, PersonParty::Subject, PersonParty::HouseholdHead] {
                    @let key = format!("party_{}", party.as_str());
                    label for=(key) { (party_label(lang, party)) " — " (tr(lang, "số định danh", "personal ID")) }
                    input id=(key) name=(key) value=(others.get(&key).map(String::as_str).unwrap_or("")) inputmode="numeric" autocomplete="off";
                }
            }
            div.actions { button.primary type="submit" { (tr(lang, "Lấy thông tin từ CSDL dân cư", "Fill from the population register")) } }
        }
    };
    officer.page(tr(lang, "Tiếp nhận hồ sơ", "Receive a dossier"), body)
}

/// A personal ID typed or read from a scanned card's QR payload.
fn applicant_id(lang: Lang, raw: &str) -> Result<PersonalId, String> {
    let raw = raw.trim();
    if raw.contains('|') {
        return xaso_card::parse_qr(raw)
            .map(|c| c.personal_id)
            .map_err(|e| {
                format!(
                    "{}: {}",
                    tr(lang, "Mã QR", "QR code"),
                    lang.pick(&e.to_string(), &e.vi())
                )
            });
    }
    PersonalId::parse(raw).map_err(|e| {
        format!(
            "{}: {}",
            tr(
                lang,
                "Số định danh của người yêu cầu",
                "Applicant's personal ID"
            ),
            lang.pick(&e.to_string(), &e.vi())
        )
    })
}

/// All fields of a posted form, in order (the e-form's keys are dynamic).
pub(crate) type Fields = Vec<(String, String)>;

pub(crate) fn field<'a>(fields: &'a Fields, key: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// Parties named in the form (`party_Mother` → ID).
pub(crate) fn given_parties(
    lang: Lang,
    fields: &Fields,
) -> Result<BTreeMap<PersonParty, PersonalId>, String> {
    let mut out = BTreeMap::new();
    for party in PersonParty::ALL {
        let raw = field(fields, &format!("party_{}", party.as_str())).trim();
        if raw.is_empty() {
            continue;
        }
        let id = if party == PersonParty::Applicant {
            applicant_id(lang, raw)?
        } else {
            PersonalId::parse(raw).map_err(|e| {
                format!(
                    "{} — {}: {}",
                    party_label(lang, party),
                    tr(lang, "số định danh", "personal ID"),
                    lang.pick(&e.to_string(), &e.vi())
                )
            })?
        };
        out.insert(party, id);
    }
    Ok(out)
}

/// Step 2: the form prefilled from the register.
pub async fn start(
    State(state): State<AppState>,
    officer: Officer,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    officer.check_csrf(&state, field(&fields, "csrf"))?;
    require_desk(&officer)?;
    let code = field(&fields, "procedure").to_owned();
    let raw_applicant = field(&fields, "applicant").to_owned();
    let others: BTreeMap<String, String> = fields
        .iter()
        .filter(|(k, v)| k.starts_with("party_") && !v.trim().is_empty())
        .cloned()
        .collect();
    let again = |error: String| {
        start_view(
            &state,
            &officer,
            &code,
            &raw_applicant,
            &others,
            Some(error),
        )
    };
    let Some(procedure) = state.shop().procedure(&code).cloned() else {
        return Ok(again(
            tr(
                lang,
                "Thủ tục: hãy chọn một thủ tục.",
                "Procedure: choose one.",
            )
            .to_owned(),
        ));
    };
    let applicant = match applicant_id(lang, &raw_applicant) {
        Ok(id) => id,
        Err(e) => return Ok(again(e)),
    };
    let mut named = fields.clone();
    named.push(("party_Applicant".to_owned(), applicant.as_str().to_owned()));
    let given = match given_parties(lang, &named) {
        Ok(g) => g,
        Err(e) => return Ok(again(e)),
    };
    let lookup = given.clone();
    let proc2 = procedure.clone();
    let found = run(&state, lang, move |s, _| {
        Ok(shop::find_parties(s, &proc2, &lookup)?)
    })
    .await?;
    if let Some((party, id)) = found.missing.first() {
        return Ok(again(format!(
            "{}: {id} — {}",
            party_label(lang, *party),
            tr(
                lang,
                "không có trong cơ sở dữ liệu dân cư",
                "not in the population register"
            )
        )));
    }
    let ids: Vec<String> = found.ids.values().map(|i| i.as_str().to_owned()).collect();
    audit(
        &state,
        &officer,
        "dossier.prefill",
        "/dossiers/new",
        Some(applicant.as_str().to_owned()),
        Some(format!("{} ({})", procedure.code, ids.join(", "))),
    )
    .await?;
    let draft = prefill::draft(&procedure, &found.parties);
    let form = draft.apply(&BTreeMap::new());
    let folder = citizen_folder(&state, lang, &applicant).await?;
    Ok(form_view(
        &officer,
        &procedure,
        &given,
        &form,
        &[],
        &folder,
        StatusCode::OK,
    ))
}

/// The citizen's digital folder (files linked to them by earlier dossiers).
async fn citizen_folder(
    state: &AppState,
    lang: Lang,
    id: &PersonalId,
) -> Result<Vec<AttachmentLink>, PageError> {
    let id = id.as_str().to_owned();
    read(state, move |s| s.citizen_folder(&id))
        .await
        .or_page(lang)
}

fn form_view(
    officer: &Officer,
    procedure: &Procedure,
    given: &BTreeMap<PersonParty, PersonalId>,
    form: &FinalForm,
    errors: &[FieldError],
    folder: &[AttachmentLink],
    status: StatusCode,
) -> Response {
    let lang = officer.lang;
    let share = form.reuse_share();
    // Papers of this procedure the citizen's digital folder already holds: not asked again.
    let in_folder: Vec<&AttachmentLink> = procedure
        .documents
        .iter()
        .filter_map(|d| folder.iter().find(|a| a.document == d.name.vi))
        .collect();
    let held: Vec<&str> = procedure
        .documents
        .iter()
        .filter(|d| d.held_by_state)
        .map(|d| text(lang, &d.name))
        .collect();
    let body = html! {
        h1 { (text(lang, &procedure.name)) }
        p {
            (tr(lang, "Thời hạn giải quyết", "Deadline")) ": " (text(lang, &procedure.deadline.label()))
            " · " (tr(lang, "Trường lấy từ CSDL dân cư", "Fields from the population register")) ": "
            strong #reuse { (share.reused) "/" (share.total) }
            (format!(" ({:.0}%)", share.percent()))
        }
        @if !errors.is_empty() {
            (notice("error", tr(lang, "Biểu mẫu còn lỗi, xem bên dưới. Chưa có gì được lưu.", "The form has errors, see below. Nothing was saved.")))
        }
        form.sheet.eform method="post" action="/dossiers" {
            (officer.csrf_field())
            input type="hidden" name="procedure" value=(procedure.code);
            @for (party, id) in given {
                input type="hidden" name={ "party_" (party.as_str()) } value=(id.as_str());
            }
            label for="channel" { (tr(lang, "Hình thức nộp", "Channel")) }
            select #channel name="channel" {
                @for c in Channel::ALL {
                    option value=(c.as_str()) selected[c == Channel::Desk] { (lang.pick(c.as_str(), c.label_vi())) }
                }
            }
            (eform_fields(lang, procedure, form, errors))
            @if !in_folder.is_empty() {
                div.notice.info #folder {
                    (tr(lang, "Đã có trong kho dữ liệu điện tử của công dân, không yêu cầu nộp lại:", "Already in the citizen's digital folder, not asked for again:"))
                    ul { @for a in &in_folder { li { (a.document) " (" (a.file_name) ")" } } }
                }
            }
            @if !held.is_empty() {
                p.note {
                    (tr(lang, "Không yêu cầu nộp giấy tờ nhà nước đã có (khai thác điện tử):", "Papers the state already holds are not asked for (read electronically):"))
                    " " (held.join("; "))
                }
            }
            div.actions { button.primary type="submit" { (tr(lang, "Tiếp nhận và in giấy hẹn", "Receive and print the receipt")) } }
        }
    };
    let mut r = officer.page(text(lang, &procedure.name), body);
    *r.status_mut() = status;
    r
}

/// The e-form's fields: each prefilled value marked with its origin (from the register or
/// declared), the field's errors beside it. Shared by the desk and the citizen portal.
pub(crate) fn eform_fields(
    lang: Lang,
    procedure: &Procedure,
    form: &FinalForm,
    errors: &[FieldError],
) -> Markup {
    html! {
        @for spec in &procedure.form.fields {
            @let f = form.field(&spec.key);
            @let value = f.and_then(|f| f.value.as_deref()).unwrap_or("");
            @let from_register = f.is_some_and(|f| f.origin.is_register());
            @let errs: Vec<&FieldError> = errors.iter().filter(|e| e.field == spec.key).collect();
            div.field.from-register[from_register] .invalid[!errs.is_empty()] {
                label for={ "f_" (spec.key) } {
                    (text(lang, &spec.label))
                    @if spec.required { " *" }
                    @if from_register { " " span.badge title=(tr(lang, "Người dân xác nhận, không phải khai lại", "The citizen confirms instead of typing")) { (tr(lang, "từ CSDL dân cư", "from the register")) } }
                }
                (input_for(lang, spec, value))
                @if let Some(note) = f.and_then(|f| f.note()) { small.note { (text(lang, &note)) } }
                @for e in errs { small.error { (lang.pick(&e.en, &e.vi)) } }
            }
        }
    }
}

fn input_for(lang: Lang, spec: &FieldSpec, value: &str) -> Markup {
    let name = format!("f_{}", spec.key);
    match &spec.kind {
        FieldKind::Select { options } => html! {
            select id=(name) name=(name) {
                option value="" { "—" }
                @for o in options {
                    option value=(o.value) selected[o.value == value] { (text(lang, &o.label)) }
                }
            }
        },
        FieldKind::Sex => html! {
            select id=(name) name=(name) {
                option value="" { "—" }
                option value="Nam" selected[value == "Nam"] { (tr(lang, "Nam", "Male")) }
                option value="Nữ" selected[value == "Nữ"] { (tr(lang, "Nữ", "Female")) }
            }
        },
        FieldKind::Date | FieldKind::PartialDate => html! {
            input id=(name) name=(name) value=(value) placeholder=(tr(lang, "ngày/tháng/năm", "day/month/year")) autocomplete="off";
        },
        FieldKind::PersonalId
        | FieldKind::Cmnd
        | FieldKind::Number
        | FieldKind::Phone
        | FieldKind::CommuneCode => html! {
            input id=(name) name=(name) value=(value) inputmode="numeric" autocomplete="off";
        },
        _ => html! { input id=(name) name=(name) value=(value) autocomplete="off"; },
    }
}

/// Submits the form: a new dossier (or group), then its receipt.
pub async fn submit(
    State(state): State<AppState>,
    officer: Officer,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    officer.check_csrf(&state, field(&fields, "csrf"))?;
    require_desk(&officer)?;
    let code = field(&fields, "procedure").to_owned();
    let procedure = state.shop().procedure(&code).cloned().ok_or_else(|| {
        PageError::new(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            tr(
                lang,
                "Thủ tục: không có trong danh mục.",
                "Procedure: not in the catalogue.",
            ),
        )
    })?;
    let given = given_parties(lang, &fields)
        .map_err(|e| PageError::new(lang, StatusCode::UNPROCESSABLE_ENTITY, e))?;
    let channel = Channel::ALL
        .into_iter()
        .find(|c| c.as_str() == field(&fields, "channel"))
        .unwrap_or(Channel::Desk);
    let values = fields
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("f_").map(|k| (k.to_owned(), v.clone())))
        .collect();
    let submission = Submission {
        procedure_code: code,
        channel,
        parties: given.clone(),
        values,
    };
    let login = officer.login.clone();
    let role = officer.role;
    let now = OffsetDateTime::now_utc();
    let shop_state = state.shop();
    let store = state.store.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        shop::receive(store.as_ref(), &shop_state, &login, role, now, &submission)
    })
    .await
    .map_err(|e| PageError::new(lang, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    match outcome {
        Ok(receipt) => {
            audit(
                &state,
                &officer,
                "dossier.receive",
                "/dossiers",
                given
                    .get(&PersonParty::Applicant)
                    .map(|i| i.as_str().to_owned()),
                Some(format!("{receipt} {}", procedure.code)),
            )
            .await?;
            Ok(Redirect::to(&format!("/dossiers/{receipt}/receipt")).into_response())
        }
        Err(ShopError::Form { form, errors }) => {
            let folder = match given.get(&PersonParty::Applicant) {
                Some(id) => citizen_folder(&state, lang, id).await?,
                None => Vec::new(),
            };
            Ok(form_view(
                &officer,
                &procedure,
                &given,
                &form,
                &errors,
                &folder,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(e) => Err(shop_error(lang, e)),
    }
}

// ---------------------------------------------------------------------------------------------
// One dossier

struct View {
    loaded: Loaded,
    steps: Vec<Loaded>,
    group: Option<Loaded>,
}

async fn load_view(state: &AppState, officer: &Officer, receipt: &str) -> Result<View, PageError> {
    let lang = officer.lang;
    let receipt = receipt.to_owned();
    let view = run(state, lang, move |s, _| {
        let loaded = shop::load(s, &receipt)?;
        let steps = s
            .group_steps(&loaded.record.receipt_number)?
            .into_iter()
            .map(|r| shop::parse_loaded(s, r))
            .collect::<Result<Vec<_>, _>>()?;
        let group = match &loaded.record.parent {
            Some(p) => Some(shop::load(s, p)?),
            None => None,
        };
        Ok(View {
            loaded,
            steps,
            group,
        })
    })
    .await?;
    // A handling role sees a group only when one of its steps is theirs.
    let group_of_theirs = view.loaded.record.state != GROUP_STATE
        || !xaso_domain::dossier::is_handling_role(officer.role)
        || view
            .steps
            .iter()
            .any(|s| s.record.handling_role == officer.role.as_str());
    if !may_see(officer, &view.loaded.record) || !group_of_theirs {
        return Err(forbidden(lang));
    }
    Ok(view)
}

pub async fn dossier_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(receipt): Path<String>,
) -> Result<Response, PageError> {
    let view = load_view(&state, &officer, &receipt).await?;
    dossier_view(&state, &officer, view, None, StatusCode::OK).await
}

async fn dossier_view(
    state: &AppState,
    officer: &Officer,
    view: View,
    message: Option<(&str, String)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let record = &view.loaded.record;
    let applicant = record.applicant_id.clone();
    audit(
        state,
        officer,
        "dossier.view",
        "/dossiers/{receipt}",
        applicant.clone(),
        Some(record.receipt_number.clone()),
    )
    .await?;
    let officers = {
        let role = record.handling_role.clone();
        read(state, move |s| s.list_officers())
            .await
            .or_page(lang)?
            .into_iter()
            .filter(|o| !o.disabled && o.role == role)
            .map(|o| (o.login, o.display_name))
            .collect::<Vec<_>>()
    };
    let person_ids: Vec<String> = [
        applicant.clone(),
        shop::step_result(record).and_then(|r| r.personal_id),
    ]
    .into_iter()
    .flatten()
    .collect();
    // Papers are attached to what the applicant submitted: the group, or the single dossier.
    let paper_receipt = record
        .parent
        .clone()
        .unwrap_or(record.receipt_number.clone());
    let attachments = {
        let r = paper_receipt.clone();
        read(state, move |s| s.dossier_attachments(&r))
            .await
            .or_page(lang)?
    };
    let complaints = {
        let r = paper_receipt.clone();
        read(state, move |s| {
            s.list_complaints(&xaso_store::ComplaintFilter {
                receipt_number: Some(r),
                limit: 50,
                ..Default::default()
            })
        })
        .await
        .or_page(lang)?
    };
    let may_answer = matches!(officer.role, Role::Desk | Role::Admin | Role::Leader);
    let may_attach = matches!(officer.role, Role::Desk | Role::Admin)
        || record.handling_role == officer.role.as_str();
    let entries = civil_status_of(state, lang, person_ids.clone()).await?;
    let now = OffsetDateTime::now_utc();
    let today = local_time(now).date();
    let form = view
        .loaded
        .form
        .as_ref()
        .or(view.group.as_ref().and_then(|g| g.form.as_ref()));
    let shop = state.shop();
    let procedure = shop.procedure(&record.procedure_code);
    let group_status = shop::group_status(&view.steps, today);
    let overdue = match &view.loaded.dossier {
        Some(d) => d.status(now) == xaso_domain::dossier::Timeliness::Overdue,
        None => group_status.as_ref().is_some_and(|g| !g.overdue.is_empty()),
    };
    let body = html! {
        h1 { (procedure_name(state, lang, &record.procedure_code)) }
        @if let Some((kind, text)) = &message { (notice(kind, text)) }
        dl.facts {
            dt { (tr(lang, "Số hồ sơ", "Receipt number")) } dd #receipt-number { (record.receipt_number) }
            @if let Some(g) = &view.group {
                dt { (tr(lang, "Thuộc hồ sơ liên thông", "Part of interlinked dossier")) }
                dd { a href={ "/dossiers/" (g.record.receipt_number) } { (g.record.receipt_number) } }
            }
            dt { (tr(lang, "Trạng thái", "State")) }
            dd #state {
                @if let Some(gs) = &group_status { (text(lang, &gs.state.label())) } @else { (state_label(lang, record)) }
            }
            dt { (tr(lang, "Tiếp nhận lúc", "Received")) } dd { (super::local_time(&record.received_at)) }
            dt { (tr(lang, "Hẹn trả kết quả", "Due")) } dd { (vn_date(&record.due_on)) }
            @if let Some(d) = &view.loaded.dossier {
                dt { (tr(lang, "Tiến độ", "Timeliness")) } dd #timeliness { (timeliness_label(lang, d.status(now))) }
                dt { (tr(lang, "Cán bộ xử lý", "Officer")) } dd { (d.assigned_officer().unwrap_or("—")) }
            }
            @if let Some(r) = shop::step_result(record) {
                dt { (tr(lang, "Kết quả", "Result")) } dd #result { (lang.pick(&r.note_en, &r.note_vi)) }
            }
            @if let Some(rating) = record.rating {
                dt { (tr(lang, "Đánh giá của người dân", "Citizen's rating")) } dd { (rating) "/5" }
            }
        }
        div.actions.no-print {
            a.button href={ "/dossiers/" (record.receipt_number) "/receipt" } { (tr(lang, "Giấy tiếp nhận và hẹn trả", "Receipt")) }
            @if overdue {
                a.button #apology href={ "/dossiers/" (record.receipt_number) "/apology" } { (tr(lang, "Phiếu xin lỗi, hẹn lại", "Apology letter")) }
            }
            @if view.steps.is_empty() && view.loaded.dossier.is_some() {
                a.button href={ "/dossiers/" (record.receipt_number) "/result" } { (tr(lang, "Kết quả và mã xác minh", "Result and verification code")) }
            }
        }
        @if !view.steps.is_empty() {
            h2 { (tr(lang, "Các bước liên thông", "Interlinked steps")) }
            table.results #steps {
                thead { tr {
                    th { (tr(lang, "Số hồ sơ", "Receipt number")) }
                    th { (tr(lang, "Thủ tục", "Procedure")) }
                    th { (tr(lang, "Vai trò xử lý", "Handling role")) }
                    th { (tr(lang, "Cán bộ", "Officer")) }
                    th { (tr(lang, "Trạng thái", "State")) }
                    th { (tr(lang, "Hẹn trả", "Due")) }
                    th { (tr(lang, "Kết quả", "Result")) }
                } }
                tbody { @for s in &view.steps {
                    tr {
                        td { a href={ "/dossiers/" (s.record.receipt_number) } { (s.record.receipt_number) } }
                        td { (procedure_name(state, lang, &s.record.procedure_code)) }
                        td { (Role::parse(&s.record.handling_role).map_or("", |r| lang.role(r))) }
                        td { (s.record.assigned_officer.as_deref().unwrap_or("—")) }
                        td { (state_label(lang, &s.record)) }
                        td { (vn_date(&s.record.due_on)) }
                        td { @if let Some(r) = shop::step_result(&s.record) { (lang.pick(&r.note_en, &r.note_vi)) } }
                    }
                } }
            }
        }
        @if let Some(d) = &view.loaded.dossier {
            (actions(officer, d, &officers))
        }
        @if !complaints.is_empty() {
            h2 { (tr(lang, "Phản ánh, kiến nghị", "Complaints")) }
            @for c in &complaints {
                div.complaint data-complaint=(c.id) {
                    p { (super::local_time(&c.complaint.received_at)) ": " (c.complaint.text) }
                    p { (tr(lang, "Hạn trả lời", "Answer due")) ": " (vn_date(&c.complaint.due_on)) }
                    @if let Some(a) = &c.answer {
                        p { strong { (tr(lang, "Đã trả lời", "Answered")) } " (" (c.answered_by.as_deref().unwrap_or("")) ", " (c.answered_on.as_deref().map(vn_date).unwrap_or_default()) "): " (a) }
                        @match c.satisfied {
                            Some(true) => { p { (tr(lang, "Người dân hài lòng.", "The citizen is satisfied.")) } }
                            Some(false) => { p { (tr(lang, "Người dân không hài lòng.", "The citizen is not satisfied.")) } }
                            None => {}
                        }
                    } @else if may_answer {
                        form.no-print method="post" action={ "/dossiers/" (paper_receipt) "/complaints/" (c.id) "/answer" } {
                            (officer.csrf_field())
                            label for={ "answer-" (c.id) } { (tr(lang, "Trả lời", "Answer")) }
                            textarea id={ "answer-" (c.id) } name="answer" rows="2" required {}
                            button type="submit" { (tr(lang, "Gửi trả lời", "Send the answer")) }
                        }
                    }
                }
            }
        }
        h2 { (tr(lang, "Giấy tờ số hóa", "Digitised papers")) }
        @if attachments.is_empty() {
            p { (tr(lang, "Chưa có giấy tờ nào được số hóa.", "No paper digitised yet.")) }
        } @else {
            ul #attachments { @for a in &attachments {
                li { a href={ "/attachments/" (a.sha256) } { (a.document) } " — " (a.file_name) " (" (a.size / 1024) " KB, SHA-256 " code { (&a.sha256[..12]) } "…)" }
            } }
        }
        @if may_attach {
            form.no-print method="post" action={ "/dossiers/" (paper_receipt) "/attachments" } enctype="multipart/form-data" {
                (officer.csrf_field())
                label for="document" { (tr(lang, "Giấy tờ", "Paper")) }
                select #document name="document" {
                    @if let Some(p) = view.group.as_ref().and_then(|g| shop.procedure(&g.record.procedure_code)).or(procedure) {
                        @for d in &p.documents { option value=(d.name.vi) { (text(lang, &d.name)) } }
                    }
                }
                label for="file" { (tr(lang, "Tệp (PDF, JPEG, PNG)", "File (PDF, JPEG, PNG)")) }
                input #file type="file" name="file" accept="application/pdf,image/jpeg,image/png" required;
                button type="submit" { (tr(lang, "Số hóa", "Digitise")) }
            }
        }
        @if !entries.is_empty() {
            h2 { (tr(lang, "Sổ hộ tịch", "Civil-status books")) }
            ul { @for e in &entries {
                li { (e.entry.kind) " " (e.entry.year) ", " (tr(lang, "số", "line")) " " (e.line) ": " (e.entry.full_name) }
            } }
        }
        @if let Some(f) = form {
            h2 { (tr(lang, "Tờ khai", "Form")) }
            @if let Some(p) = procedure.or_else(|| view.group.as_ref().and_then(|g| shop.procedure(&g.record.procedure_code))) {
                (form_table(lang, p, f))
            }
        }
        @if let Some(d) = &view.loaded.dossier {
            h2 { (tr(lang, "Lịch sử xử lý", "History")) }
            ol.history { @for e in d.history() {
                li {
                    (super::local_time(&xaso_store::format_utc(e.at))) " — " (e.actor) " (" (lang.role(e.role)) "): "
                    (action_label(lang, e.action.kind())) " → " (tr(lang, e.to.label_vi(), state_en(e.to)))
                    @match &e.action {
                        Action::Reject { reason } | Action::Withdraw { reason } => { " — " (reason) }
                        Action::RequestSupplement { reason, missing_documents } => { " — " (reason) ": " (missing_documents.join("; ")) }
                        Action::Assign { officer } => { " — " (officer) }
                        _ => {}
                    }
                }
            } }
        }
    };
    let mut r = officer.page(&record.receipt_number, body);
    *r.status_mut() = status;
    Ok(r)
}

fn form_table(lang: Lang, procedure: &Procedure, form: &StoredForm) -> Markup {
    html! {
        table.form-values {
            tbody { @for spec in &procedure.form.fields {
                @if let Some(f) = form.form.field(&spec.key) {
                    tr {
                        th { (text(lang, &spec.label)) }
                        td { (f.value.as_deref().unwrap_or("—")) }
                        td.origin { @match &f.origin {
                            Origin::Register { .. } => { span.badge { (tr(lang, "từ CSDL dân cư", "from the register")) } }
                            Origin::Declared { .. } => { (tr(lang, "kê khai", "declared")) @if let Some(n) = f.note() { " — " (text(lang, &n)) } }
                        } }
                    }
                }
            } }
        }
    }
}

/// The action forms the officer may use now (checked with the state machine).
fn actions(officer: &Officer, d: &Dossier, officers: &[(String, String)]) -> Markup {
    let lang = officer.lang;
    let assigned = d.is_assigned_officer(&officer.login, officer.role);
    let may = |a: Action| transition(d.state(), &a, officer.role, assigned).is_ok();
    let filler = || "x".to_owned();
    let base = format!("/dossiers/{}/act", d.receipt_number());
    let simple = |kind: &str, label: &str| {
        html! {
            form.inline method="post" action=(base) {
                (officer.csrf_field())
                input type="hidden" name="action" value=(kind);
                button.primary type="submit" data-action=(kind) { (label) }
            }
        }
    };
    html! {
        section.actions.no-print #actions {
            h2 { (tr(lang, "Thao tác", "Actions")) }
            @if may(Action::Assign { officer: filler() }) {
                form.inline method="post" action=(base) {
                    (officer.csrf_field())
                    input type="hidden" name="action" value="assign";
                    label for="assign-to" { (tr(lang, "Chuyển cho cán bộ", "Assign to")) }
                    select #assign-to name="officer" {
                        @for (login, name) in officers { option value=(login) { (name) " (" (login) ")" } }
                    }
                    button.primary type="submit" data-action="assign" { (tr(lang, "Chuyển xử lý", "Assign")) }
                }
            }
            @if may(Action::StartProcessing) { (simple("start", tr(lang, "Bắt đầu xử lý", "Start processing"))) }
            @if may(Action::Approve) { (simple("approve", tr(lang, "Phê duyệt", "Approve"))) }
            @if may(Action::MarkResultReady) { (simple("result-ready", tr(lang, "Đã có kết quả", "Result ready"))) }
            @if may(Action::SupplementReceived) { (simple("supplement-received", tr(lang, "Đã nhận hồ sơ bổ sung", "Supplement received"))) }
            @if may(Action::ReturnResult) {
                form.inline method="post" action=(base) {
                    (officer.csrf_field())
                    input type="hidden" name="action" value="return";
                    label for="rating" { (tr(lang, "Người dân đánh giá (nếu có)", "Citizen's rating (if given)")) }
                    select #rating name="rating" {
                        option value="" { "—" }
                        @for (v, vi, en) in RATINGS { option value=(v) { (tr(lang, vi, en)) } }
                    }
                    button.primary type="submit" data-action="return" { (tr(lang, "Trả kết quả", "Return the result")) }
                }
            }
            @if may(Action::RequestSupplement { reason: filler(), missing_documents: vec![filler()] }) {
                form method="post" action=(base) {
                    (officer.csrf_field())
                    input type="hidden" name="action" value="supplement";
                    label for="supp-reason" { (tr(lang, "Lý do yêu cầu bổ sung", "Why papers are needed")) }
                    input #supp-reason name="reason";
                    label for="supp-docs" { (tr(lang, "Giấy tờ cần bổ sung (mỗi dòng một loại)", "Papers needed (one a line)")) }
                    textarea #supp-docs name="documents" rows="2" {}
                    button type="submit" data-action="supplement" { (tr(lang, "Yêu cầu bổ sung", "Request a supplement")) }
                }
            }
            @if may(Action::Reject { reason: filler() }) {
                form method="post" action=(base) {
                    (officer.csrf_field())
                    input type="hidden" name="action" value="reject";
                    label for="reject-reason" { (tr(lang, "Lý do từ chối", "Reason for rejection")) }
                    input #reject-reason name="reason";
                    button.danger type="submit" data-action="reject" { (tr(lang, "Từ chối", "Reject")) }
                }
            }
            @if may(Action::Withdraw { reason: filler() }) {
                form method="post" action=(base) {
                    (officer.csrf_field())
                    input type="hidden" name="action" value="withdraw";
                    label for="withdraw-reason" { (tr(lang, "Lý do rút hồ sơ", "Reason for withdrawal")) }
                    input #withdraw-reason name="reason";
                    button type="submit" data-action="withdraw" { (tr(lang, "Rút hồ sơ", "Withdraw")) }
                }
            }
        }
    }
}

const RATINGS: [(&str, &str, &str); 5] = [
    ("5", "Rất hài lòng", "Very satisfied"),
    ("4", "Hài lòng", "Satisfied"),
    ("3", "Bình thường", "Neutral"),
    ("2", "Không hài lòng", "Dissatisfied"),
    ("1", "Rất không hài lòng", "Very dissatisfied"),
];

#[derive(Debug, Default, Deserialize)]
pub struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    officer: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    documents: String,
    #[serde(default)]
    rating: String,
}

pub async fn act(
    State(state): State<AppState>,
    officer: Officer,
    Path(receipt): Path<String>,
    Form(form): Form<ActForm>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    officer.check_csrf(&state, &form.csrf)?;
    let view = load_view(&state, &officer, &receipt).await?;
    let action = match form.action.as_str() {
        "assign" => Action::Assign {
            officer: form.officer.trim().to_owned(),
        },
        "start" => Action::StartProcessing,
        "supplement" => Action::RequestSupplement {
            reason: form.reason.trim().to_owned(),
            missing_documents: form
                .documents
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        },
        "supplement-received" => Action::SupplementReceived,
        "approve" => Action::Approve,
        "reject" => Action::Reject {
            reason: form.reason.trim().to_owned(),
        },
        "result-ready" => Action::MarkResultReady,
        "return" => Action::ReturnResult,
        "withdraw" => Action::Withdraw {
            reason: form.reason.trim().to_owned(),
        },
        other => {
            return Err(PageError::new(
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "{}: {other:?}",
                    tr(lang, "Thao tác không hợp lệ", "Not an action")
                ),
            ))
        }
    };
    let kind = action.kind();
    let rating: Option<i32> = form
        .rating
        .trim()
        .parse()
        .ok()
        .filter(|r| (1..=5).contains(r));
    let login = officer.login.clone();
    let role = officer.role;
    let now = OffsetDateTime::now_utc();
    let target = receipt.clone();
    let outcome = run(&state, lang, move |s, shop| {
        let new_state = shop::act(s, shop, &target, &login, role, action, now)?;
        if let (ActionKind::ReturnResult, Some(r)) = (kind, rating) {
            s.rate_dossier(&target, r, None)?;
        }
        Ok(new_state)
    })
    .await;
    audit(
        &state,
        &officer,
        "dossier.act",
        "/dossiers/{receipt}/act",
        view.loaded.record.applicant_id.clone(),
        Some(format!(
            "{receipt} {}{}",
            kind.verb(),
            if outcome.is_ok() { "" } else { " (refused)" }
        )),
    )
    .await?;
    if outcome.is_ok() && kind == ActionKind::Approve {
        // The person the approval registered or changed (a newborn, the deceased) is the
        // subject of a record of their own.
        let target = receipt.clone();
        let changed = read(&state, move |s| s.get_dossier(&target))
            .await
            .or_page(lang)?
            .and_then(|r| shop::step_result(&r))
            .and_then(|r| r.personal_id);
        if let Some(id) = changed.filter(|id| Some(id) != view.loaded.record.applicant_id.as_ref())
        {
            audit(
                &state,
                &officer,
                "register.change",
                "/dossiers/{receipt}/act",
                Some(id),
                Some(format!("{receipt} {}", view.loaded.record.procedure_code)),
            )
            .await?;
        }
    }
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/dossiers/{receipt}")).into_response()),
        Err(e)
            if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT =>
        {
            let status = e.status;
            let view = load_view(&state, &officer, &receipt).await?;
            dossier_view(&state, &officer, view, Some(("error", e.message)), status).await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// The receipt and the public status code

/// The code printed with a receipt number that opens its public status page: without it a
/// receipt number (which is sequential) reveals nothing.
pub fn status_code(state: &AppState, receipt: &str) -> String {
    state
        .web
        .csrf_for(&format!("public-status:{receipt}"))
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(10)
        .collect()
}

/// The address of the public status page, from the request's host.
fn public_url(state: &AppState, headers: &HeaderMap, receipt: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if state.web.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!(
        "{scheme}://{host}/tra-cuu?so={receipt}&ma={}",
        status_code(state, receipt)
    )
}

/// A QR code as inline SVG.
pub fn qr_svg(data: &str) -> Markup {
    match qrcode::QrCode::new(data.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(150, 150)
                .quiet_zone(true)
                .build();
            // The renderer writes a standalone file; inside HTML the `<?xml …?>` declaration
            // is not markup (parsers turn it into a bogus comment), so only the element stays.
            PreEscaped(match svg.find("<svg") {
                Some(at) => svg[at..].to_owned(),
                None => svg,
            })
        }
        Err(_) => html! {},
    }
}

pub async fn receipt_page(
    State(state): State<AppState>,
    officer: Officer,
    headers: HeaderMap,
    Path(receipt): Path<String>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let view = load_view(&state, &officer, &receipt).await?;
    let record = &view.loaded.record;
    // The receipt is the group's (or the single dossier's).
    if let Some(g) = &view.group {
        return Ok(
            Redirect::to(&format!("/dossiers/{}/receipt", g.record.receipt_number)).into_response(),
        );
    }
    audit(
        &state,
        &officer,
        "dossier.receipt",
        "/dossiers/{receipt}/receipt",
        record.applicant_id.clone(),
        Some(receipt.clone()),
    )
    .await?;
    let form = view.loaded.form.clone();
    let applicant_name = form
        .as_ref()
        .and_then(|f| f.value("applicant_full_name"))
        .unwrap_or("")
        .to_owned();
    let shop = state.shop();
    let procedure = shop.procedure(&record.procedure_code);
    let url = public_url(&state, &headers, &receipt);
    let code = status_code(&state, &receipt);
    // Who received it, from the dossier (a group's from its steps): `updated_by` names whoever
    // acted last.
    let received_by = view
        .loaded
        .dossier
        .as_ref()
        .or_else(|| view.steps.iter().find_map(|s| s.dossier.as_ref()))
        .map_or(record.updated_by.as_str(), |d| d.received_by());
    let body = html! {
        article.sheet.receipt {
            p.center { strong { (state.shop().unit_name.to_uppercase()) } br; (tr(lang, "BỘ PHẬN MỘT CỬA", "ONE-STOP DESK")) }
            h1.center { (tr(lang, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "DOSSIER RECEIPT AND APPOINTMENT")) }
            dl.facts {
                dt { (tr(lang, "Mã hồ sơ", "Receipt number")) } dd #receipt-number { (record.receipt_number) }
                dt { (tr(lang, "Mã tra cứu", "Status code")) } dd #status-code { (code) }
                dt { (tr(lang, "Người nộp", "Applicant")) } dd { (applicant_name) }
                dt { (tr(lang, "Thủ tục", "Procedure")) } dd { (procedure_name(&state, lang, &record.procedure_code)) }
                dt { (tr(lang, "Thời gian tiếp nhận", "Received")) } dd { (super::local_time(&record.received_at)) }
                dt { (tr(lang, "Hẹn trả kết quả", "Results due")) } dd #due { (vn_date(&record.due_on)) }
                dt { (tr(lang, "Cán bộ tiếp nhận", "Received by")) } dd #received-by { (received_by) }
            }
            @if !view.steps.is_empty() {
                table.results {
                    thead { tr { th { (tr(lang, "Bước", "Step")) } th { (tr(lang, "Cơ quan", "Agency")) } th { (tr(lang, "Hẹn trả", "Due")) } } }
                    tbody { @for s in &view.steps {
                        tr {
                            td { (procedure_name(&state, lang, &s.record.procedure_code)) }
                            td { (state.shop().procedure(&record.procedure_code).and_then(|g| g.steps.iter().find(|x| x.procedure_code == s.record.procedure_code)).map_or(String::new(), |x| text(lang, &x.agency.label()).to_owned())) }
                            td { (vn_date(&s.record.due_on)) }
                        }
                    } }
                }
            }
            @if let Some(p) = procedure {
                h2 { (tr(lang, "Giấy tờ đã nhận", "Papers received")) }
                ul { @for d in &p.documents { li { (text(lang, &d.name)) } } }
            }
            div.qr-block {
                figure #status-qr { (qr_svg(&url)) figcaption { (tr(lang, "Quét mã để xem tình trạng hồ sơ", "Scan to follow the dossier")) } }
            }
            div.actions.no-print {
                button type="button" data-print { (tr(lang, "In giấy hẹn", "Print the receipt")) }
                a.button href={ "/dossiers/" (record.receipt_number) } { (tr(lang, "Xem hồ sơ", "Open the dossier")) }
            }
        }
    };
    Ok(officer.page(tr(lang, "Giấy tiếp nhận hồ sơ", "Dossier receipt"), body))
}

// ---------------------------------------------------------------------------------------------
// The result, with its verification code

/// The code printed on a result that opens its public verification page.
pub fn verification_code(state: &AppState, receipt: &str) -> String {
    state
        .web
        .csrf_for(&format!("result-verification:{receipt}"))
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect()
}

/// The printable result of an approved step (the extract of a civil-status entry, the notice
/// of a residence change, the decision on an allowance) with a QR code that opens its public
/// verification page.
/// What a result shows: the dossier row, its result, its book entry, the verification URL.
struct ResultView {
    record: DossierRecord,
    result: shop::StepResult,
    entry: Option<xaso_store::CivilStatusEntry>,
    url: String,
}

async fn result_view(
    state: &AppState,
    officer: &Officer,
    headers: &HeaderMap,
    receipt: &str,
    route: &str,
) -> Result<ResultView, PageError> {
    let lang = officer.lang;
    let view = load_view(state, officer, receipt).await?;
    let record = view.loaded.record;
    let Some(result) = shop::step_result(&record) else {
        return Err(PageError::new(
            lang,
            StatusCode::CONFLICT,
            tr(
                lang,
                "Hồ sơ chưa có kết quả.",
                "The dossier has no result yet.",
            ),
        ));
    };
    audit(
        state,
        officer,
        "dossier.result",
        route,
        result.personal_id.clone().or(record.applicant_id.clone()),
        Some(receipt.to_owned()),
    )
    .await?;
    let ids: Vec<String> = result.personal_id.iter().cloned().collect();
    let entries = civil_status_of(state, lang, ids).await?;
    let entry = entries
        .into_iter()
        .find(|e| e.entry.receipt_number.as_deref() == Some(receipt));
    let host = public_url(state, headers, receipt);
    let base = host.split("/tra-cuu").next().unwrap_or("").to_owned();
    let url = format!(
        "{base}/xac-minh?so={receipt}&ma={}",
        verification_code(state, receipt)
    );
    Ok(ResultView {
        record,
        result,
        entry,
        url,
    })
}

pub async fn result_page(
    State(state): State<AppState>,
    officer: Officer,
    headers: HeaderMap,
    Path(receipt): Path<String>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let ResultView {
        record,
        result,
        entry,
        url,
    } = result_view(
        &state,
        &officer,
        &headers,
        &receipt,
        "/dossiers/{receipt}/result",
    )
    .await?;
    let record = &record;
    let entry = entry.as_ref();
    let body = html! {
        article.sheet.result {
            p.center { strong { (state.shop().unit_name.to_uppercase()) } }
            h1.center { (procedure_name(&state, lang, &record.procedure_code)) }
            dl.facts {
                dt { (tr(lang, "Số hồ sơ", "Receipt number")) } dd { (record.receipt_number) }
                @if let Some(name) = &result.full_name { dt { (tr(lang, "Họ và tên", "Full name")) } dd { (name) } }
                @if let Some(id) = &result.personal_id { dt { (tr(lang, "Số định danh cá nhân", "Personal ID")) } dd #result-id { (id) } }
                @if let Some(e) = entry {
                    dt { (tr(lang, "Sổ hộ tịch", "Civil-status book")) }
                    dd #book-line { (e.entry.kind) " " (e.entry.year) ", " (tr(lang, "số", "line")) " " (e.line) }
                    dt { (tr(lang, "Ngày đăng ký", "Registered on")) } dd { (vn_date(&e.entry.registered_on)) }
                }
                dt { (tr(lang, "Kết quả", "Result")) } dd { (lang.pick(&result.note_en, &result.note_vi)) }
            }
            div.qr-block {
                figure #verify-qr { (qr_svg(&url)) figcaption { (tr(lang, "Quét mã để xác minh kết quả", "Scan to verify this result")) } }
                p { (tr(lang, "Hoặc vào trang /xac-minh, nhập số hồ sơ và mã xác minh", "Or open /xac-minh with the receipt number and the verification code")) " " strong #verify-code { (verification_code(&state, &record.receipt_number)) } }
            }
            div.actions.no-print {
                button type="button" data-print { (tr(lang, "In kết quả", "Print")) }
                a.button #result-pdf href={ "/dossiers/" (record.receipt_number) "/result.pdf" } { (tr(lang, "Tải bản PDF", "Download the PDF")) }
                a.button href={ "/dossiers/" (record.receipt_number) } { (tr(lang, "Xem hồ sơ", "Open the dossier")) }
            }
        }
    };
    Ok(officer.page(tr(lang, "Kết quả giải quyết", "Result"), body))
}

// ---------------------------------------------------------------------------------------------
// Digitised papers

/// Attaches a scanned paper to the dossier and to the applicant's digital folder.
pub async fn attach(
    State(state): State<AppState>,
    officer: Officer,
    Path(receipt): Path<String>,
    multipart: Result<
        axum::extract::multipart::Multipart,
        axum::extract::multipart::MultipartRejection,
    >,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let bad = || {
        PageError::new(
            lang,
            StatusCode::BAD_REQUEST,
            tr(
                lang,
                "Biểu mẫu không đọc được.",
                "The form could not be read.",
            ),
        )
    };
    let too_large = || {
        PageError::new(
            lang,
            StatusCode::PAYLOAD_TOO_LARGE,
            tr(
                lang,
                "Tệp quá lớn (tối đa 10 MB).",
                "The file is too large (10 MB at most).",
            ),
        )
    };
    let mut multipart = multipart.map_err(|_| bad())?;
    let (mut csrf, mut document, mut file_name, mut bytes) =
        (String::new(), String::new(), String::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            bad()
        }
    })? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(|_| bad())?,
            "document" => document = field.text().await.map_err(|_| bad())?,
            "file" => {
                file_name = field
                    .file_name()
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect();
                bytes = field.bytes().await.map_err(|_| too_large())?.to_vec();
            }
            _ => {}
        }
    }
    officer.check_csrf(&state, &csrf)?;
    let view = load_view(&state, &officer, &receipt).await?;
    let record = &view.loaded.record;
    officer.require(
        matches!(officer.role, Role::Desk | Role::Admin)
            || record.handling_role == officer.role.as_str()
            || view
                .steps
                .iter()
                .any(|s| s.record.handling_role == officer.role.as_str()),
        tr(
            lang,
            "Vai trò của bạn không số hóa giấy tờ của hồ sơ này.",
            "Your role may not digitise this dossier's papers.",
        ),
    )?;
    let shop = state.shop();
    let known = shop
        .procedure(&record.procedure_code)
        .is_some_and(|p| p.documents.iter().any(|d| d.name.vi == document));
    let problem = if !known {
        Some(tr(
            lang,
            "document: không phải giấy tờ của thủ tục này",
            "document: not a paper of this procedure",
        ))
    } else if bytes.is_empty() {
        Some(tr(lang, "file: chưa chọn tệp", "file: no file chosen"))
    } else if bytes.len() > super::civil_status::SCAN_LIMIT {
        return Err(too_large());
    } else if super::civil_status::sniff(&bytes).is_none() {
        Some(tr(
            lang,
            "file: chỉ nhận PDF, JPEG hoặc PNG",
            "file: only PDF, JPEG or PNG",
        ))
    } else {
        None
    };
    if let Some(p) = problem {
        return dossier_view(
            &state,
            &officer,
            view,
            Some(("error", p.to_owned())),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let link = AttachmentLink {
        sha256: String::new(),
        receipt_number: Some(record.receipt_number.clone()),
        personal_id: record.applicant_id.clone(),
        document,
        file_name,
        media_type: super::civil_status::sniff(&bytes)
            .unwrap_or("application/octet-stream")
            .to_owned(),
        size: 0,
        added_at: xaso_store::format_utc(OffsetDateTime::now_utc()),
        added_by: officer.login.clone(),
    };
    let stored = crate::api::blocking(&state, move |s| s.add_attachment(&bytes, &link))
        .await
        .or_page(lang)?;
    audit(
        &state,
        &officer,
        "dossier.attach",
        "/dossiers/{receipt}/attachments",
        record.applicant_id.clone(),
        Some(format!("{receipt} {}", stored.sha256)),
    )
    .await?;
    Ok(Redirect::to(&format!("/dossiers/{receipt}")).into_response())
}

// ---------------------------------------------------------------------------------------------
// The apology letter of an overdue dossier

#[derive(Debug, Default, Deserialize)]
pub struct ApologyQuery {
    /// The new appointment, YYYY-MM-DD; default two working days from today.
    #[serde(default)]
    new_date: String,
    #[serde(default)]
    reason: String,
}

/// The letter the desk gives an applicant whose dossier is overdue: an apology, the reason
/// and the new date (the form "phiếu xin lỗi và hẹn lại ngày trả kết quả"). The date printed is
/// kept in the audit record.
pub async fn apology_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(receipt): Path<String>,
    Query(q): Query<ApologyQuery>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let view = load_view(&state, &officer, &receipt).await?;
    let record = &view.loaded.record;
    let now = OffsetDateTime::now_utc();
    let today = local_time(now).date();
    let shop = state.shop();
    let overdue = match &view.loaded.dossier {
        Some(d) => d.status(now) == xaso_domain::dossier::Timeliness::Overdue,
        None => view.steps.iter().any(|s| {
            s.dossier
                .as_ref()
                .is_some_and(|d| d.status(now) == xaso_domain::dossier::Timeliness::Overdue)
        }),
    };
    if !overdue {
        return Err(PageError::new(
            lang,
            StatusCode::CONFLICT,
            tr(
                lang,
                "Hồ sơ chưa quá hạn: không cần phiếu xin lỗi.",
                "The dossier is not overdue: no apology letter is needed.",
            ),
        ));
    }
    let proposed = shop.calendar.add_working_days(today, 2);
    let new_date = match q.new_date.trim() {
        "" => proposed,
        raw => match shop::parse_date(raw) {
            Some(d) if d > today => d,
            _ => {
                return Err(PageError::new(
                    lang,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    tr(
                        lang,
                        "new_date: phải là ngày sau hôm nay, dạng YYYY-MM-DD",
                        "new_date: expected a date after today, YYYY-MM-DD",
                    ),
                ))
            }
        },
    };
    let reason: String = q.reason.trim().chars().take(500).collect();
    audit(
        &state,
        &officer,
        "dossier.apology",
        "/dossiers/{receipt}/apology",
        record.applicant_id.clone(),
        Some(format!("{receipt} new date {new_date}")),
    )
    .await?;
    let applicant = view
        .loaded
        .form
        .as_ref()
        .and_then(|f| f.value("applicant_full_name"))
        .unwrap_or("")
        .to_owned();
    let body = html! {
        form.search.no-print method="get" action={ "/dossiers/" (receipt) "/apology" } {
            label for="new_date" { (tr(lang, "Ngày hẹn mới", "New date")) }
            input #new_date type="date" name="new_date" value=(new_date.to_string());
            label for="reason" { (tr(lang, "Lý do chậm", "Reason for the delay")) }
            input #reason name="reason" value=(reason);
            button type="submit" { (tr(lang, "Cập nhật phiếu", "Update the letter")) }
        }
        article.sheet.apology {
            p.center { strong { (shop.unit_name.to_uppercase()) } }
            h1.center { (tr(lang, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "APOLOGY AND NEW APPOINTMENT")) }
            p {
                (tr(lang, "Kính gửi", "To")) ": " strong { (applicant) } "."
            }
            p {
                (tr(lang, "Hồ sơ số", "Dossier")) " " strong { (record.receipt_number) } " — "
                (procedure_name(&state, lang, &record.procedure_code)) ", "
                (tr(lang, "hẹn trả ngày", "due on")) " " (vn_date(&record.due_on)) ", "
                (tr(lang, "chưa giải quyết xong đúng hạn.", "was not finished on time."))
            }
            @if !reason.is_empty() { p { (tr(lang, "Lý do", "Reason")) ": " (reason) } }
            p {
                (tr(lang, "Cơ quan xin lỗi ông/bà và hẹn trả kết quả vào ngày", "We apologise and will return the result on"))
                " " strong #new-date { (format!("{:02}/{:02}/{}", new_date.day(), u8::from(new_date.month()), new_date.year())) } "."
            }
            div.actions.no-print { button type="button" data-print { (tr(lang, "In phiếu", "Print")) } }
        }
    };
    Ok(officer.page(tr(lang, "Phiếu xin lỗi", "Apology letter"), body))
}

#[derive(Debug, Default, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    answer: String,
}

/// The desk's (or a leader's) answer to a complaint.
pub async fn answer_complaint(
    State(state): State<AppState>,
    officer: Officer,
    Path((receipt, id)): Path<(String, i64)>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    officer.check_csrf(&state, &form.csrf)?;
    officer.require(
        matches!(officer.role, Role::Desk | Role::Admin | Role::Leader),
        tr(
            lang,
            "Chỉ bộ phận một cửa, lãnh đạo hoặc quản trị viên trả lời phản ánh.",
            "Only the desk, a leader or an admin answers complaints.",
        ),
    )?;
    let view = load_view(&state, &officer, &receipt).await?;
    let answer: String = form.answer.trim().chars().take(2000).collect();
    if answer.is_empty() {
        return dossier_view(
            &state,
            &officer,
            view,
            Some((
                "error",
                tr(
                    lang,
                    "answer: hãy ghi nội dung trả lời",
                    "answer: write the answer",
                )
                .to_owned(),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let login = officer.login.clone();
    let today = local_time(OffsetDateTime::now_utc()).date().to_string();
    let target = receipt.clone();
    let saved = crate::api::blocking(&state, move |s| {
        match s.get_complaint(id)? {
            Some(c) if c.complaint.receipt_number == target => {}
            _ => return Err(xaso_store::StoreError::NotFound(format!("complaint {id}"))),
        }
        s.answer_complaint(id, &answer, &login, &today)
    })
    .await;
    audit(
        &state,
        &officer,
        "complaint.answer",
        "/dossiers/{receipt}/complaints/{id}/answer",
        view.loaded.record.applicant_id.clone(),
        Some(format!("{receipt} #{id}")),
    )
    .await?;
    match saved {
        Ok(()) => Ok(Redirect::to(&format!("/dossiers/{receipt}")).into_response()),
        Err(e) => {
            let page = PageError::from_api(lang, e);
            dossier_view(
                &state,
                &officer,
                view,
                Some(("error", page.message)),
                page.status,
            )
            .await
        }
    }
}

/// The result as a PDF file: the same facts and verification QR code as the printable page,
/// in Vietnamese (the language of the state's papers).
pub async fn result_pdf(
    State(state): State<AppState>,
    officer: Officer,
    headers: HeaderMap,
    Path(receipt): Path<String>,
) -> Result<Response, PageError> {
    let ResultView {
        record,
        result,
        entry,
        url,
    } = result_view(
        &state,
        &officer,
        &headers,
        &receipt,
        "/dossiers/{receipt}/result.pdf",
    )
    .await?;
    let shop = state.shop();
    let title = shop
        .procedure(&record.procedure_code)
        .map_or(record.procedure_code.clone(), |p| p.name.vi.clone());
    let mut doc = xaso_pdf::Document::new(&title);
    if !shop.unit_name.is_empty() {
        doc.paragraph(&shop.unit_name.to_uppercase());
    }
    doc.heading(&title);
    doc.field("Số hồ sơ", &record.receipt_number);
    if let Some(name) = &result.full_name {
        doc.field("Họ và tên", name);
    }
    if let Some(id) = &result.personal_id {
        doc.field("Số định danh cá nhân", id);
    }
    if let Some(e) = &entry {
        doc.field(
            "Sổ hộ tịch",
            &format!(
                "{} năm {}, số {}",
                book_name_vi(&e.entry.kind),
                e.entry.year,
                e.line
            ),
        );
        doc.field("Ngày đăng ký", &vn_date(&e.entry.registered_on));
    }
    doc.field("Kết quả", &result.note_vi);
    if let Ok(code) = qrcode::QrCode::new(url.as_bytes()) {
        let width = code.width();
        let colors = code.to_colors();
        let modules: Vec<Vec<bool>> = colors
            .chunks(width)
            .map(|row| row.iter().map(|c| *c == qrcode::Color::Dark).collect())
            .collect();
        doc.qr(&modules, "Quét mã để xác minh kết quả");
    }
    let bytes = doc.to_bytes();
    let disposition = format!("inline; filename=\"ket-qua-{}.pdf\"", record.receipt_number);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

fn book_name_vi(kind: &str) -> &str {
    match kind {
        "birth" => "Sổ đăng ký khai sinh",
        "death" => "Sổ đăng ký khai tử",
        "marriage" => "Sổ đăng ký kết hôn",
        other => other,
    }
}
