//! Periodontal exams: started and saved as a draft while the hygienist probes, closed when
//! done (then the database refuses every change), listed, read and compared. Each request
//! leaves one audit entry; a refusal is audited as `failed`.

use enamel_crypto::{CryptoError, PracticeKeys};
use enamel_domain::clinical::{PerioExam, PerioExamDraft, PerioTooth, SiteChange, Tooth, compare};
use enamel_domain::{
    Action, AuditAction, Category, FieldProblem, Outcome, PatientId, PerioExamId, RecordKind,
    iso_date, parse_iso_date,
};
use enamel_store::specs::PERIO_EXAMS;
use enamel_store::{PerioExamRow, SealedColumn, StoreError};
use serde::{Deserialize, Serialize};

use super::{Chart, ChartPatient, PatientRecords};
use crate::access::Access;
use crate::kernel::seal;
use crate::{AppError, AuditDraft, Expected};

const DETAILS: SealedColumn = PERIO_EXAMS.column("details");

/// A perio exam as the caller reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct PerioExamView {
    pub id: PerioExamId,
    pub patient_id: PatientId,
    /// Whose exam it is, when one exam is read by a caller who may see demographics (the
    /// sheet's heading); `None` in lists (their heading is the list's) and answers to changes.
    pub patient: Option<ChartPatient>,
    pub exam: PerioExam,
    pub closed: bool,
    pub closed_ms: Option<i64>,
    pub closed_by: Option<String>,
    pub created_ms: i64,
    pub created_by: String,
    pub updated_ms: i64,
    pub updated_by: String,
    pub row_version: i64,
}

impl std::fmt::Debug for PerioExamView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerioExamView")
            .field("id", &self.id)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

/// Two exams of one patient side by side: every site measured in both, flagged where the
/// probing depth or attachment loss grew by 2 mm or more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerioComparison {
    pub older: PerioExamView,
    pub newer: PerioExamView,
    pub sites: Vec<SiteChange>,
}

/// Read-only members a client sent back with a draft's measurements (what a `GET` showed):
/// compared with the exam as stored, ignored when equal and refused by name when not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerioClaims {
    pub patient_id: Option<String>,
    pub status: Option<String>,
    pub row_version: Option<i64>,
    /// `Some(None)`: sent as `null`.
    pub closed_ms: Option<Option<i64>>,
    pub closed_by: Option<Option<String>>,
    pub created_ms: Option<i64>,
    pub created_by: Option<String>,
    pub updated_ms: Option<i64>,
    pub updated_by: Option<String>,
}

impl PerioClaims {
    fn differences(&self, row: &PerioExamRow) -> Vec<FieldProblem> {
        use crate::claims::differs;
        crate::claims::refused([
            ("patient_id", differs(&self.patient_id, &row.patient_id)),
            ("status", differs(&self.status, &row.status)),
            ("row_version", differs(&self.row_version, &row.row_version)),
            ("closed_at", differs(&self.closed_ms, &row.closed_ms)),
            ("closed_by", differs(&self.closed_by, &row.closed_by)),
            ("created_at", differs(&self.created_ms, &row.created_ms)),
            ("created_by", differs(&self.created_by, &row.created_by)),
            ("updated_at", differs(&self.updated_ms, &row.updated_ms)),
            ("updated_by", differs(&self.updated_by, &row.updated_by)),
        ])
    }
}

/// The sealed document of one exam. Field names are stored: never rename them.
#[derive(Serialize, Deserialize)]
struct StoredExam {
    exam_date: String,
    provider_id: Option<String>,
    note: Option<String>,
    teeth: Vec<StoredTooth>,
}

#[derive(Serialize, Deserialize)]
struct StoredTooth {
    tooth: String,
    skipped: bool,
    implant: bool,
    mobility: Option<u8>,
    depth: [Option<i8>; 6],
    margin: [Option<i8>; 6],
    bleeding: Option<[bool; 6]>,
    suppuration: Option<[bool; 6]>,
    plaque: Option<[bool; 6]>,
    calculus: Option<[bool; 6]>,
    furcation: [Option<u8>; 6],
}

fn seal_exam(keys: &PracticeKeys, id: &str, exam: &PerioExam) -> Result<Vec<u8>, CryptoError> {
    let stored = StoredExam {
        exam_date: iso_date(exam.exam_date),
        provider_id: exam.provider_id.clone(),
        note: exam.note.clone(),
        teeth: exam
            .teeth
            .iter()
            .map(|(tooth, t)| StoredTooth {
                tooth: tooth.to_string(),
                skipped: t.skipped,
                implant: t.implant,
                mobility: t.mobility,
                depth: t.depth,
                margin: t.margin,
                bleeding: t.bleeding,
                suppuration: t.suppuration,
                plaque: t.plaque,
                calculus: t.calculus,
                furcation: t.furcation,
            })
            .collect(),
    };
    let json = serde_json::to_vec(&stored)
        .map_err(|_| CryptoError::Malformed("a record could not be encoded"))?;
    seal::seal(keys, DETAILS, id, &json)
}

fn open_exam(keys: &PracticeKeys, row: &PerioExamRow) -> Result<PerioExam, CryptoError> {
    let bad = || CryptoError::Malformed("a stored perio exam");
    let json = seal::open(keys, DETAILS, &row.id, &row.details)?;
    let stored: StoredExam = serde_json::from_slice(&json).map_err(|_| bad())?;
    let mut teeth = std::collections::BTreeMap::new();
    for t in stored.teeth {
        let tooth = Tooth::parse(&t.tooth).ok_or_else(bad)?;
        teeth.insert(
            tooth,
            PerioTooth {
                skipped: t.skipped,
                implant: t.implant,
                mobility: t.mobility,
                depth: t.depth,
                margin: t.margin,
                bleeding: t.bleeding,
                suppuration: t.suppuration,
                plaque: t.plaque,
                calculus: t.calculus,
                furcation: t.furcation,
            },
        );
    }
    Ok(PerioExam {
        exam_date: parse_iso_date(&stored.exam_date).ok_or_else(bad)?,
        provider_id: stored.provider_id,
        note: stored.note,
        teeth,
    })
}

fn view_of(row: &PerioExamRow, exam: PerioExam) -> PerioExamView {
    PerioExamView {
        id: row.id.parse().unwrap_or_default(),
        patient_id: row.patient_id.parse().unwrap_or_default(),
        patient: None,
        exam,
        closed: row.status == "closed",
        closed_ms: row.closed_ms,
        closed_by: row.closed_by.clone(),
        created_ms: row.created_ms,
        created_by: row.created_by.clone(),
        updated_ms: row.updated_ms,
        updated_by: row.updated_by.clone(),
        row_version: row.row_version,
    }
}

fn closed_refusal() -> AppError {
    AppError::Refused(
        "This perio exam is closed and can no longer change; start a new exam instead.".into(),
    )
}

impl Chart<'_> {
    fn perio_entry(&self, access: &Access, action: AuditAction, id: PerioExamId) -> AuditDraft {
        access
            .audit(action, Outcome::Allowed)
            .about(RecordKind::PerioExam, id)
    }

    async fn perio_today_checked(&self, draft: &PerioExamDraft) -> Result<PerioExam, AppError> {
        let exam = draft
            .validate(self.today().await?)
            .map_err(AppError::Invalid)?;
        if let Some(provider) = &exam.provider_id {
            match self
                .app
                .db()
                .user(&self.caller.practice_id().to_string(), provider)
                .await
            {
                Ok(_) => {}
                Err(StoreError::NotFound) => {
                    return Err(AppError::Invalid(vec![FieldProblem::new(
                        "provider_id",
                        "is not a staff member of this practice",
                    )]));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(exam)
    }

    /// Starts a perio exam (charting, create), as a draft.
    pub async fn start_perio(
        &self,
        patient: PatientId,
        draft: &PerioExamDraft,
    ) -> Result<PerioExamView, AppError> {
        let access = self
            .access(Category::Charting, Action::Create, Some(patient))
            .await?;
        let id = PerioExamId::new();
        let entry = self
            .perio_entry(&access, AuditAction::Create, id)
            .patient(patient);
        let practice = self.caller.practice_id();
        let entry = self.for_existing_patient(patient, entry).await?;
        let exam = self.perio_today_checked(draft).await?;
        let keys = self.app.keys_of(practice).await?;
        let now = self.now_ms();
        let row = PerioExamRow {
            practice_id: practice.to_string(),
            id: id.to_string(),
            patient_id: patient.to_string(),
            key_version: i64::from(keys.active_version()),
            status: "draft".into(),
            details: seal_exam(&keys, &id.to_string(), &exam)?,
            closed_ms: None,
            closed_by: None,
            created_ms: now,
            created_by: self.actor().audit_id(),
            updated_ms: now,
            updated_by: self.actor().audit_id(),
            row_version: 1,
        };
        let mut tx = self.app.begin_write().await?;
        tx.insert_perio_exam(&row).await?;
        tx.commit(entry.into()).await?;
        Ok(view_of(&row, exam))
    }

    /// The stored exam for a change by someone with charting × `action`; a miss is audited
    /// as `failed` and `NotFound`.
    async fn perio_for_change(
        &self,
        id: PerioExamId,
        action: Action,
    ) -> Result<(PerioExamRow, Access, AuditDraft), AppError> {
        let practice = self.caller.practice_id().to_string();
        let found = self.app.db().perio_exam(&practice, &id.to_string()).await;
        match self.scoped(found, |r| &r.patient_id) {
            Ok(row) => {
                let patient: PatientId = row
                    .patient_id
                    .parse()
                    .map_err(|_| AppError::Internal("a stored patient id is malformed".into()))?;
                let access = self
                    .access(Category::Charting, action, Some(patient))
                    .await?;
                let entry = self
                    .perio_entry(&access, AuditAction::Update, id)
                    .patient(patient);
                Ok((row, access, entry))
            }
            Err(StoreError::NotFound) => {
                let access = self.access(Category::Charting, action, None).await?;
                let entry = self.perio_entry(&access, AuditAction::Update, id);
                self.not_made(entry, AppError::NotFound).await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Saves a draft exam's measurements (charting, edit). A closed exam is refused.
    pub async fn save_perio(
        &self,
        id: PerioExamId,
        draft: &PerioExamDraft,
        expected: Expected,
        claims: &PerioClaims,
    ) -> Result<PerioExamView, AppError> {
        let (current, _access, entry) = self.perio_for_change(id, Action::Edit).await?;
        if current.status == "closed" {
            return self.not_made(entry, closed_refusal()).await;
        }
        // The body first: one that is not valid is named whatever version it was sent with.
        let exam = self.perio_today_checked(draft).await?;
        if let Err(e) = expected.check(current.row_version) {
            return self.not_made(entry, e).await;
        }
        let differences = claims.differences(&current);
        if !differences.is_empty() {
            return Err(AppError::Invalid(differences));
        }
        let keys = self.app.keys_of(self.caller.practice_id()).await?;
        let row = PerioExamRow {
            key_version: i64::from(keys.active_version()),
            details: seal_exam(&keys, &current.id, &exam)?,
            updated_ms: self.now_ms(),
            updated_by: self.actor().audit_id(),
            row_version: current.row_version + 1,
            ..current.clone()
        };
        self.write_perio(&row, current.row_version, entry).await?;
        Ok(view_of(&row, exam))
    }

    /// Closes a draft exam (charting, edit): from then on it is the record, and nothing of it
    /// changes.
    pub async fn close_perio(
        &self,
        id: PerioExamId,
        expected: Expected,
    ) -> Result<PerioExamView, AppError> {
        let (current, _access, mut entry) = self.perio_for_change(id, Action::Edit).await?;
        super::add_reason(&mut entry, "close");
        if current.status == "closed" {
            return self.not_made(entry, closed_refusal()).await;
        }
        if let Err(e) = expected.check(current.row_version) {
            return self.not_made(entry, e).await;
        }
        let exam = self
            .app
            .with_keys(self.caller.practice_id(), |keys| open_exam(keys, &current))
            .await?;
        let now = self.now_ms();
        let row = PerioExamRow {
            status: "closed".into(),
            closed_ms: Some(now),
            closed_by: Some(self.actor().audit_id()),
            updated_ms: now,
            updated_by: self.actor().audit_id(),
            row_version: current.row_version + 1,
            ..current.clone()
        };
        self.write_perio(&row, current.row_version, entry).await?;
        Ok(view_of(&row, exam))
    }

    async fn write_perio(
        &self,
        row: &PerioExamRow,
        expected_version: i64,
        entry: AuditDraft,
    ) -> Result<(), AppError> {
        let mut tx = self.app.begin_write().await?;
        if let Err(e) = tx.update_perio_exam(row, expected_version).await {
            tx.rollback().await?;
            let error = match e {
                StoreError::Conflict => AppError::Conflict,
                StoreError::Refused(_) => closed_refusal(),
                other => other.into(),
            };
            return self.not_made(entry, error).await;
        }
        tx.commit(entry.into()).await?;
        Ok(())
    }

    /// One exam (charting, view).
    pub async fn perio_exam(&self, id: PerioExamId) -> Result<PerioExamView, AppError> {
        let practice = self.caller.practice_id();
        let db = self.app.db();
        let row = match db.perio_exam(&practice.to_string(), &id.to_string()).await {
            Ok(row) => Some(row),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let patient: Option<PatientId> = row.as_ref().and_then(|r| r.patient_id.parse().ok());
        let access = self
            .access(Category::Charting, Action::View, patient)
            .await?;
        let mut entry = self.perio_entry(&access, AuditAction::View, id);
        if let Some(p) = patient {
            entry = entry.patient(p);
        }
        let names = match patient {
            Some(p) => self.may_name(p).await?,
            None => false,
        };
        let fetch = async {
            let row = row.ok_or(StoreError::NotFound)?;
            let who = db.patient(&practice.to_string(), &row.patient_id).await?;
            Ok((row, who))
        };
        self.app
            .read_audited(practice, entry, fetch, |keys, (row, who)| {
                let mut view = view_of(row, open_exam(keys, row)?);
                view.patient = super::heading(keys, who, names)?;
                Ok(view)
            })
            .await
    }

    /// A patient's exams, oldest first, and whose they are (charting, view): one entry for the
    /// list.
    pub async fn perio_exams(
        &self,
        patient: PatientId,
    ) -> Result<PatientRecords<PerioExamView>, AppError> {
        let access = self
            .access(Category::Charting, Action::View, Some(patient))
            .await?;
        let practice = self.caller.practice_id();
        let mut entry = access
            .audit(AuditAction::View, Outcome::Allowed)
            .about(RecordKind::Chart, patient)
            .patient(patient);
        super::add_reason(&mut entry, "perio_exams");
        let db = self.app.db();
        let (p, i) = (practice.to_string(), patient.to_string());
        let names = self.may_name(patient).await?;
        let fetch = async { Ok((db.patient(&p, &i).await?, db.perio_exams_of(&p, &i).await?)) };
        self.app
            .read_audited(practice, entry, fetch, |keys, (who, rows)| {
                Ok(PatientRecords {
                    patient: super::heading(keys, who, names)?,
                    records: rows
                        .iter()
                        .map(|row| Ok(view_of(row, open_exam(keys, row)?)))
                        .collect::<Result<_, CryptoError>>()?,
                })
            })
            .await
    }

    /// Two exams of one patient side by side (charting, view): one entry, about the newer,
    /// naming the other by id.
    pub async fn compare_perio(
        &self,
        id: PerioExamId,
        with: PerioExamId,
    ) -> Result<PerioComparison, AppError> {
        let practice = self.caller.practice_id();
        let db = self.app.db();
        let (p, a, b) = (practice.to_string(), id.to_string(), with.to_string());
        let first = match db.perio_exam(&p, &a).await {
            Ok(row) => Some(row),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let patient: Option<PatientId> = first.as_ref().and_then(|r| r.patient_id.parse().ok());
        let access = self
            .access(Category::Charting, Action::View, patient)
            .await?;
        let mut entry = self.perio_entry(&access, AuditAction::View, id);
        if let Some(p) = patient {
            entry = entry.patient(p);
        }
        super::add_reason(&mut entry, &format!("compared_with:{with}"));
        let fetch = async {
            let first = first.ok_or(StoreError::NotFound)?;
            let second = db.perio_exam(&p, &b).await?;
            // Another patient's exam is not found here: a comparison is of one patient.
            if second.patient_id != first.patient_id {
                return Err(StoreError::NotFound);
            }
            Ok((first, second))
        };
        let (x, y) = self
            .app
            .read_audited(practice, entry, fetch, |keys, (x, y)| {
                Ok((
                    view_of(x, open_exam(keys, x)?),
                    view_of(y, open_exam(keys, y)?),
                ))
            })
            .await?;
        // The older is the one examined first (then started first).
        let (older, newer) = if (y.exam.exam_date, y.created_ms) <= (x.exam.exam_date, x.created_ms)
        {
            (y, x)
        } else {
            (x, y)
        };
        let sites = compare(&older.exam, &newer.exam);
        Ok(PerioComparison {
            older,
            newer,
            sites,
        })
    }
}
