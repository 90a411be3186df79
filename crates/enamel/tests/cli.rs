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
fn start(mut cmd: Command) -> (Child, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
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
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the server printed its URL");
    (child, url)
}

fn stop(mut child: Child) {
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
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
    let (child, url) = start(s.cmd(&[
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--time-zone",
        "Pacific/Auckland",
    ]));
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
    stop(child);

    // Starting the demo again reuses its practice, and its time zone.
    let (child, _) = start(s.cmd(&["demo", "--listen", "127.0.0.1:0"]));
    stop(child);
    assert_eq!(stored_time_zone(&s).await, "Pacific/Auckland");
    let status = s.ok(&["keys", "status"]);
    assert_eq!(status.matches("Demo Dental").count(), 1, "{status}");
    // 300 patients and one staff account per role, each with a sealed TOTP secret.
    assert!(status.contains("308"), "{status}");

    let rotated = s.ok(&["keys", "rotate", "--quiet"]);
    assert!(
        rotated.contains("308 records re-encrypted to version 2"),
        "{rotated}"
    );
    let status = s.ok(&["keys", "status"]);
    assert!(status.contains("New records use key version 2"), "{status}");
    s.ok(&["keys", "retire", "--below", "2"]);
    let kek = s.ok(&["keys", "rotate", "--kek"]);
    assert!(kek.contains("3 data keys re-wrapped"), "{kek}");
    let verified = s.ok(&["audit", "verify"]);
    assert!(verified.contains("The audit log is intact"), "{verified}");
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

#[tokio::test]
async fn audit_verify_checkpoints_proves_and_names_the_first_bad_entry() {
    let mut s = site().await;
    if s.t.url.starts_with("sqlite") {
        // The binary uses DATA/enamel.db by default; point the tamper step at that file.
        s.t.url = format!("sqlite://{}", s.data.join("enamel.db").display());
    }
    s.ok(&["init", "--practice-name", "Synthetic Smiles"]);
    s.ok(&["keys", "rotate", "--quiet"]);
    let witness = s.t.dir().join("witness");
    let first = s.ok(&[
        "audit",
        "checkpoint",
        "--witness-dir",
        witness.to_str().unwrap(),
    ]);
    assert!(first.contains("— enamel-audit"), "{first}");
    let witnessed: Vec<_> = std::fs::read_dir(&witness).unwrap().collect();
    assert_eq!(witnessed.len(), 1);
    let old_size: u64 = first.lines().nth(1).unwrap().parse().unwrap();
    s.ok(&["keys", "rotate", "--quiet"]);
    let second = s.ok(&["audit", "checkpoint"]);
    let new_size: u64 = second.lines().nth(1).unwrap().parse().unwrap();
    assert!(new_size > old_size);

    let report = s.ok(&["audit", "verify"]);
    assert!(
        report.contains(&format!("The audit log is intact: {new_size} entries")),
        "{report}"
    );
    assert!(report.contains("2 signed checkpoints verified"), "{report}");

    // An inclusion proof checks out with the public key alone, and fails for another entry.
    let out = s.ok(&["audit", "verify", "--inclusion", "1"]);
    let proof_text = &out[out.find('{').unwrap()..];
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
        checked.contains("Entry #1 is in the signed audit log"),
        "{checked}"
    );
    let mut wrong: serde_json::Value = serde_json::from_str(proof_text).unwrap();
    wrong["seq"] = serde_json::json!(2);
    std::fs::write(&proof_file, wrong.to_string()).unwrap();
    let out = s.run(&["audit", "check-proof", proof_file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");

    // A consistency proof between the two checkpoints, and a rewritten history refused.
    let out = s.ok(&[
        "audit",
        "verify",
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
    let refused = tamper(
        &s,
        &["UPDATE audit_events SET action = 'view' WHERE seq = 2"],
    )
    .await;
    assert!(
        refused.unwrap_err().contains("cannot be changed"),
        "the trigger refused the update"
    );
    let drop_guard = if s.t.url.starts_with("postgres") {
        "DROP TRIGGER audit_events_refuse_change ON audit_events"
    } else {
        "DROP TRIGGER audit_events_refuse_update"
    };
    tamper(
        &s,
        &[
            drop_guard,
            "UPDATE audit_events SET action = 'export' WHERE seq = 2",
        ],
    )
    .await
    .unwrap();
    let out = s.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("First bad entry: #2"), "{stderr}");
}

fn hex_of_zeroes() -> String {
    "00".repeat(32)
}
