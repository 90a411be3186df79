//! Key rotation on a large store while reads and writes go on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use common::{fixture, synthetic_practice, system_patients};
use enamel_app::Expected;
use enamel_app::{AppError, RequestOrigin};
use enamel_domain::{PatientDraft, synthetic};
use enamel_store::specs::PATIENTS;

const ROWS: usize = 100_000;

/// The same database and KEK, seen by a process whose clock is past the wait after a rotation
/// (`RETIRE_AFTER_MS`).
fn later_app(f: &common::Fixture) -> enamel_app::App {
    use enamel_app::{App, Clock, FixedClock, RETIRE_AFTER_MS, SystemClock};
    App::new(
        f.t.db.clone(),
        common::provider(7),
        Arc::new(FixedClock::new(SystemClock.now_ms() + RETIRE_AFTER_MS)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_of_100k_rows_keeps_reads_and_writes_working() {
    let f = fixture().await;
    let pid = f.practice.to_string();
    let drafts = synthetic::patients(ROWS, 11);
    let mut ids = Vec::with_capacity(ROWS);
    for chunk in drafts.chunks(10_000) {
        ids.extend(f.patients().create_many(chunk).await.unwrap());
    }
    let ids = Arc::new(ids);

    let old = f.app.key_status(f.practice).await.unwrap();
    assert_eq!(old.active_version, 1);
    assert_eq!(old.rows_below(2), ROWS as i64);

    let new_version = f
        .app
        .rotate_data_key(f.practice, RequestOrigin::cli())
        .await
        .unwrap();
    assert_eq!(new_version, 2);

    // Readers and a writer run for as long as the sweep does.
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let writes = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for r in 0..2u64 {
        let (app, practice, ids, stop, reads) = (
            f.app.clone(),
            f.practice,
            ids.clone(),
            stop.clone(),
            reads.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut i = r as usize * 7919;
            while !stop.load(Ordering::Relaxed) {
                i = (i + 104_729) % ids.len();
                let view = system_patients(&app, practice).read(ids[i]).await.unwrap();
                assert!(!view.family_name.is_empty());
                reads.fetch_add(1, Ordering::Relaxed);
                // A busy front desk, not a flood: leave the two cores to the sweep as well.
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        }));
    }
    {
        let (app, practice, ids, stop, writes) = (
            f.app.clone(),
            f.practice,
            ids.clone(),
            stop.clone(),
            writes.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut i = 17usize;
            while !stop.load(Ordering::Relaxed) {
                i = (i + 15_485_863) % ids.len();
                let patients = system_patients(&app, practice);
                let current = patients.read(ids[i]).await.unwrap();
                let next = PatientDraft {
                    family_name: format!("{}-Edited", current.family_name),
                    given_name: current.given_name.clone(),
                    birth_date: current.birth_date.clone(),
                    ..PatientDraft::default()
                };
                match patients
                    .update(ids[i], &next, Expected::Version(current.row_version))
                    .await
                {
                    Ok(_) | Err(AppError::Conflict) => {}
                    Err(e) => panic!("write during rotation failed: {e:?}"),
                }
                patients
                    .create(&synthetic::patients(1, i as u64)[0])
                    .await
                    .unwrap();
                writes.fetch_add(2, Ordering::Relaxed);
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }));
    }

    let mut calls = 0u64;
    let report = f
        .app
        .reencrypt(f.practice, RequestOrigin::cli(), 500, &mut |_, _| {
            calls += 1
        })
        .await
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    assert!(reads.load(Ordering::Relaxed) > 0 && writes.load(Ordering::Relaxed) > 0);
    assert_eq!(report.target_version, 2);
    assert_eq!(report.remaining, 0);
    // Rows the writer edited before the sweep reached them were already sealed with version 2.
    let swept = report.resealed + report.skipped_concurrent;
    assert!(
        swept <= ROWS as u64 && swept + writes.load(Ordering::Relaxed) >= ROWS as u64,
        "{report:?}"
    );
    assert!(
        calls > swept.div_ceil(500),
        "progress was reported at the start and after each batch"
    );

    // Every row is on the new version and opens.
    let status = f.app.key_status(f.practice).await.unwrap();
    assert_eq!(status.rows_below(2), 0);
    let total: i64 = status
        .rows
        .iter()
        .filter(|c| c.table == "patients")
        .map(|c| c.rows)
        .sum();
    assert_eq!(total, f.t.db.count_patients(&pid).await.unwrap());
    let table = &PATIENTS;
    let mut after = String::new();
    let mut opened = 0i64;
    loop {
        let rows =
            f.t.db
                .sealed_rows_below(table, &pid, i64::MAX, &after, 5_000)
                .await
                .unwrap();
        let Some(last) = rows.last() else { break };
        after = last.id.clone();
        for row in &rows {
            assert_eq!(row.key_version, 2);
            // Names and birth date are always there; the other sealed columns only when the
            // record has such details.
            assert!(row.values[..3].iter().all(Option::is_some));
            for sealed in row.values.iter().flatten() {
                assert_eq!(enamel_crypto::sealed_key_version(sealed).unwrap(), 2);
            }
            opened += 1;
        }
    }
    assert_eq!(opened, total);
    // Re-sealed values still open (integrity and associated data intact): a sample through
    // the room, every sealed column of each.
    for id in ids.iter().step_by(ROWS / 200) {
        let view = f.patients().read(*id).await.unwrap();
        assert!(!view.family_name.is_empty());
    }

    // Version 1 can now be retired, once every server's key cache has moved on (a process
    // whose clock is past that wait); afterwards it no longer opens anything.
    later_app(&f)
        .retire_key_versions_below(f.practice, 2, RequestOrigin::cli())
        .await
        .unwrap();
    let status = f.app.key_status(f.practice).await.unwrap();
    assert_eq!(status.min_version, 2);
    f.patients().read(ids[0]).await.unwrap();
}

#[tokio::test]
async fn retiring_a_version_that_rows_still_use_is_refused() {
    let f = fixture().await;
    f.patients()
        .create_many(&synthetic::patients(10, 1))
        .await
        .unwrap();
    f.app
        .rotate_data_key(f.practice, RequestOrigin::cli())
        .await
        .unwrap();
    let refused = later_app(&f)
        .retire_key_versions_below(f.practice, 2, RequestOrigin::cli())
        .await;
    match refused {
        Err(AppError::Refused(message)) => assert!(message.contains("10 rows"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        f.app
            .retire_key_versions_below(f.practice, 3, RequestOrigin::cli())
            .await,
        Err(AppError::Refused(_))
    ));
    // New writes already use version 2.
    let id = f
        .patients()
        .create(&synthetic::patients(1, 9)[0])
        .await
        .unwrap();
    let row =
        f.t.db
            .patient(&f.practice.to_string(), &id.to_string())
            .await
            .unwrap();
    assert_eq!(row.key_version, 2);
    assert_eq!(
        enamel_crypto::sealed_key_version(&row.family_name).unwrap(),
        2
    );
}

#[tokio::test]
async fn a_kek_rotation_rewraps_every_data_key_and_keeps_records_readable() {
    use enamel_app::{App, SystemClock};
    use enamel_crypto::FileKeyProvider;

    let t = enamel_testkit::fresh_db().await;
    t.db.migrate(1).await.unwrap();
    let path = t.dir().join("keys").join("kek.json");
    let old_copy = t.dir().join("old-kek.json");
    let first = FileKeyProvider::create_new(&path, 1).unwrap();
    let kek_a = first.kek_ids();
    std::fs::copy(&path, &old_copy).unwrap();
    let app = App::new(t.db.clone(), Arc::new(first), Arc::new(SystemClock));
    let practice = synthetic_practice(&app).await;
    let id = system_patients(&app, practice)
        .create(&synthetic::patients(1, 5)[0])
        .await
        .unwrap();
    drop(app);

    let mut second = FileKeyProvider::open(&path).unwrap();
    let kek_b = second.add_kek(2).unwrap();
    let app = App::new(t.db.clone(), Arc::new(second), Arc::new(SystemClock));
    assert_eq!(
        app.rewrap_data_keys(RequestOrigin::cli()).await.unwrap(),
        2,
        "the field key and the index key"
    );
    assert_eq!(app.keks_in_use().await.unwrap(), vec![kek_b.clone()]);
    assert_eq!(
        app.rewrap_data_keys(RequestOrigin::cli()).await.unwrap(),
        0,
        "nothing left to move"
    );
    drop(app);

    let mut third = FileKeyProvider::open(&path).unwrap();
    third.remove_kek(&kek_a[0]).unwrap();
    assert_eq!(third.kek_ids(), vec![kek_b]);
    let app = App::new(t.db.clone(), Arc::new(third), Arc::new(SystemClock));
    assert!(
        !system_patients(&app, practice)
            .read(id)
            .await
            .unwrap()
            .family_name
            .is_empty()
    );

    // The retired KEK alone opens nothing any more.
    let stale = App::new(
        t.db.clone(),
        Arc::new(FileKeyProvider::open(&old_copy).unwrap()),
        Arc::new(SystemClock),
    );
    assert!(matches!(
        system_patients(&stale, practice).read(id).await,
        Err(AppError::Unavailable(_))
    ));
}
