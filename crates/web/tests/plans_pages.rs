//! The treatment plan pages through the real router, signed in the way a browser is: no page
//! without a session, no change without this session's anti-forgery token and our own origin,
//! one audit entry per page view, nothing cacheable; a plan built in phases from the chart's
//! planned procedures, presented, shown to the patient without the staff menu and accepted
//! with a typed or a drawn signature; problems next to their inputs; the front desk's totals;
//! a presented plan that never changes. In a real browser: browser-tests/test/plans.test.js.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use common::browser::Browser;
use enamel_app::{RequestOrigin, SystemReason};
use enamel_domain::Role;
use enamel_domain::clinical::ProcedureDraft;

fn plans(patient: &str) -> String {
    format!("/patients/{patient}/plans")
}

/// A planned crown on tooth 14 ($1,200.00), charted by the system.
#[allow(clippy::disallowed_methods)] // test set-up charts as the CLI would
async fn crown(h: &Harness, patient: &str) -> String {
    h.app
        .system_bypassing_policy(h.practice, SystemReason::DemoData, RequestOrigin::cli())
        .chart()
        .create(
            patient.parse().unwrap(),
            &ProcedureDraft {
                code: "X2710".into(),
                tooth: Some("14".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
        .to_string()
}

fn location(answer: &common::Answer) -> String {
    answer.headers["location"].to_str().unwrap().to_string()
}

/// The plan's id from a redirect to `/patients/{p}/plans/{plan}?…`.
fn plan_of(location: &str) -> String {
    location
        .split("/plans/")
        .nth(1)
        .unwrap()
        .split(['?', '/'])
        .next()
        .unwrap()
        .to_string()
}

/// A builder form: the filling in phase 1 with a $50.00 estimate, the crown in phase 2.
/// `ids` are the inputs' names from [`input_names`].
fn builder_form<'a>(csrf: &'a str, ids: &'a [String; 6]) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("title", "Synthetic plan: upper teeth"),
        ("note", "Synthetic note for the patient."),
        ("phase1", "Fillings"),
        ("phase2", "Crown"),
        ("phase3", "Phase 3"),
        ("phase4", "Phase 4"),
        (ids[0].as_str(), "1"),
        (ids[1].as_str(), "50.00"),
        (ids[2].as_str(), ""),
        (ids[3].as_str(), "2"),
        (ids[4].as_str(), ""),
        (ids[5].as_str(), ""),
    ]
}

fn input_names(filling: &str, crown: &str) -> [String; 6] {
    [
        format!("phase-{filling}"),
        format!("ins-{filling}"),
        format!("pat-{filling}"),
        format!("phase-{crown}"),
        format!("ins-{crown}"),
        format!("pat-{crown}"),
    ]
}

#[tokio::test]
async fn without_a_session_the_plan_pages_send_the_browser_to_sign_in() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let plan = "01a24c59-f434-72a5-85cd-44e21aa76959";
    for (method, path) in [
        ("GET", plans(&patient)),
        ("POST", plans(&patient)),
        ("GET", format!("{}/new", plans(&patient))),
        ("GET", format!("{}/{plan}", plans(&patient))),
        ("POST", format!("{}/{plan}", plans(&patient))),
        ("GET", format!("{}/{plan}/edit", plans(&patient))),
        ("POST", format!("{}/{plan}/present", plans(&patient))),
        ("POST", format!("{}/{plan}/decide", plans(&patient))),
        ("GET", format!("{}/{plan}/presentation", plans(&patient))),
        ("POST", format!("{}/{plan}/accept", plans(&patient))),
    ] {
        let answer = h
            .call_with(
                method,
                &path,
                None,
                Some("csrf=x&row_version=1&signer_name=x&typed=x".into()),
                &[("content-type", "application/x-www-form-urlencoded")],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{method} {path}");
        assert_eq!(answer.headers["location"], "/sign-in", "{method} {path}");
    }
}

#[tokio::test]
async fn a_plan_is_built_presented_and_accepted_with_a_typed_signature() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let filling = h.procedure(&patient).await;
    let crown = crown(&h, &patient).await;
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    let csrf = dentist.csrf.clone();

    // The builder: the chart's one view, with the patient's name and planned procedures.
    let before = h.audit().await.len();
    let page = dentist.get(&h, &format!("{}/new", plans(&patient))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0].record_type.as_deref(), Some("chart"));
    assert!(page.text.contains("Molar, Testy (born 1980-02-03)"));
    assert!(page.text.contains("X2120 Demo: filling, two surfaces"));
    assert!(page.text.contains("X2710 Demo: crown"));
    assert!(page.text.contains(&format!("id=\"phase-{crown}\"")));
    assert_eq!(page.headers["cache-control"], "no-store");
    assert!(!page.text.contains("<script>") && !page.text.contains("style="));

    // The list names whose plans they are under its one entry.
    let before = h.audit().await.len();
    let list = dentist.get(&h, &plans(&patient)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(h.audit().await.len(), before + 1);
    assert!(
        list.text
            .contains(r#"<span id="patient-name">Molar, Testy (born 1980-02-03)</span>"#)
    );

    // Drafted: one create.
    let names = input_names(&filling, &crown);
    let form = builder_form(&csrf, &names);
    let before = h.audit().await.len();
    let drafted = dentist.post(&h, &plans(&patient), &form).await;
    assert_eq!(drafted.status, StatusCode::SEE_OTHER, "{}", drafted.text);
    let plan = plan_of(&location(&drafted));
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(
        (
            entries[0].action.as_str(),
            entries[0].record_type.as_deref()
        ),
        ("create", Some("treatment_plan"))
    );

    // The plan for staff: phases, lines, totals; one view.
    let plan_path = format!("{}/{plan}", plans(&patient));
    let before = h.audit().await.len();
    let page = dentist.get(&h, &location(&drafted)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(h.audit().await.len(), before + 1);
    assert!(page.text.contains("The plan is drafted."));
    assert!(page.text.contains("Phase 1: Fillings"));
    assert!(page.text.contains("Phase 2: Crown"));
    assert!(
        page.text.contains(r#"<dd id="total-fee">$1,395.00</dd>"#),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains(r#"<dd id="total-insurance">$50.00</dd>"#)
    );
    assert!(
        page.text
            .contains(r#"<dd id="total-patient">$1,345.00</dd>"#)
    );
    assert!(page.text.contains("id=\"present-plan\""));
    assert!(page.text.contains("id=\"edit-plan\""));
    assert!(
        !page.text.contains("id=\"show-patient\""),
        "a draft is not shown to the patient"
    );

    // A draft is not for the patient yet.
    let early = dentist.get(&h, &format!("{plan_path}/presentation")).await;
    assert_eq!(early.status, StatusCode::CONFLICT);

    // Presented: frozen; a replace posted anyway is refused.
    let presented = dentist
        .post(
            &h,
            &format!("{plan_path}/present"),
            &[("csrf", &csrf), ("row_version", "1")],
        )
        .await;
    assert_eq!(
        presented.status,
        StatusCode::SEE_OTHER,
        "{}",
        presented.text
    );
    let page = dentist.get(&h, &location(&presented)).await;
    assert!(page.text.contains(
        r#"<span class="plan-status status-presented" id="plan-status">Presented</span>"#
    ));
    assert!(page.text.contains("id=\"show-patient\""));
    assert!(!page.text.contains("id=\"edit-plan\""));
    let mut form2 = form.clone();
    form2.push(("row_version", "2"));
    let refused = dentist.post(&h, &plan_path, &form2).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert!(refused.text.contains("its lines are frozen"));

    // The presentation: no staff menu, large type, the frozen lines, the acceptance form.
    let before = h.audit().await.len();
    let shown = dentist.get(&h, &format!("{plan_path}/presentation")).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    assert_eq!(h.audit().await.len(), before + 1);
    assert_eq!(shown.headers["cache-control"], "no-store");
    assert!(shown.text.contains("<body class=\"presentation\""));
    for staff_chrome in ["<nav", "Sign out", "Emergency access", "My sessions"] {
        assert!(
            !shown.text.contains(staff_chrome),
            "{staff_chrome} on the patient's screen"
        );
    }
    assert!(
        shown.text.contains("data-idle-seconds="),
        "idle logoff still runs"
    );
    assert!(shown.text.contains("Synthetic plan: upper teeth"));
    assert!(shown.text.contains("X2710 Demo: crown"));
    assert!(shown.text.contains("id=\"accept-form\""));
    assert!(
        shown
            .text
            .contains(r#"<script src="/static/present.js" defer></script>"#)
    );
    assert!(!shown.text.contains("<script>") && !shown.text.contains("style="));

    // A signature left out is named next to its field.
    let accept = format!("{plan_path}/accept");
    let bad = dentist
        .post(
            &h,
            &accept,
            &[
                ("csrf", &csrf),
                ("row_version", "2"),
                ("signer_name", "Testy Molar"),
                ("accepted_by", "patient"),
                ("typed", " "),
                ("strokes", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(
        bad.text
            .contains(r#"<p class="field-error" id="typed-error">Your signature is required"#),
        "{}",
        bad.text
    );
    assert!(
        bad.text.contains("value=\"Testy Molar\""),
        "the name is kept"
    );

    // Accepted with the typed name.
    let before = h.audit().await.len();
    let accepted = dentist
        .post(
            &h,
            &accept,
            &[
                ("csrf", &csrf),
                ("row_version", "2"),
                ("signer_name", "Testy Molar"),
                ("accepted_by", "patient"),
                ("typed", "Testy Molar"),
                ("strokes", ""),
            ],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.text);
    assert!(location(&accepted).ends_with("/presentation?done=accepted"));
    let entries: Vec<_> = h
        .audit()
        .await
        .split_off(before)
        .into_iter()
        .filter(|e| e.action != "key_rotation")
        .collect();
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let page = dentist.get(&h, &location(&accepted)).await;
    assert!(page.text.contains("Thank you. The plan is accepted"));
    assert!(
        page.text
            .contains("Signed by <strong>Testy Molar</strong> (patient), in the office, on ")
    );
    assert!(
        page.text
            .contains(r#"<span class="visually-hidden">Typed signature: </span>Testy Molar</p>"#)
    );
    assert!(
        page.text
            .contains(r#"class="signature sig-valid" id="acceptance-check""#)
    );
    assert!(!page.text.contains("id=\"accept-form\""), "accepted once");
    let staff_view = dentist.get(&h, &plan_path).await;
    assert!(staff_view.text.contains("Accepted"));
    assert!(staff_view.text.contains("The acceptance holds"));

    // The list, newest first, with totals.
    let list = dentist.get(&h, &plans(&patient)).await;
    assert!(list.text.contains(&format!("id=\"plan-{plan}\"")));
    assert!(list.text.contains("$1,345.00"));
}

#[tokio::test]
async fn a_drawn_signature_is_kept_and_drawn_back() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let filling = h.procedure(&patient).await;
    let crown = crown(&h, &patient).await;
    let hygienist = Browser::sign_in(&h, Role::Hygienist).await;
    let csrf = hygienist.csrf.clone();
    let names = input_names(&filling, &crown);
    let drafted = hygienist
        .post(&h, &plans(&patient), &builder_form(&csrf, &names))
        .await;
    assert_eq!(drafted.status, StatusCode::SEE_OTHER, "{}", drafted.text);
    let plan_path = format!("{}/{}", plans(&patient), plan_of(&location(&drafted)));
    let presented = hygienist
        .post(
            &h,
            &format!("{plan_path}/present"),
            &[("csrf", &csrf), ("row_version", "1")],
        )
        .await;
    assert_eq!(presented.status, StatusCode::SEE_OTHER);

    // Strokes the pad could not have sent are named; nothing is recorded.
    let accept = format!("{plan_path}/accept");
    let bad = hygienist
        .post(
            &h,
            &accept,
            &[
                ("csrf", &csrf),
                ("row_version", "2"),
                ("signer_name", "Testy Molar"),
                ("accepted_by", "responsible_party"),
                ("typed", ""),
                ("strokes", "[[[5,5],[2000,7]]]"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(
        bad.text
            .contains("id=\"strokes-error\">The drawn signature"),
        "{}",
        bad.text
    );
    assert!(
        bad.text
            .contains(r#"value="responsible_party" id="by-responsible" checked"#)
    );

    let accepted = hygienist
        .post(
            &h,
            &accept,
            &[
                ("csrf", &csrf),
                ("row_version", "2"),
                ("signer_name", "Testy Molar"),
                ("accepted_by", "responsible_party"),
                ("typed", ""),
                (
                    "strokes",
                    "[[[100,200],[180,150],[260,210]],[[300,100],[320,300]]]",
                ),
            ],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.text);
    let page = hygienist.get(&h, &plan_path).await;
    assert!(page.text.contains(r#"<svg class="drawn-signature" id="drawn-signature" viewBox="0 0 1000 400" role="img" aria-label="Drawn signature of Testy Molar"><polyline points="100,200 180,150 260,210"/><polyline points="300,100 320,300"/></svg>"#), "{}", page.text);
    assert!(page.text.contains("(responsible party)"));
    assert!(page.text.contains("The acceptance holds"));
}

#[tokio::test]
async fn builder_problems_are_named_next_to_their_inputs() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let filling = h.procedure(&patient).await;
    let crown = crown(&h, &patient).await;
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    let csrf = dentist.csrf.clone();
    let names = input_names(&filling, &crown);

    // An amount that is no amount, and a title left out: both named, what was typed kept.
    let mut form = builder_form(&csrf, &names);
    form[1] = ("title", "");
    form[8] = (names[1].as_str(), "fifty");
    let before = h.audit().await.len();
    let bad = dentist.post(&h, &plans(&patient), &form).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(bad.text.contains("2 things need attention"), "{}", bad.text);
    assert!(bad.text.contains(&format!(
        r##"<a href="#ins-{filling}">Insurance estimate of X2120 Demo: filling, two surfaces, tooth 3 mo is an amount in dollars and cents, such as 120.50.</a>"##
    )), "{}", bad.text);
    assert!(bad.text.contains(r##"<a href="#title">Title is required"##));
    assert!(bad.text.contains("value=\"fifty\""));
    assert!(
        bad.text
            .contains("Synthetic note for the patient.</textarea>")
    );
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "only the builder's view: {entries:#?}");

    // An estimate above the fee: the room's rule, on the same input.
    form[1] = ("title", "Synthetic plan");
    form[8] = (names[1].as_str(), "500");
    let bad = dentist.post(&h, &plans(&patient), &form).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text
            .contains("must be between 0 and the procedure&#x27;s fee")
            || bad
                .text
                .contains("must be between 0 and the procedure&#39;s fee"),
        "{}",
        bad.text
    );
    let ins = bad
        .text
        .split(&format!("id=\"ins-{filling}\""))
        .nth(1)
        .unwrap()
        .split('>')
        .next()
        .unwrap();
    assert!(
        ins.contains("aria-invalid=\"true\"") && ins.contains("autofocus"),
        "{ins}"
    );

    // Nothing put into a phase.
    form[7] = (names[0].as_str(), "");
    form[10] = (names[3].as_str(), "");
    form[8] = (names[1].as_str(), "");
    let bad = dentist.post(&h, &plans(&patient), &form).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text
            .contains("Procedures: a plan needs at least one phase."),
        "{}",
        bad.text
    );
    let list = dentist.get(&h, &plans(&patient)).await;
    assert!(list.text.contains("No treatment plan yet."));

    // A draft is edited (the plan and the chart: two entries) and saved.
    form[7] = (names[0].as_str(), "1");
    let drafted = dentist.post(&h, &plans(&patient), &form).await;
    assert_eq!(drafted.status, StatusCode::SEE_OTHER, "{}", drafted.text);
    let plan_path = format!("{}/{}", plans(&patient), plan_of(&location(&drafted)));
    let before = h.audit().await.len();
    let edit = dentist.get(&h, &format!("{plan_path}/edit")).await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.text);
    assert_eq!(h.audit().await.len(), before + 2);
    assert!(edit.text.contains("Edit the draft plan"));
    assert!(
        edit.text
            .contains(r#"<option value="1" selected>Phase 1</option>"#)
    );
    assert!(
        edit.text.contains(&format!(
            r#"id="pat-{filling}" name="pat-{filling}" value="195.00""#
        )),
        "{}",
        edit.text
    );
    let mut replace = form.clone();
    replace[1] = ("title", "Synthetic plan, revised");
    replace[10] = (names[3].as_str(), "1");
    replace.push(("row_version", "1"));
    let saved = dentist.post(&h, &plan_path, &replace).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let page = dentist.get(&h, &plan_path).await;
    assert!(page.text.contains("Synthetic plan, revised"));
    assert!(page.text.contains("X2710 Demo: crown"));
}

#[tokio::test]
async fn forged_forms_are_refused_and_the_front_desk_sees_totals_only() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let filling = h.procedure(&patient).await;
    let crown = crown(&h, &patient).await;
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    let names = input_names(&filling, &crown);
    let drafted = dentist
        .post(&h, &plans(&patient), &builder_form(&dentist.csrf, &names))
        .await;
    let plan_path = format!("{}/{}", plans(&patient), plan_of(&location(&drafted)));

    let before = h.audit().await.len();
    for (csrf, site) in [
        ("forged", "same-origin"),
        ("", "same-origin"),
        (dentist.csrf.as_str(), "cross-site"),
    ] {
        let mut form = builder_form(csrf, &names);
        form.push(("row_version", "1"));
        form.push(("outcome", "superseded"));
        form.push(("signer_name", "Forged"));
        form.push(("typed", "Forged"));
        for path in [
            plans(&patient),
            plan_path.clone(),
            format!("{plan_path}/present"),
            format!("{plan_path}/decide"),
            format!("{plan_path}/accept"),
        ] {
            let refused = dentist.post_from(&h, &path, &form, site).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path} {site}");
        }
    }
    assert_eq!(
        h.audit().await.len(),
        before,
        "a refused form reaches no record"
    );

    let desk = Browser::sign_in(&h, Role::FrontDesk).await;
    let list = desk.get(&h, &plans(&patient)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(list.text.contains("id=\"totals-notice\""));
    assert!(!list.text.contains("Synthetic plan: upper teeth"));
    assert!(list.text.contains("$1,345.00"));
    assert!(!list.text.contains("Draft a new plan"));
    let page = desk.get(&h, &plan_path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains("Demo: crown") && !page.text.contains("Synthetic note"));
    assert!(page.text.contains(r#"<dd id="total-fee">$1,395.00</dd>"#));
    assert!(!page.text.contains("id=\"present-plan\""));
    let builder = desk.get(&h, &format!("{}/new", plans(&patient))).await;
    assert_eq!(
        builder.status,
        StatusCode::FORBIDDEN,
        "the chart is not the front desk's"
    );
    let shown = desk.get(&h, &format!("{plan_path}/presentation")).await;
    assert_ne!(shown.status, StatusCode::OK);

    // The face sheet links to the clinical pages each role opens.
    let sheet = desk.get(&h, &format!("/patients/{patient}")).await;
    assert!(sheet.text.contains("id=\"open-plans\""));
    assert!(!sheet.text.contains("id=\"open-perio\"") && !sheet.text.contains("id=\"open-notes\""));
    let sheet = dentist.get(&h, &format!("/patients/{patient}")).await;
    for link in ["open-chart", "open-perio", "open-notes", "open-plans"] {
        assert!(sheet.text.contains(&format!("id=\"{link}\"")), "{link}");
    }

    let officer = Browser::sign_in(&h, Role::ComplianceOfficer).await;
    let refused = officer.get(&h, &plans(&patient)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
