//! Repository traits of Xã số and their implementations: SQLite (the embedded default, one file
//! under the data directory) and PostgreSQL (provinces and the nation).
//!
//! Invariants:
//! - Nothing here knows HTTP. Nothing above this crate knows which database runs.
//! - A person's record is never overwritten in place without the old version being kept in
//!   `person_versions` in the same transaction.
//! - Bulk loads are one transaction: a killed or failed load leaves the store as it was.
//! - Comparison keys (name keys, birth year) are derived from the record on every write; they are
//!   never what a person typed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use xaso_domain::register::{Household, Person, ResidenceEvent};
use xaso_domain::{name, PersonalId};

/// References to the dossier columns that both backends' insert and save bind first, in that
/// order (`$1`/`?1` to 15); the caller's array type makes them parameters.
macro_rules! dossier_head {
    ($d:expr) => {
        [
            &$d.receipt_number,
            &$d.parent,
            &$d.procedure_code,
            &$d.unit,
            &$d.channel,
            &$d.applicant_id,
            &$d.handling_role,
            &$d.assigned_officer,
            &$d.state,
            &$d.received_at,
            &$d.due_on,
            &$d.finished_on,
            &$d.form,
            &$d.data,
            &$d.result,
        ]
    };
}

/// Likewise the citizen columns that both backends' insert and update bind first (1 to 10).
macro_rules! citizen_head {
    ($c:expr) => {
        [
            &$c.personal_id,
            &$c.level,
            &$c.phone,
            &$c.password_hash,
            &$c.must_change_password,
            &$c.totp_secret,
            &$c.totp_last_step,
            &$c.disabled,
            &$c.login_attempts,
            &$c.level2_evidence,
        ]
    };
}

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "postgres")]
mod postgres_citizens;
#[cfg(feature = "postgres")]
mod postgres_dossiers;
#[cfg(feature = "postgres")]
pub mod postgres_lookups;
pub mod sqlite;
mod sqlite_citizens;
mod sqlite_dossiers;

pub use sqlite::SqliteStore;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the database holds a record this version cannot read: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("cannot open the store: {0}")]
    Open(String),
    /// The database did not answer in time; the request may be tried again.
    #[error("the database did not answer: {0}")]
    Unavailable(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A person as stored: the record and its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPerson {
    #[serde(flatten)]
    pub person: Person,
    pub version: i64,
    pub updated_at: String,
    pub updated_by: String,
}

/// A person as stored, with the record still as its JSON text: the fast path for handlers that
/// only pass the record on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPerson {
    /// A JSON object, the [`Person`], as UTF-8 bytes as the store holds them: passed on, not
    /// checked again (the store only ever holds what [`person_json`] wrote).
    pub json: Vec<u8>,
    pub version: i64,
    pub updated_at: String,
    pub updated_by: String,
}

impl RawPerson {
    /// The record parsed: what [`RegisterStore::get_person`] gives for the same row.
    pub fn into_stored(self) -> Result<StoredPerson> {
        Ok(StoredPerson {
            person: person_from_json(&self.json)?,
            version: self.version,
            updated_at: self.updated_at,
            updated_by: self.updated_by,
        })
    }

    /// The JSON of a [`StoredPerson`] (the record's fields, then version and who/when), built
    /// in one buffer without parsing the record.
    pub fn to_stored_json(&self) -> Vec<u8> {
        let body = self.json.trim_ascii_end();
        let body = body.strip_suffix(b"}").unwrap_or(body).trim_ascii_end();
        let mut out =
            Vec::with_capacity(body.len() + 64 + self.updated_at.len() + self.updated_by.len());
        out.extend_from_slice(body);
        if !body.ends_with(b"{") {
            out.push(b',');
        }
        out.extend_from_slice(b"\"version\":");
        out.extend_from_slice(self.version.to_string().as_bytes());
        out.extend_from_slice(b",\"updated_at\":");
        json_string(&mut out, &self.updated_at);
        out.extend_from_slice(b",\"updated_by\":");
        json_string(&mut out, &self.updated_by);
        out.push(b'}');
        out
    }
}

/// `s` as a JSON string; plain ASCII without quotes, backslashes or controls is copied as is.
fn json_string(out: &mut Vec<u8>, s: &str) {
    if s.bytes()
        .all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b < 0x7f)
    {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else if serde_json::to_writer(&mut *out, s).is_err() {
        // Writing to a Vec cannot fail; keep the JSON whole all the same.
        out.extend_from_slice(b"null");
    }
}

/// One past or current version of a person's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonVersion {
    pub version: i64,
    pub changed_at: String,
    pub changed_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub record: Person,
}

/// Who made a change and why; recorded with the version it creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeMeta {
    pub actor: String,
    pub reason: Option<String>,
}

/// A search of the register by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameQuery {
    /// The name as typed, with or without tones.
    pub name: String,
    pub birth_year: Option<i32>,
    pub limit: usize,
}

/// How a name query is matched, decided from what was typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameMatch {
    /// Tones were typed: match the tone-canonical key (so "Hoà" finds "Hòa" but not "Hóa").
    Toned(String),
    /// No tones: match the tone-stripped key.
    Stripped(String),
}

impl NameQuery {
    pub fn matcher(&self) -> NameMatch {
        if name::has_diacritics(&self.name) {
            NameMatch::Toned(name::key(&self.name))
        } else {
            NameMatch::Stripped(name::stripped_key(&self.name))
        }
    }
}

/// The comparison keys stored beside a record so that lookups use an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonKeys {
    pub name_key: String,
    pub name_stripped: String,
    pub given_stripped: String,
    pub birth_year: Option<i32>,
}

impl PersonKeys {
    pub fn of(person: &Person) -> Self {
        let name_key = name::key(&person.full_name);
        let name_stripped = name::stripped_of_key(&name_key);
        let given_stripped = name_stripped
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_string();
        PersonKeys {
            name_key,
            name_stripped,
            given_stripped,
            birth_year: person.date_of_birth.map(|d| d.year()),
        }
    }
}

/// A person ready to be written: the keys and the JSON are computed by whoever builds it, so a
/// loader can do that work on another thread than the one writing.
#[derive(Debug, Clone)]
pub struct PreparedPerson {
    pub person: Person,
    pub keys: PersonKeys,
    pub json: String,
}

impl PreparedPerson {
    pub fn new(person: Person) -> Result<Self> {
        Ok(PreparedPerson {
            keys: PersonKeys::of(&person),
            json: person_json(&person)?,
            person,
        })
    }
}

/// One item of a bulk load, in file order.
#[derive(Debug, Clone)]
pub enum LoadItem {
    /// A person, with the line of the source file it came from (for error reports).
    Person {
        line: usize,
        person: Box<PreparedPerson>,
    },
    /// A household; created, or its head and address updated if it exists.
    Household(Household),
    ResidenceEvent(ResidenceEvent),
}

impl LoadItem {
    pub fn person(line: usize, person: Person) -> Result<LoadItem> {
        Ok(LoadItem::Person {
            line,
            person: Box::new(PreparedPerson::new(person)?),
        })
    }
}

/// A row of a bulk load the store refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadConflict {
    pub line: usize,
    pub personal_id: String,
    pub rule: String,
}

/// What a bulk load did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadSummary {
    pub persons: usize,
    pub households: usize,
    pub events: usize,
    pub committed: bool,
}

/// Called by [`RegisterStore::load`] once every item has been offered: the conflicts the store
/// found, and the caller decides whether to commit.
pub type CommitDecision<'a> = &'a mut dyn FnMut(&[LoadConflict]) -> bool;

/// The population register.
pub trait RegisterStore: Send + Sync {
    fn get_person(&self, id: &PersonalId) -> Result<Option<StoredPerson>>;
    /// The same as [`RegisterStore::get_person`], the record left as JSON text.
    fn get_person_raw(&self, id: &PersonalId) -> Result<Option<RawPerson>> {
        self.get_person(id)?
            .map(|p| {
                Ok(RawPerson {
                    json: person_json(&p.person)?.into_bytes(),
                    version: p.version,
                    updated_at: p.updated_at,
                    updated_by: p.updated_by,
                })
            })
            .transpose()
    }
    fn find_by_cmnd(&self, cmnd: &str) -> Result<Vec<StoredPerson>>;
    fn search_by_name(&self, query: &NameQuery) -> Result<Vec<StoredPerson>>;
    /// Adds a new person as version 1. `Conflict` if the ID is taken.
    fn insert_person(&self, person: &Person, change: &ChangeMeta) -> Result<StoredPerson>;
    /// Replaces the record with a new version, keeping the old one. `Conflict` if the record
    /// changed since `expected_version` was read.
    fn update_person(
        &self,
        person: &Person,
        expected_version: i64,
        change: &ChangeMeta,
    ) -> Result<StoredPerson>;
    /// Every version, oldest first, the current one last.
    fn person_history(&self, id: &PersonalId) -> Result<Vec<PersonVersion>>;
    fn residence_events(&self, id: &PersonalId) -> Result<Vec<ResidenceEvent>>;
    /// Records a residence event of a person in the register (`NotFound` otherwise).
    fn add_residence_event(&self, event: &ResidenceEvent) -> Result<()>;
    fn get_household(&self, id: &str) -> Result<Option<Household>>;
    fn household_members(&self, id: &str) -> Result<Vec<StoredPerson>>;
    fn count_persons(&self) -> Result<u64>;
    /// Streams every current record in personal-ID order.
    fn for_each_person(&self, f: &mut dyn FnMut(StoredPerson) -> Result<()>) -> Result<()>;
    /// Streams every current record in the order cheapest for the store (the same order every
    /// time for the same data): for whole-register work such as matching, where the ID order
    /// costs random reads.
    fn for_each_person_unordered(
        &self,
        f: &mut dyn FnMut(StoredPerson) -> Result<()>,
    ) -> Result<()> {
        self.for_each_person(f)
    }
    /// Loads many items in one transaction. Persons whose ID is already in the register (or
    /// repeated in the load) are not written and are reported to `decide`; the load is committed
    /// only if `decide` returns true. Killing the process midway leaves the store unchanged.
    fn load(
        &self,
        items: &mut dyn Iterator<Item = LoadItem>,
        change: &ChangeMeta,
        decide: CommitDecision<'_>,
    ) -> Result<LoadSummary>;
}

/// Why and by whom a person's data was touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// RFC 3339, UTC.
    pub at: String,
    /// Who: the token's name, the officer's login, or "cli:<user>".
    pub actor: String,
    pub actor_kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// What: "person.read", "person.search", "person.update", "household.read", "card.qr", ...
    pub action: String,
    /// The route template or command, never the values (no personal data in this column).
    pub route: String,
    /// The personal ID or household number concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl AuditRecord {
    pub fn now(actor: &str, actor_kind: &str, action: &str, route: &str) -> Self {
        AuditRecord {
            at: now_rfc3339(),
            actor: actor.to_string(),
            actor_kind: actor_kind.to_string(),
            role: None,
            action: action.to_string(),
            route: route.to_string(),
            subject: None,
            reason: None,
        }
    }
}

/// A filter over the audit log; newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub subject: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Records at or after this time (RFC 3339 UTC as stored, see [`format_utc`]).
    pub since: Option<String>,
    /// Records before this time (exclusive; RFC 3339 UTC as stored).
    pub until: Option<String>,
    pub limit: usize,
}

pub trait AuditStore: Send + Sync {
    fn append_audit(&self, records: &[AuditRecord]) -> Result<()>;
    fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>>;
}

/// A bearer token for a system, as stored: only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiTokenRecord {
    pub name: String,
    pub role: String,
    pub token_hash: String,
    pub created_at: String,
    pub revoked: bool,
}

pub trait TokenStore: Send + Sync {
    fn insert_token(&self, token: &ApiTokenRecord) -> Result<()>;
    fn find_token(&self, token_hash: &str) -> Result<Option<ApiTokenRecord>>;
    fn list_tokens(&self) -> Result<Vec<ApiTokenRecord>>;
    /// Marks the named token revoked (`NotFound` if there is none); it is kept for the record.
    fn revoke_token(&self, name: &str) -> Result<()>;
}

/// Small settings kept in the database (commune code, demo marker, schema facts).
pub trait MetaStore: Send + Sync {
    fn get_meta(&self, key: &str) -> Result<Option<String>>;
    fn set_meta(&self, key: &str, value: &str) -> Result<()>;
}

/// An officer's account as stored. Secrets only as hashes (the TOTP secret is the one exception:
/// the server needs it to compute codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficerRecord {
    /// Lower-case login, unique. The store compares logins byte for byte: the caller lowers
    /// them before storing or looking up.
    pub login: String,
    pub display_name: String,
    /// A role name as `xaso_domain::role::Role::as_str` writes it ("admin", "police", "desk",
    /// "justice", "labour", "land", "leader", "read-only").
    pub role: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Set for a new account or after an admin reset: the officer must choose a new password
    /// at the next login.
    pub must_change_password: bool,
    /// Base32 TOTP secret once the second factor is enabled.
    pub totp_secret: Option<String>,
    /// The last TOTP time step accepted (replay protection).
    pub totp_last_step: Option<i64>,
    pub disabled: bool,
    /// JSON of `xaso_identity::lockout::LoginAttempts` (opaque to the store; "{}" when new).
    pub login_attempts: String,
    /// RFC 3339 UTC ([`now_rfc3339`]).
    pub created_at: String,
    pub updated_at: String,
}

/// A browser session as stored: only the SHA-256 of the cookie's secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id_hash: String,
    /// The officer's login; an officer must exist for a session to be stored.
    pub login: String,
    /// RFC 3339 UTC ([`now_rfc3339`]).
    pub created_at: String,
    pub last_seen: String,
    /// True between a correct password and a correct TOTP code: such a session may only finish
    /// the login.
    pub second_factor_pending: bool,
}

/// Officers' accounts and their browser sessions. Officers are never deleted, only disabled.
pub trait OfficerStore: Send + Sync {
    /// `Conflict` when the login exists.
    fn insert_officer(&self, officer: &OfficerRecord) -> Result<()>;
    fn get_officer(&self, login: &str) -> Result<Option<OfficerRecord>>;
    /// Ordered by login (byte order).
    fn list_officers(&self) -> Result<Vec<OfficerRecord>>;
    /// Replaces every field but `login` and `created_at`; `NotFound` when there is no such
    /// officer.
    fn update_officer(&self, officer: &OfficerRecord) -> Result<()>;
    fn count_officers(&self) -> Result<u64>;
    /// `Conflict` when the id hash exists; `NotFound` when there is no officer of that login.
    fn insert_session(&self, session: &SessionRecord) -> Result<()>;
    fn get_session(&self, id_hash: &str) -> Result<Option<SessionRecord>>;
    /// Updates `last_seen` and `second_factor_pending` (nothing else); `NotFound` when absent.
    fn update_session(&self, session: &SessionRecord) -> Result<()>;
    /// Ends a session; a session already gone is not an error.
    fn delete_session(&self, id_hash: &str) -> Result<()>;
    /// Ends every session of an officer (on disable, password change); returns how many.
    fn delete_sessions_of(&self, login: &str) -> Result<u64>;
    /// Removes sessions whose `last_seen` is before `before` (RFC 3339 UTC as stored); returns
    /// how many.
    fn delete_sessions_seen_before(&self, before: &str) -> Result<u64>;
}

/// Where a reconciliation run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Waiting for an earlier run to finish.
    Queued,
    Running,
    /// Finished; its rows are stored.
    Done,
    /// Stopped; `error` says why.
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        [
            RunStatus::Queued,
            RunStatus::Running,
            RunStatus::Done,
            RunStatus::Failed,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    /// Queued or running.
    pub fn is_unfinished(self) -> bool {
        matches!(self, RunStatus::Queued | RunStatus::Running)
    }
}

/// A sector list reconciled with the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileRun {
    pub id: i64,
    /// welfare, civil-status, land, school, health-insurance, sim, cadre or other.
    pub kind: String,
    pub file_name: String,
    /// The officer's login.
    pub created_by: String,
    /// RFC 3339 UTC ([`now_rfc3339`]).
    pub created_at: String,
    pub status: RunStatus,
    pub error: Option<String>,
    /// When it became done or failed.
    pub finished_at: Option<String>,
    pub row_count: i64,
    /// Outcome counts and measures (JSON; opaque to the store). Set when done.
    pub summary: Option<String>,
    /// Which column is which field (JSON; opaque to the store).
    pub columns: String,
    /// The list's headers, in file order.
    pub headers: Vec<String>,
}

/// A run about to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    pub kind: String,
    pub file_name: String,
    pub created_by: String,
    /// The rows uploaded (the stored rows' count once done).
    pub row_count: i64,
    pub columns: String,
    pub headers: Vec<String>,
}

/// Runs, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    pub kind: Option<String>,
    pub limit: usize,
}

/// A register person the engine proposed for a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowCandidate {
    pub personal_id: String,
    /// Weight, probability and the per-field weights (JSON; opaque to the store).
    pub detail: String,
}

/// What became of one row of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconcileRow {
    /// The row's line in the file (1 = the header).
    pub row: i64,
    /// The list's cells as read.
    pub cells: Vec<String>,
    /// The engine's outcome (an outcome code such as "matched" or "probable_match_review").
    pub engine_outcome: String,
    /// The outcome now: the engine's, or the latest review decision's.
    pub outcome: String,
    /// The register person the row is (or may be).
    pub personal_id: Option<String>,
    pub weight: Option<f64>,
    pub probability: Option<f64>,
    /// "Field: list value → register value", and notes.
    pub differences: Vec<String>,
    pub best: Option<RowCandidate>,
    pub runner_up: Option<RowCandidate>,
    /// A digest of the row's mapped values (the same row of a later list has the same key).
    pub row_key: String,
    /// The latest review decision ("accept", "reject", "correct"), if any.
    pub decision: Option<String>,
}

/// Rows of a run, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowFilter {
    /// Rows whose current outcome is one of these; empty: every row.
    pub outcomes: Vec<String>,
    /// Only rows without a review decision.
    pub undecided: bool,
    /// Only rows after this row number.
    pub after_row: Option<i64>,
    pub offset: usize,
    pub limit: usize,
}

/// What an officer decided about a row's proposed person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// The proposed person is the row's.
    Accept,
    /// The proposed person is not the row's.
    Reject,
    /// Another person (named by the officer) is the row's.
    Correct,
}

impl ReviewDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Accept => "accept",
            ReviewDecision::Reject => "reject",
            ReviewDecision::Correct => "correct",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewDecision> {
        [
            ReviewDecision::Accept,
            ReviewDecision::Reject,
            ReviewDecision::Correct,
        ]
        .into_iter()
        .find(|d| d.as_str() == s.trim())
    }
}

/// A decision to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDecision {
    pub run_id: i64,
    pub row: i64,
    pub decision: ReviewDecision,
    /// The person accepted, rejected, or chosen instead.
    pub personal_id: Option<String>,
    pub officer: String,
    pub note: Option<String>,
}

/// The row as a decision leaves it (decided by the caller, who knows the register).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowResolution {
    pub outcome: String,
    pub personal_id: Option<String>,
    pub differences: Vec<String>,
}

/// A recorded decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileDecision {
    pub run_id: i64,
    pub row: i64,
    pub decision: ReviewDecision,
    pub personal_id: Option<String>,
    pub officer: String,
    /// RFC 3339 UTC.
    pub at: String,
    pub note: Option<String>,
    /// The run's list kind and the row's key, copied when the decision was recorded.
    pub kind: String,
    pub row_key: String,
}

/// Decisions, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecisionFilter {
    pub run_id: Option<i64>,
    pub kind: Option<String>,
    pub limit: usize,
}

/// Data cleaning: runs of sector lists against the register, their rows, and the review
/// decisions. Rows hold personal data; nothing here logs them.
pub trait ReconcileStore: Send + Sync {
    /// Records a new run, queued.
    fn create_run(&self, run: &NewRun) -> Result<ReconcileRun>;
    /// Sets the status (and the error of a failed run; `finished_at` when done or failed).
    /// `NotFound` when there is no such run.
    fn set_run_status(&self, id: i64, status: RunStatus, error: Option<&str>) -> Result<()>;
    /// Stores every row and the summary and marks the run done, in one transaction: a run is
    /// done exactly when its rows are there. `Conflict` when the run is already done (or a
    /// row number repeats), `NotFound` when there is no such run.
    fn complete_run(&self, id: i64, summary: &str, rows: &[ReconcileRow]) -> Result<()>;
    /// Marks every queued or running run failed with `error` (a server that restarts has lost
    /// them); returns how many.
    fn fail_unfinished_runs(&self, error: &str) -> Result<u64>;
    fn get_run(&self, id: i64) -> Result<Option<ReconcileRun>>;
    /// Newest first.
    fn list_runs(&self, filter: &RunFilter) -> Result<Vec<ReconcileRun>>;
    /// In row order.
    fn list_run_rows(&self, run_id: i64, filter: &RowFilter) -> Result<Vec<ReconcileRow>>;
    /// How many rows the filter selects (its offset and limit ignored).
    fn count_run_rows(&self, run_id: i64, filter: &RowFilter) -> Result<u64>;
    /// Rows per current outcome, by outcome code.
    fn run_outcome_counts(&self, run_id: i64) -> Result<Vec<(String, u64)>>;
    fn get_run_row(&self, run_id: i64, row: i64) -> Result<Option<ReconcileRow>>;
    /// Records the decision and applies `resolution` to the row, in one transaction.
    /// `NotFound` when there is no such row.
    fn record_decision(
        &self,
        decision: &NewDecision,
        resolution: &RowResolution,
    ) -> Result<ReconcileDecision>;
    fn list_decisions(&self, filter: &DecisionFilter) -> Result<Vec<ReconcileDecision>>;
}

/// A dossier of the one-stop shop as stored: the columns the lists filter and sort on, and the
/// dossier itself as JSON the web layer writes and reads (the store never parses it).
///
/// An interlinked group is one row (`data` empty: its state is combined from its parts) and
/// one row per step (`parent` names the group's receipt number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierRecord {
    pub receipt_number: String,
    /// The group's receipt number, for a step of an interlinked group.
    pub parent: Option<String>,
    pub procedure_code: String,
    /// The unit (commune code) that received it.
    pub unit: String,
    /// desk, online, post.
    pub channel: String,
    /// The applicant's personal ID, when identified.
    pub applicant_id: Option<String>,
    /// The handling role's code (`Role::as_str`); empty for a group row.
    pub handling_role: String,
    pub assigned_officer: Option<String>,
    /// The state's kebab-case code; `group` for a group row.
    pub state: String,
    /// RFC 3339 UTC.
    pub received_at: String,
    /// YYYY-MM-DD.
    pub due_on: String,
    /// YYYY-MM-DD, when the clock stopped.
    pub finished_on: Option<String>,
    /// The form as submitted, with each field's origin (JSON); a step reads its group's.
    pub form: Option<String>,
    /// The dossier: state, clock, history (JSON); empty for a group row.
    pub data: Option<String>,
    /// What completing it produced (JSON): the new personal ID, the book entry, the card number.
    pub result: Option<String>,
    /// 1–5, given at return.
    pub rating: Option<i32>,
    pub rating_comment: Option<String>,
    /// Starts at 1; every save adds 1.
    pub version: i64,
    /// RFC 3339 UTC.
    pub updated_at: String,
    pub updated_by: String,
}

/// Which dossiers to list: newest received first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DossierFilter {
    /// Only rows with one of these states (codes); empty = any.
    pub states: Vec<String>,
    pub handling_role: Option<String>,
    pub assigned_officer: Option<String>,
    pub applicant_id: Option<String>,
    /// Only group rows and dossiers outside any group (what the applicant submitted), or only
    /// steps and single dossiers (what an officer handles): `None` = every row.
    pub top_level: Option<bool>,
    /// Received on or after / before this RFC 3339 instant.
    pub received_since: Option<String>,
    pub received_until: Option<String>,
    /// At most this many rows; 0 = 200.
    pub limit: usize,
}

/// A change to the register made by completing a dossier, applied in the dossier's
/// transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterEffect {
    /// A new person (a newborn); `Conflict` if the personal ID is taken.
    Insert(Person),
    /// A new version of a person's record; `Conflict` if the stored version differs.
    Update {
        person: Person,
        expected_version: i64,
    },
    Residence(ResidenceEvent),
}

/// An entry to write in a civil-status book: the store gives it the next line of the book of
/// its kind and year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCivilStatusEntry {
    /// birth, death, marriage, correction, marital-status.
    pub kind: String,
    pub year: i32,
    /// The dossier that registered it; `None` for an entry copied from an old paper book.
    pub receipt_number: Option<String>,
    pub personal_id: Option<String>,
    pub full_name: String,
    /// The date of the event (birth, death...), as known: YYYY, YYYY-MM or YYYY-MM-DD.
    pub event_date: String,
    /// YYYY-MM-DD.
    pub registered_on: String,
    /// The entry's fields (JSON).
    pub data: String,
    /// For a digitised entry: its book and line in the paper book, and the SHA-256 of the
    /// scanned page (an attachment).
    pub paper_book: Option<String>,
    pub paper_line: Option<String>,
    pub scanned_page: Option<String>,
    pub created_by: String,
}

/// A written civil-status entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CivilStatusEntry {
    pub id: i64,
    /// The line in the book of its kind and year (1, 2, ...).
    pub line: i64,
    pub entry: NewCivilStatusEntry,
    /// RFC 3339 UTC.
    pub created_at: String,
}

/// Which civil-status entries to list: by kind and year, in line order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CivilStatusFilter {
    pub kind: Option<String>,
    pub year: Option<i32>,
    pub personal_id: Option<String>,
    /// Only the entries copied from paper books (`true`) or registered here (`false`).
    pub digitised: Option<bool>,
    /// At most this many entries; 0 = 200.
    pub limit: usize,
}

/// What completing a step of a dossier changes, all in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierChange {
    /// The dossier as it becomes; its `version` is the version it was read at.
    pub record: DossierRecord,
    pub register: Vec<RegisterEffect>,
    pub civil_status: Option<NewCivilStatusEntry>,
    /// Who changed the register and why (kept with the person versions).
    pub meta: ChangeMeta,
}

/// What a saved change wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedDossier {
    pub version: i64,
    pub civil_status: Option<CivilStatusEntry>,
}

/// A file attached to a dossier or a citizen's digital folder. The bytes are stored once per
/// SHA-256, however many dossiers link them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentLink {
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    pub receipt_number: Option<String>,
    /// The citizen whose folder holds it.
    pub personal_id: Option<String>,
    /// The required document it stands for (its Vietnamese name), or "result".
    pub document: String,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    /// RFC 3339 UTC.
    pub added_at: String,
    pub added_by: String,
}

/// The one-stop shop: dossiers, the civil-status books, attachments. Dossiers, forms and
/// attachments hold personal data; nothing here logs them.
pub trait DossierStore: Send + Sync {
    /// The next value (1, 2, ...) of a named counter, e.g. the day's receipt serial; committed
    /// at once, so two callers never get the same value.
    fn next_serial(&self, counter: &str) -> Result<u64>;
    /// Inserts the rows (a group and its steps, or one dossier) in one transaction, each at
    /// version 1; `Conflict` if a receipt number exists, `NotFound` if a step's group is
    /// neither among the rows nor stored (and then nothing is written).
    fn insert_dossiers(&self, dossiers: &[DossierRecord]) -> Result<()>;
    fn get_dossier(&self, receipt_number: &str) -> Result<Option<DossierRecord>>;
    /// The steps of a group, by receipt number.
    fn group_steps(&self, parent: &str) -> Result<Vec<DossierRecord>>;
    /// Newest received first.
    fn list_dossiers(&self, filter: &DossierFilter) -> Result<Vec<DossierRecord>>;
    /// In one transaction: replaces the dossier if its stored version is
    /// `change.record.version` (else `Conflict`; `NotFound` without the row), applies the
    /// register effects in order (each update keeping the previous version in
    /// `person_versions`, with `change.meta`), and writes the civil-status entry with the next
    /// line of its book. On any error nothing is written. The rating is not replaced: only
    /// [`DossierStore::rate_dossier`] writes it.
    fn save_dossier(&self, change: &DossierChange) -> Result<SavedDossier>;
    /// Records the applicant's rating (1–5) once; `Conflict` if rated already or out of range,
    /// `NotFound` without the dossier. The dossier's version does not change.
    fn rate_dossier(&self, receipt_number: &str, rating: i32, comment: Option<&str>) -> Result<()>;
    /// Writes an entry copied from an old paper book, with the next line of its book.
    fn add_civil_status_entry(&self, entry: &NewCivilStatusEntry) -> Result<CivilStatusEntry>;
    fn list_civil_status(&self, filter: &CivilStatusFilter) -> Result<Vec<CivilStatusEntry>>;
    /// Stores the bytes under their SHA-256 (once) and links them; returns the link.
    fn add_attachment(&self, bytes: &[u8], link: &AttachmentLink) -> Result<AttachmentLink>;
    /// The bytes and media type of a stored file.
    fn get_attachment(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>>;
    fn dossier_attachments(&self, receipt_number: &str) -> Result<Vec<AttachmentLink>>;
    /// The citizen's digital folder: every file linked to them, newest first, one row per
    /// (sha256, document).
    fn citizen_folder(&self, personal_id: &str) -> Result<Vec<AttachmentLink>>;
    /// Records a complaint about a dossier's handling; `NotFound` without the dossier,
    /// `Conflict` if the text is blank ("complaint text: must not be blank").
    fn add_complaint(&self, complaint: &NewComplaint) -> Result<Complaint>;
    /// Records the answer once; `Conflict` if answered already or if the answer is blank
    /// ("complaint answer: must not be blank"), `NotFound` without it.
    fn answer_complaint(
        &self,
        id: i64,
        answer: &str,
        answered_by: &str,
        answered_on: &str,
    ) -> Result<()>;
    /// The complainant's verdict on the answer, once; `Conflict` if given already or if the
    /// complaint is not answered yet.
    fn judge_complaint(&self, id: i64, satisfied: bool) -> Result<()>;
    fn get_complaint(&self, id: i64) -> Result<Option<Complaint>>;
    /// Newest first.
    fn list_complaints(&self, filter: &ComplaintFilter) -> Result<Vec<Complaint>>;
}

/// A complaint (phản ánh, kiến nghị) about the handling of a dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComplaint {
    pub receipt_number: String,
    /// The complaint as written (personal data may be in it; never logged).
    pub text: String,
    /// RFC 3339 UTC.
    pub received_at: String,
    /// YYYY-MM-DD: the day the answer is due.
    pub due_on: String,
    /// desk, online.
    pub channel: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complaint {
    pub id: i64,
    pub complaint: NewComplaint,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    /// YYYY-MM-DD.
    pub answered_on: Option<String>,
    pub satisfied: Option<bool>,
}

impl Complaint {
    /// A complaint just recorded as `id`: no answer, no verdict.
    pub(crate) fn unanswered(id: i64, complaint: &NewComplaint) -> Complaint {
        Complaint {
            id,
            complaint: complaint.clone(),
            answer: None,
            answered_by: None,
            answered_on: None,
            satisfied: None,
        }
    }
}

/// Which complaints to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComplaintFilter {
    pub receipt_number: Option<String>,
    /// Only those without an answer.
    pub open_only: bool,
    /// 0 = 200.
    pub limit: usize,
}

/// A citizen's account (electronic identity), keyed by the personal ID of a person in the
/// register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenRecord {
    /// 12 digits; the person must exist in the register when the account is created.
    pub personal_id: String,
    /// 1 (registered online, phone confirmed) or 2 (raised at the desk after a chip check).
    pub level: i32,
    /// The confirmed phone number, national form (10 digits).
    pub phone: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub must_change_password: bool,
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub disabled: bool,
    /// JSON of the lockout state (opaque to the store; "{}" when new).
    pub login_attempts: String,
    /// JSON of the level-2 evidence: officer, time, chip checks, SHA-256 of the chip files
    /// (opaque to the store); `None` at level 1.
    pub level2_evidence: Option<String>,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub updated_at: String,
}

/// A one-time code sent to a phone (registration, recovery); only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpRecord {
    /// Random id the browser holds while the code is awaited.
    pub id: String,
    /// registration, recovery.
    pub purpose: String,
    pub personal_id: String,
    pub phone: String,
    /// SHA-256 (hex) of the code.
    pub code_hash: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub expires_at: String,
    /// Wrong codes tried so far.
    pub attempts: i32,
    pub used: bool,
}

/// A citizen's browser session (only the SHA-256 of the cookie's secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenSessionRecord {
    pub id_hash: String,
    pub personal_id: String,
    /// The level the session was authenticated at, and how ("pwd", "otp", "totp"… as JSON
    /// array text).
    pub level: i32,
    pub methods: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub last_seen: String,
    /// The browser as it said it was (for "sessions the citizen can see and end").
    pub user_agent: String,
}

/// Citizens' accounts, one-time codes and sessions.
pub trait CitizenStore: Send + Sync {
    /// `Conflict` when the account exists; `NotFound` when the person is not in the register.
    fn insert_citizen(&self, citizen: &CitizenRecord) -> Result<()>;
    fn get_citizen(&self, personal_id: &str) -> Result<Option<CitizenRecord>>;
    /// Replaces every field but `personal_id` and `created_at`; `NotFound` without the account.
    fn update_citizen(&self, citizen: &CitizenRecord) -> Result<()>;
    fn list_citizens(&self, limit: usize) -> Result<Vec<CitizenRecord>>;
    fn insert_otp(&self, otp: &OtpRecord) -> Result<()>;
    fn get_otp(&self, id: &str) -> Result<Option<OtpRecord>>;
    /// Counts a wrong code (`attempts + 1`) and returns the new count; `NotFound` without it.
    fn count_otp_attempt(&self, id: &str) -> Result<i32>;
    /// Marks the code used, once: `Conflict` if it was used already.
    fn use_otp(&self, id: &str) -> Result<()>;
    /// Codes sent to this phone since the instant (RFC 3339), for rate limits.
    fn count_otps_since(&self, phone: &str, since: &str) -> Result<u64>;
    /// `NotFound` when the account does not exist.
    fn insert_citizen_session(&self, session: &CitizenSessionRecord) -> Result<()>;
    fn get_citizen_session(&self, id_hash: &str) -> Result<Option<CitizenSessionRecord>>;
    fn touch_citizen_session(&self, id_hash: &str, last_seen: &str) -> Result<()>;
    /// Newest first.
    fn list_citizen_sessions(&self, personal_id: &str) -> Result<Vec<CitizenSessionRecord>>;
    fn delete_citizen_session(&self, id_hash: &str) -> Result<()>;
    /// Ends every session of the citizen but `keep` (after a password change).
    fn delete_citizen_sessions(&self, personal_id: &str, keep: Option<&str>) -> Result<u64>;
}

/// The OpenID provider's state. Records are JSON the identity layer writes (the store never
/// parses them); what must be atomic is done here with conditional updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcClientRecord {
    pub client_id: String,
    pub name: String,
    /// JSON of `xaso_identity::oidc::client::Client`.
    pub data: String,
    pub disabled: bool,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcGrantRecord {
    /// SHA-256 (hex) of the code or token.
    pub hash: String,
    /// code, access, refresh.
    pub kind: String,
    pub client_id: String,
    /// The token family (all tokens from one authorization), for revocation.
    pub family: String,
    /// JSON of the code, access or refresh record.
    pub data: String,
    /// RFC 3339 UTC.
    pub expires_at: String,
    /// RFC 3339 UTC; set once when a code is redeemed or a refresh token rotated.
    pub consumed_at: Option<String>,
    pub revoked: bool,
    /// The citizen session the grant was issued under (the session's hash, as
    /// [`CitizenStore`] keys sessions; never the cookie's secret): a code gets the session that
    /// authorized it, the tokens from it and from every refresh rotation inherit it.
    /// [`OidcStore::revoke_oidc_session`] revokes them when the session ends. `None` for grants
    /// written before sessions were recorded.
    pub session: Option<String>,
}

pub trait OidcStore: Send + Sync {
    /// `Conflict` when the client id exists.
    fn insert_oidc_client(&self, client: &OidcClientRecord) -> Result<()>;
    /// Replaces name, data and disabled; `NotFound` without it.
    fn update_oidc_client(&self, client: &OidcClientRecord) -> Result<()>;
    fn get_oidc_client(&self, client_id: &str) -> Result<Option<OidcClientRecord>>;
    /// By client id.
    fn list_oidc_clients(&self) -> Result<Vec<OidcClientRecord>>;
    /// `Conflict` when the hash exists.
    fn insert_oidc_grant(&self, grant: &OidcGrantRecord) -> Result<()>;
    fn get_oidc_grant(&self, hash: &str) -> Result<Option<OidcGrantRecord>>;
    /// In one transaction: marks `hash` consumed at `at` only if it is not consumed and not
    /// revoked (else `Conflict`, nothing written; `NotFound` without it), and inserts the
    /// grants it leads to (the tokens a code is exchanged for, the next refresh token).
    fn consume_oidc_grant(&self, hash: &str, at: &str, issued: &[OidcGrantRecord]) -> Result<()>;
    /// Revokes every grant of the family; returns how many were not revoked yet.
    fn revoke_oidc_family(&self, family: &str) -> Result<u64>;
    /// Revokes, in one statement, every grant issued under the citizen session (its hash): the
    /// session ended, so do the tokens relying parties got under it. Returns how many were not
    /// revoked yet (0 when called again).
    fn revoke_oidc_session(&self, session: &str) -> Result<u64>;
    /// Deletes grants that expired before the instant; returns how many.
    fn delete_expired_oidc_grants(&self, before: &str) -> Result<u64>;
    /// Consents given: (personal_id, client_id) → JSON of the scopes consented; replaced whole.
    fn set_oidc_consent(&self, personal_id: &str, client_id: &str, scopes: &str) -> Result<()>;
    fn get_oidc_consent(&self, personal_id: &str, client_id: &str) -> Result<Option<String>>;
    /// Client-assertion ids seen (`jti`), kept until they expire: `Conflict` when seen.
    fn remember_jti(&self, client_id: &str, jti: &str, expires_at: &str) -> Result<()>;
}

/// A store's answer that is awaited: boxed, so that [`AsyncPersonReader`] stays object-safe.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// Lookups by personal ID that hold no thread while the database answers, for a backend across
/// the network (PostgreSQL), whose synchronous reads each cost a blocking thread. Given by
/// [`Store::async_person_reader`]. Its futures must run on a Tokio runtime, which also runs its
/// connections' tasks (a server's runtime, for as long as it serves).
pub trait AsyncPersonReader: Send + Sync {
    /// The same answer as [`RegisterStore::get_person_raw`]: the same stored JSON, passed on
    /// unparsed, and the same errors.
    fn get_person_raw<'a>(&'a self, id: &'a PersonalId) -> StoreFuture<'a, Option<RawPerson>>;

    /// Opens the connections now (a server calls it as it starts, so that its first requests
    /// do not pay for them). A connection missing or closed is opened by the next lookup anyway.
    fn open_connections(&self) -> StoreFuture<'_, ()>;
}

/// Everything the services need from a backend.
pub trait Store:
    RegisterStore
    + AuditStore
    + TokenStore
    + MetaStore
    + OfficerStore
    + ReconcileStore
    + DossierStore
    + CitizenStore
    + OidcStore
{
    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;

    /// True when reads are in-process and take microseconds, so an async caller may run them
    /// in place instead of handing them to a blocking thread.
    fn reads_inline(&self) -> bool {
        false
    }

    /// Prepares the store for serving requests (a server calls it once at start; commands
    /// that run and exit do not need it).
    fn prepare_to_serve(&self) -> Result<()> {
        Ok(())
    }

    /// The asynchronous lookups by personal ID, where the backend has them (PostgreSQL). `None`
    /// where reads are in-process and run in place ([`Store::reads_inline`], SQLite). Every
    /// other call is synchronous.
    fn async_person_reader(&self) -> Option<Arc<dyn AsyncPersonReader>> {
        None
    }
}

/// Opens the store named by a database URL, or the SQLite file under `data_dir`.
pub fn open(database_url: Option<&str>, data_dir: &std::path::Path) -> Result<Box<dyn Store>> {
    match database_url {
        #[cfg(feature = "postgres")]
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Box::new(postgres::PgStore::connect(url, None)?))
        }
        Some(url) if url.starts_with("sqlite:") => {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            Ok(Box::new(SqliteStore::open_file(std::path::Path::new(
                path,
            ))?))
        }
        Some(url) => Err(StoreError::Open(format!(
            "unsupported database URL scheme in {:?}: expected postgres:// or sqlite:",
            url.split(':').next().unwrap_or_default()
        ))),
        None => Ok(Box::new(SqliteStore::open_dir(data_dir)?)),
    }
}

/// The current time as stored: RFC 3339 in UTC with microseconds, so text order is time order.
pub fn now_rfc3339() -> String {
    format_utc(OffsetDateTime::now_utc())
}

pub fn format_utc(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// The rows a dossier or civil-status list returns when its filter's `limit` is 0.
pub(crate) const DEFAULT_LIST_LIMIT: i64 = 200;

/// A list filter's `limit` as SQL wants it: 0 means [`DEFAULT_LIST_LIMIT`].
pub(crate) fn list_limit(limit: usize) -> i64 {
    if limit == 0 {
        DEFAULT_LIST_LIMIT
    } else {
        i64::try_from(limit).unwrap_or(i64::MAX)
    }
}

/// An applicant's rating is a whole number from 1 to 5.
pub(crate) fn check_rating(rating: i32) -> Result<()> {
    if (1..=5).contains(&rating) {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "a rating is a whole number from 1 to 5 (got {rating})"
        )))
    }
}

/// A citizen's account is at level 1 or 2: `Conflict` naming the rule otherwise.
pub(crate) fn check_level(level: i32) -> Result<()> {
    if matches!(level, 1 | 2) {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "an account's level is 1 or 2 (got {level})"
        )))
    }
}

/// An OpenID grant is a `code`, an `access` token or a `refresh` token: `Conflict` naming the
/// rule otherwise.
pub(crate) fn check_grant_kind(kind: &str) -> Result<()> {
    if matches!(kind, "code" | "access" | "refresh") {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "a grant's kind is code, access or refresh (got {kind:?})"
        )))
    }
}

/// A complaint's text and its answer must say something: `Conflict` naming the rule when
/// `value` is empty or only white space.
pub(crate) fn check_not_blank(what: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        Err(StoreError::Conflict(format!("{what}: must not be blank")))
    } else {
        Ok(())
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    use std::fmt::Write;
    let digest = sha2::Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Upper bound for a prefix range scan on a text key: every string starting with `prefix`
/// sorts below it in byte order.
pub(crate) fn prefix_upper_bound(prefix: &str) -> String {
    let mut s = prefix.to_string();
    s.push(char::MAX);
    s
}

pub(crate) fn person_json(person: &Person) -> Result<String> {
    serde_json::to_string(person).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn strings_json(list: &[String]) -> Result<String> {
    serde_json::to_string(list).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn strings_from_json(data: &str) -> Result<Vec<String>> {
    Ok(serde_json::from_str(data)?)
}

pub(crate) fn person_from_json(data: &[u8]) -> Result<Person> {
    Ok(serde_json::from_slice(data)?)
}

/// Keeps the given-name matches (found by the tone-stripped given name) that also agree with
/// the tones typed, if any were: "Hòa" finds Hoà and Hòa, not Hóa.
pub(crate) fn keep_given_name_matches(query: &NameQuery, found: &mut Vec<StoredPerson>) {
    if !matches!(query.matcher(), NameMatch::Toned(_)) {
        return;
    }
    let want = name::key(&query.name);
    found.retain(|p| {
        name::key(&p.person.full_name)
            .rsplit(' ')
            .next()
            .is_some_and(|given| given == want)
    });
}

/// Orders name-search results: exact key matches first, then by name and ID, so the answer is
/// stable across backends.
pub(crate) fn rank_name_results(
    query: &NameQuery,
    mut found: Vec<StoredPerson>,
) -> Vec<StoredPerson> {
    let matcher = query.matcher();
    found.sort_by_cached_key(|p| {
        let exact = match &matcher {
            NameMatch::Toned(k) => name::key(&p.person.full_name) == *k,
            NameMatch::Stripped(k) => name::stripped_key(&p.person.full_name) == *k,
        };
        (
            !exact,
            name::stripped_key(&p.person.full_name),
            p.person.personal_id.clone(),
        )
    });
    found.dedup_by(|a, b| a.person.personal_id == b.person.personal_id);
    found.truncate(query.limit);
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn raw_json_splices_into_the_same_document_as_serde_would_write() {
        let mut person = Person::new(PersonalId::parse("038095001234").unwrap(), "Nguyễn \"An\"");
        person.household_id = Some("HK-1".into());
        let stored = StoredPerson {
            person: person.clone(),
            version: 3,
            updated_at: "2026-11-28T05:00:00.000000Z".into(),
            updated_by: "officer \"x\"".into(),
        };
        let raw = RawPerson {
            json: person_json(&person).unwrap().into_bytes(),
            version: 3,
            updated_at: stored.updated_at.clone(),
            updated_by: stored.updated_by.clone(),
        };
        let spliced: serde_json::Value = serde_json::from_slice(&raw.to_stored_json()).unwrap();
        assert_eq!(spliced, serde_json::to_value(&stored).unwrap());
        // PostgreSQL hands jsonb back with spaces and its own key order; still one object.
        let pg = RawPerson {
            json: b"{\"full_name\": \"A\", \"personal_id\": \"038095001234\" }".to_vec(),
            ..raw.clone()
        };
        let v: serde_json::Value = serde_json::from_slice(&pg.to_stored_json()).unwrap();
        assert_eq!(v["version"], 3);
        assert_eq!(v["full_name"], "A");
        // An empty record, trailing blanks, and a "who" that needs escaping.
        for (json, by) in [
            (&b"{}"[..], "cli:root"),
            (&b"{\"a\":1}  \n"[..], "Nguyễn \"x\" \\ \u{1}"),
        ] {
            let odd = RawPerson {
                json: json.to_vec(),
                updated_by: by.into(),
                ..raw.clone()
            };
            let v: serde_json::Value = serde_json::from_slice(&odd.to_stored_json()).unwrap();
            assert_eq!(v["updated_by"], by);
            assert_eq!(v["version"], 3);
        }
    }
}
