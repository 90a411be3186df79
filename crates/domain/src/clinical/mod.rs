//! The chair side's record: teeth and surfaces (Universal numbering, FDI for display), the
//! practice's procedure codes, and the procedures and conditions charted on a patient.
//!
//! Pure rules with unit tests (`tests.rs`); storage, sealing and access live in the layers
//! above.

mod area;
mod codes;
mod procedure;
mod teeth;
#[cfg(test)]
mod tests;

pub use area::{Arch, AreaType, Sextant, Site};
pub use codes::{
    MAX_CODE_CHARS, MAX_DESCRIPTION_CHARS, MAX_FEE_MINOR, ProcedureCode, ProcedureCodeDraft,
    canonical_code, demo_codes, parse_decimal_money,
};
pub use procedure::{
    MAX_DIAGNOSES, MAX_NOTE_CHARS, MAX_REASON_CHARS, Procedure, ProcedureDraft, ProcedureStatus,
    completion_date, is_locked, required_text,
};
pub use teeth::{Numbering, Quadrant, Surface, SurfaceProblem, Surfaces, Tooth, ToothState};
