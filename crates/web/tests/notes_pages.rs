//! The clinical notes page through the real router, signed in the way a browser is: no page
//! without a session, no change without this session's anti-forgery token and our own origin,
//! one audit entry per page view, nothing cacheable; a note written from a template, signed,
//! and given an addendum, each block saying who signed and when; a signature changed in the
//! database shown as not holding; problems next to their field; a hygienist's diagnosis saved
//! but not signed; roles that never read a note. In a real browser:
//! browser-tests/test/notes.test.js.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use common::browser::Browser;
use enamel_app::{Expected, RequestOrigin, SystemReason};
use enamel_domain::Role;
use enamel_domain::clinical::NoteDraft;

fn notes(patient: &str) -> String {
    format!("/patients/{patient}/notes")
}

/// A note written (and signed when `sign`) by the system, as the CLI would.
#[allow(clippy::disallowed_methods)] // test set-up records data as the CLI would
async fn seed_note(h: &Harness, patient: &str, body: &str, sign: bool) -> String {
    let system =
        h.app
            .system_bypassing_policy(h.practice, SystemReason::DemoData, RequestOrigin::cli());
    let chart = system.chart();
    let view = chart
        .write_note(
            patient.parse().unwrap(),
            &NoteDraft {
                kind: "progress".into(),
                body: body.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    if sign {
        chart
            .sign_note(view.id, Expected::Version(view.row_version))
            .await
            .unwrap();
    }
    view.id.to_string()
}

/// The text of the element with `id` (up to its first closing tag).
fn element<'a>(page: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no element {id}"));
    let start = page[..at].rfind('<').unwrap();
    let tag: String = page[start + 1..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let end = at + page[at..].find(&format!("</{tag}>")).unwrap();
    &page[start..end]
}

fn location(answer: &common::Answer) -> String {
    answer.headers["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn without_a_session_the_notes_send_the_browser_to_sign_in() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let note = seed_note(&h, &patient, "Synthetic note text.", false).await;
    for (method, path) in [
        ("GET", notes(&patient)),
        ("POST", notes(&patient)),
        ("POST", format!("{}/templates", notes(&patient))),
        ("POST", format!("{}/{note}", notes(&patient))),
        ("POST", format!("{}/{note}/sign", notes(&patient))),
        ("POST", format!("{}/{note}/addenda", notes(&patient))),
    ] {
        let answer = h
            .call_with(
                method,
                &path,
                None,
                Some("csrf=x&kind=progress&body=forged&row_version=1".into()),
                &[("content-type", "application/x-www-form-urlencoded")],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{method} {path}");
        assert_eq!(answer.headers["location"], "/sign-in", "{method} {path}");
        assert!(!answer.text.contains("Synthetic note text"));
    }
}

#[tokio::test]
async fn changes_need_the_session_token_and_our_origin() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let draft = seed_note(&h, &patient, "Synthetic draft.", false).await;
    let signed = seed_note(&h, &patient, "Synthetic signed.", true).await;
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    let before = h.audit().await.len();
    for (csrf, site) in [
        ("forged", "same-origin"),
        ("", "same-origin"),
        (dentist.csrf.as_str(), "cross-site"),
    ] {
        for path in [
            notes(&patient),
            format!("{}/templates", notes(&patient)),
            format!("{}/{draft}", notes(&patient)),
            format!("{}/{draft}/sign", notes(&patient)),
            format!("{}/{signed}/addenda", notes(&patient)),
        ] {
            let refused = dentist
                .post_from(
                    &h,
                    &path,
                    &[
                        ("csrf", csrf),
                        ("kind", "progress"),
                        ("name", "Forged"),
                        ("body", "Synthetic forged text."),
                        ("row_version", "1"),
                    ],
                    site,
                )
                .await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path} {site}");
        }
    }
    assert_eq!(
        h.audit().await.len(),
        before,
        "a refused form reaches no record"
    );
    let page = dentist.get(&h, &notes(&patient)).await;
    assert!(!page.text.contains("Synthetic forged text"));
    assert!(
        page.text.contains("Draft: not signed yet."),
        "the draft stays a draft"
    );
}

#[tokio::test]
async fn a_dentist_writes_from_a_template_signs_and_adds_an_addendum() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    let csrf = dentist.csrf.clone();

    // One view, one entry; nothing cached; no inline script.
    let before = h.audit().await.len();
    let page = dentist.get(&h, &notes(&patient)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(
        (
            entries[0].action.as_str(),
            entries[0].record_type.as_deref(),
            entries[0].patient_id.as_deref()
        ),
        ("view", Some("chart"), Some(patient.as_str()))
    );
    assert_eq!(page.headers["cache-control"], "no-store");
    assert!(!page.text.contains("<script>") && !page.text.contains("style="));
    assert!(page.text.contains("No note yet."));
    // Whose notes they are, read under the page's one entry.
    assert!(
        page.text
            .contains(r#"<span id="patient-name">Molar, Testy (born 1980-02-03)</span>"#)
    );

    // A template for the practice, then chosen for a note (without the script, by reloading).
    let added = dentist
        .post(
            &h,
            &format!("{}/templates", notes(&patient)),
            &[
                ("csrf", &csrf),
                ("name", "Recall visit"),
                ("kind", "progress"),
                (
                    "body",
                    "Demo template (synthetic): recall visit, no concerns.",
                ),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
    let with_template = dentist.get(&h, &location(&added)).await;
    assert!(with_template.text.contains("The template is added."));
    assert!(
        with_template
            .text
            .contains(">Demo template (synthetic): recall visit, no concerns.</textarea>"),
        "the write form holds the template's text"
    );

    // Written and signed at once: two changes (the note, its signature).
    let before = h.audit().await.len();
    let written = dentist
        .post(
            &h,
            &notes(&patient),
            &[
                ("csrf", &csrf),
                ("kind", "progress"),
                (
                    "body",
                    "Synthetic: recall visit, no concerns.\r\nHome care reviewed.",
                ),
                ("then", "sign"),
            ],
        )
        .await;
    assert_eq!(written.status, StatusCode::SEE_OTHER, "{}", written.text);
    let to = location(&written);
    assert!(to.contains("?done=signed#note-"), "{to}");
    let note = to.rsplit("#note-").next().unwrap().to_string();
    // (The practice's first signature also makes its record-signing key, with its own entry.)
    let entries: Vec<_> = h
        .audit()
        .await
        .split_off(before)
        .into_iter()
        .filter(|e| e.action != "key_rotation")
        .collect();
    assert_eq!(entries.len(), 2, "{entries:#?}");
    assert_eq!(
        (entries[0].action.as_str(), entries[1].action.as_str()),
        ("create", "update")
    );

    let page = dentist.get(&h, &notes(&patient)).await;
    let signature = element(&page.text, &format!("note-{note}-signature"));
    assert!(
        signature.contains("class=\"signature sig-valid\""),
        "{signature}"
    );
    assert!(signature.contains("Signed by you on "), "{signature}");
    assert!(signature.contains("The signature holds"), "{signature}");
    assert!(
        page.text
            .contains("Synthetic: recall visit, no concerns.\nHome care reviewed.")
    );
    assert!(
        !page.text.contains("Edit or sign the draft"),
        "a signed note has no edit form"
    );

    // An addendum: signed by its author as it is saved.
    let annotated = dentist
        .post(
            &h,
            &format!("{}/{note}/addenda", notes(&patient)),
            &[
                ("csrf", &csrf),
                ("body", "Synthetic addendum: patient called back."),
            ],
        )
        .await;
    assert_eq!(
        annotated.status,
        StatusCode::SEE_OTHER,
        "{}",
        annotated.text
    );
    let page = dentist.get(&h, &location(&annotated)).await;
    assert!(page.text.contains("The addendum is signed and saved."));
    assert!(page.text.contains("Addendum by you on "));
    assert!(
        page.text
            .contains("Synthetic addendum: patient called back.")
    );
    assert!(
        page.text
            .contains("Signed by its author when written. The signature holds.")
    );

    // A change posted to the signed note anyway is refused by the room.
    let refused = dentist
        .post(
            &h,
            &format!("{}/{note}", notes(&patient)),
            &[
                ("csrf", &csrf),
                ("kind", "progress"),
                ("body", "Synthetic rewrite."),
                ("row_version", "2"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused
            .text
            .contains("This note is signed and can no longer change")
    );
    assert!(!refused.text.contains("Synthetic rewrite."));

    let js = dentist.get(&h, "/static/notes.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(!js.text.contains("localStorage") && !js.text.contains("sessionStorage"));
}

#[tokio::test]
async fn a_signature_changed_in_the_database_is_shown_as_not_holding() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let note = seed_note(&h, &patient, "Synthetic signed text.", true).await;
    let good = seed_note(&h, &patient, "Synthetic untouched text.", true).await;
    // What someone with the database's owner rights could do.
    let drop = match &h.t.db {
        enamel_store::Db::Sqlite(..) => "DROP TRIGGER clinical_notes_refuse_signed_update",
        enamel_store::Db::Postgres(_) => {
            "DROP TRIGGER clinical_notes_refuse_signed_update ON clinical_notes"
        }
    };
    enamel_testkit::raw_sql(&h.t.db, drop).await.unwrap();
    enamel_testkit::raw_sql(
        &h.t.db,
        &format!("UPDATE clinical_notes SET signed_ms = signed_ms + 1 WHERE id = '{note}'"),
    )
    .await
    .unwrap();
    let hygienist = Browser::sign_in(&h, Role::Hygienist).await;
    let page = hygienist.get(&h, &notes(&patient)).await;
    assert_eq!(page.status, StatusCode::OK);
    let bad = element(&page.text, &format!("note-{note}-signature"));
    assert!(bad.contains("class=\"signature sig-invalid\""), "{bad}");
    assert!(bad.contains("role=\"alert\""));
    assert!(bad.contains("THE SIGNATURE DOES NOT HOLD"), "{bad}");
    assert!(bad.contains("Signed by the system on "));
    assert!(page.text.contains(&format!(
        "<article class=\"note-card sig-card-invalid\" id=\"note-{note}\""
    )));
    let fine = element(&page.text, &format!("note-{good}-signature"));
    assert!(fine.contains("sig-valid") && fine.contains("The signature holds"));
}

#[tokio::test]
async fn drafts_problems_and_who_signs_a_diagnosis() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let hygienist = Browser::sign_in(&h, Role::Hygienist).await;
    let csrf = hygienist.csrf.clone();

    // An empty text: named next to the field, what was chosen kept, nothing saved.
    let before = h.audit().await.len();
    let bad = hygienist
        .post(
            &h,
            &notes(&patient),
            &[("csrf", &csrf), ("kind", "diagnosis"), ("body", "   ")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(
        bad.text
            .contains(r#"<p class="field-error" id="new-body-error">Text is required"#),
        "{}",
        bad.text
    );
    assert!(
        bad.text
            .contains(r##"<a href="#new-body">Text is required"##)
    );
    assert!(bad.text.contains(r#"<option value="diagnosis" selected>"#));
    let body = element(&bad.text, "new-body");
    assert!(body.contains("aria-invalid=\"true\"") && body.contains("autofocus"));
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "only the page's view: {entries:#?}");

    // A hygienist's diagnosis is saved, but only a dentist signs it.
    let diagnosis = hygienist
        .post(
            &h,
            &notes(&patient),
            &[
                ("csrf", &csrf),
                ("kind", "diagnosis"),
                ("body", "Synthetic diagnosis text."),
                ("then", "sign"),
            ],
        )
        .await;
    assert_eq!(diagnosis.status, StatusCode::CONFLICT, "{}", diagnosis.text);
    assert!(diagnosis.text.contains(
        "The note is saved as a draft but not signed. Only a dentist signs a diagnosis."
    ));
    assert!(diagnosis.text.contains("Draft: not signed yet."));

    // The author edits the draft (the version the page showed); a stale one is refused.
    let page = hygienist.get(&h, &notes(&patient)).await;
    assert!(page.text.contains("Edit or sign the draft"));
    let note = page
        .text
        .split("<article class=\"note-card sig-card-unsigned\" id=\"note-")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let edit = |version: &'static str, body: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("kind", "progress".to_string()),
            ("body", body.to_string()),
            ("procedure_id", String::new()),
            ("row_version", version.to_string()),
        ]
    };
    let pairs = edit("1", "Synthetic progress text, rewritten.");
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = hygienist
        .post(&h, &format!("{}/{note}", notes(&patient)), &pairs)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let stale = hygienist
        .post(&h, &format!("{}/{note}", notes(&patient)), &pairs)
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.text.contains("Someone else changed this note"));
    let page = hygienist.get(&h, &notes(&patient)).await;
    assert!(page.text.contains("Synthetic progress text, rewritten."));

    // A dentist sees someone else's draft with "Sign this draft" (no edit form), and signs it.
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    let page = dentist.get(&h, &notes(&patient)).await;
    assert!(!page.text.contains("Edit or sign the draft"));
    assert!(page.text.contains("Sign this draft"));
    assert!(
        page.text
            .contains("Written by another staff member (account ")
    );
    let signed = dentist
        .post(
            &h,
            &format!("{}/{note}/sign", notes(&patient)),
            &[("csrf", &dentist.csrf), ("row_version", "2")],
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.text);
    let page = hygienist.get(&h, &notes(&patient)).await;
    let signature = element(&page.text, &format!("note-{note}-signature"));
    assert!(
        signature.contains("Signed by another staff member (account "),
        "{signature}"
    );
}

#[tokio::test]
async fn roles_that_never_read_a_note_are_refused() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    seed_note(&h, &patient, "Synthetic private text.", true).await;
    for role in [
        Role::FrontDesk,
        Role::Billing,
        Role::OfficeManager,
        Role::ComplianceOfficer,
        Role::PracticeAdministrator,
    ] {
        let browser = Browser::sign_in(&h, role).await;
        let before = h.audit().await.len();
        let page = browser.get(&h, &notes(&patient)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{role:?}");
        assert!(!page.text.contains("Synthetic private text"));
        let entries = h.audit().await.split_off(before);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].outcome, "denied");
    }
    // An assistant reads and writes, but signs nothing (no "Save and sign").
    let assistant = Browser::sign_in(&h, Role::DentalAssistant).await;
    let page = assistant.get(&h, &notes(&patient)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Synthetic private text."));
    assert!(page.text.contains("id=\"new-save\""));
    assert!(!page.text.contains("id=\"new-sign\""));
    assert!(!page.text.contains("Add a template"));
}
