//! The Decision 766 indicators of the commune, live from the dossiers: as a page (each figure
//! with the dossiers behind it) and as JSON (`/indicators.json`, same query).

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Json, Response};
use maud::html;
use serde::Deserialize;
use time::{Date, OffsetDateTime};
use xaso_domain::dossier::local_time;
use xaso_domain::role::Role;

use super::dossiers::tr;
use super::{notice, Officer, PageError};
use crate::api::{audit_record, audited};
use crate::shop::{self, Bucket};
use crate::AppState;
use xaso_services::prefill::ReuseShare;

#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    /// YYYY-MM-DD, inclusive; default the first day of the current month.
    #[serde(default)]
    from: String,
    /// YYYY-MM-DD, inclusive; default today.
    #[serde(default)]
    to: String,
}

fn may_read(officer: &Officer) -> Result<(), PageError> {
    officer.require(
        matches!(officer.role, Role::Desk | Role::Admin | Role::Leader),
        tr(
            officer.lang,
            "Chỉ bộ phận một cửa, lãnh đạo và quản trị viên xem chỉ số.",
            "Only the desk, leaders and admins see the indicators.",
        ),
    )
}

/// The period asked for, or an error naming the parameter.
fn period(officer: &Officer, q: &PeriodQuery, today: Date) -> Result<(Date, Date), PageError> {
    let lang = officer.lang;
    let parse = |name: &str, raw: &str, default: Date| -> Result<Date, PageError> {
        if raw.trim().is_empty() {
            return Ok(default);
        }
        shop::parse_date(raw).ok_or_else(|| {
            PageError::new(
                lang,
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "{name}: {}",
                    tr(
                        lang,
                        "phải là ngày dạng YYYY-MM-DD",
                        "expected a date YYYY-MM-DD"
                    )
                ),
            )
        })
    };
    let first = today.replace_day(1).unwrap_or(today);
    let from = parse("from", &q.from, first)?;
    let to = parse("to", &q.to, today)?;
    if to < from {
        return Err(PageError::new(
            lang,
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            tr(
                lang,
                "to: phải không trước from",
                "to: must not be before from",
            ),
        ));
    }
    Ok((from, to))
}

type Reuse = Vec<(String, ReuseShare, ReuseShare)>;

/// The report, the timeliness buckets and the reuse of register data.
type Computed = (
    xaso_services::indicators::Report,
    Vec<(Bucket, Vec<String>)>,
    Reuse,
);

async fn compute(
    state: &AppState,
    officer: &Officer,
    q: &PeriodQuery,
) -> Result<Computed, PageError> {
    may_read(officer)?;
    let lang = officer.lang;
    let today = local_time(OffsetDateTime::now_utc()).date();
    let (from, to) = period(officer, q, today)?;
    let shop_state = state.shop();
    let store = state.store.clone();
    let (report, facts, reuse) = tokio::task::spawn_blocking(move || {
        let (report, facts) = shop::indicators(store.as_ref(), &shop_state, from, to, today)?;
        let reuse = shop::reuse_by_procedure(store.as_ref(), &shop_state, from, to)?;
        Ok::<_, shop::ShopError>((report, facts, reuse))
    })
    .await
    .map_err(|e| {
        PageError::new(
            lang,
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string(),
        )
    })?
    .map_err(|e| super::dossiers::shop_error(lang, e))?;
    let buckets = Bucket::ALL
        .into_iter()
        .map(|b| {
            let ids = facts
                .iter()
                .filter(|f| f.unit == state.shop().unit && Bucket::of(f, report.as_of) == b)
                .map(|f| f.id.clone())
                .collect();
            (b, ids)
        })
        .collect();
    let record = audit_record(&officer.principal(), "indicators.read", "/indicators", None);
    audited(state, vec![record])
        .await
        .map_err(|e| PageError::from_api(lang, e))?;
    Ok((report, buckets, reuse))
}

pub async fn indicators_json(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let (report, buckets, reuse) = compute(&state, &officer, &q).await?;
    let reuse: Vec<serde_json::Value> = reuse
        .iter()
        .map(|(code, potential, actual)| {
            serde_json::json!({ "procedure": code, "potential": potential, "actual": actual })
        })
        .collect();
    let buckets: serde_json::Map<String, serde_json::Value> = buckets
        .into_iter()
        .map(|(b, ids)| {
            let key = serde_json::to_value(b)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            (key, serde_json::json!(ids))
        })
        .collect();
    Ok(
        Json(serde_json::json!({ "report": report, "timeliness": buckets, "reuse": reuse }))
            .into_response(),
    )
}

pub async fn indicators_page(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let (report, buckets, reuse) = compute(&state, &officer, &q).await?;
    let pct = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{:.1}%", v * 100.0));
    let pts = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.1}"));
    let body = html! {
        h1 { (tr(lang, "Chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg)", "Service indicators (Decision 766/QĐ-TTg)")) }
        form.search.no-print method="get" action="/indicators" {
            label for="from" { (tr(lang, "Từ ngày", "From")) }
            input #from type="date" name="from" value=(report.period.from.to_string());
            label for="to" { (tr(lang, "Đến ngày", "To")) }
            input #to type="date" name="to" value=(report.period.to.to_string());
            button.primary type="submit" { (tr(lang, "Xem", "Show")) }
            " " a href={ "/indicators.json?from=" (report.period.from) "&to=" (report.period.to) } { "JSON" }
        }
        @if state.shop().unit.is_empty() {
            (notice("info", tr(lang, "Chưa đặt mã xã của hệ thống.", "The commune code of this installation is not set.")))
        }
        p {
            (tr(lang, "Tổng điểm đo được", "Points measured")) ": "
            strong #total-points { (format!("{:.1}", report.total_points)) }
            " / " (format!("{:.0}", report.measured_points))
        }
        h2 { (tr(lang, "Tiến độ giải quyết", "Timeliness")) }
        table.results #buckets {
            tbody { @for (b, ids) in &buckets {
                @let (vi, en) = b.label();
                tr data-bucket=(serde_json::to_value(b).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()) {
                    th { (tr(lang, vi, en)) }
                    td { (ids.len()) }
                    td { @for id in ids { a href={ "/dossiers/" (id) } { (id) } " " } }
                }
            } }
        }
        h2 { (tr(lang, "Dữ liệu dân cư dùng lại trên biểu mẫu (mục tiêu ≥ 20%)", "Register data reused on the forms (target ≥ 20%)")) }
        table.results #reuse {
            thead { tr {
                th { (tr(lang, "Thủ tục", "Procedure")) }
                th { (tr(lang, "Trường có thể lấy từ CSDL", "Fields the register can fill")) }
                th { (tr(lang, "Đã dùng lại trên hồ sơ trong kỳ", "Reused on this period's dossiers")) }
            } }
            tbody { @for (code, potential, actual) in &reuse {
                tr data-procedure=(code) {
                    td { (state.shop().procedure(code).map_or(code.as_ref(), |p| lang.pick(&p.name.en, &p.name.vi))) }
                    td { (potential.to_string()) }
                    td { @if actual.total > 0 { (actual.to_string()) } @else { "—" } }
                }
            } }
        }
        @for g in &report.groups {
            h2 { (lang.pick(&g.label.en, &g.label.vi)) " — " (pts(g.points)) " / " (format!("{:.0}", g.max_points)) }
            table.results {
                thead { tr {
                    th { (tr(lang, "Chỉ số", "Indicator")) }
                    th { (tr(lang, "Tử số / mẫu số", "Numerator / denominator")) }
                    th { (tr(lang, "Tỷ lệ", "Value")) }
                    th { (tr(lang, "Điểm", "Points")) }
                    th { (tr(lang, "Hồ sơ, thủ tục", "Dossiers, procedures")) }
                } }
                tbody { @for i in report.indicators.iter().filter(|i| i.group == g.group) {
                    tr {
                        td { (lang.pick(&i.label.en, &i.label.vi)) @if !i.formula_sourcing.is_confirmed() { " " small { (tr(lang, "(công thức cần đối chiếu)", "(formula to be confirmed)")) } } }
                        td { (i.numerator) " / " (i.denominator) }
                        td { (pct(i.value)) }
                        td { (pts(i.points)) " / " (format!("{:.0}", i.max_points)) }
                        td { details {
                            summary { (i.numerator_ids.len()) }
                            @for id in &i.numerator_ids {
                                @if i.subject == xaso_services::indicators::Subject::Dossiers { a href={ "/dossiers/" (id) } { (id) } } @else { code { (id) } }
                                " "
                            }
                        } }
                    }
                } }
            }
        }
    };
    Ok(officer.page(tr(lang, "Chỉ số phục vụ", "Service indicators"), body))
}
