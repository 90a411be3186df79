//! Treatment plans: drafted from the patient's planned procedures in ordered phases with fee,
//! insurance estimate and patient portion; presenting freezes a copy of every line and its
//! hash; the patient (or their responsible party) accepts with a drawn or typed signature that
//! the practice's record-signing key binds to that hash. Accepted, declined and superseded
//! plans never change. Roles that see billing but not plans (the front desk) see the totals.

use enamel_domain::clinical::{
    Acceptance, AcceptanceDraft, FrozenLine, PlanDraft, PlanStatus, PlannedProcedureFacts,
    Signature, Totals, freeze,
};
use enamel_domain::{Action, AuditAction, Category, Outcome, PatientId, PlanId, RecordKind};
use enamel_store::specs::TREATMENT_PLANS;
use enamel_store::{PlanRow, SealedColumn, StoreError};

use super::note_records::SignatureCheck;
use super::plan_records::{
    PlanClaims, StoredAcceptance, acceptance_bytes, facts_from, frozen_of, frozen_refusal, json,
    lenient_lines, lines_hash, lines_of, new_salt, open_plan, plan_of, stored_of, undecidable,
};
use super::{Chart, Sight};
use crate::access::Access;
use crate::kernel::seal;
use crate::{AppError, AuditDraft, Expected};

pub(super) const DETAILS: SealedColumn = TREATMENT_PLANS.column("details");
pub(super) const ACCEPTANCE: SealedColumn = TREATMENT_PLANS.column("acceptance");

/// A plan's acceptance as recorded.
#[derive(Clone, PartialEq, Eq)]
pub struct AcceptanceView {
    pub acceptance: Acceptance,
    pub accepted_ms: i64,
    pub recorded_by: String,
}

impl std::fmt::Debug for AcceptanceView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AcceptanceView { .. }")
    }
}

/// A plan as its reader sees it. `totals_only` for a reader who sees billing but not plans:
/// then the title, note and lines are withheld.
#[derive(Clone, PartialEq, Eq)]
pub struct PlanView {
    pub id: PlanId,
    pub patient_id: PatientId,
    pub status: PlanStatus,
    pub title: Option<String>,
    pub note: Option<String>,
    /// A draft's lines as they would freeze now; a presented plan's frozen lines.
    pub lines: Vec<FrozenLine>,
    pub totals: Totals,
    pub presented_ms: Option<i64>,
    pub presented_by: Option<String>,
    pub acceptance: Option<AcceptanceView>,
    /// Whether the frozen lines still hash to what was presented and the acceptance's
    /// record-signature holds (`Unsigned` before acceptance).
    pub acceptance_check: SignatureCheck,
    pub decided_ms: Option<i64>,
    pub decided_by: Option<String>,
    pub created_ms: i64,
    pub created_by: String,
    pub updated_ms: i64,
    pub row_version: i64,
    pub totals_only: bool,
}

impl std::fmt::Debug for PlanView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanView")
            .field("id", &self.id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Chart<'_> {
    pub(super) fn plan_entry(
        &self,
        access: &Access,
        action: AuditAction,
        id: PlanId,
    ) -> AuditDraft {
        access
            .audit(action, Outcome::Allowed)
            .about(RecordKind::TreatmentPlan, id)
    }

    /// The patient's planned procedures, as a plan shows them (for a change, once authorized).
    async fn planned_facts(
        &self,
        patient: PatientId,
    ) -> Result<Vec<PlannedProcedureFacts>, AppError> {
        let practice = self.caller.practice_id();
        let rows = self
            .app
            .db()
            .procedures_of(&practice.to_string(), &patient.to_string())
            .await?;
        self.app
            .with_keys(practice, |keys| facts_from(keys, &rows))
            .await
    }

    /// Drafts a plan (treatment plans, create) from the patient's planned procedures.
    pub async fn create_plan(
        &self,
        patient: PatientId,
        draft: &PlanDraft,
    ) -> Result<PlanView, AppError> {
        let access = self
            .access(Category::TreatmentPlans, Action::Create, Some(patient))
            .await?;
        let id = PlanId::new();
        let entry = self
            .plan_entry(&access, AuditAction::Create, id)
            .patient(patient);
        let practice = self.caller.practice_id();
        let entry = self.for_existing_patient(patient, entry).await?;
        let plan = draft.validate().map_err(AppError::Invalid)?;
        let facts = self.planned_facts(patient).await?;
        let lines = freeze(&plan, &facts).map_err(AppError::Invalid)?;
        let keys = self.app.keys_of(practice).await?;
        let now = self.now_ms();
        let row = PlanRow {
            practice_id: practice.to_string(),
            id: id.to_string(),
            patient_id: patient.to_string(),
            key_version: i64::from(keys.active_version()),
            status: PlanStatus::Draft.as_str().into(),
            details: seal::seal(&keys, DETAILS, &id.to_string(), &json(&stored_of(&plan))?)?,
            lines_hash: None,
            presented_ms: None,
            presented_by: None,
            acceptance: None,
            acceptance_signature: None,
            signing_key_version: None,
            decided_ms: None,
            decided_by: None,
            created_ms: now,
            created_by: self.actor().audit_id(),
            updated_ms: now,
            updated_by: self.actor().audit_id(),
            row_version: 1,
        };
        let mut tx = self.app.begin_write().await?;
        tx.insert_plan(&row).await?;
        tx.commit(entry.into()).await?;
        Ok(self.plan_view(
            &row,
            &plan,
            lines,
            None,
            SignatureCheck::Unsigned,
            Sight::Clinical,
        ))
    }

    /// The stored plan for a change (treatment plans, edit); a miss is audited as `failed`.
    async fn plan_for_change(&self, id: PlanId) -> Result<(PlanRow, AuditDraft), AppError> {
        let practice = self.caller.practice_id().to_string();
        let found = self.app.db().plan(&practice, &id.to_string()).await;
        match self.scoped(found, |r| &r.patient_id) {
            Ok(row) => {
                let patient: PatientId = row
                    .patient_id
                    .parse()
                    .map_err(|_| AppError::Internal("a stored patient id is malformed".into()))?;
                let access = self
                    .access(Category::TreatmentPlans, Action::Edit, Some(patient))
                    .await?;
                let entry = self
                    .plan_entry(&access, AuditAction::Update, id)
                    .patient(patient);
                Ok((row, entry))
            }
            Err(StoreError::NotFound) => {
                let access = self
                    .access(Category::TreatmentPlans, Action::Edit, None)
                    .await?;
                let entry = self.plan_entry(&access, AuditAction::Update, id);
                self.not_made(entry, AppError::NotFound).await
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn write_plan(
        &self,
        row: &PlanRow,
        expected: i64,
        entry: AuditDraft,
    ) -> Result<(), AppError> {
        let mut tx = self.app.begin_write().await?;
        if let Err(e) = tx.update_plan(row, expected).await {
            tx.rollback().await?;
            let error = match e {
                StoreError::Conflict => AppError::Conflict,
                StoreError::Refused(_) => frozen_refusal(),
                other => other.into(),
            };
            return self.not_made(entry, error).await;
        }
        tx.commit(entry.into()).await?;
        Ok(())
    }

    /// Replaces a draft (treatment plans, edit). A presented plan is refused.
    pub async fn replace_plan(
        &self,
        id: PlanId,
        draft: &PlanDraft,
        expected: Expected,
        claims: &PlanClaims,
    ) -> Result<PlanView, AppError> {
        let (current, entry) = self.plan_for_change(id).await?;
        let plan = draft.validate().map_err(AppError::Invalid)?;
        if current.status != PlanStatus::Draft.as_str() {
            return self.not_made(entry, frozen_refusal()).await;
        }
        let patient: PatientId = current.patient_id.parse().unwrap_or_default();
        let lines =
            freeze(&plan, &self.planned_facts(patient).await?).map_err(AppError::Invalid)?;
        if let Err(e) = expected.check(current.row_version) {
            return self.not_made(entry, e).await;
        }
        let differences = claims.differences(&current);
        if !differences.is_empty() {
            return Err(AppError::Invalid(differences));
        }
        let keys = self.app.keys_of(self.caller.practice_id()).await?;
        let row = PlanRow {
            key_version: i64::from(keys.active_version()),
            details: seal::seal(&keys, DETAILS, &current.id, &json(&stored_of(&plan))?)?,
            updated_ms: self.now_ms(),
            updated_by: self.actor().audit_id(),
            row_version: current.row_version + 1,
            ..current.clone()
        };
        self.write_plan(&row, current.row_version, entry).await?;
        Ok(self.plan_view(
            &row,
            &plan,
            lines,
            None,
            SignatureCheck::Unsigned,
            Sight::Clinical,
        ))
    }

    /// Presents a draft (treatment plans, edit): every line is frozen as the patient is shown
    /// it, with its hash. Nothing of it changes afterwards.
    pub async fn present_plan(&self, id: PlanId, expected: Expected) -> Result<PlanView, AppError> {
        let (current, mut entry) = self.plan_for_change(id).await?;
        super::add_reason(&mut entry, "present");
        if current.status != PlanStatus::Draft.as_str() {
            return self.not_made(entry, frozen_refusal()).await;
        }
        if let Err(e) = expected.check(current.row_version) {
            return self.not_made(entry, e).await;
        }
        let keys = self.app.keys_of(self.caller.practice_id()).await?;
        let mut stored = open_plan(&keys, &current)?;
        let plan = plan_of(&stored);
        let patient: PatientId = current.patient_id.parse().unwrap_or_default();
        let lines = match freeze(&plan, &self.planned_facts(patient).await?) {
            Ok(lines) => lines,
            Err(problems) => return self.not_made(entry, AppError::Invalid(problems)).await,
        };
        let salt = new_salt()?;
        let hash = lines_hash(&current, &plan, &lines, &salt);
        stored.frozen = Some(frozen_of(&lines));
        stored.salt = Some(salt);
        let now = self.now_ms();
        let row = PlanRow {
            key_version: i64::from(keys.active_version()),
            status: PlanStatus::Presented.as_str().into(),
            details: seal::seal(&keys, DETAILS, &current.id, &json(&stored)?)?,
            lines_hash: Some(hash.to_vec()),
            presented_ms: Some(now),
            presented_by: Some(self.actor().audit_id()),
            updated_ms: now,
            updated_by: self.actor().audit_id(),
            row_version: current.row_version + 1,
            ..current.clone()
        };
        self.write_plan(&row, current.row_version, entry).await?;
        Ok(self.plan_view(
            &row,
            &plan,
            lines,
            None,
            SignatureCheck::Unsigned,
            Sight::Clinical,
        ))
    }

    /// Records the patient's (or responsible party's) acceptance of a presented plan
    /// (treatment plans, edit), with their drawn or typed signature, bound to the frozen lines
    /// by the practice's record-signature.
    pub async fn accept_plan(
        &self,
        id: PlanId,
        draft: &AcceptanceDraft,
        expected: Expected,
    ) -> Result<PlanView, AppError> {
        let (current, mut entry) = self.plan_for_change(id).await?;
        super::add_reason(&mut entry, "accept");
        let acceptance = draft.validate().map_err(AppError::Invalid)?;
        if current.status != PlanStatus::Presented.as_str() {
            return self.not_made(entry, undecidable(&current.status)).await;
        }
        if let Err(e) = expected.check(current.row_version) {
            return self.not_made(entry, e).await;
        }
        let keys = self.signing_keys().await?;
        let key = keys
            .signing_key()
            .ok_or_else(|| AppError::Internal("no record-signing key".into()))?;
        let hash = current
            .lines_hash
            .clone()
            .ok_or_else(|| AppError::Internal("a presented plan has no hash".into()))?;
        // The acceptance binds what the patient is shown: the frozen lines must still hash to
        // what was presented.
        let stored = open_plan(&keys, &current)?;
        let shown = lines_of(stored.frozen.as_deref().unwrap_or_default());
        let holds = stored.salt.as_deref().is_some_and(|salt| {
            lines_hash(&current, &plan_of(&stored), &shown, salt).as_slice() == hash.as_slice()
        });
        if !holds {
            let e = AppError::Refused(
                "This plan's frozen lines no longer match what was presented; it cannot be accepted."
                    .into(),
            );
            return self.not_made(entry, e).await;
        }
        let now = self.now_ms();
        let signature = key.sign(&acceptance_bytes(&hash, &acceptance, now));
        let (kind, text, strokes) = match &acceptance.signature {
            Signature::Typed(t) => ("typed", Some(t.clone()), None),
            Signature::Drawn(s) => ("drawn", None, Some(s.clone())),
        };
        let stored = StoredAcceptance {
            accepted_by: acceptance.accepted_by.as_str().into(),
            signer_name: acceptance.signer_name.clone(),
            channel: acceptance.channel.as_str().into(),
            kind: kind.into(),
            text,
            strokes,
            accepted_ms: now,
        };
        let row = PlanRow {
            status: PlanStatus::Accepted.as_str().into(),
            acceptance: Some(seal::seal(&keys, ACCEPTANCE, &current.id, &json(&stored)?)?),
            acceptance_signature: Some(signature.to_vec()),
            signing_key_version: Some(i64::from(key.version())),
            decided_ms: Some(now),
            decided_by: Some(self.actor().audit_id()),
            updated_ms: now,
            updated_by: self.actor().audit_id(),
            row_version: current.row_version + 1,
            ..current.clone()
        };
        self.write_plan(&row, current.row_version, entry).await?;
        self.read_plan_row(&keys, &row, Sight::Clinical)
            .map_err(AppError::from)
    }

    /// Records that a presented plan was declined, or that it (or a draft) was superseded by
    /// another (treatment plans, edit).
    pub async fn decide_plan(
        &self,
        id: PlanId,
        outcome: PlanStatus,
        expected: Expected,
    ) -> Result<PlanView, AppError> {
        let (current, mut entry) = self.plan_for_change(id).await?;
        super::add_reason(&mut entry, outcome.as_str());
        let now_status = PlanStatus::parse(&current.status)
            .ok_or_else(|| AppError::Internal("a stored plan has no status".into()))?;
        if !matches!(outcome, PlanStatus::Declined | PlanStatus::Superseded)
            || !now_status.can_become(outcome)
        {
            return self.not_made(entry, undecidable(&current.status)).await;
        }
        if let Err(e) = expected.check(current.row_version) {
            return self.not_made(entry, e).await;
        }
        let now = self.now_ms();
        let keys = self.app.keys_of(self.caller.practice_id()).await?;
        // A draft superseded is frozen too (as it stood), so every plan past draft has a hash.
        let mut row = current.clone();
        if now_status == PlanStatus::Draft {
            let mut stored = open_plan(&keys, &current)?;
            let plan = plan_of(&stored);
            let patient: PatientId = current.patient_id.parse().unwrap_or_default();
            let facts = self.planned_facts(patient).await?;
            let lines = lenient_lines(&plan, &facts);
            let salt = new_salt()?;
            row.lines_hash = Some(lines_hash(&current, &plan, &lines, &salt).to_vec());
            stored.frozen = Some(frozen_of(&lines));
            stored.salt = Some(salt);
            row.details = seal::seal(&keys, DETAILS, &current.id, &json(&stored)?)?;
            row.key_version = i64::from(keys.active_version());
            row.presented_ms = Some(now);
            row.presented_by = Some(self.actor().audit_id());
        }
        row.status = outcome.as_str().into();
        row.decided_ms = Some(now);
        row.decided_by = Some(self.actor().audit_id());
        row.updated_ms = now;
        row.updated_by = self.actor().audit_id();
        row.row_version = current.row_version + 1;
        self.write_plan(&row, current.row_version, entry).await?;
        self.read_plan_row(&keys, &row, Sight::Clinical)
            .map_err(AppError::from)
    }
}
