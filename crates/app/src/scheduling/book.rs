//! Changing the schedule: booking, moving or editing an appointment, and moving it through
//! its statuses. Each request is one audit entry; a refusal (a clash, a stale version, a
//! status that cannot follow) is one `failed` entry and writes nothing else.

use enamel_domain::scheduling::{
    AppointmentDraft, AppointmentStatus, Booking, ConfirmationChannel, Pattern, Stamps,
};
use enamel_domain::{
    Action, AppointmentId, AuditAction, Category, FieldProblem, Instant, PatientId, PracticeTz,
};
use enamel_store::{AppointmentRow, SlotClaim, Stamp, StoreError};

use super::calendar::{NOTE, open_appointment};
use super::checks::Resources;
use super::{AppointmentView, RecordClaims, Schedule};
use crate::kernel::seal;
use crate::{AppError, AuditDraft, Expected};

/// Read-only members a client sent back with a replacement (what a `GET` showed): each is
/// compared with the appointment as stored, ignored when equal and refused by name when not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppointmentClaims {
    pub status: Option<String>,
    pub source: Option<String>,
    pub end_ms: Option<i64>,
    /// `Some(None)`: sent as `null`.
    pub confirmed_via: Option<Option<String>>,
    pub confirmed_ms: Option<Option<i64>>,
    pub arrived_ms: Option<Option<i64>>,
    pub seated_ms: Option<Option<i64>>,
    pub dismissed_ms: Option<Option<i64>>,
    pub record: RecordClaims,
}

impl AppointmentClaims {
    fn differences(&self, read: &AppointmentView) -> Vec<FieldProblem> {
        use crate::claims::differs;
        let own = [
            (
                "status",
                differs(&self.status, &read.status.as_str().to_string()),
            ),
            (
                "source",
                differs(&self.source, &read.source.as_str().to_string()),
            ),
            ("end", differs(&self.end_ms, &read.end.unix_ms())),
            (
                "confirmed_via",
                differs(
                    &self.confirmed_via,
                    &read.confirmed_via.map(|v| v.as_str().to_string()),
                ),
            ),
            (
                "confirmed_at",
                differs(&self.confirmed_ms, &read.stamps.confirmed_ms),
            ),
            (
                "arrived_at",
                differs(&self.arrived_ms, &read.stamps.arrived_ms),
            ),
            (
                "seated_at",
                differs(&self.seated_ms, &read.stamps.seated_ms),
            ),
            (
                "dismissed_at",
                differs(&self.dismissed_ms, &read.stamps.dismissed_ms),
            ),
        ];
        crate::claims::refused(own.into_iter().chain(self.record.checks(&read.stamp)))
    }
}

impl Schedule<'_> {
    /// Books an appointment (schedule × create). Its length comes from its pattern, its
    /// minutes, or its type; the chair and the provider's time must be free.
    pub async fn book(&self, draft: &AppointmentDraft) -> Result<AppointmentView, AppError> {
        let patient: Option<PatientId> = draft.patient_id.trim().parse().ok();
        let access = self
            .access(Category::Schedule, Action::Create, patient)
            .await?;
        let id = AppointmentId::new();
        let entry = Self::entry(&access, AuditAction::Create, id, patient);
        let practice_id = self.caller.practice_id();
        let tz = self.app.practice_time(practice_id).await?;
        let booking = self.validated(draft, &tz, None).await?;
        let resources = self.resources().await?;
        let problems = resources.problems(&booking, &tz);
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        if !self
            .app
            .db()
            .patient_exists(&self.practice(), &booking.patient_id.to_string())
            .await?
        {
            return self.not_made(entry, AppError::NotFound).await;
        }
        let entry = self
            .heeded(entry, &booking, &tz, &resources, draft.acknowledge_warnings)
            .await?;
        let now = self.now_ms();
        let by = self.actor().audit_id();
        let row = AppointmentRow {
            practice_id: self.practice(),
            id: id.to_string(),
            patient_id: booking.patient_id.to_string(),
            operatory_id: String::new(),
            provider_id: String::new(),
            hygienist_id: None,
            appointment_type_id: None,
            start_ms: 0,
            end_ms: 0,
            pattern: String::new(),
            status: AppointmentStatus::Scheduled.as_str().into(),
            source: self.source().as_str().into(),
            confirmed_ms: None,
            confirmed_via: None,
            arrived_ms: None,
            seated_ms: None,
            dismissed_ms: None,
            key_version: 0,
            note: None,
            stamp: Stamp {
                row_version: 1,
                created_ms: now,
                created_by: by.clone(),
                updated_ms: now,
                updated_by: by,
            },
        };
        let row = self.with_booking(row, &booking).await?;
        self.write(row, None, entry, &resources, &tz).await
    }

    /// Replaces an appointment's chair, providers, type, time, pattern and note (schedule ×
    /// edit): moving it re-checks the new time. Its patient never changes (book a new
    /// appointment instead); its status changes through [`Schedule::set_status`].
    pub async fn replace(
        &self,
        id: AppointmentId,
        draft: &AppointmentDraft,
        expected: Expected,
        claims: &AppointmentClaims,
    ) -> Result<AppointmentView, AppError> {
        let (current, entry) = self.current_for(id, AuditAction::Update).await?;
        let practice_id = self.caller.practice_id();
        let tz = self.app.practice_time(practice_id).await?;
        let booking = self
            .validated(draft, &tz, current.appointment_type_id.as_deref())
            .await?;
        let resources = self.resources().await?;
        let mut problems = resources.problems(&booking, &tz);
        if booking.patient_id.to_string() != current.patient_id {
            problems.push(FieldProblem::new(
                "patient_id",
                "cannot be changed: book a new appointment for another patient",
            ));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let read = self
            .app
            .with_keys(practice_id, |keys| {
                open_appointment(keys, &current, None, true)
            })
            .await?;
        if let Err(e) = expected.check(current.stamp.row_version) {
            return self.not_made(entry, e).await;
        }
        let differences = claims.differences(&read);
        if !differences.is_empty() {
            return Err(AppError::Invalid(differences));
        }
        // Warned again only when it moves (a note's edit is not a new booking).
        let moved = booking.start.unix_ms() != current.start_ms
            || booking.end().unix_ms() != current.end_ms
            || booking.operatory_id.to_string() != current.operatory_id
            || booking.provider_id.to_string() != current.provider_id;
        let entry = if moved {
            self.heeded(entry, &booking, &tz, &resources, draft.acknowledge_warnings)
                .await?
        } else {
            entry
        };
        let mut row = self.with_booking(current.clone(), &booking).await?;
        row.stamp = self.next_stamp(&current.stamp);
        self.write(row, Some(&current), entry, &resources, &tz)
            .await
    }

    /// Moves an appointment to another status (schedule × edit): confirmed (and how), arrived,
    /// in the chair, complete, broken, cancelled or onto the ASAP list, or a step back. An
    /// appointment that comes back onto the schedule takes its time again (it may have been
    /// given away meanwhile: a clash).
    pub async fn set_status(
        &self,
        id: AppointmentId,
        to: AppointmentStatus,
        via: Option<ConfirmationChannel>,
        expected: Expected,
    ) -> Result<AppointmentView, AppError> {
        let (current, mut entry) = self.current_for(id, AuditAction::Update).await?;
        crate::clinical::add_reason(&mut entry, &format!("status {} -> {}", current.status, to));
        let from = AppointmentStatus::parse(&current.status)
            .ok_or_else(|| AppError::Internal("a stored status is malformed".into()))?;
        if let Err(e) = expected.check(current.stamp.row_version) {
            return self.not_made(entry, e).await;
        }
        if !from.can_become(to) {
            return self
                .not_made(entry, AppError::Refused(from.refusal(to)))
                .await;
        }
        if via.is_some() && to != AppointmentStatus::Confirmed {
            return Err(super::invalid(
                "via",
                "is only for a confirmation (status confirmed)",
            ));
        }
        let now = self.now_ms();
        let stamps = Stamps {
            confirmed_ms: current.confirmed_ms,
            arrived_ms: current.arrived_ms,
            seated_ms: current.seated_ms,
            dismissed_ms: current.dismissed_ms,
        }
        .after(to, now);
        let mut row = current.clone();
        row.status = to.as_str().into();
        row.confirmed_ms = stamps.confirmed_ms;
        row.arrived_ms = stamps.arrived_ms;
        row.seated_ms = stamps.seated_ms;
        row.dismissed_ms = stamps.dismissed_ms;
        row.confirmed_via = match to {
            AppointmentStatus::Confirmed => via.map(|v| v.as_str().to_string()),
            AppointmentStatus::Scheduled => None,
            _ => current.confirmed_via.clone(),
        };
        row.stamp = self.next_stamp(&current.stamp);
        let tz = self.app.practice_time(self.caller.practice_id()).await?;
        let resources = self.resources().await?;
        self.write(row, Some(&current), entry, &resources, &tz)
            .await
    }

    /// The draft checked, with the pattern of its type when it names one.
    async fn validated(
        &self,
        draft: &AppointmentDraft,
        tz: &PracticeTz,
        current_type: Option<&str>,
    ) -> Result<Booking, AppError> {
        let types = self.appointment_types().await?;
        let named = draft
            .appointment_type_id
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let kind = named.map(|t| types.iter().find(|k| k.id.to_string() == t));
        if let Some(None) = kind {
            return Err(super::invalid(
                "appointment_type_id",
                "is not an appointment type of this practice",
            ));
        }
        // A hidden type takes no new visits; one already booked with it keeps it.
        if let Some(Some(k)) = kind
            && k.appointment_type.hidden
            && current_type != Some(k.id.to_string().as_str())
        {
            return Err(super::invalid(
                "appointment_type_id",
                "is hidden: it takes no new appointments",
            ));
        }
        let pattern: Option<&Pattern> = kind.flatten().map(|k| &k.appointment_type.pattern);
        draft.validate(tz, pattern).map_err(AppError::Invalid)
    }

    async fn resources(&self) -> Result<Resources, AppError> {
        Ok(Resources {
            operatories: self.operatories().await?,
            providers: self.providers().await?,
        })
    }

    fn next_stamp(&self, current: &Stamp) -> Stamp {
        Stamp {
            row_version: current.row_version + 1,
            created_ms: current.created_ms,
            created_by: current.created_by.clone(),
            updated_ms: self.now_ms(),
            updated_by: self.actor().audit_id(),
        }
    }

    /// `row` with the booking's chair, providers, type, time, pattern and (sealed) note.
    async fn with_booking(
        &self,
        mut row: AppointmentRow,
        booking: &Booking,
    ) -> Result<AppointmentRow, AppError> {
        let keys = self.app.keys_of(self.caller.practice_id()).await?;
        row.operatory_id = booking.operatory_id.to_string();
        row.provider_id = booking.provider_id.to_string();
        row.hygienist_id = booking.hygienist_id.map(|h| h.to_string());
        row.appointment_type_id = booking.appointment_type_id.map(|t| t.to_string());
        row.start_ms = booking.start.unix_ms();
        row.end_ms = booking.end().unix_ms();
        row.pattern = booking.pattern.as_str().to_string();
        row.key_version = i64::from(keys.active_version());
        row.note = match &booking.note {
            Some(note) => Some(seal::seal(&keys, NOTE, &row.id, note.as_bytes())?),
            None => None,
        };
        Ok(row)
    }

    /// The stored appointment and the entry for changing it (schedule × edit for its patient),
    /// or the miss audited.
    async fn current_for(
        &self,
        id: AppointmentId,
        action: AuditAction,
    ) -> Result<(AppointmentRow, AuditDraft), AppError> {
        match self
            .app
            .db()
            .appointment(&self.practice(), &id.to_string())
            .await
        {
            Ok(row) => {
                let patient: PatientId = row
                    .patient_id
                    .parse()
                    .map_err(|_| AppError::Internal("a stored patient id is malformed".into()))?;
                let access = self
                    .access(Category::Schedule, Action::Edit, Some(patient))
                    .await?;
                Ok((row, Self::entry(&access, action, id, Some(patient))))
            }
            Err(StoreError::NotFound) => {
                let access = self.access(Category::Schedule, Action::Edit, None).await?;
                let entry = Self::entry(&access, action, id, None);
                self.not_made(entry, AppError::NotFound).await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Writes `row` (a new appointment, or a change of `current`) with the slots its status
    /// holds, and commits it with `entry`; a clash rolls everything back and is refused.
    async fn write(
        &self,
        row: AppointmentRow,
        current: Option<&AppointmentRow>,
        entry: AuditDraft,
        resources: &Resources,
        tz: &PracticeTz,
    ) -> Result<AppointmentView, AppError> {
        let holds = AppointmentStatus::parse(&row.status).is_some_and(|s| s.holds_time());
        let pattern = Pattern::parse(&row.pattern)
            .map_err(|_| AppError::Internal("a pattern did not survive its own check".into()))?;
        let start = Instant::from_unix_ms(row.start_ms);
        let (chair, provider) = if holds {
            (pattern.chair_slots(start), pattern.provider_slots(start))
        } else {
            (Vec::new(), Vec::new())
        };
        let mut owners = vec![
            format!("operatory:{}", row.operatory_id),
            format!("provider:{}", row.provider_id),
        ];
        if let Some(c) = current {
            owners.push(format!("operatory:{}", c.operatory_id));
            owners.push(format!("provider:{}", c.provider_id));
        }
        let mut tx = self.app.begin_write().await?;
        tx.lock_slot_owners(&row.practice_id, &owners).await?;
        match current {
            None => tx.insert_appointment(&row).await?,
            Some(c) => {
                tx.update_appointment(&row, c.stamp.row_version).await?;
                tx.release_slots(&row.practice_id, &row.id).await?;
            }
        }
        let clash = tx
            .claim_slots(&SlotClaim {
                practice_id: &row.practice_id,
                appointment_id: &row.id,
                operatory_id: &row.operatory_id,
                chair_slots: &chair,
                provider_id: &row.provider_id,
                provider_slots: &provider,
            })
            .await?;
        if let Some(clash) = clash {
            tx.rollback().await?;
            let conflict = self.describe(&clash, &row, resources, tz).await?;
            return self
                .not_made(entry, AppError::ScheduleConflict(Box::new(conflict)))
                .await;
        }
        tx.commit(entry.into()).await?;
        // The answer names the patient as a read would, under the change's own entry (which
        // names the patient).
        let practice_id = self.caller.practice_id();
        let patient: Option<PatientId> = row.patient_id.parse().ok();
        let sight = self.sight(patient).await?;
        let patient_row = if sight.names {
            Some(
                self.app
                    .db()
                    .patient(&row.practice_id, &row.patient_id)
                    .await?,
            )
        } else {
            None
        };
        self.app
            .with_keys(practice_id, |keys| {
                let heading = match &patient_row {
                    Some(p) => crate::clinical::heading(keys, p, true)?,
                    None => None,
                };
                open_appointment(keys, &row, heading, sight.notes)
            })
            .await
    }
}
