//! Tooth states through HTTP: recorded one change at a time with one audit entry each, shown
//! in the chart as they stand (and as they stood), refused by name, seen by billing, never
//! written under break-glass, and another practice's patient not found.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use enamel_domain::Role;
use serde_json::json;

async fn record(
    h: &Harness,
    token: &str,
    patient: &str,
    tooth: &str,
    state: &str,
) -> common::Answer {
    h.call(
        "POST",
        &format!("/api/v1/patients/{patient}/tooth-states"),
        Some(token),
        Some(json!({"tooth": tooth, "state": state})),
    )
    .await
}

#[tokio::test]
async fn states_are_recorded_and_the_chart_shows_the_latest_of_each_tooth() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let dentist = h.login(Role::Dentist).await;
    let before = h.audit().await.len();
    let created = record(&h, &dentist, &patient, "1", "impacted").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(
        created.headers["location"],
        format!("/api/v1/patients/{patient}/tooth-states").as_str()
    );
    assert_eq!(created.json["tooth"], "1");
    assert_eq!(created.json["state"], "impacted");
    assert_eq!(created.json["dentition"], "permanent");
    assert_eq!(created.json["patient_id"], patient.as_str());
    for (tooth, state) in [
        ("16", "missing"),
        ("30", "implant"),
        ("k", "missing"),
        ("16", "present"),
    ] {
        let r = record(&h, &dentist, &patient, tooth, state).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let entries = h.audit().await;
    assert_eq!(entries.len() - before, 5, "one entry per change");
    let last = entries.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.record_type.as_deref()),
        ("create", Some("tooth_state"))
    );
    assert_eq!(last.patient_id.as_deref(), Some(patient.as_str()));

    let chart = h
        .call(
            "GET",
            &format!("/api/v1/patients/{patient}/chart"),
            Some(&dentist),
            None,
        )
        .await;
    assert_eq!(chart.status, StatusCode::OK, "{}", chart.text);
    let teeth: Vec<(String, String, String)> = chart.json["teeth"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tooth"].as_str().unwrap().to_string(),
                t["state"].as_str().unwrap().to_string(),
                t["dentition"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = |t: &str, s: &str, d: &str| (t.to_string(), s.to_string(), d.to_string());
    assert_eq!(
        teeth,
        [
            expect("1", "impacted", "permanent"),
            expect("K", "missing", "primary"),
            expect("30", "implant", "permanent"),
        ]
    );
    // Yesterday's chart had none of it.
    let yesterday = h
        .call(
            "GET",
            &format!("/api/v1/patients/{patient}/chart?as_of=2020-01-01"),
            Some(&dentist),
            None,
        )
        .await;
    assert_eq!(yesterday.status, StatusCode::OK, "{}", yesterday.text);
    assert_eq!(yesterday.json["teeth"], json!([]));

    // The history keeps every change, a page at a time.
    let path = format!("/api/v1/patients/{patient}/tooth-states");
    let first = h
        .call("GET", &format!("{path}?limit=3"), Some(&dentist), None)
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.json["items"].as_array().unwrap().len(), 3);
    assert_eq!(first.json["items"][0]["state"], "impacted");
    let next = first.json["next"].as_str().unwrap();
    let second = h
        .call(
            "GET",
            &format!("{path}?limit=3&cursor={next}"),
            Some(&dentist),
            None,
        )
        .await;
    let states: Vec<&str> = second.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["missing", "present"]);
    assert!(second.json.get("next").is_none());
}

#[tokio::test]
async fn impossible_teeth_and_states_are_refused_by_name_and_nothing_is_written() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let dentist = h.login(Role::Dentist).await;
    let before = h.audit().await.len();
    let tooth = record(&h, &dentist, &patient, "33", "missing").await;
    assert_eq!(
        tooth.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        tooth.text
    );
    assert_eq!(tooth.json["fields"][0]["field"], "tooth");
    assert!(
        tooth.json["fields"][0]["problem"]
            .as_str()
            .unwrap()
            .starts_with("tooth 33 does not exist"),
        "{}",
        tooth.text
    );
    let implant = record(&h, &dentist, &patient, "A", "implant").await;
    assert_eq!(implant.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        implant.json["fields"][0]["problem"],
        "tooth A is a primary tooth: an implant replaces a permanent tooth"
    );
    let state = record(&h, &dentist, &patient, "3", "gone").await;
    assert_eq!(state.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(state.json["fields"][0]["field"], "state");
    let extra = h
        .call(
            "POST",
            &format!("/api/v1/patients/{patient}/tooth-states"),
            Some(&dentist),
            Some(json!({"tooth": "3", "state": "missing", "id": "x"})),
        )
        .await;
    assert_eq!(
        extra.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        extra.text
    );
    assert_eq!(
        h.audit().await.len(),
        before,
        "nothing written, nothing to audit"
    );
    let history = h
        .call(
            "GET",
            &format!("/api/v1/patients/{patient}/tooth-states"),
            Some(&dentist),
            None,
        )
        .await;
    assert_eq!(history.json["items"], json!([]));
}

#[tokio::test]
async fn billing_sees_the_states_the_administrator_none_and_break_glass_writes_none() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let dentist = h.login(Role::Dentist).await;
    record(&h, &dentist, &patient, "19", "missing").await;
    let billing = h.login(Role::Billing).await;
    let chart = h
        .call(
            "GET",
            &format!("/api/v1/patients/{patient}/chart"),
            Some(&billing),
            None,
        )
        .await;
    assert_eq!(chart.status, StatusCode::OK, "{}", chart.text);
    assert_eq!(chart.json["billing_view"], true);
    assert_eq!(chart.json["teeth"][0]["tooth"], "19");
    let refused = record(&h, &billing, &patient, "18", "missing").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // The administrator sees neither charts nor billing.
    let admin = h.login(Role::PracticeAdministrator).await;
    let history = h
        .call(
            "GET",
            &format!("/api/v1/patients/{patient}/tooth-states"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(history.status, StatusCode::FORBIDDEN);

    // Break-glass reads and never writes.
    for action in ["view", "create"] {
        let r = h
            .call("PUT", "/api/v1/policy", Some(&admin), Some(json!({"role": "dental_assistant", "category": "charting", "action": action, "allowed": false})))
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }
    h.clock.advance_ms(6_000); // past the policy cache
    let assistant = h.login(Role::DentalAssistant).await;
    let grant = h
        .call("POST", "/api/v1/emergency-access", Some(&assistant), Some(json!({"patient_id": patient, "justification": "Patient arrived with facial swelling; dentist out"})))
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.text);
    let read = h
        .call(
            "GET",
            &format!("/api/v1/patients/{patient}/tooth-states"),
            Some(&assistant),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(read.json["items"][0]["tooth"], "19");
    let write = record(&h, &assistant, &patient, "18", "missing").await;
    assert_eq!(write.status, StatusCode::FORBIDDEN, "{}", write.text);
}

#[tokio::test]
async fn another_practices_patient_is_not_found() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let dentist = h.login(Role::Dentist).await;
    record(&h, &dentist, &patient, "2", "missing").await;
    let (_, other) = h.other_practice(Role::Dentist).await;
    let token = h.login_account(&other).await;
    let write = record(&h, &token, &patient, "3", "missing").await;
    assert_eq!(write.status, StatusCode::NOT_FOUND, "{}", write.text);
    let read = h
        .call(
            "GET",
            &format!("/api/v1/patients/{patient}/tooth-states"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::NOT_FOUND, "{}", read.text);
    let unknown = record(&h, &dentist, "not-an-id", "3", "missing").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
