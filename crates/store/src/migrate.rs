//! Embedded, mirrored migrations with our own small runner: the two folders hold the same file
//! names (a test checks it), each applied once in its own transaction and recorded in
//! `schema_migrations`. Concurrent starters are serialised (an advisory lock on PostgreSQL, the
//! write lock on SQLite), so several `enamel serve` processes may start at once.

use sqlx::{AssertSqlSafe, Row};

use crate::{Db, StoreError, on_db};

/// Records an applied migration inside its transaction (a macro: the two engines' connections
/// are different types).
macro_rules! record {
    ($conn:expr, $m:expr, $now_ms:expr) => {
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)")
            .bind($m.version)
            .bind($m.name)
            .bind($now_ms)
            .execute($conn)
            .await?
    };
}

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_core.sql",
        sqlite: include_str!("../migrations/sqlite/0001_core.sql"),
        postgres: include_str!("../migrations/postgres/0001_core.sql"),
    },
    Migration {
        version: 2,
        name: "0002_access.sql",
        sqlite: include_str!("../migrations/sqlite/0002_access.sql"),
        postgres: include_str!("../migrations/postgres/0002_access.sql"),
    },
    Migration {
        version: 3,
        name: "0003_patient_record.sql",
        sqlite: include_str!("../migrations/sqlite/0003_patient_record.sql"),
        postgres: include_str!("../migrations/postgres/0003_patient_record.sql"),
    },
    Migration {
        version: 4,
        name: "0004_audit_logs.sql",
        sqlite: include_str!("../migrations/sqlite/0004_audit_logs.sql"),
        postgres: include_str!("../migrations/postgres/0004_audit_logs.sql"),
    },
    Migration {
        version: 5,
        name: "0005_practice_time.sql",
        sqlite: include_str!("../migrations/sqlite/0005_practice_time.sql"),
        postgres: include_str!("../migrations/postgres/0005_practice_time.sql"),
    },
    Migration {
        version: 6,
        name: "0006_record_kernel.sql",
        sqlite: include_str!("../migrations/sqlite/0006_record_kernel.sql"),
        postgres: include_str!("../migrations/postgres/0006_record_kernel.sql"),
    },
    Migration {
        version: 7,
        name: "0007_patient_references.sql",
        sqlite: include_str!("../migrations/sqlite/0007_patient_references.sql"),
        postgres: include_str!("../migrations/postgres/0007_patient_references.sql"),
    },
    Migration {
        version: 8,
        name: "0008_demo_practice.sql",
        sqlite: include_str!("../migrations/sqlite/0008_demo_practice.sql"),
        postgres: include_str!("../migrations/postgres/0008_demo_practice.sql"),
    },
    Migration {
        version: 9,
        name: "0009_idempotency_keys.sql",
        sqlite: include_str!("../migrations/sqlite/0009_idempotency_keys.sql"),
        postgres: include_str!("../migrations/postgres/0009_idempotency_keys.sql"),
    },
    Migration {
        version: 10,
        name: "0010_compact_search_tokens.sql",
        sqlite: include_str!("../migrations/sqlite/0010_compact_search_tokens.sql"),
        postgres: include_str!("../migrations/postgres/0010_compact_search_tokens.sql"),
    },
    Migration {
        version: 11,
        name: "0011_clinical_chart.sql",
        sqlite: include_str!("../migrations/sqlite/0011_clinical_chart.sql"),
        postgres: include_str!("../migrations/postgres/0011_clinical_chart.sql"),
    },
    Migration {
        version: 12,
        name: "0012_perio_exams.sql",
        sqlite: include_str!("../migrations/sqlite/0012_perio_exams.sql"),
        postgres: include_str!("../migrations/postgres/0012_perio_exams.sql"),
    },
    Migration {
        version: 13,
        name: "0013_clinical_notes.sql",
        sqlite: include_str!("../migrations/sqlite/0013_clinical_notes.sql"),
        postgres: include_str!("../migrations/postgres/0013_clinical_notes.sql"),
    },
    Migration {
        version: 14,
        name: "0014_treatment_plans.sql",
        sqlite: include_str!("../migrations/sqlite/0014_treatment_plans.sql"),
        postgres: include_str!("../migrations/postgres/0014_treatment_plans.sql"),
    },
    Migration {
        version: 15,
        name: "0015_tooth_states.sql",
        sqlite: include_str!("../migrations/sqlite/0015_tooth_states.sql"),
        postgres: include_str!("../migrations/postgres/0015_tooth_states.sql"),
    },
    Migration {
        version: 16,
        name: "0016_scheduling.sql",
        sqlite: include_str!("../migrations/sqlite/0016_scheduling.sql"),
        postgres: include_str!("../migrations/postgres/0016_scheduling.sql"),
    },
    Migration {
        version: 17,
        name: "0017_schedule_blocks.sql",
        sqlite: include_str!("../migrations/sqlite/0017_schedule_blocks.sql"),
        postgres: include_str!("../migrations/postgres/0017_schedule_blocks.sql"),
    },
];

/// File names the SQLite folder must contain (the mirror test compares both folders to this).
pub const MIGRATIONS_SQLITE_NAMES: &[&str] = &[
    "0001_core.sql",
    "0002_access.sql",
    "0003_patient_record.sql",
    "0004_audit_logs.sql",
    "0005_practice_time.sql",
    "0006_record_kernel.sql",
    "0007_patient_references.sql",
    "0008_demo_practice.sql",
    "0009_idempotency_keys.sql",
    "0010_compact_search_tokens.sql",
    "0011_clinical_chart.sql",
    "0012_perio_exams.sql",
    "0013_clinical_notes.sql",
    "0014_treatment_plans.sql",
    "0015_tooth_states.sql",
    "0016_scheduling.sql",
    "0017_schedule_blocks.sql",
];

const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
     version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)";

/// An arbitrary constant naming Enamel's migration lock among other advisory locks.
const PG_MIGRATION_LOCK: i64 = 0x656e_616d_656c_0001;

impl Db {
    /// Applies every migration this build knows that the database has not seen yet. Returns the
    /// names applied. Refuses to run against a schema newer than this build.
    pub async fn migrate(&self, now_ms: i64) -> Result<Vec<&'static str>, StoreError> {
        let known = MIGRATIONS.last().map_or(0, |m| m.version);
        self.migrate_to(now_ms, known).await
    }

    /// Applies the migrations up to and including `version` only: upgrade tests build a
    /// database as an older release left it. Production code calls [`Db::migrate`].
    pub async fn migrate_to(
        &self,
        now_ms: i64,
        version: i64,
    ) -> Result<Vec<&'static str>, StoreError> {
        let mut applied = Vec::new();
        let known = MIGRATIONS.last().map_or(0, |m| m.version);
        match self {
            Db::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(PG_MIGRATION_LOCK)
                    .execute(&mut *conn)
                    .await?;
                let result: Result<(), StoreError> = async {
                    sqlx::query(CREATE_LEDGER).execute(&mut *conn).await?;
                    let current: i64 =
                        sqlx::query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
                            .fetch_one(&mut *conn)
                            .await?
                            .try_get(0)?;
                    if current > known {
                        return Err(StoreError::SchemaTooNew {
                            found: current,
                            known,
                        });
                    }
                    // Every version not yet recorded, not only those above the newest: a
                    // migration developed alongside a later one (0004 and 0005 beside 0006)
                    // arrives with a lower number than versions already applied.
                    let done: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
                        .fetch_all(&mut *conn)
                        .await?
                        .iter()
                        .map(|r| r.try_get(0))
                        .collect::<Result<_, _>>()?;
                    for m in MIGRATIONS
                        .iter()
                        .filter(|m| !done.contains(&m.version) && m.version <= version)
                    {
                        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                        sqlx::raw_sql(AssertSqlSafe(m.postgres))
                            .execute(&mut *tx)
                            .await?;
                        record!(&mut *tx, m, now_ms);
                        tx.commit().await?;
                        applied.push(m.name);
                    }
                    Ok(())
                }
                .await;
                sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(PG_MIGRATION_LOCK)
                    .execute(&mut *conn)
                    .await?;
                result?;
            }
            Db::Sqlite(pool, _) => {
                let mut conn = pool.acquire().await?;
                sqlx::query(CREATE_LEDGER).execute(&mut *conn).await?;
                for m in MIGRATIONS.iter().filter(|m| m.version <= version) {
                    let mut tx =
                        sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
                    let done: i64 =
                        sqlx::query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
                            .fetch_one(&mut *tx)
                            .await?
                            .try_get(0)?;
                    if done > known {
                        return Err(StoreError::SchemaTooNew { found: done, known });
                    }
                    let recorded: i64 =
                        sqlx::query("SELECT COUNT(*) FROM schema_migrations WHERE version = $1")
                            .bind(m.version)
                            .fetch_one(&mut *tx)
                            .await?
                            .try_get(0)?;
                    if recorded > 0 {
                        tx.rollback().await?;
                        continue;
                    }
                    sqlx::raw_sql(AssertSqlSafe(m.sqlite))
                        .execute(&mut *tx)
                        .await?;
                    record!(&mut *tx, m, now_ms);
                    tx.commit().await?;
                    applied.push(m.name);
                }
            }
        }
        Ok(applied)
    }

    /// The newest migration applied, or 0 on an empty database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        on_db!(self, pool => {
            let exists = sqlx::query("SELECT 1 FROM schema_migrations LIMIT 1")
                .fetch_optional(pool)
                .await;
            if exists.is_err() {
                return Ok(0);
            }
            let row = sqlx::query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
                .fetch_one(pool)
                .await?;
            Ok(row.try_get(0)?)
        })
    }

    /// Whether this build's schema is fully applied (every migration it knows is recorded,
    /// and none it does not); `/readyz` and the CLI check it.
    pub async fn schema_is_current(&self) -> Result<bool, StoreError> {
        if self.schema_version().await? == 0 {
            return Ok(false);
        }
        let done: Vec<i64> = on_db!(self, pool => {
            sqlx::query("SELECT version FROM schema_migrations")
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?
        });
        let known = |v: &i64| MIGRATIONS.iter().any(|m| m.version == *v);
        Ok(MIGRATIONS.iter().all(|m| done.contains(&m.version)) && done.iter().all(known))
    }

    /// PostgreSQL only: give an application role the least it needs. It may read and append
    /// to the audit log but never change or delete it, even if the triggers were dropped by
    /// an owner. `role` must be a plain identifier.
    pub async fn grant_app_role(&self, role: &str) -> Result<(), StoreError> {
        let valid = !role.is_empty()
            && role.len() <= 63
            && role
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !role.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return Err(StoreError::BadUrl(
                "app_role must be lower-case letters, digits and underscores".into(),
            ));
        }
        let Db::Postgres(pool) = self else {
            return Ok(());
        };
        let statements = [
            format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON practices, practice_keys, patients, \
                 users, user_roles, recovery_codes, sessions, sign_in_throttle, password_resets, \
                 password_reset_requests, api_tokens, emergency_grants, policy_overrides TO {role}"
            ),
            // Search tokens are replaced with their record; history rows are added and
            // re-sealed by key rotation, never deleted (as the triggers say, by privilege too).
            format!("GRANT SELECT, INSERT, DELETE ON patient_search_tokens TO {role}"),
            format!("GRANT SELECT, INSERT, UPDATE ON patient_versions TO {role}"),
            format!("REVOKE DELETE, TRUNCATE ON patient_versions FROM {role}"),
            // The practice's code list is its own to replace. Charted work is corrected, never
            // deleted; its history and addenda are only added (and re-sealed).
            format!("GRANT SELECT, INSERT, UPDATE, DELETE ON procedure_codes TO {role}"),
            format!(
                "GRANT SELECT, INSERT, UPDATE ON procedures, procedure_versions, procedure_addenda \
                 TO {role}"
            ),
            format!(
                "REVOKE DELETE, TRUNCATE ON procedures, procedure_versions, procedure_addenda \
                 FROM {role}"
            ),
            format!("GRANT SELECT, INSERT, UPDATE ON perio_exams TO {role}"),
            format!("REVOKE DELETE, TRUNCATE ON perio_exams FROM {role}"),
            format!("GRANT SELECT, INSERT, UPDATE ON clinical_notes, note_addenda TO {role}"),
            format!("REVOKE DELETE, TRUNCATE ON clinical_notes, note_addenda FROM {role}"),
            format!("GRANT SELECT, INSERT, UPDATE, DELETE ON note_templates TO {role}"),
            format!("GRANT SELECT, INSERT, UPDATE ON treatment_plans TO {role}"),
            format!("REVOKE DELETE, TRUNCATE ON treatment_plans FROM {role}"),
            format!("GRANT SELECT, INSERT, UPDATE ON tooth_states TO {role}"),
            format!("REVOKE DELETE, TRUNCATE ON tooth_states FROM {role}"),
            // Providers, chairs and visit types are hidden or ended, never deleted, because
            // appointments keep naming them. A held slot is released by deleting its row.
            format!(
                "GRANT SELECT, INSERT, UPDATE ON providers, operatories, appointment_types, \
                 appointments TO {role}"
            ),
            format!(
                "REVOKE DELETE, TRUNCATE ON providers, operatories, appointment_types, \
                 appointments FROM {role}"
            ),
            format!("GRANT SELECT, INSERT, DELETE ON operatory_slots, provider_slots TO {role}"),
            // A blockout or holiday entered by mistake is removed (each change audited).
            format!("GRANT SELECT, INSERT, DELETE ON schedule_blocks TO {role}"),
            // The legacy log (0001) is closed: read it, and add its final checkpoint.
            format!("GRANT SELECT ON audit_events, audit_head TO {role}"),
            format!("GRANT SELECT, INSERT ON audit_checkpoints TO {role}"),
            format!(
                "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_events, audit_head FROM {role}"
            ),
            format!("REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoints FROM {role}"),
            format!("GRANT SELECT, INSERT ON audit_log_entries, audit_log_checkpoints TO {role}"),
            format!(
                "REVOKE UPDATE, DELETE, TRUNCATE ON audit_log_entries, audit_log_checkpoints \
                 FROM {role}"
            ),
            // A head row is created by its log's first append and then moves forward.
            format!("GRANT SELECT, INSERT, UPDATE ON audit_log_heads TO {role}"),
            format!("REVOKE DELETE, TRUNCATE ON audit_log_heads FROM {role}"),
            // Idempotency keys are claimed, looked up, and removed when they expire.
            format!("GRANT SELECT, INSERT, DELETE ON idempotency_keys TO {role}"),
            format!("GRANT SELECT ON schema_migrations TO {role}"),
        ];
        for sql in statements {
            sqlx::query(AssertSqlSafe(sql)).execute(pool).await?;
        }
        Ok(())
    }
}
