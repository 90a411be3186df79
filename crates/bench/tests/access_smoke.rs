//! The `access` benchmark runs end to end on a tiny fixture and prints every figure. A smoke
//! test only: no time is checked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_enamel-bench");

#[test]
fn access_benchmark_runs_end_to_end_on_sqlite() {
    let out = Command::new(BIN)
        .args(["access", "--seconds", "0.1", "--warmup", "0"])
        .args([
            "--users",
            "2",
            "--patients",
            "5",
            "--callers",
            "4",
            "--flood",
            "4",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for figure in [
        "resolve_session, 1 caller: wall per call",
        "resolve_session, 4 callers: calls/s",
        "authorize, 1 caller: wall per call",
        "read_patient, 4 callers: reads/s",
        "share of a 1-caller read (wall): authorize",
        "Argon2id alone, 1 thread: Enamel verify_password",
        "flood of 4 right passwords: password steps/s",
        "flood of 4 wrong passwords: probe read_patient p99",
    ] {
        assert!(text.contains(figure), "{figure} is missing from:\n{text}");
    }
}
