//! The chart page through the real router, signed in the way a browser is: no page without a
//! session, no change without this session's anti-forgery token and our own origin, one audit
//! entry per page view, nothing cacheable, what the billing view leaves out, problems next to
//! their fields, and the practice's tooth numbering. Keyboard use and the drawing in a real
//! browser: browser-tests/test/chart.test.js.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use common::browser::Browser;
use enamel_app::{ChartSettings, RequestOrigin, SystemReason};
use enamel_domain::Role;
use enamel_domain::clinical::{Numbering, ProcedureDraft};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn chart(patient: &str) -> String {
    format!("/patients/{patient}/chart")
}

async fn procedures(h: &Harness, patient: &str) -> usize {
    h.t.db
        .procedures_of(&h.practice.to_string(), patient)
        .await
        .unwrap()
        .len()
}

/// Charts `draft` on `patient` as the system would (test set-up).
#[allow(clippy::disallowed_methods)] // test set-up seeds data as the CLI would
async fn seed(h: &Harness, patient: &str, draft: ProcedureDraft) -> String {
    h.app
        .system_bypassing_policy(h.practice, SystemReason::DemoData, RequestOrigin::cli())
        .chart()
        .create(patient.parse().unwrap(), &draft)
        .await
        .unwrap()
        .id
        .to_string()
}

#[allow(clippy::disallowed_methods)] // test set-up changes a setting as an administrator would
async fn set_numbering(h: &Harness, numbering: Numbering) {
    h.app
        .system_bypassing_policy(h.practice, SystemReason::Import, RequestOrigin::cli())
        .chart()
        .set_settings(ChartSettings {
            numbering,
            lock_hours: 24,
        })
        .await
        .unwrap();
}

fn filling<'a>(csrf: &'a str, surfaces: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("tooth", "3"),
        ("surfaces", surfaces),
        ("code", "X2120"),
        ("area", ""),
        ("teeth_from", ""),
        ("teeth_to", ""),
        ("status", "planned"),
        ("note", "Synthetic page note: watch the margin."),
    ]
}

/// The `aria-label` of a drawn tooth (`data-tooth` is its Universal number).
fn tooth_label(page: &str, universal: &str) -> String {
    let marker = format!("data-tooth=\"{universal}\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no tooth {universal}"));
    let rest = &page[at..];
    let start = rest.find("aria-label=\"").unwrap() + "aria-label=\"".len();
    let end = start + rest[start..].find('"').unwrap();
    rest[start..end].to_string()
}

#[tokio::test]
async fn without_a_session_the_chart_sends_the_browser_to_sign_in() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let procedure = h.procedure(&patient).await;
    for (method, path) in [
        ("GET", chart(&patient)),
        ("GET", format!("{}?as_of=2026-01-01", chart(&patient))),
        ("POST", chart(&patient)),
        ("POST", format!("{}/{procedure}/complete", chart(&patient))),
        (
            "POST",
            format!("{}/{procedure}/entered-in-error", chart(&patient)),
        ),
        ("POST", format!("{}/{procedure}/addenda", chart(&patient))),
    ] {
        let answer = h
            .call_with(
                method,
                &path,
                None,
                Some("csrf=x&body=x".into()),
                &[("content-type", "application/x-www-form-urlencoded")],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{method} {path}");
        assert_eq!(answer.headers["location"], "/sign-in", "{method} {path}");
        assert!(!answer.text.contains("Synthetic note"), "{method} {path}");
    }
    assert_eq!(procedures(&h, &patient).await, 1, "nothing was charted");
}

#[tokio::test]
async fn changes_need_the_session_token_and_our_origin() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let procedure = h.procedure(&patient).await;
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    let before = h.audit().await.len();

    for (csrf, site) in [
        ("forged", "same-origin"),
        ("", "same-origin"),
        (dentist.csrf.as_str(), "cross-site"),
    ] {
        let refused = dentist
            .post_from(&h, &chart(&patient), &filling(csrf, "MO"), site)
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{site} {csrf:?}");
        assert!(refused.text.contains("Not available to your role"));
        for (action, field) in [
            ("complete", ("completed_on", "")),
            ("entered-in-error", ("reason", "Synthetic reason")),
            ("addenda", ("body", "Synthetic forged addendum")),
        ] {
            let path = format!("{}/{procedure}/{action}", chart(&patient));
            let refused = dentist
                .post_from(
                    &h,
                    &path,
                    &[("csrf", csrf), ("row_version", "1"), field],
                    site,
                )
                .await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path} {site}");
        }
    }
    assert_eq!(procedures(&h, &patient).await, 1, "nothing was charted");
    assert_eq!(
        h.audit().await.len(),
        before,
        "a refused form reaches no record"
    );
    let page = dentist.get(&h, &chart(&patient)).await;
    assert!(page.text.contains("Planned"));
    assert!(!page.text.contains("Synthetic forged addendum"));
    assert!(!page.text.contains("Entered in error because"));
}

#[tokio::test]
async fn each_page_view_is_one_audit_entry_and_nothing_is_cached() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    h.procedure(&patient).await;
    let dentist = Browser::sign_in(&h, Role::Dentist).await;

    let before = h.audit().await.len();
    let page = dentist.get(&h, &chart(&patient)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(
        (
            entries[0].action.as_str(),
            entries[0].outcome.as_str(),
            entries[0].record_type.as_deref(),
            entries[0].patient_id.as_deref(),
        ),
        ("view", "allowed", Some("chart"), Some(patient.as_str()))
    );
    assert_eq!(page.headers["cache-control"], "no-store");
    assert!(
        page.text.contains("Molar, Testy (born 1980-02-03)"),
        "the heading says whose chart it is, under the same single entry"
    );
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert!(!page.text.contains("<script>"), "no inline script");
    assert!(
        page.text
            .contains(r#"<script src="/static/chart.js" defer>"#)
    );
    assert!(page.text.contains("autocomplete=\"off\""));

    // Charting: the create, then the page it leads to, one entry each.
    let before = h.audit().await.len();
    let charted = dentist
        .post(&h, &chart(&patient), &filling(&dentist.csrf, "DO"))
        .await;
    assert_eq!(charted.status, StatusCode::SEE_OTHER, "{}", charted.text);
    assert_eq!(
        charted.headers["location"].to_str().unwrap(),
        format!("{}?done=charted", chart(&patient))
    );
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(
        (
            entries[0].action.as_str(),
            entries[0].record_type.as_deref()
        ),
        ("create", Some("procedure"))
    );
    let shown = dentist
        .get(&h, &format!("{}?done=charted", chart(&patient)))
        .await;
    assert!(shown.text.contains("Charted."));
    assert!(
        tooth_label(&shown.text, "3")
            .contains("occlusal and distal: planned Demo: filling, two surfaces")
    );
    // A past day's chart is one view too.
    let before = h.audit().await.len();
    let past = dentist
        .get(&h, &format!("{}?as_of=2026-01-01", chart(&patient)))
        .await;
    assert_eq!(past.status, StatusCode::OK);
    assert_eq!(h.audit().await.len(), before + 1);
    for answer in [&charted, &shown, &past] {
        assert_eq!(answer.headers["cache-control"], "no-store");
    }

    // The script is served with the same headers as the page.
    let js = dentist.get(&h, "/static/chart.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(
        js.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(!js.text.contains("localStorage") && !js.text.contains("sessionStorage"));
}

#[tokio::test]
async fn the_odontogram_says_what_is_charted_on_each_tooth() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    h.procedure(&patient).await;
    seed(
        &h,
        &patient,
        ProcedureDraft {
            code: "X7110".into(),
            tooth: Some("17".into()),
            status: Some("completed".into()),
            ..Default::default()
        },
    )
    .await;
    seed(
        &h,
        &patient,
        ProcedureDraft {
            code: "X1410".into(),
            area: Some("UR".into()),
            ..Default::default()
        },
    )
    .await;
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    let page = dentist.get(&h, &chart(&patient)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        tooth_label(&page.text, "3"),
        "tooth 3, mesial and occlusal: planned Demo: filling, two surfaces"
    );
    assert_eq!(
        tooth_label(&page.text, "17"),
        "tooth 17, missing, whole tooth: completed Demo: extraction"
    );
    assert_eq!(tooth_label(&page.text, "4"), "tooth 4, nothing charted");
    assert!(page.text.contains(r#"<li class="status-planned"><strong>Upper right quadrant</strong>: Planned, Demo: scaling and root planing</li>"#), "{}", page.text);
    // Every status is told in words in the key, not only by its colour.
    for words in [
        "<strong>Planned</strong>: diagonal stripes",
        "<strong>Completed</strong>: solid",
        "<strong>Condition</strong>: dots",
    ] {
        assert!(page.text.contains(words), "{words}");
    }
    let drawn = page.text.matches("class=\"tooth").count();
    assert_eq!(drawn, 52, "32 permanent and 20 primary teeth");
    assert!(
        page.text
            .contains(r#"data-s="M" data-status="planned" fill="url(#p-planned)""#)
    );
}

#[tokio::test]
async fn a_billing_user_sees_completed_work_and_fees_and_no_notes() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    h.procedure(&patient).await; // planned, with a note
    seed(
        &h,
        &patient,
        ProcedureDraft {
            code: "X2710".into(),
            tooth: Some("14".into()),
            status: Some("completed".into()),
            note: Some("Synthetic crown note: shade A2.".into()),
            ..Default::default()
        },
    )
    .await;
    let billing = Browser::sign_in(&h, Role::Billing).await;
    let page = billing.get(&h, &chart(&patient)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("id=\"billing-notice\""));
    assert!(page.text.contains("Demo: crown"));
    assert!(page.text.contains("$1,200.00"));
    for hidden in [
        "Synthetic crown note",
        "Synthetic note",
        "Demo: filling",
        "Notes and addenda",
        "chart-form",
        "Mark complete",
    ] {
        assert!(!page.text.contains(hidden), "{hidden} shown to billing");
    }
    assert_eq!(page.headers["cache-control"], "no-store");
    // A billing user posting a procedure anyway is refused by the room (and audited).
    let before = h.audit().await.len();
    let refused = billing
        .post(&h, &chart(&patient), &filling(&billing.csrf, "MO"))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0].outcome, "denied");

    // A role that sees no chart at all gets the refusal page, one denied entry.
    let officer = Browser::sign_in(&h, Role::ComplianceOfficer).await;
    let before = h.audit().await.len();
    let refused = officer.get(&h, &chart(&patient)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.text.contains("Demo: crown"));
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0].outcome, "denied");
}

#[tokio::test]
async fn a_bad_surface_is_named_next_to_the_surfaces_field() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let assistant = Browser::sign_in(&h, Role::DentalAssistant).await;
    let before = h.audit().await.len();
    let bad = assistant
        .post(&h, &chart(&patient), &filling(&assistant.csrf, "MI"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let words = "Surfaces: surface I on tooth 3: tooth 3 is a back tooth (use O or B there).";
    assert!(
        bad.text.contains(&format!(
            r#"<p class="field-error" id="surfaces-error">{words}</p>"#
        )),
        "{}",
        bad.text
    );
    assert!(
        bad.text
            .contains(&format!(r##"<a href="#surfaces">{words}</a>"##))
    );
    let input = bad
        .text
        .split("<input type=\"text\" id=\"surfaces\"")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .unwrap();
    assert!(
        input.contains("value=\"MI\""),
        "what was typed is kept: {input}"
    );
    assert!(input.contains("aria-invalid=\"true\""));
    assert!(input.contains("surfaces-error"));
    assert!(input.contains("autofocus"));
    assert!(
        bad.text
            .contains("Synthetic page note: watch the margin.</textarea>")
    );
    assert!(
        bad.text
            .contains(r#"<option value="X2120" data-area="surface" selected>"#)
    );
    assert_eq!(procedures(&h, &patient).await, 0);
    // The page shown again is the one view of the chart; the refused draft left nothing.
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0].action, "view");

    // A code done on the whole mouth ignores the tooth picked on the chart.
    let mut exam = filling(&assistant.csrf, "MO");
    exam[3] = ("code", "X1110");
    let ok = assistant.post(&h, &chart(&patient), &exam).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    let page = assistant.get(&h, &chart(&patient)).await;
    assert!(page.text.contains("<td>Whole mouth</td>"), "{}", page.text);
}

#[tokio::test]
async fn the_fdi_setting_changes_every_tooth_label() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    h.procedure(&patient).await;
    let hygienist = Browser::sign_in(&h, Role::Hygienist).await;
    let universal = hygienist.get(&h, &chart(&patient)).await;
    assert!(universal.text.contains(">Tooth 3 MO<"));
    assert!(universal.text.contains("Tooth numbers: Universal."));

    set_numbering(&h, Numbering::Fdi).await;
    let page = hygienist.get(&h, &chart(&patient)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Tooth numbers: FDI."));
    assert_eq!(
        tooth_label(&page.text, "3"),
        "tooth 16, mesial and occlusal: planned Demo: filling, two surfaces"
    );
    assert_eq!(tooth_label(&page.text, "A"), "tooth 55, nothing charted");
    assert!(
        page.text.contains(">Tooth 16 MO<"),
        "the timeline's site too"
    );
    assert!(
        page.text.contains(r#"<option value="3">16</option>"#),
        "the tooth select"
    );
    let labels: Vec<&str> = page
        .text
        .split("<text class=\"num\"")
        .skip(1)
        .filter_map(|t| t.split('>').nth(1)?.split('<').next())
        .collect();
    assert_eq!(&labels[..3], ["18", "17", "16"]);
    assert_eq!(
        (labels[16], labels[31]),
        ("38", "48"),
        "in Universal order: round the mouth from the upper right"
    );

    // A problem names the tooth as the practice numbers it.
    let bad = hygienist
        .post(&h, &chart(&patient), &filling(&hygienist.csrf, "I"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text.contains(
            "Surfaces: surface I on tooth 16: tooth 16 is a back tooth (use O or B there)."
        ),
        "{}",
        bad.text
    );
}

#[tokio::test]
async fn a_procedure_is_completed_annotated_and_struck_through_the_page() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let id = h.procedure(&patient).await;
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    let base = format!("{}/{id}", chart(&patient));

    let page = dentist.get(&h, &chart(&patient)).await;
    assert!(
        page.text
            .contains(&format!("formaction=\"{base}/complete\""))
    );
    assert!(
        page.text
            .contains("Synthetic note: watch the distal margin.")
    );

    // A stale version is a conflict, shown on the chart as it is now.
    let stale = dentist
        .post(
            &h,
            &format!("{base}/complete"),
            &[
                ("csrf", &dentist.csrf),
                ("row_version", "7"),
                ("completed_on", ""),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    assert!(stale.text.contains("Someone else changed this entry"));
    // A completion date in the future is named next to the row's date field.
    let future = dentist
        .post(
            &h,
            &format!("{base}/complete"),
            &[
                ("csrf", &dentist.csrf),
                ("row_version", "1"),
                ("completed_on", "2999-01-01"),
            ],
        )
        .await;
    assert_eq!(
        future.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        future.text
    );
    assert!(
        future
            .text
            .contains(&format!("id=\"completed_on-{id}-error\""))
    );
    assert!(
        future.text.contains("<details open>"),
        "the row's actions are open"
    );
    assert!(future.text.contains(&format!("id=\"completed_on-{id}\"")));

    let done = dentist
        .post(
            &h,
            &format!("{base}/complete"),
            &[
                ("csrf", &dentist.csrf),
                ("row_version", "1"),
                ("completed_on", ""),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let page = dentist
        .get(&h, &format!("{}?done=completed", chart(&patient)))
        .await;
    assert!(page.text.contains("Marked complete."));
    assert!(tooth_label(&page.text, "3").contains(": completed Demo: filling"));
    assert!(
        page.text.contains("Locks "),
        "open until the lock window passes"
    );
    assert!(
        !page
            .text
            .contains(&format!("formaction=\"{base}/complete\""))
    );

    // An empty addendum is named; a real one is shown with its time.
    let empty = dentist
        .post(
            &h,
            &format!("{base}/addenda"),
            &[("csrf", &dentist.csrf), ("body", "  ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text.contains("Addendum is required."));
    // The same form sent with another patient's address finds no such entry there, and
    // nothing is added.
    let other = h.patient().await;
    let audited = h.audit().await.len();
    let elsewhere = dentist
        .post(
            &h,
            &format!("{}/{id}/addenda", chart(&other)),
            &[("csrf", &dentist.csrf), ("body", "Synthetic: wrong chart")],
        )
        .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::NOT_FOUND,
        "{}",
        elsewhere.text
    );
    let miss = h.audit().await.split_off(audited);
    assert_eq!(miss.len(), 1, "{miss:#?}");
    assert_eq!(miss[0].outcome.as_str(), "failed");
    let added = dentist
        .post(
            &h,
            &format!("{base}/addenda"),
            &[
                ("csrf", &dentist.csrf),
                ("body", "Synthetic addendum <b>bold</b>"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);

    // Locked after the window: the hygienist may no longer strike it, the dentist may.
    h.clock.advance_ms(25 * 60 * 60 * 1000);
    let hygienist = Browser::sign_in(&h, Role::Hygienist).await;
    let page = hygienist.get(&h, &chart(&patient)).await;
    assert!(page.text.contains("Locked"));
    assert!(
        page.text
            .contains("Synthetic addendum &#60;b&#62;bold&#60;/b&#62;"),
        "shown as text: {}",
        page.text
    );
    assert!(
        !page
            .text
            .contains(&format!("formaction=\"{base}/entered-in-error\""))
    );
    assert!(
        page.text
            .contains(&format!("formaction=\"{base}/addenda\"")),
        "addenda stay possible"
    );
    // (The day's wait ended the dentist's session too.)
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    let page = dentist.get(&h, &chart(&patient)).await;
    assert!(
        page.text
            .contains(&format!("formaction=\"{base}/entered-in-error\""))
    );

    let struck = dentist
        .post(
            &h,
            &format!("{base}/entered-in-error"),
            &[
                ("csrf", &dentist.csrf),
                ("row_version", "2"),
                ("reason", "Synthetic reason: wrong tooth."),
            ],
        )
        .await;
    assert_eq!(struck.status, StatusCode::SEE_OTHER, "{}", struck.text);
    let page = dentist.get(&h, &chart(&patient)).await;
    assert!(
        page.text
            .contains(&format!("<tr id=\"proc-{id}\" class=\" eie\"")),
        "{}",
        page.text
    );
    assert!(page.text.contains("Entered in error because"));
    assert!(page.text.contains("Synthetic reason: wrong tooth."));
    assert_eq!(tooth_label(&page.text, "3"), "tooth 3, nothing charted");
    // Striking twice is refused by the room, in its words, on the chart.
    let again = dentist
        .post(
            &h,
            &format!("{base}/entered-in-error"),
            &[
                ("csrf", &dentist.csrf),
                ("row_version", "3"),
                ("reason", "Again."),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again
            .text
            .contains("was marked entered in error and can no longer change")
    );
}

#[tokio::test]
async fn the_chart_of_a_past_day_leaves_out_what_came_later() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    h.procedure(&patient).await;
    let first_day = enamel_domain::PracticeTz::utc()
        .date_of(enamel_domain::Instant::from_unix_ms(
            enamel_app::Clock::now_ms(h.clock.as_ref()),
        ))
        .to_string();
    h.clock.advance_ms(2 * DAY_MS);
    seed(
        &h,
        &patient,
        ProcedureDraft {
            code: "X2710".into(),
            tooth: Some("14".into()),
            ..Default::default()
        },
    )
    .await;
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    let now = dentist.get(&h, &chart(&patient)).await;
    assert!(now.text.contains("Demo: crown"));
    let then = dentist
        .get(&h, &format!("{}?as_of={first_day}", chart(&patient)))
        .await;
    assert_eq!(then.status, StatusCode::OK, "{}", then.text);
    assert!(
        then.text
            .contains(&format!("The chart as it was at the end of {first_day}."))
    );
    assert!(then.text.contains("Demo: filling, two surfaces"));
    assert!(!then.text.contains("Demo: crown"));
    assert!(
        !then.text.contains("id=\"chart-form\""),
        "nothing is charted on a past day"
    );
    assert!(!then.text.contains("Mark complete"));

    for (bad, words) in [
        ("2999-01-01", "That day has not come yet"),
        ("yesterday", "Choose a date written as YYYY-MM-DD"),
    ] {
        let answer = dentist
            .get(&h, &format!("{}?as_of={bad}", chart(&patient)))
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(answer.text.contains(words), "{bad}");
        assert!(answer.text.contains("Demo: crown"), "today's chart instead");
    }
}

#[tokio::test]
async fn the_face_sheet_links_to_the_chart_for_roles_that_see_it() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let link = format!("href=\"/patients/{patient}/chart\"");
    for (role, shown) in [
        (Role::Dentist, true),
        (Role::FrontDesk, true),
        (Role::ComplianceOfficer, false),
    ] {
        let browser = Browser::sign_in(&h, role).await;
        let sheet = browser.get(&h, &format!("/patients/{patient}")).await;
        assert_eq!(sheet.status, StatusCode::OK);
        assert_eq!(sheet.text.contains(&link), shown, "{role:?}");
    }
}

#[tokio::test]
async fn ids_that_are_not_ids_are_not_found() {
    let h = Harness::new().await;
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    let answer = dentist.get(&h, "/patients/not-an-id/chart").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let patient = h.patient().await;
    let answer = dentist
        .post(
            &h,
            &format!("{}/nope/complete", chart(&patient)),
            &[("csrf", &dentist.csrf), ("row_version", "1")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    // Someone else's patient id that does not exist: the room's miss, audited as failed.
    let missing = uuid_like();
    let before = h.audit().await.len();
    let answer = dentist.get(&h, &chart(&missing)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].outcome, "failed");
}

fn uuid_like() -> String {
    "00000000-0000-4000-8000-000000000000".to_string()
}

/// Page size and server time of a chart with 200 entries (docs/benchmarks.md, "The chart
/// page"). Not a check: run it by hand,
/// `cargo test -p enamel-web --test chart_pages measure -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a measurement, run by hand"]
#[allow(clippy::print_stdout)] // its output is the measurement
async fn measure_a_chart_of_200_procedures() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let kinds = [
        ("X2120", Some("MO"), None),
        ("X2130", Some("MOD"), None),
        ("X2710", None, None),
        ("X1110", None, None),
        ("X1410", None, Some("UR")),
    ];
    let statuses = ["planned", "completed", "existing_other", "condition"];
    for i in 0..200usize {
        let (code, surfaces, area) = kinds[i % kinds.len()];
        let tooth = [2u8, 3, 4, 5, 12, 13, 14, 15, 18, 19, 20, 29, 30, 31][i % 14];
        let uses_tooth = code != "X1110" && code != "X1410";
        seed(
            &h,
            &patient,
            ProcedureDraft {
                code: code.into(),
                tooth: uses_tooth.then(|| tooth.to_string()),
                surfaces: surfaces.map(str::to_string),
                area: area.map(str::to_string),
                status: Some(statuses[i % statuses.len()].into()),
                note: Some(format!(
                    "Synthetic note {i}: a sentence of ordinary length about the work."
                )),
                ..Default::default()
            },
        )
        .await;
    }
    for role in [Role::Dentist, Role::Billing] {
        let browser = Browser::sign_in(&h, role).await;
        let mut times = Vec::new();
        let mut page = None;
        for _ in 0..30 {
            let started = std::time::Instant::now();
            let answer = browser.get(&h, &chart(&patient)).await;
            times.push(started.elapsed());
            assert_eq!(answer.status, StatusCode::OK);
            page = Some(answer.text);
        }
        times.sort();
        let page = page.unwrap();
        let svg: usize = page
            .split("<svg")
            .skip(1)
            .map(|s| s.find("</svg>").map_or(0, |e| e + "</svg>".len() + 4))
            .sum();
        let rows = page.matches("<tr id=\"proc-").count();
        println!(
            "{role:?}: {rows} rows, page {} bytes, svg {svg} bytes; server time median {:?}, p90 {:?}, max {:?}",
            page.len(),
            times[times.len() / 2],
            times[times.len() * 9 / 10],
            times[times.len() - 1],
        );
        if let Ok(dir) = std::env::var("ENAMEL_MEASURE_OUT") {
            std::fs::write(format!("{dir}/chart-{role:?}.html"), &page).unwrap();
        }
    }
    // The same read through the JSON API, for what the page's drawing and rendering add.
    let token = h.login(Role::Dentist).await;
    let mut times = Vec::new();
    for _ in 0..30 {
        let started = std::time::Instant::now();
        let answer = h
            .call(
                "GET",
                &format!("/api/v1/patients/{patient}/chart"),
                Some(&token),
                None,
            )
            .await;
        times.push(started.elapsed());
        assert_eq!(answer.status, StatusCode::OK);
    }
    times.sort();
    println!(
        "API chart JSON: median {:?}, p90 {:?}",
        times[times.len() / 2],
        times[times.len() * 9 / 10]
    );
}
