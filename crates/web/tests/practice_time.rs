//! The practice's time zone through the API and the settings page: who may read and change
//! it, the step-up and the audit entry a change needs, and that "today" and the times on
//! pages follow it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Answer, Harness, START_MS};
use enamel_domain::Role;
use serde_json::json;
use time::macros::date;

/// 16:00 UTC on 1 December 2026: 11:00 in New York, already 01:00 on 2 December in Tokyo.
const DEC_1_1600_UTC: i64 = 1_796_140_800_000;

async fn at_dec_1(h: &Harness) {
    h.clock.advance_ms(DEC_1_1600_UTC - START_MS);
}

async fn put_zone(h: &Harness, token: &str, zone: &str) -> Answer {
    h.call(
        "PUT",
        "/api/v1/practice/time-zone",
        Some(token),
        Some(json!({ "time_zone": zone })),
    )
    .await
}

#[tokio::test]
async fn an_administrator_sets_the_zone_and_today_follows_it() {
    let h = Harness::new().await;
    at_dec_1(&h).await;
    let admin = h.login(Role::PracticeAdministrator).await;
    let me = h.account(Role::PracticeAdministrator).user_id.clone();

    let before = h
        .call("GET", "/api/v1/practice/time-zone", Some(&admin), None)
        .await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text);
    assert_eq!(before.json["time_zone"], "UTC");
    assert_eq!(before.json["today"], "2026-12-01");
    assert_eq!(before.json["utc_offset"], "+00:00");

    // The API takes a name exactly as the document lists it (the settings page forgives case).
    let loose = put_zone(&h, &admin, "asia/tokyo").await;
    assert_eq!(
        loose.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        loose.text
    );
    assert_eq!(loose.json["fields"][0]["field"], "time_zone");
    let set = put_zone(&h, &admin, "Asia/Tokyo").await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.json["time_zone"], "Asia/Tokyo");
    assert_eq!(set.json["today"], "2026-12-02");
    assert_eq!(set.json["utc_offset"], "+09:00");
    assert_eq!(set.json["abbreviation"], "JST");
    // The change applies at once on this server, not after the cache's time.
    assert_eq!(
        h.app.practice_today(h.practice).await.unwrap().date(),
        date!(2026 - 12 - 02)
    );

    let entry = h.audit().await.pop().unwrap();
    assert_eq!(entry.action, "update");
    assert_eq!(entry.outcome, "allowed");
    assert_eq!(entry.record_type.as_deref(), Some("practice_settings"));
    assert_eq!(entry.record_id, Some(h.practice.to_string()));
    assert_eq!(entry.actor_id.as_deref(), Some(me.as_str()));
    assert_eq!(entry.reason.as_deref(), Some("time_zone UTC -> Asia/Tokyo"));

    let ny = put_zone(&h, &admin, "America/New_York").await;
    assert_eq!(ny.json["today"], "2026-12-01");
    assert_eq!(ny.json["abbreviation"], "EST");
}

#[tokio::test]
async fn a_bad_zone_is_named_and_changes_nothing() {
    let h = Harness::new().await;
    let admin = h.login(Role::PracticeAdministrator).await;
    for bad in [
        "Mars/Olympus_Mons",
        "+05:00",
        "EST5EDT,M3.2.0,M11.1.0",
        "",
        "../../etc/passwd",
    ] {
        let before = h.audit().await.len();
        let a = put_zone(&h, &admin, bad).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            a.text
        );
        assert_eq!(a.json["fields"][0]["field"], "time_zone", "{}", a.text);
        assert!(
            !a.text.contains("Olympus"),
            "the value is not echoed: {}",
            a.text
        );
        assert_eq!(h.audit().await.len(), before, "nothing recorded as changed");
    }
    let wrong_shape = h
        .call(
            "PUT",
            "/api/v1/practice/time-zone",
            Some(&admin),
            Some(json!({ "time_zone": "UTC", "offset": 5 })),
        )
        .await;
    assert_eq!(wrong_shape.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(h.app.practice_time(h.practice).await.unwrap().name(), "UTC");
}

#[tokio::test]
async fn only_practice_settings_editors_change_it_and_only_with_a_fresh_code() {
    let h = Harness::new().await;
    for role in [Role::FrontDesk, Role::Dentist, Role::Billing] {
        let token = h.login(role).await;
        let me = h.account(role).user_id.clone();
        let a = put_zone(&h, &token, "Asia/Tokyo").await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{role:?}: {}", a.text);
        assert_eq!(a.json["code"], "forbidden");
        let denial = h.audit().await.pop().unwrap();
        assert_eq!(denial.outcome, "denied");
        assert_eq!(denial.actor_id.as_deref(), Some(me.as_str()));
        assert_eq!(denial.record_type.as_deref(), Some("practice_settings"));
    }

    let admin = h.login(Role::PracticeAdministrator).await;
    h.clock.advance_ms(6 * 60 * 1000);
    let stale = put_zone(&h, &admin, "Asia/Tokyo").await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    assert_eq!(stale.json["code"], "step_up_required");
    assert_eq!(h.app.practice_time(h.practice).await.unwrap().name(), "UTC");
}

/// A browser session (cookie and anti-forgery token), signed in through the pages.
struct Browser {
    cookie: String,
    csrf: String,
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let v: String = v
                .bytes()
                .map(|b| match b {
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn cookie_of(a: &Answer, name: &str) -> String {
    a.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_string()
}

impl Browser {
    async fn sign_in(h: &Harness, role: Role) -> Browser {
        let a = h.account(role);
        let form_type = ("content-type", "application/x-www-form-urlencoded");
        let one = h
            .call_with(
                "POST",
                "/sign-in",
                None,
                Some(form(&[
                    ("username", &a.username),
                    ("password", &a.password),
                ])),
                &[form_type],
            )
            .await;
        let pending = format!(
            "__Host-enamel_pending={}",
            cookie_of(&one, "__Host-enamel_pending")
        );
        let code = h.fresh_code(&a.secret);
        let two = h
            .call_with(
                "POST",
                "/sign-in/code",
                None,
                Some(form(&[("code", &code)])),
                &[form_type, ("cookie", &pending)],
            )
            .await;
        let cookie = format!(
            "__Host-enamel_session={}",
            cookie_of(&two, "__Host-enamel_session")
        );
        let mut b = Browser {
            cookie,
            csrf: String::new(),
        };
        let home = b.get(h, "/").await;
        let marker = "name=\"csrf\" value=\"";
        let start = home.text.find(marker).unwrap() + marker.len();
        let end = start + home.text[start..].find('"').unwrap();
        b.csrf = home.text[start..end].to_string();
        b
    }

    async fn get(&self, h: &Harness, path: &str) -> Answer {
        h.call_with("GET", path, None, None, &[("cookie", &self.cookie)])
            .await
    }

    async fn post(&self, h: &Harness, path: &str, pairs: &[(&str, &str)]) -> Answer {
        let request = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &self.cookie)
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(form(pairs)))
            .unwrap();
        h.send(request).await
    }
}

#[tokio::test]
async fn the_settings_page_changes_the_zone_and_pages_show_times_on_its_clock() {
    let h = Harness::new().await;
    at_dec_1(&h).await;
    let admin = Browser::sign_in(&h, Role::PracticeAdministrator).await;
    let page = admin.get(&h, "/admin/settings").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text
            .contains("<strong id=\"current-zone\">UTC</strong>")
    );
    assert!(page.text.contains("<option value=\"America/New_York\">"));

    let saved = admin
        .post(
            &h,
            "/admin/settings",
            &[("csrf", &admin.csrf), ("time_zone", "America/New_York")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert!(
        saved
            .text
            .contains("<strong id=\"current-zone\">America/New_York</strong>")
    );
    assert!(saved.text.contains("2026-12-01 11:"), "{}", saved.text);
    assert!(saved.text.contains(" EST"), "{}", saved.text);

    let refused = admin
        .post(
            &h,
            "/admin/settings",
            &[("csrf", &admin.csrf), ("time_zone", "Nowhere/At_All")],
        )
        .await;
    assert!(refused.text.contains("IANA"), "{}", refused.text);
    assert!(
        refused
            .text
            .contains("<strong id=\"current-zone\">America/New_York</strong>")
    );

    let forged = admin
        .post(
            &h,
            "/admin/settings",
            &[("csrf", "forged"), ("time_zone", "UTC")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Ten hours on it is 02:0x UTC on 2 December, still 21:0x on 1 December in New York.
    h.clock.advance_ms(10 * 3_600_000);
    let officer = Browser::sign_in(&h, Role::ComplianceOfficer).await;
    // The audit log page shows its times on the practice's clock and says which zone...
    let log = officer.get(&h, "/compliance/audit").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.text.contains("Time (America/New_York)"), "{}", log.text);
    assert!(log.text.contains("2026-12-01 21:"), "{}", log.text);
    assert!(log.text.contains(" EST</td>"), "{}", log.text);
    assert!(!log.text.contains(" UTC</td>"), "{}", log.text);
    // ...and a date filter means the practice's day, not the UTC one.
    let day = officer
        .get(&h, "/compliance/audit?from=2026-12-01&to=2026-12-01")
        .await;
    assert!(day.text.contains("2026-12-01 21:"), "{}", day.text);
    let next_day = officer.get(&h, "/compliance/audit?from=2026-12-02").await;
    assert!(
        !next_day.text.contains("2026-12-01 21:"),
        "{}",
        next_day.text
    );

    // Someone without practice settings sees neither the link nor the page.
    let desk = Browser::sign_in(&h, Role::FrontDesk).await;
    let home = desk.get(&h, "/").await;
    assert!(!home.text.contains("/admin/settings"));
    assert_eq!(
        desk.get(&h, "/admin/settings").await.status,
        StatusCode::FORBIDDEN
    );
}
