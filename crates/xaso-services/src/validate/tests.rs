use super::*;
use crate::catalogue::{codes, Catalogue, SelectOption};
use crate::prefill::draft;
use crate::prefill::tests::{register, TODAY};
use crate::vi_check::assert_vi;

fn values(pairs: &[(&str, &str)]) -> FormValues {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn rules(errors: &[FieldError]) -> Vec<(&str, ErrorRule)> {
    errors.iter().map(|e| (e.field.as_str(), e.rule)).collect()
}

fn check_languages(errors: &[FieldError]) {
    for e in errors {
        assert_vi(&e.en, &e.vi);
    }
}

#[test]
fn an_empty_birth_form_lists_every_required_field() {
    let cat = Catalogue::builtin();
    let form = &cat.get(codes::BIRTH_REGISTRATION).unwrap().form;
    let errors = validate(form, &FormValues::new(), TODAY);
    let required: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        required,
        [
            "applicant_full_name",
            "applicant_personal_id",
            "applicant_residence",
            "applicant_relation",
            "child_full_name",
            "child_sex",
            "child_date_of_birth",
            "child_birth_place",
            "child_home_town",
            "child_ethnicity",
            "child_nationality",
        ]
    );
    assert!(errors.iter().all(|e| e.rule == ErrorRule::Required));
    assert_eq!(
        errors[0].vi,
        "Họ, chữ đệm và tên của người yêu cầu: bắt buộc phải khai"
    );
    assert_eq!(errors[0].en, "Applicant's full name: required");
    check_languages(&errors);
}

#[test]
fn each_type_is_read_by_the_domain_rules() {
    let cat = Catalogue::builtin();
    let form = &cat.get(codes::BIRTH_REGISTRATION).unwrap().form;
    let mut submitted = draft(cat.get(codes::BIRTH_REGISTRATION).unwrap(), &register()).values();
    for (k, v) in [
        ("applicant_personal_id", "03808500123"),
        ("applicant_relation", "uncle"),
        ("applicant_phone", "12345"),
        ("child_full_name", "Nguyễn V4n Bé"),
        ("child_sex", "trai"),
        ("child_date_of_birth", "31/02/2026"),
        ("child_birth_place", "Trạm y tế xã"),
        ("child_home_town", "Thanh Hóa"),
        ("child_ethnicity", "99"),
        ("child_nationality", "Việt Nam"),
        ("copies", "hai"),
    ] {
        submitted.insert(k.to_owned(), v.to_owned());
    }
    let errors = validate(form, &submitted, TODAY);
    assert_eq!(
        rules(&errors),
        [
            ("applicant_personal_id", ErrorRule::Format),
            ("applicant_relation", ErrorRule::NotAnOption),
            ("applicant_phone", ErrorRule::Format),
            ("child_full_name", ErrorRule::PersonName),
            ("child_sex", ErrorRule::Format),
            ("child_date_of_birth", ErrorRule::Format),
            ("child_ethnicity", ErrorRule::Format),
            ("copies", ErrorRule::Format),
        ]
    );
    let vi: Vec<&str> = errors.iter().map(|e| e.vi.as_str()).collect();
    assert_eq!(
        vi[0],
        "Số định danh cá nhân của người yêu cầu: Số định danh phải có đúng 12 chữ số, đã nhập 11"
    );
    assert_eq!(
        vi[1],
        "Quan hệ với người được khai sinh: \"uncle\" không phải là một lựa chọn (Mẹ, Cha, Ông, \
         bà, Người thân thích khác, Cá nhân, tổ chức đang nuôi dưỡng)"
    );
    assert_eq!(
        vi[3],
        "Họ, chữ đệm và tên của trẻ: Họ và tên không được có chữ số"
    );
    assert_eq!(
        errors[5].en,
        "Child's date of birth: day 31 does not exist in February 2026"
    );
    check_languages(&errors);
}

#[test]
fn dates_are_checked_against_today_and_each_other() {
    let cat = Catalogue::builtin();
    let birth = cat.get(codes::BIRTH_REGISTRATION).unwrap();
    let mut submitted = draft(birth, &register()).values();
    for (k, v) in [
        ("applicant_relation", "mother"),
        ("child_full_name", "Nguyễn Thị Bé"),
        ("child_sex", "Nữ"),
        ("child_date_of_birth", "21/01/2026"),
        ("child_birth_place", "Trạm y tế xã"),
        ("child_home_town", "Thanh Hóa"),
        ("child_ethnicity", "01"),
        ("child_nationality", "Việt Nam"),
        ("mother_date_of_birth", "2027"),
    ] {
        submitted.insert(k.to_owned(), v.to_owned());
    }
    let errors = validate(&birth.form, &submitted, TODAY);
    assert_eq!(
        rules(&errors),
        [
            ("child_date_of_birth", ErrorRule::NotInFuture),
            ("mother_date_of_birth", ErrorRule::NotInFuture),
            ("mother_date_of_birth", ErrorRule::Before),
            ("mother_personal_id", ErrorRule::IdMismatch),
        ]
    );
    assert_eq!(
        errors[2].vi,
        "Ngày, tháng, năm sinh của người mẹ: 2027 phải trước ngày, tháng, năm sinh của trẻ \
         (21/01/2026)"
    );
    assert_eq!(
        errors[3].vi,
        "Số định danh cá nhân của người mẹ: Năm sinh theo số định danh là 1990, khác năm sinh 2027"
    );
    check_languages(&errors);

    // A year-only date in the child's year cannot be ordered: no error.
    submitted.insert("child_date_of_birth".to_owned(), "05/01/2026".to_owned());
    submitted.insert("mother_date_of_birth".to_owned(), "2026".to_owned());
    let errors = validate(&birth.form, &submitted, TODAY);
    assert_eq!(
        rules(&errors),
        [("mother_personal_id", ErrorRule::IdMismatch)]
    );
}

#[test]
fn the_personal_id_must_agree_with_sex_and_birth() {
    let cat = Catalogue::builtin();
    let stay = cat.get(codes::STAY_NOTICE).unwrap();
    let mut submitted = draft(stay, &register()).values();
    submitted.insert("guest_sex".to_owned(), "Nữ".to_owned());
    submitted.insert("guest_date_of_birth".to_owned(), "1996".to_owned());
    submitted.insert("arrival_date".to_owned(), "20/01/2026".to_owned());
    submitted.insert("departure_date".to_owned(), "19/01/2026".to_owned());
    let errors = validate(&stay.form, &submitted, TODAY);
    assert_eq!(
        rules(&errors),
        [
            ("guest_personal_id", ErrorRule::IdMismatch),
            ("departure_date", ErrorRule::NotBefore),
        ]
    );
    assert_eq!(
        errors[0].en,
        "Guest's personal ID number: the ID number says born 1995 but the date of birth is 1996; \
         the ID number says male but the recorded sex is female"
    );
    check_languages(&errors);
}

#[test]
fn a_child_card_needs_a_child_under_six() {
    let cat = Catalogue::builtin();
    let card = cat.get(codes::CHILD_HEALTH_INSURANCE_CARD).unwrap();
    let mut submitted = draft(card, &register()).values();
    submitted.insert(
        "initial_health_facility".to_owned(),
        "Trạm y tế xã".to_owned(),
    );
    assert_eq!(validate(&card.form, &submitted, TODAY), []);
    // Six years old on 20 January 2026: too old; the day before the birthday: not yet.
    submitted.insert("child_date_of_birth".to_owned(), "20/01/2020".to_owned());
    submitted.insert("child_personal_id".to_owned(), "038320006789".to_owned());
    let errors = validate(&card.form, &submitted, TODAY);
    assert_eq!(
        rules(&errors),
        [("child_date_of_birth", ErrorRule::AgeUnder)]
    );
    assert_eq!(
        errors[0].vi,
        "Ngày, tháng, năm sinh của trẻ em: sinh 20/01/2020, đến nay không còn dưới 6 tuổi"
    );
    check_languages(&errors);
    submitted.insert("child_date_of_birth".to_owned(), "21/01/2020".to_owned());
    assert_eq!(validate(&card.form, &submitted, TODAY), []);
}

#[test]
fn numbers_lengths_codes_phones_and_unknown_fields() {
    let spec = |key: &str, kind: FieldKind| {
        crate::catalogue::FieldSpec::new(key, "Trường thử", "Test field", kind)
    };
    let form = FormSchema {
        fields: vec![
            spec("n", FieldKind::Number)
                .rule(Rule::Min { value: 1 })
                .rule(Rule::Max { value: 3 }),
            spec("short", FieldKind::Text)
                .rule(Rule::MinLength { chars: 3 })
                .rule(Rule::MaxLength { chars: 5 }),
            spec("long", FieldKind::Text).rule(Rule::MaxLength { chars: 5 }),
            spec("commune", FieldKind::CommuneCode),
            spec("cmnd", FieldKind::Cmnd),
            spec("phone", FieldKind::Phone),
            spec("landline", FieldKind::Phone),
            spec("when", FieldKind::Date),
            spec(
                "pick",
                FieldKind::Select {
                    options: vec![SelectOption::new("a", "Một", "One")],
                },
            ),
        ],
    };
    let submitted = values(&[
        ("n", "7"),
        ("short", "ab"),
        ("long", "Nguyễn"),
        ("commune", "99999"),
        ("cmnd", "12345678"),
        ("phone", "+84 912.345.678"),
        ("landline", "024 3825 1234"),
        ("when", "03/1995"),
        ("pick", "a"),
        ("extra", "x"),
    ]);
    let errors = validate(&form, &submitted, TODAY);
    assert_eq!(
        rules(&errors),
        [
            ("n", ErrorRule::Max),
            ("short", ErrorRule::MinLength),
            ("long", ErrorRule::MaxLength),
            ("commune", ErrorRule::Format),
            ("cmnd", ErrorRule::Format),
            ("when", ErrorRule::Format),
            ("extra", ErrorRule::UnknownField),
        ]
    );
    assert_eq!(errors[0].vi, "Trường thử: 7 lớn hơn mức tối đa 3");
    assert_eq!(errors[2].en, "Test field: at most 5 characters, got 6");
    assert_eq!(errors[6].vi, "extra: biểu mẫu không có trường này");
    check_languages(&errors);
    assert_eq!(
        rules(&validate(&form, &values(&[("n", "0")]), TODAY)),
        [("n", ErrorRule::Min)]
    );
}

#[test]
fn phones_in_their_national_form() {
    assert_eq!(normalize_phone("0912345678").as_deref(), Some("0912345678"));
    assert_eq!(
        normalize_phone("+84 912 345 678").as_deref(),
        Some("0912345678")
    );
    assert_eq!(
        normalize_phone("84912345678").as_deref(),
        Some("0912345678")
    );
    assert_eq!(
        normalize_phone("(024) 3825-1234").as_deref(),
        Some("02438251234")
    );
    for bad in [
        "",
        "091234567",
        "0112345678",
        "09123456789",
        "0912abc678",
        "1912345678",
    ] {
        assert_eq!(normalize_phone(bad), None, "{bad}");
    }
}
