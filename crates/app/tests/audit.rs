//! The audit log end to end: group commit under concurrency, checkpoints, and verification
//! that names the first bad entry after each kind of tampering a database owner could do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{drop_audit_triggers, fixture, raw, system_patients};
use enamel_app::{checkpoint_audit_log, verify_audit_log};
use enamel_audit::{Problem, SigningKey};
use enamel_domain::synthetic;
use enamel_store::Db;

/// A practice with `n` created patients (one audit entry each, plus the practice's own).
async fn log_of(n: usize) -> (common::Fixture, SigningKey) {
    let f = fixture().await;
    f.patients()
        .create_many(&synthetic::patients(n, 3))
        .await
        .unwrap();
    (f, SigningKey::generate().unwrap())
}

async fn verify(db: &Db, key: &SigningKey) -> Result<enamel_app::VerifyOutcome, Problem> {
    verify_audit_log(db, &key.verifying_key()).await.unwrap()
}

#[tokio::test]
async fn concurrent_durable_appends_form_one_valid_log() {
    let f = fixture().await;
    let mut tasks = Vec::new();
    for w in 0..64 {
        let (app, practice) = (f.app.clone(), f.practice);
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for d in synthetic::patients(3, w) {
                let id = system_patients(&app, practice).create(&d).await.unwrap();
                system_patients(&app, practice).read(id).await.unwrap();
                ids.push(id);
            }
            ids
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().len(), 3);
    }
    let key = SigningKey::generate().unwrap();
    checkpoint_audit_log(&f.t.db, &key, "test", 1)
        .await
        .unwrap();
    let outcome = verify(&f.t.db, &key).await.unwrap();
    // 1 practice creation + 64 × 3 × (create + view).
    assert_eq!(outcome.report.entries, 1 + 64 * 3 * 2);
    assert_eq!(outcome.report.checkpoints_verified, 1);
    assert_eq!(outcome.report.unanchored_entries, 0);
}

#[tokio::test]
async fn an_untouched_log_verifies_and_checkpoints_are_not_repeated() {
    let (f, key) = log_of(20).await;
    let first = checkpoint_audit_log(&f.t.db, &key, "test", 5)
        .await
        .unwrap();
    assert!(first.new);
    assert_eq!(first.signed.checkpoint.size, 21);
    let again = checkpoint_audit_log(&f.t.db, &key, "test", 6)
        .await
        .unwrap();
    assert!(!again.new);
    f.patients()
        .create_many(&synthetic::patients(5, 4))
        .await
        .unwrap();
    let report = verify(&f.t.db, &key).await.unwrap().report;
    assert_eq!(report.entries, 26);
    assert_eq!(report.last_checkpoint_size, Some(21));
    assert_eq!(report.unanchored_entries, 5);
}

#[tokio::test]
async fn a_changed_entry_is_named() {
    let (f, key) = log_of(20).await;
    drop_audit_triggers(&f.t.db).await;
    raw(
        &f.t.db,
        "UPDATE audit_events SET action = 'view' WHERE seq = 7",
    )
    .await
    .unwrap();
    let problem = verify(&f.t.db, &key).await.unwrap_err();
    assert_eq!(problem, Problem::ChainMismatch { seq: 7 });
    assert_eq!(problem.first_bad_seq(), Some(7));
    assert!(problem.to_string().contains("#7"), "{problem}");
}

#[tokio::test]
async fn a_deleted_entry_is_named() {
    let (f, key) = log_of(20).await;
    drop_audit_triggers(&f.t.db).await;
    raw(&f.t.db, "DELETE FROM audit_events WHERE seq = 12")
        .await
        .unwrap();
    let problem = verify(&f.t.db, &key).await.unwrap_err();
    assert_eq!(problem.first_bad_seq(), Some(12), "{problem}");
}

#[tokio::test]
async fn reordered_entries_are_named() {
    let (f, key) = log_of(20).await;
    drop_audit_triggers(&f.t.db).await;
    // Swap the contents of entries 4 and 9 (their record ids differ).
    let db = &f.t.db;
    raw(db, "UPDATE audit_events SET seq = -1 WHERE seq = 4")
        .await
        .unwrap();
    raw(db, "UPDATE audit_events SET seq = 4 WHERE seq = 9")
        .await
        .unwrap();
    raw(db, "UPDATE audit_events SET seq = 9 WHERE seq = -1")
        .await
        .unwrap();
    let problem = verify(db, &key).await.unwrap_err();
    assert_eq!(problem.first_bad_seq(), Some(4), "{problem}");
}

#[tokio::test]
async fn an_entry_inserted_at_the_end_is_named() {
    let (f, key) = log_of(20).await;
    let db = &f.t.db;
    raw(
        db,
        "INSERT INTO audit_events (seq, time_ms, practice_id, actor_id, actor_role, patient_id, record_type, \
         record_id, action, outcome, client_ip, user_agent, app_version, access_method, reason, chain) \
         SELECT 21, time_ms, practice_id, actor_id, actor_role, patient_id, record_type, record_id, action, \
         outcome, client_ip, user_agent, app_version, access_method, reason, chain FROM audit_events WHERE seq = 20",
    )
    .await
    .unwrap();
    let problem = verify(db, &key).await.unwrap_err();
    assert_eq!(problem.first_bad_seq(), Some(21), "{problem}");
}

#[tokio::test]
async fn an_entry_inserted_in_the_middle_is_named() {
    let (f, key) = log_of(20).await;
    drop_audit_triggers(&f.t.db).await;
    let db = &f.t.db;
    // Make room after entry 9 by renumbering the tail, then insert a copy of entry 3 there.
    for seq in (10..=20).rev() {
        raw(
            db,
            &format!(
                "UPDATE audit_events SET seq = {} WHERE seq = {seq}",
                seq + 1
            ),
        )
        .await
        .unwrap();
    }
    raw(
        db,
        "INSERT INTO audit_events (seq, time_ms, practice_id, actor_id, actor_role, patient_id, record_type, \
         record_id, action, outcome, client_ip, user_agent, app_version, access_method, reason, chain) \
         SELECT 10, time_ms, practice_id, actor_id, actor_role, patient_id, record_type, record_id, action, \
         outcome, client_ip, user_agent, app_version, access_method, reason, chain FROM audit_events WHERE seq = 3",
    )
    .await
    .unwrap();
    let problem = verify(db, &key).await.unwrap_err();
    assert_eq!(problem.first_bad_seq(), Some(10), "{problem}");
}

#[tokio::test]
async fn a_truncated_tail_is_detected() {
    let (f, key) = log_of(20).await;
    drop_audit_triggers(&f.t.db).await;
    raw(&f.t.db, "DELETE FROM audit_events WHERE seq >= 18")
        .await
        .unwrap();
    let problem = verify(&f.t.db, &key).await.unwrap_err();
    assert!(
        problem.to_string().contains("18") || problem.first_bad_seq() == Some(18),
        "{problem}"
    );
}

/// An owner who rewrites an entry and recomputes every chain hash (and the head) after it
/// defeats the chain alone; the signed checkpoint still catches it.
#[tokio::test]
async fn a_rewritten_history_is_caught_by_the_signed_checkpoint() {
    let (f, key) = log_of(20).await;
    checkpoint_audit_log(&f.t.db, &key, "test", 5)
        .await
        .unwrap();
    drop_audit_triggers(&f.t.db).await;
    let db = &f.t.db;
    raw(
        db,
        "UPDATE audit_events SET outcome = 'denied' WHERE seq = 5",
    )
    .await
    .unwrap();
    // Recompute the chain from the rows as the attacker would (unkeyed SHA-256).
    let rows = db.audit_rows_from(0, 1000).await.unwrap();
    let mut chain = enamel_audit::GENESIS_CHAIN;
    let mut frontier = enamel_audit::Frontier::new();
    for (entry, _) in &rows {
        let leaf = entry.leaf_hash();
        chain = enamel_audit::chain_hash(&chain, &leaf);
        frontier.push(leaf);
        let sql = match db {
            Db::Sqlite(_) => format!(
                "UPDATE audit_events SET chain = X'{}' WHERE seq = {}",
                hex::encode(chain),
                entry.seq
            ),
            Db::Postgres(_) => format!(
                "UPDATE audit_events SET chain = '\\x{}'::bytea WHERE seq = {}",
                hex::encode(chain),
                entry.seq
            ),
        };
        raw(db, &sql).await.unwrap();
    }
    let mut tx = db.begin().await.unwrap();
    tx.set_audit_head(&enamel_store::AuditHead {
        size: rows.len() as i64,
        chain: chain.to_vec(),
        frontier: frontier.to_bytes(),
    })
    .await
    .unwrap();
    #[allow(clippy::disallowed_methods)] // tampering as the database owner would
    tx.commit().await.unwrap();
    let problem = verify(db, &key).await.unwrap_err();
    assert!(
        matches!(problem, Problem::CheckpointMismatch { size: 21, .. }),
        "{problem:?}"
    );
}

#[tokio::test]
async fn a_forged_checkpoint_is_refused() {
    let (f, key) = log_of(5).await;
    let other = SigningKey::generate().unwrap();
    checkpoint_audit_log(&f.t.db, &key, "test", 5)
        .await
        .unwrap();
    drop_audit_triggers(&f.t.db).await;
    let sql = match &f.t.db {
        Db::Sqlite(_) => "UPDATE audit_checkpoints SET signature = zeroblob(64)",
        Db::Postgres(_) => {
            "UPDATE audit_checkpoints SET signature = decode(repeat('00', 64), 'hex')"
        }
    };
    // Checkpoint triggers are separate: drop them too for this test.
    match f.t.db {
        Db::Sqlite(_) => {
            raw(&f.t.db, "DROP TRIGGER audit_checkpoints_refuse_update")
                .await
                .unwrap();
        }
        Db::Postgres(_) => {
            raw(
                &f.t.db,
                "DROP TRIGGER audit_checkpoints_refuse_change ON audit_checkpoints",
            )
            .await
            .unwrap();
        }
    }
    raw(&f.t.db, sql).await.unwrap();
    let problem = verify(&f.t.db, &key).await.unwrap_err();
    assert!(
        matches!(problem, Problem::BadSignature { .. }),
        "{problem:?}"
    );
    // A checkpoint signed by a key we do not trust is not counted as verified.
    let report = verify_audit_log(&f.t.db, &other.verifying_key())
        .await
        .unwrap();
    let outcome = report.unwrap();
    assert_eq!(outcome.report.checkpoints_verified, 0);
    assert_eq!(outcome.report.checkpoints_other_keys, 1);
}
