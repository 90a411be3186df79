use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use enamel_app::App;
use enamel_app::auth::EmergencyDecision;
use enamel_domain::PatientId;
use serde::{Deserialize, Serialize};

use super::{JsonBody, invalid};
use crate::{ApiError, Authenticated};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpenBody {
    patient_id: String,
    justification: String,
}

#[derive(Serialize)]
pub(crate) struct GrantJson {
    id: String,
    patient_id: String,
    expires_ms: i64,
}

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
            expires_ms: grant.expires_ms,
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewsQuery {
    /// `pending` (default) or `all`.
    status: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct ReviewJson {
    id: String,
    user_id: String,
    patient_id: String,
    justification: String,
    created_ms: i64,
    expires_ms: i64,
    review_status: String,
    reviewed_by: Option<String>,
    reviewed_ms: Option<i64>,
}

pub(crate) async fn reviews(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Query(q): Query<ReviewsQuery>,
) -> Result<Json<Vec<ReviewJson>>, ApiError> {
    let pending_only = match q.status.as_deref() {
        None | Some("pending") => true,
        Some("all") => false,
        Some(_) => return Err(invalid("status", "Use pending or all.")),
    };
    let items = app.emergency_reviews(&actor, pending_only).await?;
    Ok(Json(
        items
            .into_iter()
            .map(|i| ReviewJson {
                justification: i.justification.to_string(),
                id: i.id,
                user_id: i.user_id,
                patient_id: i.patient_id,
                created_ms: i.created_ms,
                expires_ms: i.expires_ms,
                review_status: i.review_status,
                reviewed_by: i.reviewed_by,
                reviewed_ms: i.reviewed_ms,
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewBody {
    decision: String,
}

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
