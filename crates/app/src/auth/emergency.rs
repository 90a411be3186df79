//! Break-glass: a clinician without a normal grant opens one patient's record for a limited
//! time after typing a justification. The grant never reaches beyond that patient or that
//! window; every access through it is audited with the grant's id; the compliance officer
//! reviews each grant, and the review is audited too. The justification may describe clinical
//! facts, so it is sealed like PHI and the audit log names only the grant.

use enamel_domain::{Action, AuditAction, Category, FieldProblem, Outcome, PatientId, RecordKind};
use enamel_store::EmergencyGrantRow;
use zeroize::Zeroizing;

use super::ms;
use crate::kernel::seal;
use crate::{Actor, App, AppError};
use enamel_store::SealedColumn;
use enamel_store::specs::EMERGENCY_GRANTS;

const JUSTIFICATION: SealedColumn = EMERGENCY_GRANTS.column("justification");
const MIN_JUSTIFICATION_CHARS: usize = 20;
const MAX_JUSTIFICATION_CHARS: usize = 2000;
/// Grants per page of the review queue.
pub const MAX_REVIEW_PAGE: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmergencyDecision {
    /// The access was justified.
    Accepted,
    /// The access needs follow-up (possible misuse).
    Escalated,
}

impl EmergencyDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            EmergencyDecision::Accepted => "accepted",
            EmergencyDecision::Escalated => "escalated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "accepted" => Some(EmergencyDecision::Accepted),
            "escalated" => Some(EmergencyDecision::Escalated),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyGrant {
    pub id: String,
    pub patient_id: PatientId,
    pub expires_ms: i64,
}

/// One grant in the compliance officer's review queue.
#[derive(Clone, PartialEq, Eq)]
pub struct EmergencyReviewItem {
    pub id: String,
    pub user_id: String,
    pub patient_id: String,
    pub justification: Zeroizing<String>,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub review_status: String,
    pub reviewed_by: Option<String>,
    pub reviewed_ms: Option<i64>,
}

impl std::fmt::Debug for EmergencyReviewItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmergencyReviewItem")
            .field("id", &self.id)
            .field("review_status", &self.review_status)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Opens break-glass access to one patient for the configured window.
    pub async fn open_emergency_access(
        &self,
        actor: &Actor,
        patient_id: PatientId,
        justification: &str,
    ) -> Result<EmergencyGrant, AppError> {
        let user_id = actor.user_id().ok_or(AppError::Forbidden)?.to_string();
        let practice_id = actor.practice_id().to_string();
        if !actor.roles().iter().any(|r| r.is_clinician()) {
            self.audit()
                .record(
                    actor
                        .audit(AuditAction::EmergencyAccess, Outcome::Denied)
                        .about(RecordKind::Patient, patient_id)
                        .patient(patient_id),
                )
                .await?;
            return Err(AppError::Forbidden);
        }
        // Opening another patient's record outside one's role is the most sensitive thing a
        // session can do: a stolen or unattended session must prove its second factor again.
        self.require_fresh_mfa(actor)?;
        let text = justification.trim();
        let chars = text.chars().count();
        if !(MIN_JUSTIFICATION_CHARS..=MAX_JUSTIFICATION_CHARS).contains(&chars) {
            return Err(AppError::Invalid(vec![FieldProblem::new(
                "justification",
                "Explain in at least 20 characters why you need this record now.",
            )]));
        }
        // The patient must exist in this practice; a miss is a failed (audited) attempt.
        if !self
            .db()
            .patient_exists(&practice_id, &patient_id.to_string())
            .await?
        {
            self.audit()
                .record(
                    actor
                        .audit(AuditAction::EmergencyAccess, Outcome::Failed)
                        .about(RecordKind::Patient, patient_id)
                        .patient(patient_id),
                )
                .await?;
            return Err(AppError::NotFound);
        }
        // A grant to this patient that a reviewer stopped (escalated, or ended early) is not
        // reopened by the same person with a new justification: that needs the reviewer.
        if self
            .db()
            .stopped_emergency_grant_exists(&practice_id, &user_id, &patient_id.to_string())
            .await?
        {
            let mut entry = actor
                .audit(AuditAction::EmergencyAccess, Outcome::Denied)
                .about(RecordKind::Patient, patient_id)
                .patient(patient_id);
            entry.reason = Some("an earlier grant to this patient was stopped".into());
            self.audit().record(entry).await?;
            return Err(AppError::Refused(
                "Your earlier emergency access to this patient was stopped by the compliance \
                 officer. Speak to them, or ask a colleague to open the record."
                    .into(),
            ));
        }
        let keys = self.keys_of(actor.practice_id()).await?;
        let now = self.clock().now_ms();
        let id = uuid::Uuid::now_v7().to_string();
        let row = EmergencyGrantRow {
            practice_id: practice_id.clone(),
            id: id.clone(),
            user_id,
            patient_id: patient_id.to_string(),
            key_version: i64::from(keys.active_version()),
            justification: seal::seal(&keys, JUSTIFICATION, &id, text.as_bytes())?,
            created_ms: now,
            expires_ms: now + ms(self.auth_settings().emergency_window),
            review_status: "pending".into(),
            reviewed_by: None,
            reviewed_ms: None,
        };
        let mut entry = actor
            .audit(AuditAction::EmergencyAccess, Outcome::Allowed)
            .about(RecordKind::EmergencyGrant, &id)
            .patient(patient_id);
        entry.reason = Some(format!("emergency_grant:{id}"));
        let mut tx = self.begin_write().await?;
        tx.insert_emergency_grant(&row).await?;
        tx.commit(entry.into()).await?;
        Ok(EmergencyGrant {
            id,
            patient_id,
            expires_ms: row.expires_ms,
        })
    }

    /// The review queue (audit log, view): grants with their decrypted justification, at most
    /// `limit` (1 to [`MAX_REVIEW_PAGE`], or one more, which tells a caller whether another
    /// page follows) after the grant id `after`. Pending grants come
    /// oldest first, so none is hidden behind newer ones; all grants come newest first.
    pub async fn emergency_reviews(
        &self,
        actor: &Actor,
        pending_only: bool,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<EmergencyReviewItem>, AppError> {
        if after.is_some_and(|a| a.len() > 64) {
            return Err(AppError::Invalid(vec![FieldProblem::new(
                "after",
                "must be the id of an emergency access",
            )]));
        }
        self.authorize_and_record(
            actor,
            Category::AuditLog,
            Action::View,
            RecordKind::EmergencyGrant,
            "*",
        )
        .await?;
        let rows = self
            .db()
            .emergency_grants(
                &actor.practice_id().to_string(),
                pending_only,
                after,
                limit.clamp(1, MAX_REVIEW_PAGE + 1),
            )
            .await?;
        let keys = self.keys_of(actor.practice_id()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(EmergencyReviewItem {
                justification: seal::open_string(&keys, JUSTIFICATION, &r.id, &r.justification)?,
                id: r.id,
                user_id: r.user_id,
                patient_id: r.patient_id,
                created_ms: r.created_ms,
                expires_ms: r.expires_ms,
                review_status: r.review_status,
                reviewed_by: r.reviewed_by,
                reviewed_ms: r.reviewed_ms,
            })
        }
        Ok(out)
    }

    /// Ends a grant at once (audit log, view: the reviewer's right), whatever its review
    /// status; audited as an `emergency_review` with reason `revoked`. A pending grant is
    /// escalated with it, so its holder cannot open another to the same patient. A grant that
    /// has already ended is a conflict.
    pub async fn revoke_emergency_access(
        &self,
        actor: &Actor,
        grant_id: &str,
    ) -> Result<(), AppError> {
        let access = self
            .authorize(actor, Category::AuditLog, Action::View, None)
            .await?;
        let practice_id = actor.practice_id().to_string();
        let Some(grant) = self.db().emergency_grant(&practice_id, grant_id).await? else {
            return Err(AppError::NotFound);
        };
        let mut entry = access
            .audit(AuditAction::EmergencyReview, Outcome::Allowed)
            .about(RecordKind::EmergencyGrant, grant_id)
            .patient(&grant.patient_id);
        entry.reason = Some("revoked".into());
        let now = self.clock().now_ms();
        let mut tx = self.begin_write().await?;
        if !tx.end_emergency_grant(&practice_id, grant_id, now).await? {
            tx.rollback().await?;
            return Err(AppError::Refused(
                "This emergency access has already ended.".into(),
            ));
        }
        // Ending a grant early is the reviewer's judgement that it should not go on: a pending
        // grant is escalated with it, so its holder cannot simply open another one.
        tx.review_emergency_grant(
            &practice_id,
            grant_id,
            "escalated",
            &access.actor().audit_id(),
            now,
        )
        .await?;
        tx.commit(entry.into()).await?;
        Ok(())
    }

    /// Records the review of one grant; nobody reviews their own.
    pub async fn review_emergency_access(
        &self,
        actor: &Actor,
        grant_id: &str,
        decision: EmergencyDecision,
    ) -> Result<(), AppError> {
        let access = self
            .authorize(actor, Category::AuditLog, Action::View, None)
            .await?;
        let practice_id = actor.practice_id().to_string();
        let Some(grant) = self.db().emergency_grant(&practice_id, grant_id).await? else {
            return Err(AppError::NotFound);
        };
        if grant.review_status != "pending" {
            return Err(AppError::Conflict);
        }
        if actor.user_id() == Some(grant.user_id.as_str()) {
            return Err(AppError::Refused(
                "You cannot review your own emergency access.".into(),
            ));
        }
        let mut entry = access
            .audit(AuditAction::EmergencyReview, Outcome::Allowed)
            .about(RecordKind::EmergencyGrant, grant_id)
            .patient(&grant.patient_id);
        entry.reason = Some(decision.as_str().into());
        let mut tx = self.begin_write().await?;
        if !tx
            .review_emergency_grant(
                &practice_id,
                grant_id,
                decision.as_str(),
                &actor.audit_id(),
                self.clock().now_ms(),
            )
            .await?
        {
            tx.rollback().await?;
            return Err(AppError::Conflict);
        }
        tx.commit(entry.into()).await?;
        Ok(())
    }
}
