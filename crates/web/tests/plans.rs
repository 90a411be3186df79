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

#[tokio::test]
async fn a_draft_plan_as_read_is_sent_back_whole_and_changed_read_only_members_are_named() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let first = h.procedure(&patient).await;
    let dentist = h.login(Role::Dentist).await;
    let made = h
        .call(
            "POST",
            &format!("/api/v1/patients/{patient}/treatment-plans"),
            Some(&dentist),
            Some(json!({"title": "Synthetic plan", "phases": [{"name": "One", "lines": [{"procedure_id": first}]}]})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let path = format!(
        "/api/v1/treatment-plans/{}",
        made.json["id"].as_str().unwrap()
    );
    let read = h.call("GET", &path, Some(&dentist), None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    let put = |body: serde_json::Value, version: &'static str| {
        let (path, token, h) = (path.clone(), dentist.clone(), &h);
        async move {
            h.call_with(
                "PUT",
                &path,
                Some(&token),
                Some(body.to_string()),
                &[("if-match", version), ("content-type", "application/json")],
            )
            .await
        }
    };
    let mut body = read.json.clone();
    body["title"] = json!("Synthetic plan, revised");
    let replaced = put(body.clone(), "\"1\"").await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.text);
    assert_eq!(replaced.json["title"], "Synthetic plan, revised");
    // The same copy again names its stale version; each changed member is named.
    let stale = put(body, "*").await;
    assert_eq!(
        stale.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        stale.text
    );
    assert_eq!(
        stale.json["fields"][0]["field"], "row_version",
        "{}",
        stale.text
    );
    let mut current = replaced.json.clone();
    current["title"] = json!("Synthetic: not saved");
    for (member, value) in [
        ("status", json!("accepted")),
        ("currency", json!("EUR")),
        ("acceptance_check", json!("valid")),
        ("totals_only", json!(true)),
        ("presented_at", json!("2026-01-01T00:00:00Z")),
        ("created_by", json!("someone-else")),
        ("id", json!("00000000-0000-0000-0000-000000000000")),
    ] {
        let mut changed = current.clone();
        changed[member] = value;
        let refused = put(changed, "\"2\"").await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{member}: {}",
            refused.text
        );
        assert_eq!(
            refused.json["fields"][0]["field"], member,
            "{}",
            refused.text
        );
    }
    let now = h.call("GET", &path, Some(&dentist), None).await;
    assert_eq!(now.json["title"], "Synthetic plan, revised");
    assert_eq!(now.json["row_version"], 2);
}
