//! The chart API through HTTP: a procedure's life with one audit entry per request, refusals
//! that name the tooth or surface, what each role sees (billing: completed work and fees, no
//! notes), the lock and its override, break-glass reading only, and practice isolation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use enamel_domain::Role;
use serde_json::json;

fn filling() -> serde_json::Value {
    json!({"code": "X2120", "tooth": "3", "surfaces": "MO", "status": "planned"})
}

#[tokio::test]
async fn a_procedure_is_charted_corrected_completed_and_annotated_with_one_entry_each() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let dentist = h.login(Role::Dentist).await;
    let before = h.audit().await.len();
    let created = h
        .call(
            "POST",
            &format!("/api/v1/patients/{patient}/procedures"),
            Some(&dentist),
            Some(filling()),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.headers["etag"], "\"1\"");
    let id = created.json["id"].as_str().unwrap().to_string();
    assert_eq!(
        created.headers["location"],
        format!("/api/v1/procedures/{id}").as_str()
    );
    assert_eq!(created.json["site"], "3 MO");
    assert_eq!(created.json["fee"], 19_500);
    assert_eq!(created.json["currency"], "USD");
    assert_eq!(created.json["status"], "planned");

    // What GET answers, PUT accepts back (read-only members compared and ignored).
    let read = h
        .call(
            "GET",
            &format!("/api/v1/procedures/{id}"),
            Some(&dentist),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    let mut body = read.json.clone();
    body["surfaces"] = json!("MOD");
    body["tooth_display"] = serde_json::Value::Null;
    let obj = body.as_object_mut().unwrap();
    for derived in ["tooth_display", "currency", "teeth"] {
        obj.remove(derived);
    }
    let replaced = h
        .call_with(
            "PUT",
            &format!("/api/v1/procedures/{id}"),
            Some(&dentist),
            Some(body.to_string()),
            &[("if-match", "\"1\""), ("content-type", "application/json")],
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.text);
    assert_eq!(replaced.json["site"], "3 MOD");
    assert_eq!(replaced.headers["etag"], "\"2\"");
    // The same body again names the stale version and a changed read-only member.
    let stale = h
        .call_with(
            "PUT",
            &format!("/api/v1/procedures/{id}"),
            Some(&dentist),
            Some(body.to_string()),
            &[("if-match", "\"1\""), ("content-type", "application/json")],
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.text
    );
    body["row_version"] = json!(2);
    body["site"] = json!("3 MOD");
    body["description"] = json!("Something else");
    let read_only = h
        .call_with(
            "PUT",
            &format!("/api/v1/procedures/{id}"),
            Some(&dentist),
            Some(body.to_string()),
            &[("if-match", "*"), ("content-type", "application/json")],
        )
        .await;
    assert_eq!(read_only.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        read_only.json["fields"].as_array().unwrap().len(),
        1,
        "{}",
        read_only.text
    );
    assert_eq!(read_only.json["fields"][0]["field"], "description");
    let no_match = h
        .call(
            "PUT",
            &format!("/api/v1/procedures/{id}"),
            Some(&dentist),
            Some(filling()),
        )
        .await;
    assert_eq!(no_match.status, StatusCode::PRECONDITION_REQUIRED);

    let done = h
        .call(
            "POST",
            &format!("/api/v1/procedures/{id}/complete"),
            Some(&dentist),
            Some(json!({})),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.json["status"], "completed");
    assert_eq!(done.json["completed_on"], "2026-09-21");
    let again = h
        .call(
            "POST",
            &format!("/api/v1/procedures/{id}/complete"),
            Some(&dentist),
            Some(json!({})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    let addendum = h
        .call(
            "POST",
            &format!("/api/v1/procedures/{id}/addenda"),
            Some(&dentist),
            Some(json!({"body": "Synthetic: occlusion adjusted."})),
        )
        .await;
    assert_eq!(addendum.status, StatusCode::CREATED, "{}", addendum.text);
    let chart = h
        .call(
            "GET",
            &format!("/api/v1/patients/{patient}/chart"),
            Some(&dentist),
            None,
        )
        .await;
    assert_eq!(chart.status, StatusCode::OK, "{}", chart.text);
    assert_eq!(chart.json["tooth_numbering"], "universal");
    assert_eq!(
        chart.json["patient"]["family_name"], "Molar",
        "whose chart it is"
    );
    assert_eq!(
        chart.json["procedures"][0]["addenda"][0]["kind"],
        "addendum"
    );
    let entries = h.audit().await;
    let new: Vec<(&str, &str, &str)> = entries[before..]
        .iter()
        .map(|e| {
            (
                e.action.as_str(),
                e.record_type.as_deref().unwrap_or(""),
                e.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        new,
        [
            ("create", "procedure", "allowed"),
            ("view", "procedure", "allowed"),
            ("update", "procedure", "allowed"),
            ("update", "procedure", "failed"),
            ("update", "procedure", "allowed"),
            ("update", "procedure", "failed"),
            ("create", "procedure_addendum", "allowed"),
            ("view", "chart", "allowed"),
        ],
        "one entry per request that reached the record (a read-only member and a missing \
         If-Match are refused before)"
    );
}

#[tokio::test]
async fn refusals_name_the_tooth_or_surface_and_echo_no_free_text() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let dentist = h.login(Role::Dentist).await;
    let post = |body: serde_json::Value| {
        let (h, token, patient) = (&h, dentist.clone(), patient.clone());
        async move {
            h.call(
                "POST",
                &format!("/api/v1/patients/{patient}/procedures"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let cases = [
        (
            json!({"code": "X2120", "tooth": "33", "surfaces": "MO"}),
            "tooth",
            "tooth 33",
        ),
        (
            json!({"code": "X2120", "tooth": "3", "surfaces": "MI"}),
            "surfaces",
            "surface I on tooth 3",
        ),
        (
            json!({"code": "X2120", "tooth": "8", "surfaces": "O"}),
            "surfaces",
            "surface O on tooth 8",
        ),
        (json!({"code": "D0120"}), "code", "is not in this practice"),
        (json!({"code": "X1410"}), "area", "is required"),
        (
            json!({"code": "X1110", "tooth": "3"}),
            "tooth",
            "is not used",
        ),
        (
            json!({"code": "X6210", "teeth": ["14", "19"]}),
            "teeth",
            "one arch",
        ),
        (
            json!({"code": "X7110", "tooth": "1", "diagnosis_codes": ["nonsense"]}),
            "diagnosis_codes[0]",
            "ICD-10",
        ),
        (
            json!({"code": "X1110", "row_version": 3}),
            "row_version",
            "set by the server",
        ),
    ];
    for (body, field, words) in cases {
        let a = post(body.clone()).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            a.text
        );
        assert_eq!(a.json["fields"][0]["field"], field, "{body}: {}", a.text);
        let problem = a.json["fields"][0]["problem"].as_str().unwrap();
        assert!(problem.contains(words), "{body}: {problem}");
    }
    let secret = "Synthetic<script>secret";
    let a = post(json!({"code": "X1110", "note": format!("{secret}\u{7}")})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!a.text.contains("secret"), "{}", a.text);
    let elsewhere = enamel_domain::PatientId::new();
    let miss = h
        .call(
            "POST",
            &format!("/api/v1/patients/{elsewhere}/procedures"),
            Some(&dentist),
            Some(filling()),
        )
        .await;
    assert_eq!(miss.status, StatusCode::NOT_FOUND);
    assert_eq!(h.audit().await.last().unwrap().outcome, "failed");
}

#[tokio::test]
async fn billing_and_the_front_desk_see_completed_work_and_fees_never_notes() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let planned = h.procedure(&patient).await;
    let done = h.procedure(&patient).await;
    let dentist = h.login(Role::Dentist).await;
    let complete = h
        .call(
            "POST",
            &format!("/api/v1/procedures/{done}/complete"),
            Some(&dentist),
            Some(json!({})),
        )
        .await;
    assert_eq!(complete.status, StatusCode::OK, "{}", complete.text);
    for role in [Role::Billing, Role::FrontDesk, Role::OfficeManager] {
        let token = h.login(role).await;
        let chart = h
            .call(
                "GET",
                &format!("/api/v1/patients/{patient}/chart"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(chart.status, StatusCode::OK, "{role:?}: {}", chart.text);
        assert_eq!(chart.json["billing_view"], true);
        let procedures = chart.json["procedures"].as_array().unwrap();
        assert_eq!(procedures.len(), 1, "{role:?}: completed work only");
        assert_eq!(procedures[0]["id"], done.as_str());
        assert_eq!(procedures[0]["fee"], 19_500);
        assert!(procedures[0].get("note").is_none(), "{role:?}");
        assert!(procedures[0].get("addenda").is_none(), "{role:?}");
        assert_eq!(procedures[0]["withheld"], json!(["note", "addenda"]));
        assert!(!chart.text.contains("distal margin"), "{role:?}");
        let hidden = h
            .call(
                "GET",
                &format!("/api/v1/procedures/{planned}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(
            hidden.status,
            StatusCode::NOT_FOUND,
            "{role:?}: planned work"
        );
        let write = h
            .call(
                "POST",
                &format!("/api/v1/procedures/{done}/addenda"),
                Some(&token),
                Some(json!({"body": "Synthetic."})),
            )
            .await;
        assert_eq!(write.status, StatusCode::FORBIDDEN, "{role:?}");
    }
    for role in [Role::Hygienist, Role::DentalAssistant] {
        let token = h.login(role).await;
        let chart = h
            .call(
                "GET",
                &format!("/api/v1/patients/{patient}/chart"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(chart.json["billing_view"], false);
        assert_eq!(chart.json["procedures"].as_array().unwrap().len(), 2);
        assert!(chart.text.contains("distal margin"), "{role:?}");
    }
    for role in [Role::ComplianceOfficer, Role::PracticeAdministrator] {
        let token = h.login(role).await;
        let chart = h
            .call(
                "GET",
                &format!("/api/v1/patients/{patient}/chart"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(chart.status, StatusCode::FORBIDDEN, "{role:?}");
        let denial = h.audit().await.pop().unwrap();
        assert_eq!(denial.outcome, "denied");
        assert_eq!(denial.record_type.as_deref(), Some("charting"));
    }
}

#[tokio::test]
async fn locked_work_is_refused_by_the_api_and_only_the_lock_override_strikes_it() {
    let h = Harness::new().await;
    let admin = h.login(Role::PracticeAdministrator).await;
    let set = h
        .call(
            "PUT",
            "/api/v1/practice/chart-settings",
            Some(&admin),
            Some(json!({"tooth_numbering": "fdi", "chart_lock_hours": 0})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let patient = h.patient().await;
    let hygienist = h.login(Role::Hygienist).await;
    let created = h
        .call(
            "POST",
            &format!("/api/v1/patients/{patient}/procedures"),
            Some(&hygienist),
            Some(json!({"code": "X2110", "tooth": "14", "surfaces": "o", "status": "completed"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json["locked"], true);
    assert_eq!(
        created.json["tooth_display"], "26",
        "FDI for the practice that prefers it"
    );
    let id = created.json["id"].as_str().unwrap().to_string();
    let before = h.audit().await.len();
    let change = h
        .call_with(
            "PUT",
            &format!("/api/v1/procedures/{id}"),
            Some(&hygienist),
            Some(
                json!({"code": "X2110", "tooth": "14", "surfaces": "M", "status": "completed"})
                    .to_string(),
            ),
            &[("if-match", "*"), ("content-type", "application/json")],
        )
        .await;
    assert_eq!(change.status, StatusCode::CONFLICT, "{}", change.text);
    assert_eq!(change.json["code"], "refused");
    let refused = &h.audit().await[before];
    assert_eq!(
        (refused.action.as_str(), refused.outcome.as_str()),
        ("update", "failed")
    );
    let strike = h
        .call(
            "POST",
            &format!("/api/v1/procedures/{id}/invalidate"),
            Some(&hygienist),
            Some(json!({"reason": "Wrong tooth."})),
        )
        .await;
    assert_eq!(
        strike.status,
        StatusCode::FORBIDDEN,
        "the lock override is the dentist's"
    );
    let addendum = h
        .call(
            "POST",
            &format!("/api/v1/procedures/{id}/addenda"),
            Some(&hygienist),
            Some(json!({"body": "Synthetic: the restoration was on 15, see next entry."})),
        )
        .await;
    assert_eq!(addendum.status, StatusCode::CREATED, "{}", addendum.text);
    let dentist = h.login(Role::Dentist).await;
    let struck = h
        .call(
            "POST",
            &format!("/api/v1/procedures/{id}/invalidate"),
            Some(&dentist),
            Some(json!({"reason": "Wrong tooth."})),
        )
        .await;
    assert_eq!(struck.status, StatusCode::OK, "{}", struck.text);
    assert_eq!(struck.json["status"], "entered_in_error");
    let again = h
        .call(
            "POST",
            &format!("/api/v1/procedures/{id}/invalidate"),
            Some(&dentist),
            Some(json!({"reason": "Wrong tooth."})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let reason_logged = h.audit().await.iter().any(|e| {
        e.reason
            .as_deref()
            .is_some_and(|r| r.contains("Wrong tooth"))
    });
    assert!(
        !reason_logged,
        "the reason is clinical text: sealed, not audited"
    );
}

#[tokio::test]
async fn break_glass_reads_the_chart_and_changes_nothing() {
    let h = Harness::new().await;
    let admin = h.login(Role::PracticeAdministrator).await;
    for action in ["view", "create", "edit"] {
        let r = h
            .call("PUT", "/api/v1/policy", Some(&admin), Some(json!({"role": "dental_assistant", "category": "charting", "action": action, "allowed": false})))
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }
    h.clock.advance_ms(6_000); // past the policy cache
    let patient = h.patient().await;
    let id = h.procedure(&patient).await;
    let assistant = h.login(Role::DentalAssistant).await;
    let chart_path = format!("/api/v1/patients/{patient}/chart");
    let refused = h.call("GET", &chart_path, Some(&assistant), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let grant = h
        .call("POST", "/api/v1/emergency-access", Some(&assistant), Some(json!({"patient_id": patient, "justification": "Patient arrived with facial swelling; dentist out"})))
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.text);
    let chart = h.call("GET", &chart_path, Some(&assistant), None).await;
    assert_eq!(chart.status, StatusCode::OK, "{}", chart.text);
    assert_eq!(chart.json["procedures"][0]["id"], id.as_str());
    let view = h.audit().await.pop().unwrap();
    assert!(
        view.reason
            .as_deref()
            .unwrap()
            .starts_with("emergency_access:")
    );
    for (method, path, body) in [
        (
            "POST",
            format!("/api/v1/patients/{patient}/procedures"),
            filling(),
        ),
        (
            "POST",
            format!("/api/v1/procedures/{id}/addenda"),
            json!({"body": "Synthetic."}),
        ),
        (
            "POST",
            format!("/api/v1/procedures/{id}/complete"),
            json!({}),
        ),
    ] {
        let a = h.call(method, &path, Some(&assistant), Some(body)).await;
        assert_eq!(
            a.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            a.text
        );
    }
}

#[tokio::test]
async fn another_practices_procedures_are_not_found_and_codes_are_the_practices_own() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let id = h.procedure(&patient).await;
    let (_, other) = h.other_practice(Role::Dentist).await;
    let token = h.login_account(&other).await;
    for (method, path) in [
        ("GET", format!("/api/v1/procedures/{id}")),
        ("GET", format!("/api/v1/patients/{patient}/chart")),
    ] {
        let a = h.call(method, &path, Some(&token), None).await;
        assert_eq!(
            a.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            a.text
        );
    }
    let addendum = h
        .call(
            "POST",
            &format!("/api/v1/procedures/{id}/addenda"),
            Some(&token),
            Some(json!({"body": "Synthetic."})),
        )
        .await;
    assert_eq!(addendum.status, StatusCode::NOT_FOUND);
    let codes = h
        .call("GET", "/api/v1/procedure-codes", Some(&token), None)
        .await;
    assert_eq!(codes.status, StatusCode::OK);
    assert_eq!(
        codes.json["items"],
        json!([]),
        "the other practice imported none"
    );
    let dentist = h.login(Role::Dentist).await;
    let ours = h
        .call("GET", "/api/v1/procedure-codes", Some(&dentist), None)
        .await;
    assert_eq!(ours.json["items"][0]["code"], "X1110");
    assert!(
        !ours.text.contains("\"D0") && !ours.text.contains("\"D1"),
        "no CDT code is ever shipped"
    );
}

#[tokio::test]
async fn the_procedure_list_pages_by_cursor() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(h.procedure(&patient).await);
    }
    let dentist = h.login(Role::Dentist).await;
    let mut seen = Vec::new();
    let mut path = format!("/api/v1/patients/{patient}/procedures?limit=2");
    loop {
        let page = h.call("GET", &path, Some(&dentist), None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for p in page.json["items"].as_array().unwrap() {
            seen.push(p["id"].as_str().unwrap().to_string());
        }
        match page.json["next"].as_str() {
            Some(next) => {
                path = format!("/api/v1/patients/{patient}/procedures?limit=2&cursor={next}")
            }
            None => break,
        }
    }
    assert_eq!(seen, ids);
    let foreign = h
        .call(
            "GET",
            &format!("/api/v1/patients/{patient}/procedures?cursor=bm90LW91cnM"),
            Some(&dentist),
            None,
        )
        .await;
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(foreign.json["fields"][0]["field"], "cursor");
    let too_many = h
        .call(
            "GET",
            &format!("/api/v1/patients/{patient}/procedures?limit=501"),
            Some(&dentist),
            None,
        )
        .await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
}
