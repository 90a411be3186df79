//! Reading the schedule: one appointment, a day (all chairs, or one chair or provider), and
//! the ASAP list. Each read is one audit entry, durable before anything sealed is opened.

use std::collections::BTreeMap;

use enamel_crypto::{CryptoError, PracticeKeys};
use enamel_domain::scheduling::{
    AppointmentSource, AppointmentStatus, ConfirmationChannel, Pattern, Stamps,
};
use enamel_domain::{
    Action, AppointmentId, AuditAction, Category, Instant, OperatoryId, Outcome, PatientId,
    PracticeDate, PracticeTz, ProviderId, RecordKind,
};
use enamel_store::specs::APPOINTMENTS;
use enamel_store::{AppointmentRow, PatientRow, SealedColumn, StoreError};

use super::{AppointmentView, OperatoryView, ProviderView, Schedule};
use crate::AppError;
use crate::clinical::{ChartPatient, add_reason, heading};
use crate::kernel::seal;

pub(super) const NOTE: SealedColumn = APPOINTMENTS.column("note");

/// The most appointments on the ASAP list at once.
const MAX_ASAP: i64 = 500;

/// One day of the schedule in the practice's time zone: the chairs and providers, and the
/// appointments that overlap the day (cancelled and broken ones included: the front desk
/// sees them struck through).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayView {
    pub date: PracticeDate,
    pub tz: PracticeTz,
    pub operatories: Vec<OperatoryView>,
    pub providers: Vec<ProviderView>,
    pub appointments: Vec<AppointmentView>,
}

/// What of an appointment a caller sees beyond its time and place: the patient's name (with
/// demographics × view) and the note (for those who may change the schedule: the people who
/// act on it; a view-only role such as billing does not need it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Sight {
    pub names: bool,
    pub notes: bool,
}

/// Opens one stored appointment; `patient` is its heading when the caller may see it, and
/// the note is opened only when `notes`.
pub(super) fn open_appointment(
    keys: &PracticeKeys,
    row: &AppointmentRow,
    patient: Option<ChartPatient>,
    notes: bool,
) -> Result<AppointmentView, CryptoError> {
    let bad = || CryptoError::Malformed("a stored appointment");
    let note = match &row.note {
        Some(sealed) if notes => Some(seal::open_string(keys, NOTE, &row.id, sealed)?.to_string()),
        _ => None,
    };
    Ok(AppointmentView {
        id: row.id.parse().map_err(|_| bad())?,
        patient_id: row.patient_id.parse().map_err(|_| bad())?,
        patient,
        operatory_id: row.operatory_id.parse().map_err(|_| bad())?,
        provider_id: row.provider_id.parse().map_err(|_| bad())?,
        hygienist_id: optional_id(&row.hygienist_id)?,
        appointment_type_id: optional_id(&row.appointment_type_id)?,
        start: Instant::from_unix_ms(row.start_ms),
        end: Instant::from_unix_ms(row.end_ms),
        pattern: Pattern::parse(&row.pattern).map_err(|_| bad())?,
        status: AppointmentStatus::parse(&row.status).ok_or_else(bad)?,
        source: AppointmentSource::parse(&row.source).ok_or_else(bad)?,
        confirmed_via: match &row.confirmed_via {
            Some(via) => Some(ConfirmationChannel::parse(via).ok_or_else(bad)?),
            None => None,
        },
        stamps: Stamps {
            confirmed_ms: row.confirmed_ms,
            arrived_ms: row.arrived_ms,
            seated_ms: row.seated_ms,
            dismissed_ms: row.dismissed_ms,
        },
        note,
        stamp: (&row.stamp).into(),
    })
}

/// A stored optional id as its type.
fn optional_id<T: std::str::FromStr>(id: &Option<String>) -> Result<Option<T>, CryptoError> {
    match id {
        Some(id) => id
            .parse()
            .map(Some)
            .map_err(|_| CryptoError::Malformed("a stored appointment")),
        None => Ok(None),
    }
}

/// Which part of a day to show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayFilter {
    pub operatory: Option<OperatoryId>,
    pub provider: Option<ProviderId>,
}

impl Schedule<'_> {
    /// One appointment (schedule × view for its patient): one entry.
    pub async fn read(&self, id: AppointmentId) -> Result<AppointmentView, AppError> {
        let practice_id = self.caller.practice_id();
        let practice = practice_id.to_string();
        let db = self.app.db();
        let row = match db.appointment(&practice, &id.to_string()).await {
            Ok(row) => row,
            Err(StoreError::NotFound) => {
                let access = self.access(Category::Schedule, Action::View, None).await?;
                let entry = Self::entry(&access, AuditAction::View, id, None);
                return self.not_made(entry, AppError::NotFound).await;
            }
            Err(e) => return Err(e.into()),
        };
        let patient: PatientId = row
            .patient_id
            .parse()
            .map_err(|_| AppError::Internal("a stored patient id is malformed".into()))?;
        let access = self
            .access(Category::Schedule, Action::View, Some(patient))
            .await?;
        let sight = self.sight(Some(patient)).await?;
        let entry = Self::entry(&access, AuditAction::View, id, Some(patient));
        let fetch = async {
            let patient_row = db.patient(&practice, &row.patient_id).await?;
            Ok((row, patient_row))
        };
        self.app
            .read_audited(practice_id, entry, fetch, |keys, (row, patient_row)| {
                open_appointment(
                    keys,
                    row,
                    heading(keys, patient_row, sight.names)?,
                    sight.notes,
                )
            })
            .await
    }

    /// One day of the schedule (schedule × view): one entry naming the day, the filter and how
    /// many appointments it showed. Patients' names are shown to callers who may see
    /// demographics.
    pub async fn day(&self, date: PracticeDate, filter: DayFilter) -> Result<DayView, AppError> {
        let access = self.access(Category::Schedule, Action::View, None).await?;
        let practice_id = self.caller.practice_id();
        let practice = practice_id.to_string();
        let tz = self.app.practice_time(practice_id).await?;
        let range = tz.day(date);
        let sight = self.sight(None).await?;
        let operatories = self.operatories().await?;
        let providers = self.providers().await?;
        let db = self.app.db();
        let rows: Vec<AppointmentRow> = db
            .appointments_between(&practice, range.start.unix_ms(), range.end.unix_ms())
            .await?
            .into_iter()
            .filter(|r| {
                filter
                    .operatory
                    .is_none_or(|o| r.operatory_id == o.to_string())
            })
            .filter(|r| {
                filter.provider.is_none_or(|p| {
                    r.provider_id == p.to_string()
                        || r.hygienist_id.as_deref() == Some(&p.to_string())
                })
            })
            .collect();
        let mut entry = access
            .audit(AuditAction::View, Outcome::Allowed)
            .about(RecordKind::Schedule, date);
        let mut why = format!("appointments {}", rows.len());
        if let Some(o) = filter.operatory {
            why.push_str(&format!("; operatory {o}"));
        }
        if let Some(p) = filter.provider {
            why.push_str(&format!("; provider {p}"));
        }
        add_reason(&mut entry, &why);
        let appointments = self.open_rows(practice_id, entry, rows, sight).await?;
        Ok(DayView {
            date,
            tz,
            operatories,
            providers,
            appointments,
        })
    }

    /// The ASAP list: appointments waiting for an earlier opening, soonest first (schedule ×
    /// view): one entry.
    pub async fn asap_list(&self) -> Result<Vec<AppointmentView>, AppError> {
        let access = self.access(Category::Schedule, Action::View, None).await?;
        let practice_id = self.caller.practice_id();
        let sight = self.sight(None).await?;
        let rows = self
            .app
            .db()
            .appointments_with_status(
                &practice_id.to_string(),
                AppointmentStatus::Asap.as_str(),
                MAX_ASAP,
            )
            .await?;
        let mut entry = access
            .audit(AuditAction::View, Outcome::Allowed)
            .about(RecordKind::Schedule, "asap");
        add_reason(&mut entry, &format!("appointments {}", rows.len()));
        self.open_rows(practice_id, entry, rows, sight).await
    }

    /// What this caller sees of an appointment of `patient` (or of any, for a list); asking
    /// is not audited.
    pub(super) async fn sight(&self, patient: Option<PatientId>) -> Result<Sight, AppError> {
        Ok(Sight {
            names: self
                .may(Category::Demographics, Action::View, patient)
                .await?,
            notes: self.may(Category::Schedule, Action::Edit, patient).await?,
        })
    }

    /// Appends `entry`, then opens the rows (and their patients' names when `names`).
    async fn open_rows(
        &self,
        practice_id: enamel_domain::PracticeId,
        entry: crate::AuditDraft,
        rows: Vec<AppointmentRow>,
        sight: Sight,
    ) -> Result<Vec<AppointmentView>, AppError> {
        let db = self.app.db();
        let practice = practice_id.to_string();
        let fetch = async {
            let patients: BTreeMap<String, PatientRow> = if sight.names && !rows.is_empty() {
                let mut ids: Vec<String> = rows.iter().map(|r| r.patient_id.clone()).collect();
                ids.sort();
                ids.dedup();
                db.patients_by_ids(&practice, &ids)
                    .await?
                    .into_iter()
                    .map(|p| (p.id.clone(), p))
                    .collect()
            } else {
                BTreeMap::new()
            };
            Ok((rows, patients))
        };
        self.app
            .read_audited(practice_id, entry, fetch, |keys, (rows, patients)| {
                let mut headings: BTreeMap<&str, Option<ChartPatient>> = BTreeMap::new();
                for (id, p) in patients {
                    headings.insert(id, heading(keys, p, true)?);
                }
                rows.iter()
                    .map(|row| {
                        let patient = headings.get(row.patient_id.as_str()).cloned().flatten();
                        open_appointment(keys, row, patient, sight.notes)
                    })
                    .collect()
            })
            .await
    }
}
