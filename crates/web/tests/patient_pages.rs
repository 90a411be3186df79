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
        ("POST", "/patients".to_string()),
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

    // Opening the search page searches nothing; a search is one entry, and one per patient shown.
    let before = h.audit().await.len();
    let page = fd.get(&h, "/patients").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        h.audit().await.len(),
        before,
        "an empty search page is not a search"
    );
    let found = fd
        .post(&h, "/patients", &[("csrf", &fd.csrf), ("name", "mol")])
        .await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.text.contains(&format!("href=\"/patients/{id}\"")));
    let entries = h.audit().await.split_off(before);
    assert_eq!(
        entries.len(),
        2,
        "the search and the patient shown: {entries:#?}"
    );
    assert!(entries.iter().all(|e| e.action == "search"));
    assert_eq!(entries[1].patient_id.as_deref(), Some(id.as_str()));

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

#[tokio::test]
async fn l6_the_search_is_posted_and_its_pages_carry_no_query_in_the_address() {
    let h = Harness::new().await;
    let fd = Browser::sign_in(&h, Role::FrontDesk).await;
    for _ in 0..27 {
        h.patient().await;
    }
    let form = fd.get(&h, "/patients").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.text
            .contains(r#"<form method="post" action="/patients" id="find""#),
        "{}",
        form.text
    );
    assert!(
        form.text
            .contains(&format!(r#"name="csrf" value="{}""#, fd.csrf))
    );

    // A name in the address searches nothing (no old link or bookmark keeps working as one).
    let before = h.audit().await.len();
    let by_link = fd.get(&h, "/patients?name=molar").await;
    assert_eq!(by_link.status, StatusCode::OK);
    assert!(!by_link.text.contains("patient-results"));
    assert_eq!(h.audit().await.len(), before, "nothing was searched");

    // The search is posted with the session's token; a forged one is refused.
    let forged = fd
        .post(&h, "/patients", &[("csrf", "forged"), ("name", "molar")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let first = fd
        .post(
            &h,
            "/patients",
            &[
                ("csrf", &fd.csrf),
                ("name", "molar"),
                ("birth_date", "1980-02-03"),
            ],
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert!(
        first.text.contains("27 patients match; showing 1 to 25."),
        "{}",
        first.text
    );
    // Paging posts the same form again: the pager holds positions (patient ids), never the
    // query.
    let next_button = r#"<button type="submit" form="find" name="page" value=""#;
    let trail = first
        .text
        .split(next_button)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a next-page button")
        .to_string();
    assert!(
        trail.starts_with("w.") && trail.len() == 38,
        "one position: the last patient of page 1 ({trail})"
    );
    for answer in [&form, &first] {
        assert!(
            !answer.text.contains("href=\"/patients?"),
            "{}",
            answer.text
        );
        assert!(!answer.text.contains("name=molar"));
        assert!(!answer.text.contains("birth_date=1980"));
    }
    let second = fd
        .post(
            &h,
            "/patients",
            &[
                ("csrf", &fd.csrf),
                ("name", "molar"),
                ("birth_date", "1980-02-03"),
                ("page", &trail),
            ],
        )
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    assert!(second.text.contains("showing 26 to 27"), "{}", second.text);
    assert!(
        second
            .text
            .contains(r#"name="page" value="" class="secondary">Previous page"#),
        "{}",
        second.text
    );
    assert!(!second.text.contains("Next page"));
    assert!(!second.text.contains("href=\"/patients?"));
    // A made-up trail is named, and searches nothing.
    let before = h.audit().await.len();
    let forged = fd
        .post(
            &h,
            "/patients",
            &[("csrf", &fd.csrf), ("name", "molar"), ("page", "9,x")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        forged.text.contains("can no longer be found"),
        "{}",
        forged.text
    );
    assert_eq!(h.audit().await.len(), before);
}

#[tokio::test]
async fn l2_the_search_page_offers_phone_only_to_roles_with_contact_access() {
    let h = Harness::new().await;
    let fd = Browser::sign_in(&h, Role::FrontDesk).await;
    let co = Browser::sign_in(&h, Role::ComplianceOfficer).await;
    assert!(
        fd.get(&h, "/patients")
            .await
            .text
            .contains(r#"id="find-phone""#)
    );
    let page = co.get(&h, "/patients").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains(r#"id="find-phone""#), "{}", page.text);
    // A hand-made post with a phone is refused all the same.
    let probe = co
        .post(
            &h,
            "/patients",
            &[("csrf", &co.csrf), ("phone", "555 010 0101")],
        )
        .await;
    assert_eq!(probe.status, StatusCode::FORBIDDEN);
}
