//! The schedule's resources over HTTP: list, add, read and replace providers, operatories and
//! appointment types. Reading them needs the schedule or the settings; changing them is a
//! practice setting (practice settings × edit). They hold no PHI: reads are not audited,
//! changes are.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enamel_app::{App, AppError, Expected, RecordClaims};

use super::resource_json::{
    AppointmentTypeBody, AppointmentTypeJson, AppointmentTypesJson, OperatoriesJson, OperatoryBody,
    OperatoryJson, ProviderBody, ProviderJson, ProvidersJson,
};
use crate::api::JsonBody;
use crate::api::precondition::{change_error, etag, expected_version_for_room};
use crate::{ApiError, Authenticated};

fn id_of<T: std::str::FromStr>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError(AppError::NotFound))
}

/// A resource answered with its `ETag` (and `Location` when just made).
fn answer<J: serde::Serialize>(
    status: StatusCode,
    json: J,
    version: i64,
    location: Option<String>,
) -> Response {
    let mut response = (status, [(header::ETAG, etag(version))], Json(json)).into_response();
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// The practice's providers (dentists and hygienists), by abbreviation.
#[utoipa::path(get, path = "/api/v1/providers", tag = "schedule",
    responses((status = 200, description = "Every provider of the practice.", body = ProvidersJson)))]
pub(crate) async fn list_providers(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<ProvidersJson>, ApiError> {
    let items = app.schedule(&actor).providers().await?;
    Ok(Json(ProvidersJson {
        items: items.iter().map(ProviderJson::from).collect(),
    }))
}

/// Adds a provider (practice settings, edit).
#[utoipa::path(post, path = "/api/v1/providers", tag = "schedule",
    request_body = ProviderBody,
    responses(
        (status = 201, description = "Added; `Location` names it.", body = ProviderJson),
        (status = 422, description = "`invalid`: `fields` names each member that needs attention (an NPI whose check digit is wrong, an abbreviation already used, a user who is not of this practice)."),
    ))]
pub(crate) async fn create_provider(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<ProviderBody>,
) -> Result<Response, ApiError> {
    body.read_only().refuse()?;
    let view = app
        .schedule(&actor)
        .save_provider(None, &body.draft(), Expected::Any, &RecordClaims::default())
        .await?;
    let location = format!("/api/v1/providers/{}", view.id);
    Ok(answer(
        StatusCode::CREATED,
        ProviderJson::from(&view),
        view.stamp.row_version,
        Some(location),
    ))
}

/// One provider.
#[utoipa::path(get, path = "/api/v1/providers/{id}", tag = "schedule",
    params(("id" = String, Path, description = "The provider's id.")),
    responses((status = 200, description = "The provider; `ETag` is its version.", body = ProviderJson)))]
pub(crate) async fn read_provider(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id: enamel_domain::ProviderId = id_of(&raw)?;
    let all = app.schedule(&actor).providers().await?;
    let view = all
        .iter()
        .find(|p| p.id == id)
        .ok_or(ApiError(AppError::NotFound))?;
    Ok(answer(
        StatusCode::OK,
        ProviderJson::from(view),
        view.stamp.row_version,
        None,
    ))
}

/// Replaces a provider (practice settings, edit). A provider who leaves is given an
/// `active_to` date, never deleted: their appointments keep naming them.
#[utoipa::path(put, path = "/api/v1/providers/{id}", tag = "schedule",
    params(
        ("id" = String, Path, description = "The provider's id."),
        ("If-Match" = String, Header, description = "The `ETag` of the version being replaced, or `*`."),
    ),
    request_body = ProviderBody,
    responses(
        (status = 200, description = "The provider now; `ETag` is its new version.", body = ProviderJson),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
        (status = 422, description = "`invalid`: `fields` names each member that needs attention, or a read-only member sent with another value."),
        (status = 428, description = "`precondition_required`: `If-Match` is missing."),
    ))]
pub(crate) async fn replace_provider(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(raw): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ProviderBody>,
) -> Result<Response, ApiError> {
    let id = id_of(&raw)?;
    let claims = body.read_only().claims(&raw)?;
    let expected = match expected_version_for_room(&headers) {
        Ok(e) => e,
        Err(answer) => return Ok(answer.into_response()),
    };
    match app
        .schedule(&actor)
        .save_provider(Some(id), &body.draft(), expected, &claims)
        .await
    {
        Ok(v) => Ok(answer(
            StatusCode::OK,
            ProviderJson::from(&v),
            v.stamp.row_version,
            None,
        )),
        Err(e) => Ok(change_error(e)),
    }
}

/// The practice's operatories (chairs) in schedule order, hidden ones included.
#[utoipa::path(get, path = "/api/v1/operatories", tag = "schedule",
    responses((status = 200, description = "Every operatory of the practice.", body = OperatoriesJson)))]
pub(crate) async fn list_operatories(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<OperatoriesJson>, ApiError> {
    let items = app.schedule(&actor).operatories().await?;
    Ok(Json(OperatoriesJson {
        items: items.iter().map(OperatoryJson::from).collect(),
    }))
}

/// Adds an operatory (practice settings, edit).
#[utoipa::path(post, path = "/api/v1/operatories", tag = "schedule",
    request_body = OperatoryBody,
    responses(
        (status = 201, description = "Added; `Location` names it.", body = OperatoryJson),
        (status = 422, description = "`invalid`: `fields` names each member that needs attention (an abbreviation already used, a default provider who is not of this practice)."),
    ))]
pub(crate) async fn create_operatory(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<OperatoryBody>,
) -> Result<Response, ApiError> {
    body.read_only().refuse()?;
    let view = app
        .schedule(&actor)
        .save_operatory(None, &body.draft(), Expected::Any, &RecordClaims::default())
        .await?;
    let location = format!("/api/v1/operatories/{}", view.id);
    Ok(answer(
        StatusCode::CREATED,
        OperatoryJson::from(&view),
        view.stamp.row_version,
        Some(location),
    ))
}

/// One operatory.
#[utoipa::path(get, path = "/api/v1/operatories/{id}", tag = "schedule",
    params(("id" = String, Path, description = "The operatory's id.")),
    responses((status = 200, description = "The operatory; `ETag` is its version.", body = OperatoryJson)))]
pub(crate) async fn read_operatory(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id: enamel_domain::OperatoryId = id_of(&raw)?;
    let all = app.schedule(&actor).operatories().await?;
    let view = all
        .iter()
        .find(|o| o.id == id)
        .ok_or(ApiError(AppError::NotFound))?;
    Ok(answer(
        StatusCode::OK,
        OperatoryJson::from(view),
        view.stamp.row_version,
        None,
    ))
}

/// Replaces an operatory (practice settings, edit); `hidden` takes it off the schedule.
#[utoipa::path(put, path = "/api/v1/operatories/{id}", tag = "schedule",
    params(
        ("id" = String, Path, description = "The operatory's id."),
        ("If-Match" = String, Header, description = "The `ETag` of the version being replaced, or `*`."),
    ),
    request_body = OperatoryBody,
    responses(
        (status = 200, description = "The operatory now; `ETag` is its new version.", body = OperatoryJson),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
        (status = 422, description = "`invalid`: `fields` names each member that needs attention, or a read-only member sent with another value."),
        (status = 428, description = "`precondition_required`: `If-Match` is missing."),
    ))]
pub(crate) async fn replace_operatory(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(raw): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<OperatoryBody>,
) -> Result<Response, ApiError> {
    let id = id_of(&raw)?;
    let claims = body.read_only().claims(&raw)?;
    let expected = match expected_version_for_room(&headers) {
        Ok(e) => e,
        Err(answer) => return Ok(answer.into_response()),
    };
    match app
        .schedule(&actor)
        .save_operatory(Some(id), &body.draft(), expected, &claims)
        .await
    {
        Ok(v) => Ok(answer(
            StatusCode::OK,
            OperatoryJson::from(&v),
            v.stamp.row_version,
            None,
        )),
        Err(e) => Ok(change_error(e)),
    }
}

/// The practice's appointment types, by name.
#[utoipa::path(get, path = "/api/v1/appointment-types", tag = "schedule",
    responses((status = 200, description = "Every appointment type of the practice.", body = AppointmentTypesJson)))]
pub(crate) async fn list_appointment_types(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<AppointmentTypesJson>, ApiError> {
    let items = app.schedule(&actor).appointment_types().await?;
    Ok(Json(AppointmentTypesJson {
        items: items.iter().map(AppointmentTypeJson::from).collect(),
    }))
}

/// Adds an appointment type (practice settings, edit).
#[utoipa::path(post, path = "/api/v1/appointment-types", tag = "schedule",
    request_body = AppointmentTypeBody,
    responses(
        (status = 201, description = "Added; `Location` names it.", body = AppointmentTypeJson),
        (status = 422, description = "`invalid`: `fields` names each member that needs attention (a name already used, a code not on the practice's list or named twice)."),
    ))]
pub(crate) async fn create_appointment_type(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<AppointmentTypeBody>,
) -> Result<Response, ApiError> {
    body.read_only().refuse()?;
    let view = app
        .schedule(&actor)
        .save_appointment_type(None, &body.draft(), Expected::Any, &RecordClaims::default())
        .await?;
    let location = format!("/api/v1/appointment-types/{}", view.id);
    Ok(answer(
        StatusCode::CREATED,
        AppointmentTypeJson::from(&view),
        view.stamp.row_version,
        Some(location),
    ))
}

/// One appointment type.
#[utoipa::path(get, path = "/api/v1/appointment-types/{id}", tag = "schedule",
    params(("id" = String, Path, description = "The appointment type's id.")),
    responses((status = 200, description = "The type; `ETag` is its version.", body = AppointmentTypeJson)))]
pub(crate) async fn read_appointment_type(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id: enamel_domain::AppointmentTypeId = id_of(&raw)?;
    let all = app.schedule(&actor).appointment_types().await?;
    let view = all
        .iter()
        .find(|t| t.id == id)
        .ok_or(ApiError(AppError::NotFound))?;
    Ok(answer(
        StatusCode::OK,
        AppointmentTypeJson::from(view),
        view.stamp.row_version,
        None,
    ))
}

/// Replaces an appointment type (practice settings, edit); appointments already booked keep
/// their own pattern.
#[utoipa::path(put, path = "/api/v1/appointment-types/{id}", tag = "schedule",
    params(
        ("id" = String, Path, description = "The appointment type's id."),
        ("If-Match" = String, Header, description = "The `ETag` of the version being replaced, or `*`."),
    ),
    request_body = AppointmentTypeBody,
    responses(
        (status = 200, description = "The type now; `ETag` is its new version.", body = AppointmentTypeJson),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
        (status = 422, description = "`invalid`: `fields` names each member that needs attention, or a read-only member sent with another value."),
        (status = 428, description = "`precondition_required`: `If-Match` is missing."),
    ))]
pub(crate) async fn replace_appointment_type(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(raw): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<AppointmentTypeBody>,
) -> Result<Response, ApiError> {
    let id = id_of(&raw)?;
    let claims = body.read_only().claims(&raw)?;
    let expected = match expected_version_for_room(&headers) {
        Ok(e) => e,
        Err(answer) => return Ok(answer.into_response()),
    };
    match app
        .schedule(&actor)
        .save_appointment_type(Some(id), &body.draft(), expected, &claims)
        .await
    {
        Ok(v) => Ok(answer(
            StatusCode::OK,
            AppointmentTypeJson::from(&v),
            v.stamp.row_version,
            None,
        )),
        Err(e) => Ok(change_error(e)),
    }
}
