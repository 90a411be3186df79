//! The staff pages for patient records through the real router, signed in the way a browser
//! is (password, code, session cookie): no page without a session, no change without this
//! session's anti-forgery token and our own origin, one audit entry per read or change, and
//! nothing an answer carries may be cached. What people see and do on these pages is tested in
//! a real browser: browser-tests/test/patients.test.js.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use common::browser::Browser;

use enamel_domain::Role;

fn new_patient<'a>(csrf: &'a str, phone: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("show_contact", "yes"),
        ("show_insurance", "yes"),
        ("family_name", "Bicuspid-Test"),
        ("given_name", "Pagey"),
        ("birth_date", "1990-01-02"),
        ("phone1_kind", "mobile"),
        ("phone1_number", ""),
        ("phone2_kind", "home"),
        ("phone2_number", phone),
        ("cov1_priority", "primary"),
        ("cov1_carrier", "Synthetic Dental Mutual"),
        ("cov1_subscriber_id", "SYN42"),
        ("cov1_subscriber_relationship", "self"),
    ]
}

async fn count(h: &Harness) -> i64 {
    h.t.db
        .count_patients(&h.practice.to_string())
        .await
        .unwrap()
}

#[tokio::test]
async fn without_a_session_every_patient_page_sends_the_browser_to_sign_in() {
    let h = Harness::new().await;
    let id = h.patient().await;
    for (method, path) in [
        ("GET", "/patients".to_string()),
        ("GET", "/patients?name=molar".to_string()),
        ("GET", "/patients/new".to_string()),
        ("POST", "/patients/new".to_string()),
        ("GET", format!("/patients/{id}")),
        ("GET", format!("/patients/{id}/edit")),
        ("POST", format!("/patients/{id}/edit")),
        ("POST", format!("/patients/{id}/deactivate")),
    ] {
        let answer = h
            .call_with(
                method,
                &path,
                None,
                Some("csrf=x".into()),
                &[("content-type", "application/x-www-form-urlencoded")],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{method} {path}");
        assert_eq!(answer.headers["location"], "/sign-in", "{method} {path}");
        assert!(!answer.text.contains("Molar"), "{method} {path}");
    }
}

#[tokio::test]
async fn changes_need_the_session_token_and_our_origin() {
    let h = Harness::new().await;
    let fd = Browser::sign_in(&h, Role::FrontDesk).await;
    let before = count(&h).await;

    for (csrf, site) in [("forged", "same-origin"), (fd.csrf.as_str(), "cross-site")] {
        let refused = fd
            .post_from(
                &h,
                "/patients/new",
                &new_patient(csrf, "555 010 0101"),
                site,
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{site}: {}",
            refused.text
        );
        assert!(refused.text.contains("Not available to your role"));
    }
    assert_eq!(count(&h).await, before, "nothing was created");

    let created = fd
        .post(&h, "/patients/new", &new_patient(&fd.csrf, "555 010 0101"))
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    let location = created.headers["location"].to_str().unwrap().to_string();
    let id = location
        .strip_prefix("/patients/")
        .and_then(|l| l.strip_suffix("?done=created"))
        .unwrap()
        .to_string();
    assert_eq!(count(&h).await, before + 1);

    let edit = format!("/patients/{id}/edit");
    let mut changed = new_patient("forged", "555 010 0101");
    changed.push(("row_version", "1"));
    changed.push(("preferred_name", "Forged"));
    let refused = fd.post(&h, &edit, &changed).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let deactivate = format!("/patients/{id}/deactivate");
    let refused = fd
        .post(&h, &deactivate, &[("csrf", "forged"), ("row_version", "1")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = fd
        .post_from(
            &h,
            &deactivate,
            &[("csrf", &fd.csrf), ("row_version", "1")],
            "cross-site",
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let sheet = fd.get(&h, &format!("/patients/{id}")).await;
    assert_eq!(sheet.status, StatusCode::OK);
    assert!(
        !sheet.text.contains("Forged"),
        "the forged edit changed nothing"
    );
    assert!(sheet.text.contains("Record version 1,"));
    assert!(sheet.text.contains(">Active<"));
    assert!(sheet.text.contains("(555) 010-0101"));
}

#[tokio::test]
async fn reads_and_changes_leave_one_audit_entry_each_and_are_never_cached() {
    let h = Harness::new().await;
    let fd = Browser::sign_in(&h, Role::FrontDesk).await;
    let id = h.patient().await;

    // Opening the search page searches nothing; a search is one entry.
    let before = h.audit().await.len();
    let page = fd.get(&h, "/patients").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        h.audit().await.len(),
        before,
        "an empty search page is not a search"
    );
    let found = fd.get(&h, "/patients?name=mol").await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.text.contains(&format!("href=\"/patients/{id}\"")));
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0].action, "search");

    let before = h.audit().await.len();
    let sheet = fd.get(&h, &format!("/patients/{id}")).await;
    assert_eq!(sheet.status, StatusCode::OK);
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(
        (entries[0].action.as_str(), entries[0].outcome.as_str()),
        ("view", "allowed")
    );

    // A refused change (a bad phone) writes nothing and names the field.
    let before = h.audit().await.len();
    let bad = fd
        .post(&h, "/patients/new", &new_patient(&fd.csrf, "555-01"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text.contains("id=\"phone2_number-error\""),
        "{}",
        bad.text
    );
    assert!(bad.text.contains("href=\"#phone2_number\""));
    assert_eq!(h.audit().await.len(), before);

    let stale = {
        let mut fields = new_patient(&fd.csrf, "555 010 0101");
        fields.push(("row_version", "7"));
        fd.post(&h, &format!("/patients/{id}/edit"), &fields).await
    };
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale
            .text
            .contains("Someone else changed this record while you were editing.")
    );
    assert!(stale.text.contains("name=\"row_version\" value=\"1\""));

    for answer in [&page, &found, &sheet, &bad, &stale] {
        assert_eq!(answer.headers["cache-control"], "no-store");
    }
    let edit = fd.get(&h, &format!("/patients/{id}/edit")).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert_eq!(edit.headers["cache-control"], "no-store");
    assert!(edit.text.contains("autocomplete=\"off\""));
}
