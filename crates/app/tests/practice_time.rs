//! A practice's "today" and its local times follow its own time zone, not UTC, and the zone
//! read through the cache is the one stored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use enamel_app::{App, AppError, Clock, FixedClock, NewPractice, RequestOrigin};
use enamel_domain::{PracticeId, PracticeTz};
use time::macros::{date, datetime};

fn ms(utc: time::PrimitiveDateTime) -> i64 {
    i64::try_from(utc.assume_utc().unix_timestamp_nanos() / 1_000_000).unwrap()
}

async fn practice(app: &App, name: &str, zone: &str) -> PracticeId {
    app.create_practice(
        &NewPractice {
            display_name: format!("{name} (synthetic)"),
            time_zone: PracticeTz::parse(zone).unwrap(),
        },
        RequestOrigin::cli(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn each_practice_has_its_own_today() {
    let t = enamel_testkit::fresh_db().await;
    t.db.migrate(1).await.unwrap();
    // 16:00 UTC on 1 December: 11:00 in New York, already 01:00 on 2 December in Tokyo.
    let clock = Arc::new(FixedClock::new(ms(datetime!(2026-12-01 16:00))));
    let app = App::new(t.db.clone(), common::provider(3), clock.clone());
    let tokyo = practice(&app, "Tokyo Dental", "Asia/Tokyo").await;
    let ny = practice(&app, "Manhattan Dental", "america/new_york").await;

    assert_eq!(
        app.practice_time(ny).await.unwrap().name(),
        "America/New_York"
    );
    assert_eq!(
        app.practice_today(tokyo).await.unwrap().date(),
        date!(2026 - 12 - 02)
    );
    assert_eq!(
        app.practice_today(ny).await.unwrap().date(),
        date!(2026 - 12 - 01)
    );
    assert_eq!(
        app.practice_local(ny, clock.now_ms())
            .await
            .unwrap()
            .to_minute_string(),
        "2026-12-01 11:00 EST"
    );

    // Thirteen hours later New York reaches 2 December at its own midnight (05:00 UTC).
    clock.advance_ms(13 * 3_600_000 - 1);
    assert_eq!(
        app.practice_today(ny).await.unwrap().date(),
        date!(2026 - 12 - 01)
    );
    clock.advance_ms(1);
    assert_eq!(
        app.practice_today(ny).await.unwrap().date(),
        date!(2026 - 12 - 02)
    );
    assert_eq!(
        app.practice_today(tokyo).await.unwrap().date(),
        date!(2026 - 12 - 02)
    );
}

#[tokio::test]
async fn the_stored_row_decides_and_a_bad_one_is_an_internal_fault() {
    let t = enamel_testkit::fresh_db().await;
    t.db.migrate(1).await.unwrap();
    let clock = Arc::new(FixedClock::new(ms(datetime!(2026-12-01 16:00))));
    let app = App::new(t.db.clone(), common::provider(3), clock.clone());
    let p = practice(&app, "Old Dental", "UTC").await;
    assert_eq!(
        app.practice_today(p).await.unwrap().date(),
        date!(2026 - 12 - 01)
    );
    common::raw(
        &t.db,
        &format!("UPDATE practices SET time_zone = 'Mars/Olympus' WHERE id = '{p}'"),
    )
    .await
    .unwrap();
    // Within the cache's time the zone read before still answers...
    assert_eq!(app.practice_time(p).await.unwrap(), PracticeTz::utc());
    // ...and once it has expired the damaged row is reported, not replaced by UTC.
    clock.advance_ms(60_000);
    assert!(matches!(
        app.practice_time(p).await,
        Err(AppError::Internal(_))
    ));
    assert!(matches!(
        app.practice_time(PracticeId::new()).await,
        Err(AppError::NotFound)
    ));
}

#[tokio::test]
async fn a_patient_comes_of_age_at_midnight_in_the_practice_not_in_utc() {
    let t = enamel_testkit::fresh_db().await;
    t.db.migrate(1).await.unwrap();
    // 03:30 UTC on 10 March 2026: still 9 March (23:30 EDT, two days after the spring change)
    // in New York, already 10 March in Tokyo.
    let clock = Arc::new(FixedClock::new(ms(datetime!(2026-03-10 03:30))));
    let app = App::new(t.db.clone(), common::provider(3), clock.clone());
    let ny = practice(&app, "Manhattan Dental", "America/New_York").await;
    let tokyo = practice(&app, "Tokyo Dental", "Asia/Tokyo").await;
    let born = enamel_domain::PatientDraft {
        family_name: "Molar".into(),
        given_name: "Eighteen".into(),
        birth_date: "2008-03-10".into(),
        ..Default::default()
    };
    let in_ny = common::system_patients(&app, ny)
        .create(&born)
        .await
        .unwrap();
    let in_tokyo = common::system_patients(&app, tokyo)
        .create(&born)
        .await
        .unwrap();
    let minor = |practice, id| {
        let app = app.clone();
        async move {
            common::system_patients(&app, practice)
                .read(id)
                .await
                .unwrap()
                .is_minor
        }
    };
    assert!(minor(ny, in_ny).await, "17 until midnight in New York");
    assert!(!minor(tokyo, in_tokyo).await, "18 since midnight in Tokyo");

    // Local midnight in New York is 04:00 UTC: a minute before it, still a minor; after, not.
    clock.advance_ms(29 * 60_000);
    assert!(minor(ny, in_ny).await);
    clock.advance_ms(2 * 60_000);
    assert!(!minor(ny, in_ny).await);
}
