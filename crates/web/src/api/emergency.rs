use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use enamel_app::App;
use enamel_app::auth::{EmergencyDecision, MAX_REVIEW_PAGE};
use enamel_domain::PatientId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::cursor::{self, List};
use super::{JsonBody, QueryParams, invalid};
use crate::{ApiError, Authenticated};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpenBody {
    #[schema(pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    patient_id: String,
    /// Why the record is needed now: 20 to 2,000 characters (leading and trailing spaces not
    /// counted). Reviewed afterwards.
    #[schema(pattern = r"^\s*\S[\s\S]{18,1998}\S\s*$")]
    justification: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct GrantJson {
    id: String,
    patient_id: String,
    /// RFC 3339 in UTC.
    #[schema(format = DateTime)]
    expires_at: String,
}

/// Opens emergency ("break-glass") access to one patient's record for a short window.
///
/// Audited, and reviewed afterwards by the compliance officer.
#[utoipa::path(
    post,
    path = "/api/v1/emergency-access",
    tag = "emergency-access",
    request_body = OpenBody,
    responses(
        (status = 201, description = "Granted until `expires_at`.", body = GrantJson),
        (status = 404, description = "`not_found`: no such patient in the practice."),
        (status = 409, description = "`refused`: the compliance officer stopped an earlier emergency access of yours to this patient (escalated or ended early); it is not reopened without them."),
        (status = 422, description = "Also when `patient_id` is not a patient id or the justification is too short."),
    ),
)]
pub(crate) async fn open(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<OpenBody>,
) -> Result<(StatusCode, Json<GrantJson>), ApiError> {
    let patient: PatientId = body
        .patient_id
        .parse()
        .map_err(|_| invalid("patient_id", "This is not a patient id."))?;
    let grant = app
        .open_emergency_access(&actor, patient, &body.justification)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(GrantJson {
            id: grant.id,
            patient_id: grant.patient_id.to_string(),
            expires_at: crate::api::instant(grant.expires_ms),
        }),
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReviewsQuery {
    /// `pending` (default, oldest first) or `all` (newest first).
    #[param(pattern = "^(pending|all)$")]
    status: Option<String>,
    /// The `next` of the previous page; leave out for the first.
    #[param(pattern = "^[A-Za-z0-9_-]{0,200}$")]
    cursor: Option<String>,
    /// Emergency accesses per page, 1 to 500 (500 if left out).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ReviewJson {
    id: String,
    user_id: String,
    patient_id: String,
    justification: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    expires_at: String,
    /// `pending`, `accepted` or `escalated`.
    review_status: String,
    reviewed_by: Option<String>,
    #[schema(format = DateTime)]
    reviewed_at: Option<String>,
}

/// Lists emergency accesses for review.
#[utoipa::path(
    get,
    path = "/api/v1/emergency-access",
    tag = "emergency-access",
    params(ReviewsQuery),
    responses(
        (status = 200, description = "One page of emergency accesses: pending ones oldest first (none is hidden behind newer ones), all of them newest first.", body = ReviewsJson),
        (status = 422, description = "`invalid`: `status` is neither `pending` nor `all`, or `cursor` or `limit` cannot be used."),
    ),
)]
pub(crate) async fn reviews(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    QueryParams(q): QueryParams<ReviewsQuery>,
) -> Result<Json<ReviewsJson>, ApiError> {
    let pending_only = match q.status.as_deref() {
        None | Some("pending") => true,
        Some("all") => false,
        Some(_) => return Err(invalid("status", "Use pending or all.")),
    };
    let (after, limit): (Option<uuid::Uuid>, i64) = cursor::page(
        List::EmergencyAccess,
        q.cursor.as_deref(),
        q.limit,
        (MAX_REVIEW_PAGE, MAX_REVIEW_PAGE),
    )?;
    let after = after.map(|id| id.hyphenated().to_string());
    // One more than asked tells whether there is a next page.
    let mut items = app
        .emergency_reviews(&actor, pending_only, after.as_deref(), limit + 1)
        .await?;
    let more = items.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    items.truncate(usize::try_from(limit).unwrap_or(0));
    let next = more
        .then(|| {
            items
                .last()
                .map(|i| cursor::next(List::EmergencyAccess, &i.id))
        })
        .flatten();
    let accesses = items
        .into_iter()
        .map(|i| ReviewJson {
            justification: i.justification.to_string(),
            id: i.id,
            user_id: i.user_id,
            patient_id: i.patient_id,
            created_at: crate::api::instant(i.created_ms),
            expires_at: crate::api::instant(i.expires_ms),
            review_status: i.review_status,
            reviewed_by: i.reviewed_by,
            reviewed_at: crate::api::maybe_instant(i.reviewed_ms),
        })
        .collect();
    Ok(Json(ReviewsJson { accesses, next }))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ReviewsJson {
    accesses: Vec<ReviewJson>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    next: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewBody {
    #[schema(schema_with = decision_schema)]
    decision: String,
}

/// `accepted` or `escalated`.
fn decision_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["accepted", "escalated"]))
        .description(Some("`accepted` or `escalated`."))
        .into()
}

/// Records the review of an emergency access.
#[utoipa::path(
    post,
    path = "/api/v1/emergency-access/{id}/review",
    tag = "emergency-access",
    params(("id", description = "An emergency access id.")),
    request_body = ReviewBody,
    responses(
        (status = 204, description = "Reviewed."),
        (status = 409, description = "`conflict`: it has already been reviewed. `refused`: you cannot review your own emergency access."),
    ),
)]
pub(crate) async fn review(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReviewBody>,
) -> Result<StatusCode, ApiError> {
    let decision = EmergencyDecision::parse(&body.decision)
        .ok_or_else(|| invalid("decision", "Use accepted or escalated."))?;
    app.review_emergency_access(&actor, &id, decision).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends an emergency access at once, whatever its review status.
///
/// Audited as a review with reason `revoked`. A pending one is escalated with it: its holder
/// cannot open another to the same patient.
#[utoipa::path(
    post,
    path = "/api/v1/emergency-access/{id}/revoke",
    tag = "emergency-access",
    params(("id", description = "An emergency access id.")),
    responses(
        (status = 204, description = "Ended: it opens nothing any more."),
        (status = 404, description = "`not_found`: no such emergency access in the practice."),
        (status = 409, description = "`refused`: it has already ended."),
    ),
)]
pub(crate) async fn revoke(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.revoke_emergency_access(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
