//! The dental practice's model and its rules: identifiers, the patient record's fields and
//! their validation, and the vocabulary of audited actions.
//!
//! Pure: no I/O, no clock, no knowledge of HTTP, SQL or encryption. Everything here can be
//! tested with plain values.

mod audit;
mod ids;
mod patient;
pub mod synthetic;

pub use audit::{AccessMethod, AuditAction, Outcome};
pub use ids::{IdError, PatientId, PracticeId};
pub use patient::{FieldProblem, Patient, PatientDraft};
