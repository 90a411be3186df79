//! Patient search through the API: the order it promises (whole-word matches first, each page
//! sorted by name), paging by cursor that reaches every match however many there are, a count
//! that stops at 200, and one audit entry per patient shown (the rest are never opened).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;

use common::Harness;
use enamel_app::{RequestOrigin, SystemReason};
use enamel_domain::{PatientDraft, Role};
use serde_json::{Value, json};

/// Creates synthetic patients as the CLI would, in batches.
#[allow(clippy::disallowed_methods)] // test set-up seeds data as the CLI would
async fn seed(h: &Harness, people: &[(String, String, String)]) {
    let system =
        h.app
            .system_bypassing_policy(h.practice, SystemReason::DemoData, RequestOrigin::cli());
    let drafts: Vec<PatientDraft> = people
        .iter()
        .map(|(family, given, birth)| PatientDraft {
            family_name: family.clone(),
            given_name: given.clone(),
            birth_date: birth.clone(),
            ..Default::default()
        })
        .collect();
    for batch in drafts.chunks(200) {
        system.patients().create_many(batch).await.unwrap();
    }
}

fn person(family: &str, given: &str, birth: &str) -> (String, String, String) {
    (family.into(), given.into(), birth.into())
}

async fn search(h: &Harness, token: &str, body: Value) -> Value {
    let answer = h
        .call("POST", "/api/v1/patients/search", Some(token), Some(body))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json
}

fn names(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["family_name"].as_str().unwrap(),
                r["given_name"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn whole_word_matches_come_first_and_each_page_is_sorted_by_name() {
    let h = Harness::new().await;
    // Registered in an order that is neither the groups' nor the names'.
    seed(
        &h,
        &[
            person("Canine", "Anna", "1990-01-01"),
            person("Canine", "Ann", "1990-01-02"),
            person("Anneal", "Xylo", "1990-01-03"),
            person("Bicuspid", "Annabel", "1990-01-04"),
            person("Bicuspid", "Ann", "1990-01-05"),
            person("Bicuspid", "Ben", "1990-01-06"),
        ],
    )
    .await;
    let token = h.login(Role::FrontDesk).await;
    let all = search(&h, &token, json!({"name": "ann"})).await;
    assert_eq!(
        names(&all),
        [
            "Bicuspid Ann",
            "Canine Ann",
            "Anneal Xylo",
            "Bicuspid Annabel",
            "Canine Anna"
        ]
    );
    assert_eq!(all["total"], 5);
    assert_eq!(all["total_capped"], false);
    assert!(all.get("next").is_none());

    // A page that ends exactly where the whole-word matches end still has a next page. Pages
    // follow the order of registration (Canine Anna was registered first), each sorted by name.
    let first = search(&h, &token, json!({"name": "ann", "limit": 2})).await;
    assert_eq!(names(&first), ["Bicuspid Ann", "Canine Ann"]);
    assert_eq!(first["total"], 5);
    let next = first["next"].as_str().expect("a next page").to_string();
    let second = search(
        &h,
        &token,
        json!({"name": "ann", "limit": 2, "cursor": next}),
    )
    .await;
    assert_eq!(names(&second), ["Anneal Xylo", "Canine Anna"]);
    let next = second["next"].as_str().expect("a third page").to_string();
    let third = search(
        &h,
        &token,
        json!({"name": "ann", "limit": 2, "cursor": next}),
    )
    .await;
    assert_eq!(names(&third), ["Bicuspid Annabel"]);
    assert!(third.get("next").is_none());

    // Several words: every word whole beats one word a prefix.
    let two = search(&h, &token, json!({"name": "canine ann"})).await;
    assert_eq!(names(&two), ["Canine Ann", "Canine Anna"]);
    // Without a name there is one group.
    let by_birth = search(&h, &token, json!({"birth_date": "1990-01-06"})).await;
    assert_eq!(names(&by_birth), ["Bicuspid Ben"]);
    // When the whole-word group is empty the page starts with the prefix matches.
    let prefix_only = search(&h, &token, json!({"name": "annab", "limit": 1})).await;
    assert_eq!(names(&prefix_only), ["Bicuspid Annabel"]);
    assert!(prefix_only.get("next").is_none());
}

#[tokio::test]
async fn paging_reaches_every_match_past_a_thousand_and_opens_only_the_page() {
    let h = Harness::new().await;
    let mut people: Vec<_> = (0..1_030)
        .map(|i| {
            person(
                "Cuspid",
                &format!("Seed{}", char::from(b'a' + (i % 26) as u8)),
                &format!("19{:02}-{:02}-{:02}", 50 + i % 40, 1 + i % 12, 1 + i % 28),
            )
        })
        .collect();
    people.extend((0..5).map(|i| person("Cuspidor", "Late", &format!("2001-01-0{}", i + 1))));
    seed(&h, &people).await;
    let token = h.login(Role::FrontDesk).await;

    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let before = h.audit().await.len();
        let mut body = json!({"name": "cuspid", "limit": 100});
        if let Some(c) = &cursor {
            body["cursor"] = json!(c);
        }
        let page = search(&h, &token, body).await;
        pages += 1;
        assert_eq!(page["total"], 200, "the count stops at 200");
        assert_eq!(page["total_capped"], true);
        let results = page["results"].as_array().unwrap();
        for r in results {
            assert!(
                seen.insert(r["id"].as_str().unwrap().to_string()),
                "a patient appears on two pages"
            );
        }
        // One entry about the search, one per patient shown: nothing else was opened.
        let entries = h.audit().await;
        let named: Vec<_> = entries[before..]
            .iter()
            .filter(|e| e.action == "search" && e.patient_id.is_some())
            .collect();
        assert_eq!(named.len(), results.len());
        match page["next"].as_str() {
            Some(next) => {
                assert_eq!(results.len(), 100);
                cursor = Some(next.to_string());
            }
            None => {
                // The last page: the rest of the whole-word matches, then the prefix ones.
                let last = names(&page);
                assert_eq!(last.len(), 35);
                assert!(last[..30].iter().all(|n| n.starts_with("Cuspid Seed")));
                assert!(last[30..].iter().all(|n| n == "Cuspidor Late"));
                break;
            }
        }
        assert!(pages < 20, "paging does not end");
    }
    assert_eq!(pages, 11);
    assert_eq!(seen.len(), 1_035, "every match was reached");

    // A cursor of another list, or a made-up one, is named.
    for bad in ["c2VhcmNoMjp4", "bm90LWEtY3Vyc29y"] {
        let refused = h
            .call(
                "POST",
                "/api/v1/patients/search",
                Some(&token),
                Some(json!({"name": "cuspid", "cursor": bad})),
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert_eq!(refused.json["fields"][0]["field"], "cursor");
    }
}
