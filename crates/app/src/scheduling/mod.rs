//! The schedule: the practice's providers, operatories (chairs) and appointment types, and
//! appointments on them, without double-booking.
//!
//! The room's handle is [`Schedule`] (`app.schedule(&actor)`); each method authorizes its own
//! category × action: the resources are practice settings (read by anyone who may see the
//! schedule, not audited: they hold no PHI), appointments are the schedule category. A
//! booking's slots are taken in its own transaction, under the database's unique keys
//! (`enamel_store::SlotClaim`), so a clash is found by the database on any number of servers
//! and answered with what it clashed with ([`ScheduleConflict`]). `resources.rs` holds the
//! resources, `book.rs` the changes, `calendar.rs` the reads.

mod blocks;
mod book;
mod calendar;
mod checks;
mod resources;

use enamel_domain::scheduling::{
    AppointmentSource, AppointmentStatus, ConfirmationChannel, Pattern, Stamps,
};
use enamel_domain::{
    Action, AppointmentId, AppointmentTypeId, AuditAction, Category, Instant, OperatoryId, Outcome,
    PatientId, ProviderId,
};

use crate::access::Access;
use crate::clinical::ChartPatient;
use crate::kernel::Caller;
use crate::{Actor, App, AppError, AuditDraft};

pub use blocks::BlockView;
pub use book::AppointmentClaims;
pub use calendar::{DayFilter, DayView};
pub use resources::{AppointmentTypeView, OperatoryView, ProviderView};

/// The schedule room, for one caller. Obtained from [`App::schedule`] (a person) or
/// `app.system_bypassing_policy(…).schedule()` (the CLI and jobs).
#[derive(Debug, Clone)]
pub struct Schedule<'a> {
    app: &'a App,
    caller: Caller<'a>,
}

impl App {
    /// The schedule room for a verified person or integration.
    pub fn schedule<'a>(&'a self, actor: &'a Actor) -> Schedule<'a> {
        Schedule::new(self, Caller::Person(actor))
    }
}

/// Who changed a record and when, and its version (the `ETag`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordStamp {
    pub row_version: i64,
    pub created_ms: i64,
    pub created_by: String,
    pub updated_ms: i64,
    pub updated_by: String,
}

impl From<&enamel_store::Stamp> for RecordStamp {
    fn from(s: &enamel_store::Stamp) -> Self {
        RecordStamp {
            row_version: s.row_version,
            created_ms: s.created_ms,
            created_by: s.created_by.clone(),
            updated_ms: s.updated_ms,
            updated_by: s.updated_by.clone(),
        }
    }
}

/// The read-only members every schedule record answers (what a `GET` showed), sent back with
/// a replacement: each is compared with the record inside the change, ignored when equal and
/// refused by name when not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordClaims {
    pub row_version: Option<i64>,
    pub created_ms: Option<i64>,
    pub created_by: Option<String>,
    pub updated_ms: Option<i64>,
    pub updated_by: Option<String>,
}

impl RecordClaims {
    fn checks(&self, read: &RecordStamp) -> [(&'static str, bool); 5] {
        use crate::claims::differs;
        [
            ("row_version", differs(&self.row_version, &read.row_version)),
            ("created_at", differs(&self.created_ms, &read.created_ms)),
            ("created_by", differs(&self.created_by, &read.created_by)),
            ("updated_at", differs(&self.updated_ms, &read.updated_ms)),
            ("updated_by", differs(&self.updated_by, &read.updated_by)),
        ]
    }

    fn differences(&self, read: &RecordStamp) -> Vec<enamel_domain::FieldProblem> {
        crate::claims::refused(self.checks(read))
    }
}

/// One appointment as the caller may see it.
#[derive(Clone, PartialEq, Eq)]
pub struct AppointmentView {
    pub id: AppointmentId,
    pub patient_id: PatientId,
    /// The patient's name and date of birth, for a caller who may see demographics.
    pub patient: Option<ChartPatient>,
    pub operatory_id: OperatoryId,
    pub provider_id: ProviderId,
    pub hygienist_id: Option<ProviderId>,
    pub appointment_type_id: Option<AppointmentTypeId>,
    pub start: Instant,
    pub end: Instant,
    pub pattern: Pattern,
    pub status: AppointmentStatus,
    pub source: AppointmentSource,
    pub confirmed_via: Option<ConfirmationChannel>,
    /// Confirmed, arrived, seated and dismissed times.
    pub stamps: Stamps,
    pub note: Option<String>,
    pub stamp: RecordStamp,
}

impl std::fmt::Debug for AppointmentView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppointmentView")
            .field("id", &self.id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// A booking or move refused because the time is taken: what it collides with, in words a
/// receptionist understands and as ids for a program. The other appointment's patient is not
/// named (the caller may fetch it by id if they may see it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleConflict {
    /// The appointment holding the time; `None` if it let go of it again meanwhile.
    pub appointment_id: Option<AppointmentId>,
    /// `true`: the chair is taken; `false`: the provider is busy in another chair.
    pub chair: bool,
    /// RFC 3339 with the practice's offset.
    pub start: Option<String>,
    pub end: Option<String>,
    pub operatory_id: Option<OperatoryId>,
    /// The whole sentence: "Operatory 2 is already booked from 09:00 to 10:00 on 2027-03-09."
    pub message: String,
}

impl<'a> Schedule<'a> {
    pub(crate) fn new(app: &'a App, caller: Caller<'a>) -> Schedule<'a> {
        Schedule { app, caller }
    }

    fn actor(&self) -> &Actor {
        self.caller.actor()
    }

    fn practice(&self) -> String {
        self.caller.practice_id().to_string()
    }

    async fn access(
        &self,
        category: Category,
        action: Action,
        patient: Option<PatientId>,
    ) -> Result<Access, AppError> {
        self.caller
            .access(self.app, category, action, patient)
            .await
    }

    async fn may(
        &self,
        category: Category,
        action: Action,
        patient: Option<PatientId>,
    ) -> Result<bool, AppError> {
        self.caller.may(self.app, category, action, patient).await
    }

    fn now_ms(&self) -> i64 {
        self.app.clock().now_ms()
    }

    /// Where a booking by this caller comes from.
    fn source(&self) -> AppointmentSource {
        if self.actor().is_integration() {
            AppointmentSource::Api
        } else {
            AppointmentSource::Staff
        }
    }

    /// Records a change that was not made (`failed`, with why) and returns its error.
    async fn not_made<T>(&self, entry: AuditDraft, error: AppError) -> Result<T, AppError> {
        let why = match &error {
            AppError::NotFound => None,
            AppError::Conflict => Some("stale_version"),
            AppError::Refused(_) => Some("refused"),
            AppError::Invalid(_) => Some("invalid"),
            AppError::ScheduleConflict(_) => Some("schedule_conflict"),
            AppError::ScheduleWarning(_) => Some("schedule_warning"),
            _ => return Err(error),
        };
        let mut entry = AuditDraft {
            outcome: Outcome::Failed,
            ..entry
        };
        if let Some(why) = why {
            crate::clinical::add_reason(&mut entry, why);
        }
        self.app.audit().record(entry).await?;
        Err(error)
    }

    /// An entry about one appointment.
    fn entry(
        access: &Access,
        action: AuditAction,
        id: AppointmentId,
        patient: Option<PatientId>,
    ) -> AuditDraft {
        let entry = access
            .audit(action, Outcome::Allowed)
            .about(enamel_domain::RecordKind::Appointment, id);
        match patient {
            Some(p) => entry.patient(p),
            None => entry,
        }
    }
}

/// A problem with one member, as the room's refusal.
fn invalid(field: &'static str, problem: impl Into<String>) -> AppError {
    AppError::Invalid(vec![enamel_domain::FieldProblem::new(
        field,
        problem.into(),
    )])
}
