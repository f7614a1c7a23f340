use super::*;
use crate::catalogue::{codes, Catalogue};
use crate::validate::validate;
use time::macros::date;
use time::Date;
use xaso_domain::PersonalId;

fn person(id: &str, name: &str, dob: &str, sex: Sex) -> Person {
    let mut p = Person::new(PersonalId::parse(id).unwrap(), name);
    p.date_of_birth = Some(PartialDate::parse(dob).unwrap());
    p.sex = Some(sex);
    p.ethnicity = Some("01".to_owned());
    p.nationality = Some("VN".to_owned());
    p.permanent_address = Address {
        detail: Some("Thôn 3".to_owned()),
        commune_code: Some("16309".to_owned()),
    };
    p.household_id = Some("HK-0001".to_owned());
    p
}

/// A register where every party of every built-in procedure is known, consistent with itself
/// (IDs agree with dates of birth and sexes).
pub(crate) fn register() -> Parties {
    let mut deceased = person("038040005678", "Hoàng Văn Em", "1940", Sex::Male);
    deceased.death_date = Some(PartialDate::parse("02/01/2026").unwrap());
    deceased.permanent_address.detail = Some("Thôn 5".to_owned());
    let mut child = person(
        "038322006789",
        "Nguyễn Thị Giang",
        "15/06/2022",
        Sex::Female,
    );
    child.birth_registration_place = Some("Ủy ban nhân dân xã Tế Lợi".to_owned());
    let mut head = person("038060008901", "Nguyễn Văn Khoa", "20/10/1960", Sex::Male);
    head.relation_to_head = Some("Chủ hộ".to_owned());
    Parties::new()
        .with(
            PersonParty::Applicant,
            person("038085001234", "Nguyễn Văn An", "12/04/1985", Sex::Male),
        )
        .with(
            PersonParty::Mother,
            person("038190002345", "Trần Thị Bình", "03/07/1990", Sex::Female),
        )
        .with(
            PersonParty::Father,
            person("038088003456", "Lê Văn Cường", "1988", Sex::Male),
        )
        .with(
            PersonParty::Spouse,
            person("038192004567", "Phạm Thị Dung", "21/09/1992", Sex::Female),
        )
        .with(PersonParty::Deceased, deceased)
        .with(PersonParty::Child, child)
        .with(
            PersonParty::Subject,
            person("038095007890", "Đỗ Văn Hải", "01/01/1995", Sex::Male),
        )
        .with(PersonParty::HouseholdHead, head)
        .with_household(Household {
            id: "HK-0001".to_owned(),
            head_personal_id: Some(PersonalId::parse("038060008901").unwrap()),
            address: Address {
                detail: Some("Thôn 3".to_owned()),
                commune_code: Some("16309".to_owned()),
            },
        })
}

pub(crate) const TODAY: Date = date!(2026 - 01 - 20);

/// A valid value for a field the declarant types, by its kind and rules.
pub(crate) fn declared_value(f: &crate::catalogue::FieldSpec) -> String {
    use crate::catalogue::Rule;
    match &f.kind {
        FieldKind::Text if f.rules.contains(&Rule::PersonName) => "Vũ Thị Lan".to_owned(),
        FieldKind::Text => "Thôn 7".to_owned(),
        FieldKind::Date => "05/01/2026".to_owned(),
        FieldKind::PartialDate => "1970".to_owned(),
        FieldKind::Sex => "Nữ".to_owned(),
        FieldKind::PersonalId => "038170009012".to_owned(),
        FieldKind::Cmnd => "172345678".to_owned(),
        FieldKind::EthnicityCode => "01".to_owned(),
        FieldKind::CommuneCode => "16309".to_owned(),
        FieldKind::Select { options } => options[0].value.clone(),
        FieldKind::Number => "1".to_owned(),
        FieldKind::Phone => "0912 345 678".to_owned(),
    }
}

#[test]
fn the_birth_form_is_filled_from_the_parents_records() {
    let cat = Catalogue::builtin();
    let birth = cat.get(codes::BIRTH_REGISTRATION).unwrap();
    let d = draft(birth, &register());
    let values = d.values();
    let v = |k: &str| values.get(k).map(String::as_str);
    assert_eq!(v("applicant_full_name"), Some("Nguyễn Văn An"));
    assert_eq!(v("applicant_personal_id"), Some("038085001234"));
    assert_eq!(
        v("applicant_residence"),
        Some("Thôn 3, Xã Thắng Lợi, Tỉnh Thanh Hóa")
    );
    assert_eq!(v("mother_full_name"), Some("Trần Thị Bình"));
    assert_eq!(v("mother_date_of_birth"), Some("03/07/1990"));
    assert_eq!(v("mother_ethnicity"), Some("01"));
    assert_eq!(v("mother_nationality"), Some("Việt Nam"));
    assert_eq!(v("mother_personal_id"), Some("038190002345"));
    // A year alone fills a partial-date field.
    assert_eq!(v("father_date_of_birth"), Some("1988"));
    // The child is not in the register yet.
    assert_eq!(v("child_full_name"), None);
    assert_eq!(
        d.fields
            .iter()
            .find(|f| f.key == "father_full_name")
            .unwrap()
            .origin,
        Origin::Register {
            source: "Father.full_name".parse().unwrap()
        }
    );
    assert_eq!(
        d.reuse_share(),
        ReuseShare {
            reused: 15,
            total: 25
        }
    );
}

#[test]
fn missing_register_data_leaves_the_field_to_declare() {
    let cat = Catalogue::builtin();
    let birth = cat.get(codes::BIRTH_REGISTRATION).unwrap();
    // Only the mother is known: no father, no applicant.
    let only_mother = Parties::new().with(
        PersonParty::Mother,
        register().person(PersonParty::Mother).unwrap().clone(),
    );
    let d = draft(birth, &only_mother);
    assert_eq!(
        d.reuse_share(),
        ReuseShare {
            reused: 6,
            total: 25
        }
    );
    assert!(d
        .fields
        .iter()
        .filter(|f| f.key.starts_with("father_"))
        .all(|f| f.value.is_none() && f.origin == Origin::Declared { replaced: None }));
    // A year of birth does not fill a full-date field.
    let card = cat.get(codes::CHILD_HEALTH_INSURANCE_CARD).unwrap();
    let mut parties = register();
    let mut child = parties.person(PersonParty::Child).unwrap().clone();
    child.date_of_birth = Some(PartialDate::parse("2022").unwrap());
    child.permanent_address = Address::default();
    child.temporary_address.detail = Some("Số 4 ngõ 2".to_owned());
    parties = parties.with(PersonParty::Child, child);
    let values = draft(card, &parties).values();
    assert_eq!(values.get("child_date_of_birth"), None);
    // Residence falls back to the temporary address.
    assert_eq!(
        values.get("child_residence").map(String::as_str),
        Some("Số 4 ngõ 2")
    );
}

#[test]
fn every_builtin_form_reuses_what_its_schema_promises() {
    let cat = Catalogue::builtin();
    let parties = register();
    for p in &cat.procedures {
        let d = draft(p, &parties);
        assert_eq!(d.reuse_share(), p.reuse_potential(), "{}", p.code);
        assert!(d.reuse_share().meets_target(), "{}", p.code);
        // The declarant types the rest; the register's values are confirmed.
        let submitted: FormValues = p
            .form
            .fields
            .iter()
            .filter(|f| f.prefill.is_none())
            .map(|f| (f.key.clone(), declared_value(f)))
            .collect();
        let final_form = d.apply(&submitted);
        assert_eq!(final_form.reuse_share(), p.reuse_potential(), "{}", p.code);
        assert_eq!(final_form.replaced().count(), 0, "{}", p.code);
        // …and the result passes the form's own rules.
        let errors = validate(&p.form, &final_form.values(), TODAY);
        assert!(errors.is_empty(), "{}: {errors:#?}", p.code);
    }
}

#[test]
fn a_changed_value_becomes_declared_and_says_so() {
    let cat = Catalogue::builtin();
    let death = cat.get(codes::DEATH_REGISTRATION).unwrap();
    let d = draft(death, &register());
    let submitted: FormValues = [
        // Changed.
        ("deceased_full_name", "Hoàng Văn Ém"),
        // The same value written another way: still the register's.
        ("deceased_date_of_birth", " 1940 "),
        ("deceased_sex", "nam"),
        ("deceased_ethnicity", "1"),
        (
            "applicant_residence",
            "Thôn 3,  Xã Thắng Lợi, Tỉnh Thanh Hóa",
        ),
        // Cleared.
        ("deceased_nationality", ""),
        // Declared where the register had nothing.
        ("death_place", "Trạm y tế xã"),
        ("applicant_phone", "0912345678"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let f = d.apply(&submitted);
    let field = |k: &str| f.field(k).unwrap();
    assert_eq!(
        field("deceased_full_name").value.as_deref(),
        Some("Hoàng Văn Ém")
    );
    assert_eq!(
        field("deceased_full_name").origin,
        Origin::Declared {
            replaced: Some(Replaced {
                source: "Deceased.full_name".parse().unwrap(),
                register_value: "Hoàng Văn Em".to_owned()
            })
        }
    );
    let note = field("deceased_full_name").note().unwrap();
    assert_eq!(
        note.vi,
        "Người khai đã sửa giá trị lấy từ cơ sở dữ liệu «Hoàng Văn Em»"
    );
    crate::vi_check::assert_vi(&note.en, &note.vi);
    for k in [
        "deceased_date_of_birth",
        "deceased_sex",
        "deceased_ethnicity",
        "applicant_residence",
    ] {
        assert!(field(k).origin.is_register(), "{k}");
    }
    assert_eq!(field("deceased_sex").value.as_deref(), Some("Nam"));
    assert_eq!(field("deceased_nationality").value, None);
    let cleared = field("deceased_nationality").note().unwrap();
    crate::vi_check::assert_vi(&cleared.en, &cleared.vi);
    assert_eq!(
        field("death_place").origin,
        Origin::Declared { replaced: None }
    );
    // Keys left out confirm the register.
    assert!(field("deceased_personal_id").origin.is_register());
    let replaced: Vec<&str> = f.replaced().map(|x| x.key.as_str()).collect();
    assert_eq!(replaced, ["deceased_full_name", "deceased_nationality"]);
    // 10 prefilled, 2 replaced.
    assert_eq!(
        f.reuse_share(),
        ReuseShare {
            reused: 8,
            total: 17
        }
    );
    assert_eq!(f.reuse_share().to_string(), "8/17 (47.1%)");
    // The origin travels with the value.
    let json = serde_json::to_string(field("deceased_full_name")).unwrap();
    assert!(json.contains(r#""origin":"declared""#), "{json}");
    assert!(
        json.contains(r#""register_value":"Hoàng Văn Em""#),
        "{json}"
    );
    let json = serde_json::to_string(field("deceased_sex")).unwrap();
    assert_eq!(
        json,
        r#"{"key":"deceased_sex","value":"Nam","origin":"register","source":"Deceased.sex"}"#
    );
}

#[test]
fn shares_and_the_target() {
    assert!(ReuseShare {
        reused: 1,
        total: 5
    }
    .meets_target());
    assert!(!ReuseShare {
        reused: 1,
        total: 6
    }
    .meets_target());
    assert!(!ReuseShare {
        reused: 0,
        total: 0
    }
    .meets_target());
    assert_eq!(
        ReuseShare {
            reused: 0,
            total: 0
        }
        .percent(),
        0.0
    );
    assert_eq!(
        ReuseShare {
            reused: 15,
            total: 25
        }
        .percent(),
        60.0
    );
}
