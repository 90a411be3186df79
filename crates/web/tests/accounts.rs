//! Account lifecycle and privilege through HTTP: a second-factor reset, enrollment, integration
//! token scopes, separation of duties per person, and what a username refusal reveals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::{Account, Harness};
use enamel_app::RequestOrigin;
use enamel_crypto::TotpSecret;
use enamel_domain::{AccessMethod, Role};
use serde_json::json;

fn api_origin() -> RequestOrigin {
    RequestOrigin {
        method: AccessMethod::Api,
        client_ip: None,
        user_agent: None,
    }
}

/// RFC 4648 base32 (no padding), as an authenticator app reads the enrollment secret.
fn from_base32(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c).unwrap() as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

/// An administrator's bearer token with a fresh second factor.
async fn admin(h: &Harness) -> String {
    h.login(Role::PracticeAdministrator).await
}

/// Issues a reset link for `user` and returns its token.
async fn reset_link(h: &Harness, admin: &str, user: &str, second_factor: bool) -> String {
    let link = ask_reset(h, admin, user, second_factor).await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.text);
    link.json["setup_token"].as_str().unwrap().to_string()
}

/// An administrator's request for a reset link, answered as it is.
async fn ask_reset(h: &Harness, admin: &str, user: &str, second_factor: bool) -> common::Answer {
    h.call(
        "POST",
        &format!("/api/v1/users/{user}/password-reset"),
        Some(admin),
        Some(json!({"reset_second_factor": second_factor})),
    )
    .await
}

async fn complete(h: &Harness, token: &str, password: &str) {
    let done = h
        .call(
            "POST",
            "/api/v1/auth/password-reset/complete",
            None,
            Some(json!({"token": token, "new_password": password})),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.text);
}

/// Enrolls an authenticator with a pending enroll-stage token; returns its secret.
async fn enroll(h: &Harness, pending: &str) -> TotpSecret {
    let enrollment = h.app.begin_enrollment(pending).await.unwrap();
    let secret = TotpSecret::from_bytes(from_base32(&enrollment.secret_base32)).unwrap();
    let code = h.fresh_code(&secret);
    h.app
        .finish_enrollment(pending, &code, &api_origin())
        .await
        .unwrap();
    secret
}

async fn mfa_enrolled(h: &Harness, admin: &str, user: &str) -> bool {
    let users = h.call("GET", "/api/v1/users", Some(admin), None).await;
    assert_eq!(users.status, StatusCode::OK, "{}", users.text);
    users
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == user)
        .unwrap()["mfa_enrolled"]
        .as_bool()
        .unwrap()
}

#[tokio::test]
async fn h4_second_factor_reset_makes_the_old_password_unusable() {
    let h = Harness::new().await;
    let admin = admin(&h).await;
    let hyg = h.account(Role::Hygienist);
    let before = h.login_step_one(&hyg.username, &hyg.password).await;
    assert_eq!(before.status, StatusCode::OK);
    let token = reset_link(&h, &admin, &hyg.user_id, true).await;

    // The old password (saved on the lost phone) is refused like any wrong password.
    let old = h.login_step_one(&hyg.username, &hyg.password).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "{}", old.text);
    assert_eq!(old.json["code"], "sign_in_failed");
    assert!(old.json.get("enrollment_required").is_none());
    // The pending sign-in from before the reset is ended too.
    let stale = h
        .app
        .begin_enrollment(before.json["mfa_token"].as_str().unwrap())
        .await;
    assert!(stale.is_err());

    // The rightful user follows the link, sets a password and enrolls at the first sign-in.
    complete(&h, &token, "a fresh synthetic passphrase").await;
    let one = h
        .login_step_one(&hyg.username, "a fresh synthetic passphrase")
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    assert_eq!(one.json["enrollment_required"], true);
    let secret = enroll(&h, one.json["mfa_token"].as_str().unwrap()).await;
    let account = Account {
        user_id: hyg.user_id.clone(),
        username: hyg.username.clone(),
        password: "a fresh synthetic passphrase".into(),
        secret,
    };
    let session = h.login_account(&account).await;
    let me = h.call("GET", "/api/v1/me", Some(&session), None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
}

#[tokio::test]
async fn h4_completing_the_link_clears_an_authenticator_enrolled_in_between() {
    let h = Harness::new().await;
    let admin = admin(&h).await;
    let hyg = h.account(Role::Hygienist);
    let token = reset_link(&h, &admin, &hyg.user_id, true).await;
    assert!(!mfa_enrolled(&h, &admin, &hyg.user_id).await);

    // Someone else gets an authenticator onto the account before the owner uses the link
    // (the route does not matter here; the store is written directly).
    let practice = h.practice.to_string();
    let row = h.t.db.user(&practice, &hyg.user_id).await.unwrap();
    let mut tx = h.t.db.begin().await.unwrap();
    tx.set_user_totp(
        &practice,
        &hyg.user_id,
        row.key_version,
        Some(&[9u8; 48]),
        None,
        common::START_MS,
    )
    .await
    .unwrap();
    tx.replace_recovery_codes(&practice, &hyg.user_id, &[[3u8; 32]])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(mfa_enrolled(&h, &admin, &hyg.user_id).await);

    complete(&h, &token, "a fresh synthetic passphrase").await;
    assert!(
        !mfa_enrolled(&h, &admin, &hyg.user_id).await,
        "the link clears the intruder's authenticator"
    );
    assert_eq!(
        h.t.db
            .unused_recovery_codes(&practice, &hyg.user_id)
            .await
            .unwrap(),
        0
    );
    let one = h
        .login_step_one(&hyg.username, "a fresh synthetic passphrase")
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    assert_eq!(one.json["enrollment_required"], true);
}

#[tokio::test]
async fn h4_a_plain_reset_keeps_the_authenticator() {
    let h = Harness::new().await;
    let admin = admin(&h).await;
    let hyg = h.account(Role::Hygienist);
    let token = reset_link(&h, &admin, &hyg.user_id, false).await;
    // Until the link is used, the old password still works (nothing was lost).
    let old = h.login_step_one(&hyg.username, &hyg.password).await;
    assert_eq!(old.status, StatusCode::OK, "{}", old.text);
    assert_eq!(old.json["enrollment_required"], false);
    complete(&h, &token, "a fresh synthetic passphrase").await;
    assert!(mfa_enrolled(&h, &admin, &hyg.user_id).await);
}

/// A second-factor reset hands the link's holder the account, so an administrator may not
/// reset the authenticator of someone who reads the audit log: they could become that person
/// and both manage users and read the trail of their own actions. The same holds for any link
/// to such an account while it has no working authenticator. A plain reset (the password is
/// forgotten; the authenticator stays) and a second-factor reset of a clinician still work.
/// The host's operator can issue the refused link (`enamel users reset-link`, CLI test).
#[allow(clippy::disallowed_methods)] // an account set up as `enamel init` would
#[tokio::test]
async fn m5_an_administrator_cannot_reset_the_compliance_officers_authenticator() {
    let h = Harness::new().await;
    let admin = admin(&h).await;
    let officer = h.account(Role::ComplianceOfficer);
    let refused = ask_reset(&h, &admin, &officer.user_id, true).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert_eq!(refused.json["code"], "refused");
    assert!(refused.json.get("setup_token").is_none());
    let trail = h.audit().await;
    let last = trail.last().unwrap();
    assert_eq!(last.action, "password_reset_issued");
    assert_eq!(last.outcome, "denied");
    assert_eq!(last.record_id.as_deref(), Some(officer.user_id.as_str()));
    // Nothing changed: the officer still signs in with their password and authenticator.
    assert!(mfa_enrolled(&h, &admin, &officer.user_id).await);
    h.login_account(officer).await;

    reset_link(&h, &admin, &officer.user_id, false).await;
    let dentist = h.account(Role::Dentist);
    reset_link(&h, &admin, &dentist.user_id, true).await;

    // An officer with no working authenticator (say, after the operator reset it): even a
    // plain link would let its holder enroll their own, so it is refused too.
    let unenrolled = h
        .app
        .create_user_as_system(
            h.practice,
            &enamel_app::auth::NewUser {
                username: "officer-without-phone".into(),
                display_name: "Test officer".into(),
                roles: vec![Role::ComplianceOfficer],
            },
            Some("a synthetic passphrase 2026"),
            None,
        )
        .await
        .unwrap();
    let plain = ask_reset(&h, &admin, &unenrolled.user_id, false).await;
    assert_eq!(plain.status, StatusCode::CONFLICT, "{}", plain.text);
}

/// A new account whose owner has set a password through the setup link but not yet enrolled.
async fn unenrolled(h: &Harness, admin: &str, username: &str, roles: &[&str]) -> Account {
    let created = h
        .call(
            "POST",
            "/api/v1/users",
            Some(admin),
            Some(json!({"username": username, "display_name": "Test person", "roles": roles})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let password = "a synthetic passphrase 2026".to_string();
    complete(h, created.json["setup_token"].as_str().unwrap(), &password).await;
    Account {
        user_id: created.json["user_id"].as_str().unwrap().to_string(),
        username: username.to_string(),
        password,
        secret: TotpSecret::generate().unwrap(),
    }
}

#[tokio::test]
async fn m9_a_stale_enrollment_sign_in_cannot_replace_the_authenticator() {
    let h = Harness::new().await;
    let admin = admin(&h).await;
    let mut person = unenrolled(&h, &admin, "new-hygienist", &["hygienist"]).await;
    let mut pending = Vec::new();
    for _ in 0..2 {
        let one = h.login_step_one(&person.username, &person.password).await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.text);
        assert_eq!(one.json["enrollment_required"], true);
        pending.push(one.json["mfa_token"].as_str().unwrap().to_string());
    }
    let (t1, t2) = (&pending[0], &pending[1]);
    // Both sign-ins see the enrollment page; T1 finishes first.
    h.app.begin_enrollment(t2).await.unwrap();
    person.secret = enroll(&h, t1).await;

    let begin = h.app.begin_enrollment(t2).await;
    assert!(
        matches!(begin, Err(enamel_app::AppError::Unauthenticated)),
        "{begin:?}"
    );
    let other = TotpSecret::generate().unwrap();
    let code = h.fresh_code(&other);
    let finish = h.app.finish_enrollment(t2, &code, &api_origin()).await;
    assert!(
        matches!(finish, Err(enamel_app::AppError::Unauthenticated)),
        "{finish:?}"
    );
    // T1's authenticator still works.
    let session = h.login_account(&person).await;
    let me = h.call("GET", "/api/v1/me", Some(&session), None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
}

#[tokio::test]
async fn m4_token_scopes_stay_within_the_creators_permissions() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let admin = admin(&h).await;
    // The administrator may not view insurance, so no token of theirs may either.
    let beyond = h
        .call(
            "POST",
            "/api/v1/api-tokens",
            Some(&admin),
            Some(json!({"name": "x", "scopes": ["demographics:view", "insurance:view"], "expires_in_days": 1})),
        )
        .await;
    assert_eq!(
        beyond.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        beyond.text
    );
    let fields: Vec<&str> = beyond.json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["scopes[1]"], "{}", beyond.text);
    let tokens = h
        .call("GET", "/api/v1/api-tokens", Some(&admin), None)
        .await;
    assert_eq!(tokens.json.as_array().unwrap().len(), 0, "nothing was made");

    // Within their own permissions, the token works.
    let created = h
        .call(
            "POST",
            "/api/v1/api-tokens",
            Some(&admin),
            Some(json!({"name": "x", "scopes": ["demographics:view"], "expires_in_days": 1})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let token = created.json["token"].as_str().unwrap().to_string();
    let read = h
        .call(
            "GET",
            &format!("/api/v1/patients/{patient}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert!(read.json.get("coverages").is_none_or(|c| c.is_null()));

    // The creator's role loses the permission: so does the token, on its next use.
    let narrow = h
        .call(
            "PUT",
            "/api/v1/policy",
            Some(&admin),
            Some(json!({"role": "practice_administrator", "category": "demographics", "action": "view", "allowed": false})),
        )
        .await;
    assert_eq!(narrow.status, StatusCode::NO_CONTENT, "{}", narrow.text);
    let after = h
        .call(
            "GET",
            &format!("/api/v1/patients/{patient}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(after.status, StatusCode::FORBIDDEN, "{}", after.text);
}

async fn set_cell(h: &Harness, admin: &str, cell: serde_json::Value) -> common::Answer {
    h.call("PUT", "/api/v1/policy", Some(admin), Some(cell))
        .await
}

fn dentist_reads_audit_log(allowed: bool) -> serde_json::Value {
    json!({"role": "dentist", "category": "audit_log", "action": "view", "allowed": allowed})
}

#[tokio::test]
async fn m5_one_person_cannot_combine_roles_into_user_admin_and_audit_log() {
    let h = Harness::new().await;
    let admin = admin(&h).await;
    // Allowed per role: dentists do not administer users.
    let r = set_cell(&h, &admin, dentist_reads_audit_log(true)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let both = h
        .call(
            "POST",
            "/api/v1/users",
            Some(&admin),
            Some(json!({"username": "admin-dentist", "display_name": "Test person", "roles": ["practice_administrator", "dentist"]})),
        )
        .await;
    assert_eq!(both.status, StatusCode::CONFLICT, "{}", both.text);
    assert_eq!(both.json["code"], "refused");
    // Nor by changing an existing person's roles.
    let dentist = h.account(Role::Dentist).user_id.clone();
    let changed = h
        .call(
            "PUT",
            &format!("/api/v1/users/{dentist}/roles"),
            Some(&admin),
            Some(json!({"roles": ["dentist", "practice_administrator"]})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::CONFLICT, "{}", changed.text);
    assert_eq!(changed.json["code"], "refused");
    let users = h.call("GET", "/api/v1/users", Some(&admin), None).await;
    assert!(!users.text.contains("admin-dentist"), "nothing was created");
}

#[tokio::test]
async fn m5_a_matrix_change_cannot_give_an_existing_person_both_sides() {
    let h = Harness::new().await;
    let admin = admin(&h).await;
    let both = h
        .call(
            "POST",
            "/api/v1/users",
            Some(&admin),
            Some(json!({"username": "admin-dentist", "display_name": "Test person", "roles": ["practice_administrator", "dentist"]})),
        )
        .await;
    assert_eq!(both.status, StatusCode::CREATED, "{}", both.text);
    let r = set_cell(&h, &admin, dentist_reads_audit_log(true)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.json["code"], "refused");
    let policy = h.call("GET", "/api/v1/policy", Some(&admin), None).await;
    assert_eq!(policy.json["differences"].as_array().unwrap().len(), 0);
    // Once nobody holds both roles, the change is allowed.
    let id = both.json["user_id"].as_str().unwrap();
    let narrowed = h
        .call(
            "PUT",
            &format!("/api/v1/users/{id}/roles"),
            Some(&admin),
            Some(json!({"roles": ["dentist"]})),
        )
        .await;
    assert_eq!(narrowed.status, StatusCode::NO_CONTENT, "{}", narrowed.text);
    let r = set_cell(&h, &admin, dentist_reads_audit_log(true)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

#[tokio::test]
async fn l14_a_username_refusal_does_not_say_which_practice_uses_it() {
    let h = Harness::new().await;
    let (_, elsewhere) = h.other_practice(Role::FrontDesk).await;
    let admin = admin(&h).await;
    let mut answers = Vec::new();
    for username in [
        elsewhere.username.as_str(),
        h.account(Role::FrontDesk).username.as_str(),
    ] {
        let r = h
            .call(
                "POST",
                "/api/v1/users",
                Some(&admin),
                Some(json!({"username": username, "display_name": "Test person", "roles": ["hygienist"]})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        answers.push(r.json["fields"].clone());
    }
    assert_eq!(
        answers[0], answers[1],
        "taken here and taken elsewhere look alike"
    );
    assert_eq!(
        answers[0],
        json!([{"field": "username", "problem": "This username cannot be used. Choose another."}])
    );
    // Each refusal is in this practice's trail, without the name tried.
    let me = h.account(Role::PracticeAdministrator).user_id.clone();
    let refused: Vec<_> = h
        .audit()
        .await
        .into_iter()
        .filter(|e| e.action == "create" && e.outcome == "failed")
        .collect();
    assert_eq!(refused.len(), 2);
    for e in &refused {
        assert_eq!(e.actor_id.as_deref(), Some(me.as_str()));
        assert_eq!(e.record_id.as_deref(), Some("*"));
        assert!(!format!("{e:?}").contains(&elsewhere.username));
    }
}
