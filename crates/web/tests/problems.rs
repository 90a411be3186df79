//! Every refusal of the API is an RFC 9457 problem document (`application/problem+json` with
//! `type`, `title`, `status`, `detail`, `code` and the request id), whoever produced it: a
//! handler, an extractor, a layer or the framework. A refused body names the member by its
//! path and never repeats a value from the request.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::{Answer, Harness};
use enamel_domain::Role;
use serde_json::json;

/// The problem document's shape, checked the same way for every status.
fn assert_problem(a: &Answer, status: StatusCode, code: &str, what: &str) {
    assert_eq!(a.status, status, "{what}: {}", a.text);
    assert_eq!(
        a.headers["content-type"], "application/problem+json",
        "{what}"
    );
    let p = &a.json;
    assert_eq!(
        p["type"],
        format!("urn:enamel:problem:{code}"),
        "{what}: {p}"
    );
    assert_eq!(p["code"], code, "{what}: {p}");
    assert_eq!(p["status"], status.as_u16(), "{what}: {p}");
    assert!(
        p["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{what}: {p}"
    );
    assert!(
        p["detail"].as_str().is_some_and(|t| !t.is_empty()),
        "{what}: {p}"
    );
    assert_eq!(
        p["request_id"].as_str(),
        a.headers["x-request-id"].to_str().ok(),
        "{what}: the request id is in the body and the header"
    );
}

#[tokio::test]
async fn every_status_of_the_api_is_a_problem_document() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let id = h.patient().await;
    let path = format!("/api/v1/patients/{id}");
    let json = ("content-type", "application/json");
    let body = json!({"family_name": "Molar", "given_name": "Testy", "birth_date": "1980-02-03"})
        .to_string();

    let a = h.call("GET", "/api/v1/patients?name=mol", None, None).await;
    assert_problem(&a, StatusCode::UNAUTHORIZED, "unauthenticated", "no token");

    let a = h.call("GET", "/api/v1/audit/events", Some(&fd), None).await;
    assert_problem(
        &a,
        StatusCode::FORBIDDEN,
        "forbidden",
        "front desk reads the log",
    );

    let a = h
        .call(
            "GET",
            "/api/v1/patients/pat_00000000000000000000000000",
            Some(&fd),
            None,
        )
        .await;
    assert_problem(&a, StatusCode::NOT_FOUND, "not_found", "unknown id");
    let a = h
        .call("GET", "/api/v1/no-such-thing", Some(&fd), None)
        .await;
    assert_problem(&a, StatusCode::NOT_FOUND, "not_found", "unknown path");

    let a = h.call("PATCH", &path, Some(&fd), None).await;
    assert_problem(
        &a,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "PATCH",
    );

    let a = h
        .call_with("GET", &path, Some(&fd), None, &[("accept", "text/html")])
        .await;
    assert_problem(
        &a,
        StatusCode::NOT_ACCEPTABLE,
        "not_acceptable",
        "Accept: text/html",
    );

    let huge =
        json!({"family_name": "A".repeat(2 << 20), "given_name": "B", "birth_date": "2000-01-01"});
    let a = h
        .call_with(
            "POST",
            "/api/v1/patients",
            Some(&fd),
            Some(huge.to_string()),
            &[json],
        )
        .await;
    assert_problem(&a, StatusCode::PAYLOAD_TOO_LARGE, "too_large", "2 MiB body");

    let a = h
        .call_with(
            "POST",
            "/api/v1/patients",
            Some(&fd),
            Some(body.clone()),
            &[("content-type", "text/plain")],
        )
        .await;
    assert_problem(
        &a,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "text/plain body",
    );
    // Refused before its body was read: the connection cannot be reused, and the answer says
    // so instead of the connection closing under the client.
    assert_eq!(a.headers["connection"], "close");
    let without_body = h
        .call("GET", "/api/v1/no-such-thing", Some(&fd), None)
        .await;
    assert!(without_body.headers.get("connection").is_none());

    let a = h
        .call_with("PUT", &path, Some(&fd), Some(body.clone()), &[json])
        .await;
    assert_problem(
        &a,
        StatusCode::PRECONDITION_REQUIRED,
        "precondition_required",
        "PUT without If-Match",
    );
    let a = h
        .call_with(
            "PUT",
            &path,
            Some(&fd),
            Some(body),
            &[json, ("if-match", "\"9\"")],
        )
        .await;
    assert_problem(
        &a,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
        "PUT with a stale tag",
    );

    let admin = h.account(Role::PracticeAdministrator);
    for _ in 0..common::test_settings().lock_after_failures {
        h.login_step_one(&admin.username, "not the password at all")
            .await;
    }
    let locked = h.login_step_one(&admin.username, &admin.password).await;
    assert_problem(
        &locked,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "a locked account",
    );
    assert!(locked.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn a_refused_body_names_the_member_by_path_and_never_a_value() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let id = h.patient().await;
    let json = ("content-type", "application/json");
    let ok = || json!({"family_name": "Molar", "given_name": "Testy", "birth_date": "1980-02-03"});
    let with = |member: &str, value: serde_json::Value| {
        let mut body = ok();
        body[member] = value;
        body.to_string()
    };
    let cases: Vec<(String, StatusCode, &str, &str)> = vec![
        (
            with(
                "address",
                json!({"line1": "SYNTHVALUE1", "line3": "SYNTHVALUE2"}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "address.line3",
            "is not a member",
        ),
        (
            with("family_name", json!(["SYNTHVALUE3"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "family_name",
            "text",
        ),
        (
            with("phones", json!([{"number": "(555) 010-0100"}, {"kind": 7}])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "phones[1].kind",
            "values the document lists",
        ),
        (
            with(
                "phones",
                json!([{"number": "(555) 010-0100"}, {"kind": "home"}]),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "phones[1].number",
            "is required",
        ),
        (
            json!({"family_name": "SYNTHVALUE4", "birth_date": "1980-02-03"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "given_name",
            "is required",
        ),
        (
            with(
                "coverages",
                json!([{"carrier": "SYNTHVALUE5", "subscriber_id": "x", "plan": {"SYNTHVALUE6": 1}}]),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "coverages[0].plan",
            "text",
        ),
        (
            with("address", json!([null, "SYNTHVALUE10"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "address",
            "an object",
        ),
        (
            with("phones", json!([["SYNTHVALUE11"]])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "phones[0]",
            "an object",
        ),
        (
            json!(["SYNTHVALUE12", "Molar", "1980-02-03"]).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "(body)",
            "a JSON object",
        ),
        (
            with("sex", json!("SYNTHVALUE9")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "sex",
            "one of female, male, other, unknown",
        ),
        (
            with(
                "coverages",
                json!([{"carrier": "C", "subscriber_id": "x", "priority": "first"}]),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "coverages[0].priority",
            "one of primary, secondary, tertiary",
        ),
    ];
    for method in ["POST", "PUT"] {
        let path = if method == "POST" {
            "/api/v1/patients".to_string()
        } else {
            format!("/api/v1/patients/{id}")
        };
        for (body, status, field, words) in &cases {
            let a = h
                .call_with(
                    method,
                    &path,
                    Some(&fd),
                    Some(body.clone()),
                    &[json, ("if-match", "*")],
                )
                .await;
            assert_problem(&a, *status, "invalid", body);
            assert_eq!(
                a.json["fields"][0]["field"], *field,
                "{method} {body}: {}",
                a.text
            );
            let problem = a.json["fields"][0]["problem"].as_str().unwrap();
            assert!(problem.contains(words), "{method} {body}: {problem}");
            assert!(
                !a.text.contains("SYNTHVALUE"),
                "{method}: no value echoed: {}",
                a.text
            );
        }
        let a = h
            .call_with(
                method,
                &path,
                Some(&fd),
                Some(
                    "{\n  \"family_name\": \"SYNTHVALUE7\",\n  \"given_name\": SYNTHVALUE8\n}"
                        .into(),
                ),
                &[json, ("if-match", "*")],
            )
            .await;
        assert_problem(&a, StatusCode::BAD_REQUEST, "bad_request", "not JSON");
        assert!(
            a.json["detail"]
                .as_str()
                .unwrap()
                .contains("line 3, column"),
            "{}",
            a.text
        );
        assert!(!a.text.contains("SYNTHVALUE"), "{}", a.text);
    }
    // Nothing was written by any of it.
    let search = h
        .call("GET", "/api/v1/patients?name=molar", Some(&fd), None)
        .await;
    assert_eq!(
        search.json["results"].as_array().unwrap().len(),
        1,
        "{}",
        search.text
    );
}

#[tokio::test]
async fn a_refused_query_names_the_parameter_and_never_its_value() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    for (query, field, words) in [
        ("nmae=SYNTHVALUE1", "nmae", "not a member"),
        ("name=a&limit=SYNTHVALUE2", "limit", "whole number"),
        (
            "name=a&status=SYNTHVALUE3",
            "status",
            "one of active, inactive, deceased, archived",
        ),
        ("name=a&name=b", "name", "more than once"),
    ] {
        let a = h
            .call("GET", &format!("/api/v1/patients?{query}"), Some(&fd), None)
            .await;
        assert_problem(&a, StatusCode::BAD_REQUEST, "bad_request", query);
        assert_eq!(a.json["fields"][0]["field"], field, "{query}: {}", a.text);
        let problem = a.json["fields"][0]["problem"].as_str().unwrap();
        assert!(problem.contains(words), "{query}: {problem}");
        assert!(!a.text.contains("SYNTHVALUE"), "{}", a.text);
    }
}
