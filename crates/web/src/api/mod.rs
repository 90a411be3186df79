//! The JSON API under `/api/v1`. Handlers parse, call one app function with the request's
//! [`Authenticated`] actor, and shape the answer; the app decides and audits.
//!
//! [`Authenticated`]: crate::Authenticated

pub(crate) mod admin;
pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod body;
pub(crate) mod chart;
pub(crate) mod cursor;
pub(crate) mod emergency;
pub(crate) mod openapi;
pub(crate) mod patients;
pub(crate) mod practice;
pub(crate) mod precondition;
pub(crate) mod schedule;
mod schemas;

use enamel_app::{App, AppError};
use enamel_domain::FieldProblem;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) use body::{CanonicalJsonBody, JsonBody, QueryParams};

use crate::error::ApiError;

/// Every route of the JSON API, and the OpenAPI document of those registered with `routes!`.
///
/// `routes!(handler)` takes the path and method from the handler's `#[utoipa::path]`
/// attribute, so a route registered that way is documented by construction. One `routes!`
/// per path: handlers listed together are all mounted on every path among them.
/// `tests/openapi.rs` checks that the router and the document agree, both ways.
pub(crate) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::default()
        .routes(routes!(openapi::document))
        .routes(routes!(auth::login))
        .routes(routes!(auth::mfa))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::logout_everywhere))
        .routes(routes!(auth::step_up))
        .routes(routes!(auth::sessions))
        .routes(routes!(auth::revoke_session))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::request_reset))
        .routes(routes!(auth::complete_reset))
        .routes(routes!(auth::me))
        .routes(routes!(admin::list_users, admin::create_user))
        .routes(routes!(admin::set_roles))
        .routes(routes!(admin::disable))
        .routes(routes!(admin::enable))
        .routes(routes!(admin::issue_reset))
        .routes(routes!(admin::policy, admin::set_policy_cell))
        .routes(routes!(admin::list_tokens, admin::create_token))
        .routes(routes!(admin::revoke_token))
        .routes(routes!(practice::settings, practice::set_settings))
        .routes(routes!(practice::time_zone, practice::set_time_zone))
        .routes(routes!(emergency::reviews, emergency::open))
        .routes(routes!(emergency::review))
        .routes(routes!(emergency::revoke))
        .routes(routes!(audit::events))
        .routes(routes!(audit::export))
        .routes(routes!(patients::search, patients::create))
        .routes(routes!(patients::search_posted))
        .routes(routes!(patients::read, patients::replace, patients::delete))
        .routes(routes!(patients::deactivate))
        .routes(routes!(patients::versions))
        .routes(routes!(patients::version))
        .routes(routes!(chart::procedure_codes))
        .routes(routes!(chart::chart_settings, chart::set_chart_settings))
        .routes(routes!(chart::chart))
        .routes(routes!(chart::list_procedures, chart::create_procedure))
        .routes(routes!(chart::read_procedure, chart::replace_procedure))
        .routes(routes!(chart::complete_procedure))
        .routes(routes!(chart::invalidate_procedure))
        .routes(routes!(chart::add_procedure_addendum))
        .routes(routes!(
            chart::teeth::list_tooth_states,
            chart::teeth::record_tooth_state
        ))
        .routes(routes!(
            chart::perio::list_perio_exams,
            chart::perio::create_perio_exam
        ))
        .routes(routes!(
            chart::perio::read_perio_exam,
            chart::perio::save_perio_exam
        ))
        .routes(routes!(chart::perio::close_perio_exam))
        .routes(routes!(chart::perio::compare_perio_exams))
        .routes(routes!(chart::notes::list_notes, chart::notes::create_note))
        .routes(routes!(chart::notes::read_note, chart::notes::edit_note))
        .routes(routes!(chart::notes::sign_note))
        .routes(routes!(chart::notes::add_note_addendum))
        .routes(routes!(
            chart::notes::note_templates,
            chart::notes::create_note_template
        ))
        .routes(routes!(chart::plans::list_plans, chart::plans::create_plan))
        .routes(routes!(chart::plans::read_plan, chart::plans::replace_plan))
        .routes(routes!(chart::plans::present_plan))
        .routes(routes!(chart::plans::accept_plan))
        .routes(routes!(chart::plans::decline_plan))
        .routes(routes!(chart::plans::supersede_plan))
        .routes(routes!(
            schedule::resources::list_providers,
            schedule::resources::create_provider
        ))
        .routes(routes!(
            schedule::resources::read_provider,
            schedule::resources::replace_provider
        ))
        .routes(routes!(
            schedule::resources::list_operatories,
            schedule::resources::create_operatory
        ))
        .routes(routes!(
            schedule::resources::read_operatory,
            schedule::resources::replace_operatory
        ))
        .routes(routes!(
            schedule::resources::list_appointment_types,
            schedule::resources::create_appointment_type
        ))
        .routes(routes!(
            schedule::resources::read_appointment_type,
            schedule::resources::replace_appointment_type
        ))
        .routes(routes!(
            schedule::list_appointments,
            schedule::create_appointment
        ))
        .routes(routes!(
            schedule::read_appointment,
            schedule::replace_appointment
        ))
        .routes(routes!(schedule::set_appointment_status))
        .routes(routes!(schedule::asap_list))
        .routes(routes!(
            schedule::blocks::list_blocks,
            schedule::blocks::create_block
        ))
        .routes(routes!(schedule::blocks::delete_block))
}

pub(crate) fn invalid(field: &'static str, problem: &'static str) -> ApiError {
    ApiError(AppError::Invalid(vec![FieldProblem::new(field, problem)]))
}

/// An instant as the API writes it: RFC 3339 in UTC with `Z`, to the millisecond when it has
/// a fraction (`2026-12-06T04:43:11.123Z`).
pub(crate) fn instant(unix_ms: i64) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The unix milliseconds of an RFC 3339 instant a client sent back.
pub(crate) fn parse_instant(text: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .and_then(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok())
}

pub(crate) fn maybe_instant(unix_ms: Option<i64>) -> Option<String> {
    unix_ms.map(instant)
}
