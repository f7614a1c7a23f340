//! The JSON API under `/api/v1`, for other systems, with bearer tokens. Documented in
//! `openapi.json` (served at `/api/openapi.json`); a test checks every route is in it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use xaso_card::CardQr;
use xaso_domain::register::{Person, ResidenceEvent};
use xaso_domain::role::Role;
use xaso_domain::{name, PersonalId};
use xaso_identity::{Principal, PrincipalKind};
use xaso_store::{AuditFilter, AuditRecord, ChangeMeta, NameQuery, RawPerson, StoredPerson};

use crate::error::ApiError;
use crate::AppState;

const OPENAPI: &str = include_str!("openapi.json");
const MAX_LIMIT: usize = 200;
const DEFAULT_LIMIT: usize = 50;

/// The API's routes, with their full paths under `/api/v1` (merged, not nested: a nested
/// router rebuilds each request's URI without its prefix, which costs the hottest route more
/// than its database read).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/persons", get(search_persons).post(create_person))
        .route("/api/v1/persons/search", post(search_persons_post))
        .route(
            "/api/v1/persons/{personal_id}",
            get(get_person).put(update_person),
        )
        .route("/api/v1/persons/{personal_id}/history", get(person_history))
        .route(
            "/api/v1/persons/{personal_id}/residence-events",
            get(residence_events).post(add_residence_event),
        )
        .route("/api/v1/households/{id}", get(get_household))
        .route("/api/v1/card/qr", post(card_qr))
        .route(
            "/api/v1/card/chip",
            post(crate::pages::chip::api_verify).layer(axum::extract::DefaultBodyLimit::max(
                crate::pages::chip::API_BODY_LIMIT,
            )),
        )
        .route("/api/v1/audit", get(list_audit))
}

pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

pub async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        OPENAPI,
    )
        .into_response()
}

/// Bearer tokens seen recently, by hash, so that a busy system does not cost a database read
/// per request. Entries live for [`TOKEN_CACHE_TTL`], which bounds how long a revoked token
/// keeps working.
///
/// Keyed by the SHA-256 digest of the token (the same digest the store keeps in hex), held as
/// bytes so that a hit costs no allocation.
#[derive(Clone, Default)]
pub struct TokenCache {
    entries: Arc<Mutex<HashMap<TokenDigest, (Principal, Instant)>>>,
}

type TokenDigest = [u8; 32];

const TOKEN_CACHE_TTL: Duration = Duration::from_secs(30);

/// The SHA-256 digest of a bearer secret, as [`xaso_identity::hash_token`] computes it before
/// writing it in hex.
fn token_digest(secret: &str) -> TokenDigest {
    use sha2::Digest;
    sha2::Sha256::digest(secret.trim().as_bytes()).into()
}

impl TokenCache {
    fn get(&self, hash: &TokenDigest) -> Option<Principal> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(hash)
            .filter(|(_, at)| at.elapsed() < TOKEN_CACHE_TTL)
            .map(|(p, _)| p.clone())
    }

    fn put(&self, hash: TokenDigest, principal: Principal) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 10_000 {
            entries.retain(|_, (_, at)| at.elapsed() < TOKEN_CACHE_TTL);
        }
        entries.insert(hash, (principal, Instant::now()));
    }
}

/// The caller, from its bearer token.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ApiError::Unauthenticated(
                    "send a bearer token: Authorization: Bearer <token> (create one with `xaso admin token create`)".into(),
                )
            })?;
        let secret = xaso_identity::bearer(header).ok_or_else(|| {
            ApiError::Unauthenticated("the Authorization header must be `Bearer <token>`".into())
        })?;
        let digest = token_digest(secret);
        if let Some(p) = state.tokens.get(&digest) {
            return Ok(Caller(p));
        }
        let lookup_hash = xaso_identity::hash_token(secret);
        let record = read(state, move |s| s.find_token(&lookup_hash)).await?;
        let record = record
            .filter(|t| !t.revoked)
            .ok_or_else(|| ApiError::Unauthenticated("unknown or revoked token".into()))?;
        let role = Role::parse(&record.role).ok_or_else(|| {
            ApiError::Internal(format!("token {:?} has an unknown role", record.name))
        })?;
        let principal = Principal {
            name: record.name,
            kind: PrincipalKind::ApiToken,
            role,
        };
        state.tokens.put(digest, principal.clone());
        Ok(Caller(principal))
    }
}

pub(crate) fn audit_record(
    caller: &Principal,
    action: &str,
    route: &str,
    subject: Option<String>,
) -> AuditRecord {
    AuditRecord {
        at: crate::audit::now_stamp(),
        actor: caller.name.clone(),
        actor_kind: caller.kind.as_str().to_string(),
        role: Some(caller.role.as_str().to_string()),
        action: action.to_string(),
        route: route.to_string(),
        subject,
        reason: None,
    }
}

pub(crate) async fn audited(state: &AppState, records: Vec<AuditRecord>) -> Result<(), ApiError> {
    state
        .audit
        .record(records)
        .await
        .map_err(ApiError::Unavailable)
}

/// Runs a read: in place when the store says reads are cheap and local (SQLite), else on the
/// blocking pool.
pub(crate) async fn read<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn xaso_store::Store) -> xaso_store::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    if state.store.reads_inline() {
        Ok(f(state.store.as_ref())?)
    } else {
        blocking(state, f).await
    }
}

/// Runs a store call off the async workers (the store is synchronous).
pub(crate) async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn xaso_store::Store) -> xaso_store::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.store.clone();
    Ok(tokio::task::spawn_blocking(move || f(store.as_ref())).await??)
}

/// A person by personal ID, the record as stored: on the store's asynchronous reader where it
/// has one (PostgreSQL: no blocking thread, pipelined connections), else as any other read.
pub(crate) async fn find_person_raw(
    state: &AppState,
    id: &PersonalId,
) -> Result<Option<RawPerson>, ApiError> {
    match &state.person_reader {
        Some(reader) => Ok(reader.get_person_raw(id).await?),
        None => {
            let id = id.clone();
            read(state, move |s| s.get_person_raw(&id)).await
        }
    }
}

/// A person by personal ID, parsed: [`find_person_raw`], then what
/// [`xaso_store::RegisterStore::get_person`] would give for the same row.
pub(crate) async fn find_person(
    state: &AppState,
    id: &PersonalId,
) -> Result<Option<StoredPerson>, ApiError> {
    Ok(find_person_raw(state, id)
        .await?
        .map(RawPerson::into_stored)
        .transpose()?)
}

fn parse_id(raw: &str) -> Result<PersonalId, ApiError> {
    PersonalId::parse(raw).map_err(|e| ApiError::invalid("personal_id", e.to_string()))
}

async fn me(Caller(caller): Caller) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "name": caller.name,
        "kind": caller.kind.as_str(),
        "role": caller.role.as_str(),
    }))
}

async fn get_person(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&raw)?;
    let found = find_person_raw(&state, &id).await?;
    // A miss is audited too: probing for who is registered is itself an access.
    audited(
        &state,
        vec![audit_record(
            &caller,
            "person.read",
            "GET /api/v1/persons/{personal_id}",
            Some(id.to_string()),
        )],
    )
    .await?;
    let found = found.ok_or_else(|| {
        ApiError::NotFound(format!("no person with personal ID {id} in the register"))
    })?;
    // The stored JSON is passed on as it is: the hottest route skips a parse and a re-encode.
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        found.to_stored_json(),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    birth_year: Option<i32>,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct SearchAnswer {
    /// How the query was read: "personal_id", "cmnd", "qr" or "name".
    query_kind: &'static str,
    count: usize,
    results: Vec<StoredPerson>,
}

async fn search_persons(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchAnswer>, ApiError> {
    search(&state, &caller, params, "GET /api/v1/persons").await
}

async fn search_persons_post(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Json(params): Json<SearchParams>,
) -> Result<Json<SearchAnswer>, ApiError> {
    search(&state, &caller, params, "POST /api/v1/persons/search").await
}

/// Splits "Nguyễn Văn An 1990" into the name and the birth year.
fn split_trailing_year(q: &str) -> (String, Option<i32>) {
    let trimmed = q.trim();
    if let Some((rest, last)) = trimmed.rsplit_once(' ') {
        if last.len() == 4 && last.bytes().all(|b| b.is_ascii_digit()) {
            return (rest.trim().to_string(), last.parse().ok());
        }
    }
    (trimmed.to_string(), None)
}

/// What a search box's text asks for.
#[derive(Debug, Clone)]
pub(crate) enum SearchQuery {
    Qr(Box<CardQr>),
    PersonalId(PersonalId),
    Cmnd(String),
    Name(NameQuery),
}

/// Why a search box's text cannot be searched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum QueryProblem {
    Empty,
    /// Digits only, but neither 12 nor 9 of them.
    DigitCount(usize),
    /// The rule broken, in English and in Vietnamese.
    BadPersonalId(String, String),
    BadQr(String, String),
    NoLetters,
    BadBirthYear(i32),
}

impl QueryProblem {
    fn english(&self) -> String {
        match self {
            QueryProblem::Empty => "type a personal ID number (12 digits), an old CMND number (9 digits), a name (with or without tones, optionally followed by a birth year) or scan a card".into(),
            QueryProblem::DigitCount(n) => format!("a number must be a 12-digit personal ID or a 9-digit CMND, got {n} digits"),
            QueryProblem::BadPersonalId(e, _) | QueryProblem::BadQr(e, _) => e.clone(),
            QueryProblem::NoLetters => "the name has no letters".into(),
            QueryProblem::BadBirthYear(y) => format!("{y} is not a year between 1800 and 2200"),
        }
    }
}

/// Reads a search box: a scanned card (it has `|`), 12 digits, 9 digits, or a name with an
/// optional trailing birth year.
pub(crate) fn classify_query(
    q: &str,
    birth_year: Option<i32>,
    limit: usize,
) -> Result<SearchQuery, QueryProblem> {
    let q = q.trim();
    if q.is_empty() {
        return Err(QueryProblem::Empty);
    }
    if let Some(y) = birth_year {
        if !(1800..=2200).contains(&y) {
            return Err(QueryProblem::BadBirthYear(y));
        }
    }
    if q.contains('|') {
        let card =
            xaso_card::parse_qr(q).map_err(|e| QueryProblem::BadQr(e.to_string(), e.vi()))?;
        return Ok(SearchQuery::Qr(Box::new(card)));
    }
    let compact: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.bytes().all(|b| b.is_ascii_digit()) {
        return match compact.len() {
            12 => PersonalId::parse(&compact)
                .map(SearchQuery::PersonalId)
                .map_err(|e| QueryProblem::BadPersonalId(e.to_string(), e.vi())),
            9 => Ok(SearchQuery::Cmnd(compact)),
            n => Err(QueryProblem::DigitCount(n)),
        };
    }
    let (name_part, year_in_q) = split_trailing_year(q);
    if name::stripped_key(&name_part).is_empty() {
        return Err(QueryProblem::NoLetters);
    }
    Ok(SearchQuery::Name(NameQuery {
        name: name_part,
        birth_year: birth_year.or(year_in_q),
        limit,
    }))
}

/// Runs a classified search and audits it: one record per person found (the query itself is
/// personal data and is not kept), or one without subject when nobody was found.
pub(crate) async fn run_search(
    state: &AppState,
    caller: &Principal,
    query: SearchQuery,
    route: &str,
) -> Result<Vec<StoredPerson>, ApiError> {
    let results = match query {
        SearchQuery::Qr(card) => find_person(state, &card.personal_id)
            .await?
            .into_iter()
            .collect(),
        SearchQuery::PersonalId(id) => find_person(state, &id).await?.into_iter().collect(),
        SearchQuery::Cmnd(cmnd) => read(state, move |s| s.find_by_cmnd(&cmnd)).await?,
        SearchQuery::Name(query) => read(state, move |s| s.search_by_name(&query)).await?,
    };
    let records: Vec<AuditRecord> = if results.is_empty() {
        vec![audit_record(caller, "person.search", route, None)]
    } else {
        results
            .iter()
            .map(|p: &StoredPerson| {
                audit_record(
                    caller,
                    "person.search",
                    route,
                    Some(p.person.personal_id.to_string()),
                )
            })
            .collect()
    };
    audited(state, records).await?;
    Ok(results)
}

async fn search(
    state: &AppState,
    caller: &Principal,
    params: SearchParams,
    route: &str,
) -> Result<Json<SearchAnswer>, ApiError> {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let query = classify_query(&params.q, params.birth_year, limit).map_err(|p| {
        let field = if matches!(p, QueryProblem::BadBirthYear(_)) {
            "birth_year"
        } else {
            "q"
        };
        ApiError::invalid(field, p.english())
    })?;
    let kind = match &query {
        SearchQuery::Qr(_) => "qr",
        SearchQuery::PersonalId(_) => "personal_id",
        SearchQuery::Cmnd(_) => "cmnd",
        SearchQuery::Name(_) => "name",
    };
    let results = run_search(state, caller, query, route).await?;
    Ok(Json(SearchAnswer {
        query_kind: kind,
        count: results.len(),
        results,
    }))
}

fn require(caller: &Principal, allowed: bool, what: &str) -> Result<(), ApiError> {
    if allowed {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "the role {} may not {what}",
            caller.role.as_str()
        )))
    }
}

/// Checks what a record must satisfy before it is written, naming the field.
pub(crate) fn validate_person(p: &Person) -> Result<Person, ApiError> {
    let mut p = p.clone();
    p.full_name = name::normalize(&p.full_name);
    if let Some(other) = &p.other_name {
        p.other_name = Some(name::normalize(other)).filter(|s| !s.is_empty());
    }
    match p.problems().into_iter().next() {
        Some(problem) => Err(ApiError::invalid(problem.field, problem.rule)),
        None => Ok(p),
    }
}

#[derive(Debug, Deserialize)]
pub struct CreateBody {
    record: Person,
    reason: Option<String>,
}

async fn create_person(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Result<Json<CreateBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<StoredPerson>), ApiError> {
    require(
        &caller,
        caller.role.can_edit_register(),
        "add persons to the register",
    )?;
    let Json(body) = body.map_err(json_error)?;
    let person = validate_person(&body.record)?;
    let change = ChangeMeta {
        actor: caller.name.clone(),
        reason: body.reason,
    };
    let subject = person.personal_id.to_string();
    let stored = blocking(&state, move |s| s.insert_person(&person, &change)).await?;
    audited(
        &state,
        vec![audit_record(
            &caller,
            "person.create",
            "POST /api/v1/persons",
            Some(subject),
        )],
    )
    .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

#[derive(Debug, Deserialize)]
pub struct UpdateBody {
    /// The version that was read and edited (optimistic concurrency).
    version: i64,
    reason: Option<String>,
    record: Person,
}

async fn update_person(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(raw): Path<String>,
    body: Result<Json<UpdateBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<StoredPerson>, ApiError> {
    require(
        &caller,
        caller.role.can_edit_register(),
        "change the register",
    )?;
    let id = parse_id(&raw)?;
    let Json(body) = body.map_err(json_error)?;
    if body.record.personal_id != id {
        return Err(ApiError::invalid(
            "record.personal_id",
            "the personal ID in the record differs from the one in the path; an ID is never edited in place",
        ));
    }
    let reason = body
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if reason.is_none() {
        return Err(ApiError::invalid("reason", "say why the record is changed"));
    }
    let person = validate_person(&body.record)?;
    let change = ChangeMeta {
        actor: caller.name.clone(),
        reason: reason.clone(),
    };
    let version = body.version;
    let stored = blocking(&state, move |s| s.update_person(&person, version, &change)).await?;
    let mut record = audit_record(
        &caller,
        "person.update",
        "PUT /api/v1/persons/{personal_id}",
        Some(id.to_string()),
    );
    record.reason = reason;
    audited(&state, vec![record]).await?;
    Ok(Json(stored))
}

fn json_error(e: axum::extract::rejection::JsonRejection) -> ApiError {
    ApiError::invalid("body", e.body_text())
}

async fn person_history(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(raw): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = parse_id(&raw)?;
    let lookup = id.clone();
    let versions = read(&state, move |s| s.person_history(&lookup)).await?;
    audited(
        &state,
        vec![audit_record(
            &caller,
            "person.history",
            "GET /api/v1/persons/{personal_id}/history",
            Some(id.to_string()),
        )],
    )
    .await?;
    if versions.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no person with personal ID {id} in the register"
        )));
    }
    Ok(Json(
        serde_json::json!({ "personal_id": id, "versions": versions }),
    ))
}

async fn residence_events(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(raw): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = parse_id(&raw)?;
    let lookup = id.clone();
    let events = read(&state, move |s| s.residence_events(&lookup)).await?;
    audited(
        &state,
        vec![audit_record(
            &caller,
            "person.residence",
            "GET /api/v1/persons/{personal_id}/residence-events",
            Some(id.to_string()),
        )],
    )
    .await?;
    Ok(Json(
        serde_json::json!({ "personal_id": id, "events": events }),
    ))
}

async fn add_residence_event(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(raw): Path<String>,
    body: Result<Json<ResidenceEvent>, axum::extract::rejection::JsonRejection>,
) -> Result<StatusCode, ApiError> {
    require(
        &caller,
        caller.role.can_edit_register(),
        "record residence events",
    )?;
    let id = parse_id(&raw)?;
    let Json(event) = body.map_err(json_error)?;
    if event.personal_id != id {
        return Err(ApiError::invalid(
            "personal_id",
            "the personal ID in the event differs from the one in the path",
        ));
    }
    if let Some(code) = &event.address.commune_code {
        if xaso_domain::admin_units::units().commune(code).is_none() {
            return Err(ApiError::invalid(
                "address.commune_code",
                format!("{code:?} is not the code of a commune in force since 1 July 2025"),
            ));
        }
    }
    blocking(&state, move |s| s.add_residence_event(&event)).await?;
    audited(
        &state,
        vec![audit_record(
            &caller,
            "person.residence.add",
            "POST /api/v1/persons/{personal_id}/residence-events",
            Some(id.to_string()),
        )],
    )
    .await?;
    Ok(StatusCode::CREATED)
}

async fn get_household(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = id.trim().to_string();
    if id.is_empty() || id.len() > 64 {
        return Err(ApiError::invalid(
            "id",
            "a household number is 1–64 characters",
        ));
    }
    let lookup = id.clone();
    let (household, members) = read(&state, move |s| {
        Ok((s.get_household(&lookup)?, s.household_members(&lookup)?))
    })
    .await?;
    let mut records = vec![audit_record(
        &caller,
        "household.read",
        "GET /api/v1/households/{id}",
        Some(id.clone()),
    )];
    records.extend(members.iter().map(|m| {
        audit_record(
            &caller,
            "person.read",
            "GET /api/v1/households/{id}",
            Some(m.person.personal_id.to_string()),
        )
    }));
    audited(&state, records).await?;
    let household =
        household.ok_or_else(|| ApiError::NotFound(format!("no household numbered {id}")))?;
    Ok(Json(serde_json::json!({
        "household": household,
        "members": members,
    })))
}

/// A field where the card and the register disagree.
#[derive(Debug, Serialize)]
pub struct Difference {
    field: &'static str,
    card: String,
    register: String,
}

#[derive(Debug, Serialize)]
pub struct CardAnswer {
    card: CardQr,
    person: Option<StoredPerson>,
    /// The fields whose verdict is "differs" (the desk's red rows).
    differences: Vec<Difference>,
    /// Every field of the card beside the record, with its verdict; absent when the person is
    /// not in the register.
    #[serde(skip_serializing_if = "Option::is_none")]
    comparison: Option<xaso_card::compare::CardComparison>,
}

async fn card_qr(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: String,
) -> Result<Json<CardAnswer>, ApiError> {
    let card = xaso_card::parse_qr(&body).map_err(|e| ApiError::invalid(e.field, e.to_string()))?;
    let person = find_person(&state, &card.personal_id).await?;
    audited(
        &state,
        vec![audit_record(
            &caller,
            "card.qr",
            "POST /api/v1/card/qr",
            Some(card.personal_id.to_string()),
        )],
    )
    .await?;
    let comparison = person
        .as_ref()
        .map(|p| xaso_card::compare::compare(&card, &p.person));
    let differences = comparison
        .iter()
        .flat_map(|c| &c.rows)
        .filter(|r| r.verdict == xaso_card::compare::Verdict::Differs)
        .map(|r| Difference {
            field: r.field,
            card: r.card.clone().unwrap_or_default(),
            register: r.register.clone().unwrap_or_default(),
        })
        .collect();
    Ok(Json(CardAnswer {
        card,
        person,
        differences,
        comparison,
    }))
}

/// An RFC 3339 time from a query, in the stored form (so that text order is time order).
fn stored_time(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    let t =
        time::OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Rfc3339)
            .map_err(|e| {
            ApiError::invalid(
                field,
                format!("expected an RFC 3339 time such as 2026-11-28T08:00:00+07:00: {e}"),
            )
        })?;
    Ok(Some(xaso_store::format_utc(t)))
}

#[derive(Debug, Deserialize)]
pub struct AuditParams {
    subject: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    /// RFC 3339; inclusive.
    since: Option<String>,
    /// RFC 3339; exclusive.
    until: Option<String>,
    limit: Option<usize>,
}

async fn list_audit(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(params): Query<AuditParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    require(&caller, caller.role.can_read_audit(), "read the audit log")?;
    // Show every access made before this request, including those still being committed.
    state.audit.sync().await.map_err(ApiError::Unavailable)?;
    let filter = AuditFilter {
        subject: params.subject.filter(|s| !s.is_empty()),
        actor: params.actor.filter(|s| !s.is_empty()),
        action: params.action.filter(|s| !s.is_empty()),
        since: stored_time("since", params.since)?,
        until: stored_time("until", params.until)?,
        limit: params.limit.unwrap_or(100).clamp(1, 1000),
    };
    let records = read(&state, move |s| s.list_audit(&filter)).await?;
    Ok(Json(
        serde_json::json!({ "count": records.len(), "records": records }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_year_is_split_from_the_name() {
        assert_eq!(
            split_trailing_year("Nguyễn Văn An 1990"),
            ("Nguyễn Văn An".to_string(), Some(1990))
        );
        assert_eq!(
            split_trailing_year("Nguyen Van An"),
            ("Nguyen Van An".to_string(), None)
        );
        assert_eq!(
            split_trailing_year(" An 199 "),
            ("An 199".to_string(), None)
        );
    }

    #[test]
    fn every_route_is_in_the_openapi_document() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap_or_default();
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        for path in [
            "/healthz",
            "/api/v1/me",
            "/api/v1/persons",
            "/api/v1/persons/search",
            "/api/v1/persons/{personal_id}",
            "/api/v1/persons/{personal_id}/history",
            "/api/v1/persons/{personal_id}/residence-events",
            "/api/v1/households/{id}",
            "/api/v1/card/qr",
            "/api/v1/card/chip",
            "/api/v1/audit",
        ] {
            assert!(paths.contains_key(path), "{path} is not documented");
        }
        assert_eq!(doc["openapi"].as_str(), Some("3.1.0"));
    }
}
