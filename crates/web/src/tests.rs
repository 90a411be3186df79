#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use enamel_app::{App, AppError, SystemClock};
use tower::ServiceExt;

use crate::{ApiError, WebSettings, router};

async fn app(migrated: bool) -> (enamel_testkit::TestDb, App) {
    let t = enamel_testkit::fresh_db().await;
    if migrated {
        t.db.migrate(1).await.unwrap();
    }
    let key = base64::engine::general_purpose::STANDARD.encode([3u8; 32]);
    let provider = enamel_crypto::EnvKeyProvider::from_base64("TEST_KEK", &key).unwrap();
    let app = App::new(t.db.clone(), Arc::new(provider), Arc::new(SystemClock));
    (t, app)
}

async fn call(app: &App, request: Request<Body>) -> (Response<Body>, serde_json::Value) {
    call_with(app, &WebSettings::default(), request).await
}

async fn call_with(
    app: &App,
    settings: &WebSettings,
    request: Request<Body>,
) -> (Response<Body>, serde_json::Value) {
    let response = router(app.clone(), settings)
        .oneshot(request)
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (Response::from_parts(parts, Body::empty()), json)
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

fn assert_security_headers(response: &Response<Body>) {
    let h = response.headers();
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    assert!(
        h[header::STRICT_TRANSPORT_SECURITY]
            .to_str()
            .unwrap()
            .starts_with("max-age=63072000")
    );
    assert_eq!(h["x-request-id"].len(), 32);
}

#[tokio::test]
async fn healthz_answers_with_every_security_header() {
    let (_t, app) = app(true).await;
    let (response, body) = call(&app, get("/healthz")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_security_headers(&response);
}

#[tokio::test]
async fn readyz_reflects_the_database_schema() {
    let (_t, ready) = app(true).await;
    let (response, body) = call(&ready, get("/readyz")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body["status"], "ready");

    let (_t2, unmigrated) = app(false).await;
    let (response, body) = call(&unmigrated, get("/readyz")).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["code"], "not_ready");
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    assert_eq!(body["status"], 503);
    assert_security_headers(&response);
}

#[tokio::test]
async fn unknown_paths_and_methods_get_json_errors_with_the_request_id() {
    let (_t, app) = app(true).await;
    let (response, body) = call(&app, get("/nothing/here?name=Molar")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
    assert_eq!(
        body["request_id"],
        response.headers()["x-request-id"].to_str().unwrap()
    );
    assert_security_headers(&response);

    let (response, body) = call(
        &app,
        Request::delete("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["code"], "method_not_allowed");
    assert_security_headers(&response);
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413() {
    let (_t, app) = app(true).await;
    let settings = WebSettings {
        max_body_bytes: 1024,
        ..WebSettings::default()
    };
    let request = Request::post("/healthz")
        .header(header::CONTENT_LENGTH, "4096")
        .body(Body::from(vec![b'x'; 4096]))
        .unwrap();
    let (response, body) = call_with(&app, &settings, request).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], "too_large");
    assert_security_headers(&response);
}

#[tokio::test]
async fn hsts_can_be_left_out_only_by_setting_it_to_zero() {
    let (_t, app) = app(true).await;
    let settings = WebSettings {
        hsts_max_age_secs: 0,
        request_timeout: Duration::from_secs(5),
        ..WebSettings::default()
    };
    let (response, _) = call_with(&app, &settings, get("/healthz")).await;
    assert!(
        !response
            .headers()
            .contains_key(header::STRICT_TRANSPORT_SECURITY)
    );
}

async fn body_of(error: AppError) -> (StatusCode, String) {
    let response = axum::response::IntoResponse::into_response(ApiError(error));
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn application_errors_map_to_statuses_without_leaking_details() {
    let (status, body) = body_of(AppError::Internal(
        "SELECT secret FROM patients; Molar".into(),
    ))
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        !body.contains("Molar") && !body.contains("SELECT"),
        "{body}"
    );
    let (status, body) = body_of(AppError::Unavailable("db at 10.0.0.5 refused".into())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!body.contains("10.0.0.5"), "{body}");
    let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["type"], "urn:enamel:problem:unavailable");
    assert_eq!(problem["status"], 503);
    assert_eq!(body_of(AppError::NotFound).await.0, StatusCode::NOT_FOUND);
    assert_eq!(body_of(AppError::Forbidden).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        body_of(AppError::Unauthenticated).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(body_of(AppError::Conflict).await.0, StatusCode::CONFLICT);
    let (status, body) = body_of(AppError::Invalid(vec![enamel_domain::FieldProblem::new(
        "birth_date",
        "must be a date like 1990-04-30",
    )]))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["code"], "invalid");
    assert_eq!(json["fields"][0]["field"], "birth_date");
}
