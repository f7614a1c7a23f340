//! The e-form schema of a procedure: its fields, their types and rules, and the register value
//! that prefills each one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Text;

/// The fields of one e-form, in the order they are shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FormSchema {
    pub fields: Vec<FieldSpec>,
}

impl FormSchema {
    pub fn field(&self, key: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// How many fields the register can fill: those with a prefill source.
    pub fn prefillable(&self) -> usize {
        self.fields.iter().filter(|f| f.prefill.is_some()).count()
    }
}

/// One field of an e-form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSpec {
    /// Unique within the form; the key of the submitted value.
    pub key: String,
    pub label: Text,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    /// The register value that fills this field, e.g. `Mother.personal_id`, `Household.id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<PrefillSource>,
}

impl FieldSpec {
    /// An optional field without rules nor prefill.
    pub fn new(key: &str, vi: &str, en: &str, kind: FieldKind) -> FieldSpec {
        FieldSpec {
            key: key.to_owned(),
            label: Text::new(vi, en),
            kind,
            required: false,
            rules: Vec::new(),
            prefill: None,
        }
    }

    pub fn required(mut self) -> FieldSpec {
        self.required = true;
        self
    }

    pub fn rule(mut self, rule: Rule) -> FieldSpec {
        self.rules.push(rule);
        self
    }

    /// Prefilled from an attribute of a person of the dossier.
    pub fn from(mut self, party: PersonParty, attribute: PersonAttribute) -> FieldSpec {
        self.prefill = Some(PrefillSource::Person { party, attribute });
        self
    }

    /// Prefilled from the dossier's household.
    pub fn from_household(mut self, attribute: HouseholdAttribute) -> FieldSpec {
        self.prefill = Some(PrefillSource::Household(attribute));
        self
    }
}

/// The type of a field's value. Every value is submitted as text and read by the rules of
/// `xaso-domain` for its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FieldKind {
    Text,
    /// A full date, day first (07/03/1995) or ISO.
    Date,
    /// A date that may be a month and year or a year alone.
    PartialDate,
    /// Nam / Nữ.
    Sex,
    /// A 12-digit personal ID number.
    PersonalId,
    /// An old 9-digit identity card number.
    Cmnd,
    /// An ethnic group code of Decision 1019/QĐ-TCTK ("01" = Kinh).
    EthnicityCode,
    /// A five-digit commune code in force since 1 July 2025.
    CommuneCode,
    /// One of the listed values.
    Select {
        options: Vec<SelectOption>,
    },
    /// A whole number.
    Number,
    /// A Vietnamese phone number.
    Phone,
}

impl FieldKind {
    pub fn name(&self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Date => "date",
            FieldKind::PartialDate => "partial-date",
            FieldKind::Sex => "sex",
            FieldKind::PersonalId => "personal-id",
            FieldKind::Cmnd => "cmnd",
            FieldKind::EthnicityCode => "ethnicity-code",
            FieldKind::CommuneCode => "commune-code",
            FieldKind::Select { .. } => "select",
            FieldKind::Number => "number",
            FieldKind::Phone => "phone",
        }
    }

    /// Whether the values of this kind are dates (full or partial).
    pub fn is_date(&self) -> bool {
        matches!(self, FieldKind::Date | FieldKind::PartialDate)
    }
}

/// One choice of a select field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectOption {
    /// What is submitted and stored.
    pub value: String,
    pub label: Text,
}

impl SelectOption {
    pub fn new(value: &str, vi: &str, en: &str) -> SelectOption {
        SelectOption {
            value: value.to_owned(),
            label: Text::new(vi, en),
        }
    }
}

/// A rule a value must follow beyond its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub enum Rule {
    /// At least this many characters.
    MinLength { chars: u32 },
    /// At most this many characters.
    MaxLength { chars: u32 },
    /// A number at least this.
    Min { value: i64 },
    /// A number at most this.
    Max { value: i64 },
    /// A date not after today.
    NotInFuture,
    /// A person's full name: letters, no digits (`xaso_domain::name::check_full_name`).
    PersonName,
    /// A date before the date of another field (when both are given).
    Before { field: String },
    /// A date on or after the date of another field (when both are given).
    NotBefore { field: String },
    /// A personal ID whose birth year and sex agree with the named date-of-birth and sex
    /// fields (`PersonalId::check_against`).
    IdMatches {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        date_of_birth: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sex: Option<String>,
    },
    /// A date of birth less than this many years before today (a child under 6…).
    AgeUnder { years: u32 },
}

impl Rule {
    /// The other fields the rule refers to.
    pub fn referenced_fields(&self) -> Vec<&str> {
        match self {
            Rule::Before { field } | Rule::NotBefore { field } => vec![field.as_str()],
            Rule::IdMatches { date_of_birth, sex } => date_of_birth
                .iter()
                .chain(sex.iter())
                .map(String::as_str)
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A person a dossier concerns, in the role the procedure gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PersonParty {
    /// Who submits (người yêu cầu / người khai).
    Applicant,
    Father,
    Mother,
    /// The spouse, or the other party of a marriage.
    Spouse,
    Deceased,
    /// A child already in the register (health-insurance card, correction of a minor's record).
    Child,
    /// The person the procedure is about when not the applicant (the guest of a stay notice,
    /// the person whose permanent residence is deleted).
    Subject,
    /// The head of the household concerned (joined, hosting, or the child's).
    HouseholdHead,
}

impl PersonParty {
    pub const ALL: [PersonParty; 8] = [
        PersonParty::Applicant,
        PersonParty::Father,
        PersonParty::Mother,
        PersonParty::Spouse,
        PersonParty::Deceased,
        PersonParty::Child,
        PersonParty::Subject,
        PersonParty::HouseholdHead,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            PersonParty::Applicant => "Applicant",
            PersonParty::Father => "Father",
            PersonParty::Mother => "Mother",
            PersonParty::Spouse => "Spouse",
            PersonParty::Deceased => "Deceased",
            PersonParty::Child => "Child",
            PersonParty::Subject => "Subject",
            PersonParty::HouseholdHead => "HouseholdHead",
        }
    }

    pub const fn label_vi(self) -> &'static str {
        match self {
            PersonParty::Applicant => "Người yêu cầu",
            PersonParty::Father => "Cha",
            PersonParty::Mother => "Mẹ",
            PersonParty::Spouse => "Vợ/chồng",
            PersonParty::Deceased => "Người chết",
            PersonParty::Child => "Trẻ em",
            PersonParty::Subject => "Người được đề nghị",
            PersonParty::HouseholdHead => "Chủ hộ",
        }
    }
}

/// The parties a procedure needs: persons in roles, and possibly a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Party {
    Person(PersonParty),
    Household(HouseholdTag),
}

/// The single household party (serialized "Household").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum HouseholdTag {
    Household,
}

impl Party {
    pub const HOUSEHOLD: Party = Party::Household(HouseholdTag::Household);

    pub const fn as_str(self) -> &'static str {
        match self {
            Party::Person(p) => p.as_str(),
            Party::Household(_) => "Household",
        }
    }
}

/// A value the register holds about a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PersonAttribute {
    FullName,
    PersonalId,
    OldCmnd,
    DateOfBirth,
    Sex,
    Ethnicity,
    Nationality,
    Religion,
    HomeTown,
    BirthRegistrationPlace,
    /// The permanent address written out (detail, commune, province).
    PermanentAddress,
    PermanentCommuneCode,
    TemporaryAddress,
    CurrentAddress,
    /// Where the person resides (nơi cư trú): the permanent address, else the temporary one,
    /// else the current one.
    Residence,
    HouseholdId,
    RelationToHead,
    DeathDate,
    FatherFullName,
    FatherPersonalId,
    MotherFullName,
    MotherPersonalId,
    SpouseFullName,
    SpousePersonalId,
}

impl PersonAttribute {
    pub const ALL: [PersonAttribute; 24] = [
        PersonAttribute::FullName,
        PersonAttribute::PersonalId,
        PersonAttribute::OldCmnd,
        PersonAttribute::DateOfBirth,
        PersonAttribute::Sex,
        PersonAttribute::Ethnicity,
        PersonAttribute::Nationality,
        PersonAttribute::Religion,
        PersonAttribute::HomeTown,
        PersonAttribute::BirthRegistrationPlace,
        PersonAttribute::PermanentAddress,
        PersonAttribute::PermanentCommuneCode,
        PersonAttribute::TemporaryAddress,
        PersonAttribute::CurrentAddress,
        PersonAttribute::Residence,
        PersonAttribute::HouseholdId,
        PersonAttribute::RelationToHead,
        PersonAttribute::DeathDate,
        PersonAttribute::FatherFullName,
        PersonAttribute::FatherPersonalId,
        PersonAttribute::MotherFullName,
        PersonAttribute::MotherPersonalId,
        PersonAttribute::SpouseFullName,
        PersonAttribute::SpousePersonalId,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            PersonAttribute::FullName => "full_name",
            PersonAttribute::PersonalId => "personal_id",
            PersonAttribute::OldCmnd => "old_cmnd",
            PersonAttribute::DateOfBirth => "date_of_birth",
            PersonAttribute::Sex => "sex",
            PersonAttribute::Ethnicity => "ethnicity",
            PersonAttribute::Nationality => "nationality",
            PersonAttribute::Religion => "religion",
            PersonAttribute::HomeTown => "home_town",
            PersonAttribute::BirthRegistrationPlace => "birth_registration_place",
            PersonAttribute::PermanentAddress => "permanent_address",
            PersonAttribute::PermanentCommuneCode => "permanent_commune_code",
            PersonAttribute::TemporaryAddress => "temporary_address",
            PersonAttribute::CurrentAddress => "current_address",
            PersonAttribute::Residence => "residence",
            PersonAttribute::HouseholdId => "household_id",
            PersonAttribute::RelationToHead => "relation_to_head",
            PersonAttribute::DeathDate => "death_date",
            PersonAttribute::FatherFullName => "father_full_name",
            PersonAttribute::FatherPersonalId => "father_personal_id",
            PersonAttribute::MotherFullName => "mother_full_name",
            PersonAttribute::MotherPersonalId => "mother_personal_id",
            PersonAttribute::SpouseFullName => "spouse_full_name",
            PersonAttribute::SpousePersonalId => "spouse_personal_id",
        }
    }

    /// The field kinds this value can fill.
    pub fn fits(self, kind: &FieldKind) -> bool {
        use PersonAttribute as A;
        match self {
            A::PersonalId | A::FatherPersonalId | A::MotherPersonalId | A::SpousePersonalId => {
                matches!(kind, FieldKind::PersonalId)
            }
            A::OldCmnd => matches!(kind, FieldKind::Cmnd),
            A::DateOfBirth | A::DeathDate => kind.is_date(),
            A::Sex => matches!(kind, FieldKind::Sex),
            A::Ethnicity => matches!(kind, FieldKind::EthnicityCode),
            A::PermanentCommuneCode => matches!(kind, FieldKind::CommuneCode),
            _ => matches!(kind, FieldKind::Text),
        }
    }
}

/// A value the register holds about a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HouseholdAttribute {
    /// The household number (số hộ).
    Id,
    /// The household's address written out.
    Address,
    CommuneCode,
    HeadPersonalId,
}

impl HouseholdAttribute {
    pub const ALL: [HouseholdAttribute; 4] = [
        HouseholdAttribute::Id,
        HouseholdAttribute::Address,
        HouseholdAttribute::CommuneCode,
        HouseholdAttribute::HeadPersonalId,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            HouseholdAttribute::Id => "id",
            HouseholdAttribute::Address => "address",
            HouseholdAttribute::CommuneCode => "commune_code",
            HouseholdAttribute::HeadPersonalId => "head_personal_id",
        }
    }

    pub fn fits(self, kind: &FieldKind) -> bool {
        match self {
            HouseholdAttribute::Id | HouseholdAttribute::Address => {
                matches!(kind, FieldKind::Text)
            }
            HouseholdAttribute::CommuneCode => matches!(kind, FieldKind::CommuneCode),
            HouseholdAttribute::HeadPersonalId => matches!(kind, FieldKind::PersonalId),
        }
    }
}

/// Which register value fills a field, written `Party.attribute`: `Applicant.full_name`,
/// `Mother.personal_id`, `Deceased.date_of_birth`, `Household.id`… Only existing parties and
/// attributes parse, so a stored catalogue cannot name a value the register does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrefillSource {
    Person {
        party: PersonParty,
        attribute: PersonAttribute,
    },
    Household(HouseholdAttribute),
}

impl PrefillSource {
    pub fn party(self) -> Party {
        match self {
            PrefillSource::Person { party, .. } => Party::Person(party),
            PrefillSource::Household(_) => Party::HOUSEHOLD,
        }
    }

    /// Whether the value fits a field of this kind.
    pub fn fits(self, kind: &FieldKind) -> bool {
        match self {
            PrefillSource::Person { attribute, .. } => attribute.fits(kind),
            PrefillSource::Household(attribute) => attribute.fits(kind),
        }
    }
}

impl fmt::Display for PrefillSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrefillSource::Person { party, attribute } => {
                write!(f, "{}.{}", party.as_str(), attribute.as_str())
            }
            PrefillSource::Household(attribute) => write!(f, "Household.{}", attribute.as_str()),
        }
    }
}

/// Why a text is not a prefill source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSource(pub String);

impl fmt::Display for UnknownSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a register value (expected Party.attribute, e.g. Applicant.full_name \
             or Household.id)",
            self.0
        )
    }
}

impl std::error::Error for UnknownSource {}

impl FromStr for PrefillSource {
    type Err = UnknownSource;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownSource(s.to_owned());
        let (party, attribute) = s.trim().split_once('.').ok_or_else(unknown)?;
        if party == "Household" {
            return HouseholdAttribute::ALL
                .into_iter()
                .find(|a| a.as_str() == attribute)
                .map(PrefillSource::Household)
                .ok_or_else(unknown);
        }
        let party = PersonParty::ALL
            .into_iter()
            .find(|p| p.as_str() == party)
            .ok_or_else(unknown)?;
        let attribute = PersonAttribute::ALL
            .into_iter()
            .find(|a| a.as_str() == attribute)
            .ok_or_else(unknown)?;
        Ok(PrefillSource::Person { party, attribute })
    }
}

impl Serialize for PrefillSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PrefillSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_source_reads_back_from_its_name() {
        for party in PersonParty::ALL {
            for attribute in PersonAttribute::ALL {
                let s = PrefillSource::Person { party, attribute };
                assert_eq!(s.to_string().parse::<PrefillSource>().unwrap(), s);
            }
        }
        for attribute in HouseholdAttribute::ALL {
            let s = PrefillSource::Household(attribute);
            assert_eq!(s.to_string().parse::<PrefillSource>().unwrap(), s);
        }
        assert_eq!(
            "Mother.personal_id".parse::<PrefillSource>().unwrap(),
            PrefillSource::Person {
                party: PersonParty::Mother,
                attribute: PersonAttribute::PersonalId
            }
        );
    }

    #[test]
    fn names_the_register_does_not_hold_are_refused() {
        for bad in [
            "Household.full_name",
            "Cousin.full_name",
            "Applicant.shoe_size",
            "Applicant",
            "",
            "applicant.full_name",
        ] {
            let err = bad.parse::<PrefillSource>().unwrap_err();
            assert!(err.to_string().contains("Party.attribute"), "{err}");
        }
        let json = r#"{"key":"x","label":{"vi":"Họ","en":"Name"},"kind":{"type":"text"},
                       "prefill":"Household.full_name"}"#;
        let err = serde_json::from_str::<FieldSpec>(json).unwrap_err();
        assert!(err.to_string().contains("Household.full_name"), "{err}");
    }

    #[test]
    fn kinds_and_rules_serialize_as_tagged_json() {
        let f = FieldSpec::new("copies", "Số bản sao", "Copies", FieldKind::Number)
            .rule(Rule::Max { value: 20 })
            .from(PersonParty::Applicant, PersonAttribute::FullName);
        let json = serde_json::to_string(&f).unwrap();
        assert!(json.contains(r#""kind":{"type":"number"}"#), "{json}");
        assert!(json.contains(r#"{"rule":"max","value":20}"#), "{json}");
        assert!(
            json.contains(r#""prefill":"Applicant.full_name""#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<FieldSpec>(&json).unwrap(), f);
        assert_eq!(
            serde_json::to_string(&Party::HOUSEHOLD).unwrap(),
            r#""Household""#
        );
        assert_eq!(
            serde_json::from_str::<Party>(r#""Mother""#).unwrap(),
            Party::Person(PersonParty::Mother)
        );
    }
}
