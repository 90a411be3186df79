//! Changes to patient records: create, update, deactivate, delete (created in error). Each
//! commits its rows, its sealed history and its audit entry in one [`WriteTx`].

use enamel_crypto::PracticeKeys;
use enamel_domain::{
    Action, AuditAction, Category, Outcome, Patient, PatientDraft, PatientId, PatientStatus,
    RecordKind,
};
use enamel_store::{IdempotencyRow, PatientRow, PatientVersionRow, StoreError};

use super::sealing::{self, Record, RowMeta};
use super::{Expected, Patients, ReadOnlyClaims, ViewMeta, view_of};
use crate::kernel::{Entries, WriteTx};
use crate::{AppError, AuditDraft};

const CHART_TAKEN: &str = "is already used by another patient of this practice";

/// The only reason a record may be deleted; anything else is a deactivation.
pub const DELETE_REASON: &str = "created_in_error";

fn invalid(field: &'static str, problem: &'static str) -> AppError {
    AppError::Invalid(vec![enamel_domain::FieldProblem::new(field, problem)])
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

/// Which matrix category guards a field of the record (the names are `Record::changed_fields`'s).
fn category_of(field: &str) -> Category {
    match field {
        "email" | "phones" | "address" | "emergency_contact" => Category::Contact,
        "coverages" => Category::Insurance,
        _ => Category::Demographics,
    }
}

/// A write the store refused: someone changed the row first, or the chart number was taken
/// between the check and the write (the unique index is the last word).
fn write_refused(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict => AppError::Conflict,
        StoreError::Duplicate => invalid("chart_number", CHART_TAKEN),
        other => other.into(),
    }
}

/// Why a patient cannot be deleted while another patient names them.
const STILL_REFERENCED: &str =
    "This patient pays for or is responsible for another patient. Change that patient first.";

/// Why a patient with a clinical chart cannot be deleted: such a record was not created in
/// error, and clinical records are kept.
const HAS_CHART: &str = "This patient has a chart or appointments, so the record was not created in error. Deactivate the patient instead.";

/// Runs a statement of a change; a refusal rolls the change back and is mapped to the caller's
/// terms.
async fn or_refused<T>(
    tx: WriteTx<'_>,
    result: Result<T, StoreError>,
) -> Result<(WriteTx<'_>, T), AppError> {
    match result {
        Ok(value) => Ok((tx, value)),
        Err(e) => {
            tx.rollback().await?;
            Err(write_refused(e))
        }
    }
}

/// What a create with an idempotency claim came to.
pub(super) enum Claimed {
    Made(Vec<PatientId>),
    /// Another request holds the key; nothing was written.
    Taken,
}

/// A state of a record being replaced: the row, and its record fully opened.
pub(super) struct Current {
    pub(super) row: PatientRow,
    pub(super) record: Record,
}

impl Patients<'_> {
    /// Records a change that was tried and not made (a miss, a stale version, a refusal), so
    /// every request leaves its entry; returns `error` for the caller.
    async fn not_made<T>(
        &self,
        access: &crate::access::Access,
        action: AuditAction,
        id: PatientId,
        error: AppError,
    ) -> Result<T, AppError> {
        let why = match &error {
            AppError::NotFound => None,
            AppError::Conflict => Some("stale_version"),
            AppError::Refused(_) => Some("refused"),
            _ => return Err(error),
        };
        let mut entry = access
            .audit(action, Outcome::Failed)
            .about(RecordKind::Patient, id)
            .patient(id);
        if let Some(why) = why {
            entry.reason.get_or_insert_with(|| why.into());
        }
        self.app.audit().record(entry).await?;
        Err(error)
    }

    fn entry(
        &self,
        access: &crate::access::Access,
        action: AuditAction,
        id: PatientId,
    ) -> AuditDraft {
        access
            .audit(action, Outcome::Allowed)
            .about(RecordKind::Patient, id)
            .patient(id)
    }

    /// The household a new or changed record joins: its guarantor's (checked to be a patient
    /// of this practice), or its own.
    async fn household_links(
        &self,
        patient: &Patient,
    ) -> Result<(Option<String>, Option<String>), AppError> {
        let db = self.app.db();
        let practice = self.caller.practice_id().to_string();
        let own = patient.id.to_string();
        let household = match patient.guarantor_id {
            Some(g) if g != patient.id => match db
                .patient_household(&practice, &g.to_string())
                .await?
            {
                Some(h) => Some(h.unwrap_or_else(|| g.to_string())),
                None => return Err(invalid("guarantor_id", "is not a patient of this practice")),
            },
            _ => None,
        };
        if let Some(r) = patient.responsible_party_id
            && !db.patient_exists(&practice, &r.to_string()).await?
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
            .app
            .db()
            .search_patient_page(
                &self.caller.practice_id().to_string(),
                &enamel_store::TokenSearch {
                    all_of: &[token],
                    not_all_of: &[],
                    status: None,
                    walk: enamel_store::Walk::Probe,
                },
                None,
                2,
            )
            .await?;
        if holders.iter().any(|h| Some(h.as_str()) != except) {
            return Err(invalid("chart_number", CHART_TAKEN));
        }
        Ok(())
    }

    /// Creates patients (demographics, create; contact and insurance need their own create
    /// permission when given), each with its `create` entry in the same transaction. All or
    /// nothing: one invalid draft refuses the batch.
    pub async fn create_many(&self, drafts: &[PatientDraft]) -> Result<Vec<PatientId>, AppError> {
        match self.create_claimed(drafts, None).await? {
            Claimed::Made(ids) => Ok(ids),
            Claimed::Taken => Err(AppError::Internal("no claim was asked for".into())),
        }
    }

    /// [`Self::create_many`], claiming an idempotency key in the same transaction when one is
    /// given (`claim.resource_id` is filled in here): the records and the claim are kept
    /// together or not at all. `Taken` when another request claimed the key first; nothing
    /// is written then.
    pub(super) async fn create_claimed(
        &self,
        drafts: &[PatientDraft],
        claim: Option<(IdempotencyRow, i64)>,
    ) -> Result<Claimed, AppError> {
        let access = self
            .access(Category::Demographics, Action::Create, None)
            .await?;
        let today = self.today().await?;
        let now = self.app.clock().now_ms();
        let mut patients = Vec::with_capacity(drafts.len());
        for draft in drafts {
            patients.push(
                draft
                    .validate(PatientId::new(), today)
                    .map_err(AppError::Invalid)?,
            );
        }
        if patients.iter().any(has_contact) {
            self.access(Category::Contact, Action::Create, None).await?;
        }
        if patients.iter().any(|p| !p.coverages.is_empty()) {
            self.access(Category::Insurance, Action::Create, None)
                .await?;
        }
        let actor = self.actor();
        let keys = self.app.keys_of(actor.practice_id()).await?;
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
            self.check_chart_free(&keys, patient.chart_number.as_deref(), None)
                .await?;
            let (household_id, guarantor_id) = self.household_links(patient).await?;
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
            entries.push(self.entry(&access, AuditAction::Create, patient.id));
        }
        let Some(entries) = Entries::from_vec(entries) else {
            return Ok(Claimed::Made(Vec::new()));
        };
        let mut tx = self.app.begin_write().await?;
        // The claim comes first: a request that loses it writes nothing.
        if let Some((mut claim, expired_before_ms)) = claim {
            claim.resource_id = patients
                .first()
                .map(|p| p.id.to_string())
                .unwrap_or_default();
            if !tx.claim_idempotency_key(&claim, expired_before_ms).await? {
                tx.rollback().await?;
                return Ok(Claimed::Taken);
            }
        }
        let inserted = tx.insert_patients(&rows).await;
        let (mut tx, ()) = or_refused(tx, inserted).await?;
        tx.replace_search_tokens(&practice_id, &[], &tokens).await?;
        tx.commit(entries).await?;
        Ok(Claimed::Made(patients.into_iter().map(|p| p.id).collect()))
    }

    /// Creates one patient (see [`Patients::create_many`]).
    pub async fn create(&self, draft: &PatientDraft) -> Result<PatientId, AppError> {
        let ids = self.create_many(std::slice::from_ref(draft)).await?;
        ids.into_iter()
            .next()
            .ok_or_else(|| AppError::Internal("no patient was created".into()))
    }

    /// The previous state, sealed, for the version history.
    fn version_row(
        &self,
        keys: &PracticeKeys,
        current: &Current,
        change: &str,
        changed: &[&str],
    ) -> Result<PatientVersionRow, AppError> {
        let row = &current.row;
        let version_id = format!("{}:{}", row.id, row.row_version);
        Ok(PatientVersionRow {
            practice_id: row.practice_id.clone(),
            id: version_id.clone(),
            patient_id: row.id.clone(),
            row_version: row.row_version,
            key_version: i64::from(keys.active_version()),
            change: change.to_string(),
            changed_fields: changed.join(","),
            changed_by: self.actor().audit_id(),
            changed_ms: self.app.clock().now_ms(),
            snapshot: sealing::seal_snapshot(keys, &version_id, &current.record)?,
        })
    }

    /// Writes a changed record with its previous state in the history, its new search tokens
    /// and its audit entry, in one transaction; `Conflict` if someone changed it first.
    async fn write_change(
        &self,
        current: &Current,
        after: &Record,
        change: (&str, &[&str]),
        household: (Option<String>, Option<String>),
        entry: AuditDraft,
    ) -> Result<i64, AppError> {
        let row = &current.row;
        let keys = self.app.keys_of(self.caller.practice_id()).await?;
        let version = self.version_row(&keys, current, change.0, change.1)?;
        let meta = RowMeta {
            practice_id: row.practice_id.clone(),
            status: after.status.clone(),
            household_id: household.0,
            guarantor_id: household.1,
            responsible_party_id: after.responsible_party_id.clone(),
            created_ms: row.created_ms,
            updated_ms: self.app.clock().now_ms(),
            created_by: row.created_by.clone(),
            updated_by: Some(self.actor().audit_id()),
            row_version: row.row_version + 1,
        };
        let new_row = sealing::seal_record(&keys, &row.id, after, meta)?;
        let tokens: Vec<(String, [u8; 32])> = sealing::search_tokens(&keys, after)
            .into_iter()
            .map(|t| (row.id.clone(), t))
            .collect();
        let mut tx = self.app.begin_write().await?;
        let updated = tx.update_patient(&new_row, row.row_version).await;
        let (mut tx, ()) = or_refused(tx, updated).await?;
        tx.insert_patient_version(&version).await?;
        tx.replace_search_tokens(&row.practice_id, &[row.id.as_str()], &tokens)
            .await?;
        tx.commit(entry.into()).await?;
        Ok(new_row.row_version)
    }

    /// Replaces a patient's record if `expected` is still current. Each category whose values
    /// change needs its own edit permission (a billing clerk may change insurance and nothing
    /// else); a category the caller may not see keeps its values and must be left out.
    /// Returns the new version (the same one when nothing changed). Exactly one audit entry.
    pub async fn update(
        &self,
        id: PatientId,
        draft: &PatientDraft,
        expected: Expected,
    ) -> Result<i64, AppError> {
        self.update_claimed(id, draft, &ReadOnlyClaims::default(), expected)
            .await
    }

    /// [`Self::update`] with the read-only members the client sent back, refused by name when
    /// they differ from the record as the caller reads it now.
    pub async fn update_claimed(
        &self,
        id: PatientId,
        draft: &PatientDraft,
        claims: &ReadOnlyClaims,
        expected: Expected,
    ) -> Result<i64, AppError> {
        let view = self
            .access(Category::Demographics, Action::View, Some(id))
            .await?;
        let today = self.today().await?;
        let mut patient = draft.validate(id, today).map_err(AppError::Invalid)?;
        let current = match self.current(id).await {
            Ok(found) => found,
            Err(e) => return self.not_made(&view, AuditAction::Update, id, e).await,
        };
        if let Err(e) = expected.check(current.row.row_version) {
            return self.not_made(&view, AuditAction::Update, id, e).await;
        }
        let before = &current.record;
        let reveal = self.reveal_for(Some(id)).await?;
        if *claims != ReadOnlyClaims::default() {
            let as_read = view_of(
                id,
                ViewMeta::from(&current.row),
                before.clone(),
                reveal,
                today,
                view.is_emergency(),
            );
            let changed = claims.differences(&as_read);
            if !changed.is_empty() {
                return Err(AppError::Invalid(changed));
            }
        }
        if !reveal.contact {
            if draft_has_contact(draft) {
                self.access(Category::Contact, Action::View, Some(id))
                    .await?;
            }
            patient.email = before.contact.email.clone();
            patient.phones = before.contact.phones.clone();
            patient.address = before.contact.address.clone();
            patient.emergency_contact = before.contact.emergency_contact.clone();
        }
        if !reveal.insurance {
            if !draft.coverages.is_empty() {
                self.access(Category::Insurance, Action::View, Some(id))
                    .await?;
            }
            patient.coverages = before.insurance.coverages.clone();
        }
        let after = Record::from_patient(&patient);
        let changed = before.changed_fields(&after);
        let mut categories: Vec<Category> = changed.iter().map(|f| category_of(f)).collect();
        categories.sort_by_key(|c| c.as_str());
        categories.dedup();
        let mut edit = None;
        for category in &categories {
            edit = Some(self.access(*category, Action::Edit, Some(id)).await?);
        }
        let Some(edit) = edit else {
            // Nothing changed: no new version, but the request is on the record.
            let mut entry = self.entry(&view, AuditAction::Update, id);
            entry.reason.get_or_insert_with(|| "no_change".into());
            self.app.audit().record(entry).await?;
            return Ok(current.row.row_version);
        };
        let row = &current.row;
        if changed.contains(&"chart_number") {
            let keys = self.app.keys_of(self.caller.practice_id()).await?;
            self.check_chart_free(&keys, after.chart_number.as_deref(), Some(&row.id))
                .await?;
        }
        let household =
            if changed.contains(&"guarantor_id") || changed.contains(&"responsible_party_id") {
                self.household_links(&patient).await?
            } else {
                (row.household_id.clone(), row.guarantor_id.clone())
            };
        let entry = self.entry(&edit, AuditAction::Update, id);
        match self
            .write_change(&current, &after, ("update", &changed), household, entry)
            .await
        {
            // Changed by someone else between the read and the write.
            Err(e @ AppError::Conflict) => self.not_made(&edit, AuditAction::Update, id, e).await,
            other => other,
        }
    }

    /// Marks a patient inactive (demographics, edit): they leave the active lists, and their
    /// chart stays readable.
    pub async fn deactivate(&self, id: PatientId, expected: Expected) -> Result<i64, AppError> {
        let access = self
            .access(Category::Demographics, Action::Edit, Some(id))
            .await?;
        let current = match self.current(id).await {
            Ok(found) => found,
            Err(e) => return self.not_made(&access, AuditAction::Deactivate, id, e).await,
        };
        if let Err(e) = expected.check(current.row.row_version) {
            return self.not_made(&access, AuditAction::Deactivate, id, e).await;
        }
        if current.row.status == PatientStatus::Inactive.as_str() {
            return Ok(current.row.row_version);
        }
        let mut after = current.record.clone();
        after.status = PatientStatus::Inactive.as_str().to_string();
        let entry = self.entry(&access, AuditAction::Deactivate, id);
        let household = (
            current.row.household_id.clone(),
            current.row.guarantor_id.clone(),
        );
        match self
            .write_change(
                &current,
                &after,
                ("deactivate", &["status"]),
                household,
                entry,
            )
            .await
        {
            Err(e @ AppError::Conflict) => {
                self.not_made(&access, AuditAction::Deactivate, id, e).await
            }
            other => other,
        }
    }

    /// Deletes a record created in error (demographics, delete: the practice administrator by
    /// default). `reason` must be [`DELETE_REASON`]. The record leaves search and reads; its
    /// last state stays, sealed, in the version history, and the audit entry carries the
    /// reason. A patient who is another's guarantor or responsible party cannot be deleted.
    pub async fn delete(
        &self,
        id: PatientId,
        expected: Expected,
        reason: &str,
    ) -> Result<(), AppError> {
        if reason != DELETE_REASON {
            return Err(invalid(
                "reason",
                "must be created_in_error; deactivate the patient instead",
            ));
        }
        let access = self
            .access(Category::Demographics, Action::Delete, Some(id))
            .await?;
        let current = match self.current(id).await {
            Ok(found) => found,
            Err(e) => return self.not_made(&access, AuditAction::Delete, id, e).await,
        };
        let row = &current.row;
        if let Err(e) = expected.check(row.row_version) {
            return self.not_made(&access, AuditAction::Delete, id, e).await;
        }
        let practice = self.caller.practice_id().to_string();
        if self.app.db().patient_has_chart(&practice, &row.id).await? {
            let refused = AppError::Refused(HAS_CHART.into());
            return self
                .not_made(&access, AuditAction::Delete, id, refused)
                .await;
        }
        let keys = self.app.keys_of(self.caller.practice_id()).await?;
        let version = self.version_row(&keys, &current, "delete", &[])?;
        let mut entry = self.entry(&access, AuditAction::Delete, id);
        entry.reason = Some(DELETE_REASON.into());
        let mut tx = self.app.begin_write().await?;
        // Any patient of the practice, in any household, may name this one; the check runs in
        // the deleting transaction, and a trigger refuses the delete should a change race it.
        let deleted = match tx.patient_is_referenced(&practice, &row.id).await {
            Ok(true) => Err(None),
            Ok(false) => match tx.delete_patient(&practice, &row.id, row.row_version).await {
                Err(StoreError::Refused(_)) => Err(None),
                other => other.map_err(Some),
            },
            Err(e) => Err(Some(e)),
        };
        let mut tx = match deleted {
            Ok(()) => tx,
            Err(e) => {
                tx.rollback().await?;
                let error =
                    e.map_or_else(|| AppError::Refused(STILL_REFERENCED.into()), write_refused);
                return self.not_made(&access, AuditAction::Delete, id, error).await;
            }
        };
        tx.insert_patient_version(&version).await?;
        tx.commit(entry.into()).await?;
        Ok(())
    }
}
