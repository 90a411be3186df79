//! The start page, step-up, and the person's own sessions.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use enamel_app::{App, AppError};
use enamel_domain::{Action, AuditAction, Category};
use serde::Deserialize;

use super::schedule::Cell;
use super::signin::{CodePage, CsrfForm};
use super::{Nav, Staff, cookie_header, csrf_refusal, page_error, render};
use crate::SESSION_COOKIE;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    nav: Option<Nav>,
    flash: Option<String>,
    display_name: String,
    roles: String,
    idle_minutes: i64,
    permissions: Vec<(String, String)>,
    /// Today's schedule, for everyone who may see it: the front desk's home.
    grid: Option<super::schedule::DayGrid>,
    grid_caption: String,
}

pub(crate) async fn home(State(app): State<App>, staff: Staff) -> Response {
    let policy = match app.policy(staff.actor.practice_id()).await {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let roles = staff.actor.roles();
    let permissions = Category::ALL
        .iter()
        .filter_map(|c| {
            let allowed: Vec<&str> = Action::ALL
                .iter()
                .filter(|a| policy.allows_any(roles, *c, **a))
                .map(|a| a.label())
                .collect();
            (!allowed.is_empty()).then(|| (c.label().to_string(), allowed.join(", ")))
        })
        .collect();
    let grid = if staff.nav.can_schedule {
        let today = match app.practice_today(staff.actor.practice_id()).await {
            Ok(t) => t,
            Err(e) => return page_error(e),
        };
        match super::schedule::day_grid(&app, &staff, today, 10).await {
            Ok((_, grid)) => Some(grid),
            Err(e) => return page_error(e),
        }
    } else {
        None
    };
    render(&HomePage {
        grid,
        grid_caption: "Today's schedule".into(),
        display_name: staff.actor.display_name().to_string(),
        roles: roles
            .iter()
            .map(|r| r.label())
            .collect::<Vec<_>>()
            .join(", "),
        idle_minutes: (staff.nav.idle_seconds / 60).max(1),
        nav: Some(staff.nav),
        flash: None,
        permissions,
    })
}

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

/// Only our own paths: a `next` pointing elsewhere would be an open redirect. Browsers drop
/// tabs and line breaks from a `Location` and read `\\` as `/`, so `/\t/evil.example` or
/// `/\\evil.example` would leave the site: the path may hold only the characters our own
/// routes use, and may not begin with two slashes.
fn safe_next(next: Option<&str>) -> String {
    let ours = |n: &str| {
        n.starts_with('/')
            && !n.starts_with("//")
            && n.len() <= 512
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/-_.~?=&%".contains(&b))
    };
    match next {
        Some(n) if ours(n) => n.into(),
        _ => "/".into(),
    }
}

pub(crate) async fn step_up_form(staff: Staff, Query(q): Query<NextQuery>) -> Response {
    render(&CodePage {
        csrf: Some(staff.nav.csrf.clone()),
        nav: Some(staff.nav),
        flash: None,
        heading: "Confirm it is you".into(),
        explanation:
            "Changes to users, roles and settings need a fresh code from your authenticator app."
                .into(),
        error: None,
        action: "/step-up".into(),
        next: safe_next(q.next.as_deref()),
        demo: false,
    })
}

#[derive(Deserialize)]
pub(crate) struct StepUpForm {
    csrf: String,
    code: String,
    next: Option<String>,
}

pub(crate) async fn step_up_submit(
    State(app): State<App>,
    staff: Staff,
    Form(f): Form<StepUpForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    match app.step_up(&staff.actor, &f.code).await {
        Ok(()) => Redirect::to(&safe_next(f.next.as_deref())).into_response(),
        Err(AppError::SecondFactorFailed) => {
            let mut r = render(&CodePage {
                csrf: Some(staff.nav.csrf.clone()),
                nav: Some(staff.nav),
                flash: None,
                heading: "Confirm it is you".into(),
                explanation: "Changes to users, roles and settings need a fresh code from your authenticator app.".into(),
                error: Some("That code is not right. Enter the code your app shows now.".into()),
                action: "/step-up".into(),
                next: safe_next(f.next.as_deref()),
                demo: false,
            });
            *r.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            r
        }
        Err(e) => page_error(e),
    }
}

struct SessionRow {
    id: String,
    kind: &'static str,
    created: String,
    last_seen: String,
    ip: String,
    agent: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    sessions: Vec<SessionRow>,
    problems: Vec<String>,
}

pub(crate) async fn sessions(State(app): State<App>, staff: Staff) -> Response {
    let list = match app.my_sessions(&staff.actor).await {
        Ok(l) => l,
        Err(e) => return page_error(e),
    };
    let problems = match app.my_sign_in_problems(&staff.actor).await {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let sessions = list
        .into_iter()
        .map(|s| SessionRow {
            kind: match s.kind {
                enamel_app::SessionKind::Web => "Browser",
                enamel_app::SessionKind::Api => "API client",
            },
            created: staff.nav.when(s.created_ms),
            last_seen: staff.nav.when(s.last_seen_ms),
            ip: s.client_ip.unwrap_or_default(),
            agent: s.user_agent.unwrap_or_default().chars().take(80).collect(),
            current: s.current,
            id: s.id,
        })
        .collect();
    let zone = staff.nav.time_zone.clone();
    render(&SessionsPage {
        csrf: staff.nav.csrf.clone(),
        nav: Some(staff.nav),
        flash: None,
        sessions,
        problems: problems
            .into_iter()
            .map(|(ms, action)| {
                let what = match action {
                    AuditAction::AccountLocked => "sign-in was locked after repeated failures",
                    AuditAction::MfaFailed => "a wrong authenticator code was entered",
                    _ => "a wrong password was entered",
                };
                format!("{}: {what}", super::when_in(&zone, ms))
            })
            .collect(),
    })
}

pub(crate) async fn revoke(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    match app.revoke_my_session(&staff.actor, &id).await {
        Ok(()) => Redirect::to("/account/sessions").into_response(),
        Err(e) => page_error(e),
    }
}

pub(crate) async fn everywhere(
    State(app): State<App>,
    staff: Staff,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    if let Err(e) = app.sign_out_everywhere(&staff.actor).await {
        return page_error(e);
    }
    let mut response = Redirect::to("/sign-in?reason=signed-out").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, cookie_header(SESSION_COOKIE, "", 0));
    response
}
