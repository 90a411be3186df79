//! The timeline under the odontogram: every procedure and condition, oldest first, as plain
//! table rows, with the small forms each row offers to the roles that may use them.

use enamel_app::{AddendumView, ProcedureView};
use enamel_domain::clinical::{Numbering, ProcedureStatus};
use enamel_domain::iso_date;

use super::labels::{money, site_words};
use super::odontogram::status_key;
use crate::pages::Nav;

/// What the person's role may do on the chart (for buttons; the room decides again on every
/// request).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ChartRights {
    /// Charting, create: chart a procedure or condition.
    pub create: bool,
    /// Charting, edit: complete, add addenda, mark open work entered in error.
    pub edit: bool,
    /// Charting, delete: the lock override (mark locked work entered in error).
    pub strike_locked: bool,
}

/// An addendum as shown: what it is, when, and its words.
#[derive(Debug, Clone)]
pub(crate) struct AddendumRow {
    pub heading: &'static str,
    pub when: String,
    pub body: String,
}

/// One row of the timeline.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub id: String,
    pub row_version: i64,
    pub status: &'static str,
    /// The pattern key of the status (`None` for entered in error).
    pub status_key: Option<&'static str>,
    pub entered_in_error: bool,
    /// "Locked", "Locks 2026-…", or empty.
    pub lock: String,
    pub locked: bool,
    pub code: String,
    pub description: String,
    pub site: String,
    pub planned_on: String,
    pub completed_on: String,
    pub fee: String,
    pub note: Option<String>,
    pub addenda: Vec<AddendumRow>,
    pub can_complete: bool,
    pub can_invalidate: bool,
    pub can_addendum: bool,
}

impl Row {
    pub(crate) fn has_actions(&self) -> bool {
        self.can_complete || self.can_invalidate || self.can_addendum
    }
}

fn addendum_row(a: &AddendumView, nav: &Nav) -> AddendumRow {
    AddendumRow {
        heading: if a.kind == "invalidation" {
            "Entered in error because"
        } else {
            "Addendum"
        },
        when: nav.when(a.created_ms),
        body: a.body.clone(),
    }
}

/// The rows, oldest first. `changes`: whether the page offers changes at all (not on a past
/// day's chart, not in the billing view).
pub(crate) fn rows(
    procedures: &[ProcedureView],
    numbering: Numbering,
    nav: &Nav,
    rights: ChartRights,
    changes: bool,
) -> Vec<Row> {
    procedures
        .iter()
        .map(|p| {
            let status = p.procedure.status;
            let entered_in_error = status == ProcedureStatus::EnteredInError;
            let lock = match (p.locked, p.locks_at_ms) {
                (true, _) => "Locked".to_string(),
                (false, Some(at)) => format!("Locks {}", nav.when(at)),
                (false, None) => String::new(),
            };
            let open = !entered_in_error && !p.locked;
            Row {
                id: p.id.to_string(),
                row_version: p.row_version,
                status: status.label(),
                status_key: status_key(status),
                entered_in_error,
                lock,
                locked: p.locked,
                code: p.procedure.code.clone(),
                description: p.procedure.description.clone(),
                site: site_words(&p.procedure.site, numbering),
                planned_on: iso_date(p.procedure.planned_on),
                completed_on: p.procedure.completed_on.map(iso_date).unwrap_or_default(),
                fee: money(p.procedure.fee),
                note: p.procedure.note.clone(),
                addenda: p.addenda.iter().map(|a| addendum_row(a, nav)).collect(),
                can_complete: changes && rights.edit && open && status == ProcedureStatus::Planned,
                can_invalidate: changes
                    && !entered_in_error
                    && if p.locked {
                        rights.strike_locked
                    } else {
                        rights.edit
                    },
                can_addendum: changes && rights.edit && !entered_in_error,
            }
        })
        .collect()
}
