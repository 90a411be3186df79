//! The perio API through HTTP: a hygienist's exam from draft to closed with one audit entry
//! per request, a GET sent back through PUT, closed exams refused, two exams compared, and the
//! roles that may not see perio at all.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use enamel_domain::Role;
use serde_json::json;

fn tooth(n: u8, mb: i64) -> serde_json::Value {
    json!({
        "tooth": n.to_string(),
        "depth": [mb, 2, 3, 3, 2, 3],
        "margin": [1, 0, 0, null, null, null],
        "bleeding": [true, false, false, false, false, false],
        "mobility": 0
    })
}

#[tokio::test]
async fn a_hygienist_records_saves_and_closes_an_exam_with_one_entry_each() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let hygienist = h.login(Role::Hygienist).await;
    let before = h.audit().await.len();
    let started = h
        .call(
            "POST",
            &format!("/api/v1/patients/{patient}/perio-exams"),
            Some(&hygienist),
            Some(json!({"exam_date": "2026-09-01", "teeth": [tooth(3, 3), tooth(30, 5)]})),
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.text);
    let id = started.json["id"].as_str().unwrap().to_string();
    assert_eq!(started.json["status"], "draft");
    assert_eq!(
        started.json["teeth"][0]["cal"],
        json!([4, 2, 3, null, null, null])
    );
    assert_eq!(started.json["summary"]["sites_4mm_or_more"], 1);
    assert_eq!(started.json["summary"]["bleeding_percentage"], 17);

    // What GET answers, PUT accepts back.
    let read = h
        .call(
            "GET",
            &format!("/api/v1/perio-exams/{id}"),
            Some(&hygienist),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    let mut body = read.json.clone();
    body["teeth"][1]["depth"] = json!([6, 2, 3, 3, 2, 3]);
    let saved = h
        .call_with(
            "PUT",
            &format!("/api/v1/perio-exams/{id}"),
            Some(&hygienist),
            Some(body.to_string()),
            &[("if-match", "\"1\""), ("content-type", "application/json")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert_eq!(saved.headers["etag"], "\"2\"");
    assert_eq!(saved.json["summary"]["sites_6mm_or_more"], 1);
    let closed = h
        .call(
            "POST",
            &format!("/api/v1/perio-exams/{id}/close"),
            Some(&hygienist),
            None,
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.text);
    assert_eq!(closed.json["status"], "closed");
    let refused = h
        .call_with(
            "PUT",
            &format!("/api/v1/perio-exams/{id}"),
            Some(&hygienist),
            Some(json!({"teeth": [tooth(3, 9)]}).to_string()),
            &[("if-match", "*"), ("content-type", "application/json")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    let entries = h.audit().await;
    let new: Vec<(&str, &str)> = entries[before..]
        .iter()
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        new,
        [
            ("create", "allowed"),
            ("view", "allowed"),
            ("update", "allowed"),
            ("update", "allowed"),
            ("update", "failed"),
        ]
    );
    assert!(
        entries[before..]
            .iter()
            .all(|e| e.record_type.as_deref() == Some("perio_exam"))
    );
}

#[tokio::test]
async fn two_exams_are_compared_and_the_roles_without_charting_see_no_perio() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let dentist = h.login(Role::Dentist).await;
    let mut ids = Vec::new();
    for (date, mb) in [("2025-09-01", 3), ("2026-09-01", 5)] {
        let a = h
            .call(
                "POST",
                &format!("/api/v1/patients/{patient}/perio-exams"),
                Some(&dentist),
                Some(json!({"exam_date": date, "teeth": [tooth(3, mb)]})),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
        ids.push(a.json["id"].as_str().unwrap().to_string());
    }
    let cmp = h
        .call(
            "GET",
            &format!("/api/v1/perio-exams/{}/comparison?with={}", ids[1], ids[0]),
            Some(&dentist),
            None,
        )
        .await;
    assert_eq!(cmp.status, StatusCode::OK, "{}", cmp.text);
    assert_eq!(cmp.json["older"]["id"], ids[0].as_str());
    let worse: Vec<&serde_json::Value> = cmp.json["sites"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["worsened"] == true)
        .collect();
    assert_eq!(worse.len(), 1);
    assert_eq!(
        (worse[0]["tooth"].as_str(), worse[0]["site"].as_str()),
        (Some("3"), Some("mb"))
    );
    let list = h
        .call(
            "GET",
            &format!("/api/v1/patients/{patient}/perio-exams?limit=1"),
            Some(&dentist),
            None,
        )
        .await;
    assert_eq!(list.json["items"].as_array().unwrap().len(), 1);
    assert!(list.json["next"].is_string());
    for role in [Role::Billing, Role::FrontDesk, Role::ComplianceOfficer] {
        let token = h.login(role).await;
        let a = h
            .call(
                "GET",
                &format!("/api/v1/perio-exams/{}", ids[0]),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{role:?}: {}", a.text);
    }
    let bad = h
        .call(
            "POST",
            &format!("/api/v1/patients/{patient}/perio-exams"),
            Some(&dentist),
            Some(json!({"teeth": [{"tooth": "8", "furcation": [1, null, null, null, null, null]}, {"tooth": "3", "depth": [1, 2, 3]}]})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let fields: Vec<&str> = bad.json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.iter().any(|f| f.starts_with("teeth[0].furcation")),
        "{fields:?}"
    );
    assert!(
        fields.iter().any(|f| f.starts_with("teeth[1].depth")),
        "{fields:?}"
    );
}
