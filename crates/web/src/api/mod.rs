//! The JSON API under `/api/v1`. Handlers parse, call one app function with the request's
//! [`Authenticated`] actor, and shape the answer; the app decides and audits.
//!
//! [`Authenticated`]: crate::Authenticated

pub(crate) mod admin;
pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod emergency;
pub(crate) mod patients;

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::routing::{delete, get, post, put};
use enamel_app::{App, AppError};
use enamel_domain::FieldProblem;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorBody};

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/mfa", post(auth::mfa))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route(
            "/api/v1/auth/logout-everywhere",
            post(auth::logout_everywhere),
        )
        .route("/api/v1/auth/step-up", post(auth::step_up))
        .route("/api/v1/auth/sessions", get(auth::sessions))
        .route("/api/v1/auth/sessions/{id}", delete(auth::revoke_session))
        .route("/api/v1/auth/password", put(auth::change_password))
        .route("/api/v1/auth/password-reset", post(auth::request_reset))
        .route(
            "/api/v1/auth/password-reset/complete",
            post(auth::complete_reset),
        )
        .route("/api/v1/me", get(auth::me))
        .route(
            "/api/v1/users",
            get(admin::list_users).post(admin::create_user),
        )
        .route("/api/v1/users/{id}/roles", put(admin::set_roles))
        .route("/api/v1/users/{id}/disable", post(admin::disable))
        .route("/api/v1/users/{id}/enable", post(admin::enable))
        .route(
            "/api/v1/users/{id}/password-reset",
            post(admin::issue_reset),
        )
        .route(
            "/api/v1/policy",
            get(admin::policy).put(admin::set_policy_cell),
        )
        .route(
            "/api/v1/api-tokens",
            get(admin::list_tokens).post(admin::create_token),
        )
        .route("/api/v1/api-tokens/{id}", delete(admin::revoke_token))
        .route(
            "/api/v1/practice/settings",
            get(admin::settings).put(admin::set_settings),
        )
        .route(
            "/api/v1/emergency-access",
            get(emergency::reviews).post(emergency::open),
        )
        .route(
            "/api/v1/emergency-access/{id}/review",
            post(emergency::review),
        )
        .route("/api/v1/audit/events", get(audit::events))
        .route("/api/v1/audit/events/export", get(audit::export))
        .route("/api/v1/patients", post(patients::create))
        .route("/api/v1/patients/{id}", get(patients::read))
}

/// `Json` with our error shape for bodies that are not JSON, malformed, of the wrong types or
/// with unknown fields (the framework's own rejection is plain text).
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<App> for JsonBody<T> {
    type Rejection = axum::response::Response;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        use axum::http::StatusCode;
        use axum::response::IntoResponse;
        match axum::Json::<T>::from_request(req, app).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => {
                let (status, body) = match &rejection {
                    JsonRejection::MissingJsonContentType(_) => (
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        ErrorBody::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
                    ),
                    JsonRejection::JsonDataError(_) => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        ErrorBody::new(
                            "invalid",
                            "The request has a field of the wrong type, an unknown field, or is missing a required field.",
                        ),
                    ),
                    JsonRejection::BytesRejection(_) => (
                        StatusCode::PAYLOAD_TOO_LARGE,
                        ErrorBody::for_status(StatusCode::PAYLOAD_TOO_LARGE),
                    ),
                    _ => (
                        StatusCode::BAD_REQUEST,
                        ErrorBody::new("bad_request", "The request body is not valid JSON."),
                    ),
                };
                Err((status, axum::Json(body)).into_response())
            }
        }
    }
}

pub(crate) fn invalid(field: &'static str, problem: &'static str) -> ApiError {
    ApiError(AppError::Invalid(vec![FieldProblem { field, problem }]))
}
