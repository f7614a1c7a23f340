//! The population register model, after the essentials of QCVN 109:2017/BTTTT: persons,
//! households and residence events. These are plain data; the store keeps their history.

use serde::{Deserialize, Serialize};

use crate::{Cmnd, PartialDate, PersonalId, Sex};

/// A reference to another person: the personal ID when known, the name as recorded anyway
/// (old records often name a parent without an ID).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PersonRef {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub personal_id: Option<PersonalId>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub full_name: Option<String>,
}

impl PersonRef {
    pub fn is_empty(&self) -> bool {
        self.personal_id.is_none() && self.full_name.is_none()
    }
}

/// An address as recorded: the free-text part (house, street, village) and the commune it lies
/// in, by the code of the unit in force since 1 July 2025 when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Address {
    /// House number, street, village (thôn/xóm/tổ dân phố) as typed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<String>,
    /// Five-digit commune code (new structure).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub commune_code: Option<String>,
}

impl Address {
    pub fn is_empty(&self) -> bool {
        self.detail.is_none() && self.commune_code.is_none()
    }
}

/// One person of the register: the fields a commune needs from QCVN 109:2017.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub personal_id: PersonalId,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub old_cmnd: Option<Cmnd>,
    /// NFC, as typed.
    pub full_name: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub other_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date_of_birth: Option<PartialDate>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sex: Option<Sex>,
    /// Place where the birth was registered (nơi đăng ký khai sinh).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub birth_registration_place: Option<String>,
    /// Home town (quê quán).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub home_town: Option<String>,
    /// Ethnic group code of Decision 1019/QĐ-TCTK ("01" = Kinh).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ethnicity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub religion: Option<String>,
    /// ISO 3166 alpha-2, "VN" for Vietnamese citizens.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nationality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub blood_type: Option<String>,
    #[serde(skip_serializing_if = "Address::is_empty", default)]
    pub permanent_address: Address,
    #[serde(skip_serializing_if = "Address::is_empty", default)]
    pub temporary_address: Address,
    #[serde(skip_serializing_if = "Address::is_empty", default)]
    pub current_address: Address,
    #[serde(skip_serializing_if = "PersonRef::is_empty", default)]
    pub father: PersonRef,
    #[serde(skip_serializing_if = "PersonRef::is_empty", default)]
    pub mother: PersonRef,
    #[serde(skip_serializing_if = "PersonRef::is_empty", default)]
    pub spouse: PersonRef,
    #[serde(skip_serializing_if = "PersonRef::is_empty", default)]
    pub guardian: PersonRef,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub death_date: Option<PartialDate>,
    /// The household this person belongs to, and the relation to its head ("Chủ hộ", "Vợ", "Con"...).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub household_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub relation_to_head: Option<String>,
}

impl Person {
    /// A person with only the required fields; the rest empty.
    pub fn new(personal_id: PersonalId, full_name: impl Into<String>) -> Self {
        Person {
            personal_id,
            old_cmnd: None,
            full_name: full_name.into(),
            other_name: None,
            date_of_birth: None,
            sex: None,
            birth_registration_place: None,
            home_town: None,
            ethnicity: None,
            religion: None,
            nationality: None,
            blood_type: None,
            permanent_address: Address::default(),
            temporary_address: Address::default(),
            current_address: Address::default(),
            father: PersonRef::default(),
            mother: PersonRef::default(),
            spouse: PersonRef::default(),
            guardian: PersonRef::default(),
            death_date: None,
            household_id: None,
            relation_to_head: None,
        }
    }

    pub fn is_deceased(&self) -> bool {
        self.death_date.is_some()
    }

    /// The rules a whole record must satisfy beyond each value being well-formed, each broken
    /// one with the field it concerns (API field names; the importer maps them to columns).
    /// One list for every way a record enters the register. Each rule comes in English
    /// (`rule`, for the JSON API and the command line) and Vietnamese (`rule_vi`).
    pub fn problems(&self) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        if let Some(p) = crate::name::check_full_name(&self.full_name) {
            out.push(FieldProblem::new("full_name", p.en(), p.vi()));
        }
        for m in self
            .personal_id
            .check_against(self.date_of_birth.as_ref(), self.sex)
        {
            let field = match m {
                crate::personal_id::IdMismatch::Sex { .. } => "sex",
                crate::personal_id::IdMismatch::BirthYear { .. } => "date_of_birth",
            };
            out.push(FieldProblem::new(field, m.to_string(), m.vi()));
        }
        if let (Some(birth), Some(death)) = (self.date_of_birth, self.death_date) {
            // Partial dates compare by what both know: the year, or the whole date.
            let before = death.year() < birth.year()
                || matches!((death.full(), birth.full()), (Some(d), Some(b)) if d < b);
            if before {
                out.push(FieldProblem::new(
                    "death_date",
                    "the date of death is before the date of birth",
                    format!(
                        "Ngày mất ({}) trước ngày sinh ({})",
                        death.to_vi(),
                        birth.to_vi()
                    ),
                ));
            }
        }
        if let Some(code) = &self.ethnicity {
            if crate::ethnic::ethnic_by_code(code).is_none() {
                out.push(FieldProblem::new(
                    "ethnicity",
                    format!(
                        "{code:?} is not an ethnic group code of Decision 1019/QĐ-TCTK (01–54)"
                    ),
                    format!(
                        "Mã dân tộc {:?} không có trong danh mục của Quyết định \
                         1019/QĐ-TCTK (từ 01 đến 54)",
                        crate::name::nfc(code)
                    ),
                ));
            }
        }
        for (field, address, which_vi) in [
            (
                "permanent_address.commune_code",
                &self.permanent_address,
                "nơi thường trú",
            ),
            (
                "temporary_address.commune_code",
                &self.temporary_address,
                "nơi tạm trú",
            ),
            (
                "current_address.commune_code",
                &self.current_address,
                "nơi ở hiện tại",
            ),
        ] {
            if let Some(code) = &address.commune_code {
                if crate::admin_units::units().commune(code).is_none() {
                    out.push(FieldProblem::new(
                        field,
                        format!("{code:?} is not the code of a commune in force since 1 July 2025"),
                        format!(
                            "Mã xã {which_vi} {:?} không phải là mã xã, phường, đặc khu \
                             đang có hiệu lực từ ngày 01/7/2025",
                            crate::name::nfc(code)
                        ),
                    ));
                }
            }
        }
        out
    }
}

/// A rule a record breaks, and the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The API's field name ("date_of_birth", "permanent_address.commune_code"…).
    pub field: &'static str,
    /// The rule in English (the JSON API, the command line, the import report).
    pub rule: String,
    /// The same rule in Vietnamese, for the officer pages.
    pub rule_vi: String,
}

impl FieldProblem {
    /// A problem with its rule in both languages.
    pub fn new(field: &'static str, rule: impl Into<String>, rule_vi: impl Into<String>) -> Self {
        FieldProblem {
            field,
            rule: rule.into(),
            rule_vi: rule_vi.into(),
        }
    }
}

/// A household (hộ gia đình): its number, head and address. Members are the persons whose
/// `household_id` names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub head_personal_id: Option<PersonalId>,
    #[serde(skip_serializing_if = "Address::is_empty", default)]
    pub address: Address,
}

/// What happened to a person's residence (Law on Residence 2020).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidenceEventKind {
    PermanentRegistered,
    PermanentDeleted,
    TemporaryRegistered,
    TemporaryDeleted,
    AbsenceDeclared,
    AbsenceEnded,
}

impl ResidenceEventKind {
    pub const ALL: [ResidenceEventKind; 6] = [
        Self::PermanentRegistered,
        Self::PermanentDeleted,
        Self::TemporaryRegistered,
        Self::TemporaryDeleted,
        Self::AbsenceDeclared,
        Self::AbsenceEnded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PermanentRegistered => "permanent_registered",
            Self::PermanentDeleted => "permanent_deleted",
            Self::TemporaryRegistered => "temporary_registered",
            Self::TemporaryDeleted => "temporary_deleted",
            Self::AbsenceDeclared => "absence_declared",
            Self::AbsenceEnded => "absence_ended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Self::PermanentRegistered => "Đăng ký thường trú",
            Self::PermanentDeleted => "Xóa đăng ký thường trú",
            Self::TemporaryRegistered => "Đăng ký tạm trú",
            Self::TemporaryDeleted => "Xóa đăng ký tạm trú",
            Self::AbsenceDeclared => "Khai báo tạm vắng",
            Self::AbsenceEnded => "Kết thúc tạm vắng",
        }
    }
}

/// One residence event of one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidenceEvent {
    pub personal_id: PersonalId,
    pub kind: ResidenceEventKind,
    pub date: PartialDate,
    #[serde(skip_serializing_if = "Address::is_empty", default)]
    pub address: Address,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
}

/// Columns of the register file (`xaso import registry` / `xaso export registry`), in order.
pub const FILE_HEADERS: &[&str] = &[
    "Số định danh cá nhân",
    "Số CMND",
    "Họ và tên",
    "Tên gọi khác",
    "Ngày sinh",
    "Giới tính",
    "Nơi đăng ký khai sinh",
    "Quê quán",
    "Dân tộc",
    "Tôn giáo",
    "Quốc tịch",
    "Nhóm máu",
    "Nơi thường trú",
    "Mã xã thường trú",
    "Nơi tạm trú",
    "Nơi ở hiện tại",
    "Số định danh cha",
    "Họ tên cha",
    "Số định danh mẹ",
    "Họ tên mẹ",
    "Số định danh vợ/chồng",
    "Họ tên vợ/chồng",
    "Ngày mất",
    "Số hộ",
    "Quan hệ với chủ hộ",
];

/// One person as a row of the register file, in [`FILE_HEADERS`] order, written the way
/// officers write it: dates dd/mm/yyyy (mm/yyyy or yyyy when partial), sex "Nam"/"Nữ",
/// ethnicity by name, nationality "Việt Nam" for VN, addresses by their detail (the permanent
/// one's commune code in its own column).
pub fn file_row(p: &Person) -> Vec<String> {
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    let date = |d: &Option<PartialDate>| d.map(|d| d.to_vi()).unwrap_or_default();
    let id = |r: &PersonRef| {
        r.personal_id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    let ethnicity = p
        .ethnicity
        .as_deref()
        .map(|c| crate::ethnic::ethnic_by_code(c).map_or(c.to_string(), |e| e.name.clone()))
        .unwrap_or_default();
    let nationality = p
        .nationality
        .as_deref()
        .map(|n| if n == "VN" { "Việt Nam" } else { n }.to_string())
        .unwrap_or_default();
    vec![
        p.personal_id.to_string(),
        p.old_cmnd
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        p.full_name.clone(),
        opt(&p.other_name),
        date(&p.date_of_birth),
        p.sex.map(|s| s.label_vi().to_string()).unwrap_or_default(),
        opt(&p.birth_registration_place),
        opt(&p.home_town),
        ethnicity,
        opt(&p.religion),
        nationality,
        opt(&p.blood_type),
        opt(&p.permanent_address.detail),
        opt(&p.permanent_address.commune_code),
        opt(&p.temporary_address.detail),
        opt(&p.current_address.detail),
        id(&p.father),
        opt(&p.father.full_name),
        id(&p.mother),
        opt(&p.mother.full_name),
        id(&p.spouse),
        opt(&p.spouse.full_name),
        date(&p.death_date),
        opt(&p.household_id),
        opt(&p.relation_to_head),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn person(id: &str, name: &str) -> Person {
        Person::new(PersonalId::parse(id).unwrap(), name)
    }

    fn fields(p: &Person) -> Vec<&'static str> {
        p.problems().into_iter().map(|x| x.field).collect()
    }

    #[test]
    fn a_consistent_record_has_no_problems() {
        let mut p = person("038095001234", "Nguyễn Văn An");
        p.date_of_birth = Some(PartialDate::parse("07/03/1995").unwrap());
        p.sex = Some(Sex::Male);
        p.death_date = Some(PartialDate::parse("2020").unwrap());
        p.ethnicity = Some("01".into());
        p.permanent_address.commune_code = Some("16309".into());
        assert_eq!(p.problems(), vec![]);
    }

    #[test]
    fn every_broken_rule_names_its_field() {
        let mut p = person("038095001234", "Nguyễn V4n An");
        p.date_of_birth = Some(PartialDate::parse("07/03/1996").unwrap());
        p.sex = Some(Sex::Female);
        p.death_date = Some(PartialDate::parse("1990").unwrap());
        p.ethnicity = Some("99".into());
        p.current_address.commune_code = Some("99999".into());
        assert_eq!(
            fields(&p),
            vec![
                "full_name",
                "date_of_birth",
                "sex",
                "death_date",
                "ethnicity",
                "current_address.commune_code"
            ]
        );
        for problem in p.problems() {
            crate::vi_check::assert_vi(&problem.rule, &problem.rule_vi);
        }
        let vi: Vec<String> = p.problems().into_iter().map(|x| x.rule_vi).collect();
        assert_eq!(
            vi,
            [
                "Họ và tên không được có chữ số",
                "Năm sinh theo số định danh là 1995, khác năm sinh 1996",
                "Giới tính theo số định danh là Nam, khác giới tính Nữ",
                "Ngày mất (1990) trước ngày sinh (07/03/1996)",
                "Mã dân tộc \"99\" không có trong danh mục của Quyết định 1019/QĐ-TCTK (từ 01 đến 54)",
                "Mã xã nơi ở hiện tại \"99999\" không phải là mã xã, phường, đặc khu đang có hiệu lực \
                 từ ngày 01/7/2025",
            ]
        );
        // The English stays what the API and the importer have always said.
        assert_eq!(
            p.problems()[3].rule,
            "the date of death is before the date of birth"
        );
        let mut r = person("038095001234", "Trần Thị Bích");
        r.permanent_address.commune_code = Some("00000".into());
        r.temporary_address.commune_code = Some("1".into());
        let problems = r.problems();
        assert_eq!(
            problems[0].rule,
            "\"00000\" is not the code of a commune in force since 1 July 2025"
        );
        assert!(problems[0]
            .rule_vi
            .starts_with("Mã xã nơi thường trú \"00000\""));
        assert!(problems[1].rule_vi.starts_with("Mã xã nơi tạm trú \"1\""));
        for problem in &problems {
            crate::vi_check::assert_vi(&problem.rule, &problem.rule_vi);
        }
        // What was typed is quoted in NFC.
        let mut t = person("038095001234", "Trần Thị Bích");
        t.ethnicity = Some("Kho\u{302}\u{301}".into());
        let problems = t.problems();
        assert!(
            problems[0].rule_vi.starts_with("Mã dân tộc \"Khố\""),
            "{problems:?}"
        );
        crate::vi_check::assert_vi(&problems[0].rule, &problems[0].rule_vi);
        let empty = person("038095001234", "");
        assert_eq!(
            empty.problems(),
            [FieldProblem::new(
                "full_name",
                "the full name is required and must contain letters",
                "Họ và tên là bắt buộc và phải có chữ cái"
            )]
        );

        // A year-only birth and a full death date in that year are compatible.
        let mut q = person("038095001234", "An");
        q.date_of_birth = Some(PartialDate::parse("1995").unwrap());
        q.death_date = Some(PartialDate::parse("01/01/1995").unwrap());
        assert_eq!(q.problems(), vec![]);
        assert_eq!(fields(&person("038095001234", " ")), vec!["full_name"]);
    }
}
