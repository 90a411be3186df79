//! Reads of patient records, all through the kernel's audited read: the entry is durable
//! before any value is opened, a miss is audited as `failed`, and only the categories the
//! caller may see are opened.

use enamel_domain::{Action, AuditAction, Category, Outcome, PatientId, RecordKind};
use enamel_store::StoreError;

use super::sealing::{self, Reveal};
use super::write::Current;
use super::{
    MAX_VERSIONS_PAGE, PatientVersionPage, PatientVersionSummary, PatientView, Patients, ViewMeta,
    view_of,
};
use crate::AppError;

impl Patients<'_> {
    /// Reads one patient (demographics, view). Contact details and insurance are opened only
    /// if the caller's role may see them.
    pub async fn read(&self, id: PatientId) -> Result<PatientView, AppError> {
        let access = self
            .access(Category::Demographics, Action::View, Some(id))
            .await?;
        let reveal = self.reveal_for(Some(id)).await?;
        let practice = self.caller.practice_id();
        let entry = access
            .audit(AuditAction::View, Outcome::Allowed)
            .about(RecordKind::Patient, id)
            .patient(id);
        let (practice_text, id_text) = (practice.to_string(), id.to_string());
        let fetch = self.app.db().patient(&practice_text, &id_text);
        let today = self.today().await?;
        self.app
            .read_audited(practice, entry, fetch, |keys, row| {
                let record = sealing::open_record(keys, row, reveal)?;
                Ok(view_of(
                    id,
                    ViewMeta::from(row),
                    record,
                    reveal,
                    today,
                    access.is_emergency(),
                ))
            })
            .await
    }

    /// The current row and its record, fully opened (for changes; nothing leaves the room).
    pub(super) async fn current(&self, id: PatientId) -> Result<Current, AppError> {
        let practice = self.caller.practice_id();
        let row = self
            .app
            .db()
            .patient(&practice.to_string(), &id.to_string())
            .await?;
        let record = self
            .app
            .with_keys(practice, |keys| {
                sealing::open_record(keys, &row, Reveal::ALL)
            })
            .await?;
        Ok(Current { row, record })
    }

    /// A record's history (demographics, view): who changed what, and when; field names only.
    /// One page of a record's history, oldest first: at most `limit` (1 to
    /// [`MAX_VERSIONS_PAGE`]) versions after `after_version` (0 for the first page).
    pub async fn versions(
        &self,
        id: PatientId,
        after_version: i64,
        limit: i64,
    ) -> Result<PatientVersionPage, AppError> {
        let limit = limit.clamp(1, MAX_VERSIONS_PAGE);
        let access = self
            .access(Category::Demographics, Action::View, Some(id))
            .await?;
        let practice = self.caller.practice_id();
        let entry = access
            .audit(AuditAction::View, Outcome::Allowed)
            .about(RecordKind::PatientVersions, id)
            .patient(id);
        let db = self.app.db();
        let fetch = async {
            let (p, i) = (practice.to_string(), id.to_string());
            // One more than the page tells whether another follows.
            let rows = db
                .patient_versions(&p, &i, after_version, limit + 1)
                .await?;
            if rows.is_empty() && !db.patient_exists(&p, &i).await? {
                return Err(StoreError::NotFound);
            }
            Ok(rows)
        };
        self.app
            .read_audited(practice, entry, fetch, |_keys, rows| {
                let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
                let versions: Vec<PatientVersionSummary> = rows
                    .iter()
                    .take(usize::try_from(limit).unwrap_or(0))
                    .map(|v| PatientVersionSummary {
                        row_version: v.row_version,
                        change: v.change.clone(),
                        changed_fields: v
                            .changed_fields
                            .split(',')
                            .filter(|f| !f.is_empty())
                            .map(str::to_string)
                            .collect(),
                        changed_by: v.changed_by.clone(),
                        changed_ms: v.changed_ms,
                    })
                    .collect();
                let next_after = more
                    .then(|| versions.last().map(|v| v.row_version))
                    .flatten();
                Ok(PatientVersionPage {
                    versions,
                    next_after,
                })
            })
            .await
    }

    /// One earlier state of a record (demographics, view), opened as far as the caller's role
    /// may see today; audited as a view of that version.
    pub async fn version(&self, id: PatientId, row_version: i64) -> Result<PatientView, AppError> {
        let access = self
            .access(Category::Demographics, Action::View, Some(id))
            .await?;
        let reveal = self.reveal_for(Some(id)).await?;
        let practice = self.caller.practice_id();
        let version_id = format!("{id}:{row_version}");
        let entry = access
            .audit(AuditAction::View, Outcome::Allowed)
            .about(RecordKind::PatientVersion, &version_id)
            .patient(id);
        let db = self.app.db();
        let fetch = async {
            db.patient_versions(
                &practice.to_string(),
                &id.to_string(),
                row_version.saturating_sub(1),
                1,
            )
            .await?
            .into_iter()
            .find(|v| v.row_version == row_version)
            .ok_or(StoreError::NotFound)
        };
        let today = self.today().await?;
        self.app
            .read_audited(practice, entry, fetch, |keys, version| {
                let mut record = sealing::open_snapshot(keys, &version.id, &version.snapshot)?;
                if !reveal.contact {
                    record.contact = sealing::ContactDoc::default();
                }
                if !reveal.insurance {
                    record.insurance = sealing::InsuranceDoc::default();
                }
                let meta = ViewMeta {
                    row_version: version.row_version,
                    status: record.status.clone(),
                    household_id: None,
                    guarantor_id: record.guarantor_id.clone(),
                    responsible_party_id: record.responsible_party_id.clone(),
                    created_ms: version.changed_ms,
                    updated_ms: version.changed_ms,
                };
                Ok(view_of(
                    id,
                    meta,
                    record,
                    reveal,
                    today,
                    access.is_emergency(),
                ))
            })
            .await
    }

    /// Exact family-name search through the blind index (demographics only); one `search`
    /// entry for the query, durable before any value is opened, then one `search` entry per
    /// patient returned, durable before the list leaves the room.
    pub async fn find_by_family_name(
        &self,
        family_name: &str,
        limit: i64,
    ) -> Result<Vec<PatientView>, AppError> {
        let access = self
            .access(Category::Demographics, Action::View, None)
            .await?;
        let practice = self.caller.practice_id();
        let keys = self.app.keys_of(practice).await?;
        let token = keys.index().exact(sealing::FAMILY_NAME_INDEX, family_name);
        let entry = access
            .audit(AuditAction::Search, Outcome::Allowed)
            .about(RecordKind::Patient, "*");
        let practice_text = practice.to_string();
        let fetch =
            self.app
                .db()
                .patients_by_family_name(&practice_text, &token, limit.clamp(1, 500));
        let reveal = Reveal {
            contact: false,
            insurance: false,
        };
        let today = self.today().await?;
        let found: Vec<PatientView> =
            self.app
                .read_audited(practice, entry, fetch, |keys, rows| {
                    let mut out = Vec::with_capacity(rows.len());
                    for row in rows {
                        let id: PatientId = row.id.parse().map_err(|_| {
                            enamel_crypto::CryptoError::Malformed("stored patient id")
                        })?;
                        let record = sealing::open_record(keys, row, reveal)?;
                        out.push(view_of(
                            id,
                            ViewMeta::from(row),
                            record,
                            reveal,
                            today,
                            false,
                        ));
                    }
                    Ok(out)
                })
                .await?;
        self.app
            .audit()
            .record_all(
                found
                    .iter()
                    .map(|p| {
                        access
                            .audit(AuditAction::Search, Outcome::Allowed)
                            .about(RecordKind::Patient, p.id)
                            .patient(p.id)
                    })
                    .collect(),
            )
            .await?;
        Ok(found)
    }
}
