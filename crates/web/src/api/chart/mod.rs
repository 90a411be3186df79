//! The clinical chart over JSON: the practice's procedure codes and chart settings, a
//! patient's chart (now or on a past day) and procedures, and the changes a procedure goes
//! through (chart, correct, complete, mark entered in error, add an addendum). Requests are
//! in `body.rs`, answers in `dto.rs`.

mod body;
mod dto;
pub(crate) mod notes;
pub(crate) mod perio;
mod perio_json;
mod plan_json;
pub(crate) mod plans;
pub(crate) mod teeth;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enamel_app::{App, AppError, ChartSettings};
use enamel_domain::clinical::Numbering;
use enamel_domain::{PatientId, PracticeDate, ProcedureId, parse_iso_date};

use super::cursor::{self, List};
use super::precondition::{
    change_error, etag, expected_version_for_room, optional_expected_version_for_room,
};
use super::{JsonBody, QueryParams};
use crate::{ApiError, Authenticated};
pub(crate) use body::{
    AddendumBody, ChartParams, ChartSettingsBody, CompleteBody, InvalidateBody, NumberingJson,
    ProcedureBody,
};
pub(crate) use dto::{
    AddendumJson, ChartJson, ChartSettingsJson, ProcedureCodeJson, ProcedureCodesJson,
    ProcedureJson, ProcedurePageParams, ProceduresJson,
};

/// The most procedures on one page of a patient's list.
const MAX_PROCEDURES_PAGE: i64 = 500;

fn patient_id(raw: &str) -> Result<PatientId, ApiError> {
    raw.parse().map_err(|_| ApiError(AppError::NotFound))
}

fn procedure_id(raw: &str) -> Result<ProcedureId, ApiError> {
    raw.parse().map_err(|_| ApiError(AppError::NotFound))
}

/// The answer to a change of a procedure: the procedure now, with its `ETag`, or the error
/// (a stale version is `412`).
async fn changed(
    chart: &enamel_app::Chart<'_>,
    result: Result<enamel_app::ProcedureView, AppError>,
) -> Result<Response, ApiError> {
    match result {
        Ok(view) => {
            let numbering = chart.numbering().await?;
            let version = view.row_version;
            Ok(procedure_answer(
                StatusCode::OK,
                ProcedureJson::of(view, numbering),
                version,
            ))
        }
        Err(e) => Ok(change_error(e)),
    }
}

/// A procedure with its `ETag`.
fn procedure_answer(status: StatusCode, json: ProcedureJson, version: i64) -> Response {
    (status, [(header::ETAG, etag(version))], Json(json)).into_response()
}

/// The practice's procedure codes, in code order.
///
/// The practice's own licensed list, loaded with `enamel import procedure-codes`: Enamel
/// ships no CDT codes. Anyone who may see charts, treatment plans or billing may read it.
#[utoipa::path(
    get,
    path = "/api/v1/procedure-codes",
    tag = "chart",
    responses((status = 200, description = "Every code of the practice.", body = ProcedureCodesJson)),
)]
pub(crate) async fn procedure_codes(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<ProcedureCodesJson>, ApiError> {
    let codes = app.chart(&actor).codes().await?;
    Ok(Json(ProcedureCodesJson::new(
        codes.into_iter().map(ProcedureCodeJson::from).collect(),
    )))
}

/// The practice's chart settings: tooth numbering and the lock window of completed work.
#[utoipa::path(
    get,
    path = "/api/v1/practice/chart-settings",
    tag = "chart",
    responses((status = 200, description = "The settings.", body = ChartSettingsJson)),
)]
pub(crate) async fn chart_settings(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<ChartSettingsJson>, ApiError> {
    let s = app.chart(&actor).read_settings().await?;
    Ok(Json(ChartSettingsJson::new(s.numbering, s.lock_hours)))
}

/// Changes the chart settings (practice settings, edit; needs a second factor proved within
/// the step-up window).
#[utoipa::path(
    put,
    path = "/api/v1/practice/chart-settings",
    tag = "chart",
    request_body = ChartSettingsBody,
    responses(
        (status = 200, description = "The settings now.", body = ChartSettingsJson),
        (status = 401, description = "`step_up_required`: prove your second factor again first."),
    ),
)]
pub(crate) async fn set_chart_settings(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<ChartSettingsBody>,
) -> Result<Json<ChartSettingsJson>, ApiError> {
    let numbering = match body.tooth_numbering {
        NumberingJson::Universal => Numbering::Universal,
        NumberingJson::Fdi => Numbering::Fdi,
    };
    let settings = ChartSettings {
        numbering,
        lock_hours: body.chart_lock_hours,
    };
    app.chart(&actor).set_settings(settings).await?;
    Ok(Json(ChartSettingsJson::new(numbering, settings.lock_hours)))
}

/// A patient's chart: tooth numbering, conditions and procedures in one view.
///
/// With `as_of`, the chart as it stood at the end of that practice day. Billing roles see
/// completed work and fees only (`billing_view`).
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/chart",
    tag = "chart",
    params(("id" = String, Path, description = "The patient's id."), ChartParams),
    responses(
        (status = 200, description = "The chart.", body = ChartJson),
        (status = 422, description = "`invalid`: `as_of` is not a date, or is in the future."),
    ),
)]
pub(crate) async fn chart(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<ChartParams>,
) -> Result<Json<ChartJson>, ApiError> {
    let id = patient_id(&id)?;
    let as_of = match params.as_of.as_deref() {
        None => None,
        Some(text) => Some(PracticeDate::new(parse_iso_date(text).ok_or_else(
            || super::invalid("as_of", "must be a date written as YYYY-MM-DD"),
        )?)),
    };
    if let Some(day) = as_of
        && day > app.practice_today(actor.practice_id()).await?
    {
        return Err(super::invalid("as_of", "is in the future"));
    }
    let view = app.chart(&actor).read(id, as_of).await?;
    Ok(Json(view.into()))
}

/// A patient's procedures and conditions, oldest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/procedures",
    tag = "chart",
    params(("id" = String, Path, description = "The patient's id."), ProcedurePageParams),
    responses(
        (status = 200, description = "One page.", body = ProceduresJson),
        (status = 422, description = "`invalid`: `cursor` or `limit` cannot be used."),
    ),
)]
pub(crate) async fn list_procedures(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    QueryParams(page): QueryParams<ProcedurePageParams>,
) -> Result<Json<ProceduresJson>, ApiError> {
    let id = patient_id(&id)?;
    let (after, limit) = cursor::page::<String>(
        List::Procedures,
        page.cursor.as_deref(),
        page.limit,
        (100, MAX_PROCEDURES_PAGE),
    )?;
    let view = app.chart(&actor).read(id, None).await?;
    let numbering = view.numbering;
    let (rest, next) = cursor::page_by_id(
        List::Procedures,
        view.procedures,
        |p| p.id,
        after.as_deref(),
        limit,
    );
    Ok(Json(ProceduresJson::new(
        rest.into_iter()
            .map(|p| ProcedureJson::of(p, numbering))
            .collect(),
        next,
    )))
}

/// Charts a procedure or condition.
///
/// The smallest body is a code and where it is done: `{"code": "X2120", "tooth": "3",
/// "surfaces": "MO"}` for a surface code, `{"code": "X1410", "area": "UR"}` for a quadrant
/// code. Which members a code needs follows from its `area_type`.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/procedures",
    tag = "chart",
    params(("id" = String, Path, description = "The patient's id.")),
    request_body = ProcedureBody,
    responses(
        (status = 201, description = "Charted; `Location` names it and `ETag` its first version.", body = ProcedureJson),
        (status = 422, description = "`invalid`: `fields` names each member that needs attention (`tooth 33 does not exist`, `surface I on tooth 3`), or a code the practice does not have."),
    ),
)]
pub(crate) async fn create_procedure(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ProcedureBody>,
) -> Result<Response, ApiError> {
    let id = patient_id(&id)?;
    body.refuse_read_only()?;
    let chart = app.chart(&actor);
    let view = chart.create(id, &body.draft()?).await?;
    let numbering = chart.numbering().await?;
    let location = HeaderValue::from_str(&format!("/api/v1/procedures/{}", view.id))
        .unwrap_or(HeaderValue::from_static("/api/v1/procedures"));
    let mut response = procedure_answer(StatusCode::CREATED, ProcedureJson::of(view, numbering), 1);
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// One procedure with its addenda.
#[utoipa::path(
    get,
    path = "/api/v1/procedures/{id}",
    tag = "chart",
    params(("id" = String, Path, description = "The procedure's id.")),
    responses((status = 200, description = "The procedure; `ETag` is its version.", body = ProcedureJson)),
)]
pub(crate) async fn read_procedure(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = procedure_id(&id)?;
    let chart = app.chart(&actor);
    let view = chart.procedure(id).await?;
    let numbering = chart.numbering().await?;
    let version = view.row_version;
    Ok(procedure_answer(
        StatusCode::OK,
        ProcedureJson::of(view, numbering),
        version,
    ))
}

/// Corrects an open procedure: planned work, a condition, or completed work still inside the
/// practice's lock window.
///
/// Locked work and entries marked entered in error are refused (`409 refused`); add an
/// addendum instead. The status cannot move into or out of `completed` here.
#[utoipa::path(
    put,
    path = "/api/v1/procedures/{id}",
    tag = "chart",
    params(
        ("id" = String, Path, description = "The procedure's id."),
        ("If-Match" = String, Header, description = "The `ETag` of the version being replaced, or `*`."),
    ),
    request_body = ProcedureBody,
    responses(
        (status = 200, description = "The procedure now; `ETag` is its new version.", body = ProcedureJson),
        (status = 409, description = "`refused`: the procedure is locked or entered in error."),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
        (status = 422, description = "`invalid`: `fields` names each member that needs attention, or a read-only member sent with another value."),
        (status = 428, description = "`precondition_required`: `If-Match` is missing."),
    ),
)]
pub(crate) async fn replace_procedure(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(raw): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ProcedureBody>,
) -> Result<Response, ApiError> {
    let id = procedure_id(&raw)?;
    let claims = body.claims(&raw)?;
    let draft = body.draft()?;
    let expected = match expected_version_for_room(&headers) {
        Ok(v) => v,
        Err(answer) => return Ok(answer.into_response()),
    };
    let chart = app.chart(&actor);
    changed(&chart, chart.update(id, &draft, expected, &claims).await).await
}

/// Marks planned work completed, today or on an earlier practice date. It locks after the
/// practice's window (`chart_lock_hours`).
#[utoipa::path(
    post,
    path = "/api/v1/procedures/{id}/complete",
    tag = "chart",
    params(
        ("id" = String, Path, description = "The procedure's id."),
        ("If-Match" = Option<String>, Header, description = "Optional: the `ETag` this is based on."),
    ),
    request_body = CompleteBody,
    responses(
        (status = 200, description = "Completed; `ETag` is its new version.", body = ProcedureJson),
        (status = 409, description = "`refused`: only planned work can be completed."),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
    ),
)]
pub(crate) async fn complete_procedure(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<CompleteBody>,
) -> Result<Response, ApiError> {
    let id = procedure_id(&id)?;
    body::strict_date("completed_on", body.completed_on.as_deref())?;
    let expected = optional_expected_version_for_room(&headers);
    let chart = app.chart(&actor);
    let result = chart
        .complete(id, body.completed_on.as_deref(), expected)
        .await;
    changed(&chart, result).await
}

/// Marks an entry entered in error, with the reason (kept as an addendum). The entry stays in
/// the chart, struck through.
///
/// Locked work needs the lock override (charting × delete: dentists by default).
#[utoipa::path(
    post,
    path = "/api/v1/procedures/{id}/invalidate",
    tag = "chart",
    params(
        ("id" = String, Path, description = "The procedure's id."),
        ("If-Match" = Option<String>, Header, description = "Optional: the `ETag` this is based on."),
    ),
    request_body = InvalidateBody,
    responses(
        (status = 200, description = "Entered in error; `ETag` is its new version.", body = ProcedureJson),
        (status = 409, description = "`refused`: already entered in error."),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
    ),
)]
pub(crate) async fn invalidate_procedure(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<InvalidateBody>,
) -> Result<Response, ApiError> {
    let id = procedure_id(&id)?;
    let expected = optional_expected_version_for_room(&headers);
    let chart = app.chart(&actor);
    let result = chart.invalidate(id, &body.reason, expected).await;
    changed(&chart, result).await
}

/// Adds an addendum to a procedure, locked or not: how the record of finished work is
/// corrected or completed.
#[utoipa::path(
    post,
    path = "/api/v1/procedures/{id}/addenda",
    tag = "chart",
    params(("id" = String, Path, description = "The procedure's id.")),
    request_body = AddendumBody,
    responses((status = 201, description = "Added.", body = AddendumJson)),
)]
pub(crate) async fn add_procedure_addendum(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AddendumBody>,
) -> Result<(StatusCode, Json<AddendumJson>), ApiError> {
    let id = procedure_id(&id)?;
    let addendum = app.chart(&actor).add_addendum(id, &body.body).await?;
    Ok((StatusCode::CREATED, Json(addendum.into())))
}
