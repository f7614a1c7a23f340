//! The processing clock of a dossier: due date in working days, paused while a supplement is
//! awaited.
//!
//! # Conventions
//!
//! - **Start and due date.** As [`WorkingCalendar::due_date`]: the clock starts on
//!   [`WorkingCalendar::clock_start`] (the day of receipt if it is a working day and the dossier
//!   came by 15:00, otherwise the next working day); that day is day 0, and the dossier is due at
//!   the end of the `working_days`-th working day after it. Times are local (UTC+7).
//! - **Supplement request deadline** (Decree 63/2024: missing papers are requested within 1
//!   working day of receipt): the end of the first working day after the clock start, i.e.
//!   `calendar.due_date(received, 1)`. A request dated after that day is flagged as late
//!   ([`Pause::late`]); it is still accepted, since refusing it would only hurt the applicant.
//! - **Pause.** The day the supplement is requested still counts as a processing day (the
//!   officer worked on the dossier that day); the clock stops at its end. The day the supplement
//!   arrives is a new day 0 (whatever the hour, no 15:00 rule): the working days that were left
//!   restart from the next working day. Only days after the clock start count, so a request
//!   made before the clock started costs nothing. A request and an arrival on the same day
//!   leave the due date unchanged. A request on the due date itself (no day left) makes the
//!   dossier due on the arrival day (or the next working day); a request after the due date
//!   keeps the dossier exactly as late as it was (the due date moves by the working days of the
//!   pause). The due date never moves earlier. See [`Clock::resume`].
//! - **Stop.** The clock stops when the dossier is decided negatively (rejected), when its
//!   result is ready, or when it is withdrawn or returned without having stopped before. A dossier
//!   stopped while paused is judged at the day it was paused (the citizen's waiting time is not
//!   the office's delay).
//! - **Timeliness** compares one day, the *reading*, with the due date: the stop day for a
//!   stopped clock, the pause day for a paused one, otherwise today. Before the due date →
//!   [`Timeliness::Early`], on it → [`Timeliness::OnTime`], after it → [`Timeliness::Overdue`].

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use time::macros::offset;

use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

use crate::calendar::WorkingCalendar;

/// The local (UTC+7) wall-clock time of an instant, as the calendar counts it.
pub fn local_time(at: OffsetDateTime) -> PrimitiveDateTime {
    let local = at.checked_to_offset(offset!(+7)).unwrap_or(at);
    PrimitiveDateTime::new(local.date(), local.time())
}

/// The last day on which missing papers may be requested for a dossier received at local time
/// `received` (Decree 63/2024: within 1 working day of receipt).
pub fn supplement_request_deadline(
    calendar: &WorkingCalendar,
    received: PrimitiveDateTime,
) -> Date {
    calendar.due_date(received, 1)
}

/// The number of working days in (`after`, `until`]; 0 when `until <= after`.
pub fn working_days_between(calendar: &WorkingCalendar, after: Date, until: Date) -> u32 {
    let mut count = 0;
    let mut day = after;
    while day < until {
        let next = calendar.add_working_days(day, 1);
        if next == day || next > until {
            break;
        }
        count += 1;
        day = next;
    }
    count
}

/// Where a dossier stands against its due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Timeliness {
    /// Open and before the due date, or finished before it (trước hạn).
    Early,
    /// Open and due today, or finished on the due date (đúng hạn).
    OnTime,
    /// Past the due date (quá hạn).
    Overdue,
}

impl Timeliness {
    pub const fn label_vi(self) -> &'static str {
        match self {
            Timeliness::Early => "Trước hạn",
            Timeliness::OnTime => "Đúng hạn",
            Timeliness::Overdue => "Quá hạn",
        }
    }
}

/// One stop of the clock for a supplement.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pause {
    /// Local date the supplement was requested.
    pub requested_on: Date,
    /// Local date the supplement arrived; `None` while awaited.
    pub resumed_on: Option<Date>,
    /// Working days by which the due date moved when the supplement arrived (0 while awaited).
    pub paused_working_days: u32,
    /// Requested after [`Clock::supplement_request_deadline`].
    pub late: bool,
}

/// The processing clock of one dossier. See the module documentation for the conventions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Clock {
    received_at: PrimitiveDateTime,
    working_days: u32,
    start: Date,
    original_due: Date,
    due: Date,
    request_deadline: Date,
    pauses: Vec<Pause>,
    stopped_on: Option<Date>,
}

impl Clock {
    /// The clock of a dossier received at local time `received_at` for a procedure of
    /// `working_days` working days (0 = within the day).
    pub fn start(
        calendar: &WorkingCalendar,
        received_at: PrimitiveDateTime,
        working_days: u32,
    ) -> Clock {
        let start = calendar.clock_start(received_at);
        let due = calendar.add_working_days(start, working_days);
        Clock {
            received_at,
            working_days,
            start,
            original_due: due,
            due,
            request_deadline: supplement_request_deadline(calendar, received_at),
            pauses: Vec::new(),
            stopped_on: None,
        }
    }

    pub fn received_at(&self) -> PrimitiveDateTime {
        self.received_at
    }

    pub fn working_days(&self) -> u32 {
        self.working_days
    }

    /// Day 0 of the count.
    pub fn clock_start(&self) -> Date {
        self.start
    }

    /// The due date before any pause (the appointment printed on the receipt).
    pub fn original_due_date(&self) -> Date {
        self.original_due
    }

    /// The current due date, moved by the pauses that ended.
    pub fn due_date(&self) -> Date {
        self.due
    }

    /// The last day to request missing papers (Decree 63/2024).
    pub fn supplement_request_deadline(&self) -> Date {
        self.request_deadline
    }

    pub fn pauses(&self) -> &[Pause] {
        &self.pauses
    }

    /// Whether some supplement was requested after the 1-working-day deadline.
    pub fn late_supplement_request(&self) -> bool {
        self.pauses.iter().any(|p| p.late)
    }

    /// The pause in progress.
    pub fn current_pause(&self) -> Option<&Pause> {
        self.pauses.last().filter(|p| p.resumed_on.is_none())
    }

    pub fn is_paused(&self) -> bool {
        self.current_pause().is_some()
    }

    /// The day the clock was stopped for good (its reading for timeliness).
    pub fn stopped_on(&self) -> Option<Date> {
        self.stopped_on
    }

    /// Stops the clock for a supplement requested on local date `on`. Nothing happens when it is
    /// already paused or stopped.
    pub fn pause(&mut self, on: Date) {
        if self.is_paused() || self.stopped_on.is_some() {
            return;
        }
        self.pauses.push(Pause {
            requested_on: on,
            resumed_on: None,
            paused_working_days: 0,
            late: on > self.request_deadline,
        });
    }

    /// Restarts the clock when the supplement arrives on local date `on`. With `from` the later
    /// of the request day and the clock start:
    /// - requested before the due date: the working days left in (`from`, due] restart from the
    ///   next working day after the arrival day;
    /// - requested on the due date (no day left): due on the arrival day, or the next working
    ///   day if the office does not work that day;
    /// - requested after the due date (already overdue): the due date moves by the working days
    ///   in (`from`, arrival day], so the dossier stays as late as it was.
    ///
    /// Nothing happens when the clock is not paused or is stopped.
    pub fn resume(&mut self, on: Date, calendar: &WorkingCalendar) {
        if self.stopped_on.is_some() {
            return;
        }
        let start = self.start;
        let due = self.due;
        let Some(pause) = self.pauses.last_mut().filter(|p| p.resumed_on.is_none()) else {
            return;
        };
        let from = pause.requested_on.max(start);
        let new_due = match from.cmp(&due) {
            Ordering::Less => {
                let remaining = working_days_between(calendar, from, due);
                calendar.add_working_days(on.max(from), remaining)
            }
            Ordering::Equal => {
                calendar.clock_start(PrimitiveDateTime::new(on.max(from), Time::MIDNIGHT))
            }
            Ordering::Greater => {
                calendar.add_working_days(due, working_days_between(calendar, from, on))
            }
        }
        .max(due);
        pause.resumed_on = Some(on);
        pause.paused_working_days = working_days_between(calendar, due, new_due);
        self.due = new_due;
    }

    /// Stops the clock for good on local date `on` (decision, result ready, withdrawal). While
    /// paused, the reading is the pause day. Nothing happens when already stopped.
    pub fn stop(&mut self, on: Date) {
        if self.stopped_on.is_some() {
            return;
        }
        let reading = self.current_pause().map_or(on, |p| p.requested_on);
        self.stopped_on = Some(reading);
    }

    /// The day compared with the due date, given local date `today`.
    pub fn reading(&self, today: Date) -> Date {
        self.stopped_on
            .or_else(|| self.current_pause().map(|p| p.requested_on))
            .unwrap_or(today)
    }

    /// Timeliness on local date `today`.
    pub fn status_on(&self, today: Date) -> Timeliness {
        let reading = self.reading(today);
        match reading.cmp(&self.due) {
            Ordering::Less => Timeliness::Early,
            Ordering::Equal => Timeliness::OnTime,
            Ordering::Greater => Timeliness::Overdue,
        }
    }

    /// Timeliness at instant `now`.
    pub fn status(&self, now: OffsetDateTime) -> Timeliness {
        self.status_on(local_time(now).date())
    }

    /// Working days left on local date `today` (0 when due today or overdue). A paused clock
    /// counts from its pause day.
    pub fn remaining_working_days(&self, today: Date, calendar: &WorkingCalendar) -> u32 {
        working_days_between(calendar, self.reading(today).max(self.start), self.due)
    }
}
