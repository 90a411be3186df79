//! The storage contract, run against whichever engine `ENAMEL_TEST_DATABASE_URL` selects
//! (SQLite when unset): CI runs it once per engine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use enamel_audit::{Entry, GENESIS_CHAIN, Hash};
use enamel_store::specs::PATIENTS;
use enamel_store::{
    AuditHead, AuditQuery, CheckpointRow, Db, PatientRow, PracticeRow, SealedRow, StoreError,
    WrappedKeyRow,
};
use enamel_testkit::fresh_db;

async fn migrated() -> (enamel_testkit::TestDb, Db) {
    let t = fresh_db().await;
    let applied = t.db.migrate(1).await.unwrap();
    assert!(!applied.is_empty());
    let db = t.db.clone();
    (t, db)
}

fn practice(id: &str) -> PracticeRow {
    PracticeRow {
        id: id.into(),
        display_name: format!("Synthetic Dental {id}"),
        created_ms: 1,
        active_key_version: 1,
        min_key_version: 1,
        time_zone: "America/New_York".into(),
        demo: false,
    }
}

fn patient(practice_id: &str, id: &str, token: u8) -> PatientRow {
    PatientRow {
        practice_id: practice_id.into(),
        id: id.into(),
        key_version: 1,
        family_name: vec![1, token],
        given_name: vec![2, token],
        birth_date: vec![3, token],
        details: None,
        chart_number: Some(vec![4, token]),
        contact: None,
        insurance: None,
        family_name_bidx: vec![token; 32],
        birth_date_bidx: vec![token ^ 0xff; 32],
        chart_bidx: Some(vec![token ^ 0x0f; 32]),
        status: "active".into(),
        household_id: None,
        guarantor_id: None,
        responsible_party_id: None,
        created_ms: 1,
        updated_ms: 1,
        created_by: None,
        updated_by: None,
        row_version: 1,
    }
}

async fn two_practices(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    tx.insert_practice(&practice("pa")).await.unwrap();
    tx.insert_practice(&practice("pb")).await.unwrap();
    tx.insert_patients(&[
        patient("pa", "p1", 7),
        patient("pa", "p2", 8),
        patient("pb", "p3", 7),
    ])
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// SQLite's readers are `query_only`: a write sent to them by mistake fails at once instead of
/// racing the one writer connection; what the writer commits, they see.
#[tokio::test]
async fn sqlite_readers_refuse_writes_and_see_the_writers_commits() {
    let (_t, db) = migrated().await;
    let Db::Sqlite(writer, readers) = &db else {
        return;
    };
    let insert = "INSERT INTO practices (id, display_name, created_ms, active_key_version, \
                  min_key_version) VALUES ('p-r', 'R', 1, 1, 1)";
    let readers = &readers.pool;
    let refused = sqlx::query(insert).execute(readers).await.unwrap_err();
    assert!(
        refused.to_string().contains("readonly"),
        "a reader wrote: {refused}"
    );
    sqlx::query(insert).execute(writer).await.unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM practices WHERE id = 'p-r'")
        .fetch_one(readers)
        .await
        .unwrap();
    assert_eq!(seen, 1);
}

/// The write-ahead log is copied into the database file in the background, not by the writer
/// (whose own checkpoint waits for 16,000 pages): 2 MB committed reach the file by themselves.
#[tokio::test]
async fn sqlite_checkpoints_the_log_off_the_writer() {
    let (t, db) = migrated().await;
    let Db::Sqlite(writer, _) = &db else {
        return;
    };
    let file = t.url.trim_start_matches("sqlite://").to_string();
    let size = || std::fs::metadata(&file).unwrap().len();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(writer)
        .await
        .unwrap();
    let before = size();
    sqlx::query("CREATE TABLE bulk (b BLOB)")
        .execute(writer)
        .await
        .unwrap();
    sqlx::query("INSERT INTO bulk VALUES (zeroblob(2000000))")
        .execute(writer)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while size() < before + 1_000_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "the log was not checkpointed: the file is still {} bytes",
            size()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn migrating_twice_is_a_no_op_and_the_schema_is_current() {
    let (_t, db) = migrated().await;
    assert!(db.schema_is_current().await.unwrap());
    assert!(db.migrate(2).await.unwrap().is_empty());
    assert_eq!(db.schema_version().await.unwrap(), 17);
}

#[tokio::test]
async fn a_practice_keeps_its_time_zone_and_a_change_reports_the_old_one() {
    let (_t, db) = migrated().await;
    two_practices(&db).await;
    assert_eq!(
        db.practice("pa").await.unwrap().time_zone,
        "America/New_York"
    );
    let mut tx = db.begin().await.unwrap();
    let before = tx.set_practice_time_zone("pa", "Asia/Tokyo").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(before, "America/New_York");
    assert_eq!(db.practice_time_zone("pa").await.unwrap(), "Asia/Tokyo");
    assert_eq!(
        db.practice_time_zone("pb").await.unwrap(),
        "America/New_York"
    );
    let mut tx = db.begin().await.unwrap();
    assert!(matches!(
        tx.set_practice_time_zone("nobody", "UTC").await,
        Err(StoreError::NotFound)
    ));
    drop(tx);
    assert!(matches!(
        db.practice_time_zone("nobody").await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn only_a_practice_made_or_marked_as_the_demo_is_a_demo() {
    let (_t, db) = migrated().await;
    let mut tx = db.begin().await.unwrap();
    tx.insert_practice(&practice("real")).await.unwrap();
    tx.insert_practice(&PracticeRow {
        demo: true,
        ..practice("demo")
    })
    .await
    .unwrap();
    tx.insert_practice(&practice("older-demo")).await.unwrap();
    tx.commit().await.unwrap();
    assert!(!db.practice("real").await.unwrap().demo);
    assert!(db.practice("demo").await.unwrap().demo);

    let mut tx = db.begin().await.unwrap();
    tx.mark_practice_demo("older-demo").await.unwrap();
    assert!(matches!(
        tx.mark_practice_demo("nobody").await,
        Err(StoreError::NotFound)
    ));
    tx.commit().await.unwrap();
    let demos: Vec<(String, bool)> = db
        .practices()
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.id, p.demo))
        .collect();
    assert_eq!(
        demos,
        [
            ("demo".to_string(), true),
            ("older-demo".to_string(), true),
            ("real".to_string(), false)
        ]
    );
    // A practice that existed before the column is not a demo, and the column holds 0 or 1.
    enamel_testkit::raw_sql(
        &db,
        "INSERT INTO practices (id, display_name, created_ms, active_key_version, min_key_version) \
         VALUES ('old', 'Old Dental', 1, 1, 1)",
    )
    .await
    .unwrap();
    assert!(!db.practice("old").await.unwrap().demo);
    assert!(
        enamel_testkit::raw_sql(&db, "UPDATE practices SET demo = 2 WHERE id = 'old'")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_practice_inserted_without_a_zone_is_at_utc() {
    // What `enamel migrate` leaves for practices that existed before the column.
    let (_t, db) = migrated().await;
    enamel_testkit::raw_sql(
        &db,
        "INSERT INTO practices (id, display_name, created_ms, active_key_version, min_key_version) \
         VALUES ('old', 'Old Dental', 1, 1, 1)",
    )
    .await
    .unwrap();
    assert_eq!(db.practice_time_zone("old").await.unwrap(), "UTC");
}

#[tokio::test]
async fn a_migration_numbered_below_the_newest_applied_still_runs() {
    // A database migrated before 0005 was merged (at 6 or later, without 5) gets it on the next start.
    let (_t, db) = migrated().await;
    for sql in [
        "ALTER TABLE practices DROP COLUMN time_zone",
        "DELETE FROM schema_migrations WHERE version = 5",
    ] {
        enamel_testkit::raw_sql(&db, sql).await.unwrap();
    }
    assert_eq!(db.schema_version().await.unwrap(), 17);
    assert!(!db.schema_is_current().await.unwrap());
    assert_eq!(db.migrate(3).await.unwrap(), vec!["0005_practice_time.sql"]);
    assert!(db.schema_is_current().await.unwrap());
    two_practices(&db).await;
    assert_eq!(
        db.practice_time_zone("pa").await.unwrap(),
        "America/New_York"
    );
}

#[tokio::test]
async fn an_empty_database_is_not_current() {
    let t = fresh_db().await;
    assert_eq!(t.db.schema_version().await.unwrap(), 0);
    assert!(!t.db.schema_is_current().await.unwrap());
}

#[tokio::test]
async fn no_query_reads_another_practices_rows() {
    let (_t, db) = migrated().await;
    two_practices(&db).await;

    // By id: p3 belongs to pb.
    assert!(matches!(
        db.patient("pa", "p3").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(db.patient("pb", "p3").await.unwrap().practice_id, "pb");
    // By blind index: token 7 exists in both practices.
    let found = db
        .patients_by_family_name("pa", &[7; 32], 10)
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["p1"]
    );
    assert_eq!(db.count_patients("pa").await.unwrap(), 2);
    assert_eq!(db.count_patients("pb").await.unwrap(), 1);
    // Key-version counts and the rotation sweep stay inside the practice.
    let counts = db.key_version_counts("pb").await.unwrap();
    assert_eq!(counts.iter().map(|c| c.rows).sum::<i64>(), 1);
    let rows = db
        .sealed_rows_below(&PATIENTS, "pb", 2, "", 100)
        .await
        .unwrap();
    assert_eq!(
        rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["p3"]
    );

    // Writes aimed at another practice's row change nothing.
    let mut tx = db.begin().await.unwrap();
    let mut hijack = patient("pa", "p3", 9);
    hijack.row_version = 2;
    assert!(matches!(
        tx.update_patient(&hijack, 1).await,
        Err(StoreError::Conflict)
    ));
    let moved = SealedRow {
        id: "p3".into(),
        key_version: 2,
        values: vec![
            Some(vec![0]),
            Some(vec![0]),
            Some(vec![0]),
            None,
            None,
            None,
            None,
        ],
    };
    assert_eq!(
        tx.reseal_rows(&PATIENTS, "pa", &[(moved, rows[0].clone())])
            .await
            .unwrap(),
        0
    );
    tx.commit().await.unwrap();
    assert_eq!(
        db.patient("pb", "p3").await.unwrap(),
        patient("pb", "p3", 7)
    );

    // Keys too.
    let mut tx = db.begin().await.unwrap();
    tx.insert_wrapped_key(&WrappedKeyRow {
        practice_id: "pa".into(),
        purpose: "field".into(),
        version: 1,
        kek_id: "kek-a".into(),
        wrapped: vec![1, 2, 3],
        created_ms: 1,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(db.wrapped_keys("pa").await.unwrap().len(), 1);
    assert!(db.wrapped_keys("pb").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_stale_row_version_is_a_conflict_and_leaves_the_row_unchanged() {
    let (_t, db) = migrated().await;
    two_practices(&db).await;
    let mut tx = db.begin().await.unwrap();
    let mut next = patient("pa", "p1", 42);
    next.row_version = 2;
    tx.update_patient(&next, 1).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let mut stale = patient("pa", "p1", 43);
    stale.row_version = 2;
    assert!(matches!(
        tx.update_patient(&stale, 1).await,
        Err(StoreError::Conflict)
    ));
    tx.rollback().await.unwrap();
    assert_eq!(db.patient("pa", "p1").await.unwrap(), next);
}

#[tokio::test]
async fn the_active_key_version_only_moves_forward() {
    let (_t, db) = migrated().await;
    two_practices(&db).await;
    let mut tx = db.begin().await.unwrap();
    tx.set_active_key_version("pa", 2).await.unwrap();
    assert!(matches!(
        tx.set_active_key_version("pa", 2).await,
        Err(StoreError::Conflict)
    ));
    tx.commit().await.unwrap();
    assert_eq!(db.practice("pa").await.unwrap().active_key_version, 2);
    assert_eq!(db.practice("pb").await.unwrap().active_key_version, 1);
}

fn entry(seq: u64) -> Entry {
    Entry {
        seq,
        time_ms: 1_000 + seq as i64,
        practice_id: Some("pa".into()),
        actor_id: Some("system".into()),
        actor_role: Some("system".into()),
        patient_id: None,
        record_type: Some("patient".into()),
        record_id: Some(format!("p{seq}")),
        action: "view".into(),
        outcome: "allowed".into(),
        client_ip: None,
        user_agent: None,
        app_version: "test".into(),
        access_method: "cli".into(),
        reason: None,
    }
}

const LOG_A: &str = "practice:pa";

async fn append_three(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    let head = tx.lock_audit_head(LOG_A).await.unwrap();
    assert_eq!(head.size, 0);
    assert_eq!(head.chain, GENESIS_CHAIN.to_vec());
    assert_eq!(head.frontier, vec![0u8; 8]);
    let rows: Vec<(Entry, Hash)> = (0..3).map(|s| (entry(s), [s as u8; 32])).collect();
    tx.insert_audit_entries(LOG_A, &rows).await.unwrap();
    tx.set_audit_head(
        LOG_A,
        &AuditHead {
            size: 3,
            chain: vec![2; 32],
            frontier: vec![9; 8],
        },
    )
    .await
    .unwrap();
    // The head row now exists: locking it again returns it.
    assert_eq!(tx.lock_audit_head(LOG_A).await.unwrap().size, 3);
    tx.insert_checkpoint(
        LOG_A,
        &CheckpointRow {
            size: 3,
            key_id: "k".into(),
            origin: "o".into(),
            root: vec![1; 32],
            time_ms: 5,
            signature: vec![1; 64],
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn audit_rows_round_trip_and_filter() {
    let (_t, db) = migrated().await;
    two_practices(&db).await;
    append_three(&db).await;
    let rows = db.audit_rows_from(LOG_A, 1, 10).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, entry(1));
    assert_eq!(rows[0].1, [1u8; 32]);
    assert_eq!(db.audit_head(LOG_A).await.unwrap().size, 3);
    assert!(
        db.audit_rows_from("practice:pb", 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(db.audit_head("practice:pb").await.unwrap().size, 0);
    assert_eq!(db.audit_logs().await.unwrap(), [LOG_A]);
    let q = AuditQuery {
        practice_id: Some("pa".into()),
        limit: 10,
        after_seq: Some(0),
        ..AuditQuery::default()
    };
    let filtered = db.audit_entries(&q).await.unwrap();
    assert_eq!(filtered.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    let other = AuditQuery {
        practice_id: Some("pb".into()),
        limit: 10,
        ..AuditQuery::default()
    };
    assert!(db.audit_entries(&other).await.unwrap().is_empty());
    assert_eq!(db.checkpoints(LOG_A).await.unwrap().len(), 1);
    assert!(db.checkpoints("practice:pb").await.unwrap().is_empty());
}

use enamel_testkit::raw_sql as raw;

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_audit_rows() {
    let (_t, db) = migrated().await;
    two_practices(&db).await;
    append_three(&db).await;
    for sql in [
        "UPDATE audit_log_entries SET action = 'delete' WHERE seq = 1",
        "UPDATE audit_log_entries SET seq = 7 WHERE seq = 2",
        "UPDATE audit_log_entries SET log = 'practice:pb'",
        "DELETE FROM audit_log_entries WHERE seq = 1",
        "DELETE FROM audit_log_entries",
        "UPDATE audit_log_checkpoints SET time_ms = 0",
        "DELETE FROM audit_log_checkpoints",
    ] {
        let err = raw(&db, sql).await.expect_err(sql);
        assert!(
            err.to_string()
                .contains("audit records cannot be changed or deleted"),
            "{sql}: {err}"
        );
    }
    if matches!(db, Db::Postgres(_)) {
        for table in [
            "audit_events",
            "audit_checkpoints",
            "audit_log_entries",
            "audit_log_checkpoints",
        ] {
            assert!(raw(&db, &format!("TRUNCATE {table}")).await.is_err());
        }
    }
    // The legacy log is closed: no new entry, no moving head.
    for sql in [
        "INSERT INTO audit_events (seq, time_ms, action, outcome, app_version, access_method, chain) \
         SELECT 0, time_ms, action, outcome, app_version, access_method, chain FROM audit_log_entries WHERE seq = 0",
        "UPDATE audit_head SET size = 1",
    ] {
        let err = raw(&db, sql).await.expect_err(sql);
        assert!(
            err.to_string().contains("the legacy audit log is closed"),
            "{sql}: {err}"
        );
    }
    let rows = db.audit_rows_from(LOG_A, 0, 10).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        (0..3).map(entry).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_application_role_cannot_change_the_audit_log_even_without_triggers() {
    let (_t, db) = migrated().await;
    let Db::Postgres(_) = &db else { return };
    two_practices(&db).await;
    append_three(&db).await;
    let role = format!("enamel_app_{}", uuid::Uuid::new_v4().simple());
    raw(&db, &format!("CREATE ROLE {role} NOLOGIN"))
        .await
        .unwrap();
    db.grant_app_role(&role).await.unwrap();
    for sql in [
        "DROP TRIGGER audit_log_entries_refuse_change ON audit_log_entries",
        "DROP TRIGGER audit_log_checkpoints_refuse_change ON audit_log_checkpoints",
        "DROP TRIGGER audit_events_refuse_insert ON audit_events",
    ] {
        raw(&db, sql).await.unwrap();
    }
    // One query string runs as one implicit transaction: SET LOCAL ends with it, and a failure
    // rolls it back, so the pooled connection comes back clean.
    for change in [
        "UPDATE audit_log_entries SET action = 'x' WHERE seq = 1",
        "DELETE FROM audit_log_entries",
        "DELETE FROM audit_log_checkpoints",
        "DELETE FROM audit_log_heads",
        "INSERT INTO audit_events (seq, time_ms, action, outcome, app_version, access_method, chain) \
         VALUES (3, 1, 'view', 'allowed', 'test', 'cli', '\\x00'::bytea)",
    ] {
        let attempt = format!("SET LOCAL ROLE {role}; {change};");
        let err = raw(&db, &attempt).await.expect_err(change);
        assert!(
            err.to_string().contains("permission denied"),
            "{change}: {err}"
        );
    }
    // What the server does: read, create and lock a head, append, sign.
    let read = format!(
        "SET LOCAL ROLE {role}; SELECT seq FROM audit_log_entries; SELECT seq FROM audit_events; \
         INSERT INTO audit_log_heads (log, size, chain, frontier) VALUES ('server', 0, '\\x00'::bytea, '\\x00'::bytea) \
         ON CONFLICT (log) DO UPDATE SET size = audit_log_heads.size; \
         UPDATE audit_log_heads SET size = size WHERE log = 'practice:pa'; \
         INSERT INTO audit_log_entries (log, seq, time_ms, action, outcome, app_version, access_method, chain) \
         VALUES ('practice:pa', 3, 1, 'view', 'allowed', 'test', 'cli', '\\x00'::bytea); \
         INSERT INTO audit_log_checkpoints (log, size, key_id, origin, root, time_ms, signature) \
         VALUES ('practice:pa', 4, 'k2', 'o', '\\x00'::bytea, 1, '\\x00'::bytea); \
         INSERT INTO audit_checkpoints (size, key_id, origin, root, time_ms, signature) \
         VALUES (4, 'k2', 'o', '\\x00'::bytea, 1, '\\x00'::bytea);"
    );
    raw(&db, &read).await.unwrap();
    // Every table of the schema is readable by the role (a table added without its grant
    // would break the server on a least-privilege deployment), and history cannot be deleted.
    let Db::Postgres(pool) = &db else { return };
    let unreadable: Vec<String> = sqlx::query_scalar(
        // By oid, so no name is resolved (the planner may test rows of other schemas first).
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind = 'r' \
         AND NOT has_table_privilege($1, c.oid, 'SELECT')",
    )
    .bind(&role)
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(unreadable.is_empty(), "no grant for: {unreadable:?}");
    raw(
        &db,
        "DROP TRIGGER patient_versions_refuse_delete ON patient_versions",
    )
    .await
    .unwrap();
    let err = raw(
        &db,
        &format!("SET LOCAL ROLE {role}; DELETE FROM patient_versions;"),
    )
    .await
    .expect_err("history deleted by the app role");
    assert!(err.to_string().contains("permission denied"), "{err}");
    raw(&db, &format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .await
        .unwrap();
    assert!(
        db.grant_app_role("bad name; DROP TABLE patients")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn resealing_writes_only_rows_still_at_the_version_read() {
    let (_t, db) = migrated().await;
    two_practices(&db).await;
    let row = |id: &str| SealedRow {
        id: id.into(),
        key_version: 2,
        values: vec![
            Some(vec![9, 1]),
            Some(vec![9, 2]),
            Some(vec![9, 3]),
            None,
            Some(vec![9, 4]),
            None,
            None,
        ],
    };
    let read = db
        .sealed_rows_below(&PATIENTS, "pa", 2, "", 100)
        .await
        .unwrap();
    assert_eq!(read.len(), 2);
    let mut tx = db.begin().await.unwrap();
    let written = tx
        .reseal_rows(
            &PATIENTS,
            "pa",
            &[(row("p1"), read[0].clone()), (row("p2"), read[1].clone())],
        )
        .await
        .unwrap();
    assert_eq!(written, 2);
    // Read at version 1 again: the rows moved on, nothing is written.
    assert_eq!(
        tx.reseal_rows(&PATIENTS, "pa", &[(row("p1"), read[0].clone())])
            .await
            .unwrap(),
        0
    );
    tx.commit().await.unwrap();
    let p1 = db.patient("pa", "p1").await.unwrap();
    assert_eq!(
        (p1.key_version, p1.family_name, p1.birth_date),
        (2, vec![9, 1], vec![9, 3])
    );
    assert_eq!(
        p1.family_name_bidx,
        vec![7; 32],
        "blind indexes are not touched"
    );
    assert_eq!(db.patient("pb", "p3").await.unwrap().key_version, 1);
}

#[tokio::test]
async fn l4_a_patient_another_names_cannot_be_deleted() {
    let (_t, db) = migrated().await;
    let mut tx = db.begin().await.unwrap();
    tx.insert_practice(&practice("pa")).await.unwrap();
    tx.insert_practice(&practice("pb")).await.unwrap();
    let mut minor = patient("pa", "minor", 2);
    minor.responsible_party_id = Some("parent".into());
    let mut dependant = patient("pa", "dependant", 3);
    dependant.guarantor_id = Some("payer".into());
    dependant.household_id = Some("payer".into());
    let mut payer = patient("pa", "payer", 4);
    payer.household_id = Some("elsewhere".into());
    payer.guarantor_id = Some("payer".into());
    // The same id in another practice is another patient.
    let mut theirs = patient("pb", "x", 5);
    theirs.guarantor_id = Some("alone".into());
    tx.insert_patients(&[
        patient("pa", "parent", 1),
        minor,
        dependant,
        payer,
        patient("pa", "alone", 6),
        theirs,
    ])
    .await
    .unwrap();
    tx.commit().await.unwrap();

    for id in ["parent", "payer"] {
        let mut tx = db.begin().await.unwrap();
        assert!(tx.patient_is_referenced("pa", id).await.unwrap(), "{id}");
        // The trigger refuses it even without the check.
        assert!(
            matches!(
                tx.delete_patient("pa", id, 1).await,
                Err(StoreError::Refused(_))
            ),
            "{id}"
        );
        tx.rollback().await.unwrap();
        assert!(db.patient_exists("pa", id).await.unwrap());
    }
    let mut tx = db.begin().await.unwrap();
    assert!(!tx.patient_is_referenced("pa", "alone").await.unwrap());
    tx.delete_patient("pa", "alone", 1).await.unwrap();
    // A patient who is only their own guarantor is not held back by it.
    tx.delete_patient("pa", "minor", 1).await.unwrap();
    tx.commit().await.unwrap();
}

/// Search tokens written before 0010 (SQLite's rebuild of their table) are found after it, and
/// the token search walks the matches in id order with its exclusions and cursor.
#[tokio::test]
async fn search_tokens_survive_the_rebuild_and_page_in_id_order() {
    let t = fresh_db().await;
    let db = t.db.clone();
    db.migrate_to(1, 9).await.unwrap();
    two_practices(&db).await;
    let (a, b, c) = ([0xa1u8; 32], [0xb2u8; 32], [0xc3u8; 32]);
    let mut tx = db.begin().await.unwrap();
    tx.replace_search_tokens(
        "pa",
        &["p1", "p2"],
        &[
            ("p1".into(), a),
            ("p1".into(), b),
            ("p2".into(), a),
            ("p2".into(), c),
        ],
    )
    .await
    .unwrap();
    tx.replace_search_tokens("pb", &["p3"], &[("p3".into(), a)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        db.migrate(2).await.unwrap(),
        vec![
            "0010_compact_search_tokens.sql",
            "0011_clinical_chart.sql",
            "0012_perio_exams.sql",
            "0013_clinical_notes.sql",
            "0014_treatment_plans.sql",
            "0015_tooth_states.sql",
            "0016_scheduling.sql",
            "0017_schedule_blocks.sql"
        ]
    );

    let search =
        |all_of: &'static [[u8; 32]], not_all_of: &'static [[u8; 32]]| enamel_store::TokenSearch {
            all_of,
            not_all_of,
            status: None,
            walk: enamel_store::Walk::Probe,
        };
    const A: &[[u8; 32]] = &[[0xa1; 32]];
    const AB: &[[u8; 32]] = &[[0xa1; 32], [0xb2; 32]];
    const B: &[[u8; 32]] = &[[0xb2; 32]];
    let all = db
        .search_patient_page("pa", &search(A, &[]), None, 10)
        .await
        .unwrap();
    assert_eq!(all, ["p1", "p2"], "one practice's patients, in id order");
    let after = db
        .search_patient_page("pa", &search(A, &[]), Some("p1"), 10)
        .await
        .unwrap();
    assert_eq!(after, ["p2"]);
    let both = db
        .search_patient_page("pa", &search(AB, &[]), None, 10)
        .await
        .unwrap();
    assert_eq!(both, ["p1"]);
    let not_b = db
        .search_patient_page("pa", &search(A, B), None, 10)
        .await
        .unwrap();
    assert_eq!(not_b, ["p2"]);
    let active = enamel_store::TokenSearch {
        all_of: A,
        not_all_of: &[],
        status: Some("inactive"),
        walk: enamel_store::Walk::Probe,
    };
    assert!(
        db.search_patient_page("pa", &active, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        db.count_search_matches("pa", &search(A, &[]), 1)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db.count_search_matches("pa", &search(A, &[]), 5)
            .await
            .unwrap(),
        2
    );
    assert!(
        db.search_patient_page("pa", &search(&[], &[]), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// The two walks of a token search list the same patients in the same order, whatever the
/// exclusion, status, cursor, page size or count cap (a merge that ends a round on an excluded
/// id or loses its place between rounds would differ), and postings are counted up to the bound.
#[tokio::test]
async fn token_search_walks_agree_and_postings_are_counted_up_to_the_bound() {
    use enamel_store::{POSTINGS_COUNTED_UP_TO, TokenSearch, Walk};
    let (_t, db) = migrated().await;
    let (t2, t3, t5, none, big) = ([2u8; 32], [3u8; 32], [5u8; 32], [9u8; 32], [7u8; 32]);
    let holds = |i: usize| {
        let mut tokens = Vec::new();
        for (m, t) in [(2, t2), (3, t3), (5, t5)] {
            if i.is_multiple_of(m) {
                tokens.push(t);
            }
        }
        tokens
    };
    let ids: Vec<String> = (0..240).map(|i| format!("q{i:03}")).collect();
    let mut tx = db.begin().await.unwrap();
    tx.insert_practice(&practice("pa")).await.unwrap();
    tx.insert_practice(&practice("pb")).await.unwrap();
    let rows: Vec<PatientRow> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| PatientRow {
            status: if i.is_multiple_of(7) {
                "inactive"
            } else {
                "active"
            }
            .into(),
            chart_bidx: None,
            ..patient("pa", id, 1)
        })
        .collect();
    tx.insert_patients(&rows).await.unwrap();
    tx.insert_patients(&[patient("pb", "q001", 1)])
        .await
        .unwrap();
    let pairs: Vec<(String, [u8; 32])> = ids
        .iter()
        .enumerate()
        .flat_map(|(i, id)| holds(i).into_iter().map(move |t| (id.clone(), t)))
        .collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    tx.replace_search_tokens("pa", &id_refs, &pairs)
        .await
        .unwrap();
    // Another practice's patient holds every token: never listed, never counted.
    tx.replace_search_tokens("pb", &["q001"], &[("q001".into(), t2), ("q001".into(), t3)])
        .await
        .unwrap();
    let many: Vec<String> = (0..1_200).map(|i| format!("c{i:04}")).collect();
    let many_refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let many_pairs: Vec<(String, [u8; 32])> = many.iter().map(|id| (id.clone(), big)).collect();
    tx.replace_search_tokens("pa", &many_refs, &many_pairs)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(
        db.token_postings("pa", &[t2, none, t5, big]).await.unwrap(),
        [120, 0, 48, POSTINGS_COUNTED_UP_TO]
    );
    assert_eq!(Walk::for_shortest(POSTINGS_COUNTED_UP_TO - 1), Walk::Probe);
    assert_eq!(Walk::for_shortest(POSTINGS_COUNTED_UP_TO), Walk::Merge);

    let all_ofs: [&[[u8; 32]]; 4] = [&[t2, t3], &[t3, t2, t5], &[t2, none], &[t5, t3]];
    let not_all_ofs: [&[[u8; 32]]; 4] = [&[], &[t5], &[t5, t3], &[t2]];
    let mut compared = 0;
    for all_of in all_ofs {
        for not_all_of in not_all_ofs {
            for status in [None, Some("inactive"), Some("active")] {
                let expected: Vec<&str> = (0..240)
                    .filter(|&i| {
                        let held = holds(i);
                        let excluded =
                            !not_all_of.is_empty() && not_all_of.iter().all(|t| held.contains(t));
                        all_of.iter().all(|t| held.contains(t))
                            && !excluded
                            && status.is_none_or(|s| (s == "inactive") == i.is_multiple_of(7))
                    })
                    .map(|i| ids[i].as_str())
                    .collect();
                for walk in [Walk::Probe, Walk::Merge] {
                    let search = TokenSearch {
                        all_of,
                        not_all_of,
                        status,
                        walk,
                    };
                    for after in [None, Some("q100"), Some("q239")] {
                        let from: Vec<&str> = expected
                            .iter()
                            .copied()
                            .filter(|id| after.is_none_or(|a| *id > a))
                            .collect();
                        for limit in [1usize, 7, 500] {
                            let page = db
                                .search_patient_page("pa", &search, after, limit as i64)
                                .await
                                .unwrap();
                            let want: Vec<&str> = from.iter().copied().take(limit).collect();
                            assert_eq!(page, want, "{walk:?} {after:?} {limit}");
                            compared += 1;
                        }
                    }
                    for cap in [3usize, 1_000] {
                        let counted = db.count_search_matches("pa", &search, cap as i64).await;
                        assert_eq!(
                            counted.unwrap(),
                            expected.len().min(cap) as i64,
                            "{walk:?} {cap}"
                        );
                    }
                }
            }
        }
    }
    assert_eq!(compared, 4 * 4 * 3 * 2 * 3 * 3);
}
