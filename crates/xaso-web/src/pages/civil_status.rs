//! The civil-status books: the entries written by completed registrations and those copied
//! from old paper books (digitisation), each with its scanned page stored once by SHA-256.

use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;
use time::OffsetDateTime;
use xaso_domain::dossier::local_time;
use xaso_domain::role::Role;
use xaso_domain::{PartialDate, PersonalId};
use xaso_store::{AttachmentLink, CivilStatusFilter, NewCivilStatusEntry};

use super::dossiers::tr;
use super::{notice, Officer, OrPage, PageError};
use crate::api::{audit_record, audited, blocking, read};
use crate::AppState;

/// Scanned pages up to 10 MB.
pub const SCAN_LIMIT: usize = 10 * 1024 * 1024;
pub const BODY_LIMIT: usize = SCAN_LIMIT + 64 * 1024;

const KINDS: [(&str, &str, &str); 5] = [
    ("birth", "Khai sinh", "Birth"),
    ("death", "Khai tử", "Death"),
    ("marriage", "Kết hôn", "Marriage"),
    ("correction", "Thay đổi, cải chính hộ tịch", "Correction"),
    (
        "marital-status",
        "Xác nhận tình trạng hôn nhân",
        "Marital status",
    ),
];

fn may_read(role: Role) -> bool {
    matches!(role, Role::Justice | Role::Admin | Role::Leader)
}

fn may_write(role: Role) -> bool {
    matches!(role, Role::Justice | Role::Admin)
}

#[derive(Debug, Default, Deserialize)]
pub struct BookQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    year: String,
}

pub async fn books_page(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<BookQuery>,
) -> Result<Response, PageError> {
    books_view(&state, &officer, &q, None, StatusCode::OK).await
}

async fn books_view(
    state: &AppState,
    officer: &Officer,
    q: &BookQuery,
    message: Option<(&str, String)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    officer.require(
        may_read(officer.role),
        tr(
            lang,
            "Chỉ công chức tư pháp - hộ tịch, lãnh đạo và quản trị viên xem sổ hộ tịch.",
            "Only justice officers, leaders and admins see the civil-status books.",
        ),
    )?;
    let this_year = local_time(OffsetDateTime::now_utc()).date().year();
    let kind = KINDS
        .iter()
        .find(|k| k.0 == q.kind.trim())
        .map_or("birth", |k| k.0);
    let year: i32 = q.year.trim().parse().unwrap_or(this_year);
    let filter = CivilStatusFilter {
        kind: Some(kind.to_owned()),
        year: Some(year),
        limit: 5000,
        ..Default::default()
    };
    let entries = read(state, move |s| s.list_civil_status(&filter))
        .await
        .or_page(lang)?;
    let record = audit_record(
        &officer.principal(),
        "civil-status.read",
        "/civil-status",
        None,
    );
    audited(state, vec![record]).await.or_page(lang)?;
    let body = html! {
        h1 { (tr(lang, "Sổ hộ tịch", "Civil-status books")) }
        @if let Some((k, t)) = &message { (notice(k, t)) }
        form.search.no-print method="get" action="/civil-status" {
            label for="kind" { (tr(lang, "Loại sổ", "Book")) }
            select #kind name="kind" {
                @for (code, vi, en) in KINDS { option value=(code) selected[code == kind] { (tr(lang, vi, en)) } }
            }
            label for="year" { (tr(lang, "Năm", "Year")) }
            input #year name="year" value=(year) inputmode="numeric";
            button.primary type="submit" { (tr(lang, "Xem", "Show")) }
        }
        table.results #entries {
            thead { tr {
                th { (tr(lang, "Số", "Line")) }
                th { (tr(lang, "Họ và tên", "Full name")) }
                th { (tr(lang, "Ngày sự kiện", "Event date")) }
                th { (tr(lang, "Ngày đăng ký", "Registered")) }
                th { (tr(lang, "Nguồn", "Source")) }
            } }
            tbody { @for e in &entries {
                tr {
                    td { (e.line) }
                    td { (e.entry.full_name) }
                    td { (e.entry.event_date) }
                    td { (e.entry.registered_on) }
                    td {
                        @if let Some(r) = &e.entry.receipt_number { a href={ "/dossiers/" (r) } { (r) } }
                        @if let Some(book) = &e.entry.paper_book {
                            (tr(lang, "Sổ giấy", "Paper book")) " " (book) ", " (tr(lang, "số", "line")) " " (e.entry.paper_line.as_deref().unwrap_or("?"))
                        }
                        @if let Some(sha) = &e.entry.scanned_page { " · " a href={ "/attachments/" (sha) } { (tr(lang, "trang quét", "scanned page")) } }
                    }
                }
            } }
        }
        @if may_write(officer.role) && entries.iter().any(|e| e.entry.paper_book.is_some()) {
            form.no-print method="post" action="/civil-status/reconcile" {
                (officer.csrf_field())
                input type="hidden" name="kind" value=(kind);
                input type="hidden" name="year" value=(year);
                button #reconcile-book type="submit" { (tr(lang, "Đối chiếu các mục số hóa với CSDL dân cư", "Reconcile the digitised entries with the register")) }
            }
        }
        @if may_write(officer.role) {
            h2 { (tr(lang, "Số hóa một trang sổ giấy", "Digitise an entry of an old paper book")) }
            form.sheet method="post" action="/civil-status" enctype="multipart/form-data" {
                (officer.csrf_field())
                label for="d-kind" { (tr(lang, "Loại sổ", "Book")) }
                select #d-kind name="kind" { @for (code, vi, en) in KINDS { option value=(code) selected[code == kind] { (tr(lang, vi, en)) } } }
                label for="d-year" { (tr(lang, "Năm đăng ký", "Year registered")) } input #d-year name="year" inputmode="numeric" required;
                label for="d-book" { (tr(lang, "Quyển số (sổ giấy)", "Paper book number")) } input #d-book name="paper_book" required;
                label for="d-line" { (tr(lang, "Số trang/số thứ tự (sổ giấy)", "Paper line")) } input #d-line name="paper_line" required;
                label for="d-name" { (tr(lang, "Họ và tên", "Full name")) } input #d-name name="full_name" required;
                label for="d-id" { (tr(lang, "Số định danh (nếu có)", "Personal ID (if known)")) } input #d-id name="personal_id" inputmode="numeric";
                label for="d-event" { (tr(lang, "Ngày sự kiện", "Event date")) } input #d-event name="event_date" placeholder=(tr(lang, "ngày/tháng/năm", "day/month/year")) required;
                label for="d-reg" { (tr(lang, "Ngày đăng ký", "Registration date")) } input #d-reg name="registered_on" placeholder=(tr(lang, "ngày/tháng/năm", "day/month/year")) required;
                label for="d-scan" { (tr(lang, "Ảnh trang sổ (PDF, JPEG, PNG)", "Scanned page (PDF, JPEG, PNG)")) } input #d-scan type="file" name="file" accept="application/pdf,image/jpeg,image/png" required;
                div.actions { button.primary type="submit" { (tr(lang, "Lưu vào sổ", "Save the entry")) } }
            }
        }
    };
    let mut r = officer.page(tr(lang, "Sổ hộ tịch", "Civil-status books"), body);
    *r.status_mut() = status;
    Ok(r)
}

/// The media type of a scan from its first bytes (what the browser claims is not trusted).
pub(crate) fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

pub async fn digitise(
    State(state): State<AppState>,
    officer: Officer,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
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
    let field_error = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            bad()
        }
    };
    let mut multipart = multipart.map_err(|_| bad())?;
    let mut fields = std::collections::BTreeMap::<String, String>::new();
    let (mut file_name, mut bytes) = (String::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(field_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            file_name = field
                .file_name()
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            bytes = field.bytes().await.map_err(field_error)?.to_vec();
        } else {
            fields.insert(name, field.text().await.map_err(field_error)?);
        }
    }
    let get = |k: &str| {
        fields
            .get(k)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    officer.check_csrf(&state, &get("csrf"))?;
    officer.require(
        may_write(officer.role),
        tr(
            lang,
            "Chỉ công chức tư pháp - hộ tịch hoặc quản trị viên số hóa sổ hộ tịch.",
            "Only justice officers or admins digitise the books.",
        ),
    )?;
    if bytes.len() > SCAN_LIMIT {
        return Err(too_large());
    }
    let q = BookQuery {
        kind: get("kind"),
        year: get("year"),
    };
    // Every field is checked before anything is written; the first problem is named.
    let problem = |field: &str, vi: &str, en: &str| Some(format!("{field}: {}", tr(lang, vi, en)));
    let kind = KINDS.iter().find(|k| k.0 == get("kind")).map(|k| k.0);
    let year: Option<i32> = get("year")
        .parse()
        .ok()
        .filter(|y| (1900..=2100).contains(y));
    let event = PartialDate::parse(&get("event_date")).ok();
    let registered = PartialDate::parse(&get("registered_on"))
        .ok()
        .and_then(|d| d.full());
    let personal_id = match get("personal_id") {
        s if s.is_empty() => Ok(None),
        s => PersonalId::parse(&s).map(Some),
    };
    let media_type = sniff(&bytes);
    let error = if kind.is_none() {
        problem(
            "kind",
            "không phải loại sổ hộ tịch",
            "not a kind of civil-status book",
        )
    } else if year.is_none() {
        problem(
            "year",
            "phải là năm từ 1900 đến 2100",
            "expected a year from 1900 to 2100",
        )
    } else if get("paper_book").is_empty() || get("paper_line").is_empty() {
        problem("paper_book/paper_line", "bắt buộc", "required")
    } else if xaso_domain::name::check_full_name(&get("full_name")).is_some() {
        problem(
            "full_name",
            "không phải họ tên hợp lệ",
            "not a valid full name",
        )
    } else if event.is_none() {
        problem("event_date", "không phải ngày hợp lệ", "not a date")
    } else if registered.is_none() {
        problem(
            "registered_on",
            "phải là ngày đủ ngày, tháng, năm",
            "expected a full date",
        )
    } else if let Err(e) = &personal_id {
        Some(format!(
            "personal_id: {}",
            lang.pick(&e.to_string(), &e.vi())
        ))
    } else if bytes.is_empty() {
        problem("file", "chưa chọn tệp", "no file chosen")
    } else if media_type.is_none() {
        problem(
            "file",
            "chỉ nhận PDF, JPEG hoặc PNG",
            "only PDF, JPEG or PNG",
        )
    } else {
        None
    };
    if let Some(e) = error {
        return books_view(
            &state,
            &officer,
            &q,
            Some(("error", e)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let (Some(kind), Some(year), Some(event), Some(registered), Ok(personal_id), Some(media_type)) =
        (kind, year, event, registered, personal_id, media_type)
    else {
        return Err(bad());
    };
    let now = xaso_store::format_utc(OffsetDateTime::now_utc());
    let link = AttachmentLink {
        sha256: String::new(),
        receipt_number: None,
        personal_id: personal_id.as_ref().map(|p| p.as_str().to_owned()),
        document: format!("civil-status-book/{kind}"),
        file_name,
        media_type: media_type.to_owned(),
        size: 0,
        added_at: now,
        added_by: officer.login.clone(),
    };
    let mut entry = NewCivilStatusEntry {
        kind: kind.to_owned(),
        year,
        receipt_number: None,
        personal_id: personal_id.as_ref().map(|p| p.as_str().to_owned()),
        full_name: xaso_domain::name::normalize(&get("full_name")),
        event_date: event.to_iso(),
        registered_on: registered.to_string(),
        data: "{}".to_owned(),
        paper_book: Some(get("paper_book")),
        paper_line: Some(get("paper_line")),
        scanned_page: None,
        created_by: officer.login.clone(),
    };
    let written = blocking(&state, move |s| {
        let stored = s.add_attachment(&bytes, &link)?;
        entry.scanned_page = Some(stored.sha256);
        s.add_civil_status_entry(&entry)
    })
    .await
    .or_page(lang)?;
    let mut record = audit_record(
        &officer.principal(),
        "civil-status.digitise",
        "/civil-status",
        written.entry.personal_id.clone(),
    );
    record.reason = Some(format!("{kind} {year} line {}", written.line));
    audited(&state, vec![record]).await.or_page(lang)?;
    let done = format!(
        "{} {} {}",
        tr(lang, "Đã lưu vào sổ, số", "Saved in the book, line"),
        written.line,
        written.entry.full_name
    );
    books_view(&state, &officer, &q, Some(("ok", done)), StatusCode::OK).await
}

/// A stored file, for the officers who may read the books or handle dossiers.
pub async fn attachment(
    State(state): State<AppState>,
    officer: Officer,
    Path(sha): Path<String>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    officer.require(
        may_read(officer.role) || matches!(officer.role, Role::Desk | Role::Police | Role::Labour),
        tr(
            lang,
            "Vai trò của bạn không xem được tệp đính kèm.",
            "Your role may not open attachments.",
        ),
    )?;
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(PageError::new(
            lang,
            StatusCode::NOT_FOUND,
            tr(lang, "Không có tệp này.", "No such file."),
        ));
    }
    let key = sha.to_ascii_lowercase();
    let found = read(&state, move |s| s.get_attachment(&key))
        .await
        .or_page(lang)?;
    let Some((media_type, bytes)) = found else {
        return Err(PageError::new(
            lang,
            StatusCode::NOT_FOUND,
            tr(lang, "Không có tệp này.", "No such file."),
        ));
    };
    let record = audit_record(
        &officer.principal(),
        "attachment.read",
        "/attachments/{sha256}",
        None,
    );
    audited(&state, vec![record]).await.or_page(lang)?;
    let content_type = HeaderValue::from_str(&media_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("inline"),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ReconcileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    year: String,
}

/// Sends a book's digitised entries to the data-cleaning engine as a list (kind
/// "civil-status"): the officer maps the columns, the run matches every entry against the
/// register, and the review queue settles the doubtful ones.
pub async fn reconcile_book(
    State(state): State<AppState>,
    officer: Officer,
    axum::Form(form): axum::Form<ReconcileForm>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    officer.check_csrf(&state, &form.csrf)?;
    officer.require(
        may_write(officer.role),
        tr(
            lang,
            "Chỉ công chức tư pháp - hộ tịch hoặc quản trị viên đối chiếu sổ hộ tịch.",
            "Only justice officers or admins reconcile the books.",
        ),
    )?;
    let kind = KINDS
        .iter()
        .find(|k| k.0 == form.kind.trim())
        .map_or("birth", |k| k.0)
        .to_owned();
    let Some(year) = form.year.trim().parse::<i32>().ok() else {
        return Err(PageError::new(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            tr(lang, "year: phải là năm", "year: expected a year"),
        ));
    };
    let filter = CivilStatusFilter {
        kind: Some(kind.clone()),
        year: Some(year),
        digitised: Some(true),
        limit: 100_000,
        ..Default::default()
    };
    let entries = read(&state, move |s| s.list_civil_status(&filter))
        .await
        .or_page(lang)?;
    if entries.is_empty() {
        let q = BookQuery {
            kind: kind.clone(),
            year: year.to_string(),
        };
        let text = tr(
            lang,
            "Sổ này chưa có mục nào được số hóa.",
            "This book has no digitised entry.",
        )
        .to_owned();
        return books_view(&state, &officer, &q, Some(("info", text)), StatusCode::OK).await;
    }
    // Headers the column mapping recognises; the date of birth only for a birth book.
    let birth = kind == "birth";
    let mut headers = vec!["Họ và tên".to_owned(), "Số định danh".to_owned()];
    if birth {
        headers.push("Ngày sinh".to_owned());
    }
    headers.extend(["Quyển số".to_owned(), "Số thứ tự".to_owned()]);
    let rows = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut cells = vec![
                e.entry.full_name.clone(),
                e.entry.personal_id.clone().unwrap_or_default(),
            ];
            if birth {
                cells.push(e.entry.event_date.clone());
            }
            cells.push(e.entry.paper_book.clone().unwrap_or_default());
            cells.push(e.entry.paper_line.clone().unwrap_or_default());
            (i + 2, cells)
        })
        .collect();
    let record = audit_record(
        &officer.principal(),
        "civil-status.reconcile",
        "/civil-status/reconcile",
        None,
    );
    audited(&state, vec![record]).await.or_page(lang)?;
    super::reconcile::to_mapping(
        &state,
        &officer,
        "civil-status",
        format!("so-ho-tich-{kind}-{year}.csv"),
        headers,
        rows,
    )
}
