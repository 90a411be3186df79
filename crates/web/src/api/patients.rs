//! Patient records over JSON: create, read (with an `ETag`), replace (`If-Match` required),
//! search, deactivate, delete a record created in error, and the version history. What a
//! reader sees depends on their role: contact details and insurance are left out (and named
//! in `withheld`) for roles that may not see them.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enamel_app::{
    App, AppError, PatientQuery, PatientSearchPage, PatientSummary, PatientVersionSummary,
    PatientView,
};
use enamel_domain::{
    Action, AddressDraft, Category, CoverageDraft, EmergencyContactDraft, PatientDraft, PatientId,
    PhoneDraft,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::JsonBody;
use crate::{ApiError, Authenticated, ErrorBody};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PhoneBody {
    /// `mobile` (the default), `home` or `work`.
    #[serde(default)]
    kind: Option<String>,
    /// As people write it: `(555) 010-0123`, `+44 20 7946 0000`.
    number: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddressBody {
    #[serde(default)]
    line1: Option<String>,
    #[serde(default)]
    line2: Option<String>,
    #[serde(default)]
    city: Option<String>,
    /// State, province or region.
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    postal_code: Option<String>,
    /// ISO 3166-1 alpha-2; `US` when left out.
    #[serde(default)]
    country: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmergencyContactBody {
    name: String,
    #[serde(default)]
    relationship: Option<String>,
    phone: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CoverageBody {
    /// `primary`, `secondary` or `tertiary`; by position when left out.
    #[serde(default)]
    priority: Option<String>,
    carrier: String,
    #[serde(default)]
    plan: Option<String>,
    #[serde(default)]
    group_number: Option<String>,
    /// The subscriber's member id or policy number.
    subscriber_id: String,
    /// `self` (the default), `spouse`, `child` or `other`.
    #[serde(default)]
    subscriber_relationship: Option<String>,
    /// Required unless the patient is the subscriber.
    #[serde(default)]
    subscriber_name: Option<String>,
    #[serde(default)]
    subscriber_birth_date: Option<String>,
    #[serde(default)]
    effective_from: Option<String>,
    #[serde(default)]
    effective_to: Option<String>,
}

/// A patient as submitted. Only `family_name`, `given_name` and `birth_date` are required. On
/// `PUT` the body replaces the record: a field left out is cleared, except the categories the
/// caller's role may not see (they keep their values and must be left out).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatientBody {
    family_name: String,
    given_name: String,
    /// `YYYY-MM-DD`.
    birth_date: String,
    #[serde(default)]
    middle_name: Option<String>,
    #[serde(default)]
    preferred_name: Option<String>,
    /// Administrative sex: `female`, `male`, `other` or `unknown`.
    #[serde(default)]
    sex: Option<String>,
    #[serde(default)]
    gender_identity: Option<String>,
    /// A language tag: `en`, `es`, `pt-BR`.
    #[serde(default)]
    preferred_language: Option<String>,
    /// Up to 20 letters, digits or hyphens; unique in the practice.
    #[serde(default)]
    chart_number: Option<String>,
    /// `active` (the default), `inactive`, `deceased` or `archived`.
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phones: Vec<PhoneBody>,
    #[serde(default)]
    address: Option<AddressBody>,
    #[serde(default)]
    emergency_contact: Option<EmergencyContactBody>,
    /// The patient who receives the household's statement; the patient themself when left out.
    #[serde(default)]
    guarantor_id: Option<String>,
    /// The adult responsible for a minor.
    #[serde(default)]
    responsible_party_id: Option<String>,
    #[serde(default)]
    coverages: Vec<CoverageBody>,
}

impl From<PatientBody> for PatientDraft {
    fn from(b: PatientBody) -> Self {
        PatientDraft {
            family_name: b.family_name,
            given_name: b.given_name,
            birth_date: b.birth_date,
            middle_name: b.middle_name,
            preferred_name: b.preferred_name,
            sex: b.sex,
            gender_identity: b.gender_identity,
            preferred_language: b.preferred_language,
            chart_number: b.chart_number,
            status: b.status,
            email: b.email,
            phones: b
                .phones
                .into_iter()
                .map(|p| PhoneDraft {
                    kind: p.kind,
                    number: p.number,
                })
                .collect(),
            address: b.address.map(|a| AddressDraft {
                line1: a.line1,
                line2: a.line2,
                city: a.city,
                region: a.region,
                postal_code: a.postal_code,
                country: a.country,
            }),
            emergency_contact: b.emergency_contact.map(|e| EmergencyContactDraft {
                name: e.name,
                relationship: e.relationship,
                phone: e.phone,
            }),
            guarantor_id: b.guarantor_id,
            responsible_party_id: b.responsible_party_id,
            coverages: b
                .coverages
                .into_iter()
                .map(|c| CoverageDraft {
                    priority: c.priority,
                    carrier: c.carrier,
                    plan: c.plan,
                    group_number: c.group_number,
                    subscriber_id: c.subscriber_id,
                    subscriber_relationship: c.subscriber_relationship,
                    subscriber_name: c.subscriber_name,
                    subscriber_birth_date: c.subscriber_birth_date,
                    effective_from: c.effective_from,
                    effective_to: c.effective_to,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PhoneJson {
    kind: String,
    /// E.164: `+15550100123`.
    number: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AddressJson {
    line1: Option<String>,
    line2: Option<String>,
    city: Option<String>,
    region: Option<String>,
    postal_code: Option<String>,
    country: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EmergencyContactJson {
    name: String,
    relationship: Option<String>,
    phone: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CoverageJson {
    priority: String,
    carrier: String,
    plan: Option<String>,
    group_number: Option<String>,
    subscriber_id: String,
    subscriber_relationship: String,
    subscriber_name: Option<String>,
    subscriber_birth_date: Option<String>,
    effective_from: Option<String>,
    effective_to: Option<String>,
}

/// A patient as the caller's role may see it. The same field names as [`PatientBody`], plus
/// the record's own: `id`, `row_version` (also the `ETag`), `is_minor`, `household_id`,
/// times, and `withheld`.
#[derive(Serialize, ToSchema)]
pub(crate) struct PatientJson {
    id: String,
    row_version: i64,
    status: String,
    family_name: String,
    given_name: String,
    middle_name: Option<String>,
    preferred_name: Option<String>,
    birth_date: String,
    sex: Option<String>,
    gender_identity: Option<String>,
    preferred_language: Option<String>,
    chart_number: Option<String>,
    is_minor: bool,
    household_id: Option<String>,
    guarantor_id: Option<String>,
    responsible_party_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phones: Option<Vec<PhoneJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<AddressJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    emergency_contact: Option<EmergencyContactJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coverages: Option<Vec<CoverageJson>>,
    /// Categories left out because the caller's role may not see them: `contact`,
    /// `insurance`.
    withheld: Vec<&'static str>,
    /// Opened through break-glass emergency access.
    emergency_access: bool,
    created_ms: i64,
    updated_ms: i64,
}

impl From<PatientView> for PatientJson {
    fn from(p: PatientView) -> Self {
        let mut withheld = Vec::new();
        if p.contact.is_none() {
            withheld.push("contact");
        }
        if p.coverages.is_none() {
            withheld.push("insurance");
        }
        let (email, phones, address, emergency_contact) = match p.contact {
            Some(c) => (
                c.email,
                Some(
                    c.phones
                        .into_iter()
                        .map(|ph| PhoneJson {
                            kind: ph.kind,
                            number: ph.number,
                        })
                        .collect(),
                ),
                c.address.map(|a| AddressJson {
                    line1: a.line1,
                    line2: a.line2,
                    city: a.city,
                    region: a.region,
                    postal_code: a.postal_code,
                    country: a.country,
                }),
                c.emergency_contact.map(|e| EmergencyContactJson {
                    name: e.name,
                    relationship: e.relationship,
                    phone: e.phone,
                }),
            ),
            None => (None, None, None, None),
        };
        PatientJson {
            id: p.id.to_string(),
            row_version: p.row_version,
            status: p.status,
            family_name: p.family_name,
            given_name: p.given_name,
            middle_name: p.middle_name,
            preferred_name: p.preferred_name,
            birth_date: p.birth_date,
            sex: p.sex,
            gender_identity: p.gender_identity,
            preferred_language: p.preferred_language,
            chart_number: p.chart_number,
            is_minor: p.is_minor,
            household_id: p.household_id,
            guarantor_id: p.guarantor_id,
            responsible_party_id: p.responsible_party_id,
            email,
            phones,
            address,
            emergency_contact,
            coverages: p.coverages.map(|cs| {
                cs.into_iter()
                    .map(|c| CoverageJson {
                        priority: c.priority,
                        carrier: c.carrier,
                        plan: c.plan,
                        group_number: c.group_number,
                        subscriber_id: c.subscriber_id,
                        subscriber_relationship: c.subscriber_relationship,
                        subscriber_name: c.subscriber_name,
                        subscriber_birth_date: c.subscriber_birth_date,
                        effective_from: c.effective_from,
                        effective_to: c.effective_to,
                    })
                    .collect()
            }),
            withheld,
            emergency_access: p.emergency,
            created_ms: p.created_ms,
            updated_ms: p.updated_ms,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedJson {
    id: String,
    row_version: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct VersionJson {
    row_version: i64,
}

/// An id in a path: anything but a canonical patient id is simply not found.
fn patient_id(raw: &str) -> Result<PatientId, ApiError> {
    raw.parse().map_err(|_| ApiError(AppError::NotFound))
}

/// The entity tag of a record version: `"<row_version>"`.
fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// What an `If-Match` header asks for.
enum IfMatch {
    Missing,
    Any,
    Version(i64),
    /// A tag that can never match a record version (a stale or foreign one).
    Other,
}

fn if_match(headers: &HeaderMap) -> IfMatch {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return IfMatch::Missing;
    };
    let Ok(text) = value.to_str() else {
        return IfMatch::Other;
    };
    let text = text.trim();
    if text == "*" {
        return IfMatch::Any;
    }
    let tag = text.strip_prefix("W/").unwrap_or(text);
    tag.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse().ok())
        .map_or(IfMatch::Other, IfMatch::Version)
}

fn precondition_required() -> Response {
    (
        StatusCode::PRECONDITION_REQUIRED,
        Json(ErrorBody::new(
            "precondition_required",
            "Send the record's ETag in an If-Match header, so that nobody's change is overwritten.",
        )),
    )
        .into_response()
}

fn precondition_failed() -> Response {
    (
        StatusCode::PRECONDITION_FAILED,
        Json(ErrorBody::new(
            "precondition_failed",
            "The record was changed by someone else since you read it. Read it again and reapply your change.",
        )),
    )
        .into_response()
}

/// The version an `If-Match` names, reading the current one for `*`; an answer instead when
/// the header is missing or can never match.
async fn expected_version(
    app: &App,
    actor: &enamel_app::Actor,
    id: PatientId,
    headers: &HeaderMap,
) -> Result<i64, Response> {
    match if_match(headers) {
        IfMatch::Missing => Err(precondition_required()),
        IfMatch::Other => Err(precondition_failed()),
        IfMatch::Version(v) => Ok(v),
        IfMatch::Any => {
            let access = app
                .authorize(actor, Category::Demographics, Action::View, Some(id))
                .await
                .map_err(|e| ApiError(e).into_response())?;
            app.read_patient(&access, id)
                .await
                .map(|p| p.row_version)
                .map_err(|e| ApiError(e).into_response())
        }
    }
}

/// A stale version is `412` here (the caller sent a precondition), not `409`.
fn change_error(e: AppError) -> Response {
    match e {
        AppError::Conflict => precondition_failed(),
        other => ApiError(other).into_response(),
    }
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
#[utoipa::path(
    post,
    path = "/api/v1/patients",
    tag = "patients",
    request_body = PatientBody,
    responses(
        (status = 201, description = "Created; `Location` names the new record and `ETag` its version.", body = CreatedJson),
        (status = 422, description = "`invalid`: `fields` names each field that needs attention (`phones[1].number`)."),
    ),
)]
pub(crate) async fn create(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<PatientBody>,
) -> Result<Response, ApiError> {
    let access = app
        .authorize(&actor, Category::Demographics, Action::Create, None)
        .await?;
    let id = app.create_patient(&access, &body.into()).await?;
    Ok((
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
        .into_response())
}

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
    let access = app
        .authorize(&actor, Category::Demographics, Action::View, Some(id))
        .await?;
    let patient = app.read_patient(&access, id).await?;
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
        (status = 422, description = "`invalid`: `fields` names each field that needs attention."),
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
    let id = patient_id(&id)?;
    let expected = match expected_version(&app, &actor, id, &headers).await {
        Ok(v) => v,
        Err(answer) => return Ok(answer),
    };
    Ok(version_answer(
        app.update_patient(&actor, id, &body.into(), expected).await,
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchParams {
    /// Words of the patient's names; each matches the start of a name word, ignoring case
    /// and accents (`mol de` finds "Demo Molar").
    name: Option<String>,
    /// `YYYY-MM-DD`.
    birth_date: Option<String>,
    /// A whole phone number, written any usual way.
    phone: Option<String>,
    /// The chart number.
    chart: Option<String>,
    /// `active`, `inactive`, `deceased` or `archived`; any when left out.
    status: Option<String>,
    /// 1-based; 1 when left out.
    page: Option<u32>,
    /// 1–100; 25 when left out.
    per_page: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SummaryJson {
    id: String,
    family_name: String,
    given_name: String,
    preferred_name: Option<String>,
    birth_date: String,
    chart_number: Option<String>,
    status: String,
    /// The first phone number, only for roles that may see contact details.
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
}

impl From<PatientSummary> for SummaryJson {
    fn from(s: PatientSummary) -> Self {
        SummaryJson {
            id: s.id.to_string(),
            family_name: s.family_name,
            given_name: s.given_name,
            preferred_name: s.preferred_name,
            birth_date: s.birth_date,
            chart_number: s.chart_number,
            status: s.status,
            phone: s.phone,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SearchJson {
    results: Vec<SummaryJson>,
    page: u32,
    per_page: u32,
    /// Patients matching (counted among at most the first 1,000 candidates).
    total: usize,
    /// More patients match than were considered: add letters or another criterion.
    truncated: bool,
}

/// Searches patients by name, date of birth, phone or chart number.
///
/// The table is never decrypted to search: criteria become blind-index tokens. Results are
/// sorted by family name, given name and date of birth, whole-word matches first.
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
    Query(q): Query<SearchParams>,
) -> Result<Json<SearchJson>, ApiError> {
    let query = PatientQuery {
        name: q.name,
        birth_date: q.birth_date,
        phone: q.phone,
        chart: q.chart,
        status: q.status,
        page: q.page.unwrap_or(1),
        per_page: q.per_page.unwrap_or(25),
    };
    let PatientSearchPage {
        results,
        page,
        per_page,
        total,
        truncated,
    } = app.search_patients(&actor, &query).await?;
    Ok(Json(SearchJson {
        results: results.into_iter().map(SummaryJson::from).collect(),
        page,
        per_page,
        total,
        truncated,
    }))
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
    let expected = match if_match(&headers) {
        IfMatch::Missing | IfMatch::Any => None,
        IfMatch::Version(v) => Some(v),
        IfMatch::Other => return Ok(precondition_failed()),
    };
    Ok(version_answer(
        app.deactivate_patient(&actor, id, expected).await,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteBody {
    /// Must be `created_in_error`: records are otherwise deactivated, never deleted.
    reason: String,
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
    if body.reason != "created_in_error" {
        return Err(super::invalid(
            "reason",
            "must be created_in_error; deactivate the patient instead",
        ));
    }
    let expected = match expected_version(&app, &actor, id, &headers).await {
        Ok(v) => v,
        Err(answer) => return Ok(answer),
    };
    match app.delete_patient(&actor, id, expected).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(e) => Ok(change_error(e)),
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct VersionSummaryJson {
    /// The version this entry preserves: the state before the change.
    row_version: i64,
    /// `update`, `deactivate` or `delete`.
    change: String,
    /// Names of the fields that changed (never their values).
    changed_fields: Vec<String>,
    /// The user id (or `token:<id>`) who made the change.
    changed_by: String,
    changed_ms: i64,
}

impl From<PatientVersionSummary> for VersionSummaryJson {
    fn from(v: PatientVersionSummary) -> Self {
        VersionSummaryJson {
            row_version: v.row_version,
            change: v.change,
            changed_fields: v.changed_fields,
            changed_by: v.changed_by,
            changed_ms: v.changed_ms,
        }
    }
}

/// Lists a record's history: who changed which fields, and when.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/versions",
    tag = "patients",
    params(("id" = String, Path, description = "The patient's id.")),
    responses(
        (status = 200, description = "Earlier versions, oldest first.", body = Vec<VersionSummaryJson>),
    ),
)]
pub(crate) async fn versions(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<VersionSummaryJson>>, ApiError> {
    let id = patient_id(&id)?;
    let versions = app.patient_versions(&actor, id).await?;
    Ok(Json(versions.into_iter().map(Into::into).collect()))
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
    let view = app.read_patient_version(&actor, id, version).await?;
    Ok(Json(view.into()))
}
