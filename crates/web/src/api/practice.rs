//! Practice settings: the session timeouts and the time zone. Reading needs practice
//! settings (view), changing them practice settings (edit) and a fresh second factor; the app
//! decides and audits.

use axum::Json;
use axum::extract::State;
use enamel_app::App;
use enamel_domain::{Instant, PracticeTz};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::JsonBody;
use super::openapi::STEP_UP;
use crate::{ApiError, Authenticated};

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsJson {
    /// 1 to 60; `null` uses the server's default.
    #[schema(minimum = 1, maximum = 60)]
    idle_minutes: Option<i64>,
    /// 1 to 24; `null` uses the server's default.
    #[schema(minimum = 1, maximum = 24)]
    absolute_hours: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SettingsAnswer {
    /// In effect for this practice.
    idle_seconds: i64,
    absolute_seconds: i64,
    /// `false` when both are the server's defaults.
    practice_specific: bool,
}

/// The practice's session timeouts.
#[utoipa::path(
    get,
    path = "/api/v1/practice/settings",
    tag = "practice",
    responses((status = 200, description = "The timeouts in effect.", body = SettingsAnswer)),
)]
pub(crate) async fn settings(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<SettingsAnswer>, ApiError> {
    let s = app.practice_session_settings(&actor).await?;
    Ok(Json(SettingsAnswer {
        idle_seconds: s.idle_secs,
        absolute_seconds: s.absolute_secs,
        practice_specific: s.practice_specific,
    }))
}

/// Sets the practice's session timeouts.
#[utoipa::path(
    put,
    path = "/api/v1/practice/settings",
    tag = "practice",
    request_body = SettingsJson,
    responses(
        (status = 200, description = "The timeouts now in effect.", body = SettingsAnswer),
        (status = 403, description = STEP_UP),
    ),
)]
pub(crate) async fn set_settings(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<SettingsJson>,
) -> Result<Json<SettingsAnswer>, ApiError> {
    let s = app
        .set_practice_session_settings(&actor, body.idle_minutes, body.absolute_hours)
        .await?;
    Ok(Json(SettingsAnswer {
        idle_seconds: s.idle_secs,
        absolute_seconds: s.absolute_secs,
        practice_specific: s.practice_specific,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimeZoneJson {
    /// An IANA time zone name, such as `America/New_York` or `Europe/London`, spelled as the
    /// time zone database spells it. Fixed offsets like `+05:00` are refused.
    #[schema(schema_with = super::schemas::time_zone)]
    time_zone: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TimeZoneAnswer {
    /// The practice's IANA time zone. Stored times stay UTC; "today", ages and the dates on
    /// pages and in exports follow this zone.
    time_zone: String,
    /// Today's date in the practice (`YYYY-MM-DD`).
    today: String,
    /// The zone's offset from UTC now (`-05:00`) and its abbreviation (`EST`).
    utc_offset: String,
    abbreviation: String,
}

fn time_zone_answer(app: &App, tz: &PracticeTz) -> TimeZoneAnswer {
    let now = Instant::from_unix_ms(app.clock().now_ms());
    let local = tz.local(now);
    let offset = local.offset();
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    TimeZoneAnswer {
        time_zone: tz.name().to_string(),
        today: local.date().to_string(),
        utc_offset: format!("{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs()),
        abbreviation: local.abbreviation().to_string(),
    }
}

/// The practice's time zone.
#[utoipa::path(
    get,
    path = "/api/v1/practice/time-zone",
    tag = "practice",
    responses((status = 200, description = "The zone and today's date in it.", body = TimeZoneAnswer)),
)]
pub(crate) async fn time_zone(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<TimeZoneAnswer>, ApiError> {
    let tz = app.practice_time_zone_setting(&actor).await?;
    Ok(Json(time_zone_answer(&app, &tz)))
}

/// Sets the practice's time zone. Stored times do not change; dates are shown in the new
/// zone from now on. Audited with the old and the new zone.
#[utoipa::path(
    put,
    path = "/api/v1/practice/time-zone",
    tag = "practice",
    request_body = TimeZoneJson,
    responses(
        (status = 200, description = "The zone now in effect.", body = TimeZoneAnswer),
        (status = 403, description = STEP_UP),
    ),
)]
pub(crate) async fn set_time_zone(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    JsonBody(body): JsonBody<TimeZoneJson>,
) -> Result<Json<TimeZoneAnswer>, ApiError> {
    // The API takes exactly the names its document lists; the settings page is more forgiving.
    if PracticeTz::all_names()
        .binary_search(&body.time_zone)
        .is_err()
    {
        return Err(super::invalid(
            "time_zone",
            "must be a time zone name from the IANA list, such as America/New_York",
        ));
    }
    let tz = app.set_practice_time_zone(&actor, &body.time_zone).await?;
    Ok(Json(time_zone_answer(&app, &tz)))
}
