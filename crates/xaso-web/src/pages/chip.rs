//! The chip of an ID card at the desk: is it genuine, and who does it say the holder is?
//!
//! - `/desk/chip`: an officer of the desk (or an admin) uploads the files a chip reader
//!   produced — EF.SOD, DG1, DG2, DG13, optionally DG14 and DG15 — and sees passive
//!   authentication (ICAO Doc 9303 Part 11 §5.1) with every check and its outcome, the MRZ, the
//!   DG13 fields, the face image and the register's record beside them. The same as JSON for a
//!   reading agent: `POST /api/v1/card/chip` (base64 fields, a bearer token of the desk or an
//!   admin).
//! - `/admin/csca`: the trust store, the CSCA certificates the verification chains the document
//!   signer to, kept in the store's `meta` under [`CSCA_KEY`] (a JSON list: base64 DER, who
//!   added it and when, from where). Admins add a certificate (DER or PEM) or the CSCAs of an
//!   ICAO master list signed under a CSCA already trusted, and remove one.
//!
//! Every verification is audited (`card.chip`, the DG13 personal ID as subject, the outcome
//! and the evidence hash as reason; `person.read` too when the register's record is shown).
//! The evidence hash is the SHA-256 of the files given, concatenated in the order EF.SOD, DG1,
//! DG2, DG13, DG14, DG15 (`cat EF.SOD DG1 DG2 DG13 DG14 DG15 | sha256sum` gives it back).
//!
//! [`ChipVerification::verified_evidence`] is the seam for raising a citizen's account to
//! assurance level 2 once citizen accounts exist: it gives what was verified, by whom and when,
//! only when every check passed.

use std::sync::Mutex;

use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Form, Json};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use maud::{html, Markup};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use xaso_card::chip::mrz::{self, MrzError, MrzSex, Td1};
use xaso_card::compare::{compare, CardComparison};
use xaso_card::lds::cert::Certificate;
use xaso_card::lds::passive::{
    self, CertificateSummary, Check, Outcome, PassiveAuthentication, Policy, TrustStore,
};
use xaso_card::lds::{
    parse_dg1, parse_dg13, parse_dg2, Dg1, Dg13, Dg2, ImageFormat, LdsError, DG13_LAYOUT,
};
use xaso_card::CardQr;
use xaso_domain::role::Role;
use xaso_domain::{name, PersonalId};
use xaso_identity::Principal;
use xaso_store::{Store, StoredPerson};

use super::desk::comparison_table;
use super::dossiers::tr;
use super::register::{address_text, date_text, person_href, sex_text};
use super::{local_time, notice, Officer, OrPage, PageError};
use crate::api::{audit_record, audited, blocking, read, Caller};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::AppState;

/// Where the trust store is kept in `meta`.
pub const CSCA_KEY: &str = "chip.csca";
/// The largest file of a chip accepted (a real DG2 is 15–30 kB).
pub const FILE_LIMIT: usize = 1024 * 1024;
/// The desk's form: six files and the token.
pub const BODY_LIMIT: usize = 6 * FILE_LIMIT + 64 * 1024;
/// The JSON API: six files in base64.
pub const API_BODY_LIMIT: usize = 6 * (FILE_LIMIT.div_ceil(3) * 4) + 64 * 1024;
/// A certificate upload.
pub const CERTIFICATE_LIMIT: usize = 1024 * 1024;
/// An ICAO master list (a state's list is a few hundred kB, the larger lists a few MB).
pub const MASTER_LIST_LIMIT: usize = 8 * 1024 * 1024;
/// The trust store's upload form.
pub const CSCA_BODY_LIMIT: usize = MASTER_LIST_LIMIT + 64 * 1024;

/// One change of the trust store at a time (read, change, write back).
static CSCA_WRITE: Mutex<()> = Mutex::new(());

fn may_verify(role: Role) -> bool {
    matches!(role, Role::Desk | Role::Admin)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fingerprint in groups of eight digits, so that it wraps and reads aloud.
fn grouped(hex: &str) -> String {
    hex.as_bytes()
        .chunks(8)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn dmy(t: OffsetDateTime) -> String {
    format!("{:02}/{:02}/{:04}", t.day(), u8::from(t.month()), t.year())
}

/// An owned text in the officer's language.
fn pick(lang: Lang, en: String, vi: String) -> String {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

fn utc(t: OffsetDateTime) -> String {
    xaso_store::format_utc(t)
}

// ---------------------------------------------------------------------------------------------
// The trust store

/// A trusted CSCA certificate as stored under [`CSCA_KEY`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CscaEntry {
    /// The certificate, DER in standard base64.
    pub der: String,
    /// The officer who added it.
    pub added_by: String,
    /// RFC 3339, UTC.
    pub added_at: String,
    /// "upload", or "master list sha256:…" for a certificate taken from a master list.
    #[serde(default)]
    pub source: String,
}

impl CscaEntry {
    pub fn der_bytes(&self) -> Option<Vec<u8>> {
        BASE64.decode(self.der.as_bytes()).ok()
    }

    /// The SHA-256 of the DER certificate, in hexadecimal: how the pages name it.
    pub fn fingerprint(&self) -> String {
        self.der_bytes().map(|d| sha256_hex(&d)).unwrap_or_default()
    }
}

/// The trusted CSCAs as stored (none when nothing was ever added).
pub fn load_cscas(store: &dyn Store) -> xaso_store::Result<Vec<CscaEntry>> {
    match store.get_meta(CSCA_KEY)? {
        None => Ok(Vec::new()),
        Some(json) => Ok(serde_json::from_str(&json)?),
    }
}

/// The trust store passive authentication uses. Entries were checked when they were added;
/// one that no longer reads is left out (and logged).
pub fn trust_store(entries: &[CscaEntry]) -> TrustStore {
    let mut store = TrustStore::new();
    for e in entries {
        let added = e.der_bytes().map(|der| store.add(&der));
        if !matches!(added, Some(Ok(()))) {
            tracing::warn!(
                "a stored CSCA certificate cannot be read and is not trusted: {}",
                e.fingerprint()
            );
        }
    }
    store
}

/// Why an upload is not a certificate that can be trusted. [`CertRefusal::en`] and
/// [`CertRefusal::vi`] name the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertRefusal {
    Empty,
    TooLarge {
        limit: usize,
    },
    /// A PEM file holding a private key: never uploaded anywhere.
    PrivateKey,
    /// A PEM file without a CERTIFICATE block.
    NoPemCertificate,
    /// A PEM block whose content is not base64.
    PemBase64 {
        block: usize,
    },
    /// The DER certificate cannot be read.
    Der {
        block: usize,
        error: LdsError,
    },
    /// basicConstraints says it is not a CA.
    NotCa {
        subject: String,
    },
}

impl CertRefusal {
    fn prefix(block: usize) -> (String, String) {
        if block == 0 {
            (String::new(), String::new())
        } else {
            (
                format!("certificate {block} of the PEM file: "),
                format!("Chứng thư thứ {block} trong tệp PEM: "),
            )
        }
    }

    pub fn en(&self) -> String {
        match self {
            CertRefusal::Empty => "no file was chosen".into(),
            CertRefusal::TooLarge { limit } => {
                format!("the file is larger than {} MB", limit / (1024 * 1024))
            }
            CertRefusal::PrivateKey => {
                "the PEM file holds a private key: never upload a private key; a CSCA certificate is public".into()
            }
            CertRefusal::NoPemCertificate => {
                "the PEM file has no -----BEGIN CERTIFICATE----- block".into()
            }
            CertRefusal::PemBase64 { block } => format!(
                "{}the text between BEGIN and END is not base64",
                Self::prefix(*block).0
            ),
            CertRefusal::Der { block, error } => {
                format!("{}not an X.509 certificate: {error}", Self::prefix(*block).0)
            }
            CertRefusal::NotCa { subject } => format!(
                "{subject} is not a CA (basicConstraints cA is FALSE): a document signer's certificate is not a CSCA"
            ),
        }
    }

    pub fn vi(&self) -> String {
        match self {
            CertRefusal::Empty => "Chưa chọn tệp".into(),
            CertRefusal::TooLarge { limit } => {
                format!("Tệp lớn hơn {} MB", limit / (1024 * 1024))
            }
            CertRefusal::PrivateKey => {
                "Tệp PEM chứa khóa bí mật: không bao giờ tải khóa bí mật lên; chứng thư CSCA là công khai".into()
            }
            CertRefusal::NoPemCertificate => {
                "Tệp PEM không có khối -----BEGIN CERTIFICATE-----".into()
            }
            CertRefusal::PemBase64 { block } => format!(
                "{}nội dung giữa BEGIN và END không phải base64",
                Self::prefix(*block).1
            ),
            CertRefusal::Der { block, error } => format!(
                "{}không phải chứng thư X.509: {}",
                Self::prefix(*block).1,
                error.vi()
            ),
            CertRefusal::NotCa { subject } => format!(
                "{subject} không phải là CA (basicConstraints cA = FALSE): chứng thư của người ký tài liệu không phải CSCA"
            ),
        }
    }
}

/// The DER certificates of an upload: one DER certificate, or a PEM file with one or more
/// CERTIFICATE blocks. Each is read and must not say it is not a CA.
pub fn read_certificates(bytes: &[u8]) -> Result<Vec<Certificate>, CertRefusal> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(CertRefusal::Empty);
    }
    let ders: Vec<(usize, Vec<u8>)> = match std::str::from_utf8(bytes) {
        Ok(text) if text.contains("-----BEGIN") => {
            if text.contains("PRIVATE KEY-----") {
                return Err(CertRefusal::PrivateKey);
            }
            let blocks = pem_certificates(text);
            if blocks.is_empty() {
                return Err(CertRefusal::NoPemCertificate);
            }
            // Blocks are numbered in messages only when there are several.
            let numbered = blocks.len() > 1;
            let mut ders = Vec::new();
            for (i, body) in blocks.into_iter().enumerate() {
                let block = if numbered { i + 1 } else { 0 };
                let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                let der = BASE64
                    .decode(compact.as_bytes())
                    .map_err(|_| CertRefusal::PemBase64 { block })?;
                ders.push((block, der));
            }
            ders
        }
        _ => vec![(0, bytes.to_vec())],
    };
    let mut certificates = Vec::new();
    for (block, der) in ders {
        let cert =
            Certificate::from_der(&der).map_err(|error| CertRefusal::Der { block, error })?;
        if cert.is_ca == Some(false) {
            return Err(CertRefusal::NotCa {
                subject: cert.subject_name(),
            });
        }
        certificates.push(cert);
    }
    Ok(certificates)
}

/// The base64 bodies of the CERTIFICATE blocks of a PEM text.
fn pem_certificates(text: &str) -> Vec<String> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let Some(end) = after.find(END) else {
            // An unterminated block: its body is whatever follows, which base64 will refuse.
            out.push(after.to_owned() + "!");
            break;
        };
        out.push(after[..end].to_owned());
        rest = &after[end + END.len()..];
    }
    out
}

/// Adds certificates to the stored trust store; the fingerprints of those that were new.
fn add_cscas(
    store: &dyn Store,
    ders: Vec<Vec<u8>>,
    officer: &str,
    source: &str,
) -> xaso_store::Result<Vec<String>> {
    let _guard = CSCA_WRITE.lock().unwrap_or_else(|e| e.into_inner());
    let mut entries = load_cscas(store)?;
    let mut added = Vec::new();
    let at = utc(OffsetDateTime::now_utc());
    for der in ders {
        let fingerprint = sha256_hex(&der);
        if entries.iter().any(|e| e.fingerprint() == fingerprint) || added.contains(&fingerprint) {
            continue;
        }
        entries.push(CscaEntry {
            der: BASE64.encode(&der),
            added_by: officer.to_owned(),
            added_at: at.clone(),
            source: source.to_owned(),
        });
        added.push(fingerprint);
    }
    if !added.is_empty() {
        store.set_meta(CSCA_KEY, &serde_json::to_string(&entries)?)?;
    }
    Ok(added)
}

/// Removes a certificate by fingerprint; the entry removed, if there was one.
fn remove_csca(store: &dyn Store, fingerprint: &str) -> xaso_store::Result<Option<CscaEntry>> {
    let _guard = CSCA_WRITE.lock().unwrap_or_else(|e| e.into_inner());
    let mut entries = load_cscas(store)?;
    let Some(at) = entries.iter().position(|e| e.fingerprint() == fingerprint) else {
        return Ok(None);
    };
    let removed = entries.remove(at);
    store.set_meta(CSCA_KEY, &serde_json::to_string(&entries)?)?;
    Ok(Some(removed))
}

fn require_admin(officer: &Officer) -> Result<(), PageError> {
    officer.require(
        officer.role == Role::Admin,
        tr(
            officer.lang,
            "Chỉ quản trị viên quản lý kho chứng thư CSCA.",
            "Only administrators manage the CSCA trust store.",
        ),
    )
}

pub async fn csca_page(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Response, PageError> {
    require_admin(&officer)?;
    csca_view(&state, &officer, None, StatusCode::OK).await
}

async fn csca_view(
    state: &AppState,
    officer: &Officer,
    message: Option<(&str, String)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let entries = read(state, load_cscas).await.or_page(lang)?;
    let now = OffsetDateTime::now_utc();
    let title = tr(lang, "Chứng thư CSCA tin cậy", "Trusted CSCA certificates");
    let body = html! {
        h1 { (title) }
        p.muted { (tr(lang,
            "Chip của thẻ căn cước được xác thực khi chứng thư người ký tài liệu (trong EF.SOD) do một CSCA dưới đây cấp. Chỉ thêm chứng thư nhận được qua kênh tin cậy (Bộ Công an, danh sách CSCA của ICAO) và đối chiếu dấu vân tay SHA-256.",
            "A card's chip is genuine when the document signer's certificate (in EF.SOD) was issued by one of the CSCAs below. Add only certificates obtained through a trusted channel (the Ministry of Public Security, ICAO master lists) and compare the SHA-256 fingerprint."))
        }
        @if let Some((k, t)) = &message { (notice(k, t)) }
        @if entries.is_empty() {
            (notice("warning", tr(lang,
                "Kho chưa có CSCA nào: mọi chip sẽ bị báo là không rõ nơi cấp.",
                "The store holds no CSCA: every chip will be reported as issued by an unknown CSCA.")))
        } @else {
            table.results #cscas {
                thead { tr {
                    th { (tr(lang, "Chủ thể", "Subject")) }
                    th { (tr(lang, "Hiệu lực", "Validity")) }
                    th { (tr(lang, "Dấu vân tay SHA-256", "SHA-256 fingerprint")) }
                    th { (tr(lang, "Người thêm", "Added by")) }
                    th {}
                } }
                tbody { @for e in &entries {
                    @let fingerprint = e.fingerprint();
                    @let cert = e.der_bytes().and_then(|d| Certificate::from_der(&d).ok());
                    tr data-fingerprint=(fingerprint) {
                        @match &cert {
                            Some(c) => {
                                td {
                                    (c.subject_name())
                                    @if c.issuer_name() != c.subject_name() {
                                        small { (tr(lang, "Cấp bởi: ", "Issued by: ")) (c.issuer_name()) }
                                    }
                                    small { (tr(lang, "Số sê-ri: ", "Serial: ")) span.mono { (c.serial_hex()) } }
                                }
                                td {
                                    (dmy(c.not_before)) " – " (dmy(c.not_after))
                                    @if now > c.not_after { br; span.tag { (tr(lang, "đã hết hạn", "expired")) } }
                                    @else if now < c.not_before { br; span.tag { (tr(lang, "chưa có hiệu lực", "not yet valid")) } }
                                }
                            }
                            None => {
                                td colspan="2" { (notice("error", tr(lang, "Không đọc được chứng thư đã lưu", "The stored certificate cannot be read"))) }
                            }
                        }
                        td.mono.fingerprint { (grouped(&fingerprint)) }
                        td {
                            (e.added_by)
                            small { (local_time(&e.added_at)) }
                            @if e.source != "upload" && !e.source.is_empty() { small { (e.source) } }
                        }
                        td {
                            form.inline method="post" action="/admin/csca/remove" {
                                (officer.csrf_field())
                                input type="hidden" name="fingerprint" value=(fingerprint);
                                button type="submit" { (tr(lang, "Gỡ bỏ", "Remove")) }
                            }
                        }
                    }
                } }
            }
        }
        h2 { (tr(lang, "Thêm chứng thư CSCA", "Add a CSCA certificate")) }
        form.sheet #add-csca method="post" action="/admin/csca" enctype="multipart/form-data" {
            (officer.csrf_field())
            input type="hidden" name="kind" value="certificate";
            label for="csca-file" { (tr(lang, "Tệp chứng thư (DER hoặc PEM, tối đa 1 MB)", "Certificate file (DER or PEM, 1 MB at most)")) }
            input #csca-file type="file" name="file" accept=".cer,.crt,.der,.pem" required;
            div.actions { button.primary type="submit" { (tr(lang, "Thêm vào kho", "Add to the store")) } }
        }
        h2 { (tr(lang, "Nạp danh sách CSCA (ICAO master list)", "Load an ICAO master list")) }
        form.sheet #add-master-list method="post" action="/admin/csca" enctype="multipart/form-data" {
            (officer.csrf_field())
            input type="hidden" name="kind" value="master-list";
            p.note { (tr(lang,
                "Chữ ký của danh sách được kiểm tra với các CSCA đã có trong kho: CSCA của nước phát hành danh sách phải được thêm trước.",
                "The list's signature is checked against the CSCAs already in the store: the CSCA of the state that publishes the list must be added first.")) }
            label for="ml-file" { (tr(lang, "Tệp master list (.ml, tối đa 8 MB)", "Master list file (.ml, 8 MB at most)")) }
            input #ml-file type="file" name="file" accept=".ml,.der,.p7b" required;
            div.actions { button.primary type="submit" { (tr(lang, "Nạp danh sách", "Load the list")) } }
        }
        p { a href="/desk/chip" { (tr(lang, "Xác thực chip thẻ căn cước", "Verify an ID card's chip")) } }
    };
    let mut r = officer.page(title, body);
    *r.status_mut() = status;
    Ok(r)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

fn too_large(lang: Lang, limit_mb: usize) -> PageError {
    PageError::new(
        lang,
        StatusCode::PAYLOAD_TOO_LARGE,
        lang.pick(
            &format!("The upload is too large ({limit_mb} MB at most)."),
            &format!("Tệp tải lên quá lớn (tối đa {limit_mb} MB)."),
        ),
    )
}

fn bad_form(lang: Lang) -> PageError {
    PageError::new(
        lang,
        StatusCode::BAD_REQUEST,
        tr(
            lang,
            "Biểu mẫu không đọc được.",
            "The form could not be read.",
        ),
    )
}

/// A multipart form's text fields and files, each file bounded by `limit` bytes (the body
/// limit of the route bounds the whole).
async fn read_multipart(
    lang: Lang,
    multipart: Result<Multipart, MultipartRejection>,
    body_limit_mb: usize,
) -> Result<Vec<(String, Vec<u8>)>, PageError> {
    let field_error = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(lang, body_limit_mb)
        } else {
            bad_form(lang)
        }
    };
    let mut multipart = multipart.map_err(|_| bad_form(lang))?;
    let mut fields = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(field_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(field_error)?.to_vec();
        fields.push((name, bytes));
    }
    Ok(fields)
}

fn text_field(fields: &[(String, Vec<u8>)], name: &str) -> String {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| String::from_utf8_lossy(v).trim().to_owned())
        .unwrap_or_default()
}

/// The trust store's page with the rule an upload broke.
async fn refuse(state: &AppState, officer: &Officer, text: &str) -> Result<Response, PageError> {
    csca_view(
        state,
        officer,
        Some(("error", text.to_owned())),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

pub async fn csca_add(
    State(state): State<AppState>,
    officer: Officer,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let limit_mb = MASTER_LIST_LIMIT / (1024 * 1024);
    if content_length(&headers).is_some_and(|n| n > CSCA_BODY_LIMIT as u64) {
        return Err(too_large(lang, limit_mb));
    }
    let fields = read_multipart(lang, multipart, limit_mb).await?;
    officer.check_csrf(&state, &text_field(&fields, "csrf"))?;
    require_admin(&officer)?;
    let file = fields
        .iter()
        .find(|(k, _)| k == "file")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let master_list = text_field(&fields, "kind") == "master-list";
    let (ders, source) = if master_list {
        if file.is_empty() {
            let e = CertRefusal::Empty;
            return refuse(&state, &officer, lang.pick(&e.en(), &e.vi())).await;
        }
        if file.len() > MASTER_LIST_LIMIT {
            let e = CertRefusal::TooLarge {
                limit: MASTER_LIST_LIMIT,
            };
            return refuse(&state, &officer, lang.pick(&e.en(), &e.vi())).await;
        }
        let entries = read(&state, load_cscas).await.or_page(lang)?;
        let anchors = trust_store(&entries);
        let bytes = file.clone();
        let list = tokio::task::spawn_blocking(move || {
            TrustStore::from_master_list(
                &bytes,
                &anchors,
                OffsetDateTime::now_utc(),
                Policy::default(),
            )
        })
        .await
        .map_err(|e| PageError::from_api(lang, e.into()))?;
        match list {
            Ok(list) => (
                list.certificates()
                    .iter()
                    .map(|c| c.der().to_vec())
                    .collect::<Vec<_>>(),
                format!("master list sha256:{}", sha256_hex(&file)),
            ),
            Err(e) => {
                let text = pick(
                    lang,
                    format!("The master list is refused: {e}"),
                    format!("Không nhận danh sách CSCA: {}", e.vi()),
                );
                return refuse(&state, &officer, &text).await;
            }
        }
    } else {
        let refused = if file.len() > CERTIFICATE_LIMIT {
            Err(CertRefusal::TooLarge {
                limit: CERTIFICATE_LIMIT,
            })
        } else {
            read_certificates(&file)
        };
        match refused {
            Ok(certs) => (
                certs.iter().map(|c| c.der().to_vec()).collect(),
                "upload".to_owned(),
            ),
            Err(e) => return refuse(&state, &officer, lang.pick(&e.en(), &e.vi())).await,
        }
    };
    let summaries: Vec<(String, String)> = ders
        .iter()
        .filter_map(|d| Certificate::from_der(d).ok())
        .map(|c| (sha256_hex(c.der()), c.subject_name()))
        .collect();
    let login = officer.login.clone();
    let from = source.clone();
    let added = blocking(&state, move |s| add_cscas(s, ders, &login, &from))
        .await
        .or_page(lang)?;
    if added.is_empty() {
        return csca_view(
            &state,
            &officer,
            Some((
                "warning",
                tr(
                    lang,
                    "Các chứng thư này đã có trong kho.",
                    "These certificates are already in the store.",
                )
                .to_owned(),
            )),
            StatusCode::CONFLICT,
        )
        .await;
    }
    let described: Vec<String> = summaries
        .iter()
        .filter(|(fp, _)| added.contains(fp))
        .map(|(fp, subject)| format!("{subject} (sha256 {fp})"))
        .collect();
    super::shop_admin::audit(
        &state,
        &officer,
        "chip.csca.add",
        "POST /admin/csca",
        format!("{source}: {}", described.join("; ")),
    )
    .await?;
    let text = pick(
        lang,
        format!("Added to the store: {}", described.join("; ")),
        format!("Đã thêm vào kho: {}", described.join("; ")),
    );
    csca_view(&state, &officer, Some(("ok", text)), StatusCode::CREATED).await
}

#[derive(Debug, Default, Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    fingerprint: String,
}

pub async fn csca_remove(
    State(state): State<AppState>,
    officer: Officer,
    Form(form): Form<RemoveForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    require_admin(&officer)?;
    let lang = officer.lang;
    let fingerprint = form.fingerprint.trim().to_ascii_lowercase();
    let removed = blocking(&state, move |s| remove_csca(s, &fingerprint))
        .await
        .or_page(lang)?;
    let Some(removed) = removed else {
        return csca_view(
            &state,
            &officer,
            Some((
                "error",
                tr(
                    lang,
                    "Không có chứng thư này trong kho.",
                    "No such certificate in the store.",
                )
                .to_owned(),
            )),
            StatusCode::NOT_FOUND,
        )
        .await;
    };
    let subject = removed
        .der_bytes()
        .and_then(|d| Certificate::from_der(&d).ok())
        .map(|c| c.subject_name())
        .unwrap_or_default();
    let described = format!("{subject} (sha256 {})", removed.fingerprint());
    super::shop_admin::audit(
        &state,
        &officer,
        "chip.csca.remove",
        "POST /admin/csca/remove",
        described.clone(),
    )
    .await?;
    let text = pick(
        lang,
        format!("Removed from the store: {described}"),
        format!("Đã gỡ khỏi kho: {described}"),
    );
    csca_view(&state, &officer, Some(("ok", text)), StatusCode::OK).await
}

// ---------------------------------------------------------------------------------------------
// The files of a chip

/// A file a chip reader produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChipFile {
    /// The form field and JSON property.
    pub field: &'static str,
    /// As ICAO names it.
    pub name: &'static str,
    /// The data group's number (none for EF.SOD).
    pub dg: Option<u8>,
    pub required: bool,
}

/// The files, in the order the evidence hash takes them.
pub const CHIP_FILES: [ChipFile; 6] = [
    ChipFile {
        field: "sod",
        name: "EF.SOD",
        dg: None,
        required: true,
    },
    ChipFile {
        field: "dg1",
        name: "DG1",
        dg: Some(1),
        required: true,
    },
    ChipFile {
        field: "dg2",
        name: "DG2",
        dg: Some(2),
        required: true,
    },
    ChipFile {
        field: "dg13",
        name: "DG13",
        dg: Some(13),
        required: true,
    },
    ChipFile {
        field: "dg14",
        name: "DG14",
        dg: Some(14),
        required: false,
    },
    ChipFile {
        field: "dg15",
        name: "DG15",
        dg: Some(15),
        required: false,
    },
];

/// The files handed in, by [`CHIP_FILES`] position; an empty file counts as not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChipFiles([Option<Vec<u8>>; 6]);

/// Why the files handed in cannot be verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    Missing { file: ChipFile },
    TooLarge { file: ChipFile, size: usize },
    NotBase64 { file: ChipFile },
}

impl FileProblem {
    pub fn file(&self) -> ChipFile {
        match self {
            FileProblem::Missing { file }
            | FileProblem::TooLarge { file, .. }
            | FileProblem::NotBase64 { file } => *file,
        }
    }

    pub fn en(&self) -> String {
        match self {
            FileProblem::Missing { file } => format!("{}: the file is required", file.name),
            FileProblem::TooLarge { file, size } => format!(
                "{}: the file has {size} bytes, more than the {} MB allowed",
                file.name,
                FILE_LIMIT / (1024 * 1024)
            ),
            FileProblem::NotBase64 { file } => {
                format!("{}: not standard base64 (RFC 4648 §4)", file.name)
            }
        }
    }

    pub fn vi(&self) -> String {
        match self {
            FileProblem::Missing { file } => format!("{}: bắt buộc phải có tệp này", file.name),
            FileProblem::TooLarge { file, size } => format!(
                "{}: tệp có {size} byte, vượt quá giới hạn {} MB",
                file.name,
                FILE_LIMIT / (1024 * 1024)
            ),
            FileProblem::NotBase64 { file } => {
                format!("{}: không phải base64 chuẩn (RFC 4648 §4)", file.name)
            }
        }
    }
}

impl ChipFiles {
    fn index(field: &str) -> Option<usize> {
        CHIP_FILES.iter().position(|f| f.field == field)
    }

    /// Sets a file by its field name; false when no file has that name.
    pub fn set(&mut self, field: &str, bytes: Vec<u8>) -> bool {
        match Self::index(field) {
            Some(i) => {
                self.0[i] = Some(bytes).filter(|b| !b.is_empty());
                true
            }
            None => false,
        }
    }

    pub fn get(&self, field: &str) -> Option<&[u8]> {
        Self::index(field).and_then(|i| self.0[i].as_deref())
    }

    /// The files given, in order.
    pub fn given(&self) -> impl Iterator<Item = (ChipFile, &[u8])> {
        CHIP_FILES
            .iter()
            .zip(self.0.iter())
            .filter_map(|(f, b)| b.as_deref().map(|b| (*f, b)))
    }

    /// The first problem: a file too large, then a required file missing.
    pub fn problem(&self) -> Option<FileProblem> {
        if let Some((file, bytes)) = self.given().find(|(_, b)| b.len() > FILE_LIMIT) {
            return Some(FileProblem::TooLarge {
                file,
                size: bytes.len(),
            });
        }
        CHIP_FILES
            .iter()
            .find(|f| f.required && self.get(f.field).is_none())
            .map(|f| FileProblem::Missing { file: *f })
    }
}

/// A file's size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileDigest {
    pub file: &'static str,
    pub size: usize,
    pub sha256: String,
}

/// A check beyond passive authentication: the chip's files agree with each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consistency {
    pub check: &'static str,
    pub label_en: &'static str,
    pub label_vi: &'static str,
    /// The problem in English and Vietnamese; none when the check passed.
    pub problem: Option<(String, String)>,
}

/// Everything a verification found.
#[derive(Debug, Clone)]
pub struct ChipVerification {
    pub checked_at: OffsetDateTime,
    pub files: Vec<FileDigest>,
    /// SHA-256 of the files given, concatenated in the order of [`CHIP_FILES`].
    pub evidence_hash: String,
    /// How many CSCAs were trusted.
    pub trust_store_size: usize,
    pub pa: PassiveAuthentication,
    pub dg1: Result<Dg1, LdsError>,
    /// The MRZ read with its check digits, when DG1 could be read.
    pub mrz: Option<Result<Td1, MrzError>>,
    pub dg2: Result<Dg2, LdsError>,
    pub dg13: Result<Dg13, LdsError>,
    /// DG13's personal ID, when it is a valid one.
    pub personal_id: Option<PersonalId>,
    pub consistency: Vec<Consistency>,
}

/// One check as the JSON API and the level-2 evidence give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckLine {
    /// "sod_structure", "content_type", "message_digest", "signature", "chain",
    /// "document_signer_validity", "csca_validity", "dg1_hash", "dg2_hash", …
    pub check: String,
    pub label_en: String,
    pub label_vi: String,
    /// "passed", "failed" or "not_checked".
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_vi: Option<String>,
}

/// What a chip proved, for raising a citizen's account to assurance level 2 (`urn:xaso:loa:2`)
/// once citizen accounts exist: only given when every check passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedChip {
    pub personal_id: String,
    pub evidence_hash: String,
    pub checks: Vec<CheckLine>,
    /// The officer (or API token) that verified the chip.
    pub officer: String,
    /// RFC 3339, UTC.
    pub at: String,
    /// Subject of the document signer and of the CSCA that issued it.
    pub document_signer: Option<String>,
    pub csca: Option<String>,
}

fn check_code(c: Check) -> String {
    match c {
        Check::SodStructure => "sod_structure".into(),
        Check::ContentType => "content_type".into(),
        Check::MessageDigest => "message_digest".into(),
        Check::Signature => "signature".into(),
        Check::Chain => "chain".into(),
        Check::DocumentSignerValidity => "document_signer_validity".into(),
        Check::CscaValidity => "csca_validity".into(),
        Check::DataGroupHash(dg) => format!("dg{dg}_hash"),
    }
}

/// "DG13 — Nhóm dữ liệu 13 có mã băm đúng như trong SOD" for the data group checks.
fn check_label(c: Check, lang: Lang) -> String {
    let text = lang.pick(&c.en(), &c.vi()).to_owned();
    match c {
        Check::DataGroupHash(dg) => format!("DG{dg} — {text}"),
        _ => text,
    }
}

impl ChipVerification {
    /// Every check of passive authentication passed.
    pub fn genuine(&self) -> bool {
        self.pa.passed()
    }

    pub fn check_lines(&self) -> Vec<CheckLine> {
        self.pa
            .checks
            .iter()
            .map(|c| {
                let (outcome, error, error_vi) = match &c.outcome {
                    Outcome::Passed => ("passed", None, None),
                    Outcome::NotChecked => ("not_checked", None, None),
                    Outcome::Failed(e) => ("failed", Some(e.to_string()), Some(e.vi())),
                };
                CheckLine {
                    check: check_code(c.check),
                    label_en: check_label(c.check, Lang::En),
                    label_vi: check_label(c.check, Lang::Vi),
                    outcome,
                    error,
                    error_vi,
                }
            })
            .collect()
    }

    /// The evidence of a genuine chip whose files agree with each other, for the account of
    /// the holder it names; `None` unless every check passed, DG1 and DG13 among the data
    /// groups verified, and DG13 gives a valid personal ID.
    pub fn verified_evidence(&self, officer: &str) -> Option<VerifiedChip> {
        if !self.genuine() || self.consistency.iter().any(|c| c.problem.is_some()) {
            return None;
        }
        let verified = self.pa.verified_data_groups();
        if !verified.contains(&1) || !verified.contains(&13) {
            return None;
        }
        let id = self.personal_id.as_ref()?;
        Some(VerifiedChip {
            personal_id: id.to_string(),
            evidence_hash: self.evidence_hash.clone(),
            checks: self.check_lines(),
            officer: officer.to_owned(),
            at: utc(self.checked_at),
            document_signer: self.pa.document_signer.as_ref().map(|c| c.subject.clone()),
            csca: self.pa.csca.as_ref().map(|c| c.subject.clone()),
        })
    }

    /// The failures, one line each, in the officer's language.
    fn failures(&self, lang: Lang) -> Vec<String> {
        self.pa
            .checks
            .iter()
            .filter_map(|c| match &c.outcome {
                Outcome::Failed(e) => Some(format!(
                    "{}: {}",
                    match c.check {
                        Check::DataGroupHash(dg) => format!("DG{dg}"),
                        other => lang.pick(&other.en(), &other.vi()).to_owned(),
                    },
                    lang.pick(&e.to_string(), &e.vi())
                )),
                _ => None,
            })
            .collect()
    }

    /// The card as the desk's comparison takes it, from DG13.
    pub fn card(&self) -> Option<CardQr> {
        card_from_dg13(self.dg13.as_ref().ok()?)
    }
}

/// DG13 as a scanned card, so that the desk's comparison applies; `None` when DG13 lacks the
/// personal ID, the name, the date of birth or the sex, or one of them does not read.
pub fn card_from_dg13(dg13: &Dg13) -> Option<CardQr> {
    let personal_id = dg13.parsed_personal_id()?.ok()?;
    let date_of_birth = dg13.parsed_date_of_birth()?.ok()?;
    let sex = dg13.parsed_sex()?;
    let full_name = name::normalize(dg13.full_name.as_deref()?);
    if full_name.is_empty() {
        return None;
    }
    let id_mismatches = personal_id
        .check_against(Some(&date_of_birth), Some(sex))
        .iter()
        .map(ToString::to_string)
        .collect();
    Some(CardQr {
        personal_id,
        old_cmnd: dg13.parsed_old_cmnd().and_then(Result::ok),
        full_name,
        date_of_birth,
        sex,
        permanent_address: name::normalize(dg13.place_of_residence.as_deref().unwrap_or_default()),
        issue_date: dg13
            .parsed_issue_date()
            .and_then(Result::ok)
            .and_then(|d| d.full()),
        extra_fields: Vec::new(),
        id_mismatches,
    })
}

/// Verifies the files of one chip against `trust` at `now`. Pure: no I/O, no clock.
pub fn verify(files: &ChipFiles, trust: &TrustStore, now: OffsetDateTime) -> ChipVerification {
    let mut all = Sha256::new();
    let mut digests = Vec::new();
    for (file, bytes) in files.given() {
        all.update(bytes);
        digests.push(FileDigest {
            file: file.name,
            size: bytes.len(),
            sha256: sha256_hex(bytes),
        });
    }
    let evidence_hash: String = all.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let data_groups: Vec<(u8, &[u8])> = files
        .given()
        .filter_map(|(f, b)| f.dg.map(|dg| (dg, b)))
        .collect();
    let pa = passive::authenticate(
        files.get("sod").unwrap_or_default(),
        &data_groups,
        trust,
        now,
        Policy::default(),
    );
    let dg1 = parse_dg1(files.get("dg1").unwrap_or_default());
    let mrz = dg1.as_ref().ok().map(|d| mrz::parse(&d.mrz));
    let dg2 = parse_dg2(files.get("dg2").unwrap_or_default());
    let dg13 = parse_dg13(files.get("dg13").unwrap_or_default());
    let personal_id = dg13
        .as_ref()
        .ok()
        .and_then(|d| d.parsed_personal_id())
        .and_then(Result::ok);

    let mut consistency = Vec::new();
    consistency.push(Consistency {
        check: "mrz",
        label_en: "DG1: the MRZ reads, every check digit right",
        label_vi: "DG1: đọc được vùng MRZ, mọi chữ số kiểm tra đều đúng",
        problem: match (&dg1, &mrz) {
            (Err(e), _) => Some((e.to_string(), e.vi())),
            (_, Some(Err(e))) => Some((e.to_string(), e.vi())),
            _ => None,
        },
    });
    consistency.push(Consistency {
        check: "dg13_personal_id",
        label_en: "DG13: the personal ID number is valid",
        label_vi: "DG13: số định danh cá nhân hợp lệ",
        problem: match &dg13 {
            Err(e) => Some((e.to_string(), e.vi())),
            Ok(d) => match d.parsed_personal_id() {
                None => Some((
                    "DG13 has no personal ID number".into(),
                    "DG13 không có số định danh cá nhân".into(),
                )),
                Some(Err(e)) => Some((e.to_string(), e.vi())),
                Some(Ok(_)) => None,
            },
        },
    });
    if let (Some(Ok(td1)), Some(id)) = (&mrz, &personal_id) {
        consistency.push(Consistency {
            check: "mrz_personal_id",
            label_en: "The MRZ (DG1) and DG13 carry the same personal ID number",
            label_vi: "Vùng MRZ (DG1) và DG13 mang cùng số định danh cá nhân",
            problem: match td1.vn_personal_id() {
                Ok(m) if m == *id => None,
                Ok(m) => Some((
                    format!("the MRZ says {m}, DG13 says {id}"),
                    format!("MRZ ghi {m}, DG13 ghi {id}"),
                )),
                Err(e) => Some((e.to_string(), e.vi())),
            },
        });
    }

    ChipVerification {
        checked_at: now,
        files: digests,
        evidence_hash,
        trust_store_size: trust.len(),
        pa,
        dg1,
        mrz,
        dg2,
        dg13,
        personal_id,
        consistency,
    }
}

// ---------------------------------------------------------------------------------------------
// The desk's page

fn forbidden_text(lang: Lang) -> &'static str {
    tr(
        lang,
        "Chỉ cán bộ một cửa và quản trị viên xác thực chip thẻ căn cước.",
        "Only desk officers and admins verify ID card chips.",
    )
}

pub async fn chip_page(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Response, PageError> {
    officer.require(may_verify(officer.role), forbidden_text(officer.lang))?;
    chip_view(&state, &officer, None, html! {}, StatusCode::OK).await
}

async fn chip_view(
    state: &AppState,
    officer: &Officer,
    message: Option<(&str, String)>,
    result: Markup,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let trusted = read(state, load_cscas).await.or_page(lang)?.len();
    let title = tr(
        lang,
        "Xác thực chip thẻ căn cước",
        "Verify an ID card's chip",
    );
    let body = html! {
        h1 { (title) }
        @if let Some((k, t)) = &message { (notice(k, t)) }
        (result)
        @if trusted == 0 {
            (notice("warning", tr(lang,
                "Kho chứng thư CSCA đang trống: không chip nào được xác thực cho đến khi quản trị viên thêm CSCA.",
                "The CSCA trust store is empty: no chip verifies until an admin adds a CSCA.")))
        }
        h2 { (tr(lang, "Tệp đọc từ chip", "Files read from the chip")) }
        form.sheet.no-print #chip-form method="post" action="/desk/chip" enctype="multipart/form-data" {
            (officer.csrf_field())
            p.note { (tr(lang,
                "Chọn các tệp mà phần mềm đầu đọc NFC đã lưu từ chip (mỗi tệp tối đa 1 MB). Dữ liệu không ghi vào đâu ngoài nhật ký truy cập.",
                "Choose the files the NFC reader's software saved from the chip (1 MB each at most). Nothing is kept but the access log.")) }
            @for f in CHIP_FILES {
                label for=(f.field) {
                    (f.name)
                    @if !f.required { " " span.req { (tr(lang, "(không bắt buộc)", "(optional)")) } }
                }
                input id=(f.field) type="file" name=(f.field) required[f.required];
            }
            div.actions { button.primary type="submit" { (tr(lang, "Xác thực", "Verify")) } }
        }
        p.no-print {
            (tr(lang, "Kho CSCA tin cậy: ", "Trusted CSCAs: ")) (trusted)
            @if officer.role == Role::Admin { " · " a href="/admin/csca" { (tr(lang, "quản lý", "manage")) } }
        }
    };
    let mut r = officer.page(title, body);
    *r.status_mut() = status;
    Ok(r)
}

pub async fn chip_verify(
    State(state): State<AppState>,
    officer: Officer,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let body_mb = BODY_LIMIT.div_ceil(1024 * 1024);
    if content_length(&headers).is_some_and(|n| n > BODY_LIMIT as u64) {
        return Err(too_large(lang, body_mb));
    }
    let fields = read_multipart(lang, multipart, body_mb).await?;
    officer.check_csrf(&state, &text_field(&fields, "csrf"))?;
    officer.require(may_verify(officer.role), forbidden_text(lang))?;
    let mut files = ChipFiles::default();
    for (name, bytes) in fields {
        files.set(&name, bytes);
    }
    if let Some(problem) = files.problem() {
        let status = match problem {
            FileProblem::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let text = lang.pick(&problem.en(), &problem.vi()).to_owned();
        return chip_view(&state, &officer, Some(("error", text)), html! {}, status).await;
    }
    let principal = officer.principal();
    let done = run(&state, &principal, files, "POST /desk/chip")
        .await
        .or_page(lang)?;
    let result = result_view(&state, &officer, &done);
    chip_view(&state, &officer, None, result, StatusCode::OK).await
}

/// A verification done and audited, with the register's record of the holder.
struct Done {
    verification: ChipVerification,
    card: Option<CardQr>,
    person: Option<StoredPerson>,
}

/// Verifies against the stored trust store, looks the holder up and audits the access.
async fn run(
    state: &AppState,
    caller: &Principal,
    files: ChipFiles,
    route: &str,
) -> Result<Done, ApiError> {
    let entries = read(state, load_cscas).await?;
    let trust = trust_store(&entries);
    let verification =
        tokio::task::spawn_blocking(move || verify(&files, &trust, OffsetDateTime::now_utc()))
            .await?;
    let person = match verification.personal_id.clone() {
        Some(id) => read(state, move |s| s.get_person(&id)).await?,
        None => None,
    };
    let subject = verification.personal_id.as_ref().map(ToString::to_string);
    let mut chip = audit_record(caller, "card.chip", route, subject.clone());
    chip.reason = Some(format!(
        "passive authentication {}; evidence sha256 {}",
        if verification.genuine() {
            "passed"
        } else {
            "failed"
        },
        verification.evidence_hash
    ));
    let mut records = vec![chip];
    if person.is_some() {
        records.push(audit_record(caller, "person.read", route, subject));
    }
    audited(state, records).await?;
    let card = verification.card();
    Ok(Done {
        verification,
        card,
        person,
    })
}

fn outcome_class(o: &Outcome) -> &'static str {
    match o {
        Outcome::Passed => "pa-passed",
        Outcome::Failed(_) => "pa-failed",
        Outcome::NotChecked => "pa-not-checked",
    }
}

fn certificate_facts(lang: Lang, c: &CertificateSummary) -> Markup {
    html! {
        (c.subject)
        small { (tr(lang, "Cấp bởi: ", "Issued by: ")) (c.issuer) }
        small { (tr(lang, "Hiệu lực: ", "Valid: ")) (dmy(c.not_before)) " – " (dmy(c.not_after)) }
    }
}

fn result_view(state: &AppState, officer: &Officer, done: &Done) -> Markup {
    let lang = officer.lang;
    let m = officer.m();
    let v = &done.verification;
    let genuine = v.genuine();
    let failures = v.failures(lang);
    html! {
        section #chip-result {
        @if genuine {
            (notice("ok", tr(lang,
                "Chip hợp lệ: dữ liệu đúng như cơ quan cấp thẻ đã ký (mọi bước xác thực thụ động đều đạt).",
                "The chip is genuine: its data is what the issuer signed (every check of passive authentication passed).")))
        } @else {
            div.notice.error #chip-verdict role="alert" {
                strong { (tr(lang, "Chip KHÔNG được xác thực.", "The chip is NOT verified.")) }
                @if !failures.is_empty() {
                    ul { @for f in &failures { li { (f) } } }
                }
                p { (tr(lang,
                    "Dữ liệu dưới đây không được dùng làm căn cứ cho đến khi xác minh lại.",
                    "The data below must not be relied on until it is verified again.")) }
            }
        }
        h2 { (tr(lang, "Xác thực thụ động (ICAO 9303)", "Passive authentication (ICAO 9303)")) }
        table.results.checks #pa-checks {
            thead { tr {
                th { (tr(lang, "Bước kiểm tra", "Check")) }
                th { (tr(lang, "Kết quả", "Outcome")) }
            } }
            tbody { @for c in &v.pa.checks {
                tr class=(outcome_class(&c.outcome)) data-check=(check_code(c.check)) {
                    td { (check_label(c.check, lang)) }
                    td {
                        @match &c.outcome {
                            Outcome::Passed => { strong { (tr(lang, "Đạt", "Passed")) } }
                            Outcome::NotChecked => { (tr(lang, "Không kiểm tra được (bước trước không đạt)", "Not checked (an earlier check failed)")) }
                            Outcome::Failed(e) => {
                                strong { (tr(lang, "Không đạt", "Failed")) }
                                br; span.why { (lang.pick(&e.to_string(), &e.vi())) }
                            }
                        }
                    }
                }
            } }
        }
        @if !v.pa.data_groups_not_checked.is_empty() {
            @let list: Vec<String> = v.pa.data_groups_not_checked.iter().map(|d| format!("DG{d}")).collect();
            p.muted { (tr(lang, "Có trong SOD nhưng không được gửi (không kiểm tra): ", "Listed in the SOD but not handed in (not checked): ")) (list.join(", ")) }
        }
        dl.facts #pa-signers {
            dt { (tr(lang, "Người ký tài liệu (DS)", "Document signer")) }
            dd { @match &v.pa.document_signer { Some(c) => { (certificate_facts(lang, c)) } None => { "—" } } }
            dt { (tr(lang, "CSCA cấp chứng thư DS", "CSCA that issued it")) }
            dd { @match &v.pa.csca { Some(c) => { (certificate_facts(lang, c)) } None => { "—" } } }
            @if let Some(t) = v.pa.signing_time {
                dt { (tr(lang, "Thời điểm ký SOD", "SOD signed at")) }
                dd { (local_time(&utc(t))) }
            }
            dt { (tr(lang, "Số CSCA tin cậy", "Trusted CSCAs")) }
            dd { (v.trust_store_size) }
        }
        h2 { (tr(lang, "Đối chiếu giữa các tệp của chip", "The chip's files against each other")) }
        table.results.checks #chip-consistency {
            tbody { @for c in &v.consistency {
                tr class=(if c.problem.is_none() { "pa-passed" } else { "pa-failed" }) data-check=(c.check) {
                    td { (lang.pick(c.label_en, c.label_vi)) }
                    td {
                        @match &c.problem {
                            None => { strong { (tr(lang, "Đạt", "Passed")) } }
                            Some((en, vi)) => { strong { (tr(lang, "Không đạt", "Failed")) } br; span.why { (lang.pick(en, vi)) } }
                        }
                    }
                }
            } }
        }
        h2 { (tr(lang, "Bằng chứng", "Evidence")) }
        dl.facts #evidence {
            dt { (tr(lang, "Mã băm bằng chứng (SHA-256)", "Evidence hash (SHA-256)")) }
            dd.mono #evidence-hash { (v.evidence_hash) }
            dt { (tr(lang, "Thời điểm kiểm tra", "Checked at")) }
            dd { (local_time(&utc(v.checked_at))) }
            dt { (tr(lang, "Cán bộ", "Officer")) }
            dd { (officer.display_name) " (" (officer.login) ")" }
            @for f in &v.files {
                dt { (f.file) }
                dd { span.mono { (f.sha256) } " · " (f.size) " byte" }
            }
        }
        p.note { (tr(lang,
            "Mã băm bằng chứng là SHA-256 của các tệp đã gửi nối liền theo thứ tự EF.SOD, DG1, DG2, DG13, DG14, DG15.",
            "The evidence hash is the SHA-256 of the files handed in, concatenated in the order EF.SOD, DG1, DG2, DG13, DG14, DG15.")) }
        h2 { (tr(lang, "Ảnh khuôn mặt (DG2)", "Face image (DG2)")) }
        (face_view(lang, &v.dg2))
        h2 { (tr(lang, "Vùng đọc máy MRZ (DG1)", "Machine readable zone (DG1)")) }
        @match &v.dg1 {
            Ok(dg1) => {
                pre.mono #mrz { @for line in dg1.lines() { (line) "\n" } }
                @if let Some(Ok(td1)) = &v.mrz { (mrz_facts(lang, td1)) }
            }
            Err(e) => { (notice("error", lang.pick(&e.to_string(), &e.vi()))) }
        }
        h2 { (tr(lang, "Thông tin cá nhân (DG13)", "Personal data (DG13)")) }
        @match &v.dg13 {
            Ok(dg13) => { (dg13_facts(lang, dg13)) }
            Err(e) => { (notice("error", lang.pick(&e.to_string(), &e.vi()))) }
        }
        h2 { (tr(lang, "Hồ sơ trong CSDL dân cư", "The register's record")) }
        @if !genuine && done.person.is_some() {
            (notice("warning", tr(lang,
                "Chip chưa được xác thực: việc đối chiếu dưới đây chỉ để tham khảo.",
                "The chip is not verified: the comparison below is for information only.")))
        }
        @match (&done.person, &done.card) {
            (Some(stored), Some(card)) => {
                @let cmp: CardComparison = compare(card, &stored.person);
                (comparison_table(officer, &cmp))
                p.no-print { a.button href=(person_href(&state.web.handles, &stored.person.personal_id)) { (m.desk_open_record) } }
            }
            (Some(stored), None) => {
                (side_by_side(officer, v.dg13.as_ref().ok(), stored))
                p.no-print { a.button href=(person_href(&state.web.handles, &stored.person.personal_id)) { (m.desk_open_record) } }
            }
            (None, _) if v.personal_id.is_none() => {
                (notice("info", tr(lang,
                    "DG13 không cho số định danh hợp lệ: không tra cứu được CSDL dân cư.",
                    "DG13 gives no valid personal ID: the register cannot be looked up.")))
            }
            (None, _) => { (notice("info", m.desk_not_in_register)) }
        }
        @if done.person.is_some() && crate::citizen::accounts::may_raise(officer.role) {
            @if let Some(evidence) = v.verified_evidence(&officer.login) {
                (super::level2::raise_form(state, officer, &evidence))
            }
        }
        }
    }
}

fn face_view(lang: Lang, dg2: &Result<Dg2, LdsError>) -> Markup {
    let dg2 = match dg2 {
        Ok(d) => d,
        Err(e) => return notice("error", lang.pick(&e.to_string(), &e.vi())),
    };
    html! {
        @if dg2.faces.is_empty() {
            (notice("warning", tr(lang, "DG2 không có ảnh khuôn mặt.", "DG2 holds no face image.")))
        }
        @for face in &dg2.faces {
            @let size = match (face.width, face.height) {
                (Some(w), Some(h)) => format!("{w}×{h}, {} byte", face.data.len()),
                _ => format!("{} byte", face.data.len()),
            };
            @match face.format {
                ImageFormat::Jpeg => {
                    figure.face {
                        img #face src=(format!("data:image/jpeg;base64,{}", BASE64.encode(&face.data)))
                            alt=(tr(lang, "Ảnh khuôn mặt lưu trong chip", "The face image stored in the chip"));
                        figcaption { "JPEG, " (size) }
                    }
                }
                ImageFormat::Jpeg2000 => {
                    (notice("info", lang.pick(
                        &format!("The face image is JPEG 2000 ({size}), which browsers cannot show. Its integrity is checked with DG2's hash above."),
                        &format!("Ảnh khuôn mặt ở định dạng JPEG 2000 ({size}), trình duyệt không hiển thị được. Tính toàn vẹn của ảnh vẫn được kiểm tra qua mã băm DG2 ở trên."),
                    )))
                }
                ImageFormat::Unknown => {
                    (notice("warning", lang.pick(
                        &format!("The face image is in a format that is neither JPEG nor JPEG 2000 ({size})."),
                        &format!("Ảnh khuôn mặt không ở định dạng JPEG hay JPEG 2000 ({size})."),
                    )))
                }
            }
        }
    }
}

fn mrz_facts(lang: Lang, td1: &Td1) -> Markup {
    let sex = match td1.sex {
        MrzSex::Male => tr(lang, "Nam (M)", "Male (M)"),
        MrzSex::Female => tr(lang, "Nữ (F)", "Female (F)"),
        MrzSex::Unspecified => tr(lang, "Không ghi (<)", "Unspecified (<)"),
    };
    html! {
        dl.facts #mrz-facts {
            dt { (tr(lang, "Số giấy tờ", "Document number")) } dd.mono { (td1.document_number) }
            dt { (tr(lang, "Nước cấp", "Issuing state")) } dd { (td1.issuing_state) }
            dt { (tr(lang, "Họ tên (không dấu)", "Name (as in the MRZ)")) } dd { (td1.primary_identifier) " " (td1.secondary_identifier) }
            dt { (tr(lang, "Ngày sinh (YYMMDD)", "Date of birth (YYMMDD)")) } dd.mono { (td1.date_of_birth.as_mrz()) }
            dt { (tr(lang, "Giới tính", "Sex")) } dd { (sex) }
            dt { (tr(lang, "Có giá trị đến (YYMMDD)", "Date of expiry (YYMMDD)")) } dd.mono { (td1.date_of_expiry.as_mrz()) }
        }
    }
}

fn dg13_facts(lang: Lang, dg13: &Dg13) -> Markup {
    html! {
        dl.facts #dg13 {
            @for (_, field) in DG13_LAYOUT {
                @let values = dg13.values(field);
                @if !values.is_empty() {
                    dt { (lang.pick(field.label_en(), field.label_vi())) }
                    dd { (values.join("; ")) }
                }
            }
            @for (n, values) in &dg13.other_fields {
                dt { (tr(lang, "Trường ", "Field ")) (n) }
                dd { (values.join("; ")) }
            }
        }
    }
}

/// DG13 beside the register's record when DG13 cannot be read as a card (a field missing or
/// unreadable): name, date of birth, sex, residence.
fn side_by_side(officer: &Officer, dg13: Option<&Dg13>, stored: &StoredPerson) -> Markup {
    let m = officer.m();
    let p = &stored.person;
    let card = |f: fn(&Dg13) -> Option<&String>| dg13.and_then(f).cloned().unwrap_or_default();
    let rows = [
        (
            m.f_personal_id,
            card(|d| d.id_number.as_ref()),
            p.personal_id.to_string(),
        ),
        (
            m.f_full_name,
            card(|d| d.full_name.as_ref()),
            p.full_name.clone(),
        ),
        (
            m.f_date_of_birth,
            card(|d| d.date_of_birth.as_ref()),
            date_text(p.date_of_birth.as_ref()),
        ),
        (
            m.f_sex,
            card(|d| d.sex.as_ref()),
            sex_text(m, p.sex).to_owned(),
        ),
        (
            m.f_permanent_address,
            card(|d| d.place_of_residence.as_ref()),
            address_text(&p.permanent_address),
        ),
    ];
    html! {
        table.compare #card-compare {
            thead { tr {
                th scope="col" { (m.desk_field) }
                th scope="col" { "DG13" }
                th scope="col" { (m.desk_register) }
            } }
            tbody { @for (label, card, register) in &rows {
                tr { th scope="row" { (label) } td { (card) } td { (register) } }
            } }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The JSON API

/// `POST /api/v1/card/chip`: the files in standard base64.
#[derive(Debug, Default, Deserialize)]
pub struct ChipBody {
    #[serde(default)]
    sod: Option<String>,
    #[serde(default)]
    dg1: Option<String>,
    #[serde(default)]
    dg2: Option<String>,
    #[serde(default)]
    dg13: Option<String>,
    #[serde(default)]
    dg14: Option<String>,
    #[serde(default)]
    dg15: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Dg13Line {
    number: u8,
    label_en: &'static str,
    label_vi: &'static str,
    values: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct CertificateLine {
    subject: String,
    issuer: String,
    serial: String,
    not_before: String,
    not_after: String,
}

impl CertificateLine {
    fn of(c: &CertificateSummary) -> Self {
        CertificateLine {
            subject: c.subject.clone(),
            issuer: c.issuer.clone(),
            serial: c.serial.clone(),
            not_before: utc(c.not_before),
            not_after: utc(c.not_after),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ErrorLine {
    message: String,
    message_vi: String,
}

#[derive(Debug, Serialize)]
pub struct FaceLine {
    /// "jpeg", "jpeg2000" or "unknown".
    format: &'static str,
    width: Option<u16>,
    height: Option<u16>,
    size: usize,
}

#[derive(Debug, Serialize)]
pub struct ChipAnswer {
    /// Every check of passive authentication passed.
    passed: bool,
    evidence_hash: String,
    checked_at: String,
    files: Vec<FileDigest>,
    checks: Vec<CheckLine>,
    consistency: Vec<Consistency>,
    data_groups_not_checked: Vec<u8>,
    document_signer: Option<CertificateLine>,
    csca: Option<CertificateLine>,
    signing_time: Option<String>,
    trusted_cscas: usize,
    personal_id: Option<String>,
    /// The MRZ's lines, when DG1 reads.
    mrz: Option<Vec<String>>,
    dg13: Option<Vec<Dg13Line>>,
    /// Why a file does not read: "DG1", "DG2", "DG13".
    file_errors: std::collections::BTreeMap<&'static str, ErrorLine>,
    faces: Vec<FaceLine>,
    /// The register's record of the DG13 personal ID.
    person: Option<StoredPerson>,
    comparison: Option<CardComparison>,
    /// Present only when the chip is genuine and its files agree: the evidence a citizen's
    /// account may be raised to assurance level 2 with.
    verified: Option<VerifiedChip>,
}

fn error_line(e: &LdsError) -> ErrorLine {
    ErrorLine {
        message: e.to_string(),
        message_vi: e.vi(),
    }
}

pub async fn api_verify(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Result<Json<ChipBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ChipAnswer>, ApiError> {
    if !may_verify(caller.role) {
        return Err(ApiError::Forbidden(format!(
            "the role {} may not verify chips (desk or admin)",
            caller.role.as_str()
        )));
    }
    let Json(body) = body.map_err(|e| ApiError::invalid("body", e.body_text()))?;
    let mut files = ChipFiles::default();
    for (file, text) in CHIP_FILES.iter().zip([
        body.sod, body.dg1, body.dg2, body.dg13, body.dg14, body.dg15,
    ]) {
        let Some(text) = text else { continue };
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        if compact.len() > FILE_LIMIT.div_ceil(3) * 4 + 4 {
            let p = FileProblem::TooLarge {
                file: *file,
                size: compact.len() / 4 * 3,
            };
            return Err(ApiError::invalid(file.field, p.en()));
        }
        let bytes = BASE64.decode(compact.as_bytes()).map_err(|_| {
            ApiError::invalid(file.field, FileProblem::NotBase64 { file: *file }.en())
        })?;
        files.set(file.field, bytes);
    }
    if let Some(p) = files.problem() {
        return Err(ApiError::invalid(p.file().field, p.en()));
    }
    let done = run(&state, &caller, files, "POST /api/v1/card/chip").await?;
    let v = &done.verification;
    let mut file_errors = std::collections::BTreeMap::new();
    if let Err(e) = &v.dg1 {
        file_errors.insert("DG1", error_line(e));
    }
    if let Err(e) = &v.dg2 {
        file_errors.insert("DG2", error_line(e));
    }
    if let Err(e) = &v.dg13 {
        file_errors.insert("DG13", error_line(e));
    }
    let answer = ChipAnswer {
        passed: v.genuine(),
        evidence_hash: v.evidence_hash.clone(),
        checked_at: utc(v.checked_at),
        files: v.files.clone(),
        checks: v.check_lines(),
        consistency: v.consistency.clone(),
        data_groups_not_checked: v.pa.data_groups_not_checked.clone(),
        document_signer: v.pa.document_signer.as_ref().map(CertificateLine::of),
        csca: v.pa.csca.as_ref().map(CertificateLine::of),
        signing_time: v.pa.signing_time.map(utc),
        trusted_cscas: v.trust_store_size,
        personal_id: v.personal_id.as_ref().map(ToString::to_string),
        mrz: v
            .dg1
            .as_ref()
            .ok()
            .map(|d| d.lines().into_iter().map(str::to_owned).collect()),
        dg13: v.dg13.as_ref().ok().map(|d| {
            DG13_LAYOUT
                .iter()
                .map(|(n, f)| Dg13Line {
                    number: *n,
                    label_en: f.label_en(),
                    label_vi: f.label_vi(),
                    values: d.values(*f).into_iter().map(str::to_owned).collect(),
                })
                .filter(|l| !l.values.is_empty())
                .collect()
        }),
        file_errors,
        faces: v
            .dg2
            .as_ref()
            .map(|d| {
                d.faces
                    .iter()
                    .map(|f| FaceLine {
                        format: match f.format {
                            ImageFormat::Jpeg => "jpeg",
                            ImageFormat::Jpeg2000 => "jpeg2000",
                            ImageFormat::Unknown => "unknown",
                        },
                        width: f.width,
                        height: f.height,
                        size: f.data.len(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        comparison: match (&done.card, &done.person) {
            (Some(card), Some(p)) => Some(compare(card, &p.person)),
            _ => None,
        },
        verified: v.verified_evidence(&caller.name),
        person: done.person,
    };
    Ok(Json(answer))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use xaso_card::lds::testkit::{encode_dg13, sample_dg13, Csca, KeyKind, TestCard, TestPki};

    const NOW: OffsetDateTime = datetime!(2026-03-01 9:00 UTC);

    fn files_of(card: &TestCard) -> ChipFiles {
        let mut f = ChipFiles::default();
        f.set("sod", card.sod.clone());
        f.set("dg1", card.dg1.clone());
        f.set("dg2", card.dg2.clone());
        f.set("dg13", card.dg13.clone());
        f.set("dg14", card.dg14.clone());
        f.set("dg15", card.dg15.clone());
        f
    }

    fn pki() -> &'static (TestPki, TestCard) {
        static PKI: std::sync::OnceLock<(TestPki, TestCard)> = std::sync::OnceLock::new();
        PKI.get_or_init(|| {
            let pki = TestPki::generate(41, KeyKind::EcP256, KeyKind::EcP256);
            let card = TestCard::sample(&pki.document_signer);
            (pki, card)
        })
    }

    #[test]
    fn a_genuine_card_passes_and_gives_level_2_evidence() {
        let (pki, card) = pki();
        let v = verify(&files_of(card), &pki.trust_store(), NOW);
        assert!(v.genuine(), "{:?}", v.pa.failures());
        assert!(
            v.consistency.iter().all(|c| c.problem.is_none()),
            "{:?}",
            v.consistency
        );
        let evidence = v.verified_evidence("mot.cua").unwrap();
        assert_eq!(evidence.personal_id, "038185012345");
        assert_eq!(evidence.officer, "mot.cua");
        // The evidence hash is the SHA-256 of the files concatenated in order.
        let cat = [
            &card.sod[..],
            &card.dg1,
            &card.dg2,
            &card.dg13,
            &card.dg14,
            &card.dg15,
        ]
        .concat();
        assert_eq!(evidence.evidence_hash, sha256_hex(&cat));
        assert!(evidence
            .checks
            .iter()
            .any(|c| c.check == "dg13_hash" && c.outcome == "passed"));
        let card = v.card().unwrap();
        assert_eq!(card.full_name, "Nguyễn Thị Thu Hà");
        assert_eq!(
            card.permanent_address,
            "Thôn 3, Tế Lợi, Nông Cống, Thanh Hóa"
        );
    }

    #[test]
    fn a_changed_dg13_fails_its_hash_only_and_gives_no_evidence() {
        let (pki, card) = pki();
        let mut holder = sample_dg13();
        holder.full_name = Some("Nguyễn Thị Thu Hằng".into());
        let mut files = files_of(card);
        files.set("dg13", encode_dg13(&holder));
        let v = verify(&files, &pki.trust_store(), NOW);
        assert!(!v.genuine());
        let failed: Vec<String> = v
            .check_lines()
            .into_iter()
            .filter(|c| c.outcome != "passed")
            .map(|c| c.check)
            .collect();
        assert_eq!(failed, ["dg13_hash"]);
        assert!(
            v.failures(Lang::Vi)[0].starts_with("DG13: "),
            "{:?}",
            v.failures(Lang::Vi)
        );
        assert_eq!(v.verified_evidence("x"), None);
    }

    #[test]
    fn a_card_of_another_csca_has_an_unknown_issuer() {
        let (pki, _) = pki();
        let other = Csca::generate(
            77,
            KeyKind::EcP256,
            "CSCA Khác",
            xaso_card::lds::testkit::default_csca_validity(),
        );
        let signer = other.issue_document_signer(
            78,
            KeyKind::EcP256,
            "DS Khác",
            xaso_card::lds::testkit::default_ds_validity(),
        );
        let card = TestCard::sample(&signer);
        let v = verify(&files_of(&card), &pki.trust_store(), NOW);
        let chain = v
            .check_lines()
            .into_iter()
            .find(|c| c.check == "chain")
            .unwrap();
        assert_eq!(chain.outcome, "failed");
        assert!(chain
            .error_vi
            .unwrap()
            .contains("Không có CSCA tin cậy nào"));
    }

    #[test]
    fn missing_and_oversized_files_are_named() {
        let (_, card) = pki();
        let mut files = files_of(card);
        files.set("dg2", Vec::new());
        assert_eq!(files.problem().map(|p| p.file().name), Some("DG2"),);
        files.set("dg2", vec![0; FILE_LIMIT + 1]);
        let p = files.problem().unwrap();
        assert!(matches!(p, FileProblem::TooLarge { .. }));
        assert!(p.vi().starts_with("DG2: "), "{}", p.vi());
        files.set("dg2", card.dg2.clone());
        files.set("dg14", Vec::new());
        assert_eq!(files.problem(), None, "DG14 is optional");
    }

    #[test]
    fn certificates_are_read_from_der_and_pem_and_refused_by_rule() {
        let (pki, _) = pki();
        let der = &pki.csca.certificate;
        assert_eq!(read_certificates(der).unwrap().len(), 1);
        let b64 = BASE64.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        );
        assert_eq!(
            read_certificates(pem.as_bytes()).unwrap()[0].der(),
            &der[..]
        );
        let two = format!("{pem}{pem}");
        assert_eq!(read_certificates(two.as_bytes()).unwrap().len(), 2);

        assert_eq!(read_certificates(b"  \n"), Err(CertRefusal::Empty));
        let e = read_certificates(b"not a certificate").unwrap_err();
        assert!(matches!(e, CertRefusal::Der { block: 0, .. }), "{e:?}");
        assert!(
            e.vi()
                .contains("không phải chứng thư X.509: Chứng thư số, byte "),
            "{}",
            e.vi()
        );
        let e = read_certificates(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
            .unwrap_err();
        assert_eq!(e, CertRefusal::PrivateKey);
        let e = read_certificates(b"-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----")
            .unwrap_err();
        assert_eq!(e, CertRefusal::PemBase64 { block: 0 });
        // A document signer's certificate is not a CA.
        let e = read_certificates(&pki.document_signer.certificate).unwrap_err();
        assert!(matches!(e, CertRefusal::NotCa { .. }), "{e:?}");
        assert!(e.vi().contains("không phải là CA"));
    }
}
