//! Data cleaning from the pages: a sector office's list (Excel or CSV) is uploaded, its
//! columns are mapped, and it is reconciled with the register in the background (the matching
//! engine of `xaso-linkage`, as `xaso reconcile` does from files); the run page shows the
//! progress, then the outcome of every row and the plan's four measures, and gives the report
//! as a workbook; the review queue lets an officer decide the probable matches (and the matches
//! whose list values need correcting) one at a time.
//!
//! Who may do what:
//! - every role may see the runs (each view of register persons is audited);
//! - every role but read-only may upload a list and start a run;
//! - review decisions are taken by administrators, the commune police, and the office that
//!   keeps the list: labour for welfare lists, justice for civil status, land for land, and
//!   the one-stop desk for the lists it gathers for other bodies (school, health insurance,
//!   mobile subscribers, cadres, other).
//!
//! Audit: every register person a page shows is recorded (`reconcile.read`, subject the
//! personal ID; the run's page shows 50 rows at most, so one record per person shown stays
//! small), plus one `reconcile.view` record per page with the run as subject (for the list's
//! own rows, which are not register data); a download records `reconcile.download` and every
//! person in the report; every decision records `reconcile.decide` with the person as subject;
//! starting a run records `register.reconcile` (the whole register is read), as the command
//! line does. The reason of these records names the run, so the roles that must state a
//! purpose before viewing a person need not do so here: the run is the purpose.
//!
//! Decisions feed back: when a list of the same kind is reconciled again, a row with the same
//! values in its mapped columns gets its latest decision (accepted or corrected: linked to that
//! person; rejected: not linked to the rejected person again). The engine itself is not
//! retrained from them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use xaso_domain::register::Person;
use xaso_domain::role::Role;
use xaso_domain::{name, PersonalId, Sex};
use xaso_linkage::engine::{Candidate, Decision, LinkOptions, Linker, ListRecord, RowLink};
use xaso_linkage::reconcile::report::{self, ReportLine};
use xaso_linkage::reconcile::{self, map_columns, record_of, ListField, Measures, Outcome};
use xaso_store::{
    AuditRecord, DecisionFilter, NewDecision, NewRun, ReconcileRow, ReconcileRun, ReviewDecision,
    RowCandidate, RowFilter, RowResolution, RunFilter, RunStatus, Store,
};
use xaso_tables::xlsx::{self, Sheet};

use super::register::{date_text, person_href, sex_text};
use super::{local_time, notice, Officer, OrPage, PageError};
use crate::api::{audit_record, audited, blocking, read};
use crate::i18n::{fill, Lang, Messages};
use crate::AppState;

/// The largest list accepted, in MB.
pub const UPLOAD_LIMIT_MB: usize = 50;
/// The largest list accepted, in bytes.
pub const UPLOAD_LIMIT: usize = UPLOAD_LIMIT_MB * 1024 * 1024;
/// The largest request body of an upload: the file and the form around it.
pub const BODY_LIMIT: usize = UPLOAD_LIMIT + 1024 * 1024;
/// Rows of a list at most (a commune's lists have thousands; a province's, tens of thousands).
const MAX_ROWS: usize = 200_000;
/// Rows per page of a run.
const PAGE_SIZE: usize = 50;
/// How long an upload waits for its column mapping.
const PENDING_TTL: Duration = Duration::from_secs(60 * 60);
/// Uploads waiting for their mapping at most (the oldest is dropped).
const MAX_PENDING: usize = 8;

/// The kinds of list, as `xaso reconcile --kind` names them.
pub const KINDS: [&str; 8] = [
    "welfare",
    "civil-status",
    "land",
    "school",
    "health-insurance",
    "sim",
    "cadre",
    "other",
];

/// The error of a run that found the register empty.
const ERR_REGISTER_EMPTY: &str = "register_empty";
/// The error of runs the server lost when it stopped.
pub const ERR_INTERRUPTED: &str = "interrupted";

pub fn kind_label(lang: Lang, kind: &str) -> &'static str {
    let m = lang.msg();
    match kind {
        "welfare" => m.k_welfare,
        "civil-status" => m.k_civil_status,
        "land" => m.k_land,
        "school" => m.k_school,
        "health-insurance" => m.k_health_insurance,
        "sim" => m.k_sim,
        "cadre" => m.k_cadre,
        _ => m.k_other,
    }
}

/// Every role but read-only may start a run.
pub fn may_start(role: Role) -> bool {
    role != Role::ReadOnly
}

/// The office that keeps a kind of list, whose officers decide its reviews.
pub fn sector_role(kind: &str) -> Role {
    match kind {
        "welfare" => Role::Labour,
        "civil-status" => Role::Justice,
        "land" => Role::Land,
        _ => Role::Desk,
    }
}

/// Administrators, the police (who keep the register) and the list's own office decide.
pub fn may_decide(role: Role, kind: &str) -> bool {
    matches!(role, Role::Admin | Role::Police) || role == sector_role(kind)
}

fn outcome_of(code: &str) -> Option<Outcome> {
    Outcome::ALL.into_iter().find(|o| o.code() == code)
}

pub fn outcome_label(m: &Messages, o: Outcome) -> &'static str {
    match o {
        Outcome::MatchedById => m.o_matched_by_id,
        Outcome::Matched => m.o_matched,
        Outcome::MatchedWithCorrections => m.o_matched_with_corrections,
        Outcome::Review => m.o_review,
        Outcome::NotInRegister => m.o_not_in_register,
        Outcome::Deceased => m.o_deceased,
        Outcome::MovedAway => m.o_moved_away,
        Outcome::Duplicate => m.o_duplicate,
        Outcome::Invalid => m.o_invalid,
    }
}

fn outcome_text(m: &Messages, code: &str) -> String {
    outcome_of(code)
        .map(|o| outcome_label(m, o).to_string())
        .unwrap_or_else(|| code.to_string())
}

fn outcome_class(code: &str) -> &'static str {
    match outcome_of(code).map(Outcome::fill_class) {
        Some("green") => "o-green",
        Some("yellow") => "o-yellow",
        Some("orange") => "o-orange",
        Some("red") => "o-red",
        Some("grey") => "o-grey",
        Some("blue") => "o-blue",
        _ => "",
    }
}

fn field_label(m: &Messages, f: ListField) -> &'static str {
    match f {
        ListField::FullName => m.lf_name,
        ListField::DateOfBirth => m.lf_dob,
        ListField::Sex => m.lf_sex,
        ListField::IdNumber => m.lf_id,
        ListField::Phone => m.lf_phone,
        ListField::Village => m.lf_village,
    }
}

fn weight_field_label(m: &Messages, f: &str) -> String {
    match f {
        "id" => m.fw_id,
        "family" => m.fw_family,
        "middle" => m.fw_middle,
        "given" => m.fw_given,
        "date_of_birth" => m.fw_date_of_birth,
        "sex" => m.fw_sex,
        "village" => m.fw_village,
        "phone" => m.fw_phone,
        other => return other.to_string(),
    }
    .to_string()
}

fn level_label(m: &Messages, level: &str) -> String {
    match level {
        "exact" => m.lv_exact,
        "one_digit_wrong" => m.lv_one_digit_wrong,
        "adjacent_swap" => m.lv_adjacent_swap,
        "cmnd_matches" => m.lv_cmnd_matches,
        "different" => m.lv_different,
        "missing" => m.lv_missing,
        "tone_insensitive" => m.lv_tone_insensitive,
        "variant_spelling" => m.lv_variant_spelling,
        "jaro_winkler_92" => m.lv_jaro_winkler_92,
        "jaro_winkler_80" => m.lv_jaro_winkler_80,
        "van_thi_differs" => m.lv_van_thi_differs,
        "day_month_swapped" => m.lv_day_month_swapped,
        "year_only" => m.lv_year_only,
        "same_year" => m.lv_same_year,
        "year_off_by_one" => m.lv_year_off_by_one,
        "year_only_off_by_one" => m.lv_year_only_off_by_one,
        "same_key" => m.lv_same_key,
        "similar" => m.lv_similar,
        "partial_exact" => m.lv_partial_exact,
        "year_mistyped" => m.lv_year_mistyped,
        other => return other.to_string(),
    }
    .to_string()
}

/// How a comparison level reads beside the values: the same, equivalent (the same once
/// written alike), differing, or one side missing.
fn level_class(level: &str) -> &'static str {
    match level {
        "exact" | "partial_exact" => "same",
        "tone_insensitive" | "variant_spelling" | "year_only" | "same_key" | "cmnd_matches" => {
            "equivalent"
        }
        "missing" | "" => "one-side",
        _ => "differs",
    }
}

fn status_label(m: &Messages, s: RunStatus) -> &'static str {
    match s {
        RunStatus::Queued => m.rc_status_queued,
        RunStatus::Running => m.rc_status_running,
        RunStatus::Done => m.rc_status_done,
        RunStatus::Failed => m.rc_status_failed,
    }
}

fn decision_label(m: &Messages, d: &str) -> &'static str {
    match d {
        "accept" => m.rc_d_accept,
        "reject" => m.rc_d_reject,
        _ => m.rc_d_correct,
    }
}

// ---------------------------------------------------------------------------------------------
// In-memory state: uploads waiting for their mapping, progress of runs

/// An uploaded list waiting for its column mapping (kept in memory: a list is only stored
/// with its results).
struct Pending {
    session_hash: String,
    kind: String,
    file_name: String,
    headers: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
    at: Instant,
}

#[derive(Debug, Clone)]
struct Progress {
    stage: &'static str,
    done: usize,
    total: usize,
}

/// The stages of a run, in order, as the progress bar counts them.
const STAGES: [&str; 10] = [
    "register",
    "index",
    "standardise",
    "u_sampling",
    "blocking",
    "em",
    "scoring",
    "assignment",
    "duplicates",
    "save",
];

fn stage_label(m: &Messages, stage: &str) -> &'static str {
    match stage {
        "register" => m.rc_stage_register,
        "index" => m.rc_stage_index,
        "standardise" => m.rc_stage_standardise,
        "u_sampling" => m.rc_stage_u_sampling,
        "blocking" => m.rc_stage_blocking,
        "em" => m.rc_stage_em,
        "scoring" => m.rc_stage_scoring,
        "assignment" => m.rc_stage_assignment,
        "duplicates" => m.rc_stage_duplicates,
        _ => m.rc_stage_save,
    }
}

/// Uploads waiting for their mapping, the progress of running runs, and the gate that lets
/// one run at a time use the machine's cores.
pub struct Jobs {
    pending: Mutex<HashMap<String, Pending>>,
    progress: Mutex<HashMap<i64, Progress>>,
    gate: Arc<tokio::sync::Semaphore>,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs {
            pending: Mutex::new(HashMap::new()),
            progress: Mutex::new(HashMap::new()),
            gate: Arc::new(tokio::sync::Semaphore::new(1)),
        }
    }
}

impl Jobs {
    fn keep(&self, token: String, pending: Pending) {
        let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, p| p.at.elapsed() < PENDING_TTL);
        while map.len() >= MAX_PENDING {
            let oldest = map.iter().min_by_key(|(_, p)| p.at).map(|(k, _)| k.clone());
            match oldest {
                Some(k) => map.remove(&k),
                None => break,
            };
        }
        map.insert(token, pending);
    }

    /// Runs `f` on the upload if it exists, is fresh and belongs to this session.
    fn with_pending<T>(
        &self,
        token: &str,
        session_hash: &str,
        f: impl FnOnce(&Pending) -> T,
    ) -> Option<T> {
        let map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        map.get(token)
            .filter(|p| p.session_hash == session_hash && p.at.elapsed() < PENDING_TTL)
            .map(f)
    }

    fn take_pending(&self, token: &str, session_hash: &str) -> Option<Pending> {
        let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let mine = map
            .get(token)
            .is_some_and(|p| p.session_hash == session_hash && p.at.elapsed() < PENDING_TTL);
        if mine {
            map.remove(token)
        } else {
            None
        }
    }

    fn set_progress(&self, run: i64, stage: &str, done: usize, total: usize) {
        let stage = STAGES
            .iter()
            .copied()
            .find(|s| *s == stage)
            .unwrap_or("save");
        let mut map = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(run, Progress { stage, done, total });
    }

    fn clear_progress(&self, run: i64) {
        let mut map = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&run);
    }

    fn progress_of(&self, run: i64) -> Option<Progress> {
        let map = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&run).cloned()
    }
}

/// Percent of a run done: stages count equally, each by its own fraction.
fn percent(p: &Progress) -> u32 {
    let index = STAGES.iter().position(|s| *s == p.stage).unwrap_or(0);
    let within = if p.total > 0 {
        (p.done.min(p.total) as f64) / (p.total as f64)
    } else {
        0.0
    };
    ((index as f64 + within) / STAGES.len() as f64 * 100.0).round() as u32
}

// ---------------------------------------------------------------------------------------------
// What a run stores beside its rows

/// The run's outcome counts and measures (the `summary` JSON of a run).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Summary {
    #[serde(default)]
    counts: BTreeMap<String, u64>,
    /// Rows with a name, a date of birth and an ID number (for the "đủ" measure).
    #[serde(default)]
    complete_rows: u64,
    #[serde(default)]
    total: u64,
    #[serde(default)]
    measures: Measures,
    #[serde(default)]
    register_size: u64,
    /// Rows given an earlier decision of the same kind of list.
    #[serde(default)]
    feedback_applied: u64,
    #[serde(default)]
    seconds: f64,
}

/// The four measures from outcome counts, as `xaso_linkage::reconcile::reconcile` computes
/// them (again here so that they follow the review decisions).
fn measures(count: impl Fn(Outcome) -> u64, complete: u64, total: u64) -> Measures {
    Measures::from_counts(count, complete, total)
}

/// A candidate's explanation as stored (`RowCandidate::detail`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct CandidateDetail {
    weight: f64,
    probability: f64,
    fields: Vec<FieldDetail>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct FieldDetail {
    field: String,
    level: String,
    weight: f64,
}

fn detail_of(c: &Candidate) -> CandidateDetail {
    CandidateDetail {
        weight: c.weight,
        probability: c.probability,
        fields: c
            .fields
            .iter()
            .map(|f| FieldDetail {
                field: f.field.to_string(),
                level: f.level.to_string(),
                weight: f.weight,
            })
            .collect(),
    }
}

fn parse_detail(c: &RowCandidate) -> CandidateDetail {
    serde_json::from_str(&c.detail).unwrap_or_default()
}

/// The column mapping as stored: field name → column index.
fn columns_json(columns: &HashMap<ListField, usize>) -> String {
    let map: BTreeMap<&str, usize> = columns.iter().map(|(f, i)| (f.as_str(), *i)).collect();
    serde_json::to_string(&map).unwrap_or_else(|_| "{}".into())
}

fn parse_columns(json: &str) -> HashMap<ListField, usize> {
    let map: BTreeMap<String, usize> = serde_json::from_str(json).unwrap_or_default();
    map.into_iter()
        .filter_map(|(k, v)| ListField::parse(&k).map(|f| (f, v)))
        .collect()
}

/// A digest of a row's mapped values, written alike (name keys, digits only): the same person
/// typed the same way in a later list of the same kind gets the same key.
fn row_key(r: &ListRecord) -> String {
    let key = |v: &Option<String>| v.as_deref().map(name::key).unwrap_or_default();
    let digits = |v: &Option<String>| -> String {
        v.as_deref()
            .map(|s| s.chars().filter(char::is_ascii_digit).collect())
            .unwrap_or_default()
    };
    let sex = r
        .sex
        .as_deref()
        .map(|s| {
            Sex::parse(s)
                .map(|x| x.as_str().to_string())
                .unwrap_or_else(|| s.trim().to_lowercase())
        })
        .unwrap_or_default();
    let text = [
        key(&r.full_name),
        r.date_of_birth
            .as_deref()
            .map(|d| d.trim().to_string())
            .unwrap_or_default(),
        sex,
        digits(&r.id_number),
        digits(&r.phone),
        key(&r.village),
    ]
    .join("\u{1f}");
    let digest = Sha256::digest(text.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The outcome of a row linked to `person` by an officer (or an earlier decision): what the
/// engine would say had it matched them (matched, with corrections, deceased, moved away),
/// with the differences to correct.
fn linked_outcome(
    record: &ListRecord,
    register: &[Person],
    index: usize,
    commune_code: Option<&str>,
) -> (Outcome, Vec<String>) {
    let link = RowLink {
        row: record.row,
        best: Some(Candidate {
            register_index: index,
            weight: 0.0,
            probability: 1.0,
            fields: Vec::new(),
        }),
        decision: Decision::Match,
        runner_up: None,
        invalid_id: None,
    };
    reconcile::outcome(&link, record, register, commune_code, false)
}

// ---------------------------------------------------------------------------------------------
// The run itself, on the blocking pool

fn internal(e: impl std::fmt::Display) -> String {
    format!("internal: {e}")
}

/// Reconciles an uploaded list and stores its rows. Errors are what the run page shows
/// (a code, or "internal: ..."); they carry no personal data.
fn execute(
    store: &dyn Store,
    jobs: &Jobs,
    run: &ReconcileRun,
    table: Vec<(usize, Vec<String>)>,
    columns: &HashMap<ListField, usize>,
) -> Result<(), String> {
    let started = Instant::now();
    let id = run.id;
    store
        .set_run_status(id, RunStatus::Running, None)
        .map_err(internal)?;
    jobs.set_progress(id, "register", 0, 0);
    let mut register = Vec::new();
    store
        .for_each_person_unordered(&mut |p| {
            register.push(p.person);
            Ok(())
        })
        .map_err(internal)?;
    if register.is_empty() {
        return Err(ERR_REGISTER_EMPTY.into());
    }
    let register_size = register.len();
    let commune_code = store.get_meta("commune_code").map_err(internal)?;
    jobs.set_progress(id, "index", 0, register_size);
    let linker = Linker::new(register);
    let records: Vec<ListRecord> = table
        .iter()
        .map(|(line, cells)| record_of(*line, cells, columns))
        .collect();
    let progress = |stage: &str, done: usize, total: usize| {
        jobs.set_progress(id, stage, done, total);
    };
    let result = reconcile::reconcile(
        &linker,
        &records,
        commune_code.as_deref(),
        &LinkOptions::default(),
        &progress,
    );
    jobs.set_progress(id, "save", 0, records.len());
    let register = linker.register();

    // Earlier decisions on the same rows of this kind of list, the latest per row.
    let decisions = store
        .list_decisions(&DecisionFilter {
            run_id: None,
            kind: Some(run.kind.clone()),
            limit: 1_000_000,
        })
        .map_err(internal)?;
    let mut latest: HashMap<&str, &xaso_store::ReconcileDecision> = HashMap::new();
    for d in &decisions {
        latest.entry(d.row_key.as_str()).or_insert(d);
    }
    let by_id: HashMap<&str, usize> = if latest.is_empty() {
        HashMap::new()
    } else {
        register
            .iter()
            .enumerate()
            .map(|(i, p)| (p.personal_id.as_str(), i))
            .collect()
    };

    let mut rows = Vec::with_capacity(records.len());
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut complete_rows = 0u64;
    let mut feedback_applied = 0u64;
    for (((r, link), record), (_, cells)) in result
        .rows
        .iter()
        .zip(&result.link.rows)
        .zip(&records)
        .zip(table)
    {
        let key = row_key(record);
        let mut outcome = r.outcome;
        let mut person = r.person;
        let mut weight = r.weight;
        let mut probability = r.probability;
        let mut differences = r.differences.clone();
        if let Some(d) = latest
            .get(key.as_str())
            .filter(|_| outcome != Outcome::Duplicate)
        {
            let decided = d.personal_id.as_deref().and_then(|p| by_id.get(p)).copied();
            match (d.decision, decided) {
                (ReviewDecision::Accept | ReviewDecision::Correct, Some(k))
                    if !(outcome.is_match() && person == Some(k)) =>
                {
                    let (o, mut diffs) =
                        linked_outcome(record, register, k, commune_code.as_deref());
                    diffs.push(format!(
                        "Theo quyết định rà soát ở lần đối chiếu {}",
                        d.run_id
                    ));
                    if person != Some(k) {
                        weight = None;
                        probability = None;
                    }
                    outcome = o;
                    person = Some(k);
                    differences = diffs;
                    feedback_applied += 1;
                }
                (ReviewDecision::Reject, Some(k)) if person == Some(k) => {
                    outcome = Outcome::NotInRegister;
                    person = None;
                    weight = None;
                    probability = None;
                    differences = vec![format!(
                        "Đã bác bỏ người {} ở lần đối chiếu {}",
                        register[k].personal_id, d.run_id
                    )];
                    feedback_applied += 1;
                }
                _ => {}
            }
        }
        *counts.entry(outcome.code().to_string()).or_default() += 1;
        if record.full_name.is_some()
            && record.date_of_birth.is_some()
            && record.id_number.is_some()
        {
            complete_rows += 1;
        }
        let candidate = |c: &Candidate| RowCandidate {
            personal_id: register[c.register_index].personal_id.to_string(),
            detail: serde_json::to_string(&detail_of(c)).unwrap_or_else(|_| "{}".into()),
        };
        rows.push(ReconcileRow {
            row: r.row as i64,
            cells,
            engine_outcome: r.outcome.code().to_string(),
            outcome: outcome.code().to_string(),
            personal_id: person.map(|k| register[k].personal_id.to_string()),
            weight,
            probability,
            differences,
            best: link.best.as_ref().map(candidate),
            runner_up: link.runner_up.as_ref().map(candidate),
            row_key: key,
            decision: None,
        });
    }
    let total = rows.len() as u64;
    let count = |o: Outcome| counts.get(o.code()).copied().unwrap_or(0);
    let summary = Summary {
        measures: measures(count, complete_rows, total),
        counts: counts.clone(),
        complete_rows,
        total,
        register_size: register_size as u64,
        feedback_applied,
        seconds: started.elapsed().as_secs_f64(),
    };
    let summary = serde_json::to_string(&summary).map_err(internal)?;
    store.complete_run(id, &summary, &rows).map_err(internal)?;
    tracing::info!(
        run = id,
        rows = rows.len(),
        seconds = started.elapsed().as_secs_f64(),
        "reconciliation run done"
    );
    Ok(())
}

/// Starts a run in the background: it waits for the gate (one run at a time), then runs on the
/// blocking pool. A failure (or a panic) is recorded on the run with its reason.
fn spawn_run(
    state: AppState,
    run: ReconcileRun,
    table: Vec<(usize, Vec<String>)>,
    columns: HashMap<ListField, usize>,
) {
    tokio::spawn(async move {
        let id = run.id;
        state.web.jobs.set_progress(id, "register", 0, 0);
        let permit = state.web.jobs.gate.clone().acquire_owned().await;
        let failure = match permit {
            Err(e) => Some(internal(e)),
            Ok(permit) => {
                let (store, web) = (state.store.clone(), state.web.clone());
                let done = tokio::task::spawn_blocking(move || {
                    let result = execute(store.as_ref(), &web.jobs, &run, table, &columns);
                    drop(permit);
                    result
                })
                .await;
                match done {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(e),
                    Err(e) if e.is_panic() => Some(internal("the run stopped on a bug")),
                    Err(e) => Some(internal(e)),
                }
            }
        };
        if let Some(error) = failure {
            tracing::warn!(run = id, "reconciliation run failed: {error}");
            let message = error.clone();
            let recorded = blocking(&state, move |s| {
                s.set_run_status(id, RunStatus::Failed, Some(&message))
            })
            .await;
            if let Err(e) = recorded {
                tracing::error!(run = id, "cannot record the failure of a run: {e:?}");
            }
        }
        state.web.jobs.clear_progress(id);
    });
}

// ---------------------------------------------------------------------------------------------
// The list of runs and the upload form

#[derive(Debug, Default, Deserialize)]
pub struct RunsQuery {
    #[serde(default)]
    kind: String,
}

pub async fn runs_page(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<RunsQuery>,
) -> Result<Response, PageError> {
    runs_view(&state, &officer, &q.kind, None, StatusCode::OK).await
}

async fn runs_view(
    state: &AppState,
    officer: &Officer,
    kind: &str,
    message: Option<(&str, String)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let m = officer.m();
    let kind = KINDS.iter().copied().find(|k| *k == kind);
    let filter = RunFilter {
        kind: kind.map(String::from),
        limit: 100,
    };
    let runs = read(state, move |s| s.list_runs(&filter))
        .await
        .or_page(lang)?;
    let body = html! {
        h1 { (m.rc_title) }
        p.muted { (m.rc_intro) }
        @if let Some((k, text)) = &message { (notice(k, text)) }
        @if may_start(officer.role) {
            section.sheet #upload {
                h2 { (m.rc_upload_title) }
                form.stack method="post" action="/reconcile/upload" enctype="multipart/form-data" {
                    (officer.csrf_field())
                    p {
                        label for="file" { (fill(m.rc_file, &[&UPLOAD_LIMIT_MB.to_string()])) }
                        input #file type="file" name="file" required accept=".xlsx,.xlsm,.xls,.ods,.csv,text/csv";
                    }
                    p {
                        label for="kind" { (m.rc_kind) }
                        select #kind name="kind" {
                            @for k in KINDS {
                                option value=(k) selected[Some(k) == kind] { (kind_label(lang, k)) }
                            }
                        }
                    }
                    p { button.primary type="submit" { (m.rc_upload_submit) } }
                }
            }
        }
        h2 { (m.rc_runs) }
        form.filters.no-print method="get" action="/reconcile" {
            p {
                label for="kind-filter" { (m.rc_kind) }
                select #kind-filter name="kind" {
                    option value="" selected[kind.is_none()] { (m.rc_all_kinds) }
                    @for k in KINDS {
                        option value=(k) selected[Some(k) == kind] { (kind_label(lang, k)) }
                    }
                }
            }
            p { button type="submit" { (m.audit_filter) } }
        }
        p.muted { (m.rc_runs_chart_note) }
        @if runs.is_empty() {
            p.muted { (m.rc_runs_empty) }
        } @else {
            table.results #runs {
                thead { tr {
                    th scope="col" { (m.rc_col_run) }
                    th scope="col" { (m.rc_col_at) }
                    th scope="col" { (m.rc_kind) }
                    th scope="col" { (m.rc_col_file) }
                    th scope="col" { (m.rc_col_by) }
                    th scope="col" { (m.rc_col_status) }
                    th scope="col" { (m.rc_col_rows) }
                    th scope="col" { (m.rc_m_correct) }
                    th scope="col" { (m.rc_m_complete) }
                    th scope="col" { (m.rc_m_clean) }
                    th scope="col" { (m.rc_m_alive) }
                } }
                tbody {
                    @for r in &runs {
                        @let summary = summary_of(r.summary.as_deref());
                        tr data-run=(r.id) {
                            td { a href={ "/reconcile/" (r.id) } { "#" (r.id) } }
                            td { (local_time(&r.created_at)) }
                            td { (kind_label(lang, &r.kind)) }
                            td { (r.file_name) }
                            td { (r.created_by) }
                            td { span class={ "status " (r.status.as_str()) } { (status_label(m, r.status)) } }
                            td { (r.row_count) }
                            @match &summary {
                                Some(s) => {
                                    @for v in [s.measures.correct, s.measures.complete, s.measures.clean, s.measures.alive] {
                                        td.measure { (meter(v)) " " (format!("{v:.1}%")) }
                                    }
                                }
                                None => { td {} td {} td {} td {} }
                            }
                        }
                    }
                }
            }
        }
    };
    let mut response = officer.page(m.nav_reconcile, body);
    *response.status_mut() = status;
    Ok(response)
}

fn meter(percent: f64) -> Markup {
    html! { meter min="0" max="100" low="80" high="95" optimum="100" value=(format!("{percent:.1}")) {} }
}

// ---------------------------------------------------------------------------------------------
// Upload

fn too_large(lang: Lang) -> PageError {
    PageError::new(
        lang,
        StatusCode::PAYLOAD_TOO_LARGE,
        fill(lang.msg().rc_too_large, &[&UPLOAD_LIMIT_MB.to_string()]),
    )
}

pub async fn upload(
    State(state): State<AppState>,
    officer: Officer,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let m = officer.m();
    // Refused before a byte of the body is read: a browser sends the length first.
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > BODY_LIMIT as u64) {
        return Err(too_large(lang));
    }
    let bad_form = || PageError::new(lang, StatusCode::BAD_REQUEST, m.rc_bad_upload);
    let mut multipart = multipart.map_err(|_| bad_form())?;
    let field_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(lang)
        } else {
            bad_form()
        }
    };
    let (mut csrf, mut kind, mut file_name, mut bytes) =
        (String::new(), String::new(), String::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(field_error)? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(field_error)?,
            "kind" => kind = field.text().await.map_err(field_error)?,
            "file" => {
                file_name = field.file_name().unwrap_or_default().to_string();
                bytes = field.bytes().await.map_err(field_error)?.to_vec();
            }
            _ => {}
        }
    }
    officer.check_csrf(&state, &csrf)?;
    officer.require(may_start(officer.role), m.rc_forbidden_start)?;
    let invalid = StatusCode::UNPROCESSABLE_ENTITY;
    let Some(kind) = KINDS.iter().copied().find(|k| *k == kind.trim()) else {
        return runs_view(
            &state,
            &officer,
            "",
            Some(("error", m.rc_bad_kind.into())),
            invalid,
        )
        .await;
    };
    if bytes.len() > UPLOAD_LIMIT {
        return Err(too_large(lang));
    }
    if bytes.is_empty() {
        return runs_view(
            &state,
            &officer,
            kind,
            Some(("error", m.rc_no_file.into())),
            invalid,
        )
        .await;
    }
    // A browser sends the name as the officer's machine knows it; keep the last part only.
    let file_name: String = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let file_name = if file_name.trim().is_empty() {
        "list".to_string()
    } else {
        file_name
    };
    let name = file_name.clone();
    let parsed = tokio::task::spawn_blocking(move || read_list(lang, &name, &bytes))
        .await
        .map_err(|e| PageError::from_api(lang, e.into()))?;
    let (headers, rows) = match parsed {
        Ok(table) => table,
        Err(text) => {
            return runs_view(&state, &officer, kind, Some(("error", text)), invalid).await;
        }
    };
    to_mapping(&state, &officer, kind, file_name, headers, rows)
}

/// Keeps a list read (from an upload, or built from records the commune holds, such as the
/// digitised civil-status entries) for its officer, and sends them to its column mapping.
pub(crate) fn to_mapping(
    state: &AppState,
    officer: &Officer,
    kind: &str,
    file_name: String,
    headers: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
) -> Result<Response, PageError> {
    let token = new_token()
        .map_err(|e| PageError::new(officer.lang, StatusCode::INTERNAL_SERVER_ERROR, e))?;
    state.web.jobs.keep(
        token.clone(),
        Pending {
            session_hash: officer.session_hash.clone(),
            kind: kind.to_string(),
            file_name,
            headers,
            rows,
            at: Instant::now(),
        },
    );
    Ok(Redirect::to(&format!("/reconcile/upload/{token}")).into_response())
}

/// The list's headers and its non-empty rows as text, or what is wrong, in the officer's
/// language.
#[allow(clippy::type_complexity)]
fn read_list(
    lang: Lang,
    file_name: &str,
    bytes: &[u8],
) -> Result<(Vec<String>, Vec<(usize, Vec<String>)>), String> {
    let m = lang.msg();
    let (headers, rows) =
        xaso_tables::open_bytes(file_name, bytes).map_err(|e| fill(m.rc_unreadable, &[&e]))?;
    let mut table = Vec::new();
    for row in rows {
        let (line, cells) = row.map_err(|e| fill(m.rc_bad_row, &[&e.line.to_string(), &e.rule]))?;
        let texts: Vec<String> = cells.iter().map(|c| c.display()).collect();
        if texts.iter().all(|t| t.trim().is_empty()) {
            continue;
        }
        if table.len() >= MAX_ROWS {
            return Err(fill(m.rc_too_many_rows, &[&MAX_ROWS.to_string()]));
        }
        table.push((line, texts));
    }
    if table.is_empty() {
        return Err(m.rc_empty_list.into());
    }
    Ok((headers, table))
}

fn new_token() -> Result<String, String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| e.to_string())?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

// ---------------------------------------------------------------------------------------------
// Column mapping

fn upload_expired(lang: Lang) -> PageError {
    PageError::new(lang, StatusCode::NOT_FOUND, lang.msg().rc_upload_expired)
}

pub async fn mapping_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let suggested = state
        .web
        .jobs
        .with_pending(&token, &officer.session_hash, |p| {
            map_columns(&p.headers, &[]).unwrap_or_default()
        })
        .ok_or_else(|| upload_expired(officer.lang))?;
    let chosen = suggested.clone();
    mapping_view(&state, &officer, &token, &suggested, &chosen, None)
}

fn mapping_view(
    state: &AppState,
    officer: &Officer,
    token: &str,
    suggested: &HashMap<ListField, usize>,
    chosen: &HashMap<ListField, usize>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let m = officer.m();
    let body = state
        .web
        .jobs
        .with_pending(token, &officer.session_hash, |p| {
            let title = fill(m.rc_map_title, &[&p.file_name]);
            let field_of = |i: usize| chosen.iter().find(|(_, c)| **c == i).map(|(f, _)| *f);
            html! {
                h1 { (title) }
                p.muted { (kind_label(lang, &p.kind)) }
                p { (m.rc_map_intro) }
                @if let Some(e) = &error { (notice("error", e)) }
                form.stack method="post" action={ "/reconcile/upload/" (token) } {
                    (officer.csrf_field())
                    table.mapping #mapping {
                        thead { tr { th scope="col" { (m.rc_map_field) } th scope="col" { (m.rc_map_column) } } }
                        tbody {
                            @for f in ListField::ALL {
                                tr {
                                    th scope="row" { label for={ "col-" (f.as_str()) } { (field_label(m, f)) } }
                                    td {
                                        select id={ "col-" (f.as_str()) } name={ "col_" (f.as_str()) } {
                                            option value="" selected[!chosen.contains_key(&f)] { (m.rc_map_none) }
                                            @for (i, h) in p.headers.iter().enumerate() {
                                                option value=(i) selected[chosen.get(&f) == Some(&i)] {
                                                    (h)
                                                    @if suggested.get(&f) == Some(&i) { " (" (m.rc_map_suggested) ")" }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    p { button.primary type="submit" { (m.rc_start) } }
                }
                h2 { (fill(m.rc_map_preview, &[&p.rows.len().to_string()])) }
                div.scroll {
                    table.results.preview {
                        thead {
                            tr {
                                @for (i, h) in p.headers.iter().enumerate() {
                                    th scope="col" {
                                        (h)
                                        @if let Some(f) = field_of(i) { br; span.tag { (field_label(m, f)) } }
                                    }
                                }
                            }
                        }
                        tbody {
                            @for (_, cells) in p.rows.iter().take(5) {
                                tr { @for c in cells { td { (c) } } }
                            }
                        }
                    }
                }
            }
        })
        .ok_or_else(|| upload_expired(lang))?;
    let mut response = officer.page(m.nav_reconcile, body);
    if error.is_some() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

pub async fn start(
    State(state): State<AppState>,
    officer: Officer,
    Path(token): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let lang = officer.lang;
    let m = officer.m();
    officer.require(may_start(officer.role), m.rc_forbidden_start)?;
    let (headers, suggested) = state
        .web
        .jobs
        .with_pending(&token, &officer.session_hash, |p| {
            (
                p.headers.clone(),
                map_columns(&p.headers, &[]).unwrap_or_default(),
            )
        })
        .ok_or_else(|| upload_expired(lang))?;
    let mut chosen: HashMap<ListField, usize> = HashMap::new();
    for f in ListField::ALL {
        let value = form
            .get(&format!("col_{}", f.as_str()))
            .map(|v| v.trim())
            .unwrap_or("");
        if let Ok(i) = value.parse::<usize>() {
            if i < headers.len() {
                chosen.insert(f, i);
            }
        }
    }
    let mut used: HashMap<usize, ListField> = HashMap::new();
    let mut error = None;
    for f in ListField::ALL {
        if let Some(&i) = chosen.get(&f) {
            if used.insert(i, f).is_some() {
                error = Some(fill(m.rc_map_twice, &[&headers[i]]));
            }
        }
    }
    if !chosen.contains_key(&ListField::FullName) && !chosen.contains_key(&ListField::IdNumber) {
        error = Some(m.rc_map_need_name_or_id.into());
    }
    if error.is_some() {
        return mapping_view(&state, &officer, &token, &suggested, &chosen, error);
    }
    let pending = state
        .web
        .jobs
        .take_pending(&token, &officer.session_hash)
        .ok_or_else(|| upload_expired(lang))?;
    let new = NewRun {
        kind: pending.kind.clone(),
        file_name: pending.file_name.clone(),
        created_by: officer.login.clone(),
        row_count: pending.rows.len() as i64,
        columns: columns_json(&chosen),
        headers: pending.headers.clone(),
    };
    let run = blocking(&state, move |s| s.create_run(&new))
        .await
        .or_page(lang)?;
    let mut record = audit_record(
        &officer.principal(),
        "register.reconcile",
        "POST /reconcile/upload/{token}",
        Some(format!("reconcile:{}", run.id)),
    );
    record.reason = Some(format!(
        "{} list {:?}, {} rows",
        run.kind,
        run.file_name,
        pending.rows.len()
    ));
    audited(&state, vec![record]).await.or_page(lang)?;
    let id = run.id;
    spawn_run(state.clone(), run, pending.rows, chosen);
    Ok(Redirect::to(&format!("/reconcile/{id}")).into_response())
}

// ---------------------------------------------------------------------------------------------
// A run: progress, then results

/// A run's stored summary (absent while it runs, or if unreadable).
fn summary_of(json: Option<&str>) -> Option<Summary> {
    json.and_then(|s| serde_json::from_str(s).ok())
}

/// The audit records of a page or file showing register persons of a run: one `action` record
/// on the run itself, then one `reconcile.read` for each person shown, once each. Every one
/// carries `reason`.
fn run_access_records<'a>(
    officer: &Officer,
    id: i64,
    action: &str,
    route: &str,
    reason: &str,
    people: impl IntoIterator<Item = &'a str>,
) -> Vec<AuditRecord> {
    let principal = officer.principal();
    let record = |action: &str, subject: String| {
        let mut r = audit_record(&principal, action, route, Some(subject));
        r.reason = Some(reason.to_string());
        r
    };
    let mut records = vec![record(action, format!("reconcile:{id}"))];
    let mut seen = std::collections::HashSet::new();
    for p in people {
        if seen.insert(p) {
            records.push(record("reconcile.read", p.to_string()));
        }
    }
    records
}

fn parse_run_id(lang: Lang, raw: &str) -> Result<i64, PageError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| PageError::new(lang, StatusCode::NOT_FOUND, lang.msg().rc_run_not_found))
}

async fn load_run(state: &AppState, lang: Lang, id: i64) -> Result<ReconcileRun, PageError> {
    read(state, move |s| s.get_run(id))
        .await
        .or_page(lang)?
        .ok_or_else(|| PageError::new(lang, StatusCode::NOT_FOUND, lang.msg().rc_run_not_found))
}

fn error_text(m: &Messages, error: &str) -> String {
    match error {
        ERR_REGISTER_EMPTY => m.rc_err_register_empty.into(),
        ERR_INTERRUPTED => m.rc_err_interrupted.into(),
        other => fill(
            m.rc_err_internal,
            &[other.strip_prefix("internal: ").unwrap_or(other)],
        ),
    }
}

fn run_meta(officer: &Officer, run: &ReconcileRun) -> Markup {
    let m = officer.m();
    html! {
        p.muted {
            (fill(m.rc_run_meta, &[
                &run.file_name,
                kind_label(officer.lang, &run.kind),
                &run.row_count.to_string(),
                &run.created_by,
                &local_time(&run.created_at),
            ]))
        }
    }
}

/// The queue: undecided probable matches, then undecided matches whose values need
/// correcting.
fn queue_filter(outcome: Outcome, after_row: Option<i64>, limit: usize) -> RowFilter {
    RowFilter {
        outcomes: vec![outcome.code().to_string()],
        undecided: true,
        after_row,
        offset: 0,
        limit,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RunQuery {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    page: usize,
}

pub async fn run_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(raw): Path<String>,
    Query(q): Query<RunQuery>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let m = officer.m();
    let id = parse_run_id(lang, &raw)?;
    let run = load_run(&state, lang, id).await?;
    let title = fill(m.rc_run_title, &[&id.to_string()]);
    if run.status.is_unfinished() {
        let progress = state.web.jobs.progress_of(id);
        let body = html! {
            // Reloads itself until the run is over (a meta refresh: the pages need no script).
            meta http-equiv="refresh" content="2";
            h1 { (title) }
            (run_meta(&officer, &run))
            section.sheet #progress {
                h2 { (m.rc_progress) }
                @match (&progress, run.status) {
                    (Some(p), RunStatus::Running) => {
                        @let pct = percent(p);
                        p { label for="run-progress" { (stage_label(m, p.stage)) } }
                        progress #run-progress max="100" value=(pct) { (pct) "%" }
                        p.count { (pct) "%" }
                    }
                    _ => {
                        p { (m.rc_queued_note) }
                        progress #run-progress max="100" {}
                    }
                }
                p.muted { (m.rc_refresh_note) }
            }
        };
        return Ok(officer.page(&title, body));
    }
    if run.status == RunStatus::Failed {
        let error = error_text(m, run.error.as_deref().unwrap_or(""));
        let body = html! {
            h1 { (title) }
            (run_meta(&officer, &run))
            (notice("error", &fill(m.rc_failed, &[&error])))
            p { a href="/reconcile" { (m.nav_reconcile) } }
        };
        return Ok(officer.page(&title, body));
    }
    let outcome = outcome_of(&q.outcome);
    let page = q.page.max(1);
    let filter = RowFilter {
        outcomes: outcome
            .map(|o| vec![o.code().to_string()])
            .unwrap_or_default(),
        undecided: false,
        after_row: None,
        offset: (page - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    };
    let (counts, total_shown, rows, waiting, decisions) = read(&state, move |s| {
        let counts = s.run_outcome_counts(id)?;
        let total = s.count_run_rows(id, &filter)?;
        let rows = s.list_run_rows(id, &filter)?;
        let waiting = s.count_run_rows(id, &queue_filter(Outcome::Review, None, 0))?
            + s.count_run_rows(id, &queue_filter(Outcome::MatchedWithCorrections, None, 0))?;
        let decisions = s
            .list_decisions(&DecisionFilter {
                run_id: Some(id),
                kind: None,
                limit: 1_000_000,
            })?
            .len();
        Ok((counts, total, rows, waiting, decisions))
    })
    .await
    .or_page(lang)?;
    // Every register person on this page is an access to their record.
    let reason = format!("reconcile run {id} ({})", run.kind);
    let records = run_access_records(
        &officer,
        id,
        "reconcile.view",
        "GET /reconcile/{id}",
        &reason,
        rows.iter().filter_map(|r| r.personal_id.as_deref()),
    );
    audited(&state, records).await.or_page(lang)?;

    let summary = summary_of(run.summary.as_deref()).unwrap_or_default();
    let count_map: HashMap<String, u64> = counts.into_iter().collect();
    let count = |o: Outcome| count_map.get(o.code()).copied().unwrap_or(0);
    let total: u64 = count_map.values().sum();
    let live = measures(count, summary.complete_rows, total);
    let pages = (total_shown as usize).div_ceil(PAGE_SIZE).max(1);
    let h = &state.web.handles;
    let link = |o: Option<Outcome>, page: usize| {
        let mut href = format!("/reconcile/{id}?page={page}");
        if let Some(o) = o {
            href.push_str(&format!("&outcome={}", o.code()));
        }
        href
    };
    let measure_rows = [
        (m.rc_m_correct, m.rc_m_correct_hint, live.correct, "correct"),
        (
            m.rc_m_complete,
            m.rc_m_complete_hint,
            live.complete,
            "complete",
        ),
        (m.rc_m_clean, m.rc_m_clean_hint, live.clean, "clean"),
        (m.rc_m_alive, m.rc_m_alive_hint, live.alive, "alive"),
    ];
    let body = html! {
        div.titlebar {
            h1 { (title) }
            div.actions.no-print {
                a.button href={ "/reconcile/" (id) "/report.xlsx" } download { (m.rc_download) }
                a.button.primary href={ "/reconcile/" (id) "/review" } { (fill(m.rc_open_review, &[&waiting.to_string()])) }
            }
        }
        (run_meta(&officer, &run))
        @if summary.feedback_applied > 0 {
            (notice("info", &fill(m.rc_feedback_applied, &[&summary.feedback_applied.to_string()])))
        }
        div.summary-grid {
            section.sheet #outcomes {
                h2 { (m.rc_summary) }
                table.counts {
                    tbody {
                        @for o in Outcome::ALL {
                            tr class=(outcome_class(o.code())) data-outcome=(o.code()) {
                                th scope="row" {
                                    span class={ "swatch " (outcome_class(o.code())) } {}
                                    a href=(link(Some(o), 1)) { (outcome_label(m, o)) }
                                }
                                td.num { (count(o)) }
                            }
                        }
                    }
                }
            }
            section.sheet #measures {
                h2 { (m.rc_measures) }
                dl.measures {
                    @for (label, hint, value, code) in measure_rows {
                        dt data-measure=(code) { (label) " " small { (hint) } }
                        dd { (meter(value)) " " strong { (format!("{value:.1}%")) } }
                    }
                }
                @if decisions > 0 {
                    p.muted { (fill(m.rc_after_decisions, &[&decisions.to_string()])) }
                }
            }
        }
        h2 { (m.rc_filter) }
        nav.outcome-filter.no-print {
            a href=(link(None, 1)) aria-current=[outcome.is_none().then_some("true")] { (m.rc_all_outcomes) " (" (total) ")" }
            @for o in Outcome::ALL {
                @if count(o) > 0 {
                    a class=(outcome_class(o.code())) href=(link(Some(o), 1)) aria-current=[(outcome == Some(o)).then_some("true")] {
                        (outcome_label(m, o)) " (" (count(o)) ")"
                    }
                }
            }
        }
        @if rows.is_empty() {
            p.muted { (m.rc_no_rows) }
        } @else {
            (rows_table(&officer, &run, &rows, h))
            @if pages > 1 {
                nav.pager.no-print {
                    @if page > 1 { a href=(link(outcome, page - 1)) { (m.rc_prev) } }
                    span { (fill(m.rc_page, &[&page.to_string(), &pages.to_string()])) }
                    @if page < pages { a href=(link(outcome, page + 1)) { (m.rc_next) } }
                }
            }
        }
    };
    Ok(officer.page(&title, body))
}

fn rows_table(
    officer: &Officer,
    run: &ReconcileRun,
    rows: &[ReconcileRow],
    h: &crate::handle::Handles,
) -> Markup {
    let m = officer.m();
    let columns = parse_columns(&run.columns);
    let name_col = columns.get(&ListField::FullName).copied();
    html! {
        table.results.rows #rows {
            thead { tr {
                th scope="col" { (m.rc_col_row) }
                th scope="col" { (m.rc_col_outcome) }
                th scope="col" { (m.rc_col_list_name) }
                th scope="col" { (m.rc_col_register) }
                th scope="col" { (m.rc_col_weight) }
                th scope="col" { (m.rc_col_probability) }
                th scope="col" { (m.rc_col_differences) }
            } }
            tbody {
                @for r in rows {
                    tr class=(outcome_class(&r.outcome)) data-row=(r.row) data-outcome=(r.outcome) {
                        td.num {
                            a href={ "/reconcile/" (run.id) "/review?row=" (r.row) } title=(m.rc_review_row) { (r.row) }
                        }
                        td {
                            (outcome_text(m, &r.outcome))
                            @if let Some(d) = &r.decision { br; small { (fill(m.rc_decided, &[decision_label(m, d)])) } }
                        }
                        td { (name_col.and_then(|i| r.cells.get(i)).cloned().unwrap_or_default()) }
                        td.mono {
                            @if let Some(p) = &r.personal_id {
                                @match PersonalId::parse(p) {
                                    Ok(pid) => a href=(person_href(h, &pid)) { (p) },
                                    Err(_) => (p),
                                }
                            }
                        }
                        td.num { (r.weight.map(|w| format!("{w:.1}")).unwrap_or_default()) }
                        td.num { (r.probability.map(|p| format!("{p:.3}")).unwrap_or_default()) }
                        td.diffs { (r.differences.join("; ")) }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The report

/// The same workbook as `xaso reconcile --out report.xlsx`, with the rows as they stand after
/// the review decisions.
fn report_sheets(
    run: &ReconcileRun,
    rows: &[ReconcileRow],
    names: &HashMap<String, String>,
    live: &Measures,
) -> [Sheet; 2] {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for r in rows {
        *counts.entry(r.outcome.as_str()).or_default() += 1;
    }
    let lines = rows.iter().filter_map(|r| {
        let person = r.personal_id.clone().unwrap_or_default();
        Some(ReportLine {
            cells: r.cells.clone(),
            outcome: outcome_of(&r.outcome)?,
            full_name: names.get(&person).cloned().unwrap_or_default(),
            personal_id: person,
            weight: r.weight,
            probability: r.probability,
            differences: r.differences.join("; "),
        })
    });
    report::workbook(
        &run.headers,
        lines,
        |o| counts.get(o.code()).copied().unwrap_or(0),
        live,
    )
}

pub async fn report(
    State(state): State<AppState>,
    officer: Officer,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let m = officer.m();
    let id = parse_run_id(lang, &raw)?;
    let run = load_run(&state, lang, id).await?;
    if run.status != RunStatus::Done {
        return Err(PageError::new(lang, StatusCode::CONFLICT, m.rc_not_done));
    }
    let lookup = run.clone();
    let (rows, names) = blocking(&state, move |s| {
        let rows = s.list_run_rows(
            lookup.id,
            &RowFilter {
                limit: usize::MAX >> 1,
                ..RowFilter::default()
            },
        )?;
        let mut names: HashMap<String, String> = HashMap::new();
        for r in &rows {
            if let Some(p) = &r.personal_id {
                if names.contains_key(p) {
                    continue;
                }
                if let Ok(pid) = PersonalId::parse(p) {
                    if let Some(found) = s.get_person(&pid)? {
                        names.insert(p.clone(), found.person.full_name);
                    }
                }
            }
        }
        Ok((rows, names))
    })
    .await
    .or_page(lang)?;
    // The report holds every matched person's ID and name: each is an access.
    let reason = format!("reconcile run {id} ({}): report", run.kind);
    let mut people: Vec<&String> = names.keys().collect();
    people.sort();
    let records = run_access_records(
        &officer,
        id,
        "reconcile.download",
        "GET /reconcile/{id}/report.xlsx",
        &reason,
        people.into_iter().map(String::as_str),
    );
    audited(&state, records).await.or_page(lang)?;
    let summary = summary_of(run.summary.as_deref()).unwrap_or_default();
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for r in &rows {
        *counts.entry(r.outcome.as_str()).or_default() += 1;
    }
    let live = measures(
        |o| counts.get(o.code()).copied().unwrap_or(0),
        summary.complete_rows,
        rows.len() as u64,
    );
    let sheets = report_sheets(&run, &rows, &names, &live);
    let bytes = tokio::task::spawn_blocking(move || xlsx::to_bytes(&sheets))
        .await
        .map_err(|e| PageError::from_api(lang, e.into()))?
        .map_err(|e| PageError::from_api(lang, crate::error::ApiError::Internal(e)))?;
    let file = format!("doi-chieu-{id}-{}.xlsx", run.kind);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{file}\""))
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// The review queue

#[derive(Debug, Default, Deserialize)]
pub struct ReviewQuery {
    /// A row to show (else the first of the queue).
    row: Option<i64>,
    /// The row just decided (for the notice).
    done: Option<i64>,
}

pub async fn review_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(raw): Path<String>,
    Query(q): Query<ReviewQuery>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let id = parse_run_id(lang, &raw)?;
    let run = load_run(&state, lang, id).await?;
    let message = q
        .done
        .map(|r| ("ok", fill(officer.m().rc_decision_saved, &[&r.to_string()])));
    review_view(&state, &officer, &run, q.row, message, StatusCode::OK).await
}

/// The rows waiting: (probable matches, matches to correct), and the next one after `row`.
async fn queue_state(
    state: &AppState,
    lang: Lang,
    id: i64,
    current: Option<&ReconcileRow>,
) -> Result<(u64, u64, Option<ReconcileRow>), PageError> {
    let (after, outcome) = match current {
        Some(r) if r.decision.is_none() => (Some(r.row), outcome_of(&r.outcome)),
        _ => (None, None),
    };
    read(state, move |s| {
        let review = s.count_run_rows(id, &queue_filter(Outcome::Review, None, 0))?;
        let corrections =
            s.count_run_rows(id, &queue_filter(Outcome::MatchedWithCorrections, None, 0))?;
        let first = |o: Outcome, after: Option<i64>| -> xaso_store::Result<Option<ReconcileRow>> {
            Ok(s.list_run_rows(id, &queue_filter(o, after, 1))?
                .into_iter()
                .next())
        };
        let next = match outcome {
            Some(Outcome::Review) => match first(Outcome::Review, after)? {
                Some(r) => Some(r),
                None => first(Outcome::MatchedWithCorrections, None)?,
            },
            Some(Outcome::MatchedWithCorrections) => first(Outcome::MatchedWithCorrections, after)?,
            _ => match first(Outcome::Review, None)? {
                Some(r) => Some(r),
                None => first(Outcome::MatchedWithCorrections, None)?,
            },
        };
        Ok((review, corrections, next))
    })
    .await
    .or_page(lang)
}

async fn review_view(
    state: &AppState,
    officer: &Officer,
    run: &ReconcileRun,
    row: Option<i64>,
    message: Option<(&str, String)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    let m = officer.m();
    let id = run.id;
    if run.status != RunStatus::Done {
        return Err(PageError::new(lang, StatusCode::CONFLICT, m.rc_not_done));
    }
    let current = match row {
        Some(r) => Some(
            read(state, move |s| s.get_run_row(id, r))
                .await
                .or_page(lang)?
                .ok_or_else(|| PageError::new(lang, StatusCode::NOT_FOUND, m.rc_row_not_found))?,
        ),
        None => None,
    };
    let (review, corrections, next) = queue_state(state, lang, id, current.as_ref()).await?;
    let shown = match current {
        Some(r) => Some(r),
        None => next.clone(),
    };
    let next = match (&shown, row) {
        // The queue's first row is shown: "next" is the one after it.
        (Some(s), None) => queue_state(state, lang, id, Some(s)).await?.2,
        _ => next,
    };
    let waiting = review + corrections;
    let Some(shown) = shown else {
        let body = html! {
            h1 { (fill(m.rc_run_title, &[&id.to_string()])) }
            (run_meta(officer, run))
            @if let Some((k, text)) = &message { (notice(k, text)) }
            (notice("info", m.rc_review_empty))
            p { a.button href={ "/reconcile/" (id) } { (m.rc_back_to_run) } }
        };
        let mut response = officer.page(m.nav_reconcile, body);
        *response.status_mut() = status;
        return Ok(response);
    };

    // The register's side: the row's person, the proposal and the runner-up.
    let best = shown.best.clone();
    let runner = shown.runner_up.clone();
    let current_id = shown.personal_id.clone();
    let ids: Vec<String> = [
        current_id.clone(),
        best.as_ref().map(|c| c.personal_id.clone()),
        runner.as_ref().map(|c| c.personal_id.clone()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let lookup = ids.clone();
    let people: HashMap<String, Person> = read(state, move |s| {
        let mut out = HashMap::new();
        for p in lookup {
            if let Ok(pid) = PersonalId::parse(&p) {
                if let Some(found) = s.get_person(&pid)? {
                    out.insert(p, found.person);
                }
            }
        }
        Ok(out)
    })
    .await
    .or_page(lang)?;
    let reason = format!(
        "reconcile run {id} ({}): review of row {}",
        run.kind, shown.row
    );
    let records = run_access_records(
        officer,
        id,
        "reconcile.view",
        "GET /reconcile/{id}/review",
        &reason,
        ids.iter().map(String::as_str),
    );
    audited(state, records).await.or_page(lang)?;
    let last_decision = if shown.decision.is_some() {
        read(state, move |s| {
            s.list_decisions(&DecisionFilter {
                run_id: Some(id),
                kind: None,
                limit: 1_000_000,
            })
        })
        .await
        .or_page(lang)?
        .into_iter()
        .find(|d| d.row == shown.row)
    } else {
        None
    };

    let columns = parse_columns(&run.columns);
    let record = record_of(shown.row as usize, &shown.cells, &columns);
    // The proposal is the row's person if it has one (a decision may have changed it).
    let proposal: Option<(String, CandidateDetail)> = match (&current_id, &best) {
        (Some(p), Some(b)) if *p == b.personal_id => Some((p.clone(), parse_detail(b))),
        (Some(p), _) => Some((p.clone(), CandidateDetail::default())),
        (None, Some(b)) => Some((b.personal_id.clone(), parse_detail(b))),
        (None, None) => None,
    };
    let runner: Option<(String, CandidateDetail)> = runner
        .as_ref()
        .filter(|r| proposal.as_ref().is_none_or(|(p, _)| *p != r.personal_id))
        .map(|r| (r.personal_id.clone(), parse_detail(r)))
        .or_else(|| {
            // When a decision moved the row to another person, the engine's proposal becomes
            // the second column.
            best.as_ref()
                .filter(|b| proposal.as_ref().is_some_and(|(p, _)| *p != b.personal_id))
                .map(|b| (b.personal_id.clone(), parse_detail(b)))
        });
    let h = &state.web.handles;
    let decide = may_decide(officer.role, &run.kind);
    let title = fill(
        m.rc_review_title,
        &[&shown.row.to_string(), &id.to_string()],
    );
    let body = html! {
        div.titlebar {
            h1 { (title) }
            div.actions.no-print {
                a.button href={ "/reconcile/" (id) } { (m.rc_back_to_run) }
                @if let Some(n) = &next {
                    a.button href={ "/reconcile/" (id) "/review?row=" (n.row) } { (m.rc_next_row) }
                }
            }
        }
        (run_meta(officer, run))
        @if let Some((k, text)) = &message { (notice(k, text)) }
        p.count { (fill(m.rc_review_left, &[&waiting.to_string(), &review.to_string(), &corrections.to_string()])) }
        @if let Some(d) = &last_decision {
            (notice("info", &fill(m.rc_decided_before, &[decision_label(m, d.decision.as_str()), &d.officer, &local_time(&d.at)])))
        }
        p {
            span class={ "outcome-tag " (outcome_class(&shown.outcome)) } { (outcome_text(m, &shown.outcome)) }
            @if let Some((_, d)) = &proposal {
                @if !d.fields.is_empty() {
                    " " (fill(m.rc_probability_of, &[&format!("{:.3}", d.probability)]))
                }
            }
        }
        (side_by_side(officer, &record, &people, proposal.as_ref(), runner.as_ref(), h))
        @if decide {
            // Two forms, so that Enter in the ID box chooses that person and never accepts
            // the proposal; notes are text areas, where Enter is a new line.
            div.decide.no-print #decide {
                @if proposal.is_some() {
                    form.stack method="post" action={ "/reconcile/" (id) "/review/" (shown.row) } {
                        (officer.csrf_field())
                        p {
                            label for="note" { (m.rc_note) }
                            textarea #note name="note" rows="2" maxlength="500" {}
                        }
                        p.actions {
                            button.primary #accept type="submit" name="decision" value="accept" { (m.rc_accept) }
                            button #reject type="submit" name="decision" value="reject" { (m.rc_reject) }
                        }
                    }
                }
                form.stack #correct-form method="post" action={ "/reconcile/" (id) "/review/" (shown.row) } {
                    (officer.csrf_field())
                    input type="hidden" name="decision" value="correct";
                    p {
                        label for="other-id" { (m.rc_correct_label) }
                        span.row-inline {
                            input #other-id name="personal_id" inputmode="numeric" autocomplete="off" required pattern="[0-9 ]{12,14}" placeholder="001090000004";
                            button #correct type="submit" { (m.rc_correct) }
                        }
                    }
                    p {
                        label for="correct-note" { (m.rc_note) }
                        textarea #correct-note name="note" rows="1" maxlength="500" {}
                    }
                }
            }
        } @else {
            (notice("info", &fill(m.rc_who_decides, &[lang.role(sector_role(&run.kind))])))
        }
        @if let Some((_, d)) = &proposal {
            @if !d.fields.is_empty() {
                (weights_table(m, d, runner.as_ref().map(|(_, r)| r)))
            }
        }
        @if !shown.differences.is_empty() {
            h2 { (m.rc_col_differences) }
            ul.changes { @for d in &shown.differences { li { (d) } } }
        }
    };
    let mut response = officer.page(&title, body);
    *response.status_mut() = status;
    Ok(response)
}

/// The list's values beside the register's, each register value marked by how it compares.
fn side_by_side(
    officer: &Officer,
    record: &ListRecord,
    people: &HashMap<String, Person>,
    proposal: Option<&(String, CandidateDetail)>,
    runner: Option<&(String, CandidateDetail)>,
    h: &crate::handle::Handles,
) -> Markup {
    let m = officer.m();
    let none = String::new();
    let list = |v: &Option<String>| v.clone().unwrap_or_default();
    // (label, list value, register value of a person, engine fields compared)
    type Getter = fn(&Messages, &Person) -> String;
    let rows: [(&str, String, Getter, &[&str]); 6] = [
        (
            m.lf_name,
            list(&record.full_name),
            |_, p| p.full_name.clone(),
            &["family", "middle", "given"],
        ),
        (
            m.lf_dob,
            list(&record.date_of_birth),
            |_, p| date_text(p.date_of_birth.as_ref()),
            &["date_of_birth"],
        ),
        (
            m.lf_sex,
            list(&record.sex),
            |m, p| sex_text(m, p.sex).to_string(),
            &["sex"],
        ),
        (
            m.lf_id,
            list(&record.id_number),
            |_, p| match &p.old_cmnd {
                Some(c) => format!("{} (CMND {c})", p.personal_id),
                None => p.personal_id.to_string(),
            },
            &["id"],
        ),
        (
            m.lf_village,
            list(&record.village),
            |_, p| p.permanent_address.detail.clone().unwrap_or_default(),
            &["village"],
        ),
        (
            m.lf_phone,
            list(&record.phone),
            |_, _| String::new(),
            &["phone"],
        ),
    ];
    let shown_rows = rows
        .iter()
        .filter(|(_, value, _, fields)| fields[0] != "phone" || !value.is_empty());
    let class_of = |d: &CandidateDetail, fields: &[&str]| -> &'static str {
        let classes: Vec<&str> = d
            .fields
            .iter()
            .filter(|f| fields.contains(&f.field.as_str()))
            .map(|f| level_class(&f.level))
            .collect();
        if classes.is_empty() {
            ""
        } else if classes.contains(&"differs") {
            "differs"
        } else if classes.contains(&"equivalent") {
            "equivalent"
        } else if classes.contains(&"same") {
            "same"
        } else {
            "one-side"
        }
    };
    // A name the engine finds the same but written otherwise (without tones, say) is shown
    // as equivalent: the list still needs correcting.
    let refine = |class: &'static str, fields: &[&str], list: &str, register: &str| {
        if class == "same" && fields.contains(&"given") && list.trim() != register.trim() {
            "equivalent"
        } else {
            class
        }
    };
    let head = |c: Option<&(String, CandidateDetail)>, label: &str| {
        html! {
            th scope="col" {
                (label)
                @if let Some((p, _)) = c {
                    br;
                    @match (PersonalId::parse(p), people.contains_key(p)) {
                        (Ok(pid), true) => a.mono href=(person_href(h, &pid)) { (p) },
                        _ => { span.mono { (p) } " " small { (m.rc_register_gone) } },
                    }
                }
            }
        }
    };
    html! {
        table.compare.side #side-by-side {
            thead { tr {
                th scope="col" { (m.desk_field) }
                th scope="col" { (m.rc_side_list) }
                (head(proposal, m.rc_side_best))
                @if runner.is_some() { (head(runner, m.rc_side_runner)) }
            } }
            tbody {
                @for (label, value, get, fields) in shown_rows {
                    tr data-field=(fields.join(" ")) {
                        th scope="row" { (label) }
                        td { (value) }
                        @for (i, side) in [proposal, runner].into_iter().enumerate() {
                            @match side.map(|(p, d)| (d, people.get(p))) {
                                Some((c, Some(p))) => {
                                    @let shown = get(m, p);
                                    td class=(refine(class_of(c, fields), fields, value, &shown)) { (shown) }
                                }
                                // The proposal's column is always there; the runner-up's only when there is one.
                                _ if i == 0 => td { (none) },
                                Some(_) => td { (none) },
                                None => {}
                            }
                        }
                    }
                }
            }
        }
    }
}

fn weights_table(m: &Messages, best: &CandidateDetail, runner: Option<&CandidateDetail>) -> Markup {
    let runner_field = |f: &str| runner.and_then(|r| r.fields.iter().find(|x| x.field == f));
    html! {
        h2 { (m.rc_weights) }
        table.weights #weights {
            thead {
                tr {
                    th scope="col" { (m.rc_map_field) }
                    th scope="col" { (m.rc_side_best) ": " (m.rc_level) }
                    th scope="col" { (m.rc_col_weight) }
                    @if runner.is_some() {
                        th scope="col" { (m.rc_side_runner) ": " (m.rc_level) }
                        th scope="col" { (m.rc_col_weight) }
                    }
                }
            }
            tbody {
                @for f in &best.fields {
                    tr data-field=(f.field) {
                        th scope="row" { (weight_field_label(m, &f.field)) }
                        td class=(level_class(&f.level)) { (level_label(m, &f.level)) }
                        td.num { (signed(f.weight)) }
                        @if runner.is_some() {
                            @match runner_field(&f.field) {
                                Some(r) => {
                                    td class=(level_class(&r.level)) { (level_label(m, &r.level)) }
                                    td.num { (signed(r.weight)) }
                                }
                                None => { td {} td {} }
                            }
                        }
                    }
                }
            }
            tfoot {
                tr {
                    th scope="row" colspan="2" { (m.rc_weight_total) }
                    td.num { strong { (signed(best.weight)) } }
                    @if let Some(r) = runner {
                        td {}
                        td.num { strong { (signed(r.weight)) } }
                    }
                }
                tr {
                    th scope="row" colspan="2" { (m.rc_col_probability) }
                    td.num { (format!("{:.3}", best.probability)) }
                    @if let Some(r) = runner {
                        td {}
                        td.num { (format!("{:.3}", r.probability)) }
                    }
                }
            }
        }
    }
}

fn signed(w: f64) -> Markup {
    // A minus sign, not a hyphen; nothing is "−0.00".
    let text = if w <= -0.005 {
        format!("\u{2212}{:.2}", -w)
    } else if w >= 0.005 {
        format!("+{w:.2}")
    } else {
        "0.00".to_string()
    };
    html! { (text) }
}

#[derive(Debug, Default, Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    personal_id: String,
    #[serde(default)]
    note: String,
}

pub async fn decide(
    State(state): State<AppState>,
    officer: Officer,
    Path((raw, row)): Path<(String, String)>,
    Form(form): Form<DecideForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    let lang = officer.lang;
    let m = officer.m();
    let id = parse_run_id(lang, &raw)?;
    let run = load_run(&state, lang, id).await?;
    officer.require(
        may_decide(officer.role, &run.kind),
        &fill(m.rc_forbidden_decide, &[kind_label(lang, &run.kind)]),
    )?;
    if run.status != RunStatus::Done {
        return Err(PageError::new(lang, StatusCode::CONFLICT, m.rc_not_done));
    }
    let row: i64 = row
        .parse()
        .map_err(|_| PageError::new(lang, StatusCode::NOT_FOUND, m.rc_row_not_found))?;
    let stored = read(&state, move |s| s.get_run_row(id, row))
        .await
        .or_page(lang)?
        .ok_or_else(|| PageError::new(lang, StatusCode::NOT_FOUND, m.rc_row_not_found))?;
    let invalid = StatusCode::UNPROCESSABLE_ENTITY;
    let refuse = |text: String| async {
        review_view(
            &state,
            &officer,
            &run,
            Some(row),
            Some(("error", text)),
            invalid,
        )
        .await
    };
    let Some(decision) = ReviewDecision::parse(&form.decision) else {
        return refuse(m.rc_bad_decision.into()).await;
    };
    let proposed = stored
        .personal_id
        .clone()
        .or_else(|| stored.best.as_ref().map(|b| b.personal_id.clone()));
    let person_id = match decision {
        ReviewDecision::Accept | ReviewDecision::Reject => match &proposed {
            Some(p) => p.clone(),
            None => return refuse(m.rc_no_candidate.into()).await,
        },
        ReviewDecision::Correct => {
            let typed: String = form
                .personal_id
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if typed.is_empty() {
                return refuse(m.rc_correct_missing.into()).await;
            }
            match PersonalId::parse(&typed) {
                Ok(p) => p.to_string(),
                Err(e) => {
                    return refuse(fill(m.bad_id, &[lang.pick(&e.to_string(), &e.vi())])).await
                }
            }
        }
    };
    let note: String = form.note.trim().chars().take(500).collect();
    let note = Some(note).filter(|n| !n.is_empty());
    // The row as the decision leaves it: linked to the person (matched, with corrections,
    // deceased or moved away, as the engine would say), or in the register no more.
    let lookup = person_id.clone();
    let (person, commune_code) = read(&state, move |s| {
        let person = match PersonalId::parse(&lookup) {
            Ok(pid) => s.get_person(&pid)?.map(|p| p.person),
            Err(_) => None,
        };
        Ok((person, s.get_meta("commune_code")?))
    })
    .await
    .or_page(lang)?;
    let resolution = match decision {
        ReviewDecision::Reject => RowResolution {
            outcome: Outcome::NotInRegister.code().to_string(),
            personal_id: None,
            differences: Vec::new(),
        },
        ReviewDecision::Accept | ReviewDecision::Correct => {
            let Some(person) = person else {
                return refuse(fill(m.rc_correct_unknown, &[&person_id])).await;
            };
            let columns = parse_columns(&run.columns);
            let record = record_of(stored.row as usize, &stored.cells, &columns);
            let (outcome, differences) =
                linked_outcome(&record, &[person], 0, commune_code.as_deref());
            RowResolution {
                outcome: outcome.code().to_string(),
                personal_id: Some(person_id.clone()),
                differences,
            }
        }
    };
    let new = NewDecision {
        run_id: id,
        row,
        decision,
        personal_id: Some(person_id.clone()),
        officer: officer.login.clone(),
        note: note.clone(),
    };
    blocking(&state, move |s| s.record_decision(&new, &resolution))
        .await
        .or_page(lang)?;
    let mut record = audit_record(
        &officer.principal(),
        "reconcile.decide",
        "POST /reconcile/{id}/review/{row}",
        Some(person_id),
    );
    record.reason = Some(match &note {
        Some(n) => format!("reconcile run {id} row {row}: {} ({n})", decision.as_str()),
        None => format!("reconcile run {id} row {row}: {}", decision.as_str()),
    });
    audited(&state, vec![record]).await.or_page(lang)?;
    Ok(Redirect::to(&format!("/reconcile/{id}/review?done={row}")).into_response())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use xaso_domain::date::PartialDate;

    fn person(id: &str, name: &str, dob: &str, sex: Sex, village: &str) -> Person {
        let mut p = Person::new(PersonalId::parse(id).unwrap(), name);
        p.date_of_birth = Some(PartialDate::parse(dob).unwrap());
        p.sex = Some(sex);
        p.permanent_address.detail = Some(village.into());
        p.permanent_address.commune_code = Some("16309".into());
        p
    }

    #[test]
    fn the_measures_are_the_engines() {
        let register = vec![
            person(
                "038075000001",
                "Nguyễn Văn Hùng",
                "12/05/1975",
                Sex::Male,
                "Thôn 3",
            ),
            person(
                "038177000002",
                "Lê Thị Hoà",
                "03/04/1977",
                Sex::Female,
                "Thôn 3",
            ),
            person(
                "038205000003",
                "Nguyễn Thị Thuý",
                "01/09/2005",
                Sex::Female,
                "Thôn 3",
            ),
            person(
                "001190000004",
                "Trần Đức Hoà",
                "15/03/1990",
                Sex::Male,
                "Tổ 5",
            ),
        ];
        let linker = Linker::with_threads(register, 1);
        let rec = |row: usize, name: &str, dob: &str, id: Option<&str>| ListRecord {
            row,
            full_name: Some(name.into()),
            date_of_birth: Some(dob.into()),
            id_number: id.map(String::from),
            ..ListRecord::default()
        };
        let records = vec![
            rec(2, "Nguyễn Văn Hùng", "12/05/1975", Some("038075000001")),
            rec(3, "Lê Thị Hòa", "03/04/1977", None),
            rec(4, "Phạm Văn Khánh", "1960", None),
            rec(5, "Nguyễn Văn Hùng", "12/05/1975", Some("038075000001")),
        ];
        let result = reconcile::reconcile(
            &linker,
            &records,
            Some("16309"),
            &LinkOptions::default(),
            &xaso_linkage::engine::no_progress,
        );
        let complete = records
            .iter()
            .filter(|r| r.full_name.is_some() && r.date_of_birth.is_some() && r.id_number.is_some())
            .count() as u64;
        let ours = measures(|o| result.count(o) as u64, complete, records.len() as u64);
        let theirs = result.measures;
        assert_eq!(
            (ours.correct, ours.complete, ours.clean, ours.alive),
            (theirs.correct, theirs.complete, theirs.clean, theirs.alive)
        );
    }

    #[test]
    fn row_keys_ignore_how_a_value_is_written_but_not_what_it_says() {
        let a = ListRecord {
            row: 2,
            full_name: Some("Nguyễn Thị Thuý".into()),
            date_of_birth: Some(" 01/09/2005".into()),
            sex: Some("Nữ".into()),
            id_number: Some("038 205 000 003".into()),
            ..ListRecord::default()
        };
        let mut b = a.clone();
        b.row = 9;
        b.full_name = Some("NGUYỄN THỊ THÚY".into());
        b.sex = Some("nu".into());
        b.id_number = Some("038205000003".into());
        assert_eq!(row_key(&a), row_key(&b));
        let mut c = a.clone();
        c.date_of_birth = Some("02/09/2005".into());
        assert_ne!(row_key(&a), row_key(&c));
        assert_eq!(row_key(&a).len(), 32);
    }

    #[test]
    fn deciders_are_the_keepers_of_the_register_and_of_the_list() {
        assert!(may_decide(Role::Labour, "welfare"));
        assert!(!may_decide(Role::Labour, "land"));
        assert!(may_decide(Role::Land, "land"));
        assert!(may_decide(Role::Justice, "civil-status"));
        assert!(may_decide(Role::Desk, "school") && may_decide(Role::Desk, "other"));
        assert!(!may_decide(Role::Desk, "welfare"));
        assert!(may_decide(Role::Admin, "sim") && may_decide(Role::Police, "land"));
        assert!(!may_decide(Role::Leader, "welfare") && !may_decide(Role::ReadOnly, "other"));
        assert!(may_start(Role::Leader) && !may_start(Role::ReadOnly));
    }

    #[test]
    fn progress_counts_up_through_the_stages() {
        let p = |stage, done, total| percent(&Progress { stage, done, total });
        assert_eq!(p("register", 0, 0), 0);
        assert!(p("blocking", 5, 10) > p("standardise", 10, 10));
        assert_eq!(p("save", 10, 10), 100);
        // Every stage the engine reports has a label.
        for s in STAGES {
            assert!(!stage_label(crate::i18n::Lang::En.msg(), s).is_empty());
        }
    }

    #[test]
    fn columns_round_trip() {
        let mut c = HashMap::new();
        c.insert(ListField::FullName, 1);
        c.insert(ListField::IdNumber, 4);
        assert_eq!(parse_columns(&columns_json(&c)), c);
        assert!(parse_columns("not json").is_empty());
    }
}
