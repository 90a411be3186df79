//! Treatment plans over JSON: drafted from the patient's planned procedures, replaced while a
//! draft (`If-Match`), presented (frozen), accepted with a drawn or typed signature, declined
//! or superseded. The front desk and billing read totals only.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enamel_app::{App, AppError, PlanClaims, PlanView, SignatureCheck};
use enamel_domain::clinical::{
    AcceptanceDraft, LineDraft, PhaseDraft, PlanDraft, PlanStatus, SignatureDraft,
};
use enamel_domain::{PatientId, PlanId};
use serde::Deserialize;
use utoipa::ToSchema;

use super::super::cursor::{self, List};
use super::super::precondition::{
    change_error, etag, expected_version_for_room, optional_expected_version_for_room,
};
use super::super::{JsonBody, QueryParams};
use super::ProcedurePageParams;
use super::dto::CURRENCY;
use super::notes::SignatureCheckJson;
pub(crate) use super::plan_json::{PlanJson, PlansJson};
use crate::{ApiError, Authenticated};

const MAX_PLANS_PAGE: i64 = 500;

fn plan_id(raw: &str) -> Result<PlanId, ApiError> {
    raw.parse().map_err(|_| ApiError(AppError::NotFound))
}

/// One planned procedure in a phase. Money in cents.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LineBody {
    /// A planned procedure of this patient.
    #[schema(pattern = r"^\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s*$")]
    procedure_id: String,
    /// 0 when left out; at most the procedure's fee.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 99_999_999)]
    insurance_estimate: Option<i64>,
    /// The fee less the estimate when left out; with the estimate at most the fee.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 99_999_999)]
    patient_portion: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PhaseBody {
    #[schema(
        max_length = 100,
        pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*[^\s<>{}\\;\x00-\x1f\x7f-\x9f][^<>{}\\;\x00-\x1f\x7f-\x9f]*$"
    )]
    name: String,
    #[schema(min_items = 1, max_items = 100)]
    lines: Vec<LineBody>,
}

/// A plan: 1 to 10 ordered phases of the patient's planned procedures, each procedure once,
/// at most 100 in all. On `PUT`, what a `GET` answered may be sent back: the read-only members
/// are compared with the draft as stored, ignored when equal and refused by name when changed
/// (`lines` and `totals`, computed from the phases, are ignored). On `POST` they are refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanBody {
    #[schema(
        max_length = 200,
        pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*[^\s<>{}\\;\x00-\x1f\x7f-\x9f][^<>{}\\;\x00-\x1f\x7f-\x9f]*$"
    )]
    title: String,
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    note: Option<String>,
    #[schema(min_items = 1, max_items = 10)]
    phases: Vec<PhaseBody>,
    #[serde(default)]
    #[schema(read_only)]
    id: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    patient_id: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    status: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    row_version: Option<i64>,
    #[serde(default)]
    #[schema(read_only, value_type = Option<Vec<Object>>)]
    lines: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
    #[serde(default)]
    #[schema(read_only, value_type = Option<Object>)]
    totals: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    #[schema(read_only)]
    currency: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    acceptance_check: Option<SignatureCheckJson>,
    #[serde(default)]
    #[schema(read_only)]
    totals_only: Option<bool>,
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<String>, format = DateTime)]
    presented_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<String>)]
    presented_by: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<Object>)]
    acceptance: Option<Option<serde_json::Map<String, serde_json::Value>>>,
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<String>, format = DateTime)]
    decided_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<String>)]
    decided_by: Option<Option<String>>,
    #[serde(default)]
    #[schema(read_only, format = DateTime)]
    created_at: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    created_by: Option<String>,
    #[serde(default)]
    #[schema(read_only, format = DateTime)]
    updated_at: Option<String>,
}

impl PlanBody {
    fn draft(&self) -> PlanDraft {
        PlanDraft {
            title: self.title.clone(),
            note: self.note.clone(),
            phases: self
                .phases
                .iter()
                .map(|p| PhaseDraft {
                    name: p.name.clone(),
                    lines: p
                        .lines
                        .iter()
                        .map(|l| LineDraft {
                            procedure_id: l.procedure_id.trim().to_string(),
                            insurance_estimate: l.insurance_estimate,
                            patient_portion: l.patient_portion,
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// The read-only members sent back, for the room to compare (the currency here: it is
    /// the API's).
    fn claims(&self) -> Result<PlanClaims, ApiError> {
        let refused = |field: &str, problem: &str| {
            ApiError(AppError::Invalid(vec![enamel_domain::FieldProblem::new(
                field.to_string(),
                problem.to_string(),
            )]))
        };
        if self.currency.as_deref().is_some_and(|c| c != CURRENCY) {
            return Err(refused("currency", enamel_app::READ_ONLY));
        }
        let instant = |field: &str, text: &Option<String>| match text {
            None => Ok(None),
            Some(text) => crate::api::parse_instant(text)
                .map(Some)
                .ok_or_else(|| refused(field, "must be an instant written as RFC 3339")),
        };
        let maybe_instant = |field: &str, text: &Option<Option<String>>| match text {
            None => Ok(None),
            Some(None) => Ok(Some(None)),
            Some(text) => instant(field, text).map(Some),
        };
        Ok(PlanClaims {
            id: self.id.clone(),
            patient_id: self.patient_id.clone(),
            status: self.status.clone(),
            row_version: self.row_version,
            acceptance_check: self.acceptance_check.map(|c| match c {
                SignatureCheckJson::Unsigned => SignatureCheck::Unsigned,
                SignatureCheckJson::Valid => SignatureCheck::Valid,
                SignatureCheckJson::Invalid => SignatureCheck::Invalid,
            }),
            totals_only: self.totals_only,
            presented_ms: maybe_instant("presented_at", &self.presented_at)?,
            presented_by: self.presented_by.clone(),
            acceptance: self.acceptance.as_ref().map(Option::is_some),
            decided_ms: maybe_instant("decided_at", &self.decided_at)?,
            decided_by: self.decided_by.clone(),
            created_ms: instant("created_at", &self.created_at)?,
            created_by: self.created_by.clone(),
            updated_ms: instant("updated_at", &self.updated_at)?,
        })
    }

    fn refuse_read_only(&self) -> Result<(), ApiError> {
        let sent = self.id.is_some()
            || self.patient_id.is_some()
            || self.status.is_some()
            || self.row_version.is_some()
            || self.lines.is_some()
            || self.totals.is_some()
            || self.currency.is_some()
            || self.acceptance_check.is_some()
            || self.totals_only.is_some()
            || self.presented_at.is_some()
            || self.presented_by.is_some()
            || self.acceptance.is_some()
            || self.decided_at.is_some()
            || self.decided_by.is_some()
            || self.created_at.is_some()
            || self.created_by.is_some()
            || self.updated_at.is_some();
        if sent {
            return Err(ApiError(AppError::Invalid(vec![
                enamel_domain::FieldProblem::new(
                    "plan",
                    "holds members the server sets (id, status, totals, …): leave them out of a new plan",
                ),
            ])));
        }
        Ok(())
    }
}

/// A coordinate of a drawn signature on a 1000 × 1000 pad.
#[derive(Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(minimum = 0, maximum = 1000)]
pub(crate) struct Coordinate(i64);

/// A signature: the signer's name typed out, or pen strokes.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum SignatureBody {
    Typed {
        #[schema(
            max_length = 200,
            pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*[^\s<>{}\\;\x00-\x1f\x7f-\x9f][^<>{}\\;\x00-\x1f\x7f-\x9f]*$"
        )]
        text: String,
    },
    Drawn {
        /// 1 to 50 strokes of 2 or more `[x, y]` points (0 to 1000 each), 5000 points in all.
        #[schema(min_items = 1, max_items = 50)]
        strokes: Vec<Vec<Vec<Coordinate>>>,
    },
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AcceptedByJson {
    Patient,
    ResponsibleParty,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ChannelJson {
    InOffice,
    Portal,
}

/// The patient's (or responsible party's) acceptance of a presented plan.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AcceptBody {
    accepted_by: AcceptedByJson,
    #[schema(
        max_length = 200,
        pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*[^\W\d_][^<>{}\\;\x00-\x1f\x7f-\x9f]*$"
    )]
    signer_name: String,
    channel: ChannelJson,
    signature: SignatureBody,
}

impl AcceptBody {
    fn draft(self) -> AcceptanceDraft {
        AcceptanceDraft {
            accepted_by: match self.accepted_by {
                AcceptedByJson::Patient => "patient",
                AcceptedByJson::ResponsibleParty => "responsible_party",
            }
            .into(),
            signer_name: self.signer_name,
            channel: match self.channel {
                ChannelJson::InOffice => "in_office",
                ChannelJson::Portal => "portal",
            }
            .into(),
            signature: match self.signature {
                SignatureBody::Typed { text } => SignatureDraft::Typed { text },
                SignatureBody::Drawn { strokes } => SignatureDraft::Drawn {
                    strokes: strokes
                        .into_iter()
                        .map(|s| {
                            s.into_iter()
                                .map(|p| p.into_iter().map(|c| c.0).collect())
                                .collect()
                        })
                        .collect(),
                },
            },
        }
    }
}

fn plan_answer(status: StatusCode, view: PlanView) -> Response {
    let version = view.row_version;
    (
        status,
        [(header::ETAG, etag(version))],
        Json(PlanJson::from(view)),
    )
        .into_response()
}

fn plan_result(result: Result<PlanView, AppError>) -> Response {
    match result {
        Ok(view) => plan_answer(StatusCode::OK, view),
        Err(e) => change_error(e),
    }
}

/// Drafts a plan from the patient's planned procedures.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/treatment-plans",
    tag = "treatment plans",
    params(("id" = String, Path, description = "The patient's id.")),
    request_body = PlanBody,
    responses(
        (status = 201, description = "Drafted; `Location` names it.", body = PlanJson),
        (status = 422, description = "`invalid`: `fields` names each line that needs attention (`phases[0].lines[1].insurance_estimate`)."),
    ),
)]
pub(crate) async fn create_plan(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PlanBody>,
) -> Result<Response, ApiError> {
    let patient: PatientId = id.parse().map_err(|_| ApiError(AppError::NotFound))?;
    body.refuse_read_only()?;
    let view = app
        .chart(&actor)
        .create_plan(patient, &body.draft())
        .await?;
    let location = HeaderValue::from_str(&format!("/api/v1/treatment-plans/{}", view.id))
        .unwrap_or(HeaderValue::from_static("/api/v1/treatment-plans"));
    let mut response = plan_answer(StatusCode::CREATED, view);
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// A patient's plans, oldest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/treatment-plans",
    tag = "treatment plans",
    params(("id" = String, Path, description = "The patient's id."), ProcedurePageParams),
    responses(
        (status = 200, description = "One page.", body = PlansJson),
        (status = 422, description = "`invalid`: `cursor` or `limit` cannot be used."),
    ),
)]
pub(crate) async fn list_plans(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    QueryParams(page): QueryParams<ProcedurePageParams>,
) -> Result<Json<PlansJson>, ApiError> {
    let patient: PatientId = id.parse().map_err(|_| ApiError(AppError::NotFound))?;
    let (after, limit) = cursor::page::<String>(
        List::Plans,
        page.cursor.as_deref(),
        page.limit,
        (100, MAX_PLANS_PAGE),
    )?;
    let plans = app.chart(&actor).plans(patient).await?.records;
    let (rest, next) = cursor::page_by_id(List::Plans, plans, |x| x.id, after.as_deref(), limit);
    Ok(Json(PlansJson {
        items: rest.into_iter().map(Into::into).collect(),
        next,
    }))
}

/// One plan, with its lines, totals and acceptance check.
#[utoipa::path(
    get,
    path = "/api/v1/treatment-plans/{id}",
    tag = "treatment plans",
    params(("id" = String, Path, description = "The plan's id.")),
    responses((status = 200, description = "The plan; `ETag` is its version.", body = PlanJson)),
)]
pub(crate) async fn read_plan(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = plan_id(&id)?;
    Ok(plan_answer(
        StatusCode::OK,
        app.chart(&actor).plan(id).await?,
    ))
}

/// Replaces a draft. A presented plan is frozen (`409 refused`): draft a new one.
#[utoipa::path(
    put,
    path = "/api/v1/treatment-plans/{id}",
    tag = "treatment plans",
    params(
        ("id" = String, Path, description = "The plan's id."),
        ("If-Match" = String, Header, description = "The `ETag` of the version being replaced, or `*`."),
    ),
    request_body = PlanBody,
    responses(
        (status = 200, description = "The draft now.", body = PlanJson),
        (status = 409, description = "`refused`: the plan was presented."),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
        (status = 428, description = "`precondition_required`: `If-Match` is missing."),
    ),
)]
pub(crate) async fn replace_plan(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PlanBody>,
) -> Result<Response, ApiError> {
    let id = plan_id(&id)?;
    let expected = match expected_version_for_room(&headers) {
        Ok(v) => v,
        Err(answer) => return Ok(answer.into_response()),
    };
    let claims = body.claims()?;
    Ok(plan_result(
        app.chart(&actor)
            .replace_plan(id, &body.draft(), expected, &claims)
            .await,
    ))
}

/// Presents a draft: every line is frozen as the patient is shown it.
#[utoipa::path(
    post,
    path = "/api/v1/treatment-plans/{id}/present",
    tag = "treatment plans",
    params(
        ("id" = String, Path, description = "The plan's id."),
        ("If-Match" = Option<String>, Header, description = "Optional: the `ETag` this is based on."),
    ),
    responses(
        (status = 200, description = "Presented.", body = PlanJson),
        (status = 409, description = "`refused`: the plan was presented before."),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
        (status = 422, description = "`invalid`: a line's procedure is no longer planned."),
    ),
)]
pub(crate) async fn present_plan(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = plan_id(&id)?;
    let expected = optional_expected_version_for_room(&headers);
    Ok(plan_result(
        app.chart(&actor).present_plan(id, expected).await,
    ))
}

/// Records the patient's (or responsible party's) acceptance of a presented plan, with a
/// drawn or typed signature bound to the frozen lines. An accepted plan never changes.
#[utoipa::path(
    post,
    path = "/api/v1/treatment-plans/{id}/accept",
    tag = "treatment plans",
    params(
        ("id" = String, Path, description = "The plan's id."),
        ("If-Match" = Option<String>, Header, description = "Optional: the `ETag` this is based on."),
    ),
    request_body = AcceptBody,
    responses(
        (status = 200, description = "Accepted.", body = PlanJson),
        (status = 409, description = "`refused`: the plan is not presented (a draft, or decided)."),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
    ),
)]
pub(crate) async fn accept_plan(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<AcceptBody>,
) -> Result<Response, ApiError> {
    let id = plan_id(&id)?;
    let expected = optional_expected_version_for_room(&headers);
    Ok(plan_result(
        app.chart(&actor)
            .accept_plan(id, &body.draft(), expected)
            .await,
    ))
}

/// Records that the patient declined a presented plan.
#[utoipa::path(
    post,
    path = "/api/v1/treatment-plans/{id}/decline",
    tag = "treatment plans",
    params(
        ("id" = String, Path, description = "The plan's id."),
        ("If-Match" = Option<String>, Header, description = "Optional: the `ETag` this is based on."),
    ),
    responses(
        (status = 200, description = "Declined.", body = PlanJson),
        (status = 409, description = "`refused`: the plan is not presented."),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
    ),
)]
pub(crate) async fn decline_plan(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = plan_id(&id)?;
    let expected = optional_expected_version_for_room(&headers);
    Ok(plan_result(
        app.chart(&actor)
            .decide_plan(id, PlanStatus::Declined, expected)
            .await,
    ))
}

/// Marks a draft or presented plan superseded by another.
#[utoipa::path(
    post,
    path = "/api/v1/treatment-plans/{id}/supersede",
    tag = "treatment plans",
    params(
        ("id" = String, Path, description = "The plan's id."),
        ("If-Match" = Option<String>, Header, description = "Optional: the `ETag` this is based on."),
    ),
    responses(
        (status = 200, description = "Superseded.", body = PlanJson),
        (status = 409, description = "`refused`: the plan was decided already."),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
    ),
)]
pub(crate) async fn supersede_plan(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = plan_id(&id)?;
    let expected = optional_expected_version_for_room(&headers);
    Ok(plan_result(
        app.chart(&actor)
            .decide_plan(id, PlanStatus::Superseded, expected)
            .await,
    ))
}
