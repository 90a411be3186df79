//! Patient records through the app layer: sealing, integrity, isolation, audit, rotation.
//! Runs on the engine `ENAMEL_TEST_DATABASE_URL` selects.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{fixture, raw, system_patients};
use enamel_app::{AppError, Expected, NewPractice, RequestOrigin};
use enamel_domain::{PatientDraft, synthetic};
use enamel_store::AuditQuery;

fn draft(family: &str, given: &str, birth: &str) -> PatientDraft {
    PatientDraft {
        family_name: family.into(),
        given_name: given.into(),
        birth_date: birth.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_patient_round_trips_and_every_read_and_write_is_audited() {
    let f = fixture().await;
    let id = f
        .patients()
        .create(&draft("Molar", "Demo", "1990-02-03"))
        .await
        .unwrap();
    let view = f.patients().read(id).await.unwrap();
    assert_eq!(
        (
            view.family_name.as_str(),
            view.given_name.as_str(),
            view.birth_date.as_str()
        ),
        ("Molar", "Demo", "1990-02-03")
    );
    let v2 = f
        .patients()
        .update(
            id,
            &draft("Canine", "Demo", "1990-02-03"),
            Expected::Version(view.row_version),
        )
        .await
        .unwrap();
    assert_eq!(v2, view.row_version + 1);
    let entries =
        f.t.db
            .audit_entries(&AuditQuery {
                patient_id: Some(id.to_string()),
                limit: 100,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
    let actions: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("create", "allowed"),
            ("view", "allowed"),
            ("update", "allowed")
        ]
    );
    for e in &entries {
        assert_eq!(
            e.practice_id.as_deref(),
            Some(f.practice.to_string().as_str())
        );
        assert_eq!(e.reason.as_deref(), Some("system:import"));
        assert_eq!(e.access_method, "cli");
    }
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_and_changes_nothing() {
    let f = fixture().await;
    let id = f
        .patients()
        .create(&draft("Molar", "Demo", "1990-02-03"))
        .await
        .unwrap();
    f.patients()
        .update(
            id,
            &draft("Canine", "Demo", "1990-02-03"),
            Expected::Version(1),
        )
        .await
        .unwrap();
    let stale = f
        .patients()
        .update(
            id,
            &draft("Incisor", "Demo", "1990-02-03"),
            Expected::Version(1),
        )
        .await;
    assert!(matches!(stale, Err(AppError::Conflict)), "{stale:?}");
    assert_eq!(f.patients().read(id).await.unwrap().family_name, "Canine");
}

#[tokio::test]
async fn invalid_drafts_are_refused_and_nothing_is_written() {
    let f = fixture().await;
    let drafts = [
        draft("Molar", "Demo", "1990-02-03"),
        draft("", "Demo", "not a date"),
    ];
    let err = f.patients().create_many(&drafts).await.unwrap_err();
    let AppError::Invalid(problems) = err else {
        panic!("{err:?}")
    };
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_ref()).collect();
    assert!(
        fields.contains(&"family_name") && fields.contains(&"birth_date"),
        "{fields:?}"
    );
    assert_eq!(
        f.t.db
            .count_patients(&f.practice.to_string())
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn another_practices_patient_is_not_found_and_the_probe_is_audited() {
    let f = fixture().await;
    let other = f
        .app
        .create_practice(
            &NewPractice {
                display_name: "Other Synthetic Office".into(),
                time_zone: enamel_domain::PracticeTz::utc(),
            },
            RequestOrigin::cli(),
        )
        .await
        .unwrap();
    let theirs = system_patients(&f.app, other)
        .create(&draft("Molar", "Demo", "1990-02-03"))
        .await
        .unwrap();
    f.patients()
        .create(&draft("Molar", "Sample", "1991-02-03"))
        .await
        .unwrap();

    assert!(matches!(
        f.patients().read(theirs).await,
        Err(AppError::NotFound)
    ));
    let found = f.patients().find_by_family_name("molar", 50).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].given_name, "Sample");
    let probes =
        f.t.db
            .audit_entries(&AuditQuery {
                practice_id: Some(f.practice.to_string()),
                outcome: Some("failed".into()),
                limit: 10,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
    assert_eq!(probes.len(), 1);
    assert_eq!(
        probes[0].record_id.as_deref(),
        Some(theirs.to_string().as_str())
    );
}

#[tokio::test]
async fn search_is_case_and_accent_insensitive_through_the_blind_index() {
    let f = fixture().await;
    f.patients()
        .create(&draft("Crème-Molar", "Zoë", "1990-02-03"))
        .await
        .unwrap();
    for query in ["crème-molar", "CREME-MOLAR", "  Creme-Molar "] {
        let found = f.patients().find_by_family_name(query, 10).await.unwrap();
        assert_eq!(found.len(), 1, "{query}");
        assert_eq!(found[0].family_name, "Crème-Molar");
    }
    assert!(
        f.patients()
            .find_by_family_name("molar", 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn expect_integrity_failure(f: &common::Fixture, id: enamel_domain::PatientId) {
    match f.patients().read(id).await {
        Err(AppError::Integrity(e)) => {
            let text = e.to_string();
            assert!(text.contains("patients."), "{text}");
        }
        other => panic!("expected an integrity error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_ciphertext_moved_to_another_row_or_column_fails_to_open() {
    let f = fixture().await;
    let ids = f
        .patients()
        .create_many(&[
            draft("Molar", "Demo", "1990-02-03"),
            draft("Canine", "Sample", "1980-01-01"),
        ])
        .await
        .unwrap();
    let (a, b) = (ids[0], ids[1]);
    // Another row's family name pasted into b.
    raw(
        &f.t.db,
        &format!("UPDATE patients SET family_name = (SELECT family_name FROM patients WHERE id = '{a}') WHERE id = '{b}'"),
    )
    .await
    .unwrap();
    expect_integrity_failure(&f, b).await;
    // The same row's given name pasted into its family name.
    raw(
        &f.t.db,
        &format!("UPDATE patients SET family_name = given_name WHERE id = '{a}'"),
    )
    .await
    .unwrap();
    expect_integrity_failure(&f, a).await;
}

#[tokio::test]
async fn a_tampered_byte_fails_to_open() {
    let f = fixture().await;
    let id = f
        .patients()
        .create(&draft("Molar", "Demo", "1990-02-03"))
        .await
        .unwrap();
    let row =
        f.t.db
            .patient(&f.practice.to_string(), &id.to_string())
            .await
            .unwrap();
    let mut tampered = row.birth_date.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    let literal = hex::encode(&tampered);
    let sql = match &f.t.db {
        enamel_store::Db::Sqlite(..) => {
            format!("UPDATE patients SET birth_date = X'{literal}' WHERE id = '{id}'")
        }
        enamel_store::Db::Postgres(_) => {
            format!("UPDATE patients SET birth_date = '\\x{literal}'::bytea WHERE id = '{id}'")
        }
    };
    raw(&f.t.db, &sql).await.unwrap();
    expect_integrity_failure(&f, id).await;
}

#[tokio::test]
async fn patients_are_created_in_bulk_with_one_entry_each() {
    let f = fixture().await;
    let drafts = synthetic::patients(1_200, 1);
    let ids = f.patients().create_many(&drafts).await.unwrap();
    assert_eq!(ids.len(), 1_200);
    assert_eq!(
        f.t.db
            .count_patients(&f.practice.to_string())
            .await
            .unwrap(),
        1_200
    );
    let creates =
        f.t.db
            .audit_entries(&AuditQuery {
                action: Some("create".into()),
                limit: 5_000,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
    assert_eq!(creates.len(), 1_200);
}

/// SQL that writes `bytes` into `column` of patient `id`, on either engine.
fn set_bytes_sql(db: &enamel_store::Db, column: &str, bytes: &[u8], id: &str) -> String {
    let literal = hex::encode(bytes);
    match db {
        enamel_store::Db::Sqlite(..) => {
            format!("UPDATE patients SET {column} = X'{literal}' WHERE id = '{id}'")
        }
        enamel_store::Db::Postgres(_) => {
            format!("UPDATE patients SET {column} = '\\x{literal}'::bytea WHERE id = '{id}'")
        }
    }
}

/// L12, decided and pinned: the associated data binds a value to its place (practice, table,
/// column, row, key version), not to its moment. An older ciphertext of the same cell, written
/// back by someone with database write access, opens; the status and relationship columns are
/// plain. Integrity against a database writer is the audit log's job (every change the
/// application makes has its chained entry), not the AEAD's. See docs/design/field-encryption.md.
#[tokio::test]
async fn l12_associated_data_binds_the_place_not_the_moment() {
    let f = fixture().await;
    let pid = f.practice.to_string();
    let id = f
        .patients()
        .create(&draft("Molar", "Demo", "1990-02-03"))
        .await
        .unwrap();
    let before = f.t.db.patient(&pid, &id.to_string()).await.unwrap();
    let view = f.patients().read(id).await.unwrap();
    f.patients()
        .update(
            id,
            &draft("Changed", "Demo", "1990-02-03"),
            Expected::Version(view.row_version),
        )
        .await
        .unwrap();

    // Moved to the same column of a row in another practice: refused.
    let other = f
        .app
        .create_practice(
            &NewPractice {
                display_name: "Other Smiles".into(),
                time_zone: enamel_domain::PracticeTz::utc(),
            },
            RequestOrigin::cli(),
        )
        .await
        .unwrap();
    let theirs = system_patients(&f.app, other)
        .create(&draft("Canine", "Sample", "1980-01-01"))
        .await
        .unwrap();
    raw(
        &f.t.db,
        &set_bytes_sql(
            &f.t.db,
            "family_name",
            &before.family_name,
            &theirs.to_string(),
        ),
    )
    .await
    .unwrap();
    assert!(matches!(
        system_patients(&f.app, other).read(theirs).await,
        Err(AppError::Integrity(_))
    ));

    // Written back into its own cell: it opens, and the older value is shown. The AEAD does
    // not see a rollback of a cell; this is the documented limit.
    raw(
        &f.t.db,
        &set_bytes_sql(&f.t.db, "family_name", &before.family_name, &id.to_string()),
    )
    .await
    .unwrap();
    assert_eq!(f.patients().read(id).await.unwrap().family_name, "Molar");

    // Status and relationship columns are plain by design: a database writer changes them.
    raw(
        &f.t.db,
        &format!(
            "UPDATE patients SET status = 'deceased', household_id = '{theirs}' WHERE id = '{id}'"
        ),
    )
    .await
    .unwrap();
    let view = f.patients().read(id).await.unwrap();
    assert_eq!(view.status, "deceased");
    assert_eq!(view.household_id, Some(theirs.to_string()));
}
