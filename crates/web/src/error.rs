//! The one mapping from an application error to an HTTP answer. Bodies have a stable shape,
//! `{"code", "message", "fields"?, "request_id"}`, with plain messages that never carry values
//! from the request or the database; internal details go to the log under the request id.

use axum::Json;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use enamel_app::AppError;
use serde::Serialize;

/// One field's problem, named by the field, never echoing its value.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    /// The request field (or query parameter) that needs attention.
    pub field: String,
    /// What is wrong with it, in plain words.
    pub problem: String,
}

/// The JSON body of every error response.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable and machine-readable (`invalid`, `not_found`, `step_up_required`, …); each
    /// response's description names the codes it can carry.
    pub code: &'static str,
    /// Plain words for a person. Never contains a value from the request or the database.
    pub message: String,
    /// For `invalid`: one entry per field that needs attention.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// Filled in by the middleware, so a person can quote it to support.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub request_id: Option<String>,
}

impl ErrorBody {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ErrorBody {
            code,
            message: message.into(),
            fields: Vec::new(),
            request_id: None,
        }
    }

    /// The body for a status that arrived without one of ours (from the framework or a layer).
    pub(crate) fn for_status(status: StatusCode) -> Self {
        let (code, message) = match status {
            StatusCode::BAD_REQUEST => ("bad_request", "The request could not be understood."),
            StatusCode::UNAUTHORIZED => ("unauthenticated", "Please sign in."),
            StatusCode::FORBIDDEN => ("forbidden", "You do not have permission to do this."),
            StatusCode::NOT_FOUND => ("not_found", "There is nothing at this address."),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "This address does not accept that kind of request.",
            ),
            StatusCode::REQUEST_TIMEOUT => {
                ("timeout", "The request took too long and was stopped.")
            }
            StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "The request is larger than allowed."),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                "Send the request body as application/json.",
            ),
            StatusCode::UNPROCESSABLE_ENTITY => ("invalid", "Some fields need attention."),
            StatusCode::TOO_MANY_REQUESTS => (
                "rate_limited",
                "Too many requests; wait a moment and try again.",
            ),
            StatusCode::SERVICE_UNAVAILABLE => {
                ("unavailable", "The service is not available right now.")
            }
            s if s.is_client_error() => ("bad_request", "The request could not be completed."),
            _ => (
                "internal",
                "Something went wrong on our side. Please try again.",
            ),
        };
        ErrorBody::new(code, message)
    }
}

/// An application error on its way out as HTTP.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self.0 {
            AppError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                ErrorBody::for_status(StatusCode::UNAUTHORIZED),
            ),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                ErrorBody::for_status(StatusCode::FORBIDDEN),
            ),
            AppError::SignInFailed => (
                StatusCode::UNAUTHORIZED,
                ErrorBody::new(
                    "sign_in_failed",
                    "The username or password is not right. Check them and try again.",
                ),
            ),
            AppError::SecondFactorFailed => (
                StatusCode::UNAUTHORIZED,
                ErrorBody::new(
                    "mfa_failed",
                    "That code is not right. Use the current code from your authenticator app, or one of your recovery codes.",
                ),
            ),
            AppError::StepUpRequired => (
                StatusCode::FORBIDDEN,
                ErrorBody::new(
                    "step_up_required",
                    "Please confirm it is you: enter a code from your authenticator app first.",
                ),
            ),
            AppError::TooManyAttempts { retry_after_secs } => {
                return with_retry_after(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorBody::new(
                        "rate_limited",
                        "Too many attempts. Please wait a little and try again.",
                    ),
                    retry_after_secs,
                );
            }
            AppError::Busy { retry_after_secs } => {
                return with_retry_after(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorBody::new("busy", "The server is busy. Please try again in a moment."),
                    retry_after_secs,
                );
            }
            AppError::LinkInvalid => (
                StatusCode::BAD_REQUEST,
                ErrorBody::new(
                    "link_invalid",
                    "This link has already been used or has expired. Ask your administrator for a new one.",
                ),
            ),
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                ErrorBody::new("not_found", "The record was not found."),
            ),
            AppError::Conflict => (
                StatusCode::CONFLICT,
                ErrorBody::new(
                    "conflict",
                    "The record was changed by someone else; reload it and try again.",
                ),
            ),
            AppError::Refused(message) => {
                (StatusCode::CONFLICT, ErrorBody::new("refused", message))
            }
            AppError::Invalid(problems) => {
                let mut body = ErrorBody::for_status(StatusCode::UNPROCESSABLE_ENTITY);
                body.fields = problems
                    .into_iter()
                    .map(|p| FieldError {
                        field: p.field.to_string(),
                        problem: p.problem.to_string(),
                    })
                    .collect();
                (StatusCode::UNPROCESSABLE_ENTITY, body)
            }
            AppError::Integrity(source) => {
                // Tampering or a moved value: an alarm for the operators, a calm line for the user.
                tracing::error!(error = %source, "stored value failed its integrity check");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorBody::new(
                        "integrity",
                        "A stored value failed its integrity check. The office's administrator has been alerted.",
                    ),
                )
            }
            AppError::Unavailable(why) => {
                tracing::warn!(reason = %why, "service unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorBody::for_status(StatusCode::SERVICE_UNAVAILABLE),
                )
            }
            AppError::Internal(detail) => {
                tracing::error!(detail = %detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorBody::for_status(StatusCode::INTERNAL_SERVER_ERROR),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}

fn with_retry_after(status: StatusCode, body: ErrorBody, secs: u64) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&secs.max(1).to_string()) {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, value);
    }
    response
}

pub(crate) async fn not_found(_uri: Uri) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(ErrorBody::for_status(StatusCode::NOT_FOUND)),
    )
        .into_response()
}

pub(crate) async fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(ErrorBody::for_status(StatusCode::METHOD_NOT_ALLOWED)),
    )
        .into_response()
}
