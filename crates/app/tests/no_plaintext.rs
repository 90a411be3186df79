//! After records holding a marker string are created, read, searched, updated and re-encrypted,
//! the marker appears nowhere: not in the database (SQLite file and WAL, or every PostgreSQL
//! table), not in the key folder, not in any log line at the most verbose level.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::fixture;
use enamel_app::{Expected, RequestOrigin};
use enamel_domain::{AddressDraft, CoverageDraft, EmergencyContactDraft, PatientDraft, PhoneDraft};
use enamel_store::Db;

const MARKER: &str = "Zqxvmarkerw";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

fn scan_dir(dir: &std::path::Path, needle: &[u8]) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            scan_dir(&path, needle);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !contains(&bytes, needle),
                "marker found in {}",
                path.display()
            );
        }
    }
}

/// Every row of every table as text (bytea as hex), so both plaintext and its hex show up.
async fn postgres_dump(db: &Db) -> String {
    let Db::Postgres(pool) = db else {
        unreachable!()
    };
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut dump = String::new();
    for (table,) in tables {
        let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT t::text FROM {table} t"
        )))
        .fetch_all(pool)
        .await
        .unwrap();
        for (row,) in rows {
            dump.push_str(&row);
            dump.push('\n');
        }
    }
    dump
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_plaintext_phi_in_the_database_files_or_logs() {
    let logs = enamel_testkit::LogCapture::install_at_trace();

    let f = fixture().await;
    // Every kind of PHI field carries the marker: names, contact, emergency contact, insurance.
    let draft = |n: u32| PatientDraft {
        family_name: format!("{MARKER}-Family{n}"),
        given_name: format!("{MARKER}Given"),
        birth_date: "1987-06-05".into(),
        middle_name: Some(format!("{MARKER}Middle")),
        preferred_name: Some(format!("{MARKER}Pref")),
        gender_identity: Some(format!("{MARKER} identity")),
        chart_number: Some(format!("{MARKER}{n}")),
        email: Some(format!("{MARKER}{n}@example.test")),
        phones: vec![PhoneDraft {
            kind: None,
            number: "(555) 010-0199".into(),
        }],
        address: Some(AddressDraft {
            line1: Some(format!("1 {MARKER} Way")),
            city: Some(format!("{MARKER}ville")),
            ..AddressDraft::default()
        }),
        emergency_contact: Some(EmergencyContactDraft {
            name: format!("{MARKER} Contact"),
            relationship: Some("sibling".into()),
            phone: "(555) 010-0198".into(),
        }),
        coverages: vec![CoverageDraft {
            carrier: format!("{MARKER} Dental Mutual"),
            subscriber_id: format!("{MARKER}{n}"),
            group_number: Some(format!("{MARKER}G")),
            ..CoverageDraft::default()
        }],
        ..PatientDraft::default()
    };
    let ids = f
        .patients()
        .create_many(&[draft(1), draft(2), draft(3)])
        .await
        .unwrap();
    for (i, id) in ids.iter().enumerate() {
        let view = f.patients().read(*id).await.unwrap();
        assert!(view.family_name.starts_with(MARKER));
        let mut changed = draft(9);
        changed.chart_number = Some(format!("{MARKER}{}", 10 + i));
        f.patients()
            .update(*id, &changed, Expected::Version(view.row_version))
            .await
            .unwrap();
    }
    let found = f
        .patients()
        .find_by_family_name(&format!("{MARKER}-Family9"), 10)
        .await
        .unwrap();
    assert_eq!(found.len(), 3);
    let searched = f
        .patients()
        .search(&enamel_app::PatientQuery {
            name: Some(format!("{MARKER}giv {MARKER}-fam")),
            per_page: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(searched.total, 3);
    let versions = f.patients().versions(ids[0], 0, 100).await.unwrap();
    assert_eq!(versions.versions.len(), 1);
    // The chart: a procedure's note, its history, an addendum and a reason for an error.
    let chart = f
        .app
        .system_bypassing_policy(
            f.practice,
            enamel_app::SystemReason::Import,
            RequestOrigin::cli(),
        )
        .chart();
    chart
        .import_codes(&enamel_domain::clinical::demo_codes(), false)
        .await
        .unwrap();
    let procedure = chart
        .create(
            ids[0],
            &enamel_domain::clinical::ProcedureDraft {
                code: "X2120".into(),
                tooth: Some("3".into()),
                surfaces: Some("MO".into()),
                diagnosis_codes: vec!["K02.52".into()],
                note: Some(format!("{MARKER} deep caries")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    chart
        .complete(procedure.id, None, Expected::Any)
        .await
        .unwrap();
    chart
        .add_addendum(procedure.id, &format!("{MARKER} addendum"))
        .await
        .unwrap();
    chart
        .invalidate(
            procedure.id,
            &format!("{MARKER} wrong patient"),
            Expected::Any,
        )
        .await
        .unwrap();
    let perio = chart
        .start_perio(
            ids[0],
            &enamel_domain::clinical::PerioExamDraft {
                note: Some(format!("{MARKER} perio")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    chart.close_perio(perio.id, Expected::Any).await.unwrap();
    let note = chart
        .write_note(
            ids[0],
            &enamel_domain::clinical::NoteDraft {
                kind: "progress".into(),
                body: format!("{MARKER} progress note"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    chart.sign_note(note.id, Expected::Any).await.unwrap();
    chart
        .add_note_addendum(
            note.id,
            &enamel_domain::clinical::AddendumDraft {
                body: format!("{MARKER} note addendum"),
            },
        )
        .await
        .unwrap();
    // The schedule: an appointment's note, booked, moved and read in a day.
    let schedule = f
        .app
        .system_bypassing_policy(
            f.practice,
            enamel_app::SystemReason::Import,
            RequestOrigin::cli(),
        )
        .schedule();
    let dentist = schedule
        .save_provider(
            None,
            &enamel_domain::scheduling::ProviderDraft {
                family_name: "Synthetic".into(),
                given_name: "Canine".into(),
                abbreviation: "DDS1".into(),
                colour: "#3366cc".into(),
                specialty: "general".into(),
                ..Default::default()
            },
            Expected::Any,
            &enamel_app::RecordClaims::default(),
        )
        .await
        .unwrap();
    let chair = schedule
        .save_operatory(
            None,
            &enamel_domain::scheduling::OperatoryDraft {
                name: "Chair Alpha".into(),
                abbreviation: "OP1".into(),
                ..Default::default()
            },
            Expected::Any,
            &enamel_app::RecordClaims::default(),
        )
        .await
        .unwrap();
    let booking = |start: &str| enamel_domain::scheduling::AppointmentDraft {
        patient_id: ids[0].to_string(),
        operatory_id: chair.id.to_string(),
        provider_id: dentist.id.to_string(),
        start: start.into(),
        duration_min: Some(60),
        note: Some(format!("{MARKER} appointment note")),
        ..Default::default()
    };
    let appointment = schedule.book(&booking("2027-03-15T09:00")).await.unwrap();
    schedule
        .replace(
            appointment.id,
            &booking("2027-03-15T10:00"),
            Expected::Any,
            &enamel_app::AppointmentClaims::default(),
        )
        .await
        .unwrap();
    let day = schedule
        .day(
            enamel_domain::PracticeDate::new(enamel_domain::parse_iso_date("2027-03-15").unwrap()),
            enamel_app::DayFilter::default(),
        )
        .await
        .unwrap();
    assert!(
        day.appointments[0]
            .note
            .as_deref()
            .unwrap()
            .starts_with(MARKER)
    );
    let read = chart.read(ids[0], None).await.unwrap();
    assert!(read.procedures[0].addenda[0].body.starts_with(MARKER));
    f.app
        .rotate_data_key(f.practice, RequestOrigin::cli())
        .await
        .unwrap();
    f.app
        .reencrypt(f.practice, RequestOrigin::cli(), 2, &mut |_, _| {})
        .await
        .unwrap();
    f.patients().read(ids[0]).await.unwrap();
    let reread = chart.read(ids[0], None).await.unwrap();
    assert_eq!(
        reread.procedures[0].procedure.note,
        read.procedures[0].procedure.note
    );
    assert_eq!(
        schedule.read(appointment.id).await.unwrap().note,
        Some(format!("{MARKER} appointment note"))
    );

    let needle = MARKER.as_bytes();
    match &f.t.db {
        Db::Sqlite(pool, _) => {
            // Let the WAL fold into the main file too, so both are scanned with content.
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(pool)
                .await
                .unwrap();
            scan_dir(f.t.dir(), needle);
            assert!(f.t.sqlite_path().unwrap().exists());
        }
        Db::Postgres(_) => {
            let dump = postgres_dump(&f.t.db).await;
            assert!(dump.len() > 1000, "the dump is not empty");
            assert!(
                !contains(dump.as_bytes(), needle),
                "marker found in a PostgreSQL table"
            );
            let hex_marker = hex::encode(needle);
            assert!(
                !dump.contains(&hex_marker),
                "marker found (hex) in a PostgreSQL table"
            );
            scan_dir(f.t.dir(), needle);
        }
    }
    let logged = logs.bytes();
    assert!(logged.len() > 100, "the log capture works");
    assert!(!contains(&logged, needle), "marker found in the logs");
}
