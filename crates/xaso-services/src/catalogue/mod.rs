//! The procedure catalogue of the one-stop shop (C4): what the commune's desk offers, who
//! handles it, on what legal basis, by when, for how much, with which papers and which e-form.
//!
//! [`Catalogue::builtin`] gives the commune-level procedures among the 25 essential services of
//! Đề án 06 (birth, death and marriage registration; permanent residence registration and
//! deletion; temporary residence; temporary absence; stay notice; funeral allowance; the
//! health-insurance card of a child under 6), the two interlinked groups of Decree
//! 63/2024/NĐ-CP, marital-status confirmation and civil-status correction.
//!
//! The catalogue is plain data (serde), so an admin page can edit and store it;
//! [`Catalogue::validate`] says what is wrong with an edited one.
//!
//! # Sources
//!
//! Each legal reference, deadline and fee carries a [`Sourcing`]: where it was checked, or
//! [`Sourcing::ToBeConfirmed`] with what is uncertain. The sources used:
//! - the procedure records of the National Public Service Portal (dichvucong.gov.vn, records
//!   crawled July 2026: codes, legal bases, processing times, fees), cited as `DVCQG <code>`;
//! - the text of the Law on Civil Status 60/2014/QH13 (codified text, Pháp điển);
//! - `MISSION.md` (Decree 63/2024, Law on Residence Art. 30, Decision 766);
//! - summaries of Decree 63/2024/NĐ-CP Art. 8 (birth registration of the group on the same
//!   working day).

mod builtin;
pub mod form;

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, PrimitiveDateTime};
use xaso_domain::calendar::WorkingCalendar;
use xaso_domain::dossier::is_handling_role;
use xaso_domain::role::Role;

use crate::prefill::ReuseShare;
use crate::Text;
pub use form::{
    FieldKind, FieldSpec, FormSchema, HouseholdAttribute, Party, PersonAttribute, PersonParty,
    PrefillSource, Rule, SelectOption,
};

/// Stable codes of the built-in procedures.
pub mod codes {
    pub const BIRTH_REGISTRATION: &str = "birth-registration";
    pub const DEATH_REGISTRATION: &str = "death-registration";
    pub const MARRIAGE_REGISTRATION: &str = "marriage-registration";
    pub const PERMANENT_RESIDENCE_REGISTRATION: &str = "permanent-residence-registration";
    pub const PERMANENT_RESIDENCE_DELETION: &str = "permanent-residence-deletion";
    pub const TEMPORARY_RESIDENCE_REGISTRATION: &str = "temporary-residence-registration";
    pub const TEMPORARY_ABSENCE_DECLARATION: &str = "temporary-absence-declaration";
    pub const STAY_NOTICE: &str = "stay-notice";
    pub const BIRTH_GROUP: &str = "birth-group";
    pub const DEATH_GROUP: &str = "death-group";
    pub const FUNERAL_ALLOWANCE: &str = "funeral-allowance";
    pub const CHILD_HEALTH_INSURANCE_CARD: &str = "child-health-insurance-card";
    pub const MARITAL_STATUS_CONFIRMATION: &str = "marital-status-confirmation";
    pub const CIVIL_STATUS_CORRECTION: &str = "civil-status-correction";
}

/// All procedures the desk offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Catalogue {
    pub procedures: Vec<Procedure>,
}

/// One administrative procedure (thủ tục hành chính), or an interlinked group of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    /// Stable, unique: what dossiers store.
    pub code: String,
    /// The code of the national procedure database when known (e.g. "1.001193").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national_code: Option<String>,
    pub name: Text,
    pub sector: Sector,
    pub agency: Agency,
    /// The commune officer who handles (or, for an outside agency, follows) the dossier: one
    /// of justice, police, labour or land.
    pub handling_role: Role,
    pub legal_basis: Vec<LegalBasis>,
    pub deadline: Deadline,
    pub deadline_sourcing: Sourcing,
    pub fee: Fee,
    pub fee_sourcing: Sourcing,
    /// Conditions of the fee (exemptions, late registration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_note: Option<Text>,
    pub documents: Vec<RequiredDocument>,
    pub online_level: OnlineLevel,
    /// The persons (and household) whose register data the form uses.
    pub parties: Vec<Party>,
    pub form: FormSchema,
    /// For an interlinked group, the procedures one submission spawns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<GroupStep>,
}

impl Procedure {
    pub fn is_group(&self) -> bool {
        !self.steps.is_empty()
    }

    /// The share of this procedure's form fields the register can fill.
    pub fn reuse_potential(&self) -> ReuseShare {
        ReuseShare {
            reused: self.form.prefillable(),
            total: self.form.fields.len(),
        }
    }
}

/// The field of state management a procedure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sector {
    /// Hộ tịch.
    CivilStatus,
    /// Cư trú.
    Residence,
    /// Bảo hiểm xã hội, bảo hiểm y tế.
    SocialInsurance,
    /// Lao động, thương binh và xã hội (allowances, social protection).
    Labour,
    /// Several sectors: an interlinked group.
    Interlinked,
}

impl Sector {
    pub fn label(self) -> Text {
        match self {
            Sector::CivilStatus => Text::new("Hộ tịch", "Civil status"),
            Sector::Residence => Text::new("Cư trú", "Residence"),
            Sector::SocialInsurance => Text::new("Bảo hiểm xã hội", "Social insurance"),
            Sector::Labour => Text::new(
                "Lao động, thương binh và xã hội",
                "Labour, invalids and social affairs",
            ),
            Sector::Interlinked => Text::new("Liên thông", "Interlinked"),
        }
    }
}

/// The body that decides a procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Agency {
    /// The commune People's Committee (its justice – civil status officer prepares).
    CommuneCommittee,
    /// The commune police (residence registration authority).
    CommunePolice,
    /// The social insurance agency (health-insurance cards, social-insurance benefits); the
    /// commune follows its sub-dossier.
    SocialInsurance,
    /// Several agencies: an interlinked group.
    Interlinked,
}

impl Agency {
    pub fn label(self) -> Text {
        match self {
            Agency::CommuneCommittee => {
                Text::new("Ủy ban nhân dân cấp xã", "Commune People's Committee")
            }
            Agency::CommunePolice => Text::new("Công an cấp xã", "Commune police"),
            Agency::SocialInsurance => {
                Text::new("Cơ quan bảo hiểm xã hội", "Social insurance agency")
            }
            Agency::Interlinked => Text::new("Liên thông nhiều cơ quan", "Several agencies"),
        }
    }
}

/// How long an agency has to handle a dossier, counted by the working-day calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Deadline {
    /// Within the day of receipt; received after 15:00, the next working day.
    WithinTheDay,
    /// This many working days after the clock starts.
    WorkingDays(u32),
}

impl Deadline {
    /// As the dossier clock counts it (0 = within the day).
    pub const fn working_days(self) -> u32 {
        match self {
            Deadline::WithinTheDay => 0,
            Deadline::WorkingDays(n) => n,
        }
    }

    /// The due date of a dossier received at local time `received`.
    pub fn due_date(self, calendar: &WorkingCalendar, received: PrimitiveDateTime) -> Date {
        calendar.due_date(received, self.working_days())
    }

    pub fn label(self) -> Text {
        match self {
            Deadline::WithinTheDay => Text::new(
                "Trong ngày (nhận sau 15 giờ 00 thì trả trong ngày làm việc tiếp theo)",
                "Within the day (received after 15:00: the next working day)",
            ),
            Deadline::WorkingDays(n) => {
                Text::new(format!("{n} ngày làm việc"), format!("{n} working days"))
            }
        }
    }
}

/// What a procedure costs the applicant, in đồng.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fee", rename_all = "kebab-case")]
pub enum Fee {
    Free,
    /// A national fee, lower online.
    Fixed {
        desk_vnd: u64,
        online_vnd: u64,
    },
    /// Set by the provincial People's Council; exemptions in `note`.
    SetByProvince {
        note: Text,
    },
    /// The fees of the group's procedures.
    OfSteps,
}

/// Where a fact of the catalogue was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Sourcing {
    /// Checked against `source`.
    Sourced { source: String },
    /// Not checked against a text at hand: `note` says what to confirm.
    ToBeConfirmed { note: String },
}

impl Sourcing {
    pub fn sourced(source: &str) -> Sourcing {
        Sourcing::Sourced {
            source: source.to_owned(),
        }
    }

    pub fn to_confirm(note: &str) -> Sourcing {
        Sourcing::ToBeConfirmed {
            note: note.to_owned(),
        }
    }

    pub fn is_confirmed(&self) -> bool {
        matches!(self, Sourcing::Sourced { .. })
    }
}

/// One legal document a procedure rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalBasis {
    /// The document as written in Vietnamese, with its number ("Luật Hộ tịch số 60/2014/QH13").
    pub document: String,
    /// Articles, only when checked in the text ("Điều 15, 16").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provision: Option<String>,
    pub sourcing: Sourcing,
}

/// A paper the applicant submits or shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequiredDocument {
    pub name: Text,
    pub handling: DocumentHandling,
    /// The state may already hold it electronically (population or civil-status database,
    /// the citizen's digital folder): then it is not asked for.
    #[serde(default)]
    pub held_by_state: bool,
}

/// Whether a paper is handed in or only shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentHandling {
    /// Nộp.
    Submit,
    /// Xuất trình.
    Present,
}

/// How far a procedure can be done online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnlineLevel {
    /// Toàn trình: submission, payment and result online.
    Full,
    /// Một phần: some step needs presence (e.g. both spouses sign the marriage register).
    Partial,
}

/// One procedure an interlinked group spawns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupStep {
    pub procedure_code: String,
    pub agency: Agency,
    pub handling_role: Role,
    /// The step's own deadline within the group.
    pub deadline: Deadline,
    pub deadline_sourcing: Sourcing,
    /// The step whose result this one waits for (e.g. permanent residence after the birth
    /// certificate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// A rule an edited catalogue breaks, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueProblem {
    /// The procedure's code (as given, possibly blank).
    pub procedure: String,
    /// The form field's key, when the problem is a field's.
    pub field: Option<String>,
    pub kind: ProblemKind,
}

/// The rules of [`Catalogue::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    BlankCode,
    DuplicateCode,
    MissingText {
        what: &'static str,
    },
    NotAHandlingRole {
        role: Role,
    },
    BlankFieldKey,
    DuplicateFieldKey,
    EmptySelect,
    DuplicateOption {
        value: String,
    },
    /// The prefill source names a party the procedure does not list.
    PartyNotInProcedure {
        source: String,
    },
    /// The prefill source's value does not fit the field's type.
    SourceDoesNotFit {
        source: String,
        kind: &'static str,
    },
    /// A rule names a field the form does not have, or one that is not a date.
    BadRuleReference {
        referenced: String,
    },
    /// A group step names an unknown procedure, a group, or comes after an unknown step.
    BadStep {
        referenced: String,
    },
    /// An interlinked group with fewer than two steps.
    GroupTooSmall,
}

impl CatalogueProblem {
    /// Where: "code" or "code/field"; a blank code is named in words.
    fn at(&self, no_code: &str) -> String {
        let code = self.procedure.trim();
        let code = if code.is_empty() { no_code } else { code };
        match &self.field {
            Some(field) => format!("{code}/{field}"),
            None => code.to_owned(),
        }
    }

    /// The rule in Vietnamese.
    pub fn vi(&self) -> String {
        let at = self.at("(thủ tục chưa có mã)");
        let rule = match &self.kind {
            ProblemKind::BlankCode => "thủ tục chưa có mã".to_owned(),
            ProblemKind::DuplicateCode => "mã thủ tục bị trùng".to_owned(),
            ProblemKind::MissingText { what } => {
                format!("thiếu nội dung tiếng Việt hoặc tiếng Anh ({what})")
            }
            ProblemKind::NotAHandlingRole { role } => format!(
                "vai trò {} không giải quyết hồ sơ (chỉ tư pháp, công an, lao động hoặc địa chính)",
                role.label_vi()
            ),
            ProblemKind::BlankFieldKey => "trường chưa có khóa".to_owned(),
            ProblemKind::DuplicateFieldKey => "khóa trường bị trùng trong biểu mẫu".to_owned(),
            ProblemKind::EmptySelect => "trường lựa chọn chưa có phương án nào".to_owned(),
            ProblemKind::DuplicateOption { value } => {
                format!("phương án lựa chọn {value:?} bị trùng")
            }
            ProblemKind::PartyNotInProcedure { source } => {
                format!("nguồn điền sẵn {source} thuộc một bên mà thủ tục không có")
            }
            ProblemKind::SourceDoesNotFit { source, kind } => {
                format!("giá trị của nguồn điền sẵn {source} không hợp với kiểu trường {kind}")
            }
            ProblemKind::BadRuleReference { referenced } => format!(
                "quy tắc nhắc đến trường {referenced:?} không có trong biểu mẫu hoặc không phải ngày"
            ),
            ProblemKind::BadStep { referenced } => format!(
                "bước liên thông nhắc đến thủ tục {referenced:?} không có, là một nhóm liên thông \
                 hoặc không phải bước trước trong nhóm"
            ),
            ProblemKind::GroupTooSmall => "nhóm liên thông phải có ít nhất hai bước".to_owned(),
        };
        format!("{at}: {rule}")
    }
}

impl fmt::Display for CatalogueProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.at("(procedure without code)"))?;
        match &self.kind {
            ProblemKind::BlankCode => f.write_str("the procedure has no code"),
            ProblemKind::DuplicateCode => f.write_str("the procedure code is used twice"),
            ProblemKind::MissingText { what } => {
                write!(f, "the Vietnamese or English text is missing ({what})")
            }
            ProblemKind::NotAHandlingRole { role } => write!(
                f,
                "the {role} role does not handle dossiers (justice, police, labour or land does)"
            ),
            ProblemKind::BlankFieldKey => f.write_str("a field has no key"),
            ProblemKind::DuplicateFieldKey => {
                f.write_str("the field key is used twice in the form")
            }
            ProblemKind::EmptySelect => f.write_str("the select field has no option"),
            ProblemKind::DuplicateOption { value } => {
                write!(f, "the option {value:?} is listed twice")
            }
            ProblemKind::PartyNotInProcedure { source } => write!(
                f,
                "the prefill source {source} names a party the procedure does not have"
            ),
            ProblemKind::SourceDoesNotFit { source, kind } => write!(
                f,
                "the value of the prefill source {source} does not fit a {kind} field"
            ),
            ProblemKind::BadRuleReference { referenced } => write!(
                f,
                "a rule refers to the field {referenced:?}, which the form does not have or is \
                 not a date"
            ),
            ProblemKind::BadStep { referenced } => write!(
                f,
                "a group step refers to {referenced:?}, which is not a procedure of the \
                 catalogue, is a group, or is not an earlier step of the group"
            ),
            ProblemKind::GroupTooSmall => f.write_str("an interlinked group needs two steps"),
        }
    }
}

impl Catalogue {
    /// The built-in catalogue.
    pub fn builtin() -> Catalogue {
        builtin::catalogue()
    }

    pub fn get(&self, code: &str) -> Option<&Procedure> {
        self.procedures.iter().find(|p| p.code == code)
    }

    /// Every rule the catalogue breaks; empty when it is sound. Unknown prefill sources
    /// cannot occur: they do not parse ([`PrefillSource`]).
    pub fn validate(&self) -> Vec<CatalogueProblem> {
        let mut out = Vec::new();
        let mut codes = BTreeSet::new();
        for p in &self.procedures {
            let problem = |field: Option<&str>, kind| CatalogueProblem {
                procedure: p.code.clone(),
                field: field.map(str::to_owned),
                kind,
            };
            if p.code.trim().is_empty() {
                out.push(problem(None, ProblemKind::BlankCode));
            } else if !codes.insert(p.code.as_str()) {
                out.push(problem(None, ProblemKind::DuplicateCode));
            }
            if !p.name.is_complete() {
                out.push(problem(None, ProblemKind::MissingText { what: "name" }));
            }
            if !is_handling_role(p.handling_role) {
                out.push(problem(
                    None,
                    ProblemKind::NotAHandlingRole {
                        role: p.handling_role,
                    },
                ));
            }
            for d in &p.documents {
                if !d.name.is_complete() {
                    out.push(problem(None, ProblemKind::MissingText { what: "document" }));
                }
            }
            self.validate_form(p, &mut out);
            self.validate_steps(p, &mut out);
        }
        out
    }

    fn validate_form(&self, p: &Procedure, out: &mut Vec<CatalogueProblem>) {
        let mut keys = BTreeSet::new();
        for f in &p.form.fields {
            let problem = |kind| CatalogueProblem {
                procedure: p.code.clone(),
                field: Some(f.key.clone()),
                kind,
            };
            if f.key.trim().is_empty() {
                out.push(problem(ProblemKind::BlankFieldKey));
            } else if !keys.insert(f.key.as_str()) {
                out.push(problem(ProblemKind::DuplicateFieldKey));
            }
            if !f.label.is_complete() {
                out.push(problem(ProblemKind::MissingText { what: "label" }));
            }
            if let FieldKind::Select { options } = &f.kind {
                if options.is_empty() {
                    out.push(problem(ProblemKind::EmptySelect));
                }
                let mut values = BTreeSet::new();
                for o in options {
                    if !values.insert(o.value.as_str()) {
                        out.push(problem(ProblemKind::DuplicateOption {
                            value: o.value.clone(),
                        }));
                    }
                    if !o.label.is_complete() || o.value.trim().is_empty() {
                        out.push(problem(ProblemKind::MissingText { what: "option" }));
                    }
                }
            }
            if let Some(source) = f.prefill {
                if !p.parties.contains(&source.party()) {
                    out.push(problem(ProblemKind::PartyNotInProcedure {
                        source: source.to_string(),
                    }));
                }
                if !source.fits(&f.kind) {
                    out.push(problem(ProblemKind::SourceDoesNotFit {
                        source: source.to_string(),
                        kind: f.kind.name(),
                    }));
                }
            }
            for rule in &f.rules {
                for referenced in rule.referenced_fields() {
                    let ok = p.form.field(referenced).is_some_and(|r| match rule {
                        Rule::IdMatches { sex, .. } if sex.as_deref() == Some(referenced) => {
                            matches!(r.kind, FieldKind::Sex)
                        }
                        _ => r.kind.is_date(),
                    });
                    if !ok {
                        out.push(problem(ProblemKind::BadRuleReference {
                            referenced: referenced.to_owned(),
                        }));
                    }
                }
            }
        }
    }

    fn validate_steps(&self, p: &Procedure, out: &mut Vec<CatalogueProblem>) {
        let problem = |kind| CatalogueProblem {
            procedure: p.code.clone(),
            field: None,
            kind,
        };
        if p.sector == Sector::Interlinked && p.steps.len() < 2 {
            out.push(problem(ProblemKind::GroupTooSmall));
        }
        let mut earlier = BTreeSet::new();
        for step in &p.steps {
            let known = self
                .get(&step.procedure_code)
                .is_some_and(|s| !s.is_group() && s.code != p.code);
            if !known {
                out.push(problem(ProblemKind::BadStep {
                    referenced: step.procedure_code.clone(),
                }));
            }
            if let Some(after) = &step.after {
                if !earlier.contains(after.as_str()) {
                    out.push(problem(ProblemKind::BadStep {
                        referenced: after.clone(),
                    }));
                }
            }
            if !is_handling_role(step.handling_role) {
                out.push(problem(ProblemKind::NotAHandlingRole {
                    role: step.handling_role,
                }));
            }
            earlier.insert(step.procedure_code.as_str());
        }
    }

    /// The share of form fields each procedure's register data can fill, in catalogue order.
    pub fn reuse_report(&self) -> Vec<(&str, ReuseShare)> {
        self.procedures
            .iter()
            .map(|p| (p.code.as_str(), p.reuse_potential()))
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
