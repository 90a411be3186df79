//! Revocation takes effect on the next request even while requests pour in: the speed-ups of
//! issue #13 (one statement for the session and its roles, one idle-clock write per session
//! however many requests arrive together) must never turn into a session that outlives its
//! sign-out, on any request that starts after the sign-out answered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::http::StatusCode;
use common::Harness;
use enamel_domain::Role;
use enamel_web::WebSettings;

/// Readers that loop until told to stop; each records whether the sign-out had answered
/// before its request started, and the status it got.
fn readers(
    h: &Arc<Harness>,
    token: &str,
    path: &str,
    signed_out: &Arc<AtomicBool>,
    stop: &Arc<AtomicBool>,
    done: &Arc<AtomicUsize>,
) -> Vec<tokio::task::JoinHandle<Vec<(bool, StatusCode)>>> {
    (0..8)
        .map(|_| {
            let (h, token, path) = (h.clone(), token.to_string(), path.to_string());
            let (signed_out, stop, done) = (signed_out.clone(), stop.clone(), done.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let after = signed_out.load(Ordering::SeqCst);
                    let answer = h.call("GET", &path, Some(&token), None).await;
                    seen.push((after, answer.status));
                    done.fetch_add(1, Ordering::SeqCst);
                }
                seen
            })
        })
        .collect()
}

async fn wait_for(done: &AtomicUsize, at_least: usize) {
    while done.load(Ordering::SeqCst) < at_least {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_out_session_is_refused_on_every_request_that_starts_after_the_sign_out() {
    // The per-address limit would answer 429 to this many requests from one test.
    let web = WebSettings {
        api_rate_per_ip: (1_000_000, 1_000_000),
        ..WebSettings::default()
    };
    let h = Arc::new(Harness::with(common::test_settings(), web).await);
    let patient = h.patient().await;
    let path = format!("/api/v1/patients/{patient}");
    let leaving = h.login(Role::FrontDesk).await;
    let staying = h.login(Role::Dentist).await;

    let signed_out = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let (done_leaving, done_staying) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut tasks = readers(&h, &leaving, &path, &signed_out, &stop, &done_leaving);
    let others = readers(&h, &staying, &path, &signed_out, &stop, &done_staying);

    wait_for(&done_leaving, 100).await;
    let out = h
        .call("POST", "/api/v1/auth/logout", Some(&leaving), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.text);
    signed_out.store(true, Ordering::SeqCst);
    let at_sign_out = done_leaving.load(Ordering::SeqCst);
    wait_for(&done_leaving, at_sign_out + 100).await;
    wait_for(&done_staying, 200).await;
    stop.store(true, Ordering::SeqCst);

    let mut before_ok = 0;
    let mut after = 0;
    for task in tasks.drain(..) {
        for (started_after, status) in task.await.unwrap() {
            if started_after {
                assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "a request that started after the sign-out answered was let in"
                );
                after += 1;
            } else if status == StatusCode::OK {
                before_ok += 1;
            }
        }
    }
    assert!(before_ok >= 50, "the session worked before: {before_ok}");
    assert!(after >= 100, "requests after the sign-out: {after}");
    // The other session, read all along, is untouched by this one's sign-out.
    for task in others {
        for (_, status) in task.await.unwrap() {
            assert_eq!(status, StatusCode::OK);
        }
    }
}
