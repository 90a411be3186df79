//! The one mapping from an application error to an HTTP answer. Every error of the API is an
//! RFC 9457 problem document (`application/problem+json`): `type`, `title`, `status` and
//! `detail`, plus our own members `code`, `fields` and `request_id`. Its words are plain and
//! never carry values from the request or the database; internal details go to the log under
//! the request id.

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use enamel_app::AppError;
use serde::{Deserialize, Serialize};

/// The media type of every error body.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// Every problem code the server can answer, with its title: the short, fixed summary of that
/// kind of problem. The code is the last part of the problem's `type`.
pub(crate) const PROBLEM_TYPES: &[(&str, &str)] = &[
    ("bad_request", "The request could not be understood"),
    ("unauthenticated", "Sign-in needed"),
    ("sign_in_failed", "Sign-in failed"),
    ("mfa_failed", "Code not accepted"),
    ("forbidden", "Not permitted"),
    ("step_up_required", "Confirmation needed"),
    ("not_found", "Not found"),
    ("method_not_allowed", "Method not allowed"),
    ("not_acceptable", "Response type not available"),
    ("timeout", "Request took too long"),
    ("conflict", "Changed by someone else"),
    ("refused", "Refused"),
    ("idempotency_key_reused", "Idempotency key reused"),
    ("link_invalid", "Link not valid"),
    ("schedule_conflict", "Time already booked"),
    ("schedule_warning", "Booking needs a second look"),
    ("precondition_failed", "Version has changed"),
    ("precondition_required", "Version needed"),
    ("too_large", "Request too large"),
    ("unsupported_media_type", "Unsupported body type"),
    ("invalid", "Some fields need attention"),
    ("rate_limited", "Too many requests"),
    ("internal", "Something went wrong"),
    ("integrity", "Stored value failed its check"),
    ("unavailable", "Service unavailable"),
    ("busy", "Server busy"),
    ("not_ready", "Not ready"),
];

/// The `type` of a problem with this code: a URI that names the kind of problem and stays the
/// same across releases (not meant to be fetched).
pub(crate) fn problem_type(code: &str) -> String {
    format!("urn:enamel:problem:{code}")
}

fn title_of(code: &str, status: StatusCode) -> &'static str {
    PROBLEM_TYPES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, title)| *title)
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("Error"))
}

/// One member's problem, named by its path in the body (`phones[1].kind`) or by the query
/// parameter, never echoing its value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    /// Where: a member path such as `address.line1` or `phones[1].number`, or a query
    /// parameter.
    pub field: String,
    /// What is wrong with it, in plain words.
    pub problem: String,
}

/// The body of every error answer: an RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:enamel:problem:<code>`: identifies the kind of problem.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short summary of the kind of problem; the same for every occurrence of a code.
    pub title: String,
    /// The HTTP status code, repeated.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// Plain words about this occurrence, for a person. Never contains a value from the
    /// request or the database.
    pub detail: String,
    /// Stable and machine-readable (`invalid`, `not_found`, `step_up_required`, …); each
    /// response's description names the codes it can carry.
    pub code: String,
    /// For `invalid` and `bad_request`: one entry per member that needs attention.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// Also sent as `X-Request-Id`: what to quote to support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub request_id: Option<String>,
    /// For `schedule_conflict`: the appointment the requested time collides with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub conflict: Option<ConflictJson>,
    /// For `schedule_warning`: each reason the booking needs a second look, as a sentence.
    /// Send the booking again with `acknowledge_warnings: true` to book it anyway.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// What a booking or move collided with: the other appointment's id, time and chair (never
/// its patient).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ConflictJson {
    /// `operatory`: the chair is taken; `provider`: the provider is busy in another chair.
    #[schema(pattern = "^(operatory|provider)$")]
    pub with: String,
    /// Absent when the other booking let go of the time again meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub appointment_id: Option<String>,
    /// RFC 3339 with the practice's offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub operatory_id: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Problem {
            type_uri: problem_type(code),
            title: title_of(code, status).to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_string(),
            fields: Vec::new(),
            request_id: None,
            conflict: None,
            warnings: Vec::new(),
        }
    }

    /// The same problem, naming the members that need attention.
    pub(crate) fn with_fields(mut self, fields: Vec<FieldError>) -> Self {
        self.fields = fields;
        self
    }

    /// The problem for a status that arrived without one of ours (from the framework or a
    /// layer).
    pub(crate) fn for_status(status: StatusCode) -> Self {
        let (code, detail) = match status {
            StatusCode::BAD_REQUEST => ("bad_request", "The request could not be understood."),
            StatusCode::UNAUTHORIZED => ("unauthenticated", "Please sign in."),
            StatusCode::FORBIDDEN => ("forbidden", "You do not have permission to do this."),
            StatusCode::NOT_FOUND => ("not_found", "There is nothing at this address."),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "This address does not accept that kind of request.",
            ),
            StatusCode::NOT_ACCEPTABLE => (
                "not_acceptable",
                "This address answers in JSON only; accept application/json.",
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
        Problem::new(status, code, detail)
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            body,
        )
            .into_response()
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
        problem_of(self.0).into_response()
    }
}

/// The problem document (and, for waits, the `Retry-After`) of an application error.
fn problem_of(error: AppError) -> ProblemAnswer {
    use StatusCode as S;
    let problem = match error {
        AppError::Unauthenticated => Problem::for_status(S::UNAUTHORIZED),
        AppError::Forbidden => Problem::for_status(S::FORBIDDEN),
        AppError::SignInFailed => Problem::new(
            S::UNAUTHORIZED,
            "sign_in_failed",
            "The username or password is not right. Check them and try again.",
        ),
        AppError::SecondFactorFailed => Problem::new(
            S::UNAUTHORIZED,
            "mfa_failed",
            "That code is not right. Use the current code from your authenticator app, or one of your recovery codes.",
        ),
        AppError::StepUpRequired => Problem::new(
            S::FORBIDDEN,
            "step_up_required",
            "Please confirm it is you: enter a code from your authenticator app first.",
        ),
        AppError::TooManyAttempts { retry_after_secs } => {
            return ProblemAnswer::after(
                Problem::new(
                    S::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "Too many attempts. Please wait a little and try again.",
                ),
                retry_after_secs,
            );
        }
        AppError::Busy { retry_after_secs } => {
            return ProblemAnswer::after(
                Problem::new(
                    S::SERVICE_UNAVAILABLE,
                    "busy",
                    "The server is busy. Please try again in a moment.",
                ),
                retry_after_secs,
            );
        }
        AppError::LinkInvalid => Problem::new(
            S::BAD_REQUEST,
            "link_invalid",
            "This link has already been used or has expired. Ask your administrator for a new one.",
        ),
        AppError::NotFound => Problem::new(S::NOT_FOUND, "not_found", "The record was not found."),
        AppError::Conflict => Problem::new(
            S::CONFLICT,
            "conflict",
            "The record was changed by someone else; reload it and try again.",
        ),
        AppError::Refused(message) => Problem::new(S::CONFLICT, "refused", message),
        AppError::ScheduleWarning(sentences) => {
            let mut problem = Problem::new(
                S::CONFLICT,
                "schedule_warning",
                format!(
                    "{} Send it again with acknowledge_warnings to book it anyway.",
                    sentences.join(" ")
                ),
            );
            problem.warnings = sentences;
            problem
        }
        AppError::ScheduleConflict(c) => {
            let mut problem = Problem::new(S::CONFLICT, "schedule_conflict", c.message.clone());
            problem.conflict = Some(ConflictJson {
                with: if c.chair { "operatory" } else { "provider" }.into(),
                appointment_id: c.appointment_id.map(|id| id.to_string()),
                start: c.start.clone(),
                end: c.end.clone(),
                operatory_id: c.operatory_id.map(|id| id.to_string()),
            });
            problem
        }
        AppError::IdempotencyKeyReused => Problem::new(
            S::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different request. Use a new key for a new request.",
        ),
        AppError::Invalid(problems) => Problem::for_status(S::UNPROCESSABLE_ENTITY).with_fields(
            problems
                .into_iter()
                .map(|p| FieldError {
                    field: p.field.to_string(),
                    problem: p.problem.to_string(),
                })
                .collect(),
        ),
        AppError::Integrity(source) => {
            // Tampering or a moved value: an alarm for the operators, a calm line for the user.
            tracing::error!(error = %source, "stored value failed its integrity check");
            Problem::new(
                S::INTERNAL_SERVER_ERROR,
                "integrity",
                "A stored value failed its integrity check. The office's administrator has been alerted.",
            )
        }
        AppError::Unavailable(why) => {
            tracing::warn!(reason = %why, "service unavailable");
            Problem::for_status(S::SERVICE_UNAVAILABLE)
        }
        AppError::Internal(detail) => {
            tracing::error!(detail = %detail, "internal error");
            Problem::for_status(S::INTERNAL_SERVER_ERROR)
        }
    };
    ProblemAnswer {
        problem,
        retry_after_secs: None,
    }
}

/// A problem and how long the client should wait before trying again, if that is the point.
struct ProblemAnswer {
    problem: Problem,
    retry_after_secs: Option<u64>,
}

impl ProblemAnswer {
    fn after(problem: Problem, secs: u64) -> Self {
        ProblemAnswer {
            problem,
            retry_after_secs: Some(secs),
        }
    }
}

impl IntoResponse for ProblemAnswer {
    fn into_response(self) -> Response {
        let mut response = self.problem.into_response();
        if let Some(secs) = self.retry_after_secs
            && let Ok(value) = HeaderValue::from_str(&secs.max(1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

pub(crate) async fn not_found(_uri: Uri) -> Response {
    Problem::for_status(StatusCode::NOT_FOUND).into_response()
}

pub(crate) async fn method_not_allowed() -> Response {
    Problem::for_status(StatusCode::METHOD_NOT_ALLOWED).into_response()
}
