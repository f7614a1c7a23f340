//! The one-stop shop's use cases (C4–C7, C10): receiving a dossier with a form prefilled from
//! the register, moving it through its states, applying what completing it changes in the
//! register, and the facts the indicators count. Pages and the API call these; the rules are in
//! `xaso_domain::dossier` and `xaso_services`, the rows in `xaso_store::DossierStore`.
//!
//! Invariants:
//! - The origin of every form field ("from the register" or "declared") is decided here from
//!   the register as it is at submission, never taken from the browser.
//! - Approving a step that changes the register (birth, death, residence) writes the dossier,
//!   the register and the civil-status book in one store transaction ([`xaso_store::
//!   DossierStore::save_dossier`]): a refusal or a crash leaves none of them changed.
//! - A step that waits for another step's result cannot be approved before that step is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use xaso_domain::calendar::WorkingCalendar;
use xaso_domain::dossier::{local_time, Action, Channel, Dossier, DossierState, NewDossier};
use xaso_domain::register::{Address, Person, PersonRef, ResidenceEvent, ResidenceEventKind};
use xaso_domain::role::Role;
use xaso_domain::{PartialDate, PersonalId, Sex};
use xaso_services::catalogue::{codes, PersonParty, Procedure};
use xaso_services::indicators::{self, DossierFact, ProcedureFact};
use xaso_services::interlinked::{self, GroupSubmission, SubDossierStatus};
use xaso_services::prefill::{self, FinalForm, Parties};
use xaso_services::validate::{self, FieldError, FormValues};
use xaso_services::Catalogue;
use xaso_store::{
    ChangeMeta, DossierChange, DossierRecord, NewCivilStatusEntry, RegisterEffect, Store,
    StoreError, StoredPerson,
};

/// What the shop works with: the procedures it offers, its calendar and the unit it serves.
pub struct Shop {
    pub catalogue: Catalogue,
    pub calendar: WorkingCalendar,
    /// The officials' tables the calendar was built with, by year.
    pub calendar_tables: Vec<CalendarTable>,
    /// The commune code (five digits), from the store's `commune_code`; empty when unset.
    pub unit: String,
    pub unit_name: String,
}

impl Shop {
    /// The shop as the store describes it: the unit from `commune_code`, the catalogue edited
    /// by the admins (`catalogue`, else the built-in one) and the officials' calendar tables
    /// (`calendar.overrides`).
    pub fn load(store: &dyn Store) -> Result<Shop, String> {
        let meta = |key: &str| store.get_meta(key).map_err(|e| e.to_string());
        let unit = meta("commune_code")?.unwrap_or_default();
        let unit_name = meta("commune_name")?.unwrap_or_default();
        let catalogue = match meta(CATALOGUE_KEY)? {
            Some(json) => parse_catalogue(&json)
                .map_err(|e| format!("the stored catalogue ({CATALOGUE_KEY}) is refused: {e}"))?,
            None => Catalogue::builtin(),
        };
        let tables = match meta(CALENDAR_KEY)? {
            Some(json) => parse_calendar_tables(&json)
                .map_err(|e| format!("the stored calendar tables ({CALENDAR_KEY}): {e}"))?,
            None => Vec::new(),
        };
        let calendar = calendar_of(&tables)
            .map_err(|e| format!("the stored calendar tables ({CALENDAR_KEY}): {e}"))?;
        Ok(Shop {
            catalogue,
            calendar,
            calendar_tables: tables,
            unit,
            unit_name,
        })
    }

    pub fn procedure(&self, code: &str) -> Option<&Procedure> {
        self.catalogue.get(code)
    }
}

/// Where the admins' catalogue is kept (JSON of [`Catalogue`]).
pub const CATALOGUE_KEY: &str = "catalogue";
/// Where the officials' calendar tables are kept (JSON of [`CalendarTable`]s).
pub const CALENDAR_KEY: &str = "calendar.overrides";

/// A catalogue from JSON, refused unless it passes [`Catalogue::validate`].
pub fn parse_catalogue(json: &str) -> Result<Catalogue, String> {
    let catalogue: Catalogue = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let problems = catalogue.validate();
    match problems.first() {
        None => Ok(catalogue),
        Some(p) => Err(p.to_string()),
    }
}

/// One year's announcement as officials enter it: extra days off, swapped working days and
/// computed days off that do not apply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarTable {
    pub year: i32,
    #[serde(default)]
    pub extra_days_off: Vec<Date>,
    #[serde(default)]
    pub working_days: Vec<Date>,
    #[serde(default)]
    pub removed_days_off: Vec<Date>,
}

impl CalendarTable {
    fn overrides(&self) -> xaso_domain::calendar::YearOverrides {
        xaso_domain::calendar::YearOverrides {
            year: self.year,
            extra_days_off: self.extra_days_off.clone(),
            working_days: self.working_days.clone(),
            removed_days_off: self.removed_days_off.clone(),
        }
    }
}

pub fn parse_calendar_tables(json: &str) -> Result<Vec<CalendarTable>, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

/// The working calendar with these tables; the error names the rule a table breaks.
pub fn calendar_of(
    tables: &[CalendarTable],
) -> Result<WorkingCalendar, xaso_domain::calendar::OverrideError> {
    WorkingCalendar::new(tables.iter().map(CalendarTable::overrides).collect())
}

/// Why a use case refused, in both languages, naming the field when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShopError {
    /// The submitted form breaks rules of its schema: nothing was stored.
    Form {
        form: FinalForm,
        errors: Vec<FieldError>,
    },
    /// A refusal with its reason.
    Refused {
        en: String,
        vi: String,
    },
    NotFound,
    /// Someone else changed the dossier (or the person) since it was read.
    Conflict,
    Store(String),
}

impl ShopError {
    fn refused(en: impl Into<String>, vi: impl Into<String>) -> ShopError {
        ShopError::Refused {
            en: en.into(),
            vi: vi.into(),
        }
    }
}

impl From<StoreError> for ShopError {
    fn from(e: StoreError) -> ShopError {
        match e {
            StoreError::NotFound(_) => ShopError::NotFound,
            StoreError::Conflict(_) => ShopError::Conflict,
            other => ShopError::Store(other.to_string()),
        }
    }
}

/// The form as stored with a dossier: the fields with their origins and who the parties were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredForm {
    pub form: FinalForm,
    /// Party (as `PersonParty::as_str`) → personal ID used to prefill.
    pub parties: BTreeMap<String, String>,
    /// The household that prefilled the household fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household_id: Option<String>,
}

impl StoredForm {
    pub fn value(&self, key: &str) -> Option<&str> {
        self.form.field(key).and_then(|f| f.value.as_deref())
    }
}

/// The parties of a procedure found in the register, starting from the applicant.
#[derive(Debug, Clone, Default)]
pub struct FoundParties {
    pub parties: Parties,
    pub ids: BTreeMap<PersonParty, PersonalId>,
    pub household_id: Option<String>,
    /// Personal IDs given for a party and not in the register.
    pub missing: Vec<(PersonParty, String)>,
}

/// Looks up the parties: the applicant and the IDs given; the parents of a birth from the
/// applicant and their spouse; the household of the deceased, the mother or the applicant and
/// its head.
pub fn find_parties(
    store: &dyn Store,
    procedure: &Procedure,
    given: &BTreeMap<PersonParty, PersonalId>,
) -> Result<FoundParties, StoreError> {
    use xaso_services::catalogue::Party;
    let wants = |p: PersonParty| procedure.parties.contains(&Party::Person(p));
    let mut found = FoundParties::default();
    let mut persons: BTreeMap<PersonParty, Person> = BTreeMap::new();
    for (party, id) in given {
        match store.get_person(id)? {
            Some(p) => {
                persons.insert(*party, p.person);
            }
            None => found.missing.push((*party, id.as_str().to_owned())),
        }
    }
    // The parents of a birth: the applicant is usually one of them, the other their spouse.
    if wants(PersonParty::Mother) || wants(PersonParty::Father) {
        if let Some(applicant) = persons.get(&PersonParty::Applicant).cloned() {
            let role = match applicant.sex {
                Some(Sex::Female) => Some(PersonParty::Mother),
                Some(Sex::Male) => Some(PersonParty::Father),
                None => None,
            };
            if let Some(role) = role {
                persons.entry(role).or_insert_with(|| applicant.clone());
                let other = if role == PersonParty::Mother {
                    PersonParty::Father
                } else {
                    PersonParty::Mother
                };
                if let (std::collections::btree_map::Entry::Vacant(slot), Some(id)) =
                    (persons.entry(other), &applicant.spouse.personal_id)
                {
                    if let Some(s) = store.get_person(id)? {
                        slot.insert(s.person);
                    }
                }
            }
        }
    }
    // The household concerned: the one the desk named through its head (a move into another
    // household), else that of the deceased, the child, a parent or the applicant.
    let household_of = [
        PersonParty::HouseholdHead,
        PersonParty::Deceased,
        PersonParty::Child,
        PersonParty::Mother,
        PersonParty::Father,
        PersonParty::Applicant,
    ]
    .iter()
    .find_map(|p| persons.get(p).and_then(|x| x.household_id.clone()));
    if procedure
        .parties
        .iter()
        .any(|p| matches!(p, Party::Household(_)))
    {
        if let Some(hid) = household_of {
            if let Some(h) = store.get_household(&hid)? {
                if let Some(head) = &h.head_personal_id {
                    if wants(PersonParty::HouseholdHead) {
                        if let Some(p) = store.get_person(head)? {
                            persons.insert(PersonParty::HouseholdHead, p.person);
                        }
                    }
                }
                found.household_id = Some(h.id.clone());
                found.parties = found.parties.clone().with_household(h);
            }
        }
    }
    for (party, person) in persons {
        if !wants(party) {
            continue;
        }
        found.ids.insert(party, person.personal_id.clone());
        found.parties = found.parties.clone().with(party, person);
    }
    Ok(found)
}

/// What the desk (or the portal) submits.
#[derive(Debug, Clone)]
pub struct Submission {
    pub procedure_code: String,
    pub channel: Channel,
    pub parties: BTreeMap<PersonParty, PersonalId>,
    pub values: FormValues,
}

/// Receives a submission: the form re-drafted from the register and checked, then the dossier
/// (or the group and its steps) stored under a new receipt number, which is returned.
pub fn receive(
    store: &dyn Store,
    shop: &Shop,
    officer: &str,
    role: Role,
    now: OffsetDateTime,
    submission: &Submission,
) -> Result<String, ShopError> {
    let procedure = shop.procedure(&submission.procedure_code).ok_or_else(|| {
        ShopError::refused(
            format!(
                "procedure: {:?} is not in the catalogue",
                submission.procedure_code
            ),
            format!(
                "Thủ tục: {:?} không có trong danh mục",
                submission.procedure_code
            ),
        )
    })?;
    if !matches!(role, Role::Desk | Role::Admin) {
        return Err(ShopError::refused(
            "only the desk or an admin receives dossiers",
            "Chỉ bộ phận một cửa hoặc quản trị viên tiếp nhận hồ sơ",
        ));
    }
    let found = find_parties(store, procedure, &submission.parties)?;
    if let Some((party, id)) = found.missing.first() {
        return Err(ShopError::refused(
            format!("{}: {id} is not in the register", party.as_str()),
            format!(
                "{}: số {id} không có trong cơ sở dữ liệu dân cư",
                party.label_vi()
            ),
        ));
    }
    let draft = prefill::draft(procedure, &found.parties);
    let form = draft.apply(&submission.values);
    let today = local_time(now).date();
    let errors = validate::validate(&procedure.form, &form.values(), today);
    if !errors.is_empty() {
        return Err(ShopError::Form { form, errors });
    }
    let stored_form = StoredForm {
        form,
        parties: found
            .ids
            .iter()
            .map(|(p, id)| (p.as_str().to_owned(), id.as_str().to_owned()))
            .collect(),
        household_id: found.household_id.clone(),
    };
    let form_json =
        serde_json::to_string(&stored_form).map_err(|e| ShopError::Store(e.to_string()))?;
    let local = local_time(now);
    let day = format!(
        "{:02}{:02}{:02}",
        local.year() % 100,
        u8::from(local.month()),
        local.day()
    );
    let serial = store.next_serial(&format!("receipt-{day}"))?;
    let unit = if shop.unit.is_empty() {
        "XA"
    } else {
        shop.unit.as_str()
    };
    let receipt = format!("{unit}-{day}-{serial:04}");
    let applicant = found
        .ids
        .get(&PersonParty::Applicant)
        .map(|id| id.as_str().to_owned());
    let stamp = xaso_store::format_utc(now);
    let base = DossierRecord {
        receipt_number: receipt.clone(),
        parent: None,
        procedure_code: procedure.code.clone(),
        unit: shop.unit.clone(),
        channel: submission.channel.as_str().to_owned(),
        applicant_id: applicant,
        handling_role: String::new(),
        assigned_officer: None,
        state: String::new(),
        received_at: stamp.clone(),
        due_on: String::new(),
        finished_on: None,
        form: None,
        data: None,
        result: None,
        rating: None,
        rating_comment: None,
        version: 1,
        updated_at: stamp,
        updated_by: officer.to_owned(),
    };
    let mut rows = Vec::new();
    if procedure.is_group() {
        let subs = interlinked::spawn(
            &shop.catalogue,
            &GroupSubmission {
                group_code: procedure.code.clone(),
                receipt_number: receipt.clone(),
                channel: submission.channel,
                received_at: now,
                received_by: officer.to_owned(),
                receiver_role: role,
            },
        )
        .map_err(|e| ShopError::refused(e.to_string(), e.vi()))?;
        let dues = interlinked::plan_due_dates(&shop.calendar, &subs);
        let last_due = dues.iter().map(|(_, d)| *d).max();
        rows.push(DossierRecord {
            state: GROUP_STATE.to_owned(),
            due_on: last_due.map(|d| d.to_string()).unwrap_or_default(),
            form: Some(form_json),
            ..base.clone()
        });
        for (sub, (_, due)) in subs.into_iter().zip(dues) {
            let dossier = Dossier::receive(sub.new_dossier, &shop.calendar)
                .map_err(|e| ShopError::refused(e.to_string(), e.to_string()))?;
            let mut row = record_of(&base, &dossier)?;
            row.parent = Some(receipt.clone());
            row.due_on = due.to_string();
            rows.push(row);
        }
    } else {
        let dossier = Dossier::receive(
            NewDossier {
                receipt_number: receipt.clone(),
                channel: submission.channel,
                procedure_code: procedure.code.clone(),
                handling_role: procedure.handling_role,
                working_days: procedure.deadline.working_days(),
                received_at: now,
                received_by: officer.to_owned(),
                receiver_role: role,
            },
            &shop.calendar,
        )
        .map_err(|e| ShopError::refused(e.to_string(), e.to_string()))?;
        let mut row = record_of(&base, &dossier)?;
        row.form = Some(form_json);
        rows.push(row);
    }
    store.insert_dossiers(&rows)?;
    Ok(receipt)
}

/// The `state` of a group's own row: its state is combined from its steps.
pub const GROUP_STATE: &str = "group";

/// A row for `dossier`, the other columns from `base`.
fn record_of(base: &DossierRecord, dossier: &Dossier) -> Result<DossierRecord, ShopError> {
    let mut row = base.clone();
    row.receipt_number = dossier.receipt_number().to_owned();
    row.procedure_code = dossier.procedure_code().to_owned();
    row.handling_role = dossier.handling_role().as_str().to_owned();
    fill_from(&mut row, dossier)?;
    Ok(row)
}

/// The columns that follow the dossier's state.
fn fill_from(row: &mut DossierRecord, dossier: &Dossier) -> Result<(), ShopError> {
    row.state = state_code(dossier.state()).to_owned();
    row.assigned_officer = dossier.assigned_officer().map(str::to_owned);
    row.due_on = dossier.clock().due_date().to_string();
    row.finished_on = dossier.clock().stopped_on().map(|d| d.to_string());
    row.data = Some(serde_json::to_string(dossier).map_err(|e| ShopError::Store(e.to_string()))?);
    Ok(())
}

/// The kebab-case code of a state, as stored.
pub fn state_code(state: DossierState) -> &'static str {
    match state {
        DossierState::Received => "received",
        DossierState::Assigned => "assigned",
        DossierState::Processing => "processing",
        DossierState::SupplementRequested => "supplement-requested",
        DossierState::Approved => "approved",
        DossierState::Rejected => "rejected",
        DossierState::ResultReady => "result-ready",
        DossierState::Returned => "returned",
        DossierState::Withdrawn => "withdrawn",
    }
}

pub fn parse_state(code: &str) -> Option<DossierState> {
    DossierState::ALL
        .into_iter()
        .find(|s| state_code(*s) == code)
}

/// A dossier row read back with its parsed dossier (none for a group's own row) and form.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub record: DossierRecord,
    pub dossier: Option<Dossier>,
    pub form: Option<StoredForm>,
}

pub fn load(store: &dyn Store, receipt: &str) -> Result<Loaded, ShopError> {
    let record = store.get_dossier(receipt)?.ok_or(ShopError::NotFound)?;
    parse_loaded(store, record)
}

/// Parses a row; a step reads its group's form.
pub fn parse_loaded(store: &dyn Store, record: DossierRecord) -> Result<Loaded, ShopError> {
    let corrupt =
        |e: serde_json::Error| ShopError::Store(format!("dossier {}: {e}", record.receipt_number));
    let dossier = match &record.data {
        Some(d) => Some(serde_json::from_str::<Dossier>(d).map_err(corrupt)?),
        None => None,
    };
    let form_text = match (&record.form, &record.parent) {
        (Some(f), _) => Some(f.clone()),
        (None, Some(parent)) => store.get_dossier(parent)?.and_then(|p| p.form),
        (None, None) => None,
    };
    let form = match form_text {
        Some(f) => Some(serde_json::from_str::<StoredForm>(&f).map_err(corrupt)?),
        None => None,
    };
    Ok(Loaded {
        record,
        dossier,
        form,
    })
}

/// The result of completing a step, as stored in the row's `result`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepResult {
    /// The person the step registered or changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// What was done, for the pages ("Đã cấp số định danh …").
    pub note_vi: String,
    pub note_en: String,
}

pub fn step_result(record: &DossierRecord) -> Option<StepResult> {
    record
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
}

/// Applies `action` by the officer to the dossier `receipt`; approving a step that changes the
/// register applies the change in the same transaction. Returns the new state.
pub fn act(
    store: &dyn Store,
    shop: &Shop,
    receipt: &str,
    officer: &str,
    role: Role,
    action: Action,
    now: OffsetDateTime,
) -> Result<DossierState, ShopError> {
    let loaded = load(store, receipt)?;
    let Some(mut dossier) = loaded.dossier.clone() else {
        return Err(ShopError::refused(
            "a group is handled through its steps",
            "Hồ sơ liên thông được xử lý theo từng bước",
        ));
    };
    if let Action::Assign { officer: to } = &action {
        let target = store.get_officer(to.trim())?;
        match target {
            Some(t) if !t.disabled && Role::parse(&t.role) == Some(dossier.handling_role()) => {}
            _ => {
                return Err(ShopError::refused(
                    format!(
                        "officer: {:?} is not an active officer with the {} role",
                        to,
                        dossier.handling_role().as_str()
                    ),
                    format!(
                        "Cán bộ: {:?} không phải cán bộ đang hoạt động có vai trò {}",
                        to,
                        dossier.handling_role().label_vi()
                    ),
                ))
            }
        }
    }
    let is_approval = matches!(action, Action::Approve);
    dossier
        .apply(action, officer, role, now, &shop.calendar)
        .map_err(|e| ShopError::refused(e.to_string(), transition_vi(&e)))?;
    let mut record = loaded.record.clone();
    fill_from(&mut record, &dossier)?;
    record.updated_at = xaso_store::format_utc(now);
    record.updated_by = officer.to_owned();
    let mut change = DossierChange {
        record,
        register: Vec::new(),
        civil_status: None,
        meta: ChangeMeta {
            actor: officer.to_owned(),
            reason: Some(format!("hồ sơ {receipt}")),
        },
    };
    if is_approval {
        completion(store, shop, &loaded, now, &mut change)?;
    }
    store.save_dossier(&change)?;
    Ok(dossier.state())
}

fn transition_vi(e: &xaso_domain::dossier::TransitionError) -> String {
    format!(
        "Không thực hiện được thao tác trên hồ sơ đang ở trạng thái «{}»: {}",
        e.state.label_vi(),
        e.rule()
    )
}

/// The register changes, book entry and result of approving the step `loaded`.
fn completion(
    store: &dyn Store,
    shop: &Shop,
    loaded: &Loaded,
    now: OffsetDateTime,
    change: &mut DossierChange,
) -> Result<(), ShopError> {
    let record = &loaded.record;
    let form = loaded.form.as_ref();
    let value = |key: &str| form.and_then(|f| f.value(key)).map(str::to_owned);
    let today = local_time(now).date();
    // A step that waits for another needs that step's result.
    let predecessor = |code: &str| -> Result<Option<StepResult>, ShopError> {
        let Some(parent) = &record.parent else {
            return Ok(None);
        };
        let steps = store.group_steps(parent)?;
        let step = steps.iter().find(|s| s.procedure_code == code);
        match step {
            Some(s) if matches!(s.state.as_str(), "approved" | "result-ready" | "returned") => {
                Ok(step_result(s))
            }
            _ => Err(ShopError::refused(
                format!("this step waits for the result of {code}, not approved yet"),
                format!(
                    "Bước này chờ kết quả của thủ tục «{}», chưa được phê duyệt",
                    shop.procedure(code).map_or(code, |p| p.name.vi.as_str())
                ),
            )),
        }
    };
    let mut result = StepResult::default();
    match record.procedure_code.as_str() {
        codes::BIRTH_REGISTRATION => {
            let child = newborn(store, shop, form, today)?;
            result.personal_id = Some(child.personal_id.as_str().to_owned());
            result.full_name = Some(child.full_name.clone());
            result.note_vi = format!(
                "Đã đăng ký khai sinh và cấp số định danh cá nhân {}",
                child.personal_id.as_str()
            );
            result.note_en = format!(
                "Birth registered; personal ID {} issued",
                child.personal_id.as_str()
            );
            change.civil_status = Some(book_entry(
                "birth",
                record,
                &child,
                child.date_of_birth.map(|d| d.to_iso()).unwrap_or_default(),
                today,
                &change.meta.actor,
                form,
            ));
            change.register.push(RegisterEffect::Insert(child));
        }
        codes::PERMANENT_RESIDENCE_REGISTRATION => {
            let birth = predecessor(codes::BIRTH_REGISTRATION)?;
            // In the birth group the child the birth step registered; alone, the applicant.
            let id = birth
                .and_then(|b| b.personal_id)
                .or_else(|| value("subject_personal_id"))
                .or_else(|| value("applicant_personal_id"))
                .ok_or_else(|| {
                    ShopError::refused(
                        "no person to register: the birth step issued no ID",
                        "Không có người để đăng ký thường trú",
                    )
                })?;
            let stored = person(store, &id)?;
            let household_id =
                value("household_id").or_else(|| form.and_then(|f| f.household_id.clone()));
            let household = match &household_id {
                Some(h) => store.get_household(h)?,
                None => None,
            }
            .ok_or_else(|| {
                ShopError::refused(
                    "household_id: the household is not in the register",
                    "Số hộ: hộ không có trong cơ sở dữ liệu dân cư",
                )
            })?;
            let mut p = stored.person.clone();
            p.household_id = Some(household.id.clone());
            p.relation_to_head = value("child_relation_to_head")
                .or_else(|| value("relation_to_head"))
                .or(Some("Con".to_owned()));
            p.permanent_address = household.address.clone();
            if p.current_address.is_empty() {
                p.current_address = household.address.clone();
            }
            result.personal_id = Some(id.clone());
            result.full_name = Some(p.full_name.clone());
            result.note_vi = format!("Đã đăng ký thường trú vào hộ {}", household.id);
            result.note_en = format!(
                "Permanent residence registered in household {}",
                household.id
            );
            change.register.push(RegisterEffect::Update {
                person: p.clone(),
                expected_version: stored.version,
            });
            change
                .register
                .push(RegisterEffect::Residence(ResidenceEvent {
                    personal_id: p.personal_id.clone(),
                    kind: ResidenceEventKind::PermanentRegistered,
                    date: PartialDate::Full(today),
                    address: household.address,
                    note: Some(format!("hồ sơ {}", record.receipt_number)),
                }));
        }
        codes::DEATH_REGISTRATION => {
            let id = value("deceased_personal_id").ok_or_else(|| {
                ShopError::refused(
                    "deceased_personal_id: the deceased is not identified in the register",
                    "Số định danh của người chết: chưa xác định được người chết trong cơ sở dữ liệu",
                )
            })?;
            let stored = person(store, &id)?;
            if stored.person.death_date.is_some() {
                return Err(ShopError::refused(
                    "the register already records this person's death",
                    "Cơ sở dữ liệu đã ghi nhận người này đã chết",
                ));
            }
            let death = value("death_date")
                .and_then(|d| PartialDate::parse(&d).ok())
                .ok_or_else(|| {
                    ShopError::refused(
                        "death_date: not a date",
                        "Ngày chết: không phải ngày hợp lệ",
                    )
                })?;
            let mut p = stored.person.clone();
            p.death_date = Some(death);
            result.personal_id = Some(id.clone());
            result.full_name = Some(p.full_name.clone());
            result.note_vi = "Đã đăng ký khai tử; cơ sở dữ liệu ghi nhận ngày chết".to_owned();
            result.note_en = "Death registered; the register records the date of death".to_owned();
            change.civil_status = Some(book_entry(
                "death",
                record,
                &p,
                death.to_iso(),
                today,
                &change.meta.actor,
                form,
            ));
            change.register.push(RegisterEffect::Update {
                person: p,
                expected_version: stored.version,
            });
        }
        codes::PERMANENT_RESIDENCE_DELETION => {
            let death = predecessor(codes::DEATH_REGISTRATION)?;
            let id = death
                .and_then(|b| b.personal_id)
                .or_else(|| value("deceased_personal_id"))
                .or_else(|| value("subject_personal_id"))
                .ok_or_else(|| {
                    ShopError::refused(
                        "no person named",
                        "Chưa xác định người bị xóa đăng ký thường trú",
                    )
                })?;
            let stored = person(store, &id)?;
            // The household keeps its number; a head who leaves it must be replaced by the
            // household's own procedure (change of household head), which this does not do.
            let was_head = match &stored.person.household_id {
                Some(h) => store
                    .get_household(h)?
                    .and_then(|h| h.head_personal_id)
                    .is_some_and(|head| head.as_str() == id),
                None => false,
            };
            let mut p = stored.person.clone();
            let address = std::mem::take(&mut p.permanent_address);
            p.household_id = None;
            p.relation_to_head = None;
            result.personal_id = Some(id.clone());
            result.full_name = Some(p.full_name.clone());
            result.note_vi = "Đã xóa đăng ký thường trú".to_owned();
            result.note_en = "Permanent residence deleted".to_owned();
            if was_head {
                result
                    .note_vi
                    .push_str("; người này là chủ hộ: hộ cần làm thủ tục thay đổi chủ hộ");
                result.note_en.push_str(
                    "; this person was the household head: the household must name a new head",
                );
            }
            change.register.push(RegisterEffect::Update {
                person: p.clone(),
                expected_version: stored.version,
            });
            change
                .register
                .push(RegisterEffect::Residence(ResidenceEvent {
                    personal_id: p.personal_id.clone(),
                    kind: ResidenceEventKind::PermanentDeleted,
                    date: PartialDate::Full(today),
                    address,
                    note: Some(format!("hồ sơ {}", record.receipt_number)),
                }));
        }
        codes::CHILD_HEALTH_INSURANCE_CARD => {
            let birth = predecessor(codes::BIRTH_REGISTRATION)?;
            let id = birth.and_then(|b| b.personal_id);
            result.note_vi = match &id {
                Some(id) => {
                    format!("Đã cấp thẻ bảo hiểm y tế cho trẻ, mã số theo số định danh {id}")
                }
                None => "Đã cấp thẻ bảo hiểm y tế cho trẻ".to_owned(),
            };
            result.note_en = "Health-insurance card issued for the child".to_owned();
            result.personal_id = id;
        }
        codes::FUNERAL_ALLOWANCE => {
            predecessor(codes::DEATH_REGISTRATION)?;
            result.note_vi = "Đã quyết định trợ cấp mai táng".to_owned();
            result.note_en = "Funeral allowance granted".to_owned();
        }
        _ => {
            result.note_vi = "Đã phê duyệt".to_owned();
            result.note_en = "Approved".to_owned();
        }
    }
    change.record.result =
        Some(serde_json::to_string(&result).map_err(|e| ShopError::Store(e.to_string()))?);
    Ok(())
}

fn person(store: &dyn Store, id: &str) -> Result<StoredPerson, ShopError> {
    let pid = PersonalId::parse(id).map_err(|e| ShopError::refused(e.to_string(), e.vi()))?;
    store.get_person(&pid)?.ok_or_else(|| {
        ShopError::refused(
            format!("{id} is not in the register"),
            format!("Số {id} không có trong cơ sở dữ liệu dân cư"),
        )
    })
}

/// The child of a birth registration, with a newly issued personal ID.
fn newborn(
    store: &dyn Store,
    shop: &Shop,
    form: Option<&StoredForm>,
    today: Date,
) -> Result<Person, ShopError> {
    let value = |key: &str| form.and_then(|f| f.value(key)).map(str::to_owned);
    let missing = |key: &str, vi: &str| {
        ShopError::refused(
            format!("{key}: required to register the birth"),
            format!("{vi}: bắt buộc để đăng ký khai sinh"),
        )
    };
    let name =
        value("child_full_name").ok_or_else(|| missing("child_full_name", "Họ tên của trẻ"))?;
    let sex = value("child_sex")
        .and_then(|s| Sex::parse(&s))
        .ok_or_else(|| missing("child_sex", "Giới tính của trẻ"))?;
    let born = value("child_date_of_birth")
        .and_then(|s| PartialDate::parse(&s).ok())
        .ok_or_else(|| missing("child_date_of_birth", "Ngày sinh của trẻ"))?;
    let province = xaso_domain::admin_units::units()
        .commune(&shop.unit)
        .map(|c| c.province_code.clone())
        .ok_or_else(|| {
            ShopError::refused(
                "the commune code of this installation is not set: no personal ID can be issued",
                "Chưa đặt mã xã của hệ thống: không cấp được số định danh cá nhân",
            )
        })?;
    let birthplace = xaso_services::issue::birthplace_code_for_province(&province)
        .map_err(|e| ShopError::refused(e.to_string(), e.vi()))?;
    // Deterministic but spread: the seed comes from the form, so retries pick the same number.
    let seed = name
        .bytes()
        .chain(today.to_string().bytes())
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    let lookup_error = std::cell::RefCell::new(None);
    let id =
        xaso_services::issue::issue_personal_id(
            birthplace,
            sex,
            born,
            seed,
            |candidate| match store.get_person(candidate) {
                Ok(found) => found.is_some(),
                Err(e) => {
                    *lookup_error.borrow_mut() = Some(e.to_string());
                    true
                }
            },
        )
        .map_err(|e| ShopError::refused(e.to_string(), e.vi()))?;
    if let Some(e) = lookup_error.into_inner() {
        return Err(ShopError::Store(e));
    }
    let mut child = Person::new(id, xaso_domain::name::normalize(&name));
    child.sex = Some(sex);
    child.date_of_birth = Some(born);
    child.birth_registration_place = Some(if shop.unit_name.is_empty() {
        shop.unit.clone()
    } else {
        shop.unit_name.clone()
    });
    child.home_town = value("child_home_town");
    child.ethnicity = value("child_ethnicity");
    child.nationality = value("child_nationality").map(|n| {
        if n.trim().eq_ignore_ascii_case("việt nam") || n.trim().eq_ignore_ascii_case("viet nam")
        {
            "VN".to_owned()
        } else {
            n
        }
    });
    let parent = |prefix: &str| PersonRef {
        personal_id: value(&format!("{prefix}_personal_id"))
            .and_then(|s| PersonalId::parse(&s).ok()),
        full_name: value(&format!("{prefix}_full_name")),
    };
    child.father = parent("father");
    child.mother = parent("mother");
    if let Some(problem) = child.problems().into_iter().next() {
        return Err(ShopError::refused(
            format!("{}: {}", problem.field, problem.rule),
            format!("{}: {}", problem.field, problem.rule_vi),
        ));
    }
    Ok(child)
}

fn book_entry(
    kind: &str,
    record: &DossierRecord,
    person: &Person,
    event_date: String,
    today: Date,
    actor: &str,
    form: Option<&StoredForm>,
) -> NewCivilStatusEntry {
    let data = form
        .map(|f| serde_json::to_string(&f.form.values()).unwrap_or_default())
        .unwrap_or_else(|| "{}".to_owned());
    NewCivilStatusEntry {
        kind: kind.to_owned(),
        year: today.year(),
        receipt_number: Some(record.receipt_number.clone()),
        personal_id: Some(person.personal_id.as_str().to_owned()),
        full_name: person.full_name.clone(),
        event_date,
        registered_on: today.to_string(),
        data,
        paper_book: None,
        paper_line: None,
        scanned_page: None,
        created_by: actor.to_owned(),
    }
}

/// The applicant's view of a group: one status from its steps.
pub fn group_status(steps: &[Loaded], today: Date) -> Option<interlinked::GroupStatus> {
    let parts: Vec<SubDossierStatus> = steps
        .iter()
        .filter_map(|s| {
            let d = s.dossier.as_ref()?;
            Some(SubDossierStatus {
                procedure_code: d.procedure_code().to_owned(),
                state: d.state(),
                rejected: d.rejection_reason().is_some(),
                due: d.clock().due_date(),
            })
        })
        .collect();
    interlinked::combined_status(&parts, today)
}

/// The facts the indicators count for the top-level dossiers (a group counts once: received
/// when received, finished when its last step's clock stopped, due on its last due date).
pub fn facts(
    store: &dyn Store,
    shop: &Shop,
    since: &str,
    until: &str,
) -> Result<Vec<DossierFact>, ShopError> {
    let rows = store.list_dossiers(&xaso_store::DossierFilter {
        top_level: Some(true),
        received_since: Some(since.to_owned()),
        received_until: Some(until.to_owned()),
        limit: 100_000,
        ..Default::default()
    })?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let procedure = shop.procedure(&row.procedure_code);
        let received_on = local_time(crate::pages::parse_time(&row.received_at)).date();
        let (state, due_on, finished_on, rating) = if row.state == GROUP_STATE {
            let steps = store.group_steps(&row.receipt_number)?;
            let loaded: Vec<Loaded> = steps
                .into_iter()
                .map(|s| parse_loaded(store, s))
                .collect::<Result<_, _>>()?;
            let due = loaded
                .iter()
                .filter_map(|l| l.dossier.as_ref().map(|d| d.clock().due_date()))
                .max();
            let finished = if loaded.iter().all(|l| {
                l.dossier
                    .as_ref()
                    .is_some_and(|d| d.clock().stopped_on().is_some())
            }) {
                loaded
                    .iter()
                    .filter_map(|l| l.dossier.as_ref().and_then(|d| d.clock().stopped_on()))
                    .max()
            } else {
                None
            };
            let state = group_fact_state(&loaded);
            // The applicant rates the group on the public page; the desk records a rating
            // given at the counter on each step it returns. Without the former, the group
            // counts with the lowest of the latter.
            let rating = row
                .rating
                .or_else(|| loaded.iter().filter_map(|l| l.record.rating).min());
            (state, due, finished, rating)
        } else {
            let state = parse_state(&row.state).unwrap_or(DossierState::Received);
            (
                state,
                parse_date(&row.due_on),
                row.finished_on.as_deref().and_then(parse_date),
                row.rating,
            )
        };
        let Some(due_on) = due_on else { continue };
        let form: Option<StoredForm> = row
            .form
            .as_deref()
            .and_then(|f| serde_json::from_str(f).ok());
        let reused = form
            .as_ref()
            .is_some_and(|f| f.form.fields.iter().any(|x| x.origin.is_register()));
        out.push(DossierFact {
            id: row.receipt_number.clone(),
            unit: row.unit.clone(),
            procedure_code: row.procedure_code.clone(),
            online_level: procedure.map_or(xaso_services::catalogue::OnlineLevel::Partial, |p| {
                p.online_level
            }),
            channel: Channel::ALL
                .into_iter()
                .find(|c| c.as_str() == row.channel)
                .unwrap_or(Channel::Desk),
            received_on,
            due_on,
            finished_on,
            state,
            // Status is kept here in real time; there is no national portal to sync with yet.
            status_synced: false,
            digitised: !store.dossier_attachments(&row.receipt_number)?.is_empty(),
            electronic_result: false,
            certified_copy: None,
            reused_data: reused,
            reused_digitised_result: false,
            used_population_data: row.applicant_id.is_some() || reused,
            fee_due: false,
            paid_online: false,
            rating: rating.and_then(|r| u8::try_from(r).ok()),
            complaint: complaint_fact(store, &row.receipt_number)?,
        });
    }
    Ok(out)
}

/// The complaint the indicators count for a dossier: the latest one.
fn complaint_fact(
    store: &dyn Store,
    receipt: &str,
) -> Result<Option<indicators::Complaint>, ShopError> {
    let latest = store
        .list_complaints(&xaso_store::ComplaintFilter {
            receipt_number: Some(receipt.to_owned()),
            limit: 1,
            ..Default::default()
        })?
        .into_iter()
        .next();
    Ok(latest.and_then(|c| {
        Some(indicators::Complaint {
            due_on: parse_date(&c.complaint.due_on)?,
            handled_on: c.answered_on.as_deref().and_then(parse_date),
            satisfied: c.satisfied,
        })
    }))
}

/// Working days to answer a complaint about a dossier's handling.
/// To be confirmed against the rules on handling citizens' feedback (Nghị định 20/2008/NĐ-CP
/// gives 10 working days from the day it is taken in); kept here as the shop's setting.
pub const COMPLAINT_WORKING_DAYS: u32 = 10;

/// Takes in a complaint about the dossier `receipt`, due [`COMPLAINT_WORKING_DAYS`] later.
pub fn complain(
    store: &dyn Store,
    shop: &Shop,
    receipt: &str,
    text: &str,
    channel: Channel,
    now: OffsetDateTime,
) -> Result<xaso_store::Complaint, ShopError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ShopError::refused(
            "text: a complaint must say what is wrong",
            "Nội dung: hãy ghi rõ nội dung phản ánh",
        ));
    }
    if text.chars().count() > 2000 {
        return Err(ShopError::refused(
            "text: at most 2,000 characters",
            "Nội dung: tối đa 2.000 ký tự",
        ));
    }
    let due = shop
        .calendar
        .due_date(local_time(now), COMPLAINT_WORKING_DAYS);
    Ok(store.add_complaint(&xaso_store::NewComplaint {
        receipt_number: receipt.to_owned(),
        text: text.to_owned(),
        received_at: xaso_store::format_utc(now),
        due_on: due.to_string(),
        channel: channel.as_str().to_owned(),
    })?)
}

/// The state a group counts as: withdrawn when every step is, returned when every step is
/// closed, else the least advanced open step's.
fn group_fact_state(steps: &[Loaded]) -> DossierState {
    let states: Vec<DossierState> = steps
        .iter()
        .filter_map(|l| l.dossier.as_ref().map(|d| d.state()))
        .collect();
    if !states.is_empty() && states.iter().all(|s| *s == DossierState::Withdrawn) {
        DossierState::Withdrawn
    } else if states.iter().all(|s| s.is_terminal()) {
        DossierState::Returned
    } else {
        states
            .iter()
            .filter(|s| !s.is_terminal())
            .min()
            .copied()
            .unwrap_or(DossierState::Received)
    }
}

pub fn parse_date(s: &str) -> Option<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &fmt).ok()
}

/// The procedures as the indicators see them: every built-in one is published here, and those
/// with fields from the register are connected to population data.
pub fn procedure_facts(shop: &Shop) -> Vec<ProcedureFact> {
    shop.catalogue
        .procedures
        .iter()
        .map(|p| ProcedureFact {
            code: p.code.clone(),
            published_up_to_date: true,
            connected_to_population_data: p.form.prefillable() > 0,
        })
        .collect()
}

/// The indicators of the shop's unit for dossiers received from `from` to `to` (local dates),
/// with the facts they were computed from.
pub fn indicators(
    store: &dyn Store,
    shop: &Shop,
    from: Date,
    to: Date,
    today: Date,
) -> Result<(indicators::Report, Vec<DossierFact>), ShopError> {
    let since = xaso_store::format_utc(local_midnight(from));
    let until = xaso_store::format_utc(local_midnight(to.next_day().unwrap_or(to)));
    let facts = facts(store, shop, &since, &until)?;
    let as_of = if today < to { today } else { to };
    let report = indicators::compute(
        &shop.unit,
        indicators::Period { from, to },
        as_of,
        &facts,
        &procedure_facts(shop),
    );
    Ok((report, facts))
}

/// Where a dossier stands against its deadline, read on `as_of`: the buckets of the
/// timeliness indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bucket {
    FinishedEarly,
    FinishedOnTime,
    FinishedLate,
    OpenWithinDeadline,
    OpenOverdue,
    Withdrawn,
}

impl Bucket {
    pub const ALL: [Bucket; 6] = [
        Bucket::FinishedEarly,
        Bucket::FinishedOnTime,
        Bucket::FinishedLate,
        Bucket::OpenWithinDeadline,
        Bucket::OpenOverdue,
        Bucket::Withdrawn,
    ];

    pub fn of(fact: &DossierFact, as_of: Date) -> Bucket {
        if fact.state == DossierState::Withdrawn {
            return Bucket::Withdrawn;
        }
        match fact.finished_on {
            Some(f) if f < fact.due_on => Bucket::FinishedEarly,
            Some(f) if f == fact.due_on => Bucket::FinishedOnTime,
            Some(_) => Bucket::FinishedLate,
            None if as_of <= fact.due_on => Bucket::OpenWithinDeadline,
            None => Bucket::OpenOverdue,
        }
    }

    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Bucket::FinishedEarly => ("Giải quyết trước hạn", "Finished early"),
            Bucket::FinishedOnTime => ("Giải quyết đúng hạn", "Finished on the due date"),
            Bucket::FinishedLate => ("Giải quyết quá hạn", "Finished late"),
            Bucket::OpenWithinDeadline => ("Đang giải quyết, trong hạn", "Open, within deadline"),
            Bucket::OpenOverdue => ("Đang giải quyết, quá hạn", "Open, overdue"),
            Bucket::Withdrawn => ("Đã rút", "Withdrawn"),
        }
    }
}

/// Per procedure: the fields its register data can fill (catalogue), and the fields actually
/// reused in the dossiers received in the period (summed over their forms).
pub fn reuse_by_procedure(
    store: &dyn Store,
    shop: &Shop,
    from: Date,
    to: Date,
) -> Result<Vec<(String, prefill::ReuseShare, prefill::ReuseShare)>, ShopError> {
    let rows = store.list_dossiers(&xaso_store::DossierFilter {
        top_level: Some(true),
        received_since: Some(xaso_store::format_utc(local_midnight(from))),
        received_until: Some(xaso_store::format_utc(local_midnight(
            to.next_day().unwrap_or(to),
        ))),
        limit: 100_000,
        ..Default::default()
    })?;
    let mut actual: BTreeMap<String, prefill::ReuseShare> = BTreeMap::new();
    for row in rows {
        let Some(form) = row
            .form
            .as_deref()
            .and_then(|f| serde_json::from_str::<StoredForm>(f).ok())
        else {
            continue;
        };
        let share = form.form.reuse_share();
        let slot = actual
            .entry(row.procedure_code.clone())
            .or_insert(prefill::ReuseShare {
                reused: 0,
                total: 0,
            });
        slot.reused += share.reused;
        slot.total += share.total;
    }
    Ok(shop
        .catalogue
        .reuse_report()
        .into_iter()
        .map(|(code, potential)| {
            let done = actual.get(code).copied().unwrap_or(prefill::ReuseShare {
                reused: 0,
                total: 0,
            });
            (code.to_owned(), potential, done)
        })
        .collect())
}

/// 00:00 in Viet Nam (UTC+7) on `d`.
pub fn local_midnight(d: Date) -> OffsetDateTime {
    let offset = time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC);
    d.midnight().assume_offset(offset)
}

/// The household address text of a person's permanent address (for pages).
pub fn address_text(a: &Address) -> Option<String> {
    prefill::address_text(a)
}
