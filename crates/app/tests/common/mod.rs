//! Shared set-up for the app's integration tests: a migrated database on the engine this run
//! targets, a key provider, the application and one practice.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use base64::Engine as _;
use enamel_app::{
    App, AuditWriter, NewPractice, Patients, RequestOrigin, SystemClock, SystemReason,
};
use enamel_crypto::{EnvKeyProvider, KeyProvider};
use enamel_domain::PracticeId;
use enamel_store::Db;
use enamel_testkit::{TestDb, fresh_db};

pub struct Fixture {
    pub t: TestDb,
    pub app: App,
    pub practice: PracticeId,
    /// An audit writer of the test's own on the same database: the app hands out none.
    pub writer: AuditWriter,
}

impl Fixture {
    /// The patient room as the system (an import), for setting up and reading back.
    pub fn patients(&self) -> Patients<'_> {
        system_patients(&self.app, self.practice)
    }
}

/// The patient room of `app` as the system, for `practice`.
pub fn system_patients(app: &App, practice: PracticeId) -> Patients<'_> {
    app.system_bypassing_policy(practice, SystemReason::Import, RequestOrigin::cli())
        .patients()
}

pub fn provider(seed: u8) -> Arc<dyn KeyProvider> {
    let key = base64::engine::general_purpose::STANDARD.encode([seed; 32]);
    Arc::new(EnvKeyProvider::from_base64("TEST_KEK", &key).unwrap())
}

/// A new practice, "Synthetic Smiles", on UTC, made as `enamel init` would.
pub async fn synthetic_practice(app: &App) -> PracticeId {
    app.create_practice(
        &NewPractice {
            display_name: "Synthetic Smiles".into(),
            time_zone: enamel_domain::PracticeTz::utc(),
        },
        RequestOrigin::cli(),
    )
    .await
    .unwrap()
}

pub async fn fixture() -> Fixture {
    let t = fresh_db().await;
    t.db.migrate(1).await.unwrap();
    let app = App::new(t.db.clone(), provider(7), Arc::new(SystemClock));
    let practice = synthetic_practice(&app).await;
    let writer = AuditWriter::start(t.db.clone(), Arc::new(SystemClock));
    Fixture {
        t,
        app,
        practice,
        writer,
    }
}

pub use enamel_testkit::raw_sql as raw;

/// Removes the database's refusal to change audit rows and checkpoints of the per-log tables:
/// what an attacker with owner access could do before tampering.
pub async fn drop_audit_triggers(db: &Db) {
    match db {
        Db::Sqlite(..) => {
            for t in [
                "audit_log_entries_refuse_update",
                "audit_log_entries_refuse_delete",
                "audit_log_checkpoints_refuse_update",
                "audit_log_checkpoints_refuse_delete",
            ] {
                raw(db, &format!("DROP TRIGGER IF EXISTS {t}"))
                    .await
                    .unwrap();
            }
        }
        Db::Postgres(_) => {
            for sql in [
                "DROP TRIGGER audit_log_entries_refuse_change ON audit_log_entries",
                "DROP TRIGGER audit_log_checkpoints_refuse_change ON audit_log_checkpoints",
            ] {
                raw(db, sql).await.unwrap();
            }
        }
    }
}
