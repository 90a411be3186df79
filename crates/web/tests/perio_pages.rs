//! The perio pages through the real router, signed in the way a browser is: no page without
//! a session, no change without this session's anti-forgery token and our own origin, one
//! audit entry per page view, nothing cacheable, the sheet as posted turned into the exam,
//! problems on their inputs, a closed exam read-only (and a save posted to it refused), a
//! stale save kept on screen, and two exams compared. Calling out by keyboard in a real
//! browser: browser-tests/test/perio.test.js.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use common::browser::Browser;
use enamel_app::{Expected, PerioClaims, RequestOrigin, SystemReason};
use enamel_domain::Role;
use enamel_domain::clinical::{PerioExamDraft, PerioToothDraft};

fn perio(patient: &str) -> String {
    format!("/patients/{patient}/perio")
}

fn exam_page(patient: &str, exam: &str) -> String {
    format!("/patients/{patient}/perio/{exam}")
}

/// An exam of `patient` as the system would record it: tooth 3 probed at its six sites,
/// `depths` MB, B, DB, ML, L, DL, bleeding at MB; closed when `close`.
#[allow(clippy::disallowed_methods)] // test set-up records data as the CLI would
async fn seed_exam(
    h: &Harness,
    patient: &str,
    date: &str,
    depths: [i64; 6],
    close: bool,
) -> String {
    let chart =
        h.app
            .system_bypassing_policy(h.practice, SystemReason::DemoData, RequestOrigin::cli());
    let chart = chart.chart();
    let view = chart
        .start_perio(
            patient.parse().unwrap(),
            &PerioExamDraft {
                exam_date: Some(date.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let draft = PerioExamDraft {
        exam_date: Some(date.into()),
        teeth: vec![PerioToothDraft {
            tooth: "3".into(),
            depth: Some(depths.iter().map(|d| Some(*d)).collect()),
            bleeding: Some(vec![true, false, false, false, false, false]),
            ..Default::default()
        }],
        ..Default::default()
    };
    let saved = chart
        .save_perio(
            view.id,
            &draft,
            Expected::Version(view.row_version),
            &PerioClaims::default(),
        )
        .await
        .unwrap();
    if close {
        chart
            .close_perio(view.id, Expected::Version(saved.row_version))
            .await
            .unwrap();
    }
    view.id.to_string()
}

/// The opening tag of the input with `id` on a page.
fn input<'a>(page: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {id}"));
    let start = page[..at].rfind('<').unwrap();
    let end = at + page[at..].find('>').unwrap();
    &page[start..=end]
}

#[allow(clippy::disallowed_methods)] // test check: what the room holds
async fn stored(h: &Harness, exam: &str) -> enamel_app::PerioExamView {
    h.app
        .system_bypassing_policy(h.practice, SystemReason::DemoData, RequestOrigin::cli())
        .chart()
        .perio_exam(exam.parse().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn without_a_session_every_perio_page_sends_the_browser_to_sign_in() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let exam = seed_exam(&h, &patient, "2026-01-05", [3; 6], false).await;
    for (method, path) in [
        ("GET", perio(&patient)),
        ("POST", perio(&patient)),
        ("GET", exam_page(&patient, &exam)),
        ("POST", exam_page(&patient, &exam)),
        ("POST", format!("{}/close", exam_page(&patient, &exam))),
        (
            "GET",
            format!("{}/compare?exam={exam}&with={exam}", perio(&patient)),
        ),
    ] {
        let answer = h
            .call_with(
                method,
                &path,
                None,
                Some("csrf=x&row_version=2&d-3-mb=9".into()),
                &[("content-type", "application/x-www-form-urlencoded")],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{method} {path}");
        assert_eq!(answer.headers["location"], "/sign-in", "{method} {path}");
    }
    let kept = stored(&h, &exam).await;
    assert!(!kept.closed);
    assert_eq!(kept.row_version, 2, "nothing was saved");
}

#[tokio::test]
async fn changes_need_the_session_token_and_our_origin() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let exam = seed_exam(&h, &patient, "2026-01-05", [3; 6], false).await;
    let hygienist = Browser::sign_in(&h, Role::Hygienist).await;
    let before = h.audit().await.len();
    for (csrf, site) in [
        ("forged", "same-origin"),
        ("", "same-origin"),
        (hygienist.csrf.as_str(), "cross-site"),
    ] {
        let start = hygienist
            .post_from(&h, &perio(&patient), &[("csrf", csrf)], site)
            .await;
        assert_eq!(start.status, StatusCode::FORBIDDEN, "{site} {csrf:?}");
        for path in [
            exam_page(&patient, &exam),
            format!("{}/close", exam_page(&patient, &exam)),
        ] {
            let refused = hygienist
                .post_from(
                    &h,
                    &path,
                    &[("csrf", csrf), ("row_version", "2"), ("d-3-mb", "9")],
                    site,
                )
                .await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path} {site}");
            assert!(refused.text.contains("Not available to your role"));
        }
    }
    assert_eq!(
        h.audit().await.len(),
        before,
        "a refused form reaches no record"
    );
    let kept = stored(&h, &exam).await;
    assert_eq!((kept.row_version, kept.closed), (2, false));
}

#[tokio::test]
async fn each_page_view_is_one_audit_entry_and_nothing_is_cached() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let older = seed_exam(&h, &patient, "2025-06-01", [3, 3, 3, 2, 2, 2], true).await;
    let newer = seed_exam(&h, &patient, "2026-01-05", [6, 3, 3, 2, 4, 2], false).await;
    let hygienist = Browser::sign_in(&h, Role::Hygienist).await;

    for (path, record) in [
        (perio(&patient), "chart"),
        (exam_page(&patient, &newer), "perio_exam"),
        (
            format!("{}/compare?exam={newer}&with={older}", perio(&patient)),
            "perio_exam",
        ),
    ] {
        let before = h.audit().await.len();
        let page = hygienist.get(&h, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
        let entries = h.audit().await.split_off(before);
        assert_eq!(entries.len(), 1, "{path}: {entries:#?}");
        assert_eq!(
            (
                entries[0].action.as_str(),
                entries[0].outcome.as_str(),
                entries[0].record_type.as_deref(),
                entries[0].patient_id.as_deref(),
            ),
            ("view", "allowed", Some(record), Some(patient.as_str())),
            "{path}"
        );
        assert_eq!(page.headers["cache-control"], "no-store", "{path}");
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
        assert!(!page.text.contains("<script>"), "no inline script");
        assert!(!page.text.contains("style="), "no inline style");
    }

    // The list: newest first, with each exam's figures; two exams can be compared.
    let list = hygienist.get(&h, &perio(&patient)).await;
    let (first, second) = (
        list.text.find(&format!("exam-{newer}")).unwrap(),
        list.text.find(&format!("exam-{older}")).unwrap(),
    );
    assert!(first < second, "newest first");
    // Whose exams they are, read under the list's one entry.
    let heading = r#"<span id="patient-name">Molar, Testy (born 1980-02-03)</span>"#;
    assert!(list.text.contains(heading), "{}", list.text);
    assert!(list.text.contains("id=\"compare-form\""));
    assert!(list.text.contains("id=\"start-form\""));

    // The sheet: 192 depths in the calling-out order, the draft's values, the summary.
    let sheet = hygienist.get(&h, &exam_page(&patient, &newer)).await;
    assert!(
        sheet
            .text
            .contains(r#"<script src="/static/perio.js" defer></script>"#)
    );
    assert_eq!(sheet.text.matches("data-kind=\"d\"").count(), 192);
    assert!(sheet.text.contains(heading), "the sheet names its patient");
    let mb = input(&sheet.text, "d-3-mb");
    assert!(
        mb.contains("value=\"6\"") && mb.contains("class=\"deep6\""),
        "{mb}"
    );
    assert!(input(&sheet.text, "d-3-l").contains("class=\"deep4\""));
    assert!(input(&sheet.text, "b-3-mb").contains("checked"));
    assert!(input(&sheet.text, "d-1-db").contains("data-i=\"0\""));
    assert!(input(&sheet.text, "d-17-db").contains("data-i=\"191\""));
    assert!(
        sheet.text.contains(r#"<dd id="sum-bleeding">17%</dd>"#),
        "1 of 6 sites bled"
    );
    assert!(sheet.text.contains(r#"<dd id="sum-four">2</dd>"#));
    assert!(sheet.text.contains(r#"<dd id="sum-six">1</dd>"#));
    // The chart says it in words and patterns, not only colours.
    assert!(
        sheet.text.contains(
            "Upper facial probing depths: 1 site of 4 mm or more, 1 site of 6 mm or more."
        )
    );
    assert!(sheet.text.contains(r#"fill="url(#pd-6)""#));
    assert!(sheet.text.contains(r#"<text class="bar-label""#));
    assert!(sheet.text.contains("id=\"save-draft\""));

    // The comparison: the site that grew by 3 mm is worse, in words.
    let compared = hygienist
        .get(
            &h,
            &format!("{}/compare?exam={newer}&with={older}", perio(&patient)),
        )
        .await;
    assert!(
        compared
            .text
            .contains("Perio: 2026-01-05 compared with 2025-06-01")
    );
    assert!(compared.text.contains("2 sites worsened by 2 mm or more"));
    assert!(
        compared
            .text
            .contains("<strong>Tooth 3, mesio-buccal</strong>: depth 3 &rarr; 6 mm (+3 mm)"),
        "{}",
        compared.text
    );
    assert_eq!(compared.text.matches("<tr class=\"worse\">").count(), 2);

    // The script is served and keeps nothing in the browser.
    let js = hygienist.get(&h, "/static/perio.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(!js.text.contains("localStorage") && !js.text.contains("sessionStorage"));
}

#[tokio::test]
async fn a_hygienist_starts_saves_and_closes_an_exam_through_the_forms() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let hygienist = Browser::sign_in(&h, Role::Hygienist).await;

    let before = h.audit().await.len();
    let started = hygienist
        .post(
            &h,
            &perio(&patient),
            &[("csrf", &hygienist.csrf), ("exam_date", "")],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.text);
    let location = started.headers["location"].to_str().unwrap().to_string();
    assert!(location.ends_with("?done=started"), "{location}");
    let exam = location
        .trim_end_matches("?done=started")
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (
            entries[0].action.as_str(),
            entries[0].record_type.as_deref()
        ),
        ("create", Some("perio_exam"))
    );

    let csrf = hygienist.csrf.clone();
    let form = vec![
        ("csrf", csrf.as_str()),
        ("row_version", "1"),
        ("exam_date", "2026-09-20"),
        ("note", "Synthetic perio note."),
        ("provider_id", ""),
        ("d-3-mb", "5"),
        ("d-3-b", "2"),
        ("b-3-mb", "on"),
        ("m-3-mb", "-1"),
        ("f-3-b", "1"),
        ("mob-3", "1"),
        ("x-1", "on"),
    ];
    let before = h.audit().await.len();
    let saved = hygienist.post(&h, &exam_page(&patient, &exam), &form).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    assert_eq!(h.audit().await.len(), before + 1, "one update");
    let view = stored(&h, &exam).await;
    assert_eq!(view.row_version, 2);
    let t3 = view.exam.teeth[&enamel_domain::clinical::Tooth::permanent(3)];
    assert_eq!(
        (t3.depth[0], t3.depth[1], t3.margin[0]),
        (Some(5), Some(2), Some(-1))
    );
    assert_eq!(t3.bleeding, Some([true, false, false, false, false, false]));
    assert_eq!((t3.furcation[1], t3.mobility), (Some(1), Some(1)));
    assert!(view.exam.teeth[&enamel_domain::clinical::Tooth::permanent(1)].skipped);
    assert_eq!(view.exam.note.as_deref(), Some("Synthetic perio note."));

    let page = hygienist
        .get(&h, &format!("{}?done=saved", exam_page(&patient, &exam)))
        .await;
    assert!(page.text.contains("Saved. The exam is still a draft."));
    assert!(input(&page.text, "d-3-mb").contains("value=\"5\""));
    assert!(input(&page.text, "x-1").contains("checked"));

    // Close: what the sheet holds is saved first, then the exam is closed.
    let mut closing = form.clone();
    closing[1] = ("row_version", "2");
    closing.push(("d-3-db", "4"));
    let before = h.audit().await.len();
    let closed = hygienist
        .post(
            &h,
            &format!("{}/close", exam_page(&patient, &exam)),
            &closing,
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.text);
    assert_eq!(h.audit().await.len(), before + 2, "the save and the close");
    let view = stored(&h, &exam).await;
    assert!(view.closed);
    assert_eq!(
        view.exam.teeth[&enamel_domain::clinical::Tooth::permanent(3)].depth[2],
        Some(4)
    );

    // A closed exam is read-only: no inputs, no save button, and a save posted anyway is
    // refused by the room (and audited as failed).
    let page = hygienist
        .get(&h, &format!("{}?done=closed", exam_page(&patient, &exam)))
        .await;
    assert!(page.text.contains("id=\"closed-notice\""));
    assert!(page.text.contains("Closed ") && page.text.contains(" by you."));
    for gone in [
        "id=\"save-draft\"",
        "id=\"close-exam\"",
        "<input type=\"text\"",
        "perio.js",
    ] {
        assert!(!page.text.contains(gone), "{gone} on a closed exam");
    }
    let mut again = closing.clone();
    again[1] = ("row_version", "4");
    for path in [
        exam_page(&patient, &exam),
        format!("{}/close", exam_page(&patient, &exam)),
    ] {
        let before = h.audit().await.len();
        let refused = hygienist.post(&h, &path, &again).await;
        assert_eq!(
            refused.status,
            StatusCode::CONFLICT,
            "{path}: {}",
            refused.text
        );
        assert!(
            refused
                .text
                .contains("Nothing was saved. This perio exam is closed")
        );
        assert!(!refused.text.contains("id=\"save-draft\""));
        let entries = h.audit().await.split_off(before);
        assert_eq!(entries.len(), 2, "the refusal, then the page: {entries:#?}");
        assert_eq!(entries[0].outcome, "failed");
        assert_eq!(entries[1].action, "view");
    }
    assert_eq!(stored(&h, &exam).await.row_version, 4);
}

#[tokio::test]
async fn problems_are_named_on_their_inputs_and_what_was_typed_is_kept() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let exam = seed_exam(&h, &patient, "2026-01-05", [3; 6], false).await;
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    let csrf = dentist.csrf.clone();

    // A depth the room refuses, and text that is no number: both named, nothing saved.
    let before = h.audit().await.len();
    let bad = dentist
        .post(
            &h,
            &exam_page(&patient, &exam),
            &[
                ("csrf", csrf.as_str()),
                ("row_version", "2"),
                ("d-3-mb", "25"),
                ("d-14-dl", "deep"),
                ("d-5-b", "4"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(bad.text.contains("2 things need attention"), "{}", bad.text);
    assert!(bad.text.contains(
        r##"<li id="d-14-dl-error"><a href="#d-14-dl">Tooth 14 disto-lingual depth: Depth is a whole number of millimetres.</a></li>"##
    ), "{}", bad.text);
    assert!(
        bad.text
            .contains("Tooth 3 mesio-buccal depth: must be 0 to 19 mm.")
    );
    let cell = input(&bad.text, "d-3-mb");
    assert!(cell.contains("value=\"25\"") && cell.contains("aria-invalid=\"true\""));
    assert!(cell.contains("aria-describedby=\"d-3-mb-error\""));
    assert!(
        input(&bad.text, "d-14-dl").contains("autofocus"),
        "the first problem has the focus"
    );
    assert!(
        input(&bad.text, "d-5-b").contains("value=\"4\""),
        "what was typed is kept"
    );
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "only the page's view: {entries:#?}");
    assert_eq!(stored(&h, &exam).await.row_version, 2);

    // A save from a page opened before someone else saved: kept on screen, not saved.
    let stale = dentist
        .post(
            &h,
            &exam_page(&patient, &exam),
            &[
                ("csrf", csrf.as_str()),
                ("row_version", "1"),
                ("d-5-b", "7"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    assert!(
        stale
            .text
            .contains("Someone else saved this exam after you opened it.")
    );
    assert!(input(&stale.text, "d-5-b").contains("value=\"7\""));
    assert!(
        stale.text.contains(r#"name="row_version" value="2""#),
        "saving again replaces theirs"
    );
    assert_eq!(stored(&h, &exam).await.row_version, 2);

    // An exam seen under another patient's address is not found.
    let other = h.patient().await;
    let elsewhere = dentist.get(&h, &exam_page(&other, &exam)).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    assert!(!elsewhere.text.contains("d-3-mb"));
}

/// What a browser sends when the sheet's form is submitted as the page drew it: every named
/// input of the form, a checkbox only when ticked, and the note.
fn form_as_drawn(page: &str) -> Vec<(String, String)> {
    let start = page.find("id=\"perio-form\"").expect("the sheet's form");
    let end = start + page[start..].find("</form>").expect("the form's end");
    let form = &page[start..end];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let marker = format!(" {name}=\"");
        let at = tag.find(&marker)? + marker.len();
        Some(tag[at..at + tag[at..].find('"')?].to_string())
    };
    let mut pairs = Vec::new();
    for (at, _) in form.match_indices("<input ") {
        let tag = &form[at..at + form[at..].find('>').unwrap()];
        let Some(name) = attr(tag, "name") else {
            continue;
        };
        let value = attr(tag, "value").unwrap_or_default();
        if attr(tag, "type").as_deref() == Some("checkbox") {
            if tag.contains(" checked") {
                pairs.push((name, value));
            }
        } else {
            pairs.push((name, value));
        }
    }
    let note = form.find("name=\"note\"").expect("the note");
    let open = note + form[note..].find('>').unwrap() + 1;
    let close = open + form[open..].find("</textarea>").unwrap();
    pairs.push(("note".into(), form[open..close].to_string()));
    pairs
}

/// Suppuration, plaque and calculus recorded through the API survive a save of the sheet: the
/// page shows them ticked, and the form as drawn sends them back unchanged.
#[tokio::test]
#[allow(clippy::disallowed_methods)] // test set-up records data as the API would
async fn flags_recorded_elsewhere_survive_a_save_through_the_sheet() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let chart = h
        .app
        .system_bypassing_policy(h.practice, SystemReason::DemoData, RequestOrigin::cli())
        .chart();
    let view = chart
        .start_perio(patient.parse().unwrap(), &PerioExamDraft::default())
        .await
        .unwrap();
    let flags = |set: &[usize]| Some((0..6).map(|k| set.contains(&k)).collect::<Vec<_>>());
    let draft = PerioExamDraft {
        exam_date: Some("2026-01-05".into()),
        teeth: vec![
            PerioToothDraft {
                tooth: "3".into(),
                depth: Some(vec![Some(3); 6]),
                bleeding: flags(&[0]),
                suppuration: flags(&[1]),
                plaque: flags(&[0, 1, 5]),
                calculus: flags(&[3]),
                ..Default::default()
            },
            // Plaque only: no depth, no bleeding recorded.
            PerioToothDraft {
                tooth: "5".into(),
                plaque: flags(&[0]),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    chart
        .save_perio(
            view.id,
            &draft,
            Expected::Version(view.row_version),
            &PerioClaims::default(),
        )
        .await
        .unwrap();
    let exam = view.id.to_string();
    let before = stored(&h, &exam).await;

    let hygienist = Browser::sign_in(&h, Role::Hygienist).await;
    let page = hygienist.get(&h, &exam_page(&patient, &exam)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for (id, ticked) in [
        ("s-3-b", true),
        ("s-3-mb", false),
        ("p-3-mb", true),
        ("p-3-dl", true),
        ("p-3-l", false),
        ("c-3-ml", true),
        ("p-5-mb", true),
    ] {
        assert_eq!(input(&page.text, id).contains(" checked"), ticked, "{id}");
    }

    let form = form_as_drawn(&page.text);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let audited = h.audit().await.len();
    let saved = hygienist
        .post(&h, &exam_page(&patient, &exam), &pairs)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    assert_eq!(h.audit().await.len(), audited + 1, "one update");
    let after = stored(&h, &exam).await;
    assert_eq!(after.row_version, before.row_version + 1, "it was saved");
    for n in [3, 5] {
        let tooth = enamel_domain::clinical::Tooth::permanent(n);
        let (was, is) = (before.exam.teeth[&tooth], after.exam.teeth[&tooth]);
        assert_eq!(is.suppuration, was.suppuration, "tooth {n} suppuration");
        assert_eq!(is.plaque, was.plaque, "tooth {n} plaque");
        assert_eq!(is.calculus, was.calculus, "tooth {n} calculus");
        assert_eq!(is.bleeding, was.bleeding, "tooth {n} bleeding");
        assert_eq!(is.depth, was.depth, "tooth {n} depth");
    }
    assert_eq!(after.exam.teeth.len(), 2);
}

/// Suppuration, plaque and calculus ticked on the sheet: refused without the token, saved
/// with it (one entry per request), ticked again when the sheet is read back, and letters
/// once the exam is closed.
#[tokio::test]
async fn suppuration_plaque_and_calculus_go_through_the_sheet_and_back() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let exam = seed_exam(&h, &patient, "2026-01-05", [3; 6], false).await;
    let hygienist = Browser::sign_in(&h, Role::Hygienist).await;
    let page = hygienist.get(&h, &exam_page(&patient, &exam)).await;
    for kind in ["s", "p", "c"] {
        assert_eq!(
            page.text.matches(&format!("data-kind=\"{kind}\"")).count(),
            192,
            "{kind}: every site"
        );
    }
    let box_ = input(&page.text, "s-3-mb");
    assert!(box_.contains("type=\"checkbox\"") && box_.contains("name=\"s-3-mb\""));
    assert!(box_.contains("aria-label=\"Tooth 3 mesio-buccal suppuration\""));
    assert!(input(&page.text, "p-14-dl").contains("aria-label=\"Tooth 14 disto-lingual plaque\""));
    assert!(input(&page.text, "c-30-l").contains("aria-label=\"Tooth 30 lingual calculus\""));
    assert!(
        page.text
            .contains("<th scope=\"row\">Facial suppuration</th>")
    );
    assert!(
        page.text
            .contains("<strong>S</strong> does the same for suppuration")
    );

    let csrf = hygienist.csrf.clone();
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("row_version", "2"),
        ("exam_date", "2026-01-05"),
        ("d-3-mb", "4"),
        ("b-3-mb", "on"),
        ("s-3-mb", "on"),
        ("p-3-b", "on"),
        ("p-3-dl", "on"),
        ("c-3-ml", "on"),
        // A tooth with calculus only.
        ("c-19-b", "on"),
    ];
    for (token, site) in [("forged", "same-origin"), (csrf.as_str(), "cross-site")] {
        let before = h.audit().await.len();
        let mut forged = form.clone();
        forged[0] = ("csrf", token);
        let refused = hygienist
            .post_from(&h, &exam_page(&patient, &exam), &forged, site)
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{site}");
        assert_eq!(
            h.audit().await.len(),
            before,
            "a refused form reaches no record"
        );
    }
    assert_eq!(stored(&h, &exam).await.row_version, 2);

    let before = h.audit().await.len();
    let saved = hygienist.post(&h, &exam_page(&patient, &exam), &form).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(
        (
            entries[0].action.as_str(),
            entries[0].record_type.as_deref()
        ),
        ("update", Some("perio_exam"))
    );
    let view = stored(&h, &exam).await;
    let tooth = |n| view.exam.teeth[&enamel_domain::clinical::Tooth::permanent(n)];
    let (t3, t19) = (tooth(3), tooth(19));
    assert_eq!(
        t3.suppuration,
        Some([true, false, false, false, false, false])
    );
    assert_eq!(t3.plaque, Some([false, true, false, false, false, true]));
    assert_eq!(t3.calculus, Some([false, false, false, true, false, false]));
    assert_eq!(t3.bleeding, Some([true, false, false, false, false, false]));
    assert_eq!(
        t19.calculus,
        Some([false, true, false, false, false, false])
    );
    assert_eq!((t19.bleeding, t19.plaque, t19.depth[1]), (None, None, None));

    let before = h.audit().await.len();
    let page = hygienist.get(&h, &exam_page(&patient, &exam)).await;
    assert_eq!(h.audit().await.len(), before + 1, "one entry for the view");
    for (id, ticked) in [
        ("s-3-mb", true),
        ("s-3-b", false),
        ("p-3-b", true),
        ("p-3-dl", true),
        ("p-3-mb", false),
        ("c-3-ml", true),
        ("c-19-b", true),
        ("c-19-mb", false),
    ] {
        assert_eq!(input(&page.text, id).contains(" checked"), ticked, "{id}");
    }

    // Unticked on the sheet, and saved: gone.
    form[1] = ("row_version", "3");
    form.retain(|(k, _)| *k != "p-3-dl");
    let saved = hygienist.post(&h, &exam_page(&patient, &exam), &form).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let view = stored(&h, &exam).await;
    assert_eq!(
        view.exam.teeth[&enamel_domain::clinical::Tooth::permanent(3)].plaque,
        Some([false, true, false, false, false, false])
    );

    // Closed: read-only, each mark a letter in its row.
    form[1] = ("row_version", "4");
    let closed = hygienist
        .post(&h, &format!("{}/close", exam_page(&patient, &exam)), &form)
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.text);
    let page = hygienist.get(&h, &exam_page(&patient, &exam)).await;
    assert!(
        !page.text.contains("type=\"checkbox\""),
        "no box on a closed exam"
    );
    assert_eq!(page.text.matches("<td class=\"k-s\">S</td>").count(), 1);
    assert_eq!(page.text.matches("<td class=\"k-p\">P</td>").count(), 1);
    assert_eq!(page.text.matches("<td class=\"k-c\">C</td>").count(), 2);
    assert_eq!(page.text.matches("<td class=\"k-b\">B</td>").count(), 1);
}

#[tokio::test]
async fn roles_without_charting_never_see_a_perio_exam() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let exam = seed_exam(&h, &patient, "2026-01-05", [3; 6], false).await;
    for role in [Role::FrontDesk, Role::Billing, Role::ComplianceOfficer] {
        let browser = Browser::sign_in(&h, role).await;
        for path in [perio(&patient), exam_page(&patient, &exam)] {
            let before = h.audit().await.len();
            let page = browser.get(&h, &path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{role:?} {path}");
            assert!(!page.text.contains("d-3-mb"));
            let entries = h.audit().await.split_off(before);
            assert_eq!(entries.len(), 1);
            assert_eq!(entries[0].outcome, "denied");
        }
    }
    // An assistant sees the sheet, and may change it (the default matrix).
    let assistant = Browser::sign_in(&h, Role::DentalAssistant).await;
    let page = assistant.get(&h, &exam_page(&patient, &exam)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("id=\"save-draft\""));
}

/// The size and server time of a full-mouth sheet (192 sites, every depth, bleeding and
/// margin filled) and of saving it: what a hygienist's Enter costs. Run by hand:
/// `cargo test -p enamel-web --test perio_pages measure -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a measurement, run by hand"]
#[allow(clippy::print_stdout)] // its output is the measurement
async fn measure_a_full_mouth_sheet() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let exam = seed_exam(&h, &patient, "2026-01-05", [3; 6], false).await;
    let hygienist = Browser::sign_in(&h, Role::Hygienist).await;
    let csrf = hygienist.csrf.clone();
    let mut values: Vec<(String, String)> = Vec::new();
    for tooth in 1..=32u8 {
        for (k, site) in ["mb", "b", "db", "ml", "l", "dl"].iter().enumerate() {
            values.push((
                format!("d-{tooth}-{site}"),
                ((k + usize::from(tooth)) % 7).to_string(),
            ));
            values.push((format!("m-{tooth}-{site}"), "1".into()));
            if (k + usize::from(tooth)) % 4 == 0 {
                values.push((format!("b-{tooth}-{site}"), "on".into()));
            }
        }
    }
    let mut saves = Vec::new();
    for version in 2..32 {
        let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        let v = version.to_string();
        form.push(("row_version", &v));
        form.extend(values.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let started = std::time::Instant::now();
        let answer = hygienist.post(&h, &exam_page(&patient, &exam), &form).await;
        saves.push(started.elapsed());
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);
    }
    let mut times = Vec::new();
    let mut page = String::new();
    for _ in 0..30 {
        let started = std::time::Instant::now();
        let answer = hygienist.get(&h, &exam_page(&patient, &exam)).await;
        times.push(started.elapsed());
        assert_eq!(answer.status, StatusCode::OK);
        page = answer.text;
    }
    times.sort();
    saves.sort();
    let body: usize = form_size(&csrf, &values);
    println!(
        "full-mouth sheet: page {} bytes; view median {:?}, p90 {:?}; save ({body} bytes posted) median {:?}, p90 {:?}",
        page.len(),
        times[times.len() / 2],
        times[times.len() * 9 / 10],
        saves[saves.len() / 2],
        saves[saves.len() * 9 / 10],
    );
}

fn form_size(csrf: &str, values: &[(String, String)]) -> usize {
    let mut pairs: Vec<(&str, &str)> = vec![("csrf", csrf), ("row_version", "2")];
    pairs.extend(values.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    common::browser::form_body(&pairs).len()
}
