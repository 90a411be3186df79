//! The migrated schema against the record declarations (`enamel_store::specs`), on whichever
//! engine `ENAMEL_TEST_DATABASE_URL` selects: a byte column that is neither sealed nor declared
//! free of PHI, a table with key versions but no declaration, or an append-only table or
//! column without its guard fails here. (A plaintext TEXT column cannot be told from an id by
//! its type; sealed PHI is bytes by construction, which is what these checks rely on.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use enamel_store::specs::{ALL, AUDIT_TABLES, History, NON_PHI_BYTES, PATIENT_VERSIONS};
use enamel_store::{Db, PatientVersionRow};
use enamel_testkit::{fresh_db, raw_sql};
use sqlx::Row;

/// Every column of every table: table → (column → declared type, upper case).
async fn columns(db: &Db) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let rows: Vec<(String, String, String)> = match db {
        Db::Sqlite(pool, _) => sqlx::query(
            "SELECT m.name AS t, p.name AS c, p.type AS ty FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p WHERE m.type = 'table' \
             AND m.name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("t"), r.get("c"), r.get("ty")))
        .collect(),
        Db::Postgres(pool) => sqlx::query(
            "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty \
             FROM information_schema.columns WHERE table_schema = current_schema()",
        )
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("t"), r.get("c"), r.get("ty")))
        .collect(),
    };
    for (t, c, ty) in rows {
        out.entry(t).or_default().insert(c, ty.to_uppercase());
    }
    out
}

/// The events (`UPDATE`, `DELETE`) that some trigger on `table` fires before.
async fn trigger_events(db: &Db, table: &str) -> BTreeSet<String> {
    match db {
        Db::Sqlite(pool, _) => {
            let rows = sqlx::query(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = $1",
            )
            .bind(table)
            .fetch_all(pool)
            .await
            .unwrap();
            let mut events = BTreeSet::new();
            for r in rows {
                let sql: String = r.get("sql");
                let sql = sql.to_uppercase();
                for event in ["UPDATE", "DELETE"] {
                    if sql.contains(&format!("BEFORE {event}")) && sql.contains("RAISE(ABORT") {
                        events.insert(event.to_string());
                    }
                }
            }
            events
        }
        Db::Postgres(pool) => sqlx::query(
            "SELECT DISTINCT event_manipulation::text AS e FROM information_schema.triggers \
             WHERE event_object_table = $1 AND action_timing = 'BEFORE'",
        )
        .bind(table)
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("e"))
        .collect(),
    }
}

fn is_bytes(ty: &str) -> bool {
    ty == "BLOB" || ty == "BYTEA"
}

async fn migrated() -> (enamel_testkit::TestDb, Db) {
    let t = fresh_db().await;
    t.db.migrate(1).await.unwrap();
    let db = t.db.clone();
    (t, db)
}

#[tokio::test]
async fn every_byte_column_is_sealed_by_a_declaration_or_declared_free_of_phi() {
    let (_t, db) = migrated().await;
    let mut undeclared = Vec::new();
    for (table, cols) in columns(&db).await {
        for (column, ty) in cols {
            if !is_bytes(&ty) {
                continue;
            }
            let name = format!("{table}.{column}");
            let sealed = ALL
                .iter()
                .any(|s| s.table == table && s.sealed.contains(&column.as_str()));
            if !sealed && !NON_PHI_BYTES.contains(&name.as_str()) {
                undeclared.push(name);
            }
        }
    }
    assert!(
        undeclared.is_empty(),
        "byte columns that are neither a sealed column of a RecordSpec nor in NON_PHI_BYTES: {undeclared:?}"
    );
}

#[tokio::test]
async fn every_declaration_matches_the_schema() {
    let (_t, db) = migrated().await;
    let schema = columns(&db).await;
    for spec in ALL {
        let cols = schema
            .get(spec.table)
            .unwrap_or_else(|| panic!("{} is declared but not in the schema", spec.table));
        for needed in ["practice_id", "id", "key_version"] {
            assert!(
                cols.contains_key(needed),
                "{}.{needed} is missing",
                spec.table
            );
        }
        for column in spec.sealed {
            let ty = cols.get(*column).unwrap_or_else(|| {
                panic!("{}.{column} is declared sealed but missing", spec.table)
            });
            assert!(
                is_bytes(ty),
                "{}.{column} is sealed but stored as {ty}",
                spec.table
            );
        }
    }
    for name in NON_PHI_BYTES {
        let (table, column) = name.split_once('.').unwrap();
        let ty = schema
            .get(table)
            .and_then(|c| c.get(column))
            .unwrap_or_else(|| panic!("{name} is declared free of PHI but missing"));
        assert!(
            is_bytes(ty),
            "{name} is declared as bytes but stored as {ty}"
        );
    }
}

#[tokio::test]
async fn every_table_with_key_versions_is_declared() {
    let (_t, db) = migrated().await;
    let undeclared: Vec<String> = columns(&db)
        .await
        .into_iter()
        .filter(|(_, cols)| cols.contains_key("key_version"))
        .map(|(table, _)| table)
        .filter(|table| !ALL.iter().any(|s| s.table == table))
        .collect();
    assert!(
        undeclared.is_empty(),
        "tables sealed by practice keys without a RecordSpec (rotation would skip them): {undeclared:?}"
    );
}

#[tokio::test]
async fn every_append_only_table_refuses_updates_and_deletes_by_trigger() {
    let (_t, db) = migrated().await;
    let append_only = ALL
        .iter()
        .filter(|s| s.history == History::AppendOnly)
        .map(|s| s.table)
        .chain(AUDIT_TABLES.iter().copied());
    for table in append_only {
        let events = trigger_events(&db, table).await;
        for event in ["UPDATE", "DELETE"] {
            assert!(
                events.contains(event),
                "{table} has no trigger refusing {event}"
            );
        }
    }
}

#[tokio::test]
async fn history_rows_can_be_re_sealed_but_never_rewritten_or_deleted() {
    let (_t, db) = migrated().await;
    raw_sql(
        &db,
        "INSERT INTO practices (id, display_name, created_ms, active_key_version, min_key_version) \
         VALUES ('pa', 'Synthetic Dental', 1, 1, 1)",
    )
    .await
    .unwrap();
    let mut tx = db.begin().await.unwrap();
    tx.insert_patient_version(&PatientVersionRow {
        practice_id: "pa".into(),
        id: "p1:1".into(),
        patient_id: "p1".into(),
        row_version: 1,
        key_version: 1,
        change: "update".into(),
        changed_fields: "family_name".into(),
        changed_by: "u1".into(),
        changed_ms: 5,
        snapshot: vec![1, 2, 3],
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Every column but the key version and the sealed ones is guarded, read from the schema
    // so that a column added later without its guard fails here (`SET c = c` is enough: the
    // triggers fire on the columns an UPDATE names).
    let schema = columns(&db).await;
    let guarded: Vec<&String> = schema["patient_versions"]
        .keys()
        .filter(|c| *c != "key_version" && !PATIENT_VERSIONS.sealed.contains(&c.as_str()))
        .collect();
    assert!(guarded.len() >= 8, "{guarded:?}");
    for column in guarded {
        let sql = format!("UPDATE patient_versions SET {column} = {column} WHERE id = 'p1:1'");
        assert!(raw_sql(&db, &sql).await.is_err(), "allowed: {sql}");
    }
    let delete = "DELETE FROM patient_versions WHERE id = 'p1:1'";
    assert!(raw_sql(&db, delete).await.is_err(), "allowed: {delete}");
    // Rotation re-encrypts in place: the key version and the sealed column may change.
    let sealed = PATIENT_VERSIONS.column("snapshot").column;
    let literal = match &db {
        Db::Sqlite(..) => "X'0909'",
        Db::Postgres(_) => "'\\x0909'::bytea",
    };
    raw_sql(
        &db,
        &format!(
            "UPDATE patient_versions SET key_version = 2, {sealed} = {literal} WHERE id = 'p1:1'"
        ),
    )
    .await
    .unwrap();
    let versions = db.patient_versions("pa", "p1", 0, 10).await.unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(
        (versions[0].key_version, versions[0].snapshot.clone()),
        (2, vec![9, 9])
    );
    assert_eq!(versions[0].changed_fields, "family_name");
}
