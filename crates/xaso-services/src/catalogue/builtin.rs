//! The built-in catalogue. Sources are named in each [`Sourcing`]:
//! - `DVCQG <code>`: the procedure record of the National Public Service Portal
//!   (dichvucong.gov.vn), as crawled in July 2026;
//! - `Luật 60/2014/QH13 (pháp điển)`: the codified text of the Law on Civil Status;
//! - `MISSION.md`: the project's mission, which cites Decree 63/2024 and the Law on Residence;
//! - `NĐ 63/2024 (tóm tắt)`: published summaries of Decree 63/2024/NĐ-CP and Decision
//!   296/QĐ-VPCP (lawnet.vn, sblaw.vn, luatvietnam.vn).
//!
//! Everything else is [`Sourcing::ToBeConfirmed`].

use xaso_domain::role::Role;

use super::form::{
    FieldKind as K, FieldSpec, FormSchema, HouseholdAttribute as H, Party, PersonAttribute as A,
    PersonParty as P, Rule, SelectOption,
};
use super::{
    codes, Agency, Catalogue, Deadline, DocumentHandling, Fee, GroupStep, LegalBasis, OnlineLevel,
    Procedure, RequiredDocument, Sector, Sourcing,
};
use crate::Text;

const LAW60: &str = "Luật 60/2014/QH13 (pháp điển)";
const NĐ63: &str = "NĐ 63/2024 (tóm tắt)";

fn dvc(code: &str) -> Sourcing {
    Sourcing::sourced(&format!("DVCQG {code}"))
}

fn law(document: &str, provision: Option<&str>, sourcing: Sourcing) -> LegalBasis {
    LegalBasis {
        document: document.to_owned(),
        provision: provision.map(str::to_owned),
        sourcing,
    }
}

fn doc(vi: &str, en: &str, handling: DocumentHandling, held_by_state: bool) -> RequiredDocument {
    RequiredDocument {
        name: Text::new(vi, en),
        handling,
        held_by_state,
    }
}

fn submit(vi: &str, en: &str) -> RequiredDocument {
    doc(vi, en, DocumentHandling::Submit, false)
}

fn submit_held(vi: &str, en: &str) -> RequiredDocument {
    doc(vi, en, DocumentHandling::Submit, true)
}

fn identity_papers() -> RequiredDocument {
    doc(
        "Giấy tờ tùy thân (thẻ căn cước, căn cước điện tử, hộ chiếu…) để đối chiếu",
        "Identity papers (ID card, electronic ID, passport…) to be checked",
        DocumentHandling::Present,
        true,
    )
}

fn residence_proof() -> RequiredDocument {
    doc(
        "Giấy tờ chứng minh nơi cư trú, khi không khai thác được từ Cơ sở dữ liệu quốc gia về dân cư",
        "Proof of residence, when it cannot be read from the national population database",
        DocumentHandling::Present,
        true,
    )
}

fn authorisation() -> RequiredDocument {
    submit(
        "Văn bản ủy quyền, khi ủy quyền cho người khác đi đăng ký",
        "Letter of authorisation, when someone else registers on the applicant's behalf",
    )
}

fn ct01() -> RequiredDocument {
    submit(
        "Tờ khai thay đổi thông tin cư trú (mẫu CT01) — điền trên biểu mẫu điện tử",
        "Residence information change form (CT01) — filled in as this e-form",
    )
}

/// Base labels of a register attribute: Vietnamese, English.
fn attribute_label(attribute: A) -> (&'static str, &'static str) {
    match attribute {
        A::FullName => ("Họ, chữ đệm và tên", "full name"),
        A::PersonalId => ("Số định danh cá nhân", "personal ID number"),
        A::OldCmnd => ("Số chứng minh nhân dân", "old ID card number"),
        A::DateOfBirth => ("Ngày, tháng, năm sinh", "date of birth"),
        A::Sex => ("Giới tính", "sex"),
        A::Ethnicity => ("Dân tộc", "ethnic group"),
        A::Nationality => ("Quốc tịch", "nationality"),
        A::Religion => ("Tôn giáo", "religion"),
        A::HomeTown => ("Quê quán", "home town"),
        A::BirthRegistrationPlace => ("Nơi đăng ký khai sinh", "place of birth registration"),
        A::PermanentAddress => ("Nơi thường trú", "permanent residence"),
        A::PermanentCommuneCode => ("Mã xã nơi thường trú", "permanent residence commune code"),
        A::TemporaryAddress => ("Nơi tạm trú", "temporary residence"),
        A::CurrentAddress => ("Nơi ở hiện tại", "current address"),
        A::Residence => ("Nơi cư trú", "residence"),
        A::HouseholdId => ("Số hộ", "household number"),
        A::RelationToHead => ("Quan hệ với chủ hộ", "relation to the household head"),
        A::DeathDate => ("Ngày chết", "date of death"),
        A::FatherFullName => ("Họ tên cha", "father's full name"),
        A::FatherPersonalId => ("Số định danh của cha", "father's personal ID number"),
        A::MotherFullName => ("Họ tên mẹ", "mother's full name"),
        A::MotherPersonalId => ("Số định danh của mẹ", "mother's personal ID number"),
        A::SpouseFullName => ("Họ tên vợ/chồng", "spouse's full name"),
        A::SpousePersonalId => ("Số định danh của vợ/chồng", "spouse's personal ID number"),
    }
}

/// Who a block of fields is about, in the labels.
struct Who {
    prefix: &'static str,
    party: P,
    vi: &'static str,
    en: &'static str,
}

const APPLICANT: Who = Who {
    prefix: "applicant",
    party: P::Applicant,
    vi: "người yêu cầu",
    en: "Applicant",
};
const MOTHER: Who = Who {
    prefix: "mother",
    party: P::Mother,
    vi: "người mẹ",
    en: "Mother",
};
const FATHER: Who = Who {
    prefix: "father",
    party: P::Father,
    vi: "người cha",
    en: "Father",
};
const DECEASED: Who = Who {
    prefix: "deceased",
    party: P::Deceased,
    vi: "người chết",
    en: "Deceased",
};
const SPOUSE: Who = Who {
    prefix: "spouse",
    party: P::Spouse,
    vi: "bên kia (vợ/chồng)",
    en: "Other party (spouse)",
};
const CHILD: Who = Who {
    prefix: "child",
    party: P::Child,
    vi: "trẻ em",
    en: "Child",
};
const SUBJECT: Who = Who {
    prefix: "subject",
    party: P::Subject,
    vi: "người được đề nghị",
    en: "Person concerned",
};
const GUEST: Who = Who {
    prefix: "guest",
    party: P::Subject,
    vi: "người lưu trú",
    en: "Guest",
};
const HOST: Who = Who {
    prefix: "host",
    party: P::Applicant,
    vi: "người thông báo",
    en: "Host",
};
const HEAD: Who = Who {
    prefix: "head",
    party: P::HouseholdHead,
    vi: "chủ hộ",
    en: "Household head",
};

/// A field about `who`, prefilled from the register's `attribute` of that party.
fn of(who: &Who, attribute: A) -> FieldSpec {
    let (vi, en) = attribute_label(attribute);
    let kind = match attribute {
        A::PersonalId | A::FatherPersonalId | A::MotherPersonalId | A::SpousePersonalId => {
            K::PersonalId
        }
        A::OldCmnd => K::Cmnd,
        A::DateOfBirth => K::PartialDate,
        A::DeathDate => K::Date,
        A::Sex => K::Sex,
        A::Ethnicity => K::EthnicityCode,
        A::PermanentCommuneCode => K::CommuneCode,
        _ => K::Text,
    };
    let mut f = FieldSpec::new(
        &format!("{}_{}", who.prefix, attribute.as_str()),
        &format!("{vi} của {}", who.vi),
        &format!("{}'s {en}", who.en),
        kind,
    )
    .from(who.party, attribute);
    match attribute {
        A::FullName => {
            f = f
                .rule(Rule::PersonName)
                .rule(Rule::MaxLength { chars: 100 })
        }
        A::DateOfBirth | A::DeathDate => f = f.rule(Rule::NotInFuture),
        _ => {}
    }
    f
}

fn text(key: &str, vi: &str, en: &str) -> FieldSpec {
    FieldSpec::new(key, vi, en, K::Text).rule(Rule::MaxLength { chars: 500 })
}

fn date(key: &str, vi: &str, en: &str) -> FieldSpec {
    FieldSpec::new(key, vi, en, K::Date)
}

fn select(key: &str, vi: &str, en: &str, options: &[(&str, &str, &str)]) -> FieldSpec {
    FieldSpec::new(
        key,
        vi,
        en,
        K::Select {
            options: options
                .iter()
                .map(|(value, vi, en)| SelectOption::new(value, vi, en))
                .collect(),
        },
    )
}

fn phone(key: &str) -> FieldSpec {
    FieldSpec::new(
        key,
        "Số điện thoại liên hệ",
        "Contact phone number",
        K::Phone,
    )
}

fn copies() -> FieldSpec {
    FieldSpec::new(
        "copies",
        "Số bản sao đề nghị cấp",
        "Number of copies requested",
        K::Number,
    )
    .rule(Rule::Min { value: 0 })
    .rule(Rule::Max { value: 20 })
}

fn id_matches(f: FieldSpec, date_of_birth: Option<&str>, sex: Option<&str>) -> FieldSpec {
    f.rule(Rule::IdMatches {
        date_of_birth: date_of_birth.map(str::to_owned),
        sex: sex.map(str::to_owned),
    })
}

fn person(party: P) -> Party {
    Party::Person(party)
}

/// The birth registration form (tờ khai đăng ký khai sinh): the declarant, the child, the
/// parents as Law 60/2014 Art. 14 lists them.
fn birth_fields() -> Vec<FieldSpec> {
    let parent = |who: &Who| {
        vec![
            of(who, A::FullName),
            of(who, A::DateOfBirth).rule(Rule::Before {
                field: "child_date_of_birth".to_owned(),
            }),
            of(who, A::Ethnicity),
            of(who, A::Nationality),
            of(who, A::Residence),
            id_matches(
                of(who, A::PersonalId),
                Some(&format!("{}_date_of_birth", who.prefix)),
                None,
            ),
        ]
    };
    let mut fields = vec![
        of(&APPLICANT, A::FullName).required(),
        of(&APPLICANT, A::PersonalId).required(),
        of(&APPLICANT, A::Residence).required(),
        select(
            "applicant_relation",
            "Quan hệ với người được khai sinh",
            "Relation to the child",
            &[
                ("mother", "Mẹ", "Mother"),
                ("father", "Cha", "Father"),
                ("grandparent", "Ông, bà", "Grandparent"),
                ("relative", "Người thân thích khác", "Other relative"),
                (
                    "carer",
                    "Cá nhân, tổ chức đang nuôi dưỡng",
                    "Person or body caring for the child",
                ),
            ],
        )
        .required(),
        phone("applicant_phone"),
        text(
            "child_full_name",
            "Họ, chữ đệm và tên của trẻ",
            "Child's full name",
        )
        .required()
        .rule(Rule::PersonName),
        FieldSpec::new("child_sex", "Giới tính của trẻ", "Child's sex", K::Sex).required(),
        date(
            "child_date_of_birth",
            "Ngày, tháng, năm sinh của trẻ",
            "Child's date of birth",
        )
        .required()
        .rule(Rule::NotInFuture),
        text("child_birth_place", "Nơi sinh", "Place of birth").required(),
        text("child_home_town", "Quê quán của trẻ", "Child's home town").required(),
        FieldSpec::new(
            "child_ethnicity",
            "Dân tộc của trẻ",
            "Child's ethnic group",
            K::EthnicityCode,
        )
        .required(),
        text(
            "child_nationality",
            "Quốc tịch của trẻ",
            "Child's nationality",
        )
        .required(),
    ];
    fields.extend(parent(&MOTHER));
    fields.extend(parent(&FATHER));
    fields.push(copies());
    fields
}

/// The death registration form (tờ khai đăng ký khai tử).
fn death_fields() -> Vec<FieldSpec> {
    vec![
        of(&APPLICANT, A::FullName).required(),
        of(&APPLICANT, A::PersonalId).required(),
        of(&APPLICANT, A::Residence).required(),
        select(
            "applicant_relation",
            "Quan hệ với người chết",
            "Relation to the deceased",
            &[
                ("spouse", "Vợ, chồng", "Spouse"),
                ("child", "Con", "Child"),
                ("parent", "Cha, mẹ", "Parent"),
                ("relative", "Người thân thích khác", "Other relative"),
                (
                    "organisation",
                    "Đại diện cơ quan, tổ chức",
                    "Representative of a body",
                ),
            ],
        )
        .required(),
        phone("applicant_phone"),
        of(&DECEASED, A::FullName).required(),
        id_matches(
            of(&DECEASED, A::PersonalId),
            Some("deceased_date_of_birth"),
            Some("deceased_sex"),
        ),
        of(&DECEASED, A::DateOfBirth).required(),
        of(&DECEASED, A::Sex).required(),
        of(&DECEASED, A::Ethnicity),
        of(&DECEASED, A::Nationality),
        of(&DECEASED, A::Residence).required(),
        date("death_date", "Ngày chết", "Date of death")
            .required()
            .rule(Rule::NotInFuture)
            .rule(Rule::NotBefore {
                field: "deceased_date_of_birth".to_owned(),
            }),
        text("death_place", "Nơi chết", "Place of death").required(),
        text("death_cause", "Nguyên nhân chết", "Cause of death"),
        text(
            "death_notice_number",
            "Số Giấy báo tử hoặc giấy tờ thay thế",
            "Number of the death notice or the paper replacing it",
        ),
        copies(),
    ]
}

/// Decision 1019/QĐ-TCTK codes are not a nationality list; nationality is written out.
fn marriage_fields() -> Vec<FieldSpec> {
    let party = |who: &Who| {
        vec![
            of(who, A::FullName).required(),
            of(who, A::DateOfBirth).required(),
            of(who, A::Ethnicity).required(),
            of(who, A::Nationality).required(),
            of(who, A::Residence).required(),
            id_matches(
                of(who, A::PersonalId).required(),
                Some(&format!("{}_date_of_birth", who.prefix)),
                None,
            ),
        ]
    };
    let previously = |key: &str, vi: &str, en: &str| {
        select(
            key,
            vi,
            en,
            &[
                ("never", "Chưa kết hôn lần nào", "Never married"),
                ("divorced", "Đã ly hôn", "Divorced"),
                ("widowed", "Vợ/chồng đã chết", "Widowed"),
            ],
        )
        .required()
    };
    let mut fields = party(&APPLICANT);
    fields.push(previously(
        "applicant_previous_marriage",
        "Tình trạng hôn nhân trước đây của người yêu cầu",
        "Applicant's previous marital status",
    ));
    fields.extend(party(&SPOUSE));
    fields.push(previously(
        "spouse_previous_marriage",
        "Tình trạng hôn nhân trước đây của bên kia",
        "Other party's previous marital status",
    ));
    fields.push(phone("applicant_phone"));
    fields.push(copies());
    fields
}

fn residence_basis() -> FieldSpec {
    select(
        "legal_residence_basis",
        "Chỗ ở hợp pháp",
        "Legal residence",
        &[
            (
                "owned",
                "Thuộc quyền sở hữu của người đăng ký",
                "Owned by the registrant",
            ),
            ("rented", "Thuê, mượn, ở nhờ", "Rented, lent or hosted"),
            (
                "family",
                "Về ở với người thân, không thuộc quyền sở hữu của mình",
                "Living with relatives, not owned by the registrant",
            ),
            ("other", "Trường hợp khác", "Other"),
        ],
    )
    .required()
}

/// CT01 for a permanent residence registration: the registrant, the household joined.
fn permanent_registration_fields() -> Vec<FieldSpec> {
    vec![
        of(&APPLICANT, A::FullName).required(),
        of(&APPLICANT, A::DateOfBirth).required(),
        of(&APPLICANT, A::Sex).required(),
        id_matches(
            of(&APPLICANT, A::PersonalId).required(),
            Some("applicant_date_of_birth"),
            Some("applicant_sex"),
        ),
        of(&APPLICANT, A::PermanentAddress),
        phone("applicant_phone"),
        text("applicant_email", "Thư điện tử", "Email"),
        of(&HEAD, A::FullName).required(),
        of(&HEAD, A::PersonalId).required(),
        text(
            "relation_to_head",
            "Quan hệ với chủ hộ",
            "Relation to the household head",
        )
        .required(),
        FieldSpec::new("household_id", "Số hộ", "Household number", K::Text).from_household(H::Id),
        FieldSpec::new(
            "new_address",
            "Địa chỉ nơi đăng ký thường trú",
            "Address of the new permanent residence",
            K::Text,
        )
        .required()
        .from_household(H::Address),
        FieldSpec::new(
            "new_commune_code",
            "Mã xã nơi đăng ký thường trú",
            "Commune code of the new permanent residence",
            K::CommuneCode,
        )
        .required()
        .from_household(H::CommuneCode),
        residence_basis(),
        text("request", "Nội dung đề nghị", "Request").required(),
    ]
}

fn permanent_deletion_fields() -> Vec<FieldSpec> {
    vec![
        of(&APPLICANT, A::FullName).required(),
        of(&APPLICANT, A::PersonalId).required(),
        phone("applicant_phone"),
        select(
            "relation_to_subject",
            "Quan hệ với người được đề nghị xóa đăng ký",
            "Relation to the person concerned",
            &[
                ("self", "Chính mình", "Self"),
                ("household-head", "Chủ hộ", "Household head"),
                ("relative", "Người thân", "Relative"),
                ("other", "Khác", "Other"),
            ],
        )
        .required(),
        of(&SUBJECT, A::FullName).required(),
        of(&SUBJECT, A::PersonalId).required(),
        of(&SUBJECT, A::DateOfBirth),
        of(&SUBJECT, A::PermanentAddress).required(),
        FieldSpec::new("household_id", "Số hộ", "Household number", K::Text).from_household(H::Id),
        select(
            "reason",
            "Lý do xóa đăng ký thường trú",
            "Reason for the deletion",
            &[
                ("death", "Đã chết", "Deceased"),
                ("settled-abroad", "Định cư ở nước ngoài", "Settled abroad"),
                ("other", "Trường hợp khác", "Other"),
            ],
        )
        .required(),
        text("reason_detail", "Diễn giải lý do", "Details of the reason"),
    ]
}

fn temporary_registration_fields() -> Vec<FieldSpec> {
    vec![
        of(&APPLICANT, A::FullName).required(),
        of(&APPLICANT, A::DateOfBirth).required(),
        of(&APPLICANT, A::Sex).required(),
        id_matches(
            of(&APPLICANT, A::PersonalId).required(),
            Some("applicant_date_of_birth"),
            Some("applicant_sex"),
        ),
        of(&APPLICANT, A::PermanentAddress),
        phone("applicant_phone"),
        text(
            "temporary_address",
            "Địa chỉ nơi đăng ký tạm trú",
            "Address of the temporary residence",
        )
        .required(),
        FieldSpec::new(
            "temporary_commune_code",
            "Mã xã nơi đăng ký tạm trú",
            "Commune code of the temporary residence",
            K::CommuneCode,
        )
        .required(),
        of(&HEAD, A::FullName),
        of(&HEAD, A::PersonalId),
        residence_basis(),
        date("stay_until", "Tạm trú đến ngày", "Staying until").required(),
    ]
}

fn temporary_absence_fields() -> Vec<FieldSpec> {
    vec![
        of(&APPLICANT, A::FullName).required(),
        id_matches(
            of(&APPLICANT, A::PersonalId).required(),
            Some("applicant_date_of_birth"),
            None,
        ),
        of(&APPLICANT, A::DateOfBirth),
        of(&APPLICANT, A::PermanentAddress),
        phone("applicant_phone"),
        text("absence_reason", "Lý do tạm vắng", "Reason for the absence").required(),
        date("absence_from", "Tạm vắng từ ngày", "Absent from").required(),
        date("absence_until", "Tạm vắng đến ngày", "Absent until")
            .required()
            .rule(Rule::NotBefore {
                field: "absence_from".to_owned(),
            }),
        text("destination", "Địa chỉ nơi đến", "Destination address").required(),
    ]
}

fn stay_notice_fields() -> Vec<FieldSpec> {
    vec![
        of(&HOST, A::FullName).required(),
        of(&HOST, A::PersonalId).required(),
        phone("host_phone"),
        of(&HOST, A::Residence).required(),
        of(&GUEST, A::FullName).required(),
        id_matches(
            of(&GUEST, A::PersonalId).required(),
            Some("guest_date_of_birth"),
            Some("guest_sex"),
        ),
        of(&GUEST, A::DateOfBirth),
        of(&GUEST, A::Sex),
        of(&GUEST, A::PermanentAddress),
        date("arrival_date", "Ngày đến lưu trú", "Arrival date").required(),
        date(
            "departure_date",
            "Ngày dự kiến đi",
            "Expected departure date",
        )
        .rule(Rule::NotBefore {
            field: "arrival_date".to_owned(),
        }),
        text("stay_reason", "Lý do lưu trú", "Reason for the stay"),
    ]
}

/// The funeral allowance's own fields beyond the death form's (the recipient is the
/// applicant).
fn funeral_extra_fields() -> Vec<FieldSpec> {
    vec![
        select(
            "beneficiary_category",
            "Diện hưởng chế độ của người chết",
            "Benefit category of the deceased",
            &[
                (
                    "social-protection",
                    "Đối tượng bảo trợ xã hội",
                    "Social protection beneficiary",
                ),
                (
                    "merit",
                    "Người có công với cách mạng",
                    "Person with meritorious services",
                ),
                (
                    "social-insurance",
                    "Người đang hưởng lương hưu, trợ cấp bảo hiểm xã hội",
                    "Social-insurance pensioner or beneficiary",
                ),
                ("other", "Trường hợp khác", "Other"),
            ],
        )
        .required(),
        select(
            "payment_method",
            "Hình thức nhận tiền",
            "Payment method",
            &[
                ("cash", "Tiền mặt", "Cash"),
                ("bank", "Chuyển khoản", "Bank transfer"),
            ],
        )
        .required(),
        text(
            "bank_account",
            "Số tài khoản, ngân hàng",
            "Bank account and bank",
        ),
    ]
}

fn funeral_fields() -> Vec<FieldSpec> {
    let mut fields = vec![
        of(&APPLICANT, A::FullName).required(),
        of(&APPLICANT, A::PersonalId).required(),
        of(&APPLICANT, A::Residence).required(),
        phone("applicant_phone"),
        select(
            "applicant_relation",
            "Quan hệ với người chết",
            "Relation to the deceased",
            &[
                ("spouse", "Vợ, chồng", "Spouse"),
                ("child", "Con", "Child"),
                ("parent", "Cha, mẹ", "Parent"),
                ("relative", "Người thân thích khác", "Other relative"),
                (
                    "organiser",
                    "Người tổ chức mai táng",
                    "Organiser of the funeral",
                ),
            ],
        )
        .required(),
        of(&DECEASED, A::FullName).required(),
        of(&DECEASED, A::PersonalId),
        of(&DECEASED, A::DateOfBirth),
        of(&DECEASED, A::Residence),
        of(&DECEASED, A::DeathDate)
            .required()
            .rule(Rule::NotBefore {
                field: "deceased_date_of_birth".to_owned(),
            }),
    ];
    fields.extend(funeral_extra_fields());
    fields
}

fn health_facility() -> FieldSpec {
    text(
        "initial_health_facility",
        "Nơi đăng ký khám bệnh, chữa bệnh ban đầu",
        "Health facility of first registration",
    )
    .required()
}

fn child_card_fields() -> Vec<FieldSpec> {
    vec![
        of(&APPLICANT, A::FullName).required(),
        of(&APPLICANT, A::PersonalId).required(),
        phone("applicant_phone"),
        of(&CHILD, A::FullName).required(),
        id_matches(
            of(&CHILD, A::PersonalId).required(),
            Some("child_date_of_birth"),
            Some("child_sex"),
        ),
        FieldSpec::new(
            "child_date_of_birth",
            "Ngày, tháng, năm sinh của trẻ em",
            "Child's date of birth",
            K::Date,
        )
        .required()
        .rule(Rule::NotInFuture)
        .rule(Rule::AgeUnder { years: 6 })
        .from(P::Child, A::DateOfBirth),
        of(&CHILD, A::Sex).required(),
        of(&CHILD, A::Residence).required(),
        FieldSpec::new("household_id", "Số hộ", "Household number", K::Text).from_household(H::Id),
        health_facility(),
    ]
}

fn marital_status_fields() -> Vec<FieldSpec> {
    vec![
        of(&APPLICANT, A::FullName).required(),
        of(&APPLICANT, A::DateOfBirth).required(),
        of(&APPLICANT, A::Sex).required(),
        of(&APPLICANT, A::Ethnicity).required(),
        of(&APPLICANT, A::Nationality).required(),
        id_matches(
            of(&APPLICANT, A::PersonalId).required(),
            Some("applicant_date_of_birth"),
            Some("applicant_sex"),
        ),
        of(&APPLICANT, A::Residence).required(),
        phone("applicant_phone"),
        select(
            "marital_status",
            "Tình trạng hôn nhân",
            "Marital status",
            &[
                (
                    "never-married",
                    "Chưa đăng ký kết hôn với ai",
                    "Never married",
                ),
                ("married", "Đang có vợ/chồng", "Married"),
                ("divorced", "Đã ly hôn", "Divorced"),
                ("widowed", "Vợ/chồng đã chết", "Widowed"),
            ],
        )
        .required(),
        of(&SPOUSE, A::FullName),
        of(&SPOUSE, A::PersonalId),
        text(
            "purpose",
            "Mục đích sử dụng giấy xác nhận",
            "Purpose of the confirmation",
        )
        .required(),
        copies(),
    ]
}

fn correction_fields() -> Vec<FieldSpec> {
    vec![
        of(&APPLICANT, A::FullName).required(),
        of(&APPLICANT, A::PersonalId).required(),
        of(&APPLICANT, A::Residence).required(),
        phone("applicant_phone"),
        select(
            "relation_to_subject",
            "Quan hệ với người được thay đổi, cải chính",
            "Relation to the person whose record changes",
            &[
                ("parent", "Cha, mẹ", "Parent"),
                ("guardian", "Người giám hộ", "Guardian"),
                ("other", "Người được ủy quyền", "Authorised person"),
            ],
        )
        .required(),
        of(&CHILD, A::FullName).required(),
        id_matches(
            of(&CHILD, A::PersonalId).required(),
            Some("child_date_of_birth"),
            Some("child_sex"),
        ),
        of(&CHILD, A::DateOfBirth).required(),
        of(&CHILD, A::Sex).required(),
        of(&CHILD, A::BirthRegistrationPlace),
        select(
            "kind",
            "Loại yêu cầu",
            "Kind of request",
            &[
                ("change", "Thay đổi hộ tịch", "Change"),
                ("correction", "Cải chính hộ tịch", "Correction"),
                ("supplement", "Bổ sung thông tin hộ tịch", "Supplement"),
            ],
        )
        .required(),
        text(
            "item",
            "Nội dung đề nghị thay đổi, cải chính",
            "Item to change",
        )
        .required(),
        text(
            "current_content",
            "Nội dung hiện ghi",
            "Content as recorded",
        )
        .required(),
        text("new_content", "Nội dung đề nghị ghi", "Content requested").required(),
        text("reason", "Lý do", "Reason").required(),
    ]
}

fn birth_group_fields() -> Vec<FieldSpec> {
    let mut fields = birth_fields();
    fields.extend([
        FieldSpec::new("household_id", "Số hộ", "Household number", K::Text)
            .required()
            .from_household(H::Id),
        of(&HEAD, A::FullName).required(),
        of(&HEAD, A::PersonalId).required(),
        text(
            "child_relation_to_head",
            "Quan hệ của trẻ với chủ hộ",
            "Child's relation to the household head",
        )
        .required(),
        FieldSpec::new(
            "residence_address",
            "Địa chỉ đăng ký thường trú của trẻ",
            "Child's permanent residence address",
            K::Text,
        )
        .required()
        .from_household(H::Address),
        FieldSpec::new(
            "residence_commune_code",
            "Mã xã nơi thường trú của trẻ",
            "Commune code of the child's permanent residence",
            K::CommuneCode,
        )
        .required()
        .from_household(H::CommuneCode),
        health_facility(),
    ]);
    fields
}

fn death_group_fields() -> Vec<FieldSpec> {
    let mut fields = death_fields();
    fields.push(
        FieldSpec::new(
            "household_id",
            "Số hộ của người chết",
            "Household number of the deceased",
            K::Text,
        )
        .from_household(H::Id),
    );
    fields.extend(funeral_extra_fields());
    fields
}

const CIVIL_STATUS_DECREES: [&str; 6] = [
    "Nghị định số 123/2015/NĐ-CP quy định chi tiết một số điều và biện pháp thi hành Luật Hộ tịch",
    "Thông tư số 04/2020/TT-BTP quy định chi tiết thi hành một số điều của Luật Hộ tịch và Nghị định số 123/2015/NĐ-CP",
    "Nghị định số 87/2020/NĐ-CP về Cơ sở dữ liệu hộ tịch điện tử, đăng ký hộ tịch trực tuyến",
    "Nghị định số 104/2022/NĐ-CP về việc bỏ yêu cầu xuất trình sổ hộ khẩu, sổ tạm trú giấy",
    "Nghị định số 07/2025/NĐ-CP sửa đổi các nghị định trong lĩnh vực hộ tịch, quốc tịch, chứng thực",
    "Nghị định số 120/2025/NĐ-CP về phân định thẩm quyền của chính quyền địa phương 02 cấp trong lĩnh vực tư pháp",
];

/// Law 60/2014 with the checked articles, then the civil-status decrees of the portal record.
fn civil_status_basis(articles: &str, national_code: &str) -> Vec<LegalBasis> {
    let mut out = vec![law(
        "Luật Hộ tịch số 60/2014/QH13",
        Some(articles),
        Sourcing::sourced(LAW60),
    )];
    out.extend(
        CIVIL_STATUS_DECREES
            .iter()
            .map(|document| law(document, None, dvc(national_code))),
    );
    out
}

/// The residence law and its texts as the portal record `national_code` lists them; Decree
/// 154/2024 only where the record lists it.
fn residence_basis_docs(
    articles: Option<&str>,
    national_code: &str,
    with_decree_154: bool,
) -> Vec<LegalBasis> {
    let source = || dvc(national_code);
    let mut out = vec![law("Luật Cư trú số 68/2020/QH14", articles, source())];
    if with_decree_154 {
        out.push(law(
            "Nghị định số 154/2024/NĐ-CP quy định chi tiết một số điều và biện pháp thi hành Luật Cư trú",
            None,
            source(),
        ));
    }
    out.extend([
        law(
            "Thông tư số 55/2021/TT-BCA, sửa đổi bởi Thông tư số 66/2023/TT-BCA và Thông tư số 53/2025/TT-BCA",
            None,
            source(),
        ),
        law(
            "Thông tư số 54/2025/TT-BCA quy định về quy trình đăng ký cư trú",
            None,
            source(),
        ),
    ]);
    out
}

fn decree_63() -> LegalBasis {
    law(
        "Nghị định số 63/2024/NĐ-CP ngày 10/6/2024 về liên thông điện tử hai nhóm thủ tục hành chính",
        Some("Điều 6, Điều 8"),
        Sourcing::sourced(&format!("{NĐ63}; MISSION.md")),
    )
}

fn decision_296() -> LegalBasis {
    law(
        "Quyết định số 296/QĐ-VPCP ngày 12/6/2024 công bố hai nhóm thủ tục hành chính liên thông điện tử",
        None,
        Sourcing::sourced(NĐ63),
    )
}

#[allow(clippy::too_many_lines)]
pub(super) fn catalogue() -> Catalogue {
    let free_on_time = |what_vi: &str, what_en: &str| {
        Some(Text::new(
            format!(
                "Miễn lệ phí khi {what_vi} đúng hạn; quá hạn nộp lệ phí theo mức của Hội đồng \
                 nhân dân cấp tỉnh"
            ),
            format!("Free when {what_en} on time; late, the provincial council's fee applies"),
        ))
    };
    let province_fee = || Fee::SetByProvince {
        note: Text::new(
            "Mức do Hội đồng nhân dân cấp tỉnh quyết định; miễn cho người thuộc gia đình có công \
             với cách mạng, hộ nghèo, người khuyết tật",
            "Set by the provincial People's Council; waived for families of people with \
             meritorious services, poor households and people with disabilities",
        ),
    };

    let birth = Procedure {
        code: codes::BIRTH_REGISTRATION.to_owned(),
        national_code: Some("1.001193".to_owned()),
        name: Text::new("Đăng ký khai sinh", "Birth registration"),
        sector: Sector::CivilStatus,
        agency: Agency::CommuneCommittee,
        handling_role: Role::Justice,
        legal_basis: civil_status_basis("Điều 5, 11, 13, 14, 15, 16", "1.001193"),
        deadline: Deadline::WithinTheDay,
        deadline_sourcing: Sourcing::sourced(
            "Luật 60/2014/QH13 (pháp điển) Điều 16 khoản 2 (ngay sau khi nhận đủ giấy tờ) và \
             Điều 5 khoản 3 (nhận sau 15 giờ: trả trong ngày làm việc tiếp theo); DVCQG \
             1.001193 ghi thời gian xử lý 1 ngày làm việc",
        ),
        fee: Fee::Free,
        fee_sourcing: Sourcing::sourced("Luật 60/2014/QH13 (pháp điển) Điều 11 khoản 1 điểm b"),
        fee_note: free_on_time("đăng ký khai sinh", "registered"),
        documents: vec![
            submit(
                "Tờ khai đăng ký khai sinh — điền trên biểu mẫu điện tử",
                "Birth registration form — filled in as this e-form",
            ),
            submit_held(
                "Giấy chứng sinh; không có thì văn bản của người làm chứng hoặc giấy cam đoan về \
                 việc sinh",
                "Medical birth certificate; failing that, a witness statement or a sworn \
                 statement of the birth",
            ),
            authorisation(),
            identity_papers(),
            residence_proof(),
        ],
        online_level: OnlineLevel::Full,
        parties: vec![person(P::Applicant), person(P::Mother), person(P::Father)],
        form: FormSchema {
            fields: birth_fields(),
        },
        steps: Vec::new(),
    };

    let death = Procedure {
        code: codes::DEATH_REGISTRATION.to_owned(),
        national_code: Some("1.000656".to_owned()),
        name: Text::new("Đăng ký khai tử", "Death registration"),
        sector: Sector::CivilStatus,
        agency: Agency::CommuneCommittee,
        handling_role: Role::Justice,
        legal_basis: civil_status_basis("Điều 5, 11, 32, 33, 34", "1.000656"),
        deadline: Deadline::WithinTheDay,
        deadline_sourcing: Sourcing::sourced(
            "Luật 60/2014/QH13 (pháp điển) Điều 34 khoản 2 (ngay sau khi nhận giấy tờ) và \
             Điều 5 khoản 3; DVCQG 1.000656 có trường hợp cần xác minh 5 ngày làm việc",
        ),
        fee: Fee::Free,
        fee_sourcing: Sourcing::sourced(
            "Luật 60/2014/QH13 (pháp điển) Điều 11 khoản 1 điểm b; DVCQG 1.000656",
        ),
        fee_note: free_on_time("đăng ký khai tử", "registered"),
        documents: vec![
            submit(
                "Tờ khai đăng ký khai tử — điền trên biểu mẫu điện tử",
                "Death registration form — filled in as this e-form",
            ),
            submit_held(
                "Giấy báo tử hoặc giấy tờ thay Giấy báo tử",
                "Death notice or the paper replacing it",
            ),
            authorisation(),
            identity_papers(),
        ],
        online_level: OnlineLevel::Full,
        parties: vec![person(P::Applicant), person(P::Deceased)],
        form: FormSchema {
            fields: death_fields(),
        },
        steps: Vec::new(),
    };

    let marriage = Procedure {
        code: codes::MARRIAGE_REGISTRATION.to_owned(),
        national_code: Some("1.000894".to_owned()),
        name: Text::new("Đăng ký kết hôn", "Marriage registration"),
        sector: Sector::CivilStatus,
        agency: Agency::CommuneCommittee,
        handling_role: Role::Justice,
        legal_basis: {
            let mut b = civil_status_basis("Điều 5, 11, 17, 18", "1.000894");
            b.push(law(
                "Luật Hôn nhân và gia đình số 52/2014/QH13",
                None,
                dvc("1.000894"),
            ));
            b
        },
        deadline: Deadline::WithinTheDay,
        deadline_sourcing: Sourcing::sourced(
            "Luật 60/2014/QH13 (pháp điển) Điều 18 khoản 2 (ngay sau khi nhận đủ giấy tờ; cần \
             xác minh thì không quá 05 ngày làm việc)",
        ),
        fee: Fee::Free,
        fee_sourcing: Sourcing::sourced(
            "Luật 60/2014/QH13 (pháp điển) Điều 11 khoản 1 điểm b; DVCQG 1.000894",
        ),
        fee_note: None,
        documents: vec![
            submit(
                "Tờ khai đăng ký kết hôn — điền trên biểu mẫu điện tử",
                "Marriage registration form — filled in as this e-form",
            ),
            doc(
                "Giấy tờ tùy thân của hai bên nam, nữ (hai bên cùng có mặt khi đăng ký)",
                "Identity papers of both parties (both are present at the registration)",
                DocumentHandling::Present,
                true,
            ),
            residence_proof(),
        ],
        online_level: OnlineLevel::Partial,
        parties: vec![person(P::Applicant), person(P::Spouse)],
        form: FormSchema {
            fields: marriage_fields(),
        },
        steps: Vec::new(),
    };

    let permanent = Procedure {
        code: codes::PERMANENT_RESIDENCE_REGISTRATION.to_owned(),
        national_code: Some("1.004222".to_owned()),
        name: Text::new("Đăng ký thường trú", "Permanent residence registration"),
        sector: Sector::Residence,
        agency: Agency::CommunePolice,
        handling_role: Role::Police,
        legal_basis: {
            let mut b = residence_basis_docs(Some("Điều 20"), "1.004222", true);
            b.push(law(
                "Thông tư số 75/2022/TT-BTC quy định mức thu lệ phí đăng ký cư trú, sửa đổi bởi \
                 Thông tư số 71/2025/TT-BTC",
                None,
                dvc("1.004222"),
            ));
            b
        },
        deadline: Deadline::WorkingDays(7),
        deadline_sourcing: dvc("1.004222"),
        fee: Fee::Fixed {
            desk_vnd: 20_000,
            online_vnd: 10_000,
        },
        fee_sourcing: dvc("1.004222 (Thông tư 75/2022/TT-BTC)"),
        fee_note: None,
        documents: vec![
            ct01(),
            submit_held(
                "Giấy tờ chứng minh chỗ ở hợp pháp, khi không khai thác được từ các cơ sở dữ liệu",
                "Proof of legal residence, when it cannot be read from the databases",
            ),
            submit_held(
                "Giấy tờ chứng minh quan hệ nhân thân với chủ hộ, khi không khai thác được",
                "Proof of the family relation to the household head, when it cannot be read",
            ),
        ],
        online_level: OnlineLevel::Full,
        parties: vec![
            person(P::Applicant),
            person(P::HouseholdHead),
            Party::HOUSEHOLD,
        ],
        form: FormSchema {
            fields: permanent_registration_fields(),
        },
        steps: Vec::new(),
    };

    let deletion = Procedure {
        code: codes::PERMANENT_RESIDENCE_DELETION.to_owned(),
        national_code: None,
        name: Text::new("Xóa đăng ký thường trú", "Deletion of permanent residence"),
        sector: Sector::Residence,
        agency: Agency::CommunePolice,
        handling_role: Role::Police,
        legal_basis: vec![
            law(
                "Luật Cư trú số 68/2020/QH14",
                None,
                Sourcing::to_confirm(
                    "số hiệu theo DVCQG 1.004222; điều khoản về các trường hợp xóa đăng ký \
                     thường trú chưa đối chiếu với văn bản",
                ),
            ),
            law(
                "Nghị định số 154/2024/NĐ-CP quy định chi tiết một số điều và biện pháp thi hành Luật Cư trú",
                None,
                Sourcing::to_confirm("chưa có bản ghi DVCQG của thủ tục này"),
            ),
        ],
        deadline: Deadline::WorkingDays(1),
        deadline_sourcing: Sourcing::to_confirm(
            "01 ngày làm việc theo danh mục của bên thứ ba; đối chiếu Luật Cư trú 2020 và bản \
             ghi DVCQG",
        ),
        fee: Fee::Free,
        fee_sourcing: Sourcing::to_confirm("miễn phí theo danh mục của bên thứ ba"),
        fee_note: None,
        documents: vec![
            ct01(),
            submit_held(
                "Giấy tờ chứng minh thuộc trường hợp xóa đăng ký thường trú (ví dụ trích lục khai tử)",
                "Proof of the ground for deletion (e.g. the death registration extract)",
            ),
        ],
        online_level: OnlineLevel::Full,
        parties: vec![person(P::Applicant), person(P::Subject), Party::HOUSEHOLD],
        form: FormSchema {
            fields: permanent_deletion_fields(),
        },
        steps: Vec::new(),
    };

    let temporary = Procedure {
        code: codes::TEMPORARY_RESIDENCE_REGISTRATION.to_owned(),
        national_code: Some("1.004194".to_owned()),
        name: Text::new("Đăng ký tạm trú", "Temporary residence registration"),
        sector: Sector::Residence,
        agency: Agency::CommunePolice,
        handling_role: Role::Police,
        legal_basis: {
            let mut b = residence_basis_docs(Some("Điều 27"), "1.004194", true);
            b.push(law(
                "Thông tư số 75/2022/TT-BTC quy định mức thu lệ phí đăng ký cư trú",
                None,
                dvc("1.004194"),
            ));
            b
        },
        deadline: Deadline::WorkingDays(3),
        deadline_sourcing: dvc("1.004194"),
        fee: Fee::Fixed {
            desk_vnd: 15_000,
            online_vnd: 7_000,
        },
        fee_sourcing: dvc("1.004194 (Thông tư 75/2022/TT-BTC)"),
        fee_note: None,
        documents: vec![
            ct01(),
            submit_held(
                "Giấy tờ chứng minh chỗ ở hợp pháp, khi không khai thác được từ các cơ sở dữ liệu",
                "Proof of legal residence, when it cannot be read from the databases",
            ),
        ],
        online_level: OnlineLevel::Full,
        parties: vec![person(P::Applicant), person(P::HouseholdHead)],
        form: FormSchema {
            fields: temporary_registration_fields(),
        },
        steps: Vec::new(),
    };

    let absence = Procedure {
        code: codes::TEMPORARY_ABSENCE_DECLARATION.to_owned(),
        national_code: Some("1.003677".to_owned()),
        name: Text::new("Khai báo tạm vắng", "Temporary absence declaration"),
        sector: Sector::Residence,
        agency: Agency::CommunePolice,
        handling_role: Role::Police,
        legal_basis: residence_basis_docs(Some("Điều 31"), "1.003677", false),
        deadline: Deadline::WorkingDays(1),
        deadline_sourcing: Sourcing::sourced(
            "DVCQG 1.003677 (01 ngày làm việc; trường hợp phức tạp không quá 02 ngày làm việc)",
        ),
        fee: Fee::Free,
        fee_sourcing: Sourcing::sourced("DVCQG 1.003677 (không có phí, lệ phí)"),
        fee_note: None,
        documents: vec![
            submit(
                "Đề nghị khai báo tạm vắng — điền trên biểu mẫu điện tử",
                "Temporary absence declaration — filled in as this e-form",
            ),
            submit(
                "Văn bản đồng ý của cơ quan có thẩm quyền giám sát, quản lý, giáo dục người đó \
                 (trường hợp điểm a, b khoản 1 Điều 31 Luật Cư trú)",
                "Consent of the authority supervising the person (cases a and b of Art. 31(1) \
                 of the Law on Residence)",
            ),
        ],
        online_level: OnlineLevel::Full,
        parties: vec![person(P::Applicant)],
        form: FormSchema {
            fields: temporary_absence_fields(),
        },
        steps: Vec::new(),
    };

    let stay = Procedure {
        code: codes::STAY_NOTICE.to_owned(),
        national_code: None,
        name: Text::new("Thông báo lưu trú", "Stay notice"),
        sector: Sector::Residence,
        agency: Agency::CommunePolice,
        handling_role: Role::Police,
        legal_basis: vec![law(
            "Luật Cư trú số 68/2020/QH14",
            Some("Điều 30"),
            Sourcing::sourced("MISSION.md (Điều 30); số hiệu theo DVCQG 1.004222"),
        )],
        deadline: Deadline::WithinTheDay,
        deadline_sourcing: Sourcing::sourced(
            "MISSION.md: thông báo trước 23 giờ ngày đến, đến sau 23 giờ thì trước 08 giờ ngày \
             hôm sau; tiếp nhận ngay (bản chép DVCQG của ttrungtin2910/ai-thuc-chien-2025)",
        ),
        fee: Fee::Free,
        fee_sourcing: Sourcing::to_confirm("miễn phí theo danh mục của bên thứ ba"),
        fee_note: None,
        documents: vec![submit(
            "Thông tin người lưu trú — điền trên biểu mẫu điện tử",
            "The guest's details — filled in as this e-form",
        )],
        online_level: OnlineLevel::Full,
        parties: vec![person(P::Applicant), person(P::Subject)],
        form: FormSchema {
            fields: stay_notice_fields(),
        },
        steps: Vec::new(),
    };

    let funeral = Procedure {
        code: codes::FUNERAL_ALLOWANCE.to_owned(),
        national_code: None,
        name: Text::new(
            "Giải quyết trợ cấp mai táng phí",
            "Funeral allowance",
        ),
        sector: Sector::Labour,
        agency: Agency::CommuneCommittee,
        handling_role: Role::Labour,
        legal_basis: vec![
            decree_63(),
            law(
                "Pháp lệnh Ưu đãi người có công với cách mạng ngày 09/12/2020",
                None,
                Sourcing::sourced("căn cứ ban hành của Nghị định 63/2024/NĐ-CP (luatvietnam.vn)"),
            ),
            law(
                "Luật Bảo hiểm xã hội ngày 20/11/2014",
                None,
                Sourcing::sourced("căn cứ ban hành của Nghị định 63/2024/NĐ-CP (luatvietnam.vn)"),
            ),
            law(
                "Nghị định số 20/2021/NĐ-CP về chính sách trợ giúp xã hội đối với đối tượng bảo trợ xã hội",
                None,
                Sourcing::to_confirm("hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội; điều khoản chưa đối chiếu"),
            ),
        ],
        deadline: Deadline::WorkingDays(3),
        deadline_sourcing: Sourcing::to_confirm(
            "03 ngày làm việc chưa đối chiếu với Nghị định 20/2021/NĐ-CP và Nghị định 63/2024/NĐ-CP; \
             thời hạn khác nhau theo diện hưởng",
        ),
        fee: Fee::Free,
        fee_sourcing: Sourcing::to_confirm("chế độ trợ cấp, không thu phí"),
        fee_note: None,
        documents: vec![
            submit(
                "Tờ khai đề nghị trợ cấp mai táng — điền trên biểu mẫu điện tử",
                "Funeral allowance request — filled in as this e-form",
            ),
            submit_held("Trích lục khai tử", "Death registration extract"),
            submit_held(
                "Giấy tờ chứng minh người chết thuộc diện hưởng, khi chưa có trong danh sách đối tượng",
                "Proof of the deceased's benefit category, when not in the beneficiary list",
            ),
        ],
        online_level: OnlineLevel::Partial,
        parties: vec![person(P::Applicant), person(P::Deceased)],
        form: FormSchema {
            fields: funeral_fields(),
        },
        steps: Vec::new(),
    };

    let card = Procedure {
        code: codes::CHILD_HEALTH_INSURANCE_CARD.to_owned(),
        national_code: None,
        name: Text::new(
            "Cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
            "Health-insurance card for a child under 6",
        ),
        sector: Sector::SocialInsurance,
        agency: Agency::SocialInsurance,
        handling_role: Role::Labour,
        legal_basis: vec![
            law(
                "Luật Bảo hiểm y tế ngày 14/11/2008, sửa đổi, bổ sung ngày 13/6/2014",
                None,
                Sourcing::sourced("căn cứ ban hành của Nghị định 63/2024/NĐ-CP (luatvietnam.vn)"),
            ),
            decree_63(),
        ],
        deadline: Deadline::WorkingDays(5),
        deadline_sourcing: Sourcing::to_confirm(
            "05 ngày làm việc chưa đối chiếu với Luật Bảo hiểm y tế và Nghị định 63/2024/NĐ-CP",
        ),
        fee: Fee::Free,
        fee_sourcing: Sourcing::to_confirm(
            "trẻ em dưới 6 tuổi do ngân sách đóng; chưa đối chiếu văn bản",
        ),
        fee_note: None,
        documents: vec![
            submit(
                "Tờ khai đề nghị cấp thẻ — điền trên biểu mẫu điện tử",
                "Card request — filled in as this e-form",
            ),
            submit_held("Giấy khai sinh của trẻ", "The child's birth certificate"),
        ],
        online_level: OnlineLevel::Full,
        parties: vec![person(P::Applicant), person(P::Child), Party::HOUSEHOLD],
        form: FormSchema {
            fields: child_card_fields(),
        },
        steps: Vec::new(),
    };

    let marital = Procedure {
        code: codes::MARITAL_STATUS_CONFIRMATION.to_owned(),
        national_code: Some("1.004873".to_owned()),
        name: Text::new(
            "Cấp Giấy xác nhận tình trạng hôn nhân",
            "Marital-status confirmation",
        ),
        sector: Sector::CivilStatus,
        agency: Agency::CommuneCommittee,
        handling_role: Role::Justice,
        legal_basis: {
            let mut b = civil_status_basis("Điều 11", "1.004873");
            b.push(law(
                "Luật Hôn nhân và gia đình số 52/2014/QH13",
                None,
                dvc("1.004873"),
            ));
            b
        },
        deadline: Deadline::WorkingDays(3),
        deadline_sourcing: dvc("1.004873"),
        fee: province_fee(),
        fee_sourcing: Sourcing::sourced(
            "DVCQG 1.004873; Luật 60/2014/QH13 (pháp điển) Điều 11 khoản 1 điểm a",
        ),
        fee_note: None,
        documents: vec![
            submit(
                "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân — điền trên biểu mẫu điện tử",
                "Marital-status confirmation request — filled in as this e-form",
            ),
            submit(
                "Giấy xác nhận tình trạng hôn nhân đã cấp trước đây, khi đề nghị cấp lại",
                "The confirmation issued before, when asking for a new one",
            ),
            authorisation(),
            identity_papers(),
            residence_proof(),
        ],
        online_level: OnlineLevel::Full,
        parties: vec![person(P::Applicant), person(P::Spouse)],
        form: FormSchema {
            fields: marital_status_fields(),
        },
        steps: Vec::new(),
    };

    let correction = Procedure {
        code: codes::CIVIL_STATUS_CORRECTION.to_owned(),
        national_code: Some("1.004859".to_owned()),
        name: Text::new(
            "Thay đổi, cải chính, bổ sung thông tin hộ tịch",
            "Civil-status change, correction or supplement",
        ),
        sector: Sector::CivilStatus,
        agency: Agency::CommuneCommittee,
        handling_role: Role::Justice,
        legal_basis: {
            let mut b = civil_status_basis("Điều 7, 11, 26, 27, 28, 29", "1.004859");
            b.push(law("Bộ luật Dân sự số 91/2015/QH13", None, dvc("1.004859")));
            b
        },
        deadline: Deadline::WorkingDays(3),
        deadline_sourcing: Sourcing::sourced(
            "Luật 60/2014/QH13 (pháp điển) Điều 28 khoản 2 (03 ngày làm việc; cần xác minh thêm \
             không quá 03 ngày làm việc); bổ sung hộ tịch: ngay (Điều 29); DVCQG 1.004859",
        ),
        fee: province_fee(),
        fee_sourcing: Sourcing::sourced("DVCQG 1.004859; Luật 60/2014/QH13 (pháp điển) Điều 11"),
        fee_note: None,
        documents: vec![
            submit(
                "Tờ khai đăng ký thay đổi, cải chính, bổ sung hộ tịch — điền trên biểu mẫu điện tử",
                "Change, correction or supplement request — filled in as this e-form",
            ),
            submit(
                "Giấy tờ làm căn cứ thay đổi, cải chính, bổ sung",
                "Papers supporting the change, correction or supplement",
            ),
            identity_papers(),
            residence_proof(),
        ],
        online_level: OnlineLevel::Full,
        parties: vec![person(P::Applicant), person(P::Child)],
        form: FormSchema {
            fields: correction_fields(),
        },
        steps: Vec::new(),
    };

    let step =
        |procedure: &str, agency, role, deadline, sourcing: Sourcing, after: Option<&str>| {
            GroupStep {
                procedure_code: procedure.to_owned(),
                agency,
                handling_role: role,
                deadline,
                deadline_sourcing: sourcing,
                after: after.map(str::to_owned),
            }
        };

    let birth_group = Procedure {
        code: codes::BIRTH_GROUP.to_owned(),
        national_code: None,
        name: Text::new(
            "Liên thông: đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
            "Interlinked: birth registration, permanent residence registration, health-insurance card for a child under 6",
        ),
        sector: Sector::Interlinked,
        agency: Agency::Interlinked,
        handling_role: Role::Justice,
        legal_basis: vec![decree_63(), decision_296()],
        deadline: Deadline::WorkingDays(7),
        deadline_sourcing: Sourcing::to_confirm(
            "tổng của chuỗi bước dài nhất (khai sinh trong ngày + thường trú 7 ngày làm việc); \
             thời hạn từng bước theo Nghị định 63/2024/NĐ-CP cần đối chiếu",
        ),
        fee: Fee::OfSteps,
        fee_sourcing: Sourcing::sourced(&format!(
            "{NĐ63}: thực hiện liên thông không làm tăng chi phí của người dân"
        )),
        fee_note: None,
        documents: vec![
            submit(
                "Tờ khai liên thông — điền trên biểu mẫu điện tử",
                "Interlinked request — filled in as this e-form",
            ),
            submit_held(
                "Giấy chứng sinh (bản điện tử nếu đã có)",
                "Medical birth certificate (electronic when available)",
            ),
            identity_papers(),
        ],
        online_level: OnlineLevel::Full,
        parties: vec![
            person(P::Applicant),
            person(P::Mother),
            person(P::Father),
            person(P::HouseholdHead),
            Party::HOUSEHOLD,
        ],
        form: FormSchema {
            fields: birth_group_fields(),
        },
        steps: vec![
            step(
                codes::BIRTH_REGISTRATION,
                Agency::CommuneCommittee,
                Role::Justice,
                Deadline::WithinTheDay,
                Sourcing::sourced(&format!("{NĐ63}: Điều 8, trong ngày làm việc")),
                None,
            ),
            step(
                codes::PERMANENT_RESIDENCE_REGISTRATION,
                Agency::CommunePolice,
                Role::Police,
                Deadline::WorkingDays(7),
                Sourcing::to_confirm(
                    "thời hạn của thủ tục riêng lẻ (DVCQG 1.004222); thời hạn trong nhóm theo \
                     Nghị định 63/2024/NĐ-CP cần đối chiếu",
                ),
                Some(codes::BIRTH_REGISTRATION),
            ),
            step(
                codes::CHILD_HEALTH_INSURANCE_CARD,
                Agency::SocialInsurance,
                Role::Labour,
                Deadline::WorkingDays(5),
                Sourcing::to_confirm("thời hạn cấp thẻ trong nhóm cần đối chiếu"),
                Some(codes::BIRTH_REGISTRATION),
            ),
        ],
    };

    let death_group = Procedure {
        code: codes::DEATH_GROUP.to_owned(),
        national_code: None,
        name: Text::new(
            "Liên thông: đăng ký khai tử, xóa đăng ký thường trú, giải quyết mai táng phí",
            "Interlinked: death registration, deletion of permanent residence, funeral allowance",
        ),
        sector: Sector::Interlinked,
        agency: Agency::Interlinked,
        handling_role: Role::Justice,
        legal_basis: vec![decree_63(), decision_296()],
        deadline: Deadline::WorkingDays(3),
        deadline_sourcing: Sourcing::to_confirm(
            "tổng của chuỗi bước dài nhất (khai tử trong ngày + mai táng phí 3 ngày làm việc); \
             thời hạn từng bước theo Nghị định 63/2024/NĐ-CP cần đối chiếu",
        ),
        fee: Fee::OfSteps,
        fee_sourcing: Sourcing::sourced(&format!(
            "{NĐ63}: thực hiện liên thông không làm tăng chi phí của người dân"
        )),
        fee_note: None,
        documents: vec![
            submit(
                "Tờ khai liên thông — điền trên biểu mẫu điện tử",
                "Interlinked request — filled in as this e-form",
            ),
            submit_held(
                "Giấy báo tử hoặc giấy tờ thay Giấy báo tử (bản điện tử nếu đã có)",
                "Death notice or the paper replacing it (electronic when available)",
            ),
            identity_papers(),
        ],
        online_level: OnlineLevel::Full,
        parties: vec![person(P::Applicant), person(P::Deceased), Party::HOUSEHOLD],
        form: FormSchema {
            fields: death_group_fields(),
        },
        steps: vec![
            step(
                codes::DEATH_REGISTRATION,
                Agency::CommuneCommittee,
                Role::Justice,
                Deadline::WithinTheDay,
                Sourcing::to_confirm(
                    "trong ngày theo Luật Hộ tịch Điều 34; thời hạn trong nhóm theo Nghị định \
                     63/2024/NĐ-CP cần đối chiếu",
                ),
                None,
            ),
            step(
                codes::PERMANENT_RESIDENCE_DELETION,
                Agency::CommunePolice,
                Role::Police,
                Deadline::WorkingDays(1),
                Sourcing::to_confirm("thời hạn xóa đăng ký thường trú trong nhóm cần đối chiếu"),
                Some(codes::DEATH_REGISTRATION),
            ),
            step(
                codes::FUNERAL_ALLOWANCE,
                Agency::CommuneCommittee,
                Role::Labour,
                Deadline::WorkingDays(3),
                Sourcing::to_confirm("thời hạn giải quyết mai táng phí trong nhóm cần đối chiếu"),
                Some(codes::DEATH_REGISTRATION),
            ),
        ],
    };

    let procedures = vec![
        birth,
        death,
        marriage,
        permanent,
        deletion,
        temporary,
        absence,
        stay,
        birth_group,
        death_group,
        funeral,
        card,
        marital,
        correction,
    ];
    Catalogue { procedures }
}
