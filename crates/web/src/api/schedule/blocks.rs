//! Blockouts and practice holidays over HTTP: list those of a range of practice days, add one,
//! remove one entered by mistake. A booking in one (or outside its provider's working hours)
//! is answered `409 schedule_warning` unless it says `acknowledge_warnings`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enamel_app::{App, AppError, BlockView};
use enamel_domain::scheduling::BlockDraft;
use enamel_domain::{PracticeDate, PracticeTz, parse_iso_date};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{QueryParams, instant, invalid};
use crate::{ApiError, Authenticated};

/// The most days one list covers.
const MAX_DAYS: i64 = 366;

/// A blockout or a practice holiday.
#[derive(Serialize, ToSchema)]
pub(crate) struct BlockJson {
    id: String,
    /// `blockout` or `holiday`.
    kind: String,
    /// For a blockout of one operatory; absent: every operatory.
    #[serde(skip_serializing_if = "Option::is_none")]
    operatory_id: Option<String>,
    /// RFC 3339 with the practice's offset.
    start: String,
    end: String,
    label: String,
    #[schema(format = DateTime)]
    created_at: String,
    created_by: String,
}

impl BlockJson {
    fn of(v: &BlockView, tz: &PracticeTz) -> BlockJson {
        BlockJson {
            id: v.id.clone(),
            kind: v.block.kind.as_str().into(),
            operatory_id: v.block.operatory_id.clone(),
            start: enamel_domain::scheduling::start_text(tz, v.block.start),
            end: enamel_domain::scheduling::start_text(tz, v.block.end),
            label: v.block.label.clone(),
            created_at: instant(v.created_ms),
            created_by: v.created_by.clone(),
        }
    }
}

/// The blocks of a range of days.
#[derive(Serialize, ToSchema)]
pub(crate) struct BlocksJson {
    items: Vec<BlockJson>,
}

/// A blockout (`start`, `end`, optionally one `operatory_id`) or a holiday (`date`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BlockBody {
    #[schema(pattern = "^(blockout|holiday)$")]
    kind: String,
    #[serde(default)]
    #[schema(pattern = r"^ *(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})? *$")]
    operatory_id: Option<String>,
    /// For a blockout: like a booking's start (the practice's clock, a 5-minute mark).
    #[serde(default)]
    #[schema(max_length = 40)]
    start: Option<String>,
    #[serde(default)]
    #[schema(max_length = 40)]
    end: Option<String>,
    /// For a holiday: the practice date.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    date: Option<String>,
    /// What the block is for (`Staff meeting`, `New Year's Day`); not about a patient.
    #[schema(
        max_length = 60,
        pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*[^\s<>{}\\;\x00-\x1f\x7f-\x9f][^<>{}\\;\x00-\x1f\x7f-\x9f]*$"
    )]
    label: String,
}

/// Which days.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct RangeParams {
    /// The first practice date, `YYYY-MM-DD`.
    #[param(value_type = String, format = Date)]
    from: String,
    /// The last practice date (at most 366 days after `from`); `from` when left out.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<String>,
}

/// The blockouts and holidays that touch a range of practice days, by start.
#[utoipa::path(get, path = "/api/v1/schedule-blocks", tag = "schedule",
    params(RangeParams),
    responses(
        (status = 200, description = "The blocks.", body = BlocksJson),
        (status = 422, description = "`invalid`: `from` or `to` is not a date, or the range is backwards or longer than 366 days."),
    ))]
pub(crate) async fn list_blocks(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    QueryParams(params): QueryParams<RangeParams>,
) -> Result<Json<BlocksJson>, ApiError> {
    let from = parse_iso_date(params.from.trim())
        .ok_or_else(|| invalid("from", "must be a date as YYYY-MM-DD"))?;
    let to = match params.to.as_deref() {
        Some(t) => {
            parse_iso_date(t.trim()).ok_or_else(|| invalid("to", "must be a date as YYYY-MM-DD"))?
        }
        None => from,
    };
    let days = (to - from).whole_days();
    if !(0..MAX_DAYS).contains(&days) {
        return Err(invalid("to", "must be from `from` to 366 days after it"));
    }
    let tz = app.practice_time(actor.practice_id()).await?;
    let (start, end) = (
        tz.day(PracticeDate::new(from)).start,
        tz.day(PracticeDate::new(to)).end,
    );
    let blocks = app.schedule(&actor).blocks(start, end).await?;
    Ok(Json(BlocksJson {
        items: blocks.iter().map(|b| BlockJson::of(b, &tz)).collect(),
    }))
}

/// Adds a blockout (schedule, edit) or a practice holiday (practice settings, edit).
#[utoipa::path(post, path = "/api/v1/schedule-blocks", tag = "schedule",
    request_body = BlockBody,
    responses(
        (status = 201, description = "Added.", body = BlockJson),
        (status = 422, description = "`invalid`: `fields` names each member that needs attention (a blockout's end before its start or more than a week after it, a start the clocks skip, members of the other kind)."),
    ))]
pub(crate) async fn create_block(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    crate::api::JsonBody(body): crate::api::JsonBody<BlockBody>,
) -> Result<Response, ApiError> {
    let draft = BlockDraft {
        kind: body.kind,
        operatory_id: body.operatory_id,
        start: body.start,
        end: body.end,
        date: body.date,
        label: body.label,
    };
    let view = app.schedule(&actor).add_block(&draft).await?;
    let tz = app.practice_time(actor.practice_id()).await?;
    let mut response = (StatusCode::CREATED, Json(BlockJson::of(&view, &tz))).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/schedule-blocks/{}", view.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Removes a blockout or holiday entered by mistake (as adding it needs).
#[utoipa::path(delete, path = "/api/v1/schedule-blocks/{id}", tag = "schedule",
    params(("id" = String, Path, description = "The block's id.")),
    responses((status = 204, description = "Removed.")))]
pub(crate) async fn delete_block(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    if raw
        .parse::<uuid::Uuid>()
        .map(|u| u.hyphenated().to_string())
        != Ok(raw.clone())
    {
        return Err(ApiError(AppError::NotFound));
    }
    app.schedule(&actor).remove_block(&raw).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
