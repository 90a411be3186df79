//! The dental practice's model and its rules: identifiers, the patient record's fields and
//! their validation, the vocabulary of audited actions, and the declared access policy (which
//! role may do what with which kind of information), and practice time (dates and clock
//! times in the practice's IANA zone, instants in UTC).
//!
//! Pure: no I/O (the time zone rules are compiled in), no clock, no knowledge of HTTP, SQL or
//! encryption. Everything here can be tested with plain values.

mod audit;
pub mod clinical;
mod ids;
mod patient;
pub mod policy;
pub mod scheduling;
pub mod synthetic;
mod text_enum;
pub mod time;

pub use self::time::{DayRange, Instant, LocalDateTime, LocalTimeGap, PracticeDate, PracticeTz};
pub use audit::{AccessMethod, AuditAction, AuditSubject, Outcome, RecordKind};
pub use ids::{
    AddendumId, AppointmentId, AppointmentTypeId, IdError, NoteId, OperatoryId, PatientId,
    PerioExamId, PlanId, PracticeId, ProcedureId, ProviderId, ToothStateId,
};
pub use patient::{
    Address, Coverage, CoverageDraft, CoveragePriority, EmergencyContact, FieldProblem, Patient,
    PatientDraft, PatientStatus, Phone, PhoneKind, Sex, SubscriberRelationship, age_on, iso_date,
    normalize_phone, parse_iso_date,
};
pub use patient::{AddressDraft, EmergencyContactDraft, PhoneDraft};
pub use policy::{
    Action, Category, ExclusiveRoles, Policy, PolicyCell, PolicyProblem, Role, render_markdown,
};
