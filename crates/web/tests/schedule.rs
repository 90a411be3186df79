//! The schedule through HTTP: a booking on the practice's clock with one audit entry, a clash
//! refused naming the other appointment's time and chair (never its patient), the nights the
//! clocks change, the day as each role may see it, `GET` answers `PUT` takes back under
//! `If-Match`, statuses in their order (a cancelled booking frees its time), the role matrix
//! for booking, practice isolation, and hostile input refused by name without echo.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::{Answer, Harness};
use enamel_domain::{Action, Category, Policy, Role};
use serde_json::{Value, json};

const DAY: &str = "2027-03-15";

/// What `set_up` made: the providers, chairs and type of a practice on New York's clock, and
/// one synthetic patient.
struct Practice {
    dentist: String,
    hygienist: String,
    op1: String,
    op2: String,
    filling: String,
    patient: String,
}

fn id_of(a: &Answer) -> String {
    a.json["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {}", a.text))
        .to_string()
}

async fn created(h: &Harness, token: &str, path: &str, body: Value) -> String {
    let a = h.call("POST", path, Some(token), Some(body)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{path}: {}", a.text);
    let id = id_of(&a);
    assert_eq!(a.headers["location"], format!("{path}/{id}").as_str());
    assert_eq!(a.headers["etag"], "\"1\"");
    id
}

/// As the practice administrator: the practice's clock on New York, a dentist and a
/// hygienist, two operatories and a forty-minute type (`//XXXX//`).
async fn set_up(h: &Harness) -> Practice {
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
    let dentist = created(
        h,
        &admin,
        "/api/v1/providers",
        json!({"family_name": "Synthdent", "given_name": "Dana", "abbreviation": "DS",
               "colour": "#3366cc", "specialty": "general"}),
    )
    .await;
    let hygienist = created(
        h,
        &admin,
        "/api/v1/providers",
        json!({"family_name": "Synthhyg", "given_name": "Harper", "abbreviation": "HS",
               "colour": "#33cc66", "specialty": "hygiene", "is_hygienist": true}),
    )
    .await;
    let op1 = created(
        h,
        &admin,
        "/api/v1/operatories",
        json!({"name": "Operatory One", "abbreviation": "OP1", "order": 1}),
    )
    .await;
    let op2 = created(
        h,
        &admin,
        "/api/v1/operatories",
        json!({"name": "Operatory Two", "abbreviation": "OP2", "order": 2}),
    )
    .await;
    let filling = created(
        h,
        &admin,
        "/api/v1/appointment-types",
        json!({"name": "Synthetic filling", "colour": "#cc6633", "pattern": "//XXXX//"}),
    )
    .await;
    Practice {
        dentist,
        hygienist,
        op1,
        op2,
        filling,
        patient: h.patient().await,
    }
}

/// The smallest booking body.
fn booking(p: &Practice, op: &str, provider: &str, start: &str, minutes: i64) -> Value {
    json!({"patient_id": p.patient, "operatory_id": op, "provider_id": provider,
           "start": start, "duration_min": minutes})
}

async fn book(h: &Harness, token: &str, body: Value) -> Answer {
    h.call("POST", "/api/v1/appointments", Some(token), Some(body))
        .await
}

/// Books and expects `201`; returns the appointment's id.
async fn booked(h: &Harness, token: &str, body: Value) -> String {
    let a = book(h, token, body).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    id_of(&a)
}

async fn day(h: &Harness, token: &str, query: &str) -> Answer {
    h.call(
        "GET",
        &format!("/api/v1/appointments?{query}"),
        Some(token),
        None,
    )
    .await
}

async fn read(h: &Harness, token: &str, id: &str) -> Answer {
    h.call(
        "GET",
        &format!("/api/v1/appointments/{id}"),
        Some(token),
        None,
    )
    .await
}

async fn put(h: &Harness, token: &str, id: &str, body: &Value, if_match: Option<&str>) -> Answer {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(tag) = if_match {
        headers.push(("if-match", tag));
    }
    h.call_with(
        "PUT",
        &format!("/api/v1/appointments/{id}"),
        Some(token),
        Some(body.to_string()),
        &headers,
    )
    .await
}

async fn set_status(h: &Harness, token: &str, id: &str, body: Value) -> Answer {
    h.call(
        "POST",
        &format!("/api/v1/appointments/{id}/status"),
        Some(token),
        Some(body),
    )
    .await
}

/// The ids of a day's appointments, in the order listed.
fn ids(a: &Answer) -> Vec<String> {
    a.json["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {}", a.text))
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// (action, record type, outcome) of the entries after `before`.
async fn entries_since(h: &Harness, before: usize) -> Vec<(String, String, String)> {
    h.audit().await[before..]
        .iter()
        .map(|e| {
            (
                e.action.clone(),
                e.record_type.clone().unwrap_or_default(),
                e.outcome.clone(),
            )
        })
        .collect()
}

fn triple(action: &str, record: &str, outcome: &str) -> (String, String, String) {
    (action.into(), record.into(), outcome.into())
}

/// The one member a `422` names.
fn field(a: &Answer) -> &str {
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(a.json["code"], "invalid", "{}", a.text);
    a.json["fields"][0]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("no field: {}", a.text))
}

fn problem(a: &Answer) -> &str {
    a.json["fields"][0]["problem"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_booking_answers_on_the_practices_clock_with_one_entry() {
    let h = Harness::new().await;
    let p = set_up(&h).await;
    let desk = h.login(Role::FrontDesk).await;
    let me = h.account(Role::FrontDesk).user_id.clone();
    let before = h.audit().await.len();
    let a = book(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-03-15T09:00", 60),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let id = id_of(&a);
    assert_eq!(
        a.headers["location"],
        format!("/api/v1/appointments/{id}").as_str()
    );
    assert_eq!(a.headers["etag"], "\"1\"");
    assert_eq!(a.json["start"], "2027-03-15T09:00:00-04:00");
    assert_eq!(a.json["end"], "2027-03-15T10:00:00-04:00");
    assert_eq!(a.json["duration_min"], 60);
    assert_eq!(
        a.json["pattern"], "XXXXXXXXXXXX",
        "minutes alone are provider time"
    );
    assert_eq!(a.json["status"], "scheduled");
    assert_eq!(a.json["source"], "staff");
    assert_eq!(a.json["patient_id"], p.patient.as_str());
    assert_eq!(a.json["operatory_id"], p.op1.as_str());
    assert_eq!(a.json["provider_id"], p.dentist.as_str());
    assert_eq!(a.json["row_version"], 1);
    assert_eq!(a.json["created_by"], me.as_str());
    for absent in ["arrived_at", "confirmed_via", "hygienist_id", "note"] {
        assert!(a.json.get(absent).is_none(), "{absent}: {}", a.text);
    }

    let entries = h.audit().await;
    assert_eq!(entries.len() - before, 1, "one entry for the request");
    let e = &entries[before];
    assert_eq!(
        (
            e.action.as_str(),
            e.record_type.as_deref(),
            e.outcome.as_str()
        ),
        ("create", Some("appointment"), "allowed")
    );
    assert_eq!(e.record_id.as_deref(), Some(id.as_str()));
    assert_eq!(e.patient_id.as_deref(), Some(p.patient.as_str()));
    assert_eq!(e.actor_id.as_deref(), Some(me.as_str()));

    // A type alone gives the length; its pattern is kept on the appointment.
    let typed = book(
        &h,
        &desk,
        json!({"patient_id": p.patient, "operatory_id": p.op1, "provider_id": p.dentist,
               "appointment_type_id": p.filling, "start": "2027-03-15T13:00:00-04:00"}),
    )
    .await;
    assert_eq!(typed.status, StatusCode::CREATED, "{}", typed.text);
    assert_eq!(typed.json["pattern"], "//XXXX//");
    assert_eq!(typed.json["duration_min"], 40);
    assert_eq!(typed.json["end"], "2027-03-15T13:40:00-04:00");
    assert_eq!(typed.json["appointment_type_id"], p.filling.as_str());
    // A pattern and a length that disagree are refused by name.
    let disagree = book(
        &h,
        &desk,
        json!({"patient_id": p.patient, "operatory_id": p.op2, "provider_id": p.dentist,
               "start": "2027-03-15T15:00", "pattern": "XX//", "duration_min": 30}),
    )
    .await;
    assert_eq!(field(&disagree), "duration_min");
}

#[tokio::test]
async fn an_overlap_is_refused_naming_the_time_and_chair_never_the_patient() {
    let h = Harness::new().await;
    let p = set_up(&h).await;
    let desk = h.login(Role::FrontDesk).await;
    let first = booked(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-03-15T09:00", 60),
    )
    .await;

    let before = h.audit().await.len();
    let chair = book(
        &h,
        &desk,
        booking(&p, &p.op1, &p.hygienist, "2027-03-15T09:30", 30),
    )
    .await;
    assert_eq!(chair.status, StatusCode::CONFLICT, "{}", chair.text);
    assert_eq!(chair.json["code"], "schedule_conflict");
    assert_eq!(chair.json["conflict"]["with"], "operatory");
    assert_eq!(chair.json["conflict"]["appointment_id"], first.as_str());
    assert_eq!(chair.json["conflict"]["start"], "2027-03-15T09:00:00-04:00");
    assert_eq!(chair.json["conflict"]["end"], "2027-03-15T10:00:00-04:00");
    assert_eq!(chair.json["conflict"]["operatory_id"], p.op1.as_str());
    let detail = chair.json["detail"].as_str().unwrap();
    assert!(detail.contains("Operatory One"), "{detail}");
    assert!(detail.contains("09:00 to 10:00"), "{detail}");
    for name in ["Molar", "Testy", "1980-02-03"] {
        assert!(
            !chair.text.contains(name),
            "the other appointment's patient is never named: {}",
            chair.text
        );
    }
    let entries = h.audit().await;
    assert_eq!(entries.len() - before, 1, "one entry for the refusal");
    let refusal = &entries[before];
    assert_eq!(
        (
            refusal.action.as_str(),
            refusal.record_type.as_deref(),
            refusal.outcome.as_str()
        ),
        ("create", Some("appointment"), "failed")
    );
    assert!(
        refusal
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("schedule_conflict")),
        "{:?}",
        refusal.reason
    );
    assert_ne!(refusal.record_id.as_deref(), Some(first.as_str()));
    let listed = day(&h, &desk, &format!("date={DAY}")).await;
    assert_eq!(ids(&listed), [first.as_str()], "nothing was written");

    // The same dentist in the other chair while still busy in the first.
    let provider = book(
        &h,
        &desk,
        booking(&p, &p.op2, &p.dentist, "2027-03-15T09:45", 30),
    )
    .await;
    assert_eq!(provider.status, StatusCode::CONFLICT, "{}", provider.text);
    assert_eq!(provider.json["code"], "schedule_conflict");
    assert_eq!(provider.json["conflict"]["with"], "provider");
    assert_eq!(provider.json["conflict"]["appointment_id"], first.as_str());
    assert_eq!(provider.json["conflict"]["operatory_id"], p.op1.as_str());
    let detail = provider.json["detail"].as_str().unwrap();
    assert!(detail.contains("Operatory One"), "{detail}");
    assert!(detail.contains("09:00 to 10:00"), "{detail}");
    assert!(!provider.text.contains("Molar") && !provider.text.contains("Testy"));

    // Neither the chair nor the provider is taken: free; and the end is not part of the time.
    booked(
        &h,
        &desk,
        booking(&p, &p.op2, &p.hygienist, "2027-03-15T09:30", 30),
    )
    .await;
    booked(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-03-15T10:00", 30),
    )
    .await;
    let listed = day(&h, &desk, &format!("date={DAY}")).await;
    assert_eq!(listed.json["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn assistant_time_leaves_the_provider_free_for_another_chair() {
    let h = Harness::new().await;
    let p = set_up(&h).await;
    let desk = h.login(Role::FrontDesk).await;
    // 11:00 to 11:40, the dentist's own time 11:10 to 11:30.
    let filling = booked(
        &h,
        &desk,
        json!({"patient_id": p.patient, "operatory_id": p.op1, "provider_id": p.dentist,
               "appointment_type_id": p.filling, "start": "2027-03-15T11:00"}),
    )
    .await;
    booked(
        &h,
        &desk,
        booking(&p, &p.op2, &p.dentist, "2027-03-15T11:00", 10),
    )
    .await;
    booked(
        &h,
        &desk,
        booking(&p, &p.op2, &p.dentist, "2027-03-15T11:30", 10),
    )
    .await;
    let busy = book(
        &h,
        &desk,
        booking(&p, &p.op2, &p.dentist, "2027-03-15T11:25", 5),
    )
    .await;
    assert_eq!(busy.status, StatusCode::CONFLICT, "{}", busy.text);
    assert_eq!(busy.json["conflict"]["with"], "provider");
    assert_eq!(busy.json["conflict"]["appointment_id"], filling.as_str());
    // The chair is held for all forty minutes, assistant time too.
    let chair = book(
        &h,
        &desk,
        booking(&p, &p.op1, &p.hygienist, "2027-03-15T11:35", 5),
    )
    .await;
    assert_eq!(chair.status, StatusCode::CONFLICT, "{}", chair.text);
    assert_eq!(chair.json["conflict"]["with"], "operatory");
}

#[tokio::test]
async fn times_the_clocks_skip_repeat_or_mislabel_are_refused_by_name() {
    let h = Harness::new().await;
    let p = set_up(&h).await;
    let desk = h.login(Role::FrontDesk).await;
    let before = h.audit().await.len();
    // 14 March 2027: New York's clocks go from 02:00 to 03:00.
    let skipped = book(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-03-14T02:30", 30),
    )
    .await;
    assert_eq!(field(&skipped), "start");
    assert!(
        problem(&skipped).contains("does not exist"),
        "{}",
        skipped.text
    );
    // 09:00 that day is -04:00 in New York: -05:00 names another instant's offset.
    for wrong in ["2027-03-14T09:00:00-05:00", "2027-03-14T09:00:00Z"] {
        let a = book(&h, &desk, booking(&p, &p.op1, &p.dentist, wrong, 30)).await;
        assert_eq!(field(&a), "start", "{wrong}");
        assert!(problem(&a).contains("-04:00"), "{wrong}: {}", a.text);
    }
    // 7 November 2027: 01:30 happens twice.
    let repeated = book(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-11-07T01:30", 30),
    )
    .await;
    assert_eq!(field(&repeated), "start");
    assert!(
        problem(&repeated).contains("happens twice"),
        "{}",
        repeated.text
    );
    assert_eq!(
        h.audit().await.len(),
        before,
        "nothing tried, nothing audited"
    );

    // With the offset saying which, both 01:30s are bookable, an hour apart.
    let early = book(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-11-07T01:30:00-04:00", 30),
    )
    .await;
    assert_eq!(early.status, StatusCode::CREATED, "{}", early.text);
    assert_eq!(early.json["start"], "2027-11-07T01:30:00-04:00");
    let late = book(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-11-07T01:30:00-05:00", 30),
    )
    .await;
    assert_eq!(late.status, StatusCode::CREATED, "{}", late.text);
    assert_eq!(late.json["start"], "2027-11-07T01:30:00-05:00");
    assert_eq!(late.json["end"], "2027-11-07T02:00:00-05:00");

    // Across the gap: 01:30 EST and sixty minutes is 03:30 EDT.
    let across = book(
        &h,
        &desk,
        booking(&p, &p.op2, &p.hygienist, "2027-03-14T01:30", 60),
    )
    .await;
    assert_eq!(across.status, StatusCode::CREATED, "{}", across.text);
    assert_eq!(across.json["start"], "2027-03-14T01:30:00-05:00");
    assert_eq!(across.json["end"], "2027-03-14T03:30:00-04:00");
    let after = book(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-03-14T03:00", 30),
    )
    .await;
    assert_eq!(after.status, StatusCode::CREATED, "{}", after.text);
    assert_eq!(after.json["start"], "2027-03-14T03:00:00-04:00");
    // 03:00 EDT is 02:00 EST: the appointment across the gap holds the chair then.
    let clash = book(
        &h,
        &desk,
        booking(&p, &p.op2, &p.dentist, "2027-03-14T03:15", 15),
    )
    .await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{}", clash.text);
    assert_eq!(clash.json["conflict"]["with"], "operatory");
    let short_day = day(&h, &desk, "date=2027-03-14").await;
    assert_eq!(short_day.status, StatusCode::OK, "{}", short_day.text);
    assert_eq!(ids(&short_day), [id_of(&across), id_of(&after)], "by start");
}

#[tokio::test]
async fn the_day_is_for_schedule_viewers_with_names_only_for_demographics() {
    let h = Harness::new().await;
    let p = set_up(&h).await;
    let desk = h.login(Role::FrontDesk).await;
    let id = booked(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-03-15T09:00", 60),
    )
    .await;
    let policy = Policy::dental_office_default();
    assert!(policy.allows(Role::Billing, Category::Schedule, Action::View));
    for role in [Role::ComplianceOfficer, Role::PracticeAdministrator] {
        assert!(!policy.allows(role, Category::Schedule, Action::View));
    }
    for role in Role::STAFF {
        let token = h.login(*role).await;
        let me = h.account(*role).user_id.clone();
        let before = h.audit().await.len();
        let a = day(&h, &token, &format!("date={DAY}")).await;
        let entries = h.audit().await;
        assert_eq!(entries.len() - before, 1, "{role:?}: one entry");
        let e = &entries[before];
        assert_eq!(e.actor_id.as_deref(), Some(me.as_str()), "{role:?}");
        assert_eq!(e.record_type.as_deref(), Some("schedule"), "{role:?}");
        if !policy.allows(*role, Category::Schedule, Action::View) {
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{role:?}: {}", a.text);
            assert_eq!(a.json["code"], "forbidden");
            assert_eq!((e.action.as_str(), e.outcome.as_str()), ("view", "denied"));
            assert!(!a.text.contains("Molar"));
            let one = read(&h, &token, &id).await;
            assert_eq!(one.status, StatusCode::FORBIDDEN, "{role:?}: {}", one.text);
            continue;
        }
        assert_eq!(a.status, StatusCode::OK, "{role:?}: {}", a.text);
        assert_eq!(a.json["date"], DAY);
        assert_eq!(a.json["time_zone"], "America/New_York");
        assert_eq!(ids(&a), [id.as_str()], "{role:?}");
        assert_eq!(a.json["items"][0]["start"], "2027-03-15T09:00:00-04:00");
        assert_eq!((e.action.as_str(), e.outcome.as_str()), ("view", "allowed"));
        assert_eq!(e.record_id.as_deref(), Some(DAY));
        assert_eq!(e.reason.as_deref(), Some("appointments 1"), "{role:?}");
        let names = policy.allows(*role, Category::Demographics, Action::View);
        assert_eq!(
            a.json["items"][0].get("patient").is_some(),
            names,
            "{role:?}: {}",
            a.text
        );
        let one = read(&h, &token, &id).await;
        assert_eq!(one.status, StatusCode::OK, "{role:?}: {}", one.text);
        assert_eq!(one.json["patient"].get("family_name").is_some(), names);
    }

    // Filters and a day with nothing on it.
    let op2 = day(&h, &desk, &format!("date={DAY}&operatory={}", p.op2)).await;
    assert_eq!(op2.status, StatusCode::OK, "{}", op2.text);
    assert_eq!(ids(&op2), Vec::<String>::new());
    let dentist = day(&h, &desk, &format!("date={DAY}&provider={}", p.dentist)).await;
    assert_eq!(ids(&dentist), [id.as_str()]);
    let hygienist = day(&h, &desk, &format!("date={DAY}&provider={}", p.hygienist)).await;
    assert_eq!(ids(&hygienist), Vec::<String>::new());
    let next = day(&h, &desk, "date=2027-03-16").await;
    assert_eq!(ids(&next), Vec::<String>::new());
    let bad = day(&h, &desk, "date=15.03.2027").await;
    assert_eq!(field(&bad), "date");

    // A practice that takes demographics from billing: billing still sees the schedule, not
    // whose appointments they are.
    let admin = h.login(Role::PracticeAdministrator).await;
    let off = h
        .call(
            "PUT",
            "/api/v1/policy",
            Some(&admin),
            Some(
                json!({"role": "billing", "category": "demographics", "action": "view",
                        "allowed": false}),
            ),
        )
        .await;
    assert_eq!(off.status, StatusCode::NO_CONTENT, "{}", off.text);
    h.clock.advance_ms(6_000); // past the policy cache
    let billing = h.login(Role::Billing).await;
    let a = day(&h, &billing, &format!("date={DAY}")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(ids(&a), [id.as_str()]);
    assert!(a.json["items"][0].get("patient").is_none(), "{}", a.text);
    assert!(!a.text.contains("Molar") && !a.text.contains("Testy"));
    let one = read(&h, &billing, &id).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    assert!(one.json.get("patient").is_none(), "{}", one.text);
    assert!(!one.text.contains("Molar"));
}

#[tokio::test]
async fn what_get_answers_put_takes_back_under_if_match() {
    let h = Harness::new().await;
    let p = set_up(&h).await;
    let desk = h.login(Role::FrontDesk).await;
    let id = booked(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-03-15T09:00", 60),
    )
    .await;
    let before = h.audit().await.len();
    let got = read(&h, &desk, &id).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.headers["etag"], "\"1\"");
    let viewed = h.audit().await;
    assert_eq!(viewed.len() - before, 1, "one entry for the read");
    assert_eq!(
        (
            viewed[before].action.as_str(),
            viewed[before].record_type.as_deref()
        ),
        ("view", Some("appointment"))
    );
    assert_eq!(viewed[before].record_id.as_deref(), Some(id.as_str()));
    assert_eq!(
        viewed[before].patient_id.as_deref(),
        Some(p.patient.as_str())
    );
    let etag = got.headers["etag"].to_str().unwrap().to_string();

    let before = h.audit().await.len();
    let mut body = got.json.clone();
    body["start"] = json!("2027-03-15T11:00:00-04:00");
    let moved = put(&h, &desk, &id, &body, Some(&etag)).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(moved.headers["etag"], "\"2\"");
    assert_eq!(moved.json["start"], "2027-03-15T11:00:00-04:00");
    assert_eq!(moved.json["end"], "2027-03-15T12:00:00-04:00");
    assert_eq!(moved.json["row_version"], 2);
    assert_eq!(
        entries_since(&h, before).await,
        [triple("update", "appointment", "allowed")]
    );
    // The time it left is free again; the time it took is not.
    booked(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-03-15T09:00", 60),
    )
    .await;
    let taken = book(
        &h,
        &desk,
        booking(&p, &p.op1, &p.hygienist, "2027-03-15T11:30", 30),
    )
    .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.text);
    assert_eq!(taken.json["conflict"]["appointment_id"], id.as_str());

    // A changed read-only member is refused by name, and changes nothing.
    let now = read(&h, &desk, &id).await;
    let current = now.headers["etag"].to_str().unwrap().to_string();
    assert_eq!(current, "\"2\"");
    for (member, value) in [
        ("status", json!("complete")),
        ("created_by", json!("someone-else")),
        ("end", json!("2027-03-15T12:30:00-04:00")),
        ("row_version", json!(7)),
    ] {
        let mut changed = now.json.clone();
        changed[member] = value;
        let a = put(&h, &desk, &id, &changed, Some(&current)).await;
        assert_eq!(field(&a), member, "{}", a.text);
        assert_eq!(a.json["fields"].as_array().unwrap().len(), 1, "{}", a.text);
    }
    let mut other_patient = now.json.clone();
    other_patient["patient_id"] = json!(enamel_domain::PatientId::new().to_string());
    let a = put(&h, &desk, &id, &other_patient, Some(&current)).await;
    assert_eq!(field(&a), "patient_id");
    let mut other_id = now.json.clone();
    other_id["id"] = json!(enamel_domain::AppointmentId::new().to_string());
    let a = put(&h, &desk, &id, &other_id, Some(&current)).await;
    assert_eq!(field(&a), "id");

    // Without If-Match: 428; with a stale one: 412 and a failed entry.
    let mut later = now.json.clone();
    later["start"] = json!("2027-03-15T14:00");
    let missing = put(&h, &desk, &id, &later, None).await;
    assert_eq!(
        missing.status,
        StatusCode::PRECONDITION_REQUIRED,
        "{}",
        missing.text
    );
    let before = h.audit().await.len();
    let stale = put(&h, &desk, &id, &later, Some(&etag)).await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.text
    );
    assert_eq!(
        entries_since(&h, before).await,
        [triple("update", "appointment", "failed")]
    );
    let unchanged = read(&h, &desk, &id).await;
    assert_eq!(unchanged.headers["etag"], "\"2\"");
    assert_eq!(unchanged.json["start"], "2027-03-15T11:00:00-04:00");

    // `*` takes whatever is current.
    let any = put(&h, &desk, &id, &later, Some("*")).await;
    assert_eq!(any.status, StatusCode::OK, "{}", any.text);
    assert_eq!(any.json["start"], "2027-03-15T14:00:00-04:00");
    assert_eq!(any.headers["etag"], "\"3\"");
    // A move onto part of its own time: it lets go of its old slots first.
    let mut half_hour_on = any.json.clone();
    half_hour_on["start"] = json!("2027-03-15T14:30:00-04:00");
    let shifted = put(&h, &desk, &id, &half_hour_on, Some("\"3\"")).await;
    assert_eq!(shifted.status, StatusCode::OK, "{}", shifted.text);
    assert_eq!(shifted.json["end"], "2027-03-15T15:30:00-04:00");
    booked(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-03-15T14:00", 30),
    )
    .await;
}

#[tokio::test]
async fn statuses_follow_their_order_and_cancelling_frees_the_time() {
    let h = Harness::new().await;
    let p = set_up(&h).await;
    let desk = h.login(Role::FrontDesk).await;
    let visit = booked(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-03-15T09:00", 60),
    )
    .await;
    let before = h.audit().await.len();
    let arrived = set_status(&h, &desk, &visit, json!({"status": "arrived"})).await;
    assert_eq!(arrived.status, StatusCode::OK, "{}", arrived.text);
    assert_eq!(arrived.json["status"], "arrived");
    assert!(arrived.json["arrived_at"].is_string(), "{}", arrived.text);
    assert_eq!(arrived.headers["etag"], "\"2\"");
    let done = set_status(&h, &desk, &visit, json!({"status": "complete"})).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.json["status"], "complete");
    assert!(done.json["dismissed_at"].is_string(), "{}", done.text);
    assert_eq!(done.json["arrived_at"], arrived.json["arrived_at"]);
    let back = set_status(&h, &desk, &visit, json!({"status": "scheduled"})).await;
    assert_eq!(back.status, StatusCode::CONFLICT, "{}", back.text);
    assert_eq!(back.json["code"], "refused");
    let entries = h.audit().await;
    let new: Vec<_> = entries[before..]
        .iter()
        .map(|e| (e.outcome.as_str(), e.reason.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(new.len(), 3, "{new:?}");
    assert_eq!(new[0], ("allowed", "status scheduled -> arrived"));
    assert_eq!(new[1], ("allowed", "status arrived -> complete"));
    assert_eq!(new[2].0, "failed");
    assert!(new[2].1.contains("refused"), "{new:?}");
    let still = read(&h, &desk, &visit).await;
    assert_eq!(still.json["status"], "complete");

    // `via` is for a confirmation only.
    let other = booked(
        &h,
        &desk,
        booking(&p, &p.op2, &p.hygienist, "2027-03-15T09:00", 30),
    )
    .await;
    let via = set_status(
        &h,
        &desk,
        &other,
        json!({"status": "arrived", "via": "phone"}),
    )
    .await;
    assert_eq!(field(&via), "via");
    assert_eq!(read(&h, &desk, &other).await.json["status"], "scheduled");
    let confirmed = set_status(
        &h,
        &desk,
        &other,
        json!({"status": "confirmed", "via": "phone"}),
    )
    .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    assert_eq!(confirmed.json["confirmed_via"], "phone");
    assert!(confirmed.json["confirmed_at"].is_string());
    // The confirmation's members go back whole on a PUT.
    let mut noted = confirmed.json.clone();
    noted["note"] = json!("Synthetic: running late.");
    let kept = put(&h, &desk, &other, &noted, Some("\"2\"")).await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.text);
    assert_eq!(kept.json["confirmed_via"], "phone");
    assert_eq!(kept.json["confirmed_at"], confirmed.json["confirmed_at"]);
    let mut forged = kept.json.clone();
    forged["confirmed_via"] = json!("sms");
    let a = put(&h, &desk, &other, &forged, Some("\"3\"")).await;
    assert_eq!(field(&a), "confirmed_via");
    let stale = h
        .call_with(
            "POST",
            &format!("/api/v1/appointments/{other}/status"),
            Some(&desk),
            Some(json!({"status": "arrived"}).to_string()),
            &[("content-type", "application/json"), ("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.text
    );

    // Cancelling frees the time; the cancelled one stays on the day.
    let cancelled = booked(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-03-15T14:00", 30),
    )
    .await;
    let a = set_status(&h, &desk, &cancelled, json!({"status": "cancelled"})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json["status"], "cancelled");
    let replacement = booked(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-03-15T14:00", 30),
    )
    .await;
    let listed = day(&h, &desk, &format!("date={DAY}")).await;
    let listed = ids(&listed);
    assert!(listed.contains(&cancelled) && listed.contains(&replacement));
    let final_ = set_status(&h, &desk, &cancelled, json!({"status": "scheduled"})).await;
    assert_eq!(final_.status, StatusCode::CONFLICT, "{}", final_.text);
    assert_eq!(final_.json["code"], "refused");

    // Off the ASAP list and back: the time it let go of may have been given away.
    let waiting = booked(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-03-15T15:00", 30),
    )
    .await;
    let asap = set_status(&h, &desk, &waiting, json!({"status": "asap"})).await;
    assert_eq!(asap.status, StatusCode::OK, "{}", asap.text);
    let list = h.call("GET", "/api/v1/asap-list", Some(&desk), None).await;
    assert_eq!(ids(&list), [waiting.as_str()]);
    let taker = booked(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-03-15T15:00", 30),
    )
    .await;
    let before = h.audit().await.len();
    let again = set_status(&h, &desk, &waiting, json!({"status": "scheduled"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(again.json["code"], "schedule_conflict");
    assert_eq!(again.json["conflict"]["appointment_id"], taker.as_str());
    assert_eq!(
        entries_since(&h, before).await,
        [triple("update", "appointment", "failed")]
    );
    assert_eq!(read(&h, &desk, &waiting).await.json["status"], "asap");
}

#[tokio::test]
async fn booking_follows_the_policy_for_every_staff_role() {
    let h = Harness::new().await;
    let p = set_up(&h).await;
    let policy = Policy::dental_office_default();
    let mut booked_by = Vec::new();
    for (i, role) in Role::STAFF.iter().enumerate() {
        let token = h.login(*role).await;
        let me = h.account(*role).user_id.clone();
        let start = format!("2027-03-16T{:02}:00", 8 + i);
        let before = h.audit().await.len();
        let a = book(&h, &token, booking(&p, &p.op1, &p.dentist, &start, 30)).await;
        let entries = h.audit().await;
        assert_eq!(entries.len() - before, 1, "{role:?}: one entry");
        let e = &entries[before];
        assert_eq!(e.actor_id.as_deref(), Some(me.as_str()), "{role:?}");
        assert_eq!(
            e.patient_id.as_deref(),
            Some(p.patient.as_str()),
            "{role:?}"
        );
        if policy.allows(*role, Category::Schedule, Action::Create) {
            assert_eq!(a.status, StatusCode::CREATED, "{role:?}: {}", a.text);
            assert_eq!(
                (
                    e.action.as_str(),
                    e.record_type.as_deref(),
                    e.outcome.as_str()
                ),
                ("create", Some("appointment"), "allowed"),
                "{role:?}"
            );
            booked_by.push(id_of(&a));
        } else {
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{role:?}: {}", a.text);
            assert_eq!(a.json["code"], "forbidden");
            assert_eq!(
                (
                    e.action.as_str(),
                    e.record_type.as_deref(),
                    e.outcome.as_str()
                ),
                ("create", Some("schedule"), "denied"),
                "{role:?}"
            );
        }
    }
    let allowed = Role::STAFF
        .iter()
        .filter(|r| policy.allows(**r, Category::Schedule, Action::Create))
        .count();
    assert_eq!(allowed, 5, "the default table: dentist to office manager");
    let desk = h.login(Role::FrontDesk).await;
    let listed = day(&h, &desk, "date=2027-03-16").await;
    assert_eq!(ids(&listed), booked_by);
}

#[tokio::test]
async fn another_practice_neither_sees_nor_changes_nor_books_into_this_one() {
    let h = Harness::new().await;
    let p = set_up(&h).await;
    let desk = h.login(Role::FrontDesk).await;
    let id = booked(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-03-15T09:00", 60),
    )
    .await;
    let got = read(&h, &desk, &id).await;
    let (other, account) = h.other_practice(Role::FrontDesk).await;
    let theirs = h.login_account(&account).await;
    let before = h.audit().await.len();

    let a = read(&h, &theirs, &id).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
    let mut moved = got.json.clone();
    moved["start"] = json!("2027-03-15T11:00");
    let a = put(&h, &theirs, &id, &moved, Some("*")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
    let a = set_status(&h, &theirs, &id, json!({"status": "cancelled"})).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
    let a = day(&h, &theirs, &format!("date={DAY}")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json["time_zone"], "UTC");
    assert_eq!(ids(&a), Vec::<String>::new());
    for path in [
        "/api/v1/providers",
        "/api/v1/operatories",
        "/api/v1/appointment-types",
    ] {
        let a = h.call("GET", path, Some(&theirs), None).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.text);
        assert_eq!(a.json["items"], json!([]), "{path}");
    }
    let a = h
        .call(
            "GET",
            &format!("/api/v1/operatories/{}", p.op1),
            Some(&theirs),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);

    // Booking onto this practice's chair and provider: they are not the other practice's.
    let a = book(
        &h,
        &theirs,
        booking(&p, &p.op2, &p.dentist, "2027-03-15T09:00", 30),
    )
    .await;
    assert_eq!(field(&a), "operatory_id");
    let named: Vec<&str> = a.json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["operatory_id", "provider_id"]);
    // With a chair and a provider of its own, this practice's patient is not found.
    let admin = h
        .add_user(other, "other-admin", &[Role::PracticeAdministrator])
        .await;
    let their_admin = h.login_account(&admin).await;
    let their_op = created(
        &h,
        &their_admin,
        "/api/v1/operatories",
        json!({"name": "Their chair", "abbreviation": "T1"}),
    )
    .await;
    let their_dentist = created(
        &h,
        &their_admin,
        "/api/v1/providers",
        json!({"family_name": "Elsewhere", "given_name": "Eli", "abbreviation": "EE",
               "colour": "#000000", "specialty": "general"}),
    )
    .await;
    let a = book(
        &h,
        &theirs,
        booking(&p, &their_op, &their_dentist, "2027-03-15T09:00", 30),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
    assert!(!a.text.contains("Molar"));

    assert_eq!(
        h.audit().await.len(),
        before,
        "nothing of it in this practice's log"
    );
    let ours = day(&h, &desk, &format!("date={DAY}")).await;
    assert_eq!(ids(&ours), [id.as_str()]);
    let same = read(&h, &desk, &id).await;
    assert_eq!(same.headers["etag"], "\"1\"");
    assert_eq!(same.json["status"], "scheduled");
    assert_eq!(same.json["start"], "2027-03-15T09:00:00-04:00");
    let a = day(&h, &theirs, "date=2027-03-15").await;
    assert_eq!(ids(&a), Vec::<String>::new(), "nothing was booked there");
}

#[tokio::test]
async fn hostile_input_is_refused_by_name_without_echo() {
    let h = Harness::new().await;
    let p = set_up(&h).await;
    let desk = h.login(Role::FrontDesk).await;
    let secret = "Synthetic-Secret-Zebra";
    let with = |member: &str, value: Value| {
        let mut body = booking(&p, &p.op1, &p.dentist, "2027-03-15T09:00", 60);
        body[member] = value;
        body
    };
    let before = h.audit().await.len();
    let cases: Vec<(Value, Option<&str>)> = vec![
        (with("nickname", json!(secret)), None),
        (with("start", json!("2027-03-15T09:03")), Some("start")),
        (
            with("start", json!(format!("{secret}T09:00"))),
            Some("start"),
        ),
        (with("start", json!("2027-03-15T09:00:30")), Some("start")),
        (with("duration_min", json!(7)), Some("duration_min")),
        (with("duration_min", json!(0)), Some("duration_min")),
        (with("duration_min", json!(725)), Some("duration_min")),
        (
            with("pattern", json!(format!("XX{secret}"))),
            Some("pattern"),
        ),
        (
            with("note", json!(format!("{secret}\u{0}note"))),
            Some("note"),
        ),
        (with("note", json!("x".repeat(2001))), Some("note")),
        (with("patient_id", json!(secret)), Some("patient_id")),
        (with("operatory_id", json!(secret)), Some("operatory_id")),
        (
            with("appointment_type_id", json!(secret)),
            Some("appointment_type_id"),
        ),
        (with("status", json!("complete")), Some("status")),
        (with("id", json!(secret)), Some("id")),
    ];
    for (body, expect) in cases {
        let a = book(&h, &desk, body.clone()).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            a.text
        );
        if let Some(member) = expect {
            assert_eq!(field(&a), member, "{body}: {}", a.text);
        }
        assert!(!a.text.contains(secret), "no echo: {}", a.text);
        assert!(!a.text.contains("xxxxxxxx"), "no echo: {}", a.text);
    }
    assert_eq!(
        h.audit().await.len(),
        before,
        "refused before anything was tried"
    );
    let listed = day(&h, &desk, &format!("date={DAY}")).await;
    assert_eq!(ids(&listed), Vec::<String>::new());

    // A note that is fine is kept (sealed) and answered to the desk.
    let a = book(
        &h,
        &desk,
        with("note", json!("Synthetic: prefers mornings.")),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(a.json["note"], "Synthetic: prefers mornings.");
    assert!(
        !h.audit()
            .await
            .iter()
            .any(|e| e.reason.as_deref().is_some_and(|r| r.contains("mornings"))),
        "the note is never audited"
    );
}

#[tokio::test]
async fn resources_are_practice_settings_without_a_step_up() {
    let h = Harness::new().await;
    let p = set_up(&h).await;
    let desk = h.login(Role::FrontDesk).await;
    let me = h.account(Role::FrontDesk).user_id.clone();
    let refused = h
        .call(
            "POST",
            "/api/v1/operatories",
            Some(&desk),
            Some(json!({"name": "Sneaky", "abbreviation": "SN"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let denial = h.audit().await.pop().unwrap();
    assert_eq!(denial.outcome, "denied");
    assert_eq!(denial.actor_id.as_deref(), Some(me.as_str()));
    assert_eq!(denial.record_type.as_deref(), Some("practice_settings"));
    // The desk reads the chairs in schedule order.
    let ops = h
        .call("GET", "/api/v1/operatories", Some(&desk), None)
        .await;
    assert_eq!(ops.status, StatusCode::OK, "{}", ops.text);
    let order: Vec<&str> = ops.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(order, [p.op1.as_str(), p.op2.as_str()]);

    // Long after sign-in the administrator still changes them: no fresh code needed.
    let admin = h.login(Role::PracticeAdministrator).await;
    h.clock.advance_ms(6 * 60 * 1000); // past the step-up window, inside the idle timeout
    let before = h.audit().await.len();
    let op3 = h
        .call(
            "POST",
            "/api/v1/operatories",
            Some(&admin),
            Some(json!({"name": "Operatory Three", "abbreviation": "OP3", "order": 3})),
        )
        .await;
    assert_eq!(op3.status, StatusCode::CREATED, "{}", op3.text);
    assert_eq!(
        entries_since(&h, before).await,
        [triple("create", "operatory", "allowed")]
    );
    let dup = h
        .call(
            "POST",
            "/api/v1/providers",
            Some(&admin),
            Some(
                json!({"family_name": "Other", "given_name": "Dup", "abbreviation": "DS",
                        "colour": "#3366cc", "specialty": "general"}),
            ),
        )
        .await;
    assert_eq!(field(&dup), "abbreviation");

    // A hidden chair takes no bookings.
    let got = h
        .call(
            "GET",
            &format!("/api/v1/operatories/{}", p.op2),
            Some(&admin),
            None,
        )
        .await;
    let mut hidden = got.json.clone();
    hidden["hidden"] = json!(true);
    let a = h
        .call_with(
            "PUT",
            &format!("/api/v1/operatories/{}", p.op2),
            Some(&admin),
            Some(hidden.to_string()),
            &[("content-type", "application/json"), ("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json["hidden"], true);
    let desk = h.login(Role::FrontDesk).await;
    let a = book(
        &h,
        &desk,
        booking(&p, &p.op2, &p.dentist, "2027-03-15T09:00", 30),
    )
    .await;
    assert_eq!(field(&a), "operatory_id");

    // A provider who has left, and a dentist named as the hygienist, are refused by name.
    let gone = created(
        &h,
        &admin,
        "/api/v1/providers",
        json!({"family_name": "Formerly", "given_name": "Fay", "abbreviation": "FF",
               "colour": "#999999", "specialty": "general", "active_to": "2027-03-01"}),
    )
    .await;
    let a = book(
        &h,
        &desk,
        booking(&p, &p.op1, &gone, "2027-03-15T09:00", 30),
    )
    .await;
    assert_eq!(field(&a), "provider_id");
    let mut body = booking(&p, &p.op1, &p.dentist, "2027-03-15T09:00", 30);
    body["hygienist_id"] = json!(p.dentist);
    let a = book(&h, &desk, body).await;
    assert_eq!(field(&a), "hygienist_id");
    let mut body = booking(&p, &p.op1, &p.dentist, "2027-03-15T09:00", 30);
    body["hygienist_id"] = json!(p.hygienist);
    let a = book(&h, &desk, body).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(a.json["hygienist_id"], p.hygienist.as_str());
}

/// The `patient` member is "absent for a caller who may not see the patient's demographics":
/// the front desk may, so every answer about an appointment names whose it is, not only a
/// `GET`.
#[tokio::test]
async fn every_answer_names_the_patient_to_whoever_may_see_demographics() {
    let h = Harness::new().await;
    let p = set_up(&h).await;
    let desk = h.login(Role::FrontDesk).await;
    assert!(Policy::dental_office_default().allows(
        Role::FrontDesk,
        Category::Demographics,
        Action::View
    ));
    let whose = json!({"family_name": "Molar", "given_name": "Testy", "birth_date": "1980-02-03"});
    let a = book(
        &h,
        &desk,
        booking(&p, &p.op1, &p.dentist, "2027-03-15T09:00", 60),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let id = id_of(&a);
    let got = read(&h, &desk, &id).await;
    assert_eq!(got.json["patient"], whose, "GET: {}", got.text);
    let mut body = got.json.clone();
    body["start"] = json!("2027-03-15T11:00");
    let moved = put(&h, &desk, &id, &body, Some("\"1\"")).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    let arrived = set_status(&h, &desk, &id, json!({"status": "arrived"})).await;
    assert_eq!(arrived.status, StatusCode::OK, "{}", arrived.text);
    let missing: Vec<&str> = [("POST", &a), ("PUT", &moved), ("POST status", &arrived)]
        .into_iter()
        .filter(|(_, answer)| answer.json["patient"] != whose)
        .map(|(what, _)| what)
        .collect();
    assert_eq!(
        missing,
        Vec::<&str>::new(),
        "answers without the patient's name the GET shows"
    );
}

/// The OpenAPI document: a booking's `422` names "an operatory, provider or type that is not
/// the practice's, hidden or inactive". A hidden operatory is refused; a hidden type too.
#[tokio::test]
async fn a_hidden_appointment_type_takes_no_new_bookings() {
    let h = Harness::new().await;
    let p = set_up(&h).await;
    let admin = h.login(Role::PracticeAdministrator).await;
    let desk = h.login(Role::FrontDesk).await;
    let kind = h
        .call(
            "GET",
            &format!("/api/v1/appointment-types/{}", p.filling),
            Some(&admin),
            None,
        )
        .await;
    let mut hide = kind.json.clone();
    hide["hidden"] = json!(true);
    let a = h
        .call_with(
            "PUT",
            &format!("/api/v1/appointment-types/{}", p.filling),
            Some(&admin),
            Some(hide.to_string()),
            &[("content-type", "application/json"), ("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json["hidden"], true);
    let before_booking = h.audit().await.len();
    let a = book(
        &h,
        &desk,
        json!({"patient_id": p.patient, "operatory_id": p.op1, "provider_id": p.dentist,
               "appointment_type_id": p.filling, "start": "2027-03-15T13:00"}),
    )
    .await;
    assert_eq!(field(&a), "appointment_type_id", "{}", a.text);
    assert_eq!(h.audit().await.len(), before_booking);
    let listed = day(&h, &desk, &format!("date={DAY}")).await;
    assert_eq!(ids(&listed), Vec::<String>::new(), "nothing booked");
}
