//! The clinical chart: the practice's procedure codes, and the procedures and conditions
//! charted on each patient, with their history and addenda.
//!
//! The room's handle is [`Chart`] (`app.chart(&actor)`); each method authorizes its own
//! category × action (charting, or billing for the completed work and fees that billing may
//! see). `codes.rs` holds the code list, `procedures.rs` the changes, `read.rs` the chart and
//! its history, `sealing.rs` the stored form.

mod codes;
mod note_records;
mod notes;
mod perio;
mod plan_reads;
mod plan_records;
mod plans;
mod procedures;
mod read;
mod sealing;
mod tooth_states;

use enamel_domain::clinical::{Numbering, Procedure, ProcedureStatus, is_locked};
use enamel_domain::{Action, Category, PatientId, ProcedureId};

use crate::access::Access;
use crate::kernel::Caller;
use crate::{Actor, App, AppError};

pub use codes::CodeImport;
pub use note_records::{NoteAddendumView, NoteClaims, NoteTemplateView, NoteView, SignatureCheck};
pub use perio::{PerioClaims, PerioComparison, PerioExamView};
pub use plan_records::PlanClaims;
pub use plans::{AcceptanceView, PlanView};
pub use tooth_states::ToothStateView;

/// Hours completed work stays correctable after completion, at most (30 days).
pub const MAX_CHART_LOCK_HOURS: i64 = 720;

/// The clinical chart room, for one caller. Obtained from [`App::chart`] (a person) or
/// `app.system_bypassing_policy(…).chart()` (the CLI and jobs).
#[derive(Debug, Clone)]
pub struct Chart<'a> {
    app: &'a App,
    caller: Caller<'a>,
    /// Set by [`Chart::within`]: records of any other patient are not found.
    scope: Option<PatientId>,
}

impl App {
    /// The clinical chart room for a verified person or integration.
    pub fn chart<'a>(&'a self, actor: &'a Actor) -> Chart<'a> {
        Chart::new(self, Caller::Person(actor))
    }
}

/// How a practice shows and guards its charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartSettings {
    pub numbering: Numbering,
    /// Completed work locks this many hours after completion (0: at once).
    pub lock_hours: i64,
}

impl Default for ChartSettings {
    fn default() -> Self {
        ChartSettings {
            numbering: Numbering::Universal,
            lock_hours: 24,
        }
    }
}

/// An addendum to a procedure, or the reason it was marked entered in error.
#[derive(Clone, PartialEq, Eq)]
pub struct AddendumView {
    pub id: String,
    /// `addendum` or `invalidation`.
    pub kind: String,
    pub body: String,
    pub created_ms: i64,
    pub created_by: String,
}

impl std::fmt::Debug for AddendumView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddendumView")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// One charted procedure or condition as the caller may see it. For a caller who sees it
/// through billing (completed work and fees), the note and addenda are withheld.
#[derive(Clone, PartialEq, Eq)]
pub struct ProcedureView {
    pub id: ProcedureId,
    pub patient_id: PatientId,
    pub procedure: Procedure,
    pub completed_ms: Option<i64>,
    pub locks_at_ms: Option<i64>,
    /// Locked at the time of reading: only addenda and invalidation remain.
    pub locked: bool,
    pub addenda: Vec<AddendumView>,
    /// Names of what this caller may not see (`note`, `addenda`).
    pub withheld: Vec<&'static str>,
    pub created_ms: i64,
    pub created_by: String,
    pub updated_ms: i64,
    pub updated_by: String,
    pub row_version: i64,
}

impl std::fmt::Debug for ProcedureView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcedureView")
            .field("id", &self.id)
            .field("status", &self.procedure.status)
            .finish_non_exhaustive()
    }
}

impl ProcedureView {
    pub fn status(&self) -> ProcedureStatus {
        self.procedure.status
    }
}

/// Read-only members a client sent back with a replacement (what a `GET` showed): each is
/// compared with the procedure as the caller reads it, ignored when equal and refused by name
/// when not. `None`: not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcedureClaims {
    pub patient_id: Option<String>,
    pub row_version: Option<i64>,
    pub description: Option<String>,
    pub area_type: Option<String>,
    pub site: Option<String>,
    pub locked: Option<bool>,
    /// `Some(None)`: sent as `null`.
    pub locks_at_ms: Option<Option<i64>>,
    pub completed_ms: Option<Option<i64>>,
    pub created_ms: Option<i64>,
    pub created_by: Option<String>,
    pub updated_ms: Option<i64>,
    pub updated_by: Option<String>,
}

impl ProcedureClaims {
    /// Each member whose claim differs from `read`.
    fn differences(&self, read: &ProcedureView) -> Vec<enamel_domain::FieldProblem> {
        use crate::claims::differs;
        let p = &read.procedure;
        let checks = [
            (
                "patient_id",
                differs(&self.patient_id, &read.patient_id.to_string()),
            ),
            ("row_version", differs(&self.row_version, &read.row_version)),
            ("description", differs(&self.description, &p.description)),
            (
                "area_type",
                differs(&self.area_type, &p.site.area_type().as_str().to_string()),
            ),
            ("site", differs(&self.site, &p.site.to_string())),
            ("locked", differs(&self.locked, &read.locked)),
            ("locks_at", differs(&self.locks_at_ms, &read.locks_at_ms)),
            (
                "completed_at",
                differs(&self.completed_ms, &read.completed_ms),
            ),
            ("created_at", differs(&self.created_ms, &read.created_ms)),
            ("created_by", differs(&self.created_by, &read.created_by)),
            ("updated_at", differs(&self.updated_ms, &read.updated_ms)),
            ("updated_by", differs(&self.updated_by, &read.updated_by)),
        ];
        crate::claims::refused(checks)
    }
}

/// Whose chart it is, as a heading says it: charting on the wrong patient is the mistake
/// this guards against, so the chart names its patient under the chart's own audit entry.
#[derive(Clone, PartialEq, Eq)]
pub struct ChartPatient {
    pub family_name: String,
    pub given_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
}

impl std::fmt::Debug for ChartPatient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChartPatient { .. }")
    }
}

/// A patient's records of one kind (perio exams, notes, plans) and whose they are, read under
/// one audit entry: a page names its patient, so that nobody records on the wrong one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientRecords<T> {
    /// The patient's name and date of birth, for a caller who may see demographics.
    pub patient: Option<ChartPatient>,
    pub records: Vec<T>,
}

/// Whose record it is, opened from the patient's row when `names` (the caller may see
/// demographics; asked of the matrix before the read, not audited on its own).
pub(crate) fn heading(
    keys: &enamel_crypto::PracticeKeys,
    row: &enamel_store::PatientRow,
    names: bool,
) -> Result<Option<ChartPatient>, enamel_crypto::CryptoError> {
    if !names {
        return Ok(None);
    }
    let record = crate::patients::open_record(keys, row, crate::patients::Reveal::NONE)?;
    Ok(Some(ChartPatient {
        family_name: record.family_name,
        given_name: record.given_name,
        birth_date: record.birth_date,
    }))
}

/// A patient's chart: every procedure and condition the caller may see, in the order they
/// were charted, and how the practice numbers teeth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartView {
    pub patient_id: PatientId,
    /// The patient's name and date of birth, for a caller who may see demographics.
    pub patient: Option<ChartPatient>,
    pub numbering: Numbering,
    /// The instant the chart shows (now, or the end of a chosen day).
    pub as_of_ms: i64,
    pub procedures: Vec<ProcedureView>,
    /// The teeth that are not simply present (missing, unerupted, impacted, implants), each
    /// with the change that made it so, in Universal order.
    pub teeth: Vec<ToothStateView>,
    /// Every change of a tooth's state recorded by then, in the order recorded.
    pub tooth_state_changes: Vec<ToothStateView>,
    /// Set when the caller sees only completed work and fees (billing).
    pub billing_view: bool,
}

/// Adds why a change was made to its entry, after the system's reason when there is one (a
/// CLI import's entries keep saying they were the system's).
pub(crate) fn add_reason(entry: &mut crate::AuditDraft, why: &str) {
    entry.reason = Some(match entry.reason.take() {
        Some(reason) => format!("{reason}; {why}"),
        None => why.to_string(),
    });
}

/// How much of the chart a caller sees: all of it (charting), or completed work and fees
/// only (billing, for statements and claims), or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sight {
    Clinical,
    Billing,
}

impl<'a> Chart<'a> {
    pub(crate) fn new(app: &'a App, caller: Caller<'a>) -> Chart<'a> {
        Chart {
            app,
            caller,
            scope: None,
        }
    }

    /// The same room, for the records of one patient only: a change addressed to a record of
    /// another patient is not found (and audited as a miss). A page's form names its patient
    /// in its address; this keeps a form posted with one patient's address and another
    /// patient's record id from changing a record the page did not show.
    pub fn within(mut self, patient: PatientId) -> Self {
        self.scope = Some(patient);
        self
    }

    /// A stored record as this room sees it: one of another patient than its scope is not
    /// found.
    fn scoped<R>(
        &self,
        found: Result<R, enamel_store::StoreError>,
        patient_of: impl Fn(&R) -> &str,
    ) -> Result<R, enamel_store::StoreError> {
        match (found, self.scope) {
            (Ok(row), Some(p)) if patient_of(&row) != p.to_string() => {
                Err(enamel_store::StoreError::NotFound)
            }
            (found, _) => found,
        }
    }

    fn actor(&self) -> &Actor {
        self.caller.actor()
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

    /// Whether headings may name `patient` (demographics × view; asking is not audited).
    async fn may_name(&self, patient: PatientId) -> Result<bool, AppError> {
        self.may(Category::Demographics, Action::View, Some(patient))
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

    /// The access for reading a patient's chart, and how much of it: charting × view, or
    /// else billing × view (completed work and fees). Refused as charting × view.
    async fn sight(&self, patient: PatientId) -> Result<(Access, Sight), AppError> {
        if !self
            .may(Category::Charting, Action::View, Some(patient))
            .await?
            && self
                .may(Category::Billing, Action::View, Some(patient))
                .await?
        {
            let access = self
                .access(Category::Billing, Action::View, Some(patient))
                .await?;
            return Ok((access, Sight::Billing));
        }
        let access = self
            .access(Category::Charting, Action::View, Some(patient))
            .await?;
        Ok((access, Sight::Clinical))
    }

    /// The practice's chart settings, for anyone who may see charts or the practice's
    /// settings (they hold no PHI, so reading them is not audited).
    pub async fn read_settings(&self) -> Result<ChartSettings, AppError> {
        if !self.may(Category::Charting, Action::View, None).await?
            && !self
                .may(Category::TreatmentPlans, Action::View, None)
                .await?
        {
            self.access(Category::PracticeSettings, Action::View, None)
                .await?;
        }
        self.settings().await
    }

    /// How the practice numbers teeth: a display preference, not PHI, for any signed-in
    /// member of the practice (a break-glass reader's answers are shown in it too).
    pub async fn numbering(&self) -> Result<Numbering, AppError> {
        Ok(self.settings().await?.numbering)
    }

    /// The practice's chart settings, for the room's own use.
    pub(crate) async fn settings(&self) -> Result<ChartSettings, AppError> {
        let row = self
            .app
            .db()
            .chart_settings(&self.caller.practice_id().to_string())
            .await?;
        Ok(ChartSettings {
            numbering: Numbering::parse(&row.tooth_numbering).unwrap_or_default(),
            lock_hours: row.chart_lock_hours,
        })
    }

    /// "Today" in the practice's time zone.
    async fn today(&self) -> Result<time::Date, AppError> {
        Ok(self
            .app
            .practice_today(self.caller.practice_id())
            .await?
            .date())
    }

    fn now_ms(&self) -> i64 {
        self.app.clock().now_ms()
    }

    fn is_locked(&self, locks_at_ms: Option<i64>) -> bool {
        is_locked(locks_at_ms, self.now_ms())
    }
}
