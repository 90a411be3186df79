//! The audit logs end to end: one log per practice and one for the server, group commit under
//! concurrency, checkpoints that only extend what the signer signed, verification that names
//! the first bad entry after each kind of tampering a database owner could do, and the upgrade
//! of a database written by the single-log release.
// The tamper tests commit raw transactions as a database owner would.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods
)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Fixture, drop_audit_triggers, fixture, raw, system_patients};
use enamel_app::{
    AuditDraft, CheckpointOutcome, NewPractice, Refusal, RequestOrigin, checkpoint_audit_log,
    checkpoint_audit_logs, verify_audit_log,
};
use enamel_audit::{
    Entry, Frontier, GENESIS_CHAIN, LEGACY_LOG, Problem, SigningKey, chain_hash, practice_log,
};
use enamel_domain::{AccessMethod, AuditAction, Outcome, synthetic};
use enamel_store::{AuditHead, AuditQuery, Db};

/// A practice with `n` created patients (one audit entry each, plus the practice's own).
async fn log_of(n: usize) -> (Fixture, SigningKey) {
    let f = fixture().await;
    f.patients()
        .create_many(&synthetic::patients(n, 3))
        .await
        .unwrap();
    (f, SigningKey::generate().unwrap())
}

fn log(f: &Fixture) -> String {
    practice_log(&f.practice.to_string())
}

fn memory(f: &Fixture) -> PathBuf {
    f.t.dir().join("audit-signing").join("memory.json")
}

/// The SQL with `{L}` replaced by the practice log's name as a literal.
fn sql(f: &Fixture, text: &str) -> String {
    text.replace("{L}", &format!("'{}'", log(f)))
}

async fn verify(f: &Fixture, key: &SigningKey) -> Result<enamel_app::VerifyOutcome, Problem> {
    verify_audit_log(&f.t.db, &key.verifying_key(), &log(f))
        .await
        .unwrap()
}

async fn try_sign(f: &Fixture, key: &SigningKey, now: i64) -> Result<CheckpointOutcome, Refusal> {
    checkpoint_audit_log(&f.t.db, key, "test", &log(f), &memory(f), now)
        .await
        .unwrap()
}

async fn sign(f: &Fixture, key: &SigningKey, now: i64) -> CheckpointOutcome {
    try_sign(f, key, now).await.unwrap()
}

fn bytes(db: &Db, b: &[u8]) -> String {
    match db {
        Db::Sqlite(..) => format!("X'{}'", hex::encode(b)),
        Db::Postgres(_) => format!("'\\x{}'::bytea", hex::encode(b)),
    }
}

async fn new_practice(f: &Fixture, name: &str) -> String {
    f.app
        .create_practice(
            &NewPractice {
                display_name: name.into(),
                time_zone: enamel_domain::PracticeTz::utc(),
            },
            RequestOrigin::cli(),
        )
        .await
        .unwrap()
        .to_string()
}

fn draft(practice: Option<&str>, actor: &str) -> AuditDraft {
    AuditDraft {
        practice_id: practice.map(str::to_string),
        actor_id: Some(actor.to_string()),
        actor_role: Some("system".into()),
        patient_id: None,
        record_type: None,
        record_id: None,
        action: AuditAction::View,
        outcome: Outcome::Allowed,
        client_ip: None,
        user_agent: None,
        access_method: AccessMethod::Cli,
        reason: None,
    }
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
    sign(&f, &key, 1).await;
    let outcome = verify(&f, &key).await.unwrap();
    // 1 practice creation + 64 × 3 × (create + view).
    assert_eq!(outcome.report.entries, 1 + 64 * 3 * 2);
    assert_eq!(outcome.report.checkpoints_verified, 1);
    assert_eq!(outcome.report.unanchored_entries, 0);
}

#[tokio::test]
async fn an_untouched_log_verifies_and_checkpoints_are_not_repeated() {
    let (f, key) = log_of(20).await;
    let first = sign(&f, &key, 5).await;
    assert!(first.new);
    assert_eq!(first.signed.checkpoint.size, 21);
    assert_eq!(first.signed.checkpoint.origin, format!("test/{}", log(&f)));
    let again = sign(&f, &key, 6).await;
    assert!(!again.new);
    f.patients()
        .create_many(&synthetic::patients(5, 4))
        .await
        .unwrap();
    let report = verify(&f, &key).await.unwrap().report;
    assert_eq!(report.entries, 26);
    assert_eq!(report.last_checkpoint_size, Some(21));
    assert_eq!(report.unanchored_entries, 5);
    // The signer extends its memory by the five new entries only.
    let grown = sign(&f, &key, 7).await;
    assert!(grown.new);
    assert_eq!(grown.signed.checkpoint.size, 26);
    assert_eq!(
        verify(&f, &key).await.unwrap().report.checkpoints_verified,
        2
    );
}

#[tokio::test]
async fn entries_go_to_their_practice_log_or_the_server_log() {
    let f = fixture().await;
    let other = new_practice(&f, "Second Synthetic Smiles").await;
    let a = f.practice.to_string();
    let seqs = f
        .writer
        .record_in(&mut f.t.db.begin().await.unwrap(), vec![])
        .await
        .unwrap();
    assert!(seqs.is_empty());
    // One call carrying three logs: each entry is numbered within its own log.
    let mut tx = f.t.db.begin().await.unwrap();
    let seqs = f
        .writer
        .record_in(
            &mut tx,
            vec![
                draft(Some(&other), "x"),
                draft(None, "x"),
                draft(Some(&a), "x"),
                draft(Some(&other), "y"),
            ],
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // Each practice log already holds its practice's creation entry.
    assert_eq!(seqs, [1, 0, 1, 2]);
    assert_eq!(
        f.writer.record(draft(None, "z")).await.unwrap(),
        1,
        "the server log numbers on its own"
    );
    let mut logs = f.t.db.audit_logs().await.unwrap();
    logs.sort();
    let mut want = vec![practice_log(&a), practice_log(&other), "server".to_string()];
    want.sort();
    assert_eq!(logs, want);
    let key = SigningKey::generate().unwrap();
    for l in &logs {
        let rows = f.t.db.audit_rows_from(l, 0, 100).await.unwrap();
        for (e, _) in &rows {
            match l.strip_prefix("practice:") {
                Some(p) => assert_eq!(e.practice_id.as_deref(), Some(p)),
                None => assert_eq!(e.practice_id, None),
            }
        }
        verify_audit_log(&f.t.db, &key.verifying_key(), l)
            .await
            .unwrap()
            .unwrap();
    }
}

/// Practice A's head is locked by an open transaction; B's appends, through the group commit
/// and inside a change's transaction, still complete, and A's own append waits.
#[tokio::test]
async fn one_practice_never_waits_for_another_practice_log() {
    let f = fixture().await;
    if matches!(&f.t.db, Db::Sqlite(..)) {
        // SQLite has one write lock for the whole database: every append waits for it.
        return;
    }
    let b = new_practice(&f, "Second Synthetic Smiles").await;
    let a = f.practice.to_string();
    let mut holder = f.t.db.begin().await.unwrap();
    holder.lock_audit_head(&practice_log(&a)).await.unwrap();

    let b_read = tokio::time::timeout(
        Duration::from_secs(10),
        f.writer.record(draft(Some(&b), "b-reader")),
    )
    .await
    .expect("practice B's durable append waited for practice A's log");
    assert_eq!(b_read.unwrap(), 1);
    let b_change = tokio::time::timeout(Duration::from_secs(10), async {
        let mut tx = f.t.db.begin().await.unwrap();
        let seqs = f
            .writer
            .record_in(&mut tx, vec![draft(Some(&b), "b-writer")])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        seqs
    })
    .await
    .expect("practice B's change waited for practice A's log");
    assert_eq!(b_change, [2]);

    let writer = f.writer.clone();
    let a2 = a.clone();
    let a_read = tokio::spawn(async move { writer.record(draft(Some(&a2), "a")).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !a_read.is_finished(),
        "the head lock of A must hold A's append"
    );
    holder.rollback().await.unwrap();
    assert_eq!(a_read.await.unwrap().unwrap(), 1);
}

/// Many writers over two practices: both logs grow at once (their commits interleave in
/// time) and each verifies alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_practices_written_at_once_interleave_and_each_verifies_alone() {
    let f = fixture().await;
    let b = new_practice(&f, "Second Synthetic Smiles").await;
    let a = f.practice.to_string();
    // Warm both logs' group-commit tasks and enough pooled connections first: opening a
    // PostgreSQL connection takes longer than one practice's whole burst below.
    let mut warm = Vec::new();
    for w in 0..16 {
        let writer = f.writer.clone();
        let p = if w % 2 == 0 { a.clone() } else { b.clone() };
        warm.push(tokio::spawn(async move {
            writer.record(draft(Some(&p), "warm-up")).await.unwrap()
        }));
    }
    for t in warm {
        t.await.unwrap();
    }
    let mut tasks = Vec::new();
    for w in 0..32 {
        let writer = f.writer.clone();
        let p = if w % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            for i in 0..60 {
                writer
                    .record(draft(Some(&p), &format!("w{w}-{i}")))
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let key = SigningKey::generate().unwrap();
    let mut spans = Vec::new();
    for p in [&a, &b] {
        let l = practice_log(p);
        let outcome = verify_audit_log(&f.t.db, &key.verifying_key(), &l)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(outcome.report.entries, 1 + 8 + 16 * 60);
        let rows = f.t.db.audit_rows_from(&l, 9, 2000).await.unwrap();
        let times: Vec<i64> = rows.iter().map(|(e, _)| e.time_ms).collect();
        spans.push((times[0], times[times.len() - 1]));
    }
    let ((a0, a1), (b0, b1)) = (spans[0], spans[1]);
    assert!(
        a0 <= b1 && b0 <= a1,
        "the two logs were written one after the other: {spans:?}"
    );
}

#[tokio::test]
async fn verifying_one_practice_reads_nothing_of_another() {
    let (f, key) = log_of(5).await;
    let b = new_practice(&f, "Second Synthetic Smiles").await;
    for i in 0..5 {
        f.writer
            .record(draft(Some(&b), &format!("b{i}")))
            .await
            .unwrap();
    }
    drop_audit_triggers(&f.t.db).await;
    // Damage B's log in every way at once: a changed entry, a deleted one, a stray row.
    let b_log = format!("'{}'", practice_log(&b));
    for q in [
        format!("UPDATE audit_log_entries SET action = 'export' WHERE log = {b_log} AND seq = 1"),
        format!("DELETE FROM audit_log_entries WHERE log = {b_log} AND seq = 3"),
    ] {
        raw(&f.t.db, &q).await.unwrap();
    }
    let a = verify(&f, &key).await.unwrap();
    assert_eq!(a.report.entries, 6);
    let problem = verify_audit_log(&f.t.db, &key.verifying_key(), &practice_log(&b))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(problem.first_bad_seq(), Some(1));
}

#[tokio::test]
async fn an_entry_moved_into_another_practice_log_is_named() {
    let (f, key) = log_of(5).await;
    drop_audit_triggers(&f.t.db).await;
    raw(
        &f.t.db,
        &sql(
            &f,
            "UPDATE audit_log_entries SET practice_id = 'someone-else' WHERE log = {L} AND seq = 2",
        ),
    )
    .await
    .unwrap();
    let problem = verify(&f, &key).await.unwrap_err();
    assert_eq!(problem, Problem::WrongLog { seq: 2 });
}

#[tokio::test]
async fn a_changed_entry_is_named() {
    let (f, key) = log_of(20).await;
    drop_audit_triggers(&f.t.db).await;
    raw(
        &f.t.db,
        &sql(
            &f,
            "UPDATE audit_log_entries SET action = 'view' WHERE log = {L} AND seq = 7",
        ),
    )
    .await
    .unwrap();
    let problem = verify(&f, &key).await.unwrap_err();
    assert_eq!(problem, Problem::ChainMismatch { seq: 7 });
    assert_eq!(problem.first_bad_seq(), Some(7));
    assert!(problem.to_string().contains("#7"), "{problem}");
}

#[tokio::test]
async fn a_deleted_entry_is_named() {
    let (f, key) = log_of(20).await;
    drop_audit_triggers(&f.t.db).await;
    raw(
        &f.t.db,
        &sql(
            &f,
            "DELETE FROM audit_log_entries WHERE log = {L} AND seq = 12",
        ),
    )
    .await
    .unwrap();
    let problem = verify(&f, &key).await.unwrap_err();
    assert_eq!(problem.first_bad_seq(), Some(12), "{problem}");
}

#[tokio::test]
async fn reordered_entries_are_named() {
    let (f, key) = log_of(20).await;
    drop_audit_triggers(&f.t.db).await;
    // Swap the contents of entries 4 and 9 (their record ids differ).
    let db = &f.t.db;
    for q in [
        "UPDATE audit_log_entries SET seq = -1 WHERE log = {L} AND seq = 4",
        "UPDATE audit_log_entries SET seq = 4 WHERE log = {L} AND seq = 9",
        "UPDATE audit_log_entries SET seq = 9 WHERE log = {L} AND seq = -1",
    ] {
        raw(db, &sql(&f, q)).await.unwrap();
    }
    let problem = verify(&f, &key).await.unwrap_err();
    assert_eq!(problem.first_bad_seq(), Some(4), "{problem}");
}

const COPY_ROW: &str = "INSERT INTO audit_log_entries (log, seq, time_ms, practice_id, actor_id, actor_role, \
     patient_id, record_type, record_id, action, outcome, client_ip, user_agent, app_version, access_method, \
     reason, chain) SELECT log, {TO}, time_ms, practice_id, actor_id, actor_role, patient_id, record_type, \
     record_id, action, outcome, client_ip, user_agent, app_version, access_method, reason, chain \
     FROM audit_log_entries WHERE log = {L} AND seq = {FROM}";

#[tokio::test]
async fn an_entry_inserted_at_the_end_is_named() {
    let (f, key) = log_of(20).await;
    let q = sql(&f, COPY_ROW)
        .replace("{TO}", "21")
        .replace("{FROM}", "20");
    raw(&f.t.db, &q).await.unwrap();
    let problem = verify(&f, &key).await.unwrap_err();
    assert_eq!(problem.first_bad_seq(), Some(21), "{problem}");
}

#[tokio::test]
async fn an_entry_inserted_in_the_middle_is_named() {
    let (f, key) = log_of(20).await;
    drop_audit_triggers(&f.t.db).await;
    let db = &f.t.db;
    // Make room after entry 9 by renumbering the tail, then insert a copy of entry 3 there.
    for seq in (10..=20).rev() {
        let q = format!(
            "UPDATE audit_log_entries SET seq = {} WHERE log = {{L}} AND seq = {seq}",
            seq + 1
        );
        raw(db, &sql(&f, &q)).await.unwrap();
    }
    let q = sql(&f, COPY_ROW)
        .replace("{TO}", "10")
        .replace("{FROM}", "3");
    raw(db, &q).await.unwrap();
    let problem = verify(&f, &key).await.unwrap_err();
    assert_eq!(problem.first_bad_seq(), Some(10), "{problem}");
}

#[tokio::test]
async fn a_truncated_tail_is_detected() {
    let (f, key) = log_of(20).await;
    drop_audit_triggers(&f.t.db).await;
    raw(
        &f.t.db,
        &sql(
            &f,
            "DELETE FROM audit_log_entries WHERE log = {L} AND seq >= 18",
        ),
    )
    .await
    .unwrap();
    let problem = verify(&f, &key).await.unwrap_err();
    assert!(
        problem.to_string().contains("18") || problem.first_bad_seq() == Some(18),
        "{problem}"
    );
}

/// Recomputes the chain values of every row of the practice log and its head, as an attacker
/// with raw SQL would (unkeyed SHA-256), so the chain alone no longer shows the rewrite.
async fn recompute_chain(f: &Fixture) {
    let db = &f.t.db;
    let rows = db.audit_rows_from(&log(f), 0, 1000).await.unwrap();
    let mut chain = GENESIS_CHAIN;
    let mut frontier = Frontier::new();
    for (entry, _) in &rows {
        let leaf = entry.leaf_hash();
        chain = chain_hash(&chain, &leaf);
        frontier.push(leaf);
        let q = format!(
            "UPDATE audit_log_entries SET chain = {} WHERE log = {{L}} AND seq = {}",
            bytes(db, &chain),
            entry.seq
        );
        raw(db, &sql(f, &q)).await.unwrap();
    }
    let mut tx = db.begin().await.unwrap();
    tx.set_audit_head(
        &log(f),
        &AuditHead {
            size: rows.len() as i64,
            chain: chain.to_vec(),
            frontier: frontier.to_bytes(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// An owner who rewrites an entry and recomputes every chain hash (and the head) after it
/// defeats the chain alone; the signed checkpoint still catches it.
#[tokio::test]
async fn a_rewritten_history_is_caught_by_the_signed_checkpoint() {
    let (f, key) = log_of(20).await;
    sign(&f, &key, 5).await;
    drop_audit_triggers(&f.t.db).await;
    raw(
        &f.t.db,
        &sql(
            &f,
            "UPDATE audit_log_entries SET outcome = 'denied' WHERE log = {L} AND seq = 5",
        ),
    )
    .await
    .unwrap();
    recompute_chain(&f).await;
    let problem = verify(&f, &key).await.unwrap_err();
    assert!(
        matches!(problem, Problem::CheckpointMismatch { size: 21, .. }),
        "{problem:?}"
    );
}

/// The attack the signer's memory stops: delete the newest checkpoint and every entry after
/// an older one, rewind the head, append anew through the application, then ask the signer.
/// The database alone now looks consistent (it verifies), but the signer refuses, and still
/// signs the other logs.
#[tokio::test]
async fn h3_the_signer_refuses_a_history_rewritten_after_its_last_checkpoint() {
    let (f, key) = log_of(10).await;
    let b = new_practice(&f, "Second Synthetic Smiles").await;
    assert_eq!(sign(&f, &key, 1).await.signed.checkpoint.size, 11);
    f.patients()
        .create_many(&synthetic::patients(5, 4))
        .await
        .unwrap();
    assert_eq!(sign(&f, &key, 2).await.signed.checkpoint.size, 16);

    drop_audit_triggers(&f.t.db).await;
    for q in [
        "DELETE FROM audit_log_checkpoints WHERE log = {L} AND size = 16",
        "DELETE FROM audit_log_entries WHERE log = {L} AND seq >= 11",
    ] {
        raw(&f.t.db, &sql(&f, q)).await.unwrap();
    }
    recompute_chain(&f).await;
    f.patients()
        .create_many(&synthetic::patients(8, 9))
        .await
        .unwrap();
    // The rewritten log is consistent with what the database still holds.
    let outcome = verify(&f, &key).await.unwrap();
    assert_eq!(outcome.report.entries, 19);

    let refusal = try_sign(&f, &key, 3).await.unwrap_err();
    assert_eq!(refusal.log, log(&f));
    assert!(refusal.to_string().contains(&log(&f)), "{refusal}");
    assert!(
        f.t.db
            .checkpoints(&log(&f))
            .await
            .unwrap()
            .iter()
            .all(|c| c.size == 11),
        "nothing new may be signed for the rewritten log"
    );
    // Shorter than what was signed: refused too.
    let all = checkpoint_audit_logs(&f.t.db, &key, "test", &memory(&f), 4)
        .await
        .unwrap();
    let mine: Vec<_> = all
        .iter()
        .filter(|o| match o {
            Ok(c) => c.log == log(&f),
            Err(r) => r.log == log(&f),
        })
        .collect();
    assert!(matches!(mine.as_slice(), [Err(_)]), "{all:?}");
    assert!(
        all.iter()
            .any(|o| matches!(o, Ok(c) if c.log == practice_log(&b) && c.new)),
        "the other practice's log is still signed: {all:?}"
    );
    // Nor does a new signing key make a fresh start on the rewritten log: the signer's
    // memory belongs to the log, not to the key.
    let replacement = SigningKey::generate().unwrap();
    let refusal = try_sign(&f, &replacement, 5).await.unwrap_err();
    assert_eq!(refusal.log, log(&f));
}

fn literal(v: &Option<String>) -> String {
    match v {
        Some(s) => format!("'{}'", s.replace('\'', "''")),
        None => "NULL".into(),
    }
}

/// Writes `n` entries of `practice` into the single log of the previous release, as that
/// release did (its tables, its chain, its head), with one checkpoint at 3 entries.
async fn write_legacy_log(db: &Db, practice: &str, n: u64, key: &SigningKey) {
    let mut chain = GENESIS_CHAIN;
    let mut frontier = Frontier::new();
    for seq in 0..n {
        let mut e: Entry = enamel_audit::sample_entry(seq);
        e.practice_id = Some(practice.to_string());
        let leaf = e.leaf_hash();
        chain = chain_hash(&chain, &leaf);
        frontier.push(leaf);
        let q = format!(
            "INSERT INTO audit_events (seq, time_ms, practice_id, actor_id, actor_role, patient_id, \
             record_type, record_id, action, outcome, client_ip, user_agent, app_version, access_method, \
             reason, chain) VALUES ({seq}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
            e.time_ms,
            literal(&e.practice_id),
            literal(&e.actor_id),
            literal(&e.actor_role),
            literal(&e.patient_id),
            literal(&e.record_type),
            literal(&e.record_id),
            literal(&Some(e.action.clone())),
            literal(&Some(e.outcome.clone())),
            literal(&e.client_ip),
            literal(&e.user_agent),
            literal(&Some(e.app_version.clone())),
            literal(&Some(e.access_method.clone())),
            literal(&e.reason),
            bytes(db, &chain),
        );
        raw(db, &q).await.unwrap();
        if frontier.size() == 3 {
            let signed = key.sign(enamel_audit::Checkpoint {
                origin: "test".into(),
                size: 3,
                root: frontier.root(),
                time_ms: 1,
            });
            let q = format!(
                "INSERT INTO audit_checkpoints (size, key_id, origin, root, time_ms, signature) \
                 VALUES (3, '{}', 'test', {}, 1, {})",
                signed.key_id,
                bytes(db, &signed.checkpoint.root),
                bytes(db, &signed.signature)
            );
            raw(db, &q).await.unwrap();
        }
    }
    let q = format!(
        "UPDATE audit_head SET size = {n}, chain = {}, frontier = {} WHERE id = 1",
        bytes(db, &chain),
        bytes(db, &frontier.to_bytes())
    );
    raw(db, &q).await.unwrap();
}

#[tokio::test]
async fn a_database_of_the_single_log_release_upgrades_and_keeps_its_log_as_legacy() {
    let t = enamel_testkit::fresh_db().await;
    t.db.migrate_to(1, 3).await.unwrap();
    let key = SigningKey::generate().unwrap();
    let practice = uuid::Uuid::new_v4().to_string();
    write_legacy_log(&t.db, &practice, 5, &key).await;
    let applied = t.db.migrate(2).await.unwrap();
    assert_eq!(
        applied,
        [
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
        ]
    );

    // Closed: no entry may be added to the legacy log any more.
    let err = raw(
        &t.db,
        "INSERT INTO audit_events (seq, time_ms, action, outcome, app_version, access_method, chain) \
         SELECT 5, time_ms, action, outcome, app_version, access_method, chain FROM audit_events WHERE seq = 4",
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("legacy audit log is closed"),
        "{err}"
    );

    let legacy = verify_audit_log(&t.db, &key.verifying_key(), LEGACY_LOG)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(legacy.report.entries, 5);
    assert_eq!(legacy.report.checkpoints_verified, 1);
    assert_eq!(t.db.audit_logs().await.unwrap(), [LEGACY_LOG]);

    // The final checkpoint closes it; it names the legacy log.
    let memory = t.dir().join("memory.json");
    let closing = checkpoint_audit_log(&t.db, &key, "test", LEGACY_LOG, &memory, 3)
        .await
        .unwrap()
        .unwrap();
    assert!(closing.new);
    assert_eq!(closing.signed.checkpoint.size, 5);
    assert_eq!(closing.signed.checkpoint.origin, "test/legacy");
    let again = checkpoint_audit_log(&t.db, &key, "test", LEGACY_LOG, &memory, 4)
        .await
        .unwrap()
        .unwrap();
    assert!(!again.new);

    // New entries go to the practice's own log, numbered from 0.
    let writer =
        enamel_app::AuditWriter::start(t.db.clone(), std::sync::Arc::new(enamel_app::SystemClock));
    for i in 0..3 {
        assert_eq!(
            writer
                .record(draft(Some(&practice), &format!("new-{i}")))
                .await
                .unwrap(),
            i
        );
    }
    assert_eq!(
        t.db.audit_logs().await.unwrap(),
        [LEGACY_LOG.to_string(), practice_log(&practice)]
    );
    assert_eq!(
        verify_audit_log(&t.db, &key.verifying_key(), LEGACY_LOG)
            .await
            .unwrap()
            .unwrap()
            .report
            .checkpoints_verified,
        2
    );
    verify_audit_log(&t.db, &key.verifying_key(), &practice_log(&practice))
        .await
        .unwrap()
        .unwrap();

    // The viewer's trail: legacy entries first, then the new log, with one cursor across both.
    let page = |after: Option<i64>, limit: i64| {
        let q = AuditQuery {
            practice_id: Some(practice.clone()),
            after_seq: after,
            limit,
            ..AuditQuery::default()
        };
        let db = t.db.clone();
        async move { db.audit_trail(&q).await.unwrap() }
    };
    let all = page(None, 100).await;
    let logs: Vec<&str> = all.iter().map(|e| e.log.as_str()).collect();
    assert_eq!(logs[..5], [LEGACY_LOG; 5]);
    assert!(logs[5..].iter().all(|l| *l == practice_log(&practice)));
    assert_eq!(all.len(), 8);
    assert!(all.windows(2).all(|w| w[0].cursor < w[1].cursor));
    let first = page(None, 4).await;
    assert_eq!(first.len(), 4);
    let second = page(Some(first[3].cursor), 4).await;
    assert_eq!(
        second
            .iter()
            .map(|e| (e.log.clone(), e.entry.seq))
            .collect::<Vec<_>>(),
        [
            (LEGACY_LOG.to_string(), 4),
            (practice_log(&practice), 0),
            (practice_log(&practice), 1),
            (practice_log(&practice), 2),
        ]
    );
    assert!(page(Some(second[3].cursor), 4).await.is_empty());
}

#[tokio::test]
async fn a_forged_checkpoint_is_refused() {
    let (f, key) = log_of(5).await;
    let other = SigningKey::generate().unwrap();
    sign(&f, &key, 5).await;
    drop_audit_triggers(&f.t.db).await;
    let q = match &f.t.db {
        Db::Sqlite(..) => {
            "UPDATE audit_log_checkpoints SET signature = zeroblob(64) WHERE log = {L}"
        }
        Db::Postgres(_) => {
            "UPDATE audit_log_checkpoints SET signature = decode(repeat('00', 64), 'hex') WHERE log = {L}"
        }
    };
    raw(&f.t.db, &sql(&f, q)).await.unwrap();
    let problem = verify(&f, &key).await.unwrap_err();
    assert!(
        matches!(problem, Problem::BadSignature { .. }),
        "{problem:?}"
    );
    // A checkpoint signed by a key we do not trust is not counted as verified.
    let report = verify_audit_log(&f.t.db, &other.verifying_key(), &log(&f))
        .await
        .unwrap();
    let outcome = report.unwrap();
    assert_eq!(outcome.report.checkpoints_verified, 0);
    assert_eq!(outcome.report.checkpoints_other_keys, 1);
}

/// Deleting (or resetting) a log's head row needs no trigger to be dropped: the log must
/// still be listed, fail verification, and be refused by the signer that signed it before.
#[tokio::test]
async fn a_deleted_head_does_not_hide_its_log() {
    let (f, key) = log_of(4).await;
    sign(&f, &key, 2).await;
    raw(
        &f.t.db,
        &sql(&f, "DELETE FROM audit_log_heads WHERE log = {L}"),
    )
    .await
    .unwrap();
    assert!(f.t.db.audit_logs().await.unwrap().contains(&log(&f)));
    assert!(
        verify(&f, &key).await.is_err(),
        "entries beyond an empty head"
    );
    let all = checkpoint_audit_logs(&f.t.db, &key, "test", &memory(&f), 3)
        .await
        .unwrap();
    let refused: Vec<_> = all.iter().filter_map(|o| o.as_ref().err()).collect();
    assert_eq!(refused.len(), 1, "{all:?}");
    assert_eq!(refused[0].log, log(&f));

    // A replacement signing key remembers what the old one signed: no fresh start.
    let replacement = SigningKey::generate().unwrap();
    assert!(try_sign(&f, &replacement, 4).await.is_err());
}

/// An entry whose text no engine could store (PostgreSQL's TEXT refuses NUL) used to fail
/// every caller committed in the same group; now each entry's text is made storable and a
/// failed group is retried caller by caller.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m10_an_entry_with_a_nul_byte_does_not_fail_the_others_in_its_group() {
    let f = fixture().await;
    let p = f.practice.to_string();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (writer, p) = (f.writer.clone(), p.clone());
        tasks.push(tokio::spawn(async move {
            let mut d = draft(Some(&p), &format!("reader-{i}"));
            if i % 10 == 0 {
                d.patient_id = Some("evil\0id".into());
                d.reason = Some(format!("bad\0{}", "x".repeat(5_000)));
                d.user_agent = Some("agent\0".into());
            }
            writer.record(d).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let entries =
        f.t.db
            .audit_entries(&AuditQuery {
                practice_id: Some(p.clone()),
                limit: 1_000,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
    let readers: Vec<&Entry> = entries
        .iter()
        .filter(|e| {
            e.actor_id
                .as_deref()
                .is_some_and(|a| a.starts_with("reader-"))
        })
        .collect();
    assert_eq!(readers.len(), 40);
    for e in &readers {
        for text in [&e.patient_id, &e.reason, &e.user_agent]
            .into_iter()
            .flatten()
        {
            assert!(!text.contains('\0'), "{e:?}");
            assert!(text.chars().count() <= 1_000);
        }
    }
    let key = SigningKey::generate().unwrap();
    sign(&f, &key, 1).await;
    verify(&f, &key).await.unwrap();
}

/// A caller's entries (a search's results) commit together, contiguous in their log, even
/// when they outnumber a group; other callers' entries go around them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m7_many_entries_of_one_caller_commit_together_beside_others() {
    let f = fixture().await;
    let p = f.practice.to_string();
    let big = {
        let (writer, p) = (f.writer.clone(), p.clone());
        tokio::spawn(async move {
            writer
                .record_all(
                    (0..3_000)
                        .map(|i| draft(Some(&p), &format!("big-{i}")))
                        .collect(),
                )
                .await
        })
    };
    let mut small = Vec::new();
    for i in 0..20 {
        let (writer, p) = (f.writer.clone(), p.clone());
        small.push(tokio::spawn(async move {
            writer.record(draft(Some(&p), &format!("small-{i}"))).await
        }));
    }
    let seqs = big.await.unwrap().unwrap();
    assert_eq!(seqs.len(), 3_000);
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "one unit, in order"
    );
    for s in small {
        s.await.unwrap().unwrap();
    }
    assert!(f.writer.record_all(Vec::new()).await.unwrap().is_empty());
    let key = SigningKey::generate().unwrap();
    sign(&f, &key, 1).await;
    verify(&f, &key).await.unwrap();
}
