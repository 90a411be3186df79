//! A clinical note's stored form and its signature: the views a reader gets, the canonical
//! bytes a note's and an addendum's signatures cover, and the check of each signature against
//! the practice's record-signing key.

use enamel_crypto::{CryptoError, PracticeKeys};
use enamel_domain::clinical::{
    Note, NoteKind, NoteLink, NoteTemplate, SignedNoteFacts, canonical_note_bytes,
};
use enamel_domain::{AddendumId, NoteId, PatientId};
use enamel_store::{NoteAddendumRow, NoteRow};

use super::notes::{ADDENDUM_BODY, BODY};
use crate::AppError;
use crate::claims::differs;
use crate::kernel::seal;

/// Whether a signature holds for what is stored now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureCheck {
    /// A draft: nothing is signed yet.
    Unsigned,
    Valid,
    /// The stored note or signature was changed after signing (or the key that signed it is
    /// not this practice's): the record cannot be trusted as signed.
    Invalid,
}

/// An addendum with its author's signature and whether it holds.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteAddendumView {
    pub id: AddendumId,
    pub body: String,
    pub author_id: String,
    pub created_ms: i64,
    pub signature: SignatureCheck,
}

/// A clinical note as its reader sees it.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteView {
    pub id: NoteId,
    pub patient_id: PatientId,
    pub note: Note,
    pub signed: bool,
    pub author_id: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub signed_by: Option<String>,
    pub signed_ms: Option<i64>,
    pub signature: SignatureCheck,
    pub addenda: Vec<NoteAddendumView>,
    pub row_version: i64,
}

impl std::fmt::Debug for NoteView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteView")
            .field("id", &self.id)
            .field("signed", &self.signed)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for NoteAddendumView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteAddendumView")
            .field("id", &self.id)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

/// A template as the practice keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteTemplateView {
    pub id: String,
    pub template: NoteTemplate,
}

pub(super) fn signed_refusal() -> AppError {
    AppError::Refused(
        "This note is signed and can no longer change: add an addendum instead.".into(),
    )
}

/// The canonical bytes a note's signature covers.
pub(super) fn note_bytes(row: &NoteRow, note: &Note, signer: &str, signed_ms: i64) -> Vec<u8> {
    canonical_note_bytes(&SignedNoteFacts {
        practice_id: &row.practice_id,
        note_id: &row.id,
        patient_id: &row.patient_id,
        kind: note.kind,
        body: &note.body,
        author_id: &row.author_id,
        created_ms: row.created_ms,
        signer_id: signer,
        signed_ms,
        procedure_id: note.procedure_id(),
        plan_id: note.plan_id(),
        amends: None,
    })
}

/// The canonical bytes an addendum's signature covers: its own text and author, bound to the
/// note it amends.
pub(super) fn addendum_bytes(row: &NoteAddendumRow, kind: NoteKind, body: &str) -> Vec<u8> {
    canonical_note_bytes(&SignedNoteFacts {
        practice_id: &row.practice_id,
        note_id: &row.id,
        patient_id: &row.patient_id,
        kind,
        body,
        author_id: &row.author_id,
        created_ms: row.created_ms,
        signer_id: &row.author_id,
        signed_ms: row.created_ms,
        procedure_id: None,
        plan_id: None,
        amends: Some(&row.note_id),
    })
}

pub(super) fn check(
    keys: &PracticeKeys,
    version: Option<i64>,
    message: &[u8],
    signature: &[u8],
) -> SignatureCheck {
    let key = version
        .and_then(|v| u32::try_from(v).ok())
        .and_then(|v| keys.signing_key_version(v));
    match key {
        Some(key) if key.verify(message, signature) => SignatureCheck::Valid,
        _ => SignatureCheck::Invalid,
    }
}

pub(super) fn open_note(keys: &PracticeKeys, row: &NoteRow) -> Result<Note, CryptoError> {
    let bad = || CryptoError::Malformed("a stored note");
    let body = seal::open_string(keys, BODY, &row.id, &row.body)?.to_string();
    let link = match (&row.procedure_id, &row.plan_id) {
        (Some(p), _) => Some(NoteLink::Procedure(p.clone())),
        (None, Some(p)) => Some(NoteLink::Plan(p.clone())),
        (None, None) => None,
    };
    Ok(Note {
        kind: NoteKind::parse(&row.kind).ok_or_else(bad)?,
        body,
        link,
    })
}

/// A note and its addenda, opened, every signature checked.
pub(super) fn view_of(
    keys: &PracticeKeys,
    row: &NoteRow,
    addenda: &[&NoteAddendumRow],
) -> Result<NoteView, CryptoError> {
    let note = open_note(keys, row)?;
    let signature = match (&row.signed_by, row.signed_ms, &row.signature) {
        (Some(signer), Some(at), Some(sig)) => check(
            keys,
            row.signing_key_version,
            &note_bytes(row, &note, signer, at),
            sig,
        ),
        _ if row.status == "signed" => SignatureCheck::Invalid,
        _ => SignatureCheck::Unsigned,
    };
    let addenda = addenda
        .iter()
        .map(|a| {
            let body = seal::open_string(keys, ADDENDUM_BODY, &a.id, &a.body)?.to_string();
            let signature = check(
                keys,
                Some(a.signing_key_version),
                &addendum_bytes(a, note.kind, &body),
                &a.signature,
            );
            Ok(NoteAddendumView {
                id: a.id.parse().unwrap_or_default(),
                body,
                author_id: a.author_id.clone(),
                created_ms: a.created_ms,
                signature,
            })
        })
        .collect::<Result<Vec<_>, CryptoError>>()?;
    Ok(NoteView {
        id: row.id.parse().unwrap_or_default(),
        patient_id: row.patient_id.parse().unwrap_or_default(),
        note,
        signed: row.status == "signed",
        author_id: row.author_id.clone(),
        created_ms: row.created_ms,
        updated_ms: row.updated_ms,
        signed_by: row.signed_by.clone(),
        signed_ms: row.signed_ms,
        signature,
        addenda,
        row_version: row.row_version,
    })
}

/// Read-only members a client sent back with a draft's new text (what a `GET` showed):
/// compared with the note as stored, ignored when equal and refused by name when not.
/// `None`: not sent; `Some(None)`: sent as `null`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoteClaims {
    pub id: Option<String>,
    pub patient_id: Option<String>,
    pub status: Option<String>,
    pub row_version: Option<i64>,
    pub author_id: Option<String>,
    pub created_ms: Option<i64>,
    pub updated_ms: Option<i64>,
    pub signed_by: Option<Option<String>>,
    pub signed_ms: Option<Option<i64>>,
    pub signature: Option<SignatureCheck>,
}

impl NoteClaims {
    /// Each member whose claim differs from the draft as stored (a draft's signature check is
    /// `unsigned`).
    pub(super) fn differences(&self, row: &NoteRow) -> Vec<enamel_domain::FieldProblem> {
        crate::claims::refused([
            ("id", differs(&self.id, &row.id)),
            ("patient_id", differs(&self.patient_id, &row.patient_id)),
            ("status", differs(&self.status, &row.status)),
            ("row_version", differs(&self.row_version, &row.row_version)),
            ("author_id", differs(&self.author_id, &row.author_id)),
            ("created_at", differs(&self.created_ms, &row.created_ms)),
            ("updated_at", differs(&self.updated_ms, &row.updated_ms)),
            ("signed_by", differs(&self.signed_by, &row.signed_by)),
            ("signed_at", differs(&self.signed_ms, &row.signed_ms)),
            (
                "signature",
                differs(&self.signature, &SignatureCheck::Unsigned),
            ),
        ])
    }
}
