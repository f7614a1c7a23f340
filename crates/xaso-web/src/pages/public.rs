//! Pages anyone may open, without a session: a dossier's status from its receipt number and
//! status code (printed on the receipt, in its QR code), the applicant's rating of a returned
//! dossier, and the verification of an issued result. They show no personal data beyond the
//! receipt number, the procedure, the states and dates; a wrong code shows the same "not
//! found" as a wrong number, so receipt numbers cannot be probed.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use time::OffsetDateTime;
use xaso_domain::dossier::local_time;

use super::dossiers::{status_code, tr, vn_date};
use super::{layout, notice, Chrome, PageLang};
use crate::i18n::Lang;
use crate::shop::{self, Loaded};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct StatusQuery {
    #[serde(default)]
    so: String,
    #[serde(default)]
    ma: String,
}

fn page(lang: Lang, title: &str, body: Markup, status: StatusCode) -> Response {
    let ctx = Chrome {
        lang,
        officer: None,
        path: "/tra-cuu".into(),
    };
    (status, Html(layout(&ctx, title, body).into_string())).into_response()
}

/// The dossier and its steps, if the code matches.
async fn find(state: &AppState, receipt: &str, code: &str) -> Option<(Loaded, Vec<Loaded>)> {
    find_with_complaints(state, receipt, code)
        .await
        .map(|(l, s, _)| (l, s))
}

/// [`find`], and the dossier's complaints.
async fn find_with_complaints(
    state: &AppState,
    receipt: &str,
    code: &str,
) -> Option<(Loaded, Vec<Loaded>, Vec<xaso_store::Complaint>)> {
    let receipt = receipt.trim().to_owned();
    if receipt.is_empty()
        || !constant_time_eq(
            status_code(state, &receipt).as_bytes(),
            code.trim().as_bytes(),
        )
    {
        return None;
    }
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        let s = store.as_ref();
        let loaded = shop::load(s, &receipt).ok()?;
        let steps = s
            .group_steps(&receipt)
            .ok()?
            .into_iter()
            .filter_map(|r| shop::parse_loaded(s, r).ok())
            .collect();
        let complaints = s
            .list_complaints(&xaso_store::ComplaintFilter {
                receipt_number: Some(receipt.clone()),
                limit: 50,
                ..Default::default()
            })
            .ok()?;
        Some((loaded, steps, complaints))
    })
    .await
    .ok()
    .flatten()
}

/// Every result handed over: the time to ask for a rating.
fn is_returned(loaded: &Loaded, steps: &[Loaded]) -> bool {
    use xaso_domain::dossier::DossierState;
    let returned = |l: &Loaded| {
        l.dossier
            .as_ref()
            .is_some_and(|d| d.state() == DossierState::Returned)
    };
    if steps.is_empty() {
        returned(loaded)
    } else {
        steps.iter().all(returned)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn status_page(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Query(q): Query<StatusQuery>,
) -> Response {
    let title = tr(lang, "Tra cứu hồ sơ", "Dossier status");
    let lookup = html! {
        form.search method="get" action="/tra-cuu" {
            label for="so" { (tr(lang, "Mã hồ sơ", "Receipt number")) }
            input #so name="so" value=(q.so) autocomplete="off";
            label for="ma" { (tr(lang, "Mã tra cứu (in trên giấy hẹn)", "Status code (on the receipt)")) }
            input #ma name="ma" value=(q.ma) autocomplete="off";
            button.primary type="submit" { (tr(lang, "Tra cứu", "Look up")) }
        }
    };
    if q.so.trim().is_empty() {
        return page(
            lang,
            title,
            html! { h1 { (title) } (lookup) },
            StatusCode::OK,
        );
    }
    let Some((loaded, steps, complaints)) = find_with_complaints(&state, &q.so, &q.ma).await else {
        let body = html! {
            h1 { (title) }
            (notice("error", tr(lang, "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này.", "No dossier with this receipt number and status code.")))
            (lookup)
        };
        return page(lang, title, body, StatusCode::NOT_FOUND);
    };
    let now = OffsetDateTime::now_utc();
    let today = local_time(now).date();
    let record = &loaded.record;
    let shop = state.shop();
    let procedure = shop.procedure(&record.procedure_code);
    let name = procedure.map_or(record.procedure_code.clone(), |p| {
        lang.pick(&p.name.en, &p.name.vi).to_owned()
    });
    let group = shop::group_status(&steps, today);
    let state_text = match (&group, &loaded.dossier) {
        (Some(g), _) => lang
            .pick(&g.state.label().en, &g.state.label().vi)
            .to_owned(),
        (None, Some(d)) => tr(lang, d.state().label_vi(), d.state().name()).to_owned(),
        _ => String::new(),
    };
    let returned = is_returned(&loaded, &steps);
    let body = html! {
        h1 { (title) }
        dl.facts {
            dt { (tr(lang, "Mã hồ sơ", "Receipt number")) } dd #receipt-number { (record.receipt_number) }
            dt { (tr(lang, "Thủ tục", "Procedure")) } dd { (name) }
            dt { (tr(lang, "Tình trạng", "Status")) } dd #public-state { (state_text) }
            dt { (tr(lang, "Hẹn trả kết quả", "Results due")) } dd { (vn_date(&record.due_on)) }
        }
        @if !steps.is_empty() {
            table.results {
                thead { tr { th { (tr(lang, "Bước", "Step")) } th { (tr(lang, "Tình trạng", "Status")) } th { (tr(lang, "Hẹn trả", "Due")) } } }
                tbody { @for s in &steps {
                    tr {
                        td { (state.shop().procedure(&s.record.procedure_code).map_or(s.record.procedure_code.clone(), |p| lang.pick(&p.name.en, &p.name.vi).to_owned())) }
                        td { @if let Some(d) = &s.dossier { (tr(lang, d.state().label_vi(), d.state().name())) } }
                        td { (vn_date(&s.record.due_on)) }
                    }
                } }
            }
        }
        @if returned && record.rating.is_none() {
            h2 { (tr(lang, "Đánh giá mức độ hài lòng", "Rate the service")) }
            form method="post" action="/tra-cuu/danh-gia" {
                input type="hidden" name="so" value=(record.receipt_number);
                input type="hidden" name="ma" value=(q.ma.trim());
                @for (v, vi, en) in [("5", "Rất hài lòng", "Very satisfied"), ("4", "Hài lòng", "Satisfied"), ("3", "Bình thường", "Neutral"), ("2", "Không hài lòng", "Dissatisfied"), ("1", "Rất không hài lòng", "Very dissatisfied")] {
                    label.choice { input type="radio" name="rating" value=(v) required; " " (tr(lang, vi, en)) }
                }
                label for="comment" { (tr(lang, "Góp ý (không bắt buộc)", "Comment (optional)")) }
                textarea #comment name="comment" rows="2" maxlength="1000" {}
                button.primary type="submit" { (tr(lang, "Gửi đánh giá", "Send")) }
            }
        }
        @if record.rating.is_some() { p { (tr(lang, "Cảm ơn bạn đã đánh giá.", "Thank you for your rating.")) } }
        h2 { (tr(lang, "Phản ánh, kiến nghị", "Complaints")) }
        @for c in &complaints {
            div.complaint data-complaint=(c.id) {
                p { strong { (tr(lang, "Nội dung", "Complaint")) } ": " (c.complaint.text) }
                p { (tr(lang, "Hạn trả lời", "Answer due")) ": " (vn_date(&c.complaint.due_on)) }
                @if let Some(a) = &c.answer {
                    p.answer { strong { (tr(lang, "Trả lời", "Answer")) } ": " (a) }
                    @if c.satisfied.is_none() {
                        form.inline method="post" action="/tra-cuu/phan-anh/danh-gia" {
                            input type="hidden" name="so" value=(record.receipt_number);
                            input type="hidden" name="ma" value=(q.ma.trim());
                            input type="hidden" name="id" value=(c.id);
                            button type="submit" name="satisfied" value="1" { (tr(lang, "Hài lòng với trả lời", "Satisfied with the answer")) }
                            " "
                            button type="submit" name="satisfied" value="0" { (tr(lang, "Không hài lòng", "Not satisfied")) }
                        }
                    }
                } @else {
                    p { (tr(lang, "Đang xem xét.", "Being looked into.")) }
                }
            }
        }
        form method="post" action="/tra-cuu/phan-anh" {
            input type="hidden" name="so" value=(record.receipt_number);
            input type="hidden" name="ma" value=(q.ma.trim());
            label for="complaint" { (tr(lang, "Gửi phản ánh về việc giải quyết hồ sơ", "Complain about the handling of this dossier")) }
            textarea #complaint name="text" rows="3" maxlength="2000" required {}
            button type="submit" { (tr(lang, "Gửi phản ánh", "Send the complaint")) }
        }
    };
    page(lang, title, body, StatusCode::OK)
}

#[derive(Debug, Default, Deserialize)]
pub struct RateForm {
    #[serde(default)]
    so: String,
    #[serde(default)]
    ma: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

/// The answer to a form naming a dossier that cannot be found (or whose code is wrong).
fn no_such_dossier(lang: Lang, title: &str) -> Response {
    page(
        lang,
        title,
        notice(
            "error",
            tr(lang, "Không tìm thấy hồ sơ.", "No such dossier."),
        ),
        StatusCode::NOT_FOUND,
    )
}

pub async fn rate(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Form(f): Form<RateForm>,
) -> Response {
    let title = tr(lang, "Đánh giá", "Rating");
    let Some((loaded, steps)) = find(&state, &f.so, &f.ma).await else {
        return no_such_dossier(lang, title);
    };
    if !is_returned(&loaded, &steps) {
        return page(
            lang,
            title,
            notice(
                "error",
                tr(
                    lang,
                    "Chỉ đánh giá được khi đã nhận kết quả.",
                    "A dossier is rated once its result is returned.",
                ),
            ),
            StatusCode::CONFLICT,
        );
    }
    let Some(rating) = f
        .rating
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|r| (1..=5).contains(r))
    else {
        return page(
            lang,
            title,
            notice(
                "error",
                tr(
                    lang,
                    "Mức đánh giá: chọn từ 1 đến 5.",
                    "Rating: choose 1 to 5.",
                ),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let receipt = loaded.record.receipt_number.clone();
    let comment: String = f.comment.trim().chars().take(1000).collect();
    let store = state.store.clone();
    let saved = tokio::task::spawn_blocking(move || {
        store.rate_dossier(
            &receipt,
            rating,
            Some(comment.as_str()).filter(|c| !c.is_empty()),
        )
    })
    .await;
    let message = match saved {
        Ok(Ok(())) => notice(
            "ok",
            tr(
                lang,
                "Cảm ơn bạn đã đánh giá.",
                "Thank you for your rating.",
            ),
        ),
        Ok(Err(xaso_store::StoreError::Conflict(_))) => notice(
            "info",
            tr(
                lang,
                "Hồ sơ này đã được đánh giá.",
                "This dossier was rated already.",
            ),
        ),
        _ => notice(
            "error",
            tr(
                lang,
                "Chưa lưu được đánh giá, hãy thử lại.",
                "The rating could not be saved; try again.",
            ),
        ),
    };
    page(
        lang,
        title,
        html! { h1 { (title) } (message) },
        StatusCode::OK,
    )
}

/// The verification of an issued result: is the paper in front of me what the commune issued?
pub async fn verify_page(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Query(q): Query<StatusQuery>,
) -> Response {
    let title = tr(lang, "Xác minh kết quả giải quyết", "Verify a result");
    let receipt = q.so.trim().to_owned();
    let expected = super::dossiers::verification_code(&state, &receipt);
    let store = state.store.clone();
    let found =
        if !receipt.is_empty() && constant_time_eq(expected.as_bytes(), q.ma.trim().as_bytes()) {
            let r = receipt.clone();
            tokio::task::spawn_blocking(move || store.get_dossier(&r).ok().flatten())
                .await
                .ok()
                .flatten()
        } else {
            None
        };
    let Some((record, result)) = found.and_then(|r| shop::step_result(&r).map(|x| (r, x))) else {
        let body = html! {
            h1 { (title) }
            (notice("error", tr(lang, "Không xác minh được: không có kết quả nào với mã này.", "Not verified: no result carries this code.")))
        };
        return page(lang, title, body, StatusCode::NOT_FOUND);
    };
    let name = state
        .shop()
        .procedure(&record.procedure_code)
        .map_or(record.procedure_code.clone(), |p| {
            lang.pick(&p.name.en, &p.name.vi).to_owned()
        });
    let body = html! {
        h1 { (title) }
        (notice("ok", tr(lang, "Kết quả này do cơ quan có thẩm quyền cấp qua hệ thống.", "This result was issued through the system.")))
        dl.facts {
            dt { (tr(lang, "Số hồ sơ", "Receipt number")) } dd #receipt-number { (record.receipt_number) }
            dt { (tr(lang, "Thủ tục", "Procedure")) } dd { (name) }
            @if let Some(n) = &result.full_name { dt { (tr(lang, "Họ và tên", "Full name")) } dd #verified-name { (n) } }
            dt { (tr(lang, "Kết quả", "Result")) } dd { (lang.pick(&result.note_en, &result.note_vi)) }
            dt { (tr(lang, "Cập nhật lúc", "Last updated")) } dd { (super::local_time(&record.updated_at)) }
        }
    };
    page(lang, title, body, StatusCode::OK)
}

#[derive(Debug, Default, Deserialize)]
pub struct ComplaintForm {
    #[serde(default)]
    so: String,
    #[serde(default)]
    ma: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    satisfied: String,
}

/// A complaint sent from the public status page.
pub async fn complain(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Form(f): Form<ComplaintForm>,
) -> Response {
    let title = tr(lang, "Phản ánh, kiến nghị", "Complaint");
    let Some((loaded, _)) = find(&state, &f.so, &f.ma).await else {
        return no_such_dossier(lang, title);
    };
    let receipt = loaded.record.receipt_number.clone();
    let shop_now = state.shop();
    let store = state.store.clone();
    let text = f.text.clone();
    let saved = tokio::task::spawn_blocking(move || {
        shop::complain(
            store.as_ref(),
            &shop_now,
            &receipt,
            &text,
            xaso_domain::dossier::Channel::Online,
            OffsetDateTime::now_utc(),
        )
    })
    .await;
    let back = format!(
        "/tra-cuu?so={}&ma={}",
        loaded.record.receipt_number,
        f.ma.trim()
    );
    let (message, status) = match saved {
        Ok(Ok(c)) => (
            notice(
                "ok",
                &format!(
                    "{} {}",
                    tr(
                        lang,
                        "Đã nhận phản ánh; hạn trả lời:",
                        "Complaint received; answer due on"
                    ),
                    vn_date(&c.complaint.due_on)
                ),
            ),
            StatusCode::OK,
        ),
        Ok(Err(shop::ShopError::Refused { en, vi })) => (
            notice("error", lang.pick(&en, &vi)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        _ => (
            notice(
                "error",
                tr(
                    lang,
                    "Chưa lưu được phản ánh, hãy thử lại.",
                    "The complaint could not be saved; try again.",
                ),
            ),
            StatusCode::SERVICE_UNAVAILABLE,
        ),
    };
    page(
        lang,
        title,
        html! { h1 { (title) } (message) p { a href=(back) { (tr(lang, "Quay lại hồ sơ", "Back to the dossier")) } } },
        status,
    )
}

/// The complainant's verdict on an answer.
pub async fn judge(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Form(f): Form<ComplaintForm>,
) -> Response {
    let title = tr(lang, "Phản ánh, kiến nghị", "Complaint");
    let Some((loaded, _, complaints)) = find_with_complaints(&state, &f.so, &f.ma).await else {
        return no_such_dossier(lang, title);
    };
    let Some(complaint) =
        f.id.trim()
            .parse::<i64>()
            .ok()
            .and_then(|id| complaints.into_iter().find(|c| c.id == id))
    else {
        return page(
            lang,
            title,
            notice(
                "error",
                tr(
                    lang,
                    "Không có phản ánh này trong hồ sơ.",
                    "No such complaint on this dossier.",
                ),
            ),
            StatusCode::NOT_FOUND,
        );
    };
    let satisfied = f.satisfied == "1";
    let store = state.store.clone();
    let saved =
        tokio::task::spawn_blocking(move || store.judge_complaint(complaint.id, satisfied)).await;
    let back = format!(
        "/tra-cuu?so={}&ma={}",
        loaded.record.receipt_number,
        f.ma.trim()
    );
    let (message, status) = match saved {
        Ok(Ok(())) => (
            notice(
                "ok",
                tr(
                    lang,
                    "Cảm ơn bạn đã cho biết ý kiến.",
                    "Thank you for your answer.",
                ),
            ),
            StatusCode::OK,
        ),
        Ok(Err(xaso_store::StoreError::Conflict(_))) => (
            notice(
                "info",
                tr(
                    lang,
                    "Phản ánh này đã được đánh giá, hoặc chưa có trả lời.",
                    "This complaint was judged already, or has no answer yet.",
                ),
            ),
            StatusCode::CONFLICT,
        ),
        _ => (
            notice(
                "error",
                tr(
                    lang,
                    "Chưa lưu được, hãy thử lại.",
                    "Could not be saved; try again.",
                ),
            ),
            StatusCode::SERVICE_UNAVAILABLE,
        ),
    };
    page(
        lang,
        title,
        html! { h1 { (title) } (message) p { a href=(back) { (tr(lang, "Quay lại hồ sơ", "Back to the dossier")) } } },
        status,
    )
}
