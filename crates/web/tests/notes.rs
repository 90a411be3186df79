//! Clinical notes through HTTP: who may read and sign what, signed notes that never change,
//! addenda, the signature check the API reports, break-glass reading only, and one audit
//! entry per request.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use enamel_domain::Role;
use serde_json::json;

async fn write(h: &Harness, token: &str, patient: &str, kind: &str) -> String {
    let a = h
        .call(
            "POST",
            &format!("/api/v1/patients/{patient}/notes"),
            Some(token),
            Some(json!({"kind": kind, "body": "Synthetic: tooth 3 sensitive to cold.\nPlan: recheck."})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    a.json["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_hygienist_writes_and_signs_a_progress_note_and_corrects_it_by_addendum() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let hygienist = h.login(Role::Hygienist).await;
    let before = h.audit().await.len();
    let id = write(&h, &hygienist, &patient, "progress").await;
    let edited = h
        .call_with(
            "PUT",
            &format!("/api/v1/notes/{id}"),
            Some(&hygienist),
            Some(json!({"kind": "progress", "body": "Synthetic: revised."}).to_string()),
            &[("if-match", "\"1\""), ("content-type", "application/json")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    let signed = h
        .call(
            "POST",
            &format!("/api/v1/notes/{id}/sign"),
            Some(&hygienist),
            None,
        )
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
    assert_eq!(signed.json["status"], "signed");
    assert_eq!(signed.json["signature"], "valid");
    assert_eq!(
        signed.json["signed_by"],
        h.account(Role::Hygienist).user_id.as_str()
    );
    let refused = h
        .call_with(
            "PUT",
            &format!("/api/v1/notes/{id}"),
            Some(&hygienist),
            Some(json!({"kind": "progress", "body": "Synthetic: rewritten."}).to_string()),
            &[("if-match", "*"), ("content-type", "application/json")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    let addendum = h
        .call(
            "POST",
            &format!("/api/v1/notes/{id}/addenda"),
            Some(&hygienist),
            Some(json!({"body": "Synthetic: addendum after the call."})),
        )
        .await;
    assert_eq!(addendum.status, StatusCode::CREATED, "{}", addendum.text);
    let read = h
        .call(
            "GET",
            &format!("/api/v1/notes/{id}"),
            Some(&hygienist),
            None,
        )
        .await;
    assert_eq!(read.json["body"], "Synthetic: revised.");
    assert_eq!(read.json["addenda"][0]["signature"], "valid");
    let new: Vec<(String, String)> = h.audit().await[before..]
        .iter()
        .map(|e| (e.action.clone(), e.outcome.clone()))
        .collect();
    let expected: Vec<(String, String)> = [
        ("create", "allowed"),
        ("update", "allowed"),
        ("key_rotation", "allowed"),
        ("update", "allowed"),
        ("update", "failed"),
        ("create", "allowed"),
        ("view", "allowed"),
    ]
    .iter()
    .map(|(a, o)| (a.to_string(), o.to_string()))
    .collect();
    assert_eq!(
        new, expected,
        "the first signature makes the practice's key, audited"
    );
    assert!(
        !h.audit()
            .await
            .iter()
            .any(|e| e.reason.as_deref().is_some_and(|r| r.contains("Synthetic"))),
        "note text never reaches the audit log"
    );
}

#[tokio::test]
async fn only_a_dentist_signs_a_diagnosis_and_the_front_desk_and_billing_never_read_notes() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let hygienist = h.login(Role::Hygienist).await;
    let id = write(&h, &hygienist, &patient, "diagnosis").await;
    let refused = h
        .call(
            "POST",
            &format!("/api/v1/notes/{id}/sign"),
            Some(&hygienist),
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert!(refused.json["detail"].as_str().unwrap().contains("dentist"));
    let dentist = h.login(Role::Dentist).await;
    // Signing another author's note needs the version the signer read.
    let blind = h
        .call(
            "POST",
            &format!("/api/v1/notes/{id}/sign"),
            Some(&dentist),
            None,
        )
        .await;
    assert_eq!(blind.status, StatusCode::CONFLICT, "{}", blind.text);
    let signed = h
        .call_with(
            "POST",
            &format!("/api/v1/notes/{id}/sign"),
            Some(&dentist),
            None,
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
    // An addendum is signed by its author: an assistant writes drafts, never signs.
    let assistant = h.login(Role::DentalAssistant).await;
    let addendum = h
        .call(
            "POST",
            &format!("/api/v1/notes/{id}/addenda"),
            Some(&assistant),
            Some(json!({"body": "Synthetic."})),
        )
        .await;
    assert_eq!(addendum.status, StatusCode::FORBIDDEN, "{}", addendum.text);
    // And an addendum to a diagnosis is a dentist's.
    let from_hygienist = h
        .call(
            "POST",
            &format!("/api/v1/notes/{id}/addenda"),
            Some(&hygienist),
            Some(json!({"body": "Synthetic."})),
        )
        .await;
    assert_eq!(
        from_hygienist.status,
        StatusCode::CONFLICT,
        "{}",
        from_hygienist.text
    );
    for role in [
        Role::FrontDesk,
        Role::Billing,
        Role::OfficeManager,
        Role::ComplianceOfficer,
    ] {
        let token = h.login(role).await;
        let a = h
            .call("GET", &format!("/api/v1/notes/{id}"), Some(&token), None)
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{role:?}");
        assert!(!a.text.contains("Synthetic"), "{role:?}");
        let list = h
            .call(
                "GET",
                &format!("/api/v1/patients/{patient}/notes"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(list.status, StatusCode::FORBIDDEN, "{role:?}");
    }
}

#[tokio::test]
async fn a_note_changed_in_the_database_is_reported_and_break_glass_only_reads() {
    let h = Harness::new().await;
    let admin = h.login(Role::PracticeAdministrator).await;
    for action in ["view", "create"] {
        let r = h
            .call("PUT", "/api/v1/policy", Some(&admin), Some(json!({"role": "dental_assistant", "category": "clinical_notes", "action": action, "allowed": false})))
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }
    h.clock.advance_ms(6_000); // past the policy cache
    let patient = h.patient().await;
    let dentist = h.login(Role::Dentist).await;
    let id = write(&h, &dentist, &patient, "progress").await;
    let signed = h
        .call(
            "POST",
            &format!("/api/v1/notes/{id}/sign"),
            Some(&dentist),
            None,
        )
        .await;
    assert_eq!(signed.status, StatusCode::OK);
    // Someone with the database's owner rights moves the signing time.
    let drop = match &h.t.db {
        enamel_store::Db::Sqlite(..) => "DROP TRIGGER clinical_notes_refuse_signed_update",
        enamel_store::Db::Postgres(_) => {
            "DROP TRIGGER clinical_notes_refuse_signed_update ON clinical_notes"
        }
    };
    enamel_testkit::raw_sql(&h.t.db, drop).await.unwrap();
    enamel_testkit::raw_sql(
        &h.t.db,
        &format!("UPDATE clinical_notes SET signed_ms = signed_ms - 86400000 WHERE id = '{id}'"),
    )
    .await
    .unwrap();
    let read = h
        .call("GET", &format!("/api/v1/notes/{id}"), Some(&dentist), None)
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(read.json["signature"], "invalid");

    let assistant = h.login(Role::DentalAssistant).await;
    let denied = h
        .call(
            "GET",
            &format!("/api/v1/notes/{id}"),
            Some(&assistant),
            None,
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let grant = h
        .call("POST", "/api/v1/emergency-access", Some(&assistant), Some(json!({"patient_id": patient, "justification": "Patient arrived with facial swelling; dentist out"})))
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.text);
    let read = h
        .call(
            "GET",
            &format!("/api/v1/notes/{id}"),
            Some(&assistant),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    let write = h
        .call(
            "POST",
            &format!("/api/v1/patients/{patient}/notes"),
            Some(&assistant),
            Some(json!({"kind": "progress", "body": "Synthetic."})),
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    let addendum = h
        .call(
            "POST",
            &format!("/api/v1/notes/{id}/addenda"),
            Some(&assistant),
            Some(json!({"body": "Synthetic."})),
        )
        .await;
    assert_eq!(addendum.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_draft_as_read_is_sent_back_whole_and_changed_read_only_members_are_named() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let hygienist = h.login(Role::Hygienist).await;
    let id = write(&h, &hygienist, &patient, "progress").await;
    let path = format!("/api/v1/notes/{id}");
    let read = h.call("GET", &path, Some(&hygienist), None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    let put = |body: serde_json::Value, version: &'static str| {
        let path = path.clone();
        let token = hygienist.clone();
        let h = &h;
        async move {
            h.call_with(
                "PUT",
                &path,
                Some(&token),
                Some(body.to_string()),
                &[("if-match", version), ("content-type", "application/json")],
            )
            .await
        }
    };
    // What GET answered goes back whole, with the new text.
    let mut body = read.json.clone();
    body["body"] = json!("Synthetic: revised from the read.");
    let edited = put(body.clone(), "\"1\"").await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(edited.json["body"], "Synthetic: revised from the read.");
    // The same copy again: its version is now stale (the test clock stands still, so the
    // instants still agree).
    let stale = put(body.clone(), "*").await;
    assert_eq!(
        stale.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        stale.text
    );
    let fields: Vec<&str> = stale.json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["row_version"], "{}", stale.text);
    // Each changed member is named; nothing is written.
    let mut current = edited.json.clone();
    current["body"] = json!("Synthetic: not saved.");
    for (member, value) in [
        ("author_id", json!("someone-else")),
        ("status", json!("signed")),
        ("signature", json!("valid")),
        ("signed_by", json!("someone-else")),
        ("created_at", json!("2020-01-01T00:00:00Z")),
        ("patient_id", json!("00000000-0000-0000-0000-000000000000")),
    ] {
        let mut changed = current.clone();
        changed[member] = value;
        let refused = put(changed, "\"2\"").await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{member}: {}",
            refused.text
        );
        assert_eq!(
            refused.json["fields"][0]["field"], member,
            "{}",
            refused.text
        );
    }
    let mut bad_instant = current.clone();
    bad_instant["created_at"] = json!("yesterday");
    let refused = put(bad_instant, "\"2\"").await;
    assert_eq!(
        refused.json["fields"][0]["field"], "created_at",
        "{}",
        refused.text
    );
    let now = h.call("GET", &path, Some(&hygienist), None).await;
    assert_eq!(now.json["body"], "Synthetic: revised from the read.");
    assert_eq!(now.json["row_version"], 2);
}
