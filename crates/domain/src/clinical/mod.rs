//! The chair side's record: teeth and surfaces (Universal numbering, FDI for display), the
//! practice's procedure codes, the procedures and conditions charted on a patient, perio
//! exams, treatment plans with their signed acceptance, and clinical notes.
//!
//! Pure rules with unit tests (`tests*.rs`); storage, sealing, hashing, signing and access
//! live in the layers above.

/// `Debug` that names the type and nothing else: clinical values and free text are PHI, and
/// anything that formats them with `{:?}` (a log line, an error report) must not show them.
macro_rules! redacted_debug {
    ($($name:ident),+ $(,)?) => {$(
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), " { .. }"))
            }
        }
    )+};
}

mod acceptance;
mod area;
mod canonical;
mod codes;
mod fields;
mod note;
mod perio;
mod plan;
mod procedure;
mod teeth;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_note;
#[cfg(test)]
mod tests_perio;
#[cfg(test)]
mod tests_plan;
mod tooth_state;

pub(crate) use fields::{optional_id, required_id, required_line};
pub(crate) use procedure::free_text;

pub use acceptance::{
    Acceptance, AcceptanceChannel, AcceptanceDraft, AcceptedBy, MAX_SIGNATURE_POINTS,
    MAX_SIGNATURE_STROKES, MAX_SIGNATURE_TEXT_CHARS, MAX_SIGNER_NAME_CHARS, SIGNATURE_CANVAS,
    Signature, SignatureDraft,
};
pub use area::{Arch, AreaType, Sextant, Site};
pub use codes::{
    MAX_CODE_CHARS, MAX_DESCRIPTION_CHARS, MAX_FEE_MINOR, ProcedureCode, ProcedureCodeDraft,
    canonical_code, demo_codes, parse_decimal_money,
};
pub use note::{
    Addendum, AddendumDraft, MAX_NOTE_BODY_CHARS, MAX_TEMPLATE_NAME_CHARS, Note, NoteDraft,
    NoteKind, NoteLink, NoteState, NoteTemplate, NoteTemplateDraft, SignedNoteFacts,
    canonical_note_bytes,
};
pub use perio::{
    MAX_PERIO_GRADE, MAX_PERIO_MM, MAX_PERIO_NOTE_CHARS, PerioExam, PerioExamDraft, PerioSite,
    PerioSummary, PerioTooth, PerioToothDraft, SiteChange, WORSENING_MM, bleeding_percentage,
    compare, entry_order, sites_with_depth_at_least, summarize,
};
pub use plan::{
    FrozenLine, LineDraft, MAX_PHASE_NAME_CHARS, MAX_PHASES, MAX_PLAN_LINES, MAX_PLAN_NOTE_CHARS,
    MAX_PLAN_TITLE_CHARS, Phase, PhaseDraft, PhaseTotals, Plan, PlanDraft, PlanLine, PlanStatus,
    PlanTotals, PlannedProcedureFacts, Totals, canonical_bytes, freeze, totals,
};
pub use procedure::{
    MAX_DIAGNOSES, MAX_NOTE_CHARS, MAX_REASON_CHARS, Procedure, ProcedureDraft, ProcedureStatus,
    completion_date, is_locked, required_text,
};
pub use teeth::{Numbering, Quadrant, Surface, SurfaceProblem, Surfaces, Tooth, ToothState};
pub use tooth_state::{ToothStateChange, ToothStateDraft, current_states};
