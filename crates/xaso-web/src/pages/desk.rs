//! The desk: an officer scans a citizen's ID card (a USB scanner types the QR payload and
//! presses Enter) and sees the card beside the register's record, differences marked.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use maud::html;
use serde::Deserialize;
use xaso_card::compare::{compare, CardComparison, Verdict, Via};
use xaso_card::CardQr;
use xaso_domain::role::Role;

use super::dossiers::tr;
use super::register::{person_href, sex_text};
use super::{notice, Officer, OrPage, PageError};
use crate::api::{audit_record, audited, read};
use crate::i18n::fill;
use crate::AppState;

pub async fn desk_page(State(state): State<AppState>, officer: Officer) -> Response {
    desk_view(&state, &officer, None, html! {}, StatusCode::OK)
}

fn desk_view(
    state: &AppState,
    officer: &Officer,
    message: Option<(&str, String)>,
    result: maud::Markup,
    status: StatusCode,
) -> Response {
    let m = officer.m();
    let samples = &state.web.config.demo_cards;
    let body = html! {
        h1 { (m.desk_title) }
        form.search.no-print method="post" action="/desk" {
            (officer.csrf_field())
            label for="scan" { (m.desk_scan_label) }
            div.row {
                // The scanner types fast and ends with Enter; nothing here must get in its way.
                input #scan name="payload" autocomplete="off" autofocus spellcheck="false";
                button.primary type="submit" { (m.desk_scan_submit) }
            }
        }
        @if let Some((kind, text)) = &message { (notice(kind, text)) }
        (result)
        @if matches!(officer.role, Role::Desk | Role::Admin) {
            p.no-print { a href="/desk/chip" { (tr(officer.lang, "Xác thực chip thẻ căn cước (tệp từ đầu đọc NFC)", "Verify an ID card's chip (files from an NFC reader)")) } }
        }
        @if !samples.is_empty() {
            details.samples.no-print {
                summary { (m.desk_samples) }
                ul { @for s in samples { li { code { (s) } } } }
            }
        }
    };
    let mut response = officer.page(m.desk_title, body);
    *response.status_mut() = status;
    response
}

#[derive(Deserialize)]
pub struct ScanForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    payload: String,
}

pub async fn scan(
    State(state): State<AppState>,
    officer: Officer,
    Form(form): Form<ScanForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    let m = officer.m();
    if crate::citizen::id_qr::looks_like_code(&form.payload) {
        return identity_code(&state, &officer, &form.payload).await;
    }
    match xaso_card::parse_qr(&form.payload) {
        Ok(card) => show_card(&state, &officer, card).await,
        Err(e) => Ok(desk_view(
            &state,
            &officer,
            Some((
                "error",
                fill(m.desk_bad_qr, &[officer.lang.pick(&e.to_string(), &e.vi())]),
            )),
            html! {},
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
    }
}

/// A citizen's signed identity code (from the portal) scanned instead of a card: verified
/// (signature, audience, validity, level 2), then the register's record of the person.
async fn identity_code(
    state: &AppState,
    officer: &Officer,
    text: &str,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let keys = crate::api::blocking(state, |s| Ok(crate::oidc::keys::load(s)))
        .await
        .or_page(lang)?
        .map_err(|e| PageError::from_api(lang, crate::error::ApiError::Internal(e)))?;
    let now = time::OffsetDateTime::now_utc();
    let principal = officer.principal();
    let code = match crate::citizen::id_qr::check(&keys, text, now) {
        Ok(code) => code,
        Err(refusal) => {
            let mut record = audit_record(&principal, "citizen.id_qr.refused", "POST /desk", None);
            record.reason = Some(refusal.text(crate::i18n::Lang::En));
            audited(state, vec![record]).await.or_page(lang)?;
            return Ok(desk_view(
                state,
                officer,
                Some(("error", refusal.text(lang))),
                html! {},
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let found = match xaso_domain::PersonalId::parse(&code.pid) {
        Ok(id) => read(state, move |s| s.get_person(&id))
            .await
            .or_page(lang)?,
        Err(_) => None,
    };
    audit_scan(state, officer, "citizen.id_qr", &code.pid, found.is_some()).await?;
    let until = time::OffsetDateTime::from_unix_timestamp(code.exp).unwrap_or(now);
    let m = officer.m();
    let result = html! {
        (notice("ok", &format!("{} {}", tr(lang,
            "Mã định danh điện tử mức 2 hợp lệ (chữ ký của hệ thống), có hiệu lực đến",
            "A valid level-2 identity code (signed by this system), valid until"),
            super::local_time(&xaso_store::format_utc(until)))))
        @match &found {
            Some(stored) => {
                dl.facts #identity-person {
                    dt { (m.f_personal_id) } dd.mono { (stored.person.personal_id) }
                    dt { (m.f_full_name) } dd { (stored.person.full_name) }
                    dt { (m.f_date_of_birth) } dd { (super::register::date_text(stored.person.date_of_birth.as_ref())) }
                    dt { (m.f_sex) } dd { (sex_text(m, stored.person.sex)) }
                }
                p.no-print { a.button.primary href=(person_href(&state.web.handles, &stored.person.personal_id)) { (m.desk_open_record) } }
            }
            None => { (notice("info", m.desk_not_in_register)) }
        }
    };
    Ok(desk_view(state, officer, None, result, StatusCode::OK))
}

/// Audits a scan at the desk (`action` on `subject`), and the read of the register's record
/// when one was found and is shown.
async fn audit_scan(
    state: &AppState,
    officer: &Officer,
    action: &str,
    subject: &str,
    record_shown: bool,
) -> Result<(), PageError> {
    let principal = officer.principal();
    let mut records = vec![audit_record(
        &principal,
        action,
        "POST /desk",
        Some(subject.to_owned()),
    )];
    if record_shown {
        records.push(audit_record(
            &principal,
            "person.read",
            "POST /desk",
            Some(subject.to_owned()),
        ));
    }
    audited(state, records).await.or_page(officer.lang)
}

/// The card beside the record (also where a QR scanned into the search box lands).
pub async fn show_card(
    state: &AppState,
    officer: &Officer,
    card: CardQr,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let m = officer.m();
    let id = card.personal_id.clone();
    let found = read(state, move |s| s.get_person(&id))
        .await
        .or_page(lang)?;
    audit_scan(
        state,
        officer,
        "card.qr",
        card.personal_id.as_str(),
        found.is_some(),
    )
    .await?;
    let h = &state.web.handles;
    let result = match &found {
        Some(stored) => {
            let cmp = compare(&card, &stored.person);
            html! {
                (comparison_table(officer, &cmp))
                p.no-print { a.button.primary href=(person_href(h, &card.personal_id)) { (m.desk_open_record) } }
            }
        }
        None => html! {
            (notice("info", m.desk_not_in_register))
            (card_only(officer, &card))
        },
    };
    Ok(desk_view(state, officer, None, result, StatusCode::OK))
}

fn verdict_text(officer: &Officer, v: Verdict) -> &'static str {
    let m = officer.m();
    match v {
        Verdict::Same => m.desk_same,
        Verdict::Equivalent => m.desk_equivalent,
        Verdict::Differs => m.desk_differs,
        Verdict::CardOnly => m.desk_card_only,
        Verdict::RegisterOnly => m.desk_register_only,
    }
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Same => "same",
        Verdict::Equivalent => "equivalent",
        Verdict::Differs => "differs",
        Verdict::CardOnly | Verdict::RegisterOnly => "one-side",
    }
}

pub(crate) fn comparison_table(officer: &Officer, cmp: &CardComparison) -> maud::Markup {
    let m = officer.m();
    let vietnamese = officer.lang == crate::i18n::Lang::Vi;
    let warnings = if vietnamese {
        &cmp.warnings_vi
    } else {
        &cmp.warnings
    };
    html! {
        @for w in warnings {
            (notice("warning", &fill(m.desk_id_warning, &[w])))
        }
        @if cmp.differing == 0 {
            (notice("ok", m.desk_all_match))
        } @else {
            (notice("warning", &fill(m.desk_differences, &[&cmp.differing.to_string()])))
        }
        table.compare #card-compare {
            thead { tr {
                th scope="col" { (m.desk_field) }
                th scope="col" { (m.desk_card) }
                th scope="col" { (m.desk_register) }
                th scope="col" { (m.desk_verdict) }
            } }
            tbody {
                @for row in &cmp.rows {
                    tr class=(verdict_class(row.verdict)) data-field=(row.field) {
                        th scope="row" { (field_label(officer, row.field)) }
                        td { (row.card.clone().unwrap_or_default()) }
                        td { (row.register.clone().unwrap_or_default()) }
                        td {
                            strong { (verdict_text(officer, row.verdict)) }
                            @if row.field == "permanent_address" && row.current_units.iter().any(|u| u.via != Via::Direct) {
                                @let now: Vec<String> = row.current_units.iter().map(|u| format!("{}, {}", u.name, u.province_name)).collect();
                                br; small.note { (fill(m.desk_old_address, &[&now.join(" / ")])) }
                            } @else if let Some(note) = if vietnamese { &row.note_vi } else { &row.note } {
                                br; small.note { (note) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn card_only(officer: &Officer, card: &CardQr) -> maud::Markup {
    let m = officer.m();
    let mismatches = match officer.lang {
        crate::i18n::Lang::Vi => card.id_mismatches_vi(),
        crate::i18n::Lang::En => card.id_mismatches.clone(),
    };
    html! {
        @for w in &mismatches {
            (notice("warning", &fill(m.desk_id_warning, &[w])))
        }
        dl.facts #card-facts {
            dt { (m.f_personal_id) } dd.mono { (card.personal_id) }
            @if let Some(c) = &card.old_cmnd { dt { (m.f_old_cmnd) } dd.mono { (c) } }
            dt { (m.f_full_name) } dd { (card.full_name) }
            dt { (m.f_date_of_birth) } dd { (card.date_of_birth.to_vi()) }
            dt { (m.f_sex) } dd { (sex_text(m, Some(card.sex))) }
            dt { (m.f_permanent_address) } dd { (card.permanent_address) }
        }
    }
}

fn field_label(officer: &Officer, field: &str) -> &'static str {
    let m = officer.m();
    match field {
        "personal_id" => m.f_personal_id,
        "old_cmnd" => m.f_old_cmnd,
        "full_name" => m.f_full_name,
        "date_of_birth" => m.f_date_of_birth,
        "sex" => m.f_sex,
        "permanent_address" => m.f_permanent_address,
        "issue_date" => m.f_issue_date,
        _ => m.desk_field,
    }
}
