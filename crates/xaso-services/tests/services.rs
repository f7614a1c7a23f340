//! The interlinked birth group from the desk to the indicators, through the public API only:
//! the catalogue, a form prefilled from the register and corrected by the declarant, its
//! validation, the three sub-dossiers handled by their officers with `xaso-domain`'s dossier
//! aggregate, the group's combined status, the child's new ID number, and the Decision 766
//! timeliness figure.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use time::macros::{date, datetime};
use time::OffsetDateTime;
use xaso_domain::calendar::WorkingCalendar;
use xaso_domain::dossier::{Action, Channel, Dossier, DossierState};
use xaso_domain::register::{Address, Household, Person};
use xaso_domain::role::Role;
use xaso_domain::{PartialDate, PersonalId, Sex};
use xaso_services::catalogue::{codes, OnlineLevel, PersonParty};
use xaso_services::indicators::{compute, DossierFact, IndicatorKey, Period};
use xaso_services::interlinked::{
    combined_status, plan_due_dates, spawn, GroupState, GroupSubmission, SubDossierStatus,
};
use xaso_services::issue::{birthplace_code_for_province, issue_personal_id};
use xaso_services::prefill::{draft, Origin, Parties};
use xaso_services::validate::{validate, FormValues};
use xaso_services::Catalogue;

fn person(id: &str, name: &str, dob: &str, sex: Sex) -> Person {
    let mut p = Person::new(PersonalId::parse(id).unwrap(), name);
    p.date_of_birth = Some(PartialDate::parse(dob).unwrap());
    p.sex = Some(sex);
    p.ethnicity = Some("01".to_owned());
    p.nationality = Some("VN".to_owned());
    p.permanent_address = Address {
        detail: Some("Thôn Đông".to_owned()),
        commune_code: Some("16309".to_owned()),
    };
    p.household_id = Some("HK-0042".to_owned());
    p
}

fn act(d: &mut Dossier, action: Action, actor: &str, role: Role, at: OffsetDateTime) {
    let calendar = WorkingCalendar::default();
    d.apply(action, actor, role, at, &calendar).unwrap();
}

/// Desk assigns, the officer processes and approves, the result is ready at `done`, the desk
/// returns it an hour later.
fn handle(d: &mut Dossier, officer: &str, start: OffsetDateTime, done: OffsetDateTime) {
    let role = d.handling_role();
    act(
        d,
        Action::Assign {
            officer: officer.to_owned(),
        },
        "desk.lan",
        Role::Desk,
        start,
    );
    act(d, Action::StartProcessing, officer, role, start);
    act(d, Action::Approve, officer, role, done);
    act(d, Action::MarkResultReady, officer, role, done);
    act(
        d,
        Action::ReturnResult,
        "desk.lan",
        Role::Desk,
        done + time::Duration::hours(1),
    );
}

#[test]
fn a_birth_from_the_desk_to_the_indicators() {
    let catalogue = Catalogue::builtin();
    assert!(catalogue.validate().is_empty());
    let group = catalogue.get(codes::BIRTH_GROUP).unwrap();

    // The mother declares; the father and the household head are in the register.
    let mother = person("038195001111", "Lê Thị Hoa", "14/02/1995", Sex::Female);
    let father = person("038093002222", "Phạm Văn Tùng", "1993", Sex::Male);
    let head = person("038065003333", "Phạm Văn Sơn", "05/05/1965", Sex::Male);
    let parties = Parties::new()
        .with(PersonParty::Applicant, mother.clone())
        .with(PersonParty::Mother, mother.clone())
        .with(PersonParty::Father, father.clone())
        .with(PersonParty::HouseholdHead, head.clone())
        .with_household(Household {
            id: "HK-0042".to_owned(),
            head_personal_id: Some(head.personal_id.clone()),
            address: Address {
                detail: Some("Thôn Đông".to_owned()),
                commune_code: Some("16309".to_owned()),
            },
        });
    let d = draft(group, &parties);
    assert_eq!(d.reuse_share().reused, 20);
    assert_eq!(
        d.values().get("residence_address").map(String::as_str),
        Some("Thôn Đông, Xã Thắng Lợi, Tỉnh Thanh Hóa")
    );

    // The declarant types what the register cannot know, and corrects the father's year.
    let submitted: FormValues = [
        ("applicant_relation", "mother"),
        ("applicant_phone", "0987 654 321"),
        ("child_full_name", "Phạm Minh An"),
        ("child_sex", "Nam"),
        ("child_date_of_birth", "01/01/2026"),
        ("child_birth_place", "Trạm y tế xã Thắng Lợi"),
        ("child_home_town", "Xã Thắng Lợi, Tỉnh Thanh Hóa"),
        ("child_ethnicity", "01"),
        ("child_nationality", "Việt Nam"),
        ("father_date_of_birth", "12/08/1993"),
        ("child_relation_to_head", "Cháu nội"),
        ("initial_health_facility", "Trạm y tế xã Thắng Lợi"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let form = d.apply(&submitted);
    let today = date!(2026 - 01 - 05);
    assert_eq!(validate(&group.form, &form.values(), today), []);
    let changed: Vec<&str> = form.replaced().map(|f| f.key.as_str()).collect();
    assert_eq!(changed, ["father_date_of_birth"]);
    assert!(matches!(
        form.field("mother_personal_id").unwrap().origin,
        Origin::Register { .. }
    ));
    let share = form.reuse_share();
    assert_eq!((share.reused, share.total), (19, 32));
    assert!(share.meets_target());

    // One submission, three dossiers.
    let submission = GroupSubmission {
        group_code: codes::BIRTH_GROUP.to_owned(),
        receipt_number: "H56.38-260105-0007".to_owned(),
        channel: Channel::Online,
        received_at: datetime!(2026-01-05 08:30 +7),
        received_by: "desk.lan".to_owned(),
        receiver_role: Role::Desk,
    };
    let subs = spawn(&catalogue, &submission).unwrap();
    let calendar = WorkingCalendar::default();
    let plan = plan_due_dates(&calendar, &subs);
    let mut dossiers: Vec<Dossier> = subs
        .iter()
        .map(|s| Dossier::receive(s.new_dossier.clone(), &calendar).unwrap())
        .collect();
    let roles: Vec<Role> = dossiers.iter().map(Dossier::handling_role).collect();
    assert_eq!(roles, [Role::Justice, Role::Police, Role::Labour]);

    let status = |dossiers: &[Dossier], today| {
        let parts: Vec<SubDossierStatus> = dossiers
            .iter()
            .zip(&plan)
            .map(|(d, (code, due))| SubDossierStatus {
                procedure_code: code.clone(),
                state: d.state(),
                rejected: d.rejection_reason().is_some(),
                due: *due,
            })
            .collect();
        combined_status(&parts, today).unwrap()
    };
    assert_eq!(status(&dossiers, today).state, GroupState::InProgress);

    // Justice registers the birth the same day, then police and social insurance.
    handle(
        &mut dossiers[0],
        "tuphap.hoa",
        datetime!(2026-01-05 09:00 +7),
        datetime!(2026-01-05 11:00 +7),
    );
    handle(
        &mut dossiers[2],
        "ldtbxh.nam",
        datetime!(2026-01-06 08:00 +7),
        datetime!(2026-01-09 10:00 +7),
    );
    let s = status(&dossiers, date!(2026 - 01 - 09));
    assert_eq!(s.state, GroupState::InProgress);
    assert_eq!(s.returned, 2);
    handle(
        &mut dossiers[1],
        "congan.binh",
        datetime!(2026-01-06 08:00 +7),
        datetime!(2026-01-13 15:00 +7),
    );
    let s = status(&dossiers, date!(2026 - 01 - 13));
    assert_eq!(s.state, GroupState::Done);
    assert_eq!(
        (s.earliest_due, s.latest_due),
        (date!(2026 - 01 - 05), date!(2026 - 01 - 14))
    );
    assert!(dossiers.iter().all(|d| d.state() == DossierState::Returned));

    // The child gets a number of its own.
    let used: HashSet<PersonalId> = [mother.personal_id, father.personal_id, head.personal_id]
        .into_iter()
        .collect();
    let value = |k: &str| form.field(k).unwrap().value.clone().unwrap();
    let child_id = issue_personal_id(
        birthplace_code_for_province("38").unwrap(),
        Sex::parse(&value("child_sex")).unwrap(),
        PartialDate::parse(&value("child_date_of_birth")).unwrap(),
        7,
        |id| used.contains(id),
    )
    .unwrap();
    assert_eq!(child_id.as_str(), "038226000007");
    assert!(child_id
        .check_against(
            Some(&PartialDate::parse("01/01/2026").unwrap()),
            Some(Sex::Male)
        )
        .is_empty());

    // The three dossiers in the timeliness indicator of the commune.
    let facts: Vec<DossierFact> = dossiers
        .iter()
        .map(|d| DossierFact {
            id: d.receipt_number().to_owned(),
            unit: "16309".to_owned(),
            procedure_code: d.procedure_code().to_owned(),
            online_level: OnlineLevel::Full,
            channel: d.channel(),
            received_on: d.clock().clock_start(),
            due_on: d.clock().due_date(),
            finished_on: d.clock().stopped_on(),
            state: d.state(),
            status_synced: true,
            digitised: true,
            electronic_result: true,
            certified_copy: None,
            reused_data: true,
            reused_digitised_result: d.procedure_code() != codes::BIRTH_REGISTRATION,
            used_population_data: true,
            fee_due: false,
            paid_online: false,
            rating: Some(5),
            complaint: None,
        })
        .collect();
    let report = compute(
        "16309",
        Period {
            from: date!(2026 - 01 - 01),
            to: date!(2026 - 01 - 31),
        },
        date!(2026 - 01 - 31),
        &facts,
        &[],
    );
    let on_time = report.indicator(IndicatorKey::OnTime).unwrap();
    assert_eq!((on_time.numerator, on_time.denominator), (3, 3));
    assert_eq!(on_time.points, Some(20.0));
    assert_eq!(
        on_time.numerator_ids,
        [
            "H56.38-260105-0007-1",
            "H56.38-260105-0007-2",
            "H56.38-260105-0007-3"
        ]
    );
    let online = report.indicator(IndicatorKey::EndToEndOnline).unwrap();
    assert_eq!(online.points, Some(12.0));
}
