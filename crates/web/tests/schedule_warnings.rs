//! The schedule's warnings through HTTP: a booking outside its provider's working hours, in a
//! blockout of its operatory or on a practice holiday is answered `409 schedule_warning` with
//! each reason as a sentence, and booked only when it says `acknowledge_warnings` (the override
//! in its audit entry, by kind, never the sentences); who may add and remove blocks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use enamel_domain::Role;
use serde_json::{Value, json};

struct Setup {
    dentist: String,
    op1: String,
    op2: String,
    patient: String,
}

async fn id_of(h: &Harness, token: &str, path: &str, body: Value) -> String {
    let a = h.call("POST", path, Some(token), Some(body)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{path}: {}", a.text);
    a.json["id"].as_str().unwrap().to_string()
}

/// A New York practice; a dentist who works Mondays 08:00–12:00; two operatories.
async fn set_up(h: &Harness) -> Setup {
    let admin = h.login(Role::PracticeAdministrator).await;
    let zone = h
        .call(
            "PUT",
            "/api/v1/practice/time-zone",
            Some(&admin),
            Some(json!({"time_zone": "America/New_York"})),
        )
        .await;
    assert_eq!(zone.status, StatusCode::OK, "{}", zone.text);
    let dentist = id_of(
        h,
        &admin,
        "/api/v1/providers",
        json!({"family_name": "Synthdent", "given_name": "Dana", "abbreviation": "DS",
               "colour": "#3366cc", "specialty": "general",
               "working_hours": [{"weekday": "monday", "start": "08:00", "end": "12:00"}]}),
    )
    .await;
    let op1 = id_of(
        h,
        &admin,
        "/api/v1/operatories",
        json!({"name": "Operatory One", "abbreviation": "OP1"}),
    )
    .await;
    let op2 = id_of(
        h,
        &admin,
        "/api/v1/operatories",
        json!({"name": "Operatory Two", "abbreviation": "OP2"}),
    )
    .await;
    Setup {
        dentist,
        op1,
        op2,
        patient: h.patient().await,
    }
}

fn booking(s: &Setup, op: &str, start: &str, acknowledge: bool) -> Value {
    json!({"patient_id": s.patient, "operatory_id": op, "provider_id": s.dentist,
           "start": start, "duration_min": 30, "acknowledge_warnings": acknowledge})
}

#[tokio::test]
async fn outside_working_hours_is_a_warning_the_desk_may_override_on_the_record() {
    let h = Harness::new().await;
    let s = set_up(&h).await;
    let desk = h.login(Role::FrontDesk).await;
    // The provider's hours come back as they were set.
    let provider = h
        .call(
            "GET",
            &format!("/api/v1/providers/{}", s.dentist),
            Some(&desk),
            None,
        )
        .await;
    assert_eq!(
        provider.json["working_hours"],
        json!([{"weekday": "monday", "start": "08:00", "end": "12:00"}])
    );
    // 2027-03-15 is a Monday: 11:45–12:15 runs past noon.
    let before = h.audit().await.len();
    let late = h
        .call(
            "POST",
            "/api/v1/appointments",
            Some(&desk),
            Some(booking(&s, &s.op1, "2027-03-15T11:45", false)),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.text);
    assert_eq!(late.json["code"], "schedule_warning");
    let warnings = late.json["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("outside Dana Synthdent (DS)'s working hours on Mondays (08:00–12:00)"),
        "{}",
        late.text
    );
    let after = h.audit().await;
    assert_eq!(after.len(), before + 1);
    assert_eq!(after[before].outcome, "failed");
    assert!(
        after[before]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("schedule_warning")
    );
    // Nothing was booked: the same time is free for the override.
    let ok = h
        .call(
            "POST",
            "/api/v1/appointments",
            Some(&desk),
            Some(booking(&s, &s.op1, "2027-03-15T11:45", true)),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    let entry = h.audit().await.pop().unwrap();
    assert_eq!(
        (entry.action.as_str(), entry.outcome.as_str()),
        ("create", "allowed")
    );
    let reason = entry.reason.unwrap_or_default();
    assert!(
        reason.contains("warnings overridden: outside_hours"),
        "{reason}"
    );
    assert!(
        !reason.contains("Synthdent"),
        "the entry names kinds, never the sentences"
    );
    // Inside the hours: no warning. On a Tuesday (no hours): a warning naming the day.
    let inside = h
        .call(
            "POST",
            "/api/v1/appointments",
            Some(&desk),
            Some(booking(&s, &s.op2, "2027-03-15T09:00", false)),
        )
        .await;
    assert_eq!(inside.status, StatusCode::CREATED, "{}", inside.text);
    let tuesday = h
        .call(
            "POST",
            "/api/v1/appointments",
            Some(&desk),
            Some(booking(&s, &s.op1, "2027-03-16T09:00", false)),
        )
        .await;
    assert_eq!(tuesday.json["code"], "schedule_warning");
    assert!(
        tuesday.text.contains("does not work on Tuesdays"),
        "{}",
        tuesday.text
    );
    // Editing only the note of a booking outside the hours does not warn again.
    let id = ok.json["id"].as_str().unwrap();
    let mut body = ok.json.clone();
    body["note"] = json!("Synthetic note.");
    body["acknowledge_warnings"] = json!(false);
    let edited = h
        .call_with(
            "PUT",
            &format!("/api/v1/appointments/{id}"),
            Some(&desk),
            Some(body.to_string()),
            &[("content-type", "application/json"), ("if-match", "*")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
}

#[tokio::test]
async fn blockouts_and_holidays_warn_and_only_the_right_roles_keep_them() {
    let h = Harness::new().await;
    let s = set_up(&h).await;
    let desk = h.login(Role::FrontDesk).await;
    let admin = h.login(Role::PracticeAdministrator).await;
    let billing = h.login(Role::Billing).await;
    let blockout = json!({"kind": "blockout", "operatory_id": s.op1, "start": "2027-03-15T09:00",
                          "end": "2027-03-15T10:00", "label": "Staff meeting"});
    // Billing may not keep the schedule's blocks; the front desk may.
    let refused = h
        .call(
            "POST",
            "/api/v1/schedule-blocks",
            Some(&billing),
            Some(blockout.clone()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let block = id_of(&h, &desk, "/api/v1/schedule-blocks", blockout).await;
    let warned = h
        .call(
            "POST",
            "/api/v1/appointments",
            Some(&desk),
            Some(booking(&s, &s.op1, "2027-03-15T09:30", false)),
        )
        .await;
    assert_eq!(warned.json["code"], "schedule_warning", "{}", warned.text);
    assert!(
        warned
            .text
            .contains("blocked out from 09:00 to 10:00 (Staff meeting)")
    );
    // The other operatory is not blocked.
    let other = h
        .call(
            "POST",
            "/api/v1/appointments",
            Some(&desk),
            Some(booking(&s, &s.op2, "2027-03-15T09:30", false)),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.text);
    // A holiday is a practice setting: not the front desk's, the administrator's.
    let holiday = json!({"kind": "holiday", "date": "2027-03-22", "label": "Synthetic holiday"});
    let refused = h
        .call(
            "POST",
            "/api/v1/schedule-blocks",
            Some(&desk),
            Some(holiday.clone()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    id_of(&h, &admin, "/api/v1/schedule-blocks", holiday).await;
    let closed = h
        .call(
            "POST",
            "/api/v1/appointments",
            Some(&desk),
            Some(booking(&s, &s.op2, "2027-03-22T09:00", false)),
        )
        .await;
    assert!(
        closed
            .text
            .contains("2027-03-22 is a practice holiday (Synthetic holiday)"),
        "{}",
        closed.text
    );
    // The list of a week holds both, on the practice's clock.
    let list = h
        .call(
            "GET",
            "/api/v1/schedule-blocks?from=2027-03-15&to=2027-03-22",
            Some(&desk),
            None,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let items = list.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["start"], "2027-03-15T09:00:00-04:00");
    assert_eq!(items[1]["kind"], "holiday");
    // Removing the blockout lifts its warning; removing it again is not found.
    let before = h.audit().await.len();
    let gone = h
        .call(
            "DELETE",
            &format!("/api/v1/schedule-blocks/{block}"),
            Some(&desk),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    assert_eq!(h.audit().await.len(), before + 1);
    let again = h
        .call(
            "DELETE",
            &format!("/api/v1/schedule-blocks/{block}"),
            Some(&desk),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let free = h
        .call(
            "POST",
            "/api/v1/appointments",
            Some(&desk),
            Some(booking(&s, &s.op1, "2027-03-15T09:00", false)),
        )
        .await;
    assert_eq!(free.status, StatusCode::CREATED, "{}", free.text);
    // A blockout ending before it starts is named; one with a holiday's date too.
    let bad = h
        .call(
            "POST",
            "/api/v1/schedule-blocks",
            Some(&desk),
            Some(
                json!({"kind": "blockout", "start": "2027-03-15T10:00", "end": "2027-03-15T09:00",
                        "date": "2027-03-15", "label": "Oops"}),
            ),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad.json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["date", "end"]);
}
