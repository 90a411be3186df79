//! The clinical chart through the app layer: codes, charting, completion and the lock,
//! entered in error, addenda, the chart as it stood on a past day, one audit entry per
//! request, and sealed values that fail loudly when tampered with. Runs on the engine
//! `ENAMEL_TEST_DATABASE_URL` selects.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{fixture, raw};
use enamel_app::{
    AppError, Chart, ChartSettings, Expected, ProcedureClaims, RequestOrigin, SystemReason,
};
use enamel_domain::clinical::{
    Numbering, ProcedureDraft, ProcedureStatus, ToothState, ToothStateDraft, demo_codes,
};
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
            family_name: "Molar".into(),
            given_name: "Demo".into(),
            birth_date: "1980-05-06".into(),
            ..Default::default()
        })
        .await
        .unwrap()
}

fn filling(tooth: &str, surfaces: &str) -> ProcedureDraft {
    ProcedureDraft {
        code: "X2120".into(),
        tooth: Some(tooth.into()),
        surfaces: Some(surfaces.into()),
        ..Default::default()
    }
}

async fn with_codes(f: &common::Fixture) {
    let report = chart(f).import_codes(&demo_codes(), false).await.unwrap();
    assert_eq!(report.added, demo_codes().len());
}

async fn actions(f: &common::Fixture, patient: PatientId) -> Vec<(String, String, String)> {
    f.t.db
        .audit_entries(&AuditQuery {
            patient_id: Some(patient.to_string()),
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.record_type.as_deref() != Some("patient"))
        .map(|e| {
            (
                e.action,
                e.record_type.unwrap_or_default(),
                e.outcome.to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_procedure_is_charted_completed_and_read_with_one_entry_per_request() {
    let f = fixture().await;
    with_codes(&f).await;
    let p = patient(&f).await;
    let c = chart(&f);
    let planned = c.create(p, &filling("3", "om")).await.unwrap();
    assert_eq!(planned.status(), ProcedureStatus::Planned);
    assert_eq!(planned.procedure.site.to_string(), "3 MO");
    assert_eq!(planned.procedure.fee, 19_500, "the code's default fee");
    let done = c
        .complete(planned.id, None, Expected::Version(planned.row_version))
        .await
        .unwrap();
    assert_eq!(done.status(), ProcedureStatus::Completed);
    assert!(done.locks_at_ms.is_some() && !done.locked);
    let addendum = c
        .add_addendum(done.id, "Patient tolerated well.")
        .await
        .unwrap();
    let view = c.read(p, None).await.unwrap();
    assert_eq!(view.procedures.len(), 1);
    assert_eq!(view.procedures[0].addenda, vec![addendum]);
    assert_eq!(view.numbering, Numbering::Universal);
    let one = c.procedure(done.id).await.unwrap();
    assert_eq!(one.row_version, 2);
    assert_eq!(
        actions(&f, p).await,
        [
            ("create".into(), "procedure".into(), "allowed".into()),
            ("update".into(), "procedure".into(), "allowed".into()),
            (
                "create".into(),
                "procedure_addendum".into(),
                "allowed".into()
            ),
            ("view".into(), "chart".into(), "allowed".into()),
            ("view".into(), "procedure".into(), "allowed".into()),
        ]
    );
}

#[tokio::test]
async fn a_code_the_practice_does_not_have_and_impossible_sites_are_refused() {
    let f = fixture().await;
    with_codes(&f).await;
    let p = patient(&f).await;
    let c = chart(&f);
    let unknown = ProcedureDraft {
        code: "D0120".into(),
        ..Default::default()
    };
    let Err(AppError::Invalid(problems)) = c.create(p, &unknown).await else {
        panic!("an unknown code was charted")
    };
    assert_eq!(problems[0].field, "code");
    let Err(AppError::Invalid(problems)) = c.create(p, &filling("3", "MI")).await else {
        panic!("an incisal surface on a molar was charted")
    };
    assert!(problems[0].problem.starts_with("surface I on tooth 3"));
    let Err(AppError::Invalid(problems)) = c.create(p, &filling("33", "M")).await else {
        panic!("tooth 33 was charted")
    };
    assert!(problems[0].problem.starts_with("tooth 33"));
    let elsewhere = PatientId::new();
    assert!(matches!(
        c.create(elsewhere, &filling("3", "M")).await,
        Err(AppError::NotFound)
    ));
    assert!(c.read(p, None).await.unwrap().procedures.is_empty());
}

#[tokio::test]
async fn locked_work_only_gains_addenda_or_is_marked_entered_in_error_and_refusals_are_audited() {
    let f = fixture().await;
    with_codes(&f).await;
    chart(&f)
        .set_settings(ChartSettings {
            numbering: Numbering::Fdi,
            lock_hours: 0,
        })
        .await
        .unwrap();
    let p = patient(&f).await;
    let c = chart(&f);
    let done = c
        .create(
            p,
            &ProcedureDraft {
                status: Some("completed".into()),
                ..filling("14", "DO")
            },
        )
        .await
        .unwrap();
    assert!(done.locked, "a zero-hour window locks at completion");
    let change = c
        .update(
            done.id,
            &filling("14", "MOD"),
            Expected::Any,
            &ProcedureClaims::default(),
        )
        .await;
    assert!(matches!(change, Err(AppError::Refused(_))), "{change:?}");
    c.add_addendum(done.id, "Occlusion checked at follow-up.")
        .await
        .unwrap();
    let invalid = c
        .invalidate(done.id, "Charted on the wrong patient.", Expected::Any)
        .await
        .unwrap();
    assert_eq!(invalid.status(), ProcedureStatus::EnteredInError);
    assert!(matches!(
        c.invalidate(done.id, "again", Expected::Any).await,
        Err(AppError::Refused(_))
    ));
    let view = c.read(p, None).await.unwrap();
    assert_eq!(view.numbering, Numbering::Fdi);
    let kinds: Vec<&str> = view.procedures[0]
        .addenda
        .iter()
        .map(|a| a.kind.as_str())
        .collect();
    assert_eq!(kinds, ["addendum", "invalidation"]);
    let outcomes: Vec<(String, String)> = actions(&f, p)
        .await
        .into_iter()
        .filter(|(_, kind, _)| kind == "procedure")
        .map(|(action, _, outcome)| (action, outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("create".into(), "allowed".into()),
            ("update".into(), "failed".into()),
            ("update".into(), "allowed".into()),
            ("update".into(), "failed".into()),
        ]
    );
}

#[tokio::test]
async fn the_chart_of_a_past_day_shows_what_was_charted_and_its_state_then() {
    let f = fixture().await;
    with_codes(&f).await;
    let p = patient(&f).await;
    let c = chart(&f);
    let first = c.create(p, &filling("3", "MO")).await.unwrap();
    c.complete(first.id, None, Expected::Any).await.unwrap();
    let now = c.read(p, None).await.unwrap();
    assert_eq!(now.procedures[0].status(), ProcedureStatus::Completed);
    // Yesterday nothing was charted yet.
    let today = f.app.practice_today(f.practice).await.unwrap();
    let yesterday = enamel_domain::PracticeDate::new(today.date().previous_day().unwrap());
    let then = c.read(p, Some(yesterday)).await.unwrap();
    assert!(then.procedures.is_empty());
    let today_view = c.read(p, Some(today)).await.unwrap();
    assert_eq!(today_view.procedures.len(), 1);
}

#[tokio::test]
async fn a_tampered_procedure_fails_its_integrity_check_and_a_patient_with_a_chart_is_kept() {
    let f = fixture().await;
    with_codes(&f).await;
    let p = patient(&f).await;
    let c = chart(&f);
    let planned = c.create(p, &filling("3", "MO")).await.unwrap();
    let delete = f
        .patients()
        .delete(p, Expected::Any, enamel_app::DELETE_REASON)
        .await;
    assert!(matches!(delete, Err(AppError::Refused(_))), "{delete:?}");
    // Flip one byte of the sealed details.
    let id = planned.id.to_string();
    let mut details =
        f.t.db
            .procedure(&f.practice.to_string(), &id)
            .await
            .unwrap()
            .details;
    details[30] ^= 1;
    let literal = hex::encode(&details);
    let sql = match &f.t.db {
        enamel_store::Db::Sqlite(..) => {
            format!("UPDATE procedures SET details = X'{literal}' WHERE id = '{id}'")
        }
        enamel_store::Db::Postgres(_) => {
            format!("UPDATE procedures SET details = '\\x{literal}'::bytea WHERE id = '{id}'")
        }
    };
    raw(&f.t.db, &sql).await.unwrap();
    assert!(matches!(c.read(p, None).await, Err(AppError::Integrity(_))));
}

#[tokio::test]
async fn key_rotation_re_seals_locked_work_history_and_addenda() {
    let f = fixture().await;
    with_codes(&f).await;
    chart(&f)
        .set_settings(ChartSettings {
            numbering: Numbering::Universal,
            lock_hours: 0,
        })
        .await
        .unwrap();
    let p = patient(&f).await;
    let c = chart(&f);
    let planned = c.create(p, &filling("30", "B")).await.unwrap();
    let done = c.complete(planned.id, None, Expected::Any).await.unwrap();
    assert!(done.locked);
    c.add_addendum(done.id, "Recheck in six months.")
        .await
        .unwrap();
    c.record_tooth_state(p, &state("1", "missing"))
        .await
        .unwrap();
    f.app
        .rotate_data_key(f.practice, RequestOrigin::cli())
        .await
        .unwrap();
    f.app
        .reencrypt(f.practice, RequestOrigin::cli(), 2, &mut |_, _| {})
        .await
        .unwrap();
    let practice = f.practice.to_string();
    let row =
        f.t.db
            .procedure(&practice, &done.id.to_string())
            .await
            .unwrap();
    assert_eq!(row.key_version, 2);
    assert_eq!(
        row.row_version, done.row_version,
        "rotation is not a change"
    );
    for a in
        f.t.db
            .procedure_addenda(&practice, &done.id.to_string())
            .await
            .unwrap()
    {
        assert_eq!(a.key_version, 2);
    }
    for v in
        f.t.db
            .procedure_versions_of(&practice, &p.to_string())
            .await
            .unwrap()
    {
        assert_eq!(v.key_version, 2);
    }
    for s in
        f.t.db
            .tooth_states_of(&practice, &p.to_string())
            .await
            .unwrap()
    {
        assert_eq!(s.key_version, 2);
    }
    let view = c.read(p, None).await.unwrap();
    assert_eq!(view.procedures[0].procedure.site.to_string(), "30 B");
    assert_eq!(view.procedures[0].addenda.len(), 1);
    assert_eq!(view.teeth[0].state, ToothState::Missing);
}

fn state(tooth: &str, state: &str) -> ToothStateDraft {
    ToothStateDraft {
        tooth: tooth.into(),
        state: state.into(),
    }
}

#[tokio::test]
async fn tooth_states_are_recorded_one_change_at_a_time_and_folded_into_the_chart() {
    let f = fixture().await;
    let p = patient(&f).await;
    let c = chart(&f);
    for (tooth, s) in [
        ("1", "unerupted"),
        ("16", "missing"),
        ("1", "impacted"),
        ("30", "implant"),
        ("16", "present"),
    ] {
        c.record_tooth_state(p, &state(tooth, s)).await.unwrap();
    }
    let now = c.read(p, None).await.unwrap();
    let teeth: Vec<(String, ToothState)> = now
        .teeth
        .iter()
        .map(|t| (t.tooth.to_string(), t.state))
        .collect();
    assert_eq!(
        teeth,
        [
            ("1".to_string(), ToothState::Impacted),
            ("30".to_string(), ToothState::Implant)
        ]
    );
    // Yesterday the chart had none of it; the history keeps every change.
    let today = f.app.practice_today(f.practice).await.unwrap();
    let yesterday = enamel_domain::PracticeDate::new(today.date().previous_day().unwrap());
    assert!(c.read(p, Some(yesterday)).await.unwrap().teeth.is_empty());
    assert_eq!(c.tooth_state_history(p).await.unwrap().len(), 5);
    // Refused by name, nothing written; an unknown patient is audited as failed.
    let bad = c.record_tooth_state(p, &state("33", "implant")).await;
    match bad {
        Err(AppError::Invalid(problems)) => {
            assert!(problems[0].problem.starts_with("tooth 33 does not exist"));
        }
        other => panic!("{other:?}"),
    }
    let implant = c.record_tooth_state(p, &state("A", "implant")).await;
    assert!(matches!(implant, Err(AppError::Invalid(_))), "{implant:?}");
    assert_eq!(c.tooth_state_history(p).await.unwrap().len(), 5);
    let nobody = PatientId::new();
    let missing = c.record_tooth_state(nobody, &state("3", "missing")).await;
    assert!(matches!(missing, Err(AppError::NotFound)), "{missing:?}");
    let entries = actions(&f, p).await;
    let created = entries
        .iter()
        .filter(|(a, kind, o)| a == "create" && kind == "tooth_state" && o == "allowed")
        .count();
    assert_eq!(created, 5, "one entry per change: {entries:?}");
    let views = entries
        .iter()
        .filter(|(a, kind, _)| a == "view" && kind == "chart")
        .count();
    assert_eq!(views, 4, "two chart reads and two histories: {entries:?}");
    // The tooth and the state are sealed: nothing of them is in the row's plain columns.
    let row =
        &f.t.db
            .tooth_states_of(&f.practice.to_string(), &p.to_string())
            .await
            .unwrap()[0];
    assert!(!String::from_utf8_lossy(&row.details).contains("unerupted"));
}

#[tokio::test]
async fn a_room_within_one_patient_does_not_find_another_patients_records() {
    let f = fixture().await;
    with_codes(&f).await;
    let (a, b) = (patient(&f).await, patient(&f).await);
    let c = chart(&f);
    let of_b = c.create(b, &filling("3", "MO")).await.unwrap();
    let within_a = chart(&f).within(a);
    let refused = within_a
        .add_addendum(of_b.id, "Synthetic: wrong patient.")
        .await;
    assert!(matches!(refused, Err(AppError::NotFound)), "{refused:?}");
    let completed = within_a.complete(of_b.id, None, Expected::Any).await;
    assert!(
        matches!(completed, Err(AppError::NotFound)),
        "{completed:?}"
    );
    // Nothing happened to B's procedure; within B it is found.
    let read = c.procedure(of_b.id).await.unwrap();
    assert_eq!(read.status(), ProcedureStatus::Planned);
    assert!(read.addenda.is_empty());
    chart(&f)
        .within(b)
        .add_addendum(of_b.id, "Synthetic: right patient.")
        .await
        .unwrap();
}
