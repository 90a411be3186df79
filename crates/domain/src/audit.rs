//! What the audit log records: the vocabulary is closed so that reports can rely on it.

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
    }
}
