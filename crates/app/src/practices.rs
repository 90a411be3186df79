use enamel_domain::{AuditAction, Outcome, PracticeId, PracticeTz, RecordKind};
use enamel_store::PracticeRow;

use crate::access::Access;
use crate::keyring::{PURPOSE_FIELD, PURPOSE_INDEX};
use crate::{App, AppError, RequestOrigin, SystemReason};

/// What `enamel init` asks for.
#[derive(Debug, Clone)]
pub struct NewPractice {
    /// The office's trading name (not PHI).
    pub display_name: String,
    /// Where the office is: its dates ("today", ages) and the times on its pages follow this
    /// zone.
    pub time_zone: PracticeTz,
}

impl App {
    /// Creates a practice with its first field and index keys; the audit entry commits with it.
    pub async fn create_practice(
        &self,
        new: &NewPractice,
        origin: RequestOrigin,
    ) -> Result<PracticeId, AppError> {
        self.insert_practice(new, false, origin).await
    }

    /// `enamel demo`'s practice: like [`App::create_practice`], marked as the demo (its
    /// sign-in page says the data is made up), and audited with the demo as its reason.
    pub async fn create_demo_practice(
        &self,
        new: &NewPractice,
        origin: RequestOrigin,
    ) -> Result<PracticeId, AppError> {
        self.insert_practice(new, true, origin).await
    }

    async fn insert_practice(
        &self,
        new: &NewPractice,
        demo: bool,
        origin: RequestOrigin,
    ) -> Result<PracticeId, AppError> {
        let name = new.display_name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(AppError::Invalid(vec![enamel_domain::FieldProblem::new(
                "display_name",
                "must be one line of 1 to 200 characters",
            )]));
        }
        let id = PracticeId::new();
        let now = self.clock().now_ms();
        let reason = if demo {
            SystemReason::DemoData
        } else {
            SystemReason::PracticeSetup
        };
        let access = Access::system_bypassing_policy(id, reason, origin);
        let mut tx = self.begin_write().await?;
        tx.insert_practice(&PracticeRow {
            id: id.to_string(),
            display_name: name.to_string(),
            created_ms: now,
            active_key_version: 1,
            min_key_version: 1,
            time_zone: new.time_zone.name().to_string(),
            demo,
        })
        .await?;
        let pid = id.to_string();
        self.keys()
            .insert_new_key(&mut tx, &pid, PURPOSE_FIELD, 1, now)
            .await?;
        self.keys()
            .insert_new_key(&mut tx, &pid, PURPOSE_INDEX, 1, now)
            .await?;
        let entry = access
            .audit(AuditAction::PracticeCreated, Outcome::Allowed)
            .about(RecordKind::Practice, id);
        tx.commit(entry.into()).await?;
        Ok(id)
    }

    /// Marks an existing practice as the demo's: only for `enamel demo`, adopting the demo
    /// practice of a folder made before practices carried the marker. Audited as a change of
    /// the practice, with the demo as its reason.
    pub async fn mark_demo_practice(
        &self,
        id: PracticeId,
        origin: RequestOrigin,
    ) -> Result<(), AppError> {
        let access = Access::system_bypassing_policy(id, SystemReason::DemoData, origin);
        let mut tx = self.begin_write().await?;
        tx.mark_practice_demo(&id.to_string()).await?;
        let entry = access
            .audit(AuditAction::Update, Outcome::Allowed)
            .about(RecordKind::Practice, id);
        tx.commit(entry.into()).await?;
        Ok(())
    }

    pub async fn practices(&self) -> Result<Vec<PracticeRow>, AppError> {
        Ok(self.db().practices().await?)
    }

    /// Whether every practice this server holds is a demo (and it holds at least one): the
    /// sign-in page, which comes before anyone is known, then says the data is made up. A
    /// server that also holds a real practice says nothing of the kind, so that no one takes
    /// real patients' records for made-up ones.
    pub async fn serves_only_demo_practices(&self) -> Result<bool, AppError> {
        let practices = self.db().practices().await?;
        Ok(!practices.is_empty() && practices.iter().all(|p| p.demo))
    }
}
