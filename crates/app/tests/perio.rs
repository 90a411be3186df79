//! Perio exams through the app layer: a draft saved in place, closed, then refused by the room
//! and by the database; two exams compared; one audit entry per request. Runs on the engine
//! `ENAMEL_TEST_DATABASE_URL` selects.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{fixture, raw};
use enamel_app::{AppError, Chart, Expected, PerioClaims, RequestOrigin, SystemReason};
use enamel_domain::clinical::{PerioExamDraft, PerioSite, PerioToothDraft, Tooth};
use enamel_domain::{PatientDraft, PatientId};
use enamel_store::AuditQuery;

fn chart(f: &common::Fixture) -> Chart<'_> {
    f.app
        .system_bypassing_policy(f.practice, SystemReason::Import, RequestOrigin::cli())
        .chart()
}

async fn patient(f: &common::Fixture) -> PatientId {
    f.patients()
        .create(&PatientDraft {
            family_name: "Gingiva".into(),
            given_name: "Demo".into(),
            birth_date: "1970-01-02".into(),
            ..Default::default()
        })
        .await
        .unwrap()
}

fn exam(date: &str, depth_mb_3: i64) -> PerioExamDraft {
    PerioExamDraft {
        exam_date: Some(date.into()),
        note: Some("Synthetic perio note.".into()),
        teeth: vec![PerioToothDraft {
            tooth: "3".into(),
            depth: Some(vec![
                Some(depth_mb_3),
                Some(2),
                Some(3),
                Some(3),
                Some(2),
                Some(3),
            ]),
            margin: Some(vec![Some(1), Some(0), Some(0), None, None, None]),
            bleeding: Some(vec![true, false, false, false, false, false]),
            mobility: Some(1),
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[tokio::test]
async fn a_draft_is_saved_closed_and_then_never_changes() {
    let f = fixture().await;
    let p = patient(&f).await;
    let c = chart(&f);
    let started = c.start_perio(p, &exam("2025-01-10", 3)).await.unwrap();
    assert!(!started.closed);
    let saved = c
        .save_perio(
            started.id,
            &exam("2025-01-10", 4),
            Expected::Version(1),
            &PerioClaims::default(),
        )
        .await
        .unwrap();
    assert_eq!(saved.row_version, 2);
    let tooth = saved.exam.teeth[&Tooth::permanent(3)];
    assert_eq!(
        tooth.attachment_loss(PerioSite::MesioBuccal),
        Some(5),
        "CAL = PD + GM"
    );
    assert!(matches!(
        c.save_perio(
            started.id,
            &exam("2025-01-10", 5),
            Expected::Version(1),
            &PerioClaims::default(),
        )
        .await,
        Err(AppError::Conflict)
    ));
    let closed = c.close_perio(started.id, Expected::Any).await.unwrap();
    assert!(closed.closed && closed.closed_ms.is_some());
    assert!(matches!(
        c.save_perio(
            started.id,
            &exam("2025-01-10", 6),
            Expected::Any,
            &PerioClaims::default(),
        )
        .await,
        Err(AppError::Refused(_))
    ));
    assert!(matches!(
        c.close_perio(started.id, Expected::Any).await,
        Err(AppError::Refused(_))
    ));
    let sql = format!(
        "UPDATE perio_exams SET status = 'draft', closed_ms = NULL WHERE id = '{}'",
        started.id
    );
    assert!(raw(&f.t.db, &sql).await.is_err());
    let read = c.perio_exam(started.id).await.unwrap();
    assert_eq!(read.exam.teeth[&Tooth::permanent(3)].depth[0], Some(4));
    let outcomes: Vec<(String, String)> =
        f.t.db
            .audit_entries(&AuditQuery {
                patient_id: Some(p.to_string()),
                limit: 100,
                ..AuditQuery::default()
            })
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.record_type.as_deref() == Some("perio_exam"))
            .map(|e| (e.action, e.outcome.to_string()))
            .collect();
    let expected: Vec<(String, String)> = [
        ("create", "allowed"),
        ("update", "allowed"),
        ("update", "failed"),
        ("update", "allowed"),
        ("update", "failed"),
        ("update", "failed"),
        ("view", "allowed"),
    ]
    .iter()
    .map(|(a, o)| (a.to_string(), o.to_string()))
    .collect();
    assert_eq!(outcomes, expected);
}

#[tokio::test]
async fn two_exams_are_compared_site_by_site_and_worsening_is_flagged() {
    let f = fixture().await;
    let p = patient(&f).await;
    let c = chart(&f);
    let old = c.start_perio(p, &exam("2024-12-01", 3)).await.unwrap();
    let new = c.start_perio(p, &exam("2025-12-01", 5)).await.unwrap();
    let cmp = c.compare_perio(old.id, new.id).await.unwrap();
    assert_eq!(
        cmp.older.id, old.id,
        "ordered by exam date, whichever is named first"
    );
    let worse: Vec<_> = cmp.sites.iter().filter(|s| s.worsened).collect();
    assert_eq!(worse.len(), 1);
    assert_eq!(worse[0].site, PerioSite::MesioBuccal);
    assert_eq!((worse[0].depth_before, worse[0].depth_after), (3, 5));
    let listed = c.perio_exams(p).await.unwrap();
    assert_eq!(listed.records.len(), 2);
    assert_eq!(
        listed.patient.unwrap().family_name,
        "Gingiva",
        "whose exams, under the same entry"
    );
    // Another patient's exam is not compared with this one.
    let other = patient(&f).await;
    let theirs = c.start_perio(other, &exam("2025-06-01", 3)).await.unwrap();
    assert!(matches!(
        c.compare_perio(new.id, theirs.id).await,
        Err(AppError::NotFound)
    ));
}

#[tokio::test]
async fn impossible_measurements_are_refused_by_field() {
    let f = fixture().await;
    let p = patient(&f).await;
    let mut bad = exam("2025-01-10", 3);
    bad.teeth[0].tooth = "C".into();
    bad.teeth.push(PerioToothDraft {
        tooth: "8".into(),
        furcation: Some(vec![Some(1), None, None, None, None, None]),
        ..Default::default()
    });
    let Err(AppError::Invalid(problems)) = chart(&f).start_perio(p, &bad).await else {
        panic!("a primary tooth and a furcation on an incisor were charted")
    };
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_ref()).collect();
    assert!(fields.contains(&"teeth[0].tooth"), "{fields:?}");
    assert!(
        fields.iter().any(|f| f.starts_with("teeth[1].furcation")),
        "{fields:?}"
    );
    assert!(chart(&f).perio_exams(p).await.unwrap().records.is_empty());
}
