//! The practice's role matrix: the default plus the practice's stored differences, cached per
//! practice for a few seconds (so a change made on one server reaches the others quickly),
//! and the authorization check every record function depends on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use enamel_domain::{
    Action, AuditAction, Category, Outcome, PatientId, Policy, PolicyCell, PracticeId, RecordKind,
    Role,
};
use enamel_store::PolicyOverrideRow;

use crate::access::Access;
use crate::access::{Principal, audit_action_for};
use crate::kernel::WriteTx;
use crate::{Actor, App, AppError};

const CACHE_MS: i64 = 5_000;

#[derive(Debug, Default)]
pub(crate) struct PolicyCache {
    entries: Mutex<HashMap<PracticeId, (i64, Arc<Policy>)>>,
}

impl PolicyCache {
    fn get(&self, practice: PracticeId, now_ms: i64) -> Option<Arc<Policy>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&practice)
            .filter(|(at, _)| now_ms - at < CACHE_MS)
            .map(|(_, p)| p.clone())
    }

    fn put(&self, practice: PracticeId, now_ms: i64, policy: Arc<Policy>) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(practice, (now_ms, policy));
        }
    }

    fn forget(&self, practice: PracticeId) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&practice);
        }
    }
}

/// The matrix as an administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyView {
    pub policy: Policy,
    pub differences: Vec<PolicyCell>,
}

fn cells_from_rows(rows: &[PolicyOverrideRow]) -> Vec<PolicyCell> {
    rows.iter()
        .filter_map(|r| {
            Some(PolicyCell {
                role: Role::parse(&r.role)?,
                category: Category::parse(&r.category)?,
                action: Action::parse(&r.action)?,
                allowed: r.allowed,
            })
        })
        .collect()
}

/// The practice's matrix as stored, read inside `tx` after taking the lock that serializes role
/// assignments and matrix changes (not the cache, which may be a few seconds old): what a
/// separation-of-duties check must see.
pub(crate) async fn locked_policy(
    tx: &mut WriteTx<'_>,
    practice_id: &str,
) -> Result<Policy, AppError> {
    tx.lock_practice_roles(practice_id).await?;
    let rows = tx.policy_overrides_in_tx(practice_id).await?;
    Policy::with_overrides(&cells_from_rows(&rows))
        .map_err(|e| AppError::Internal(format!("stored role matrix overrides are invalid: {e}")))
}

/// Refuses `roles` for one person if together they administer users and use the audit log.
pub(crate) fn check_person_duties(policy: &Policy, roles: &[Role]) -> Result<(), AppError> {
    match policy.person_duty_conflict(roles) {
        Some(problem) => Err(AppError::Refused(problem.to_string())),
        None => Ok(()),
    }
}

impl App {
    /// The practice's effective matrix.
    pub async fn policy(&self, practice: PracticeId) -> Result<Arc<Policy>, AppError> {
        let now = self.clock().now_ms();
        if let Some(p) = self.policy_cache().get(practice, now) {
            return Ok(p);
        }
        let rows = self.db().policy_overrides(&practice.to_string()).await?;
        let policy = Policy::with_overrides(&cells_from_rows(&rows)).map_err(|e| {
            AppError::Internal(format!("stored role matrix overrides are invalid: {e}"))
        })?;
        let policy = Arc::new(policy);
        self.policy_cache().put(practice, now, policy.clone());
        Ok(policy)
    }

    /// Whether `actor` may do `action` on `category` (for `patient`, when the question is
    /// about one patient): `None` if not, `Some(None)` through the matrix or a token's scopes,
    /// `Some(Some(grant))` only through a live break-glass grant for this patient. Writes
    /// nothing.
    async fn permission(
        &self,
        actor: &Actor,
        category: Category,
        action: Action,
        patient: Option<PatientId>,
    ) -> Result<Option<Option<String>>, AppError> {
        let allowed = match &actor.principal {
            Principal::System(_) => true,
            Principal::Staff { roles, .. } => self
                .policy(actor.practice_id())
                .await?
                .allows_any(roles, category, action),
            Principal::Integration { scopes, .. } => scopes.contains(&(category, action)),
        };
        if allowed {
            return Ok(Some(None));
        }
        // Break-glass opens one patient's record to read in an emergency; it never lets anyone
        // change, delete, export or disclose it.
        if let (Some(patient), Some(user_id)) = (patient, actor.user_id())
            && category.is_patient_record()
            && action == Action::View
            && actor.roles().iter().any(|r| r.is_clinician())
            && let Some(grant) = self
                .db()
                .live_emergency_grant(
                    &actor.practice_id().to_string(),
                    user_id,
                    &patient.to_string(),
                    self.clock().now_ms(),
                )
                .await?
        {
            return Ok(Some(Some(grant.id)));
        }
        Ok(None)
    }

    /// Whether the actor may do this, without auditing the question: for deciding how much of
    /// a record to show (minimum necessary), never as a gate on its own.
    pub(crate) async fn may(
        &self,
        actor: &Actor,
        category: Category,
        action: Action,
        patient: Option<PatientId>,
    ) -> Result<bool, AppError> {
        Ok(self
            .permission(actor, category, action, patient)
            .await?
            .is_some())
    }

    /// The one gate to records: checks the matrix (or an integration token's scopes, or a live
    /// break-glass grant for this patient), and on refusal writes a `denied` audit entry
    /// before answering `Forbidden`. The allowed entry is written by the record function that
    /// uses the returned access, so each access leaves exactly one entry.
    pub(crate) async fn authorize(
        &self,
        actor: &Actor,
        category: Category,
        action: Action,
        patient: Option<PatientId>,
    ) -> Result<Access, AppError> {
        match self.permission(actor, category, action, patient).await? {
            Some(None) => return Ok(Access::granted(actor, category, action, None, None)),
            Some(Some(grant)) => {
                return Ok(Access::granted(
                    actor,
                    category,
                    action,
                    patient,
                    Some(grant),
                ));
            }
            None => {}
        }
        let mut entry = actor
            .audit(audit_action_for(action), Outcome::Denied)
            .about_category(category, patient.map_or("*".to_string(), |p| p.to_string()));
        if let Some(p) = patient {
            entry = entry.patient(p);
        }
        self.audit().record(entry).await?;
        Err(AppError::Forbidden)
    }

    /// Checks a matrix permission that guards no single record (lists, administration) and
    /// writes the allowed entry itself.
    pub(crate) async fn authorize_and_record(
        &self,
        actor: &Actor,
        category: Category,
        action: Action,
        record_type: RecordKind,
        record_id: &str,
    ) -> Result<Access, AppError> {
        let access = self.authorize(actor, category, action, None).await?;
        self.audit()
            .record(
                access
                    .audit(audit_action_for(action), Outcome::Allowed)
                    .about(record_type, record_id),
            )
            .await?;
        Ok(access)
    }

    /// The role matrix with the practice's differences (users & roles, view).
    pub async fn view_policy(&self, actor: &Actor) -> Result<PolicyView, AppError> {
        self.authorize_and_record(
            actor,
            Category::UsersAndRoles,
            Action::View,
            RecordKind::Policy,
            "*",
        )
        .await?;
        let rows = self
            .db()
            .policy_overrides(&actor.practice_id().to_string())
            .await?;
        let differences = cells_from_rows(&rows);
        let policy = Policy::with_overrides(&differences).map_err(|e| {
            AppError::Internal(format!("stored role matrix overrides are invalid: {e}"))
        })?;
        Ok(PolicyView {
            policy,
            differences,
        })
    }

    /// Changes one cell of the practice's matrix. Needs users & roles edit and a fresh second
    /// factor; nobody may widen a role they hold themselves; locked cells and combinations that
    /// break separation of duties are refused by the policy core.
    pub async fn set_policy_cell(&self, actor: &Actor, cell: PolicyCell) -> Result<(), AppError> {
        let access = self
            .authorize(actor, Category::UsersAndRoles, Action::Edit, None)
            .await?;
        self.require_fresh_mfa(actor)?;
        if cell.allowed && actor.roles().contains(&cell.role) {
            return Err(AppError::Refused(
                "You cannot widen a role you hold yourself. Ask another administrator.".into(),
            ));
        }
        let practice_id = actor.practice_id().to_string();
        let mut tx = self.begin_write().await?;
        let mut policy = locked_policy(&mut tx, &practice_id).await?;
        policy
            .set(cell.role, cell.category, cell.action, cell.allowed)
            .map_err(|e| AppError::Refused(e.to_string()))?;
        // Separation of duties per person: no one who holds this role may end up with both
        // sides through the roles they hold together.
        let assignments = tx.practice_user_roles_in_tx(&practice_id).await?;
        let mut people: HashMap<&str, Vec<Role>> = HashMap::new();
        for a in &assignments {
            if let Some(role) = Role::parse(&a.role) {
                people.entry(a.user_id.as_str()).or_default().push(role);
            }
        }
        for roles in people.values().filter(|r| r.contains(&cell.role)) {
            check_person_duties(&policy, roles)?;
        }
        let default = Policy::dental_office_default().allows(cell.role, cell.category, cell.action);
        let row = PolicyOverrideRow {
            role: cell.role.as_str().into(),
            category: cell.category.as_str().into(),
            action: cell.action.as_str().into(),
            allowed: cell.allowed,
        };
        tx.set_policy_override(
            &practice_id,
            &row,
            default != cell.allowed,
            &actor.audit_id(),
            self.clock().now_ms(),
        )
        .await?;
        let mut entry = access
            .audit(AuditAction::PermissionChange, Outcome::Allowed)
            .about(
                RecordKind::Policy,
                format!(
                    "{}:{}:{}",
                    cell.role.as_str(),
                    cell.category.as_str(),
                    cell.action.as_str()
                ),
            );
        entry.reason = Some(if cell.allowed { "allow" } else { "deny" }.into());
        tx.commit(entry.into()).await?;
        self.policy_cache().forget(actor.practice_id());
        Ok(())
    }
}
