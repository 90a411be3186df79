//! Changes to the chart: charting a procedure or condition, correcting it while it is open,
//! completing it, marking it entered in error, and adding addenda. Each change commits its
//! row, the replaced state (sealed, in the version history) and its audit entry in one
//! [`WriteTx`](crate::kernel::WriteTx); a change that is refused leaves a `failed` entry.

use enamel_crypto::PracticeKeys;
use enamel_domain::clinical::{
    MAX_NOTE_CHARS, MAX_REASON_CHARS, Procedure, ProcedureDraft, ProcedureStatus, canonical_code,
    completion_date, required_text,
};
use enamel_domain::{
    Action, AddendumId, AuditAction, Category, FieldProblem, Outcome, PatientId, ProcedureId,
    RecordKind,
};
use enamel_store::{ProcedureAddendumRow, ProcedureRow, ProcedureVersionRow, StoreError};

use super::codes::code_of;
use super::sealing::{self, Snapshot, StoredProcedure};
use super::{AddendumView, Chart, ProcedureClaims, ProcedureView, Sight};
use crate::access::Access;
use crate::{AppError, AuditDraft, Expected};

const HOUR_MS: i64 = 60 * 60 * 1000;

/// The words of a refusal to change locked work: what is still possible.
fn locked_refusal() -> AppError {
    AppError::Refused(
        "This procedure is completed and locked: add an addendum to it, or mark it entered in error with a reason."
            .into(),
    )
}

fn entered_in_error_refusal() -> AppError {
    AppError::Refused(
        "This entry was marked entered in error and can no longer change; chart it again if needed."
            .into(),
    )
}

fn invalid(field: &'static str, problem: &'static str) -> AppError {
    AppError::Invalid(vec![FieldProblem::new(field, problem)])
}

/// A procedure as it stands, opened for a change (nothing of it leaves the room).
pub(super) struct Current {
    pub(super) row: ProcedureRow,
    pub(super) stored: StoredProcedure,
    pub(super) procedure: Procedure,
}

impl Current {
    fn id(&self) -> Result<ProcedureId, AppError> {
        self.row
            .id
            .parse()
            .map_err(|_| AppError::Internal("a stored procedure id is malformed".into()))
    }

    fn patient(&self) -> Result<PatientId, AppError> {
        self.row
            .patient_id
            .parse()
            .map_err(|_| AppError::Internal("a stored patient id is malformed".into()))
    }
}

impl Chart<'_> {
    /// Records a change that was tried and not made (a miss, a stale version, a refusal), so
    /// every request leaves its entry; returns `error` for the caller.
    /// A create's entry back when the practice has the patient; otherwise the miss, audited.
    pub(super) async fn for_existing_patient(
        &self,
        patient: PatientId,
        entry: AuditDraft,
    ) -> Result<AuditDraft, AppError> {
        let practice = self.caller.practice_id().to_string();
        if self
            .app
            .db()
            .patient_exists(&practice, &patient.to_string())
            .await?
        {
            Ok(entry)
        } else {
            self.not_made(entry, AppError::NotFound).await
        }
    }

    pub(super) async fn not_made<T>(
        &self,
        entry: AuditDraft,
        error: AppError,
    ) -> Result<T, AppError> {
        let why = match &error {
            AppError::NotFound => None,
            AppError::Conflict => Some("stale_version"),
            AppError::Refused(_) => Some("refused"),
            AppError::Invalid(_) => Some("invalid"),
            _ => return Err(error),
        };
        let mut entry = AuditDraft {
            outcome: Outcome::Failed,
            ..entry
        };
        if let Some(why) = why {
            super::add_reason(&mut entry, why);
        }
        self.app.audit().record(entry).await?;
        Err(error)
    }

    fn entry(
        &self,
        access: &Access,
        action: AuditAction,
        id: ProcedureId,
        patient: PatientId,
    ) -> AuditDraft {
        access
            .audit(action, Outcome::Allowed)
            .about(RecordKind::Procedure, id)
            .patient(patient)
    }

    /// The stored row of a procedure (nothing opened). A miss (another practice's id
    /// included) is `NotFound`.
    async fn stored(&self, id: ProcedureId) -> Result<ProcedureRow, AppError> {
        let practice = self.caller.practice_id();
        let found = self
            .app
            .db()
            .procedure(&practice.to_string(), &id.to_string())
            .await;
        Ok(self.scoped(found, |r| &r.patient_id)?)
    }

    /// Opens a row for a change (nothing of it leaves the room). Called only once the caller
    /// is authorized for the row's patient.
    async fn open_current(&self, row: ProcedureRow) -> Result<Current, AppError> {
        let status = ProcedureStatus::parse(&row.status)
            .ok_or_else(|| AppError::Internal("a stored procedure has no status".into()))?;
        let (stored, procedure) = self
            .app
            .with_keys(self.caller.practice_id(), |keys| {
                let stored = sealing::open_details(keys, &row.id, &row.details)?;
                let procedure = stored.to_procedure(status)?;
                Ok((stored, procedure))
            })
            .await?;
        Ok(Current {
            row,
            stored,
            procedure,
        })
    }

    /// The current state for a change of `id` by someone with `category` × `action` on its
    /// patient. A miss is audited as `failed` and `NotFound`.
    async fn current_for(
        &self,
        id: ProcedureId,
        action: Action,
    ) -> Result<(Current, Access), AppError> {
        match self.stored(id).await {
            Ok(row) => {
                let patient: PatientId = row
                    .patient_id
                    .parse()
                    .map_err(|_| AppError::Internal("a stored patient id is malformed".into()))?;
                // Authorized for the row's own patient before anything of it is opened.
                let access = self
                    .access(Category::Charting, action, Some(patient))
                    .await?;
                Ok((self.open_current(row).await?, access))
            }
            Err(AppError::NotFound) => {
                let access = self.access(Category::Charting, action, None).await?;
                let entry = access
                    .audit(crate::access::audit_action_for(action), Outcome::Allowed)
                    .about(RecordKind::Procedure, id);
                self.not_made(entry, AppError::NotFound).await
            }
            Err(e) => Err(e),
        }
    }

    /// The code a draft names, from the practice's list.
    async fn code_for(
        &self,
        draft: &ProcedureDraft,
    ) -> Result<Option<enamel_domain::clinical::ProcedureCode>, AppError> {
        let Some(code) = canonical_code(&draft.code) else {
            return Ok(None);
        };
        let row = self
            .app
            .db()
            .procedure_code(&self.caller.practice_id().to_string(), &code)
            .await?;
        row.as_ref().map(code_of).transpose()
    }

    /// Validates a draft against the practice's codes and calendar, and its provider against
    /// the practice's staff.
    async fn validated(&self, draft: &ProcedureDraft) -> Result<Procedure, AppError> {
        let code = self.code_for(draft).await?;
        let procedure = draft
            .validate(code.as_ref(), self.today().await?)
            .map_err(AppError::Invalid)?;
        if let Some(provider) = &procedure.provider_id {
            let known = match self
                .app
                .db()
                .user(&self.caller.practice_id().to_string(), provider)
                .await
            {
                Ok(_) => true,
                Err(StoreError::NotFound) => false,
                Err(e) => return Err(e.into()),
            };
            if !known {
                return Err(invalid(
                    "provider_id",
                    "is not a staff member of this practice",
                ));
            }
        }
        Ok(procedure)
    }

    /// Charts a procedure or condition on a patient (charting, create). Work charted as
    /// completed locks after the practice's window, like work completed later.
    pub async fn create(
        &self,
        patient: PatientId,
        draft: &ProcedureDraft,
    ) -> Result<ProcedureView, AppError> {
        let access = self
            .access(Category::Charting, Action::Create, Some(patient))
            .await?;
        let id = ProcedureId::new();
        let entry = self.entry(&access, AuditAction::Create, id, patient);
        let practice = self.caller.practice_id();
        let entry = self.for_existing_patient(patient, entry).await?;
        let procedure = self.validated(draft).await?;
        let now = self.now_ms();
        let (completed_ms, locks_at_ms) = if procedure.status == ProcedureStatus::Completed {
            let hours = self.settings().await?.lock_hours;
            (Some(now), Some(now + hours * HOUR_MS))
        } else {
            (None, None)
        };
        let keys = self.app.keys_of(practice).await?;
        let stored = StoredProcedure::from_procedure(&procedure);
        let row = ProcedureRow {
            practice_id: practice.to_string(),
            id: id.to_string(),
            patient_id: patient.to_string(),
            key_version: i64::from(keys.active_version()),
            status: procedure.status.as_str().to_string(),
            details: sealing::seal_details(&keys, &id.to_string(), &stored)?,
            completed_ms,
            locks_at_ms,
            created_ms: now,
            created_by: self.actor().audit_id(),
            updated_ms: now,
            updated_by: self.actor().audit_id(),
            row_version: 1,
        };
        let mut tx = self.app.begin_write().await?;
        tx.insert_procedure(&row).await?;
        tx.commit(entry.into()).await?;
        Ok(self.view_of(&row, procedure, Vec::new(), Sight::Clinical))
    }

    /// Corrects an open procedure (charting, edit): planned work, conditions, and completed
    /// work inside its lock window. Its status may not move into or out of completed here
    /// (use `complete`, or mark it entered in error).
    pub async fn update(
        &self,
        id: ProcedureId,
        draft: &ProcedureDraft,
        expected: Expected,
        claims: &ProcedureClaims,
    ) -> Result<ProcedureView, AppError> {
        let (current, access) = self.current_for(id, Action::Edit).await?;
        let patient = current.patient()?;
        let entry = self.entry(&access, AuditAction::Update, id, patient);
        if let Err(e) = self.check_open(&current) {
            return self.not_made(entry, e).await;
        }
        // The body first: one that is not valid is named whatever version it was sent with.
        let procedure = self.validated(draft).await?;
        let read = self.view_of(
            &current.row,
            current.procedure.clone(),
            Vec::new(),
            Sight::Clinical,
        );
        if let Err(e) = expected.check(current.row.row_version) {
            return self.not_made(entry, e).await;
        }
        let differences = claims.differences(&read);
        if !differences.is_empty() {
            return Err(AppError::Invalid(differences));
        }
        let was_completed = current.procedure.status == ProcedureStatus::Completed;
        if was_completed != (procedure.status == ProcedureStatus::Completed) {
            return Err(invalid(
                "status",
                "cannot move into or out of completed here: complete the procedure, or mark it entered in error",
            ));
        }
        let changed = Changed {
            status: procedure.status,
            stored: StoredProcedure::from_procedure(&procedure),
            completed_ms: current.row.completed_ms,
            locks_at_ms: current.row.locks_at_ms,
        };
        let row = self
            .write_change(&current, changed, "update", entry)
            .await?;
        Ok(self.view_of(&row, procedure, Vec::new(), Sight::Clinical))
    }

    /// Marks planned work completed (charting, edit), today or on an earlier date; it locks
    /// after the practice's window.
    pub async fn complete(
        &self,
        id: ProcedureId,
        completed_on: Option<&str>,
        expected: Expected,
    ) -> Result<ProcedureView, AppError> {
        let (current, access) = self.current_for(id, Action::Edit).await?;
        let patient = current.patient()?;
        let mut entry = self.entry(&access, AuditAction::Update, id, patient);
        super::add_reason(&mut entry, "complete");
        let date = completion_date(completed_on, self.today().await?).map_err(AppError::Invalid)?;
        if let Err(e) = self
            .check_open(&current)
            .and_then(|()| expected.check(current.row.row_version))
        {
            return self.not_made(entry, e).await;
        }
        if current.procedure.status != ProcedureStatus::Planned {
            let e = AppError::Refused(format!(
                "Only planned work can be completed; this entry is {}.",
                current.procedure.status.label().to_lowercase()
            ));
            return self.not_made(entry, e).await;
        }
        let mut procedure = current.procedure.clone();
        procedure.status = ProcedureStatus::Completed;
        procedure.completed_on = Some(date);
        let now = self.now_ms();
        let hours = self.settings().await?.lock_hours;
        let changed = Changed {
            status: ProcedureStatus::Completed,
            stored: StoredProcedure::from_procedure(&procedure),
            completed_ms: Some(now),
            locks_at_ms: Some(now + hours * HOUR_MS),
        };
        let row = self
            .write_change(&current, changed, "complete", entry)
            .await?;
        Ok(self.view_of(&row, procedure, Vec::new(), Sight::Clinical))
    }

    /// Marks an entry entered in error, with its reason (kept as an addendum). Open work needs
    /// charting × edit; locked work needs charting × delete, the lock override (dentists by
    /// default). The entry stays in the chart, struck through.
    pub async fn invalidate(
        &self,
        id: ProcedureId,
        reason: &str,
        expected: Expected,
    ) -> Result<ProcedureView, AppError> {
        // The lock is a plain column: deciding which permission applies opens nothing.
        let locked = match self.stored(id).await {
            Ok(row) => self.is_locked(row.locks_at_ms),
            Err(_) => false,
        };
        let action = if locked { Action::Delete } else { Action::Edit };
        let (current, access) = self.current_for(id, action).await?;
        let patient = current.patient()?;
        let mut entry = self.entry(&access, AuditAction::Update, id, patient);
        super::add_reason(&mut entry, "entered_in_error");
        let reason =
            required_text(reason, "reason", MAX_REASON_CHARS).map_err(AppError::Invalid)?;
        if current.procedure.status == ProcedureStatus::EnteredInError {
            return self.not_made(entry, entered_in_error_refusal()).await;
        }
        if let Err(e) = expected.check(current.row.row_version) {
            return self.not_made(entry, e).await;
        }
        let practice = self.caller.practice_id();
        let keys = self.app.keys_of(practice).await?;
        let addendum = self.addendum_row(&keys, &current, "invalidation", &reason)?;
        let mut row = current.row.clone();
        row.status = ProcedureStatus::EnteredInError.as_str().to_string();
        row.row_version += 1;
        row.updated_ms = self.now_ms();
        row.updated_by = self.actor().audit_id();
        let version = self.version_row(&keys, &current, "invalidate")?;
        let mut tx = self.app.begin_write().await?;
        tx.insert_procedure_version(&version).await?;
        tx.insert_procedure_addendum(&addendum).await?;
        if let Err(e) = tx.update_procedure(&row, current.row.row_version).await {
            tx.rollback().await?;
            return self.not_made(entry, write_refused(e)).await;
        }
        tx.commit(entry.into()).await?;
        let mut procedure = current.procedure;
        procedure.status = ProcedureStatus::EnteredInError;
        let addenda = vec![addendum_view(addendum, reason)];
        Ok(self.view_of(&row, procedure, addenda, Sight::Clinical))
    }

    /// Adds an addendum to a procedure (charting, edit), locked or not: the way to correct or
    /// complete the record of work that can no longer change.
    pub async fn add_addendum(
        &self,
        id: ProcedureId,
        body: &str,
    ) -> Result<AddendumView, AppError> {
        let (current, access) = self.current_for(id, Action::Edit).await?;
        let patient = current.patient()?;
        let body = required_text(body, "body", MAX_NOTE_CHARS).map_err(AppError::Invalid)?;
        let keys = self.app.keys_of(self.caller.practice_id()).await?;
        let row = self.addendum_row(&keys, &current, "addendum", &body)?;
        let entry = access
            .audit(AuditAction::Create, Outcome::Allowed)
            .about(RecordKind::ProcedureAddendum, &row.id)
            .patient(patient);
        let mut tx = self.app.begin_write().await?;
        tx.insert_procedure_addendum(&row).await?;
        tx.commit(entry.into()).await?;
        Ok(addendum_view(row, body))
    }

    /// Refuses a change to work that is locked or entered in error.
    fn check_open(&self, current: &Current) -> Result<(), AppError> {
        if current.procedure.status == ProcedureStatus::EnteredInError {
            return Err(entered_in_error_refusal());
        }
        if self.is_locked(current.row.locks_at_ms) {
            return Err(locked_refusal());
        }
        Ok(())
    }

    fn addendum_row(
        &self,
        keys: &PracticeKeys,
        current: &Current,
        kind: &str,
        body: &str,
    ) -> Result<ProcedureAddendumRow, AppError> {
        let id = AddendumId::new().to_string();
        Ok(ProcedureAddendumRow {
            practice_id: current.row.practice_id.clone(),
            body: sealing::seal_body(keys, &id, body)?,
            id,
            procedure_id: current.row.id.clone(),
            patient_id: current.row.patient_id.clone(),
            key_version: i64::from(keys.active_version()),
            kind: kind.to_string(),
            created_ms: self.now_ms(),
            created_by: self.actor().audit_id(),
        })
    }

    /// The state `current` leaves behind, sealed for the history.
    fn version_row(
        &self,
        keys: &PracticeKeys,
        current: &Current,
        change: &str,
    ) -> Result<ProcedureVersionRow, AppError> {
        let row = &current.row;
        let version_id = format!("{}:{}", row.id, row.row_version);
        let snapshot = Snapshot {
            status: row.status.clone(),
            details: current.stored.clone(),
            completed_ms: row.completed_ms,
            locks_at_ms: row.locks_at_ms,
        };
        Ok(ProcedureVersionRow {
            practice_id: row.practice_id.clone(),
            id: version_id.clone(),
            procedure_id: row.id.clone(),
            patient_id: row.patient_id.clone(),
            row_version: row.row_version,
            key_version: i64::from(keys.active_version()),
            change: change.to_string(),
            changed_by: self.actor().audit_id(),
            changed_ms: self.now_ms(),
            snapshot: sealing::seal_snapshot(keys, &version_id, &snapshot)?,
        })
    }

    /// Writes a changed procedure with its previous state in the history and its entry, in
    /// one transaction. The database's refusal (the lock, by its clock) and a concurrent
    /// change are audited as `failed`.
    async fn write_change(
        &self,
        current: &Current,
        changed: Changed,
        change: &str,
        entry: AuditDraft,
    ) -> Result<ProcedureRow, AppError> {
        let keys = self.app.keys_of(self.caller.practice_id()).await?;
        let id = current.id()?.to_string();
        let row = ProcedureRow {
            key_version: i64::from(keys.active_version()),
            status: changed.status.as_str().to_string(),
            details: sealing::seal_details(&keys, &id, &changed.stored)?,
            completed_ms: changed.completed_ms,
            locks_at_ms: changed.locks_at_ms,
            updated_ms: self.now_ms(),
            updated_by: self.actor().audit_id(),
            row_version: current.row.row_version + 1,
            ..current.row.clone()
        };
        let version = self.version_row(&keys, current, change)?;
        let mut tx = self.app.begin_write().await?;
        tx.insert_procedure_version(&version).await?;
        if let Err(e) = tx.update_procedure(&row, current.row.row_version).await {
            tx.rollback().await?;
            return self.not_made(entry, write_refused(e)).await;
        }
        tx.commit(entry.into()).await?;
        Ok(row)
    }
}

/// What a change sets.
struct Changed {
    status: ProcedureStatus,
    stored: StoredProcedure,
    completed_ms: Option<i64>,
    locks_at_ms: Option<i64>,
}

/// A write the store refused: someone changed the row first, or the database's own lock
/// (its clock may be ahead of this server's).
fn write_refused(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict => AppError::Conflict,
        StoreError::Refused(_) => locked_refusal(),
        other => other.into(),
    }
}

fn addendum_view(row: ProcedureAddendumRow, body: String) -> AddendumView {
    AddendumView {
        id: row.id,
        kind: row.kind,
        body,
        created_ms: row.created_ms,
        created_by: row.created_by,
    }
}
