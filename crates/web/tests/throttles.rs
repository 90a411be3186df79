//! Attempt limits through HTTP: every check of a secret (password, sign-in code, step-up code,
//! current password, reset link) is counted before it is made, by account and by client, so
//! parallel guesses get no more tries than serial ones; unauthenticated requests cannot grow
//! the audit log or occupy the password-hashing pool without limit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use common::browser::Browser;
use common::{Answer, Harness};
use enamel_crypto::TotpSecret;
use enamel_domain::Role;
use serde_json::json;
use tower::ServiceExt;

/// A six-digit code that is valid at none of the steps accepted now.
fn wrong_code(h: &Harness, secret: &TotpSecret) -> String {
    let now = h.now_secs();
    let valid: Vec<String> = [now - 30, now, now + 30]
        .iter()
        .map(|t| enamel_crypto::totp_code(secret, *t))
        .collect();
    (0..1000)
        .map(|n| format!("{:06}", 123_457 + n))
        .find(|c| !valid.contains(c))
        .unwrap()
}

fn count(entries: &[enamel_audit::Entry], action: &str) -> usize {
    entries.iter().filter(|e| e.action == action).count()
}

/// A JSON request from a given client address.
fn from_addr(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: serde_json::Value,
    addr: &str,
) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let mut request = builder.body(Body::from(body.to_string())).unwrap();
    let addr: SocketAddr = addr.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(addr));
    request
}

/// Sends the same JSON request `n` times at once and returns the statuses.
async fn burst(
    h: &Harness,
    n: usize,
    path: &str,
    body: serde_json::Value,
    addr: &str,
) -> Vec<StatusCode> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let router = h.router.clone();
        let request = from_addr("POST", path, None, body.clone(), addr);
        set.spawn(async move { router.oneshot(request).await.unwrap().status() });
    }
    set.join_all().await
}

async fn step_up(h: &Harness, token: &str, code: &str) -> Answer {
    h.call(
        "POST",
        "/api/v1/auth/step-up",
        Some(token),
        Some(json!({"code": code})),
    )
    .await
}

#[tokio::test]
async fn h2_step_up_locks_after_failures() {
    let h = Harness::new().await;
    let role = Role::PracticeAdministrator;
    let sessions = [
        h.login(role).await,
        h.login(role).await,
        h.login(role).await,
    ];
    let a = h.account(role);
    h.clock.advance_ms(6 * 60 * 1000);
    let max = common::test_settings().max_code_failures;

    // A session that guesses wrong `max` times ends.
    for _ in 0..max {
        let r = step_up(&h, &sessions[0], &wrong_code(&h, &a.secret)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
        assert_eq!(r.json["code"], "mfa_failed");
    }
    let ended = step_up(&h, &sessions[0], &h.fresh_code(&a.secret)).await;
    assert_eq!(ended.status, StatusCode::UNAUTHORIZED);
    assert_ne!(
        ended.json["code"], "mfa_failed",
        "the session itself is over"
    );
    let me = h
        .call("GET", "/api/v1/auth/sessions", Some(&sessions[0]), None)
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);

    // Step-up failures count toward the account's sign-in lock, whatever the session.
    for _ in 0..max {
        let r = step_up(&h, &sessions[1], &wrong_code(&h, &a.secret)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    }
    // Locked: even the right code is refused, and nothing more is counted or checked.
    let locked = step_up(&h, &sessions[2], &h.fresh_code(&a.secret)).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.text
    );
    assert!(locked.headers.contains_key(header::RETRY_AFTER));
    let refused_login = h.login_step_one(&a.username, &a.password).await;
    assert_eq!(refused_login.status, StatusCode::TOO_MANY_REQUESTS);

    let entries = h.audit().await;
    let denied = entries
        .iter()
        .filter(|e| e.action == "step_up" && e.outcome == "denied")
        .count();
    assert_eq!(denied, usize::try_from(2 * max).unwrap());
    assert!(
        entries
            .iter()
            .any(|e| e.action == "account_locked"
                && e.actor_id.as_deref() == Some(a.user_id.as_str()))
    );
}

/// Refused unchecked while the account is locked, a step-up costs the session nothing: a
/// stranger who locks the username from outside cannot also end its signed-in owner's session.
#[tokio::test]
async fn h2_a_locked_account_does_not_end_its_owners_session() {
    let h = Harness::new().await;
    let role = Role::PracticeAdministrator;
    let session = h.login(role).await;
    let a = h.account(role);
    h.clock.advance_ms(6 * 60 * 1000);
    let settings = common::test_settings();
    for _ in 0..settings.lock_after_failures {
        let r = h
            .login_step_one(&a.username, "not the password at all")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    }
    for _ in 0..=settings.max_code_failures {
        let r = step_up(&h, &session, &h.fresh_code(&a.secret)).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    }
    let me = h.call("GET", "/api/v1/me", Some(&session), None).await;
    assert_eq!(
        me.status,
        StatusCode::OK,
        "the session goes on: {}",
        me.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn m1_parallel_wrong_codes_get_no_more_tries_than_serial_ones() {
    let h = Harness::new().await;
    let a = h.account(Role::Dentist);
    let one = h.login_step_one(&a.username, &a.password).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    let token = one.json["mfa_token"].as_str().unwrap().to_string();
    let wrong = wrong_code(&h, &a.secret);
    let statuses = burst(
        &h,
        32,
        "/api/v1/auth/mfa",
        json!({"mfa_token": token, "code": wrong}),
        "192.0.2.10:5000",
    )
    .await;
    assert!(statuses.iter().all(|s| *s != StatusCode::OK));
    let max = common::test_settings().max_code_failures;
    let checked = count(&h.audit().await, "mfa_failed");
    assert!(
        checked <= usize::try_from(max).unwrap(),
        "{checked} wrong codes were checked"
    );
    let right = h
        .call(
            "POST",
            "/api/v1/auth/mfa",
            None,
            Some(json!({"mfa_token": token, "code": h.fresh_code(&a.secret)})),
        )
        .await;
    assert_eq!(right.status, StatusCode::UNAUTHORIZED, "{}", right.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn m1_parallel_wrong_passwords_get_no_more_tries_than_serial_ones() {
    let h = Harness::new().await;
    let a = h.account(Role::Hygienist);
    let statuses = burst(
        &h,
        32,
        "/api/v1/auth/login",
        json!({"username": a.username, "password": "not the password at all"}),
        "192.0.2.11:5000",
    )
    .await;
    assert!(statuses.iter().all(|s| *s != StatusCode::OK));
    let limit = common::test_settings().lock_after_failures;
    let checked = count(&h.audit().await, "sign_in_failed");
    assert!(
        checked <= usize::try_from(limit).unwrap(),
        "{checked} wrong passwords were checked"
    );
    let right = h.login_step_one(&a.username, &a.password).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn m1_a_locked_username_cannot_finish_with_a_code() {
    let h = Harness::new().await;
    let a = h.account(Role::FrontDesk);
    let one = h.login_step_one(&a.username, &a.password).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    let limit = common::test_settings().lock_after_failures;
    for _ in 0..limit {
        let r = h
            .login_step_one(&a.username, "not the password at all")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let code = h
        .call(
            "POST",
            "/api/v1/auth/mfa",
            None,
            Some(json!({"mfa_token": one.json["mfa_token"], "code": h.fresh_code(&a.secret)})),
        )
        .await;
    assert_eq!(code.status, StatusCode::TOO_MANY_REQUESTS, "{}", code.text);
    assert!(code.headers.contains_key(header::RETRY_AFTER));
}

/// A form post (a page) from a given client address.
fn form_from_addr(path: &str, body: &str, addr: &str) -> Request<Body> {
    let mut request = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap();
    let addr: SocketAddr = addr.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(addr));
    request
}

#[tokio::test]
async fn m6_a_made_up_reset_link_never_reaches_the_hashing_pool_and_is_throttled() {
    let h = Harness::new().await;
    let client = "198.51.100.7:40000";
    let bogus = json!({"token": "enr_made-up-link-0000000000000000", "new_password": "a long enough synthetic passphrase"});
    let hashed_before = h.app.password_hashing_runs();
    let limit = common::test_settings().lock_ip_after_failures;
    for i in 0..limit {
        let request = if i % 2 == 0 {
            from_addr(
                "POST",
                "/api/v1/auth/password-reset/complete",
                None,
                bogus.clone(),
                client,
            )
        } else {
            form_from_addr(
                "/reset",
                "token=enr_made-up-link-0000000000000000&new_password=a+long+enough+synthetic+passphrase",
                client,
            )
        };
        let r = h.send(request).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "attempt {i}: {}", r.text);
    }
    assert_eq!(
        h.app.password_hashing_runs(),
        hashed_before,
        "a made-up link must not cost a password hash"
    );
    let api = h
        .send(from_addr(
            "POST",
            "/api/v1/auth/password-reset/complete",
            None,
            bogus.clone(),
            client,
        ))
        .await;
    assert_eq!(api.status, StatusCode::TOO_MANY_REQUESTS, "{}", api.text);
    assert!(api.headers.contains_key(header::RETRY_AFTER));
    let page = h
        .send(form_from_addr(
            "/reset",
            "token=enr_made-up-link-0000000000000000&new_password=a+long+enough+synthetic+passphrase",
            client,
        ))
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    // Another client, and a real sign-in, are not held up.
    let other = h
        .send(from_addr(
            "POST",
            "/api/v1/auth/password-reset/complete",
            None,
            bogus,
            "203.0.113.9:40000",
        ))
        .await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
    h.login(Role::Dentist).await;
}

/// Every audit entry of every practice, and those of none (unknown usernames).
async fn all_entries(h: &Harness) -> Vec<enamel_audit::Entry> {
    h.t.db
        .audit_entries(&enamel_store::AuditQuery {
            practice_id: None,
            actor_id: None,
            patient_id: None,
            action: None,
            outcome: None,
            from_ms: None,
            to_ms: None,
            after_seq: None,
            limit: 1_000_000,
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn m8_reset_requests_and_failed_sign_ins_leave_a_bounded_trail() {
    let h = Harness::new().await;
    let name = h.account(Role::FrontDesk).username.clone();
    // 200 requests for one known username, from 200 different clients, half through the page.
    let mut accepted = 0;
    for i in 0..200u32 {
        let addr = format!("10.1.{}.{}:4000", i / 200, i % 200 + 1);
        let request = if i % 2 == 0 {
            from_addr(
                "POST",
                "/api/v1/auth/password-reset",
                None,
                json!({"username": name}),
                &addr,
            )
        } else {
            form_from_addr("/forgot-password", &format!("username={name}"), &addr)
        };
        let r = h.send(request).await;
        match r.status {
            StatusCode::ACCEPTED | StatusCode::OK => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert!(accepted <= 3, "{accepted} requests were accepted");
    let requested = count(&h.audit().await, "password_reset_requested");
    assert!(requested <= 3, "{requested} entries were written");

    // One client naming ever new usernames is held to a few requests too.
    let mut statuses = Vec::new();
    for i in 0..30 {
        let r = h
            .send(from_addr(
                "POST",
                "/api/v1/auth/password-reset",
                None,
                json!({"username": format!("made-up-{i}")}),
                "192.0.2.77:4000",
            ))
            .await;
        statuses.push(r.status);
    }
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS));
    assert!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::ACCEPTED)
            .count()
            <= 10
    );

    // Failed sign-ins from one client stop being checked (and written) at its lock.
    let limit = common::test_settings().lock_ip_after_failures;
    let before = count(&all_entries(&h).await, "sign_in_failed");
    for i in 0..limit + 10 {
        let r = h
            .send(from_addr(
                "POST",
                "/api/v1/auth/login",
                None,
                json!({"username": format!("nobody-{i}"), "password": "not a real password"}),
                "192.0.2.78:4000",
            ))
            .await;
        let expected = if i < limit {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(r.status, expected, "attempt {i}");
    }
    let written = count(&all_entries(&h).await, "sign_in_failed") - before;
    assert_eq!(written, usize::try_from(limit).unwrap());
}

#[tokio::test]
async fn l7_ipv6_clients_are_counted_by_their_64() {
    let h = Harness::new().await;
    let limit = common::test_settings().lock_ip_after_failures;
    // Every attempt from a new address of the same /64 (and a new username): one client.
    for i in 0..limit {
        let r = h
            .send(from_addr(
                "POST",
                "/api/v1/auth/login",
                None,
                json!({"username": format!("nobody-{i}"), "password": "not a real password"}),
                &format!("[2001:db8:1:2::{:x}]:4000", i + 1),
            ))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let same_64 = h
        .send(from_addr(
            "POST",
            "/api/v1/auth/login",
            None,
            json!({"username": "nobody-else", "password": "not a real password"}),
            "[2001:db8:1:2:abcd:ef01:2345:6789]:4000",
        ))
        .await;
    assert_eq!(same_64.status, StatusCode::TOO_MANY_REQUESTS);
    let other_64 = h
        .send(from_addr(
            "POST",
            "/api/v1/auth/login",
            None,
            json!({"username": "nobody-else", "password": "not a real password"}),
            "[2001:db8:1:3::1]:4000",
        ))
        .await;
    assert_eq!(other_64.status, StatusCode::UNAUTHORIZED);

    // So do "forgot password" requests: a new address of the /64 (and a new name) each time.
    let mut answers = Vec::new();
    for i in 0..20 {
        let r = h
            .send(from_addr(
                "POST",
                "/api/v1/auth/password-reset",
                None,
                json!({"username": format!("made-up-{i}")}),
                &format!("[2001:db8:7:7::{:x}]:4000", i + 1),
            ))
            .await;
        answers.push(r.status);
    }
    let accepted = answers
        .iter()
        .filter(|s| **s == StatusCode::ACCEPTED)
        .count();
    assert!(accepted <= 10, "{answers:?}");
    assert_eq!(answers.last(), Some(&StatusCode::TOO_MANY_REQUESTS));

    // The per-address API limit counts the /64 too.
    let web = enamel_web::WebSettings {
        api_rate_per_ip: (1, 3),
        ..enamel_web::WebSettings::default()
    };
    let h = Harness::with(common::test_settings(), web).await;
    let mut limited = false;
    for i in 0..10 {
        let request = Request::builder()
            .uri("/api/v1/openapi.json")
            .extension(ConnectInfo(
                format!("[2001:db8:9:9::{:x}]:4000", i + 1)
                    .parse::<SocketAddr>()
                    .unwrap(),
            ))
            .body(Body::empty())
            .unwrap();
        limited |= h.send(request).await.status == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(limited, "ten addresses of one /64 share one limit");
}

async fn change_password(h: &Harness, token: &str, current: &str) -> Answer {
    h.call(
        "PUT",
        "/api/v1/auth/password",
        Some(token),
        Some(json!({"current_password": current, "new_password": "a brand new synthetic passphrase"})),
    )
    .await
}

#[tokio::test]
async fn l11_wrong_current_passwords_are_throttled_audited_and_end_the_session() {
    let h = Harness::new().await;
    let role = Role::Dentist;
    let sessions = [
        h.login(role).await,
        h.login(role).await,
        h.login(role).await,
    ];
    let a = h.account(role);
    let max = common::test_settings().max_code_failures;
    for _ in 0..max {
        let r = change_password(&h, &sessions[0], "not my password at all").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    }
    let ended = change_password(&h, &sessions[0], &a.password).await;
    assert_eq!(ended.status, StatusCode::UNAUTHORIZED, "{}", ended.text);
    for _ in 0..max {
        let r = change_password(&h, &sessions[1], "not my password at all").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    }
    // The account is now locked, for sign-in and for this check alike.
    let locked = change_password(&h, &sessions[2], &a.password).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.text
    );
    assert!(locked.headers.contains_key(header::RETRY_AFTER));
    let entries = h.audit().await;
    let denied = entries
        .iter()
        .filter(|e| {
            e.action == "password_changed"
                && e.outcome == "denied"
                && e.actor_id.as_deref() == Some(a.user_id.as_str())
        })
        .count();
    assert_eq!(denied, usize::try_from(2 * max).unwrap());
    assert!(entries.iter().any(|e| e.action == "account_locked"));
}

#[allow(clippy::disallowed_methods)] // an account set up as `enamel init` would
#[tokio::test]
async fn l3_reset_requests_do_the_same_work_for_known_and_unknown_names() {
    let h = Harness::new().await;
    let known = h.account(Role::Hygienist).username.clone();
    for name in [known.as_str(), "nobody-here-at-all"] {
        let before = all_entries(&h).await.len();
        let r = h
            .call(
                "POST",
                "/api/v1/auth/password-reset",
                None,
                Some(json!({"username": name})),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        assert_eq!(
            all_entries(&h).await.len(),
            before + 1,
            "one audit commit for {name}"
        );
    }
    // An account still waiting for its setup link costs one Argon2id run at sign-in, like
    // any other (the unit test `l3_an_unset_password_is_checked_against_the_dummy_hash`
    // shows it is run against the dummy hash).
    let created = h
        .app
        .create_user_as_system(
            h.practice,
            &enamel_app::auth::NewUser {
                username: "not-yet-set-up".into(),
                display_name: "Test Newcomer".into(),
                roles: vec![Role::FrontDesk],
            },
            None,
            None,
        )
        .await
        .unwrap();
    assert!(!created.user_id.is_empty());
    let runs = h.app.password_hashing_runs();
    let r = h.login_step_one("not-yet-set-up", "!unset").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.app.password_hashing_runs(), runs + 1);
}

#[tokio::test]
async fn h2_the_step_up_page_ends_the_session_after_failures() {
    let h = Harness::new().await;
    let a = h.account(Role::PracticeAdministrator);
    let browser = Browser::sign_in(&h, Role::PracticeAdministrator).await;
    for _ in 0..common::test_settings().max_code_failures {
        let wrong = wrong_code(&h, &a.secret);
        let r = browser
            .post(&h, "/step-up", &[("csrf", &browser.csrf), ("code", &wrong)])
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    }
    let right = h.fresh_code(&a.secret);
    let ended = browser
        .post(&h, "/step-up", &[("csrf", &browser.csrf), ("code", &right)])
        .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    let location = ended.headers[header::LOCATION].to_str().unwrap();
    assert!(location.starts_with("/sign-in"), "{location}");
    let denied = h
        .audit()
        .await
        .iter()
        .filter(|e| e.action == "step_up" && e.outcome == "denied")
        .count();
    assert_eq!(
        denied,
        usize::try_from(common::test_settings().max_code_failures).unwrap()
    );
}
