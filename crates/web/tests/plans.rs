//! Treatment plans through HTTP: a dentist builds a plan in phases, presents it, the patient
//! accepts with a drawn signature; the front desk sees totals only; accepted plans never change.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use enamel_domain::Role;
use serde_json::json;

#[tokio::test]
async fn a_plan_is_built_presented_and_accepted_and_the_front_desk_sees_its_totals() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let first = h.procedure(&patient).await;
    let second = h.procedure(&patient).await;
    let dentist = h.login(Role::Dentist).await;
    let before = h.audit().await.len();
    let body = json!({
        "title": "Synthetic restorative plan",
        "note": "Synthetic: phase 2 after healing.",
        "phases": [
            {"name": "Urgent", "lines": [{"procedure_id": first, "insurance_estimate": 12000}]},
            {"name": "Later", "lines": [{"procedure_id": second}]}
        ]
    });
    let made = h
        .call(
            "POST",
            &format!("/api/v1/patients/{patient}/treatment-plans"),
            Some(&dentist),
            Some(body),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let id = made.json["id"].as_str().unwrap().to_string();
    assert_eq!(made.json["totals"]["overall"]["fee"], 39_000);
    assert_eq!(made.json["totals"]["overall"]["insurance_estimate"], 12_000);
    assert_eq!(made.json["totals"]["overall"]["patient_portion"], 27_000);
    assert_eq!(made.json["lines"][0]["site"], "3 MO");
    let presented = h
        .call(
            "POST",
            &format!("/api/v1/treatment-plans/{id}/present"),
            Some(&dentist),
            None,
        )
        .await;
    assert_eq!(presented.status, StatusCode::OK, "{}", presented.text);
    assert_eq!(presented.json["status"], "presented");
    let accepted = h
        .call(
            "POST",
            &format!("/api/v1/treatment-plans/{id}/accept"),
            Some(&dentist),
            Some(json!({
                "accepted_by": "patient",
                "signer_name": "Testy Molar",
                "channel": "in_office",
                "signature": {"kind": "drawn", "strokes": [[[10, 10], [200, 120], [400, 80]], [[500, 100], [520, 300]]]}
            })),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    assert_eq!(accepted.json["status"], "accepted");
    assert_eq!(accepted.json["acceptance_check"], "valid");
    assert_eq!(accepted.json["acceptance"]["signature_kind"], "drawn");
    let again = h
        .call(
            "POST",
            &format!("/api/v1/treatment-plans/{id}/decline"),
            Some(&dentist),
            None,
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "accepted plans never change"
    );
    let replace = h
        .call_with(
            "PUT",
            &format!("/api/v1/treatment-plans/{id}"),
            Some(&dentist),
            Some(json!({"title": "Changed", "phases": [{"name": "x", "lines": [{"procedure_id": first}]}]}).to_string()),
            &[("if-match", "*"), ("content-type", "application/json")],
        )
        .await;
    assert_eq!(replace.status, StatusCode::CONFLICT, "{}", replace.text);
    let actions: Vec<(String, String)> = h.audit().await[before..]
        .iter()
        .map(|e| (e.action.clone(), e.outcome.clone()))
        .collect();
    assert_eq!(actions.len(), 6, "{actions:?}");
    assert_eq!(actions.iter().filter(|(_, o)| o == "failed").count(), 2);

    let front = h.login(Role::FrontDesk).await;
    let seen = h
        .call(
            "GET",
            &format!("/api/v1/treatment-plans/{id}"),
            Some(&front),
            None,
        )
        .await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.text);
    assert_eq!(seen.json["totals_only"], true);
    assert_eq!(seen.json["totals"]["overall"]["patient_portion"], 27_000);
    assert!(seen.json.get("title").is_none());
    assert!(seen.json.get("note").is_none());
    assert_eq!(seen.json["lines"], json!([]));
    assert!(!seen.text.contains("Synthetic"), "{}", seen.text);
    let write = h
        .call(
            "POST",
            &format!("/api/v1/treatment-plans/{id}/supersede"),
            Some(&front),
            None,
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    // Billing reads the lines it bills from, never the note or the patient's signature.
    let billing = h.login(Role::Billing).await;
    let billed = h
        .call(
            "GET",
            &format!("/api/v1/treatment-plans/{id}"),
            Some(&billing),
            None,
        )
        .await;
    assert_eq!(billed.status, StatusCode::OK, "{}", billed.text);
    assert_eq!(billed.json["lines"].as_array().unwrap().len(), 2);
    assert!(billed.json.get("note").is_none(), "{}", billed.text);
    assert!(billed.json.get("acceptance").is_none(), "{}", billed.text);
    let compliance = h.login(Role::ComplianceOfficer).await;
    let refused = h
        .call(
            "GET",
            &format!("/api/v1/treatment-plans/{id}"),
            Some(&compliance),
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
