//! Access control through HTTP: every guarded route refuses anonymous requests, each staff
//! role gets exactly what the matrix says (denials audited), sessions and tokens end when
//! they should, and the administrative rules (step-up, separation of duties) hold.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use enamel_domain::{Action, Category, Policy, Role};
use serde_json::json;

/// A guarded route and the matrix cell it needs. `{patient}` and `{user}` are filled in.
struct Route {
    method: &'static str,
    path: &'static str,
    cell: Option<(Category, Action)>,
    body: Option<fn() -> serde_json::Value>,
}

const fn route(
    method: &'static str,
    path: &'static str,
    cell: Option<(Category, Action)>,
    body: Option<fn() -> serde_json::Value>,
) -> Route {
    Route {
        method,
        path,
        cell,
        body,
    }
}

fn new_patient() -> serde_json::Value {
    json!({"family_name": "Enamelson", "given_name": "Pat", "birth_date": "1990-01-02"})
}
fn same_roles() -> serde_json::Value {
    json!({"roles": ["front_desk"]})
}
fn no_settings() -> serde_json::Value {
    json!({"idle_minutes": null, "absolute_hours": null})
}
fn utc_zone() -> serde_json::Value {
    json!({"time_zone": "UTC"})
}
fn new_user() -> serde_json::Value {
    json!({"username": format!("new-{}", uuid::Uuid::new_v4().simple()), "display_name": "New Person", "roles": ["billing"]})
}

/// Every route that needs a signed-in caller. The ones with a cell are swept role by role.
fn routes() -> Vec<Route> {
    use Action::*;
    use Category::*;
    vec![
        route(
            "GET",
            "/api/v1/patients/{patient}",
            Some((Demographics, View)),
            None,
        ),
        route(
            "POST",
            "/api/v1/patients",
            Some((Demographics, Create)),
            Some(new_patient),
        ),
        route(
            "GET",
            "/api/v1/patients?name=molar",
            Some((Demographics, View)),
            None,
        ),
        route(
            "POST",
            "/api/v1/patients/search",
            Some((Demographics, View)),
            Some(|| json!({"name": "molar"})),
        ),
        route(
            "GET",
            "/api/v1/patients/{patient}/versions",
            Some((Demographics, View)),
            None,
        ),
        route(
            "POST",
            "/api/v1/patients/{patient}/deactivate",
            Some((Demographics, Edit)),
            None,
        ),
        // These need If-Match; the patients tests cover them role by role.
        route("PUT", "/api/v1/patients/{patient}", None, Some(new_patient)),
        route(
            "DELETE",
            "/api/v1/patients/{patient}",
            None,
            Some(|| json!({"reason": "created_in_error"})),
        ),
        route(
            "GET",
            "/api/v1/patients/{patient}/versions/{version}",
            None,
            None,
        ),
        route("GET", "/api/v1/audit/events", Some((AuditLog, View)), None),
        route(
            "GET",
            "/api/v1/audit/events/export",
            Some((AuditLog, Export)),
            None,
        ),
        route(
            "GET",
            "/api/v1/emergency-access",
            Some((AuditLog, View)),
            None,
        ),
        route("GET", "/api/v1/users", Some((UsersAndRoles, View)), None),
        route(
            "POST",
            "/api/v1/users",
            Some((UsersAndRoles, Create)),
            Some(new_user),
        ),
        route(
            "PUT",
            "/api/v1/users/{user}/roles",
            Some((UsersAndRoles, Edit)),
            Some(same_roles),
        ),
        route("GET", "/api/v1/policy", Some((UsersAndRoles, View)), None),
        route(
            "GET",
            "/api/v1/api-tokens",
            Some((UsersAndRoles, View)),
            None,
        ),
        route(
            "GET",
            "/api/v1/practice/settings",
            Some((PracticeSettings, View)),
            None,
        ),
        route(
            "PUT",
            "/api/v1/practice/settings",
            Some((PracticeSettings, Edit)),
            Some(no_settings),
        ),
        route(
            "GET",
            "/api/v1/practice/time-zone",
            Some((PracticeSettings, View)),
            None,
        ),
        route(
            "PUT",
            "/api/v1/practice/time-zone",
            Some((PracticeSettings, Edit)),
            Some(utc_zone),
        ),
        route("GET", "/api/v1/me", None, None),
        route("GET", "/api/v1/auth/sessions", None, None),
        route("POST", "/api/v1/auth/logout", None, None),
        route("POST", "/api/v1/auth/logout-everywhere", None, None),
        route(
            "POST",
            "/api/v1/auth/step-up",
            None,
            Some(|| json!({"code": "000000"})),
        ),
        route(
            "PUT",
            "/api/v1/auth/password",
            None,
            Some(|| json!({"current_password": "x", "new_password": "y"})),
        ),
        route("DELETE", "/api/v1/auth/sessions/{user}", None, None),
        route("POST", "/api/v1/users/{user}/disable", None, None),
        route("POST", "/api/v1/users/{user}/enable", None, None),
        route(
            "POST",
            "/api/v1/users/{user}/password-reset",
            None,
            Some(|| json!({})),
        ),
        route(
            "PUT",
            "/api/v1/policy",
            None,
            Some(
                || json!({"role": "billing", "category": "imaging", "action": "view", "allowed": false}),
            ),
        ),
        route(
            "POST",
            "/api/v1/api-tokens",
            None,
            Some(|| json!({"name": "x", "scopes": ["demographics:view"]})),
        ),
        route("DELETE", "/api/v1/api-tokens/{user}", None, None),
        route(
            "POST",
            "/api/v1/emergency-access",
            None,
            Some(|| json!({"patient_id": "x", "justification": "y"})),
        ),
        route(
            "POST",
            "/api/v1/emergency-access/{user}/review",
            None,
            Some(|| json!({"decision": "accepted"})),
        ),
        route("POST", "/api/v1/emergency-access/{user}/revoke", None, None),
        // The chart: creating is charting × create; reading is charting × view or, for
        // completed work and fees, billing × view, and the rest act on a procedure (the chart
        // tests cover them role by role).
        route(
            "POST",
            "/api/v1/patients/{patient}/procedures",
            Some((Charting, Create)),
            Some(|| json!({"code": "X1110"})),
        ),
        route(
            "PUT",
            "/api/v1/practice/chart-settings",
            Some((PracticeSettings, Edit)),
            Some(|| json!({"tooth_numbering": "universal", "chart_lock_hours": 24})),
        ),
        route("GET", "/api/v1/practice/chart-settings", None, None),
        route("GET", "/api/v1/procedure-codes", None, None),
        route("GET", "/api/v1/patients/{patient}/chart", None, None),
        route("GET", "/api/v1/patients/{patient}/procedures", None, None),
        route(
            "POST",
            "/api/v1/patients/{patient}/tooth-states",
            Some((Charting, Create)),
            Some(|| json!({"tooth": "1", "state": "missing"})),
        ),
        // Charting × view, or billing × view (a claim names the missing teeth).
        route("GET", "/api/v1/patients/{patient}/tooth-states", None, None),
        route("GET", "/api/v1/procedures/{procedure}", None, None),
        route(
            "PUT",
            "/api/v1/procedures/{procedure}",
            None,
            Some(|| json!({"code": "X1110"})),
        ),
        route(
            "POST",
            "/api/v1/procedures/{procedure}/complete",
            None,
            Some(|| json!({})),
        ),
        route(
            "POST",
            "/api/v1/procedures/{procedure}/invalidate",
            None,
            Some(|| json!({"reason": "Charted on the wrong patient."})),
        ),
        route(
            "POST",
            "/api/v1/procedures/{procedure}/addenda",
            None,
            Some(|| json!({"body": "Synthetic addendum."})),
        ),
        route(
            "POST",
            "/api/v1/patients/{patient}/perio-exams",
            Some((Charting, Create)),
            Some(|| json!({})),
        ),
        route(
            "GET",
            "/api/v1/patients/{patient}/perio-exams",
            Some((Charting, View)),
            None,
        ),
        route("GET", "/api/v1/perio-exams/{exam}", None, None),
        route(
            "PUT",
            "/api/v1/perio-exams/{exam}",
            None,
            Some(|| json!({})),
        ),
        route("POST", "/api/v1/perio-exams/{exam}/close", None, None),
        route(
            "GET",
            "/api/v1/perio-exams/{exam}/comparison?with=00000000-0000-0000-0000-000000000000",
            None,
            None,
        ),
        route(
            "POST",
            "/api/v1/patients/{patient}/notes",
            Some((ClinicalNotes, Create)),
            Some(|| json!({"kind": "progress", "body": "Synthetic note."})),
        ),
        route(
            "GET",
            "/api/v1/patients/{patient}/notes",
            Some((ClinicalNotes, View)),
            None,
        ),
        route(
            "GET",
            "/api/v1/note-templates",
            Some((ClinicalNotes, View)),
            None,
        ),
        route(
            "POST",
            "/api/v1/note-templates",
            None,
            Some(|| json!({"name": "Synthetic", "kind": "progress", "body": "Text."})),
        ),
        route("GET", "/api/v1/notes/{note}", None, None),
        route(
            "PUT",
            "/api/v1/notes/{note}",
            None,
            Some(|| json!({"kind": "progress", "body": "Synthetic."})),
        ),
        route("POST", "/api/v1/notes/{note}/sign", None, None),
        route(
            "GET",
            "/api/v1/patients/{patient}/treatment-plans",
            None,
            None,
        ),
        route(
            "POST",
            "/api/v1/patients/{patient}/treatment-plans",
            None,
            Some(|| json!({"title": "Synthetic", "phases": []})),
        ),
        route("GET", "/api/v1/treatment-plans/{plan}", None, None),
        route(
            "PUT",
            "/api/v1/treatment-plans/{plan}",
            None,
            Some(|| json!({"title": "Synthetic", "phases": []})),
        ),
        route("POST", "/api/v1/treatment-plans/{plan}/present", None, None),
        route(
            "POST",
            "/api/v1/treatment-plans/{plan}/accept",
            None,
            Some(
                || json!({"accepted_by": "patient", "signer_name": "Demo", "channel": "in_office", "signature": {"kind": "typed", "text": "Demo"}}),
            ),
        ),
        route("POST", "/api/v1/treatment-plans/{plan}/decline", None, None),
        route(
            "POST",
            "/api/v1/treatment-plans/{plan}/supersede",
            None,
            None,
        ),
        route(
            "POST",
            "/api/v1/notes/{note}/addenda",
            None,
            Some(|| json!({"body": "Synthetic."})),
        ),
        // The schedule's resources: read by the schedule's or the settings' viewers (either
        // cell, so not swept by one), changed as practice settings.
        route("GET", "/api/v1/providers", None, None),
        route(
            "POST",
            "/api/v1/providers",
            Some((PracticeSettings, Edit)),
            Some(new_provider),
        ),
        route("GET", "/api/v1/providers/{provider}", None, None),
        route(
            "PUT",
            "/api/v1/providers/{provider}",
            None,
            Some(new_provider),
        ),
        route("GET", "/api/v1/operatories", None, None),
        route(
            "POST",
            "/api/v1/operatories",
            Some((PracticeSettings, Edit)),
            Some(new_operatory),
        ),
        route("GET", "/api/v1/operatories/{operatory}", None, None),
        route(
            "PUT",
            "/api/v1/operatories/{operatory}",
            None,
            Some(new_operatory),
        ),
        route("GET", "/api/v1/appointment-types", None, None),
        route(
            "POST",
            "/api/v1/appointment-types",
            Some((PracticeSettings, Edit)),
            Some(new_appointment_type),
        ),
        route("GET", "/api/v1/appointment-types/{type}", None, None),
        route(
            "PUT",
            "/api/v1/appointment-types/{type}",
            None,
            Some(new_appointment_type),
        ),
        // Appointments: the booking's role matrix is in tests/schedule.rs (a booking needs a
        // chair and a provider of the practice, and a free time).
        route(
            "GET",
            "/api/v1/appointments?date=2027-03-15",
            Some((Schedule, View)),
            None,
        ),
        route("GET", "/api/v1/asap-list", Some((Schedule, View)), None),
        route(
            "POST",
            "/api/v1/appointments",
            None,
            Some(|| json!({"patient_id": "00000000-0000-0000-0000-000000000000"})),
        ),
        route("GET", "/api/v1/appointments/{appointment}", None, None),
        route(
            "PUT",
            "/api/v1/appointments/{appointment}",
            None,
            Some(|| json!({})),
        ),
        route(
            "POST",
            "/api/v1/appointments/{appointment}/status",
            None,
            Some(|| json!({"status": "arrived"})),
        ),
        // Blockouts are the schedule's, holidays the settings' (tests/schedule_warnings.rs).
        route("GET", "/api/v1/schedule-blocks?from=2027-03-15", None, None),
        route(
            "POST",
            "/api/v1/schedule-blocks",
            Some((Schedule, Edit)),
            Some(|| {
                json!({"kind": "blockout", "start": "2027-03-15T09:00",
                       "end": "2027-03-15T10:00", "label": "Staff meeting"})
            }),
        ),
        route("DELETE", "/api/v1/schedule-blocks/{block}", None, None),
    ]
}

/// A provider with an abbreviation of its own (abbreviations are unique in a practice).
fn new_provider() -> serde_json::Value {
    let abbreviation = &uuid::Uuid::new_v4().simple().to_string()[..8];
    json!({"family_name": "Example", "given_name": "Dana", "abbreviation": abbreviation,
           "colour": "#3366cc", "specialty": "general"})
}
fn new_operatory() -> serde_json::Value {
    let abbreviation = &uuid::Uuid::new_v4().simple().to_string()[..8];
    json!({"name": "Operatory", "abbreviation": abbreviation})
}
fn new_appointment_type() -> serde_json::Value {
    json!({"name": format!("Visit {}", uuid::Uuid::new_v4().simple()), "colour": "#00aa00",
           "pattern": "/XX/"})
}

/// A path with every `{placeholder}` and query string made alike, for comparing the sweep's
/// routes with the OpenAPI document's.
fn shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let mut out = String::new();
    let mut in_brace = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_brace = true;
                out.push_str("{}");
            }
            '}' => in_brace = false,
            _ if !in_brace => out.push(c),
            _ => {}
        }
    }
    out
}

/// The sweep cannot miss a route: every operation the OpenAPI document (which the router is
/// built from) marks as needing a bearer token is in `routes()`.
#[tokio::test]
async fn the_sweep_covers_every_guarded_route_of_the_api() {
    let h = Harness::new().await;
    let doc = h.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let swept: std::collections::BTreeSet<(String, String)> = routes()
        .iter()
        .map(|r| (r.method.to_string(), shape(r.path)))
        .collect();
    let mut missing = Vec::new();
    for (path, item) in doc.json["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            // A public operation's `security` is empty (or holds an empty requirement).
            let public = op["security"].as_array().is_some_and(|s| {
                s.is_empty()
                    || s.iter()
                        .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
            });
            let key = (method.to_uppercase(), shape(path));
            if !public && !swept.contains(&key) {
                missing.push(key);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "guarded routes missing from the sweep: {missing:?}"
    );
}

fn fill(path: &str, patient: &str, user: &str) -> String {
    path.replace("{patient}", patient)
        .replace("{user}", user)
        .replace("{version}", "1")
}

#[tokio::test]
async fn every_guarded_route_refuses_missing_unknown_and_tampered_credentials() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let user = h.account(Role::FrontDesk).user_id.clone();
    let good = h.login(Role::PracticeAdministrator).await;
    let mut tampered = good.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    for r in routes() {
        let path = fill(r.path, &patient, &user);
        for token in [
            None,
            Some("ens_not-a-real-token"),
            Some(tampered.as_str()),
            Some("ent_forged"),
        ] {
            let a = h.call(r.method, &path, token, r.body.map(|b| b())).await;
            assert_eq!(
                a.status,
                StatusCode::UNAUTHORIZED,
                "{} {path} with {token:?}: {}",
                r.method,
                a.text
            );
            assert_eq!(a.json["code"], "unauthenticated");
        }
    }
}

#[tokio::test]
async fn each_role_gets_exactly_the_matrix_and_every_denial_is_audited() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let target = h.account(Role::FrontDesk).user_id.clone();
    let policy = Policy::dental_office_default();
    for role in Role::STAFF {
        let token = h.login(*role).await;
        let me = h.account(*role).user_id.clone();
        for r in routes() {
            let Some((category, action)) = r.cell else {
                continue;
            };
            let path = fill(r.path, &patient, &target);
            if *role == Role::FrontDesk && r.path.contains("{user}") {
                // Nobody edits their own account; the front desk is the target here.
                continue;
            }
            let before = h.audit().await.len();
            let a = h
                .call(r.method, &path, Some(&token), r.body.map(|b| b()))
                .await;
            let allowed = policy.allows(*role, category, action);
            if allowed {
                assert!(
                    a.status.is_success(),
                    "{role:?} should be allowed {} {path}: {} {}",
                    r.method,
                    a.status,
                    a.text
                );
            } else {
                assert_eq!(
                    a.status,
                    StatusCode::FORBIDDEN,
                    "{role:?} should be refused {} {path}: {}",
                    r.method,
                    a.text
                );
                assert_eq!(a.json["code"], "forbidden");
                let after = h.audit().await;
                let denial = after[before..]
                    .iter()
                    .find(|e| e.outcome == "denied" && e.actor_id.as_deref() == Some(me.as_str()));
                assert!(
                    denial.is_some(),
                    "{role:?} {} {path}: no denied entry",
                    r.method
                );
                assert_eq!(
                    denial.unwrap().record_type.as_deref(),
                    Some(category.as_str())
                );
            }
        }
    }
}

#[tokio::test]
async fn a_patient_read_leaves_one_view_entry_and_a_miss_is_audited_as_failed() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let token = h.login(Role::Dentist).await;
    let before = h.audit().await.len();
    let a = h
        .call(
            "GET",
            &format!("/api/v1/patients/{patient}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json["family_name"], "Molar");
    let entries = h.audit().await;
    let new: Vec<_> = entries[before..].iter().collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0].action, "view");
    assert_eq!(new[0].patient_id.as_deref(), Some(patient.as_str()));
    assert_eq!(
        new[0].actor_id.as_deref(),
        Some(h.account(Role::Dentist).user_id.as_str())
    );
    let other = enamel_domain::PatientId::new().to_string();
    let miss = h
        .call(
            "GET",
            &format!("/api/v1/patients/{other}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(miss.status, StatusCode::NOT_FOUND);
    assert_eq!(h.audit().await.last().unwrap().outcome, "failed");
}

#[tokio::test]
async fn wrong_password_unknown_user_and_disabled_account_answer_identically() {
    let h = Harness::new().await;
    let a = h.account(Role::Billing);
    let wrong = h
        .login_step_one(&a.username, "not the right password")
        .await;
    let unknown = h
        .login_step_one("nobody-by-this-name", "not the right password")
        .await;
    let admin = h.login(Role::PracticeAdministrator).await;
    let fd = h.account(Role::FrontDesk);
    let disabled = h
        .call(
            "POST",
            &format!("/api/v1/users/{}/disable", fd.user_id),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(disabled.status, StatusCode::NO_CONTENT, "{}", disabled.text);
    let disabled = h.login_step_one(&fd.username, &fd.password).await;
    let strip = |v: &serde_json::Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("request_id");
        v
    };
    for other in [&unknown, &disabled] {
        assert_eq!(wrong.status, other.status);
        assert_eq!(strip(&wrong.json), strip(&other.json));
    }
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json["code"], "sign_in_failed");
}

/// TOTP computed here with HMAC-SHA1 straight from aws-lc-rs (RFC 4226 dynamic truncation),
/// independently of the implementation the server uses.
fn independent_totp(secret: &[u8], unix_secs: u64) -> String {
    use aws_lc_rs::hmac;
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &(unix_secs / 30).to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[19] & 0x0f);
    let bin = (u32::from(mac[offset]) & 0x7f) << 24
        | u32::from(mac[offset + 1]) << 16
        | u32::from(mac[offset + 2]) << 8
        | u32::from(mac[offset + 3]);
    format!("{:06}", bin % 1_000_000)
}

#[tokio::test]
async fn an_independently_computed_code_signs_in_once_and_its_replay_is_refused() {
    let h = Harness::new().await;
    let a = h.account(Role::Hygienist);
    h.clock.advance_ms(30_000);
    let code = independent_totp(a.secret.expose_bytes(), h.now_secs());
    let one = h.login_step_one(&a.username, &a.password).await;
    let ok = h
        .call(
            "POST",
            "/api/v1/auth/mfa",
            None,
            Some(json!({"mfa_token": one.json["mfa_token"], "code": code})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.json["token_type"], "Bearer");
    assert_eq!(ok.json["expires_in"], 900);
    // Same code, same 30-second window, new sign-in attempt: refused.
    let again = h.login_step_one(&a.username, &a.password).await;
    let replay = h
        .call(
            "POST",
            "/api/v1/auth/mfa",
            None,
            Some(json!({"mfa_token": again.json["mfa_token"], "code": code})),
        )
        .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.json["code"], "mfa_failed");
    // The pending token itself is single-use too.
    let reuse = h
        .call(
            "POST",
            "/api/v1/auth/mfa",
            None,
            Some(json!({"mfa_token": one.json["mfa_token"], "code": h.fresh_code(&a.secret)})),
        )
        .await;
    assert_eq!(reuse.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn idle_absolute_revoked_and_disabled_sessions_stop_working() {
    let h = Harness::new().await;
    let token = h.login(Role::Dentist).await;
    assert_eq!(
        h.call("GET", "/api/v1/me", Some(&token), None).await.status,
        StatusCode::OK
    );
    h.clock.advance_ms(14 * 60 * 1000);
    assert_eq!(
        h.call("GET", "/api/v1/me", Some(&token), None).await.status,
        StatusCode::OK
    );
    h.clock.advance_ms(15 * 60 * 1000 + 1);
    assert_eq!(
        h.call("GET", "/api/v1/me", Some(&token), None).await.status,
        StatusCode::UNAUTHORIZED,
        "idle"
    );

    // Absolute lifetime: active every 10 minutes, still ends after 12 hours.
    let token = h.login(Role::Dentist).await;
    for _ in 0..71 {
        h.clock.advance_ms(10 * 60 * 1000);
        assert_eq!(
            h.call("GET", "/api/v1/me", Some(&token), None).await.status,
            StatusCode::OK
        );
    }
    h.clock.advance_ms(10 * 60 * 1000);
    assert_eq!(
        h.call("GET", "/api/v1/me", Some(&token), None).await.status,
        StatusCode::UNAUTHORIZED,
        "absolute"
    );

    let token = h.login(Role::Dentist).await;
    assert_eq!(
        h.call("POST", "/api/v1/auth/logout", Some(&token), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.call("GET", "/api/v1/me", Some(&token), None).await.status,
        StatusCode::UNAUTHORIZED,
        "logged out"
    );

    let victim = h.login(Role::Billing).await;
    let admin = h.login(Role::PracticeAdministrator).await;
    let billing = h.account(Role::Billing).user_id.clone();
    let d = h
        .call(
            "POST",
            &format!("/api/v1/users/{billing}/disable"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(d.status, StatusCode::NO_CONTENT, "{}", d.text);
    assert_eq!(
        h.call("GET", "/api/v1/me", Some(&victim), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "disabled"
    );
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_device() {
    let h = Harness::new().await;
    let one = h.login(Role::OfficeManager).await;
    let two = h.login(Role::OfficeManager).await;
    let list = h
        .call("GET", "/api/v1/auth/sessions", Some(&one), None)
        .await;
    assert_eq!(list.json.as_array().unwrap().len(), 2);
    assert_eq!(
        list.json
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["current"] == true)
            .count(),
        1
    );
    assert_eq!(
        h.call("POST", "/api/v1/auth/logout-everywhere", Some(&two), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    for t in [&one, &two] {
        assert_eq!(
            h.call("GET", "/api/v1/me", Some(t), None).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn repeated_failures_lock_known_and_unknown_usernames_alike() {
    let h = Harness::new().await;
    let a = h.account(Role::Dentist);
    for name in [a.username.as_str(), "ghost-user"] {
        for _ in 0..10 {
            let r = h.login_step_one(name, "wrong password here").await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
        let locked = h.login_step_one(name, "wrong password here").await;
        assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{name}");
        assert!(locked.headers.contains_key("retry-after"));
    }
    // Even the right password waits out the lock.
    assert_eq!(
        h.login_step_one(&a.username, &a.password).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let entries = h.audit().await;
    assert!(
        entries
            .iter()
            .any(|e| e.action == "account_locked"
                && e.actor_id.as_deref() == Some(a.user_id.as_str()))
    );
    h.clock.advance_ms(16 * 60 * 1000);
    assert_eq!(
        h.login_step_one(&a.username, &a.password).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn administrative_changes_need_a_fresh_second_factor() {
    let h = Harness::new().await;
    let admin = h.login(Role::PracticeAdministrator).await;
    h.clock.advance_ms(6 * 60 * 1000);
    let stale = h
        .call("POST", "/api/v1/users", Some(&admin), Some(new_user()))
        .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    assert_eq!(stale.json["code"], "step_up_required");
    let a = h.account(Role::PracticeAdministrator);
    let step = h
        .call(
            "POST",
            "/api/v1/auth/step-up",
            Some(&admin),
            Some(json!({"code": h.fresh_code(&a.secret)})),
        )
        .await;
    assert_eq!(step.status, StatusCode::NO_CONTENT, "{}", step.text);
    let created = h
        .call("POST", "/api/v1/users", Some(&admin), Some(new_user()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert!(
        created.json["setup_token"]
            .as_str()
            .unwrap()
            .starts_with("enr_")
    );
}

#[tokio::test]
async fn separation_of_duties_holds() {
    let h = Harness::new().await;
    let admin = h.login(Role::PracticeAdministrator).await;
    let me = h.account(Role::PracticeAdministrator).user_id.clone();
    // Not one's own roles.
    let own = h
        .call(
            "PUT",
            &format!("/api/v1/users/{me}/roles"),
            Some(&admin),
            Some(json!({"roles": ["practice_administrator", "dentist"]})),
        )
        .await;
    assert_eq!(own.status, StatusCode::CONFLICT, "{}", own.text);
    // Mutually exclusive roles.
    let billing = h.account(Role::Billing).user_id.clone();
    let both = h
        .call(
            "PUT",
            &format!("/api/v1/users/{billing}/roles"),
            Some(&admin),
            Some(json!({"roles": ["billing", "compliance_officer"]})),
        )
        .await;
    assert_eq!(both.status, StatusCode::CONFLICT, "{}", both.text);
    // The administrator cannot give their own role audit-log access, nor any role both.
    for cell in [
        json!({"role": "practice_administrator", "category": "audit_log", "action": "view", "allowed": true}),
        json!({"role": "compliance_officer", "category": "users_roles", "action": "edit", "allowed": true}),
        json!({"role": "dentist", "category": "audit_log", "action": "delete", "allowed": true}),
    ] {
        let r = h
            .call("PUT", "/api/v1/policy", Some(&admin), Some(cell.clone()))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{cell}: {}", r.text);
    }
    // A permitted change is applied and audited.
    let r = h
        .call("PUT", "/api/v1/policy", Some(&admin), Some(json!({"role": "front_desk", "category": "billing", "action": "view", "allowed": false})))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let entries = h.audit().await;
    let change = entries
        .iter()
        .rev()
        .find(|e| e.action == "permission_change" && e.outcome == "allowed")
        .unwrap();
    assert_eq!(change.record_id.as_deref(), Some("front_desk:billing:view"));
    let policy = h.call("GET", "/api/v1/policy", Some(&admin), None).await;
    assert_eq!(policy.json["differences"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn break_glass_reaches_one_patient_for_one_window_and_is_reviewed() {
    let h = Harness::new().await;
    let admin = h.login(Role::PracticeAdministrator).await;
    let r = h
        .call("PUT", "/api/v1/policy", Some(&admin), Some(json!({"role": "dental_assistant", "category": "demographics", "action": "view", "allowed": false})))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    h.clock.advance_ms(6_000); // past the policy cache
    let a = h.patient().await;
    let b = h.patient().await;
    let assistant = h.login(Role::DentalAssistant).await;
    let read = |p: String| {
        let h = &h;
        let token = assistant.clone();
        async move {
            h.call("GET", &format!("/api/v1/patients/{p}"), Some(&token), None)
                .await
        }
    };
    assert_eq!(read(a.clone()).await.status, StatusCode::FORBIDDEN);
    let short = h
        .call(
            "POST",
            "/api/v1/emergency-access",
            Some(&assistant),
            Some(json!({"patient_id": a, "justification": "urgent"})),
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let grant = h
        .call("POST", "/api/v1/emergency-access", Some(&assistant), Some(json!({"patient_id": a, "justification": "Patient arrived with facial swelling; dentist out"})))
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.text);
    let grant_id = grant.json["id"].as_str().unwrap().to_string();
    let ok = read(a.clone()).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(
        read(b.clone()).await.status,
        StatusCode::FORBIDDEN,
        "only that patient"
    );
    // Reading only: the grant changes nothing (the assistant's matrix has no demographics edit).
    let change = h
        .call_with(
            "POST",
            &format!("/api/v1/patients/{a}/deactivate"),
            Some(&assistant),
            None,
            &[],
        )
        .await;
    assert_eq!(change.status, StatusCode::FORBIDDEN, "{}", change.text);
    let entries = h.audit().await;
    let view = entries
        .iter()
        .rev()
        .find(|e| e.action == "view" && e.outcome == "allowed")
        .unwrap();
    assert_eq!(
        view.reason.as_deref(),
        Some(format!("emergency_access:{grant_id}").as_str())
    );
    assert!(
        !entries
            .iter()
            .any(|e| e.reason.as_deref().is_some_and(|r| r.contains("swelling"))),
        "justification stays out of the log"
    );
    h.clock.advance_ms(61 * 60 * 1000);
    let assistant_again = h.login(Role::DentalAssistant).await;
    let late = h
        .call(
            "GET",
            &format!("/api/v1/patients/{a}"),
            Some(&assistant_again),
            None,
        )
        .await;
    assert_eq!(late.status, StatusCode::FORBIDDEN, "only that window");
    // Front desk is not a clinician: no break-glass.
    let fd = h.login(Role::FrontDesk).await;
    let refused = h
        .call("POST", "/api/v1/emergency-access", Some(&fd), Some(json!({"patient_id": a, "justification": "I would like to look at this record please"})))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // The compliance officer sees and reviews it.
    let co = h.login(Role::ComplianceOfficer).await;
    let queue = h
        .call("GET", "/api/v1/emergency-access", Some(&co), None)
        .await;
    assert_eq!(queue.status, StatusCode::OK);
    assert_eq!(queue.json["accesses"][0]["id"], grant_id.as_str());
    assert!(
        queue.json["accesses"][0]["justification"]
            .as_str()
            .unwrap()
            .contains("swelling")
    );
    let review = h
        .call(
            "POST",
            &format!("/api/v1/emergency-access/{grant_id}/review"),
            Some(&co),
            Some(json!({"decision": "accepted"})),
        )
        .await;
    assert_eq!(review.status, StatusCode::NO_CONTENT, "{}", review.text);
    let again = h
        .call(
            "POST",
            &format!("/api/v1/emergency-access/{grant_id}/review"),
            Some(&co),
            Some(json!({"decision": "escalated"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        h.audit()
            .await
            .iter()
            .any(|e| e.action == "emergency_review" && e.reason.as_deref() == Some("accepted"))
    );
}

#[tokio::test]
async fn integration_tokens_are_scoped_revocable_and_rate_limited() {
    let web = enamel_web::WebSettings {
        api_rate_per_token: (1, 3),
        ..enamel_web::WebSettings::default()
    };
    let h = Harness::with(common::test_settings(), web).await;
    let patient = h.patient().await;
    let admin = h.login(Role::PracticeAdministrator).await;
    let bad = h
        .call(
            "POST",
            "/api/v1/api-tokens",
            Some(&admin),
            Some(json!({"name": "Sneaky", "scopes": ["audit_log:view"]})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let created = h
        .call("POST", "/api/v1/api-tokens", Some(&admin), Some(json!({"name": "Imaging bridge", "scopes": ["demographics:view"], "expires_in_days": 30})))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let token = created.json["token"].as_str().unwrap().to_string();
    let id = created.json["id"].as_str().unwrap().to_string();
    let listed = h
        .call("GET", "/api/v1/api-tokens", Some(&admin), None)
        .await;
    assert!(!listed.text.contains(&token), "a token is shown once");
    let read = h
        .call(
            "GET",
            &format!("/api/v1/patients/{patient}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    let write = h
        .call(
            "POST",
            "/api/v1/patients",
            Some(&token),
            Some(new_patient()),
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    let mut limited = None;
    for _ in 0..6 {
        let r = h
            .call(
                "GET",
                &format!("/api/v1/patients/{patient}"),
                Some(&token),
                None,
            )
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let limited = limited.expect("the token's burst is 3");
    assert!(limited.headers.contains_key("retry-after"));
    let revoke = h
        .call(
            "DELETE",
            &format!("/api/v1/api-tokens/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(revoke.status, StatusCode::NO_CONTENT, "{}", revoke.text);
    let after = h
        .call(
            "GET",
            &format!("/api/v1/patients/{patient}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    h.clock.advance_ms(31 * 86_400_000);
}

#[tokio::test]
async fn reset_links_are_single_use_and_never_reveal_accounts() {
    let h = Harness::new().await;
    for name in [h.account(Role::Hygienist).username.as_str(), "nobody-here"] {
        let r = h
            .call(
                "POST",
                "/api/v1/auth/password-reset",
                None,
                Some(json!({"username": name})),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        assert_eq!(r.text, "");
    }
    let admin = h.login(Role::PracticeAdministrator).await;
    let users = h.call("GET", "/api/v1/users", Some(&admin), None).await;
    let hyg = h.account(Role::Hygienist);
    let row = users
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == hyg.user_id.as_str())
        .unwrap();
    assert!(
        row["reset_requested_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "the administrator sees the request"
    );
    let link = h
        .call(
            "POST",
            &format!("/api/v1/users/{}/password-reset", hyg.user_id),
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.text);
    let token = link.json["setup_token"].as_str().unwrap();
    let weak = h
        .call(
            "POST",
            "/api/v1/auth/password-reset/complete",
            None,
            Some(json!({"token": token, "new_password": "short"})),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let common = h
        .call(
            "POST",
            "/api/v1/auth/password-reset/complete",
            None,
            Some(json!({"token": token, "new_password": "password1234"})),
        )
        .await;
    assert_eq!(
        common.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        common.text
    );
    let done = h
        .call(
            "POST",
            "/api/v1/auth/password-reset/complete",
            None,
            Some(json!({"token": token, "new_password": "a new synthetic passphrase"})),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.text);
    let reused = h
        .call(
            "POST",
            "/api/v1/auth/password-reset/complete",
            None,
            Some(json!({"token": token, "new_password": "another synthetic passphrase"})),
        )
        .await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
    assert_eq!(reused.json["code"], "link_invalid");
    assert_eq!(
        h.login_step_one(&hyg.username, &hyg.password).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.login_step_one(&hyg.username, "a new synthetic passphrase")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_audit_log_is_filtered_paged_and_its_reading_audited() {
    let h = Harness::new().await;
    let patient = h.patient().await;
    let dentist = h.login(Role::Dentist).await;
    for _ in 0..3 {
        h.call(
            "GET",
            &format!("/api/v1/patients/{patient}"),
            Some(&dentist),
            None,
        )
        .await;
    }
    let co = h.login(Role::ComplianceOfficer).await;
    let q = format!("/api/v1/audit/events?patient={patient}&action=view&limit=2");
    let page = h.call("GET", &q, Some(&co), None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(page.json["events"].as_array().unwrap().len(), 2);
    let next = page.json["next"].as_str().unwrap();
    let rest = h
        .call("GET", &format!("{q}&cursor={next}"), Some(&co), None)
        .await;
    // The dentist's third view, then the compliance officer's own look at this patient's trail.
    let rest_events = rest.json["events"].as_array().unwrap();
    assert_eq!(rest_events.len(), 2, "{}", rest.text);
    assert_eq!(rest_events[0]["record_type"], "patient");
    assert_eq!(rest_events[1]["record_type"], "audit_log");
    assert!(rest.json.get("next").is_none());
    // Another list's cursor, or a made-up one, is named and refused.
    for cursor in ["42", "bm9wZTox"] {
        let refused = h
            .call("GET", &format!("{q}&cursor={cursor}"), Some(&co), None)
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.text
        );
        assert_eq!(refused.json["fields"][0]["field"], "cursor");
    }
    let bad = h
        .call(
            "GET",
            "/api/v1/audit/events?from=yesterday",
            Some(&co),
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json["fields"][0]["field"], "from");
    let views = h
        .audit()
        .await
        .iter()
        .filter(|e| e.action == "view")
        .count();
    let csv = h
        .call(
            "GET",
            "/api/v1/audit/events/export?action=view",
            Some(&co),
            None,
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(csv.text.lines().count(), 1 + views, "{}", csv.text);
    let entries = h.audit().await;
    assert!(
        entries
            .iter()
            .any(|e| e.record_type.as_deref() == Some("audit_log") && e.action == "export")
    );
}

#[tokio::test]
async fn m10_audit_filters_must_be_ids_and_nothing_else_reaches_the_log() {
    let h = Harness::new().await;
    let co = h.login(Role::ComplianceOfficer).await;
    let before = h.audit().await.len();
    for (query, field) in [
        ("patient=%00", "patient"),
        ("patient=not-an-id", "patient"),
        ("patient=%27%20OR%201%3D1--", "patient"),
        ("patient=0192D2A6-7E0B-7000-8000-000000000001", "patient"),
        ("user=%00", "user"),
        ("user=someone", "user"),
    ] {
        for path in ["/api/v1/audit/events", "/api/v1/audit/events/export"] {
            let answer = h
                .call("GET", &format!("{path}?{query}"), Some(&co), None)
                .await;
            assert_eq!(
                answer.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path}?{query}: {}",
                answer.text
            );
            assert_eq!(answer.json["fields"][0]["field"], field, "{query}");
        }
    }
    assert_eq!(
        h.audit().await.len(),
        before,
        "a refused filter reads nothing and writes nothing"
    );
    // A real id still filters, and the viewer's own entry names it.
    let patient = h.patient().await;
    let me = &h.account(Role::ComplianceOfficer).user_id;
    let ok = h
        .call(
            "GET",
            &format!("/api/v1/audit/events?patient={patient}&user={me}"),
            Some(&co),
            None,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let last = h.audit().await.pop().unwrap();
    assert_eq!(last.record_type.as_deref(), Some("audit_log"));
    assert_eq!(last.patient_id.as_deref(), Some(patient.as_str()));
}

#[tokio::test]
async fn l10_break_glass_needs_step_up_pages_oldest_first_and_ends_when_escalated_or_revoked_for_good()
 {
    let h = Harness::new().await;
    let admin = h.login(Role::PracticeAdministrator).await;
    let r = h
        .call("PUT", "/api/v1/policy", Some(&admin), Some(json!({"role": "dental_assistant", "category": "demographics", "action": "view", "allowed": false})))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    h.clock.advance_ms(6_000); // past the policy cache
    let (a, b, c) = (h.patient().await, h.patient().await, h.patient().await);
    let assistant = h.login(Role::DentalAssistant).await;
    let open = |p: String| {
        let (h, token) = (&h, assistant.clone());
        async move {
            h.call("POST", "/api/v1/emergency-access", Some(&token), Some(json!({"patient_id": p, "justification": "Patient arrived with facial swelling; dentist out"})))
                .await
        }
    };
    let read = |p: String| {
        let (h, token) = (&h, assistant.clone());
        async move {
            h.call("GET", &format!("/api/v1/patients/{p}"), Some(&token), None)
                .await
                .status
        }
    };

    // A session whose second factor is not fresh must prove it again first.
    h.clock.advance_ms(6 * 60 * 1000);
    let stale = open(a.clone()).await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN, "{}", stale.text);
    assert_eq!(stale.json["code"], "step_up_required");
    let secret = &h.account(Role::DentalAssistant).secret;
    let step = h
        .call(
            "POST",
            "/api/v1/auth/step-up",
            Some(&assistant),
            Some(json!({"code": h.fresh_code(secret)})),
        )
        .await;
    assert_eq!(step.status, StatusCode::NO_CONTENT, "{}", step.text);
    let mut grants = Vec::new();
    for p in [&a, &b, &c] {
        let g = open(p.clone()).await;
        assert_eq!(g.status, StatusCode::CREATED, "{}", g.text);
        grants.push(g.json["id"].as_str().unwrap().to_string());
        assert_eq!(read(p.clone()).await, StatusCode::OK);
    }

    // The queue pages oldest first, so newer grants never hide an older pending one.
    let co = h.login(Role::ComplianceOfficer).await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = h
            .call(
                "GET",
                &format!("/api/v1/emergency-access?limit=1&cursor={cursor}"),
                Some(&co),
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let items = page.json["accesses"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}", page.text);
        seen.push(items[0]["id"].as_str().unwrap().to_string());
        let Some(next) = page.json["next"].as_str() else {
            break;
        };
        cursor = next.to_string();
    }
    assert_eq!(seen, grants);
    let all = h
        .call(
            "GET",
            "/api/v1/emergency-access?status=all",
            Some(&co),
            None,
        )
        .await;
    assert_eq!(
        all.json["accesses"][0]["id"],
        grants[2].as_str(),
        "history: newest first"
    );
    let bad = h
        .call("GET", "/api/v1/emergency-access?limit=0", Some(&co), None)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Escalated: suspected misuse stops the grant at once.
    let escalated = h
        .call(
            "POST",
            &format!("/api/v1/emergency-access/{}/review", grants[0]),
            Some(&co),
            Some(json!({"decision": "escalated"})),
        )
        .await;
    assert_eq!(
        escalated.status,
        StatusCode::NO_CONTENT,
        "{}",
        escalated.text
    );
    assert_eq!(read(a.clone()).await, StatusCode::FORBIDDEN);

    // Revoked: the compliance officer ends one, audited; the others keep working.
    let fd = h.login(Role::FrontDesk).await;
    let revoke = |token: String, id: String| {
        let h = &h;
        async move {
            h.call(
                "POST",
                &format!("/api/v1/emergency-access/{id}/revoke"),
                Some(&token),
                None,
            )
            .await
        }
    };
    assert_eq!(
        revoke(fd.clone(), grants[1].clone()).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(read(b.clone()).await, StatusCode::OK);
    let before = h.audit().await.len();
    let revoked = revoke(co.clone(), grants[1].clone()).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    let entries = h.audit().await.split_off(before);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0].action, "emergency_review");
    assert_eq!(entries[0].reason.as_deref(), Some("revoked"));
    assert_eq!(entries[0].patient_id.as_deref(), Some(b.as_str()));
    assert_eq!(read(b.clone()).await, StatusCode::FORBIDDEN);
    assert_eq!(
        revoke(co.clone(), grants[1].clone()).await.status,
        StatusCode::CONFLICT
    );
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_eq!(
        revoke(co.clone(), unknown).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(read(c.clone()).await, StatusCode::OK);

    // A grant the reviewer stopped (escalated, or ended early) is not reopened by its holder
    // with a new justification; a grant to another patient still opens.
    let step = h
        .call(
            "POST",
            "/api/v1/auth/step-up",
            Some(&assistant),
            Some(json!({"code": h.fresh_code(secret)})),
        )
        .await;
    assert_eq!(step.status, StatusCode::NO_CONTENT, "{}", step.text);
    let before = h.audit().await.len();
    for stopped in [&a, &b] {
        let again = open(stopped.clone()).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
        assert_eq!(again.json["code"], "refused");
        assert_eq!(read(stopped.clone()).await, StatusCode::FORBIDDEN);
    }
    let refusals = h.audit().await.split_off(before);
    assert!(
        refusals
            .iter()
            .filter(|e| e.action == "emergency_access" && e.outcome == "denied")
            .count()
            == 2,
        "{refusals:#?}"
    );
    let other = open(c.clone()).await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.text);
}
