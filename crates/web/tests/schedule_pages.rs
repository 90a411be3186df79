//! The schedule's pages through the real router, signed in as a browser is: the day needs a
//! session and leaves one audit entry; booking and status forms need this session's token and
//! our origin; a clash and a warning are said on the form's page with nothing written (a
//! warning offers to book anyway, a clash does not); a view-only role sees the day but no note
//! and no buttons. In a real browser: browser-tests/test/schedule.test.js.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use common::browser::Browser;
use enamel_app::{Expected, RequestOrigin, SystemReason};
use enamel_domain::Role;
use enamel_domain::scheduling::{AppointmentDraft, OperatoryDraft, ProviderDraft};

struct Chair {
    operatory: String,
    provider: String,
}

/// One operatory and its provider, who works Mondays 08:00–12:00.
#[allow(clippy::disallowed_methods)] // test set-up, as an administrator would through the API
async fn chair(h: &Harness) -> Chair {
    let schedule = h
        .app
        .system_bypassing_policy(h.practice, SystemReason::Import, RequestOrigin::cli())
        .schedule();
    let provider = schedule
        .save_provider(
            None,
            &ProviderDraft {
                family_name: "Synthdent".into(),
                given_name: "Dana".into(),
                abbreviation: "DS".into(),
                colour: "#3366cc".into(),
                specialty: "general".into(),
                working_hours: vec![("monday".into(), "08:00".into(), "12:00".into())],
                ..Default::default()
            },
            Expected::Any,
            &Default::default(),
        )
        .await
        .unwrap();
    let operatory = schedule
        .save_operatory(
            None,
            &OperatoryDraft {
                name: "Operatory One".into(),
                abbreviation: "OP1".into(),
                ..Default::default()
            },
            Expected::Any,
            &Default::default(),
        )
        .await
        .unwrap();
    Chair {
        operatory: operatory.id.to_string(),
        provider: provider.id.to_string(),
    }
}

/// Booked through the room (2027-03-15 is a Monday; the practice is on UTC).
#[allow(clippy::disallowed_methods)] // test set-up, as the desk would through the API
async fn booked(h: &Harness, c: &Chair, patient: &str, start: &str) -> String {
    h.app
        .system_bypassing_policy(h.practice, SystemReason::Import, RequestOrigin::cli())
        .schedule()
        .book(&AppointmentDraft {
            patient_id: patient.into(),
            operatory_id: c.operatory.clone(),
            provider_id: c.provider.clone(),
            start: start.into(),
            duration_min: Some(30),
            note: Some("Synthetic note: bring the old films.".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .id
        .to_string()
}

async fn appointments(h: &Harness) -> usize {
    h.t.db
        .appointments_between(&h.practice.to_string(), 0, i64::MAX / 2)
        .await
        .unwrap()
        .len()
}

fn form<'a>(
    csrf: &'a str,
    patient: &'a str,
    c: &'a Chair,
    time: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("patient_id", patient),
        ("date", "2027-03-15"),
        ("time", time),
        ("operatory_id", &c.operatory),
        ("provider_id", &c.provider),
        ("duration_min", "30"),
    ]
}

#[tokio::test]
async fn the_day_needs_a_session_and_leaves_one_entry() {
    let h = Harness::new().await;
    let c = chair(&h).await;
    let patient = h.patient().await;
    booked(&h, &c, &patient, "2027-03-15T09:00").await;
    let anonymous = h.call("GET", "/schedule?date=2027-03-15", None, None).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers["location"], "/sign-in");
    let desk = Browser::sign_in(&h, Role::FrontDesk).await;
    let before = h.audit().await.len();
    let day = desk.get(&h, "/schedule?date=2027-03-15").await;
    assert_eq!(day.status, StatusCode::OK);
    assert_eq!(day.headers["cache-control"], "no-store");
    assert!(day.text.contains("Operatory One"));
    assert!(day.text.contains("09:00–09:30"), "the block's time");
    let after = h.audit().await;
    assert_eq!(after.len(), before + 1, "one entry for the day");
    assert_eq!(after[before].record_type.as_deref(), Some("schedule"));
    assert_eq!(after[before].record_id.as_deref(), Some("2027-03-15"));
}

#[tokio::test]
async fn booking_needs_the_token_and_our_origin_and_a_clash_is_said_on_the_form() {
    let h = Harness::new().await;
    let c = chair(&h).await;
    let patient = h.patient().await;
    let desk = Browser::sign_in(&h, Role::FrontDesk).await;
    for (csrf, site) in [
        ("forged", "same-origin"),
        (desk.csrf.as_str(), "cross-site"),
    ] {
        let refused = desk
            .post_from(
                &h,
                "/schedule/book",
                &form(csrf, &patient, &c, "09:00"),
                site,
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{site}");
    }
    assert_eq!(appointments(&h).await, 0, "nothing was booked");
    let ok = desk
        .post(
            &h,
            "/schedule/book",
            &form(&desk.csrf, &patient, &c, "09:00"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert_eq!(ok.headers["location"], "/schedule?date=2027-03-15");
    let clash = desk
        .post(
            &h,
            "/schedule/book",
            &form(&desk.csrf, &patient, &c, "09:15"),
        )
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    assert!(
        clash
            .text
            .contains("Operatory One is already booked from 09:00 to 09:30 on 2027-03-15"),
        "{}",
        clash.text
    );
    assert!(
        !clash.text.contains("name=\"acknowledge\""),
        "a clash cannot be booked anyway"
    );
    assert_eq!(appointments(&h).await, 1);
    // Outside the provider's hours: warned, offered to book anyway, and booked when ticked.
    let late = desk
        .post(
            &h,
            "/schedule/book",
            &form(&desk.csrf, &patient, &c, "11:45"),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert!(
        late.text.contains("working hours on Mondays (08:00–12:00)"),
        "{}",
        late.text
    );
    assert!(late.text.contains("name=\"acknowledge\""));
    assert_eq!(appointments(&h).await, 1);
    let mut anyway = form(&desk.csrf, &patient, &c, "11:45");
    anyway.push(("acknowledge", "1"));
    let ok = desk.post(&h, "/schedule/book", &anyway).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert_eq!(appointments(&h).await, 2);
}

#[tokio::test]
async fn status_buttons_move_an_appointment_along_and_a_view_only_role_gets_none() {
    let h = Harness::new().await;
    let c = chair(&h).await;
    let patient = h.patient().await;
    let id = booked(&h, &c, &patient, "2027-03-15T09:00").await;
    let page = format!("/schedule/appointments/{id}");
    let desk = Browser::sign_in(&h, Role::FrontDesk).await;
    let shown = desk.get(&h, &page).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(
        shown.text.contains("bring the old films"),
        "the desk sees the note"
    );
    assert!(shown.text.contains("Check in (arrived)"));
    let status = format!("{page}/status");
    let arrived = desk
        .post(
            &h,
            &status,
            &[
                ("csrf", &desk.csrf),
                ("version", "1"),
                ("status", "arrived"),
            ],
        )
        .await;
    assert_eq!(arrived.status, StatusCode::SEE_OTHER, "{}", arrived.text);
    // A stale version (the page was open before the check-in) is said, and nothing changes.
    let stale = desk
        .post(
            &h,
            &status,
            &[
                ("csrf", &desk.csrf),
                ("version", "1"),
                ("status", "cancelled"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale.text.contains("changed this appointment meanwhile"),
        "{}",
        stale.text
    );
    let now = desk.get(&h, &page).await;
    assert!(
        now.text.contains("<dt>Status</dt><dd>Arrived</dd>"),
        "{}",
        now.text
    );
    // Billing sees the schedule, not the note, and no buttons or move form.
    let billing = Browser::sign_in(&h, Role::Billing).await;
    let theirs = billing.get(&h, &page).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(!theirs.text.contains("bring the old films"));
    assert!(!theirs.text.contains("/status\""));
    assert!(!theirs.text.contains("id=\"h-move\""));
    // And its forms are refused all the same.
    let refused = billing
        .post(
            &h,
            &status,
            &[
                ("csrf", &billing.csrf),
                ("version", "2"),
                ("status", "in_chair"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
