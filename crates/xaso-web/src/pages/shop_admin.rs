//! The administrators' side of the one-stop shop: the procedure catalogue (each procedure's
//! names, deadline and online level in a form, the whole record — documents, legal basis,
//! e-form schema — as JSON) and the working-day calendar's yearly tables (the days off and the
//! swapped working days the government announces). Every change is validated before it is
//! stored, takes effect for the next request and is audited.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;
use time::{Date, OffsetDateTime};
use xaso_domain::dossier::local_time;
use xaso_domain::role::Role;
use xaso_services::catalogue::{Deadline, OnlineLevel, Procedure};

use super::dossiers::tr;
use super::{notice, Officer, OrPage, PageError};
use crate::api::{audit_record, audited, blocking};
use crate::shop::{self, CalendarTable, Shop, CALENDAR_KEY, CATALOGUE_KEY};
use crate::AppState;

fn require_admin(officer: &Officer) -> Result<(), PageError> {
    officer.require(
        officer.role == Role::Admin,
        tr(
            officer.lang,
            "Chỉ quản trị viên sửa danh mục thủ tục và lịch làm việc.",
            "Only administrators edit the procedure catalogue and the calendar.",
        ),
    )
}

/// An administrator's change, audited with what changed as the reason.
pub(crate) async fn audit(
    state: &AppState,
    officer: &Officer,
    action: &str,
    route: &str,
    reason: String,
) -> Result<(), PageError> {
    let mut r = audit_record(&officer.principal(), action, route, None);
    r.reason = Some(reason);
    audited(state, vec![r]).await.or_page(officer.lang)
}

// ---------------------------------------------------------------------------------------------
// The catalogue

pub async fn catalogue_page(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Response, PageError> {
    require_admin(&officer)?;
    let lang = officer.lang;
    let shop = state.shop();
    let body = html! {
        h1 { (tr(lang, "Danh mục thủ tục", "Procedure catalogue")) }
        table.results #catalogue {
            thead { tr {
                th { (tr(lang, "Mã", "Code")) }
                th { (tr(lang, "Tên thủ tục", "Procedure")) }
                th { (tr(lang, "Thời hạn", "Deadline")) }
                th { (tr(lang, "Trực tuyến", "Online")) }
                th { (tr(lang, "Trường lấy từ CSDL", "Fields from the register")) }
            } }
            tbody { @for p in &shop.catalogue.procedures {
                tr {
                    td { a href={ "/admin/catalogue/" (p.code) } { code { (p.code) } } }
                    td { (lang.pick(&p.name.en, &p.name.vi)) }
                    td { (lang.pick(&p.deadline.label().en, &p.deadline.label().vi)) }
                    td { (online_label(lang, p.online_level)) }
                    td { (p.reuse_potential().to_string()) }
                }
            } }
        }
        p { a href="/admin/calendar" { (tr(lang, "Lịch làm việc (ngày nghỉ, ngày làm bù)", "Working calendar (days off, swapped days)")) } }
    };
    Ok(officer.page(tr(lang, "Danh mục thủ tục", "Procedure catalogue"), body))
}

fn online_label(lang: crate::i18n::Lang, level: OnlineLevel) -> &'static str {
    match level {
        OnlineLevel::Full => tr(lang, "Toàn trình", "Full"),
        OnlineLevel::Partial => tr(lang, "Một phần", "Partial"),
    }
}

pub async fn procedure_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    require_admin(&officer)?;
    let shop = state.shop();
    let procedure = find(&officer, &shop, &code)?.clone();
    Ok(procedure_view(&officer, &procedure, None, StatusCode::OK))
}

fn find<'a>(officer: &Officer, shop: &'a Shop, code: &str) -> Result<&'a Procedure, PageError> {
    shop.procedure(code).ok_or_else(|| {
        PageError::new(
            officer.lang,
            StatusCode::NOT_FOUND,
            tr(officer.lang, "Không có thủ tục này.", "No such procedure."),
        )
    })
}

fn procedure_view(
    officer: &Officer,
    p: &Procedure,
    message: Option<(&str, String)>,
    status: StatusCode,
) -> Response {
    let lang = officer.lang;
    let (within_day, days) = match p.deadline {
        Deadline::WithinTheDay => (true, String::new()),
        Deadline::WorkingDays(n) => (false, n.to_string()),
    };
    let json = serde_json::to_string_pretty(p).unwrap_or_default();
    let body = html! {
        h1 { (lang.pick(&p.name.en, &p.name.vi)) }
        @if let Some((k, t)) = &message { (notice(k, t)) }
        form.sheet method="post" action={ "/admin/catalogue/" (p.code) } {
            (officer.csrf_field())
            label for="name_vi" { (tr(lang, "Tên (tiếng Việt)", "Name (Vietnamese)")) }
            input #name_vi name="name_vi" value=(p.name.vi) required;
            label for="name_en" { (tr(lang, "Tên (tiếng Anh)", "Name (English)")) }
            input #name_en name="name_en" value=(p.name.en) required;
            fieldset {
                legend { (tr(lang, "Thời hạn giải quyết", "Deadline")) }
                label.choice { input type="checkbox" name="within_day" value="1" checked[within_day]; " " (tr(lang, "Trong ngày", "Within the day")) }
                label for="working_days" { (tr(lang, "hoặc số ngày làm việc", "or working days")) }
                input #working_days name="working_days" value=(days) inputmode="numeric";
            }
            label for="online" { (tr(lang, "Mức trực tuyến", "Online level")) }
            select #online name="online" {
                option value="full" selected[p.online_level == OnlineLevel::Full] { (online_label(lang, OnlineLevel::Full)) }
                option value="partial" selected[p.online_level == OnlineLevel::Partial] { (online_label(lang, OnlineLevel::Partial)) }
            }
            details {
                summary { (tr(lang, "Toàn bộ thủ tục (JSON): giấy tờ, căn cứ pháp lý, biểu mẫu điện tử", "The whole procedure (JSON): documents, legal basis, e-form")) }
                textarea #json name="json" rows="24" spellcheck="false" { (json) }
                p.note { (tr(lang, "Các ô phía trên được áp dụng sau khi đọc JSON.", "The fields above are applied after the JSON is read.")) }
            }
            div.actions { button.primary type="submit" { (tr(lang, "Lưu", "Save")) } }
        }
    };
    let mut r = officer.page(&p.code, body);
    *r.status_mut() = status;
    r
}

#[derive(Debug, Default, Deserialize)]
pub struct ProcedureForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name_vi: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    within_day: String,
    #[serde(default)]
    working_days: String,
    #[serde(default)]
    online: String,
    #[serde(default)]
    json: String,
}

pub async fn save_procedure(
    State(state): State<AppState>,
    officer: Officer,
    Path(code): Path<String>,
    Form(form): Form<ProcedureForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    require_admin(&officer)?;
    let lang = officer.lang;
    let shop = state.shop();
    let current = find(&officer, &shop, &code)?.clone();
    let refuse = |p: &Procedure, e: String| {
        Ok(procedure_view(
            &officer,
            p,
            Some(("error", e)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ))
    };
    let mut edited: Procedure = if form.json.trim().is_empty() {
        current.clone()
    } else {
        match serde_json::from_str(&form.json) {
            Ok(p) => p,
            Err(e) => return refuse(&current, format!("JSON: {e}")),
        }
    };
    if edited.code != current.code {
        return refuse(
            &current,
            tr(
                lang,
                "code: không được đổi mã thủ tục",
                "code: a procedure's code does not change",
            )
            .to_owned(),
        );
    }
    edited.name.vi = form.name_vi.trim().to_owned();
    edited.name.en = form.name_en.trim().to_owned();
    edited.deadline = if form.within_day == "1" {
        Deadline::WithinTheDay
    } else {
        match form.working_days.trim().parse::<u32>() {
            Ok(n) if (1..=365).contains(&n) => Deadline::WorkingDays(n),
            _ => return refuse(
                &edited,
                tr(
                    lang,
                    "working_days: phải là số ngày làm việc từ 1 đến 365, hoặc chọn «Trong ngày»",
                    "working_days: expected 1 to 365 working days, or tick «Within the day»",
                )
                .to_owned(),
            ),
        }
    };
    edited.online_level = if form.online == "partial" {
        OnlineLevel::Partial
    } else {
        OnlineLevel::Full
    };
    let mut catalogue = shop.catalogue.clone();
    if let Some(slot) = catalogue.procedures.iter_mut().find(|p| p.code == code) {
        *slot = edited.clone();
    }
    if let Some(problem) = catalogue.validate().first() {
        return refuse(
            &edited,
            lang.pick(&problem.to_string(), &problem.vi()).to_owned(),
        );
    }
    let json = serde_json::to_string(&catalogue)
        .map_err(|e| PageError::new(lang, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let stored = json.clone();
    blocking(&state, move |s| s.set_meta(CATALOGUE_KEY, &stored))
        .await
        .or_page(lang)?;
    let next = Shop::load(state.store.as_ref())
        .map_err(|e| PageError::new(lang, StatusCode::INTERNAL_SERVER_ERROR, e))?;
    state.replace_shop(next);
    audit(
        &state,
        &officer,
        "catalogue.edit",
        "/admin/catalogue/{code}",
        code.clone(),
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/catalogue/{code}")).into_response())
}

// ---------------------------------------------------------------------------------------------
// The calendar

#[derive(Debug, Default, Deserialize)]
pub struct YearQuery {
    #[serde(default)]
    year: String,
}

pub async fn calendar_page(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    require_admin(&officer)?;
    let this_year = local_time(OffsetDateTime::now_utc()).date().year();
    let year = q
        .year
        .trim()
        .parse()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(this_year);
    Ok(calendar_view(&state, &officer, year, None, StatusCode::OK))
}

fn dates_text(dates: &[Date]) -> String {
    dates
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn calendar_view(
    state: &AppState,
    officer: &Officer,
    year: i32,
    message: Option<(&str, String)>,
    status: StatusCode,
) -> Response {
    let lang = officer.lang;
    let shop = state.shop();
    let table = shop
        .calendar_tables
        .iter()
        .find(|t| t.year == year)
        .cloned()
        .unwrap_or(CalendarTable {
            year,
            ..Default::default()
        });
    let days_off = shop.calendar.days_off(year);
    let body = html! {
        h1 { (tr(lang, "Lịch làm việc", "Working calendar")) " " (year) }
        @if let Some((k, t)) = &message { (notice(k, t)) }
        form.search.no-print method="get" action="/admin/calendar" {
            label for="year" { (tr(lang, "Năm", "Year")) }
            input #year name="year" value=(year) inputmode="numeric";
            button type="submit" { (tr(lang, "Xem", "Show")) }
        }
        h2 { (tr(lang, "Ngày nghỉ trong năm", "Days off this year")) }
        ul #days-off { @for (d, what) in &days_off { li { (d.to_string()) " — " (what) } } }
        h2 { (tr(lang, "Theo thông báo của Chính phủ", "As the government announced")) }
        form.sheet method="post" action="/admin/calendar" {
            (officer.csrf_field())
            input type="hidden" name="year" value=(year);
            label for="extra" { (tr(lang, "Ngày nghỉ thêm (mỗi dòng một ngày, YYYY-MM-DD)", "Extra days off (one a line, YYYY-MM-DD)")) }
            textarea #extra name="extra_days_off" rows="4" { (dates_text(&table.extra_days_off)) }
            label for="working" { (tr(lang, "Ngày làm bù (thứ Bảy đi làm)", "Swapped working days (Saturdays worked)")) }
            textarea #working name="working_days" rows="3" { (dates_text(&table.working_days)) }
            label for="removed" { (tr(lang, "Ngày nghỉ tính theo luật nhưng năm nay không nghỉ", "Computed days off that do not apply this year")) }
            textarea #removed name="removed_days_off" rows="3" { (dates_text(&table.removed_days_off)) }
            div.actions { button.primary type="submit" { (tr(lang, "Lưu", "Save")) } }
        }
    };
    let mut r = officer.page(tr(lang, "Lịch làm việc", "Working calendar"), body);
    *r.status_mut() = status;
    r
}

#[derive(Debug, Default, Deserialize)]
pub struct CalendarForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    extra_days_off: String,
    #[serde(default)]
    working_days: String,
    #[serde(default)]
    removed_days_off: String,
}

/// The dates of a text area, one a line; the error names the field and the line.
fn parse_dates(field: &str, text: &str) -> Result<Vec<Date>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match shop::parse_date(line) {
            Some(d) => out.push(d),
            None => {
                return Err(format!(
                    "{field}, line {}: {line:?} is not a date YYYY-MM-DD",
                    i + 1
                ))
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

pub async fn save_calendar(
    State(state): State<AppState>,
    officer: Officer,
    Form(form): Form<CalendarForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    require_admin(&officer)?;
    let lang = officer.lang;
    let Some(year) = form
        .year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
    else {
        return Err(PageError::new(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            tr(
                lang,
                "year: phải là năm từ 2000 đến 2100",
                "year: expected 2000 to 2100",
            ),
        ));
    };
    let parsed = (|| {
        Ok::<_, String>(CalendarTable {
            year,
            extra_days_off: parse_dates("extra_days_off", &form.extra_days_off)?,
            working_days: parse_dates("working_days", &form.working_days)?,
            removed_days_off: parse_dates("removed_days_off", &form.removed_days_off)?,
        })
    })();
    let table = match parsed {
        Ok(t) => t,
        Err(e) => {
            return Ok(calendar_view(
                &state,
                &officer,
                year,
                Some(("error", e)),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    };
    let shop = state.shop();
    let mut tables: Vec<CalendarTable> = shop
        .calendar_tables
        .iter()
        .filter(|t| t.year != year)
        .cloned()
        .collect();
    if !(table.extra_days_off.is_empty()
        && table.working_days.is_empty()
        && table.removed_days_off.is_empty())
    {
        tables.push(table);
    }
    tables.sort_by_key(|t| t.year);
    // Checked before it is stored; the shop is then read back from the store.
    if let Err(e) = shop::calendar_of(&tables) {
        return Ok(calendar_view(
            &state,
            &officer,
            year,
            Some(("error", e.to_string())),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let json = serde_json::to_string(&tables)
        .map_err(|e| PageError::new(lang, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    blocking(&state, move |s| s.set_meta(CALENDAR_KEY, &json))
        .await
        .or_page(lang)?;
    let next = Shop::load(state.store.as_ref())
        .map_err(|e| PageError::new(lang, StatusCode::INTERNAL_SERVER_ERROR, e))?;
    state.replace_shop(next);
    audit(
        &state,
        &officer,
        "calendar.edit",
        "/admin/calendar",
        year.to_string(),
    )
    .await?;
    Ok(calendar_view(
        &state,
        &officer,
        year,
        Some(("ok", tr(lang, "Đã lưu lịch.", "Calendar saved.").to_owned())),
        StatusCode::OK,
    ))
}
