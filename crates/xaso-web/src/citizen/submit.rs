//! Dossiers submitted online from the portal, with the e-form prefilled from the register.
//!
//! - `GET /cong-dan/nop-ho-so`: the procedures a citizen can ask for themselves; for those that
//!   concern another person (the deceased of a death registration, a spouse, a child), a box
//!   for that person's personal ID.
//! - `POST /cong-dan/nop-ho-so`: the e-form drafted from the register for the citizen (and the
//!   persons named), each prefilled field marked "from the register"; the citizen completes
//!   what only they can declare.
//! - `POST /cong-dan/nop-ho-so/gui`: checked and stored by the one-stop shop's own
//!   [`crate::shop::receive`] with the channel "online" (the portal is the receiver); the
//!   citizen lands back in the portal, where the dossier and its status link are listed.
//!
//! Rules: the applicant is always the signed-in citizen; another person may be named only when
//! the register relates them to the citizen (same household, spouse, parent or child), so the
//! portal never shows a stranger's data. Every prefill and submission is audited with the
//! citizen as the actor.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use time::OffsetDateTime;
use xaso_domain::dossier::Channel;
use xaso_domain::register::Person;
use xaso_domain::role::Role;
use xaso_domain::PersonalId;
use xaso_services::catalogue::{Party, PersonParty, Procedure};
use xaso_services::prefill;
use xaso_services::validate::FieldError;

use super::{audit, citizen_event, my_page, page, Fail, Me};
use crate::i18n::Lang;
use crate::pages::dossiers::{eform_fields, field, given_parties, party_label, tr, Fields};
use crate::shop::{self, ShopError, Submission};
use crate::AppState;

pub const PATH: &str = "/cong-dan/nop-ho-so";
pub const SEND_PATH: &str = "/cong-dan/nop-ho-so/gui";
/// Who received an online dossier (the dossier's `received_by`).
pub const RECEIVER: &str = "cong-dan";

fn text(lang: Lang, t: &xaso_services::Text) -> String {
    lang.pick(&t.en, &t.vi).to_owned()
}

/// The procedures a citizen asks for as the applicant.
fn for_citizens(procedure: &Procedure) -> bool {
    procedure
        .parties
        .contains(&Party::Person(PersonParty::Applicant))
}

/// The other persons the citizen names by ID (parents and household heads are found from the
/// applicant).
fn named_parties(procedure: &Procedure) -> Vec<PersonParty> {
    procedure
        .parties
        .iter()
        .filter_map(|p| match p {
            Party::Person(
                party @ (PersonParty::Deceased
                | PersonParty::Spouse
                | PersonParty::Child
                | PersonParty::Subject),
            ) => Some(*party),
            _ => None,
        })
        .collect()
}

/// True when the register relates `other` to `me`.
fn related(me: &Person, other: &Person) -> bool {
    let is = |r: &xaso_domain::register::PersonRef, p: &Person| {
        r.personal_id.as_ref() == Some(&p.personal_id)
    };
    (me.household_id.is_some() && me.household_id == other.household_id)
        || is(&me.spouse, other)
        || is(&other.spouse, me)
        || is(&me.father, other)
        || is(&me.mother, other)
        || is(&other.father, me)
        || is(&other.mother, me)
}

fn refused(lang: Lang, status: StatusCode, text: impl Into<String>) -> Fail {
    Fail::new(lang, status, text)
}

/// `GET /cong-dan/nop-ho-so`.
pub(crate) async fn procedures_page(
    State(state): State<AppState>,
    Me(me, _): Me,
) -> Result<Response, Fail> {
    let lang = me.lang;
    let shop = state.shop();
    let title = tr(lang, "Nộp hồ sơ trực tuyến", "Submit a dossier online");
    let body = html! {
        h1 { (title) }
        p { (tr(lang,
            "Chọn thủ tục. Thông tin đã có trong cơ sở dữ liệu dân cư được điền sẵn; bạn chỉ khai phần còn lại.",
            "Choose a procedure. What the population register holds is filled in; you declare only the rest.")) }
        @for p in shop.catalogue.procedures.iter().filter(|p| for_citizens(p)) {
            form.sheet.procedure method="post" action=(PATH) {
                (me.csrf_field(&state))
                input type="hidden" name="procedure" value=(p.code);
                h2 { (text(lang, &p.name)) }
                p.muted {
                    (tr(lang, "Thời hạn giải quyết", "Deadline")) ": " (text(lang, &p.deadline.label()))
                    @if p.is_group() { " · " em { (tr(lang, "liên thông", "interlinked")) } }
                }
                @for party in named_parties(p) {
                    @let key = format!("party_{}", party.as_str());
                    label for={ (p.code) "-" (key) } { (party_label(lang, party)) " — " (tr(lang, "số định danh", "personal ID")) }
                    input id={ (p.code) "-" (key) } name=(key) inputmode="numeric" autocomplete="off";
                }
                div.actions { button.primary type="submit" { (tr(lang, "Điền tờ khai", "Fill in the form")) } }
            }
        }
        p { a href="/cong-dan" { (tr(lang, "Về trang của tôi", "Back to my page")) } }
    };
    Ok(my_page(&state, &me, PATH, title, body))
}

/// The parties of the submission: the citizen as the applicant, and the persons named if the
/// register relates them to the citizen. `Err` is the message to show.
async fn parties(
    state: &AppState,
    lang: Lang,
    me: &super::Citizen,
    fields: &Fields,
) -> Result<BTreeMap<PersonParty, PersonalId>, Fail> {
    let mut given = given_parties(lang, fields)
        .map_err(|e| refused(lang, StatusCode::UNPROCESSABLE_ENTITY, e))?;
    let applicant = PersonalId::parse(&me.personal_id)
        .map_err(|e| refused(lang, StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    given.insert(PersonParty::Applicant, applicant.clone());
    let ids: Vec<(PersonParty, PersonalId)> = given
        .iter()
        .filter(|(p, _)| **p != PersonParty::Applicant)
        .map(|(p, id)| (*p, id.clone()))
        .collect();
    let people = crate::api::read(state, move |s| {
        let me = s.get_person(&applicant)?.map(|p| p.person);
        let mut others = Vec::new();
        for (party, id) in ids {
            others.push((party, id.clone(), s.get_person(&id)?.map(|p| p.person)));
        }
        Ok((me, others))
    })
    .await
    .map_err(|e| Fail::api(lang, e))?;
    let (Some(me_person), others) = people else {
        return Err(refused(
            lang,
            StatusCode::NOT_FOUND,
            tr(
                lang,
                "Không tìm thấy bạn trong cơ sở dữ liệu dân cư.",
                "You are not in the population register.",
            ),
        ));
    };
    for (party, id, person) in others {
        if !person.as_ref().is_some_and(|p| related(&me_person, p)) {
            return Err(refused(
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "{} — {}: {} {}",
                    party_label(lang, party),
                    tr(lang, "số định danh", "personal ID"),
                    id.as_str(),
                    tr(
                        lang,
                        "không phải người thân của bạn trong cơ sở dữ liệu dân cư (cùng hộ, vợ/chồng, cha/mẹ, con). Hãy nộp tại bộ phận một cửa.",
                        "is not related to you in the population register (household, spouse, parent, child). Please apply at the one-stop desk."
                    )
                ),
            ));
        }
    }
    Ok(given)
}

fn form_page(
    state: &AppState,
    me: &super::Citizen,
    procedure: &Procedure,
    given: &BTreeMap<PersonParty, PersonalId>,
    form: &prefill::FinalForm,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let lang = me.lang;
    let share = form.reuse_share();
    let body: Markup = html! {
        h1 { (text(lang, &procedure.name)) }
        p {
            (tr(lang, "Thời hạn giải quyết", "Deadline")) ": " (text(lang, &procedure.deadline.label()))
            " · " (tr(lang, "Trường lấy từ CSDL dân cư", "Fields from the population register")) ": "
            strong #reuse { (share.reused) "/" (share.total) }
        }
        @if !errors.is_empty() {
            p.notice.error role="alert" { (tr(lang, "Tờ khai còn lỗi, xem bên dưới. Chưa có gì được lưu.", "The form has errors, see below. Nothing was saved.")) }
        }
        form.sheet.eform method="post" action=(SEND_PATH) {
            (me.csrf_field(state))
            input type="hidden" name="procedure" value=(procedure.code);
            @for (party, id) in given.iter().filter(|(p, _)| **p != PersonParty::Applicant) {
                input type="hidden" name={ "party_" (party.as_str()) } value=(id.as_str());
            }
            (eform_fields(lang, procedure, form, errors))
            div.actions { button.primary type="submit" { (tr(lang, "Nộp hồ sơ", "Submit")) } }
        }
    };
    page(
        state,
        lang,
        Some(me),
        PATH,
        &text(lang, &procedure.name),
        body,
        status,
    )
}

fn procedure_of(state: &AppState, lang: Lang, fields: &Fields) -> Result<Procedure, Fail> {
    state
        .shop()
        .procedure(field(fields, "procedure"))
        .filter(|p| for_citizens(p))
        .cloned()
        .ok_or_else(|| {
            refused(
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                tr(
                    lang,
                    "Thủ tục: không có trong danh mục nộp trực tuyến.",
                    "Procedure: not among those submitted online.",
                ),
            )
        })
}

/// A posted step of the submission: its CSRF token, the procedure and the parties checked.
async fn checked(
    state: &AppState,
    me: &super::Citizen,
    fields: &Fields,
) -> Result<(Procedure, BTreeMap<PersonParty, PersonalId>), Fail> {
    if !me.check_csrf(state, field(fields, "csrf")) {
        return Err(Fail::csrf(me.lang));
    }
    let procedure = procedure_of(state, me.lang, fields)?;
    let given = parties(state, me.lang, me, fields).await?;
    Ok((procedure, given))
}

/// `POST /cong-dan/nop-ho-so`: the prefilled form.
pub(crate) async fn fill(
    State(state): State<AppState>,
    Me(me, _): Me,
    Form(fields): Form<Fields>,
) -> Result<Response, Fail> {
    let lang = me.lang;
    let (procedure, given) = checked(&state, &me, &fields).await?;
    let lookup = given.clone();
    let proc2 = procedure.clone();
    let found = crate::api::read(&state, move |s| shop::find_parties(s, &proc2, &lookup))
        .await
        .map_err(|e| Fail::api(lang, e))?;
    let ids: Vec<String> = found.ids.values().map(|i| i.as_str().to_owned()).collect();
    let mut record = citizen_event(
        &me.personal_id,
        "dossier.prefill",
        "POST /cong-dan/nop-ho-so",
    );
    record.reason = Some(format!("{} ({})", procedure.code, ids.join(", ")));
    audit(&state, lang, vec![record]).await?;
    let form = prefill::draft(&procedure, &found.parties).apply(&BTreeMap::new());
    Ok(form_page(
        &state,
        &me,
        &procedure,
        &given,
        &form,
        &[],
        StatusCode::OK,
    ))
}

/// `POST /cong-dan/nop-ho-so/gui`: checked, stored, back to the portal.
pub(crate) async fn send(
    State(state): State<AppState>,
    Me(me, _): Me,
    Form(fields): Form<Fields>,
) -> Result<Response, Fail> {
    let lang = me.lang;
    let (procedure, given) = checked(&state, &me, &fields).await?;
    let values = fields
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("f_").map(|k| (k.to_owned(), v.clone())))
        .collect();
    let submission = Submission {
        procedure_code: procedure.code.clone(),
        channel: Channel::Online,
        parties: given.clone(),
        values,
    };
    let shop_state = state.shop();
    let store = state.store.clone();
    let now = OffsetDateTime::now_utc();
    // The portal receives for the desk: the dossier enters the desk's queue like one handed in.
    let outcome = tokio::task::spawn_blocking(move || {
        shop::receive(
            store.as_ref(),
            &shop_state,
            RECEIVER,
            Role::Desk,
            now,
            &submission,
        )
    })
    .await
    .map_err(|e| Fail::api(lang, e.into()))?;
    match outcome {
        Ok(receipt) => {
            let mut record = citizen_event(
                &me.personal_id,
                "dossier.submit",
                "POST /cong-dan/nop-ho-so/gui",
            );
            record.reason = Some(format!("{receipt} {}", procedure.code));
            audit(&state, lang, vec![record]).await?;
            Ok(Redirect::to("/cong-dan?m=submitted").into_response())
        }
        Err(ShopError::Form { form, errors }) => Ok(form_page(
            &state,
            &me,
            &procedure,
            &given,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(ShopError::Refused { en, vi }) => Err(refused(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.pick(&en, &vi),
        )),
        Err(other) => Err(refused(
            lang,
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{other:?}"),
        )),
    }
}
