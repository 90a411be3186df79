//! Practice settings: the practice's time zone. Reading needs practice settings (view),
//! changing it practice settings (edit) and a fresh second factor; the person goes through
//! the step-up page and back when it is missing.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use enamel_app::{App, AppError};
use enamel_domain::{Instant, PracticeTz};
use serde::Deserialize;

use super::{Nav, Staff, csrf_refusal, page_error, render};

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    zone: String,
    /// The practice's clock now, so the person can check the zone is right.
    now: String,
    names: &'static [String],
    error: Option<String>,
}

async fn settings_page(
    app: &App,
    staff: Staff,
    flash: Option<String>,
    error: Option<String>,
) -> Response {
    let tz = match app.practice_time_zone_setting(&staff.actor).await {
        Ok(tz) => tz,
        Err(e) => return page_error(e),
    };
    let now = tz
        .local(Instant::from_unix_ms(app.clock().now_ms()))
        .to_minute_string();
    render(&SettingsPage {
        csrf: staff.nav.csrf.clone(),
        nav: Some(staff.nav),
        flash,
        zone: tz.name().to_string(),
        now,
        names: PracticeTz::offered_names(),
        error,
    })
}

pub(crate) async fn form(State(app): State<App>, staff: Staff) -> Response {
    settings_page(&app, staff, None, None).await
}

#[derive(Deserialize)]
pub(crate) struct TimeZoneForm {
    csrf: String,
    time_zone: String,
}

pub(crate) async fn set_time_zone(
    State(app): State<App>,
    staff: Staff,
    Form(f): Form<TimeZoneForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    match app.set_practice_time_zone(&staff.actor, &f.time_zone).await {
        Ok(tz) => {
            // The layout read the old zone before the change; show the page in the new one.
            let mut staff = staff;
            staff.nav.time_zone = tz.clone();
            let done = format!("The practice's time zone is now {}.", tz.name());
            settings_page(&app, staff, Some(done), None).await
        }
        Err(AppError::StepUpRequired) => {
            Redirect::to("/step-up?next=/admin/settings").into_response()
        }
        Err(AppError::Invalid(problems)) => {
            let text = problems
                .iter()
                .map(|p| p.problem.as_ref())
                .collect::<Vec<_>>()
                .join(" ");
            settings_page(&app, staff, None, Some(text)).await
        }
        Err(e) => page_error(e),
    }
}
