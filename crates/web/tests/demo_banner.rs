//! The sign-in pages of a demo server say that the data is made up and how to get a code;
//! those of a server holding a real practice never do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use common::browser::{PENDING, form_body};
use enamel_app::auth::NewUser;
use enamel_app::{App, NewPractice, RequestOrigin, SystemClock};
use enamel_domain::{PracticeId, PracticeTz, Role};
use enamel_web::{WebSettings, router};
use tower::ServiceExt;

const NOTICE: &str = "id=\"demo-notice\"";

/// A migrated database with no practice yet, and the real router over it.
async fn server() -> (enamel_testkit::TestDb, App, Router) {
    let t = enamel_testkit::fresh_db().await;
    t.db.migrate(1).await.unwrap();
    let key = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let provider = enamel_crypto::EnvKeyProvider::from_base64("TEST_KEK", &key).unwrap();
    let app = App::with_settings(
        t.db.clone(),
        Arc::new(provider),
        Arc::new(SystemClock),
        common::test_settings(),
    );
    let router = router(app.clone(), &WebSettings::default());
    (t, app, router)
}

fn practice(name: &str) -> NewPractice {
    NewPractice {
        display_name: name.into(),
        time_zone: PracticeTz::utc(),
    }
}

/// An account with a password and an enrolled authenticator, as `enamel demo` makes them.
#[allow(clippy::disallowed_methods)] // test set-up creates accounts as `enamel demo` would
async fn account(app: &App, practice: PracticeId, username: &str) {
    app.create_user_as_system(
        practice,
        &NewUser {
            username: username.into(),
            display_name: "Synthetic front desk".into(),
            roles: vec![Role::FrontDesk],
        },
        Some("synthetic pass demo 2026"),
        Some(&enamel_crypto::TotpSecret::generate().unwrap()),
    )
    .await
    .unwrap();
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, String, Option<String>) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let pending = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{PENDING}=")))
        .and_then(|v| v.split(';').next())
        .map(|v| format!("{PENDING}={v}"));
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        String::from_utf8_lossy(&bytes).into_owned(),
        pending,
    )
}

async fn sign_in_page(router: &Router) -> String {
    let (status, html, _) = send(
        router,
        Request::get("/sign-in").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    html
}

async fn post_password(
    router: &Router,
    username: &str,
    password: &str,
) -> (StatusCode, String, Option<String>) {
    send(
        router,
        Request::post("/sign-in")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form_body(&[
                ("username", username),
                ("password", password),
            ])))
            .unwrap(),
    )
    .await
}

/// The code page a correct password leads to.
async fn code_page(router: &Router, username: &str) -> String {
    let (status, _, pending) = post_password(router, username, "synthetic pass demo 2026").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html, _) = send(
        router,
        Request::get("/sign-in/code")
            .header(header::COOKIE, pending.expect("a pending sign-in"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    html
}

#[tokio::test]
#[allow(clippy::disallowed_methods)] // test set-up makes the demo practice as `enamel demo` would
async fn a_demo_servers_sign_in_says_the_data_is_made_up_and_how_to_get_a_code() {
    let (_t, app, router) = server().await;
    let demo = app
        .create_demo_practice(
            &practice("Demo Dental (synthetic data)"),
            RequestOrigin::cli(),
        )
        .await
        .unwrap();
    account(&app, demo, "front-desk").await;

    let html = sign_in_page(&router).await;
    assert!(html.contains(NOTICE), "{html}");
    assert!(html.contains("This is a demo"), "{html}");
    assert!(html.contains("made up (synthetic data)"), "{html}");
    assert!(html.contains("enamel demo code USERNAME"), "{html}");
    // Still there after a mistyped password, and on the page that asks for the code.
    let (status, html, _) = post_password(&router, "front-desk", "not the password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains(NOTICE), "{html}");
    let html = code_page(&router, "front-desk").await;
    assert!(html.contains("enamel demo code USERNAME"), "{html}");

    // Once the server also holds a real practice, no sign-in page calls its records made up.
    let real = app
        .create_practice(&practice("Synthetic Smiles"), RequestOrigin::cli())
        .await
        .unwrap();
    account(&app, real, "real-front-desk").await;
    assert!(!sign_in_page(&router).await.contains(NOTICE));
    assert!(!code_page(&router, "front-desk").await.contains(NOTICE));
}

#[tokio::test]
async fn a_real_practices_sign_in_has_no_demo_notice() {
    let (_t, app, router) = server().await;
    assert!(
        !sign_in_page(&router).await.contains(NOTICE),
        "no practice yet"
    );
    let real = app
        .create_practice(&practice("Synthetic Smiles"), RequestOrigin::cli())
        .await
        .unwrap();
    account(&app, real, "front-desk").await;
    let html = sign_in_page(&router).await;
    assert!(!html.contains(NOTICE), "{html}");
    assert!(!html.contains("enamel demo"), "{html}");
    let html = code_page(&router, "front-desk").await;
    assert!(!html.contains(NOTICE), "{html}");
    assert!(!html.contains("enamel demo"), "{html}");
}
