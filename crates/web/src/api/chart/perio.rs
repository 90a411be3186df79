//! Perio exams over JSON: started, saved while a draft (`If-Match`), closed, read, listed and
//! compared. Per-site arrays are in the order MB, B, DB, ML, L, DL; `null` is not measured.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enamel_app::{App, AppError, PerioClaims, PerioExamView, READ_ONLY};
use enamel_domain::clinical::{Numbering, PerioExamDraft, PerioToothDraft};
use enamel_domain::{FieldProblem, PatientId, PerioExamId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::super::cursor::{self, List};
use super::super::precondition::{
    change_error, etag, expected_version_for_room, optional_expected_version_for_room,
};
use super::super::{JsonBody, QueryParams};
use super::ProcedurePageParams;
pub(crate) use super::perio_json::{PerioComparisonJson, PerioExamJson, PerioExamsJson};
use crate::{ApiError, Authenticated};

/// The most exams on one page of a patient's list.
const MAX_EXAMS_PAGE: i64 = 500;

fn exam_id(raw: &str) -> Result<PerioExamId, ApiError> {
    raw.parse().map_err(|_| ApiError(AppError::NotFound))
}

/// A probing depth in millimetres, 0 to 19.
#[derive(Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(minimum = 0, maximum = 19)]
pub(crate) struct DepthMm(i64);

/// A gingival margin in millimetres, −19 to 19: positive is recession, negative overgrowth.
#[derive(Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(minimum = -19, maximum = 19)]
pub(crate) struct MarginMm(i64);

/// A furcation grade, 0 to 3 (back teeth only).
#[derive(Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(minimum = 0, maximum = 3)]
pub(crate) struct Grade(i64);

/// One tooth of an exam. Each array has exactly 6 entries: MB, B, DB, ML, L, DL. `cal` and
/// `tooth_display` of a `GET` may be sent back; they are computed, and ignored here.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PerioToothBody {
    /// A permanent tooth, `1` to `32`.
    #[schema(pattern = r"^\s*(?:[1-9]|[12][0-9]|3[0-2])\s*$")]
    tooth: String,
    /// Missing: charted, without measurements.
    #[serde(default)]
    skipped: bool,
    #[serde(default)]
    implant: bool,
    /// Miller 0–3.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 3)]
    mobility: Option<i64>,
    #[serde(default)]
    #[schema(min_items = 6, max_items = 6)]
    depth: Option<Vec<Option<DepthMm>>>,
    #[serde(default)]
    #[schema(min_items = 6, max_items = 6)]
    margin: Option<Vec<Option<MarginMm>>>,
    #[serde(default)]
    #[schema(min_items = 6, max_items = 6)]
    bleeding: Option<Vec<bool>>,
    #[serde(default)]
    #[schema(min_items = 6, max_items = 6)]
    suppuration: Option<Vec<bool>>,
    #[serde(default)]
    #[schema(min_items = 6, max_items = 6)]
    plaque: Option<Vec<bool>>,
    #[serde(default)]
    #[schema(min_items = 6, max_items = 6)]
    calculus: Option<Vec<bool>>,
    #[serde(default)]
    #[schema(min_items = 6, max_items = 6)]
    furcation: Option<Vec<Option<Grade>>>,
    // Accepted back from a GET and ignored: both are computed.
    #[allow(dead_code)]
    #[serde(default)]
    #[schema(read_only)]
    cal: Option<Vec<Option<i64>>>,
    #[allow(dead_code)]
    #[serde(default)]
    #[schema(read_only)]
    tooth_display: Option<String>,
}

/// A perio exam's measurements. On `PUT`, what a `GET` answered may be sent back whole: the
/// read-only members are compared with the exam as stored, ignored when equal and refused by
/// name when changed (`summary` is computed, and ignored). On `POST` they are refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PerioExamBody {
    /// The practice date of the exam; today when left out, never in the future.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    exam_date: Option<String>,
    #[serde(default)]
    #[schema(
        pattern = r"^\s*(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?\s*$"
    )]
    provider_id: Option<String>,
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    note: Option<String>,
    /// At most 32 teeth, each once.
    #[serde(default)]
    #[schema(max_items = 32)]
    teeth: Vec<PerioToothBody>,
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
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<String>, format = DateTime)]
    closed_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<String>)]
    closed_by: Option<Option<String>>,
    #[serde(default)]
    #[schema(read_only, format = DateTime)]
    created_at: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    created_by: Option<String>,
    #[serde(default)]
    #[schema(read_only, format = DateTime)]
    updated_at: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    updated_by: Option<String>,
    #[serde(default)]
    #[schema(read_only, value_type = Option<Object>)]
    summary: Option<serde_json::Map<String, serde_json::Value>>,
}

fn values<T, U>(list: Option<Vec<Option<T>>>, inner: impl Fn(T) -> U) -> Option<Vec<Option<U>>> {
    list.map(|l| l.into_iter().map(|v| v.map(&inner)).collect())
}

impl PerioExamBody {
    fn draft(self) -> Result<PerioExamDraft, ApiError> {
        super::body::strict_date("exam_date", self.exam_date.as_deref())?;
        Ok(self.draft_unchecked())
    }

    fn draft_unchecked(self) -> PerioExamDraft {
        PerioExamDraft {
            exam_date: self.exam_date,
            provider_id: self.provider_id,
            note: self.note,
            teeth: self
                .teeth
                .into_iter()
                .map(|t| PerioToothDraft {
                    tooth: t.tooth,
                    skipped: t.skipped,
                    implant: t.implant,
                    mobility: t.mobility,
                    depth: values(t.depth, |d| d.0),
                    margin: values(t.margin, |m| m.0),
                    bleeding: t.bleeding,
                    suppuration: t.suppuration,
                    plaque: t.plaque,
                    calculus: t.calculus,
                    furcation: values(t.furcation, |g| g.0),
                })
                .collect(),
        }
    }

    fn refused(field: &'static str) -> ApiError {
        ApiError(AppError::Invalid(vec![FieldProblem::new(field, READ_ONLY)]))
    }

    /// The read-only members sent back on a save, `id` checked against the path here.
    fn claims(&self, path_id: &str) -> Result<PerioClaims, ApiError> {
        if self.id.as_deref().is_some_and(|id| id != path_id) {
            return Err(Self::refused("id"));
        }
        let instant = |field: &'static str, value: &Option<String>| match value {
            None => Ok(None),
            Some(text) => crate::api::parse_instant(text)
                .map(Some)
                .ok_or_else(|| Self::refused(field)),
        };
        Ok(PerioClaims {
            patient_id: self.patient_id.clone(),
            status: self.status.clone(),
            row_version: self.row_version,
            closed_ms: match &self.closed_at {
                None => None,
                Some(None) => Some(None),
                Some(Some(text)) => Some(Some(
                    crate::api::parse_instant(text).ok_or_else(|| Self::refused("closed_at"))?,
                )),
            },
            closed_by: self.closed_by.clone(),
            created_ms: instant("created_at", &self.created_at)?,
            created_by: self.created_by.clone(),
            updated_ms: instant("updated_at", &self.updated_at)?,
            updated_by: self.updated_by.clone(),
        })
    }

    /// Refuses read-only members on a new exam.
    fn refuse_read_only(&self) -> Result<(), ApiError> {
        let sent = [
            ("id", self.id.is_some()),
            ("patient_id", self.patient_id.is_some()),
            ("status", self.status.is_some()),
            ("row_version", self.row_version.is_some()),
            ("closed_at", self.closed_at.is_some()),
            ("closed_by", self.closed_by.is_some()),
            ("created_at", self.created_at.is_some()),
            ("created_by", self.created_by.is_some()),
            ("updated_at", self.updated_at.is_some()),
            ("updated_by", self.updated_by.is_some()),
            ("summary", self.summary.is_some()),
        ];
        match sent.iter().find(|(_, given)| *given) {
            Some((field, _)) => Err(ApiError(AppError::Invalid(vec![FieldProblem::new(
                *field,
                "is set by the server: leave it out of a new exam",
            )]))),
            None => Ok(()),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct CompareParams {
    /// The other exam of the same patient.
    #[param(pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    with: String,
}

fn exam_answer(app_numbering: Numbering, status: StatusCode, view: PerioExamView) -> Response {
    let version = view.row_version;
    (
        status,
        [(header::ETAG, etag(version))],
        Json(PerioExamJson::of(view, app_numbering)),
    )
        .into_response()
}

async fn numbering(app: &App, actor: &enamel_app::Actor) -> Result<Numbering, ApiError> {
    Ok(app.chart(actor).numbering().await?)
}

/// Starts a perio exam, as a draft.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/perio-exams",
    tag = "chart",
    params(("id" = String, Path, description = "The patient's id.")),
    request_body = PerioExamBody,
    responses(
        (status = 201, description = "Started; `Location` names it and `ETag` its first version.", body = PerioExamJson),
        (status = 422, description = "`invalid`: `fields` names each value that needs attention (`teeth[2].depth[4]`)."),
    ),
)]
pub(crate) async fn create_perio_exam(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PerioExamBody>,
) -> Result<Response, ApiError> {
    let patient: PatientId = id.parse().map_err(|_| ApiError(AppError::NotFound))?;
    body.refuse_read_only()?;
    let view = app
        .chart(&actor)
        .start_perio(patient, &body.draft()?)
        .await?;
    let location = HeaderValue::from_str(&format!("/api/v1/perio-exams/{}", view.id))
        .unwrap_or(HeaderValue::from_static("/api/v1/perio-exams"));
    let mut response = exam_answer(numbering(&app, &actor).await?, StatusCode::CREATED, view);
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// A patient's perio exams, oldest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/perio-exams",
    tag = "chart",
    params(("id" = String, Path, description = "The patient's id."), ProcedurePageParams),
    responses(
        (status = 200, description = "One page.", body = PerioExamsJson),
        (status = 422, description = "`invalid`: `cursor` or `limit` cannot be used."),
    ),
)]
pub(crate) async fn list_perio_exams(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    QueryParams(page): QueryParams<ProcedurePageParams>,
) -> Result<Json<PerioExamsJson>, ApiError> {
    let patient: PatientId = id.parse().map_err(|_| ApiError(AppError::NotFound))?;
    let (after, limit) = cursor::page::<String>(
        List::PerioExams,
        page.cursor.as_deref(),
        page.limit,
        (100, MAX_EXAMS_PAGE),
    )?;
    let exams = app.chart(&actor).perio_exams(patient).await?.records;
    let numbering = numbering(&app, &actor).await?;
    let (rest, next) =
        cursor::page_by_id(List::PerioExams, exams, |x| x.id, after.as_deref(), limit);
    Ok(Json(PerioExamsJson {
        items: rest
            .into_iter()
            .map(|e| PerioExamJson::of(e, numbering))
            .collect(),
        next,
    }))
}

/// One perio exam, with attachment loss computed per site.
#[utoipa::path(
    get,
    path = "/api/v1/perio-exams/{id}",
    tag = "chart",
    params(("id" = String, Path, description = "The exam's id.")),
    responses((status = 200, description = "The exam; `ETag` is its version.", body = PerioExamJson)),
)]
pub(crate) async fn read_perio_exam(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = exam_id(&id)?;
    let view = app.chart(&actor).perio_exam(id).await?;
    Ok(exam_answer(
        numbering(&app, &actor).await?,
        StatusCode::OK,
        view,
    ))
}

/// Saves a draft exam's measurements (a hygienist saves as they go). A closed exam is
/// refused (`409 refused`).
#[utoipa::path(
    put,
    path = "/api/v1/perio-exams/{id}",
    tag = "chart",
    params(
        ("id" = String, Path, description = "The exam's id."),
        ("If-Match" = String, Header, description = "The `ETag` of the version being replaced, or `*`."),
    ),
    request_body = PerioExamBody,
    responses(
        (status = 200, description = "Saved; `ETag` is its new version.", body = PerioExamJson),
        (status = 409, description = "`refused`: the exam is closed."),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
        (status = 422, description = "`invalid`: `fields` names each value that needs attention, or a read-only member sent with another value."),
        (status = 428, description = "`precondition_required`: `If-Match` is missing."),
    ),
)]
pub(crate) async fn save_perio_exam(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(raw): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PerioExamBody>,
) -> Result<Response, ApiError> {
    let id = exam_id(&raw)?;
    let claims = body.claims(&raw)?;
    let expected = match expected_version_for_room(&headers) {
        Ok(v) => v,
        Err(answer) => return Ok(answer.into_response()),
    };
    match app
        .chart(&actor)
        .save_perio(id, &body.draft()?, expected, &claims)
        .await
    {
        Ok(view) => Ok(exam_answer(
            numbering(&app, &actor).await?,
            StatusCode::OK,
            view,
        )),
        Err(e) => Ok(change_error(e)),
    }
}

/// Closes a draft exam: it becomes the record and never changes again.
#[utoipa::path(
    post,
    path = "/api/v1/perio-exams/{id}/close",
    tag = "chart",
    params(
        ("id" = String, Path, description = "The exam's id."),
        ("If-Match" = Option<String>, Header, description = "Optional: the `ETag` this is based on."),
    ),
    responses(
        (status = 200, description = "Closed; `ETag` is its new version.", body = PerioExamJson),
        (status = 409, description = "`refused`: the exam is already closed."),
        (status = 412, description = "`precondition_failed`: it changed since that version."),
    ),
)]
pub(crate) async fn close_perio_exam(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = exam_id(&id)?;
    let expected = optional_expected_version_for_room(&headers);
    match app.chart(&actor).close_perio(id, expected).await {
        Ok(view) => Ok(exam_answer(
            numbering(&app, &actor).await?,
            StatusCode::OK,
            view,
        )),
        Err(e) => Ok(change_error(e)),
    }
}

/// Two exams of one patient side by side: every site probed in both, `worsened` where the
/// depth or attachment loss grew by 2 mm or more.
#[utoipa::path(
    get,
    path = "/api/v1/perio-exams/{id}/comparison",
    tag = "chart",
    params(("id" = String, Path, description = "One exam's id."), CompareParams),
    responses((status = 200, description = "The comparison.", body = PerioComparisonJson)),
)]
pub(crate) async fn compare_perio_exams(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<CompareParams>,
) -> Result<Json<PerioComparisonJson>, ApiError> {
    let id = exam_id(&id)?;
    let with = exam_id(&params.with)?;
    let comparison = app.chart(&actor).compare_perio(id, with).await?;
    Ok(Json(PerioComparisonJson::of(
        comparison,
        numbering(&app, &actor).await?,
    )))
}
