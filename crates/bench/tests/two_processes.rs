//! The scale-out claim: several processes appending to one database at once keep one valid
//! audit log. Two `enamel-bench audit-append` processes (the same App code path the server
//! uses) write concurrently; the log then verifies with every entry present exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_enamel-bench");

#[tokio::test]
async fn two_processes_appending_at_once_keep_one_valid_log() {
    let t = enamel_testkit::fresh_db().await;
    t.db.migrate(1).await.unwrap();
    let spawn = |prefix: &str| {
        Command::new(BIN)
            .args([
                "audit-append",
                "--database-url",
                &t.url,
                "--writers",
                "16",
                "--entries-per-writer",
                "150",
            ])
            .args(["--actor-prefix", prefix])
            .env_remove(enamel_testkit::DATABASE_URL_VAR)
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn("process-a"), spawn("process-b"));
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());

    let key = enamel_audit::SigningKey::generate().unwrap();
    let log = enamel_audit::practice_log("bench-practice");
    let memory = tempfile::tempdir().unwrap();
    enamel_app::checkpoint_audit_log(
        &t.db,
        &key,
        "test",
        &log,
        &memory.path().join("memory.json"),
        1,
    )
    .await
    .unwrap()
    .unwrap();
    let outcome = enamel_app::verify_audit_log(&t.db, &key.verifying_key(), &log)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(outcome.report.entries, 2 * 16 * 150);
    let writers: std::collections::BTreeSet<String> =
        t.db.audit_rows_from(&log, 0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|(e, _)| e.actor_id)
            .collect();
    assert_eq!(writers.len(), 32, "16 writers in each process");
    assert!(
        writers.iter().any(|w| w.starts_with("process-a"))
            && writers.iter().any(|w| w.starts_with("process-b"))
    );
}

/// No double-booking across servers: two processes book 32 overlapping hours of one chair at
/// once each; exactly one of the 64 bookings succeeds and 63 are refused as clashes.
#[tokio::test]
async fn two_processes_booking_one_chair_at_once_book_it_once() {
    let t = enamel_testkit::fresh_db().await;
    let setup = Command::new(BIN)
        .args(["book-race", "--database-url", &t.url, "--setup"])
        .env_remove(enamel_testkit::DATABASE_URL_VAR)
        .output()
        .unwrap();
    assert!(setup.status.success(), "{setup:?}");
    let ids: serde_json::Value = serde_json::from_slice(&setup.stdout).unwrap();
    let spawn = || {
        Command::new(BIN)
            .args(["book-race", "--database-url", &t.url, "--clients", "32"])
            .args(["--practice", ids["practice"].as_str().unwrap()])
            .args(["--patient", ids["patient"].as_str().unwrap()])
            .env_remove(enamel_testkit::DATABASE_URL_VAR)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success(), "{a:?} {b:?}");
    let count = |out: &std::process::Output, word: &str| -> usize {
        let text = String::from_utf8_lossy(&out.stdout);
        let words: Vec<&str> = text.split_whitespace().collect();
        let at = words.iter().position(|w| *w == word).unwrap();
        words[at + 1].parse().unwrap()
    };
    assert_eq!(count(&a, "booked") + count(&b, "booked"), 1, "{a:?} {b:?}");
    assert_eq!(count(&a, "clashed") + count(&b, "clashed"), 63);
}
