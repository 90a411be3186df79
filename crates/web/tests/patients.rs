//! The patient records API through the real router: the whole life of a record, optimistic
//! concurrency, what each role sees, hostile and malformed input, deletion of a record created
//! in error, households, and practice isolation. Every read and write is checked for exactly
//! one audit entry with the right action and outcome.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use enamel_domain::Role;
use serde_json::{Value, json};

fn full_patient() -> Value {
    json!({
        "family_name": "Molar-Synthetic",
        "given_name": "Zoë",
        "birth_date": "1984-03-09",
        "preferred_name": "Zo",
        "sex": "female",
        "preferred_language": "es",
        "chart_number": "syn-0001",
        "email": "zoe.molar@example.test",
        "phones": [{"kind": "mobile", "number": "(555) 010-0142"}],
        "address": {"line1": "12 Enamel Way", "city": "Testville", "region": "TS", "postal_code": "00012"},
        "emergency_contact": {"name": "Canine Molar", "relationship": "sibling", "phone": "555-010-0143"},
        "coverages": [
            {"carrier": "Synthetic Dental Mutual", "plan": "PPO", "group_number": "GRP-1", "subscriber_id": "SYN123"},
            {"carrier": "Placeholder Dental Plan", "subscriber_id": "SYN456", "subscriber_relationship": "spouse", "subscriber_name": "Bicuspid Molar"}
        ]
    })
}

/// The audit entries written since `before`.
async fn new_entries(h: &Harness, before: usize) -> Vec<enamel_audit::Entry> {
    h.audit().await.split_off(before)
}

async fn one_entry(h: &Harness, before: usize, action: &str, outcome: &str) -> enamel_audit::Entry {
    let entries = new_entries(h, before).await;
    assert_eq!(entries.len(), 1, "exactly one audit entry: {entries:#?}");
    assert_eq!(entries[0].action, action);
    assert_eq!(entries[0].outcome, outcome);
    entries.into_iter().next().unwrap()
}

async fn put(
    h: &Harness,
    token: &str,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
) -> common::Answer {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(tag) = if_match {
        headers.push(("if-match", tag));
    }
    h.call_with(
        "PUT",
        &format!("/api/v1/patients/{id}"),
        Some(token),
        Some(body.to_string()),
        &headers,
    )
    .await
}

/// Extra request headers.
type Headers = [(&'static str, &'static str)];

async fn count_patients(h: &Harness) -> i64 {
    h.t.db
        .count_patients(&h.practice.to_string())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_record_is_created_read_replaced_searched_deactivated_and_versioned() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let me = h.account(Role::FrontDesk).user_id.clone();

    let before = h.audit().await.len();
    let created = h
        .call("POST", "/api/v1/patients", Some(&fd), Some(full_patient()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json["id"].as_str().unwrap().to_string();
    assert_eq!(
        created.headers["location"],
        format!("/api/v1/patients/{id}").as_str()
    );
    assert_eq!(created.headers["etag"], "\"1\"");
    let entry = one_entry(&h, before, "create", "allowed").await;
    assert_eq!(entry.patient_id.as_deref(), Some(id.as_str()));
    assert_eq!(entry.actor_id.as_deref(), Some(me.as_str()));

    let before = h.audit().await.len();
    let read = h
        .call("GET", &format!("/api/v1/patients/{id}"), Some(&fd), None)
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(read.headers["etag"], "\"1\"");
    assert_eq!(read.headers["cache-control"], "no-store");
    one_entry(&h, before, "view", "allowed").await;
    let p = &read.json;
    assert_eq!(p["given_name"], "Zoë");
    assert_eq!(p["chart_number"], "SYN-0001");
    assert_eq!(p["phones"][0]["number"], "+15550100142");
    assert_eq!(p["emergency_contact"]["phone"], "+15550100143");
    assert_eq!(p["coverages"][1]["priority"], "secondary");
    assert_eq!(p["coverages"][1]["subscriber_relationship"], "spouse");
    assert_eq!(
        p["guarantor_id"],
        id.as_str(),
        "a patient alone pays for themself"
    );
    assert_eq!(p["household_id"], id.as_str());
    assert_eq!(p["is_minor"], false);
    assert_eq!(p["withheld"], json!([]));

    // Replacing needs If-Match: missing is 428, and nothing changes.
    let mut changed = full_patient();
    changed["family_name"] = json!("Molar-Changed");
    changed["phones"] = json!([{"number": "+1 555 010 0150"}]);
    let before = h.audit().await.len();
    let missing = put(&h, &fd, &id, &changed, None).await;
    assert_eq!(
        missing.status,
        StatusCode::PRECONDITION_REQUIRED,
        "{}",
        missing.text
    );
    assert_eq!(missing.json["code"], "precondition_required");
    assert_eq!(
        h.audit().await.len(),
        before,
        "a refused precondition writes nothing"
    );
    let saved = put(&h, &fd, &id, &changed, Some("\"1\"")).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert_eq!(saved.headers["etag"], "\"2\"");
    one_entry(&h, before, "update", "allowed").await;
    let stale = put(&h, &fd, &id, &full_patient(), Some("\"1\"")).await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.text
    );
    let now = h
        .call("GET", &format!("/api/v1/patients/{id}"), Some(&fd), None)
        .await;
    assert_eq!(now.json["family_name"], "Molar-Changed");
    assert_eq!(now.json["row_version"], 2);

    // Search never decrypts the table: names by prefix, ignoring case and accents.
    for query in [
        "name=zoe",
        "name=ZO%C3%8B%20molar-ch",
        "name=mol%20zo",
        "birth_date=1984-03-09",
        "phone=555.010.0150",
        "chart=syn-0001",
        "name=zo&birth_date=1984-03-09&status=active",
    ] {
        let before = h.audit().await.len();
        let found = h
            .call("GET", &format!("/api/v1/patients?{query}"), Some(&fd), None)
            .await;
        assert_eq!(found.status, StatusCode::OK, "{query}: {}", found.text);
        assert_eq!(found.json["total"], 1, "{query}: {}", found.text);
        assert_eq!(found.json["results"][0]["id"], id.as_str());
        assert_eq!(
            found.json["results"][0]["phone"], "+15550100150",
            "the front desk sees phones"
        );
        let entries = new_entries(&h, before).await;
        assert_eq!(
            entries.len(),
            2,
            "the search and the patient shown: {entries:#?}"
        );
        assert!(
            entries
                .iter()
                .all(|e| e.action == "search" && e.outcome == "allowed")
        );
        assert_eq!(entries[1].patient_id.as_deref(), Some(id.as_str()));
    }
    for query in [
        "name=zox",
        "phone=(555)%20010-0142",
        "birth_date=1984-03-10",
        "name=zo&status=inactive",
    ] {
        let found = h
            .call("GET", &format!("/api/v1/patients?{query}"), Some(&fd), None)
            .await;
        assert_eq!(found.json["total"], 0, "{query}: {}", found.text);
    }

    let before = h.audit().await.len();
    let off = h
        .call_with(
            "POST",
            &format!("/api/v1/patients/{id}/deactivate"),
            Some(&fd),
            None,
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    one_entry(&h, before, "deactivate", "allowed").await;
    let inactive = h
        .call(
            "GET",
            "/api/v1/patients?name=zoe&status=inactive",
            Some(&fd),
            None,
        )
        .await;
    assert_eq!(inactive.json["total"], 1);

    let co = h.login(Role::ComplianceOfficer).await;
    let versions = h
        .call(
            "GET",
            &format!("/api/v1/patients/{id}/versions"),
            Some(&co),
            None,
        )
        .await;
    assert_eq!(versions.status, StatusCode::OK, "{}", versions.text);
    let v = versions.json["versions"].as_array().unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["row_version"], 1);
    assert_eq!(v[0]["change"], "update");
    assert_eq!(v[0]["changed_fields"], json!(["family_name", "phones"]));
    assert_eq!(v[0]["changed_by"], me.as_str());
    assert_eq!(v[1]["change"], "deactivate");
    assert!(
        !versions.text.contains("Molar"),
        "the history names fields, not values"
    );
    let old = h
        .call(
            "GET",
            &format!("/api/v1/patients/{id}/versions/1"),
            Some(&co),
            None,
        )
        .await;
    assert_eq!(old.status, StatusCode::OK, "{}", old.text);
    assert_eq!(old.json["family_name"], "Molar-Synthetic");
    assert_eq!(
        old.json["withheld"],
        json!(["contact", "insurance"]),
        "the compliance officer sees who, not how to reach them"
    );
}

#[tokio::test]
async fn two_concurrent_edits_one_wins_the_other_gets_412_and_nothing_is_lost() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let om = h.login(Role::OfficeManager).await;
    let created = h
        .call("POST", "/api/v1/patients", Some(&fd), Some(full_patient()))
        .await;
    let id = created.json["id"].as_str().unwrap().to_string();
    let mut a = full_patient();
    a["given_name"] = json!("Alpha");
    let mut b = full_patient();
    b["email"] = json!("bravo@example.test");
    let (ra, rb) = tokio::join!(
        put(&h, &fd, &id, &a, Some("\"1\"")),
        put(&h, &om, &id, &b, Some("\"1\""))
    );
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::PRECONDITION_FAILED],
        "{} / {}",
        ra.text,
        rb.text
    );
    let now = h
        .call("GET", &format!("/api/v1/patients/{id}"), Some(&fd), None)
        .await;
    assert_eq!(now.json["row_version"], 2);
    if ra.status == StatusCode::OK {
        assert_eq!(now.json["given_name"], "Alpha");
        assert_eq!(now.json["email"], "zoe.molar@example.test");
    } else {
        assert_eq!(now.json["given_name"], "Zoë");
        assert_eq!(now.json["email"], "bravo@example.test");
    }
    // The loser re-reads and reapplies: nothing is lost.
    let loser = if ra.status == StatusCode::OK {
        (&om, b)
    } else {
        (&fd, a)
    };
    let retry = put(
        &h,
        loser.0,
        &id,
        &{
            let mut merged = loser.1.clone();
            if ra.status == StatusCode::OK {
                merged["given_name"] = json!("Alpha");
            } else {
                merged["email"] = json!("bravo@example.test");
            }
            merged
        },
        Some("\"2\""),
    )
    .await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.text);
    let last = h
        .call("GET", &format!("/api/v1/patients/{id}"), Some(&fd), None)
        .await;
    assert_eq!(
        (last.json["given_name"].clone(), last.json["email"].clone()),
        (json!("Alpha"), json!("bravo@example.test"))
    );
}

#[tokio::test]
async fn each_role_sees_and_changes_only_its_categories() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let created = h
        .call("POST", "/api/v1/patients", Some(&fd), Some(full_patient()))
        .await;
    let id = created.json["id"].as_str().unwrap().to_string();

    let hyg = h.login(Role::Hygienist).await;
    let seen = h
        .call("GET", &format!("/api/v1/patients/{id}"), Some(&hyg), None)
        .await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(seen.json["withheld"], json!(["insurance"]));
    assert!(seen.json.get("coverages").is_none());
    assert!(!seen.text.contains("SYN123"), "no insurance for hygienists");
    assert_eq!(seen.json["phones"][0]["number"], "+15550100142");

    let co = h.login(Role::ComplianceOfficer).await;
    let seen = h
        .call("GET", &format!("/api/v1/patients/{id}"), Some(&co), None)
        .await;
    assert_eq!(seen.json["withheld"], json!(["contact", "insurance"]));
    assert!(!seen.text.contains("example.test") && !seen.text.contains("5550100142"));
    let found = h
        .call("GET", "/api/v1/patients?name=zoe", Some(&co), None)
        .await;
    assert!(
        found.json["results"][0].get("phone").is_none(),
        "no phone in results without contact access"
    );

    // Billing may change insurance but not the name; a refusal is audited and changes nothing.
    let billing = h.login(Role::Billing).await;
    let mut plan = full_patient();
    plan["coverages"] = json!([{"carrier": "Example Tooth Assurance", "subscriber_id": "SYN789"}]);
    let ok = put(&h, &billing, &id, &plan, Some("\"1\"")).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let mut rename = plan.clone();
    rename["family_name"] = json!("Renamed");
    let before = h.audit().await.len();
    let refused = put(&h, &billing, &id, &rename, Some("\"2\"")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let entry = one_entry(&h, before, "update", "denied").await;
    assert_eq!(entry.record_type.as_deref(), Some("demographics"));
    let now = h
        .call("GET", &format!("/api/v1/patients/{id}"), Some(&fd), None)
        .await;
    assert_eq!(now.json["family_name"], "Molar-Synthetic");
    assert_eq!(
        now.json["coverages"][0]["carrier"],
        "Example Tooth Assurance"
    );

    // The compliance officer may not create; the refusal is audited.
    let before = h.audit().await.len();
    let no = h
        .call("POST", "/api/v1/patients", Some(&co), Some(full_patient()))
        .await;
    assert_eq!(no.status, StatusCode::FORBIDDEN);
    one_entry(&h, before, "create", "denied").await;

    // A hygienist's PUT that keeps the insurance it cannot see is refused for lack of edit.
    let refused = put(
        &h,
        &hyg,
        &id,
        &json!({"family_name": "X", "given_name": "Y", "birth_date": "2000-01-01"}),
        Some("\"2\""),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn malformed_hostile_and_oversized_input_is_refused_and_nothing_is_written() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let json_type = [("content-type", "application/json")];
    let before_patients = count_patients(&h).await;
    let cases: Vec<(String, &Headers, StatusCode, &str)> = vec![
        ("{\"family_name\": ".into(), &json_type, StatusCode::BAD_REQUEST, "bad_request"),
        (json!({"family_name": 7, "given_name": "A", "birth_date": "2000-01-01"}).to_string(), &json_type, StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        (json!({"family_name": "A", "given_name": "B", "birth_date": "2000-01-01", "ssn": "000"}).to_string(), &json_type, StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        (json!({"family_name": "A", "given_name": "B"}).to_string(), &json_type, StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        (json!({"family_name": "Robert'); DROP TABLE patients;--", "given_name": "B", "birth_date": "2000-01-01"}).to_string(), &json_type, StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        (json!({"family_name": "<script>alert(1)</script>", "given_name": "B", "birth_date": "2000-01-01"}).to_string(), &json_type, StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        (json!({"family_name": "A", "given_name": "B", "birth_date": "2000-02-30", "email": "x@", "phones": [{"number": "12"}]}).to_string(), &json_type, StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        (json!({"family_name": "A", "given_name": "B", "birth_date": "2000-01-01"}).to_string(), &[], StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        (json!({"family_name": "A".repeat(10 << 20), "given_name": "B", "birth_date": "2000-01-01"}).to_string(), &json_type, StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
    ];
    for (body, headers, status, code) in cases {
        let a = h
            .call_with(
                "POST",
                "/api/v1/patients",
                Some(&fd),
                Some(body.clone()),
                headers,
            )
            .await;
        assert_eq!(
            a.status,
            status,
            "{}: {}",
            &body[..body.len().min(80)],
            a.text
        );
        assert_eq!(a.json["code"], code, "{}", a.text);
        assert!(
            !a.text.contains("DROP TABLE") && !a.text.contains("<script"),
            "errors never echo input: {}",
            a.text
        );
    }
    let bad = h
        .call("POST", "/api/v1/patients", Some(&fd), Some(json!({"family_name": "A", "given_name": "B", "birth_date": "2000-02-30", "email": "x@", "phones": [{"number": "(555) 010-0100"}, {"number": "12"}]})))
        .await;
    let fields: Vec<&str> = bad.json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["birth_date", "email", "phones[1].number"]);
    assert_eq!(
        count_patients(&h).await,
        before_patients,
        "nothing half written"
    );

    for (path, status) in [
        ("/api/v1/patients/not-an-id", StatusCode::NOT_FOUND),
        (
            "/api/v1/patients/..%2F..%2Fetc%2Fpasswd",
            StatusCode::NOT_FOUND,
        ),
        ("/api/v1/patients?name=", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/patients", StatusCode::UNPROCESSABLE_ENTITY),
        (
            "/api/v1/patients?name=a&limit=1000",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/patients?birth_date=yesterday",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("/api/v1/patients?name=a%27%20OR%201%3D1--", StatusCode::OK),
        ("/api/v1/patients?nmae=a", StatusCode::BAD_REQUEST),
    ] {
        let a = h.call("GET", path, Some(&fd), None).await;
        assert_eq!(a.status, status, "{path}: {}", a.text);
        assert!(
            a.json["code"].is_string() || status == StatusCode::OK,
            "{path}: JSON error body"
        );
    }
    let injected = h
        .call(
            "GET",
            "/api/v1/patients?name=a%27%20OR%201%3D1--",
            Some(&fd),
            None,
        )
        .await;
    assert_eq!(injected.json["total"], 0);
}

#[tokio::test]
async fn households_link_guarantors_and_responsible_parties_within_the_practice() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let parent = h
        .call("POST", "/api/v1/patients", Some(&fd), Some(full_patient()))
        .await;
    let parent_id = parent.json["id"].as_str().unwrap().to_string();
    let child = h
        .call("POST", "/api/v1/patients", Some(&fd), Some(json!({
            "family_name": "Molar-Synthetic", "given_name": "Mini", "birth_date": "2019-06-01",
            "guarantor_id": parent_id, "responsible_party_id": parent_id,
            "coverages": [{"carrier": "Synthetic Dental Mutual", "subscriber_id": "SYN123", "subscriber_relationship": "child", "subscriber_name": "Zoë Molar-Synthetic"}]
        })))
        .await;
    assert_eq!(child.status, StatusCode::CREATED, "{}", child.text);
    let child_id = child.json["id"].as_str().unwrap();
    let c = h
        .call(
            "GET",
            &format!("/api/v1/patients/{child_id}"),
            Some(&fd),
            None,
        )
        .await;
    assert_eq!(c.json["is_minor"], true);
    assert_eq!(c.json["household_id"], parent_id.as_str());
    assert_eq!(c.json["guarantor_id"], parent_id.as_str());
    assert_eq!(c.json["responsible_party_id"], parent_id.as_str());

    // A patient of another practice cannot be named, and is not found by id.
    let (_, theirs) = h.other_practice(Role::FrontDesk).await;
    let their_token = h.login_account(&theirs).await;
    let foreign = h
        .call("POST", "/api/v1/patients", Some(&their_token), Some(json!({"family_name": "A", "given_name": "B", "birth_date": "2000-01-01", "guarantor_id": parent_id})))
        .await;
    assert_eq!(
        foreign.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        foreign.text
    );
    assert_eq!(foreign.json["fields"][0]["field"], "guarantor_id");
    let read = h
        .call(
            "GET",
            &format!("/api/v1/patients/{parent_id}"),
            Some(&their_token),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::NOT_FOUND);
    let search = h
        .call("GET", "/api/v1/patients?name=zoe", Some(&their_token), None)
        .await;
    assert_eq!(search.json["total"], 0, "search never crosses practices");
    let mut theirs_patient = full_patient();
    theirs_patient["chart_number"] = json!("SYN-0001");
    let same_chart = h
        .call(
            "POST",
            "/api/v1/patients",
            Some(&their_token),
            Some(theirs_patient),
        )
        .await;
    assert_eq!(
        same_chart.status,
        StatusCode::CREATED,
        "chart numbers are unique per practice: {}",
        same_chart.text
    );
    let dup = h
        .call("POST", "/api/v1/patients", Some(&fd), Some(full_patient()))
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dup.json["fields"][0]["field"], "chart_number");
}

#[tokio::test]
async fn only_the_administrator_deletes_and_only_records_created_in_error() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let admin = h.login(Role::PracticeAdministrator).await;
    let created = h
        .call("POST", "/api/v1/patients", Some(&fd), Some(full_patient()))
        .await;
    let id = created.json["id"].as_str().unwrap().to_string();
    let reason = Some(json!({"reason": "created_in_error"}).to_string());
    let json_type = ("content-type", "application/json");
    let path = format!("/api/v1/patients/{id}");

    let refused = h
        .call_with(
            "DELETE",
            &path,
            Some(&fd),
            reason.clone(),
            &[json_type, ("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let no_reason = h
        .call_with(
            "DELETE",
            &path,
            Some(&admin),
            Some(json!({"reason": "tidy up"}).to_string()),
            &[json_type, ("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let no_tag = h
        .call_with("DELETE", &path, Some(&admin), reason.clone(), &[json_type])
        .await;
    assert_eq!(no_tag.status, StatusCode::PRECONDITION_REQUIRED);

    // Someone who pays for another patient stays.
    let child = h
        .call("POST", "/api/v1/patients", Some(&fd), Some(json!({"family_name": "A", "given_name": "B", "birth_date": "2015-01-01", "guarantor_id": id})))
        .await;
    assert_eq!(child.status, StatusCode::CREATED);
    let blocked = h
        .call_with(
            "DELETE",
            &path,
            Some(&admin),
            reason.clone(),
            &[json_type, ("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(blocked.status, StatusCode::CONFLICT, "{}", blocked.text);

    let lone = h.call("POST", "/api/v1/patients", Some(&fd), Some(json!({"family_name": "Duplicate", "given_name": "Entry", "birth_date": "1999-09-09"}))).await;
    let lone_id = lone.json["id"].as_str().unwrap().to_string();
    let lone_path = format!("/api/v1/patients/{lone_id}");
    let before = h.audit().await.len();
    let gone = h
        .call_with(
            "DELETE",
            &lone_path,
            Some(&admin),
            reason,
            &[json_type, ("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    let entry = one_entry(&h, before, "delete", "allowed").await;
    assert_eq!(entry.reason.as_deref(), Some("created_in_error"));
    assert_eq!(
        h.call("GET", &lone_path, Some(&fd), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.call("GET", "/api/v1/patients?name=duplicate", Some(&fd), None)
            .await
            .json["total"],
        0
    );
    let co = h.login(Role::ComplianceOfficer).await;
    let history = h
        .call("GET", &format!("{lone_path}/versions"), Some(&co), None)
        .await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.text);
    assert_eq!(
        history.json["versions"][0]["change"], "delete",
        "the last state stays in the history"
    );
}

#[tokio::test]
async fn if_match_any_replaces_and_deletes_with_exactly_one_audit_entry() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let admin = h.login(Role::PracticeAdministrator).await;
    let created = h
        .call("POST", "/api/v1/patients", Some(&fd), Some(full_patient()))
        .await;
    let id = created.json["id"].as_str().unwrap().to_string();

    // `*` takes whatever is current: the change is made, and the request is one `update`
    // entry (no extra `view` for resolving the version).
    let mut changed = full_patient();
    changed["family_name"] = json!("Molar-Any");
    let before = h.audit().await.len();
    let replaced = put(&h, &fd, &id, &changed, Some("*")).await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.text);
    assert_eq!(replaced.headers["etag"], "\"2\"");
    one_entry(&h, before, "update", "allowed").await;

    // A stale version changes nothing and is on the record as a failed attempt.
    let before = h.audit().await.len();
    let stale = put(&h, &fd, &id, &changed, Some("\"1\"")).await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.text
    );
    let entry = one_entry(&h, before, "update", "failed").await;
    assert_eq!(entry.reason.as_deref(), Some("stale_version"));

    let before = h.audit().await.len();
    let gone = h
        .call_with(
            "DELETE",
            &format!("/api/v1/patients/{id}"),
            Some(&admin),
            Some(json!({"reason": "created_in_error"}).to_string()),
            &[("content-type", "application/json"), ("if-match", "*")],
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    let entry = one_entry(&h, before, "delete", "allowed").await;
    assert_eq!(entry.reason.as_deref(), Some("created_in_error"));

    // `*` on a record that is not there is a miss, audited once as such.
    let before = h.audit().await.len();
    let missing = put(&h, &fd, &id, &changed, Some("*")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    one_entry(&h, before, "update", "failed").await;
}

/// The audit viewer's entries about one patient, as the compliance officer sees them.
async fn trail_of(h: &Harness, co: &str, patient: &str) -> Vec<Value> {
    let answer = h
        .call(
            "GET",
            &format!("/api/v1/audit/events?patient={patient}&limit=500"),
            Some(co),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.json["events"].as_array().unwrap().clone()
}

#[tokio::test]
async fn m7_search_results_are_in_each_returned_patients_trail() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let co = h.login(Role::ComplianceOfficer).await;
    let mut ids = Vec::new();
    for (family, given) in [("Aardvark", "Ann"), ("Abacus", "Abe"), ("Bicuspid", "Ben")] {
        let created = h
            .call(
                "POST",
                "/api/v1/patients",
                Some(&fd),
                Some(
                    json!({"family_name": family, "given_name": given, "birth_date": "1980-01-02"}),
                ),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        ids.push(created.json["id"].as_str().unwrap().to_string());
    }

    let before = h.audit().await.len();
    let found = h
        .call("GET", "/api/v1/patients?name=a&limit=1", Some(&fd), None)
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text);
    assert_eq!(found.json["total"], 2, "{}", found.text);
    let shown = found.json["results"][0]["id"].as_str().unwrap().to_string();
    let entries = new_entries(&h, before).await;
    assert_eq!(
        entries.len(),
        2,
        "the search, and one per patient shown: {entries:#?}"
    );
    assert_eq!(entries[0].record_id.as_deref(), Some("*"));
    assert_eq!(entries[0].patient_id, None);
    assert_eq!(entries[1].action, "search");
    assert_eq!(entries[1].patient_id.as_deref(), Some(shown.as_str()));
    assert!(
        entries.iter().all(|e| e.reason.is_none()),
        "no criteria in the trail"
    );

    // "Who saw this patient" includes the search that showed them, and only them.
    let trail = trail_of(&h, &co, &shown).await;
    assert!(
        trail.iter().any(|e| e["action"] == "search"
            && e["user_id"] == h.account(Role::FrontDesk).user_id.as_str()),
        "{trail:#?}"
    );
    let not_shown = ids.iter().find(|i| **i != shown && *i != &ids[2]).unwrap();
    assert!(
        !trail_of(&h, &co, not_shown)
            .await
            .iter()
            .any(|e| e["action"] == "search"),
        "a patient on another page was not shown"
    );
    assert!(
        !trail_of(&h, &co, &ids[2])
            .await
            .iter()
            .any(|e| e["action"] == "search"),
        "a patient who did not match was not shown"
    );
}

#[tokio::test]
async fn l2_searching_by_phone_needs_contact_access() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let created = h
        .call("POST", "/api/v1/patients", Some(&fd), Some(full_patient()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let co = h.login(Role::ComplianceOfficer).await;
    let me = h.account(Role::ComplianceOfficer).user_id.clone();

    let before = h.audit().await.len();
    let probe = h
        .call("GET", "/api/v1/patients?phone=5550100142", Some(&co), None)
        .await;
    assert_eq!(probe.status, StatusCode::FORBIDDEN, "{}", probe.text);
    assert!(!probe.text.contains("Molar"), "{}", probe.text);
    let entries = new_entries(&h, before).await;
    let denial = entries
        .iter()
        .find(|e| e.outcome == "denied" && e.actor_id.as_deref() == Some(me.as_str()))
        .expect("the refusal is audited");
    assert_eq!(denial.record_type.as_deref(), Some("contact"));
    assert!(
        entries.iter().all(|e| e.patient_id.is_none()),
        "no patient was shown: {entries:#?}"
    );

    // The same role still searches by name; the front desk still searches by phone.
    let by_name = h
        .call("GET", "/api/v1/patients?name=zoe", Some(&co), None)
        .await;
    assert_eq!(by_name.status, StatusCode::OK, "{}", by_name.text);
    let by_phone = h
        .call("GET", "/api/v1/patients?phone=5550100142", Some(&fd), None)
        .await;
    assert_eq!(by_phone.json["total"], 1, "{}", by_phone.text);
}

/// L6, for the API: the search-as-you-type of the staff pages posts its criteria in a body, so
/// no name, birth date or phone is in a URL. The posted search answers, refuses and audits
/// exactly as the query-string search does.
#[tokio::test]
async fn l6_a_posted_search_keeps_the_criteria_out_of_the_url_and_answers_as_the_get() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let created = h
        .call("POST", "/api/v1/patients", Some(&fd), Some(full_patient()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json["id"].as_str().unwrap().to_string();

    let got = h
        .call("GET", "/api/v1/patients?name=zoe&limit=5", Some(&fd), None)
        .await;
    let before = h.audit().await.len();
    let posted = h
        .call(
            "POST",
            "/api/v1/patients/search",
            Some(&fd),
            Some(json!({"name": "zoe", "limit": 5})),
        )
        .await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text);
    assert_eq!(posted.json, got.json, "the same answer either way");
    assert_eq!(posted.json["results"][0]["id"], id.as_str());
    let entries = new_entries(&h, before).await;
    assert_eq!(
        entries.len(),
        2,
        "the search and the patient shown: {entries:#?}"
    );
    assert_eq!(entries[1].patient_id.as_deref(), Some(id.as_str()));
    assert!(
        entries.iter().all(|e| e.reason.is_none()),
        "no criteria in the trail"
    );

    // Bad criteria are named, never echoed; phone still needs contact access.
    let unknown = h
        .call(
            "POST",
            "/api/v1/patients/search",
            Some(&fd),
            Some(json!({"name": "zoe", "surname": "Molar"})),
        )
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.text
    );
    assert!(!unknown.text.contains("Molar"), "{}", unknown.text);
    let none = h
        .call(
            "POST",
            "/api/v1/patients/search",
            Some(&fd),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        none.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        none.text
    );
    let co = h.login(Role::ComplianceOfficer).await;
    let probe = h
        .call(
            "POST",
            "/api/v1/patients/search",
            Some(&co),
            Some(json!({"phone": "5550100142"})),
        )
        .await;
    assert_eq!(probe.status, StatusCode::FORBIDDEN, "{}", probe.text);
}

async fn create(h: &Harness, token: &str, body: Value) -> String {
    let created = h
        .call("POST", "/api/v1/patients", Some(token), Some(body))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    created.json["id"].as_str().unwrap().to_string()
}

async fn delete(h: &Harness, token: &str, id: &str) -> common::Answer {
    h.call_with(
        "DELETE",
        &format!("/api/v1/patients/{id}"),
        Some(token),
        Some(json!({"reason": "created_in_error"}).to_string()),
        &[("content-type", "application/json"), ("if-match", "*")],
    )
    .await
}

#[tokio::test]
async fn l4_a_referenced_responsible_party_or_moved_guarantor_cannot_be_deleted() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let admin = h.login(Role::PracticeAdministrator).await;
    let person = |family: &str, given: &str, born: &str| json!({"family_name": family, "given_name": given, "birth_date": born});

    // A responsible party never joins the minor's household.
    let parent = create(&h, &fd, person("Incisor", "Rita", "1980-01-02")).await;
    let mut minor = person("Incisor", "Milo", "2018-05-06");
    minor["responsible_party_id"] = json!(parent);
    let minor = create(&h, &fd, minor).await;
    let before = h.audit().await.len();
    let refused = delete(&h, &admin, &parent).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert!(
        refused.text.contains("Change that patient first"),
        "{}",
        refused.text
    );
    let entry = one_entry(&h, before, "delete", "failed").await;
    assert_eq!(entry.reason.as_deref(), Some("refused"));
    let still = h
        .call(
            "GET",
            &format!("/api/v1/patients/{parent}"),
            Some(&fd),
            None,
        )
        .await;
    assert_eq!(still.status, StatusCode::OK, "nothing was deleted");

    // A guarantor who moved to another household is still referenced by the old one.
    let payer = create(&h, &fd, person("Canine", "Gus", "1970-03-04")).await;
    let mut dependant = person("Canine", "Dot", "1975-07-08");
    dependant["guarantor_id"] = json!(payer);
    create(&h, &fd, dependant).await;
    let elsewhere = create(&h, &fd, person("Premolar", "Xena", "1960-09-10")).await;
    let mut moved = person("Canine", "Gus", "1970-03-04");
    moved["guarantor_id"] = json!(elsewhere);
    let moved = put(&h, &fd, &payer, &moved, Some("*")).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    let refused = delete(&h, &admin, &payer).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);

    // Once no one names them, the record created in error can go.
    let cleared = put(
        &h,
        &fd,
        &minor,
        &person("Incisor", "Milo", "2018-05-06"),
        Some("*"),
    )
    .await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.text);
    let gone = delete(&h, &admin, &parent).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
}

#[tokio::test]
async fn l5_deactivating_or_deleting_an_unknown_or_foreign_id_is_audited_as_failed() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let admin = h.login(Role::PracticeAdministrator).await;
    let (_, theirs_fd) = h.other_practice(Role::FrontDesk).await;
    let their_token = h.login_account(&theirs_fd).await;
    let foreign = create(
        &h,
        &their_token,
        json!({"family_name": "Foreign", "given_name": "Fay", "birth_date": "1990-01-01"}),
    )
    .await;
    let unknown = enamel_domain::PatientId::new().to_string();

    for id in [&unknown, &foreign] {
        let before = h.audit().await.len();
        let gone = delete(&h, &admin, id).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.text);
        let entry = one_entry(&h, before, "delete", "failed").await;
        assert_eq!(entry.patient_id.as_deref(), Some(id.as_str()));

        let before = h.audit().await.len();
        let off = h
            .call_with(
                "POST",
                &format!("/api/v1/patients/{id}/deactivate"),
                Some(&fd),
                None,
                &[("if-match", "*")],
            )
            .await;
        assert_eq!(off.status, StatusCode::NOT_FOUND, "{}", off.text);
        let entry = one_entry(&h, before, "deactivate", "failed").await;
        assert_eq!(entry.record_id.as_deref(), Some(id.as_str()));
    }
}
