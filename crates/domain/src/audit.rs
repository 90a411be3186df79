//! What the audit log records: the vocabulary is closed so that reports can rely on it.

use crate::Category;
use crate::text_enum::text_enum;

text_enum!(
    /// An audited action.
    AuditAction {
        View => "view",
        Search => "search",
        Create => "create",
        Update => "update",
        Delete => "delete",
        Deactivate => "deactivate",
        Export => "export",
        Print => "print",
        Disclose => "disclose",
        SignIn => "sign_in",
        SignInFailed => "sign_in_failed",
        SignOut => "sign_out",
        MfaEnrolled => "mfa_enrolled",
        MfaFailed => "mfa_failed",
        StepUp => "step_up",
        AccountLocked => "account_locked",
        SessionRevoked => "session_revoked",
        PasswordChanged => "password_changed",
        PasswordResetIssued => "password_reset_issued",
        PasswordResetRequested => "password_reset_requested",
        UserDisabled => "user_disabled",
        UserEnabled => "user_enabled",
        TokenRevoked => "token_revoked",
        EmergencyReview => "emergency_review",
        PermissionChange => "permission_change",
        PracticeCreated => "practice_created",
        KeyRotation => "key_rotation",
        KeyRetired => "key_retired",
        KekRotation => "kek_rotation",
        EmergencyAccess => "emergency_access",
        AuditCheckpoint => "audit_checkpoint",
        AuditVerify => "audit_verify",
        Import => "import",
    }
);

text_enum!(
    /// What an audit entry is about. Closed like the actions: a new record type adds its kind
    /// here (and its table to the store's record declarations), so reports and the
    /// accounting of disclosures can rely on the list. A refusal names the matrix category
    /// it was refused for instead (see `AuditDraft::about_category`).
    RecordKind {
        Patient => "patient",
        PatientVersion => "patient_version",
        PatientVersions => "patient_versions",
        Practice => "practice",
        PracticeKey => "practice_key",
        PracticeSettings => "practice_settings",
        User => "user",
        Session => "session",
        ApiToken => "api_token",
        EmergencyGrant => "emergency_grant",
        Policy => "policy",
        AuditLog => "audit_log",
        ProcedureCodes => "procedure_codes",
        Procedure => "procedure",
        ProcedureVersion => "procedure_version",
        ProcedureAddendum => "procedure_addendum",
        Chart => "chart",
        PerioExam => "perio_exam",
        ClinicalNote => "clinical_note",
        NoteAddendum => "note_addendum",
        NoteTemplate => "note_template",
        TreatmentPlan => "treatment_plan",
        ToothState => "tooth_state",
        Provider => "provider",
        Operatory => "operatory",
        AppointmentType => "appointment_type",
        Appointment => "appointment",
        Schedule => "schedule",
        ScheduleBlock => "schedule_block",
    }
);

/// What an entry's `record_type` names: a record kind, or for a refusal the matrix category
/// that was refused. Both are closed lists, so no free text reaches that column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditSubject {
    Record(RecordKind),
    Category(Category),
}

impl AuditSubject {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditSubject::Record(kind) => kind.as_str(),
            AuditSubject::Category(category) => category.as_str(),
        }
    }
}

text_enum!(
    /// How an audited attempt ended.
    Outcome {
        Allowed => "allowed",
        Denied => "denied",
        Failed => "failed",
    }
);

text_enum!(
    /// Through which door the request came.
    AccessMethod {
        Web => "web",
        Api => "api",
        Cli => "cli",
        Job => "job",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_parses_back() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(*a));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(*o));
        }
        assert_eq!(AuditAction::parse("VIEW"), None);
        for k in RecordKind::ALL {
            assert_eq!(RecordKind::parse(k.as_str()), Some(*k));
        }
    }
}
