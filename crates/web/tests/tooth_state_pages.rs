//! Tooth states on the chart page, through the real router and signed in the way a browser
//! is: the "Tooth state" form needs a session, this session's anti-forgery token and our own
//! origin; a recorded state is one audit entry and is drawn on the odontogram (its shape, its
//! words in the tooth's name) and listed under it in the practice's numbering, as of the day
//! shown; a refused state is named next to its field with nothing written; and only a role
//! that may chart is offered the form (a break-glass reader sees the states, no form). By
//! keyboard in a real browser: browser-tests/test/chart.test.js.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use common::browser::Browser;
use enamel_app::{ChartSettings, RequestOrigin, SystemReason};
use enamel_domain::Role;
use enamel_domain::clinical::Numbering;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn chart(patient: &str) -> String {
    format!("/patients/{patient}/chart")
}

fn states_path(patient: &str) -> String {
    format!("/patients/{patient}/chart/tooth-states")
}

/// How many tooth state changes are stored for `patient`.
async fn recorded(h: &Harness, patient: &str) -> usize {
    h.t.db
        .tooth_states_of(&h.practice.to_string(), patient)
        .await
        .unwrap()
        .len()
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

/// The markup of one drawn tooth, `<g …>` to `</g>` (`data-tooth` is its Universal number).
fn tooth_svg<'a>(page: &'a str, universal: &str) -> &'a str {
    let marker = format!("data-tooth=\"{universal}\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no tooth {universal}"));
    let start = page[..at].rfind("<g ").unwrap();
    let end = at + page[at..].find("</g>").unwrap() + "</g>".len();
    &page[start..end]
}

/// The `aria-label` of a drawn tooth.
fn tooth_label(page: &str, universal: &str) -> String {
    let g = tooth_svg(page, universal);
    let start = g.find("aria-label=\"").unwrap() + "aria-label=\"".len();
    let end = start + g[start..].find('"').unwrap();
    g[start..end].to_string()
}

/// The `<defs>` shape a state is drawn with (`<g id="m-missing">…</g>`).
fn state_shape<'a>(page: &'a str, key: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"m-{key}\""))
        .unwrap_or_else(|| panic!("no #m-{key}"));
    let end = start + page[start..].find('\n').unwrap();
    &page[start..end]
}

/// The list of tooth states under the odontogram, its items joined as the page shows them.
fn states_list(page: &str) -> String {
    let Some(start) = page.find("id=\"tooth-states\"") else {
        return String::new();
    };
    let end = start + page[start..].find("</ul>").unwrap();
    let strip = |html: &str| -> String {
        let mut text = String::new();
        let mut inside = false;
        for c in html.chars() {
            match c {
                '<' => inside = true,
                '>' => inside = false,
                c if !inside => text.push(c),
                _ => {}
            }
        }
        text
    };
    page[start..end]
        .split("<li>")
        .skip(1)
        .map(strip)
        .collect::<Vec<_>>()
        .join(" · ")
}

fn state<'a>(csrf: &'a str, tooth: &'a str, state: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("csrf", csrf), ("tooth", tooth), ("state", state)]
}

#[tokio::test]
async fn without_a_session_recording_a_state_sends_the_browser_to_sign_in() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let answer = h
        .call_with(
            "POST",
            &states_path(&patient),
            None,
            Some("csrf=x&tooth=1&state=missing".into()),
            &[("content-type", "application/x-www-form-urlencoded")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.headers["location"], "/sign-in");
    assert_eq!(recorded(&h, &patient).await, 0, "nothing was recorded");
}

#[tokio::test]
async fn a_state_needs_the_session_token_and_our_origin() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    let before = h.audit().await.len();
    for (csrf, site) in [
        ("forged", "same-origin"),
        ("", "same-origin"),
        (dentist.csrf.as_str(), "cross-site"),
    ] {
        let refused = dentist
            .post_from(
                &h,
                &states_path(&patient),
                &state(csrf, "1", "missing"),
                site,
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{site} {csrf:?}");
        assert!(refused.text.contains("Not available to your role"));
    }
    assert_eq!(recorded(&h, &patient).await, 0, "nothing was recorded");
    assert_eq!(
        h.audit().await.len(),
        before,
        "a refused form reaches no record"
    );
    let page = dentist.get(&h, &chart(&patient)).await;
    assert!(!tooth_label(&page.text, "1").contains("Missing"));
}

#[tokio::test]
async fn a_recorded_state_is_one_entry_drawn_on_the_tooth_and_listed() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    let first_day = enamel_domain::PracticeTz::utc()
        .date_of(enamel_domain::Instant::from_unix_ms(
            enamel_app::Clock::now_ms(h.clock.as_ref()),
        ))
        .to_string();

    let page = dentist.get(&h, &chart(&patient)).await;
    assert!(
        page.text.contains(&format!(
            r#"<form method="post" action="{}" class="chart-form" id="tooth-state-form""#,
            states_path(&patient)
        )),
        "{}",
        page.text
    );
    for option in [
        r#"<option value="present">Present</option>"#,
        r#"<option value="missing">Missing</option>"#,
        r#"<option value="unerupted">Unerupted</option>"#,
        r#"<option value="impacted">Impacted</option>"#,
        r#"<option value="implant">Implant</option>"#,
    ] {
        assert!(page.text.contains(option), "{option}");
    }
    assert!(page.text.contains("id=\"tooth-states-none\""));
    assert_eq!(tooth_label(&page.text, "1"), "tooth 1, nothing charted");
    assert!(!tooth_svg(&page.text, "1").contains("#m-"));

    let before = h.audit().await.len();
    let done = dentist
        .post(
            &h,
            &states_path(&patient),
            &state(&dentist.csrf, "1", "missing"),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(
        done.headers["location"].to_str().unwrap(),
        format!("{}?done=tooth-state", chart(&patient)),
        "the address names no tooth"
    );
    assert_eq!(done.headers["cache-control"], "no-store");
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(
        (
            entries[0].action.as_str(),
            entries[0].outcome.as_str(),
            entries[0].record_type.as_deref(),
            entries[0].patient_id.as_deref(),
        ),
        (
            "create",
            "allowed",
            Some("tooth_state"),
            Some(patient.as_str())
        )
    );
    assert_eq!(recorded(&h, &patient).await, 1);

    let before = h.audit().await.len();
    let page = dentist
        .get(&h, &format!("{}?done=tooth-state", chart(&patient)))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(h.audit().await.len(), before + 1, "the page is one view");
    assert_eq!(page.headers["cache-control"], "no-store");
    assert!(page.text.contains("The tooth state is recorded."));
    // Tooth 1: said missing, faded, and its outline crossed out.
    assert_eq!(
        tooth_label(&page.text, "1"),
        "tooth 1, Missing, nothing charted"
    );
    let t1 = tooth_svg(&page.text, "1");
    assert!(
        t1.starts_with(r#"<g class="tooth missing state-missing faded""#),
        "{t1}"
    );
    assert!(
        t1.contains(r##"<use href="#m-missing" class="st"/>"##),
        "{t1}"
    );
    let shape = state_shape(&page.text, "missing");
    assert!(
        shape.contains(r#"<path d="M-2 -2L32 32M32 -2L-2 32"/>"#),
        "an X across the outline: {shape}"
    );
    assert!(shape.contains("stroke-dasharray"), "a dashed outline");
    let t2 = tooth_svg(&page.text, "2");
    assert!(!t2.contains("#m-") && !t2.contains("missing"), "{t2}");
    assert_eq!(states_list(&page.text), "Missing: 1");
    // The key says what each state looks like, in words.
    for words in [
        "<strong>Missing</strong> (tooth state): faded, its outline dashed and crossed out",
        "<strong>Unerupted</strong> (tooth state): faded, a dotted rounded outline, marked U",
        "<strong>Implant</strong> (tooth state): a screw drawn through the tooth",
    ] {
        assert!(page.text.contains(words), "{words}");
    }

    // Two days later, an implant and an impacted tooth; then the list in FDI numbering.
    h.clock.advance_ms(2 * DAY_MS);
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    for (tooth, s) in [("30", "implant"), ("16", "missing"), ("17", "impacted")] {
        let done = dentist
            .post(&h, &states_path(&patient), &state(&dentist.csrf, tooth, s))
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    }
    let page = dentist.get(&h, &chart(&patient)).await;
    assert_eq!(
        states_list(&page.text),
        "Missing: 1, 16 · Impacted: 17 · Implant: 30"
    );
    assert_eq!(
        tooth_label(&page.text, "30"),
        "tooth 30, Implant, nothing charted"
    );
    assert!(tooth_svg(&page.text, "30").contains(r##"<use href="#m-implant" class="st"/>"##));
    let t17 = tooth_svg(&page.text, "17");
    assert!(
        t17.contains(r##"<use href="#m-impacted" class="st"/>"##),
        "{t17}"
    );
    assert!(t17.contains(">Imp</text>"), "a short text mark: {t17}");
    set_numbering(&h, Numbering::Fdi).await;
    let page = dentist.get(&h, &chart(&patient)).await;
    assert_eq!(
        states_list(&page.text),
        "Missing: 18, 28 · Impacted: 38 · Implant: 46"
    );
    assert_eq!(
        tooth_label(&page.text, "30"),
        "tooth 46, Implant, nothing charted"
    );

    // The chart of the first day shows the states of that day only, and no form.
    let then = dentist
        .get(&h, &format!("{}?as_of={first_day}", chart(&patient)))
        .await;
    assert_eq!(then.status, StatusCode::OK, "{}", then.text);
    assert_eq!(states_list(&then.text), "Missing: 18");
    assert!(tooth_svg(&then.text, "1").contains("#m-missing"));
    assert!(!tooth_svg(&then.text, "30").contains("#m-implant"));
    assert!(!then.text.contains("id=\"tooth-state-form\""));

    // Present again takes the tooth off the list.
    let done = dentist
        .post(
            &h,
            &states_path(&patient),
            &state(&dentist.csrf, "16", "present"),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = dentist.get(&h, &chart(&patient)).await;
    assert_eq!(
        states_list(&page.text),
        "Missing: 18 · Impacted: 38 · Implant: 46"
    );
    assert_eq!(recorded(&h, &patient).await, 5, "every change is kept");
    // ... and shown under the chart, newest first, in the practice's numbering, read under
    // the page's one entry.
    let history = page
        .text
        .split("id=\"tooth-state-history\"")
        .nth(1)
        .and_then(|rest| rest.split("</details>").next())
        .unwrap_or_default();
    assert!(history.contains("(5), newest first"), "{history}");
    let rows: Vec<&str> = history.split("<tr><td>").skip(1).collect();
    assert_eq!(rows.len(), 5, "{history}");
    assert!(
        rows[0].contains("<td>28</td><td>Present</td><td>you</td>"),
        "{}",
        rows[0]
    );
    assert!(rows[4].contains("<td>Missing</td>"), "{}", rows[4]);
}

#[tokio::test]
async fn an_implant_on_a_primary_tooth_is_named_next_to_the_state_and_nothing_is_written() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let assistant = Browser::sign_in(&h, Role::DentalAssistant).await;
    let before = h.audit().await.len();
    let bad = assistant
        .post(
            &h,
            &states_path(&patient),
            &state(&assistant.csrf, "A", "implant"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(bad.headers["cache-control"], "no-store");
    let words = "State: tooth A is a primary tooth: an implant replaces a permanent tooth.";
    assert!(
        bad.text.contains(&format!(
            r#"<p class="field-error" id="tooth_state-error">{words}</p>"#
        )),
        "{}",
        bad.text
    );
    assert!(
        bad.text
            .contains(&format!(r##"<a href="#tooth_state">{words}</a>"##)),
        "listed at the top, linked to its field"
    );
    let select = bad
        .text
        .split("<select id=\"tooth_state\"")
        .nth(1)
        .and_then(|rest| rest.split("</select>").next())
        .unwrap();
    assert!(select.contains("aria-invalid=\"true\""), "{select}");
    assert!(select.contains("aria-describedby=\"tooth_state-error\""));
    assert!(select.contains("autofocus"));
    assert!(
        select.contains(r#"<option value="implant" selected>"#),
        "what was chosen is kept: {select}"
    );
    assert!(
        bad.text
            .contains(r#"<option value="A" selected>A</option>"#),
        "the tooth too"
    );
    assert_eq!(recorded(&h, &patient).await, 0, "nothing was written");
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "only the page shown again: {entries:#?}");
    assert_eq!(entries[0].action, "view");
    assert!(!tooth_svg(&bad.text, "A").contains("#m-"));

    // An empty tooth is named next to the tooth.
    let empty = assistant
        .post(
            &h,
            &states_path(&patient),
            &state(&assistant.csrf, "", "missing"),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty
            .text
            .contains(r#"<p class="field-error" id="state_tooth-error">Tooth is required.</p>"#)
    );
    assert_eq!(recorded(&h, &patient).await, 0);
}

#[tokio::test]
async fn only_a_role_that_may_chart_is_offered_the_form() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    for role in [Role::FrontDesk, Role::Billing] {
        let browser = Browser::sign_in(&h, role).await;
        let page = browser.get(&h, &chart(&patient)).await;
        assert_eq!(page.status, StatusCode::OK, "{role:?}: {}", page.text);
        assert!(!page.text.contains("tooth-state-form"), "{role:?}");
        assert!(!page.text.contains("Record tooth state"), "{role:?}");
        // Posting anyway is refused by the room, with its denied entry.
        let before = h.audit().await.len();
        let refused = browser
            .post(
                &h,
                &states_path(&patient),
                &state(&browser.csrf, "1", "missing"),
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{role:?}");
        let entries = h.audit().await.split_off(before);
        assert_eq!(entries.len(), 1, "{entries:#?}");
        assert_eq!(entries[0].outcome, "denied");
    }
    assert_eq!(recorded(&h, &patient).await, 0);
    for role in [Role::Dentist, Role::Hygienist, Role::DentalAssistant] {
        let browser = Browser::sign_in(&h, role).await;
        let page = browser.get(&h, &chart(&patient)).await;
        assert!(page.text.contains("id=\"tooth-state-form\""), "{role:?}");
    }
}

#[tokio::test]
async fn a_break_glass_reader_sees_the_states_and_no_form() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let dentist = Browser::sign_in(&h, Role::Dentist).await;
    let done = dentist
        .post(
            &h,
            &states_path(&patient),
            &state(&dentist.csrf, "19", "missing"),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    // The practice takes charting from the dental assistant, who then reads by emergency access.
    let admin = h.login(Role::PracticeAdministrator).await;
    for action in ["view", "create", "edit"] {
        let r = h
            .call(
                "PUT",
                "/api/v1/policy",
                Some(&admin),
                Some(serde_json::json!({"role": "dental_assistant", "category": "charting", "action": action, "allowed": false})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }
    h.clock.advance_ms(6_000); // past the policy cache
    let token = h.login(Role::DentalAssistant).await;
    let grant = h
        .call(
            "POST",
            "/api/v1/emergency-access",
            Some(&token),
            Some(serde_json::json!({"patient_id": patient, "justification": "Patient arrived with facial swelling; dentist out"})),
        )
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.text);
    let assistant = Browser::sign_in(&h, Role::DentalAssistant).await;
    let page = assistant.get(&h, &chart(&patient)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(states_list(&page.text), "Missing: 19");
    assert!(!page.text.contains("tooth-state-form"));
    let refused = assistant
        .post(
            &h,
            &states_path(&patient),
            &state(&assistant.csrf, "19", "present"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        recorded(&h, &patient).await,
        1,
        "emergency access changes nothing"
    );
}
