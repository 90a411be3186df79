//! Clinical notes: written as a draft, signed (Ed25519 over the canonical note, with the
//! practice's record-signing key), then never changed; corrected only by addenda, each signed
//! by its author when written. Every read checks every signature and says whether it holds.
//!
//! Notes are the most sensitive text Enamel holds: sealed, never in search tokens, never in
//! an audit entry or a log line.

use enamel_crypto::{PracticeKeys, SigningKey};
use enamel_domain::clinical::{
    AddendumDraft, Note, NoteDraft, NoteKind, NoteLink, NoteTemplate, NoteTemplateDraft,
};
use enamel_domain::{
    Action, AddendumId, AuditAction, Category, FieldProblem, NoteId, Outcome, PatientId,
    RecordKind, Role,
};
use enamel_store::specs::{CLINICAL_NOTES, NOTE_ADDENDA};
use enamel_store::{NoteAddendumRow, NoteRow, NoteTemplateRow, SealedColumn, StoreError};

use super::note_records::{
    NoteAddendumView, NoteClaims, NoteTemplateView, NoteView, SignatureCheck, addendum_bytes,
    note_bytes, open_note, signed_refusal, view_of,
};
use super::{Chart, PatientRecords};
use crate::access::Access;
use crate::kernel::seal;
use crate::keyring::PURPOSE_SIGNING;
use crate::{AppError, AuditDraft, Expected};

pub(super) const BODY: SealedColumn = CLINICAL_NOTES.column("body");
pub(super) const ADDENDUM_BODY: SealedColumn = NOTE_ADDENDA.column("body");

impl Chart<'_> {
    fn note_entry(&self, access: &Access, action: AuditAction, id: NoteId) -> AuditDraft {
        access
            .audit(action, Outcome::Allowed)
            .about(RecordKind::ClinicalNote, id)
    }

    /// The practice's record-signing key, made on first use (one per practice; a second
    /// server making it at the same moment loses the race and loads the winner's).
    pub(super) async fn signing_keys(&self) -> Result<std::sync::Arc<PracticeKeys>, AppError> {
        let practice = self.caller.practice_id();
        let keys = self.app.keys_of(practice).await?;
        if keys.signing_key().is_some() {
            return Ok(keys);
        }
        // Another server may have made it since this one loaded the keys.
        let keys = self.app.keys().reload(practice, self.now_ms()).await?;
        if keys.signing_key().is_some() {
            return Ok(keys);
        }
        let pid = practice.to_string();
        let mut tx = self.app.begin_write().await?;
        let made = self
            .app
            .keys()
            .insert_new_key(&mut tx, &pid, PURPOSE_SIGNING, 1, self.now_ms())
            .await;
        match made {
            Ok(()) => {
                let mut entry = self
                    .caller
                    .actor()
                    .audit(AuditAction::KeyRotation, Outcome::Allowed)
                    .about(RecordKind::PracticeKey, &pid);
                super::add_reason(&mut entry, "record_signing_key_created");
                tx.commit(entry.into()).await?;
            }
            Err(_) => tx.rollback().await?,
        }
        let keys = self.app.keys().reload(practice, self.now_ms()).await?;
        if keys.signing_key().is_none() {
            return Err(AppError::Internal(
                "the record-signing key could not be made".into(),
            ));
        }
        Ok(keys)
    }

    /// Checks a note's link: a procedure of the same patient. Plans are not charted yet.
    async fn check_link(&self, patient: PatientId, note: &Note) -> Result<(), AppError> {
        let practice = self.caller.practice_id().to_string();
        match &note.link {
            None => Ok(()),
            Some(NoteLink::Procedure(id)) => match self.app.db().procedure(&practice, id).await {
                Ok(row) if row.patient_id == patient.to_string() => Ok(()),
                Ok(_) | Err(StoreError::NotFound) => {
                    Err(AppError::Invalid(vec![FieldProblem::new(
                        "procedure_id",
                        "is not a procedure of this patient",
                    )]))
                }
                Err(e) => Err(e.into()),
            },
            Some(NoteLink::Plan(_)) => Err(AppError::Invalid(vec![FieldProblem::new(
                "plan_id",
                "is not a treatment plan of this patient",
            )])),
        }
    }

    /// Writes a draft note (clinical notes, create).
    pub async fn write_note(
        &self,
        patient: PatientId,
        draft: &NoteDraft,
    ) -> Result<NoteView, AppError> {
        let access = self
            .access(Category::ClinicalNotes, Action::Create, Some(patient))
            .await?;
        let id = NoteId::new();
        let entry = self
            .note_entry(&access, AuditAction::Create, id)
            .patient(patient);
        let practice = self.caller.practice_id();
        let entry = self.for_existing_patient(patient, entry).await?;
        let note = draft.validate().map_err(AppError::Invalid)?;
        self.check_link(patient, &note).await?;
        let keys = self.app.keys_of(practice).await?;
        let now = self.now_ms();
        let row = NoteRow {
            practice_id: practice.to_string(),
            id: id.to_string(),
            patient_id: patient.to_string(),
            key_version: i64::from(keys.active_version()),
            kind: note.kind.as_str().to_string(),
            status: "draft".into(),
            body: seal::seal(&keys, BODY, &id.to_string(), note.body.as_bytes())?,
            procedure_id: note.procedure_id().map(str::to_string),
            plan_id: note.plan_id().map(str::to_string),
            author_id: self.actor().audit_id(),
            created_ms: now,
            updated_ms: now,
            updated_by: self.actor().audit_id(),
            signed_by: None,
            signed_ms: None,
            signature: None,
            signing_key_version: None,
            row_version: 1,
        };
        let mut tx = self.app.begin_write().await?;
        tx.insert_note(&row).await?;
        tx.commit(entry.into()).await?;
        Ok(view_of(&keys, &row, &[])?)
    }

    /// The stored note for a change with clinical notes × `action`; a miss is audited as
    /// `failed`.
    async fn note_for_change(
        &self,
        id: NoteId,
        action: Action,
        audit_action: AuditAction,
    ) -> Result<(NoteRow, Access, AuditDraft), AppError> {
        let practice = self.caller.practice_id().to_string();
        let found = self.app.db().note(&practice, &id.to_string()).await;
        match self.scoped(found, |r| &r.patient_id) {
            Ok(row) => {
                let patient: PatientId = row
                    .patient_id
                    .parse()
                    .map_err(|_| AppError::Internal("a stored patient id is malformed".into()))?;
                let access = self
                    .access(Category::ClinicalNotes, action, Some(patient))
                    .await?;
                let entry = self.note_entry(&access, audit_action, id).patient(patient);
                Ok((row, access, entry))
            }
            Err(StoreError::NotFound) => {
                let access = self.access(Category::ClinicalNotes, action, None).await?;
                let entry = self.note_entry(&access, audit_action, id);
                self.not_made(entry, AppError::NotFound).await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces a draft's text (clinical notes, edit; its author only). A signed note is
    /// refused.
    pub async fn edit_note(
        &self,
        id: NoteId,
        draft: &NoteDraft,
        expected: Expected,
        claims: &NoteClaims,
    ) -> Result<NoteView, AppError> {
        let (current, _access, entry) = self
            .note_for_change(id, Action::Edit, AuditAction::Update)
            .await?;
        if current.status == "signed" {
            return self.not_made(entry, signed_refusal()).await;
        }
        let note = draft.validate().map_err(AppError::Invalid)?;
        let patient: PatientId = current.patient_id.parse().unwrap_or_default();
        self.check_link(patient, &note).await?;
        if current.author_id != self.actor().audit_id() {
            let e = AppError::Refused(
                "Only the author changes a draft note; add your own note instead.".into(),
            );
            return self.not_made(entry, e).await;
        }
        if let Err(e) = expected.check(current.row_version) {
            return self.not_made(entry, e).await;
        }
        let differences = claims.differences(&current);
        if !differences.is_empty() {
            return Err(AppError::Invalid(differences));
        }
        let keys = self.app.keys_of(self.caller.practice_id()).await?;
        let row = NoteRow {
            key_version: i64::from(keys.active_version()),
            kind: note.kind.as_str().to_string(),
            body: seal::seal(&keys, BODY, &current.id, note.body.as_bytes())?,
            procedure_id: note.procedure_id().map(str::to_string),
            plan_id: note.plan_id().map(str::to_string),
            updated_ms: self.now_ms(),
            updated_by: self.actor().audit_id(),
            row_version: current.row_version + 1,
            ..current.clone()
        };
        self.write_note_change(&row, current.row_version, entry)
            .await?;
        Ok(view_of(&keys, &row, &[])?)
    }

    /// Signs a draft note (clinical notes, edit): the signer and time are recorded, and an
    /// Ed25519 signature over the canonical note. A diagnosis is signed only by a dentist
    /// (diagnosing is within a dentist's licence, whatever the matrix says).
    pub async fn sign_note(&self, id: NoteId, expected: Expected) -> Result<NoteView, AppError> {
        let (current, _access, mut entry) = self
            .note_for_change(id, Action::Edit, AuditAction::Update)
            .await?;
        super::add_reason(&mut entry, "sign");
        if current.status == "signed" {
            return self.not_made(entry, signed_refusal()).await;
        }
        if let Err(e) = expected.check(current.row_version) {
            return self.not_made(entry, e).await;
        }
        if let Err(e) = self.may_sign(&current.kind) {
            return self.not_made(entry, e).await;
        }
        // Signing someone else's draft attests its text: the signer names the version read.
        if current.author_id != self.actor().audit_id() && expected == Expected::Any {
            let e = AppError::Refused(
                "Signing another author's note needs the version you read (send its ETag in If-Match)."
                    .into(),
            );
            return self.not_made(entry, e).await;
        }
        let keys = self.signing_keys().await?;
        let note = open_note(&keys, &current)?;
        let signer = self.actor().audit_id();
        let now = self.now_ms();
        let key: &SigningKey = keys
            .signing_key()
            .ok_or_else(|| AppError::Internal("no record-signing key".into()))?;
        let signature = key.sign(&note_bytes(&current, &note, &signer, now));
        let row = NoteRow {
            status: "signed".into(),
            updated_ms: now,
            updated_by: signer.clone(),
            signed_by: Some(signer),
            signed_ms: Some(now),
            signature: Some(signature.to_vec()),
            signing_key_version: Some(i64::from(key.version())),
            row_version: current.row_version + 1,
            ..current.clone()
        };
        self.write_note_change(&row, current.row_version, entry)
            .await?;
        Ok(view_of(&keys, &row, &[])?)
    }

    /// Who may put the practice's signature on a note or an addendum of `kind`: a clinician
    /// in person (never an integration's token), and for a diagnosis a dentist.
    fn may_sign(&self, kind: &str) -> Result<(), AppError> {
        let crate::kernel::Caller::Person(actor) = &self.caller else {
            return Ok(());
        };
        if actor.user_id().is_none() || !actor.roles().iter().any(|r| r.is_clinician()) {
            return Err(AppError::Refused(
                "Only a clinician signs clinical notes, in person.".into(),
            ));
        }
        if kind == NoteKind::Diagnosis.as_str() && !actor.roles().contains(&Role::Dentist) {
            return Err(AppError::Refused(
                "Only a dentist signs a diagnosis.".into(),
            ));
        }
        Ok(())
    }

    async fn write_note_change(
        &self,
        row: &NoteRow,
        expected_version: i64,
        entry: AuditDraft,
    ) -> Result<(), AppError> {
        let mut tx = self.app.begin_write().await?;
        if let Err(e) = tx.update_note(row, expected_version).await {
            tx.rollback().await?;
            let error = match e {
                StoreError::Conflict => AppError::Conflict,
                StoreError::Refused(_) => signed_refusal(),
                other => other.into(),
            };
            return self.not_made(entry, error).await;
        }
        tx.commit(entry.into()).await?;
        Ok(())
    }

    /// Adds an addendum to a signed note (clinical notes, edit: the right to sign, since an
    /// addendum is signed by its author now).
    /// A draft is edited instead.
    pub async fn add_note_addendum(
        &self,
        id: NoteId,
        draft: &AddendumDraft,
    ) -> Result<NoteAddendumView, AppError> {
        let (current, access, _) = self
            .note_for_change(id, Action::Edit, AuditAction::Create)
            .await?;
        let addendum = draft.validate().map_err(AppError::Invalid)?;
        let addendum_id = AddendumId::new();
        let entry = access
            .audit(AuditAction::Create, Outcome::Allowed)
            .about(RecordKind::NoteAddendum, addendum_id)
            .patient(&current.patient_id);
        if current.status != "signed" {
            let e = AppError::Refused(
                "This note is still a draft: change it, or sign it first.".into(),
            );
            return self.not_made(entry, e).await;
        }
        // An addendum is signed by its author: the same people who may sign the note.
        if let Err(e) = self.may_sign(&current.kind) {
            return self.not_made(entry, e).await;
        }
        let keys = self.signing_keys().await?;
        let kind = NoteKind::parse(&current.kind)
            .ok_or_else(|| AppError::Internal("a stored note has no kind".into()))?;
        let key = keys
            .signing_key()
            .ok_or_else(|| AppError::Internal("no record-signing key".into()))?;
        let mut row = NoteAddendumRow {
            practice_id: current.practice_id.clone(),
            id: addendum_id.to_string(),
            note_id: current.id.clone(),
            patient_id: current.patient_id.clone(),
            key_version: i64::from(keys.active_version()),
            body: seal::seal(
                &keys,
                ADDENDUM_BODY,
                &addendum_id.to_string(),
                addendum.body.as_bytes(),
            )?,
            author_id: self.actor().audit_id(),
            created_ms: self.now_ms(),
            signature: Vec::new(),
            signing_key_version: i64::from(key.version()),
        };
        row.signature = key
            .sign(&addendum_bytes(&row, kind, &addendum.body))
            .to_vec();
        let mut tx = self.app.begin_write().await?;
        tx.insert_note_addendum(&row).await?;
        tx.commit(entry.into()).await?;
        Ok(NoteAddendumView {
            id: addendum_id,
            body: addendum.body,
            author_id: row.author_id,
            created_ms: row.created_ms,
            signature: SignatureCheck::Valid,
        })
    }

    /// Loads the practice's keys again when a stored signature names a signing-key version
    /// this server has not loaded (another server made the key moments ago), so a fresh key
    /// is never reported as a signature that does not hold.
    async fn load_signing_versions(
        &self,
        versions: impl Iterator<Item = Option<i64>>,
    ) -> Result<(), AppError> {
        let practice = self.caller.practice_id();
        let keys = self.app.keys_of(practice).await?;
        let missing = versions
            .flatten()
            .any(|v| u32::try_from(v).map_or(true, |v| keys.signing_key_version(v).is_none()));
        if missing {
            self.app.keys().reload(practice, self.now_ms()).await?;
        }
        Ok(())
    }

    /// One note with its addenda and the check of every signature (clinical notes, view).
    pub async fn note(&self, id: NoteId) -> Result<NoteView, AppError> {
        let practice = self.caller.practice_id();
        let db = self.app.db();
        let row = match db.note(&practice.to_string(), &id.to_string()).await {
            Ok(row) => Some(row),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let patient: Option<PatientId> = row.as_ref().and_then(|r| r.patient_id.parse().ok());
        let access = self
            .access(Category::ClinicalNotes, Action::View, patient)
            .await?;
        self.load_signing_versions(row.iter().map(|r| r.signing_key_version))
            .await?;
        let mut entry = self.note_entry(&access, AuditAction::View, id);
        if let Some(p) = patient {
            entry = entry.patient(p);
        }
        let fetch = async {
            let row = row.ok_or(StoreError::NotFound)?;
            let addenda = db
                .note_addenda_of(&practice.to_string(), &row.patient_id)
                .await?;
            Ok((row, addenda))
        };
        self.app
            .read_audited(practice, entry, fetch, |keys, (row, addenda)| {
                let own: Vec<&NoteAddendumRow> =
                    addenda.iter().filter(|a| a.note_id == row.id).collect();
                view_of(keys, row, &own)
            })
            .await
    }

    /// A patient's notes, oldest first, with their addenda, and whose they are (clinical
    /// notes, view).
    pub async fn notes(&self, patient: PatientId) -> Result<PatientRecords<NoteView>, AppError> {
        let access = self
            .access(Category::ClinicalNotes, Action::View, Some(patient))
            .await?;
        let practice = self.caller.practice_id();
        let mut entry = access
            .audit(AuditAction::View, Outcome::Allowed)
            .about(RecordKind::Chart, patient)
            .patient(patient);
        super::add_reason(&mut entry, "clinical_notes");
        let db = self.app.db();
        let (p, i) = (practice.to_string(), patient.to_string());
        let names = self.may_name(patient).await?;
        let fetch = async {
            Ok((
                db.patient(&p, &i).await?,
                db.notes_of(&p, &i).await?,
                db.note_addenda_of(&p, &i).await?,
            ))
        };
        self.app
            .read_audited(practice, entry, fetch, |keys, (who, rows, addenda)| {
                Ok(PatientRecords {
                    patient: super::heading(keys, who, names)?,
                    records: rows
                        .iter()
                        .map(|row| {
                            let own: Vec<&NoteAddendumRow> =
                                addenda.iter().filter(|a| a.note_id == row.id).collect();
                            view_of(keys, row, &own)
                        })
                        .collect::<Result<_, _>>()?,
                })
            })
            .await
    }

    /// The practice's note templates (clinical notes, view; boilerplate, not PHI, so not
    /// audited).
    pub async fn note_templates(&self) -> Result<Vec<NoteTemplateView>, AppError> {
        self.access(Category::ClinicalNotes, Action::View, None)
            .await?;
        let rows = self
            .app
            .db()
            .note_templates(&self.caller.practice_id().to_string())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(NoteTemplateView {
                    template: NoteTemplate {
                        name: r.name,
                        kind: NoteKind::parse(&r.kind)?,
                        body: r.body,
                    },
                    id: r.id,
                })
            })
            .collect())
    }

    /// Adds a note template (clinical notes, edit). A name already used is refused.
    pub async fn add_note_template(
        &self,
        draft: &NoteTemplateDraft,
    ) -> Result<NoteTemplateView, AppError> {
        let access = self
            .access(Category::ClinicalNotes, Action::Edit, None)
            .await?;
        let template = draft.validate().map_err(AppError::Invalid)?;
        let id = uuid::Uuid::now_v7().to_string();
        let practice = self.caller.practice_id().to_string();
        let row = NoteTemplateRow {
            id: id.clone(),
            name: template.name.clone(),
            kind: template.kind.as_str().to_string(),
            body: template.body.clone(),
            created_ms: self.now_ms(),
            created_by: self.actor().audit_id(),
        };
        let entry = access
            .audit(AuditAction::Create, Outcome::Allowed)
            .about(RecordKind::NoteTemplate, &id);
        let mut tx = self.app.begin_write().await?;
        match tx.insert_note_template(&practice, &row).await {
            Ok(()) => {}
            Err(StoreError::Duplicate) => {
                tx.rollback().await?;
                return Err(AppError::Invalid(vec![FieldProblem::new(
                    "name",
                    "is already the name of a template",
                )]));
            }
            Err(e) => return Err(e.into()),
        }
        tx.commit(entry.into()).await?;
        Ok(NoteTemplateView { id, template })
    }
}
