//! No secret reaches a log line (review finding H1). Every flow that carries a bearer secret
//! (setup and reset links, the pending sign-in, the session, API access and integration
//! tokens, anti-forgery tokens, passwords) runs through the real router with the log captured
//! at TRACE, the most a server can be asked to print; then the log is searched for each secret.
//! Its own test binary: the log subscriber is global to the process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use common::browser::{Browser, PENDING, SESSION, form_body, set_cookie};
use enamel_domain::Role;
use serde_json::json;

fn form_post(body: &[(&str, &str)]) -> (Option<String>, [(&'static str, &'static str); 1]) {
    (
        Some(form_body(body)),
        [("content-type", "application/x-www-form-urlencoded")],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h1_no_bearer_secret_reaches_the_log_at_trace() {
    let logs = enamel_testkit::LogCapture::install_at_trace();

    let h = Harness::new().await;
    let mut secrets: Vec<(&str, String)> = Vec::new();

    // An administrator through the API: the access token of the second step.
    let admin = h.account(Role::PracticeAdministrator);
    let one = h.login_step_one(&admin.username, &admin.password).await;
    let mfa_token = one.json["mfa_token"].as_str().unwrap().to_string();
    secrets.push(("pending sign-in token", mfa_token.clone()));
    secrets.push(("password", admin.password.clone()));
    secrets.push(("authenticator secret", admin.secret.to_base32()));
    let code = h.fresh_code(&admin.secret);
    let two = h
        .call(
            "POST",
            "/api/v1/auth/mfa",
            None,
            Some(json!({"mfa_token": mfa_token, "code": code})),
        )
        .await;
    assert_eq!(two.status, StatusCode::OK, "{}", two.text);
    let access = two.json["access_token"].as_str().unwrap().to_string();
    secrets.push(("access token", access.clone()));

    // A new account's setup link, opened the old way (the secret in the path) and the new way
    // (after `#`, which a browser never sends), then used.
    let created = h
        .call(
            "POST",
            "/api/v1/users",
            Some(&access),
            Some(
                json!({"username": "h1-billing", "display_name": "Test H1", "roles": ["billing"]}),
            ),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let setup = created.json["setup_token"].as_str().unwrap().to_string();
    secrets.push(("setup link", setup.clone()));
    let legacy = h.call("GET", &format!("/reset/{setup}"), None, None).await;
    assert_eq!(legacy.status, StatusCode::OK);
    assert!(
        legacy.text.contains(&setup),
        "an old-style link still fills the form"
    );
    let page = h.call("GET", "/reset", None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("id=\"link-code-field\""),
        "{}",
        page.text
    );
    let new_password = "h1 quiet harbour lanterns";
    secrets.push(("new password", new_password.into()));
    let (body, headers) = form_post(&[("token", &setup), ("new_password", new_password)]);
    let set = h.call_with("POST", "/reset", None, body, &headers).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.text);

    // A reset link issued by the administrator, completed through the API.
    let user_id = created.json["user_id"].as_str().unwrap();
    let issued = h
        .call(
            "POST",
            &format!("/api/v1/users/{user_id}/password-reset"),
            Some(&access),
            Some(json!({})),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    let reset = issued.json["setup_token"].as_str().unwrap().to_string();
    secrets.push(("reset link", reset.clone()));
    let done = h
        .call(
            "POST",
            "/api/v1/auth/password-reset/complete",
            None,
            Some(json!({"token": reset, "new_password": "h1 second harbour lanterns"})),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.text);
    // A used link, tried again, and a forged one.
    for token in [reset.as_str(), "enr_forgedforgedforgedforgedforged"] {
        let again = h.call("GET", &format!("/reset/{token}"), None, None).await;
        assert_eq!(again.status, StatusCode::OK);
    }

    // An integration token, created and used.
    let minted = h
        .call(
            "POST",
            "/api/v1/api-tokens",
            Some(&access),
            Some(json!({"name": "h1", "scopes": ["demographics:view"], "expires_in_days": 1})),
        )
        .await;
    assert_eq!(minted.status, StatusCode::CREATED, "{}", minted.text);
    let api_token = minted.json["token"].as_str().unwrap().to_string();
    secrets.push(("integration token", api_token.clone()));
    let me = h.call("GET", "/api/v1/me", Some(&api_token), None).await;
    assert_ne!(me.status, StatusCode::UNAUTHORIZED, "{}", me.text);

    // The pages' sign-in: the pending cookie, the session cookie, the anti-forgery token.
    let front = h.account(Role::FrontDesk);
    let (body, headers) =
        form_post(&[("username", &front.username), ("password", &front.password)]);
    let pending = h.call_with("POST", "/sign-in", None, body, &headers).await;
    secrets.push(("pending cookie", set_cookie(&pending, PENDING)));
    let browser = Browser::sign_in(&h, Role::FrontDesk).await;
    secrets.push((
        "session cookie",
        browser.cookie.replace(&format!("{SESSION}="), ""),
    ));
    secrets.push(("anti-forgery token", browser.csrf.clone()));
    let out = browser
        .post(&h, "/sign-out", &[("csrf", &browser.csrf)])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.text);
    let logout = h
        .call("POST", "/api/v1/auth/logout", Some(&access), None)
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT, "{}", logout.text);

    let logged = logs.text();
    assert!(
        logged.contains("/reset/{token}"),
        "the request log names the route's template:\n{logged}"
    );
    for (what, secret) in &secrets {
        assert!(secret.len() >= 8, "{what} is a real secret");
        assert!(
            !logged.contains(secret.as_str()),
            "the {what} is in the log"
        );
    }
}
