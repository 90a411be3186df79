//! Key rotation and retirement with more than one process on the same database: the sweep
//! never writes back an old value over a concurrent change (M2), and retiring a version
//! cannot strand rows written by a server with a stale key cache (M3).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::{provider, raw, synthetic_practice, system_patients};
use enamel_app::auth::NewUser;
use enamel_app::{App, AppError, Expected, FixedClock, RETIRE_AFTER_MS, RequestOrigin};
use enamel_domain::{PatientDraft, PracticeId, Role, synthetic};
use enamel_store::specs::{PATIENTS, USERS};
use enamel_testkit::{TestDb, fresh_db};

const START_MS: i64 = 1_800_000_000_000;

/// Two processes on one database, sharing one test clock: `a` plays a running server, `b`
/// the `enamel keys` command.
struct TwoApps {
    t: TestDb,
    clock: Arc<FixedClock>,
    a: App,
    b: App,
    practice: PracticeId,
}

async fn two_apps() -> TwoApps {
    let t = fresh_db().await;
    t.db.migrate(1).await.unwrap();
    let clock = Arc::new(FixedClock::new(START_MS));
    let a = App::new(t.db.clone(), provider(7), clock.clone());
    let practice = synthetic_practice(&a).await;
    // The server has the practice's keys loaded (version 1) before anyone rotates.
    a.check_practice_keys(practice).await.unwrap();
    let b = App::new(t.db.clone(), provider(7), clock.clone());
    TwoApps {
        t,
        clock,
        a,
        b,
        practice,
    }
}

fn edited(view: &enamel_app::PatientView, family_name: &str) -> PatientDraft {
    PatientDraft {
        family_name: family_name.into(),
        given_name: view.given_name.clone(),
        birth_date: view.birth_date.clone(),
        ..PatientDraft::default()
    }
}

#[tokio::test]
async fn m2_reencryption_keeps_a_concurrent_edit() {
    let s = two_apps().await;
    let id = system_patients(&s.a, s.practice)
        .create(&synthetic::patients(1, 3)[0])
        .await
        .unwrap();
    assert_eq!(
        s.b.rotate_data_key(s.practice, RequestOrigin::cli())
            .await
            .unwrap(),
        2
    );
    // The sweep reads and re-seals a batch ...
    let batch =
        s.b.read_reseal_batch(s.practice, &PATIENTS, 2, "", 500)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(batch.len(), 1);
    // ... the server (still sealing with version 1 from its cache) saves an edit ...
    let patients = system_patients(&s.a, s.practice);
    let before = patients.read(id).await.unwrap();
    patients
        .update(
            id,
            &edited(&before, "Changed"),
            Expected::Version(before.row_version),
        )
        .await
        .unwrap();
    // ... and the batch is written: the edited row is skipped, not reverted.
    assert_eq!(
        s.b.write_reseal_batch(s.practice, RequestOrigin::cli(), batch)
            .await
            .unwrap(),
        0
    );
    assert_eq!(patients.read(id).await.unwrap().family_name, "Changed");
    // The next sweep re-reads the row and brings it to the new version, edit included.
    let report =
        s.b.reencrypt(s.practice, RequestOrigin::cli(), 500, &mut |_, _| {})
            .await
            .unwrap();
    assert_eq!(report.remaining, 0);
    let row =
        s.t.db
            .patient(&s.practice.to_string(), &id.to_string())
            .await
            .unwrap();
    assert_eq!(row.key_version, 2);
    assert_eq!(patients.read(id).await.unwrap().family_name, "Changed");
}

#[tokio::test]
async fn m2_reencryption_keeps_a_concurrent_second_factor_reset() {
    let s = two_apps().await;
    let secret = enamel_crypto::TotpSecret::generate().unwrap();
    let user =
        s.a.create_user_as_system(
            s.practice,
            &NewUser {
                username: "lost.phone".into(),
                display_name: "Lost Phone".into(),
                roles: vec![Role::FrontDesk],
            },
            None,
            Some(&secret),
        )
        .await
        .unwrap();
    s.b.rotate_data_key(s.practice, RequestOrigin::cli())
        .await
        .unwrap();
    let batch =
        s.b.read_reseal_batch(s.practice, &USERS, 2, "", 500)
            .await
            .unwrap()
            .unwrap();
    // A second-factor reset lands between the read and the write: it clears the secret and
    // keeps the row's key version, as `issue_password_reset` does.
    raw(
        &s.t.db,
        &format!(
            "UPDATE users SET totp_secret = NULL WHERE id = '{}'",
            user.user_id
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        s.b.write_reseal_batch(s.practice, RequestOrigin::cli(), batch)
            .await
            .unwrap(),
        0
    );
    let row =
        s.t.db
            .user(&s.practice.to_string(), &user.user_id)
            .await
            .unwrap();
    assert!(row.totp_secret.is_none(), "the reset secret came back");
}

#[tokio::test]
async fn m3_retiring_waits_for_stale_key_caches_and_strands_no_row() {
    let s = two_apps().await;
    let cli = RequestOrigin::cli;
    // `enamel keys rotate` then `enamel keys retire`, at once, from another process.
    s.b.rotate_data_key(s.practice, cli()).await.unwrap();
    let report =
        s.b.reencrypt(s.practice, cli(), 500, &mut |_, _| {})
            .await
            .unwrap();
    assert_eq!(report.remaining, 0);
    match s.b.retire_key_versions_below(s.practice, 2, cli()).await {
        Err(AppError::Refused(message)) => {
            assert!(message.contains("other servers"), "{message}")
        }
        other => panic!("retired while servers may still seal with version 1: {other:?}"),
    }
    // The running server still seals with version 1 from its cache.
    let stale = system_patients(&s.a, s.practice)
        .create(&synthetic::patients(1, 21)[0])
        .await
        .unwrap();
    let pid = s.practice.to_string();
    assert_eq!(
        s.t.db
            .patient(&pid, &stale.to_string())
            .await
            .unwrap()
            .key_version,
        1
    );
    // After the wait, the retirement counts again and finds that row.
    s.clock.advance_ms(RETIRE_AFTER_MS);
    match s.b.retire_key_versions_below(s.practice, 2, cli()).await {
        Err(AppError::Refused(message)) => assert!(message.contains("1 rows"), "{message}"),
        other => panic!("retired with a row still at version 1: {other:?}"),
    }
    s.b.reencrypt(s.practice, cli(), 500, &mut |_, _| {})
        .await
        .unwrap();
    s.b.retire_key_versions_below(s.practice, 2, cli())
        .await
        .unwrap();
    // The server's cache has refreshed: it writes with version 2, and reads everything.
    let fresh = system_patients(&s.a, s.practice)
        .create(&synthetic::patients(1, 22)[0])
        .await
        .unwrap();
    assert_eq!(
        s.t.db
            .patient(&pid, &fresh.to_string())
            .await
            .unwrap()
            .key_version,
        2
    );
    for id in [stale, fresh] {
        let view = system_patients(&s.a, s.practice).read(id).await.unwrap();
        assert!(!view.family_name.is_empty());
    }
}

#[tokio::test]
async fn l9_a_running_server_keeps_working_after_a_kek_rotation() {
    use enamel_crypto::FileKeyProvider;

    let t = fresh_db().await;
    t.db.migrate(1).await.unwrap();
    let path = t.dir().join("keys").join("kek.json");
    FileKeyProvider::create_new(&path, START_MS).unwrap();
    let clock = Arc::new(FixedClock::new(START_MS));
    // The server opened the key file at start.
    let server = App::new(
        t.db.clone(),
        Arc::new(FileKeyProvider::open(&path).unwrap()),
        clock.clone(),
    );
    let practice = synthetic_practice(&server).await;
    let before = system_patients(&server, practice)
        .create(&synthetic::patients(1, 31)[0])
        .await
        .unwrap();

    // `enamel keys rotate --kek` in another process: a new KEK, every data key re-wrapped,
    // the old KEK removed from the file.
    let mut cli = FileKeyProvider::open(&path).unwrap();
    let old = cli.kek_ids();
    cli.add_kek(START_MS).unwrap();
    let rotator = App::new(t.db.clone(), Arc::new(cli), clock.clone());
    assert_eq!(
        rotator
            .rewrap_data_keys(RequestOrigin::cli())
            .await
            .unwrap(),
        2
    );
    let mut cli = FileKeyProvider::open(&path).unwrap();
    for id in &old {
        cli.remove_kek(id).unwrap();
    }

    // The server reads and writes on, before and after its key cache refreshes.
    let patients = system_patients(&server, practice);
    patients.read(before).await.unwrap();
    clock.advance_ms(60_000);
    patients.read(before).await.unwrap();
    let after = patients
        .create(&synthetic::patients(1, 32)[0])
        .await
        .unwrap();
    patients.read(after).await.unwrap();
    // And a new data key it wraps uses the KEK now in the file.
    server
        .rotate_data_key(practice, RequestOrigin::cli())
        .await
        .unwrap();
    assert_eq!(
        server.keks_in_use().await.unwrap(),
        FileKeyProvider::open(&path).unwrap().kek_ids()
    );
}
