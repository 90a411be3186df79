//! Every table that holds PHI or a secret sealed by a practice key, declared once.
//!
//! From these declarations follow, without anyone listing a table again:
//! - sealing: the app names a column as [`SealedColumn`] (from [`RecordSpec::column`], checked
//!   when the constant is compiled), and the associated data binds practice, table, column,
//!   row id and key version;
//! - key rotation walks [`ALL`], so a new table cannot be forgotten by it;
//! - the schema tests (`tests/contract.rs`, both engines) check that every BLOB/BYTEA column
//!   of the migrated schema is either sealed here or listed in [`NON_PHI_BYTES`], and that
//!   every [`History::AppendOnly`] table refuses UPDATE and DELETE by trigger.
//!
//! A new record type adds its spec here and to [`ALL`] in the same change that creates its
//! table (see "Adding a record type" in ARCHITECTURE.md).

use enamel_domain::{Category, RecordKind};

/// How a table keeps its past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum History {
    /// Rows change in place under optimistic concurrency (`row_version`); the previous state
    /// is kept in a version table of its own.
    Versioned,
    /// Rows are only ever added: triggers refuse DELETE, and refuse an UPDATE of anything but
    /// the key version and the sealed columns (which key rotation re-encrypts in place).
    AppendOnly,
    /// Rows change in place and keep no history (credentials, grants).
    Mutable,
}

/// One table's declaration: its name, what the audit log calls its rows, the matrix category
/// that guards them, and its sealed columns. Every listed table has `practice_id`, `id` and
/// `key_version` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSpec {
    pub table: &'static str,
    pub kind: RecordKind,
    pub category: Category,
    pub sealed: &'static [&'static str],
    pub history: History,
}

/// A sealed column of a declared table: the only way the app names what it seals or opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedColumn {
    pub table: &'static str,
    pub column: &'static str,
}

impl RecordSpec {
    /// The declared sealed column `name`. Used in `const` items, so a name that is not
    /// declared stops the build instead of sealing an undeclared column.
    #[allow(clippy::panic)] // evaluated at compile time: a panic here is a build error
    pub const fn column(&'static self, name: &'static str) -> SealedColumn {
        let mut i = 0;
        while i < self.sealed.len() {
            if const_eq(self.sealed[i], name) {
                return SealedColumn {
                    table: self.table,
                    column: self.sealed[i],
                };
            }
            i += 1;
        }
        panic!("not a sealed column of this record spec")
    }
}

const fn const_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

pub const PATIENTS: RecordSpec = RecordSpec {
    table: "patients",
    kind: RecordKind::Patient,
    category: Category::Demographics,
    sealed: &[
        "family_name",
        "given_name",
        "birth_date",
        "details",
        "chart_number",
        "contact",
        "insurance",
    ],
    history: History::Versioned,
};

pub const PATIENT_VERSIONS: RecordSpec = RecordSpec {
    table: "patient_versions",
    kind: RecordKind::PatientVersion,
    category: Category::Demographics,
    sealed: &["snapshot"],
    history: History::AppendOnly,
};

pub const USERS: RecordSpec = RecordSpec {
    table: "users",
    kind: RecordKind::User,
    category: Category::UsersAndRoles,
    sealed: &["totp_secret", "totp_pending"],
    history: History::Mutable,
};

pub const EMERGENCY_GRANTS: RecordSpec = RecordSpec {
    table: "emergency_grants",
    kind: RecordKind::EmergencyGrant,
    category: Category::AuditLog,
    sealed: &["justification"],
    history: History::Mutable,
};

/// A patient's charted procedures and conditions: everything clinical in one sealed value,
/// status and lock instants plain (the database refuses changes to locked work by them).
pub const PROCEDURES: RecordSpec = RecordSpec {
    table: "procedures",
    kind: RecordKind::Procedure,
    category: Category::Charting,
    sealed: &["details"],
    history: History::Versioned,
};

pub const PROCEDURE_VERSIONS: RecordSpec = RecordSpec {
    table: "procedure_versions",
    kind: RecordKind::ProcedureVersion,
    category: Category::Charting,
    sealed: &["snapshot"],
    history: History::AppendOnly,
};

/// Addenda to procedures, and the reasons procedures were marked entered in error.
pub const PROCEDURE_ADDENDA: RecordSpec = RecordSpec {
    table: "procedure_addenda",
    kind: RecordKind::ProcedureAddendum,
    category: Category::Charting,
    sealed: &["body"],
    history: History::AppendOnly,
};

/// Periodontal exams: edited in place while a draft (working state, each save audited), then
/// closed, after which the database refuses every change but key rotation.
pub const PERIO_EXAMS: RecordSpec = RecordSpec {
    table: "perio_exams",
    kind: RecordKind::PerioExam,
    category: Category::Charting,
    sealed: &["details"],
    history: History::Mutable,
};

/// Clinical notes: a draft changes in place (its author's working text, each save audited);
/// once signed the database refuses every change but key rotation.
pub const CLINICAL_NOTES: RecordSpec = RecordSpec {
    table: "clinical_notes",
    kind: RecordKind::ClinicalNote,
    category: Category::ClinicalNotes,
    sealed: &["body"],
    history: History::Mutable,
};

/// Addenda to clinical notes, each signed when written.
pub const NOTE_ADDENDA: RecordSpec = RecordSpec {
    table: "note_addenda",
    kind: RecordKind::NoteAddendum,
    category: Category::ClinicalNotes,
    sealed: &["body"],
    history: History::AppendOnly,
};

/// Treatment plans: a draft changes in place; presenting freezes every line (the database
/// refuses changes after that but the decision and key rotation). The acceptance (who, how,
/// the signature drawn or typed) is sealed; its record-signature is plain.
pub const TREATMENT_PLANS: RecordSpec = RecordSpec {
    table: "treatment_plans",
    kind: RecordKind::TreatmentPlan,
    category: Category::TreatmentPlans,
    sealed: &["details", "acceptance"],
    history: History::Mutable,
};

/// What each of a patient's teeth is (missing, unerupted, impacted, an implant): one line per
/// change, the tooth and the state sealed together.
pub const TOOTH_STATES: RecordSpec = RecordSpec {
    table: "tooth_states",
    kind: RecordKind::ToothState,
    category: Category::Charting,
    sealed: &["details"],
    history: History::AppendOnly,
};

/// Appointments: times, chair, provider and status plain (the schedule is queried by them and
/// the database refuses double-booking by them), the patient by id, the note sealed.
pub const APPOINTMENTS: RecordSpec = RecordSpec {
    table: "appointments",
    kind: RecordKind::Appointment,
    category: Category::Schedule,
    sealed: &["note"],
    history: History::Mutable,
};

/// Every declared table, in the order rotation walks them.
pub const ALL: &[RecordSpec] = &[
    PATIENTS,
    PATIENT_VERSIONS,
    USERS,
    EMERGENCY_GRANTS,
    PROCEDURES,
    PROCEDURE_VERSIONS,
    PROCEDURE_ADDENDA,
    PERIO_EXAMS,
    CLINICAL_NOTES,
    NOTE_ADDENDA,
    TREATMENT_PLANS,
    TOOTH_STATES,
    APPOINTMENTS,
];

/// Byte columns that hold no PHI and are not sealed: blind-index tokens (keyed HMACs),
/// hashes of secrets, wrapped keys, and the audit log's chain values and signatures. Listed as
/// `table.column`; anything else stored as bytes must be a sealed column of a spec.
pub const NON_PHI_BYTES: &[&str] = &[
    "practice_keys.wrapped",
    "patients.family_name_bidx",
    "patients.birth_date_bidx",
    "patients.chart_bidx",
    "patient_search_tokens.token",
    "recovery_codes.code_hash",
    "clinical_notes.signature",
    "note_addenda.signature",
    "treatment_plans.lines_hash",
    "treatment_plans.acceptance_signature",
    "sessions.token_hash",
    "sign_in_throttle.key_hash",
    "password_resets.token_hash",
    "api_tokens.token_hash",
    "idempotency_keys.key_hash",
    "idempotency_keys.request_mac",
    "audit_events.chain",
    "audit_head.chain",
    "audit_head.frontier",
    "audit_checkpoints.root",
    "audit_checkpoints.signature",
    "audit_log_entries.chain",
    "audit_log_heads.chain",
    "audit_log_heads.frontier",
    "audit_log_checkpoints.root",
    "audit_log_checkpoints.signature",
];

/// The audit log's own tables: append-only like [`History::AppendOnly`] records, but not
/// sealed by a practice key (they hold ids, never values) and never re-encrypted.
/// (`audit_events` and `audit_checkpoints` are the closed log of earlier releases, kept as
/// `legacy`.)
pub const AUDIT_TABLES: &[&str] = &[
    "audit_log_entries",
    "audit_log_checkpoints",
    "audit_events",
    "audit_checkpoints",
];

/// The spec of `table`, if it is declared.
pub fn spec_of(table: &str) -> Option<&'static RecordSpec> {
    ALL.iter().find(|s| s.table == table)
}
