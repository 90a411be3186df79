//! What the audit log records: the vocabulary is closed so that reports can rely on it.

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

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
