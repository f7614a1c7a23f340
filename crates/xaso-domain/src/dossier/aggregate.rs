//! The dossier aggregate: state, clock and history changed together.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::clock::{local_time, Clock, Timeliness};
use super::{
    blank, is_handling_role, transition, Action, ActionKind, Channel, DossierState, Refusal,
    TransitionError,
};
use crate::calendar::WorkingCalendar;
use crate::role::Role;

/// One accepted action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierEvent {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The officer who acted (as given, trimmed).
    pub actor: String,
    pub role: Role,
    pub action: Action,
    pub from: DossierState,
    pub to: DossierState,
}

/// What the desk records when it receives a dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDossier {
    pub receipt_number: String,
    pub channel: Channel,
    /// The procedure's code in the catalogue.
    pub procedure_code: String,
    /// The role the procedure names to handle it (justice, police, labour or land).
    pub handling_role: Role,
    /// The procedure's deadline in working days; 0 = within the day.
    pub working_days: u32,
    pub received_at: OffsetDateTime,
    pub received_by: String,
    pub receiver_role: Role,
}

/// Why a dossier cannot be received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiveError {
    /// Only the desk or an admin receives dossiers.
    NotDesk {
        role: Role,
    },
    ReceiptNumberRequired,
    ProcedureRequired,
    ReceiverRequired,
    /// The procedure names a role that does not handle dossiers.
    NotAHandlingRole {
        role: Role,
    },
}

impl fmt::Display for ReceiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiveError::NotDesk { role } => write!(
                f,
                "only the desk or an admin may receive a dossier (not the {role} role)"
            ),
            ReceiveError::ReceiptNumberRequired => {
                f.write_str("a receipt number is required to receive a dossier")
            }
            ReceiveError::ProcedureRequired => {
                f.write_str("a procedure is required to receive a dossier")
            }
            ReceiveError::ReceiverRequired => {
                f.write_str("the officer who receives the dossier must be named")
            }
            ReceiveError::NotAHandlingRole { role } => write!(
                f,
                "the {role} role does not handle dossiers (justice, police, labour or land does)"
            ),
        }
    }
}

impl std::error::Error for ReceiveError {}

/// A dossier: its identity, state, clock and history. Change it only with [`Dossier::apply`].
/// Serializable so that a store can keep it as it is (the clock is not recomputed on reading:
/// a later change of the calendar does not move a due date already given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dossier {
    receipt_number: String,
    channel: Channel,
    procedure_code: String,
    handling_role: Role,
    #[serde(with = "time::serde::rfc3339")]
    received_at: OffsetDateTime,
    received_by: String,
    state: DossierState,
    assigned_officer: Option<String>,
    clock: Clock,
    history: Vec<DossierEvent>,
}

impl Dossier {
    /// Receives a dossier: state [`DossierState::Received`], the clock started, an empty history.
    pub fn receive(new: NewDossier, calendar: &WorkingCalendar) -> Result<Dossier, ReceiveError> {
        if !matches!(new.receiver_role, Role::Desk | Role::Admin) {
            return Err(ReceiveError::NotDesk {
                role: new.receiver_role,
            });
        }
        if blank(&new.receipt_number) {
            return Err(ReceiveError::ReceiptNumberRequired);
        }
        if blank(&new.procedure_code) {
            return Err(ReceiveError::ProcedureRequired);
        }
        if blank(&new.received_by) {
            return Err(ReceiveError::ReceiverRequired);
        }
        if !is_handling_role(new.handling_role) {
            return Err(ReceiveError::NotAHandlingRole {
                role: new.handling_role,
            });
        }
        let clock = Clock::start(calendar, local_time(new.received_at), new.working_days);
        Ok(Dossier {
            receipt_number: new.receipt_number.trim().to_owned(),
            channel: new.channel,
            procedure_code: new.procedure_code.trim().to_owned(),
            handling_role: new.handling_role,
            received_at: new.received_at,
            received_by: new.received_by.trim().to_owned(),
            state: DossierState::Received,
            assigned_officer: None,
            clock,
            history: Vec::new(),
        })
    }

    pub fn receipt_number(&self) -> &str {
        &self.receipt_number
    }

    pub fn channel(&self) -> Channel {
        self.channel
    }

    pub fn procedure_code(&self) -> &str {
        &self.procedure_code
    }

    pub fn handling_role(&self) -> Role {
        self.handling_role
    }

    pub fn received_at(&self) -> OffsetDateTime {
        self.received_at
    }

    pub fn received_by(&self) -> &str {
        &self.received_by
    }

    pub fn state(&self) -> DossierState {
        self.state
    }

    pub fn assigned_officer(&self) -> Option<&str> {
        self.assigned_officer.as_deref()
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn history(&self) -> &[DossierEvent] {
        &self.history
    }

    /// The reason of the rejection, when rejected.
    pub fn rejection_reason(&self) -> Option<&str> {
        self.history.iter().rev().find_map(|e| match &e.action {
            Action::Reject { reason } => Some(reason.as_str()),
            _ => None,
        })
    }

    /// Timeliness at `now` (see [`Clock`]). Withdrawn dossiers get one too (judged on the day
    /// of withdrawal); indicators should leave them out.
    pub fn status(&self, now: OffsetDateTime) -> Timeliness {
        self.clock.status(now)
    }

    /// Whether `actor` with `role` is the officer this dossier is assigned to: the same officer
    /// and the role the procedure names.
    pub fn is_assigned_officer(&self, actor: &str, role: Role) -> bool {
        role == self.handling_role && self.assigned_officer.as_deref() == Some(actor.trim())
    }

    /// Applies `action` by `actor` (with `role`) at `now`: checks [`transition`], then that the
    /// actor is named and `now` is not before the last event (or the receipt); then updates the
    /// state, the clock (pause, resume, stop) and the assigned officer, and appends the event.
    /// On an error nothing changes.
    pub fn apply(
        &mut self,
        action: Action,
        actor: &str,
        role: Role,
        now: OffsetDateTime,
        calendar: &WorkingCalendar,
    ) -> Result<&DossierEvent, TransitionError> {
        let kind = action.kind();
        let from = self.state;
        let to = transition(from, &action, role, self.is_assigned_officer(actor, role))?;
        let refuse = |refusal| TransitionError {
            state: from,
            action: kind,
            refusal,
        };
        if blank(actor) {
            return Err(refuse(Refusal::ActorRequired));
        }
        let last = self.history.last().map_or(self.received_at, |e| e.at);
        if now < last {
            return Err(refuse(Refusal::BeforeLastEvent));
        }

        // Everything is computed before anything is changed.
        let today = local_time(now).date();
        let mut clock = self.clock.clone();
        match kind {
            ActionKind::RequestSupplement => clock.pause(today),
            ActionKind::SupplementReceived => clock.resume(today, calendar),
            ActionKind::Reject
            | ActionKind::MarkResultReady
            | ActionKind::ReturnResult
            | ActionKind::Withdraw => clock.stop(today),
            ActionKind::Assign | ActionKind::StartProcessing | ActionKind::Approve => {}
        }
        let assigned_officer = match &action {
            Action::Assign { officer } => Some(officer.trim().to_owned()),
            _ => self.assigned_officer.clone(),
        };
        let event = DossierEvent {
            at: now,
            actor: actor.trim().to_owned(),
            role,
            action,
            from,
            to,
        };

        self.state = to;
        self.clock = clock;
        self.assigned_officer = assigned_officer;
        let index = self.history.len();
        self.history.push(event);
        Ok(&self.history[index])
    }
}
