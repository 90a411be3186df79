//! Break-glass for clinicians; the review queue and the audit-log viewer for the compliance
//! officer.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use enamel_app::auth::EmergencyDecision;
use enamel_app::{App, AppError};
use enamel_domain::{AuditAction, PatientId};
use serde::Deserialize;

use super::{Nav, Staff, csrf_refusal, page_error, query_string, render};
use crate::api::audit::{EventsQuery, filter_from};

#[derive(Template)]
#[template(path = "emergency.html")]
struct EmergencyPage {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    minutes: u64,
    error: Option<String>,
    done: Option<String>,
}

fn emergency_page(
    app: &App,
    staff: Staff,
    error: Option<String>,
    done: Option<String>,
) -> Response {
    render(&EmergencyPage {
        csrf: staff.nav.csrf.clone(),
        nav: Some(staff.nav),
        flash: None,
        minutes: app.auth_settings().emergency_window.as_secs() / 60,
        error,
        done,
    })
}

pub(crate) async fn emergency_form(State(app): State<App>, staff: Staff) -> Response {
    emergency_page(&app, staff, None, None)
}

#[derive(Deserialize)]
pub(crate) struct EmergencyForm {
    csrf: String,
    patient_id: String,
    justification: String,
}

pub(crate) async fn emergency_submit(
    State(app): State<App>,
    staff: Staff,
    Form(f): Form<EmergencyForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let Ok(patient) = f.patient_id.trim().parse::<PatientId>() else {
        return emergency_page(&app, staff, Some("This is not a patient id.".into()), None);
    };
    match app
        .open_emergency_access(&staff.actor, patient, &f.justification)
        .await
    {
        Ok(grant) => {
            let done = format!(
                "Emergency access is open for patient {} until {}. Every access is recorded and will be reviewed.",
                grant.patient_id,
                staff.nav.when(grant.expires_ms)
            );
            emergency_page(&app, staff, None, Some(done))
        }
        Err(AppError::Invalid(problems)) => {
            let text = problems
                .iter()
                .map(|p| p.problem.as_ref())
                .collect::<Vec<_>>()
                .join(" ");
            let mut r = emergency_page(&app, staff, Some(text), None);
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
        Err(AppError::NotFound) => emergency_page(
            &app,
            staff,
            Some("No patient has this id in this practice.".into()),
            None,
        ),
        // Confirm the second factor first, then come back to this form.
        Err(AppError::StepUpRequired) => Redirect::to("/step-up?next=/emergency").into_response(),
        Err(e) => page_error(e),
    }
}

struct ReviewItem {
    id: String,
    user_id: String,
    patient_id: String,
    justification: String,
    created: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "reviews.html")]
struct ReviewsPage {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    items: Vec<ReviewItem>,
}

pub(crate) async fn reviews(State(app): State<App>, staff: Staff) -> Response {
    let items = match app
        .emergency_reviews(&staff.actor, true, None, enamel_app::auth::MAX_REVIEW_PAGE)
        .await
    {
        Ok(i) => i,
        Err(e) => return page_error(e),
    };
    let items = items
        .into_iter()
        .map(|i| ReviewItem {
            justification: i.justification.to_string(),
            created: staff.nav.when(i.created_ms),
            expires: staff.nav.when(i.expires_ms),
            id: i.id,
            user_id: i.user_id,
            patient_id: i.patient_id,
        })
        .collect();
    render(&ReviewsPage {
        csrf: staff.nav.csrf.clone(),
        nav: Some(staff.nav),
        flash: None,
        items,
    })
}

#[derive(Deserialize)]
pub(crate) struct ReviewForm {
    csrf: String,
    decision: String,
}

pub(crate) async fn review(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<ReviewForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let done = if f.decision == "revoked" {
        app.revoke_emergency_access(&staff.actor, &id).await
    } else {
        let Some(decision) = EmergencyDecision::parse(&f.decision) else {
            return page_error(AppError::NotFound);
        };
        app.review_emergency_access(&staff.actor, &id, decision)
            .await
    };
    match done {
        Ok(()) => Redirect::to("/compliance/emergency").into_response(),
        Err(e) => page_error(e),
    }
}

struct EventRow {
    seq: u64,
    time: String,
    user: String,
    role: String,
    action: String,
    outcome: String,
    record: String,
    patient: String,
    via: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPageView {
    nav: Option<Nav>,
    flash: Option<String>,
    error: Option<String>,
    events: Vec<EventRow>,
    /// The practice's zone name, for the time column's heading.
    zone: String,
    next: Option<i64>,
    query: String,
    f_user: String,
    f_patient: String,
    f_action: String,
    f_from: String,
    f_to: String,
    action_options: Vec<&'static str>,
}

#[derive(Deserialize, Default)]
pub(crate) struct AuditForm {
    user: Option<String>,
    patient: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<i64>,
}

/// The filter part of the query string, re-encoded (for the export link and paging).
fn encode_filters(f: &AuditForm) -> String {
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let (user, patient, action, from, to) = (
        value(&f.user),
        value(&f.patient),
        value(&f.action),
        value(&f.from),
        value(&f.to),
    );
    query_string(&[
        ("user", &user),
        ("patient", &patient),
        ("action", &action),
        ("from", &from),
        ("to", &to),
    ])
}

pub(crate) async fn audit(
    State(app): State<App>,
    staff: Staff,
    Query(f): Query<AuditForm>,
    RawQuery(_): RawQuery,
) -> Response {
    let q = EventsQuery::from_parts(
        f.user.clone(),
        f.patient.clone(),
        f.action.clone(),
        f.from.clone(),
        f.to.clone(),
        f.after,
    );
    let (events, next, error) =
        match filter_from(q, (100, enamel_app::MAX_AUDIT_PAGE), &staff.nav.time_zone) {
            Ok(filter) => match app.audit_events(&staff.actor, &filter).await {
                Ok(page) => (page.entries, page.next_after, None),
                Err(e) => return page_error(e),
            },
            Err(e) => (
                Vec::new(),
                None,
                Some(match e.0 {
                    AppError::Invalid(p) => p
                        .iter()
                        .map(|p| p.problem.as_ref())
                        .collect::<Vec<_>>()
                        .join(" "),
                    _ => "The filter could not be used.".into(),
                }),
            ),
        };
    let zone = staff.nav.time_zone.name().to_string();
    let events = events
        .into_iter()
        .map(|e| EventRow {
            seq: e.seq,
            time: staff.nav.when(e.time_ms),
            user: e.actor_id.unwrap_or_default(),
            role: e.actor_role.unwrap_or_default(),
            action: e.action,
            outcome: e.outcome,
            record: match (e.record_type, e.record_id) {
                (Some(t), Some(i)) => format!("{t} {i}"),
                (Some(t), None) => t,
                _ => String::new(),
            },
            patient: e.patient_id.unwrap_or_default(),
            via: e.access_method,
            reason: e.reason.unwrap_or_default(),
        })
        .collect();
    render(&AuditPageView {
        nav: Some(staff.nav),
        flash: None,
        error,
        events,
        zone,
        next,
        query: encode_filters(&f),
        f_user: f.user.clone().unwrap_or_default(),
        f_patient: f.patient.clone().unwrap_or_default(),
        f_action: f.action.clone().unwrap_or_default(),
        f_from: f.from.clone().unwrap_or_default(),
        f_to: f.to.clone().unwrap_or_default(),
        action_options: AuditAction::ALL.iter().map(|a| a.as_str()).collect(),
    })
}
