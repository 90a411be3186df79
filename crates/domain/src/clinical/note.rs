//! Clinical notes: progress, diagnosis, administrative and plan notes, signed by their author
//! and never edited afterwards (a signed note only gains addenda), and the practice's note
//! templates.
//!
//! [`canonical_note_bytes`] is what the app signs (Ed25519) when a note or an addendum is
//! signed, so the signature covers the text, who wrote and signed it, when, and what it is
//! attached to.

use serde::Deserialize;

use super::canonical::Canonical;
use super::fields::{optional_id, required_line};
use super::procedure::free_text;
use crate::patient::{FieldProblem, Problems};
use crate::text_enum::text_enum;

text_enum!(
    /// What a note is about.
    NoteKind {
        Progress => "progress" ("Progress note"),
        Diagnosis => "diagnosis" ("Diagnosis"),
        Administrative => "administrative" ("Administrative"),
        Plan => "plan" ("Treatment plan note"),
    }
);

text_enum!(
    /// A draft note may be edited by its author; a signed one never changes.
    NoteState {
        Draft => "draft" ("Draft"),
        Signed => "signed" ("Signed"),
    }
);

impl NoteState {
    /// Only draft → signed.
    pub fn can_become(self, next: NoteState) -> bool {
        self == NoteState::Draft && next == NoteState::Signed
    }
}

/// A note's or an addendum's body, and a template's.
pub const MAX_NOTE_BODY_CHARS: usize = 20_000;
pub const MAX_TEMPLATE_NAME_CHARS: usize = 100;

const KIND_RULE: &str = "must be progress, diagnosis, administrative or plan";

/// A note as submitted.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteDraft {
    pub kind: String,
    pub body: String,
    /// The procedure the note documents (at most one of `procedure_id` and `plan_id`).
    #[serde(default)]
    pub procedure_id: Option<String>,
    #[serde(default)]
    pub plan_id: Option<String>,
}

/// What a note is attached to, besides its patient.
#[derive(Clone, PartialEq, Eq)]
pub enum NoteLink {
    Procedure(String),
    Plan(String),
}

/// A validated note.
#[derive(Clone, PartialEq, Eq)]
pub struct Note {
    pub kind: NoteKind,
    pub body: String,
    pub link: Option<NoteLink>,
}

/// An addendum to a signed note, as submitted.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddendumDraft {
    pub body: String,
}

/// A validated addendum's text.
#[derive(Clone, PartialEq, Eq)]
pub struct Addendum {
    pub body: String,
}

/// A practice's note template, as submitted.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteTemplateDraft {
    pub name: String,
    pub kind: String,
    pub body: String,
}

/// A validated template.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteTemplate {
    pub name: String,
    pub kind: NoteKind,
    pub body: String,
}

redacted_debug!(
    NoteDraft,
    NoteLink,
    AddendumDraft,
    Addendum,
    NoteTemplateDraft,
    NoteTemplate
);

impl std::fmt::Debug for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Note")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Note {
    pub fn procedure_id(&self) -> Option<&str> {
        match &self.link {
            Some(NoteLink::Procedure(id)) => Some(id),
            _ => None,
        }
    }

    pub fn plan_id(&self) -> Option<&str> {
        match &self.link {
            Some(NoteLink::Plan(id)) => Some(id),
            _ => None,
        }
    }
}

impl NoteDraft {
    /// Every problem at once. Ids are checked for their spelling only: the app checks that
    /// they name this patient's procedure or plan.
    pub fn validate(&self) -> Result<Note, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let kind = kind(&self.kind, &mut p);
        let body = required_body(&self.body, "body", &mut p);
        let procedure_id = optional_id(
            self.procedure_id.as_deref(),
            "procedure_id",
            "a procedure of this patient",
            &mut p,
        );
        let plan_id = optional_id(
            self.plan_id.as_deref(),
            "plan_id",
            "a treatment plan of this patient",
            &mut p,
        );
        let link = match (procedure_id, plan_id) {
            (Some(_), Some(_)) => {
                p.add(
                    "plan_id",
                    "a note is attached to a procedure or to a plan, not both",
                );
                None
            }
            (Some(id), None) => Some(NoteLink::Procedure(id)),
            (None, Some(id)) => Some(NoteLink::Plan(id)),
            (None, None) => None,
        };
        match (kind, body) {
            (Some(kind), Some(body)) if p.is_empty() => Ok(Note { kind, body, link }),
            _ => Err(p.into_vec()),
        }
    }
}

impl AddendumDraft {
    pub fn validate(&self) -> Result<Addendum, Vec<FieldProblem>> {
        let mut p = Problems::default();
        match required_body(&self.body, "body", &mut p) {
            Some(body) if p.is_empty() => Ok(Addendum { body }),
            _ => Err(p.into_vec()),
        }
    }
}

impl NoteTemplateDraft {
    pub fn validate(&self) -> Result<NoteTemplate, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let name = required_line(&self.name, "name", MAX_TEMPLATE_NAME_CHARS, &mut p);
        let kind = kind(&self.kind, &mut p);
        let body = required_body(&self.body, "body", &mut p);
        match (name, kind, body) {
            (Some(name), Some(kind), Some(body)) if p.is_empty() => {
                Ok(NoteTemplate { name, kind, body })
            }
            _ => Err(p.into_vec()),
        }
    }
}

fn kind(raw: &str, p: &mut Problems) -> Option<NoteKind> {
    let kind = NoteKind::parse(&raw.trim().to_ascii_lowercase());
    if kind.is_none() {
        p.add("kind", KIND_RULE);
    }
    kind
}

fn required_body(raw: &str, field: &'static str, p: &mut Problems) -> Option<String> {
    if raw.trim().is_empty() {
        p.add(field, "is required");
        return None;
    }
    free_text(Some(raw), field, MAX_NOTE_BODY_CHARS, p)
}

/// Everything a note's signature covers, as stored. Ids are the stored (canonical) text;
/// instants are milliseconds since the Unix epoch.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SignedNoteFacts<'a> {
    pub practice_id: &'a str,
    pub note_id: &'a str,
    pub patient_id: &'a str,
    pub kind: NoteKind,
    pub body: &'a str,
    pub author_id: &'a str,
    pub created_ms: i64,
    pub signer_id: &'a str,
    pub signed_ms: i64,
    pub procedure_id: Option<&'a str>,
    pub plan_id: Option<&'a str>,
    /// For an addendum: the note it amends. `None` for a note.
    pub amends: Option<&'a str>,
}

impl std::fmt::Debug for SignedNoteFacts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignedNoteFacts { .. }")
    }
}

/// The bytes signed for a note (encoding in `canonical.rs`): the tag `enamel-note-v1`, then
/// practice id, note id, patient id, kind (its stored text), body, author id, created_ms,
/// signer id, signed_ms, procedure id, plan id and amended note id (each optional).
pub fn canonical_note_bytes(facts: &SignedNoteFacts<'_>) -> Vec<u8> {
    let mut c = Canonical::new("enamel-note-v1");
    c.text(facts.practice_id)
        .text(facts.note_id)
        .text(facts.patient_id)
        .text(facts.kind.as_str())
        .text(facts.body)
        .text(facts.author_id)
        .int(facts.created_ms)
        .text(facts.signer_id)
        .int(facts.signed_ms)
        .optional_text(facts.procedure_id)
        .optional_text(facts.plan_id)
        .optional_text(facts.amends);
    c.finish()
}
