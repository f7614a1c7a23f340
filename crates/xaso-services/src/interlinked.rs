//! Interlinked procedure groups (C6, Decree 63/2024/NĐ-CP): one submission, several agencies.
//!
//! [`spawn`] turns a group submission into the sub-dossiers of its steps — birth registration
//! (justice), permanent residence registration (police), health-insurance card (social
//! insurance, followed by the labour officer); or death registration, deletion of permanent
//! residence, funeral allowance — each with its agency, handling role, procedure code, own
//! deadline and a [`NewDossier`] for [`xaso_domain::dossier::Dossier::receive`]. Receipt numbers
//! are the group's with `-1`, `-2`… in step order.
//!
//! A step that waits for another's result (permanent residence after the birth certificate)
//! is received with the group, but its own deadline counts from the predecessor's due date:
//! [`plan_due_dates`] gives the dates to print on the receipt.
//!
//! [`combined_status`] is what the applicant sees: one status for the group from the states of
//! its sub-dossiers.

use std::fmt;

use serde::Serialize;
use time::{Date, OffsetDateTime};
use xaso_domain::calendar::WorkingCalendar;
use xaso_domain::dossier::{local_time, Channel, DossierState, NewDossier};
use xaso_domain::role::Role;

use crate::catalogue::{Agency, Catalogue, Deadline};
use crate::Text;

/// What the desk records when it receives a group submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSubmission {
    pub group_code: String,
    pub receipt_number: String,
    pub channel: Channel,
    pub received_at: OffsetDateTime,
    pub received_by: String,
    pub receiver_role: Role,
}

/// One dossier a group submission spawns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubDossier {
    /// 1-based, in the group's order.
    pub step: usize,
    pub procedure_code: String,
    pub agency: Agency,
    pub handling_role: Role,
    pub deadline: Deadline,
    /// The procedure whose result this step waits for.
    pub after: Option<String>,
    /// Ready for `Dossier::receive`.
    pub new_dossier: NewDossier,
}

/// Why a submission spawns nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpawnError {
    UnknownProcedure {
        code: String,
    },
    /// The procedure is not an interlinked group.
    NotAGroup {
        code: String,
    },
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::UnknownProcedure { code } => {
                write!(f, "{code:?} is not a procedure of the catalogue")
            }
            SpawnError::NotAGroup { code } => {
                write!(f, "{code:?} is not an interlinked group of procedures")
            }
        }
    }
}

impl std::error::Error for SpawnError {}

impl SpawnError {
    pub fn vi(&self) -> String {
        match self {
            SpawnError::UnknownProcedure { code } => {
                format!("Không có thủ tục {code:?} trong danh mục")
            }
            SpawnError::NotAGroup { code } => {
                format!("Thủ tục {code:?} không phải là nhóm thủ tục liên thông")
            }
        }
    }
}

/// The sub-dossiers of a group submission, in step order.
pub fn spawn(
    catalogue: &Catalogue,
    submission: &GroupSubmission,
) -> Result<Vec<SubDossier>, SpawnError> {
    let code = submission.group_code.trim();
    let group = catalogue
        .get(code)
        .ok_or_else(|| SpawnError::UnknownProcedure {
            code: code.to_owned(),
        })?;
    if !group.is_group() {
        return Err(SpawnError::NotAGroup {
            code: code.to_owned(),
        });
    }
    Ok(group
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| SubDossier {
            step: i + 1,
            procedure_code: s.procedure_code.clone(),
            agency: s.agency,
            handling_role: s.handling_role,
            deadline: s.deadline,
            after: s.after.clone(),
            new_dossier: NewDossier {
                receipt_number: format!("{}-{}", submission.receipt_number.trim(), i + 1),
                channel: submission.channel,
                procedure_code: s.procedure_code.clone(),
                handling_role: s.handling_role,
                working_days: s.deadline.working_days(),
                received_at: submission.received_at,
                received_by: submission.received_by.clone(),
                receiver_role: submission.receiver_role,
            },
        })
        .collect())
}

/// The due date of each sub-dossier: a step without predecessor counts from the receipt (the
/// 15:00 rule included); a step that waits for another counts its working days from the
/// predecessor's due date.
pub fn plan_due_dates(calendar: &WorkingCalendar, subs: &[SubDossier]) -> Vec<(String, Date)> {
    let mut out: Vec<(String, Date)> = Vec::with_capacity(subs.len());
    for s in subs {
        let predecessor = s
            .after
            .as_deref()
            .and_then(|after| out.iter().find(|(code, _)| code == after).map(|&(_, d)| d));
        let due = match predecessor {
            Some(start) => calendar.add_working_days(start, s.deadline.working_days()),
            None => calendar.due_date(
                local_time(s.new_dossier.received_at),
                s.deadline.working_days(),
            ),
        };
        out.push((s.procedure_code.clone(), due));
    }
    out
}

/// What the group needs to know of one sub-dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubDossierStatus {
    pub procedure_code: String,
    pub state: DossierState,
    /// The dossier was rejected (it stays so once the rejection letter is returned).
    pub rejected: bool,
    pub due: Date,
}

/// The group's state as the applicant sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupState {
    /// Every result returned.
    Done,
    /// Every result ready or returned, some still to collect.
    ResultsReady,
    /// Some step asks the applicant for papers.
    AwaitingSupplement,
    InProgress,
    /// A step was rejected, or withdrawn while others go on: an officer must look.
    NeedsAttention,
    /// Every step withdrawn.
    Withdrawn,
}

impl GroupState {
    pub fn label(self) -> Text {
        match self {
            GroupState::Done => Text::new("Đã trả đủ kết quả", "All results returned"),
            GroupState::ResultsReady => Text::new("Đã có kết quả", "Results ready"),
            GroupState::AwaitingSupplement => {
                Text::new("Chờ bổ sung hồ sơ", "Waiting for further papers")
            }
            GroupState::InProgress => Text::new("Đang giải quyết", "In progress"),
            GroupState::NeedsAttention => Text::new("Cần xử lý", "Needs attention"),
            GroupState::Withdrawn => Text::new("Đã rút hồ sơ", "Withdrawn"),
        }
    }
}

/// One status for a group, with the dates that matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupStatus {
    pub state: GroupState,
    pub steps: usize,
    /// Steps whose result is returned (rejections included).
    pub returned: usize,
    /// The procedures that were rejected.
    pub rejected: Vec<String>,
    /// The earliest and latest due dates of the steps.
    #[serde(serialize_with = "crate::iso::date")]
    pub earliest_due: Date,
    #[serde(serialize_with = "crate::iso::date")]
    pub latest_due: Date,
    /// The steps still open after their due date, given `today`.
    pub overdue: Vec<String>,
}

/// The combined status of a group's sub-dossiers; `None` for no sub-dossier.
///
/// Precedence: every step withdrawn → [`GroupState::Withdrawn`]; any rejected, or some
/// withdrawn → [`GroupState::NeedsAttention`]; all returned → [`GroupState::Done`]; all ready
/// or returned → [`GroupState::ResultsReady`]; any awaiting a supplement →
/// [`GroupState::AwaitingSupplement`]; otherwise [`GroupState::InProgress`].
pub fn combined_status(parts: &[SubDossierStatus], today: Date) -> Option<GroupStatus> {
    let earliest_due = parts.iter().map(|p| p.due).min()?;
    let latest_due = parts.iter().map(|p| p.due).max()?;
    let all = |f: fn(&SubDossierStatus) -> bool| parts.iter().all(f);
    let any = |f: fn(&SubDossierStatus) -> bool| parts.iter().any(f);
    let rejected: Vec<String> = parts
        .iter()
        .filter(|p| p.rejected || p.state == DossierState::Rejected)
        .map(|p| p.procedure_code.clone())
        .collect();
    let state = if all(|p| p.state == DossierState::Withdrawn) {
        GroupState::Withdrawn
    } else if !rejected.is_empty() || any(|p| p.state == DossierState::Withdrawn) {
        GroupState::NeedsAttention
    } else if all(|p| p.state == DossierState::Returned) {
        GroupState::Done
    } else if all(|p| matches!(p.state, DossierState::ResultReady | DossierState::Returned)) {
        GroupState::ResultsReady
    } else if any(|p| p.state == DossierState::SupplementRequested) {
        GroupState::AwaitingSupplement
    } else {
        GroupState::InProgress
    };
    let open = |p: &&SubDossierStatus| {
        !matches!(
            p.state,
            DossierState::Approved
                | DossierState::Rejected
                | DossierState::ResultReady
                | DossierState::Returned
                | DossierState::Withdrawn
        )
    };
    Some(GroupStatus {
        state,
        steps: parts.len(),
        returned: parts
            .iter()
            .filter(|p| p.state == DossierState::Returned)
            .count(),
        rejected,
        earliest_due,
        latest_due,
        overdue: parts
            .iter()
            .filter(open)
            .filter(|p| p.due < today)
            .map(|p| p.procedure_code.clone())
            .collect(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::catalogue::codes;
    use time::macros::{date, datetime};
    use xaso_domain::dossier::Dossier;

    /// Step, procedure, agency, role, deadline, predecessor, receipt number.
    type Row<'a> = (
        usize,
        &'a str,
        Agency,
        Role,
        Deadline,
        Option<&'a str>,
        &'a str,
    );

    fn submission(code: &str, at: OffsetDateTime) -> GroupSubmission {
        GroupSubmission {
            group_code: code.to_owned(),
            receipt_number: "000.00.38.H56-260105-0001".to_owned(),
            channel: Channel::Online,
            received_at: at,
            received_by: "desk.lan".to_owned(),
            receiver_role: Role::Desk,
        }
    }

    #[test]
    fn the_birth_group_spawns_justice_police_and_social_insurance_dossiers() {
        let cat = Catalogue::builtin();
        let subs = spawn(
            &cat,
            &submission(codes::BIRTH_GROUP, datetime!(2026-01-05 09:30 +7)),
        )
        .unwrap();
        let summary: Vec<Row> = subs
            .iter()
            .map(|s| {
                (
                    s.step,
                    s.procedure_code.as_str(),
                    s.agency,
                    s.handling_role,
                    s.deadline,
                    s.after.as_deref(),
                    s.new_dossier.receipt_number.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    1,
                    codes::BIRTH_REGISTRATION,
                    Agency::CommuneCommittee,
                    Role::Justice,
                    Deadline::WithinTheDay,
                    None,
                    "000.00.38.H56-260105-0001-1"
                ),
                (
                    2,
                    codes::PERMANENT_RESIDENCE_REGISTRATION,
                    Agency::CommunePolice,
                    Role::Police,
                    Deadline::WorkingDays(7),
                    Some(codes::BIRTH_REGISTRATION),
                    "000.00.38.H56-260105-0001-2"
                ),
                (
                    3,
                    codes::CHILD_HEALTH_INSURANCE_CARD,
                    Agency::SocialInsurance,
                    Role::Labour,
                    Deadline::WorkingDays(5),
                    Some(codes::BIRTH_REGISTRATION),
                    "000.00.38.H56-260105-0001-3"
                ),
            ]
        );
        // Every sub-dossier is receivable as it is.
        let calendar = WorkingCalendar::default();
        for s in &subs {
            let d = Dossier::receive(s.new_dossier.clone(), &calendar).unwrap();
            assert_eq!(d.handling_role(), s.handling_role);
            assert_eq!(d.state(), DossierState::Received);
        }
    }

    #[test]
    fn due_dates_chain_after_the_predecessor() {
        let cat = Catalogue::builtin();
        let calendar = WorkingCalendar::default();
        // Monday 5 January 2026, 09:30: birth due the same day; residence 7 working days
        // after it (Wednesday 14); card 5 (Monday 12).
        let subs = spawn(
            &cat,
            &submission(codes::BIRTH_GROUP, datetime!(2026-01-05 09:30 +7)),
        )
        .unwrap();
        assert_eq!(
            plan_due_dates(&calendar, &subs),
            [
                (codes::BIRTH_REGISTRATION.to_owned(), date!(2026 - 01 - 05)),
                (
                    codes::PERMANENT_RESIDENCE_REGISTRATION.to_owned(),
                    date!(2026 - 01 - 14)
                ),
                (
                    codes::CHILD_HEALTH_INSURANCE_CARD.to_owned(),
                    date!(2026 - 01 - 12)
                ),
            ]
        );
        // Received Friday 16:00 (UTC 09:00): the death registration is due Monday, deletion
        // Tuesday, the allowance Thursday.
        let subs = spawn(
            &cat,
            &submission(codes::DEATH_GROUP, datetime!(2026-01-09 09:00 UTC)),
        )
        .unwrap();
        let codes_of: Vec<&str> = subs.iter().map(|s| s.procedure_code.as_str()).collect();
        assert_eq!(
            codes_of,
            [
                codes::DEATH_REGISTRATION,
                codes::PERMANENT_RESIDENCE_DELETION,
                codes::FUNERAL_ALLOWANCE
            ]
        );
        let due: Vec<Date> = plan_due_dates(&calendar, &subs)
            .into_iter()
            .map(|(_, d)| d)
            .collect();
        assert_eq!(
            due,
            [
                date!(2026 - 01 - 12),
                date!(2026 - 01 - 13),
                date!(2026 - 01 - 15)
            ]
        );
    }

    /// The planned due dates of a group received at `at`.
    fn planned(code: &str, at: OffsetDateTime) -> Vec<Date> {
        let subs = spawn(&Catalogue::builtin(), &submission(code, at)).unwrap();
        plan_due_dates(&WorkingCalendar::default(), &subs)
            .into_iter()
            .map(|(_, d)| d)
            .collect()
    }

    #[test]
    fn due_dates_across_tet_2026() {
        // Tết Bính Ngọ: Monday 16 to Friday 20 February 2026 are days off, with the weekends
        // either side. A birth group received Friday 13 at 16:00 (after 15:00) is due the
        // first working day after Tết, Monday 23; the residence 7 working days later
        // (Wednesday 4 March), the card 5 (Monday 2 March).
        assert_eq!(
            planned(codes::BIRTH_GROUP, datetime!(2026-02-13 16:00 +7)),
            [
                date!(2026 - 02 - 23),
                date!(2026 - 03 - 04),
                date!(2026 - 03 - 02)
            ]
        );
        // Received at 14:59 the same Friday: the birth is due that day, and the residence
        // counts across Tết: Mon 23 … Fri 27 (5), Mon 2, Tue 3 (7).
        assert_eq!(
            planned(codes::BIRTH_GROUP, datetime!(2026-02-13 14:59 +7)),
            [
                date!(2026 - 02 - 13),
                date!(2026 - 03 - 03),
                date!(2026 - 02 - 27)
            ]
        );
    }

    #[test]
    fn due_dates_across_national_day_2026() {
        let days_off = WorkingCalendar::default().days_off(2026);
        let off: Vec<Date> = days_off.iter().map(|(d, _)| *d).collect();
        // 2 September 2026 is a Wednesday; the adjacent day off is the 1st or the 3rd.
        assert!(off.contains(&date!(2026 - 09 - 02)), "{off:?}");
        let adjacent = xaso_domain::calendar::national_day_adjacent(2026);
        assert!(off.contains(&adjacent));
        assert!([date!(2026 - 09 - 01), date!(2026 - 09 - 03)].contains(&adjacent));
        // A death group received Monday 31 August at 10:00: the death registration is due
        // that day; the deletion 1 working day later and the allowance 3, skipping 1–3 Sep
        // whichever of them are off.
        let due = planned(codes::DEATH_GROUP, datetime!(2026-08-31 10:00 +7));
        assert_eq!(due[0], date!(2026 - 08 - 31));
        let calendar = WorkingCalendar::default();
        let working_after = |from: Date, n: usize| {
            let mut d = from;
            let mut left = n;
            while left > 0 {
                d = d.next_day().unwrap();
                if calendar.is_working_day(d) {
                    left -= 1;
                }
            }
            d
        };
        assert_eq!(due[1], working_after(date!(2026 - 08 - 31), 1));
        assert_eq!(due[2], working_after(date!(2026 - 08 - 31), 3));
        // Two days of the week are off, so the allowance is due no earlier than Friday 4.
        assert!(due[2] >= date!(2026 - 09 - 04), "{due:?}");
        assert!(!off.contains(&due[1]) && !off.contains(&due[2]));
    }

    #[test]
    fn only_groups_spawn() {
        let cat = Catalogue::builtin();
        let at = datetime!(2026-01-05 09:30 +7);
        let err = spawn(&cat, &submission(codes::BIRTH_REGISTRATION, at)).unwrap_err();
        assert_eq!(
            err,
            SpawnError::NotAGroup {
                code: codes::BIRTH_REGISTRATION.to_owned()
            }
        );
        crate::vi_check::assert_vi(&err.to_string(), &err.vi());
        let err = spawn(&cat, &submission("no-such", at)).unwrap_err();
        crate::vi_check::assert_vi(&err.to_string(), &err.vi());
    }

    fn part(code: &str, state: DossierState, due: Date) -> SubDossierStatus {
        SubDossierStatus {
            procedure_code: code.to_owned(),
            state,
            rejected: false,
            due,
        }
    }

    #[test]
    fn the_combined_status_follows_its_precedence() {
        use DossierState as S;
        let d1 = date!(2026 - 01 - 05);
        let d2 = date!(2026 - 01 - 12);
        let d3 = date!(2026 - 01 - 14);
        let today = date!(2026 - 01 - 13);
        let status = |states: [S; 3]| {
            let parts = [
                part("a", states[0], d1),
                part("b", states[1], d3),
                part("c", states[2], d2),
            ];
            combined_status(&parts, today).unwrap()
        };
        let s = status([S::Returned, S::Returned, S::Returned]);
        assert_eq!(s.state, GroupState::Done);
        assert_eq!((s.returned, s.steps), (3, 3));
        assert_eq!((s.earliest_due, s.latest_due), (d1, d3));
        assert!(s.overdue.is_empty());
        assert_eq!(
            status([S::Returned, S::ResultReady, S::Returned]).state,
            GroupState::ResultsReady
        );
        let s = status([S::Returned, S::Processing, S::Rejected]);
        assert_eq!(s.state, GroupState::NeedsAttention);
        assert_eq!(s.rejected, ["c"]);
        assert_eq!(
            status([S::Returned, S::SupplementRequested, S::Assigned]).state,
            GroupState::AwaitingSupplement
        );
        // "c" was due on the 12th and is still being processed on the 13th.
        let s = status([S::Returned, S::Processing, S::Processing]);
        assert_eq!(s.state, GroupState::InProgress);
        assert_eq!(s.overdue, ["c"]);
        assert_eq!(
            status([S::Withdrawn, S::Withdrawn, S::Withdrawn]).state,
            GroupState::Withdrawn
        );
        assert_eq!(
            status([S::Withdrawn, S::Processing, S::Received]).state,
            GroupState::NeedsAttention
        );
        // A rejection stays visible after its letter is returned.
        let mut parts = vec![part("a", S::Returned, d1), part("b", S::Returned, d2)];
        parts[1].rejected = true;
        assert_eq!(
            combined_status(&parts, today).unwrap().state,
            GroupState::NeedsAttention
        );
        assert_eq!(combined_status(&[], today), None);
        for state in [
            GroupState::Done,
            GroupState::ResultsReady,
            GroupState::AwaitingSupplement,
            GroupState::InProgress,
            GroupState::NeedsAttention,
            GroupState::Withdrawn,
        ] {
            let label = state.label();
            crate::vi_check::assert_vi(&label.en, &label.vi);
        }
    }
}
