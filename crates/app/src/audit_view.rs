//! Reading the audit log as a person: the compliance officer's viewer and export. Reading the
//! log is itself audited (who looked at whose trail is part of the trail).

use enamel_audit::Entry;
use enamel_domain::{Action, AuditAction, Category, FieldProblem, Outcome, PatientId, RecordKind};
use enamel_store::AuditQuery;

use crate::access::audit_action_for;
use crate::{Actor, App, AppError};

/// Filters of the viewer; every one optional. Times are unix milliseconds, `to` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// A user id (checked: the canonical form of a UUID).
    pub user_id: Option<String>,
    /// Typed: the viewer's own entry names this patient, so it must be a patient id.
    pub patient_id: Option<PatientId>,
    pub action: Option<AuditAction>,
    pub outcome: Option<Outcome>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Entries after this cursor (the previous page's `next_after`). A practice's entries of
    /// the closed legacy log come first, with negative cursors (`seq - 2^62`); entries of the
    /// practice's own log have their `seq` as cursor.
    pub after_seq: Option<i64>,
    pub limit: i64,
}

/// One page of entries and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub entries: Vec<Entry>,
    /// The cursor to pass as `after_seq` for the next page (see [`AuditFilter::after_seq`]).
    pub next_after: Option<i64>,
}

pub const MAX_AUDIT_PAGE: i64 = 500;
/// An export is one bounded file; narrower filters give the rest.
pub const MAX_AUDIT_EXPORT: i64 = 100_000;

/// User ids are UUIDs in their canonical (hyphenated, lower-case) spelling.
fn is_user_id(value: &str) -> bool {
    uuid::Uuid::try_parse(value).is_ok_and(|u| u.hyphenated().to_string() == value)
}

impl App {
    async fn audit_page(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        action: Action,
        max: i64,
    ) -> Result<AuditPage, AppError> {
        let access = self
            .authorize(actor, Category::AuditLog, action, None)
            .await?;
        if filter.user_id.as_deref().is_some_and(|u| !is_user_id(u)) {
            return Err(AppError::Invalid(vec![FieldProblem::new(
                "user",
                "must be a user id",
            )]));
        }
        let limit = filter.limit.clamp(1, max);
        let query = AuditQuery {
            practice_id: Some(actor.practice_id().to_string()),
            actor_id: filter.user_id.clone(),
            patient_id: filter.patient_id.map(|p| p.to_string()),
            action: filter.action.map(|a| a.as_str().to_string()),
            outcome: filter.outcome.map(|o| o.as_str().to_string()),
            from_ms: filter.from_ms,
            to_ms: filter.to_ms,
            after_seq: filter.after_seq,
            limit: limit + 1,
        };
        let mut trail = self.db().audit_trail(&query).await?;
        let more = i64::try_from(trail.len()).unwrap_or(i64::MAX) > limit;
        trail.truncate(usize::try_from(limit).unwrap_or(0));
        let mut entry = access
            .audit(audit_action_for(action), Outcome::Allowed)
            .about(RecordKind::AuditLog, "*");
        if let Some(p) = filter.patient_id {
            entry = entry.patient(p);
        }
        self.audit().record(entry).await?;
        let next_after = if more {
            trail.last().map(|t| t.cursor)
        } else {
            None
        };
        let entries = trail.into_iter().map(|t| t.entry).collect();
        Ok(AuditPage {
            entries,
            next_after,
        })
    }

    /// One page of the practice's audit entries (audit log, view).
    pub async fn audit_events(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
    ) -> Result<AuditPage, AppError> {
        self.audit_page(actor, filter, Action::View, MAX_AUDIT_PAGE)
            .await
    }

    /// Up to [`MAX_AUDIT_EXPORT`] entries for a download (audit log, export).
    pub async fn export_audit_events(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
    ) -> Result<AuditPage, AppError> {
        self.audit_page(actor, filter, Action::Export, MAX_AUDIT_EXPORT)
            .await
    }
}
