//! Reading treatment plans: who sees how much of a plan (the clinical record's readers, the
//! billing and office roles, the front desk's totals), one plan or a patient's list through
//! the kernel's audited read, and the check that the frozen lines and the acceptance still
//! hold.

use enamel_crypto::{CryptoError, PracticeKeys};
use enamel_domain::clinical::{FrozenLine, Plan, PlanStatus, PlannedProcedureFacts, totals};
use enamel_domain::{Action, AuditAction, Category, Outcome, PatientId, PlanId, RecordKind};
use enamel_store::{PlanRow, StoreError};

use super::note_records::SignatureCheck;
use super::plan_records::{
    acceptance_bytes, facts_from, lenient_lines, lines_hash, lines_of, open_acceptance, open_plan,
    plan_of, status_of,
};
use super::plans::{AcceptanceView, PlanView};
use super::{Chart, PatientRecords, Sight};
use crate::AppError;
use crate::access::Access;

impl Chart<'_> {
    /// The access and sight for reading a patient's plans: treatment plans × view, or else
    /// billing × view (totals only).
    /// Also whether the plan's clinical text (its note, the patient's signature) is shown:
    /// only to a reader who sees the clinical record (charting or notes); billing and the
    /// office manager read the lines and totals they bill from.
    async fn plan_sight(
        &self,
        patient: Option<PatientId>,
    ) -> Result<(Access, Sight, bool), AppError> {
        if !self
            .may(Category::TreatmentPlans, Action::View, patient)
            .await?
            && self.may(Category::Billing, Action::View, patient).await?
        {
            let access = self
                .access(Category::Billing, Action::View, patient)
                .await?;
            return Ok((access, Sight::Billing, false));
        }
        let access = self
            .access(Category::TreatmentPlans, Action::View, patient)
            .await?;
        let text = self.may(Category::Charting, Action::View, patient).await?
            || self
                .may(Category::ClinicalNotes, Action::View, patient)
                .await?;
        Ok((access, Sight::Clinical, text))
    }

    /// One plan (treatment plans, view; the front desk and billing see its totals).
    pub async fn plan(&self, id: PlanId) -> Result<PlanView, AppError> {
        let practice = self.caller.practice_id();
        let db = self.app.db();
        let row = match db.plan(&practice.to_string(), &id.to_string()).await {
            Ok(row) => Some(row),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let patient: Option<PatientId> = row.as_ref().and_then(|r| r.patient_id.parse().ok());
        let (access, sight, text) = self.plan_sight(patient).await?;
        let mut entry = self.plan_entry(&access, AuditAction::View, id);
        if let Some(p) = patient {
            entry = entry.patient(p);
        }
        let practice_text = practice.to_string();
        // A draft's lines are shown as they would freeze now: its procedures are fetched here
        // and opened only after the entry is durable.
        let fetch = async {
            let row = row.ok_or(StoreError::NotFound)?;
            let procedures = if row.status == PlanStatus::Draft.as_str() {
                db.procedures_of(&practice_text, &row.patient_id).await?
            } else {
                Vec::new()
            };
            Ok((row, procedures))
        };
        self.app
            .read_audited(practice, entry, fetch, |keys, (row, procedures)| {
                let facts = facts_from(keys, procedures)?;
                self.read_plan_row_with(keys, row, sight, text, &facts)
            })
            .await
    }

    /// A patient's plans, oldest first, and whose they are (one entry for the list).
    pub async fn plans(&self, patient: PatientId) -> Result<PatientRecords<PlanView>, AppError> {
        let (access, sight, text) = self.plan_sight(Some(patient)).await?;
        let practice = self.caller.practice_id();
        let mut entry = access
            .audit(AuditAction::View, Outcome::Allowed)
            .about(RecordKind::Chart, patient)
            .patient(patient);
        super::add_reason(&mut entry, "treatment_plans");
        let db = self.app.db();
        let (p, i) = (practice.to_string(), patient.to_string());
        let names = self.may_name(patient).await?;
        let fetch = async {
            Ok((
                db.patient(&p, &i).await?,
                db.plans_of(&p, &i).await?,
                db.procedures_of(&p, &i).await?,
            ))
        };
        self.app
            .read_audited(practice, entry, fetch, |keys, (who, rows, procedures)| {
                let facts = facts_from(keys, procedures)?;
                Ok(PatientRecords {
                    patient: super::heading(keys, who, names)?,
                    records: rows
                        .iter()
                        .map(|row| self.read_plan_row_with(keys, row, sight, text, &facts))
                        .collect::<Result<_, _>>()?,
                })
            })
            .await
    }

    pub(super) fn read_plan_row(
        &self,
        keys: &PracticeKeys,
        row: &PlanRow,
        sight: Sight,
    ) -> Result<PlanView, CryptoError> {
        self.read_plan_row_with(keys, row, sight, true, &[])
    }

    fn read_plan_row_with(
        &self,
        keys: &PracticeKeys,
        row: &PlanRow,
        sight: Sight,
        text: bool,
        facts: &[PlannedProcedureFacts],
    ) -> Result<PlanView, CryptoError> {
        let stored = open_plan(keys, row)?;
        let plan = plan_of(&stored);
        let lines = match &stored.frozen {
            Some(frozen) => lines_of(frozen),
            None => lenient_lines(&plan, facts),
        };
        let acceptance = open_acceptance(keys, row)?;
        // A frozen plan's lines must still hash to what was presented, accepted or not.
        let frozen_holds = match (&row.lines_hash, &stored.salt) {
            (Some(hash), Some(salt)) => {
                lines_hash(row, &plan, &lines, salt).as_slice() == hash.as_slice()
            }
            (None, _) => true,
            (Some(_), None) => false,
        };
        let check = match (&row.lines_hash, &acceptance, &row.acceptance_signature) {
            _ if !frozen_holds => SignatureCheck::Invalid,
            (Some(hash), Some(a), Some(sig)) => {
                let key = row
                    .signing_key_version
                    .and_then(|v| u32::try_from(v).ok())
                    .and_then(|v| keys.signing_key_version(v));
                let holds = key.is_some_and(|k| {
                    k.verify(&acceptance_bytes(hash, &a.acceptance, a.accepted_ms), sig)
                });
                if holds {
                    SignatureCheck::Valid
                } else {
                    SignatureCheck::Invalid
                }
            }
            _ if row.status == PlanStatus::Accepted.as_str() => SignatureCheck::Invalid,
            _ => SignatureCheck::Unsigned,
        };
        let mut view = self.plan_view(row, &plan, lines, acceptance, check, sight);
        if !text {
            view.note = None;
            view.acceptance = None;
        }
        Ok(view)
    }

    pub(super) fn plan_view(
        &self,
        row: &PlanRow,
        plan: &Plan,
        lines: Vec<FrozenLine>,
        acceptance: Option<AcceptanceView>,
        acceptance_check: SignatureCheck,
        sight: Sight,
    ) -> PlanView {
        let totals_only = sight == Sight::Billing;
        let sums = totals(&lines);
        PlanView {
            id: row.id.parse().unwrap_or_default(),
            patient_id: row.patient_id.parse().unwrap_or_default(),
            status: status_of(row).unwrap_or(PlanStatus::Draft),
            title: (!totals_only).then(|| plan.title.clone()),
            note: if totals_only { None } else { plan.note.clone() },
            lines: if totals_only { Vec::new() } else { lines },
            totals: sums,
            presented_ms: row.presented_ms,
            presented_by: row.presented_by.clone(),
            acceptance: if totals_only { None } else { acceptance },
            acceptance_check,
            decided_ms: row.decided_ms,
            decided_by: row.decided_by.clone(),
            created_ms: row.created_ms,
            created_by: row.created_by.clone(),
            updated_ms: row.updated_ms,
            row_version: row.row_version,
            totals_only,
        }
    }
}
