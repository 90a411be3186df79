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
mod claims;
mod clinical;
mod clock;
mod error;
mod kernel;
mod keyring;
mod patients;
mod practice_time;
mod practices;
mod rotation;
mod scheduling;

use std::sync::Arc;

use enamel_store::Db;
use keyring::KeyRing;

pub use access::{Actor, RequestOrigin, SessionKind, SystemReason};
pub use audit_log::{
    AuditDraft, AuditWriter, CheckpointOutcome, Refusal, VerifyOptions, VerifyOutcome,
    checkpoint_audit_log, checkpoint_audit_logs, verify_audit_log, verify_audit_log_with,
};
pub use audit_view::{AuditFilter, AuditPage, MAX_AUDIT_EXPORT, MAX_AUDIT_PAGE};
pub use auth::AuthSettings;
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::AppError;

pub use clinical::{
    AcceptanceView, AddendumView, Chart, ChartPatient, ChartSettings, ChartView, CodeImport,
    MAX_CHART_LOCK_HOURS, NoteAddendumView, NoteClaims, NoteTemplateView, NoteView, PatientRecords,
    PerioClaims, PerioComparison, PerioExamView, PlanClaims, PlanView, ProcedureClaims,
    ProcedureView, SignatureCheck, ToothStateView,
};
pub use kernel::System;
pub use patients::{
    Created, DELETE_REASON, Expected, IDEMPOTENCY_WINDOW_MS, IdempotentRequest,
    MAX_IDEMPOTENCY_KEY_BYTES, MAX_VERSIONS_PAGE, MatchKind, PatientContact, PatientQuery,
    PatientRights, PatientSearchPage, PatientSummary, PatientVersionPage, PatientVersionSummary,
    PatientView, Patients, READ_ONLY, ReadOnlyClaims, SEARCH_COUNT_CAP, SearchPosition,
    is_valid_idempotency_key,
};
pub use practices::NewPractice;
pub use rotation::{
    FieldKeyVersion, KeyStatus, RETIRE_AFTER_MS, ReencryptReport, ResealBatch, TableVersionCount,
};
pub use scheduling::{
    AppointmentClaims, AppointmentTypeView, AppointmentView, BlockView, DayFilter, DayView,
    OperatoryView, ProviderView, RecordClaims, RecordStamp, Schedule, ScheduleConflict,
};

pub use enamel_store::PracticeRow;

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
    time_zones: practice_time::TimeZoneCache,
    touches: auth::RecentTouches,
    /// When this process last deleted spent throttle rows.
    throttle_purged_ms: std::sync::atomic::AtomicI64,
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
                time_zones: practice_time::TimeZoneCache::default(),
                touches: auth::RecentTouches::default(),
                throttle_purged_ms: std::sync::atomic::AtomicI64::new(0),
            }),
        }
    }

    pub fn auth_settings(&self) -> &AuthSettings {
        &self.inner.auth
    }

    pub(crate) fn password_pool(&self) -> &auth::PasswordPool {
        &self.inner.passwords
    }

    /// How many password hashes and verifications (Argon2id runs) this server has computed
    /// since it started: for monitoring, and for tests that show a request never reached the
    /// hashing pool.
    pub fn password_hashing_runs(&self) -> u64 {
        self.inner.passwords.runs()
    }

    pub(crate) fn throttle_purged_ms(&self) -> &std::sync::atomic::AtomicI64 {
        &self.inner.throttle_purged_ms
    }

    pub(crate) fn recent_touches(&self) -> &auth::RecentTouches {
        &self.inner.touches
    }

    pub(crate) fn policy_cache(&self) -> &auth::PolicyCache {
        &self.inner.policies
    }

    pub(crate) fn time_zone_cache(&self) -> &practice_time::TimeZoneCache {
        &self.inner.time_zones
    }

    /// The raw handles stay inside this crate: a dependent that could reach them could read
    /// sealed rows, open them, or append to the audit log without going through a room.
    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    pub(crate) fn keys(&self) -> &KeyRing {
        &self.inner.keys
    }

    pub(crate) fn audit(&self) -> &AuditWriter {
        &self.inner.audit
    }

    /// Closes the database pool (at the end of a command or a clean stop).
    pub async fn close(&self) {
        self.inner.db.close().await;
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
