//! The register pages: the one search box, a person, a household, the edit form.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use xaso_domain::admin_units::units;
use xaso_domain::date::PartialDate;
use xaso_domain::ethnic::{ethnic_by_code, ethnic_groups};
use xaso_domain::register::{Address, Person, PersonRef};
use xaso_domain::{name, Cmnd, PersonalId, Sex};
use xaso_store::{AuditFilter, ChangeMeta, PersonVersion, StoredPerson};

use super::{local_time, notice, Officer, OrPage, PageError};
use crate::api::{
    audit_record, audited, blocking, classify_query, read, run_search, QueryProblem, SearchQuery,
};
use crate::handle::Handles;
use crate::i18n::{fill, Lang, Messages};
use crate::AppState;

const RESULT_LIMIT: usize = 50;

pub async fn search_page(State(state): State<AppState>, officer: Officer) -> Response {
    search_view(&officer, &state.web.handles, None, "", None)
}

fn search_view(
    officer: &Officer,
    h: &Handles,
    message: Option<(&str, String)>,
    q: &str,
    results: Option<&[StoredPerson]>,
) -> Response {
    let m = officer.m();
    let body = html! {
        h1 { (m.search_title) }
        form.search method="post" action="/search" role="search" {
            (officer.csrf_field())
            label for="q" { (m.search_label) }
            div.row {
                // Selected on focus, so that a scanned card replaces the last query instead of joining it.
                input #q type="search" name="q" value=(q) autocomplete="off" autofocus data-select-on-focus placeholder=(m.search_placeholder);
                button.primary type="submit" { (m.search_submit) }
            }
        }
        @if let Some((kind, text)) = &message { (notice(kind, text)) }
        @if let Some(results) = results {
            @if results.is_empty() {
                (notice("info", m.search_none))
            } @else {
                p.count { (fill(m.search_results, &[&results.len().to_string()])) }
                @if results.len() >= RESULT_LIMIT {
                    (notice("info", &fill(m.search_more, &[&RESULT_LIMIT.to_string()])))
                }
                (results_table(officer, h, results))
            }
        }
    };
    officer.page(m.search_title, body)
}

fn results_table(officer: &Officer, h: &Handles, results: &[StoredPerson]) -> Markup {
    let m = officer.m();
    html! {
        table.results {
            thead { tr {
                th scope="col" { (m.col_name) }
                th scope="col" { (m.col_id) }
                th scope="col" { (m.col_dob) }
                th scope="col" { (m.col_sex) }
                th scope="col" { (m.col_address) }
            } }
            tbody {
                @for p in results {
                    tr {
                        td {
                            a href=(person_href(h, &p.person.personal_id)) { (p.person.full_name) }
                            @if p.person.is_deceased() { " " span.tag { (m.deceased) } }
                        }
                        td.mono { (p.person.personal_id) }
                        td { (date_text(p.person.date_of_birth.as_ref())) }
                        td { (sex_text(m, p.person.sex)) }
                        td { (address_text(&p.person.permanent_address)) }
                    }
                }
            }
        }
    }
}

pub(crate) fn person_href(h: &Handles, id: &PersonalId) -> String {
    format!("/p/{}", h.person(id))
}

fn household_href(h: &Handles, id: &str) -> Option<String> {
    h.household(id).map(|handle| format!("/h/{handle}"))
}

pub fn date_text(d: Option<&PartialDate>) -> String {
    d.map(|d| d.to_vi()).unwrap_or_default()
}

pub fn sex_text(m: &Messages, sex: Option<Sex>) -> &'static str {
    match sex {
        Some(Sex::Male) => m.sex_male,
        Some(Sex::Female) => m.sex_female,
        None => "",
    }
}

/// "Thôn Đông, Xã Thắng Lợi, Tỉnh Hưng Yên" from the detail and the commune code.
pub fn address_text(a: &Address) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(d) = a.detail.as_deref().filter(|d| !d.is_empty()) {
        parts.push(d.to_string());
    }
    if let Some(code) = &a.commune_code {
        match units().commune(code) {
            Some(c) => {
                parts.push(c.name.clone());
                if let Some(p) = units().province(&c.province_code) {
                    parts.push(p.name.clone());
                }
            }
            None => parts.push(code.clone()),
        }
    }
    parts.join(", ")
}

#[derive(Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    q: String,
}

pub async fn search(
    State(state): State<AppState>,
    officer: Officer,
    Form(form): Form<SearchForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    let query = match classify_query(&form.q, None, RESULT_LIMIT) {
        Ok(q) => q,
        Err(problem) => {
            let text = query_problem_text(officer.lang, &problem);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            let mut page = search_view(
                &officer,
                &state.web.handles,
                Some(("error", text)),
                &form.q,
                None,
            );
            *page.status_mut() = status;
            return Ok(page);
        }
    };
    // A scanned card goes to the desk view: the card beside the record.
    if let SearchQuery::Qr(card) = query {
        return super::desk::show_card(&state, &officer, *card).await;
    }
    let single = matches!(query, SearchQuery::PersonalId(_));
    let results = run_search(&state, &officer.principal(), query, "POST /search")
        .await
        .or_page(officer.lang)?;
    if single && results.len() == 1 {
        let href = person_href(&state.web.handles, &results[0].person.personal_id);
        return Ok(Redirect::to(&href).into_response());
    }
    Ok(search_view(
        &officer,
        &state.web.handles,
        None,
        &form.q,
        Some(&results),
    ))
}

fn query_problem_text(lang: Lang, p: &QueryProblem) -> String {
    let m = lang.msg();
    match p {
        QueryProblem::Empty => m.search_empty.into(),
        QueryProblem::DigitCount(n) => fill(m.search_bad_number, &[&n.to_string()]),
        QueryProblem::BadPersonalId(en, vi) => fill(m.bad_id, &[lang.pick(en, vi)]),
        QueryProblem::BadQr(en, vi) => fill(m.desk_bad_qr, &[lang.pick(en, vi)]),
        QueryProblem::NoLetters => m.search_no_letters.into(),
        QueryProblem::BadBirthYear(y) => fill(m.bad_date, &[&y.to_string()]),
    }
}

/// Opens a person handle, or answers "the link is no good".
fn open_person(state: &AppState, officer: &Officer, handle: &str) -> Result<PersonalId, PageError> {
    state.web.handles.open_person(handle).ok_or_else(|| {
        PageError::new(
            officer.lang,
            StatusCode::NOT_FOUND,
            officer.m().link_expired,
        )
    })
}

#[derive(Deserialize)]
pub struct PersonQuery {
    /// Set by the redirect after a successful edit.
    saved: Option<String>,
}

pub async fn person_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(handle): Path<String>,
    Query(query): Query<PersonQuery>,
) -> Result<Response, PageError> {
    let id = open_person(&state, &officer, &handle)?;
    let lang = officer.lang;
    let m = officer.m();
    let reason = state.web.reason_for(&officer.session_hash, id.as_str());
    if officer.role.must_state_purpose() && reason.is_none() {
        return Ok(reason_form(&officer, &handle, None));
    }
    let show_viewers = officer.role.can_read_audit();
    if show_viewers {
        state
            .audit
            .sync()
            .await
            .map_err(|e| PageError::from_api(lang, crate::error::ApiError::Unavailable(e)))?;
    }
    let lookup = id.clone();
    let (found, history, events, viewers) = read(&state, move |s| {
        let found = s.get_person(&lookup)?;
        if found.is_none() {
            return Ok((None, Vec::new(), Vec::new(), Vec::new()));
        }
        let viewers = if show_viewers {
            s.list_audit(&AuditFilter {
                subject: Some(lookup.to_string()),
                limit: 30,
                ..AuditFilter::default()
            })?
        } else {
            Vec::new()
        };
        Ok((
            found,
            s.person_history(&lookup)?,
            s.residence_events(&lookup)?,
            viewers,
        ))
    })
    .await
    .or_page(lang)?;
    let mut record = audit_record(
        &officer.principal(),
        "person.read",
        "GET /p/{handle}",
        Some(id.to_string()),
    );
    record.reason = reason;
    audited(&state, vec![record]).await.or_page(lang)?;
    let Some(stored) = found else {
        return Err(PageError::new(
            lang,
            StatusCode::NOT_FOUND,
            m.person_not_found,
        ));
    };
    let p = &stored.person;
    let h = &state.web.handles;
    let body = html! {
        div.titlebar {
            h1 { (p.full_name) @if p.is_deceased() { " " span.tag { (m.deceased) } } }
            div.actions.no-print {
                button type="button" data-print { (m.print) }
                @if officer.role.can_edit_register() {
                    a.button.primary href={ "/p/" (handle) "/edit" } { (m.edit) }
                }
            }
        }
        @if query.saved.is_some() {
            (notice("ok", &fill(m.record_saved, &[&stored.version.to_string()])))
        }
        p.muted { (m.person_title) " · " (fill(m.version_n, &[&stored.version.to_string()])) " · " (fill(m.changed_by_at, &[&stored.updated_by, &local_time(&stored.updated_at)])) }
        div.sheet {
            section {
                h2 { (m.section_identity) }
                dl.facts {
                    (fact(m.f_personal_id, html! { span.mono #personal-id { (p.personal_id) } }))
                    (fact_text(m.f_old_cmnd, p.old_cmnd.as_ref().map(|c| c.to_string())))
                    (fact(m.f_full_name, html! { span #full-name { (p.full_name) } }))
                    (fact_text(m.f_other_name, p.other_name.clone()))
                    (fact_text(m.f_date_of_birth, p.date_of_birth.map(|d| d.to_vi())))
                    (fact_text(m.f_sex, p.sex.map(|s| sex_text(m, Some(s)).to_string())))
                    (fact_text(m.f_ethnicity, p.ethnicity.as_ref().map(|c| ethnic_by_code(c).map(|e| e.name.clone()).unwrap_or_else(|| c.clone()))))
                    (fact_text(m.f_religion, p.religion.clone()))
                    (fact_text(m.f_nationality, p.nationality.clone()))
                    (fact_text(m.f_blood_type, p.blood_type.clone()))
                    (fact_text(m.f_birth_registration_place, p.birth_registration_place.clone()))
                    (fact_text(m.f_home_town, p.home_town.clone()))
                    (fact_text(m.f_death_date, p.death_date.map(|d| d.to_vi())))
                }
            }
            section {
                h2 { (m.section_residence) }
                dl.facts {
                    (fact_text(m.f_permanent_address, Some(address_text(&p.permanent_address)).filter(|s| !s.is_empty())))
                    (fact_text(m.f_temporary_address, Some(address_text(&p.temporary_address)).filter(|s| !s.is_empty())))
                    (fact_text(m.f_current_address, Some(address_text(&p.current_address)).filter(|s| !s.is_empty())))
                    @if let Some(hid) = &p.household_id {
                        (fact(m.section_household, html! {
                            @match household_href(h, hid) {
                                Some(href) => a href=(href) { (hid) },
                                None => (hid),
                            }
                            @if let Some(rel) = &p.relation_to_head { " · " (m.relation_to_head) ": " (rel) }
                        }))
                    }
                }
            }
            section {
                h2 { (m.section_relations) }
                dl.facts {
                    (relative(h, m.f_father, &p.father))
                    (relative(h, m.f_mother, &p.mother))
                    (relative(h, m.f_spouse, &p.spouse))
                    (relative(h, m.f_guardian, &p.guardian))
                }
            }
            section {
                h2 { (m.section_events) }
                @if events.is_empty() { p.muted { (m.no_events) } } @else {
                    table {
                        thead { tr { th { (m.event_date) } th { (m.event_kind) } th { (m.event_address) } th { (m.event_note) } } }
                        tbody {
                            @for e in &events {
                                tr {
                                    td { (e.date.to_vi()) }
                                    td { (officer.lang.residence_event(e.kind)) }
                                    td { (address_text(&e.address)) }
                                    td { (e.note.clone().unwrap_or_default()) }
                                }
                            }
                        }
                    }
                }
            }
            section #versions {
                h2 { (m.section_versions) }
                (versions_list(m, &history))
            }
            @if show_viewers {
                section #viewers {
                    h2 { (m.section_viewers) }
                    table {
                        thead { tr { th { (m.audit_time) } th { (m.audit_actor) } th { (m.audit_action) } th { (m.reason) } } }
                        tbody {
                            @for v in &viewers {
                                tr {
                                    td { (local_time(&v.at)) }
                                    td { (v.actor) }
                                    td.mono { (v.action) }
                                    td { (v.reason.clone().unwrap_or_default()) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(officer.page(&p.full_name, body))
}

fn fact(label: &str, value: Markup) -> Markup {
    html! { dt { (label) } dd { (value) } }
}

fn fact_text(label: &str, value: Option<String>) -> Markup {
    html! {
        dt { (label) }
        dd { @match value { Some(v) => (v), None => span.muted { "—" } } }
    }
}

fn relative(h: &Handles, label: &str, r: &PersonRef) -> Markup {
    html! {
        dt { (label) }
        dd {
            @if r.is_empty() { span.muted { "—" } }
            @if let Some(n) = &r.full_name { (n) " " }
            @if let Some(id) = &r.personal_id {
                a.mono href=(person_href(h, id)) { (id) }
            }
        }
    }
}

/// Each version with what changed from the one before, newest first.
fn versions_list(m: &Messages, history: &[PersonVersion]) -> Markup {
    if history.len() <= 1 {
        return html! { p.muted { (m.no_versions) } };
    }
    html! {
        ol.versions reversed {
            @for (i, v) in history.iter().enumerate().rev() {
                li {
                    strong { (fill(m.version_n, &[&v.version.to_string()])) }
                    " · " (fill(m.changed_by_at, &[&v.changed_by, &local_time(&v.changed_at)]))
                    @if let Some(r) = &v.reason { " · " (m.reason) ": " em { (r) } }
                    @if i > 0 {
                        @let changes = changed_fields(&history[i - 1].record, &v.record);
                        @if !changes.is_empty() {
                            ul.changes {
                                @for (key, before, after) in changes {
                                    li { (field_label(m, key)) ": " del { (before) } " → " ins { (after) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The fields of the edit form

/// Every editable field: its form name (the API's field path) and how it is typed.
const FIELDS: &[(&str, Kind)] = &[
    ("full_name", Kind::Text),
    ("other_name", Kind::Text),
    ("old_cmnd", Kind::Cmnd),
    ("date_of_birth", Kind::Date),
    ("sex", Kind::Sex),
    ("ethnicity", Kind::Ethnic),
    ("religion", Kind::Text),
    ("nationality", Kind::Text),
    ("blood_type", Kind::Text),
    ("birth_registration_place", Kind::Text),
    ("home_town", Kind::Text),
    ("permanent_address.detail", Kind::Text),
    ("permanent_address.commune_code", Kind::Commune),
    ("temporary_address.detail", Kind::Text),
    ("temporary_address.commune_code", Kind::Commune),
    ("current_address.detail", Kind::Text),
    ("current_address.commune_code", Kind::Commune),
    ("father.full_name", Kind::Text),
    ("father.personal_id", Kind::Id),
    ("mother.full_name", Kind::Text),
    ("mother.personal_id", Kind::Id),
    ("spouse.full_name", Kind::Text),
    ("spouse.personal_id", Kind::Id),
    ("guardian.full_name", Kind::Text),
    ("guardian.personal_id", Kind::Id),
    ("household_id", Kind::Text),
    ("relation_to_head", Kind::Text),
    ("death_date", Kind::Date),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Date,
    Sex,
    Cmnd,
    Id,
    Commune,
    Ethnic,
}

fn field_label(m: &Messages, key: &str) -> String {
    let (group, part) = key.split_once('.').unwrap_or((key, ""));
    let base = match group {
        "personal_id" => m.f_personal_id,
        "full_name" => m.f_full_name,
        "other_name" => m.f_other_name,
        "old_cmnd" => m.f_old_cmnd,
        "date_of_birth" => m.f_date_of_birth,
        "sex" => m.f_sex,
        "ethnicity" => m.f_ethnicity,
        "religion" => m.f_religion,
        "nationality" => m.f_nationality,
        "blood_type" => m.f_blood_type,
        "birth_registration_place" => m.f_birth_registration_place,
        "home_town" => m.f_home_town,
        "permanent_address" => m.f_permanent_address,
        "temporary_address" => m.f_temporary_address,
        "current_address" => m.f_current_address,
        "father" => m.f_father,
        "mother" => m.f_mother,
        "spouse" => m.f_spouse,
        "guardian" => m.f_guardian,
        "household_id" => m.f_household_id,
        "relation_to_head" => m.f_relation_to_head,
        "death_date" => m.f_death_date,
        "issue_date" => m.f_issue_date,
        other => return other.to_string(),
    };
    let sub = match part {
        "detail" => m.f_address_detail,
        "commune_code" => m.f_commune_code,
        "full_name" => m.f_relative_name,
        "personal_id" => m.f_relative_id,
        _ => return base.to_string(),
    };
    format!("{base} – {sub}")
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn address_part<'a>(p: &'a Person, group: &str) -> Option<&'a Address> {
    match group {
        "permanent_address" => Some(&p.permanent_address),
        "temporary_address" => Some(&p.temporary_address),
        "current_address" => Some(&p.current_address),
        _ => None,
    }
}

fn relative_part<'a>(p: &'a Person, group: &str) -> Option<&'a PersonRef> {
    match group {
        "father" => Some(&p.father),
        "mother" => Some(&p.mother),
        "spouse" => Some(&p.spouse),
        "guardian" => Some(&p.guardian),
        _ => None,
    }
}

/// A field's value as the form shows it.
fn get(p: &Person, key: &str) -> String {
    let (group, part) = key.split_once('.').unwrap_or((key, ""));
    if let Some(a) = address_part(p, group) {
        return match part {
            "detail" => opt(&a.detail),
            _ => opt(&a.commune_code),
        };
    }
    if let Some(r) = relative_part(p, group) {
        return match part {
            "full_name" => opt(&r.full_name),
            _ => r
                .personal_id
                .as_ref()
                .map(|i| i.to_string())
                .unwrap_or_default(),
        };
    }
    match key {
        "full_name" => p.full_name.clone(),
        "other_name" => opt(&p.other_name),
        "old_cmnd" => p
            .old_cmnd
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        "date_of_birth" => date_text(p.date_of_birth.as_ref()),
        "sex" => p.sex.map(|s| s.as_str().to_string()).unwrap_or_default(),
        "ethnicity" => opt(&p.ethnicity),
        "religion" => opt(&p.religion),
        "nationality" => opt(&p.nationality),
        "blood_type" => opt(&p.blood_type),
        "birth_registration_place" => opt(&p.birth_registration_place),
        "home_town" => opt(&p.home_town),
        "household_id" => opt(&p.household_id),
        "relation_to_head" => opt(&p.relation_to_head),
        "death_date" => date_text(p.death_date.as_ref()),
        _ => String::new(),
    }
}

/// Sets a field from the form, or says what is wrong with the value.
fn set(p: &mut Person, key: &str, kind: Kind, raw: &str, lang: Lang) -> Result<(), String> {
    let m = lang.msg();
    let value = raw.trim();
    let text = || Some(name::normalize(value)).filter(|s| !s.is_empty());
    let (group, part) = key.split_once('.').unwrap_or((key, ""));
    let date = || -> Result<Option<PartialDate>, String> {
        if value.is_empty() {
            return Ok(None);
        }
        PartialDate::parse(value)
            .map(Some)
            .map_err(|e| fill(m.bad_date, &[lang.pick(&e.to_string(), &e.vi())]))
    };
    match kind {
        Kind::Date => {
            let d = date()?;
            match key {
                "date_of_birth" => p.date_of_birth = d,
                _ => p.death_date = d,
            }
            return Ok(());
        }
        Kind::Sex => {
            p.sex = if value.is_empty() {
                None
            } else {
                Sex::parse(value)
            };
            return Ok(());
        }
        Kind::Cmnd => {
            p.old_cmnd = if value.is_empty() {
                None
            } else {
                Some(Cmnd::parse(value).map_err(|_| m.bad_cmnd.to_string())?)
            };
            return Ok(());
        }
        Kind::Commune if !value.is_empty() && units().commune(value).is_none() => {
            return Err(fill(m.bad_commune, &[value]));
        }
        _ => {}
    }
    if let Some(a) = match group {
        "permanent_address" => Some(&mut p.permanent_address),
        "temporary_address" => Some(&mut p.temporary_address),
        "current_address" => Some(&mut p.current_address),
        _ => None,
    } {
        match part {
            "detail" => a.detail = text(),
            _ => a.commune_code = Some(value.to_string()).filter(|s| !s.is_empty()),
        }
        return Ok(());
    }
    if let Some(r) = match group {
        "father" => Some(&mut p.father),
        "mother" => Some(&mut p.mother),
        "spouse" => Some(&mut p.spouse),
        "guardian" => Some(&mut p.guardian),
        _ => None,
    } {
        match part {
            "full_name" => r.full_name = text(),
            _ => {
                r.personal_id = if value.is_empty() {
                    None
                } else {
                    Some(
                        PersonalId::parse(value)
                            .map_err(|e| fill(m.bad_id, &[lang.pick(&e.to_string(), &e.vi())]))?,
                    )
                }
            }
        }
        return Ok(());
    }
    let plain = || Some(value.to_string()).filter(|s| !s.is_empty());
    match key {
        "full_name" => p.full_name = name::normalize(value),
        "other_name" => p.other_name = text(),
        "ethnicity" => p.ethnicity = plain(),
        "religion" => p.religion = text(),
        "nationality" => p.nationality = plain().map(|s| s.to_uppercase()),
        "blood_type" => p.blood_type = plain().map(|s| s.to_uppercase()),
        "birth_registration_place" => p.birth_registration_place = text(),
        "home_town" => p.home_town = text(),
        "household_id" => p.household_id = plain(),
        "relation_to_head" => p.relation_to_head = text(),
        _ => {}
    }
    Ok(())
}

fn changed_fields(before: &Person, after: &Person) -> Vec<(&'static str, String, String)> {
    FIELDS
        .iter()
        .map(|(k, _)| (*k, get(before, k), get(after, k)))
        .filter(|(_, a, b)| a != b)
        .collect()
}

pub async fn edit_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(handle): Path<String>,
) -> Result<Response, PageError> {
    let m = officer.m();
    officer.require(officer.role.can_edit_register(), m.edit_forbidden)?;
    let id = open_person(&state, &officer, &handle)?;
    let lookup = id.clone();
    let found = read(&state, move |s| s.get_person(&lookup))
        .await
        .or_page(officer.lang)?;
    audited(
        &state,
        vec![audit_record(
            &officer.principal(),
            "person.read",
            "GET /p/{handle}/edit",
            Some(id.to_string()),
        )],
    )
    .await
    .or_page(officer.lang)?;
    let stored = found
        .ok_or_else(|| PageError::new(officer.lang, StatusCode::NOT_FOUND, m.person_not_found))?;
    let values: HashMap<String, String> = FIELDS
        .iter()
        .map(|(k, _)| (k.to_string(), get(&stored.person, k)))
        .collect();
    Ok(edit_view(
        &officer,
        &handle,
        &stored,
        &values,
        &HashMap::new(),
        "",
        None,
        StatusCode::OK,
    ))
}

#[allow(clippy::too_many_arguments)]
fn edit_view(
    officer: &Officer,
    handle: &str,
    stored: &StoredPerson,
    values: &HashMap<String, String>,
    errors: &HashMap<String, String>,
    reason: &str,
    message: Option<(&str, String)>,
    status: StatusCode,
) -> Response {
    let m = officer.m();
    let title = fill(m.edit_title, &[&stored.person.full_name]);
    let body = html! {
        h1 { (title) }
        p.muted { (m.f_personal_id) ": " span.mono { (stored.person.personal_id) } " · " (fill(m.version_n, &[&stored.version.to_string()])) }
        @if let Some((kind, text)) = &message { (notice(kind, text)) }
        form.edit method="post" action={ "/p/" (handle) "/edit" } novalidate {
            (officer.csrf_field())
            input type="hidden" name="version" value=(stored.version);
            div.grid {
                @for (key, kind) in FIELDS {
                    @let id = key.replace('.', "-");
                    @let value = values.get(*key).cloned().unwrap_or_default();
                    @let error = errors.get(*key);
                    div class={ "field" @if error.is_some() { " invalid" } } {
                        label for=(id) { (field_label(m, key)) }
                        @match kind {
                            Kind::Sex => {
                                select #(id) name=(key) aria-invalid=[error.map(|_| "true")] {
                                    option value="" selected[value.is_empty()] { "—" }
                                    option value="male" selected[value == "male"] { (m.sex_male) }
                                    option value="female" selected[value == "female"] { (m.sex_female) }
                                }
                            }
                            Kind::Ethnic => {
                                select #(id) name=(key) aria-invalid=[error.map(|_| "true")] {
                                    option value="" selected[value.is_empty()] { "—" }
                                    @for g in ethnic_groups() {
                                        option value=(g.code) selected[value == g.code] { (g.code) " – " (g.name) }
                                    }
                                }
                            }
                            _ => {
                                input #(id) name=(key) value=(value)
                                    aria-invalid=[error.map(|_| "true")]
                                    aria-describedby=[error.map(|_| format!("{id}-error"))]
                                    inputmode=[matches!(kind, Kind::Cmnd | Kind::Id | Kind::Commune).then_some("numeric")]
                                    placeholder=[matches!(kind, Kind::Date).then_some(m.date_hint)];
                            }
                        }
                        @if let Some(e) = error { span.field-error id={ (id) "-error" } { (e) } }
                    }
                }
            }
            div class={ "field wide" @if errors.contains_key("reason") { " invalid" } } {
                label for="reason" { (m.edit_reason) " " span.req { "(" (m.field_required) ")" } }
                textarea #reason name="reason" rows="2" required aria-invalid=[errors.get("reason").map(|_| "true")] { (reason) }
                @if let Some(e) = errors.get("reason") { span.field-error { (e) } }
            }
            p.actions {
                button.primary type="submit" { (m.save) }
                " "
                a.button href={ "/p/" (handle) } { (m.cancel) }
            }
        }
    };
    let mut response = officer.page(&title, body);
    *response.status_mut() = status;
    response
}

pub async fn edit(
    State(state): State<AppState>,
    officer: Officer,
    Path(handle): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let lang = officer.lang;
    let m = officer.m();
    officer.require(officer.role.can_edit_register(), m.edit_forbidden)?;
    let id = open_person(&state, &officer, &handle)?;
    let lookup = id.clone();
    let stored = read(&state, move |s| s.get_person(&lookup))
        .await
        .or_page(lang)?
        .ok_or_else(|| PageError::new(lang, StatusCode::NOT_FOUND, m.person_not_found))?;
    let version: i64 = form
        .get("version")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1);
    let reason = form
        .get("reason")
        .map(|r| r.trim().to_string())
        .unwrap_or_default();
    let mut person = stored.person.clone();
    let mut errors: HashMap<String, String> = HashMap::new();
    let mut values: HashMap<String, String> = HashMap::new();
    for (key, kind) in FIELDS {
        let raw = form.get(*key).cloned().unwrap_or_default();
        if let Err(e) = set(&mut person, key, *kind, &raw, lang) {
            errors.insert(key.to_string(), e);
        }
        values.insert(key.to_string(), raw);
    }
    if errors.is_empty() {
        for problem in person.problems() {
            let text = match lang {
                Lang::Vi => problem.rule_vi,
                Lang::En => problem.rule,
            };
            errors.entry(problem.field.to_string()).or_insert(text);
        }
    }
    if reason.is_empty() {
        errors.insert(
            "reason".into(),
            m.reason_missing
                .replace("mục đích tra cứu", "lý do thay đổi")
                .replace("purpose of the lookup", "reason for the change"),
        );
    }
    if version != stored.version {
        // Someone saved in between: say so rather than overwrite or drop their change.
        return Ok(edit_view(
            &officer,
            &handle,
            &stored,
            &values,
            &errors,
            &reason,
            Some((
                "error",
                fill(m.edit_conflict, &[&stored.version.to_string()]),
            )),
            StatusCode::CONFLICT,
        ));
    }
    if !errors.is_empty() {
        return Ok(edit_view(
            &officer,
            &handle,
            &stored,
            &values,
            &errors,
            &reason,
            Some(("error", m.edit_fix_errors.into())),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    if person == stored.person {
        return Ok(edit_view(
            &officer,
            &handle,
            &stored,
            &values,
            &errors,
            &reason,
            Some(("info", m.edit_no_change.into())),
            StatusCode::OK,
        ));
    }
    let change = ChangeMeta {
        actor: officer.login.clone(),
        reason: Some(reason.clone()),
    };
    let save = person.clone();
    let saved = blocking(&state, move |s| s.update_person(&save, version, &change)).await;
    let saved = match saved {
        Ok(saved) => saved,
        Err(crate::error::ApiError::Conflict(_)) => {
            return Ok(edit_view(
                &officer,
                &handle,
                &stored,
                &values,
                &errors,
                &reason,
                Some((
                    "error",
                    fill(m.edit_conflict, &[&stored.version.to_string()]),
                )),
                StatusCode::CONFLICT,
            ));
        }
        Err(e) => return Err(PageError::from_api(lang, e)),
    };
    let mut record = audit_record(
        &officer.principal(),
        "person.update",
        "POST /p/{handle}/edit",
        Some(id.to_string()),
    );
    record.reason = Some(reason);
    audited(&state, vec![record]).await.or_page(lang)?;
    let _ = saved;
    Ok(Redirect::to(&format!("/p/{handle}?saved=1")).into_response())
}

// ---------------------------------------------------------------------------------------------
// The purpose some roles must state

fn reason_form(officer: &Officer, handle: &str, error: Option<&str>) -> Response {
    let m = officer.m();
    let body = html! {
        section.narrow {
            h1 { (m.reason_title) }
            p { (m.reason_prompt) }
            @if let Some(e) = error { (notice("error", e)) }
            form method="post" action={ "/p/" (handle) "/reason" } {
                (officer.csrf_field())
                p {
                    label for="reason" { (m.reason) }
                    textarea #reason name="reason" rows="2" required autofocus {}
                }
                p { button.primary type="submit" { (m.reason_submit) } }
            }
        }
    };
    officer.page(m.reason_title, body)
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn give_reason(
    State(state): State<AppState>,
    officer: Officer,
    Path(handle): Path<String>,
    Form(form): Form<ReasonForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    let id = open_person(&state, &officer, &handle)?;
    let reason = form.reason.trim();
    if reason.is_empty() {
        let mut page = reason_form(&officer, &handle, Some(officer.m().reason_missing));
        *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(page);
    }
    let reason: String = reason.chars().take(500).collect();
    state
        .web
        .remember_reason(&officer.session_hash, id.as_str(), reason);
    Ok(Redirect::to(&format!("/p/{handle}")).into_response())
}

// ---------------------------------------------------------------------------------------------
// Households

pub async fn household_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(handle): Path<String>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let m = officer.m();
    let id = state
        .web
        .handles
        .open_household(&handle)
        .ok_or_else(|| PageError::new(lang, StatusCode::NOT_FOUND, m.link_expired))?;
    let lookup = id.clone();
    let (household, members) = read(&state, move |s| {
        Ok((s.get_household(&lookup)?, s.household_members(&lookup)?))
    })
    .await
    .or_page(lang)?;
    let principal = officer.principal();
    let mut records = vec![audit_record(
        &principal,
        "household.read",
        "GET /h/{handle}",
        Some(id.clone()),
    )];
    records.extend(members.iter().map(|p| {
        audit_record(
            &principal,
            "person.read",
            "GET /h/{handle}",
            Some(p.person.personal_id.to_string()),
        )
    }));
    audited(&state, records).await.or_page(lang)?;
    let household = household
        .ok_or_else(|| PageError::new(lang, StatusCode::NOT_FOUND, m.household_not_found))?;
    let title = format!("{} {}", m.household_title, household.id);
    let head = household.head_personal_id.clone();
    let h = &state.web.handles;
    let body = html! {
        div.titlebar {
            h1 { (title) }
            div.actions.no-print { button type="button" data-print { (m.print) } }
        }
        div.sheet {
            dl.facts {
                dt { (m.f_household_id) } dd.mono { (household.id) }
                dt { (m.col_address) } dd { (address_text(&household.address)) }
                dt { (m.household_head) }
                dd {
                    @if let Some(head) = &head {
                        @match members.iter().find(|p| &p.person.personal_id == head) {
                            Some(p) => a href=(person_href(h, head)) { (p.person.full_name) },
                            None => a.mono href=(person_href(h, head)) { (head) },
                        }
                    }
                }
            }
            h2 { (m.household_members) " (" (members.len()) ")" }
            table.results {
                thead { tr {
                    th scope="col" { (m.col_name) }
                    th scope="col" { (m.relation_to_head) }
                    th scope="col" { (m.col_id) }
                    th scope="col" { (m.col_dob) }
                    th scope="col" { (m.col_sex) }
                } }
                tbody {
                    @for p in &members {
                        tr {
                            td {
                                a href=(person_href(h, &p.person.personal_id)) { (p.person.full_name) }
                                @if p.person.is_deceased() { " " span.tag { (m.deceased) } }
                            }
                            td { (p.person.relation_to_head.clone().unwrap_or_default()) }
                            td.mono { (p.person.personal_id) }
                            td { (date_text(p.person.date_of_birth.as_ref())) }
                            td { (sex_text(m, p.person.sex)) }
                        }
                    }
                }
            }
        }
    };
    Ok(officer.page(&title, body))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::i18n::EN;

    #[test]
    fn every_field_reads_back_what_was_set() {
        let mut p = Person::new(PersonalId::parse("001085012345").unwrap(), "Nguyễn Văn An");
        let samples = [
            ("full_name", "Nguyễn Văn Bình"),
            ("other_name", "Tí"),
            ("old_cmnd", "012345678"),
            ("date_of_birth", "03/04/1985"),
            ("sex", "male"),
            ("ethnicity", "01"),
            ("religion", "Phật giáo"),
            ("nationality", "VN"),
            ("blood_type", "O"),
            ("birth_registration_place", "Xã Thắng Lợi"),
            ("home_town", "Hưng Yên"),
            ("permanent_address.detail", "Thôn Đông"),
            ("permanent_address.commune_code", "16309"),
            ("temporary_address.detail", "Số 1"),
            ("temporary_address.commune_code", "16309"),
            ("current_address.detail", "Số 2"),
            ("current_address.commune_code", "16309"),
            ("father.full_name", "Nguyễn Văn Cha"),
            ("father.personal_id", "001055012345"),
            ("mother.full_name", "Trần Thị Mẹ"),
            ("mother.personal_id", "001160012345"),
            ("spouse.full_name", "Lê Thị Vợ"),
            ("spouse.personal_id", "001188012345"),
            ("guardian.full_name", "Nguyễn Văn Giám"),
            ("guardian.personal_id", "001070012345"),
            ("household_id", "HK-16309-000001"),
            ("relation_to_head", "Chủ hộ"),
            ("death_date", "2020"),
        ];
        assert_eq!(samples.len(), FIELDS.len());
        for ((key, kind), (k2, value)) in FIELDS.iter().zip(samples) {
            assert_eq!(*key, k2);
            set(&mut p, key, *kind, value, Lang::En).unwrap();
            assert_eq!(get(&p, key), value, "{key}");
            assert!(!field_label(&EN, key).is_empty());
        }
        // Clearing works too.
        for (key, kind) in FIELDS.iter().skip(1) {
            set(&mut p, key, *kind, "", Lang::En).unwrap();
            assert_eq!(get(&p, key), "", "{key}");
        }
    }

    #[test]
    fn bad_values_name_the_rule() {
        let mut p = Person::new(PersonalId::parse("001085012345").unwrap(), "An");
        assert!(
            set(&mut p, "date_of_birth", Kind::Date, "31/02/1985", Lang::En)
                .unwrap_err()
                .contains("valid date")
        );
        assert!(set(&mut p, "old_cmnd", Kind::Cmnd, "12", Lang::En)
            .unwrap_err()
            .contains("9 digits"));
        assert!(set(
            &mut p,
            "permanent_address.commune_code",
            Kind::Commune,
            "99999",
            Lang::En
        )
        .unwrap_err()
        .contains("99999"));
        assert!(set(&mut p, "father.personal_id", Kind::Id, "123", Lang::En).is_err());
        // In Vietnamese, the rule is said in Vietnamese.
        let vi = set(&mut p, "date_of_birth", Kind::Date, "31/02/1985", Lang::Vi).unwrap_err();
        assert!(vi.contains("tháng 2"), "{vi}");
    }
}
