use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use enamel_app::{App, AuditFilter, AuditPage};
use enamel_audit::Entry;
use enamel_domain::{AuditAction, Instant, Outcome, PatientId, PracticeDate, PracticeTz};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use utoipa::{IntoParams, ToSchema};

use super::cursor::{self, List};
use super::{QueryParams, invalid};
use crate::{ApiError, Authenticated};

/// The audit log's filters; the events page and the export differ only in their `limit`.
macro_rules! events_query {
    ($(#[$doc:meta])* $name:ident, $max:tt) => {
        $(#[$doc])*
        #[derive(Deserialize, Default, IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub(crate) struct $name {
            /// Only this user's entries (a user id; anything else is 422 naming `user`).
            #[param(schema_with = super::schemas::id_filter)]
            user: Option<String>,
            /// Only entries about this patient (a patient id; anything else is 422 naming
            /// `patient`).
            #[param(schema_with = super::schemas::id_filter)]
            patient: Option<String>,
            /// Only this audited action, such as `view`.
            #[param(schema_with = super::schemas::audit_action_filter)]
            action: Option<String>,
            /// `allowed`, `denied` or `failed`.
            #[param(schema_with = super::schemas::outcome_filter)]
            outcome: Option<String>,
            /// A date (`2026-11-01`, from the start of that day in the practice's time zone)
            /// or an RFC 3339 time.
            #[param(schema_with = super::schemas::day_or_instant)]
            from: Option<String>,
            /// A date (`2026-11-30`, the whole day in the practice's time zone included) or
            /// an RFC 3339 time (excluded).
            #[param(schema_with = super::schemas::day_or_instant)]
            to: Option<String>,
            /// The `next` of the previous page; leave out for the first.
            #[param(pattern = "^[A-Za-z0-9_-]{0,200}$")]
            cursor: Option<String>,
            #[doc = concat!("Entries: 1 to ", stringify!($max), ".")]
            #[param(minimum = 1, maximum = $max)]
            limit: Option<i64>,
        }
    };
}

events_query!(
    /// Filters and one page of the audit log (100 entries if `limit` is left out).
    EventsQuery,
    500
);
events_query!(
    /// Filters of the export (every matching entry, up to 100,000, if `limit` is left out).
    ExportQuery,
    100000
);

impl From<ExportQuery> for EventsQuery {
    fn from(q: ExportQuery) -> Self {
        EventsQuery {
            user: q.user,
            patient: q.patient,
            action: q.action,
            outcome: q.outcome,
            from: q.from,
            to: q.to,
            cursor: q.cursor,
            limit: q.limit,
        }
    }
}

impl EventsQuery {
    /// The page's filter form uses the same parsing and validation as the API.
    pub(crate) fn from_parts(
        user: Option<String>,
        patient: Option<String>,
        action: Option<String>,
        from: Option<String>,
        to: Option<String>,
        after: Option<i64>,
    ) -> Self {
        let cursor = after.map(|seq| cursor::next(List::AuditEvents, seq));
        EventsQuery {
            user,
            patient,
            action,
            outcome: None,
            from,
            to,
            cursor,
            limit: None,
        }
    }
}

/// An RFC 3339 time as given, or a date as the practice's day: its first instant, or (for
/// `end_of_day`) the first instant after it, so a 23- or 25-hour day is covered exactly.
fn parse_time(value: &str, end_of_day: bool, tz: &PracticeTz) -> Option<i64> {
    if let Ok(t) = time::OffsetDateTime::parse(value, &Rfc3339) {
        return i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok();
    }
    let date = time::Date::parse(value, format_description!("[year]-[month]-[day]")).ok()?;
    let day = tz.day(PracticeDate::new(date));
    Some(if end_of_day { day.end } else { day.start }.unix_ms())
}

fn empty_as_none(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

/// Turns query parameters into a filter, with a field-named problem for each bad one. Dates
/// are the practice's days (`tz`).
pub(crate) fn filter_from(
    q: EventsQuery,
    (default_limit, max_limit): (i64, i64),
    tz: &PracticeTz,
) -> Result<AuditFilter, ApiError> {
    let (after_seq, limit) = cursor::page(
        List::AuditEvents,
        q.cursor.as_deref(),
        q.limit,
        (default_limit, max_limit),
    )?;
    let action = match empty_as_none(q.action) {
        Some(a) => Some(
            AuditAction::parse(&a).ok_or_else(|| invalid("action", "This action is not known."))?,
        ),
        None => None,
    };
    let outcome = match empty_as_none(q.outcome) {
        Some(o) => Some(
            Outcome::parse(&o)
                .ok_or_else(|| invalid("outcome", "Use allowed, denied or failed."))?,
        ),
        None => None,
    };
    let from_ms = match empty_as_none(q.from) {
        Some(v) => Some(
            parse_time(&v, false, tz)
                .ok_or_else(|| invalid("from", "Use a date like 2026-11-01."))?,
        ),
        None => None,
    };
    let to_ms = match empty_as_none(q.to) {
        Some(v) => Some(
            parse_time(&v, true, tz).ok_or_else(|| invalid("to", "Use a date like 2026-11-30."))?,
        ),
        None => None,
    };
    // Ids are checked here, so a bad one is named before anything is read or audited.
    let patient_id = match empty_as_none(q.patient) {
        Some(p) => Some(
            p.trim()
                .parse::<PatientId>()
                .map_err(|_| invalid("patient", "Use a patient id."))?,
        ),
        None => None,
    };
    let user_id = match empty_as_none(q.user) {
        Some(u) => {
            let u = u.trim().to_string();
            if !u
                .parse::<uuid::Uuid>()
                .is_ok_and(|id| id.hyphenated().to_string() == u)
            {
                return Err(invalid("user", "Use a user id."));
            }
            Some(u)
        }
        None => None,
    };
    Ok(AuditFilter {
        user_id,
        patient_id,
        action,
        outcome,
        from_ms,
        to_ms,
        after_seq,
        limit,
    })
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EventJson {
    /// Position in the hash-chained log.
    seq: u64,
    /// RFC 3339 in UTC.
    #[schema(format = DateTime)]
    recorded_at: String,
    user_id: Option<String>,
    role: Option<String>,
    patient_id: Option<String>,
    record_type: Option<String>,
    record_id: Option<String>,
    action: String,
    outcome: String,
    client_ip: Option<String>,
    user_agent: Option<String>,
    access_method: String,
    reason: Option<String>,
}

impl From<Entry> for EventJson {
    fn from(e: Entry) -> Self {
        EventJson {
            seq: e.seq,
            recorded_at: crate::api::instant(e.time_ms),
            user_id: e.actor_id,
            role: e.actor_role,
            patient_id: e.patient_id,
            record_type: e.record_type,
            record_id: e.record_id,
            action: e.action,
            outcome: e.outcome,
            client_ip: e.client_ip,
            user_agent: e.user_agent,
            access_method: e.access_method,
            reason: e.reason,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EventsAnswer {
    events: Vec<EventJson>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    next: Option<String>,
}

/// Reads the audit log, filtered and paged.
///
/// The reading is itself audited.
#[utoipa::path(
    get,
    path = "/api/v1/audit/events",
    tag = "audit",
    params(EventsQuery),
    responses(
        (status = 200, description = "One page of entries, oldest first.", body = EventsAnswer),
        (status = 422, description = "`invalid`: a filter value is not acceptable; `fields` names it."),
    ),
)]
pub(crate) async fn events(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    QueryParams(q): QueryParams<EventsQuery>,
) -> Result<Json<EventsAnswer>, ApiError> {
    let tz = app.practice_time(actor.practice_id()).await?;
    let filter = filter_from(q, (100, enamel_app::MAX_AUDIT_PAGE), &tz)?;
    let AuditPage {
        entries,
        next_after,
    } = app.audit_events(&actor, &filter).await?;
    Ok(Json(EventsAnswer {
        events: entries.into_iter().map(EventJson::from).collect(),
        next: next_after.map(|seq| cursor::next(List::AuditEvents, seq)),
    }))
}

/// A CSV cell: quoted, and a leading formula character neutralised so a spreadsheet does not
/// execute attacker-chosen text (user agents are attacker-chosen).
fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

/// The CSV of `entries`. `time_utc` stays for tools that read it; `time_local` is the same
/// instant on the practice's clock, with its offset, so it reads right and parses back.
pub(crate) fn entries_csv(entries: &[Entry], tz: &PracticeTz) -> String {
    let mut out = String::from(
        "seq,time_utc,time_local,user_id,role,patient_id,record_type,record_id,action,outcome,client_ip,user_agent,access_method,reason\n",
    );
    for e in entries {
        let time = time::OffsetDateTime::from_unix_timestamp(e.time_ms.div_euclid(1000))
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_default();
        let local = tz.local(Instant::from_unix_ms(e.time_ms)).to_rfc3339();
        let opt = |v: &Option<String>| csv_cell(v.as_deref().unwrap_or(""));
        let cells = [
            e.seq.to_string(),
            csv_cell(&time),
            csv_cell(&local),
            opt(&e.actor_id),
            opt(&e.actor_role),
            opt(&e.patient_id),
            opt(&e.record_type),
            opt(&e.record_id),
            csv_cell(&e.action),
            csv_cell(&e.outcome),
            opt(&e.client_ip),
            opt(&e.user_agent),
            csv_cell(&e.access_method),
            opt(&e.reason),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// Exports the audit log as CSV, with the same filters.
///
/// The export is itself audited. Cells that a spreadsheet would run as a formula are
/// neutralised.
#[utoipa::path(
    get,
    path = "/api/v1/audit/events/export",
    tag = "audit",
    params(ExportQuery),
    responses(
        (status = 200, description = "A CSV file (`attachment; filename=\"audit-log.csv\"`).", body = String, content_type = "text/csv"),
        (status = 422, description = "`invalid`: a filter value is not acceptable; `fields` names it."),
    ),
)]
pub(crate) async fn export(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    QueryParams(q): QueryParams<ExportQuery>,
) -> Result<Response, ApiError> {
    let q = EventsQuery::from(q);
    let tz = app.practice_time(actor.practice_id()).await?;
    let filter = filter_from(
        q,
        (enamel_app::MAX_AUDIT_EXPORT, enamel_app::MAX_AUDIT_EXPORT),
        &tz,
    )?;
    let page = app.export_audit_events(&actor, &filter).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit-log.csv\"",
            ),
        ],
        entries_csv(&page.entries, &tz),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_neutralise_formulas_and_escape_quotes() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("plain"), "\"plain\"");
    }

    #[test]
    fn a_date_filter_covers_the_whole_day() {
        let utc = PracticeTz::utc();
        let from = parse_time("2026-11-02", false, &utc).unwrap_or_default();
        let to = parse_time("2026-11-02", true, &utc).unwrap_or_default();
        assert_eq!(to - from, 86_400_000);
    }

    #[test]
    fn a_date_filter_is_the_practices_day_even_when_it_has_25_hours() {
        let ny = PracticeTz::parse("America/New_York").unwrap_or_default();
        let from = parse_time("2026-11-01", false, &ny).unwrap_or_default();
        let to = parse_time("2026-11-01", true, &ny).unwrap_or_default();
        // 2026-11-01T04:00Z (midnight EDT) to 2026-11-02T05:00Z (midnight EST).
        assert_eq!(from, 1_793_505_600_000);
        assert_eq!(to - from, 25 * 3_600_000);
        // An explicit time is taken as given, whatever the zone.
        assert_eq!(
            parse_time("2026-11-01T00:00:00Z", false, &ny),
            Some(1_793_491_200_000)
        );
    }

    #[test]
    fn the_export_has_utc_and_the_practices_clock() {
        let entry = Entry {
            seq: 7,
            time_ms: 1_793_511_000_000, // 2026-11-01T05:30Z: 01:30 EDT, the first one
            practice_id: None,
            actor_id: None,
            actor_role: None,
            patient_id: None,
            record_type: None,
            record_id: None,
            action: "view".into(),
            outcome: "allowed".into(),
            client_ip: None,
            user_agent: None,
            app_version: "test".into(),
            access_method: "web".into(),
            reason: None,
        };
        let csv = entries_csv(
            &[entry],
            &PracticeTz::parse("America/New_York").unwrap_or_default(),
        );
        let mut lines = csv.lines();
        assert!(
            lines
                .next()
                .unwrap_or_default()
                .starts_with("seq,time_utc,time_local,")
        );
        let row = lines.next().unwrap_or_default();
        assert!(
            row.starts_with("7,\"2026-11-01T05:30:00Z\",\"2026-11-01T01:30:00-04:00\","),
            "{row}"
        );
    }
}
