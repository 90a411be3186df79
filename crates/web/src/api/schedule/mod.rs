//! The schedule over JSON: providers, operatories and appointment types (`resources.rs`), and
//! appointments: book, list a day, read, move or edit (`If-Match`), change status, and the
//! ASAP list. A booking or move onto taken time is `409 schedule_conflict`, naming the other
//! appointment's time and chair (never its patient) in `conflict`.

mod appointment_json;
pub(crate) mod blocks;
pub(crate) mod resource_json;
pub(crate) mod resources;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enamel_app::{App, AppError, AppointmentView, DayFilter};
use enamel_domain::{AppointmentId, PracticeDate, PracticeTz, parse_iso_date};

use super::precondition::{
    change_error, etag, expected_version_for_room, optional_expected_version_for_room,
};
use super::{JsonBody, QueryParams, invalid};
use crate::{ApiError, Authenticated};
pub(crate) use appointment_json::{
    AppointmentBody, AppointmentJson, AsapJson, DayJson, DayParams, StatusBody,
};

fn appointment_id(raw: &str) -> Result<AppointmentId, ApiError> {
    raw.parse().map_err(|_| ApiError(AppError::NotFound))
}

/// An appointment with its `ETag`.
fn answer(status: StatusCode, view: &AppointmentView, tz: &PracticeTz) -> Response {
    let mut response = (
        status,
        [(header::ETAG, etag(view.stamp.row_version))],
        Json(AppointmentJson::of(view, tz)),
    )
        .into_response();
    if status == StatusCode::CREATED
        && let Ok(location) = HeaderValue::from_str(&format!("/api/v1/appointments/{}", view.id))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Books an appointment (schedule, create).
///
/// Its length is its `pattern`, its `duration_min` (all provider time), or its appointment
/// type's pattern. Two appointments never overlap in one operatory, and a provider's time
/// (`X`) never overlaps across operatories: the database holds each 5-minute slot once, on
/// any number of servers.
#[utoipa::path(post, path = "/api/v1/appointments", tag = "schedule",
    request_body = AppointmentBody,
    responses(
        (status = 201, description = "Booked; `Location` names it, `ETag` is its version.", body = AppointmentJson),
        (status = 404, description = "`not_found`: no such patient in this practice."),
        (status = 409, description = "`schedule_conflict`: the time is taken; `conflict` names the other appointment's time and operatory."),
        (status = 422, description = "`invalid`: `fields` names each member that needs attention (a start the practice's clock skips or repeats, off a 5-minute mark or with another offset than the practice's; an operatory, provider or type that is not the practice's, hidden or inactive)."),
    ))]
pub(crate) async fn create_appointment(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<AppointmentBody>,
) -> Result<Response, ApiError> {
    body.refuse_read_only()?;
    let view = app.schedule(&actor).book(&body.draft()).await?;
    let tz = app.practice_time(actor.practice_id()).await?;
    Ok(answer(StatusCode::CREATED, &view, &tz))
}

/// A day of the schedule: every appointment that overlaps the practice's day (cancelled and
/// broken ones too), by start; optionally one operatory's or one provider's.
#[utoipa::path(get, path = "/api/v1/appointments", tag = "schedule",
    params(DayParams),
    responses(
        (status = 200, description = "The day.", body = DayJson),
        (status = 422, description = "`invalid`: `date` is not a date."),
    ))]
pub(crate) async fn list_appointments(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    QueryParams(params): QueryParams<DayParams>,
) -> Result<Json<DayJson>, ApiError> {
    let date = parse_iso_date(params.date.trim())
        .ok_or_else(|| invalid("date", "must be a date as YYYY-MM-DD"))?;
    let filter = DayFilter {
        operatory: match &params.operatory {
            Some(o) => Some(
                o.parse()
                    .map_err(|_| invalid("operatory", "must be an operatory's id"))?,
            ),
            None => None,
        },
        provider: match &params.provider {
            Some(p) => Some(
                p.parse()
                    .map_err(|_| invalid("provider", "must be a provider's id"))?,
            ),
            None => None,
        },
    };
    let day = app
        .schedule(&actor)
        .day(PracticeDate::new(date), filter)
        .await?;
    let items = day
        .appointments
        .iter()
        .map(|a| AppointmentJson::of(a, &day.tz))
        .collect();
    Ok(Json(DayJson::new(
        day.date.to_string(),
        day.tz.name().to_string(),
        items,
    )))
}

/// One appointment.
#[utoipa::path(get, path = "/api/v1/appointments/{id}", tag = "schedule",
    params(("id" = String, Path, description = "The appointment's id.")),
    responses((status = 200, description = "The appointment; `ETag` is its version.", body = AppointmentJson)))]
pub(crate) async fn read_appointment(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = appointment_id(&raw)?;
    let view = app.schedule(&actor).read(id).await?;
    let tz = app.practice_time(actor.practice_id()).await?;
    Ok(answer(StatusCode::OK, &view, &tz))
}

/// Moves or edits an appointment: its operatory, providers, type, start, pattern and note
/// (schedule, edit). The new time must be free; the patient never changes, and the status
/// changes through `POST /api/v1/appointments/{id}/status`.
#[utoipa::path(put, path = "/api/v1/appointments/{id}", tag = "schedule",
    params(
        ("id" = String, Path, description = "The appointment's id."),
        ("If-Match" = String, Header, description = "The `ETag` of the version being replaced, or `*`."),
    ),
    request_body = AppointmentBody,
    responses(
        (status = 200, description = "The appointment now; `ETag` is its new version.", body = AppointmentJson),
        (status = 409, description = "`schedule_conflict`: the new time is taken; `conflict` names the other appointment's time and operatory."),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
        (status = 422, description = "`invalid`: `fields` names each member that needs attention, or a read-only member sent with another value."),
        (status = 428, description = "`precondition_required`: `If-Match` is missing."),
    ))]
pub(crate) async fn replace_appointment(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(raw): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<AppointmentBody>,
) -> Result<Response, ApiError> {
    let id = appointment_id(&raw)?;
    let claims = body.claims(&raw)?;
    let expected = match expected_version_for_room(&headers) {
        Ok(v) => v,
        Err(answer) => return Ok(answer.into_response()),
    };
    let result = app
        .schedule(&actor)
        .replace(id, &body.draft(), expected, &claims)
        .await;
    respond(&app, &actor, result).await
}

/// Changes an appointment's status (schedule, edit): `confirmed` (with `via`), `arrived`,
/// `in_chair`, `complete`, `broken`, `cancelled`, `asap`, or a step back where the desk clicked
/// too soon. Complete and cancelled are final. An appointment coming back onto the schedule
/// takes its time again, if it is still free.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/status", tag = "schedule",
    params(
        ("id" = String, Path, description = "The appointment's id."),
        ("If-Match" = Option<String>, Header, description = "Optional: the `ETag` this is based on."),
    ),
    request_body = StatusBody,
    responses(
        (status = 200, description = "The appointment now; `ETag` is its new version.", body = AppointmentJson),
        (status = 409, description = "`refused`: that status cannot follow the current one (the detail says which can); `schedule_conflict`: its time was given away meanwhile."),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
        (status = 422, description = "`invalid`: `via` with a status other than `confirmed`."),
    ))]
pub(crate) async fn set_appointment_status(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(raw): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<StatusBody>,
) -> Result<Response, ApiError> {
    let id = appointment_id(&raw)?;
    let expected = optional_expected_version_for_room(&headers);
    let result = app
        .schedule(&actor)
        .set_status(
            id,
            body.status.domain(),
            body.via.map(|v| v.domain()),
            expected,
        )
        .await;
    respond(&app, &actor, result).await
}

/// The ASAP list: appointments waiting for an earlier opening, soonest first (at most 500).
#[utoipa::path(get, path = "/api/v1/asap-list", tag = "schedule",
    responses((status = 200, description = "The list.", body = AsapJson)))]
pub(crate) async fn asap_list(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<AsapJson>, ApiError> {
    let items = app.schedule(&actor).asap_list().await?;
    let tz = app.practice_time(actor.practice_id()).await?;
    Ok(Json(AsapJson {
        items: items.iter().map(|a| AppointmentJson::of(a, &tz)).collect(),
    }))
}

/// A change's answer: the appointment with its `ETag`, or its error (a stale version `412`).
async fn respond(
    app: &App,
    actor: &enamel_app::Actor,
    result: Result<AppointmentView, AppError>,
) -> Result<Response, ApiError> {
    match result {
        Ok(view) => {
            let tz = app.practice_time(actor.practice_id()).await?;
            Ok(answer(StatusCode::OK, &view, &tz))
        }
        Err(e) => Ok(change_error(e)),
    }
}
