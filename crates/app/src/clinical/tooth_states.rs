//! Tooth states: what each of a patient's teeth is (missing, unerupted, impacted, an implant),
//! recorded one change at a time (charting, create) and never changed afterwards; a wrong
//! state is corrected by recording the right one. The chart folds them (`read.rs`); the
//! history lists every change. Each request leaves one audit entry.

use enamel_crypto::{CryptoError, PracticeKeys};
use enamel_domain::clinical::{
    Tooth, ToothState, ToothStateChange, ToothStateDraft, current_states,
};
use enamel_domain::{Action, AuditAction, Category, Outcome, PatientId, RecordKind, ToothStateId};
use enamel_store::specs::TOOTH_STATES;
use enamel_store::{SealedColumn, StoreError, ToothStateRow};
use serde::{Deserialize, Serialize};

use super::Chart;
use crate::AppError;
use crate::kernel::seal;

const DETAILS: SealedColumn = TOOTH_STATES.column("details");

/// One recorded change of a tooth's state.
#[derive(Clone, PartialEq, Eq)]
pub struct ToothStateView {
    pub id: ToothStateId,
    pub patient_id: PatientId,
    pub tooth: Tooth,
    pub state: ToothState,
    pub recorded_ms: i64,
    pub recorded_by: String,
}

impl std::fmt::Debug for ToothStateView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToothStateView")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The sealed value of one change. Field names are stored: never rename them.
#[derive(Serialize, Deserialize)]
struct StoredChange {
    tooth: String,
    state: String,
}

fn seal_change(
    keys: &PracticeKeys,
    id: &str,
    change: ToothStateChange,
) -> Result<Vec<u8>, CryptoError> {
    let stored = StoredChange {
        tooth: change.tooth.to_string(),
        state: change.state.as_str().to_string(),
    };
    let json = serde_json::to_vec(&stored)
        .map_err(|_| CryptoError::Malformed("a record could not be encoded"))?;
    seal::seal(keys, DETAILS, id, &json)
}

/// Opens one stored change.
pub(super) fn open_change(
    keys: &PracticeKeys,
    row: &ToothStateRow,
) -> Result<ToothStateView, CryptoError> {
    let bad = || CryptoError::Malformed("a stored tooth state");
    let json = seal::open(keys, DETAILS, &row.id, &row.details)?;
    let stored: StoredChange = serde_json::from_slice(&json).map_err(|_| bad())?;
    Ok(ToothStateView {
        id: row.id.parse().map_err(|_| bad())?,
        patient_id: row.patient_id.parse().map_err(|_| bad())?,
        tooth: Tooth::parse(&stored.tooth).ok_or_else(bad)?,
        state: ToothState::parse(&stored.state).ok_or_else(bad)?,
        recorded_ms: row.created_ms,
        recorded_by: row.created_by.clone(),
    })
}

/// The teeth that are not simply present, in Universal order, from a patient's changes in the
/// order recorded.
pub(super) fn fold(changes: Vec<ToothStateView>) -> Vec<ToothStateView> {
    current_states(changes, |c| ToothStateChange {
        tooth: c.tooth,
        state: c.state,
    })
    .into_values()
    .collect()
}

impl Chart<'_> {
    /// Records what a tooth now is (charting, create).
    pub async fn record_tooth_state(
        &self,
        patient: PatientId,
        draft: &ToothStateDraft,
    ) -> Result<ToothStateView, AppError> {
        let access = self
            .access(Category::Charting, Action::Create, Some(patient))
            .await?;
        let id = ToothStateId::new();
        let entry = access
            .audit(AuditAction::Create, Outcome::Allowed)
            .about(RecordKind::ToothState, id)
            .patient(patient);
        let practice = self.caller.practice_id();
        let entry = self.for_existing_patient(patient, entry).await?;
        let change = draft.validate().map_err(AppError::Invalid)?;
        let keys = self.app.keys_of(practice).await?;
        let row = ToothStateRow {
            practice_id: practice.to_string(),
            id: id.to_string(),
            patient_id: patient.to_string(),
            key_version: i64::from(keys.active_version()),
            details: seal_change(&keys, &id.to_string(), change)?,
            created_ms: self.now_ms(),
            created_by: self.actor().audit_id(),
        };
        let mut tx = self.app.begin_write().await?;
        tx.insert_tooth_state(&row).await?;
        tx.commit(entry.into()).await?;
        Ok(ToothStateView {
            id,
            patient_id: patient,
            tooth: change.tooth,
            state: change.state,
            recorded_ms: row.created_ms,
            recorded_by: row.created_by,
        })
    }

    /// Every change of a patient's tooth states in the order recorded (charting, view; billing
    /// too, since a claim names the missing teeth): one entry for the list.
    pub async fn tooth_state_history(
        &self,
        patient: PatientId,
    ) -> Result<Vec<ToothStateView>, AppError> {
        let (access, _sight) = self.sight(patient).await?;
        let practice = self.caller.practice_id();
        let mut entry = access
            .audit(AuditAction::View, Outcome::Allowed)
            .about(RecordKind::Chart, patient)
            .patient(patient);
        super::add_reason(&mut entry, "tooth_states");
        let db = self.app.db();
        let (p, i) = (practice.to_string(), patient.to_string());
        let fetch = async {
            if !db.patient_exists(&p, &i).await? {
                return Err(StoreError::NotFound);
            }
            db.tooth_states_of(&p, &i).await
        };
        self.app
            .read_audited(practice, entry, fetch, |keys, rows| {
                rows.iter().map(|row| open_change(keys, row)).collect()
            })
            .await
    }
}
