//! The demo marker: only `enamel demo`'s practice carries it, marking one is audited, and a
//! server counts as a demo only while every practice it holds is one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use enamel_app::{App, NewPractice, RequestOrigin, SystemClock};
use enamel_store::AuditQuery;

fn demo_practice() -> NewPractice {
    NewPractice {
        display_name: "Demo Dental (synthetic data)".into(),
        time_zone: enamel_domain::PracticeTz::utc(),
    }
}

async fn entries(app_db: &enamel_store::Db, practice: &str) -> Vec<(String, Option<String>)> {
    app_db
        .audit_entries(&AuditQuery {
            practice_id: Some(practice.into()),
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.reason))
        .collect()
}

#[tokio::test]
async fn a_server_is_a_demo_only_while_every_practice_is_one() {
    let t = enamel_testkit::fresh_db().await;
    t.db.migrate(1).await.unwrap();
    let app = App::new(t.db.clone(), common::provider(5), Arc::new(SystemClock));
    assert!(
        !app.serves_only_demo_practices().await.unwrap(),
        "no practice yet"
    );

    let demo = app
        .create_demo_practice(&demo_practice(), RequestOrigin::cli())
        .await
        .unwrap();
    assert!(app.serves_only_demo_practices().await.unwrap());
    assert_eq!(
        entries(&t.db, &demo.to_string()).await,
        [(
            "practice_created".to_string(),
            Some("system:demo_data".to_string())
        )]
    );

    // A real practice on the same server: the sign-in page must not call it made up.
    let real = common::synthetic_practice(&app).await;
    assert!(!app.serves_only_demo_practices().await.unwrap());
    let flags: Vec<(String, bool)> = app
        .practices()
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.id, p.demo))
        .collect();
    assert_eq!(
        flags,
        [(demo.to_string(), true), (real.to_string(), false)],
        "create_practice never marks a demo"
    );
}

#[tokio::test]
async fn marking_the_demo_practice_of_an_older_folder_is_audited() {
    let t = enamel_testkit::fresh_db().await;
    t.db.migrate(1).await.unwrap();
    let app = App::new(t.db.clone(), common::provider(5), Arc::new(SystemClock));
    // What a demo folder from before the marker holds: a practice made like any other.
    let older = app
        .create_practice(&demo_practice(), RequestOrigin::cli())
        .await
        .unwrap();
    assert!(!app.serves_only_demo_practices().await.unwrap());

    app.mark_demo_practice(older, RequestOrigin::cli())
        .await
        .unwrap();
    assert!(app.serves_only_demo_practices().await.unwrap());
    assert_eq!(
        entries(&t.db, &older.to_string()).await,
        [
            (
                "practice_created".to_string(),
                Some("system:practice_setup".to_string())
            ),
            ("update".to_string(), Some("system:demo_data".to_string()))
        ]
    );
    let nowhere = enamel_domain::PracticeId::new();
    assert!(
        app.mark_demo_practice(nowhere, RequestOrigin::cli())
            .await
            .is_err()
    );
}
