//! The audit log, for the roles that may read it: filter by officer, action, days and person.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;
use serde::Deserialize;
use time::macros::format_description;
use time::{Date, PrimitiveDateTime, Time, UtcOffset};
use xaso_store::AuditFilter;

use super::register::person_href;
use super::{local_time, notice, Officer, OrPage, PageError};
use crate::api::{audit_record, audited, read};
use crate::error::ApiError;
use crate::i18n::fill;
use crate::AppState;

const PAGE_SIZE: usize = 200;

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    /// yyyy-mm-dd, Vietnam time, inclusive.
    #[serde(default)]
    since: String,
    /// yyyy-mm-dd, Vietnam time, inclusive.
    #[serde(default)]
    until: String,
    /// A person handle, from a person page.
    #[serde(default)]
    p: String,
}

/// The start of a local (UTC+7) day as stored (UTC RFC 3339).
fn day_start_utc(day: &str, plus_days: i64) -> Option<String> {
    let date = Date::parse(day.trim(), format_description!("[year]-[month]-[day]")).ok()?;
    let date = date.checked_add(time::Duration::days(plus_days))?;
    let offset = UtcOffset::from_hms(7, 0, 0).ok()?;
    let local = PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_offset(offset);
    Some(xaso_store::format_utc(local))
}

pub async fn audit_page(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let m = officer.m();
    officer.require(officer.role.can_read_audit(), m.audit_forbidden)?;
    let subject = if q.p.is_empty() {
        None
    } else {
        Some(state.web.handles.open_person(&q.p).ok_or_else(|| {
            PageError::new(lang, axum::http::StatusCode::NOT_FOUND, m.link_expired)
        })?)
    };
    let filter = AuditFilter {
        subject: subject.as_ref().map(|s| s.to_string()),
        actor: Some(q.actor.trim().to_lowercase()).filter(|s| !s.is_empty()),
        action: Some(q.action.trim().to_string()).filter(|s| !s.is_empty()),
        since: day_start_utc(&q.since, 0),
        until: day_start_utc(&q.until, 1),
        limit: PAGE_SIZE,
    };
    // Reading the log is itself an access to personal data (who looked at whom).
    audited(
        &state,
        vec![audit_record(
            &officer.principal(),
            "audit.read",
            "GET /audit",
            filter.subject.clone(),
        )],
    )
    .await
    .or_page(lang)?;
    state
        .audit
        .sync()
        .await
        .map_err(|e| PageError::from_api(lang, ApiError::Unavailable(e)))?;
    let records = read(&state, move |s| s.list_audit(&filter))
        .await
        .or_page(lang)?;
    let h = &state.web.handles;
    let body = html! {
        h1 { (m.audit_title) }
        form.filters.no-print method="get" action="/audit" {
            @if !q.p.is_empty() { input type="hidden" name="p" value=(q.p); }
            p {
                label for="actor" { (m.audit_actor) }
                input #actor name="actor" value=(q.actor);
            }
            p {
                label for="action" { (m.audit_action) }
                input #action name="action" value=(q.action) list="actions";
                datalist #actions {
                    @for a in ["person.read", "person.search", "person.update", "person.create", "household.read", "card.qr", "audit.read", "login", "login.failed", "login.lockout", "logout", "officer.create", "officer.update", "register.reconcile", "reconcile.view", "reconcile.read", "reconcile.download", "reconcile.decide"] {
                        option value=(a) {}
                    }
                }
            }
            p {
                label for="since" { (m.audit_since) }
                input #since type="date" name="since" value=(q.since);
            }
            p {
                label for="until" { (m.audit_until) }
                input #until type="date" name="until" value=(q.until);
            }
            p { button.primary type="submit" { (m.audit_filter) } }
        }
        @if let Some(s) = &subject {
            (notice("info", &fill(m.audit_only_person, &[s.as_str()])))
        }
        @if records.is_empty() {
            p.muted { (m.audit_empty) }
        } @else {
            table.results #audit-log {
                thead { tr {
                    th scope="col" { (m.audit_time) }
                    th scope="col" { (m.audit_actor) }
                    th scope="col" { (m.audit_role) }
                    th scope="col" { (m.audit_action) }
                    th scope="col" { (m.audit_subject) }
                    th scope="col" { (m.reason) }
                    th scope="col" { (m.audit_route) }
                } }
                tbody {
                    @for r in &records {
                        tr {
                            td { (local_time(&r.at)) }
                            td { (r.actor) }
                            td { (r.role.clone().unwrap_or_default()) }
                            td.mono { (r.action) }
                            td.mono {
                                @if let Some(s) = &r.subject {
                                    @match xaso_domain::PersonalId::parse(s) {
                                        Ok(id) => a href=(person_href(h, &id)) { (s) },
                                        Err(_) => (s),
                                    }
                                }
                            }
                            td { (r.reason.clone().unwrap_or_default()) }
                            td.mono { (r.route) }
                        }
                    }
                }
            }
        }
    };
    Ok(officer.page(m.audit_title, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_days_become_utc_bounds() {
        assert_eq!(
            day_start_utc("2026-11-28", 0).as_deref(),
            Some("2026-11-27T17:00:00.000000Z")
        );
        assert_eq!(
            day_start_utc("2026-11-28", 1).as_deref(),
            Some("2026-11-28T17:00:00.000000Z")
        );
        assert_eq!(day_start_utc("28/11/2026", 0), None);
        assert_eq!(day_start_utc("", 0), None);
    }
}
