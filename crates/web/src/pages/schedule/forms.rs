//! The schedule's forms: an appointment's page (status buttons, the move form), and booking
//! from a patient's page. A refusal (a clash, a time the clocks skip, a status that cannot
//! follow) is shown on the same page, in the room's words, with what was typed kept.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use enamel_app::{App, AppError, AppointmentClaims, AppointmentView, DayView, Expected};
use enamel_domain::scheduling::{AppointmentDraft, AppointmentStatus, ConfirmationChannel};
use enamel_domain::{Action, FieldProblem, PatientId};
use serde::Deserialize;

use super::grid::{Block, block, long_date};
use super::{
    appointment_id, confirmation_channels, next_steps, patient_id, staff_may, to_appointment,
    type_names,
};
use crate::pages::{Nav, Staff, csrf_refusal, page_error, render};

/// What the move and booking forms send.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SlotForm {
    pub csrf: String,
    pub version: i64,
    pub patient_id: String,
    pub date: String,
    pub time: String,
    pub operatory_id: String,
    pub provider_id: String,
    pub appointment_type_id: String,
    pub duration_min: String,
    pub pattern: String,
    pub note: String,
    /// "Book anyway": the warnings shown were read.
    pub acknowledge: String,
}

redacted_debug!(SlotForm);

impl SlotForm {
    /// The room's draft; a field the browser could not have sent well is left for the room
    /// to name.
    fn draft(&self) -> AppointmentDraft {
        let blank = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        AppointmentDraft {
            patient_id: self.patient_id.clone(),
            operatory_id: self.operatory_id.clone(),
            provider_id: self.provider_id.clone(),
            hygienist_id: None,
            appointment_type_id: blank(&self.appointment_type_id),
            start: format!("{}T{}", self.date.trim(), self.time.trim()),
            duration_min: blank(&self.duration_min).map(|m| m.parse().unwrap_or(-1)),
            pattern: blank(&self.pattern),
            note: blank(&self.note),
            acknowledge_warnings: !self.acknowledge.is_empty(),
        }
    }
}

/// The sentences of a refusal, for the top of a form.
fn sentences(e: &AppError) -> Option<Vec<String>> {
    let label = |field: &str| match field {
        "start" => "Day and time",
        "operatory_id" => "Operatory",
        "provider_id" => "Provider",
        "hygienist_id" => "Hygienist",
        "appointment_type_id" => "Type",
        "duration_min" => "Minutes",
        "pattern" => "Time pattern",
        "note" => "Note",
        "patient_id" => "Patient",
        _ => "The appointment",
    };
    match e {
        AppError::Invalid(problems) => Some(
            problems
                .iter()
                .map(|p: &FieldProblem| format!("{}: {}", label(&p.field), p.problem))
                .collect(),
        ),
        AppError::ScheduleConflict(c) => Some(vec![c.message.clone()]),
        AppError::ScheduleWarning(sentences) => Some(sentences.clone()),
        AppError::Refused(why) => Some(vec![why.clone()]),
        AppError::Conflict => Some(vec![
            "Someone else changed this appointment meanwhile. Nothing was saved; here it is as it is now.".into(),
        ]),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "appointment.html")]
struct AppointmentPage {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    block: Block,
    date: String,
    date_label: String,
    provider: String,
    pattern: String,
    stamps: Vec<(&'static str, String)>,
    note: Option<String>,
    patient_link: Option<String>,
    problem: Option<String>,
    /// The move was warned about: offer to move it anyway.
    warned: bool,
    can_edit: bool,
    next: Vec<(&'static str, &'static str)>,
    vias: Vec<(&'static str, &'static str)>,
    holds_time: bool,
    version: i64,
    form: SlotForm,
    operatories: Vec<(String, String)>,
    providers: Vec<(String, String)>,
}

/// `GET /schedule/appointments/{id}`.
pub(crate) async fn appointment(
    State(app): State<App>,
    staff: Staff,
    Path(raw): Path<String>,
) -> Response {
    let id = match appointment_id(&raw) {
        Ok(id) => id,
        Err(e) => return page_error(e),
    };
    match app.schedule(&staff.actor).read(id).await {
        Ok(view) => show(&app, staff, &view, None, None, StatusCode::OK).await,
        Err(e) => page_error(e),
    }
}

/// The appointment's page; `typed` keeps a refused move's fields.
async fn show(
    app: &App,
    staff: Staff,
    view: &AppointmentView,
    typed: Option<SlotForm>,
    refusal: Option<&AppError>,
    status: StatusCode,
) -> Response {
    let problem = refusal.and_then(sentences).map(|words| words.join(" "));
    // Only a warning can be overridden (a clash cannot).
    let warned = matches!(refusal, Some(AppError::ScheduleWarning(_)));
    let schedule = app.schedule(&staff.actor);
    let loaded = async {
        let tz = app.practice_time(staff.actor.practice_id()).await?;
        let types = type_names(app, &staff).await?;
        Ok::<_, AppError>((
            tz,
            types,
            schedule.operatories().await?,
            schedule.providers().await?,
        ))
    };
    let (tz, types, operatories, providers) = match loaded.await {
        Ok(x) => x,
        Err(e) => return page_error(e),
    };
    let date = tz.date_of(view.start);
    let day = DayView {
        date,
        tz: tz.clone(),
        operatories: operatories.clone(),
        providers: providers.clone(),
        appointments: Vec::new(),
    };
    let local = tz.local(view.start).time();
    let form = typed.unwrap_or_else(|| SlotForm {
        date: date.to_string(),
        time: format!("{:02}:{:02}", local.hour(), local.minute()),
        operatory_id: view.operatory_id.to_string(),
        provider_id: view.provider_id.to_string(),
        pattern: view.pattern.as_str().to_string(),
        note: view.note.clone().unwrap_or_default(),
        ..SlotForm::default()
    });
    let stamps = [
        ("Confirmed", view.stamps.confirmed_ms),
        ("Arrived", view.stamps.arrived_ms),
        ("Seated", view.stamps.seated_ms),
        ("Dismissed", view.stamps.dismissed_ms),
    ]
    .into_iter()
    .filter_map(|(label, ms)| ms.map(|ms| (label, staff.nav.when(ms))))
    .collect();
    let provider = providers
        .iter()
        .find(|p| p.id == view.provider_id)
        .map(|p| {
            format!(
                "{} {} ({})",
                p.provider.given_name, p.provider.family_name, p.provider.abbreviation
            )
        })
        .unwrap_or_default();
    let can_edit = staff_may(app, &staff, Action::Edit).await;
    let page = AppointmentPage {
        csrf: staff.nav.csrf.clone(),
        block: block(&day, view, &types),
        date: date.to_string(),
        date_label: long_date(date),
        provider,
        pattern: view.pattern.as_str().to_string(),
        stamps,
        note: view.note.clone(),
        patient_link: view
            .patient
            .as_ref()
            .map(|_| format!("/patients/{}", view.patient_id)),
        problem,
        warned,
        can_edit,
        next: next_steps(view.status),
        vias: confirmation_channels(),
        holds_time: view.status.holds_time(),
        version: view.stamp.row_version,
        form,
        operatories: operatories
            .iter()
            .filter(|o| !o.operatory.hidden)
            .map(|o| (o.id.to_string(), o.operatory.name.clone()))
            .collect(),
        providers: providers
            .iter()
            .map(|p| {
                (
                    p.id.to_string(),
                    format!(
                        "{} {} ({})",
                        p.provider.given_name, p.provider.family_name, p.provider.abbreviation
                    ),
                )
            })
            .collect(),
        nav: Some(staff.nav),
        flash: None,
    };
    let mut response = render(&page);
    *response.status_mut() = status;
    response
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct StatusForm {
    csrf: String,
    version: i64,
    status: String,
    via: String,
}

redacted_debug!(StatusForm);

/// `POST /schedule/appointments/{id}/status`.
pub(crate) async fn status(
    State(app): State<App>,
    staff: Staff,
    Path(raw): Path<String>,
    Form(f): Form<StatusForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let id = match appointment_id(&raw) {
        Ok(id) => id,
        Err(e) => return page_error(e),
    };
    let Some(to) = AppointmentStatus::parse(f.status.trim()) else {
        return page_error(AppError::Invalid(vec![FieldProblem::new(
            "status",
            "is not a status",
        )]));
    };
    let via =
        ConfirmationChannel::parse(f.via.trim()).filter(|_| to == AppointmentStatus::Confirmed);
    let schedule = app.schedule(&staff.actor);
    match schedule
        .set_status(id, to, via, Expected::Version(f.version))
        .await
    {
        Ok(_) => to_appointment(id),
        Err(e) => match sentences(&e) {
            Some(_) => match schedule.read(id).await {
                Ok(view) => show(&app, staff, &view, None, Some(&e), StatusCode::CONFLICT).await,
                Err(e) => page_error(e),
            },
            None => page_error(e),
        },
    }
}

/// `POST /schedule/appointments/{id}/move`: a new day, time, operatory, provider, pattern or
/// note, with the same conflict check as any booking.
pub(crate) async fn move_appointment(
    State(app): State<App>,
    staff: Staff,
    Path(raw): Path<String>,
    Form(mut f): Form<SlotForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let id = match appointment_id(&raw) {
        Ok(id) => id,
        Err(e) => return page_error(e),
    };
    let schedule = app.schedule(&staff.actor);
    // The patient and the type stay as they are: the form changes where and when.
    let current = match schedule.read(id).await {
        Ok(v) => v,
        Err(e) => return page_error(e),
    };
    f.patient_id = current.patient_id.to_string();
    f.appointment_type_id = current
        .appointment_type_id
        .map(|t| t.to_string())
        .unwrap_or_default();
    let mut draft = f.draft();
    draft.hygienist_id = current.hygienist_id.map(|h| h.to_string());
    let result = schedule
        .replace(
            id,
            &draft,
            Expected::Version(f.version),
            &AppointmentClaims::default(),
        )
        .await;
    match result {
        Ok(view) => Redirect::to(&format!(
            "/schedule?date={}",
            app.practice_time(staff.actor.practice_id())
                .await
                .map(|tz| tz.date_of(view.start).to_string())
                .unwrap_or_default()
        ))
        .into_response(),
        Err(e) => match sentences(&e) {
            Some(_) => {
                let status = if matches!(e, AppError::Invalid(_)) {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    StatusCode::CONFLICT
                };
                show(&app, staff, &current, Some(f), Some(&e), status).await
            }
            None => page_error(e),
        },
    }
}

#[derive(Template)]
#[template(path = "book.html")]
struct BookPage {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    patient_name: String,
    time_zone: String,
    problems: Vec<String>,
    /// The booking was warned about: offer to book it anyway.
    warned: bool,
    form: SlotForm,
    operatories: Vec<(String, String)>,
    providers: Vec<(String, String)>,
    types: Vec<(String, String)>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct BookQuery {
    patient: String,
    date: String,
    time: String,
    operatory: String,
}

redacted_debug!(BookQuery);

/// `GET /schedule/book?patient=ID`: the booking form for one patient (from their page).
pub(crate) async fn book_form(
    State(app): State<App>,
    staff: Staff,
    Query(q): Query<BookQuery>,
) -> Response {
    let patient = match patient_id(&q.patient) {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let form = SlotForm {
        patient_id: patient.to_string(),
        date: q.date,
        time: q.time,
        operatory_id: q.operatory,
        ..SlotForm::default()
    };
    booking_page(
        &app,
        staff,
        patient,
        form,
        Vec::new(),
        false,
        StatusCode::OK,
    )
    .await
}

/// `POST /schedule/book`.
pub(crate) async fn book(
    State(app): State<App>,
    staff: Staff,
    Form(f): Form<SlotForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let patient = match patient_id(&f.patient_id) {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    match app.schedule(&staff.actor).book(&f.draft()).await {
        Ok(_) => Redirect::to(&format!("/schedule?date={}", f.date.trim())).into_response(),
        Err(e) => match sentences(&e) {
            Some(words) => {
                let status = match e {
                    AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                    _ => StatusCode::CONFLICT,
                };
                let warned = matches!(e, AppError::ScheduleWarning(_));
                booking_page(&app, staff, patient, f, words, warned, status).await
            }
            None => page_error(e),
        },
    }
}

async fn booking_page(
    app: &App,
    staff: Staff,
    patient: PatientId,
    form: SlotForm,
    problems: Vec<String>,
    warned: bool,
    status: StatusCode,
) -> Response {
    if !staff_may(app, &staff, Action::Create).await {
        return page_error(AppError::Forbidden);
    }
    let schedule = app.schedule(&staff.actor);
    let loaded = async {
        let named = app.patients(&staff.actor).read(patient).await?;
        let tz = app.practice_time(staff.actor.practice_id()).await?;
        Ok::<_, AppError>((
            format!("{} {}", named.given_name, named.family_name),
            tz,
            schedule.operatories().await?,
            schedule.providers().await?,
            type_names(app, &staff).await?,
        ))
    };
    let (patient_name, tz, operatories, providers, types) = match loaded.await {
        Ok(x) => x,
        Err(e) => return page_error(e),
    };
    let page = BookPage {
        csrf: staff.nav.csrf.clone(),
        patient_name,
        time_zone: tz.name().to_string(),
        problems,
        warned,
        form,
        operatories: operatories
            .iter()
            .filter(|o| !o.operatory.hidden)
            .map(|o| (o.id.to_string(), o.operatory.name.clone()))
            .collect(),
        providers: providers
            .iter()
            .map(|p| {
                (
                    p.id.to_string(),
                    format!(
                        "{} {} ({})",
                        p.provider.given_name, p.provider.family_name, p.provider.abbreviation
                    ),
                )
            })
            .collect(),
        types,
        nav: Some(staff.nav),
        flash: None,
    };
    let mut response = render(&page);
    *response.status_mut() = status;
    response
}
