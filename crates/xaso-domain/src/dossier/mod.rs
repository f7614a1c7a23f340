//! Dossiers of the one-stop shop (bộ phận một cửa): the states a dossier goes through, who may
//! move it, its processing clock in working days, and its history.
//!
//! - [`transition`]: the state machine as one pure function of (state, action, role, whether the
//!   actor is the assigned officer). Every rule lives here, so the web layer and the CLI ask the
//!   same question.
//! - [`Clock`]: the due date counted with the [`WorkingCalendar`](crate::calendar::WorkingCalendar),
//!   paused while a supplement is awaited, and the [`Timeliness`] of a dossier.
//! - [`Dossier`]: the aggregate that applies an action to the state, the clock and the history
//!   together (on a refusal nothing changes).
//!
//! # The flow ([`next_state`])
//!
//! ```text
//! Received ─assign→ Assigned ─start processing→ Processing ─approve→ Approved
//!   ─mark result ready→ ResultReady ─return result→ Returned
//! Assigned ─assign→ Assigned                       (reassign before processing starts)
//! Assigned | Processing ─request supplement→ SupplementRequested   (clock paused)
//! SupplementRequested ─supplement received→ Processing              (clock restarts)
//! Processing | SupplementRequested ─reject→ Rejected ─return result→ Returned
//!                                            (the rejection letter is the result)
//! Received | Assigned | Processing | SupplementRequested ─withdraw→ Withdrawn
//! Returned, Withdrawn: closed.
//! ```
//!
//! Who acts:
//! - the desk (and an admin) receives, assigns, records withdrawals and returns results;
//! - the handling officer — the role the procedure names (justice, police, labour, land) and
//!   only the officer assigned to the dossier — starts processing, requests supplements, approves
//!   or rejects;
//! - a leader may approve or reject (signing);
//! - the arrival of a supplement and the readiness of the result may be recorded by the desk, an
//!   admin or the assigned officer (papers arrive at the desk or through the portal; the result
//!   is handed to the desk by the officer);
//! - the read-only role never changes a dossier.
//!
//! A desk does not receive an incomplete dossier at the counter (it gives the citizen a guidance
//! slip instead), so supplements after receipt are requested by the handling officer.

mod aggregate;
mod clock;

#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::role::Role;

pub use aggregate::{Dossier, DossierEvent, NewDossier, ReceiveError};
pub use clock::{
    local_time, supplement_request_deadline, working_days_between, Clock, Pause, Timeliness,
};

/// The state of a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DossierState {
    Received,
    Assigned,
    Processing,
    SupplementRequested,
    Approved,
    Rejected,
    ResultReady,
    Returned,
    Withdrawn,
}

impl DossierState {
    pub const ALL: [DossierState; 9] = [
        DossierState::Received,
        DossierState::Assigned,
        DossierState::Processing,
        DossierState::SupplementRequested,
        DossierState::Approved,
        DossierState::Rejected,
        DossierState::ResultReady,
        DossierState::Returned,
        DossierState::Withdrawn,
    ];

    /// The name used in messages (the variant's name).
    pub const fn name(self) -> &'static str {
        match self {
            DossierState::Received => "Received",
            DossierState::Assigned => "Assigned",
            DossierState::Processing => "Processing",
            DossierState::SupplementRequested => "SupplementRequested",
            DossierState::Approved => "Approved",
            DossierState::Rejected => "Rejected",
            DossierState::ResultReady => "ResultReady",
            DossierState::Returned => "Returned",
            DossierState::Withdrawn => "Withdrawn",
        }
    }

    /// The label shown to citizens and officers.
    pub const fn label_vi(self) -> &'static str {
        match self {
            DossierState::Received => "Đã tiếp nhận",
            DossierState::Assigned => "Đã chuyển xử lý",
            DossierState::Processing => "Đang xử lý",
            DossierState::SupplementRequested => "Chờ bổ sung hồ sơ",
            DossierState::Approved => "Đã phê duyệt",
            DossierState::Rejected => "Từ chối giải quyết",
            DossierState::ResultReady => "Đã có kết quả",
            DossierState::Returned => "Đã trả kết quả",
            DossierState::Withdrawn => "Đã rút hồ sơ",
        }
    }

    /// Returned and Withdrawn accept no action.
    pub const fn is_terminal(self) -> bool {
        matches!(self, DossierState::Returned | DossierState::Withdrawn)
    }
}

impl fmt::Display for DossierState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the dossier reached the commune.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    Desk,
    Online,
    Post,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Desk, Channel::Online, Channel::Post];

    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Desk => "desk",
            Channel::Online => "online",
            Channel::Post => "post",
        }
    }

    pub const fn label_vi(self) -> &'static str {
        match self {
            Channel::Desk => "Trực tiếp",
            Channel::Online => "Trực tuyến",
            Channel::Post => "Bưu chính",
        }
    }
}

/// What an officer does to a dossier.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// Pass the dossier to a handling officer (also to reassign it before processing starts).
    Assign {
        officer: String,
    },
    StartProcessing,
    /// Stop the clock and ask the applicant for papers.
    RequestSupplement {
        reason: String,
        missing_documents: Vec<String>,
    },
    /// The requested papers arrived: the clock restarts.
    SupplementReceived,
    Approve,
    Reject {
        reason: String,
    },
    MarkResultReady,
    ReturnResult,
    Withdraw {
        reason: String,
    },
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Assign { .. } => ActionKind::Assign,
            Action::StartProcessing => ActionKind::StartProcessing,
            Action::RequestSupplement { .. } => ActionKind::RequestSupplement,
            Action::SupplementReceived => ActionKind::SupplementReceived,
            Action::Approve => ActionKind::Approve,
            Action::Reject { .. } => ActionKind::Reject,
            Action::MarkResultReady => ActionKind::MarkResultReady,
            Action::ReturnResult => ActionKind::ReturnResult,
            Action::Withdraw { .. } => ActionKind::Withdraw,
        }
    }
}

/// An [`Action`] without its data, for messages and tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    Assign,
    StartProcessing,
    RequestSupplement,
    SupplementReceived,
    Approve,
    Reject,
    MarkResultReady,
    ReturnResult,
    Withdraw,
}

impl ActionKind {
    pub const ALL: [ActionKind; 9] = [
        ActionKind::Assign,
        ActionKind::StartProcessing,
        ActionKind::RequestSupplement,
        ActionKind::SupplementReceived,
        ActionKind::Approve,
        ActionKind::Reject,
        ActionKind::MarkResultReady,
        ActionKind::ReturnResult,
        ActionKind::Withdraw,
    ];

    /// The verb used in messages: "only the desk or an admin may {verb}".
    pub const fn verb(self) -> &'static str {
        match self {
            ActionKind::Assign => "assign",
            ActionKind::StartProcessing => "start processing",
            ActionKind::RequestSupplement => "request a supplement",
            ActionKind::SupplementReceived => "record a supplement",
            ActionKind::Approve => "approve",
            ActionKind::Reject => "reject",
            ActionKind::MarkResultReady => "mark the result ready",
            ActionKind::ReturnResult => "return the result",
            ActionKind::Withdraw => "withdraw",
        }
    }

    /// "a dossier that is Received cannot {this}".
    const fn cannot(self) -> &'static str {
        match self {
            ActionKind::Assign => "be assigned",
            ActionKind::StartProcessing => "start processing",
            ActionKind::RequestSupplement => "be sent back for a supplement",
            ActionKind::SupplementReceived => "receive a supplement",
            ActionKind::Approve => "be approved",
            ActionKind::Reject => "be rejected",
            ActionKind::MarkResultReady => "have its result marked ready",
            ActionKind::ReturnResult => "have its result returned",
            ActionKind::Withdraw => "be withdrawn",
        }
    }

    /// Who may perform this action (when the state allows it).
    pub const fn performers(self) -> Performers {
        match self {
            ActionKind::Assign | ActionKind::ReturnResult | ActionKind::Withdraw => {
                Performers::Desk
            }
            ActionKind::StartProcessing | ActionKind::RequestSupplement => {
                Performers::AssignedOfficer
            }
            ActionKind::Approve | ActionKind::Reject => Performers::AssignedOfficerOrLeader,
            ActionKind::SupplementReceived | ActionKind::MarkResultReady => {
                Performers::DeskOrAssignedOfficer
            }
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.verb())
    }
}

/// The groups of people allowed to perform an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Performers {
    /// [`Role::Desk`] or [`Role::Admin`].
    Desk,
    /// A handling role ([`is_handling_role`]) and the officer assigned to the dossier.
    AssignedOfficer,
    /// The assigned officer, or any [`Role::Leader`].
    AssignedOfficerOrLeader,
    /// The desk, an admin, or the assigned officer.
    DeskOrAssignedOfficer,
}

impl Performers {
    /// Whether `role` (with or without being the assigned officer) is in the group.
    pub const fn admits(self, role: Role, is_assigned_officer: bool) -> bool {
        let desk = matches!(role, Role::Desk | Role::Admin);
        let officer = is_handling_role(role) && is_assigned_officer;
        match self {
            Performers::Desk => desk,
            Performers::AssignedOfficer => officer,
            Performers::AssignedOfficerOrLeader => officer || matches!(role, Role::Leader),
            Performers::DeskOrAssignedOfficer => desk || officer,
        }
    }

    const fn who(self) -> &'static str {
        match self {
            Performers::Desk => "the desk or an admin",
            Performers::AssignedOfficer => "the assigned officer",
            Performers::AssignedOfficerOrLeader => "the assigned officer or a leader",
            Performers::DeskOrAssignedOfficer => "the desk, an admin or the assigned officer",
        }
    }
}

/// The roles that handle dossiers of a procedure: the catalogue names one of them for each
/// procedure (civil status → justice, residence → police, allowances → labour, land → land).
pub const fn is_handling_role(role: Role) -> bool {
    matches!(
        role,
        Role::Justice | Role::Police | Role::Labour | Role::Land
    )
}

/// The state an action leads to from `state`, if the flow has that step at all (whoever acts).
pub const fn next_state(state: DossierState, action: ActionKind) -> Option<DossierState> {
    use ActionKind as A;
    use DossierState as S;
    match (state, action) {
        (S::Received | S::Assigned, A::Assign) => Some(S::Assigned),
        (S::Assigned, A::StartProcessing) => Some(S::Processing),
        (S::Assigned | S::Processing, A::RequestSupplement) => Some(S::SupplementRequested),
        (S::SupplementRequested, A::SupplementReceived) => Some(S::Processing),
        (S::Processing, A::Approve) => Some(S::Approved),
        (S::Processing | S::SupplementRequested, A::Reject) => Some(S::Rejected),
        (S::Approved, A::MarkResultReady) => Some(S::ResultReady),
        (S::ResultReady | S::Rejected, A::ReturnResult) => Some(S::Returned),
        (S::Received | S::Assigned | S::Processing | S::SupplementRequested, A::Withdraw) => {
            Some(S::Withdrawn)
        }
        _ => None,
    }
}

/// The rule that refused an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The dossier is Returned or Withdrawn.
    Closed,
    /// The read-only role acts.
    ReadOnly,
    /// The flow has no such step from this state.
    NotFromState,
    /// The actor is not among [`ActionKind::performers`].
    NotAllowed(Performers),
    /// An empty (or blank) reason.
    ReasonRequired,
    /// A supplement request without a (non-blank) list of missing documents.
    DocumentsRequired,
    /// Assign without an officer.
    OfficerRequired,
    /// The actor is blank.
    ActorRequired,
    /// The time of the action is before the dossier's last event (or its receipt).
    BeforeLastEvent,
}

/// Why an action was refused: the state, the action and the rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransitionError {
    pub state: DossierState,
    pub action: ActionKind,
    pub refusal: Refusal,
}

impl TransitionError {
    /// The rule in words, e.g. "only the assigned officer may start processing".
    pub fn rule(&self) -> String {
        let verb = self.action.verb();
        match self.refusal {
            Refusal::Closed => format!("a dossier that is {} is closed", self.state),
            Refusal::ReadOnly => "the read-only role never changes a dossier".to_owned(),
            Refusal::NotFromState => format!(
                "a dossier that is {} cannot {}",
                self.state,
                self.action.cannot()
            ),
            Refusal::NotAllowed(who) => format!("only {} may {verb}", who.who()),
            Refusal::ReasonRequired => format!("a reason is required to {verb}"),
            Refusal::DocumentsRequired => {
                format!("the missing documents must be listed to {verb}")
            }
            Refusal::OfficerRequired => "an officer must be named to assign".to_owned(),
            Refusal::ActorRequired => format!("the officer who acts must be named to {verb}"),
            Refusal::BeforeLastEvent => {
                format!("cannot {verb} at a time before the dossier's last event")
            }
        }
    }
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} (dossier {}): {}",
            self.action.verb(),
            self.state,
            self.rule()
        )
    }
}

impl std::error::Error for TransitionError {}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// THE STATE MACHINE. The state `action` leads to when `actor_role` performs it on a dossier in
/// `state`; `is_assigned_officer` says whether the actor is the officer the dossier is assigned
/// to (and of the role the procedure names — the caller checks that).
///
/// Rules are checked in this order, and the first broken one is reported: a closed dossier
/// (Returned, Withdrawn) accepts nothing; the read-only role does nothing; the flow must have the
/// step from `state` ([`next_state`]); the actor must be among the action's
/// [`ActionKind::performers`]; the action's data must be complete (non-blank reasons, officer,
/// list of missing documents).
pub fn transition(
    state: DossierState,
    action: &Action,
    actor_role: Role,
    is_assigned_officer: bool,
) -> Result<DossierState, TransitionError> {
    let kind = action.kind();
    let refuse = |refusal| TransitionError {
        state,
        action: kind,
        refusal,
    };
    if state.is_terminal() {
        return Err(refuse(Refusal::Closed));
    }
    if actor_role == Role::ReadOnly {
        return Err(refuse(Refusal::ReadOnly));
    }
    let Some(to) = next_state(state, kind) else {
        return Err(refuse(Refusal::NotFromState));
    };
    let performers = kind.performers();
    if !performers.admits(actor_role, is_assigned_officer) {
        return Err(refuse(Refusal::NotAllowed(performers)));
    }
    match action {
        Action::Assign { officer } if blank(officer) => Err(refuse(Refusal::OfficerRequired)),
        Action::RequestSupplement { reason, .. }
        | Action::Reject { reason }
        | Action::Withdraw { reason }
            if blank(reason) =>
        {
            Err(refuse(Refusal::ReasonRequired))
        }
        Action::RequestSupplement {
            missing_documents, ..
        } if missing_documents.is_empty() || missing_documents.iter().any(|d| blank(d)) => {
            Err(refuse(Refusal::DocumentsRequired))
        }
        _ => Ok(to),
    }
}
