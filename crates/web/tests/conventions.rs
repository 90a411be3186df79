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
