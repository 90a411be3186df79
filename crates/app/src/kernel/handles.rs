//! Room handles: the one calling convention from `web` (and the binary) into the use cases.
//!
//! A handler asks for a room (`app.patients(&actor)`) and calls its methods; each method
//! authorizes its own category × action, so a handler never holds an `Access` and cannot pass
//! one granted for something else. Work without a person (the CLI, jobs) asks for the loudly
//! named [`App::system_bypassing_policy`], whose reason is written into every entry it causes.

use enamel_domain::{Action, Category, PatientId, PracticeId};

use crate::access::Access;
use crate::{Actor, App, AppError, RequestOrigin, SystemReason};

/// Who a room handle acts for.
#[derive(Debug, Clone)]
pub(crate) enum Caller<'a> {
    /// A verified person or integration: every method checks the role matrix.
    Person(&'a Actor),
    /// The system, with its audited reason: the matrix is not consulted.
    System(Box<Access>),
}

impl Caller<'_> {
    pub(crate) fn actor(&self) -> &Actor {
        match self {
            Caller::Person(actor) => actor,
            Caller::System(access) => access.actor(),
        }
    }

    pub(crate) fn practice_id(&self) -> PracticeId {
        self.actor().practice_id()
    }

    /// The access for one category × action (a refusal is audited as `denied`).
    pub(crate) async fn access(
        &self,
        app: &App,
        category: Category,
        action: Action,
        patient: Option<PatientId>,
    ) -> Result<Access, AppError> {
        match self {
            Caller::Person(actor) => app.authorize(actor, category, action, patient).await,
            Caller::System(access) => Ok(access.as_ref().clone()),
        }
    }

    /// Whether the caller may do this, without auditing the question: for deciding how much
    /// of a record to show (minimum necessary), never as a gate on its own.
    pub(crate) async fn may(
        &self,
        app: &App,
        category: Category,
        action: Action,
        patient: Option<PatientId>,
    ) -> Result<bool, AppError> {
        match self {
            Caller::Person(actor) => app.may(actor, category, action, patient).await,
            Caller::System(_) => Ok(true),
        }
    }
}

/// The system acting for one practice, for the CLI and background jobs. Obtained only from
/// [`App::system_bypassing_policy`].
#[derive(Debug, Clone)]
pub struct System<'a> {
    app: &'a App,
    access: Access,
}

impl App {
    /// Acts without a person, bypassing the role policy: for the CLI and background jobs only.
    /// The name is long on purpose; every use is greppable (and banned in `web` by its
    /// `clippy.toml`), and the reason is written into every audit entry the access causes.
    pub fn system_bypassing_policy(
        &self,
        practice: PracticeId,
        reason: SystemReason,
        origin: RequestOrigin,
    ) -> System<'_> {
        System {
            app: self,
            access: Access::system_bypassing_policy(practice, reason, origin),
        }
    }
}

impl<'a> System<'a> {
    pub fn patients(&self) -> crate::Patients<'a> {
        crate::Patients::new(self.app, Caller::System(Box::new(self.access.clone())))
    }

    pub fn schedule(&self) -> crate::Schedule<'a> {
        crate::Schedule::new(self.app, Caller::System(Box::new(self.access.clone())))
    }

    pub fn chart(&self) -> crate::Chart<'a> {
        crate::Chart::new(self.app, Caller::System(Box::new(self.access.clone())))
    }
}
