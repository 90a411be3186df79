//! Enamel's use cases: the only way from a request (or a CLI command) to PHI.
//!
//! Every read or write of a record goes through an [`Access`], and the functions that take one
//! write the audit entry themselves: a change's entry in the same transaction as the change,
//! a read's entry durably (group-committed) before any plaintext is returned. The key ring
//! turns stored ciphertext into values and back; the store below never sees plaintext.
//!
//! This crate must never depend on HTTP or on the binary's configuration format.

mod access;
mod audit_log;
mod audit_view;
pub mod auth;
mod clock;
mod error;
mod keyring;
mod patients;
mod practices;
mod rotation;

use std::sync::Arc;

pub use access::{Access, Actor, RequestOrigin, SessionKind, SystemReason};
pub use audit_log::{
    AuditDraft, AuditWriter, CheckpointOutcome, Refusal, VerifyOutcome, checkpoint_audit_log,
    checkpoint_audit_logs, verify_audit_log,
};
pub use audit_view::{AuditFilter, AuditPage, MAX_AUDIT_EXPORT, MAX_AUDIT_PAGE};
pub use auth::AuthSettings;
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::AppError;
pub use keyring::KeyRing;
pub use patients::{
    PatientContact, PatientQuery, PatientSearchPage, PatientSummary, PatientVersionSummary,
    PatientView,
};
pub use practices::NewPractice;
pub use rotation::{FieldKeyVersion, KeyStatus, ReencryptReport, TableVersionCount};

pub use enamel_store::{Db, PoolSettings, PracticeRow};

/// The version string written into every audit entry.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The application: storage, keys, audit and the clock, shared by every request.
#[derive(Debug, Clone)]
pub struct App {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: Db,
    keys: KeyRing,
    audit: AuditWriter,
    clock: Arc<dyn Clock>,
    auth: AuthSettings,
    passwords: auth::PasswordPool,
    policies: auth::PolicyCache,
}

impl App {
    /// Wires the parts together with default sign-in settings and starts the audit
    /// group-commit task (needs a Tokio runtime).
    pub fn new(
        db: Db,
        provider: Arc<dyn enamel_crypto::KeyProvider>,
        clock: Arc<dyn Clock>,
    ) -> App {
        App::with_settings(db, provider, clock, AuthSettings::default())
    }

    pub fn with_settings(
        db: Db,
        provider: Arc<dyn enamel_crypto::KeyProvider>,
        clock: Arc<dyn Clock>,
        auth: AuthSettings,
    ) -> App {
        let audit = AuditWriter::start(db.clone(), clock.clone());
        let keys = KeyRing::new(db.clone(), provider);
        let passwords = auth::PasswordPool::new(auth.hashing_permits, auth.hashing_queue_wait);
        App {
            inner: Arc::new(Inner {
                db,
                keys,
                audit,
                clock,
                auth,
                passwords,
                policies: auth::PolicyCache::default(),
            }),
        }
    }

    pub fn auth_settings(&self) -> &AuthSettings {
        &self.inner.auth
    }

    pub(crate) fn password_pool(&self) -> &auth::PasswordPool {
        &self.inner.passwords
    }

    pub(crate) fn policy_cache(&self) -> &auth::PolicyCache {
        &self.inner.policies
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn keys(&self) -> &KeyRing {
        &self.inner.keys
    }

    pub fn audit(&self) -> &AuditWriter {
        &self.inner.audit
    }

    pub fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }

    /// Ready to serve: the database answers and its schema is this build's.
    pub async fn ready(&self) -> Result<(), AppError> {
        self.inner.db.ping().await?;
        if self.inner.db.schema_is_current().await? {
            Ok(())
        } else {
            Err(AppError::Unavailable(
                "the database schema is not current; run `enamel migrate`".into(),
            ))
        }
    }
}
