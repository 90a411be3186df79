//! The OpenAPI document: what the server serves at `/api/v1/openapi.json` is exactly
//! `docs/openapi.json`, and the document and the router agree route for route, both ways.
//!
//! After changing a route, a request or response type, or an annotation, regenerate the
//! checked-in copy and review its diff:
//!
//! ```text
//! ENAMEL_BLESS=1 cargo test -p enamel-web --test openapi
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine as _;
use enamel_app::{App, SystemClock};
use enamel_web::{WebSettings, router};
use tower::ServiceExt;

/// The methods probed on every path (HEAD answers wherever GET does and is not listed).
const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

const BLESS: &str = "ENAMEL_BLESS=1 cargo test -p enamel-web --test openapi";

async fn server() -> (enamel_testkit::TestDb, Router) {
    let t = enamel_testkit::fresh_db().await;
    t.db.migrate(1).await.unwrap();
    let key = base64::engine::general_purpose::STANDARD.encode([5u8; 32]);
    let provider = enamel_crypto::EnvKeyProvider::from_base64("TEST_KEK", &key).unwrap();
    let app = App::new(t.db.clone(), Arc::new(provider), Arc::new(SystemClock));
    let router = router(app, &WebSettings::default());
    (t, router)
}

/// Sends a request without credentials or body; answers the status, headers and body text.
async fn probe(
    router: &Router,
    method: Method,
    path: &str,
) -> (StatusCode, header::HeaderMap, String) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 16 << 20).await.unwrap();
    (
        parts.status,
        parts.headers,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

fn checked_in_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

async fn served_document(router: &Router) -> (String, serde_json::Value) {
    let (status, headers, text) = probe(router, Method::GET, "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let json = serde_json::from_str(&text).unwrap();
    (text, json)
}

fn with_dummy_ids(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push('x');
            }
            '}' => in_param = false,
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

/// Every `(METHOD, path)` the document describes, with its operation.
fn documented(doc: &serde_json::Value) -> Vec<(String, String, serde_json::Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if METHODS
                .iter()
                .any(|m| m.as_str().eq_ignore_ascii_case(method))
            {
                out.push((method.to_uppercase(), path.clone(), operation.clone()));
            }
        }
    }
    out
}

/// The paths registered in the router, read from its `Debug` output (axum has no other way to
/// list them). Methods are then found by asking: anything but `405` means the method is served.
async fn served(router: &Router) -> BTreeSet<(String, String)> {
    let debug = format!("{router:?}");
    let paths: BTreeSet<&str> = debug
        .split('"')
        .filter(|s| s.starts_with("/api/v1/") && !s.contains(char::is_whitespace))
        .collect();
    assert!(
        paths.contains("/api/v1/openapi.json"),
        "could not read the router's paths from its Debug output; has axum changed it?"
    );
    let mut out = BTreeSet::new();
    for path in paths {
        for method in METHODS {
            let (status, _, _) = probe(router, method.clone(), &with_dummy_ids(path)).await;
            if status != StatusCode::METHOD_NOT_ALLOWED {
                out.insert((method.to_string(), path.to_string()));
            }
        }
    }
    out
}

#[tokio::test]
async fn the_served_document_is_docs_openapi_json() {
    let (_t, router) = server().await;
    let (served, doc) = served_document(&router).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let path = checked_in_path();
    if std::env::var("ENAMEL_BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, &served).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    if served != checked_in {
        let first_difference = served
            .lines()
            .zip(checked_in.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map(|(i, (a, b))| format!("line {}:\n  served:     {a}\n  checked in: {b}", i + 1))
            .unwrap_or_else(|| "one is a prefix of the other".into());
        panic!(
            "docs/openapi.json is not the document the server serves ({first_difference}).\n\
             Regenerate it and review the diff:\n    {BLESS}"
        );
    }
}

#[tokio::test]
async fn every_api_route_is_documented_and_every_documented_route_is_served() {
    let (_t, router) = server().await;
    let (_, doc) = served_document(&router).await;
    let documented: BTreeSet<(String, String)> = documented(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let served = served(&router).await;
    let undocumented: Vec<_> = served.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in the OpenAPI document: {undocumented:?}.\n\
         Give the handler a #[utoipa::path] attribute and register it with \
         `.routes(routes!(handler))` in crates/web/src/api/mod.rs, then run {BLESS}"
    );
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        unserved.is_empty(),
        "in the OpenAPI document but not served: {unserved:?}"
    );
}

#[tokio::test]
async fn the_document_says_which_routes_need_a_bearer_token_and_they_do() {
    let (_t, router) = server().await;
    let (_, doc) = served_document(&router).await;
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut operation_ids = BTreeSet::new();
    for (method, path, operation) in documented(&doc) {
        let route = format!("{method} {path}");
        assert!(
            operation_ids.insert(operation["operationId"].as_str().unwrap().to_string()),
            "{route}: operationId is not unique"
        );
        assert!(
            operation["summary"].is_string(),
            "{route}: no summary (doc comment)"
        );
        assert!(operation["tags"].is_array(), "{route}: no tag");
        let responses = operation["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{route}: no success response"
        );
        for (status, response) in responses {
            if !status.starts_with('2') {
                assert_eq!(
                    response["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{route} {status}"
                );
            }
        }

        let public = operation["security"] == serde_json::json!([]);
        if !public {
            assert_eq!(
                operation["security"],
                serde_json::json!([{ "bearer": [] }]),
                "{route}"
            );
            assert!(responses.contains_key("401"), "{route}");
        }
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let (status, _, text) = probe(&router, method, &with_dummy_ids(&path)).await;
        if public {
            assert_ne!(
                status,
                StatusCode::UNAUTHORIZED,
                "{route} is documented as public: {text}"
            );
        } else {
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{route} needs a bearer token: {text}"
            );
        }
        if status != StatusCode::OK {
            assert!(
                responses.contains_key(status.as_str()),
                "{route} answered {status} without credentials, which the document does not list"
            );
        }
    }
}

#[tokio::test]
async fn parameters_are_where_the_path_says_and_lists_use_the_words_on_the_wire() {
    let (_t, router) = server().await;
    let (_, doc) = served_document(&router).await;
    for (method, path, operation) in documented(&doc) {
        let params = operation["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for p in &params {
            let name = p["name"].as_str().unwrap();
            let placeholder = format!("{{{name}}}");
            match p["in"].as_str().unwrap() {
                "path" => assert!(
                    path.contains(&placeholder),
                    "{method} {path}: {name} is not in the path"
                ),
                _ => assert!(!path.contains(&placeholder), "{method} {path}: {name}"),
            }
        }
        for segment in path.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(|c| c == '{' || c == '}');
            assert!(
                params
                    .iter()
                    .any(|p| p["name"] == name && p["in"] == "path"),
                "{method} {path}: {name} is not declared"
            );
        }
    }
    // Closed lists are declared with the values a client sends, not the Rust names.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["SexJson"]["enum"],
        serde_json::json!(["female", "male", "other", "unknown"])
    );
    assert_eq!(
        schemas["RelationshipJson"]["enum"],
        serde_json::json!(["self", "spouse", "child", "other"])
    );
}

/// The document's pattern for a phone number takes exactly what the server takes: checked on
/// every string of a small alphabet up to a length, and on a seeded sample of longer ones.
#[tokio::test]
async fn the_documented_phone_pattern_is_the_servers_rule() {
    let (_t, router) = server().await;
    let (_, doc) = served_document(&router).await;
    let pattern = doc["components"]["schemas"]["PhoneBody"]["properties"]["number"]["pattern"]
        .as_str()
        .unwrap();
    let documented = regex::Regex::new(pattern).unwrap();
    let agree = |s: &str| {
        assert_eq!(
            documented.is_match(s),
            enamel_domain::normalize_phone(s).is_some(),
            "{s:?}: the document and the server disagree"
        );
    };
    for s in [
        "(555) 010-0123",
        "+44 20 7946 0000",
        "0044 20 7946 0000",
        "+0044 20",
        "0012345678",
        "0001234567",
        "0123456789",
        "15550100123",
        "25550100123",
        "555 0100",
        " +1 555 010 0123 ",
        "+1234567",
        "+123456789012345",
        "+1234567890123456",
        "",
        "   ",
        "+",
        "00",
        "()",
        "1-2",
    ] {
        agree(s);
    }
    let alphabet = ['0', '1', '5', '+', ' ', '-', '(', 'x'];
    let mut state: u64 = 0x2026_1206;
    for _ in 0..20_000 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        let len = (state >> 33) % 18;
        let mut s = String::new();
        let mut bits = state;
        for _ in 0..len {
            bits = bits
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            // Digits most of the time, so that valid numbers come up often.
            let pick = (bits >> 40) % 16;
            s.push(if pick < 10 {
                char::from(b'0' + u8::try_from(pick).unwrap())
            } else {
                alphabet[usize::try_from(pick - 8).unwrap()]
            });
        }
        agree(&s);
    }
}

/// A rule stated in several places of the document (utoipa's attributes take only literals, so
/// each member spells its pattern out) is stated the same way everywhere: one changed alone
/// fails here.
#[tokio::test]
async fn one_rule_has_one_pattern_wherever_it_is_declared() {
    let (_t, router) = server().await;
    let (_, doc) = served_document(&router).await;
    let schemas = &doc["components"]["schemas"];
    let pattern = |schema: &str, member: &str| {
        schemas[schema]["properties"][member]["pattern"]
            .as_str()
            .unwrap_or_else(|| panic!("{schema}.{member} has no pattern"))
            .to_string()
    };
    let blank_or = |p: &str| format!("^\\s*$|{p}");

    let phone = pattern("PhoneBody", "number");
    assert_eq!(pattern("EmergencyContactBody", "phone"), phone);
    assert_eq!(pattern("SearchParams", "phone"), blank_or(&phone));

    let name = pattern("PatientBody", "family_name");
    assert_eq!(pattern("PatientBody", "given_name"), name);
    assert_eq!(pattern("EmergencyContactBody", "name"), name);
    assert_eq!(
        schemas["CoverageBody"]["then"]["properties"]["subscriber_name"]["pattern"],
        name.as_str()
    );
    for (schema, member) in [
        ("PatientBody", "middle_name"),
        ("PatientBody", "preferred_name"),
        ("CoverageBody", "subscriber_name"),
    ] {
        assert_eq!(
            pattern(schema, member),
            blank_or(&name),
            "{schema}.{member}"
        );
    }

    let text = pattern("PatientBody", "gender_identity");
    for (schema, member) in [
        ("AddressBody", "line1"),
        ("AddressBody", "line2"),
        ("AddressBody", "city"),
        ("AddressBody", "region"),
        ("EmergencyContactBody", "relationship"),
        ("CoverageBody", "plan"),
    ] {
        assert_eq!(pattern(schema, member), text, "{schema}.{member}");
    }

    let birth = pattern("PatientBody", "birth_date");
    assert_eq!(
        pattern("CoverageBody", "subscriber_birth_date"),
        blank_or(&birth)
    );
    assert_eq!(
        pattern("CoverageBody", "effective_from"),
        pattern("CoverageBody", "effective_to")
    );
}
