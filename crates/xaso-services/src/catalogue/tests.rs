use super::*;
use crate::vi_check::{assert_label, assert_vi};

fn builtin() -> Catalogue {
    Catalogue::builtin()
}

#[test]
fn the_builtin_catalogue_is_sound() {
    let cat = builtin();
    let problems: Vec<String> = cat.validate().iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    let listed: Vec<&str> = cat.procedures.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(
        listed,
        [
            codes::BIRTH_REGISTRATION,
            codes::DEATH_REGISTRATION,
            codes::MARRIAGE_REGISTRATION,
            codes::PERMANENT_RESIDENCE_REGISTRATION,
            codes::PERMANENT_RESIDENCE_DELETION,
            codes::TEMPORARY_RESIDENCE_REGISTRATION,
            codes::TEMPORARY_ABSENCE_DECLARATION,
            codes::STAY_NOTICE,
            codes::BIRTH_GROUP,
            codes::DEATH_GROUP,
            codes::FUNERAL_ALLOWANCE,
            codes::CHILD_HEALTH_INSURANCE_CARD,
            codes::MARITAL_STATUS_CONFIRMATION,
            codes::CIVIL_STATUS_CORRECTION,
        ]
    );
}

#[test]
fn agencies_roles_and_deadlines() {
    let cat = builtin();
    let row = |code: &str| {
        let p = cat.get(code).unwrap();
        (
            p.sector,
            p.agency,
            p.handling_role,
            p.deadline,
            p.online_level,
        )
    };
    use Deadline::{WithinTheDay, WorkingDays};
    assert_eq!(
        row(codes::BIRTH_REGISTRATION),
        (
            Sector::CivilStatus,
            Agency::CommuneCommittee,
            Role::Justice,
            WithinTheDay,
            OnlineLevel::Full
        )
    );
    assert_eq!(
        row(codes::MARRIAGE_REGISTRATION),
        (
            Sector::CivilStatus,
            Agency::CommuneCommittee,
            Role::Justice,
            WithinTheDay,
            OnlineLevel::Partial
        )
    );
    assert_eq!(
        row(codes::PERMANENT_RESIDENCE_REGISTRATION),
        (
            Sector::Residence,
            Agency::CommunePolice,
            Role::Police,
            WorkingDays(7),
            OnlineLevel::Full
        )
    );
    assert_eq!(
        row(codes::TEMPORARY_RESIDENCE_REGISTRATION).3,
        WorkingDays(3)
    );
    assert_eq!(row(codes::TEMPORARY_ABSENCE_DECLARATION).3, WorkingDays(1));
    assert_eq!(row(codes::MARITAL_STATUS_CONFIRMATION).3, WorkingDays(3));
    assert_eq!(row(codes::CIVIL_STATUS_CORRECTION).3, WorkingDays(3));
    assert_eq!(
        row(codes::FUNERAL_ALLOWANCE),
        (
            Sector::Labour,
            Agency::CommuneCommittee,
            Role::Labour,
            WorkingDays(3),
            OnlineLevel::Partial
        )
    );
    assert_eq!(
        row(codes::CHILD_HEALTH_INSURANCE_CARD),
        (
            Sector::SocialInsurance,
            Agency::SocialInsurance,
            Role::Labour,
            WorkingDays(5),
            OnlineLevel::Full
        )
    );
    let fee = |code: &str| cat.get(code).unwrap().fee.clone();
    assert_eq!(
        fee(codes::PERMANENT_RESIDENCE_REGISTRATION),
        Fee::Fixed {
            desk_vnd: 20_000,
            online_vnd: 10_000
        }
    );
    assert_eq!(
        fee(codes::TEMPORARY_RESIDENCE_REGISTRATION),
        Fee::Fixed {
            desk_vnd: 15_000,
            online_vnd: 7_000
        }
    );
    assert_eq!(fee(codes::BIRTH_REGISTRATION), Fee::Free);
    assert!(matches!(
        fee(codes::CIVIL_STATUS_CORRECTION),
        Fee::SetByProvince { .. }
    ));
    assert_eq!(fee(codes::BIRTH_GROUP), Fee::OfSteps);
    // Every procedure is receivable as a dossier.
    for p in &cat.procedures {
        assert!(is_handling_role(p.handling_role), "{}", p.code);
        assert!(!p.legal_basis.is_empty(), "{}", p.code);
        assert!(!p.documents.is_empty(), "{}", p.code);
    }
}

#[test]
fn the_two_groups_link_the_right_procedures() {
    let cat = builtin();
    let steps = |code: &str| -> Vec<(String, Role, Option<String>)> {
        cat.get(code)
            .unwrap()
            .steps
            .iter()
            .map(|s| (s.procedure_code.clone(), s.handling_role, s.after.clone()))
            .collect()
    };
    let s = |c: &str| c.to_owned();
    assert_eq!(
        steps(codes::BIRTH_GROUP),
        [
            (s(codes::BIRTH_REGISTRATION), Role::Justice, None),
            (
                s(codes::PERMANENT_RESIDENCE_REGISTRATION),
                Role::Police,
                Some(s(codes::BIRTH_REGISTRATION))
            ),
            (
                s(codes::CHILD_HEALTH_INSURANCE_CARD),
                Role::Labour,
                Some(s(codes::BIRTH_REGISTRATION))
            ),
        ]
    );
    assert_eq!(
        steps(codes::DEATH_GROUP),
        [
            (s(codes::DEATH_REGISTRATION), Role::Justice, None),
            (
                s(codes::PERMANENT_RESIDENCE_DELETION),
                Role::Police,
                Some(s(codes::DEATH_REGISTRATION))
            ),
            (
                s(codes::FUNERAL_ALLOWANCE),
                Role::Labour,
                Some(s(codes::DEATH_REGISTRATION))
            ),
        ]
    );
    assert!(cat.get(codes::BIRTH_GROUP).unwrap().is_group());
    assert!(!cat.get(codes::BIRTH_REGISTRATION).unwrap().is_group());
}

#[test]
fn every_text_is_bilingual() {
    let cat = builtin();
    for p in &cat.procedures {
        assert_label(&p.name.en, &p.name.vi);
        for d in &p.documents {
            assert_label(&d.name.en, &d.name.vi);
        }
        for f in &p.form.fields {
            assert_label(&f.label.en, &f.label.vi);
            if let FieldKind::Select { options } = &f.kind {
                for o in options {
                    assert_label(&o.label.en, &o.label.vi);
                }
            }
        }
        if let Some(note) = &p.fee_note {
            assert_label(&note.en, &note.vi);
        }
        if let Fee::SetByProvince { note } = &p.fee {
            assert_label(&note.en, &note.vi);
        }
        let d = p.deadline.label();
        assert_label(&d.en, &d.vi);
        for label in [p.sector.label(), p.agency.label()] {
            assert_label(&label.en, &label.vi);
        }
    }
}

#[test]
fn every_fact_says_where_it_was_checked() {
    let cat = builtin();
    let mut to_confirm = Vec::new();
    for p in &cat.procedures {
        let mut all: Vec<(&str, &Sourcing)> =
            vec![("deadline", &p.deadline_sourcing), ("fee", &p.fee_sourcing)];
        all.extend(
            p.legal_basis
                .iter()
                .map(|b| (b.document.as_str(), &b.sourcing)),
        );
        all.extend(
            p.steps
                .iter()
                .map(|s| (s.procedure_code.as_str(), &s.deadline_sourcing)),
        );
        for (what, s) in all {
            match s {
                Sourcing::Sourced { source } => assert!(!source.trim().is_empty()),
                Sourcing::ToBeConfirmed { note } => {
                    assert!(!note.trim().is_empty());
                    to_confirm.push(format!("{} {what}", p.code));
                }
            }
        }
        // An article number is only written where the text was checked.
        for b in &p.legal_basis {
            if b.provision.is_some() {
                assert!(b.sourcing.is_confirmed(), "{} {}", p.code, b.document);
            }
        }
    }
    // The statutory deadlines of the civil-status and residence procedures are sourced.
    for code in [
        codes::BIRTH_REGISTRATION,
        codes::DEATH_REGISTRATION,
        codes::MARRIAGE_REGISTRATION,
        codes::PERMANENT_RESIDENCE_REGISTRATION,
        codes::TEMPORARY_RESIDENCE_REGISTRATION,
        codes::TEMPORARY_ABSENCE_DECLARATION,
        codes::MARITAL_STATUS_CONFIRMATION,
        codes::CIVIL_STATUS_CORRECTION,
    ] {
        assert!(
            cat.get(code).unwrap().deadline_sourcing.is_confirmed(),
            "{code}"
        );
    }
    assert_eq!(
        to_confirm,
        [
            "permanent-residence-deletion deadline",
            "permanent-residence-deletion fee",
            "permanent-residence-deletion Luật Cư trú số 68/2020/QH14",
            "permanent-residence-deletion Nghị định số 154/2024/NĐ-CP quy định chi tiết một số điều và biện pháp thi hành Luật Cư trú",
            "stay-notice fee",
            "birth-group deadline",
            "birth-group permanent-residence-registration",
            "birth-group child-health-insurance-card",
            "death-group deadline",
            "death-group death-registration",
            "death-group permanent-residence-deletion",
            "death-group funeral-allowance",
            "funeral-allowance deadline",
            "funeral-allowance fee",
            "funeral-allowance Nghị định số 20/2021/NĐ-CP về chính sách trợ giúp xã hội đối với đối tượng bảo trợ xã hội",
            "child-health-insurance-card deadline",
            "child-health-insurance-card fee",
        ]
    );
}

#[test]
fn the_catalogue_round_trips_through_json() {
    let cat = builtin();
    let json = serde_json::to_string_pretty(&cat).unwrap();
    let back: Catalogue = serde_json::from_str(&json).unwrap();
    assert_eq!(back, cat);
    assert!(json.contains(r#""prefill": "Mother.personal_id""#));
    assert!(json.contains(r#""deadline": "within-the-day""#));
    assert!(json.contains(r#""deadline": {"#) || json.contains(r#""working-days": 7"#));
    assert!(json.contains(r#""status": "to-be-confirmed""#));
}

#[test]
fn every_form_can_reuse_at_least_a_fifth_of_its_fields() {
    let cat = builtin();
    let report: Vec<(&str, usize, usize)> = cat
        .reuse_report()
        .into_iter()
        .map(|(code, share)| {
            assert!(share.meets_target(), "{code}: {share}");
            (code, share.reused, share.total)
        })
        .collect();
    assert_eq!(
        report,
        [
            (codes::BIRTH_REGISTRATION, 15, 25),
            (codes::DEATH_REGISTRATION, 10, 17),
            (codes::MARRIAGE_REGISTRATION, 12, 16),
            (codes::PERMANENT_RESIDENCE_REGISTRATION, 10, 15),
            (codes::PERMANENT_RESIDENCE_DELETION, 7, 11),
            (codes::TEMPORARY_RESIDENCE_REGISTRATION, 7, 12),
            (codes::TEMPORARY_ABSENCE_DECLARATION, 4, 9),
            (codes::STAY_NOTICE, 8, 12),
            (codes::BIRTH_GROUP, 20, 32),
            (codes::DEATH_GROUP, 11, 21),
            (codes::FUNERAL_ALLOWANCE, 8, 13),
            (codes::CHILD_HEALTH_INSURANCE_CARD, 8, 10),
            (codes::MARITAL_STATUS_CONFIRMATION, 9, 13),
            (codes::CIVIL_STATUS_CORRECTION, 8, 15),
        ]
    );
}

fn problems_of(cat: &Catalogue) -> Vec<(String, Option<String>, ProblemKind)> {
    cat.validate()
        .into_iter()
        .map(|p| {
            assert_vi(&p.to_string(), &p.vi());
            (p.procedure, p.field, p.kind)
        })
        .collect()
}

#[test]
fn an_edited_catalogue_is_checked() {
    let mut cat = builtin();
    // A second procedure with the birth code, a blank code.
    let mut copy = cat.get(codes::STAY_NOTICE).unwrap().clone();
    copy.code = codes::BIRTH_REGISTRATION.to_owned();
    copy.form.fields.clear();
    copy.parties.clear();
    cat.procedures.push(copy.clone());
    copy.code = " ".to_owned();
    copy.name.en.clear();
    copy.handling_role = Role::Desk;
    cat.procedures.push(copy);
    // Field-level problems on the death form.
    let death = cat
        .procedures
        .iter_mut()
        .find(|p| p.code == codes::DEATH_REGISTRATION)
        .unwrap();
    let dup = death.form.fields[0].clone();
    death.form.fields.push(dup);
    death.form.fields.push(
        FieldSpec::new("mother_name", "Họ tên mẹ", "Mother's name", FieldKind::Text)
            .from(PersonParty::Mother, PersonAttribute::FullName),
    );
    death.form.fields.push(
        FieldSpec::new("deceased_id", "Số định danh", "ID", FieldKind::Text)
            .from(PersonParty::Deceased, PersonAttribute::PersonalId),
    );
    death.form.fields.push(
        FieldSpec::new("when", "Khi nào", "When", FieldKind::Date).rule(Rule::Before {
            field: "death_place".to_owned(),
        }),
    );
    death.form.fields.push(FieldSpec::new(
        "choice",
        "Lựa chọn",
        "Choice",
        FieldKind::Select { options: vec![] },
    ));
    death.form.fields.push(FieldSpec::new(
        "twice",
        "Lựa chọn",
        "Choice",
        FieldKind::Select {
            options: vec![
                SelectOption::new("a", "Một", "One"),
                SelectOption::new("a", "Hai", "Two"),
            ],
        },
    ));
    // A group step naming a group, and one after a step that does not come first.
    let group = cat
        .procedures
        .iter_mut()
        .find(|p| p.code == codes::DEATH_GROUP)
        .unwrap();
    group.steps[1].procedure_code = codes::BIRTH_GROUP.to_owned();
    group.steps[2].after = Some(codes::FUNERAL_ALLOWANCE.to_owned());

    let death_code = codes::DEATH_REGISTRATION.to_owned();
    let field = |k: &str| Some(k.to_owned());
    assert_eq!(
        problems_of(&cat),
        [
            (
                death_code.clone(),
                field("applicant_full_name"),
                ProblemKind::DuplicateFieldKey
            ),
            (
                death_code.clone(),
                field("mother_name"),
                ProblemKind::PartyNotInProcedure {
                    source: "Mother.full_name".to_owned()
                }
            ),
            (
                death_code.clone(),
                field("deceased_id"),
                ProblemKind::SourceDoesNotFit {
                    source: "Deceased.personal_id".to_owned(),
                    kind: "text"
                }
            ),
            (
                death_code.clone(),
                field("when"),
                ProblemKind::BadRuleReference {
                    referenced: "death_place".to_owned()
                }
            ),
            (
                death_code.clone(),
                field("choice"),
                ProblemKind::EmptySelect
            ),
            (
                death_code,
                field("twice"),
                ProblemKind::DuplicateOption {
                    value: "a".to_owned()
                }
            ),
            (
                codes::DEATH_GROUP.to_owned(),
                None,
                ProblemKind::BadStep {
                    referenced: codes::BIRTH_GROUP.to_owned()
                }
            ),
            (
                codes::DEATH_GROUP.to_owned(),
                None,
                ProblemKind::BadStep {
                    referenced: codes::FUNERAL_ALLOWANCE.to_owned()
                }
            ),
            (
                codes::BIRTH_REGISTRATION.to_owned(),
                None,
                ProblemKind::DuplicateCode
            ),
            (" ".to_owned(), None, ProblemKind::BlankCode),
            (
                " ".to_owned(),
                None,
                ProblemKind::MissingText { what: "name" }
            ),
            (
                " ".to_owned(),
                None,
                ProblemKind::NotAHandlingRole { role: Role::Desk }
            ),
        ]
    );
}

#[test]
fn deadlines_count_on_the_working_day_calendar() {
    use time::macros::{date, datetime};
    let calendar = WorkingCalendar::default();
    // Friday 30 January 2026 at 16:00: within the day → Monday; 7 working days → the week
    // after next.
    let friday_late = datetime!(2026-01-30 16:00);
    assert_eq!(
        Deadline::WithinTheDay.due_date(&calendar, friday_late),
        date!(2026 - 02 - 02)
    );
    assert_eq!(
        Deadline::WorkingDays(7).due_date(&calendar, datetime!(2026-01-30 10:00)),
        date!(2026 - 02 - 10)
    );
    assert_eq!(Deadline::WithinTheDay.working_days(), 0);
}
