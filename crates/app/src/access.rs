//! Who is acting, for which practice, through which door. An [`Access`] is the only key to
//! the record functions of this crate; each of them turns it into the audit entry it writes.
//! Staff and patient actors (made only from verified sessions) join the system actor here.

use enamel_domain::{AccessMethod, AuditAction, Outcome, PracticeId};

use crate::AuditDraft;

/// Where a request came from; recorded in every audit entry it causes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestOrigin {
    pub method: AccessMethod,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl RequestOrigin {
    pub fn cli() -> Self {
        RequestOrigin {
            method: AccessMethod::Cli,
            client_ip: None,
            user_agent: None,
        }
    }

    pub fn job() -> Self {
        RequestOrigin {
            method: AccessMethod::Job,
            client_ip: None,
            user_agent: None,
        }
    }
}

/// Why the system itself touches records: a closed list, so every system access carries an
/// audited reason that a reviewer can filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemReason {
    /// `enamel demo` filling a practice with synthetic patients.
    DemoData,
    /// `enamel init` creating a practice and its keys.
    PracticeSetup,
    /// Re-encrypting rows under a new data key.
    KeyRotation,
    /// Bulk import from another system.
    Import,
}

impl SystemReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SystemReason::DemoData => "system:demo_data",
            SystemReason::PracticeSetup => "system:practice_setup",
            SystemReason::KeyRotation => "system:key_rotation",
            SystemReason::Import => "system:import",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Actor {
    System(SystemReason),
}

/// Permission to act on one practice's records, with the identity that the audit log names.
#[derive(Debug, Clone)]
pub struct Access {
    practice_id: PracticeId,
    actor: Actor,
    origin: RequestOrigin,
}

impl Access {
    /// For the CLI and background jobs only: acts without a person, bypassing the role policy.
    /// The name is long on purpose; every use is greppable, and the reason is written into
    /// every audit entry the access causes.
    pub fn system_bypassing_policy(
        practice_id: PracticeId,
        reason: SystemReason,
        origin: RequestOrigin,
    ) -> Access {
        Access {
            practice_id,
            actor: Actor::System(reason),
            origin,
        }
    }

    pub fn practice_id(&self) -> PracticeId {
        self.practice_id
    }

    /// The audit entry for `action` by this actor; the caller adds the record it concerns.
    pub(crate) fn audit(&self, action: AuditAction, outcome: Outcome) -> AuditDraft {
        let (actor_id, role, reason) = match &self.actor {
            Actor::System(reason) => ("system", "system", Some(reason.as_str().to_string())),
        };
        AuditDraft {
            practice_id: Some(self.practice_id.to_string()),
            actor_id: Some(actor_id.to_string()),
            actor_role: Some(role.to_string()),
            patient_id: None,
            record_type: None,
            record_id: None,
            action,
            outcome,
            client_ip: self.origin.client_ip.clone(),
            user_agent: self.origin.user_agent.clone(),
            access_method: self.origin.method,
            reason,
        }
    }
}
