//! Patient records: sealed on the way in, audited, opened on the way out.

use std::sync::Arc;

use enamel_crypto::{CryptoError, PracticeKeys};
use enamel_domain::{Action, AuditAction, Category, Outcome, Patient, PatientDraft, PatientId};
use enamel_store::{PatientRow, StoreError};
use time::macros::format_description;
use zeroize::Zeroizing;

use crate::{Access, App, AppError, AuditDraft};

const TABLE: &str = "patients";
const RECORD_TYPE: &str = "patient";
/// Blind-index domains: one per searchable field, so equal values in two fields never match.
const FAMILY_NAME_INDEX: &str = "patient.family_name";
const BIRTH_DATE_INDEX: &str = "patient.birth_date";

/// A patient as shown to an authorised reader. Debug never prints the values.
#[derive(Clone, PartialEq, Eq)]
pub struct PatientView {
    pub id: PatientId,
    pub family_name: String,
    pub given_name: String,
    pub birth_date: String,
    pub row_version: i64,
}

impl std::fmt::Debug for PatientView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatientView")
            .field("id", &self.id)
            .field("row_version", &self.row_version)
            .finish_non_exhaustive()
    }
}

fn iso_date(d: time::Date) -> String {
    d.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

fn seal_patient(
    keys: &PracticeKeys,
    practice_id: &str,
    patient: &Patient,
    now_ms: i64,
) -> Result<PatientRow, AppError> {
    let id = patient.id.to_string();
    let birth_date = iso_date(patient.birth_date);
    Ok(PatientRow {
        practice_id: practice_id.to_string(),
        key_version: i64::from(keys.active_version()),
        family_name: keys.seal_str(TABLE, "family_name", &id, &patient.family_name)?,
        given_name: keys.seal_str(TABLE, "given_name", &id, &patient.given_name)?,
        birth_date: keys.seal_str(TABLE, "birth_date", &id, &birth_date)?,
        family_name_bidx: keys
            .index()
            .exact(FAMILY_NAME_INDEX, &patient.family_name)
            .to_vec(),
        birth_date_bidx: keys
            .index()
            .exact_raw(BIRTH_DATE_INDEX, birth_date.as_bytes())
            .to_vec(),
        id,
        created_ms: now_ms,
        updated_ms: now_ms,
        row_version: 1,
    })
}

fn open_patient(keys: &PracticeKeys, row: &PatientRow) -> Result<PatientView, CryptoError> {
    let open = |column: &str, sealed: &[u8]| -> Result<Zeroizing<String>, CryptoError> {
        keys.open_string(TABLE, column, &row.id, sealed)
    };
    Ok(PatientView {
        id: row
            .id
            .parse()
            .map_err(|_| CryptoError::Malformed("patient id"))?,
        family_name: open("family_name", &row.family_name)?.to_string(),
        given_name: open("given_name", &row.given_name)?.to_string(),
        birth_date: open("birth_date", &row.birth_date)?.to_string(),
        row_version: row.row_version,
    })
}

impl App {
    async fn keys_for(&self, access: &Access) -> Result<Arc<PracticeKeys>, AppError> {
        self.keys()
            .practice(access.practice_id(), self.clock().now_ms())
            .await
    }

    /// Opens rows, reloading the key set once if a row names a version this process has not
    /// loaded yet (another server rotated).
    async fn open_rows(
        &self,
        access: &Access,
        rows: &[PatientRow],
    ) -> Result<Vec<PatientView>, AppError> {
        let mut keys = self.keys_for(access).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let view = match open_patient(&keys, row) {
                Err(CryptoError::UnknownKeyVersion { .. }) => {
                    keys = self
                        .keys()
                        .reload(access.practice_id(), self.clock().now_ms())
                        .await?;
                    open_patient(&keys, row)?
                }
                other => other?,
            };
            out.push(view);
        }
        Ok(out)
    }

    /// Creates patients; each gets its own `create` entry in the same transaction.
    pub async fn create_patients(
        &self,
        access: &Access,
        drafts: &[PatientDraft],
    ) -> Result<Vec<PatientId>, AppError> {
        access.ensure(Category::Demographics, Action::Create, None)?;
        let today = self.clock().today();
        let now = self.clock().now_ms();
        let keys = self.keys_for(access).await?;
        let practice_id = access.practice_id().to_string();
        let mut rows = Vec::with_capacity(drafts.len());
        let mut entries = Vec::with_capacity(drafts.len());
        let mut ids = Vec::with_capacity(drafts.len());
        for draft in drafts {
            let patient = draft
                .validate(PatientId::new(), today)
                .map_err(AppError::Invalid)?;
            rows.push(seal_patient(&keys, &practice_id, &patient, now)?);
            entries.push(
                access
                    .audit(AuditAction::Create, Outcome::Allowed)
                    .about(RECORD_TYPE, patient.id)
                    .patient(patient.id),
            );
            ids.push(patient.id);
        }
        let mut tx = self.db().begin().await?;
        tx.insert_patients(&rows).await?;
        self.audit().record_in(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(ids)
    }

    pub async fn create_patient(
        &self,
        access: &Access,
        draft: &PatientDraft,
    ) -> Result<PatientId, AppError> {
        let ids = self
            .create_patients(access, std::slice::from_ref(draft))
            .await?;
        ids.into_iter()
            .next()
            .ok_or_else(|| AppError::Internal("no patient was created".into()))
    }

    /// Replaces a patient's fields if `expected_version` is still current.
    pub async fn update_patient(
        &self,
        access: &Access,
        id: PatientId,
        draft: &PatientDraft,
        expected_version: i64,
    ) -> Result<i64, AppError> {
        access.ensure(Category::Demographics, Action::Edit, Some(id))?;
        let patient = draft
            .validate(id, self.clock().today())
            .map_err(AppError::Invalid)?;
        let keys = self.keys_for(access).await?;
        let now = self.clock().now_ms();
        let practice_id = access.practice_id().to_string();
        let mut tx = self.db().begin().await?;
        let mut row = seal_patient(&keys, &practice_id, &patient, now)?;
        row.row_version = expected_version + 1;
        let entry = access
            .audit(AuditAction::Update, Outcome::Allowed)
            .about(RECORD_TYPE, id)
            .patient(id);
        match tx.update_patient(&row, expected_version).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                tx.rollback().await?;
                return Err(AppError::Conflict);
            }
            Err(e) => return Err(e.into()),
        }
        self.audit().record_in(&mut tx, vec![entry]).await?;
        tx.commit().await?;
        Ok(row.row_version)
    }

    /// Reads one patient. The `view` entry is durable before any value is decrypted; a miss is
    /// audited as `failed` (it may be a probe for another practice's ids).
    pub async fn read_patient(
        &self,
        access: &Access,
        id: PatientId,
    ) -> Result<PatientView, AppError> {
        access.ensure(Category::Demographics, Action::View, Some(id))?;
        let entry = access
            .audit(AuditAction::View, Outcome::Allowed)
            .about(RECORD_TYPE, id)
            .patient(id);
        let row = match self
            .db()
            .patient(&access.practice_id().to_string(), &id.to_string())
            .await
        {
            Ok(row) => row,
            Err(StoreError::NotFound) => {
                let failed = AuditDraft {
                    outcome: Outcome::Failed,
                    ..entry
                };
                self.audit().record(failed).await?;
                return Err(AppError::NotFound);
            }
            Err(e) => return Err(e.into()),
        };
        self.audit().record(entry).await?;
        let mut views = self.open_rows(access, std::slice::from_ref(&row)).await?;
        views.pop().ok_or(AppError::NotFound)
    }

    /// Exact family-name search through the blind index; one `search` entry for the query.
    pub async fn find_patients_by_family_name(
        &self,
        access: &Access,
        family_name: &str,
        limit: i64,
    ) -> Result<Vec<PatientView>, AppError> {
        access.ensure(Category::Demographics, Action::View, None)?;
        let keys = self.keys_for(access).await?;
        let token = keys.index().exact(FAMILY_NAME_INDEX, family_name);
        let rows = self
            .db()
            .patients_by_family_name(
                &access.practice_id().to_string(),
                &token,
                limit.clamp(1, 500),
            )
            .await?;
        self.audit()
            .record(
                access
                    .audit(AuditAction::Search, Outcome::Allowed)
                    .about(RECORD_TYPE, "*"),
            )
            .await?;
        self.open_rows(access, &rows).await
    }
}
