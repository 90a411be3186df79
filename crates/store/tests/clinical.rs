//! The clinical chart's storage contract, on whichever engine `ENAMEL_TEST_DATABASE_URL`
//! selects: practice isolation, codes replaced by a later import, and the database's own
//! refusal to change locked work, work entered in error, history and addenda.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use enamel_store::{
    Db, PatientRow, PracticeRow, ProcedureAddendumRow, ProcedureCodeRow, ProcedureRow,
    ProcedureVersionRow, StoreError, ToothStateRow,
};
use enamel_testkit::{fresh_db, raw_sql};

/// Far in the past and far in the future by any clock the database may have.
const LONG_AGO_MS: i64 = 1_000_000_000_000;
const FAR_FUTURE_MS: i64 = 9_000_000_000_000;

async fn migrated() -> (enamel_testkit::TestDb, Db) {
    let t = fresh_db().await;
    t.db.migrate(1).await.unwrap();
    let db = t.db.clone();
    let mut tx = db.begin().await.unwrap();
    for id in ["pa", "pb"] {
        tx.insert_practice(&PracticeRow {
            id: id.into(),
            display_name: format!("Synthetic Dental {id}"),
            created_ms: 1,
            active_key_version: 1,
            min_key_version: 1,
            time_zone: "UTC".into(),
            demo: false,
        })
        .await
        .unwrap();
    }
    for (practice, id) in [("pa", "p1"), ("pb", "p2")] {
        tx.insert_patient(&PatientRow {
            practice_id: practice.into(),
            id: id.into(),
            key_version: 1,
            family_name: vec![1],
            given_name: vec![2],
            birth_date: vec![3],
            details: None,
            chart_number: None,
            contact: None,
            insurance: None,
            family_name_bidx: vec![id.len() as u8; 32],
            birth_date_bidx: vec![9; 32],
            chart_bidx: None,
            status: "active".into(),
            household_id: None,
            guarantor_id: None,
            responsible_party_id: None,
            created_ms: 1,
            updated_ms: 1,
            created_by: None,
            updated_by: None,
            row_version: 1,
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    (t, db)
}

fn procedure(id: &str, locks_at_ms: Option<i64>) -> ProcedureRow {
    ProcedureRow {
        practice_id: "pa".into(),
        id: id.into(),
        patient_id: "p1".into(),
        key_version: 1,
        status: if locks_at_ms.is_some() {
            "completed"
        } else {
            "planned"
        }
        .into(),
        details: vec![1, 2, 3],
        completed_ms: locks_at_ms.map(|_| 5),
        locks_at_ms,
        created_ms: 5,
        created_by: "u1".into(),
        updated_ms: 5,
        updated_by: "u1".into(),
        row_version: 1,
    }
}

async fn insert(db: &Db, rows: &[ProcedureRow]) {
    let mut tx = db.begin().await.unwrap();
    for r in rows {
        tx.insert_procedure(r).await.unwrap();
    }
    tx.commit().await.unwrap();
}

async fn update(db: &Db, row: &ProcedureRow, expected: i64) -> Result<(), StoreError> {
    let mut tx = db.begin().await.unwrap();
    tx.update_procedure(row, expected).await?;
    tx.commit().await
}

fn bytes_literal(db: &Db, hex: &str) -> String {
    match db {
        Db::Sqlite(..) => format!("X'{hex}'"),
        Db::Postgres(_) => format!("'\\x{hex}'::bytea"),
    }
}

#[tokio::test]
async fn codes_are_per_practice_and_a_later_import_replaces_them() {
    let (_t, db) = migrated().await;
    let code = |c: &str, fee| ProcedureCodeRow {
        code: c.into(),
        description: format!("Demo: {c}"),
        area_type: "tooth".into(),
        default_fee: fee,
        updated_ms: 1,
    };
    let mut tx = db.begin().await.unwrap();
    tx.upsert_procedure_codes("pa", &[code("X1", 100), code("X2", 200)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    tx.upsert_procedure_codes("pa", &[code("X2", 250)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let codes = db.procedure_codes("pa").await.unwrap();
    assert_eq!(
        codes
            .iter()
            .map(|c| (c.code.as_str(), c.default_fee))
            .collect::<Vec<_>>(),
        [("X1", 100), ("X2", 250)]
    );
    assert!(db.procedure_codes("pb").await.unwrap().is_empty());
    assert!(db.procedure_code("pb", "X1").await.unwrap().is_none());
}

#[tokio::test]
async fn procedures_are_read_only_within_their_practice() {
    let (_t, db) = migrated().await;
    insert(&db, &[procedure("r1", None)]).await;
    assert!(db.procedure("pa", "r1").await.is_ok());
    assert!(matches!(
        db.procedure("pb", "r1").await,
        Err(StoreError::NotFound)
    ));
    assert!(db.procedures_of("pb", "p1").await.unwrap().is_empty());
    assert!(db.patient_has_chart("pa", "p1").await.unwrap());
    assert!(!db.patient_has_chart("pb", "p1").await.unwrap());
    // A procedure names a patient of its own practice.
    let mut foreign = procedure("r2", None);
    foreign.patient_id = "p2".into();
    let mut tx = db.begin().await.unwrap();
    assert!(tx.insert_procedure(&foreign).await.is_err());
}

#[tokio::test]
async fn open_work_changes_under_its_version_and_is_never_deleted() {
    let (_t, db) = migrated().await;
    insert(&db, &[procedure("r1", Some(FAR_FUTURE_MS))]).await;
    let mut changed = procedure("r1", Some(FAR_FUTURE_MS));
    changed.details = vec![7];
    changed.row_version = 2;
    assert!(matches!(
        update(&db, &changed, 9).await,
        Err(StoreError::Conflict)
    ));
    update(&db, &changed, 1).await.unwrap();
    assert_eq!(db.procedure("pa", "r1").await.unwrap().details, vec![7]);
    let delete = "DELETE FROM procedures WHERE id = 'r1'";
    assert!(raw_sql(&db, delete).await.is_err(), "allowed: {delete}");
}

#[tokio::test]
async fn the_database_refuses_every_change_to_locked_work_but_rotation_and_invalidation() {
    let (_t, db) = migrated().await;
    insert(&db, &[procedure("r1", Some(LONG_AGO_MS))]).await;
    let attempts = [
        "UPDATE procedures SET status = 'planned' WHERE id = 'r1'".to_string(),
        format!(
            "UPDATE procedures SET details = {} WHERE id = 'r1'",
            bytes_literal(&db, "0909")
        ),
        "UPDATE procedures SET locks_at_ms = NULL WHERE id = 'r1'".into(),
        format!(
            "UPDATE procedures SET key_version = 2, locks_at_ms = NULL, details = {} WHERE id = 'r1'",
            bytes_literal(&db, "0100000002aabb")
        ),
        format!("UPDATE procedures SET locks_at_ms = {FAR_FUTURE_MS} WHERE id = 'r1'"),
        "UPDATE procedures SET row_version = row_version + 1 WHERE id = 'r1'".into(),
        "UPDATE procedures SET patient_id = 'p9' WHERE id = 'r1'".into(),
        // A rotation that also rewrites the status is not a rotation.
        "UPDATE procedures SET key_version = 2, status = 'planned' WHERE id = 'r1'".into(),
        // Entered in error, but with its details rewritten on the way.
        format!(
            "UPDATE procedures SET status = 'entered_in_error', row_version = 2, details = {} \
             WHERE id = 'r1'",
            bytes_literal(&db, "0909")
        ),
        "DELETE FROM procedures WHERE id = 'r1'".into(),
    ];
    for sql in &attempts {
        let refused = raw_sql(&db, sql).await;
        assert!(refused.is_err(), "allowed on locked work: {sql}");
    }
    let mut through_the_store = procedure("r1", Some(LONG_AGO_MS));
    through_the_store.details = vec![8];
    through_the_store.row_version = 2;
    assert!(matches!(
        update(&db, &through_the_store, 1).await,
        Err(StoreError::Refused(_))
    ));
    assert_eq!(
        db.procedure("pa", "r1").await.unwrap().details,
        vec![1, 2, 3]
    );

    // Key rotation re-seals in place and changes nothing else; the re-sealed value must name
    // the new key version in its header (format 1, version 2), so an older ciphertext of the
    // row cannot be put back as a rotation.
    let not_resealed = format!(
        "UPDATE procedures SET key_version = 2, details = {} WHERE id = 'r1'",
        bytes_literal(&db, "0100000001aabb")
    );
    assert!(
        raw_sql(&db, &not_resealed).await.is_err(),
        "allowed: {not_resealed}"
    );
    raw_sql(
        &db,
        &format!(
            "UPDATE procedures SET key_version = 2, details = {} WHERE id = 'r1'",
            bytes_literal(&db, "0100000002aabb")
        ),
    )
    .await
    .unwrap();
    // Marked entered in error only once its reason is written.
    let mut early = db.procedure("pa", "r1").await.unwrap();
    early.status = "entered_in_error".into();
    early.row_version = 2;
    assert!(matches!(
        update(&db, &early, 1).await,
        Err(StoreError::Refused(_))
    ));
    let mut tx = db.begin().await.unwrap();
    tx.insert_procedure_addendum(&ProcedureAddendumRow {
        practice_id: "pa".into(),
        id: "reason1".into(),
        procedure_id: "r1".into(),
        patient_id: "p1".into(),
        key_version: 2,
        kind: "invalidation".into(),
        body: vec![1],
        created_ms: 8,
        created_by: "u2".into(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Marked entered in error: the status, the version and who did it.
    let mut invalid = db.procedure("pa", "r1").await.unwrap();
    invalid.status = "entered_in_error".into();
    invalid.row_version = 2;
    invalid.updated_ms = 9;
    invalid.updated_by = "u2".into();
    update(&db, &invalid, 1).await.unwrap();
    // After which only rotation remains.
    for sql in [
        "UPDATE procedures SET status = 'completed', row_version = 3 WHERE id = 'r1'",
        "UPDATE procedures SET updated_by = 'u3' WHERE id = 'r1'",
    ] {
        assert!(
            raw_sql(&db, sql).await.is_err(),
            "allowed after error: {sql}"
        );
    }
    raw_sql(
        &db,
        &format!(
            "UPDATE procedures SET key_version = 3, details = {} WHERE id = 'r1'",
            bytes_literal(&db, "0100000003aabb")
        ),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn work_entered_in_error_is_final_even_before_any_lock() {
    let (_t, db) = migrated().await;
    insert(&db, &[procedure("r1", None)]).await;
    let mut invalid = procedure("r1", None);
    invalid.status = "entered_in_error".into();
    invalid.row_version = 2;
    update(&db, &invalid, 1).await.unwrap();
    let mut back = invalid.clone();
    back.status = "planned".into();
    back.row_version = 3;
    assert!(matches!(
        update(&db, &back, 2).await,
        Err(StoreError::Refused(_))
    ));
}

#[tokio::test]
async fn versions_and_addenda_are_kept_and_never_rewritten() {
    let (_t, db) = migrated().await;
    insert(&db, &[procedure("r1", None)]).await;
    let mut tx = db.begin().await.unwrap();
    tx.insert_procedure_version(&ProcedureVersionRow {
        practice_id: "pa".into(),
        id: "r1:1".into(),
        procedure_id: "r1".into(),
        patient_id: "p1".into(),
        row_version: 1,
        key_version: 1,
        change: "complete".into(),
        changed_by: "u1".into(),
        changed_ms: 6,
        snapshot: vec![4],
    })
    .await
    .unwrap();
    tx.insert_procedure_addendum(&ProcedureAddendumRow {
        practice_id: "pa".into(),
        id: "a1".into(),
        procedure_id: "r1".into(),
        patient_id: "p1".into(),
        key_version: 1,
        kind: "addendum".into(),
        body: vec![5],
        created_ms: 7,
        created_by: "u1".into(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(db.procedure_versions_of("pa", "p1").await.unwrap().len(), 1);
    assert_eq!(db.procedure_addenda("pa", "r1").await.unwrap().len(), 1);
    assert_eq!(db.procedure_addenda_of("pa", "p1").await.unwrap().len(), 1);
    assert!(db.procedure_addenda("pb", "r1").await.unwrap().is_empty());
    for sql in [
        "UPDATE procedure_versions SET change = 'update'",
        "DELETE FROM procedure_versions",
        "UPDATE procedure_addenda SET kind = 'invalidation'",
        "UPDATE procedure_addenda SET created_by = 'u9'",
        "DELETE FROM procedure_addenda",
    ] {
        assert!(raw_sql(&db, sql).await.is_err(), "allowed: {sql}");
    }
}

#[tokio::test]
async fn chart_settings_default_to_universal_and_a_day_and_report_what_they_replace() {
    let (_t, db) = migrated().await;
    let s = db.chart_settings("pa").await.unwrap();
    assert_eq!(
        (s.tooth_numbering.as_str(), s.chart_lock_hours),
        ("universal", 24)
    );
    let mut tx = db.begin().await.unwrap();
    let before = tx
        .set_chart_settings(
            "pa",
            &enamel_store::ChartSettingsRow {
                tooth_numbering: "fdi".into(),
                chart_lock_hours: 0,
            },
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(before, s);
    assert_eq!(
        db.chart_settings("pa").await.unwrap().tooth_numbering,
        "fdi"
    );
    assert_eq!(
        db.chart_settings("pb").await.unwrap().tooth_numbering,
        "universal"
    );
    let mut tx = db.begin().await.unwrap();
    let bad = enamel_store::ChartSettingsRow {
        tooth_numbering: "palmer".into(),
        chart_lock_hours: 24,
    };
    assert!(tx.set_chart_settings("pa", &bad).await.is_err());
}

fn exam(id: &str) -> enamel_store::PerioExamRow {
    enamel_store::PerioExamRow {
        practice_id: "pa".into(),
        id: id.into(),
        patient_id: "p1".into(),
        key_version: 1,
        status: "draft".into(),
        details: vec![1],
        closed_ms: None,
        closed_by: None,
        created_ms: 5,
        created_by: "u1".into(),
        updated_ms: 5,
        updated_by: "u1".into(),
        row_version: 1,
    }
}

#[tokio::test]
async fn a_perio_draft_changes_in_place_and_a_closed_exam_only_by_rotation() {
    let (_t, db) = migrated().await;
    let mut tx = db.begin().await.unwrap();
    tx.insert_perio_exam(&exam("e1")).await.unwrap();
    tx.commit().await.unwrap();
    assert!(matches!(
        db.perio_exam("pb", "e1").await,
        Err(StoreError::NotFound)
    ));
    let mut saved = exam("e1");
    saved.details = vec![2];
    saved.row_version = 2;
    let mut tx = db.begin().await.unwrap();
    tx.update_perio_exam(&saved, 1).await.unwrap();
    tx.commit().await.unwrap();
    let mut closed = saved.clone();
    closed.status = "closed".into();
    closed.closed_ms = Some(9);
    closed.closed_by = Some("u1".into());
    closed.row_version = 3;
    let mut tx = db.begin().await.unwrap();
    tx.update_perio_exam(&closed, 2).await.unwrap();
    tx.commit().await.unwrap();
    // A closed exam without a closing time is not a closed exam.
    let mut tx = db.begin().await.unwrap();
    let mut half = exam("e2");
    half.status = "closed".into();
    assert!(tx.insert_perio_exam(&half).await.is_err());
    drop(tx);
    for sql in [
        "UPDATE perio_exams SET status = 'draft', closed_ms = NULL, closed_by = NULL WHERE id = 'e1'".to_string(),
        format!("UPDATE perio_exams SET details = {} WHERE id = 'e1'", bytes_literal(&db, "0909")),
        "UPDATE perio_exams SET row_version = 4 WHERE id = 'e1'".into(),
        "UPDATE perio_exams SET key_version = 2, updated_by = 'u9' WHERE id = 'e1'".into(),
        format!(
            "UPDATE perio_exams SET key_version = 2, closed_by = NULL, details = {} WHERE id = 'e1'",
            bytes_literal(&db, "010000000209")
        ),
        "DELETE FROM perio_exams WHERE id = 'e1'".into(),
    ] {
        assert!(raw_sql(&db, &sql).await.is_err(), "allowed on a closed exam: {sql}");
    }
    raw_sql(
        &db,
        &format!(
            "UPDATE perio_exams SET key_version = 2, details = {} WHERE id = 'e1'",
            bytes_literal(&db, "010000000209")
        ),
    )
    .await
    .unwrap();
    let row = db.perio_exam("pa", "e1").await.unwrap();
    assert_eq!(
        (row.key_version, row.details, row.row_version),
        (2, vec![1, 0, 0, 0, 2, 9], 3)
    );
    assert_eq!(db.perio_exams_of("pa", "p1").await.unwrap().len(), 1);
    assert!(db.patient_has_chart("pa", "p1").await.unwrap());
}

fn tooth_state(practice: &str, id: &str, patient: &str, at_ms: i64) -> ToothStateRow {
    ToothStateRow {
        practice_id: practice.into(),
        id: id.into(),
        patient_id: patient.into(),
        key_version: 1,
        details: vec![1, 0, 0, 0, 1, 7],
        created_ms: at_ms,
        created_by: "u1".into(),
    }
}

#[tokio::test]
async fn tooth_states_are_only_added_in_the_order_recorded_and_re_sealed_by_rotation() {
    let (_t, db) = migrated().await;
    let mut tx = db.begin().await.unwrap();
    // Recorded out of id order: the instant orders them.
    tx.insert_tooth_state(&tooth_state("pa", "t2", "p1", 5))
        .await
        .unwrap();
    tx.insert_tooth_state(&tooth_state("pa", "t1", "p1", 6))
        .await
        .unwrap();
    tx.insert_tooth_state(&tooth_state("pb", "t3", "p2", 5))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let ids = |rows: Vec<ToothStateRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(db.tooth_states_of("pa", "p1").await.unwrap()),
        ["t2", "t1"]
    );
    assert!(db.tooth_states_of("pb", "p1").await.unwrap().is_empty());
    // A patient of another practice is not a patient here.
    let mut tx = db.begin().await.unwrap();
    assert!(
        tx.insert_tooth_state(&tooth_state("pa", "t4", "p2", 7))
            .await
            .is_err()
    );
    drop(tx);
    for sql in [
        "UPDATE tooth_states SET created_by = 'u9' WHERE id = 't1'".to_string(),
        "UPDATE tooth_states SET patient_id = 'p1' WHERE id = 't3'".into(),
        format!(
            "UPDATE tooth_states SET details = {} WHERE id = 't1'",
            bytes_literal(&db, "010000000109")
        ),
        format!(
            "UPDATE tooth_states SET key_version = 2, details = {} WHERE id = 't1'",
            bytes_literal(&db, "010000000309")
        ),
        "DELETE FROM tooth_states WHERE id = 't1'".into(),
    ] {
        assert!(raw_sql(&db, &sql).await.is_err(), "allowed: {sql}");
    }
    raw_sql(
        &db,
        &format!(
            "UPDATE tooth_states SET key_version = 2, details = {} WHERE id = 't1'",
            bytes_literal(&db, "010000000209")
        ),
    )
    .await
    .unwrap();
    let rows = db.tooth_states_of("pa", "p1").await.unwrap();
    assert_eq!(
        (
            rows[1].key_version,
            rows[1].details.clone(),
            rows[1].created_ms
        ),
        (2, vec![1, 0, 0, 0, 2, 9], 6)
    );
}
