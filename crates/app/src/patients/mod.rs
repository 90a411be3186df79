//! Patient records: sealed on the way in, audited, opened on the way out, and only as much as
//! the reader's role may see (minimum necessary): demographics for anyone allowed to view the
//! patient, contact details and insurance only for roles the matrix gives those categories.
//!
//! Every change keeps the previous state in the version history, sealed; records are
//! deactivated rather than erased, and deleted only when created in error.

mod sealing;
mod search;

use std::sync::Arc;

use enamel_crypto::{CryptoError, PracticeKeys};
use enamel_domain::{
    Action, Address, AuditAction, Category, Coverage, EmergencyContact, Outcome, Patient,
    PatientDraft, PatientId, PatientStatus, Phone, parse_iso_date,
};
use enamel_store::{PatientRow, PatientVersionRow, StoreError};

use crate::{Access, Actor, App, AppError, AuditDraft};
use sealing::{Record, Reveal, RowMeta};
pub use search::{PatientQuery, PatientSearchPage, PatientSummary};

const RECORD_TYPE: &str = "patient";

/// How to reach the patient: shown only to roles that may view contact details.
#[derive(Clone, PartialEq, Eq)]
pub struct PatientContact {
    pub email: Option<String>,
    pub phones: Vec<Phone>,
    pub address: Option<Address>,
    pub emergency_contact: Option<EmergencyContact>,
}

/// A patient as shown to an authorised reader. `contact` and `coverages` are `None` when the
/// reader's role may not see them. Debug never prints the values.
#[derive(Clone, PartialEq, Eq)]
pub struct PatientView {
    pub id: PatientId,
    pub row_version: i64,
    pub status: String,
    pub family_name: String,
    pub given_name: String,
    pub middle_name: Option<String>,
    pub preferred_name: Option<String>,
    pub birth_date: String,
    pub sex: Option<String>,
    pub gender_identity: Option<String>,
    pub preferred_language: Option<String>,
    pub chart_number: Option<String>,
    pub is_minor: bool,
    pub household_id: Option<String>,
    pub guarantor_id: Option<String>,
    pub responsible_party_id: Option<String>,
    pub contact: Option<PatientContact>,
    pub coverages: Option<Vec<Coverage>>,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// Opened through a break-glass grant.
    pub emergency: bool,
}

impl std::fmt::Debug for PatientView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatientView")
            .field("id", &self.id)
            .field("row_version", &self.row_version)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for PatientContact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PatientContact { .. }")
    }
}

/// One entry of a record's history: who changed it, when, how, and which fields (names only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientVersionSummary {
    /// The version this entry preserves (the state before the change).
    pub row_version: i64,
    pub change: String,
    pub changed_fields: Vec<String>,
    pub changed_by: String,
    pub changed_ms: i64,
}

/// The plain parts of a record's state that a view shows beside the opened values.
struct ViewMeta {
    row_version: i64,
    status: String,
    household_id: Option<String>,
    guarantor_id: Option<String>,
    responsible_party_id: Option<String>,
    created_ms: i64,
    updated_ms: i64,
}

impl From<&PatientRow> for ViewMeta {
    fn from(row: &PatientRow) -> Self {
        ViewMeta {
            row_version: row.row_version,
            status: row.status.clone(),
            household_id: row.household_id.clone(),
            guarantor_id: row.guarantor_id.clone(),
            responsible_party_id: row.responsible_party_id.clone(),
            created_ms: row.created_ms,
            updated_ms: row.updated_ms,
        }
    }
}

fn view_of(
    id: PatientId,
    row: ViewMeta,
    record: Record,
    reveal: Reveal,
    today: time::Date,
    emergency: bool,
) -> PatientView {
    let is_minor =
        parse_iso_date(&record.birth_date).is_some_and(|b| enamel_domain::age_on(b, today) < 18);
    PatientView {
        id,
        row_version: row.row_version,
        status: row.status,
        family_name: record.family_name,
        given_name: record.given_name,
        middle_name: record.details.middle_name,
        preferred_name: record.details.preferred_name,
        birth_date: record.birth_date,
        sex: record.details.sex,
        gender_identity: record.details.gender_identity,
        preferred_language: record.details.preferred_language,
        chart_number: record.chart_number,
        is_minor,
        household_id: row.household_id,
        guarantor_id: row.guarantor_id,
        responsible_party_id: row.responsible_party_id,
        contact: reveal.contact.then_some(PatientContact {
            email: record.contact.email,
            phones: record.contact.phones,
            address: record.contact.address,
            emergency_contact: record.contact.emergency_contact,
        }),
        coverages: reveal.insurance.then_some(record.insurance.coverages),
        created_ms: row.created_ms,
        updated_ms: row.updated_ms,
        emergency,
    }
}

fn has_contact(p: &Patient) -> bool {
    p.email.is_some()
        || !p.phones.is_empty()
        || p.address.is_some()
        || p.emergency_contact.is_some()
}

fn draft_has_contact(d: &PatientDraft) -> bool {
    d.email.as_deref().is_some_and(|e| !e.trim().is_empty())
        || !d.phones.is_empty()
        || d.address.is_some()
        || d.emergency_contact.is_some()
}

fn invalid(field: &'static str, problem: &'static str) -> AppError {
    AppError::Invalid(vec![enamel_domain::FieldProblem::new(field, problem)])
}

const CHART_TAKEN: &str = "is already used by another patient of this practice";

/// A write the store refused: someone changed the row first, or the chart number was taken
/// between the check and the write (the unique index is the last word).
fn write_refused(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict => AppError::Conflict,
        StoreError::Duplicate => invalid("chart_number", CHART_TAKEN),
        other => other.into(),
    }
}

impl App {
    async fn practice_keys_of(&self, actor: &Actor) -> Result<Arc<PracticeKeys>, AppError> {
        self.keys()
            .practice(actor.practice_id(), self.clock().now_ms())
            .await
    }

    /// Runs `f` with the practice's keys, reloading them once if a value names a version this
    /// process has not loaded yet (another server rotated).
    async fn with_keys<T>(
        &self,
        actor: &Actor,
        f: impl Fn(&PracticeKeys) -> Result<T, CryptoError>,
    ) -> Result<T, AppError> {
        let keys = self.practice_keys_of(actor).await?;
        match f(&keys) {
            Err(CryptoError::UnknownKeyVersion { .. }) => {
                let keys = self
                    .keys()
                    .reload(actor.practice_id(), self.clock().now_ms())
                    .await?;
                Ok(f(&keys)?)
            }
            other => Ok(other?),
        }
    }

    /// The household a new or changed record joins: its guarantor's (checked to be a patient
    /// of this practice), or its own.
    async fn household_links(
        &self,
        actor: &Actor,
        patient: &Patient,
    ) -> Result<(Option<String>, Option<String>), AppError> {
        let practice = actor.practice_id().to_string();
        let own = patient.id.to_string();
        let household = match patient.guarantor_id {
            Some(g) if g != patient.id => {
                match self
                    .db()
                    .patient_household(&practice, &g.to_string())
                    .await?
                {
                    Some(h) => Some(h.unwrap_or_else(|| g.to_string())),
                    None => {
                        return Err(invalid("guarantor_id", "is not a patient of this practice"));
                    }
                }
            }
            _ => None,
        };
        if let Some(r) = patient.responsible_party_id
            && !self.db().patient_exists(&practice, &r.to_string()).await?
        {
            return Err(invalid(
                "responsible_party_id",
                "is not a patient of this practice",
            ));
        }
        let guarantor = patient
            .guarantor_id
            .map_or_else(|| own.clone(), |g| g.to_string());
        Ok((Some(household.unwrap_or(own)), Some(guarantor)))
    }

    /// Refuses a chart number another patient of the practice already has.
    async fn check_chart_free(
        &self,
        actor: &Actor,
        keys: &PracticeKeys,
        chart: Option<&str>,
        except: Option<&str>,
    ) -> Result<(), AppError> {
        let Some(chart) = chart else {
            return Ok(());
        };
        let token = keys
            .index()
            .exact_raw(sealing::CHART_INDEX, chart.as_bytes());
        let holders = self
            .db()
            .search_patient_ids(&actor.practice_id().to_string(), &[token], None, 2)
            .await?;
        if holders.iter().any(|h| Some(h.as_str()) != except) {
            return Err(invalid("chart_number", CHART_TAKEN));
        }
        Ok(())
    }

    /// Creates patients (demographics, create; contact and insurance need their own create
    /// permission when given), each with its `create` entry in the same transaction. All or
    /// nothing: one invalid draft refuses the batch.
    pub async fn create_patients(
        &self,
        access: &Access,
        drafts: &[PatientDraft],
    ) -> Result<Vec<PatientId>, AppError> {
        access.ensure(Category::Demographics, Action::Create, None)?;
        let actor = access.actor();
        let today = self.clock().today();
        let now = self.clock().now_ms();
        let mut patients = Vec::with_capacity(drafts.len());
        for draft in drafts {
            patients.push(
                draft
                    .validate(PatientId::new(), today)
                    .map_err(AppError::Invalid)?,
            );
        }
        if patients.iter().any(has_contact) {
            self.authorize(actor, Category::Contact, Action::Create, None)
                .await?;
        }
        if patients.iter().any(|p| !p.coverages.is_empty()) {
            self.authorize(actor, Category::Insurance, Action::Create, None)
                .await?;
        }
        let keys = self.practice_keys_of(actor).await?;
        let practice_id = actor.practice_id().to_string();
        let mut charts = std::collections::HashSet::new();
        let mut rows = Vec::with_capacity(patients.len());
        let mut tokens = Vec::new();
        let mut entries = Vec::with_capacity(patients.len());
        for patient in &patients {
            if let Some(chart) = &patient.chart_number
                && !charts.insert(chart.clone())
            {
                return Err(invalid(
                    "chart_number",
                    "is used twice in the same submission",
                ));
            }
            self.check_chart_free(actor, &keys, patient.chart_number.as_deref(), None)
                .await?;
            let (household_id, guarantor_id) = self.household_links(actor, patient).await?;
            let id = patient.id.to_string();
            let record = Record::from_patient(patient);
            let meta = RowMeta {
                practice_id: practice_id.clone(),
                status: record.status.clone(),
                household_id,
                guarantor_id,
                responsible_party_id: record.responsible_party_id.clone(),
                created_ms: now,
                updated_ms: now,
                created_by: Some(actor.audit_id()),
                updated_by: Some(actor.audit_id()),
                row_version: 1,
            };
            rows.push(sealing::seal_record(&keys, &id, &record, meta)?);
            tokens.extend(
                sealing::search_tokens(&keys, &record)
                    .into_iter()
                    .map(|t| (id.clone(), t)),
            );
            entries.push(
                access
                    .audit(AuditAction::Create, Outcome::Allowed)
                    .about(RECORD_TYPE, patient.id)
                    .patient(patient.id),
            );
        }
        let mut tx = self.db().begin().await?;
        if let Err(e) = tx.insert_patients(&rows).await {
            tx.rollback().await?;
            return Err(write_refused(e));
        }
        tx.replace_search_tokens(&practice_id, &[], &tokens).await?;
        self.audit().record_in(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(patients.into_iter().map(|p| p.id).collect())
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

    /// What of a patient's record this actor may see besides demographics.
    async fn reveal_for(&self, actor: &Actor, id: PatientId) -> Result<Reveal, AppError> {
        Ok(Reveal {
            contact: self
                .may(actor, Category::Contact, Action::View, Some(id))
                .await?,
            insurance: self
                .may(actor, Category::Insurance, Action::View, Some(id))
                .await?,
        })
    }

    /// Reads one patient (demographics, view). The `view` entry is durable before any value is
    /// decrypted; a miss is audited as `failed` (it may be a probe for another practice's ids).
    /// Contact details and insurance are opened only if the reader's role may see them.
    pub async fn read_patient(
        &self,
        access: &Access,
        id: PatientId,
    ) -> Result<PatientView, AppError> {
        access.ensure(Category::Demographics, Action::View, Some(id))?;
        let actor = access.actor();
        let entry = access
            .audit(AuditAction::View, Outcome::Allowed)
            .about(RECORD_TYPE, id)
            .patient(id);
        let row = match self
            .db()
            .patient(&actor.practice_id().to_string(), &id.to_string())
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
        let reveal = self.reveal_for(actor, id).await?;
        self.audit().record(entry).await?;
        let record = self
            .with_keys(actor, |keys| sealing::open_record(keys, &row, reveal))
            .await?;
        Ok(view_of(
            id,
            ViewMeta::from(&row),
            record,
            reveal,
            self.clock().today(),
            access.is_emergency(),
        ))
    }

    /// The current row and its record, fully opened (for changes; nothing leaves).
    async fn current(
        &self,
        actor: &Actor,
        id: PatientId,
    ) -> Result<(PatientRow, Record), AppError> {
        let row = self
            .db()
            .patient(&actor.practice_id().to_string(), &id.to_string())
            .await?;
        let record = self
            .with_keys(actor, |keys| sealing::open_record(keys, &row, Reveal::ALL))
            .await?;
        Ok((row, record))
    }

    /// Writes a changed record with its previous state in the history, its new search tokens
    /// and its audit entry, in one transaction; `Conflict` if someone changed it first.
    #[allow(clippy::too_many_arguments)]
    async fn write_change(
        &self,
        actor: &Actor,
        row: &PatientRow,
        before: &Record,
        after: &Record,
        change: &str,
        changed: &[&str],
        household: (Option<String>, Option<String>),
        entry: AuditDraft,
    ) -> Result<i64, AppError> {
        let now = self.clock().now_ms();
        let keys = self.practice_keys_of(actor).await?;
        let version_id = format!("{}:{}", row.id, row.row_version);
        let version = PatientVersionRow {
            practice_id: row.practice_id.clone(),
            id: version_id.clone(),
            patient_id: row.id.clone(),
            row_version: row.row_version,
            key_version: i64::from(keys.active_version()),
            change: change.to_string(),
            changed_fields: changed.join(","),
            changed_by: actor.audit_id(),
            changed_ms: now,
            snapshot: sealing::seal_snapshot(&keys, &version_id, before)?,
        };
        let meta = RowMeta {
            practice_id: row.practice_id.clone(),
            status: after.status.clone(),
            household_id: household.0,
            guarantor_id: household.1,
            responsible_party_id: after.responsible_party_id.clone(),
            created_ms: row.created_ms,
            updated_ms: now,
            created_by: row.created_by.clone(),
            updated_by: Some(actor.audit_id()),
            row_version: row.row_version + 1,
        };
        let new_row = sealing::seal_record(&keys, &row.id, after, meta)?;
        let tokens: Vec<(String, [u8; 32])> = sealing::search_tokens(&keys, after)
            .into_iter()
            .map(|t| (row.id.clone(), t))
            .collect();
        let mut tx = self.db().begin().await?;
        if let Err(e) = tx.update_patient(&new_row, row.row_version).await {
            tx.rollback().await?;
            return Err(write_refused(e));
        }
        tx.insert_patient_version(&version).await?;
        tx.replace_search_tokens(&row.practice_id, &[row.id.as_str()], &tokens)
            .await?;
        self.audit().record_in(&mut tx, vec![entry]).await?;
        tx.commit().await?;
        Ok(new_row.row_version)
    }

    /// Replaces a patient's record if `expected_version` is still current. Each category whose
    /// values change needs its own edit permission (a billing clerk may change insurance and
    /// nothing else); a category the actor may not see keeps its values and must be left out.
    /// Returns the new version (the same one when nothing changed).
    pub async fn update_patient(
        &self,
        actor: &Actor,
        id: PatientId,
        draft: &PatientDraft,
        expected_version: i64,
    ) -> Result<i64, AppError> {
        let view = self
            .authorize(actor, Category::Demographics, Action::View, Some(id))
            .await?;
        let mut patient = draft
            .validate(id, self.clock().today())
            .map_err(AppError::Invalid)?;
        let (row, before) = match self.current(actor, id).await {
            Ok(found) => found,
            Err(AppError::NotFound) => {
                let failed = view
                    .audit(AuditAction::Update, Outcome::Failed)
                    .about(RECORD_TYPE, id)
                    .patient(id);
                self.audit().record(failed).await?;
                return Err(AppError::NotFound);
            }
            Err(e) => return Err(e),
        };
        if row.row_version != expected_version {
            return Err(AppError::Conflict);
        }
        let reveal = self.reveal_for(actor, id).await?;
        if !reveal.contact {
            if draft_has_contact(draft) {
                self.authorize(actor, Category::Contact, Action::View, Some(id))
                    .await?;
            }
            patient.email = before.contact.email.clone();
            patient.phones = before.contact.phones.clone();
            patient.address = before.contact.address.clone();
            patient.emergency_contact = before.contact.emergency_contact.clone();
        }
        if !reveal.insurance {
            if !draft.coverages.is_empty() {
                self.authorize(actor, Category::Insurance, Action::View, Some(id))
                    .await?;
            }
            patient.coverages = before.insurance.coverages.clone();
        }
        let after = Record::from_patient(&patient);
        let changed = before.changed_fields(&after);
        let category_of = |field: &str| match field {
            "email" | "phones" | "address" | "emergency_contact" => Category::Contact,
            "coverages" => Category::Insurance,
            _ => Category::Demographics,
        };
        let mut categories: Vec<Category> = changed.iter().map(|f| category_of(f)).collect();
        categories.dedup();
        categories.sort_by_key(|c| c.as_str());
        categories.dedup();
        let mut edit = None;
        for category in &categories {
            edit = Some(
                self.authorize(actor, *category, Action::Edit, Some(id))
                    .await?,
            );
        }
        let Some(edit) = edit else {
            // Nothing changed: no new version, but the request is on the record.
            let mut entry = view
                .audit(AuditAction::Update, Outcome::Allowed)
                .about(RECORD_TYPE, id)
                .patient(id);
            entry.reason.get_or_insert_with(|| "no_change".into());
            self.audit().record(entry).await?;
            return Ok(row.row_version);
        };
        if changed.contains(&"chart_number") {
            let keys = self.practice_keys_of(actor).await?;
            self.check_chart_free(actor, &keys, after.chart_number.as_deref(), Some(&row.id))
                .await?;
        }
        let household =
            if changed.contains(&"guarantor_id") || changed.contains(&"responsible_party_id") {
                self.household_links(actor, &patient).await?
            } else {
                (row.household_id.clone(), row.guarantor_id.clone())
            };
        let entry = edit
            .audit(AuditAction::Update, Outcome::Allowed)
            .about(RECORD_TYPE, id)
            .patient(id);
        self.write_change(
            actor, &row, &before, &after, "update", &changed, household, entry,
        )
        .await
    }

    /// Marks a patient inactive (demographics, edit): they leave the active lists, and their
    /// chart stays readable. `expected_version`, when given, must be current.
    pub async fn deactivate_patient(
        &self,
        actor: &Actor,
        id: PatientId,
        expected_version: Option<i64>,
    ) -> Result<i64, AppError> {
        let access = self
            .authorize(actor, Category::Demographics, Action::Edit, Some(id))
            .await?;
        let (row, before) = self.current(actor, id).await?;
        if expected_version.is_some_and(|v| v != row.row_version) {
            return Err(AppError::Conflict);
        }
        if row.status == PatientStatus::Inactive.as_str() {
            return Ok(row.row_version);
        }
        let mut after = before.clone();
        after.status = PatientStatus::Inactive.as_str().to_string();
        let entry = access
            .audit(AuditAction::Deactivate, Outcome::Allowed)
            .about(RECORD_TYPE, id)
            .patient(id);
        let household = (row.household_id.clone(), row.guarantor_id.clone());
        self.write_change(
            actor,
            &row,
            &before,
            &after,
            "deactivate",
            &["status"],
            household,
            entry,
        )
        .await
    }

    /// Deletes a record created in error (demographics, delete: the practice administrator by
    /// default). The record leaves search and reads; its last state stays, sealed, in the
    /// version history, and the audit entry carries the reason. A patient who is another's
    /// guarantor or responsible party cannot be deleted.
    pub async fn delete_patient(
        &self,
        actor: &Actor,
        id: PatientId,
        expected_version: i64,
    ) -> Result<(), AppError> {
        let access = self
            .authorize(actor, Category::Demographics, Action::Delete, Some(id))
            .await?;
        let (row, before) = self.current(actor, id).await?;
        if row.row_version != expected_version {
            return Err(AppError::Conflict);
        }
        let practice = actor.practice_id().to_string();
        if let Some(household) = &row.household_id {
            let members = self.db().household_members(&practice, household).await?;
            for other in members.iter().filter(|m| **m != row.id) {
                let other_row = self.db().patient(&practice, other).await?;
                if other_row.guarantor_id.as_deref() == Some(row.id.as_str())
                    || other_row.responsible_party_id.as_deref() == Some(row.id.as_str())
                {
                    return Err(AppError::Refused(
                        "This patient pays for or is responsible for another patient. Change that patient first."
                            .into(),
                    ));
                }
            }
        }
        let now = self.clock().now_ms();
        let keys = self.practice_keys_of(actor).await?;
        let version_id = format!("{}:{}", row.id, row.row_version);
        let version = PatientVersionRow {
            practice_id: practice.clone(),
            id: version_id.clone(),
            patient_id: row.id.clone(),
            row_version: row.row_version,
            key_version: i64::from(keys.active_version()),
            change: "delete".into(),
            changed_fields: String::new(),
            changed_by: actor.audit_id(),
            changed_ms: now,
            snapshot: sealing::seal_snapshot(&keys, &version_id, &before)?,
        };
        let mut entry = access
            .audit(AuditAction::Delete, Outcome::Allowed)
            .about(RECORD_TYPE, id)
            .patient(id);
        entry.reason = Some("created_in_error".into());
        let mut tx = self.db().begin().await?;
        if let Err(e) = tx.delete_patient(&practice, &row.id, row.row_version).await {
            tx.rollback().await?;
            return Err(write_refused(e));
        }
        tx.insert_patient_version(&version).await?;
        self.audit().record_in(&mut tx, vec![entry]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A record's history (demographics, view): who changed what, and when; field names only.
    pub async fn patient_versions(
        &self,
        actor: &Actor,
        id: PatientId,
    ) -> Result<Vec<PatientVersionSummary>, AppError> {
        let access = self
            .authorize(actor, Category::Demographics, Action::View, Some(id))
            .await?;
        let practice = actor.practice_id().to_string();
        let rows = self
            .db()
            .patient_versions(&practice, &id.to_string())
            .await?;
        let entry = access
            .audit(AuditAction::View, Outcome::Allowed)
            .about("patient_versions", id)
            .patient(id);
        if rows.is_empty() && !self.db().patient_exists(&practice, &id.to_string()).await? {
            self.audit()
                .record(AuditDraft {
                    outcome: Outcome::Failed,
                    ..entry
                })
                .await?;
            return Err(AppError::NotFound);
        }
        self.audit().record(entry).await?;
        Ok(rows
            .into_iter()
            .map(|v| PatientVersionSummary {
                row_version: v.row_version,
                change: v.change,
                changed_fields: v
                    .changed_fields
                    .split(',')
                    .filter(|f| !f.is_empty())
                    .map(str::to_string)
                    .collect(),
                changed_by: v.changed_by,
                changed_ms: v.changed_ms,
            })
            .collect())
    }

    /// One earlier state of a record (demographics, view), opened as far as the reader's role
    /// may see today; audited as a view of that version.
    pub async fn read_patient_version(
        &self,
        actor: &Actor,
        id: PatientId,
        row_version: i64,
    ) -> Result<PatientView, AppError> {
        let access = self
            .authorize(actor, Category::Demographics, Action::View, Some(id))
            .await?;
        let practice = actor.practice_id().to_string();
        let version_id = format!("{id}:{row_version}");
        let entry = access
            .audit(AuditAction::View, Outcome::Allowed)
            .about("patient_version", &version_id)
            .patient(id);
        let rows = self
            .db()
            .patient_versions(&practice, &id.to_string())
            .await?;
        let Some(version) = rows.into_iter().find(|v| v.row_version == row_version) else {
            self.audit()
                .record(AuditDraft {
                    outcome: Outcome::Failed,
                    ..entry
                })
                .await?;
            return Err(AppError::NotFound);
        };
        let reveal = self.reveal_for(actor, id).await?;
        self.audit().record(entry).await?;
        let mut record = self
            .with_keys(actor, |keys| {
                sealing::open_snapshot(keys, &version.id, &version.snapshot)
            })
            .await?;
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
            self.clock().today(),
            access.is_emergency(),
        ))
    }

    /// Exact family-name search through the blind index; one `search` entry for the query.
    pub async fn find_patients_by_family_name(
        &self,
        access: &Access,
        family_name: &str,
        limit: i64,
    ) -> Result<Vec<PatientView>, AppError> {
        access.ensure(Category::Demographics, Action::View, None)?;
        let actor = access.actor();
        let keys = self.practice_keys_of(actor).await?;
        let token = keys.index().exact(sealing::FAMILY_NAME_INDEX, family_name);
        let rows = self
            .db()
            .patients_by_family_name(
                &actor.practice_id().to_string(),
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
        let reveal = Reveal {
            contact: false,
            insurance: false,
        };
        let today = self.clock().today();
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: PatientId = row
                .id
                .parse()
                .map_err(|_| AppError::Internal("stored patient id is malformed".into()))?;
            let record = self
                .with_keys(actor, |keys| sealing::open_record(keys, row, reveal))
                .await?;
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
    }
}
