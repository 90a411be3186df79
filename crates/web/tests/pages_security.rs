//! Findings of the December security review that only the staff pages can reach, through the
//! real router with a signed-in browser session.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{StatusCode, header};
use common::Harness;
use common::browser::Browser;
use enamel_domain::Role;

/// L1: after a step-up the page goes back only to one of our own paths. Browsers drop tabs
/// and line breaks from a `Location` and read `\` as `/`, so each of these would have sent the
/// person to another site right after they typed a valid code.
#[tokio::test]
async fn l1_step_up_never_redirects_off_site() {
    let h = Harness::new().await;
    let browser = Browser::sign_in(&h, Role::PracticeAdministrator).await;
    let secret = &h.account(Role::PracticeAdministrator).secret;
    let hostile = [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/\\evil.example",
        "/\t\\evil.example",
        "//evil.example",
        " //evil.example",
        "https://evil.example/",
        "/ /evil.example",
    ];
    for next in hostile.iter().chain(["/admin/users"].iter()) {
        let code = h.fresh_code(secret);
        let answer = browser
            .post(
                &h,
                "/step-up",
                &[("csrf", &browser.csrf), ("code", &code), ("next", next)],
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "{next:?}: {}",
            answer.text
        );
        let location = answer.headers[header::LOCATION].to_str().unwrap();
        let expected = if *next == "/admin/users" {
            "/admin/users"
        } else {
            "/"
        };
        assert_eq!(location, expected, "next = {next:?}");
    }
}
