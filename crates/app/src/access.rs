//! Who is acting, for which practice, through which door, and what they were allowed to do.
//!
//! An [`Actor`] is made only by this crate, from a verified session or API token. An [`Access`]
//! is the only key to the record functions; it is made only by [`App::authorize`] (which
//! checks the role matrix, writes the audit entry of a refusal, and honours break-glass
//! grants) or by the loudly named [`Access::system_bypassing_policy`]. Each record function
//! checks that the access it was handed covers its own category and action, so an access
//! granted to view demographics cannot be used to edit them.
//!
//! [`App::authorize`]: crate::App::authorize

use enamel_domain::{
    AccessMethod, Action, AuditAction, Category, Outcome, PatientId, PracticeId, Role,
};

use crate::{AppError, AuditDraft};

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
    /// The host's operator issuing a reset link no administrator of the practice may issue.
    AccountRecovery,
}

impl SystemReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SystemReason::DemoData => "system:demo_data",
            SystemReason::PracticeSetup => "system:practice_setup",
            SystemReason::KeyRotation => "system:key_rotation",
            SystemReason::Import => "system:import",
            SystemReason::AccountRecovery => "system:account_recovery",
        }
    }
}

/// Which kind of session a person holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A browser session (cookie).
    Web,
    /// An API client that signed in with username, password and second factor (bearer).
    Api,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }
}

/// The session behind a person's actor.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SessionRef {
    pub(crate) token_hash: [u8; 32],
    pub(crate) id: String,
    pub(crate) kind: SessionKind,
    pub(crate) mfa_ms: Option<i64>,
}

impl std::fmt::Debug for SessionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRef")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    System(SystemReason),
    Staff {
        user_id: String,
        roles: Vec<Role>,
        session: SessionRef,
    },
    Integration {
        token_id: String,
        scopes: Vec<(Category, Action)>,
    },
}

/// A verified person or integration acting for one practice. There is no public constructor:
/// actors come from [`crate::App::resolve_session`] and [`crate::App::resolve_bearer`].
#[derive(Debug, Clone)]
pub struct Actor {
    pub(crate) practice_id: PracticeId,
    pub(crate) principal: Principal,
    pub(crate) username: String,
    pub(crate) display_name: String,
    pub(crate) origin: RequestOrigin,
}

impl Actor {
    pub fn practice_id(&self) -> PracticeId {
        self.practice_id
    }

    /// The staff user's id; `None` for an integration token.
    pub fn user_id(&self) -> Option<&str> {
        match &self.principal {
            Principal::Staff { user_id, .. } => Some(user_id),
            _ => None,
        }
    }

    pub fn roles(&self) -> &[Role] {
        match &self.principal {
            Principal::Staff { roles, .. } => roles,
            _ => &[],
        }
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// The public id of the session (for "this device" in the session list).
    pub fn session_id(&self) -> Option<&str> {
        self.session().map(|s| s.id.as_str())
    }

    pub fn session_kind(&self) -> Option<SessionKind> {
        self.session().map(|s| s.kind)
    }

    pub fn origin(&self) -> &RequestOrigin {
        &self.origin
    }

    /// The anti-forgery token for this session's forms: derived from the session secret, so
    /// it needs no storage and dies with the session.
    pub fn csrf_token(&self) -> Option<String> {
        let session = self.session()?;
        let digest =
            enamel_crypto::OpaqueToken::hash(&format!("csrf:{}", to_hex(&session.token_hash)));
        Some(to_hex(&digest))
    }

    /// Whether a submitted form token is this session's (constant-time comparison).
    pub fn csrf_matches(&self, submitted: &str) -> bool {
        self.csrf_token()
            .is_some_and(|t| enamel_crypto::constant_time_eq(t.as_bytes(), submitted.as_bytes()))
    }

    pub(crate) fn session(&self) -> Option<&SessionRef> {
        match &self.principal {
            Principal::Staff { session, .. } => Some(session),
            _ => None,
        }
    }

    /// Whether this is an integration acting by an API token (not a person).
    pub(crate) fn is_integration(&self) -> bool {
        matches!(self.principal, Principal::Integration { .. })
    }

    /// The id the audit log names: the user id, or `token:<id>` for an integration.
    pub(crate) fn audit_id(&self) -> String {
        match &self.principal {
            Principal::System(_) => "system".into(),
            Principal::Staff { user_id, .. } => user_id.clone(),
            Principal::Integration { token_id, .. } => format!("token:{token_id}"),
        }
    }

    pub(crate) fn audit_role(&self) -> String {
        match &self.principal {
            Principal::System(_) => "system".into(),
            Principal::Staff { roles, .. } => {
                let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
                names.join("+")
            }
            Principal::Integration { .. } => "integration".into(),
        }
    }

    /// An audit entry for this actor about something other than a record access (sign-in
    /// events, administration).
    pub(crate) fn audit(&self, action: AuditAction, outcome: Outcome) -> AuditDraft {
        AuditDraft {
            practice_id: Some(self.practice_id.to_string()),
            actor_id: Some(self.audit_id()),
            actor_role: Some(self.audit_role()),
            patient_id: None,
            record_type: None,
            record_id: None,
            action,
            outcome,
            client_ip: self.origin.client_ip.clone(),
            user_agent: self.origin.user_agent.clone(),
            access_method: self.origin.method,
            reason: None,
        }
    }
}

/// What an [`Access`] covers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    /// The system actor: every record function, with its reason audited.
    Everything,
    Granted {
        category: Category,
        action: Action,
        /// Set for break-glass: only this patient.
        patient: Option<PatientId>,
        emergency_grant: Option<String>,
    },
}

/// Permission to do one thing (a category and action, sometimes for one patient) for one
/// practice, with the identity that the audit log names.
#[derive(Debug, Clone)]
pub(crate) struct Access {
    practice_id: PracticeId,
    actor: Actor,
    scope: Scope,
}

impl Access {
    /// For the CLI and background jobs only: acts without a person, bypassing the role policy.
    /// The name is long on purpose; every use is greppable, and the reason is written into
    /// every audit entry the access causes.
    pub(crate) fn system_bypassing_policy(
        practice_id: PracticeId,
        reason: SystemReason,
        origin: RequestOrigin,
    ) -> Access {
        Access {
            practice_id,
            actor: Actor {
                practice_id,
                principal: Principal::System(reason),
                username: "system".into(),
                display_name: "Enamel".into(),
                origin,
            },
            scope: Scope::Everything,
        }
    }

    pub(crate) fn granted(
        actor: &Actor,
        category: Category,
        action: Action,
        patient: Option<PatientId>,
        emergency_grant: Option<String>,
    ) -> Access {
        Access {
            practice_id: actor.practice_id,
            actor: actor.clone(),
            scope: Scope::Granted {
                category,
                action,
                patient,
                emergency_grant,
            },
        }
    }

    pub fn practice_id(&self) -> PracticeId {
        self.practice_id
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// True when this access exists only because of a break-glass grant.
    pub fn is_emergency(&self) -> bool {
        matches!(
            &self.scope,
            Scope::Granted {
                emergency_grant: Some(_),
                ..
            }
        )
    }

    /// Called by every record function with its own category and action: an access made for
    /// something else is a programming error, refused rather than trusted.
    pub(crate) fn ensure(
        &self,
        category: Category,
        action: Action,
        patient: Option<PatientId>,
    ) -> Result<(), AppError> {
        match &self.scope {
            Scope::Everything => Ok(()),
            Scope::Granted {
                category: c,
                action: a,
                patient: only,
                ..
            } => {
                let same_patient = match (only, patient) {
                    (None, _) => true,
                    (Some(only), Some(p)) => *only == p,
                    (Some(_), None) => false,
                };
                if *c == category && *a == action && same_patient {
                    Ok(())
                } else {
                    tracing::error!(
                        granted_category = c.as_str(),
                        granted_action = a.as_str(),
                        used_category = category.as_str(),
                        used_action = action.as_str(),
                        "an access was used beyond what it was granted for"
                    );
                    Err(AppError::Forbidden)
                }
            }
        }
    }

    /// The audit entry for `action` by this access; the caller adds the record it concerns.
    pub(crate) fn audit(&self, action: AuditAction, outcome: Outcome) -> AuditDraft {
        let mut draft = self.actor.audit(action, outcome);
        draft.reason = match (&self.actor.principal, &self.scope) {
            (Principal::System(reason), _) => Some(reason.as_str().to_string()),
            (
                _,
                Scope::Granted {
                    emergency_grant: Some(grant),
                    ..
                },
            ) => Some(format!("emergency_access:{grant}")),
            _ => None,
        };
        draft
    }
}

/// The audit action that records an attempt at a matrix action.
pub(crate) fn audit_action_for(action: Action) -> AuditAction {
    match action {
        Action::View => AuditAction::View,
        Action::Create => AuditAction::Create,
        Action::Edit => AuditAction::Update,
        Action::Delete => AuditAction::Delete,
        Action::Export => AuditAction::Export,
        Action::Print => AuditAction::Print,
        Action::Disclose => AuditAction::Disclose,
    }
}

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
