//! The schedule's staff pages: the day (one column per operatory; also the home page of
//! everyone who may see the schedule), an appointment with its status buttons and move form,
//! booking from a patient's page, the ASAP list and a day sheet to print. Every read and
//! change goes through the schedule room, which authorizes and audits it; forms check the
//! CSRF token first.

mod grid;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use enamel_app::{App, AppError, DayFilter, DayView};
use enamel_domain::scheduling::{AppointmentStatus, ConfirmationChannel};
use enamel_domain::{Action, AppointmentId, Category, PatientId, PracticeDate, parse_iso_date};
use serde::Deserialize;

use grid::{Block, STEPS, block, grid, long_date};
pub(crate) use grid::{Cell, DayGrid};

use super::{Nav, Staff, page_error, render};

#[derive(Template)]
#[template(path = "schedule.html")]
struct SchedulePage {
    nav: Option<Nav>,
    flash: Option<String>,
    date: String,
    date_label: String,
    prev: String,
    next: String,
    today: String,
    step: i64,
    steps: &'static [i64],
    grid: DayGrid,
    grid_caption: String,
    problem: Option<String>,
    can_book: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DayQuery {
    date: Option<String>,
    step: Option<i64>,
}

/// (id, name) of the practice's appointment types, for naming them on blocks.
async fn type_names(app: &App, staff: &Staff) -> Result<Vec<(String, String)>, AppError> {
    Ok(app
        .schedule(&staff.actor)
        .appointment_types()
        .await?
        .into_iter()
        .map(|t| (t.id.to_string(), t.appointment_type.name))
        .collect())
}

/// The day's table for a page: one audited read of the day.
pub(crate) async fn day_grid(
    app: &App,
    staff: &Staff,
    date: PracticeDate,
    step: i64,
) -> Result<(DayView, DayGrid), AppError> {
    let day = app
        .schedule(&staff.actor)
        .day(date, DayFilter::default())
        .await?;
    let types = type_names(app, staff).await?;
    let now = enamel_domain::Instant::from_unix_ms(app.clock().now_ms());
    let table = grid(&day, step, now, &types);
    Ok((day, table))
}

/// `GET /schedule?date=YYYY-MM-DD&step=10`: one day of the schedule.
pub(crate) async fn day(
    State(app): State<App>,
    staff: Staff,
    Query(q): Query<DayQuery>,
) -> Response {
    let today = match app.practice_today(staff.actor.practice_id()).await {
        Ok(t) => t,
        Err(e) => return page_error(e),
    };
    let typed = q.date.as_deref().map(str::trim).filter(|d| !d.is_empty());
    let (date, problem) = match typed.map(parse_iso_date) {
        None => (today, None),
        Some(Some(d)) => (PracticeDate::new(d), None),
        Some(None) => (
            today,
            Some("That day is not a date; here is today.".to_string()),
        ),
    };
    let step = q.step.filter(|s| STEPS.contains(s)).unwrap_or(10);
    let (_, table) = match day_grid(&app, &staff, date, step).await {
        Ok(x) => x,
        Err(e) => return page_error(e),
    };
    let can_book = staff_may(&app, &staff, Action::Create).await;
    let shift = |days: i64| {
        date.date()
            .checked_add(time::Duration::days(days))
            .map(|d| PracticeDate::new(d).to_string())
            .unwrap_or_else(|| date.to_string())
    };
    render(&SchedulePage {
        date: date.to_string(),
        date_label: long_date(date),
        prev: shift(-1),
        next: shift(1),
        today: today.to_string(),
        step,
        steps: &STEPS,
        grid_caption: format!("Schedule of {}", long_date(date)),
        grid: table,
        problem,
        can_book,
        nav: Some(staff.nav),
        flash: None,
    })
}

/// Whether the matrix gives the person this action on the schedule (for showing forms only;
/// the room decides each request).
async fn staff_may(app: &App, staff: &Staff, action: Action) -> bool {
    app.policy(staff.actor.practice_id())
        .await
        .is_ok_and(|p| p.allows_any(staff.actor.roles(), Category::Schedule, action))
}

#[derive(Template)]
#[template(path = "schedule_list.html")]
struct ListPage {
    nav: Option<Nav>,
    flash: Option<String>,
    heading: String,
    back: String,
    empty: &'static str,
    rows: Vec<Block>,
}

/// `GET /schedule/print?date=`: the day as a list, in order of time, for the printer.
pub(crate) async fn day_sheet(
    State(app): State<App>,
    staff: Staff,
    Query(q): Query<DayQuery>,
) -> Response {
    let date = match q.date.as_deref().and_then(|d| parse_iso_date(d.trim())) {
        Some(d) => PracticeDate::new(d),
        None => match app.practice_today(staff.actor.practice_id()).await {
            Ok(t) => t,
            Err(e) => return page_error(e),
        },
    };
    let (day, _) = match day_grid(&app, &staff, date, 10).await {
        Ok(x) => x,
        Err(e) => return page_error(e),
    };
    let types = match type_names(&app, &staff).await {
        Ok(t) => t,
        Err(e) => return page_error(e),
    };
    let rows = day
        .appointments
        .iter()
        .filter(|a| a.status.holds_time())
        .map(|a| block(&day, a, &types))
        .collect();
    render(&ListPage {
        heading: format!("Day sheet, {}", long_date(date)),
        back: format!("/schedule?date={date}"),
        empty: "Nothing is booked that day.",
        rows,
        nav: Some(staff.nav),
        flash: None,
    })
}

/// `GET /schedule/asap`: appointments waiting for an earlier opening.
pub(crate) async fn asap(State(app): State<App>, staff: Staff) -> Response {
    let schedule = app.schedule(&staff.actor);
    let listed = async {
        let items = schedule.asap_list().await?;
        let types = type_names(&app, &staff).await?;
        let operatories = schedule.operatories().await?;
        let providers = schedule.providers().await?;
        let tz = app.practice_time(staff.actor.practice_id()).await?;
        Ok::<_, AppError>((items, types, operatories, providers, tz))
    };
    let (items, types, operatories, providers, tz) = match listed.await {
        Ok(x) => x,
        Err(e) => return page_error(e),
    };
    let rows = items
        .iter()
        .map(|a| {
            let day = DayView {
                date: tz.date_of(a.start),
                tz: tz.clone(),
                operatories: operatories.clone(),
                providers: providers.clone(),
                appointments: Vec::new(),
            };
            let mut b = block(&day, a, &types);
            b.time = format!("{} {}", tz.date_of(a.start), b.time);
            b
        })
        .collect();
    render(&ListPage {
        heading: "ASAP list".into(),
        back: "/schedule".into(),
        empty: "Nobody is waiting for an earlier opening.",
        rows,
        nav: Some(staff.nav),
        flash: None,
    })
}

pub(crate) mod forms;
pub(crate) use forms::{appointment, book, book_form, move_appointment, status};

/// `/schedule/appointments/{id}` of an appointment.
fn to_appointment(id: AppointmentId) -> Response {
    Redirect::to(&format!("/schedule/appointments/{id}")).into_response()
}

fn appointment_id(raw: &str) -> Result<AppointmentId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

fn patient_id(raw: &str) -> Result<PatientId, AppError> {
    raw.trim().parse().map_err(|_| AppError::NotFound)
}

/// The statuses a page offers after `from`, with a button's words.
fn next_steps(from: AppointmentStatus) -> Vec<(&'static str, &'static str)> {
    from.next()
        .iter()
        .map(|s| {
            let words = match s {
                AppointmentStatus::Scheduled => "Back to scheduled",
                AppointmentStatus::Confirmed => "Mark confirmed",
                AppointmentStatus::Arrived => "Check in (arrived)",
                AppointmentStatus::InChair => "Seat (in the chair)",
                AppointmentStatus::Complete => "Complete",
                AppointmentStatus::Broken => "Broken (no-show)",
                AppointmentStatus::Cancelled => "Cancel",
                AppointmentStatus::Asap => "Move to the ASAP list",
            };
            (s.as_str(), words)
        })
        .collect()
}

fn confirmation_channels() -> Vec<(&'static str, &'static str)> {
    ConfirmationChannel::ALL
        .iter()
        .map(|c| (c.as_str(), c.label()))
        .collect()
}
