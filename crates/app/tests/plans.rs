//! Treatment plans through the app layer: drafted from planned procedures, presented (every
//! line frozen), accepted with a signature bound to the frozen lines, then never changed; a
//! changed plan or signature in the database is reported. Runs on the engine
//! `ENAMEL_TEST_DATABASE_URL` selects.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{fixture, raw};
use enamel_app::{
    AppError, Chart, Expected, ProcedureClaims, RequestOrigin, SignatureCheck, SystemReason,
};
use enamel_domain::clinical::{
    AcceptanceDraft, LineDraft, PhaseDraft, PlanDraft, PlanStatus, ProcedureDraft, SignatureDraft,
    demo_codes,
};
use enamel_domain::{PatientDraft, PatientId};

fn chart(f: &common::Fixture) -> Chart<'_> {
    f.app
        .system_bypassing_policy(f.practice, SystemReason::Import, RequestOrigin::cli())
        .chart()
}

async fn patient_with_work(f: &common::Fixture) -> (PatientId, Vec<String>) {
    chart(f).import_codes(&demo_codes(), false).await.unwrap();
    let p = f
        .patients()
        .create(&PatientDraft {
            family_name: "Planner".into(),
            given_name: "Demo".into(),
            birth_date: "1975-05-05".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (code, tooth, surfaces) in [("X2120", "3", Some("MO")), ("X2710", "14", None)] {
        let v = chart(f)
            .create(
                p,
                &ProcedureDraft {
                    code: code.into(),
                    tooth: Some(tooth.into()),
                    surfaces: surfaces.map(Into::into),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        ids.push(v.id.to_string());
    }
    (p, ids)
}

fn plan(ids: &[String]) -> PlanDraft {
    PlanDraft {
        title: "Synthetic plan".into(),
        note: Some("Synthetic: discuss options.".into()),
        phases: vec![
            PhaseDraft {
                name: "Urgent".into(),
                lines: vec![LineDraft {
                    procedure_id: ids[0].clone(),
                    insurance_estimate: Some(10_000),
                    patient_portion: None,
                }],
            },
            PhaseDraft {
                name: "Later".into(),
                lines: vec![LineDraft {
                    procedure_id: ids[1].clone(),
                    ..Default::default()
                }],
            },
        ],
    }
}

fn typed() -> AcceptanceDraft {
    AcceptanceDraft {
        accepted_by: "patient".into(),
        signer_name: "Demo Planner".into(),
        channel: "in_office".into(),
        signature: SignatureDraft::Typed {
            text: "Demo Planner".into(),
        },
    }
}

#[tokio::test]
async fn a_presented_plan_is_frozen_and_its_acceptance_is_bound_to_the_frozen_lines() {
    let f = fixture().await;
    let (p, ids) = patient_with_work(&f).await;
    let c = chart(&f);
    let draft = c.create_plan(p, &plan(&ids)).await.unwrap();
    assert_eq!(draft.status, PlanStatus::Draft);
    assert_eq!(draft.totals.overall.fee, 19_500 + 120_000);
    assert_eq!(draft.totals.overall.insurance_estimate, 10_000);
    assert_eq!(draft.totals.phases.len(), 2);
    assert!(matches!(
        c.accept_plan(draft.id, &typed(), Expected::Any).await,
        Err(AppError::Refused(_))
    ));
    let presented = c.present_plan(draft.id, Expected::Any).await.unwrap();
    assert_eq!(presented.status, PlanStatus::Presented);
    // The procedure's fee changes later: the presented copy does not.
    let proc_id: enamel_domain::ProcedureId = ids[0].parse().unwrap();
    c.update(
        proc_id,
        &ProcedureDraft {
            code: "X2120".into(),
            tooth: Some("3".into()),
            surfaces: Some("MO".into()),
            fee: Some(99_999),
            ..Default::default()
        },
        Expected::Any,
        &ProcedureClaims::default(),
    )
    .await
    .unwrap();
    let read = c.plan(draft.id).await.unwrap();
    assert_eq!(read.lines[0].fee, 19_500, "frozen when presented");
    assert!(matches!(
        c.replace_plan(
            draft.id,
            &plan(&ids),
            Expected::Any,
            &enamel_app::PlanClaims::default()
        )
        .await,
        Err(AppError::Refused(_))
    ));
    let accepted = c
        .accept_plan(draft.id, &typed(), Expected::Any)
        .await
        .unwrap();
    assert_eq!(accepted.status, PlanStatus::Accepted);
    assert_eq!(accepted.acceptance_check, SignatureCheck::Valid);
    assert!(matches!(
        c.decide_plan(draft.id, PlanStatus::Declined, Expected::Any)
            .await,
        Err(AppError::Refused(_))
    ));
    for sql in [
        format!(
            "UPDATE treatment_plans SET status = 'presented' WHERE id = '{}'",
            draft.id
        ),
        format!(
            "UPDATE treatment_plans SET lines_hash = NULL WHERE id = '{}'",
            draft.id
        ),
        format!("DELETE FROM treatment_plans WHERE id = '{}'", draft.id),
    ] {
        assert!(raw(&f.t.db, &sql).await.is_err(), "allowed: {sql}");
    }
    // Someone with the owner's rights drops the guard and flips the record-signature.
    let drop = match &f.t.db {
        enamel_store::Db::Sqlite(..) => "DROP TRIGGER treatment_plans_refuse_frozen_update",
        enamel_store::Db::Postgres(_) => {
            "DROP TRIGGER treatment_plans_refuse_frozen_update ON treatment_plans"
        }
    };
    raw(&f.t.db, drop).await.unwrap();
    let row =
        f.t.db
            .plan(&f.practice.to_string(), &draft.id.to_string())
            .await
            .unwrap();
    let mut sig = row.acceptance_signature.unwrap();
    sig[3] ^= 1;
    let literal = match &f.t.db {
        enamel_store::Db::Sqlite(..) => format!("X'{}'", hex::encode(&sig)),
        enamel_store::Db::Postgres(_) => format!("'\\x{}'::bytea", hex::encode(&sig)),
    };
    raw(
        &f.t.db,
        &format!(
            "UPDATE treatment_plans SET acceptance_signature = {literal} WHERE id = '{}'",
            draft.id
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        c.plan(draft.id).await.unwrap().acceptance_check,
        SignatureCheck::Invalid
    );
}

#[tokio::test]
async fn a_plan_names_only_the_patients_planned_work_and_estimates_within_the_fee() {
    let f = fixture().await;
    let (p, ids) = patient_with_work(&f).await;
    let c = chart(&f);
    let mut too_much = plan(&ids);
    too_much.phases[0].lines[0].insurance_estimate = Some(1_000_000);
    let Err(AppError::Invalid(problems)) = c.create_plan(p, &too_much).await else {
        panic!("an estimate above the fee was accepted")
    };
    assert_eq!(problems[0].field, "phases[0].lines[0].insurance_estimate");
    let mut foreign = plan(&ids);
    foreign.phases[1].lines[0].procedure_id = enamel_domain::ProcedureId::new().to_string();
    let Err(AppError::Invalid(problems)) = c.create_plan(p, &foreign).await else {
        panic!("a procedure that is not the patient's was planned")
    };
    assert_eq!(problems[0].field, "phases[1].lines[0].procedure_id");
    let declined = c.create_plan(p, &plan(&ids)).await.unwrap();
    c.present_plan(declined.id, Expected::Any).await.unwrap();
    let d = c
        .decide_plan(declined.id, PlanStatus::Declined, Expected::Any)
        .await
        .unwrap();
    assert_eq!(d.status, PlanStatus::Declined);
    assert_eq!(c.plans(p).await.unwrap().records.len(), 1);
}
