//! Tooth states over JSON: what each tooth is (present, missing, unerupted, impacted, an
//! implant), recorded one change at a time and listed as the history of changes. The chart
//! (`GET /api/v1/patients/{id}/chart`) shows the states as they stand, in `teeth`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enamel_app::{App, AppError, ToothStateView};
use enamel_domain::PatientId;
use enamel_domain::clinical::{Numbering, ToothState, ToothStateDraft};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::cursor::{self, List};
use super::super::{JsonBody, QueryParams};
use super::ProcedurePageParams;
use crate::api::instant;
use crate::{ApiError, Authenticated};

/// The most changes on one page of a patient's history.
const MAX_CHANGES_PAGE: i64 = 500;

/// What a tooth is.
#[derive(Deserialize, Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ToothStateJson {
    /// Simply there: what every tooth is until charted otherwise; records a correction.
    Present,
    Missing,
    Unerupted,
    Impacted,
    /// An implant in place of a permanent tooth (never a primary one).
    Implant,
}

impl ToothStateJson {
    fn of(state: ToothState) -> ToothStateJson {
        match state {
            ToothState::Present => ToothStateJson::Present,
            ToothState::Missing => ToothStateJson::Missing,
            ToothState::Unerupted => ToothStateJson::Unerupted,
            ToothState::Impacted => ToothStateJson::Impacted,
            ToothState::Implant => ToothStateJson::Implant,
        }
    }

    fn domain(self) -> ToothState {
        match self {
            ToothStateJson::Present => ToothState::Present,
            ToothStateJson::Missing => ToothState::Missing,
            ToothStateJson::Unerupted => ToothState::Unerupted,
            ToothStateJson::Impacted => ToothState::Impacted,
            ToothStateJson::Implant => ToothState::Implant,
        }
    }
}

/// A change of one tooth's state: `{"tooth": "1", "state": "missing"}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ToothStateBody {
    /// Universal numbering: `1`–`32`, `A`–`T`, supernumerary `51`–`82` and `AS`–`TS`.
    #[schema(
        pattern = r"^\s*(?:[1-9]|[12][0-9]|3[0-2]|5[1-9]|6[0-9]|7[0-9]|8[0-2]|[A-Ta-t][Ss]?)\s*$"
    )]
    tooth: String,
    state: ToothStateJson,
}

/// Whether a tooth is of the primary or the permanent dentition (from its number).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DentitionJson {
    Primary,
    Permanent,
}

/// One recorded change of a tooth's state; in the chart, the change that put a tooth in the
/// state it is in.
#[derive(Serialize, ToSchema)]
pub(crate) struct ToothStateChangeJson {
    id: String,
    patient_id: String,
    /// Universal numbering (the stored form).
    tooth: String,
    /// The tooth as the practice reads it (Universal or FDI).
    tooth_display: String,
    dentition: DentitionJson,
    state: ToothStateJson,
    #[schema(format = DateTime)]
    recorded_at: String,
    recorded_by: String,
}

impl ToothStateChangeJson {
    pub(crate) fn of(v: ToothStateView, numbering: Numbering) -> ToothStateChangeJson {
        ToothStateChangeJson {
            id: v.id.to_string(),
            patient_id: v.patient_id.to_string(),
            tooth: v.tooth.to_string(),
            tooth_display: v.tooth.display(numbering),
            dentition: if v.tooth.is_primary() {
                DentitionJson::Primary
            } else {
                DentitionJson::Permanent
            },
            state: ToothStateJson::of(v.state),
            recorded_at: instant(v.recorded_ms),
            recorded_by: v.recorded_by,
        }
    }
}

/// One page of a patient's tooth-state changes, oldest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct ToothStateChangesJson {
    items: Vec<ToothStateChangeJson>,
    /// The cursor of the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

fn patient_id(raw: &str) -> Result<PatientId, ApiError> {
    raw.parse().map_err(|_| ApiError(AppError::NotFound))
}

/// Records what a tooth now is.
///
/// A change is never altered afterwards: a wrong state is corrected by recording the right one
/// (`present` included). The chart shows the latest change of each tooth.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/tooth-states",
    tag = "chart",
    params(("id" = String, Path, description = "The patient's id.")),
    request_body = ToothStateBody,
    responses(
        (status = 201, description = "Recorded; `Location` names the patient's history of changes.", body = ToothStateChangeJson),
        (status = 422, description = "`invalid`: `fields` names the member that needs attention (`tooth 33 does not exist`, an implant on a primary tooth)."),
    ),
)]
pub(crate) async fn record_tooth_state(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ToothStateBody>,
) -> Result<Response, ApiError> {
    let patient = patient_id(&id)?;
    let draft = ToothStateDraft {
        tooth: body.tooth,
        state: body.state.domain().as_str().to_string(),
    };
    let chart = app.chart(&actor);
    let view = chart.record_tooth_state(patient, &draft).await?;
    let numbering = chart.numbering().await?;
    let location = HeaderValue::from_str(&format!("/api/v1/patients/{patient}/tooth-states"))
        .unwrap_or(HeaderValue::from_static("/api/v1/patients"));
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(ToothStateChangeJson::of(view, numbering)),
    )
        .into_response())
}

/// Every change of a patient's tooth states, oldest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/tooth-states",
    tag = "chart",
    params(("id" = String, Path, description = "The patient's id."), ProcedurePageParams),
    responses(
        (status = 200, description = "One page.", body = ToothStateChangesJson),
        (status = 422, description = "`invalid`: `cursor` or `limit` cannot be used."),
    ),
)]
pub(crate) async fn list_tooth_states(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    QueryParams(page): QueryParams<ProcedurePageParams>,
) -> Result<Json<ToothStateChangesJson>, ApiError> {
    let patient = patient_id(&id)?;
    let (after, limit) = cursor::page::<String>(
        List::ToothStates,
        page.cursor.as_deref(),
        page.limit,
        (100, MAX_CHANGES_PAGE),
    )?;
    let chart = app.chart(&actor);
    let mut changes = chart.tooth_state_history(patient).await?;
    // Pages follow the ids (time-ordered), which is the order of recording.
    changes.sort_by_key(|c| c.id.to_string());
    let numbering = chart.numbering().await?;
    let (rest, next) = cursor::page_by_id(
        List::ToothStates,
        changes,
        |c| c.id,
        after.as_deref(),
        limit,
    );
    Ok(Json(ToothStateChangesJson {
        items: rest
            .into_iter()
            .map(|c| ToothStateChangeJson::of(c, numbering))
            .collect(),
        next,
    }))
}
