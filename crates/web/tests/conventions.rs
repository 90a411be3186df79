//! The conventions every endpoint inherits, through the real router: instants are RFC 3339
//! in UTC, lists page by an opaque cursor (`next`) without a ceiling, a `PUT` takes back what
//! a `GET` gave, and a create can be retried safely with an `Idempotency-Key`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use common::Harness;
use enamel_domain::Role;
use serde_json::{Value, json};

fn is_rfc3339_utc(v: &Value) -> bool {
    v.as_str().is_some_and(|t| {
        t.ends_with('Z')
            && time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .is_ok()
    })
}

/// Follows `next` from `first` to the end; each page's items under `member`.
async fn all_pages(h: &Harness, token: &str, first: &str, member: &str) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut path = first.to_string();
    loop {
        let page = h.call("GET", &path, Some(token), None).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
        pages.push(page.json[member].as_array().unwrap().clone());
        match page.json["next"].as_str() {
            Some(next) => {
                let sep = if first.contains('?') { '&' } else { '?' };
                path = format!("{first}{sep}cursor={next}");
            }
            None => return pages,
        }
        assert!(pages.len() < 50, "paging does not end");
    }
}

#[tokio::test]
async fn instants_are_rfc3339_and_lists_page_by_cursor() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let mut ids = BTreeSet::new();
    for given in ["Ann", "Bea", "Cy", "Di", "Ed"] {
        let created = h
            .call(
                "POST",
                "/api/v1/patients",
                Some(&fd),
                Some(json!({"family_name": "Pager", "given_name": given, "birth_date": "1990-01-01"})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        ids.insert(created.json["id"].as_str().unwrap().to_string());
    }
    let id = ids.first().unwrap().clone();
    let read = h
        .call("GET", &format!("/api/v1/patients/{id}"), Some(&fd), None)
        .await;
    assert!(is_rfc3339_utc(&read.json["created_at"]), "{}", read.text);
    assert!(is_rfc3339_utc(&read.json["updated_at"]), "{}", read.text);
    assert!(read.json.get("created_ms").is_none());

    // Search: every match exactly once, two to a page.
    let pages = all_pages(&h, &fd, "/api/v1/patients?name=pager&limit=2", "results").await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
    let found: BTreeSet<String> = pages
        .iter()
        .flatten()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(found, ids);

    // Versions: three changes, two to a page.
    let mut tag = "\"1\"".to_string();
    for n in 0..3 {
        let body = json!({"family_name": format!("Pager{n}"), "given_name": "Ann", "birth_date": "1990-01-01"});
        let put = h
            .call_with(
                "PUT",
                &format!("/api/v1/patients/{id}"),
                Some(&fd),
                Some(body.to_string()),
                &[("content-type", "application/json"), ("if-match", &tag)],
            )
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.text);
        tag = put.headers["etag"].to_str().unwrap().to_string();
    }
    let co = h.login(Role::ComplianceOfficer).await;
    let pages = all_pages(
        &h,
        &co,
        &format!("/api/v1/patients/{id}/versions?limit=2"),
        "versions",
    )
    .await;
    let versions: Vec<i64> = pages
        .iter()
        .flatten()
        .map(|v| v["row_version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 3]);
    assert!(
        pages
            .iter()
            .flatten()
            .all(|v| is_rfc3339_utc(&v["changed_at"]))
    );

    // Audit events: the same cursor convention, and instants.
    let pages = all_pages(&h, &co, "/api/v1/audit/events?limit=7", "events").await;
    assert!(pages.len() > 2);
    let seqs: Vec<u64> = pages
        .iter()
        .flatten()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "no repeats, no gaps in order"
    );
    assert!(
        pages
            .iter()
            .flatten()
            .all(|e| is_rfc3339_utc(&e["recorded_at"]))
    );

    // Limits outside the documented range are named, not quietly changed.
    for path in [
        "/api/v1/patients?name=pager&limit=0",
        "/api/v1/patients?name=pager&limit=101",
        "/api/v1/audit/events?limit=0",
        "/api/v1/audit/events?limit=501",
    ] {
        let token = if path.contains("audit") { &co } else { &fd };
        let refused = h.call("GET", path, Some(token), None).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            refused.text
        );
        assert_eq!(refused.json["fields"][0]["field"], "limit", "{path}");
    }
}

fn full_patient() -> Value {
    json!({
        "family_name": "Roundtrip-Synthetic",
        "given_name": "Zoë",
        "birth_date": "2015-03-09",
        "sex": "female",
        "email": "zoe@example.test",
        "phones": [{"kind": "mobile", "number": "(555) 010-0142"}],
        "address": {"line1": "1 Demo Street", "city": "Testville", "region": "CA", "postal_code": "90000"},
        "coverages": [{"carrier": "Example Tooth Assurance", "subscriber_id": "SYN123",
                       "subscriber_relationship": "child", "subscriber_name": "Parent Synthetic"}]
    })
}

async fn put_back(h: &Harness, token: &str, id: &str, body: &Value, tag: &str) -> common::Answer {
    h.call_with(
        "PUT",
        &format!("/api/v1/patients/{id}"),
        Some(token),
        Some(body.to_string()),
        &[("content-type", "application/json"), ("if-match", tag)],
    )
    .await
}

/// The document without what a change is expected to move.
fn settled(mut doc: Value) -> Value {
    for moving in ["row_version", "updated_at"] {
        doc.as_object_mut().unwrap().remove(moving);
    }
    doc
}

#[tokio::test]
async fn what_get_returns_put_accepts_and_read_only_members_are_guarded() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let created = h
        .call("POST", "/api/v1/patients", Some(&fd), Some(full_patient()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/patients/{id}");

    // GET, change one member, PUT the whole document back with its ETag.
    let read = h.call("GET", &path, Some(&fd), None).await;
    let tag = read.headers["etag"].to_str().unwrap().to_string();
    let mut doc = read.json.clone();
    doc["preferred_name"] = json!("Zo");
    let saved = put_back(&h, &fd, &id, &doc, &tag).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let after = h.call("GET", &path, Some(&fd), None).await;
    assert_eq!(
        settled(after.json.clone()),
        settled(doc.clone()),
        "only that member changed"
    );
    assert_eq!(after.json["row_version"], 2);

    // Sending back what was read, unchanged, is not a change.
    let tag = after.headers["etag"].to_str().unwrap().to_string();
    let same = put_back(&h, &fd, &id, &after.json, &tag).await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.text);
    assert_eq!(same.json["row_version"], 2);

    // Changing a read-only member is refused, by name, and changes nothing.
    let changes: [(&str, Value); 7] = [
        ("id", json!("pat_00000000000000000000000000")),
        ("row_version", json!(7)),
        ("created_at", json!("2001-01-01T00:00:00Z")),
        ("updated_at", json!("not a time")),
        ("is_minor", json!(false)),
        ("withheld", json!(["insurance"])),
        ("household_id", json!("hh_made_up")),
    ];
    for (member, value) in changes {
        let mut doc = after.json.clone();
        doc[member] = value;
        doc["preferred_name"] = json!("Changed");
        let refused = put_back(&h, &fd, &id, &doc, &tag).await;
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
        assert!(
            refused.json["fields"][0]["problem"]
                .as_str()
                .unwrap()
                .contains("read-only")
        );
    }
    let unchanged = h.call("GET", &path, Some(&fd), None).await;
    assert_eq!(unchanged.json, after.json);

    // On create, the server's members are refused: they are not the client's to set.
    let mut copy = after.json.clone();
    copy["chart_number"] = Value::Null;
    let refused = h
        .call("POST", "/api/v1/patients", Some(&fd), Some(copy))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.json["fields"][0]["field"], "id");

    // A role that may not see insurance sends back what it read: the insurance stays.
    let admin = h.login(Role::PracticeAdministrator).await;
    let narrowed = h
        .call(
            "PUT",
            "/api/v1/policy",
            Some(&admin),
            Some(json!({"role": "front_desk", "category": "insurance", "action": "view", "allowed": false})),
        )
        .await;
    assert_eq!(narrowed.status, StatusCode::NO_CONTENT, "{}", narrowed.text);
    let partial = h.call("GET", &path, Some(&fd), None).await;
    assert_eq!(partial.json["withheld"], json!(["insurance"]));
    assert!(partial.json.get("coverages").is_none());
    let mut doc = partial.json.clone();
    doc["given_name"] = json!("Zoey");
    let tag = partial.headers["etag"].to_str().unwrap().to_string();
    let saved = put_back(&h, &fd, &id, &doc, &tag).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let manager = h.login(Role::OfficeManager).await;
    let whole = h.call("GET", &path, Some(&manager), None).await;
    assert_eq!(whole.json["given_name"], "Zoey");
    assert_eq!(
        whole.json["coverages"][0]["subscriber_id"], "SYN123",
        "insurance kept"
    );
}

async fn create_with_key(h: &Harness, token: &str, key: &str, body: &str) -> common::Answer {
    h.call_with(
        "POST",
        "/api/v1/patients",
        Some(token),
        Some(body.to_string()),
        &[
            ("content-type", "application/json"),
            ("idempotency-key", key),
        ],
    )
    .await
}

async fn creations(h: &Harness) -> usize {
    h.audit()
        .await
        .iter()
        .filter(|e| e.action == "create" && e.outcome == "allowed")
        .count()
}

#[tokio::test]
async fn a_retried_create_with_the_same_idempotency_key_creates_once() {
    let h = Harness::new().await;
    let fd = h.login(Role::FrontDesk).await;
    let body =
        r#"{"family_name": "Retry-Synthetic", "given_name": "Una", "birth_date": "1970-05-06"}"#;
    let same_written_otherwise =
        r#"{ "birth_date":"1970-05-06","given_name":"Una",  "family_name":"Retry-Synthetic" }"#;
    let before = creations(&h).await;

    let first = create_with_key(&h, &fd, "retry-key-0001", body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = create_with_key(&h, &fd, "retry-key-0001", same_written_otherwise).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.json, first.json, "the first answer again");
    assert_eq!(again.headers["location"], first.headers["location"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(
        creations(&h).await,
        before + 1,
        "one patient, one creation entry"
    );

    // The same key with another request is refused and creates nothing.
    let other =
        r#"{"family_name": "Retry-Synthetic", "given_name": "Otto", "birth_date": "1970-05-06"}"#;
    let misused = create_with_key(&h, &fd, "retry-key-0001", other).await;
    assert_eq!(
        misused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        misused.text
    );
    assert_eq!(misused.json["code"], "idempotency_key_reused");
    assert!(!misused.text.contains("Otto"));
    assert_eq!(creations(&h).await, before + 1);

    // Keys are per caller: another person's same key is their own request.
    let manager = h.login(Role::OfficeManager).await;
    let theirs = create_with_key(&h, &manager, "retry-key-0001", body).await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.text);
    assert_ne!(theirs.json["id"], first.json["id"]);
    assert_eq!(creations(&h).await, before + 2);

    // Many copies of one request at once still make one patient.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let router = h.router.clone();
        let request = axum::http::Request::post("/api/v1/patients")
            .header("authorization", format!("Bearer {fd}"))
            .header("content-type", "application/json")
            .header("idempotency-key", "retry-key-race")
            .body(axum::body::Body::from(other))
            .unwrap();
        set.spawn(async move {
            let response = tower::ServiceExt::oneshot(router, request).await.unwrap();
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
                .await
                .unwrap();
            (status, serde_json::from_slice::<Value>(&bytes).unwrap())
        });
    }
    let ids: BTreeSet<String> = set
        .join_all()
        .await
        .into_iter()
        .map(|(status, json)| {
            assert_eq!(status, StatusCode::CREATED, "{json}");
            json["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(creations(&h).await, before + 3);

    // A key is remembered for 24 hours; after that it may be used again.
    h.clock.advance_ms(25 * 60 * 60 * 1000);
    let fd = h.login(Role::FrontDesk).await;
    let later = create_with_key(&h, &fd, "retry-key-0001", other).await;
    assert_eq!(later.status, StatusCode::CREATED, "{}", later.text);
    assert_ne!(later.json["id"], first.json["id"]);

    // A key that is not one is named, and nothing is created.
    for bad in ["", &"k".repeat(256), "with space"] {
        let refused = create_with_key(&h, &fd, bad, body).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}: {}",
            refused.text
        );
        assert_eq!(refused.json["fields"][0]["field"], "Idempotency-Key");
    }
    assert_eq!(creations(&h).await, before + 4);
}
