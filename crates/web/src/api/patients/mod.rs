//! Patient records over JSON: create, read (with an `ETag`), replace (`If-Match` required),
//! search, deactivate, delete a record created in error, and the version history. What a
//! reader sees depends on their role: contact details and insurance are left out (and named
//! in `withheld`) for roles that may not see them. Requests are in `body.rs`,
//! answers in `dto.rs`.

mod body;
mod dto;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enamel_app::{
    App, AppError, Created, DELETE_REASON, IdempotentRequest, MAX_VERSIONS_PAGE,
    is_valid_idempotency_key,
};
use enamel_domain::PatientId;

use super::cursor::{self, List};
use super::precondition::{change_error, etag, expected_version, optional_expected_version};
use super::{CanonicalJsonBody, JsonBody, QueryParams};
use crate::{ApiError, Authenticated};
pub(crate) use body::PatientBody;
pub(crate) use dto::{
    CreatedJson, DeleteBody, PageParams, PatientJson, SearchJson, SearchParams, VersionJson,
    VersionsJson,
};

/// An id in a path: anything but a canonical patient id is simply not found.
fn patient_id(raw: &str) -> Result<PatientId, ApiError> {
    raw.parse().map_err(|_| ApiError(AppError::NotFound))
}

/// The answer to a change: the new version in the body and the `ETag`, or the error.
fn version_answer(result: Result<i64, AppError>) -> Response {
    match result {
        Ok(version) => (
            [(header::ETAG, etag(version))],
            Json(VersionJson {
                row_version: version,
            }),
        )
            .into_response(),
        Err(e) => change_error(e),
    }
}

/// Creates a patient.
///
/// Send an `Idempotency-Key` to make retrying safe: the same key with the same body, from
/// the same caller within 24 hours, answers the first creation again (with
/// `Idempotent-Replayed: true`) and creates nothing; the same key with another body is `422`
/// (`idempotency_key_reused`).
#[utoipa::path(
    post,
    path = "/api/v1/patients",
    tag = "patients",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible characters, unique per request you mean to make once, such as a UUID.", min_length = 1, max_length = 255, pattern = "^[!-~]{1,255}$"),
    ),
    request_body = PatientBody,
    responses(
        (status = 201, description = "Created (or, for a retried `Idempotency-Key`, created before); `Location` names the record and `ETag` its first version.", body = CreatedJson),
        (status = 422, description = "`invalid`: `fields` names each member that needs attention (`phones[1].number`), or the `Idempotency-Key` itself. `idempotency_key_reused`: the key came before with a different body."),
    ),
)]
pub(crate) async fn create(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    headers: HeaderMap,
    body: CanonicalJsonBody<PatientBody>,
) -> Result<Response, ApiError> {
    body.value.read_only_claims(None)?;
    let patients = app.patients(&actor);
    let (id, replayed) = match headers.get(IDEMPOTENCY_KEY) {
        None => (patients.create(&body.value.into()).await?, false),
        Some(key) => {
            let key = key
                .to_str()
                .ok()
                .filter(|k| is_valid_idempotency_key(k))
                .ok_or_else(|| {
                    super::invalid("Idempotency-Key", "must be 1 to 255 visible characters")
                })?;
            let request = IdempotentRequest {
                key,
                request: &body.canonical,
            };
            match patients.create_once(&body.value.into(), request).await? {
                Created::New(id) => (id, false),
                Created::Replayed(id) => (id, true),
            }
        }
    };
    let mut response = (
        StatusCode::CREATED,
        [
            (
                header::LOCATION,
                HeaderValue::from_str(&format!("/api/v1/patients/{id}"))
                    .unwrap_or(HeaderValue::from_static("/api/v1/patients")),
            ),
            (header::ETAG, etag(1)),
        ],
        Json(CreatedJson {
            id: id.to_string(),
            row_version: 1,
        }),
    )
        .into_response();
    if replayed {
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    Ok(response)
}

const IDEMPOTENCY_KEY: &str = "idempotency-key";
const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// Reads a patient, as much as the caller's role may see.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}",
    tag = "patients",
    params(("id" = String, Path, description = "The patient's id.")),
    responses(
        (status = 200, description = "The record; `ETag` carries its version for `If-Match`.", body = PatientJson),
    ),
)]
pub(crate) async fn read(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = patient_id(&id)?;
    let patient = app.patients(&actor).read(id).await?;
    let tag = etag(patient.row_version);
    Ok(([(header::ETAG, tag)], Json(PatientJson::from(patient))).into_response())
}

/// Replaces a patient's record.
///
/// Each category whose values change needs the caller's edit permission for it.
#[utoipa::path(
    put,
    path = "/api/v1/patients/{id}",
    tag = "patients",
    params(
        ("id" = String, Path, description = "The patient's id."),
        ("If-Match" = String, Header, description = "The `ETag` of the version this change is based on."),
    ),
    request_body = PatientBody,
    responses(
        (status = 200, description = "Saved; the body and `ETag` carry the new version.", body = VersionJson),
        (status = 412, description = "`precondition_failed`: someone changed the record since that version."),
        (status = 422, description = "`invalid`: `fields` names each member that needs attention, including a read-only member sent with another value than the record's."),
        (status = 428, description = "`precondition_required`: `If-Match` is missing."),
    ),
)]
pub(crate) async fn replace(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PatientBody>,
) -> Result<Response, ApiError> {
    let path_id = id;
    let id = patient_id(&path_id)?;
    let expected = match expected_version(&headers) {
        Ok(v) => v,
        Err(answer) => return Ok(answer.into_response()),
    };
    let claims = body.read_only_claims(Some(&path_id))?;
    Ok(version_answer(
        app.patients(&actor)
            .update_claimed(id, &body.into(), &claims, expected)
            .await,
    ))
}

/// Searches patients by name, date of birth, phone or chart number.
///
/// The table is never decrypted to search: criteria become blind-index tokens, and only the
/// patients on the page are opened. Whole-word matches come first ("Ann" before "Anna"), then
/// matches where a word only starts a name; pages follow the order patients were registered
/// in, each sorted by name. Searching by phone needs contact access. Each patient returned is
/// named in the audit log.
#[utoipa::path(
    get,
    path = "/api/v1/patients",
    tag = "patients",
    params(SearchParams),
    responses(
        (status = 200, description = "One page of matches.", body = SearchJson),
        (status = 422, description = "`invalid`: no criterion, or one that cannot be used; `fields` names it."),
    ),
)]
pub(crate) async fn search(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    QueryParams(q): QueryParams<SearchParams>,
) -> Result<Json<SearchJson>, ApiError> {
    let found = app.patients(&actor).search(&q.query()?).await?;
    Ok(Json(found.into()))
}

/// Searches patients with the criteria in the body rather than the address.
///
/// The same criteria, answer and audit as `GET /api/v1/patients`, but names, birth dates and
/// phones stay out of URLs, and so out of browser history and the request lines that proxies
/// and load balancers log. The staff pages' search-as-you-type uses this.
#[utoipa::path(
    post,
    path = "/api/v1/patients/search",
    tag = "patients",
    request_body = SearchParams,
    responses(
        (status = 200, description = "One page of matches.", body = SearchJson),
        (status = 422, description = "`invalid`: no criterion, or one that cannot be used; `fields` names it."),
    ),
)]
pub(crate) async fn search_posted(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(q): JsonBody<SearchParams>,
) -> Result<Json<SearchJson>, ApiError> {
    let found = app.patients(&actor).search(&q.query()?).await?;
    Ok(Json(found.into()))
}

/// Marks a patient inactive. The chart stays readable; nothing is erased.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/deactivate",
    tag = "patients",
    params(
        ("id" = String, Path, description = "The patient's id."),
        ("If-Match" = Option<String>, Header, description = "Optional: the `ETag` this is based on."),
    ),
    responses(
        (status = 200, description = "Inactive; the body and `ETag` carry the new version.", body = VersionJson),
        (status = 412, description = "`precondition_failed`: the record changed since that version."),
    ),
)]
pub(crate) async fn deactivate(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = patient_id(&id)?;
    let expected = match optional_expected_version(&headers) {
        Ok(expected) => expected,
        Err(refused) => return Ok(refused.into_response()),
    };
    Ok(version_answer(
        app.patients(&actor).deactivate(id, expected).await,
    ))
}

/// Deletes a record that was created in error.
///
/// Practice administrators only (by default). The last state stays, sealed, in the version
/// history, and the deletion is audited with its reason.
#[utoipa::path(
    delete,
    path = "/api/v1/patients/{id}",
    tag = "patients",
    params(
        ("id" = String, Path, description = "The patient's id."),
        ("If-Match" = String, Header, description = "The `ETag` of the version being deleted."),
    ),
    request_body = DeleteBody,
    responses(
        (status = 204, description = "Deleted."),
        (status = 409, description = "`refused`: the patient pays for or is responsible for another patient."),
        (status = 412, description = "`precondition_failed`: the record changed since that version."),
        (status = 422, description = "`invalid`: the reason is not `created_in_error`."),
        (status = 428, description = "`precondition_required`: `If-Match` is missing."),
    ),
)]
pub(crate) async fn delete(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<DeleteBody>,
) -> Result<Response, ApiError> {
    let id = patient_id(&id)?;
    // The reason is checked before the precondition, so a wrong one is named even without
    // `If-Match` (the room checks it again).
    if body.reason != DELETE_REASON {
        return Err(super::invalid(
            "reason",
            "must be created_in_error; deactivate the patient instead",
        ));
    }
    let expected = match expected_version(&headers) {
        Ok(v) => v,
        Err(answer) => return Ok(answer.into_response()),
    };
    match app
        .patients(&actor)
        .delete(id, expected, &body.reason)
        .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(e) => Ok(change_error(e)),
    }
}

/// Lists a record's history: who changed which fields, and when.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/versions",
    tag = "patients",
    params(("id" = String, Path, description = "The patient's id."), PageParams),
    responses(
        (status = 200, description = "One page of earlier versions, oldest first.", body = VersionsJson),
        (status = 422, description = "`invalid`: `cursor` or `limit` cannot be used."),
    ),
)]
pub(crate) async fn versions(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Json<VersionsJson>, ApiError> {
    let id = patient_id(&id)?;
    let (after, limit) = cursor::page(
        List::PatientVersions,
        page.cursor.as_deref(),
        page.limit,
        (100, MAX_VERSIONS_PAGE),
    )?;
    let found = app
        .patients(&actor)
        .versions(id, after.unwrap_or(0), limit)
        .await?;
    Ok(Json(VersionsJson {
        versions: found.versions.into_iter().map(Into::into).collect(),
        next: found
            .next_after
            .map(|v| cursor::next(List::PatientVersions, v)),
    }))
}

/// Reads one earlier version of a record, as much as the caller's role may see today.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/versions/{version}",
    tag = "patients",
    params(
        ("id" = String, Path, description = "The patient's id."),
        ("version" = i64, Path, description = "A `row_version` from the history."),
    ),
    responses(
        (status = 200, description = "The record as it was.", body = PatientJson),
    ),
)]
pub(crate) async fn version(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<PatientJson>, ApiError> {
    let id = patient_id(&id)?;
    let version: i64 = version.parse().map_err(|_| ApiError(AppError::NotFound))?;
    let view = app.patients(&actor).version(id, version).await?;
    Ok(Json(view.into()))
}
