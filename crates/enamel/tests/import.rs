//! `enamel import patients` and `enamel import procedure-codes` through the real binary:
//! validation by line and column, a dry run that saves nothing, guarantors before dependants,
//! patient batches that fail whole, a code list imported whole or not at all, files refused
//! for their columns, and no value from a rejected row in any output. Runs on the engine
//! `ENAMEL_TEST_DATABASE_URL` selects. The codes are neutral test codes (`X…`), never CDT.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use enamel_app::{App, RequestOrigin, SystemClock, SystemReason};
use enamel_domain::clinical::{AreaType, ProcedureCode};
use enamel_store::{AuditQuery, Db, PoolSettings};
use enamel_testkit::{TestDb, fresh_db};

const BIN: &str = env!("CARGO_BIN_EXE_enamel");

/// Values that appear only in rejected rows: they must never come back out.
const MARKERS: [&str; 3] = ["Markerton", "ZZMARKER", "1990-13-45"];

const HEADER: &str = "family_name,given_name,birth_date,chart_number,email,phone_mobile,\
                      address_line1,city,region,postal_code,primary_carrier,\
                      primary_subscriber_id,guarantor_chart_number";

/// Line 2: a child whose guarantor (line 3) comes after them in the file.
/// Line 3: the guarantor. Line 4: quoted commas and an accented name.
/// Line 5: a bad date. Line 6: a bad phone. Line 7: one more valid patient.
fn patients_csv() -> String {
    [
        HEADER,
        "Molar,Timmy,2016-05-06,IMP-2,,,,,,,,,imp-1",
        "Molar,Ana,1980-02-03,IMP-1,ana.molar@example.test,(555) 010-0101,\
         12 Enamel Way,Springfield,IL,62701,Canine Mutual,CM-1001,",
        "\"Crown, Jr\",Zoë,1975-07-08,IMP-3,,555-010-0102,\"1 Floss Lane, Suite \"\"B\"\"\",\
         Springfield,IL,62701,,,",
        "Markerton,Eli,1990-13-45,IMP-4,,,,,,,,,",
        "Markerton,Ivy,2001-01-01,IMP-5,,555-0103 ZZMARKER,,,,,,,",
        "Bicuspid,Ben,1999-09-09,IMP-6,,,,,,,,,",
    ]
    .join("\r\n")
        + "\r\n"
}

struct Site {
    t: TestDb,
    data: PathBuf,
    practice_id: String,
}

impl Site {
    async fn new() -> Site {
        let t = fresh_db().await;
        let data = t.dir().join("data");
        let mut site = Site {
            t,
            data,
            practice_id: String::new(),
        };
        let out = site.ok(&["init", "--practice-name", "Synthetic Smiles"]);
        let start = out.find("(id ").unwrap() + 4;
        let end = start + out[start..].find(')').unwrap();
        site.practice_id = out[start..end].to_string();
        site
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--data-dir").arg(&self.data).args(args);
        c.env_remove(enamel_testkit::DATABASE_URL_VAR)
            .env("ENAMEL_LOG", "info");
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
        assert!(out.status.success(), "enamel {args:?} failed: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.t.dir().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The database the binary uses (on SQLite, the file in its data folder).
    async fn db(&self) -> Db {
        let url = if self.t.url.starts_with("postgres") {
            self.t.url.clone()
        } else {
            format!("sqlite://{}", self.data.join("enamel.db").display())
        };
        Db::connect(&url, &PoolSettings::default()).await.unwrap()
    }

    async fn patient_count(&self) -> i64 {
        let db = self.db().await;
        let n = db.count_patients(&self.practice_id).await.unwrap();
        db.close().await;
        n
    }

    /// The practice's procedure codes, read back through the app.
    async fn codes(&self) -> Vec<ProcedureCode> {
        let (app, db) = self.app().await;
        let system = app.system_bypassing_policy(
            self.practice_id.parse().unwrap(),
            SystemReason::Import,
            RequestOrigin::cli(),
        );
        let codes = system.chart().codes().await.unwrap();
        db.close().await;
        codes
    }

    /// The practice's audit entries with this action.
    async fn entries(&self, action: &str) -> Vec<enamel_audit::Entry> {
        let db = self.db().await;
        let entries = db
            .audit_entries(&AuditQuery {
                practice_id: Some(self.practice_id.clone()),
                action: Some(action.into()),
                limit: 100,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        db.close().await;
        entries
    }

    /// The app over the binary's database and key file, to read back what was imported.
    async fn app(&self) -> (App, Db) {
        let keys =
            enamel_crypto::FileKeyProvider::open(&self.data.join("keys").join("kek.json")).unwrap();
        let db = self.db().await;
        let app = App::new(db.clone(), Arc::new(keys), Arc::new(SystemClock));
        (app, db)
    }
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn assert_no_markers(what: &str, text: &str) {
    for marker in MARKERS {
        assert!(!text.contains(marker), "{what} shows {marker:?}: {text}");
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn an_import_checks_every_row_saves_the_valid_ones_and_never_repeats_a_value() {
    let s = Site::new().await;
    let file = s.file("patients.csv", &patients_csv());
    let file = file.to_str().unwrap();
    let report = s.t.dir().join("rejected.csv");
    let report_arg = report.to_str().unwrap();

    // A dry run checks everything, reports the same problems, and saves nothing.
    let out = s.run(&[
        "import",
        "patients",
        file,
        "--dry-run",
        "--report",
        report_arg,
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "Dry run: 4 patients would be imported; 2 rows rejected (see {report_arg})"
        )),
        "{stdout}"
    );
    let dry_report = std::fs::read_to_string(&report).unwrap();
    assert_eq!(s.patient_count().await, 0, "the dry run saved nothing");

    // The real run imports the valid rows and reports the bad lines by column.
    let out = s.run(&[
        "import",
        "patients",
        file,
        "--report",
        report_arg,
        "--batch-size",
        "2",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "4 patients imported; 2 rows rejected (see {report_arg})"
        )),
        "{stdout}"
    );
    let written = std::fs::read_to_string(&report).unwrap();
    assert_eq!(written, dry_report, "the dry run's report is the real one");
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines[0], "line,column,problem");
    assert!(
        lines[1].starts_with("5,birth_date,"),
        "the bad date is named: {written}"
    );
    assert!(
        lines[2].starts_with("6,phone_mobile,"),
        "the bad phone is named: {written}"
    );
    assert_eq!(lines.len(), 3, "{written}");
    #[cfg(unix)]
    assert_eq!(mode(&report), 0o600);
    for (what, text) in [
        ("stdout", &stdout),
        ("stderr", &stderr),
        ("the report", &written),
    ] {
        assert_no_markers(what, text);
    }
    assert_eq!(s.patient_count().await, 4);

    // Read back: quoted commas, quotes and accents intact; the child's guarantor resolved.
    let (app, db) = s.app().await;
    let system = app.system_bypassing_policy(
        s.practice_id.parse().unwrap(),
        SystemReason::Import,
        RequestOrigin::cli(),
    );
    let access = system.patients();
    let crowns = access.find_by_family_name("Crown, Jr", 5).await.unwrap();
    assert_eq!(crowns.len(), 1);
    let crown = access.read(crowns[0].id).await.unwrap();
    assert_eq!(crown.given_name, "Zoë");
    let address = crown.contact.unwrap().address.unwrap();
    assert_eq!(address.line1.as_deref(), Some("1 Floss Lane, Suite \"B\""));
    let molars = access.find_by_family_name("Molar", 5).await.unwrap();
    let ana = molars.iter().find(|p| p.given_name == "Ana").unwrap();
    let timmy = molars.iter().find(|p| p.given_name == "Timmy").unwrap();
    assert_eq!(timmy.guarantor_id, Some(ana.id.to_string()));
    assert_eq!(timmy.household_id, ana.household_id);
    let ana = access.read(ana.id).await.unwrap();
    assert_eq!(ana.coverages.unwrap()[0].carrier, "Canine Mutual");

    // One `create` entry per patient, by the system, with the import as its reason.
    let created = db
        .audit_entries(&AuditQuery {
            practice_id: Some(s.practice_id.clone()),
            action: Some("create".into()),
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let imports: Vec<_> = created
        .iter()
        .filter(|e| e.reason.as_deref() == Some("system:import"))
        .collect();
    assert_eq!(imports.len(), 4, "{created:?}");
    assert!(
        imports
            .iter()
            .all(|e| e.actor_id.as_deref() == Some("system")
                && e.access_method == "cli"
                && e.patient_id.is_some())
    );
    db.close().await;

    // The same file again: every batch holds a chart number that now exists, so every batch
    // is refused whole and nothing is added.
    let out = s.run(&["import", "patients", file, "--batch-size", "2"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("0 patients imported; 6 rows rejected (listed above)"),
        "{stdout}"
    );
    assert!(
        stderr.contains("chart_number: is already used by another patient of this practice"),
        "{stderr}"
    );
    assert!(stderr.contains("which was not imported"), "{stderr}");
    assert_no_markers("stderr", &stderr);
    assert_eq!(s.patient_count().await, 4);

    // One batch failing leaves the others standing; a guarantor may be an existing patient.
    let more = s.file(
        "more.csv",
        &format!(
            "{HEADER}\nBicuspid,Ben,1999-09-09,IMP-6,,,,,,,,,\n\
             Molar,Tessa,2018-03-04,IMP-7,,,,,,,,,IMP-1\n"
        ),
    );
    let out = s.run(&[
        "import",
        "patients",
        more.to_str().unwrap(),
        "--batch-size",
        "1",
        "--quiet",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("1 patient imported; 1 row rejected"),
        "{stdout}"
    );
    assert!(stderr.contains("line 2, chart_number:"), "{stderr}");
    assert_eq!(s.patient_count().await, 5);

    // A clean file exits 0.
    let clean = s.file(
        "clean.csv",
        &format!("\u{feff}{HEADER}\nPremolar,Pia,1985-04-05,,,,,,,,,,\n"),
    );
    let out = s.ok(&["import", "patients", clean.to_str().unwrap()]);
    assert!(
        out.contains("1 patient imported; no rows rejected"),
        "{out}"
    );
    assert_eq!(s.patient_count().await, 6);
    let verified = s.ok(&["audit", "verify", "--practice", &s.practice_id]);
    assert!(
        verified.contains(&format!(
            "The audit log practice:{} is intact",
            s.practice_id
        )),
        "{verified}"
    );
}

#[tokio::test]
async fn a_file_with_wrong_columns_is_refused_whole_with_status_2() {
    let s = Site::new().await;
    let unknown = s.file(
        "unknown.csv",
        &format!("{HEADER},favourite_floss\nMolar,Ana,1980-02-03,,,,,,,,,,,mint ZZMARKER\n"),
    );
    let out = s.run(&["import", "patients", unknown.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("\"favourite_floss\" (column 14)"),
        "{stderr}"
    );
    assert!(stderr.contains("Nothing was imported"), "{stderr}");
    assert_no_markers("stderr", &stderr);

    let missing = s.file("missing.csv", "family_name,given_name\nMolar,Ana\n");
    let out = s.run(&["import", "patients", missing.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no birth_date column"), "{stderr}");

    // No header at all: refused without repeating the first row.
    let headless = s.file("headless.csv", "Markerton,Ana,1980-02-03\n");
    let out = s.run(&["import", "patients", headless.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_no_markers("stderr", &stderr);

    let out = s.run(&["import", "patients", "/nonexistent/patients.csv"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot read /nonexistent/patients.csv"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    assert_eq!(s.patient_count().await, 0);

    // With a second practice in the database, the import must be told which one.
    s.ok(&[
        "init",
        "--practice-name",
        "Other Synthetic Office",
        "--admin-username",
        "other-admin",
    ]);
    let one = s.file(
        "one.csv",
        "family_name,given_name,birth_date\nMolar,Ana,1980-02-03\n",
    );
    let out = s.run(&["import", "patients", one.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--practice"), "{stderr}");
    s.ok(&[
        "import",
        "patients",
        one.to_str().unwrap(),
        "--practice",
        &s.practice_id,
    ]);
    assert_eq!(s.patient_count().await, 1);
}

const CODES_HEADER: &str = "code,description,area_type,default_fee";

/// Values that appear only in rejected rows of a code list.
const CODE_MARKERS: [&str; 3] = ["Gumzone", "12.3.4", "ZZREPEAT"];

fn assert_no_code_markers(what: &str, text: &str) {
    for marker in CODE_MARKERS {
        assert!(!text.contains(marker), "{what} shows {marker:?}: {text}");
    }
}

#[tokio::test]
async fn a_code_list_is_imported_whole_and_a_second_import_replaces_codes() {
    let s = Site::new().await;
    let first = s.file(
        "codes.csv",
        &format!(
            "{CODES_HEADER}\r\n\
             X0001,\"Test: crown, full\",tooth,125.00\r\n\
             x0002,Test: filling,SURFACE,80\r\n\
             X0003,Test: exam,mouth,\r\n"
        ),
    );
    let first = first.to_str().unwrap();

    // A dry run counts and saves nothing, not even an audit entry.
    let out = s.ok(&["import", "procedure-codes", first, "--dry-run"]);
    assert!(
        out.contains(
            "Dry run: 3 codes would be added and 0 replaced; no rows rejected. Nothing was saved."
        ),
        "{out}"
    );
    assert!(s.codes().await.is_empty());
    assert!(s.entries("import").await.is_empty());

    let out = s.ok(&["import", "procedure-codes", first, "--quiet"]);
    assert!(
        out.contains("3 codes added, 0 replaced; no rows rejected"),
        "{out}"
    );
    let codes = s.codes().await;
    assert_eq!(codes.len(), 3, "{codes:?}");
    assert_eq!(codes[0].code, "X0001");
    assert_eq!(codes[0].description, "Test: crown, full");
    assert_eq!(codes[0].area_type, AreaType::Tooth);
    assert_eq!(codes[0].default_fee, 12_500);
    assert_eq!(codes[1].code, "X0002", "codes are stored upper-case");
    assert_eq!(codes[1].area_type, AreaType::Surface);
    assert_eq!(codes[2].default_fee, 0, "a blank fee is 0");

    // Columns in another order; an existing code gets the new description, area and fee.
    let second = s.file(
        "more-codes.csv",
        "AREA_TYPE,Code,Description,default_fee\n\
         mouth,X0001,Test: crown renamed,130.50\n\
         quadrant,X0004,Test: deep cleaning,240\n",
    );
    let second = second.to_str().unwrap();
    let out = s.ok(&["import", "procedure-codes", second, "--dry-run"]);
    assert!(
        out.contains("Dry run: 1 code would be added and 1 replaced"),
        "{out}"
    );
    let out = s.ok(&["import", "procedure-codes", second]);
    assert!(
        out.contains("1 code added, 1 replaced; no rows rejected"),
        "{out}"
    );
    let codes = s.codes().await;
    assert_eq!(codes.len(), 4, "codes not in the file are kept");
    assert_eq!(codes[0].description, "Test: crown renamed");
    assert_eq!(codes[0].area_type, AreaType::Mouth);
    assert_eq!(codes[0].default_fee, 13_050);
    assert_eq!(codes[3].code, "X0004");

    // One `import` entry per import that saved, by the system, with the counts.
    let imports = s.entries("import").await;
    let reasons: Vec<Option<&str>> = imports.iter().map(|e| e.reason.as_deref()).collect();
    assert_eq!(
        reasons,
        [
            Some("system:import; added 3 replaced 0"),
            Some("system:import; added 1 replaced 1")
        ],
        "{imports:?}"
    );
    assert!(
        imports
            .iter()
            .all(|e| e.actor_id.as_deref() == Some("system")
                && e.access_method == "cli"
                && e.outcome == "allowed"
                && e.patient_id.is_none())
    );
    let verified = s.ok(&["audit", "verify", "--practice", &s.practice_id]);
    assert!(verified.contains("is intact"), "{verified}");
}

#[tokio::test]
async fn a_code_list_with_a_bad_row_imports_nothing_and_names_each_line_and_column() {
    let s = Site::new().await;
    let good = s.file(
        "codes.csv",
        &format!("{CODES_HEADER}\nX0001,Test: crown,tooth,100.00\n"),
    );
    s.ok(&["import", "procedure-codes", good.to_str().unwrap()]);

    // Line 2 is good (and would replace X0001); every other line has one problem.
    let bad = s.file(
        "bad-codes.csv",
        &format!(
            "{CODES_HEADER}\n\
             X0001,Test: crown changed,tooth,999.00\n\
             X0002,Test: filling,Gumzone,80.00\n\
             X0003,Test: exam,mouth,12.3.4\n\
             X0004,,mouth,10\n\
             x0001,Test: ZZREPEAT,tooth,10\n\
             X0005,Test: cleaning,mouth,55\n"
        ),
    );
    let bad = bad.to_str().unwrap();
    let report = s.t.dir().join("rejected-codes.csv");
    let report_arg = report.to_str().unwrap();
    for dry_run in [true, false] {
        let mut args = vec!["import", "procedure-codes", bad, "--report", report_arg];
        if dry_run {
            args.push("--dry-run");
        }
        let out = s.run(&args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
        let expected = if dry_run {
            format!(
                "Dry run: the list would not be imported (it is imported whole or not at all); \
                 4 rows rejected (see {report_arg}). Nothing was saved."
            )
        } else {
            format!(
                "No codes imported (the list is imported whole or not at all); 4 rows \
                 rejected (see {report_arg})"
            )
        };
        assert!(stdout.contains(&expected), "{stdout}");
        let written = std::fs::read_to_string(&report).unwrap();
        let lines: Vec<&str> = written.lines().collect();
        assert_eq!(lines[0], "line,column,problem");
        assert!(lines[1].starts_with("3,area_type,"), "{written}");
        assert!(lines[2].starts_with("4,default_fee,"), "{written}");
        assert!(
            lines[3].starts_with("5,description,is required"),
            "{written}"
        );
        assert!(
            lines[4].starts_with("6,code,repeats the code on line 2"),
            "{written}"
        );
        assert_eq!(lines.len(), 5, "{written}");
        #[cfg(unix)]
        assert_eq!(mode(&report), 0o600);
        for (what, text) in [
            ("stdout", &stdout),
            ("stderr", &stderr),
            ("the report", &written),
        ] {
            assert_no_code_markers(what, text);
        }
    }

    // Without --report the problems are listed on screen, by line and column.
    let out = s.run(&["import", "procedure-codes", bad]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("line 3, area_type: must be mouth, arch"),
        "{stderr}"
    );
    assert!(
        stdout.contains("4 rows rejected (listed above)"),
        "{stdout}"
    );
    assert_no_code_markers("stderr", &stderr);

    // Nothing of the file was saved: not the good rows, not the change to X0001.
    let codes = s.codes().await;
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(codes[0].description, "Test: crown");
    assert_eq!(codes[0].default_fee, 10_000);
    assert_eq!(s.entries("import").await.len(), 1, "only the first import");
}

#[tokio::test]
async fn a_code_list_with_wrong_columns_is_refused_whole_with_status_2() {
    let s = Site::new().await;
    let unknown = s.file(
        "unknown.csv",
        &format!("{CODES_HEADER},price\nX0001,Test: crown,tooth,10,Gumzone\n"),
    );
    let out = s.run(&["import", "procedure-codes", unknown.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("\"price\" (column 5)"), "{stderr}");
    assert!(
        stderr.contains("enamel import procedure-codes --help"),
        "{stderr}"
    );
    assert!(stderr.contains("Nothing was imported"), "{stderr}");
    assert_no_code_markers("stderr", &stderr);

    let missing = s.file("missing.csv", "code,description\nX0001,Test: crown\n");
    let out = s.run(&["import", "procedure-codes", missing.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no area_type column"), "{stderr}");

    let empty = s.file("empty.csv", &format!("{CODES_HEADER}\n"));
    let out = s.run(&["import", "procedure-codes", empty.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("holds no codes"), "{stderr}");

    // A patient file is not a code list.
    let patients = s.file("patients.csv", &patients_csv());
    let out = s.run(&["import", "procedure-codes", patients.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_no_markers("stderr", &stderr);

    assert!(s.codes().await.is_empty());
    assert!(s.entries("import").await.is_empty());
}
