use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use enamel_app::{App, AuditFilter, AuditPage};
use enamel_audit::Entry;
use enamel_domain::{AuditAction, Outcome};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use utoipa::{IntoParams, ToSchema};

use super::invalid;
use crate::{ApiError, Authenticated};

#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventsQuery {
    /// Only this user's entries (a user id).
    user: Option<String>,
    /// Only entries about this patient (a patient id).
    patient: Option<String>,
    /// Only this audited action, such as `view`.
    action: Option<String>,
    /// `allowed`, `denied` or `failed`.
    outcome: Option<String>,
    /// A date (`2026-11-01`, start of day UTC) or an RFC 3339 time.
    from: Option<String>,
    /// A date (`2026-11-30`, the whole day included) or an RFC 3339 time (excluded).
    to: Option<String>,
    /// The `next_after` of the previous page.
    after: Option<i64>,
    /// Entries per page (100 if left out).
    limit: Option<i64>,
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
        EventsQuery {
            user,
            patient,
            action,
            outcome: None,
            from,
            to,
            after,
            limit: None,
        }
    }
}

fn parse_time(value: &str, end_of_day: bool) -> Option<i64> {
    if let Ok(t) = time::OffsetDateTime::parse(value, &Rfc3339) {
        return i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok();
    }
    let date = time::Date::parse(value, format_description!("[year]-[month]-[day]")).ok()?;
    let date = if end_of_day { date.next_day()? } else { date };
    Some(date.midnight().assume_utc().unix_timestamp() * 1000)
}

fn empty_as_none(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

/// Turns query parameters into a filter, with a field-named problem for each bad one.
pub(crate) fn filter_from(q: EventsQuery, default_limit: i64) -> Result<AuditFilter, ApiError> {
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
            parse_time(&v, false).ok_or_else(|| invalid("from", "Use a date like 2026-11-01."))?,
        ),
        None => None,
    };
    let to_ms = match empty_as_none(q.to) {
        Some(v) => {
            Some(parse_time(&v, true).ok_or_else(|| invalid("to", "Use a date like 2026-11-30."))?)
        }
        None => None,
    };
    Ok(AuditFilter {
        user_id: empty_as_none(q.user),
        patient_id: empty_as_none(q.patient),
        action,
        outcome,
        from_ms,
        to_ms,
        after_seq: q.after,
        limit: q.limit.unwrap_or(default_limit),
    })
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EventJson {
    /// Position in the hash-chained log.
    seq: u64,
    /// Milliseconds since the Unix epoch.
    time_ms: i64,
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
            time_ms: e.time_ms,
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
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    next_after: Option<i64>,
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
    Query(q): Query<EventsQuery>,
) -> Result<Json<EventsAnswer>, ApiError> {
    let filter = filter_from(q, 100)?;
    let AuditPage {
        entries,
        next_after,
    } = app.audit_events(&actor, &filter).await?;
    Ok(Json(EventsAnswer {
        events: entries.into_iter().map(EventJson::from).collect(),
        next_after,
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

pub(crate) fn entries_csv(entries: &[Entry]) -> String {
    let mut out = String::from(
        "seq,time_utc,user_id,role,patient_id,record_type,record_id,action,outcome,client_ip,user_agent,access_method,reason\n",
    );
    for e in entries {
        let time = time::OffsetDateTime::from_unix_timestamp(e.time_ms.div_euclid(1000))
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_default();
        let opt = |v: &Option<String>| csv_cell(v.as_deref().unwrap_or(""));
        let cells = [
            e.seq.to_string(),
            csv_cell(&time),
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
    params(EventsQuery),
    responses(
        (status = 200, description = "A CSV file (`attachment; filename=\"audit-log.csv\"`).", body = String, content_type = "text/csv"),
        (status = 422, description = "`invalid`: a filter value is not acceptable; `fields` names it."),
    ),
)]
pub(crate) async fn export(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Query(q): Query<EventsQuery>,
) -> Result<Response, ApiError> {
    let filter = filter_from(q, enamel_app::MAX_AUDIT_EXPORT)?;
    let page = app.export_audit_events(&actor, &filter).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit-log.csv\"",
            ),
        ],
        entries_csv(&page.entries),
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
        let from = parse_time("2026-11-01", false).unwrap_or_default();
        let to = parse_time("2026-11-01", true).unwrap_or_default();
        assert_eq!(to - from, 86_400_000);
    }
}
