//! E-forms prefilled from the register (C5): "no re-asking for data the state holds".
//!
//! [`draft`] fills every field whose [`PrefillSource`] the register holds for the dossier's
//! [`Parties`]; the citizen (or the desk) confirms instead of typing. [`Draft::apply`] lays the
//! submitted values over the draft: a key left out confirms the register's value; a value that
//! says the same thing in another spelling ("7/3/1995" for "07/03/1995", "nam" for "Nam") keeps
//! the register's value and origin; a different value, or a cleared one, becomes
//! [`Origin::Declared`] and records the register value it replaced, so the officer sees that
//! the declarant disagrees with the register.
//!
//! [`ReuseShare`] counts the fields reused; the plan's target is at least 20% fewer fields to
//! declare ([`REUSE_TARGET_PERCENT`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use xaso_domain::admin_units::units;
use xaso_domain::ethnic::ethnic_by_code;
use xaso_domain::register::{Address, Household, Person, PersonRef};
use xaso_domain::{name, PartialDate, Sex};

use crate::catalogue::{
    FieldKind, FormSchema, HouseholdAttribute, PersonAttribute, PersonParty, PrefillSource,
    Procedure,
};
use crate::validate::{normalize_phone, FormValues};
use crate::Text;

/// The plan's target: at least this share of a form's fields reused from the register
/// (seed 3.3: "cắt giảm tối thiểu 20% thông tin phải khai báo").
pub const REUSE_TARGET_PERCENT: u32 = 20;

/// The register records a dossier concerns, by the role each plays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parties {
    persons: BTreeMap<PersonParty, Person>,
    household: Option<Household>,
}

impl Parties {
    pub fn new() -> Parties {
        Parties::default()
    }

    pub fn with(mut self, party: PersonParty, person: Person) -> Parties {
        self.persons.insert(party, person);
        self
    }

    pub fn with_household(mut self, household: Household) -> Parties {
        self.household = Some(household);
        self
    }

    pub fn person(&self, party: PersonParty) -> Option<&Person> {
        self.persons.get(&party)
    }

    pub fn household(&self) -> Option<&Household> {
        self.household.as_ref()
    }
}

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "origin", rename_all = "kebab-case")]
pub enum Origin {
    /// Reused from the register: the declarant confirmed it.
    Register { source: PrefillSource },
    /// Typed by the declarant (or left empty). `replaced` is set when the register had a
    /// value and the declarant changed or cleared it.
    Declared {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replaced: Option<Replaced>,
    },
}

impl Origin {
    const DECLARED: Origin = Origin::Declared { replaced: None };

    pub fn is_register(&self) -> bool {
        matches!(self, Origin::Register { .. })
    }
}

/// The register value a declarant replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replaced {
    pub source: PrefillSource,
    pub register_value: String,
}

/// One field of a draft: the register's value when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftField {
    pub key: String,
    pub kind: FieldKind,
    pub value: Option<String>,
    pub origin: Origin,
}

/// A form filled from the register, before the declarant's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub procedure_code: String,
    pub fields: Vec<DraftField>,
}

/// The form as submitted, each field with its origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalForm {
    pub procedure_code: String,
    pub fields: Vec<FinalField>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalField {
    pub key: String,
    pub value: Option<String>,
    #[serde(flatten)]
    pub origin: Origin,
}

impl FinalField {
    /// What to tell the officer about a register value the declarant replaced.
    pub fn note(&self) -> Option<Text> {
        match &self.origin {
            Origin::Declared {
                replaced: Some(Replaced { register_value, .. }),
            } => Some(match &self.value {
                Some(_) => Text::new(
                    format!("Người khai đã sửa giá trị lấy từ cơ sở dữ liệu «{register_value}»"),
                    format!("The declarant changed the register value «{register_value}»"),
                ),
                None => Text::new(
                    format!("Người khai đã xóa giá trị lấy từ cơ sở dữ liệu «{register_value}»"),
                    format!("The declarant cleared the register value «{register_value}»"),
                ),
            }),
            _ => None,
        }
    }
}

/// How many of a form's fields were (or can be) filled from the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReuseShare {
    pub reused: usize,
    pub total: usize,
}

impl ReuseShare {
    /// The share in percent (0 for an empty form).
    pub fn percent(self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            // Field counts are small: the conversion is exact.
            self.reused as f64 * 100.0 / self.total as f64
        }
    }

    /// At least [`REUSE_TARGET_PERCENT`] of the fields reused.
    pub fn meets_target(self) -> bool {
        self.total > 0 && self.reused * 100 >= self.total * REUSE_TARGET_PERCENT as usize
    }
}

impl fmt::Display for ReuseShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} ({:.1}%)", self.reused, self.total, self.percent())
    }
}

/// The procedure's form filled from the register.
pub fn draft(procedure: &Procedure, parties: &Parties) -> Draft {
    draft_form(&procedure.code, &procedure.form, parties)
}

/// A form filled from the register; `procedure_code` names it in the result.
pub fn draft_form(procedure_code: &str, form: &FormSchema, parties: &Parties) -> Draft {
    let fields = form
        .fields
        .iter()
        .map(|f| {
            let found = f
                .prefill
                .and_then(|source| register_value(source, &f.kind, parties).map(|v| (source, v)));
            match found {
                Some((source, value)) => DraftField {
                    key: f.key.clone(),
                    kind: f.kind.clone(),
                    value: Some(value),
                    origin: Origin::Register { source },
                },
                None => DraftField {
                    key: f.key.clone(),
                    kind: f.kind.clone(),
                    value: None,
                    origin: Origin::DECLARED,
                },
            }
        })
        .collect();
    Draft {
        procedure_code: procedure_code.to_owned(),
        fields,
    }
}

impl Draft {
    /// The fields filled from the register.
    pub fn reuse_share(&self) -> ReuseShare {
        ReuseShare {
            reused: self
                .fields
                .iter()
                .filter(|f| f.origin.is_register())
                .count(),
            total: self.fields.len(),
        }
    }

    /// The values to show in the form.
    pub fn values(&self) -> FormValues {
        self.fields
            .iter()
            .filter_map(|f| f.value.clone().map(|v| (f.key.clone(), v)))
            .collect()
    }

    /// The final form: `submitted` laid over the draft (see the module documentation). Keys
    /// that are not fields of the form are ignored here; [`crate::validate::validate`] reports
    /// them.
    pub fn apply(&self, submitted: &FormValues) -> FinalForm {
        let fields = self
            .fields
            .iter()
            .map(|f| {
                let given = submitted.get(&f.key).map(|s| s.trim());
                let (value, origin) = match (given, &f.origin, &f.value) {
                    (None, origin, value) => (value.clone(), origin.clone()),
                    (Some(given), Origin::Register { source }, Some(register_value)) => {
                        if !given.is_empty() && same_value(&f.kind, given, register_value) {
                            (Some(register_value.clone()), f.origin.clone())
                        } else {
                            let replaced = Some(Replaced {
                                source: *source,
                                register_value: register_value.clone(),
                            });
                            (non_empty(given), Origin::Declared { replaced })
                        }
                    }
                    (Some(given), _, _) => (non_empty(given), Origin::DECLARED),
                };
                FinalField {
                    key: f.key.clone(),
                    value,
                    origin,
                }
            })
            .collect();
        FinalForm {
            procedure_code: self.procedure_code.clone(),
            fields,
        }
    }
}

impl FinalForm {
    /// The fields reused from the register.
    pub fn reuse_share(&self) -> ReuseShare {
        ReuseShare {
            reused: self
                .fields
                .iter()
                .filter(|f| f.origin.is_register())
                .count(),
            total: self.fields.len(),
        }
    }

    /// The submitted values, for [`crate::validate::validate`].
    pub fn values(&self) -> FormValues {
        self.fields
            .iter()
            .filter_map(|f| f.value.clone().map(|v| (f.key.clone(), v)))
            .collect()
    }

    /// The fields whose register value the declarant changed or cleared.
    pub fn replaced(&self) -> impl Iterator<Item = &FinalField> {
        self.fields
            .iter()
            .filter(|f| matches!(f.origin, Origin::Declared { replaced: Some(_) }))
    }

    pub fn field(&self, key: &str) -> Option<&FinalField> {
        self.fields.iter().find(|f| f.key == key)
    }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| name::nfc(s))
}

fn collapse(s: &str) -> String {
    name::nfc(&s.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Whether two texts mean the same value of this kind.
fn same_value(kind: &FieldKind, a: &str, b: &str) -> bool {
    match kind {
        FieldKind::Date | FieldKind::PartialDate => {
            match (PartialDate::parse(a), PartialDate::parse(b)) {
                (Ok(a), Ok(b)) => a == b,
                _ => collapse(a) == collapse(b),
            }
        }
        FieldKind::Sex => Sex::parse(a).is_some() && Sex::parse(a) == Sex::parse(b),
        FieldKind::EthnicityCode => match (ethnic_by_code(a), ethnic_by_code(b)) {
            (Some(a), Some(b)) => a.code == b.code,
            _ => a.trim() == b.trim(),
        },
        FieldKind::Number => match (a.trim().parse::<i64>(), b.trim().parse::<i64>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => a.trim() == b.trim(),
        },
        FieldKind::Phone => match (normalize_phone(a), normalize_phone(b)) {
            (Some(a), Some(b)) => a == b,
            _ => a.trim() == b.trim(),
        },
        _ => collapse(a) == collapse(b),
    }
}

fn text(s: &str) -> Option<String> {
    non_empty(s)
}

fn opt_text(s: &Option<String>) -> Option<String> {
    s.as_deref().and_then(text)
}

/// An address written out: the detail, then the commune and its province when the code is
/// known.
pub fn address_text(a: &Address) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    if let Some(detail) = opt_text(&a.detail) {
        parts.push(detail);
    }
    if let Some(commune) = a.commune_code.as_deref().and_then(|c| units().commune(c)) {
        parts.push(commune.name.clone());
        if let Some(province) = units().province(&commune.province_code) {
            parts.push(province.name.clone());
        }
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn date_value(d: Option<PartialDate>, kind: &FieldKind) -> Option<String> {
    let d = d?;
    // A full-date field is not filled with a year alone: the declarant gives the full date.
    if matches!(kind, FieldKind::Date) && d.full().is_none() {
        return None;
    }
    Some(d.to_vi())
}

fn ref_name(r: &PersonRef) -> Option<String> {
    opt_text(&r.full_name)
}

fn ref_id(r: &PersonRef) -> Option<String> {
    r.personal_id.as_ref().map(ToString::to_string)
}

/// The value the register holds for `source`, written as a form value for a field of `kind`.
pub fn register_value(
    source: PrefillSource,
    kind: &FieldKind,
    parties: &Parties,
) -> Option<String> {
    match source {
        PrefillSource::Person { party, attribute } => {
            person_value(parties.person(party)?, attribute, kind)
        }
        PrefillSource::Household(attribute) => {
            let h = parties.household()?;
            match attribute {
                HouseholdAttribute::Id => text(&h.id),
                HouseholdAttribute::Address => address_text(&h.address),
                HouseholdAttribute::CommuneCode => opt_text(&h.address.commune_code),
                HouseholdAttribute::HeadPersonalId => {
                    h.head_personal_id.as_ref().map(ToString::to_string)
                }
            }
        }
    }
}

fn person_value(p: &Person, attribute: PersonAttribute, kind: &FieldKind) -> Option<String> {
    use PersonAttribute as A;
    match attribute {
        A::FullName => text(&p.full_name),
        A::PersonalId => Some(p.personal_id.to_string()),
        A::OldCmnd => p.old_cmnd.as_ref().map(ToString::to_string),
        A::DateOfBirth => date_value(p.date_of_birth, kind),
        A::DeathDate => date_value(p.death_date, kind),
        A::Sex => p.sex.map(|s| s.label_vi().to_owned()),
        A::Ethnicity => p
            .ethnicity
            .as_deref()
            .map(|c| ethnic_by_code(c).map_or_else(|| c.trim().to_owned(), |e| e.code.clone())),
        A::Nationality => p.nationality.as_deref().and_then(|n| {
            if n.trim() == "VN" {
                Some("Việt Nam".to_owned())
            } else {
                text(n)
            }
        }),
        A::Religion => opt_text(&p.religion),
        A::HomeTown => opt_text(&p.home_town),
        A::BirthRegistrationPlace => opt_text(&p.birth_registration_place),
        A::PermanentAddress => address_text(&p.permanent_address),
        A::PermanentCommuneCode => opt_text(&p.permanent_address.commune_code),
        A::TemporaryAddress => address_text(&p.temporary_address),
        A::CurrentAddress => address_text(&p.current_address),
        A::Residence => address_text(&p.permanent_address)
            .or_else(|| address_text(&p.temporary_address))
            .or_else(|| address_text(&p.current_address)),
        A::HouseholdId => opt_text(&p.household_id),
        A::RelationToHead => opt_text(&p.relation_to_head),
        A::FatherFullName => ref_name(&p.father),
        A::FatherPersonalId => ref_id(&p.father),
        A::MotherFullName => ref_name(&p.mother),
        A::MotherPersonalId => ref_id(&p.mother),
        A::SpouseFullName => ref_name(&p.spouse),
        A::SpousePersonalId => ref_id(&p.spouse),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests;
