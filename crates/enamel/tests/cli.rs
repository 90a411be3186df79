//! The `enamel` binary from the outside: the demo over HTTPS, plain errors for bad set-ups,
//! audit verification and proofs, key rotation. Runs on the engine `ENAMEL_TEST_DATABASE_URL`
//! selects (the binary is pointed at it through `ENAMEL_DATABASE__URL`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use enamel_testkit::{TestDb, fresh_db};

const BIN: &str = env!("CARGO_BIN_EXE_enamel");

struct Site {
    t: TestDb,
    data: PathBuf,
}

async fn site() -> Site {
    let t = fresh_db().await;
    let data = t.dir().join("data");
    Site { t, data }
}

impl Site {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--data-dir").arg(&self.data).args(args);
        c.env_remove(enamel_testkit::DATABASE_URL_VAR)
            .env("ENAMEL_LOG", "warn")
            .env("ENAMEL_AUDIT__CHECKPOINT_INTERVAL_SECS", "1");
        if self.t.url.starts_with("postgres") {
            c.env("ENAMEL_DATABASE__URL", &self.t.url);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "enamel {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

fn assert_plain_failure(out: &Output, expected: &[&str]) -> String {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    for word in expected {
        assert!(stderr.contains(word), "stderr lacks {word:?}: {stderr}");
    }
    for bad in [
        "panicked",
        "backtrace",
        "RUST_BACKTRACE",
        "Error {",
        "sqlx::",
    ] {
        assert!(
            !stderr.contains(bad),
            "stderr is not plain ({bad}): {stderr}"
        );
    }
    assert!(stderr.lines().count() <= 3, "one plain message: {stderr}");
    stderr
}

/// Starts a long-running command and waits for the line with its URL.
fn start(cmd: Command) -> (Child, String) {
    let (child, url, _) = start_printing(cmd);
    (child, url)
}

/// [`start`], also handing back every line the command prints on stdout.
fn start_printing(mut cmd: Command) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let (lines_tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(i) = line.find("https://") {
                let _ = tx.send(
                    line[i..]
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_string(),
                );
            }
            let _ = lines_tx.send(line);
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the server printed its URL");
    (child, url, lines)
}

fn stop(mut child: Child) {
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    // A stop waits for the demo's background writes (charts, records, the schedule): about a
    // thousand transactions, longer on a busy machine with PostgreSQL.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "the server stopped cleanly: {status}");
            return;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn https_client(data: &Path) -> reqwest::Client {
    let pem = std::fs::read(data.join("tls").join("cert.pem")).unwrap();
    let cert = reqwest::Certificate::from_pem(&pem).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([cert])
        .build()
        .unwrap()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_serves_healthz_over_https_and_its_records_rotate() {
    let s = site().await;
    let (child, url, lines) = start_printing(s.cmd(&[
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--time-zone",
        "Pacific/Auckland",
    ]));
    let printed = printed_until_ready(&lines);
    assert!(printed.contains("charts are being filled in"), "{printed}");
    let client = https_client(&s.data);
    let response = client.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(response.headers().contains_key("strict-transport-security"));
    let ready = client.get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    // Plain HTTP on the TLS port gets nothing useful.
    let plain = reqwest::Client::new()
        .get(url.replace("https://", "http://") + "/healthz")
        .send()
        .await;
    assert!(plain.map(|r| r.status() != 200).unwrap_or(true));

    let accounts_path = s.data.join("demo-accounts.json");
    #[cfg(unix)]
    assert_eq!(mode(&accounts_path), 0o600);
    let accounts: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&accounts_path).unwrap()).unwrap();
    assert_eq!(accounts["url"], url.as_str());
    assert!(accounts["accounts"].is_array());
    #[cfg(unix)]
    assert_eq!(mode(&s.data.join("keys").join("kek.json")), 0o600);
    // The made-up charts are filled in while the server answers, and said to be ready.
    let ready = loop {
        let line = lines.recv_timeout(Duration::from_secs(120)).unwrap();
        if line.contains("charts are ready") {
            break line;
        }
    };
    assert!(ready.contains("(300 patients)"), "{ready}");
    stop(child);

    // Starting the demo again reuses its practice, and its time zone.
    let (child, _) = start(s.cmd(&["demo", "--listen", "127.0.0.1:0"]));
    stop(child);
    assert_eq!(stored_time_zone(&s).await, "Pacific/Auckland");
    let status = s.ok(&["keys", "status"]);
    assert_eq!(status.matches("Demo Dental").count(), 1, "{status}");
    // 300 patients, one staff account per role (8), each with a sealed TOTP secret, and the
    // made-up charts: 2,050 procedures and conditions, their addenda and the versions left by
    // entries marked entered in error (195 more); then the rest of each record: 354 closed
    // perio exams (two for each of the 177 adults), 574 signed notes (450 progress, 124
    // diagnoses), 55 note addenda and 266 treatment plans (1,249 more); and 1,112 tooth states
    // (wisdom teeth, bridge pontics, implants); and 341 appointments (four visits in each of
    // four operatories on the 21 days around today, and five on the ASAP list), their notes
    // sealed. The charts, records and number of appointments are the same on every run.
    assert!(status.contains("5255"), "{status}");

    let rotated = s.ok(&["keys", "rotate", "--quiet"]);
    assert!(
        rotated.contains("5255 records re-encrypted to version 2"),
        "{rotated}"
    );
    let status = s.ok(&["keys", "status"]);
    assert!(status.contains("New records use key version 2"), "{status}");
    // Retiring right after a rotation is refused: other servers may still write with the old
    // key for a refresh interval (M3). A minute later it goes through.
    let early = s.run(&["keys", "retire", "--below", "2"]);
    let early = assert_plain_failure(&early, &["seconds"]);
    assert!(early.contains("other servers"), "{early}");
    backdate_field_keys(&s, 60_000).await;
    s.ok(&["keys", "retire", "--below", "2"]);
    let kek = s.ok(&["keys", "rotate", "--kek"]);
    // Field keys 1 and 2, the index key, and the record-signing key the demo's signed notes
    // and accepted plans made.
    assert!(kek.contains("4 data keys re-wrapped"), "{kek}");
    let verified = s.ok(&["audit", "verify"]);
    assert!(
        verified.contains("The audit log practice:") && verified.contains("is intact"),
        "{verified}"
    );
}

#[tokio::test]
async fn a_bad_setting_is_named_in_a_plain_message() {
    let s = site().await;
    let config = s.t.dir().join("enamel.toml");
    std::fs::write(&config, "[http]\nmax_body_bytes = \"lots\"\n").unwrap();
    let out = s.run(&["--config", config.to_str().unwrap(), "migrate"]);
    assert_plain_failure(&out, &["http.max_body_bytes"]);

    let out = s
        .cmd(&["migrate"])
        .env("ENAMEL_DATABSE__URL", "sqlite://x")
        .output()
        .unwrap();
    assert_plain_failure(&out, &["ENAMEL_DATABSE__URL"]);

    let missing = s.run(&["--config", "/nonexistent/enamel.toml", "migrate"]);
    assert_plain_failure(&missing, &["/nonexistent/enamel.toml"]);
}

#[tokio::test]
async fn a_missing_wrong_or_exposed_key_file_is_a_plain_error() {
    let s = site().await;
    s.ok(&["init", "--practice-name", "Synthetic Smiles"]);
    let key_file = s.data.join("keys").join("kek.json");

    // Wrong: another installation's key file.
    let other = site().await;
    other.ok(&["init", "--practice-name", "Other Synthetic Office"]);
    let saved = std::fs::read(&key_file).unwrap();
    std::fs::write(
        &key_file,
        std::fs::read(other.data.join("keys").join("kek.json")).unwrap(),
    )
    .unwrap();
    let out = s.run(&["keys", "status"]);
    assert_plain_failure(&out, &["key-encryption key"]);
    std::fs::write(&key_file, &saved).unwrap();

    // Exposed: readable by others.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = s.run(&["keys", "status"]);
        assert_plain_failure(&out, &["chmod 600"]);
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    s.ok(&["keys", "status"]);

    // Missing.
    std::fs::remove_file(&key_file).unwrap();
    let out = s.run(&["serve", "--listen", "127.0.0.1:0"]);
    assert_plain_failure(&out, &["kek.json"]);
}

/// The time zone stored for the site's only practice.
async fn site_db(s: &Site) -> enamel_store::Db {
    let url = if s.t.url.starts_with("sqlite") {
        format!("sqlite://{}", s.data.join("enamel.db").display())
    } else {
        s.t.url.clone()
    };
    enamel_store::Db::connect(&url, &enamel_store::PoolSettings::default())
        .await
        .unwrap()
}

/// Moves every data key's creation time `ms` into the past: time passing, for the rules that
/// wait after a rotation.
async fn backdate_field_keys(s: &Site, ms: i64) {
    let db = site_db(s).await;
    enamel_testkit::raw_sql(
        &db,
        &format!("UPDATE practice_keys SET created_ms = created_ms - {ms}"),
    )
    .await
    .unwrap();
    db.close().await;
}

async fn stored_time_zone(s: &Site) -> String {
    let url = if s.t.url.starts_with("sqlite") {
        format!("sqlite://{}", s.data.join("enamel.db").display())
    } else {
        s.t.url.clone()
    };
    let db = enamel_store::Db::connect(&url, &enamel_store::PoolSettings::default())
        .await
        .unwrap();
    let practices = db.practices().await.unwrap();
    db.close().await;
    assert_eq!(practices.len(), 1);
    practices[0].time_zone.clone()
}

#[tokio::test]
async fn init_takes_a_time_zone_refuses_a_bad_one_and_defaults_to_the_hosts() {
    // A bad name is refused before anything is written.
    let bad = site().await;
    let out = bad.run(&[
        "init",
        "--practice-name",
        "Synthetic Smiles",
        "--time-zone",
        "Mars/Olympus_Mons",
    ]);
    assert_plain_failure(&out, &["--time-zone", "America/New_York"]);
    assert!(!bad.data.exists(), "nothing is created for a bad zone");

    // A good one, in any letter case, is stored in the database's spelling.
    let good = site().await;
    let said = good.ok(&[
        "init",
        "--practice-name",
        "Synthetic Smiles",
        "--time-zone",
        "america/new_york",
    ]);
    assert!(said.contains("Time zone: America/New_York"), "{said}");
    assert_eq!(stored_time_zone(&good).await, "America/New_York");

    // Without the option: this computer's zone (here through TZ).
    let host = site().await;
    let out = host
        .cmd(&["init", "--practice-name", "Synthetic Smiles"])
        .env("TZ", "Asia/Tokyo")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Time zone: Asia/Tokyo"));
    assert_eq!(stored_time_zone(&host).await, "Asia/Tokyo");

    // A host zone without an IANA name (a bare POSIX rule) falls back to UTC, and says so.
    let posix = site().await;
    let out = posix
        .cmd(&["init", "--practice-name", "Synthetic Smiles"])
        .env("TZ", "XYZ-3:30")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("Time zone: UTC"), "{said}");
    assert!(said.contains("--time-zone"), "{said}");
    assert_eq!(stored_time_zone(&posix).await, "UTC");
}

#[tokio::test]
async fn migrate_leaves_existing_practices_at_utc_and_says_so() {
    let mut s = site().await;
    if s.t.url.starts_with("sqlite") {
        s.t.url = format!("sqlite://{}", s.data.join("enamel.db").display());
    }
    s.ok(&[
        "init",
        "--practice-name",
        "Synthetic Smiles",
        "--time-zone",
        "Europe/Berlin",
    ]);
    // Back to the schema before time zones: the column and its ledger row gone.
    tamper(
        &s,
        &[
            "ALTER TABLE practices DROP COLUMN time_zone",
            "DELETE FROM schema_migrations WHERE version = 5",
        ],
    )
    .await
    .unwrap();
    let said = s.ok(&["migrate"]);
    assert!(said.contains("Applied: 0005_practice_time.sql"), "{said}");
    assert!(said.contains("1 existing practice(s) use UTC"), "{said}");
    assert_eq!(stored_time_zone(&s).await, "UTC");
    let again = s.ok(&["migrate"]);
    assert!(again.contains("already up to date"), "{again}");
}

#[tokio::test]
async fn an_unreachable_database_is_a_plain_error_without_the_password() {
    let s = site().await;
    let out = s
        .cmd(&["migrate"])
        .env(
            "ENAMEL_DATABASE__URL",
            "postgres://enamel:hunter2secret@127.0.0.1:1/enamel",
        )
        .output()
        .unwrap();
    let stderr = assert_plain_failure(&out, &["cannot be reached", "127.0.0.1:1"]);
    assert!(!stderr.contains("hunter2secret"), "{stderr}");
}

#[tokio::test]
async fn serve_refuses_a_database_that_is_not_set_up() {
    let s = site().await;
    std::fs::create_dir_all(&s.data).unwrap();
    let out = s.run(&["serve", "--listen", "127.0.0.1:0"]);
    assert_plain_failure(&out, &["enamel migrate"]);
}

/// Runs raw statements on the site's database, as an attacker with database access would.
async fn tamper(s: &Site, statements: &[&str]) -> Result<(), String> {
    let db = enamel_store::Db::connect(&s.t.url, &enamel_store::PoolSettings::default())
        .await
        .unwrap();
    let mut result = Ok(());
    for sql in statements {
        if let Err(e) = enamel_testkit::raw_sql(&db, sql).await {
            result = Err(e.to_string());
            break;
        }
    }
    db.close().await;
    result
}

/// `audit verify --json` of the site, parsed, with its exit code.
fn verify_json(s: &Site, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut args = vec!["audit", "verify", "--json"];
    args.extend_from_slice(extra);
    let out = s.run(&args);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("not JSON: {out:?}"));
    (out.status.code(), json)
}

/// The site's one practice log, and its entry count.
fn practice_log(s: &Site) -> (String, u64) {
    let (code, json) = verify_json(s, &[]);
    assert_eq!(code, Some(0), "{json}");
    let logs = json["logs"].as_array().unwrap();
    let mine: Vec<_> = logs
        .iter()
        .filter(|l| l["log"].as_str().unwrap().starts_with("practice:"))
        .collect();
    assert_eq!(mine.len(), 1, "{json}");
    (
        mine[0]["log"].as_str().unwrap().to_string(),
        mine[0]["entries"].as_u64().unwrap(),
    )
}

/// A site whose SQLite file, when SQLite is the engine, is the one the binary uses.
async fn audited_site() -> Site {
    let mut s = site().await;
    if s.t.url.starts_with("sqlite") {
        // The binary uses DATA/enamel.db by default; point the tamper step at that file.
        s.t.url = format!("sqlite://{}", s.data.join("enamel.db").display());
    }
    s.ok(&["init", "--practice-name", "Synthetic Smiles"]);
    s
}

#[tokio::test]
async fn audit_verify_checkpoints_proves_and_names_the_first_bad_entry() {
    let s = audited_site().await;
    s.ok(&["keys", "rotate", "--quiet"]);
    let witness = s.t.dir().join("witness");
    let first = s.ok(&[
        "audit",
        "checkpoint",
        "--witness-dir",
        witness.to_str().unwrap(),
    ]);
    assert!(first.contains("— enamel-audit"), "{first}");
    let (log, old_size) = practice_log(&s);
    let id = log.strip_prefix("practice:").unwrap().to_string();
    let witnessed: Vec<String> = std::fs::read_dir(&witness)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        witnessed
            .iter()
            .any(|f| f.starts_with(&format!("checkpoint-practice_{id}-"))),
        "a witness file names its log: {witnessed:?}"
    );
    s.ok(&["keys", "rotate", "--quiet"]);
    s.ok(&["audit", "checkpoint"]);
    let (_, new_size) = practice_log(&s);
    assert!(new_size > old_size);

    let report = s.ok(&["audit", "verify"]);
    assert!(
        report.contains(&format!(
            "The audit log {log} is intact: {new_size} entries"
        )),
        "{report}"
    );
    assert!(report.contains("2 signed checkpoints verified"), "{report}");
    let (code, json) = verify_json(&s, &["--practice", &id]);
    assert_eq!(code, Some(0));
    assert_eq!(
        json,
        serde_json::json!({"ok": true, "logs": [{"log": log, "entries": new_size,
            "checkpoints": 2, "ok": true, "first_bad_entry": null}]})
    );

    // An inclusion proof names its log, checks out with the public key alone, and fails for
    // another entry or another log.
    let out = s.ok(&["audit", "verify", "--practice", &id, "--inclusion", "1"]);
    let proof_text = &out[out.find('{').unwrap()..];
    let proof: serde_json::Value = serde_json::from_str(proof_text).unwrap();
    assert_eq!(proof["log"], serde_json::json!(log));
    let proof_file = s.t.dir().join("inclusion.json");
    std::fs::write(&proof_file, proof_text).unwrap();
    let public = s.data.join("audit-public.txt");
    let checked = s.ok(&[
        "audit",
        "check-proof",
        proof_file.to_str().unwrap(),
        "--public-key",
        public.to_str().unwrap(),
    ]);
    assert!(
        checked.contains(&format!("Entry #1 is in the signed audit log {log}")),
        "{checked}"
    );
    let mut wrong = proof.clone();
    wrong["seq"] = serde_json::json!(2);
    std::fs::write(&proof_file, wrong.to_string()).unwrap();
    let out = s.run(&["audit", "check-proof", proof_file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let mut elsewhere = proof.clone();
    elsewhere["log"] = serde_json::json!("server");
    std::fs::write(&proof_file, elsewhere.to_string()).unwrap();
    let out = s.run(&["audit", "check-proof", proof_file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("another log"),
        "{out:?}"
    );

    // A consistency proof between the two checkpoints, and a rewritten history refused.
    let out = s.ok(&[
        "audit",
        "verify",
        "--log",
        &log,
        "--consistency",
        &format!("{old_size}:{new_size}"),
    ]);
    let proof_text = &out[out.find('{').unwrap()..];
    std::fs::write(&proof_file, proof_text).unwrap();
    s.ok(&["audit", "check-proof", proof_file.to_str().unwrap()]);
    let mut rewritten: serde_json::Value = serde_json::from_str(proof_text).unwrap();
    rewritten["path"][0] = serde_json::json!(hex_of_zeroes());
    std::fs::write(&proof_file, rewritten.to_string()).unwrap();
    let out = s.run(&["audit", "check-proof", proof_file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");

    // The database refuses a plain change; an owner who drops the guard is caught by verify.
    let change =
        format!("UPDATE audit_log_entries SET action = 'view' WHERE log = '{log}' AND seq = 2");
    let refused = tamper(&s, &[&change]).await;
    assert!(
        refused.unwrap_err().contains("cannot be changed"),
        "the trigger refused the update"
    );
    let drop_guard = if s.t.url.starts_with("postgres") {
        "DROP TRIGGER audit_log_entries_refuse_change ON audit_log_entries"
    } else {
        "DROP TRIGGER audit_log_entries_refuse_update"
    };
    let change =
        format!("UPDATE audit_log_entries SET action = 'export' WHERE log = '{log}' AND seq = 2");
    tamper(&s, &[drop_guard, &change]).await.unwrap();
    let out = s.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("First bad entry of {log}: #2")),
        "{stderr}"
    );
    let (code, json) = verify_json(&s, &[]);
    assert_eq!(code, Some(2));
    assert_eq!(json["ok"], serde_json::json!(false));
    let bad: Vec<_> = json["logs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["ok"] == serde_json::json!(false))
        .collect();
    assert_eq!(bad.len(), 1, "{json}");
    assert_eq!(bad[0]["log"], serde_json::json!(log));
    assert_eq!(bad[0]["first_bad_entry"], serde_json::json!(2));
}

/// The rewrite the signer's memory and the witness catch: drop the guards, delete the newest
/// checkpoint and every entry after an older one, rewind the head, append through the
/// application. The database alone still verifies; the signer refuses, and the witness names
/// the checkpoint that is gone.
#[tokio::test]
async fn h3_a_rewritten_log_is_refused_by_the_signer_and_named_by_the_witness() {
    let s = audited_site().await;
    let witness = s.t.dir().join("witness");
    let w = witness.to_str().unwrap();
    s.ok(&["keys", "rotate", "--quiet"]);
    s.ok(&["audit", "checkpoint", "--witness-dir", w]);
    let (log, old_size) = practice_log(&s);
    s.ok(&["keys", "rotate", "--quiet"]);
    s.ok(&["audit", "checkpoint", "--witness-dir", w]);
    let (_, new_size) = practice_log(&s);
    // Untouched: verifies with and without the witness.
    s.ok(&["audit", "verify"]);
    let with_witness = s.ok(&["audit", "verify", "--witness-dir", w]);
    assert!(
        with_witness.contains("witnessed checkpoints are still in the database"),
        "{with_witness}"
    );

    let pg = s.t.url.starts_with("postgres");
    let mut statements: Vec<String> = if pg {
        vec![
            "DROP TRIGGER audit_log_entries_refuse_change ON audit_log_entries".into(),
            "DROP TRIGGER audit_log_checkpoints_refuse_change ON audit_log_checkpoints".into(),
        ]
    } else {
        vec![
            "DROP TRIGGER audit_log_entries_refuse_delete".into(),
            "DROP TRIGGER audit_log_checkpoints_refuse_delete".into(),
        ]
    };
    statements.push(format!(
        "DELETE FROM audit_log_checkpoints WHERE log = '{log}' AND size = {new_size}"
    ));
    statements.push(format!(
        "DELETE FROM audit_log_entries WHERE log = '{log}' AND seq >= {old_size}"
    ));
    // The head as it was at the older checkpoint, recomputed from the rows that remain.
    let db = enamel_store::Db::connect(&s.t.url, &enamel_store::PoolSettings::default())
        .await
        .unwrap();
    let rows = db
        .audit_rows_from(&log, 0, i64::try_from(old_size).unwrap())
        .await
        .unwrap();
    let mut frontier = enamel_audit::Frontier::new();
    for (e, _) in &rows {
        frontier.push(e.leaf_hash());
    }
    let chain = rows.last().unwrap().1;
    db.close().await;
    let lit = |b: &[u8]| {
        if pg {
            format!("'\\x{}'::bytea", hex::encode(b))
        } else {
            format!("X'{}'", hex::encode(b))
        }
    };
    statements.push(format!(
        "UPDATE audit_log_heads SET size = {old_size}, chain = {}, frontier = {} WHERE log = '{log}'",
        lit(&chain),
        lit(&frontier.to_bytes())
    ));
    let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
    tamper(&s, &refs).await.unwrap();
    s.ok(&["keys", "rotate", "--quiet"]);
    // The database is consistent with itself again...
    s.ok(&["audit", "verify"]);
    // ...but the signer does not extend a history it did not sign.
    let out = s.run(&["audit", "checkpoint", "--witness-dir", w]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("refused to sign the audit log {log}")),
        "{stderr}"
    );
    // And the witness names the checkpoint that is gone.
    let out = s.run(&["audit", "verify", "--witness-dir", w]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = format!("checkpoint-{}-{new_size:012}-", log.replace(':', "_"));
    assert!(
        stderr.contains(&format!("checkpoint of {log} at {new_size} entries"))
            && stderr.contains(&file),
        "{stderr}"
    );
}

fn hex_of_zeroes() -> String {
    "00".repeat(32)
}

fn sql_text(v: &Option<String>) -> String {
    v.as_ref()
        .map_or("NULL".into(), |s| format!("'{}'", s.replace('\'', "''")))
}

/// A data folder of the single-log release: its tables (migrations 1–3 only) hold entries past
/// their last checkpoint. `enamel migrate` upgrades it, closes the old log with a final
/// checkpoint, and `audit verify` reports it as the log `legacy`.
#[cfg(unix)]
#[tokio::test]
async fn migrate_closes_the_legacy_log_of_an_older_release() {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let mut s = site().await;
    let signing = s.data.join("audit-signing");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&signing)
        .unwrap();
    if s.t.url.starts_with("sqlite") {
        s.t.url = format!("sqlite://{}", s.data.join("enamel.db").display());
    }
    let key = enamel_audit::SigningKey::generate().unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64_of(&key.pkcs8_der_danger())
    );
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(signing.join("checkpoint.key"))
        .unwrap();
    std::io::Write::write_all(&mut file, pem.as_bytes()).unwrap();
    std::fs::write(
        s.data.join("audit-public.txt"),
        key.verifying_key().to_text(),
    )
    .unwrap();

    let db = enamel_store::Db::connect(&s.t.url, &enamel_store::PoolSettings::default())
        .await
        .unwrap();
    db.migrate_to(1, 3).await.unwrap();
    let pg = s.t.url.starts_with("postgres");
    let lit = |b: &[u8]| {
        if pg {
            format!("'\\x{}'::bytea", hex::encode(b))
        } else {
            format!("X'{}'", hex::encode(b))
        }
    };
    let mut chain = enamel_audit::GENESIS_CHAIN;
    let mut frontier = enamel_audit::Frontier::new();
    for seq in 0..4 {
        let e = enamel_audit::sample_entry(seq);
        let leaf = e.leaf_hash();
        chain = enamel_audit::chain_hash(&chain, &leaf);
        frontier.push(leaf);
        let q = format!(
            "INSERT INTO audit_events (seq, time_ms, practice_id, actor_id, actor_role, patient_id, \
             record_type, record_id, action, outcome, client_ip, user_agent, app_version, access_method, \
             reason, chain) VALUES ({seq}, {}, {}, {}, {}, {}, {}, {}, '{}', '{}', {}, {}, '{}', '{}', {}, {})",
            e.time_ms,
            sql_text(&e.practice_id),
            sql_text(&e.actor_id),
            sql_text(&e.actor_role),
            sql_text(&e.patient_id),
            sql_text(&e.record_type),
            sql_text(&e.record_id),
            e.action,
            e.outcome,
            sql_text(&e.client_ip),
            sql_text(&e.user_agent),
            e.app_version,
            e.access_method,
            sql_text(&e.reason),
            lit(&chain),
        );
        enamel_testkit::raw_sql(&db, &q).await.unwrap();
    }
    let q = format!(
        "UPDATE audit_head SET size = 4, chain = {}, frontier = {} WHERE id = 1",
        lit(&chain),
        lit(&frontier.to_bytes())
    );
    enamel_testkit::raw_sql(&db, &q).await.unwrap();
    db.close().await;

    let out = s.ok(&["migrate"]);
    assert!(out.contains("0004_audit_logs.sql"), "{out}");
    let (code, json) = verify_json(&s, &[]);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(
        json,
        serde_json::json!({"ok": true, "logs": [{"log": "legacy", "entries": 4,
            "checkpoints": 1, "ok": true, "first_bad_entry": null}]})
    );
    let report = s.ok(&["audit", "verify", "--log", "legacy"]);
    assert!(
        report.contains("The audit log legacy is intact: 4 entries"),
        "{report}"
    );
    // Closed once: migrating again signs nothing new.
    s.ok(&["migrate"]);
    let (_, json) = verify_json(&s, &[]);
    assert_eq!(json["logs"][0]["checkpoints"], serde_json::json!(1));
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn l8_init_warns_when_keys_sit_beside_the_database_and_places_them_apart() {
    // The defaults: the key file and the signing key in the data folder, beside SQLite's file.
    let together = site().await;
    let out = together
        .cmd(&["init", "--practice-name", "Synthetic Smiles"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if together.t.url.starts_with("sqlite") {
        assert_eq!(stderr.matches("Warning:").count(), 1, "{stderr}");
        assert!(
            stderr.contains("the key file and the audit signing key are in the same folder")
                && stderr.contains("ENAMEL_KEYS__KEY_FILE"),
            "{stderr}"
        );
    } else {
        assert!(!stderr.contains("Warning:"), "{stderr}");
    }

    // Placed apart through the settings: no warning, nothing secret in the data folder, and
    // the server starts with them.
    let apart = site().await;
    let secrets = apart.t.dir().join("secrets");
    let key_file = secrets.join("kek.json");
    let signing_key = secrets.join("checkpoint.key");
    let with_secrets_apart = |args: &[&str]| {
        let mut c = apart.cmd(args);
        c.env("ENAMEL_KEYS__KEY_FILE", &key_file)
            .env("ENAMEL_AUDIT__SIGNING_KEY_FILE", &signing_key);
        c
    };
    let out = with_secrets_apart(&["init", "--practice-name", "Synthetic Smiles"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("Warning:"), "{stderr}");
    assert!(key_file.is_file() && signing_key.is_file());
    assert!(!apart.data.join("keys").exists());
    assert!(!apart.data.join("audit-signing").exists());
    let (child, url) = start(with_secrets_apart(&["serve", "--listen", "127.0.0.1:0"]));
    let ready = https_client(&apart.data)
        .get(format!("{url}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    stop(child);
}

/// Every file and folder under `dir`, with its permission bits.
#[cfg(unix)]
fn modes_under(dir: &Path) -> Vec<(PathBuf, u32, bool)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let is_dir = path.is_dir();
        out.push((path.clone(), mode(&path), is_dir));
        if is_dir {
            out.extend(modes_under(&path));
        }
    }
    out
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_folder_is_private_after_init_a_server_start_and_a_checkpoint() {
    let s = site().await;
    s.ok(&["init", "--practice-name", "Synthetic Smiles"]);
    let db = s.data.join("enamel.db");
    let sqlite = s.t.url.starts_with("sqlite");
    if sqlite {
        // A database left readable by an older release is tightened at the next start.
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(mode(&db), 0o600);
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let (child, url) = start(s.cmd(&["serve", "--listen", "127.0.0.1:0"]));
    let ready = https_client(&s.data)
        .get(format!("{url}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    if sqlite {
        // While the server runs: the database and its write-ahead log and shared memory.
        for suffix in ["", "-wal", "-shm"] {
            let path = PathBuf::from(format!("{}{suffix}", db.display()));
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
    stop(child);
    let witness = s.data.join("witness");
    s.ok(&[
        "audit",
        "checkpoint",
        "--witness-dir",
        witness.to_str().unwrap(),
    ]);

    let found = modes_under(&s.data);
    let names: Vec<String> = found
        .iter()
        .map(|(p, _, _)| p.strip_prefix(&s.data).unwrap().display().to_string())
        .collect();
    for expected in [
        "keys/kek.json",
        "tls/key.pem",
        "tls/cert.pem",
        "audit-signing/checkpoint.key",
        "audit-signing/checkpoint-signer-memory.json",
        "audit-public.txt",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected}: {names:?}");
    }
    assert!(
        !sqlite || names.iter().any(|n| n == "enamel.db"),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.starts_with("witness/")), "{names:?}");
    assert_eq!(mode(&s.data), 0o700);
    for (path, mode, is_dir) in found {
        let expected = if is_dir { 0o700 } else { 0o600 };
        assert_eq!(mode, expected, "{} is {mode:o}", path.display());
    }
}

/// The link's secret in a line `enamel` printed (`https://<this server>/reset#enr_…`).
fn reset_token(printed: &str) -> String {
    let start = printed.find("/reset#").expect("a reset link") + "/reset#".len();
    printed[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_string()
}

/// M5's related weakness: a practice administrator may not reset the authenticator of someone
/// who reads the audit log (`m5_an_administrator_cannot_reset_the_compliance_officers_authenticator`
/// in the web tests), so the host's operator can, from the command line, and the link works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m5_the_operator_issues_the_reset_link_an_administrator_may_not() {
    let s = site().await;
    let init = s.ok(&["init", "--practice-name", "Synthetic Smiles"]);
    let first_link = reset_token(&init);
    let id_at = init.find("(id ").unwrap() + "(id ".len();
    let practice = init[id_at..].split(')').next().unwrap().to_string();

    let unknown = s.run(&[
        "users",
        "reset-link",
        "--practice",
        &practice,
        "--username",
        "nobody-here",
    ]);
    assert_plain_failure(&unknown, &["no account with that username"]);
    let elsewhere = s.run(&[
        "users",
        "reset-link",
        "--practice",
        "0190a0a0-0000-7000-8000-000000000000",
        "--username",
        "admin",
    ]);
    assert_plain_failure(&elsewhere, &["no practice with id"]);

    let printed = s.ok(&[
        "users",
        "reset-link",
        "--practice",
        &practice,
        "--username",
        "admin",
        "--second-factor",
    ]);
    assert!(printed.contains("set up their authenticator"), "{printed}");
    let link = reset_token(&printed);
    assert!(link.starts_with("enr_") && link != first_link, "{printed}");

    let (child, url) = start(s.cmd(&["serve", "--listen", "127.0.0.1:0"]));
    let client = https_client(&s.data);
    let complete = |token: String| {
        let client = client.clone();
        let url = url.clone();
        async move {
            client
                .post(format!("{url}/api/v1/auth/password-reset/complete"))
                .json(
                    &serde_json::json!({"token": token, "new_password": "operator quiet harbour"}),
                )
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        complete(first_link).await,
        400,
        "the earlier link stopped working"
    );
    assert_eq!(
        complete(link.clone()).await,
        204,
        "the operator's link works"
    );
    assert_eq!(complete(link).await, 400, "once");
    let login = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": "operator quiet harbour"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let body: serde_json::Value = login.json().await.unwrap();
    assert_eq!(body["enrollment_required"], true, "{body}");
    stop(child);
}

/// What `enamel demo` printed up to "Press Ctrl-C".
fn printed_until_ready(lines: &std::sync::mpsc::Receiver<String>) -> String {
    let mut out = String::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(30)) {
        out.push_str(&line);
        out.push('\n');
        if line.contains("Press Ctrl-C") {
            break;
        }
    }
    out
}

/// Signs in over HTTPS through the API, password then code; the answer to the second step.
async fn api_sign_in(
    client: &reqwest::Client,
    url: &str,
    username: &str,
    password: &str,
    code: &str,
) -> (reqwest::StatusCode, serde_json::Value) {
    let login = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let one: serde_json::Value = login.json().await.unwrap();
    assert_eq!(one["enrollment_required"], false, "{one}");
    let mfa = client
        .post(format!("{url}/api/v1/auth/mfa"))
        .json(&serde_json::json!({"mfa_token": one["mfa_token"], "code": code}))
        .send()
        .await
        .unwrap();
    let status = mfa.status();
    (status, mfa.json().await.unwrap_or_default())
}

fn demo_account(data: &Path, username: &str) -> serde_json::Value {
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("demo-accounts.json")).unwrap()).unwrap();
    file["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == username)
        .unwrap()
        .clone()
}

/// Issue #12 (6): a newcomer signs in to the demo with the printed password and the code
/// `enamel demo code` prints, with no authenticator app.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_code_prints_a_code_the_sign_in_accepts_and_only_for_a_demo_account() {
    let s = site().await;
    let (child, url, lines) = start_printing(s.cmd(&["demo", "--listen", "127.0.0.1:0"]));
    let printed = printed_until_ready(&lines);
    let front_desk = demo_account(&s.data, "front-desk");
    let password = front_desk["password"].as_str().unwrap();
    let secret = front_desk["totp_secret"].as_str().unwrap();
    // The table of sign-ins and how to get a code, and never a TOTP secret.
    let row = printed
        .lines()
        .find(|l| l.contains("front-desk"))
        .unwrap_or_else(|| panic!("no front-desk row: {printed}"));
    assert!(
        row.contains("Front desk") && row.contains(password),
        "{printed}"
    );
    assert!(printed.contains("Username") && printed.contains("Password"));
    assert!(printed.contains("demo code USERNAME"), "{printed}");
    assert!(printed.contains(&s.data.display().to_string()), "{printed}");
    assert!(!printed.contains(secret), "{printed}");

    let code = s.ok(&["demo", "code", "front-desk"]);
    let code = code.trim();
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code:?}"
    );
    let client = https_client(&s.data);
    let (status, body) = api_sign_in(&client, &url, "front-desk", password, code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    // A code that is not the account's is refused: the sign-in above proves the code, not luck.
    let wrong = format!(
        "{:06}",
        (code.parse::<u32>().unwrap() + 500_000) % 1_000_000
    );
    let (status, _) = api_sign_in(&client, &url, "front-desk", password, &wrong).await;
    assert_eq!(status, 401);

    let unknown = s.run(&["demo", "code", "nobody-here"]);
    let stderr = assert_plain_failure(&unknown, &["no demo account", "front-desk"]);
    assert!(unknown.stdout.is_empty());
    assert!(!stderr.contains(secret) && !stderr.contains(password));
    stop(child);

    // A demo folder from before practices carried the marker: `demo code` refuses until
    // `enamel demo` starts again and adopts its practice (no second demo practice is made).
    let db = site_db(&s).await;
    enamel_testkit::raw_sql(&db, "UPDATE practices SET demo = 0")
        .await
        .unwrap();
    db.close().await;
    let refused = s.run(&["demo", "code", "front-desk"]);
    assert_plain_failure(&refused, &["not a demo practice"]);
    let (child, _) = start(s.cmd(&["demo", "--listen", "127.0.0.1:0"]));
    stop(child);
    let code = s.ok(&["demo", "code", "front-desk"]);
    assert_eq!(code.trim().len(), 6, "{code}");
    let status = s.ok(&["keys", "status"]);
    assert_eq!(status.matches("Demo Dental").count(), 1, "{status}");
}

/// A real practice (`enamel init`) gets no codes, even with a sign-ins file copied beside it.
#[tokio::test]
async fn demo_code_refuses_a_real_practice() {
    let s = site().await;
    let init = s.ok(&["init", "--practice-name", "Synthetic Smiles"]);
    let out = s.run(&["demo", "code", "admin"]);
    assert_plain_failure(&out, &["not a demo practice", "authenticator app"]);
    assert!(out.stdout.is_empty());

    let id_at = init.find("(id ").unwrap() + "(id ".len();
    let practice = init[id_at..].split(')').next().unwrap();
    let copied = serde_json::json!({
        "practice_id": practice,
        "practice_name": "Demo Dental (synthetic data)",
        "url": "https://127.0.0.1:8443",
        "accounts": [{"role": "practice_administrator", "username": "admin",
                      "password": "demo-0123456789abcdef",
                      "totp_secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}],
    });
    std::fs::write(
        s.data.join("demo-accounts.json"),
        serde_json::to_vec(&copied).unwrap(),
    )
    .unwrap();
    let out = s.run(&["demo", "code", "admin"]);
    let stderr = assert_plain_failure(&out, &["not a demo practice"]);
    assert!(out.stdout.is_empty());
    assert!(!stderr.contains("GEZD"), "{stderr}");
}
